/*-------------------------------------------------------------------------
 *
 * export.c
 *	  The export entry points (sql/install/80_export.sql):
 *
 *	  csstats.export_chats(...)          -> bytea (the encrypted file)
 *	  csstats.export_cases(...)          -> bytea
 *	  csstats.export_chats_to_file(...)  -> bigint (audit id)
 *	  csstats.export_cases_to_file(...)  -> bigint
 *
 *	  the same four with generate_password => true (84_export_generated.sql):
 *	  a server-made password, returned with the file or the audit id
 *
 *	  One export is: validate every argument (nothing is read before the
 *	  request is known to be acceptable), check the manager's permission
 *	  and the limits (all three in export_request.c), write the plaintext document into a private
 *	  temporary directory while reading each sheet once, encrypt
 *	  it, hash it, commit the audit row in a transaction of its own (the
 *	  audit worker, audit_worker.c) and only then hand out the result.  An
 *	  error before that point leaves no file and no "delivered" row: the
 *	  temporary directory dies with the export's memory context and a
 *	  server file gets its final name only after its audit row is
 *	  committed (export_file.c).  A refusal (permission, manager, limits)
 *	  leaves a "denied" row.  Exports are therefore not transactional: a
 *	  rollback of the caller undoes neither the audit row nor the delivery.
 *
 *	  The password is checked but never echoed: no message of this file
 *	  contains it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <fcntl.h>
#include <unistd.h>

#include "access/htup_details.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/ps_status.h"
#include "utils/timestamp.h"
#include "access/xact.h"
#include "access/xlog.h"

#include "csstats.h"
#include "export.h"
#include "export_catalog.h"
#include "export_encrypt.h"
#include "export_file.h"
#include "export_request.h"
#include "export_tmp.h"
#include "pause.h"

/* Keep [A-Za-z0-9_-] of s, the rest becomes '_' (generated file names). */
static void
AppendSafe(StringInfo b, const char *s)
{
	for (; *s; s++)
		appendStringInfoChar(b, ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
								 (*s >= '0' && *s <= '9') || *s == '-' || *s == '_') ? *s : '_');
}

