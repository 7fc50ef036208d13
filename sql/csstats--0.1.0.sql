/* csstats install script, assembled from sql/install/NN_*.sql at build time */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION csstats" to load this file. \quit
/*
 * The input schema: the loading contract of schema.md.
 *
 * Every row carries channel_id (the tenant) and keys include it, so the tables
 * can be partitioned or distributed by channel.  Enumerated columns have CHECK
 * constraints named after their rule, so a bad row is refused at load time with
 * a message that names the rule, and the whole statement is rolled back.
 */

-- A time zone is valid when PostgreSQL's own tz database knows it, so the
-- calendar agrees with AT TIME ZONE.
CREATE FUNCTION csstats._timezone_is_known(tz text) RETURNS boolean
	AS 'MODULE_PATHNAME', 'csstats_timezone_is_known'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION csstats._timezone_is_known(text) IS
	'true when PostgreSQL''s time zone database knows the zone name (used by channels_timezone_known)';

-- jsonb object check used by several tables
CREATE FUNCTION csstats._is_json_object(j jsonb) RETURNS boolean
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	RETURN pg_catalog.jsonb_typeof(j) OPERATOR(pg_catalog.=) 'object';
COMMENT ON FUNCTION csstats._is_json_object(jsonb) IS 'true when the value is a JSON object';

-- profile_changed events carry a JSON object as text; a malformed one is a
-- schema violation (check constraint), not a cast error.
CREATE FUNCTION csstats._text_is_json_object(t text) RETURNS boolean
	LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	RETURN t IS NOT NULL AND jsonb_typeof(t::jsonb) = 'object';
EXCEPTION WHEN invalid_text_representation THEN
	RETURN false;
END
$$;
COMMENT ON FUNCTION csstats._text_is_json_object(text) IS 'true when the text parses as a JSON object';

-------------------------------------------------------------------------------
-- Reference data
-------------------------------------------------------------------------------

CREATE TABLE csstats.channels (
	id text PRIMARY KEY,
	name text NOT NULL,
	timezone text NOT NULL DEFAULT 'UTC'
		CONSTRAINT channels_timezone_known CHECK (csstats._timezone_is_known(timezone)),
	chat_url_template text NOT NULL
		DEFAULT 'https://desk.example.com/#/channels/{channel_id}/user_chats/{chat_id}'
);
COMMENT ON TABLE csstats.channels IS 'one row per channel (tenant): time zone and chat URL template';

CREATE TABLE csstats.operating_hours (
	channel_id text NOT NULL REFERENCES csstats.channels (id) ON DELETE CASCADE,
	valid_from date NOT NULL DEFAULT '-infinity',
	day_of_week smallint NOT NULL
		CONSTRAINT operating_hours_day_of_week_range CHECK (day_of_week BETWEEN 0 AND 6),
	opens_at time NOT NULL,
	closes_at time NOT NULL,
	CONSTRAINT operating_hours_opens_before_closes CHECK (opens_at < closes_at),
	PRIMARY KEY (channel_id, valid_from, day_of_week, opens_at)
);
COMMENT ON TABLE csstats.operating_hours IS
	'weekly local-time opening intervals; rows sharing valid_from are one schedule version';

CREATE TABLE csstats.holidays (
	channel_id text NOT NULL REFERENCES csstats.channels (id) ON DELETE CASCADE,
	day date NOT NULL,
	name text,
	PRIMARY KEY (channel_id, day)
);
COMMENT ON TABLE csstats.holidays IS 'local dates on which the channel is closed all day';

CREATE TABLE csstats.special_hours (
	channel_id text NOT NULL REFERENCES csstats.channels (id) ON DELETE CASCADE,
	day date NOT NULL,
	opens_at time NOT NULL,
	closes_at time NOT NULL,
	CONSTRAINT special_hours_opens_before_closes CHECK (opens_at < closes_at),
	PRIMARY KEY (channel_id, day, opens_at)
);
COMMENT ON TABLE csstats.special_hours IS
	'on these local dates, these intervals replace the weekly operating hours';

CREATE TABLE csstats.users (
	channel_id text NOT NULL REFERENCES csstats.channels (id) ON DELETE CASCADE,
	id text NOT NULL,
	member_id text,
	name text,
	profile jsonb NOT NULL DEFAULT '{}'
		CONSTRAINT users_profile_is_object CHECK (csstats._is_json_object(profile)),
	created_at timestamptz,
	updated_at timestamptz,
	PRIMARY KEY (channel_id, id)
);
COMMENT ON TABLE csstats.users IS 'customers; profile holds email, mobileNumber and custom keys';

CREATE TABLE csstats.user_profile_fields (
	channel_id text NOT NULL REFERENCES csstats.channels (id) ON DELETE CASCADE,
	key text NOT NULL,
	name text,
	position integer NOT NULL DEFAULT 0,
	PRIMARY KEY (channel_id, key)
);
COMMENT ON TABLE csstats.user_profile_fields IS 'order of the profile.* columns of the User data sheet';

CREATE TABLE csstats.chat_profile_fields (
	channel_id text NOT NULL REFERENCES csstats.channels (id) ON DELETE CASCADE,
	key text NOT NULL,
	name text,
	position integer NOT NULL DEFAULT 0,
	PRIMARY KEY (channel_id, key)
);
COMMENT ON TABLE csstats.chat_profile_fields IS
	'order of the custom chat-profile columns of the UserChat and UserChatCase sheets';

CREATE TABLE csstats.managers (
	channel_id text NOT NULL REFERENCES csstats.channels (id) ON DELETE CASCADE,
	id text NOT NULL,
	account_id text,
	username text,
	name text,
	email text,
	mobile_number text,
	role text NOT NULL DEFAULT 'member'
		CONSTRAINT managers_role_valid CHECK (role IN ('owner', 'member')),
	removed boolean NOT NULL DEFAULT false,
	can_download boolean NOT NULL DEFAULT false,
	created_at timestamptz,
	default_group_watch text
		CONSTRAINT managers_default_group_watch_valid CHECK (default_group_watch IN ('all', 'info', 'none')),
	default_direct_chat_watch text
		CONSTRAINT managers_default_direct_chat_watch_valid CHECK (default_direct_chat_watch IN ('all', 'info', 'none')),
	default_user_chat_watch text
		CONSTRAINT managers_default_user_chat_watch_valid CHECK (default_user_chat_watch IN ('all', 'info', 'none')),
	operator boolean NOT NULL DEFAULT false,
	operator_email_reminder boolean NOT NULL DEFAULT false,
	PRIMARY KEY (channel_id, id)
);
COMMENT ON TABLE csstats.managers IS 'the channel''s staff; can_download is the "download data" permission';

CREATE TABLE csstats.teams (
	channel_id text NOT NULL REFERENCES csstats.channels (id) ON DELETE CASCADE,
	id text NOT NULL,
	name text,
	manager_ids text[] NOT NULL DEFAULT '{}',
	PRIMARY KEY (channel_id, id)
);

CREATE TABLE csstats.bots (
	channel_id text NOT NULL REFERENCES csstats.channels (id) ON DELETE CASCADE,
	id text NOT NULL,
	name text,
	created_at timestamptz,
	PRIMARY KEY (channel_id, id)
);

CREATE TABLE csstats.chat_tags (
	channel_id text NOT NULL REFERENCES csstats.channels (id) ON DELETE CASCADE,
	id text NOT NULL,
	name text NOT NULL,
	description text,
	follower_ids text[] NOT NULL DEFAULT '{}',
	created_at timestamptz,
	PRIMARY KEY (channel_id, id),
	CONSTRAINT chat_tags_name_unique UNIQUE (channel_id, name)
);
COMMENT ON TABLE csstats.chat_tags IS 'tags; hierarchy by ''/'' (''delivery/late'' is a child of ''delivery'')';

CREATE TABLE csstats.marketing_messages (
	channel_id text NOT NULL REFERENCES csstats.channels (id) ON DELETE CASCADE,
	id text NOT NULL,
	type text NOT NULL
		CONSTRAINT marketing_messages_type_valid CHECK (type IN ('oneTimeMsg', 'campaign')),
	name text,
	created_at timestamptz,
	PRIMARY KEY (channel_id, id)
);

-------------------------------------------------------------------------------
-- Conversations
-------------------------------------------------------------------------------

CREATE TABLE csstats.user_chats (
	channel_id text NOT NULL REFERENCES csstats.channels (id) ON DELETE CASCADE,
	id text NOT NULL,
	user_id text,
	name text,
	description text,
	summarized_message text,
	state text NOT NULL
		CONSTRAINT user_chats_state_valid CHECK (state IN ('queued', 'open', 'snoozed', 'closed', 'missed')),
	direction text NOT NULL DEFAULT 'inbound'
		CONSTRAINT user_chats_direction_valid CHECK (direction IN ('inbound', 'outbound')),
	medium_name text
		CONSTRAINT user_chats_medium_name_valid CHECK (medium_name IN ('inAppChat', 'phoneNumber', 'email',
			'appNaverTalk', 'appInstagramMessenger', 'appLine', 'appKakao')),
	medium_sender_name text,
	marketing_type text
		CONSTRAINT user_chats_marketing_type_valid CHECK (marketing_type IN ('oneTimeMsg', 'campaign')),
	marketing_id text,
	workflow_id text,
	support_bot_id text,
	assignee_id text,
	team_id text,
	manager_ids text[] NOT NULL DEFAULT '{}',
	tags text[] NOT NULL DEFAULT '{}'
		CONSTRAINT user_chats_at_most_8_tags CHECK (pg_catalog.cardinality(tags) <= 8),
	priority text
		CONSTRAINT user_chats_priority_valid CHECK (priority IN ('high', 'medium', 'low')),
	page text,
	goal_state text,
	goal_event_name text,
	goal_checked_at timestamptz,
	profile jsonb NOT NULL DEFAULT '{}'
		CONSTRAINT user_chats_profile_is_object CHECK (csstats._is_json_object(profile)),
	created_at timestamptz NOT NULL,
	updated_at timestamptz,
	PRIMARY KEY (channel_id, id)
);
COMMENT ON TABLE csstats.user_chats IS 'one row per chat: its CURRENT state (chat_events hold the history)';
CREATE INDEX user_chats_created_at_idx ON csstats.user_chats (channel_id, created_at);
CREATE INDEX user_chats_user_idx ON csstats.user_chats (channel_id, user_id);

CREATE TABLE csstats.messages (
	channel_id text NOT NULL,
	id text NOT NULL,
	chat_id text NOT NULL,
	person_type text NOT NULL
		CONSTRAINT messages_person_type_valid CHECK (person_type IN ('user', 'manager', 'bot')),
	person_id text,
	created_at timestamptz NOT NULL,
	plain_text text,
	PRIMARY KEY (channel_id, id),
	CONSTRAINT messages_chat_exists FOREIGN KEY (channel_id, chat_id)
		REFERENCES csstats.user_chats (channel_id, id) ON DELETE CASCADE
);
CREATE INDEX messages_chat_idx ON csstats.messages (channel_id, chat_id, created_at);

CREATE TABLE csstats.chat_events (
	id bigint GENERATED BY DEFAULT AS IDENTITY,
	channel_id text NOT NULL,
	chat_id text NOT NULL,
	at timestamptz NOT NULL,
	kind text NOT NULL
		CONSTRAINT chat_events_kind_valid CHECK (kind IN ('queued', 'opened', 'snoozed', 'closed', 'missed',
			'assigned', 'team_assigned', 'tag_added', 'tag_removed', 'follower_added', 'follower_removed',
			'priority_changed', 'profile_changed')),
	actor_id text,
	value text,
	PRIMARY KEY (channel_id, id),
	CONSTRAINT chat_events_chat_exists FOREIGN KEY (channel_id, chat_id)
		REFERENCES csstats.user_chats (channel_id, id) ON DELETE CASCADE,
	-- Values each kind needs: a tag or follower event names what it adds or
	-- removes, a priority change names a valid priority, a profile change is a
	-- JSON object.
	CONSTRAINT chat_events_value_valid CHECK (
		CASE kind
			WHEN 'tag_added' THEN value IS NOT NULL
			WHEN 'tag_removed' THEN value IS NOT NULL
			WHEN 'follower_added' THEN value IS NOT NULL
			WHEN 'follower_removed' THEN value IS NOT NULL
			WHEN 'priority_changed' THEN value IN ('high', 'medium', 'low')
			WHEN 'profile_changed' THEN csstats._text_is_json_object(value)
			ELSE true
		END)
);
COMMENT ON TABLE csstats.chat_events IS 'the history of each chat; equal at are applied in id order';
CREATE INDEX chat_events_chat_idx ON csstats.chat_events (channel_id, chat_id, at);

