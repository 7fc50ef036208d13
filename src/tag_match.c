/*-------------------------------------------------------------------------
 *
 * tag_match.c
 *	  Tag matching for the chat filters (sql/install/55_select.sql).
 *
 *	  Tags form a hierarchy by '/': a pattern matches a tag equal to it or
 *	  one of its children ('delivery' matches 'delivery/late', not
 *	  'deliveryman').  Done in C because it runs once per selected chat (or
 *	  case) and keeps csstats.chat_filter_matches free of sub-selects, so
 *	  the planner can inline it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "csstats.h"

typedef struct TagList
{
	int			n;
	Datum	   *items;
	bool	   *nulls;
} TagList;

static void
GetTagList(ArrayType *arr, TagList *list)
{
	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("tag arrays must be one-dimensional")));
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT,
					  &list->items, &list->nulls, &list->n);
}

/* Does one tag match one pattern (itself or a child)? */
static bool
TagMatches(text *tag, text *pattern)
{
	int			tlen = VARSIZE_ANY_EXHDR(tag);
	int			plen = VARSIZE_ANY_EXHDR(pattern);
	const char *t = VARDATA_ANY(tag);

	if (tlen < plen || memcmp(t, VARDATA_ANY(pattern), plen) != 0)
		return false;
	return tlen == plen || t[plen] == '/';
}

static bool
AnyTagMatches(const TagList *tags, text *pattern)
{
	int			i;

	for (i = 0; i < tags->n; i++)
		if (!tags->nulls[i] && TagMatches(DatumGetTextPP(tags->items[i]), pattern))
			return true;
	return false;
}

/*
 * Whether every pattern (all) or some pattern (!all) of the second argument
 * matches some tag of the first.  A NULL pattern matches nothing.
 */
static bool
PatternsMatch(FunctionCallInfo fcinfo, bool all)
{
	TagList		tags,
				pats;
	int			i;

	GetTagList(PG_GETARG_ARRAYTYPE_P(0), &tags);
	GetTagList(PG_GETARG_ARRAYTYPE_P(1), &pats);
	for (i = 0; i < pats.n; i++)
	{
		bool		m = !pats.nulls[i] &&
			AnyTagMatches(&tags, DatumGetTextPP(pats.items[i]));

		/* any: the first match decides; all: the first miss */
		if (m != all)
			return m;
	}
	return all;
}

/*
 * csstats_tags_match_any
 *		tags_match_any(tags text[], patterns text[]): some pattern matches
 *		some tag (OR search).
 */
PG_FUNCTION_INFO_V1(csstats_tags_match_any);
Datum
csstats_tags_match_any(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(PatternsMatch(fcinfo, false));
}

/*
 * csstats_tags_match_all
 *		tags_match_all(tags text[], patterns text[]): every pattern matches
 *		some tag (AND search); true for no patterns.
 */
PG_FUNCTION_INFO_V1(csstats_tags_match_all);
Datum
csstats_tags_match_all(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(PatternsMatch(fcinfo, true));
}
