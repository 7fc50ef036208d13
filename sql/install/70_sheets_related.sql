/*
 * The data sheets related to the selected chats (seeds 001, 003, 004):
 *
 *   csstats.user_sheet           User data         customers who left the selected chats
 *   csstats.workflow_sheet       Workflow data     workflow runs of the selected chats
 *   csstats.support_bot_sheet    SupportBot data   support-bot runs of the selected chats
 *   csstats.marketing_sheet      Marketing data    marketing messages the selected chats came from
 *   csstats.manager_sheet        Manager data      the staff of the channel, settings as they are now
 *   csstats.team_sheet           Team data         teams assigned to the selected chats
 *   csstats.bot_sheet            Bot data          the bot profiles of the channel
 *   csstats.user_chat_tag_sheet  UserChatTag data  the chat tags of the channel
 *   csstats.message_sheet        Message data      messages of the selected chats
 *   csstats.user_chat_meet_sheet UserChat meet data meets (calls) of the selected chats
 *
 * Every sheet has the signature of the metric sheets
 *   (channel_id, since DEFAULT NULL, until DEFAULT NULL, filters DEFAULT '{}', as_of DEFAULT now())
 * and "the selected chats" are exactly those of user_chat_sheet:
 * csstats.select_chats(channel_id, since, until, filters) created at or
 * before as_of, written once as csstats._selected_chats (55_select.sql).
 * Columns are the seeds' data names in snake_case, in the
 * seeds' order; the users' profile is one profile jsonb column (the export
 * flattens it in csstats.user_sheet_profile_keys order).
 *
 * as_of (NULL means now()) makes an export reproducible: no row created after
 * it appears (chats, messages, meets by started_at, and the reference rows
 * that have a created_at).  Reference rows are otherwise shown as they are at
 * download time, as the seed says of the Manager data settings.
 *
 * The sheets where the seed says "of the channel" (Manager, Bot, UserChatTag:
 * 001 "チャネル内のスタッフ情報", "チャネルで使用しているボット",
 * "チャネルで使用している問い合わせタグ") list every such row of the channel,
 * which also makes every manager id, bot id and tag name of the other sheets
 * resolvable; their filters are still validated, so a bad filter is the same
 * error whatever sheet is read first.
 *
 * Implementation: LANGUAGE sql functions with SQL-standard bodies (BEGIN
 * ATOMIC) and no SET clause, so that the planner inlines them into the
 * caller's query: the Message data sheet (millions of rows) then streams
 * through a cursor as one indexed join, without a per-row function call or a
 * materialized function result.  A SET search_path clause would prevent the
 * inlining; it is not needed because a SQL-standard body is parsed and bound
 * when the function is created (inside CREATE EXTENSION, where pg_catalog is
 * searched first), so the caller's search_path cannot change what it means.
 * The argument checks are a pseudo-constant condition, evaluated once per
 * query (a one-time filter), never per row.
 *
 * All run with the caller's rights (SECURITY INVOKER): table grants and
 * row-level security on the csstats tables decide what the caller sees.
 */

-- Validates the common sheet arguments: the channel exists (and is visible to
-- the caller), the range is not reversed, the filters are valid.  Returns
-- true or raises; used as a one-time filter by the sheets below.
CREATE FUNCTION csstats._sheet_arguments_valid(channel_id text, since timestamptz,
		until timestamptz, filters jsonb)
	RETURNS boolean
	LANGUAGE plpgsql STABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF channel_id IS NULL THEN
		RAISE EXCEPTION 'channel_id must not be null'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	PERFORM FROM csstats.channels ch WHERE ch.id = _sheet_arguments_valid.channel_id;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'channel "%" does not exist', channel_id
			USING ERRCODE = 'invalid_parameter_value',
				HINT = 'Channels are rows of csstats.channels.';
	END IF;
	PERFORM csstats.parse_chat_filters(filters, since, until);
	RETURN true;
END
$$;
COMMENT ON FUNCTION csstats._sheet_arguments_valid(text, timestamptz, timestamptz, jsonb) IS
	'true when the channel exists (visible to the caller), since <= until and the filters are valid; raises otherwise (sheet functions call it once per query)';

