--
-- Live inbox counts (sql/install/92_inbox.sql) against a hand-computed
-- fixture: child tags counted under their parent once per chat, a chat with 8
-- tags, a removed manager, unassigned, snoozed, queued (open) and missed
-- (closed) chats, operators and non-operators, the closed window (a chat
-- closed 40 days ago is out, one closed twice counts once), the replay of a
-- past as_of, and argument errors.  Event times are relative to now() because
-- the default as_of is now().
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

DELETE FROM csstats.channels WHERE id IN ('ibx', 'ibx2', 'ibxd');
