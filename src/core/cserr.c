/*
 * cserr.c - error codes and messages shared by the pure C core.
 */
/* either strerror_r works (cs_strerror); PostgreSQL builds define _GNU_SOURCE too */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include "cserr.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

void
cs_err_clear(cs_err *err)
{
	if (err == NULL)
		return;
	err->code = CS_OK;
	err->sys_errno = 0;
	err->msg[0] = '\0';
}

static void set_va(cs_err *err, cs_status code, const char *fmt, va_list ap)
			__attribute__((format(printf, 3, 0)));

static void
set_va(cs_err *err, cs_status code, const char *fmt, va_list ap)
{
	err->code = code;
	err->sys_errno = 0;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

cs_status
cs_err_set(cs_err *err, cs_status code, const char *fmt,...)
{
	va_list		ap;

	if (err == NULL)
		return code;
	va_start(ap, fmt);
	set_va(err, code, fmt, ap);
	va_end(ap);
	return code;
}

static void
append(cs_err *err, const char *sep, const char *detail)
{
	size_t		len = strlen(err->msg);

	if (len < sizeof(err->msg) - 1)
		snprintf(err->msg + len, sizeof(err->msg) - len, "%s%s", sep, detail);
}

/*
 * strerror_r comes in two variants: GNU returns the text (possibly not in
 * buf), XSI (musl, or glibc without _GNU_SOURCE) returns 0 and fills buf.
 * _Generic picks the matching wrapper by the return type.
 */
static const char *
strerror_gnu(char *text, int errnum, char *buf, size_t len)
{
	return text;
}

static const char *
strerror_xsi(int rc, int errnum, char *buf, size_t len)
{
	if (rc != 0)
		snprintf(buf, len, "error %d", errnum);
	return buf;
}

const char *
cs_strerror(int errnum, char *buf, size_t len)
{
	return _Generic(strerror_r(errnum, buf, len),
					char *: strerror_gnu,
					int: strerror_xsi) (strerror_r(errnum, buf, len), errnum, buf, len);
}

cs_status
cs_err_set_errno(cs_err *err, int errnum, const char *fmt,...)
{
	va_list		ap;
	char		buf[256];

	if (err == NULL)
		return CS_ERR_IO;
	va_start(ap, fmt);
	set_va(err, CS_ERR_IO, fmt, ap);
	va_end(ap);
	err->sys_errno = errnum;
	append(err, ": ", cs_strerror(errnum, buf, sizeof(buf)));
	return CS_ERR_IO;
}

cs_status
cs_err_set_openssl(cs_err *err, const char *fmt,...)
{
	va_list		ap;
	unsigned long e = ERR_get_error();
	char		buf[256];

	if (err != NULL)
	{
		va_start(ap, fmt);
		set_va(err, CS_ERR_OPENSSL, fmt, ap);
		va_end(ap);
		if (e != 0)
		{
			ERR_error_string_n(e, buf, sizeof(buf));
			append(err, ": ", buf);
		}
		else
			append(err, ": ", "no OpenSSL error queued");
	}
	ERR_clear_error();
	return CS_ERR_OPENSSL;
}

const char *
cs_status_name(cs_status code)
{
	switch (code)
	{
		case CS_OK:
			return "ok";
		case CS_ERR_BADARG:
			return "bad argument";
		case CS_ERR_NOMEM:
			return "out of memory";
		case CS_ERR_IO:
			return "i/o";
		case CS_ERR_OPENSSL:
			return "openssl";
		case CS_ERR_XLSX:
			return "xlsx";
		case CS_ERR_ZIP:
			return "zip";
		case CS_ERR_CANCELED:
			return "canceled";
		case CS_ERR_LIMIT:
			return "limit";
		case CS_ERR_INTERNAL:
			return "internal";
	}
	return "unknown";
}
