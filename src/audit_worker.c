/*-------------------------------------------------------------------------
 *
 * audit_worker.c
 *	  Durable audit appends in a transaction of their own.
 *
 *	  An export's audit row must be committed before the first byte of the
 *	  file leaves the database (returned as bytea or renamed to its final
 *	  name), and a rollback of the caller must not remove it.  The row is
 *	  therefore written by a short-lived dynamic background worker, as
 *	  autonomous-transaction extensions do:
 *
 *	  caller                               audit worker
 *	  ------                               ------------
 *	  copy the row's parameters into a
 *	  DSM segment, register the worker --> attach, connect to the same
 *	                                       database as the extension owner
 *	                                       (the bootstrap superuser if the
 *	                                       owner may not log in),
 *	                                       synchronous_commit = on,
 *	                                       read committed, lock_timeout,
 *	                                       a 60 s statement timeout,
 *	                                       SELECT _export_audit_append(...),
 *	                                       COMMIT, write id and row hash
 *	                                       into the segment, LOG the new
 *	  wait for the worker to exit   <--    chain head, exit
 *	  committed? id : ERROR
 *
 *	  Edges: no free worker slot (max_worker_processes is shared with
 *	  parallel query, logical replication and pg_cron) is an ERROR before
 *	  anything is delivered; so is any failure of the worker (its SQLSTATE
 *	  and message are passed back).  The head-row lock that orders appends
 *	  is held only for the worker's own transaction, and lock_timeout turns
 *	  a caller that holds a conflicting lock into an error instead of an
 *	  undetectable wait (the deadlock detector cannot see that the caller
 *	  waits for the worker).  A caller cancelled while it waits may find
 *	  the row committed anyway: an audit row means "produced and handed
 *	  out", never less.
 *
 *	  With synchronous replication the commit also waits for the standbys:
 *	  while none answers, the worker waits (cancels are ignored then, so a
 *	  row that only committed locally is never reported as committed), it
 *	  holds the chain's lock, and other exports fail after
 *	  csstats.audit_lock_timeout, as any commit of that server waits.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/dsm.h"
#include "storage/ipc.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timeout.h"

#include "audit_worker.h"
#include "pause.h"

int			csstats_audit_lock_timeout = 5000;

#define AUDIT_MAX_PARAMS 24
#define AUDIT_STATEMENT_TIMEOUT_MS 60000
#define AUDIT_APPEND_SQL \
	"SELECT a.id, a.row_hash FROM csstats._export_audit_append(" \
	"$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) a"
#define AUDIT_APPEND_NPARAMS 19
/*
 * A database still at extension version 0.1.0 (the library is updated first,
 * ALTER EXTENSION csstats UPDATE runs later) has the 17-parameter append that
 * returns the id only and cannot record denied attempts: deliveries are
 * audited through it, denials are not (the caller's error still stands).
 */
#define AUDIT_APPEND_0_2_SIGNATURE \
	"csstats._export_audit_append(text, text, text, text, text, text, boolean, text, " \
	"timestamptz, timestamptz, timestamptz, jsonb, jsonb, bigint, text, text, text, text, text)"
#define AUDIT_APPEND_0_1_SQL \
	"SELECT csstats._export_audit_append($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
#define AUDIT_ROW_HASH_SQL \
	"SELECT a.id, a.row_hash FROM csstats.export_audit a WHERE a.id OPERATOR(pg_catalog.=) $1"
#define AUDIT_APPEND_0_1_NPARAMS 17
#define AUDIT_PARAM_OUTCOME 17

/* What caller and worker share: the parameters in, the outcome out. */
typedef struct AuditShared
{
	Oid			dboid;
	Oid			userid;
	int			lock_timeout_ms;
	char		pause_at[64];
	int			nparams;
	Oid			types[AUDIT_MAX_PARAMS];
	char		nulls[AUDIT_MAX_PARAMS];
	int64		byval[AUDIT_MAX_PARAMS];
	Size		offset[AUDIT_MAX_PARAMS];	/* varlena copy in data[] */

	/* written by the worker, read once it has exited */
	bool		committed;
	int64		id;
	char		row_hash[65];
	int			sqlerrcode;
	char		message[512];

	char		data[FLEXIBLE_ARRAY_MEMBER];
} AuditShared;

