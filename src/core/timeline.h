/*
 * timeline.h - the chat timeline state machine of metrics.md.
 *
 * A chat's timeline is its chat_events, meets and messages.  The caller fills
 * an array of tl_item (one per row), calls tl_prepare() once (sort, drop the
 * items after as_of, mark which state events change the state), then asks for
 * the chat-level metrics (tl_chat_compute) and/or the cases
 * (tl_case_count + tl_case_compute).
 *
 * Times are int64 microseconds since 2000-01-01 UTC (PostgreSQL TimestampTz).
 * Durations in the results are seconds (double).  NULL is TL_NULL_TIME for a
 * time, NAN for a duration (tl_isnull) and -1 for a count.
 *
 * Operating hours come in through tl_calendar callbacks so the core needs no
 * calendar of its own (the unit tests pass a fake one).
 *
 * No allocation (callers pass scratch space), no PostgreSQL headers.
 */
#ifndef CS_CORE_TIMELINE_H
#define CS_CORE_TIMELINE_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TL_NULL_TIME INT64_MIN
#define TL_USECS_PER_SEC INT64_C(1000000)
/* a closed case becomes 'completed' this long after its close */
#define TL_COMPLETE_AFTER (INT64_C(3600) * TL_USECS_PER_SEC)

/* what a timeline item is */
typedef enum tl_kind
{
	TL_MSG_USER = 0,			/* customer message */
	TL_MSG_MANAGER,
	TL_MSG_BOT,
	TL_QUEUED,					/* state events */
	TL_OPENED,
	TL_SNOOZED,
	TL_CLOSED,
	TL_MISSED,
	TL_ASSIGNED,				/* attribute events: value in id_off/id_len */
	TL_TEAM_ASSIGNED,
	TL_TAG_ADDED,
	TL_TAG_REMOVED,
	TL_FOLLOWER_ADDED,
	TL_FOLLOWER_REMOVED,
	TL_PRIORITY_CHANGED,
	TL_PROFILE_CHANGED,
	TL_MEET,					/* a call or front meet; TL_F_MISSED if missed */
	TL_NKINDS
} tl_kind;

/* order of items at the same instant (the view's seq column) */
typedef enum tl_rank
{
	TL_RANK_EVENT = 1,
	TL_RANK_MEET = 2,
	TL_RANK_MESSAGE = 3
} tl_rank;

/* tl_item.flags */
#define TL_F_HAS_TEXT	0x01	/* id_off/id_len name a string of the arena */
#define TL_F_MISSED		0x02	/* meet with a missed_reason */
#define TL_F_EFFECTIVE	0x04	/* set by tl_prepare: state event that changed the state */

/*
 * One timeline row.  For meets and messages the text is the row id (the tie
 * breaker, compared bytewise); for events it is the event's value (events
 * are ordered by event_id).  Strings live in a caller-owned arena, referenced
 * by offset so the arena may grow (move) while items are added.
 */
typedef struct tl_item
{
	int64_t		at;
	int64_t		event_id;
	uint32_t	id_off;
	uint32_t	id_len;
	uint8_t		kind;			/* tl_kind */
	uint8_t		rank;			/* tl_rank */
	uint8_t		flags;
} tl_item;

/* operating hours: business seconds of [since, until) and "open at t?" */
typedef struct tl_calendar
{
	double		(*business_seconds) (void *arg, int64_t since, int64_t until);
	bool		(*is_operating) (void *arg, int64_t at);
	void	   *arg;
} tl_calendar;

/* what the state machine needs to know about the chat itself */
typedef struct tl_chat_info
{
	int64_t		created_at;		/* TL_NULL_TIME when unknown */
	bool		is_call;		/* medium phoneNumber */
	bool		is_inbound;		/* direction inbound */
	int64_t		as_of;			/* finite */
} tl_chat_info;

