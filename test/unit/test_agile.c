/*
 * Agile encryption (src/core/agile.c).
 *
 * Known answers: with the fixed test material below (pwSalt 00..0f,
 * keyDataSalt 10..1f, intermediate key 20..3f, verifier 40..4f, HMAC key
 * 50..8f), the password "Pässwörd€😀" and the 8,292-byte plaintext
 * byte[i] = (7*i + 3) & 0xff, the expected values were computed once with
 * Debian's Python 3.11 hashlib/hmac and python3-cryptography, following
 * MS-OFFCRYPTO 2.3.4.11-2.3.4.14 directly (not with this code):
 *   H0 = SHA512(pwSalt || UTF16LE(pw)); Hi = SHA512(LE32(i) || Hi-1), 100,000x
 *   K_b = SHA512(Hn || blockKey)[0:32]; field = AES-256-CBC(K_b, IV=pwSalt)
 *   IV_seg(i) = SHA512(keyDataSalt || LE32(i))[0:16]; segment = CBC(IK, IV)
 *   HMAC = HMAC-SHA512(hmacKey, LE64(n) || ciphertext)
 * The script (run with /usr/bin/python3):
 *
 *   import hashlib, hmac, base64, struct
 *   from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
 *   def cbc(k, iv, d):
 *       e = Cipher(algorithms.AES(k), modes.CBC(iv)).encryptor(); return e.update(d) + e.finalize()
 *   ps, ks, ik = bytes(range(0, 16)), bytes(range(16, 32)), bytes(range(32, 64))
 *   ver, hk = bytes(range(64, 80)), bytes(range(80, 144))
 *   h = hashlib.sha512(ps + "Pässwörd€😀".encode("utf-16-le")).digest()
 *   for i in range(100000): h = hashlib.sha512(struct.pack("<I", i) + h).digest()
 *   kb = lambda b: hashlib.sha512(h + bytes.fromhex(b)).digest()[:32]
 *   iv = lambda b: hashlib.sha512(ks + b).digest()[:16]
 *   b64 = lambda x: base64.b64encode(x).decode()
 *   vhi = b64(cbc(kb("fea7d2763b4b9e79"), ps, ver))
 *   vhv = b64(cbc(kb("d7aa0f6d3061344e"), ps, hashlib.sha512(ver).digest()))
 *   kv = b64(cbc(kb("146e0be7abacd0d6"), ps, ik))
 *   hkx = b64(cbc(ik, iv(bytes.fromhex("5fb2ad010cb9e1f6")), hk))
 *   n = 8292; p = bytes((i * 7 + 3) & 255 for i in range(n)); p += bytes(-n % 16)
 *   st = struct.pack("<Q", n) + b"".join(cbc(ik, iv(struct.pack("<I", s // 4096)), p[s:s + 4096])
 *                                         for s in range(0, len(p), 4096))
 *   hv = b64(cbc(ik, iv(bytes.fromhex("a0677f02b22c8433")), hmac.new(hk, st, hashlib.sha512).digest()))
 *   # segment i starts at st[8 + 4096 i]; the last 16 bytes are st[-16:]
 *
 * The values:
 */
#define _GNU_SOURCE 1			/* memmem */
#include <errno.h>
#include <fcntl.h>
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

#include <openssl/evp.h>

#include "agile.h"

