/*-------------------------------------------------------------------------
 *
 * export_sheets.c
 *	  The sheet catalog of the exports and the one-pass loop that reads each
 *	  sheet function through an SPI cursor and writes its rows, as they
 *	  come, into the plaintext XLSX (src/core/xlsxout) or JSON document.
 *
 *	  The catalog below is the one place that says which sheets an export
 *	  has, in which order, which SQL function feeds each one, and how a
 *	  snake_case column becomes its seed header: camelCase
 *	  (first_replied_at_after_open -> firstRepliedAtAfterOpen), PascalCase on
 *	  the Message data sheet (chat_id -> ChatId, as seed 001 spells it), and
 *	  the profile jsonb column expanded into profile.<key> columns:
 *	  profile.csat, profile.csatComment, then chat_profile_fields by
 *	  position on the UserChat and UserChatCase sheets; the keys of
 *	  csstats.user_sheet_profile_keys on the User data sheet.  Both writers
 *	  use the same column plan, so XLSX headers and JSON keys agree.
 *
 *	  The cell kind follows the column's type: text, integer, number
 *	  (double precision: metric durations are seconds), boolean, timestamp
 *	  (shown in the channel's time zone: an Excel date-time with a visible
 *	  format, or ISO 8601 with the channel's offset in JSON), arrays
 *	  (comma-separated text in XLSX, JSON arrays in JSON), jsonb.
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

#include <dirent.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "utils/wait_event.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/float.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/ps_status.h"
#include "utils/timestamp.h"

#include "xlsxout.h"

#include "export.h"

#define FETCH_BATCH 1000
#define PS_EVERY	10000

typedef enum ProfileKind
{
	PROFILE_NONE,
	PROFILE_CHAT,				/* csat, csatComment, chat_profile_fields */
	PROFILE_USER				/* csstats.user_sheet_profile_keys */
} ProfileKind;

typedef struct SheetDef
{
	const char *name;			/* sheet name (seed spelling) */
	const char *func;			/* csstats.<func>(channel_id, since, until, filters, as_of) */
	bool		messages_only;	/* only with include_messages */
	bool		pascal;			/* PascalCase headers (Message data) */
	ProfileKind profile;
} SheetDef;

/* Chats export: the sheet order of export.md. */
static const SheetDef chat_sheets[] = {
	{"UserChat data", "user_chat_sheet", false, false, PROFILE_CHAT},
	{"User data", "user_sheet", false, false, PROFILE_USER},
	{"Workflow data", "workflow_sheet", false, false, PROFILE_NONE},
	{"SupportBot data", "support_bot_sheet", false, false, PROFILE_NONE},
	{"Marketing data", "marketing_sheet", false, false, PROFILE_NONE},
	{"Manager data", "manager_sheet", false, false, PROFILE_NONE},
	{"Team data", "team_sheet", false, false, PROFILE_NONE},
	{"Bot data", "bot_sheet", false, false, PROFILE_NONE},
	{"UserChatTag data", "user_chat_tag_sheet", false, false, PROFILE_NONE},
	{"Message data", "message_sheet", true, true, PROFILE_NONE},
	{"UserChat meet data", "user_chat_meet_sheet", false, false, PROFILE_NONE},
};

/* Cases export. */
static const SheetDef case_sheets[] = {
	{"UserChatCase data", "user_chat_case_sheet", false, false, PROFILE_CHAT},
};

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
	char	   *json_key;		/* "header": escaped, ready to write */
	CellKind	kind;
	int			attno;			/* 0-based source attribute */
	char	   *profile_key;	/* CK_PROFILE */
	Oid			typoid;
	FmgrInfo	out;			/* CK_OTHER: type output; CK_ARRAY: element output */
	CellKind	elemkind;		/* CK_ARRAY */
	Oid			elemtype;
	int16		elmlen;
	bool		elmbyval;
	char		elmalign;
} OutCol;

/* The document being written. */
typedef struct DocWriter
{
	ExportFormat format;
	cs_xlsx    *x;
	FILE	   *json;
	bool		first_sheet;
	bool		first_cell;
	pg_tz	   *tz;
	StringInfoData buf;			/* scratch */
	MemoryContextCallback cb;

	struct CloseJob *close_job; /* the workbook close in its thread */
	const char *tmpdir;
} DocWriter;

