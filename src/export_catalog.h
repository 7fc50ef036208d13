/*-------------------------------------------------------------------------
 *
 * export_catalog.h
 *	  The sheets of each export and their header naming (export_catalog.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef CSSTATS_EXPORT_CATALOG_H
#define CSSTATS_EXPORT_CATALOG_H

#include "export.h"

typedef enum ProfileKind
{
	PROFILE_NONE,
	PROFILE_CHAT,				/* csat, csatComment, chat_profile_fields */
	PROFILE_USER				/* csstats.user_sheet_profile_keys */
} ProfileKind;

typedef struct SheetDef
{
	const char *name;			/* sheet name (seed spelling) */
	const char *func;			/* csstats.<func>(channel_id, since, until, filters, as_of) */
	bool		messages_only;	/* only with include_messages */
	bool		pascal;			/* PascalCase headers (Message data) */
	ProfileKind profile;
} SheetDef;

/* The sheets of an export of this kind, in order; *n gets their count. */
extern const SheetDef *ExportSheets(ExportKind kind, int *n);

/* The seed header of a column of the sheet def (NULL: camelCase). */
extern char *ExportSheetHeader(const SheetDef *def, const char *column);

/* The same by sheet name (csstats.export_header). */
extern char *ExportHeaderName(const char *sheet, const char *column);

#endif							/* CSSTATS_EXPORT_CATALOG_H */
