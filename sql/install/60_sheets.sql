/*
 * The UserChat and UserChatCase data sheets (seeds 001 and 002) as
 * set-returning functions.  Column names are the seeds' data names in
 * snake_case, in the seeds' order; profile.* columns are one profile jsonb
 * (the export expands it in chat_profile_fields order).
 *
 *   SELECT * FROM csstats.user_chat_sheet('ch1', '2025-03-01', '2025-04-01',
 *                                         '{"tags_any": ["delivery"]}');
 *   SELECT * FROM csstats.user_chat_case_sheet('ch1', '2025-03-01', '2025-04-01');
 *
 * Both run with the caller's rights (SECURITY INVOKER): grants and row-level
 * security on the csstats tables decide what the caller sees.  as_of is the
 * instant the sheet describes (default now(); NULL means now()): timeline
 * items after it are ignored, chats created after it are left out, and it
 * decides userChatCaseState.
 */

-- The channel's chat URL template, or an error naming the channel.
CREATE FUNCTION csstats.channel_chat_url_template(channel_id text)
	RETURNS text
	LANGUAGE plpgsql STABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	tmpl text;
BEGIN
	IF channel_id IS NULL THEN
		RAISE EXCEPTION 'channel_id must not be null'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	SELECT ch.chat_url_template INTO tmpl
	FROM csstats.channels ch WHERE ch.id = channel_chat_url_template.channel_id;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'channel "%" does not exist', channel_id
			USING ERRCODE = 'invalid_parameter_value',
				HINT = 'Channels are rows of csstats.channels.';
	END IF;
	RETURN tmpl;
END
$$;
COMMENT ON FUNCTION csstats.channel_chat_url_template(text) IS
	'the chat_url_template of a channel; an error when the channel does not exist (or is not visible)';

CREATE FUNCTION csstats.chat_url(template text, channel_id text, chat_id text)
	RETURNS text
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	RETURN pg_catalog.replace(pg_catalog.replace(template, '{channel_id}', channel_id),
		'{chat_id}', chat_id);
COMMENT ON FUNCTION csstats.chat_url(text, text, text) IS
	'the staff URL of a chat: the template with {channel_id} and {chat_id} substituted';

-- The timeline condition of a sheet's metrics query.  A selection of a
-- quarter of the channel or more is computed in one pass over the channel's
-- timeline (sequential scans, grouped by chat) and joined to the selection;
-- a smaller one reads only its chats through the (channel_id, chat_id)
-- indexes.  The sheets run the query with EXECUTE so that the planner sees
-- the constant and the array, and with enable_hashagg off: grouping by chat
-- then streams the timeline in (channel_id, chat_id) index order, one chat
-- in memory at a time, where a hash aggregate would hold every chat's
-- timeline at once (backend memory must stay flat on large channels).
CREATE FUNCTION csstats.sheet_chat_condition(channel_id text, ids text[])
	RETURNS text
	LANGUAGE plpgsql STABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	total bigint;
BEGIN
	SELECT count(*) INTO total FROM csstats.user_chats c
	WHERE c.channel_id = sheet_chat_condition.channel_id;
	IF cardinality(ids) * 4 >= total THEN
		RETURN 'true';
	END IF;
	RETURN 't.chat_id = ANY ($3)';
END
$$;
COMMENT ON FUNCTION csstats.sheet_chat_condition(text, text[]) IS
	'internal: whether a sheet reads the whole channel''s timeline or only the selected chats';

-------------------------------------------------------------------------------
-- UserChat data (seed 001, full list and order): the chat's current row, the
-- metrics of its latest open period, the chat URL and the chat profile.
-------------------------------------------------------------------------------
CREATE FUNCTION csstats.user_chat_sheet(channel_id text, since timestamptz DEFAULT NULL,
		until timestamptz DEFAULT NULL, filters jsonb DEFAULT '{}',
		as_of timestamptz DEFAULT now())
	RETURNS TABLE (
		id text,
		user_id text,
		name text,
		description text,
		summarized_message text,
		state text,
		contact_medium_type text,
		marketing_type text,
		marketing_id text,
		workflow_id text,
		manager_ids text[],
		assignee_id text,
		team_id text,
		tags text[],
		priority text,
		page text,
		first_asked_at timestamptz,
		first_queued_at timestamptz,
		first_opened_at timestamptz,
		first_replied_at timestamptz,
		opened_at timestamptz,
		first_replied_at_after_open timestamptz,
		created_at timestamptz,
		waiting_time double precision,
		avg_reply_time double precision,
		total_reply_time double precision,
		reply_count integer,
		resolution_time double precision,
		operation_waiting_time double precision,
		operation_avg_reply_time double precision,
		operation_total_reply_time double precision,
		operation_reply_count integer,
		operation_resolution_time double precision,
		closed_at timestamptz,
		goal_state text,
		goal_event_name text,
		goal_checked_at timestamptz,
		support_bot_id text,
		url text,
		profile jsonb)
	LANGUAGE plpgsql STABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
	SET enable_hashagg = off
	-- The planner cannot estimate how many chats the grouped timeline yields
	-- (it guesses 200), and with a second large channel in the database it
	-- then joined the selection by a nested loop: 100M comparisons, 4.1 s
	-- instead of 0.37 s for 10,000 chats.  Hash and merge joins are right at
	-- every size here (3 chats: 6 ms).
	SET enable_nestloop = off
