/*-------------------------------------------------------------------------
 *
 * metrics.c
 *	  The chat and case metric aggregates over a chat's timeline:
 *
 *		csstats.chat_metrics(csstats.timeline [, as_of timestamptz])
 *			-> csstats.chat_metrics_result
 *		csstats.case_metrics(csstats.timeline [, as_of timestamptz])
 *			-> csstats.case_metrics_result[]
 *
 *	  The transition function only copies what the state machine needs out
 *	  of each row (time, kind, tie-break id, and for case metrics the
 *	  attribute event values) into the aggregate context; no SPI, no
 *	  catalog access per row.  The final function sorts the rows itself, so
 *	  ORDER BY in the call is optional, then runs src/core/timeline.c with
 *	  the channel's operating hours (src/calendar.c) and builds the result.
 *
 *	  Without as_of the aggregates use now() (the transaction start).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

#include "calendar.h"
#include "csstats.h"
#include "timeline.h"

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

/* per-call-site cache of the row layout (fn_extra of the transition function) */
typedef struct RowLayout
{
	Oid			typid;
	int32		typmod;
	TupleDesc	tupdesc;
	int			attno[NCOLS];	/* 0-based */
	Datum	   *values;
	bool	   *nulls;
} RowLayout;

/* the chat's current user_chats values: fallback of the replayed attributes */
typedef struct CurrentRow
{
	char	   *state;
	char	   *assignee_id;
	char	   *team_id;
	char	   *priority;
	Datum		manager_ids;	/* text[] or 0 */
	Datum		tags;			/* text[] or 0 */
	Datum		profile;		/* jsonb or 0 */
} CurrentRow;

typedef struct MetricsState
{
	MemoryContext cxt;
	bool		for_cases;		/* keep attribute values and the current row */
	TimestampTz as_of;
	char	   *chat_id;
	int			chat_id_len;
	char	   *channel_id;
	bool		has_chat_row;
	TimestampTz created_at;
	bool		is_call;
	bool		is_inbound;
	CurrentRow	current;
	uint32		kinds_seen;		/* bit per tl_kind, including rows after as_of */
	tl_item    *items;
	size_t		nitems;
	size_t		maxitems;
	char	   *arena;
	size_t		arena_len;
	size_t		arena_max;
} MetricsState;

#define SEEN(st, k) (((st)->kinds_seen & (UINT32_C(1) << (k))) != 0)

static RowLayout *
GetRowLayout(FunctionCallInfo fcinfo, HeapTupleHeader row)
{
	RowLayout  *layout = fcinfo->flinfo->fn_extra;
	Oid			typid = HeapTupleHeaderGetTypeId(row);
	int32		typmod = HeapTupleHeaderGetTypMod(row);

	if (layout != NULL && layout->typid == typid && layout->typmod == typmod)
		return layout;
	{
		MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
		TupleDesc	td = lookup_rowtype_tupdesc_copy(typid, typmod);

		layout = palloc0(sizeof(RowLayout));
		layout->typid = typid;
		layout->typmod = typmod;
		layout->tupdesc = td;
		for (int c = 0; c < NCOLS; c++)
		{
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
		}
		layout->values = palloc(sizeof(Datum) * td->natts);
		layout->nulls = palloc(sizeof(bool) * td->natts);
		MemoryContextSwitchTo(old);
		fcinfo->flinfo->fn_extra = layout;
	}
	return layout;
}

