-- Messy data never crashes or misleads: rows out of insertion order, equal
-- timestamps, duplicate events, no messages, never opened, closed twice,
-- snoozed and never reopened, rows after as_of, events of a deleted chat;
-- attribute replay and its fallback to the current row; clear errors.
SET timezone = 'UTC';
SET extra_float_digits = 0;

-- no operating_hours rows: open 24/7, so operation* equal the plain values
INSERT INTO csstats.channels (id, name) VALUES ('mmx', 'messy');

CREATE TEMP TABLE mm_chats (id text, state text, medium text, direction text,
	assignee text, team text, followers text[], tags text[], priority text, profile jsonb);
INSERT INTO mm_chats VALUES
	('M1', 'closed', 'inAppChat', 'inbound', NULL, NULL, '{}', '{}', NULL, '{}'),
	('M2', 'open', 'inAppChat', 'inbound', NULL, NULL, '{}', '{}', NULL, '{}'),
	('M3', 'closed', 'inAppChat', 'inbound', NULL, NULL, '{}', '{}', NULL, '{}'),
	('M4', 'closed', 'email', 'inbound', NULL, NULL, '{}', '{}', NULL, '{}'),
	('M5', 'missed', 'phoneNumber', 'inbound', NULL, NULL, '{}', '{}', NULL, '{}'),
	('M6', 'closed', 'inAppChat', 'inbound', NULL, NULL, '{}', '{}', NULL, '{}'),
	('M7', 'snoozed', 'inAppChat', 'inbound', NULL, NULL, '{}', '{}', NULL, '{}'),
	('M8', 'open', 'inAppChat', 'inbound', NULL, NULL, '{}', '{}', NULL, '{}'),
	('M9', 'open', 'appLine', 'inbound', 'mgr-now', 'team-now', '{f-now}', '{now}', 'low',
		'{"csat": 1, "custom": "now"}'),
	('M10', 'closed', 'inAppChat', 'outbound', 'mgr-cur', 'team-cur', '{f2,f1}', '{b,a}', 'high',
		'{"csat": 4}'),
	('M11', 'open', 'phoneNumber', 'inbound', NULL, NULL, '{}', '{}', NULL, '{}');
INSERT INTO csstats.user_chats (channel_id, id, state, medium_name, direction, assignee_id,
	team_id, manager_ids, tags, priority, profile, created_at)
SELECT 'mmx', id, state, medium, direction, assignee, team, followers, tags, priority, profile,
	'2025-03-03 08:00+00' FROM mm_chats;

-- M1: rows inserted in reverse: event ids run against time, message ids too
INSERT INTO csstats.chat_events (channel_id, chat_id, at, kind) VALUES
	('mmx', 'M1', '2025-03-03 10:00', 'closed'),
	('mmx', 'M1', '2025-03-03 09:00', 'opened'),
	('mmx', 'M1', '2025-03-03 08:59', 'queued');
INSERT INTO csstats.messages (channel_id, id, chat_id, person_type, created_at) VALUES
	('mmx', 'M1-a', 'M1', 'manager', '2025-03-03 09:30'),
	('mmx', 'M1-b', 'M1', 'user', '2025-03-03 09:20'),
	('mmx', 'M1-c', 'M1', 'manager', '2025-03-03 09:05'),
	('mmx', 'M1-d', 'M1', 'user', '2025-03-03 08:58');

-- M2: everything at one instant: opened (event first), then messages by id:
-- M2-a (user) before M2-b (manager) is a reply of 0 s; then M2-c (user) and
-- M2-d (manager) one second later
INSERT INTO csstats.messages (channel_id, id, chat_id, person_type, created_at) VALUES
	('mmx', 'M2-b', 'M2', 'manager', '2025-03-03 09:00'),
	('mmx', 'M2-a', 'M2', 'user', '2025-03-03 09:00'),
	('mmx', 'M2-d', 'M2', 'manager', '2025-03-03 09:00:01'),
	('mmx', 'M2-c', 'M2', 'user', '2025-03-03 09:00:01');
INSERT INTO csstats.chat_events (channel_id, chat_id, at, kind) VALUES
	('mmx', 'M2', '2025-03-03 09:00', 'opened');

