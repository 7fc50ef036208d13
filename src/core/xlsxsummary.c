/*
 * xlsxsummary.c - the Summary sheet and its charts (see xlsxsummary.h).
 */
#include "xlsxsummary.h"
#include "xlsxout_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define CHART_COL	11			/* charts start in column L, right of the tables */
#define CHART_ROWS	16			/* rows between two charts (default height 288 px) */

static const char *const day_titles[CS_SUMMARY_DAY_COLS] = {
	"Day", "New chats", "Closed", "Median waiting (min)", "P90 waiting (min)",
	"Median resolution (min)", "Median waiting, op. hours (min)",
	"P90 waiting, op. hours (min)", "Median resolution, op. hours (min)", "Missed calls"
};
static const char *const day_keys[CS_SUMMARY_DAY_COLS] = {
	"day", "newChats", "closed", "waitingTimeMedian", "waitingTimeP90",
	"resolutionTimeMedian", "operationWaitingTimeMedian", "operationWaitingTimeP90",
	"operationResolutionTimeMedian", "missedCalls"
};
static const char *const assignee_titles[CS_SUMMARY_ASSIGNEE_COLS] = {
	"Assignee", "Assignee id", "Chats", "Replies", "Median waiting (min)",
	"Median resolution (min)", "Median waiting, op. hours (min)",
	"Median resolution, op. hours (min)"
};
static const char *const assignee_keys[CS_SUMMARY_ASSIGNEE_COLS] = {
	"assigneeName", "assigneeId", "chats", "replies", "waitingTimeMedian",
	"resolutionTimeMedian", "operationWaitingTimeMedian", "operationResolutionTimeMedian"
};

const char *
cs_summary_day_column(int col, int cases, int json)
{
	if (col < 0 || col >= CS_SUMMARY_DAY_COLS)
		return NULL;
	if (col == 1 && cases)
		return json ? "newCases" : "New cases";
	return json ? day_keys[col] : day_titles[col];
}

const char *
cs_summary_assignee_column(int col, int cases, int json)
{
	if (col < 0 || col >= CS_SUMMARY_ASSIGNEE_COLS)
		return NULL;
	if (col == 2 && cases)
		return json ? "cases" : "Cases";
	return json ? assignee_keys[col] : assignee_titles[col];
}

const char *
cs_summary_assignee_label(const cs_summary_assignee *a)
{
	if (a->name != NULL && a->name[0] != '\0')
		return a->name;
	return a->id != NULL ? a->id : "(unassigned)";
}

/* Days since 1970-01-01 of a civil date (H. Hinnant's algorithm). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t		era,
				yoe,
				doy,
				doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

double
cs_summary_date_serial(int year, int month, int day)
{
	/* 25569 = serial of 1970-01-01 (past Excel's phantom 1900-02-29) */
	return (double) (days_from_civil(year, month, day) + 25569);
}

/* Rows of the layout, all derived from the summary's sizes. */
typedef struct layout
{
	int			scope_first;
	int			day_title,
				day_header,
				day_first;
	int			a_title,
				a_header,
				a_first;
	int			counts_title;
} layout;

static void
plan(const cs_summary *s, layout *l)
{
	l->scope_first = 2;
	l->day_title = l->scope_first + s->nscope + 1;
	l->day_header = l->day_title + 1;
	l->day_first = l->day_header + 1;
	l->a_title = l->day_first + s->ndays + 1;
	l->a_header = l->a_title + 1;
	l->a_first = l->a_header + 1;
	l->counts_title = l->a_first + s->nassignees + 1;
}

void
cs_xlsx_summary_ranges(const cs_summary *s, int *day_first, int *day_last,
					   int *assignee_first, int *assignee_last)
{
	layout		l;

	plan(s, &l);
	*day_first = s->ndays > 0 ? l.day_first : -1;
	*day_last = s->ndays > 0 ? l.day_first + s->ndays - 1 : -1;
	*assignee_first = s->nassignees > 0 ? l.a_first : -1;
	*assignee_last = s->nassignees > 0 ? l.a_first + s->nassignees - 1 : -1;
}

typedef struct sw
{
	cs_xlsx    *x;
	lxw_worksheet *ws;
	lxw_format *bold,
			   *head,
			   *date,
			   *minutes;
	cs_err	   *err;
} sw;

