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
 *	  temporary name (".csstats-<system id>-<pid>-<random>.tmp", O_EXCL,
 *	  O_NOFOLLOW, mode 0600) created through a held directory descriptor,
 *	  fsynced, hashed, and renamed to the final name only after the audit
 *	  row is committed (RENAME_NOREPLACE through the same descriptor: never
 *	  overwrites, never follows a symlink), then the directory is fsynced.
 *	  An error or a cancel before the rename removes the temporary file; a
 *	  crash leaves it under its temporary name, and the next server export
 *	  sweeps it once its pid is gone.  So a file under its final name
 *	  always has a committed audit row, and a partial file never has a
 *	  final name.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "access/xact.h"
#include "access/xlog.h"
#include "common/cryptohash.h"
#include "common/sha2.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "storage/ipc.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "agile.h"
#include "zipenc.h"

#include "export.h"
#include "pause.h"

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

/*
 * ExportCheckTempLimit
 *		The private directory's plaintext and intermediate files are
 *		temporary files of this session: refuse to grow them past
 *		temp_file_limit (kB, -1 = no limit), with PostgreSQL's own SQLSTATE.
 *		They are counted on their own, not added to the temporary files of
 *		the queries that read the sheets.  Checked after every fetched batch
 *		and after each step, so the overshoot is at most one batch.
 */
void
ExportCheckTempLimit(const char *dir)
{
	DIR		   *d;
	struct dirent *de;
	struct stat st;
	char		p[MAXPGPATH];
	uint64		total = 0;

	if (temp_file_limit < 0)
		return;
	d = AllocateDir(dir);
	while ((de = ReadDir(d, dir)) != NULL)
	{
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		if (stat(p, &st) == 0)
			total += (uint64) st.st_size;
	}
	FreeDir(d);
	if (total / 1024 > (uint64) temp_file_limit)
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("temporary file size exceeds temp_file_limit (%dkB)", temp_file_limit),
				 errdetail("The export's temporary files hold " UINT64_FORMAT " kB.", total / 1024),
				 errhint("Narrow the range or the filters, or ask a superuser to raise temp_file_limit.")));
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

/*
 * The temporary file of a server export, from creation until it gets its
 * final name.  Its directory stays open (dirfd) from creation to the final
 * fsync, so the rename and the fsync act on the directory the file was
 * created in, whatever happens to the path meanwhile.
 */
typedef struct PendingFile
{
	struct PendingFile *next;
	int			dirfd;
	int			fd;				/* -1 once sealed */
	char	   *tmp_name;
	SubTransactionId subid;
} PendingFile;

static PendingFile *pending_files = NULL;
static bool xact_callbacks_registered = false;

/* Remove the temporary file and close what is open; never throws. */
static void
PendingDiscard(PendingFile *f)
{
	if (f->fd >= 0)
		(void) close(f->fd);
	if (unlinkat(f->dirfd, f->tmp_name, 0) != 0 && errno != ENOENT)
		elog(WARNING, "could not remove temporary export file \"%s\": %m", f->tmp_name);
	(void) close(f->dirfd);
	pfree(f->tmp_name);
	pfree(f);
}

static void
PendingUnlink(PendingFile *f)
{
	PendingFile **link;

	for (link = &pending_files; *link != NULL; link = &(*link)->next)
		if (*link == f)
		{
			*link = f->next;
			return;
		}
}

/*
 * The export function publishes its file itself, after the audit commit; a
 * file still pending at the end of the transaction is one whose export
 * failed or was cancelled: it is removed, whatever the outcome.
 */
