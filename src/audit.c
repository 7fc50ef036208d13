/*-------------------------------------------------------------------------
 *
 * audit.c
 *	  The two privileged steps of an export, each run as the extension's
 *	  owner for exactly one SPI statement, the way pg_cron writes its
 *	  metadata (SetUserIdAndSecContext with SECURITY_LOCAL_USERID_CHANGE,
 *	  never SECURITY DEFINER):
 *
 *	  - appending the export_audit row (csstats._export_audit_append keeps
 *	    the SHA-256 hash chain);
 *	  - reading a stored password (csstats.export_passwords), so that a
 *	    scheduled job names a password instead of carrying it in its
 *	    command text.  The caller must have the privileges of the row's
 *	    usable_by role.
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

/* The owner of the csstats extension (as pg_cron's CronExtensionOwner). */
static Oid
ExtensionOwner(void)
{
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData key;
	HeapTuple	tup;
	Oid			owner;

	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_extname, BTEqualStrategyNumber, F_NAMEEQ,
				CStringGetDatum("csstats"));
	scan = systable_beginscan(rel, ExtensionNameIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (!HeapTupleIsValid(tup))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("extension \"csstats\" does not exist")));
	owner = ((Form_pg_extension) GETSTRUCT(tup))->extowner;
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return owner;
}

/* Run one SPI statement as the extension owner; returns the SPI code. */
static int
ExecuteAsOwner(const char *sql, int nargs, Oid *types, Datum *values,
			   const char *nulls, bool read_only)
{
	Oid			save_userid;
	int			save_sec;
	int			rc;

	GetUserIdAndSecContext(&save_userid, &save_sec);
	SetUserIdAndSecContext(ExtensionOwner(),
						   save_sec | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	rc = SPI_execute_with_args(sql, nargs, types, values, nulls, read_only, 0);
	SetUserIdAndSecContext(save_userid, save_sec);
	return rc;
}

/*
 * ExportLookupPassword
 *		The stored password called name, if the calling role may use it.
 *		The same error for "no such name" and "not yours": the names of
 *		other roles' passwords are not revealed.
 */
char *
ExportLookupPassword(const char *name)
{
	Oid			types[1] = {TEXTOID};
	Datum		values[1];
	char	   *password = NULL;
	char	   *usable_by = NULL;
	int			rc;

	values[0] = CStringGetTextDatum(name);
	rc = ExecuteAsOwner("SELECT p.password, p.usable_by::pg_catalog.text "
						"FROM csstats.export_passwords p "
						"WHERE p.name OPERATOR(pg_catalog.=) $1",
						1, types, values, NULL, true);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not read csstats.export_passwords: %s", SPI_result_code_string(rc));
	if (SPI_processed == 1)
	{
		password = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
		usable_by = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
	}
	SPI_freetuptable(SPI_tuptable);
	if (password == NULL || usable_by == NULL ||
		!has_privs_of_role(GetUserId(), get_role_oid(usable_by, true)))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("stored password \"%s\" does not exist or may not be used by role \"%s\"",
						name, GetUserNameFromId(GetUserId(), false)),
				 errhint("A superuser stores passwords in csstats.export_passwords (name, password, usable_by).")));
	return password;
}

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

	rc = ExecuteAsOwner("SELECT csstats._export_audit_append($1, $2, $3, $4, $5, $6, $7, $8, "
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
