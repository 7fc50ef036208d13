/*-------------------------------------------------------------------------
 *
 * export_request.h
 *	  Checking an export request before anything is read
 *	  (export_request.c): arguments, server-file rights, channel, manager,
 *	  limits.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CSSTATS_EXPORT_REQUEST_H
#define CSSTATS_EXPORT_REQUEST_H

#include "fmgr.h"

#include "export.h"

/* MemoryContextCallback: wipes req->password (arg is the ExportRequest) */
extern void ExportWipePassword(void *arg);

/*
 * The arguments into req, validated.  generated is NULL for the plain
 * forms, else the caller's buffer (PASSWORD_MAX + 1) for the password made
 * here.
 */
extern void ExportParseRequest(FunctionCallInfo fcinfo, ExportKind kind, bool to_file,
							   char *generated, ExportRequest *req);

/* Who may write server files; a refusal is audited (SPI connected). */
extern void ExportCheckAuthorization(ExportRequest *req);

/*
 * The channel (sets req->timezone, req->tz), the manager's permission, the
 * cases range and the chats limit; refusals are audited (SPI connected).
 */
extern void ExportCheckChannelAndLimits(ExportRequest *req);

#endif							/* CSSTATS_EXPORT_REQUEST_H */
