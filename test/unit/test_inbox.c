/*
 * Unit tests for src/core/inbox.c: the tag hierarchy (a parent counts its
 * children's chats, once per chat), 8-tag chats, NULL and empty values,
 * listed keys with zero counts, payloads and unlisted keys, the row order,
 * out-of-memory at every
 * allocation, and random chats against a brute-force count by definition.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inbox.h"
#include "xorshift.h"

static inbox_str
S(const char *s)
{
	inbox_str	r = {s, s ? strlen(s) : 0};

	return r;
}

static const inbox_str NONE = {NULL, 0};

static void
AddChat(inbox *ib, inbox_state st, const char *asg, const char *team,
		const char *const *tags, size_t ntags)
{
	inbox_str	t[16];
	size_t		i;

	for (i = 0; i < ntags; i++)
		t[i] = S(tags[i]);
	assert_int_equal(inbox_add_chat(ib, st, S(asg), S(team), t, ntags), CS_OK);
}

/* The row of (scope, key), or NULL. */
static const inbox_row *
Find(inbox *ib, inbox_scope scope, const char *key)
{
	const inbox_row *rows;
	size_t		n,
				i;

	assert_int_equal(inbox_rows(ib, &rows, &n), CS_OK);
	for (i = 0; i < n; i++)
		if (rows[i].scope == scope &&
			(key == NULL ? rows[i].key == NULL :
			 rows[i].key != NULL && strcmp(rows[i].key, key) == 0))
			return &rows[i];
	return NULL;
}

static void
ExpectCounts(inbox *ib, inbox_scope scope, const char *key,
			 int64_t open, int64_t snoozed, int64_t closed)
{
	const inbox_row *r = Find(ib, scope, key);

	if (r == NULL)
		fail_msg("no row for scope %d key %s", (int) scope, key ? key : "(null)");
	assert_int_equal(r->chats[INBOX_OPEN], open);
	assert_int_equal(r->chats[INBOX_SNOOZED], snoozed);
	assert_int_equal(r->chats[INBOX_CLOSED], closed);
}

static void
test_empty(void **state)
{
	inbox	   *ib = inbox_create(&inbox_malloc_allocator);
	const inbox_row *rows;
	size_t		n;

	assert_non_null(ib);
	assert_int_equal(inbox_rows(ib, &rows, &n), CS_OK);
	assert_int_equal(n, 2);
	assert_int_equal(rows[0].scope, INBOX_ALL);
	assert_null(rows[0].key);
	assert_int_equal(rows[1].scope, INBOX_UNASSIGNED);
	ExpectCounts(ib, INBOX_ALL, NULL, 0, 0, 0);
	ExpectCounts(ib, INBOX_UNASSIGNED, NULL, 0, 0, 0);
	/* a chat without tags, assignee or team counts only in all/unassigned */
	assert_int_equal(inbox_add_chat(ib, INBOX_SNOOZED, NONE, NONE, NULL, 0), CS_OK);
	assert_int_equal(inbox_rows(ib, &rows, &n), CS_OK);
	assert_int_equal(n, 2);
	ExpectCounts(ib, INBOX_ALL, NULL, 0, 1, 0);
	ExpectCounts(ib, INBOX_UNASSIGNED, NULL, 0, 1, 0);
	inbox_destroy(ib);
	inbox_destroy(NULL);
}

