/*-------------------------------------------------------------------------
 *
 * metrics_final.c
 *	  The final functions of the chat and case metric aggregates:
 *
 *		csstats.chat_metrics(...) -> csstats.chat_metrics_result
 *		csstats.case_metrics(...) -> csstats.case_metrics_result[]
 *
 *	  A final function decodes the state's rows (metrics_state.c), sorts
 *	  them itself, so ORDER BY in the call is optional, cuts them at as_of,
 *	  runs src/core/timeline.c with the channel's operating hours
 *	  (src/calendar.c) and builds the result.  The case metrics also replay
 *	  each case's attributes (state, assignee, team, followers, tags,
 *	  priority, profile) from the chat's events as of the case's end,
 *	  falling back to the chat's current row where no event says.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

#include "calendar.h"
#include "metrics_state.h"

/* ---- operating hours ---- */

/* through a cursor: a chat's questions are close together in time */
static double
CalBusiness(void *arg, int64_t since, int64_t until)
{
	return cal_cursor_business_seconds((cal_cursor *) arg, since, until);
}

static bool
CalOperating(void *arg, int64_t at)
{
	return cal_cursor_is_operating((cal_cursor *) arg, at);
}

/* decode, sort, cut at as_of, and set up the chat info and calendar */
static void
Prepare(MetricsState *st, Decoded *d, tl_chat_info *info, tl_calendar *cal,
		cal_cursor *cursor)
{
	DecodeState(st, d);
	d->n = tl_prepare(d->items, d->n, d->arena, st->as_of,
					  palloc(sizeof(tl_item) * Max(d->n, 1)));

	info->created_at = st->has_chat_row ? st->created_at : TL_NULL_TIME;
	info->is_call = st->is_call;
	info->is_inbound = st->is_inbound;
	info->as_of = st->as_of;
	Assert(st->channel_id != NULL);	/* set with chat_id (CheckChat, deserial) */
	cal->business_seconds = CalBusiness;
	cal->is_operating = CalOperating;
	cal_cursor_init(cursor, csstats_get_schedule(st->channel_id));
	cal->arg = cursor;
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
	cal_cursor	cursor;
	Datum		values[18];
	bool		nulls[18];
	Decoded		d;
	int			i = 0;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = (MetricsState *) PG_GETARG_POINTER(0);
	if (st->chat_id == NULL)
		PG_RETURN_NULL();		/* only null rows */
	td = ResultDesc(fcinfo, false);
	if (td->natts != 18)
		elog(ERROR, "csstats.chat_metrics_result has %d columns, expected 18", td->natts);

	Prepare(st, &d, &info, &cal, &cursor);
	tl_chat_compute(d.items, d.n, &info, &cal, &m);

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
ItemText(const Decoded *d, const tl_item *it, bool *isnull)
{
	*isnull = !(it->flags & TL_F_HAS_TEXT);
	if (*isnull)
		return (Datum) 0;
	return PointerGetDatum(cstring_to_text_with_len(d->arena + it->id_off, it->id_len));
}

/* value of the last event of a kind, or the current row's when it has none */
static Datum
ReplayScalar(const MetricsState *st, const Decoded *d, int kind, int64_t idx,
			 const char *current, bool *isnull)
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
	return ItemText(d, &d->items[idx], isnull);
}

static Datum
ReplaySet(const MetricsState *st, const Decoded *d, const tl_case_metrics *c, int add, int remove,
		  Datum current, size_t *scratch, bool *isnull)
{
	size_t		count;
	Datum	   *elems;

	if (!SEEN(st, add) && !SEEN(st, remove))
	{
		*isnull = (current == (Datum) 0);
		return current;
	}
	count = tl_replay_set(d->items, c->attr_end, d->arena, add, remove, scratch);
	elems = palloc(sizeof(Datum) * Max(count, 1));
	for (size_t j = 0; j < count; j++)
	{
		bool		dummy;

		elems[j] = ItemText(d, &d->items[scratch[j]], &dummy);
	}
	*isnull = false;
	return PointerGetDatum(construct_array(elems, (int) count, TEXTOID, -1, false, TYPALIGN_INT));
}

/*
 * profile: merge a profile_changed object (a JSON null removes the key).
 * One pass builds the result: the profile's pairs whose key the change does
 * not name, then the change's non-null pairs (what jsonb_concat followed by
 * jsonb_delete_array of the null keys gives, with one build instead of two).
 */
static Jsonb *
ProfileApply(Jsonb *profile, const MetricsState *st, const Decoded *d, const tl_item *it)
{
	Jsonb	   *change;
	JsonbIterator *iter;
	JsonbValue	k;
	JsonbValue	v;
	JsonbIteratorToken tok;
	JsonbParseState *ps = NULL;
	JsonbValue *res;
	char	   *json;

	if (!(it->flags & TL_F_HAS_TEXT))
		return profile;
	json = pnstrdup(d->arena + it->id_off, it->id_len);
	change = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(json)));
	if (!JB_ROOT_IS_OBJECT(change) || JB_ROOT_IS_SCALAR(change))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("profile_changed value of chat \"%s\" is not a JSON object", st->chat_id)));

	pushJsonbValue(&ps, WJB_BEGIN_OBJECT, NULL);
	iter = JsonbIteratorInit(&profile->root);
	while ((tok = JsonbIteratorNext(&iter, &k, true)) != WJB_DONE)
	{
		if (tok != WJB_KEY)
			continue;
		tok = JsonbIteratorNext(&iter, &v, true);
		Assert(tok == WJB_VALUE);
		if (findJsonbValueFromContainer(&change->root, JB_FOBJECT, &k) != NULL)
			continue;			/* replaced or removed by the change */
		pushJsonbValue(&ps, WJB_KEY, &k);
		pushJsonbValue(&ps, WJB_VALUE, &v);
	}
	iter = JsonbIteratorInit(&change->root);
	while ((tok = JsonbIteratorNext(&iter, &k, true)) != WJB_DONE)
	{
		if (tok != WJB_KEY)
			continue;
		tok = JsonbIteratorNext(&iter, &v, true);
		Assert(tok == WJB_VALUE);
		if (v.type == jbvNull)
			continue;
		pushJsonbValue(&ps, WJB_KEY, &k);
		pushJsonbValue(&ps, WJB_VALUE, &v);
	}
	res = pushJsonbValue(&ps, WJB_END_OBJECT, NULL);
	return JsonbValueToJsonb(res);
}

