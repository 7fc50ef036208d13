/*-------------------------------------------------------------------------
 *
 * password_store.c
 *	  Stored export passwords (csstats.export_passwords), encrypted at rest
 *	  with a key the database does not hold.
 *
 *	  The key is 32 random bytes in a server file named by the superuser
 *	  setting csstats.password_key_file: an absolute path outside the data
 *	  directory, a regular file of the server's OS user with mode 0600.  So
 *	  neither a role that can read the table (pg_read_all_data, a blanket
 *	  GRANT SELECT), nor pg_dump output, nor a base backup holds a usable
 *	  password.  Each row holds
 *
 *	    key_id               the first 8 bytes of SHA-256(key): which key
 *	                         sealed the row, so a wrong key gives a clear
 *	                         error instead of a failed decryption;
 *	    password_ciphertext  nonce (12 random bytes) || AES-256-GCM
 *	                         ciphertext || tag (16 bytes), with
 *	                         "csstats export password:" || name as
 *	                         associated data, so a ciphertext copied to
 *	                         another name does not decrypt.
 *
 *	  The key file is created (O_EXCL, mode 0600, fsynced, linked into place
 *	  so no backend ever reads half a key) when the first password is stored,
 *	  or by csstats.create_password_key().  Key, plaintext and decrypted
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

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

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

#define KEY_LEN			32
#define KEY_ID_LEN		8
#define NONCE_LEN		12
#define TAG_LEN			16
#define AAD_PREFIX		"csstats export password:"

static char *csstats_password_key_file = NULL;

typedef struct PasswordKey
{
	uint8		key[KEY_LEN];
	uint8		id[KEY_ID_LEN];
} PasswordKey;

static bool
CheckKeyFileSetting(char **newval, void **extra, GucSource source)
{
	if (*newval != NULL && (*newval)[0] != '\0' && !is_absolute_path(*newval))
	{
		GUC_check_errdetail("The password key file must be given as an absolute path.");
		return false;
	}
	return true;
}

/*
 * PasswordStoreInit
 *		csstats.password_key_file.  PGC_SUSET like the other export
 *		settings: only superusers set it (postgresql.conf, ALTER SYSTEM,
 *		ALTER DATABASE, or a superuser session, e.g. to re-store passwords
 *		under a new key), and it is hidden from other roles.  Empty by
 *		default: there is no safe place to guess (inside the data directory
 *		every base backup and file copy would carry the key next to the
 *		ciphertexts), so storing passwords needs a DBA's choice.
 */
void
PasswordStoreInit(void)
{
	DefineCustomStringVariable("csstats.password_key_file",
							   "File holding the key that encrypts stored export passwords.",
							   "An absolute path outside the data directory, readable only by the server's OS user; "
							   "the key is created there when the first password is stored.  Empty: passwords cannot be stored.",
							   &csstats_password_key_file,
							   "",
							   PGC_SUSET, GUC_SUPERUSER_ONLY,
							   CheckKeyFileSetting, NULL, NULL);
}

/* ---------------------------------------------------------------------
 * The key file
 * ---------------------------------------------------------------------
 */

/* The key file's path; errors when unset or inside the data directory. */
static char *
KeyFilePath(void)
{
	char	   *path;

	if (csstats_password_key_file == NULL || csstats_password_key_file[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("csstats.password_key_file is not set"),
				 errdetail("Stored export passwords are encrypted with a key kept in a server file outside the database."),
				 errhint("A superuser sets csstats.password_key_file to an absolute path outside the data directory "
						 "(in postgresql.conf or with ALTER SYSTEM, then reloads); the key file is created there "
						 "when the first password is stored.")));
	path = pstrdup(csstats_password_key_file);
	canonicalize_path(path);
	if (path_is_prefix_of_path(DataDir, path))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("csstats.password_key_file must name a file outside the data directory"),
				 errdetail("Base backups and copies of the data directory would carry the key along with the encrypted passwords.")));
	return path;
}

