/*-------------------------------------------------------------------------
 *
 * metrics_state.h
 *	  The state of the chat and case metric aggregates, private to the
 *	  files that make up the aggregates:
 *
 *		metrics_state.c		the state, its chat and its packed chunks
 *		metrics_trans.c		the transition functions (rows into a state)
 *		metrics_combine.c	combine (parallel partial states into one)
 *		metrics_serial.c	serialize and deserialize (validated)
 *		metrics_final.c		the final functions
 *
 *	  Only metrics_state.c touches the chunk chain's allocation; the others
 *	  go through the functions below, so none of them includes another.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CSSTATS_METRICS_STATE_H
#define CSSTATS_METRICS_STATE_H

#include "datatype/timestamp.h"
#include "utils/memutils.h"

#include "timeline.h"
#include "tlpack.h"

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

/*
 * A chat's rows, packed (src/core/tlpack.c) into a chain of chunks in the
 * aggregate context: a record never spans chunks, chunks never move, and
 * nothing is copied as a chat grows.  A hash aggregate holds every chat's
 * state at once, so their size is most of the aggregates' memory traffic.
 *
 * A chunk with reset set starts a new packed stream (the reader starts
 * afresh); the others continue the previous chunk's.  Combining states
 * appends the other state's streams as they are, without decoding them.
 */
typedef struct PackChunk
{
	struct PackChunk *next;
	uint32		used;
	uint32		cap;
	bool		reset;
	uint8		data[FLEXIBLE_ARRAY_MEMBER];
} PackChunk;

/* chunk allocations double up to this (AllocSet's largest pooled chunk) */
#define CHUNK_ALLOC_MAX 8192
/* the state and its first chunk are one allocation of this size */
#define STATE_ALLOC 1024

typedef struct MetricsState
{
	MemoryContext cxt;
	bool		for_cases;		/* keep attribute values and the current row */
	bool		has_chat_row;
	bool		is_call;
	bool		is_inbound;
	bool		in_window;		/* a window function's state: for the hints */
	int			chat_id_len;
	int			channel_id_len;
	TimestampTz as_of;
	char	   *chat_id;		/* with channel_id, the chat: both set or both NULL */
	char	   *channel_id;
	TimestampTz created_at;
	CurrentRow *current;		/* case metrics only */
	uint32		kinds_seen;		/* bit per tl_kind, including rows after as_of */
	size_t		nitems;			/* records */
	size_t		text_len;		/* their texts' full lengths, summed */
	size_t		packed_len;		/* bytes of all chunks */
	PackChunk  *head;
	PackChunk  *tail;
	bool		need_reset;		/* the tail is another state's: next item starts a stream */
	tlp_writer	w;
} MetricsState;

/* a state's rows decoded for the state machine (final functions) */
typedef struct Decoded
{
	tl_item    *items;
	size_t		n;				/* after tl_prepare: the items up to as_of */
	char	   *arena;
} Decoded;

#define SEEN(st, k) (((st)->kinds_seen & (UINT32_C(1) << (k))) != 0)

/* ---- metrics_state.c ---- */

/* a state in cxt, with its first chunk in the same allocation */
extern MetricsState *MetricsStateCreate(MemoryContext cxt, bool for_cases, TimestampTz as_of);

/* the state's chat is (channel, id): set by the first call, checked after */
extern void MetricsCheckChat(MetricsState *st, const char *channel, int channel_len,
							 const char *id, int len);

/* the aggregate's SQL name, for messages */
extern const char *MetricsAggName(bool for_cases);

/* ERRCODE_PROGRAM_LIMIT_EXCEEDED naming the state's chat */
extern void MetricsTooLarge(const MetricsState *st) pg_attribute_noreturn();

/* a new tail chunk with room for at least need bytes (PackItem's slow path) */
extern PackChunk *MetricsNewChunk(MetricsState *st, size_t need);

/* bytes of the stream that starts at chunk c, and the next stream's chunk */
extern size_t MetricsStreamLen(const PackChunk *c);
extern const PackChunk *MetricsNextStream(const PackChunk *c);

/* copy the stream starting at c to out; returns its length */
extern size_t MetricsCopyStream(const PackChunk *c, uint8 *out);

/*
 * A new chunk of exactly len bytes (used = len) appended to st as a stream
 * of its own, for the caller to fill: combined and deserialized streams.
 */
extern PackChunk *MetricsAppendStream(MetricsState *st, size_t len);

/*
 * Decode a state's rows into d (palloc'd in the current context), checking
 * every record.
 */
extern void DecodeState(const MetricsState *st, Decoded *d);

/* equality of short strings without a libc call (chat ids: once per row) */
static inline bool
MetricsSameBytes(const char *a, const char *b, int len)
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

/*
 * Append one item (its text: text/len) to the state.  Inline: it runs once
 * per kept row, and the transition function is the aggregates' hot path.
 */
static inline void
MetricsPackItem(MetricsState *st, const tl_item *it, const char *text, size_t len)
{
	PackChunk  *c = st->tail;
	size_t		bound = TLP_RECORD_BOUND(len);
	size_t		k;

	/* decoded, the chat's items and texts must fit a palloc */
	if (unlikely(st->nitems + 1 > MaxAllocSize / sizeof(tl_item) ||
				 st->text_len + len >= MaxAllocSize))
		MetricsTooLarge(st);
	if (unlikely(c->cap - c->used < bound || st->need_reset))
		c = MetricsNewChunk(st, bound);
	k = tlp_write(&st->w, c->data + c->used, it, text, len);
	c->used += (uint32) k;
	st->packed_len += k;
	st->text_len += len;
	st->nitems++;
}

#endif							/* CSSTATS_METRICS_STATE_H */
