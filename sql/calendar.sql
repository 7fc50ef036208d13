-- Operating hours: csstats.business_seconds and csstats.is_operating.
-- Channels of this test are named cal_* and removed at the end.
SET timezone = 'UTC';

-- ch1 of the normative examples: Asia/Seoul, Monday-Friday 09:00-18:00
INSERT INTO csstats.channels (id, name, timezone) VALUES
	('cal_ch1', 'normative ch1', 'Asia/Seoul'),
	('cal_ny', 'New York, Sundays', 'America/New_York');
INSERT INTO csstats.operating_hours (channel_id, day_of_week, opens_at, closes_at)
SELECT 'cal_ch1', d, '09:00', '18:00' FROM generate_series(1, 5) d;
INSERT INTO csstats.operating_hours (channel_id, day_of_week, opens_at, closes_at)
VALUES ('cal_ny', 0, '00:00', '24:00');

------------------------------------------------------------------------------
-- Example C, verbatim
------------------------------------------------------------------------------
-- Holiday: ch1 with holiday 2025-03-04 (Tue): Mon 17:00 -> Wed 10:00 = 7200
INSERT INTO csstats.holidays (channel_id, day, name) VALUES ('cal_ch1', '2025-03-04', 'example C');
SELECT csstats.business_seconds('2025-03-03 17:00+09', '2025-03-05 10:00+09', 'cal_ch1') AS holiday_7200;
-- DST: America/New_York open Sunday 00:00-24:00: 2025-03-08 23:00 -> 2025-03-09 04:00 local = 10800
SELECT csstats.business_seconds('2025-03-08 23:00'::timestamp AT TIME ZONE 'America/New_York',
								'2025-03-09 04:00'::timestamp AT TIME ZONE 'America/New_York',
								'cal_ny') AS dst_10800;
-- Reversed range: 0.  Equal: 0.  NULL: NULL.
SELECT csstats.business_seconds('2025-03-05 10:00+09', '2025-03-03 17:00+09', 'cal_ch1') AS reversed,
	   csstats.business_seconds('2025-03-03 10:00+09', '2025-03-03 10:00+09', 'cal_ch1') AS equal,
	   csstats.business_seconds(NULL, '2025-03-03 10:00+09', 'cal_ch1') AS null_since,
	   csstats.business_seconds('2025-03-03 10:00+09', NULL, 'cal_ch1') AS null_until,
	   csstats.business_seconds('2025-03-03 10:00+09', '2025-03-04 10:00+09', NULL) AS null_channel,
	   csstats.is_operating(NULL, 'cal_ch1') AS null_at,
	   csstats.is_operating('2025-03-03 10:00+09', NULL) AS null_channel2;

-- Example B's operation spans: Mon 17:50 -> Tue 09:20 = 1800; Mon 18:30 -> Tue 09:15 = 900
DELETE FROM csstats.holidays WHERE channel_id = 'cal_ch1';
SELECT csstats.business_seconds('2025-03-03 17:50+09', '2025-03-04 09:20+09', 'cal_ch1') AS b_1800,
	   csstats.business_seconds('2025-03-03 18:30+09', '2025-03-04 09:15+09', 'cal_ch1') AS b_900;

------------------------------------------------------------------------------
-- Spans starting or ending exactly at open, close, midnight and 24:00
------------------------------------------------------------------------------
SELECT s AS since, u AS until, csstats.business_seconds(s, u, 'cal_ch1') AS secs
FROM (VALUES
	('2025-03-03 09:00+09'::timestamptz, '2025-03-03 18:00+09'::timestamptz),	-- open -> close
	('2025-03-03 18:00+09', '2025-03-04 09:00+09'),	-- close -> next open
	('2025-03-03 00:00+09', '2025-03-04 00:00+09'),	-- midnight -> midnight
	('2025-03-03 09:00+09', '2025-03-03 09:00:00.000001+09'),	-- first microsecond
	('2025-03-03 17:59:59.999999+09', '2025-03-03 18:00+09'),	-- last microsecond
	('2025-03-07 17:00+09', '2025-03-10 10:00+09'),	-- over a weekend
	('2025-03-02 00:00+09', '2025-03-09 00:00+09')	-- one whole week: 45 h
) v(s, u)
ORDER BY 1, 2;
SELECT at, csstats.is_operating(at, 'cal_ch1') AS open
FROM unnest(ARRAY['2025-03-03 08:59:59.999999+09', '2025-03-03 09:00+09',
				  '2025-03-03 17:59:59.999999+09', '2025-03-03 18:00+09',
				  '2025-03-08 12:00+09']::timestamptz[]) at
