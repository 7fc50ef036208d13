/*
 * timeline.c - the chat timeline state machine of metrics.md.
 *
 * Everything here works on an already prepared (sorted, as_of-cut) array of
 * items; see timeline.h.  The definitions, including the choices metrics.md
 * leaves open, are:
 *
 *  - A state event that repeats the current state (a second 'closed' without
 *    a reopen, an 'opened' while open, a duplicated event) is not effective:
 *    it changes nothing and is not counted.
 *  - Reply accounting: a customer message starts a pending question; a
 *    manager message while one is pending is a reply.  An effective 'closed'
 *    drops the pending question (the window ends).  Bot messages do nothing.
 *  - Chat level: the whole-history firstRepliedAt is the first manager
 *    message after the first customer message.  The window opens at each
 *    effective 'opened' (the last one wins) and ends at the first effective
 *    'closed' after it; a question pending when it opens counts from
 *    openedAt.  No 'opened' at all: window metrics NULL, counts included.
 *  - Case level: an effective queued/opened while no case is running starts
 *    case k, whose span begins right after the close that ended case k-1
 *    (item 0 for k = 1); the effective close ends it.  Items after the last
 *    close that no queued/opened follows belong to no case.
 *  - A snooze lasts from an effective 'snoozed' to the next effective state
 *    event, or to as_of while the case is open.
 *  - Attributes of a case are replayed over the items before the case's
 *    record ends: before the event that starts the next case and not later
 *    than closedAt + 1 hour (when the case becomes 'completed'), or up to
 *    as_of while the case is in progress.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE				/* qsort_r */
#endif

#include "timeline.h"

#include <stdlib.h>
#include <string.h>

#define SECS(us) ((double) (us) / 1e6)

static const struct
{
	const char *name;
	size_t		len;
	int			rank;
	int			kind;
}			kind_names[] =
{
#define K(name, rank, kind) {name, sizeof(name) - 1, rank, kind}
	K("user", TL_RANK_MESSAGE, TL_MSG_USER),
	K("manager", TL_RANK_MESSAGE, TL_MSG_MANAGER),
	K("bot", TL_RANK_MESSAGE, TL_MSG_BOT),
	K("queued", TL_RANK_EVENT, TL_QUEUED),
	K("opened", TL_RANK_EVENT, TL_OPENED),
	K("snoozed", TL_RANK_EVENT, TL_SNOOZED),
	K("closed", TL_RANK_EVENT, TL_CLOSED),
	K("missed", TL_RANK_EVENT, TL_MISSED),
	K("assigned", TL_RANK_EVENT, TL_ASSIGNED),
	K("team_assigned", TL_RANK_EVENT, TL_TEAM_ASSIGNED),
	K("tag_added", TL_RANK_EVENT, TL_TAG_ADDED),
	K("tag_removed", TL_RANK_EVENT, TL_TAG_REMOVED),
	K("follower_added", TL_RANK_EVENT, TL_FOLLOWER_ADDED),
	K("follower_removed", TL_RANK_EVENT, TL_FOLLOWER_REMOVED),
	K("priority_changed", TL_RANK_EVENT, TL_PRIORITY_CHANGED),
	K("profile_changed", TL_RANK_EVENT, TL_PROFILE_CHANGED),
	K("meet", TL_RANK_MEET, TL_MEET),
#undef K
};

int
tl_kind_from_name(const char *name, size_t len, int rank)
{
	for (size_t i = 0; i < sizeof(kind_names) / sizeof(kind_names[0]); i++)
	{
		if (kind_names[i].len == len && kind_names[i].rank == rank &&
			memcmp(kind_names[i].name, name, len) == 0)
			return kind_names[i].kind;
	}
	return -1;
}

const char *
tl_state_name(int kind)
{
	switch (kind)
	{
		case TL_QUEUED:
			return "queued";
		case TL_OPENED:
			return "open";
		case TL_SNOOZED:
			return "snoozed";
		case TL_CLOSED:
			return "closed";
		case TL_MISSED:
			return "missed";
		default:
			return NULL;
	}
}

/* bytewise comparison of two arena strings, shorter first on a common prefix */
static int
cmp_text(const char *arena, const tl_item *a, const tl_item *b)
{
	uint32_t	la = (a->flags & TL_F_HAS_TEXT) ? a->id_len : 0;
	uint32_t	lb = (b->flags & TL_F_HAS_TEXT) ? b->id_len : 0;
	int			c = 0;

	if (la > 0 && lb > 0)
		c = memcmp(arena + a->id_off, arena + b->id_off, la < lb ? la : lb);
	if (c != 0)
		return c;
	return (la > lb) - (la < lb);
}

