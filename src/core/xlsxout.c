/*
 * xlsxout.c - streaming XLSX writer with the export cell rules (see xlsxout.h).
 */
#include "xlsxout.h"
#include "xlsxout_int.h"
#include "utf8.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MARK_UNITS	12			/* "…[truncated]" in UTF-16 code units */

/* ---- text sanitising --------------------------------------------------- */

static int
xml_char_ok(uint32_t c)
{
	return c == 0x9 || c == 0xA || c == 0xD ||
		(c >= 0x20 && c <= 0xD7FF) ||
		(c >= 0xE000 && c <= 0xFFFD) ||
		(c >= 0x10000 && c <= 0x10FFFF);
}

/* Decode one UTF-8 character; invalid or truncated sequences give U+FFFD, 1 byte. */
static uint32_t
utf8_next(const unsigned char *s, size_t len, size_t *n)
{
	uint32_t	cp;

	*n = cs_utf8_decode(s, len, &cp);
	if (*n == 0)
	{
		*n = 1;
		return 0xFFFD;
	}
	return cp;
}

static int
is_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static size_t
utf8_put(char *o, uint32_t c)
{
	if (c < 0x80)
	{
		o[0] = (char) c;
		return 1;
	}
	if (c < 0x800)
	{
		o[0] = (char) (0xC0 | (c >> 6));
		o[1] = (char) (0x80 | (c & 0x3F));
		return 2;
	}
	if (c < 0x10000)
	{
		o[0] = (char) (0xE0 | (c >> 12));
		o[1] = (char) (0x80 | ((c >> 6) & 0x3F));
		o[2] = (char) (0x80 | (c & 0x3F));
		return 3;
	}
	o[0] = (char) (0xF0 | (c >> 18));
	o[1] = (char) (0x80 | ((c >> 12) & 0x3F));
	o[2] = (char) (0x80 | ((c >> 6) & 0x3F));
	o[3] = (char) (0x80 | (c & 0x3F));
	return 4;
}

int
cs_xlsx_sanitize(const char *str, size_t len, char **buf, size_t *cap, int *truncated)
{
	const unsigned char *s = (const unsigned char *) str;
	size_t		i = 0,
				o = 0,
				cut = 0;
	size_t		units = 0;		/* UTF-16 units of the text Excel will hold */
	size_t		chars = 0;		/* code points handed to libxlsxwriter */

	*truncated = 0;
	for (;;)
	{
		uint32_t	c;
		size_t		n;
		int			esc;
		size_t		u,
					k;

		/* room for one escaped character or the marker plus the NUL */
		if (*cap < o + 32)
		{
			size_t		ncap = *cap ? *cap * 2 : 256;
			char	   *nb = realloc(*buf, ncap);

			if (nb == NULL)
				return -1;
			*buf = nb;
			*cap = ncap;
		}
		if (i >= len)
			break;
		c = utf8_next(s + i, len - i, &n);
		if (!xml_char_ok(c))
			c = 0xFFFD;
		/* "_xHHHH_" would be decoded by Excel: protect its underscore */
		esc = c == '_' && len - i >= 7 && s[i + 1] == 'x' && is_hex(s[i + 2]) &&
			is_hex(s[i + 3]) && is_hex(s[i + 4]) && is_hex(s[i + 5]) && s[i + 6] == '_';
		u = c >= 0x10000 ? 2 : 1;
		k = esc ? 7 : 1;
		if (units + u > CS_XLSX_MAX_CELL_UNITS || chars + k > CS_XLSX_MAX_CELL_UNITS)
		{
			o = cut;
			memcpy(*buf + o, CS_XLSX_TRUNC_MARK, sizeof(CS_XLSX_TRUNC_MARK) - 1);
			o += sizeof(CS_XLSX_TRUNC_MARK) - 1;
			*truncated = 1;
			break;
		}
		if (esc)
		{
			memcpy(*buf + o, "_x005F_", 7);
			o += 7;
		}
		else
			o += utf8_put(*buf + o, c);
		i += n;
		units += u;
		chars += k;
		if (units <= CS_XLSX_MAX_CELL_UNITS - MARK_UNITS &&
			chars <= CS_XLSX_MAX_CELL_UNITS - MARK_UNITS)
			cut = o;
	}
	(*buf)[o] = '\0';
	return 0;
}

