-- Exports: the bad-input matrix (each rule gives its clear error and leaves
-- no file; bad arguments leave no audit row, refusals of permission and
-- limits a 'denied' one), permissions (EXECUTE, manager, server files,
-- row-level security on the caller), the append-only audit trail and
-- verify_audit's tamper detection.  The files themselves are checked by the
-- end-to-end suite (test/suites/50_export_e2e.sh).
SET client_min_messages = warning;
SET timezone = 'UTC';
INSERT INTO csstats.channels (id, name, timezone) VALUES ('xp', 'Export test', 'Asia/Seoul');
INSERT INTO csstats.managers (channel_id, id, name, role, removed, can_download) VALUES
	('xp', 'boss', 'Boss', 'owner', false, true),
	('xp', 'nodl', 'No Download', 'member', false, false),
	('xp', 'gone', 'Removed', 'owner', true, true);
INSERT INTO csstats.user_chats (channel_id, id, state, assignee_id, medium_name, tags, created_at) VALUES
	('xp', 'c1', 'closed', 'boss', 'inAppChat', '{delivery/late}', '2025-03-01 10:00+09'),
	('xp', 'c2', 'open', 'nodl', 'email', '{}', '2025-03-02 11:00+09'),
	('xp', 'c3', 'closed', NULL, 'inAppChat', '{delivery}', '2025-03-03 12:00+09');
INSERT INTO csstats.chat_events (channel_id, chat_id, at, kind, actor_id, value) VALUES
	('xp', 'c1', '2025-03-01 10:00+09', 'opened', NULL, NULL),
	('xp', 'c1', '2025-03-01 10:30+09', 'closed', 'boss', NULL),
	('xp', 'c2', '2025-03-02 11:00+09', 'opened', NULL, NULL),
	('xp', 'c3', '2025-03-03 12:00+09', 'opened', NULL, NULL),
	('xp', 'c3', '2025-03-03 12:10+09', 'closed', NULL, NULL),
	('xp', 'c3', '2025-03-04 09:00+09', 'opened', NULL, NULL),
	('xp', 'c3', '2025-03-04 09:30+09', 'closed', NULL, NULL);

-- every call below that fails must leave these unchanged
CREATE FUNCTION pg_temp.export_state() RETURNS text LANGUAGE sql AS $$
	SELECT format('audit rows: %s, files: %s',
		(SELECT count(*) FROM csstats.export_audit),
		coalesce((SELECT string_agg(f, ', ' ORDER BY f)
			FROM pg_ls_dir(current_setting('csstats.export_directory')) f
			WHERE f ~ '^(\.csstats-|regress|rolled-back|savepoint|reader|a$|b\.xlsx|x|tab)'), '-'))
$$;
SELECT pg_temp.export_state();

-- A good export, for reference: an encrypted compound file
SELECT substr(csstats.export_chats(password => 'abcd1234', reason => 'regression',
	channel_id => 'xp', since => '2025-03-01', until => '2025-04-01'), 1, 8) AS magic;
SELECT id, "session_user", "current_user", kind, format, include_messages, row_counts,
	destination, prev_hash IS NULL AS first_in_chain
FROM csstats.export_audit;