ORDER BY 1;

-- 24:00 closes at the end of the day; a day open 00:00-24:00 next to one
-- open from 00:00 is one continuous stretch
INSERT INTO csstats.channels (id, name, timezone) VALUES ('cal_24', '24:00', 'Asia/Seoul');
INSERT INTO csstats.operating_hours (channel_id, day_of_week, opens_at, closes_at) VALUES
	('cal_24', 1, '20:00', '24:00'), ('cal_24', 2, '00:00', '02:00');
SELECT csstats.business_seconds('2025-03-03 20:00+09', '2025-03-04 02:00+09', 'cal_24') AS mon20_tue02,
	   csstats.business_seconds('2025-03-03 23:00+09', '2025-03-04 00:00+09', 'cal_24') AS until_2400,
	   csstats.business_seconds('2025-03-04 00:00+09', '2025-03-04 01:00+09', 'cal_24') AS from_0000,
	   csstats.is_operating('2025-03-04 00:00+09', 'cal_24') AS open_at_midnight,
	   csstats.is_operating('2025-03-04 02:00+09', 'cal_24') AS open_at_0200;

------------------------------------------------------------------------------
-- DST in both directions.  A channel open every day 00:00-24:00: the length
-- of each local day in real seconds must equal what AT TIME ZONE says.
------------------------------------------------------------------------------
INSERT INTO csstats.channels (id, name, timezone) VALUES
	('cal_dst_ny', 'daily', 'America/New_York'),
	('cal_dst_berlin', 'daily', 'Europe/Berlin'),
	('cal_dst_lh', 'daily', 'Australia/Lord_Howe'),
	('cal_dst_seoul', 'daily', 'Asia/Seoul');
INSERT INTO csstats.operating_hours (channel_id, day_of_week, opens_at, closes_at)
SELECT c, d, '00:00', '24:00'
FROM unnest(ARRAY['cal_dst_ny', 'cal_dst_berlin', 'cal_dst_lh', 'cal_dst_seoul']) c,
	 generate_series(0, 6) d;
-- the transition days of 2025 (and an ordinary day), business seconds of the local day
SELECT c.timezone, v.day,
	   csstats.business_seconds(v.day::timestamp AT TIME ZONE c.timezone,
								(v.day + 1)::timestamp AT TIME ZONE c.timezone, c.id) AS day_secs,
	   extract(epoch FROM ((v.day + 1)::timestamp AT TIME ZONE c.timezone)
						- (v.day::timestamp AT TIME ZONE c.timezone)) AS at_time_zone_secs
FROM csstats.channels c
JOIN (VALUES ('America/New_York', '2025-03-09'::date), ('America/New_York', '2025-11-02'),
			 ('Europe/Berlin', '2025-03-30'), ('Europe/Berlin', '2025-10-26'),
			 ('Australia/Lord_Howe', '2025-04-06'), ('Australia/Lord_Howe', '2025-10-05'),
			 ('Asia/Seoul', '2025-03-09'), ('Asia/Seoul', '2025-11-02'),
			 ('Europe/Berlin', '2025-06-15')) v(tz, day) ON v.tz = c.timezone
WHERE c.id LIKE 'cal_dst_%'
ORDER BY 1, 2;

-- Open hours that contain, start or end in the jump.  Documented rule (the
-- one of "timestamp AT TIME ZONE"): a nonexistent local time uses the offset
-- before the jump (02:30 becomes 03:30 EDT); an ambiguous one is the later
-- occurrence (01:30 is 01:30 EST).
SELECT '2025-03-09 02:30'::timestamp AT TIME ZONE 'America/New_York' AS gap_0230,
	   '2025-11-02 01:30'::timestamp AT TIME ZONE 'America/New_York' AS ambiguous_0130;
INSERT INTO csstats.channels (id, name, timezone) VALUES ('cal_edge', 'edge hours', 'America/New_York');
INSERT INTO csstats.operating_hours (channel_id, day_of_week, opens_at, closes_at) VALUES
	('cal_edge', 0, '01:00', '04:00'),		-- Sunday: contains the jump
	('cal_edge', 0, '12:00', '13:00');
SELECT day,
	   csstats.business_seconds(day::timestamp AT TIME ZONE 'America/New_York',
								(day + 1)::timestamp AT TIME ZONE 'America/New_York', 'cal_edge') AS secs
