/*
 * inbox.c
 *		One-pass grouping of the inbox counts (see inbox.h).
 *
 * Every key (scope + bytes) is an entry in one open-addressing hash table.
 * A tag's entry also holds the list of entries it counts under (its
 * ancestors and itself), resolved once when the tag is first met, so a chat
 * costs one lookup per tag.  Each entry remembers the last chat it counted:
 * a chat with several child tags of one parent counts there once.
 *
 * Entries, key copies and ancestor lists live in an arena of blocks from the
 * caller's allocator, freed together by inbox_destroy.
 */
#include "inbox.h"

#include <stdlib.h>
#include <string.h>

typedef struct inbox_entry inbox_entry;

struct inbox_entry
{
	uint64_t	hash;
	char	   *key;			/* NUL-terminated copy */
	size_t		len;
	inbox_scope scope;
	uint64_t	last_chat;		/* the chat that last counted here (tags) */
	int64_t		chats[INBOX_NSTATES];
	inbox_entry **up;			/* tags: entries counted, itself last */
	uint32_t	nup;			/* 0: not resolved yet */
	int			listed;			/* a row: listed by the caller or counted */
	const void *payload;		/* the caller's, returned with the row */
};

typedef struct arena_block
{
	struct arena_block *next;
	size_t		used;
	size_t		size;
	/* data follows, max-aligned */
} arena_block;

#define ARENA_BLOCK 65536
#define ALIGN8(n) (((n) + 7) & ~(size_t) 7)
#define BLOCK_HDR ALIGN8(sizeof(arena_block))

struct inbox
{
	inbox_allocator a;
	arena_block *blocks;
	inbox_entry **slots;		/* power of two, at most half full */
	size_t		nslots;
	int			shift;			/* 64 - log2(nslots): a slot is the hash's top bits */
	inbox_entry **entries;		/* every entry, for the rows */
	size_t		nentries;
	size_t		cap_entries;
	uint64_t	chat_no;
	int64_t		all[INBOX_NSTATES];
	int64_t		unassigned[INBOX_NSTATES];
	inbox_row  *rows;
};

static void *
MallocAlloc(void *ctx, size_t size)
{
	return malloc(size);
}

static void
MallocRelease(void *ctx, void *ptr)
{
	free(ptr);
}

const inbox_allocator inbox_malloc_allocator = {MallocAlloc, MallocRelease, NULL};

static void *
ArenaAlloc(inbox *ib, size_t size)
{
	arena_block *b = ib->blocks;
	void	   *p;

	size = ALIGN8(size);
	if (size > ARENA_BLOCK / 4)
	{
		/* a block of its own, behind the current one, which stays open */
		b = ib->a.alloc(ib->a.ctx, BLOCK_HDR + size);
		if (b == NULL)
			return NULL;
		b->size = b->used = size;
		if (ib->blocks != NULL)
		{
			b->next = ib->blocks->next;
			ib->blocks->next = b;
		}
		else
		{
			b->next = NULL;
			ib->blocks = b;
		}
		return (char *) b + BLOCK_HDR;
	}
	if (b == NULL || b->size - b->used < size)
	{
		b = ib->a.alloc(ib->a.ctx, ARENA_BLOCK);
		if (b == NULL)
			return NULL;
		b->size = ARENA_BLOCK - BLOCK_HDR;
		b->used = 0;
		b->next = ib->blocks;
		ib->blocks = b;
	}
	p = (char *) b + BLOCK_HDR + b->used;
	b->used += size;
	return p;
}

/*
 * A multiply-xorshift hash over the scope and the bytes, eight at a time
 * (a chat costs a few lookups of short keys, so the hash is most of it),
 * ending with a multiply: its top bits are the best mixed, and pick the slot.
 */
static uint64_t
KeyHash(inbox_scope scope, const char *s, size_t len)
{
	const uint64_t m = 0x9E3779B97F4A7C15ULL;
	uint64_t	h = ((uint64_t) scope << 56) ^ (len * m);
	uint64_t	w;

	for (; len >= 8; s += 8, len -= 8)
	{
		memcpy(&w, s, 8);
		h = (h ^ w) * m;
		h ^= h >> 32;
	}
	if (len > 0)
	{
		/* the last 1-7 bytes, read as two overlapping halves (len is hashed) */
		if (len >= 4)
		{
			uint32_t	a,
						b;

			memcpy(&a, s, 4);
			memcpy(&b, s + len - 4, 4);
			w = ((uint64_t) a << 32) | b;
		}
		else
			w = (uint64_t) (unsigned char) s[0] << 16 |
				(uint64_t) (unsigned char) s[len / 2] << 8 | (unsigned char) s[len - 1];
		h = (h ^ w) * m;
		h ^= h >> 32;
	}
	return h * m;
}

