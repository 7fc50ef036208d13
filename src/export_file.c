/*-------------------------------------------------------------------------
 *
 * export_file.c
 *	  Files of an export: the private temporary directory that holds the
 *	  plaintext, the encryption step, reading the result back (bytea and
 *	  SHA-256), and the server-file output of export_*_to_file.
 *
 *	  Plaintext only ever exists inside a private directory (mode 0700,
 *	  created with mkdtemp) under the server's temp area,
 *	  $PGDATA/base/pgsql_tmp/pgsql_tmpcsstats.<pid>.XXXXXX.  It is removed
 *	  when the export's memory context goes away: on success, on error and
 *	  on cancel alike (a memory-context reset callback), and at backend exit
 *	  (pg_terminate_backend).  After a server crash the startup sweep of
 *	  pgsql_tmp removes it, because its name starts with "pgsql_tmp".
 *
 *	  Server files are written into csstats.export_directory under a
 *	  temporary name (".csstats-<pid>-<random>.tmp", O_EXCL, O_NOFOLLOW,
 *	  mode 0600), fsynced, and renamed to the final name when the
 *	  transaction commits (RENAME_NOREPLACE: never overwrites, never follows
 *	  a symlink).  A rolled-back transaction, a cancel or an error removes
 *	  the temporary file, so a file under its final name always has its
 *	  audit row, and a partial file never has a final name.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "access/xact.h"
#include "common/cryptohash.h"
#include "common/sha2.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "storage/ipc.h"
#include "utils/memutils.h"

#include "agile.h"
#include "zipenc.h"

#include "export.h"

/* ---------------------------------------------------------------------
 * The private temporary directory
 * ---------------------------------------------------------------------
 */
struct ExportTempDir
{
	char		path[MAXPGPATH];
	bool		removed;
	MemoryContextCallback cb;
};

/* The directory of the export running in this backend, for proc_exit. */
static ExportTempDir *current_tempdir = NULL;
static bool exit_hook_registered = false;

/*
 * ExportRemoveFlatDir
 *		Remove every entry of dir (flat: the export creates no
 *		subdirectories), then dir.  The workbook-close thread calls it with
 *		may_log = false: it must not touch PostgreSQL's elog machinery.
 */
void
ExportRemoveFlatDir(const char *dir, bool may_log)
{
	DIR		   *d = opendir(dir);
	struct dirent *de;
	char		p[MAXPGPATH];

	if (d != NULL)
	{
		while ((de = readdir(d)) != NULL)
		{
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
			if (unlink(p) != 0 && errno != ENOENT && may_log)
				elog(WARNING, "could not remove temporary export file \"%s\": %m", p);
		}
		closedir(d);
	}
	if (rmdir(dir) != 0 && errno != ENOENT && may_log)
		elog(WARNING, "could not remove temporary export directory \"%s\": %m", dir);
}

void
ExportTempDirRemove(ExportTempDir *t)
{
	if (t == NULL || t->removed)
		return;
	t->removed = true;
	ExportRemoveFlatDir(t->path, true);
	if (current_tempdir == t)
		current_tempdir = NULL;
}

/*
 * ExportTempDirDisown
 *		The directory at path is now removed by someone else (the workbook
 *		close thread of a cancelled export): forget it.
 */
void
ExportTempDirDisown(const char *path)
{
	if (current_tempdir != NULL && strcmp(current_tempdir->path, path) == 0)
	{
		current_tempdir->removed = true;
		current_tempdir = NULL;
	}
}

static void
TempDirResetCallback(void *arg)
{
	ExportTempDir *t = (ExportTempDir *) arg;

	/* can run during error cleanup: must not throw */
	ExportTempDirRemove(t);
}

static void
TempDirExitHook(int code, Datum arg)
{
	if (current_tempdir != NULL && !current_tempdir->removed)
	{
		current_tempdir->removed = true;
		ExportRemoveFlatDir(current_tempdir->path, true);
	}
}

/*
 * ExportTempDirCreate
 *		A new private directory, removed when CurrentMemoryContext is reset
 *		or deleted (or the backend exits).
 */
