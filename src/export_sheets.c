/*-------------------------------------------------------------------------
 *
 * export_sheets.c
 *	  The one-pass loop that reads each sheet function of an export through
 *	  an SPI cursor and hands its rows, as they come, to the document
 *	  writer (doc_writer.h: XLSX or JSON).
 *
 *	  Which sheets, in which order, and their headers come from the sheet
 *	  catalog (export_catalog.c).  Here each column gets its cell kind from
 *	  its type: text, integer, number (double precision: metric durations
 *	  are seconds), boolean, timestamp (shown in the channel's time zone),
 *	  arrays, jsonb; the profile jsonb column is expanded into
 *	  profile.<key> columns.  Both writers use the same column plan, so
 *	  XLSX headers and JSON keys agree.
 *
 *	  Sheets are read with the caller's rights (plain SPI, no user switch)
 *	  and in read-only mode, so every sheet of one export sees the snapshot
 *	  of the calling statement.  Rows are fetched in batches of 1,000 and
 *	  the batch memory is reset after each batch: memory stays flat in the
 *	  row count.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/ps_status.h"
#include "utils/timestamp.h"

#include "doc_writer.h"
#include "export.h"
#include "export_catalog.h"
#include "export_summary.h"
#include "export_tmp.h"

#define FETCH_BATCH 1000
#define PS_EVERY	10000

typedef enum CellKind
{
	CK_TEXT,
	CK_INT,
	CK_FLOAT,
	CK_NUMERIC,
	CK_BOOL,
	CK_TSTZ,
	CK_TS,
	CK_DATE,
	CK_INTERVAL,
	CK_ARRAY,
	CK_JSONB,
	CK_PROFILE,
	CK_OTHER
} CellKind;

/* One output column. */
typedef struct OutCol
{
	char	   *header;
	CellKind	kind;
	int			attno;			/* 0-based source attribute */
	char	   *profile_key;	/* CK_PROFILE */
	Oid			typoid;
	FmgrInfo	out;			/* CK_OTHER: type output; CK_ARRAY: element output */
	DocScalar	elemscalar;		/* CK_ARRAY */
	Oid			elemtype;
	int16		elmlen;
	bool		elmbyval;
	char		elmalign;
} OutCol;

/* ---------------------------------------------------------------------
 * Cells: which writer function a value goes to
 * ---------------------------------------------------------------------
 */

/*
 * A timestamptz in the channel's zone; one the zone cannot break down
 * (infinite, out of range, before year 1) is written as its text.
 */
static void
CellTimestampTz(DocWriter *w, pg_tz *tz, TimestampTz t)
{
	struct pg_tm tm;
	fsec_t		fsec;
	int			tzoff;

	if (TIMESTAMP_NOT_FINITE(t) ||
		timestamp2tm(t, &tzoff, &tm, &fsec, NULL, tz) != 0 || tm.tm_year <= 0)
	{
		char	   *s = DatumGetCString(DirectFunctionCall1(timestamptz_out,
															TimestampTzGetDatum(t)));

		w->ops->text(w, s, strlen(s));
		return;
	}
	w->ops->timestamptz(w, t, &tm, fsec, tzoff);
}

/* A wall-clock timestamp (no zone); an infinite one as its text. */
static void
CellTimestampLocal(DocWriter *w, Timestamp t)
{
	if (TIMESTAMP_NOT_FINITE(t))
	{
		char	   *s = DatumGetCString(DirectFunctionCall1(timestamp_out,
															TimestampGetDatum(t)));

		w->ops->text(w, s, strlen(s));
		return;
	}
	w->ops->timestamp(w, t);
}

/* Seconds of an interval, as extract(epoch from interval) counts them. */
static double
IntervalSeconds(const Interval *iv)
{
	return iv->time / 1000000.0
		+ (double) (iv->month / MONTHS_PER_YEAR) * DAYS_PER_YEAR * SECS_PER_DAY
		+ (double) (iv->month % MONTHS_PER_YEAR) * DAYS_PER_MONTH * SECS_PER_DAY
		+ (double) iv->day * SECS_PER_DAY;
}

