/*-------------------------------------------------------------------------
 *
 * schedule.c
 *	  Compiled operating-hours calendar (pure C, no PostgreSQL headers).
 *
 * Representation.  Business time is a set of instants.  The compiled
 * schedule cuts the instant axis of a window of local dates [W0, W1) into
 * contiguous pieces, each with the cumulative business time F(start) from
 * the window start:
 *
 *	- periodic pieces: a run of "regular" local dates, i.e. dates with one
 *	  schedule version, no holiday or special day, and at least two days
 *	  away from any UTC-offset boundary of the zone.  There the local->UTC
 *	  conversion is a constant offset, so business time is the version's
 *	  weekly pattern shifted by that offset and F inside the piece is
 *	  computed arithmetically (whole weeks * weekly total + a prefix sum
 *	  inside the week);
 *	- explicit pieces: runs of the other dates, whose intervals are
 *	  converted one by one with PostgreSQL's rules, unioned, and stored as
 *	  sorted disjoint instant intervals with prefix sums.
 *
 * Then business_seconds(a, b) = F(b) - F(a): two binary searches, whatever
 * the span.  Outside the window the calendar is exactly periodic with
 * period 400 Gregorian years (see schedule.h), so F(t + P) = F(t) + Q.
 *
 *-------------------------------------------------------------------------
 */
#include "schedule.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_US		CAL_USECS_PER_DAY
#define WEEK_US		(7 * CAL_USECS_PER_DAY)
#define SECS_PER_DAY INT64_C(86400)
/* 400 Gregorian years: 146097 days, 20871 weeks exactly */
#define PERIOD_DAYS INT64_C(146097)
#define PERIOD_US	(PERIOD_DAYS * CAL_USECS_PER_DAY)
/* zone boundaries beyond this are refused (about 1000 years of DST data) */
#define MAX_BOUNDARIES 4000000

typedef __int128 i128;

typedef struct cal_piece
{
	int64_t		start;			/* first instant of the piece */
	int64_t		cum;			/* F(start), relative to the window start */
	int64_t		off_us;			/* periodic: local = instant + off_us */
	int64_t		g0;				/* periodic: G(start + off_us) */
	int32_t		pattern;		/* periodic: pattern index; -1: explicit */
	int32_t		first;			/* explicit: first interval */
	int32_t		n;				/* explicit: number of intervals */
} cal_piece;

struct cal_schedule
{
	/* pieces[0 .. npieces-1], plus a sentinel pieces[npieces] at W1 */
	int32_t		npieces;
	cal_piece  *pieces;
	/* explicit instant intervals and their prefix sums (per piece) */
	int32_t		nex;
	int64_t    *ex_a;
	int64_t    *ex_b;
	int64_t    *ex_cum;
	/* weekly patterns: intervals in [0, WEEK_US) from Sunday 00:00 local */
	int32_t		npat;
	int32_t    *pat_first;
	int32_t    *pat_n;
	int64_t    *pat_total;
	int64_t    *pw_open;
	int64_t    *pw_close;
	int64_t    *pw_cum;
	/* window (instants) and business time of one period at each edge */
	int64_t		w0;
	int64_t		w1;
	int64_t		q0;
	int64_t		q1;
	/* zone boundaries over the window */
	int32_t		nb;
	cal_zone_boundary *bd;
	int32_t		const_off;
	size_t		bytes;
};

typedef struct span
{
	int64_t		a;
	int64_t		b;
} span;

typedef struct hours_row
{
	int32_t		key;			/* valid_from (weekly) or day (special) */
	int32_t		dow;
	int64_t		open;
	int64_t		close;
} hours_row;

struct cal_builder
{
	hours_row  *hours;
	int32_t		nhours;
	int32_t		cap_hours;
	hours_row  *specials;
	int32_t		nspecials;
	int32_t		cap_specials;
	int32_t    *holidays;
	int32_t		nholidays;
	int32_t		cap_holidays;
	cal_next_boundary_fn zone_fn;
	void	   *zone_arg;
	int32_t		fixed_off;
	char		err[256];
};

/* ---------------------------------------------------------------------
 * Small helpers
 * ---------------------------------------------------------------------
 */

static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t		q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

static void set_err(cal_builder *b, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));

static void
set_err(cal_builder *b, const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(b->err, sizeof(b->err), fmt, ap);
	va_end(ap);
}

/* Grow *arr (element size sz) so that it holds at least need elements. */
static int
grow(void **arr, int32_t *cap, int32_t need, size_t sz)
{
	int32_t		ncap;
	void	   *p;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap : 16;
	while (ncap < need)
	{
		if (ncap > INT32_MAX / 2)
			return -1;
		ncap *= 2;
	}
	p = realloc(*arr, (size_t) ncap * sz);
	if (p == NULL)
		return -1;
	*arr = p;
	*cap = ncap;
	return 0;
}

/* Days since 2000-01-01 of a proleptic Gregorian date (H. Hinnant). */
int32_t
cal_days_from_civil(int64_t y, int m, int d)
{
	int64_t		era;
	int64_t		yoe;
	int64_t		doy;
	int64_t		doe;

	y -= m <= 2;
	era = floor_div(y, 400);
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	/* 730425 = days from 0000-03-01 to 2000-01-01 */
	return (int32_t) (era * 146097 + doe - 730425);
}

