/*-------------------------------------------------------------------------
 *
 * export_summary.c
 *	  The Summary of an export (include_summary => true): computed in one
 *	  extra SQL pass over the export's own sheet functions, with the same
 *	  arguments and the caller's rights, before the data sheets are
 *	  streamed.  Medians and 90th percentiles are exact
 *	  (percentile_cont); the sheet rows go through a materialized CTE and
 *	  PostgreSQL's sorts, which spill to disk past work_mem, so backend
 *	  memory stays flat in the row count.  The result is a table per
 *	  channel-local day and per assignee: bounded by days and managers.
 *
 *	  A day is the channel-local day a chat (case) was created; "closed"
 *	  counts those of that day's chats closed by as_of, the times describe
 *	  the same chats (seconds in the sheets, minutes here), missed calls are
 *	  the meets of those chats with a missed_reason (a case's missed_count
 *	  in a cases export).  An assignee is the chat's current assignee (the
 *	  case's assignee).
 *
 *	  The writers draw it (doc_writer.h): XLSX a first sheet with charts
 *	  (src/core/xlsxsummary.c), JSON a "Summary" key.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "xlsxsummary.h"

#include "export.h"
#include "export_summary.h"

/*
 * One result row per day (part 1) and per assignee (part 2):
 *	 part, key, name, n1, n2, n3, f1 .. f6
 * day:      key = YYYY-MM-DD, n1 created, n2 closed, n3 missed,
 *           f1..f6 = wait p50, wait p90, resolution p50, the same in op. hours
 * assignee: key = assignee id, name, n1 count, n2 replies,
 *           f1 wait p50, f3 resolution p50, f4 op. wait p50, f6 op. resolution p50
 */
#define P50(col) "pg_catalog.percentile_cont(0.5) WITHIN GROUP (ORDER BY s." col ") OPERATOR(pg_catalog./) 60"
#define P90(col) "pg_catalog.percentile_cont(0.9) WITHIN GROUP (ORDER BY s." col ") OPERATOR(pg_catalog./) 60"
#define DAY_TIMES \
	P50("waiting_time") ", " P90("waiting_time") ", " P50("resolution_time") ", " \
	P50("operation_waiting_time") ", " P90("operation_waiting_time") ", " \
	P50("operation_resolution_time")
#define ASSIGNEE_TIMES \
	P50("waiting_time") ", NULL, " P50("resolution_time") ", " \
	P50("operation_waiting_time") ", NULL, " P50("operation_resolution_time")
#define ORDER \
	" ORDER BY 1, CASE WHEN part OPERATOR(pg_catalog.=) 2 THEN n1 END DESC," \
	" key COLLATE \"C\" NULLS LAST"

static const char chats_sql[] =
"WITH s AS MATERIALIZED ("
"  SELECT u.id, u.assignee_id, u.created_at, u.closed_at, u.reply_count, u.waiting_time,"
"    u.resolution_time, u.operation_waiting_time, u.operation_resolution_time"
"  FROM csstats.user_chat_sheet($1, $2, $3, $4, $5) u),"
" m AS (SELECT mt.user_chat_id AS id, pg_catalog.count(*) AS n"
"  FROM csstats.user_chat_meet_sheet($1, $2, $3, $4, $5) mt"
"  WHERE mt.missed_reason IS NOT NULL GROUP BY 1),"
" g AS (SELECT mg.id, mg.name FROM csstats.manager_sheet($1, $2, $3, $4, $5) mg)"
" SELECT * FROM ("
"  SELECT 1 AS part, pg_catalog.to_char((s.created_at AT TIME ZONE $6)::pg_catalog.date,"
"      'YYYY-MM-DD') AS key, NULL::pg_catalog.text AS name,"
"    pg_catalog.count(*) AS n1, pg_catalog.count(s.closed_at) AS n2,"
"    pg_catalog.sum(COALESCE(m.n, 0))::bigint AS n3, " DAY_TIMES
"  FROM s LEFT JOIN m ON m.id OPERATOR(pg_catalog.=) s.id GROUP BY 2"
"  UNION ALL"
"  SELECT 2, s.assignee_id, pg_catalog.max(g.name), pg_catalog.count(*),"
"    pg_catalog.sum(COALESCE(s.reply_count, 0))::bigint, NULL, " ASSIGNEE_TIMES
"  FROM s LEFT JOIN g ON g.id OPERATOR(pg_catalog.=) s.assignee_id GROUP BY s.assignee_id"
" ) r" ORDER;

static const char cases_sql[] =
"WITH s AS MATERIALIZED ("
"  SELECT u.user_chat_case_created_at AS created_at, u.closed_at, u.assignee_id,"
"    u.assignee_name, u.reply_count, u.missed_count, u.waiting_time, u.resolution_time,"
"    u.operation_waiting_time, u.operation_resolution_time"
"  FROM csstats.user_chat_case_sheet($1, $2, $3, $4, $5) u)"
" SELECT * FROM ("
"  SELECT 1 AS part, pg_catalog.to_char((s.created_at AT TIME ZONE $6)::pg_catalog.date,"
"      'YYYY-MM-DD') AS key, NULL::pg_catalog.text AS name,"
"    pg_catalog.count(*) AS n1, pg_catalog.count(s.closed_at) AS n2,"
"    pg_catalog.sum(COALESCE(s.missed_count, 0))::bigint AS n3, " DAY_TIMES
"  FROM s GROUP BY 2"
"  UNION ALL"
"  SELECT 2, s.assignee_id, pg_catalog.max(s.assignee_name), pg_catalog.count(*),"
"    pg_catalog.sum(COALESCE(s.reply_count, 0))::bigint, NULL, " ASSIGNEE_TIMES
"  FROM s GROUP BY s.assignee_id"
" ) r" ORDER;