void
AuditWorkerInit(void)
{
	DefineCustomIntVariable("csstats.audit_lock_timeout",
							"Longest wait of the audit worker for the audit chain's lock.",
							"The export fails instead of waiting longer, e.g. when the caller itself holds the lock.",
							&csstats_audit_lock_timeout,
							5000, 1, 600000,
							PGC_SUSET, GUC_UNIT_MS,
							NULL, NULL, NULL);
}

static bool
TypeByValue(Oid type)
{
	switch (type)
	{
		case BOOLOID:
		case INT8OID:
		case TIMESTAMPTZOID:
			return true;
		case TEXTOID:
		case JSONBOID:
			return false;
		default:
			elog(ERROR, "audit parameter type %u is not supported", type);
			return false;		/* keep compiler quiet */
	}
}

/*
 * WorkerRole
 *		The role the worker connects as: the extension owner, or, when the
 *		owner may not log in (PostgreSQL 15 has no way for a worker to skip
 *		that check), the bootstrap superuser.  A clear error when neither may.
 */
static Oid
WorkerRole(Oid owner)
{
	Oid			candidates[2] = {owner, BOOTSTRAP_SUPERUSERID};
	int			i;

	for (i = 0; i < 2; i++)
	{
		HeapTuple	tup = SearchSysCache1(AUTHOID, ObjectIdGetDatum(candidates[i]));
		bool		ok;

		if (!HeapTupleIsValid(tup))
			continue;
		ok = ((Form_pg_authid) GETSTRUCT(tup))->rolcanlogin &&
			(i == 0 ? true : ((Form_pg_authid) GETSTRUCT(tup))->rolsuper);
		ReleaseSysCache(tup);
		if (ok)
			return candidates[i];
	}
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("the csstats audit worker cannot connect: neither the extension owner \"%s\" nor the bootstrap superuser may log in",
					GetUserNameFromId(owner, false)),
			 errdetail("The export was not delivered: its audit row could not be written."),
			 errhint("ALTER ROLE %s LOGIN (the audit worker connects as the extension owner).",
					 quote_identifier(GetUserNameFromId(owner, false)))));
	return InvalidOid;			/* keep compiler quiet */
}

/*
 * AuditAppendDurable
 *		Run csstats._export_audit_append with these parameters in the audit
 *		worker and return the committed row's id (and its row_hash).
 */