-- M3: duplicated events (a loader retried): opened x2, snoozed x2, closed x2
INSERT INTO csstats.chat_events (channel_id, chat_id, at, kind) VALUES
	('mmx', 'M3', '2025-03-03 09:00', 'opened'),
	('mmx', 'M3', '2025-03-03 09:00', 'opened'),
	('mmx', 'M3', '2025-03-03 09:10', 'snoozed'),
	('mmx', 'M3', '2025-03-03 09:10', 'snoozed'),
	('mmx', 'M3', '2025-03-03 09:40', 'opened'),
	('mmx', 'M3', '2025-03-03 10:00', 'closed'),
	('mmx', 'M3', '2025-03-03 10:00', 'closed');
INSERT INTO csstats.messages (channel_id, id, chat_id, person_type, created_at) VALUES
	('mmx', 'M3-a', 'M3', 'user', '2025-03-03 08:55'),
	('mmx', 'M3-b', 'M3', 'manager', '2025-03-03 09:45');

-- M4: no messages at all
INSERT INTO csstats.chat_events (channel_id, chat_id, at, kind) VALUES
	('mmx', 'M4', '2025-03-03 09:00', 'queued'),
	('mmx', 'M4', '2025-03-03 09:05', 'opened'),
	('mmx', 'M4', '2025-03-03 09:35', 'closed');

-- M5: an inbound call that was never opened: queued, missed, a missed meet
INSERT INTO csstats.chat_events (channel_id, chat_id, at, kind) VALUES
	('mmx', 'M5', '2025-03-03 09:00', 'queued'),
	('mmx', 'M5', '2025-03-03 09:01', 'missed');
INSERT INTO csstats.meets (channel_id, id, user_chat_id, type, direction, started_at, missed_reason)
VALUES ('mmx', 'call-1', 'M5', 'call', 'inbound', '2025-03-03 09:00', 'noOperator'),
	('mmx', 'call-2', 'M5', 'call', 'inbound', '2025-03-03 09:30', NULL);

-- M6: closed twice without a reopen; a customer message in between
INSERT INTO csstats.chat_events (channel_id, chat_id, at, kind) VALUES
	('mmx', 'M6', '2025-03-03 09:00', 'opened'),
	('mmx', 'M6', '2025-03-03 09:30', 'closed'),
	('mmx', 'M6', '2025-03-03 11:00', 'closed');
INSERT INTO csstats.messages (channel_id, id, chat_id, person_type, created_at) VALUES
	('mmx', 'M6-a', 'M6', 'user', '2025-03-03 09:10'),
	('mmx', 'M6-b', 'M6', 'manager', '2025-03-03 09:20'),
	('mmx', 'M6-c', 'M6', 'user', '2025-03-03 10:00');

-- M7: snoozed and never reopened
INSERT INTO csstats.chat_events (channel_id, chat_id, at, kind) VALUES
	('mmx', 'M7', '2025-03-03 09:00', 'opened'),
	('mmx', 'M7', '2025-03-03 10:00', 'snoozed');
INSERT INTO csstats.messages (channel_id, id, chat_id, person_type, created_at) VALUES
	('mmx', 'M7-a', 'M7', 'user', '2025-03-03 09:00'),
	('mmx', 'M7-b', 'M7', 'manager', '2025-03-03 09:15');

-- M8: rows after as_of (12:00) are ignored: the close, the reply, a reopen
INSERT INTO csstats.chat_events (channel_id, chat_id, at, kind) VALUES
	('mmx', 'M8', '2025-03-03 09:00', 'opened'),
	('mmx', 'M8', '2025-03-03 13:00', 'closed'),
	('mmx', 'M8', '2025-03-03 15:00', 'opened');
INSERT INTO csstats.messages (channel_id, id, chat_id, person_type, created_at) VALUES
	('mmx', 'M8-a', 'M8', 'user', '2025-03-03 09:30'),
	('mmx', 'M8-b', 'M8', 'manager', '2025-03-03 12:30');

