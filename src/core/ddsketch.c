/*
 * ddsketch.c
 *		Mergeable relative-error quantile sketch (see ddsketch.h).
 *
 * Reference: Masson, Rim, Lee, "DDSketch: A Fast and Fully-Mergeable
 * Quantile Sketch with Relative-Error Guarantees", VLDB 2019.
 */
#include "ddsketch.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DDS_MAGIC 0xDD
#define DDS_VERSION 1
#define DDS_HEADER_SIZE (2 + 8 + 4 + 8 + 8 + 8 + 8)
/* Bucket indexes of finite doubles stay within about +-38000. */
#define DDS_INDEX_LIMIT (1 << 30)

static void *
MallocAlloc(void *ctx, size_t size)
{
	return malloc(size);
}

static void *
MallocResize(void *ctx, void *ptr, size_t size)
{
	return realloc(ptr, size);
}

static void
MallocRelease(void *ctx, void *ptr)
{
	free(ptr);
}

const dds_allocator dds_malloc_allocator = {
	MallocAlloc, MallocResize, MallocRelease, NULL
};

static void
StoreInit(dds_store *st)
{
	memset(st, 0, sizeof(*st));
}

static void
StoreFree(dds_store *st, const dds_allocator *a)
{
	if (st->counts)
		a->release(a->ctx, st->counts);
	StoreInit(st);
}

/*
 * Make the array cover [new_lo, new_hi] (width <= max_bins), keeping the
 * counts of [max(lo, new_lo), hi].  Counts below new_lo must have been
 * moved away by the caller.  Grows geometrically so that extending a range
 * one bucket at a time stays amortized O(1).
 */
static int
StoreReshape(dds_store *st, int32_t new_lo, int32_t new_hi, int32_t max_bins,
			 const dds_allocator *a)
{
	int64_t		width = (int64_t) new_hi - new_lo + 1;
	int64_t		newcap;
	int32_t		newbase;
	uint64_t   *counts;

	if (st->counts && new_lo >= st->base &&
		(int64_t) new_hi < (int64_t) st->base + st->cap)
		return DDS_OK;

	newcap = (int64_t) st->cap * 2;
	if (newcap < width + 32)
		newcap = width + 32;
	if (newcap > max_bins)
		newcap = max_bins;
	if (newcap < width)
		newcap = width;
	newbase = (int32_t) (new_lo - (newcap - width) / 2);

	counts = a->alloc(a->ctx, (size_t) newcap * sizeof(uint64_t));
	if (counts == NULL)
		return DDS_ERR_NOMEM;
	memset(counts, 0, (size_t) newcap * sizeof(uint64_t));
	if (st->counts && st->total > 0)
	{
		int32_t		from = st->lo > new_lo ? st->lo : new_lo;

		if (from <= st->hi)
			memcpy(counts + (from - newbase), st->counts + (from - st->base),
				   (size_t) (st->hi - from + 1) * sizeof(uint64_t));
	}
	if (st->counts)
		a->release(a->ctx, st->counts);
	st->counts = counts;
	st->base = newbase;
	st->cap = (int32_t) newcap;
	return DDS_OK;
}

/* Add n to bucket idx, collapsing the lowest buckets beyond max_bins. */
static int
StoreAdd(dds_store *st, int32_t idx, uint64_t n, int32_t max_bins,
		 const dds_allocator *a)
{
	int			rc;

	if (st->total == 0)
	{
		rc = StoreReshape(st, idx, idx, max_bins, a);
		if (rc != DDS_OK)
			return rc;
		st->lo = st->hi = idx;
	}
	else if (idx > st->hi)
	{
		int32_t		new_lo = st->lo;
		uint64_t	collapsed = 0;

		if ((int64_t) idx - st->lo + 1 > max_bins)
		{
			int32_t		i,
						last;

			new_lo = idx - max_bins + 1;
			last = new_lo - 1 < st->hi ? new_lo - 1 : st->hi;
			for (i = st->lo; i <= last; i++)
			{
				collapsed += st->counts[i - st->base];
				st->counts[i - st->base] = 0;
			}
		}
		rc = StoreReshape(st, new_lo, idx, max_bins, a);
		if (rc != DDS_OK)
			return rc;
		st->lo = new_lo;
		st->hi = idx;
		st->counts[new_lo - st->base] += collapsed;
	}
	else if (idx < st->lo)
	{
		/* Too far below: counts into the lowest bucket that fits. */
		if ((int64_t) st->hi - idx + 1 > max_bins)
			idx = st->hi - max_bins + 1;
		if (idx < st->lo)
		{
			rc = StoreReshape(st, idx, st->hi, max_bins, a);
			if (rc != DDS_OK)
				return rc;
			st->lo = idx;
		}
	}
	st->counts[idx - st->base] += n;
	st->total += n;
	return DDS_OK;
}

