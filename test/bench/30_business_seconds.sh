#!/usr/bin/env bash
# business_seconds: 1M calls over random spans of minutes to months, the C
# function against a PL/pgSQL version that loops over local days (installed
# here, in the scratch schema bench_cal, never by the extension); and the
# cost of 2-day against 2-year spans (the C function must be flat).
#
# The PL/pgSQL baseline is timed on the first 20,000 spans and scaled to 1M
# (running it on 1M would take most of an hour); both functions are checked
# to agree on those spans before anything is timed.
set -euo pipefail
: "${CSSTATS_BENCH_DB:?}" "${PY:?}"
N=${CAL_BENCH_CALLS:-1000000}
NPL=${CAL_BENCH_PLPGSQL_CALLS:-20000}

psql -X -q -v ON_ERROR_STOP=1 -d "$CSSTATS_BENCH_DB" -v n="$N" <<'SQL'
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS bench_cal CASCADE;
DELETE FROM csstats.channels WHERE id LIKE 'bench-cal-%';
CREATE SCHEMA bench_cal;

-- two channels: Seoul (no DST) and New York (DST), Mon-Fri 09:00-18:00 with
-- a lunch break, Saturday mornings, holidays, a special day, a version change
INSERT INTO csstats.channels (id, name, timezone) VALUES
	('bench-cal-seoul', 'bench', 'Asia/Seoul'), ('bench-cal-ny', 'bench', 'America/New_York');
INSERT INTO csstats.operating_hours (channel_id, valid_from, day_of_week, opens_at, closes_at)
SELECT c, v, d, o, cl
FROM unnest(ARRAY['bench-cal-seoul', 'bench-cal-ny']) c,
	 (VALUES ('-infinity'::date), ('2025-07-01')) vf(v),
	 generate_series(1, 5) d,
	 (VALUES ('09:00'::time, '12:00'::time), ('13:00', '18:00')) h(o, cl)
UNION ALL
SELECT c, '2025-07-01', 6, '10:00', '14:00'
FROM unnest(ARRAY['bench-cal-seoul', 'bench-cal-ny']) c;
INSERT INTO csstats.holidays (channel_id, day, name)
SELECT c, d, 'holiday'
FROM unnest(ARRAY['bench-cal-seoul', 'bench-cal-ny']) c,
	 unnest(ARRAY['2024-01-01', '2024-05-05', '2024-12-25', '2025-01-01', '2025-03-01',
				  '2025-05-05', '2025-08-15', '2025-12-25', '2026-01-01', '2026-05-05']::date[]) d;
INSERT INTO csstats.special_hours (channel_id, day, opens_at, closes_at)
SELECT c, '2025-12-24', '09:00', '13:00' FROM unnest(ARRAY['bench-cal-seoul', 'bench-cal-ny']) c;

-- the baseline: loop over local days, convert each interval with AT TIME ZONE
CREATE FUNCTION bench_cal.business_seconds_loop(since timestamptz, until timestamptz, ch text)
RETURNS double precision
LANGUAGE plpgsql STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	tz text;
	has_rows boolean;
	d date;
	d1 date;
	r record;
	o timestamptz;
	c timestamptz;
	total double precision := 0;
BEGIN
	SELECT ch_.timezone INTO tz FROM csstats.channels ch_ WHERE ch_.id = ch;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'channel "%" does not exist', ch USING ERRCODE = 'undefined_object';
	END IF;
	IF since >= until THEN
		RETURN 0;
	END IF;
	has_rows := EXISTS (SELECT 1 FROM csstats.operating_hours oh WHERE oh.channel_id = ch);
	d := (since AT TIME ZONE tz)::date - 1;
	d1 := (until AT TIME ZONE tz)::date + 1;
	WHILE d <= d1 LOOP
		FOR r IN
			SELECT unnest(range_agg(x.lr)) AS lr FROM (
				SELECT tsrange(d + s.opens_at, d + s.closes_at) AS lr
				FROM csstats.special_hours s WHERE s.channel_id = ch AND s.day = d
				UNION ALL
				SELECT tsrange(d + oh.opens_at, d + oh.closes_at)
				FROM csstats.operating_hours oh
				WHERE oh.channel_id = ch AND oh.day_of_week = extract(dow FROM d)
				  AND oh.valid_from = (SELECT max(v.valid_from) FROM csstats.operating_hours v
									   WHERE v.channel_id = ch AND v.valid_from <= d)
				  AND NOT EXISTS (SELECT 1 FROM csstats.special_hours s2
								  WHERE s2.channel_id = ch AND s2.day = d)
				UNION ALL
				SELECT tsrange(d::timestamp, (d + 1)::timestamp)
				WHERE NOT has_rows
				  AND NOT EXISTS (SELECT 1 FROM csstats.special_hours s3
								  WHERE s3.channel_id = ch AND s3.day = d)
			) x
			WHERE NOT EXISTS (SELECT 1 FROM csstats.holidays h WHERE h.channel_id = ch AND h.day = d)
		LOOP
			o := lower(r.lr) AT TIME ZONE tz;
			c := upper(r.lr) AT TIME ZONE tz;
			IF least(c, until) > greatest(o, since) THEN
				total := total + extract(epoch FROM least(c, until) - greatest(o, since));
			END IF;
		END LOOP;
		d := d + 1;
	END LOOP;
	RETURN total;
