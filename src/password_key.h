/*-------------------------------------------------------------------------
 *
 * password_key.h
 *	  The key file that seals stored export passwords, and the sealing
 *	  (AES-256-GCM) itself; see password_key.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CSSTATS_PASSWORD_KEY_H
#define CSSTATS_PASSWORD_KEY_H

#include "postgres.h"

#define KEY_LEN			32
#define KEY_ID_LEN		8
#define NONCE_LEN		12
#define TAG_LEN			16

typedef struct PasswordKey
{
	uint8		key[KEY_LEN];
	uint8		id[KEY_ID_LEN];
} PasswordKey;

extern void PasswordKeyInit(void);
extern bool PasswordKeyFileSet(void);
extern char *PasswordKeyFilePath(void);
extern void PasswordKeyIdHex(const uint8 *id, char *hex);
extern bool PasswordKeyRead(const char *path, PasswordKey *k, bool missing_ok);
extern bool PasswordKeyCreate(const char *path, PasswordKey *k);
extern void PasswordKeyLoadOrCreate(PasswordKey *k);
extern bytea *PasswordSeal(const PasswordKey *k, const char *name, const char *password);
extern char *PasswordUnseal(const PasswordKey *k, const char *name,
							const uint8 *sealed, size_t sealed_len);
extern bytea *PasswordSealWithKeyFile(const char *name, const char *password, bytea **key_id);

#endif							/* CSSTATS_PASSWORD_KEY_H */