/* Equal bytes: an inline loop, as keys are short. */
static inline int
KeyEq(const char *a, const char *b, size_t len)
{
	uint64_t	x,
				y;

	for (; len >= 8; a += 8, b += 8, len -= 8)
	{
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		if (x != y)
			return 0;
	}
	for (; len > 0; a++, b++, len--)
		if (*a != *b)
			return 0;
	return 1;
}

static cs_status
Grow(inbox *ib)
{
	size_t		n = ib->nslots ? ib->nslots * 2 : 256;
	int			shift = ib->nslots ? ib->shift - 1 : 64 - 8;
	inbox_entry **slots = ib->a.alloc(ib->a.ctx, n * sizeof(inbox_entry *));
	size_t		i;

	if (slots == NULL)
		return CS_ERR_NOMEM;
	memset(slots, 0, n * sizeof(inbox_entry *));
	for (i = 0; i < ib->nentries; i++)
	{
		size_t		j = ib->entries[i]->hash >> shift;

		while (slots[j] != NULL)
			j = (j + 1) & (n - 1);
		slots[j] = ib->entries[i];
	}
	if (ib->slots)
		ib->a.release(ib->a.ctx, ib->slots);
	ib->slots = slots;
	ib->nslots = n;
	ib->shift = shift;
	return CS_OK;
}

/* The entry of a key, created with zero counts if new; NULL when out of memory. */
static inbox_entry *
Lookup(inbox *ib, inbox_scope scope, const char *s, size_t len)
{
	uint64_t	h = KeyHash(scope, s, len);
	size_t		j = h >> ib->shift;
	inbox_entry *e;

	for (; (e = ib->slots[j]) != NULL; j = (j + 1) & (ib->nslots - 1))
		if (e->hash == h && e->len == len && e->scope == scope &&
			KeyEq(e->key, s, len))
			return e;

	if (ib->nentries == ib->cap_entries)
	{
		size_t		cap = ib->cap_entries ? ib->cap_entries * 2 : 128;
		inbox_entry **ents = ib->a.alloc(ib->a.ctx, cap * sizeof(inbox_entry *));

		if (ents == NULL)
			return NULL;
		if (ib->nentries)
			memcpy(ents, ib->entries, ib->nentries * sizeof(inbox_entry *));
		if (ib->entries)
			ib->a.release(ib->a.ctx, ib->entries);
		ib->entries = ents;
		ib->cap_entries = cap;
	}
	e = ArenaAlloc(ib, sizeof(inbox_entry));
	if (e == NULL || (e->key = ArenaAlloc(ib, len + 1)) == NULL)
		return NULL;
	memcpy(e->key, s, len);
	e->key[len] = '\0';
	e->hash = h;
	e->len = len;
	e->scope = scope;
	e->last_chat = 0;
	memset(e->chats, 0, sizeof(e->chats));
	e->up = NULL;
	e->nup = 0;
	e->listed = 0;
	e->payload = NULL;
	ib->entries[ib->nentries++] = e;
	ib->slots[j] = e;
	/* keep the table at most half full: the probe above always ends */
	if (ib->nentries * 2 > ib->nslots && Grow(ib) != CS_OK)
		return NULL;
	return e;
}

/* A tag's entry with its ancestor list resolved; NULL when out of memory. */
static inbox_entry *
TagEntry(inbox *ib, const char *s, size_t len)
{
	inbox_entry *e = Lookup(ib, INBOX_TAG, s, len);
	uint32_t	n = 1,
				k = 0;
	size_t		i;

	if (e == NULL || e->nup > 0)
		return e;
	for (i = 1; i < len; i++)
		if (s[i] == '/')
			n++;
	e->up = ArenaAlloc(ib, n * sizeof(inbox_entry *));
	if (e->up == NULL)
		return NULL;
	for (i = 1; i < len; i++)
		if (s[i] == '/')
		{
			/* Lookup may grow the table; entries themselves never move */
			inbox_entry *p = Lookup(ib, INBOX_TAG, s, i);

			if (p == NULL)
				return NULL;
			e->up[k++] = p;
		}
	e->up[k++] = e;
	e->nup = k;
	return e;
}

inbox *
inbox_create(const inbox_allocator *a)
{
	inbox	   *ib = a->alloc(a->ctx, sizeof(inbox));

	if (ib == NULL)
		return NULL;
	memset(ib, 0, sizeof(inbox));
	ib->a = *a;
	if (Grow(ib) != CS_OK)
	{
		a->release(a->ctx, ib);
		return NULL;
	}
	return ib;
}

