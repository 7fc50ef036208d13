/*
 * demo_gen.c
 *	  Deterministic generator of realistic demo conversations (pure C).
 *
 * The model follows performance.md: business hours Monday-Friday 09:00-18:00
 * local with a lunch break; chats with 1-3 cases; queueing; replies with
 * skewed (log-normal) delays that wait for the next business period when the
 * customer writes at night or on a weekend; snoozes that reopen when the
 * customer writes, or never reopen; reopens after close that start a new
 * case; bot messages; assignment, team, tag, follower, priority and profile
 * (CSAT) events; calls with missed reasons; workflow and support-bot runs.
 *
 * Everything derives from splitmix64 streams seeded by (seed, chat number),
 * so a chat is reproducible on its own.
 */
#include "demo_gen.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define USEC ((int64_t) 1000000)
#define MINUTE (60 * USEC)
#define HOUR (60 * MINUTE)
#define DAY (24 * HOUR)

typedef struct rng
{
	uint64_t	s;
} rng;

uint64_t
dg_mix(uint64_t a, uint64_t b)
{
	uint64_t	z = a * 0x9E3779B97F4A7C15ULL + b + 0x632BE59BD9B4E019ULL;

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static uint64_t
next64(rng *r)
{
	uint64_t	z = (r->s += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

/* uniform in [0, 1) */
static double
unif(rng *r)
{
	return (next64(r) >> 11) * (1.0 / 9007199254740992.0);
}

static int
randint(rng *r, int n)
{
	return n <= 1 ? 0 : (int) (unif(r) * n);
}

static bool
chance(rng *r, double p)
{
	return unif(r) < p;
}

/* log-normal delay with the given median (seconds) and spread; in usec */
static int64_t
lognormal_us(rng *r, double median_s, double sigma)
{
	double		u1 = unif(r) + 1e-12,
				u2 = unif(r);
	double		z = sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
	double		s = median_s * exp(sigma * z);

	if (s < 1.0)
		s = 1.0;
	if (s > 3.0 * 86400.0)
		s = 3.0 * 86400.0;
	/* millisecond resolution, as real systems record */
	return (int64_t) (s * 1000.0) * 1000;
}

/* ---- local business time (fixed offset; holidays are left to the calendar) ---- */

/* day of week of a local time: 0 = Sunday; 2000-01-01 was a Saturday */
static int
local_dow(const dg_config *cfg, int64_t t)
{
	int64_t		local = t + (int64_t) cfg->utc_offset_s * USEC;
	int64_t		day = local >= 0 ? local / DAY : (local - DAY + 1) / DAY;

	return (int) (((day % 7) + 7 + 6) % 7);
}

static int64_t
local_sec_of_day(const dg_config *cfg, int64_t t)
{
	int64_t		local = t + (int64_t) cfg->utc_offset_s * USEC;
	int64_t		r = local % DAY;

	return (r < 0 ? r + DAY : r) / USEC;
}

static bool
in_business(const dg_config *cfg, int64_t t)
{
	int			dow = local_dow(cfg, t);
	int64_t		s = local_sec_of_day(cfg, t);

	if (dow == 0 || dow == 6)
		return false;
	return (s >= 9 * 3600 && s < 12 * 3600) || (s >= 13 * 3600 && s < 18 * 3600);
}

/* the next instant >= t inside business hours */
static int64_t
next_business(const dg_config *cfg, int64_t t)
{
	int			guard;

	for (guard = 0; guard < 10 && !in_business(cfg, t); guard++)
	{
		int64_t		s = local_sec_of_day(cfg, t);
		int64_t		day_start = t - s * USEC - (t % USEC);
		int			dow = local_dow(cfg, t);

		if (dow != 0 && dow != 6 && s < 9 * 3600)
			t = day_start + 9 * HOUR;
		else if (dow != 0 && dow != 6 && s >= 12 * 3600 && s < 13 * 3600)
			t = day_start + 13 * HOUR;
		else
			t = day_start + DAY + 9 * HOUR;
	}
	return t;
}

/* ---- chat buffer ---- */

void
dg_chat_init(dg_chat *c)
{
	memset(c, 0, sizeof(*c));
}

void
dg_chat_free(dg_chat *c)
{
	free(c->messages);
	free(c->events);
	free(c->arena);
	memset(c, 0, sizeof(*c));
}

/*
 * Strings of one chat live in an arena of fixed blocks; pointers into it
 * must stay valid while the chat is built, so the arena never moves: when it
 * is too small we report failure and the caller retries with a bigger one.
 */
static const char *
sdup(dg_chat *c, const char *s)
{
	size_t		n = strlen(s) + 1;
	char	   *p;

	if (c->arena_used + n > c->arena_cap)
	{
		c->arena_full = true;
		return NULL;
	}
	p = c->arena + c->arena_used;
	memcpy(p, s, n);
	c->arena_used += n;
	return p;
}

static const char *
sfmt(dg_chat *c, const char *fmt, int a, int b)
{
	char		buf[128];

	snprintf(buf, sizeof(buf), fmt, a, b);
	return sdup(c, buf);
}

static bool
add_message(dg_chat *c, int64_t at, char type, const char *who, const char *text)
{
	if (c->nmessages == c->cap_messages)
	{
		int			cap = c->cap_messages ? c->cap_messages * 2 : 64;
		dg_message *m = realloc(c->messages, sizeof(dg_message) * cap);

		if (!m)
			return false;
		c->messages = m;
		c->cap_messages = cap;
	}
	c->messages[c->nmessages++] = (dg_message) {at, type, who, text};
	return true;
}

static bool
add_event(dg_chat *c, int64_t at, const char *kind, const char *actor, const char *value)
{
	if (c->nevents == c->cap_events)
	{
		int			cap = c->cap_events ? c->cap_events * 2 : 32;
		dg_event   *e = realloc(c->events, sizeof(dg_event) * cap);

		if (!e)
			return false;
		c->events = e;
		c->cap_events = cap;
	}
	c->events[c->nevents++] = (dg_event) {at, kind, actor, value};
	return true;
}

static const char *const customer_lines[] = {
	"안녕하세요, 주문한 상품이 아직 도착하지 않았어요.",
	"배송 조회가 안 됩니다. 확인 부탁드려요.",
	"환불은 언제 처리되나요?",
	"로그인이 안 돼요. 비밀번호를 바꿨는데도요.",
	"영수증을 다시 받을 수 있을까요?",
	"注文した商品がまだ届きません。",
	"Hi, I was charged twice for my order.",
	"Can I change the delivery address?",
	"앱이 자꾸 꺼져요 😢",
	"=SUM(A1:A9) 이렇게 보이는데 무슨 뜻인가요?",
	"쿠폰 적용이 안 됩니다.",
	"감사합니다!",
	"네 확인했습니다.",
	"아직 답변을 못 받았어요...",
	"Is anyone there?",
	"교환 가능한가요? 사이즈가 안 맞아요.",
};

static const char *const manager_lines[] = {
	"안녕하세요, 고객님. 확인 후 안내드리겠습니다.",
	"불편을 드려 죄송합니다. 주문 번호를 알려주시겠어요?",
	"환불은 영업일 기준 3~5일 내 처리됩니다.",
	"비밀번호 재설정 링크를 보내드렸습니다.",
	"Thanks for waiting. I have fixed the duplicate charge.",
	"확인해 보니 내일 도착 예정입니다.",
	"ご不便をおかけして申し訳ございません。",
	"다른 문의 사항이 있으시면 말씀해 주세요.",
	"주소 변경 완료했습니다.",
	"앱 최신 버전으로 업데이트 부탁드립니다.",
};

static const char *const bot_lines[] = {
	"안녕하세요! 무엇을 도와드릴까요? 상담원이 곧 연결됩니다.",
	"지금은 운영시간이 아닙니다. 운영시간(평일 09:00~18:00)에 답변드리겠습니다.",
	"상담은 어떠셨나요? 별점을 남겨주세요.",
};

static const char *const mediums[] = {
	"inAppChat", "phoneNumber", "email", "appKakao", "appLine",
	"appInstagramMessenger", "appNaverTalk"
};
static const double medium_weights[] = {0.66, 0.10, 0.09, 0.06, 0.03, 0.03, 0.03};

static const char *const missed_reasons[] = {
	"notInOperation", "noOperator", "abandonedInQueue", "ringTimeOver", "userleft",
	"exceededQueue", "workflow"
};

static const char *const pages[] = {
	"https://shop.example.com/", "https://shop.example.com/orders",
	"https://shop.example.com/products/123", "https://shop.example.com/cart", NULL
};

static int
pick_weighted(rng *r, const double *w, int n)
{
	double		u = unif(r),
				acc = 0;
	int			i;

	for (i = 0; i < n; i++)
	{
		acc += w[i];
		if (u < acc)
			return i;
	}
	return n - 1;
}

/* Current sets (tags, followers) while replaying what the generator emits. */
typedef struct strset
{
	const char *v[8];
	int			n;
} strset;

static bool
set_has(const strset *s, const char *x)
{
	for (int i = 0; i < s->n; i++)
		if (strcmp(s->v[i], x) == 0)
			return true;
	return false;
}

static void
set_remove(strset *s, const char *x)
{
	for (int i = 0; i < s->n; i++)
		if (strcmp(s->v[i], x) == 0)
		{
			s->v[i] = s->v[--s->n];
			return;
		}
}

static bool
build(const dg_config *cfg, int n, dg_chat *c)
{
	rng			r = {dg_mix(cfg->seed, (uint64_t) n + 1)};
	char		buf[256];
	int			ncases,
				k;
	int64_t		t;
	const char *assignee = NULL,
			   *team = NULL,
			   *state = "queued";
	strset		tags = {{0}, 0},
				followers = {{0}, 0};
	const char *priority = NULL;
	int			csat = 0;
	const char *csat_comment = NULL;
	const char *order_no = NULL;
	const char *category = NULL;
	bool		is_call,
				inbound;
	int			day;
	int64_t		tod;
	int64_t		last = 0;

	c->nmessages = c->nevents = c->nmeets = 0;
	c->nworkflow_runs = c->nsupport_bot_runs = 0;
	c->arena_used = 0;
	c->arena_full = false;

	snprintf(c->id, sizeof(c->id), "c%07d", n + 1);
	c->user_id = sfmt(c, "u%07d", 1 + (int) (dg_mix(cfg->seed ^ 0x55, n) % (uint64_t) cfg->users), 0);
	c->name = sfmt(c, "고객 %d", 1 + (int) (dg_mix(cfg->seed ^ 0x55, n) % (uint64_t) cfg->users), 0);
	c->medium_name = mediums[pick_weighted(&r, medium_weights, 7)];
	is_call = strcmp(c->medium_name, "phoneNumber") == 0;
	inbound = !chance(&r, 0.05);
	c->direction = inbound ? "inbound" : "outbound";
	c->medium_sender_name = strcmp(c->medium_name, "inAppChat") == 0 ? NULL :
		sfmt(c, "sender-%d", 1 + randint(&r, 3), 0);
	c->page = pages[randint(&r, 5)];
	c->description = chance(&r, 0.2) ? sdup(c, "재문의 고객, 우선 처리") : NULL;
	c->summarized_message = chance(&r, 0.3) ? sdup(c, "배송 지연 관련 문의 후 해결") : NULL;
	c->marketing_type = NULL;
	c->marketing_id = NULL;
	if (cfg->marketing > 0 && chance(&r, 0.06))
	{
		int			m = randint(&r, cfg->marketing);

		c->marketing_type = (m % 3 == 0) ? "campaign" : "oneTimeMsg";
		c->marketing_id = sfmt(c, "mk%02d", m + 1, 0);
	}
	c->workflow_id = NULL;
	if (cfg->workflows > 0 && chance(&r, 0.4))
	{
		int			w = randint(&r, cfg->workflows);
		dg_run	   *run = &c->workflow_runs[c->nworkflow_runs++];
		static const char *const causes[] = {"endWithoutError", "interruptByManager", "interruptByUser", NULL};

		c->workflow_id = sfmt(c, "wf%02d", w + 1, 0);
		run->id = c->workflow_id;
		run->revision_id = sfmt(c, "wf%02d-r%d", w + 1, 1 + randint(&r, 3));
		run->nsections = 1 + randint(&r, 3);
		for (int i = 0; i < run->nsections; i++)
			run->section_path[i] = sfmt(c, "section-%d", i + 1 + randint(&r, 2), 0);
		run->cause_of_end = causes[randint(&r, 4)];
	}
	c->support_bot_id = NULL;
	if (cfg->support_bots > 0 && chance(&r, 0.2))
	{
		int			b = randint(&r, cfg->support_bots);
		dg_run	   *run = &c->support_bot_runs[c->nsupport_bot_runs++];

		c->support_bot_id = sfmt(c, "sb%d", b + 1, 0);
		run->id = c->support_bot_id;
		run->revision_id = sfmt(c, "sb%d-r%d", b + 1, 1 + randint(&r, 2));
		run->nsections = 1 + randint(&r, 2);
		for (int i = 0; i < run->nsections; i++)
			run->section_path[i] = sfmt(c, "step-%d", i + 1, 0);
		run->cause_of_end = NULL;
	}
	if (!c->user_id || !c->name)
		return false;

	/* creation: spread over the span; 75% in business hours, rest any time */
	day = (int) ((int64_t) n * cfg->span_days / (cfg->chats > 0 ? cfg->chats : 1));
	if (chance(&r, 0.75))
		tod = 9 * HOUR + (int64_t) (unif(&r) * 9 * HOUR);
	else
		tod = (int64_t) (unif(&r) * DAY);
	t = cfg->start_us + (int64_t) day * DAY + tod;	/* start is local midnight */
	t -= t % 1000;				/* milliseconds */
	c->created_at = t;

	ncases = 1 + (chance(&r, 0.35) ? 1 + (chance(&r, 0.3) ? 1 : 0) : 0);

	for (k = 0; k < ncases; k++)
	{
		bool		last_case = (k == ncases - 1);
		int			rounds,
					i;
		bool		pending = false;
		int64_t		opened;
		const char *agent;
		bool		stays_open = last_case && chance(&r, 0.08);
		bool		snooze_forever = last_case && !stays_open && chance(&r, 0.04);
		bool		call_missed = false;
		bool		instant_reopen;

		/* the customer writes first (inbound) or a manager reaches out */
		if (inbound && (k == 0 || is_call))
		{
			if (is_call)
			{
				dg_meet    *m = &c->meets[c->nmeets < 4 ? c->nmeets++ : 3];
				bool		missed = chance(&r, 0.3);

				m->id = sfmt(c, "meet-%07d-%d", n + 1, k + 1);
				m->started_at = t;
				m->direction = "inbound";
				m->missed_reason = missed ? missed_reasons[in_business(cfg, t) ? 1 + randint(&r, 6) : 0] : NULL;
				m->engaged_at = missed ? 0 : t + lognormal_us(&r, 20, 0.8);
				m->duration = missed ? 0 : (double) (lognormal_us(&r, 240, 0.7) / USEC);
				m->ended_at = missed ? t + lognormal_us(&r, 30, 0.5) : m->engaged_at + (int64_t) m->duration * USEC;
				m->from_number = sfmt(c, "+82-10-%04d-%04d", randint(&r, 10000), randint(&r, 10000));
				m->to_number = sdup(c, "+82-2-1234-5678");
				call_missed = missed;
			}
			else if (!add_message(c, t, 'u', c->user_id, customer_lines[randint(&r, 16)]))
				return false;
			pending = !is_call;
			if (k == 0 && chance(&r, 0.5) && !add_message(c, t + 1 * USEC, 'b', sfmt(c, "b%d", 1 + randint(&r, cfg->bots), 0),
												bot_lines[in_business(cfg, t) ? 0 : 1]))
				return false;
			/* a burst of follow-ups before anyone answers */
			if (!is_call && chance(&r, 0.3))
			{
				t += lognormal_us(&r, 40, 1.0);
				if (!add_message(c, t, 'u', c->user_id, customer_lines[randint(&r, 16)]))
					return false;
			}
		}
		else if (inbound)
			pending = true;		/* the customer wrote after the previous close */

		/*
		 * Queue, then open when someone is there to pick it up; a customer
		 * writing after a close may reopen the chat at that very instant.
		 */
		instant_reopen = k > 0 && !is_call && chance(&r, 0.5);
		if (inbound && !instant_reopen && chance(&r, 0.85))
		{
			if (!add_event(c, t + 5 * USEC, "queued", NULL, NULL))
				return false;
			state = "queued";
		}
		if (stays_open && is_call && call_missed)
		{
			/* nobody called back: the chat ends as missed */
			if (!add_event(c, c->meets[c->nmeets - 1].ended_at, "missed", NULL, NULL))
				return false;
			state = "missed";
			last = c->meets[c->nmeets - 1].ended_at;
			break;
		}
		if (stays_open && chance(&r, 0.3))
		{
			/* still waiting in the queue as of now */
			last = t + 5 * USEC;
			break;
		}
		opened = instant_reopen ? t : next_business(cfg, t + lognormal_us(&r, 90, 1.2));
		opened -= opened % 1000;
		agent = sfmt(c, "m%03d", 1 + randint(&r, cfg->managers), 0);
		if (!add_event(c, opened, "opened", NULL, NULL))
			return false;
		state = "open";
		if (!assignee || chance(&r, 0.2))
		{
			assignee = chance(&r, 0.05) ? NULL : agent;
			if (!add_event(c, opened, "assigned", agent, assignee))
				return false;
		}
		if (cfg->teams > 0 && (!team || chance(&r, 0.1)) && chance(&r, 0.7))
		{
			team = sfmt(c, "t%02d", 1 + randint(&r, cfg->teams), 0);
			if (!add_event(c, opened, "team_assigned", agent, team))
				return false;
		}
		if (assignee)
			agent = assignee;
		t = opened;

		/* the conversation */
		rounds = 3 + randint(&r, 13);
		for (i = 0; i < rounds; i++)
		{
			int			burst = 1 + (chance(&r, 0.35) ? 1 + randint(&r, 2) : 0);
			int			j;

			if (pending || (i == 0 && !inbound))
			{
				/* a manager answers after a skewed delay, in business hours */
				t += lognormal_us(&r, 75, 1.3);
				if (!in_business(cfg, t) && chance(&r, 0.85))
					t = next_business(cfg, t) + lognormal_us(&r, 300, 1.0);
				t -= t % 1000;
				if (!add_message(c, t, 'm', agent, manager_lines[randint(&r, 10)]))
					return false;
				if (chance(&r, 0.15))
				{
					t += lognormal_us(&r, 20, 0.5);
					if (!add_message(c, t, 'm', agent, manager_lines[randint(&r, 10)]))
						return false;
				}
				pending = false;
			}
			if (i == rounds / 2 && chance(&r, 0.18))
			{
				/* snoozed while waiting for the customer; reopened when they write */
				int64_t		snoozed = t + lognormal_us(&r, 60, 0.5);

				if (!add_event(c, snoozed, "snoozed", agent, NULL))
					return false;
				state = "snoozed";
				t = snoozed + lognormal_us(&r, 3 * 3600, 1.2);
				t -= t % 1000;
				if (!add_event(c, t, "opened", NULL, NULL))
					return false;
				state = "open";
				if (!add_message(c, t, 'u', c->user_id, customer_lines[randint(&r, 16)]))
					return false;
				pending = true;
				continue;
			}
			/* the customer writes back, sometimes in a burst */
			for (j = 0; j < burst; j++)
			{
				t += lognormal_us(&r, j == 0 ? 120 : 25, 1.0);
				t -= t % 1000;
				if (!add_message(c, t, 'u', c->user_id, customer_lines[randint(&r, 16)]))
					return false;
			}
			pending = true;
			if (chance(&r, 0.06) && !add_message(c, t, 'b', sfmt(c, "b%d", 1 + randint(&r, cfg->bots), 0), bot_lines[0]))
				return false;
		}
		/* the last question gets its answer before the close */
		if (pending && !stays_open)
		{
			t += lognormal_us(&r, 90, 1.2);
			if (!in_business(cfg, t) && chance(&r, 0.85))
				t = next_business(cfg, t) + lognormal_us(&r, 300, 1.0);
			t -= t % 1000;
			if (!add_message(c, t, 'm', agent, manager_lines[7]))
				return false;
		}

		/* attributes change along the way */
		if (ncases && chance(&r, 0.65) && cfg->ntags > 0)
		{
			int			nt = 1 + randint(&r, 3);

			for (int q = 0; q < nt && tags.n < 8; q++)
			{
				const char *tag = cfg->tags[randint(&r, cfg->ntags)];

				if (set_has(&tags, tag))
					continue;
				tags.v[tags.n++] = tag;
				if (!add_event(c, t - 1000, "tag_added", agent, tag))
					return false;
			}
			if (tags.n > 1 && chance(&r, 0.15))
			{
				const char *gone = tags.v[0];

				set_remove(&tags, gone);
				if (!add_event(c, t - 500, "tag_removed", agent, gone))
					return false;
			}
		}
		if (chance(&r, 0.3) && followers.n < 8)
		{
			const char *f = sfmt(c, "m%03d", 1 + randint(&r, cfg->managers), 0);

			if (!set_has(&followers, f))
			{
				followers.v[followers.n++] = f;
				if (!add_event(c, t - 800, "follower_added", agent, f))
					return false;
			}
		}
		if (chance(&r, 0.2))
		{
			static const char *const prios[] = {"high", "medium", "low"};

			priority = prios[randint(&r, 3)];
			if (!add_event(c, t - 700, "priority_changed", agent, priority))
				return false;
		}

		if (stays_open)
		{
			last = t;
			break;
		}
		if (snooze_forever)
		{
			t += lognormal_us(&r, 60, 0.5);
			if (!add_event(c, t, "snoozed", agent, NULL))
				return false;
			state = "snoozed";
			last = t;
			break;
		}

		/* close; a CSAT answer may follow the close */
		t += lognormal_us(&r, 120, 1.0);
		t -= t % 1000;
		if (!add_event(c, t, "closed", agent, NULL))
			return false;
		state = "closed";
		if (chance(&r, 0.08) && !add_event(c, t + 2 * USEC, "closed", agent, NULL))
			return false;		/* a duplicate close, as real exports have */
		if (chance(&r, 0.5))
		{
			char		json[256];

			csat = 1 + (int) (pow(unif(&r), 0.4) * 5);
			if (csat > 5)
				csat = 5;
			csat_comment = csat <= 2 ? "답변이 너무 늦어요" : (csat == 5 ? "친절한 상담 감사합니다" : NULL);
			if (!order_no)
				order_no = sfmt(c, "ORD-%06d", randint(&r, 1000000), 0);
			category = (csat % 2) ? "delivery" : "account";
			snprintf(json, sizeof(json), "{\"csat\": %d, \"csatComment\": %s%s%s, \"orderNumber\": \"%s\", \"category\": \"%s\"}",
					 csat, csat_comment ? "\"" : "", csat_comment ? csat_comment : "null",
					 csat_comment ? "\"" : "", order_no, category);
			if (!add_event(c, t + 30 * USEC, "profile_changed", NULL, sdup(c, json)))
				return false;
			if (chance(&r, 0.5) && !add_message(c, t + 1 * USEC, 'b', sfmt(c, "b%d", 1 + randint(&r, cfg->bots), 0), bot_lines[2]))
				return false;
		}
		last = t + 30 * USEC;

		if (!last_case)
		{
			/* the customer comes back later: messages after the close reopen it */
			t += lognormal_us(&r, 20 * 3600, 1.0);
			t -= t % 1000;
			if (!add_message(c, t, 'u', c->user_id, customer_lines[randint(&r, 16)]))
				return false;
			if (chance(&r, 0.3))
			{
				t += lognormal_us(&r, 30, 0.8);
				if (!add_message(c, t, 'u', c->user_id, customer_lines[randint(&r, 16)]))
					return false;
			}
		}
	}

	/* the current row is the end state of the history */
	c->state = state;
	c->assignee_id = assignee;
	c->team_id = team;
	c->nfollowers = followers.n;
	memcpy(c->followers, followers.v, sizeof(followers.v));
	c->ntags = tags.n;
	memcpy(c->tags, tags.v, sizeof(tags.v));
	c->priority = priority;
	if (csat)
	{
		snprintf(buf, sizeof(buf), "{\"csat\": %d, \"csatComment\": %s%s%s, \"orderNumber\": \"%s\", \"category\": \"%s\"}",
				 csat, csat_comment ? "\"" : "", csat_comment ? csat_comment : "null",
				 csat_comment ? "\"" : "", order_no, category);
		/* a JSON null means "no such key" in the current row */
		if (!csat_comment)
			snprintf(buf, sizeof(buf), "{\"csat\": %d, \"orderNumber\": \"%s\", \"category\": \"%s\"}",
					 csat, order_no, category);
		c->profile_json = sdup(c, buf);
	}
	else
		c->profile_json = "{}";
	c->goal_state = NULL;
	c->goal_event_name = NULL;
	c->goal_checked_at = 0;
	if (c->marketing_id && chance(&r, 0.5))
	{
		c->goal_state = chance(&r, 0.4) ? "achieved" : "notAchieved";
		c->goal_event_name = "purchase";
		c->goal_checked_at = c->created_at + 2 * DAY;
	}
	for (int i = 0; i < c->nmessages; i++)
		if (c->messages[i].at > last)
			last = c->messages[i].at;
	for (int i = 0; i < c->nevents; i++)
		if (c->events[i].at > last)
			last = c->events[i].at;
	c->updated_at = last;
	return c->profile_json != NULL;
}

bool
dg_generate(const dg_config *cfg, int n, dg_chat *c)
{
	/* retry with a bigger arena when a chat needs more string space */
	for (;;)
	{
		if (c->arena_cap == 0)
		{
			c->arena = malloc(16384);
			if (!c->arena)
				return false;
			c->arena_cap = 16384;
		}
		if (build(cfg, n, c))
			return true;
		if (!c->arena_full || c->arena_cap > ((size_t) 64 << 20))
			return false;		/* out of memory */
		free(c->arena);
		c->arena_cap *= 4;
		c->arena = malloc(c->arena_cap);
		if (!c->arena)
		{
			c->arena_cap = 0;
			return false;
		}
	}
}
