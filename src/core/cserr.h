/*
 * cserr.h - error codes and messages shared by the pure C core.
 *
 * Every fallible core function takes a "cs_err *err" (may be NULL) and returns
 * a cs_status: CS_OK (0) on success, otherwise one of the codes below, with
 * err->code set to the same value and err->msg holding a lower-case, one-line
 * description ready to be used as an errmsg()/errdetail() by the PostgreSQL
 * layer.  Messages carry the failing operation and the library detail (errno
 * text, OpenSSL error queue, libxlsxwriter or libzip error string); they never
 * contain a password or key material.
 *
 * No PostgreSQL headers: usable from the unit tests and the CLI tools.
 */
#ifndef CS_CORE_CSERR_H
#define CS_CORE_CSERR_H

#include <stddef.h>

typedef enum cs_status
{
	CS_OK = 0,
	CS_ERR_BADARG,				/* invalid argument (caller bug or bad input) */
	CS_ERR_NOMEM,				/* allocation failed */
	CS_ERR_IO,					/* read/write/open/stat failed; sys_errno set */
	CS_ERR_OPENSSL,				/* an OpenSSL call failed */
	CS_ERR_XLSX,				/* libxlsxwriter reported an error */
	CS_ERR_ZIP,					/* libzip reported an error */
	CS_ERR_CANCELED,			/* the caller's interrupt check asked to stop */
	CS_ERR_LIMIT,				/* a format limit would be exceeded */
	CS_ERR_INTERNAL				/* can't happen: a core invariant failed */
} cs_status;

#define CS_ERR_MSG_MAX 512

typedef struct cs_err
{
	cs_status	code;
	int			sys_errno;		/* errno for CS_ERR_IO, else 0 */
	char		msg[CS_ERR_MSG_MAX];
} cs_err;

/*
 * Interrupt check supplied by the caller of a long-running core operation
 * (key derivation, encryption loop, zip writing).  Return nonzero to stop:
 * the operation then cleans up and fails with CS_ERR_CANCELED.  Where a
 * header says so, the callback may also longjmp out (PostgreSQL's
 * CHECK_FOR_INTERRUPTS); the caller then frees the operation's context.
 */
typedef int (*cs_check_fn) (void *arg);

/* Reset to CS_OK with an empty message. */
extern void cs_err_clear(cs_err *err);

/* Set code and a printf-style message; returns code (for "return cs_err_set(...)"). */
extern cs_status cs_err_set(cs_err *err, cs_status code, const char *fmt,...)
			__attribute__((format(printf, 3, 4)));

/*
 * The text of errno value errnum, thread-safe (strerror_r, never strerror:
 * the workbook close runs in a helper thread, see close_thread.c); buf
 * (256 bytes is plenty) may or may not hold the result.
 */
extern const char *cs_strerror(int errnum, char *buf, size_t len);

/* CS_ERR_IO with ": <errnum's text>" appended and sys_errno = errnum. */
extern cs_status cs_err_set_errno(cs_err *err, int errnum, const char *fmt,...)
			__attribute__((format(printf, 3, 4)));

/*
 * CS_ERR_OPENSSL with the first queued OpenSSL error appended; the OpenSSL
 * error queue of this thread is emptied so a later error is not misattributed.
 */
extern cs_status cs_err_set_openssl(cs_err *err, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));

/* Stable lower-case name of a code ("io", "openssl", "canceled", ...). */
extern const char *cs_status_name(cs_status code);

#endif							/* CS_CORE_CSERR_H */
