/*-------------------------------------------------------------------------
 *
 * doc_writer_xlsx.c
 *	  The XLSX implementation of the document writer (doc_writer.h), over
 *	  src/core/xlsxout (which enforces the cell rules: text never a
 *	  formula, the 32,767-character cut, sheets continued past 1,048,576
 *	  rows).
 *
 *	  Text goes in as UTF-8; timestamps are written as Excel date-times in
 *	  the channel's local time; arrays as their elements' texts joined with
 *	  commas (a NULL element is an empty item); jsonb objects and arrays as
 *	  their text.  The final close, which packs the workbook, runs in a
 *	  helper thread (close_thread.c) so a cancel is honoured at once.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/memutils.h"
#include "utils/ps_status.h"
#include "utils/timestamp.h"

#include "xlsxout.h"
#include "xlsxsummary.h"

#include "close_thread.h"
#include "doc_writer.h"
#include "export_errors.h"

typedef struct XlsxWriter
{
	DocWriter	base;
	cs_xlsx    *x;
	const char *tmpdir;
	StringInfoData buf;			/* scratch */
	CloseJob   *close_job;		/* the close in its thread, while it runs */
	MemoryContextCallback cb;
} XlsxWriter;

static void
Check(cs_status rc, const cs_err *err)
{
	if (rc != CS_OK)
		ExportCoreError("could not write the workbook", err);
}

static void
XlsxBeginSheet(DocWriter *dw, const char *name, const char *const *headers, int ncols)
{
	XlsxWriter *w = (XlsxWriter *) dw;
	cs_err		err;

	Check(cs_xlsx_add_sheet(w->x, name, &err), &err);
	Check(cs_xlsx_header(w->x, headers, ncols, &err), &err);
}

static void
XlsxBeginRow(DocWriter *dw, int64 rowno)
{
	XlsxWriter *w = (XlsxWriter *) dw;
	cs_err		err;

	Check(cs_xlsx_row(w->x, &err), &err);
}

static void
XlsxNothing(DocWriter *dw)
{
}

static void
XlsxEndSheet(DocWriter *dw, int64 rows)
{
}

static void
XlsxNull(DocWriter *dw)
{
	XlsxWriter *w = (XlsxWriter *) dw;
	cs_err		err;

	Check(cs_xlsx_blank(w->x, &err), &err);
}

static void
XlsxText(DocWriter *dw, const char *s, size_t len)
{
	XlsxWriter *w = (XlsxWriter *) dw;
	const char *u = pg_server_to_any(s, len, PG_UTF8);
	cs_err		err;

	if (u != s)
		len = strlen(u);
	Check(cs_xlsx_string(w->x, u, len, &err), &err);
}

static void
XlsxInteger(DocWriter *dw, int64 v)
{
	XlsxWriter *w = (XlsxWriter *) dw;
	cs_err		err;

	Check(cs_xlsx_integer(w->x, v, &err), &err);
}

static void
XlsxNumber(DocWriter *dw, double v)
{
	XlsxWriter *w = (XlsxWriter *) dw;
	cs_err		err;

	Check(cs_xlsx_number(w->x, v, &err), &err);
}

static void
XlsxNumeric(DocWriter *dw, const char *s)
{
	XlsxNumber(dw, strtod(s, NULL));
}

static void
XlsxBoolean(DocWriter *dw, bool v)
{
	XlsxWriter *w = (XlsxWriter *) dw;
	cs_err		err;

	Check(cs_xlsx_boolean(w->x, v, &err), &err);
}

static void
XlsxTimestampTz(DocWriter *dw, TimestampTz t, const struct pg_tm *tm, fsec_t fsec, int tzoff)
{
	XlsxWriter *w = (XlsxWriter *) dw;
	cs_err		err;

	Check(cs_xlsx_datetime_local(w->x, t - (int64) tzoff * USECS_PER_SEC, &err), &err);
}

