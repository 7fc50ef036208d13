/*
 * ddsketch.h
 *		A mergeable quantile sketch with a relative-error guarantee (DDSketch).
 *
 * Values are mapped to logarithmic buckets: a positive x goes to bucket
 * i = ceil(log_gamma(x)) with gamma = (1 + alpha) / (1 - alpha), and bucket i
 * is reported as 2 gamma^i / (gamma + 1).  Every value of bucket i lies in
 * (gamma^(i-1), gamma^i], so the reported value is within a relative error
 * alpha of every value in the bucket.  A quantile estimate therefore lies
 * within alpha (relative) of the exact order statistic of the same rank.
 * Negative values use a mirrored store, zero has its own counter.
 *
 * Counts are integers and bucket boundaries do not depend on insertion
 * order, so merging sketches in any order (a parallel plan) gives the same
 * sketch as adding every value to one (a serial plan).
 *
 * Each store keeps at most max_bins buckets; beyond that the buckets of the
 * smallest magnitudes are collapsed into one ("collapsing lowest"), which
 * keeps the error bound for every quantile above the collapsed part.  With
 * alpha = 0.01 and 4096 bins the bound holds whenever the largest and
 * smallest nonzero magnitudes differ by less than a factor of 10^35.
 *
 * Pure C: no PostgreSQL headers; memory comes from a caller-given allocator
 * so that the PostgreSQL glue can use its memory contexts.
 */
#ifndef CSSTATS_DDSKETCH_H
#define CSSTATS_DDSKETCH_H

#include <stddef.h>
#include <stdint.h>

#define DDS_DEFAULT_ALPHA 0.01
#define DDS_DEFAULT_MAX_BINS 4096
#define DDS_MAX_MAX_BINS 65536

/* Result codes */
#define DDS_OK 0
#define DDS_ERR_VALUE (-1)		/* NaN or infinite value */
#define DDS_ERR_NOMEM (-2)
#define DDS_ERR_MISMATCH (-3)	/* merging sketches of different parameters */
#define DDS_ERR_FORMAT (-4)		/* corrupt serialized data */
#define DDS_ERR_PARAM (-5)		/* bad alpha / max_bins / quantile */

typedef struct dds_allocator
{
	void	   *(*alloc) (void *ctx, size_t size);
	void	   *(*resize) (void *ctx, void *ptr, size_t size);
	void		(*release) (void *ctx, void *ptr);
	void	   *ctx;
} dds_allocator;

/* Dense counts for bucket indexes [lo, hi], stored at counts[idx - base]. */
typedef struct dds_store
{
	int32_t		base;
	int32_t		cap;
	int32_t		lo;
	int32_t		hi;
	uint64_t	total;			/* sum of counts; 0 means empty (lo/hi unset) */
	uint64_t   *counts;
} dds_store;

typedef struct dds_sketch
{
	double		alpha;
	double		gamma;
	double		inv_ln_gamma;
	int32_t		max_bins;
	uint64_t	count;
	uint64_t	zero_count;
	double		min;
	double		max;
	dds_store	pos;
	dds_store	neg;
	const dds_allocator *a;
} dds_sketch;

/* malloc/realloc/free */
extern const dds_allocator dds_malloc_allocator;

extern int	dds_init(dds_sketch *s, double alpha, int32_t max_bins,
					 const dds_allocator *a);
extern void dds_free(dds_sketch *s);
extern int	dds_add(dds_sketch *s, double value);
extern int	dds_add_n(dds_sketch *s, double value, uint64_t n);
extern int	dds_merge(dds_sketch *dst, const dds_sketch *src);
extern int	dds_copy(dds_sketch *dst, const dds_sketch *src,
					 const dds_allocator *a);

/*
 * Estimate of the q-quantile with linear interpolation between the two
 * nearest ranks, the same definition as PostgreSQL's percentile_cont:
 * r = q (n - 1), result = v[floor r] + (r - floor r)(v[ceil r] - v[floor r]).
 * q must be in [0, 1] and the sketch non-empty.
 */
extern int	dds_quantile(const dds_sketch *s, double q, double *result);

/* Relative error bound of each rank estimate (alpha). */
extern double dds_relative_error(const dds_sketch *s);

/* Serialization: a self-describing, versioned, length-checked byte string. */
extern size_t dds_serialized_size(const dds_sketch *s);
extern size_t dds_serialize(const dds_sketch *s, uint8_t *buf);
extern int	dds_deserialize(dds_sketch *s, const uint8_t *buf, size_t len,
							const dds_allocator *a, const char **why);

#endif							/* CSSTATS_DDSKETCH_H */
