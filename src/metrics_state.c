/*-------------------------------------------------------------------------
 *
 * metrics_state.c
 *	  The state of the chat and case metric aggregates: the transition
 *	  functions, the packed chunks a chat's rows are kept in, and the
 *	  parallel-aggregation support (combine, serialize, deserialize).
 *	  The final functions are in metrics_final.c.
 *
 *		csstats.chat_metrics(csstats.timeline [, as_of timestamptz])
 *		csstats.chat_metrics(channel_id, chat_id, at, seq, kind, event_id,
 *							 item_id [, as_of])
 *		csstats.case_metrics(csstats.timeline [, as_of timestamptz])
 *		csstats.case_metrics(<the 17 timeline columns> [, as_of])
 *
 *	  The column forms take the view's columns as arguments, which spares
 *	  the executor building a composite per row and us taking it apart: they
 *	  are the fast path.  The transition function only copies what the state
 *	  machine needs out of each row (time, kind, tie-break id, and for case
 *	  metrics the attribute event values) into the aggregate context; no
 *	  SPI, no catalog access per row.  Chat metrics keep only the rows the
 *	  chat level reads (customer and manager messages, state events), and
 *	  both drop rows after as_of.
 *
 *	  The state is a bag of rows (the final function sorts), so partial
 *	  states of one chat combine by concatenation: the aggregates are
 *	  parallel (combine, serial and deserial functions below).
 *
 *	  A group is one chat, and a chat is (channel_id, chat_id): chat ids are
 *	  unique per channel only.  The state takes both from its first row, and
 *	  every row, combined state and deserialized state must match them, so a
 *	  group (or window partition) keyed by chat_id alone over two channels is
 *	  an error rather than two customers' conversations computed as one under
 *	  one channel's operating hours.
 *
 *	  Without as_of the aggregates use now() (the transaction start, which
 *	  parallel workers share).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"
#include "port/pg_bitutils.h"

#include "csstats.h"
#include "metrics_state.h"

#include "timeline.h"
#include "tlpack.h"

/* columns of csstats.timeline the aggregates read, found by name once */
enum
{
	COL_CHANNEL_ID,
	COL_CHAT_ID,
	COL_AT,
	COL_SEQ,
	COL_KIND,
	COL_EVENT_ID,
	COL_ITEM_ID,
	COL_VALUE,
	COL_MEDIUM_NAME,
	COL_DIRECTION,
	COL_STATE,
	COL_ASSIGNEE_ID,
	COL_TEAM_ID,
	COL_MANAGER_IDS,
	COL_TAGS,
	COL_PRIORITY,
	COL_PROFILE,
	NCOLS
};

static const char *const col_names[NCOLS] = {
	"channel_id", "chat_id", "at", "seq", "kind", "event_id", "item_id", "value",
	"medium_name", "direction", "state", "assignee_id", "team_id", "manager_ids",
	"tags", "priority", "profile"
};

/* columns the chat level reads: the deform of a whole row stops after them */
static const int chat_cols[] = {
	COL_CHANNEL_ID, COL_CHAT_ID, COL_AT, COL_SEQ, COL_KIND, COL_EVENT_ID, COL_ITEM_ID
};

/* per-call-site cache of the row layout (fn_extra of the transition function) */
typedef struct RowLayout
{
	Oid			typid;
	int32		typmod;
	TupleDesc	tupdesc;
	TupleTableSlot *slot;		/* deforms rows of this type */
	int			natts;			/* columns to deform */
	int			attno[NCOLS];	/* 0-based; -1: not read (chat level) */
} RowLayout;


/* what the chat level reads (tl_chat_compute): the rest is not kept */
/* what the chat level reads (tl_chat_compute): the rest is not kept */
#define CHAT_KINDS ((UINT32_C(1) << TL_MSG_USER) | (UINT32_C(1) << TL_MSG_MANAGER) | \
					(UINT32_C(1) << TL_QUEUED) | (UINT32_C(1) << TL_OPENED) | \
					(UINT32_C(1) << TL_SNOOZED) | (UINT32_C(1) << TL_CLOSED) | \
					(UINT32_C(1) << TL_MISSED))