/* append bytes to the state's string arena; returns the offset */
static uint32
ArenaAdd(MetricsState *st, const char *data, size_t len)
{
	size_t		off = st->arena_len;

	if (st->arena_len + len > st->arena_max)
	{
		size_t		newmax = Max(st->arena_max * 2, st->arena_len + len + 256);

		if (newmax > PG_UINT32_MAX)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("timeline of chat \"%s\" is too large", st->chat_id)));
		st->arena = st->arena ? repalloc(st->arena, newmax) : MemoryContextAlloc(st->cxt, newmax);
		st->arena_max = newmax;
	}
	memcpy(st->arena + off, data, len);
	st->arena_len += len;
	return (uint32) off;
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
StateCreate(MemoryContext aggcxt, bool for_cases, TimestampTz as_of)
{
	MetricsState *st = MemoryContextAllocZero(aggcxt, sizeof(MetricsState));

	st->cxt = aggcxt;
	st->for_cases = for_cases;
	st->as_of = as_of;
	st->created_at = DT_NOBEGIN;
	st->maxitems = 32;
	st->items = MemoryContextAlloc(aggcxt, sizeof(tl_item) * st->maxitems);
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
AddChatRow(MetricsState *st, RowLayout *l, TimestampTz at)
{
	Datum	   *v = l->values;
	bool	   *n = l->nulls;
	MemoryContext old;

	st->has_chat_row = true;
	st->created_at = at;
	st->is_call = !n[l->attno[COL_MEDIUM_NAME]] &&
		TextEquals(v[l->attno[COL_MEDIUM_NAME]], "phoneNumber");
	st->is_inbound = !n[l->attno[COL_DIRECTION]] &&
		TextEquals(v[l->attno[COL_DIRECTION]], "inbound");
	if (!st->for_cases)
		return;

	old = MemoryContextSwitchTo(st->cxt);
#define CUR_TEXT(field, col) \
	st->current.field = n[l->attno[col]] ? NULL : TextDup(st->cxt, v[l->attno[col]])
	CUR_TEXT(state, COL_STATE);
	CUR_TEXT(assignee_id, COL_ASSIGNEE_ID);
	CUR_TEXT(team_id, COL_TEAM_ID);
	CUR_TEXT(priority, COL_PRIORITY);
#undef CUR_TEXT
	st->current.manager_ids = n[l->attno[COL_MANAGER_IDS]] ? (Datum) 0 :
		PointerGetDatum(PG_DETOAST_DATUM_COPY(v[l->attno[COL_MANAGER_IDS]]));
	st->current.tags = n[l->attno[COL_TAGS]] ? (Datum) 0 :
		PointerGetDatum(PG_DETOAST_DATUM_COPY(v[l->attno[COL_TAGS]]));
	st->current.profile = n[l->attno[COL_PROFILE]] ? (Datum) 0 :
		PointerGetDatum(PG_DETOAST_DATUM_COPY(v[l->attno[COL_PROFILE]]));
	MemoryContextSwitchTo(old);
}

/* message kinds by person_type, without a string table walk per row */
static int
MessageKind(const char *s, size_t len)
{
	if (len == 4 && memcmp(s, "user", 4) == 0)
		return TL_MSG_USER;
	if (len == 7 && memcmp(s, "manager", 7) == 0)
		return TL_MSG_MANAGER;
	if (len == 3 && memcmp(s, "bot", 3) == 0)
		return TL_MSG_BOT;
	return -1;
}

/* the shared transition step: one timeline row into the state */
static MetricsState *
MetricsTrans(FunctionCallInfo fcinfo, bool for_cases, TimestampTz as_of)
{
	MemoryContext aggcxt;
	MetricsState *st;
	HeapTupleHeader row;
	HeapTupleData tup;
	RowLayout  *l;
	Datum	   *v;
	bool	   *n;
	text	   *chat_id;
	text	   *kind_t;
	int			seq;
	int			kind;
	tl_item    *it;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s called in non-aggregate context",
						for_cases ? "case_metrics" : "chat_metrics")));

	st = PG_ARGISNULL(0) ? NULL : (MetricsState *) PG_GETARG_POINTER(0);
	if (st == NULL)
		st = StateCreate(aggcxt, for_cases, as_of);
	else if (st->as_of != as_of)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("as_of must be the same for every row of a chat"),
				 errhint("Pass a constant or a per-chat value.")));
	if (PG_ARGISNULL(1))
		return st;

	row = PG_GETARG_HEAPTUPLEHEADER(1);
	l = GetRowLayout(fcinfo, row);
	tup.t_len = HeapTupleHeaderGetDatumLength(row);
	ItemPointerSetInvalid(&tup.t_self);
	tup.t_tableOid = InvalidOid;
	tup.t_data = row;
	heap_deform_tuple(&tup, l->tupdesc, l->values, l->nulls);
	v = l->values;
	n = l->nulls;

	/* one chat per group: mixing chats would silently mislead */
	if (n[l->attno[COL_CHAT_ID]])
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("timeline row has a null chat_id")));
	chat_id = DatumGetTextPP(v[l->attno[COL_CHAT_ID]]);
	if (st->chat_id == NULL)
	{
		st->chat_id = MemoryContextStrdup(aggcxt, text_to_cstring(chat_id));
		st->chat_id_len = VARSIZE_ANY_EXHDR(chat_id);
		if (!n[l->attno[COL_CHANNEL_ID]])
			st->channel_id = TextDup(aggcxt, v[l->attno[COL_CHANNEL_ID]]);
	}
	else if (VARSIZE_ANY_EXHDR(chat_id) != st->chat_id_len ||
			 memcmp(VARDATA_ANY(chat_id), st->chat_id, st->chat_id_len) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_CARDINALITY_VIOLATION),
				 errmsg("timeline rows of more than one chat in one %s group",
						for_cases ? "case_metrics" : "chat_metrics"),
				 errdetail("Chats \"%s\" and \"%s\".", st->chat_id, text_to_cstring(chat_id)),
				 errhint("Add GROUP BY chat_id.")));

	/* a row without a time cannot be placed on the timeline */
	if (n[l->attno[COL_AT]] || n[l->attno[COL_SEQ]] || n[l->attno[COL_KIND]])
		return st;
	seq = DatumGetInt16(v[l->attno[COL_SEQ]]);
	kind_t = DatumGetTextPP(v[l->attno[COL_KIND]]);
	if (seq == 0)
	{
		AddChatRow(st, l, DatumGetTimestampTz(v[l->attno[COL_AT]]));
		return st;
	}
	if (seq == TL_RANK_MESSAGE)
		kind = MessageKind(VARDATA_ANY(kind_t), VARSIZE_ANY_EXHDR(kind_t));
	else if (seq == TL_RANK_EVENT || seq == TL_RANK_MEET)
		kind = tl_kind_from_name(VARDATA_ANY(kind_t), VARSIZE_ANY_EXHDR(kind_t), seq);
	else
		kind = -1;
	if (kind < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown timeline item kind \"%s\" with seq %d",
						text_to_cstring(kind_t), seq),
				 errdetail("Chat \"%s\".", st->chat_id)));
	st->kinds_seen |= UINT32_C(1) << kind;

	if (st->nitems == st->maxitems)
	{
		st->maxitems *= 2;
		st->items = repalloc(st->items, sizeof(tl_item) * st->maxitems);
	}
	it = &st->items[st->nitems++];
	memset(it, 0, sizeof(*it));
	it->at = DatumGetTimestampTz(v[l->attno[COL_AT]]);
	it->kind = (uint8) kind;
	it->rank = (uint8) seq;
	if (seq == TL_RANK_EVENT)
	{
		it->event_id = n[l->attno[COL_EVENT_ID]] ? 0 : DatumGetInt64(v[l->attno[COL_EVENT_ID]]);
		/* values matter only for replayed attributes */
		if (for_cases && kind >= TL_ASSIGNED && kind <= TL_PROFILE_CHANGED &&
			!n[l->attno[COL_VALUE]])
		{
			text	   *val = DatumGetTextPP(v[l->attno[COL_VALUE]]);

			it->id_len = VARSIZE_ANY_EXHDR(val);
			it->id_off = ArenaAdd(st, VARDATA_ANY(val), it->id_len);
			it->flags |= TL_F_HAS_TEXT;
		}
	}
	else
	{
		if (!n[l->attno[COL_ITEM_ID]])
		{
			text	   *id = DatumGetTextPP(v[l->attno[COL_ITEM_ID]]);

			it->id_len = VARSIZE_ANY_EXHDR(id);
			it->id_off = ArenaAdd(st, VARDATA_ANY(id), it->id_len);
			it->flags |= TL_F_HAS_TEXT;
		}
		if (seq == TL_RANK_MEET && !n[l->attno[COL_VALUE]])
			it->flags |= TL_F_MISSED;
	}
	return st;
}