FROM unnest(ARRAY['2025-03-02', '2025-03-09', '2025-11-02']::date[]) day
ORDER BY 1;
UPDATE csstats.operating_hours SET opens_at = '02:30', closes_at = '03:30'
WHERE channel_id = 'cal_edge' AND opens_at = '01:00';
-- 02:30 (gap) -> 07:30 UTC, 03:30 EDT -> 07:30 UTC: empty on the spring day
-- (only 12:00-13:00 counts); in the fall 02:30-03:30 EST is one hour
SELECT day,
	   csstats.business_seconds(day::timestamp AT TIME ZONE 'America/New_York',
								(day + 1)::timestamp AT TIME ZONE 'America/New_York', 'cal_edge') AS secs
FROM unnest(ARRAY['2025-03-02', '2025-03-09', '2025-11-02']::date[]) day
ORDER BY 1;
UPDATE csstats.operating_hours SET opens_at = '01:30', closes_at = '02:30'
WHERE channel_id = 'cal_edge' AND opens_at = '02:30';
-- fall back: 01:30 is the later 01:30 (EST), so 01:30-02:30 EST = 3600;
-- spring: 01:30 EST .. 02:30 (gap, = 03:30 EDT) = 3600
SELECT day,
	   csstats.business_seconds(day::timestamp AT TIME ZONE 'America/New_York',
								(day + 1)::timestamp AT TIME ZONE 'America/New_York', 'cal_edge') AS secs,
	   csstats.is_operating(('2025-11-02 01:45'::timestamp AT TIME ZONE 'America/New_York') - interval '1 hour', 'cal_edge') AS first_0145_open,
	   csstats.is_operating('2025-11-02 01:45'::timestamp AT TIME ZONE 'America/New_York', 'cal_edge') AS second_0145_open
FROM unnest(ARRAY['2025-03-09', '2025-11-02']::date[]) day
ORDER BY 1;

-- far dates follow PostgreSQL's tz rules too (LMT in 1850, 400-year
-- extrapolation of the DST rules beyond the tz tables)
SELECT day,
	   csstats.business_seconds(day::timestamp AT TIME ZONE 'America/New_York',
								(day + 1)::timestamp AT TIME ZONE 'America/New_York', 'cal_dst_ny') AS day_secs,
	   extract(epoch FROM ((day + 1)::timestamp AT TIME ZONE 'America/New_York')
						- (day::timestamp AT TIME ZONE 'America/New_York')) AS at_time_zone_secs
FROM unnest(ARRAY['1850-06-01', '1883-11-18', '2450-03-13', '2450-11-06',
				  '3001-03-11', '9999-03-14']::date[]) day
ORDER BY 1;

------------------------------------------------------------------------------
-- Special days, holidays, versions
------------------------------------------------------------------------------
INSERT INTO csstats.channels (id, name, timezone) VALUES ('cal_v', 'versions', 'Asia/Seoul');
INSERT INTO csstats.operating_hours (channel_id, valid_from, day_of_week, opens_at, closes_at)
SELECT 'cal_v', '-infinity', d, '09:00', '18:00' FROM generate_series(1, 5) d;
-- from 2025-03-10: 10:00-12:00 and 11:00-16:00 (overlapping rows merge: 6 h)
INSERT INTO csstats.operating_hours (channel_id, valid_from, day_of_week, opens_at, closes_at)
SELECT 'cal_v', '2025-03-10', d, o, c
FROM generate_series(1, 5) d, (VALUES ('10:00'::time, '12:00'::time), ('11:00', '16:00')) v(o, c);
-- an open Saturday, a shortened Friday, and a special day that is also a holiday
INSERT INTO csstats.special_hours (channel_id, day, opens_at, closes_at) VALUES
	('cal_v', '2025-03-08', '10:00', '13:00'),
	('cal_v', '2025-03-14', '10:00', '11:00'),
	('cal_v', '2025-03-14', '14:00', '24:00'),
	('cal_v', '2025-03-12', '00:00', '24:00');
INSERT INTO csstats.holidays (channel_id, day, name) VALUES ('cal_v', '2025-03-12', 'holiday wins');
SELECT day, extract(isodow FROM day) AS isodow,
	   csstats.business_seconds(day::timestamp AT TIME ZONE 'Asia/Seoul',
								(day + 1)::timestamp AT TIME ZONE 'Asia/Seoul', 'cal_v') / 3600 AS hours