static void
test_hierarchy_and_dedupe(void **state)
{
	inbox	   *ib = inbox_create(&inbox_malloc_allocator);
	const char *c1[] = {"delivery/late", "delivery/damaged"};
	const char *c2[] = {"delivery"};
	const char *c3[] = {"a/b/c", "a/b", "a/x"};
	const char *c4[] = {"delivery/late", "delivery/late"};
	const char *c5[] = {"deliveryman"};

	AddChat(ib, INBOX_OPEN, "m1", "t1", c1, 2);
	AddChat(ib, INBOX_OPEN, NULL, NULL, c2, 1);
	AddChat(ib, INBOX_CLOSED, "m1", NULL, c3, 3);
	AddChat(ib, INBOX_SNOOZED, "m2", "t1", c4, 2);
	AddChat(ib, INBOX_OPEN, "m2", NULL, c5, 1);

	ExpectCounts(ib, INBOX_ALL, NULL, 3, 1, 1);
	ExpectCounts(ib, INBOX_UNASSIGNED, NULL, 1, 0, 0);
	ExpectCounts(ib, INBOX_ASSIGNEE, "m1", 1, 0, 1);
	ExpectCounts(ib, INBOX_ASSIGNEE, "m2", 1, 1, 0);
	ExpectCounts(ib, INBOX_TEAM, "t1", 1, 1, 0);
	/* two child tags (c1) and a duplicated tag (c4) count once */
	ExpectCounts(ib, INBOX_TAG, "delivery", 2, 1, 0);
	ExpectCounts(ib, INBOX_TAG, "delivery/late", 1, 1, 0);
	ExpectCounts(ib, INBOX_TAG, "delivery/damaged", 1, 0, 0);
	/* a prefix that is not a parent is a tag of its own */
	ExpectCounts(ib, INBOX_TAG, "deliveryman", 1, 0, 0);
	/* every level counts a chat once */
	ExpectCounts(ib, INBOX_TAG, "a", 0, 0, 1);
	ExpectCounts(ib, INBOX_TAG, "a/b", 0, 0, 1);
	ExpectCounts(ib, INBOX_TAG, "a/b/c", 0, 0, 1);
	ExpectCounts(ib, INBOX_TAG, "a/x", 0, 0, 1);
	assert_null(Find(ib, INBOX_TAG, "a/b/c/d"));
	inbox_destroy(ib);
}

static void
test_eight_tags_and_odd_tags(void **state)
{
	inbox	   *ib = inbox_create(&inbox_malloc_allocator);
	const char *c1[] = {"a", "b", "c", "d", "e", "f", "refund", "delivery/late"};
	const char *c2[] = {"x/1", "x/2", "x/3", "x/4", "x/5", "x/6", "x/7", "x/8"};
	/* empty tag, leading and trailing '/', empty middle part */
	const char *c3[] = {"", "/lead", "trail/", "p//q"};
	inbox_str	withnull[3] = {S("n"), NONE, S("n/m")};
	const inbox_row *rows;
	size_t		n,
				i;

	AddChat(ib, INBOX_OPEN, "m3", NULL, c1, 8);
	AddChat(ib, INBOX_OPEN, "m3", NULL, c2, 8);
	AddChat(ib, INBOX_SNOOZED, NULL, NULL, c3, 4);
	assert_int_equal(inbox_add_chat(ib, INBOX_CLOSED, NONE, NONE, withnull, 3), CS_OK);

	ExpectCounts(ib, INBOX_ASSIGNEE, "m3", 2, 0, 0);
	for (i = 0; i < 6; i++)
		ExpectCounts(ib, INBOX_TAG, c1[i], 1, 0, 0);
	ExpectCounts(ib, INBOX_TAG, "delivery", 1, 0, 0);
	ExpectCounts(ib, INBOX_TAG, "x", 1, 0, 0);
	ExpectCounts(ib, INBOX_TAG, "x/8", 1, 0, 0);
	ExpectCounts(ib, INBOX_TAG, "/lead", 0, 1, 0);
	ExpectCounts(ib, INBOX_TAG, "trail", 0, 1, 0);
	ExpectCounts(ib, INBOX_TAG, "trail/", 0, 1, 0);
	ExpectCounts(ib, INBOX_TAG, "p", 0, 1, 0);
	ExpectCounts(ib, INBOX_TAG, "p/", 0, 1, 0);
	ExpectCounts(ib, INBOX_TAG, "p//q", 0, 1, 0);
	ExpectCounts(ib, INBOX_TAG, "n", 0, 0, 1);
	ExpectCounts(ib, INBOX_TAG, "n/m", 0, 0, 1);
	/* no empty key */
	assert_null(Find(ib, INBOX_TAG, ""));
	assert_int_equal(inbox_rows(ib, &rows, &n), CS_OK);
	for (i = 2; i < n; i++)
		assert_true(rows[i].keylen > 0);
	inbox_destroy(ib);
}

