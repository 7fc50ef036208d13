/*-------------------------------------------------------------------------
 *
 * calendar.c
 *	  PostgreSQL glue of the operating-hours calendar: the SQL functions
 *	  csstats.business_seconds() and csstats.is_operating(), the loading of
 *	  a channel's schedule, and its backend-local cache.
 *
 * Time zones come from PostgreSQL's own tz database: the core asks for the
 * zone's UTC-offset boundaries through pg_next_dst_boundary(), the very
 * function "timestamp AT TIME ZONE" relies on, so the calendar agrees with
 * AT TIME ZONE, including its 400-year extrapolation of far dates.
 *
 * Cache invalidation.  Plain DML sends no relcache invalidation, so the
 * install script puts a statement-level AFTER trigger on channels,
 * operating_hours, holidays and special_hours that calls
 * CacheInvalidateRelcache() on the modified table.  PostgreSQL then fans
 * the message out: this backend processes it at the next command (so the
 * next statement of the same transaction sees the change), other backends
 * when the writer commits (processed at their next transaction start or
 * lock acquisition), and a rollback processes it once more.  Our relcache
 * callback only bumps a generation counter; an entry is valid while its
 * generation is current.  Checking costs one integer compare per call,
 * which matters because the metrics aggregates look the schedule up per
 * chat.  Triggers were chosen over a version table polled once per
 * statement because they need no query at all on the hot path.
 *
 * Which data a load sees.  A load first accepts pending invalidations and
 * then reads with a fresh snapshot (GetLatestSnapshot), so everything whose
 * invalidation was already processed is visible, and anything committed
 * later invalidates the entry again: the cache can never keep a stale
 * schedule.  In parallel mode, and at REPEATABLE READ or SERIALIZABLE, a
 * fresh snapshot is not allowed or not wanted; there the statement's
 * snapshot is used and the entry is dropped at the end of the transaction.
 *
 * Whose view the cache holds.  Like the sheets, the calendar reads its four
 * tables with the caller's rights: table privileges and row-level security
 * decide what a role sees, and a role that may not read a channel's row
 * gets "channel does not exist" (or a permission error), never a schedule
 * another role loaded.  So an entry is keyed by the channel and the role
 * whose rights loaded it (GetUserId(), which follows SET ROLE and SECURITY
 * DEFINER functions, and the SECURITY_NOFORCE_RLS context flag), and a
 * lookup under another role loads that role's own view.  What a role may
 * see without row security changes only with its privileges: a GRANT or
 * REVOKE on a table, or a policy or RLS switch, invalidates the table's
 * relcache entry, and a change of a role or of role membership (BYPASSRLS,
 * superuser, GRANT role) invalidates pg_authid or pg_auth_members, whose
 * syscache callbacks also bump the generation.  When row security does
 * apply to the caller on one of the four tables, the policies may depend
 * on anything (a setting, other tables), so such an entry is only good for
 * the statement that loaded it: it holds (registers) that statement's
 * active snapshot and is used only while the same snapshot is active, i.e.
 * within one statement, which is what STABLE promises.  It is dropped (and
 * the snapshot released) at the next cache miss under another snapshot, or
 * at the end of the transaction.
 * Reference data read as the extension owner was rejected: business hours
 * are not secret, but a tenant must not learn whether another tenant's
 * channel exists.
 *
 * Memory.  Compiled schedules are malloc'd by the core.  Replaced or
 * evicted ones are kept on a retired list until the end of the transaction,
 * so the pointers handed out stay valid that long.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "pgtime.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "calendar.h"

/* seconds from 1970-01-01 to 2000-01-01: pg_time_t vs. the core's epoch */
#define UNIX_TO_2000_SECS ((int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY)

/* Cached schedules beyond this total size are evicted, least recently used first. */
#define CACHE_BUDGET_BYTES ((size_t) 64 * 1024 * 1024)

typedef struct CalEntry
{
	struct CalEntry *next;
	char	   *channel_id;		/* in TopMemoryContext */
	int			id_len;
	Oid			userid;			/* loaded with this role's rights ... */
	bool		noforce_rls;	/* ... in this SECURITY_NOFORCE_RLS context */
	cal_schedule *sched;
	uint64		generation;		/* cal_generation when loaded */
	bool		xact_only;		/* dropped at the end of the transaction */
	Snapshot	stmt_snap;		/* row security applied: valid only while this
								 * (registered) snapshot is the active one */
} CalEntry;

typedef struct Retired
{
	struct Retired *next;
	cal_schedule *sched;
} Retired;

