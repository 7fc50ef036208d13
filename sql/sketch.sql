--
-- csstats.approx_percentile / approx_percentiles: DDSketch estimates within
-- 1 % of percentile_cont, NULL handling, errors, and parallel aggregation.
--
SET extra_float_digits = 0;

-- small sets: the extremes are exact, the rest within 1 %
SELECT csstats.approx_percentile(v, 0) AS p0,
       csstats.approx_percentile(v, 1) AS p100,
       round(csstats.approx_percentile(v, 0.5)::numeric, 1) AS p50
FROM (VALUES (1.0::float8), (2.0), (3.0)) t(v);
SELECT csstats.approx_percentiles(v, '{0,1}') AS extremes
FROM (VALUES (-5.5::float8), (0), (12.25), (NULL)) t(v);

-- one value, zeros, negatives
SELECT csstats.approx_percentile(v, 0.3) FROM (VALUES (42.0::float8)) t(v);
SELECT csstats.approx_percentiles(v, '{0.1,0.5,0.9}') FROM (VALUES (0::float8), (0), (0)) t(v);
SELECT round(csstats.approx_percentile(v, 0.5)::numeric, 1) AS neg_median
FROM (VALUES (-10.0::float8), (-20.0), (-30.0)) t(v);

-- no rows and only NULL values give NULL, like percentile_cont
SELECT csstats.approx_percentile(v, 0.5) IS NULL AS empty_is_null
FROM (SELECT 1.0::float8 WHERE false) t(v);
SELECT csstats.approx_percentile(v, 0.5) IS NULL AS nulls_are_null,
       csstats.approx_percentiles(v, '{0.5}') IS NULL AS nulls_are_null_multi
FROM (VALUES (NULL::float8), (NULL)) t(v);

-- errors
SELECT csstats.approx_percentile(v, 1.5) FROM (VALUES (1.0::float8)) t(v);
SELECT csstats.approx_percentile(v, 'NaN') FROM (VALUES (1.0::float8)) t(v);
SELECT csstats.approx_percentile(v, NULL) FROM (VALUES (1.0::float8)) t(v);
SELECT csstats.approx_percentile(v, q) FROM (VALUES (1.0::float8, 0.5::float8), (2, 0.9)) t(v, q);
SELECT csstats.approx_percentile(v, 0.5) FROM (VALUES ('Infinity'::float8)) t(v);
SELECT csstats.approx_percentile(v, 0.5) FROM (VALUES ('NaN'::float8)) t(v);
SELECT csstats.approx_percentiles(v, '{0.5,NULL}') FROM (VALUES (1.0::float8)) t(v);
SELECT csstats.approx_percentiles(v, '{{0.5},{0.9}}') FROM (VALUES (1.0::float8)) t(v);
SELECT csstats.approx_percentiles(v, '{}') FROM (VALUES (1.0::float8)) t(v);
SELECT csstats.approx_percentiles(v, '{0.5,-0.1}') FROM (VALUES (1.0::float8)) t(v);

-- Durations-like data: 5 % zeros, 2 % NULL, seconds to days, 7 groups.
CREATE TABLE sketch_data AS
SELECT g AS id, g % 7 AS grp,
       CASE WHEN g % 50 = 1 THEN NULL
            WHEN g % 20 = 0 THEN 0
            ELSE round(exp((hashint4(g) & 65535) / 65535.0 * 12)::numeric, 3)::float8
       END AS v
FROM generate_series(1, 60000) g;
ANALYZE sketch_data;

-- every 5 % (and the tail) of every group is within 1 % of percentile_cont
WITH qs AS (SELECT q::float8 / 20 AS q FROM generate_series(0, 20) q
            UNION ALL VALUES (0.99::float8), (0.999)),