static void
test_listed_keys_and_order(void **state)
{
	inbox	   *ib = inbox_create(&inbox_malloc_allocator);
	const char *c1[] = {"b/z"};
	const inbox_row *rows;
	size_t		n,
				i;

	assert_int_equal(inbox_add_key(ib, INBOX_ASSIGNEE, S("m9")), CS_OK);
	assert_int_equal(inbox_add_key(ib, INBOX_ASSIGNEE, S("m1")), CS_OK);
	assert_int_equal(inbox_add_key(ib, INBOX_TEAM, S("t2")), CS_OK);
	assert_int_equal(inbox_add_key(ib, INBOX_TAG, S("b/a/deep")), CS_OK);
	assert_int_equal(inbox_add_key(ib, INBOX_TAG, S("B")), CS_OK);
	assert_int_equal(inbox_add_key(ib, INBOX_TAG, S("")), CS_OK);
	assert_int_equal(inbox_add_key(ib, INBOX_TAG, NONE), CS_OK);
	assert_int_equal(inbox_add_key(ib, INBOX_ALL, S("x")), CS_ERR_BADARG);
	assert_int_equal(inbox_add_chat(ib, INBOX_NSTATES, NONE, NONE, NULL, 0), CS_ERR_BADARG);
	AddChat(ib, INBOX_OPEN, "m1", "t1", c1, 1);

	ExpectCounts(ib, INBOX_ASSIGNEE, "m9", 0, 0, 0);
	ExpectCounts(ib, INBOX_ASSIGNEE, "m1", 1, 0, 0);
	ExpectCounts(ib, INBOX_TEAM, "t2", 0, 0, 0);
	ExpectCounts(ib, INBOX_TEAM, "t1", 1, 0, 0);
	ExpectCounts(ib, INBOX_TAG, "b/a", 0, 0, 0);
	ExpectCounts(ib, INBOX_TAG, "b", 1, 0, 0);

	/* scope order, then bytes as in COLLATE "C" ('B' < 'b', 'b' < 'b/a') */
	assert_int_equal(inbox_rows(ib, &rows, &n), CS_OK);
	{
		static const struct
		{
			inbox_scope scope;
			const char *key;
		}			want[] = {
			{INBOX_ALL, NULL}, {INBOX_UNASSIGNED, NULL},
			{INBOX_ASSIGNEE, "m1"}, {INBOX_ASSIGNEE, "m9"},
			{INBOX_TEAM, "t1"}, {INBOX_TEAM, "t2"},
			{INBOX_TAG, "B"}, {INBOX_TAG, "b"}, {INBOX_TAG, "b/a"},
			{INBOX_TAG, "b/a/deep"}, {INBOX_TAG, "b/z"},
		};

		assert_int_equal(n, sizeof(want) / sizeof(want[0]));
		for (i = 0; i < n; i++)
		{
			assert_int_equal(rows[i].scope, want[i].scope);
			if (want[i].key == NULL)
				assert_null(rows[i].key);
			else
				assert_string_equal(rows[i].key, want[i].key);
		}
	}
	inbox_destroy(ib);
}

/* Payloads come back with their rows; an unlisted key is a row only once counted. */
static void
test_payload_and_unlisted(void **state)
{
	inbox	   *ib = inbox_create(&inbox_malloc_allocator);
	static const int p_gone = 1,
				p_here = 2,
				p_team = 3;
	const inbox_row *rows;
	size_t		n,
				i;

	assert_int_equal(inbox_add_key_payload(ib, INBOX_ASSIGNEE, S("gone"), &p_gone, 0), CS_OK);
	assert_int_equal(inbox_add_key_payload(ib, INBOX_ASSIGNEE, S("idle"), &p_gone, 0), CS_OK);
	assert_int_equal(inbox_add_key_payload(ib, INBOX_ASSIGNEE, S("here"), &p_here, 1), CS_OK);
	assert_int_equal(inbox_add_key_payload(ib, INBOX_TEAM, S("t1"), &p_team, 1), CS_OK);
	assert_int_equal(inbox_add_key_payload(ib, INBOX_TAG, S("x/y"), NULL, 0), CS_OK);
	assert_int_equal(inbox_add_key_payload(ib, INBOX_ALL, S("x"), NULL, 1), CS_ERR_BADARG);
	/* listing later keeps the payload */
	assert_int_equal(inbox_add_key(ib, INBOX_TEAM, S("t1")), CS_OK);
	assert_int_equal(inbox_add_chat(ib, INBOX_OPEN, S("gone"), NONE, NULL, 0), CS_OK);

	assert_null(Find(ib, INBOX_ASSIGNEE, "idle"));
	assert_null(Find(ib, INBOX_TAG, "x"));
	assert_null(Find(ib, INBOX_TAG, "x/y"));
	ExpectCounts(ib, INBOX_ASSIGNEE, "gone", 1, 0, 0);
	ExpectCounts(ib, INBOX_ASSIGNEE, "here", 0, 0, 0);
	assert_ptr_equal(Find(ib, INBOX_ASSIGNEE, "gone")->payload, &p_gone);
	assert_ptr_equal(Find(ib, INBOX_ASSIGNEE, "here")->payload, &p_here);
	assert_ptr_equal(Find(ib, INBOX_TEAM, "t1")->payload, &p_team);
	assert_null(Find(ib, INBOX_ALL, NULL)->payload);
	assert_int_equal(inbox_rows(ib, &rows, &n), CS_OK);
	assert_int_equal(n, 5);
	for (i = 0; i < n; i++)
		assert_true(rows[i].key == NULL || strcmp(rows[i].key, "idle") != 0);
	/* a chat tagged under the unlisted tag lists it and its parent */
	{
		inbox_str	t = S("x/y");

		assert_int_equal(inbox_add_chat(ib, INBOX_CLOSED, NONE, NONE, &t, 1), CS_OK);
	}
	ExpectCounts(ib, INBOX_TAG, "x", 0, 0, 1);
	ExpectCounts(ib, INBOX_TAG, "x/y", 0, 0, 1);
	inbox_destroy(ib);
}