static RowLayout *
GetRowLayout(FunctionCallInfo fcinfo, HeapTupleHeader row, bool for_cases)
{
	RowLayout  *layout = fcinfo->flinfo->fn_extra;
	Oid			typid = HeapTupleHeaderGetTypeId(row);
	int32		typmod = HeapTupleHeaderGetTypMod(row);

	if (layout != NULL && layout->typid == typid && layout->typmod == typmod)
		return layout;
	{
		MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
		TupleDesc	td = lookup_rowtype_tupdesc_copy(typid, typmod);
		int			last = -1;

		layout = palloc0(sizeof(RowLayout));
		layout->typid = typid;
		layout->typmod = typmod;
		for (int c = 0; c < NCOLS; c++)
		{
			bool		needed = for_cases;

			for (int k = 0; k < lengthof(chat_cols) && !needed; k++)
				needed = (chat_cols[k] == c);
			layout->attno[c] = -1;
			for (int a = 0; a < td->natts; a++)
			{
				Form_pg_attribute att = TupleDescAttr(td, a);

				if (!att->attisdropped && strcmp(NameStr(att->attname), col_names[c]) == 0)
					layout->attno[c] = a;
			}
			if (layout->attno[c] < 0)
				ereport(ERROR,
						(errcode(ERRCODE_DATATYPE_MISMATCH),
						 errmsg("timeline row has no column \"%s\"", col_names[c]),
						 errhint("Pass rows of the csstats.timeline view.")));
			if (!needed)
				layout->attno[c] = -1;
			else
				last = Max(last, layout->attno[c]);
		}

		/*
		 * A slot deforms only up to the last column read: the chat level's
		 * unread trailing columns are left alone.
		 */
		layout->tupdesc = td;
		layout->slot = MakeSingleTupleTableSlot(td, &TTSOpsHeapTuple);
		layout->natts = last + 1;
		MemoryContextSwitchTo(old);
		fcinfo->flinfo->fn_extra = layout;
	}
	return layout;
}

static void pg_attribute_noreturn()
TooLarge(const MetricsState *st)
{
	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("timeline of chat \"%s\" is too large", st->chat_id ? st->chat_id : "")));
}

/* a new tail chunk with room for at least need bytes */
static PackChunk *
NewChunk(MetricsState *st, size_t need)
{
	/* powers of two: AllocSet rounds requests up to them anyway */
	size_t		size = Min(pg_nextpower2_size_t((size_t) st->tail->cap + offsetof(PackChunk, data)) * 2,
						   CHUNK_ALLOC_MAX);
	PackChunk  *c;

	if (size < offsetof(PackChunk, data) + need)
	{
		if (need > MaxAllocSize / 2)
			TooLarge(st);
		size = offsetof(PackChunk, data) + need;	/* a long text: its own chunk */
	}
	c = MemoryContextAlloc(st->cxt, size);
	c->next = NULL;
	c->used = 0;
	c->cap = (uint32) (size - offsetof(PackChunk, data));
	c->reset = st->need_reset;
	if (st->need_reset)
	{
		tlp_writer_init(&st->w);
		st->need_reset = false;
	}
	st->tail->next = c;
	st->tail = c;
	return c;
}

/* bytes of the stream that starts at chunk c (c and the chunks that continue it) */
static size_t
StreamLen(const PackChunk *c)
{
	size_t		len = 0;

	for (const PackChunk *e = c; e != NULL && (e == c || !e->reset); e = e->next)
		len += e->used;
	return len;
}

/* the chunk that starts the next stream */
static const PackChunk *
NextStream(const PackChunk *c)
{
	do
		c = c->next;
	while (c != NULL && !c->reset);
	return c;
}

/* copy the stream starting at c to out; returns its length */
static size_t
CopyStream(const PackChunk *c, uint8 *out)
{
	size_t		len = 0;

	for (const PackChunk *e = c; e != NULL && (e == c || !e->reset); e = e->next)
	{
		memcpy(out + len, e->data, e->used);
		len += e->used;
	}
	return len;
}

/* append one item (its text: text/len) to the state */
static inline void
PackItem(MetricsState *st, const tl_item *it, const char *text, size_t len)
{
	PackChunk  *c = st->tail;
	size_t		bound = TLP_RECORD_BOUND(len);
	size_t		k;

	/* decoded, the chat's items and texts must fit a palloc */
	if (unlikely(st->nitems + 1 > MaxAllocSize / sizeof(tl_item) ||
				 st->text_len + len >= MaxAllocSize))
		TooLarge(st);
	if (unlikely(c->cap - c->used < bound || st->need_reset))
		c = NewChunk(st, bound);
	k = tlp_write(&st->w, c->data + c->used, it, text, len);
	c->used += (uint32) k;
	st->packed_len += k;
	st->text_len += len;
	st->nitems++;
}

/*
 * Decode a state's rows into d (palloc'd in the current context).  Every
 * record is checked here, where it is first read: packed records that came
 * from a deserialized state (csstats_metrics_deserial checks only their
 * framing) are untrusted until then.  A state built by the transition
 * function always passes.
 */
void
DecodeState(const MetricsState *st, Decoded *d)
{
	tlp_reader	r;
	size_t		alen = 0;
	size_t		i = 0;

	d->items = palloc(sizeof(tl_item) * Max(st->nitems, 1));
	d->arena = palloc(Max(st->text_len, 1));
	for (const PackChunk *c = st->head; c != NULL; c = c->next)
	{
		const char *why = NULL;
		size_t		k;

		if (c->reset)
			tlp_reader_init(&r);
		k = tlp_read_stream(&r, c->data, c->used, d->items + i, st->nitems - i,
							d->arena, &alen, st->text_len, &why);
		if (k == SIZE_MAX)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("invalid serialized metrics state"),
					 errdetail("Chat \"%s\", after item %zu: %s", st->chat_id, i, why)));
		i += k;
	}
	if (i != st->nitems || alen != st->text_len)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("invalid serialized metrics state"),
				 errdetail("Chat \"%s\" has fewer items or text bytes than counted.", st->chat_id)));
	d->n = i;
}

