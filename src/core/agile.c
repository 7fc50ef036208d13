/*
 * agile.c - ECMA-376 Agile Encryption of an OOXML package (see agile.h).
 */
#include "agile.h"
#include "utf8.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

/* Plaintext read per pread(); a multiple of the segment size. */
#define CHUNK		(256 * 1024)

/* Block keys of MS-OFFCRYPTO 2.3.4.11-2.3.4.14 */
static const uint8_t BK_VERIFIER_INPUT[8] = {0xfe, 0xa7, 0xd2, 0x76, 0x3b, 0x4b, 0x9e, 0x79};
static const uint8_t BK_VERIFIER_VALUE[8] = {0xd7, 0xaa, 0x0f, 0x6d, 0x30, 0x61, 0x34, 0x4e};
static const uint8_t BK_KEY_VALUE[8] = {0x14, 0x6e, 0x0b, 0xe7, 0xab, 0xac, 0xd0, 0xd6};
static const uint8_t BK_HMAC_KEY[8] = {0x5f, 0xb2, 0xad, 0x01, 0x0c, 0xb9, 0xe1, 0xf6};
static const uint8_t BK_HMAC_VALUE[8] = {0xa0, 0x67, 0x7f, 0x02, 0xb2, 0x2c, 0x84, 0x33};

/* Everything secret, wiped as one block. */
typedef struct secrets
{
	uint8_t		pw_salt[CS_AGILE_SALT_LEN];
	uint8_t		key_salt[CS_AGILE_SALT_LEN];
	uint8_t		ik[CS_AGILE_KEY_LEN];
	uint8_t		verifier[CS_AGILE_SALT_LEN];
	uint8_t		hmac_key[CS_AGILE_HASH_LEN];
	uint8_t		h[CS_AGILE_HASH_LEN];	/* spun password hash Hn */
	uint8_t		round[4 + CS_AGILE_HASH_LEN];
	uint8_t		kb[CS_AGILE_HASH_LEN];	/* a block key K_b (first 32 bytes used) */
	uint8_t		tmp[CS_AGILE_HASH_LEN];
	uint8_t		hmac_value[CS_AGILE_HASH_LEN];
	/* encrypted fields of EncryptionInfo */
	uint8_t		enc_vhi[CS_AGILE_SALT_LEN];
	uint8_t		enc_vhv[CS_AGILE_HASH_LEN];
	uint8_t		enc_kv[CS_AGILE_KEY_LEN];
	uint8_t		enc_hk[CS_AGILE_HASH_LEN];
	uint8_t		enc_hv[CS_AGILE_HASH_LEN];
} secrets;

struct cs_agile_ctx
{
	EVP_MD	   *sha512;
	EVP_CIPHER *aes;
	EVP_MAC    *hmac;
	EVP_MD_CTX *md;
	EVP_CIPHER_CTX *cipher;
	EVP_MAC_CTX *mac;
	uint8_t    *pw16;			/* password as UTF-16LE */
	size_t		pw16_cap;
	uint8_t    *buf;			/* CHUNK (+16 for the last block's padding) */
	uint8_t		small[CS_CFB_MINI_CUTOFF];	/* package stream when it is mini */
	char		info[CS_CFB_MINI_CUTOFF];	/* EncryptionInfo stream */
	int			use_test_material;
	cs_agile_test_material test;
	secrets		s;
};

cs_agile_ctx *
cs_agile_ctx_new(void)
{
	cs_agile_ctx *ctx = calloc(1, sizeof(*ctx));

	return ctx;
}

static void
wipe_secrets(cs_agile_ctx *ctx)
{
	OPENSSL_cleanse(&ctx->s, sizeof(ctx->s));
	if (ctx->pw16)
		OPENSSL_cleanse(ctx->pw16, ctx->pw16_cap);
}

void
cs_agile_ctx_free(cs_agile_ctx *ctx)
{
	if (ctx == NULL)
		return;
	wipe_secrets(ctx);
	/* cipher/mac contexts hold expanded keys; their free functions cleanse */
	EVP_MAC_CTX_free(ctx->mac);
	EVP_CIPHER_CTX_free(ctx->cipher);
	EVP_MD_CTX_free(ctx->md);
	EVP_MAC_free(ctx->hmac);
	EVP_CIPHER_free(ctx->aes);
	EVP_MD_free(ctx->sha512);
	free(ctx->pw16);
	if (ctx->buf)
	{
		OPENSSL_cleanse(ctx->buf, CHUNK + 16);
		free(ctx->buf);
	}
	OPENSSL_cleanse(ctx, sizeof(*ctx));
	free(ctx);
}

