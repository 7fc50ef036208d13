/*
 * Unit tests for src/core/tlpack.c, the packed timeline items of the metric
 * aggregates' states: round trips of random streams (every kind, extreme
 * times and event ids, empty, shared-prefix and long texts), streams read
 * one after another into one arena, the size the encoding saves, and the
 * reader on corrupt input (every truncation and byte flip of a valid stream
 * is either rejected or decoded within bounds; never read past the data).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlpack.h"
#include "xorshift.h"

#define MAXN 400
#define TEXTMAX 300

typedef struct
{
	size_t		n;
	tl_item		items[MAXN];
	char		texts[MAXN][TEXTMAX];
	size_t		lens[MAXN];
	uint8_t		buf[MAXN * TLP_RECORD_BOUND(TEXTMAX)];
	size_t		buflen;
	size_t		textsum;
} stream;


static void
random_item(stream *s, size_t i)
{
	tl_item    *it = &s->items[i];
	static const int64_t odd_times[] = {INT64_MIN, INT64_MAX, 0, -1, 1,
	INT64_C(794242800000000)};

	memset(it, 0, sizeof(*it));
	it->kind = (uint8_t) (rnd() % TL_NKINDS);
	it->rank = (uint8_t) tlp_rank_of_kind(it->kind);
	if (rnd() % 10 == 0)
		it->at = odd_times[rnd() % 6];
	else
		it->at = INT64_C(794242800000000) + (int64_t) (rnd() % (INT64_C(86400000000) * 30));
	if (it->rank == TL_RANK_EVENT)
		it->event_id = (rnd() % 8 == 0) ? (int64_t) rnd() : (int64_t) (rnd() % 100000);
	if (it->kind == TL_MEET && rnd() % 2)
		it->flags |= TL_F_MISSED;
	s->lens[i] = 0;
	if (rnd() % 5 != 0)
	{
		size_t		len;

		it->flags |= TL_F_HAS_TEXT;
		switch (rnd() % 4)
		{
			case 0:				/* empty */
				len = 0;
				break;
			case 1:				/* long, past TLP_PREFIX_MAX */
				len = 60 + rnd() % (TEXTMAX - 60);
				break;
			default:			/* a row id sharing a prefix with the last one */
				len = 14;
				break;
		}
		for (size_t k = 0; k < len; k++)
			s->texts[i][k] = (k < 12 && len == 14) ? "c0000001-m00"[k] : (char) (rnd() & 0xFF);
		s->lens[i] = len;
	}
}

static void
encode(stream *s, size_t n)
{
	tlp_writer	w;

	tlp_writer_init(&w);
	s->n = n;
	s->buflen = 0;
	s->textsum = 0;
	for (size_t i = 0; i < n; i++)
	{
		random_item(s, i);
		s->buflen += tlp_write(&w, s->buf + s->buflen, &s->items[i], s->texts[i], s->lens[i]);
		s->textsum += s->lens[i];
	}
}

/*
 * decode all of in[0..len) into out, texts from arena[*alen] on (a fresh
 * reader); returns the items read or -1
 */
static long
decode_at(const uint8_t *in, size_t len, tl_item *out, char *arena, size_t *alen, size_t cap)
{
	tlp_reader	r;
	const char *why = NULL;
	size_t		start = *alen;
	size_t		count;

	tlp_reader_init(&r);
	count = tlp_read_stream(&r, in, len, out, MAXN * 2, arena, alen, cap, &why);
	if (count == SIZE_MAX)
	{
		assert_non_null(why);
		return -1;
	}
	for (size_t i = 0; i < count; i++)
		if (out[i].flags & TL_F_HAS_TEXT)
			assert_true(out[i].id_off >= start && (size_t) out[i].id_off + out[i].id_len <= *alen);
	return (long) count;
}

static long
decode(const uint8_t *in, size_t len, tl_item *out, char *arena, size_t cap)
{
	size_t		alen = 0;

	return decode_at(in, len, out, arena, &alen, cap);
}

static void
check_equal(const stream *s, const tl_item *got, const char *arena)
{
	for (size_t i = 0; i < s->n; i++)
	{
		assert_int_equal(got[i].kind, s->items[i].kind);
		assert_int_equal(got[i].rank, s->items[i].rank);
		assert_int_equal(got[i].flags, s->items[i].flags);
		assert_true(got[i].at == s->items[i].at);
		assert_true(got[i].event_id == s->items[i].event_id);
		if (s->items[i].flags & TL_F_HAS_TEXT)
		{
			assert_int_equal(got[i].id_len, s->lens[i]);
			if (s->lens[i])
				assert_memory_equal(arena + got[i].id_off, s->texts[i], s->lens[i]);
		}
	}
}

