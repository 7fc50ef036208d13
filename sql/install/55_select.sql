/*
 * Chat selection: the date range and the jsonb filters of export.md, shared
 * by every sheet function and by the exports.
 *
 *   csstats.chat_filter                      the parsed, validated filters
 *   csstats.parse_chat_filters(filters, since, until) -> csstats.chat_filter
 *   csstats.select_chats(channel_id, since, until, filters) -> SETOF csstats.user_chats
 *
 * Filters (a JSON object; every key optional, JSON null = not set):
 *   assignee_ids  ["m1", null]  current assignee; null selects unassigned chats
 *   team_ids      ["t1", null]  current team; null selects chats without a team
 *   states        ["open", ...] queued, open, snoozed, closed, missed
 *   mediums       ["email", ...] inAppChat, phoneNumber, email, appNaverTalk,
 *                                appInstagramMessenger, appLine, appKakao
 *   tags_any      ["delivery"]  at least one tag matches (OR search)
 *   tags_all      ["a", "b"]    every listed tag matches (AND search)
 *   chat_ids      ["c1", ...]   an explicit selection (the inbox path), at most
 *                               csstats.max_selected_chats (default 200)
 * A tag matches itself and its children: 'delivery' matches 'delivery' and
 * 'delivery/late', not 'deliveryman'.  An empty array selects nothing (for
 * tags_all: places no condition).  Keys combine with AND.
 *
 * Everything runs with the caller's rights (SECURITY INVOKER): table grants
 * and row-level security decide which chats the caller sees.
 */

CREATE TYPE csstats.chat_filter AS (
	assignee_ids text[],
	team_ids text[],
	states text[],
	mediums text[],
	tags_any text[],
	tags_all text[],
	chat_ids text[]
);
COMMENT ON TYPE csstats.chat_filter IS
	'parsed chat filters (csstats.parse_chat_filters); a NULL field places no condition';

-- The chat_ids limit as the library enforces it (src/export.c).  Not
-- current_setting(): before csstats.so is loaded in a session, any role can
-- SET csstats.max_selected_chats to a placeholder that current_setting()
-- would return; calling this C function loads the library, which refuses a
-- placeholder its setter may not set (the setting is superuser-only).
CREATE FUNCTION csstats._max_selected_chats()
	RETURNS integer
	AS 'MODULE_PATHNAME', 'csstats_max_selected_chats_setting'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION csstats._max_selected_chats() IS
	'the setting csstats.max_selected_chats as enforced: the most chat_ids an explicit selection may name';

CREATE FUNCTION csstats.parse_chat_filters(filters jsonb, since timestamptz DEFAULT NULL,
		until timestamptz DEFAULT NULL)
	RETURNS csstats.chat_filter
	LANGUAGE plpgsql STABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	f csstats.chat_filter;
	k text;
	v jsonb;
	elem jsonb;
	vals text[];
	bad text;
	lim integer;
	keys CONSTANT text[] := ARRAY['assignee_ids', 'team_ids', 'states', 'mediums',
		'tags_any', 'tags_all', 'chat_ids'];
	all_states CONSTANT text[] := ARRAY['queued', 'open', 'snoozed', 'closed', 'missed'];
	all_mediums CONSTANT text[] := ARRAY['inAppChat', 'phoneNumber', 'email', 'appNaverTalk',
		'appInstagramMessenger', 'appLine', 'appKakao'];