void
cs_agile_ctx_set_test_material(cs_agile_ctx *ctx, const cs_agile_test_material *m)
{
	ctx->use_test_material = 1;
	ctx->test = *m;
}

/* ---- password ---------------------------------------------------------- */

cs_status
cs_agile_password_utf16le(const char *utf8, uint8_t *out, size_t *out_len,
						  cs_err *err)
{
	const unsigned char *p = (const unsigned char *) utf8;
	const unsigned char *end;
	size_t		o = 0;

	if (utf8 == NULL || *utf8 == '\0')
		return cs_err_set(err, CS_ERR_BADARG, "password must not be empty");
	end = p + strlen(utf8);
	while (p < end)
	{
		uint32_t	cp;
		size_t		n = cs_utf8_decode(p, (size_t) (end - p), &cp);

		if (n == 0)
			return cs_err_set(err, CS_ERR_BADARG, "password is not valid UTF-8");
		p += n;
		if (cp >= 0x10000)
		{
			uint32_t	v = cp - 0x10000;
			uint32_t	hi = 0xD800 | (v >> 10);
			uint32_t	lo = 0xDC00 | (v & 0x3FF);

			out[o++] = (uint8_t) hi;
			out[o++] = (uint8_t) (hi >> 8);
			out[o++] = (uint8_t) lo;
			out[o++] = (uint8_t) (lo >> 8);
		}
		else
		{
			out[o++] = (uint8_t) cp;
			out[o++] = (uint8_t) (cp >> 8);
		}
	}
	*out_len = o;
	return CS_OK;
}

/* ---- crypto helpers ---------------------------------------------------- */

static void
le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t) v;
	p[1] = (uint8_t) (v >> 8);
	p[2] = (uint8_t) (v >> 16);
	p[3] = (uint8_t) (v >> 24);
}