int
dds_init(dds_sketch *s, double alpha, int32_t max_bins, const dds_allocator *a)
{
	memset(s, 0, sizeof(*s));
	if (!(alpha > 0.0 && alpha < 1.0) || max_bins < 1 ||
		max_bins > DDS_MAX_MAX_BINS)
		return DDS_ERR_PARAM;
	s->alpha = alpha;
	s->gamma = (1.0 + alpha) / (1.0 - alpha);
	s->inv_ln_gamma = 1.0 / log(s->gamma);
	s->max_bins = max_bins;
	s->a = a ? a : &dds_malloc_allocator;
	StoreInit(&s->pos);
	StoreInit(&s->neg);
	return DDS_OK;
}

void
dds_free(dds_sketch *s)
{
	if (s->a)
	{
		StoreFree(&s->pos, s->a);
		StoreFree(&s->neg, s->a);
	}
	s->count = 0;
	s->zero_count = 0;
}

static int32_t
KeyOf(const dds_sketch *s, double magnitude)
{
	return (int32_t) ceil(log(magnitude) * s->inv_ln_gamma);
}

/* The value reported for bucket idx: 2 gamma^idx / (gamma + 1). */
static double
ValueOf(const dds_sketch *s, int32_t idx)
{
	return exp((double) idx / s->inv_ln_gamma) * (2.0 / (s->gamma + 1.0));
}

int
dds_add_n(dds_sketch *s, double value, uint64_t n)
{
	int			rc = DDS_OK;

	if (!isfinite(value))
		return DDS_ERR_VALUE;
	if (n == 0)
		return DDS_OK;
	if (value > 0.0)
		rc = StoreAdd(&s->pos, KeyOf(s, value), n, s->max_bins, s->a);
	else if (value < 0.0)
		rc = StoreAdd(&s->neg, KeyOf(s, -value), n, s->max_bins, s->a);
	else
		s->zero_count += n;
	if (rc != DDS_OK)
		return rc;
	if (s->count == 0 || value < s->min)
		s->min = value;
	if (s->count == 0 || value > s->max)
		s->max = value;
	s->count += n;
	return DDS_OK;
}

int
dds_add(dds_sketch *s, double value)
{
	return dds_add_n(s, value, 1);
}

static int
StoreMerge(dds_store *dst, const dds_store *src, int32_t max_bins,
		   const dds_allocator *a)
{
	int32_t		i;
	int			rc;

	if (src->total == 0)
		return DDS_OK;
	/* Highest and lowest first so the array is reshaped at most twice. */
	rc = StoreAdd(dst, src->hi, src->counts[src->hi - src->base], max_bins, a);
	if (rc == DDS_OK && src->lo < src->hi)
		rc = StoreAdd(dst, src->lo, src->counts[src->lo - src->base],
					  max_bins, a);
	for (i = src->hi - 1; rc == DDS_OK && i > src->lo; i--)
	{
		uint64_t	c = src->counts[i - src->base];

		if (c)
			rc = StoreAdd(dst, i, c, max_bins, a);
	}
	return rc;
}

