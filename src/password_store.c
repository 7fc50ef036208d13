/*-------------------------------------------------------------------------
 *
 * password_store.c
 *	  Stored export passwords (csstats.export_passwords), encrypted at rest
 *	  with a key the database does not hold.
 *
 *	  Neither a role that can read the table (pg_read_all_data, a blanket
 *	  GRANT SELECT), nor pg_dump output, nor a base backup holds a usable
 *	  password: each row holds the key id and the sealed password, and the
 *	  key lives in a server file (password_key.c seals, unseals and keeps
 *	  the key file).
 *
 *	  The key file is created when the first password is stored, or by
 *	  csstats.create_password_key().  Key, plaintext and decrypted
 *	  copies are wiped (explicit_bzero) on every path, errors included, and
 *	  so are the SPI tuples that carried them; OpenSSL contexts are freed
 *	  before anything can throw (no OpenSSL call does).  What this file
 *	  cannot wipe is the caller's statement: the password argument of
 *	  set_export_password lives in its text or its bind parameters.
 *
 *	  SQL: csstats.set_export_password, csstats.drop_export_password,
 *	  csstats.create_password_key; for the export functions,
 *	  ExportLookupPassword; for the 0.1.0 -> 0.2.0 update, the encryption of
 *	  the plaintext rows 0.1.0 stored.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"

#include "export.h"
#include "password_key.h"

/* ---------------------------------------------------------------------
 * Lookup (export functions)
 * ---------------------------------------------------------------------
 */

/*
 * ExportLookupPassword
 *		The stored password called name, if the calling role may use it.
 *		The row is read as the extension owner (the caller has no access to
 *		the table); the same error for "no such name" and "not yours", so
 *		the names of other roles' passwords are not revealed, and the key is
 *		read only for a caller that may use the row.  A refusal is audited
 *		as a denied attempt of req.  The result is palloc'd in the current
 *		context; the caller wipes it.
 */
