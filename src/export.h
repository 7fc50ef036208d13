/*-------------------------------------------------------------------------
 *
 * export.h
 *	  Declarations shared by the export files:
 *
 *	  export.c          SQL entry points, the export from request to delivery
 *	  export_request.c  argument validation, permissions, limits (export_request.h)
 *	  export_settings.c the export settings and the password rules
 *	  export_sheets.c   the cursor -> document loop (ExportWriteDocument)
 *	  audit.c           the privileged audit append
 *	  owner.c           one SPI statement as the extension owner
 *	  password_store.c  stored passwords, encrypted with a server key file
 *	                    (the key file and the sealing: password_key.h)
 *
 *	  The other export files have headers of their own: export_catalog.h
 *	  (sheets, headers), doc_writer.h (XLSX/JSON writers), close_thread.h,
 *	  export_tmp.h (private directory), export_encrypt.h (encryption,
 *	  read-back), export_file.h (server file), export_errors.h (core errors,
 *	  interrupts).
 *
 *-------------------------------------------------------------------------
 */
#ifndef CSSTATS_EXPORT_H
#define CSSTATS_EXPORT_H

#include "datatype/timestamp.h"
#include "pgtime.h"
#include "utils/jsonb.h"

typedef enum ExportKind
{
	EXPORT_CHATS,
	EXPORT_CASES
} ExportKind;

typedef enum ExportFormat
{
	EXPORT_XLSX,
	EXPORT_JSON
} ExportFormat;

/* One export request, validated by export.c before anything is read. */
typedef struct ExportRequest
{
	ExportKind	kind;
	ExportFormat format;
	char	   *password;		/* resolved password; wiped at the end */
	char	   *password_name;	/* stored password used, or NULL */
	char	   *reason;
	bool		has_since;
	bool		has_until;
	TimestampTz since;
	TimestampTz until;
	bool		include_messages;
	char	   *channel_id;
	char	   *manager_id;		/* or NULL */
	Jsonb	   *filters;
	TimestampTz as_of;
	bool		to_file;
	char	   *filename;		/* to_file: given name or NULL (generated) */
	bool		include_summary;	/* a first Summary sheet (export_summary.c) */

	/* filled in while running */
	char	   *timezone;		/* the channel's IANA zone */
	pg_tz	   *tz;
	int64		limit;			/* cases export: the case limit */
} ExportRequest;

/* Rows written per sheet, in sheet order. */
#define EXPORT_MAX_SHEETS 12
typedef struct ExportCounts
{
	int			nsheets;
	const char *names[EXPORT_MAX_SHEETS];
	int64		rows[EXPORT_MAX_SHEETS];
} ExportCounts;

/* settings and the password rules (export_settings.c) */
#define PASSWORD_MAX	255
extern char *csstats_export_directory;
extern int	csstats_max_chats_per_export;
extern int	csstats_max_cases_per_export;
extern int	csstats_min_password_length;
extern int	csstats_progress_rows;

extern void ExportInit(void);
extern void ExportCheckPassword(const char *pw);

/* export_sheets.c */
extern void ExportWriteDocument(ExportRequest *req, const char *path,
								const char *tmpdir, ExportCounts *counts);

/* owner.c */
extern Oid	ExportExtensionOwner(void);
extern int	ExportExecuteAsOwner(const char *sql, int nargs, Oid *types, Datum *values,
								 const char *nulls, bool read_only);

/* password_store.c */
extern char *ExportLookupPassword(const char *name, ExportRequest *req);

/* audit.c */
extern int64 ExportAuditAppend(ExportRequest *req, const ExportCounts *counts,
							   int64 bytes, const char *sha256_hex,
							   const char *destination);
extern void ExportAuditDenied(ExportRequest *req, const char *refusal);

#endif							/* CSSTATS_EXPORT_H */
