/*-------------------------------------------------------------------------
 *
 * owner.c
 *	  Running one SPI statement as the csstats extension's owner, the way
 *	  pg_cron writes its metadata (SetUserIdAndSecContext with
 *	  SECURITY_LOCAL_USERID_CHANGE, never SECURITY DEFINER).  Used by the
 *	  audit append (audit.c) and the stored passwords (password_store.c).
 *
 *	  An error inside the owner context is fine: transaction and
 *	  subtransaction abort restore the previous user id.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/pg_extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/fmgroids.h"

#include "export.h"

/* The owner of the csstats extension (as pg_cron's CronExtensionOwner). */
Oid
ExportExtensionOwner(void)
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
int
ExportExecuteAsOwner(const char *sql, int nargs, Oid *types, Datum *values,
					 const char *nulls, bool read_only)
{
	Oid			save_userid;
	int			save_sec;
	int			rc;

	GetUserIdAndSecContext(&save_userid, &save_sec);
	SetUserIdAndSecContext(ExportExtensionOwner(),
						   save_sec | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	rc = SPI_execute_with_args(sql, nargs, types, values, nulls, read_only, 0);
	SetUserIdAndSecContext(save_userid, save_sec);
	return rc;
}
