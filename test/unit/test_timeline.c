/*
 * Unit tests for src/core/timeline.c: metrics.md Examples A and B verbatim
 * at chat and case level (case states as of 10:30 and 11:00), and every
 * messy-data rule: items out of order, equal timestamps, duplicate events, no
 * messages, never opened, closed twice, snoozed and never reopened, items
 * after as_of, calls, missed counts, attribute replay cut-offs.
 *
 * The calendar is a fake: Monday-Friday 09:00-18:00 at a fixed UTC+9 offset,
 * which is what ch1 (Asia/Seoul, no DST) is in March 2025.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "timeline.h"

#define SEC INT64_C(1000000)
/* 2025-03-03 00:00 KST (a Monday) in microseconds since 2000-01-01 UTC */
#define MON0 (INT64_C(794242800) * SEC)
#define TZ_OFFSET (9 * 3600 * SEC)
#define DAY (86400 * SEC)

/* local time on Monday + day, KST */
static int64_t
T(int day, int hh, int mm, int ss)
{
	return MON0 + day * DAY + ((int64_t) hh * 3600 + mm * 60 + ss) * SEC;
}

/* ---- the fake calendar ---- */

static bool
FakeOperating(void *arg, int64_t at)
{
	int64_t		local = at + TZ_OFFSET;
	int64_t		day = local >= 0 ? local / DAY : (local - DAY + 1) / DAY;
	int64_t		sod = local - day * DAY;
	int			dow = (int) ((day + 6) % 7);	/* 2000-01-01 was a Saturday */

	(void) arg;
	return dow >= 1 && dow <= 5 && sod >= 9 * 3600 * SEC && sod < 18 * 3600 * SEC;
}

static double
FakeBusiness(void *arg, int64_t since, int64_t until)
{
	int64_t		total = 0;
	int64_t		day;

	(void) arg;
	if (until <= since)
		return 0.0;
	for (day = (since + TZ_OFFSET) / DAY - 1; day * DAY - TZ_OFFSET < until; day++)
	{
		int			dow = (int) ((day + 6) % 7);
		int64_t		open = day * DAY - TZ_OFFSET + 9 * 3600 * SEC;
		int64_t		close = day * DAY - TZ_OFFSET + 18 * 3600 * SEC;
		int64_t		a = since > open ? since : open;
		int64_t		b = until < close ? until : close;

		if (dow >= 1 && dow <= 5 && b > a)
			total += b - a;
	}
	return (double) total / 1e6;
}

static const tl_calendar cal = {FakeBusiness, FakeOperating, NULL};

/* ---- a timeline builder ---- */

typedef struct Chat
{
	tl_item		items[256];
	tl_item		scratch[256];
	size_t		n;
	char		arena[8192];
	size_t		arena_len;
	int64_t		next_event_id;
	int			next_msg;
} Chat;

static void
Reset(Chat *c)
{
	memset(c, 0, sizeof(*c));
	c->next_event_id = 1;
}

static tl_item *
Add(Chat *c, int kind, int rank, int64_t at, const char *text)
{
	tl_item    *it = &c->items[c->n++];

	memset(it, 0, sizeof(*it));
	it->at = at;
	it->kind = (uint8_t) kind;
	it->rank = (uint8_t) rank;
	if (text)
	{
		size_t		len = strlen(text);

		memcpy(c->arena + c->arena_len, text, len);
		it->id_off = (uint32_t) c->arena_len;
		it->id_len = (uint32_t) len;
		it->flags |= TL_F_HAS_TEXT;
		c->arena_len += len;
	}
	return it;
}

/* an event; ids increase in call order like an identity column */
static void
Ev(Chat *c, int kind, int64_t at, const char *value)
{
	tl_item    *it = Add(c, kind, TL_RANK_EVENT, at, value);

	it->event_id = c->next_event_id++;
}

/* a message with an id that sorts in call order */
static void
Msg(Chat *c, int kind, int64_t at)
{
	char		id[16];

	snprintf(id, sizeof(id), "m%04d", c->next_msg++);
	Add(c, kind, TL_RANK_MESSAGE, at, id);
}

static void
Meet(Chat *c, int64_t at, const char *id, bool missed)
{
	tl_item    *it = Add(c, TL_MEET, TL_RANK_MEET, at, id);

	if (missed)
		it->flags |= TL_F_MISSED;
}

static tl_chat_info
Info(int64_t as_of)
{
	tl_chat_info info = {T(0, 8, 50, 0), false, true, as_of};

	return info;
}

static size_t
Prepare(Chat *c, int64_t as_of)
{
	return tl_prepare(c->items, c->n, c->arena, as_of, c->scratch);
}

