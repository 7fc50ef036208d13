/*
 * Flat views for BI tools (docs/bi.md "Flat views"): one scalar column per
 * metric and attribute, durations in seconds (double precision), names and
 * local days (the channel's time zone, never the session's) joined in, so a
 * chart groups them without knowing csstats' composite types and arrays.
 *
 *   SELECT day, assignee_name, chats, waiting_time_p50_seconds
 *   FROM csstats.bi_daily WHERE channel_id = 'demo' ORDER BY day DESC;
 *
 * Every row is as of now(): channels with a metric store (92_metrics_store.sql)
 * are read through chat_metrics_current / case_metrics_current (stored rows
 * where exact, live for the rest), every other channel through the live
 * aggregates over _metrics_store_timeline (the timeline read with the
 * caller's rights).  All views are security_invoker: grants and row-level
 * security of the tables apply to the caller.
 */

-- The case-level metrics of every case as of now(), per chat the same way,
-- with the chat's fixed attributes.  Not through case_metrics_current: its
-- live part yields the cases of every chat of the channel before they can be
-- matched to one chat (a LATERAL lookup per chat would compute the whole
-- channel each time).  The rule is the same: a chat's stored cases are used
-- when they are all completed, their stamp is not after now() and no log row
-- names the chat or reaches its last item; otherwise the chat is live.
CREATE VIEW csstats._bi_case_metrics WITH (security_invoker = true) AS
	SELECT u.channel_id, u.user_id, u.medium_name, u.direction, m.*
	FROM csstats.user_chats u
	CROSS JOIN LATERAL (
		SELECT c.user_chat_id, c.user_chat_case, c.user_chat_case_id,
			c.user_chat_case_created_at, c.user_chat_case_updated_at, c.user_chat_case_state,
			c.user_chat_state, c.team_id, c.assignee_id, c.manager_ids, c.tags, c.priority,
			c.profile, c.first_queued_at, c.first_opened_at, c.first_asked_at, c.first_replied_at,
			c.closed_at, c.waiting_time, c.total_reply_time, c.reply_count, c.avg_reply_time,
			c.resolution_time, c.total_snoozed_time, c.lead_time, c.snoozed_count, c.missed_count,
			c.operation_waiting_time, c.operation_reply_count, c.operation_total_reply_time,
			c.operation_avg_reply_time, c.operation_resolution_time, c.operation_lead_time,
			c.metrics_as_of, true AS from_store
		FROM csstats.case_metrics_store c
		WHERE c.channel_id = u.channel_id AND c.user_chat_id = u.id AND c.metrics_as_of <= now()
			AND NOT EXISTS (SELECT FROM csstats.metrics_store_log l
				WHERE l.channel_id = c.channel_id AND l.chat_id = c.user_chat_id)
			AND NOT EXISTS (SELECT FROM csstats.metrics_store_log l
				WHERE l.channel_id = c.channel_id AND l.chat_id IS NULL AND c.last_item_at >= l.from_at)
		UNION ALL
		SELECT k.*, now(), false
		FROM (SELECT csstats.case_metrics(t.channel_id, t.chat_id, t.at, t.seq, t.kind,
					t.event_id, t.item_id, t.value, t.medium_name, t.direction, t.state,
					t.assignee_id, t.team_id, t.manager_ids, t.tags, t.priority, t.profile,
					now()) AS cs
			FROM csstats._metrics_store_timeline t
			WHERE t.channel_id = u.channel_id AND t.chat_id = u.id AND t.at IS NOT NULL
				AND NOT EXISTS (SELECT FROM csstats.metrics_store_chats s
					WHERE s.channel_id = u.channel_id AND s.chat_id = u.id AND s.cases_settled
						AND s.metrics_as_of <= now()
						AND NOT EXISTS (SELECT FROM csstats.metrics_store_log l
							WHERE l.channel_id = s.channel_id AND l.chat_id = s.chat_id)
						AND NOT EXISTS (SELECT FROM csstats.metrics_store_log l
							WHERE l.channel_id = s.channel_id AND l.chat_id IS NULL
								AND s.last_item_at >= l.from_at))
			GROUP BY t.channel_id, t.chat_id) l
			CROSS JOIN LATERAL unnest(l.cs) k) m;