/* entries in most-recently-used order */
static CalEntry *cal_entries = NULL;
static size_t cal_cached_bytes = 0;
static Retired *cal_retired = NULL;
static bool cal_have_xact_only = false;

/* bumped by the relcache callback for our tables (or a full reset) */
static uint64 cal_generation = 1;

/* OIDs of the four tables, resolved at the first load */
#define NWATCHED 4
static Oid	cal_watched[NWATCHED];
static bool cal_watched_valid = false;

/* saved SPI plans */
static SPIPlanPtr plan_channel = NULL;
static SPIPlanPtr plan_hours = NULL;
static SPIPlanPtr plan_holidays = NULL;
static SPIPlanPtr plan_special = NULL;

/*
 * Role or role membership changed (pg_authid, pg_auth_members): what a
 * role may see can have changed with it.  No catalog access here.
 */
static void
CalendarRoleCallback(Datum arg, int cacheid, uint32 hashvalue)
{
	cal_generation++;
}

/*
 * Relcache callback: any invalidation of a watched table (relid), or of
 * everything (InvalidOid, e.g. after a sinval queue overflow), makes every
 * cached schedule stale.  No catalog access or freeing here.
 */
static void
CalendarRelcacheCallback(Datum arg, Oid relid)
{
	int			i;

	if (!cal_watched_valid || relid == InvalidOid)
	{
		cal_generation++;
		cal_watched_valid = false;
		return;
	}
	for (i = 0; i < NWATCHED; i++)
	{
		if (cal_watched[i] == relid)
		{
			/* re-resolve at the next load: the table may have been dropped */
			cal_generation++;
			cal_watched_valid = false;
			return;
		}
	}
}

static void
Retire(cal_schedule *s)
{
	Retired    *r;

	if (s == NULL)
		return;
	r = MemoryContextAlloc(TopMemoryContext, sizeof(Retired));
	r->sched = s;
	r->next = cal_retired;
	cal_retired = r;
}

static void
RemoveEntry(CalEntry *e, CalEntry *prev)
{
	if (prev)
		prev->next = e->next;
	else
		cal_entries = e->next;
	cal_cached_bytes -= cal_schedule_bytes(e->sched);
	Retire(e->sched);
	if (e->stmt_snap != NULL)
		UnregisterSnapshotFromOwner(e->stmt_snap, TopTransactionResourceOwner);
	pfree(e->channel_id);
	pfree(e);
}

/*
 * End of transaction: free the retired schedules (no pointer handed out in
 * this transaction may be used after it), and drop entries that were read
 * with a transaction-bound snapshot.
 */
static void
CalendarXactCallback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			break;
		default:
			return;
	}
	if (cal_have_xact_only)
	{
		CalEntry   *e = cal_entries;
		CalEntry   *prev = NULL;

		while (e)
		{
			CalEntry   *next = e->next;

			if (e->xact_only)
				RemoveEntry(e, prev);
			else
				prev = e;
			e = next;
		}
		cal_have_xact_only = false;
	}
	while (cal_retired)
	{
		Retired    *r = cal_retired;

		cal_retired = r->next;
		cal_schedule_free(r->sched);
		pfree(r);
	}
}

void
CalendarInit(void)
{
	CacheRegisterRelcacheCallback(CalendarRelcacheCallback, (Datum) 0);
	CacheRegisterSyscacheCallback(AUTHOID, CalendarRoleCallback, (Datum) 0);
	CacheRegisterSyscacheCallback(AUTHMEMROLEMEM, CalendarRoleCallback, (Datum) 0);
	RegisterXactCallback(CalendarXactCallback, NULL);
}

/* Resolve the OIDs of the watched tables (after a reset or at first use). */
static void
ResolveWatched(void)
{
	static const char *const names[NWATCHED] = {
		"channels", "operating_hours", "holidays", "special_hours"
	};
	Oid			nsp = get_namespace_oid("csstats", false);
	int			i;

	for (i = 0; i < NWATCHED; i++)
	{
		cal_watched[i] = get_relname_relid(names[i], nsp);
		if (!OidIsValid(cal_watched[i]))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_TABLE),
					 errmsg("table csstats.%s does not exist", names[i]),
					 errhint("Reinstall the csstats extension.")));
	}
	cal_watched_valid = true;
}

/* Does row security apply to the current role on one of the watched tables? */
static bool
RowSecurityApplies(void)
{
	int			i;

	for (i = 0; i < NWATCHED; i++)
		if (check_enable_rls(cal_watched[i], InvalidOid, true) == RLS_ENABLED)
			return true;
	return false;
}