static TimestampTz
ArgAsOf(FunctionCallInfo fcinfo)
{
	if (PG_NARGS() < 3)
		return GetCurrentTransactionStartTimestamp();
	CheckAsOf(PG_ARGISNULL(2), PG_ARGISNULL(2) ? 0 : PG_GETARG_TIMESTAMPTZ(2));
	return PG_GETARG_TIMESTAMPTZ(2);
}

/*
 * csstats_chat_metrics_trans
 *		Transition function of chat_metrics(timeline [, as_of]).
 */
PG_FUNCTION_INFO_V1(csstats_chat_metrics_trans);
Datum
csstats_chat_metrics_trans(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(MetricsTrans(fcinfo, false, ArgAsOf(fcinfo)));
}

/*
 * csstats_case_metrics_trans
 *		Transition function of case_metrics(timeline [, as_of]).
 */
PG_FUNCTION_INFO_V1(csstats_case_metrics_trans);
Datum
csstats_case_metrics_trans(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(MetricsTrans(fcinfo, true, ArgAsOf(fcinfo)));
}

/* ---- operating hours ---- */

static double
CalBusiness(void *arg, int64_t since, int64_t until)
{
	return cal_business_seconds((const cal_schedule *) arg, since, until);
}

static bool
CalOperating(void *arg, int64_t at)
{
	return cal_is_operating((const cal_schedule *) arg, at);
}