FROM generate_series(0, 10) i, LATERAL (SELECT '2025-03-06'::date + i AS day) d
ORDER BY 1;

-- a date before every version is closed; a channel without rows is open 24/7
INSERT INTO csstats.channels (id, name, timezone) VALUES
	('cal_late', 'from 2025', 'UTC'), ('cal_always', 'no rows', 'Europe/Berlin');
INSERT INTO csstats.operating_hours (channel_id, valid_from, day_of_week, opens_at, closes_at)
VALUES ('cal_late', '2025-01-01', 3, '00:00', '24:00');
SELECT csstats.business_seconds('2024-01-01', '2025-01-01', 'cal_late') AS before_version,
	   csstats.business_seconds('-infinity', '2025-01-09', 'cal_late') AS from_minus_infinity,
	   csstats.business_seconds('2025-01-01', 'infinity', 'cal_late') AS to_infinity,
	   csstats.business_seconds('2024-03-30 12:00+00', '2026-10-26 12:00+00', 'cal_always')
		 = extract(epoch FROM timestamptz '2026-10-26 12:00+00' - timestamptz '2024-03-30 12:00+00') AS always_elapsed,
	   csstats.is_operating('2025-12-25 03:00+00', 'cal_always') AS always_open;

-- two-year and multi-century spans are exact sums of their parts
SELECT csstats.business_seconds('2020-01-01', '2022-01-01', 'cal_dst_berlin')
		 = extract(epoch FROM timestamptz '2022-01-01' - timestamptz '2020-01-01') AS berlin_2y,
	   csstats.business_seconds('1990-05-05', '2640-01-01', 'cal_v')
		 = csstats.business_seconds('1990-05-05', '2025-03-11', 'cal_v')
		 + csstats.business_seconds('2025-03-11', '2640-01-01', 'cal_v') AS additive;

------------------------------------------------------------------------------
-- Errors
------------------------------------------------------------------------------
SELECT csstats.business_seconds('2025-01-01', '2025-01-02', 'cal_nope');
SELECT csstats.is_operating('2025-01-01', 'cal_nope');
-- reversed spans are 0, but the channel must still exist
SELECT csstats.business_seconds('2025-01-02', '2025-01-01', 'cal_nope');
DO $$
BEGIN
	PERFORM csstats.business_seconds('2025-01-01', '2025-01-02', 'cal_nope');
EXCEPTION WHEN undefined_object THEN
	RAISE NOTICE 'SQLSTATE %: %', SQLSTATE, SQLERRM;
END
$$;
-- a holiday outside years 1..9999 cannot be compiled
INSERT INTO csstats.holidays (channel_id, day, name) VALUES ('cal_late', '12025-01-01', 'typo');
SELECT csstats.business_seconds('2025-01-01', '2025-01-02', 'cal_late');
DELETE FROM csstats.holidays WHERE channel_id = 'cal_late';
SELECT csstats.business_seconds('2025-01-01', '2025-01-02', 'cal_late') AS fixed;
-- the trigger function refuses direct calls
SELECT csstats._calendar_changed();

------------------------------------------------------------------------------
-- The cache follows changes: same session, same transaction, rollback
------------------------------------------------------------------------------
SELECT csstats.business_seconds('2025-03-03 00:00+09', '2025-03-04 00:00+09', 'cal_ch1') AS before;
UPDATE csstats.operating_hours SET closes_at = '17:00' WHERE channel_id = 'cal_ch1';
SELECT csstats.business_seconds('2025-03-03 00:00+09', '2025-03-04 00:00+09', 'cal_ch1') AS after_update;
BEGIN;
INSERT INTO csstats.holidays (channel_id, day, name) VALUES ('cal_ch1', '2025-03-03', 'in transaction');
SELECT csstats.business_seconds('2025-03-03 00:00+09', '2025-03-04 00:00+09', 'cal_ch1') AS in_transaction;
ROLLBACK;
SELECT csstats.business_seconds('2025-03-03 00:00+09', '2025-03-04 00:00+09', 'cal_ch1') AS after_rollback;
-- the channel's time zone: the same local hours, other instants
SELECT csstats.is_operating('2025-03-03 09:30+09', 'cal_ch1') AS seoul_0930;
UPDATE csstats.channels SET timezone = 'Europe/Berlin' WHERE id = 'cal_ch1';
SELECT csstats.is_operating('2025-03-03 09:30+09', 'cal_ch1') AS berlin_0130,
	   csstats.is_operating('2025-03-03 09:30+01', 'cal_ch1') AS berlin_0930;