static void
ChatMetrics(Chat *c, int64_t as_of, tl_chat_metrics *m)
{
	tl_chat_info info = Info(as_of);
	size_t		n = Prepare(c, as_of);

	tl_chat_compute(c->items, n, &info, &cal, m);
}

/* cases into out (room for 16); returns the count */
static size_t
CaseMetricsInfo(Chat *c, tl_chat_info info, tl_case_metrics *out)
{
	size_t		n = Prepare(c, info.as_of);
	size_t		k = tl_case_count(c->items, n);

	assert_true(k <= 16);
	tl_case_compute(c->items, n, &info, &cal, out);
	return k;
}

static size_t
CaseMetrics(Chat *c, int64_t as_of, tl_case_metrics *out)
{
	return CaseMetricsInfo(c, Info(as_of), out);
}

#define assert_secs(x, expected) assert_true(fabs((x) - (expected)) < 1e-6)
#define assert_nan(x) assert_true(tl_isnull(x))

static void
ExampleA(Chat *c)
{
	Reset(c);
	Msg(c, TL_MSG_USER, T(0, 8, 50, 0));
	Ev(c, TL_QUEUED, T(0, 8, 50, 5), NULL);
	Ev(c, TL_OPENED, T(0, 9, 0, 0), NULL);
	Msg(c, TL_MSG_MANAGER, T(0, 9, 10, 0));
	Msg(c, TL_MSG_USER, T(0, 9, 20, 0));
	Msg(c, TL_MSG_USER, T(0, 9, 21, 0));
	Msg(c, TL_MSG_MANAGER, T(0, 9, 30, 0));
	Msg(c, TL_MSG_BOT, T(0, 9, 31, 0));
	Msg(c, TL_MSG_MANAGER, T(0, 9, 40, 0));
	Ev(c, TL_CLOSED, T(0, 10, 0, 0), NULL);
}

static void
ExampleB(Chat *c)
{
	Reset(c);
	Msg(c, TL_MSG_USER, T(0, 17, 50, 0));
	Ev(c, TL_OPENED, T(0, 17, 50, 0), NULL);
	Msg(c, TL_MSG_MANAGER, T(0, 17, 55, 0));
	Ev(c, TL_SNOOZED, T(0, 17, 58, 0), NULL);
	Ev(c, TL_OPENED, T(0, 18, 30, 0), NULL);
	Msg(c, TL_MSG_USER, T(0, 18, 30, 0));
	Msg(c, TL_MSG_MANAGER, T(1, 9, 15, 0));
	Ev(c, TL_CLOSED, T(1, 9, 20, 0), NULL);
	Ev(c, TL_OPENED, T(1, 11, 0, 0), NULL);
	Msg(c, TL_MSG_USER, T(1, 11, 0, 0));
	Msg(c, TL_MSG_MANAGER, T(1, 11, 5, 0));
	Ev(c, TL_CLOSED, T(1, 11, 10, 0), NULL);
}

static void
CheckExampleAChat(const tl_chat_metrics *m)
{
	assert_int_equal(m->opened_at, T(0, 9, 0, 0));
	assert_int_equal(m->first_asked_at, T(0, 8, 50, 0));
	assert_int_equal(m->first_queued_at, T(0, 8, 50, 5));
	assert_int_equal(m->first_opened_at, T(0, 9, 0, 0));
	assert_int_equal(m->first_replied_at, T(0, 9, 10, 0));
	assert_int_equal(m->first_replied_at_after_open, T(0, 9, 10, 0));
	assert_secs(m->waiting_time, 600);
	assert_int_equal(m->reply_count, 2);
	assert_secs(m->total_reply_time, 1200);
	assert_secs(m->avg_reply_time, 600);
	assert_secs(m->resolution_time, 3600);
	assert_secs(m->op_waiting_time, 600);
	assert_int_equal(m->op_reply_count, 2);
	assert_secs(m->op_total_reply_time, 1200);
	assert_secs(m->op_avg_reply_time, 600);
	assert_secs(m->op_resolution_time, 3600);
	assert_int_equal(m->closed_at, T(0, 10, 0, 0));
}

static void
test_example_a_chat(void **state)
{
	Chat	   *c = *state;
	tl_chat_metrics m;

	ExampleA(c);
	ChatMetrics(c, T(0, 11, 0, 0), &m);
	CheckExampleAChat(&m);
}