/* ---- helpers ----------------------------------------------------------- */

static cs_status
lxw_fail(cs_err *err, lxw_error e, const char *what)
{
	return cs_err_set(err, CS_ERR_XLSX, "could not %s: %s", what, lxw_strerror(e));
}

static char *
xstrdup(const char *s)
{
	size_t		n = strlen(s) + 1;
	char	   *d = malloc(n);

	if (d)
		memcpy(d, s, n);
	return d;
}

/* Number of code points in valid UTF-8, or -1. */
static long
utf8_count(const char *s)
{
	size_t		len = strlen(s);
	size_t		i = 0;
	long		count = 0;

	while (i < len)
	{
		size_t		n;
		uint32_t	c = utf8_next((const unsigned char *) s + i, len - i, &n);

		if (c == 0xFFFD && !(n == 3 && memcmp(s + i, "\xEF\xBF\xBD", 3) == 0))
			return -1;
		i += n;
		count++;
	}
	return count;
}

/* Copy of name cut to max_chars code points (name is valid UTF-8). */
static void
copy_chars(char *dst, const char *name, long max_chars)
{
	size_t		len = strlen(name);
	size_t		i = 0;
	long		count = 0;

	while (i < len && count < max_chars)
	{
		size_t		n;

		utf8_next((const unsigned char *) name + i, len - i, &n);
		i += n;
		count++;
	}
	memcpy(dst, name, i);
	dst[i] = '\0';
}

static void
free_sheet(lsheet *sh)
{
	if (sh->header)
	{
		for (int i = 0; i < sh->ncols; i++)
			free(sh->header[i]);
		free(sh->header);
	}
	free(sh->name);
}

static cs_status
write_header_row(cs_xlsx *x, lsheet *sh, cs_err *err)
{
	for (int c = 0; c < sh->ncols; c++)
	{
		int			trunc;
		lxw_error	e;

		if (cs_xlsx_sanitize(sh->header[c], strlen(sh->header[c]), &x->sbuf,
							 &x->scap, &trunc) != 0)
			return cs_err_set(err, CS_ERR_NOMEM, "out of memory for a header cell");
		e = worksheet_write_string(x->ws, 0, (lxw_col_t) c, x->sbuf, x->fmt_head);
		if (e != LXW_NO_ERROR)
			return lxw_fail(err, e, "write a header cell");
	}
	x->row = 0;
	return CS_OK;
}

/* Add worksheet part number "part" (1-based) of the current logical sheet. */
static cs_status
add_worksheet(cs_xlsx *x, lsheet *sh, cs_err *err)
{
	char		name[CS_XLSX_MAX_SHEETNAME * 4 + 16];
	lxw_error	e;

	if (sh->parts == 0)
		snprintf(name, sizeof(name), "%s", sh->name);
	else
	{
		char		suffix[16];

		snprintf(suffix, sizeof(suffix), " (%d)", sh->parts + 1);
		copy_chars(name, sh->name, CS_XLSX_MAX_SHEETNAME - (long) strlen(suffix));
		strcat(name, suffix);
	}
	e = workbook_validate_sheet_name(x->wb, name);
	if (e != LXW_NO_ERROR)
		return cs_err_set(err, e == LXW_ERROR_SHEETNAME_ALREADY_USED ? CS_ERR_BADARG : CS_ERR_XLSX,
						  "invalid sheet name \"%s\": %s", name, lxw_strerror(e));
	x->ws = workbook_add_worksheet(x->wb, name);
	if (x->ws == NULL)
		return cs_err_set(err, CS_ERR_XLSX, "could not add sheet \"%s\"", name);
	sh->parts++;
	x->nworksheets++;
	x->row = -1;
	x->col = 0;
	x->in_row = 0;
	memset(x->widened, 0, sizeof(x->widened));
	if (sh->header)
	{
		worksheet_freeze_panes(x->ws, 1, 0);
		return write_header_row(x, sh, err);
	}
	return CS_OK;
}