void
inbox_destroy(inbox *ib)
{
	arena_block *b,
			   *next;

	if (ib == NULL)
		return;
	for (b = ib->blocks; b != NULL; b = next)
	{
		next = b->next;
		ib->a.release(ib->a.ctx, b);
	}
	if (ib->slots)
		ib->a.release(ib->a.ctx, ib->slots);
	if (ib->entries)
		ib->a.release(ib->a.ctx, ib->entries);
	if (ib->rows)
		ib->a.release(ib->a.ctx, ib->rows);
	ib->a.release(ib->a.ctx, ib);
}

cs_status
inbox_add_key(inbox *ib, inbox_scope scope, inbox_str key)
{
	return inbox_add_key_payload(ib, scope, key, NULL, 1);
}

cs_status
inbox_add_key_payload(inbox *ib, inbox_scope scope, inbox_str key,
					  const void *payload, int listed)
{
	inbox_entry *e;
	uint32_t	k;

	if (scope != INBOX_ASSIGNEE && scope != INBOX_TEAM && scope != INBOX_TAG)
		return CS_ERR_BADARG;
	if (key.s == NULL || key.len == 0)
		return CS_OK;
	e = scope == INBOX_TAG ? TagEntry(ib, key.s, key.len) : Lookup(ib, scope, key.s, key.len);
	if (e == NULL)
		return CS_ERR_NOMEM;
	if (payload != NULL)
		e->payload = payload;
	if (listed)
	{
		e->listed = 1;
		for (k = 0; k < e->nup; k++)
			e->up[k]->listed = 1;
	}
	return CS_OK;
}

cs_status
inbox_add_chat(inbox *ib, inbox_state state, inbox_str assignee,
			   inbox_str team, const inbox_str *tags, size_t ntags)
{
	size_t		i;
	uint32_t	k;

	if ((unsigned) state >= INBOX_NSTATES)
		return CS_ERR_BADARG;
	ib->chat_no++;
	ib->all[state]++;
	if (assignee.s == NULL)
		ib->unassigned[state]++;
	else
	{
		inbox_entry *e = Lookup(ib, INBOX_ASSIGNEE, assignee.s, assignee.len);

		if (e == NULL)
			return CS_ERR_NOMEM;
		e->chats[state]++;
		e->listed = 1;
	}
	if (team.s != NULL)
	{
		inbox_entry *e = Lookup(ib, INBOX_TEAM, team.s, team.len);

		if (e == NULL)
			return CS_ERR_NOMEM;
		e->chats[state]++;
		e->listed = 1;
	}
	for (i = 0; i < ntags; i++)
	{
		inbox_entry *t;

		if (tags[i].s == NULL || tags[i].len == 0)
			continue;
		if ((t = TagEntry(ib, tags[i].s, tags[i].len)) == NULL)
			return CS_ERR_NOMEM;
		for (k = 0; k < t->nup; k++)
			if (t->up[k]->last_chat != ib->chat_no)
			{
				t->up[k]->last_chat = ib->chat_no;
				t->up[k]->chats[state]++;
				t->up[k]->listed = 1;
			}
	}
	return CS_OK;
}

static int
CompareRows(const void *a, const void *b)
{
	const inbox_row *x = a,
			   *y = b;
	int			c;

	if (x->scope != y->scope)
		return x->scope < y->scope ? -1 : 1;
	c = memcmp(x->key, y->key, x->keylen < y->keylen ? x->keylen : y->keylen);
	if (c != 0)
		return c;
	return (x->keylen > y->keylen) - (x->keylen < y->keylen);
}

cs_status
inbox_rows(inbox *ib, const inbox_row **rows, size_t *nrows)
{
	size_t		n = 2,
				i;
	inbox_row  *r;

	if (ib->rows)
		ib->a.release(ib->a.ctx, ib->rows);
	r = ib->rows = ib->a.alloc(ib->a.ctx, (ib->nentries + 2) * sizeof(inbox_row));
	if (r == NULL)
		return CS_ERR_NOMEM;
	memset(r, 0, (ib->nentries + 2) * sizeof(inbox_row));
	r[0].scope = INBOX_ALL;
	memcpy(r[0].chats, ib->all, sizeof(ib->all));
	r[1].scope = INBOX_UNASSIGNED;
	memcpy(r[1].chats, ib->unassigned, sizeof(ib->unassigned));
	for (i = 0; i < ib->nentries; i++)
	{
		inbox_entry *e = ib->entries[i];

		if (!e->listed)
			continue;
		r[n].scope = e->scope;
		r[n].key = e->key;
		r[n].keylen = e->len;
		r[n].payload = e->payload;
		memcpy(r[n].chats, e->chats, sizeof(e->chats));
		n++;
	}
	qsort(r + 2, n - 2, sizeof(inbox_row), CompareRows);
	*rows = r;
	*nrows = n;
	return CS_OK;
}
