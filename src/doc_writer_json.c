/*-------------------------------------------------------------------------
 *
 * doc_writer_json.c
 *	  The JSON implementation of the document writer (doc_writer.h): one
 *	  UTF-8 JSON object, each sheet name mapped to an array of row objects
 *	  keyed by the sheet's headers.
 *
 *	  Numbers are JSON numbers except NaN and Infinity, which JSON cannot
 *	  carry (they become strings); timestamps are ISO 8601 with the
 *	  channel's offset in effect at that instant; arrays are JSON arrays;
 *	  jsonb objects and arrays are embedded as they are.  The file is
 *	  written through a 1 MB stdio buffer.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "storage/fd.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/json.h"
#include "utils/timestamp.h"

#include "doc_writer.h"

typedef struct JsonWriter
{
	DocWriter	base;
	FILE	   *f;
	bool		first_sheet;
	char	  **keys;			/* the sheet's "header": keys, escaped */
	int			col;			/* the next cell's column */
	const cs_summary *summary;	/* include_summary: written last */
} JsonWriter;

static void
Put(JsonWriter *w, const char *s, size_t len)
{
	if (len > 0 && fwrite(s, 1, len, w->f) != len)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not write the JSON document: %m")));
}

static void
Puts(JsonWriter *w, const char *s)
{
	Put(w, s, strlen(s));
}

/* A JSON string literal of UTF-8 text (u, len). */
static void
StringUtf8(JsonWriter *w, const char *u, size_t len)
{
	const char *start;
	const char *p;
	const char *end;

	end = u + len;
	Put(w, "\"", 1);
	start = u;
	for (p = u; p < end; p++)
	{
		unsigned char c = (unsigned char) *p;
		char		esc[8];

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		Put(w, start, p - start);
		switch (c)
		{
			case '"':
				Put(w, "\\\"", 2);
				break;
			case '\\':
				Put(w, "\\\\", 2);
				break;
			case '\n':
				Put(w, "\\n", 2);
				break;
			case '\r':
				Put(w, "\\r", 2);
				break;
			case '\t':
				Put(w, "\\t", 2);
				break;
			default:
				snprintf(esc, sizeof(esc), "\\u%04x", c);
				Put(w, esc, 6);
				break;
		}
		start = p + 1;
	}
	Put(w, start, end - start);
	Put(w, "\"", 1);
}

/* A JSON string literal of (s, len), UTF-8 in the server encoding. */
static void
String(JsonWriter *w, const char *s, size_t len)
{
	const char *u = pg_server_to_any(s, len, PG_UTF8);

	StringUtf8(w, u, u != s ? strlen(u) : len);
}

/* A number's text: a JSON number, or a string for NaN and Infinity. */
static void
NumberText(JsonWriter *w, const char *s)
{
	if (strchr(s, 'N') != NULL || strchr(s, 'I') != NULL)
		String(w, s, strlen(s));
	else
		Puts(w, s);
}

/* The key of the next cell. */
static void
Key(JsonWriter *w)
{
	if (w->col > 0)
		Put(w, ",", 1);
	Puts(w, w->keys[w->col]);
	w->col++;
}

static void
JsonBeginSheet(DocWriter *dw, const char *name, const char *const *headers, int ncols)
{
	JsonWriter *w = (JsonWriter *) dw;
	int			i;

	w->keys = palloc(sizeof(char *) * Max(ncols, 1));
	for (i = 0; i < ncols; i++)
	{
		StringInfoData s;

		initStringInfo(&s);
		escape_json(&s, headers[i]);
		appendStringInfoChar(&s, ':');
		w->keys[i] = s.data;
	}
	if (!w->first_sheet)
		Put(w, ",\n", 2);
	w->first_sheet = false;
	String(w, name, strlen(name));
	Put(w, ":[", 2);
}

static void
JsonBeginRow(DocWriter *dw, int64 rowno)
{
	JsonWriter *w = (JsonWriter *) dw;

	Puts(w, rowno == 1 ? "\n{" : ",\n{");
	w->col = 0;
}

static void
JsonEndRow(DocWriter *dw)
{
	Put((JsonWriter *) dw, "}", 1);
}

static void
JsonEndSheet(DocWriter *dw, int64 rows)
{
	Puts((JsonWriter *) dw, rows > 0 ? "\n]" : "]");
}

static void
JsonNull(DocWriter *dw)
{
	JsonWriter *w = (JsonWriter *) dw;

	Key(w);
	Put(w, "null", 4);
}

static void
JsonText(DocWriter *dw, const char *s, size_t len)
{
	JsonWriter *w = (JsonWriter *) dw;

	Key(w);
	String(w, s, len);
}