static cs_status
fail(sw *w, lxw_error e, const char *what)
{
	return cs_err_set(w->err, CS_ERR_XLSX, "could not write the Summary sheet (%s): %s",
					  what, lxw_strerror(e));
}

static cs_status
text(sw *w, int row, int col, const char *s, lxw_format *f)
{
	int			trunc;
	lxw_error	e;

	if (s == NULL)
		return CS_OK;
	if (cs_xlsx_sanitize(s, strlen(s), &w->x->sbuf, &w->x->scap, &trunc) != 0)
		return cs_err_set(w->err, CS_ERR_NOMEM, "out of memory for a Summary cell");
	e = worksheet_write_string(w->ws, (lxw_row_t) row, (lxw_col_t) col, w->x->sbuf, f);
	return e == LXW_NO_ERROR ? CS_OK : fail(w, e, "text");
}

static cs_status
number(sw *w, int row, int col, double v, lxw_format *f)
{
	lxw_error	e;

	if (isnan(v) || isinf(v))
		return CS_OK;			/* no value: a blank cell */
	e = worksheet_write_number(w->ws, (lxw_row_t) row, (lxw_col_t) col, v, f);
	return e == LXW_NO_ERROR ? CS_OK : fail(w, e, "number");
}

static cs_status
header(sw *w, int row, int ncols, const char *(*title) (int, int, int), int cases)
{
	cs_status	rc = CS_OK;

	/* wrapped in a taller row: the titles are longer than the numbers */
	if (worksheet_set_row(w->ws, (lxw_row_t) row, 45, NULL) != LXW_NO_ERROR)
		return cs_err_set(w->err, CS_ERR_XLSX, "could not set a Summary row height");
	for (int c = 0; c < ncols && rc == CS_OK; c++)
		rc = text(w, row, c, title(c, cases, 0), w->head);
	return rc;
}

static cs_status
day_row(sw *w, int row, const cs_summary_day *d)
{
	const double v[CS_SUMMARY_DAY_COLS] = {
		cs_summary_date_serial(d->year, d->month, d->day), (double) d->created,
		(double) d->closed, d->wait_p50, d->wait_p90, d->res_p50,
		d->op_wait_p50, d->op_wait_p90, d->op_res_p50, (double) d->missed
	};
	cs_status	rc = CS_OK;
	int			c = 0;

	if (d->month < 1 || d->month > 12 || d->day < 1 || d->day > 31)
		return cs_err_set(w->err, CS_ERR_BADARG, "Summary day %04d-%02d-%02d is no date",
						  d->year, d->month, d->day);
	if (d->year < 1900 || (d->year == 1900 && d->month < 3) || d->year > 9999)
	{
		/*
		 * A day Excel has no right serial for (bad data: a chat dated before
		 * 1900-03-01, where Excel's 1900 leap-year bug starts):
		 * the day as text, like the data sheets' out-of-range dates, rather
		 * than failing the whole export.
		 */
		char		buf[32];

		snprintf(buf, sizeof(buf), "%04d-%02d-%02d", d->year, d->month, d->day);
		rc = text(w, row, 0, buf, NULL);
		c = 1;
	}
	for (; c < CS_SUMMARY_DAY_COLS && rc == CS_OK; c++)
		rc = number(w, row, c, v[c],
					c == 0 ? w->date : (c >= 3 && c <= 8) ? w->minutes : NULL);
	return rc;
}

static cs_status
assignee_row(sw *w, int row, const cs_summary_assignee *a)
{
	const double v[4] = {a->wait_p50, a->res_p50, a->op_wait_p50, a->op_res_p50};
	cs_status	rc;

	if ((rc = text(w, row, 0, cs_summary_assignee_label(a), NULL)) != CS_OK ||
		(rc = text(w, row, 1, a->id, NULL)) != CS_OK ||
		(rc = number(w, row, 2, (double) a->count, NULL)) != CS_OK ||
		(rc = number(w, row, 3, (double) a->replies, NULL)) != CS_OK)
		return rc;
	for (int c = 0; c < 4 && rc == CS_OK; c++)
		rc = number(w, row, 4 + c, v[c], w->minutes);
	return rc;
}

