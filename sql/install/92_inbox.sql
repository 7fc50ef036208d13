/*
 * Live inbox counts (docs/bi.md "Inbox counts"): how many chats are open,
 * snoozed and closed for all chats, "unassigned", each assignee, each team and
 * each chat tag (a tag also counts the chats of its child tags, each chat once),
 * plus the open count of every operator and non-operator manager.
 *
 * Inbox states: open = user_chats state queued or open, snoozed = snoozed,
 * closed = closed or missed.  Open and snoozed are the current user_chats rows
 * (partial index below, so a large channel with mostly closed chats is cheap);
 * closed is limited to chats whose last state change (a closed or missed
 * event) falls in the last closed_days local days of the channel's time zone,
 * found through the partial event index.  An as_of in the past replays
 * chat_events up to as_of instead (every event of the channel: slower).
 */

-- Open and snoozed chats of a channel, with what the counts group by, so the
-- current counts are an index-only scan of the few non-closed chats.
CREATE INDEX user_chats_inbox_idx ON csstats.user_chats (channel_id, state)
	INCLUDE (assignee_id, team_id, tags)
	WHERE state IN ('queued', 'open', 'snoozed');

-- State changes by time: the closed window's candidates.
CREATE INDEX chat_events_state_at_idx ON csstats.chat_events (channel_id, at)
	INCLUDE (chat_id)
	WHERE kind IN ('queued', 'opened', 'snoozed', 'closed', 'missed');

CREATE FUNCTION csstats.inbox_counts(channel_id text, as_of timestamptz DEFAULT now(),
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
COMMENT ON FUNCTION csstats.inbox_counts(text, timestamptz, integer) IS
	'inbox counts (scope, key, name, state, chats) of a channel: open and snoozed now, closed in the last closed_days local days; a past as_of replays chat_events (slower)';