/* timeline order: at, rank, then event_id (events) or id bytes, then kind */
static inline int
cmp_inline(const tl_item *a, const tl_item *b, const char *arena)
{
	int			c;

	if (a->at != b->at)
		return a->at < b->at ? -1 : 1;
	if (a->rank != b->rank)
		return a->rank < b->rank ? -1 : 1;
	if (a->rank == TL_RANK_EVENT)
	{
		if (a->event_id != b->event_id)
			return a->event_id < b->event_id ? -1 : 1;
	}
	else if ((c = cmp_text(arena, a, b)) != 0)
		return c;
	return (a->kind > b->kind) - (a->kind < b->kind);
}

int
tl_compare(const tl_item *a, const tl_item *b, const char *arena)
{
	return cmp_inline(a, b, arena);
}

static int
cmp_items(const void *pa, const void *pb, void *arg)
{
	return cmp_inline(pa, pb, arg);
}

/* more runs than this: the input is not "a few sorted sources"; use qsort */
#define TL_MAX_RUNS 64

void
tl_sort(tl_item *items, size_t n, const char *arena, tl_item *scratch)
{
	size_t		runs[TL_MAX_RUNS + 1];
	size_t		nruns = 1;
	tl_item    *src = items;
	tl_item    *dst = scratch;

	/* the ascending runs; rows usually arrive as one run per source table */
	runs[0] = 0;
	for (size_t i = 1; i < n; i++)
	{
		if (cmp_inline(&items[i - 1], &items[i], arena) <= 0)
			continue;
		if (nruns == TL_MAX_RUNS || scratch == NULL)
		{
			qsort_r(items, n, sizeof(tl_item), cmp_items, (void *) arena);
			return;
		}
		runs[nruns++] = i;
	}
	if (nruns == 1)
		return;
	runs[nruns] = n;

	/* merge neighbouring runs pairwise, ping-ponging between the buffers */
	while (nruns > 1)
	{
		size_t		k = 0;

		for (size_t r = 0; r < nruns; r += 2)
		{
			size_t		lo = runs[r];
			size_t		mid = runs[r + 1];
			size_t		hi = (r + 1 < nruns) ? runs[r + 2] : mid;
			size_t		i = lo,
						j = mid,
						o = lo;

			/* left first on ties: stable */
			while (i < mid && j < hi)
			{
				if (cmp_inline(&src[j], &src[i], arena) < 0)
					dst[o++] = src[j++];
				else
					dst[o++] = src[i++];
			}
			if (i < mid)
				memcpy(&dst[o], &src[i], (mid - i) * sizeof(tl_item));
			else if (j < hi)
				memcpy(&dst[o], &src[j], (hi - j) * sizeof(tl_item));
			runs[k++] = lo;		/* r/2 <= r: entries not yet read stay intact */
		}
		runs[k] = n;
		nruns = k;
		{
			tl_item    *t = src;

			src = dst;
			dst = t;
		}
	}
	if (src != items)
		memcpy(items, src, n * sizeof(tl_item));
}

size_t
tl_prepare(tl_item *items, size_t n, const char *arena, int64_t as_of,
		   tl_item *scratch)
{
	int			state = -1;
	size_t		kept;

	tl_sort(items, n, arena, scratch);

	/* items after as_of are ignored: they are a suffix once sorted */
	kept = n;
	while (kept > 0 && items[kept - 1].at > as_of)
		kept--;

	for (size_t i = 0; i < kept; i++)
	{
		tl_item    *it = &items[i];

		it->flags &= ~TL_F_EFFECTIVE;
		if (!tl_is_state_event(it->kind))
			continue;
		if (it->kind != state)
			it->flags |= TL_F_EFFECTIVE;
		state = it->kind;
	}
	return kept;
}

static inline bool
effective(const tl_item *it, int kind)
{
	return it->kind == kind && (it->flags & TL_F_EFFECTIVE);
}

static inline double
business(const tl_calendar *cal, int64_t since, int64_t until)
{
	if (until <= since)
		return 0.0;
	return cal->business_seconds(cal->arg, since, until);
}