/*
 * The workbook close running in a helper thread (see CloseWorkbook).  malloc'd
 * and shared with the thread; state decides who cleans up.
 */
#define CLOSE_RUNNING	0
#define CLOSE_DONE		1
#define CLOSE_ABANDONED 2
#define CLOSE_CLEANED	3		/* abandoned, then cleaned up by the thread */
typedef struct CloseJob
{
	cs_xlsx    *x;
	char		tmpdir[MAXPGPATH];
	int			state;			/* atomic: CLOSE_* */
	cs_status	rc;
	cs_err		err;
	pthread_t	thread;
} CloseJob;

/* ---------------------------------------------------------------------
 * Headers
 * ---------------------------------------------------------------------
 */
static const SheetDef *
FindSheet(const char *sheet)
{
	int			i;

	for (i = 0; i < lengthof(chat_sheets); i++)
		if (strcmp(chat_sheets[i].name, sheet) == 0)
			return &chat_sheets[i];
	for (i = 0; i < lengthof(case_sheets); i++)
		if (strcmp(case_sheets[i].name, sheet) == 0)
			return &case_sheets[i];
	return NULL;
}

static char *
HeaderFor(const SheetDef *def, const char *column)
{
	StringInfoData s;
	bool		upper = def != NULL && def->pascal;
	const char *p;

	initStringInfo(&s);
	for (p = column; *p; p++)
	{
		if (*p == '_')
		{
			upper = true;
			continue;
		}
		appendStringInfoChar(&s, upper ? pg_ascii_toupper((unsigned char) *p) : *p);
		upper = false;
	}
	return s.data;
}

/*
 * ExportHeaderName
 *		The seed header of a sheet column (the snake_case -> seed mapping).
 */
char *
ExportHeaderName(const char *sheet, const char *column)
{
	return HeaderFor(FindSheet(sheet), column);
}

/* ---------------------------------------------------------------------
 * Errors and interrupts
 * ---------------------------------------------------------------------
 */
int
ExportCheckInterrupts(void *arg)
{
	/* the core allows a longjmp out of this callback */
	CHECK_FOR_INTERRUPTS();
	return 0;
}

void
ExportCoreError(const char *what, const cs_err *err)
{
	int			code;

	switch (err->code)
	{
		case CS_ERR_NOMEM:
			code = ERRCODE_OUT_OF_MEMORY;
			break;
		case CS_ERR_IO:
			/* a full disk is an operator's problem with its own SQLSTATE */
			code = (err->sys_errno == ENOSPC || err->sys_errno == EDQUOT) ?
				ERRCODE_DISK_FULL : ERRCODE_IO_ERROR;
			break;
		case CS_ERR_CANCELED:
			CHECK_FOR_INTERRUPTS();
			code = ERRCODE_QUERY_CANCELED;
			break;
		case CS_ERR_LIMIT:
			code = ERRCODE_PROGRAM_LIMIT_EXCEEDED;
			break;
		case CS_ERR_BADARG:
			code = ERRCODE_INVALID_PARAMETER_VALUE;
			break;
		case CS_ERR_OPENSSL:
		case CS_ERR_XLSX:
		case CS_ERR_ZIP:
			code = ERRCODE_EXTERNAL_ROUTINE_EXCEPTION;
			break;
		default:
			code = ERRCODE_INTERNAL_ERROR;
			break;
	}
	ereport(ERROR,
			(errcode(code),
			 errmsg("%s: %s", what, err->msg[0] ? err->msg : cs_status_name(err->code))));
}

/* ---------------------------------------------------------------------
 * JSON output helpers
 * ---------------------------------------------------------------------
 */
static void
JsonPut(DocWriter *w, const char *s, size_t len)
{
	if (len > 0 && fwrite(s, 1, len, w->json) != len)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not write the JSON document: %m")));
}

static void
JsonPuts(DocWriter *w, const char *s)
{
	JsonPut(w, s, strlen(s));
}