static void
KeyIdHex(const uint8 *id, char *hex)
{
	int			i;

	for (i = 0; i < KEY_ID_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", id[i]);
}

/* k->id from k->key: the first bytes of its SHA-256. */
static void
KeySetId(PasswordKey *k)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (EVP_Digest(k->key, KEY_LEN, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen < KEY_ID_LEN)
		elog(ERROR, "could not compute the password key id");
	memcpy(k->id, md, KEY_ID_LEN);
	explicit_bzero(md, sizeof(md));
}

/*
 * Read the key file into k (which the caller wipes, also on error).
 * Returns false if the file does not exist and missing_ok.  A file that
 * others could read, that belongs to another OS user or that is not
 * exactly one key long is refused: a key that leaked or was truncated must
 * not silently keep working or seal new rows.
 */
static bool
KeyRead(const char *path, PasswordKey *k, bool missing_ok)
{
	struct stat st;
	size_t		done = 0;
	int			fd;

	fd = OpenTransientFile(path, O_RDONLY | PG_BINARY);
	if (fd < 0)
	{
		int			save_errno = errno;

		if (save_errno == ENOENT && missing_ok)
			return false;
		errno = save_errno;
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open password key file \"%s\": %m", path),
				 save_errno == ENOENT ?
				 errhint("Without this file the stored export passwords cannot be decrypted: restore it from its backup.") : 0));
	}
	if (fstat(fd, &st) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not stat password key file \"%s\": %m", path)));
	if (!S_ISREG(st.st_mode))
		ereport(ERROR,
				(errcode(ERRCODE_CONFIG_FILE_ERROR),
				 errmsg("password key file \"%s\" is not a regular file", path)));
	if (st.st_uid != geteuid())
		ereport(ERROR,
				(errcode(ERRCODE_CONFIG_FILE_ERROR),
				 errmsg("password key file \"%s\" is not owned by the server's operating system user", path),
				 errhint("Give it to the user the server runs as, with mode 0600.")));
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_CONFIG_FILE_ERROR),
				 errmsg("password key file \"%s\" has group or other permissions", path),
				 errdetail("Its mode is %04o; only the server's operating system user may read the key.",
						   (unsigned int) (st.st_mode & 07777)),
				 errhint("Make it mode 0600 (chmod 600), and consider the key exposed if others could read it.")));
	if (st.st_size != KEY_LEN)
		ereport(ERROR,
				(errcode(ERRCODE_CONFIG_FILE_ERROR),
				 errmsg("password key file \"%s\" has the wrong size", path),
				 errdetail("It has %lld bytes; a key is exactly %d bytes.", (long long) st.st_size, KEY_LEN),
				 errhint("Restore the key file from its backup.")));
	while (done < KEY_LEN)
	{
		ssize_t		n = read(fd, k->key + done, KEY_LEN - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			ereport(ERROR,
					(errcode_for_file_access(),
					 n < 0 ? errmsg("could not read password key file \"%s\": %m", path) :
					 errmsg("could not read password key file \"%s\": unexpected end of file", path)));
		done += n;
	}
	CloseTransientFile(fd);
	KeySetId(k);
	return true;
}

/* Write all of buf; false (errno set) on failure. */
static bool
WriteAll(int fd, const uint8 *buf, size_t len)
{
	while (len > 0)
	{
		ssize_t		n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
		{
			if (n == 0)
				errno = ENOSPC;
			return false;
		}
		buf += n;
		len -= n;
	}
	return true;
}

/*
 * Create the key file with a new random key in k (which the caller wipes).
 * The key goes to a private temporary file (O_EXCL, mode 0600), is
 * fsynced, then hard-linked to the final name: link never replaces a file,
 * and a reader sees either no key file or a whole one.  Returns false if
 * another backend created the key file first (then read that one).
 */
static bool
KeyCreate(const char *path, PasswordKey *k)
{
	char	   *tmp = psprintf("%s.%d.tmp", path, MyProcPid);
	char	   *dir;
	int			fd;
	int			save_errno;

	if (!pg_strong_random(k->key, KEY_LEN))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate a random password key")));
	fd = OpenTransientFilePerm(tmp, O_WRONLY | O_CREAT | O_EXCL | PG_BINARY, S_IRUSR | S_IWUSR);
	if (fd < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not create password key file \"%s\": %m", tmp)));
	if (!WriteAll(fd, k->key, KEY_LEN) || pg_fsync(fd) != 0)
	{
		save_errno = errno;
		CloseTransientFile(fd);
		(void) unlink(tmp);
		errno = save_errno;
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not write password key file \"%s\": %m", tmp)));
	}
	if (CloseTransientFile(fd) != 0 || link(tmp, path) != 0)
	{
		save_errno = errno;
		(void) unlink(tmp);
		if (save_errno == EEXIST)
		{
			explicit_bzero(k->key, KEY_LEN);
			return false;
		}
		errno = save_errno;
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not create password key file \"%s\": %m", path)));
	}
	(void) unlink(tmp);

	/* the new name is durable; a failure is an ERROR, never fd.c's PANIC */
	dir = pstrdup(path);
	get_parent_directory(dir);
	fd = OpenTransientFile(dir, O_RDONLY | PG_BINARY);
	if (fd < 0 || pg_fsync(fd) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not fsync directory \"%s\": %m", dir)));
	CloseTransientFile(fd);
	KeySetId(k);
	return true;
}

/* The key for sealing: the key file's, created on first use. */
static void
KeyLoadOrCreate(PasswordKey *k)
{
	char	   *path = KeyFilePath();
	char		hex[2 * KEY_ID_LEN + 1];

	if (KeyRead(path, k, true))
		return;
	if (!KeyCreate(path, k))
	{
		(void) KeyRead(path, k, false);
		return;
	}
	KeyIdHex(k->id, hex);
	/* an extension script hides notices: the update's new key must be seen */
	ereport(creating_extension ? WARNING : NOTICE,
			(errmsg("created password key file \"%s\" (key id %s)", path, hex),
			 errhint("Back it up separately from the database: without it the stored passwords cannot be decrypted.")));
}

/* ---------------------------------------------------------------------
 * AES-256-GCM.  No ereport between EVP_CIPHER_CTX_new and _free.
 * ---------------------------------------------------------------------
 */