COMMENT ON VIEW csstats._bi_case_metrics IS
	'internal: case_metrics_result as of now() of every case, from the metric store where the channel has one, live otherwise';

-------------------------------------------------------------------------------
-- Chats
-------------------------------------------------------------------------------

-- The metrics of each chat are a LATERAL join from user_chats: the metric
-- store's view for a channel that has one (its stored row where exact, live
-- otherwise), the live aggregate for any other.  Per chat through the
-- (channel_id, chat_id) indexes on purpose: joined to a whole-channel pass
-- instead, a planner without fresh statistics rescanned that pass once per
-- chat (80 ms became 88 s on 300 chats).
CREATE VIEW csstats.bi_chats WITH (security_invoker = true) AS
	SELECT u.channel_id, ch.name AS channel_name, ch.timezone, u.id AS chat_id, u.user_id,
		u.state, u.medium_name, u.direction, u.priority,
		u.assignee_id, a.name AS assignee_name, u.team_id, tm.name AS team_name,
		pg_catalog.cardinality(u.tags) AS tag_count,
		u.created_at, (u.created_at AT TIME ZONE ch.timezone)::date AS created_local_day,
		m.opened_at, m.closed_at, (m.closed_at AT TIME ZONE ch.timezone)::date AS closed_local_day,
		m.first_asked_at, m.first_queued_at, m.first_opened_at, m.first_replied_at,
		m.first_replied_at_after_open,
		m.waiting_time AS waiting_time_seconds,
		m.avg_reply_time AS avg_reply_time_seconds,
		m.total_reply_time AS total_reply_time_seconds,
		m.reply_count,
		m.resolution_time AS resolution_time_seconds,
		m.operation_waiting_time AS operation_waiting_time_seconds,
		m.operation_avg_reply_time AS operation_avg_reply_time_seconds,
		m.operation_total_reply_time AS operation_total_reply_time_seconds,
		m.operation_reply_count,
		m.operation_resolution_time AS operation_resolution_time_seconds,
		m.metrics_as_of, m.from_store
	FROM csstats.user_chats u
	JOIN csstats.channels ch ON ch.id = u.channel_id
	CROSS JOIN LATERAL (
		SELECT c.first_asked_at, c.first_queued_at, c.first_opened_at, c.first_replied_at,
			c.opened_at, c.first_replied_at_after_open, c.created_at, c.waiting_time,
			c.avg_reply_time, c.total_reply_time, c.reply_count, c.resolution_time,
			c.operation_waiting_time, c.operation_avg_reply_time, c.operation_total_reply_time,
			c.operation_reply_count, c.operation_resolution_time, c.closed_at,
			c.metrics_as_of, c.from_store
		FROM csstats.chat_metrics_current c
		WHERE c.channel_id = u.channel_id AND c.chat_id = u.id
		UNION ALL
		SELECT (l.r).*, now(), false
		FROM (SELECT csstats.chat_metrics(t.channel_id, t.chat_id, t.at, t.seq, t.kind,
					t.event_id, t.item_id, now()) AS r
			FROM csstats._metrics_store_timeline t
			WHERE t.channel_id = u.channel_id AND t.chat_id = u.id AND t.at IS NOT NULL
				AND NOT EXISTS (SELECT FROM csstats.metrics_store_channels e
					WHERE e.channel_id = u.channel_id)
			GROUP BY t.channel_id, t.chat_id) l) m
	LEFT JOIN csstats.managers a ON a.channel_id = u.channel_id AND a.id = u.assignee_id
	LEFT JOIN csstats.teams tm ON tm.channel_id = u.channel_id AND tm.id = u.team_id;
COMMENT ON VIEW csstats.bi_chats IS
	'one row per chat: its current attributes with names, and the chat-level metrics (latest open period) as of now() in seconds; flat, for BI tools';
