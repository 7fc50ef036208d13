/*-------------------------------------------------------------------------
 *
 * schedule.h
 *	  The operating-hours schedule of a channel (the calendar core): a
 *	  compiled, immutable schedule that answers "how many real seconds of
 *	  [a, b) are inside operating hours" and "is the channel open at t" in
 *	  O(log n), independent of the length of the span.  (The PostgreSQL
 *	  glue that loads and caches it is src/calendar.c.)
 *
 * Pure C (no PostgreSQL headers).  Times are int64 microseconds since
 * 2000-01-01 00:00 UTC, exactly PostgreSQL's TimestampTz, with INT64_MIN
 * and INT64_MAX meaning -infinity and +infinity.  Dates are int32 days
 * since 2000-01-01 (PostgreSQL's DateADT), INT32_MIN / INT32_MAX meaning
 * -infinity / +infinity.  Times of day are microseconds since local
 * midnight, 0 .. 86400000000 (24:00 closes at the end of the day).
 *
 * Semantics (see metrics.md "Operating hours"):
 *	- A local date D uses the schedule version with the latest valid_from
 *	  <= D; a date before every version is closed.  A schedule with no
 *	  weekly rows at all is open 24/7 (holidays and special days still
 *	  apply to it).
 *	- special_hours rows of D replace the weekly intervals of D; a holiday
 *	  closes the whole of D (a holiday wins over special hours).
 *	- The intervals of one local date are merged (overlapping or touching)
 *	  in local time, then each open/close is converted to an instant with
 *	  the zone's rules exactly as PostgreSQL's "timestamp AT TIME ZONE"
 *	  does (DetermineTimeZoneOffset): a local time that does not exist
 *	  (spring-forward gap) uses the UTC offset in force before the
 *	  transition, so 02:30 in a 02:00->03:00 gap is 03:30 new time; a local
 *	  time that exists twice (fall-back) uses the later occurrence.  An
 *	  interval whose converted close is not after its converted open is
 *	  empty.  Business time is the union of all converted intervals.
 *
 * The zone is supplied by a callback returning successive UTC-offset
 * boundaries, like PostgreSQL's pg_next_dst_boundary().  The schedule is
 * built explicitly over a window of local dates that covers every holiday,
 * special day and version start plus 400 years on each side (1700 .. 2200
 * at least); beyond the window the calendar repeats exactly every 400
 * Gregorian years (146097 days, a whole number of weeks), as PostgreSQL's
 * tz code itself extrapolates zone rules.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CSSTATS_CORE_SCHEDULE_H
#define CSSTATS_CORE_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CAL_USECS_PER_SEC	INT64_C(1000000)
#define CAL_USECS_PER_DAY	INT64_C(86400000000)
#define CAL_DATE_NEG_INF	INT32_MIN
#define CAL_DATE_POS_INF	INT32_MAX
#define CAL_TS_NEG_INF		INT64_MIN
#define CAL_TS_POS_INF		INT64_MAX

typedef struct cal_schedule cal_schedule;
typedef struct cal_builder cal_builder;

/* One UTC-offset boundary of a zone; offsets are seconds east of UTC. */
typedef struct cal_zone_boundary
{
	int64_t		at;				/* seconds since 2000-01-01 00:00 UTC */
	int32_t		before_off;		/* offset in force just before 'at' */
	int32_t		after_off;		/* offset in force from 'at' on */
} cal_zone_boundary;

/*
 * Zone callback: store in *b the first boundary strictly after 'after'
 * (seconds since 2000-01-01 UTC) and return 1; or, if the zone has no
 * boundary after 'after', store the offset in force at 'after' in
 * *current_off and return 0.  Return -1 on failure.
 */
typedef int (*cal_next_boundary_fn) (void *arg, int64_t after,
									 cal_zone_boundary *b,
									 int32_t *current_off);

/* Builder.  All functions return 0 on success, -1 on bad input or no memory
 * (cal_builder_error() then says why). */
extern cal_builder *cal_builder_new(void);
extern void cal_builder_free(cal_builder *b);
extern const char *cal_builder_error(const cal_builder *b);
extern int	cal_builder_add_hours(cal_builder *b, int32_t valid_from, int dow,
								  int64_t open_us, int64_t close_us);
extern int	cal_builder_add_holiday(cal_builder *b, int32_t day);
extern int	cal_builder_add_special(cal_builder *b, int32_t day,
									int64_t open_us, int64_t close_us);
extern void cal_builder_set_zone(cal_builder *b, cal_next_boundary_fn fn,
								 void *arg);
/* Fixed-offset zone (seconds east of UTC), e.g. for UTC; no callback. */
extern void cal_builder_set_fixed_zone(cal_builder *b, int32_t off);

/*
 * Compile.  Returns NULL on failure (cal_builder_error() says why).  The
 * builder can be freed afterwards; the schedule owns its memory (malloc)
 * and is freed with cal_schedule_free().
 */
extern cal_schedule *cal_build(cal_builder *b);
extern void cal_schedule_free(cal_schedule *s);
extern size_t cal_schedule_bytes(const cal_schedule *s);

/* Queries: thread-safe, no allocation. */
extern double cal_business_seconds(const cal_schedule *s,
								   int64_t since_us, int64_t until_us);
extern int64_t cal_business_usecs(const cal_schedule *s,
								  int64_t since_us, int64_t until_us);
extern bool cal_is_operating(const cal_schedule *s, int64_t at_us);

/*
 * The same queries through a cursor (caller-owned, one per thread): it
 * remembers the piece of the schedule the last query fell in, which saves
 * the search when queries come close together in time (one chat's replies).
 * Results are identical to the plain functions'.
 */
typedef struct cal_cursor
{
	const cal_schedule *s;
	int32_t		piece;
} cal_cursor;

extern void cal_cursor_init(cal_cursor *c, const cal_schedule *s);
extern double cal_cursor_business_seconds(cal_cursor *c, int64_t since_us, int64_t until_us);
extern bool cal_cursor_is_operating(cal_cursor *c, int64_t at_us);

/* Local time of day -> instant with PostgreSQL's rules (exposed for tests). */
extern int64_t cal_local_to_utc(const cal_schedule *s, int64_t local_us);

/* Helpers. */
extern int32_t cal_days_from_civil(int64_t y, int m, int d);
extern int	cal_dow(int64_t day);	/* 0 = Sunday .. 6 = Saturday */

#endif							/* CSSTATS_CORE_SCHEDULE_H */