static char *
TextDup(MemoryContext cxt, Datum d)
{
	text	   *t = DatumGetTextPP(d);

	return MemoryContextStrdup(cxt, text_to_cstring(t));
}

static bool
TextEquals(Datum d, const char *s)
{
	text	   *t = DatumGetTextPP(d);
	size_t		len = VARSIZE_ANY_EXHDR(t);

	return len == strlen(s) && memcmp(VARDATA_ANY(t), s, len) == 0;
}

static MetricsState *
StateCreate(MemoryContext cxt, bool for_cases, TimestampTz as_of)
{
	/* the state and its first chunk: one allocation for a short chat */
	MetricsState *st = MemoryContextAlloc(cxt, STATE_ALLOC);
	PackChunk  *first = (PackChunk *) ((char *) st + MAXALIGN(sizeof(MetricsState)));

	StaticAssertStmt(MAXALIGN(sizeof(MetricsState)) + offsetof(PackChunk, data) + 64 <= STATE_ALLOC,
					 "STATE_ALLOC leaves no room for a first chunk");
	memset(st, 0, sizeof(MetricsState));
	st->cxt = cxt;
	st->for_cases = for_cases;
	st->as_of = as_of;
	st->created_at = DT_NOBEGIN;
	if (for_cases)
		st->current = MemoryContextAllocZero(cxt, sizeof(CurrentRow));
	first->next = NULL;
	first->used = 0;
	first->reset = true;
	first->cap = STATE_ALLOC - MAXALIGN(sizeof(MetricsState)) - offsetof(PackChunk, data);
	st->head = st->tail = first;
	tlp_writer_init(&st->w);
	return st;
}

static void
CheckAsOf(bool isnull, TimestampTz as_of)
{
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("as_of must not be null")));
	if (TIMESTAMP_NOT_FINITE(as_of))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("as_of must be a finite timestamp")));
}

/* the chat row: created_at, medium, and (case metrics) the current values */
static void
AddChatRow(MetricsState *st, const Datum *v, const bool *n, TimestampTz at)
{
	MemoryContext old;

	st->has_chat_row = true;
	st->created_at = at;
	if (!st->for_cases)
		return;				/* the chat level reads none of the rest */
	st->is_call = !n[COL_MEDIUM_NAME] && TextEquals(v[COL_MEDIUM_NAME], "phoneNumber");
	st->is_inbound = !n[COL_DIRECTION] && TextEquals(v[COL_DIRECTION], "inbound");

	old = MemoryContextSwitchTo(st->cxt);
#define CUR_TEXT(field, col) \
	st->current->field = n[col] ? NULL : TextDup(st->cxt, v[col])
	CUR_TEXT(state, COL_STATE);
	CUR_TEXT(assignee_id, COL_ASSIGNEE_ID);
	CUR_TEXT(team_id, COL_TEAM_ID);
	CUR_TEXT(priority, COL_PRIORITY);
#undef CUR_TEXT
	st->current->manager_ids = n[COL_MANAGER_IDS] ? (Datum) 0 :
		PointerGetDatum(PG_DETOAST_DATUM_COPY(v[COL_MANAGER_IDS]));
	st->current->tags = n[COL_TAGS] ? (Datum) 0 :
		PointerGetDatum(PG_DETOAST_DATUM_COPY(v[COL_TAGS]));
	st->current->profile = n[COL_PROFILE] ? (Datum) 0 :
		PointerGetDatum(PG_DETOAST_DATUM_COPY(v[COL_PROFILE]));
	MemoryContextSwitchTo(old);
}

/* equality of short strings without a libc call (chat ids: once per row) */
static inline bool
SameBytes(const char *a, const char *b, int len)
{
	for (; len >= 8; a += 8, b += 8, len -= 8)
	{
		uint64		x,
					y;

		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		if (x != y)
			return false;
	}
	for (; len > 0; a++, b++, len--)
		if (*a != *b)
			return false;
	return true;
}

/* name == lit (a string literal), without a libc call */
#define NAME_IS(s, len, lit) \
	((len) == sizeof(lit) - 1 && SameBytes((s), (lit), sizeof(lit) - 1))

/* kinds by name, without a string table walk for the common rows */
static inline int
ItemKind(int seq, const char *s, size_t len)
{
	if (seq == TL_RANK_MESSAGE)
	{
		if (NAME_IS(s, len, "user"))
			return TL_MSG_USER;
		if (NAME_IS(s, len, "manager"))
			return TL_MSG_MANAGER;
		if (NAME_IS(s, len, "bot"))
			return TL_MSG_BOT;
		return -1;
	}
	if (seq == TL_RANK_EVENT)
	{
		if (NAME_IS(s, len, "opened"))
			return TL_OPENED;
		if (NAME_IS(s, len, "closed"))
			return TL_CLOSED;
		if (NAME_IS(s, len, "queued"))
			return TL_QUEUED;
	}
	if (seq == TL_RANK_EVENT || seq == TL_RANK_MEET)
		return tl_kind_from_name(s, len, seq);
	return -1;
}