void
tl_chat_compute(const tl_item *items, size_t n, const tl_chat_info *info,
				const tl_calendar *cal, tl_chat_metrics *out)
{
	bool		pending = false;
	int64_t		pending_start = 0;
	bool		has_window = false;
	bool		window_closed = false;
	int64_t		total_us = 0;

	out->first_asked_at = out->first_queued_at = out->first_opened_at = TL_NULL_TIME;
	out->first_replied_at = out->opened_at = TL_NULL_TIME;
	out->first_replied_at_after_open = out->closed_at = TL_NULL_TIME;
	out->reply_count = out->op_reply_count = 0;
	out->op_total_reply_time = 0.0;
	out->waiting_time = out->op_waiting_time = NAN;

	for (size_t i = 0; i < n; i++)
	{
		const tl_item *it = &items[i];

		switch (it->kind)
		{
			case TL_MSG_USER:
				if (out->first_asked_at == TL_NULL_TIME)
					out->first_asked_at = it->at;
				if (!pending)
				{
					pending = true;
					pending_start = it->at;
				}
				break;
			case TL_MSG_MANAGER:
				/* whole history: the first manager message after the first question */
				if (out->first_asked_at != TL_NULL_TIME &&
					out->first_replied_at == TL_NULL_TIME)
					out->first_replied_at = it->at;
				if (!pending)
					break;
				pending = false;
				if (has_window && !window_closed)
				{
					int64_t		start = pending_start > out->opened_at ? pending_start : out->opened_at;
					bool		first = (out->first_replied_at_after_open == TL_NULL_TIME);
					bool		operating = cal->is_operating(cal->arg, it->at);
					/* the calendar is the costly part: ask only when needed */
					double		bs = (first || operating) ? business(cal, start, it->at) : 0.0;

					out->reply_count++;
					total_us += it->at - start;
					if (first)
					{
						out->first_replied_at_after_open = it->at;
						out->waiting_time = SECS(it->at - start);
						out->op_waiting_time = bs;
					}
					if (operating)
					{
						out->op_reply_count++;
						out->op_total_reply_time += bs;
					}
				}
				break;
			case TL_QUEUED:
				if (effective(it, TL_QUEUED) && out->first_queued_at == TL_NULL_TIME)
					out->first_queued_at = it->at;
				break;
			case TL_OPENED:
				if (!effective(it, TL_OPENED))
					break;
				if (out->first_opened_at == TL_NULL_TIME)
					out->first_opened_at = it->at;
				/* a new latest period: everything of the previous one is dropped */
				has_window = true;
				window_closed = false;
				out->opened_at = it->at;
				out->closed_at = out->first_replied_at_after_open = TL_NULL_TIME;
				out->reply_count = out->op_reply_count = 0;
				total_us = 0;
				out->op_total_reply_time = 0.0;
				out->waiting_time = out->op_waiting_time = NAN;
				break;
			case TL_CLOSED:
				if (!effective(it, TL_CLOSED))
					break;
				pending = false;
				if (has_window && !window_closed)
				{
					window_closed = true;
					out->closed_at = it->at;
				}
				break;
			default:
				break;
		}
	}

	if (!has_window)
	{
		out->reply_count = out->op_reply_count = -1;
		out->total_reply_time = out->avg_reply_time = NAN;
		out->op_total_reply_time = out->op_avg_reply_time = NAN;
		out->resolution_time = out->op_resolution_time = NAN;
		return;
	}
	out->total_reply_time = SECS(total_us);
	out->avg_reply_time = out->reply_count > 0 ? SECS(total_us) / out->reply_count : NAN;
	out->op_avg_reply_time = out->op_reply_count > 0 ?
		out->op_total_reply_time / out->op_reply_count : NAN;
	if (window_closed)
	{
		out->resolution_time = SECS(out->closed_at - out->opened_at);
		out->op_resolution_time = business(cal, out->opened_at, out->closed_at);
	}
	else
		out->resolution_time = out->op_resolution_time = NAN;
}

size_t
tl_case_count(const tl_item *items, size_t n)
{
	bool		in_case = false;
	size_t		count = 0;

	for (size_t i = 0; i < n; i++)
	{
		const tl_item *it = &items[i];

		if (!in_case && (effective(it, TL_QUEUED) || effective(it, TL_OPENED)))
		{
			in_case = true;
			count++;
		}
		else if (in_case && effective(it, TL_CLOSED))
			in_case = false;
	}
	return count;
}

/* does this item change the case it is in (for userChatCaseUpdatedAt)? */
static bool
changes_case(const tl_item *it)
{
	switch (it->kind)
	{
		case TL_MSG_USER:
		case TL_MSG_MANAGER:
			return true;
		case TL_MSG_BOT:
			return false;
		case TL_MEET:
			return (it->flags & TL_F_MISSED) != 0;
		default:
			if (tl_is_state_event(it->kind))
				return (it->flags & TL_F_EFFECTIVE) != 0;
			return true;		/* attribute events */
	}
}

