/*
 * The Summary sheet (src/core/xlsxsummary.c): layout rows, chart parts and
 * the ranges their series point at (read back from the package with
 * libzip), the rows-per-sheet block written after the data sheets, empty
 * tables (no chart), misuse and error paths (under LeakSanitizer).  Rendering
 * and the numbers against SQL are checked by the summary suite.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <zip.h>

#include "xlsxout.h"
#include "xlsxsummary.h"

static char tmpdir[64];
static char path[128];

static int
setup(void **state)
{
	strcpy(tmpdir, "/tmp/cs_xsum_XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(path, sizeof(path), "%s/s.xlsx", tmpdir);
	return 0;
}

static int
teardown(void **state)
{
	unlink(path);
	return rmdir(tmpdir);
}

/* A member of the package as a NUL-terminated string, or NULL when absent. */
static char *
member(const char *name)
{
	int			zerr = 0;
	zip_t	   *za = zip_open(path, ZIP_RDONLY, &zerr);
	zip_stat_t	st;
	zip_file_t *zf;
	char	   *buf = NULL;

	assert_non_null(za);
	if (zip_stat(za, name, 0, &st) == 0)
	{
		buf = calloc(1, st.size + 1);
		zf = zip_fopen(za, name, 0);
		assert_non_null(zf);
		assert_int_equal(zip_fread(zf, buf, st.size), (zip_int64_t) st.size);
		zip_fclose(zf);
	}
	zip_close(za);
	return buf;
}

static const char *const labels[] = {"Channel", "Range"};
static const char *const values[] = {"demo", "2025-03-01 00:00 .. 2025-03-04 00:00"};

static cs_summary_day days[3] = {
	{2025, 3, 1, 10, 8, 1.5, 4.0, 30.0, 1.0, 3.0, 20.0, 2},
	{2025, 3, 2, 0, 0, NAN, NAN, NAN, NAN, NAN, NAN, 0},
	{2025, 3, 3, 5, 5, 2.5, 9.0, 60.0, 2.0, 7.0, 40.0, 1},
};
static cs_summary_assignee assignees[2] = {
	{"m1", "Alice", 9, 30, 1.0, 20.0, 1.0, 15.0},
	{NULL, NULL, 6, 0, NAN, NAN, NAN, NAN},
};

static cs_xlsx *
open_book(void)
{
	cs_xlsx_opts o = {.tmpdir = tmpdir, .deterministic = 1};
	cs_err		err;
	cs_xlsx    *x = cs_xlsx_open(path, &o, &err);

	assert_non_null(x);
	return x;
}

static void
data_sheet(cs_xlsx *x, const char *name, int rows)
{
	const char *h[1] = {"id"};
	cs_err		err;

	assert_int_equal(cs_xlsx_add_sheet(x, name, &err), CS_OK);
	assert_int_equal(cs_xlsx_header(x, h, 1, &err), CS_OK);
	for (int i = 0; i < rows; i++)
	{
		assert_int_equal(cs_xlsx_row(x, &err), CS_OK);
		assert_int_equal(cs_xlsx_integer(x, i, &err), CS_OK);
	}
}

