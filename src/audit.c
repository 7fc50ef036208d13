/*-------------------------------------------------------------------------
 *
 * audit.c
 *	  The audit rows of exports: the parameters of one row (who, what, the
 *	  file's size and SHA-256, or the refusal) for
 *	  csstats._export_audit_append, which the audit worker runs in a
 *	  transaction of its own before anything is delivered
 *	  (audit_worker.c).  Stored passwords are read in password_store.c
 *	  (sealed by password_key.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "audit_worker.h"
#include "export.h"

/*
 * AuditParams
 *		The 19 parameters of csstats._export_audit_append for req; counts,
 *		sha256_hex and destination are NULL for a refused attempt.
 */
#define AUDIT_NPARAMS 19
static void
AuditParams(ExportRequest *req, const ExportCounts *counts, int64 bytes,
			const char *sha256_hex, const char *destination, const char *refusal,
			Oid *types, Datum *values, char *nulls)
{
	int			i = 0;

	memset(nulls, ' ', AUDIT_NPARAMS);
#define PARAM(type, isnull, value) \
	do { types[i] = (type); if (isnull) nulls[i] = 'n'; else values[i] = (value); i++; } while (0)
	/* who: the real caller, captured before any user switch */
	PARAM(TEXTOID, false, CStringGetTextDatum(GetUserNameFromId(GetSessionUserId(), false)));
	PARAM(TEXTOID, false, CStringGetTextDatum(GetUserNameFromId(GetUserId(), false)));
	PARAM(TEXTOID, req->manager_id == NULL,
		  req->manager_id ? CStringGetTextDatum(req->manager_id) : (Datum) 0);
	PARAM(TEXTOID, false, CStringGetTextDatum(req->reason ? req->reason : ""));
	PARAM(TEXTOID, false, CStringGetTextDatum(req->kind == EXPORT_CHATS ? "chats" : "cases"));
	PARAM(TEXTOID, false, CStringGetTextDatum(req->format == EXPORT_XLSX ? "xlsx" : "json"));
	PARAM(BOOLOID, false, BoolGetDatum(req->include_messages));
	PARAM(TEXTOID, false, CStringGetTextDatum(req->channel_id ? req->channel_id : ""));
	PARAM(TIMESTAMPTZOID, !req->has_since, TimestampTzGetDatum(req->since));
	PARAM(TIMESTAMPTZOID, !req->has_until, TimestampTzGetDatum(req->until));
	PARAM(TIMESTAMPTZOID, false, TimestampTzGetDatum(req->as_of));
	PARAM(JSONBOID, req->filters == NULL,
		  req->filters ? JsonbPGetDatum(req->filters) : (Datum) 0);
	if (counts != NULL)
	{
		/* rows per sheet, in sheet order (jsonb normalises the key order) */
		StringInfoData rc_json;
		int			k;

		initStringInfo(&rc_json);
		appendStringInfoChar(&rc_json, '{');
		for (k = 0; k < counts->nsheets; k++)
		{
			if (k > 0)
				appendStringInfoString(&rc_json, ", ");
			escape_json(&rc_json, counts->names[k]);
			appendStringInfo(&rc_json, ": " INT64_FORMAT, counts->rows[k]);
		}
		appendStringInfoChar(&rc_json, '}');
		PARAM(JSONBOID, false, DirectFunctionCall1(jsonb_in, CStringGetDatum(rc_json.data)));
	}
	else
		PARAM(JSONBOID, true, (Datum) 0);
	PARAM(INT8OID, counts == NULL, Int64GetDatum(bytes));
	PARAM(TEXTOID, sha256_hex == NULL, sha256_hex ? CStringGetTextDatum(sha256_hex) : (Datum) 0);
	PARAM(TEXTOID, destination == NULL,
		  destination ? CStringGetTextDatum(destination) : (Datum) 0);
	PARAM(TEXTOID, req->password_name == NULL,
		  req->password_name ? CStringGetTextDatum(req->password_name) : (Datum) 0);
	PARAM(TEXTOID, false, CStringGetTextDatum(refusal ? "denied" : "delivered"));
	PARAM(TEXTOID, refusal == NULL, refusal ? CStringGetTextDatum(refusal) : (Datum) 0);
#undef PARAM
	Assert(i == AUDIT_NPARAMS);
}

/*
 * ExportAuditAppend
 *		Append the audit row of a produced export and commit it durably, in
 *		the audit worker's own transaction, before anything is handed out;
 *		returns its id.  destination may contain "{id}", replaced by the id.
 */
int64
ExportAuditAppend(ExportRequest *req, const ExportCounts *counts, int64 bytes,
				  const char *sha256_hex, const char *destination)
{
	Oid			types[AUDIT_NPARAMS];
	Datum		values[AUDIT_NPARAMS];
	char		nulls[AUDIT_NPARAMS];

	AuditParams(req, counts, bytes, sha256_hex, destination, NULL, types, values, nulls);
	return AuditAppendDurable(AUDIT_NPARAMS, types, values, nulls,
							  ExportExtensionOwner(), NULL);
}

/*
 * ExportAuditDenied
 *		Append the audit row of a refused export (no file, the refusal's
 *		SQLSTATE and message), committed whatever the caller does next.
 */
void
ExportAuditDenied(ExportRequest *req, const char *refusal)
{
	Oid			types[AUDIT_NPARAMS];
	Datum		values[AUDIT_NPARAMS];
	char		nulls[AUDIT_NPARAMS];

	AuditParams(req, NULL, 0, NULL, NULL, refusal, types, values, nulls);
	(void) AuditAppendDurable(AUDIT_NPARAMS, types, values, nulls,
							  ExportExtensionOwner(), NULL);
}