END
$$;

-- random spans: start in 2024..2026, length from one minute to three months
-- on a log scale; and fixed 2-day and 2-year spans
SELECT setseed(0.2718) AS seeded \gset
CREATE TABLE bench_cal.spans AS
SELECT n, CASE WHEN n % 2 = 0 THEN 'bench-cal-seoul' ELSE 'bench-cal-ny' END AS ch,
	   a, a + exp(ln(60) + random() * (ln(90 * 86400) - ln(60))) * interval '1 second' AS b
FROM (SELECT n, timestamptz '2024-01-01' + random() * interval '3 years' AS a
	  FROM generate_series(1, :n) n) s;
CREATE TABLE bench_cal.spans_2d AS
SELECT n, ch, a, a + interval '2 days' AS b FROM bench_cal.spans;
CREATE TABLE bench_cal.spans_2y AS
SELECT n, ch, a, a + interval '2 years' AS b FROM bench_cal.spans;
CREATE INDEX ON bench_cal.spans (n);
ANALYZE bench_cal.spans, bench_cal.spans_2d, bench_cal.spans_2y;
SQL

"$PY" - "$N" "$NPL" <<'PY'
import sys
import benchlib as b

n, npl = int(sys.argv[1]), int(sys.argv[2])
conn = b.connect()
cur = conn.cursor()
# the two functions must agree before their speed means anything
cur.execute("""SELECT count(*), count(*) FILTER (WHERE abs(csstats.business_seconds(a, b, ch)
                                                    - bench_cal.business_seconds_loop(a, b, ch)) > 1e-6),
                      avg(extract(epoch FROM b - a)) / 86400
               FROM bench_cal.spans WHERE n <= %s""", (npl,))
checked, bad, avg_days = cur.fetchone()
if bad:
    print(f"business_seconds and the PL/pgSQL loop disagree on {bad} of {checked} spans", file=sys.stderr)
    sys.exit(1)

q = "SELECT sum(csstats.business_seconds(a, b, ch)) FROM bench_cal.{}"
t_c, peak = b.time_sql(q.format("spans"), runs=5)
t_floor, _ = b.time_sql("SELECT count(*) FROM bench_cal.spans WHERE b > a", runs=5)
t_pl, peak_pl = b.time_sql("SELECT sum(bench_cal.business_seconds_loop(a, b, ch)) "
                           "FROM bench_cal.spans WHERE n <= %s", params=(npl,), runs=3)
t_pl_scaled = t_pl * n / npl
t_2d, _ = b.time_sql(q.format("spans_2d"), runs=5)
t_2y, _ = b.time_sql(q.format("spans_2y"), runs=5)

label = f"{n // 1000}k" if n < 1000000 else f"{n // 1000000}M"
base = f"business_seconds, {label} spans, PL/pgSQL day loop"
b.emit(base, t_pl_scaled, peak_kb=peak_pl,
       note=f"scaled from {npl} calls ({t_pl / npl * 1e6:.0f} us/call); spans average {avg_days:.1f} days; "
            f"agrees on all {checked}")
b.emit(f"business_seconds, {label} spans (C)", t_c, baseline=base, kind="speedup", target=30,
       peak_kb=peak, note=f"{t_c / n * 1e6:.2f} us/call; the scan alone takes {t_floor * 1000:.0f} ms")
b.emit(f"business_seconds, {label} 2-day spans (C)", t_2d)
b.emit(f"business_seconds, {label} 2-year spans (C)", t_2y, baseline=f"business_seconds, {label} 2-day spans (C)",
       kind="overhead", target=1.3, note="cost flat in span length")
PY
PGOPTIONS='-c client_min_messages=warning' psql -X -q -d "$CSSTATS_BENCH_DB" -c "DROP SCHEMA bench_cal CASCADE" -c "DELETE FROM csstats.channels WHERE id LIKE 'bench-cal-%'"
