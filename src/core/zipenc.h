/*
 * zipenc.h - password-protected ZIP (WinZip AE-2, AES-256) holding one
 * member, written with libzip (built with OpenSSL), for the JSON export.
 *
 * The member is streamed from a file (zip_source_file) through deflate and
 * AES-256-CTR/HMAC-SHA1 into the archive, so memory does not grow with the
 * file.  7-Zip, WinZip, WinRAR, Keka and similar tools open it with the
 * password; the archivers built into Windows and macOS may not.  Note that ZIP
 * does not encrypt member names or sizes: use a neutral member name.
 *
 * libzip writes the archive to a temporary file next to out_path and renames
 * it into place only when complete; out_path must not exist yet (never
 * overwritten).  On any failure, including a cancel, nothing is left under
 * out_path or the temporary name.
 *
 * Interrupts: opts->check is called from libzip's cancel callback while the
 * member is compressed and encrypted; returning nonzero stops the write with
 * CS_ERR_CANCELED.  Unlike the Agile encryptor, this callback must RETURN
 * (not longjmp): libzip keeps state on its stack.  The PostgreSQL layer
 * should return "an interrupt is pending" and call CHECK_FOR_INTERRUPTS()
 * after cs_zip_free().
 */
#ifndef CS_CORE_ZIPENC_H
#define CS_CORE_ZIPENC_H

#include <stdint.h>

#include "cserr.h"

#define CS_ZIP_DEFAULT_MEMBER	"export.json"

typedef struct cs_zip cs_zip;

typedef struct cs_zip_opts
{
	const char *member_name;	/* NULL: CS_ZIP_DEFAULT_MEMBER */
	int			deterministic;	/* member time 2000-01-01 00:00 */
	int			has_mtime;		/* else mtime (below) when set, else now */
	int64_t		mtime;			/* microseconds since 2000-01-01 UTC */
	cs_check_fn check;			/* may be NULL; must return, see above */
	void	   *check_arg;
} cs_zip_opts;

extern cs_zip *cs_zip_new(void);

/* Discard an unfinished archive and free; NULL is fine. */
extern void cs_zip_free(cs_zip *z);

/*
 * Write out_path as an AES-256 zip whose one member (deflated) is the file
 * in_path.  password: nonempty UTF-8, used as bytes (AE-2 has no encoding
 * rule; ASCII passwords are portable).  One call per context.
 */
extern cs_status cs_zip_write(cs_zip *z, const char *in_path, const char *out_path,
							  const char *password, const cs_zip_opts *opts,
							  cs_err *err);

/* One-shot convenience. */
extern cs_status cs_zip_encrypt_file(const char *in_path, const char *out_path,
									 const char *password, const cs_zip_opts *opts,
									 cs_err *err);

#endif							/* CS_CORE_ZIPENC_H */