static void
AppendLocalStamp(StringInfo b, ExportRequest *req, bool has, TimestampTz t)
{
	struct pg_tm tm;
	fsec_t		fsec;
	int			tzoff;

	if (!has || timestamp2tm(t, &tzoff, &tm, &fsec, NULL, req->tz) != 0)
		appendStringInfoString(b, "open");
	else if (tm.tm_hour == 0 && tm.tm_min == 0 && tm.tm_sec == 0)
		appendStringInfo(b, "%04d%02d%02d", tm.tm_year, tm.tm_mon, tm.tm_mday);
	else
		appendStringInfo(b, "%04d%02d%02dT%02d%02d%02d", tm.tm_year, tm.tm_mon, tm.tm_mday,
						 tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* csstats-<kind>-<channel>-<since>-<until>-<created, UTC>-{id}.<xlsx|json.zip> */
static char *
GeneratedFileName(ExportRequest *req)
{
	StringInfoData b;

	initStringInfo(&b);
	appendStringInfo(&b, "csstats-%s-", req->kind == EXPORT_CHATS ? "chats" : "cases");
	AppendSafe(&b, req->channel_id);
	if (b.len > 100)
		b.len = 100, b.data[100] = '\0';
	appendStringInfoChar(&b, '-');
	AppendLocalStamp(&b, req, req->has_since, req->since);
	appendStringInfoChar(&b, '-');
	AppendLocalStamp(&b, req, req->has_until, req->until);
	/* the creation time keeps names unique across databases and restores */
	{
		struct pg_tm tm;
		fsec_t		fsec;

		if (timestamp2tm(GetCurrentTimestamp(), NULL, &tm, &fsec, NULL, NULL) == 0)
			appendStringInfo(&b, "-%04d%02d%02dT%02d%02d%02dZ", tm.tm_year, tm.tm_mon,
							 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	}
	appendStringInfo(&b, "-{id}.%s", req->format == EXPORT_XLSX ? "xlsx" : "json.zip");
	return b.data;
}

static char *
ReplaceId(const char *name, int64 id)
{
	const char *p;
	StringInfoData b;

	/* every "{id}", exactly as _export_audit_append's replace() does */
	initStringInfo(&b);
	while ((p = strstr(name, "{id}")) != NULL)
	{
		appendBinaryStringInfo(&b, name, p - name);
		appendStringInfo(&b, INT64_FORMAT, id);
		name = p + 4;
	}
	appendStringInfoString(&b, name);
	return b.data;
}

/*
 * ExportMain
 *		The whole export; returns the bytea or the audit id.  generated: see
 *		ExportParseRequest.
 */
static Datum
ExportMain(FunctionCallInfo fcinfo, ExportKind kind, bool to_file, char *generated)
{
	MemoryContext callercxt = CurrentMemoryContext;
	MemoryContext cxt;
	ExportRequest *req;
	MemoryContextCallback *wipe;
	ExportTempDir *tmp;
	ExportCounts counts;
	char	   *plain_path;
	char	   *enc_path = NULL;
	char	   *final_name = NULL;
	char	   *destination;
	char		sha[65];
	int			out_fd;
	int64		bytes;
	int64		id;
	bytea	   *data = NULL;
	Datum		result;
	char	   *saved_ps;
	int			saved_ps_len;
	TimestampTz t_start,
				t_doc,
				t_enc;

	/*
	 * Nothing is produced where its audit row cannot be committed first: not
	 * on a standby, not in a read-only transaction.
	 */
	if (RecoveryInProgress())
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("cannot export on a standby server"),
				 errdetail("An export's audit row must be committed before the file is delivered."),
				 errhint("Run the export on the primary server.")));
	if (XactReadOnly)
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("cannot export in a read-only transaction"),
				 errdetail("An export writes its audit row before the file is delivered.")));

	cxt = AllocSetContextCreate(callercxt, "csstats export", ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(cxt);
	req = palloc0(sizeof(ExportRequest));
	wipe = palloc0(sizeof(MemoryContextCallback));
	wipe->func = ExportWipePassword;
	wipe->arg = req;
	MemoryContextRegisterResetCallback(cxt, wipe);
	ExportParseRequest(fcinfo, kind, to_file, generated, req);

	saved_ps = pstrdup(get_ps_display(&saved_ps_len));
	saved_ps[saved_ps_len] = '\0';

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	MemoryContextSwitchTo(cxt);

	if (req->password_name != NULL)
	{
		req->password = ExportLookupPassword(req->password_name, req);
		ExportCheckPassword(req->password);
	}
	ExportCheckAuthorization(req);
	/* only now: a role that may not write files learns nothing of the directory */
	if (to_file && req->filename != NULL)
		ExportOutputCheckFree(req->filename);
	ExportCheckChannelAndLimits(req);

	/* the plaintext document, in the private directory */
	t_start = GetCurrentTimestamp();
	tmp = ExportTempDirCreate();
	plain_path = psprintf("%s/%s", ExportTempDirPath(tmp),
						  req->format == EXPORT_XLSX ? "export.xlsx" : "export.json");
	ExportWriteDocument(req, plain_path, ExportTempDirPath(tmp), &counts);
	ExportCheckTempLimit(ExportTempDirPath(tmp));

	/* encrypt into the output: a server temp file or a private file */
	set_ps_display("csstats export: encrypting");
	if (to_file)
	{
		final_name = req->filename ? req->filename : GeneratedFileName(req);
		out_fd = ExportOutputOpen();
	}
	else
	{
		enc_path = psprintf("%s/encrypted", ExportTempDirPath(tmp));
		out_fd = OpenTransientFilePerm(enc_path, O_RDWR | O_CREAT | O_EXCL | PG_BINARY,
									   S_IRUSR | S_IWUSR);
		if (out_fd < 0)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not create file \"%s\": %m", enc_path)));
	}
	t_doc = GetCurrentTimestamp();
	ExportEncrypt(req, plain_path, ExportTempDirPath(tmp), out_fd);
	t_enc = GetCurrentTimestamp();
	(void) unlink(plain_path);

	/* size and SHA-256 of exactly the bytes handed out */
	if (to_file)
	{
		ExportOutputSeal(&bytes, sha);
		destination = final_name;
	}
	else
	{
		MemoryContext old;

		ExportCheckTempLimit(ExportTempDirPath(tmp));
		old = MemoryContextSwitchTo(callercxt);
		data = ExportReadFile(out_fd, true, &bytes, sha);
		MemoryContextSwitchTo(old);
		CloseTransientFile(out_fd);
		destination = "bytea";
	}

	/*
	 * The audit row is committed (by the audit worker, in a transaction of
	 * its own) before the first byte leaves: before the bytea is returned,
	 * before the file gets its final name.  A rollback of the caller cannot
	 * remove it.
	 */
	set_ps_display("csstats export: audit");
	PAUSE_POINT("before_audit");
	id = ExportAuditAppend(req, &counts, bytes, sha, destination);
	PAUSE_POINT("after_audit");
	if (to_file)
		ExportOutputPublish(ReplaceId(final_name, id));

	/* phase timings: the benchmark compares the export with its unencrypted floor */
	ereport(DEBUG1,
			(errmsg("csstats export %lld: document %.3f s, encryption %.3f s, hash and audit %.3f s",
					(long long) id,
					(t_doc - t_start) / 1000000.0, (t_enc - t_doc) / 1000000.0,
					(GetCurrentTimestamp() - t_enc) / 1000000.0)));
	SPI_finish();
	set_ps_display(saved_ps);
	MemoryContextSwitchTo(callercxt);
	/* removes the private directory and wipes the password copy */
	MemoryContextDelete(cxt);

	if (to_file)
		result = Int64GetDatum(id);
	else
		result = PointerGetDatum(data);
	return result;
}