static void
test_round_trip(void **unused)
{
	static stream s;
	static tl_item got[MAXN * 2];
	static char arena[MAXN * TEXTMAX];

	for (int round = 0; round < 300; round++)
	{
		encode(&s, (size_t) (rnd() % MAXN));
		assert_int_equal(decode(s.buf, s.buflen, got, arena, s.textsum), (long) s.n);
		check_equal(&s, got, arena);
		/* one byte short of the texts' total: refused, not overrun */
		if (s.textsum > 0)
			assert_int_equal(decode(s.buf, s.buflen, got, arena, s.textsum - 1), -1);
	}
}

/*
 * streams written apart (a state and the partial state combined into it)
 * read one after the other into one arena, the reader started afresh for
 * each: the metric aggregates' chunks with reset set
 */
static void
test_streams_back_to_back(void **unused)
{
	static stream a;
	static stream b;
	static tl_item got[MAXN * 2];
	static char arena[2 * MAXN * TEXTMAX];

	for (int round = 0; round < 100; round++)
	{
		size_t		alen = 0;
		long		na;
		long		nb;

		encode(&a, 1 + rnd() % (MAXN / 2));
		encode(&b, rnd() % (MAXN / 2));
		na = decode_at(a.buf, a.buflen, got, arena, &alen, a.textsum + b.textsum);
		assert_int_equal(na, (long) a.n);
		nb = decode_at(b.buf, b.buflen, got + na, arena, &alen, a.textsum + b.textsum);
		assert_int_equal(nb, (long) b.n);
		assert_int_equal(alen, a.textsum + b.textsum);
		check_equal(&a, got, arena);
		for (size_t i = 0; i < b.n; i++)
		{
			const tl_item *g = &got[a.n + i];

			assert_true(g->at == b.items[i].at);
			assert_true(g->event_id == b.items[i].event_id);
			assert_int_equal(g->kind, b.items[i].kind);
			assert_int_equal(g->id_len, b.lens[i]);
			if (b.lens[i])
				assert_memory_equal(arena + g->id_off, b.texts[i], b.lens[i]);
		}
	}
}

/* what the encoding is for: a chat's messages take about 10 bytes each */
static void
test_compact(void **unused)
{
	tlp_writer	w;
	uint8_t		buf[64 * 64];
	size_t		len = 0;

	tlp_writer_init(&w);
	for (int i = 0; i < 40; i++)
	{
		tl_item		it = {0};
		char		id[32];

		snprintf(id, sizeof(id), "c0001234-m%04d", i + 1);
		it.kind = (i % 3) ? TL_MSG_USER : TL_MSG_MANAGER;
		it.flags = TL_F_HAS_TEXT;
		it.at = INT64_C(794242800000000) + i * INT64_C(45000000) + (i * 7919) % 1000;
		len += tlp_write(&w, buf + len, &it, id, strlen(id));
	}
	/* the first record holds the whole time and id */
	assert_true(len <= 30 + 39 * 12);
	assert_true(len < 40 * sizeof(tl_item) / 2);
}

static void
test_corrupt(void **unused)
{
	static stream s;
	static uint8_t bad[MAXN * TLP_RECORD_BOUND(TEXTMAX)];
	static tl_item got[MAXN * 2];
	static char arena[MAXN * TEXTMAX];

	for (int round = 0; round < 40; round++)
	{
		encode(&s, 1 + rnd() % 40);
		/* every truncation: decoded within bounds or refused */
		for (size_t cut = 0; cut < s.buflen; cut++)
		{
			memcpy(bad, s.buf, cut);
			(void) decode(bad, cut, got, arena, s.textsum);
		}
		/* random byte flips */
		for (int f = 0; f < 200; f++)
		{
			memcpy(bad, s.buf, s.buflen);
			bad[rnd() % s.buflen] ^= (uint8_t) (1 + rnd() % 255);
			(void) decode(bad, s.buflen, got, arena, s.textsum);
		}
	}
	/* specific refusals */
	{
		uint8_t		unknown_kind[] = {TL_NKINDS, 0};
		uint8_t		high_bit[] = {0x80 | TL_MSG_USER, 0};
		uint8_t		long_varint[] = {TL_MSG_USER, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F};
		uint8_t		prefix_without_prev[] = {TL_MSG_USER | 0x20, 0, 3, 1, 'x'};

		/* decode() asserts that each refusal says why */
		assert_int_equal(decode(unknown_kind, 2, got, arena, 10), -1);
		assert_int_equal(decode(high_bit, 2, got, arena, 10), -1);
		assert_int_equal(decode(long_varint, sizeof(long_varint), got, arena, 10), -1);
		assert_int_equal(decode(prefix_without_prev, sizeof(prefix_without_prev), got, arena, 10), -1);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_streams_back_to_back),
		cmocka_unit_test(test_compact),
		cmocka_unit_test(test_corrupt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
