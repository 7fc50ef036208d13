/*-------------------------------------------------------------------------
 *
 * inbox.c
 *	  The grouping step of csstats.inbox_counts (sql/install/92_inbox.sql).
 *
 *	  csstats._inbox_group(chat_rows refcursor, the channel's managers,
 *	  teams and tags) reads the counted chats from a cursor the SQL function
 *	  opened (one row per chat: inbox state, assignee, team, tags), counts
 *	  them (src/core/inbox.c does the grouping) and returns inbox_counts'
 *	  rows, names and operator rows included, in their order.  The rows
 *	  come straight from the cursor's executor through a receiver of our own,
 *	  with no copy into an SPI tuple table; everything is allocated in one
 *	  short-lived memory context.  The SQL keeps the queries (and their
 *	  indexes) visible; grouping the tag hierarchy there cost seconds.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/detoast.h"
#include "access/tupmacs.h"
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
	MemoryContext work;			/* everything below lives here */
	MemoryContext rowcxt;		/* a detoasted row's copies, reset after it */
	char	   *arrbuf;			/* a short-header array, realigned */
	Size		arrbuf_size;
	inbox_str  *tags;
	int			tags_size;
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

/*
 * The inbox state of a row: an inbox state, or a user_chats state as it is
 * (queued counts as open, missed as closed), so the current rows need no
 * CASE per row.
 */
static inbox_state
RowState(inbox_str st)
{
	static const struct
	{
		const char *name;
		inbox_state state;
	}			names[] = {
		{"open", INBOX_OPEN}, {"queued", INBOX_OPEN}, {"snoozed", INBOX_SNOOZED},
		{"closed", INBOX_CLOSED}, {"missed", INBOX_CLOSED},
	};
	int			i;

	for (i = 0; i < lengthof(names); i++)
		if (st.len == strlen(names[i].name) && memcmp(st.s, names[i].name, st.len) == 0)
			return names[i].state;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("inbox state must be open, snoozed or closed (or queued, missed), got \"%.*s\"",
					(int) Min(st.len, 64), st.s)));
	return INBOX_OPEN;			/* keep the compiler quiet */
}

/*
 * The elements of a text[] (NULL elements as NULL strings), pointing into
 * the array.  An index-only scan gives small arrays with a 1-byte header:
 * those are realigned into a buffer kept across rows rather than detoasted
 * into a fresh allocation each.
 */
static int
RowTags(InboxReceiver *r, Datum d, bool *copied)
{
	struct varlena *v = (struct varlena *) DatumGetPointer(d);
	ArrayType  *arr;
	bits8	   *bitmap;
	char	   *p;
	int			n,
				i;

	if (VARATT_IS_SHORT(v))
	{
		Size		len = VARSIZE_SHORT(v) - VARHDRSZ_SHORT;

		if (r->arrbuf_size < len + VARHDRSZ)
		{
			if (r->arrbuf)
				pfree(r->arrbuf);
			r->arrbuf_size = Max(len + VARHDRSZ, 2 * r->arrbuf_size);
			r->arrbuf = MemoryContextAlloc(r->work, r->arrbuf_size);
		}
		SET_VARSIZE(r->arrbuf, len + VARHDRSZ);
		memcpy(VARDATA(r->arrbuf), VARDATA_SHORT(v), len);
		arr = (ArrayType *) r->arrbuf;
	}
	else if (VARATT_IS_EXTENDED(v))
	{
		arr = (ArrayType *) detoast_attr(v);
		*copied = true;
	}
	else
		arr = (ArrayType *) v;

	Assert(ARR_ELEMTYPE(arr) == TEXTOID);
	n = ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr));
	if (n > r->tags_size)
	{
		if (r->tags)
			pfree(r->tags);
		r->tags_size = Max(n, 2 * r->tags_size);
		r->tags = MemoryContextAlloc(r->work, sizeof(inbox_str) * r->tags_size);
	}
	bitmap = ARR_NULLBITMAP(arr);
	p = ARR_DATA_PTR(arr);
	for (i = 0; i < n; i++)
	{
		if (bitmap && !(bitmap[i / 8] & (1 << (i % 8))))
		{
			r->tags[i].s = NULL;
			r->tags[i].len = 0;
			continue;
		}
		r->tags[i].s = VARDATA_ANY(p);
		r->tags[i].len = VARSIZE_ANY_EXHDR(p);
		p = att_addlength_pointer(p, -1, p);
		p = (char *) att_align_nominal(p, TYPALIGN_INT);
	}
	return n;
}

