/*-------------------------------------------------------------------------
 *
 * export_request.c
 *	  An export request, checked before anything is read: the arguments of
 *	  the export functions (password or generated password or stored
 *	  password's name, reason, format, range, server file name), who may
 *	  write server files, the channel, the manager's permission and the
 *	  limits.  Each failure is an ERROR with its SQLSTATE; a refusal
 *	  (permission, manager, limits) first appends a "denied" audit row.
 *
 *	  The password is checked but never echoed: no message of this file
 *	  contains it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "tcop/tcopprot.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"
#include "access/xact.h"

#include "export.h"
#include "export_file.h"
#include "export_request.h"

#define REASON_MAX		1000
/* generate_password: 24 of 62 symbols, about 143 bits */
#define GENERATED_PASSWORD_LEN	24

/* ---------------------------------------------------------------------
 * Validation
 * ---------------------------------------------------------------------
 */
static char *
TextArg(FunctionCallInfo fcinfo, int i)
{
	if (PG_ARGISNULL(i))
		return NULL;
	return text_to_cstring(PG_GETARG_TEXT_PP(i));
}

/*
 * The password argument as a C string in the export's memory.  The
 * argument may arrive compressed or out of line; the detoasted copy made
 * here is wiped at once.  (The caller's own datum is not ours to wipe.)
 */
static char *
PasswordArg(FunctionCallInfo fcinfo, int i)
{
	text	   *t;
	char	   *s;
	size_t		len;

	if (PG_ARGISNULL(i))
		return NULL;
	t = PG_GETARG_TEXT_PP(i);
	len = VARSIZE_ANY_EXHDR(t);
	s = palloc(len + 1);
	memcpy(s, VARDATA_ANY(t), len);
	s[len] = '\0';
	if ((Pointer) t != DatumGetPointer(PG_GETARG_DATUM(i)))
	{
		explicit_bzero(VARDATA_ANY(t), len);
		pfree(t);
	}
	return s;
}

/*
 * Wipe the password copy when the export's memory goes away.  Registered
 * before the arguments are read, so every error path wipes it too.
 */
void
ExportWipePassword(void *arg)
{
	ExportRequest *req = (ExportRequest *) arg;

	if (req->password != NULL)
		explicit_bzero(req->password, strlen(req->password));
}

/*
 * GeneratePassword
 *		len letters and digits from pg_strong_random.  A random byte is used
 *		only when it is below 248 = 4 * 62, so each of the 62 symbols is
 *		equally likely (no modulo bias); the other bytes are drawn again.
 */