#define PW "P\xC3\xA4ss\x77\xC3\xB6rd\xE2\x82\xAC\xF0\x9F\x98\x80"
#define PW16_HEX "5000e400730073007700f60072006400ac203dd800de"
#define KAT_N 8292
#define KAT_VHI "gs+uBapIOoaOhKMXOEEzuw=="
#define KAT_VHV "wq5UXo48xKFm0aacnzc3Sh0FikNInvlWJVPxmgcUTsdAKddot3vDFIke9wGl+wk0kSGw9kIVoVYBhaU1Yn7hJg=="
#define KAT_KV "B80yVQsLRPTeh/PrILiQVyUG9yxLGenSPxt0UzAEN/g="
#define KAT_HK "Gft0QK23K3ymgkMqGb6WAcbpg+Km2/QR8fTZd7Ah0hMLnsQtx/gEKt6P+3MCou/mBoxxIZ8VSwOId5XbnENang=="
#define KAT_HV "RTskn/3UnKPrpTOP5dC6bAoSDPGh71RS9pJmb2rQQepew2DWluqlDclUHUZCe3/KK6xvZQEr3sBN5YxG+FdDdw=="
#define KAT_SEG0 "c93647a0efb7ea93a0e6c668e412ab4f"
#define KAT_SEG1 "1585881aa1a1285441ac2fb3595fcb37"
#define KAT_SEG2 "fe96c205193251c1daef7ab09578e5d0"
#define KAT_LAST "9db0aa58ec65df276ec3075fa7143e15"
#define KAT_STREAM_LEN 8312

typedef struct membuf
{
	uint8_t    *p;
	size_t		len,
				cap;
} membuf;

static cs_status
mem_write(void *arg, const void *buf, size_t len, cs_err *err)
{
	membuf	   *m = arg;

	if (m->len + len > m->cap)
	{
		m->cap = (m->len + len) * 2;
		m->p = realloc(m->p, m->cap);
		assert_non_null(m->p);
	}
	memcpy(m->p + m->len, buf, len);
	m->len += len;
	return CS_OK;
}

