#!/usr/bin/env bash
# Randomized cross-check of csstats.business_seconds / csstats.is_operating
# against the slow plain-SQL reference in test/tools/calendar_reference.sql.
#
# Random schedules (versions, overlapping rows, 24:00, hours inside DST jumps,
# holidays and special days, some on DST transition days, one 24/7 channel
# per zone group) in zones with and without DST, 30-minute DST, midnight
# transitions and historical changes; thousands of random spans from a
# second to three years (some far in the past and future), compared to the
# microsecond; and is_operating at random instants and exactly at every
# opening and closing instant the reference finds.
set -euo pipefail
: "${CSSTATS_SRC:?}" "${PGHOST:?}" "${PGPORT:?}"
DB=csstats_calcheck
SPANS=${CALCHECK_SPANS:-3000}
SEED=${CALCHECK_SEED:-0.3141}

psql_db() { psql -X -q -v ON_ERROR_STOP=1 -d "$DB" "$@"; }

dropdb --if-exists "$DB" >/dev/null 2>&1
createdb "$DB"
trap 'dropdb --if-exists "$DB" >/dev/null 2>&1 || true' EXIT

psql_db -c "SET client_min_messages = warning; CREATE EXTENSION csstats;"
psql_db -f "$CSSTATS_SRC/test/tools/calendar_reference.sql"

psql_db -v seed="$SEED" -v spans="$SPANS" <<'SQL'
SELECT setseed(:seed) AS seeded \gset

CREATE TABLE zones (n int PRIMARY KEY, z text);
INSERT INTO zones VALUES
	(0, 'America/New_York'), (1, 'Europe/Berlin'), (2, 'Australia/Lord_Howe'),
	(3, 'Asia/Seoul'), (4, 'America/Santiago'), (5, 'Pacific/Apia'),
	(6, 'Africa/Casablanca'), (7, 'America/St_Johns'), (8, 'Asia/Kolkata'),
	(9, 'Europe/London'), (10, 'America/Havana'), (11, 'UTC');

-- a random opening interval: minutes anywhere, or a 15-minute grid in the
-- small hours where DST jumps happen, or ending at 24:00, or the whole day
CREATE FUNCTION pg_temp.rand_iv(OUT o time, OUT c time)
LANGUAGE plpgsql AS $$
DECLARE
	k float8 := random();
	x int;
	y int;
BEGIN
	IF k < 0.15 THEN
		o := '00:00'; c := '24:00'; RETURN;
	ELSIF k < 0.30 THEN
		o := make_time(floor(random() * 24)::int, floor(random() * 60)::int, 0);
		c := '24:00'; RETURN;
	ELSIF k < 0.55 THEN
		x := floor(random() * 17)::int; y := floor(random() * 17)::int;
		IF x = y THEN y := x + 1; END IF;
		o := make_interval(mins => least(x, y) * 15)::time;
		c := make_interval(mins => greatest(x, y) * 15)::time;
		RETURN;
	END IF;
	x := floor(random() * 1440)::int; y := floor(random() * 1440)::int;
	IF x = y THEN y := x + 1; END IF;
	o := make_interval(mins => least(x, y))::time;
	c := make_interval(mins => greatest(x, y))::time;
END
$$;

-- local dates on which the zone's UTC offset changes (DST and other jumps)
CREATE TABLE jump_days AS
SELECT z.z, d AS day
FROM zones z, generate_series(0, 365 * 60) i, LATERAL (SELECT '1995-01-01'::date + i AS d) dd
WHERE extract(epoch FROM ((d + 1)::timestamp AT TIME ZONE z.z) - (d::timestamp AT TIME ZONE z.z)) <> 86400;

CREATE FUNCTION pg_temp.rand_day() RETURNS date LANGUAGE sql AS
$$ SELECT '1995-01-01'::date + floor(random() * 365 * 60)::int $$;

DO $$
DECLARE
	i int;
	v int;
	nver int;
	vf date;
	dow int;
	k int;
	ch text;
	tz text;
	d date;
	iv record;
BEGIN
	FOR i IN 0..35 LOOP
		ch := 'xc_' || i;
		SELECT z INTO tz FROM zones WHERE n = i % 12;
		INSERT INTO csstats.channels (id, name, timezone) VALUES (ch, ch, tz);
		nver := (i / 12) + (i % 2);		-- 0 (24/7) .. 3 versions
		FOR v IN 1..nver LOOP
			vf := CASE WHEN v = 1 AND random() < 0.6 THEN '-infinity'::date ELSE pg_temp.rand_day() END;
			FOR dow IN 0..6 LOOP
				CONTINUE WHEN random() < 0.2;
				FOR k IN 1..(1 + floor(random() * 3)::int) LOOP
					iv := pg_temp.rand_iv();
					INSERT INTO csstats.operating_hours (channel_id, valid_from, day_of_week, opens_at, closes_at)
					VALUES (ch, vf, dow, iv.o, iv.c) ON CONFLICT DO NOTHING;
				END LOOP;
			END LOOP;
		END LOOP;
		-- holidays and special days: random ones and some on jump days
		FOR k IN 1..floor(random() * 15)::int LOOP
			INSERT INTO csstats.holidays (channel_id, day) VALUES (ch, pg_temp.rand_day()) ON CONFLICT DO NOTHING;
		END LOOP;
		FOR d IN SELECT day FROM jump_days WHERE z = tz ORDER BY random() LIMIT 3 LOOP
			INSERT INTO csstats.holidays (channel_id, day) VALUES (ch, d) ON CONFLICT DO NOTHING;
		END LOOP;
		FOR d IN SELECT pg_temp.rand_day() FROM generate_series(1, floor(random() * 10)::int)
				 UNION ALL (SELECT day FROM jump_days WHERE z = tz ORDER BY random() LIMIT 4) LOOP
			FOR k IN 1..(1 + floor(random() * 2)::int) LOOP
				iv := pg_temp.rand_iv();
				INSERT INTO csstats.special_hours (channel_id, day, opens_at, closes_at)
				VALUES (ch, d, iv.o, iv.c) ON CONFLICT DO NOTHING;
			END LOOP;
		END LOOP;
	END LOOP;