CREATE TABLE csstats.meets (
	channel_id text NOT NULL,
	id text NOT NULL,
	user_chat_id text NOT NULL,
	type text NOT NULL
		CONSTRAINT meets_type_valid CHECK (type IN ('call', 'frontMeet')),
	direction text
		CONSTRAINT meets_direction_valid CHECK (direction IN ('inbound', 'outbound')),
	started_at timestamptz,
	engaged_at timestamptz,
	ended_at timestamptz,
	from_number text,
	to_number text,
	missed_reason text
		CONSTRAINT meets_missed_reason_valid CHECK (missed_reason IN ('notInOperation', 'noOperator',
			'abandonedInQueue', 'ringTimeOver', 'userleft', 'preservedNumber', 'unregisteredNumber',
			'exceededQueue', 'workflow')),
	duration double precision
		CONSTRAINT meets_duration_not_negative CHECK (duration >= 0),
	primary_number text,
	representative_number text,
	PRIMARY KEY (channel_id, id),
	CONSTRAINT meets_chat_exists FOREIGN KEY (channel_id, user_chat_id)
		REFERENCES csstats.user_chats (channel_id, id) ON DELETE CASCADE
);
CREATE INDEX meets_chat_idx ON csstats.meets (channel_id, user_chat_id, started_at);

CREATE TABLE csstats.workflow_runs (
	channel_id text NOT NULL,
	chat_id text NOT NULL,
	workflow_id text NOT NULL,
	revision_id text,
	section_path text[] NOT NULL DEFAULT '{}',
	cause_of_end text
		CONSTRAINT workflow_runs_cause_of_end_valid CHECK (cause_of_end IN ('endWithoutError',
			'interruptByManager', 'interruptByUser')),
	CONSTRAINT workflow_runs_chat_exists FOREIGN KEY (channel_id, chat_id)
		REFERENCES csstats.user_chats (channel_id, id) ON DELETE CASCADE
);
CREATE INDEX workflow_runs_chat_idx ON csstats.workflow_runs (channel_id, chat_id);

CREATE TABLE csstats.support_bot_runs (
	channel_id text NOT NULL,
	chat_id text NOT NULL,
	support_bot_id text NOT NULL,
	revision_id text,
	section_path text[] NOT NULL DEFAULT '{}',
	CONSTRAINT support_bot_runs_chat_exists FOREIGN KEY (channel_id, chat_id)
		REFERENCES csstats.user_chats (channel_id, id) ON DELETE CASCADE
);
CREATE INDEX support_bot_runs_chat_idx ON csstats.support_bot_runs (channel_id, chat_id);

