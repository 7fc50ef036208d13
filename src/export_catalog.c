/*-------------------------------------------------------------------------
 *
 * export_catalog.c
 *	  The sheet catalog of the exports and the header naming.
 *
 *	  This is the one place that says which sheets an export has, in which
 *	  order, which SQL function feeds each one, and how a snake_case column
 *	  becomes its seed header: camelCase (first_replied_at_after_open ->
 *	  firstRepliedAtAfterOpen), PascalCase on the Message data sheet
 *	  (chat_id -> ChatId, as seed 001 spells it).  The profile jsonb column
 *	  is expanded into profile.<key> columns by the row loop
 *	  (export_sheets.c) as the sheet's ProfileKind says: profile.csat,
 *	  profile.csatComment, then chat_profile_fields by position on the
 *	  UserChat and UserChatCase sheets; the keys of
 *	  csstats.user_sheet_profile_keys on the User data sheet.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"

#include "export_catalog.h"

/* Chats export: the sheet order of export.md. */
static const SheetDef chat_sheets[] = {
	{"UserChat data", "user_chat_sheet", false, false, PROFILE_CHAT},
	{"User data", "user_sheet", false, false, PROFILE_USER},
	{"Workflow data", "workflow_sheet", false, false, PROFILE_NONE},
	{"SupportBot data", "support_bot_sheet", false, false, PROFILE_NONE},
	{"Marketing data", "marketing_sheet", false, false, PROFILE_NONE},
	{"Manager data", "manager_sheet", false, false, PROFILE_NONE},
	{"Team data", "team_sheet", false, false, PROFILE_NONE},
	{"Bot data", "bot_sheet", false, false, PROFILE_NONE},
	{"UserChatTag data", "user_chat_tag_sheet", false, false, PROFILE_NONE},
	{"Message data", "message_sheet", true, true, PROFILE_NONE},
	{"UserChat meet data", "user_chat_meet_sheet", false, false, PROFILE_NONE},
};

/* Cases export. */
static const SheetDef case_sheets[] = {
	{"UserChatCase data", "user_chat_case_sheet", false, false, PROFILE_CHAT},
};

StaticAssertDecl(lengthof(chat_sheets) < EXPORT_MAX_SHEETS,
				 "ExportCounts holds every sheet of the chats export and the Summary");

const SheetDef *
ExportSheets(ExportKind kind, int *n)
{
	if (kind == EXPORT_CHATS)
	{
		*n = lengthof(chat_sheets);
		return chat_sheets;
	}
	*n = lengthof(case_sheets);
	return case_sheets;
}

static const SheetDef *
FindSheet(const char *sheet)
{
	int			i;

	for (i = 0; i < lengthof(chat_sheets); i++)
		if (strcmp(chat_sheets[i].name, sheet) == 0)
			return &chat_sheets[i];
	for (i = 0; i < lengthof(case_sheets); i++)
		if (strcmp(case_sheets[i].name, sheet) == 0)
			return &case_sheets[i];
	return NULL;
}

/*
 * ExportSheetHeader
 *		snake_case -> camelCase (PascalCase on a pascal sheet).
 */
char *
ExportSheetHeader(const SheetDef *def, const char *column)
{
	StringInfoData s;
	bool		upper = def != NULL && def->pascal;
	const char *p;

	initStringInfo(&s);
	for (p = column; *p; p++)
	{
		if (*p == '_')
		{
			upper = true;
			continue;
		}
		appendStringInfoChar(&s, upper ? pg_ascii_toupper((unsigned char) *p) : *p);
		upper = false;
	}
	return s.data;
}

/*
 * ExportHeaderName
 *		The seed header of a sheet column (the snake_case -> seed mapping).
 */
char *
ExportHeaderName(const char *sheet, const char *column)
{
	return ExportSheetHeader(FindSheet(sheet), column);
}
