--
-- Live inbox counts (sql/install/92_inbox.sql) against a hand-computed
-- fixture: child tags counted under their parent once per chat, a chat with 8
-- tags, a removed manager, unassigned, snoozed, queued (open) and missed
-- (closed) chats, operators and non-operators, the closed window (a chat
-- closed 40 days ago is out, one closed twice counts once), the replay of a
-- past as_of, and argument errors.  Event times are relative to now() because
-- the default as_of is now().
--
-- Then the grouping in C (csstats._inbox_group) against the former plain-SQL
-- implementation, kept below as the reference inbox_ref.inbox_counts, on a
-- random fixture (setseed): current counts, closed windows and replays of the
-- past; the local-day edges of the closed window in Asia/Kathmandu (+05:45);
-- and _inbox_group's own errors.
--
SET timezone = 'UTC';
CREATE TEMP TABLE t0 AS SELECT date_trunc('second', now()) AS t;

INSERT INTO csstats.channels (id, name, timezone) VALUES ('ibx', 'Inbox', 'Asia/Seoul'), ('ibx2', 'Other', 'UTC');
INSERT INTO csstats.managers (channel_id, id, name, removed, operator) VALUES
	('ibx', 'm1', 'Operator One', false, true),
	('ibx', 'm2', 'Plain Two', false, false),
	('ibx', 'm3', 'Gone Three', true, true),
	('ibx2', 'm1', 'Elsewhere', false, true);
INSERT INTO csstats.teams (channel_id, id, name, manager_ids) VALUES
	('ibx', 't1', 'Team One', '{m1}'), ('ibx', 't2', 'Team Two', '{m2}');
INSERT INTO csstats.chat_tags (channel_id, id, name) VALUES
	('ibx', 'g1', 'delivery'), ('ibx', 'g2', 'delivery/late'), ('ibx', 'g3', 'delivery/damaged'),
	('ibx', 'g4', 'refund'), ('ibx', 'g5', 'vip');
INSERT INTO csstats.user_chats (channel_id, id, state, assignee_id, team_id, tags, created_at)
SELECT 'ibx', c.id, c.state, c.asg, c.team, c.tags::text[], t0.t - interval '60 days'
FROM t0, (VALUES
	('c1', 'open', 'm1', 't1', '{delivery/late,delivery/damaged}'),
	('c2', 'open', NULL, NULL, '{delivery}'),
	('c3', 'snoozed', 'm2', 't2', '{refund}'),
	('c4', 'queued', NULL, NULL, '{}'),
	('c5', 'open', 'm3', NULL, '{a,b,c,d,e,f,refund,delivery/late}'),
	('c6', 'closed', 'm1', 't1', '{}'),
	('c7', 'closed', 'm2', NULL, '{}'),
	('c8', 'closed', NULL, NULL, '{delivery/late}'),
	('c9', 'missed', NULL, NULL, '{}'),
	('c10', 'snoozed', NULL, NULL, '{delivery/damaged}')) AS c(id, state, asg, team, tags);
-- another channel's open chat never counts
INSERT INTO csstats.user_chats (channel_id, id, state, assignee_id, created_at)
SELECT 'ibx2', 'c1', 'open', 'm1', t FROM t0;
INSERT INTO csstats.chat_events (channel_id, chat_id, at, kind, value)
SELECT 'ibx', e.chat, t0.t - e.ago::interval, e.kind, e.value
FROM t0, (VALUES
	('c1', '5 days', 'opened', NULL), ('c1', '5 days', 'assigned', 'm2'), ('c1', '1 day', 'assigned', 'm1'),
	('c1', '5 days', 'tag_added', 'delivery/late'), ('c1', '1 day', 'tag_added', 'delivery/damaged'),
	('c3', '6 days', 'opened', NULL), ('c3', '1 day', 'snoozed', NULL), ('c3', '1 day', 'assigned', 'm2'),
	('c6', '10 days', 'opened', NULL), ('c6', '10 days', 'assigned', 'm1'), ('c6', '1 day', 'closed', NULL),
	('c7', '41 days', 'assigned', 'm2'), ('c7', '40 days', 'closed', NULL),
	('c8', '50 days', 'closed', NULL), ('c8', '45 days', 'opened', NULL), ('c8', '2 days', 'closed', NULL),
	('c9', '4 days', 'missed', NULL)) AS e(chat, ago, kind, value);