static void
JsonInteger(DocWriter *dw, int64 v)
{
	JsonWriter *w = (JsonWriter *) dw;
	char		b[32];

	Key(w);
	snprintf(b, sizeof(b), INT64_FORMAT, v);
	Puts(w, b);
}

static void
JsonNumber(DocWriter *dw, double v)
{
	JsonWriter *w = (JsonWriter *) dw;
	char	   *s = float8out_internal(v);

	Key(w);
	/* JSON has no NaN or Infinity: those become strings */
	if (isnan(v) || isinf(v))
		String(w, s, strlen(s));
	else
		Puts(w, s);
}

static void
JsonNumeric(DocWriter *dw, const char *s)
{
	JsonWriter *w = (JsonWriter *) dw;

	Key(w);
	NumberText(w, s);
}

static void
JsonBoolean(DocWriter *dw, bool v)
{
	JsonWriter *w = (JsonWriter *) dw;

	Key(w);
	Puts(w, v ? "true" : "false");
}

/* ISO 8601 with the offset in effect at that instant */
static void
JsonTimestampTz(DocWriter *dw, TimestampTz t, const struct pg_tm *tm, fsec_t fsec, int tzoff)
{
	JsonWriter *w = (JsonWriter *) dw;
	char		b[64];
	int			n;
	int			off = -tzoff;	/* seconds east of UTC */
	int			aoff = abs(off);

	Key(w);
	n = snprintf(b, sizeof(b), "\"%04d-%02d-%02dT%02d:%02d:%02d",
				 tm->tm_year, tm->tm_mon, tm->tm_mday, tm->tm_hour, tm->tm_min, tm->tm_sec);
	if (fsec != 0)
		n += snprintf(b + n, sizeof(b) - n, ".%06d", (int) fsec);
	n += snprintf(b + n, sizeof(b) - n, "%c%02d:%02d", off < 0 ? '-' : '+',
				  aoff / 3600, (aoff / 60) % 60);
	if (aoff % 60 != 0)
		n += snprintf(b + n, sizeof(b) - n, ":%02d", aoff % 60);
	snprintf(b + n, sizeof(b) - n, "\"");
	Puts(w, b);
}

/* ISO 8601 without an offset (PostgreSQL's text before year 1) */
static void
JsonTimestamp(DocWriter *dw, Timestamp t)
{
	struct pg_tm tm;
	fsec_t		fsec;
	char	   *s;

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
	else
		s = DatumGetCString(DirectFunctionCall1(timestamp_out, TimestampGetDatum(t)));
	JsonText(dw, s, strlen(s));
}

static void
JsonArray(DocWriter *dw, const char *const *items, int n, DocScalar kind)
{
	JsonWriter *w = (JsonWriter *) dw;
	int			i;

	Key(w);
	Put(w, "[", 1);
	for (i = 0; i < n; i++)
	{
		if (i > 0)
			Put(w, ",", 1);
		if (items[i] == NULL)
			Put(w, "null", 4);
		else if (kind == DOC_SCALAR_NUMBER)
			NumberText(w, items[i]);
		else if (kind == DOC_SCALAR_BOOL)
			Puts(w, items[i][0] == 't' ? "true" : "false");
		else
			String(w, items[i], strlen(items[i]));
	}
	Put(w, "]", 1);
}

static void
JsonJson(DocWriter *dw, const char *s)
{
	JsonWriter *w = (JsonWriter *) dw;

	Key(w);
	Puts(w, s);
}

/* ---- the "Summary" key (include_summary) ---- */

static void
SummaryKey(JsonWriter *w, const char *key, bool first)
{
	if (!first)
		Put(w, ",", 1);
	StringUtf8(w, key, strlen(key));
	Put(w, ":", 1);
}

/* A minutes value: a JSON number, null for none. */
static void
SummaryMinutes(JsonWriter *w, const char *key, double v)
{
	SummaryKey(w, key, false);
	if (isnan(v) || isinf(v))
		Puts(w, "null");
	else
		Puts(w, float8out_internal(v));
}

/* A UTF-8 string, null for NULL. */
static void
SummaryText(JsonWriter *w, const char *key, const char *v, bool first)
{
	SummaryKey(w, key, first);
	if (v == NULL)
		Puts(w, "null");
	else
		StringUtf8(w, v, strlen(v));
}

static void
SummaryInt(JsonWriter *w, const char *key, int64 v, bool first)
{
	char		b[32];

	SummaryKey(w, key, first);
	snprintf(b, sizeof(b), INT64_FORMAT, v);
	Puts(w, b);
}

static void
JsonSummary(DocWriter *dw, const cs_summary *s)
{
	((JsonWriter *) dw)->summary = s;
}