/* A text column; *copied when it had to be detoasted (into rowcxt). */
static inbox_str
RowText(Datum d, bool *copied)
{
	struct varlena *v = (struct varlena *) DatumGetPointer(d);

	if (VARATT_IS_EXTENDED(v) && !VARATT_IS_SHORT(v))
		*copied = true;
	return TextStr(d);
}

static bool
InboxReceive(TupleTableSlot *slot, DestReceiver *self)
{
	InboxReceiver *r = (InboxReceiver *) self;
	MemoryContext old = MemoryContextSwitchTo(r->rowcxt);
	inbox_str	none = {NULL, 0},
				asg = none,
				team = none;
	inbox_state st;
	int			ntags = 0;
	bool		copied = false;

	slot_getallattrs(slot);
	if (slot->tts_isnull[0])
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("inbox state must not be NULL")));
	st = RowState(RowText(slot->tts_values[0], &copied));
	if (!slot->tts_isnull[1])
		asg = RowText(slot->tts_values[1], &copied);
	if (!slot->tts_isnull[2])
		team = RowText(slot->tts_values[2], &copied);
	if (!slot->tts_isnull[3])
		ntags = RowTags(r, slot->tts_values[3], &copied);
	CheckStatus(inbox_add_chat(r->ib, st, asg, team, r->tags, ntags));
	MemoryContextSwitchTo(old);
	if (copied)
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

/* A manager's or team's name and flags, the payload of its key. */
typedef struct KeyInfo
{
	text	   *name;			/* NULL when NULL */
	bool		removed;
	bool		operator;
} KeyInfo;

/* The elements of a one-dimensional array argument (none when NULL). */
static int
ArgElems(FunctionCallInfo fcinfo, int argno, Oid elemtype, Datum **elems, bool **nulls)
{
	ArrayType  *arr;
	int			n;

	if (PG_ARGISNULL(argno))
	{
		*elems = NULL;
		*nulls = NULL;
		return 0;
	}
	arr = PG_GETARG_ARRAYTYPE_P(argno);
	if (elemtype == TEXTOID)
		deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, elems, nulls, &n);
	else
		deconstruct_array(arr, BOOLOID, 1, true, TYPALIGN_CHAR, elems, nulls, &n);
	return n;
}

static void
SameLength(int n, int m, const char *what)
{
	if (n != m)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("the %s arrays must have the same length", what)));
}

/*
 * List the keys: every manager (a removed one only gets its name attached,
 * and becomes a row if chats are still assigned to it), every team, every
 * tag.
 */
static void
AddKeys(FunctionCallInfo fcinfo, inbox *ib)
{
	Datum	   *ids,
			   *names,
			   *removed,
			   *oper,
			   *tags;
	bool	   *ids_n,
			   *names_n,
			   *removed_n,
			   *oper_n,
			   *tags_n;
	int			n,
				i;

	n = ArgElems(fcinfo, 1, TEXTOID, &ids, &ids_n);
	SameLength(n, ArgElems(fcinfo, 2, TEXTOID, &names, &names_n), "manager");
	SameLength(n, ArgElems(fcinfo, 3, BOOLOID, &removed, &removed_n), "manager");
	SameLength(n, ArgElems(fcinfo, 4, BOOLOID, &oper, &oper_n), "manager");
	for (i = 0; i < n; i++)
	{
		KeyInfo    *k = palloc(sizeof(KeyInfo));

		if (ids_n[i])
			continue;
		k->name = names_n[i] ? NULL : DatumGetTextPP(names[i]);
		k->removed = !removed_n[i] && DatumGetBool(removed[i]);
		k->operator = !oper_n[i] && DatumGetBool(oper[i]);
		CheckStatus(inbox_add_key_payload(ib, INBOX_ASSIGNEE, TextStr(ids[i]), k, !k->removed));
	}

	n = ArgElems(fcinfo, 5, TEXTOID, &ids, &ids_n);
	SameLength(n, ArgElems(fcinfo, 6, TEXTOID, &names, &names_n), "team");
	for (i = 0; i < n; i++)
	{
		KeyInfo    *k = palloc0(sizeof(KeyInfo));

		if (ids_n[i])
			continue;
		k->name = names_n[i] ? NULL : DatumGetTextPP(names[i]);
		CheckStatus(inbox_add_key_payload(ib, INBOX_TEAM, TextStr(ids[i]), k, 1));
	}

	n = ArgElems(fcinfo, 7, TEXTOID, &tags, &tags_n);
	for (i = 0; i < n; i++)
		if (!tags_n[i])
			CheckStatus(inbox_add_key(ib, INBOX_TAG, TextStr(tags[i])));
}

