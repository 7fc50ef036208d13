/*
 * update_calls.sql: calls every function of the csstats extension at least
 * once and prints deterministic results, one "label: value" line each.
 *
 * test/suites/12_update.sh runs it in a database updated from 0.1.0 and in a
 * fresh install holding the same data (generate_demo('demo', 300, 1), the
 * stored password 'upd_stored' of the exporter role), and diffs the outputs:
 * an updated extension must compute what a fresh one computes.
 *
 *     psql -X -At -v ON_ERROR_STOP=1 -v tag=DB -v exporter=ROLE -d DB -f update_calls.sql
 *
 * tag prefixes the server files written (unique per database); exporter is
 * the role with the README's exporter grants.
 *
 * Every function the extension has must be named by a "-- covers: <oid::regprocedure>"
 * line above the statement that runs it (schema-qualified, as printed with
 * search_path = pg_catalog): the suite fails when a function in the catalog
 * has no such line, or a line names a function that does not exist.  So a
 * function added (or re-signed) later must get a call here.  A support
 * function PostgreSQL calls itself (an aggregate's transition, final, combine,
 * serial and deserial functions, a trigger function) is covered by the
 * statement that makes PostgreSQL call it.
 *
 * The script sets track_functions = all and ends by listing, as "not called:"
 * lines, the C and PL/pgSQL functions the statistics saw no call of (SQL
 * functions can be inlined and aggregate support functions are never
 * counted, so those two are left out of that check; so are the functions
 * covered by a "-- covers (raises): ..." line, called only to fail: the
 * statistics count a call when the function returns).
 */
\set ON_ERROR_STOP 1
\set QUIET on
\pset format unaligned
\pset tuples_only on
SET search_path = pg_catalog;
SET TimeZone = 'UTC';
SET extra_float_digits = 0;
SET client_min_messages = warning;
SET track_functions = 'all';
\set as_of '''2025-08-01 00:00+00'''

-------------------------------------------------------------------------------
-- schema helpers
-------------------------------------------------------------------------------
-- covers: csstats._timezone_is_known(text)
SELECT 'timezone known: ' || csstats._timezone_is_known('Asia/Seoul')::text
	|| ' ' || csstats._timezone_is_known('Mars/Olympus')::text;
-- covers: csstats._is_json_object(jsonb)
SELECT 'is json object: ' || csstats._is_json_object('{"a": 1}')::text
	|| ' ' || csstats._is_json_object('[1]')::text;
-- covers: csstats._text_is_json_object(text)
SELECT 'text is json object: ' || csstats._text_is_json_object('{"a": 1}')::text
	|| ' ' || csstats._text_is_json_object('{nope')::text;

-------------------------------------------------------------------------------
-- the generator (a second, small channel)
-------------------------------------------------------------------------------
-- covers: csstats.generate_demo(text,integer,integer)
-- covers: csstats._demo_rows(text,text,integer,integer,integer,integer,integer,integer,integer,integer,integer,text[],timestamp with time zone,integer,integer)
SELECT 'generate_demo upd2: ' || string_agg(table_name || '=' || rows, ' ')
FROM csstats.generate_demo('upd2', 20, 7);

-------------------------------------------------------------------------------
-- operating hours
-------------------------------------------------------------------------------
-- covers: csstats.business_seconds(timestamp with time zone,timestamp with time zone,text)
SELECT 'business_seconds: ' || round(sum(csstats.business_seconds(c.created_at,
	c.created_at + interval '3 days', c.channel_id))::numeric, 3)
FROM csstats.user_chats c WHERE c.channel_id = 'demo';
-- covers: csstats.is_operating(timestamp with time zone,text)
SELECT 'is_operating: ' || count(*) FILTER (WHERE csstats.is_operating(c.created_at, c.channel_id))
	|| ' of ' || count(*)
