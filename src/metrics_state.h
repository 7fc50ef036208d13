/*-------------------------------------------------------------------------
 *
 * metrics_state.h
 *	  The state of the chat and case metric aggregates, shared by the
 *	  transition side (metrics_state.c) and the final functions
 *	  (metrics_final.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef CSSTATS_METRICS_STATE_H
#define CSSTATS_METRICS_STATE_H

#include "datatype/timestamp.h"

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


/*
 * Decode a state's rows into d (palloc'd in the current context), checking
 * every record (metrics_state.c).
 */
extern void DecodeState(const MetricsState *st, Decoded *d);

#endif							/* CSSTATS_METRICS_STATE_H */