/* A key is its len bytes, not up to a NUL. */
static void
test_lengths_not_nul(void **state)
{
	inbox	   *ib = inbox_create(&inbox_malloc_allocator);
	inbox_str	t = {"abc/def-not-this", 7};

	/* only the first len bytes are the key: "abc/def" */
	assert_int_equal(inbox_add_chat(ib, INBOX_OPEN, (inbox_str) {"m1x", 2}, NONE, &t, 1), CS_OK);
	ExpectCounts(ib, INBOX_ASSIGNEE, "m1", 1, 0, 0);
	ExpectCounts(ib, INBOX_TAG, "abc", 1, 0, 0);
	ExpectCounts(ib, INBOX_TAG, "abc/def", 1, 0, 0);
	inbox_destroy(ib);
}

/* An allocator that fails after a number of allocations and counts what is live. */
typedef struct
{
	long		left;
	long		live;
} FailCtx;

static void *
FailAlloc(void *ctx, size_t size)
{
	FailCtx    *f = ctx;

	if (f->left-- <= 0)
		return NULL;
	f->live++;
	return malloc(size);
}

static void
FailRelease(void *ctx, void *ptr)
{
	FailCtx    *f = ctx;

	f->live--;
	free(ptr);
}

/* Enough work for several table growths, arena blocks and a large key. */
static cs_status
Workload(inbox *ib)
{
	char		buf[64];
	static char big[40000];
	inbox_str	tags[2];
	int			i;
	cs_status	rc;

	memset(big, 'q', sizeof(big) - 1);
	big[100] = '/';
	for (i = 0; i < 600; i++)
	{
		snprintf(buf, sizeof(buf), "g%d/s%d", i % 50, i);
		tags[0] = S(buf);
		tags[1] = S(i == 300 ? big : "x");
		rc = inbox_add_chat(ib, (inbox_state) (i % 3), S(i % 7 ? "m" : NULL), NONE, tags, 2);
		if (rc != CS_OK)
			return rc;
	}
	return CS_OK;
}

static void
test_out_of_memory(void **state)
{
	long		k;
	int			succeeded = 0;

	for (k = 0; k < 400 && !succeeded; k++)
	{
		FailCtx		f = {k, 0};
		inbox_allocator a = {FailAlloc, FailRelease, &f};
		inbox	   *ib = inbox_create(&a);
		const inbox_row *rows;
		size_t		n;

		if (ib != NULL)
		{
			cs_status	rc = Workload(ib);

			if (rc == CS_OK)
				rc = inbox_rows(ib, &rows, &n);
			if (rc == CS_OK)
			{
				succeeded = 1;
				f.left = 100;	/* Find() asks for the rows again */
				ExpectCounts(ib, INBOX_ALL, NULL, 200, 200, 200);
			}
			else
				assert_int_equal(rc, CS_ERR_NOMEM);
			inbox_destroy(ib);
		}
		/* every failure path leaves nothing behind once destroyed */
		assert_int_equal(f.live, 0);
	}
	assert_true(succeeded);
	/* table and list growths, arena blocks, the large key, the rows */
	assert_true(k > 10);
}

/*
 * Random chats from a small tag tree against the definition: a key counts
 * the chats with some tag equal to it or starting with key + '/'.
 */