/* sort, cut at as_of, and set up the chat info and calendar */
static size_t
Prepare(MetricsState *st, tl_chat_info *info, tl_calendar *cal)
{
	size_t		n = tl_prepare(st->items, st->nitems, st->arena, st->as_of);

	info->created_at = st->has_chat_row ? st->created_at : TL_NULL_TIME;
	info->is_call = st->is_call;
	info->is_inbound = st->is_inbound;
	info->as_of = st->as_of;
	if (st->channel_id == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("timeline rows of chat \"%s\" have a null channel_id", st->chat_id)));
	cal->business_seconds = CalBusiness;
	cal->is_operating = CalOperating;
	cal->arg = (void *) csstats_get_schedule(st->channel_id);
	return n;
}

static inline Datum
TimeDatum(int64_t t, bool *isnull)
{
	*isnull = (t == TL_NULL_TIME);
	return TimestampTzGetDatum((TimestampTz) t);
}

static inline Datum
DurDatum(double d, bool *isnull)
{
	*isnull = tl_isnull(d);
	return Float8GetDatum(*isnull ? 0.0 : d);
}

static inline Datum
CountDatum(int32_t c, bool *isnull)
{
	*isnull = (c < 0);
	return Int32GetDatum(c);
}

/* result tuple descriptor, blessed once per call site */
static TupleDesc
ResultDesc(FunctionCallInfo fcinfo, bool array)
{
	TupleDesc	td = fcinfo->flinfo->fn_extra;

	if (td == NULL)
	{
		Oid			rettype = get_fn_expr_rettype(fcinfo->flinfo);
		MemoryContext old;

		if (!OidIsValid(rettype))
			elog(ERROR, "could not determine the result type of the metrics aggregate");
		if (array)
			rettype = get_element_type(rettype);
		old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
		td = BlessTupleDesc(lookup_rowtype_tupdesc_copy(rettype, -1));
		MemoryContextSwitchTo(old);
		fcinfo->flinfo->fn_extra = td;
	}
	return td;
}

/*
 * csstats_chat_metrics_final
 *		Final function of chat_metrics: csstats.chat_metrics_result.
 */