static void
CellArray(DocWriter *w, OutCol *c, Datum d)
{
	ArrayType  *arr = DatumGetArrayTypeP(d);
	Datum	   *items;
	bool	   *nulls;
	const char **texts;
	int			n,
				i;

	deconstruct_array(arr, c->elemtype, c->elmlen, c->elmbyval, c->elmalign,
					  &items, &nulls, &n);
	texts = palloc(sizeof(char *) * Max(n, 1));
	for (i = 0; i < n; i++)
		texts[i] = nulls[i] ? NULL : OutputFunctionCall(&c->out, items[i]);
	w->ops->array(w, texts, n, c->elemscalar);
}

/* A JSON value: by its scalar type, an object or array as JSON. */
static void
CellJsonbValue(DocWriter *w, JsonbValue *v)
{
	switch (v->type)
	{
		case jbvNull:
			w->ops->null(w);
			break;
		case jbvString:
			w->ops->text(w, v->val.string.val, v->val.string.len);
			break;
		case jbvBool:
			w->ops->boolean(w, v->val.boolean);
			break;
		case jbvNumeric:
			w->ops->numeric(w, DatumGetCString(DirectFunctionCall1(numeric_out,
																   NumericGetDatum(v->val.numeric))));
			break;
		default:
			{
				Jsonb	   *jb = JsonbValueToJsonb(v);

				w->ops->json(w, JsonbToCString(NULL, &jb->root, VARSIZE(jb)));
			}
			break;
	}
}