static void
test_layout_and_charts(void **state)
{
	cs_summary	s = {0, 2, labels, values, 3, days, 2, assignees, NULL};
	cs_err		err;
	cs_xlsx    *x = open_book();
	int			df,
				dl,
				af,
				al;
	char		want[128];
	char	   *wb,
			   *c1,
			   *c2,
			   *c3,
			   *sheet;

	cs_xlsx_summary_ranges(&s, &df, &dl, &af, &al);
	/* title, blank, 2 scope lines, blank, table title, header */
	assert_int_equal(df, 7);
	assert_int_equal(dl, 9);
	/* blank, table title, header */
	assert_int_equal(af, 13);
	assert_int_equal(al, 14);

	assert_int_equal(cs_xlsx_summary(x, &s, &err), CS_OK);
	data_sheet(x, "UserChat data", 3);
	data_sheet(x, "User data", 0);
	assert_int_equal(cs_xlsx_summary_counts(x, &err), CS_OK);
	/* the Summary is no logical data sheet */
	assert_int_equal(cs_xlsx_sheet_count(x), 2);
	assert_int_equal(cs_xlsx_close(x, &err), CS_OK);
	cs_xlsx_free(x);

	wb = member("xl/workbook.xml");
	assert_non_null(wb);
	/* the Summary is the first sheet */
	assert_non_null(strstr(wb, "<sheet name=\"Summary\" sheetId=\"1\""));
	c1 = member("xl/charts/chart1.xml");
	c2 = member("xl/charts/chart2.xml");
	c3 = member("xl/charts/chart3.xml");
	assert_non_null(c1);
	assert_non_null(c2);
	assert_non_null(c3);
	assert_null(member("xl/charts/chart4.xml"));
	assert_non_null(strstr(c1, "<c:barDir val=\"col\"/>"));
	assert_non_null(strstr(c2, "<c:lineChart>"));
	assert_non_null(strstr(c3, "<c:barDir val=\"bar\"/>"));
	snprintf(want, sizeof(want), "Summary!$A$%d:$A$%d", df + 1, dl + 1);
	assert_non_null(strstr(c1, want));
	assert_non_null(strstr(c2, want));
	snprintf(want, sizeof(want), "Summary!$B$%d:$B$%d", df + 1, dl + 1);
	assert_non_null(strstr(c1, want));
	snprintf(want, sizeof(want), "Summary!$C$%d:$C$%d", df + 1, dl + 1);
	assert_non_null(strstr(c1, want));
	snprintf(want, sizeof(want), "Summary!$D$%d:$D$%d", df + 1, dl + 1);
	assert_non_null(strstr(c2, want));
	snprintf(want, sizeof(want), "Summary!$E$%d:$E$%d", df + 1, dl + 1);
	assert_non_null(strstr(c2, want));
	snprintf(want, sizeof(want), "Summary!$C$%d:$C$%d", af + 1, al + 1);
	assert_non_null(strstr(c3, want));
	assert_non_null(strstr(c2, "minutes"));

	/* the rows-per-sheet block below the assignee table */
	sheet = member("xl/worksheets/sheet1.xml");
	assert_non_null(sheet);
	snprintf(want, sizeof(want), "<row r=\"%d\"", al + 6);	/* "User data" row */
	assert_non_null(strstr(sheet, want));
	snprintf(want, sizeof(want), "<c r=\"B%d\" s=\"0\"><v>3</v>", al + 5);
	if (strstr(sheet, want) == NULL)
	{
		snprintf(want, sizeof(want), "<c r=\"B%d\"><v>3</v>", al + 5);
		assert_non_null(strstr(sheet, want));
	}
	/* an empty median is a blank cell: row 9 (2025-03-02) has no D9 */
	assert_null(strstr(sheet, "<c r=\"D9\""));
	assert_non_null(strstr(sheet, "<c r=\"D8\""));
	assert_non_null(strstr(sheet, "<drawing"));
	free(wb);
	free(c1);
	free(c2);
	free(c3);
	free(sheet);
}

static void
test_empty_tables(void **state)
{
	cs_summary	s = {1, 2, labels, values, 0, NULL, 0, NULL, NULL};
	cs_err		err;
	cs_xlsx    *x = open_book();
	char	   *sheet;

	assert_int_equal(cs_xlsx_summary(x, &s, &err), CS_OK);
	data_sheet(x, "UserChatCase data", 0);
	assert_int_equal(cs_xlsx_summary_counts(x, &err), CS_OK);
	assert_int_equal(cs_xlsx_close(x, &err), CS_OK);
	cs_xlsx_free(x);
	assert_null(member("xl/charts/chart1.xml"));
	sheet = member("xl/worksheets/sheet1.xml");
	assert_non_null(sheet);
	assert_null(strstr(sheet, "<drawing"));
	free(sheet);
	assert_string_equal(cs_summary_day_column(1, 1, 1), "newCases");
	assert_string_equal(cs_summary_assignee_column(2, 0, 0), "Chats");
	assert_null(cs_summary_day_column(CS_SUMMARY_DAY_COLS, 0, 0));
	assert_string_equal(cs_summary_assignee_label(&assignees[1]), "(unassigned)");
}

