/*
 * Chat and case metrics (metrics.md): the timeline view, the result types and
 * the C aggregates over one chat's timeline.  The documented form passes the
 * whole row:
 *
 *   SELECT chat_id, (csstats.chat_metrics(t, '2025-03-04 12:00+09')).*
 *   FROM csstats.timeline t WHERE channel_id = 'ch1' GROUP BY channel_id, chat_id;
 *
 *   SELECT c.*
 *   FROM (SELECT csstats.case_metrics(t) AS cases
 *         FROM csstats.timeline t WHERE channel_id = 'ch1' GROUP BY channel_id, chat_id) s,
 *        unnest(s.cases) c;
 *
 * The fast path passes the columns instead: no composite is built and taken
 * apart per row (test/bench/40_metrics.sh: chat metrics about 20 % faster
 * than the whole-row form):
 *
 *   SELECT chat_id, (csstats.chat_metrics(channel_id, chat_id, at, seq, kind,
 *          event_id, item_id, '2025-03-04 12:00+09')).*
 *   FROM csstats.timeline WHERE channel_id = 'ch1' GROUP BY channel_id, chat_id;
 *
 *   SELECT c.*
 *   FROM (SELECT csstats.case_metrics(channel_id, chat_id, at, seq, kind,
 *                event_id, item_id, value, medium_name, direction, state,
 *                assignee_id, team_id, manager_ids, tags, priority, profile) AS cases
 *         FROM csstats.timeline WHERE channel_id = 'ch1' GROUP BY channel_id, chat_id) s,
 *        unnest(s.cases) c;
 *
 * The aggregates sort the rows of a chat themselves (at, then seq, then
 * event_id / item_id), so ORDER BY inside the call is accepted but not
 * needed.  They are parallel aggregates: a chat's rows may be read by
 * several workers and their partial states are concatenated.
 */

-------------------------------------------------------------------------------
-- Result types.  Column names are the snake_case sheet names of the seeds, so
-- the sheet functions select them as they are.  Durations are seconds
-- (double precision); a metric that cannot be computed is NULL.
-------------------------------------------------------------------------------

CREATE TYPE csstats.chat_metrics_result AS (
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
	closed_at timestamptz
);
COMMENT ON TYPE csstats.chat_metrics_result IS
	'chat-level metrics of metrics.md (the latest open period); result of csstats.chat_metrics';

CREATE TYPE csstats.case_metrics_result AS (
	user_chat_id text,
	user_chat_case integer,
	user_chat_case_id text,
	user_chat_case_created_at timestamptz,
	user_chat_case_updated_at timestamptz,
	user_chat_case_state text,
	user_chat_state text,
	team_id text,
	assignee_id text,
	manager_ids text[],
	tags text[],
	priority text,
	profile jsonb,
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
	operation_lead_time double precision
);
COMMENT ON TYPE csstats.case_metrics_result IS
	'case-level metrics of metrics.md, one per case; element type of csstats.case_metrics';

-------------------------------------------------------------------------------
-- The timeline: one chat's history as rows, in the order metrics.md defines.
-- seq ranks items at the same instant: 0 the chat itself (its current row,
-- at = created_at), 1 chat_events, 2 meets, 3 messages; within a rank,
-- events go by event_id and meets and messages by item_id (C collation).
-- The 'chat' row carries the current user_chats values the aggregates need
-- (created_at, medium, and the fallback of every replayed attribute); the
-- other rows leave those columns NULL.
-------------------------------------------------------------------------------

CREATE VIEW csstats.timeline AS
	SELECT c.channel_id, c.id AS chat_id, c.created_at AS at, 0::smallint AS seq,
		'chat'::text AS kind, NULL::bigint AS event_id, NULL::text COLLATE "C" AS item_id,
		NULL::text AS value,
		c.medium_name, c.direction, c.state, c.assignee_id, c.team_id, c.manager_ids,
		c.tags, c.priority, c.profile
	FROM csstats.user_chats c
	UNION ALL
	SELECT e.channel_id, e.chat_id, e.at, 1::smallint, e.kind, e.id, NULL, e.value,
		NULL, NULL, NULL, NULL, NULL, NULL::text[], NULL::text[], NULL, NULL::jsonb
	FROM csstats.chat_events e
	UNION ALL
	SELECT m.channel_id, m.user_chat_id, m.started_at, 2::smallint, 'meet', NULL,
		m.id COLLATE "C", m.missed_reason,
		NULL, NULL, NULL, NULL, NULL, NULL::text[], NULL::text[], NULL, NULL::jsonb
	FROM csstats.meets m
	WHERE m.started_at IS NOT NULL
	UNION ALL
	SELECT m.channel_id, m.chat_id, m.created_at, 3::smallint, m.person_type, NULL,
		m.id COLLATE "C", NULL,
		NULL, NULL, NULL, NULL, NULL, NULL::text[], NULL::text[], NULL, NULL::jsonb
	FROM csstats.messages m;
