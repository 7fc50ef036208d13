--
-- csstats.user_chat_sheet / user_chat_case_sheet: the columns of seeds 001
-- and 002, the metrics of metrics.md examples A and B, replayed per-case
-- attributes, names joined in, every filter, the date ranges and as_of.
--
SET timezone = 'Asia/Seoul';
SET datestyle = 'ISO, YMD';
SET extra_float_digits = 0;

INSERT INTO csstats.channels (id, name, timezone, chat_url_template) VALUES
	('sht', 'Sheet channel', 'Asia/Seoul', 'https://desk.example.com/#/channels/{channel_id}/user_chats/{chat_id}');
INSERT INTO csstats.operating_hours (channel_id, day_of_week, opens_at, closes_at)
SELECT 'sht', d, '09:00', '18:00' FROM generate_series(1, 5) d;
INSERT INTO csstats.managers (channel_id, id, name) VALUES
	('sht', 'm1', 'Alice'), ('sht', 'm2', 'Bob');
INSERT INTO csstats.teams (channel_id, id, name, manager_ids) VALUES
	('sht', 't1', 'Support', '{m1,m2}');
INSERT INTO csstats.users (channel_id, id, name) VALUES
	('sht', 'u1', 'Kim'), ('sht', 'u2', 'Lee');

-- a: example A (one case, no attribute events: the current row applies)
-- b: example B (case 1 Mon-Tue with a snooze, case 2 Tue after a reopen),
--    with assignee, team, tag, follower, priority and profile events
-- c: an inbound call, queued then opened, a missed meet, never closed
-- d: queued only, never opened
INSERT INTO csstats.user_chats (channel_id, id, user_id, name, description, summarized_message,
		state, direction, medium_name, medium_sender_name, marketing_type, marketing_id,
		workflow_id, support_bot_id, assignee_id, team_id, manager_ids, tags, priority, page,
		goal_state, goal_event_name, goal_checked_at, profile, created_at) VALUES
	('sht', 'a', 'u1', 'Kim (chat)', 'late parcel', 'parcel is late', 'closed', 'inbound',
		'inAppChat', NULL, 'campaign', 'mk1', 'wf1', 'sb1', 'm1', 't1', '{m1}',
		'{delivery/late}', 'high', 'https://shop.example.com/orders',
		'achieved', 'purchase', '2025-03-03 09:45+09', '{"csat": 5, "csatComment": "fast"}',
		'2025-03-03 08:50+09'),
	('sht', 'b', 'u2', 'Lee (chat)', NULL, NULL, 'closed', 'inbound',
		'email', NULL, NULL, NULL, NULL, NULL, 'm2', 't1', '{m1,m2}',
		'{refund}', 'low', NULL, NULL, NULL, NULL, '{"csatComment": "ok"}',
		'2025-03-03 17:50+09'),
	('sht', 'c', 'u1', NULL, NULL, NULL, 'open', 'inbound',
		'phoneNumber', '+8216444052', NULL, NULL, NULL, NULL, NULL, NULL, '{}',
		'{}', NULL, NULL, NULL, NULL, NULL, '{}',
		'2025-03-04 10:00+09'),
	('sht', 'd', NULL, 'Walk-in', NULL, NULL, 'queued', 'inbound',
		'appKakao', '@channel', NULL, NULL, NULL, NULL, NULL, NULL, '{}',
		'{delivery}', NULL, NULL, NULL, NULL, NULL, '{}',
		'2025-03-05 09:00+09');

INSERT INTO csstats.chat_events (channel_id, chat_id, at, kind, value) VALUES
	('sht', 'a', '2025-03-03 08:50:05+09', 'queued', NULL),
	('sht', 'a', '2025-03-03 09:00+09', 'opened', NULL),
	('sht', 'a', '2025-03-03 10:00+09', 'closed', NULL),
	('sht', 'b', '2025-03-03 17:50+09', 'opened', NULL),
	('sht', 'b', '2025-03-03 17:51+09', 'assigned', 'm1'),
	('sht', 'b', '2025-03-03 17:51+09', 'team_assigned', 't1'),
	('sht', 'b', '2025-03-03 17:52+09', 'tag_added', 'delivery'),
	('sht', 'b', '2025-03-03 17:52+09', 'follower_added', 'm1'),
	('sht', 'b', '2025-03-03 17:58+09', 'snoozed', NULL),
	('sht', 'b', '2025-03-03 18:30+09', 'opened', NULL),
	('sht', 'b', '2025-03-04 09:10+09', 'profile_changed', '{"csat": 3}'),
	('sht', 'b', '2025-03-04 09:20+09', 'closed', NULL),
	('sht', 'b', '2025-03-04 11:00+09', 'opened', NULL),
	('sht', 'b', '2025-03-04 11:01+09', 'assigned', 'm2'),
	('sht', 'b', '2025-03-04 11:01+09', 'tag_removed', 'delivery'),
	('sht', 'b', '2025-03-04 11:01+09', 'tag_added', 'refund'),
	('sht', 'b', '2025-03-04 11:01+09', 'follower_added', 'm2'),
	('sht', 'b', '2025-03-04 11:02+09', 'priority_changed', 'low'),
	('sht', 'b', '2025-03-04 11:09+09', 'profile_changed', '{"csat": null, "csatComment": "ok"}'),
	('sht', 'b', '2025-03-04 11:10+09', 'closed', NULL),
	('sht', 'c', '2025-03-04 10:00+09', 'queued', NULL),
	('sht', 'c', '2025-03-04 10:05+09', 'opened', NULL),
	('sht', 'd', '2025-03-05 09:00+09', 'queued', NULL);

