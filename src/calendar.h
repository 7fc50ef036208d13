/*-------------------------------------------------------------------------
 *
 * calendar.h
 *	  PostgreSQL glue of the operating-hours calendar: loads a channel's
 *	  schedule (csstats.channels.timezone, operating_hours, holidays,
 *	  special_hours), compiles it with the pure core (core/schedule.h) and
 *	  caches it in the backend.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CSSTATS_CALENDAR_H
#define CSSTATS_CALENDAR_H

#include "schedule.h"

/*
 * The compiled schedule of a channel: loaded on first use, re-loaded after
 * any change to csstats.channels, operating_hours, holidays or
 * special_hours (by this or another session; the check costs nothing per
 * call, see calendar.c).  ereport(ERROR) with SQLSTATE 42704
 * (undefined_object) if the channel does not exist, or the current role
 * may not see it: the tables are read with the current role's rights, and
 * the cache is per role (per statement where row security applies).
 *
 * The pointer stays valid until the end of the current transaction, even if
 * the schedule is invalidated or evicted meanwhile; call again in a later
 * transaction.  Cheap when cached: a compare of the channel id with the
 * most recently used entry.
 */
extern const cal_schedule *csstats_get_schedule(const char *channel_id);

/* Register the invalidation, role-change and end-of-transaction callbacks (_PG_init). */
extern void CalendarInit(void);

#endif							/* CSSTATS_CALENDAR_H */