PG_FUNCTION_INFO_V1(csstats_chat_metrics_final);
Datum
csstats_chat_metrics_final(PG_FUNCTION_ARGS)
{
	MetricsState *st;
	TupleDesc	td;
	tl_chat_info info;
	tl_calendar cal;
	tl_chat_metrics m;
	Datum		values[18];
	bool		nulls[18];
	size_t		n;
	int			i = 0;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = (MetricsState *) PG_GETARG_POINTER(0);
	if (st->chat_id == NULL)
		PG_RETURN_NULL();		/* only null rows */
	td = ResultDesc(fcinfo, false);
	if (td->natts != 18)
		elog(ERROR, "csstats.chat_metrics_result has %d columns, expected 18", td->natts);

	n = Prepare(st, &info, &cal);
	tl_chat_compute(st->items, n, &info, &cal, &m);

	values[i] = TimeDatum(m.first_asked_at, &nulls[i]), i++;
	values[i] = TimeDatum(m.first_queued_at, &nulls[i]), i++;
	values[i] = TimeDatum(m.first_opened_at, &nulls[i]), i++;
	values[i] = TimeDatum(m.first_replied_at, &nulls[i]), i++;
	values[i] = TimeDatum(m.opened_at, &nulls[i]), i++;
	values[i] = TimeDatum(m.first_replied_at_after_open, &nulls[i]), i++;
	values[i] = TimeDatum(info.created_at, &nulls[i]), i++;
	values[i] = DurDatum(m.waiting_time, &nulls[i]), i++;
	values[i] = DurDatum(m.avg_reply_time, &nulls[i]), i++;
	values[i] = DurDatum(m.total_reply_time, &nulls[i]), i++;
	values[i] = CountDatum(m.reply_count, &nulls[i]), i++;
	values[i] = DurDatum(m.resolution_time, &nulls[i]), i++;
	values[i] = DurDatum(m.op_waiting_time, &nulls[i]), i++;
	values[i] = DurDatum(m.op_avg_reply_time, &nulls[i]), i++;
	values[i] = DurDatum(m.op_total_reply_time, &nulls[i]), i++;
	values[i] = CountDatum(m.op_reply_count, &nulls[i]), i++;
	values[i] = DurDatum(m.op_resolution_time, &nulls[i]), i++;
	values[i] = TimeDatum(m.closed_at, &nulls[i]), i++;
	Assert(i == 18);

	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(td, values, nulls)));
}

/* ---- case attributes replayed from chat_events ---- */

static Datum
ItemText(const MetricsState *st, const tl_item *it, bool *isnull)
{
	*isnull = !(it->flags & TL_F_HAS_TEXT);
	if (*isnull)
		return (Datum) 0;
	return PointerGetDatum(cstring_to_text_with_len(st->arena + it->id_off, it->id_len));
}

/* value of the last event of a kind, or the current row's when it has none */
static Datum
ReplayScalar(const MetricsState *st, int kind, int64_t idx, const char *current,
			 bool *isnull)
{
	if (!SEEN(st, kind))
	{
		*isnull = (current == NULL);
		return *isnull ? (Datum) 0 : CStringGetTextDatum(current);
	}
	if (idx < 0)
	{
		*isnull = true;
		return (Datum) 0;
	}
	return ItemText(st, &st->items[idx], isnull);
}

static Datum
ReplaySet(const MetricsState *st, const tl_case_metrics *c, int add, int remove,
		  Datum current, size_t *scratch, bool *isnull)
{
	size_t		count;
	Datum	   *elems;

	if (!SEEN(st, add) && !SEEN(st, remove))
	{
		*isnull = (current == (Datum) 0);
		return current;
	}
	count = tl_replay_set(st->items, c->attr_end, st->arena, add, remove, scratch);
	elems = palloc(sizeof(Datum) * Max(count, 1));
	for (size_t j = 0; j < count; j++)
	{
		bool		dummy;

		elems[j] = ItemText(st, &st->items[scratch[j]], &dummy);
	}
	*isnull = false;
	return PointerGetDatum(construct_array(elems, (int) count, TEXTOID, -1, false, TYPALIGN_INT));
}

