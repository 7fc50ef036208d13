/*
 * tlpack.c - the compact encoding of timeline items; see tlpack.h.
 */
#include "tlpack.h"

#include <string.h>

#define H_KIND_MASK 0x1F
#define H_TEXT		0x20
#define H_MISSED	0x40

int
tlp_rank_of_kind(int kind)
{
	if (kind <= TL_MSG_BOT)
		return TL_RANK_MESSAGE;
	if (kind == TL_MEET)
		return TL_RANK_MEET;
	return TL_RANK_EVENT;
}

static inline uint64_t
zigzag(int64_t v)
{
	return ((uint64_t) v << 1) ^ (uint64_t) (v >> 63);
}

static inline int64_t
unzigzag(uint64_t u)
{
	return (int64_t) ((u >> 1) ^ (~(u & 1) + 1));
}

static inline size_t
put_varint(uint8_t *out, uint64_t v)
{
	size_t		n = 0;

	while (v >= 0x80)
	{
		out[n++] = (uint8_t) (v | 0x80);
		v >>= 7;
	}
	out[n++] = (uint8_t) v;
	return n;
}

/* 0 when the varint runs past end or is longer than 10 bytes / 64 bits */
static inline size_t
get_varint(const uint8_t *in, size_t len, uint64_t *v)
{
	uint64_t	r = 0;

	if (len > 0 && in[0] < 0x80)
	{
		*v = in[0];				/* most lengths and prefixes */
		return 1;
	}

	for (size_t i = 0; i < len && i < 10; i++)
	{
		uint64_t	b = in[i] & 0x7F;

		if (i == 9 && (in[i] & 0xFE) != 0)
			return 0;			/* more than 64 bits */
		r |= b << (7 * i);
		if ((in[i] & 0x80) == 0)
		{
			*v = r;
			return i + 1;
		}
	}
	return 0;
}

/*
 * Short copies without a libc call or a byte loop (row ids are a few
 * bytes): two overlapping words cover 4..16 bytes exactly.
 */
static inline void
copy_bytes(char *dst, const void *src, size_t n)
{
	const char *s = src;

	if (n >= 8 && n <= 16)
	{
		uint64_t	a,
					b;

		memcpy(&a, s, 8);
		memcpy(&b, s + n - 8, 8);
		memcpy(dst, &a, 8);
		memcpy(dst + n - 8, &b, 8);
	}
	else if (n >= 4 && n < 8)
	{
		uint32_t	a,
					b;

		memcpy(&a, s, 4);
		memcpy(&b, s + n - 4, 4);
		memcpy(dst, &a, 4);
		memcpy(dst + n - 4, &b, 4);
	}
	else if (n < 4)
	{
		for (size_t i = 0; i < n; i++)
			dst[i] = s[i];
	}
	else
		memcpy(dst, s, n);
}

/* length of the common prefix of a and b, at most max bytes */
static inline size_t
common_prefix(const char *a, const char *b, size_t max)
{
	size_t		i = 0;

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	for (; i + 8 <= max; i += 8)
	{
		uint64_t	x,
					y;

		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		if (x != y)
			return i + (size_t) (__builtin_ctzll(x ^ y) >> 3);
	}
#endif
	while (i < max && a[i] == b[i])
		i++;
	return i;
}

void
tlp_writer_init(tlp_writer *w)
{
	w->has_base = false;
	w->base = 0;
	w->prev_len = 0;
}

size_t
tlp_write(tlp_writer *w, uint8_t *out, const tl_item *it, const char *text,
		  size_t text_len)
{
	size_t		n = 0;
	bool		has_text = (it->flags & TL_F_HAS_TEXT) != 0;

	out[n++] = (uint8_t) ((it->kind & H_KIND_MASK) | (has_text ? H_TEXT : 0) |
						  ((it->flags & TL_F_MISSED) ? H_MISSED : 0));
	/* wrapping: any two int64 times give a delta that round-trips */
	n += put_varint(out + n, zigzag((int64_t) ((uint64_t) it->at - (uint64_t) w->base)));
	if (!w->has_base)
	{
		/* the first record holds its time whole (delta from 0): the base */
		w->has_base = true;
		w->base = it->at;
	}
	if (tlp_rank_of_kind(it->kind) == TL_RANK_EVENT)
		n += put_varint(out + n, zigzag(it->event_id));
	if (has_text)
	{
		size_t		prefix = common_prefix(text, w->prev,
										   text_len < w->prev_len ? text_len : w->prev_len);

		n += put_varint(out + n, prefix);
		n += put_varint(out + n, text_len - prefix);
		copy_bytes((char *) out + n, text + prefix, text_len - prefix);
		n += text_len - prefix;
		w->prev_len = text_len < TLP_PREFIX_MAX ? text_len : TLP_PREFIX_MAX;
		copy_bytes(w->prev, text, w->prev_len);
	}
	return n;
}

