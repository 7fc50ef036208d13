/*-------------------------------------------------------------------------
 *
 * metrics_trans.c
 *	  The transition functions of the chat and case metric aggregates:
 *	  each timeline row of a chat into the chat's state (metrics_state.c).
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
 *	  parallel (metrics_combine.c, metrics_serial.c).
 *
 *	  Without as_of the aggregates use now() (the transaction start, which
 *	  parallel workers share).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

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

/* name == lit (a string literal), without a libc call */
#define NAME_IS(s, len, lit) \
	((len) == sizeof(lit) - 1 && MetricsSameBytes((s), (lit), sizeof(lit) - 1))

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
					 errmsg("%s called in non-aggregate context", MetricsAggName(for_cases))));
		st = MetricsStateCreate(aggcxt, for_cases, as_of);
		st->in_window = (ctx == AGG_CONTEXT_WINDOW);
	}
	else if (st->as_of != as_of)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("as_of must be the same for every row of a chat"),
				 errhint("Pass a constant or a per-chat value.")));
	return st;
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
	MetricsCheckChat(st, channel, (int) channel_len, s, (int) len);

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
	MetricsPackItem(st, &it, text, text_len);
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
