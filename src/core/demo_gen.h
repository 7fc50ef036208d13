/*
 * demo_gen.h
 *	  Deterministic generator of realistic demo conversations (pure C).
 *
 * One call builds one chat: its user_chats row and every message, event,
 * meet, workflow run and support-bot run, from (seed, chat number) alone, so
 * any table can be produced independently and in any order, and the same
 * seed always gives the same rows.  Times are int64 microseconds since
 * 2000-01-01 00:00 UTC (PostgreSQL TimestampTz).
 */
#ifndef CSSTATS_DEMO_GEN_H
#define CSSTATS_DEMO_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Sizes of the reference data the SQL side created for the channel. */
typedef struct dg_config
{
	uint64_t	seed;
	int			chats;
	int			users;
	int			managers;
	int			teams;
	int			bots;
	int			marketing;
	int			workflows;
	int			support_bots;
	int64_t		start_us;		/* first possible chat creation (UTC) */
	int			span_days;		/* chats are spread over this many days */
	int			utc_offset_s;	/* local offset used for business-hour realism */
	int			ntags;
	const char *const *tags;	/* tag names (hierarchical, '/'-separated) */
} dg_config;

typedef struct dg_message
{
	int64_t		at;
	char		person_type;	/* 'u' user, 'm' manager, 'b' bot */
	const char *person_id;
	const char *text;
} dg_message;

typedef struct dg_event
{
	int64_t		at;
	const char *kind;
	const char *actor_id;		/* may be NULL */
	const char *value;			/* may be NULL */
} dg_event;

typedef struct dg_meet
{
	const char *id;
	int64_t		started_at;
	int64_t		engaged_at;		/* 0 = NULL */
	int64_t		ended_at;
	const char *direction;
	const char *missed_reason;	/* NULL when answered */
	double		duration;
	const char *from_number;
	const char *to_number;
} dg_meet;

typedef struct dg_run
{
	const char *id;				/* workflow or support bot id */
	const char *revision_id;
	const char *section_path[4];
	int			nsections;
	const char *cause_of_end;	/* workflows only; may be NULL */
} dg_run;

/* One generated chat; all strings live in its arena until the next dg_generate. */
typedef struct dg_chat
{
	char		id[24];
	const char *user_id;
	const char *name;
	const char *description;
	const char *summarized_message;
	const char *state;
	const char *direction;
	const char *medium_name;
	const char *medium_sender_name;
	const char *marketing_type;
	const char *marketing_id;
	const char *workflow_id;
	const char *support_bot_id;
	const char *assignee_id;
	const char *team_id;
	const char *followers[8];
	int			nfollowers;
	const char *tags[8];
	int			ntags;
	const char *priority;
	const char *page;
	const char *goal_state;
	const char *goal_event_name;
	int64_t		goal_checked_at;	/* 0 = NULL */
	const char *profile_json;	/* current chat profile, a JSON object */
	int64_t		created_at;
	int64_t		updated_at;

	dg_message *messages;
	int			nmessages;
	dg_event   *events;
	int			nevents;
	dg_meet		meets[4];
	int			nmeets;
	dg_run		workflow_runs[2];
	int			nworkflow_runs;
	dg_run		support_bot_runs[1];
	int			nsupport_bot_runs;

	/* private */
	int			cap_messages;
	int			cap_events;
	char	   *arena;
	size_t		arena_used;
	size_t		arena_cap;
	bool		arena_full;
} dg_chat;

/* Initialise/free a reusable chat buffer (heap memory via malloc). */
extern void dg_chat_init(dg_chat *c);
extern void dg_chat_free(dg_chat *c);

/*
 * Generate chat number n (0-based) of the configuration into c.  Returns
 * false only when memory runs out.
 */
extern bool dg_generate(const dg_config *cfg, int n, dg_chat *c);

/* Deterministic 64-bit mixing shared with the SQL side's id choices. */
extern uint64_t dg_mix(uint64_t a, uint64_t b);

#endif							/* CSSTATS_DEMO_GEN_H */