int
cal_dow(int64_t day)
{
	/* 2000-01-01 was a Saturday (6) */
	int64_t		r = (day + 6) % 7;

	return (int) (r < 0 ? r + 7 : r);
}

/* sort_any() that accepts an empty (possibly NULL) array */
static void
sort_any(void *base, size_t n, size_t sz, int (*cmp) (const void *, const void *))
{
	if (n > 1)
		qsort(base, n, sz, cmp);
}

static int
cmp_i32(const void *a, const void *b)
{
	int32_t		x = *(const int32_t *) a;
	int32_t		y = *(const int32_t *) b;

	return (x > y) - (x < y);
}

static int
cmp_row(const void *a, const void *b)
{
	const hours_row *x = a;
	const hours_row *y = b;

	if (x->key != y->key)
		return (x->key > y->key) - (x->key < y->key);
	if (x->dow != y->dow)
		return (x->dow > y->dow) - (x->dow < y->dow);
	return (x->open > y->open) - (x->open < y->open);
}

static int
cmp_span(const void *a, const void *b)
{
	const span *x = a;
	const span *y = b;

	if (x->a != y->a)
		return (x->a > y->a) - (x->a < y->a);
	return (x->b > y->b) - (x->b < y->b);
}

/* Merge sorted spans in place (overlapping or touching); returns new count. */
static int32_t
merge_spans(span *s, int32_t n)
{
	int32_t		out = 0;
	int32_t		i;

	for (i = 0; i < n; i++)
	{
		if (out > 0 && s[i].a <= s[out - 1].b)
		{
			if (s[i].b > s[out - 1].b)
				s[out - 1].b = s[i].b;
		}
		else
			s[out++] = s[i];
	}
	return out;
}

/* ---------------------------------------------------------------------
 * Builder
 * ---------------------------------------------------------------------
 */

cal_builder *
cal_builder_new(void)
{
	return calloc(1, sizeof(cal_builder));
}

void
cal_builder_free(cal_builder *b)
{
	if (b == NULL)
		return;
	free(b->hours);
	free(b->specials);
	free(b->holidays);
	free(b);
}

const char *
cal_builder_error(const cal_builder *b)
{
	return b->err[0] ? b->err : "no error";
}

static int
check_interval(cal_builder *b, int64_t open_us, int64_t close_us)
{
	if (open_us < 0 || close_us > DAY_US || open_us >= close_us)
	{
		set_err(b, "invalid opening interval %lld..%lld us: need 00:00 <= open < close <= 24:00",
				(long long) open_us, (long long) close_us);
		return -1;
	}
	return 0;
}

/* Room for one more row of a builder array, or "out of memory" in b. */
static int
builder_grow(cal_builder *b, void **arr, int32_t *cap, int32_t need, size_t sz)
{
	if (grow(arr, cap, need, sz) < 0)
	{
		set_err(b, "out of memory");
		return -1;
	}
	return 0;
}

int
cal_builder_add_hours(cal_builder *b, int32_t valid_from, int dow,
					  int64_t open_us, int64_t close_us)
{
	hours_row  *r;

	if (dow < 0 || dow > 6)
	{
		set_err(b, "invalid day of week %d: need 0 (Sunday) .. 6", dow);
		return -1;
	}
	if (check_interval(b, open_us, close_us) < 0)
		return -1;
	if (builder_grow(b, (void **) &b->hours, &b->cap_hours, b->nhours + 1, sizeof(hours_row)) < 0)
		return -1;
	r = &b->hours[b->nhours++];
	r->key = valid_from;
	r->dow = dow;
	r->open = open_us;
	r->close = close_us;
	return 0;
}

int
cal_builder_add_holiday(cal_builder *b, int32_t day)
{
	if (builder_grow(b, (void **) &b->holidays, &b->cap_holidays, b->nholidays + 1, sizeof(int32_t)) < 0)
		return -1;
	b->holidays[b->nholidays++] = day;
	return 0;
}

int
cal_builder_add_special(cal_builder *b, int32_t day, int64_t open_us, int64_t close_us)
{
	hours_row  *r;

	if (check_interval(b, open_us, close_us) < 0)
		return -1;
	if (builder_grow(b, (void **) &b->specials, &b->cap_specials, b->nspecials + 1, sizeof(hours_row)) < 0)
		return -1;
	r = &b->specials[b->nspecials++];
	r->key = day;
	r->dow = 0;
	r->open = open_us;
	r->close = close_us;
	return 0;
}

void
cal_builder_set_zone(cal_builder *b, cal_next_boundary_fn fn, void *arg)
{
	b->zone_fn = fn;
	b->zone_arg = arg;
}

void
cal_builder_set_fixed_zone(cal_builder *b, int32_t off)
{
	b->zone_fn = NULL;
	b->zone_arg = NULL;
	b->fixed_off = off;
}

