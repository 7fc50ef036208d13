/*-------------------------------------------------------------------------
 *
 * export_tmp.c
 *	  The private temporary directory of an export: where its plaintext
 *	  (and the intermediate files of the XLSX writer and the ZIP
 *	  encryption) lives, and nowhere else.
 *
 *	  The directory is private (mode 0700, created with mkdtemp) under the
 *	  server's temp area, $PGDATA/base/pgsql_tmp/pgsql_tmpcsstats.<pid>.XXXXXX.
 *	  It is removed when the export's memory context goes away: on success,
 *	  on error and on cancel alike (a memory-context reset callback), and at
 *	  backend exit (pg_terminate_backend).  After a server crash the startup
 *	  sweep of pgsql_tmp removes it, because its name starts with
 *	  "pgsql_tmp".  The workbook-close thread of a cancelled export removes
 *	  it itself (close_thread.c): the backend then disowns it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "miscadmin.h"
#include "storage/fd.h"
#include "storage/ipc.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "export_tmp.h"

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