char *
ExportLookupPassword(const char *name, ExportRequest *req)
{
	Oid			types[1] = {TEXTOID};
	Datum		values[1];
	char	   *usable_by = NULL;
	uint8		row_id[KEY_ID_LEN];
	bool		have_id = false;
	uint8	   *volatile sealed = NULL;
	volatile size_t sealed_len = 0;
	PasswordKey k;
	char	   *volatile password = NULL;
	volatile bool same_key = false;
	char		row_hex[2 * KEY_ID_LEN + 1];
	char		key_hex[2 * KEY_ID_LEN + 1] = "";
	bool		legacy;
	bool		permitted = false;
	int			rc;

	/*
	 * A database still on the 0.1.0 SQL (library upgraded, ALTER EXTENSION
	 * UPDATE not run yet) has the plaintext column: read it as 0.1.0 did
	 * until the update encrypts it.
	 */
	legacy = get_attnum(get_relname_relid("export_passwords", get_namespace_oid("csstats", false)),
						"password_ciphertext") == InvalidAttrNumber;
	values[0] = CStringGetTextDatum(name);
	rc = ExportExecuteAsOwner(legacy ?
							  "SELECT p.usable_by::pg_catalog.text, NULL::pg_catalog.bytea, "
							  "NULL::pg_catalog.bytea, p.password "
							  "FROM csstats.export_passwords p "
							  "WHERE p.name OPERATOR(pg_catalog.=) $1" :
							  "SELECT p.usable_by::pg_catalog.text, p.key_id, p.password_ciphertext, "
							  "NULL::pg_catalog.text "
							  "FROM csstats.export_passwords p "
							  "WHERE p.name OPERATOR(pg_catalog.=) $1",
							  1, types, values, NULL, true);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not read csstats.export_passwords: %s", SPI_result_code_string(rc));
	if (SPI_processed == 1)
	{
		HeapTuple	tup = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		Datum		d;

		usable_by = SPI_getvalue(tup, desc, 1);
		/* nothing else is copied for a caller that may not use the row */
		permitted = usable_by != NULL &&
			has_privs_of_role(GetUserId(), get_role_oid(usable_by, true));
		d = SPI_getbinval(tup, desc, 2, &isnull);
		if (permitted && !isnull && VARSIZE_ANY_EXHDR(DatumGetByteaPP(d)) == KEY_ID_LEN)
		{
			memcpy(row_id, VARDATA_ANY(DatumGetByteaPP(d)), KEY_ID_LEN);
			have_id = true;
		}
		d = SPI_getbinval(tup, desc, 3, &isnull);
		if (permitted && !isnull)
		{
			bytea	   *b = DatumGetByteaPP(d);

			sealed_len = VARSIZE_ANY_EXHDR(b);
			sealed = palloc(sealed_len);
			memcpy(sealed, VARDATA_ANY(b), sealed_len);
		}
		d = SPI_getbinval(tup, desc, 4, &isnull);
		if (permitted && !isnull)
			password = TextDatumGetCString(d);
		explicit_bzero(tup->t_data, tup->t_len);
	}
	SPI_freetuptable(SPI_tuptable);
	if (!permitted)
	{
		char	   *msg = psprintf("stored password \"%s\" does not exist or may not be used by role \"%s\"",
								   name, GetUserNameFromId(GetUserId(), false));

		/* a refused export attempt: audited before the error */
		ExportAuditDenied(req, psprintf("42501: %s", msg));
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg_internal("%s", msg),
				 errhint("A superuser stores passwords with csstats.set_export_password(name, password, usable_by).")));
	}
	if (legacy && password != NULL)
		return password;
	if (!have_id || sealed == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("stored password \"%s\" could not be decrypted", name),
				 errdetail("Its key_id, password_ciphertext or password is missing or malformed.")));

	PG_TRY();
	{
		(void) PasswordKeyRead(PasswordKeyFilePath(), &k, false);
		same_key = memcmp(k.id, row_id, KEY_ID_LEN) == 0;
		PasswordKeyIdHex(k.id, key_hex);
		if (same_key)
			password = PasswordUnseal(&k, name, sealed, sealed_len);
	}
	PG_FINALLY();
	{
		explicit_bzero(&k, sizeof(k));
		explicit_bzero(sealed, sealed_len);
	}
	PG_END_TRY();
	pfree(sealed);

	PasswordKeyIdHex(row_id, row_hex);
	if (!same_key)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("stored password \"%s\" was encrypted with another key (key id %s)", name, row_hex),
				 errdetail("The key in csstats.password_key_file has key id %s.", key_hex),
				 errhint("Point csstats.password_key_file at the key file the password was stored with "
						 "(restore it from its backup), or store the password again with csstats.set_export_password().")));
	if (password == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("stored password \"%s\" could not be decrypted", name),
				 errdetail("Its ciphertext does not authenticate with key id %s and this name: "
						   "it was altered, or copied from another name.", row_hex),
				 errhint("Store the password again with csstats.set_export_password().")));
	return password;
}

/* ---------------------------------------------------------------------
 * SQL functions
 * ---------------------------------------------------------------------
 */

/* Managing stored passwords: superusers and the extension's owner. */
static void
CheckMayManage(void)
{
	if (!has_privs_of_role(GetUserId(), ExportExtensionOwner()))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to manage stored export passwords"),
				 errdetail("Only superusers and the owner of the csstats extension may store or drop export passwords.")));
}

static char *
NameArg(FunctionCallInfo fcinfo, int i)
{
	char	   *name;

	if (PG_ARGISNULL(i))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("name must not be null")));
	name = text_to_cstring(PG_GETARG_TEXT_PP(i));
	if (name[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("name must not be empty")));
	return name;
}

/*
 * csstats.set_export_password(name text, password text, usable_by regrole)
 *		Validate, encrypt and store (insert or replace) a password.  The key
 *		file is created on first use.  Only the ciphertext reaches SPI.
 */
