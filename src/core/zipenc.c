/*
 * zipenc.c - AES-256 (WinZip AE-2) zip of one member with libzip (see zipenc.h).
 */
#include "zipenc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <zip.h>

#define PG_EPOCH_UNIX	INT64_C(946684800)

struct cs_zip
{
	zip_t	   *za;
	zip_source_t *src;			/* owned by us until zip_file_add succeeds */
	const cs_zip_opts *opts;
	int			canceled;
	int			used;
};

cs_zip *
cs_zip_new(void)
{
	return calloc(1, sizeof(cs_zip));
}

void
cs_zip_free(cs_zip *z)
{
	if (z == NULL)
		return;
	if (z->src)
		zip_source_free(z->src);
	/* zip_discard rolls back a started write, removing libzip's temp file */
	if (z->za)
		zip_discard(z->za);
	free(z);
}

static int
cancel_cb(zip_t *za, void *arg)
{
	cs_zip	   *z = arg;

	if (z->opts && z->opts->check && z->opts->check(z->opts->check_arg))
	{
		z->canceled = 1;
		return 1;
	}
	return 0;
}

static cs_status
zip_fail(cs_zip *z, cs_err *err, const char *what)
{
	return cs_err_set(err, CS_ERR_ZIP, "could not %s: %s", what, zip_strerror(z->za));
}

cs_status
cs_zip_write(cs_zip *z, const char *in_path, const char *out_path,
			 const char *password, const cs_zip_opts *opts, cs_err *err)
{
	const char *member = opts && opts->member_name ? opts->member_name : CS_ZIP_DEFAULT_MEMBER;
	zip_error_t ze;
	struct stat st;
	int			zerr = 0;
	zip_int64_t idx;
	time_t		mtime;

	cs_err_clear(err);
	if (z == NULL || z->used)
		return cs_err_set(err, CS_ERR_BADARG, "zip context missing or already used");
	z->used = 1;
	z->opts = opts;
	if (in_path == NULL || out_path == NULL || *member == '\0')
		return cs_err_set(err, CS_ERR_BADARG, "zip input, output and member name are required");
	if (password == NULL || *password == '\0')
		return cs_err_set(err, CS_ERR_BADARG, "password must not be empty");
	if (!zip_encryption_method_supported(ZIP_EM_AES_256, 1))
		return cs_err_set(err, CS_ERR_ZIP, "this libzip cannot write AES-256 encrypted archives");
	/* check the input first: libzip would only report a generic open error */
	if (stat(in_path, &st) != 0)
		return cs_err_set_errno(err, errno, "could not open the file to zip");
	if (!S_ISREG(st.st_mode))
		return cs_err_set(err, CS_ERR_BADARG, "the file to zip is not a regular file");

	z->za = zip_open(out_path, ZIP_CREATE | ZIP_EXCL, &zerr);
	if (z->za == NULL)
	{
		cs_status	rc;

		zip_error_init_with_code(&ze, zerr);
		if (zerr == ZIP_ER_EXISTS)
			rc = cs_err_set(err, CS_ERR_IO, "could not create the zip file: it already exists");
		else
			rc = cs_err_set(err, zip_error_system_type(&ze) == ZIP_ET_SYS ? CS_ERR_IO : CS_ERR_ZIP,
							"could not create the zip file: %s", zip_error_strerror(&ze));
		zip_error_fini(&ze);
		return rc;
	}
	if (zip_register_cancel_callback_with_state(z->za, cancel_cb, NULL, z) != 0)
		return zip_fail(z, err, "register the cancel callback");

	zip_error_init(&ze);
	z->src = zip_source_file_create(in_path, 0, -1, &ze);
	if (z->src == NULL)
	{
		cs_status	rc = cs_err_set(err, CS_ERR_ZIP, "could not open the file to zip: %s",
									zip_error_strerror(&ze));

		zip_error_fini(&ze);
		return rc;
	}
	zip_error_fini(&ze);
	idx = zip_file_add(z->za, member, z->src, ZIP_FL_ENC_UTF_8);
	if (idx < 0)
		return zip_fail(z, err, "add the member");
	z->src = NULL;				/* the archive owns it now */

	if (opts && opts->has_mtime)
		mtime = (time_t) (PG_EPOCH_UNIX + opts->mtime / 1000000);
	else if (opts && opts->deterministic)
		mtime = (time_t) PG_EPOCH_UNIX;
	else
		mtime = time(NULL);
	if (zip_set_file_compression(z->za, (zip_uint64_t) idx, ZIP_CM_DEFLATE, 0) != 0)
		return zip_fail(z, err, "set deflate compression");
	if (zip_file_set_mtime(z->za, (zip_uint64_t) idx, mtime, 0) != 0)
		return zip_fail(z, err, "set the member time");
	if (zip_file_set_encryption(z->za, (zip_uint64_t) idx, ZIP_EM_AES_256, password) != 0)
		return zip_fail(z, err, "set AES-256 encryption");

	/* the work (read, deflate, encrypt, write, rename) happens here */
	if (zip_close(z->za) != 0)
	{
		if (z->canceled || zip_error_code_zip(zip_get_error(z->za)) == ZIP_ER_CANCELLED)
			return cs_err_set(err, CS_ERR_CANCELED, "zip writing canceled");
		if (zip_error_system_type(zip_get_error(z->za)) == ZIP_ET_SYS)
		{
			int			sys = zip_error_code_system(zip_get_error(z->za));

			cs_err_set(err, CS_ERR_IO, "could not write the zip file: %s", zip_strerror(z->za));
			if (err)
				err->sys_errno = sys;
			return CS_ERR_IO;
		}
		return zip_fail(z, err, "write the zip file");
	}
	z->za = NULL;
	return CS_OK;
}

cs_status
cs_zip_encrypt_file(const char *in_path, const char *out_path, const char *password,
					const cs_zip_opts *opts, cs_err *err)
{
	cs_zip	   *z = cs_zip_new();
	cs_status	rc;

	if (z == NULL)
		return cs_err_set(err, CS_ERR_NOMEM, "out of memory for the zip context");
	rc = cs_zip_write(z, in_path, out_path, password, opts, err);
	cs_zip_free(z);
	return rc;
}
