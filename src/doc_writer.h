/*-------------------------------------------------------------------------
 *
 * doc_writer.h
 *	  The plaintext document of an export, written sheet by sheet, row by
 *	  row, cell by cell, left to right.  One interface, two
 *	  implementations: doc_writer_xlsx.c (an XLSX workbook through
 *	  src/core/xlsxout) and doc_writer_json.c (one JSON object: sheet name
 *	  -> array of row objects).  The row loop (export_sheets.c) decides
 *	  which cell function a value goes to; each implementation decides how
 *	  that cell looks in its format.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CSSTATS_DOC_WRITER_H
#define CSSTATS_DOC_WRITER_H

#include "datatype/timestamp.h"
#include "pgtime.h"

#include "xlsxsummary.h"

/* How an array element is written in JSON (XLSX joins their texts). */
typedef enum DocScalar
{
	DOC_SCALAR_STRING,
	DOC_SCALAR_NUMBER,			/* its text, or a string for NaN/Infinity */
	DOC_SCALAR_BOOL				/* "t" or "f" */
} DocScalar;

typedef struct DocWriter DocWriter;

typedef struct DocWriterOps
{
	/* a sheet and its header row (headers live until the sheet ends) */
	void		(*begin_sheet) (DocWriter *w, const char *name,
								const char *const *headers, int ncols);
	void		(*begin_row) (DocWriter *w, int64 rowno);	/* 1, 2, ... */
	void		(*end_row) (DocWriter *w);
	void		(*end_sheet) (DocWriter *w, int64 rows);

	/* cells */
	void		(*null) (DocWriter *w);
	void		(*text) (DocWriter *w, const char *s, size_t len);	/* server encoding */
	void		(*integer) (DocWriter *w, int64 v);
	void		(*number) (DocWriter *w, double v);
	void		(*numeric) (DocWriter *w, const char *s);	/* numeric_out */
	void		(*boolean) (DocWriter *w, bool v);
	/* a timestamptz t, already broken down in the channel's zone */
	void		(*timestamptz) (DocWriter *w, TimestampTz t, const struct pg_tm *tm,
								fsec_t fsec, int tzoff);
	void		(*timestamp) (DocWriter *w, Timestamp t);	/* finite, no zone */
	/* items[i] NULL for a NULL element */
	void		(*array) (DocWriter *w, const char *const *items, int n, DocScalar kind);
	void		(*json) (DocWriter *w, const char *s);	/* an object or array value */

	/*
	 * include_summary: summary() before the first sheet (XLSX: the first
	 * sheet, with charts), summary_counts() after the last one (the rows per
	 * sheet; JSON writes the whole "Summary" key then, as the last key).
	 * s must live until finish().
	 */
	void		(*summary) (DocWriter *w, const cs_summary *s);
	void		(*summary_counts) (DocWriter *w, const char *const *names,
								   const int64 *rows, int n);

	/* the document is complete: write it out */
	void		(*finish) (DocWriter *w);
} DocWriterOps;

/* Implementations embed this as their first member. */
struct DocWriter
{
	const DocWriterOps *ops;
};

/*
 * Open the document at path.  Everything it holds is released when
 * CurrentMemoryContext is reset or deleted (error and cancel included).
 * The XLSX writer keeps its temporary files in the private tmpdir.
 */
extern DocWriter *DocWriterXlsxOpen(const char *path, const char *tmpdir);
extern DocWriter *DocWriterJsonOpen(const char *path);

#endif							/* CSSTATS_DOC_WRITER_H */
