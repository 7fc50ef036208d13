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
 *
 * The counted chats (one row each: inbox state, assignee, team, tags) come
 * from a cursor; csstats._inbox_group (src/inbox.c, src/core/inbox.c) reads
 * it and groups in one pass, tag ancestors included.
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

CREATE FUNCTION csstats._inbox_group(chat_rows refcursor, manager_ids text[], manager_names text[],
	manager_removed boolean[], manager_operator boolean[], team_ids text[], team_names text[], tags text[])
	RETURNS TABLE (scope text, key text, name text, state text, chats bigint)
	LANGUAGE C VOLATILE PARALLEL RESTRICTED
	AS 'MODULE_PATHNAME', 'csstats_inbox_group';
COMMENT ON FUNCTION csstats._inbox_group(refcursor, text[], text[], boolean[], boolean[], text[], text[], text[]) IS
	'inbox_counts'' grouping: reads the open cursor chat_rows (state, assignee, team, tags; one row per chat) to its end and returns the rows of inbox_counts in its order; the managers (ids, names, removed, operator), teams (ids, names) and tags listed are rows with zero counts too (a removed manager only while chats are assigned to it)';

CREATE FUNCTION csstats.inbox_counts(channel_id text, as_of timestamptz DEFAULT now(),
	closed_days integer DEFAULT 30)
	RETURNS TABLE (scope text, key text, name text, state text, chats bigint)
	LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
	SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
	ch text := channel_id;
	at_ts timestamptz := as_of;
	tz text;
	win_start timestamptz;
	chat_rows refcursor;
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

	-- One row per counted chat: its inbox state, assignee, team and tags.
	-- now() is the transaction's start: as_of = now() (the default) or later
	-- reads the current rows; an earlier as_of replays the events.
	IF at_ts >= now() THEN
		OPEN chat_rows FOR
		-- open and snoozed chats as they are now (user_chats_inbox_idx; the
		-- grouping takes queued as open)
		SELECT u.state, u.assignee_id, u.team_id, u.tags
		FROM csstats.user_chats u
		WHERE u.channel_id = ch AND u.state IN ('queued', 'open', 'snoozed')
		UNION ALL
		-- chats whose last state change is a close in the window: the last of
		-- the state changes since the window's start (chat_events_state_at_idx),
		-- one sort instead of a probe for a later change per close
		SELECT u.state, u.assignee_id, u.team_id, u.tags
		FROM (SELECT DISTINCT ON (e.chat_id COLLATE "C") e.chat_id, e.kind, e.at
			FROM csstats.chat_events e
			WHERE e.channel_id = ch AND e.kind IN ('queued', 'opened', 'snoozed', 'closed', 'missed')
				AND e.at >= win_start
			ORDER BY e.chat_id COLLATE "C", e.at DESC, e.id DESC) l
		JOIN csstats.user_chats u ON u.channel_id = ch AND u.id = l.chat_id
		WHERE l.kind IN ('closed', 'missed') AND l.at <= at_ts AND u.state IN ('closed', 'missed');
	ELSE
		OPEN chat_rows FOR
		-- the state, assignee, team and tags each chat had at as_of
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
				WHERE u.channel_id = ch AND (u.created_at <= at_ts OR le.kind IS NOT NULL)) s
			) r
		WHERE r.st <> 'closed' OR r.state_at >= win_start;
	END IF;

	-- Grouped in C, which returns the rows in order; every current manager,
	-- team and chat_tags tag is listed (zero counts too), and so is every key
	-- found on a counted chat.
	RETURN QUERY
	SELECT g.scope, g.key, g.name, g.state, g.chats
	FROM (SELECT array_agg(m.id) AS ids, array_agg(m.name) AS names, array_agg(m.removed) AS removed,
			array_agg(m.operator) AS operator
		FROM csstats.managers m WHERE m.channel_id = ch) m,
		(SELECT array_agg(t.id) AS ids, array_agg(t.name) AS names
		FROM csstats.teams t WHERE t.channel_id = ch) t,
		csstats._inbox_group(chat_rows, m.ids, m.names, m.removed, m.operator, t.ids, t.names,
			ARRAY(SELECT ct.name FROM csstats.chat_tags ct WHERE ct.channel_id = ch))
			WITH ORDINALITY AS g (scope, key, name, state, chats, ord)
	ORDER BY g.ord;
	CLOSE chat_rows;
END
$fn$;
COMMENT ON FUNCTION csstats.inbox_counts(text, timestamptz, integer) IS
	'inbox counts (scope, key, name, state, chats) of a channel: open and snoozed now, closed in the last closed_days local days; a past as_of replays chat_events (slower)';