FROM csstats.user_chats c WHERE c.channel_id = 'demo';
-- the statement trigger drops cached schedules: a new holiday counts at once
-- covers: csstats._calendar_changed()
-- (Monday 2025-03-10 in Asia/Seoul, the demo channel's zone)
SELECT 'monday before holiday: ' || csstats.business_seconds('2025-03-09 15:00+00', '2025-03-10 15:00+00', 'demo');
INSERT INTO csstats.holidays (channel_id, day, name) VALUES ('demo', '2025-03-10', 'update test');
SELECT 'monday on holiday: ' || csstats.business_seconds('2025-03-09 15:00+00', '2025-03-10 15:00+00', 'demo');
DELETE FROM csstats.holidays WHERE channel_id = 'demo' AND day = '2025-03-10';

-------------------------------------------------------------------------------
-- metrics aggregates: whole-row and column forms, with and without as_of
-------------------------------------------------------------------------------
-- covers: csstats.chat_metrics(csstats.timeline,timestamp with time zone)
-- covers: csstats._chat_metrics_trans(internal,csstats.timeline,timestamp with time zone)
-- covers: csstats._chat_metrics_final(internal)
SELECT 'chat_metrics(row, as_of): ' || count(*) || ' ' || md5(string_agg(r, E'\n' ORDER BY chat_id))
FROM (SELECT chat_id, csstats.chat_metrics(t, :as_of)::text AS r
	FROM csstats.timeline t WHERE channel_id = 'demo' GROUP BY channel_id, chat_id) s;
-- covers: csstats.chat_metrics(text,text,timestamp with time zone,smallint,text,bigint,text,timestamp with time zone)
-- covers: csstats._chat_metrics_trans(internal,text,text,timestamp with time zone,smallint,text,bigint,text,timestamp with time zone)
SELECT 'chat_metrics(columns, as_of): ' || count(*) || ' ' || md5(string_agg(r, E'\n' ORDER BY chat_id))
FROM (SELECT chat_id, csstats.chat_metrics(channel_id, chat_id, at, seq, kind, event_id, item_id,
		:as_of)::text AS r
	FROM csstats.timeline WHERE channel_id = 'demo' GROUP BY channel_id, chat_id) s;
-- as of now(): only what does not move with the clock (the demo data ends in 2025)
-- covers: csstats.chat_metrics(csstats.timeline)
-- covers: csstats._chat_metrics_trans(internal,csstats.timeline)
SELECT 'chat_metrics(row): ' || count(*) || ' replies ' || sum((r).reply_count)
	|| ' closed ' || count((r).closed_at)
FROM (SELECT chat_id, csstats.chat_metrics(t) AS r
	FROM csstats.timeline t WHERE channel_id = 'demo' GROUP BY channel_id, chat_id) s;
-- covers: csstats.chat_metrics(text,text,timestamp with time zone,smallint,text,bigint,text)
-- covers: csstats._chat_metrics_trans(internal,text,text,timestamp with time zone,smallint,text,bigint,text)
SELECT 'chat_metrics(columns): ' || count(*) || ' replies ' || sum((r).reply_count)
	|| ' closed ' || count((r).closed_at)
FROM (SELECT chat_id, csstats.chat_metrics(channel_id, chat_id, at, seq, kind, event_id, item_id) AS r
	FROM csstats.timeline WHERE channel_id = 'demo' GROUP BY channel_id, chat_id) s;
-- covers: csstats.case_metrics(csstats.timeline,timestamp with time zone)
-- covers: csstats._case_metrics_trans(internal,csstats.timeline,timestamp with time zone)
-- covers: csstats._case_metrics_final(internal)
SELECT 'case_metrics(row, as_of): ' || count(*) || ' ' || md5(string_agg(r, E'\n' ORDER BY chat_id))
FROM (SELECT chat_id, csstats.case_metrics(t, :as_of)::text AS r
	FROM csstats.timeline t WHERE channel_id = 'demo' GROUP BY channel_id, chat_id) s;
-- covers: csstats.case_metrics(text,text,timestamp with time zone,smallint,text,bigint,text,text,text,text,text,text,text,text[],text[],text,jsonb,timestamp with time zone)
-- covers: csstats._case_metrics_trans(internal,text,text,timestamp with time zone,smallint,text,bigint,text,text,text,text,text,text,text,text[],text[],text,jsonb,timestamp with time zone)
SELECT 'case_metrics(columns, as_of): ' || count(*) || ' ' || md5(string_agg(r, E'\n' ORDER BY chat_id))
FROM (SELECT chat_id, csstats.case_metrics(channel_id, chat_id, at, seq, kind, event_id, item_id,
		value, medium_name, direction, state, assignee_id, team_id, manager_ids, tags, priority,
		profile, :as_of)::text AS r
	FROM csstats.timeline WHERE channel_id = 'demo' GROUP BY channel_id, chat_id) s;
-- covers: csstats.case_metrics(csstats.timeline)
-- covers: csstats._case_metrics_trans(internal,csstats.timeline)
SELECT 'case_metrics(row): ' || count(*) || ' cases ' || sum(cardinality(r))
FROM (SELECT chat_id, csstats.case_metrics(t) AS r
	FROM csstats.timeline t WHERE channel_id = 'demo' GROUP BY channel_id, chat_id) s;
-- covers: csstats.case_metrics(text,text,timestamp with time zone,smallint,text,bigint,text,text,text,text,text,text,text,text[],text[],text,jsonb)
-- covers: csstats._case_metrics_trans(internal,text,text,timestamp with time zone,smallint,text,bigint,text,text,text,text,text,text,text,text[],text[],text,jsonb)
SELECT 'case_metrics(columns): ' || count(*) || ' cases ' || sum(cardinality(r))
FROM (SELECT chat_id, csstats.case_metrics(channel_id, chat_id, at, seq, kind, event_id, item_id,
		value, medium_name, direction, state, assignee_id, team_id, manager_ids, tags, priority,
		profile) AS r
	FROM csstats.timeline WHERE channel_id = 'demo' GROUP BY channel_id, chat_id) s;

-------------------------------------------------------------------------------
-- sketch aggregates
-------------------------------------------------------------------------------
-- covers: csstats.approx_percentile(double precision,double precision)
-- covers: csstats.approx_percentile_trans(internal,double precision,double precision)
-- covers: csstats.approx_percentile_final(internal)
SELECT 'approx_percentile: ' || round(csstats.approx_percentile(m.duration, 0.5)::numeric, 6)
FROM csstats.meets m WHERE m.channel_id = 'demo';
-- covers: csstats.approx_percentiles(double precision,double precision[])
-- covers: csstats.approx_percentiles_trans(internal,double precision,double precision[])
-- covers: csstats.approx_percentiles_final(internal)
SELECT 'approx_percentiles: ' || (SELECT string_agg(round(v::numeric, 6)::text, ' ')
	FROM unnest(csstats.approx_percentiles(m.duration, '{0.1,0.5,0.9,0.99}')) v)
FROM csstats.meets m WHERE m.channel_id = 'demo';

-------------------------------------------------------------------------------
-- the aggregates' partial states: a forced parallel plan (Partial Aggregate
-- in workers, states serialized, combined in the leader), same results
-------------------------------------------------------------------------------
CREATE FUNCTION pg_temp.plan_of(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	line text;
	plan text := '';
BEGIN
	FOR line IN EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || q LOOP
		plan := plan || line || E'\n';
	END LOOP;
	RETURN plan;
END
$$;
ANALYZE csstats.user_chats, csstats.chat_events, csstats.messages, csstats.meets;
BEGIN;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL min_parallel_index_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL enable_indexscan = off;
SET LOCAL enable_bitmapscan = off;
SET LOCAL enable_sort = off;
-- covers: csstats._metrics_combine(internal,internal)
-- covers: csstats._metrics_serial(internal)
-- covers: csstats._metrics_deserial(bytea,internal)
SELECT 'parallel chat_metrics plan: partial ' || (p ~ 'Partial \w*Aggregate')::text
	|| ', workers ' || (p ~ 'Workers Launched: [1-9]')::text
FROM pg_temp.plan_of($q$SELECT chat_id, csstats.chat_metrics(t, '2025-08-01 00:00+00')
	FROM csstats.timeline t WHERE channel_id = 'demo' GROUP BY channel_id, chat_id$q$) p;
SELECT 'parallel chat_metrics(row, as_of): ' || count(*) || ' ' || md5(string_agg(r, E'\n' ORDER BY chat_id))
FROM (SELECT chat_id, csstats.chat_metrics(t, :as_of)::text AS r
	FROM csstats.timeline t WHERE channel_id = 'demo' GROUP BY channel_id, chat_id) s;
-- covers: csstats.approx_percentile_combine(internal,internal)
-- covers: csstats.approx_percentile_serial(internal)
-- covers: csstats.approx_percentile_deserial(bytea,internal)
SELECT 'parallel approx_percentile plan: partial ' || (p ~ 'Partial \w*Aggregate')::text
	|| ', workers ' || (p ~ 'Workers Launched: [1-9]')::text
FROM pg_temp.plan_of($q$SELECT csstats.approx_percentile(duration, 0.5) FROM csstats.meets$q$) p;
SELECT 'parallel approx_percentile: ' || round(csstats.approx_percentile(m.duration, 0.5)::numeric, 6)
FROM csstats.meets m WHERE m.channel_id = 'demo';
COMMIT;

-------------------------------------------------------------------------------
-- filters and selection
-------------------------------------------------------------------------------
-- covers: csstats._max_selected_chats()
SELECT '_max_selected_chats: ' || csstats._max_selected_chats();
-- covers: csstats.parse_chat_filters(jsonb,timestamp with time zone,timestamp with time zone)
SELECT 'parse_chat_filters: ' || csstats.parse_chat_filters(
	'{"assignee_ids": ["m1", null], "tags_any": ["delivery"], "states": ["closed"]}',
	'2025-01-01', '2025-07-01')::text;
-- covers: csstats.tags_match_any(text[],text[])
-- covers: csstats.tags_match_all(text[],text[])
SELECT 'tags_match: ' || csstats.tags_match_any('{delivery/late}', '{delivery}')::text || ' '
	|| csstats.tags_match_any('{deliveryman}', '{delivery}')::text || ' '
	|| csstats.tags_match_all('{x,delivery/late}', '{delivery,x}')::text;
-- covers: csstats.chat_filter_matches(csstats.chat_filter,text,text,text,text,text,text[])
SELECT 'chat_filter_matches: ' || count(*) FILTER (WHERE csstats.chat_filter_matches(
		csstats.parse_chat_filters('{"tags_any": ["delivery"]}'), c.id, c.assignee_id, c.team_id,
		c.state, c.medium_name, c.tags))
FROM csstats.user_chats c WHERE c.channel_id = 'demo';
-- covers: csstats.select_chats(text,timestamp with time zone,timestamp with time zone,jsonb)
SELECT 'select_chats: ' || count(*) || ' ' || md5(string_agg(c.id, ',' ORDER BY c.id))
FROM csstats.select_chats('demo', '2025-02-01', '2025-05-01', '{"states": ["closed"]}') c;
-- covers: csstats.channel_chat_url_template(text)
-- covers: csstats.chat_url(text,text,text)
SELECT 'chat_url: ' || csstats.chat_url(csstats.channel_chat_url_template('demo'), 'demo', 'c42');
-- covers: csstats.sheet_chat_condition(text,text[])
SELECT 'sheet_chat_condition: ' || csstats.sheet_chat_condition('demo', '{a,b}')
	|| ' / ' || csstats.sheet_chat_condition('demo',
		(SELECT array_agg(c.id) FROM csstats.user_chats c WHERE c.channel_id = 'demo'));
-- covers: csstats._sheet_arguments_valid(text,timestamp with time zone,timestamp with time zone,jsonb)
SELECT '_sheet_arguments_valid: ' || csstats._sheet_arguments_valid('demo', NULL, NULL, '{}')::text;
-- covers: csstats._selected_chats(text,timestamp with time zone,timestamp with time zone,jsonb,timestamp with time zone)
SELECT '_selected_chats: ' || count(*) || ' ' || md5(string_agg(c.id || ':' || c.ord, ',' ORDER BY c.ord))
FROM csstats._selected_chats('demo', '2025-02-01', '2025-05-01', '{"states": ["closed"]}', :as_of) c;

-------------------------------------------------------------------------------
-- the sheets: row count and a checksum of every row, as of a fixed instant
-------------------------------------------------------------------------------
-- covers: csstats.user_chat_sheet(text,timestamp with time zone,timestamp with time zone,jsonb,timestamp with time zone)
SELECT 'user_chat_sheet: ' || count(*) || ' ' || md5(string_agg(s::text, E'\n' ORDER BY s::text))
FROM csstats.user_chat_sheet('demo', NULL, NULL, '{}', :as_of) s;
SELECT 'user_chat_sheet selection: ' || count(*) || ' ' || md5(string_agg(s::text, E'\n' ORDER BY s::text))
FROM csstats.user_chat_sheet('demo', NULL, NULL,
	(SELECT jsonb_build_object('chat_ids', jsonb_agg(c.id)) FROM (SELECT c.id FROM csstats.user_chats c
		WHERE c.channel_id = 'demo' ORDER BY c.id LIMIT 5) c), :as_of) s;
-- covers: csstats.user_chat_case_sheet(text,timestamp with time zone,timestamp with time zone,jsonb,timestamp with time zone)
SELECT 'user_chat_case_sheet: ' || count(*) || ' ' || md5(string_agg(s::text, E'\n' ORDER BY s::text))
FROM csstats.user_chat_case_sheet('demo', '2025-01-01', '2025-07-01', '{}', :as_of) s;
-- covers: csstats.user_sheet(text,timestamp with time zone,timestamp with time zone,jsonb,timestamp with time zone)
SELECT 'user_sheet: ' || count(*) || ' ' || md5(string_agg(s::text, E'\n' ORDER BY s::text))
FROM csstats.user_sheet('demo', NULL, NULL, '{}', :as_of) s;
-- covers: csstats.user_sheet_profile_keys(text,timestamp with time zone,timestamp with time zone,jsonb,timestamp with time zone)
SELECT 'user_sheet_profile_keys: ' || string_agg(s.key, ',' ORDER BY s.position)
FROM csstats.user_sheet_profile_keys('demo', NULL, NULL, '{}', :as_of) s;
-- covers: csstats.workflow_sheet(text,timestamp with time zone,timestamp with time zone,jsonb,timestamp with time zone)
SELECT 'workflow_sheet: ' || count(*) || ' ' || md5(string_agg(s::text, E'\n' ORDER BY s::text))
FROM csstats.workflow_sheet('demo', NULL, NULL, '{}', :as_of) s;
-- covers: csstats.support_bot_sheet(text,timestamp with time zone,timestamp with time zone,jsonb,timestamp with time zone)
SELECT 'support_bot_sheet: ' || count(*) || ' ' || md5(string_agg(s::text, E'\n' ORDER BY s::text))
FROM csstats.support_bot_sheet('demo', NULL, NULL, '{}', :as_of) s;
-- covers: csstats.marketing_sheet(text,timestamp with time zone,timestamp with time zone,jsonb,timestamp with time zone)
SELECT 'marketing_sheet: ' || count(*) || ' ' || md5(string_agg(s::text, E'\n' ORDER BY s::text))
FROM csstats.marketing_sheet('demo', NULL, NULL, '{}', :as_of) s;
-- covers: csstats.manager_sheet(text,timestamp with time zone,timestamp with time zone,jsonb,timestamp with time zone)
SELECT 'manager_sheet: ' || count(*) || ' ' || md5(string_agg(s::text, E'\n' ORDER BY s::text))
FROM csstats.manager_sheet('demo', NULL, NULL, '{}', :as_of) s;
-- covers: csstats.team_sheet(text,timestamp with time zone,timestamp with time zone,jsonb,timestamp with time zone)
SELECT 'team_sheet: ' || count(*) || ' ' || md5(string_agg(s::text, E'\n' ORDER BY s::text))
FROM csstats.team_sheet('demo', NULL, NULL, '{}', :as_of) s;
-- covers: csstats.bot_sheet(text,timestamp with time zone,timestamp with time zone,jsonb,timestamp with time zone)
SELECT 'bot_sheet: ' || count(*) || ' ' || md5(string_agg(s::text, E'\n' ORDER BY s::text))
FROM csstats.bot_sheet('demo', NULL, NULL, '{}', :as_of) s;
-- covers: csstats.user_chat_tag_sheet(text,timestamp with time zone,timestamp with time zone,jsonb,timestamp with time zone)
SELECT 'user_chat_tag_sheet: ' || count(*) || ' ' || md5(string_agg(s::text, E'\n' ORDER BY s::text))
FROM csstats.user_chat_tag_sheet('demo', NULL, NULL, '{}', :as_of) s;
-- covers: csstats.message_sheet(text,timestamp with time zone,timestamp with time zone,jsonb,timestamp with time zone)
SELECT 'message_sheet: ' || count(*) || ' ' || md5(string_agg(s::text, E'\n' ORDER BY s::text))
FROM csstats.message_sheet('demo', NULL, NULL, '{}', :as_of) s;
-- covers: csstats.user_chat_meet_sheet(text,timestamp with time zone,timestamp with time zone,jsonb,timestamp with time zone)
SELECT 'user_chat_meet_sheet: ' || count(*) || ' ' || md5(string_agg(s::text, E'\n' ORDER BY s::text))
FROM csstats.user_chat_meet_sheet('demo', NULL, NULL, '{}', :as_of) s;

-------------------------------------------------------------------------------
-- exports: the file's kind (magic bytes) and the rows per sheet its audit
-- row records (the encrypted bytes differ on every call)
-------------------------------------------------------------------------------
-- covers: csstats.export_header(text,text)
SELECT 'export_header: ' || csstats.export_header('UserChat data', 'first_replied_at_after_open')
	|| ' ' || csstats.export_header('Message data', 'plain_text');
-- covers: csstats.export_chats(text,text,timestamp with time zone,timestamp with time zone,text,boolean,text,text,jsonb,timestamp with time zone,text,boolean)
SELECT 'export_chats xlsx: ' || encode(substr(x, 1, 8), 'hex')
FROM csstats.export_chats(password => 'UpdCallsPassw0rd', reason => 'update suite: calls',
	channel_id => 'demo', include_messages => true, as_of => :as_of, include_summary => true) x;
SELECT 'export_chats xlsx audit: ' || a.kind || ' ' || a.format || ' ' || a.row_counts::text
FROM csstats.export_audit a ORDER BY a.id DESC LIMIT 1;
-- covers: csstats.export_cases(text,text,timestamp with time zone,timestamp with time zone,text,text,text,jsonb,timestamp with time zone,text,boolean)
SELECT 'export_cases json: ' || encode(substr(x, 1, 4), 'hex')
FROM csstats.export_cases(password => 'UpdCallsPassw0rd', reason => 'update suite: calls',
	channel_id => 'demo', since => '2025-01-01', until => '2025-06-30', format => 'json',
	as_of => :as_of) x;
SELECT 'export_cases json audit: ' || a.kind || ' ' || a.format || ' ' || a.row_counts::text
FROM csstats.export_audit a ORDER BY a.id DESC LIMIT 1;
-- covers: csstats.export_chats_to_file(text,text,text,timestamp with time zone,timestamp with time zone,text,boolean,text,text,jsonb,timestamp with time zone,text,boolean)
SELECT csstats.export_chats_to_file(filename => :'tag' || '-chats.xlsx',
	password => 'UpdCallsPassw0rd', reason => 'update suite: calls', channel_id => 'demo',
	as_of => :as_of) AS audit_id \gset
SELECT 'export_chats_to_file: ' || a.kind || ' ' || a.format || ' ' || a.row_counts::text
	|| ' file ' || (a.destination = :'tag' || '-chats.xlsx')::text
	|| ' size ' || ((pg_stat_file(current_setting('csstats.export_directory') || '/' || a.destination)).size
		= a.bytes)::text
FROM csstats.export_audit a WHERE a.id = :audit_id;
-- covers: csstats.export_cases_to_file(text,text,text,timestamp with time zone,timestamp with time zone,text,text,text,jsonb,timestamp with time zone,text,boolean)
SELECT csstats.export_cases_to_file(filename => :'tag' || '-cases.json.zip',
	password => 'UpdCallsPassw0rd', reason => 'update suite: calls', channel_id => 'demo',
	since => '2025-01-01', until => '2025-06-30', format => 'json', as_of => :as_of) AS audit_id \gset
SELECT 'export_cases_to_file: ' || a.kind || ' ' || a.format || ' ' || a.row_counts::text
	|| ' file ' || (a.destination = :'tag' || '-cases.json.zip')::text
	|| ' size ' || ((pg_stat_file(current_setting('csstats.export_directory') || '/' || a.destination)).size
		= a.bytes)::text
FROM csstats.export_audit a WHERE a.id = :audit_id;

-- the generate_password forms (the password is random: its length only)
-- covers: csstats.export_chats(boolean,text,timestamp with time zone,timestamp with time zone,text,boolean,text,text,jsonb,timestamp with time zone,text,text,boolean)
SELECT 'export_chats generated: ' || length(g.generated_password) || ' ' || encode(substr(g.file, 1, 8), 'hex')
FROM csstats.export_chats(generate_password => true, reason => 'update suite: generated',
	channel_id => 'demo', as_of => :as_of) g;
-- covers: csstats.export_cases(boolean,text,timestamp with time zone,timestamp with time zone,text,text,text,jsonb,timestamp with time zone,text,text,boolean)
SELECT 'export_cases generated: ' || length(g.generated_password) || ' ' || encode(substr(g.file, 1, 4), 'hex')
FROM csstats.export_cases(generate_password => true, reason => 'update suite: generated',
	channel_id => 'demo', since => '2025-01-01', until => '2025-06-30', format => 'json',
	as_of => :as_of) g;
-- covers: csstats.export_chats_to_file(boolean,text,text,timestamp with time zone,timestamp with time zone,text,boolean,text,text,jsonb,timestamp with time zone,text,text,boolean)
SELECT 'export_chats_to_file generated: ' || length(g.generated_password) || ' '
	|| (g.audit_id = (SELECT max(a.id) FROM csstats.export_audit a))::text
FROM csstats.export_chats_to_file(generate_password => true, filename => :'tag' || '-generated.xlsx',
	reason => 'update suite: generated', channel_id => 'demo', as_of => :as_of) g;
-- covers: csstats.export_cases_to_file(boolean,text,text,timestamp with time zone,timestamp with time zone,text,text,text,jsonb,timestamp with time zone,text,text,boolean)
SELECT 'export_cases_to_file generated: ' || length(g.generated_password) || ' '
	|| (g.audit_id = (SELECT max(a.id) FROM csstats.export_audit a))::text
FROM csstats.export_cases_to_file(generate_password => true, filename => :'tag' || '-generated.json.zip',
	reason => 'update suite: generated', channel_id => 'demo', since => '2025-01-01',
	until => '2025-06-30', format => 'json', as_of => :as_of) g;

-- covers: csstats.daily_summary(timestamp with time zone,timestamp with time zone,timestamp with time zone)
SELECT 'daily_summary: ' || count(*) || ' days, ' || sum(d.chats) || ' chats, p50 '
	|| round(avg(d.waiting_p50)::numeric, 3) || ', p90 ' || round(avg(d.waiting_p90)::numeric, 3)
FROM csstats.daily_summary('2025-01-01', '2025-04-01', :as_of) d;

-- the shard entry point of a csstats_router coordinator, and its link row
-- covers: csstats.shard_export(text,text,text,uuid,boolean,text,text,timestamp with time zone,timestamp with time zone,text,boolean,text,text,jsonb,timestamp with time zone,text,boolean)
SELECT 'shard_export chats: ' || encode(substr(s.file, 1, 8), 'hex') || ' '
	|| (s.generated_password IS NULL)::text || ' ' || s.row_counts::text || ' '
	|| (s.audit_id = (SELECT max(a.id) FROM csstats.export_audit a))::text
FROM csstats.shard_export('chats', 'upd_caller', 'upd_caller_role', '6b1d0c52-3b5e-4c39-9d1e-2f7b6a3c9e01',
	NULL, 'UpdCallsPassw0rd', 'update suite: shard', NULL, NULL, 'xlsx', false, 'demo', NULL,
	'{}', :as_of, NULL) s;
SELECT 'shard_export cases generated: ' || length(s.generated_password) || ' '
	|| encode(substr(s.file, 1, 4), 'hex') || ' ' || s.row_counts::text
FROM csstats.shard_export('cases', 'upd_caller', 'upd_caller', '6b1d0c52-3b5e-4c39-9d1e-2f7b6a3c9e02',
	true, NULL, 'update suite: shard', '2025-01-01', '2025-06-30', 'json', false, 'demo', NULL,
	'{}', :as_of, NULL, true) s;
SELECT 'shard_export_links: ' || string_agg(l.request_id || ' ' || l.caller_session_user || ' '
	|| l.caller_current_user || ' ' || (l.audit_id IN (SELECT a.id FROM csstats.export_audit a
		WHERE a.reason = 'update suite: shard'))::text, ', ' ORDER BY l.request_id)
FROM csstats.shard_export_links l;
-- covers: csstats.shard_export_to_file(text,text,text,uuid,boolean,text,text,text,timestamp with time zone,timestamp with time zone,text,boolean,text,text,jsonb,timestamp with time zone,text,boolean)
SELECT 'shard_export_to_file cases generated: ' || length(s.generated_password) || ' '
	|| (s.destination = :'tag' || '-shard-' || s.audit_id || '.json.zip')::text || ' '
	|| (s.bytes > 0)::text || ' ' || length(s.sha256) || ' ' || s.row_counts::text || ' '
	|| (SELECT l.caller_current_user = current_user FROM csstats.shard_export_links l
		WHERE l.audit_id = s.audit_id)::text
FROM csstats.shard_export_to_file('cases', current_user, current_user, '6b1d0c52-3b5e-4c39-9d1e-2f7b6a3c9e03',
	true, :'tag' || '-shard-{id}.json.zip', NULL, 'update suite: shard file', '2025-01-01', '2025-06-30',
	'json', false, 'demo', NULL, '{}', :as_of, NULL) s;

-- the exporter role, with its grants only, and the stored password
SET ROLE :"exporter";
SELECT 'exporter export_chats: ' || encode(substr(x, 1, 8), 'hex')
FROM csstats.export_chats(password_name => 'upd_stored', reason => 'update suite: exporter',
	channel_id => 'demo', as_of => :as_of) x;
SELECT 'exporter export_chats_to_file: ' || (csstats.export_chats_to_file(
	filename => :'tag' || '-exporter.xlsx', password_name => 'upd_stored',
	reason => 'update suite: exporter', channel_id => 'demo', include_messages => true,
	as_of => :as_of) > 0)::text;
RESET ROLE;
SELECT 'exporter audit: ' || a.current_user || ' ' || a.password_name || ' ' || a.row_counts::text
FROM csstats.export_audit a ORDER BY a.id DESC LIMIT 1;

-- stored passwords: one stored as upd_stored was (the cluster's key file),
-- then dropped; the key file exists, so create_password_key refuses
-- covers: csstats.set_export_password(text,text,regrole)
SELECT 'set_export_password: ' || (csstats.set_export_password('upd_calls', 'UpdCallsStored1', :'exporter') IS NULL)::text;
SELECT 'stored: ' || octet_length(p.password_ciphertext) || ' ' || p.usable_by || ' same key '
	|| (p.key_id = s.key_id)::text
FROM csstats.export_passwords p, csstats.export_passwords s
WHERE p.name = 'upd_calls' AND s.name = 'upd_stored';
-- covers: csstats.drop_export_password(text)
SELECT 'drop_export_password: ' || csstats.drop_export_password('upd_calls')::text;
SELECT 'drop_export_password again: ' || csstats.drop_export_password('upd_calls')::text;
-- covers (raises): csstats.create_password_key()
DO $$
BEGIN
	PERFORM csstats.create_password_key();
	RAISE EXCEPTION 'create_password_key replaced an existing key file';
EXCEPTION WHEN duplicate_file THEN
	RAISE NOTICE 'refused';
END
$$;

-------------------------------------------------------------------------------
-- the audit trail
-------------------------------------------------------------------------------
-- covers: csstats._export_audit_hash(csstats.export_audit)
SELECT '_export_audit_hash: ' || bool_and(csstats._export_audit_hash(a) = a.row_hash)::text
FROM csstats.export_audit a;
-- covers: csstats.verify_audit()
SELECT 'verify_audit: ' || count(*) FILTER (WHERE NOT v.ok) || ' not ok'
FROM csstats.verify_audit() v;
-- the export functions append through the audit worker, whose calls this
-- session's statistics do not see: one direct append (a denied attempt)
-- covers: csstats._export_audit_append(text,text,text,text,text,text,boolean,text,timestamp with time zone,timestamp with time zone,timestamp with time zone,jsonb,jsonb,bigint,text,text,text,text,text)
SELECT '_export_audit_append: ' || (r.id > 0 AND length(r.row_hash) = 64)::text
FROM csstats._export_audit_append(current_user, current_user, NULL, 'update suite: direct append',
	'chats', 'xlsx', false, 'demo', NULL, NULL, :as_of, '{}', NULL, NULL, NULL, NULL, NULL,
	'denied', '42501: update suite') r;
-- covers: csstats.verify_audit(bigint,text)
SELECT 'verify_audit(head): ' || count(*) FILTER (WHERE NOT v.ok) || ' not ok'
FROM csstats.export_audit_head h, csstats.verify_audit(h.last_id, h.last_hash) v;
-- (an error ends the trigger function before the statistics count the call)
-- covers (raises): csstats._export_audit_refuse()
DO $$
BEGIN
	UPDATE csstats.export_audit SET reason = reason
	WHERE id = (SELECT max(id) FROM csstats.export_audit);
	RAISE EXCEPTION 'export_audit accepted an UPDATE';
EXCEPTION WHEN insufficient_privilege THEN
	RAISE NOTICE 'refused';
END
$$;
DO $$
BEGIN
	TRUNCATE csstats.export_audit_head;
	RAISE EXCEPTION 'export_audit_head accepted TRUNCATE';
EXCEPTION WHEN insufficient_privilege THEN
	RAISE NOTICE 'refused';
END
$$;
SELECT '_export_audit_refuse: UPDATE and TRUNCATE refused';

-- inbox counts: the demo channel's chats are in 2025, so replay at :as_of
-- (the current rows' open and snoozed counts are checked against the same
-- replay in sql/inbox.sql)
-- covers: csstats.inbox_counts(text,timestamp with time zone,integer)
-- covers: csstats._inbox_group(refcursor,text[],text[],boolean[],boolean[],text[],text[],text[])
SELECT 'inbox_counts: ' || string_agg(scope || '/' || coalesce(key, '-') || '/' || state || '=' || chats, ' '
	ORDER BY scope, key, state)
FROM csstats.inbox_counts('demo', :as_of, 60);
SELECT 'inbox_counts now: ' || string_agg(scope || '/' || coalesce(key, '-') || '/' || state || '=' || chats, ' '
	ORDER BY scope, key, state)
FROM csstats.inbox_counts('demo');
-------------------------------------------------------------------------------
-- the metric store (92_metrics_store.sql): opt in, log, refresh, views
-------------------------------------------------------------------------------
-- covers: csstats.enable_metrics_store(text)
-- covers: csstats._metrics_store_lock(text,boolean)
-- covers: csstats._metrics_store_purge(text)
SELECT 'enable_metrics_store: ' || csstats.enable_metrics_store('demo')
	|| ' again ' || csstats.enable_metrics_store('demo');
-- covers: csstats.refresh_metrics(text)
-- covers: csstats._refresh_metrics_channel(text)
SELECT 'refresh_metrics: ' || channel || ' ' || status || ' changes ' || changes || ' chats '
	|| recomputed_chats || ' settled ' || settled_chats || ' cases ' || stored_cases
FROM csstats.refresh_metrics('demo');
-- covers: csstats._metrics_store_log_changes()
UPDATE csstats.user_chats SET name = name
WHERE channel_id = 'demo' AND id = (SELECT min(id) FROM csstats.user_chats WHERE channel_id = 'demo');
-- covers: csstats._metrics_store_calendar_changed()
INSERT INTO csstats.holidays (channel_id, day, name) VALUES ('demo', '2025-01-20', 'update calls')
ON CONFLICT DO NOTHING;
SELECT 'metrics_store_log: ' || count(*) || ' rows, ' || count(*) FILTER (WHERE chat_id IS NULL)
	|| ' channel-wide from ' || coalesce(min(from_at)::text, '-')
FROM csstats.metrics_store_log;
SELECT 'metrics_store_freshness: ' || channel_id || ' backlog ' || backlog_changes || ' stored '
	|| stored_chats || ' chats ' || stored_cases || ' cases'
FROM csstats.metrics_store_freshness;
SELECT 'chat_metrics_current: ' || count(*) || ' rows, ' || count(*) FILTER (WHERE from_store)
	|| ' stored, waiting ' || round(sum(waiting_time)::numeric, 3)
FROM csstats.chat_metrics_current;
SELECT 'case_metrics_current: ' || count(*) || ' rows, ' || count(*) FILTER (WHERE from_store)
	|| ' stored, lead ' || round(sum(lead_time)::numeric, 3)
FROM csstats.case_metrics_current;
SELECT 'refresh_metrics (all): ' || channel || ' ' || status || ' changes ' || changes || ' chats '
	|| recomputed_chats FROM csstats.refresh_metrics();
-- covers: csstats.disable_metrics_store(text)
SELECT 'disable_metrics_store: ' || csstats.disable_metrics_store('demo')
	|| ' again ' || csstats.disable_metrics_store('demo');

SELECT 'calls: done';

-------------------------------------------------------------------------------
-- the functions the statistics saw no call of (see the header)
-------------------------------------------------------------------------------
SELECT pg_stat_force_next_flush() IS NULL AS flushed \gset
SELECT 'not called: ' || p.oid::regprocedure::text
FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
WHERE p.pronamespace = 'csstats'::regnamespace AND p.prokind = 'f' AND l.lanname <> 'sql'
	AND NOT EXISTS (SELECT FROM pg_aggregate a WHERE p.oid IN (a.aggtransfn, a.aggfinalfn,
		a.aggcombinefn, a.aggserialfn, a.aggdeserialfn))
	AND coalesce((SELECT s.calls FROM pg_stat_user_functions s WHERE s.funcid = p.oid), 0) = 0
ORDER BY 1;