static cs_status
setup(cs_agile_ctx *ctx, cs_err *err)
{
	if (ctx->sha512 == NULL &&
		(ctx->sha512 = EVP_MD_fetch(NULL, "SHA512", NULL)) == NULL)
		return cs_err_set_openssl(err, "could not load SHA-512");
	if (ctx->aes == NULL &&
		(ctx->aes = EVP_CIPHER_fetch(NULL, "AES-256-CBC", NULL)) == NULL)
		return cs_err_set_openssl(err, "could not load AES-256-CBC");
	if (ctx->hmac == NULL &&
		(ctx->hmac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
		return cs_err_set_openssl(err, "could not load HMAC");
	if (ctx->md == NULL && (ctx->md = EVP_MD_CTX_new()) == NULL)
		return cs_err_set_openssl(err, "could not create a digest context");
	if (ctx->cipher == NULL && (ctx->cipher = EVP_CIPHER_CTX_new()) == NULL)
		return cs_err_set_openssl(err, "could not create a cipher context");
	if (ctx->mac == NULL && (ctx->mac = EVP_MAC_CTX_new(ctx->hmac)) == NULL)
		return cs_err_set_openssl(err, "could not create an HMAC context");
	if (ctx->buf == NULL && (ctx->buf = malloc(CHUNK + 16)) == NULL)
		return cs_err_set(err, CS_ERR_NOMEM, "out of memory for the encryption buffer");
	return CS_OK;
}

/* out = SHA-512(a || b) */
static cs_status
sha512_2(cs_agile_ctx *ctx, const uint8_t *a, size_t alen,
		 const uint8_t *b, size_t blen, uint8_t out[CS_AGILE_HASH_LEN], cs_err *err)
{
	if (EVP_DigestInit_ex(ctx->md, ctx->sha512, NULL) != 1 ||
		EVP_DigestUpdate(ctx->md, a, alen) != 1 ||
		(blen > 0 && EVP_DigestUpdate(ctx->md, b, blen) != 1) ||
		EVP_DigestFinal_ex(ctx->md, out, NULL) != 1)
		return cs_err_set_openssl(err, "SHA-512 failed");
	return CS_OK;
}

/* AES-256-CBC without padding; len is a multiple of 16; in may equal out. */
static cs_status
cbc(cs_agile_ctx *ctx, const uint8_t *key, const uint8_t *iv,
	const uint8_t *in, size_t len, uint8_t *out, cs_err *err)
{
	int			outl = 0;
	int			finl = 0;

	if (EVP_EncryptInit_ex(ctx->cipher, ctx->aes, NULL, key, iv) != 1 ||
		EVP_CIPHER_CTX_set_padding(ctx->cipher, 0) != 1 ||
		EVP_EncryptUpdate(ctx->cipher, out, &outl, in, (int) len) != 1 ||
		EVP_EncryptFinal_ex(ctx->cipher, out + outl, &finl) != 1)
		return cs_err_set_openssl(err, "AES-256-CBC encryption failed");
	if ((size_t) (outl + finl) != len)
		return cs_err_set(err, CS_ERR_INTERNAL, "AES-256-CBC produced %d bytes for %zu",
						  outl + finl, len);
	return CS_OK;
}

/* Hn: SHA-512 of salt || password, then CS_AGILE_SPIN_COUNT rounds. */
static cs_status
derive_password_hash(cs_agile_ctx *ctx, size_t pw16_len, const cs_agile_opts *opts,
					 cs_err *err)
{
	cs_status	rc;

	if ((rc = sha512_2(ctx, ctx->s.pw_salt, CS_AGILE_SALT_LEN,
					   ctx->pw16, pw16_len, ctx->s.h, err)) != CS_OK)
		return rc;
	for (uint32_t i = 0; i < CS_AGILE_SPIN_COUNT; i++)
	{
		if (i % 1000 == 0 && opts && opts->check && opts->check(opts->check_arg))
			return cs_err_set(err, CS_ERR_CANCELED,
							  "encryption canceled during key derivation");
		le32(ctx->s.round, i);
		memcpy(ctx->s.round + 4, ctx->s.h, CS_AGILE_HASH_LEN);
		if (EVP_DigestInit_ex(ctx->md, ctx->sha512, NULL) != 1 ||
			EVP_DigestUpdate(ctx->md, ctx->s.round, sizeof(ctx->s.round)) != 1 ||
			EVP_DigestFinal_ex(ctx->md, ctx->s.h, NULL) != 1)
			return cs_err_set_openssl(err, "SHA-512 failed in key derivation");
	}
	return CS_OK;
}

/* Encrypt a key-encryptor field: key SHA-512(Hn || block)[0:32], IV pwSalt. */
static cs_status
key_encryptor_field(cs_agile_ctx *ctx, const uint8_t block[8],
					const uint8_t *in, size_t len, uint8_t *out, cs_err *err)
{
	cs_status	rc;

	if ((rc = sha512_2(ctx, ctx->s.h, CS_AGILE_HASH_LEN, block, 8, ctx->s.kb, err)) != CS_OK)
		return rc;
	return cbc(ctx, ctx->s.kb, ctx->s.pw_salt, in, len, out, err);
}

/* Encrypt a dataIntegrity field: key IK, IV SHA-512(keyDataSalt || block)[0:16]. */
static cs_status
integrity_field(cs_agile_ctx *ctx, const uint8_t block[8],
				const uint8_t *in, size_t len, uint8_t *out, cs_err *err)
{
	cs_status	rc;

	if ((rc = sha512_2(ctx, ctx->s.key_salt, CS_AGILE_SALT_LEN, block, 8,
					   ctx->s.tmp, err)) != CS_OK)
		return rc;
	return cbc(ctx, ctx->s.ik, ctx->s.tmp, in, len, out, err);
}

/* ---- EncryptionInfo ---------------------------------------------------- */

static void
b64(char *out, const uint8_t *in, size_t len)
{
	EVP_EncodeBlock((unsigned char *) out, in, (int) len);
}

/*
 * Build the EncryptionInfo stream (version 4.4, reserved 0x40, then the XML
 * Excel writes) into ctx->info; returns its length.  The base64 fields have
 * fixed lengths, so the length does not depend on the key material.
 */
static size_t
build_info(cs_agile_ctx *ctx)
{
	char		ks[25],
				ps[25],
				vhi[25],
				vhv[89],
				kv[45],
				hk[89],
				hv[89];
	int			n;

	b64(ks, ctx->s.key_salt, CS_AGILE_SALT_LEN);
	b64(ps, ctx->s.pw_salt, CS_AGILE_SALT_LEN);
	b64(vhi, ctx->s.enc_vhi, sizeof(ctx->s.enc_vhi));
	b64(vhv, ctx->s.enc_vhv, sizeof(ctx->s.enc_vhv));
	b64(kv, ctx->s.enc_kv, sizeof(ctx->s.enc_kv));
	b64(hk, ctx->s.enc_hk, sizeof(ctx->s.enc_hk));
	b64(hv, ctx->s.enc_hv, sizeof(ctx->s.enc_hv));

	memcpy(ctx->info, "\x04\x00\x04\x00\x40\x00\x00\x00", 8);
	n = snprintf(ctx->info + 8, sizeof(ctx->info) - 8,
				 "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n"
				 "<encryption xmlns=\"http://schemas.microsoft.com/office/2006/encryption\""
				 " xmlns:p=\"http://schemas.microsoft.com/office/2006/keyEncryptor/password\""
				 " xmlns:c=\"http://schemas.microsoft.com/office/2006/keyEncryptor/certificate\">"
				 "<keyData saltSize=\"16\" blockSize=\"16\" keyBits=\"256\" hashSize=\"64\""
				 " cipherAlgorithm=\"AES\" cipherChaining=\"ChainingModeCBC\""
				 " hashAlgorithm=\"SHA512\" saltValue=\"%s\"/>"
				 "<dataIntegrity encryptedHmacKey=\"%s\" encryptedHmacValue=\"%s\"/>"
				 "<keyEncryptors><keyEncryptor"
				 " uri=\"http://schemas.microsoft.com/office/2006/keyEncryptor/password\">"
				 "<p:encryptedKey spinCount=\"%d\" saltSize=\"16\" blockSize=\"16\""
				 " keyBits=\"256\" hashSize=\"64\" cipherAlgorithm=\"AES\""
				 " cipherChaining=\"ChainingModeCBC\" hashAlgorithm=\"SHA512\""
				 " saltValue=\"%s\" encryptedVerifierHashInput=\"%s\""
				 " encryptedVerifierHashValue=\"%s\" encryptedKeyValue=\"%s\"/>"
				 "</keyEncryptor></keyEncryptors></encryption>",
				 ks, hk, hv, CS_AGILE_SPIN_COUNT, ps, vhi, vhv, kv);
	return 8 + (size_t) n;
}

static size_t
info_size(void)
{
	static size_t cached;

	if (cached == 0)
	{
		cs_agile_ctx *tmp = calloc(1, sizeof(cs_agile_ctx));

		if (tmp == NULL)
			return 0;
		cached = build_info(tmp);
		free(tmp);
	}
	return cached;
}

uint64_t
cs_agile_output_size(uint64_t n)
{
	cs_cfb_plan plan;
	size_t		isz = info_size();

	if (n > CS_AGILE_MAX_PLAINTEXT || isz == 0)
		return 0;
	if (cs_cfb_plan_init(&plan, 8 + ((n + 15) & ~(uint64_t) 15), (uint32_t) isz, NULL) != CS_OK)
		return 0;
	return plan.file_size;
}

/* ---- encryption -------------------------------------------------------- */

/* Sink state: the EncryptedPackage goes to the output or, when small, to ctx->small. */
typedef struct pkg_sink
{
	cs_agile_ctx *ctx;
	cs_agile_write_fn write;
	void	   *arg;
	int			mini;
	size_t		small_used;
} pkg_sink;

/* Emit part of the EncryptedPackage stream: HMAC it, then store or write it. */
static cs_status
pkg_emit(pkg_sink *ps, const uint8_t *data, size_t len, cs_err *err)
{
	if (EVP_MAC_update(ps->ctx->mac, data, len) != 1)
		return cs_err_set_openssl(err, "HMAC-SHA-512 failed");
	if (ps->mini)
	{
		if (ps->small_used + len > sizeof(ps->ctx->small))
			return cs_err_set(err, CS_ERR_INTERNAL, "small package overflow");
		memcpy(ps->ctx->small + ps->small_used, data, len);
		ps->small_used += len;
		return CS_OK;
	}
	return ps->write(ps->arg, data, len, err);
}

static cs_status
gen_material(cs_agile_ctx *ctx, cs_err *err)
{
	if (ctx->use_test_material)
	{
		memcpy(ctx->s.pw_salt, ctx->test.pw_salt, sizeof(ctx->s.pw_salt));
		memcpy(ctx->s.key_salt, ctx->test.key_salt, sizeof(ctx->s.key_salt));
		memcpy(ctx->s.ik, ctx->test.intermediate_key, sizeof(ctx->s.ik));
		memcpy(ctx->s.verifier, ctx->test.verifier, sizeof(ctx->s.verifier));
		memcpy(ctx->s.hmac_key, ctx->test.hmac_key, sizeof(ctx->s.hmac_key));
		return CS_OK;
	}
	if (RAND_bytes(ctx->s.pw_salt, sizeof(ctx->s.pw_salt)) != 1 ||
		RAND_bytes(ctx->s.key_salt, sizeof(ctx->s.key_salt)) != 1 ||
		RAND_bytes(ctx->s.ik, sizeof(ctx->s.ik)) != 1 ||
		RAND_bytes(ctx->s.verifier, sizeof(ctx->s.verifier)) != 1 ||
		RAND_bytes(ctx->s.hmac_key, sizeof(ctx->s.hmac_key)) != 1)
		return cs_err_set_openssl(err, "could not get random bytes");
	return CS_OK;
}

static cs_status
encrypt_package(cs_agile_ctx *ctx, int in_fd, uint64_t n, pkg_sink *ps,
				const cs_agile_opts *opts, cs_err *err)
{
	uint8_t		size_field[8];
	uint64_t	off = 0;
	uint32_t	seg = 0;
	cs_status	rc;
	OSSL_PARAM	params[2];
	int			outl;

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *) "SHA512", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(ctx->mac, ctx->s.hmac_key, sizeof(ctx->s.hmac_key), params) != 1)
		return cs_err_set_openssl(err, "could not initialise HMAC-SHA-512");
	/* key schedule once; each segment only resets the IV */
	if (EVP_EncryptInit_ex(ctx->cipher, ctx->aes, NULL, ctx->s.ik, NULL) != 1)
		return cs_err_set_openssl(err, "could not initialise AES-256-CBC");

	for (int i = 0; i < 8; i++)
		size_field[i] = (uint8_t) (n >> (8 * i));
	if ((rc = pkg_emit(ps, size_field, 8, err)) != CS_OK)
		return rc;

	while (off < n)
	{
		size_t		want = (n - off) < CHUNK ? (size_t) (n - off) : CHUNK;
		size_t		got = 0;
		size_t		padded;

		while (got < want)
		{
			ssize_t		r = pread(in_fd, ctx->buf + got, want - got, (off_t) (off + got));

			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0)
				return cs_err_set_errno(err, errno, "could not read the workbook to encrypt");
			if (r == 0)
				return cs_err_set(err, CS_ERR_IO,
								  "workbook to encrypt shrank while being read (%llu of %llu bytes)",
								  (unsigned long long) (off + got), (unsigned long long) n);
			got += (size_t) r;
		}
		/* zero padding of the last segment up to the AES block size */
		padded = (want + 15) & ~(size_t) 15;
		memset(ctx->buf + want, 0, padded - want);

		for (size_t p = 0; p < padded; p += CS_AGILE_SEGMENT, seg++)
		{
			size_t		len = padded - p < CS_AGILE_SEGMENT ? padded - p : CS_AGILE_SEGMENT;
			uint8_t		segno[4];

			if (opts && opts->check && opts->check(opts->check_arg))
				return cs_err_set(err, CS_ERR_CANCELED, "encryption canceled");
			le32(segno, seg);
			if ((rc = sha512_2(ctx, ctx->s.key_salt, CS_AGILE_SALT_LEN, segno, 4,
							   ctx->s.tmp, err)) != CS_OK)
				return rc;
			if (EVP_EncryptInit_ex(ctx->cipher, NULL, NULL, NULL, ctx->s.tmp) != 1 ||
				EVP_CIPHER_CTX_set_padding(ctx->cipher, 0) != 1 ||
				EVP_EncryptUpdate(ctx->cipher, ctx->buf + p, &outl, ctx->buf + p, (int) len) != 1)
				return cs_err_set_openssl(err, "AES-256-CBC encryption failed");
			if ((size_t) outl != len)
				return cs_err_set(err, CS_ERR_INTERNAL, "short AES-256-CBC output");
		}
		if ((rc = pkg_emit(ps, ctx->buf, padded, err)) != CS_OK)
			return rc;
		off += want;
	}
	/* the plaintext must not have grown either: its length is already written */
	{
		uint8_t		probe;
		ssize_t		r;

		do
			r = pread(in_fd, &probe, 1, (off_t) n);
		while (r < 0 && errno == EINTR);
		if (r < 0)
			return cs_err_set_errno(err, errno, "could not read the workbook to encrypt");
		if (r > 0)
			return cs_err_set(err, CS_ERR_IO, "workbook to encrypt grew while being read");
	}
	{
		size_t		maclen = 0;

		if (EVP_MAC_final(ctx->mac, ctx->s.hmac_value, &maclen, sizeof(ctx->s.hmac_value)) != 1 ||
			maclen != sizeof(ctx->s.hmac_value))
			return cs_err_set_openssl(err, "HMAC-SHA-512 failed");
	}
	return CS_OK;
}

