/*
 * AES-256 zip writer (src/core/zipenc.c): the archive read back with libzip
 * (member name, AES-256 method, deflate, content, wrong password refused),
 * never overwriting, and error paths including a cancel (under LeakSanitizer).
 * 7-Zip reads the archives in the writers suite.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <zip.h>

#include "zipenc.h"

static char dir[64];
static char in_path[128];
static size_t in_len = 3 * 1024 * 1024;

static int
setup(void **state)
{
	FILE	   *f;

	strcpy(dir, "/tmp/cs_zip_XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(in_path, sizeof(in_path), "%s/in.json", dir);
	f = fopen(in_path, "w");
	for (size_t i = 0; i < in_len; i += 32)
		fprintf(f, "{\"n\":%08zu,\"t\":\"r\xC3\xA9\"},\n", i);
	fclose(f);
	return 0;
}

static int
teardown(void **state)
{
	unlink(in_path);
	return rmdir(dir);			/* fails if anything else was left */
}

static int
entries(void)
{
	DIR		   *d = opendir(dir);
	struct dirent *e;
	int			n = 0;

	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void
test_roundtrip(void **state)
{
	char		out[160];
	cs_err		err;
	cs_zip_opts o = {.member_name = "export.json", .deterministic = 1};
	zip_t	   *za;
	zip_stat_t	st;
	zip_file_t *zf;
	FILE	   *f = fopen(in_path, "rb");
	char	   *want = malloc(in_len + 64),
			   *got = malloc(in_len + 64);
	size_t		wn = fread(want, 1, in_len + 64, f);
	int			zerr;

	fclose(f);
	snprintf(out, sizeof(out), "%s/out.zip", dir);
	assert_int_equal(cs_zip_encrypt_file(in_path, out, "S3cret-\xC3\xA4", &o, &err), CS_OK);
	za = zip_open(out, ZIP_RDONLY, &zerr);
	assert_non_null(za);
	assert_int_equal(zip_get_num_entries(za, 0), 1);
	assert_int_equal(zip_stat_index(za, 0, 0, &st), 0);
	assert_string_equal(st.name, "export.json");
	assert_int_equal(st.encryption_method, ZIP_EM_AES_256);
	assert_int_equal(st.comp_method, ZIP_CM_DEFLATE);
	assert_int_equal(st.size, wn);
	assert_true(st.comp_size < wn / 2);
	/* wrong password refused, right one gives the bytes */
	assert_null(zip_fopen_index_encrypted(za, 0, 0, "wrong"));
	zf = zip_fopen_index_encrypted(za, 0, 0, "S3cret-\xC3\xA4");
	assert_non_null(zf);
	assert_int_equal(zip_fread(zf, got, in_len + 64), (zip_int64_t) wn);
	assert_int_equal(zip_fclose(zf), 0);
	assert_memory_equal(got, want, wn);
	zip_discard(za);

	/* never overwritten */
	assert_int_equal(cs_zip_encrypt_file(in_path, out, "x", &o, &err), CS_ERR_IO);
	assert_non_null(strstr(err.msg, "already exists"));
	unlink(out);
	free(want);
	free(got);
}

static int	calls;

static int
cancel_second(void *arg)
{
	return ++calls >= 2;
}

static void
test_errors(void **state)
{
	char		out[160];
	cs_err		err;
	cs_zip_opts o = {.check = cancel_second};
	cs_zip	   *z;

	snprintf(out, sizeof(out), "%s/e.zip", dir);
	assert_int_equal(cs_zip_encrypt_file(in_path, out, "", NULL, &err), CS_ERR_BADARG);
	assert_int_equal(cs_zip_encrypt_file(in_path, out, NULL, NULL, &err), CS_ERR_BADARG);
	assert_int_equal(cs_zip_encrypt_file("/nonexistent.json", out, "pw", NULL, &err), CS_ERR_IO);
	assert_non_null(strstr(err.msg, "No such file"));
	assert_int_equal(cs_zip_encrypt_file(dir, out, "pw", NULL, &err), CS_ERR_BADARG);
	assert_int_equal(cs_zip_encrypt_file(in_path, "/nonexistent-dir/e.zip", "pw", NULL, &err), CS_ERR_IO);
	/* canceled while compressing: nothing left, temp file included */
	calls = 0;
	assert_int_equal(cs_zip_encrypt_file(in_path, out, "pw", &o, &err), CS_ERR_CANCELED);
	assert_int_equal(entries(), 1);
	/* a context is single-use; freeing an unused one is fine */
	z = cs_zip_new();
	cs_zip_free(z);
	z = cs_zip_new();
	assert_int_equal(cs_zip_write(z, in_path, out, "", NULL, &err), CS_ERR_BADARG);
	assert_int_equal(cs_zip_write(z, in_path, out, "pw", NULL, &err), CS_ERR_BADARG);
	cs_zip_free(z);
	cs_zip_free(NULL);
	assert_int_equal(entries(), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
