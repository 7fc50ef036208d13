/*
 * Unit tests of the pure calendar core (src/core/schedule.c).
 *
 * Zones are rule-based callbacks written here (a US-style zone, a Lord
 * Howe-style 30-minute zone, fixed offsets), so the tests do not need
 * PostgreSQL.  Besides the normative examples, a randomized test compares
 * the compiled schedule with a brute-force reference that walks local days
 * one by one and converts every open/close with PostgreSQL's rule, calling
 * the zone callback directly (not the compiled boundary list).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>

#include "schedule.h"
#include "xorshift.h"

#define H(x) ((int64_t) (x) * 3600 * CAL_USECS_PER_SEC)
#define M(x) ((int64_t) (x) * 60 * CAL_USECS_PER_SEC)
#define S(x) ((int64_t) (x) * CAL_USECS_PER_SEC)
#define DAY CAL_USECS_PER_DAY

/* ------------------------------------------------------------------ */
/* Test zones                                                          */
/* ------------------------------------------------------------------ */

/* n-th (1-based) given weekday of a month, or the last one if n == 0 */
static int64_t
nth_dow(int64_t y, int m, int dow, int n)
{
	int64_t		d;

	if (n == 0)
	{
		int			nm = m == 12 ? 1 : m + 1;
		int64_t		ny = m == 12 ? y + 1 : y;

		d = cal_days_from_civil(ny, nm, 1) - 1;
		while (cal_dow(d) != dow)
			d--;
		return d;
	}
	d = cal_days_from_civil(y, m, 1);
	while (cal_dow(d) != dow)
		d++;
	return d + 7 * (n - 1);
}

typedef struct rule_zone
{
	int32_t		std;			/* standard offset, seconds east */
	int32_t		dst;			/* daylight offset */
	int			on_month, on_n;	/* DST starts: n-th Sunday of month */
	int			off_month, off_n;	/* DST ends */
	int32_t		at_local;		/* local wall time of both switches, s */
} rule_zone;

/* US since 2007: 2nd Sunday March 02:00 -> 1st Sunday November 02:00 */
static rule_zone us_zone = {-5 * 3600, -4 * 3600, 3, 2, 11, 1, 7200};
/* Lord Howe-like: +10:30, +11:00 from 1st Sunday October to 1st Sunday April */
static rule_zone lh_zone = {37800, 39600, 10, 1, 4, 1, 7200};
/* Europe/Berlin-like: last Sunday March/October, switching at 01:00 UTC */
static rule_zone eu_zone = {3600, 7200, 3, 0, 10, 0, -1};

static void
year_boundaries(const rule_zone *z, int64_t y, cal_zone_boundary out[2])
{
	int64_t		on = nth_dow(y, z->on_month, 0, z->on_n);
	int64_t		off = nth_dow(y, z->off_month, 0, z->off_n);

	if (z->at_local < 0)
	{
		/* switch at 01:00 UTC */
		out[0].at = on * 86400 + 3600;
		out[1].at = off * 86400 + 3600;
	}
	else
	{
		out[0].at = on * 86400 + z->at_local - z->std;
		out[1].at = off * 86400 + z->at_local - z->dst;
	}
	out[0].before_off = z->std;
	out[0].after_off = z->dst;
	out[1].before_off = z->dst;
	out[1].after_off = z->std;
	if (out[1].at < out[0].at)
	{
		cal_zone_boundary t = out[0];

		out[0] = out[1];
		out[1] = t;
	}
}

static int
rule_next(void *arg, int64_t after, cal_zone_boundary *b, int32_t *cur)
{
	const rule_zone *z = arg;
	int64_t		y = 2000 + (int64_t) floor((double) after / (365.2425 * 86400)) - 1;

	for (;; y++)
	{
		cal_zone_boundary bb[2];

		year_boundaries(z, y, bb);
		if (bb[0].at > after)
		{
			*b = bb[0];
			return 1;
		}
		if (bb[1].at > after)
		{
			*b = bb[1];
			return 1;
		}
	}
}

/* a zone whose only boundary is a single change of offset at 'at' */
typedef struct once_zone
{
	int64_t		at;
	int32_t		before, after;
} once_zone;