static cs_status
encrypt_impl(cs_agile_ctx *ctx, int in_fd, cs_agile_write_fn sink, void *warg,
			 const char *password, const cs_agile_opts *opts, cs_err *err)
{
	struct stat st;
	uint64_t	n;
	size_t		pwlen = password ? strlen(password) : 0;
	size_t		pw16_len = 0;
	size_t		isz;
	cs_cfb_plan plan;
	uint8_t		header[CS_CFB_SECTOR];
	pkg_sink	ps;
	cs_status	rc;

	if ((rc = setup(ctx, err)) != CS_OK)
		return rc;

	/* password to UTF-16LE in a buffer the context owns (and wipes) */
	if (pwlen == 0)
		return cs_err_set(err, CS_ERR_BADARG, "password must not be empty");
	if (ctx->pw16_cap < 2 * pwlen)
	{
		if (ctx->pw16)
			OPENSSL_cleanse(ctx->pw16, ctx->pw16_cap);
		free(ctx->pw16);
		ctx->pw16_cap = 0;
		if ((ctx->pw16 = malloc(2 * pwlen)) == NULL)
			return cs_err_set(err, CS_ERR_NOMEM, "out of memory for the password");
		ctx->pw16_cap = 2 * pwlen;
	}
	if ((rc = cs_agile_password_utf16le(password, ctx->pw16, &pw16_len, err)) != CS_OK)
		return rc;

	if (fstat(in_fd, &st) != 0)
		return cs_err_set_errno(err, errno, "could not stat the workbook to encrypt");
	if (!S_ISREG(st.st_mode))
		return cs_err_set(err, CS_ERR_BADARG, "workbook to encrypt is not a regular file");
	n = (uint64_t) st.st_size;
	if (n > CS_AGILE_MAX_PLAINTEXT)
		return cs_err_set(err, CS_ERR_LIMIT,
						  "workbook of %llu bytes exceeds the encrypted file limit of %llu bytes",
						  (unsigned long long) n, (unsigned long long) CS_AGILE_MAX_PLAINTEXT);

	if ((isz = info_size()) == 0)
		return cs_err_set(err, CS_ERR_NOMEM, "out of memory");
	if ((rc = cs_cfb_plan_init(&plan, 8 + ((n + 15) & ~(uint64_t) 15),
							   (uint32_t) isz, err)) != CS_OK)
		return rc;

	/* key material and the password key encryptor */
	if ((rc = gen_material(ctx, err)) != CS_OK ||
		(rc = derive_password_hash(ctx, pw16_len, opts, err)) != CS_OK)
		return rc;
	OPENSSL_cleanse(ctx->pw16, ctx->pw16_cap);
	if ((rc = key_encryptor_field(ctx, BK_VERIFIER_INPUT, ctx->s.verifier,
								  CS_AGILE_SALT_LEN, ctx->s.enc_vhi, err)) != CS_OK ||
		(rc = sha512_2(ctx, ctx->s.verifier, CS_AGILE_SALT_LEN, NULL, 0,
					   ctx->s.tmp, err)) != CS_OK ||
		(rc = key_encryptor_field(ctx, BK_VERIFIER_VALUE, ctx->s.tmp,
								  CS_AGILE_HASH_LEN, ctx->s.enc_vhv, err)) != CS_OK ||
		(rc = key_encryptor_field(ctx, BK_KEY_VALUE, ctx->s.ik,
								  CS_AGILE_KEY_LEN, ctx->s.enc_kv, err)) != CS_OK ||
		(rc = integrity_field(ctx, BK_HMAC_KEY, ctx->s.hmac_key,
							  CS_AGILE_HASH_LEN, ctx->s.enc_hk, err)) != CS_OK)
		return rc;

	/* header, EncryptedPackage (HMAC as it goes), then the tail */
	cs_cfb_header(&plan, header);
	if ((rc = sink(warg, header, sizeof(header), err)) != CS_OK)
		return rc;
	ps.ctx = ctx;
	ps.write = sink;
	ps.arg = warg;
	ps.mini = plan.pkg_in_mini;
	ps.small_used = 0;
	if ((rc = encrypt_package(ctx, in_fd, n, &ps, opts, err)) != CS_OK)
		return rc;
	if (!plan.pkg_in_mini)
	{
		uint32_t	pad = cs_cfb_package_padding(&plan);

		memset(ctx->buf, 0, pad);
		if (pad > 0 && (rc = sink(warg, ctx->buf, pad, err)) != CS_OK)
			return rc;
	}
	if ((rc = integrity_field(ctx, BK_HMAC_VALUE, ctx->s.hmac_value,
							  CS_AGILE_HASH_LEN, ctx->s.enc_hv, err)) != CS_OK)
		return rc;
	if (build_info(ctx) != isz)
		return cs_err_set(err, CS_ERR_INTERNAL, "encryption info length changed");
	return cs_cfb_write_tail(&plan, (const uint8_t *) ctx->info, ctx->small,
							 sink, warg, err);
}