static void
test_example_a_case(void **state)
{
	Chat	   *c = *state;
	tl_case_metrics cs[16];
	size_t		k;

	ExampleA(c);
	k = CaseMetrics(c, T(0, 10, 30, 0), cs);
	assert_int_equal(k, 1);
	assert_false(cs[0].completed);	/* inProgress as of 10:30 */

	k = CaseMetrics(c, T(0, 11, 0, 0), cs);
	assert_int_equal(k, 1);
	assert_true(cs[0].completed);	/* completed as of 11:00 */
	assert_int_equal(cs[0].number, 1);
	assert_int_equal(cs[0].created_at, T(0, 8, 50, 5));
	assert_int_equal(cs[0].first_asked_at, T(0, 8, 50, 0));
	assert_int_equal(cs[0].first_queued_at, T(0, 8, 50, 5));
	assert_int_equal(cs[0].first_opened_at, T(0, 9, 0, 0));
	assert_int_equal(cs[0].first_replied_at, T(0, 9, 10, 0));
	assert_int_equal(cs[0].closed_at, T(0, 10, 0, 0));
	assert_secs(cs[0].waiting_time, 1200);
	assert_int_equal(cs[0].reply_count, 2);
	assert_secs(cs[0].total_reply_time, 1800);
	assert_secs(cs[0].avg_reply_time, 900);
	assert_secs(cs[0].resolution_time, 3600);
	assert_secs(cs[0].total_snoozed_time, 0);
	assert_secs(cs[0].lead_time, 3600);
	assert_int_equal(cs[0].snoozed_count, 0);
	assert_int_equal(cs[0].missed_count, 0);
	/* before 09:00 is outside the hours: 08:50 -> 09:10 is 600 business s */
	assert_secs(cs[0].op_waiting_time, 600);
	assert_int_equal(cs[0].op_reply_count, 2);
	assert_secs(cs[0].op_total_reply_time, 1200);
	assert_secs(cs[0].op_avg_reply_time, 600);
	assert_secs(cs[0].op_resolution_time, 3600);
	assert_secs(cs[0].op_lead_time, 3600);
	assert_int_equal(cs[0].updated_at, T(0, 10, 0, 0));
	assert_int_equal(cs[0].last_state, 9);
}

static void
CheckExampleBChat(const tl_chat_metrics *m)
{
	assert_int_equal(m->opened_at, T(1, 11, 0, 0));
	assert_int_equal(m->first_opened_at, T(0, 17, 50, 0));
	assert_int_equal(m->first_replied_at, T(0, 17, 55, 0));
	assert_int_equal(m->first_replied_at_after_open, T(1, 11, 5, 0));
	assert_int_equal(m->closed_at, T(1, 11, 10, 0));
	assert_secs(m->waiting_time, 300);
	assert_int_equal(m->reply_count, 1);
	assert_secs(m->total_reply_time, 300);
	assert_secs(m->avg_reply_time, 300);
	assert_secs(m->resolution_time, 600);
	assert_secs(m->op_waiting_time, 300);
	assert_int_equal(m->op_reply_count, 1);
	assert_secs(m->op_total_reply_time, 300);
	assert_secs(m->op_avg_reply_time, 300);
	assert_secs(m->op_resolution_time, 600);
}

static void
CheckExampleBCases(const tl_case_metrics *cs, size_t k)
{
	assert_int_equal(k, 2);
	assert_int_equal(cs[0].first_opened_at, T(0, 17, 50, 0));
	assert_int_equal(cs[0].closed_at, T(1, 9, 20, 0));
	assert_secs(cs[0].waiting_time, 300);
	assert_int_equal(cs[0].reply_count, 2);
	assert_secs(cs[0].total_reply_time, 53400);
	assert_secs(cs[0].avg_reply_time, 26700);
	assert_secs(cs[0].resolution_time, 55800);
	assert_secs(cs[0].total_snoozed_time, 1920);
	assert_secs(cs[0].lead_time, 53880);
	assert_int_equal(cs[0].snoozed_count, 1);
	assert_secs(cs[0].op_waiting_time, 300);
	assert_int_equal(cs[0].op_reply_count, 2);
	assert_secs(cs[0].op_total_reply_time, 1200);
	assert_secs(cs[0].op_avg_reply_time, 600);
	assert_secs(cs[0].op_resolution_time, 1800);
	/* the snooze 17:58-18:30 has 120 business seconds (17:58-18:00) */
	assert_secs(cs[0].op_lead_time, 1680);
	assert_true(cs[0].completed);

	assert_int_equal(cs[1].number, 2);
	assert_int_equal(cs[1].first_opened_at, T(1, 11, 0, 0));
	assert_int_equal(cs[1].created_at, T(1, 11, 0, 0));
	assert_secs(cs[1].waiting_time, 300);
	assert_int_equal(cs[1].reply_count, 1);
	assert_secs(cs[1].total_reply_time, 300);
	assert_secs(cs[1].resolution_time, 600);
	assert_secs(cs[1].total_snoozed_time, 0);
	assert_secs(cs[1].lead_time, 600);
}