static SPIPlanPtr
Prepare(const char *sql)
{
	Oid			argtypes[1] = {TEXTOID};
	SPIPlanPtr	plan = SPI_prepare(sql, 1, argtypes);

	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed for \"%s\": %s", sql,
			 SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "SPI_keepplan failed");
	return plan;
}

static void
PreparePlans(void)
{
	if (plan_channel != NULL)
		return;
	plan_channel = Prepare("SELECT timezone FROM csstats.channels "
						   "WHERE id OPERATOR(pg_catalog.=) $1");
	plan_hours = Prepare("SELECT valid_from, day_of_week, opens_at, closes_at "
						 "FROM csstats.operating_hours "
						 "WHERE channel_id OPERATOR(pg_catalog.=) $1");
	plan_holidays = Prepare("SELECT day FROM csstats.holidays "
							"WHERE channel_id OPERATOR(pg_catalog.=) $1");
	plan_special = Prepare("SELECT day, opens_at, closes_at FROM csstats.special_hours "
						   "WHERE channel_id OPERATOR(pg_catalog.=) $1");
}

static void
RunPlan(SPIPlanPtr plan, Datum id, Snapshot snap)
{
	int			rc;

	rc = SPI_execute_snapshot(plan, &id, NULL, snap, InvalidSnapshot,
							  true, false, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_snapshot failed: %s", SPI_result_code_string(rc));
}

static Datum
Col(int row, int col, bool *isnull)
{
	return SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col, isnull);
}

/*
 * Zone callback for the core: the next UTC-offset boundary of a PostgreSQL
 * zone after 'after' (seconds since 2000-01-01 UTC).
 */
static int
ZoneNextBoundary(void *arg, int64_t after, cal_zone_boundary *b, int32_t *current_off)
{
	const pg_tz *tz = (const pg_tz *) arg;
	pg_time_t	t = (pg_time_t) after + UNIX_TO_2000_SECS;
	long int	before_gmtoff = 0;
	long int	after_gmtoff = 0;
	int			before_isdst;
	int			after_isdst;
	pg_time_t	boundary = 0;
	int			r;

	r = pg_next_dst_boundary(&t, &before_gmtoff, &before_isdst, &boundary,
							 &after_gmtoff, &after_isdst, tz);
	if (r == 0)
	{
		/*
		 * Exactly at the last entry of a zone's transition table PostgreSQL
		 * answers "no more boundaries" although its 400-year extrapolation
		 * continues one second later.  Ask again from there.
		 */
		pg_time_t	t2 = t + 1;
		long int	bg2 = 0;

		if (pg_next_dst_boundary(&t2, &bg2, &before_isdst, &boundary,
								 &after_gmtoff, &after_isdst, tz) == 1)
		{
			before_gmtoff = bg2;
			r = 1;
		}
	}
	if (r < 0)
		return -1;
	if (r == 0)
	{
		*current_off = (int32_t) before_gmtoff;
		return 0;
	}
	b->at = (int64_t) boundary - UNIX_TO_2000_SECS;
	b->before_off = (int32_t) before_gmtoff;
	b->after_off = (int32_t) after_gmtoff;
	return 1;
}

/*
 * Dates of holidays, special days and versions must lie in years 1..9999
 * (the core compiles the calendar explicitly up to the last of them); say
 * which row is wrong rather than let the core report a day number.
 */
static void
CheckDate(DateADT day, const char *what, const char *channel_id)
{
	static const DateADT lo = -730119;	/* 0001-01-01 */
	static const DateADT hi = 2921939;	/* 9999-12-31 */

	if (DATE_NOT_FINITE(day) || (day >= lo && day <= hi))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
			 errmsg("%s %s of channel \"%s\" is out of range for operating hours",
					what, DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(day))),
					channel_id),
			 errdetail("Holidays, special days and schedule versions must fall in the years 1 to 9999.")));
}

static void
BuilderFailed(cal_builder *b, const char *channel_id)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid operating hours of channel \"%s\"", channel_id),
			 errdetail("%s.", cal_builder_error(b))));
}

/*
 * Read a channel's rows with snapshot snap and compile its schedule.
 * Errors (unknown channel, bad rows) are raised with ereport.
 */