int64
AuditAppendDurable(int nparams, const Oid *types, const Datum *values,
				   const char *nulls, Oid owner, char *row_hash_out)
{
	Size		size = MAXALIGN(offsetof(AuditShared, data));
	Datum		detoasted[AUDIT_MAX_PARAMS];
	dsm_segment *seg;
	AuditShared *sh;
	BackgroundWorker worker;
	BackgroundWorkerHandle *handle;
	BgwHandleStatus status;
	pid_t		pid;
	Size		pos;
	int			i;

	if (nparams != AUDIT_APPEND_NPARAMS)
		elog(ERROR, "audit append takes %d parameters, got %d", AUDIT_APPEND_NPARAMS, nparams);

	for (i = 0; i < nparams; i++)
	{
		detoasted[i] = (Datum) 0;
		if (nulls[i] != 'n' && !TypeByValue(types[i]))
		{
			detoasted[i] = PointerGetDatum(PG_DETOAST_DATUM(values[i]));
			size += MAXALIGN(VARSIZE(DatumGetPointer(detoasted[i])));
		}
	}

	seg = dsm_create(size, 0);
	sh = dsm_segment_address(seg);
	memset(sh, 0, offsetof(AuditShared, data));
	sh->dboid = MyDatabaseId;
	sh->userid = WorkerRole(owner);
	sh->lock_timeout_ms = csstats_audit_lock_timeout;
#ifdef CSSTATS_PAUSE_POINTS
	if (csstats_test_pause_at != NULL)
		strlcpy(sh->pause_at, csstats_test_pause_at, sizeof(sh->pause_at));
#endif
	sh->nparams = nparams;
	pos = 0;
	for (i = 0; i < nparams; i++)
	{
		sh->types[i] = types[i];
		sh->nulls[i] = nulls[i] == 'n' ? 'n' : ' ';
		if (nulls[i] == 'n')
			continue;
		if (TypeByValue(types[i]))
			sh->byval[i] = types[i] == BOOLOID ? (int64) DatumGetBool(values[i])
				: DatumGetInt64(values[i]);
		else
		{
			Size		len = VARSIZE(DatumGetPointer(detoasted[i]));

			sh->offset[i] = pos;
			memcpy(sh->data + pos, DatumGetPointer(detoasted[i]), len);
			pos += MAXALIGN(len);
		}
	}

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	strlcpy(worker.bgw_library_name, "csstats", BGW_MAXLEN);
	strlcpy(worker.bgw_function_name, "csstats_audit_worker_main", BGW_MAXLEN);
	snprintf(worker.bgw_name, BGW_MAXLEN, "csstats audit worker for PID %d", MyProcPid);
	strlcpy(worker.bgw_type, "csstats audit worker", BGW_MAXLEN);
	worker.bgw_main_arg = UInt32GetDatum(dsm_segment_handle(seg));
	worker.bgw_notify_pid = MyProcPid;

	if (!RegisterDynamicBackgroundWorker(&worker, &handle))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
				 errmsg("could not start the csstats audit worker: no background worker slot is free"),
				 errdetail("The export was not delivered: its audit row could not be written. "
						   "max_worker_processes (%d) is shared with parallel query, logical replication and pg_cron.",
						   max_worker_processes),
				 errhint("Try again later, or raise max_worker_processes.")));

	status = WaitForBackgroundWorkerStartup(handle, &pid);
	if (status == BGWH_POSTMASTER_DIED)
		ereport(ERROR,
				(errcode(ERRCODE_ADMIN_SHUTDOWN),
				 errmsg("the postmaster died while the csstats audit worker started")));
	if (status == BGWH_STARTED)
		status = WaitForBackgroundWorkerShutdown(handle);
	if (status == BGWH_POSTMASTER_DIED)
		ereport(ERROR,
				(errcode(ERRCODE_ADMIN_SHUTDOWN),
				 errmsg("the postmaster died while the csstats audit worker ran")));

	/* the worker has exited: what it wrote is final */
	pg_memory_barrier();
	if (!sh->committed)
	{
		if (sh->message[0] != '\0')
			ereport(ERROR,
					(errcode(sh->sqlerrcode ? sh->sqlerrcode : ERRCODE_INTERNAL_ERROR),
					 errmsg("could not write the export audit row: %s", sh->message),
					 errdetail("Nothing was delivered.")));
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("the csstats audit worker exited before committing the export audit row"),
				 errdetail("Nothing was delivered; the server log has the worker's error.")));
	}
	if (row_hash_out != NULL)
		strlcpy(row_hash_out, sh->row_hash, 65);
	{
		int64		id = sh->id;

		dsm_detach(seg);
		return id;
	}
}

/*
 * csstats_audit_worker_main
 *		Entry point of the audit worker (see the file header).
 */
PGDLLEXPORT void csstats_audit_worker_main(Datum main_arg);

