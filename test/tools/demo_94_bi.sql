-- Demo: one BI query over the flat views (docs/bi.md "Flat views"), as a
-- dashboard tool sends it: plain columns, no composite types or arrays.  The
-- last three local days of the demo channel (days in the channel's time zone,
-- whatever the session's) per assignee from csstats.bi_daily; times in
-- minutes, p50/p90 exact (percentile_cont).
\echo
\echo 'A BI query over csstats.bi_daily: the last 3 local days of the demo channel, per assignee'
SELECT day, coalesce(assignee_name, '(unassigned)') AS assignee, chats, closed_chats AS closed,
       round((waiting_time_p50_seconds / 60)::numeric, 1) AS wait_p50_min,
       round((waiting_time_p90_seconds / 60)::numeric, 1) AS wait_p90_min,
       round((operation_waiting_time_p50_seconds / 60)::numeric, 1) AS op_wait_p50_min,
       round((resolution_time_p50_seconds / 60)::numeric, 1) AS resolution_p50_min
FROM csstats.bi_daily
WHERE channel_id = 'demo'
  AND day > (SELECT max(day) FROM csstats.bi_daily WHERE channel_id = 'demo') - 3
ORDER BY day, assignee;
