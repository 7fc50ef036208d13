/*-------------------------------------------------------------------------
 *
 * export_summary.h
 *	  The Summary of an export (export_summary.c): scope, per day, per
 *	  assignee, as the plain C structure the writers draw
 *	  (src/core/xlsxsummary.h).
 *
 *-------------------------------------------------------------------------
 */
#ifndef CSSTATS_EXPORT_SUMMARY_H
#define CSSTATS_EXPORT_SUMMARY_H

#include "xlsxsummary.h"

#include "export.h"

typedef struct ExportSummary
{
	cs_summary	s;				/* arrays and strings in the current context */
} ExportSummary;

/*
 * One extra SQL pass over the request's sheet functions; values are the
 * five sheet arguments (channel_id, since, until, filters, as_of) as SPI
 * parameters.  SPI connected; the caller's rights.
 */
extern ExportSummary *ExportSummaryCompute(ExportRequest *req, int nargs, Oid *types,
										   Datum *values, const char *nulls);

#endif							/* CSSTATS_EXPORT_SUMMARY_H */