ExportTempDir *
ExportTempDirCreate(void)
{
	ExportTempDir *t = palloc0(sizeof(ExportTempDir));
	char		base[MAXPGPATH];

	/* the default tablespace's temp area, swept at server start */
	snprintf(base, sizeof(base), "%s/base/%s", DataDir, PG_TEMP_FILES_DIR);
	if (MakePGDirectory(base) != 0 && errno != EEXIST)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not create directory \"%s\": %m", base)));
	snprintf(t->path, sizeof(t->path), "%s/%scsstats.%d.XXXXXX",
			 base, PG_TEMP_FILE_PREFIX, MyProcPid);
	if (mkdtemp(t->path) == NULL)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not create a private temporary directory under \"%s\": %m",
						base)));
	if (!exit_hook_registered)
	{
		on_proc_exit(TempDirExitHook, (Datum) 0);
		exit_hook_registered = true;
	}
	current_tempdir = t;
	t->cb.func = TempDirResetCallback;
	t->cb.arg = t;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, &t->cb);
	return t;
}

const char *
ExportTempDirPath(ExportTempDir *t)
{
	return t->path;
}

/* ---------------------------------------------------------------------
 * Core objects that are not palloc'd: freed by a reset callback, so a
 * longjmp out of the core (cancel) or an ereport leaks nothing.
 * ---------------------------------------------------------------------
 */
typedef struct CoreObject
{
	void	   *obj;
	void		(*free_fn) (void *);
	MemoryContextCallback cb;
} CoreObject;

static void
CoreObjectCallback(void *arg)
{
	CoreObject *o = (CoreObject *) arg;

	if (o->obj != NULL)
		o->free_fn(o->obj);
	o->obj = NULL;
}

static CoreObject *
CoreObjectTrack(void *obj, void (*free_fn) (void *))
{
	CoreObject *o = palloc0(sizeof(CoreObject));

	o->obj = obj;
	o->free_fn = free_fn;
	o->cb.func = CoreObjectCallback;
	o->cb.arg = o;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, &o->cb);
	return o;
}

static void
CoreObjectRelease(CoreObject *o)
{
	CoreObjectCallback(o);
}

static void
AgileFree(void *p)
{
	cs_agile_ctx_free((cs_agile_ctx *) p);
}

static void
ZipFree(void *p)
{
	cs_zip_free((cs_zip *) p);
}

/* libzip's callback must return: report a pending cancel instead of jumping */
static int
ZipCheckInterrupts(void *arg)
{
	return (InterruptPending && (QueryCancelPending || ProcDiePending)) ? 1 : 0;
}

/* Copy the whole file at path to out_fd, honouring cancels. */
static void
CopyFileToFd(const char *path, int out_fd)
{
	int			in_fd = OpenTransientFile(path, O_RDONLY | PG_BINARY);
	char	   *buf = palloc(1024 * 1024);
	ssize_t		n;

	if (in_fd < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open file \"%s\": %m", path)));
	while ((n = read(in_fd, buf, 1024 * 1024)) != 0)
	{
		char	   *p = buf;

		CHECK_FOR_INTERRUPTS();
		if (n < 0)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not read file \"%s\": %m", path)));
		while (n > 0)
		{
			ssize_t		w = write(out_fd, p, n);

			if (w < 0)
			{
				if (errno == EINTR)
					continue;
				ereport(ERROR,
						(errcode_for_file_access(),
						 errmsg("could not write the export file: %m")));
			}
			p += w;
			n -= w;
		}
	}
	CloseTransientFile(in_fd);
	pfree(buf);
}

/*
 * ExportEncrypt
 *		Encrypt the plaintext document at plain_path into out_fd: XLSX with
 *		ECMA-376 Agile Encryption, JSON as an AES-256 ZIP (built in tmpdir,
 *		then copied).
 */
