-- The operating-hours cache (src/calendar.c) gives every role its own view of
-- csstats.channels, operating_hours, holidays and special_hours, whichever
-- role filled the cache first, all within this one session.
-- Channels of this test are named cr_* and removed at the end.
SET timezone = 'UTC';
SELECT current_user AS superuser \gset
INSERT INTO csstats.channels (id, name) VALUES
	('cr_a', 'tenant a'), ('cr_b', 'tenant b'), ('cr_shared', 'shared');
-- cr_a: Monday-Friday 09:00-18:00; cr_b: every day 00:00-24:00
INSERT INTO csstats.operating_hours (channel_id, day_of_week, opens_at, closes_at)
SELECT 'cr_a', d, '09:00', '18:00' FROM generate_series(1, 5) d;
INSERT INTO csstats.operating_hours (channel_id, day_of_week, opens_at, closes_at)
SELECT 'cr_b', d, '00:00', '24:00' FROM generate_series(0, 6) d;
-- cr_shared: Monday 09:00-12:00 (seen by role a) and 13:00-17:00 (seen by role b)
INSERT INTO csstats.operating_hours (channel_id, day_of_week, opens_at, closes_at) VALUES
	('cr_shared', 1, '09:00', '12:00'), ('cr_shared', 1, '13:00', '17:00');
-- a holiday on Monday 2025-03-03 that only some sessions see
INSERT INTO csstats.holidays (channel_id, day) VALUES ('cr_a', '2025-03-03');

CREATE ROLE csstats_cr_a;
CREATE ROLE csstats_cr_b;
CREATE ROLE csstats_cr_none;
GRANT USAGE ON SCHEMA csstats TO csstats_cr_a, csstats_cr_b, csstats_cr_none;
GRANT SELECT ON csstats.channels, csstats.operating_hours, csstats.holidays, csstats.special_hours
	TO csstats_cr_a, csstats_cr_b;

ALTER TABLE csstats.channels ENABLE ROW LEVEL SECURITY;
CREATE POLICY cr_a_channels ON csstats.channels TO csstats_cr_a USING (id IN ('cr_a', 'cr_shared'));
CREATE POLICY cr_b_channels ON csstats.channels TO csstats_cr_b USING (id IN ('cr_b', 'cr_shared'));
ALTER TABLE csstats.operating_hours ENABLE ROW LEVEL SECURITY;
CREATE POLICY cr_a_hours ON csstats.operating_hours TO csstats_cr_a
	USING (channel_id <> 'cr_shared' OR opens_at < '12:00');
CREATE POLICY cr_b_hours ON csstats.operating_hours TO csstats_cr_b
	USING (channel_id <> 'cr_shared' OR opens_at >= '12:00');
-- holidays are visible only while the session says so
ALTER TABLE csstats.holidays ENABLE ROW LEVEL SECURITY;
CREATE POLICY cr_holidays ON csstats.holidays
	USING (current_setting('cr_test.show_holidays', true) = 'on');

-- The superuser (no row security) fills the cache first: Monday, whole day
SELECT csstats.business_seconds('2025-03-03 00:00', '2025-03-04 00:00', 'cr_shared') AS superuser_7h,
	   csstats.business_seconds('2025-03-03 00:00', '2025-03-04 00:00', 'cr_a') AS superuser_holiday;
-- Role a sees the morning only, role b the afternoon only
SET ROLE csstats_cr_a;
SELECT csstats.business_seconds('2025-03-03 00:00', '2025-03-04 00:00', 'cr_shared') AS a_3h,
	   csstats.is_operating('2025-03-03 10:00', 'cr_shared') AS a_open_at_10,
	   csstats.is_operating('2025-03-03 14:00', 'cr_shared') AS a_open_at_14;
SET ROLE csstats_cr_b;
SELECT csstats.business_seconds('2025-03-03 00:00', '2025-03-04 00:00', 'cr_shared') AS b_4h,
	   csstats.is_operating('2025-03-03 10:00', 'cr_shared') AS b_open_at_10,
	   csstats.is_operating('2025-03-03 14:00', 'cr_shared') AS b_open_at_14;
SELECT csstats.business_seconds('2025-03-03 00:00', '2025-03-04 00:00', 'cr_b') AS b_24h;
-- a channel role b may not see is unknown to it, though others loaded it
SELECT csstats.business_seconds('2025-03-03 00:00', '2025-03-04 00:00', 'cr_a');
SET ROLE csstats_cr_a;
SELECT csstats.business_seconds('2025-03-03 00:00', '2025-03-04 00:00', 'cr_a') AS a_9h;
SELECT csstats.business_seconds('2025-03-03 00:00', '2025-03-04 00:00', 'cr_b');
SET ROLE csstats_cr_b;
SELECT csstats.business_seconds('2025-03-03 00:00', '2025-03-04 00:00', 'cr_a');
RESET ROLE;
SELECT csstats.business_seconds('2025-03-03 00:00', '2025-03-04 00:00', 'cr_shared') AS superuser_still_7h;
-- a role attribute change takes effect at the next call: with BYPASSRLS role b
-- sees every row (and that schedule is cached), without it its policies again
ALTER ROLE csstats_cr_b BYPASSRLS;
SET ROLE csstats_cr_b;
SELECT csstats.business_seconds('2025-03-03 00:00', '2025-03-04 00:00', 'cr_shared') AS bypass_7h;
RESET ROLE;
ALTER ROLE csstats_cr_b NOBYPASSRLS;
SET ROLE csstats_cr_b;
SELECT csstats.business_seconds('2025-03-03 00:00', '2025-03-04 00:00', 'cr_shared') AS b_again_4h;
RESET ROLE;