-- Passwords: the message names the rule, never the password
SELECT csstats.export_chats(reason => 'r', channel_id => 'xp');
SELECT csstats.export_chats(password => '', reason => 'r', channel_id => 'xp');
SELECT csstats.export_chats(password => 'abcd 1234', reason => 'r', channel_id => 'xp');
SELECT csstats.export_chats(password => 'pässwort12', reason => 'r', channel_id => 'xp');
SELECT csstats.export_chats(password => 'abc12', reason => 'r', channel_id => 'xp');
SELECT csstats.export_chats(password => repeat('a1', 128), reason => 'r', channel_id => 'xp');
SELECT csstats.export_chats(password => 'abcd1234', password_name => 'nightly', reason => 'r', channel_id => 'xp');
SELECT csstats.export_chats(password_name => 'nightly', reason => 'r', channel_id => 'xp');
-- Reasons
SELECT csstats.export_chats(password => 'abcd1234', channel_id => 'xp');
SELECT csstats.export_chats(password => 'abcd1234', reason => E' \t\n ', channel_id => 'xp');
SELECT csstats.export_chats(password => 'abcd1234', reason => repeat('é', 1001), channel_id => 'xp');
-- Format, channel, range, filters
SELECT csstats.export_chats(password => 'abcd1234', reason => 'r', format => 'csv', channel_id => 'xp');
SELECT csstats.export_chats(password => 'abcd1234', reason => 'r');
SELECT csstats.export_chats(password => 'abcd1234', reason => 'r', channel_id => 'nope');
SELECT csstats.export_chats(password => 'abcd1234', reason => 'r', channel_id => 'xp',
	since => '2025-04-01', until => '2025-03-01');
SELECT csstats.export_chats(password => 'abcd1234', reason => 'r', channel_id => 'xp',
	filters => '{"colour": ["red"]}');
SELECT csstats.export_chats(password => 'abcd1234', reason => 'r', channel_id => 'xp',
	filters => '{"states": ["sleeping"]}');
-- Cases: both ends required, at most 6 months in the channel's zone (Asia/Seoul)
SELECT csstats.export_cases(password => 'abcd1234', reason => 'r', channel_id => 'xp',
	since => '2025-01-31');
SELECT csstats.export_cases(password => 'abcd1234', reason => 'r', channel_id => 'xp',
	since => '2025-01-31 00:00+09', until => '2025-08-01 00:00:01+09');
SELECT csstats.export_cases(password => 'abcd1234', reason => 'r', channel_id => 'xp',
	since => '2025-08-31 00:00+09', until => '2026-03-02 00:00+09');
-- the longest ranges allowed: Jan 31 .. Jul 31, Aug 31 .. Feb 28 (end of that month)
SELECT substr(csstats.export_cases(password => 'abcd1234', reason => 'longest range',
	channel_id => 'xp', since => '2025-01-31 00:00+09', until => '2025-08-01 00:00+09'), 1, 8) AS magic;
SELECT substr(csstats.export_cases(password => 'abcd1234', reason => 'longest range',
	channel_id => 'xp', since => '2025-08-31 00:00+09', until => '2026-03-01 00:00+09'), 1, 8) AS magic;

-- Limits (superuser settings): the error names the limit and the count
SET csstats.max_chats_per_export = 2;
SELECT csstats.export_chats(password => 'abcd1234', reason => 'r', channel_id => 'xp');
RESET csstats.max_chats_per_export;
SET csstats.max_selected_chats = 2;
SELECT csstats.export_chats(password => 'abcd1234', reason => 'r', channel_id => 'xp',
	filters => '{"chat_ids": ["c1", "c2", "c3"]}');
RESET csstats.max_selected_chats;
SET csstats.max_cases_per_export = 2;
SELECT csstats.export_cases(password => 'abcd1234', reason => 'r', channel_id => 'xp',
	since => '2025-03-01', until => '2025-04-01');
SELECT csstats.export_cases(password => 'abcd1234', reason => 'r', channel_id => 'xp',
	since => '2025-03-01', until => '2025-04-01', include_summary => true);
RESET csstats.max_cases_per_export;
SET csstats.min_password_length = 12;
SELECT csstats.export_chats(password => 'abcd1234', reason => 'r', channel_id => 'xp');
RESET csstats.min_password_length;

-- Managers: must exist in the channel, not be removed, have can_download
SELECT csstats.export_chats(password => 'abcd1234', reason => 'r', channel_id => 'xp', manager_id => 'who');
SELECT csstats.export_chats(password => 'abcd1234', reason => 'r', channel_id => 'xp', manager_id => 'gone');
SELECT csstats.export_chats(password => 'abcd1234', reason => 'r', channel_id => 'xp', manager_id => 'nodl');
SELECT length(csstats.export_chats(password => 'abcd1234', reason => 'on behalf of boss',
	channel_id => 'xp', manager_id => 'boss')) > 0 AS exported;