void
ExportEncrypt(ExportRequest *req, const char *plain_path, const char *tmpdir,
			  int out_fd)
{
	cs_err		err;

	cs_err_clear(&err);
	if (req->format == EXPORT_XLSX)
	{
		int			in_fd = OpenTransientFile(plain_path, O_RDONLY | PG_BINARY);
		cs_agile_opts opts = {ExportCheckInterrupts, NULL};
		CoreObject *ctx;
		cs_status	rc;

		if (in_fd < 0)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not open file \"%s\": %m", plain_path)));
		ctx = CoreObjectTrack(cs_agile_ctx_new(), AgileFree);
		if (ctx->obj == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory")));
		rc = cs_agile_encrypt_fd((cs_agile_ctx *) ctx->obj, in_fd, out_fd,
								 req->password, &opts, &err);
		CoreObjectRelease(ctx);
		CloseTransientFile(in_fd);
		if (rc != CS_OK)
			ExportCoreError("could not encrypt the workbook", &err);
	}
	else
	{
		char		zip_path[MAXPGPATH];
		cs_zip_opts opts;
		CoreObject *z;
		cs_status	rc;

		memset(&opts, 0, sizeof(opts));
		opts.member_name = "export.json";
		opts.check = ZipCheckInterrupts;
		snprintf(zip_path, sizeof(zip_path), "%s/export.zip", tmpdir);
		z = CoreObjectTrack(cs_zip_new(), ZipFree);
		if (z->obj == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory")));
		rc = cs_zip_write((cs_zip *) z->obj, plain_path, zip_path,
						  req->password, &opts, &err);
		CoreObjectRelease(z);
		CHECK_FOR_INTERRUPTS();
		if (rc != CS_OK)
			ExportCoreError("could not write the encrypted ZIP", &err);
		CopyFileToFd(zip_path, out_fd);
		(void) unlink(zip_path);
	}
}

/*
 * ExportReadFile
 *		Size and SHA-256 (hex) of the file open on fd; with want_bytea, also
 *		its contents as a bytea (refused beyond the bytea limit).
 */
bytea *
ExportReadFile(int fd, bool want_bytea, int64 *size, char *sha256_hex)
{
	struct stat st;
	pg_cryptohash_ctx *h;
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	bytea	   *result = NULL;
	char	   *buf;
	off_t		off = 0;
	int			i;

	if (fstat(fd, &st) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not stat the export file: %m")));
	*size = st.st_size;
	if (want_bytea)
	{
		if ((Size) st.st_size > MaxAllocSize - VARHDRSZ)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("the encrypted export is too large for a bytea result: %lld bytes",
							(long long) st.st_size),
					 errdetail("A bytea value holds at most %zu bytes.",
							   (size_t) (MaxAllocSize - VARHDRSZ)),
					 errhint("Narrow the range or the filters, or write a server file with csstats.export_chats_to_file or csstats.export_cases_to_file.")));
		result = palloc(VARHDRSZ + st.st_size);
		SET_VARSIZE(result, VARHDRSZ + st.st_size);
		buf = VARDATA(result);
	}
	else
		buf = palloc(1024 * 1024);

	h = pg_cryptohash_create(PG_SHA256);
	if (pg_cryptohash_init(h) < 0)
		elog(ERROR, "could not initialize SHA-256: %s", pg_cryptohash_error(h));
	while (off < st.st_size)
	{
		size_t		want = Min((off_t) 1024 * 1024, st.st_size - off);
		char	   *dst = want_bytea ? buf + off : buf;
		ssize_t		n = pread(fd, dst, want, off);

		CHECK_FOR_INTERRUPTS();
		if (n < 0)
		{
			if (errno == EINTR)
				continue;
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not read the export file: %m")));
		}
		if (n == 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("the export file is shorter than expected")));
		if (pg_cryptohash_update(h, (uint8 *) dst, n) < 0)
			elog(ERROR, "could not compute SHA-256: %s", pg_cryptohash_error(h));
		off += n;
	}
	if (pg_cryptohash_final(h, digest, sizeof(digest)) < 0)
		elog(ERROR, "could not compute SHA-256: %s", pg_cryptohash_error(h));
	pg_cryptohash_free(h);
	for (i = 0; i < PG_SHA256_DIGEST_LENGTH; i++)
		snprintf(sha256_hex + 2 * i, 3, "%02x", digest[i]);
	if (!want_bytea)
		pfree(buf);
	return result;
}

