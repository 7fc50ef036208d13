/*-------------------------------------------------------------------------
 *
 * export_settings.c
 *	  The export settings (csstats.export_directory, the limits, the
 *	  password length, progress notices) and the password rules they
 *	  govern.
 *
 *	  Every export file reads these settings; keeping them out of the SQL
 *	  entry points (export.c) means no file depends back on export.c.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "fmgr.h"
#include "utils/guc.h"

#include "export.h"

char	   *csstats_export_directory = NULL;
int			csstats_max_chats_per_export = 10000;
static int	csstats_max_selected_chats = 200;
int			csstats_max_cases_per_export = 1000000;
int			csstats_min_password_length = 8;
int			csstats_progress_rows = 0;

/*
 * ExportInit
 *		The export settings.  Only superusers may change them (PGC_SUSET):
 *		a role that may export must not lift its own limits or choose where
 *		the server writes.  The directory is also hidden from other roles
 *		(GUC_SUPERUSER_ONLY); the limits stay readable.
 *
 *		A non-superuser can still SET csstats.<anything> while this library
 *		is not loaded yet: PostgreSQL keeps it as a placeholder, and at the
 *		load DefineCustom*Variable refuses (WARNING, default kept) the
 *		placeholder value of a PGC_SUSET setting that role could not set.
 *		So SQL must never read these settings with current_setting(),
 *		which would see the unchecked placeholder: it calls a C function
 *		(csstats._max_selected_chats()), whose call loads the library.
 */
void
ExportInit(void)
{
	DefineCustomStringVariable("csstats.export_directory",
							   "Directory where export_chats_to_file and export_cases_to_file write.",
							   "An absolute path the server can write; empty disables server-file exports.",
							   &csstats_export_directory,
							   "",
							   PGC_SUSET, GUC_SUPERUSER_ONLY,
							   NULL, NULL, NULL);
	DefineCustomIntVariable("csstats.max_chats_per_export",
							"Most chats one chats export may contain.",
							NULL,
							&csstats_max_chats_per_export,
							10000, 1, INT_MAX,
							PGC_SUSET, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("csstats.max_selected_chats",
							"Most chats an explicit chat_ids selection may name.",
							NULL,
							&csstats_max_selected_chats,
							200, 1, INT_MAX,
							PGC_SUSET, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("csstats.max_cases_per_export",
							"Most cases one cases export may contain.",
							NULL,
							&csstats_max_cases_per_export,
							1000000, 1, INT_MAX,
							PGC_SUSET, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("csstats.min_password_length",
							"Shortest export password accepted.",
							NULL,
							&csstats_min_password_length,
							8, 1, PASSWORD_MAX,
							PGC_SUSET, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("csstats.progress_rows",
							"Report export progress with a NOTICE every this many rows of a sheet (0: off).",
							NULL,
							&csstats_progress_rows,
							0, 0, INT_MAX,
							PGC_USERSET, 0,
							NULL, NULL, NULL);
}

/*
 * csstats._max_selected_chats(): the limit of an explicit chat_ids
 * selection (sql/install/55_select.sql), as this library enforces it: a
 * placeholder value set before the library was loaded has been checked
 * by then (see ExportInit).
 */
PG_FUNCTION_INFO_V1(csstats_max_selected_chats_setting);
Datum
csstats_max_selected_chats_setting(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(csstats_max_selected_chats);
}

/* The password rules of export.md; the message names the rule, never the password. */
void
ExportCheckPassword(const char *pw)
{
	size_t		len = strlen(pw);
	const char *p;

	for (p = pw; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("password may contain only letters and digits"),
					 errdetail("Allowed characters are A-Z, a-z and 0-9.")));
	if (len < (size_t) csstats_min_password_length)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("password is too short"),
				 errdetail("It has %zu characters; at least %d are required (csstats.min_password_length).",
						   len, csstats_min_password_length)));
	if (len > PASSWORD_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("password is too long"),
				 errdetail("It has %zu characters; at most %d are allowed.", len, PASSWORD_MAX)));
}