INSERT INTO csstats.messages (channel_id, id, chat_id, person_type, person_id, created_at) VALUES
	('sht', 'a1', 'a', 'user', 'u1', '2025-03-03 08:50+09'),
	('sht', 'a2', 'a', 'manager', 'm1', '2025-03-03 09:10+09'),
	('sht', 'a3', 'a', 'user', 'u1', '2025-03-03 09:20+09'),
	('sht', 'a4', 'a', 'user', 'u1', '2025-03-03 09:21+09'),
	('sht', 'a5', 'a', 'manager', 'm1', '2025-03-03 09:30+09'),
	('sht', 'a6', 'a', 'bot', 'bot1', '2025-03-03 09:31+09'),
	('sht', 'a7', 'a', 'manager', 'm1', '2025-03-03 09:40+09'),
	('sht', 'b1', 'b', 'user', 'u2', '2025-03-03 17:50+09'),
	('sht', 'b2', 'b', 'manager', 'm1', '2025-03-03 17:55+09'),
	('sht', 'b3', 'b', 'user', 'u2', '2025-03-03 18:30+09'),
	('sht', 'b4', 'b', 'manager', 'm1', '2025-03-04 09:15+09'),
	('sht', 'b5', 'b', 'user', 'u2', '2025-03-04 11:00+09'),
	('sht', 'b6', 'b', 'manager', 'm2', '2025-03-04 11:05+09'),
	('sht', 'd1', 'd', 'user', NULL, '2025-03-05 09:00+09');

INSERT INTO csstats.meets (channel_id, id, user_chat_id, type, direction, started_at, ended_at, missed_reason) VALUES
	('sht', 'mt1', 'c', 'call', 'inbound', '2025-03-04 10:00+09', '2025-03-04 10:01+09', 'noOperator');

-- every column of the UserChat sheet, in the seed's order (example A)
\x on
SELECT * FROM csstats.user_chat_sheet('sht', as_of => '2025-03-10') WHERE id = 'a';
-- and of the UserChatCase sheet (example B, case 1: replayed attributes)
SELECT * FROM csstats.user_chat_case_sheet('sht', as_of => '2025-03-10')
WHERE user_chat_case_id = 'b-1';
\x off

-- chat level: examples A and B (latest period), the call, the never-opened chat
SELECT id, state, contact_medium_type AS medium, opened_at, first_replied_at_after_open,
       waiting_time, reply_count, total_reply_time, avg_reply_time, resolution_time, closed_at
FROM csstats.user_chat_sheet('sht', as_of => '2025-03-10');
SELECT id, operation_waiting_time, operation_reply_count, operation_total_reply_time,
       operation_avg_reply_time, operation_resolution_time, first_asked_at, first_queued_at,
       first_opened_at, first_replied_at
FROM csstats.user_chat_sheet('sht', as_of => '2025-03-10');

-- case level: examples A and B, the call (missed meet), the queued-only chat
SELECT user_chat_case_id, user_chat_case_created_at, user_chat_case_state AS case_state,
       user_chat_state, waiting_time, reply_count, total_reply_time, avg_reply_time,
       resolution_time, total_snoozed_time, lead_time, snoozed_count, missed_count
FROM csstats.user_chat_case_sheet('sht', as_of => '2025-03-10');
SELECT user_chat_case_id, operation_waiting_time, operation_reply_count,
       operation_total_reply_time, operation_avg_reply_time, operation_resolution_time,
       operation_lead_time, first_asked_at, first_replied_at, closed_at
FROM csstats.user_chat_case_sheet('sht', as_of => '2025-03-10');