void
tlp_reader_init(tlp_reader *r)
{
	r->has_base = false;
	r->base = 0;
	r->has_prev = false;
	r->prev_off = 0;
	r->prev_len = 0;
}

#define FAIL(msg) do { *why = (msg); return 0; } while (0)

/* one record: its length, or 0 (*why says why) */
static inline size_t
read_one(tlp_reader *r, const uint8_t *in, size_t len, tl_item *it,
		 char *arena, size_t *arena_len, size_t arena_cap, const char **why)
{
	size_t		n = 0;
	size_t		k;
	uint64_t	v;
	uint8_t		h;
	int64_t		delta;

	if (len == 0)
		FAIL("The item data ends early.");
	h = in[n++];
	if ((h & ~(H_KIND_MASK | H_TEXT | H_MISSED)) != 0 || (h & H_KIND_MASK) >= TL_NKINDS)
		FAIL("An item has an unknown kind or flags.");
	it->kind = (uint8_t) (h & H_KIND_MASK);
	it->rank = (uint8_t) tlp_rank_of_kind(it->kind);
	it->flags = (uint8_t) (((h & H_TEXT) ? TL_F_HAS_TEXT : 0) | ((h & H_MISSED) ? TL_F_MISSED : 0));
	it->event_id = 0;
	it->id_off = it->id_len = 0;

	if ((k = get_varint(in + n, len - n, &v)) == 0)
		FAIL("An item's time is malformed.");
	n += k;
	delta = unzigzag(v);
	it->at = (int64_t) ((uint64_t) r->base + (uint64_t) delta);
	if (!r->has_base)
	{
		/* the first record's time is whole: the base of the others */
		r->has_base = true;
		r->base = it->at;
	}

	if (it->rank == TL_RANK_EVENT)
	{
		if ((k = get_varint(in + n, len - n, &v)) == 0)
			FAIL("An event id is malformed.");
		n += k;
		it->event_id = unzigzag(v);
	}
	if (h & H_TEXT)
	{
		uint64_t	prefix;
		uint64_t	suffix;

		if ((k = get_varint(in + n, len - n, &prefix)) == 0)
			FAIL("A text prefix is malformed.");
		n += k;
		if ((k = get_varint(in + n, len - n, &suffix)) == 0)
			FAIL("A text length is malformed.");
		n += k;
		if (prefix > TLP_PREFIX_MAX || (prefix > 0 && (!r->has_prev || prefix > r->prev_len)))
			FAIL("A text shares more bytes than the previous text has.");
		if (suffix > len - n)
			FAIL("A text runs past the end of the data.");
		if (prefix + suffix > arena_cap - *arena_len || prefix + suffix > UINT32_MAX ||
			*arena_len > UINT32_MAX)
			FAIL("The texts are longer than stated.");
		it->id_off = (uint32_t) *arena_len;
		it->id_len = (uint32_t) (prefix + suffix);
		/* the previous text is in the same arena, wholly before */
		copy_bytes(arena + *arena_len, arena + r->prev_off, prefix);
		copy_bytes(arena + *arena_len + prefix, in + n, suffix);
		n += suffix;
		r->has_prev = true;
		r->prev_off = *arena_len;
		r->prev_len = prefix + suffix;
		*arena_len += prefix + suffix;
	}
	return n;
}

size_t
tlp_read_stream(tlp_reader *r, const uint8_t *in, size_t len, tl_item *items,
				size_t max_items, char *arena, size_t *arena_len, size_t arena_cap,
				const char **why)
{
	size_t		pos = 0;
	size_t		i = 0;

	while (pos < len)
	{
		size_t		k;

		if (i >= max_items)
		{
			*why = "There are more items than counted.";
			return SIZE_MAX;
		}
		k = read_one(r, in + pos, len - pos, &items[i], arena, arena_len, arena_cap, why);
		if (k == 0)
			return SIZE_MAX;
		pos += k;
		i++;
	}
	return i;
}
