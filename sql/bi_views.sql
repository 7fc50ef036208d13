--
-- The flat BI views (sql/install/94_bi_views.sql) on a hand-checkable channel:
-- metrics.md Examples A and B, a chat created at 23:30 UTC (08:30 the next
-- day in Seoul) and an open chat.  Values equal the sheet functions'; a
-- metric store gives the same rows as the live aggregates; local days are the
-- channel's whatever the session's TimeZone; the views read with the caller's
-- rights.
--
SET timezone = 'UTC';
SET extra_float_digits = 0;

INSERT INTO csstats.channels (id, name, timezone) VALUES ('biv', 'BI channel', 'Asia/Seoul');
INSERT INTO csstats.operating_hours (channel_id, day_of_week, opens_at, closes_at)
SELECT 'biv', d, '09:00', '18:00' FROM generate_series(1, 5) d;
INSERT INTO csstats.managers (channel_id, id, name) VALUES ('biv', 'm1', 'Kim'), ('biv', 'm2', 'Lee');
INSERT INTO csstats.teams (channel_id, id, name) VALUES ('biv', 't1', 'Support');
INSERT INTO csstats.chat_tags (channel_id, id, name) VALUES
	('biv', 'g1', 'delivery'), ('biv', 'g2', 'delivery/late'), ('biv', 'g3', 'refund');

INSERT INTO csstats.user_chats (channel_id, id, state, medium_name, assignee_id, team_id, tags, priority, created_at) VALUES
	-- Example A (2025-03-03 is a Monday): waiting 600, resolution 3600
	('biv', 'A', 'closed', 'inAppChat', 'm1', 't1', '{delivery/late,refund}', 'high', '2025-03-03 08:50:00+09'),
	-- Example B: latest open period Tue 11:00-11:10, waiting 300, resolution 600
	('biv', 'B', 'closed', 'inAppChat', 'm1', NULL, '{delivery}', NULL, '2025-03-03 17:50:00+09'),
	-- Sunday 23:30 UTC = Monday 08:30 in Seoul
	('biv', 'N', 'closed', 'inAppChat', 'm2', 't1', '{}', NULL, '2025-03-02 23:30:00+00'),
	-- open, unassigned, never answered
	('biv', 'O', 'queued', 'inAppChat', NULL, NULL, '{refund}', 'low', '2025-03-04 10:00:00+09');
INSERT INTO csstats.messages (channel_id, id, chat_id, person_type, created_at) VALUES
	('biv', 'A01', 'A', 'user', '2025-03-03 08:50:00+09'),
	('biv', 'A02', 'A', 'manager', '2025-03-03 09:10:00+09'),
	('biv', 'A03', 'A', 'user', '2025-03-03 09:20:00+09'),
	('biv', 'A04', 'A', 'user', '2025-03-03 09:21:00+09'),
	('biv', 'A05', 'A', 'manager', '2025-03-03 09:30:00+09'),
	('biv', 'A06', 'A', 'bot', '2025-03-03 09:31:00+09'),
	('biv', 'A07', 'A', 'manager', '2025-03-03 09:40:00+09'),
	('biv', 'B01', 'B', 'user', '2025-03-03 17:50:00+09'),
	('biv', 'B02', 'B', 'manager', '2025-03-03 17:55:00+09'),
	('biv', 'B03', 'B', 'user', '2025-03-03 18:30:00+09'),
	('biv', 'B04', 'B', 'manager', '2025-03-04 09:15:00+09'),
	('biv', 'B05', 'B', 'user', '2025-03-04 11:00:00+09'),
	('biv', 'B06', 'B', 'manager', '2025-03-04 11:05:00+09'),
	('biv', 'N01', 'N', 'user', '2025-03-02 23:30:00+00'),
	('biv', 'N02', 'N', 'manager', '2025-03-03 00:00:00+00'),
	('biv', 'O01', 'O', 'user', '2025-03-04 10:00:00+09');
