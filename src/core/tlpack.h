/*
 * tlpack.h - a compact byte encoding of timeline items (tl_item + text).
 *
 * The metric aggregates keep every row of every chat in memory until the
 * chat's final function runs, and a hash aggregate holds all chats at once.
 * A 32-byte tl_item plus its text in a growing array made the states of 10k
 * chats about 34 MB, and the page faults and cache misses of that memory
 * were a good part of the aggregates' cost.  Packed, an item takes about a
 * third of that:
 *
 *   byte    kind (bits 0-4) | TL_F_HAS_TEXT (bit 5) | TL_F_MISSED (bit 6)
 *   varint  zigzag(at - base)            (base: the stream's first time)
 *   varint  zigzag(event_id)             (events only; rank follows kind)
 *   varint  prefix, varint suffix_len, suffix bytes   (text items only)
 *
 * The text is front-coded: prefix bytes are shared with the previous text
 * item of the stream (row ids of one chat usually share most of their
 * bytes), at most TLP_PREFIX_MAX of them.  Arithmetic on times wraps, so any
 * int64 round-trips.
 *
 * A writer appends records to caller-provided buffers (the caller owns the
 * memory: the aggregates allocate chunks in their aggregate context); a
 * reader decodes a stream back into tl_items and one contiguous arena of
 * full texts, checking every byte (a serialized state is untrusted input).
 *
 * No allocation, no PostgreSQL headers.
 */
#ifndef CS_CORE_TLPACK_H
#define CS_CORE_TLPACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "timeline.h"

/* longest shared prefix the encoding uses */
#define TLP_PREFIX_MAX 32

/* largest encoding of a record whose text is text_len bytes */
#define TLP_RECORD_BOUND(text_len) (1 + 10 + 10 + 10 + 10 + (size_t) (text_len))

/* the rank (tl_rank) an item kind has in the timeline order */
int			tlp_rank_of_kind(int kind);

/* what the writer remembers between records */
typedef struct tlp_writer
{
	bool		has_base;
	int64_t		base;
	size_t		prev_len;		/* bytes of prev in use (<= TLP_PREFIX_MAX) */
	char		prev[TLP_PREFIX_MAX];
} tlp_writer;

void		tlp_writer_init(tlp_writer *w);

/*
 * Encode one item to out (room for TLP_RECORD_BOUND(text_len) bytes) and
 * return the bytes written.  it->kind and it->flags (TL_F_HAS_TEXT,
 * TL_F_MISSED) are read; id_off/id_len/rank are not (text/text_len give the
 * text; rank follows the kind).  The caller checks the kind is valid.
 */
size_t		tlp_write(tlp_writer *w, uint8_t *out, const tl_item *it,
					  const char *text, size_t text_len);

/* what the reader remembers between records */
typedef struct tlp_reader
{
	bool		has_base;
	int64_t		base;
	bool		has_prev;
	size_t		prev_off;		/* previous text in the arena */
	size_t		prev_len;
} tlp_reader;

void		tlp_reader_init(tlp_reader *r);

/*
 * Decode a whole stream in[0..len) into items[0..max_items), each item's
 * full text appended to arena at *arena_len (capacity arena_cap;
 * it->id_off/id_len point there).  Returns the items read, or SIZE_MAX when
 * a record is malformed, there are more than max_items, or the texts do not
 * fit the arena (*why says which).  A stream written by one tlp_writer needs
 * one tlp_reader; several streams may follow each other in one arena, each
 * read with a reader initialised afresh.
 */
size_t		tlp_read_stream(tlp_reader *r, const uint8_t *in, size_t len, tl_item *items,
							size_t max_items, char *arena, size_t *arena_len,
							size_t arena_cap, const char **why);

#endif							/* CS_CORE_TLPACK_H */
