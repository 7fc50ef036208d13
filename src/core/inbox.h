/*
 * inbox.h
 *		One-pass grouping of the inbox counts (docs/bi.md "Inbox counts").
 *
 * The caller feeds every counted chat once (its inbox state, assignee, team
 * and tags) and gets back, per key, how many chats are open, snoozed and
 * closed: all chats, the unassigned ones, each assignee, each team and each
 * tag.  A tag counts the chats carrying it or any of its child tags ('a'
 * and 'a/b' both count a chat tagged 'a/b/c'), each chat once per tag
 * however many of its tags fall under it.  Keys can also be listed up front
 * (the channel's managers, teams and tags), so they appear with zero counts.
 *
 * Done in C because grouping the tag hierarchy in SQL (unnest, prefixes,
 * DISTINCT per chat) cost seconds for a channel with 20,000 open chats; one
 * hash table of keys makes it a few lookups per chat.
 *
 * A tag's keys are the parts before each '/' and the whole tag; empty keys
 * (an empty tag, or the empty part before a leading '/') are not keys.
 * Keys are compared as bytes, like COLLATE "C".
 *
 * Pure C: no PostgreSQL headers; memory comes from a caller-given allocator
 * so that the PostgreSQL glue can use a short-lived memory context.
 */
#ifndef CSSTATS_INBOX_H
#define CSSTATS_INBOX_H

#include <stddef.h>
#include <stdint.h>

#include "cserr.h"

typedef enum inbox_state
{
	INBOX_OPEN = 0,
	INBOX_SNOOZED,
	INBOX_CLOSED,
	INBOX_NSTATES
} inbox_state;

/* In output order. */
typedef enum inbox_scope
{
	INBOX_ALL = 0,
	INBOX_UNASSIGNED,
	INBOX_ASSIGNEE,
	INBOX_TEAM,
	INBOX_TAG,
	INBOX_NSCOPES
} inbox_scope;

/* A string that need not be NUL-terminated; s == NULL is SQL NULL. */
typedef struct inbox_str
{
	const char *s;
	size_t		len;
} inbox_str;

typedef struct inbox_allocator
{
	void	   *(*alloc) (void *ctx, size_t size);	/* NULL when out of memory */
	void		(*release) (void *ctx, void *ptr);
	void	   *ctx;
} inbox_allocator;

/* malloc/free */
extern const inbox_allocator inbox_malloc_allocator;

typedef struct inbox inbox;

/* One result row: key is NULL for INBOX_ALL and INBOX_UNASSIGNED. */
typedef struct inbox_row
{
	inbox_scope scope;
	const char *key;			/* NUL-terminated copy, owned by the inbox */
	size_t		keylen;
	int64_t		chats[INBOX_NSTATES];
	const void *payload;		/* as given to inbox_add_key_payload, else NULL */
} inbox_row;

/* NULL when out of memory. */
extern inbox *inbox_create(const inbox_allocator *a);
extern void inbox_destroy(inbox *ib);

/*
 * List a key with zero counts: scope is INBOX_ASSIGNEE, INBOX_TEAM or
 * INBOX_TAG (a tag also lists its ancestors).  NULL and empty keys are
 * ignored.
 */
extern cs_status inbox_add_key(inbox *ib, inbox_scope scope, inbox_str key);

/*
 * The same with a payload of the caller's (a manager's name and flags),
 * returned with the key's row; listed = 0 attaches it without listing the
 * key, which then becomes a row only if a chat counts there (a removed
 * manager with chats still assigned).
 */
extern cs_status inbox_add_key_payload(inbox *ib, inbox_scope scope, inbox_str key,
									   const void *payload, int listed);

/*
 * Count one chat.  A NULL assignee counts as unassigned, a NULL team under
 * no team; NULL tags are ignored.
 */
extern cs_status inbox_add_chat(inbox *ib, inbox_state state, inbox_str assignee,
								inbox_str team, const inbox_str *tags, size_t ntags);

/*
 * The rows, sorted by scope and then key (bytewise, shorter first on a tie):
 * 'all' and 'unassigned' first (always present), then every key counted or
 * listed.  The array belongs to the inbox and is valid until the next call
 * or inbox_destroy.
 */
extern cs_status inbox_rows(inbox *ib, const inbox_row **rows, size_t *nrows);

#endif							/* CSSTATS_INBOX_H */