INSERT INTO csstats.chat_events (channel_id, chat_id, at, kind, value) VALUES
	('biv', 'A', '2025-03-03 08:50:05+09', 'queued', NULL),
	('biv', 'A', '2025-03-03 09:00:00+09', 'opened', NULL),
	('biv', 'A', '2025-03-03 09:00:00+09', 'assigned', 'm1'),
	('biv', 'A', '2025-03-03 10:00:00+09', 'closed', NULL),
	('biv', 'B', '2025-03-03 17:50:00+09', 'opened', NULL),
	('biv', 'B', '2025-03-03 17:58:00+09', 'snoozed', NULL),
	('biv', 'B', '2025-03-03 18:30:00+09', 'opened', NULL),
	('biv', 'B', '2025-03-04 09:20:00+09', 'closed', NULL),
	('biv', 'B', '2025-03-04 11:00:00+09', 'opened', NULL),
	('biv', 'B', '2025-03-04 11:10:00+09', 'closed', NULL),
	('biv', 'N', '2025-03-02 23:40:00+00', 'opened', NULL),
	('biv', 'N', '2025-03-03 00:30:00+00', 'closed', NULL),
	('biv', 'O', '2025-03-04 10:00:05+09', 'queued', NULL);

-- Every view and every column has a comment.
SELECT c.relname, a.attname
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
	JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
WHERE n.nspname = 'csstats' AND c.relname LIKE 'bi\_%'
	AND (col_description(c.oid, a.attnum) IS NULL OR obj_description(c.oid, 'pg_class') IS NULL);
SELECT c.relname, c.reloptions FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'csstats' AND c.relname LIKE '%bi\_%' ORDER BY 1;

-- Chats, hand-checked: A and B as in metrics.md; N waits from its open
-- (23:40 UTC = 08:40 KST) to the reply at 09:00 KST: 1200 s, none of it in
-- operating hours; it is resolved in 3000 s, 1800 s of them in hours.
SELECT chat_id, state, assignee_name, team_name, priority, tag_count, created_local_day,
	closed_local_day, waiting_time_seconds AS wait, operation_waiting_time_seconds AS op_wait,
	reply_count AS replies, total_reply_time_seconds AS total_reply,
	resolution_time_seconds AS resolution, operation_resolution_time_seconds AS op_resolution,
	from_store
FROM csstats.bi_chats WHERE channel_id = 'biv' ORDER BY chat_id;
SELECT * FROM csstats.bi_chat_tags WHERE channel_id = 'biv' ORDER BY chat_id, tag;

-- Cases: A one, B two, N one, O one (in progress, never opened).
SELECT case_id, case_state, chat_state, assignee_name, created_local_day,
	waiting_time_seconds AS wait, resolution_time_seconds AS resolution,
	total_snoozed_time_seconds AS snoozed, lead_time_seconds AS lead,
	operation_lead_time_seconds AS op_lead, snoozed_count, tag_count
FROM csstats.bi_cases WHERE channel_id = 'biv' ORDER BY case_id;
SELECT * FROM csstats.bi_case_tags WHERE channel_id = 'biv' ORDER BY case_id, tag;

-- Daily, per local day in Seoul and assignee: on Monday Kim has A and B
-- (waits 600 and 300: p50 450, p90 570), Lee has N; O is Tuesday's.
SELECT day, assignee_name, chats, open_chats, closed_chats, replied_chats, replies,
	waiting_time_p50_seconds AS wait_p50, waiting_time_p90_seconds AS wait_p90,
	resolution_time_p50_seconds AS res_p50, resolution_time_p90_seconds AS res_p90,
	operation_waiting_time_p50_seconds AS op_wait_p50,
	operation_resolution_time_p90_seconds AS op_res_p90
FROM csstats.bi_daily WHERE channel_id = 'biv' ORDER BY day, assignee_name;

-- The local day is the channel's whatever the session's time zone: N (Sunday
-- 23:30 UTC, Sunday 15:30 in Los Angeles) is Monday in Seoul.
SET timezone = 'America/Los_Angeles';
SELECT created_at, created_local_day FROM csstats.bi_chats WHERE channel_id = 'biv' AND chat_id = 'N';
SELECT day, assignee_id, chats FROM csstats.bi_daily WHERE channel_id = 'biv' ORDER BY day, assignee_id;
SET timezone = 'Asia/Kolkata';
SELECT day, assignee_id, chats FROM csstats.bi_daily WHERE channel_id = 'biv' ORDER BY day, assignee_id;
SET timezone = 'UTC';

