/*-------------------------------------------------------------------------
 *
 * close_thread.h
 *	  The workbook close in a helper thread (close_thread.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef CSSTATS_CLOSE_THREAD_H
#define CSSTATS_CLOSE_THREAD_H

#include "xlsxout.h"

typedef struct CloseJob CloseJob;

/*
 * Close x (cs_xlsx_close) in a helper thread while this backend keeps
 * answering interrupts.  *pending points to the running close while it
 * waits, for CloseWorkbookAbandon from a reset callback.  Returns the
 * close's status (its error in *err); the caller still frees x.
 */
extern cs_status CloseWorkbookInThread(cs_xlsx *x, const char *tmpdir,
									   CloseJob **pending, cs_err *err);

/*
 * Called on error or cancel with the pending close, if any.  true: the
 * close was still running and now belongs to its thread, which frees x and
 * removes tmpdir when it is done (the caller must forget both); false: it
 * had finished and is joined (the caller frees x).
 */
extern bool CloseWorkbookAbandon(CloseJob **pending);

#endif							/* CSSTATS_CLOSE_THREAD_H */
