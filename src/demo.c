/*-------------------------------------------------------------------------
 *
 * demo.c
 *	  SQL glue of the demo data generator (src/core/demo_gen.c).
 *
 * csstats._demo_rows(table, ...) streams the generated rows of one input
 * table; csstats.generate_demo() (SQL) creates the reference data and then
 * runs INSERT ... SELECT over this function once per conversation table.
 * Because every chat is generated from (seed, chat number) alone, each table
 * is produced independently and the rows agree across tables.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "demo_gen.h"

typedef enum DemoTable
{
	DEMO_USER_CHATS,
	DEMO_MESSAGES,
	DEMO_CHAT_EVENTS,
	DEMO_MEETS,
	DEMO_WORKFLOW_RUNS,
	DEMO_SUPPORT_BOT_RUNS
} DemoTable;

/* column types each table's output must have, in order */
static const Oid user_chats_types[] = {
	TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID,
	TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTARRAYOID,
	TEXTARRAYOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TIMESTAMPTZOID, TEXTOID,
	TIMESTAMPTZOID, TIMESTAMPTZOID
};
static const Oid messages_types[] = {
	TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TIMESTAMPTZOID, TEXTOID
};
static const Oid events_types[] = {
	TEXTOID, TEXTOID, TIMESTAMPTZOID, TEXTOID, TEXTOID, TEXTOID
};
static const Oid meets_types[] = {
	TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TIMESTAMPTZOID, TIMESTAMPTZOID,
	TIMESTAMPTZOID, TEXTOID, TEXTOID, TEXTOID, FLOAT8OID, TEXTOID, TEXTOID
};
static const Oid runs_types[] = {
	TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTARRAYOID, TEXTOID
};

static const struct
{
	const char *name;
	const Oid  *types;
	int			ntypes;
}			demo_tables[] = {
	[DEMO_USER_CHATS] = {"user_chats", user_chats_types, lengthof(user_chats_types)},
	[DEMO_MESSAGES] = {"messages", messages_types, lengthof(messages_types)},
	[DEMO_CHAT_EVENTS] = {"chat_events", events_types, lengthof(events_types)},
	[DEMO_MEETS] = {"meets", meets_types, lengthof(meets_types)},
	[DEMO_WORKFLOW_RUNS] = {"workflow_runs", runs_types, lengthof(runs_types)},
	[DEMO_SUPPORT_BOT_RUNS] = {"support_bot_runs", runs_types, lengthof(runs_types) - 1},
};

static inline Datum
TextOrNull(const char *s, bool *isnull)
{
	*isnull = (s == NULL);
	return s ? CStringGetTextDatum(s) : (Datum) 0;
}

static inline Datum
TimeOrNull(int64_t t, bool *isnull)
{
	*isnull = (t == 0);
	return TimestampTzGetDatum((TimestampTz) t);
}

static Datum
TextArray(const char *const *v, int n)
{
	Datum	   *d = palloc(sizeof(Datum) * (n > 0 ? n : 1));

	for (int i = 0; i < n; i++)
		d[i] = CStringGetTextDatum(v[i]);
	return PointerGetDatum(construct_array(d, n, TEXTOID, -1, false, TYPALIGN_INT));
}

/* Free the generator's malloc'd buffers even when the query errors out. */
static void
DemoChatCleanup(void *arg)
{
	dg_chat_free((dg_chat *) arg);
}

/*
 * csstats_demo_rows
 *		csstats._demo_rows(tbl, channel_id, chats, seed, users, managers, teams,
 *		bots, marketing, workflows, support_bots, tags, start, span_days,
 *		utc_offset_s) returns the generated rows of one table, for the caller's
 *		column definition list (the column types are checked).
 */
