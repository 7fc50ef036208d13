/*-------------------------------------------------------------------------
 *
 * export_errors.h
 *	  Error and interrupt glue between the pure-C core (src/core) and the
 *	  backend, shared by every export file.  It depends on nothing else of
 *	  the export, so every side can include it without an include cycle.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CSSTATS_EXPORT_ERRORS_H
#define CSSTATS_EXPORT_ERRORS_H

#include "cserr.h"

/* The core's interrupt callback: CHECK_FOR_INTERRUPTS (may longjmp). */
extern int	ExportCheckInterrupts(void *arg);

/* ereport(ERROR) a core error as "<what>: <message>" with its SQLSTATE. */
extern void ExportCoreError(const char *what, const cs_err *err) pg_attribute_noreturn();

#endif							/* CSSTATS_EXPORT_ERRORS_H */
