/*-------------------------------------------------------------------------
 *
 * metrics_combine.c
 *	  The combine function of the chat and case metric aggregates: two
 *	  partial states of one chat (from parallel workers, or a worker and
 *	  the leader) become one.  A state is a bag of rows the final function
 *	  sorts, so combining appends the other state's packed streams as they
 *	  are, without decoding them; the chat must be the same (metrics_state.c
 *	  checks it).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/memutils.h"

#include "metrics_state.h"

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
		MetricsCheckChat(dst, src->channel_id, src->channel_id_len, src->chat_id, src->chat_id_len);
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
	for (const PackChunk *c = src->head; c != NULL; c = MetricsNextStream(c))
	{
		size_t		len = MetricsStreamLen(c);
		PackChunk  *copy;

		if (len == 0)
			continue;
		if (dst->nitems + src->nitems > MaxAllocSize / sizeof(tl_item) ||
			dst->text_len + src->text_len >= MaxAllocSize ||
			dst->packed_len + len >= MaxAllocSize)
			MetricsTooLarge(dst);
		copy = MetricsAppendStream(dst, len);
		MetricsCopyStream(c, copy->data);
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
		a = MetricsStateCreate(aggcxt, b->for_cases, b->as_of);
	StateMerge(a, b);
	PG_RETURN_POINTER(a);
}