static const char *
AggName(bool for_cases)
{
	return for_cases ? "case_metrics" : "chat_metrics";
}

/* the state of this group, created on the first row */
static MetricsState *
GetState(FunctionCallInfo fcinfo, bool for_cases, TimestampTz as_of)
{
	MemoryContext aggcxt;
	MetricsState *st = PG_ARGISNULL(0) ? NULL : (MetricsState *) PG_GETARG_POINTER(0);

	/*
	 * Only an aggregate makes a state (internal cannot come from SQL), so
	 * the context is checked when the group's first row creates it.
	 */
	if (st == NULL)
	{
		int			ctx = AggCheckCallContext(fcinfo, &aggcxt);

		if (!ctx)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("%s called in non-aggregate context", AggName(for_cases))));
		st = StateCreate(aggcxt, for_cases, as_of);
		st->in_window = (ctx == AGG_CONTEXT_WINDOW);
	}
	else if (st->as_of != as_of)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("as_of must be the same for every row of a chat"),
				 errhint("Pass a constant or a per-chat value.")));
	return st;
}

static char *
CopyN(MemoryContext cxt, const char *s, int len)
{
	char	   *r = MemoryContextAlloc(cxt, len + 1);

	memcpy(r, s, len);
	r[len] = '\0';
	return r;
}

/* what groups the rows: the clause the hints name */
static const char *
GroupClause(const MetricsState *st)
{
	return st->in_window ? "PARTITION BY" : "GROUP BY";
}

/* rows of two channels in one group: the pair named in a fixed order */
static void pg_attribute_noreturn()
MixedChannels(const MetricsState *st, const char *channel, int channel_len,
			  const char *id, int len)
{
	const char *ch1 = st->channel_id;
	const char *id1 = st->chat_id;
	const char *ch2 = pnstrdup(channel, channel_len);
	const char *id2 = pnstrdup(id, len);

	/* whichever row a plan reads first, the message is the same */
	if (strcmp(ch2, ch1) < 0)
	{
		const char *t;

		t = ch1, ch1 = ch2, ch2 = t;
		t = id1, id1 = id2, id2 = t;
	}
	ereport(ERROR,
			(errcode(ERRCODE_CARDINALITY_VIOLATION),
			 errmsg("timeline rows of more than one channel in one %s group",
					AggName(st->for_cases)),
			 errdetail("Chat \"%s\" of channel \"%s\" and chat \"%s\" of channel \"%s\".",
					   id1, ch1, id2, ch2),
			 errhint("Chat ids are unique per channel only: add %s channel_id, chat_id.",
					 GroupClause(st))));
}

/*
 * One chat per group, a chat being (channel_id, chat_id): mixing chats, or
 * the same chat id of two channels (two customers), would silently mislead.
 * The first row (or state) sets the chat.
 */
static void
CheckChat(MetricsState *st, const char *channel, int channel_len, const char *id, int len)
{
	if (st->chat_id == NULL)
	{
		st->channel_id = CopyN(st->cxt, channel, channel_len);
		st->channel_id_len = channel_len;
		st->chat_id = CopyN(st->cxt, id, len);
		st->chat_id_len = len;
	}
	else if (channel_len != st->channel_id_len ||
			 !SameBytes(channel, st->channel_id, channel_len))
		MixedChannels(st, channel, channel_len, id, len);
	else if (len != st->chat_id_len || !SameBytes(id, st->chat_id, len))
		ereport(ERROR,
				(errcode(ERRCODE_CARDINALITY_VIOLATION),
				 errmsg("timeline rows of more than one chat in one %s group",
						AggName(st->for_cases)),
				 errdetail("Chats \"%s\" and \"%s\".", st->chat_id, pnstrdup(id, len)),
				 errhint("Add %s channel_id, chat_id.", GroupClause(st))));
}

/*
 * A text datum's bytes without a function call for the usual cases (a
 * short or plain in-line value); anything else is detoasted.
 */
static inline const char *
TextBytes(Datum d, size_t *len)
{
	struct varlena *v = (struct varlena *) DatumGetPointer(d);

	if (VARATT_IS_1B(v) && !VARATT_IS_1B_E(v))
	{
		*len = VARSIZE_1B(v) - VARHDRSZ_SHORT;
		return VARDATA_1B(v);
	}
	if (VARATT_IS_4B_U(v))
	{
		*len = VARSIZE_4B(v) - VARHDRSZ;
		return VARDATA_4B(v);
	}
	v = pg_detoast_datum_packed(v);
	*len = VARSIZE_ANY_EXHDR(v);
	return VARDATA_ANY(v);
}

/*
 * The shared transition step: one timeline row (its columns indexed by
 * COL_*; the chat level passes only chat_cols) into the state.
 */