/* ---- API --------------------------------------------------------------- */

cs_xlsx *
cs_xlsx_open(const char *path, const cs_xlsx_opts *opts, cs_err *err)
{
	cs_xlsx    *x;
	lxw_workbook_options wo;
	lxw_doc_properties props;

	if (path == NULL || *path == '\0' || opts == NULL || opts->tmpdir == NULL ||
		*opts->tmpdir == '\0')
	{
		cs_err_set(err, CS_ERR_BADARG, "workbook path and temporary directory are required");
		return NULL;
	}
	if ((x = calloc(1, sizeof(*x))) == NULL || (x->path = xstrdup(path)) == NULL)
	{
		free(x);
		cs_err_set(err, CS_ERR_NOMEM, "out of memory for the workbook");
		return NULL;
	}
	x->row = -1;
	memset(&wo, 0, sizeof(wo));
	wo.constant_memory = LXW_TRUE;
	wo.tmpdir = (char *) opts->tmpdir;
	wo.use_zip64 = opts->zip64 ? LXW_TRUE : LXW_FALSE;
	x->wb = workbook_new_opt(path, &wo);
	if (x->wb == NULL)
	{
		cs_err_set(err, CS_ERR_XLSX, "could not create the workbook");
		cs_xlsx_free(x);
		return NULL;
	}
	memset(&props, 0, sizeof(props));
	if (opts->has_created)
		props.created = (time_t) (CS_PG_EPOCH_UNIX +
								  (opts->created - ((opts->created % 1000000 + 1000000) % 1000000)) / 1000000);
	else if (opts->deterministic)
		props.created = (time_t) CS_PG_EPOCH_UNIX;
	if (props.created != 0 && workbook_set_properties(x->wb, &props) != LXW_NO_ERROR)
	{
		cs_err_set(err, CS_ERR_XLSX, "could not set the workbook properties");
		cs_xlsx_free(x);
		return NULL;
	}
	x->fmt_dt = workbook_add_format(x->wb);
	x->fmt_head = workbook_add_format(x->wb);
	if (x->fmt_dt == NULL || x->fmt_head == NULL)
	{
		cs_err_set(err, CS_ERR_XLSX, "could not create cell formats");
		cs_xlsx_free(x);
		return NULL;
	}
	format_set_num_format(x->fmt_dt, CS_XLSX_DATETIME_FORMAT);
	format_set_bold(x->fmt_head);
	return x;
}

static cs_status
check_open(cs_xlsx *x, cs_err *err)
{
	if (x == NULL || x->closed)
		return cs_err_set(err, CS_ERR_BADARG, "workbook is not open");
	return CS_OK;
}

cs_status
cs_xlsx_add_sheet(cs_xlsx *x, const char *name, cs_err *err)
{
	cs_status	rc;
	long		nchars;
	lsheet	   *sh;

	if ((rc = check_open(x, err)) != CS_OK)
		return rc;
	if (name == NULL || (nchars = utf8_count(name)) <= 0 ||
		nchars > CS_XLSX_MAX_SHEETNAME || strpbrk(name, "[]:*?/\\") != NULL ||
		name[0] == '\'' || name[strlen(name) - 1] == '\'')
		return cs_err_set(err, CS_ERR_BADARG,
						  "invalid sheet name: it must be 1 to 31 characters without []:*?/\\ and not start or end with an apostrophe");
	if (x->nsheets == x->sheets_cap)
	{
		int			ncap = x->sheets_cap ? 2 * x->sheets_cap : 16;
		lsheet	   *ns = realloc(x->sheets, (size_t) ncap * sizeof(lsheet));

		if (ns == NULL)
			return cs_err_set(err, CS_ERR_NOMEM, "out of memory for a sheet");
		x->sheets = ns;
		x->sheets_cap = ncap;
	}
	sh = &x->sheets[x->nsheets];
	memset(sh, 0, sizeof(*sh));
	if ((sh->name = xstrdup(name)) == NULL)
		return cs_err_set(err, CS_ERR_NOMEM, "out of memory for a sheet");
	x->nsheets++;
	x->ws = NULL;
	return add_worksheet(x, sh, err);
}