/* One chart: its kind, title, axis titles, and (column, name) series. */
static cs_status
chart(sw *w, uint8_t type, const char *title, const char *xname, const char *yname,
	  int first, int last, int cat_col, const int *cols, const char *const *names,
	  int nseries, int anchor_row)
{
	lxw_chart  *ch = workbook_add_chart(w->x->wb, type);
	lxw_error	e;

	if (ch == NULL)
		return cs_err_set(w->err, CS_ERR_NOMEM, "out of memory for a Summary chart");
	for (int i = 0; i < nseries; i++)
	{
		lxw_chart_series *se = chart_add_series(ch, NULL, NULL);

		if (se == NULL)
			return cs_err_set(w->err, CS_ERR_NOMEM, "out of memory for a chart series");
		chart_series_set_categories(se, CS_SUMMARY_SHEET, (lxw_row_t) first,
									(lxw_col_t) cat_col, (lxw_row_t) last, (lxw_col_t) cat_col);
		chart_series_set_values(se, CS_SUMMARY_SHEET, (lxw_row_t) first, (lxw_col_t) cols[i],
								(lxw_row_t) last, (lxw_col_t) cols[i]);
		chart_series_set_name(se, names[i]);
		if (type == LXW_CHART_LINE)
			chart_series_set_marker_type(se, last - first < 60 ? LXW_CHART_MARKER_AUTOMATIC
										 : LXW_CHART_MARKER_NONE);
	}
	chart_title_set_name(ch, title);
	chart_axis_set_name(ch->x_axis, xname);
	/* the days are date serials: shown as dates even without a data cache */
	if (type != LXW_CHART_BAR)
		chart_axis_set_num_format(ch->x_axis, "yyyy-mm-dd");
	chart_axis_set_name(ch->y_axis, yname);
	chart_legend_set_position(ch, LXW_CHART_LEGEND_BOTTOM);
	e = worksheet_insert_chart(w->ws, (lxw_row_t) anchor_row, CHART_COL, ch);
	return e == LXW_NO_ERROR ? CS_OK : fail(w, e, "chart");
}