static void
AddRow(MetricsState *st, const Datum *v, const bool *n)
{
	const char *s;
	size_t		len;
	const char *channel;
	size_t		channel_len;
	int			seq;
	int			kind;
	TimestampTz at;
	tl_item		it;
	const char *text = NULL;
	size_t		text_len = 0;

	if (n[COL_CHAT_ID])
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("timeline row has a null chat_id")));
	/* a row of no channel belongs to no chat (and has no operating hours) */
	if (n[COL_CHANNEL_ID])
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("timeline row has a null channel_id")));
	channel = TextBytes(v[COL_CHANNEL_ID], &channel_len);
	s = TextBytes(v[COL_CHAT_ID], &len);
	CheckChat(st, channel, (int) channel_len, s, (int) len);

	/* a row without a time cannot be placed on the timeline */
	if (n[COL_AT] || n[COL_SEQ] || n[COL_KIND])
		return;
	seq = DatumGetInt16(v[COL_SEQ]);
	at = DatumGetTimestampTz(v[COL_AT]);
	if (seq == 0)
	{
		AddChatRow(st, v, n, at);
		return;
	}
	s = TextBytes(v[COL_KIND], &len);
	kind = ItemKind(seq, s, len);
	if (kind < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown timeline item kind \"%s\" with seq %d",
						pnstrdup(s, len), seq),
				 errdetail("Chat \"%s\".", st->chat_id)));
	st->kinds_seen |= UINT32_C(1) << kind;

	/* rows after as_of and rows the chat level does not read are not kept */
	if (at > st->as_of)
		return;
	if (!st->for_cases && (CHAT_KINDS & (UINT32_C(1) << kind)) == 0)
		return;

	it.at = at;
	it.event_id = 0;
	it.kind = (uint8) kind;
	it.flags = 0;
	if (seq == TL_RANK_EVENT)
	{
		it.event_id = n[COL_EVENT_ID] ? 0 : DatumGetInt64(v[COL_EVENT_ID]);
		/* values matter only for replayed attributes */
		if (st->for_cases && kind >= TL_ASSIGNED && kind <= TL_PROFILE_CHANGED &&
			!n[COL_VALUE])
		{
			text = TextBytes(v[COL_VALUE], &text_len);
			it.flags |= TL_F_HAS_TEXT;
		}
	}
	else
	{
		if (!n[COL_ITEM_ID])
		{
			text = TextBytes(v[COL_ITEM_ID], &text_len);
			it.flags |= TL_F_HAS_TEXT;
		}
		if (seq == TL_RANK_MEET && st->for_cases && !n[COL_VALUE])
			it.flags |= TL_F_MISSED;
	}
	PackItem(st, &it, text, text_len);
}

static TimestampTz
ArgAsOf(FunctionCallInfo fcinfo, int argno)
{
	if (PG_NARGS() <= argno)
		return GetCurrentTransactionStartTimestamp();
	CheckAsOf(PG_ARGISNULL(argno), PG_ARGISNULL(argno) ? 0 : PG_GETARG_TIMESTAMPTZ(argno));
	return PG_GETARG_TIMESTAMPTZ(argno);
}

/* whole-row form: (state, timeline row [, as_of]) */
static MetricsState *
RowTrans(FunctionCallInfo fcinfo, bool for_cases)
{
	MetricsState *st = GetState(fcinfo, for_cases, ArgAsOf(fcinfo, 2));
	HeapTupleHeader row;
	HeapTupleData tup;
	RowLayout  *l;
	Datum		v[NCOLS];
	bool		n[NCOLS];

	if (PG_ARGISNULL(1))
		return st;
	row = PG_GETARG_HEAPTUPLEHEADER(1);
	l = GetRowLayout(fcinfo, row, for_cases);
	tup.t_len = HeapTupleHeaderGetDatumLength(row);
	ItemPointerSetInvalid(&tup.t_self);
	tup.t_tableOid = InvalidOid;
	tup.t_data = row;
	ExecStoreHeapTuple(&tup, l->slot, false);
	slot_getsomeattrs(l->slot, l->natts);
	for (int c = 0; c < NCOLS; c++)
	{
		int			a = l->attno[c];

		n[c] = (a < 0) || l->slot->tts_isnull[a];
		v[c] = (a < 0) ? (Datum) 0 : l->slot->tts_values[a];
	}
	AddRow(st, v, n);
	ExecClearTuple(l->slot);	/* it points to this call's row */
	return st;
}

/* column form: (state, the first ncols timeline columns in order [, as_of]) */
static MetricsState *
ColumnTrans(FunctionCallInfo fcinfo, bool for_cases, int ncols)
{
	MetricsState *st = GetState(fcinfo, for_cases, ArgAsOf(fcinfo, ncols + 1));
	Datum		v[NCOLS];
	bool		n[NCOLS];

	int			c;

	for (c = 0; c < ncols; c++)
	{
		n[c] = PG_ARGISNULL(c + 1);
		v[c] = PG_GETARG_DATUM(c + 1);
	}
	for (; c < NCOLS; c++)
	{
		n[c] = true;
		v[c] = (Datum) 0;
	}
	AddRow(st, v, n);
	return st;
}

/*
 * csstats_chat_metrics_trans
 *		Transition function of chat_metrics(timeline [, as_of]).
 */