PG_FUNCTION_INFO_V1(csstats_set_export_password);
Datum
csstats_set_export_password(PG_FUNCTION_ARGS)
{
	char	   *name;
	text	   *pwtext;
	char	   *password;
	Oid			role;
	char	   *rolename;
	bytea	   *sealed = NULL;
	bytea	   *key_id = NULL;
	Oid			types[4] = {TEXTOID, TEXTOID, BYTEAOID, BYTEAOID};
	Datum		values[4];
	int			rc;

	CheckMayManage();
	name = NameArg(fcinfo, 0);
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("password must not be null")));
	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("usable_by must not be null")));
	role = PG_GETARG_OID(2);
	rolename = OidIsValid(role) ? GetUserNameFromId(role, true) : NULL;
	if (rolename == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("usable_by must name an existing role")));

	/* our copies of the password are wiped whatever happens */
	pwtext = PG_GETARG_TEXT_PP(1);
	password = text_to_cstring(pwtext);
	PG_TRY();
	{
		if ((Pointer) pwtext != DatumGetPointer(PG_GETARG_DATUM(1)))
			explicit_bzero(VARDATA_ANY(pwtext), VARSIZE_ANY_EXHDR(pwtext));
		ExportCheckPassword(password);
		sealed = PasswordSealWithKeyFile(name, password, &key_id);
	}
	PG_FINALLY();
	{
		explicit_bzero(password, strlen(password));
	}
	PG_END_TRY();

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	values[0] = CStringGetTextDatum(name);
	values[1] = CStringGetTextDatum(rolename);
	values[2] = PointerGetDatum(sealed);
	values[3] = PointerGetDatum(key_id);
	rc = ExportExecuteAsOwner("INSERT INTO csstats.export_passwords AS p "
							  "(name, usable_by, created_at, password_ciphertext, key_id) "
							  "VALUES ($1, $2::pg_catalog.name, pg_catalog.now(), $3, $4) "
							  "ON CONFLICT (name) DO UPDATE SET usable_by = excluded.usable_by, "
							  "created_at = excluded.created_at, "
							  "password_ciphertext = excluded.password_ciphertext, "
							  "key_id = excluded.key_id",
							  4, types, values, NULL, false);
	if (rc != SPI_OK_INSERT || SPI_processed != 1)
		elog(ERROR, "could not store the export password: %s", SPI_result_code_string(rc));
	SPI_finish();
	PG_RETURN_VOID();
}

/*
 * csstats.drop_export_password(name text) -> boolean
 *		Remove a stored password; false if there was none by that name.
 */
PG_FUNCTION_INFO_V1(csstats_drop_export_password);
Datum
csstats_drop_export_password(PG_FUNCTION_ARGS)
{
	Oid			types[1] = {TEXTOID};
	Datum		values[1];
	bool		found;
	int			rc;

	CheckMayManage();
	values[0] = CStringGetTextDatum(NameArg(fcinfo, 0));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	rc = ExportExecuteAsOwner("DELETE FROM csstats.export_passwords p "
							  "WHERE p.name OPERATOR(pg_catalog.=) $1",
							  1, types, values, NULL, false);
	if (rc != SPI_OK_DELETE)
		elog(ERROR, "could not drop the export password: %s", SPI_result_code_string(rc));
	found = SPI_processed > 0;
	SPI_finish();
	PG_RETURN_BOOL(found);
}

/*
 * csstats.create_password_key() -> text
 *		Create the key file named by csstats.password_key_file ahead of the
 *		first stored password (e.g. to back it up first); returns the new
 *		key id.  Superuser only: it creates a server file.
 */
PG_FUNCTION_INFO_V1(csstats_create_password_key);
Datum
csstats_create_password_key(PG_FUNCTION_ARGS)
{
	char	   *path;
	PasswordKey k;
	volatile bool created = false;
	char		hex[2 * KEY_ID_LEN + 1] = "";

	if (!superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to create the password key file"),
				 errdetail("Only superusers may create the password key file.")));
	path = PasswordKeyFilePath();
	PG_TRY();
	{
		if (!PasswordKeyRead(path, &k, true))
		{
			created = PasswordKeyCreate(path, &k);
			if (!created)
				(void) PasswordKeyRead(path, &k, false);
		}
		PasswordKeyIdHex(k.id, hex);
	}
	PG_FINALLY();
	{
		explicit_bzero(&k, sizeof(k));
	}
	PG_END_TRY();
	if (!created)
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_FILE),
				 errmsg("password key file \"%s\" already exists", path),
				 errdetail("It holds key id %s.", hex)));
	PG_RETURN_TEXT_P(cstring_to_text(hex));
}

