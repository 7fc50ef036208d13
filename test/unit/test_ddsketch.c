/*
 * Unit tests for src/core/ddsketch.c: the relative-error bound against
 * exact percentile_cont-style quantiles, zero and negative values, merge
 * determinism (parallel plans), collapsing, and hardened deserialization.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ddsketch.h"

static uint64_t rng_state;

static uint64_t
Rand64(void)
{
	/* xorshift64*: deterministic, good enough for test data */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static double
RandUnit(void)
{
	return (double) (Rand64() >> 11) / 9007199254740992.0;
}

/* Log-normal-ish durations: seconds to days, like waiting times. */
static double
RandDuration(void)
{
	double		u = RandUnit();

	if (u < 0.05)
		return 0.0;
	return floor(exp(RandUnit() * 12.0) * 1000.0) / 1000.0;
}

static int
CmpDouble(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return (x > y) - (x < y);
}

/* Exact percentile_cont over a sorted array. */
static double
ExactQuantile(const double *sorted, size_t n, double q, double *bound,
			  double alpha)
{
	double		r = q * (double) (n - 1);
	double		lo_r = floor(r);
	size_t		lo = (size_t) lo_r,
				hi = (size_t) ceil(r);
	double		f = r - lo_r;

	/* The interpolated estimate errs by at most alpha of each endpoint. */
	*bound = alpha * ((1 - f) * fabs(sorted[lo]) + f * fabs(sorted[hi]));
	*bound = *bound * (1 + 1e-9) + 1e-12;
	return sorted[lo] + f * (sorted[hi] - sorted[lo]);
}

static void
CheckAllQuantiles(const dds_sketch *s, double *values, size_t n)
{
	double		q;

	qsort(values, n, sizeof(double), CmpDouble);
	for (q = 0.0; q <= 1.0000001; q += 0.005)
	{
		double		qq = q > 1.0 ? 1.0 : q;
		double		bound,
					exact = ExactQuantile(values, n, qq, &bound, s->alpha),
					est;

		assert_int_equal(dds_quantile(s, qq, &est), DDS_OK);
		if (fabs(est - exact) > bound)
			fail_msg("q=%g exact=%.17g est=%.17g bound=%g", qq, exact, est,
					 bound);
	}
}

static void
test_params(void **state)
{
	dds_sketch	s;
	double		v;

	assert_int_equal(dds_init(&s, 0.0, 100, NULL), DDS_ERR_PARAM);
	assert_int_equal(dds_init(&s, 1.0, 100, NULL), DDS_ERR_PARAM);
	assert_int_equal(dds_init(&s, NAN, 100, NULL), DDS_ERR_PARAM);
	assert_int_equal(dds_init(&s, 0.01, 0, NULL), DDS_ERR_PARAM);
	assert_int_equal(dds_init(&s, 0.01, DDS_MAX_MAX_BINS + 1, NULL),
					 DDS_ERR_PARAM);
	assert_int_equal(dds_init(&s, 0.01, 100, NULL), DDS_OK);
	/* empty sketch: no quantile */
	assert_int_equal(dds_quantile(&s, 0.5, &v), DDS_ERR_PARAM);
	assert_int_equal(dds_add(&s, 1.0), DDS_OK);
	assert_int_equal(dds_quantile(&s, -0.1, &v), DDS_ERR_PARAM);
	assert_int_equal(dds_quantile(&s, 1.1, &v), DDS_ERR_PARAM);
	assert_int_equal(dds_quantile(&s, NAN, &v), DDS_ERR_PARAM);
	assert_float_equal(dds_relative_error(&s), 0.01, 0.0);
	dds_free(&s);
}

static void
test_nonfinite_rejected(void **state)
{
	dds_sketch	s;

	dds_init(&s, 0.01, 100, NULL);
	assert_int_equal(dds_add(&s, NAN), DDS_ERR_VALUE);
	assert_int_equal(dds_add(&s, INFINITY), DDS_ERR_VALUE);
	assert_int_equal(dds_add(&s, -INFINITY), DDS_ERR_VALUE);
	assert_int_equal(s.count, 0);
	dds_free(&s);
}

