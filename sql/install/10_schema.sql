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
COMMENT ON TABLE csstats.teams IS
	'the channel''s teams; manager_ids are their members (managers.id); user_chats.team_id is the team a chat is assigned to';

CREATE TABLE csstats.bots (
	channel_id text NOT NULL REFERENCES csstats.channels (id) ON DELETE CASCADE,
	id text NOT NULL,
	name text,
	created_at timestamptz,
	PRIMARY KEY (channel_id, id)
);
COMMENT ON TABLE csstats.bots IS 'the channel''s bot profiles (messages.person_id when person_type is ''bot'')';

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
COMMENT ON TABLE csstats.marketing_messages IS
	'marketing messages (one-time messages and campaigns) that chats came from (user_chats.marketing_id)';

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
COMMENT ON TABLE csstats.messages IS
	'the messages of each chat: who wrote it (person_type user, manager or bot; person_id) and its plain text';

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
COMMENT ON TABLE csstats.meets IS
	'calls and front meets of a chat (user_chat_id); duration in seconds, missed_reason says why a call was missed';

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
COMMENT ON TABLE csstats.workflow_runs IS
	'workflow runs a chat came in through, one row per run: the sections passed and how it ended';

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
COMMENT ON TABLE csstats.support_bot_runs IS
	'support-bot runs of a chat, one row per run: the sections passed';

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