static void
test_many_days(void **state)
{
	/* 400 days: one row each, chart ranges over all of them */
	cs_summary_day *d = calloc(400, sizeof(*d));
	cs_summary	s = {0, 2, labels, values, 400, d, 0, NULL, NULL};
	cs_err		err;
	cs_xlsx    *x = open_book();
	char	   *c1;

	for (int i = 0; i < 400; i++)
	{
		d[i].year = 2024 + i / 336;
		d[i].month = 1 + (i / 28) % 12;
		d[i].day = 1 + i % 28;
		d[i].created = i;
		d[i].wait_p50 = d[i].wait_p90 = d[i].res_p50 = NAN;
		d[i].op_wait_p50 = d[i].op_wait_p90 = d[i].op_res_p50 = NAN;
	}
	assert_int_equal(cs_xlsx_summary(x, &s, &err), CS_OK);
	data_sheet(x, "UserChat data", 1);
	assert_int_equal(cs_xlsx_summary_counts(x, &err), CS_OK);
	assert_int_equal(cs_xlsx_close(x, &err), CS_OK);
	cs_xlsx_free(x);
	c1 = member("xl/charts/chart1.xml");
	assert_non_null(strstr(c1, "Summary!$A$8:$A$407"));
	free(c1);
	free(d);
	assert_true(cs_summary_date_serial(1970, 1, 1) == 25569.0);
	assert_true(cs_summary_date_serial(2025, 3, 1) == 45717.0);
}

/* A day before Excel's 1900 epoch (bad data) is written as text, not refused. */
static void
test_day_before_1900(void **state)
{
	cs_summary_day old[2] = {
		{1899, 12, 31, 1, 0, NAN, NAN, NAN, NAN, NAN, NAN, 0},
		{2025, 3, 1, 2, 1, 1.5, 3.0, 10.0, NAN, NAN, NAN, 0},
	};
	cs_summary	s = {0, 2, labels, values, 2, old, 0, NULL, NULL};
	cs_err		err;
	cs_xlsx    *x = open_book();
	char	   *sheet;

	assert_int_equal(cs_xlsx_summary(x, &s, &err), CS_OK);
	data_sheet(x, "UserChat data", 3);
	assert_int_equal(cs_xlsx_summary_counts(x, &err), CS_OK);
	assert_int_equal(cs_xlsx_close(x, &err), CS_OK);
	cs_xlsx_free(x);
	sheet = member("xl/worksheets/sheet1.xml");
	assert_non_null(sheet);
	assert_non_null(strstr(sheet, "1899-12-31"));
	assert_non_null(strstr(sheet, "<v>45717</v>"));	/* 2025-03-01: a date serial */
	free(sheet);
}

static void
test_misuse_and_errors(void **state)
{
	cs_summary	s = {0, 2, labels, values, 3, days, 2, assignees, NULL};
	cs_summary_day bad = {2024, 13, 1, 1, 0, NAN, NAN, NAN, NAN, NAN, NAN, 0};
	cs_summary	sbad = {0, 2, labels, values, 1, &bad, 0, NULL, NULL};
	cs_err		err;
	cs_xlsx    *x;

	/* not first */
	x = open_book();
	data_sheet(x, "UserChat data", 1);
	assert_int_equal(cs_xlsx_summary(x, &s, &err), CS_ERR_BADARG);
	assert_int_equal(cs_xlsx_summary_counts(x, &err), CS_ERR_BADARG);
	cs_xlsx_free(x);
	assert_int_equal(access(path, F_OK), -1);

	/* twice */
	x = open_book();
	assert_int_equal(cs_xlsx_summary(x, &s, &err), CS_OK);
	assert_int_equal(cs_xlsx_summary(x, &s, &err), CS_ERR_BADARG);
	cs_xlsx_free(x);			/* charts and sheet freed unwritten */

	/* no date at all: an error, everything freed */
	x = open_book();
	assert_int_equal(cs_xlsx_summary(x, &sbad, &err), CS_ERR_BADARG);
	cs_xlsx_free(x);
	assert_int_equal(cs_xlsx_summary(NULL, &s, &err), CS_ERR_BADARG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout_and_charts),
		cmocka_unit_test(test_empty_tables),
		cmocka_unit_test(test_many_days),
		cmocka_unit_test(test_day_before_1900),
		cmocka_unit_test(test_misuse_and_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