static void
WriteCell(DocWriter *w, pg_tz *tz, OutCol *c, Datum d, bool isnull, Jsonb *profile)
{
	if (c->kind == CK_PROFILE)
	{
		JsonbValue	vbuf;
		JsonbValue *v = NULL;

		if (profile != NULL && JB_ROOT_IS_OBJECT(profile))
			v = getKeyJsonValueFromContainer(&profile->root, c->profile_key,
											 strlen(c->profile_key), &vbuf);
		if (v == NULL)
			w->ops->null(w);
		else
			CellJsonbValue(w, v);
		return;
	}
	if (isnull)
	{
		w->ops->null(w);
		return;
	}
	switch (c->kind)
	{
		case CK_TEXT:
			{
				text	   *t = DatumGetTextPP(d);

				w->ops->text(w, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
			}
			break;
		case CK_INT:
			if (c->typoid == INT2OID)
				w->ops->integer(w, DatumGetInt16(d));
			else if (c->typoid == INT4OID)
				w->ops->integer(w, DatumGetInt32(d));
			else
				w->ops->integer(w, DatumGetInt64(d));
			break;
		case CK_FLOAT:
			w->ops->number(w, c->typoid == FLOAT4OID ? DatumGetFloat4(d) : DatumGetFloat8(d));
			break;
		case CK_NUMERIC:
			w->ops->numeric(w, DatumGetCString(DirectFunctionCall1(numeric_out, d)));
			break;
		case CK_BOOL:
			w->ops->boolean(w, DatumGetBool(d));
			break;
		case CK_TSTZ:
			CellTimestampTz(w, tz, DatumGetTimestampTz(d));
			break;
		case CK_TS:
			CellTimestampLocal(w, DatumGetTimestamp(d));
			break;
		case CK_DATE:
			{
				DateADT		dt = DatumGetDateADT(d);

				if (DATE_NOT_FINITE(dt))
					w->ops->text(w, dt == DATEVAL_NOBEGIN ? "-infinity" : "infinity",
								 dt == DATEVAL_NOBEGIN ? 9 : 8);
				else
					CellTimestampLocal(w, (Timestamp) dt * USECS_PER_DAY);
			}
			break;
		case CK_INTERVAL:
			w->ops->number(w, IntervalSeconds(DatumGetIntervalP(d)));
			break;
		case CK_ARRAY:
			CellArray(w, c, d);
			break;
		case CK_JSONB:
			{
				Jsonb	   *jb = DatumGetJsonbP(d);

				w->ops->json(w, JsonbToCString(NULL, &jb->root, VARSIZE(jb)));
			}
			break;
		default:
			{
				char	   *s = OutputFunctionCall(&c->out, d);

				w->ops->text(w, s, strlen(s));
			}
			break;
	}
}

/* ---------------------------------------------------------------------
 * Column plan
 * ---------------------------------------------------------------------
 */
static CellKind
KindOfType(Oid t)
{
	switch (t)
	{
		case TEXTOID:
		case VARCHAROID:
		case BPCHAROID:
		case NAMEOID:
			return CK_TEXT;
		case INT2OID:
		case INT4OID:
		case INT8OID:
			return CK_INT;
		case FLOAT4OID:
		case FLOAT8OID:
			return CK_FLOAT;
		case NUMERICOID:
			return CK_NUMERIC;
		case BOOLOID:
			return CK_BOOL;
		case TIMESTAMPTZOID:
			return CK_TSTZ;
		case TIMESTAMPOID:
			return CK_TS;
		case DATEOID:
			return CK_DATE;
		case INTERVALOID:
			return CK_INTERVAL;
		case JSONBOID:
			return CK_JSONB;
		default:
			return OidIsValid(get_element_type(t)) ? CK_ARRAY : CK_OTHER;
	}
}

/* How a JSON array element of this kind is written. */
static DocScalar
ScalarOfKind(CellKind kind)
{
	switch (kind)
	{
		case CK_INT:
		case CK_FLOAT:
		case CK_NUMERIC:
			return DOC_SCALAR_NUMBER;
		case CK_BOOL:
			return DOC_SCALAR_BOOL;
		default:
			return DOC_SCALAR_STRING;
	}
}

static void
AddCol(List **cols, char *header, CellKind kind, int attno, Oid typoid, char *profile_key)
{
	OutCol	   *c = palloc0(sizeof(OutCol));

	c->header = header;
	c->kind = kind;
	c->attno = attno;
	c->typoid = typoid;
	c->profile_key = profile_key;
	if (kind == CK_ARRAY)
	{
		Oid			outfn;
		bool		isvarlena;

		c->elemtype = get_element_type(typoid);
		get_typlenbyvalalign(c->elemtype, &c->elmlen, &c->elmbyval, &c->elmalign);
		getTypeOutputInfo(c->elemtype, &outfn, &isvarlena);
		fmgr_info(outfn, &c->out);
		c->elemscalar = ScalarOfKind(KindOfType(c->elemtype));
	}
	else if (kind == CK_OTHER)
	{
		Oid			outfn;
		bool		isvarlena;

		getTypeOutputInfo(typoid, &outfn, &isvarlena);
		fmgr_info(outfn, &c->out);
	}
	*cols = lappend(*cols, c);
}

/* The five sheet arguments as SPI parameters. */
typedef struct SheetArgs
{
	Oid			types[5];
	Datum		values[5];
	char		nulls[5];
} SheetArgs;

static void
SheetArgsInit(SheetArgs *a, ExportRequest *req)
{
	a->types[0] = TEXTOID;
	a->types[1] = TIMESTAMPTZOID;
	a->types[2] = TIMESTAMPTZOID;
	a->types[3] = JSONBOID;
	a->types[4] = TIMESTAMPTZOID;
	a->values[0] = CStringGetTextDatum(req->channel_id);
	a->values[1] = TimestampTzGetDatum(req->since);
	a->values[2] = TimestampTzGetDatum(req->until);
	a->values[3] = JsonbPGetDatum(req->filters);
	a->values[4] = TimestampTzGetDatum(req->as_of);
	memset(a->nulls, ' ', sizeof(a->nulls));
	if (!req->has_since)
		a->nulls[1] = 'n';
	if (!req->has_until)
		a->nulls[2] = 'n';
}

/* The profile.<key> columns of a sheet, in order. */
static List *
ProfileKeys(const SheetDef *def, SheetArgs *args)
{
	List	   *keys = NIL;
	int			rc;
	uint64		i;

	if (def->profile == PROFILE_CHAT)
	{
		keys = list_make2(pstrdup("csat"), pstrdup("csatComment"));
		rc = SPI_execute_with_args("SELECT f.key FROM csstats.chat_profile_fields f "
								   "WHERE f.channel_id OPERATOR(pg_catalog.=) $1 "
								   "AND f.key OPERATOR(pg_catalog.<>) ALL ('{csat,csatComment}'::pg_catalog.text[]) "
								   "ORDER BY f.position, f.key COLLATE \"C\"",
								   1, args->types, args->values, args->nulls, true, 0);
	}
	else
		rc = SPI_execute_with_args("SELECT k.key FROM csstats.user_sheet_profile_keys($1, $2, $3, $4, $5) k "
								   "ORDER BY k.position",
								   5, args->types, args->values, args->nulls, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not read the profile fields: %s", SPI_result_code_string(rc));
	for (i = 0; i < SPI_processed; i++)
	{
		char	   *k = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);

		if (k != NULL)
			keys = lappend(keys, k);
	}
	SPI_freetuptable(SPI_tuptable);
	return keys;
}

static List *
PlanColumns(const SheetDef *def, TupleDesc td, List *profile_keys)
{
	List	   *cols = NIL;
	int			i;

	for (i = 0; i < td->natts; i++)
	{
		Form_pg_attribute a = TupleDescAttr(td, i);
		const char *col = NameStr(a->attname);

		if (a->attisdropped)
			continue;
		if (def->profile != PROFILE_NONE && strcmp(col, "profile") == 0 &&
			a->atttypid == JSONBOID)
		{
			ListCell   *lc;

			foreach(lc, profile_keys)
			{
				char	   *k = (char *) lfirst(lc);

				AddCol(&cols, psprintf("profile.%s", k), CK_PROFILE, i, JSONBOID, k);
			}
			continue;
		}
		AddCol(&cols, ExportSheetHeader(def, col), KindOfType(a->atttypid), i, a->atttypid, NULL);
	}
	return cols;
}

/* ---------------------------------------------------------------------
 * The loop
 * ---------------------------------------------------------------------
 */

static void
SetProgress(const char *sheet, int64 rows)
{
	char		b[160];

	snprintf(b, sizeof(b), "csstats export: %s, " INT64_FORMAT " rows", sheet, rows);
	set_ps_display(b);
}

/* More cases than csstats.max_cases_per_export: an error naming both. */
static void
TooManyCases(int64 cases, int64 limit)
{
	if (cases > limit)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many cases to export: " INT64_FORMAT " cases, the limit is " INT64_FORMAT,
						cases, limit),
				 errhint("Narrow the range or the filters, or ask a superuser to raise csstats.max_cases_per_export.")));
}