COMMENT ON COLUMN csstats.bi_chats.channel_id IS 'the channel (tenant)';
COMMENT ON COLUMN csstats.bi_chats.channel_name IS 'the channel''s name';
COMMENT ON COLUMN csstats.bi_chats.timezone IS 'the channel''s time zone: the local days are dates in it';
COMMENT ON COLUMN csstats.bi_chats.chat_id IS 'the chat (user_chats.id)';
COMMENT ON COLUMN csstats.bi_chats.user_id IS 'the customer (users.id)';
COMMENT ON COLUMN csstats.bi_chats.state IS 'the chat''s current state: queued, open, snoozed, closed or missed';
COMMENT ON COLUMN csstats.bi_chats.medium_name IS 'the contact medium (inAppChat, phoneNumber, email, ...)';
COMMENT ON COLUMN csstats.bi_chats.direction IS 'inbound or outbound';
COMMENT ON COLUMN csstats.bi_chats.priority IS 'the chat''s current priority: high, medium, low or NULL';
COMMENT ON COLUMN csstats.bi_chats.assignee_id IS 'the current assignee (managers.id); NULL when unassigned';
COMMENT ON COLUMN csstats.bi_chats.assignee_name IS 'the current assignee''s name';
COMMENT ON COLUMN csstats.bi_chats.team_id IS 'the current team (teams.id)';
COMMENT ON COLUMN csstats.bi_chats.team_name IS 'the current team''s name';
COMMENT ON COLUMN csstats.bi_chats.tag_count IS 'how many tags the chat carries now (the tags themselves: csstats.bi_chat_tags)';
COMMENT ON COLUMN csstats.bi_chats.created_at IS 'when the chat was created';
COMMENT ON COLUMN csstats.bi_chats.created_local_day IS 'created_at as a date in the channel''s time zone';
COMMENT ON COLUMN csstats.bi_chats.opened_at IS 'openedAt: the last effective opened event, the start of the latest open period';
COMMENT ON COLUMN csstats.bi_chats.closed_at IS 'closedAt: the close that ends the latest open period; NULL while the chat is not closed';
COMMENT ON COLUMN csstats.bi_chats.closed_local_day IS 'closed_at as a date in the channel''s time zone';
COMMENT ON COLUMN csstats.bi_chats.first_asked_at IS 'firstAskedAt: the first customer message (whole history)';
COMMENT ON COLUMN csstats.bi_chats.first_queued_at IS 'firstQueuedAt: the first effective queued event';
COMMENT ON COLUMN csstats.bi_chats.first_opened_at IS 'firstOpenedAt: the first effective opened event';
COMMENT ON COLUMN csstats.bi_chats.first_replied_at IS 'firstRepliedAt: the first manager reply to the first customer question (whole history)';
COMMENT ON COLUMN csstats.bi_chats.first_replied_at_after_open IS 'firstRepliedAtAfterOpen: the first reply in the latest open period';
COMMENT ON COLUMN csstats.bi_chats.waiting_time_seconds IS 'waitingTime in seconds: the first reply time of the latest open period (a question pending since before openedAt counts from openedAt)';
COMMENT ON COLUMN csstats.bi_chats.avg_reply_time_seconds IS 'avgReplyTime in seconds: total_reply_time_seconds / reply_count';
COMMENT ON COLUMN csstats.bi_chats.total_reply_time_seconds IS 'totalReplyTime in seconds: the sum of the reply times of the latest open period';
COMMENT ON COLUMN csstats.bi_chats.reply_count IS 'replyCount: replies in the latest open period';
COMMENT ON COLUMN csstats.bi_chats.resolution_time_seconds IS 'resolutionTime in seconds: closed_at - opened_at';
COMMENT ON COLUMN csstats.bi_chats.operation_waiting_time_seconds IS 'operationWaitingTime: waiting time counted in operating-hours seconds';
COMMENT ON COLUMN csstats.bi_chats.operation_avg_reply_time_seconds IS 'operationAvgReplyTime: operation_total_reply_time_seconds / operation_reply_count';
COMMENT ON COLUMN csstats.bi_chats.operation_total_reply_time_seconds IS 'operationTotalReplyTime: reply times in operating-hours seconds, of the replies sent in operating hours';
COMMENT ON COLUMN csstats.bi_chats.operation_reply_count IS 'operationReplyCount: replies sent in operating hours';
COMMENT ON COLUMN csstats.bi_chats.operation_resolution_time_seconds IS 'operationResolutionTime: resolution time in operating-hours seconds';
COMMENT ON COLUMN csstats.bi_chats.metrics_as_of IS 'the instant the metrics describe: now(), or the stamp of a stored row (equal to now() for a settled chat)';
COMMENT ON COLUMN csstats.bi_chats.from_store IS 'true when the metrics come from the metric store, false when computed live';

