/*
 * csenc - command-line driver over the csstats file-writer core, used by the
 * writer test suite (test/suites/20_writers.sh) and the encryption benchmark
 * (test/bench/20_encrypt.sh).
 *
 *   csenc xlsx-demo OUT.xlsx NROWS [TMPDIR]  realistic 20-column workbook
 *                                            (deterministic) + "Tricky data"
 *   csenc xlsx-rollover OUT.xlsx EXTRA [TMPDIR]  header + 1,048,575 + EXTRA rows
 *   csenc encrypt IN OUT PASSWORD [--cancel-after N] [--stdout]
 *   csenc zip IN OUT.zip PASSWORD [MEMBER] [--cancel-after N]
 *   csenc speed MB                           AES-256-CBC + SHA-512 limit (MB/s)
 *   csenc plainsize N                        predicted encrypted size of N bytes
 *
 * Every command prints "elapsed_s=<s> maxrss_kb=<VmHWM>" on stderr.  Exit
 * status: 0 ok, 1 core error (message and code name on stderr), 2 usage,
 * 3 canceled.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "agile.h"
#include "xlsxout.h"
#include "zipenc.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + ts.tv_nsec / 1e9;
}

static long
vmhwm_kb(void)
{
	FILE	   *f = fopen("/proc/self/status", "r");
	char		line[256];
	long		kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static int
fail(const cs_err *err)
{
	fprintf(stderr, "csenc: %s error: %s\n", cs_status_name(err->code), err->msg);
	return err->code == CS_ERR_CANCELED ? 3 : 1;
}

static long cancel_after = -1;
static long check_calls = 0;

static int
check_cb(void *arg)
{
	check_calls++;
	return cancel_after >= 0 && check_calls > cancel_after;
}

/* ---- demo workbook ----------------------------------------------------- */

#define NCOLS 20

/*
 * Cell (r, c) of the demo sheet; test/tools/verify_files.py computes the same
 * values independently.  Kinds cycle over int, text, number, date-time,
 * boolean, unicode text (blank every third row), big text.
 */
static int
demo_cell(cs_xlsx *x, int64_t r, int c, cs_err *err)
{
	char		buf[160];
	int			n;

	switch (c % 7)
	{
		case 0:
			return cs_xlsx_integer(x, r * 1000 + c, err);
		case 1:
			n = snprintf(buf, sizeof(buf), "chat-%lld-%d", (long long) r, c);
			return cs_xlsx_string(x, buf, (size_t) n, err);
		case 2:
			return cs_xlsx_number(x, (double) r * 1.25 + c, err);
		case 3:
			/* 2024-01-01 00:00 local + r minutes + c seconds */
			return cs_xlsx_datetime_local(x, INT64_C(757382400000000) +
										  (r * 60 + c) * INT64_C(1000000), err);
		case 4:
			return cs_xlsx_boolean(x, (int) ((r + c) % 2), err);
		case 5:
			if (r % 3 == 0)
				return cs_xlsx_blank(x, err);
			n = snprintf(buf, sizeof(buf), "h\xC3\xA9llo \xF0\x9F\x98\x80 %lld", (long long) r);
			return cs_xlsx_string(x, buf, (size_t) n, err);
		default:
			n = snprintf(buf, sizeof(buf),
						 "The customer asked about order %lld and the manager replied politely, row %lld.",
						 (long long) (r * 7), (long long) r);
			return cs_xlsx_string(x, buf, (size_t) n, err);
	}
}