void
csstats_audit_worker_main(Datum main_arg)
{
	dsm_segment *seg;
	AuditShared *sh;
	Datum		values[AUDIT_MAX_PARAMS];
	char		timeout[32];
	int			i;
	int			rc;
	bool		isnull;
	volatile int64 id = 0;
	char	   *row_hash;
	bool		old_schema;

	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	seg = dsm_attach(DatumGetUInt32(main_arg));
	if (seg == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("csstats audit worker: the export that started it is gone")));
	sh = dsm_segment_address(seg);

	PG_TRY();
	{
		BackgroundWorkerInitializeConnectionByOid(sh->dboid, sh->userid, 0);

		/*
		 * Durable before the caller delivers, and independent of whatever a
		 * database or role default says (ALTER DATABASE ... SET): read
		 * committed (the head-row lock orders appends; repeatable read would
		 * fail concurrent ones), writable, bounded lock waits.
		 */
		SetConfigOption("synchronous_commit", "on", PGC_SUSET, PGC_S_OVERRIDE);
		SetConfigOption("default_transaction_isolation", "read committed", PGC_SUSET, PGC_S_OVERRIDE);
		SetConfigOption("default_transaction_read_only", "off", PGC_SUSET, PGC_S_OVERRIDE);
		SetConfigOption("default_transaction_deferrable", "off", PGC_SUSET, PGC_S_OVERRIDE);
		snprintf(timeout, sizeof(timeout), "%d", sh->lock_timeout_ms);
		SetConfigOption("lock_timeout", timeout, PGC_SUSET, PGC_S_OVERRIDE);
		SetConfigOption("search_path", "pg_catalog, pg_temp", PGC_SUSET, PGC_S_OVERRIDE);
		SetConfigOption("application_name", "csstats audit worker", PGC_USERSET, PGC_S_SESSION);

		for (i = 0; i < sh->nparams; i++)
		{
			if (sh->nulls[i] == 'n')
				values[i] = (Datum) 0;
			else if (sh->types[i] == BOOLOID)
				values[i] = BoolGetDatum(sh->byval[i] != 0);
			else if (TypeByValue(sh->types[i]))
				values[i] = Int64GetDatum(sh->byval[i]);
			else
				values[i] = PointerGetDatum(sh->data + sh->offset[i]);
		}

		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		/* the statement_timeout setting is armed only for client statements */
		enable_timeout_after(STATEMENT_TIMEOUT, AUDIT_STATEMENT_TIMEOUT_MS);
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		PushActiveSnapshot(GetTransactionSnapshot());
		pgstat_report_activity(STATE_RUNNING, "csstats audit append");
		rc = SPI_execute("SELECT pg_catalog.to_regprocedure('" AUDIT_APPEND_0_2_SIGNATURE "') IS NULL",
						 true, 1);
		if (rc != SPI_OK_SELECT || SPI_processed != 1)
			elog(ERROR, "could not look up the audit append function");
		old_schema = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		if (old_schema)
		{
			char	   *outcome = text_to_cstring((text *) (sh->data + sh->offset[AUDIT_PARAM_OUTCOME]));

			if (strcmp(outcome, "delivered") != 0)
			{
				/* 0.1.0 has no place for a refusal: nothing to write */
				SPI_finish();
				PopActiveSnapshot();
				CommitTransactionCommand();
				sh->id = 0;
				pg_write_barrier();
				sh->committed = true;
				dsm_detach(seg);
				proc_exit(0);
			}
			rc = SPI_execute_with_args(AUDIT_APPEND_0_1_SQL, AUDIT_APPEND_0_1_NPARAMS,
									   sh->types, values, sh->nulls, false, 1);
			if (rc == SPI_OK_SELECT && SPI_processed == 1)
			{
				Oid			int8type = INT8OID;
				Datum		newid = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

				if (isnull)
					elog(ERROR, "the audit append returned no id");
				rc = SPI_execute_with_args(AUDIT_ROW_HASH_SQL, 1, &int8type, &newid, NULL, false, 1);
			}
		}
		else
			rc = SPI_execute_with_args(AUDIT_APPEND_SQL, sh->nparams, sh->types, values,
									   sh->nulls, false, 1);
		if (rc != SPI_OK_SELECT || SPI_processed != 1)
			elog(ERROR, "the audit append returned %s", SPI_result_code_string(rc));
		id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		if (isnull)
			elog(ERROR, "the audit append returned no id");
		row_hash = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
		if (row_hash == NULL || strlen(row_hash) != 64)
			elog(ERROR, "the audit append returned no row hash");
		strlcpy(sh->row_hash, row_hash, sizeof(sh->row_hash));
		SPI_finish();
		PopActiveSnapshot();
		disable_timeout(STATEMENT_TIMEOUT, false);
		PausePoint("worker_before_commit", sh->pause_at);

		/*
		 * A cancel during the commit's wait for synchronous standbys would
		 * end the wait with the row committed locally only, and the caller
		 * would deliver: ignore cancels from here.  A terminate still ends
		 * the worker before it reports the commit, so nothing is delivered.
		 */
		pqsignal(SIGINT, SIG_IGN);
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(TopMemoryContext);
		edata = CopyErrorData();
		sh->sqlerrcode = edata->sqlerrcode;
		strlcpy(sh->message, edata->message ? edata->message : "unknown error",
				sizeof(sh->message));
		PG_RE_THROW();
	}
	PG_END_TRY();

	/* committed (synchronous_commit = on: flushed) */
	sh->id = id;
	pg_write_barrier();
	sh->committed = true;
	pgstat_report_activity(STATE_IDLE, NULL);
	/* the anchor outside the table: verify_audit(head_id, head_hash) */
	ereport(LOG,
			(errmsg("csstats audit chain head: id " INT64_FORMAT ", row_hash %s",
					id, sh->row_hash)));
	PausePoint("worker_after_commit", sh->pause_at);
	dsm_detach(seg);
	proc_exit(0);
}