-- replayed attributes per case, names joined in, the chat URL
SELECT user_chat_case_id, assignee_id, assignee_name, team_id, team_name, manager_ids,
       manager_names, tags, priority, profile, user_id, user_name
FROM csstats.user_chat_case_sheet('sht', as_of => '2025-03-10');
SELECT user_chat_case_id, user_chat_url, direction, medium_name, medium_sender_name
FROM csstats.user_chat_case_sheet('sht', as_of => '2025-03-10') WHERE user_chat_id IN ('a', 'c');

CREATE FUNCTION pg_temp.chats(filters jsonb, since timestamptz DEFAULT NULL,
	until timestamptz DEFAULT NULL, as_of timestamptz DEFAULT '2025-03-10')
RETURNS text LANGUAGE sql AS $$
	SELECT coalesce(string_agg(id, ',' ORDER BY created_at, id), '(none)')
	FROM csstats.user_chat_sheet('sht', since, until, filters, as_of)
$$;
CREATE FUNCTION pg_temp.cases(filters jsonb, since timestamptz DEFAULT NULL,
	until timestamptz DEFAULT NULL, as_of timestamptz DEFAULT '2025-03-10')
RETURNS text LANGUAGE sql AS $$
	SELECT coalesce(string_agg(user_chat_case_id, ',' ORDER BY user_chat_case_created_at,
		user_chat_case_id), '(none)')
	FROM csstats.user_chat_case_sheet('sht', since, until, filters, as_of)
$$;

-- filters: the chat sheet uses the chat's current row, the case sheet the
-- case's replayed values (b-1 was m1's, tagged delivery; b-2 is m2's, refund)
SELECT pg_temp.chats('{"assignee_ids": ["m1"]}') AS chats_m1,
       pg_temp.cases('{"assignee_ids": ["m1"]}') AS cases_m1,
       pg_temp.chats('{"assignee_ids": [null]}') AS chats_unassigned,
       pg_temp.cases('{"assignee_ids": ["m2", null]}') AS cases_m2_or_unassigned;
SELECT pg_temp.chats('{"tags_any": ["delivery"]}') AS chats_delivery,
       pg_temp.cases('{"tags_any": ["delivery"]}') AS cases_delivery,
       pg_temp.cases('{"tags_any": ["delivery/late"]}') AS cases_delivery_late,
       pg_temp.cases('{"tags_all": ["refund"]}') AS cases_refund;
SELECT pg_temp.chats('{"team_ids": ["t1"]}') AS chats_t1,
       pg_temp.cases('{"team_ids": [null]}') AS cases_no_team,
       pg_temp.chats('{"states": ["open", "queued"]}') AS chats_open_queued,
       pg_temp.cases('{"states": ["closed"]}') AS cases_closed;
SELECT pg_temp.chats('{"mediums": ["email", "appKakao"]}') AS chats_email_kakao,
       pg_temp.cases('{"mediums": ["email"]}') AS cases_email,
       pg_temp.chats('{"chat_ids": ["d", "b"]}') AS chats_chosen,
       pg_temp.cases('{"chat_ids": ["b"], "tags_any": ["refund"]}') AS cases_chosen_refund;

-- date ranges: chats by created_at, cases by userChatCaseCreatedAt, [since, until)
SELECT pg_temp.chats('{}', '2025-03-04', NULL) AS chats_from_tue,
       pg_temp.cases('{}', '2025-03-04', NULL) AS cases_from_tue,
       pg_temp.cases('{}', '2025-03-03 08:50:05', '2025-03-03 17:50') AS cases_mon_day,
       pg_temp.cases('{}', '2025-03-04 11:00', '2025-03-04 11:00:01') AS case_b2_only,
       pg_temp.cases('{}', NULL, '2025-03-04 10:00') AS cases_until_tue_10;

-- as_of: example A's case is inProgress until closedAt + 1 hour
SELECT as_of, user_chat_case_state, closed_at
FROM unnest(ARRAY['2025-03-03 10:30+09', '2025-03-03 10:59:59+09', '2025-03-03 11:00+09']::timestamptz[]) as_of,
     csstats.user_chat_case_sheet('sht', NULL, NULL, '{"chat_ids": ["a"]}', as_of);
-- as_of in the middle of example A: not closed yet, items after it ignored,
-- chats created later left out
SELECT id, opened_at, reply_count, waiting_time, resolution_time, closed_at
FROM csstats.user_chat_sheet('sht', as_of => '2025-03-03 09:25+09');
SELECT user_chat_case_id, user_chat_case_state, reply_count, closed_at, user_chat_state
FROM csstats.user_chat_case_sheet('sht', as_of => '2025-03-03 09:25+09');
-- as_of on Tuesday 10:00: case b-2 has not started; b-1 closed at 09:20 is
-- still inProgress (closedAt + 1 hour), a-1 is completed
SELECT user_chat_case_id, user_chat_case_state, assignee_id, tags, profile
FROM csstats.user_chat_case_sheet('sht', as_of => '2025-03-04 10:00+09');
SELECT pg_temp.chats('{}', as_of => NULL) AS as_of_null_is_now;