static int
once_next(void *arg, int64_t after, cal_zone_boundary *b, int32_t *cur)
{
	const once_zone *z = arg;

	if (after >= z->at)
	{
		*cur = z->after;
		return 0;
	}
	b->at = z->at;
	b->before_off = z->before;
	b->after_off = z->after;
	return 1;
}

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

/* local wall time y-m-d h:mi as us since 2000-01-01 local */
static int64_t
L(int y, int m, int d, int h, int mi)
{
	return (int64_t) cal_days_from_civil(y, m, d) * DAY + H(h) + M(mi);
}

static int32_t
D(int y, int m, int d)
{
	return cal_days_from_civil(y, m, d);
}

/* local -> instant for a fixed offset */
static int64_t
fixed_utc(int64_t local, int32_t off)
{
	return local - S(off);
}

static cal_schedule *
build_or_fail(cal_builder *b)
{
	cal_schedule *s = cal_build(b);

	if (s == NULL)
		fail_msg("cal_build: %s", cal_builder_error(b));
	cal_builder_free(b);
	return s;
}

/* ch1 of the normative examples: Asia/Seoul (+9), Mon-Fri 09:00-18:00 */
static cal_builder *
ch1_builder(void)
{
	cal_builder *b = cal_builder_new();
	int			dow;

	assert_non_null(b);
	cal_builder_set_fixed_zone(b, 9 * 3600);
	for (dow = 1; dow <= 5; dow++)
		assert_int_equal(cal_builder_add_hours(b, CAL_DATE_NEG_INF, dow, H(9), H(18)), 0);
	return b;
}

/* ------------------------------------------------------------------ */
/* Normative examples and fixed cases                                  */
/* ------------------------------------------------------------------ */

static void
test_example_c_holiday(void **state)
{
	cal_builder *b = ch1_builder();
	cal_schedule *s;
	int32_t		kst = 9 * 3600;

	assert_int_equal(cal_builder_add_holiday(b, D(2025, 3, 4)), 0);
	s = build_or_fail(b);
	/* Mon 17:00 -> Wed 10:00 = Mon 17-18 + Wed 09-10 */
	assert_int_equal(cal_business_usecs(s, fixed_utc(L(2025, 3, 3, 17, 0), kst),
										fixed_utc(L(2025, 3, 5, 10, 0), kst)), S(7200));
	assert_true(cal_business_seconds(s, fixed_utc(L(2025, 3, 3, 17, 0), kst),
									 fixed_utc(L(2025, 3, 5, 10, 0), kst)) == 7200.0);
	/* reversed and empty spans */
	assert_int_equal(cal_business_usecs(s, fixed_utc(L(2025, 3, 5, 10, 0), kst),
										fixed_utc(L(2025, 3, 3, 17, 0), kst)), 0);
	assert_int_equal(cal_business_usecs(s, fixed_utc(L(2025, 3, 3, 10, 0), kst),
										fixed_utc(L(2025, 3, 3, 10, 0), kst)), 0);
	/* the holiday is closed all day, the next day is open */
	assert_false(cal_is_operating(s, fixed_utc(L(2025, 3, 4, 10, 0), kst)));
	assert_true(cal_is_operating(s, fixed_utc(L(2025, 3, 5, 10, 0), kst)));
	cal_schedule_free(s);
}