PG_FUNCTION_INFO_V1(csstats_chat_metrics_trans);
Datum
csstats_chat_metrics_trans(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(RowTrans(fcinfo, false));
}

/*
 * csstats_case_metrics_trans
 *		Transition function of case_metrics(timeline [, as_of]).
 */
PG_FUNCTION_INFO_V1(csstats_case_metrics_trans);
Datum
csstats_case_metrics_trans(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(RowTrans(fcinfo, true));
}

/*
 * csstats_chat_metrics_trans_cols
 *		Transition function of chat_metrics(channel_id, chat_id, at, seq,
 *		kind, event_id, item_id [, as_of]).
 */
PG_FUNCTION_INFO_V1(csstats_chat_metrics_trans_cols);
Datum
csstats_chat_metrics_trans_cols(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(ColumnTrans(fcinfo, false, lengthof(chat_cols)));
}

/*
 * csstats_case_metrics_trans_cols
 *		Transition function of case_metrics(<the 17 timeline columns> [, as_of]).
 */
PG_FUNCTION_INFO_V1(csstats_case_metrics_trans_cols);
Datum
csstats_case_metrics_trans_cols(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(ColumnTrans(fcinfo, true, NCOLS));
}

/* ---- parallel aggregation: combine, serialize, deserialize ---- */

static void *
CopyBytes(MemoryContext cxt, const void *p, size_t len)
{
	void	   *r = MemoryContextAlloc(cxt, len);

	memcpy(r, p, len);
	return r;
}

static Datum
CopyVarlena(MemoryContext cxt, Datum d)
{
	return d == (Datum) 0 ? d : PointerGetDatum(CopyBytes(cxt, DatumGetPointer(d),
														  VARSIZE(DatumGetPointer(d))));
}

static char *
CopyStr(MemoryContext cxt, const char *s)
{
	return s == NULL ? NULL : MemoryContextStrdup(cxt, s);
}

/* append src's rows to dst (dst's memory), as if dst had read them too */
static void
StateMerge(MetricsState *dst, const MetricsState *src)
{
	if (dst->for_cases != src->for_cases)
		elog(ERROR, "combining chat and case metrics states");
	if (dst->as_of != src->as_of)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("as_of must be the same for every row of a chat"),
				 errhint("Pass a constant or a per-chat value.")));
	if (src->chat_id != NULL)
		CheckChat(dst, src->channel_id, src->channel_id_len, src->chat_id, src->chat_id_len);
	if (src->has_chat_row)
	{
		dst->has_chat_row = true;
		dst->created_at = src->created_at;
		dst->is_call = src->is_call;
		dst->is_inbound = src->is_inbound;
		if (dst->for_cases)
		{
			dst->current->state = CopyStr(dst->cxt, src->current->state);
			dst->current->assignee_id = CopyStr(dst->cxt, src->current->assignee_id);
			dst->current->team_id = CopyStr(dst->cxt, src->current->team_id);
			dst->current->priority = CopyStr(dst->cxt, src->current->priority);
			dst->current->manager_ids = CopyVarlena(dst->cxt, src->current->manager_ids);
			dst->current->tags = CopyVarlena(dst->cxt, src->current->tags);
			dst->current->profile = CopyVarlena(dst->cxt, src->current->profile);
		}
	}
	dst->kinds_seen |= src->kinds_seen;

	/* src's streams follow dst's, one chunk each, copied as they are */
	for (const PackChunk *c = src->head; c != NULL; c = NextStream(c))
	{
		size_t		len = StreamLen(c);
		PackChunk  *copy;

		if (len == 0)
			continue;
		if (dst->nitems + src->nitems > MaxAllocSize / sizeof(tl_item) ||
			dst->text_len + src->text_len >= MaxAllocSize ||
			dst->packed_len + len >= MaxAllocSize)
			TooLarge(dst);
		copy = MemoryContextAlloc(dst->cxt, offsetof(PackChunk, data) + len);
		copy->next = NULL;
		copy->used = copy->cap = (uint32) len;
		copy->reset = true;
		CopyStream(c, copy->data);
		dst->tail->next = copy;
		dst->tail = copy;
		dst->packed_len += len;
		dst->need_reset = true;
	}
	dst->nitems += src->nitems;
	dst->text_len += src->text_len;
}

/*
 * csstats_metrics_combine
 *		Combine function of both aggregates: two partial states of one chat
 *		(NULL when a worker saw none of its rows) become one.
 */
PG_FUNCTION_INFO_V1(csstats_metrics_combine);
Datum
csstats_metrics_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	MetricsState *a;
	MetricsState *b;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("metrics combine function called in non-aggregate context")));
	a = PG_ARGISNULL(0) ? NULL : (MetricsState *) PG_GETARG_POINTER(0);
	b = PG_ARGISNULL(1) ? NULL : (MetricsState *) PG_GETARG_POINTER(1);
	if (b == NULL)
	{
		if (a == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(a);
	}
	/* b may live in a shorter-lived context: the result must be aggcxt's */
	if (a == NULL)
		a = StateCreate(aggcxt, b->for_cases, b->as_of);
	StateMerge(a, b);
	PG_RETURN_POINTER(a);
}

