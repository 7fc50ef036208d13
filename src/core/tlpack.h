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
 * Decode the record at in[0..len) into *it, its full text appended to
 * arena at *arena_len (capacity arena_cap; it->id_off/id_len point there).
 * Returns the bytes read, or 0 when the record is malformed or the arena
 * is too small (*why says which).  With arena NULL the record is only
 * checked: lengths are counted (*arena_len against arena_cap) but no text
 * is copied.
 */
size_t		tlp_read(tlp_reader *r, const uint8_t *in, size_t len, tl_item *it,
					 char *arena, size_t *arena_len, size_t arena_cap,
					 const char **why);

/*
 * Decode a whole stream in[0..len) into items[0..max_items) (or only check
 * it: items NULL, arena NULL) as tlp_read does record by record.  Returns
 * the items read, or SIZE_MAX (*why says why).
 */
size_t		tlp_read_stream(tlp_reader *r, const uint8_t *in, size_t len, tl_item *items,
							size_t max_items, char *arena, size_t *arena_len,
							size_t arena_cap, const char **why);

/*
 * The writer's state after a whole stream was read with r (so more records
 * can be appended to a decoded stream): base and the previous text (none
 * when the stream was only checked, arena NULL).
 */
void		tlp_writer_resume(tlp_writer *w, const tlp_reader *r, const char *arena);

#endif							/* CS_CORE_TLPACK_H */