static inline int64_t
min_time(int64_t a, int64_t b)
{
	if (a == TL_NULL_TIME)
		return b;
	if (b == TL_NULL_TIME)
		return a;
	return a < b ? a : b;
}

/* metrics of one case over items [c->begin, c->end); close_idx or -1 */
static void
compute_case(const tl_item *items, tl_case_metrics *c, int64_t close_idx,
			 const tl_chat_info *info, const tl_calendar *cal)
{
	bool		pending = false;
	int64_t		pending_start = 0;
	int64_t		total_us = 0;
	bool		snoozing = false;
	int64_t		snooze_start = 0;
	int64_t		snoozed_us = 0;
	double		op_snoozed = 0.0;
	int64_t		start;

	c->first_queued_at = c->first_opened_at = c->first_asked_at = TL_NULL_TIME;
	c->first_replied_at = c->closed_at = TL_NULL_TIME;
	c->reply_count = c->op_reply_count = c->snoozed_count = c->missed_count = 0;
	c->op_total_reply_time = 0.0;

	for (size_t i = c->begin; i < c->end; i++)
	{
		const tl_item *it = &items[i];

		if (tl_is_state_event(it->kind))
		{
			if (!(it->flags & TL_F_EFFECTIVE))
				continue;
			if (snoozing && it->kind != TL_SNOOZED)
			{
				snoozed_us += it->at - snooze_start;
				op_snoozed += business(cal, snooze_start, it->at);
				snoozing = false;
			}
		}
		switch (it->kind)
		{
			case TL_MSG_USER:
				if (c->first_asked_at == TL_NULL_TIME)
					c->first_asked_at = it->at;
				if (!pending)
				{
					pending = true;
					pending_start = it->at;
				}
				break;
			case TL_MSG_MANAGER:
				if (!pending)
					break;
				pending = false;
				c->reply_count++;
				total_us += it->at - pending_start;
				if (c->first_replied_at == TL_NULL_TIME)
					c->first_replied_at = it->at;
				if (cal->is_operating(cal->arg, it->at))
				{
					c->op_reply_count++;
					c->op_total_reply_time += business(cal, pending_start, it->at);
				}
				break;
			case TL_QUEUED:
				if (c->first_queued_at == TL_NULL_TIME)
					c->first_queued_at = it->at;
				break;
			case TL_OPENED:
				if (c->first_opened_at == TL_NULL_TIME)
					c->first_opened_at = it->at;
				break;
			case TL_SNOOZED:
				snoozing = true;
				snooze_start = it->at;
				c->snoozed_count++;
				break;
			case TL_CLOSED:
				pending = false;
				if ((int64_t) i == close_idx)
					c->closed_at = it->at;
				break;
			case TL_MISSED:
				c->missed_count++;
				break;
			case TL_MEET:
				if (it->flags & TL_F_MISSED)
					c->missed_count++;
				break;
			default:
				break;
		}
	}
	/* an open snooze of a running case counts up to as_of */
	if (snoozing)
	{
		snoozed_us += info->as_of - snooze_start;
		op_snoozed += business(cal, snooze_start, info->as_of);
	}

	if (info->is_call)
		c->first_replied_at = TL_NULL_TIME;
	if (info->is_call && info->is_inbound)
		c->first_asked_at = c->first_opened_at;

	c->created_at = min_time(c->first_queued_at, c->first_opened_at);
	c->total_reply_time = SECS(total_us);
	c->avg_reply_time = c->reply_count > 0 ? SECS(total_us) / c->reply_count : NAN;
	c->op_avg_reply_time = c->op_reply_count > 0 ?
		c->op_total_reply_time / c->op_reply_count : NAN;

	start = min_time(min_time(c->first_opened_at, c->first_queued_at), c->first_asked_at);
	if (c->first_replied_at != TL_NULL_TIME && start != TL_NULL_TIME)
	{
		c->waiting_time = SECS(c->first_replied_at - start);
		c->op_waiting_time = business(cal, start, c->first_replied_at);
	}
	else
		c->waiting_time = c->op_waiting_time = NAN;

	c->total_snoozed_time = SECS(snoozed_us);
	if (c->closed_at != TL_NULL_TIME && c->first_opened_at != TL_NULL_TIME)
	{
		c->resolution_time = SECS(c->closed_at - c->first_opened_at);
		c->lead_time = c->resolution_time - c->total_snoozed_time;
		c->op_resolution_time = business(cal, c->first_opened_at, c->closed_at);
		c->op_lead_time = c->op_resolution_time - op_snoozed;
	}
	else
		c->resolution_time = c->lead_time = c->op_resolution_time = c->op_lead_time = NAN;
}