-- The views equal the sheet functions (as of now(), the sheets' default).
SELECT count(*) AS chat_differences FROM (
	(SELECT chat_id, state, assignee_id, team_id, created_at, opened_at, closed_at,
		first_asked_at, first_queued_at, first_opened_at, first_replied_at,
		first_replied_at_after_open, waiting_time_seconds, avg_reply_time_seconds,
		total_reply_time_seconds, reply_count, resolution_time_seconds,
		operation_waiting_time_seconds, operation_avg_reply_time_seconds,
		operation_total_reply_time_seconds, operation_reply_count, operation_resolution_time_seconds
	 FROM csstats.bi_chats WHERE channel_id = 'biv'
	 EXCEPT ALL
	 SELECT id, state, assignee_id, team_id, created_at, opened_at, closed_at,
		first_asked_at, first_queued_at, first_opened_at, first_replied_at,
		first_replied_at_after_open, waiting_time, avg_reply_time, total_reply_time, reply_count,
		resolution_time, operation_waiting_time, operation_avg_reply_time,
		operation_total_reply_time, operation_reply_count, operation_resolution_time
	 FROM csstats.user_chat_sheet('biv'))
	UNION ALL
	(SELECT id, state, assignee_id, team_id, created_at, opened_at, closed_at,
		first_asked_at, first_queued_at, first_opened_at, first_replied_at,
		first_replied_at_after_open, waiting_time, avg_reply_time, total_reply_time, reply_count,
		resolution_time, operation_waiting_time, operation_avg_reply_time,
		operation_total_reply_time, operation_reply_count, operation_resolution_time
	 FROM csstats.user_chat_sheet('biv')
	 EXCEPT ALL
	 SELECT chat_id, state, assignee_id, team_id, created_at, opened_at, closed_at,
		first_asked_at, first_queued_at, first_opened_at, first_replied_at,
		first_replied_at_after_open, waiting_time_seconds, avg_reply_time_seconds,
		total_reply_time_seconds, reply_count, resolution_time_seconds,
		operation_waiting_time_seconds, operation_avg_reply_time_seconds,
		operation_total_reply_time_seconds, operation_reply_count, operation_resolution_time_seconds
	 FROM csstats.bi_chats WHERE channel_id = 'biv')) d;

CREATE TEMP VIEW sheet_cases AS
SELECT user_chat_id AS chat_id, user_chat_case AS case_number, user_chat_case_id AS case_id,
	user_chat_case_state AS case_state, user_chat_state AS chat_state, assignee_id, assignee_name,
	team_id, team_name, cardinality(tags) AS tag_count, cardinality(manager_ids) AS follower_count,
	user_chat_case_created_at AS created_at, user_chat_case_updated_at AS updated_at, closed_at,
	first_queued_at, first_opened_at, first_asked_at, first_replied_at, waiting_time,
	total_reply_time, reply_count, avg_reply_time, resolution_time, total_snoozed_time, lead_time,
	snoozed_count, missed_count, operation_waiting_time, operation_reply_count,
	operation_total_reply_time, operation_avg_reply_time, operation_resolution_time,
	operation_lead_time, priority, profile
FROM csstats.user_chat_case_sheet('biv');
CREATE TEMP VIEW view_cases AS
SELECT chat_id, case_number, case_id, case_state, chat_state, assignee_id, assignee_name,
	team_id, team_name, tag_count, follower_count, created_at, updated_at, closed_at,
	first_queued_at, first_opened_at, first_asked_at, first_replied_at, waiting_time_seconds,
	total_reply_time_seconds, reply_count, avg_reply_time_seconds, resolution_time_seconds,
	total_snoozed_time_seconds, lead_time_seconds, snoozed_count, missed_count,
	operation_waiting_time_seconds, operation_reply_count, operation_total_reply_time_seconds,
	operation_avg_reply_time_seconds, operation_resolution_time_seconds,
	operation_lead_time_seconds, priority, profile
FROM csstats.bi_cases WHERE channel_id = 'biv';
SELECT (SELECT count(*) FROM view_cases) AS cases,
	(SELECT count(*) FROM (SELECT * FROM view_cases EXCEPT ALL SELECT * FROM sheet_cases) d)
	+ (SELECT count(*) FROM (SELECT * FROM sheet_cases EXCEPT ALL SELECT * FROM view_cases) d)
	AS case_differences;

-- bi_daily equals percentile_cont over the UserChat sheet, grouped by the
-- local day of created_at in the channel's zone.
SELECT count(*) AS daily_differences FROM (
	(SELECT day, assignee_id, chats, closed_chats, replied_chats, waiting_time_p50_seconds,
		waiting_time_p90_seconds, resolution_time_p50_seconds, operation_waiting_time_p90_seconds
	 FROM csstats.bi_daily WHERE channel_id = 'biv'
	 EXCEPT ALL
	 SELECT (created_at AT TIME ZONE 'Asia/Seoul')::date, assignee_id, count(*), count(closed_at),
		count(waiting_time),
		percentile_cont(0.5) WITHIN GROUP (ORDER BY waiting_time),
		percentile_cont(0.9) WITHIN GROUP (ORDER BY waiting_time),
		percentile_cont(0.5) WITHIN GROUP (ORDER BY resolution_time),
		percentile_cont(0.9) WITHIN GROUP (ORDER BY operation_waiting_time)
	 FROM csstats.user_chat_sheet('biv') GROUP BY 1, 2)) d;

-- Store vs live: the same rows once the channel keeps a metric store (only
-- the provenance columns differ).
CREATE TEMP TABLE live_chats AS
SELECT * FROM csstats.bi_chats WHERE channel_id = 'biv';
CREATE TEMP TABLE live_cases AS
SELECT * FROM csstats.bi_cases WHERE channel_id = 'biv';
CREATE TEMP TABLE live_daily AS
SELECT * FROM csstats.bi_daily WHERE channel_id = 'biv';
SELECT csstats.enable_metrics_store('biv');
SELECT channel, status, settled_chats, stored_cases FROM csstats.refresh_metrics('biv');
SELECT count(*) FILTER (WHERE from_store) AS stored_chats, count(*) AS chats
FROM csstats.bi_chats WHERE channel_id = 'biv';
SELECT count(*) FILTER (WHERE from_store) AS stored_cases, count(*) AS cases
FROM csstats.bi_cases WHERE channel_id = 'biv';
ALTER TABLE live_chats DROP COLUMN metrics_as_of, DROP COLUMN from_store;
ALTER TABLE live_cases DROP COLUMN metrics_as_of, DROP COLUMN from_store;
CREATE TEMP VIEW store_chats AS
SELECT channel_id, channel_name, timezone, chat_id, user_id, state, medium_name, direction, priority,
	assignee_id, assignee_name, team_id, team_name, tag_count, created_at, created_local_day,
	opened_at, closed_at, closed_local_day, first_asked_at, first_queued_at, first_opened_at,
	first_replied_at, first_replied_at_after_open, waiting_time_seconds, avg_reply_time_seconds,
	total_reply_time_seconds, reply_count, resolution_time_seconds, operation_waiting_time_seconds,
	operation_avg_reply_time_seconds, operation_total_reply_time_seconds, operation_reply_count,
	operation_resolution_time_seconds
FROM csstats.bi_chats WHERE channel_id = 'biv';
SELECT (SELECT count(*) FROM (SELECT * FROM live_chats EXCEPT ALL SELECT * FROM store_chats) d)
	+ (SELECT count(*) FROM (SELECT * FROM store_chats EXCEPT ALL SELECT * FROM live_chats) d)
	AS chat_differences;
CREATE TEMP VIEW store_cases AS
SELECT channel_id, channel_name, timezone, chat_id, case_number, case_id, case_state, chat_state,
	user_id, medium_name, direction, priority, assignee_id, assignee_name, team_id, team_name,
	tag_count, follower_count, created_at, created_local_day, updated_at, closed_at,
	closed_local_day, first_queued_at, first_opened_at, first_asked_at, first_replied_at,
	waiting_time_seconds, total_reply_time_seconds, reply_count, avg_reply_time_seconds,
	resolution_time_seconds, total_snoozed_time_seconds, lead_time_seconds, snoozed_count,
	missed_count, operation_waiting_time_seconds, operation_reply_count,
	operation_total_reply_time_seconds, operation_avg_reply_time_seconds,
	operation_resolution_time_seconds, operation_lead_time_seconds, profile
FROM csstats.bi_cases WHERE channel_id = 'biv';
SELECT (SELECT count(*) FROM (SELECT * FROM live_cases EXCEPT ALL SELECT * FROM store_cases) d)
	+ (SELECT count(*) FROM (SELECT * FROM store_cases EXCEPT ALL SELECT * FROM live_cases) d)
	AS case_differences;
SELECT (SELECT count(*) FROM (SELECT * FROM live_daily EXCEPT ALL
		SELECT * FROM csstats.bi_daily WHERE channel_id = 'biv') d)
	+ (SELECT count(*) FROM (SELECT * FROM csstats.bi_daily WHERE channel_id = 'biv'
		EXCEPT ALL SELECT * FROM live_daily) d) AS daily_differences;
SELECT count(*) AS case_tag_rows FROM csstats.bi_case_tags WHERE channel_id = 'biv';
-- a change logged after the refresh: that chat is live again, with its new value
INSERT INTO csstats.messages (channel_id, id, chat_id, person_type, created_at)
VALUES ('biv', 'A00', 'A', 'manager', '2025-03-03 09:05:00+09');
SELECT chat_id, waiting_time_seconds, from_store FROM csstats.bi_chats
WHERE channel_id = 'biv' AND chat_id IN ('A', 'N') ORDER BY chat_id;
SELECT case_id, waiting_time_seconds, from_store FROM csstats.bi_cases
WHERE channel_id = 'biv' AND chat_id IN ('A', 'N') ORDER BY case_id;

-- security_invoker: a role that may read the views but not the tables is refused.
CREATE ROLE csstats_bi_nogrant;
GRANT USAGE ON SCHEMA csstats TO csstats_bi_nogrant;
GRANT SELECT ON csstats.bi_chats, csstats.bi_chat_tags, csstats.bi_cases, csstats.bi_case_tags,
	csstats.bi_daily TO csstats_bi_nogrant;
SET ROLE csstats_bi_nogrant;
DO $$
DECLARE
	v text;
BEGIN
	FOREACH v IN ARRAY ARRAY['bi_chats', 'bi_chat_tags', 'bi_cases', 'bi_case_tags', 'bi_daily'] LOOP
		BEGIN
			EXECUTE format('SELECT count(*) FROM csstats.%I', v);
			RAISE NOTICE '%: read', v;
		EXCEPTION WHEN OTHERS THEN
			RAISE NOTICE '%: SQLSTATE %', v, SQLSTATE;
		END;
	END LOOP;
END
$$;
RESET ROLE;
-- With SELECT on the tables the role reads the views, and row-level security
-- on user_chats applies to it: chat O hidden is gone from every view.
GRANT SELECT ON ALL TABLES IN SCHEMA csstats TO csstats_bi_nogrant;
ALTER TABLE csstats.user_chats ENABLE ROW LEVEL SECURITY;
CREATE POLICY bi_views_hide_o ON csstats.user_chats FOR SELECT TO csstats_bi_nogrant
	USING (id <> 'O');
SET ROLE csstats_bi_nogrant;
SELECT (SELECT count(*) FROM csstats.bi_chats WHERE channel_id = 'biv') AS chats,
	(SELECT count(*) FROM csstats.bi_chat_tags WHERE channel_id = 'biv') AS chat_tags,
	(SELECT count(*) FROM csstats.bi_cases WHERE channel_id = 'biv') AS cases,
	(SELECT count(*) FROM csstats.bi_case_tags WHERE channel_id = 'biv') AS case_tags,
	(SELECT sum(chats) FROM csstats.bi_daily WHERE channel_id = 'biv') AS daily_chats;
RESET ROLE;
DROP POLICY bi_views_hide_o ON csstats.user_chats;
ALTER TABLE csstats.user_chats DISABLE ROW LEVEL SECURITY;
REVOKE SELECT ON ALL TABLES IN SCHEMA csstats FROM csstats_bi_nogrant;
REVOKE ALL ON csstats.bi_chats, csstats.bi_chat_tags, csstats.bi_cases, csstats.bi_case_tags,
	csstats.bi_daily FROM csstats_bi_nogrant;
REVOKE USAGE ON SCHEMA csstats FROM csstats_bi_nogrant;
DROP ROLE csstats_bi_nogrant;

SELECT csstats.disable_metrics_store('biv');
DELETE FROM csstats.channels WHERE id = 'biv';