static void
test_example_b(void **state)
{
	Chat	   *c = *state;
	tl_chat_metrics m;
	tl_case_metrics cs[16];

	ExampleB(c);
	ChatMetrics(c, T(2, 12, 0, 0), &m);
	CheckExampleBChat(&m);
	ExampleB(c);
	CheckExampleBCases(cs, CaseMetrics(c, T(2, 12, 0, 0), cs));
	/* case 2 closed 11:10: in progress at 12:00, completed at 12:10 */
	ExampleB(c);
	CaseMetrics(c, T(1, 12, 0, 0), cs);
	assert_true(cs[0].completed);	/* the next case has started */
	assert_false(cs[1].completed);
	CaseMetrics(c, T(1, 12, 10, 0), cs);
	assert_true(cs[1].completed);
}

/* rows in any order give the same result: the core sorts */
static void
test_out_of_order(void **state)
{
	Chat	   *c = *state;
	tl_chat_metrics m;
	tl_case_metrics cs[16];
	unsigned	seed = 7;

	for (int round = 0; round < 20; round++)
	{
		ExampleB(c);
		for (size_t i = c->n - 1; i > 0; i--)
		{
			size_t		j = (size_t) rand_r(&seed) % (i + 1);
			tl_item		tmp = c->items[i];

			c->items[i] = c->items[j];
			c->items[j] = tmp;
		}
		ChatMetrics(c, T(2, 12, 0, 0), &m);
		CheckExampleBChat(&m);
		CheckExampleBCases(cs, CaseMetrics(c, T(2, 12, 0, 0), cs));
	}
}

/* equal timestamps: events before messages, then by id */
static void
test_ties(void **state)
{
	Chat	   *c = *state;
	tl_chat_metrics m;
	int64_t		t0 = T(0, 10, 0, 0);

	/* message added first, event second: the event still goes first */
	Reset(c);
	Add(c, TL_MSG_USER, TL_RANK_MESSAGE, t0, "a1");
	Ev(c, TL_OPENED, t0, NULL);
	Add(c, TL_MSG_MANAGER, TL_RANK_MESSAGE, t0, "a2");
	ChatMetrics(c, T(0, 12, 0, 0), &m);
	assert_int_equal(c->items[0].kind, TL_OPENED);
	assert_int_equal(m.reply_count, 1);	/* a1 (user) before a2 (manager) */
	assert_secs(m.waiting_time, 0);

	/* same instant, manager's id sorts first: not a reply, question pending */
	Reset(c);
	Ev(c, TL_OPENED, t0, NULL);
	Add(c, TL_MSG_USER, TL_RANK_MESSAGE, t0, "b2");
	Add(c, TL_MSG_MANAGER, TL_RANK_MESSAGE, t0, "b1");
	ChatMetrics(c, T(0, 12, 0, 0), &m);
	assert_int_equal(m.reply_count, 0);
	assert_nan(m.waiting_time);
	assert_nan(m.avg_reply_time);
	assert_secs(m.total_reply_time, 0);

	/* equal-time events go by id: closed(id 1) then opened(id 2) is a reopen */
	Reset(c);
	Ev(c, TL_OPENED, T(0, 9, 0, 0), NULL);
	Ev(c, TL_CLOSED, t0, NULL);
	Ev(c, TL_OPENED, t0, NULL);
	ChatMetrics(c, T(0, 12, 0, 0), &m);
	assert_int_equal(m.opened_at, t0);
	assert_int_equal(m.closed_at, TL_NULL_TIME);
	assert_nan(m.resolution_time);
}

/* duplicate events change nothing */
static void
test_duplicates(void **state)
{
	Chat	   *c = *state;
	tl_chat_metrics m;
	tl_case_metrics cs[16];
	size_t		k;

	Reset(c);
	Msg(c, TL_MSG_USER, T(0, 9, 0, 0));
	Ev(c, TL_OPENED, T(0, 9, 0, 0), NULL);
	Ev(c, TL_OPENED, T(0, 9, 0, 0), NULL);	/* exact duplicate */
	Ev(c, TL_OPENED, T(0, 9, 5, 0), NULL);	/* opened while open */
	Msg(c, TL_MSG_MANAGER, T(0, 9, 10, 0));
	Ev(c, TL_SNOOZED, T(0, 9, 20, 0), NULL);
	Ev(c, TL_SNOOZED, T(0, 9, 20, 0), NULL);	/* duplicate snooze */
	Ev(c, TL_OPENED, T(0, 9, 30, 0), NULL);
	Ev(c, TL_CLOSED, T(0, 10, 0, 0), NULL);
	Ev(c, TL_CLOSED, T(0, 10, 0, 0), NULL);	/* duplicate close */
	ChatMetrics(c, T(0, 12, 0, 0), &m);
	/* the latest period starts at the reopen from snooze at 09:30 */
	assert_int_equal(m.opened_at, T(0, 9, 30, 0));
	assert_int_equal(m.reply_count, 0);
	assert_int_equal(m.first_replied_at, T(0, 9, 10, 0));
	assert_secs(m.resolution_time, 1800);

	k = CaseMetrics(c, T(0, 12, 0, 0), cs);
	assert_int_equal(k, 1);
	assert_int_equal(cs[0].snoozed_count, 1);
	assert_secs(cs[0].total_snoozed_time, 600);
	assert_int_equal(cs[0].reply_count, 1);
	assert_secs(cs[0].waiting_time, 600);
	assert_secs(cs[0].resolution_time, 3600);
	assert_secs(cs[0].lead_time, 3000);
}