/* ---------------------------------------------------------------------
 * Zone: local time -> instant, PostgreSQL's DetermineTimeZoneOffset rule
 * ---------------------------------------------------------------------
 */

/*
 * Convert a local time (us since 2000-01-01 local) to an instant.  Like
 * PostgreSQL, look at the first boundary after (local seconds - 1 day):
 * if both candidate instants fall on one side of it the choice is clear;
 * otherwise the time is in a gap (take the "before" offset) or an overlap
 * (take the "after" offset), i.e. always the later of the two candidates.
 * Only valid for local times inside the enumerated window.
 */
static int64_t
conv_window(const cal_schedule *s, int64_t local_us)
{
	int64_t		ls = floor_div(local_us, CAL_USECS_PER_SEC);
	int64_t		target = ls - SECS_PER_DAY;
	int32_t		lo = 0;
	int32_t		hi = s->nb;
	int64_t		off;

	if (s->nb == 0)
		return local_us - (int64_t) s->const_off * CAL_USECS_PER_SEC;
	while (lo < hi)
	{
		int32_t		mid = lo + (hi - lo) / 2;

		if (s->bd[mid].at > target)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (lo == s->nb)
		off = s->bd[s->nb - 1].after_off;
	else
	{
		const cal_zone_boundary *bd = &s->bd[lo];
		int64_t		bt = ls - bd->before_off;
		int64_t		at = ls - bd->after_off;

		if (bt < bd->at && at < bd->at)
			off = bd->before_off;
		else if (bt > bd->at && at >= bd->at)
			off = bd->after_off;
		else if (bt > at)
			off = bd->before_off;
		else
			off = bd->after_off;
	}
	return local_us - off * CAL_USECS_PER_SEC;
}

int64_t
cal_local_to_utc(const cal_schedule *s, int64_t local_us)
{
	/* fold into the window by whole periods; conversion is periodic too */
	int64_t		lw0 = s->w0;	/* local window edges are within a day */
	int64_t		k = 0;

	if (local_us < lw0 + DAY_US)
		k = -(floor_div(lw0 + DAY_US - local_us - 1, PERIOD_US) + 1);
	else if (local_us >= s->w1 - DAY_US)
		k = floor_div(local_us - (s->w1 - DAY_US), PERIOD_US) + 1;
	return conv_window(s, local_us - k * PERIOD_US) + k * PERIOD_US;
}

/* ---------------------------------------------------------------------
 * Queries
 * ---------------------------------------------------------------------
 */

/* Business time of pattern p in [0, pos) of a week, 0 <= pos <= WEEK_US. */
static int64_t
pattern_prefix(const cal_schedule *s, int32_t p, int64_t pos)
{
	int32_t		first = s->pat_first[p];
	int32_t		lo = 0;
	int32_t		hi = s->pat_n[p];
	int32_t		j;
	int64_t		end;

	/* last interval with open <= pos */
	while (lo < hi)
	{
		int32_t		mid = lo + (hi - lo) / 2;

		if (s->pw_open[first + mid] <= pos)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return 0;
	j = first + lo - 1;
	end = pos < s->pw_close[j] ? pos : s->pw_close[j];
	return s->pw_cum[j] + (end - s->pw_open[j]);
}

/* Cumulative business time of pattern p from the Sunday of 2000-01-02. */
static int64_t
pattern_g(const cal_schedule *s, int32_t p, int64_t local_us)
{
	int64_t		rel = local_us - DAY_US;
	int64_t		w = floor_div(rel, WEEK_US);

	return w * s->pat_total[p] + pattern_prefix(s, p, rel - w * WEEK_US);
}

static bool
pattern_contains(const cal_schedule *s, int32_t p, int64_t local_us)
{
	int64_t		rel = local_us - DAY_US;
	int64_t		pos = rel - floor_div(rel, WEEK_US) * WEEK_US;
	int32_t		first = s->pat_first[p];
	int32_t		lo = 0;
	int32_t		hi = s->pat_n[p];

	while (lo < hi)
	{
		int32_t		mid = lo + (hi - lo) / 2;

		if (s->pw_open[first + mid] <= pos)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && pos < s->pw_close[first + lo - 1];
}

/*
 * Index of the last piece whose start <= t (t inside the window).  hint,
 * when not NULL, is a cursor's last piece: the times a chat asks about are
 * close together, so it usually holds t and the search is skipped.
 */
static int32_t
find_piece(const cal_schedule *s, int64_t t, int32_t *hint)
{
	int32_t		lo = 0;
	int32_t		hi = s->npieces;

	if (hint != NULL)
	{
		int32_t		h = *hint;

		if (h >= 0 && h < s->npieces && s->pieces[h].start <= t && t < s->pieces[h + 1].start)
			return h;
	}

	while (lo < hi)
	{
		int32_t		mid = lo + (hi - lo) / 2;

		if (s->pieces[mid].start <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (hint != NULL)
		*hint = lo - 1;
	return lo - 1;
}

/* Index of the last explicit interval of piece pc with a <= t, or -1. */
static int32_t
find_ex(const cal_schedule *s, const cal_piece *pc, int64_t t)
{
	int32_t		lo = 0;
	int32_t		hi = pc->n;

	while (lo < hi)
	{
		int32_t		mid = lo + (hi - lo) / 2;

		if (s->ex_a[pc->first + mid] <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo == 0 ? -1 : pc->first + lo - 1;
}

/* Business time of piece pc in [pc->start, t), t <= end of the piece. */
static int64_t
piece_partial(const cal_schedule *s, const cal_piece *pc, int64_t t)
{
	int32_t		j;

	if (pc->pattern >= 0)
		return pattern_g(s, pc->pattern, t + pc->off_us) - pc->g0;
	j = find_ex(s, pc, t);
	if (j < 0)
		return 0;
	return s->ex_cum[j] + ((t < s->ex_b[j] ? t : s->ex_b[j]) - s->ex_a[j]);
}

/* F(t) for w0 <= t <= w1. */
static int64_t
f_window(const cal_schedule *s, int64_t t, int32_t *hint)
{
	int32_t		i;

	if (t >= s->w1)
		return s->pieces[s->npieces].cum;
	i = find_piece(s, t, hint);
	return s->pieces[i].cum + piece_partial(s, &s->pieces[i], t);
}

/* F(t) for any finite t, folding by whole periods outside the window. */
static i128
f_any(const cal_schedule *s, int64_t t, int32_t *hint)
{
	int64_t		k;

	if (t < s->w0)
	{
		/* w0 < 0 and t >= INT64_MIN + 1, so w0 - t does not overflow */
		k = (s->w0 - t - 1) / PERIOD_US + 1;
		return (i128) f_window(s, t + k * PERIOD_US, hint) - (i128) k * s->q0;
	}
	if (t >= s->w1)
	{
		k = (t - s->w1) / PERIOD_US + 1;
		return (i128) f_window(s, t - k * PERIOD_US, hint) + (i128) k * s->q1;
	}
	return f_window(s, t, hint);
}

/*
 * Business time of [a, b) as a 128-bit count of microseconds; *infinite
 * is set when an infinite endpoint meets a calendar that keeps opening.
 */
static i128
business_i128(const cal_schedule *s, int64_t a, int64_t b, bool *infinite, int32_t *hint)
{
	i128		fa;
	i128		fb;

	*infinite = false;
	if (a >= b || a == CAL_TS_POS_INF || b == CAL_TS_NEG_INF)
		return 0;
	if (a == CAL_TS_NEG_INF)
	{
		if (s->q0 > 0)
		{
			*infinite = true;
			return 0;
		}
		/* nothing is ever open before the window: F is 0 there */
		fa = 0;
	}
	else
		fa = f_any(s, a, hint);
	if (b == CAL_TS_POS_INF)
	{
		if (s->q1 > 0)
		{
			*infinite = true;
			return 0;
		}
		fb = s->pieces[s->npieces].cum;
	}
	else
		fb = f_any(s, b, hint);
	return fb - fa;
}

double
cal_business_seconds(const cal_schedule *s, int64_t since_us, int64_t until_us)
{
	bool		infinite;
	i128		r = business_i128(s, since_us, until_us, &infinite, NULL);

	if (infinite)
		return INFINITY;
	/* exact to the microsecond for any span shorter than ~285 years */
	return (double) r / 1e6;
}

int64_t
cal_business_usecs(const cal_schedule *s, int64_t since_us, int64_t until_us)
{
	bool		infinite;
	i128		r = business_i128(s, since_us, until_us, &infinite, NULL);

	if (infinite || r > INT64_MAX)
		return INT64_MAX;
	return (int64_t) r;
}

static bool
is_operating(const cal_schedule *s, int64_t at_us, int32_t *hint)
{
	int64_t		t = at_us;
	int64_t		k;
	const cal_piece *pc;
	int32_t		j;

	if (t == CAL_TS_NEG_INF || t == CAL_TS_POS_INF)
		return false;
	if (t < s->w0)
	{
		k = (s->w0 - t - 1) / PERIOD_US + 1;
		t += k * PERIOD_US;
	}
	else if (t >= s->w1)
	{
		k = (t - s->w1) / PERIOD_US + 1;
		t -= k * PERIOD_US;
	}
	pc = &s->pieces[find_piece(s, t, hint)];
	if (pc->pattern >= 0)
		return pattern_contains(s, pc->pattern, t + pc->off_us);
	j = find_ex(s, pc, t);
	return j >= 0 && t < s->ex_b[j];
}

bool
cal_is_operating(const cal_schedule *s, int64_t at_us)
{
	return is_operating(s, at_us, NULL);
}

void
cal_cursor_init(cal_cursor *c, const cal_schedule *s)
{
	c->s = s;
	c->piece = -1;
}

double
cal_cursor_business_seconds(cal_cursor *c, int64_t since_us, int64_t until_us)
{
	bool		infinite;
	i128		r = business_i128(c->s, since_us, until_us, &infinite, &c->piece);

	if (infinite)
		return INFINITY;
	return (double) r / 1e6;
}

bool
cal_cursor_is_operating(cal_cursor *c, int64_t at_us)
{
	return is_operating(c->s, at_us, &c->piece);
}

/* ---------------------------------------------------------------------
 * Compilation
 * ---------------------------------------------------------------------
 */

/* Working state of cal_build (freed at its end). */
typedef struct build_ctx
{
	cal_builder *b;
	cal_schedule *s;
	/* versions: sorted valid_from; day intervals per (version, dow) */
	int32_t		nver;
	int32_t    *ver_from;
	int32_t    *vd_first;		/* [nver * 7] */
	int32_t    *vd_n;
	span	   *vd;				/* local time-of-day intervals */
	/* special days: sorted distinct days and their merged intervals */
	int32_t		nsd;
	int32_t    *sd_day;
	int32_t    *sd_first;
	int32_t    *sd_n;
	span	   *sd;
	/* holidays: sorted distinct */
	int32_t		nhol;
	int32_t    *hol;
	/* irregular date ranges [a, b), sorted and merged */
	int32_t		nirr;
	int32_t		cap_irr;
	span	   *irr;
	/* growable outputs */
	int32_t		cap_pieces;
	int32_t		cap_ex;
	int32_t		cap_tmp;
	span	   *tmp;
} build_ctx;

static bool
in_sorted(const int32_t *arr, int32_t n, int64_t v, int32_t *pos)
{
	int32_t		lo = 0;
	int32_t		hi = n;

	while (lo < hi)
	{
		int32_t		mid = lo + (hi - lo) / 2;

		if (arr[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (pos)
		*pos = lo;
	return lo < n && arr[lo] == v;
}

/* Index of the version in force on day d, or -1. */
static int32_t
version_for(const build_ctx *c, int64_t d)
{
	int32_t		pos;

	if (in_sorted(c->ver_from, c->nver, d, &pos))
		return pos;
	return pos - 1;
}

/* Local intervals of day d: *out points to n spans (time of day). */
static int32_t
day_intervals(const build_ctx *c, int64_t d, const span **out)
{
	int32_t		pos;
	int32_t		v;

	*out = NULL;
	if (in_sorted(c->hol, c->nhol, d, NULL))
		return 0;
	if (in_sorted(c->sd_day, c->nsd, d, &pos))
	{
		*out = &c->sd[c->sd_first[pos]];
		return c->sd_n[pos];
	}
	v = version_for(c, d);
	if (v < 0)
		return 0;
	*out = &c->vd[c->vd_first[v * 7 + cal_dow(d)]];
	return c->vd_n[v * 7 + cal_dow(d)];
}

static int
add_irregular(build_ctx *c, int64_t a, int64_t b)
{
	if (grow((void **) &c->irr, &c->cap_irr, c->nirr + 1, sizeof(span)) < 0)
		return -1;
	c->irr[c->nirr].a = a;
	c->irr[c->nirr].b = b;
	c->nirr++;
	return 0;
}

static int
add_piece(build_ctx *c, const cal_piece *p)
{
	cal_schedule *s = c->s;

	if (grow((void **) &s->pieces, &c->cap_pieces, s->npieces + 2, sizeof(cal_piece)) < 0)
		return -1;
	s->pieces[s->npieces++] = *p;
	return 0;
}

/* Versions, their per-weekday merged intervals and weekly patterns. */
static int
build_versions(build_ctx *c)
{
	cal_builder *b = c->b;
	cal_schedule *s = c->s;
	int32_t		i;
	int32_t		v;
	int32_t		nvd = 0;
	int32_t		npw = 0;

	sort_any(b->hours, b->nhours, sizeof(hours_row), cmp_row);
	c->ver_from = malloc(sizeof(int32_t) * (b->nhours + 1));
	c->vd = malloc(sizeof(span) * (b->nhours + 7));
	if (!c->ver_from || !c->vd)
		return -1;
	if (b->nhours == 0)
	{
		/* no weekly rows: open 24/7 (holidays and special days still apply) */
		c->nver = 1;
		c->ver_from[0] = CAL_DATE_NEG_INF;
	}
	else
	{
		for (i = 0; i < b->nhours; i++)
		{
			if (b->hours[i].key == CAL_DATE_POS_INF)
				continue;		/* never in force */
			if (c->nver == 0 || c->ver_from[c->nver - 1] != b->hours[i].key)
				c->ver_from[c->nver++] = b->hours[i].key;
		}
	}
	c->vd_first = malloc(sizeof(int32_t) * 7 * (c->nver + 1));
	c->vd_n = malloc(sizeof(int32_t) * 7 * (c->nver + 1));
	/* one pattern per version plus the closed pattern at index nver */
	s->npat = c->nver + 1;
	s->pat_first = malloc(sizeof(int32_t) * s->npat);
	s->pat_n = malloc(sizeof(int32_t) * s->npat);
	s->pat_total = malloc(sizeof(int64_t) * s->npat);
	s->pw_open = malloc(sizeof(int64_t) * (b->nhours + 8));
	s->pw_close = malloc(sizeof(int64_t) * (b->nhours + 8));
	s->pw_cum = malloc(sizeof(int64_t) * (b->nhours + 8));
	if (!c->vd_first || !c->vd_n || !s->pat_first || !s->pat_n ||
		!s->pat_total || !s->pw_open || !s->pw_close || !s->pw_cum)
		return -1;

	i = 0;
	for (v = 0; v < c->nver; v++)
	{
		int			dow;
		int32_t		pfirst = npw;

		for (dow = 0; dow < 7; dow++)
		{
			int32_t		first = nvd;

			if (b->nhours == 0)
			{
				c->vd[nvd].a = 0;
				c->vd[nvd].b = DAY_US;
				nvd++;
			}
			else
			{
				/* rows are sorted by (valid_from, dow, open) */
				while (i < b->nhours && b->hours[i].key == c->ver_from[v] &&
					   b->hours[i].dow == dow)
				{
					c->vd[nvd].a = b->hours[i].open;
					c->vd[nvd].b = b->hours[i].close;
					nvd++;
					i++;
				}
			}
			c->vd_first[v * 7 + dow] = first;
			c->vd_n[v * 7 + dow] = merge_spans(&c->vd[first], nvd - first);
			nvd = first + c->vd_n[v * 7 + dow];
		}
		/* weekly pattern: the days laid end to end, touching ones merged */
		for (dow = 0; dow < 7; dow++)
		{
			int32_t		k;

			for (k = 0; k < c->vd_n[v * 7 + dow]; k++)
			{
				const span *sp = &c->vd[c->vd_first[v * 7 + dow] + k];
				int64_t		o = dow * DAY_US + sp->a;
				int64_t		cl = dow * DAY_US + sp->b;

				if (npw > pfirst && s->pw_close[npw - 1] == o)
					s->pw_close[npw - 1] = cl;
				else
				{
					s->pw_open[npw] = o;
					s->pw_close[npw] = cl;
					npw++;
				}
			}
		}
		s->pat_first[v] = pfirst;
		s->pat_n[v] = npw - pfirst;
		s->pat_total[v] = 0;
		for (int32_t k = pfirst; k < npw; k++)
		{
			s->pw_cum[k] = s->pat_total[v];
			s->pat_total[v] += s->pw_close[k] - s->pw_open[k];
		}
		/* skip rows of this valid_from on no weekday (cannot remain) */
		while (i < b->nhours && b->hours[i].key == c->ver_from[v])
			i++;
	}
	s->pat_first[c->nver] = npw;
	s->pat_n[c->nver] = 0;
	s->pat_total[c->nver] = 0;
	return 0;
}

/* Special days (merged per day) and holidays, sorted. */
static int
build_days(build_ctx *c)
{
	cal_builder *b = c->b;
	int32_t		i;

	sort_any(b->specials, b->nspecials, sizeof(hours_row), cmp_row);
	c->sd_day = malloc(sizeof(int32_t) * (b->nspecials + 1));
	c->sd_first = malloc(sizeof(int32_t) * (b->nspecials + 1));
	c->sd_n = malloc(sizeof(int32_t) * (b->nspecials + 1));
	c->sd = malloc(sizeof(span) * (b->nspecials + 1));
	c->hol = malloc(sizeof(int32_t) * (b->nholidays + 1));
	if (!c->sd_day || !c->sd_first || !c->sd_n || !c->sd || !c->hol)
		return -1;
	for (i = 0; i < b->nspecials;)
	{
		int32_t		day = b->specials[i].key;
		int32_t		first = i;
		int32_t		k;

		while (i < b->nspecials && b->specials[i].key == day)
		{
			c->sd[i].a = b->specials[i].open;
			c->sd[i].b = b->specials[i].close;
			i++;
		}
		if (day == CAL_DATE_NEG_INF || day == CAL_DATE_POS_INF)
			continue;			/* no instant falls on an infinite date */
		k = c->nsd++;
		c->sd_day[k] = day;
		c->sd_first[k] = first;
		c->sd_n[k] = merge_spans(&c->sd[first], i - first);
	}
	if (b->nholidays > 0)
		memcpy(c->hol, b->holidays, sizeof(int32_t) * b->nholidays);
	sort_any(c->hol, b->nholidays, sizeof(int32_t), cmp_i32);
	for (i = 0; i < b->nholidays; i++)
	{
		if (c->hol[i] == CAL_DATE_NEG_INF || c->hol[i] == CAL_DATE_POS_INF)
			continue;
		if (c->nhol == 0 || c->hol[c->nhol - 1] != c->hol[i])
			c->hol[c->nhol++] = c->hol[i];
	}
	return 0;
}

/* Explicit piece for the local dates [d, e). */
static int
build_explicit(build_ctx *c, int64_t d, int64_t e)
{
	cal_schedule *s = c->s;
	cal_piece	p;
	int32_t		n = 0;
	int64_t		day;
	int64_t		cum = 0;
	int32_t		k;

	memset(&p, 0, sizeof(p));
	p.start = conv_window(s, d * DAY_US);
	p.pattern = -1;
	for (day = d; day < e; day++)
	{
		const span *iv;
		int32_t		m = day_intervals(c, day, &iv);

		if (grow((void **) &c->tmp, &c->cap_tmp, n + m, sizeof(span)) < 0)
			return -1;
		for (k = 0; k < m; k++)
		{
			int64_t		a = conv_window(s, day * DAY_US + iv[k].a);
			int64_t		b = conv_window(s, day * DAY_US + iv[k].b);

			if (a < b)
			{
				c->tmp[n].a = a;
				c->tmp[n].b = b;
				n++;
			}
		}
	}
	sort_any(c->tmp, n, sizeof(span), cmp_span);
	n = merge_spans(c->tmp, n);
	if (n > 0 && (c->tmp[0].a < p.start ||
				  c->tmp[n - 1].b > conv_window(s, e * DAY_US)))
	{
		set_err(c->b, "internal error: converted intervals leave their dates (zone boundaries closer than 2 days?)");
		return 1;
	}
	if (s->nex + n + 1 > c->cap_ex)
	{
		/* the three arrays share one capacity */
		int32_t		cap = c->cap_ex;
		int64_t    *na;

		if (grow((void **) &s->ex_a, &cap, s->nex + n + 1, sizeof(int64_t)) < 0)
			return -1;
		na = realloc(s->ex_b, sizeof(int64_t) * cap);
		if (na == NULL)
			return -1;
		s->ex_b = na;
		na = realloc(s->ex_cum, sizeof(int64_t) * cap);
		if (na == NULL)
			return -1;
		s->ex_cum = na;
		c->cap_ex = cap;
	}
	p.first = s->nex;
	p.n = n;
	for (k = 0; k < n; k++)
	{
		s->ex_a[s->nex] = c->tmp[k].a;
		s->ex_b[s->nex] = c->tmp[k].b;
		s->ex_cum[s->nex] = cum;
		cum += c->tmp[k].b - c->tmp[k].a;
		s->nex++;
	}
	return add_piece(c, &p);
}

/* Periodic piece for the regular local dates [d, e) of version v (-1). */
static int
build_periodic(build_ctx *c, int64_t d, int64_t e, int32_t v)
{
	cal_schedule *s = c->s;
	cal_piece	p;

	memset(&p, 0, sizeof(p));
	p.start = conv_window(s, d * DAY_US);
	p.off_us = d * DAY_US - p.start;
	if (conv_window(s, e * DAY_US) != e * DAY_US - p.off_us)
	{
		set_err(c->b, "internal error: UTC offset changes inside a regular run of dates");
		return 1;
	}
	p.pattern = v < 0 ? c->nver : v;
	p.g0 = pattern_g(s, p.pattern, p.start + p.off_us);
	p.first = 0;
	p.n = 0;
	return add_piece(c, &p);
}

static int
enumerate_zone(build_ctx *c, int64_t w0, int64_t w1)
{
	cal_builder *b = c->b;
	cal_schedule *s = c->s;
	int32_t		cap = 0;
	int64_t		after = (w0 - 3) * SECS_PER_DAY;
	int64_t		stop = (w1 + 3) * SECS_PER_DAY;

	s->const_off = b->fixed_off;
	if (b->zone_fn == NULL)
		return 0;
	for (;;)
	{
		cal_zone_boundary bd;
		int32_t		cur = 0;
		int			r = b->zone_fn(b->zone_arg, after, &bd, &cur);

		if (r < 0)
		{
			set_err(b, "time zone rules could not be read");
			return 1;
		}
		if (r == 0)
		{
			s->const_off = s->nb > 0 ? s->bd[s->nb - 1].after_off : cur;
			return 0;
		}
		if (bd.at <= after)
		{
			set_err(b, "time zone callback returned a boundary that is not after the given time");
			return 1;
		}
		if (s->nb >= MAX_BOUNDARIES)
		{
			set_err(b, "too many time zone transitions in the calendar window");
			return 1;
		}
		if (grow((void **) &s->bd, &cap, s->nb + 1, sizeof(cal_zone_boundary)) < 0)
			return -1;
		s->bd[s->nb++] = bd;
		if (bd.at > stop)
			return 0;
		after = bd.at;
	}
}

cal_schedule *
cal_build(cal_builder *b)
{
	build_ctx	c;
	cal_schedule *s;
	int64_t		lo;
	int64_t		hi;
	int64_t		w0;
	int64_t		w1;
	int64_t		d;
	int32_t		i;
	int32_t		ri;
	int			rc;
	const int32_t min_day = cal_days_from_civil(1, 1, 1);
	const int32_t max_day = cal_days_from_civil(9999, 12, 31);

	memset(&c, 0, sizeof(c));
	b->err[0] = '\0';
	s = calloc(1, sizeof(cal_schedule));
	if (s == NULL)
		goto oom;
	c.b = b;
	c.s = s;
	if (build_versions(&c) < 0 || build_days(&c) < 0)
		goto oom;

	/* the window: every explicit date, 1700..2200, and a period each side */
	lo = cal_days_from_civil(1700, 1, 1);
	hi = cal_days_from_civil(2200, 1, 1);
	for (i = 0; i < c.nver + c.nsd + c.nhol; i++)
	{
		int64_t		day;

		if (i < c.nver)
			day = c.ver_from[i];
		else if (i < c.nver + c.nsd)
			day = c.sd_day[i - c.nver];
		else
			day = c.hol[i - c.nver - c.nsd];
		if (day == CAL_DATE_NEG_INF)
			continue;
		if (day < min_day || day > max_day)
		{
			set_err(b, "date %lld days from 2000-01-01 is outside the supported range of calendar dates (years 1 to 9999)",
					(long long) day);
			goto fail;
		}
		if (day < lo)
			lo = day;
		if (day + 1 > hi)
			hi = day + 1;
	}
	w0 = lo - PERIOD_DAYS - 7;
	w1 = hi + PERIOD_DAYS + 7;

	rc = enumerate_zone(&c, w0, w1);
	if (rc < 0)
		goto oom;
	if (rc > 0)
		goto fail;

	/* irregular dates: holidays, special days, two days around boundaries */
	for (i = 0; i < c.nhol; i++)
		if (add_irregular(&c, c.hol[i], (int64_t) c.hol[i] + 1) < 0)
			goto oom;
	for (i = 0; i < c.nsd; i++)
		if (add_irregular(&c, c.sd_day[i], (int64_t) c.sd_day[i] + 1) < 0)
			goto oom;
	for (i = 0; i < s->nb; i++)
	{
		int64_t		x1 = floor_div(s->bd[i].at + s->bd[i].before_off, SECS_PER_DAY);
		int64_t		x2 = floor_div(s->bd[i].at + s->bd[i].after_off, SECS_PER_DAY);

		if (add_irregular(&c, (x1 < x2 ? x1 : x2) - 2, (x1 > x2 ? x1 : x2) + 3) < 0)
			goto oom;
	}
	sort_any(c.irr, c.nirr, sizeof(span), cmp_span);
	c.nirr = merge_spans(c.irr, c.nirr);

	/* walk the window, run by run */
	d = w0;
	ri = 0;
	while (ri < c.nirr && c.irr[ri].b <= w0)
		ri++;
	while (d < w1)
	{
		int64_t		e;
		int32_t		v;
		int32_t		vpos;

		if (ri < c.nirr && c.irr[ri].a <= d)
		{
			e = c.irr[ri].b < w1 ? c.irr[ri].b : w1;
			rc = build_explicit(&c, d, e);
			ri++;
		}
		else
		{
			e = w1;
			if (ri < c.nirr && c.irr[ri].a < e)
				e = c.irr[ri].a;
			v = version_for(&c, d);
			/* the next version start after d ends the run */
			in_sorted(c.ver_from, c.nver, d + 1, &vpos);
			if (vpos < c.nver && c.ver_from[vpos] < e)
				e = c.ver_from[vpos];
			rc = build_periodic(&c, d, e, v);
		}
		if (rc < 0)
			goto oom;
		if (rc > 0)
			goto fail;
		d = e;
	}

	/* sentinel and cumulative sums */
	{
		cal_piece	sent;

		memset(&sent, 0, sizeof(sent));
		sent.start = conv_window(s, w1 * DAY_US);
		sent.pattern = -1;
		s->pieces[s->npieces] = sent;	/* add_piece keeps room for it */
	}
	s->w0 = s->pieces[0].start;
	s->w1 = s->pieces[s->npieces].start;
	s->pieces[0].cum = 0;
	for (i = 0; i < s->npieces; i++)
	{
		const cal_piece *pc = &s->pieces[i];

		s->pieces[i + 1].cum = pc->cum +
			piece_partial(s, pc, s->pieces[i + 1].start);
	}
	s->q0 = f_window(s, s->w0 + PERIOD_US, NULL);
	s->q1 = s->pieces[s->npieces].cum - f_window(s, s->w1 - PERIOD_US, NULL);

	s->bytes = sizeof(cal_schedule) +
		sizeof(cal_piece) * (size_t) (s->npieces + 1) +
		sizeof(int64_t) * 3 * (size_t) s->nex +
		(sizeof(int32_t) * 2 + sizeof(int64_t)) * (size_t) s->npat +
		sizeof(int64_t) * 3 * (size_t) (b->nhours + 8) +
		sizeof(cal_zone_boundary) * (size_t) s->nb;
	goto done;

oom:
	set_err(b, "out of memory while compiling the calendar");
fail:
	cal_schedule_free(s);
	s = NULL;
done:
	free(c.ver_from);
	free(c.vd_first);
	free(c.vd_n);
	free(c.vd);
	free(c.sd_day);
	free(c.sd_first);
	free(c.sd_n);
	free(c.sd);
	free(c.hol);
	free(c.irr);
	free(c.tmp);
	return s;
}

void
cal_schedule_free(cal_schedule *s)
{
	if (s == NULL)
		return;
	free(s->pieces);
	free(s->ex_a);
	free(s->ex_b);
	free(s->ex_cum);
	free(s->pat_first);
	free(s->pat_n);
	free(s->pat_total);
	free(s->pw_open);
	free(s->pw_close);
	free(s->pw_cum);
	free(s->bd);
	free(s);
}

size_t
cal_schedule_bytes(const cal_schedule *s)
{
	return s->bytes;
}