CREATE VIEW csstats.bi_chat_tags WITH (security_invoker = true) AS
	SELECT u.channel_id, u.id AS chat_id, g.tag, pg_catalog.split_part(g.tag, '/', 1) AS top_level_tag,
		t.id AS tag_id
	FROM csstats.user_chats u
	CROSS JOIN LATERAL unnest(u.tags) AS g(tag)
	LEFT JOIN csstats.chat_tags t ON t.channel_id = u.channel_id AND t.name = g.tag;
COMMENT ON VIEW csstats.bi_chat_tags IS
	'one row per chat and tag it carries now; join to csstats.bi_chats on (channel_id, chat_id)';
COMMENT ON COLUMN csstats.bi_chat_tags.channel_id IS 'the channel (tenant)';
COMMENT ON COLUMN csstats.bi_chat_tags.chat_id IS 'the chat (user_chats.id)';
COMMENT ON COLUMN csstats.bi_chat_tags.tag IS 'the tag''s name (''delivery/late'')';
COMMENT ON COLUMN csstats.bi_chat_tags.top_level_tag IS 'the tag''s top-level ancestor, the part before the first ''/'' (''delivery''); the tag itself for a top-level tag';
COMMENT ON COLUMN csstats.bi_chat_tags.tag_id IS 'chat_tags.id of the tag; NULL when the tag is not in chat_tags';

-------------------------------------------------------------------------------
-- Cases
-------------------------------------------------------------------------------

CREATE VIEW csstats.bi_cases WITH (security_invoker = true) AS
	SELECT k.channel_id, ch.name AS channel_name, ch.timezone, k.user_chat_id AS chat_id,
		k.user_chat_case AS case_number, k.user_chat_case_id AS case_id,
		k.user_chat_case_state AS case_state, k.user_chat_state AS chat_state,
		k.user_id, k.medium_name, k.direction, k.priority,
		k.assignee_id, a.name AS assignee_name, k.team_id, tm.name AS team_name,
		pg_catalog.cardinality(k.tags) AS tag_count,
		pg_catalog.cardinality(k.manager_ids) AS follower_count,
		k.user_chat_case_created_at AS created_at,
		(k.user_chat_case_created_at AT TIME ZONE ch.timezone)::date AS created_local_day,
		k.user_chat_case_updated_at AS updated_at,
		k.closed_at, (k.closed_at AT TIME ZONE ch.timezone)::date AS closed_local_day,
		k.first_queued_at, k.first_opened_at, k.first_asked_at, k.first_replied_at,
		k.waiting_time AS waiting_time_seconds,
		k.total_reply_time AS total_reply_time_seconds,
		k.reply_count,
		k.avg_reply_time AS avg_reply_time_seconds,
		k.resolution_time AS resolution_time_seconds,
		k.total_snoozed_time AS total_snoozed_time_seconds,
		k.lead_time AS lead_time_seconds,
		k.snoozed_count, k.missed_count,
		k.operation_waiting_time AS operation_waiting_time_seconds,
		k.operation_reply_count,
		k.operation_total_reply_time AS operation_total_reply_time_seconds,
		k.operation_avg_reply_time AS operation_avg_reply_time_seconds,
		k.operation_resolution_time AS operation_resolution_time_seconds,
		k.operation_lead_time AS operation_lead_time_seconds,
		k.profile, k.metrics_as_of, k.from_store
	FROM csstats._bi_case_metrics k
	JOIN csstats.channels ch ON ch.id = k.channel_id
	LEFT JOIN csstats.managers a ON a.channel_id = k.channel_id AND a.id = k.assignee_id
	LEFT JOIN csstats.teams tm ON tm.channel_id = k.channel_id AND tm.id = k.team_id;