AS $$
DECLARE
	tmpl text := csstats.channel_chat_url_template(user_chat_sheet.channel_id);
	asof timestamptz := coalesce(user_chat_sheet.as_of, now());
	ids text[];
BEGIN
	-- the selection, oldest first (validates the filters and the range)
	SELECT coalesce(array_agg(c.id ORDER BY c.ord), '{}') INTO ids
	FROM csstats._selected_chats(user_chat_sheet.channel_id, user_chat_sheet.since,
		user_chat_sheet.until, user_chat_sheet.filters, asof) c;

	RETURN QUERY EXECUTE format($q$
	WITH m AS (
		-- the column form of the aggregate: no composite per timeline row
		SELECT t.chat_id, csstats.chat_metrics(t.channel_id, t.chat_id, t.at, t.seq, t.kind,
			t.event_id, t.item_id, $2) AS r
		FROM csstats.timeline t
		WHERE t.channel_id = $1 AND %s
		GROUP BY t.channel_id, t.chat_id)
	SELECT c.id, c.user_id, c.name, c.description, c.summarized_message, c.state,
		c.medium_name, c.marketing_type, c.marketing_id, c.workflow_id, c.manager_ids,
		c.assignee_id, c.team_id, c.tags, c.priority, c.page,
		(m.r).first_asked_at, (m.r).first_queued_at, (m.r).first_opened_at,
		(m.r).first_replied_at, (m.r).opened_at, (m.r).first_replied_at_after_open,
		c.created_at,
		(m.r).waiting_time, (m.r).avg_reply_time, (m.r).total_reply_time,
		(m.r).reply_count, (m.r).resolution_time,
		(m.r).operation_waiting_time, (m.r).operation_avg_reply_time,
		(m.r).operation_total_reply_time, (m.r).operation_reply_count,
		(m.r).operation_resolution_time, (m.r).closed_at,
		c.goal_state, c.goal_event_name, c.goal_checked_at, c.support_bot_id,
		csstats.chat_url($4, c.channel_id, c.id), c.profile
	FROM unnest($3) WITH ORDINALITY AS s(id, ord)
		JOIN csstats.user_chats c ON c.channel_id = $1 AND c.id = s.id
		JOIN m ON m.chat_id = s.id
	ORDER BY s.ord
	$q$, csstats.sheet_chat_condition(user_chat_sheet.channel_id, ids))
	USING user_chat_sheet.channel_id, asof, ids, tmpl;
END
$$;
COMMENT ON FUNCTION csstats.user_chat_sheet(text, timestamptz, timestamptz, jsonb, timestamptz) IS
	'UserChat data sheet (seed 001 columns in order): chats created in [since, until) passing the filters, with the metrics of their latest open period as of as_of; caller''s rights';