/* ---------------------------------------------------------------------
 * Server files in csstats.export_directory
 * ---------------------------------------------------------------------
 */

/*
 * ExportFileNameValid
 *		A plain file name: 1..200 bytes, no '/' or '\', no "..", not
 *		starting with '.' (hidden names are where temporary files live), no
 *		control characters.
 */
bool
ExportFileNameValid(const char *name, const char **why)
{
	const unsigned char *p;

	if (name[0] == '\0')
	{
		*why = "The name is empty.";
		return false;
	}
	if (strlen(name) > 200)
	{
		*why = "The name is longer than 200 bytes.";
		return false;
	}
	if (strchr(name, '/') != NULL || strchr(name, '\\') != NULL)
	{
		*why = "The name contains a path separator.";
		return false;
	}
	if (strstr(name, "..") != NULL)
	{
		*why = "The name contains \"..\".";
		return false;
	}
	if (name[0] == '.')
	{
		*why = "The name starts with a dot.";
		return false;
	}
	for (p = (const unsigned char *) name; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
		{
			*why = "The name contains a control character.";
			return false;
		}
	return true;
}

/* A temporary file of this transaction waiting for its final name. */
typedef struct PendingFile
{
	struct PendingFile *next;
	char	   *tmp_path;
	char	   *final_path;
	SubTransactionId subid;
	bool		ready;			/* written and fsynced */
	bool		renamed;		/* now under final_path */
} PendingFile;

static PendingFile *pending_files = NULL;
static bool xact_callbacks_registered = false;

static void
PendingDiscard(PendingFile *f)
{
	const char *path = f->renamed ? f->final_path : f->tmp_path;

	if (unlink(path) != 0 && errno != ENOENT)
		elog(WARNING, "could not remove export file \"%s\": %m", path);
}

static void
PendingFree(PendingFile *f)
{
	pfree(f->tmp_path);
	pfree(f->final_path);
	pfree(f);
}

static void
ExportXactCallback(XactEvent event, void *arg)
{
	PendingFile *f;

	if (pending_files == NULL)
		return;
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
			/* an error here aborts the transaction: the ABORT case cleans up */
			for (f = pending_files; f != NULL; f = f->next)
			{
				char	   *dir;

				if (!f->ready)
					elog(ERROR, "export file \"%s\" was not completed", f->tmp_path);
				if (renameat2(AT_FDCWD, f->tmp_path, AT_FDCWD, f->final_path,
							  RENAME_NOREPLACE) != 0)
					ereport(ERROR,
							(errcode_for_file_access(),
							 errmsg("could not rename \"%s\" to \"%s\": %m",
									f->tmp_path, f->final_path),
							 errdetail("Export files are never overwritten.")));
				f->renamed = true;
				dir = pstrdup(f->final_path);
				*strrchr(dir, '/') = '\0';
				fsync_fname(dir, true);
				pfree(dir);
			}
			break;
		case XACT_EVENT_COMMIT:
			while ((f = pending_files) != NULL)
			{
				pending_files = f->next;
				PendingFree(f);
			}
			break;
		case XACT_EVENT_ABORT:
			while ((f = pending_files) != NULL)
			{
				pending_files = f->next;
				PendingDiscard(f);
				PendingFree(f);
			}
			break;
		case XACT_EVENT_PRE_PREPARE:
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("cannot PREPARE a transaction that wrote a csstats export file")));
			break;
		default:
			break;
	}
}

static void
ExportSubXactCallback(SubXactEvent event, SubTransactionId mySubid,
					  SubTransactionId parentSubid, void *arg)
{
	PendingFile **link = &pending_files;
	PendingFile *f;

	while ((f = *link) != NULL)
	{
		if (f->subid == mySubid)
		{
			if (event == SUBXACT_EVENT_ABORT_SUB)
			{
				*link = f->next;
				PendingDiscard(f);
				PendingFree(f);
				continue;
			}
			if (event == SUBXACT_EVENT_COMMIT_SUB)
				f->subid = parentSubid;
		}
		link = &f->next;
	}
}

