/*-------------------------------------------------------------------------
 *
 * export_encrypt.c
 *	  The encryption step of an export and the read-back of its result.
 *
 *	  The plaintext document in the private directory (export_tmp.c) is
 *	  encrypted into the output file descriptor: an XLSX workbook with
 *	  ECMA-376 Agile Encryption (src/core/agile), a JSON document as an
 *	  AES-256 ZIP (src/core/zipenc) built in the private directory and then
 *	  copied.  The encrypted result is then read back from the disk for its
 *	  size and SHA-256 (the audit row records both) and, for the bytea
 *	  functions, its contents.
 *
 *	  The core's objects are malloc'd, not palloc'd: each one is tied to a
 *	  memory-context reset callback, so a cancel (a longjmp out of the
 *	  core) or an error leaks nothing.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cryptohash.h"
#include "common/sha2.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/memutils.h"

#include "agile.h"
#include "zipenc.h"

#include "export_encrypt.h"
#include "export_errors.h"

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

/* Track obj, the result of a core constructor: NULL is out of memory. */
static CoreObject *
CoreObjectTrack(void *obj, void (*free_fn) (void *))
{
	CoreObject *o;

	if (obj == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	o = palloc0(sizeof(CoreObject));

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