static void
test_example_b_operation(void **state)
{
	cal_schedule *s = build_or_fail(ch1_builder());
	int32_t		kst = 9 * 3600;

	/* Example B case 1: Mon 17:50 -> Tue 09:20 = 600 + 1200 */
	assert_int_equal(cal_business_usecs(s, fixed_utc(L(2025, 3, 3, 17, 50), kst),
										fixed_utc(L(2025, 3, 4, 9, 20), kst)), S(1800));
	/* Mon 18:30 -> Tue 09:15 = 900 */
	assert_int_equal(cal_business_usecs(s, fixed_utc(L(2025, 3, 3, 18, 30), kst),
										fixed_utc(L(2025, 3, 4, 9, 15), kst)), S(900));
	/* a whole week: 5 * 9 h; a weekend: nothing */
	assert_int_equal(cal_business_usecs(s, fixed_utc(L(2025, 3, 2, 0, 0), kst),
										fixed_utc(L(2025, 3, 9, 0, 0), kst)), H(45));
	assert_int_equal(cal_business_usecs(s, fixed_utc(L(2025, 3, 8, 0, 0), kst),
										fixed_utc(L(2025, 3, 10, 0, 0), kst)), 0);
	/* open is inside, close is outside */
	assert_true(cal_is_operating(s, fixed_utc(L(2025, 3, 3, 9, 0), kst)));
	assert_false(cal_is_operating(s, fixed_utc(L(2025, 3, 3, 18, 0), kst)));
	assert_false(cal_is_operating(s, fixed_utc(L(2025, 3, 3, 9, 0), kst) - 1));
	assert_true(cal_is_operating(s, fixed_utc(L(2025, 3, 3, 18, 0), kst) - 1));
	/* 100 years of weeks: 5217 weeks and a few days, computed exactly */
	assert_int_equal(cal_business_usecs(s, fixed_utc(L(2000, 1, 2, 0, 0), kst),
										fixed_utc(L(2000, 1, 2, 0, 0) + 5217 * 7 * DAY, kst)),
					 5217 * H(45));
	cal_schedule_free(s);
}

static void
test_example_c_dst(void **state)
{
	cal_builder *b = cal_builder_new();
	cal_schedule *s;

	/* America/New_York-like, open Sunday 00:00-24:00 */
	cal_builder_set_zone(b, rule_next, &us_zone);
	assert_int_equal(cal_builder_add_hours(b, CAL_DATE_NEG_INF, 0, 0, H(24)), 0);
	s = build_or_fail(b);
	/* 2025-03-08 23:00 EST -> 2025-03-09 04:00 EDT = 3 real hours */
	assert_int_equal(cal_business_usecs(s, L(2025, 3, 8, 23, 0) + H(5),
										L(2025, 3, 9, 4, 0) + H(4)), H(3));
	/* the spring-forward Sunday lasts 23 hours, the fall-back one 25 */
	assert_int_equal(cal_business_usecs(s, L(2025, 3, 9, 0, 0) + H(5),
										L(2025, 3, 10, 0, 0) + H(4)), H(23));
	assert_int_equal(cal_business_usecs(s, L(2025, 11, 2, 0, 0) + H(4),
										L(2025, 11, 3, 0, 0) + H(5)), H(25));
	/* two ordinary Sundays, 03-16 and 03-23 */
	assert_int_equal(cal_business_usecs(s, L(2025, 3, 15, 0, 0),
										L(2025, 3, 25, 0, 0)), H(48));
	cal_schedule_free(s);
}

static void
test_gap_and_overlap_rules(void **state)
{
	cal_builder *b = cal_builder_new();
	cal_schedule *s;

	cal_builder_set_zone(b, rule_next, &us_zone);
	s = build_or_fail(b);
	/* nonexistent 02:30 uses the offset before the gap: 07:30 UTC = 03:30 EDT */
	assert_int_equal(cal_local_to_utc(s, L(2025, 3, 9, 2, 30)), L(2025, 3, 9, 7, 30));
	/* 03:00 EDT is 07:00 UTC */
	assert_int_equal(cal_local_to_utc(s, L(2025, 3, 9, 3, 0)), L(2025, 3, 9, 7, 0));
	/* ambiguous 01:30 is the later occurrence (EST): 06:30 UTC */
	assert_int_equal(cal_local_to_utc(s, L(2025, 11, 2, 1, 30)), L(2025, 11, 2, 6, 30));
	assert_int_equal(cal_local_to_utc(s, L(2025, 11, 2, 0, 59)), L(2025, 11, 2, 4, 59));
	assert_int_equal(cal_local_to_utc(s, L(2025, 11, 2, 2, 0)), L(2025, 11, 2, 7, 0));
	/* far outside the compiled window the conversion repeats every 400 years */
	assert_int_equal(cal_local_to_utc(s, L(2025, 3, 9, 2, 30)) + (int64_t) 146097 * 5 * DAY,
					 cal_local_to_utc(s, L(4025, 3, 9, 2, 30)));
	cal_schedule_free(s);

	/* the same edges inside operating hours */
	b = cal_builder_new();
	cal_builder_set_zone(b, rule_next, &us_zone);
	/* Sunday 01:00-02:30 and 03:00-04:00: images 06:00-07:30 and 07:00-08:00 overlap */
	assert_int_equal(cal_builder_add_hours(b, CAL_DATE_NEG_INF, 0, H(1), M(150)), 0);
	assert_int_equal(cal_builder_add_hours(b, CAL_DATE_NEG_INF, 0, H(3), H(4)), 0);
	s = build_or_fail(b);
	/* union on the spring-forward Sunday: 06:00-08:00 UTC = 2 h */
	assert_int_equal(cal_business_usecs(s, L(2025, 3, 9, 0, 0), L(2025, 3, 10, 0, 0)), H(2));
	/* on an ordinary Sunday 1.5 h + 1 h */
	assert_int_equal(cal_business_usecs(s, L(2025, 3, 16, 0, 0), L(2025, 3, 17, 0, 0)), M(150));
	/*
	 * fall-back Sunday: ambiguous 01:00 is the later one (06:00 UTC), 02:30
	 * is 07:30, 03:00-04:00 EST is 08:00-09:00: 1.5 h + 1 h
	 */
	assert_int_equal(cal_business_usecs(s, L(2025, 11, 2, 0, 0), L(2025, 11, 3, 0, 0)),
					 M(150));
	cal_schedule_free(s);
}

