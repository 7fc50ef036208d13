/*
 * The demo data generator: deterministic, realistic channels for the demo,
 * the tests and the benchmarks (performance.md "Data").
 */

CREATE FUNCTION csstats._demo_rows(tbl text, channel_id text, chats integer, seed integer,
	users integer, managers integer, teams integer, bots integer, marketing integer,
	workflows integer, support_bots integer, tags text[], start timestamptz,
	span_days integer, utc_offset_s integer)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'csstats_demo_rows'
	LANGUAGE C STABLE STRICT PARALLEL SAFE ROWS 100000;
COMMENT ON FUNCTION csstats._demo_rows(text, text, integer, integer, integer, integer, integer,
	integer, integer, integer, integer, text[], timestamptz, integer, integer) IS
	'internal: generated rows of one conversation table (used by generate_demo)';

CREATE FUNCTION csstats.generate_demo(channel_id text, chats integer, seed integer DEFAULT 1)
	RETURNS TABLE (table_name text, rows bigint)
	LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
	SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
	ch text := channel_id;
	n_users integer := greatest(10, chats * 6 / 10);
	n_managers integer := greatest(8, least(200, chats / 250));
	n_teams integer := least(8, greatest(3, n_managers / 5));
	n_bots integer := 3;
	n_marketing integer := 12;
	n_workflows integer := 6;
	n_support_bots integer := 3;
	start timestamptz := '2025-01-01 00:00:00+09';
	span integer := 181;
	tag_names text[] := ARRAY['delivery', 'delivery/late', 'delivery/damaged', 'delivery/address',
		'refund', 'refund/partial', 'refund/full', 'account', 'account/login', 'account/delete',
		'billing', 'billing/invoice', 'billing/double-charge', 'product', 'product/size',
		'bug', 'bug/app-crash', 'feedback', 'vip'];
	n bigint;