-------------------------------------------------------------------------------
-- pg_dump must back up the data: extension tables are skipped otherwise.
-------------------------------------------------------------------------------
SELECT pg_catalog.pg_extension_config_dump('csstats.channels', '');
SELECT pg_catalog.pg_extension_config_dump('csstats.operating_hours', '');
SELECT pg_catalog.pg_extension_config_dump('csstats.holidays', '');
SELECT pg_catalog.pg_extension_config_dump('csstats.special_hours', '');
SELECT pg_catalog.pg_extension_config_dump('csstats.users', '');
SELECT pg_catalog.pg_extension_config_dump('csstats.user_profile_fields', '');
SELECT pg_catalog.pg_extension_config_dump('csstats.chat_profile_fields', '');
SELECT pg_catalog.pg_extension_config_dump('csstats.managers', '');
SELECT pg_catalog.pg_extension_config_dump('csstats.teams', '');
SELECT pg_catalog.pg_extension_config_dump('csstats.bots', '');
SELECT pg_catalog.pg_extension_config_dump('csstats.chat_tags', '');
SELECT pg_catalog.pg_extension_config_dump('csstats.marketing_messages', '');
SELECT pg_catalog.pg_extension_config_dump('csstats.user_chats', '');
SELECT pg_catalog.pg_extension_config_dump('csstats.messages', '');
SELECT pg_catalog.pg_extension_config_dump('csstats.chat_events', '');
SELECT pg_catalog.pg_extension_config_dump('csstats.chat_events_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('csstats.meets', '');
SELECT pg_catalog.pg_extension_config_dump('csstats.workflow_runs', '');
SELECT pg_catalog.pg_extension_config_dump('csstats.support_bot_runs', '');
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
--------------------------------------------------------------------------------
-- Operating hours: business_seconds and is_operating (src/calendar.c)
--------------------------------------------------------------------------------

CREATE FUNCTION csstats.business_seconds(since timestamptz, until timestamptz, channel_id text)
RETURNS double precision
AS 'MODULE_PATHNAME', 'csstats_business_seconds'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION csstats.business_seconds(timestamptz, timestamptz, text) IS
	'real seconds of [since, until) inside the channel''s operating hours (weekly hours of the version in force, special_hours, holidays, in the channel''s time zone); 0 for reversed or empty spans';

CREATE FUNCTION csstats.is_operating(at timestamptz, channel_id text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'csstats_is_operating'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION csstats.is_operating(timestamptz, text) IS
	'whether the instant is inside the channel''s operating hours (an interval includes its opening and excludes its closing time)';

-- Plain DML sends no cache invalidation: these statement-level triggers make
-- every backend drop its compiled schedules after a change (src/calendar.c).
CREATE FUNCTION csstats._calendar_changed()
RETURNS trigger
AS 'MODULE_PATHNAME', 'csstats_calendar_changed'
LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE;
COMMENT ON FUNCTION csstats._calendar_changed() IS
	'internal trigger: invalidates the cached operating-hours schedules in all sessions';

CREATE TRIGGER calendar_changed
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON csstats.channels
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._calendar_changed();
CREATE TRIGGER calendar_changed
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON csstats.operating_hours
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._calendar_changed();
CREATE TRIGGER calendar_changed
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON csstats.holidays
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._calendar_changed();
CREATE TRIGGER calendar_changed
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON csstats.special_hours
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._calendar_changed();
/*
 * Chat and case metrics (metrics.md): the timeline view, the result types and
 * the C aggregates over one chat's timeline.  The documented form passes the
 * whole row:
 *
 *   SELECT chat_id, (csstats.chat_metrics(t, '2025-03-04 12:00+09')).*
 *   FROM csstats.timeline t WHERE channel_id = 'ch1' GROUP BY chat_id;
 *
 *   SELECT c.*
 *   FROM (SELECT csstats.case_metrics(t) AS cases
 *         FROM csstats.timeline t WHERE channel_id = 'ch1' GROUP BY chat_id) s,
 *        unnest(s.cases) c;
 *
 * The fast path passes the columns instead: no composite is built and taken
 * apart per row (test/bench/40_metrics.sh: chat metrics about 20 % faster
 * than the whole-row form):
 *
 *   SELECT chat_id, (csstats.chat_metrics(channel_id, chat_id, at, seq, kind,
 *          event_id, item_id, '2025-03-04 12:00+09')).*
 *   FROM csstats.timeline WHERE channel_id = 'ch1' GROUP BY chat_id;
 *
 *   SELECT c.*
 *   FROM (SELECT csstats.case_metrics(channel_id, chat_id, at, seq, kind,
 *                event_id, item_id, value, medium_name, direction, state,
 *                assignee_id, team_id, manager_ids, tags, priority, profile) AS cases
 *         FROM csstats.timeline WHERE channel_id = 'ch1' GROUP BY chat_id) s,
 *        unnest(s.cases) c;
 *
 * The aggregates sort the rows of a chat themselves (at, then seq, then
 * event_id / item_id), so ORDER BY inside the call is accepted but not
 * needed.  They are parallel aggregates: a chat's rows may be read by
 * several workers and their partial states are concatenated.
 */

-------------------------------------------------------------------------------
-- Result types.  Column names are the snake_case sheet names of the seeds, so
-- the sheet functions select them as they are.  Durations are seconds
-- (double precision); a metric that cannot be computed is NULL.
-------------------------------------------------------------------------------

CREATE TYPE csstats.chat_metrics_result AS (
	first_asked_at timestamptz,
	first_queued_at timestamptz,
	first_opened_at timestamptz,
	first_replied_at timestamptz,
	opened_at timestamptz,
	first_replied_at_after_open timestamptz,
	created_at timestamptz,
	waiting_time double precision,
	avg_reply_time double precision,
	total_reply_time double precision,
	reply_count integer,
	resolution_time double precision,
	operation_waiting_time double precision,
	operation_avg_reply_time double precision,
	operation_total_reply_time double precision,
	operation_reply_count integer,
	operation_resolution_time double precision,
	closed_at timestamptz
);
COMMENT ON TYPE csstats.chat_metrics_result IS
	'chat-level metrics of metrics.md (the latest open period); result of csstats.chat_metrics';

CREATE TYPE csstats.case_metrics_result AS (
	user_chat_id text,
	user_chat_case integer,
	user_chat_case_id text,
	user_chat_case_created_at timestamptz,
	user_chat_case_updated_at timestamptz,
	user_chat_case_state text,
	user_chat_state text,
	team_id text,
	assignee_id text,
	manager_ids text[],
	tags text[],
	priority text,
	profile jsonb,
	first_queued_at timestamptz,
	first_opened_at timestamptz,
	first_asked_at timestamptz,
	first_replied_at timestamptz,
	closed_at timestamptz,
	waiting_time double precision,
	total_reply_time double precision,
	reply_count integer,
	avg_reply_time double precision,
	resolution_time double precision,
	total_snoozed_time double precision,
	lead_time double precision,
	snoozed_count integer,
	missed_count integer,
	operation_waiting_time double precision,
	operation_reply_count integer,
	operation_total_reply_time double precision,
	operation_avg_reply_time double precision,
	operation_resolution_time double precision,
	operation_lead_time double precision
);
COMMENT ON TYPE csstats.case_metrics_result IS
	'case-level metrics of metrics.md, one per case; element type of csstats.case_metrics';

-------------------------------------------------------------------------------
-- The timeline: one chat's history as rows, in the order metrics.md defines.
-- seq ranks items at the same instant: 0 the chat itself (its current row,
-- at = created_at), 1 chat_events, 2 meets, 3 messages; within a rank,
-- events go by event_id and meets and messages by item_id (C collation).
-- The 'chat' row carries the current user_chats values the aggregates need
-- (created_at, medium, and the fallback of every replayed attribute); the
-- other rows leave those columns NULL.
-------------------------------------------------------------------------------

CREATE VIEW csstats.timeline AS
	SELECT c.channel_id, c.id AS chat_id, c.created_at AS at, 0::smallint AS seq,
		'chat'::text AS kind, NULL::bigint AS event_id, NULL::text COLLATE "C" AS item_id,
		NULL::text AS value,
		c.medium_name, c.direction, c.state, c.assignee_id, c.team_id, c.manager_ids,
		c.tags, c.priority, c.profile
	FROM csstats.user_chats c
	UNION ALL
	SELECT e.channel_id, e.chat_id, e.at, 1::smallint, e.kind, e.id, NULL, e.value,
		NULL, NULL, NULL, NULL, NULL, NULL::text[], NULL::text[], NULL, NULL::jsonb
	FROM csstats.chat_events e
	UNION ALL
	SELECT m.channel_id, m.user_chat_id, m.started_at, 2::smallint, 'meet', NULL,
		m.id COLLATE "C", m.missed_reason,
		NULL, NULL, NULL, NULL, NULL, NULL::text[], NULL::text[], NULL, NULL::jsonb
	FROM csstats.meets m
	WHERE m.started_at IS NOT NULL
	UNION ALL
	SELECT m.channel_id, m.chat_id, m.created_at, 3::smallint, m.person_type, NULL,
		m.id COLLATE "C", NULL,
		NULL, NULL, NULL, NULL, NULL, NULL::text[], NULL::text[], NULL, NULL::jsonb
	FROM csstats.messages m;
COMMENT ON VIEW csstats.timeline IS
	'messages, chat_events, meets and the chat row merged; order by (at, seq, event_id, item_id)';

-------------------------------------------------------------------------------
-- The aggregates.  One group = one chat (GROUP BY chat_id); rows of another
-- chat in the same group are an error.  as_of (default now()) cuts the
-- timeline: rows after it are ignored.  The state (internal) is the chat's
-- rows, which the final function sorts: partial states of one chat combine
-- by concatenation, so the aggregates run in parallel plans (Partial /
-- Finalize Aggregate), passing states as bytea between processes.
-------------------------------------------------------------------------------

CREATE FUNCTION csstats._metrics_combine(internal, internal)
	RETURNS internal
	AS 'MODULE_PATHNAME', 'csstats_metrics_combine'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION csstats._metrics_combine(internal, internal) IS
	'combine function of csstats.chat_metrics and csstats.case_metrics: concatenates two partial states of a chat';

CREATE FUNCTION csstats._metrics_serial(internal)
	RETURNS bytea
	AS 'MODULE_PATHNAME', 'csstats_metrics_serial'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION csstats._metrics_serial(internal) IS
	'serial function of csstats.chat_metrics and csstats.case_metrics';

CREATE FUNCTION csstats._metrics_deserial(bytea, internal)
	RETURNS internal
	AS 'MODULE_PATHNAME', 'csstats_metrics_deserial'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION csstats._metrics_deserial(bytea, internal) IS
	'deserial function of csstats.chat_metrics and csstats.case_metrics (checks the data)';

CREATE FUNCTION csstats._chat_metrics_final(internal)
	RETURNS csstats.chat_metrics_result
	AS 'MODULE_PATHNAME', 'csstats_chat_metrics_final'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION csstats._chat_metrics_final(internal) IS
	'final function of csstats.chat_metrics: runs the timeline state machine';

CREATE FUNCTION csstats._case_metrics_final(internal)
	RETURNS csstats.case_metrics_result[]
	AS 'MODULE_PATHNAME', 'csstats_case_metrics_final'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION csstats._case_metrics_final(internal) IS
	'final function of csstats.case_metrics: splits the timeline into cases';

-- whole-row forms
CREATE FUNCTION csstats._chat_metrics_trans(internal, csstats.timeline, timestamptz)
	RETURNS internal
	AS 'MODULE_PATHNAME', 'csstats_chat_metrics_trans'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION csstats._chat_metrics_trans(internal, csstats.timeline, timestamptz) IS
	'transition function of csstats.chat_metrics(timeline, as_of)';

CREATE FUNCTION csstats._chat_metrics_trans(internal, csstats.timeline)
	RETURNS internal
	AS 'MODULE_PATHNAME', 'csstats_chat_metrics_trans'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION csstats._chat_metrics_trans(internal, csstats.timeline) IS
	'transition function of csstats.chat_metrics(timeline): as_of = now()';

CREATE FUNCTION csstats._case_metrics_trans(internal, csstats.timeline, timestamptz)
	RETURNS internal
	AS 'MODULE_PATHNAME', 'csstats_case_metrics_trans'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION csstats._case_metrics_trans(internal, csstats.timeline, timestamptz) IS
	'transition function of csstats.case_metrics(timeline, as_of)';

CREATE FUNCTION csstats._case_metrics_trans(internal, csstats.timeline)
	RETURNS internal
	AS 'MODULE_PATHNAME', 'csstats_case_metrics_trans'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION csstats._case_metrics_trans(internal, csstats.timeline) IS
	'transition function of csstats.case_metrics(timeline): as_of = now()';

-- column forms (the fast path): the view's columns in the view's order
CREATE FUNCTION csstats._chat_metrics_trans(internal, text, text, timestamptz, smallint,
		text, bigint, text, timestamptz)
	RETURNS internal
	AS 'MODULE_PATHNAME', 'csstats_chat_metrics_trans_cols'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION csstats._chat_metrics_trans(internal, text, text, timestamptz, smallint,
		text, bigint, text, timestamptz) IS
	'transition function of csstats.chat_metrics(channel_id, chat_id, at, seq, kind, event_id, item_id, as_of)';

CREATE FUNCTION csstats._chat_metrics_trans(internal, text, text, timestamptz, smallint,
		text, bigint, text)
	RETURNS internal
	AS 'MODULE_PATHNAME', 'csstats_chat_metrics_trans_cols'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION csstats._chat_metrics_trans(internal, text, text, timestamptz, smallint,
		text, bigint, text) IS
	'transition function of csstats.chat_metrics(channel_id, chat_id, at, seq, kind, event_id, item_id): as_of = now()';

CREATE FUNCTION csstats._case_metrics_trans(internal, text, text, timestamptz, smallint,
		text, bigint, text, text, text, text, text, text, text, text[], text[], text, jsonb,
		timestamptz)
	RETURNS internal
	AS 'MODULE_PATHNAME', 'csstats_case_metrics_trans_cols'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION csstats._case_metrics_trans(internal, text, text, timestamptz, smallint,
		text, bigint, text, text, text, text, text, text, text, text[], text[], text, jsonb,
		timestamptz) IS
	'transition function of csstats.case_metrics(<the 17 timeline columns>, as_of)';

CREATE FUNCTION csstats._case_metrics_trans(internal, text, text, timestamptz, smallint,
		text, bigint, text, text, text, text, text, text, text, text[], text[], text, jsonb)
	RETURNS internal
	AS 'MODULE_PATHNAME', 'csstats_case_metrics_trans_cols'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION csstats._case_metrics_trans(internal, text, text, timestamptz, smallint,
		text, bigint, text, text, text, text, text, text, text, text[], text[], text, jsonb) IS
	'transition function of csstats.case_metrics(<the 17 timeline columns>): as_of = now()';

-- SSPACE is each chat's state as measured on the demo data (packed rows,
-- src/core/tlpack.c): a hash aggregate sizes its group limit from it, and
-- an overestimate made the case aggregate spill to disk at 8,000 chats
-- with half its memory budget unused.
CREATE AGGREGATE csstats.chat_metrics(csstats.timeline, timestamptz) (
	SFUNC = csstats._chat_metrics_trans,
	STYPE = internal,
	SSPACE = 2048,
	FINALFUNC = csstats._chat_metrics_final,
	FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = csstats._metrics_combine,
	SERIALFUNC = csstats._metrics_serial,
	DESERIALFUNC = csstats._metrics_deserial,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE csstats.chat_metrics(csstats.timeline, timestamptz) IS
	'chat-level metrics (metrics.md) of one chat''s timeline rows as of a time';

CREATE AGGREGATE csstats.chat_metrics(csstats.timeline) (
	SFUNC = csstats._chat_metrics_trans,
	STYPE = internal,
	SSPACE = 2048,
	FINALFUNC = csstats._chat_metrics_final,
	FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = csstats._metrics_combine,
	SERIALFUNC = csstats._metrics_serial,
	DESERIALFUNC = csstats._metrics_deserial,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE csstats.chat_metrics(csstats.timeline) IS
	'chat-level metrics (metrics.md) of one chat''s timeline rows as of now()';

CREATE AGGREGATE csstats.chat_metrics(channel_id text, chat_id text, at timestamptz,
		seq smallint, kind text, event_id bigint, item_id text, as_of timestamptz) (
	SFUNC = csstats._chat_metrics_trans,
	STYPE = internal,
	SSPACE = 1024,
	FINALFUNC = csstats._chat_metrics_final,
	FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = csstats._metrics_combine,
	SERIALFUNC = csstats._metrics_serial,
	DESERIALFUNC = csstats._metrics_deserial,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE csstats.chat_metrics(text, text, timestamptz, smallint, text, bigint,
		text, timestamptz) IS
	'chat-level metrics (metrics.md) as of a time, from the timeline columns (the fast path of chat_metrics(timeline, as_of))';

CREATE AGGREGATE csstats.chat_metrics(channel_id text, chat_id text, at timestamptz,
		seq smallint, kind text, event_id bigint, item_id text) (
	SFUNC = csstats._chat_metrics_trans,
	STYPE = internal,
	SSPACE = 1024,
	FINALFUNC = csstats._chat_metrics_final,
	FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = csstats._metrics_combine,
	SERIALFUNC = csstats._metrics_serial,
	DESERIALFUNC = csstats._metrics_deserial,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE csstats.chat_metrics(text, text, timestamptz, smallint, text, bigint,
		text) IS
	'chat-level metrics (metrics.md) as of now(), from the timeline columns (the fast path of chat_metrics(timeline))';

CREATE AGGREGATE csstats.case_metrics(csstats.timeline, timestamptz) (
	SFUNC = csstats._case_metrics_trans,
	STYPE = internal,
	SSPACE = 2048,
	FINALFUNC = csstats._case_metrics_final,
	FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = csstats._metrics_combine,
	SERIALFUNC = csstats._metrics_serial,
	DESERIALFUNC = csstats._metrics_deserial,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE csstats.case_metrics(csstats.timeline, timestamptz) IS
	'case-level metrics (metrics.md) of one chat''s timeline rows as of a time: one element per case';

CREATE AGGREGATE csstats.case_metrics(csstats.timeline) (
	SFUNC = csstats._case_metrics_trans,
	STYPE = internal,
	SSPACE = 2048,
	FINALFUNC = csstats._case_metrics_final,
	FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = csstats._metrics_combine,
	SERIALFUNC = csstats._metrics_serial,
	DESERIALFUNC = csstats._metrics_deserial,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE csstats.case_metrics(csstats.timeline) IS
	'case-level metrics (metrics.md) of one chat''s timeline rows as of now(): one element per case';

CREATE AGGREGATE csstats.case_metrics(channel_id text, chat_id text, at timestamptz,
		seq smallint, kind text, event_id bigint, item_id text, value text,
		medium_name text, direction text, state text, assignee_id text, team_id text,
		manager_ids text[], tags text[], priority text, profile jsonb, as_of timestamptz) (
	SFUNC = csstats._case_metrics_trans,
	STYPE = internal,
	SSPACE = 2048,
	FINALFUNC = csstats._case_metrics_final,
	FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = csstats._metrics_combine,
	SERIALFUNC = csstats._metrics_serial,
	DESERIALFUNC = csstats._metrics_deserial,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE csstats.case_metrics(text, text, timestamptz, smallint, text, bigint,
		text, text, text, text, text, text, text, text[], text[], text, jsonb, timestamptz) IS
	'case-level metrics (metrics.md) as of a time, from the 17 timeline columns in order (the fast path of case_metrics(timeline, as_of))';

CREATE AGGREGATE csstats.case_metrics(channel_id text, chat_id text, at timestamptz,
		seq smallint, kind text, event_id bigint, item_id text, value text,
		medium_name text, direction text, state text, assignee_id text, team_id text,
		manager_ids text[], tags text[], priority text, profile jsonb) (
	SFUNC = csstats._case_metrics_trans,
	STYPE = internal,
	SSPACE = 2048,
	FINALFUNC = csstats._case_metrics_final,
	FINALFUNC_MODIFY = READ_ONLY,
	COMBINEFUNC = csstats._metrics_combine,
	SERIALFUNC = csstats._metrics_serial,
	DESERIALFUNC = csstats._metrics_deserial,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE csstats.case_metrics(text, text, timestamptz, smallint, text, bigint,
		text, text, text, text, text, text, text, text[], text[], text, jsonb) IS
	'case-level metrics (metrics.md) as of now(), from the 17 timeline columns in order (the fast path of case_metrics(timeline))';
/*
 * Approximate percentiles for dashboards (src/sketch.c, src/core/ddsketch.c).
 *
 * A DDSketch keeps logarithmic buckets: every estimate is within 1 %
 * (relative) of the exact percentile_cont of the same rows, for values of one
 * sign whose nonzero magnitudes span less than a factor of 10^35 (any real
 * durations).  The minimum and maximum are exact.  NULL values are ignored;
 * zero and negative values are allowed.  The state is mergeable, so the
 * aggregates run in parallel plans (Partial Aggregate), and the result does
 * not depend on the plan: serial and parallel runs return the same numbers.
 *
 *   SELECT assignee_id, date_trunc('day', created_at) AS day,
 *          csstats.approx_percentiles(waiting_time, '{0.5,0.9}') AS p50_p90
 *   FROM ... GROUP BY 1, 2;
 */

CREATE FUNCTION csstats.approx_percentile_trans(internal, double precision, double precision)
	RETURNS internal
	AS 'MODULE_PATHNAME', 'csstats_sketch_trans'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION csstats.approx_percentile_trans(internal, double precision, double precision) IS
	'transition function of csstats.approx_percentile: adds a value to the sketch';

CREATE FUNCTION csstats.approx_percentiles_trans(internal, double precision, double precision[])
	RETURNS internal
	AS 'MODULE_PATHNAME', 'csstats_sketch_trans_multi'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION csstats.approx_percentiles_trans(internal, double precision, double precision[]) IS
	'transition function of csstats.approx_percentiles: adds a value to the sketch';

-- Not STRICT: the combine function handles NULL states itself.
CREATE FUNCTION csstats.approx_percentile_combine(internal, internal)
	RETURNS internal
	AS 'MODULE_PATHNAME', 'csstats_sketch_combine'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION csstats.approx_percentile_combine(internal, internal) IS
	'combine function of the approximate percentile aggregates: merges two sketches';

CREATE FUNCTION csstats.approx_percentile_serial(internal)
	RETURNS bytea
	AS 'MODULE_PATHNAME', 'csstats_sketch_serial'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION csstats.approx_percentile_serial(internal) IS
	'serialization function of the approximate percentile aggregates (versioned bytea)';

CREATE FUNCTION csstats.approx_percentile_deserial(bytea, internal)
	RETURNS internal
	AS 'MODULE_PATHNAME', 'csstats_sketch_deserial'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION csstats.approx_percentile_deserial(bytea, internal) IS
	'deserialization function of the approximate percentile aggregates; validates its input';

CREATE FUNCTION csstats.approx_percentile_final(internal)
	RETURNS double precision
	AS 'MODULE_PATHNAME', 'csstats_sketch_final'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION csstats.approx_percentile_final(internal) IS
	'final function of csstats.approx_percentile';

CREATE FUNCTION csstats.approx_percentiles_final(internal)
	RETURNS double precision[]
	AS 'MODULE_PATHNAME', 'csstats_sketch_final_multi'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION csstats.approx_percentiles_final(internal) IS
	'final function of csstats.approx_percentiles';

CREATE AGGREGATE csstats.approx_percentile(value double precision, q double precision) (
	SFUNC = csstats.approx_percentile_trans,
	STYPE = internal,
	SSPACE = 4096,
	FINALFUNC = csstats.approx_percentile_final,
	COMBINEFUNC = csstats.approx_percentile_combine,
	SERIALFUNC = csstats.approx_percentile_serial,
	DESERIALFUNC = csstats.approx_percentile_deserial,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE csstats.approx_percentile(double precision, double precision) IS
	'approximate percentile_cont (DDSketch): within 1 % relative error, parallel safe; q in [0, 1], the same for every row';

CREATE AGGREGATE csstats.approx_percentiles(value double precision, qs double precision[]) (
	SFUNC = csstats.approx_percentiles_trans,
	STYPE = internal,
	SSPACE = 4096,
	FINALFUNC = csstats.approx_percentiles_final,
	COMBINEFUNC = csstats.approx_percentile_combine,
	SERIALFUNC = csstats.approx_percentile_serial,
	DESERIALFUNC = csstats.approx_percentile_deserial,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE csstats.approx_percentiles(double precision, double precision[]) IS
	'approximate percentile_cont for several fractions at once (one sketch): within 1 % relative error, parallel safe';
/*
 * Chat selection: the date range and the jsonb filters of export.md, shared
 * by every sheet function and by the exports.
 *
 *   csstats.chat_filter                      the parsed, validated filters
 *   csstats.parse_chat_filters(filters, since, until) -> csstats.chat_filter
 *   csstats.select_chats(channel_id, since, until, filters) -> SETOF csstats.user_chats
 *
 * Filters (a JSON object; every key optional, JSON null = not set):
 *   assignee_ids  ["m1", null]  current assignee; null selects unassigned chats
 *   team_ids      ["t1", null]  current team; null selects chats without a team
 *   states        ["open", ...] queued, open, snoozed, closed, missed
 *   mediums       ["email", ...] inAppChat, phoneNumber, email, appNaverTalk,
 *                                appInstagramMessenger, appLine, appKakao
 *   tags_any      ["delivery"]  at least one tag matches (OR search)
 *   tags_all      ["a", "b"]    every listed tag matches (AND search)
 *   chat_ids      ["c1", ...]   an explicit selection (the inbox path), at most
 *                               csstats.max_selected_chats (default 200)
 * A tag matches itself and its children: 'delivery' matches 'delivery' and
 * 'delivery/late', not 'deliveryman'.  An empty array selects nothing (for
 * tags_all: places no condition).  Keys combine with AND.
 *
 * Everything runs with the caller's rights (SECURITY INVOKER): table grants
 * and row-level security decide which chats the caller sees.
 */

CREATE TYPE csstats.chat_filter AS (
	assignee_ids text[],
	team_ids text[],
	states text[],
	mediums text[],
	tags_any text[],
	tags_all text[],
	chat_ids text[]
);
COMMENT ON TYPE csstats.chat_filter IS
	'parsed chat filters (csstats.parse_chat_filters); a NULL field places no condition';

CREATE FUNCTION csstats.parse_chat_filters(filters jsonb, since timestamptz DEFAULT NULL,
		until timestamptz DEFAULT NULL)
	RETURNS csstats.chat_filter
	LANGUAGE plpgsql STABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	f csstats.chat_filter;
	k text;
	v jsonb;
	elem jsonb;
	vals text[];
	bad text;
	lim integer;
	keys CONSTANT text[] := ARRAY['assignee_ids', 'team_ids', 'states', 'mediums',
		'tags_any', 'tags_all', 'chat_ids'];
	all_states CONSTANT text[] := ARRAY['queued', 'open', 'snoozed', 'closed', 'missed'];
	all_mediums CONSTANT text[] := ARRAY['inAppChat', 'phoneNumber', 'email', 'appNaverTalk',
		'appInstagramMessenger', 'appLine', 'appKakao'];
BEGIN
	IF since IS NOT NULL AND until IS NOT NULL AND since > until THEN
		RAISE EXCEPTION 'since must not be later than until'
			USING ERRCODE = 'invalid_parameter_value',
				DETAIL = format('The range [%s, %s) is reversed.', since, until);
	END IF;
	IF filters IS NULL THEN
		RETURN f;
	END IF;
	IF jsonb_typeof(filters) <> 'object' THEN
		RAISE EXCEPTION 'filters must be a JSON object'
			USING ERRCODE = 'invalid_parameter_value',
				DETAIL = format('Got a JSON %s.', jsonb_typeof(filters));
	END IF;

	FOR k, v IN SELECT e.key, e.value FROM jsonb_each(filters) e LOOP
		IF NOT k = ANY (keys) THEN
			RAISE EXCEPTION 'unknown filter key "%"', k
				USING ERRCODE = 'invalid_parameter_value',
					HINT = 'Valid keys: ' || array_to_string(keys, ', ') || '.';
		END IF;
		CONTINUE WHEN jsonb_typeof(v) = 'null';
		IF jsonb_typeof(v) <> 'array' THEN
			RAISE EXCEPTION 'filter "%" must be a JSON array of strings', k
				USING ERRCODE = 'invalid_parameter_value',
					DETAIL = format('Got a JSON %s.', jsonb_typeof(v));
		END IF;
		vals := '{}';
		FOR elem IN SELECT a.value FROM jsonb_array_elements(v) a LOOP
			IF jsonb_typeof(elem) = 'string' AND (elem #>> '{}') <> '' THEN
				vals := vals || (elem #>> '{}');
			ELSIF jsonb_typeof(elem) = 'null' AND k IN ('assignee_ids', 'team_ids') THEN
				-- null selects chats without an assignee (team)
				vals := vals || NULL::text;
			ELSE
				bad := format('Element %s is %s.', elem,
					CASE WHEN jsonb_typeof(elem) = 'string' THEN 'an empty string'
						ELSE 'a JSON ' || jsonb_typeof(elem) END);
				IF k IN ('assignee_ids', 'team_ids') THEN
					RAISE EXCEPTION 'filter "%" must be a JSON array of strings', k
						USING ERRCODE = 'invalid_parameter_value', DETAIL = bad,
							HINT = 'Use null to select chats without one.';
				END IF;
				RAISE EXCEPTION 'filter "%" must be a JSON array of strings', k
					USING ERRCODE = 'invalid_parameter_value', DETAIL = bad;
			END IF;
		END LOOP;

		CASE k
			WHEN 'assignee_ids' THEN f.assignee_ids := vals;
			WHEN 'team_ids' THEN f.team_ids := vals;
			WHEN 'states' THEN
				SELECT s INTO bad FROM unnest(vals) s WHERE NOT s = ANY (all_states) LIMIT 1;
				IF FOUND THEN
					RAISE EXCEPTION 'unknown state "%" in filter "states"', bad
						USING ERRCODE = 'invalid_parameter_value',
							HINT = 'Valid states: ' || array_to_string(all_states, ', ') || '.';
				END IF;
				f.states := vals;
			WHEN 'mediums' THEN
				SELECT s INTO bad FROM unnest(vals) s WHERE NOT s = ANY (all_mediums) LIMIT 1;
				IF FOUND THEN
					RAISE EXCEPTION 'unknown medium "%" in filter "mediums"', bad
						USING ERRCODE = 'invalid_parameter_value',
							HINT = 'Valid mediums: ' || array_to_string(all_mediums, ', ') || '.';
				END IF;
				f.mediums := vals;
			WHEN 'tags_any' THEN f.tags_any := vals;
			WHEN 'tags_all' THEN f.tags_all := vals;
			WHEN 'chat_ids' THEN
				lim := coalesce(nullif(current_setting('csstats.max_selected_chats', true), '')::integer,
					200);
				IF cardinality(vals) > lim THEN
					RAISE EXCEPTION 'too many chats selected: % chat_ids, the limit is %',
						cardinality(vals), lim
						USING ERRCODE = 'program_limit_exceeded',
							HINT = 'The limit of an explicit selection is the setting csstats.max_selected_chats.';
				END IF;
				f.chat_ids := vals;
		END CASE;
	END LOOP;
	RETURN f;
END
$$;
COMMENT ON FUNCTION csstats.parse_chat_filters(jsonb, timestamptz, timestamptz) IS
	'validates the jsonb chat filters of export.md (and that since <= until); an unknown key, a wrong type or an unknown value is an error naming it';

-- Tag hierarchy matching (src/select.c): a pattern matches a tag equal to it
-- or one of its children ('delivery' matches 'delivery/late', not 'deliveryman').
CREATE FUNCTION csstats.tags_match_any(tags text[], patterns text[])
	RETURNS boolean
	AS 'MODULE_PATHNAME', 'csstats_tags_match_any'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION csstats.tags_match_any(text[], text[]) IS
	'true when some pattern matches some tag, itself or as a parent (''delivery'' matches ''delivery/late'')';

CREATE FUNCTION csstats.tags_match_all(tags text[], patterns text[])
	RETURNS boolean
	AS 'MODULE_PATHNAME', 'csstats_tags_match_all'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION csstats.tags_match_all(text[], text[]) IS
	'true when every pattern matches some tag, itself or as a parent (AND search; true for no patterns)';

-- The filter conditions on one chat's (or case's) attributes, shared by
-- select_chats and the case sheet.  NULL fields of f place no condition.
-- Free of sub-selects and not STRICT, so the planner inlines it.
CREATE FUNCTION csstats.chat_filter_matches(f csstats.chat_filter, chat_id text,
		assignee_id text, team_id text, state text, medium text, tags text[])
	RETURNS boolean
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	RETURN (f.chat_ids IS NULL OR chat_id OPERATOR(pg_catalog.=) ANY (f.chat_ids))
		AND (f.assignee_ids IS NULL OR assignee_id OPERATOR(pg_catalog.=) ANY (f.assignee_ids)
			OR (assignee_id IS NULL AND pg_catalog.array_position(f.assignee_ids, NULL) IS NOT NULL))
		AND (f.team_ids IS NULL OR team_id OPERATOR(pg_catalog.=) ANY (f.team_ids)
			OR (team_id IS NULL AND pg_catalog.array_position(f.team_ids, NULL) IS NOT NULL))
		AND (f.states IS NULL OR state OPERATOR(pg_catalog.=) ANY (f.states))
		AND (f.mediums IS NULL OR medium OPERATOR(pg_catalog.=) ANY (f.mediums))
		AND (f.tags_any IS NULL OR csstats.tags_match_any(coalesce(tags, '{}'), f.tags_any))
		AND (f.tags_all IS NULL OR csstats.tags_match_all(coalesce(tags, '{}'), f.tags_all));
COMMENT ON FUNCTION csstats.chat_filter_matches(csstats.chat_filter, text, text, text, text, text, text[]) IS
	'true when the attributes pass the parsed filters (used by select_chats and user_chat_case_sheet)';

-- plpgsql so the filters are validated before any row is read: an invalid
-- filter is an error even when the channel has no chats.
CREATE FUNCTION csstats.select_chats(channel_id text, since timestamptz DEFAULT NULL,
		until timestamptz DEFAULT NULL, filters jsonb DEFAULT '{}')
	RETURNS SETOF csstats.user_chats
	LANGUAGE plpgsql STABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	f csstats.chat_filter := csstats.parse_chat_filters(filters, since, until);
BEGIN
	RETURN QUERY
	SELECT c.*
	FROM csstats.user_chats c
	WHERE c.channel_id = select_chats.channel_id
		AND (select_chats.since IS NULL OR c.created_at >= select_chats.since)
		AND (select_chats.until IS NULL OR c.created_at < select_chats.until)
		AND (f.chat_ids IS NULL OR c.id = ANY (f.chat_ids))
		AND csstats.chat_filter_matches(f, c.id, c.assignee_id, c.team_id, c.state,
			c.medium_name, c.tags)
	ORDER BY c.created_at, c.id;
END
$$;
COMMENT ON FUNCTION csstats.select_chats(text, timestamptz, timestamptz, jsonb) IS
	'the chats of a channel created in [since, until) (NULL = unbounded) that pass the jsonb filters, oldest first; caller''s rights';
/*
 * The UserChat and UserChatCase data sheets (seeds 001 and 002) as
 * set-returning functions.  Column names are the seeds' data names in
 * snake_case, in the seeds' order; profile.* columns are one profile jsonb
 * (the export expands it in chat_profile_fields order).
 *
 *   SELECT * FROM csstats.user_chat_sheet('ch1', '2025-03-01', '2025-04-01',
 *                                         '{"tags_any": ["delivery"]}');
 *   SELECT * FROM csstats.user_chat_case_sheet('ch1', '2025-03-01', '2025-04-01');
 *
 * Both run with the caller's rights (SECURITY INVOKER): grants and row-level
 * security on the csstats tables decide what the caller sees.  as_of is the
 * instant the sheet describes (default now(); NULL means now()): timeline
 * items after it are ignored, chats created after it are left out, and it
 * decides userChatCaseState.
 */

-- The channel's chat URL template, or an error naming the channel.
CREATE FUNCTION csstats.channel_chat_url_template(channel_id text)
	RETURNS text
	LANGUAGE plpgsql STABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	tmpl text;
BEGIN
	IF channel_id IS NULL THEN
		RAISE EXCEPTION 'channel_id must not be null'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	SELECT ch.chat_url_template INTO tmpl
	FROM csstats.channels ch WHERE ch.id = channel_chat_url_template.channel_id;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'channel "%" does not exist', channel_id
			USING ERRCODE = 'invalid_parameter_value',
				HINT = 'Channels are rows of csstats.channels.';
	END IF;
	RETURN tmpl;
END
$$;
COMMENT ON FUNCTION csstats.channel_chat_url_template(text) IS
	'the chat_url_template of a channel; an error when the channel does not exist (or is not visible)';

CREATE FUNCTION csstats.chat_url(template text, channel_id text, chat_id text)
	RETURNS text
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	RETURN pg_catalog.replace(pg_catalog.replace(template, '{channel_id}', channel_id),
		'{chat_id}', chat_id);
COMMENT ON FUNCTION csstats.chat_url(text, text, text) IS
	'the staff URL of a chat: the template with {channel_id} and {chat_id} substituted';

-- The timeline condition of a sheet's metrics query.  A selection of a
-- quarter of the channel or more is computed in one pass over the channel's
-- timeline (sequential scans, grouped by chat) and joined to the selection;
-- a smaller one reads only its chats through the (channel_id, chat_id)
-- indexes.  The sheets run the query with EXECUTE so that the planner sees
-- the constant and the array, and with enable_hashagg off: grouping by chat
-- then streams the timeline in (channel_id, chat_id) index order, one chat
-- in memory at a time, where a hash aggregate would hold every chat's
-- timeline at once (backend memory must stay flat on large channels).
CREATE FUNCTION csstats.sheet_chat_condition(channel_id text, ids text[])
	RETURNS text
	LANGUAGE plpgsql STABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	total bigint;
BEGIN
	SELECT count(*) INTO total FROM csstats.user_chats c
	WHERE c.channel_id = sheet_chat_condition.channel_id;
	IF cardinality(ids) * 4 >= total THEN
		RETURN 'true';
	END IF;
	RETURN 't.chat_id = ANY ($3)';
END
$$;
COMMENT ON FUNCTION csstats.sheet_chat_condition(text, text[]) IS
	'internal: whether a sheet reads the whole channel''s timeline or only the selected chats';

-------------------------------------------------------------------------------
-- UserChat data (seed 001, full list and order): the chat's current row, the
-- metrics of its latest open period, the chat URL and the chat profile.
-------------------------------------------------------------------------------
CREATE FUNCTION csstats.user_chat_sheet(channel_id text, since timestamptz DEFAULT NULL,
		until timestamptz DEFAULT NULL, filters jsonb DEFAULT '{}',
		as_of timestamptz DEFAULT now())
	RETURNS TABLE (
		id text,
		user_id text,
		name text,
		description text,
		summarized_message text,
		state text,
		contact_medium_type text,
		marketing_type text,
		marketing_id text,
		workflow_id text,
		manager_ids text[],
		assignee_id text,
		team_id text,
		tags text[],
		priority text,
		page text,
		first_asked_at timestamptz,
		first_queued_at timestamptz,
		first_opened_at timestamptz,
		first_replied_at timestamptz,
		opened_at timestamptz,
		first_replied_at_after_open timestamptz,
		created_at timestamptz,
		waiting_time double precision,
		avg_reply_time double precision,
		total_reply_time double precision,
		reply_count integer,
		resolution_time double precision,
		operation_waiting_time double precision,
		operation_avg_reply_time double precision,
		operation_total_reply_time double precision,
		operation_reply_count integer,
		operation_resolution_time double precision,
		closed_at timestamptz,
		goal_state text,
		goal_event_name text,
		goal_checked_at timestamptz,
		support_bot_id text,
		url text,
		profile jsonb)
	LANGUAGE plpgsql STABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
	SET enable_hashagg = off
	-- The planner cannot estimate how many chats the grouped timeline yields
	-- (it guesses 200), and with a second large channel in the database it
	-- then joined the selection by a nested loop: 100M comparisons, 4.1 s
	-- instead of 0.37 s for 10,000 chats.  Hash and merge joins are right at
	-- every size here (3 chats: 6 ms).
	SET enable_nestloop = off
AS $$
DECLARE
	tmpl text := csstats.channel_chat_url_template(user_chat_sheet.channel_id);
	asof timestamptz := coalesce(user_chat_sheet.as_of, now());
	ids text[];
BEGIN
	-- the selection, oldest first (validates the filters and the range)
	SELECT coalesce(array_agg(c.id ORDER BY c.created_at, c.id), '{}') INTO ids
	FROM csstats.select_chats(user_chat_sheet.channel_id, user_chat_sheet.since,
		user_chat_sheet.until, user_chat_sheet.filters) c
	WHERE c.created_at <= asof;

	RETURN QUERY EXECUTE format($q$
	WITH m AS (
		-- the column form of the aggregate: no composite per timeline row
		SELECT t.chat_id, csstats.chat_metrics(t.channel_id, t.chat_id, t.at, t.seq, t.kind,
			t.event_id, t.item_id, $2) AS r
		FROM csstats.timeline t
		WHERE t.channel_id = $1 AND %s
		GROUP BY t.chat_id)
	SELECT c.id, c.user_id, c.name, c.description, c.summarized_message, c.state,
		c.medium_name, c.marketing_type, c.marketing_id, c.workflow_id, c.manager_ids,
		c.assignee_id, c.team_id, c.tags, c.priority, c.page,
		(m.r).first_asked_at, (m.r).first_queued_at, (m.r).first_opened_at,
		(m.r).first_replied_at, (m.r).opened_at, (m.r).first_replied_at_after_open,
		c.created_at,
		(m.r).waiting_time, (m.r).avg_reply_time, (m.r).total_reply_time,
		(m.r).reply_count, (m.r).resolution_time,
		(m.r).operation_waiting_time, (m.r).operation_avg_reply_time,
		(m.r).operation_total_reply_time, (m.r).operation_reply_count,
		(m.r).operation_resolution_time, (m.r).closed_at,
		c.goal_state, c.goal_event_name, c.goal_checked_at, c.support_bot_id,
		csstats.chat_url($4, c.channel_id, c.id), c.profile
	FROM unnest($3) WITH ORDINALITY AS s(id, ord)
		JOIN csstats.user_chats c ON c.channel_id = $1 AND c.id = s.id
		JOIN m ON m.chat_id = s.id
	ORDER BY s.ord
	$q$, csstats.sheet_chat_condition(user_chat_sheet.channel_id, ids))
	USING user_chat_sheet.channel_id, asof, ids, tmpl;
END
$$;
COMMENT ON FUNCTION csstats.user_chat_sheet(text, timestamptz, timestamptz, jsonb, timestamptz) IS
	'UserChat data sheet (seed 001 columns in order): chats created in [since, until) passing the filters, with the metrics of their latest open period as of as_of; caller''s rights';

-------------------------------------------------------------------------------
-- UserChatCase data (seed 002 order; the operation* variants of metrics.md
-- follow missedCount).  The range selects cases by userChatCaseCreatedAt;
-- assignee, team, state and tag filters apply to the case's replayed values
-- (as of the case's end), medium and chat_ids to the chat.
-------------------------------------------------------------------------------
CREATE FUNCTION csstats.user_chat_case_sheet(channel_id text, since timestamptz DEFAULT NULL,
		until timestamptz DEFAULT NULL, filters jsonb DEFAULT '{}',
		as_of timestamptz DEFAULT now())
	RETURNS TABLE (
		user_chat_case_created_at timestamptz,
		user_chat_case integer,
		user_chat_case_id text,
		user_chat_case_state text,
		user_chat_case_updated_at timestamptz,
		user_chat_id text,
		direction text,
		user_chat_state text,
		user_chat_url text,
		team_id text,
		team_name text,
		assignee_id text,
		assignee_name text,
		manager_ids text[],
		manager_names text[],
		user_id text,
		user_name text,
		created_at timestamptz,
		first_queued_at timestamptz,
		first_opened_at timestamptz,
		first_asked_at timestamptz,
		first_replied_at timestamptz,
		closed_at timestamptz,
		waiting_time double precision,
		total_reply_time double precision,
		reply_count integer,
		avg_reply_time double precision,
		resolution_time double precision,
		total_snoozed_time double precision,
		lead_time double precision,
		snoozed_count integer,
		missed_count integer,
		operation_waiting_time double precision,
		operation_reply_count integer,
		operation_total_reply_time double precision,
		operation_avg_reply_time double precision,
		operation_resolution_time double precision,
		operation_lead_time double precision,
		description text,
		summarized_message text,
		tags text[],
		medium_name text,
		medium_sender_name text,
		marketing_type text,
		marketing_id text,
		workflow_id text,
		page text,
		priority text,
		profile jsonb)
	LANGUAGE plpgsql STABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
	SET enable_hashagg = off
AS $$
DECLARE
	tmpl text := csstats.channel_chat_url_template(user_chat_case_sheet.channel_id);
	f csstats.chat_filter := csstats.parse_chat_filters(user_chat_case_sheet.filters,
		user_chat_case_sheet.since, user_chat_case_sheet.until);
	asof timestamptz := coalesce(user_chat_case_sheet.as_of, now());
	lo timestamptz := user_chat_case_sheet.since;
	hi timestamptz := user_chat_case_sheet.until;
	ids text[];
	names jsonb;
BEGIN
	-- Candidate chats: the chat-level filters (medium, chat_ids), and for a
	-- range, a queued/opened event in it (a case created in the range starts
	-- with one).  The case-level filters apply to the computed cases.
	SELECT coalesce(array_agg(c.id), '{}') INTO ids
	FROM csstats.user_chats c
	WHERE c.channel_id = user_chat_case_sheet.channel_id
		AND c.created_at <= asof
		AND (f.chat_ids IS NULL OR c.id = ANY (f.chat_ids))
		AND (f.mediums IS NULL OR c.medium_name = ANY (f.mediums))
		AND ((lo IS NULL AND hi IS NULL) OR EXISTS (
			SELECT FROM csstats.chat_events e
			WHERE e.channel_id = c.channel_id AND e.chat_id = c.id
				AND e.kind IN ('queued', 'opened')
				AND (lo IS NULL OR e.at >= lo) AND (hi IS NULL OR e.at < hi)));

	-- manager names by id, for the assignee and the followers
	SELECT coalesce(jsonb_object_agg(mg.id, mg.name), '{}') INTO names
	FROM csstats.managers mg WHERE mg.channel_id = user_chat_case_sheet.channel_id;

	RETURN QUERY EXECUTE format($q$
	WITH m AS (
		-- the column form of the aggregate: no composite per timeline row
		SELECT t.chat_id, csstats.case_metrics(t.channel_id, t.chat_id, t.at, t.seq, t.kind,
			t.event_id, t.item_id, t.value, t.medium_name, t.direction, t.state,
			t.assignee_id, t.team_id, t.manager_ids, t.tags, t.priority, t.profile, $2) AS cases
		FROM csstats.timeline t
		WHERE t.channel_id = $1 AND %s
		GROUP BY t.chat_id)
	SELECT k.user_chat_case_created_at, k.user_chat_case, k.user_chat_case_id,
		k.user_chat_case_state, k.user_chat_case_updated_at, c.id, c.direction,
		k.user_chat_state, csstats.chat_url($4, c.channel_id, c.id),
		k.team_id, tm.name, k.assignee_id, $6 ->> k.assignee_id, k.manager_ids,
		-- follower names aligned with their ids (NULL for an unknown manager)
		CASE WHEN k.manager_ids IS NOT NULL THEN ARRAY(
			SELECT $6 ->> x.mid FROM unnest(k.manager_ids) WITH ORDINALITY AS x(mid, n)
			ORDER BY x.n) END,
		c.user_id, coalesce(u.name, c.name), c.created_at,
		k.first_queued_at, k.first_opened_at, k.first_asked_at, k.first_replied_at,
		k.closed_at, k.waiting_time, k.total_reply_time, k.reply_count,
		k.avg_reply_time, k.resolution_time, k.total_snoozed_time, k.lead_time,
		k.snoozed_count, k.missed_count,
		k.operation_waiting_time, k.operation_reply_count,
		k.operation_total_reply_time, k.operation_avg_reply_time,
		k.operation_resolution_time, k.operation_lead_time,
		c.description, c.summarized_message, k.tags, c.medium_name,
		c.medium_sender_name, c.marketing_type, c.marketing_id, c.workflow_id,
		c.page, k.priority, k.profile
	FROM unnest($3) AS s(id)
		JOIN csstats.user_chats c ON c.channel_id = $1 AND c.id = s.id
		JOIN m ON m.chat_id = s.id
		CROSS JOIN LATERAL unnest(m.cases) k
		LEFT JOIN csstats.teams tm ON tm.channel_id = c.channel_id AND tm.id = k.team_id
		LEFT JOIN csstats.users u ON u.channel_id = c.channel_id AND u.id = c.user_id
	WHERE ($7::timestamptz IS NULL OR k.user_chat_case_created_at >= $7)
		AND ($8::timestamptz IS NULL OR k.user_chat_case_created_at < $8)
		AND csstats.chat_filter_matches($5, c.id, k.assignee_id, k.team_id,
			k.user_chat_state, c.medium_name, k.tags)
	ORDER BY k.user_chat_case_created_at, c.id, k.user_chat_case
	$q$, csstats.sheet_chat_condition(user_chat_case_sheet.channel_id, ids))
	USING user_chat_case_sheet.channel_id, asof, ids, tmpl, f, names, lo, hi;
END
$$;
COMMENT ON FUNCTION csstats.user_chat_case_sheet(text, timestamptz, timestamptz, jsonb, timestamptz) IS
	'UserChatCase data sheet (seed 002 columns in order, then the operation* variants after missed_count): cases created in [since, until) passing the filters (on the case''s replayed values), as of as_of; caller''s rights';
/*
 * The data sheets related to the selected chats (seeds 001, 003, 004):
 *
 *   csstats.user_sheet           User data         customers who left the selected chats
 *   csstats.workflow_sheet       Workflow data     workflow runs of the selected chats
 *   csstats.support_bot_sheet    SupportBot data   support-bot runs of the selected chats
 *   csstats.marketing_sheet      Marketing data    marketing messages the selected chats came from
 *   csstats.manager_sheet        Manager data      the staff of the channel, settings as they are now
 *   csstats.team_sheet           Team data         teams assigned to the selected chats
 *   csstats.bot_sheet            Bot data          the bot profiles of the channel
 *   csstats.user_chat_tag_sheet  UserChatTag data  the chat tags of the channel
 *   csstats.message_sheet        Message data      messages of the selected chats
 *   csstats.user_chat_meet_sheet UserChat meet data meets (calls) of the selected chats
 *
 * Every sheet has the signature of the metric sheets
 *   (channel_id, since DEFAULT NULL, until DEFAULT NULL, filters DEFAULT '{}', as_of DEFAULT now())
 * and "the selected chats" are exactly those of user_chat_sheet:
 * csstats.select_chats(channel_id, since, until, filters) created at or
 * before as_of.  Columns are the seeds' data names in snake_case, in the
 * seeds' order; the users' profile is one profile jsonb column (the export
 * flattens it in csstats.user_sheet_profile_keys order).
 *
 * as_of (NULL means now()) makes an export reproducible: no row created after
 * it appears (chats, messages, meets by started_at, and the reference rows
 * that have a created_at).  Reference rows are otherwise shown as they are at
 * download time, as the seed says of the Manager data settings.
 *
 * The sheets where the seed says "of the channel" (Manager, Bot, UserChatTag:
 * 001 "チャネル内のスタッフ情報", "チャネルで使用しているボット",
 * "チャネルで使用している問い合わせタグ") list every such row of the channel,
 * which also makes every manager id, bot id and tag name of the other sheets
 * resolvable; their filters are still validated, so a bad filter is the same
 * error whatever sheet is read first.
 *
 * Implementation: LANGUAGE sql functions with SQL-standard bodies (BEGIN
 * ATOMIC) and no SET clause, so that the planner inlines them into the
 * caller's query: the Message data sheet (millions of rows) then streams
 * through a cursor as one indexed join, without a per-row function call or a
 * materialized function result.  A SET search_path clause would prevent the
 * inlining; it is not needed because a SQL-standard body is parsed and bound
 * when the function is created (inside CREATE EXTENSION, where pg_catalog is
 * searched first), so the caller's search_path cannot change what it means.
 * The argument checks are a pseudo-constant condition, evaluated once per
 * query (a one-time filter), never per row.
 *
 * All run with the caller's rights (SECURITY INVOKER): table grants and
 * row-level security on the csstats tables decide what the caller sees.
 */

-- Validates the common sheet arguments: the channel exists (and is visible to
-- the caller), the range is not reversed, the filters are valid.  Returns
-- true or raises; used as a one-time filter by the sheets below.
CREATE FUNCTION csstats._sheet_arguments_valid(channel_id text, since timestamptz,
		until timestamptz, filters jsonb)
	RETURNS boolean
	LANGUAGE plpgsql STABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF channel_id IS NULL THEN
		RAISE EXCEPTION 'channel_id must not be null'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	PERFORM FROM csstats.channels ch WHERE ch.id = _sheet_arguments_valid.channel_id;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'channel "%" does not exist', channel_id
			USING ERRCODE = 'invalid_parameter_value',
				HINT = 'Channels are rows of csstats.channels.';
	END IF;
	PERFORM csstats.parse_chat_filters(filters, since, until);
	RETURN true;
END
$$;
COMMENT ON FUNCTION csstats._sheet_arguments_valid(text, timestamptz, timestamptz, jsonb) IS
	'true when the channel exists (visible to the caller), since <= until and the filters are valid; raises otherwise (sheet functions call it once per query)';

-------------------------------------------------------------------------------
-- User data: the customers who left the selected chats (one row per customer),
-- with all their profile data.  A chat whose user_id has no users row adds no
-- row.  Ordered by id.
-------------------------------------------------------------------------------
CREATE FUNCTION csstats.user_sheet(channel_id text, since timestamptz DEFAULT NULL,
		until timestamptz DEFAULT NULL, filters jsonb DEFAULT '{}',
		as_of timestamptz DEFAULT now())
	RETURNS TABLE (
		id text,
		channel_id text,
		member_id text,
		name text,
		created_at timestamptz,
		updated_at timestamptz,
		profile jsonb)
	LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT u.id, u.channel_id, u.member_id, u.name, u.created_at, u.updated_at, u.profile
	FROM csstats.users u
	WHERE csstats._sheet_arguments_valid(user_sheet.channel_id, user_sheet.since,
			user_sheet.until, user_sheet.filters)
		AND u.channel_id = user_sheet.channel_id
		AND (u.created_at IS NULL OR u.created_at <= coalesce(user_sheet.as_of, pg_catalog.now()))
		AND u.id IN (
			SELECT c.user_id
			FROM csstats.select_chats(user_sheet.channel_id, user_sheet.since,
					user_sheet.until, user_sheet.filters) c
			WHERE c.created_at <= coalesce(user_sheet.as_of, pg_catalog.now()))
	ORDER BY u.id COLLATE pg_catalog."C";
END;
COMMENT ON FUNCTION csstats.user_sheet(text, timestamptz, timestamptz, jsonb, timestamptz) IS
	'User data sheet (seeds 001, 003, 004): the customers who left the selected chats, with all their profile data as profile jsonb (columns: csstats.user_sheet_profile_keys); caller''s rights';

-- The profile.* columns of the User data sheet, in order: every key of
-- user_profile_fields (by position, then key), then the other keys found in
-- the profiles of the sheet's customers, alphabetically ("all profile data").
CREATE FUNCTION csstats.user_sheet_profile_keys(channel_id text, since timestamptz DEFAULT NULL,
		until timestamptz DEFAULT NULL, filters jsonb DEFAULT '{}',
		as_of timestamptz DEFAULT now())
	RETURNS TABLE (
		"position" integer,
		key text,
		name text)
	LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT (pg_catalog.row_number() OVER (ORDER BY k.grp, k.pos, k.key COLLATE pg_catalog."C"))::integer,
		k.key, k.name
	FROM (
		SELECT 0 AS grp, f.position AS pos, f.key, f.name
		FROM csstats.user_profile_fields f
		WHERE f.channel_id = user_sheet_profile_keys.channel_id
		UNION ALL
		SELECT DISTINCT 1, 0, j.key, NULL::text
		FROM csstats.user_sheet(user_sheet_profile_keys.channel_id, user_sheet_profile_keys.since,
				user_sheet_profile_keys.until, user_sheet_profile_keys.filters,
				user_sheet_profile_keys.as_of) u
			CROSS JOIN LATERAL pg_catalog.jsonb_object_keys(u.profile) AS j(key)
		WHERE NOT EXISTS (
			SELECT FROM csstats.user_profile_fields f
			WHERE f.channel_id = user_sheet_profile_keys.channel_id AND f.key = j.key)) k
	ORDER BY 1;
END;
COMMENT ON FUNCTION csstats.user_sheet_profile_keys(text, timestamptz, timestamptz, jsonb, timestamptz) IS
	'the profile.* columns of the User data sheet in order: user_profile_fields by position, then other keys present in the selected customers'' profiles, alphabetically';

-------------------------------------------------------------------------------
-- Workflow data: one row per workflow run of a selected chat (the seed's
-- "workflows the chats came in through"; repeated paths keep their frequency).
-- Ordered like the chats (the UserChat sheet's order), then by workflow,
-- revision and path.
-------------------------------------------------------------------------------
CREATE FUNCTION csstats.workflow_sheet(channel_id text, since timestamptz DEFAULT NULL,
		until timestamptz DEFAULT NULL, filters jsonb DEFAULT '{}',
		as_of timestamptz DEFAULT now())
	RETURNS TABLE (
		id text,
		revision_id text,
		section_path text[],
		cause_of_end text)
	LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT w.workflow_id, w.revision_id, w.section_path, w.cause_of_end
	FROM csstats.select_chats(workflow_sheet.channel_id, workflow_sheet.since,
			workflow_sheet.until, workflow_sheet.filters) WITH ORDINALITY AS c
		JOIN csstats.workflow_runs w
			ON w.channel_id = workflow_sheet.channel_id AND w.chat_id = c.id
	WHERE csstats._sheet_arguments_valid(workflow_sheet.channel_id, workflow_sheet.since,
			workflow_sheet.until, workflow_sheet.filters)
		AND c.created_at <= coalesce(workflow_sheet.as_of, pg_catalog.now())
	ORDER BY c.ordinality, w.workflow_id COLLATE pg_catalog."C",
		w.revision_id COLLATE pg_catalog."C", w.section_path, w.cause_of_end;
END;
COMMENT ON FUNCTION csstats.workflow_sheet(text, timestamptz, timestamptz, jsonb, timestamptz) IS
	'Workflow data sheet (seed 001): one row per workflow run of the selected chats (id = workflow id); caller''s rights';

-------------------------------------------------------------------------------
-- SupportBot data: one row per support-bot run of a selected chat.
-------------------------------------------------------------------------------
CREATE FUNCTION csstats.support_bot_sheet(channel_id text, since timestamptz DEFAULT NULL,
		until timestamptz DEFAULT NULL, filters jsonb DEFAULT '{}',
		as_of timestamptz DEFAULT now())
	RETURNS TABLE (
		id text,
		revision_id text,
		section_path text[])
	LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT s.support_bot_id, s.revision_id, s.section_path
	FROM csstats.select_chats(support_bot_sheet.channel_id, support_bot_sheet.since,
			support_bot_sheet.until, support_bot_sheet.filters) WITH ORDINALITY AS c
		JOIN csstats.support_bot_runs s
			ON s.channel_id = support_bot_sheet.channel_id AND s.chat_id = c.id
	WHERE csstats._sheet_arguments_valid(support_bot_sheet.channel_id, support_bot_sheet.since,
			support_bot_sheet.until, support_bot_sheet.filters)
		AND c.created_at <= coalesce(support_bot_sheet.as_of, pg_catalog.now())
	ORDER BY c.ordinality, s.support_bot_id COLLATE pg_catalog."C",
		s.revision_id COLLATE pg_catalog."C", s.section_path;
END;
COMMENT ON FUNCTION csstats.support_bot_sheet(text, timestamptz, timestamptz, jsonb, timestamptz) IS
	'SupportBot data sheet (seeds 001, 003, 004): one row per support-bot run of the selected chats (id = support bot id); caller''s rights';

-------------------------------------------------------------------------------
-- Marketing data (seed 003: "data from chats opened through marketing"): the
-- marketing messages the selected chats came from (their marketing_id), one
-- row each, with the columns of csstats.marketing_messages.  Ordered by id.
-------------------------------------------------------------------------------
CREATE FUNCTION csstats.marketing_sheet(channel_id text, since timestamptz DEFAULT NULL,
		until timestamptz DEFAULT NULL, filters jsonb DEFAULT '{}',
		as_of timestamptz DEFAULT now())
	RETURNS TABLE (
		id text,
		channel_id text,
		type text,
		name text,
		created_at timestamptz)
	LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT mk.id, mk.channel_id, mk.type, mk.name, mk.created_at
	FROM csstats.marketing_messages mk
	WHERE csstats._sheet_arguments_valid(marketing_sheet.channel_id, marketing_sheet.since,
			marketing_sheet.until, marketing_sheet.filters)
		AND mk.channel_id = marketing_sheet.channel_id
		AND (mk.created_at IS NULL OR mk.created_at <= coalesce(marketing_sheet.as_of, pg_catalog.now()))
		AND mk.id IN (
			SELECT c.marketing_id
			FROM csstats.select_chats(marketing_sheet.channel_id, marketing_sheet.since,
					marketing_sheet.until, marketing_sheet.filters) c
			WHERE c.created_at <= coalesce(marketing_sheet.as_of, pg_catalog.now()))
	ORDER BY mk.id COLLATE pg_catalog."C";
END;
COMMENT ON FUNCTION csstats.marketing_sheet(text, timestamptz, timestamptz, jsonb, timestamptz) IS
	'Marketing data sheet (seed 003): the marketing messages the selected chats came from (their marketing_id); caller''s rights';

-------------------------------------------------------------------------------
-- Manager data (seed 001: "チャネル内のスタッフ情報", the staff of the channel):
-- every manager of the channel, removed ones included (the sheet has the
-- removed column, and old chats refer to them), with the notification and
-- operator settings as they are at download time.  Managers who joined after
-- as_of are left out.  Ordered by id.
-------------------------------------------------------------------------------
CREATE FUNCTION csstats.manager_sheet(channel_id text, since timestamptz DEFAULT NULL,
		until timestamptz DEFAULT NULL, filters jsonb DEFAULT '{}',
		as_of timestamptz DEFAULT now())
	RETURNS TABLE (
		id text,
		channel_id text,
		account_id text,
		username text,
		name text,
		email text,
		mobile_number text,
		role text,
		removed boolean,
		created_at timestamptz,
		default_group_watch text,
		default_direct_chat_watch text,
		default_user_chat_watch text,
		operator boolean,
		operator_email_reminder boolean)
	LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT m.id, m.channel_id, m.account_id, m.username, m.name, m.email, m.mobile_number,
		m.role, m.removed, m.created_at, m.default_group_watch, m.default_direct_chat_watch,
		m.default_user_chat_watch, m.operator, m.operator_email_reminder
	FROM csstats.managers m
	WHERE csstats._sheet_arguments_valid(manager_sheet.channel_id, manager_sheet.since,
			manager_sheet.until, manager_sheet.filters)
		AND m.channel_id = manager_sheet.channel_id
		AND (m.created_at IS NULL OR m.created_at <= coalesce(manager_sheet.as_of, pg_catalog.now()))
	ORDER BY m.id COLLATE pg_catalog."C";
END;
COMMENT ON FUNCTION csstats.manager_sheet(text, timestamptz, timestamptz, jsonb, timestamptz) IS
	'Manager data sheet (seed 001): the staff of the channel (removed included), settings as they are at download time; caller''s rights';

-------------------------------------------------------------------------------
-- Team data (seed 001: "接客チャットに割り当てられたチームの情報"): the teams
-- the selected chats are assigned to (their current team_id, the UserChat
-- sheet's teamId).  Ordered by id.
-------------------------------------------------------------------------------
CREATE FUNCTION csstats.team_sheet(channel_id text, since timestamptz DEFAULT NULL,
		until timestamptz DEFAULT NULL, filters jsonb DEFAULT '{}',
		as_of timestamptz DEFAULT now())
	RETURNS TABLE (
		id text,
		channel_id text,
		name text,
		manager_ids text[])
	LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT t.id, t.channel_id, t.name, t.manager_ids
	FROM csstats.teams t
	WHERE csstats._sheet_arguments_valid(team_sheet.channel_id, team_sheet.since,
			team_sheet.until, team_sheet.filters)
		AND t.channel_id = team_sheet.channel_id
		AND t.id IN (
			SELECT c.team_id
			FROM csstats.select_chats(team_sheet.channel_id, team_sheet.since,
					team_sheet.until, team_sheet.filters) c
			WHERE c.created_at <= coalesce(team_sheet.as_of, pg_catalog.now()))
	ORDER BY t.id COLLATE pg_catalog."C";
END;
COMMENT ON FUNCTION csstats.team_sheet(text, timestamptz, timestamptz, jsonb, timestamptz) IS
	'Team data sheet (seed 001): the teams the selected chats are assigned to; caller''s rights';

-------------------------------------------------------------------------------
-- Bot data (seed 001: "チャネルで使用しているボットのプロフィール"): the bot
-- profiles of the channel.  Ordered by id.
-------------------------------------------------------------------------------
CREATE FUNCTION csstats.bot_sheet(channel_id text, since timestamptz DEFAULT NULL,
		until timestamptz DEFAULT NULL, filters jsonb DEFAULT '{}',
		as_of timestamptz DEFAULT now())
	RETURNS TABLE (
		id text,
		channel_id text,
		name text,
		created_at timestamptz)
	LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT b.id, b.channel_id, b.name, b.created_at
	FROM csstats.bots b
	WHERE csstats._sheet_arguments_valid(bot_sheet.channel_id, bot_sheet.since,
			bot_sheet.until, bot_sheet.filters)
		AND b.channel_id = bot_sheet.channel_id
		AND (b.created_at IS NULL OR b.created_at <= coalesce(bot_sheet.as_of, pg_catalog.now()))
	ORDER BY b.id COLLATE pg_catalog."C";
END;
COMMENT ON FUNCTION csstats.bot_sheet(text, timestamptz, timestamptz, jsonb, timestamptz) IS
	'Bot data sheet (seed 001): the bot profiles of the channel; caller''s rights';

-------------------------------------------------------------------------------
-- UserChatTag data (seed 001: "チャネルで使用している問い合わせタグ"): the chat
-- tags of the channel.  Ordered by name, so children follow their parent.
-------------------------------------------------------------------------------
CREATE FUNCTION csstats.user_chat_tag_sheet(channel_id text, since timestamptz DEFAULT NULL,
		until timestamptz DEFAULT NULL, filters jsonb DEFAULT '{}',
		as_of timestamptz DEFAULT now())
	RETURNS TABLE (
		id text,
		channel_id text,
		name text,
		description text,
		follower_ids text[],
		created_at timestamptz)
	LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT t.id, t.channel_id, t.name, t.description, t.follower_ids, t.created_at
	FROM csstats.chat_tags t
	WHERE csstats._sheet_arguments_valid(user_chat_tag_sheet.channel_id, user_chat_tag_sheet.since,
			user_chat_tag_sheet.until, user_chat_tag_sheet.filters)
		AND t.channel_id = user_chat_tag_sheet.channel_id
		AND (t.created_at IS NULL OR t.created_at <= coalesce(user_chat_tag_sheet.as_of, pg_catalog.now()))
	ORDER BY t.name COLLATE pg_catalog."C", t.id COLLATE pg_catalog."C";
END;
COMMENT ON FUNCTION csstats.user_chat_tag_sheet(text, timestamptz, timestamptz, jsonb, timestamptz) IS
	'UserChatTag data sheet (seed 001): the chat tags of the channel; caller''s rights';

-------------------------------------------------------------------------------
-- Message data: every message of the selected chats created at or before
-- as_of, in the order of the UserChat sheet (select_chats returns the chats
-- oldest first: chat created_at, chat id), then by message time and id.
-- Inlined into the caller's query, this is a nested loop over the selected
-- chats with an index scan of messages_chat_idx per chat; the ordinality of
-- the chat list is a sort key the planner knows is presorted, so the only
-- sort is an incremental one within each chat (memory bounded by the largest
-- chat): the rows stream.
-------------------------------------------------------------------------------
CREATE FUNCTION csstats.message_sheet(channel_id text, since timestamptz DEFAULT NULL,
		until timestamptz DEFAULT NULL, filters jsonb DEFAULT '{}',
		as_of timestamptz DEFAULT now())
	RETURNS TABLE (
		chat_id text,
		person_type text,
		person_id text,
		created_at timestamptz,
		plain_text text)
	LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT m.chat_id, m.person_type, m.person_id, m.created_at, m.plain_text
	FROM csstats.select_chats(message_sheet.channel_id, message_sheet.since,
			message_sheet.until, message_sheet.filters) WITH ORDINALITY AS c
		JOIN csstats.messages m
			ON m.channel_id = message_sheet.channel_id AND m.chat_id = c.id
	WHERE csstats._sheet_arguments_valid(message_sheet.channel_id, message_sheet.since,
			message_sheet.until, message_sheet.filters)
		AND c.created_at <= coalesce(message_sheet.as_of, pg_catalog.now())
		AND m.created_at <= coalesce(message_sheet.as_of, pg_catalog.now())
	ORDER BY c.ordinality, m.created_at, m.id COLLATE pg_catalog."C";
END;
COMMENT ON FUNCTION csstats.message_sheet(text, timestamptz, timestamptz, jsonb, timestamptz) IS
	'Message data sheet (seeds 001, 003, 004): the messages of the selected chats created at or before as_of, by chat then time; inlinable, streams through a cursor; caller''s rights';

-------------------------------------------------------------------------------
-- UserChat meet data: the meets (calls, front meets) of the selected chats
-- that started at or before as_of (a meet without started_at is kept), in
-- chat order, then by start and id.
-------------------------------------------------------------------------------
CREATE FUNCTION csstats.user_chat_meet_sheet(channel_id text, since timestamptz DEFAULT NULL,
		until timestamptz DEFAULT NULL, filters jsonb DEFAULT '{}',
		as_of timestamptz DEFAULT now())
	RETURNS TABLE (
		id text,
		user_chat_id text,
		started_at timestamptz,
		ended_at timestamptz,
		engaged_at timestamptz,
		"from" text,
		"to" text,
		direction text,
		missed_reason text,
		duration double precision,
		type text,
		primary_number text,
		representative_number text)
	LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT mt.id, mt.user_chat_id, mt.started_at, mt.ended_at, mt.engaged_at,
		mt.from_number, mt.to_number, mt.direction, mt.missed_reason, mt.duration, mt.type,
		mt.primary_number, mt.representative_number
	FROM csstats.select_chats(user_chat_meet_sheet.channel_id, user_chat_meet_sheet.since,
			user_chat_meet_sheet.until, user_chat_meet_sheet.filters) WITH ORDINALITY AS c
		JOIN csstats.meets mt
			ON mt.channel_id = user_chat_meet_sheet.channel_id AND mt.user_chat_id = c.id
	WHERE csstats._sheet_arguments_valid(user_chat_meet_sheet.channel_id, user_chat_meet_sheet.since,
			user_chat_meet_sheet.until, user_chat_meet_sheet.filters)
		AND c.created_at <= coalesce(user_chat_meet_sheet.as_of, pg_catalog.now())
		AND (mt.started_at IS NULL
			OR mt.started_at <= coalesce(user_chat_meet_sheet.as_of, pg_catalog.now()))
	ORDER BY c.ordinality, mt.started_at, mt.id COLLATE pg_catalog."C";
END;
COMMENT ON FUNCTION csstats.user_chat_meet_sheet(text, timestamptz, timestamptz, jsonb, timestamptz) IS
	'UserChat meet data sheet (seeds 001, 004): the meets of the selected chats started at or before as_of; caller''s rights';
/*
 * Exports (export.md): password-encrypted XLSX or JSON (AES-256 ZIP) files of
 * the sheets, as bytea or as a server file, with an append-only, hash-chained
 * audit trail.
 *
 *   csstats.export_chats(password, reason, since, until, format, include_messages,
 *                        channel_id, manager_id, filters, as_of, password_name) -> bytea
 *   csstats.export_cases(password, reason, since, until, format,
 *                        channel_id, manager_id, filters, as_of, password_name) -> bytea
 *   csstats.export_chats_to_file(filename, ...same...) -> bigint (audit id)
 *   csstats.export_cases_to_file(filename, ...same...) -> bigint (audit id)
 *   csstats.verify_audit() -> TABLE (id, ok, problem)
 *
 * Call them with named arguments and bind parameters, e.g. from an
 * application:  SELECT csstats.export_chats(password => $1, reason => $2,
 * channel_id => $3, since => $4, until => $5, include_messages => true).
 * A password written as a literal shows in pg_stat_activity and in the
 * server log when the statement fails; a bind parameter does not (by
 * default log_parameter_max_length_on_error = 0).  Scheduled jobs name a
 * stored password (password_name => 'nightly') so cron.job.command never
 * holds it.
 *
 * EXECUTE is revoked from PUBLIC; a DBA grants it (see the README), and the
 * sheets run with the caller's rights, so the caller also needs SELECT on the
 * csstats tables (row-level security then limits what it exports).  Writing
 * server files also needs the privileges of pg_write_server_files, like
 * COPY ... TO 'file'.  The only privileged step is the audit append, done
 * in C as the extension owner around one statement (pg_cron's pattern).
 */

-------------------------------------------------------------------------------
-- The audit trail
-------------------------------------------------------------------------------
CREATE TABLE csstats.export_audit (
	id bigint PRIMARY KEY,
	exported_at timestamptz NOT NULL,
	"session_user" text NOT NULL,
	"current_user" text NOT NULL,
	manager_id text,
	reason text NOT NULL,
	kind text NOT NULL
		CONSTRAINT export_audit_kind_valid CHECK (kind IN ('chats', 'cases')),
	format text NOT NULL
		CONSTRAINT export_audit_format_valid CHECK (format IN ('xlsx', 'json')),
	include_messages boolean NOT NULL,
	channel_id text NOT NULL,
	since timestamptz,
	until timestamptz,
	as_of timestamptz NOT NULL,
	filters jsonb NOT NULL,
	row_counts jsonb NOT NULL,
	bytes bigint NOT NULL,
	sha256 text NOT NULL,
	destination text NOT NULL,
	password_name text,
	prev_hash text,
	row_hash text NOT NULL
);
COMMENT ON TABLE csstats.export_audit IS
	'one row per successful export (never the password); append-only, SHA-256 hash-chained: check it with csstats.verify_audit()';
COMMENT ON COLUMN csstats.export_audit.destination IS '''bytea'' or the file name in csstats.export_directory';
COMMENT ON COLUMN csstats.export_audit.password_name IS 'the stored password used (csstats.export_passwords), if any';
COMMENT ON COLUMN csstats.export_audit.row_hash IS 'SHA-256 of the row''s contents including prev_hash (csstats._export_audit_hash)';

-- The end of the chain: the last id and hash.  Lets verify_audit notice rows
-- deleted from the end, and serializes appends (row lock).
CREATE TABLE csstats.export_audit_head (
	singleton boolean PRIMARY KEY DEFAULT true CONSTRAINT export_audit_head_one_row CHECK (singleton),
	last_id bigint NOT NULL,
	last_hash text NOT NULL
);
COMMENT ON TABLE csstats.export_audit_head IS 'the id and row_hash of the newest export_audit row (chain head)';

-- Stored passwords for scheduled exports: a job passes password_name, and
-- only a role with the privileges of usable_by may use the row.  No access for
-- PUBLIC; a superuser manages the rows.
CREATE TABLE csstats.export_passwords (
	name text PRIMARY KEY,
	password text NOT NULL
		CONSTRAINT export_passwords_letters_and_digits CHECK (password ~ '^[A-Za-z0-9]{1,255}$'),
	usable_by name NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE csstats.export_passwords IS
	'stored export passwords, referred to by password_name (for scheduled jobs); only usable by roles with the privileges of usable_by';

REVOKE ALL ON csstats.export_audit, csstats.export_audit_head, csstats.export_passwords FROM PUBLIC;

SELECT pg_catalog.pg_extension_config_dump('csstats.export_audit', '');
SELECT pg_catalog.pg_extension_config_dump('csstats.export_audit_head', '');
SELECT pg_catalog.pg_extension_config_dump('csstats.export_passwords', '');

-- The row hash: SHA-256 over a canonical JSON array of every column but
-- row_hash (timestamps in UTC, jsonb in its normalized text), so it does not
-- depend on the session's TimeZone or DateStyle.
CREATE FUNCTION csstats._export_audit_hash(a csstats.export_audit)
	RETURNS text
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	RETURN pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(pg_catalog.jsonb_build_array(
		a.id, a.exported_at AT TIME ZONE 'UTC', a.session_user, a.current_user, a.manager_id,
		a.reason, a.kind, a.format, a.include_messages, a.channel_id,
		a.since AT TIME ZONE 'UTC', a.until AT TIME ZONE 'UTC', a.as_of AT TIME ZONE 'UTC',
		a.filters, a.row_counts, a.bytes, a.sha256, a.destination, a.password_name,
		a.prev_hash)::text, 'UTF8')), 'hex');
COMMENT ON FUNCTION csstats._export_audit_hash(csstats.export_audit) IS
	'SHA-256 (hex) of an audit row''s contents including prev_hash; what row_hash must equal';

-- Append one audit row at the end of the chain.  Called by the export
-- functions as the extension owner; not executable by PUBLIC.  The head row
-- lock orders concurrent appends, so ids follow the chain.
CREATE FUNCTION csstats._export_audit_append(p_session_user text, p_current_user text,
		p_manager_id text, p_reason text, p_kind text, p_format text,
		p_include_messages boolean, p_channel_id text, p_since timestamptz,
		p_until timestamptz, p_as_of timestamptz, p_filters jsonb, p_row_counts jsonb,
		p_bytes bigint, p_sha256 text, p_destination text, p_password_name text)
	RETURNS bigint
	LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	h record;
	r csstats.export_audit;
BEGIN
	INSERT INTO csstats.export_audit_head AS t (singleton, last_id, last_hash)
		VALUES (true, 0, '') ON CONFLICT (singleton) DO NOTHING;
	SELECT t.last_id, t.last_hash INTO STRICT h
	FROM csstats.export_audit_head t WHERE t.singleton FOR UPDATE;

	r.id := h.last_id + 1;
	r.exported_at := clock_timestamp();
	r.session_user := p_session_user;
	r.current_user := p_current_user;
	r.manager_id := p_manager_id;
	r.reason := p_reason;
	r.kind := p_kind;
	r.format := p_format;
	r.include_messages := p_include_messages;
	r.channel_id := p_channel_id;
	r.since := p_since;
	r.until := p_until;
	r.as_of := p_as_of;
	r.filters := p_filters;
	r.row_counts := p_row_counts;
	r.bytes := p_bytes;
	r.sha256 := p_sha256;
	r.destination := replace(p_destination, '{id}', r.id::text);
	r.password_name := p_password_name;
	r.prev_hash := nullif(h.last_hash, '');
	r.row_hash := csstats._export_audit_hash(r);

	INSERT INTO csstats.export_audit SELECT r.*;
	UPDATE csstats.export_audit_head t SET last_id = r.id, last_hash = r.row_hash
	WHERE t.singleton;
	RETURN r.id;
END
$$;
REVOKE ALL ON FUNCTION csstats._export_audit_append(text, text, text, text, text, text, boolean,
	text, timestamptz, timestamptz, timestamptz, jsonb, jsonb, bigint, text, text, text) FROM PUBLIC;
COMMENT ON FUNCTION csstats._export_audit_append(text, text, text, text, text, text, boolean,
	text, timestamptz, timestamptz, timestamptz, jsonb, jsonb, bigint, text, text, text) IS
	'internal: appends one export_audit row to the hash chain (run by the export functions as the extension owner)';

-- Append-only: UPDATE, DELETE and TRUNCATE are refused for every role.  A
-- superuser can still get around a trigger (session_replication_role,
-- ALTER TABLE ... DISABLE TRIGGER); verify_audit then finds the change.
CREATE FUNCTION csstats._export_audit_refuse()
	RETURNS trigger
	LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	RAISE EXCEPTION 'csstats.% is append-only', TG_TABLE_NAME
		USING ERRCODE = 'insufficient_privilege',
			DETAIL = format('%s is not allowed on the export audit trail.', TG_OP);
END
$$;
COMMENT ON FUNCTION csstats._export_audit_refuse() IS
	'trigger: refuses UPDATE, DELETE and TRUNCATE of the export audit trail';

CREATE TRIGGER export_audit_append_only BEFORE UPDATE OR DELETE ON csstats.export_audit
	FOR EACH ROW EXECUTE FUNCTION csstats._export_audit_refuse();
CREATE TRIGGER export_audit_no_truncate BEFORE TRUNCATE ON csstats.export_audit
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._export_audit_refuse();
CREATE TRIGGER export_audit_head_keep BEFORE DELETE ON csstats.export_audit_head
	FOR EACH ROW EXECUTE FUNCTION csstats._export_audit_refuse();
CREATE TRIGGER export_audit_head_no_truncate BEFORE TRUNCATE ON csstats.export_audit_head
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._export_audit_refuse();

-- Walk the chain: one row per audit row (ok, or what is wrong with it), and a
-- last row when rows were deleted from the end.
CREATE FUNCTION csstats.verify_audit()
	RETURNS TABLE (id bigint, ok boolean, problem text)
	LANGUAGE plpgsql STABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	a csstats.export_audit;
	prev_id bigint := 0;
	prev_row_hash text := NULL;
	h record;
BEGIN
	FOR a IN SELECT * FROM csstats.export_audit x ORDER BY x.id LOOP
		id := a.id;
		ok := false;
		IF a.row_hash IS DISTINCT FROM csstats._export_audit_hash(a) THEN
			problem := 'row edited: its contents do not match its row_hash';
		ELSIF a.id <> prev_id + 1 THEN
			problem := CASE WHEN a.id = prev_id + 2
				THEN format('a row was deleted before it: id %s is missing', prev_id + 1)
				ELSE format('rows were deleted before it: ids %s to %s are missing', prev_id + 1, a.id - 1) END;
		ELSIF a.prev_hash IS DISTINCT FROM prev_row_hash THEN
			problem := CASE WHEN prev_id = 0 THEN 'chain broken: the first row has a prev_hash'
				ELSE format('chain broken: prev_hash does not match the row_hash of row %s (that row was edited or replaced)', prev_id) END;
		ELSE
			ok := true;
			problem := NULL;
		END IF;
		RETURN NEXT;
		prev_id := a.id;
		prev_row_hash := a.row_hash;
	END LOOP;

	SELECT t.last_id, t.last_hash INTO h FROM csstats.export_audit_head t WHERE t.singleton;
	IF FOUND AND (h.last_id <> prev_id OR h.last_hash IS DISTINCT FROM coalesce(prev_row_hash, '')) THEN
		id := h.last_id;
		ok := false;
		problem := CASE WHEN h.last_id > prev_id
			THEN format('rows deleted at the end: the chain head is row %s, the last row is %s', h.last_id, prev_id)
			ELSE format('the chain head (row %s) does not match the last row %s', h.last_id, prev_id) END;
		RETURN NEXT;
	ELSIF NOT FOUND AND prev_id > 0 THEN
		id := prev_id;
		ok := false;
		problem := 'the chain head is missing';
		RETURN NEXT;
	END IF;
END
$$;
REVOKE ALL ON FUNCTION csstats.verify_audit() FROM PUBLIC;
COMMENT ON FUNCTION csstats.verify_audit() IS
	'checks the export_audit hash chain: one row per audit row (ok, or the problem: edited, deleted before it, chain broken) plus one for rows deleted at the end';

-------------------------------------------------------------------------------
-- The export functions (src/export.c).  Not STRICT: a NULL argument gets a
-- clear error (or its documented meaning: NULL since/until = unbounded for
-- chats, NULL filename = generated, NULL format = xlsx, NULL as_of = now).
-------------------------------------------------------------------------------
CREATE FUNCTION csstats.export_chats(password text DEFAULT NULL, reason text DEFAULT NULL,
		since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL,
		format text DEFAULT 'xlsx', include_messages boolean DEFAULT false,
		channel_id text DEFAULT NULL, manager_id text DEFAULT NULL,
		filters jsonb DEFAULT '{}', as_of timestamptz DEFAULT now(),
		password_name text DEFAULT NULL)
	RETURNS bytea
	AS 'MODULE_PATHNAME', 'csstats_export_chats'
	LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION csstats.export_chats(text, text, timestamptz, timestamptz, text, boolean,
	text, text, jsonb, timestamptz, text) IS
	'the chats export (UserChat data and related sheets, Message data with include_messages) as a password-encrypted XLSX or JSON ZIP; audited';

CREATE FUNCTION csstats.export_cases(password text DEFAULT NULL, reason text DEFAULT NULL,
		since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL,
		format text DEFAULT 'xlsx', channel_id text DEFAULT NULL,
		manager_id text DEFAULT NULL, filters jsonb DEFAULT '{}',
		as_of timestamptz DEFAULT now(), password_name text DEFAULT NULL)
	RETURNS bytea
	AS 'MODULE_PATHNAME', 'csstats_export_cases'
	LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION csstats.export_cases(text, text, timestamptz, timestamptz, text,
	text, text, jsonb, timestamptz, text) IS
	'the cases export (UserChatCase data) as a password-encrypted XLSX or JSON ZIP; range at most 6 months; audited';

CREATE FUNCTION csstats.export_chats_to_file(filename text DEFAULT NULL,
		password text DEFAULT NULL, reason text DEFAULT NULL,
		since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL,
		format text DEFAULT 'xlsx', include_messages boolean DEFAULT false,
		channel_id text DEFAULT NULL, manager_id text DEFAULT NULL,
		filters jsonb DEFAULT '{}', as_of timestamptz DEFAULT now(),
		password_name text DEFAULT NULL)
	RETURNS bigint
	AS 'MODULE_PATHNAME', 'csstats_export_chats_to_file'
	LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION csstats.export_chats_to_file(text, text, text, timestamptz, timestamptz,
	text, boolean, text, text, jsonb, timestamptz, text) IS
	'export_chats into a new file (mode 0600) in csstats.export_directory, named at commit; returns the audit id';

CREATE FUNCTION csstats.export_cases_to_file(filename text DEFAULT NULL,
		password text DEFAULT NULL, reason text DEFAULT NULL,
		since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL,
		format text DEFAULT 'xlsx', channel_id text DEFAULT NULL,
		manager_id text DEFAULT NULL, filters jsonb DEFAULT '{}',
		as_of timestamptz DEFAULT now(), password_name text DEFAULT NULL)
	RETURNS bigint
	AS 'MODULE_PATHNAME', 'csstats_export_cases_to_file'
	LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION csstats.export_cases_to_file(text, text, text, timestamptz, timestamptz,
	text, text, text, jsonb, timestamptz, text) IS
	'export_cases into a new file (mode 0600) in csstats.export_directory, named at commit; returns the audit id';

REVOKE ALL ON FUNCTION csstats.export_chats(text, text, timestamptz, timestamptz, text, boolean,
	text, text, jsonb, timestamptz, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION csstats.export_cases(text, text, timestamptz, timestamptz, text,
	text, text, jsonb, timestamptz, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION csstats.export_chats_to_file(text, text, text, timestamptz, timestamptz,
	text, boolean, text, text, jsonb, timestamptz, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION csstats.export_cases_to_file(text, text, text, timestamptz, timestamptz,
	text, text, text, jsonb, timestamptz, text) FROM PUBLIC;

-- The header a sheet column gets in the files: the one snake_case -> seed
-- mapping the writers use (camelCase; PascalCase on Message data).
CREATE FUNCTION csstats.export_header(sheet text, column_name text)
	RETURNS text
	AS 'MODULE_PATHNAME', 'csstats_export_header'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION csstats.export_header(text, text) IS
	'the file header of a sheet function column (''UserChat data'', ''first_replied_at_after_open'' -> firstRepliedAtAfterOpen)';
