/*-------------------------------------------------------------------------
 *
 * inbox.c
 *	  The grouping step of csstats.inbox_counts (sql/install/92_inbox.sql).
 *
 *	  csstats._inbox_group(chat_rows refcursor, assignees, teams, tags)
 *	  reads the counted chats from a cursor the SQL function opened (one row
 *	  per chat: inbox state, assignee, team, tags) and returns the counts per
 *	  scope, key and state (src/core/inbox.c does the grouping).  The rows
 *	  come straight from the cursor's executor through a receiver of our own,
 *	  with no copy into an SPI tuple table; everything is allocated in one
 *	  short-lived memory context.  The SQL keeps the queries (and their
 *	  indexes) visible; grouping the tag hierarchy there cost seconds.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "tcop/dest.h"
#include "tcop/pquery.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/portal.h"
#include "utils/tuplestore.h"

#include "inbox.h"

static const char *const scope_names[INBOX_NSCOPES] = {
	"all", "unassigned", "assignee", "team", "tag"
};
static const char *const state_names[INBOX_NSTATES] = {"open", "snoozed", "closed"};

/* The cursor's columns. */
static const Oid row_types[] = {TEXTOID, TEXTOID, TEXTOID, TEXTARRAYOID};
#define NCOLS lengthof(row_types)

typedef struct InboxReceiver
{
	DestReceiver pub;
	inbox	   *ib;
	MemoryContext rowcxt;		/* reset after every row */
} InboxReceiver;

static void *
CoreAlloc(void *ctx, size_t size)
{
	return MemoryContextAllocExtended((MemoryContext) ctx, size, MCXT_ALLOC_NO_OOM);
}

static void
CoreRelease(void *ctx, void *ptr)
{
	pfree(ptr);
}

static void
CheckStatus(cs_status rc)
{
	if (rc == CS_ERR_NOMEM)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("Failed while grouping the inbox counts.")));
	if (rc != CS_OK)
		elog(ERROR, "inbox grouping failed (status %d)", (int) rc);
}

static inbox_str
TextStr(Datum d)
{
	text	   *t = DatumGetTextPP(d);
	inbox_str	s = {VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t)};

	return s;
}

/* The elements of a text[] (NULL elements as NULL strings), in rowcxt. */
static inbox_str *
TextArrayStrs(Datum d, int *n)
{
	ArrayType  *arr = DatumGetArrayTypeP(d);
	Datum	   *elems;
	bool	   *nulls;
	inbox_str  *strs;
	int			i;

	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, n);
	strs = palloc(sizeof(inbox_str) * Max(*n, 1));
	for (i = 0; i < *n; i++)
	{
		if (nulls[i])
			strs[i].s = NULL, strs[i].len = 0;
		else
			strs[i] = TextStr(elems[i]);
	}
	return strs;
}

static bool
InboxReceive(TupleTableSlot *slot, DestReceiver *self)
{
	InboxReceiver *r = (InboxReceiver *) self;
	MemoryContext old = MemoryContextSwitchTo(r->rowcxt);
	inbox_str	none = {NULL, 0},
				st,
				asg = none,
				team = none,
			   *tags = NULL;
	int			ntags = 0,
				s;

	slot_getallattrs(slot);
	if (slot->tts_isnull[0])
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("inbox state must not be NULL")));
	st = TextStr(slot->tts_values[0]);
	for (s = 0; s < INBOX_NSTATES; s++)
		if (st.len == strlen(state_names[s]) && memcmp(st.s, state_names[s], st.len) == 0)
			break;
	if (s == INBOX_NSTATES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("inbox state must be open, snoozed or closed, got \"%.*s\"",
						(int) Min(st.len, 64), st.s)));
	if (!slot->tts_isnull[1])
		asg = TextStr(slot->tts_values[1]);
	if (!slot->tts_isnull[2])
		team = TextStr(slot->tts_values[2]);
	if (!slot->tts_isnull[3])
		tags = TextArrayStrs(slot->tts_values[3], &ntags);
	CheckStatus(inbox_add_chat(r->ib, (inbox_state) s, asg, team, tags, ntags));
	MemoryContextSwitchTo(old);
	MemoryContextReset(r->rowcxt);
	return true;
}