/* A JSON string literal of (s, len), UTF-8 in the server encoding. */
static void
JsonString(DocWriter *w, const char *s, size_t len)
{
	const char *u = pg_server_to_any(s, len, PG_UTF8);
	const char *start;
	const char *p;
	const char *end;

	if (u != s)
		len = strlen(u);
	end = u + len;
	JsonPut(w, "\"", 1);
	start = u;
	for (p = u; p < end; p++)
	{
		unsigned char c = (unsigned char) *p;
		char		esc[8];

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		JsonPut(w, start, p - start);
		switch (c)
		{
			case '"':
				JsonPut(w, "\\\"", 2);
				break;
			case '\\':
				JsonPut(w, "\\\\", 2);
				break;
			case '\n':
				JsonPut(w, "\\n", 2);
				break;
			case '\r':
				JsonPut(w, "\\r", 2);
				break;
			case '\t':
				JsonPut(w, "\\t", 2);
				break;
			default:
				snprintf(esc, sizeof(esc), "\\u%04x", c);
				JsonPut(w, esc, 6);
				break;
		}
		start = p + 1;
	}
	JsonPut(w, start, end - start);
	JsonPut(w, "\"", 1);
}

/* ---------------------------------------------------------------------
 * Cells
 * ---------------------------------------------------------------------
 */
static void
XlsxCheck(cs_status rc, const cs_err *err)
{
	if (rc != CS_OK)
		ExportCoreError("could not write the workbook", err);
}

static void
CellBegin(DocWriter *w, OutCol *c)
{
	if (w->format == EXPORT_JSON)
	{
		if (!w->first_cell)
			JsonPut(w, ",", 1);
		w->first_cell = false;
		JsonPuts(w, c->json_key);
	}
}

static void
CellNull(DocWriter *w, OutCol *c)
{
	cs_err		err;

	CellBegin(w, c);
	if (w->format == EXPORT_JSON)
		JsonPut(w, "null", 4);
	else
		XlsxCheck(cs_xlsx_blank(w->x, &err), &err);
}

static void
CellText(DocWriter *w, OutCol *c, const char *s, size_t len)
{
	cs_err		err;

	CellBegin(w, c);
	if (w->format == EXPORT_JSON)
		JsonString(w, s, len);
	else
	{
		const char *u = pg_server_to_any(s, len, PG_UTF8);

		if (u != s)
			len = strlen(u);
		XlsxCheck(cs_xlsx_string(w->x, u, len, &err), &err);
	}
}

static void
CellInt(DocWriter *w, OutCol *c, int64 v)
{
	cs_err		err;

	CellBegin(w, c);
	if (w->format == EXPORT_JSON)
	{
		char		b[32];

		snprintf(b, sizeof(b), INT64_FORMAT, v);
		JsonPuts(w, b);
	}
	else
		XlsxCheck(cs_xlsx_integer(w->x, v, &err), &err);
}

static void
CellFloat(DocWriter *w, OutCol *c, double v)
{
	cs_err		err;

	CellBegin(w, c);
	if (w->format == EXPORT_JSON)
	{
		char	   *s = float8out_internal(v);

		/* JSON has no NaN or Infinity: those become strings */
		if (isnan(v) || isinf(v))
			JsonString(w, s, strlen(s));
		else
			JsonPuts(w, s);
	}
	else
		XlsxCheck(cs_xlsx_number(w->x, v, &err), &err);
}

/* A numeric given as its text (NaN/Infinity possible for SQL numeric). */
static void
CellNumericText(DocWriter *w, OutCol *c, const char *s)
{
	cs_err		err;

	CellBegin(w, c);
	if (w->format == EXPORT_JSON)
	{
		if (strchr(s, 'N') != NULL || strchr(s, 'I') != NULL)
			JsonString(w, s, strlen(s));
		else
			JsonPuts(w, s);
	}
	else
		XlsxCheck(cs_xlsx_number(w->x, strtod(s, NULL), &err), &err);
}

static void
CellBool(DocWriter *w, OutCol *c, bool v)
{
	cs_err		err;

	CellBegin(w, c);
	if (w->format == EXPORT_JSON)
		JsonPuts(w, v ? "true" : "false");
	else
		XlsxCheck(cs_xlsx_boolean(w->x, v, &err), &err);
}