int
dds_merge(dds_sketch *dst, const dds_sketch *src)
{
	int			rc;

	if (dst->alpha != src->alpha || dst->max_bins != src->max_bins)
		return DDS_ERR_MISMATCH;
	if (src->count == 0)
		return DDS_OK;
	rc = StoreMerge(&dst->pos, &src->pos, dst->max_bins, dst->a);
	if (rc == DDS_OK)
		rc = StoreMerge(&dst->neg, &src->neg, dst->max_bins, dst->a);
	if (rc != DDS_OK)
		return rc;
	dst->zero_count += src->zero_count;
	if (dst->count == 0 || src->min < dst->min)
		dst->min = src->min;
	if (dst->count == 0 || src->max > dst->max)
		dst->max = src->max;
	dst->count += src->count;
	return DDS_OK;
}

int
dds_copy(dds_sketch *dst, const dds_sketch *src, const dds_allocator *a)
{
	int			rc = dds_init(dst, src->alpha, src->max_bins, a);

	if (rc == DDS_OK)
		rc = dds_merge(dst, src);
	if (rc != DDS_OK)
		dds_free(dst);
	return rc;
}

/* Estimate of the order statistic of 0-based rank k (k < count). */
static double
ValueAtRank(const dds_sketch *s, uint64_t k)
{
	double		v;
	int32_t		i;
	uint64_t	seen = 0;

	/* The extremes are kept exactly. */
	if (k == 0)
		return s->min;
	if (k + 1 >= s->count)
		return s->max;

	if (k < s->neg.total)
	{
		/* Most negative first: highest magnitude bucket downward. */
		v = s->min;
		for (i = s->neg.hi; i >= s->neg.lo; i--)
		{
			seen += s->neg.counts[i - s->neg.base];
			if (seen > k)
			{
				v = -ValueOf(s, i);
				break;
			}
		}
	}
	else if (k < s->neg.total + s->zero_count)
		v = 0.0;
	else
	{
		k -= s->neg.total + s->zero_count;
		v = s->max;
		for (i = s->pos.lo; i <= s->pos.hi; i++)
		{
			seen += s->pos.counts[i - s->pos.base];
			if (seen > k)
			{
				v = ValueOf(s, i);
				break;
			}
		}
	}
	/* The true value lies in [min, max]: clamping only reduces the error. */
	if (v < s->min)
		v = s->min;
	if (v > s->max)
		v = s->max;
	return v;
}

int
dds_quantile(const dds_sketch *s, double q, double *result)
{
	double		r,
				lo_r;
	uint64_t	lo_k,
				hi_k;
	double		lo_v,
				hi_v;

	if (!(q >= 0.0 && q <= 1.0))
		return DDS_ERR_PARAM;
	if (s->count == 0)
		return DDS_ERR_PARAM;
	/* Same interpolation as percentile_cont (orderedsetaggs.c). */
	r = q * (double) (s->count - 1);
	lo_r = floor(r);
	lo_k = (uint64_t) lo_r;
	hi_k = (uint64_t) ceil(r);
	if (hi_k >= s->count)
		hi_k = s->count - 1;
	lo_v = ValueAtRank(s, lo_k);
	if (hi_k == lo_k)
	{
		*result = lo_v;
		return DDS_OK;
	}
	hi_v = ValueAtRank(s, hi_k);
	*result = lo_v + (r - lo_r) * (hi_v - lo_v);
	return DDS_OK;
}

double
dds_relative_error(const dds_sketch *s)
{
	return s->alpha;
}

/* ---- serialization ---- */

static size_t
VarintSize(uint64_t v)
{
	size_t		n = 1;

	while (v >= 0x80)
	{
		v >>= 7;
		n++;
	}
	return n;
}