-- M9: attributes replayed per case; the csat arrives 20 min after case 1's
-- close (kept: the record ends an hour after the close), the tag removal 2 h
-- after it (not kept for case 1)
INSERT INTO csstats.chat_events (channel_id, chat_id, at, kind, value) VALUES
	('mmx', 'M9', '2025-03-03 09:00', 'opened', NULL),
	('mmx', 'M9', '2025-03-03 09:01', 'assigned', 'mgr-a'),
	('mmx', 'M9', '2025-03-03 09:01', 'team_assigned', 'team-a'),
	('mmx', 'M9', '2025-03-03 09:02', 'tag_added', 'delivery'),
	('mmx', 'M9', '2025-03-03 09:02', 'tag_added', 'billing'),
	('mmx', 'M9', '2025-03-03 09:03', 'follower_added', 'f-1'),
	('mmx', 'M9', '2025-03-03 09:03', 'follower_added', 'f-2'),
	('mmx', 'M9', '2025-03-03 09:04', 'priority_changed', 'high'),
	('mmx', 'M9', '2025-03-03 09:05', 'profile_changed', '{"custom": "x", "tmp": true}'),
	('mmx', 'M9', '2025-03-03 10:00', 'closed', NULL),
	('mmx', 'M9', '2025-03-03 10:20', 'profile_changed', '{"csat": 5, "tmp": null}'),
	('mmx', 'M9', '2025-03-03 12:00', 'tag_removed', 'delivery'),
	('mmx', 'M9', '2025-03-03 13:00', 'opened', NULL),
	('mmx', 'M9', '2025-03-03 13:01', 'assigned', NULL),
	('mmx', 'M9', '2025-03-03 13:02', 'follower_removed', 'f-1'),
	('mmx', 'M9', '2025-03-03 13:03', 'priority_changed', 'medium');

-- M10: no attribute events at all: every case shows the current row's values
INSERT INTO csstats.chat_events (channel_id, chat_id, at, kind) VALUES
	('mmx', 'M10', '2025-03-03 09:00', 'opened'),
	('mmx', 'M10', '2025-03-03 09:30', 'closed'),
	('mmx', 'M10', '2025-03-03 10:00', 'opened'),
	('mmx', 'M10', '2025-03-03 10:30', 'closed');

-- M11: an inbound call answered: firstAskedAt = firstOpenedAt, no firstRepliedAt
INSERT INTO csstats.chat_events (channel_id, chat_id, at, kind) VALUES
	('mmx', 'M11', '2025-03-03 09:00', 'queued'),
	('mmx', 'M11', '2025-03-03 09:02', 'opened');
INSERT INTO csstats.messages (channel_id, id, chat_id, person_type, created_at) VALUES
	('mmx', 'M11-a', 'M11', 'user', '2025-03-03 09:03'),
	('mmx', 'M11-b', 'M11', 'manager', '2025-03-03 09:04');

CREATE TEMP VIEW mm_chat AS
SELECT chat_id, (csstats.chat_metrics(t, '2025-03-03 12:00+00')).*
FROM csstats.timeline t WHERE channel_id = 'mmx' GROUP BY chat_id;

CREATE TEMP VIEW mm_case AS
SELECT c.*
FROM (SELECT csstats.case_metrics(t, '2025-03-03 12:00+00') AS cases
	  FROM csstats.timeline t WHERE channel_id = 'mmx' GROUP BY chat_id) s,
	 unnest(s.cases) c;

-- chat level, as of 12:00
SELECT chat_id, first_asked_at::time AS asked, first_queued_at::time AS queued,
	first_opened_at::time AS first_open, first_replied_at::time AS replied,
	opened_at::time AS opened, first_replied_at_after_open::time AS replied_ao,
	closed_at::time AS closed, waiting_time AS wait, reply_count AS n,
	total_reply_time AS total, avg_reply_time AS avg, resolution_time AS res,
	operation_reply_count AS op_n, operation_resolution_time AS op_res
FROM mm_chat ORDER BY length(chat_id), chat_id;

-- case level, as of 12:00
SELECT user_chat_case_id AS id, user_chat_case_state AS state, user_chat_state AS chat_state,
	user_chat_case_created_at::time AS created, user_chat_case_updated_at::time AS updated,
	first_queued_at::time AS queued, first_opened_at::time AS opened,
	first_asked_at::time AS asked, first_replied_at::time AS replied,
	closed_at::time AS closed, waiting_time AS wait, reply_count AS n,
	total_reply_time AS total, resolution_time AS res, total_snoozed_time AS snoozed,
	lead_time AS lead, snoozed_count AS sn, missed_count AS mi, operation_lead_time AS op_lead
FROM mm_case ORDER BY length(user_chat_id), user_chat_id, user_chat_case;

-- replayed attributes as of 14:00 (M9 case 2 is running) and the fallback (M10)
SELECT c.user_chat_case_id AS id, c.user_chat_case_state AS state, c.user_chat_state AS chat_state,
	c.assignee_id, c.team_id, c.manager_ids, c.tags, c.priority, c.profile,
	c.user_chat_case_updated_at::time AS updated
