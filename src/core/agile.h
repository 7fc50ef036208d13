/*
 * agile.h - ECMA-376 Agile Encryption (MS-OFFCRYPTO 2.3.4.10-2.3.4.15) of an
 * OOXML package, as written by Excel's "Encrypt with password":
 * AES-256-CBC, SHA-512, spin count 100,000, 4096-byte segments, HMAC-SHA-512
 * data integrity, inside the compound file described in cfb.h.
 *
 * Streaming: the plaintext is read from a file descriptor (a regular file,
 * since its length is stored before the data) in fixed-size chunks and the
 * compound file is written strictly sequentially, so memory does not grow
 * with the file size and the output may be a pipe.  The HMAC is computed as
 * the EncryptedPackage stream is written.
 *
 * Key material (intermediate key, HMAC key, salts, verifier) comes from
 * OpenSSL's CSPRNG (RAND_bytes); the intermediate key is 32 random bytes.
 * Every secret (password as UTF-16, derived hashes and keys) lives in the
 * context and is wiped with OPENSSL_cleanse when the operation ends and when
 * the context is freed.
 *
 * Interrupts: opts->check is called every 1,000 rounds of the key derivation
 * (about 0.5 ms apart) and before every 4096-byte segment.  Returning
 * nonzero makes the call fail with CS_ERR_CANCELED.  The callback may also
 * longjmp out (CHECK_FOR_INTERRUPTS): all heap and OpenSSL resources hang off
 * the context, so cs_agile_ctx_free() after the jump releases everything.
 * The core never closes the caller's descriptors; an output file written
 * partly is the caller's to unlink.
 *
 * Usage:
 *     cs_agile_ctx *ctx = cs_agile_ctx_new();
 *     rc = cs_agile_encrypt_fd(ctx, in_fd, out_fd, password, &opts, &err);
 *     cs_agile_ctx_free(ctx);
 * or simply cs_agile_encrypt(in_fd, out_fd, password, &opts, &err).
 */
#ifndef CS_CORE_AGILE_H
#define CS_CORE_AGILE_H

#include <stddef.h>
#include <stdint.h>

#include "cfb.h"
#include "cserr.h"

#define CS_AGILE_SPIN_COUNT		100000
#define CS_AGILE_SEGMENT		4096
#define CS_AGILE_SALT_LEN		16
#define CS_AGILE_KEY_LEN		32	/* AES-256 intermediate key */
#define CS_AGILE_HASH_LEN		64	/* SHA-512 */
/* Largest plaintext: the EncryptedPackage stream must fit a v3 compound file. */
#define CS_AGILE_MAX_PLAINTEXT	(CS_CFB_MAX_STREAM - 8 - 16)

typedef struct cs_agile_ctx cs_agile_ctx;

typedef struct cs_agile_opts
{
	cs_check_fn check;			/* may be NULL */
	void	   *check_arg;
} cs_agile_opts;

/* Output sink for cs_agile_encrypt_to(): write all len bytes or fail. */
typedef cs_cfb_write_fn cs_agile_write_fn;

/* New context, or NULL when out of memory. */
extern cs_agile_ctx *cs_agile_ctx_new(void);

/* Wipe and free everything; NULL is fine; safe after a longjmp out of check. */
extern void cs_agile_ctx_free(cs_agile_ctx *ctx);

/*
 * Encrypt the regular file open on in_fd (read with pread from offset 0; its
 * position is not used) into out_fd (written at its current position).
 * password: UTF-8, nonempty; any Unicode text, converted to UTF-16LE
 * (characters outside the BMP become surrogate pairs).  opts may be NULL.
 * The context may be reused for further calls.
 */
extern cs_status cs_agile_encrypt_fd(cs_agile_ctx *ctx, int in_fd, int out_fd,
									 const char *password,
									 const cs_agile_opts *opts, cs_err *err);

/* Same, with the output going to a caller-supplied sink. */
extern cs_status cs_agile_encrypt_to(cs_agile_ctx *ctx, int in_fd,
									 cs_agile_write_fn write, void *write_arg,
									 const char *password,
									 const cs_agile_opts *opts, cs_err *err);

/* One-shot convenience: context created and freed inside. */
extern cs_status cs_agile_encrypt(int in_fd, int out_fd, const char *password,
								  const cs_agile_opts *opts, cs_err *err);

/* Exact size of the encrypted file for a plaintext of n bytes (0 if too big). */
extern uint64_t cs_agile_output_size(uint64_t plaintext_len);

/*
 * UTF-8 to UTF-16LE without BOM or terminator, as the key derivation wants.
 * Rejects invalid UTF-8 (overlong forms, surrogates, > U+10FFFF) and the empty
 * string with CS_ERR_BADARG.  out must hold 2 * strlen(utf8) bytes, which
 * always suffices (1 UTF-8 byte -> 2 bytes, 2 or 3 -> 2, 4 -> 4).  *out_len
 * receives the byte count.
 */
extern cs_status cs_agile_password_utf16le(const char *utf8, uint8_t *out,
										   size_t *out_len, cs_err *err);

/*
 * TESTS ONLY: fix the random material so known-answer tests can compare the
 * output with values computed independently from the public specification.
 * Never called by the production paths; a context without it always draws
 * fresh CSPRNG bytes for every file.
 */
typedef struct cs_agile_test_material
{
	uint8_t		pw_salt[CS_AGILE_SALT_LEN];
	uint8_t		key_salt[CS_AGILE_SALT_LEN];
	uint8_t		intermediate_key[CS_AGILE_KEY_LEN];
	uint8_t		verifier[CS_AGILE_SALT_LEN];
	uint8_t		hmac_key[CS_AGILE_HASH_LEN];
} cs_agile_test_material;

extern void cs_agile_ctx_set_test_material(cs_agile_ctx *ctx,
										   const cs_agile_test_material *m);

#endif							/* CS_CORE_AGILE_H */