static void
test_single_and_extremes_exact(void **state)
{
	dds_sketch	s;
	double		v;

	dds_init(&s, 0.01, DDS_DEFAULT_MAX_BINS, NULL);
	dds_add(&s, 123.456);
	assert_int_equal(dds_quantile(&s, 0.0, &v), DDS_OK);
	assert_float_equal(v, 123.456, 0.0);
	assert_int_equal(dds_quantile(&s, 0.5, &v), DDS_OK);
	assert_float_equal(v, 123.456, 0.0);
	dds_add(&s, 7.0);
	dds_add(&s, 99999.0);
	/* min and max are kept exactly */
	dds_quantile(&s, 0.0, &v);
	assert_float_equal(v, 7.0, 0.0);
	dds_quantile(&s, 1.0, &v);
	assert_float_equal(v, 99999.0, 0.0);
	dds_free(&s);
}

static void
test_zero_only(void **state)
{
	dds_sketch	s;
	double		v;
	int			i;

	dds_init(&s, 0.01, DDS_DEFAULT_MAX_BINS, NULL);
	for (i = 0; i < 10; i++)
		dds_add(&s, 0.0);
	assert_int_equal(s.zero_count, 10);
	dds_quantile(&s, 0.5, &v);
	assert_float_equal(v, 0.0, 0.0);
	dds_quantile(&s, 0.9, &v);
	assert_float_equal(v, 0.0, 0.0);
	dds_free(&s);
}

static void
test_accuracy_durations(void **state)
{
	size_t		n = 100000,
				i;
	double	   *values = malloc(n * sizeof(double));
	dds_sketch	s;

	rng_state = 42;
	dds_init(&s, DDS_DEFAULT_ALPHA, DDS_DEFAULT_MAX_BINS, NULL);
	for (i = 0; i < n; i++)
	{
		values[i] = RandDuration();
		assert_int_equal(dds_add(&s, values[i]), DDS_OK);
	}
	assert_int_equal(s.count, n);
	CheckAllQuantiles(&s, values, n);
	/* memory stays small: buckets span only the used range */
	assert_true(s.pos.cap <= DDS_DEFAULT_MAX_BINS);
	dds_free(&s);
	free(values);
}

static void
test_accuracy_mixed_signs(void **state)
{
	size_t		n = 20000,
				i;
	double	   *values = malloc(n * sizeof(double));
	dds_sketch	s;

	rng_state = 7;
	dds_init(&s, 0.02, DDS_DEFAULT_MAX_BINS, NULL);
	for (i = 0; i < n; i++)
	{
		double		u = RandUnit();

		values[i] = u < 0.1 ? 0.0 : (RandUnit() - 0.5) * exp(RandUnit() * 10);
		dds_add(&s, values[i]);
	}
	CheckAllQuantiles(&s, values, n);
	dds_free(&s);
	free(values);
}

static void
test_tiny_and_huge(void **state)
{
	double		values[] = {1e-300, 5e-324, 1e300, 1.7e308, 1.0, 2.0};
	size_t		n = sizeof(values) / sizeof(values[0]);
	dds_sketch	s;
	size_t		i;

	/* 1e-300 .. 1e308 spans ~70000 buckets: needs the largest max_bins */
	dds_init(&s, 0.01, DDS_MAX_MAX_BINS, NULL);
	for (i = 0; i < n; i++)
		assert_int_equal(dds_add(&s, values[i]), DDS_OK);
	dds_free(&s);

	/* with 4096 bins the big values stay exact enough, the small collapse */
	dds_init(&s, 0.01, DDS_DEFAULT_MAX_BINS, NULL);
	for (i = 0; i < n; i++)
		assert_int_equal(dds_add(&s, values[i]), DDS_OK);
	{
		double		v;

		dds_quantile(&s, 1.0, &v);
		assert_float_equal(v, 1.7e308, 0.0);
		dds_quantile(&s, 0.8, &v);	/* rank 4 of 6: 1e300 */
		assert_true(fabs(v - 1e300) <= 0.0100001 * 1e300);
	}
	dds_free(&s);
}

