--
-- csstats.select_chats / parse_chat_filters: the date range and every jsonb
-- filter of export.md, their errors, and row-level security (caller's rights).
--
INSERT INTO csstats.channels (id, name) VALUES ('flt', 'Filter channel');
INSERT INTO csstats.managers (channel_id, id, name) VALUES
	('flt', 'm1', 'Alice'), ('flt', 'm2', 'Bob');
INSERT INTO csstats.teams (channel_id, id, name, manager_ids) VALUES
	('flt', 't1', 'Support', '{m1,m2}');
INSERT INTO csstats.user_chats (channel_id, id, state, medium_name, assignee_id, team_id, tags, created_at) VALUES
	('flt', 'c1', 'closed',  'inAppChat',   'm1', 't1', '{delivery}',                '2025-03-01 10:00+00'),
	('flt', 'c2', 'open',    'email',       'm2', 't1', '{delivery/late,refund}',    '2025-03-02 10:00+00'),
	('flt', 'c3', 'queued',  'phoneNumber', NULL, NULL, '{deliveryman}',             '2025-03-03 10:00+00'),
	('flt', 'c4', 'snoozed', 'appKakao',    'm1', NULL, '{refund,vip}',              '2025-03-04 10:00+00'),
	('flt', 'c5', 'missed',  'appLine',     'm2', 't1', '{}',                        '2025-03-05 10:00+00'),
	('flt', 'c6', 'closed',  'inAppChat',   'm1', 't1', '{delivery/late/very,vip}',  '2025-03-06 10:00+00');

CREATE FUNCTION pg_temp.ids(since timestamptz, until timestamptz, filters jsonb)
RETURNS text LANGUAGE sql AS $$
	SELECT coalesce(string_agg(id, ',' ORDER BY created_at, id), '(none)')
	FROM csstats.select_chats('flt', since, until, filters)
$$;
-- SQLSTATE and message of a failing call
CREATE FUNCTION pg_temp.err(since timestamptz, until timestamptz, filters jsonb)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	st text; msg text; det text; hint text;
BEGIN
	PERFORM count(*) FROM csstats.select_chats('flt', since, until, filters);
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
		det = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
	RETURN st || ': ' || msg || coalesce(' | ' || nullif(det, ''), '') || coalesce(' | ' || nullif(hint, ''), '');
END
$$;

-- no filter, empty object and SQL NULL select everything, oldest first
SELECT pg_temp.ids(NULL, NULL, '{}') AS all_chats,
       pg_temp.ids(NULL, NULL, NULL) AS null_filters,
       pg_temp.ids(NULL, NULL, '{"states": null}') AS json_null_key;
SELECT id FROM csstats.select_chats('flt') LIMIT 2;
SELECT count(*) FROM csstats.select_chats('no such channel');

-- the date range is half-open on created_at: [since, until)
SELECT pg_temp.ids('2025-03-02 10:00+00', '2025-03-05 10:00+00', '{}') AS range,
       pg_temp.ids('2025-03-05 10:00+00', NULL, '{}') AS since_only,
       pg_temp.ids(NULL, '2025-03-02 10:00+00', '{}') AS until_only,
       pg_temp.ids('2025-03-03 10:00+00', '2025-03-03 10:00+00', '{}') AS empty_range;

-- assignee and team (null selects unassigned / no team)
SELECT pg_temp.ids(NULL, NULL, '{"assignee_ids": ["m1"]}') AS m1,
       pg_temp.ids(NULL, NULL, '{"assignee_ids": ["m1", null]}') AS m1_or_unassigned,
       pg_temp.ids(NULL, NULL, '{"assignee_ids": [null]}') AS unassigned,
       pg_temp.ids(NULL, NULL, '{"assignee_ids": []}') AS empty_list;
SELECT pg_temp.ids(NULL, NULL, '{"team_ids": ["t1"]}') AS t1,
       pg_temp.ids(NULL, NULL, '{"team_ids": [null]}') AS no_team,
       pg_temp.ids(NULL, NULL, '{"team_ids": ["t9"]}') AS unknown_team;

-- states and mediums
SELECT pg_temp.ids(NULL, NULL, '{"states": ["open", "closed"]}') AS open_or_closed,
       pg_temp.ids(NULL, NULL, '{"states": ["missed"]}') AS missed,
       pg_temp.ids(NULL, NULL, '{"mediums": ["inAppChat"]}') AS in_app,
       pg_temp.ids(NULL, NULL, '{"mediums": ["email", "phoneNumber"]}') AS email_or_phone;

-- tags: a tag matches its children, never a longer name ('deliveryman')
SELECT pg_temp.ids(NULL, NULL, '{"tags_any": ["delivery"]}') AS delivery,
       pg_temp.ids(NULL, NULL, '{"tags_any": ["delivery/late"]}') AS delivery_late,
       pg_temp.ids(NULL, NULL, '{"tags_any": ["deliveryman"]}') AS deliveryman,
       pg_temp.ids(NULL, NULL, '{"tags_any": ["deliver"]}') AS prefix_of_a_name;
SELECT pg_temp.ids(NULL, NULL, '{"tags_any": ["refund", "vip"]}') AS refund_or_vip,
       pg_temp.ids(NULL, NULL, '{"tags_all": ["refund", "vip"]}') AS refund_and_vip,
       pg_temp.ids(NULL, NULL, '{"tags_all": ["delivery", "vip"]}') AS delivery_and_vip,
       pg_temp.ids(NULL, NULL, '{"tags_all": []}') AS all_of_nothing,
       pg_temp.ids(NULL, NULL, '{"tags_any": []}') AS any_of_nothing;
SELECT csstats.tags_match_any('{a/b/c}', '{a/b}') AS child,
       csstats.tags_match_any('{a/b}', '{a/b/c}') AS parent_is_not_child,
       csstats.tags_match_any('{ab}', '{a}') AS longer_name,
       csstats.tags_match_all('{x, a/b}', '{a, x}') AS all_two,
       csstats.tags_match_all('{}', '{}') AS vacuous;

-- explicit selection (inbox path), combined with the other filters
SELECT pg_temp.ids(NULL, NULL, '{"chat_ids": ["c5", "c2", "nope"]}') AS chosen,
       pg_temp.ids(NULL, NULL, '{"chat_ids": ["c1", "c2", "c4"], "assignee_ids": ["m1"]}') AS chosen_m1,
       pg_temp.ids('2025-03-02 00:00+00', NULL,
                   '{"assignee_ids": ["m1"], "tags_any": ["vip"], "states": ["closed", "snoozed"]}') AS combined;

-- errors name the key (22023 invalid_parameter_value; 54000 over the limit)
SELECT pg_temp.err(NULL, NULL, '{"assignee": ["m1"]}');
SELECT pg_temp.err(NULL, NULL, '{"states": "open"}');
SELECT pg_temp.err(NULL, NULL, '{"tags_all": ["a", 3]}');
SELECT pg_temp.err(NULL, NULL, '{"chat_ids": [""]}');
SELECT pg_temp.err(NULL, NULL, '{"states": [null]}');
SELECT pg_temp.err(NULL, NULL, '{"assignee_ids": [{"id": "m1"}]}');
SELECT pg_temp.err(NULL, NULL, '{"states": ["open", "resolved"]}');
SELECT pg_temp.err(NULL, NULL, '{"mediums": ["fax"]}');
SELECT pg_temp.err(NULL, NULL, '["states"]');
SELECT pg_temp.err(NULL, NULL, 'null');
SELECT pg_temp.err('2025-03-05', '2025-03-01', '{}');
-- validated before any row is read: a channel without chats still checks
SELECT count(*) FROM csstats.select_chats('no such channel', NULL, NULL, '{"bogus": 1}');
SELECT pg_temp.err(NULL, NULL,
    jsonb_build_object('chat_ids', (SELECT jsonb_agg('x' || g) FROM generate_series(1, 201) g)));
SELECT pg_temp.err(NULL, NULL,
    jsonb_build_object('chat_ids', (SELECT jsonb_agg('x' || g) FROM generate_series(1, 200) g)));

-- the parsed form, reusable by other functions
SELECT * FROM csstats.parse_chat_filters('{"assignee_ids": ["m1", null], "tags_any": ["delivery"], "mediums": ["email"]}');

-- caller's rights: row-level security on user_chats applies to select_chats
CREATE ROLE csstats_flt_reader;
GRANT USAGE ON SCHEMA csstats TO csstats_flt_reader;
GRANT SELECT ON csstats.user_chats TO csstats_flt_reader;
ALTER TABLE csstats.user_chats ENABLE ROW LEVEL SECURITY;
CREATE POLICY flt_only_m1 ON csstats.user_chats FOR SELECT TO csstats_flt_reader
	USING (assignee_id = 'm1');
SET ROLE csstats_flt_reader;
SELECT string_agg(id, ',' ORDER BY id) AS visible_to_reader FROM csstats.select_chats('flt');
SELECT string_agg(id, ',' ORDER BY id) AS reader_tags_vip
FROM csstats.select_chats('flt', NULL, NULL, '{"tags_any": ["vip"]}');
RESET ROLE;
DROP POLICY flt_only_m1 ON csstats.user_chats;
ALTER TABLE csstats.user_chats DISABLE ROW LEVEL SECURITY;
-- without a grant the reader sees nothing at all: an error, not an empty set
REVOKE SELECT ON csstats.user_chats FROM csstats_flt_reader;
SET ROLE csstats_flt_reader;
SELECT count(*) FROM csstats.select_chats('flt');
RESET ROLE;
REVOKE USAGE ON SCHEMA csstats FROM csstats_flt_reader;
DROP ROLE csstats_flt_reader;

DELETE FROM csstats.channels WHERE id = 'flt';