static lsheet *
current(cs_xlsx *x)
{
	return x->nsheets > 0 && x->ws != NULL ? &x->sheets[x->nsheets - 1] : NULL;
}

cs_status
cs_xlsx_header(cs_xlsx *x, const char *const *names, int ncols, cs_err *err)
{
	cs_status	rc;
	lsheet	   *sh;

	if ((rc = check_open(x, err)) != CS_OK)
		return rc;
	if ((sh = current(x)) == NULL)
		return cs_err_set(err, CS_ERR_BADARG, "no sheet to write the header to");
	if (sh->header != NULL || x->row >= 0 || sh->parts != 1)
		return cs_err_set(err, CS_ERR_BADARG,
						  "the header of sheet \"%s\" must be written once, before its rows", sh->name);
	if (ncols <= 0 || ncols > CS_XLSX_MAX_COLS || names == NULL)
		return cs_err_set(err, CS_ERR_BADARG, "a header needs 1 to %d columns", CS_XLSX_MAX_COLS);
	if ((sh->header = calloc((size_t) ncols, sizeof(char *))) == NULL)
		return cs_err_set(err, CS_ERR_NOMEM, "out of memory for the header");
	sh->ncols = ncols;
	for (int i = 0; i < ncols; i++)
		if ((sh->header[i] = xstrdup(names[i] ? names[i] : "")) == NULL)
			return cs_err_set(err, CS_ERR_NOMEM, "out of memory for the header");
	worksheet_freeze_panes(x->ws, 1, 0);
	return write_header_row(x, sh, err);
}

cs_status
cs_xlsx_row(cs_xlsx *x, cs_err *err)
{
	cs_status	rc;
	lsheet	   *sh;

	if ((rc = check_open(x, err)) != CS_OK)
		return rc;
	if ((sh = current(x)) == NULL)
		return cs_err_set(err, CS_ERR_BADARG, "no sheet to write the row to");
	if (x->row + 1 >= CS_XLSX_MAX_ROWS)
	{
		x->ws = NULL;
		if ((rc = add_worksheet(x, sh, err)) != CS_OK)
			return rc;
	}
	x->row++;
	x->col = 0;
	x->in_row = 1;
	sh->rows++;
	return CS_OK;
}

/* Column for the next cell of the current row. */
static cs_status
next_cell(cs_xlsx *x, lxw_col_t *col, cs_err *err)
{
	cs_status	rc;

	if ((rc = check_open(x, err)) != CS_OK)
		return rc;
	if (!x->in_row || x->ws == NULL)
		return cs_err_set(err, CS_ERR_BADARG, "no row started for the cell");
	if (x->col >= CS_XLSX_MAX_COLS)
		return cs_err_set(err, CS_ERR_LIMIT, "a row holds at most %d cells", CS_XLSX_MAX_COLS);
	*col = (lxw_col_t) x->col++;
	return CS_OK;
}

static cs_status
put_text(cs_xlsx *x, lxw_col_t col, const char *s, size_t len, cs_err *err)
{
	int			trunc;
	lxw_error	e;

	if (cs_xlsx_sanitize(s, len, &x->sbuf, &x->scap, &trunc) != 0)
		return cs_err_set(err, CS_ERR_NOMEM, "out of memory for a text cell");
	e = worksheet_write_string(x->ws, (lxw_row_t) x->row, col, x->sbuf, NULL);
	if (e != LXW_NO_ERROR)
		return lxw_fail(err, e, "write a text cell");
	return CS_OK;
}

