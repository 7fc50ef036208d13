/*
 * metrics_reference.sql - the metrics of metrics.md written in plain SQL
 * (window functions and aggregates, no C of its own), with the same
 * definitions and choices as src/core/timeline.c:
 *
 *   csstats_ref.chat_metrics(channel_id, as_of) -> one row per chat
 *   csstats_ref.case_metrics(channel_id, as_of) -> one row per case
 *
 * It is the oracle of the randomized cross-check (test/suites/
 * 40_metrics_crosscheck.sh) and the baseline of the metrics benchmark
 * (test/bench/40_metrics.sh).  Operating hours come from the extension's
 * csstats.business_seconds / csstats.is_operating, which have their own
 * tests: this file checks the metric definitions, not the calendar.
 *
 * Not part of the extension: the suite and the benchmark load it into a
 * scratch schema csstats_ref with psql -f.
 */
DROP SCHEMA IF EXISTS csstats_ref CASCADE;
CREATE SCHEMA csstats_ref;

/*
 * The chat's timeline items up to as_of, numbered in timeline order (pos),
 * with eff (a state event that changes the state: its kind differs from the
 * previous state event's) and seg (the number of effective closes before the
 * item: a close drops a pending question, and ends a case).
 */
CREATE FUNCTION csstats_ref.items(p_channel text, p_as_of timestamptz)
RETURNS TABLE (chat_id text, pos bigint, at timestamptz, kind text, value text,
			   eff boolean, seg bigint)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	WITH o AS (
		SELECT t.chat_id, t.at, t.kind, t.value,
			row_number() OVER (PARTITION BY t.chat_id
							   ORDER BY t.at, t.seq, t.event_id, t.item_id COLLATE "C") AS pos
		FROM csstats.timeline t
		WHERE t.channel_id = p_channel AND t.seq > 0 AND t.at <= p_as_of
	), s AS (
		SELECT o.chat_id, o.pos,
			o.kind IS DISTINCT FROM lag(o.kind) OVER (PARTITION BY o.chat_id ORDER BY o.pos) AS eff
		FROM o
		WHERE o.kind IN ('queued', 'opened', 'snoozed', 'closed', 'missed')
	)
	SELECT o.chat_id, o.pos, o.at, o.kind, o.value, coalesce(s.eff, false),
		count(*) FILTER (WHERE s.eff AND o.kind = 'closed')
			OVER (PARTITION BY o.chat_id ORDER BY o.pos
				  ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
	FROM o LEFT JOIN s ON s.chat_id = o.chat_id AND s.pos = o.pos
$$;

/*
 * Reply accounting: inside a segment, the customer messages after the
 * previous manager message form one question; the next manager message is
 * its reply, pending since the question's first message.
 */
CREATE FUNCTION csstats_ref.replies(p_channel text, p_as_of timestamptz)
RETURNS TABLE (chat_id text, pos bigint, at timestamptz, pending_start timestamptz, seg bigint)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	WITH m AS (
		SELECT i.chat_id, i.pos, i.at, i.kind, i.seg,
			count(*) FILTER (WHERE i.kind = 'manager')
				OVER (PARTITION BY i.chat_id, i.seg ORDER BY i.pos
					  ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS grp
		FROM csstats_ref.items(p_channel, p_as_of) i
		WHERE i.kind IN ('user', 'manager')
	), g AS (
		-- a group holds one question's messages and the manager message after them
		SELECT m.*, min(m.at) FILTER (WHERE m.kind = 'user')
				OVER (PARTITION BY m.chat_id, m.seg, m.grp) AS pending_start
		FROM m
	)
	SELECT g.chat_id, g.pos, g.at, g.pending_start, g.seg
	FROM g
	WHERE g.kind = 'manager' AND g.pending_start IS NOT NULL
$$;

CREATE FUNCTION csstats_ref.secs(i interval) RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT
SET search_path = pg_catalog, pg_temp
RETURN extract(epoch FROM i)::double precision;

CREATE FUNCTION csstats_ref.chat_metrics(p_channel text, p_as_of timestamptz)
RETURNS TABLE (
	chat_id text,
	first_asked_at timestamptz, first_queued_at timestamptz, first_opened_at timestamptz,
	first_replied_at timestamptz, opened_at timestamptz, first_replied_at_after_open timestamptz,
	created_at timestamptz, waiting_time double precision, avg_reply_time double precision,
	total_reply_time double precision, reply_count integer, resolution_time double precision,
	operation_waiting_time double precision, operation_avg_reply_time double precision,
	operation_total_reply_time double precision, operation_reply_count integer,
	operation_resolution_time double precision, closed_at timestamptz)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
-- CTE row estimates are poor (rows=1): nested loops over them are quadratic
SET enable_nestloop = off
AS $$
	WITH i AS (
		SELECT * FROM csstats_ref.items(p_channel, p_as_of)
	), h AS (
		SELECT i.chat_id,
			min(i.at) FILTER (WHERE i.kind = 'user') AS first_asked_at,
			min(i.pos) FILTER (WHERE i.kind = 'user') AS first_asked_pos,
			min(i.at) FILTER (WHERE i.kind = 'queued') AS first_queued_at,
			min(i.at) FILTER (WHERE i.kind = 'opened') AS first_opened_at,
			max(i.pos) FILTER (WHERE i.kind = 'opened' AND i.eff) AS opened_pos,
			max(i.at) FILTER (WHERE i.kind = 'opened' AND i.eff) AS opened_at
		FROM i GROUP BY i.chat_id
	), fr AS (
		SELECT i.chat_id, min(i.at) AS first_replied_at
		FROM i JOIN h ON h.chat_id = i.chat_id
		WHERE i.kind = 'manager' AND i.pos > h.first_asked_pos
		GROUP BY i.chat_id
	), cl AS (
		SELECT DISTINCT ON (i.chat_id) i.chat_id, i.pos AS close_pos, i.at AS closed_at
		FROM i JOIN h ON h.chat_id = i.chat_id
		WHERE i.kind = 'closed' AND i.eff AND i.pos > h.opened_pos
		ORDER BY i.chat_id, i.pos
	), wr AS (
		SELECT r.chat_id, r.pos, r.at, greatest(r.pending_start, h.opened_at) AS start
		FROM csstats_ref.replies(p_channel, p_as_of) r
		JOIN h ON h.chat_id = r.chat_id
		LEFT JOIN cl ON cl.chat_id = r.chat_id
		WHERE r.pos > h.opened_pos AND (cl.close_pos IS NULL OR r.pos < cl.close_pos)
	), wo AS (
		SELECT wr.*, csstats.is_operating(wr.at, p_channel) AS operating,
			csstats.business_seconds(wr.start, wr.at, p_channel) AS bs,
			row_number() OVER (PARTITION BY wr.chat_id ORDER BY wr.pos) AS k
		FROM wr
	), wa AS (
		SELECT wo.chat_id, count(*)::integer AS n,
			sum(csstats_ref.secs(wo.at - wo.start)) AS total,
			(count(*) FILTER (WHERE wo.operating))::integer AS op_n,
			coalesce(sum(wo.bs) FILTER (WHERE wo.operating), 0) AS op_total,
			min(wo.at) FILTER (WHERE wo.k = 1) AS first_at,
			min(csstats_ref.secs(wo.at - wo.start)) FILTER (WHERE wo.k = 1) AS wait,
			min(wo.bs) FILTER (WHERE wo.k = 1) AS op_wait
		FROM wo GROUP BY wo.chat_id
	)
	SELECT c.id, h.first_asked_at, h.first_queued_at, h.first_opened_at, fr.first_replied_at,
		h.opened_at, wa.first_at, c.created_at, wa.wait,
		CASE WHEN h.opened_at IS NOT NULL AND coalesce(wa.n, 0) > 0 THEN wa.total / wa.n END,
		CASE WHEN h.opened_at IS NOT NULL THEN coalesce(wa.total, 0) END,
		CASE WHEN h.opened_at IS NOT NULL THEN coalesce(wa.n, 0) END,
		csstats_ref.secs(cl.closed_at - h.opened_at),
		wa.op_wait,
		CASE WHEN h.opened_at IS NOT NULL AND coalesce(wa.op_n, 0) > 0 THEN wa.op_total / wa.op_n END,
		CASE WHEN h.opened_at IS NOT NULL THEN coalesce(wa.op_total, 0) END,
		CASE WHEN h.opened_at IS NOT NULL THEN coalesce(wa.op_n, 0) END,
		CASE WHEN cl.closed_at IS NOT NULL
			THEN csstats.business_seconds(h.opened_at, cl.closed_at, p_channel) END,
		cl.closed_at
	FROM csstats.user_chats c
	LEFT JOIN h ON h.chat_id = c.id
	LEFT JOIN fr ON fr.chat_id = c.id
	LEFT JOIN cl ON cl.chat_id = c.id
	LEFT JOIN wa ON wa.chat_id = c.id
	WHERE c.channel_id = p_channel
$$;

/* profile replay: a JSON null removes the key */
CREATE FUNCTION csstats_ref.profile_merge(s jsonb, v jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
RETURN (coalesce(s, '{}') || v)
	- coalesce(ARRAY(SELECT e.key FROM jsonb_each(v) e WHERE jsonb_typeof(e.value) = 'null'), '{}');

CREATE AGGREGATE csstats_ref.profile_agg(jsonb) (
	SFUNC = csstats_ref.profile_merge, STYPE = jsonb, INITCOND = '{}');

CREATE FUNCTION csstats_ref.case_metrics(p_channel text, p_as_of timestamptz)
RETURNS TABLE (
	user_chat_id text, user_chat_case integer, user_chat_case_id text,
	user_chat_case_created_at timestamptz, user_chat_case_updated_at timestamptz,
	user_chat_case_state text, user_chat_state text, team_id text, assignee_id text,
	manager_ids text[], tags text[], priority text, profile jsonb,
	first_queued_at timestamptz, first_opened_at timestamptz, first_asked_at timestamptz,
	first_replied_at timestamptz, closed_at timestamptz, waiting_time double precision,
	total_reply_time double precision, reply_count integer, avg_reply_time double precision,
	resolution_time double precision, total_snoozed_time double precision,
	lead_time double precision, snoozed_count integer, missed_count integer,
	operation_waiting_time double precision, operation_reply_count integer,
	operation_total_reply_time double precision, operation_avg_reply_time double precision,
	operation_resolution_time double precision, operation_lead_time double precision)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
-- CTE row estimates are poor (rows=1): nested loops over them are quadratic
SET enable_nestloop = off
AS $$
	WITH i AS (
		SELECT * FROM csstats_ref.items(p_channel, p_as_of)
	), segs AS (
		-- a segment with an effective queued/opened is a case; the segments
		-- before it without one belong to it too
		SELECT i.chat_id, i.seg,
			bool_or(i.kind IN ('queued', 'opened') AND i.eff) AS started,
			min(i.pos) FILTER (WHERE i.kind IN ('queued', 'opened') AND i.eff) AS start_pos,
			max(i.pos) FILTER (WHERE i.kind = 'closed' AND i.eff) AS close_pos,
			max(i.at) FILTER (WHERE i.kind = 'closed' AND i.eff) AS closed_at
		FROM i GROUP BY i.chat_id, i.seg
	), sn AS (
		SELECT segs.*,
			1 + count(*) FILTER (WHERE segs.started) OVER (PARTITION BY segs.chat_id ORDER BY segs.seg
				ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS case_no,
			count(*) FILTER (WHERE segs.started) OVER (PARTITION BY segs.chat_id) AS ncases
		FROM segs
	), cases AS (
		SELECT sn.chat_id, sn.case_no::integer AS k, sn.ncases, sn.start_pos, sn.close_pos, sn.closed_at,
			lead(sn.start_pos) OVER (PARTITION BY sn.chat_id ORDER BY sn.case_no) AS next_start_pos
		FROM sn WHERE sn.started
	), ci AS (
		-- items with their case number (segments merged forward)
		SELECT i.*, sn.case_no::integer AS k
		FROM i JOIN sn ON sn.chat_id = i.chat_id AND sn.seg = i.seg
		WHERE sn.case_no <= sn.ncases
	), snooze AS (
		SELECT s.chat_id, s.pos, s.at AS since,
			coalesce(s.next_at, p_as_of) AS until
		FROM (SELECT i.chat_id, i.pos, i.at, i.kind,
				lead(i.at) OVER (PARTITION BY i.chat_id ORDER BY i.pos) AS next_at
			  FROM i WHERE i.eff) s
		WHERE s.kind = 'snoozed'
	), agg AS (
		SELECT ci.chat_id, ci.k,
			min(ci.at) FILTER (WHERE ci.kind = 'queued' AND ci.eff) AS first_queued_at,
			min(ci.at) FILTER (WHERE ci.kind = 'opened' AND ci.eff) AS first_opened_at,
			min(ci.at) FILTER (WHERE ci.kind = 'user') AS first_asked_at,
			(count(*) FILTER (WHERE ci.kind = 'snoozed' AND ci.eff))::integer AS snoozed_count,
			(count(*) FILTER (WHERE (ci.kind = 'missed' AND ci.eff)
								OR (ci.kind = 'meet' AND ci.value IS NOT NULL)))::integer AS missed_count,
			coalesce(sum(csstats_ref.secs(sz.until - sz.since)), 0) AS snoozed,
			coalesce(sum(csstats.business_seconds(sz.since, sz.until, p_channel)), 0) AS op_snoozed,
			max(ci.at) FILTER (WHERE ci.kind IN ('user', 'manager')
								 OR (ci.kind IN ('queued', 'opened', 'snoozed', 'closed', 'missed') AND ci.eff)
								 OR (ci.kind = 'meet' AND ci.value IS NOT NULL)
								 OR ci.kind NOT IN ('user', 'manager', 'bot', 'meet', 'queued', 'opened',
													'snoozed', 'closed', 'missed')) AS updated_at
		FROM ci LEFT JOIN snooze sz ON sz.chat_id = ci.chat_id AND sz.pos = ci.pos
		GROUP BY ci.chat_id, ci.k
	), rep AS (
		SELECT ci.chat_id, ci.k, r.at, r.pending_start, r.pos,
			csstats.is_operating(r.at, p_channel) AS operating
		FROM csstats_ref.replies(p_channel, p_as_of) r
		JOIN ci ON ci.chat_id = r.chat_id AND ci.pos = r.pos
	), ra AS (
		SELECT rep.chat_id, rep.k, count(*)::integer AS n,
			sum(csstats_ref.secs(rep.at - rep.pending_start)) AS total,
			min(rep.at) AS first_replied_at,
			(count(*) FILTER (WHERE rep.operating))::integer AS op_n,
			coalesce(sum(csstats.business_seconds(rep.pending_start, rep.at, p_channel))
					 FILTER (WHERE rep.operating), 0) AS op_total
		FROM rep GROUP BY rep.chat_id, rep.k
	), after_hour AS (
		-- the first item more than an hour after each case's close
		SELECT cases.chat_id, cases.k, min(i.pos) AS pos
		FROM cases JOIN i ON i.chat_id = cases.chat_id AND i.pos > cases.close_pos
			AND i.at > cases.closed_at + interval '1 hour'
		GROUP BY cases.chat_id, cases.k
	), lim AS (
		-- the case's record: before the next case's start, at most 1 h after the close
		SELECT cases.chat_id, cases.k, cases.close_pos,
			CASE WHEN cases.close_pos IS NOT NULL
				THEN least(cases.next_start_pos, after_hour.pos) END AS attr_end
		FROM cases LEFT JOIN after_hour ON after_hour.chat_id = cases.chat_id AND after_hour.k = cases.k
	), late AS (
		-- attribute events after the close, inside the record
		SELECT lim.chat_id, lim.k, max(i.at) AS at
		FROM lim JOIN i ON i.chat_id = lim.chat_id AND i.pos > lim.close_pos
			AND (lim.attr_end IS NULL OR i.pos < lim.attr_end)
		WHERE i.kind NOT IN ('user', 'manager', 'bot', 'meet', 'queued', 'opened', 'snoozed',
							 'closed', 'missed')
		GROUP BY lim.chat_id, lim.k
	), seen AS (
		-- kinds present in the chat's whole history (rows after as_of included)
		SELECT e.chat_id,
			bool_or(e.kind IN ('queued', 'opened', 'snoozed', 'closed', 'missed')) AS state,
			bool_or(e.kind = 'assigned') AS assigned,
			bool_or(e.kind = 'team_assigned') AS team,
			bool_or(e.kind IN ('tag_added', 'tag_removed')) AS tags,
			bool_or(e.kind IN ('follower_added', 'follower_removed')) AS followers,
			bool_or(e.kind = 'priority_changed') AS priority,
			bool_or(e.kind = 'profile_changed') AS profile
		FROM csstats.chat_events e WHERE e.channel_id = p_channel
		GROUP BY e.chat_id
	), ri AS (
		-- the items each case's attributes are replayed over
		SELECT lim.chat_id, lim.k, i.pos, i.kind, i.value, i.eff
		FROM lim JOIN i ON i.chat_id = lim.chat_id AND (lim.attr_end IS NULL OR i.pos < lim.attr_end)
		WHERE i.kind NOT IN ('user', 'manager', 'bot', 'meet')
	), scalars AS (
		SELECT ri.chat_id, ri.k,
			(array_agg(ri.kind ORDER BY ri.pos DESC) FILTER (
				WHERE ri.kind IN ('queued', 'opened', 'snoozed', 'closed', 'missed') AND ri.eff))[1] AS state_kind,
			(array_agg(ri.value ORDER BY ri.pos DESC) FILTER (WHERE ri.kind = 'assigned'))[1] AS assignee,
			(array_agg(ri.value ORDER BY ri.pos DESC) FILTER (WHERE ri.kind = 'team_assigned'))[1] AS team,
			(array_agg(ri.value ORDER BY ri.pos DESC) FILTER (WHERE ri.kind = 'priority_changed'))[1] AS priority,
			csstats_ref.profile_agg(ri.value::jsonb ORDER BY ri.pos)
				FILTER (WHERE ri.kind = 'profile_changed') AS profile
		FROM ri GROUP BY ri.chat_id, ri.k
	), sets AS (
		SELECT x.chat_id, x.k,
			array_agg(x.value ORDER BY x.value COLLATE "C") FILTER (
				WHERE x.last_kind = 'tag_added') AS tags,
			array_agg(x.value ORDER BY x.value COLLATE "C") FILTER (
				WHERE x.last_kind = 'follower_added') AS followers
		FROM (SELECT DISTINCT ON (ri.chat_id, ri.k, ri.kind IN ('tag_added', 'tag_removed'), ri.value)
				ri.chat_id, ri.k, ri.value, ri.kind AS last_kind
			  FROM ri
			  WHERE ri.kind IN ('tag_added', 'tag_removed', 'follower_added', 'follower_removed')
			  ORDER BY ri.chat_id, ri.k, ri.kind IN ('tag_added', 'tag_removed'), ri.value, ri.pos DESC) x
		GROUP BY x.chat_id, x.k
	), m AS (
		SELECT cases.chat_id, cases.k, cases.ncases, cases.closed_at,
			CASE WHEN uc.medium_name = 'phoneNumber' AND uc.direction = 'inbound'
				THEN agg.first_opened_at ELSE agg.first_asked_at END AS first_asked_at,
			CASE WHEN uc.medium_name = 'phoneNumber' THEN NULL ELSE ra.first_replied_at END AS first_replied_at,
			agg.first_queued_at, agg.first_opened_at, agg.snoozed_count, agg.missed_count,
			agg.snoozed, agg.op_snoozed,
			greatest(agg.updated_at, late.at) AS updated_at,
			coalesce(ra.n, 0) AS n, coalesce(ra.total, 0) AS total,
			coalesce(ra.op_n, 0) AS op_n, coalesce(ra.op_total, 0) AS op_total,
			uc.state AS cur_state, uc.assignee_id AS cur_assignee, uc.team_id AS cur_team,
			uc.manager_ids AS cur_followers, uc.tags AS cur_tags, uc.priority AS cur_priority,
			uc.profile AS cur_profile,
			seen.state AS seen_state, seen.assigned AS seen_assigned, seen.team AS seen_team,
			seen.tags AS seen_tags, seen.followers AS seen_followers,
			seen.priority AS seen_priority, seen.profile AS seen_profile,
			scalars.state_kind, scalars.assignee, scalars.team, scalars.priority, scalars.profile,
			sets.tags, sets.followers
		FROM cases
		JOIN agg ON agg.chat_id = cases.chat_id AND agg.k = cases.k
		LEFT JOIN ra ON ra.chat_id = cases.chat_id AND ra.k = cases.k
		LEFT JOIN late ON late.chat_id = cases.chat_id AND late.k = cases.k
		LEFT JOIN scalars ON scalars.chat_id = cases.chat_id AND scalars.k = cases.k
		LEFT JOIN sets ON sets.chat_id = cases.chat_id AND sets.k = cases.k
		LEFT JOIN seen ON seen.chat_id = cases.chat_id
		LEFT JOIN csstats.user_chats uc ON uc.channel_id = p_channel AND uc.id = cases.chat_id
	), w AS (
		SELECT m.*, least(m.first_opened_at, m.first_queued_at, m.first_asked_at) AS wait_from
		FROM m
	)
	SELECT w.chat_id, w.k, w.chat_id || '-' || w.k,
		least(w.first_queued_at, w.first_opened_at), w.updated_at,
		CASE WHEN w.k < w.ncases OR w.closed_at + interval '1 hour' <= p_as_of
			THEN 'completed' ELSE 'inProgress' END,
		CASE WHEN coalesce(w.seen_state, false) THEN
			CASE w.state_kind WHEN 'opened' THEN 'open' ELSE w.state_kind END
			ELSE w.cur_state END,
		CASE WHEN coalesce(w.seen_team, false) THEN w.team ELSE w.cur_team END,
		CASE WHEN coalesce(w.seen_assigned, false) THEN w.assignee ELSE w.cur_assignee END,
		CASE WHEN coalesce(w.seen_followers, false) THEN coalesce(w.followers, '{}') ELSE w.cur_followers END,
		CASE WHEN coalesce(w.seen_tags, false) THEN coalesce(w.tags, '{}') ELSE w.cur_tags END,
		CASE WHEN coalesce(w.seen_priority, false) THEN w.priority ELSE w.cur_priority END,
		CASE WHEN coalesce(w.seen_profile, false) THEN coalesce(w.profile, '{}') ELSE w.cur_profile END,
		w.first_queued_at, w.first_opened_at, w.first_asked_at, w.first_replied_at, w.closed_at,
		csstats_ref.secs(w.first_replied_at - w.wait_from),
		w.total, w.n,
		CASE WHEN w.n > 0 THEN w.total / w.n END,
		csstats_ref.secs(w.closed_at - w.first_opened_at),
		w.snoozed,
		csstats_ref.secs(w.closed_at - w.first_opened_at) - w.snoozed,
		w.snoozed_count, w.missed_count,
		CASE WHEN w.first_replied_at IS NOT NULL
			THEN csstats.business_seconds(w.wait_from, w.first_replied_at, p_channel) END,
		w.op_n, w.op_total,
		CASE WHEN w.op_n > 0 THEN w.op_total / w.op_n END,
		CASE WHEN w.closed_at IS NOT NULL AND w.first_opened_at IS NOT NULL
			THEN csstats.business_seconds(w.first_opened_at, w.closed_at, p_channel) END,
		CASE WHEN w.closed_at IS NOT NULL AND w.first_opened_at IS NOT NULL
			THEN csstats.business_seconds(w.first_opened_at, w.closed_at, p_channel) - w.op_snoozed END
	FROM w
$$;