/* closed twice without a reopen: the second close is ignored */
static void
test_closed_twice(void **state)
{
	Chat	   *c = *state;
	tl_chat_metrics m;
	tl_case_metrics cs[16];
	size_t		k;

	Reset(c);
	Ev(c, TL_OPENED, T(0, 9, 0, 0), NULL);
	Ev(c, TL_CLOSED, T(0, 9, 30, 0), NULL);
	Msg(c, TL_MSG_USER, T(0, 9, 40, 0));	/* after the close, no reopen */
	Ev(c, TL_CLOSED, T(0, 10, 0, 0), NULL);
	ChatMetrics(c, T(0, 12, 0, 0), &m);
	assert_int_equal(m.closed_at, T(0, 9, 30, 0));
	assert_secs(m.resolution_time, 1800);
	k = CaseMetrics(c, T(0, 12, 0, 0), cs);
	assert_int_equal(k, 1);
	assert_int_equal(cs[0].closed_at, T(0, 9, 30, 0));
	assert_int_equal(cs[0].end, 2);	/* the late message belongs to no case */
	assert_int_equal(cs[0].first_asked_at, TL_NULL_TIME);
	assert_int_equal(cs[0].updated_at, T(0, 9, 30, 0));
}

/* a chat that was never opened: no window, counts NULL too */
static void
test_never_opened(void **state)
{
	Chat	   *c = *state;
	tl_chat_metrics m;
	tl_case_metrics cs[16];
	size_t		k;

	Reset(c);
	Msg(c, TL_MSG_USER, T(0, 20, 0, 0));
	Ev(c, TL_QUEUED, T(0, 20, 0, 1), NULL);
	Msg(c, TL_MSG_MANAGER, T(0, 20, 5, 0));
	ChatMetrics(c, T(0, 22, 0, 0), &m);
	assert_int_equal(m.first_asked_at, T(0, 20, 0, 0));
	assert_int_equal(m.first_queued_at, T(0, 20, 0, 1));
	assert_int_equal(m.first_replied_at, T(0, 20, 5, 0));	/* whole history */
	assert_int_equal(m.opened_at, TL_NULL_TIME);
	assert_int_equal(m.first_replied_at_after_open, TL_NULL_TIME);
	assert_int_equal(m.reply_count, -1);
	assert_int_equal(m.op_reply_count, -1);
	assert_nan(m.total_reply_time);
	assert_nan(m.waiting_time);
	assert_nan(m.resolution_time);
	assert_nan(m.op_total_reply_time);

	/* the queued event starts a case; no opened: resolution NULL */
	k = CaseMetrics(c, T(0, 22, 0, 0), cs);
	assert_int_equal(k, 1);
	assert_int_equal(cs[0].first_opened_at, TL_NULL_TIME);
	assert_int_equal(cs[0].created_at, T(0, 20, 0, 1));
	assert_int_equal(cs[0].reply_count, 1);
	assert_secs(cs[0].waiting_time, 300);
	assert_secs(cs[0].op_waiting_time, 0);	/* 20:00 is outside the hours */
	assert_int_equal(cs[0].op_reply_count, 0);
	assert_nan(cs[0].op_avg_reply_time);
	assert_nan(cs[0].resolution_time);
	assert_nan(cs[0].lead_time);
	assert_false(cs[0].completed);
}

/* no rows, and no messages at all */
static void
test_empty_and_no_messages(void **state)
{
	Chat	   *c = *state;
	tl_chat_metrics m;
	tl_case_metrics cs[16];

	Reset(c);
	ChatMetrics(c, T(0, 12, 0, 0), &m);
	assert_int_equal(m.first_asked_at, TL_NULL_TIME);
	assert_int_equal(m.reply_count, -1);
	assert_int_equal(CaseMetrics(c, T(0, 12, 0, 0), cs), 0);

	Ev(c, TL_OPENED, T(0, 9, 0, 0), NULL);
	Ev(c, TL_CLOSED, T(0, 9, 1, 0), NULL);
	ChatMetrics(c, T(0, 12, 0, 0), &m);
	assert_int_equal(m.reply_count, 0);
	assert_secs(m.total_reply_time, 0);
	assert_nan(m.avg_reply_time);
	assert_nan(m.waiting_time);
	assert_nan(m.op_waiting_time);
	assert_secs(m.resolution_time, 60);
	assert_int_equal(CaseMetrics(c, T(0, 12, 0, 0), cs), 1);
	assert_int_equal(cs[0].first_asked_at, TL_NULL_TIME);
	assert_nan(cs[0].waiting_time);
	assert_int_equal(cs[0].reply_count, 0);
}