static void
GeneratePassword(char *out, int len)
{
	static const char symbols[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char rnd[64];
	int			n = 0;

	StaticAssertStmt(sizeof(symbols) - 1 == 62, "62 symbols");
	while (n < len)
	{
		int			i;

		if (!pg_strong_random(rnd, sizeof(rnd)))
		{
			explicit_bzero(rnd, sizeof(rnd));
			ereport(ERROR,
					(errcode(ERRCODE_INTERNAL_ERROR),
					 errmsg("could not generate a random password")));
		}
		for (i = 0; i < (int) sizeof(rnd) && n < len; i++)
			if (rnd[i] < 4 * 62)
				out[n++] = symbols[rnd[i] % 62];
	}
	out[len] = '\0';
	explicit_bzero(rnd, sizeof(rnd));
}

/*
 * PasswordLogGuard
 *		An inline password is a bind parameter (or a literal) of the calling
 *		statement, and PostgreSQL's statement logging may write it.  What can
 *		still be prevented from here is: the duration line of the statement's
 *		execute step is written after the export returns and reads
 *		log_parameter_max_length then, so a transaction-local 0 keeps the
 *		parameters out of it (log_min_duration_statement = 1s and a slow
 *		export, the usual production case).  The rest happened before the
 *		export runs (log_statement = 'all' logs at Execute, a duration of 0
 *		also logs the Bind step, an error's parameters are copied at Bind):
 *		a WARNING names the settings that do it.
 */
static void
PasswordLogGuard(void)
{
	StringInfoData selectors;
	StringInfoData detail;
	bool		logged;
	bool		on_error = log_parameter_max_length_on_error != 0;
	int			max_length = log_parameter_max_length;	/* before the override */

	initStringInfo(&selectors);
	if (log_statement == LOGSTMT_ALL)
		appendStringInfoString(&selectors, ", log_statement = 'all'");
	if (log_min_duration_statement >= 0)
		appendStringInfo(&selectors, ", log_min_duration_statement = %d",
						 log_min_duration_statement);
	if (log_min_duration_sample >= 0 && log_statement_sample_rate > 0)
		appendStringInfo(&selectors, ", log_min_duration_sample = %d (log_statement_sample_rate = %g)",
						 log_min_duration_sample, log_statement_sample_rate);
	if (log_xact_sample_rate > 0)
		appendStringInfo(&selectors, ", log_transaction_sample_rate = %g",
						 log_xact_sample_rate);
	logged = selectors.len > 0 && max_length != 0;

	/* the execute step's duration line: no parameters for this transaction */
	if (logged && (log_min_duration_statement >= 0 || log_min_duration_sample >= 0 ||
				   log_xact_sample_rate > 0))
		(void) set_config_option("log_parameter_max_length", "0", PGC_SUSET,
								 PGC_S_SESSION, GUC_ACTION_LOCAL, true, 0, false);

	if (!logged && !on_error)
		return;
	initStringInfo(&detail);
	if (logged)
		appendStringInfo(&detail, "Statement logging writes bind parameters: %s with log_parameter_max_length = %d.",
						 selectors.data + 2, max_length);
	if (on_error)
		appendStringInfo(&detail, "%sA failing statement's error carries them: log_parameter_max_length_on_error = %d.",
						 logged ? " " : "", log_parameter_max_length_on_error);
	ereport(WARNING,
			(errmsg("the export password may be written to the server log"),
			 errdetail_internal("%s", detail.data),
			 errhint("Use generate_password => true or a stored password (password_name), or set %s.",
					 !on_error ? "log_parameter_max_length = 0" :
					 !logged ? "log_parameter_max_length_on_error = 0" :
					 "log_parameter_max_length and log_parameter_max_length_on_error to 0")));
}

static void
CheckReason(const char *reason)
{
	const char *p;
	int			len;

	if (reason == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("reason is required"),
				 errhint("State why the data is downloaded; it is kept in csstats.export_audit.")));
	for (p = reason; *p; p++)
		if (!(*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f' || *p == '\v'))
			break;
	if (*p == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("reason must not be blank"),
				 errhint("State why the data is downloaded; it is kept in csstats.export_audit.")));
	len = pg_mbstrlen(reason);
	if (len > REASON_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("reason is too long"),
				 errdetail("It has %d characters; at most %d are allowed.", len, REASON_MAX)));
}

/*
 * Argument layout of the four functions (to_file ones have filename
 * first):
 *	 chats: password, reason, since, until, format, include_messages,
 *			channel_id, manager_id, filters, as_of, password_name
 *	 cases: password, reason, since, until, format, channel_id, manager_id,
 *			filters, as_of, password_name
 * and of their generate_password forms (84_export_generated.sql): the same
 * with generate_password in the first place (then filename) and password
 * after password_name, so reason .. password_name have the same positions in
 * both.  include_summary is the last argument of all eight.
 * generated is NULL for the plain forms, else the caller's buffer for the
 * password made here.
 */