static void
test_lord_howe_half_hour(void **state)
{
	cal_builder *b = cal_builder_new();
	cal_schedule *s;
	int			dow;

	cal_builder_set_zone(b, rule_next, &lh_zone);
	for (dow = 0; dow < 7; dow++)
		assert_int_equal(cal_builder_add_hours(b, CAL_DATE_NEG_INF, dow, 0, H(24)), 0);
	assert_int_equal(cal_builder_add_hours(b, D(2025, 1, 1), 0, H(1), H(3)), 0);
	s = build_or_fail(b);
	/* before 2025 open 24/7: elapsed time across both switches of 2024 */
	assert_int_equal(cal_business_usecs(s, S(0), L(2024, 12, 1, 0, 0)), L(2024, 12, 1, 0, 0));
	/* 2025-10-05 is the first Sunday of October: 02:00 -> 02:30, 1 h 30 real */
	assert_int_equal(cal_business_usecs(s, L(2025, 10, 4, 0, 0) - S(lh_zone.std),
										L(2025, 10, 6, 0, 0) - S(lh_zone.dst)), M(90));
	/* 2025-04-06, first Sunday of April: 02:00 -> 01:30, 01:00-03:00 lasts 2.5 h */
	assert_int_equal(cal_business_usecs(s, L(2025, 4, 5, 0, 0) - S(lh_zone.dst),
										L(2025, 4, 7, 0, 0) - S(lh_zone.std)), M(150));
	cal_schedule_free(s);
}