/* chat level: the latest open period (window) plus whole-history columns */
typedef struct tl_chat_metrics
{
	int64_t		first_asked_at;
	int64_t		first_queued_at;
	int64_t		first_opened_at;
	int64_t		first_replied_at;
	int64_t		opened_at;
	int64_t		first_replied_at_after_open;
	int64_t		closed_at;
	double		waiting_time;
	double		avg_reply_time;
	double		total_reply_time;
	int32_t		reply_count;
	double		resolution_time;
	double		op_waiting_time;
	double		op_avg_reply_time;
	double		op_total_reply_time;
	int32_t		op_reply_count;
	double		op_resolution_time;
} tl_chat_metrics;

/* case level: one per case */
typedef struct tl_case_metrics
{
	int32_t		number;			/* k, 1-based */
	size_t		begin;			/* items [begin, end) are the case's span */
	size_t		end;
	size_t		attr_end;		/* attributes are replayed over items [0, attr_end) */
	bool		completed;
	int64_t		created_at;
	int64_t		updated_at;
	int64_t		first_queued_at;
	int64_t		first_opened_at;
	int64_t		first_asked_at;
	int64_t		first_replied_at;
	int64_t		closed_at;
	double		waiting_time;
	double		total_reply_time;
	int32_t		reply_count;
	double		avg_reply_time;
	double		resolution_time;
	double		total_snoozed_time;
	double		lead_time;
	int32_t		snoozed_count;
	int32_t		missed_count;
	double		op_waiting_time;
	int32_t		op_reply_count;
	double		op_total_reply_time;
	double		op_avg_reply_time;
	double		op_resolution_time;
	double		op_lead_time;
	/* replay: index of the last item of each kind in [0, attr_end), or -1 */
	int64_t		last_state;		/* last effective state event */
	int64_t		last_assigned;
	int64_t		last_team;
	int64_t		last_priority;
} tl_case_metrics;

static inline bool
tl_isnull(double d)
{
	return isnan(d);
}

/* true for queued/opened/snoozed/closed/missed */
static inline bool
tl_is_state_event(int kind)
{
	return kind >= TL_QUEUED && kind <= TL_MISSED;
}

/* kind name as in chat_events.kind / messages.person_type; -1 if unknown */
int			tl_kind_from_name(const char *name, size_t len, int rank);

/* the user_chats.state value a state event leads to ("open" for opened) */
const char *tl_state_name(int kind);

/*
 * Sort (at, rank, event_id or id bytes, kind), drop the items after as_of,
 * and set TL_F_EFFECTIVE on state events that change the state (a state
 * event repeating the current state is a duplicate).  Returns the number of
 * items kept (a prefix of the array).  scratch (room for n items, or NULL)
 * lets the sort merge the sorted runs the rows usually arrive in.
 */
size_t		tl_prepare(tl_item *items, size_t n, const char *arena, int64_t as_of,
					   tl_item *scratch);

/*
 * Sort items in timeline order.  Input made of a few ascending runs (one per
 * source table, or per parallel worker) is merged in linear passes through
 * scratch (room for n items); many runs, or no scratch, fall back to qsort.
 * Stable.
 */
void		tl_sort(tl_item *items, size_t n, const char *arena, tl_item *scratch);

/* three-way timeline order of two items (the order tl_sort produces) */
int			tl_compare(const tl_item *a, const tl_item *b, const char *arena);

/* chat-level metrics over prepared items */
void		tl_chat_compute(const tl_item *items, size_t n, const tl_chat_info *info,
							const tl_calendar *cal, tl_chat_metrics *out);

/* number of cases in prepared items */
size_t		tl_case_count(const tl_item *items, size_t n);

/* fill out[0 .. tl_case_count()-1] */
void		tl_case_compute(const tl_item *items, size_t n, const tl_chat_info *info,
							const tl_calendar *cal, tl_case_metrics *out);

/*
 * Replay a set (tags: TL_TAG_ADDED/TL_TAG_REMOVED, followers:
 * TL_FOLLOWER_ADDED/TL_FOLLOWER_REMOVED) over items [0, end).  Writes the
 * indices of the adding events whose values are in the set, sorted by value
 * (bytewise), to out (room for end entries) and returns how many.
 */
size_t		tl_replay_set(const tl_item *items, size_t end, const char *arena,
						  int add_kind, int remove_kind, size_t *out);

#endif							/* CS_CORE_TIMELINE_H */