/*
 * WriteSheet
 *		Read one sheet function through a cursor and write its rows.
 *		Returns the row count.  With limit > 0 (the cases export), more rows
 *		than the limit is an error naming the limit and the full count.
 */
static int64
WriteSheet(DocWriter *w, pg_tz *tz, const char *tmpdir, const SheetDef *def,
		   SheetArgs *args, int64 limit)
{
	MemoryContext batchcxt;
	MemoryContext oldcxt;
	List	   *profile_keys = NIL;
	List	   *cols;
	SPIPlanPtr	plan;
	Portal		portal;
	TupleDesc	td;
	char	   *sql;
	int64		rows = 0;
	int			ncols;
	OutCol	  **colv;
	Datum	   *values;
	bool	   *nulls;
	int			profile_att = -1;
	const char **names;
	ListCell   *lc;
	int			i;

	if (def->profile != PROFILE_NONE)
		profile_keys = ProfileKeys(def, args);
	sql = psprintf("SELECT * FROM csstats.%s($1, $2, $3, $4, $5)", def->func);
	plan = SPI_prepare(sql, 5, args->types);
	if (plan == NULL)
		elog(ERROR, "could not prepare \"%s\": %s", sql, SPI_result_code_string(SPI_result));
	portal = SPI_cursor_open(NULL, plan, args->values, args->nulls, true);
	td = portal->tupDesc;
	cols = PlanColumns(def, td, profile_keys);
	ncols = list_length(cols);
	colv = palloc(sizeof(OutCol *) * Max(ncols, 1));
	i = 0;
	foreach(lc, cols)
	{
		colv[i] = (OutCol *) lfirst(lc);
		if (colv[i]->kind == CK_PROFILE)
			profile_att = colv[i]->attno;
		i++;
	}
	values = palloc(sizeof(Datum) * td->natts);
	nulls = palloc(sizeof(bool) * td->natts);

	/* sheet start */
	names = palloc(sizeof(char *) * Max(ncols, 1));
	for (i = 0; i < ncols; i++)
		names[i] = colv[i]->header;
	w->ops->begin_sheet(w, def->name, names, ncols);
	SetProgress(def->name, 0);

	batchcxt = AllocSetContextCreate(CurrentMemoryContext, "csstats export batch",
									 ALLOCSET_DEFAULT_SIZES);
	for (;;)
	{
		uint64		n;

		SPI_cursor_fetch(portal, true, FETCH_BATCH);
		if (SPI_processed == 0)
			break;
		oldcxt = MemoryContextSwitchTo(batchcxt);
		for (n = 0; n < SPI_processed; n++)
		{
			Jsonb	   *profile = NULL;

			CHECK_FOR_INTERRUPTS();
			rows++;
			if (limit > 0 && rows > limit)
				continue;		/* over the limit: only count */
			heap_deform_tuple(SPI_tuptable->vals[n], td, values, nulls);
			if (profile_att >= 0 && !nulls[profile_att])
				profile = DatumGetJsonbP(values[profile_att]);
			w->ops->begin_row(w, rows);
			for (i = 0; i < ncols; i++)
				WriteCell(w, tz, colv[i], values[colv[i]->attno], nulls[colv[i]->attno],
						  profile);
			w->ops->end_row(w);
			if (csstats_progress_rows > 0 && rows % csstats_progress_rows == 0)
				ereport(NOTICE,
						(errmsg("csstats export: \"%s\": " INT64_FORMAT " rows written",
								def->name, rows)));
			if (rows % PS_EVERY == 0)
				SetProgress(def->name, rows);
		}
		MemoryContextSwitchTo(oldcxt);
		MemoryContextReset(batchcxt);
		SPI_freetuptable(SPI_tuptable);
		/* the plaintext on disk so far counts against temp_file_limit */
		ExportCheckTempLimit(tmpdir);
	}
	SPI_freetuptable(SPI_tuptable);
	SPI_cursor_close(portal);
	SPI_freeplan(plan);
	MemoryContextDelete(batchcxt);

	if (limit > 0)
		TooManyCases(rows, limit);

	w->ops->end_sheet(w, rows);
	SetProgress(def->name, rows);
	return rows;
}