TRUNCATE csstats.special_hours;
SELECT csstats.business_seconds('2025-03-08 00:00+09', '2025-03-09 00:00+09', 'cal_v') AS saturday_after_truncate;

------------------------------------------------------------------------------
-- ... and changes committed by another session (dblink), both ways
------------------------------------------------------------------------------
CREATE EXTENSION IF NOT EXISTS dblink;
SELECT dblink_connect('other', format('dbname=%s host=%s port=%s user=%s',
	current_database(), split_part(current_setting('unix_socket_directories'), ',', 1),
	current_setting('port'), current_user));
-- this session caches the schedule, the other one changes it and commits
SELECT csstats.business_seconds('2025-03-03 00:00+01', '2025-03-04 00:00+01', 'cal_ch1') AS here_before;
SELECT dblink_exec('other', $$UPDATE csstats.operating_hours SET opens_at = '08:00' WHERE channel_id = 'cal_ch1'$$);
SELECT csstats.business_seconds('2025-03-03 00:00+01', '2025-03-04 00:00+01', 'cal_ch1') AS here_after;
-- the other session caches it, this one changes it
SELECT * FROM dblink('other', $$SELECT csstats.business_seconds('2025-03-03 00:00+01', '2025-03-04 00:00+01', 'cal_ch1')$$) AS t(other_before float8);
INSERT INTO csstats.holidays (channel_id, day, name) VALUES ('cal_ch1', '2025-03-03', 'from this session');
SELECT * FROM dblink('other', $$SELECT csstats.business_seconds('2025-03-03 00:00+01', '2025-03-04 00:00+01', 'cal_ch1')$$) AS t(other_after float8);
-- an uncommitted change of this session is not seen there
BEGIN;
DELETE FROM csstats.holidays WHERE channel_id = 'cal_ch1';
SELECT csstats.business_seconds('2025-03-03 00:00+01', '2025-03-04 00:00+01', 'cal_ch1') AS here_uncommitted;
SELECT * FROM dblink('other', $$SELECT csstats.business_seconds('2025-03-03 00:00+01', '2025-03-04 00:00+01', 'cal_ch1')$$) AS t(other_meanwhile float8);
COMMIT;
SELECT * FROM dblink('other', $$SELECT csstats.business_seconds('2025-03-03 00:00+01', '2025-03-04 00:00+01', 'cal_ch1')$$) AS t(other_after_commit float8);
-- at REPEATABLE READ the calendar follows the transaction's snapshot
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT csstats.business_seconds('2025-03-03 00:00+01', '2025-03-04 00:00+01', 'cal_ch1') AS rr_first;
SELECT dblink_exec('other', $$INSERT INTO csstats.holidays (channel_id, day) VALUES ('cal_ch1', '2025-03-03')$$);
SELECT csstats.business_seconds('2025-03-03 00:00+01', '2025-03-04 00:00+01', 'cal_ch1') AS rr_same_snapshot;
COMMIT;
SELECT csstats.business_seconds('2025-03-03 00:00+01', '2025-03-04 00:00+01', 'cal_ch1') AS after_rr;
SELECT dblink_disconnect('other');
DROP EXTENSION dblink;

------------------------------------------------------------------------------
-- Parallel workers load the schedule themselves and agree with a serial plan
------------------------------------------------------------------------------
CREATE TABLE cal_par AS
SELECT timestamptz '2025-01-01' + i * interval '17 minutes 3 seconds' AS a
FROM generate_series(1, 30000) i;
ANALYZE cal_par;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF)
SELECT sum(csstats.business_seconds(a, a + interval '3 days', 'cal_dst_ny')) FROM cal_par;
SELECT sum(csstats.business_seconds(a, a + interval '3 days', 'cal_v')) AS par_sum,
	   count(*) FILTER (WHERE csstats.is_operating(a, 'cal_v')) AS par_open
FROM cal_par;
SET max_parallel_workers_per_gather = 0;
SELECT sum(csstats.business_seconds(a, a + interval '3 days', 'cal_v')) AS serial_sum,
	   count(*) FILTER (WHERE csstats.is_operating(a, 'cal_v')) AS serial_open
FROM cal_par;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
DROP TABLE cal_par;

-- clean up
DELETE FROM csstats.channels WHERE id LIKE 'cal\_%';
RESET timezone;