cs_status
cs_agile_encrypt_to(cs_agile_ctx *ctx, int in_fd, cs_agile_write_fn write,
					void *write_arg, const char *password,
					const cs_agile_opts *opts, cs_err *err)
{
	cs_status	rc;

	if (ctx == NULL || write == NULL)
		return cs_err_set(err, CS_ERR_BADARG, "no encryption context or output");
	cs_err_clear(err);
	rc = encrypt_impl(ctx, in_fd, write, write_arg, password, opts, err);
	wipe_secrets(ctx);
	return rc;
}

static cs_status
fd_write(void *arg, const void *buf, size_t len, cs_err *err)
{
	int			fd = *(int *) arg;
	const uint8_t *p = buf;

	while (len > 0)
	{
		ssize_t		w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return cs_err_set_errno(err, errno, "could not write the encrypted file");
		if (w == 0)
			return cs_err_set(err, CS_ERR_IO, "could not write the encrypted file: no progress");
		p += w;
		len -= (size_t) w;
	}
	return CS_OK;
}

cs_status
cs_agile_encrypt_fd(cs_agile_ctx *ctx, int in_fd, int out_fd, const char *password,
					const cs_agile_opts *opts, cs_err *err)
{
	return cs_agile_encrypt_to(ctx, in_fd, fd_write, &out_fd, password, opts, err);
}

cs_status
cs_agile_encrypt(int in_fd, int out_fd, const char *password,
				 const cs_agile_opts *opts, cs_err *err)
{
	cs_agile_ctx *ctx = cs_agile_ctx_new();
	cs_status	rc;

	if (ctx == NULL)
		return cs_err_set(err, CS_ERR_NOMEM, "out of memory for the encryption context");
	rc = cs_agile_encrypt_fd(ctx, in_fd, out_fd, password, opts, err);
	cs_agile_ctx_free(ctx);
	return rc;
}