static void
test_versions_specials_holidays(void **state)
{
	cal_builder *b = ch1_builder();
	cal_schedule *s;
	int32_t		kst = 9 * 3600;

	/* from 2025-03-10 the hours are 10:00-12:00 and 11:00-16:00 (merged) */
	for (int dow = 1; dow <= 5; dow++)
	{
		assert_int_equal(cal_builder_add_hours(b, D(2025, 3, 10), dow, H(10), H(12)), 0);
		assert_int_equal(cal_builder_add_hours(b, D(2025, 3, 10), dow, H(11), H(16)), 0);
	}
	/* an open Saturday, and a special day that is also a holiday */
	assert_int_equal(cal_builder_add_special(b, D(2025, 3, 8), H(10), H(11)), 0);
	assert_int_equal(cal_builder_add_special(b, D(2025, 3, 8), M(630), H(13)), 0);
	assert_int_equal(cal_builder_add_special(b, D(2025, 3, 12), H(0), H(24)), 0);
	assert_int_equal(cal_builder_add_holiday(b, D(2025, 3, 12)), 0);
	/* duplicates are harmless */
	assert_int_equal(cal_builder_add_holiday(b, D(2025, 3, 12)), 0);
	s = build_or_fail(b);
	/* week of 03-03: 45 h; Saturday 03-08: 3 h */
	assert_int_equal(cal_business_usecs(s, fixed_utc(L(2025, 3, 3, 0, 0), kst),
										fixed_utc(L(2025, 3, 10, 0, 0), kst)), H(48));
	/* week of 03-10 (new version, 6 h a day, Wednesday a holiday): 24 h */
	assert_int_equal(cal_business_usecs(s, fixed_utc(L(2025, 3, 10, 0, 0), kst),
										fixed_utc(L(2025, 3, 17, 0, 0), kst)), H(24));
	assert_false(cal_is_operating(s, fixed_utc(L(2025, 3, 12, 11, 0), kst)));
	assert_true(cal_is_operating(s, fixed_utc(L(2025, 3, 8, 12, 59), kst)));
	assert_false(cal_is_operating(s, fixed_utc(L(2025, 3, 10, 9, 30), kst)));
	/* 24:00 closes at the end of the day: nothing open at 00:00 next day */
	cal_schedule_free(s);

	/* a date before every version is closed */
	b = cal_builder_new();
	cal_builder_set_fixed_zone(b, 0);
	assert_int_equal(cal_builder_add_hours(b, D(2025, 1, 1), 3, H(0), H(24)), 0);
	s = build_or_fail(b);
	assert_int_equal(cal_business_usecs(s, L(2024, 1, 1, 0, 0), L(2025, 1, 1, 0, 0)), 0);
	/* Wednesdays 2025-01-01 and 2025-01-08 */
	assert_int_equal(cal_business_usecs(s, L(2024, 1, 1, 0, 0), L(2025, 1, 9, 0, 0)), H(48));
	/* -infinity start is finite here: nothing opens before 2025 */
	assert_int_equal(cal_business_usecs(s, CAL_TS_NEG_INF, L(2025, 1, 9, 0, 0)), H(48));
	assert_true(isinf(cal_business_seconds(s, CAL_TS_NEG_INF, CAL_TS_POS_INF)));
	cal_schedule_free(s);
}

static void
test_always_open(void **state)
{
	cal_builder *b = cal_builder_new();
	cal_schedule *s;
	int64_t		a = L(2024, 12, 31, 13, 0);
	int64_t		z = L(2027, 6, 1, 1, 2) + 345678;

	cal_builder_set_zone(b, rule_next, &eu_zone);
	s = build_or_fail(b);
	/* no weekly rows: open 24/7, so business time is elapsed time */
	assert_int_equal(cal_business_usecs(s, a, z), z - a);
	assert_int_equal(cal_business_usecs(s, -z * 40, z * 40), z * 80);
	assert_true(cal_is_operating(s, a));
	assert_true(isinf(cal_business_seconds(s, CAL_TS_NEG_INF, a)));
	assert_int_equal(cal_business_usecs(s, CAL_TS_POS_INF, CAL_TS_NEG_INF), 0);
	assert_false(cal_is_operating(s, CAL_TS_POS_INF));
	cal_schedule_free(s);

	/* ... but holidays still close it */
	b = cal_builder_new();
	cal_builder_set_fixed_zone(b, 0);
	assert_int_equal(cal_builder_add_holiday(b, D(2025, 12, 25)), 0);
	s = build_or_fail(b);
	assert_int_equal(cal_business_usecs(s, L(2025, 12, 24, 0, 0), L(2025, 12, 27, 0, 0)), H(48));
	cal_schedule_free(s);
}

static void
test_bad_input(void **state)
{
	cal_builder *b = cal_builder_new();

	assert_int_equal(cal_builder_add_hours(b, 0, 7, 0, H(1)), -1);
	assert_non_null(strstr(cal_builder_error(b), "day of week"));
	assert_int_equal(cal_builder_add_hours(b, 0, 1, H(2), H(2)), -1);
	assert_int_equal(cal_builder_add_hours(b, 0, 1, H(2), H(25)), -1);
	assert_int_equal(cal_builder_add_special(b, 0, H(3), H(2)), -1);
	assert_int_equal(cal_builder_add_holiday(b, D(12000, 1, 1)), 0);
	assert_null(cal_build(b));
	assert_non_null(strstr(cal_builder_error(b), "outside the supported range"));
	cal_builder_free(b);
}