static uint8_t *
PutVarint(uint8_t *p, uint64_t v)
{
	while (v >= 0x80)
	{
		*p++ = (uint8_t) (v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t) v;
	return p;
}

static uint8_t *
PutU64(uint8_t *p, uint64_t v)
{
	int			i;

	for (i = 0; i < 8; i++)
		*p++ = (uint8_t) (v >> (8 * i));
	return p;
}

static uint8_t *
PutU32(uint8_t *p, uint32_t v)
{
	int			i;

	for (i = 0; i < 4; i++)
		*p++ = (uint8_t) (v >> (8 * i));
	return p;
}

static uint8_t *
PutDouble(uint8_t *p, double d)
{
	uint64_t	v;

	memcpy(&v, &d, sizeof(v));
	return PutU64(p, v);
}

static size_t
StoreSerializedSize(const dds_store *st)
{
	size_t		n = 8;
	int32_t		i;

	if (st->total == 0)
		return n;
	for (i = st->lo; i <= st->hi; i++)
		n += VarintSize(st->counts[i - st->base]);
	return n;
}

static uint8_t *
PutStore(uint8_t *p, const dds_store *st)
{
	int32_t		i;

	if (st->total == 0)
	{
		p = PutU32(p, 0);
		return PutU32(p, 0);
	}
	p = PutU32(p, (uint32_t) st->lo);
	p = PutU32(p, (uint32_t) (st->hi - st->lo + 1));
	for (i = st->lo; i <= st->hi; i++)
		p = PutVarint(p, st->counts[i - st->base]);
	return p;
}

size_t
dds_serialized_size(const dds_sketch *s)
{
	return DDS_HEADER_SIZE + StoreSerializedSize(&s->pos) +
		StoreSerializedSize(&s->neg);
}

size_t
dds_serialize(const dds_sketch *s, uint8_t *buf)
{
	uint8_t    *p = buf;

	*p++ = DDS_MAGIC;
	*p++ = DDS_VERSION;
	p = PutDouble(p, s->alpha);
	p = PutU32(p, (uint32_t) s->max_bins);
	p = PutU64(p, s->count);
	p = PutU64(p, s->zero_count);
	p = PutDouble(p, s->count ? s->min : 0.0);
	p = PutDouble(p, s->count ? s->max : 0.0);
	p = PutStore(p, &s->pos);
	p = PutStore(p, &s->neg);
	return (size_t) (p - buf);
}

typedef struct Reader
{
	const uint8_t *p;
	const uint8_t *end;
} Reader;

static int
GetU64(Reader *r, uint64_t *v)
{
	int			i;

	if (r->end - r->p < 8)
		return 0;
	*v = 0;
	for (i = 0; i < 8; i++)
		*v |= (uint64_t) r->p[i] << (8 * i);
	r->p += 8;
	return 1;
}

static int
GetU32(Reader *r, uint32_t *v)
{
	int			i;

	if (r->end - r->p < 4)
		return 0;
	*v = 0;
	for (i = 0; i < 4; i++)
		*v |= (uint32_t) r->p[i] << (8 * i);
	r->p += 4;
	return 1;
}

static int
GetDouble(Reader *r, double *d)
{
	uint64_t	v;

	if (!GetU64(r, &v))
		return 0;
	memcpy(d, &v, sizeof(v));
	return 1;
}

static int
GetVarint(Reader *r, uint64_t *v)
{
	int			shift = 0;

	*v = 0;
	while (r->p < r->end)
	{
		uint8_t		b = *r->p++;

		if (shift == 63 && b > 1)
			return 0;			/* more than 64 bits */
		*v |= (uint64_t) (b & 0x7f) << shift;
		if (!(b & 0x80))
			return 1;
		shift += 7;
		if (shift > 63)
			return 0;
	}
	return 0;
}

static int
GetStore(Reader *r, dds_store *st, int32_t max_bins, const dds_allocator *a,
		 const char **why)
{
	uint32_t	ulo,
				n,
				i;
	int32_t		lo;
	int			rc;

	if (!GetU32(r, &ulo) || !GetU32(r, &n))
	{
		*why = "truncated bucket header";
		return DDS_ERR_FORMAT;
	}
	if (n == 0)
		return DDS_OK;
	lo = (int32_t) ulo;
	if (n > (uint32_t) max_bins)
	{
		*why = "more buckets than max_bins";
		return DDS_ERR_FORMAT;
	}
	if (lo < -DDS_INDEX_LIMIT || lo > DDS_INDEX_LIMIT)
	{
		*why = "bucket index out of range";
		return DDS_ERR_FORMAT;
	}
	/* Each varint takes at least one byte. */
	if ((size_t) (r->end - r->p) < n)
	{
		*why = "truncated bucket counts";
		return DDS_ERR_FORMAT;
	}
	rc = StoreReshape(st, lo, lo + (int32_t) n - 1, max_bins, a);
	if (rc != DDS_OK)
		return rc;
	st->lo = lo;
	st->hi = lo + (int32_t) n - 1;
	for (i = 0; i < n; i++)
	{
		uint64_t	c;

		if (!GetVarint(r, &c))
		{
			*why = "truncated or invalid bucket count";
			return DDS_ERR_FORMAT;
		}
		if (st->total + c < st->total)
		{
			*why = "bucket counts overflow";
			return DDS_ERR_FORMAT;
		}
		st->counts[lo - st->base + (int32_t) i] = c;
		st->total += c;
	}
	if (st->counts[st->lo - st->base] == 0 ||
		st->counts[st->hi - st->base] == 0)
	{
		*why = "empty first or last bucket";
		return DDS_ERR_FORMAT;
	}
	return DDS_OK;
}

int
dds_deserialize(dds_sketch *s, const uint8_t *buf, size_t len,
				const dds_allocator *a, const char **why)
{
	Reader		r;
	double		alpha = 0.0,
				min = 0.0,
				max = 0.0;
	uint32_t	max_bins = 0;
	uint64_t	count = 0,
				zero = 0;
	int			rc;

	r.p = buf;
	r.end = buf + len;
	*why = NULL;
	memset(s, 0, sizeof(*s));
	if (len < DDS_HEADER_SIZE)
	{
		*why = "too short";
		return DDS_ERR_FORMAT;
	}
	if (r.p[0] != DDS_MAGIC)
	{
		*why = "bad magic byte";
		return DDS_ERR_FORMAT;
	}
	if (r.p[1] != DDS_VERSION)
	{
		*why = "unsupported version";
		return DDS_ERR_FORMAT;
	}
	r.p += 2;
	GetDouble(&r, &alpha);
	GetU32(&r, &max_bins);
	GetU64(&r, &count);
	GetU64(&r, &zero);
	GetDouble(&r, &min);
	GetDouble(&r, &max);
	if (max_bins > DDS_MAX_MAX_BINS ||
		dds_init(s, alpha, (int32_t) max_bins, a) != DDS_OK)
	{
		*why = "invalid alpha or max_bins";
		return DDS_ERR_FORMAT;
	}
	rc = GetStore(&r, &s->pos, s->max_bins, s->a, why);
	if (rc == DDS_OK)
		rc = GetStore(&r, &s->neg, s->max_bins, s->a, why);
	if (rc == DDS_OK && r.p != r.end)
	{
		*why = "trailing bytes";
		rc = DDS_ERR_FORMAT;
	}
	if (rc == DDS_OK &&
		(zero + s->pos.total < zero ||
		 zero + s->pos.total + s->neg.total < zero + s->pos.total ||
		 zero + s->pos.total + s->neg.total != count))
	{
		*why = "total count does not match the buckets";
		rc = DDS_ERR_FORMAT;
	}
	if (rc == DDS_OK && count > 0 &&
		(!isfinite(min) || !isfinite(max) || min > max ||
		 (s->neg.total > 0 && !(min < 0.0)) ||
		 (s->pos.total > 0 && !(max > 0.0)) ||
		 (zero > 0 && (min > 0.0 || max < 0.0))))
	{
		*why = "inconsistent min and max";
		rc = DDS_ERR_FORMAT;
	}
	if (rc != DDS_OK)
	{
		if (*why == NULL)
			*why = "out of memory";
		dds_free(s);
		return rc;
	}
	s->count = count;
	s->zero_count = zero;
	s->min = min;
	s->max = max;
	return DDS_OK;
}