static int
cmd_xlsx_demo(const char *out, long long nrows, const char *tmpdir)
{
	cs_err		err;
	cs_xlsx_opts o = {.tmpdir = tmpdir, .deterministic = 1};
	cs_xlsx    *x = cs_xlsx_open(out, &o, &err);
	const char *hdr[NCOLS];
	char		names[NCOLS][16];
	static char longtext[40001];
	int			rc = 0;

	if (x == NULL)
		return fail(&err);
	for (int c = 0; c < NCOLS; c++)
	{
		snprintf(names[c], sizeof(names[c]), "col%d", c);
		hdr[c] = names[c];
	}
	if (cs_xlsx_add_sheet(x, "UserChat data", &err) || cs_xlsx_header(x, hdr, NCOLS, &err))
		goto bad;
	for (long long r = 0; r < nrows; r++)
	{
		if (cs_xlsx_row(x, &err))
			goto bad;
		for (int c = 0; c < NCOLS; c++)
			if (demo_cell(x, r, c, &err))
				goto bad;
	}

	/* the cell rules, checked value by value by verify_files.py */
	{
		static const char *const th[] = {"case", "value"};
		static const struct
		{
			const char *name;
			const char *s;
			size_t		len;
		}			t[] = {
			{"formula", "=1+1", 4},
			{"controls", "a\x01" "b\x1F" "c\td\ne", 9},
			{"invalid_utf8", "x\xC3(y\xFF" "z\xED\xA0\x80!", 10},
			{"ooxml_escape", "_x0041_ and _x00e9_", 19},
			{"nonbmp", "\xF0\x9F\x98\x80\xF0\x9F\x8E\x89", 8},
			{"nul", "a\0b", 3},
			{"uffff", "a\xEF\xBF\xBF" "b", 5},
			{"leading_space", "  padded  ", 10},
		};

		if (cs_xlsx_add_sheet(x, "Tricky data", &err) || cs_xlsx_header(x, th, 2, &err))
			goto bad;
		for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
			if (cs_xlsx_row(x, &err) ||
				cs_xlsx_string(x, t[i].name, strlen(t[i].name), &err) ||
				cs_xlsx_string(x, t[i].s, t[i].len, &err))
				goto bad;
		memset(longtext, 'a', 40000);
		if (cs_xlsx_row(x, &err) || cs_xlsx_string(x, "long", 4, &err) ||
			cs_xlsx_string(x, longtext, 40000, &err))
			goto bad;
		/* 20,000 emoji = 40,000 UTF-16 units */
		{
			char	   *emo = malloc(80000);

			if (!emo)
				goto bad;
			for (int i = 0; i < 20000; i++)
				memcpy(emo + 4 * i, "\xF0\x9F\x98\x80", 4);
			rc = cs_xlsx_row(x, &err) || cs_xlsx_string(x, "long_nonbmp", 11, &err) ||
				cs_xlsx_string(x, emo, 80000, &err);
			free(emo);
			if (rc)
				goto bad;
		}
		if (cs_xlsx_row(x, &err) || cs_xlsx_string(x, "bigint", 6, &err) ||
			cs_xlsx_integer(x, INT64_C(1234567890123456789), &err) ||
			cs_xlsx_row(x, &err) || cs_xlsx_string(x, "int15", 5, &err) ||
			cs_xlsx_integer(x, INT64_C(999999999999999), &err) ||
			cs_xlsx_row(x, &err) || cs_xlsx_string(x, "nan", 3, &err) ||
			cs_xlsx_number(x, 0.0 / 0.0, &err) ||
			cs_xlsx_row(x, &err) || cs_xlsx_string(x, "date1899", 8, &err) ||
			cs_xlsx_datetime_local(x, -INT64_C(3155760000000000) - INT64_C(86400000000) * 365, &err) ||
			cs_xlsx_row(x, &err) || cs_xlsx_string(x, "serial", 6, &err) ||
			cs_xlsx_datetime_serial(x, 45292.5, &err))
			goto bad;
	}
	if (cs_xlsx_close(x, &err))
		goto bad;
	printf("rows=%lld tricky=%lld worksheets=%d\n", (long long) cs_xlsx_rows(x, 0),
		   (long long) cs_xlsx_rows(x, 1), cs_xlsx_worksheet_count(x));
	cs_xlsx_free(x);
	return 0;
bad:
	cs_xlsx_free(x);
	return fail(&err);
}

static int
cmd_xlsx_rollover(const char *out, long long extra, const char *tmpdir)
{
	cs_err		err;
	cs_xlsx_opts o = {.tmpdir = tmpdir, .deterministic = 1};
	cs_xlsx    *x = cs_xlsx_open(out, &o, &err);
	static const char *const hdr[] = {"n"};
	long long	total = CS_XLSX_MAX_ROWS - 1 + extra;

	if (x == NULL)
		return fail(&err);
	/* a 31-character name: the continuation name must be cut to fit */
	if (cs_xlsx_add_sheet(x, "Message data with a longer name", &err) ||
		cs_xlsx_header(x, hdr, 1, &err))
		goto bad;
	for (long long r = 0; r < total; r++)
		if (cs_xlsx_row(x, &err) || cs_xlsx_integer(x, r, &err))
			goto bad;
	if (cs_xlsx_add_sheet(x, "After", &err) || cs_xlsx_header(x, hdr, 1, &err) ||
		cs_xlsx_row(x, &err) || cs_xlsx_integer(x, 42, &err))
		goto bad;
	if (cs_xlsx_close(x, &err))
		goto bad;
	printf("rows=%lld worksheets=%d\n", (long long) cs_xlsx_rows(x, 0), cs_xlsx_worksheet_count(x));
	cs_xlsx_free(x);
	return 0;
bad:
	cs_xlsx_free(x);
	return fail(&err);
}

/* ---- encryption -------------------------------------------------------- */