-------------------------------------------------------------------------------
-- User data: the customers who left the selected chats (one row per customer),
-- with all their profile data.  A chat whose user_id has no users row adds no
-- row.  Ordered by id.
-------------------------------------------------------------------------------
CREATE FUNCTION csstats.user_sheet(channel_id text, since timestamptz DEFAULT NULL,
		until timestamptz DEFAULT NULL, filters jsonb DEFAULT '{}',
		as_of timestamptz DEFAULT now())
	RETURNS TABLE (
		id text,
		channel_id text,
		member_id text,
		name text,
		created_at timestamptz,
		updated_at timestamptz,
		profile jsonb)
	LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT u.id, u.channel_id, u.member_id, u.name, u.created_at, u.updated_at, u.profile
	FROM csstats.users u
	WHERE csstats._sheet_arguments_valid(user_sheet.channel_id, user_sheet.since,
			user_sheet.until, user_sheet.filters)
		AND u.channel_id = user_sheet.channel_id
		AND (u.created_at IS NULL OR u.created_at <= coalesce(user_sheet.as_of, pg_catalog.now()))
		AND u.id IN (
			SELECT c.user_id
			FROM csstats._selected_chats(user_sheet.channel_id, user_sheet.since,
					user_sheet.until, user_sheet.filters, user_sheet.as_of) c)
	ORDER BY u.id COLLATE pg_catalog."C";
END;
COMMENT ON FUNCTION csstats.user_sheet(text, timestamptz, timestamptz, jsonb, timestamptz) IS
	'User data sheet (seeds 001, 003, 004): the customers who left the selected chats, with all their profile data as profile jsonb (columns: csstats.user_sheet_profile_keys); caller''s rights';

-- The profile.* columns of the User data sheet, in order: every key of
-- user_profile_fields (by position, then key), then the other keys found in
-- the profiles of the sheet's customers, alphabetically ("all profile data").
CREATE FUNCTION csstats.user_sheet_profile_keys(channel_id text, since timestamptz DEFAULT NULL,
		until timestamptz DEFAULT NULL, filters jsonb DEFAULT '{}',
		as_of timestamptz DEFAULT now())
	RETURNS TABLE (
		"position" integer,
		key text,
		name text)
	LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT (pg_catalog.row_number() OVER (ORDER BY k.grp, k.pos, k.key COLLATE pg_catalog."C"))::integer,
		k.key, k.name
	FROM (
		SELECT 0 AS grp, f.position AS pos, f.key, f.name
		FROM csstats.user_profile_fields f
		WHERE f.channel_id = user_sheet_profile_keys.channel_id
		UNION ALL
		SELECT DISTINCT 1, 0, j.key, NULL::text
		FROM csstats.user_sheet(user_sheet_profile_keys.channel_id, user_sheet_profile_keys.since,
				user_sheet_profile_keys.until, user_sheet_profile_keys.filters,
				user_sheet_profile_keys.as_of) u
			CROSS JOIN LATERAL pg_catalog.jsonb_object_keys(u.profile) AS j(key)
		WHERE NOT EXISTS (
			SELECT FROM csstats.user_profile_fields f
			WHERE f.channel_id = user_sheet_profile_keys.channel_id AND f.key = j.key)) k
	ORDER BY 1;
END;
COMMENT ON FUNCTION csstats.user_sheet_profile_keys(text, timestamptz, timestamptz, jsonb, timestamptz) IS
	'the profile.* columns of the User data sheet in order: user_profile_fields by position, then other keys present in the selected customers'' profiles, alphabetically';

