-- Demo: a metrics summary of the 'demo' channel, per assignee (the assignee
-- replayed at each case's end), from the metric store: the channel is opted
-- in and refreshed, and csstats.case_metrics_current answers (stored rows for
-- completed cases, the live aggregate for the rest; equal to computing every
-- case live at now()).  Times are minutes; "op" columns count operating hours
-- only.  p50/p90 come from the DDSketch percentile aggregate (within 1% of
-- percentile_cont).
\echo
\echo 'The metric store: opt the demo channel in and refresh it (pg_cron would do this every minute)'
SELECT csstats.enable_metrics_store('demo') AS enabled;
SELECT channel, status, recomputed_chats, settled_chats, stored_cases FROM csstats.refresh_metrics('demo');
\echo 'Metrics of the demo channel per assignee (minutes; op = operating hours only), from the store'
SELECT CASE WHEN grouping(coalesce(cases.assignee_name, cases.assignee_id, '(unassigned)')) = 1 THEN '(all)'
		ELSE coalesce(cases.assignee_name, cases.assignee_id, '(unassigned)') END AS assignee,
	count(DISTINCT cases.user_chat_id) AS chats,
	count(*) AS cases,
	round((csstats.approx_percentiles(cases.waiting_time, '{0.5,0.9}'))[1]::numeric / 60, 1) AS wait_p50,
	round((csstats.approx_percentiles(cases.waiting_time, '{0.5,0.9}'))[2]::numeric / 60, 1) AS wait_p90,
	round((sum(cases.total_reply_time) / nullif(sum(cases.reply_count), 0))::numeric / 60, 1) AS avg_reply,
	round(avg(cases.resolution_time)::numeric / 60, 1) AS avg_resolution,
	round((csstats.approx_percentiles(cases.operation_waiting_time, '{0.5,0.9}'))[1]::numeric / 60, 1) AS op_wait_p50,
	round((csstats.approx_percentiles(cases.operation_waiting_time, '{0.5,0.9}'))[2]::numeric / 60, 1) AS op_wait_p90,
	round((sum(cases.operation_total_reply_time)
		   / nullif(sum(cases.operation_reply_count), 0))::numeric / 60, 1) AS op_avg_reply,
	round(avg(cases.operation_resolution_time)::numeric / 60, 1) AS op_avg_resolution,
	sum(cases.missed_count) AS missed,
	count(*) FILTER (WHERE cases.user_chat_case_state = 'inProgress') AS in_progress
FROM csstats.case_metrics_current cases
WHERE cases.channel_id = 'demo'
GROUP BY ROLLUP (coalesce(cases.assignee_name, cases.assignee_id, '(unassigned)'))
ORDER BY grouping(coalesce(cases.assignee_name, cases.assignee_id, '(unassigned)')), cases DESC;
SELECT stored_chats, stored_cases, backlog_changes, last_refresh_duration
FROM csstats.metrics_store_freshness WHERE channel_id = 'demo';

\echo 'Chat level (latest open period of each chat), whole channel'
SELECT count(*) AS chats,
	count(*) FILTER (WHERE m.closed_at IS NOT NULL) AS closed,
	round((percentile_cont(0.5) WITHIN GROUP (ORDER BY m.waiting_time))::numeric / 60, 1) AS wait_p50,
	round((percentile_cont(0.9) WITHIN GROUP (ORDER BY m.waiting_time))::numeric / 60, 1) AS wait_p90,
	round(avg(m.avg_reply_time)::numeric / 60, 1) AS avg_reply,
	round(avg(m.resolution_time)::numeric / 60, 1) AS avg_resolution,
	round(avg(m.operation_resolution_time)::numeric / 60, 1) AS op_avg_resolution
FROM (SELECT (csstats.chat_metrics(t)).*
	  FROM csstats.timeline t WHERE t.channel_id = 'demo' GROUP BY t.channel_id, t.chat_id) m;
