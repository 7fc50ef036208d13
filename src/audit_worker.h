/*-------------------------------------------------------------------------
 *
 * audit_worker.h
 *	  Durable audit appends through a dynamic background worker (see
 *	  audit_worker.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef CSSTATS_AUDIT_WORKER_H
#define CSSTATS_AUDIT_WORKER_H

extern int	csstats_audit_lock_timeout;

extern void AuditWorkerInit(void);
extern int64 AuditAppendDurable(int nparams, const Oid *types, const Datum *values,
								const char *nulls, Oid owner, char *row_hash_out);

#endif							/* CSSTATS_AUDIT_WORKER_H */
