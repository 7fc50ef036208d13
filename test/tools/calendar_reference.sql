-- A slow, independent reference for csstats.business_seconds and
-- csstats.is_operating, in plain SQL, used by the cross-check suite
-- (test/suites/30_calendar_crosscheck.sh).  Never installed by the extension.
--
-- It follows the definition literally: for every local date around the span,
-- take the date's intervals (special_hours if any, else the weekly rows of
-- the latest version whose valid_from <= the date; 24/7 if the channel has
-- no weekly rows; nothing on a holiday), merge them in local time, convert
-- each open/close with "timestamp AT TIME ZONE", union everything, and
-- intersect with the span.  No compiled schedule, no arithmetic on weeks.

CREATE SCHEMA calref;

-- the channel's open instants around [a, b), as disjoint ranges
CREATE FUNCTION calref.open_ranges(ch text, a timestamptz, b timestamptz)
RETURNS SETOF tstzrange
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
WITH tz AS (
	SELECT c.timezone FROM csstats.channels c WHERE c.id = ch
), bounds AS (
	SELECT (a AT TIME ZONE tz.timezone)::date - 2 AS d0,
		   (b AT TIME ZONE tz.timezone)::date + 2 AS d1
	FROM tz
), days AS (
	SELECT bounds.d0 + i AS day
	FROM bounds, generate_series(0, bounds.d1 - bounds.d0) i
), local_iv AS (
	-- special days replace the weekly hours
	SELECT dd.day, tsrange(dd.day + s.opens_at, dd.day + s.closes_at) AS r
	FROM days dd
	JOIN csstats.special_hours s ON s.channel_id = ch AND s.day = dd.day
	UNION ALL
	-- weekly hours of the version in force on the date
	SELECT dd.day, tsrange(dd.day + o.opens_at, dd.day + o.closes_at)
	FROM days dd
	JOIN csstats.operating_hours o
	  ON o.channel_id = ch
	 AND o.day_of_week = extract(dow FROM dd.day)
	 AND o.valid_from = (SELECT max(o2.valid_from) FROM csstats.operating_hours o2
						 WHERE o2.channel_id = ch AND o2.valid_from <= dd.day)
	WHERE NOT EXISTS (SELECT 1 FROM csstats.special_hours s
					  WHERE s.channel_id = ch AND s.day = dd.day)
	UNION ALL
	-- no weekly rows at all: open 24/7
	SELECT dd.day, tsrange(dd.day::timestamp, (dd.day + 1)::timestamp)
	FROM days dd
	WHERE NOT EXISTS (SELECT 1 FROM csstats.operating_hours o WHERE o.channel_id = ch)
	  AND NOT EXISTS (SELECT 1 FROM csstats.special_hours s
					  WHERE s.channel_id = ch AND s.day = dd.day)
), open_iv AS (
	SELECT l.day, l.r FROM local_iv l
	WHERE NOT EXISTS (SELECT 1 FROM csstats.holidays h
					  WHERE h.channel_id = ch AND h.day = l.day)
), merged AS (
	-- overlapping or touching intervals of one local date merge
	SELECT day, unnest(range_agg(r)) AS r FROM open_iv GROUP BY day
), instants AS (
	SELECT lower(m.r) AT TIME ZONE tz.timezone AS o,
		   upper(m.r) AT TIME ZONE tz.timezone AS c
	FROM merged m, tz
)
SELECT unnest(range_agg(tstzrange(o, c))) FROM instants WHERE o < c
$$;

CREATE FUNCTION calref.business_seconds(a timestamptz, b timestamptz, ch text)
RETURNS double precision
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
SELECT CASE WHEN a >= b THEN 0::float8 ELSE
	coalesce((SELECT sum(extract(epoch FROM upper(x) - lower(x)))
			  FROM (SELECT r * tstzrange(a, b) AS x
					FROM calref.open_ranges(ch, a, b) r) q
			  WHERE NOT isempty(x)), 0)::float8
END
$$;

CREATE FUNCTION calref.is_operating(at timestamptz, ch text)
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
SELECT EXISTS (SELECT 1 FROM calref.open_ranges(ch, at, at) r WHERE r @> at)
$$;
