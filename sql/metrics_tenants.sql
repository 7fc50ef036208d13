-- Chat ids are unique per channel only: a chat is (channel_id, chat_id).  Two
-- channels (two customers) that share every chat id: grouped or partitioned
-- by (channel_id, chat_id) the metric aggregates give each channel's own
-- results; a group or window partition keyed by chat_id alone is an error
-- naming both channels, never two conversations computed as one under one
-- channel's operating hours.  Serial, parallel (Partial / Finalize Aggregate
-- through the serial, deserial and combine functions), partitionwise (a
-- deterministic combine of two channels' states) and window plans.  Last,
-- forged serialized states reach the deserial function and are rejected
-- before anything their lengths claim is allocated.
SET timezone = 'UTC';
SET extra_float_digits = 0;
SET client_min_messages = warning;
SELECT count(*) > 0 AS generated FROM csstats.generate_demo('mten_a', 200, 1);
SELECT count(*) > 0 AS generated FROM csstats.generate_demo('mten_b', 200, 2);
RESET client_min_messages;
-- other operating hours for the second customer
UPDATE csstats.channels SET timezone = 'America/New_York' WHERE id = 'mten_b';
ANALYZE csstats.user_chats, csstats.chat_events, csstats.messages, csstats.meets;

-- the two channels share every chat id
SELECT count(*) AS shared_chat_ids
FROM csstats.user_chats a JOIN csstats.user_chats b ON b.id = a.id
WHERE a.channel_id = 'mten_a' AND b.channel_id = 'mten_b';

-- the aggregate calls under test, whole row and columns, chat and case
CREATE TEMP TABLE form (name text PRIMARY KEY, call text);
INSERT INTO form VALUES
	('chat row', $f$csstats.chat_metrics(t, '2025-06-30 00:00+00')$f$),
	('chat columns', $f$csstats.chat_metrics(channel_id, chat_id, at, seq, kind, event_id,
		item_id, '2025-06-30 00:00+00')$f$),
	('case row', $f$csstats.case_metrics(t, '2025-06-30 00:00+00')$f$),
	('case columns', $f$csstats.case_metrics(channel_id, chat_id, at, seq, kind, event_id,
		item_id, value, medium_name, direction, state, assignee_id, team_id, manager_ids, tags,
		priority, profile, '2025-06-30 00:00+00')$f$);

-- the reference: each channel on its own
CREATE TEMP TABLE per_channel (name text, channel_id text, chat_id text, r text);
DO $$
DECLARE
	f record;
	ch text;
BEGIN
	FOR f IN SELECT * FROM form LOOP
		FOREACH ch IN ARRAY ARRAY['mten_a', 'mten_b'] LOOP
			EXECUTE format('INSERT INTO per_channel SELECT %L, %L, chat_id, (%s)::text
				FROM csstats.timeline t WHERE channel_id = %L GROUP BY chat_id',
				f.name, ch, f.call, ch);
		END LOOP;
	END LOOP;
END
$$;
SELECT name, count(*) AS chats, count(r) AS results FROM per_channel GROUP BY name ORDER BY name;
-- the channels' results differ: one channel's metrics are not the other's
SELECT a.name, count(*) FILTER (WHERE a.r IS DISTINCT FROM b.r) > 150 AS mostly_different
FROM per_channel a JOIN per_channel b ON b.name = a.name AND b.chat_id = a.chat_id
	AND a.channel_id = 'mten_a' AND b.channel_id = 'mten_b'
GROUP BY a.name ORDER BY a.name;

-- both channels in one query, grouped by (channel_id, chat_id)
CREATE TEMP TABLE q AS
SELECT name, format($q$SELECT channel_id, chat_id, (%s)::text AS r FROM csstats.timeline t
	WHERE channel_id IN ('mten_a', 'mten_b') GROUP BY channel_id, chat_id$q$, call) AS grouped,
	format($q$SELECT count(m) FROM (SELECT %s AS m FROM csstats.timeline t
	WHERE channel_id IN ('mten_a', 'mten_b') GROUP BY chat_id) s$q$, call) AS by_chat_id
FROM form;
-- each query against the per-channel rows: 400 chats, none differing
CREATE FUNCTION pg_temp.compare(sql text, ref text) RETURNS TABLE (chats bigint, differing bigint)
LANGUAGE plpgsql AS $$
BEGIN
	RETURN QUERY EXECUTE format($c$
		SELECT count(*),
			count(*) FILTER (WHERE g.r IS DISTINCT FROM p.r OR g.chat_id IS NULL OR p.chat_id IS NULL)
		FROM (%s) g
		FULL JOIN (SELECT * FROM per_channel WHERE name = %L) p USING (channel_id, chat_id)$c$,
		sql, ref);
END
$$;
SELECT name, c.* FROM q, pg_temp.compare(grouped, name) c ORDER BY name;

-- grouped by chat_id alone: an error naming both channels, whatever the form
\set VERBOSITY terse
SELECT by_chat_id FROM q ORDER BY name \gexec
\set VERBOSITY default
SELECT count(m) FROM (SELECT csstats.chat_metrics(t, '2025-06-30 00:00+00') AS m
	FROM csstats.timeline t
	WHERE channel_id IN ('mten_a', 'mten_b') AND chat_id = 'c0000007' GROUP BY chat_id) s;
-- rows of different chat ids in different channels, in one group
SELECT csstats.case_metrics(channel_id, chat_id, at, seq, kind, event_id, item_id, value,
	medium_name, direction, state, assignee_id, team_id, manager_ids, tags, priority, profile,
	'2025-06-30 00:00+00') IS NULL
FROM csstats.timeline t
WHERE (channel_id, chat_id) IN (('mten_b', 'c0000002'), ('mten_a', 'c0000003'));
-- two chats of one channel: the older error, with the new hint
SELECT csstats.chat_metrics(t, '2025-06-30 00:00+00') IS NULL
FROM (SELECT * FROM csstats.timeline
	WHERE channel_id = 'mten_a' AND chat_id IN ('c0000002', 'c0000003')
	ORDER BY chat_id, at, seq, event_id, item_id) t;
-- a row of no channel
SELECT csstats.chat_metrics(NULL, 'c0000002', '2025-03-03 09:00+00', 1::smallint, 'opened',
	1::bigint, NULL, '2025-06-30 00:00+00');

-- window use: partitions by chat_id alone are refused, (channel_id, chat_id)
-- partitions end with the grouped results
SELECT count(m) FROM (SELECT csstats.chat_metrics(channel_id, chat_id, at, seq, kind, event_id,
		item_id, '2025-06-30 00:00+00')
		OVER (PARTITION BY chat_id ORDER BY at, seq, event_id, item_id) AS m
	FROM csstats.timeline WHERE channel_id IN ('mten_a', 'mten_b')) s;
SELECT count(m) FROM (SELECT csstats.case_metrics(t, '2025-06-30 00:00+00')
		OVER (PARTITION BY chat_id ORDER BY at, seq, event_id, item_id) AS m
	FROM csstats.timeline t WHERE channel_id IN ('mten_a', 'mten_b')) s;
-- (a partition of one channel's chats: the older error, hinting at PARTITION BY)
SELECT count(m) FROM (SELECT csstats.chat_metrics(t, '2025-06-30 00:00+00')
		OVER (PARTITION BY channel_id ORDER BY chat_id, at, seq, event_id, item_id) AS m
	FROM csstats.timeline t WHERE channel_id = 'mten_a') s;
WITH w AS (
	SELECT channel_id, chat_id,
		csstats.chat_metrics(channel_id, chat_id, at, seq, kind, event_id, item_id,
			'2025-06-30 00:00+00') OVER running AS chat_m,
		csstats.case_metrics(t, '2025-06-30 00:00+00') OVER running AS case_m,
		row_number() OVER running AS n,
		count(*) OVER (PARTITION BY channel_id, chat_id) AS rows
	FROM csstats.timeline t WHERE channel_id IN ('mten_a', 'mten_b')
	WINDOW running AS (PARTITION BY channel_id, chat_id ORDER BY at, seq, event_id, item_id
		ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW))
SELECT count(*) AS chats,
	count(*) FILTER (WHERE w.chat_m::text IS DISTINCT FROM c.r) AS chat_differing,
	count(*) FILTER (WHERE w.case_m::text IS DISTINCT FROM k.r) AS case_differing
FROM w
JOIN per_channel c ON c.name = 'chat columns' AND (c.channel_id, c.chat_id) = (w.channel_id, w.chat_id)
JOIN per_channel k ON k.name = 'case row' AND (k.channel_id, k.chat_id) = (w.channel_id, w.chat_id)
WHERE w.n = w.rows;

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

-- parallel plans: the timeline scan split over workers, partial states
-- serialized, deserialized and combined in the leader
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET min_parallel_index_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SELECT name, strpos(p, 'Gather') > 0 AS gather, strpos(p, 'Partial') > 0 AS partial_agg,
	strpos(p, 'Finalize') > 0 AS finalize
FROM (SELECT name, pg_temp.plan_of(grouped) AS p FROM q) s ORDER BY name;
SELECT name, strpos(p, 'Gather') > 0 AS gather, strpos(p, 'Partial') > 0 AS partial_agg,
	strpos(p, 'Finalize') > 0 AS finalize
FROM (SELECT name, pg_temp.plan_of(by_chat_id) AS p FROM q) s ORDER BY name;
SELECT name, c.* FROM q, pg_temp.compare(grouped, name) c ORDER BY name;
SELECT name, pg_temp.workers_launched(grouped) AS workers_launched FROM q
WHERE name IN ('chat columns', 'case row') ORDER BY name;
\set VERBOSITY terse
SELECT by_chat_id FROM q ORDER BY name \gexec
\set VERBOSITY default
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET min_parallel_index_scan_size;
RESET max_parallel_workers_per_gather;

-- partitionwise partial aggregation: one partial state per partition, each
-- serialized and deserialized, then combined.  Partitioned by channel and
-- grouped by chat_id, the combine function meets the same chat id of two
-- channels (deterministically, in one process); partitioned by seq and
-- grouped by (channel_id, chat_id), every chat's states combine to the
-- per-channel results.
CREATE TEMP TABLE tl_by_channel (channel_id text, chat_id text, at timestamptz, seq smallint,
	kind text, event_id bigint, item_id text COLLATE "C", value text, medium_name text,
	direction text, state text, assignee_id text, team_id text, manager_ids text[],
	tags text[], priority text, profile jsonb) PARTITION BY LIST (channel_id);
CREATE TEMP TABLE tl_a PARTITION OF tl_by_channel FOR VALUES IN ('mten_a');
CREATE TEMP TABLE tl_b PARTITION OF tl_by_channel FOR VALUES IN ('mten_b');
INSERT INTO tl_by_channel SELECT * FROM csstats.timeline WHERE channel_id IN ('mten_a', 'mten_b');
CREATE TEMP TABLE tl_by_seq (LIKE tl_by_channel) PARTITION BY LIST (seq);
CREATE TEMP TABLE tl_s0 PARTITION OF tl_by_seq FOR VALUES IN (0, 1);
CREATE TEMP TABLE tl_s2 PARTITION OF tl_by_seq FOR VALUES IN (2, 3);
INSERT INTO tl_by_seq SELECT * FROM tl_by_channel;
ANALYZE tl_by_channel, tl_a, tl_b, tl_by_seq, tl_s0, tl_s2;
SET enable_partitionwise_aggregate = on;
SET enable_hashagg = off;
CREATE TEMP TABLE pq (name text, sql text);
INSERT INTO pq VALUES
	('chat, by chat_id', $q$SELECT count(m) FROM (SELECT csstats.chat_metrics(channel_id,
		chat_id, at, seq, kind, event_id, item_id, '2025-06-30 00:00+00') AS m
		FROM tl_by_channel GROUP BY chat_id) s$q$),
	('case, by chat_id', $q$SELECT count(m) FROM (SELECT csstats.case_metrics(channel_id,
		chat_id, at, seq, kind, event_id, item_id, value, medium_name, direction, state,
		assignee_id, team_id, manager_ids, tags, priority, profile, '2025-06-30 00:00+00') AS m
		FROM tl_by_channel GROUP BY chat_id) s$q$),
	('chat, by channel and chat', $q$SELECT channel_id, chat_id,
		csstats.chat_metrics(channel_id, chat_id, at, seq, kind, event_id, item_id,
			'2025-06-30 00:00+00')::text AS r
		FROM tl_by_seq GROUP BY channel_id, chat_id$q$),
	('case, by channel and chat', $q$SELECT channel_id, chat_id,
		csstats.case_metrics(channel_id, chat_id, at, seq, kind, event_id, item_id, value,
			medium_name, direction, state, assignee_id, team_id, manager_ids, tags, priority,
			profile, '2025-06-30 00:00+00')::text AS r
		FROM tl_by_seq GROUP BY channel_id, chat_id$q$);
SELECT name, strpos(p, 'Partial') > 0 AS partial_agg, strpos(p, 'Finalize') > 0 AS finalize,
	strpos(p, 'Gather') > 0 AS gather
FROM (SELECT name, pg_temp.plan_of(sql) AS p FROM pq) s ORDER BY name;
-- the combine function meets chat c0000001 of both channels
SELECT sql FROM pq WHERE name LIKE '%by chat_id' ORDER BY name \gexec
SELECT name, c.* FROM pq,
	pg_temp.compare(sql, CASE WHEN name LIKE 'chat%' THEN 'chat columns' ELSE 'case columns' END) c
WHERE name LIKE '%by channel and chat' ORDER BY name;
RESET enable_partitionwise_aggregate;
RESET enable_hashagg;

-- Serialized states, made from SQL by an aggregate whose final function is
-- the serial function: a state carries its chat's channel id, right after
-- the chat id.
CREATE AGGREGATE pg_temp.chat_state(text, text, timestamptz, smallint, text, bigint, text,
		timestamptz) (
	SFUNC = csstats._chat_metrics_trans,
	STYPE = internal,
	FINALFUNC = csstats._metrics_serial);
CREATE TEMP TABLE st AS
SELECT pg_temp.chat_state(channel_id, chat_id, at, seq, kind, event_id, item_id,
	'2025-06-30 00:00+00') AS s
FROM csstats.timeline WHERE channel_id = 'mten_b' AND chat_id = 'c0000001';
-- forged states are written here field by field, little-endian (the byte
-- order of the platforms the tests run on): magic, version 2, flags (1:
-- case metrics, 2: chat row), as_of, created_at, kinds seen, chat id,
-- channel id, [case metrics: 4 strings, 3 values], item count, text bytes,
-- then (length, packed items) streams; a string or value is an int32 length
-- (-1: NULL) and its bytes
CREATE FUNCTION pg_temp.le(n numeric, width int) RETURNS bytea LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
	b bytea := '';
	v numeric := CASE WHEN n < 0 THEN n + 2::numeric ^ (8 * width) ELSE n END;
BEGIN
	FOR i IN 1..width LOOP
		b := b || set_byte('\x00'::bytea, 0, (v % 256)::int);
		v := div(v, 256);
	END LOOP;
	RETURN b;
END
$$;
CREATE FUNCTION pg_temp.str(s text) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN s IS NULL THEN pg_temp.le(-1, 4)
		ELSE pg_temp.le(octet_length(s), 4) || convert_to(s, 'UTF8') END
$$;
CREATE FUNCTION pg_temp.head(flags int) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
	SELECT pg_temp.le(1280590659, 4) || pg_temp.le(2, 2) || pg_temp.le(flags, 2) ||
		pg_temp.le(0, 8) || pg_temp.le(0, 8) || pg_temp.le(0, 4)
$$;
-- the forgeries follow the real layout
SELECT substring(s from 1 for 8) = substring(pg_temp.head(2) from 1 for 8) AS same_header,
	substring(s from 29 for 22) = pg_temp.str('c0000001') || pg_temp.str('mten_b') AS carries_channel
FROM st;

-- The deserial function reached from SQL, for this test only: the catalog's
-- csstats._metrics_deserial(bytea, internal) cannot be called from SQL, so
-- the same C function is bound under a bytea signature as the final
-- function of an aggregate (an aggregate context, as in a parallel plan).
-- It returns void: the state of an accepted input is a pointer nobody reads.
-- (The library is the one the extension's deserial function uses.)
DO $$
BEGIN
	EXECUTE format('CREATE FUNCTION pg_temp.deserial_void(bytea) RETURNS void AS %L, %L LANGUAGE C STRICT',
		(SELECT probin FROM pg_proc WHERE oid = 'csstats._metrics_deserial'::regproc),
		(SELECT prosrc FROM pg_proc WHERE oid = 'csstats._metrics_deserial'::regproc));
END
$$;
CREATE FUNCTION pg_temp.last(bytea, bytea) RETURNS bytea LANGUAGE sql IMMUTABLE AS 'SELECT $2';
CREATE AGGREGATE pg_temp.deserial(bytea) (
	SFUNC = pg_temp.last,
	STYPE = bytea,
	FINALFUNC = pg_temp.deserial_void);
CREATE FUNCTION pg_temp.try_deserial(b bytea) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_temp.deserial(b);
	RETURN 'accepted';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;
-- the real state is accepted; every truncation of it is rejected
SELECT pg_temp.try_deserial(s) AS outcome FROM st;
SELECT pg_temp.try_deserial(substring(s from 1 for n)) AS outcome,
	count(*) = max(length(s)) AS every_truncation
FROM st, generate_series(0, length(s) - 1) n GROUP BY 1;
-- lengths claiming more than the data holds are rejected before anything of
-- that size is allocated: a value of 2^31 - 1 bytes (beyond what palloc
-- accepts: a check after the allocation would fail there instead), one of
-- MaxAllocSize bytes, a chat id, a stream
SELECT pg_temp.deserial(pg_temp.head(1) || pg_temp.str('c0000001') || pg_temp.str('mten_a') ||
	pg_temp.str(NULL) || pg_temp.str(NULL) || pg_temp.str(NULL) || pg_temp.str(NULL) ||
	pg_temp.le(2147483647, 4) || '\x0102030405060708'::bytea);
SELECT pg_temp.deserial(pg_temp.head(1) || pg_temp.str('c0000001') || pg_temp.str('mten_a') ||
	pg_temp.str(NULL) || pg_temp.str(NULL) || pg_temp.str(NULL) || pg_temp.str(NULL) ||
	pg_temp.le(1073741823, 4) || '\x0102030405060708'::bytea);
SELECT pg_temp.deserial(pg_temp.head(2) || pg_temp.le(2147483647, 4) || '\x63303030'::bytea);
SELECT pg_temp.deserial(pg_temp.head(2) || pg_temp.str('c0000001') || pg_temp.str('mten_a') ||
	pg_temp.le(1, 8) || pg_temp.le(0, 8) || pg_temp.le(-1, 8) || '\x0300'::bytea);
-- item counts no data can hold
SELECT pg_temp.deserial(pg_temp.head(2) || pg_temp.str('c0000001') || pg_temp.str('mten_a') ||
	pg_temp.le(1000000000, 8) || pg_temp.le(0, 8));
SELECT pg_temp.deserial(pg_temp.head(2) || pg_temp.str('c0000001') || pg_temp.str('mten_a') ||
	pg_temp.le(1000, 8) || pg_temp.le(0, 8) || pg_temp.le(2, 8) || '\x0300'::bytea);
-- a chat is (channel_id, chat_id): one without the other is rejected
SELECT pg_temp.deserial(pg_temp.head(2) || pg_temp.str('c0000001') || pg_temp.str(NULL) ||
	pg_temp.le(0, 8) || pg_temp.le(0, 8));
SELECT pg_temp.deserial(pg_temp.head(2) || pg_temp.str(NULL) || pg_temp.str('mten_a') ||
	pg_temp.le(0, 8) || pg_temp.le(0, 8));
-- and a state with both and no items is accepted
SELECT pg_temp.try_deserial(pg_temp.head(2) || pg_temp.str('c0000001') || pg_temp.str('mten_a') ||
	pg_temp.le(0, 8) || pg_temp.le(0, 8)) AS outcome;

-- The percentile sketch's deserial function, reached the same way: its
-- lengths (the percentile list, each store's bucket count) are checked
-- against the data before they size an allocation too.
DO $$
BEGIN
	EXECUTE format('CREATE FUNCTION pg_temp.sketch_deserial_void(bytea) RETURNS void AS %L, %L LANGUAGE C STRICT',
		(SELECT probin FROM pg_proc WHERE oid = 'csstats.approx_percentile_deserial'::regproc),
		(SELECT prosrc FROM pg_proc WHERE oid = 'csstats.approx_percentile_deserial'::regproc));
END
$$;
CREATE AGGREGATE pg_temp.sketch_deserial(bytea) (
	SFUNC = pg_temp.last,
	STYPE = bytea,
	FINALFUNC = pg_temp.sketch_deserial_void);
CREATE AGGREGATE pg_temp.sketch_state(double precision, double precision) (
	SFUNC = csstats.approx_percentile_trans,
	STYPE = internal,
	FINALFUNC = csstats.approx_percentile_serial);
-- header (magic, version, multi, 1 percentile), the percentile 0.5, the
-- sketch (magic, version, alpha, max_bins, count, zeros, min, max), its
-- positive store (lowest index, 1 bucket, count 1) and empty negative store
CREATE TEMP TABLE sk AS SELECT pg_temp.sketch_state(1.0, 0.5) AS s;
SELECT encode(s, 'hex') AS sketch_state FROM sk;
SELECT pg_temp.sketch_deserial(s) IS NOT NULL AS accepted FROM sk;
-- 1000 percentiles claimed, none there
SELECT pg_temp.sketch_deserial('\xc50101e8030000'::bytea);
-- 4096 buckets claimed, one byte of counts there
SELECT pg_temp.sketch_deserial(substring(overlay(s placing '\x00100000'::bytea from 66 for 4)
	from 1 for 70)) FROM sk;

DELETE FROM csstats.channels WHERE id IN ('mten_a', 'mten_b');