-- errors
\set VERBOSITY terse
SELECT * FROM csstats.user_chat_sheet('nope');
SELECT * FROM csstats.user_chat_case_sheet(NULL);
SELECT * FROM csstats.user_chat_case_sheet('sht', filters => '{"tag": ["x"]}');
SELECT * FROM csstats.user_chat_sheet('sht', '2025-03-05', '2025-03-04');
\set VERBOSITY default

-- caller's rights: no SECURITY DEFINER anywhere in the sheets
SELECT p.proname, p.prosecdef, p.provolatile
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = 'csstats'
  AND p.proname IN ('user_chat_sheet', 'user_chat_case_sheet', 'select_chats', 'parse_chat_filters')
ORDER BY 1;

-- deleting the channel cascades to every row of it
DELETE FROM csstats.channels WHERE id = 'sht';
SELECT count(*) AS left_over FROM csstats.user_chats WHERE channel_id = 'sht';

-- A small selection (under a quarter of the channel) reads only its chats
-- through the indexes; a large one makes one pass over the channel.  Both
-- give the same rows: add 20 chats created earlier, then compare.
INSERT INTO csstats.channels (id, name, timezone) VALUES ('sht2', 'Paths', 'Asia/Seoul');
INSERT INTO csstats.user_chats (channel_id, id, user_id, state, medium_name, assignee_id, tags, created_at)
SELECT 'sht2', 'z' || g, 'u9', 'open', 'inAppChat', 'm1', '{}', '2025-02-01 09:00+09'::timestamptz + g * interval '1 hour'
FROM generate_series(1, 20) g;
INSERT INTO csstats.chat_events (channel_id, chat_id, at, kind)
SELECT 'sht2', 'z' || g, '2025-02-01 09:00+09'::timestamptz + g * interval '1 hour', 'opened'
FROM generate_series(1, 20) g;
INSERT INTO csstats.messages (channel_id, id, chat_id, person_type, created_at)
SELECT 'sht2', 'zm' || g || '-' || k, 'z' || g, CASE WHEN k % 2 = 1 THEN 'user' ELSE 'manager' END,
	'2025-02-01 09:00+09'::timestamptz + g * interval '1 hour' + k * interval '70 seconds'
FROM generate_series(1, 20) g, generate_series(1, 4) k;
SELECT csstats.sheet_chat_condition('sht2', '{z1,z2}') AS small_selection,
       csstats.sheet_chat_condition('sht2', (SELECT array_agg('z' || g) FROM generate_series(1, 5) g)) AS large_selection;
SELECT count(*) AS rows_differing
FROM ((SELECT * FROM csstats.user_chat_sheet('sht2', filters => '{"chat_ids": ["z3", "z7"]}', as_of => '2025-03-10')
       EXCEPT
       SELECT * FROM csstats.user_chat_sheet('sht2', as_of => '2025-03-10') WHERE id IN ('z3', 'z7'))
      UNION ALL
      (SELECT * FROM csstats.user_chat_sheet('sht2', as_of => '2025-03-10') WHERE id IN ('z3', 'z7')
       EXCEPT
       SELECT * FROM csstats.user_chat_sheet('sht2', filters => '{"chat_ids": ["z3", "z7"]}', as_of => '2025-03-10'))) d;
SELECT count(*) AS rows_differing
FROM ((SELECT * FROM csstats.user_chat_case_sheet('sht2', filters => '{"chat_ids": ["z3", "z7"]}', as_of => '2025-03-10')
       EXCEPT
       SELECT * FROM csstats.user_chat_case_sheet('sht2', as_of => '2025-03-10') WHERE user_chat_id IN ('z3', 'z7'))
      UNION ALL
      (SELECT * FROM csstats.user_chat_case_sheet('sht2', as_of => '2025-03-10') WHERE user_chat_id IN ('z3', 'z7')
       EXCEPT
       SELECT * FROM csstats.user_chat_case_sheet('sht2', filters => '{"chat_ids": ["z3", "z7"]}', as_of => '2025-03-10'))) d;
SELECT id, reply_count, total_reply_time, waiting_time
FROM csstats.user_chat_sheet('sht2', filters => '{"chat_ids": ["z3", "z7"]}', as_of => '2025-03-10');
DELETE FROM csstats.channels WHERE id = 'sht2';