-------------------------------------------------------------------------------
-- Workflow data: one row per workflow run of a selected chat (the seed's
-- "workflows the chats came in through"; repeated paths keep their frequency).
-- Ordered like the chats (the UserChat sheet's order), then by workflow,
-- revision and path.
-------------------------------------------------------------------------------
CREATE FUNCTION csstats.workflow_sheet(channel_id text, since timestamptz DEFAULT NULL,
		until timestamptz DEFAULT NULL, filters jsonb DEFAULT '{}',
		as_of timestamptz DEFAULT now())
	RETURNS TABLE (
		id text,
		revision_id text,
		section_path text[],
		cause_of_end text)
	LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT w.workflow_id, w.revision_id, w.section_path, w.cause_of_end
	FROM csstats._selected_chats(workflow_sheet.channel_id, workflow_sheet.since,
			workflow_sheet.until, workflow_sheet.filters, workflow_sheet.as_of) AS c
		JOIN csstats.workflow_runs w
			ON w.channel_id = workflow_sheet.channel_id AND w.chat_id = c.id
	WHERE csstats._sheet_arguments_valid(workflow_sheet.channel_id, workflow_sheet.since,
			workflow_sheet.until, workflow_sheet.filters)
	ORDER BY c.ord, w.workflow_id COLLATE pg_catalog."C",
		w.revision_id COLLATE pg_catalog."C", w.section_path, w.cause_of_end;
END;
COMMENT ON FUNCTION csstats.workflow_sheet(text, timestamptz, timestamptz, jsonb, timestamptz) IS
	'Workflow data sheet (seed 001): one row per workflow run of the selected chats (id = workflow id); caller''s rights';

-------------------------------------------------------------------------------
-- SupportBot data: one row per support-bot run of a selected chat.
-------------------------------------------------------------------------------
CREATE FUNCTION csstats.support_bot_sheet(channel_id text, since timestamptz DEFAULT NULL,
		until timestamptz DEFAULT NULL, filters jsonb DEFAULT '{}',
		as_of timestamptz DEFAULT now())
	RETURNS TABLE (
		id text,
		revision_id text,
		section_path text[])
	LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT s.support_bot_id, s.revision_id, s.section_path
	FROM csstats._selected_chats(support_bot_sheet.channel_id, support_bot_sheet.since,
			support_bot_sheet.until, support_bot_sheet.filters, support_bot_sheet.as_of) AS c
		JOIN csstats.support_bot_runs s
			ON s.channel_id = support_bot_sheet.channel_id AND s.chat_id = c.id
	WHERE csstats._sheet_arguments_valid(support_bot_sheet.channel_id, support_bot_sheet.since,
			support_bot_sheet.until, support_bot_sheet.filters)
	ORDER BY c.ord, s.support_bot_id COLLATE pg_catalog."C",
		s.revision_id COLLATE pg_catalog."C", s.section_path;
END;
COMMENT ON FUNCTION csstats.support_bot_sheet(text, timestamptz, timestamptz, jsonb, timestamptz) IS
	'SupportBot data sheet (seeds 001, 003, 004): one row per support-bot run of the selected chats (id = support bot id); caller''s rights';

-------------------------------------------------------------------------------
-- Marketing data (seed 003: "data from chats opened through marketing"): the
-- marketing messages the selected chats came from (their marketing_id), one
-- row each, with the columns of csstats.marketing_messages.  Ordered by id.
-------------------------------------------------------------------------------
CREATE FUNCTION csstats.marketing_sheet(channel_id text, since timestamptz DEFAULT NULL,
		until timestamptz DEFAULT NULL, filters jsonb DEFAULT '{}',
		as_of timestamptz DEFAULT now())
	RETURNS TABLE (
		id text,
		channel_id text,
		type text,
		name text,
		created_at timestamptz)
	LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT mk.id, mk.channel_id, mk.type, mk.name, mk.created_at
	FROM csstats.marketing_messages mk
	WHERE csstats._sheet_arguments_valid(marketing_sheet.channel_id, marketing_sheet.since,
			marketing_sheet.until, marketing_sheet.filters)
		AND mk.channel_id = marketing_sheet.channel_id
		AND (mk.created_at IS NULL OR mk.created_at <= coalesce(marketing_sheet.as_of, pg_catalog.now()))
		AND mk.id IN (
			SELECT c.marketing_id
			FROM csstats._selected_chats(marketing_sheet.channel_id, marketing_sheet.since,
					marketing_sheet.until, marketing_sheet.filters, marketing_sheet.as_of) c)
	ORDER BY mk.id COLLATE pg_catalog."C";
END;
COMMENT ON FUNCTION csstats.marketing_sheet(text, timestamptz, timestamptz, jsonb, timestamptz) IS
	'Marketing data sheet (seed 003): the marketing messages the selected chats came from (their marketing_id); caller''s rights';

-------------------------------------------------------------------------------
-- Manager data (seed 001: "チャネル内のスタッフ情報", the staff of the channel):
-- every manager of the channel, removed ones included (the sheet has the
-- removed column, and old chats refer to them), with the notification and
-- operator settings as they are at download time.  Managers who joined after
-- as_of are left out.  Ordered by id.
-------------------------------------------------------------------------------
CREATE FUNCTION csstats.manager_sheet(channel_id text, since timestamptz DEFAULT NULL,
		until timestamptz DEFAULT NULL, filters jsonb DEFAULT '{}',
		as_of timestamptz DEFAULT now())
	RETURNS TABLE (
		id text,
		channel_id text,
		account_id text,
		username text,
		name text,
		email text,
		mobile_number text,
		role text,
		removed boolean,
		created_at timestamptz,
		default_group_watch text,
		default_direct_chat_watch text,
		default_user_chat_watch text,
		operator boolean,
		operator_email_reminder boolean)
	LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT m.id, m.channel_id, m.account_id, m.username, m.name, m.email, m.mobile_number,
		m.role, m.removed, m.created_at, m.default_group_watch, m.default_direct_chat_watch,
		m.default_user_chat_watch, m.operator, m.operator_email_reminder
	FROM csstats.managers m
	WHERE csstats._sheet_arguments_valid(manager_sheet.channel_id, manager_sheet.since,
			manager_sheet.until, manager_sheet.filters)
		AND m.channel_id = manager_sheet.channel_id
		AND (m.created_at IS NULL OR m.created_at <= coalesce(manager_sheet.as_of, pg_catalog.now()))
	ORDER BY m.id COLLATE pg_catalog."C";
END;
COMMENT ON FUNCTION csstats.manager_sheet(text, timestamptz, timestamptz, jsonb, timestamptz) IS
	'Manager data sheet (seed 001): the staff of the channel (removed included), settings as they are at download time; caller''s rights';

-------------------------------------------------------------------------------
-- Team data (seed 001: "接客チャットに割り当てられたチームの情報"): the teams
-- the selected chats are assigned to (their current team_id, the UserChat
-- sheet's teamId).  Ordered by id.
-------------------------------------------------------------------------------
CREATE FUNCTION csstats.team_sheet(channel_id text, since timestamptz DEFAULT NULL,
		until timestamptz DEFAULT NULL, filters jsonb DEFAULT '{}',
		as_of timestamptz DEFAULT now())
	RETURNS TABLE (
		id text,
		channel_id text,
		name text,
		manager_ids text[])
	LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT t.id, t.channel_id, t.name, t.manager_ids
	FROM csstats.teams t
	WHERE csstats._sheet_arguments_valid(team_sheet.channel_id, team_sheet.since,
			team_sheet.until, team_sheet.filters)
		AND t.channel_id = team_sheet.channel_id
		AND t.id IN (
			SELECT c.team_id
			FROM csstats._selected_chats(team_sheet.channel_id, team_sheet.since,
					team_sheet.until, team_sheet.filters, team_sheet.as_of) c)
	ORDER BY t.id COLLATE pg_catalog."C";
END;
COMMENT ON FUNCTION csstats.team_sheet(text, timestamptz, timestamptz, jsonb, timestamptz) IS
	'Team data sheet (seed 001): the teams the selected chats are assigned to; caller''s rights';

-------------------------------------------------------------------------------
-- Bot data (seed 001: "チャネルで使用しているボットのプロフィール"): the bot
-- profiles of the channel.  Ordered by id.
-------------------------------------------------------------------------------
CREATE FUNCTION csstats.bot_sheet(channel_id text, since timestamptz DEFAULT NULL,
		until timestamptz DEFAULT NULL, filters jsonb DEFAULT '{}',
		as_of timestamptz DEFAULT now())
	RETURNS TABLE (
		id text,
		channel_id text,
		name text,
		created_at timestamptz)
	LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT b.id, b.channel_id, b.name, b.created_at
	FROM csstats.bots b
	WHERE csstats._sheet_arguments_valid(bot_sheet.channel_id, bot_sheet.since,
			bot_sheet.until, bot_sheet.filters)
		AND b.channel_id = bot_sheet.channel_id
		AND (b.created_at IS NULL OR b.created_at <= coalesce(bot_sheet.as_of, pg_catalog.now()))
	ORDER BY b.id COLLATE pg_catalog."C";
END;
COMMENT ON FUNCTION csstats.bot_sheet(text, timestamptz, timestamptz, jsonb, timestamptz) IS
	'Bot data sheet (seed 001): the bot profiles of the channel; caller''s rights';

-------------------------------------------------------------------------------
-- UserChatTag data (seed 001: "チャネルで使用している問い合わせタグ"): the chat
-- tags of the channel.  Ordered by name, so children follow their parent.
-------------------------------------------------------------------------------
CREATE FUNCTION csstats.user_chat_tag_sheet(channel_id text, since timestamptz DEFAULT NULL,
		until timestamptz DEFAULT NULL, filters jsonb DEFAULT '{}',
		as_of timestamptz DEFAULT now())
	RETURNS TABLE (
		id text,
		channel_id text,
		name text,
		description text,
		follower_ids text[],
		created_at timestamptz)
	LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT t.id, t.channel_id, t.name, t.description, t.follower_ids, t.created_at
	FROM csstats.chat_tags t
	WHERE csstats._sheet_arguments_valid(user_chat_tag_sheet.channel_id, user_chat_tag_sheet.since,
			user_chat_tag_sheet.until, user_chat_tag_sheet.filters)
		AND t.channel_id = user_chat_tag_sheet.channel_id
		AND (t.created_at IS NULL OR t.created_at <= coalesce(user_chat_tag_sheet.as_of, pg_catalog.now()))
	ORDER BY t.name COLLATE pg_catalog."C", t.id COLLATE pg_catalog."C";
END;
COMMENT ON FUNCTION csstats.user_chat_tag_sheet(text, timestamptz, timestamptz, jsonb, timestamptz) IS
	'UserChatTag data sheet (seed 001): the chat tags of the channel; caller''s rights';

-------------------------------------------------------------------------------
-- Message data: every message of the selected chats created at or before
-- as_of, in the order of the UserChat sheet (select_chats returns the chats
-- oldest first: chat created_at, chat id), then by message time and id.
-- Inlined into the caller's query, this is a nested loop over the selected
-- chats with an index scan of messages_chat_idx per chat; the ordinality of
-- the chat list is a sort key the planner knows is presorted, so the only
-- sort is an incremental one within each chat (memory bounded by the largest
-- chat): the rows stream.
-------------------------------------------------------------------------------
CREATE FUNCTION csstats.message_sheet(channel_id text, since timestamptz DEFAULT NULL,
		until timestamptz DEFAULT NULL, filters jsonb DEFAULT '{}',
		as_of timestamptz DEFAULT now())
	RETURNS TABLE (
		chat_id text,
		person_type text,
		person_id text,
		created_at timestamptz,
		plain_text text)
	LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT m.chat_id, m.person_type, m.person_id, m.created_at, m.plain_text
	FROM csstats._selected_chats(message_sheet.channel_id, message_sheet.since,
			message_sheet.until, message_sheet.filters, message_sheet.as_of) AS c
		JOIN csstats.messages m
			ON m.channel_id = message_sheet.channel_id AND m.chat_id = c.id
	WHERE csstats._sheet_arguments_valid(message_sheet.channel_id, message_sheet.since,
			message_sheet.until, message_sheet.filters)
		AND m.created_at <= coalesce(message_sheet.as_of, pg_catalog.now())
	ORDER BY c.ord, m.created_at, m.id COLLATE pg_catalog."C";
END;
COMMENT ON FUNCTION csstats.message_sheet(text, timestamptz, timestamptz, jsonb, timestamptz) IS
	'Message data sheet (seeds 001, 003, 004): the messages of the selected chats created at or before as_of, by chat then time; inlinable, streams through a cursor; caller''s rights';

-------------------------------------------------------------------------------
-- UserChat meet data: the meets (calls, front meets) of the selected chats
-- that started at or before as_of (a meet without started_at is kept), in
-- chat order, then by start and id.
-------------------------------------------------------------------------------
CREATE FUNCTION csstats.user_chat_meet_sheet(channel_id text, since timestamptz DEFAULT NULL,
		until timestamptz DEFAULT NULL, filters jsonb DEFAULT '{}',
		as_of timestamptz DEFAULT now())
	RETURNS TABLE (
		id text,
		user_chat_id text,
		started_at timestamptz,
		ended_at timestamptz,
		engaged_at timestamptz,
		"from" text,
		"to" text,
		direction text,
		missed_reason text,
		duration double precision,
		type text,
		primary_number text,
		representative_number text)
	LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT mt.id, mt.user_chat_id, mt.started_at, mt.ended_at, mt.engaged_at,
		mt.from_number, mt.to_number, mt.direction, mt.missed_reason, mt.duration, mt.type,
		mt.primary_number, mt.representative_number
	FROM csstats._selected_chats(user_chat_meet_sheet.channel_id, user_chat_meet_sheet.since,
			user_chat_meet_sheet.until, user_chat_meet_sheet.filters, user_chat_meet_sheet.as_of) AS c
		JOIN csstats.meets mt
			ON mt.channel_id = user_chat_meet_sheet.channel_id AND mt.user_chat_id = c.id
	WHERE csstats._sheet_arguments_valid(user_chat_meet_sheet.channel_id, user_chat_meet_sheet.since,
			user_chat_meet_sheet.until, user_chat_meet_sheet.filters)
		AND (mt.started_at IS NULL
			OR mt.started_at <= coalesce(user_chat_meet_sheet.as_of, pg_catalog.now()))
	ORDER BY c.ord, mt.started_at, mt.id COLLATE pg_catalog."C";
END;
COMMENT ON FUNCTION csstats.user_chat_meet_sheet(text, timestamptz, timestamptz, jsonb, timestamptz) IS
	'UserChat meet data sheet (seeds 001, 004): the meets of the selected chats started at or before as_of; caller''s rights';
