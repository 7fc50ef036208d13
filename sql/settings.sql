-- Superuser settings cannot be lifted by a SET issued before csstats.so is
-- loaded in the session.  PostgreSQL keeps such a SET as a placeholder; the
-- library, when it loads, refuses the placeholder of a setting its setter may
-- not set, and SQL reads the chat_ids limit through the library
-- (csstats._max_selected_chats()), never with current_setting().
-- Each \c below starts a session in which the library is not loaded yet
-- (the test cluster preloads pg_cron only).
\set VERBOSITY terse
SELECT current_user AS superuser \gset
CREATE ROLE csstats_set_user LOGIN;
GRANT USAGE ON SCHEMA csstats TO csstats_set_user;
GRANT SELECT ON csstats.user_chats TO csstats_set_user;
INSERT INTO csstats.channels (id, name) VALUES ('set_ch', 'settings test');
INSERT INTO csstats.user_chats (channel_id, id, state, created_at)
SELECT 'set_ch', 'c' || i, 'closed', '2025-03-03 09:00+00'::timestamptz + i * interval '1 minute'
FROM generate_series(1, 250) i;

\c - csstats_set_user
-- not loaded yet: the setting is unknown
SHOW csstats.max_selected_chats;
-- so any role may SET placeholders, and current_setting() sees them
SET csstats.max_selected_chats = 1000000;
SET csstats.max_chats_per_export = 1000000;
SET csstats.max_cases_per_export = 1000000000;
SET csstats.min_password_length = 1;
SET csstats.export_directory = '/tmp';
SET csstats.progress_rows = 7;
SELECT current_setting('csstats.max_selected_chats') AS placeholder;
-- the chat selection loads the library, which refuses the superuser-only
-- placeholders (WARNINGs) and keeps the user-settable one; 201 chat_ids are
-- then over the default limit of 200
SELECT count(*) FROM csstats.select_chats('set_ch',
	filters => jsonb_build_object('chat_ids', (SELECT jsonb_agg('c' || i) FROM generate_series(1, 201) i)));
SHOW csstats.max_selected_chats;
SHOW csstats.max_chats_per_export;
SHOW csstats.max_cases_per_export;
SHOW csstats.min_password_length;
SHOW csstats.progress_rows;
-- 200 is within the limit
SELECT count(*) FROM csstats.select_chats('set_ch',
	filters => jsonb_build_object('chat_ids', (SELECT jsonb_agg('c' || i) FROM generate_series(1, 200) i)));
-- now loaded: SET is refused, and the prefix is reserved
SET csstats.max_selected_chats = 1000000;
SET csstats.no_such_setting = 1;

-- A superuser's placeholder is a real setting: the library adopts it
\c - :superuser
SET csstats.max_selected_chats = 2;
SELECT count(*) FROM csstats.select_chats('set_ch', filters => '{"chat_ids": ["c1", "c2"]}');
SELECT count(*) FROM csstats.select_chats('set_ch', filters => '{"chat_ids": ["c1", "c2", "c3"]}');
SHOW csstats.max_selected_chats;
RESET csstats.max_selected_chats;
SELECT csstats._max_selected_chats();

DELETE FROM csstats.channels WHERE id = 'set_ch';
REVOKE ALL ON csstats.user_chats FROM csstats_set_user;
REVOKE ALL ON SCHEMA csstats FROM csstats_set_user;
DROP ROLE csstats_set_user;
