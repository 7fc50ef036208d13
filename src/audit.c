/*-------------------------------------------------------------------------
 *
 * audit.c
 *	  The privileged step of an export, run as the extension's owner
 *	  (owner.c), the way pg_cron writes its metadata
 *	  (SetUserIdAndSecContext with SECURITY_LOCAL_USERID_CHANGE, never
 *	  SECURITY DEFINER): appending the export_audit row
 *	  (csstats._export_audit_append keeps the SHA-256 hash chain).  Stored
 *	  passwords are read in password_store.c.
 *
 *	  Everything else (the sheets) runs with the caller's rights.  An error
 *	  inside the owner context is fine: transaction and subtransaction abort
 *	  restore the previous user id.
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

#include "export.h"

/*
 * ExportAuditAppend
 *		Append the audit row of a finished export; returns its id.
 *		destination may contain "{id}", replaced by the id.
 */
int64
ExportAuditAppend(ExportRequest *req, const ExportCounts *counts, int64 bytes,
				  const char *sha256_hex, const char *destination)
{
	Oid			types[17];
	Datum		values[17];
	char		nulls[17];
	StringInfoData rc_json;
	int			rc;
	int			i;
	bool		isnull;
	int64		id;

	/* rows per sheet, in sheet order (jsonb will normalise the key order) */
	initStringInfo(&rc_json);
	appendStringInfoChar(&rc_json, '{');
	for (i = 0; i < counts->nsheets; i++)
	{
		if (i > 0)
			appendStringInfoString(&rc_json, ", ");
		escape_json(&rc_json, counts->names[i]);
		appendStringInfo(&rc_json, ": " INT64_FORMAT, counts->rows[i]);
	}
	appendStringInfoChar(&rc_json, '}');

	memset(nulls, ' ', sizeof(nulls));
	i = 0;
	/* who: the real caller, captured before the user switch */
	types[i] = TEXTOID;
	values[i++] = CStringGetTextDatum(GetUserNameFromId(GetSessionUserId(), false));
	types[i] = TEXTOID;
	values[i++] = CStringGetTextDatum(GetUserNameFromId(GetUserId(), false));
	types[i] = TEXTOID;
	if (req->manager_id)
		values[i++] = CStringGetTextDatum(req->manager_id);
	else
		nulls[i++] = 'n';
	types[i] = TEXTOID;
	values[i++] = CStringGetTextDatum(req->reason);
	types[i] = TEXTOID;
	values[i++] = CStringGetTextDatum(req->kind == EXPORT_CHATS ? "chats" : "cases");
	types[i] = TEXTOID;
	values[i++] = CStringGetTextDatum(req->format == EXPORT_XLSX ? "xlsx" : "json");
	types[i] = BOOLOID;
	values[i++] = BoolGetDatum(req->include_messages);
	types[i] = TEXTOID;
	values[i++] = CStringGetTextDatum(req->channel_id);
	types[i] = TIMESTAMPTZOID;
	if (req->has_since)
		values[i++] = TimestampTzGetDatum(req->since);
	else
		nulls[i++] = 'n';
	types[i] = TIMESTAMPTZOID;
	if (req->has_until)
		values[i++] = TimestampTzGetDatum(req->until);
	else
		nulls[i++] = 'n';
	types[i] = TIMESTAMPTZOID;
	values[i++] = TimestampTzGetDatum(req->as_of);
	types[i] = JSONBOID;
	values[i++] = JsonbPGetDatum(req->filters);
	types[i] = TEXTOID;
	values[i++] = CStringGetTextDatum(rc_json.data);
	types[i] = INT8OID;
	values[i++] = Int64GetDatum(bytes);
	types[i] = TEXTOID;
	values[i++] = CStringGetTextDatum(sha256_hex);
	types[i] = TEXTOID;
	values[i++] = CStringGetTextDatum(destination);
	types[i] = TEXTOID;
	if (req->password_name)
		values[i++] = CStringGetTextDatum(req->password_name);
	else
		nulls[i++] = 'n';
	Assert(i == lengthof(types));

	rc = ExportExecuteAsOwner("SELECT csstats._export_audit_append($1, $2, $3, $4, $5, $6, $7, $8, "
						"$9, $10, $11, $12, $13::pg_catalog.jsonb, $14, $15, $16, $17)",
							  i, types, values, nulls, false);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not append the export audit row: %s", SPI_result_code_string(rc));
	id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	if (isnull)
		elog(ERROR, "the export audit append returned no id");
	SPI_freetuptable(SPI_tuptable);
	return id;
}