static void
PutRow(ReturnSetInfo *rsinfo, const char *scope, const inbox_row *row,
	   text *name, int state, int64 chats)
{
	Datum		values[5];
	bool		nulls[5] = {false, row->key == NULL, name == NULL, false, false};

	values[0] = CStringGetTextDatum(scope);
	values[1] = row->key ? PointerGetDatum(cstring_to_text_with_len(row->key, row->keylen)) : (Datum) 0;
	values[2] = PointerGetDatum(name);
	values[3] = CStringGetTextDatum(state_names[state]);
	values[4] = Int64GetDatum(chats);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/* The current managers of one operator mode, with their open chats. */
static void
PutOperatorRows(ReturnSetInfo *rsinfo, const inbox_row *rows, size_t nrows, bool operator)
{
	size_t		i;

	for (i = 0; i < nrows; i++)
	{
		const KeyInfo *k = rows[i].payload;

		if (rows[i].scope == INBOX_ASSIGNEE && k != NULL && !k->removed && k->operator == operator)
			PutRow(rsinfo, operator ? "operator" : "non_operator", &rows[i], k->name,
				   INBOX_OPEN, rows[i].chats[INBOX_OPEN]);
	}
}

/*
 * csstats_inbox_group
 *		_inbox_group(chat_rows refcursor, manager_ids text[], manager_names
 *		text[], manager_removed boolean[], manager_operator boolean[],
 *		team_ids text[], team_names text[], tags text[]) RETURNS TABLE
 *		(scope, key, name, state, chats): reads the cursor to its end, counts,
 *		and returns every row of inbox_counts in its order: all, unassigned,
 *		assignees, operators and non-operators (current managers, open
 *		chats), teams, tags; keys by bytes, states open, snoozed, closed.
 */
PG_FUNCTION_INFO_V1(csstats_inbox_group);
Datum
csstats_inbox_group(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Portal		portal;
	MemoryContext work,
				old;
	inbox_allocator alloc;
	InboxReceiver recv;
	const inbox_row *rows;
	size_t		nrows,
				i;
	bool		operators_done = false;
	int			s;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the chat rows cursor must not be NULL")));
	portal = ChatRowsPortal(PG_GETARG_TEXT_PP(0));
	InitMaterializedSRF(fcinfo, 0);

	work = AllocSetContextCreate(CurrentMemoryContext, "inbox counts", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(work);
	alloc.alloc = CoreAlloc;
	alloc.release = CoreRelease;
	alloc.ctx = work;
	recv.ib = inbox_create(&alloc);
	if (recv.ib == NULL)
		CheckStatus(CS_ERR_NOMEM);
	AddKeys(fcinfo, recv.ib);

	recv.pub.receiveSlot = InboxReceive;
	recv.pub.rStartup = InboxStartup;
	recv.pub.rShutdown = InboxShutdown;
	recv.pub.rDestroy = InboxDestroy;
	recv.pub.mydest = DestNone;
	recv.work = work;
	recv.arrbuf = NULL;
	recv.arrbuf_size = 0;
	recv.tags = NULL;
	recv.tags_size = 0;
	recv.rowcxt = AllocSetContextCreate(work, "inbox counts row", ALLOCSET_SMALL_SIZES);
	PortalRunFetch(portal, FETCH_FORWARD, FETCH_ALL, &recv.pub);

	CheckStatus(inbox_rows(recv.ib, &rows, &nrows));
	for (i = 0; i <= nrows; i++)
	{
		const KeyInfo *k;
		text	   *name;

		/* operators and non-operators come after the last assignee */
		if (!operators_done && (i == nrows || rows[i].scope > INBOX_ASSIGNEE))
		{
			PutOperatorRows(rsinfo, rows, nrows, true);
			PutOperatorRows(rsinfo, rows, nrows, false);
			operators_done = true;
		}
		if (i == nrows)
			break;
		k = rows[i].payload;
		switch (rows[i].scope)
		{
			case INBOX_ALL:
				name = cstring_to_text("All");
				break;
			case INBOX_UNASSIGNED:
				name = cstring_to_text("Unassigned");
				break;
			case INBOX_TAG:
				name = cstring_to_text_with_len(rows[i].key, rows[i].keylen);
				break;
			default:
				name = k ? k->name : NULL;
		}
		for (s = 0; s < INBOX_NSTATES; s++)
			PutRow(rsinfo, scope_names[rows[i].scope], &rows[i], name, s, rows[i].chats[s]);
		CHECK_FOR_INTERRUPTS();
	}
	MemoryContextSwitchTo(old);
	MemoryContextDelete(work);
	return (Datum) 0;
}