/* snoozed and never reopened: the snooze runs up to as_of */
static void
test_snoozed_forever(void **state)
{
	Chat	   *c = *state;
	tl_chat_metrics m;
	tl_case_metrics cs[16];

	Reset(c);
	Msg(c, TL_MSG_USER, T(0, 9, 0, 0));
	Ev(c, TL_OPENED, T(0, 9, 0, 0), NULL);
	Ev(c, TL_SNOOZED, T(0, 17, 0, 0), NULL);
	Msg(c, TL_MSG_MANAGER, T(0, 17, 30, 0));	/* reply while snoozed */
	ChatMetrics(c, T(1, 10, 0, 0), &m);
	assert_int_equal(m.opened_at, T(0, 9, 0, 0));
	assert_int_equal(m.closed_at, TL_NULL_TIME);
	assert_int_equal(m.reply_count, 1);
	assert_nan(m.resolution_time);

	assert_int_equal(CaseMetrics(c, T(1, 10, 0, 0), cs), 1);
	assert_int_equal(cs[0].snoozed_count, 1);
	assert_secs(cs[0].total_snoozed_time, 17 * 3600);	/* 17:00 -> 10:00 */
	assert_nan(cs[0].lead_time);
	assert_false(cs[0].completed);
	assert_int_equal(cs[0].last_state, 2);	/* still snoozed */
}

/* items after as_of are ignored */
static void
test_as_of(void **state)
{
	Chat	   *c = *state;
	tl_chat_metrics m;
	tl_case_metrics cs[16];

	ExampleB(c);
	/* as of Tue 10:00: case 2 does not exist yet, case 1 closed 40 min ago */
	ChatMetrics(c, T(1, 10, 0, 0), &m);
	assert_int_equal(m.opened_at, T(0, 18, 30, 0));
	assert_int_equal(m.closed_at, T(1, 9, 20, 0));
	assert_int_equal(m.reply_count, 1);
	assert_secs(m.waiting_time, 53100);
	assert_int_equal(CaseMetrics(c, T(1, 10, 0, 0), cs), 1);
	assert_false(cs[0].completed);
	/* as of Mon 18:00: the snooze is still running */
	ExampleB(c);
	assert_int_equal(CaseMetrics(c, T(0, 18, 0, 0), cs), 1);
	assert_secs(cs[0].total_snoozed_time, 120);
	assert_int_equal(cs[0].closed_at, TL_NULL_TIME);
	assert_int_equal(cs[0].reply_count, 1);
}

/* a customer message after a close belongs to the next case */
static void
test_message_after_close(void **state)
{
	Chat	   *c = *state;
	tl_case_metrics cs[16];

	Reset(c);
	Ev(c, TL_OPENED, T(0, 9, 0, 0), NULL);
	Ev(c, TL_CLOSED, T(0, 9, 30, 0), NULL);
	Msg(c, TL_MSG_USER, T(0, 10, 0, 0));
	Ev(c, TL_QUEUED, T(0, 10, 0, 1), NULL);
	Ev(c, TL_OPENED, T(0, 10, 10, 0), NULL);
	Msg(c, TL_MSG_MANAGER, T(0, 10, 20, 0));
	assert_int_equal(CaseMetrics(c, T(0, 12, 0, 0), cs), 2);
	assert_int_equal(cs[0].completed, true);
	assert_int_equal(cs[1].first_asked_at, T(0, 10, 0, 0));
	assert_int_equal(cs[1].created_at, T(0, 10, 0, 1));
	assert_secs(cs[1].waiting_time, 1200);
	assert_int_equal(cs[1].reply_count, 1);
	assert_nan(cs[1].resolution_time);
}