static void
XlsxTimestamp(DocWriter *dw, Timestamp t)
{
	XlsxWriter *w = (XlsxWriter *) dw;
	cs_err		err;

	Check(cs_xlsx_datetime_local(w->x, t, &err), &err);
}

static void
XlsxArray(DocWriter *dw, const char *const *items, int n, DocScalar kind)
{
	XlsxWriter *w = (XlsxWriter *) dw;
	int			i;

	resetStringInfo(&w->buf);
	for (i = 0; i < n; i++)
	{
		if (i > 0)
			appendStringInfoChar(&w->buf, ',');
		if (items[i] != NULL)
			appendStringInfoString(&w->buf, items[i]);
	}
	XlsxText(dw, w->buf.data, w->buf.len);
}

static void
XlsxJson(DocWriter *dw, const char *s)
{
	XlsxText(dw, s, strlen(s));
}

static void
XlsxSummary(DocWriter *dw, const cs_summary *s)
{
	XlsxWriter *w = (XlsxWriter *) dw;
	cs_err		err;

	Check(cs_xlsx_summary(w->x, s, &err), &err);
}

/* The workbook counts its own sheets' rows: the same as names/rows. */
static void
XlsxSummaryCounts(DocWriter *dw, const char *const *names, const int64 *rows, int n)
{
	XlsxWriter *w = (XlsxWriter *) dw;
	cs_err		err;

	Check(cs_xlsx_summary_counts(w->x, &err), &err);
}

static void
XlsxFinish(DocWriter *dw)
{
	XlsxWriter *w = (XlsxWriter *) dw;
	TimestampTz t0 = GetCurrentTimestamp();
	cs_err		err;

	set_ps_display("csstats export: writing the workbook");
	Check(CloseWorkbookInThread(w->x, w->tmpdir, &w->close_job, &err), &err);
	ereport(DEBUG2, (errmsg("csstats export: workbook closed in %.3f s",
							(GetCurrentTimestamp() - t0) / 1000000.0)));
	cs_xlsx_free(w->x);
	w->x = NULL;
}

/*
 * Error or cancel: a close still running in its thread is abandoned to it
 * (it then frees the workbook and removes the private directory itself), so
 * the error reaches the client at once instead of after the close.
 */
static void
XlsxResetCallback(void *arg)
{
	XlsxWriter *w = (XlsxWriter *) arg;

	if (CloseWorkbookAbandon(&w->close_job))
	{
		w->x = NULL;
		return;
	}
	if (w->x != NULL)
		cs_xlsx_free(w->x);
	w->x = NULL;
}

static const DocWriterOps xlsx_ops = {
	.begin_sheet = XlsxBeginSheet,
	.begin_row = XlsxBeginRow,
	.end_row = XlsxNothing,
	.end_sheet = XlsxEndSheet,
	.null = XlsxNull,
	.text = XlsxText,
	.integer = XlsxInteger,
	.number = XlsxNumber,
	.numeric = XlsxNumeric,
	.boolean = XlsxBoolean,
	.timestamptz = XlsxTimestampTz,
	.timestamp = XlsxTimestamp,
	.array = XlsxArray,
	.json = XlsxJson,
	.summary = XlsxSummary,
	.summary_counts = XlsxSummaryCounts,
	.finish = XlsxFinish,
};

DocWriter *
DocWriterXlsxOpen(const char *path, const char *tmpdir)
{
	XlsxWriter *w = palloc0(sizeof(XlsxWriter));
	cs_xlsx_opts opts;
	cs_err		err;

	w->base.ops = &xlsx_ops;
	w->tmpdir = tmpdir;
	initStringInfo(&w->buf);
	w->cb.func = XlsxResetCallback;
	w->cb.arg = w;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, &w->cb);
	cs_err_clear(&err);
	memset(&opts, 0, sizeof(opts));
	opts.tmpdir = tmpdir;
	w->x = cs_xlsx_open(path, &opts, &err);
	if (w->x == NULL)
		ExportCoreError("could not start the workbook", &err);
	return &w->base;
}
