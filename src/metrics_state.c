/*-------------------------------------------------------------------------
 *
 * metrics_state.c
 *	  The state of the chat and case metric aggregates: its creation, the
 *	  chat it belongs to, and the chain of packed chunks a chat's rows are
 *	  kept in (metrics_state.h says why chunks).  The transition functions
 *	  (metrics_trans.c), combine (metrics_combine.c), serialize and
 *	  deserialize (metrics_serial.c) and the final functions
 *	  (metrics_final.c) all build or read a state through this file, so the
 *	  chunk layout is known in one place.
 *
 *	  A group is one chat, and a chat is (channel_id, chat_id): chat ids are
 *	  unique per channel only.  The state takes both from its first row, and
 *	  every row, combined state and deserialized state must match them, so a
 *	  group (or window partition) keyed by chat_id alone over two channels is
 *	  an error rather than two customers' conversations computed as one under
 *	  one channel's operating hours.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "port/pg_bitutils.h"
#include "utils/memutils.h"

#include "metrics_state.h"

#include "timeline.h"
#include "tlpack.h"

void
MetricsTooLarge(const MetricsState *st)
{
	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("timeline of chat \"%s\" is too large", st->chat_id ? st->chat_id : "")));
}

/* a new tail chunk with room for at least need bytes */
PackChunk *
MetricsNewChunk(MetricsState *st, size_t need)
{
	/* powers of two: AllocSet rounds requests up to them anyway */
	size_t		size = Min(pg_nextpower2_size_t((size_t) st->tail->cap + offsetof(PackChunk, data)) * 2,
						   CHUNK_ALLOC_MAX);
	PackChunk  *c;

	if (size < offsetof(PackChunk, data) + need)
	{
		if (need > MaxAllocSize / 2)
			MetricsTooLarge(st);
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
size_t
MetricsStreamLen(const PackChunk *c)
{
	size_t		len = 0;

	for (const PackChunk *e = c; e != NULL && (e == c || !e->reset); e = e->next)
		len += e->used;
	return len;
}

/* the chunk that starts the next stream */
const PackChunk *
MetricsNextStream(const PackChunk *c)
{
	do
		c = c->next;
	while (c != NULL && !c->reset);
	return c;
}

/* copy the stream starting at c to out; returns its length */
size_t
MetricsCopyStream(const PackChunk *c, uint8 *out)
{
	size_t		len = 0;

	for (const PackChunk *e = c; e != NULL && (e == c || !e->reset); e = e->next)
	{
		memcpy(out + len, e->data, e->used);
		len += e->used;
	}
	return len;
}

/*
 * A chunk of len bytes that starts a stream of its own, appended to st; the
 * next packed item starts another stream (the writer's prefix state is the
 * other stream's, not ours).  The caller fills data and the counts.
 */
PackChunk *
MetricsAppendStream(MetricsState *st, size_t len)
{
	PackChunk  *c = MemoryContextAlloc(st->cxt, offsetof(PackChunk, data) + len);

	c->next = NULL;
	c->used = c->cap = (uint32) len;
	c->reset = true;
	st->tail->next = c;
	st->tail = c;
	st->packed_len += len;
	st->need_reset = true;
	return c;
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

MetricsState *
MetricsStateCreate(MemoryContext cxt, bool for_cases, TimestampTz as_of)
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

const char *
MetricsAggName(bool for_cases)
{
	return for_cases ? "case_metrics" : "chat_metrics";
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
					MetricsAggName(st->for_cases)),
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
void
MetricsCheckChat(MetricsState *st, const char *channel, int channel_len, const char *id, int len)
{
	if (st->chat_id == NULL)
	{
		st->channel_id = CopyN(st->cxt, channel, channel_len);
		st->channel_id_len = channel_len;
		st->chat_id = CopyN(st->cxt, id, len);
		st->chat_id_len = len;
	}
	else if (channel_len != st->channel_id_len ||
			 !MetricsSameBytes(channel, st->channel_id, channel_len))
		MixedChannels(st, channel, channel_len, id, len);
	else if (len != st->chat_id_len || !MetricsSameBytes(id, st->chat_id, len))
		ereport(ERROR,
				(errcode(ERRCODE_CARDINALITY_VIOLATION),
				 errmsg("timeline rows of more than one chat in one %s group",
						MetricsAggName(st->for_cases)),
				 errdetail("Chats \"%s\" and \"%s\".", st->chat_id, pnstrdup(id, len)),
				 errhint("Add %s channel_id, chat_id.", GroupClause(st))));
}
