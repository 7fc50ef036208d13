/*-------------------------------------------------------------------------
 *
 * export_errors.c
 *	  The core's errors as PostgreSQL errors, and its interrupt callback.
 *
 *	  The core (src/core) reports failures as a cs_err (a code, the
 *	  errno of an I/O failure, a message) and polls a callback for
 *	  cancels.  These two functions map both onto the backend: each core
 *	  error code gets its SQLSTATE (a full disk is DISK_FULL, an operator's
 *	  problem), and the callback is CHECK_FOR_INTERRUPTS, so a cancel
 *	  longjmps out of the core at its next poll.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"

#include "export_errors.h"

/*
 * ExportCheckInterrupts
 *		The core's interrupt callback; the core allows a longjmp out of it.
 */
int
ExportCheckInterrupts(void *arg)
{
	CHECK_FOR_INTERRUPTS();
	return 0;
}

/*
 * ExportCoreError
 *		Raise the core error err as an ERROR "<what>: <message>".
 */
void
ExportCoreError(const char *what, const cs_err *err)
{
	int			code;

	switch (err->code)
	{
		case CS_ERR_NOMEM:
			code = ERRCODE_OUT_OF_MEMORY;
			break;
		case CS_ERR_IO:
			/* a full disk is an operator's problem with its own SQLSTATE */
			code = (err->sys_errno == ENOSPC || err->sys_errno == EDQUOT) ?
				ERRCODE_DISK_FULL : ERRCODE_IO_ERROR;
			break;
		case CS_ERR_CANCELED:
			CHECK_FOR_INTERRUPTS();
			code = ERRCODE_QUERY_CANCELED;
			break;
		case CS_ERR_LIMIT:
			code = ERRCODE_PROGRAM_LIMIT_EXCEEDED;
			break;
		case CS_ERR_BADARG:
			code = ERRCODE_INVALID_PARAMETER_VALUE;
			break;
		case CS_ERR_OPENSSL:
		case CS_ERR_XLSX:
		case CS_ERR_ZIP:
			code = ERRCODE_EXTERNAL_ROUTINE_EXCEPTION;
			break;
		default:
			code = ERRCODE_INTERNAL_ERROR;
			break;
	}
	ereport(ERROR,
			(errcode(code),
			 errmsg("%s: %s", what, err->msg[0] ? err->msg : cs_status_name(err->code))));
	pg_unreachable();
}