static cal_schedule *
LoadSchedule(const char *channel_id, Snapshot snap)
{
	cal_builder *volatile b = cal_builder_new();
	cal_schedule *volatile s = NULL;

	if (b == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	PG_TRY();
	{
		Datum		id = CStringGetTextDatum(channel_id);
		char	   *tzname;
		pg_tz	   *tz;
		uint64		i;
		bool		isnull;

		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		PreparePlans();

		RunPlan(plan_channel, id, snap);
		if (SPI_processed == 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("channel \"%s\" does not exist", channel_id),
					 errhint("Channels are rows of csstats.channels.")));
		tzname = TextDatumGetCString(Col(0, 1, &isnull));
		tz = pg_tzset(tzname);
		if (tz == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("time zone \"%s\" of channel \"%s\" is not recognized",
							tzname, channel_id)));

		RunPlan(plan_hours, id, snap);
		for (i = 0; i < SPI_processed; i++)
		{
			DateADT		from = DatumGetDateADT(Col(i, 1, &isnull));
			int			dow = DatumGetInt16(Col(i, 2, &isnull));
			TimeADT		o = DatumGetTimeADT(Col(i, 3, &isnull));
			TimeADT		c = DatumGetTimeADT(Col(i, 4, &isnull));

			CheckDate(from, "valid_from", channel_id);
			if (cal_builder_add_hours(b, from, dow, o, c) < 0)
				BuilderFailed(b, channel_id);
		}
		RunPlan(plan_holidays, id, snap);
		for (i = 0; i < SPI_processed; i++)
		{
			DateADT		day = DatumGetDateADT(Col(i, 1, &isnull));

			CheckDate(day, "holiday", channel_id);
			if (cal_builder_add_holiday(b, day) < 0)
				BuilderFailed(b, channel_id);
		}
		RunPlan(plan_special, id, snap);
		for (i = 0; i < SPI_processed; i++)
		{
			DateADT		day = DatumGetDateADT(Col(i, 1, &isnull));
			TimeADT		o = DatumGetTimeADT(Col(i, 2, &isnull));
			TimeADT		c = DatumGetTimeADT(Col(i, 3, &isnull));

			CheckDate(day, "special day", channel_id);
			if (cal_builder_add_special(b, day, o, c) < 0)
				BuilderFailed(b, channel_id);
		}
		SPI_finish();

		cal_builder_set_zone(b, ZoneNextBoundary, tz);
		s = cal_build(b);
		if (s == NULL)
			BuilderFailed(b, channel_id);
	}
	PG_FINALLY();
	{
		cal_builder_free(b);
	}
	PG_END_TRY();
	return s;
}

/* Evict least recently used entries (never the first) beyond the budget. */
static void
EnforceBudget(void)
{
	while (cal_cached_bytes > CACHE_BUDGET_BYTES && cal_entries && cal_entries->next)
	{
		CalEntry   *prev = cal_entries;
		CalEntry   *e = cal_entries->next;

		while (e->next)
		{
			prev = e;
			e = e->next;
		}
		RemoveEntry(e, prev);
	}
}

/* Is e, found for this role and context, still good? */
static inline bool
EntryCurrent(const CalEntry *e)
{
	if (e->generation != cal_generation)
		return false;
	return e->stmt_snap == NULL ||
		(ActiveSnapshotSet() && GetActiveSnapshot() == e->stmt_snap);
}

/* Drop the statement-bound entries of finished statements (releasing their snapshots). */
static void
DropStaleStatementEntries(void)
{
	CalEntry   *e = cal_entries;
	CalEntry   *prev = NULL;

	while (e)
	{
		CalEntry   *next = e->next;

		if (e->stmt_snap != NULL && !EntryCurrent(e))
			RemoveEntry(e, prev);
		else
			prev = e;
		e = next;
	}
}

