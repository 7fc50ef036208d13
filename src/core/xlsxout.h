/*
 * xlsxout.h - streaming XLSX writer over libxlsxwriter (constant-memory mode)
 * that enforces the export cell rules (spec/export.md):
 *
 *  - Strings are always written as text, never as formulas ("=1+1" stays
 *    text).  Invalid UTF-8 sequences and characters XML 1.0 cannot carry
 *    (C0 controls other than tab/LF/CR, U+FFFE, U+FFFF) become U+FFFD.  A
 *    literal "_xHHHH_" in the text is escaped as "_x005F_xHHHH_" so Excel
 *    shows it as written instead of decoding it as an OOXML escape.
 *  - Text longer than 32,767 characters (counted in UTF-16 code units, as
 *    Excel counts) is cut to fit and ends with the marker CS_XLSX_TRUNC_MARK
 *    ("…[truncated]", 12 characters): the cell then holds exactly 32,767
 *    units or fewer.  Never an error.
 *  - A sheet holds at most 1,048,576 rows including its header row; the next
 *    row continues in a new sheet "<name> (2)", "(3)", ... with the header
 *    row repeated.  Names are cut so the suffix fits Excel's 31 characters.
 *  - Date-times are Excel serial numbers (1900 date system, already in the
 *    wanted local time) shown with the format "yyyy-mm-dd hh:mm:ss"; their
 *    column is widened so the value is visible.
 *  - Integers beyond 15 significant digits (|v| > 999,999,999,999,999) are
 *    written as text so no digit is lost; NaN/Infinity numbers are written as
 *    the text "NaN", "Infinity", "-Infinity" (XLSX cannot store them).
 *
 * Rows are written in order, cell by cell, left to right:
 *
 *     x = cs_xlsx_open(path, &opts, &err);
 *     cs_xlsx_add_sheet(x, "UserChat data", &err);
 *     cs_xlsx_header(x, names, n, &err);
 *     for each row: cs_xlsx_row(x, &err); cs_xlsx_string(...); cs_xlsx_number(...); ...
 *     cs_xlsx_add_sheet(x, "User data", &err); ...
 *     cs_xlsx_close(x, &err);      (writes the file)
 *     cs_xlsx_rows(x, 0) ...       (row counts per logical sheet)
 *     cs_xlsx_free(x);             (always; discards and unlinks an unclosed file)
 *
 * Memory is bounded by one row (libxlsxwriter constant_memory) plus the
 * registered headers.  libxlsxwriter's temporary files go into opts->tmpdir,
 * a private directory the caller creates and removes; they are unlinked as
 * soon as they are created.  cs_xlsx_free() may be called at any point,
 * including after a longjmp between two calls.
 */
#ifndef CS_CORE_XLSXOUT_H
#define CS_CORE_XLSXOUT_H

#include <stddef.h>
#include <stdint.h>

#include "cserr.h"

#define CS_XLSX_MAX_ROWS		1048576 /* per sheet, header included */
#define CS_XLSX_MAX_COLS		16384
#define CS_XLSX_MAX_CELL_UNITS	32767	/* UTF-16 code units per cell */
#define CS_XLSX_MAX_SHEETNAME	31
#define CS_XLSX_TRUNC_MARK		"\xE2\x80\xA6[truncated]"	/* "…[truncated]" */
#define CS_XLSX_DATETIME_FORMAT "yyyy-mm-dd hh:mm:ss"
/* Unix time of 2000-01-01 00:00:00 UTC, the PostgreSQL epoch. */
#define CS_PG_EPOCH_UNIX		INT64_C(946684800)

typedef struct cs_xlsx cs_xlsx;

typedef struct cs_xlsx_opts
{
	const char *tmpdir;			/* required: private temp directory */
	int			deterministic;	/* docProps created = 2000-01-01T00:00:00Z */
	int			has_created;	/* else use created (below) when set, else now */
	int64_t		created;		/* microseconds since 2000-01-01 UTC */
	int			zip64;			/* ZIP64 container (parts over 4 GB) */
} cs_xlsx_opts;