PG_FUNCTION_INFO_V1(csstats_export_chats);
Datum
csstats_export_chats(PG_FUNCTION_ARGS)
{
	return ExportMain(fcinfo, EXPORT_CHATS, false, NULL);
}

PG_FUNCTION_INFO_V1(csstats_export_cases);
Datum
csstats_export_cases(PG_FUNCTION_ARGS)
{
	return ExportMain(fcinfo, EXPORT_CASES, false, NULL);
}

PG_FUNCTION_INFO_V1(csstats_export_chats_to_file);
Datum
csstats_export_chats_to_file(PG_FUNCTION_ARGS)
{
	return ExportMain(fcinfo, EXPORT_CHATS, true, NULL);
}

PG_FUNCTION_INFO_V1(csstats_export_cases_to_file);
Datum
csstats_export_cases_to_file(PG_FUNCTION_ARGS)
{
	return ExportMain(fcinfo, EXPORT_CASES, true, NULL);
}

/*
 * ExportGenerated
 *		The generate_password forms: the export under a password the server
 *		makes, returned with the file (or the audit id) as one row.  The
 *		password lives in this frame's buffer (wiped on every path), in the
 *		request (wiped with the export's memory) and in the returned row,
 *		the one copy that leaves.
 */
static Datum
ExportGenerated(FunctionCallInfo fcinfo, ExportKind kind, bool to_file)
{
	char		password[PASSWORD_MAX + 1];
	TupleDesc	tupdesc;
	text	   *volatile pw = NULL;
	HeapTuple volatile tuple = NULL;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);
	password[0] = '\0';
	PG_TRY();
	{
		Datum		result = ExportMain(fcinfo, kind, to_file, password);
		Datum		values[2];
		bool		nulls[2] = {false, false};

		pw = cstring_to_text(password);
		/* (audit_id, generated_password) or (generated_password, file) */
		values[to_file ? 0 : 1] = result;
		values[to_file ? 1 : 0] = PointerGetDatum(pw);
		tuple = heap_form_tuple(tupdesc, values, nulls);
		if (!to_file)
			pfree(DatumGetPointer(result));	/* the row holds its copy */
	}
	PG_FINALLY();
	{
		explicit_bzero(password, sizeof(password));
		if (pw != NULL)
		{
			explicit_bzero(VARDATA(pw), VARSIZE(pw) - VARHDRSZ);
			pfree(pw);
		}
	}
	PG_END_TRY();
	return HeapTupleGetDatum(tuple);
}

PG_FUNCTION_INFO_V1(csstats_export_chats_generated);
Datum
csstats_export_chats_generated(PG_FUNCTION_ARGS)
{
	return ExportGenerated(fcinfo, EXPORT_CHATS, false);
}

PG_FUNCTION_INFO_V1(csstats_export_cases_generated);
Datum
csstats_export_cases_generated(PG_FUNCTION_ARGS)
{
	return ExportGenerated(fcinfo, EXPORT_CASES, false);
}

PG_FUNCTION_INFO_V1(csstats_export_chats_to_file_generated);
Datum
csstats_export_chats_to_file_generated(PG_FUNCTION_ARGS)
{
	return ExportGenerated(fcinfo, EXPORT_CHATS, true);
}

PG_FUNCTION_INFO_V1(csstats_export_cases_to_file_generated);
Datum
csstats_export_cases_to_file_generated(PG_FUNCTION_ARGS)
{
	return ExportGenerated(fcinfo, EXPORT_CASES, true);
}

/*
 * csstats_export_header
 *		export_header(sheet, column): the header a sheet column gets in the
 *		files (the single snake_case -> seed mapping, for documentation and
 *		for readers of the files).
 */
PG_FUNCTION_INFO_V1(csstats_export_header);
Datum
csstats_export_header(PG_FUNCTION_ARGS)
{
	char	   *sheet = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *column = text_to_cstring(PG_GETARG_TEXT_PP(1));

	PG_RETURN_TEXT_P(cstring_to_text(ExportHeaderName(sheet, column)));
}