/* calls: inbound firstAskedAt = firstOpenedAt, no firstRepliedAt; missed */
static void
test_calls_and_missed(void **state)
{
	Chat	   *c = *state;
	tl_case_metrics cs[16];
	tl_chat_info info = Info(T(0, 12, 0, 0));

	Reset(c);
	Meet(c, T(0, 9, 0, 0), "call1", true);
	Ev(c, TL_QUEUED, T(0, 9, 0, 0), NULL);
	Ev(c, TL_MISSED, T(0, 9, 1, 0), NULL);
	Ev(c, TL_MISSED, T(0, 9, 1, 0), NULL);	/* duplicate */
	Meet(c, T(0, 9, 5, 0), "call2", false);
	Ev(c, TL_OPENED, T(0, 9, 5, 0), NULL);
	Msg(c, TL_MSG_USER, T(0, 9, 6, 0));
	Msg(c, TL_MSG_MANAGER, T(0, 9, 7, 0));
	Ev(c, TL_CLOSED, T(0, 9, 10, 0), NULL);
	Meet(c, T(0, 9, 20, 0), "call3", true);	/* after the close: no case */
	info.is_call = true;
	assert_int_equal(CaseMetricsInfo(c, info, cs), 1);
	assert_int_equal(cs[0].missed_count, 2);	/* one 'missed' + call1 */
	assert_int_equal(cs[0].first_asked_at, T(0, 9, 5, 0));
	assert_int_equal(cs[0].first_replied_at, TL_NULL_TIME);
	assert_nan(cs[0].waiting_time);
	assert_int_equal(cs[0].reply_count, 1);
	assert_secs(cs[0].resolution_time, 300);

	/* outbound call: firstAskedAt stays the customer's first message */
	info.is_inbound = false;
	assert_int_equal(CaseMetricsInfo(c, info, cs), 1);
	assert_int_equal(cs[0].first_asked_at, T(0, 9, 6, 0));
}

/* attribute replay: cut-off at close + 1 h and at the next case's start */
static void
test_replay(void **state)
{
	Chat	   *c = *state;
	tl_case_metrics cs[16];
	size_t		set[64];
	size_t		n;

	Reset(c);
	Ev(c, TL_OPENED, T(0, 9, 0, 0), NULL);	/* 0 */
	Ev(c, TL_TAG_ADDED, T(0, 9, 1, 0), "vip");	/* 1 */
	Ev(c, TL_TAG_ADDED, T(0, 9, 2, 0), "delivery");	/* 2 */
	Ev(c, TL_TAG_ADDED, T(0, 9, 2, 30), "vip");	/* 3: already there */
	Ev(c, TL_ASSIGNED, T(0, 9, 3, 0), "mgr1");	/* 4 */
	Ev(c, TL_CLOSED, T(0, 10, 0, 0), NULL);	/* 5 */
	Ev(c, TL_PROFILE_CHANGED, T(0, 10, 30, 0), "{\"csat\":5}");	/* 6: csat after close */
	Ev(c, TL_TAG_REMOVED, T(0, 11, 30, 0), "vip");	/* 7: > close + 1 h */
	Ev(c, TL_OPENED, T(0, 12, 0, 0), NULL);	/* 8: case 2 */
	Ev(c, TL_ASSIGNED, T(0, 12, 1, 0), NULL);	/* 9: unassigned */

	assert_int_equal(CaseMetrics(c, T(0, 13, 0, 0), cs), 2);
	assert_int_equal(cs[0].attr_end, 7);
	assert_int_equal(cs[0].updated_at, T(0, 10, 30, 0));	/* the csat */
	assert_int_equal(cs[0].last_state, 5);
	assert_int_equal(cs[0].last_assigned, 4);
	assert_int_equal(cs[0].last_team, -1);
	n = tl_replay_set(c->items, cs[0].attr_end, c->arena, TL_TAG_ADDED, TL_TAG_REMOVED, set);
	assert_int_equal(n, 2);
	assert_int_equal(set[0], 2);	/* delivery, then vip: sorted */
	assert_int_equal(set[1], 1);

	assert_int_equal(cs[1].attr_end, 10);
	assert_int_equal(cs[1].last_assigned, 9);
	assert_int_equal(cs[1].begin, 6);
	assert_int_equal(cs[1].updated_at, T(0, 12, 1, 0));
	n = tl_replay_set(c->items, cs[1].attr_end, c->arena, TL_TAG_ADDED, TL_TAG_REMOVED, set);
	assert_int_equal(n, 1);
	assert_int_equal(set[0], 2);

	/* as of 10:30 case 1 is in progress: replayed up to as_of */
	assert_int_equal(CaseMetrics(c, T(0, 10, 30, 0), cs), 1);
	assert_false(cs[0].completed);
	assert_int_equal(cs[0].attr_end, 7);

	/* the next case starting within the hour cuts the record there */
	Reset(c);
	Ev(c, TL_OPENED, T(0, 9, 0, 0), NULL);
	Ev(c, TL_CLOSED, T(0, 10, 0, 0), NULL);
	Ev(c, TL_PRIORITY_CHANGED, T(0, 10, 5, 0), "high");
	Ev(c, TL_OPENED, T(0, 10, 10, 0), NULL);
	Ev(c, TL_PRIORITY_CHANGED, T(0, 10, 20, 0), "low");
	assert_int_equal(CaseMetrics(c, T(0, 13, 0, 0), cs), 2);
	assert_int_equal(cs[0].attr_end, 3);
	assert_int_equal(cs[0].last_priority, 2);
	assert_int_equal(cs[1].last_priority, 4);
}