static void
ExportXactCallback(XactEvent event, void *arg)
{
	PendingFile *f;

	if (event != XACT_EVENT_COMMIT && event != XACT_EVENT_ABORT &&
		event != XACT_EVENT_PREPARE)
		return;
	while ((f = pending_files) != NULL)
	{
		pending_files = f->next;
		PendingDiscard(f);
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
 *		symbolic link, dangling or not).  The rename checks again
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

/* ".csstats-<system identifier>-<pid>-": this cluster's temp names */
static void
TempPrefix(char *buf, size_t len)
{
	snprintf(buf, len, ".csstats-" UINT64_FORMAT "-", GetSystemIdentifier());
}

/*
 * SweepDeadTempFiles
 *		Remove the temporary files that exports of this cluster left behind
 *		when their backend died (kill -9, a crash, a power loss).  Only names
 *		with this cluster's system identifier and the pid of a process that
 *		no longer exists are removed: a file of a running export (or of a
 *		process that reused the pid) is left alone, and so is every other
 *		file of the directory.
 */
static void
SweepDeadTempFiles(int dirfd)
{
	char		prefix[64];
	size_t		plen;
	int			dupfd;
	DIR		   *d;
	struct dirent *de;

	TempPrefix(prefix, sizeof(prefix));
	plen = strlen(prefix);
	dupfd = dup(dirfd);
	if (dupfd < 0 || (d = fdopendir(dupfd)) == NULL)
	{
		if (dupfd >= 0)
			close(dupfd);
		return;
	}
	while ((de = readdir(d)) != NULL)
	{
		char	   *end;
		long		pid;
		size_t		nlen = strlen(de->d_name);

		if (strncmp(de->d_name, prefix, plen) != 0 || nlen < plen + 5 ||
			strcmp(de->d_name + nlen - 4, ".tmp") != 0)
			continue;
		errno = 0;
		pid = strtol(de->d_name + plen, &end, 10);
		if (errno != 0 || end == de->d_name + plen || *end != '-' || pid <= 0 ||
			pid == MyProcPid)
			continue;
		if (kill((pid_t) pid, 0) == 0 || errno != ESRCH)
			continue;
		if (unlinkat(dirfd, de->d_name, 0) == 0)
			elog(LOG, "removed temporary export file \"%s\" of a process that no longer exists",
				 de->d_name);
	}
	closedir(d);
}

/*
 * ExportOutputOpen
 *		Create the temporary file of a server export (O_EXCL, O_NOFOLLOW,
 *		0600) in the export directory and register it with the
 *		(sub)transaction, so that an error or a cancel from here on removes
 *		it.  Dead exports' leftovers are swept first.
 */
int
ExportOutputOpen(void)
{
	uint8		rnd[8];
	char		prefix[64];
	char		name[128];
	int			dirfd;
	int			fd;
	PendingFile *f;

	dirfd = open(csstats_export_directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FILE),
				 errmsg("could not open export directory \"%s\": %m", csstats_export_directory),
				 errhint("A superuser sets csstats.export_directory to an existing directory the server can write.")));
	if (!pg_strong_random(rnd, sizeof(rnd)))
	{
		close(dirfd);
		elog(ERROR, "could not generate random bytes");
	}
	SweepDeadTempFiles(dirfd);
	TempPrefix(prefix, sizeof(prefix));
	snprintf(name, sizeof(name), "%s%d-%02x%02x%02x%02x%02x%02x%02x%02x.tmp",
			 prefix, MyProcPid, rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);

	if (!xact_callbacks_registered)
	{
		RegisterXactCallback(ExportXactCallback, NULL);
		RegisterSubXactCallback(ExportSubXactCallback, NULL);
		xact_callbacks_registered = true;
	}
	fd = openat(dirfd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | PG_BINARY,
				S_IRUSR | S_IWUSR);
	if (fd < 0)
	{
		int			save_errno = errno;

		close(dirfd);
		errno = save_errno;
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not create file \"%s\" in the export directory: %m", name)));
	}
	/* registered at once, so an error from here on removes it */
	f = MemoryContextAllocZero(TopMemoryContext, sizeof(PendingFile));
	f->dirfd = dirfd;
	f->fd = fd;
	f->tmp_name = MemoryContextStrdup(TopMemoryContext, name);
	f->subid = GetCurrentSubTransactionId();
	f->next = pending_files;
	pending_files = f;
	if (fchmod(fd, S_IRUSR | S_IWUSR) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not set the mode of file \"%s\": %m", name)));
	return fd;
}

/* The pending file opened last (this backend runs one export at a time). */
static PendingFile *
CurrentPending(void)
{
	if (pending_files == NULL)
		elog(ERROR, "no export file is pending");
	return pending_files;
}

/*
 * ExportOutputSeal
 *		The encrypted file is complete: make its contents durable and
 *		return its size and SHA-256, read back from the disk.
 */
void
ExportOutputSeal(int64 *size, char *sha256_hex)
{
	PendingFile *f = CurrentPending();

	if (pg_fsync(f->fd) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not fsync file \"%s\" in the export directory: %m", f->tmp_name)));
	(void) ExportReadFile(f->fd, false, size, sha256_hex);
	if (close(f->fd) != 0)
	{
		f->fd = -1;
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not close file \"%s\" in the export directory: %m", f->tmp_name)));
	}
	f->fd = -1;
}

/*
 * ExportOutputPublish
 *		Give the sealed file its final name (never replacing anything) and
 *		make the rename durable.  Called only once the audit row is
 *		committed.  A failing directory fsync is an ERROR for this export,
 *		never a PANIC of the cluster (the export directory is not the
 *		server's data).
 */
void
ExportOutputPublish(const char *final_name)
{
	PendingFile *f = CurrentPending();

	Assert(f->fd < 0);
	if (renameat2(f->dirfd, f->tmp_name, f->dirfd, final_name, RENAME_NOREPLACE) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not rename \"%s\" to \"%s\" in the export directory: %m",
						f->tmp_name, final_name),
				 errdetail("Export files are never overwritten. The export's audit row is committed, "
						   "but no file was delivered under that name.")));
	/* from here the file is delivered: an error must not remove it */
	PendingUnlink(f);
	PAUSE_POINT("file_after_rename");
	if (pg_fsync(f->dirfd) != 0)
	{
		int			save_errno = errno;

		(void) close(f->dirfd);
		errno = save_errno;
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not fsync the export directory \"%s\": %m", csstats_export_directory),
				 errdetail("The file \"%s\" has its final name and its audit row, but the rename may not survive a crash.",
						   final_name)));
	}
	(void) close(f->dirfd);
	pfree(f->tmp_name);
	pfree(f);
}