/* Start a workbook at path (created by cs_xlsx_close; must not be in use). */
extern cs_xlsx *cs_xlsx_open(const char *path, const cs_xlsx_opts *opts, cs_err *err);

/*
 * Start a new logical sheet; it becomes the current one.  The name must be
 * 1..31 characters of valid UTF-8 without []:*?/\ and not start or end with
 * an apostrophe, and not used yet (Excel compares case-insensitively).
 */
extern cs_status cs_xlsx_add_sheet(cs_xlsx *x, const char *name, cs_err *err);

/* Register and write the header row of the current sheet (once, before rows). */
extern cs_status cs_xlsx_header(cs_xlsx *x, const char *const *names, int ncols,
								cs_err *err);

/* Start the next data row of the current sheet (rolls over to a new sheet). */
extern cs_status cs_xlsx_row(cs_xlsx *x, cs_err *err);

/* Cells of the current row, left to right.  s need not be NUL-terminated. */
extern cs_status cs_xlsx_string(cs_xlsx *x, const char *s, size_t len, cs_err *err);
extern cs_status cs_xlsx_number(cs_xlsx *x, double v, cs_err *err);
extern cs_status cs_xlsx_integer(cs_xlsx *x, int64_t v, cs_err *err);
extern cs_status cs_xlsx_boolean(cs_xlsx *x, int v, cs_err *err);
extern cs_status cs_xlsx_blank(cs_xlsx *x, cs_err *err);

/*
 * Date-time as an Excel serial number (days since 1899-12-30, fraction =
 * time of day), already in local time.  Must be in [61, 2958466), i.e.
 * 1900-03-01 .. 9999-12-31; otherwise CS_ERR_BADARG.
 */
extern cs_status cs_xlsx_datetime_serial(cs_xlsx *x, double serial, cs_err *err);

/*
 * Date-time as local wall-clock microseconds since 2000-01-01 00:00 (a
 * PostgreSQL timestamp without time zone, or a TimestampTz plus the zone
 * offset).  Values before 1900-03-01 or after 9999 are written as the text
 * "YYYY-MM-DD hh:mm:ss" (Excel cannot show them as dates).
 */
extern cs_status cs_xlsx_datetime_local(cs_xlsx *x, int64_t local_usec, cs_err *err);

/*
 * Write the file.  Call cs_xlsx_free() afterwards in every case.  Keeps no
 * static state and formats errno with strerror_r, so it may run in a helper
 * thread (the backend does, see close_thread.c).  Failing to create the
 * file or a temporary file is CS_ERR_IO with err->sys_errno.
 */
extern cs_status cs_xlsx_close(cs_xlsx *x, cs_err *err);

/* Discard (unlinking an unwritten or partly written file) and free; NULL ok. */
extern void cs_xlsx_free(cs_xlsx *x);

/* Logical sheets (in the order added), their data rows (header excluded). */
extern int	cs_xlsx_sheet_count(const cs_xlsx *x);
extern const char *cs_xlsx_sheet_name(const cs_xlsx *x, int sheet);
extern int64_t cs_xlsx_rows(const cs_xlsx *x, int sheet);
/* Worksheets actually written (logical sheets plus continuation sheets). */
extern int	cs_xlsx_worksheet_count(const cs_xlsx *x);

/*
 * Text sanitising used for strings (exposed for tests): writes a
 * NUL-terminated, XML-safe, escape-protected and length-limited copy of
 * (s, len) into *buf (grown with realloc; caller frees).  *truncated is set
 * when the marker was appended.  Returns 0, or -1 when out of memory.
 */
extern int	cs_xlsx_sanitize(const char *s, size_t len, char **buf, size_t *cap,
							 int *truncated);

#endif							/* CS_CORE_XLSXOUT_H */
