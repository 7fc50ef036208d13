/*-------------------------------------------------------------------------
 *
 * sketch.c
 *	  Parallel-safe approximate percentile aggregates over a DDSketch
 *	  (src/core/ddsketch.c):
 *
 *		csstats.approx_percentile(value float8, q float8) -> float8
 *		csstats.approx_percentiles(value float8, qs float8[]) -> float8[]
 *
 *	  Each estimate is within 1% (relative) of percentile_cont over the
 *	  same rows (see ddsketch.h for the bound and its conditions).  The
 *	  state is internal, with combine, serial and deserial functions, so
 *	  the aggregates run as Partial/Finalize Aggregate in parallel plans.
 *	  The sketch is merge-order independent: parallel and serial plans
 *	  return the same numbers.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "csstats.h"
#include "ddsketch.h"

#define SKETCH_STATE_MAGIC 0xC5
#define SKETCH_STATE_VERSION 1
/* magic, version, multi flag, u32 number of quantiles */
#define SKETCH_STATE_HEADER 7
#define SKETCH_MAX_QUANTILES 1000

/*
 * Aggregate state.  The allocator lives in the state because the sketch
 * keeps a pointer to it; its context is where the buckets grow.
 */
typedef struct SketchState
{
	dds_allocator alloc;
	dds_sketch	sk;
	bool		multi;			/* approx_percentiles: result is an array */
	int			nq;
	double	   *qs;
} SketchState;

static void *
SketchAlloc(void *ctx, size_t size)
{
	return MemoryContextAlloc((MemoryContext) ctx, size);
}

static void *
SketchResize(void *ctx, void *ptr, size_t size)
{
	return repalloc(ptr, size);
}

static void
SketchRelease(void *ctx, void *ptr)
{
	pfree(ptr);
}

/* A new empty state allocated in cxt; the quantiles are copied. */
static SketchState *
SketchStateCreate(MemoryContext cxt, bool multi, int nq, const double *qs)
{
	SketchState *st = MemoryContextAllocZero(cxt, sizeof(SketchState));

	st->alloc.alloc = SketchAlloc;
	st->alloc.resize = SketchResize;
	st->alloc.release = SketchRelease;
	st->alloc.ctx = cxt;
	if (dds_init(&st->sk, DDS_DEFAULT_ALPHA, DDS_DEFAULT_MAX_BINS,
				 &st->alloc) != DDS_OK)
		elog(ERROR, "could not initialize the percentile sketch");
	st->multi = multi;
	st->nq = nq;
	st->qs = MemoryContextAlloc(cxt, sizeof(double) * Max(nq, 1));
	memcpy(st->qs, qs, sizeof(double) * nq);
	return st;
}

static MemoryContext
SketchAggContext(FunctionCallInfo fcinfo, const char *fname)
{
	MemoryContext aggcxt;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s called in non-aggregate context", fname)));
	return aggcxt;
}

static void
CheckQuantile(double q)
{
	if (isnan(q) || q < 0.0 || q > 1.0)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("percentile value %g is not between 0 and 1", q)));
}

static void
QuantilesMismatch(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("the percentile argument must be the same for every row of a group"),
			 errhint("Pass a constant, as with percentile_cont.")));
}

/* Add one value; NULL values are ignored, like percentile_cont does. */
static void
SketchAddValue(SketchState *st, FunctionCallInfo fcinfo)
{
	double		v;
	int			rc;

	if (PG_ARGISNULL(1))
		return;
	v = PG_GETARG_FLOAT8(1);
	rc = dds_add(&st->sk, v);
	if (rc == DDS_ERR_VALUE)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("approximate percentiles cannot summarize infinite or NaN values")));
	else if (rc != DDS_OK)
		elog(ERROR, "percentile sketch insertion failed: %d", rc);
}

/*
 * csstats_sketch_trans
 *		Transition of approx_percentile(value, q).
 */
PG_FUNCTION_INFO_V1(csstats_sketch_trans);
Datum
csstats_sketch_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = SketchAggContext(fcinfo, "approx_percentile_trans");
	SketchState *st = PG_ARGISNULL(0) ? NULL : (SketchState *) PG_GETARG_POINTER(0);
	double		q;

	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("percentile value must not be null")));
	q = PG_GETARG_FLOAT8(2);
	if (st == NULL)
	{
		CheckQuantile(q);
		st = SketchStateCreate(aggcxt, false, 1, &q);
	}
	else if (st->qs[0] != q)
		QuantilesMismatch();
	SketchAddValue(st, fcinfo);
	PG_RETURN_POINTER(st);
}

