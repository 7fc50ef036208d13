/*-------------------------------------------------------------------------
 *
 * export_file.c
 *	  The server file of export_*_to_file and its commit protocol.
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
 *	  The plaintext never comes here: it lives in the private directory
 *	  (export_tmp.c) and only its encryption (export_encrypt.c) is written
 *	  into the file opened here.
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
#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/memutils.h"

#include "export.h"
#include "export_encrypt.h"
#include "export_file.h"
#include "pause.h"

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
