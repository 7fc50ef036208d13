-- metrics.md Examples A and B verbatim, at chat and case level, through the
-- csstats.timeline view and the two aggregates.
SET timezone = 'Asia/Seoul';
SET extra_float_digits = 0;

-- Channel ch1: Asia/Seoul, Monday-Friday 09:00-18:00, no holidays.
INSERT INTO csstats.channels (id, name, timezone) VALUES ('mex_ch1', 'ch1', 'Asia/Seoul');
INSERT INTO csstats.operating_hours (channel_id, day_of_week, opens_at, closes_at)
SELECT 'mex_ch1', d, '09:00', '18:00' FROM generate_series(1, 5) d;

-- Example A (2025-03-03 is a Monday)
INSERT INTO csstats.user_chats (channel_id, id, state, medium_name, created_at)
VALUES ('mex_ch1', 'A', 'closed', 'inAppChat', '2025-03-03 08:50:00+09');
INSERT INTO csstats.messages (channel_id, id, chat_id, person_type, created_at) VALUES
	('mex_ch1', 'A01', 'A', 'user', '2025-03-03 08:50:00+09'),
	('mex_ch1', 'A02', 'A', 'manager', '2025-03-03 09:10:00+09'),
	('mex_ch1', 'A03', 'A', 'user', '2025-03-03 09:20:00+09'),
	('mex_ch1', 'A04', 'A', 'user', '2025-03-03 09:21:00+09'),
	('mex_ch1', 'A05', 'A', 'manager', '2025-03-03 09:30:00+09'),
	('mex_ch1', 'A06', 'A', 'bot', '2025-03-03 09:31:00+09'),
	('mex_ch1', 'A07', 'A', 'manager', '2025-03-03 09:40:00+09');
INSERT INTO csstats.chat_events (channel_id, chat_id, at, kind) VALUES
	('mex_ch1', 'A', '2025-03-03 08:50:05+09', 'queued'),
	('mex_ch1', 'A', '2025-03-03 09:00:00+09', 'opened'),
	('mex_ch1', 'A', '2025-03-03 10:00:00+09', 'closed');

-- Example B
INSERT INTO csstats.user_chats (channel_id, id, state, medium_name, created_at)
VALUES ('mex_ch1', 'B', 'closed', 'inAppChat', '2025-03-03 17:50:00+09');
INSERT INTO csstats.messages (channel_id, id, chat_id, person_type, created_at) VALUES
	('mex_ch1', 'B01', 'B', 'user', '2025-03-03 17:50:00+09'),
	('mex_ch1', 'B02', 'B', 'manager', '2025-03-03 17:55:00+09'),
	('mex_ch1', 'B03', 'B', 'user', '2025-03-03 18:30:00+09'),
	('mex_ch1', 'B04', 'B', 'manager', '2025-03-04 09:15:00+09'),
	('mex_ch1', 'B05', 'B', 'user', '2025-03-04 11:00:00+09'),
	('mex_ch1', 'B06', 'B', 'manager', '2025-03-04 11:05:00+09');
INSERT INTO csstats.chat_events (channel_id, chat_id, at, kind) VALUES
	('mex_ch1', 'B', '2025-03-03 17:50:00+09', 'opened'),
	('mex_ch1', 'B', '2025-03-03 17:58:00+09', 'snoozed'),
	('mex_ch1', 'B', '2025-03-03 18:30:00+09', 'opened'),
	('mex_ch1', 'B', '2025-03-04 09:20:00+09', 'closed'),
	('mex_ch1', 'B', '2025-03-04 11:00:00+09', 'opened'),
	('mex_ch1', 'B', '2025-03-04 11:10:00+09', 'closed');

-- the timeline order: events before messages at the same instant
SELECT chat_id, at, seq, kind FROM csstats.timeline
WHERE channel_id = 'mex_ch1' AND chat_id = 'B' ORDER BY at, seq, event_id, item_id;

-- chat level (sql-api.md's GROUP BY form), as of a time after everything
\x on
SELECT chat_id, (csstats.chat_metrics(t, '2025-03-05 00:00+09' ORDER BY t.at, t.seq)).*
FROM csstats.timeline t WHERE channel_id = 'mex_ch1'
GROUP BY chat_id ORDER BY chat_id;
\x off

-- the same without ORDER BY (the aggregate sorts) and with the now() default
SELECT chat_id, (csstats.chat_metrics(t)).opened_at, (csstats.chat_metrics(t)).reply_count
FROM csstats.timeline t WHERE channel_id = 'mex_ch1'
GROUP BY chat_id ORDER BY chat_id;

-- case level, one row per case
\x on
SELECT c.*
FROM (SELECT csstats.case_metrics(t, '2025-03-05 00:00+09') AS cases
	  FROM csstats.timeline t WHERE channel_id = 'mex_ch1' GROUP BY chat_id) s,
	 unnest(s.cases) c
ORDER BY c.user_chat_case_id;
\x off

-- Example A case state: inProgress as of 10:30, completed as of 11:00
SELECT a.as_of, c.user_chat_case_id, c.user_chat_case_state, c.user_chat_state, c.closed_at
FROM (VALUES ('2025-03-03 10:30+09'::timestamptz), ('2025-03-03 11:00+09')) a(as_of),
	 LATERAL (SELECT csstats.case_metrics(t, a.as_of) AS cases
			  FROM csstats.timeline t WHERE channel_id = 'mex_ch1' AND chat_id = 'A'
			  GROUP BY chat_id) s,
	 unnest(s.cases) c
ORDER BY a.as_of;

-- Example B as of Tue 12:00: case 1 completed (case 2 started), case 2 closed
-- 50 minutes ago so still inProgress; at 12:10 both are completed
SELECT a.as_of, c.user_chat_case_id, c.user_chat_case_state
FROM (VALUES ('2025-03-04 12:00+09'::timestamptz), ('2025-03-04 12:10+09')) a(as_of),
	 LATERAL (SELECT csstats.case_metrics(t, a.as_of) AS cases
			  FROM csstats.timeline t WHERE channel_id = 'mex_ch1' AND chat_id = 'B'
			  GROUP BY chat_id) s,
	 unnest(s.cases) c
ORDER BY a.as_of, c.user_chat_case;

-- as of Tue 10:00 (before case 2): one case, the chat's latest period is the
-- one reopened from snooze at Mon 18:30
SELECT (m).opened_at, (m).closed_at, (m).waiting_time, (m).reply_count,
	   (m).operation_waiting_time, (m).resolution_time, (m).operation_resolution_time
FROM (SELECT csstats.chat_metrics(t, '2025-03-04 10:00+09') AS m
	  FROM csstats.timeline t WHERE channel_id = 'mex_ch1' AND chat_id = 'B' GROUP BY chat_id) s;

DELETE FROM csstats.channels WHERE id = 'mex_ch1';