cmp AS (
    SELECT d.grp, qs.q,
           csstats.approx_percentile(d.v, qs.q) AS approx,
           percentile_cont(qs.q) WITHIN GROUP (ORDER BY d.v) AS exact
    FROM sketch_data d CROSS JOIN qs
    GROUP BY d.grp, qs.q
)
SELECT count(*) AS checked,
       count(*) FILTER (WHERE abs(approx - exact) > 0.01 * abs(exact) + 1e-9) AS outside_bound,
       max(abs(approx - exact) / nullif(abs(exact), 0)) < 0.01 AS max_rel_error_below_1pct
FROM cmp;

-- the multi-quantile form agrees with the single one
SELECT bool_and(m[1] = s50 AND m[2] = s90 AND m[3] = s99) AS multi_equals_single
FROM (
    SELECT grp, csstats.approx_percentiles(v, '{0.5,0.9,0.99}') AS m,
           csstats.approx_percentile(v, 0.5) AS s50,
           csstats.approx_percentile(v, 0.9) AS s90,
           csstats.approx_percentile(v, 0.99) AS s99
    FROM sketch_data GROUP BY grp
) t;

-- negative values: the bound is relative to the magnitude
SELECT count(*) FILTER (WHERE abs(approx - exact) > 0.01 * abs(exact) + 1e-9) AS outside_bound
FROM (
    SELECT q, csstats.approx_percentile(-v, q) AS approx,
           percentile_cont(q) WITHIN GROUP (ORDER BY -v) AS exact
    FROM sketch_data, (VALUES (0.01::float8), (0.25), (0.5), (0.75), (0.99)) x(q)
    WHERE v > 0
    GROUP BY q
) t;

-- Parallel plan: partial aggregates in workers, combined through serial/deserial.
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;

EXPLAIN (COSTS OFF)
SELECT csstats.approx_percentile(v, 0.9), csstats.approx_percentiles(v, '{0.5,0.9}')
FROM sketch_data;

CREATE FUNCTION sketch_workers_launched(query text) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    plan json;
BEGIN
    EXECUTE 'EXPLAIN (ANALYZE, FORMAT JSON) ' || query INTO plan;
    RETURN (plan -> 0 -> 'Plan' -> 'Plans' -> 0 ->> 'Workers Launched')::integer;
END
$$;
SELECT sketch_workers_launched(
    'SELECT csstats.approx_percentile(v, 0.9) FROM sketch_data') AS workers_launched;

CREATE TEMP TABLE par AS
SELECT grp, csstats.approx_percentile(v, 0.5) AS p50,
       csstats.approx_percentiles(v, '{0,0.1,0.9,0.99,1}') AS ps
FROM sketch_data GROUP BY grp;
CREATE TEMP TABLE par_all AS
SELECT csstats.approx_percentiles(v, '{0,0.1,0.5,0.9,0.99,1}') AS ps FROM sketch_data;

-- a worker that sees no non-null value hands over an empty state
SELECT csstats.approx_percentile(v, 0.5) IS NULL AS all_null_parallel
FROM sketch_data WHERE id % 50 = 1;

SET max_parallel_workers_per_gather = 0;
EXPLAIN (COSTS OFF)
SELECT csstats.approx_percentile(v, 0.9) FROM sketch_data;

-- serial and parallel plans return the same numbers (the sketch merges exactly)
SELECT count(*) AS groups,
       count(*) FILTER (WHERE par.p50 = s.p50 AND par.ps = s.ps) AS equal
FROM par JOIN (
    SELECT grp, csstats.approx_percentile(v, 0.5) AS p50,
           csstats.approx_percentiles(v, '{0,0.1,0.9,0.99,1}') AS ps
    FROM sketch_data GROUP BY grp
) s USING (grp);
SELECT par_all.ps = s.ps AS equal_ungrouped
FROM par_all, (SELECT csstats.approx_percentiles(v, '{0,0.1,0.5,0.9,0.99,1}') AS ps
               FROM sketch_data) s;

RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;
DROP FUNCTION sketch_workers_launched(text);
DROP TABLE sketch_data;