cs_status
cs_xlsx_summary(cs_xlsx *x, const cs_summary *s, cs_err *err)
{
	sw			w;
	layout		l;
	cs_status	rc = CS_OK;
	const char *unit;

	if (x == NULL || x->closed || s == NULL)
		return cs_err_set(err, CS_ERR_BADARG, "workbook is not open");
	if (x->nworksheets > 0 || x->summary_ws != NULL)
		return cs_err_set(err, CS_ERR_BADARG, "the Summary must be the first sheet");
	if (s->nscope < 0 || s->ndays < 0 || s->nassignees < 0 ||
		s->ndays > 100000 || s->nassignees > 100000)
		return cs_err_set(err, CS_ERR_BADARG, "Summary tables of %d days, %d assignees",
						  s->ndays, s->nassignees);
	memset(&w, 0, sizeof(w));
	w.x = x;
	w.err = err;
	w.ws = workbook_add_worksheet(x->wb, CS_SUMMARY_SHEET);
	w.bold = workbook_add_format(x->wb);
	w.head = workbook_add_format(x->wb);
	w.date = workbook_add_format(x->wb);
	w.minutes = workbook_add_format(x->wb);
	if (w.ws == NULL || w.bold == NULL || w.head == NULL || w.date == NULL || w.minutes == NULL)
		return cs_err_set(err, CS_ERR_XLSX, "could not add the Summary sheet");
	x->summary_ws = w.ws;
	format_set_bold(w.bold);
	format_set_bold(w.head);
	format_set_text_wrap(w.head);
	format_set_align(w.head, LXW_ALIGN_VERTICAL_TOP);
	format_set_num_format(w.date, "yyyy-mm-dd");
	format_set_num_format(w.minutes, "0.0");
	/* printed (and converted to PDF) as one page wide, charts included */
	worksheet_set_landscape(w.ws);
	worksheet_fit_to_pages(w.ws, 1, 0);
	worksheet_set_column(w.ws, 0, 0, 22, NULL);
	worksheet_set_column(w.ws, 1, CS_SUMMARY_DAY_COLS - 1, 13, NULL);
	unit = s->cases ? "cases" : "chats";
	plan(s, &l);

	rc = text(&w, 0, 0, s->cases ? "Summary of the cases export" : "Summary of the chats export",
			  w.bold);
	for (int i = 0; i < s->nscope && rc == CS_OK; i++)
	{
		rc = text(&w, l.scope_first + i, 0, s->scope_labels[i], w.bold);
		if (rc == CS_OK)
			rc = text(&w, l.scope_first + i, 1, s->scope_values[i], NULL);
	}
	if (rc == CS_OK)
		rc = text(&w, l.day_title, 0, s->cases
				  ? "Per day: cases by the channel-local day they were created; times in minutes"
				  : "Per day: chats by the channel-local day they were created; times in minutes",
				  w.bold);
	if (rc == CS_OK)
		rc = header(&w, l.day_header, CS_SUMMARY_DAY_COLS, cs_summary_day_column, s->cases);
	for (int i = 0; i < s->ndays && rc == CS_OK; i++)
		rc = day_row(&w, l.day_first + i, &s->days[i]);
	if (rc == CS_OK)
		rc = text(&w, l.a_title, 0, s->cases
				  ? "Per assignee: cases by their assignee; times in minutes"
				  : "Per assignee: chats by their current assignee; times in minutes",
				  w.bold);
	if (rc == CS_OK)
		rc = header(&w, l.a_header, CS_SUMMARY_ASSIGNEE_COLS, cs_summary_assignee_column,
					s->cases);
	for (int i = 0; i < s->nassignees && rc == CS_OK; i++)
		rc = assignee_row(&w, l.a_first + i, &s->assignees[i]);
	if (rc != CS_OK)
		return rc;

	/* charts: only over tables with rows (a range of no cell is invalid) */
	if (s->ndays > 0)
	{
		const int	vol_cols[2] = {1, 2};
		const char *vol_names[2] = {s->cases ? "New cases" : "New chats", "Closed"};
		const int	wait_cols[2] = {3, 4};
		const char *wait_names[2] = {"Median waiting", "P90 waiting"};
		int			last = l.day_first + s->ndays - 1;

		rc = chart(&w, LXW_CHART_COLUMN, s->cases ? "New and closed cases per day"
				   : "New and closed chats per day", "day", unit,
				   l.day_first, last, 0, vol_cols, vol_names, 2, 0);
		if (rc == CS_OK)
			rc = chart(&w, LXW_CHART_LINE, "Waiting time per day", "day", "minutes",
					   l.day_first, last, 0, wait_cols, wait_names, 2, CHART_ROWS);
	}
	if (rc == CS_OK && s->nassignees > 0)
	{
		const int	cols[1] = {2};
		const char *names[1] = {s->cases ? "Cases" : "Chats"};

		/* a bar chart's x axis is the horizontal (value) one */
		rc = chart(&w, LXW_CHART_BAR, s->cases ? "Cases per assignee" : "Chats per assignee",
				   unit, "assignee", l.a_first, l.a_first + s->nassignees - 1, 0,
				   cols, names, 1, 2 * CHART_ROWS);
	}
	x->summary_row = l.counts_title;
	return rc;
}

cs_status
cs_xlsx_summary_counts(cs_xlsx *x, cs_err *err)
{
	sw			w;
	int			row;
	cs_status	rc;

	if (x == NULL || x->closed || x->summary_ws == NULL)
		return cs_err_set(err, CS_ERR_BADARG, "no Summary sheet to complete");
	memset(&w, 0, sizeof(w));
	w.x = x;
	w.ws = x->summary_ws;
	w.err = err;
	w.bold = x->fmt_head;
	row = x->summary_row;
	if ((rc = text(&w, row, 0, "Rows per sheet", w.bold)) != CS_OK ||
		(rc = text(&w, row + 1, 0, "Sheet", w.bold)) != CS_OK ||
		(rc = text(&w, row + 1, 1, "Rows", w.bold)) != CS_OK)
		return rc;
	row += 2;
	for (int i = 0; i < x->nsheets; i++, row++)
	{
		if ((rc = text(&w, row, 0, x->sheets[i].name, NULL)) != CS_OK ||
			(rc = number(&w, row, 1, (double) x->sheets[i].rows, NULL)) != CS_OK)
			return rc;
	}
	x->summary_row = row;
	return CS_OK;
}
