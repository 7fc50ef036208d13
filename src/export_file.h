/*-------------------------------------------------------------------------
 *
 * export_file.h
 *	  The server file of export_*_to_file and its commit protocol
 *	  (export_file.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef CSSTATS_EXPORT_FILE_H
#define CSSTATS_EXPORT_FILE_H

extern bool ExportFileNameValid(const char *name, const char **why);
extern int	ExportOutputOpen(void);
extern void ExportOutputSeal(int64 *size, char *sha256_hex);
extern void ExportOutputPublish(const char *final_name);
extern void ExportOutputCheckFree(const char *final_name);

#endif							/* CSSTATS_EXPORT_FILE_H */