-- Many calls of one statement agree (and reuse the schedule)
SET ROLE csstats_cr_a;
SELECT count(*) AS calls, min(s), max(s)
FROM (SELECT csstats.business_seconds('2025-03-03 00:00', '2025-03-04 00:00', 'cr_shared') AS s
	  FROM generate_series(1, 1000)) x;

-- A policy that depends on a setting: each statement sees the setting in
-- force, also within one transaction and one PL/pgSQL block
BEGIN;
SET LOCAL cr_test.show_holidays = 'off';
SELECT csstats.business_seconds('2025-03-03 00:00', '2025-03-04 00:00', 'cr_a') AS no_holiday_9h;
SET LOCAL cr_test.show_holidays = 'on';
SELECT csstats.business_seconds('2025-03-03 00:00', '2025-03-04 00:00', 'cr_a') AS holiday_0;
COMMIT;
DO $$
BEGIN
	PERFORM set_config('cr_test.show_holidays', 'off', true);
	RAISE NOTICE 'holidays hidden: %', csstats.business_seconds('2025-03-03 00:00', '2025-03-04 00:00', 'cr_a');
	PERFORM set_config('cr_test.show_holidays', 'on', true);
	RAISE NOTICE 'holidays shown: %', csstats.business_seconds('2025-03-03 00:00', '2025-03-04 00:00', 'cr_a');
END
$$;
RESET ROLE;

-- A SECURITY DEFINER function reads with its owner's rights
CREATE FUNCTION pg_temp.shared_hours_as_b() RETURNS double precision
	LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog
	AS $$ SELECT csstats.business_seconds('2025-03-03 00:00', '2025-03-04 00:00', 'cr_shared') $$;
ALTER FUNCTION pg_temp.shared_hours_as_b() OWNER TO csstats_cr_b;
SET ROLE csstats_cr_a;
SELECT pg_temp.shared_hours_as_b() AS as_b_4h,
	   csstats.business_seconds('2025-03-03 00:00', '2025-03-04 00:00', 'cr_shared') AS as_a_3h;
RESET ROLE;

-- Without row security, privileges still decide: a role without SELECT gets
-- the permission error, and granting or revoking (directly or through role
-- membership) takes effect at the next call
DROP POLICY cr_holidays ON csstats.holidays;
ALTER TABLE csstats.holidays DISABLE ROW LEVEL SECURITY;
DROP POLICY cr_a_hours ON csstats.operating_hours;
DROP POLICY cr_b_hours ON csstats.operating_hours;
ALTER TABLE csstats.operating_hours DISABLE ROW LEVEL SECURITY;
DROP POLICY cr_a_channels ON csstats.channels;
DROP POLICY cr_b_channels ON csstats.channels;
ALTER TABLE csstats.channels DISABLE ROW LEVEL SECURITY;
SET ROLE csstats_cr_a;
SELECT csstats.business_seconds('2025-03-03 00:00', '2025-03-04 00:00', 'cr_shared') AS a_now_7h;
SET ROLE csstats_cr_none;
SELECT csstats.business_seconds('2025-03-03 00:00', '2025-03-04 00:00', 'cr_shared');
RESET ROLE;
GRANT csstats_cr_a TO csstats_cr_none;
SET ROLE csstats_cr_none;
SELECT csstats.business_seconds('2025-03-03 00:00', '2025-03-04 00:00', 'cr_shared') AS member_7h;
RESET ROLE;
REVOKE csstats_cr_a FROM csstats_cr_none;
SET ROLE csstats_cr_none;
SELECT csstats.business_seconds('2025-03-03 00:00', '2025-03-04 00:00', 'cr_shared');
RESET ROLE;
REVOKE SELECT ON csstats.operating_hours FROM csstats_cr_a;
SET ROLE csstats_cr_a;
SELECT csstats.business_seconds('2025-03-03 00:00', '2025-03-04 00:00', 'cr_shared');
RESET ROLE;

DELETE FROM csstats.channels WHERE id LIKE 'cr\_%';
REVOKE ALL ON csstats.channels, csstats.operating_hours, csstats.holidays, csstats.special_hours
	FROM csstats_cr_a, csstats_cr_b;
REVOKE ALL ON SCHEMA csstats FROM csstats_cr_a, csstats_cr_b, csstats_cr_none;
DROP FUNCTION pg_temp.shared_hours_as_b();
DROP ROLE csstats_cr_a, csstats_cr_b, csstats_cr_none;
