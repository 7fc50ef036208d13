/*
 * xlsxout_int.h - the workbook state shared by xlsxout.c (data sheets) and
 * xlsxsummary.c (the Summary sheet and its charts).  Not for other files.
 */
#ifndef CS_CORE_XLSXOUT_INT_H
#define CS_CORE_XLSXOUT_INT_H

#include <xlsxwriter.h>

#include "xlsxout.h"

typedef struct lsheet
{
	char	   *name;			/* logical name */
	char	  **header;			/* registered header names, or NULL */
	int			ncols;
	int64_t		rows;			/* data rows written */
	int			parts;			/* worksheets used (1 + continuations) */
} lsheet;

struct cs_xlsx
{
	lxw_workbook *wb;
	char	   *path;
	int			closed;			/* cs_xlsx_close ran (workbook freed) */
	int			written;		/* ... and succeeded: keep the file */
	lxw_format *fmt_dt;
	lxw_format *fmt_head;
	lsheet	   *sheets;
	int			nsheets;
	int			sheets_cap;
	int			nworksheets;
	lxw_worksheet *ws;			/* current worksheet */
	int32_t		row;			/* last row used in ws, -1 if none */
	int			col;			/* next column in the current row */
	int			in_row;			/* a data row was started */
	char	   *sbuf;			/* sanitised string buffer */
	size_t		scap;
	uint8_t		widened[CS_XLSX_MAX_COLS];	/* date column widened in ws */
	/* the Summary sheet (xlsxsummary.c), first in the workbook, or NULL */
	lxw_worksheet *summary_ws;
	int32_t		summary_row;	/* its next free row */
};

#endif							/* CS_CORE_XLSXOUT_INT_H */