#define NCHATS 3000

static const char *const vocab[] = {
	"a", "a/b", "a/b/c", "a/b/d", "a/e", "f", "f/g", "f/g/h/i", "j", "ab", "a/bc",
	"k/l", "k/m", "n/o/p", "q"
};
#define NVOCAB (sizeof(vocab) / sizeof(vocab[0]))

typedef struct
{
	int			st;
	int			asg;			/* -1 none */
	int			team;			/* -1 none */
	int			ntags;
	int			tags[8];
} Chat;

static int
UnderKey(const char *tag, const char *key)
{
	size_t		kl = strlen(key);

	return strncmp(tag, key, kl) == 0 && (tag[kl] == '\0' || tag[kl] == '/');
}

static void
test_random_against_definition(void **state)
{
	static Chat chats[NCHATS];
	inbox	   *ib = inbox_create(&inbox_malloc_allocator);
	const inbox_row *rows;
	size_t		n,
				r;
	int			i,
				j;
	char		names[8][16];

	for (i = 0; i < 8; i++)
		snprintf(names[i], sizeof(names[i]), "k%d", i);
	for (i = 0; i < NCHATS; i++)
	{
		inbox_str	t[8];

		chats[i].st = (int) (rnd() % 3);
		chats[i].asg = (int) (rnd() % 9) - 1;
		chats[i].team = (int) (rnd() % 5) - 1;
		chats[i].ntags = (int) (rnd() % 9);
		for (j = 0; j < chats[i].ntags; j++)
		{
			chats[i].tags[j] = (int) (rnd() % NVOCAB);
			t[j] = S(vocab[chats[i].tags[j]]);
		}
		assert_int_equal(inbox_add_chat(ib, (inbox_state) chats[i].st,
										chats[i].asg < 0 ? NONE : S(names[chats[i].asg]),
										chats[i].team < 0 ? NONE : S(names[chats[i].team]),
										t, (size_t) chats[i].ntags), CS_OK);
	}
	assert_int_equal(inbox_rows(ib, &rows, &n), CS_OK);
	for (r = 0; r < n; r++)
	{
		int64_t		want[3] = {0, 0, 0};

		for (i = 0; i < NCHATS; i++)
		{
			int			in = 0;

			switch (rows[r].scope)
			{
				case INBOX_ALL:
					in = 1;
					break;
				case INBOX_UNASSIGNED:
					in = chats[i].asg < 0;
					break;
				case INBOX_ASSIGNEE:
					in = chats[i].asg >= 0 && strcmp(names[chats[i].asg], rows[r].key) == 0;
					break;
				case INBOX_TEAM:
					in = chats[i].team >= 0 && strcmp(names[chats[i].team], rows[r].key) == 0;
					break;
				default:
					for (j = 0; j < chats[i].ntags && !in; j++)
						in = UnderKey(vocab[chats[i].tags[j]], rows[r].key);
			}
			want[chats[i].st] += in;
		}
		if (want[0] != rows[r].chats[0] || want[1] != rows[r].chats[1] ||
			want[2] != rows[r].chats[2])
			fail_msg("scope %d key %s: got %lld/%lld/%lld, want %lld/%lld/%lld",
					 (int) rows[r].scope, rows[r].key ? rows[r].key : "-",
					 (long long) rows[r].chats[0], (long long) rows[r].chats[1],
					 (long long) rows[r].chats[2], (long long) want[0],
					 (long long) want[1], (long long) want[2]);
		if (r > 2)
			assert_true(rows[r - 1].scope < rows[r].scope ||
						strcmp(rows[r - 1].key, rows[r].key) < 0);
	}
	/* every vocabulary tag and every ancestor is a key: 15 + f/g/h k n n/o */
	{
		size_t		ntag = 0;

		for (r = 0; r < n; r++)
			ntag += rows[r].scope == INBOX_TAG;
		assert_int_equal(ntag, NVOCAB + 4);
	}
	inbox_destroy(ib);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_hierarchy_and_dedupe),
		cmocka_unit_test(test_eight_tags_and_odd_tags),
		cmocka_unit_test(test_listed_keys_and_order),
		cmocka_unit_test(test_payload_and_unlisted),
		cmocka_unit_test(test_lengths_not_nul),
		cmocka_unit_test(test_out_of_memory),
		cmocka_unit_test(test_random_against_definition),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