/* profile: merge a profile_changed object (a JSON null removes the key) */
static Jsonb *
ProfileApply(Jsonb *profile, const MetricsState *st, const tl_item *it)
{
	Jsonb	   *change;
	JsonbIterator *iter;
	JsonbValue	v;
	JsonbIteratorToken tok;
	List	   *removed = NIL;
	char	   *json;

	if (!(it->flags & TL_F_HAS_TEXT))
		return profile;
	json = pnstrdup(st->arena + it->id_off, it->id_len);
	change = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(json)));
	if (!JB_ROOT_IS_OBJECT(change) || JB_ROOT_IS_SCALAR(change))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("profile_changed value of chat \"%s\" is not a JSON object", st->chat_id)));

	iter = JsonbIteratorInit(&change->root);
	while ((tok = JsonbIteratorNext(&iter, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
		{
			char	   *key = pnstrdup(v.val.string.val, v.val.string.len);

			tok = JsonbIteratorNext(&iter, &v, true);
			if (tok == WJB_VALUE && v.type == jbvNull)
				removed = lappend(removed, cstring_to_text(key));
		}
	}
	profile = DatumGetJsonbP(DirectFunctionCall2(jsonb_concat, JsonbPGetDatum(profile),
												 JsonbPGetDatum(change)));
	if (removed != NIL)
	{
		Datum	   *keys = palloc(sizeof(Datum) * list_length(removed));
		int			k = 0;
		ListCell   *lc;

		foreach(lc, removed)
			keys[k++] = PointerGetDatum(lfirst(lc));
		profile = DatumGetJsonbP(DirectFunctionCall2(jsonb_delete_array, JsonbPGetDatum(profile),
													 PointerGetDatum(construct_array(keys, k, TEXTOID, -1, false, TYPALIGN_INT))));
	}
	return profile;
}

/*
 * csstats_case_metrics_final
 *		Final function of case_metrics: csstats.case_metrics_result[], one
 *		element per case in order (empty when the chat has no case).
 */
PG_FUNCTION_INFO_V1(csstats_case_metrics_final);
Datum
csstats_case_metrics_final(PG_FUNCTION_ARGS)
{
	MetricsState *st;
	TupleDesc	td;
	Oid			elemtype;
	tl_chat_info info;
	tl_calendar cal;
	tl_case_metrics *cases;
	size_t		n;
	size_t		ncases;
	size_t	   *scratch;
	Datum	   *elems;
	Jsonb	   *profile = NULL;
	size_t		profile_pos = 0;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = (MetricsState *) PG_GETARG_POINTER(0);
	if (st->chat_id == NULL)
		PG_RETURN_NULL();
	td = ResultDesc(fcinfo, true);
	if (td->natts != 33)
		elog(ERROR, "csstats.case_metrics_result has %d columns, expected 33", td->natts);
	elemtype = td->tdtypeid;

	n = Prepare(st, &info, &cal);
	ncases = tl_case_count(st->items, n);
	cases = palloc(sizeof(tl_case_metrics) * Max(ncases, 1));
	tl_case_compute(st->items, n, &info, &cal, cases);
	scratch = palloc(sizeof(size_t) * Max(n, 1));
	elems = palloc(sizeof(Datum) * Max(ncases, 1));

	if (SEEN(st, TL_PROFILE_CHANGED))
		profile = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")));

	for (size_t k = 0; k < ncases; k++)
	{
		tl_case_metrics *c = &cases[k];
		Datum		values[33];
		bool		nulls[33];
		int			i = 0;

		CHECK_FOR_INTERRUPTS();
		values[i] = CStringGetTextDatum(st->chat_id), nulls[i++] = false;
		values[i] = Int32GetDatum(c->number), nulls[i++] = false;
		values[i] = CStringGetTextDatum(psprintf("%s-%d", st->chat_id, c->number)), nulls[i++] = false;
		values[i] = TimeDatum(c->created_at, &nulls[i]), i++;
		values[i] = TimeDatum(c->updated_at, &nulls[i]), i++;
		values[i] = CStringGetTextDatum(c->completed ? "completed" : "inProgress"), nulls[i++] = false;

		/* user_chat_state: the state events are never "absent" once any exists */
		if (SEEN(st, TL_QUEUED) || SEEN(st, TL_OPENED) || SEEN(st, TL_SNOOZED) ||
			SEEN(st, TL_CLOSED) || SEEN(st, TL_MISSED))
		{
			nulls[i] = (c->last_state < 0);
			values[i] = nulls[i] ? (Datum) 0 :
				CStringGetTextDatum(tl_state_name(st->items[c->last_state].kind));
		}
		else
		{
			nulls[i] = (st->current.state == NULL);
			values[i] = nulls[i] ? (Datum) 0 : CStringGetTextDatum(st->current.state);
		}
		i++;
		values[i] = ReplayScalar(st, TL_TEAM_ASSIGNED, c->last_team, st->current.team_id, &nulls[i]), i++;
		values[i] = ReplayScalar(st, TL_ASSIGNED, c->last_assigned, st->current.assignee_id, &nulls[i]), i++;
		values[i] = ReplaySet(st, c, TL_FOLLOWER_ADDED, TL_FOLLOWER_REMOVED,
							  st->current.manager_ids, scratch, &nulls[i]), i++;
		values[i] = ReplaySet(st, c, TL_TAG_ADDED, TL_TAG_REMOVED,
							  st->current.tags, scratch, &nulls[i]), i++;
		values[i] = ReplayScalar(st, TL_PRIORITY_CHANGED, c->last_priority, st->current.priority, &nulls[i]), i++;
		if (profile != NULL)
		{
			/* cases' record ends only move forward: replay incrementally */
			for (; profile_pos < c->attr_end; profile_pos++)
				if (st->items[profile_pos].kind == TL_PROFILE_CHANGED)
					profile = ProfileApply(profile, st, &st->items[profile_pos]);
			values[i] = JsonbPGetDatum(profile), nulls[i] = false;
		}
		else
		{
			nulls[i] = (st->current.profile == (Datum) 0);
			values[i] = st->current.profile;
		}
		i++;

		values[i] = TimeDatum(c->first_queued_at, &nulls[i]), i++;
		values[i] = TimeDatum(c->first_opened_at, &nulls[i]), i++;
		values[i] = TimeDatum(c->first_asked_at, &nulls[i]), i++;
		values[i] = TimeDatum(c->first_replied_at, &nulls[i]), i++;
		values[i] = TimeDatum(c->closed_at, &nulls[i]), i++;
		values[i] = DurDatum(c->waiting_time, &nulls[i]), i++;
		values[i] = DurDatum(c->total_reply_time, &nulls[i]), i++;
		values[i] = CountDatum(c->reply_count, &nulls[i]), i++;
		values[i] = DurDatum(c->avg_reply_time, &nulls[i]), i++;
		values[i] = DurDatum(c->resolution_time, &nulls[i]), i++;
		values[i] = DurDatum(c->total_snoozed_time, &nulls[i]), i++;
		values[i] = DurDatum(c->lead_time, &nulls[i]), i++;
		values[i] = CountDatum(c->snoozed_count, &nulls[i]), i++;
		values[i] = CountDatum(c->missed_count, &nulls[i]), i++;
		values[i] = DurDatum(c->op_waiting_time, &nulls[i]), i++;
		values[i] = CountDatum(c->op_reply_count, &nulls[i]), i++;
		values[i] = DurDatum(c->op_total_reply_time, &nulls[i]), i++;
		values[i] = DurDatum(c->op_avg_reply_time, &nulls[i]), i++;
		values[i] = DurDatum(c->op_resolution_time, &nulls[i]), i++;
		values[i] = DurDatum(c->op_lead_time, &nulls[i]), i++;
		Assert(i == 33);
		elems[k] = HeapTupleGetDatum(heap_form_tuple(td, values, nulls));
	}
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, (int) ncases, elemtype, -1, false, TYPALIGN_DOUBLE));
}
