-- The metric aggregates in parallel plans: with parallelism forced, the
-- planner splits the timeline scan over workers (Partial Aggregate under a
-- Gather, partial states serialized, combined in the leader) and every form
-- (whole row and columns, with and without as_of) gives exactly the serial
-- results.  Also: the column forms equal the whole-row forms, errors raised
-- in workers reach the client, and a chat split over processes is still
-- one chat.
SET timezone = 'UTC';
SET extra_float_digits = 0;
SET client_min_messages = warning;
SELECT count(*) > 0 AS generated FROM csstats.generate_demo('mpar', 600, 5);
RESET client_min_messages;
ANALYZE csstats.user_chats, csstats.chat_events, csstats.messages, csstats.meets;

-- EXPLAIN text of a query, for the plan checks
CREATE FUNCTION pg_temp.plan_of(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	line text;
	plan text := '';
BEGIN
	FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
		plan := plan || line || E'\n';
	END LOOP;
	RETURN plan;
END
$$;

CREATE TEMP TABLE q (name text PRIMARY KEY, sql text);
INSERT INTO q VALUES
	('chat row', $q$SELECT chat_id, csstats.chat_metrics(t, '2025-02-20 12:00+00') AS r
		FROM csstats.timeline t WHERE channel_id = 'mpar' GROUP BY chat_id$q$),
	('chat columns', $q$SELECT chat_id, csstats.chat_metrics(channel_id, chat_id, at, seq, kind,
		event_id, item_id, '2025-02-20 12:00+00') AS r
		FROM csstats.timeline WHERE channel_id = 'mpar' GROUP BY chat_id$q$),
	('chat row now', $q$SELECT chat_id, csstats.chat_metrics(t) AS r
		FROM csstats.timeline t WHERE channel_id = 'mpar' GROUP BY chat_id$q$),
	('chat columns now', $q$SELECT chat_id, csstats.chat_metrics(channel_id, chat_id, at, seq,
		kind, event_id, item_id) AS r
		FROM csstats.timeline WHERE channel_id = 'mpar' GROUP BY chat_id$q$),
	('case row', $q$SELECT chat_id, csstats.case_metrics(t, '2025-02-20 12:00+00') AS r
		FROM csstats.timeline t WHERE channel_id = 'mpar' GROUP BY chat_id$q$),
	('case columns', $q$SELECT chat_id, csstats.case_metrics(channel_id, chat_id, at, seq, kind,
		event_id, item_id, value, medium_name, direction, state, assignee_id, team_id,
		manager_ids, tags, priority, profile, '2025-02-20 12:00+00') AS r
		FROM csstats.timeline WHERE channel_id = 'mpar' GROUP BY chat_id$q$),
	('case row now', $q$SELECT chat_id, csstats.case_metrics(t) AS r
		FROM csstats.timeline t WHERE channel_id = 'mpar' GROUP BY chat_id$q$),
	('case columns now', $q$SELECT chat_id, csstats.case_metrics(channel_id, chat_id, at, seq,
		kind, event_id, item_id, value, medium_name, direction, state, assignee_id, team_id,
		manager_ids, tags, priority, profile) AS r
		FROM csstats.timeline WHERE channel_id = 'mpar' GROUP BY chat_id$q$);

-- "now" must be one instant for the serial and the parallel runs
BEGIN;
-- serial results (as text: comparable whatever the result type)
SET LOCAL max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial (name text, chat_id text, r text);
DO $$
DECLARE
	x record;
BEGIN
	FOR x IN SELECT * FROM q LOOP
		EXECUTE format('INSERT INTO serial SELECT %L, chat_id, r::text FROM (%s) s', x.name, x.sql);
	END LOOP;
END
$$;
SELECT name, count(*) AS chats, count(r) AS results FROM serial GROUP BY name ORDER BY name;
SELECT name, strpos(pg_temp.plan_of(sql), 'Gather') > 0 AS gather FROM q ORDER BY name;

-- parallel: every participant reads a share of the tables, so a chat's rows
-- are spread over processes and its partial states combined
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL min_parallel_index_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
-- each query against its serial rows, in one read-only statement that can
-- run in parallel (what EXPLAIN shows for it is checked below)
CREATE TEMP TABLE cmp AS
SELECT name, format($c$SELECT %1$L AS name,
	(SELECT count(*) FROM (%2$s) s) AS chats,
	(SELECT count(*) FROM (SELECT chat_id, r::text FROM (%2$s) s
		EXCEPT ALL SELECT chat_id, r FROM serial WHERE name = %1$L) d) AS differing$c$,
	name, sql) AS sql
FROM q;
SELECT name, strpos(p, 'Gather') > 0 AS gather, strpos(p, 'Partial') > 0 AS partial_agg,
	strpos(p, 'Finalize') > 0 AS finalize
FROM (SELECT name, pg_temp.plan_of(sql) AS p FROM cmp) s ORDER BY name;
\set ECHO none
SELECT sql FROM cmp ORDER BY name \gexec
\set ECHO all
-- workers really ran (the plan is not only planned)
CREATE FUNCTION pg_temp.workers_launched(q text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
	line text;
BEGIN
	FOR line IN EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || q LOOP
		IF line ~ 'Workers Launched: [1-9]' THEN
			RETURN true;
		END IF;
	END LOOP;
	RETURN false;
END
$$;
SELECT name, pg_temp.workers_launched(sql) AS workers_launched FROM q
WHERE name IN ('chat columns', 'case row') ORDER BY name;
-- the column forms equal the whole-row forms; "now" is the same instant in workers
SELECT a.name, b.name AS same_as, count(*) AS chats,
	count(*) FILTER (WHERE a.r IS DISTINCT FROM b.r) AS differing
FROM serial a JOIN serial b ON a.chat_id = b.chat_id
	AND (a.name, b.name) IN (('chat columns', 'chat row'), ('case columns', 'case row'),
		('chat columns now', 'chat row now'), ('case columns now', 'case row now'))
GROUP BY a.name, b.name ORDER BY a.name;
SELECT count(*) AS chats, count(*) FILTER (WHERE s.r IS DISTINCT FROM x.r::text) AS differing
FROM serial s JOIN (SELECT chat_id, csstats.chat_metrics(t, now()) AS r
		FROM csstats.timeline t WHERE channel_id = 'mpar' GROUP BY chat_id) x USING (chat_id)
WHERE s.name = 'chat row now';
-- the results are real: cases, replies and closes were computed
SELECT count(*) FILTER (WHERE (r::csstats.chat_metrics_result).reply_count > 0) > 100 AS replies,
	count(*) FILTER (WHERE (r::csstats.chat_metrics_result).closed_at IS NOT NULL) > 100 AS closes
FROM serial WHERE name = 'chat columns';
SELECT sum(cardinality(r::csstats.case_metrics_result[])) > 100 AS cases
FROM serial WHERE name = 'case columns';
COMMIT;

SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
-- errors raised in a parallel plan reach the client
\set VERBOSITY terse
-- rows of several chats in one group (here: no GROUP BY at all)
SELECT csstats.chat_metrics(channel_id, chat_id, at, seq, kind, event_id, item_id,
	'2025-02-20 12:00+00') IS NULL FROM csstats.timeline WHERE channel_id = 'mpar';
SELECT csstats.case_metrics(t, '2025-02-20 12:00+00') IS NULL
FROM csstats.timeline t WHERE channel_id = 'mpar';
-- as_of must be given, finite and the same for every row of a chat
SELECT count(m) FROM (SELECT csstats.chat_metrics(channel_id, chat_id, at, seq, kind, event_id,
		item_id, NULL) AS m FROM csstats.timeline WHERE channel_id = 'mpar' GROUP BY chat_id) s;
SELECT count(m) FROM (SELECT csstats.case_metrics(t, CASE WHEN seq = 3
		THEN '2025-02-01'::timestamptz ELSE '2025-02-02' END) AS m
	FROM csstats.timeline t WHERE channel_id = 'mpar' GROUP BY chat_id) s;
\set VERBOSITY default

RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;

-- the final functions leave the state alone (FINALFUNC_MODIFY = READ_ONLY), so
-- both aggregates also run as window functions: running metrics along each
-- chat's timeline, whose value at the chat's last row is the grouped one
WITH w AS (
	SELECT chat_id,
		csstats.chat_metrics(channel_id, chat_id, at, seq, kind, event_id, item_id,
			'2025-02-20 12:00+00') OVER running AS chat_m,
		csstats.case_metrics(t, '2025-02-20 12:00+00') OVER running AS case_m,
		row_number() OVER running AS n,
		count(*) OVER (PARTITION BY chat_id) AS rows
	FROM csstats.timeline t WHERE channel_id = 'mpar'
	WINDOW running AS (PARTITION BY chat_id ORDER BY at, seq, event_id, item_id
		ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW))
SELECT count(*) AS chats,
	count(*) FILTER (WHERE w.chat_m::text IS DISTINCT FROM c.r) AS chat_differing,
	count(*) FILTER (WHERE w.case_m::text IS DISTINCT FROM k.r) AS case_differing
FROM w
JOIN serial c ON c.name = 'chat columns' AND c.chat_id = w.chat_id
JOIN serial k ON k.name = 'case row' AND k.chat_id = w.chat_id
WHERE w.n = w.rows;

DELETE FROM csstats.channels WHERE id = 'mpar';