/*
 * csstats_sketch_trans_multi
 *		Transition of approx_percentiles(value, qs[]).
 */
PG_FUNCTION_INFO_V1(csstats_sketch_trans_multi);
Datum
csstats_sketch_trans_multi(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = SketchAggContext(fcinfo, "approx_percentiles_trans");
	SketchState *st = PG_ARGISNULL(0) ? NULL : (SketchState *) PG_GETARG_POINTER(0);
	ArrayType  *arr;
	int			n;
	double	   *qs;

	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("percentile array must not be null")));
	arr = PG_GETARG_ARRAYTYPE_P(2);
	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("percentile array must be one-dimensional")));
	if (array_contains_nulls(arr))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("percentile array must not contain nulls")));
	n = ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr));
	if (n < 1 || n > SKETCH_MAX_QUANTILES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("percentile array must have between 1 and %d elements, not %d",
						SKETCH_MAX_QUANTILES, n)));
	qs = (double *) ARR_DATA_PTR(arr);

	if (st == NULL)
	{
		int			i;

		for (i = 0; i < n; i++)
			CheckQuantile(qs[i]);
		st = SketchStateCreate(aggcxt, true, n, qs);
	}
	else if (st->nq != n || memcmp(st->qs, qs, sizeof(double) * n) != 0)
		QuantilesMismatch();
	SketchAddValue(st, fcinfo);
	PG_RETURN_POINTER(st);
}

/*
 * csstats_sketch_combine
 *		Merge two partial states (parallel aggregation).  Not STRICT: a
 *		worker that saw no rows hands over NULL.  The second state may live
 *		in a short-lived context (deserialized), so it is copied, never
 *		adopted.
 */
PG_FUNCTION_INFO_V1(csstats_sketch_combine);
Datum
csstats_sketch_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = SketchAggContext(fcinfo, "approx_percentile_combine");
	SketchState *a = PG_ARGISNULL(0) ? NULL : (SketchState *) PG_GETARG_POINTER(0);
	SketchState *b = PG_ARGISNULL(1) ? NULL : (SketchState *) PG_GETARG_POINTER(1);
	int			rc;

	if (b == NULL)
	{
		if (a == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(a);
	}
	if (a == NULL)
		a = SketchStateCreate(aggcxt, b->multi, b->nq, b->qs);
	else if (a->multi != b->multi || a->nq != b->nq ||
			 memcmp(a->qs, b->qs, sizeof(double) * a->nq) != 0)
		QuantilesMismatch();
	rc = dds_merge(&a->sk, &b->sk);
	if (rc != DDS_OK)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("cannot merge percentile sketches with different parameters")));
	PG_RETURN_POINTER(a);
}

/*
 * csstats_sketch_serial
 *		State -> bytea: header (magic, version, multi, quantiles) followed by
 *		the sketch's own versioned encoding.
 */
PG_FUNCTION_INFO_V1(csstats_sketch_serial);
Datum
csstats_sketch_serial(PG_FUNCTION_ARGS)
{
	SketchState *st;
	size_t		sklen,
				len;
	bytea	   *out;
	uint8	   *p;
	int			i;

	(void) SketchAggContext(fcinfo, "approx_percentile_serial");
	st = (SketchState *) PG_GETARG_POINTER(0);
	sklen = dds_serialized_size(&st->sk);
	len = SKETCH_STATE_HEADER + sizeof(uint64) * st->nq + sklen;
	out = palloc(VARHDRSZ + len);
	SET_VARSIZE(out, VARHDRSZ + len);
	p = (uint8 *) VARDATA(out);
	*p++ = SKETCH_STATE_MAGIC;
	*p++ = SKETCH_STATE_VERSION;
	*p++ = st->multi ? 1 : 0;
	for (i = 0; i < 4; i++)
		*p++ = (uint8) ((uint32) st->nq >> (8 * i));
	for (i = 0; i < st->nq; i++)
	{
		uint64		bits;
		int			j;

		memcpy(&bits, &st->qs[i], sizeof(bits));
		for (j = 0; j < 8; j++)
			*p++ = (uint8) (bits >> (8 * j));
	}
	if (dds_serialize(&st->sk, p) != sklen)
		elog(ERROR, "percentile sketch serialized to an unexpected length");
	PG_RETURN_BYTEA_P(out);
}