cs_status
cs_xlsx_string(cs_xlsx *x, const char *s, size_t len, cs_err *err)
{
	lxw_col_t	col = 0;
	cs_status	rc;

	if ((rc = next_cell(x, &col, err)) != CS_OK)
		return rc;
	if (s == NULL)
		return CS_OK;			/* same as blank */
	return put_text(x, col, s, len, err);
}

cs_status
cs_xlsx_number(cs_xlsx *x, double v, cs_err *err)
{
	lxw_col_t	col = 0;
	cs_status	rc;
	lxw_error	e;

	if ((rc = next_cell(x, &col, err)) != CS_OK)
		return rc;
	if (isnan(v))
		return put_text(x, col, "NaN", 3, err);
	if (isinf(v))
		return v > 0 ? put_text(x, col, "Infinity", 8, err) : put_text(x, col, "-Infinity", 9, err);
	e = worksheet_write_number(x->ws, (lxw_row_t) x->row, col, v, NULL);
	if (e != LXW_NO_ERROR)
		return lxw_fail(err, e, "write a number cell");
	return CS_OK;
}

cs_status
cs_xlsx_integer(cs_xlsx *x, int64_t v, cs_err *err)
{
	lxw_col_t	col = 0;
	cs_status	rc;
	lxw_error	e;

	if ((rc = next_cell(x, &col, err)) != CS_OK)
		return rc;
	if (v > INT64_C(999999999999999) || v < -INT64_C(999999999999999))
	{
		char		digits[24];
		int			n = snprintf(digits, sizeof(digits), "%lld", (long long) v);

		return put_text(x, col, digits, (size_t) n, err);
	}
	e = worksheet_write_number(x->ws, (lxw_row_t) x->row, col, (double) v, NULL);
	if (e != LXW_NO_ERROR)
		return lxw_fail(err, e, "write an integer cell");
	return CS_OK;
}

cs_status
cs_xlsx_boolean(cs_xlsx *x, int v, cs_err *err)
{
	lxw_col_t	col = 0;
	cs_status	rc;
	lxw_error	e;

	if ((rc = next_cell(x, &col, err)) != CS_OK)
		return rc;
	e = worksheet_write_boolean(x->ws, (lxw_row_t) x->row, col, v ? 1 : 0, NULL);
	if (e != LXW_NO_ERROR)
		return lxw_fail(err, e, "write a boolean cell");
	return CS_OK;
}

cs_status
cs_xlsx_blank(cs_xlsx *x, cs_err *err)
{
	lxw_col_t	col = 0;

	/* an unformatted blank cell is simply absent from the sheet */
	return next_cell(x, &col, err);
}

static cs_status
put_serial(cs_xlsx *x, lxw_col_t col, double serial, cs_err *err)
{
	lxw_error	e;

	if (!x->widened[col])
	{
		e = worksheet_set_column(x->ws, col, col, 19.5, NULL);
		if (e != LXW_NO_ERROR)
			return lxw_fail(err, e, "set a date column width");
		x->widened[col] = 1;
	}
	e = worksheet_write_number(x->ws, (lxw_row_t) x->row, col, serial, x->fmt_dt);
	if (e != LXW_NO_ERROR)
		return lxw_fail(err, e, "write a date-time cell");
	return CS_OK;
}

/* Serial numbers of 1900-03-01 and of 10000-01-01 (first invalid). */
#define SERIAL_MIN	61.0
#define SERIAL_END	2958466.0
#define SERIAL_2000 36526		/* 2000-01-01 */
#define USEC_PER_DAY INT64_C(86400000000)

cs_status
cs_xlsx_datetime_serial(cs_xlsx *x, double serial, cs_err *err)
{
	lxw_col_t	col = 0;
	cs_status	rc;

	if ((rc = next_cell(x, &col, err)) != CS_OK)
		return rc;
	if (!(serial >= SERIAL_MIN && serial < SERIAL_END))
		return cs_err_set(err, CS_ERR_BADARG,
						  "date-time serial %g is outside Excel's range 1900-03-01 to 9999-12-31", serial);
	return put_serial(x, col, serial, err);
}

