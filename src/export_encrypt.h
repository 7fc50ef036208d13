/*-------------------------------------------------------------------------
 *
 * export_encrypt.h
 *	  Encryption of an export's plaintext and read-back of the encrypted
 *	  result (export_encrypt.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef CSSTATS_EXPORT_ENCRYPT_H
#define CSSTATS_EXPORT_ENCRYPT_H

#include "export.h"

extern void ExportEncrypt(ExportRequest *req, const char *plain_path,
						  const char *tmpdir, int out_fd);
extern bytea *ExportReadFile(int fd, bool want_bytea, int64 *size, char *sha256_hex);

#endif							/* CSSTATS_EXPORT_ENCRYPT_H */