END
$$;

-- random spans: a start in 1995..2055 (some far away), a length from one
-- second to three years on a log scale; some snapped to whole minutes
CREATE TABLE spans AS
SELECT n, 'xc_' || floor(random() * 36)::int AS ch, a, len
FROM (
	SELECT n,
		   CASE WHEN random() < 0.08 THEN
					CASE WHEN random() < 0.5 THEN timestamptz '1850-01-01' ELSE timestamptz '2300-01-01' END
					+ random() * interval '150 years'
				ELSE timestamptz '1995-01-01' + random() * interval '60 years' END AS a,
		   exp(random() * ln(3 * 365.25 * 86400)) * interval '1 second' AS len
	FROM generate_series(1, :spans) n
) s;
UPDATE spans SET a = date_trunc('minute', a) WHERE n % 3 = 0;
UPDATE spans SET len = date_trunc('minute', len) WHERE n % 5 = 0;
UPDATE spans SET len = -len WHERE n % 50 = 0;

CREATE TABLE span_results AS
SELECT n, ch, a, a + len AS b,
	   csstats.business_seconds(a, a + len, ch) AS got,
	   calref.business_seconds(a, a + len, ch) AS want
FROM spans;

-- instants: random ones, and every opening and closing instant (and the
-- microsecond before it) the reference finds around some of the spans
CREATE TABLE instants AS
SELECT ch, a AS at FROM spans
UNION ALL
SELECT ch, at FROM (
	SELECT s.ch, r FROM spans s, calref.open_ranges(s.ch, s.a, s.a + interval '3 days') r
	WHERE s.n % 4 = 0
) q, LATERAL (VALUES (lower(r)), (upper(r)), (lower(r) - interval '1 microsecond'),
					 (upper(r) - interval '1 microsecond')) v(at);
CREATE TABLE instant_results AS
SELECT ch, at, csstats.is_operating(at, ch) AS got, calref.is_operating(at, ch) AS want
FROM instants;
SQL

# report
read -r span_total span_bad max_diff total_secs <<<"$(psql_db -At -F ' ' -c "
	SELECT count(*), count(*) FILTER (WHERE got IS DISTINCT FROM want AND abs(got - want) > 1e-7),
		   coalesce(max(abs(got - want)), 0), round(sum(want)::numeric)
	FROM span_results")"
read -r inst_total inst_bad inst_open <<<"$(psql_db -At -F ' ' -c "
	SELECT count(*), count(*) FILTER (WHERE got IS DISTINCT FROM want), count(*) FILTER (WHERE want)
	FROM instant_results")"
echo "business_seconds: $span_total spans, $span_bad mismatches, max |diff| $max_diff s (reference total $total_secs s)"
echo "is_operating: $inst_total instants ($inst_open open), $inst_bad mismatches"
if [ "$span_bad" != 0 ] || [ "$inst_bad" != 0 ]; then
	psql_db -c "SELECT r.n, r.ch, c.timezone, r.a, r.b, r.got, r.want FROM span_results r
				JOIN csstats.channels c ON c.id = r.ch
				WHERE r.got IS DISTINCT FROM r.want AND abs(r.got - r.want) > 1e-7 ORDER BY r.n LIMIT 10"
	psql_db -c "SELECT i.ch, c.timezone, i.at, i.got, i.want FROM instant_results i
				JOIN csstats.channels c ON c.id = i.ch WHERE i.got IS DISTINCT FROM i.want LIMIT 10"
fi
# sanity: the data must exercise something (no test that cannot fail)
nonzero=$(psql_db -At -c "SELECT count(*) FROM span_results WHERE want > 0")
[ "$nonzero" -gt $((span_total / 4)) ] || { echo "too few spans with business time: $nonzero"; span_bad=$((span_bad + 1)); }

passed=0 failed=0
[ "$span_bad" = 0 ] && passed=$((passed + 1)) || failed=$((failed + 1))
[ "$inst_bad" = 0 ] && passed=$((passed + 1)) || failed=$((failed + 1))
echo "calendar_crosscheck: $passed passed, $failed failed"
[ "$failed" = 0 ]
