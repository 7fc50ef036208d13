-- The demo channel's inbox right now (csstats.inbox_counts): open and snoozed
-- chats, and those closed in the last 30 local days (none: the demo data is of
-- 2025), per scope; tags list the top-level tags, which include their children.
\echo
\echo 'Inbox of the demo channel (csstats.inbox_counts):'
SELECT scope, coalesce(key, '') AS key, name,
       sum(chats) FILTER (WHERE state = 'open') AS open,
       sum(chats) FILTER (WHERE state = 'snoozed') AS snoozed,
       sum(chats) FILTER (WHERE state = 'closed') AS closed
FROM csstats.inbox_counts('demo')
WHERE scope <> 'tag' OR key NOT LIKE '%/%'
GROUP BY scope, key, name
ORDER BY min(CASE scope WHEN 'all' THEN 1 WHEN 'unassigned' THEN 2 WHEN 'assignee' THEN 3
                        WHEN 'operator' THEN 4 WHEN 'non_operator' THEN 5 WHEN 'team' THEN 6 ELSE 7 END),
         key COLLATE "C";