static int64
GetInt(HeapTuple tup, TupleDesc td, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, td, col, &isnull);

	return isnull ? 0 : DatumGetInt64(d);
}

static double
GetFloat(HeapTuple tup, TupleDesc td, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, td, col, &isnull);

	return isnull ? NAN : DatumGetFloat8(d);
}

/* A timestamptz as "YYYY-MM-DD hh:mm:ss" in the channel's zone, or "open". */
static char *
LocalText(pg_tz *tz, bool has, TimestampTz t)
{
	struct pg_tm tm;
	fsec_t		fsec;
	int			tzoff;

	if (!has)
		return pstrdup("open");
	if (TIMESTAMP_NOT_FINITE(t) || timestamp2tm(t, &tzoff, &tm, &fsec, NULL, tz) != 0)
		return pstrdup(timestamptz_to_str(t));
	return psprintf("%04d-%02d-%02d %02d:%02d:%02d", tm.tm_year, tm.tm_mon, tm.tm_mday,
					tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static void
Scope(ExportSummary *es, ExportRequest *req)
{
	static const char *const labels[] = {
		"Export", "Channel", "Time zone", "Since", "Until", "Filters", "As of",
		"Generated at", "Messages included"
	};
	static const char *const keys[] = {
		"export", "channel", "timeZone", "since", "until", "filters", "asOf",
		"generatedAt", "messagesIncluded"
	};
	const char **values = palloc(sizeof(char *) * lengthof(labels));
	int			n = 0;

	values[n++] = req->kind == EXPORT_CHATS ? "chats" : "cases";
	values[n++] = req->channel_id;
	values[n++] = req->timezone;
	values[n++] = LocalText(req->tz, req->has_since, req->since);
	values[n++] = LocalText(req->tz, req->has_until, req->until);
	values[n++] = JsonbToCString(NULL, &req->filters->root, VARSIZE(req->filters));
	values[n++] = LocalText(req->tz, true, req->as_of);
	values[n++] = LocalText(req->tz, true, GetCurrentTimestamp());
	values[n++] = req->kind == EXPORT_CASES ? "no (cases export)"
		: req->include_messages ? "yes" : "no";
	Assert(n == lengthof(labels));
	/* the XLSX and JSON text is UTF-8 */
	for (int i = 0; i < n; i++)
		values[i] = pg_server_to_any(values[i], strlen(values[i]), PG_UTF8);
	es->s.nscope = n;
	es->s.scope_labels = labels;
	es->s.scope_values = values;
	es->s.scope_keys = keys;
}

ExportSummary *
ExportSummaryCompute(ExportRequest *req, int nargs, Oid *types, Datum *values,
					 const char *nulls)
{
	ExportSummary *es = palloc0(sizeof(ExportSummary));
	Oid			t[6];
	Datum		v[6];
	char		n[6];
	cs_summary_day *days;
	cs_summary_assignee *as;
	int			rc;
	uint64		i;

	Assert(nargs == 5);
	memcpy(t, types, sizeof(Oid) * 5);
	memcpy(v, values, sizeof(Datum) * 5);
	memcpy(n, nulls, 5);
	t[5] = TEXTOID;
	v[5] = CStringGetTextDatum(req->timezone);
	n[5] = ' ';
	rc = SPI_execute_with_args(req->kind == EXPORT_CHATS ? chats_sql : cases_sql,
							   6, t, v, n, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not compute the export summary: %s", SPI_result_code_string(rc));

	days = palloc0(sizeof(cs_summary_day) * Max(SPI_processed, 1));
	as = palloc0(sizeof(cs_summary_assignee) * Max(SPI_processed, 1));
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	td = SPI_tuptable->tupdesc;
		bool		isnull;
		int			part = DatumGetInt32(SPI_getbinval(tup, td, 1, &isnull));
		char	   *key = SPI_getvalue(tup, td, 2);
		char	   *name = SPI_getvalue(tup, td, 3);

		if (part == 1)
		{
			cs_summary_day *d = &days[es->s.ndays++];

			if (key == NULL || sscanf(key, "%d-%d-%d", &d->year, &d->month, &d->day) != 3)
				elog(ERROR, "unexpected summary day \"%s\"", key ? key : "");
			d->created = GetInt(tup, td, 4);
			d->closed = GetInt(tup, td, 5);
			d->missed = GetInt(tup, td, 6);
			d->wait_p50 = GetFloat(tup, td, 7);
			d->wait_p90 = GetFloat(tup, td, 8);
			d->res_p50 = GetFloat(tup, td, 9);
			d->op_wait_p50 = GetFloat(tup, td, 10);
			d->op_wait_p90 = GetFloat(tup, td, 11);
			d->op_res_p50 = GetFloat(tup, td, 12);
		}
		else
		{
			cs_summary_assignee *a = &as[es->s.nassignees++];

			a->id = key ? pg_server_to_any(key, strlen(key), PG_UTF8) : NULL;
			a->name = name ? pg_server_to_any(name, strlen(name), PG_UTF8) : NULL;
			a->count = GetInt(tup, td, 4);
			a->replies = GetInt(tup, td, 5);
			a->wait_p50 = GetFloat(tup, td, 7);
			a->res_p50 = GetFloat(tup, td, 9);
			a->op_wait_p50 = GetFloat(tup, td, 10);
			a->op_res_p50 = GetFloat(tup, td, 12);
		}
	}
	SPI_freetuptable(SPI_tuptable);
	es->s.cases = req->kind == EXPORT_CASES;
	es->s.days = days;
	es->s.assignees = as;
	Scope(es, req);
	return es;
}
