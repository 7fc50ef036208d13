/*
 * Approximate percentiles for dashboards (src/sketch.c, src/core/ddsketch.c).
 *
 * A DDSketch keeps logarithmic buckets: every estimate is within 1 %
 * (relative) of the exact percentile_cont of the same rows, for values of one
 * sign whose nonzero magnitudes span less than a factor of 10^35 (any real
 * durations).  The minimum and maximum are exact.  NULL values are ignored;
 * zero and negative values are allowed.  The state is mergeable, so the
 * aggregates run in parallel plans (Partial Aggregate), and the result does
 * not depend on the plan: serial and parallel runs return the same numbers.
 *
 *   SELECT assignee_id, date_trunc('day', created_at) AS day,
 *          csstats.approx_percentiles(waiting_time, '{0.5,0.9}') AS p50_p90
 *   FROM ... GROUP BY 1, 2;
 */

CREATE FUNCTION csstats.approx_percentile_trans(internal, double precision, double precision)
	RETURNS internal
	AS 'MODULE_PATHNAME', 'csstats_sketch_trans'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION csstats.approx_percentile_trans(internal, double precision, double precision) IS
	'transition function of csstats.approx_percentile: adds a value to the sketch';

CREATE FUNCTION csstats.approx_percentiles_trans(internal, double precision, double precision[])
	RETURNS internal
	AS 'MODULE_PATHNAME', 'csstats_sketch_trans_multi'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION csstats.approx_percentiles_trans(internal, double precision, double precision[]) IS
	'transition function of csstats.approx_percentiles: adds a value to the sketch';

-- Not STRICT: the combine function handles NULL states itself.
CREATE FUNCTION csstats.approx_percentile_combine(internal, internal)
	RETURNS internal
	AS 'MODULE_PATHNAME', 'csstats_sketch_combine'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION csstats.approx_percentile_combine(internal, internal) IS
	'combine function of the approximate percentile aggregates: merges two sketches';

CREATE FUNCTION csstats.approx_percentile_serial(internal)
	RETURNS bytea
	AS 'MODULE_PATHNAME', 'csstats_sketch_serial'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION csstats.approx_percentile_serial(internal) IS
	'serialization function of the approximate percentile aggregates (versioned bytea)';

CREATE FUNCTION csstats.approx_percentile_deserial(bytea, internal)
	RETURNS internal
	AS 'MODULE_PATHNAME', 'csstats_sketch_deserial'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION csstats.approx_percentile_deserial(bytea, internal) IS
	'deserialization function of the approximate percentile aggregates; validates its input';

CREATE FUNCTION csstats.approx_percentile_final(internal)
	RETURNS double precision
	AS 'MODULE_PATHNAME', 'csstats_sketch_final'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION csstats.approx_percentile_final(internal) IS
	'final function of csstats.approx_percentile';

CREATE FUNCTION csstats.approx_percentiles_final(internal)
	RETURNS double precision[]
	AS 'MODULE_PATHNAME', 'csstats_sketch_final_multi'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION csstats.approx_percentiles_final(internal) IS
	'final function of csstats.approx_percentiles';

CREATE AGGREGATE csstats.approx_percentile(value double precision, q double precision) (
	SFUNC = csstats.approx_percentile_trans,
	STYPE = internal,
	SSPACE = 4096,
	FINALFUNC = csstats.approx_percentile_final,
	COMBINEFUNC = csstats.approx_percentile_combine,
	SERIALFUNC = csstats.approx_percentile_serial,
	DESERIALFUNC = csstats.approx_percentile_deserial,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE csstats.approx_percentile(double precision, double precision) IS
	'approximate percentile_cont (DDSketch): within 1 % relative error, parallel safe; q in [0, 1], the same for every row';

CREATE AGGREGATE csstats.approx_percentiles(value double precision, qs double precision[]) (
	SFUNC = csstats.approx_percentiles_trans,
	STYPE = internal,
	SSPACE = 4096,
	FINALFUNC = csstats.approx_percentiles_final,
	COMBINEFUNC = csstats.approx_percentile_combine,
	SERIALFUNC = csstats.approx_percentile_serial,
	DESERIALFUNC = csstats.approx_percentile_deserial,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE csstats.approx_percentiles(double precision, double precision[]) IS
	'approximate percentile_cont for several fractions at once (one sketch): within 1 % relative error, parallel safe';