/* Merging parts in any order gives the byte-identical sketch. */
static void
test_merge_is_deterministic(void **state)
{
	size_t		n = 30000,
				i;
	double	   *values = malloc(n * sizeof(double));
	dds_sketch	all,
				part[3],
				m1,
				m2;
	uint8_t    *b1,
			   *b2,
			   *b3;
	size_t		l1,
				l2,
				l3;

	rng_state = 99;
	dds_init(&all, 0.01, 256, NULL);	/* small: exercises collapsing */
	for (i = 0; i < 3; i++)
		dds_init(&part[i], 0.01, 256, NULL);
	for (i = 0; i < n; i++)
	{
		values[i] = (RandUnit() - 0.2) * exp(RandUnit() * 20);
		if (i % 97 == 0)
			values[i] = 0.0;
		dds_add(&all, values[i]);
		dds_add(&part[(Rand64() >> 7) % 3], values[i]);
	}
	dds_init(&m1, 0.01, 256, NULL);
	dds_merge(&m1, &part[0]);
	dds_merge(&m1, &part[1]);
	dds_merge(&m1, &part[2]);
	dds_init(&m2, 0.01, 256, NULL);
	dds_merge(&m2, &part[2]);
	dds_merge(&m2, &part[0]);
	dds_merge(&m2, &part[1]);

	l1 = dds_serialized_size(&all);
	l2 = dds_serialized_size(&m1);
	l3 = dds_serialized_size(&m2);
	assert_int_equal(l1, l2);
	assert_int_equal(l1, l3);
	b1 = malloc(l1);
	b2 = malloc(l2);
	b3 = malloc(l3);
	assert_int_equal(dds_serialize(&all, b1), l1);
	assert_int_equal(dds_serialize(&m1, b2), l2);
	assert_int_equal(dds_serialize(&m2, b3), l3);
	assert_memory_equal(b1, b2, l1);
	assert_memory_equal(b1, b3, l1);
	assert_int_equal(m1.count, n);
	assert_true(all.pos.hi - all.pos.lo + 1 <= 256);

	/* merging into an empty sketch and merging an empty one */
	{
		dds_sketch	e,
					c;

		dds_init(&e, 0.01, 256, NULL);
		assert_int_equal(dds_merge(&m1, &e), DDS_OK);
		assert_int_equal(m1.count, n);
		assert_int_equal(dds_copy(&c, &all, NULL), DDS_OK);
		assert_int_equal(c.count, n);
		assert_float_equal(c.min, all.min, 0.0);
		dds_free(&c);
		dds_free(&e);
	}
	free(b1);
	free(b2);
	free(b3);
	dds_free(&all);
	dds_free(&m1);
	dds_free(&m2);
	for (i = 0; i < 3; i++)
		dds_free(&part[i]);
	free(values);
}

/* Collapsing keeps the bound for the quantiles above the collapsed part. */
static void
test_collapse_keeps_high_quantiles(void **state)
{
	size_t		n = 10000,
				i;
	double	   *values = malloc(n * sizeof(double));
	dds_sketch	s;
	double		q;

	rng_state = 5;
	dds_init(&s, 0.01, 64, NULL);
	for (i = 0; i < n; i++)
	{
		/* half tiny, half within a factor 3 (about 55 buckets) */
		values[i] = (i % 2) ? 1e-6 * (1 + RandUnit()) : 100 + 200 * RandUnit();
		dds_add(&s, values[i]);
	}
	assert_true(s.pos.hi - s.pos.lo + 1 <= 64);
	assert_int_equal(s.pos.total, n);
	qsort(values, n, sizeof(double), CmpDouble);
	for (q = 0.55; q <= 1.0; q += 0.01)
	{
		double		bound,
					exact = ExactQuantile(values, n, q, &bound, 0.01),
					est;

		dds_quantile(&s, q, &est);
		assert_true(fabs(est - exact) <= bound);
	}
	dds_free(&s);
	free(values);
}

static void
test_merge_mismatch(void **state)
{
	dds_sketch	a,
				b;

	dds_init(&a, 0.01, 100, NULL);
	dds_init(&b, 0.02, 100, NULL);
	dds_add(&b, 1.0);
	assert_int_equal(dds_merge(&a, &b), DDS_ERR_MISMATCH);
	dds_free(&b);
	dds_init(&b, 0.01, 200, NULL);
	assert_int_equal(dds_merge(&a, &b), DDS_ERR_MISMATCH);
	dds_free(&a);
	dds_free(&b);
}

static uint8_t *
SerializeSample(size_t *len)
{
	dds_sketch	s;
	uint8_t    *buf;
	int			i;

	dds_init(&s, 0.01, DDS_DEFAULT_MAX_BINS, NULL);
	for (i = 0; i < 1000; i++)
		dds_add(&s, (i % 10 == 0) ? 0.0 : (i % 7 == 0 ? -i : i * 1.5));
	*len = dds_serialized_size(&s);
	buf = malloc(*len);
	assert_int_equal(dds_serialize(&s, buf), *len);
	dds_free(&s);
	return buf;
}