#define STATE_MAGIC 0x4C544343	/* "CCTL" little-endian */
#define STATE_VERSION 2

#define SF_CASES	0x01
#define SF_CHAT_ROW 0x02
#define SF_CALL		0x04
#define SF_INBOUND	0x08

static void
PutBytes(StringInfo buf, const void *p, size_t len)
{
	appendBinaryStringInfoNT(buf, p, (int) len);
}

#define PUT(buf, x) PutBytes((buf), &(x), sizeof(x))

static void
PutStr(StringInfo buf, const char *s)
{
	int32		len = s ? (int32) strlen(s) : -1;

	PUT(buf, len);
	if (s)
		PutBytes(buf, s, len);
}

static void
PutVarlena(StringInfo buf, Datum d)
{
	int32		len = d ? (int32) VARSIZE(DatumGetPointer(d)) : -1;

	PUT(buf, len);
	if (d)
		PutBytes(buf, DatumGetPointer(d), len);
}

/*
 * csstats_metrics_serial
 *		Serial function: a partial state as bytea, to pass from a parallel
 *		worker to the leader.
 */
PG_FUNCTION_INFO_V1(csstats_metrics_serial);
Datum
csstats_metrics_serial(PG_FUNCTION_ARGS)
{
	MetricsState *st;
	StringInfoData buf;
	uint32		magic = STATE_MAGIC;
	uint16		version = STATE_VERSION;
	uint16		flags;
	uint64		nitems;
	uint64		text_len;
	uint64		packed_len;
	Size		total;

	if (!AggCheckCallContext(fcinfo, NULL))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("metrics serial function called in non-aggregate context")));
	st = (MetricsState *) PG_GETARG_POINTER(0);
	flags = (st->for_cases ? SF_CASES : 0) | (st->has_chat_row ? SF_CHAT_ROW : 0) |
		(st->is_call ? SF_CALL : 0) | (st->is_inbound ? SF_INBOUND : 0);
	nitems = st->nitems;
	text_len = st->text_len;
	packed_len = st->packed_len;
	total = (Size) VARHDRSZ + 128 + packed_len +
		(st->chat_id ? st->chat_id_len + st->channel_id_len : 0);
	for (const PackChunk *c = st->head; c != NULL; c = c->next)
		total += c->reset ? sizeof(uint64) : 0;
	if (total >= MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("timeline of chat \"%s\" is too large for parallel aggregation",
						st->chat_id ? st->chat_id : ""),
				 errhint("Set max_parallel_workers_per_gather = 0.")));

	initStringInfo(&buf);
	enlargeStringInfo(&buf, (int) total);
	appendStringInfoSpaces(&buf, VARHDRSZ);
	PUT(&buf, magic);
	PUT(&buf, version);
	PUT(&buf, flags);
	PUT(&buf, st->as_of);
	PUT(&buf, st->created_at);
	PUT(&buf, st->kinds_seen);
	PutStr(&buf, st->chat_id);
	PutStr(&buf, st->channel_id);
	if (st->for_cases)
	{
		PutStr(&buf, st->current->state);
		PutStr(&buf, st->current->assignee_id);
		PutStr(&buf, st->current->team_id);
		PutStr(&buf, st->current->priority);
		PutVarlena(&buf, st->current->manager_ids);
		PutVarlena(&buf, st->current->tags);
		PutVarlena(&buf, st->current->profile);
	}
	PUT(&buf, nitems);
	PUT(&buf, text_len);
	/* the packed streams, each as (length, bytes) */
	for (const PackChunk *c = st->head; c != NULL; c = NextStream(c))
	{
		uint64		len = StreamLen(c);

		if (len == 0)
			continue;
		PUT(&buf, len);
		enlargeStringInfo(&buf, (int) len);
		buf.len += (int) CopyStream(c, (uint8 *) buf.data + buf.len);
	}
	SET_VARSIZE(buf.data, buf.len);
	PG_RETURN_BYTEA_P((bytea *) buf.data);
}

/* a bounds-checked reader of a serialized state */
typedef struct StateReader
{
	const char *p;
	const char *end;
} StateReader;

static void pg_attribute_noreturn()
BadState(const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("invalid serialized metrics state"),
			 errdetail("%s", what)));
}

static const char *
Take(StateReader *r, size_t len)
{
	const char *p = r->p;

	if ((size_t) (r->end - r->p) < len)
		BadState("The data ends early.");
	r->p += len;
	return p;
}

#define GET(r, x) memcpy(&(x), Take((r), sizeof(x)), sizeof(x))

static char *
GetStr(StateReader *r)
{
	int32		len;
	const char *p;

	GET(r, len);
	if (len == -1)
		return NULL;
	if (len < 0)
		BadState("A string has a negative length.");
	p = Take(r, len);
	if (memchr(p, '\0', len) != NULL)
		BadState("A string contains a zero byte.");
	return pnstrdup(p, len);
}