-- Now: all 4 open (c1 c2 c4 c5), 2 snoozed (c3 c10), 3 closed in the window
-- (c6; c8 once although closed twice; c9 missed); c7 closed 40 days ago is out.
-- m3 is removed: listed as an assignee (it still has c5) but not as an operator.
-- delivery = c1 (two child tags, once) + c2 + c5 open, c10 snoozed, c8 closed.
SELECT scope, key, name, state, chats FROM csstats.inbox_counts('ibx');

-- The window is local days: closed_days => 1 is today in Seoul only, so only
-- chats closed since local midnight count (c6 at now() - 1 day never does).
SELECT state, chats FROM csstats.inbox_counts('ibx', closed_days => 1) WHERE scope = 'all';
SELECT state, chats FROM csstats.inbox_counts('ibx', closed_days => 45) WHERE scope = 'all';

-- Three days ago, replayed from chat_events: c1 open with m2 and only
-- delivery/late; c3 open (snoozed later); c6 open; c8 reopened (open); c9
-- missed 4 days ago (closed); chats without state events are open since
-- created; c7 closed 40 days before as_of is outside the window.
SELECT scope, key, state, chats
FROM csstats.inbox_counts('ibx', (SELECT t - interval '3 days' FROM t0))
WHERE scope IN ('all', 'unassigned', 'assignee', 'operator') OR key LIKE 'delivery%'
ORDER BY scope, key, state;