COMMENT ON VIEW csstats.bi_cases IS
	'one row per case (consultation): case-level metrics as of now() in seconds and the case''s replayed attributes with names; flat, for BI tools';
COMMENT ON COLUMN csstats.bi_cases.channel_id IS 'the channel (tenant)';
COMMENT ON COLUMN csstats.bi_cases.channel_name IS 'the channel''s name';
COMMENT ON COLUMN csstats.bi_cases.timezone IS 'the channel''s time zone: the local days are dates in it';
COMMENT ON COLUMN csstats.bi_cases.chat_id IS 'the chat (user_chats.id) the case belongs to';
COMMENT ON COLUMN csstats.bi_cases.case_number IS 'userChatCase: the case''s number in its chat, from 1';
COMMENT ON COLUMN csstats.bi_cases.case_id IS 'userChatCaseId: <chat_id>-<case_number>';
COMMENT ON COLUMN csstats.bi_cases.case_state IS 'userChatCaseState: completed (the next case started, or closed an hour ago or more) or inProgress';
COMMENT ON COLUMN csstats.bi_cases.chat_state IS 'userChatState: the chat''s state at the end of the case''s record (replayed from the chat events)';
COMMENT ON COLUMN csstats.bi_cases.user_id IS 'the customer (users.id)';
COMMENT ON COLUMN csstats.bi_cases.medium_name IS 'the chat''s contact medium';
COMMENT ON COLUMN csstats.bi_cases.direction IS 'the chat''s direction: inbound or outbound';
COMMENT ON COLUMN csstats.bi_cases.priority IS 'the priority during the case (replayed)';
COMMENT ON COLUMN csstats.bi_cases.assignee_id IS 'the assignee of the case (replayed, managers.id); NULL when unassigned';
COMMENT ON COLUMN csstats.bi_cases.assignee_name IS 'the case assignee''s name';
COMMENT ON COLUMN csstats.bi_cases.team_id IS 'the team of the case (replayed, teams.id)';
COMMENT ON COLUMN csstats.bi_cases.team_name IS 'the case team''s name';
COMMENT ON COLUMN csstats.bi_cases.tag_count IS 'how many tags the case carries (replayed; the tags themselves: csstats.bi_case_tags)';
COMMENT ON COLUMN csstats.bi_cases.follower_count IS 'how many followers (managerIds) the case has (replayed)';
COMMENT ON COLUMN csstats.bi_cases.created_at IS 'userChatCaseCreatedAt: the earlier of the case''s first queued and first opened';
COMMENT ON COLUMN csstats.bi_cases.created_local_day IS 'created_at as a date in the channel''s time zone';
COMMENT ON COLUMN csstats.bi_cases.updated_at IS 'userChatCaseUpdatedAt: the last item that changed the case';
COMMENT ON COLUMN csstats.bi_cases.closed_at IS 'closedAt: the close that ends the case; NULL while it is open';
COMMENT ON COLUMN csstats.bi_cases.closed_local_day IS 'closed_at as a date in the channel''s time zone';
COMMENT ON COLUMN csstats.bi_cases.first_queued_at IS 'firstQueuedAt: the first queued event of the case';
COMMENT ON COLUMN csstats.bi_cases.first_opened_at IS 'firstOpenedAt: the first opened event of the case';
COMMENT ON COLUMN csstats.bi_cases.first_asked_at IS 'firstAskedAt: the first customer message of the case (for inbound calls first_opened_at)';
COMMENT ON COLUMN csstats.bi_cases.first_replied_at IS 'firstRepliedAt: the first reply of the case; NULL for calls';
COMMENT ON COLUMN csstats.bi_cases.waiting_time_seconds IS 'waitingTime in seconds: first_replied_at - min(first_opened_at, first_queued_at, first_asked_at); NULL for calls';
COMMENT ON COLUMN csstats.bi_cases.total_reply_time_seconds IS 'totalReplyTime in seconds: the sum of the case''s reply times';
COMMENT ON COLUMN csstats.bi_cases.reply_count IS 'replyCount: replies in the case';
COMMENT ON COLUMN csstats.bi_cases.avg_reply_time_seconds IS 'avgReplyTime in seconds: total_reply_time_seconds / reply_count';
COMMENT ON COLUMN csstats.bi_cases.resolution_time_seconds IS 'resolutionTime in seconds: closed_at - first_opened_at';
COMMENT ON COLUMN csstats.bi_cases.total_snoozed_time_seconds IS 'totalSnoozedTime in seconds: the snoozed spans inside the case';
COMMENT ON COLUMN csstats.bi_cases.lead_time_seconds IS 'leadTime in seconds: resolution_time_seconds - total_snoozed_time_seconds';
COMMENT ON COLUMN csstats.bi_cases.snoozed_count IS 'snoozedCount: effective snoozes in the case';
COMMENT ON COLUMN csstats.bi_cases.missed_count IS 'missedCount: missed events and missed meets in the case';
COMMENT ON COLUMN csstats.bi_cases.operation_waiting_time_seconds IS 'operationWaitingTime: waiting time in operating-hours seconds';
COMMENT ON COLUMN csstats.bi_cases.operation_reply_count IS 'operationReplyCount: replies sent in operating hours';
COMMENT ON COLUMN csstats.bi_cases.operation_total_reply_time_seconds IS 'operationTotalReplyTime: reply times in operating-hours seconds, of the replies sent in operating hours';
COMMENT ON COLUMN csstats.bi_cases.operation_avg_reply_time_seconds IS 'operationAvgReplyTime: operation_total_reply_time_seconds / operation_reply_count';
COMMENT ON COLUMN csstats.bi_cases.operation_resolution_time_seconds IS 'operationResolutionTime: resolution time in operating-hours seconds';
COMMENT ON COLUMN csstats.bi_cases.operation_lead_time_seconds IS 'operationLeadTime: operation_resolution_time_seconds minus the operating-hours seconds of the snoozed spans';
COMMENT ON COLUMN csstats.bi_cases.profile IS 'the chat profile during the case (replayed), a JSON object';
COMMENT ON COLUMN csstats.bi_cases.metrics_as_of IS 'the instant the metrics describe: now(), or the stamp of a stored row (equal to now() for a completed case)';
COMMENT ON COLUMN csstats.bi_cases.from_store IS 'true when the metrics come from the metric store, false when computed live';