/* A zone whose single boundary is a 1-hour jump at local midnight. */
static void
test_gap_at_midnight(void **state)
{
	once_zone	z = {(int64_t) D(2030, 4, 7) * 86400 - 3 * 3600, 3 * 3600, 4 * 3600};
	cal_builder *b = cal_builder_new();
	cal_schedule *s;

	cal_builder_set_zone(b, once_next, &z);
	for (int dow = 0; dow < 7; dow++)
		assert_int_equal(cal_builder_add_hours(b, CAL_DATE_NEG_INF, dow, 0, H(24)), 0);
	s = build_or_fail(b);
	/* the day that starts at 01:00 lasts 23 h; elapsed time overall */
	assert_int_equal(cal_business_usecs(s, L(2030, 4, 1, 0, 0), L(2030, 4, 20, 0, 0)),
					 L(2030, 4, 20, 0, 0) - L(2030, 4, 1, 0, 0));
	cal_schedule_free(s);
}

/* ------------------------------------------------------------------ */
/* Randomized cross-check against a brute-force day walk              */
/* ------------------------------------------------------------------ */

typedef struct rnd_row
{
	int32_t		key;
	int			dow;
	int64_t		o, c;
} rnd_row;

typedef struct rnd_sched
{
	cal_next_boundary_fn fn;
	void	   *arg;
	int32_t		fixed;
	rnd_row		hours[64];
	int			nhours;
	rnd_row		special[32];
	int			nspecial;
	int32_t		hol[32];
	int			nhol;
} rnd_sched;


static int64_t
rnd_range(int64_t lo, int64_t hi)
{
	return lo + (int64_t) (rnd() % (uint64_t) (hi - lo + 1));
}

/* a random time of day on a 15-minute grid near DST switches, else minutes */
static void
rnd_interval(int64_t *o, int64_t *c)
{
	int64_t		a,
				b;

	do
	{
		if (rnd() % 3 == 0)
		{
			a = rnd_range(0, 16) * M(15);
			b = rnd_range(0, 16) * M(15);
		}
		else
		{
			a = rnd_range(0, 1440) * M(1);
			b = rnd_range(0, 1440) * M(1);
		}
	} while (a == b);
	*o = a < b ? a : b;
	*c = a < b ? b : a;
}

/* PostgreSQL's DetermineTimeZoneOffset, straight from the callback */
static int64_t
ref_conv(const rnd_sched *r, int64_t local)
{
	int64_t		ls = local >= 0 ? local / S(1) : -((-local + S(1) - 1) / S(1));
	cal_zone_boundary bd;
	int32_t		cur = r->fixed;
	int64_t		off;

	if (r->fn == NULL || r->fn(r->arg, ls - 86400, &bd, &cur) == 0)
		off = cur;
	else
	{
		int64_t		bt = ls - bd.before_off;
		int64_t		at = ls - bd.after_off;

		if (bt < bd.at && at < bd.at)
			off = bd.before_off;
		else if (bt > bd.at && at >= bd.at)
			off = bd.after_off;
		else
			off = bt > at ? bd.before_off : bd.after_off;
	}
	return local - S(off);
}

typedef struct iv
{
	int64_t		a, b;
} iv;

static int
cmp_iv(const void *x, const void *y)
{
	const iv   *p = x,
			   *q = y;

	return (p->a > q->a) - (p->a < q->a);
}

/* local intervals of day d, merged, in out[]; returns count */
static int
ref_day(const rnd_sched *r, int64_t d, iv *out)
{
	int			n = 0;
	int32_t		best = 0;
	bool		have = false;

	for (int i = 0; i < r->nhol; i++)
		if (r->hol[i] == d)
			return 0;
	for (int i = 0; i < r->nspecial; i++)
		if (r->special[i].key == d)
		{
			out[n].a = r->special[i].o;
			out[n].b = r->special[i].c;
			n++;
		}
	if (n == 0)
	{
		if (r->nhours == 0)
		{
			out[0].a = 0;
			out[0].b = DAY;
			return 1;
		}
		for (int i = 0; i < r->nhours; i++)
			if (r->hours[i].key <= d && (!have || r->hours[i].key > best))
			{
				best = r->hours[i].key;
				have = true;
			}
		if (!have)
			return 0;
		for (int i = 0; i < r->nhours; i++)
			if (r->hours[i].key == best && r->hours[i].dow == cal_dow(d))
			{
				out[n].a = r->hours[i].o;
				out[n].b = r->hours[i].c;
				n++;
			}
	}
	qsort(out, n, sizeof(iv), cmp_iv);
	{
		int			m = 0;

		for (int i = 0; i < n; i++)
		{
			if (m > 0 && out[i].a <= out[m - 1].b)
			{
				if (out[i].b > out[m - 1].b)
					out[m - 1].b = out[i].b;
			}
			else
				out[m++] = out[i];
		}
		n = m;
	}
	return n;
}