static char *
ExportPath(const char *name)
{
	return psprintf("%s/%s", csstats_export_directory, name);
}

/*
 * ExportOutputCheckFree
 *		Fail early when the final name is taken (a file, a directory or a
 *		symbolic link, dangling or not).  The rename at commit checks again
 *		atomically.
 */
void
ExportOutputCheckFree(const char *final_name)
{
	char	   *path = ExportPath(final_name);
	struct stat st;

	if (lstat(path, &st) == 0)
	{
		if (S_ISLNK(st.st_mode))
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_FILE),
					 errmsg("export file \"%s\" is a symbolic link", final_name),
					 errdetail("Exports never follow symbolic links or overwrite files.")));
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_FILE),
				 errmsg("export file \"%s\" already exists", final_name),
				 errdetail("Exports never overwrite files."),
				 errhint("Choose another file name, or omit it to get a generated one.")));
	}
	if (errno != ENOENT)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not stat \"%s\": %m", path)));
	pfree(path);
}

/*
 * ExportOutputOpen
 *		Create the temporary file of a server export (O_EXCL, O_NOFOLLOW,
 *		0600) in the export directory and register it with the transaction.
 *		final_name may contain "{id}" (replaced later, see
 *		ExportOutputFinish).
 */
int
ExportOutputOpen(const char *final_name, char **tmp_name)
{
	uint8		rnd[8];
	char		name[64];
	char	   *path;
	int			fd;
	PendingFile *f;
	struct stat st;

	if (stat(csstats_export_directory, &st) != 0 || !S_ISDIR(st.st_mode))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FILE),
				 errmsg("export directory \"%s\" does not exist or is not a directory",
						csstats_export_directory),
				 errhint("A superuser sets csstats.export_directory to an existing directory the server can write.")));
	if (!pg_strong_random(rnd, sizeof(rnd)))
		elog(ERROR, "could not generate random bytes");
	snprintf(name, sizeof(name), ".csstats-%d-%02x%02x%02x%02x%02x%02x%02x%02x.tmp",
			 MyProcPid, rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
	path = ExportPath(name);

	if (!xact_callbacks_registered)
	{
		RegisterXactCallback(ExportXactCallback, NULL);
		RegisterSubXactCallback(ExportSubXactCallback, NULL);
		xact_callbacks_registered = true;
	}
	fd = OpenTransientFilePerm(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | PG_BINARY,
							   S_IRUSR | S_IWUSR);
	if (fd < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not create file \"%s\": %m", path)));
	/* registered at once, so an error from here on removes it */
	f = MemoryContextAllocZero(TopMemoryContext, sizeof(PendingFile));
	f->tmp_path = MemoryContextStrdup(TopMemoryContext, path);
	f->final_path = MemoryContextStrdup(TopMemoryContext, "");
	f->subid = GetCurrentSubTransactionId();
	f->next = pending_files;
	pending_files = f;
	if (fchmod(fd, S_IRUSR | S_IWUSR) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not set the mode of file \"%s\": %m", path)));
	*tmp_name = pstrdup(name);
	pfree(path);
	return fd;
}

/*
 * ExportOutputFinish
 *		fsync and close the temporary file opened last; it gets final_name
 *		when the transaction commits.
 */
void
ExportOutputFinish(int fd, const char *final_name)
{
	PendingFile *f = pending_files;

	Assert(f != NULL && !f->ready);
	if (pg_fsync(fd) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not fsync file \"%s\": %m", f->tmp_path)));
	if (CloseTransientFile(fd) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not close file \"%s\": %m", f->tmp_path)));
	pfree(f->final_path);
	f->final_path = MemoryContextStrdup(TopMemoryContext, ExportPath(final_name));
	f->ready = true;
}