static void
hex(char *out, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

/* A temp file holding n bytes of (7i + 3) & 0xff; returns an fd at offset 0. */
static int
plain_file(size_t n)
{
	char		path[] = "/tmp/cs_agile_XXXXXX";
	int			fd = mkstemp(path);
	uint8_t		buf[65536];
	size_t		done = 0;

	assert_true(fd >= 0);
	unlink(path);
	while (done < n)
	{
		size_t		k = n - done < sizeof(buf) ? n - done : sizeof(buf);

		for (size_t i = 0; i < k; i++)
			buf[i] = (uint8_t) ((7 * (done + i) + 3) & 0xff);
		assert_int_equal(write(fd, buf, k), (ssize_t) k);
		done += k;
	}
	return fd;
}

static void
fixed_material(cs_agile_test_material *m)
{
	for (int i = 0; i < 16; i++)
	{
		m->pw_salt[i] = (uint8_t) i;
		m->key_salt[i] = (uint8_t) (0x10 + i);
		m->verifier[i] = (uint8_t) (0x40 + i);
	}
	for (int i = 0; i < 32; i++)
		m->intermediate_key[i] = (uint8_t) (0x20 + i);
	for (int i = 0; i < 64; i++)
		m->hmac_key[i] = (uint8_t) (0x50 + i);
}

/* Value of attribute name="..." in the output, into out. */
static void
attr(const membuf *m, const char *name, char *out, size_t cap)
{
	char		pat[64];
	const char *p;
	const char *q;

	snprintf(pat, sizeof(pat), " %s=\"", name);
	p = memmem(m->p, m->len, pat, strlen(pat));
	assert_non_null(p);
	p += strlen(pat);
	q = memchr(p, '"', cap);
	assert_non_null(q);
	memcpy(out, p, (size_t) (q - p));
	out[q - p] = '\0';
}

static void
test_password_utf16(void **state)
{
	uint8_t		out[64];
	char		h[129];
	size_t		n;
	cs_err		err;

	assert_int_equal(cs_agile_password_utf16le(PW, out, &n, &err), CS_OK);
	hex(h, out, n);
	assert_string_equal(h, PW16_HEX);	/* 😀 = d83d de00 */
	assert_int_equal(cs_agile_password_utf16le("", out, &n, &err), CS_ERR_BADARG);
	assert_int_equal(cs_agile_password_utf16le("a\xC3", out, &n, &err), CS_ERR_BADARG);
	assert_int_equal(cs_agile_password_utf16le("\xC0\xAF", out, &n, &err), CS_ERR_BADARG);	/* overlong */
	assert_int_equal(cs_agile_password_utf16le("\xED\xA0\x80", out, &n, &err), CS_ERR_BADARG);	/* surrogate */
	assert_int_equal(cs_agile_password_utf16le("\xF4\x90\x80\x80", out, &n, &err), CS_ERR_BADARG);
	assert_null(strstr(err.msg, "\xF4"));
}

static void
test_known_answers(void **state)
{
	cs_agile_ctx *ctx = cs_agile_ctx_new();
	cs_agile_test_material tm;
	membuf		m = {0};
	cs_err		err;
	int			fd = plain_file(KAT_N);
	char		v[128],
				h[33];
	const uint8_t *pkg;

	fixed_material(&tm);
	cs_agile_ctx_set_test_material(ctx, &tm);
	assert_int_equal(cs_agile_encrypt_to(ctx, fd, mem_write, &m, PW, NULL, &err), CS_OK);
	assert_int_equal(m.len, cs_agile_output_size(KAT_N));

	attr(&m, "encryptedVerifierHashInput", v, sizeof(v));
	assert_string_equal(v, KAT_VHI);
	attr(&m, "encryptedVerifierHashValue", v, sizeof(v));
	assert_string_equal(v, KAT_VHV);
	attr(&m, "encryptedKeyValue", v, sizeof(v));
	assert_string_equal(v, KAT_KV);
	attr(&m, "encryptedHmacKey", v, sizeof(v));
	assert_string_equal(v, KAT_HK);
	attr(&m, "encryptedHmacValue", v, sizeof(v));
	assert_string_equal(v, KAT_HV);
	attr(&m, "spinCount", v, sizeof(v));
	assert_string_equal(v, "100000");

	/* the package stream is the first regular sector chain: file offset 512 */
	pkg = m.p + 512;
	assert_int_equal(pkg[0] | pkg[1] << 8, KAT_N);
	hex(h, pkg + 8, 16);
	assert_string_equal(h, KAT_SEG0);
	hex(h, pkg + 8 + 4096, 16);
	assert_string_equal(h, KAT_SEG1);
	hex(h, pkg + 8 + 8192, 16);
	assert_string_equal(h, KAT_SEG2);
	hex(h, pkg + KAT_STREAM_LEN - 16, 16);
	assert_string_equal(h, KAT_LAST);

	/* the password never appears in the output, in any encoding */
	assert_null(memmem(m.p, m.len, "P\xC3\xA4ss", 5));
	assert_null(memmem(m.p, m.len, "P\0\xE4\0s\0s\0", 8));

	/* reuse: same material gives the same bytes */
	{
		membuf		m2 = {0};

		assert_int_equal(cs_agile_encrypt_to(ctx, fd, mem_write, &m2, PW, NULL, &err), CS_OK);
		assert_int_equal(m2.len, m.len);
		assert_memory_equal(m2.p, m.p, m.len);
		free(m2.p);
	}
	cs_agile_ctx_free(ctx);
	close(fd);
	free(m.p);
}

/*
 * Decrypt the package of a produced file with the public algorithm and
 * compare it with the plaintext (the independent readers run in the suite).
 */
static void
roundtrip(size_t n)
{
	cs_agile_ctx *ctx = cs_agile_ctx_new();
	cs_agile_test_material tm;
	membuf		m = {0};
	cs_err		err;
	int			fd = plain_file(n);
	const uint8_t *pkg;
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	uint8_t		seg[4096],
				iv[64],
				in[20];
	int			outl;

	fixed_material(&tm);
	cs_agile_ctx_set_test_material(ctx, &tm);
	assert_int_equal(cs_agile_encrypt_to(ctx, fd, mem_write, &m, "pw", NULL, &err), CS_OK);
	assert_int_equal(m.len, cs_agile_output_size(n));
	assert_int_equal(m.len % 512, 0);
	if (8 + ((n + 15) & ~(size_t) 15) < 4096)
	{
		cs_agile_ctx_free(ctx);
		EVP_CIPHER_CTX_free(c);
		close(fd);
		free(m.p);
		return;					/* mini package: checked by the suite's readers */
	}
	pkg = m.p + 512;
	assert_int_equal(pkg[0] | pkg[1] << 8 | pkg[2] << 16 | (uint32_t) pkg[3] << 24, (uint32_t) n);
	for (size_t off = 0, i = 0; off < n; off += 4096, i++)
	{
		size_t		len = n - off < 4096 ? ((n - off + 15) & ~(size_t) 15) : 4096;

		memcpy(in, tm.key_salt, 16);
		in[16] = (uint8_t) i;
		in[17] = (uint8_t) (i >> 8);
		in[18] = (uint8_t) (i >> 16);
		in[19] = (uint8_t) (i >> 24);
		EVP_Digest(in, 20, iv, NULL, EVP_sha512(), NULL);
		assert_int_equal(EVP_DecryptInit_ex(c, EVP_aes_256_cbc(), NULL, tm.intermediate_key, iv), 1);
		EVP_CIPHER_CTX_set_padding(c, 0);
		assert_int_equal(EVP_DecryptUpdate(c, seg, &outl, pkg + 8 + off, (int) len), 1);
		for (size_t k = 0; k < len; k++)
		{
			uint8_t		want = off + k < n ? (uint8_t) ((7 * (off + k) + 3) & 0xff) : 0;

			if (seg[k] != want)
				fail_msg("size %zu: byte %zu differs", n, off + k);
		}
	}
	EVP_CIPHER_CTX_free(c);
	cs_agile_ctx_free(ctx);
	close(fd);
	free(m.p);
}

static void
test_sizes(void **state)
{
	/* tiny, the mini boundary, segment boundaries, an exact multiple of
	 * 4096, around the DIFAT boundary, 24 MB */
	static const size_t sizes[] = {0, 1, 100, 4080, 4081, 4095, 4096, 4097,
	3 * 4096, 7083504, 7083505, 24000000};

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		roundtrip(sizes[i]);
}

static void
test_random_material(void **state)
{
	membuf		a = {0},
				b = {0};
	cs_err		err;
	int			fd = plain_file(5000);
	cs_agile_ctx *ctx = cs_agile_ctx_new();
	char		s1[64],
				s2[64],
				k1[64],
				k2[64];

	assert_int_equal(cs_agile_encrypt_to(ctx, fd, mem_write, &a, "pw", NULL, &err), CS_OK);
	assert_int_equal(cs_agile_encrypt_to(ctx, fd, mem_write, &b, "pw", NULL, &err), CS_OK);
	attr(&a, "saltValue", s1, sizeof(s1));
	attr(&b, "saltValue", s2, sizeof(s2));
	assert_string_not_equal(s1, s2);
	attr(&a, "encryptedKeyValue", k1, sizeof(k1));
	attr(&b, "encryptedKeyValue", k2, sizeof(k2));
	assert_string_not_equal(k1, k2);
	cs_agile_ctx_free(ctx);
	close(fd);
	free(a.p);
	free(b.p);
}

/* ---- error paths (run under LeakSanitizer) ---- */

static int	calls;
static int	cancel_at;
static jmp_buf jb;

static int
check_cancel(void *arg)
{
	return ++calls >= cancel_at;
}

static int
check_jump(void *arg)
{
	if (++calls >= cancel_at)
		longjmp(jb, 1);
	return 0;
}

static void
test_errors(void **state)
{
	cs_err		err;
	int			fd = plain_file(100000);
	int			full = open("/dev/full", O_WRONLY);
	int			pipefd[2];
	cs_agile_opts o = {.check = check_cancel};

	assert_true(full >= 0);
	/* bad input descriptor */
	assert_int_equal(cs_agile_encrypt(-1, full, "pw", NULL, &err), CS_ERR_IO);
	assert_int_equal(err.sys_errno, EBADF);
	/* input not a regular file */
	assert_int_equal(pipe(pipefd), 0);
	assert_int_equal(cs_agile_encrypt(pipefd[0], full, "pw", NULL, &err), CS_ERR_BADARG);
	/* unwritable output */
	assert_int_equal(cs_agile_encrypt(fd, full, "pw", NULL, &err), CS_ERR_IO);
	assert_int_equal(err.sys_errno, ENOSPC);
	assert_non_null(strstr(err.msg, "could not write the encrypted file"));
	/* writing to the read end of a pipe */
	assert_int_equal(cs_agile_encrypt(fd, pipefd[0], "pw", NULL, &err), CS_ERR_IO);
	/* passwords */
	assert_int_equal(cs_agile_encrypt(fd, full, "", NULL, &err), CS_ERR_BADARG);
	assert_int_equal(cs_agile_encrypt(fd, full, NULL, NULL, &err), CS_ERR_BADARG);
	assert_int_equal(cs_agile_encrypt(fd, full, "bad\xFF", NULL, &err), CS_ERR_BADARG);
	assert_null(strstr(err.msg, "bad"));
	/* cancel inside the key derivation, and in the segment loop */
	calls = 0;
	cancel_at = 50;
	assert_int_equal(cs_agile_encrypt(fd, full, "pw", &o, &err), CS_ERR_CANCELED);
	assert_non_null(strstr(err.msg, "key derivation"));
	calls = 0;
	cancel_at = 100 + 10;		/* 100 derivation checks, then segments */
	{
		membuf		m = {0};
		cs_agile_ctx *ctx = cs_agile_ctx_new();

		assert_int_equal(cs_agile_encrypt_to(ctx, fd, mem_write, &m, "pw", &o, &err), CS_ERR_CANCELED);
		assert_true(m.len > 512 && m.len < 100000);
		/* the context is reusable after an error */
		calls = -1000000;
		m.len = 0;
		assert_int_equal(cs_agile_encrypt_to(ctx, fd, mem_write, &m, "pw", &o, &err), CS_OK);
		cs_agile_ctx_free(ctx);
		free(m.p);
	}
	/* a longjmp out of the check (CHECK_FOR_INTERRUPTS), then one free */
	for (int at = 1; at <= 120; at += 119)
	{
		cs_agile_ctx *volatile ctx = cs_agile_ctx_new();
		cs_agile_opts oj = {.check = check_jump};
		membuf		m = {0};

		calls = 0;
		cancel_at = at;
		if (setjmp(jb) == 0)
		{
			cs_agile_encrypt_to(ctx, fd, mem_write, &m, "pw", &oj, &err);
			fail_msg("check did not jump");
		}
		cs_agile_ctx_free(ctx);
		free(m.p);
	}
	cs_agile_ctx_free(NULL);
	close(pipefd[0]);
	close(pipefd[1]);
	close(full);
	close(fd);
}

static void
test_interrupt_latency(void **state)
{
	/* the check runs every 1,000 rounds: at least 100 times per derivation */
	cs_agile_opts o = {.check = check_cancel};
	membuf		m = {0};
	cs_err		err;
	int			fd = plain_file(10 * 4096);
	cs_agile_ctx *ctx = cs_agile_ctx_new();

	calls = 0;
	cancel_at = 1 << 30;
	assert_int_equal(cs_agile_encrypt_to(ctx, fd, mem_write, &m, "pw", &o, &err), CS_OK);
	assert_int_equal(calls, 100 + 10);	/* 100 in the derivation + 1 per segment */
	cs_agile_ctx_free(ctx);
	close(fd);
	free(m.p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_password_utf16),
		cmocka_unit_test(test_known_answers),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_random_material),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_interrupt_latency),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