BEGIN
	IF since IS NOT NULL AND until IS NOT NULL AND since > until THEN
		RAISE EXCEPTION 'since must not be later than until'
			USING ERRCODE = 'invalid_parameter_value',
				DETAIL = format('The range [%s, %s) is reversed.', since, until);
	END IF;
	IF filters IS NULL THEN
		RETURN f;
	END IF;
	IF jsonb_typeof(filters) <> 'object' THEN
		RAISE EXCEPTION 'filters must be a JSON object'
			USING ERRCODE = 'invalid_parameter_value',
				DETAIL = format('Got a JSON %s.', jsonb_typeof(filters));
	END IF;

	FOR k, v IN SELECT e.key, e.value FROM jsonb_each(filters) e LOOP
		IF NOT k = ANY (keys) THEN
			RAISE EXCEPTION 'unknown filter key "%"', k
				USING ERRCODE = 'invalid_parameter_value',
					HINT = 'Valid keys: ' || array_to_string(keys, ', ') || '.';
		END IF;
		CONTINUE WHEN jsonb_typeof(v) = 'null';
		IF jsonb_typeof(v) <> 'array' THEN
			RAISE EXCEPTION 'filter "%" must be a JSON array of strings', k
				USING ERRCODE = 'invalid_parameter_value',
					DETAIL = format('Got a JSON %s.', jsonb_typeof(v));
		END IF;
		vals := '{}';
		FOR elem IN SELECT a.value FROM jsonb_array_elements(v) a LOOP
			IF jsonb_typeof(elem) = 'string' AND (elem #>> '{}') <> '' THEN
				vals := vals || (elem #>> '{}');
			ELSIF jsonb_typeof(elem) = 'null' AND k IN ('assignee_ids', 'team_ids') THEN
				-- null selects chats without an assignee (team)
				vals := vals || NULL::text;
			ELSE
				bad := format('Element %s is %s.', elem,
					CASE WHEN jsonb_typeof(elem) = 'string' THEN 'an empty string'
						ELSE 'a JSON ' || jsonb_typeof(elem) END);
				IF k IN ('assignee_ids', 'team_ids') THEN
					RAISE EXCEPTION 'filter "%" must be a JSON array of strings', k
						USING ERRCODE = 'invalid_parameter_value', DETAIL = bad,
							HINT = 'Use null to select chats without one.';
				END IF;
				RAISE EXCEPTION 'filter "%" must be a JSON array of strings', k
					USING ERRCODE = 'invalid_parameter_value', DETAIL = bad;
			END IF;
		END LOOP;

		CASE k
			WHEN 'assignee_ids' THEN f.assignee_ids := vals;
			WHEN 'team_ids' THEN f.team_ids := vals;
			WHEN 'states' THEN
				SELECT s INTO bad FROM unnest(vals) s WHERE NOT s = ANY (all_states) LIMIT 1;
				IF FOUND THEN
					RAISE EXCEPTION 'unknown state "%" in filter "states"', bad
						USING ERRCODE = 'invalid_parameter_value',
							HINT = 'Valid states: ' || array_to_string(all_states, ', ') || '.';
				END IF;
				f.states := vals;
			WHEN 'mediums' THEN
				SELECT s INTO bad FROM unnest(vals) s WHERE NOT s = ANY (all_mediums) LIMIT 1;
				IF FOUND THEN
					RAISE EXCEPTION 'unknown medium "%" in filter "mediums"', bad
						USING ERRCODE = 'invalid_parameter_value',
							HINT = 'Valid mediums: ' || array_to_string(all_mediums, ', ') || '.';
				END IF;
				f.mediums := vals;
			WHEN 'tags_any' THEN f.tags_any := vals;
			WHEN 'tags_all' THEN f.tags_all := vals;
			WHEN 'chat_ids' THEN
				-- as enforced, never current_setting() (see csstats._max_selected_chats)
				lim := csstats._max_selected_chats();
				IF cardinality(vals) > lim THEN
					RAISE EXCEPTION 'too many chats selected: % chat_ids, the limit is %',
						cardinality(vals), lim
						USING ERRCODE = 'program_limit_exceeded',
							HINT = 'The limit of an explicit selection is the setting csstats.max_selected_chats.';
				END IF;
				f.chat_ids := vals;
		END CASE;
	END LOOP;
	RETURN f;
END
$$;
COMMENT ON FUNCTION csstats.parse_chat_filters(jsonb, timestamptz, timestamptz) IS
	'validates the jsonb chat filters of export.md (and that since <= until); an unknown key, a wrong type or an unknown value is an error naming it';

-- Tag hierarchy matching (src/tag_match.c): a pattern matches a tag equal to it
-- or one of its children ('delivery' matches 'delivery/late', not 'deliveryman').
CREATE FUNCTION csstats.tags_match_any(tags text[], patterns text[])
	RETURNS boolean
	AS 'MODULE_PATHNAME', 'csstats_tags_match_any'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION csstats.tags_match_any(text[], text[]) IS
	'true when some pattern matches some tag, itself or as a parent (''delivery'' matches ''delivery/late'')';

CREATE FUNCTION csstats.tags_match_all(tags text[], patterns text[])
	RETURNS boolean
	AS 'MODULE_PATHNAME', 'csstats_tags_match_all'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION csstats.tags_match_all(text[], text[]) IS
	'true when every pattern matches some tag, itself or as a parent (AND search; true for no patterns)';

-- The filter conditions on one chat's (or case's) attributes, shared by
-- select_chats and the case sheet.  NULL fields of f place no condition.
-- Free of sub-selects and not STRICT, so the planner inlines it.
CREATE FUNCTION csstats.chat_filter_matches(f csstats.chat_filter, chat_id text,
		assignee_id text, team_id text, state text, medium text, tags text[])
	RETURNS boolean
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	RETURN (f.chat_ids IS NULL OR chat_id OPERATOR(pg_catalog.=) ANY (f.chat_ids))
		AND (f.assignee_ids IS NULL OR assignee_id OPERATOR(pg_catalog.=) ANY (f.assignee_ids)
			OR (assignee_id IS NULL AND pg_catalog.array_position(f.assignee_ids, NULL) IS NOT NULL))
		AND (f.team_ids IS NULL OR team_id OPERATOR(pg_catalog.=) ANY (f.team_ids)
			OR (team_id IS NULL AND pg_catalog.array_position(f.team_ids, NULL) IS NOT NULL))
		AND (f.states IS NULL OR state OPERATOR(pg_catalog.=) ANY (f.states))
		AND (f.mediums IS NULL OR medium OPERATOR(pg_catalog.=) ANY (f.mediums))
		AND (f.tags_any IS NULL OR csstats.tags_match_any(coalesce(tags, '{}'), f.tags_any))
		AND (f.tags_all IS NULL OR csstats.tags_match_all(coalesce(tags, '{}'), f.tags_all));
COMMENT ON FUNCTION csstats.chat_filter_matches(csstats.chat_filter, text, text, text, text, text, text[]) IS
	'true when the attributes pass the parsed filters (used by select_chats and user_chat_case_sheet)';

-- plpgsql so the filters are validated before any row is read: an invalid
-- filter is an error even when the channel has no chats.
CREATE FUNCTION csstats.select_chats(channel_id text, since timestamptz DEFAULT NULL,
		until timestamptz DEFAULT NULL, filters jsonb DEFAULT '{}')
	RETURNS SETOF csstats.user_chats
	LANGUAGE plpgsql STABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	f csstats.chat_filter := csstats.parse_chat_filters(filters, since, until);
BEGIN
	RETURN QUERY
	SELECT c.*
	FROM csstats.user_chats c
	WHERE c.channel_id = select_chats.channel_id
		AND (select_chats.since IS NULL OR c.created_at >= select_chats.since)
		AND (select_chats.until IS NULL OR c.created_at < select_chats.until)
		AND (f.chat_ids IS NULL OR c.id = ANY (f.chat_ids))
		AND csstats.chat_filter_matches(f, c.id, c.assignee_id, c.team_id, c.state,
			c.medium_name, c.tags)
	ORDER BY c.created_at, c.id;
END
$$;
COMMENT ON FUNCTION csstats.select_chats(text, timestamptz, timestamptz, jsonb) IS
	'the chats of a channel created in [since, until) (NULL = unbounded) that pass the jsonb filters, oldest first; caller''s rights';

-- "The selected chats" of every sheet (sql/install/60_sheets.sql,
-- 70_sheets_related.sql), written once: select_chats created at or before
-- as_of (NULL: now()), numbered oldest first (ord), with the columns the
-- sheets join on.  A SQL-standard body without a SET clause, so the planner
-- inlines it into the sheet, and the sheet into its caller's query: ord
-- stays the function scan's ordinality, a sort key the planner knows is
-- presorted (the Message data sheet streams in chat order).
CREATE FUNCTION csstats._selected_chats(channel_id text, since timestamptz,
		until timestamptz, filters jsonb, as_of timestamptz)
	RETURNS TABLE (
		id text,
		user_id text,
		team_id text,
		marketing_id text,
		created_at timestamptz,
		ord bigint)
	LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT c.id, c.user_id, c.team_id, c.marketing_id, c.created_at, c.ordinality
	FROM csstats.select_chats(_selected_chats.channel_id, _selected_chats.since,
			_selected_chats.until, _selected_chats.filters) WITH ORDINALITY AS c
	WHERE c.created_at <= coalesce(_selected_chats.as_of, pg_catalog.now());
END;
COMMENT ON FUNCTION csstats._selected_chats(text, timestamptz, timestamptz, jsonb, timestamptz) IS
	'internal: the selected chats of a sheet (select_chats created at or before as_of), numbered oldest first; inlinable';