/* brute force: convert every interval of every local day, union, clip */
static int64_t
ref_business(const rnd_sched *r, int64_t a, int64_t b, bool *open_at_a)
{
	int64_t		d0 = (a >= 0 ? a / DAY : -((-a + DAY - 1) / DAY)) - 2;
	int64_t		d1 = (b >= 0 ? b / DAY : -((-b + DAY - 1) / DAY)) + 2;
	size_t		cap = 64,
				n = 0;
	iv		   *all = malloc(cap * sizeof(iv));
	int64_t		total = 0;

	*open_at_a = false;
	for (int64_t d = d0; d <= d1; d++)
	{
		iv			day[64];
		int			m = ref_day(r, d, day);

		for (int k = 0; k < m; k++)
		{
			int64_t		x = ref_conv(r, d * DAY + day[k].a);
			int64_t		y = ref_conv(r, d * DAY + day[k].b);

			if (x >= y)
				continue;
			if (n == cap)
			{
				cap *= 2;
				all = realloc(all, cap * sizeof(iv));
			}
			all[n].a = x;
			all[n].b = y;
			n++;
		}
	}
	qsort(all, n, sizeof(iv), cmp_iv);
	{
		int64_t		ca = INT64_MIN,
					cb = INT64_MIN;

		for (size_t i = 0; i <= n; i++)
		{
			if (i < n && all[i].a <= cb)
			{
				if (all[i].b > cb)
					cb = all[i].b;
				continue;
			}
			if (cb > ca)
			{
				int64_t		x = ca > a ? ca : a;
				int64_t		y = cb < b ? cb : b;

				if (y > x)
					total += y - x;
				if (ca <= a && a < cb)
					*open_at_a = true;
			}
			if (i < n)
			{
				ca = all[i].a;
				cb = all[i].b;
			}
		}
	}
	free(all);
	return total;
}

static void
random_schedule(rnd_sched *r, cal_builder *b, int64_t center_day)
{
	int			nver = (int) rnd_range(0, 3);
	int			z = (int) rnd_range(0, 4);

	memset(r, 0, sizeof(*r));
	switch (z)
	{
		case 0:
			r->fn = rule_next;
			r->arg = &us_zone;
			break;
		case 1:
			r->fn = rule_next;
			r->arg = &lh_zone;
			break;
		case 2:
			r->fn = rule_next;
			r->arg = &eu_zone;
			break;
		case 3:
			r->fixed = 9 * 3600;
			break;
		default:
			r->fixed = -(int32_t) rnd_range(0, 14) * 1800;
			break;
	}
	if (r->fn)
		cal_builder_set_zone(b, r->fn, r->arg);
	else
		cal_builder_set_fixed_zone(b, r->fixed);
	for (int v = 0; v < nver; v++)
	{
		int32_t		key = v == 0 && rnd() % 2 ? CAL_DATE_NEG_INF :
			(int32_t) (center_day + rnd_range(-400, 400));
		int			rows = (int) rnd_range(1, 12);

		for (int k = 0; k < rows && r->nhours < 64; k++)
		{
			rnd_row    *h = &r->hours[r->nhours++];

			h->key = key;
			h->dow = (int) rnd_range(0, 6);
			rnd_interval(&h->o, &h->c);
			assert_int_equal(cal_builder_add_hours(b, h->key, h->dow, h->o, h->c), 0);
		}
	}
	r->nhol = (int) rnd_range(0, 8);
	for (int k = 0; k < r->nhol; k++)
	{
		r->hol[k] = (int32_t) (center_day + rnd_range(-300, 300));
		assert_int_equal(cal_builder_add_holiday(b, r->hol[k]), 0);
	}
	r->nspecial = (int) rnd_range(0, 10);
	for (int k = 0; k < r->nspecial; k++)
	{
		rnd_row    *h = &r->special[k];

		h->key = (int32_t) (center_day + rnd_range(-300, 300));
		rnd_interval(&h->o, &h->c);
		assert_int_equal(cal_builder_add_special(b, h->key, h->o, h->c), 0);
	}
}