static void
test_serialize_roundtrip(void **state)
{
	size_t		len,
				len2;
	uint8_t    *buf = SerializeSample(&len),
			   *buf2;
	dds_sketch	s;
	const char *why;
	double		v;

	assert_int_equal(dds_deserialize(&s, buf, len, NULL, &why), DDS_OK);
	assert_int_equal(s.count, 1000);
	assert_int_equal(s.zero_count, 100);
	len2 = dds_serialized_size(&s);
	assert_int_equal(len, len2);
	buf2 = malloc(len2);
	dds_serialize(&s, buf2);
	assert_memory_equal(buf, buf2, len);
	assert_int_equal(dds_quantile(&s, 0.0, &v), DDS_OK);
	assert_float_equal(v, -994.0, 0.0);
	/* empty sketch round trip */
	{
		dds_sketch	e,
					e2;
		uint8_t		eb[64];
		size_t		el;

		dds_init(&e, 0.01, 10, NULL);
		el = dds_serialize(&e, eb);
		assert_int_equal(el, dds_serialized_size(&e));
		assert_int_equal(dds_deserialize(&e2, eb, el, NULL, &why), DDS_OK);
		assert_int_equal(e2.count, 0);
		dds_free(&e);
		dds_free(&e2);
	}
	dds_free(&s);
	free(buf);
	free(buf2);
}

static void
ExpectCorrupt(const uint8_t *buf, size_t len)
{
	dds_sketch	s;
	const char *why = NULL;

	assert_int_equal(dds_deserialize(&s, buf, len, NULL, &why),
					 DDS_ERR_FORMAT);
	assert_non_null(why);
}

static void
test_deserialize_rejects_corruption(void **state)
{
	size_t		len,
				i;
	uint8_t    *buf = SerializeSample(&len);
	uint8_t    *copy = malloc(len + 1);

	/* every truncation */
	for (i = 0; i < len; i++)
		ExpectCorrupt(buf, i);
	/* trailing byte */
	memcpy(copy, buf, len);
	copy[len] = 0;
	ExpectCorrupt(copy, len + 1);
	/* bad magic, version */
	memcpy(copy, buf, len);
	copy[0] ^= 0xff;
	ExpectCorrupt(copy, len);
	memcpy(copy, buf, len);
	copy[1] = 99;
	ExpectCorrupt(copy, len);
	/* alpha = 0 */
	memcpy(copy, buf, len);
	memset(copy + 2, 0, 8);
	ExpectCorrupt(copy, len);
	/* total count off by one */
	memcpy(copy, buf, len);
	copy[14] ^= 1;
	ExpectCorrupt(copy, len);
	/* min > max: swap them */
	memcpy(copy, buf, len);
	memcpy(copy + 30, buf + 38, 8);
	memcpy(copy + 38, buf + 30, 8);
	ExpectCorrupt(copy, len);
	/* huge bucket count in the positive store header */
	memcpy(copy, buf, len);
	copy[46 + 4] = 0xff;
	copy[46 + 5] = 0xff;
	ExpectCorrupt(copy, len);
	/* bucket index out of range */
	memcpy(copy, buf, len);
	copy[46 + 3] = 0x7f;
	ExpectCorrupt(copy, len);
	/* a varint longer than 64 bits */
	{
		uint8_t		bad[46 + 8 + 11 + 8];
		size_t		p;

		memcpy(bad, buf, 46);
		memset(bad + 6, 0, 4);
		bad[6] = 10;			/* max_bins = 10 */
		p = 46;
		memset(bad + p, 0, 8);
		bad[p + 4] = 1;			/* one bucket at index 0 */
		p += 8;
		memset(bad + p, 0xff, 10);
		bad[p + 10] = 0x01;
		p += 11;
		memset(bad + p, 0, 8);
		p += 8;
		ExpectCorrupt(bad, p);
	}
	free(copy);
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_params),
		cmocka_unit_test(test_nonfinite_rejected),
		cmocka_unit_test(test_single_and_extremes_exact),
		cmocka_unit_test(test_zero_only),
		cmocka_unit_test(test_accuracy_durations),
		cmocka_unit_test(test_accuracy_mixed_signs),
		cmocka_unit_test(test_tiny_and_huge),
		cmocka_unit_test(test_merge_is_deterministic),
		cmocka_unit_test(test_collapse_keeps_high_quantiles),
		cmocka_unit_test(test_merge_mismatch),
		cmocka_unit_test(test_serialize_roundtrip),
		cmocka_unit_test(test_deserialize_rejects_corruption),
	};

	return cmocka_run_group_tests_name("ddsketch", tests, NULL, NULL);
}