/* nonce || ciphertext || tag of password, bound to name. */
static bytea *
Seal(const PasswordKey *k, const char *name, const char *password)
{
	size_t		plen = strlen(password);
	char	   *aad = psprintf("%s%s", AAD_PREFIX, name);
	bytea	   *out = palloc(VARHDRSZ + NONCE_LEN + plen + TAG_LEN);
	uint8	   *nonce = (uint8 *) VARDATA(out);
	uint8	   *ct = nonce + NONCE_LEN;
	EVP_CIPHER_CTX *ctx;
	int			len = 0;
	int			fin = 0;
	bool		ok;

	SET_VARSIZE(out, VARHDRSZ + NONCE_LEN + plen + TAG_LEN);
	if (!pg_strong_random(nonce, NONCE_LEN))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate a random nonce")));
	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	ok = EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
		EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, NONCE_LEN, NULL) == 1 &&
		EVP_EncryptInit_ex(ctx, NULL, NULL, k->key, nonce) == 1 &&
		EVP_EncryptUpdate(ctx, NULL, &len, (const uint8 *) aad, strlen(aad)) == 1 &&
		EVP_EncryptUpdate(ctx, ct, &len, (const uint8 *) password, plen) == 1 &&
		(size_t) len == plen &&
		EVP_EncryptFinal_ex(ctx, ct + plen, &fin) == 1 && fin == 0 &&
		EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN, ct + plen) == 1;
	EVP_CIPHER_CTX_free(ctx);	/* cleanses the key schedule */
	if (!ok)
	{
		explicit_bzero(VARDATA(out), NONCE_LEN + plen + TAG_LEN);
		elog(ERROR, "could not encrypt the password");
	}
	return out;
}

/* The plaintext (palloc'd, NUL-terminated), or NULL if it does not authenticate. */
static char *
Unseal(const PasswordKey *k, const char *name, const uint8 *sealed, size_t sealed_len)
{
	size_t		clen;
	char	   *aad;
	char	   *plain;
	EVP_CIPHER_CTX *ctx;
	int			len = 0;
	int			fin = 0;
	bool		ok;

	if (sealed_len <= NONCE_LEN + TAG_LEN)
		return NULL;
	clen = sealed_len - NONCE_LEN - TAG_LEN;
	aad = psprintf("%s%s", AAD_PREFIX, name);
	plain = palloc(clen + 1);
	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	ok = EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
		EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, NONCE_LEN, NULL) == 1 &&
		EVP_DecryptInit_ex(ctx, NULL, NULL, k->key, sealed) == 1 &&
		EVP_DecryptUpdate(ctx, NULL, &len, (const uint8 *) aad, strlen(aad)) == 1 &&
		EVP_DecryptUpdate(ctx, (uint8 *) plain, &len, sealed + NONCE_LEN, clen) == 1 &&
		(size_t) len == clen &&
		EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN,
							(void *) (sealed + NONCE_LEN + clen)) == 1 &&
		EVP_DecryptFinal_ex(ctx, (uint8 *) plain + clen, &fin) == 1 && fin == 0;
	EVP_CIPHER_CTX_free(ctx);
	if (!ok)
	{
		explicit_bzero(plain, clen + 1);
		pfree(plain);
		return NULL;
	}
	plain[clen] = '\0';
	return plain;
}

/* Seal password for name with the key file's key; *key_id gets the key id. */
static bytea *
SealWithKeyFile(const char *name, const char *password, bytea **key_id)
{
	PasswordKey k;
	bytea	   *volatile sealed = NULL;
	bytea	   *id = palloc(VARHDRSZ + KEY_ID_LEN);

	PG_TRY();
	{
		KeyLoadOrCreate(&k);
		sealed = Seal(&k, name, password);
		SET_VARSIZE(id, VARHDRSZ + KEY_ID_LEN);
		memcpy(VARDATA(id), k.id, KEY_ID_LEN);
	}
	PG_FINALLY();
	{
		explicit_bzero(&k, sizeof(k));
	}
	PG_END_TRY();
	*key_id = id;
	return sealed;
}

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
		(void) KeyRead(KeyFilePath(), &k, false);
		same_key = memcmp(k.id, row_id, KEY_ID_LEN) == 0;
		KeyIdHex(k.id, key_hex);
		if (same_key)
			password = Unseal(&k, name, sealed, sealed_len);
	}
	PG_FINALLY();
	{
		explicit_bzero(&k, sizeof(k));
		explicit_bzero(sealed, sealed_len);
	}
	PG_END_TRY();
	pfree(sealed);

	KeyIdHex(row_id, row_hex);
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
		sealed = SealWithKeyFile(name, password, &key_id);
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
	path = KeyFilePath();
	PG_TRY();
	{
		if (!KeyRead(path, &k, true))
		{
			created = KeyCreate(path, &k);
			if (!created)
				(void) KeyRead(path, &k, false);
		}
		KeyIdHex(k.id, hex);
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
	if (nrows > 0 && (csstats_password_key_file == NULL || csstats_password_key_file[0] == '\0'))
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
			KeyLoadOrCreate(&k);
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
			values[1] = PointerGetDatum(Seal(&k, name, password));
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