-- Server files: plain names only, never overwritten
SELECT csstats.export_chats_to_file('a/b.xlsx', 'abcd1234', 'r', channel_id => 'xp');
SELECT csstats.export_chats_to_file('..', 'abcd1234', 'r', channel_id => 'xp');
SELECT csstats.export_chats_to_file('x..y.xlsx', 'abcd1234', 'r', channel_id => 'xp');
SELECT csstats.export_chats_to_file('.hidden', 'abcd1234', 'r', channel_id => 'xp');
SELECT csstats.export_chats_to_file('', 'abcd1234', 'r', channel_id => 'xp');
SELECT csstats.export_chats_to_file(E'tab\there', 'abcd1234', 'r', channel_id => 'xp');
SELECT csstats.export_chats_to_file('regress.xlsx', 'abcd1234', 'first', channel_id => 'xp');
SELECT csstats.export_chats_to_file('regress.xlsx', 'abcd1234', 'again', channel_id => 'xp');
SELECT destination FROM csstats.export_audit ORDER BY id DESC LIMIT 1;
-- exports are not transactional: the audit row is committed (by the audit
-- worker) before the file gets its final name, and a rollback of the caller
-- removes neither
BEGIN;
SELECT csstats.export_chats_to_file('rolled-back.xlsx', 'abcd1234', 'rollback', channel_id => 'xp') > 0 AS exported;
ROLLBACK;
-- nor does a rolled-back savepoint
BEGIN;
SAVEPOINT s;
SELECT csstats.export_chats_to_file('savepoint.xlsx', 'abcd1234', 'savepoint', channel_id => 'xp') > 0 AS exported;
ROLLBACK TO SAVEPOINT s;
COMMIT;
SELECT pg_temp.export_state();
SELECT reason, outcome, destination FROM csstats.export_audit
WHERE reason IN ('rollback', 'savepoint') ORDER BY id;
-- refusals of permission and limits are audited: who tried, and why it was refused
SELECT id, outcome, "current_user", manager_id, kind, refusal, bytes, sha256, destination
FROM csstats.export_audit WHERE outcome = 'denied' ORDER BY id;

