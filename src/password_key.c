/*-------------------------------------------------------------------------
 *
 * password_key.c
 *	  The key that encrypts stored export passwords at rest, and the
 *	  encryption itself.
 *
 *	  The key is 32 random bytes in a server file named by the superuser
 *	  setting csstats.password_key_file (absolute, outside the data
 *	  directory, owned by the server's OS user, mode 0600), created with
 *	  O_EXCL, fsynced and linked into place so no backend reads half a key.
 *	  A row is sealed as nonce (12 random bytes) || AES-256-GCM ciphertext
 *	  || tag (16 bytes), with "csstats export password:" || name as
 *	  associated data, so a ciphertext copied to another name does not
 *	  decrypt; the key id (first 8 bytes of SHA-256(key)) tells which key
 *	  sealed a row.  The rows themselves, and who may use them, are
 *	  password_store.c's.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "commands/extension.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/guc.h"

#include "password_key.h"

#define AAD_PREFIX		"csstats export password:"

static char *csstats_password_key_file = NULL;

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
 * PasswordKeyInit
 *		csstats.password_key_file.  PGC_SUSET like the other export
 *		settings: only superusers set it (postgresql.conf, ALTER SYSTEM,
 *		ALTER DATABASE, or a superuser session, e.g. to re-store passwords
 *		under a new key), and it is hidden from other roles.  Empty by
 *		default: there is no safe place to guess (inside the data directory
 *		every base backup and file copy would carry the key next to the
 *		ciphertexts), so storing passwords needs a DBA's choice.
 */
void
PasswordKeyInit(void)
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

/* Whether csstats.password_key_file is set at all. */
bool
PasswordKeyFileSet(void)
{
	return csstats_password_key_file != NULL && csstats_password_key_file[0] != '\0';
}

/* The key file's path; errors when unset or inside the data directory. */
char *
PasswordKeyFilePath(void)
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

void
PasswordKeyIdHex(const uint8 *id, char *hex)
{
	int			i;

	for (i = 0; i < KEY_ID_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", id[i]);
}

/* k->id from k->key: the first bytes of its SHA-256. */
static void
PasswordKeySetId(PasswordKey *k)
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
bool
PasswordKeyRead(const char *path, PasswordKey *k, bool missing_ok)
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
	PasswordKeySetId(k);
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
bool
PasswordKeyCreate(const char *path, PasswordKey *k)
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
	PasswordKeySetId(k);
	return true;
}

/* The key for sealing: the key file's, created on first use. */
void
PasswordKeyLoadOrCreate(PasswordKey *k)
{
	char	   *path = PasswordKeyFilePath();
	char		hex[2 * KEY_ID_LEN + 1];

	if (PasswordKeyRead(path, k, true))
		return;
	if (!PasswordKeyCreate(path, k))
	{
		(void) PasswordKeyRead(path, k, false);
		return;
	}
	PasswordKeyIdHex(k->id, hex);
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
bytea *
PasswordSeal(const PasswordKey *k, const char *name, const char *password)
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
char *
PasswordUnseal(const PasswordKey *k, const char *name, const uint8 *sealed, size_t sealed_len)
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
bytea *
PasswordSealWithKeyFile(const char *name, const char *password, bytea **key_id)
{
	PasswordKey k;
	bytea	   *volatile sealed = NULL;
	bytea	   *id = palloc(VARHDRSZ + KEY_ID_LEN);

	PG_TRY();
	{
		PasswordKeyLoadOrCreate(&k);
		sealed = PasswordSeal(&k, name, password);
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