CREATE VIEW csstats.bi_case_tags WITH (security_invoker = true) AS
	SELECT k.channel_id, k.user_chat_id AS chat_id, k.user_chat_case AS case_number,
		k.user_chat_case_id AS case_id, g.tag, pg_catalog.split_part(g.tag, '/', 1) AS top_level_tag
	FROM csstats._bi_case_metrics k
	CROSS JOIN LATERAL unnest(k.tags) AS g(tag);
COMMENT ON VIEW csstats.bi_case_tags IS
	'one row per case and tag it carried (replayed); join to csstats.bi_cases on (channel_id, chat_id, case_number)';
COMMENT ON COLUMN csstats.bi_case_tags.channel_id IS 'the channel (tenant)';
COMMENT ON COLUMN csstats.bi_case_tags.chat_id IS 'the chat the case belongs to';
COMMENT ON COLUMN csstats.bi_case_tags.case_number IS 'the case''s number in its chat, from 1';
COMMENT ON COLUMN csstats.bi_case_tags.case_id IS 'userChatCaseId: <chat_id>-<case_number>';
COMMENT ON COLUMN csstats.bi_case_tags.tag IS 'the tag''s name';
COMMENT ON COLUMN csstats.bi_case_tags.top_level_tag IS 'the tag''s top-level ancestor, the part before the first ''/''';

-------------------------------------------------------------------------------
-- Daily rollup.  Exact percentiles (percentile_cont) of the chats of one
-- channel, local day and assignee; percentiles of other groupings cannot be
-- combined from these rows: compute them over bi_chats.
-------------------------------------------------------------------------------