/*
 * ExportWriteDocument
 *		Write the plaintext document of the request to path (XLSX with its
 *		temporary files in tmpdir, or JSON) and count the rows per sheet
 *		(with include_summary, "Summary" comes last: its daily and
 *		per-assignee table rows).
 */
void
ExportWriteDocument(ExportRequest *req, const char *path, const char *tmpdir,
					ExportCounts *counts)
{
	DocWriter  *w;
	const SheetDef *sheets;
	int			nsheets;
	SheetArgs	args;
	ExportSummary *summary = NULL;
	int			i;

	if (req->format == EXPORT_XLSX)
		w = DocWriterXlsxOpen(path, tmpdir);
	else
		w = DocWriterJsonOpen(path);

	sheets = ExportSheets(req->kind, &nsheets);
	SheetArgsInit(&args, req);
	/* the Summary's own pass comes first: it is the first sheet */
	if (req->include_summary)
	{
		set_ps_display("csstats export: summary");
		summary = ExportSummaryCompute(req, 5, args.types, args.values, args.nulls);
		/* the daily table counts every case: refuse an export over the limit now */
		if (req->kind == EXPORT_CASES && req->limit > 0)
		{
			int64		cases = 0;

			for (i = 0; i < summary->s.ndays; i++)
				cases += summary->s.days[i].created;
			TooManyCases(cases, req->limit);
		}
		w->ops->summary(w, &summary->s);
	}
	counts->nsheets = 0;
	for (i = 0; i < nsheets; i++)
	{
		if (sheets[i].messages_only && !req->include_messages)
			continue;
		counts->names[counts->nsheets] = sheets[i].name;
		counts->rows[counts->nsheets] =
			WriteSheet(w, req->tz, tmpdir, &sheets[i], &args,
					   req->kind == EXPORT_CASES ? req->limit : 0);
		counts->nsheets++;
	}
	if (summary != NULL)
	{
		w->ops->summary_counts(w, counts->names, counts->rows, counts->nsheets);
		/* the audit row says the file had a Summary: its table rows (room: export_catalog.c) */
		counts->names[counts->nsheets] = "Summary";
		counts->rows[counts->nsheets] = summary->s.ndays + summary->s.nassignees;
		counts->nsheets++;
	}
	w->ops->finish(w);
}