-- On data whose current rows agree with its events (the demo generator's),
-- replaying the present gives the current open and snoozed counts.
SELECT count(*) FROM csstats.generate_demo('ibxd', 400, 3);
SELECT count(*) AS differences FROM (
	(SELECT scope, key, state, chats FROM csstats.inbox_counts('ibxd') WHERE state <> 'closed'
	 EXCEPT SELECT scope, key, state, chats FROM csstats.inbox_counts('ibxd', now() - interval '1 second')
		WHERE state <> 'closed')
	UNION ALL
	(SELECT scope, key, state, chats FROM csstats.inbox_counts('ibxd', now() - interval '1 second')
		WHERE state <> 'closed'
	 EXCEPT SELECT scope, key, state, chats FROM csstats.inbox_counts('ibxd') WHERE state <> 'closed')) d;
SELECT sum(chats) > 0 AS some_open FROM csstats.inbox_counts('ibxd') WHERE scope = 'all' AND state = 'open';

-- An empty channel lists its managers with zero counts.
SELECT scope, key, state, chats FROM csstats.inbox_counts('ibx2', now() + interval '1 hour')
WHERE scope IN ('all', 'operator');

-- errors
SELECT * FROM csstats.inbox_counts('nope');
SELECT * FROM csstats.inbox_counts('ibx', NULL);
SELECT * FROM csstats.inbox_counts('ibx', closed_days => 0);


-- The reference: the plain-SQL implementation inbox_counts had before the
-- grouping moved to C (same arguments, same rows, same order).
CREATE SCHEMA inbox_ref;
CREATE FUNCTION inbox_ref.inbox_counts(channel_id text, as_of timestamptz DEFAULT now(),
	closed_days integer DEFAULT 30)
	RETURNS TABLE (scope text, key text, name text, state text, chats bigint)
	LANGUAGE plpgsql STABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
	ch text := channel_id;
	at_ts timestamptz := as_of;
	tz text;
	win_start timestamptz;
	replay boolean;
BEGIN
	IF at_ts IS NULL THEN
		RAISE EXCEPTION 'as_of must not be NULL' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF closed_days IS NULL OR closed_days < 1 OR closed_days > 3660 THEN
		RAISE EXCEPTION 'closed_days must be between 1 and 3660, got %', coalesce(closed_days::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	SELECT c.timezone INTO tz FROM csstats.channels c WHERE c.id = ch;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'channel "%" does not exist', ch
			USING ERRCODE = 'no_data_found', HINT = 'Channels are the rows of csstats.channels.';
	END IF;
	-- The window is whole local days: today (of as_of) and the closed_days - 1 before it.
	win_start := (((at_ts AT TIME ZONE tz)::date - (closed_days - 1))::timestamp) AT TIME ZONE tz;
	-- now() is the transaction's start: as_of = now() (the default) or later
	-- reads the current rows; an earlier as_of replays the events.
	replay := at_ts < now();

	RETURN QUERY
	WITH live AS MATERIALIZED (
		-- current: open and snoozed chats as they are now
		SELECT CASE u.state WHEN 'snoozed' THEN 'snoozed' ELSE 'open' END AS st,
			u.assignee_id AS asg, u.team_id AS team, u.tags
		FROM csstats.user_chats u
		WHERE NOT replay AND u.channel_id = ch AND u.state IN ('queued', 'open', 'snoozed')
		UNION ALL
		-- current: chats whose last state change is a close in the window
		SELECT 'closed', u.assignee_id, u.team_id, u.tags
		FROM csstats.chat_events e
		JOIN csstats.user_chats u ON u.channel_id = e.channel_id AND u.id = e.chat_id
		WHERE NOT replay AND e.channel_id = ch
			AND e.kind IN ('queued', 'opened', 'snoozed', 'closed', 'missed')
			AND e.kind IN ('closed', 'missed') AND e.at >= win_start AND e.at <= at_ts
			AND u.state IN ('closed', 'missed')
			AND NOT EXISTS (SELECT 1 FROM csstats.chat_events l
				WHERE l.channel_id = e.channel_id AND l.chat_id = e.chat_id
					AND l.kind IN ('queued', 'opened', 'snoozed', 'closed', 'missed')
					AND (l.at > e.at OR (l.at = e.at AND l.id > e.id)))
		UNION ALL
		-- past: the state, assignee, team and tags each chat had at as_of
		SELECT r.st, r.asg, r.team, r.tags
		FROM (
			SELECT CASE s.kind WHEN 'snoozed' THEN 'snoozed' WHEN 'closed' THEN 'closed'
					WHEN 'missed' THEN 'closed' ELSE 'open' END AS st,
				s.at AS state_at,
				(SELECT nullif(e.value, '') FROM csstats.chat_events e
					WHERE e.channel_id = ch AND e.chat_id = s.chat_id AND e.kind = 'assigned' AND e.at <= at_ts
					ORDER BY e.at DESC, e.id DESC LIMIT 1) AS asg,
				(SELECT nullif(e.value, '') FROM csstats.chat_events e
					WHERE e.channel_id = ch AND e.chat_id = s.chat_id AND e.kind = 'team_assigned' AND e.at <= at_ts
					ORDER BY e.at DESC, e.id DESC LIMIT 1) AS team,
				(SELECT coalesce(array_agg(t.value ORDER BY t.value), '{}') FROM (
					SELECT DISTINCT ON (e.value) e.value, e.kind FROM csstats.chat_events e
					WHERE e.channel_id = ch AND e.chat_id = s.chat_id
						AND e.kind IN ('tag_added', 'tag_removed') AND e.at <= at_ts
					ORDER BY e.value, e.at DESC, e.id DESC) t
					WHERE t.kind = 'tag_added') AS tags
			FROM (
				-- a chat with no state change yet has been open since it was created
				SELECT u.id AS chat_id, le.kind, coalesce(le.at, u.created_at) AS at
				FROM csstats.user_chats u
				LEFT JOIN LATERAL (
					SELECT e.kind, e.at FROM csstats.chat_events e
					WHERE e.channel_id = ch AND e.chat_id = u.id AND e.at <= at_ts
						AND e.kind IN ('queued', 'opened', 'snoozed', 'closed', 'missed')
					ORDER BY e.at DESC, e.id DESC LIMIT 1) le ON true
				WHERE replay AND u.channel_id = ch AND (u.created_at <= at_ts OR le.kind IS NOT NULL)) s
			) r
		WHERE r.st <> 'closed' OR r.state_at >= win_start
	),
	states (st, st_ord) AS (VALUES ('open', 1), ('snoozed', 2), ('closed', 3)),
	-- every key listed, with zero counts too
	keys (scope, scope_ord, key, name) AS (
		SELECT 'all', 1, NULL::text, 'All'
		UNION ALL SELECT 'unassigned', 2, NULL, 'Unassigned'
		UNION ALL
		SELECT 'assignee', 3, a.id, m.name
		FROM (SELECT m2.id FROM csstats.managers m2 WHERE m2.channel_id = ch AND NOT m2.removed
			UNION SELECT l.asg FROM live l WHERE l.asg IS NOT NULL) a
		LEFT JOIN csstats.managers m ON m.channel_id = ch AND m.id = a.id
		UNION ALL
		SELECT 'team', 6, t.id, tm.name
		FROM (SELECT t2.id FROM csstats.teams t2 WHERE t2.channel_id = ch
			UNION SELECT l.team FROM live l WHERE l.team IS NOT NULL) t
		LEFT JOIN csstats.teams tm ON tm.channel_id = ch AND tm.id = t.id
		UNION ALL
		SELECT 'tag', 7, g.tag, g.tag
		FROM (SELECT DISTINCT array_to_string(p[1:k], '/')
			FROM (SELECT string_to_array(ct.name, '/') FROM csstats.chat_tags ct WHERE ct.channel_id = ch
				UNION SELECT string_to_array(x, '/') FROM live l, unnest(l.tags) x) t(p),
				generate_series(1, cardinality(p)) k) g(tag)
	),
	counted AS (
		SELECT 'all' AS scope, NULL::text AS key, l.st, count(*) AS n FROM live l GROUP BY l.st
		UNION ALL
		SELECT 'unassigned', NULL, l.st, count(*) FROM live l WHERE l.asg IS NULL GROUP BY l.st
		UNION ALL
		SELECT 'assignee', l.asg, l.st, count(*) FROM live l WHERE l.asg IS NOT NULL GROUP BY l.asg, l.st
		UNION ALL
		SELECT 'team', l.team, l.st, count(*) FROM live l WHERE l.team IS NOT NULL GROUP BY l.team, l.st
		UNION ALL
		-- each chat once per tag, however many of its tags fall under it
		SELECT 'tag', g.tag, g.st, count(*)
		-- (a tag and its ancestors: 'a/b/c' counts under 'a', 'a/b' and 'a/b/c')
		FROM (SELECT DISTINCT l.chat_no, l.st, array_to_string(p[1:k], '/') AS tag
			FROM (SELECT row_number() OVER () AS chat_no, l0.st, l0.tags FROM live l0
				WHERE cardinality(l0.tags) > 0) l,
				unnest(l.tags) x, string_to_array(x, '/') p, generate_series(1, cardinality(p)) k) g
		GROUP BY g.tag, g.st
	)
	SELECT o.scope, o.key, o.name, o.state, o.chats FROM (
		SELECT k.scope, k.scope_ord, k.key, k.name, s.st AS state, s.st_ord, coalesce(c.n, 0) AS chats
		FROM keys k CROSS JOIN states s
		-- (coalesce: an equality the planner can hash; keys are never '')
		LEFT JOIN counted c ON c.scope = k.scope AND coalesce(c.key, '') = coalesce(k.key, '') AND c.st = s.st
		UNION ALL
		-- operators and non-operators (current managers) with their open chats
		SELECT CASE WHEN m.operator THEN 'operator' ELSE 'non_operator' END,
			CASE WHEN m.operator THEN 4 ELSE 5 END, m.id, m.name, 'open', 1,
			coalesce(c.n, 0)
		FROM csstats.managers m
		LEFT JOIN counted c ON c.scope = 'assignee' AND c.key = m.id AND c.st = 'open'
		WHERE m.channel_id = ch AND NOT m.removed
	) o
	ORDER BY o.scope_ord, o.key COLLATE "C", o.st_ord;
END
$fn$;

-- The random fixture: 800 chats in five states with 0-8 tags from a
-- three-level hierarchy (duplicates and several children of one parent
-- included), assignees that are current, removed or unknown managers, teams
-- known and unknown, and state, assignment and tag events over 70 days.
SELECT setseed(0.14);
INSERT INTO csstats.channels (id, name, timezone) VALUES ('ibxr', 'Random', 'America/Sao_Paulo');
INSERT INTO csstats.managers (channel_id, id, name, removed, operator)
SELECT 'ibxr', 'm' || i, 'Manager ' || i, i % 5 = 0, i % 3 <> 0 FROM generate_series(1, 12) i;
INSERT INTO csstats.teams (channel_id, id, name) SELECT 'ibxr', 't' || i, 'Team ' || i FROM generate_series(1, 4) i;
CREATE TEMP TABLE vocab (tag) AS SELECT unnest('{a,a/b,a/b/c,a/b/d,a/e,f,f/g,f/g/h,ab,a/bc,k/l,k/m,n/o/p,q,vip}'::text[]);
INSERT INTO csstats.chat_tags (channel_id, id, name)
SELECT 'ibxr', 'g' || row_number() OVER (ORDER BY tag), tag FROM vocab WHERE tag NOT IN ('k/m', 'n/o/p');
INSERT INTO csstats.chat_tags (channel_id, id, name) VALUES ('ibxr', 'gz', 'zeta/unused');
CREATE TEMP TABLE rchats AS
SELECT 'r' || i AS id,
	(ARRAY['queued', 'open', 'snoozed', 'closed', 'missed'])[1 + floor(random() * 5)::int] AS state,
	CASE WHEN random() < 0.25 THEN NULL ELSE 'm' || (1 + floor(random() * 14)::int) END AS asg,
	CASE WHEN random() < 0.4 THEN NULL ELSE 't' || (1 + floor(random() * 5)::int) END AS team,
	floor(random() * 9)::int AS ntags
FROM generate_series(1, 800) i;
INSERT INTO csstats.user_chats (channel_id, id, state, assignee_id, team_id, tags, created_at)
SELECT 'ibxr', c.id, c.state, c.asg, c.team,
	ARRAY(SELECT (SELECT v.tag FROM vocab v ORDER BY random() + k * 0 LIMIT 1) FROM generate_series(1, c.ntags) k),
	t0.t - interval '70 days'
FROM rchats c, t0;
-- each chat: up to 4 state events, assignments and team changes (some to
-- nobody), tags added and removed
INSERT INTO csstats.chat_events (channel_id, chat_id, at, kind, value)
SELECT 'ibxr', c.id, t0.t - random() * interval '69 days',
	(ARRAY['queued', 'opened', 'snoozed', 'closed', 'missed'])[1 + floor(random() * 5)::int], NULL
FROM rchats c, t0, generate_series(1, 4) k WHERE random() < 0.6
UNION ALL
SELECT 'ibxr', c.id, t0.t - random() * interval '69 days',
	(ARRAY['assigned', 'team_assigned'])[k],
	CASE WHEN random() < 0.15 THEN '' WHEN k = 1 THEN 'm' || (1 + floor(random() * 14)::int)
		ELSE 't' || (1 + floor(random() * 5)::int) END
FROM rchats c, t0, generate_series(1, 2) k WHERE random() < 0.7
UNION ALL
SELECT 'ibxr', c.id, t0.t - random() * interval '69 days',
	(ARRAY['tag_added', 'tag_added', 'tag_removed'])[1 + floor(random() * 3)::int],
	(SELECT v.tag FROM vocab v ORDER BY random() + k * 0 LIMIT 1)
FROM rchats c, t0, generate_series(1, 5) k WHERE random() < 0.5;
-- (statistics as autovacuum would have them: the replays' plans need them)
ANALYZE csstats.user_chats, csstats.chat_events;
SELECT count(*) AS chats, count(*) FILTER (WHERE state IN ('closed', 'missed')) AS closed,
	(SELECT count(*) FROM csstats.chat_events WHERE channel_id = 'ibxr') > 1500 AS many_events
FROM rchats;

-- The same rows in the same order as the reference: now (the default window
-- and others), a future as_of, and replays of the past.  (Which events fall
-- in a window depends on the time of day the test runs: only the comparison
-- is printed.)
CREATE TEMP TABLE cmp (label text, as_of timestamptz, closed_days int);
INSERT INTO cmp SELECT 'now', now(), 30 UNION ALL SELECT 'now, 1 day', now(), 1
	UNION ALL SELECT 'now, 10 days', now(), 10 UNION ALL SELECT 'now, 3660 days', now(), 3660
	UNION ALL SELECT 'in an hour', now() + interval '1 hour', 30
	UNION ALL SELECT '5 days ago', t - interval '5 days', 30 FROM t0
	UNION ALL SELECT '30 days ago, 7 days', t - interval '30 days', 7 FROM t0
	UNION ALL SELECT '69 days ago', t - interval '69 days', 30 FROM t0;
SELECT c.label, n.rows IS NOT DISTINCT FROM o.rows AS same, n.tag_chats > 0 AS tags_counted
FROM cmp c,
	LATERAL (SELECT array_agg(row(x.*)::text) AS rows, sum(x.chats) FILTER (WHERE x.scope = 'tag') AS tag_chats
		FROM csstats.inbox_counts('ibxr', c.as_of, c.closed_days) x) n,
	LATERAL (SELECT array_agg(row(y.*)::text) AS rows
		FROM inbox_ref.inbox_counts('ibxr', c.as_of, c.closed_days) y) o
ORDER BY c.as_of, c.closed_days;
-- and on the hand-made and demo channels
SELECT ch,
	(SELECT array_agg(row(n.*)::text) FROM csstats.inbox_counts(ch) n)
	IS NOT DISTINCT FROM (SELECT array_agg(row(o.*)::text) FROM inbox_ref.inbox_counts(ch) o) AS same_now,
	(SELECT array_agg(row(n.*)::text) FROM csstats.inbox_counts(ch, now() - interval '3 days') n)
	IS NOT DISTINCT FROM (SELECT array_agg(row(o.*)::text) FROM inbox_ref.inbox_counts(ch, now() - interval '3 days') o) AS same_past
FROM unnest('{ibx,ibx2,ibxd}'::text[]) ch;

-- Kathmandu (+05:45): the closed window starts at local midnight, whatever
-- the session's time zone.  For windows of 1, 2 and 30 days, a chat closed
-- exactly at the window's first local midnight (kDin), one closed a
-- microsecond before it (kDout), and one closed two days before, reopened
-- and closed again just after it (kDlater).  Each chat carries its name as
-- its tag, so the tag rows say which chats a window counts.
SET timezone = 'America/St_Johns';
INSERT INTO csstats.channels (id, name, timezone) VALUES ('ibxk', 'Kathmandu', 'Asia/Kathmandu');
CREATE TEMP TABLE kmid AS
SELECT d AS days, ((now() AT TIME ZONE 'Asia/Kathmandu')::date - (d - 1))::timestamp AT TIME ZONE 'Asia/Kathmandu' AS win_start
FROM unnest('{1,2,30}'::int[]) d;
INSERT INTO csstats.user_chats (channel_id, id, state, tags, created_at)
SELECT 'ibxk', 'k' || k.days || x.suffix, 'closed', ARRAY['k' || k.days || x.suffix], k.win_start - interval '40 days'
FROM kmid k, (VALUES ('in'), ('out'), ('later')) x(suffix);
INSERT INTO csstats.chat_events (channel_id, chat_id, at, kind)
SELECT 'ibxk', 'k' || k.days || x.suffix, k.win_start + x.off, x.kind
FROM kmid k, (VALUES ('in', interval '0', 'closed'), ('out', interval '-1 microsecond', 'closed'),
	('later', interval '-2 days', 'closed'), ('later', interval '-1 day', 'opened')) x(suffix, off, kind)
UNION ALL
-- (at most half the time since that midnight: never after now())
SELECT 'ibxk', 'k' || k.days || 'later', k.win_start + least(interval '59 minutes', (now() - k.win_start) / 2), 'closed'
FROM kmid k;
SELECT k.days,
	(SELECT chats FROM csstats.inbox_counts('ibxk', closed_days => k.days) n
		WHERE n.scope = 'all' AND n.state = 'closed') AS closed,
	(SELECT string_agg(n.key, ' ' ORDER BY n.key) FROM csstats.inbox_counts('ibxk', closed_days => k.days) n
		WHERE n.scope = 'tag' AND n.state = 'closed' AND n.chats > 0) AS counted,
	(SELECT array_agg(row(n.*)::text) FROM csstats.inbox_counts('ibxk', closed_days => k.days) n)
	IS NOT DISTINCT FROM
	(SELECT array_agg(row(o.*)::text) FROM inbox_ref.inbox_counts('ibxk', closed_days => k.days) o) AS same
FROM kmid k ORDER BY k.days;
SET timezone = 'UTC';

-- _inbox_group reads a cursor of (state, assignee, team, tags) to its end;
-- it counts queued as open and missed as closed, skips NULL tags, lists the
-- keys it is given (a removed manager only while a chat is assigned to it,
-- and never as an operator), names them, and refuses anything else.
BEGIN;
DECLARE rows_ok CURSOR FOR
	SELECT * FROM (VALUES ('queued', NULL, 't9', '{x/y,x/z,NULL}'::text[]), ('missed', 'm1', NULL, NULL),
		('snoozed', 'm1', 't9', '{}'), ('open', NULL, NULL, '{x}'), ('open', 'm3', NULL, '{}'))
		v(st, asg, team, tags);
SELECT * FROM csstats._inbox_group('rows_ok', '{m2,m3,m4,m5,NULL}', '{Two,Three,NULL,Five,Nobody}',
	'{false,true,false,true,false}', '{true,true,false,false,true}', '{t9}', '{Nine}', '{w/v}');
FETCH rows_ok;
DECLARE rows_bad_state CURSOR FOR SELECT 'pending', NULL::text, NULL::text, '{}'::text[];
SELECT * FROM csstats._inbox_group('rows_bad_state', NULL, NULL, NULL, NULL, NULL, NULL, NULL);
ROLLBACK;
BEGIN;
DECLARE rows_null_state CURSOR FOR SELECT NULL::text, NULL::text, NULL::text, '{}'::text[];
SELECT * FROM csstats._inbox_group('rows_null_state', NULL, NULL, NULL, NULL, NULL, NULL, NULL);
ROLLBACK;
BEGIN;
DECLARE rows_wrong CURSOR FOR SELECT 'open', NULL::text, NULL::text, 'a'::text;
SELECT * FROM csstats._inbox_group('rows_wrong', NULL, NULL, NULL, NULL, NULL, NULL, NULL);
ROLLBACK;
BEGIN;
DECLARE rows_short CURSOR FOR SELECT 'open', NULL::text, NULL::text, '{}'::text[];
SELECT * FROM csstats._inbox_group('rows_short', '{m1,m2}', '{One}', '{false,false}', '{true,true}', NULL, NULL, NULL);
ROLLBACK;
SELECT * FROM csstats._inbox_group('no_such_cursor', NULL, NULL, NULL, NULL, NULL, NULL, NULL);
SELECT * FROM csstats._inbox_group(NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);

DROP SCHEMA inbox_ref CASCADE;
DELETE FROM csstats.channels WHERE id IN ('ibx', 'ibx2', 'ibxd', 'ibxr', 'ibxk');