/*
 * The 0.1.0 -> 0.2.0 update: encrypt the plaintext password column of the
 * rows 0.1.0 stored into the new columns (the update script then drops the
 * column and rewrites the table).  With no rows the key is not needed;
 * with rows and no csstats.password_key_file, the update fails naming it.
 * Callable only from the update script.
 */
PG_FUNCTION_INFO_V1(csstats_encrypt_plaintext_passwords);
Datum
csstats_encrypt_plaintext_passwords(PG_FUNCTION_ARGS)
{
	SPITupleTable *rows;
	uint64		nrows;
	PasswordKey k;
	char	   *volatile password = NULL;
	uint64		i;
	uint64		j;
	int			rc;

	if (!creating_extension)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("this function is only called by ALTER EXTENSION csstats UPDATE")));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	rc = SPI_execute("SELECT p.name, p.password FROM csstats.export_passwords p "
					 "ORDER BY p.name FOR UPDATE", false, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not read csstats.export_passwords: %s", SPI_result_code_string(rc));
	rows = SPI_tuptable;
	nrows = SPI_processed;
	if (nrows > 0 && !PasswordKeyFileSet())
	{
		for (i = 0; i < nrows; i++)
			explicit_bzero(rows->vals[i]->t_data, rows->vals[i]->t_len);
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("csstats.password_key_file is not set"),
				 errdetail("csstats.export_passwords holds " UINT64_FORMAT " passwords that csstats 0.1.0 stored in "
						   "plaintext; the update encrypts them with the key kept in that file.", nrows),
				 errhint("Set csstats.password_key_file to an absolute path outside the data directory "
						 "(the key file is created there), reload, and run the update again.")));
	}
	PG_TRY();
	{
		if (nrows > 0)
			PasswordKeyLoadOrCreate(&k);
		for (i = 0; i < nrows; i++)
		{
			HeapTuple	tup = rows->vals[i];
			char	   *name = SPI_getvalue(tup, rows->tupdesc, 1);
			bool		isnull;
			Datum		d = SPI_getbinval(tup, rows->tupdesc, 2, &isnull);
			Oid			types[3] = {TEXTOID, BYTEAOID, BYTEAOID};
			Datum		values[3];
			bytea	   *id = palloc(VARHDRSZ + KEY_ID_LEN);

			if (isnull)
				elog(ERROR, "csstats.export_passwords.password is null");
			password = TextDatumGetCString(d);
			values[0] = CStringGetTextDatum(name);
			values[1] = PointerGetDatum(PasswordSeal(&k, name, password));
			explicit_bzero(password, strlen(password));
			password = NULL;
			SET_VARSIZE(id, VARHDRSZ + KEY_ID_LEN);
			memcpy(VARDATA(id), k.id, KEY_ID_LEN);
			values[2] = PointerGetDatum(id);
			rc = SPI_execute_with_args("UPDATE csstats.export_passwords p "
									   "SET password_ciphertext = $2, key_id = $3 "
									   "WHERE p.name OPERATOR(pg_catalog.=) $1",
									   3, types, values, NULL, false, 0);
			if (rc != SPI_OK_UPDATE || SPI_processed != 1)
				elog(ERROR, "could not encrypt stored password \"%s\": %s", name, SPI_result_code_string(rc));
		}
	}
	PG_FINALLY();
	{
		explicit_bzero(&k, sizeof(k));
		if (password != NULL)
			explicit_bzero(password, strlen(password));
		for (j = 0; j < nrows; j++)
			explicit_bzero(rows->vals[j]->t_data, rows->vals[j]->t_len);
	}
	PG_END_TRY();
	SPI_freetuptable(rows);
	SPI_finish();
	PG_RETURN_VOID();
}