PG_FUNCTION_INFO_V1(csstats_demo_rows);
Datum
csstats_demo_rows(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *tbl = text_to_cstring(PG_GETARG_TEXT_PP(0));
	text	   *channel = PG_GETARG_TEXT_PP(1);
	dg_config	cfg;
	DemoTable	which = DEMO_USER_CHATS;
	bool		found = false;
	ArrayType  *tagarr = PG_GETARG_ARRAYTYPE_P(11);
	Datum	   *tagdatums;
	int			ntags;
	const char **tags;
	TupleDesc	tupdesc;
	Tuplestorestate *ts;
	dg_chat    *chat;
	MemoryContextCallback *cb;
	MemoryContext rowcxt,
				oldcxt;
	Datum		values[32];
	bool		nulls[32];
	Datum		chan = PointerGetDatum(channel);

	for (int i = 0; i < (int) lengthof(demo_tables); i++)
		if (strcmp(tbl, demo_tables[i].name) == 0)
		{
			which = (DemoTable) i;
			found = true;
		}
	if (!found)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown demo table \"%s\"", tbl)));

	memset(&cfg, 0, sizeof(cfg));
	cfg.chats = PG_GETARG_INT32(2);
	cfg.seed = (uint64_t) (uint32) PG_GETARG_INT32(3);
	cfg.users = PG_GETARG_INT32(4);
	cfg.managers = PG_GETARG_INT32(5);
	cfg.teams = PG_GETARG_INT32(6);
	cfg.bots = PG_GETARG_INT32(7);
	cfg.marketing = PG_GETARG_INT32(8);
	cfg.workflows = PG_GETARG_INT32(9);
	cfg.support_bots = PG_GETARG_INT32(10);
	cfg.start_us = PG_GETARG_TIMESTAMPTZ(12);
	cfg.span_days = PG_GETARG_INT32(13);
	cfg.utc_offset_s = PG_GETARG_INT32(14);
	if (cfg.chats < 0 || cfg.users < 1 || cfg.managers < 1 || cfg.bots < 1 || cfg.span_days < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid demo generator configuration")));

	deconstruct_array(tagarr, TEXTOID, -1, false, TYPALIGN_INT, &tagdatums, NULL, &ntags);
	tags = palloc(sizeof(char *) * (ntags + 1));
	for (int i = 0; i < ntags; i++)
		tags[i] = TextDatumGetCString(tagdatums[i]);
	cfg.tags = tags;
	cfg.ntags = ntags;

	InitMaterializedSRF(fcinfo, 0);
	tupdesc = rsinfo->setDesc;
	ts = rsinfo->setResult;
	if (tupdesc->natts != demo_tables[which].ntypes)
		elog(ERROR, "demo table %s needs %d columns, got %d", tbl, demo_tables[which].ntypes, tupdesc->natts);
	for (int i = 0; i < tupdesc->natts; i++)
		if (TupleDescAttr(tupdesc, i)->atttypid != demo_tables[which].types[i])
			elog(ERROR, "demo table %s: column %d has the wrong type", tbl, i + 1);

	chat = palloc0(sizeof(dg_chat));
	dg_chat_init(chat);
	cb = palloc0(sizeof(MemoryContextCallback));
	cb->func = DemoChatCleanup;
	cb->arg = chat;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, cb);

	rowcxt = AllocSetContextCreate(CurrentMemoryContext, "csstats demo rows", ALLOCSET_DEFAULT_SIZES);
	for (int n = 0; n < cfg.chats; n++)
	{
		CHECK_FOR_INTERRUPTS();
		if (!dg_generate(&cfg, n, chat))
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory generating demo data")));
		oldcxt = MemoryContextSwitchTo(rowcxt);
		switch (which)
		{
			case DEMO_USER_CHATS:
				{
					int			i = 0;

					memset(nulls, 0, sizeof(nulls));
					values[i++] = chan;
					values[i++] = CStringGetTextDatum(chat->id);
					values[i] = TextOrNull(chat->user_id, &nulls[i]), i++;
					values[i] = TextOrNull(chat->name, &nulls[i]), i++;
					values[i] = TextOrNull(chat->description, &nulls[i]), i++;
					values[i] = TextOrNull(chat->summarized_message, &nulls[i]), i++;
					values[i] = TextOrNull(chat->state, &nulls[i]), i++;
					values[i] = TextOrNull(chat->direction, &nulls[i]), i++;
					values[i] = TextOrNull(chat->medium_name, &nulls[i]), i++;
					values[i] = TextOrNull(chat->medium_sender_name, &nulls[i]), i++;
					values[i] = TextOrNull(chat->marketing_type, &nulls[i]), i++;
					values[i] = TextOrNull(chat->marketing_id, &nulls[i]), i++;
					values[i] = TextOrNull(chat->workflow_id, &nulls[i]), i++;
					values[i] = TextOrNull(chat->support_bot_id, &nulls[i]), i++;
					values[i] = TextOrNull(chat->assignee_id, &nulls[i]), i++;
					values[i] = TextOrNull(chat->team_id, &nulls[i]), i++;
					values[i++] = TextArray(chat->followers, chat->nfollowers);
					values[i++] = TextArray(chat->tags, chat->ntags);
					values[i] = TextOrNull(chat->priority, &nulls[i]), i++;
					values[i] = TextOrNull(chat->page, &nulls[i]), i++;
					values[i] = TextOrNull(chat->goal_state, &nulls[i]), i++;
					values[i] = TextOrNull(chat->goal_event_name, &nulls[i]), i++;
					values[i] = TimeOrNull(chat->goal_checked_at, &nulls[i]), i++;
					values[i] = TextOrNull(chat->profile_json, &nulls[i]), i++;
					values[i] = TimeOrNull(chat->created_at, &nulls[i]), i++;
					values[i] = TimeOrNull(chat->updated_at, &nulls[i]), i++;
					Assert(i == tupdesc->natts);
					tuplestore_putvalues(ts, tupdesc, values, nulls);
					break;
				}
			case DEMO_MESSAGES:
				for (int m = 0; m < chat->nmessages; m++)
				{
					const dg_message *msg = &chat->messages[m];
					char		idbuf[48];

					memset(nulls, 0, sizeof(nulls));
					snprintf(idbuf, sizeof(idbuf), "%s-m%04d", chat->id, m + 1);
					values[0] = chan;
					values[1] = CStringGetTextDatum(idbuf);
					values[2] = CStringGetTextDatum(chat->id);
					values[3] = CStringGetTextDatum(msg->person_type == 'u' ? "user" :
													msg->person_type == 'm' ? "manager" : "bot");
					values[4] = TextOrNull(msg->person_id, &nulls[4]);
					values[5] = TimestampTzGetDatum((TimestampTz) msg->at);
					values[6] = TextOrNull(msg->text, &nulls[6]);
					tuplestore_putvalues(ts, tupdesc, values, nulls);
				}
				break;
			case DEMO_CHAT_EVENTS:
				for (int e = 0; e < chat->nevents; e++)
				{
					const dg_event *ev = &chat->events[e];

					memset(nulls, 0, sizeof(nulls));
					values[0] = chan;
					values[1] = CStringGetTextDatum(chat->id);
					values[2] = TimestampTzGetDatum((TimestampTz) ev->at);
					values[3] = CStringGetTextDatum(ev->kind);
					values[4] = TextOrNull(ev->actor_id, &nulls[4]);
					values[5] = TextOrNull(ev->value, &nulls[5]);
					tuplestore_putvalues(ts, tupdesc, values, nulls);
				}
				break;
			case DEMO_MEETS:
				for (int m = 0; m < chat->nmeets; m++)
				{
					const dg_meet *mt = &chat->meets[m];

					memset(nulls, 0, sizeof(nulls));
					values[0] = chan;
					values[1] = CStringGetTextDatum(mt->id);
					values[2] = CStringGetTextDatum(chat->id);
					values[3] = CStringGetTextDatum("call");
					values[4] = TextOrNull(mt->direction, &nulls[4]);
					values[5] = TimeOrNull(mt->started_at, &nulls[5]);
					values[6] = TimeOrNull(mt->engaged_at, &nulls[6]);
					values[7] = TimeOrNull(mt->ended_at, &nulls[7]);
					values[8] = TextOrNull(mt->from_number, &nulls[8]);
					values[9] = TextOrNull(mt->to_number, &nulls[9]);
					values[10] = TextOrNull(mt->missed_reason, &nulls[10]);
					values[11] = Float8GetDatum(mt->duration);
					values[12] = TextOrNull(mt->to_number, &nulls[12]);
					values[13] = TextOrNull("+82-1588-0000", &nulls[13]);
					tuplestore_putvalues(ts, tupdesc, values, nulls);
				}
				break;
			case DEMO_WORKFLOW_RUNS:
			case DEMO_SUPPORT_BOT_RUNS:
				{
					const dg_run *runs = which == DEMO_WORKFLOW_RUNS ? chat->workflow_runs : chat->support_bot_runs;
					int			nruns = which == DEMO_WORKFLOW_RUNS ? chat->nworkflow_runs : chat->nsupport_bot_runs;

					for (int w = 0; w < nruns; w++)
					{
						memset(nulls, 0, sizeof(nulls));
						values[0] = chan;
						values[1] = CStringGetTextDatum(chat->id);
						values[2] = CStringGetTextDatum(runs[w].id);
						values[3] = TextOrNull(runs[w].revision_id, &nulls[3]);
						values[4] = TextArray(runs[w].section_path, runs[w].nsections);
						if (which == DEMO_WORKFLOW_RUNS)
							values[5] = TextOrNull(runs[w].cause_of_end, &nulls[5]);
						tuplestore_putvalues(ts, tupdesc, values, nulls);
					}
					break;
				}
		}
		MemoryContextSwitchTo(oldcxt);
		MemoryContextReset(rowcxt);
	}
	return (Datum) 0;
}