/*
 * tl_sort: input made of k ascending runs (k = 1 .. beyond the run limit,
 * where it falls back to qsort) comes out in tl_compare order, as a
 * permutation of the input, with equal items in input order (stable).
 * Equal times, ranks and ids are frequent on purpose.
 */
#define SORT_N 700

static void
test_sort_runs(void **state)
{
	static tl_item items[SORT_N];
	static tl_item scratch[SORT_N];
	static char arena[SORT_N * 2];
	static bool seen[SORT_N];
	unsigned	seed = 11;

	(void) state;
	for (size_t i = 0; i < SORT_N; i++)
		arena[2 * i] = (char) ('a' + i % 3), arena[2 * i + 1] = (char) ('a' + i % 2);
	for (int k = 1; k <= 90; k += (k < 8 ? 1 : 7))
	{
		for (int with_scratch = 0; with_scratch < 2; with_scratch++)
		{
			size_t		n = (size_t) (rand_r(&seed) % SORT_N) + 1;
			size_t		begin = 0;

			for (size_t i = 0; i < n; i++)
			{
				tl_item    *it = &items[i];

				memset(it, 0, sizeof(*it));
				it->at = rand_r(&seed) % 40;
				it->rank = (uint8_t) (1 + rand_r(&seed) % 3);
				it->kind = (uint8_t) (rand_r(&seed) % TL_NKINDS);
				it->event_id = rand_r(&seed) % 4;
				it->flags = TL_F_HAS_TEXT;
				it->id_off = (uint32_t) (2 * i);	/* unique: the permutation check */
				it->id_len = 1 + (uint32_t) (rand_r(&seed) % 2);
			}
			/* k runs: sort each slice (qsort via a NULL scratch) */
			for (int r = 0; r < k; r++)
			{
				size_t		end = (size_t) ((uint64_t) n * (r + 1) / k);

				tl_sort(&items[begin], end - begin, arena, NULL);
				begin = end;
			}
			/* stability is judged by position before the sort */
			{
				static uint32_t pos[SORT_N];

				for (size_t i = 0; i < n; i++)
					pos[items[i].id_off / 2] = (uint32_t) i;
				tl_sort(items, n, arena, with_scratch ? scratch : NULL);
				memset(seen, 0, sizeof(seen));
				for (size_t i = 0; i < n; i++)
				{
					uint32_t	tag = items[i].id_off / 2;

					assert_true(tag < n);
					assert_false(seen[tag]);
					seen[tag] = true;
					if (i > 0)
					{
						int			c = tl_compare(&items[i - 1], &items[i], arena);

						assert_true(c <= 0);
						/* merging keeps equal items in input order (qsort need not) */
						if (c == 0 && with_scratch && k <= 64)
							assert_true(pos[items[i - 1].id_off / 2] < pos[tag]);
					}
				}
			}
		}
	}
}

static void
test_kind_names(void **state)
{
	(void) state;
	assert_int_equal(tl_kind_from_name("user", 4, TL_RANK_MESSAGE), TL_MSG_USER);
	assert_int_equal(tl_kind_from_name("opened", 6, TL_RANK_EVENT), TL_OPENED);
	assert_int_equal(tl_kind_from_name("opened", 6, TL_RANK_MESSAGE), -1);
	assert_int_equal(tl_kind_from_name("profile_changed", 15, TL_RANK_EVENT), TL_PROFILE_CHANGED);
	assert_int_equal(tl_kind_from_name("meet", 4, TL_RANK_MEET), TL_MEET);
	assert_int_equal(tl_kind_from_name("open", 4, TL_RANK_EVENT), -1);
	assert_string_equal(tl_state_name(TL_OPENED), "open");
	assert_true(tl_state_name(TL_TAG_ADDED) == NULL);
}

static int
Setup(void **state)
{
	*state = calloc(1, sizeof(Chat));
	return *state ? 0 : -1;
}

static int
Teardown(void **state)
{
	free(*state);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_a_chat),
		cmocka_unit_test(test_example_a_case),
		cmocka_unit_test(test_example_b),
		cmocka_unit_test(test_out_of_order),
		cmocka_unit_test(test_ties),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_closed_twice),
		cmocka_unit_test(test_never_opened),
		cmocka_unit_test(test_empty_and_no_messages),
		cmocka_unit_test(test_snoozed_forever),
		cmocka_unit_test(test_as_of),
		cmocka_unit_test(test_message_after_close),
		cmocka_unit_test(test_calls_and_missed),
		cmocka_unit_test(test_replay),
		cmocka_unit_test(test_sort_runs),
		cmocka_unit_test(test_kind_names),
	};

	return cmocka_run_group_tests(tests, Setup, Teardown);
}