/*
 * "Summary": {"scope": {...}, "days": [...], "assignees": [...],
 * "rowsPerSheet": {...}}, the keys of the tables as cs_summary_*_column
 * names them.  Its text is UTF-8 already (export_summary.c converted it).
 */
static void
JsonSummaryCounts(DocWriter *dw, const char *const *names, const int64 *rows, int n)
{
	JsonWriter *w = (JsonWriter *) dw;
	const cs_summary *s = w->summary;
	int			c = s->cases;
	int			i;

	if (!w->first_sheet)
		Put(w, ",\n", 2);
	w->first_sheet = false;
	Puts(w, "\"Summary\":{\"scope\":{");
	for (i = 0; i < s->nscope; i++)
	{
		SummaryText(w, s->scope_keys[i], s->scope_values[i], i == 0);
	}
	Puts(w, "},\n\"days\":[");
	for (i = 0; i < s->ndays; i++)
	{
		const cs_summary_day *d = &s->days[i];
		char		day[16];

		Puts(w, i == 0 ? "\n{" : ",\n{");
		snprintf(day, sizeof(day), "%04d-%02d-%02d", d->year, d->month, d->day);
		SummaryText(w, cs_summary_day_column(0, c, 1), day, true);
		SummaryInt(w, cs_summary_day_column(1, c, 1), d->created, false);
		SummaryInt(w, cs_summary_day_column(2, c, 1), d->closed, false);
		SummaryMinutes(w, cs_summary_day_column(3, c, 1), d->wait_p50);
		SummaryMinutes(w, cs_summary_day_column(4, c, 1), d->wait_p90);
		SummaryMinutes(w, cs_summary_day_column(5, c, 1), d->res_p50);
		SummaryMinutes(w, cs_summary_day_column(6, c, 1), d->op_wait_p50);
		SummaryMinutes(w, cs_summary_day_column(7, c, 1), d->op_wait_p90);
		SummaryMinutes(w, cs_summary_day_column(8, c, 1), d->op_res_p50);
		SummaryInt(w, cs_summary_day_column(9, c, 1), d->missed, false);
		Put(w, "}", 1);
	}
	Puts(w, "],\n\"assignees\":[");
	for (i = 0; i < s->nassignees; i++)
	{
		const cs_summary_assignee *a = &s->assignees[i];

		Puts(w, i == 0 ? "\n{" : ",\n{");
		SummaryText(w, cs_summary_assignee_column(0, c, 1), a->name, true);
		SummaryText(w, cs_summary_assignee_column(1, c, 1), a->id, false);
		SummaryInt(w, cs_summary_assignee_column(2, c, 1), a->count, false);
		SummaryInt(w, cs_summary_assignee_column(3, c, 1), a->replies, false);
		SummaryMinutes(w, cs_summary_assignee_column(4, c, 1), a->wait_p50);
		SummaryMinutes(w, cs_summary_assignee_column(5, c, 1), a->res_p50);
		SummaryMinutes(w, cs_summary_assignee_column(6, c, 1), a->op_wait_p50);
		SummaryMinutes(w, cs_summary_assignee_column(7, c, 1), a->op_res_p50);
		Put(w, "}", 1);
	}
	Puts(w, "],\n\"rowsPerSheet\":{");
	for (i = 0; i < n; i++)
		SummaryInt(w, names[i], rows[i], i == 0);
	Puts(w, "}}");
}

static void
JsonFinish(DocWriter *dw)
{
	JsonWriter *w = (JsonWriter *) dw;

	Put(w, "}\n", 2);
	if (FreeFile(w->f) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not write the JSON document: %m")));
	w->f = NULL;
}

static const DocWriterOps json_ops = {
	.begin_sheet = JsonBeginSheet,
	.begin_row = JsonBeginRow,
	.end_row = JsonEndRow,
	.end_sheet = JsonEndSheet,
	.null = JsonNull,
	.text = JsonText,
	.integer = JsonInteger,
	.number = JsonNumber,
	.numeric = JsonNumeric,
	.boolean = JsonBoolean,
	.timestamptz = JsonTimestampTz,
	.timestamp = JsonTimestamp,
	.array = JsonArray,
	.json = JsonJson,
	.summary = JsonSummary,
	.summary_counts = JsonSummaryCounts,
	.finish = JsonFinish,
};

/* The file is an AllocateFile: closed by the transaction's abort. */
DocWriter *
DocWriterJsonOpen(const char *path)
{
	JsonWriter *w = palloc0(sizeof(JsonWriter));

	w->base.ops = &json_ops;
	w->first_sheet = true;
	w->f = AllocateFile(path, PG_BINARY_W);
	if (w->f == NULL)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not create file \"%s\": %m", path)));
	setvbuf(w->f, NULL, _IOFBF, 1024 * 1024);
	Put(w, "{", 1);
	return &w->base;
}