static Datum
GetVarlena(StateReader *r)
{
	int32		len;
	const char *p;
	char	   *copy;

	GET(r, len);
	if (len == -1)
		return (Datum) 0;
	if (len < (int32) VARHDRSZ)
		BadState("A value has an invalid length.");
	/* the length is checked against the data before it sizes an allocation */
	p = Take(r, len);
	copy = palloc(len);			/* aligned: the bytes in the buffer may not be */
	memcpy(copy, p, len);
	if (VARATT_IS_EXTENDED(copy) || VARSIZE(copy) != (Size) len)
		BadState("A value's header does not match its length.");
	return PointerGetDatum(copy);
}

/*
 * csstats_metrics_deserial
 *		Deserial function: the state back from csstats_metrics_serial's
 *		bytea, checked (ERRCODE_DATA_EXCEPTION) before it is used.
 */
PG_FUNCTION_INFO_V1(csstats_metrics_deserial);
Datum
csstats_metrics_deserial(PG_FUNCTION_ARGS)
{
	bytea	   *data;
	StateReader r;
	MetricsState *st;
	uint32		magic;
	uint16		version;
	uint16		flags;
	TimestampTz as_of;
	uint64		nitems;
	uint64		text_len;

	if (!AggCheckCallContext(fcinfo, NULL))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("metrics deserial function called in non-aggregate context")));
	data = PG_GETARG_BYTEA_PP(0);
	r.p = VARDATA_ANY(data);
	r.end = r.p + VARSIZE_ANY_EXHDR(data);

	GET(&r, magic);
	GET(&r, version);
	if (magic != STATE_MAGIC)
		BadState("The magic number is wrong.");
	if (version != STATE_VERSION)
		BadState(psprintf("Version %u, expected %u.", version, STATE_VERSION));
	GET(&r, flags);
	if (flags & ~(SF_CASES | SF_CHAT_ROW | SF_CALL | SF_INBOUND))
		BadState("Unknown flags.");
	GET(&r, as_of);
	if (TIMESTAMP_NOT_FINITE(as_of))
		BadState("as_of is not finite.");

	st = StateCreate(CurrentMemoryContext, (flags & SF_CASES) != 0, as_of);
	st->has_chat_row = (flags & SF_CHAT_ROW) != 0;
	st->is_call = (flags & SF_CALL) != 0;
	st->is_inbound = (flags & SF_INBOUND) != 0;
	GET(&r, st->created_at);
	GET(&r, st->kinds_seen);
	if (st->kinds_seen >> TL_NKINDS)
		BadState("Unknown item kinds.");
	st->chat_id = GetStr(&r);
	st->chat_id_len = st->chat_id ? (int) strlen(st->chat_id) : 0;
	st->channel_id = GetStr(&r);
	st->channel_id_len = st->channel_id ? (int) strlen(st->channel_id) : 0;
	/* the chat is the pair: the combine function compares both */
	if ((st->chat_id == NULL) != (st->channel_id == NULL))
		BadState("A chat id without a channel id, or a channel id without a chat id.");
	if (st->for_cases)
	{
		st->current->state = GetStr(&r);
		st->current->assignee_id = GetStr(&r);
		st->current->team_id = GetStr(&r);
		st->current->priority = GetStr(&r);
		st->current->manager_ids = GetVarlena(&r);
		st->current->tags = GetVarlena(&r);
		st->current->profile = GetVarlena(&r);
	}
	GET(&r, nitems);
	GET(&r, text_len);
	if (nitems > MaxAllocSize / sizeof(tl_item) || text_len >= MaxAllocSize)
		BadState("The item counts are out of range.");
	{
		/*
		 * The packed streams are kept as they are; their records are checked
		 * when the final function decodes them (DecodeState), before anything
		 * reads them.  Here: the framing, and counts the data can hold (a
		 * record takes 2 bytes at least and shares at most TLP_PREFIX_MAX
		 * bytes of text), so no huge allocation follows from a bad header.
		 */
		uint64		total = (uint64) (r.end - r.p);

		if (nitems > total / 2 || text_len > total + nitems * TLP_PREFIX_MAX)
			BadState("The item counts do not fit the data.");
		while (r.p < r.end)
		{
			uint64		len;
			const uint8 *data;
			PackChunk  *c;

			GET(&r, len);
			if (len == 0 || len > (uint64) (r.end - r.p))
				BadState("A stream's length does not match the data.");
			data = (const uint8 *) Take(&r, len);
			c = MemoryContextAlloc(st->cxt, offsetof(PackChunk, data) + len);
			c->next = NULL;
			c->used = c->cap = (uint32) len;
			c->reset = true;
			memcpy(c->data, data, len);
			st->tail->next = c;
			st->tail = c;
			st->packed_len += len;
			st->need_reset = true;
		}
		if ((nitems == 0) != (st->packed_len == 0))
			BadState("Items are counted but there is no item data, or the reverse.");
		st->nitems = nitems;
		st->text_len = text_len;
	}
	if (st->nitems > 0 && st->chat_id == NULL)
		BadState("Items without a chat.");
	PG_RETURN_POINTER(st);
}