void
ExportParseRequest(FunctionCallInfo fcinfo, ExportKind kind, bool to_file, char *generated,
			 ExportRequest *req)
{
	int			a = to_file ? 2 : 1;	/* reason */
	int			nargs;			/* without include_summary */
	char	   *format;

	memset(req, 0, sizeof(*req));
	req->kind = kind;
	req->to_file = to_file;
	if (to_file)
		req->filename = TextArg(fcinfo, generated != NULL ? 1 : 0);
	/* straight into req: ExportWipePassword wipes it on any error from here on */
	/*
	 * include_summary, the last argument since 0.2.0; a database still on
	 * the 0.1.0 SQL (between a library upgrade and ALTER EXTENSION UPDATE)
	 * calls without it.
	 */
	nargs = (kind == EXPORT_CHATS ? 11 : 10) + (to_file ? 1 : 0) + (generated != NULL ? 1 : 0);
	if (PG_NARGS() == nargs + 1)
		req->include_summary = PG_ARGISNULL(nargs) ? false : PG_GETARG_BOOL(nargs);
	else if (PG_NARGS() != nargs)
		elog(ERROR, "export function called with %d arguments, expected %d or %d",
			 PG_NARGS(), nargs, nargs + 1);
	req->password = PasswordArg(fcinfo, generated != NULL ? nargs - 1 : a - 1);
	req->reason = TextArg(fcinfo, a);
	req->has_since = !PG_ARGISNULL(a + 1);
	if (req->has_since)
		req->since = PG_GETARG_TIMESTAMPTZ(a + 1);
	req->has_until = !PG_ARGISNULL(a + 2);
	if (req->has_until)
		req->until = PG_GETARG_TIMESTAMPTZ(a + 2);
	format = TextArg(fcinfo, a + 3);
	a += 4;
	if (kind == EXPORT_CHATS)
	{
		req->include_messages = PG_ARGISNULL(a) ? false : PG_GETARG_BOOL(a);
		a++;
	}
	req->channel_id = TextArg(fcinfo, a);
	req->manager_id = TextArg(fcinfo, a + 1);
	req->filters = PG_ARGISNULL(a + 2) ? NULL : PG_GETARG_JSONB_P(a + 2);
	req->as_of = PG_ARGISNULL(a + 3) ? GetCurrentTransactionStartTimestamp()
		: PG_GETARG_TIMESTAMPTZ(a + 3);
	req->password_name = TextArg(fcinfo, a + 4);
	Assert(a + 4 == nargs - (generated != NULL ? 2 : 1));

	/* who may write server files: the COPY ... TO 'file' rule */
	if (to_file)
	{
		const char *why;

		/*
		 * The permission (pg_write_server_files) is checked, and a refusal
		 * audited, once the whole request is known: ExportCheckAuthorization.
		 */
		if (csstats_export_directory == NULL || csstats_export_directory[0] == '\0')
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("csstats.export_directory is not set"),
					 errhint("A superuser sets csstats.export_directory to the directory for export files.")));
		if (csstats_export_directory[0] != '/')
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("csstats.export_directory must be an absolute path")));
		if (req->filename != NULL)
		{
			if (!ExportFileNameValid(req->filename, &why))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid export file name \"%s\"", req->filename),
						 errdetail("%s", why),
						 errhint("Give a plain file name, without directories; it is created in csstats.export_directory.")));
		}
	}

	if (generated != NULL)
	{
		/* the server makes the password: none may be given */
		if (PG_ARGISNULL(0) || !PG_GETARG_BOOL(0))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("generate_password must be true"),
					 errhint("Leave generate_password out and pass password or password_name to choose the password.")));
		if (req->password != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("give either password or generate_password, not both"),
					 errhint("Pass password => NULL with generate_password => true.")));
		if (req->password_name != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("give either password_name or generate_password, not both")));
		GeneratePassword(generated, Max(GENERATED_PASSWORD_LEN, csstats_min_password_length));
		req->password = pstrdup(generated);
		ExportCheckPassword(req->password);
	}
	else
	{
		/* password or a stored password's name, not both */
		if (req->password != NULL && req->password_name != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("give either password or password_name, not both")));
		if (req->password == NULL && req->password_name == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("password is required"),
					 errhint("Pass generate_password => true for a generated password, or name a stored password with password_name.")));
		if (req->password != NULL)
		{
			PasswordLogGuard();
			if (req->password[0] == '\0')
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("password must not be empty")));
			ExportCheckPassword(req->password);
		}
		/* a stored password is resolved later */
	}

	CheckReason(req->reason);

	if (format == NULL || pg_strcasecmp(format, "xlsx") == 0)
		req->format = EXPORT_XLSX;
	else if (pg_strcasecmp(format, "json") == 0)
		req->format = EXPORT_JSON;
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown export format \"%s\"", format),
				 errhint("Valid formats are \"xlsx\" and \"json\".")));

	if (req->channel_id == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("channel_id must not be null")));
	if (req->has_since && req->has_until && req->since > req->until)
	{
		char	   *f = pstrdup(timestamptz_to_str(req->since));
		char	   *u = pstrdup(timestamptz_to_str(req->until));

		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("since must not be later than until"),
				 errdetail("The range [%s, %s) is reversed.",
						   f, u)));
	}
	if (kind == EXPORT_CASES && (!req->has_since || !req->has_until))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a cases export needs both since and until"),
				 errdetail("The range of a cases export is at most 6 months.")));
	if ((req->has_since && TIMESTAMP_NOT_FINITE(req->since)) ||
		(req->has_until && TIMESTAMP_NOT_FINITE(req->until)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("since and until must be finite"),
				 errhint("Use NULL for an unbounded end of a chats export.")));
	if (req->filters == NULL)
		req->filters = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")));
}

