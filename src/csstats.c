/*-------------------------------------------------------------------------
 *
 * csstats.c
 *	  Module entry point of csstats: PG_MODULE_MAGIC, _PG_init and small
 *	  schema helpers.
 *
 * Each concern lives in its own file; _PG_init only calls their Init
 * functions so the order of GUC registration stays in one place.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "pgtime.h"
#include "utils/builtins.h"
#include "utils/guc.h"

#include "audit_worker.h"
#include "calendar.h"
#include "csstats.h"
#include "export.h"
#include "password_key.h"
#include "pause.h"

PG_MODULE_MAGIC;

void
_PG_init(void)
{
	CalendarInit();
	ExportInit();
	PasswordKeyInit();
	AuditWorkerInit();
	PauseInit();
	MarkGUCPrefixReserved("csstats");
}

/*
 * csstats_timezone_is_known
 *		CHECK constraint of channels.timezone: the zone must be one that
 *		PostgreSQL's own tz database loads, so that operating hours agree
 *		with AT TIME ZONE.  POSIX-style specs such as "UTC+3" or "JST-9"
 *		are refused: they are not IANA names and their sign convention
 *		misleads.  So are the digit-bearing legacy names without a '/'
 *		("EST5EDT"): use a region name such as America/New_York.
 */
PG_FUNCTION_INFO_V1(csstats_timezone_is_known);
Datum
csstats_timezone_is_known(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	const char *p;
	bool		has_digit = false;

	if (name[0] == '\0' || strlen(name) > TZ_STRLEN_MAX)
		PG_RETURN_BOOL(false);
	/* IANA names are letters, digits and _ / - + only, starting with a letter */
	if (!((name[0] >= 'A' && name[0] <= 'Z') || (name[0] >= 'a' && name[0] <= 'z')))
		PG_RETURN_BOOL(false);
	for (p = name; *p; p++)
	{
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
			  (*p >= '0' && *p <= '9') || *p == '_' || *p == '/' || *p == '-' || *p == '+'))
			PG_RETURN_BOOL(false);
		if (*p >= '0' && *p <= '9')
			has_digit = true;
	}
	if (has_digit && strchr(name, '/') == NULL)
		PG_RETURN_BOOL(false);
	PG_RETURN_BOOL(pg_tzset(name) != NULL);
}