CREATE VIEW csstats.bi_daily WITH (security_invoker = true) AS
	SELECT c.channel_id, c.channel_name, c.created_local_day AS day, c.assignee_id, c.assignee_name,
		count(*) AS chats,
		count(*) FILTER (WHERE c.state IN ('queued', 'open', 'snoozed')) AS open_chats,
		count(c.closed_at) AS closed_chats,
		count(c.waiting_time_seconds) AS replied_chats,
		coalesce(sum(c.reply_count), 0) AS replies,
		percentile_cont(0.5) WITHIN GROUP (ORDER BY c.waiting_time_seconds) AS waiting_time_p50_seconds,
		percentile_cont(0.9) WITHIN GROUP (ORDER BY c.waiting_time_seconds) AS waiting_time_p90_seconds,
		percentile_cont(0.5) WITHIN GROUP (ORDER BY c.resolution_time_seconds) AS resolution_time_p50_seconds,
		percentile_cont(0.9) WITHIN GROUP (ORDER BY c.resolution_time_seconds) AS resolution_time_p90_seconds,
		percentile_cont(0.5) WITHIN GROUP (ORDER BY c.operation_waiting_time_seconds)
			AS operation_waiting_time_p50_seconds,
		percentile_cont(0.9) WITHIN GROUP (ORDER BY c.operation_waiting_time_seconds)
			AS operation_waiting_time_p90_seconds,
		percentile_cont(0.5) WITHIN GROUP (ORDER BY c.operation_resolution_time_seconds)
			AS operation_resolution_time_p50_seconds,
		percentile_cont(0.9) WITHIN GROUP (ORDER BY c.operation_resolution_time_seconds)
			AS operation_resolution_time_p90_seconds
	FROM csstats.bi_chats c
	GROUP BY c.channel_id, c.channel_name, c.created_local_day, c.assignee_id, c.assignee_name;
COMMENT ON VIEW csstats.bi_daily IS
	'per channel, local day of creation (the channel''s time zone) and current assignee: chat counts and exact p50/p90 of waiting and resolution time, calendar and operating-hours seconds, as of now()';
COMMENT ON COLUMN csstats.bi_daily.channel_id IS 'the channel (tenant)';
COMMENT ON COLUMN csstats.bi_daily.channel_name IS 'the channel''s name';
COMMENT ON COLUMN csstats.bi_daily.day IS 'the local day the chats were created on, in the channel''s time zone (whatever the session''s TimeZone)';
COMMENT ON COLUMN csstats.bi_daily.assignee_id IS 'the chats'' current assignee; NULL: the unassigned chats';
COMMENT ON COLUMN csstats.bi_daily.assignee_name IS 'the assignee''s name';
COMMENT ON COLUMN csstats.bi_daily.chats IS 'chats created that day';
COMMENT ON COLUMN csstats.bi_daily.open_chats IS 'of those, the chats now queued, open or snoozed';
COMMENT ON COLUMN csstats.bi_daily.closed_chats IS 'of those, the chats whose latest open period is closed (closed_at not NULL)';
COMMENT ON COLUMN csstats.bi_daily.replied_chats IS 'of those, the chats with a waiting time (replied in their latest open period): the population of the waiting-time percentiles';
COMMENT ON COLUMN csstats.bi_daily.replies IS 'the replies of those chats'' latest open periods (sum of reply_count)';
COMMENT ON COLUMN csstats.bi_daily.waiting_time_p50_seconds IS 'median waiting time (seconds, percentile_cont) of the chats that have one';
COMMENT ON COLUMN csstats.bi_daily.waiting_time_p90_seconds IS '90th percentile of the waiting time (seconds, percentile_cont)';
COMMENT ON COLUMN csstats.bi_daily.resolution_time_p50_seconds IS 'median resolution time (seconds) of the closed chats';
COMMENT ON COLUMN csstats.bi_daily.resolution_time_p90_seconds IS '90th percentile of the resolution time (seconds) of the closed chats';
COMMENT ON COLUMN csstats.bi_daily.operation_waiting_time_p50_seconds IS 'median waiting time in operating-hours seconds';
COMMENT ON COLUMN csstats.bi_daily.operation_waiting_time_p90_seconds IS '90th percentile of the waiting time in operating-hours seconds';
COMMENT ON COLUMN csstats.bi_daily.operation_resolution_time_p50_seconds IS 'median resolution time in operating-hours seconds';
COMMENT ON COLUMN csstats.bi_daily.operation_resolution_time_p90_seconds IS '90th percentile of the resolution time in operating-hours seconds';