static void
InboxStartup(DestReceiver *self, int operation, TupleDesc typeinfo)
{
}

static void
InboxShutdown(DestReceiver *self)
{
}

static void
InboxDestroy(DestReceiver *self)
{
}

/* The cursor of that name, checked to return the rows we read. */
static Portal
ChatRowsPortal(text *name)
{
	char	   *cname = text_to_cstring(name);
	Portal		portal = GetPortalByName(cname);
	TupleDesc	td;
	int			i;

	if (!PortalIsValid(portal))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_CURSOR),
				 errmsg("cursor \"%s\" does not exist", cname)));
	td = portal->tupDesc;
	if (td == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_CURSOR_STATE),
				 errmsg("cursor \"%s\" does not return rows", cname)));
	for (i = 0; i < NCOLS; i++)
		if (td->natts != NCOLS || TupleDescAttr(td, i)->atttypid != row_types[i])
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("cursor \"%s\" does not return the inbox chat rows", cname),
					 errdetail("The rows must be (state text, assignee text, team text, tags text[]).")));
	return portal;
}

static void
AddKeys(inbox *ib, inbox_scope scope, ArrayType *keys)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n,
				i;

	deconstruct_array(keys, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	for (i = 0; i < n; i++)
		if (!nulls[i])
			CheckStatus(inbox_add_key(ib, scope, TextStr(elems[i])));
}

/*
 * csstats_inbox_group
 *		_inbox_group(chat_rows refcursor, assignees text[], teams text[],
 *		tags text[]) RETURNS TABLE (scope, key, state, chats): reads the
 *		cursor to its end and counts; the listed keys appear with zero counts
 *		too.  Rows come ordered by scope, key (bytes) and state.
 */
PG_FUNCTION_INFO_V1(csstats_inbox_group);
Datum
csstats_inbox_group(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Portal		portal = ChatRowsPortal(PG_GETARG_TEXT_PP(0));
	MemoryContext work = AllocSetContextCreate(CurrentMemoryContext, "inbox counts",
											   ALLOCSET_DEFAULT_SIZES);
	MemoryContext old;
	inbox_allocator alloc = {CoreAlloc, CoreRelease, work};
	InboxReceiver recv;
	const inbox_row *rows;
	size_t		nrows,
				i;
	int			s;

	InitMaterializedSRF(fcinfo, 0);

	old = MemoryContextSwitchTo(work);
	recv.ib = inbox_create(&alloc);
	if (recv.ib == NULL)
		CheckStatus(CS_ERR_NOMEM);
	AddKeys(recv.ib, INBOX_ASSIGNEE, PG_GETARG_ARRAYTYPE_P(1));
	AddKeys(recv.ib, INBOX_TEAM, PG_GETARG_ARRAYTYPE_P(2));
	AddKeys(recv.ib, INBOX_TAG, PG_GETARG_ARRAYTYPE_P(3));

	recv.pub.receiveSlot = InboxReceive;
	recv.pub.rStartup = InboxStartup;
	recv.pub.rShutdown = InboxShutdown;
	recv.pub.rDestroy = InboxDestroy;
	recv.pub.mydest = DestNone;
	recv.rowcxt = AllocSetContextCreate(work, "inbox counts row", ALLOCSET_SMALL_SIZES);
	PortalRunFetch(portal, FETCH_FORWARD, FETCH_ALL, &recv.pub);

	CheckStatus(inbox_rows(recv.ib, &rows, &nrows));
	for (i = 0; i < nrows; i++)
		for (s = 0; s < INBOX_NSTATES; s++)
		{
			Datum		values[4];
			bool		nulls[4] = {false, rows[i].key == NULL, false, false};

			values[0] = CStringGetTextDatum(scope_names[rows[i].scope]);
			values[1] = rows[i].key ? PointerGetDatum(cstring_to_text_with_len(rows[i].key, rows[i].keylen))
				: (Datum) 0;
			values[2] = CStringGetTextDatum(state_names[s]);
			values[3] = Int64GetDatum(rows[i].chats[s]);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
			CHECK_FOR_INTERRUPTS();
		}
	MemoryContextSwitchTo(old);
	MemoryContextDelete(work);
	return (Datum) 0;
}