static void
BadState(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("invalid serialized percentile sketch state"),
			 errdetail("%s", detail)));
}

/*
 * csstats_sketch_deserial
 *		bytea -> state, validating every length and value: the input is
 *		only trusted as far as it checks out.
 */
PG_FUNCTION_INFO_V1(csstats_sketch_deserial);
Datum
csstats_sketch_deserial(PG_FUNCTION_ARGS)
{
	bytea	   *in;
	const uint8 *p;
	size_t		len;
	uint32		nq = 0;
	bool		multi;
	double	   *qs;
	SketchState *st;
	const char *why = NULL;
	int			i;

	(void) SketchAggContext(fcinfo, "approx_percentile_deserial");
	in = PG_GETARG_BYTEA_PP(0);
	p = (const uint8 *) VARDATA_ANY(in);
	len = VARSIZE_ANY_EXHDR(in);

	if (len < SKETCH_STATE_HEADER)
		BadState("The state is too short.");
	if (p[0] != SKETCH_STATE_MAGIC)
		BadState("Bad magic byte.");
	if (p[1] != SKETCH_STATE_VERSION)
		BadState("Unsupported state version.");
	if (p[2] > 1)
		BadState("Bad flags.");
	multi = p[2] == 1;
	for (i = 0; i < 4; i++)
		nq |= (uint32) p[3 + i] << (8 * i);
	if (nq < 1 || nq > SKETCH_MAX_QUANTILES || (!multi && nq != 1))
		BadState("Bad number of percentiles.");
	p += SKETCH_STATE_HEADER;
	len -= SKETCH_STATE_HEADER;
	if (len < sizeof(uint64) * nq)
		BadState("The percentile list is truncated.");
	qs = palloc(sizeof(double) * nq);
	for (i = 0; i < (int) nq; i++)
	{
		uint64		bits = 0;
		int			j;

		for (j = 0; j < 8; j++)
			bits |= (uint64) p[j] << (8 * j);
		memcpy(&qs[i], &bits, sizeof(bits));
		if (isnan(qs[i]) || qs[i] < 0.0 || qs[i] > 1.0)
			BadState("A percentile is not between 0 and 1.");
		p += 8;
	}
	len -= sizeof(uint64) * nq;

	st = SketchStateCreate(CurrentMemoryContext, multi, (int) nq, qs);
	if (dds_deserialize(&st->sk, p, len, &st->alloc, &why) != DDS_OK)
		BadState(why);
	if (st->sk.alpha != DDS_DEFAULT_ALPHA || st->sk.max_bins != DDS_DEFAULT_MAX_BINS)
		BadState("Unexpected sketch parameters.");
	PG_RETURN_POINTER(st);
}

static double
SketchQuantile(SketchState *st, double q)
{
	double		v;

	if (dds_quantile(&st->sk, q, &v) != DDS_OK)
		elog(ERROR, "percentile sketch quantile failed");
	return v;
}

/*
 * csstats_sketch_final
 *		The estimate of approx_percentile; NULL when no non-null value.
 */
PG_FUNCTION_INFO_V1(csstats_sketch_final);
Datum
csstats_sketch_final(PG_FUNCTION_ARGS)
{
	SketchState *st;

	(void) SketchAggContext(fcinfo, "approx_percentile_final");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = (SketchState *) PG_GETARG_POINTER(0);
	if (st->sk.count == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(SketchQuantile(st, st->qs[0]));
}

/*
 * csstats_sketch_final_multi
 *		The estimates of approx_percentiles, in the order of the array.
 */
PG_FUNCTION_INFO_V1(csstats_sketch_final_multi);
Datum
csstats_sketch_final_multi(PG_FUNCTION_ARGS)
{
	SketchState *st;
	Datum	   *vals;
	int			i;

	(void) SketchAggContext(fcinfo, "approx_percentiles_final");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = (SketchState *) PG_GETARG_POINTER(0);
	if (st->sk.count == 0)
		PG_RETURN_NULL();
	vals = palloc(sizeof(Datum) * st->nq);
	for (i = 0; i < st->nq; i++)
		vals[i] = Float8GetDatum(SketchQuantile(st, st->qs[i]));
	PG_RETURN_ARRAYTYPE_P(construct_array(vals, st->nq, FLOAT8OID,
										  sizeof(float8), FLOAT8PASSBYVAL,
										  TYPALIGN_DOUBLE));
}