static void
test_random_vs_bruteforce(void **state)
{
	int			checks = 0;
	cal_cursor	cur;

	for (int sched = 0; sched < 60; sched++)
	{
		rnd_sched	r;
		cal_builder *b = cal_builder_new();
		cal_schedule *s;
		/* around 2025 mostly; sometimes far in the past or the future */
		int64_t		center = D(2025, 1, 1);

		if (sched % 6 == 4)
			center = D(2650, 6, 1);
		else if (sched % 6 == 5)
			center = D(1250, 6, 1);
		random_schedule(&r, b, center);
		s = build_or_fail(b);
		/* one cursor across all the queries: jumps and near repeats */
		cal_cursor_init(&cur, s);
		for (int q = 0; q < 60; q++)
		{
			int64_t		a = (center + rnd_range(-500, 500)) * DAY + rnd_range(0, DAY - 1);
			int64_t		len;
			int64_t		got,
						want;
			bool		open_at_a;

			switch (q % 4)
			{
				case 0:
					len = rnd_range(0, H(3));
					break;
				case 1:
					len = rnd_range(0, 3 * DAY);
					break;
				case 2:
					len = rnd_range(0, 60 * DAY);
					break;
				default:
					len = rnd_range(0, 800 * DAY);
					break;
			}
			/* snap some endpoints to whole quarter hours */
			if (q % 3 == 0)
				a -= a % M(15);
			want = ref_business(&r, a, a + len, &open_at_a);
			got = cal_business_usecs(s, a, a + len);
			if (got != want)
				fail_msg("schedule %d query %d: [%lld, +%lld) got %lld want %lld",
						 sched, q, (long long) a, (long long) len,
						 (long long) got, (long long) want);
			if (cal_is_operating(s, a) != open_at_a)
				fail_msg("schedule %d query %d: is_operating(%lld) = %d",
						 sched, q, (long long) a, !open_at_a);
			/* the cursor gives the same answers, then again a little later */
			for (int again = 0; again < 3; again++)
			{
				int64_t		t = a + again * rnd_range(0, H(30));
				bool		open_t;
				int64_t		want_t = ref_business(&r, t, t + len, &open_t);

				if (cal_cursor_is_operating(&cur, t) != open_t ||
					cal_cursor_business_seconds(&cur, t, t + len) != (double) want_t / 1e6)
					fail_msg("schedule %d query %d: the cursor differs at %lld",
							 sched, q, (long long) t);
			}
			checks++;
		}
		cal_schedule_free(s);
	}
	assert_int_equal(checks, 60 * 60);
}

/* F is additive: [a,b) + [b,c) = [a,c), also across the window edges */
static void
test_additive_far(void **state)
{
	rnd_sched	r;
	cal_builder *b = cal_builder_new();
	cal_schedule *s;

	random_schedule(&r, b, D(2025, 1, 1));
	s = build_or_fail(b);
	for (int i = 0; i < 2000; i++)
	{
		int64_t		a = (int64_t) rnd_range(-INT64_C(200000000000000000), INT64_C(200000000000000000));
		int64_t		m = a + rnd_range(0, INT64_C(30000000000000000));
		int64_t		c = m + rnd_range(0, INT64_C(30000000000000000));

		assert_int_equal(cal_business_usecs(s, a, m) + cal_business_usecs(s, m, c),
						 cal_business_usecs(s, a, c));
		assert_true(cal_business_usecs(s, a, c) <= c - a);
	}
	cal_schedule_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_c_holiday),
		cmocka_unit_test(test_example_b_operation),
		cmocka_unit_test(test_example_c_dst),
		cmocka_unit_test(test_gap_and_overlap_rules),
		cmocka_unit_test(test_lord_howe_half_hour),
		cmocka_unit_test(test_versions_specials_holidays),
		cmocka_unit_test(test_always_open),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_gap_at_midnight),
		cmocka_unit_test(test_random_vs_bruteforce),
		cmocka_unit_test(test_additive_far),
	};

	return cmocka_run_group_tests_name("schedule", tests, NULL, NULL);
}