/*
 * A timestamptz in the channel's zone: XLSX local date-time, JSON
 * ISO 8601 with the offset in effect at that instant.
 */
static void
CellTimestampTz(DocWriter *w, OutCol *c, TimestampTz t)
{
	struct pg_tm tm;
	fsec_t		fsec;
	int			tzoff;
	cs_err		err;

	if (TIMESTAMP_NOT_FINITE(t) ||
		timestamp2tm(t, &tzoff, &tm, &fsec, NULL, w->tz) != 0 || tm.tm_year <= 0)
	{
		char	   *s = DatumGetCString(DirectFunctionCall1(timestamptz_out,
															TimestampTzGetDatum(t)));

		CellText(w, c, s, strlen(s));
		return;
	}
	CellBegin(w, c);
	if (w->format == EXPORT_JSON)
	{
		char		b[64];
		int			n;
		int			off = -tzoff;	/* seconds east of UTC */
		int			aoff = abs(off);

		n = snprintf(b, sizeof(b), "\"%04d-%02d-%02dT%02d:%02d:%02d",
					 tm.tm_year, tm.tm_mon, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
		if (fsec != 0)
			n += snprintf(b + n, sizeof(b) - n, ".%06d", (int) fsec);
		n += snprintf(b + n, sizeof(b) - n, "%c%02d:%02d", off < 0 ? '-' : '+',
					  aoff / 3600, (aoff / 60) % 60);
		if (aoff % 60 != 0)
			n += snprintf(b + n, sizeof(b) - n, ":%02d", aoff % 60);
		snprintf(b + n, sizeof(b) - n, "\"");
		JsonPuts(w, b);
	}
	else
		XlsxCheck(cs_xlsx_datetime_local(w->x, t - (int64) tzoff * USECS_PER_SEC, &err),
				  &err);
}

/* A wall-clock timestamp (no zone): written as is. */
static void
CellTimestampLocal(DocWriter *w, OutCol *c, Timestamp t)
{
	cs_err		err;

	if (TIMESTAMP_NOT_FINITE(t) || w->format == EXPORT_JSON)
	{
		char	   *s = DatumGetCString(DirectFunctionCall1(timestamp_out,
															TimestampGetDatum(t)));

		if (w->format == EXPORT_JSON && !TIMESTAMP_NOT_FINITE(t))
		{
			struct pg_tm tm;
			fsec_t		fsec;

			if (timestamp2tm(t, NULL, &tm, &fsec, NULL, NULL) == 0 && tm.tm_year > 0)
			{
				char		b[48];
				int			n;

				n = snprintf(b, sizeof(b), "%04d-%02d-%02dT%02d:%02d:%02d",
							 tm.tm_year, tm.tm_mon, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
				if (fsec != 0)
					snprintf(b + n, sizeof(b) - n, ".%06d", (int) fsec);
				s = pstrdup(b);
			}
		}
		CellText(w, c, s, strlen(s));
		return;
	}
	CellBegin(w, c);
	XlsxCheck(cs_xlsx_datetime_local(w->x, t, &err), &err);
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

/* Append one array element / scalar as JSON to w->json (no key). */
static void
JsonScalar(DocWriter *w, CellKind kind, const char *text)
{
	switch (kind)
	{
		case CK_INT:
		case CK_FLOAT:
		case CK_NUMERIC:
			if (strchr(text, 'N') != NULL || strchr(text, 'I') != NULL)
				JsonString(w, text, strlen(text));
			else
				JsonPuts(w, text);
			break;
		case CK_BOOL:
			JsonPuts(w, text[0] == 't' ? "true" : "false");
			break;
		default:
			JsonString(w, text, strlen(text));
			break;
	}
}

static void
CellArray(DocWriter *w, OutCol *c, Datum d)
{
	ArrayType  *arr = DatumGetArrayTypeP(d);
	Datum	   *items;
	bool	   *nulls;
	int			n,
				i;

	deconstruct_array(arr, c->elemtype, c->elmlen, c->elmbyval, c->elmalign,
					  &items, &nulls, &n);
	if (w->format == EXPORT_JSON)
	{
		CellBegin(w, c);
		JsonPut(w, "[", 1);
		for (i = 0; i < n; i++)
		{
			if (i > 0)
				JsonPut(w, ",", 1);
			if (nulls[i])
				JsonPut(w, "null", 4);
			else
				JsonScalar(w, c->elemkind, OutputFunctionCall(&c->out, items[i]));
		}
		JsonPut(w, "]", 1);
		return;
	}
	/* XLSX: comma-separated, a NULL element as an empty item */
	resetStringInfo(&w->buf);
	for (i = 0; i < n; i++)
	{
		if (i > 0)
			appendStringInfoChar(&w->buf, ',');
		if (!nulls[i])
			appendStringInfoString(&w->buf, OutputFunctionCall(&c->out, items[i]));
	}
	CellText(w, c, w->buf.data, w->buf.len);
}

/* A JSON value: XLSX by its scalar type, JSON embedded as is. */
static void
CellJsonbValue(DocWriter *w, OutCol *c, JsonbValue *v)
{
	switch (v->type)
	{
		case jbvNull:
			CellNull(w, c);
			break;
		case jbvString:
			CellText(w, c, v->val.string.val, v->val.string.len);
			break;
		case jbvBool:
			CellBool(w, c, v->val.boolean);
			break;
		case jbvNumeric:
			CellNumericText(w, c,
							DatumGetCString(DirectFunctionCall1(numeric_out,
																NumericGetDatum(v->val.numeric))));
			break;
		default:
			{
				/* an object or array value */
				Jsonb	   *jb = JsonbValueToJsonb(v);
				char	   *s = JsonbToCString(NULL, &jb->root, VARSIZE(jb));

				if (w->format == EXPORT_JSON)
				{
					CellBegin(w, c);
					JsonPuts(w, s);
				}
				else
					CellText(w, c, s, strlen(s));
			}
			break;
	}
}

static void
CellJsonb(DocWriter *w, OutCol *c, Jsonb *jb)
{
	char	   *s = JsonbToCString(NULL, &jb->root, VARSIZE(jb));

	if (w->format == EXPORT_JSON)
	{
		CellBegin(w, c);
		JsonPuts(w, s);
	}
	else
		CellText(w, c, s, strlen(s));
}

static void
WriteCell(DocWriter *w, OutCol *c, Datum d, bool isnull, Jsonb *profile)
{
	if (c->kind == CK_PROFILE)
	{
		JsonbValue	vbuf;
		JsonbValue *v = NULL;

		if (profile != NULL && JB_ROOT_IS_OBJECT(profile))
			v = getKeyJsonValueFromContainer(&profile->root, c->profile_key,
											 strlen(c->profile_key), &vbuf);
		if (v == NULL)
			CellNull(w, c);
		else
			CellJsonbValue(w, c, v);
		return;
	}
	if (isnull)
	{
		CellNull(w, c);
		return;
	}
	switch (c->kind)
	{
		case CK_TEXT:
			{
				text	   *t = DatumGetTextPP(d);

				CellText(w, c, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
			}
			break;
		case CK_INT:
			if (c->typoid == INT2OID)
				CellInt(w, c, DatumGetInt16(d));
			else if (c->typoid == INT4OID)
				CellInt(w, c, DatumGetInt32(d));
			else
				CellInt(w, c, DatumGetInt64(d));
			break;
		case CK_FLOAT:
			CellFloat(w, c, c->typoid == FLOAT4OID ? DatumGetFloat4(d) : DatumGetFloat8(d));
			break;
		case CK_NUMERIC:
			CellNumericText(w, c, DatumGetCString(DirectFunctionCall1(numeric_out, d)));
			break;
		case CK_BOOL:
			CellBool(w, c, DatumGetBool(d));
			break;
		case CK_TSTZ:
			CellTimestampTz(w, c, DatumGetTimestampTz(d));
			break;
		case CK_TS:
			CellTimestampLocal(w, c, DatumGetTimestamp(d));
			break;
		case CK_DATE:
			{
				DateADT		dt = DatumGetDateADT(d);

				if (DATE_NOT_FINITE(dt))
					CellText(w, c, dt == DATEVAL_NOBEGIN ? "-infinity" : "infinity",
							 dt == DATEVAL_NOBEGIN ? 9 : 8);
				else
					CellTimestampLocal(w, c, (Timestamp) dt * USECS_PER_DAY);
			}
			break;
		case CK_INTERVAL:
			CellFloat(w, c, IntervalSeconds(DatumGetIntervalP(d)));
			break;
		case CK_ARRAY:
			CellArray(w, c, d);
			break;
		case CK_JSONB:
			CellJsonb(w, c, DatumGetJsonbP(d));
			break;
		default:
			{
				char	   *s = OutputFunctionCall(&c->out, d);

				CellText(w, c, s, strlen(s));
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

static char *
JsonKey(const char *header)
{
	StringInfoData s;

	initStringInfo(&s);
	escape_json(&s, header);
	appendStringInfoChar(&s, ':');
	return s.data;
}

static void
AddCol(List **cols, char *header, CellKind kind, int attno, Oid typoid, char *profile_key)
{
	OutCol	   *c = palloc0(sizeof(OutCol));

	c->header = header;
	c->json_key = JsonKey(header);
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
		c->elemkind = KindOfType(c->elemtype);
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
		AddCol(&cols, HeaderFor(def, col), KindOfType(a->atttypid), i, a->atttypid, NULL);
	}
	return cols;
}

/* ---------------------------------------------------------------------
 * The document
 * ---------------------------------------------------------------------
 */
static void KeepAbandoned(struct CloseJob *j);
static void ReapAbandoned(bool wait);
static void RegisterCloseExitHook(void);

static void
DocWriterCallback(void *arg)
{
	DocWriter  *w = (DocWriter *) arg;

	/*
	 * Error or cancel.  A close still running in its thread is abandoned to
	 * it: the thread then frees the workbook and removes the private
	 * directory itself when it is done, so the error reaches the client at
	 * once instead of after the close.
	 */
	if (w->close_job != NULL)
	{
		CloseJob   *j = w->close_job;
		int			expected = CLOSE_RUNNING;

		w->close_job = NULL;
		if (__atomic_compare_exchange_n(&j->state, &expected, CLOSE_ABANDONED, false,
										__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		{
			KeepAbandoned(j);
			ExportTempDirDisown(w->tmpdir);
			w->x = NULL;
			return;
		}
		pthread_join(j->thread, NULL);
		free(j);
	}
	if (w->x != NULL)
		cs_xlsx_free(w->x);
	w->x = NULL;
}

static void *
CloseThreadMain(void *arg)
{
	CloseJob   *j = (CloseJob *) arg;
	int			expected = CLOSE_RUNNING;

	/*
	 * Pure C only in this thread: no palloc, no elog/ereport, and nothing
	 * with static state such as PostgreSQL's strerror (pg_strerror) or %m.
	 * cs_xlsx_close formats errno with strerror_r into j->err, reported by
	 * the backend after the join; ExportRemoveFlatDir(dir, false) does not
	 * log (its snprintf is src/port's, reentrant).
	 */
	j->rc = cs_xlsx_close(j->x, &j->err);
	if (!__atomic_compare_exchange_n(&j->state, &expected, CLOSE_DONE, false,
									 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
	{
		/* the export was cancelled meanwhile: clean up alone */
		cs_xlsx_free(j->x);
		j->x = NULL;
		ExportRemoveFlatDir(j->tmpdir, false);
		__atomic_store_n(&j->state, CLOSE_CLEANED, __ATOMIC_RELEASE);
	}
	return NULL;
}

/*
 * Abandoned closes are joined later: when they are done (at the next
 * export), or at backend exit, which waits for them so their private
 * directories are removed even when the client disconnects right after the
 * cancel.
 */
#define MAX_ABANDONED 16
static CloseJob *abandoned[MAX_ABANDONED];
static int	n_abandoned = 0;
static bool abandoned_hook = false;

static void
ReapAbandoned(bool wait)
{
	int			i = 0;

	while (i < n_abandoned)
	{
		CloseJob   *j = abandoned[i];

		if (wait || __atomic_load_n(&j->state, __ATOMIC_ACQUIRE) == CLOSE_CLEANED)
		{
			pthread_join(j->thread, NULL);
			free(j);
			abandoned[i] = abandoned[--n_abandoned];
			continue;
		}
		i++;
	}
}

/* the close this backend is waiting for, if any */
static CloseJob *running_job = NULL;

static void
ReapAbandonedAtExit(int code, Datum arg)
{
	/* exiting (pg_terminate_backend) while a close runs: let it clean up */
	if (running_job != NULL)
	{
		int			expected = CLOSE_RUNNING;
		CloseJob   *j = running_job;

		running_job = NULL;
		if (__atomic_compare_exchange_n(&j->state, &expected, CLOSE_ABANDONED, false,
										__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			ExportTempDirDisown(j->tmpdir);
		pthread_join(j->thread, NULL);
	}
	ReapAbandoned(true);
}

static void
RegisterCloseExitHook(void)
{
	if (!abandoned_hook)
	{
		on_proc_exit(ReapAbandonedAtExit, (Datum) 0);
		abandoned_hook = true;
	}
}

static void
KeepAbandoned(CloseJob *j)
{
	running_job = NULL;
	ReapAbandoned(false);
	if (n_abandoned < MAX_ABANDONED)
		abandoned[n_abandoned++] = j;
	else
		pthread_detach(j->thread);	/* can't happen in practice; leaks j */
}

/*
 * CloseWorkbook
 *		cs_xlsx_close packs the worksheets into the .xlsx zip, one
 *		uninterruptible libxlsxwriter call that takes seconds for a large
 *		workbook (1.6 s for 10,000 chats with their messages).  It runs in a
 *		helper thread with every signal blocked, while this backend waits on
 *		its latch and keeps answering interrupts, so pg_cancel_backend is
 *		honoured at once (see DocWriterCallback for the cleanup).  Without a
 *		thread (pthread_create failing) the close runs inline.
 */
static void
CloseWorkbook(DocWriter *w)
{
	CloseJob   *j = calloc(1, sizeof(CloseJob));
	sigset_t	all,
				old;
	cs_err		err;
	int			rc;

	ReapAbandoned(false);
	RegisterCloseExitHook();
	if (j == NULL)
	{
		XlsxCheck(cs_xlsx_close(w->x, &err), &err);
		return;
	}
	j->x = w->x;
	strlcpy(j->tmpdir, w->tmpdir, sizeof(j->tmpdir));
	j->state = CLOSE_RUNNING;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&j->thread, NULL, CloseThreadMain, j);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
	{
		free(j);
		XlsxCheck(cs_xlsx_close(w->x, &err), &err);
		return;
	}
	w->close_job = j;
	running_job = j;
	while (__atomic_load_n(&j->state, __ATOMIC_ACQUIRE) == CLOSE_RUNNING)
	{
		CHECK_FOR_INTERRUPTS();
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 20,
						 PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
	pthread_join(j->thread, NULL);
	w->close_job = NULL;
	running_job = NULL;
	err = j->err;
	rc = j->rc;
	free(j);
	XlsxCheck((cs_status) rc, &err);
}

static void
SetProgress(const char *sheet, int64 rows)
{
	char		b[160];

	snprintf(b, sizeof(b), "csstats export: %s, " INT64_FORMAT " rows", sheet, rows);
	set_ps_display(b);
}

/*
 * WriteSheet
 *		Read one sheet function through a cursor and write its rows.
 *		Returns the row count.  With limit > 0 (the cases export), more rows
 *		than the limit is an error naming the limit and the full count.
 */
static int64
WriteSheet(DocWriter *w, const SheetDef *def, SheetArgs *args, int64 limit)
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
	cs_err		err;
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
	if (w->format == EXPORT_XLSX)
	{
		const char **names = palloc(sizeof(char *) * Max(ncols, 1));

		for (i = 0; i < ncols; i++)
			names[i] = colv[i]->header;
		XlsxCheck(cs_xlsx_add_sheet(w->x, def->name, &err), &err);
		XlsxCheck(cs_xlsx_header(w->x, names, ncols, &err), &err);
	}
	else
	{
		if (!w->first_sheet)
			JsonPut(w, ",\n", 2);
		w->first_sheet = false;
		JsonString(w, def->name, strlen(def->name));
		JsonPut(w, ":[", 2);
	}
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
			if (w->format == EXPORT_XLSX)
				XlsxCheck(cs_xlsx_row(w->x, &err), &err);
			else
			{
				JsonPuts(w, rows == 1 ? "\n{" : ",\n{");
				w->first_cell = true;
			}
			for (i = 0; i < ncols; i++)
				WriteCell(w, colv[i], values[colv[i]->attno], nulls[colv[i]->attno], profile);
			if (w->format == EXPORT_JSON)
				JsonPut(w, "}", 1);
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
		ExportCheckTempLimit(w->tmpdir);
	}
	SPI_freetuptable(SPI_tuptable);
	SPI_cursor_close(portal);
	SPI_freeplan(plan);
	MemoryContextDelete(batchcxt);

	if (limit > 0 && rows > limit)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many cases to export: " INT64_FORMAT " cases, the limit is " INT64_FORMAT,
						rows, limit),
				 errhint("Narrow the range or the filters, or ask a superuser to raise csstats.max_cases_per_export.")));

	if (w->format == EXPORT_JSON)
		JsonPuts(w, rows > 0 ? "\n]" : "]");
	SetProgress(def->name, rows);
	return rows;
}

/*
 * ExportWriteDocument
 *		Write the plaintext document of the request to path (XLSX with its
 *		temporary files in tmpdir, or JSON) and count the rows per sheet.
 */
void
ExportWriteDocument(ExportRequest *req, const char *path, const char *tmpdir,
					ExportCounts *counts)
{
	DocWriter  *w = palloc0(sizeof(DocWriter));
	const SheetDef *sheets;
	int			nsheets;
	SheetArgs	args;
	cs_err		err;
	int			i;

	w->format = req->format;
	w->tz = req->tz;
	w->first_sheet = true;
	initStringInfo(&w->buf);
	w->tmpdir = tmpdir;
	w->cb.func = DocWriterCallback;
	w->cb.arg = w;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, &w->cb);
	cs_err_clear(&err);

	if (req->format == EXPORT_XLSX)
	{
		cs_xlsx_opts opts;

		memset(&opts, 0, sizeof(opts));
		opts.tmpdir = tmpdir;
		w->x = cs_xlsx_open(path, &opts, &err);
		if (w->x == NULL)
			ExportCoreError("could not start the workbook", &err);
	}
	else
	{
		w->json = AllocateFile(path, PG_BINARY_W);
		if (w->json == NULL)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not create file \"%s\": %m", path)));
		setvbuf(w->json, NULL, _IOFBF, 1024 * 1024);
		JsonPut(w, "{", 1);
	}

	if (req->kind == EXPORT_CHATS)
	{
		sheets = chat_sheets;
		nsheets = lengthof(chat_sheets);
	}
	else
	{
		sheets = case_sheets;
		nsheets = lengthof(case_sheets);
	}
	SheetArgsInit(&args, req);
	counts->nsheets = 0;
	for (i = 0; i < nsheets; i++)
	{
		if (sheets[i].messages_only && !req->include_messages)
			continue;
		counts->names[counts->nsheets] = sheets[i].name;
		counts->rows[counts->nsheets] =
			WriteSheet(w, &sheets[i], &args, req->kind == EXPORT_CASES ? req->limit : 0);
		counts->nsheets++;
	}

	if (req->format == EXPORT_XLSX)
	{
		TimestampTz t0 = GetCurrentTimestamp();

		set_ps_display("csstats export: writing the workbook");
		CloseWorkbook(w);
		ereport(DEBUG2, (errmsg("csstats export: workbook closed in %.3f s",
								(GetCurrentTimestamp() - t0) / 1000000.0)));
		cs_xlsx_free(w->x);
		w->x = NULL;
	}
	else
	{
		JsonPut(w, "}\n", 2);
		if (FreeFile(w->json) != 0)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not write the JSON document: %m")));
		w->json = NULL;
	}
}