COMMENT ON VIEW csstats.timeline IS
	'messages, chat_events, meets and the chat row merged; order by (at, seq, event_id, item_id)';
COMMENT ON COLUMN csstats.timeline.channel_id IS 'the channel (tenant)';
COMMENT ON COLUMN csstats.timeline.chat_id IS 'the chat (user_chats.id)';
COMMENT ON COLUMN csstats.timeline.at IS 'when: the chat''s created_at, the event''s at, the meet''s started_at (meets without one are left out), the message''s created_at';
COMMENT ON COLUMN csstats.timeline.seq IS 'rank among the items at the same instant: 0 the chat row, 1 chat_events, 2 meets, 3 messages';
COMMENT ON COLUMN csstats.timeline.kind IS '''chat'' (the chat row), the chat_events kind, ''meet'', or the message''s person_type (user, manager, bot)';
COMMENT ON COLUMN csstats.timeline.event_id IS 'chat_events.id (events only): the order of events at the same instant';
COMMENT ON COLUMN csstats.timeline.item_id IS 'meets.id or messages.id, C collation: the order of meets and messages at the same instant';
COMMENT ON COLUMN csstats.timeline.value IS 'chat_events.value, or the meet''s missed_reason';
COMMENT ON COLUMN csstats.timeline.medium_name IS 'chat row only: the chat''s user_chats.medium_name';
COMMENT ON COLUMN csstats.timeline.direction IS 'chat row only: the chat''s user_chats.direction';
COMMENT ON COLUMN csstats.timeline.state IS 'chat row only: the current user_chats.state, used for a case where no chat_events say otherwise';
COMMENT ON COLUMN csstats.timeline.assignee_id IS 'chat row only: the current user_chats.assignee_id, used for a case where no chat_events say otherwise';
COMMENT ON COLUMN csstats.timeline.team_id IS 'chat row only: the current user_chats.team_id, used for a case where no chat_events say otherwise';
COMMENT ON COLUMN csstats.timeline.manager_ids IS 'chat row only: the current user_chats.manager_ids, used for a case where no chat_events say otherwise';
COMMENT ON COLUMN csstats.timeline.tags IS 'chat row only: the current user_chats.tags, used for a case where no chat_events say otherwise';
COMMENT ON COLUMN csstats.timeline.priority IS 'chat row only: the current user_chats.priority, used for a case where no chat_events say otherwise';
COMMENT ON COLUMN csstats.timeline.profile IS 'chat row only: the current user_chats.profile, used for a case where no chat_events say otherwise';

-------------------------------------------------------------------------------
-- The aggregates.  One group = one chat (GROUP BY channel_id, chat_id: chat
-- ids are unique per channel only); rows of another chat, or of the same chat
-- id in another channel, in the same group are an error.  as_of (default
-- now()) cuts the timeline: rows after it are ignored.  The state (internal)
-- is the chat's rows, which the final function sorts: partial states of one
-- chat combine by concatenation, so the aggregates run in parallel plans
-- (Partial / Finalize Aggregate), passing states as bytea between processes.
-------------------------------------------------------------------------------

CREATE FUNCTION csstats._metrics_combine(internal, internal)
	RETURNS internal
	AS 'MODULE_PATHNAME', 'csstats_metrics_combine'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION csstats._metrics_combine(internal, internal) IS
	'combine function of csstats.chat_metrics and csstats.case_metrics: concatenates two partial states of a chat';

CREATE FUNCTION csstats._metrics_serial(internal)
	RETURNS bytea
	AS 'MODULE_PATHNAME', 'csstats_metrics_serial'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION csstats._metrics_serial(internal) IS
	'serial function of csstats.chat_metrics and csstats.case_metrics';

CREATE FUNCTION csstats._metrics_deserial(bytea, internal)
	RETURNS internal
	AS 'MODULE_PATHNAME', 'csstats_metrics_deserial'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION csstats._metrics_deserial(bytea, internal) IS
	'deserial function of csstats.chat_metrics and csstats.case_metrics (checks the data)';

CREATE FUNCTION csstats._chat_metrics_final(internal)
	RETURNS csstats.chat_metrics_result
	AS 'MODULE_PATHNAME', 'csstats_chat_metrics_final'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION csstats._chat_metrics_final(internal) IS
	'final function of csstats.chat_metrics: runs the timeline state machine';

CREATE FUNCTION csstats._case_metrics_final(internal)
	RETURNS csstats.case_metrics_result[]
	AS 'MODULE_PATHNAME', 'csstats_case_metrics_final'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION csstats._case_metrics_final(internal) IS
	'final function of csstats.case_metrics: splits the timeline into cases';

-- whole-row forms
CREATE FUNCTION csstats._chat_metrics_trans(internal, csstats.timeline, timestamptz)
	RETURNS internal
	AS 'MODULE_PATHNAME', 'csstats_chat_metrics_trans'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION csstats._chat_metrics_trans(internal, csstats.timeline, timestamptz) IS
	'transition function of csstats.chat_metrics(timeline, as_of)';

CREATE FUNCTION csstats._chat_metrics_trans(internal, csstats.timeline)
	RETURNS internal
	AS 'MODULE_PATHNAME', 'csstats_chat_metrics_trans'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION csstats._chat_metrics_trans(internal, csstats.timeline) IS
	'transition function of csstats.chat_metrics(timeline): as_of = now()';

CREATE FUNCTION csstats._case_metrics_trans(internal, csstats.timeline, timestamptz)
	RETURNS internal
	AS 'MODULE_PATHNAME', 'csstats_case_metrics_trans'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION csstats._case_metrics_trans(internal, csstats.timeline, timestamptz) IS
	'transition function of csstats.case_metrics(timeline, as_of)';

CREATE FUNCTION csstats._case_metrics_trans(internal, csstats.timeline)
	RETURNS internal
	AS 'MODULE_PATHNAME', 'csstats_case_metrics_trans'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION csstats._case_metrics_trans(internal, csstats.timeline) IS
	'transition function of csstats.case_metrics(timeline): as_of = now()';

-- column forms (the fast path): the view's columns in the view's order
CREATE FUNCTION csstats._chat_metrics_trans(internal, text, text, timestamptz, smallint,
		text, bigint, text, timestamptz)
	RETURNS internal
	AS 'MODULE_PATHNAME', 'csstats_chat_metrics_trans_cols'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION csstats._chat_metrics_trans(internal, text, text, timestamptz, smallint,
		text, bigint, text, timestamptz) IS
	'transition function of csstats.chat_metrics(channel_id, chat_id, at, seq, kind, event_id, item_id, as_of)';

CREATE FUNCTION csstats._chat_metrics_trans(internal, text, text, timestamptz, smallint,
		text, bigint, text)
	RETURNS internal
	AS 'MODULE_PATHNAME', 'csstats_chat_metrics_trans_cols'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION csstats._chat_metrics_trans(internal, text, text, timestamptz, smallint,
		text, bigint, text) IS
	'transition function of csstats.chat_metrics(channel_id, chat_id, at, seq, kind, event_id, item_id): as_of = now()';

CREATE FUNCTION csstats._case_metrics_trans(internal, text, text, timestamptz, smallint,
		text, bigint, text, text, text, text, text, text, text, text[], text[], text, jsonb,
		timestamptz)
	RETURNS internal
	AS 'MODULE_PATHNAME', 'csstats_case_metrics_trans_cols'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION csstats._case_metrics_trans(internal, text, text, timestamptz, smallint,
		text, bigint, text, text, text, text, text, text, text, text[], text[], text, jsonb,
		timestamptz) IS
	'transition function of csstats.case_metrics(<the 17 timeline columns>, as_of)';

CREATE FUNCTION csstats._case_metrics_trans(internal, text, text, timestamptz, smallint,
		text, bigint, text, text, text, text, text, text, text, text[], text[], text, jsonb)
	RETURNS internal
	AS 'MODULE_PATHNAME', 'csstats_case_metrics_trans_cols'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION csstats._case_metrics_trans(internal, text, text, timestamptz, smallint,
		text, bigint, text, text, text, text, text, text, text, text[], text[], text, jsonb) IS
	'transition function of csstats.case_metrics(<the 17 timeline columns>): as_of = now()';

-- SSPACE is each chat's state as measured on the demo data (packed rows,
-- src/core/tlpack.c): a hash aggregate sizes its group limit from it, and
-- an overestimate made the case aggregate spill to disk at 8,000 chats
-- with half its memory budget unused.
CREATE AGGREGATE csstats.chat_metrics(csstats.timeline, timestamptz) (
	SFUNC = csstats._chat_metrics_trans,
	STYPE = internal,
	SSPACE = 2048,
	FINALFUNC = csstats._chat_metrics_final,
	FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = csstats._metrics_combine,
	SERIALFUNC = csstats._metrics_serial,
	DESERIALFUNC = csstats._metrics_deserial,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE csstats.chat_metrics(csstats.timeline, timestamptz) IS
	'chat-level metrics (metrics.md) of one chat''s timeline rows as of a time';

CREATE AGGREGATE csstats.chat_metrics(csstats.timeline) (
	SFUNC = csstats._chat_metrics_trans,
	STYPE = internal,
	SSPACE = 2048,
	FINALFUNC = csstats._chat_metrics_final,
	FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = csstats._metrics_combine,
	SERIALFUNC = csstats._metrics_serial,
	DESERIALFUNC = csstats._metrics_deserial,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE csstats.chat_metrics(csstats.timeline) IS
	'chat-level metrics (metrics.md) of one chat''s timeline rows as of now()';

CREATE AGGREGATE csstats.chat_metrics(channel_id text, chat_id text, at timestamptz,
		seq smallint, kind text, event_id bigint, item_id text, as_of timestamptz) (
	SFUNC = csstats._chat_metrics_trans,
	STYPE = internal,
	SSPACE = 1024,
	FINALFUNC = csstats._chat_metrics_final,
	FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = csstats._metrics_combine,
	SERIALFUNC = csstats._metrics_serial,
	DESERIALFUNC = csstats._metrics_deserial,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE csstats.chat_metrics(text, text, timestamptz, smallint, text, bigint,
		text, timestamptz) IS
	'chat-level metrics (metrics.md) as of a time, from the timeline columns (the fast path of chat_metrics(timeline, as_of))';

CREATE AGGREGATE csstats.chat_metrics(channel_id text, chat_id text, at timestamptz,
		seq smallint, kind text, event_id bigint, item_id text) (
	SFUNC = csstats._chat_metrics_trans,
	STYPE = internal,
	SSPACE = 1024,
	FINALFUNC = csstats._chat_metrics_final,
	FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = csstats._metrics_combine,
	SERIALFUNC = csstats._metrics_serial,
	DESERIALFUNC = csstats._metrics_deserial,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE csstats.chat_metrics(text, text, timestamptz, smallint, text, bigint,
		text) IS
	'chat-level metrics (metrics.md) as of now(), from the timeline columns (the fast path of chat_metrics(timeline))';

CREATE AGGREGATE csstats.case_metrics(csstats.timeline, timestamptz) (
	SFUNC = csstats._case_metrics_trans,
	STYPE = internal,
	SSPACE = 2048,
	FINALFUNC = csstats._case_metrics_final,
	FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = csstats._metrics_combine,
	SERIALFUNC = csstats._metrics_serial,
	DESERIALFUNC = csstats._metrics_deserial,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE csstats.case_metrics(csstats.timeline, timestamptz) IS
	'case-level metrics (metrics.md) of one chat''s timeline rows as of a time: one element per case';

CREATE AGGREGATE csstats.case_metrics(csstats.timeline) (
	SFUNC = csstats._case_metrics_trans,
	STYPE = internal,
	SSPACE = 2048,
	FINALFUNC = csstats._case_metrics_final,
	FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = csstats._metrics_combine,
	SERIALFUNC = csstats._metrics_serial,
	DESERIALFUNC = csstats._metrics_deserial,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE csstats.case_metrics(csstats.timeline) IS
	'case-level metrics (metrics.md) of one chat''s timeline rows as of now(): one element per case';

CREATE AGGREGATE csstats.case_metrics(channel_id text, chat_id text, at timestamptz,
		seq smallint, kind text, event_id bigint, item_id text, value text,
		medium_name text, direction text, state text, assignee_id text, team_id text,
		manager_ids text[], tags text[], priority text, profile jsonb, as_of timestamptz) (
	SFUNC = csstats._case_metrics_trans,
	STYPE = internal,
	SSPACE = 2048,
	FINALFUNC = csstats._case_metrics_final,
	FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = csstats._metrics_combine,
	SERIALFUNC = csstats._metrics_serial,
	DESERIALFUNC = csstats._metrics_deserial,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE csstats.case_metrics(text, text, timestamptz, smallint, text, bigint,
		text, text, text, text, text, text, text, text[], text[], text, jsonb, timestamptz) IS
	'case-level metrics (metrics.md) as of a time, from the 17 timeline columns in order (the fast path of case_metrics(timeline, as_of))';

CREATE AGGREGATE csstats.case_metrics(channel_id text, chat_id text, at timestamptz,
		seq smallint, kind text, event_id bigint, item_id text, value text,
		medium_name text, direction text, state text, assignee_id text, team_id text,
		manager_ids text[], tags text[], priority text, profile jsonb) (
	SFUNC = csstats._case_metrics_trans,
	STYPE = internal,
	SSPACE = 2048,
	FINALFUNC = csstats._case_metrics_final,
	FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = csstats._metrics_combine,
	SERIALFUNC = csstats._metrics_serial,
	DESERIALFUNC = csstats._metrics_deserial,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE csstats.case_metrics(text, text, timestamptz, smallint, text, bigint,
		text, text, text, text, text, text, text, text[], text[], text, jsonb) IS
	'case-level metrics (metrics.md) as of now(), from the 17 timeline columns in order (the fast path of case_metrics(timeline))';
