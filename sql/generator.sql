-- csstats.generate_demo: deterministic (same seed, same rows) and realistic
-- (the mix really contains each situation the metrics must handle).
SET client_min_messages = warning;

CREATE TEMP TABLE gen_counts AS
SELECT * FROM csstats.generate_demo('g1', 400, 7);
SELECT table_name, rows > 0 AS has_rows FROM gen_counts;
SELECT * FROM csstats.generate_demo('g2', 400, 7) EXCEPT SELECT * FROM gen_counts;
SELECT count(*) FROM csstats.generate_demo('g3', 400, 8);

-- same seed, same rows (channel id aside); another seed, other rows
CREATE FUNCTION pg_temp.fingerprint(ch text) RETURNS text LANGUAGE sql AS $$
	SELECT md5(concat_ws('|',
		(SELECT string_agg(concat_ws(',', id, user_id, state, direction, medium_name, assignee_id, team_id,
			manager_ids::text, tags::text, priority, profile::text, created_at, updated_at), ';' ORDER BY id)
		 FROM csstats.user_chats WHERE channel_id = ch),
		(SELECT string_agg(concat_ws(',', id, chat_id, person_type, person_id, created_at, plain_text), ';' ORDER BY id)
		 FROM csstats.messages WHERE channel_id = ch),
		(SELECT string_agg(concat_ws(',', chat_id, at, kind, actor_id, value), ';' ORDER BY chat_id, at, id)
		 FROM csstats.chat_events WHERE channel_id = ch),
		(SELECT string_agg(concat_ws(',', id, user_chat_id, started_at, missed_reason, duration), ';' ORDER BY id)
		 FROM csstats.meets WHERE channel_id = ch),
		(SELECT string_agg(concat_ws(',', chat_id, workflow_id, section_path::text, cause_of_end), ';' ORDER BY chat_id)
		 FROM csstats.workflow_runs WHERE channel_id = ch),
		(SELECT string_agg(concat_ws(',', id, name, profile::text), ';' ORDER BY id)
		 FROM csstats.users WHERE channel_id = ch)))
$$;
SELECT pg_temp.fingerprint('g1') = pg_temp.fingerprint('g2') AS same_seed_same_rows,
	pg_temp.fingerprint('g1') <> pg_temp.fingerprint('g3') AS other_seed_other_rows;

-- sizes are in the range performance.md describes (about 40 messages and 8 events a chat)
SELECT round((SELECT count(*) FROM csstats.messages WHERE channel_id = 'g1') / 400.0) BETWEEN 20 AND 60 AS messages_per_chat_ok,
	round((SELECT count(*) FROM csstats.chat_events WHERE channel_id = 'g1') / 400.0) BETWEEN 5 AND 16 AS events_per_chat_ok;

-- the mix contains every situation
WITH ev AS (
	SELECT chat_id, kind, at, lag(kind) OVER (PARTITION BY chat_id ORDER BY at, id) AS prev_state
	FROM csstats.chat_events
	WHERE channel_id = 'g1' AND kind IN ('queued', 'opened', 'snoozed', 'closed', 'missed')
), local_msgs AS (
	SELECT m.*, m.created_at AT TIME ZONE 'Asia/Seoul' AS lt
	FROM csstats.messages m WHERE channel_id = 'g1'
)
SELECT
	(SELECT count(DISTINCT chat_id) FROM ev WHERE kind = 'opened' AND prev_state = 'closed') > 0 AS reopens_after_close,
	(SELECT count(DISTINCT chat_id) FROM ev WHERE kind = 'opened' AND prev_state = 'snoozed') > 0 AS reopens_after_snooze,
	(SELECT count(*) FROM csstats.user_chats WHERE channel_id = 'g1' AND state = 'snoozed') > 0 AS snoozed_never_reopened,
	(SELECT count(*) FROM csstats.user_chats WHERE channel_id = 'g1' AND state IN ('open', 'queued')) > 0 AS still_open,
	(SELECT count(*) FROM ev WHERE kind = 'closed' AND prev_state = 'closed') > 0 AS closed_twice,
	(SELECT count(*) FROM local_msgs WHERE person_type = 'user'
		AND (extract(isodow FROM lt) > 5 OR lt::time < '09:00' OR lt::time >= '18:00')) > 0 AS customer_messages_outside_hours,
	(SELECT count(*) FROM local_msgs WHERE person_type = 'bot') > 0 AS bot_messages,
	(SELECT count(*) FROM csstats.meets WHERE channel_id = 'g1' AND missed_reason IS NOT NULL) > 0 AS missed_calls,
	(SELECT count(*) FROM csstats.meets WHERE channel_id = 'g1' AND missed_reason IS NULL) > 0 AS answered_calls,
	(SELECT count(*) FROM csstats.user_chats WHERE channel_id = 'g1' AND state = 'missed') > 0 AS missed_chats;

SELECT k.kind, count(e.id) > 0 AS present
FROM (VALUES ('queued'), ('opened'), ('snoozed'), ('closed'), ('missed'), ('assigned'), ('team_assigned'),
	('tag_added'), ('tag_removed'), ('follower_added'), ('priority_changed'), ('profile_changed')) AS k(kind)
LEFT JOIN csstats.chat_events e ON e.kind = k.kind AND e.channel_id = 'g1'
GROUP BY k.kind ORDER BY k.kind;

-- cases: 1-3 per chat (a case starts with the first queued/opened after a close)
WITH s AS (
	SELECT chat_id, kind, lag(kind) OVER (PARTITION BY chat_id ORDER BY at, id) AS prev
	FROM csstats.chat_events WHERE channel_id = 'g1' AND kind IN ('queued', 'opened', 'closed')
), c AS (
	SELECT chat_id, count(*) FILTER (WHERE kind IN ('queued', 'opened') AND (prev IS NULL OR prev = 'closed')) AS cases
	FROM s GROUP BY chat_id
)
SELECT min(cases) >= 1 AS at_least_one, max(cases) <= 3 AS at_most_three,
	count(*) FILTER (WHERE cases > 1) > 0 AS some_multi_case
FROM c;

-- equal timestamps exist (events before messages must decide the order)
SELECT count(*) > 0 AS ties_between_events_and_messages
FROM csstats.chat_events e JOIN csstats.messages m
	ON m.channel_id = e.channel_id AND m.chat_id = e.chat_id AND m.created_at = e.at
WHERE e.channel_id = 'g1';

-- the current row agrees with the replayed history (the tags of the last tag events)
SELECT count(*) AS chats_with_more_than_8_tags FROM csstats.user_chats WHERE cardinality(tags) > 8;
SELECT count(*) = 0 AS followers_are_managers
FROM csstats.user_chats c, unnest(c.manager_ids) f
WHERE c.channel_id = 'g1' AND NOT EXISTS (SELECT 1 FROM csstats.managers m WHERE m.channel_id = 'g1' AND m.id = f);

-- bad arguments
SELECT * FROM csstats.generate_demo('g1', 10);
SELECT * FROM csstats.generate_demo('', 10);
SELECT * FROM csstats.generate_demo('g4', -1);

DELETE FROM csstats.channels WHERE id IN ('g2', 'g3');