static int
cmd_encrypt(const char *in, const char *out, const char *pw, int to_stdout)
{
	cs_err		err;
	cs_agile_opts o = {.check = check_cb};
	int			ifd = open(in, O_RDONLY);
	int			ofd;
	cs_status	rc;

	if (ifd < 0)
	{
		cs_err_set_errno(&err, errno, "could not open %s", in);
		return fail(&err);
	}
	ofd = to_stdout ? 1 : open(out, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (ofd < 0)
	{
		cs_err_set_errno(&err, errno, "could not create %s", out);
		close(ifd);
		return fail(&err);
	}
	rc = cs_agile_encrypt(ifd, ofd, pw, &o, &err);
	close(ifd);
	if (!to_stdout && close(ofd) != 0 && rc == CS_OK)
		rc = cs_err_set_errno(&err, errno, "could not close %s", out);
	if (rc != CS_OK)
	{
		if (!to_stdout)
			unlink(out);
		return fail(&err);
	}
	return 0;
}

static int
cmd_zip(const char *in, const char *out, const char *pw, const char *member)
{
	cs_err		err;
	cs_zip_opts o = {.member_name = member, .deterministic = 1, .check = check_cb};

	if (cs_zip_encrypt_file(in, out, pw, &o, &err) != CS_OK)
		return fail(&err);
	return 0;
}

/* AES-256-CBC then SHA-512 over the same 4 KiB segments, as the encryptor does. */
static int
cmd_speed(long mb)
{
	size_t		total = (size_t) mb << 20;
	size_t		chunk = 256 * 1024;
	unsigned char *buf = calloc(1, chunk);
	unsigned char key[32] = {1}, iv[16] = {2}, md[64];
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	EVP_MD_CTX *h = EVP_MD_CTX_new();
	EVP_CIPHER *aes = EVP_CIPHER_fetch(NULL, "AES-256-CBC", NULL);
	EVP_MD	   *sha = EVP_MD_fetch(NULL, "SHA512", NULL);
	double		t0;
	int			outl;

	if (!buf || !c || !h || !aes || !sha)
		return 1;
	t0 = now();
	EVP_EncryptInit_ex(c, aes, NULL, key, iv);
	EVP_CIPHER_CTX_set_padding(c, 0);
	EVP_DigestInit_ex(h, sha, NULL);
	for (size_t done = 0; done < total; done += chunk)
	{
		for (size_t p = 0; p < chunk; p += 4096)
		{
			EVP_EncryptInit_ex(c, NULL, NULL, NULL, iv);
			EVP_EncryptUpdate(c, buf + p, &outl, buf + p, 4096);
		}
		EVP_DigestUpdate(h, buf, chunk);
	}
	EVP_DigestFinal_ex(h, md, NULL);
	printf("limit_mb_s=%.1f\n", (double) total / 1e6 / (now() - t0));
	EVP_CIPHER_CTX_free(c);
	EVP_MD_CTX_free(h);
	EVP_CIPHER_free(aes);
	EVP_MD_free(sha);
	free(buf);
	return 0;
}

static int
usage(void)
{
	fprintf(stderr,
			"usage: csenc xlsx-demo OUT NROWS [TMPDIR]\n"
			"       csenc xlsx-rollover OUT EXTRA [TMPDIR]\n"
			"       csenc encrypt IN OUT PASSWORD [--cancel-after N] [--stdout]\n"
			"       csenc zip IN OUT PASSWORD [MEMBER] [--cancel-after N]\n"
			"       csenc speed MB | plainsize N\n");
	return 2;
}

int
main(int argc, char **argv)
{
	double		t0 = now();
	int			rc;
	int			to_stdout = 0;
	int			nargs = 0;
	char	   *args[8];

	for (int i = 1; i < argc; i++)
	{
		if (strcmp(argv[i], "--cancel-after") == 0 && i + 1 < argc)
			cancel_after = atol(argv[++i]);
		else if (strcmp(argv[i], "--stdout") == 0)
			to_stdout = 1;
		else if (nargs < 8)
			args[nargs++] = argv[i];
	}
	if (nargs < 1)
		return usage();
	if (strcmp(args[0], "xlsx-demo") == 0 && nargs >= 3)
		rc = cmd_xlsx_demo(args[1], atoll(args[2]), nargs > 3 ? args[3] : "/tmp");
	else if (strcmp(args[0], "xlsx-rollover") == 0 && nargs >= 3)
		rc = cmd_xlsx_rollover(args[1], atoll(args[2]), nargs > 3 ? args[3] : "/tmp");
	else if (strcmp(args[0], "encrypt") == 0 && nargs == 4)
		rc = cmd_encrypt(args[1], args[2], args[3], to_stdout);
	else if (strcmp(args[0], "zip") == 0 && (nargs == 4 || nargs == 5))
		rc = cmd_zip(args[1], args[2], args[3], nargs == 5 ? args[4] : NULL);
	else if (strcmp(args[0], "speed") == 0 && nargs == 2)
		rc = cmd_speed(atol(args[1]));
	else if (strcmp(args[0], "plainsize") == 0 && nargs == 2)
	{
		printf("%llu\n", (unsigned long long) cs_agile_output_size(strtoull(args[1], NULL, 10)));
		rc = 0;
	}
	else
		return usage();
	fprintf(stderr, "elapsed_s=%.4f maxrss_kb=%ld check_calls=%ld\n", now() - t0, vmhwm_kb(),
			check_calls);
	return rc;
}