-- Stored passwords: a job names one; only roles with usable_by's privileges
-- may use it.  They are stored encrypted with the key in
-- csstats.password_key_file (the test command's cluster sets it; the key file
-- and the files' contents are checked by test/suites/52_password_store.sh).
SELECT csstats.set_export_password('nightly', 'Nightly2025', 'postgres');
SELECT csstats.set_export_password('bad', 'no spaces', 'postgres');
SELECT csstats.set_export_password('bad', 'short12', 'postgres');
SELECT csstats.set_export_password('bad', repeat('a1', 128), 'postgres');
SELECT csstats.set_export_password(NULL, 'Nightly2025', 'postgres');
SELECT csstats.set_export_password('', 'Nightly2025', 'postgres');
SELECT csstats.set_export_password('bad', NULL, 'postgres');
SELECT csstats.set_export_password('bad', 'Nightly2025', NULL);
SELECT csstats.set_export_password('bad', 'Nightly2025', '-');
SELECT csstats.set_export_password('bad', 'Nightly2025', 'no_such_role');
-- only ciphertext: nonce, ciphertext and tag (12 + 11 + 16 bytes), an 8-byte key id
SELECT name, usable_by, octet_length(password_ciphertext) AS ciphertext_bytes,
	octet_length(key_id) AS key_id_bytes,
	position(convert_to('Nightly2025', 'UTF8') IN password_ciphertext) = 0 AS no_plaintext
FROM csstats.export_passwords ORDER BY name;
-- there is no plaintext column to insert into
INSERT INTO csstats.export_passwords (name, password, usable_by) VALUES ('plain', 'Nightly2025', 'postgres');
SELECT length(csstats.export_chats(password_name => 'nightly', reason => 'stored password',
	channel_id => 'xp')) > 0 AS exported;
SELECT password_name FROM csstats.export_audit ORDER BY id DESC LIMIT 1;
-- replacing keeps one row, and encrypts again (a new nonce)
CREATE TEMP TABLE old_ct AS SELECT password_ciphertext FROM csstats.export_passwords WHERE name = 'nightly';
SELECT csstats.set_export_password('nightly', 'Nightly2025', 'postgres');
SELECT count(*) AS rows, bool_and(p.password_ciphertext <> o.password_ciphertext) AS new_ciphertext
FROM csstats.export_passwords p, old_ct o WHERE p.name = 'nightly';
-- a ciphertext copied to another name does not decrypt: the name is bound to it
INSERT INTO csstats.export_passwords (name, usable_by, password_ciphertext, key_id)
	SELECT 'copied', usable_by, password_ciphertext, key_id FROM csstats.export_passwords WHERE name = 'nightly';
\set VERBOSITY terse
SELECT csstats.export_chats(password_name => 'copied', reason => 'r', channel_id => 'xp');
\set VERBOSITY default
SELECT csstats.drop_export_password('copied');
SELECT csstats.drop_export_password('copied');
SELECT csstats.drop_export_password(NULL);
-- the key file setting: unset, relative, inside the data directory
SET csstats.password_key_file = '';
SELECT csstats.set_export_password('other', 'Nightly2025', 'postgres');
SELECT csstats.export_chats(password_name => 'nightly', reason => 'r', channel_id => 'xp');
SELECT csstats.create_password_key();
SET csstats.password_key_file = 'relative/password.key';
SELECT set_config('csstats.password_key_file', current_setting('data_directory') || '/../' ||
	split_part(current_setting('data_directory'), '/', -1) || '/csstats.key', false) IS NOT NULL AS set;
SELECT csstats.set_export_password('other', 'Nightly2025', 'postgres');
RESET csstats.password_key_file;

-- Roles: EXECUTE is not granted to PUBLIC
CREATE ROLE export_nogrant;
CREATE ROLE export_reader;
GRANT USAGE ON SCHEMA csstats TO export_nogrant, export_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA csstats TO export_nogrant, export_reader;
REVOKE SELECT ON csstats.export_passwords FROM export_nogrant, export_reader;
GRANT EXECUTE ON FUNCTION csstats.export_chats(text, text, timestamptz, timestamptz, text, boolean,
	text, text, jsonb, timestamptz, text, boolean) TO export_reader;
GRANT EXECUTE ON FUNCTION csstats.export_chats_to_file(text, text, text, timestamptz, timestamptz,
	text, boolean, text, text, jsonb, timestamptz, text, boolean) TO export_reader;
SET ROLE export_nogrant;
SELECT csstats.export_chats(password => 'abcd1234', reason => 'r', channel_id => 'xp');
SELECT csstats.export_cases(password => 'abcd1234', reason => 'r', channel_id => 'xp',
	since => '2025-03-01', until => '2025-04-01');
SELECT * FROM csstats.verify_audit();
RESET ROLE;
-- a granted role may export as bytea, but writing server files needs pg_write_server_files
SET ROLE export_reader;
SELECT csstats.export_chats_to_file('reader.xlsx', 'abcd1234', 'r', channel_id => 'xp');
-- nor may it use someone else's stored password, nor read the table
SELECT csstats.export_chats(password_name => 'nightly', reason => 'r', channel_id => 'xp');
SELECT * FROM csstats.export_passwords;
-- nor manage stored passwords, even when granted EXECUTE
SELECT csstats.set_export_password('mine', 'Nightly2025', 'export_reader');
SELECT csstats.drop_export_password('nightly');
SELECT csstats.create_password_key();
RESET ROLE;
GRANT EXECUTE ON FUNCTION csstats.set_export_password(text, text, regrole),
	csstats.drop_export_password(text), csstats.create_password_key() TO export_reader;
SET ROLE export_reader;
SELECT csstats.set_export_password('mine', 'Nightly2025', 'export_reader');
SELECT csstats.drop_export_password('nightly');
SELECT csstats.create_password_key();
RESET ROLE;
REVOKE EXECUTE ON FUNCTION csstats.set_export_password(text, text, regrole),
	csstats.drop_export_password(text), csstats.create_password_key() FROM export_reader;
SET ROLE export_reader;
-- nor touch the audit trail
INSERT INTO csstats.export_audit (id, exported_at, "session_user", "current_user", reason, kind,
	format, include_messages, channel_id, as_of, filters, row_counts, bytes, sha256, destination, row_hash)
	VALUES (99, now(), 'x', 'x', 'forged', 'chats', 'xlsx', false, 'xp', now(), '{}', '{}', 0, '', 'bytea', '');
RESET ROLE;

-- Row-level security on the caller limits what it exports
ALTER TABLE csstats.user_chats ENABLE ROW LEVEL SECURITY;
CREATE POLICY export_reader_own ON csstats.user_chats TO export_reader USING (assignee_id = 'boss');
SET ROLE export_reader;
SELECT length(csstats.export_chats(password => 'abcd1234', reason => 'rls', channel_id => 'xp')) > 0 AS exported;
-- the limits are readable by the role (the chat selection checks chat_ids against one)
SHOW csstats.max_selected_chats;
SELECT length(csstats.export_chats(password => 'abcd1234', reason => 'rls, explicit selection',
	channel_id => 'xp', filters => '{"chat_ids": ["c1", "c2"]}')) > 0 AS exported;
SET csstats.max_chats_per_export = 100000;
SHOW csstats.export_directory;
RESET ROLE;
DROP POLICY export_reader_own ON csstats.user_chats;
ALTER TABLE csstats.user_chats DISABLE ROW LEVEL SECURITY;
SELECT id, "session_user", "current_user", row_counts -> 'UserChat data' AS chats, reason
FROM csstats.export_audit ORDER BY id DESC LIMIT 2;

-- The audit trail is append-only, even for a superuser ...
UPDATE csstats.export_audit SET reason = 'edited' WHERE id = 1;
DELETE FROM csstats.export_audit WHERE id = 1;
TRUNCATE csstats.export_audit;
DELETE FROM csstats.export_audit_head;
SELECT bool_and(ok) AS chain_ok, count(*) AS rows FROM csstats.verify_audit();
-- ... unless the triggers are bypassed; verify_audit then points at the rows
SET session_replication_role = replica;
UPDATE csstats.export_audit SET reason = 'edited' WHERE id = 2;
DELETE FROM csstats.export_audit WHERE id = 4;
RESET session_replication_role;
SELECT * FROM csstats.verify_audit() WHERE NOT ok;
-- a row re-hashed after the edit still breaks the chain at the next row
SET session_replication_role = replica;
UPDATE csstats.export_audit SET row_hash = csstats._export_audit_hash(export_audit) WHERE id = 2;
RESET session_replication_role;
SELECT * FROM csstats.verify_audit() WHERE NOT ok;
-- deleting the newest rows is noticed through the chain head
SET session_replication_role = replica;
DELETE FROM csstats.export_audit WHERE id >= (SELECT max(id) - 1 FROM csstats.export_audit);
RESET session_replication_role;
SELECT * FROM csstats.verify_audit() WHERE NOT ok;

-- clean up what this test created outside the database
SELECT pg_temp.export_state();
DROP OWNED BY export_nogrant, export_reader;
DROP ROLE export_nogrant, export_reader;