/*
 * Refuse
 *		Refuse the export: append a "denied" audit row (committed on its own,
 *		so a security officer sees who tried, whatever the caller does
 *		next), then raise the error.
 */
static void Refuse(ExportRequest *req, int sqlstate, const char *detail, const char *hint,
				   const char *fmt,...) pg_attribute_printf(5, 6) pg_attribute_noreturn();

static void
Refuse(ExportRequest *req, int sqlstate, const char *detail, const char *hint,
	   const char *fmt,...)
{
	StringInfoData msg;

	initStringInfo(&msg);
	for (;;)
	{
		va_list		args;
		int			needed;

		va_start(args, fmt);
		needed = appendStringInfoVA(&msg, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(&msg, needed);
	}
	ExportAuditDenied(req, psprintf("%s: %s", unpack_sql_state(sqlstate), msg.data));
	ereport(ERROR,
			(errcode(sqlstate),
			 errmsg_internal("%s", msg.data),
			 detail ? errdetail_internal("%s", detail) : 0,
			 hint ? errhint("%s", hint) : 0));
	pg_unreachable();
}

/*
 * ExportCheckAuthorization
 *		Who may write server files: the COPY ... TO 'file' rule.
 */
void
ExportCheckAuthorization(ExportRequest *req)
{
	if (req->to_file && !has_privs_of_role(GetUserId(), ROLE_PG_WRITE_SERVER_FILES))
		Refuse(req, ERRCODE_INSUFFICIENT_PRIVILEGE,
			   "Only roles with privileges of the \"pg_write_server_files\" role may write server files.",
			   "Use csstats.export_chats or csstats.export_cases to receive the file as bytea.",
			   "permission denied to write an export file on the server");
}

/* One-row, one-column SPI query result as text (NULL when no row). */
static char *
QueryText(const char *sql, int nargs, Oid *types, Datum *values, const char *nulls)
{
	int			rc = SPI_execute_with_args(sql, nargs, types, values, nulls, true, 2);
	char	   *result = NULL;

	if (rc != SPI_OK_SELECT)
		elog(ERROR, "query failed: %s", SPI_result_code_string(rc));
	if (SPI_processed > 0)
		result = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	SPI_freetuptable(SPI_tuptable);
	return result;
}

/*
 * ExportCheckChannelAndLimits
 *		The channel exists (for the caller), the manager may download, the
 *		range and the size are within the limits.  All with the caller's
 *		rights.
 */
void
ExportCheckChannelAndLimits(ExportRequest *req)
{
	Oid			types[5] = {TEXTOID, TIMESTAMPTZOID, TIMESTAMPTZOID, JSONBOID, TIMESTAMPTZOID};
	Datum		values[5];
	char		nulls[5] = {' ', ' ', ' ', ' ', ' '};
	char	   *s;

	values[0] = CStringGetTextDatum(req->channel_id);
	req->timezone = QueryText("SELECT ch.timezone FROM csstats.channels ch "
							  "WHERE ch.id OPERATOR(pg_catalog.=) $1",
							  1, types, values, nulls);
	if (req->timezone == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("channel \"%s\" does not exist", req->channel_id),
				 errhint("Channels are rows of csstats.channels.")));
	req->tz = pg_tzset(req->timezone);
	if (req->tz == NULL)
		elog(ERROR, "time zone \"%s\" of channel \"%s\" is not loadable",
			 req->timezone, req->channel_id);

	if (req->manager_id != NULL)
	{
		Oid			mtypes[2] = {TEXTOID, TEXTOID};
		Datum		mvalues[2];
		int			rc;
		bool		removed,
					can_download,
					isnull;

		mvalues[0] = CStringGetTextDatum(req->channel_id);
		mvalues[1] = CStringGetTextDatum(req->manager_id);
		rc = SPI_execute_with_args("SELECT m.removed, m.can_download FROM csstats.managers m "
								   "WHERE m.channel_id OPERATOR(pg_catalog.=) $1 "
								   "AND m.id OPERATOR(pg_catalog.=) $2",
								   2, mtypes, mvalues, NULL, true, 1);
		if (rc != SPI_OK_SELECT)
			elog(ERROR, "could not read csstats.managers: %s", SPI_result_code_string(rc));
		if (SPI_processed == 0)
			Refuse(req, ERRCODE_INSUFFICIENT_PRIVILEGE, NULL, NULL,
				   "permission denied: manager \"%s\" does not exist in channel \"%s\"",
				   req->manager_id, req->channel_id);
		removed = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		can_download = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
		SPI_freetuptable(SPI_tuptable);
		if (removed)
			Refuse(req, ERRCODE_INSUFFICIENT_PRIVILEGE, NULL, NULL,
				   "permission denied: manager \"%s\" has been removed from channel \"%s\"",
				   req->manager_id, req->channel_id);
		if (!can_download)
			Refuse(req, ERRCODE_INSUFFICIENT_PRIVILEGE,
				   "The manager does not have the \"download data\" permission (csstats.managers.can_download).",
				   NULL,
				   "permission denied: manager \"%s\" may not download data", req->manager_id);
	}

	values[1] = TimestampTzGetDatum(req->since);
	values[2] = TimestampTzGetDatum(req->until);
	values[3] = JsonbPGetDatum(req->filters);
	values[4] = TimestampTzGetDatum(req->as_of);
	if (!req->has_since)
		nulls[1] = 'n';
	if (!req->has_until)
		nulls[2] = 'n';

	if (req->kind == EXPORT_CASES)
	{
		/*
		 * At most 6 months: the last local day of [since, until) is at most
		 * since's local date + 6 months, which PostgreSQL clamps to the end
		 * of that month (Aug 31 + 6 months = Feb 28).
		 */
		Oid			rtypes[2] = {TIMESTAMPTZOID, TEXTOID};
		Datum		rvalues[2];
		TimestampTz max_until;
		int			rc;
		bool		isnull;

		rvalues[0] = TimestampTzGetDatum(req->since);
		rvalues[1] = CStringGetTextDatum(req->timezone);
		rc = SPI_execute_with_args("SELECT ((($1 AT TIME ZONE $2)::pg_catalog.date "
								   "OPERATOR(pg_catalog.+) '6 months'::pg_catalog.interval)::pg_catalog.date "
								   "OPERATOR(pg_catalog.+) 1)::pg_catalog.timestamp AT TIME ZONE $2",
								   2, rtypes, rvalues, NULL, true, 1);
		if (rc != SPI_OK_SELECT || SPI_processed != 1)
			elog(ERROR, "could not compute the end of the cases range: %s",
				 SPI_result_code_string(rc));
		max_until = DatumGetTimestampTz(SPI_getbinval(SPI_tuptable->vals[0],
													  SPI_tuptable->tupdesc, 1, &isnull));
		SPI_freetuptable(SPI_tuptable);
		if (req->until > max_until)
		{
			char	   *u = pstrdup(timestamptz_to_str(req->until));
			char	   *f = pstrdup(timestamptz_to_str(req->since));
			char	   *m = pstrdup(timestamptz_to_str(max_until));

			Refuse(req, ERRCODE_INVALID_PARAMETER_VALUE,
				   psprintf("until is %s; for since %s it may be at most %s (6 months, not past the end of that month, in the channel's time zone %s).",
							u, f, m, req->timezone),
				   NULL,
				   "the range of a cases export is longer than 6 months");
		}
		/* the parse also validates the filters before any sheet is read */
		(void) QueryText("SELECT 1 FROM csstats.parse_chat_filters($4, $2, $3) f "
						 "WHERE $1 IS NOT NULL AND $5 IS NOT NULL",
						 5, types, values, nulls);
		req->limit = csstats_max_cases_per_export;
	}
	else
	{
		int64		n;

		s = QueryText("SELECT pg_catalog.count(*) FROM csstats.select_chats($1, $2, $3, $4) c "
					  "WHERE c.created_at OPERATOR(pg_catalog.<=) $5",
					  5, types, values, nulls);
		n = pg_strtoint64(s);
		if (n > csstats_max_chats_per_export)
			Refuse(req, ERRCODE_PROGRAM_LIMIT_EXCEEDED, NULL,
				   "Narrow the range or the filters, or ask a superuser to raise csstats.max_chats_per_export.",
				   "too many chats to export: " INT64_FORMAT " chats, the limit is %d",
				   n, csstats_max_chats_per_export);
	}
}
