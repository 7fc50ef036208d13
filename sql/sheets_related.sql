--
-- The data sheets related to the selected chats (sql/install/70_sheets_related.sql):
-- User, Workflow, SupportBot, Marketing, Manager, Team, Bot, UserChatTag,
-- Message and UserChat meet data.  Every sheet, every filter path through
-- csstats.select_chats, as_of, argument errors, inlining, and row-level
-- security (caller's rights).
--
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';

INSERT INTO csstats.channels (id, name) VALUES ('rel', 'Related sheets'), ('rel2', 'Other channel');
INSERT INTO csstats.managers (channel_id, id, account_id, username, name, email, mobile_number, role,
		removed, can_download, created_at, default_group_watch, default_direct_chat_watch,
		default_user_chat_watch, operator, operator_email_reminder) VALUES
	('rel', 'm2', 'acc2', 'bob', 'Bob', 'bob@example.com', NULL, 'member',
		true, false, '2025-01-02 00:00+00', 'none', 'info', 'all', false, false),
	('rel', 'm1', 'acc1', 'alice', 'Alice', 'alice@example.com', '+81-90-0000-0001', 'owner',
		false, true, '2025-01-01 00:00+00', 'all', 'all', 'info', true, true),
	('rel', 'm3', 'acc3', 'carol', 'Carol', NULL, NULL, 'member',
		false, false, '2025-06-01 00:00+00', NULL, NULL, NULL, false, false),
	('rel', 'm4', NULL, NULL, 'Dave', NULL, NULL, 'member',
		false, false, NULL, NULL, NULL, NULL, false, false),
	('rel2', 'm1', 'acc9', 'other', 'Other Alice', NULL, NULL, 'owner',
		false, true, '2025-01-01 00:00+00', NULL, NULL, NULL, false, false);
INSERT INTO csstats.teams (channel_id, id, name, manager_ids) VALUES
	('rel', 't1', 'Support', '{m1,m2}'),
	('rel', 't2', 'Billing', '{m3}'),
	('rel', 't3', 'Unused', '{}'),
	('rel2', 't1', 'Other support', '{m1}');
INSERT INTO csstats.bots (channel_id, id, name, created_at) VALUES
	('rel', 'b2', 'Night bot', '2025-06-01 00:00+00'),
	('rel', 'b1', 'Guide bot', '2025-01-01 00:00+00'),
	('rel2', 'b1', 'Other bot', '2025-01-01 00:00+00');
INSERT INTO csstats.chat_tags (channel_id, id, name, description, follower_ids, created_at) VALUES
	('rel', 'tag3', 'refund', NULL, '{}', '2025-06-01 00:00+00'),
	('rel', 'tag2', 'delivery/late', 'late parcels', '{m2}', '2025-01-01 00:00+00'),
	('rel', 'tag1', 'delivery', 'shipping', '{m1,m2}', '2025-01-01 00:00+00'),
	('rel2', 'tag1', 'other', NULL, '{}', '2025-01-01 00:00+00');
INSERT INTO csstats.marketing_messages (channel_id, id, type, name, created_at) VALUES
	('rel', 'mk1', 'campaign', 'Spring campaign', '2025-02-01 00:00+00'),
	('rel', 'mk2', 'oneTimeMsg', 'March mailing', '2025-02-15 00:00+00'),
	('rel', 'mk3', 'oneTimeMsg', 'Never used', '2025-02-20 00:00+00'),
	('rel2', 'mk1', 'campaign', 'Other campaign', '2025-02-01 00:00+00');
INSERT INTO csstats.user_profile_fields (channel_id, key, name, position) VALUES
	('rel', 'plan', 'Plan', 3), ('rel', 'email', 'Email', 1), ('rel', 'mobileNumber', 'Mobile', 2);
INSERT INTO csstats.users (channel_id, id, member_id, name, profile, created_at, updated_at) VALUES
	('rel', 'u1', 'mem-1', 'Yamada', '{"email": "yamada@example.com", "plan": "pro", "zeta": 1}',
		'2025-01-10 00:00+00', '2025-03-01 00:00+00'),
	('rel', 'u2', NULL, 'Kim', '{"mobileNumber": "+82-10-1", "alpha": true}', '2025-01-11 00:00+00', NULL),
	('rel', 'u3', 'mem-3', 'No chats', '{"email": "none@example.com"}', '2025-01-12 00:00+00', NULL),
	('rel', 'u4', NULL, 'Late', '{}', '2025-06-01 00:00+00', NULL),
	('rel2', 'u1', NULL, 'Other Yamada', '{"secret": "other channel"}', '2025-01-10 00:00+00', NULL);
-- c5's user u9 has no users row: it adds no User data row
INSERT INTO csstats.user_chats (channel_id, id, user_id, state, medium_name, marketing_type, marketing_id,
		workflow_id, support_bot_id, assignee_id, team_id, manager_ids, tags, created_at) VALUES
	('rel', 'c1', 'u1', 'closed',  'inAppChat',   'campaign',   'mk1', 'wf1', 'sb1', 'm1', 't1', '{m1}',    '{delivery}',             '2025-03-01 10:00+00'),
	('rel', 'c2', 'u2', 'open',    'email',       'oneTimeMsg', 'mk2', 'wf1', NULL,  'm2', 't1', '{m2,m1}', '{delivery/late,refund}', '2025-03-02 10:00+00'),
	('rel', 'c3', 'u1', 'queued',  'phoneNumber', NULL,         NULL,  NULL,  'sb1', NULL, 't2', '{}',      '{}',                     '2025-03-03 10:00+00'),
	('rel', 'c5', 'u9', 'closed',  'inAppChat',   NULL,         NULL,  NULL,  NULL,  'm2', 't1', '{}',      '{refund}',               '2025-03-04 10:00+00'),
	('rel', 'c4', 'u4', 'snoozed', 'appKakao',    'campaign',   'mk1', 'wf2', NULL,  'm1', NULL, '{m1}',    '{refund}',               '2025-06-02 10:00+00'),
	('rel2', 'c1', 'u1', 'open',   'inAppChat',   'campaign',   'mk1', 'wf1', NULL,  'm1', 't1', '{}',      '{other}',                '2025-03-01 10:00+00');
-- messages inserted out of order; two of c1's share a time (id decides)
INSERT INTO csstats.messages (channel_id, id, chat_id, person_type, person_id, created_at, plain_text) VALUES
	('rel', 'msg05', 'c2', 'user',    'u2', '2025-03-02 10:01+00', 'Where is my parcel?'),
	('rel', 'msg03', 'c1', 'manager', 'm1', '2025-03-01 10:05+00', '=1+1 is not a formula'),
	('rel', 'msg02', 'c1', 'bot',     'b1', '2025-03-01 10:02+00', 'A manager will answer soon.'),
	('rel', 'msg01', 'c1', 'user',    'u1', '2025-03-01 10:02+00', 'Hello'),
	('rel', 'msg06', 'c2', 'manager', 'm2', '2025-05-10 09:00+00', 'Sorry for the wait'),
	('rel', 'msg07', 'c3', 'user',    'u1', '2025-03-03 10:00+00', NULL),
	('rel', 'msg08', 'c4', 'user',    'u4', '2025-06-02 10:00+00', 'Late chat'),
	('rel2', 'msg01', 'c1', 'user',   'u1', '2025-03-01 10:01+00', 'other channel');
INSERT INTO csstats.meets (channel_id, id, user_chat_id, type, direction, started_at, engaged_at, ended_at,
		from_number, to_number, missed_reason, duration, primary_number, representative_number) VALUES
	('rel', 'meet2', 'c3', 'call', 'inbound', '2025-05-10 09:00+00', NULL, '2025-05-10 09:01+00',
		'+81-3-0000', '+81-3-1111', 'noOperator', 0, '+81-3-1111', NULL),
	('rel', 'meet1', 'c3', 'call', 'inbound', '2025-03-03 10:00+00', '2025-03-03 10:01+00', '2025-03-03 10:05:30+00',
		'+81-3-0000', '+81-3-1111', NULL, 270, '+81-3-1111', '+81-3-2222'),
	('rel', 'meet0', 'c1', 'frontMeet', 'outbound', NULL, NULL, NULL,
		NULL, NULL, NULL, NULL, NULL, NULL),
	('rel2', 'meet1', 'c1', 'call', 'inbound', '2025-03-01 10:00+00', NULL, NULL,
		NULL, NULL, 'userleft', 0, NULL, NULL);
INSERT INTO csstats.workflow_runs (channel_id, chat_id, workflow_id, revision_id, section_path, cause_of_end) VALUES
	('rel', 'c2', 'wf1', 'r1', '{start,refund}', 'interruptByUser'),
	('rel', 'c1', 'wf1', 'r1', '{start,delivery}', 'endWithoutError'),
	('rel', 'c2', 'wf0', 'r9', '{start}', 'interruptByManager'),
	('rel', 'c4', 'wf2', 'r2', '{start}', 'endWithoutError'),
	('rel2', 'c1', 'wf1', 'r1', '{other}', 'endWithoutError');
INSERT INTO csstats.support_bot_runs (channel_id, chat_id, support_bot_id, revision_id, section_path) VALUES
	('rel', 'c3', 'sb1', 'r2', '{s1,s2}'),
	('rel', 'c1', 'sb1', 'r1', '{s1}'),
	('rel2', 'c1', 'sb1', 'r1', '{other}');

-- Every sheet, no filter (as_of = now(): everything exists).  The other
-- channel's rows with the same ids never appear.
SELECT * FROM csstats.user_sheet('rel');
SELECT * FROM csstats.user_sheet_profile_keys('rel');
SELECT * FROM csstats.workflow_sheet('rel');
SELECT * FROM csstats.support_bot_sheet('rel');
SELECT * FROM csstats.marketing_sheet('rel');
SELECT * FROM csstats.manager_sheet('rel');
SELECT * FROM csstats.team_sheet('rel');
SELECT * FROM csstats.bot_sheet('rel');
SELECT * FROM csstats.user_chat_tag_sheet('rel');
SELECT * FROM csstats.message_sheet('rel');
SELECT * FROM csstats.user_chat_meet_sheet('rel');

-- One line per selection: what each chat-related sheet returns (ids in row
-- order), so every filter path of select_chats is checked on every sheet.
CREATE FUNCTION pg_temp.related(since timestamptz, until timestamptz, filters jsonb,
		as_of timestamptz DEFAULT now())
RETURNS TABLE (users text, workflows text, support_bots text, marketing text, teams text,
	messages text, meets text)
LANGUAGE sql AS $$
	SELECT
		(SELECT coalesce(string_agg(id, ','), '-') FROM csstats.user_sheet('rel', since, until, filters, as_of)),
		(SELECT coalesce(string_agg(id || '/' || revision_id, ','), '-') FROM csstats.workflow_sheet('rel', since, until, filters, as_of)),
		(SELECT coalesce(string_agg(id || '/' || revision_id, ','), '-') FROM csstats.support_bot_sheet('rel', since, until, filters, as_of)),
		(SELECT coalesce(string_agg(id, ','), '-') FROM csstats.marketing_sheet('rel', since, until, filters, as_of)),
		(SELECT coalesce(string_agg(id, ','), '-') FROM csstats.team_sheet('rel', since, until, filters, as_of)),
		(SELECT coalesce(string_agg(chat_id || ':' || person_type, ','), '-') FROM csstats.message_sheet('rel', since, until, filters, as_of)),
		(SELECT coalesce(string_agg(id, ','), '-') FROM csstats.user_chat_meet_sheet('rel', since, until, filters, as_of))
$$;
-- the channel-wide sheets do not depend on the selection
CREATE FUNCTION pg_temp.channel_wide(since timestamptz, until timestamptz, filters jsonb,
		as_of timestamptz DEFAULT now())
RETURNS TABLE (managers text, bots text, tags text)
LANGUAGE sql AS $$
	SELECT
		(SELECT coalesce(string_agg(id, ','), '-') FROM csstats.manager_sheet('rel', since, until, filters, as_of)),
		(SELECT coalesce(string_agg(id, ','), '-') FROM csstats.bot_sheet('rel', since, until, filters, as_of)),
		(SELECT coalesce(string_agg(name, ','), '-') FROM csstats.user_chat_tag_sheet('rel', since, until, filters, as_of))
$$;

\x on
-- date range: half-open on the chats' created_at
SELECT * FROM pg_temp.related('2025-03-02 10:00+00', '2025-03-04 10:00+00', '{}');
SELECT * FROM pg_temp.related('2025-03-04 10:00+00', NULL, '{}');
SELECT * FROM pg_temp.related(NULL, '2025-03-01 10:00+00', '{}');
-- assignee (null = unassigned) and team
SELECT * FROM pg_temp.related(NULL, NULL, '{"assignee_ids": ["m1"]}');
SELECT * FROM pg_temp.related(NULL, NULL, '{"assignee_ids": [null]}');
SELECT * FROM pg_temp.related(NULL, NULL, '{"team_ids": ["t2", null]}');
-- states and mediums
SELECT * FROM pg_temp.related(NULL, NULL, '{"states": ["open", "queued"]}');
SELECT * FROM pg_temp.related(NULL, NULL, '{"mediums": ["inAppChat"]}');
-- tags: a parent matches its children; AND search
SELECT * FROM pg_temp.related(NULL, NULL, '{"tags_any": ["delivery"]}');
SELECT * FROM pg_temp.related(NULL, NULL, '{"tags_all": ["delivery", "refund"]}');
-- explicit selection (the inbox path), combined with a date range
SELECT * FROM pg_temp.related('2025-03-01 00:00+00', '2025-04-01 00:00+00', '{"chat_ids": ["c3", "c4", "c9"]}');
-- nothing selected
SELECT * FROM pg_temp.related(NULL, NULL, '{"states": ["missed"]}');
-- as_of: chats, messages, meets and reference rows created after it are left out
SELECT * FROM pg_temp.related(NULL, NULL, '{}', '2025-05-01 00:00+00');
SELECT * FROM pg_temp.related(NULL, NULL, '{}', '2025-05-10 09:00+00');
SELECT * FROM pg_temp.related(NULL, NULL, '{}', NULL);
SELECT * FROM pg_temp.channel_wide(NULL, NULL, '{}');
SELECT * FROM pg_temp.channel_wide('2025-03-01 00:00+00', '2025-03-02 00:00+00', '{"states": ["missed"]}');
SELECT * FROM pg_temp.channel_wide(NULL, NULL, '{}', '2025-05-01 00:00+00');
\x off
SELECT * FROM csstats.user_sheet('rel', as_of => '2025-05-01 00:00+00');
SELECT * FROM csstats.user_sheet_profile_keys('rel', filters => '{"chat_ids": ["c2"]}');
SELECT * FROM csstats.message_sheet('rel', as_of => '2025-05-01 00:00+00');

-- Argument errors: every sheet checks the channel, the range and the filters,
-- including the channel-wide ones that do not read the chats.
CREATE FUNCTION pg_temp.err(sheet text, channel text, since timestamptz, until timestamptz, filters jsonb)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	st text; msg text; n bigint;
BEGIN
	EXECUTE format('SELECT count(*) FROM csstats.%I($1, $2, $3, $4)', sheet)
		INTO n USING channel, since, until, filters;
	RETURN n || ' rows';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
	RETURN st || ': ' || msg;
END
$$;
SELECT s.sheet,
	pg_temp.err(s.sheet, 'nope', NULL, NULL, '{}') AS unknown_channel,
	pg_temp.err(s.sheet, NULL, NULL, NULL, '{}') AS null_channel,
	pg_temp.err(s.sheet, 'rel', '2025-03-02', '2025-03-01', '{}') AS reversed_range,
	pg_temp.err(s.sheet, 'rel', NULL, NULL, '{"tag": ["x"]}') AS unknown_key,
	pg_temp.err(s.sheet, 'rel', NULL, NULL, '{"states": ["gone"]}') AS bad_state
FROM unnest(ARRAY['user_sheet', 'user_sheet_profile_keys', 'workflow_sheet', 'support_bot_sheet',
	'marketing_sheet', 'manager_sheet', 'team_sheet', 'bot_sheet', 'user_chat_tag_sheet',
	'message_sheet', 'user_chat_meet_sheet']) AS s(sheet);
-- (a NULL channel_id selects nothing, as in select_chats: the planner proves
-- that no row can match before any check runs)
-- the explicit-selection limit (200 chat_ids by default) applies to every sheet
SELECT s.sheet, pg_temp.err(s.sheet, 'rel', NULL, NULL,
		jsonb_build_object('chat_ids', (SELECT jsonb_agg('c' || g) FROM generate_series(1, 201) g))) AS chat_ids_201,
	pg_temp.err(s.sheet, 'rel', NULL, NULL,
		jsonb_build_object('chat_ids', (SELECT jsonb_agg('c' || g) FROM generate_series(1, 200) g))) AS chat_ids_200
FROM unnest(ARRAY['message_sheet', 'manager_sheet']) AS s(sheet);

-- Properties: caller's rights, STABLE, a comment naming the seed sheet, and
-- inlinable (no function scan of the sheet itself in the plan), so Message
-- data streams as one indexed join.
SELECT p.proname, p.prosecdef, p.provolatile, p.proparallel, p.proisstrict,
	p.prosqlbody IS NOT NULL AS standard_body, p.proconfig,
	substring(obj_description(p.oid, 'pg_proc') FROM '^[A-Za-z ]+ data') AS seed_sheet
FROM pg_proc p
WHERE p.pronamespace = 'csstats'::regnamespace
	AND p.proname IN ('user_sheet', 'workflow_sheet', 'support_bot_sheet', 'marketing_sheet',
		'manager_sheet', 'team_sheet', 'bot_sheet', 'user_chat_tag_sheet', 'message_sheet',
		'user_chat_meet_sheet')
ORDER BY p.proname;
CREATE FUNCTION pg_temp.plan_of(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	line text;
	plan text := '';
BEGIN
	FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
		plan := plan || line || E'\n';
	END LOOP;
	RETURN plan;
END
$$;
SELECT s.sheet,
	pg_temp.plan_of(format('SELECT * FROM csstats.%I(''rel'')', s.sheet)) ~ ('Function Scan on ' || s.sheet)
		AS function_scan_of_the_sheet
FROM unnest(ARRAY['user_sheet', 'workflow_sheet', 'support_bot_sheet', 'marketing_sheet',
	'manager_sheet', 'team_sheet', 'bot_sheet', 'user_chat_tag_sheet', 'message_sheet',
	'user_chat_meet_sheet']) AS s(sheet);
-- Message data through a cursor (as the export reads it), on a generated
-- channel large enough for real statistics: one nested loop over the selected
-- chats with an index scan of messages per chat and an incremental sort whose
-- presorted key is the chat order: no sort of the whole sheet, rows stream.
SET client_min_messages = warning;
SELECT count(*) > 0 AS generated FROM csstats.generate_demo('relbig', 300);
RESET client_min_messages;
ANALYZE csstats.user_chats;
ANALYZE csstats.messages;
CREATE FUNCTION pg_temp.cursor_plan(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	line text;
	plan text := '';
BEGIN
	FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) DECLARE plan_probe CURSOR FOR ' || q LOOP
		plan := plan || line || E'\n';
	END LOOP;
	RETURN plan;
END
$$;
SELECT p ~ '->  Incremental Sort' AS incremental_sort,
	p ~ 'Presorted Key: c.ordinality' AS presorted_by_chat,
	p !~ '->  Sort' AS no_full_sort,
	p ~ 'Index Scan using messages_chat_idx on messages' AS index_scan_per_chat,
	p ~ 'One-Time Filter: csstats._sheet_arguments_valid' AS arguments_checked_once
FROM pg_temp.cursor_plan('SELECT * FROM csstats.message_sheet(''relbig'')') AS p;
-- the sheets agree with independent queries on the generated channel
SELECT
	(SELECT array_agg(ROW(m.chat_id, m.person_type, m.person_id, m.created_at, m.plain_text)
			ORDER BY c.created_at, c.id, m.created_at, m.id COLLATE "C")
		FROM csstats.user_chats c JOIN csstats.messages m ON m.channel_id = c.channel_id AND m.chat_id = c.id
		WHERE c.channel_id = 'relbig' AND c.created_at <= now() AND m.created_at <= now())
	= (SELECT array_agg(ROW(s.*)) FROM csstats.message_sheet('relbig') s) AS messages_equal,
	(SELECT count(*) FROM csstats.message_sheet('relbig')) > 1000 AS many_messages,
	(SELECT array_agg(u.id ORDER BY u.id COLLATE "C") FROM csstats.users u
		WHERE u.channel_id = 'relbig' AND u.id IN (SELECT user_id FROM csstats.user_chats WHERE channel_id = 'relbig'))
	= (SELECT array_agg(s.id) FROM csstats.user_sheet('relbig') s) AS users_equal,
	(SELECT count(*) FROM csstats.meets WHERE channel_id = 'relbig')
	= (SELECT count(*) FROM csstats.user_chat_meet_sheet('relbig')) AS meets_equal,
	(SELECT count(*) FROM csstats.workflow_runs WHERE channel_id = 'relbig')
	= (SELECT count(*) FROM csstats.workflow_sheet('relbig')) AS workflows_equal,
	(SELECT count(*) FROM csstats.support_bot_runs WHERE channel_id = 'relbig')
	= (SELECT count(*) FROM csstats.support_bot_sheet('relbig')) AS support_bots_equal;
DELETE FROM csstats.channels WHERE id = 'relbig';
-- a cursor reads it row by row, in the same order
BEGIN;
DECLARE msgs CURSOR FOR SELECT * FROM csstats.message_sheet('rel');
FETCH 2 FROM msgs;
FETCH ALL FROM msgs;
COMMIT;

-- Row-level security: the sheets run with the caller's rights.  A reader
-- whose policies show only m1's chats and no bot messages sees exactly that
-- through the sheets; without a grant it gets an error, not another role's rows.
CREATE ROLE csstats_rel_reader;
GRANT USAGE ON SCHEMA csstats TO csstats_rel_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA csstats TO csstats_rel_reader;
ALTER TABLE csstats.user_chats ENABLE ROW LEVEL SECURITY;
ALTER TABLE csstats.messages ENABLE ROW LEVEL SECURITY;
CREATE POLICY rel_reader_m1 ON csstats.user_chats FOR SELECT TO csstats_rel_reader
	USING (assignee_id = 'm1');
CREATE POLICY rel_reader_no_bots ON csstats.messages FOR SELECT TO csstats_rel_reader
	USING (person_type <> 'bot');
SET ROLE csstats_rel_reader;
\x on
SELECT * FROM pg_temp.related(NULL, NULL, '{}');
-- asking for another assignee's chats explicitly shows nothing of them
SELECT * FROM pg_temp.related(NULL, NULL, '{"chat_ids": ["c2", "c3"]}');
\x off
SELECT * FROM csstats.message_sheet('rel');
RESET ROLE;
-- the owner (superuser) still sees everything
SELECT count(*) AS all_messages FROM csstats.message_sheet('rel');
DROP POLICY rel_reader_m1 ON csstats.user_chats;
DROP POLICY rel_reader_no_bots ON csstats.messages;
ALTER TABLE csstats.user_chats DISABLE ROW LEVEL SECURITY;
ALTER TABLE csstats.messages DISABLE ROW LEVEL SECURITY;
-- no grant on messages: permission denied, not an empty sheet
REVOKE SELECT ON csstats.messages FROM csstats_rel_reader;
SET ROLE csstats_rel_reader;
SELECT pg_temp.err('message_sheet', 'rel', NULL, NULL, '{}') AS without_grant;
SELECT count(*) AS meets_still_readable FROM csstats.user_chat_meet_sheet('rel');
RESET ROLE;
REVOKE ALL ON ALL TABLES IN SCHEMA csstats FROM csstats_rel_reader;
REVOKE USAGE ON SCHEMA csstats FROM csstats_rel_reader;
DROP ROLE csstats_rel_reader;

DELETE FROM csstats.channels WHERE id IN ('rel', 'rel2');