-------------------------------------------------------------------------------
-- UserChatCase data (seed 002 order; the operation* variants of metrics.md
-- follow missedCount).  The range selects cases by userChatCaseCreatedAt;
-- assignee, team, state and tag filters apply to the case's replayed values
-- (as of the case's end), medium and chat_ids to the chat.
-------------------------------------------------------------------------------
CREATE FUNCTION csstats.user_chat_case_sheet(channel_id text, since timestamptz DEFAULT NULL,
		until timestamptz DEFAULT NULL, filters jsonb DEFAULT '{}',
		as_of timestamptz DEFAULT now())
	RETURNS TABLE (
		user_chat_case_created_at timestamptz,
		user_chat_case integer,
		user_chat_case_id text,
		user_chat_case_state text,
		user_chat_case_updated_at timestamptz,
		user_chat_id text,
		direction text,
		user_chat_state text,
		user_chat_url text,
		team_id text,
		team_name text,
		assignee_id text,
		assignee_name text,
		manager_ids text[],
		manager_names text[],
		user_id text,
		user_name text,
		created_at timestamptz,
		first_queued_at timestamptz,
		first_opened_at timestamptz,
		first_asked_at timestamptz,
		first_replied_at timestamptz,
		closed_at timestamptz,
		waiting_time double precision,
		total_reply_time double precision,
		reply_count integer,
		avg_reply_time double precision,
		resolution_time double precision,
		total_snoozed_time double precision,
		lead_time double precision,
		snoozed_count integer,
		missed_count integer,
		operation_waiting_time double precision,
		operation_reply_count integer,
		operation_total_reply_time double precision,
		operation_avg_reply_time double precision,
		operation_resolution_time double precision,
		operation_lead_time double precision,
		description text,
		summarized_message text,
		tags text[],
		medium_name text,
		medium_sender_name text,
		marketing_type text,
		marketing_id text,
		workflow_id text,
		page text,
		priority text,
		profile jsonb)
	LANGUAGE plpgsql STABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
	SET enable_hashagg = off
AS $$
DECLARE
	tmpl text := csstats.channel_chat_url_template(user_chat_case_sheet.channel_id);
	f csstats.chat_filter := csstats.parse_chat_filters(user_chat_case_sheet.filters,
		user_chat_case_sheet.since, user_chat_case_sheet.until);
	asof timestamptz := coalesce(user_chat_case_sheet.as_of, now());
	lo timestamptz := user_chat_case_sheet.since;
	hi timestamptz := user_chat_case_sheet.until;
	ids text[];
	names jsonb;
BEGIN
	-- Candidate chats: the chat-level filters (medium, chat_ids), and for a
	-- range, a queued/opened event in it (a case created in the range starts
	-- with one).  The case-level filters apply to the computed cases.
	SELECT coalesce(array_agg(c.id), '{}') INTO ids
	FROM csstats.user_chats c
	WHERE c.channel_id = user_chat_case_sheet.channel_id
		AND c.created_at <= asof
		AND (f.chat_ids IS NULL OR c.id = ANY (f.chat_ids))
		AND (f.mediums IS NULL OR c.medium_name = ANY (f.mediums))
		AND ((lo IS NULL AND hi IS NULL) OR EXISTS (
			SELECT FROM csstats.chat_events e
			WHERE e.channel_id = c.channel_id AND e.chat_id = c.id
				AND e.kind IN ('queued', 'opened')
				AND (lo IS NULL OR e.at >= lo) AND (hi IS NULL OR e.at < hi)));

	-- manager names by id, for the assignee and the followers
	SELECT coalesce(jsonb_object_agg(mg.id, mg.name), '{}') INTO names
	FROM csstats.managers mg WHERE mg.channel_id = user_chat_case_sheet.channel_id;

	RETURN QUERY EXECUTE format($q$
	WITH m AS (
		-- the column form of the aggregate: no composite per timeline row
		SELECT t.chat_id, csstats.case_metrics(t.channel_id, t.chat_id, t.at, t.seq, t.kind,
			t.event_id, t.item_id, t.value, t.medium_name, t.direction, t.state,
			t.assignee_id, t.team_id, t.manager_ids, t.tags, t.priority, t.profile, $2) AS cases
		FROM csstats.timeline t
		WHERE t.channel_id = $1 AND %s
		GROUP BY t.channel_id, t.chat_id)
	SELECT k.user_chat_case_created_at, k.user_chat_case, k.user_chat_case_id,
		k.user_chat_case_state, k.user_chat_case_updated_at, c.id, c.direction,
		k.user_chat_state, csstats.chat_url($4, c.channel_id, c.id),
		k.team_id, tm.name, k.assignee_id, $6 ->> k.assignee_id, k.manager_ids,
		-- follower names aligned with their ids (NULL for an unknown manager)
		CASE WHEN k.manager_ids IS NOT NULL THEN ARRAY(
			SELECT $6 ->> x.mid FROM unnest(k.manager_ids) WITH ORDINALITY AS x(mid, n)
			ORDER BY x.n) END,
		c.user_id, coalesce(u.name, c.name), c.created_at,
		k.first_queued_at, k.first_opened_at, k.first_asked_at, k.first_replied_at,
		k.closed_at, k.waiting_time, k.total_reply_time, k.reply_count,
		k.avg_reply_time, k.resolution_time, k.total_snoozed_time, k.lead_time,
		k.snoozed_count, k.missed_count,
		k.operation_waiting_time, k.operation_reply_count,
		k.operation_total_reply_time, k.operation_avg_reply_time,
		k.operation_resolution_time, k.operation_lead_time,
		c.description, c.summarized_message, k.tags, c.medium_name,
		c.medium_sender_name, c.marketing_type, c.marketing_id, c.workflow_id,
		c.page, k.priority, k.profile
	FROM unnest($3) AS s(id)
		JOIN csstats.user_chats c ON c.channel_id = $1 AND c.id = s.id
		JOIN m ON m.chat_id = s.id
		CROSS JOIN LATERAL unnest(m.cases) k
		LEFT JOIN csstats.teams tm ON tm.channel_id = c.channel_id AND tm.id = k.team_id
		LEFT JOIN csstats.users u ON u.channel_id = c.channel_id AND u.id = c.user_id
	WHERE ($7::timestamptz IS NULL OR k.user_chat_case_created_at >= $7)
		AND ($8::timestamptz IS NULL OR k.user_chat_case_created_at < $8)
		AND csstats.chat_filter_matches($5, c.id, k.assignee_id, k.team_id,
			k.user_chat_state, c.medium_name, k.tags)
	ORDER BY k.user_chat_case_created_at, c.id, k.user_chat_case
	$q$, csstats.sheet_chat_condition(user_chat_case_sheet.channel_id, ids))
	USING user_chat_case_sheet.channel_id, asof, ids, tmpl, f, names, lo, hi;
END
$$;
COMMENT ON FUNCTION csstats.user_chat_case_sheet(text, timestamptz, timestamptz, jsonb, timestamptz) IS
	'UserChatCase data sheet (seed 002 columns in order, then the operation* variants after missed_count): cases created in [since, until) passing the filters (on the case''s replayed values), as of as_of; caller''s rights';