void
tl_case_compute(const tl_item *items, size_t n, const tl_chat_info *info,
				const tl_calendar *cal, tl_case_metrics *out)
{
	size_t		ncases = 0;
	size_t		seg_start = 0;
	bool		in_case = false;
	size_t		k;

	/* pass 1: spans.  begin = segment start, end = after the closing event */
	for (size_t i = 0; i < n; i++)
	{
		const tl_item *it = &items[i];

		if (!in_case && (effective(it, TL_QUEUED) || effective(it, TL_OPENED)))
		{
			tl_case_metrics *c = &out[ncases++];

			memset(c, 0, sizeof(*c));
			c->number = (int32_t) ncases;
			c->begin = seg_start;
			c->end = n;
			c->attr_end = i;	/* provisional: start index, fixed below */
			in_case = true;
		}
		else if (in_case && effective(it, TL_CLOSED))
		{
			out[ncases - 1].end = i + 1;
			seg_start = i + 1;
			in_case = false;
		}
	}

	for (k = 0; k < ncases; k++)
	{
		tl_case_metrics *c = &out[k];
		/* every case but a still running last one ends with its close */
		bool		closed = (k + 1 < ncases) || !in_case;
		int64_t		close_idx = closed ? (int64_t) (c->end - 1) : -1;
		size_t		limit;

		compute_case(items, c, close_idx, info, cal);

		/* completed: the next case started, or an hour has passed since the close */
		c->completed = (k + 1 < ncases) ||
			(closed && c->closed_at <= info->as_of - TL_COMPLETE_AFTER);

		/* the record ends at the next case's start event, at most 1 h after the close */
		if (!closed)
			limit = n;
		else
		{
			limit = (k + 1 < ncases) ? out[k + 1].attr_end : n;
			for (size_t i = c->end; i < limit; i++)
			{
				if (items[i].at > c->closed_at + TL_COMPLETE_AFTER)
				{
					limit = i;
					break;
				}
			}
		}
		/* out[k+1].attr_end still holds its start index: read before overwritten */
		c->attr_end = limit;
	}

	/* replay indices and updatedAt */
	for (k = 0; k < ncases; k++)
	{
		tl_case_metrics *c = &out[k];

		c->last_state = c->last_assigned = c->last_team = c->last_priority = -1;
		c->updated_at = TL_NULL_TIME;
		for (size_t i = 0; i < c->attr_end; i++)
		{
			const tl_item *it = &items[i];

			if (tl_is_state_event(it->kind) && (it->flags & TL_F_EFFECTIVE))
				c->last_state = (int64_t) i;
			else if (it->kind == TL_ASSIGNED)
				c->last_assigned = (int64_t) i;
			else if (it->kind == TL_TEAM_ASSIGNED)
				c->last_team = (int64_t) i;
			else if (it->kind == TL_PRIORITY_CHANGED)
				c->last_priority = (int64_t) i;

			if (i >= c->begin && changes_case(it) &&
				(i < c->end || (it->kind >= TL_ASSIGNED && it->kind <= TL_PROFILE_CHANGED)))
				c->updated_at = it->at;
		}
	}
}

size_t
tl_replay_set(const tl_item *items, size_t end, const char *arena,
			  int add_kind, int remove_kind, size_t *out)
{
	size_t		count = 0;

	for (size_t i = 0; i < end; i++)
	{
		const tl_item *it = &items[i];
		size_t		j;

		if (it->kind != add_kind && it->kind != remove_kind)
			continue;
		for (j = 0; j < count; j++)
			if (cmp_text(arena, &items[out[j]], it) == 0)
				break;
		if (it->kind == add_kind && j == count)
			out[count++] = i;
		else if (it->kind == remove_kind && j < count)
		{
			memmove(&out[j], &out[j + 1], (count - j - 1) * sizeof(size_t));
			count--;
		}
	}
	/* insertion sort by value: sets are small (at most 8 tags) */
	for (size_t i = 1; i < count; i++)
	{
		size_t		v = out[i];
		size_t		j = i;

		while (j > 0 && cmp_text(arena, &items[out[j - 1]], &items[v]) > 0)
		{
			out[j] = out[j - 1];
			j--;
		}
		out[j] = v;
	}
	return count;
}