/* userChatCaseId: "<chat id>-<k>" without a format string per case */
static Datum
CaseId(const MetricsState *st, int32 number)
{
	char		digits[12];
	int			nd = pg_ltoa(number, digits);
	text	   *t = palloc(VARHDRSZ + st->chat_id_len + 1 + nd);

	SET_VARSIZE(t, VARHDRSZ + st->chat_id_len + 1 + nd);
	memcpy(VARDATA(t), st->chat_id, st->chat_id_len);
	VARDATA(t)[st->chat_id_len] = '-';
	memcpy(VARDATA(t) + st->chat_id_len + 1, digits, nd);
	return PointerGetDatum(t);
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
	cal_cursor	cursor;
	Decoded		d;
	size_t		ncases;
	size_t	   *scratch;
	Datum	   *elems;
	Jsonb	   *profile = NULL;
	size_t		profile_pos = 0;
	Datum		chat_id;
	Datum		completed;
	Datum		in_progress;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = (MetricsState *) PG_GETARG_POINTER(0);
	if (st->chat_id == NULL)
		PG_RETURN_NULL();
	td = ResultDesc(fcinfo, true);
	if (td->natts != 33)
		elog(ERROR, "csstats.case_metrics_result has %d columns, expected 33", td->natts);
	elemtype = td->tdtypeid;

	Prepare(st, &d, &info, &cal, &cursor);
	ncases = tl_case_count(d.items, d.n);
	cases = palloc(sizeof(tl_case_metrics) * Max(ncases, 1));
	tl_case_compute(d.items, d.n, &info, &cal, cases);
	scratch = palloc(sizeof(size_t) * Max(d.n, 1));
	elems = palloc(sizeof(Datum) * Max(ncases, 1));

	if (SEEN(st, TL_PROFILE_CHANGED))
		profile = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")));
	/* values every case of the chat shares (construct_array copies them) */
	chat_id = PointerGetDatum(cstring_to_text_with_len(st->chat_id, st->chat_id_len));
	completed = CStringGetTextDatum("completed");
	in_progress = CStringGetTextDatum("inProgress");

	for (size_t k = 0; k < ncases; k++)
	{
		tl_case_metrics *c = &cases[k];
		Datum		values[33];
		bool		nulls[33];
		int			i = 0;

		CHECK_FOR_INTERRUPTS();
		values[i] = chat_id, nulls[i++] = false;
		values[i] = Int32GetDatum(c->number), nulls[i++] = false;
		values[i] = CaseId(st, c->number), nulls[i++] = false;
		values[i] = TimeDatum(c->created_at, &nulls[i]), i++;
		values[i] = TimeDatum(c->updated_at, &nulls[i]), i++;
		values[i] = c->completed ? completed : in_progress, nulls[i++] = false;

		/* user_chat_state: the state events are never "absent" once any exists */
		if (SEEN(st, TL_QUEUED) || SEEN(st, TL_OPENED) || SEEN(st, TL_SNOOZED) ||
			SEEN(st, TL_CLOSED) || SEEN(st, TL_MISSED))
		{
			nulls[i] = (c->last_state < 0);
			values[i] = nulls[i] ? (Datum) 0 :
				CStringGetTextDatum(tl_state_name(d.items[c->last_state].kind));
		}
		else
		{
			nulls[i] = (st->current->state == NULL);
			values[i] = nulls[i] ? (Datum) 0 : CStringGetTextDatum(st->current->state);
		}
		i++;
		values[i] = ReplayScalar(st, &d, TL_TEAM_ASSIGNED, c->last_team, st->current->team_id, &nulls[i]), i++;
		values[i] = ReplayScalar(st, &d, TL_ASSIGNED, c->last_assigned, st->current->assignee_id, &nulls[i]), i++;
		values[i] = ReplaySet(st, &d, c, TL_FOLLOWER_ADDED, TL_FOLLOWER_REMOVED,
							  st->current->manager_ids, scratch, &nulls[i]), i++;
		values[i] = ReplaySet(st, &d, c, TL_TAG_ADDED, TL_TAG_REMOVED,
							  st->current->tags, scratch, &nulls[i]), i++;
		values[i] = ReplayScalar(st, &d, TL_PRIORITY_CHANGED, c->last_priority, st->current->priority, &nulls[i]), i++;
		if (profile != NULL)
		{
			/* cases' record ends only move forward: replay incrementally */
			for (; profile_pos < c->attr_end; profile_pos++)
				if (d.items[profile_pos].kind == TL_PROFILE_CHANGED)
					profile = ProfileApply(profile, st, &d, &d.items[profile_pos]);
			values[i] = JsonbPGetDatum(profile), nulls[i] = false;
		}
		else
		{
			nulls[i] = (st->current->profile == (Datum) 0);
			values[i] = st->current->profile;
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