FROM (SELECT csstats.case_metrics(t, '2025-03-03 14:00+00') AS cases
	  FROM csstats.timeline t WHERE channel_id = 'mmx' AND chat_id IN ('M9', 'M10')
	  GROUP BY chat_id) s,
	 unnest(s.cases) c
ORDER BY c.user_chat_case_id;

-- as of 10:10 M9's case 1 is in progress: replayed up to as_of
SELECT c.user_chat_case_id AS id, c.user_chat_case_state AS state, c.tags, c.profile
FROM (SELECT csstats.case_metrics(t, '2025-03-03 10:10+00') AS cases
	  FROM csstats.timeline t WHERE channel_id = 'mmx' AND chat_id = 'M9' GROUP BY chat_id) s,
	 unnest(s.cases) c;

-- a chat with rows only after as_of: no case, and no window
SELECT (csstats.chat_metrics(t, '2025-03-03 08:30+00')).reply_count IS NULL AS no_window,
	cardinality(csstats.case_metrics(t, '2025-03-03 08:30+00')) AS cases
FROM csstats.timeline t WHERE channel_id = 'mmx' AND chat_id = 'M1' GROUP BY chat_id;

-- events of a deleted chat (no user_chats row, e.g. loaded with the foreign
-- keys disabled): metrics from the rows alone, created_at and attributes NULL
SELECT (m).created_at, (m).opened_at::time, (m).reply_count, (m).resolution_time
FROM (SELECT csstats.chat_metrics(r, '2025-03-04') AS m
	  FROM (VALUES
		(ROW('mmx', 'gone', '2025-03-03 09:00+00', 1, 'opened', 1, NULL, NULL,
			 NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::csstats.timeline),
		(ROW('mmx', 'gone', '2025-03-03 09:05+00', 3, 'user', NULL, 'g1', NULL,
			 NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::csstats.timeline),
		(ROW('mmx', 'gone', '2025-03-03 09:07+00', 3, 'manager', NULL, 'g2', NULL,
			 NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::csstats.timeline),
		(ROW('mmx', 'gone', '2025-03-03 09:30+00', 1, 'closed', 2, NULL, NULL,
			 NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::csstats.timeline)) v(r)
	  GROUP BY (r).chat_id) s;
SELECT c.user_chat_case_id, c.user_chat_state, c.assignee_id, c.tags, c.profile, c.resolution_time
FROM (SELECT csstats.case_metrics(r, '2025-03-04') AS cases
	  FROM (VALUES
		(ROW('mmx', 'gone', '2025-03-03 09:00+00', 1, 'opened', 1, NULL, NULL,
			 NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::csstats.timeline),
		(ROW('mmx', 'gone', '2025-03-03 09:30+00', 1, 'closed', 2, NULL, NULL,
			 NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::csstats.timeline)) v(r)
	  GROUP BY (r).chat_id) s, unnest(s.cases) c;

-- no rows at all: NULL, like any aggregate
SELECT csstats.chat_metrics(t) IS NULL AS chat_null, csstats.case_metrics(t) IS NULL AS case_null
FROM csstats.timeline t WHERE channel_id = 'no such channel';

-- errors
-- two chats in one group
SELECT csstats.chat_metrics(t, '2025-03-04') FROM csstats.timeline t WHERE channel_id = 'mmx';
-- as_of must be given and finite
SELECT csstats.chat_metrics(t, NULL) FROM csstats.timeline t
WHERE channel_id = 'mmx' AND chat_id = 'M1' GROUP BY chat_id;
SELECT csstats.case_metrics(t, 'infinity') FROM csstats.timeline t
WHERE channel_id = 'mmx' AND chat_id = 'M1' GROUP BY chat_id;
-- an unknown kind
SELECT csstats.chat_metrics(r, '2025-03-04')
FROM (VALUES (ROW('mmx', 'x', '2025-03-03 09:00+00', 1, 'reopened', 1, NULL, NULL,
	NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::csstats.timeline)) v(r);
-- an unknown channel
SELECT csstats.chat_metrics(r, '2025-03-04')
FROM (VALUES (ROW('no-such-channel', 'x', '2025-03-03 09:00+00', 1, 'opened', 1, NULL, NULL,
	NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::csstats.timeline)) v(r);

DELETE FROM csstats.channels WHERE id = 'mmx';
