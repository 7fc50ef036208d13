/*
 * xlsxsummary.h - the "Summary" sheet of an export workbook: the export's
 * scope, a table per channel-local day, a table per assignee, native Excel
 * charts drawn from those tables, and the rows per data sheet.
 *
 * The workbook is written in libxlsxwriter's constant-memory mode, where a
 * worksheet's rows must come in order, but each worksheet keeps its own
 * position.  So the Summary is added first (it is the first sheet), its
 * tables are written at once (they are computed before the data sheets are
 * streamed), and the rows-per-sheet block goes below them once the data
 * sheets are done:
 *
 *     x = cs_xlsx_open(...);
 *     cs_xlsx_summary(x, &summary, &err);      before any cs_xlsx_add_sheet
 *     cs_xlsx_add_sheet(x, "UserChat data", &err); ...rows...
 *     cs_xlsx_summary_counts(x, &err);         the logical sheets' row counts
 *     cs_xlsx_close(x, &err);
 *
 * Times are in minutes (the caller converts); NaN is "no value" (a blank
 * cell).  Charts (a column chart of the daily volume, a line chart of the
 * daily median and p90 waiting time, a bar chart of the chats per assignee)
 * point at the table ranges; a chart whose table has no row is left out.
 * Charts belong to the workbook: cs_xlsx_free() frees them on every path.
 */
#ifndef CS_CORE_XLSXSUMMARY_H
#define CS_CORE_XLSXSUMMARY_H

#include <stdint.h>

#include "cserr.h"
#include "xlsxout.h"

#define CS_SUMMARY_SHEET		"Summary"
#define CS_SUMMARY_DAY_COLS		10
#define CS_SUMMARY_ASSIGNEE_COLS 8

typedef struct cs_summary_day
{
	int			year,
				month,
				day;			/* the channel-local day */
	int64_t		created;		/* chats (cases) created that day */
	int64_t		closed;			/* ... of them closed */
	double		wait_p50,
				wait_p90,
				res_p50;		/* minutes, NaN for none */
	double		op_wait_p50,
				op_wait_p90,
				op_res_p50;		/* the same in operating hours */
	int64_t		missed;			/* missed calls */
} cs_summary_day;

typedef struct cs_summary_assignee
{
	const char *id;				/* NULL: unassigned */
	const char *name;			/* NULL: unknown (the id is shown) */
	int64_t		count;			/* chats (cases) */
	int64_t		replies;
	double		wait_p50,
				res_p50,
				op_wait_p50,
				op_res_p50;		/* minutes, NaN for none */
} cs_summary_assignee;

typedef struct cs_summary
{
	int			cases;			/* a cases export (else chats) */
	int			nscope;			/* scope lines: label, value (UTF-8) */
	const char *const *scope_labels;
	const char *const *scope_values;
	int			ndays;
	const cs_summary_day *days;
	int			nassignees;
	const cs_summary_assignee *assignees;
	const char *const *scope_keys;	/* the scope lines' JSON keys, or NULL */
} cs_summary;

/*
 * Column titles of the two tables: json = 0 the XLSX header ("Median
 * waiting (min)"), json = 1 the JSON key ("waitingTimeMedian").  cases picks
 * "cases" over "chats" where the title names them.
 */
extern const char *cs_summary_day_column(int col, int cases, int json);
extern const char *cs_summary_assignee_column(int col, int cases, int json);

/* The label of an assignee row: name, else id, else "(unassigned)". */
extern const char *cs_summary_assignee_label(const cs_summary_assignee *a);

/* Excel serial number of a civil date (1900 date system). */
extern double cs_summary_date_serial(int year, int month, int day);

/* Add and write the Summary sheet; before the first cs_xlsx_add_sheet. */
extern cs_status cs_xlsx_summary(cs_xlsx *x, const cs_summary *s, cs_err *err);

/* Write the rows-per-sheet block (the logical sheets added so far). */
extern cs_status cs_xlsx_summary_counts(cs_xlsx *x, cs_err *err);

/* Zero-based first and last rows of the two tables (for tests), -1 if none. */
extern void cs_xlsx_summary_ranges(const cs_summary *s, int *day_first, int *day_last,
								   int *assignee_first, int *assignee_last);

#endif							/* CS_CORE_XLSXSUMMARY_H */