BEGIN
	IF ch IS NULL OR btrim(ch) = '' THEN
		RAISE EXCEPTION 'channel_id must not be empty' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF chats IS NULL OR chats < 0 OR chats > 10000000 THEN
		RAISE EXCEPTION 'chats must be between 0 and 10000000, got %', chats
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF seed IS NULL THEN
		RAISE EXCEPTION 'seed must not be NULL' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF EXISTS (SELECT 1 FROM csstats.channels c WHERE c.id = ch) THEN
		RAISE EXCEPTION 'channel "%" already exists', ch
			USING ERRCODE = 'unique_violation',
				HINT = 'Delete it first (DELETE FROM csstats.channels WHERE id = ...; it cascades) or pick another channel id.';
	END IF;

	INSERT INTO csstats.channels (id, name, timezone, chat_url_template)
	VALUES (ch, 'Demo channel ' || ch, 'Asia/Seoul',
		'https://desk.example.com/#/channels/{channel_id}/user_chats/{chat_id}');

	-- Monday-Friday 09:00-18:00 with a lunch break; from April also Saturday mornings.
	INSERT INTO csstats.operating_hours (channel_id, valid_from, day_of_week, opens_at, closes_at)
	SELECT ch, v.valid_from, d, h.opens_at, h.closes_at
	FROM (VALUES ('-infinity'::date), ('2025-04-01'::date)) AS v(valid_from),
		generate_series(1, 5) AS d,
		(VALUES ('09:00'::time, '12:00'::time), ('13:00', '18:00')) AS h(opens_at, closes_at)
	UNION ALL
	SELECT ch, '2025-04-01', 6, '10:00', '13:00';

	-- Korean public holidays of 2025
	INSERT INTO csstats.holidays (channel_id, day, name)
	SELECT ch, d::date, nm FROM (VALUES
		('2025-01-01', '신정'), ('2025-01-27', '임시공휴일'), ('2025-01-28', '설날 연휴'),
		('2025-01-29', '설날'), ('2025-01-30', '설날 연휴'), ('2025-03-01', '삼일절'),
		('2025-03-03', '대체공휴일'), ('2025-05-05', '어린이날·부처님오신날'),
		('2025-05-06', '대체공휴일'), ('2025-06-03', '대통령 선거일'), ('2025-06-06', '현충일'),
		('2025-08-15', '광복절'), ('2025-10-03', '개천절'), ('2025-10-05', '추석 연휴'),
		('2025-10-06', '추석'), ('2025-10-07', '추석 연휴'), ('2025-10-08', '대체공휴일'),
		('2025-10-09', '한글날'), ('2025-12-25', '성탄절')) AS t(d, nm);

	INSERT INTO csstats.special_hours (channel_id, day, opens_at, closes_at) VALUES
		(ch, '2025-05-02', '10:00', '16:00'),
		(ch, '2025-12-24', '09:00', '15:00');

	INSERT INTO csstats.managers (channel_id, id, account_id, username, name, email, mobile_number,
		role, removed, can_download, created_at, default_group_watch, default_direct_chat_watch,
		default_user_chat_watch, operator, operator_email_reminder)
	SELECT ch, format('m%s', lpad(i::text, 3, '0')), format('acc-%s', i), format('agent%s', i),
		(ARRAY['김민준', '이서연', '박지호', '최하은', '정도윤', '강서윤', '조하준', '윤지우',
			'Sato Yui', 'Alex Kim'])[1 + (i - 1) % 10] || CASE WHEN i > 10 THEN ' ' || i ELSE '' END,
		format('agent%s@example.com', i), format('+82-10-5555-%s', lpad(i::text, 4, '0')),
		CASE WHEN i <= 2 THEN 'owner' ELSE 'member' END,
		i > 2 AND i % 17 = 0,
		i <= 2 OR i % 5 = 0,
		start - make_interval(days => 30 + i),
		(ARRAY['all', 'info', 'none'])[1 + i % 3],
		(ARRAY['all', 'info', 'none'])[1 + (i + 1) % 3],
		(ARRAY['all', 'info', 'none'])[1 + (i + 2) % 3],
		i % 4 <> 0, i % 3 = 0
	FROM generate_series(1, n_managers) AS i;

	INSERT INTO csstats.teams (channel_id, id, name, manager_ids)
	SELECT ch, format('t%s', lpad(t::text, 2, '0')),
		(ARRAY['배송팀', '환불팀', '계정팀', 'VIP팀', '기술지원팀', '결제팀', '야간팀', '글로벌팀'])[t],
		ARRAY(SELECT format('m%s', lpad(m::text, 3, '0')) FROM generate_series(1, n_managers) AS m
			WHERE m % n_teams = t - 1 ORDER BY m)
	FROM generate_series(1, n_teams) AS t;

	INSERT INTO csstats.bots (channel_id, id, name, created_at)
	SELECT ch, format('b%s', b), (ARRAY['안내봇', '야간봇', 'CSAT봇'])[b], start - interval '90 days'
	FROM generate_series(1, n_bots) AS b;

	INSERT INTO csstats.chat_tags (channel_id, id, name, description, follower_ids, created_at)
	SELECT ch, format('tag%s', lpad(o::text, 2, '0')), nm,
		CASE WHEN position('/' IN nm) = 0 THEN 'top-level tag ' || nm END,
		CASE WHEN o % 4 = 0 THEN ARRAY['m001'] ELSE '{}' END,
		start - interval '60 days'
	FROM unnest(tag_names) WITH ORDINALITY AS u(nm, o);

	INSERT INTO csstats.marketing_messages (channel_id, id, type, name, created_at)
	SELECT ch, format('mk%s', lpad(m::text, 2, '0')),
		CASE WHEN (m - 1) % 3 = 0 THEN 'campaign' ELSE 'oneTimeMsg' END,
		format('%s 프로모션 #%s', CASE WHEN (m - 1) % 3 = 0 THEN '자동' ELSE '일괄' END, m),
		start + make_interval(days => m * 10)
	FROM generate_series(1, n_marketing) AS m;

	INSERT INTO csstats.user_profile_fields (channel_id, key, name, position) VALUES
		(ch, 'email', '이메일', 1), (ch, 'mobileNumber', '휴대폰 번호', 2),
		(ch, 'plan', '요금제', 3), (ch, 'city', '도시', 4), (ch, 'points', '포인트', 5);
	INSERT INTO csstats.chat_profile_fields (channel_id, key, name, position) VALUES
		(ch, 'orderNumber', '주문번호', 1), (ch, 'category', '문의 분류', 2);

	-- customers; every value derives from (seed, user number)
	INSERT INTO csstats.users (channel_id, id, member_id, name, profile, created_at, updated_at)
	SELECT ch, format('u%s', lpad(i::text, 7, '0')),
		CASE WHEN h % 3 <> 0 THEN format('member-%s', i) END,
		format('고객 %s', i),
		jsonb_strip_nulls(jsonb_build_object(
			'email', CASE WHEN h % 5 <> 0 THEN format('user%s@example.com', i) END,
			'mobileNumber', CASE WHEN h % 4 <> 0 THEN format('+82-10-%s-%s', lpad((h % 10000)::text, 4, '0'),
				lpad(((h / 10000) % 10000)::text, 4, '0')) END,
			'plan', (ARRAY['free', 'basic', 'pro', NULL])[1 + (h / 7) % 4],
			'city', (ARRAY['서울', '부산', '東京', 'Seattle', NULL])[1 + (h / 11) % 5],
			'points', CASE WHEN h % 2 = 0 THEN (h / 13) % 5000 END)),
		start - make_interval(days => (h % 400)::integer),
		start + make_interval(days => (h % 100)::integer)
	FROM (SELECT i, abs(hashint8extended(i, seed)) AS h FROM generate_series(1, n_users) AS i) AS u;

	-- conversations, one table at a time from the same deterministic chats
	INSERT INTO csstats.user_chats (channel_id, id, user_id, name, description, summarized_message,
		state, direction, medium_name, medium_sender_name, marketing_type, marketing_id, workflow_id,
		support_bot_id, assignee_id, team_id, manager_ids, tags, priority, page, goal_state,
		goal_event_name, goal_checked_at, profile, created_at, updated_at)
	SELECT r.channel_id, r.id, r.user_id, r.name, r.description, r.summarized_message, r.state,
		r.direction, r.medium_name, r.medium_sender_name, r.marketing_type, r.marketing_id,
		r.workflow_id, r.support_bot_id, r.assignee_id, r.team_id, r.manager_ids, r.tags, r.priority,
		r.page, r.goal_state, r.goal_event_name, r.goal_checked_at, r.profile::jsonb, r.created_at,
		r.updated_at
	FROM csstats._demo_rows('user_chats', ch, chats, seed, n_users, n_managers, n_teams, n_bots,
		n_marketing, n_workflows, n_support_bots, tag_names, start, span, 9 * 3600)
		AS r(channel_id text, id text, user_id text, name text, description text,
			summarized_message text, state text, direction text, medium_name text,
			medium_sender_name text, marketing_type text, marketing_id text, workflow_id text,
			support_bot_id text, assignee_id text, team_id text, manager_ids text[], tags text[],
			priority text, page text, goal_state text, goal_event_name text,
			goal_checked_at timestamptz, profile text, created_at timestamptz, updated_at timestamptz);

	INSERT INTO csstats.messages (channel_id, id, chat_id, person_type, person_id, created_at, plain_text)
	SELECT * FROM csstats._demo_rows('messages', ch, chats, seed, n_users, n_managers, n_teams, n_bots,
		n_marketing, n_workflows, n_support_bots, tag_names, start, span, 9 * 3600)
		AS r(channel_id text, id text, chat_id text, person_type text, person_id text,
			created_at timestamptz, plain_text text);

	INSERT INTO csstats.chat_events (channel_id, chat_id, at, kind, actor_id, value)
	SELECT * FROM csstats._demo_rows('chat_events', ch, chats, seed, n_users, n_managers, n_teams, n_bots,
		n_marketing, n_workflows, n_support_bots, tag_names, start, span, 9 * 3600)
		AS r(channel_id text, chat_id text, at timestamptz, kind text, actor_id text, value text);

	INSERT INTO csstats.meets (channel_id, id, user_chat_id, type, direction, started_at, engaged_at,
		ended_at, from_number, to_number, missed_reason, duration, primary_number, representative_number)
	SELECT * FROM csstats._demo_rows('meets', ch, chats, seed, n_users, n_managers, n_teams, n_bots,
		n_marketing, n_workflows, n_support_bots, tag_names, start, span, 9 * 3600)
		AS r(channel_id text, id text, user_chat_id text, type text, direction text,
			started_at timestamptz, engaged_at timestamptz, ended_at timestamptz, from_number text,
			to_number text, missed_reason text, duration float8, primary_number text,
			representative_number text);

	INSERT INTO csstats.workflow_runs (channel_id, chat_id, workflow_id, revision_id, section_path, cause_of_end)
	SELECT * FROM csstats._demo_rows('workflow_runs', ch, chats, seed, n_users, n_managers, n_teams, n_bots,
		n_marketing, n_workflows, n_support_bots, tag_names, start, span, 9 * 3600)
		AS r(channel_id text, chat_id text, workflow_id text, revision_id text, section_path text[],
			cause_of_end text);

	INSERT INTO csstats.support_bot_runs (channel_id, chat_id, support_bot_id, revision_id, section_path)
	SELECT * FROM csstats._demo_rows('support_bot_runs', ch, chats, seed, n_users, n_managers, n_teams, n_bots,
		n_marketing, n_workflows, n_support_bots, tag_names, start, span, 9 * 3600)
		AS r(channel_id text, chat_id text, support_bot_id text, revision_id text, section_path text[]);

	RETURN QUERY
	SELECT t.tbl, t.cnt FROM (
		SELECT 1, 'users', (SELECT count(*) FROM csstats.users u WHERE u.channel_id = ch)
		UNION ALL SELECT 2, 'managers', (SELECT count(*) FROM csstats.managers m WHERE m.channel_id = ch)
		UNION ALL SELECT 3, 'user_chats', (SELECT count(*) FROM csstats.user_chats c WHERE c.channel_id = ch)
		UNION ALL SELECT 4, 'messages', (SELECT count(*) FROM csstats.messages m WHERE m.channel_id = ch)
		UNION ALL SELECT 5, 'chat_events', (SELECT count(*) FROM csstats.chat_events e WHERE e.channel_id = ch)
		UNION ALL SELECT 6, 'meets', (SELECT count(*) FROM csstats.meets m WHERE m.channel_id = ch)
		UNION ALL SELECT 7, 'workflow_runs', (SELECT count(*) FROM csstats.workflow_runs w WHERE w.channel_id = ch)
		UNION ALL SELECT 8, 'support_bot_runs', (SELECT count(*) FROM csstats.support_bot_runs s WHERE s.channel_id = ch)
	) AS t(o, tbl, cnt) ORDER BY t.o;
END
$fn$;
COMMENT ON FUNCTION csstats.generate_demo(text, integer, integer) IS
	'creates a deterministic, realistic demo channel with the given number of chats (same seed, same rows)';