/* Civil date from days since 1970-01-01 (H. Hinnant's algorithm). */
static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t		era,
				yoe,
				doy,
				mp;
	uint64_t	doe;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (uint64_t) (z - era * 146097);
	yoe = (int64_t) ((doe - doe / 1460 + doe / 36524 - doe / 146096) / 365);
	doy = (int64_t) doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int) (doy - (153 * mp + 2) / 5 + 1);
	*m = (int) (mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

cs_status
cs_xlsx_datetime_local(cs_xlsx *x, int64_t usec, cs_err *err)
{
	lxw_col_t	col = 0;
	cs_status	rc;
	int64_t		days = usec / USEC_PER_DAY;
	int64_t		rem = usec % USEC_PER_DAY;
	double		serial;

	if ((rc = next_cell(x, &col, err)) != CS_OK)
		return rc;
	if (rem < 0)
	{
		rem += USEC_PER_DAY;
		days--;
	}
	serial = (double) (SERIAL_2000 + days) + (double) rem / (double) USEC_PER_DAY;
	if (serial >= SERIAL_MIN && serial < SERIAL_END)
		return put_serial(x, col, serial, err);
	{
		int64_t		y;
		int			m,
					d;
		int64_t		secs = rem / 1000000;
		char		text[64];
		int			n;

		civil_from_days(days + 10957, &y, &m, &d);	/* 10957 days 1970..2000 */
		n = snprintf(text, sizeof(text), "%04lld-%02d-%02d %02d:%02d:%02d",
					 (long long) y, m, d, (int) (secs / 3600), (int) (secs / 60 % 60),
					 (int) (secs % 60));
		return put_text(x, col, text, (size_t) n, err);
	}
}

cs_status
cs_xlsx_close(cs_xlsx *x, cs_err *err)
{
	cs_status	rc;
	lxw_error	e;

	if ((rc = check_open(x, err)) != CS_OK)
		return rc;
	if (x->nworksheets == 0)
		return cs_err_set(err, CS_ERR_BADARG, "a workbook needs at least one sheet");
	/* workbook_close writes the file and frees the workbook either way */
	e = workbook_close(x->wb);
	x->wb = NULL;
	x->closed = 1;
	x->ws = NULL;
	if (e != LXW_NO_ERROR)
	{
		int			saved = errno;

		unlink(x->path);
		/* I/O errors with their errno: the caller maps ENOSPC to disk full */
		if (e == LXW_ERROR_CREATING_XLSX_FILE)
			return cs_err_set_errno(err, saved, "could not create the workbook file");
		if (e == LXW_ERROR_CREATING_TMPFILE)
			return cs_err_set_errno(err, saved, "could not create a temporary file of the workbook");
		return lxw_fail(err, e, "write the workbook");
	}
	x->written = 1;
	return CS_OK;
}

void
cs_xlsx_free(cs_xlsx *x)
{
	if (x == NULL)
		return;
	if (x->wb)
		lxw_workbook_free(x->wb);
	if (!x->written && x->path)
		unlink(x->path);
	for (int i = 0; i < x->nsheets; i++)
		free_sheet(&x->sheets[i]);
	free(x->sheets);
	free(x->sbuf);
	free(x->path);
	free(x);
}

int
cs_xlsx_sheet_count(const cs_xlsx *x)
{
	return x ? x->nsheets : 0;
}

const char *
cs_xlsx_sheet_name(const cs_xlsx *x, int sheet)
{
	return x && sheet >= 0 && sheet < x->nsheets ? x->sheets[sheet].name : NULL;
}

int64_t
cs_xlsx_rows(const cs_xlsx *x, int sheet)
{
	return x && sheet >= 0 && sheet < x->nsheets ? x->sheets[sheet].rows : -1;
}

int
cs_xlsx_worksheet_count(const cs_xlsx *x)
{
	return x ? x->nworksheets : 0;
}
