/*
 * XLSX layer (src/core/xlsxout.c): the cell-text rules, sheet names and
 * continuation naming, misuse and error paths (under LeakSanitizer).  The
 * cells as Excel-compatible readers see them are checked by the writers suite
 * with openpyxl.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "xlsxout.h"

static char tmpdir[64];

static int
setup(void **state)
{
	strcpy(tmpdir, "/tmp/cs_xlsx_XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int
teardown(void **state)
{
	return rmdir(tmpdir);		/* fails if a test left a file behind */
}

static char *
san(const char *s, size_t len, int *trunc)
{
	char	   *buf = NULL;
	size_t		cap = 0;

	assert_int_equal(cs_xlsx_sanitize(s, len, &buf, &cap, trunc), 0);
	return buf;
}

/* UTF-16 code units of valid UTF-8 */
static size_t
units(const char *s)
{
	size_t		u = 0;

	for (const unsigned char *p = (const unsigned char *) s; *p; p++)
		if ((*p & 0xC0) != 0x80)
			u += (*p >= 0xF0) ? 2 : 1;
	return u;
}

static void
test_sanitize(void **state)
{
	int			t;
	char	   *s;

	s = san("=1+1", 4, &t);
	assert_string_equal(s, "=1+1");
	assert_false(t);
	free(s);
	/* controls other than tab/LF/CR, NUL, U+FFFE/U+FFFF become U+FFFD */
	s = san("a\x01\tb\n\rc\0d\xEF\xBF\xBE", 12, &t);
	assert_string_equal(s, "a\xEF\xBF\xBD\tb\n\rc\xEF\xBF\xBD" "d\xEF\xBF\xBD");
	free(s);
	/* invalid UTF-8: stray continuation, truncated sequence, surrogate, overlong */
	s = san("\x80x\xE2\x82y\xED\xA0\x80\xC0\xAF", 10, &t);
	assert_string_equal(s, "\xEF\xBF\xBDx\xEF\xBF\xBD\xEF\xBF\xBDy"
						"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
	free(s);
	/* OOXML escapes are protected; near misses are untouched */
	s = san("_x0041_ _x004_ _xABCG_ _X0041_ _x00e9_", 38, &t);
	assert_string_equal(s, "_x005F_x0041_ _x004_ _xABCG_ _X0041_ _x005F_x00e9_");
	free(s);
	/* non-BMP kept */
	s = san("\xF0\x9F\x98\x80", 4, &t);
	assert_string_equal(s, "\xF0\x9F\x98\x80");
	free(s);
	s = san("", 0, &t);
	assert_string_equal(s, "");
	free(s);
}

static void
test_truncation(void **state)
{
	size_t		n = 100000;
	char	   *in = malloc(4 * n);
	char	   *s;
	int			t;
	size_t		mark = strlen(CS_XLSX_TRUNC_MARK);

	/* exactly at the limit: kept whole */
	memset(in, 'a', n);
	s = san(in, CS_XLSX_MAX_CELL_UNITS, &t);
	assert_false(t);
	assert_int_equal(strlen(s), CS_XLSX_MAX_CELL_UNITS);
	free(s);
	/* one over: cut to 32,755 + the 12-character marker = 32,767 */
	s = san(in, CS_XLSX_MAX_CELL_UNITS + 1, &t);
	assert_true(t);
	assert_int_equal(units(s), CS_XLSX_MAX_CELL_UNITS);
	assert_string_equal(s + strlen(s) - mark, CS_XLSX_TRUNC_MARK);
	free(s);
	/* surrogate pairs count as two units and are never split */
	for (size_t i = 0; i < n; i++)
		memcpy(in + 4 * i, "\xF0\x9F\x98\x80", 4);
	s = san(in, 4 * n, &t);
	assert_true(t);
	assert_true(units(s) <= CS_XLSX_MAX_CELL_UNITS);
	assert_int_equal(units(s), 2 * 16377 + 12);
	free(s);
	/* protected escapes count 7 characters each for libxlsxwriter's check */
	for (size_t i = 0; i < n / 7; i++)
		memcpy(in + 7 * i, "_x0041_", 7);
	s = san(in, 7 * (n / 7), &t);
	assert_true(t);
	assert_true(strlen(s) - strlen(CS_XLSX_TRUNC_MARK) + 12 <= CS_XLSX_MAX_CELL_UNITS);
	free(s);
	free(in);
}

static cs_xlsx *
open_book(const char *name, char *path)
{
	cs_xlsx_opts o = {.tmpdir = tmpdir, .deterministic = 1};
	cs_err		err;
	cs_xlsx    *x;

	snprintf(path, 128, "%s/%s", tmpdir, name);
	x = cs_xlsx_open(path, &o, &err);
	assert_non_null(x);
	return x;
}

static void
test_sheets_and_misuse(void **state)
{
	char		path[128];
	cs_err		err;
	cs_xlsx    *x = open_book("a.xlsx", path);
	const char *h[] = {"a", "b"};
	struct stat st;

	/* cells before any sheet or row */
	assert_int_equal(cs_xlsx_row(x, &err), CS_ERR_BADARG);
	assert_int_equal(cs_xlsx_add_sheet(x, "", &err), CS_ERR_BADARG);
	assert_int_equal(cs_xlsx_add_sheet(x, "a/b", &err), CS_ERR_BADARG);
	assert_int_equal(cs_xlsx_add_sheet(x, "'quoted'", &err), CS_ERR_BADARG);
	assert_int_equal(cs_xlsx_add_sheet(x, "12345678901234567890123456789012", &err), CS_ERR_BADARG);
	assert_int_equal(cs_xlsx_add_sheet(x, "bad\xFF", &err), CS_ERR_BADARG);
	/* 31 characters, some multibyte, is fine */
	assert_int_equal(cs_xlsx_add_sheet(x, "\xC3\xA9\xC3\xA9\xC3\xA9" "4567890123456789012345678901", &err), CS_OK);
	assert_int_equal(cs_xlsx_string(x, "x", 1, &err), CS_ERR_BADARG);	/* no row */
	assert_int_equal(cs_xlsx_header(x, h, 2, &err), CS_OK);
	assert_int_equal(cs_xlsx_header(x, h, 2, &err), CS_ERR_BADARG);	/* twice */
	assert_int_equal(cs_xlsx_row(x, &err), CS_OK);
	assert_int_equal(cs_xlsx_string(x, "x", 1, &err), CS_OK);
	assert_int_equal(cs_xlsx_datetime_serial(x, 10.0, &err), CS_ERR_BADARG);
	assert_int_equal(cs_xlsx_datetime_serial(x, 2958466.0, &err), CS_ERR_BADARG);
	assert_int_equal(cs_xlsx_add_sheet(x, "UserChat data", &err), CS_OK);
	assert_int_equal(cs_xlsx_add_sheet(x, "userchat DATA", &err), CS_ERR_BADARG);	/* duplicate */
	assert_int_equal(cs_xlsx_sheet_count(x), 3);
	assert_int_equal(cs_xlsx_rows(x, 0), 1);
	assert_int_equal(cs_xlsx_rows(x, 1), 0);
	assert_int_equal(cs_xlsx_rows(x, 7), -1);
	assert_int_equal(stat(path, &st), -1);	/* nothing on disk before close */
	assert_int_equal(cs_xlsx_close(x, &err), CS_OK);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(cs_xlsx_close(x, &err), CS_ERR_BADARG);
	assert_int_equal(cs_xlsx_row(x, &err), CS_ERR_BADARG);
	assert_string_equal(cs_xlsx_sheet_name(x, 2), "userchat DATA");
	cs_xlsx_free(x);
	assert_int_equal(stat(path, &st), 0);	/* a written file is kept */
	assert_int_equal(unlink(path), 0);
}

static void
test_discard_and_errors(void **state)
{
	char		path[128];
	cs_err		err;
	cs_xlsx    *x;
	cs_xlsx_opts o = {.tmpdir = tmpdir};
	struct stat st;

	/* freed without closing, mid-sheet: no file, no leak */
	x = open_book("b.xlsx", path);
	assert_int_equal(cs_xlsx_add_sheet(x, "S", &err), CS_OK);
	for (int r = 0; r < 5000; r++)
	{
		assert_int_equal(cs_xlsx_row(x, &err), CS_OK);
		assert_int_equal(cs_xlsx_string(x, "some text", 9, &err), CS_OK);
		assert_int_equal(cs_xlsx_number(x, r, &err), CS_OK);
	}
	cs_xlsx_free(x);
	assert_int_equal(stat(path, &st), -1);

	/* a workbook without sheets cannot be closed */
	x = open_book("c.xlsx", path);
	assert_int_equal(cs_xlsx_close(x, &err), CS_ERR_BADARG);
	cs_xlsx_free(x);

	/* output directory missing: libxlsxwriter fails at close, an I/O error with its errno */
	x = cs_xlsx_open("/nonexistent-dir/x.xlsx", &o, &err);
	assert_non_null(x);
	assert_int_equal(cs_xlsx_add_sheet(x, "S", &err), CS_OK);
	assert_int_equal(cs_xlsx_close(x, &err), CS_ERR_IO);
	assert_int_equal(err.sys_errno, ENOENT);
	assert_string_equal(err.msg, "could not create the workbook file: No such file or directory");
	cs_xlsx_free(x);

	/* missing arguments */
	assert_null(cs_xlsx_open(NULL, &o, &err));
	assert_int_equal(err.code, CS_ERR_BADARG);
	o.tmpdir = NULL;
	assert_null(cs_xlsx_open("/tmp/x.xlsx", &o, &err));
	cs_xlsx_free(NULL);
}

/*
 * The backend closes the workbook in a helper thread (close_thread.c): the
 * close must fail cleanly there too, its errno text formatted thread-safely
 * into err (strerror_r) while other threads format other errors.  Here the
 * private directory disappears between the last row and the close.
 */
typedef struct CloseArgs
{
	cs_xlsx    *x;
	cs_err		err;
	cs_status	rc;
} CloseArgs;

static void *
close_in_thread(void *arg)
{
	CloseArgs  *a = arg;

	a->rc = cs_xlsx_close(a->x, &a->err);
	return NULL;
}

static void
test_close_fails_in_thread(void **state)
{
	char		dir[64] = "/tmp/cs_xlsx_gone_XXXXXX";
	char		path[128];
	char		buf[256];
	cs_xlsx_opts o = {0};
	CloseArgs	a = {0};
	pthread_t	t;
	cs_err		other;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/export.xlsx", dir);
	o.tmpdir = dir;
	a.x = cs_xlsx_open(path, &o, &a.err);
	assert_non_null(a.x);
	assert_int_equal(cs_xlsx_add_sheet(a.x, "S", &a.err), CS_OK);
	assert_int_equal(cs_xlsx_row(a.x, &a.err), CS_OK);
	assert_int_equal(cs_xlsx_string(a.x, "x", 1, &a.err), CS_OK);
	/* the worksheet's temporary file is already unlinked: the directory is empty */
	assert_int_equal(rmdir(dir), 0);

	assert_int_equal(pthread_create(&t, NULL, close_in_thread, &a), 0);
	/* meanwhile this thread formats another errno */
	cs_err_set_errno(&other, EACCES, "could not open \"%s\"", "f");
	assert_int_equal(pthread_join(t, NULL), 0);

	assert_int_equal(a.rc, CS_ERR_IO);
	assert_int_equal(a.err.code, CS_ERR_IO);
	assert_int_equal(a.err.sys_errno, ENOENT);
	assert_string_equal(a.err.msg, "could not create the workbook file: No such file or directory");
	assert_string_equal(other.msg, "could not open \"f\": Permission denied");
	cs_xlsx_free(a.x);
	assert_int_equal(access(path, F_OK), -1);

	/* an errno without a name still gets a text */
	assert_non_null(strstr(cs_strerror(99999, buf, sizeof(buf)), "99999"));
}

static void
test_cell_kinds(void **state)
{
	char		path[128];
	cs_err		err;
	cs_xlsx    *x = open_book("d.xlsx", path);
	struct stat st;

	assert_int_equal(cs_xlsx_add_sheet(x, "K", &err), CS_OK);
	assert_int_equal(cs_xlsx_row(x, &err), CS_OK);
	assert_int_equal(cs_xlsx_integer(x, INT64_MAX, &err), CS_OK);
	assert_int_equal(cs_xlsx_integer(x, INT64_MIN, &err), CS_OK);
	assert_int_equal(cs_xlsx_number(x, 1.0 / 0.0, &err), CS_OK);
	assert_int_equal(cs_xlsx_number(x, -1.0 / 0.0, &err), CS_OK);
	assert_int_equal(cs_xlsx_boolean(x, 7, &err), CS_OK);
	assert_int_equal(cs_xlsx_blank(x, &err), CS_OK);
	assert_int_equal(cs_xlsx_string(x, NULL, 0, &err), CS_OK);
	assert_int_equal(cs_xlsx_datetime_local(x, 0, &err), CS_OK);
	assert_int_equal(cs_xlsx_datetime_local(x, INT64_MIN / 2, &err), CS_OK);	/* text */
	assert_int_equal(cs_xlsx_datetime_local(x, INT64_MAX / 2, &err), CS_OK);	/* text */
	assert_int_equal(cs_xlsx_close(x, &err), CS_OK);
	cs_xlsx_free(x);
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_size > 1000);
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sanitize),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_sheets_and_misuse),
		cmocka_unit_test(test_discard_and_errors),
		cmocka_unit_test(test_close_fails_in_thread),
		cmocka_unit_test(test_cell_kinds),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
