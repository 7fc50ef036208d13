/*-------------------------------------------------------------------------
 *
 * export_tmp.h
 *	  The private temporary directory that holds an export's plaintext
 *	  (export_tmp.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef CSSTATS_EXPORT_TMP_H
#define CSSTATS_EXPORT_TMP_H

typedef struct ExportTempDir ExportTempDir;

extern ExportTempDir *ExportTempDirCreate(void);
extern const char *ExportTempDirPath(ExportTempDir *t);
extern void ExportTempDirRemove(ExportTempDir *t);
extern void ExportTempDirDisown(const char *path);
extern void ExportRemoveFlatDir(const char *dir, bool may_log);
extern void ExportCheckTempLimit(const char *dir);

#endif							/* CSSTATS_EXPORT_TMP_H */