static const cal_schedule *
GetSchedule(const char *id, int len)
{
	CalEntry   *e;
	CalEntry   *prev = NULL;
	char	   *cid;
	uint64		gen;
	bool		xact_only;
	bool		rls;
	Snapshot	snap;
	volatile Snapshot stmt_snap = NULL;
	cal_schedule *s;
	Oid			userid;
	int			sec_context;
	bool		noforce;

	/* the key: channel, role, and the one security-context flag RLS depends on */
	GetUserIdAndSecContext(&userid, &sec_context);
	noforce = (sec_context & SECURITY_NOFORCE_RLS) != 0;

	/* hot path: most recently used entry, same key, still current */
	e = cal_entries;
	if (e && e->id_len == len && e->userid == userid && e->noforce_rls == noforce &&
		e->generation == cal_generation && e->stmt_snap == NULL &&
		memcmp(e->channel_id, id, len) == 0)
		return e->sched;

	for (e = cal_entries; e; prev = e, e = e->next)
	{
		if (e->id_len == len && e->userid == userid && e->noforce_rls == noforce &&
			memcmp(e->channel_id, id, len) == 0)
			break;
	}
	if (e && EntryCurrent(e))
	{
		/* move to front */
		if (prev)
		{
			prev->next = e->next;
			e->next = cal_entries;
			cal_entries = e;
		}
		return e->sched;
	}
	if (e)
		RemoveEntry(e, prev);
	DropStaleStatementEntries();

	/* load: see the file header for the choice of snapshot */
	cid = MemoryContextAlloc(TopMemoryContext, len + 1);
	memcpy(cid, id, len);
	cid[len] = '\0';
	/* allocate the entry first: nothing may fail once the schedule exists */
	e = MemoryContextAlloc(TopMemoryContext, sizeof(CalEntry));
	PG_TRY();
	{
		AcceptInvalidationMessages();
		if (!cal_watched_valid)
			ResolveWatched();
		gen = cal_generation;
		rls = RowSecurityApplies();
		/* active snapshots are copies: registering returns the same pointer */
		if (rls && ActiveSnapshotSet())
			stmt_snap = RegisterSnapshotOnOwner(GetActiveSnapshot(),
												TopTransactionResourceOwner);
		xact_only = IsInParallelMode() || IsolationUsesXactSnapshot();
		if (!xact_only)
			snap = GetLatestSnapshot();
		else if (ActiveSnapshotSet())
			snap = GetActiveSnapshot();
		else
			snap = GetTransactionSnapshot();
		s = LoadSchedule(cid, snap);
	}
	PG_CATCH();
	{
		if (stmt_snap != NULL)
			UnregisterSnapshotFromOwner(stmt_snap, TopTransactionResourceOwner);
		pfree(cid);
		pfree(e);
		PG_RE_THROW();
	}
	PG_END_TRY();

	if (rls && stmt_snap == NULL)
	{
		/* no statement to tie it to: not cached, valid until the transaction ends */
		Retire(s);
		pfree(cid);
		pfree(e);
		return s;
	}
	e->channel_id = cid;
	e->id_len = len;
	e->userid = userid;
	e->noforce_rls = noforce;
	e->sched = s;
	e->generation = gen;
	e->xact_only = xact_only || rls;
	e->stmt_snap = stmt_snap;
	e->next = cal_entries;
	cal_entries = e;
	cal_cached_bytes += cal_schedule_bytes(s);
	if (e->xact_only)
		cal_have_xact_only = true;
	EnforceBudget();
	return s;
}

const cal_schedule *
csstats_get_schedule(const char *channel_id)
{
	return GetSchedule(channel_id, (int) strlen(channel_id));
}

static const cal_schedule *
GetScheduleText(text *channel_id)
{
	return GetSchedule(VARDATA_ANY(channel_id), VARSIZE_ANY_EXHDR(channel_id));
}

/*
 * csstats.business_seconds(since, until, channel_id): real seconds of
 * [since, until) inside the channel's operating hours.  Reversed or empty
 * spans give 0 (after checking that the channel exists).
 */
PG_FUNCTION_INFO_V1(csstats_business_seconds);
Datum
csstats_business_seconds(PG_FUNCTION_ARGS)
{
	TimestampTz since = PG_GETARG_TIMESTAMPTZ(0);
	TimestampTz until = PG_GETARG_TIMESTAMPTZ(1);
	const cal_schedule *s = GetScheduleText(PG_GETARG_TEXT_PP(2));

	PG_RETURN_FLOAT8(cal_business_seconds(s, since, until));
}

/* csstats.is_operating(at, channel_id) */
PG_FUNCTION_INFO_V1(csstats_is_operating);
Datum
csstats_is_operating(PG_FUNCTION_ARGS)
{
	TimestampTz at = PG_GETARG_TIMESTAMPTZ(0);
	const cal_schedule *s = GetScheduleText(PG_GETARG_TEXT_PP(1));

	PG_RETURN_BOOL(cal_is_operating(s, at));
}

/*
 * Statement-level AFTER trigger on the calendar tables: fan out a relcache
 * invalidation so every backend drops its cached schedules (see header).
 */
PG_FUNCTION_INFO_V1(csstats_calendar_changed);
Datum
csstats_calendar_changed(PG_FUNCTION_ARGS)
{
	TriggerData *td;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("csstats._calendar_changed() must be called as a trigger")));
	td = (TriggerData *) fcinfo->context;
	CacheInvalidateRelcache(td->tg_relation);
	return PointerGetDatum(NULL);
}
