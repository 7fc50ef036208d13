/*
 * csstats_router 0.1.0: the coordinator of a scale-out csstats deployment
 * (docs/scale_out.md).  The coordinator holds no chat data: it holds the
 * placement directory (channel -> shard) and the authoritative export audit
 * trail, and offers the csstats functions with their signatures unchanged,
 * each a PL/Proxy function run on the shard holding the channel.  A shard
 * is a PostgreSQL database with the csstats extension.
 *
 *   csstats.router_add_shard(name, conninfo)        a shard (a PL/Proxy partition)
 *   csstats.router_place_channel(channel_id, shard) the directory entry of a channel
 *   csstats.router_configure_audit(conninfo)         the loopback connection of the audit
 *
 * The shards are the partitions of the SQL/MED server csstats_shards
 * (FOREIGN DATA WRAPPER plproxy, modular_mapping: partition i is the i-th
 * shard added); the coordinator connects to them with the user mapping of the
 * extension owner (a role the shards know as the router role).  Every
 * proxied function is SECURITY DEFINER: the coordinator has no csstats
 * tables, so EXECUTE on the function is what SELECT on the tables is on one
 * node, and callers need no USAGE on the server (EXECUTE is revoked from
 * PUBLIC; the DBA grants it).  Identity (session_user and the SET ROLE in
 * effect) is read on the coordinator, never taken from an argument.
 */
\echo Use "CREATE EXTENSION csstats_router" to load this file. \quit

-------------------------------------------------------------------------------
-- Placement
-------------------------------------------------------------------------------
CREATE TABLE csstats.router_shards (
	name text PRIMARY KEY
		CONSTRAINT router_shards_name_valid CHECK (name ~ '^[a-z][a-z0-9_]{0,62}$'),
	partition integer NOT NULL UNIQUE
		CONSTRAINT router_shards_partition_valid CHECK (partition >= 0),
	conninfo text NOT NULL,
	added_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE csstats.router_shards IS
	'the shards: partition i of the PL/Proxy server csstats_shards is the shard with partition = i; conninfo holds no password (user mappings do)';

CREATE TABLE csstats.router_placement (
	channel_id text PRIMARY KEY,
	shard text NOT NULL REFERENCES csstats.router_shards (name),
	placed_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE csstats.router_placement IS
	'the directory: which shard holds a channel (every csstats key starts with channel_id)';
CREATE INDEX router_placement_shard ON csstats.router_placement (shard);

REVOKE ALL ON csstats.router_shards, csstats.router_placement FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('csstats.router_shards', '');
SELECT pg_catalog.pg_extension_config_dump('csstats.router_placement', '');

-- The cluster.  PL/Proxy wants at least one partition: p0 is a placeholder
-- until the first shard (no channel can be placed on it, so nothing
-- connects there).
CREATE SERVER csstats_shards FOREIGN DATA WRAPPER plproxy
	OPTIONS (modular_mapping '1', connection_lifetime '1800', p0 'dbname=csstats_no_shard_yet');
COMMENT ON SERVER csstats_shards IS
	'the csstats shards (PL/Proxy cluster): option pN is the conninfo of the shard with partition N (csstats.router_add_shard)';

-- The coordinator itself, for the audit appends that must commit on their
-- own (csstats.router_configure_audit sets p0).
CREATE SERVER csstats_router_self FOREIGN DATA WRAPPER plproxy
	OPTIONS (connection_lifetime '1800', p0 'dbname=csstats_audit_not_configured');
COMMENT ON SERVER csstats_router_self IS
	'a loopback connection to this database: the audit appends run there, in a transaction of their own (csstats.router_configure_audit)';

CREATE FUNCTION csstats.router_add_shard(name text, conninfo text)
	RETURNS integer
	LANGUAGE plpgsql VOLATILE
	SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
	p integer;
BEGIN
	IF name IS NULL OR conninfo IS NULL THEN
		RAISE EXCEPTION 'name and conninfo must not be null'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF conninfo ~* '(^|\s)password\s*=' THEN
		RAISE EXCEPTION 'the conninfo of shard "%" contains a password', name
			USING ERRCODE = 'invalid_parameter_value',
				DETAIL = 'Server options are readable by more roles than user mappings.',
				HINT = 'Put the password into the user mapping of csstats_shards (or use a client certificate or a password file).';
	END IF;
	IF EXISTS (SELECT FROM csstats.router_shards s WHERE s.name = name) THEN
		RAISE EXCEPTION 'shard "%" already exists', name
			USING ERRCODE = 'duplicate_object';
	END IF;
	LOCK TABLE csstats.router_shards IN EXCLUSIVE MODE;
	SELECT count(*) INTO p FROM csstats.router_shards;
	INSERT INTO csstats.router_shards (name, partition, conninfo) VALUES (name, p, conninfo);
	EXECUTE format('ALTER SERVER csstats_shards OPTIONS (%s %I %L)',
		CASE WHEN p = 0 THEN 'SET' ELSE 'ADD' END, 'p' || p, conninfo);
	RETURN p;
END
$$;
REVOKE ALL ON FUNCTION csstats.router_add_shard(text, text) FROM PUBLIC;
COMMENT ON FUNCTION csstats.router_add_shard(text, text) IS
	'adds a shard (a database with the csstats extension) as the next partition of csstats_shards; returns its partition number';

CREATE FUNCTION csstats.router_place_channel(channel_id text, shard text)
	RETURNS void
	LANGUAGE plpgsql VOLATILE
	SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
	current_shard text;
BEGIN
	IF channel_id IS NULL OR shard IS NULL THEN
		RAISE EXCEPTION 'channel_id and shard must not be null'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF NOT EXISTS (SELECT FROM csstats.router_shards s WHERE s.name = shard) THEN
		RAISE EXCEPTION 'shard "%" does not exist', shard
			USING ERRCODE = 'undefined_object',
				HINT = 'Add it with csstats.router_add_shard(name, conninfo).';
	END IF;
	SELECT p.shard INTO current_shard FROM csstats.router_placement p
	WHERE p.channel_id = channel_id FOR UPDATE;
	IF FOUND AND current_shard <> shard THEN
		RAISE EXCEPTION 'channel "%" is already placed on shard "%"', channel_id, current_shard
			USING ERRCODE = 'feature_not_supported',
				DETAIL = 'Moving a channel between shards is not supported yet (docs/scale_out.md).';
	ELSIF NOT FOUND THEN
		INSERT INTO csstats.router_placement (channel_id, shard) VALUES (channel_id, shard);
	END IF;
END
$$;
REVOKE ALL ON FUNCTION csstats.router_place_channel(text, text) FROM PUBLIC;
COMMENT ON FUNCTION csstats.router_place_channel(text, text) IS
	'places a channel on a shard (the directory entry loaders and every proxied function follow)';

-- The partition of a channel: the RUN ON of every proxied function.
CREATE FUNCTION csstats._router_shard_index(channel_id text)
	RETURNS integer
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
	p integer;
BEGIN
	IF channel_id IS NULL THEN
		RAISE EXCEPTION 'channel_id must not be null'
			USING ERRCODE = 'null_value_not_allowed',
				DETAIL = 'The coordinator runs a call on the shard of its channel.';
	END IF;
	SELECT s.partition INTO p FROM csstats.router_placement c
		JOIN csstats.router_shards s ON s.name = c.shard
	WHERE c.channel_id = channel_id;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'channel "%" does not exist', channel_id
			USING ERRCODE = 'invalid_parameter_value',
				DETAIL = 'The channel is not placed on any shard (csstats.router_placement).',
				HINT = 'Place it with csstats.router_place_channel(channel_id, shard).';
	END IF;
	RETURN p;
END
$$;
REVOKE ALL ON FUNCTION csstats._router_shard_index(text) FROM PUBLIC;
COMMENT ON FUNCTION csstats._router_shard_index(text) IS
	'internal: the csstats_shards partition holding a channel; a clear error for a channel that is not placed';

-- Where a loader writes a channel's rows: the shard's name and conninfo.
CREATE FUNCTION csstats.router_shard_of(channel_id text, OUT shard text, OUT conninfo text)
	RETURNS record
	LANGUAGE sql STABLE STRICT
	SET search_path = pg_catalog, pg_temp
	BEGIN ATOMIC
		SELECT s.name, s.conninfo FROM csstats.router_placement c
			JOIN csstats.router_shards s ON s.name = c.shard
		WHERE c.channel_id = router_shard_of.channel_id;
	END;
REVOKE ALL ON FUNCTION csstats.router_shard_of(text) FROM PUBLIC;
COMMENT ON FUNCTION csstats.router_shard_of(text) IS
	'the shard holding a channel and its conninfo (no row for a channel not placed): what a loader connects to';

-------------------------------------------------------------------------------
-- Errors: a shard's error reaches the caller as csstats' own (PL/Proxy's
-- prefix removed, same SQLSTATE, detail and hint); a shard PL/Proxy cannot
-- reach or lost becomes one clear error naming it.
-------------------------------------------------------------------------------
CREATE FUNCTION csstats._router_rethrow(state text, message text, detail text, hint text,
		channel_id text)
	RETURNS void
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
	remote constant text := '^\S+\(\d+\): \[[^]]*\] REMOTE ERROR: ';
	shard_name text;
BEGIN
	IF message ~ remote THEN
		message := regexp_replace(message, remote, '');
		detail := regexp_replace(detail, '^Remote detail: ', '');
		hint := regexp_replace(hint, '^Remote hint: ', '');
	ELSIF message ~ '^(PL/Proxy function )?\S+\(\d+\): \[[^]]*\] ' THEN
		-- any other error of PL/Proxy's: could not connect, the connection
		-- was lost or closed by the shard (REMOTE FATAL), a timeout
		SELECT c.shard INTO shard_name FROM csstats.router_placement c WHERE c.channel_id = channel_id;
		IF shard_name IS NULL THEN
			-- a call ON ALL: the shard whose port libpq names
			SELECT s.name INTO shard_name FROM csstats.router_shards s
			WHERE s.conninfo ~ ('(^|\s)port\s*=\s*' || substring(message FROM 'port (\d+) failed') || '(\s|$)')
			ORDER BY s.partition LIMIT 1;
		END IF;
		RAISE EXCEPTION 'shard "%" is unavailable', coalesce(shard_name, '?')
			USING ERRCODE = 'connection_failure',
				DETAIL = CASE WHEN channel_id IS NULL THEN format('PL/Proxy: %s', message)
					ELSE format('Channel "%s" is placed on shard "%s"; PL/Proxy: %s', channel_id,
						coalesce(shard_name, '?'), message) END,
				HINT = 'Channels on the other shards are not affected.';
	END IF;
	detail := nullif(detail, '');
	hint := nullif(hint, '');
	IF detail IS NULL AND hint IS NULL THEN
		RAISE EXCEPTION USING ERRCODE = state, MESSAGE = message;
	ELSIF hint IS NULL THEN
		RAISE EXCEPTION USING ERRCODE = state, MESSAGE = message, DETAIL = detail;
	ELSIF detail IS NULL THEN
		RAISE EXCEPTION USING ERRCODE = state, MESSAGE = message, HINT = hint;
	ELSE
		RAISE EXCEPTION USING ERRCODE = state, MESSAGE = message, DETAIL = detail, HINT = hint;
	END IF;
END
$$;
REVOKE ALL ON FUNCTION csstats._router_rethrow(text, text, text, text, text) FROM PUBLIC;
COMMENT ON FUNCTION csstats._router_rethrow(text, text, text, text, text) IS
	'internal: raises a caught PL/Proxy error as the shard''s own error, or as "shard ... is unavailable"';

-------------------------------------------------------------------------------
-- The proxied read functions (generated by router/generate_proxies.sql from
-- a csstats 0.2.0 catalog)
-------------------------------------------------------------------------------

-- bot_sheet
CREATE FUNCTION csstats._router_px_bot_sheet(p_1 text, p_2 timestamp with time zone, p_3 timestamp with time zone, p_4 jsonb, p_5 timestamp with time zone)
	RETURNS TABLE(id text, channel_id text, name text, created_at timestamp with time zone)
	LANGUAGE plproxy VOLATILE
AS $$
	CLUSTER 'csstats_shards';
	RUN ON csstats._router_shard_index(p_1);
	TARGET csstats.bot_sheet;
$$;
REVOKE ALL ON FUNCTION csstats._router_px_bot_sheet(text, timestamp with time zone, timestamp with time zone, jsonb, timestamp with time zone) FROM PUBLIC;

CREATE FUNCTION csstats._router_bot_sheet(p_1 text, p_2 timestamp with time zone, p_3 timestamp with time zone, p_4 jsonb, p_5 timestamp with time zone)
	RETURNS TABLE(id text, channel_id text, name text, created_at timestamp with time zone)
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	e_state text;
	e_message text;
	e_detail text;
	e_hint text;
BEGIN
	RETURN QUERY SELECT * FROM csstats._router_px_bot_sheet(p_1, p_2, p_3, p_4, p_5);
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS e_state = RETURNED_SQLSTATE, e_message = MESSAGE_TEXT,
		e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
	PERFORM csstats._router_rethrow(e_state, e_message, e_detail, e_hint, p_1);
END
$$;
REVOKE ALL ON FUNCTION csstats._router_bot_sheet(text, timestamp with time zone, timestamp with time zone, jsonb, timestamp with time zone) FROM PUBLIC;

CREATE FUNCTION csstats.bot_sheet(channel_id text, since timestamp with time zone DEFAULT NULL::timestamp with time zone, until timestamp with time zone DEFAULT NULL::timestamp with time zone, filters jsonb DEFAULT '{}'::jsonb, as_of timestamp with time zone DEFAULT now())
	RETURNS TABLE(id text, channel_id text, name text, created_at timestamp with time zone)
	LANGUAGE sql STABLE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$ SELECT * FROM csstats._router_bot_sheet($1, $2, $3, $4, $5) $$;
REVOKE ALL ON FUNCTION csstats.bot_sheet(text, timestamp with time zone, timestamp with time zone, jsonb, timestamp with time zone) FROM PUBLIC;
COMMENT ON FUNCTION csstats.bot_sheet(text, timestamp with time zone, timestamp with time zone, jsonb, timestamp with time zone) IS 'csstats.bot_sheet on the shard holding the channel (csstats_router)';

-- business_seconds
CREATE FUNCTION csstats._router_px_business_seconds(p_1 timestamp with time zone, p_2 timestamp with time zone, p_3 text)
	RETURNS double precision
	LANGUAGE plproxy VOLATILE
AS $$
	CLUSTER 'csstats_shards';
	RUN ON csstats._router_shard_index(p_3);
	TARGET csstats.business_seconds;
$$;
REVOKE ALL ON FUNCTION csstats._router_px_business_seconds(timestamp with time zone, timestamp with time zone, text) FROM PUBLIC;

CREATE FUNCTION csstats._router_business_seconds(p_1 timestamp with time zone, p_2 timestamp with time zone, p_3 text)
	RETURNS double precision
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	e_state text;
	e_message text;
	e_detail text;
	e_hint text;
BEGIN
	RETURN csstats._router_px_business_seconds(p_1, p_2, p_3);
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS e_state = RETURNED_SQLSTATE, e_message = MESSAGE_TEXT,
		e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
	PERFORM csstats._router_rethrow(e_state, e_message, e_detail, e_hint, p_3);
END
$$;
REVOKE ALL ON FUNCTION csstats._router_business_seconds(timestamp with time zone, timestamp with time zone, text) FROM PUBLIC;

CREATE FUNCTION csstats.business_seconds(since timestamp with time zone, until timestamp with time zone, channel_id text)
	RETURNS double precision
	LANGUAGE sql STABLE STRICT SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$ SELECT  csstats._router_business_seconds($1, $2, $3) $$;
REVOKE ALL ON FUNCTION csstats.business_seconds(timestamp with time zone, timestamp with time zone, text) FROM PUBLIC;
COMMENT ON FUNCTION csstats.business_seconds(timestamp with time zone, timestamp with time zone, text) IS 'csstats.business_seconds on the shard holding the channel (csstats_router)';

-- inbox_counts
CREATE FUNCTION csstats._router_px_inbox_counts(p_1 text, p_2 timestamp with time zone, p_3 integer)
	RETURNS TABLE(scope text, key text, name text, state text, chats bigint)
	LANGUAGE plproxy VOLATILE
AS $$
	CLUSTER 'csstats_shards';
	RUN ON csstats._router_shard_index(p_1);
	TARGET csstats.inbox_counts;
$$;
REVOKE ALL ON FUNCTION csstats._router_px_inbox_counts(text, timestamp with time zone, integer) FROM PUBLIC;

CREATE FUNCTION csstats._router_inbox_counts(p_1 text, p_2 timestamp with time zone, p_3 integer)
	RETURNS TABLE(scope text, key text, name text, state text, chats bigint)
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	e_state text;
	e_message text;
	e_detail text;
	e_hint text;
BEGIN
	RETURN QUERY SELECT * FROM csstats._router_px_inbox_counts(p_1, p_2, p_3);
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS e_state = RETURNED_SQLSTATE, e_message = MESSAGE_TEXT,
		e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
	PERFORM csstats._router_rethrow(e_state, e_message, e_detail, e_hint, p_1);
END
$$;
REVOKE ALL ON FUNCTION csstats._router_inbox_counts(text, timestamp with time zone, integer) FROM PUBLIC;

CREATE FUNCTION csstats.inbox_counts(channel_id text, as_of timestamp with time zone DEFAULT now(), closed_days integer DEFAULT 30)
	RETURNS TABLE(scope text, key text, name text, state text, chats bigint)
	LANGUAGE sql STABLE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$ SELECT * FROM csstats._router_inbox_counts($1, $2, $3) $$;
REVOKE ALL ON FUNCTION csstats.inbox_counts(text, timestamp with time zone, integer) FROM PUBLIC;
COMMENT ON FUNCTION csstats.inbox_counts(text, timestamp with time zone, integer) IS 'csstats.inbox_counts on the shard holding the channel (csstats_router)';

-- is_operating
CREATE FUNCTION csstats._router_px_is_operating(p_1 timestamp with time zone, p_2 text)
	RETURNS boolean
	LANGUAGE plproxy VOLATILE
AS $$
	CLUSTER 'csstats_shards';
	RUN ON csstats._router_shard_index(p_2);
	TARGET csstats.is_operating;
$$;
REVOKE ALL ON FUNCTION csstats._router_px_is_operating(timestamp with time zone, text) FROM PUBLIC;

CREATE FUNCTION csstats._router_is_operating(p_1 timestamp with time zone, p_2 text)
	RETURNS boolean
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	e_state text;
	e_message text;
	e_detail text;
	e_hint text;
BEGIN
	RETURN csstats._router_px_is_operating(p_1, p_2);
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS e_state = RETURNED_SQLSTATE, e_message = MESSAGE_TEXT,
		e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
	PERFORM csstats._router_rethrow(e_state, e_message, e_detail, e_hint, p_2);
END
$$;
REVOKE ALL ON FUNCTION csstats._router_is_operating(timestamp with time zone, text) FROM PUBLIC;

CREATE FUNCTION csstats.is_operating(at timestamp with time zone, channel_id text)
	RETURNS boolean
	LANGUAGE sql STABLE STRICT SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$ SELECT  csstats._router_is_operating($1, $2) $$;
REVOKE ALL ON FUNCTION csstats.is_operating(timestamp with time zone, text) FROM PUBLIC;
COMMENT ON FUNCTION csstats.is_operating(timestamp with time zone, text) IS 'csstats.is_operating on the shard holding the channel (csstats_router)';

-- manager_sheet
CREATE FUNCTION csstats._router_px_manager_sheet(p_1 text, p_2 timestamp with time zone, p_3 timestamp with time zone, p_4 jsonb, p_5 timestamp with time zone)
	RETURNS TABLE(id text, channel_id text, account_id text, username text, name text, email text, mobile_number text, role text, removed boolean, created_at timestamp with time zone, default_group_watch text, default_direct_chat_watch text, default_user_chat_watch text, operator boolean, operator_email_reminder boolean)
	LANGUAGE plproxy VOLATILE
AS $$
	CLUSTER 'csstats_shards';
	RUN ON csstats._router_shard_index(p_1);
	TARGET csstats.manager_sheet;
$$;
REVOKE ALL ON FUNCTION csstats._router_px_manager_sheet(text, timestamp with time zone, timestamp with time zone, jsonb, timestamp with time zone) FROM PUBLIC;

CREATE FUNCTION csstats._router_manager_sheet(p_1 text, p_2 timestamp with time zone, p_3 timestamp with time zone, p_4 jsonb, p_5 timestamp with time zone)
	RETURNS TABLE(id text, channel_id text, account_id text, username text, name text, email text, mobile_number text, role text, removed boolean, created_at timestamp with time zone, default_group_watch text, default_direct_chat_watch text, default_user_chat_watch text, operator boolean, operator_email_reminder boolean)
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	e_state text;
	e_message text;
	e_detail text;
	e_hint text;
BEGIN
	RETURN QUERY SELECT * FROM csstats._router_px_manager_sheet(p_1, p_2, p_3, p_4, p_5);
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS e_state = RETURNED_SQLSTATE, e_message = MESSAGE_TEXT,
		e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
	PERFORM csstats._router_rethrow(e_state, e_message, e_detail, e_hint, p_1);
END
$$;
REVOKE ALL ON FUNCTION csstats._router_manager_sheet(text, timestamp with time zone, timestamp with time zone, jsonb, timestamp with time zone) FROM PUBLIC;

CREATE FUNCTION csstats.manager_sheet(channel_id text, since timestamp with time zone DEFAULT NULL::timestamp with time zone, until timestamp with time zone DEFAULT NULL::timestamp with time zone, filters jsonb DEFAULT '{}'::jsonb, as_of timestamp with time zone DEFAULT now())
	RETURNS TABLE(id text, channel_id text, account_id text, username text, name text, email text, mobile_number text, role text, removed boolean, created_at timestamp with time zone, default_group_watch text, default_direct_chat_watch text, default_user_chat_watch text, operator boolean, operator_email_reminder boolean)
	LANGUAGE sql STABLE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$ SELECT * FROM csstats._router_manager_sheet($1, $2, $3, $4, $5) $$;
REVOKE ALL ON FUNCTION csstats.manager_sheet(text, timestamp with time zone, timestamp with time zone, jsonb, timestamp with time zone) FROM PUBLIC;
COMMENT ON FUNCTION csstats.manager_sheet(text, timestamp with time zone, timestamp with time zone, jsonb, timestamp with time zone) IS 'csstats.manager_sheet on the shard holding the channel (csstats_router)';

-- marketing_sheet
CREATE FUNCTION csstats._router_px_marketing_sheet(p_1 text, p_2 timestamp with time zone, p_3 timestamp with time zone, p_4 jsonb, p_5 timestamp with time zone)
	RETURNS TABLE(id text, channel_id text, type text, name text, created_at timestamp with time zone)
	LANGUAGE plproxy VOLATILE
AS $$
	CLUSTER 'csstats_shards';
	RUN ON csstats._router_shard_index(p_1);
	TARGET csstats.marketing_sheet;
$$;
REVOKE ALL ON FUNCTION csstats._router_px_marketing_sheet(text, timestamp with time zone, timestamp with time zone, jsonb, timestamp with time zone) FROM PUBLIC;

CREATE FUNCTION csstats._router_marketing_sheet(p_1 text, p_2 timestamp with time zone, p_3 timestamp with time zone, p_4 jsonb, p_5 timestamp with time zone)
	RETURNS TABLE(id text, channel_id text, type text, name text, created_at timestamp with time zone)
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	e_state text;
	e_message text;
	e_detail text;
	e_hint text;
BEGIN
	RETURN QUERY SELECT * FROM csstats._router_px_marketing_sheet(p_1, p_2, p_3, p_4, p_5);
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS e_state = RETURNED_SQLSTATE, e_message = MESSAGE_TEXT,
		e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
	PERFORM csstats._router_rethrow(e_state, e_message, e_detail, e_hint, p_1);
END
$$;
REVOKE ALL ON FUNCTION csstats._router_marketing_sheet(text, timestamp with time zone, timestamp with time zone, jsonb, timestamp with time zone) FROM PUBLIC;

CREATE FUNCTION csstats.marketing_sheet(channel_id text, since timestamp with time zone DEFAULT NULL::timestamp with time zone, until timestamp with time zone DEFAULT NULL::timestamp with time zone, filters jsonb DEFAULT '{}'::jsonb, as_of timestamp with time zone DEFAULT now())
	RETURNS TABLE(id text, channel_id text, type text, name text, created_at timestamp with time zone)
	LANGUAGE sql STABLE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$ SELECT * FROM csstats._router_marketing_sheet($1, $2, $3, $4, $5) $$;
REVOKE ALL ON FUNCTION csstats.marketing_sheet(text, timestamp with time zone, timestamp with time zone, jsonb, timestamp with time zone) FROM PUBLIC;
COMMENT ON FUNCTION csstats.marketing_sheet(text, timestamp with time zone, timestamp with time zone, jsonb, timestamp with time zone) IS 'csstats.marketing_sheet on the shard holding the channel (csstats_router)';

-- message_sheet
CREATE FUNCTION csstats._router_px_message_sheet(p_1 text, p_2 timestamp with time zone, p_3 timestamp with time zone, p_4 jsonb, p_5 timestamp with time zone)
	RETURNS TABLE(chat_id text, person_type text, person_id text, created_at timestamp with time zone, plain_text text)
	LANGUAGE plproxy VOLATILE
AS $$
	CLUSTER 'csstats_shards';
	RUN ON csstats._router_shard_index(p_1);
	TARGET csstats.message_sheet;
$$;
REVOKE ALL ON FUNCTION csstats._router_px_message_sheet(text, timestamp with time zone, timestamp with time zone, jsonb, timestamp with time zone) FROM PUBLIC;

CREATE FUNCTION csstats._router_message_sheet(p_1 text, p_2 timestamp with time zone, p_3 timestamp with time zone, p_4 jsonb, p_5 timestamp with time zone)
	RETURNS TABLE(chat_id text, person_type text, person_id text, created_at timestamp with time zone, plain_text text)
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	e_state text;
	e_message text;
	e_detail text;
	e_hint text;
BEGIN
	RETURN QUERY SELECT * FROM csstats._router_px_message_sheet(p_1, p_2, p_3, p_4, p_5);
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS e_state = RETURNED_SQLSTATE, e_message = MESSAGE_TEXT,
		e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
	PERFORM csstats._router_rethrow(e_state, e_message, e_detail, e_hint, p_1);
END
$$;
REVOKE ALL ON FUNCTION csstats._router_message_sheet(text, timestamp with time zone, timestamp with time zone, jsonb, timestamp with time zone) FROM PUBLIC;

CREATE FUNCTION csstats.message_sheet(channel_id text, since timestamp with time zone DEFAULT NULL::timestamp with time zone, until timestamp with time zone DEFAULT NULL::timestamp with time zone, filters jsonb DEFAULT '{}'::jsonb, as_of timestamp with time zone DEFAULT now())
	RETURNS TABLE(chat_id text, person_type text, person_id text, created_at timestamp with time zone, plain_text text)
	LANGUAGE sql STABLE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$ SELECT * FROM csstats._router_message_sheet($1, $2, $3, $4, $5) $$;
REVOKE ALL ON FUNCTION csstats.message_sheet(text, timestamp with time zone, timestamp with time zone, jsonb, timestamp with time zone) FROM PUBLIC;
COMMENT ON FUNCTION csstats.message_sheet(text, timestamp with time zone, timestamp with time zone, jsonb, timestamp with time zone) IS 'csstats.message_sheet on the shard holding the channel (csstats_router)';

-- support_bot_sheet
CREATE FUNCTION csstats._router_px_support_bot_sheet(p_1 text, p_2 timestamp with time zone, p_3 timestamp with time zone, p_4 jsonb, p_5 timestamp with time zone)
	RETURNS TABLE(id text, revision_id text, section_path text[])
	LANGUAGE plproxy VOLATILE
AS $$
	CLUSTER 'csstats_shards';
	RUN ON csstats._router_shard_index(p_1);
	TARGET csstats.support_bot_sheet;
$$;
REVOKE ALL ON FUNCTION csstats._router_px_support_bot_sheet(text, timestamp with time zone, timestamp with time zone, jsonb, timestamp with time zone) FROM PUBLIC;

CREATE FUNCTION csstats._router_support_bot_sheet(p_1 text, p_2 timestamp with time zone, p_3 timestamp with time zone, p_4 jsonb, p_5 timestamp with time zone)
	RETURNS TABLE(id text, revision_id text, section_path text[])
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	e_state text;
	e_message text;
	e_detail text;
	e_hint text;
BEGIN
	RETURN QUERY SELECT * FROM csstats._router_px_support_bot_sheet(p_1, p_2, p_3, p_4, p_5);
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS e_state = RETURNED_SQLSTATE, e_message = MESSAGE_TEXT,
		e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
	PERFORM csstats._router_rethrow(e_state, e_message, e_detail, e_hint, p_1);
END
$$;
REVOKE ALL ON FUNCTION csstats._router_support_bot_sheet(text, timestamp with time zone, timestamp with time zone, jsonb, timestamp with time zone) FROM PUBLIC;

CREATE FUNCTION csstats.support_bot_sheet(channel_id text, since timestamp with time zone DEFAULT NULL::timestamp with time zone, until timestamp with time zone DEFAULT NULL::timestamp with time zone, filters jsonb DEFAULT '{}'::jsonb, as_of timestamp with time zone DEFAULT now())
	RETURNS TABLE(id text, revision_id text, section_path text[])
	LANGUAGE sql STABLE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$ SELECT * FROM csstats._router_support_bot_sheet($1, $2, $3, $4, $5) $$;
REVOKE ALL ON FUNCTION csstats.support_bot_sheet(text, timestamp with time zone, timestamp with time zone, jsonb, timestamp with time zone) FROM PUBLIC;
COMMENT ON FUNCTION csstats.support_bot_sheet(text, timestamp with time zone, timestamp with time zone, jsonb, timestamp with time zone) IS 'csstats.support_bot_sheet on the shard holding the channel (csstats_router)';

-- team_sheet
CREATE FUNCTION csstats._router_px_team_sheet(p_1 text, p_2 timestamp with time zone, p_3 timestamp with time zone, p_4 jsonb, p_5 timestamp with time zone)
	RETURNS TABLE(id text, channel_id text, name text, manager_ids text[])
	LANGUAGE plproxy VOLATILE
AS $$
	CLUSTER 'csstats_shards';
	RUN ON csstats._router_shard_index(p_1);
	TARGET csstats.team_sheet;
$$;
REVOKE ALL ON FUNCTION csstats._router_px_team_sheet(text, timestamp with time zone, timestamp with time zone, jsonb, timestamp with time zone) FROM PUBLIC;

CREATE FUNCTION csstats._router_team_sheet(p_1 text, p_2 timestamp with time zone, p_3 timestamp with time zone, p_4 jsonb, p_5 timestamp with time zone)
	RETURNS TABLE(id text, channel_id text, name text, manager_ids text[])
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	e_state text;
	e_message text;
	e_detail text;
	e_hint text;
BEGIN
	RETURN QUERY SELECT * FROM csstats._router_px_team_sheet(p_1, p_2, p_3, p_4, p_5);
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS e_state = RETURNED_SQLSTATE, e_message = MESSAGE_TEXT,
		e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
	PERFORM csstats._router_rethrow(e_state, e_message, e_detail, e_hint, p_1);
END
$$;
REVOKE ALL ON FUNCTION csstats._router_team_sheet(text, timestamp with time zone, timestamp with time zone, jsonb, timestamp with time zone) FROM PUBLIC;

CREATE FUNCTION csstats.team_sheet(channel_id text, since timestamp with time zone DEFAULT NULL::timestamp with time zone, until timestamp with time zone DEFAULT NULL::timestamp with time zone, filters jsonb DEFAULT '{}'::jsonb, as_of timestamp with time zone DEFAULT now())
	RETURNS TABLE(id text, channel_id text, name text, manager_ids text[])
	LANGUAGE sql STABLE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$ SELECT * FROM csstats._router_team_sheet($1, $2, $3, $4, $5) $$;
REVOKE ALL ON FUNCTION csstats.team_sheet(text, timestamp with time zone, timestamp with time zone, jsonb, timestamp with time zone) FROM PUBLIC;
COMMENT ON FUNCTION csstats.team_sheet(text, timestamp with time zone, timestamp with time zone, jsonb, timestamp with time zone) IS 'csstats.team_sheet on the shard holding the channel (csstats_router)';

-- user_chat_case_sheet
CREATE FUNCTION csstats._router_px_user_chat_case_sheet(p_1 text, p_2 timestamp with time zone, p_3 timestamp with time zone, p_4 jsonb, p_5 timestamp with time zone)
	RETURNS TABLE(user_chat_case_created_at timestamp with time zone, user_chat_case integer, user_chat_case_id text, user_chat_case_state text, user_chat_case_updated_at timestamp with time zone, user_chat_id text, direction text, user_chat_state text, user_chat_url text, team_id text, team_name text, assignee_id text, assignee_name text, manager_ids text[], manager_names text[], user_id text, user_name text, created_at timestamp with time zone, first_queued_at timestamp with time zone, first_opened_at timestamp with time zone, first_asked_at timestamp with time zone, first_replied_at timestamp with time zone, closed_at timestamp with time zone, waiting_time double precision, total_reply_time double precision, reply_count integer, avg_reply_time double precision, resolution_time double precision, total_snoozed_time double precision, lead_time double precision, snoozed_count integer, missed_count integer, operation_waiting_time double precision, operation_reply_count integer, operation_total_reply_time double precision, operation_avg_reply_time double precision, operation_resolution_time double precision, operation_lead_time double precision, description text, summarized_message text, tags text[], medium_name text, medium_sender_name text, marketing_type text, marketing_id text, workflow_id text, page text, priority text, profile jsonb)
	LANGUAGE plproxy VOLATILE
AS $$
	CLUSTER 'csstats_shards';
	RUN ON csstats._router_shard_index(p_1);
	TARGET csstats.user_chat_case_sheet;
$$;
REVOKE ALL ON FUNCTION csstats._router_px_user_chat_case_sheet(text, timestamp with time zone, timestamp with time zone, jsonb, timestamp with time zone) FROM PUBLIC;

CREATE FUNCTION csstats._router_user_chat_case_sheet(p_1 text, p_2 timestamp with time zone, p_3 timestamp with time zone, p_4 jsonb, p_5 timestamp with time zone)
	RETURNS TABLE(user_chat_case_created_at timestamp with time zone, user_chat_case integer, user_chat_case_id text, user_chat_case_state text, user_chat_case_updated_at timestamp with time zone, user_chat_id text, direction text, user_chat_state text, user_chat_url text, team_id text, team_name text, assignee_id text, assignee_name text, manager_ids text[], manager_names text[], user_id text, user_name text, created_at timestamp with time zone, first_queued_at timestamp with time zone, first_opened_at timestamp with time zone, first_asked_at timestamp with time zone, first_replied_at timestamp with time zone, closed_at timestamp with time zone, waiting_time double precision, total_reply_time double precision, reply_count integer, avg_reply_time double precision, resolution_time double precision, total_snoozed_time double precision, lead_time double precision, snoozed_count integer, missed_count integer, operation_waiting_time double precision, operation_reply_count integer, operation_total_reply_time double precision, operation_avg_reply_time double precision, operation_resolution_time double precision, operation_lead_time double precision, description text, summarized_message text, tags text[], medium_name text, medium_sender_name text, marketing_type text, marketing_id text, workflow_id text, page text, priority text, profile jsonb)
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	e_state text;
	e_message text;
	e_detail text;
	e_hint text;
BEGIN
	RETURN QUERY SELECT * FROM csstats._router_px_user_chat_case_sheet(p_1, p_2, p_3, p_4, p_5);
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS e_state = RETURNED_SQLSTATE, e_message = MESSAGE_TEXT,
		e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
	PERFORM csstats._router_rethrow(e_state, e_message, e_detail, e_hint, p_1);
END
$$;
REVOKE ALL ON FUNCTION csstats._router_user_chat_case_sheet(text, timestamp with time zone, timestamp with time zone, jsonb, timestamp with time zone) FROM PUBLIC;

CREATE FUNCTION csstats.user_chat_case_sheet(channel_id text, since timestamp with time zone DEFAULT NULL::timestamp with time zone, until timestamp with time zone DEFAULT NULL::timestamp with time zone, filters jsonb DEFAULT '{}'::jsonb, as_of timestamp with time zone DEFAULT now())
	RETURNS TABLE(user_chat_case_created_at timestamp with time zone, user_chat_case integer, user_chat_case_id text, user_chat_case_state text, user_chat_case_updated_at timestamp with time zone, user_chat_id text, direction text, user_chat_state text, user_chat_url text, team_id text, team_name text, assignee_id text, assignee_name text, manager_ids text[], manager_names text[], user_id text, user_name text, created_at timestamp with time zone, first_queued_at timestamp with time zone, first_opened_at timestamp with time zone, first_asked_at timestamp with time zone, first_replied_at timestamp with time zone, closed_at timestamp with time zone, waiting_time double precision, total_reply_time double precision, reply_count integer, avg_reply_time double precision, resolution_time double precision, total_snoozed_time double precision, lead_time double precision, snoozed_count integer, missed_count integer, operation_waiting_time double precision, operation_reply_count integer, operation_total_reply_time double precision, operation_avg_reply_time double precision, operation_resolution_time double precision, operation_lead_time double precision, description text, summarized_message text, tags text[], medium_name text, medium_sender_name text, marketing_type text, marketing_id text, workflow_id text, page text, priority text, profile jsonb)
	LANGUAGE sql STABLE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$ SELECT * FROM csstats._router_user_chat_case_sheet($1, $2, $3, $4, $5) $$;
REVOKE ALL ON FUNCTION csstats.user_chat_case_sheet(text, timestamp with time zone, timestamp with time zone, jsonb, timestamp with time zone) FROM PUBLIC;
COMMENT ON FUNCTION csstats.user_chat_case_sheet(text, timestamp with time zone, timestamp with time zone, jsonb, timestamp with time zone) IS 'csstats.user_chat_case_sheet on the shard holding the channel (csstats_router)';

-- user_chat_meet_sheet
CREATE FUNCTION csstats._router_px_user_chat_meet_sheet(p_1 text, p_2 timestamp with time zone, p_3 timestamp with time zone, p_4 jsonb, p_5 timestamp with time zone)
	RETURNS TABLE(id text, user_chat_id text, started_at timestamp with time zone, ended_at timestamp with time zone, engaged_at timestamp with time zone, "from" text, "to" text, direction text, missed_reason text, duration double precision, type text, primary_number text, representative_number text)
	LANGUAGE plproxy VOLATILE
AS $$
	CLUSTER 'csstats_shards';
	RUN ON csstats._router_shard_index(p_1);
	TARGET csstats.user_chat_meet_sheet;
$$;
REVOKE ALL ON FUNCTION csstats._router_px_user_chat_meet_sheet(text, timestamp with time zone, timestamp with time zone, jsonb, timestamp with time zone) FROM PUBLIC;

CREATE FUNCTION csstats._router_user_chat_meet_sheet(p_1 text, p_2 timestamp with time zone, p_3 timestamp with time zone, p_4 jsonb, p_5 timestamp with time zone)
	RETURNS TABLE(id text, user_chat_id text, started_at timestamp with time zone, ended_at timestamp with time zone, engaged_at timestamp with time zone, "from" text, "to" text, direction text, missed_reason text, duration double precision, type text, primary_number text, representative_number text)
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	e_state text;
	e_message text;
	e_detail text;
	e_hint text;
BEGIN
	RETURN QUERY SELECT * FROM csstats._router_px_user_chat_meet_sheet(p_1, p_2, p_3, p_4, p_5);
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS e_state = RETURNED_SQLSTATE, e_message = MESSAGE_TEXT,
		e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
	PERFORM csstats._router_rethrow(e_state, e_message, e_detail, e_hint, p_1);
END
$$;
REVOKE ALL ON FUNCTION csstats._router_user_chat_meet_sheet(text, timestamp with time zone, timestamp with time zone, jsonb, timestamp with time zone) FROM PUBLIC;

CREATE FUNCTION csstats.user_chat_meet_sheet(channel_id text, since timestamp with time zone DEFAULT NULL::timestamp with time zone, until timestamp with time zone DEFAULT NULL::timestamp with time zone, filters jsonb DEFAULT '{}'::jsonb, as_of timestamp with time zone DEFAULT now())
	RETURNS TABLE(id text, user_chat_id text, started_at timestamp with time zone, ended_at timestamp with time zone, engaged_at timestamp with time zone, "from" text, "to" text, direction text, missed_reason text, duration double precision, type text, primary_number text, representative_number text)
	LANGUAGE sql STABLE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$ SELECT * FROM csstats._router_user_chat_meet_sheet($1, $2, $3, $4, $5) $$;
REVOKE ALL ON FUNCTION csstats.user_chat_meet_sheet(text, timestamp with time zone, timestamp with time zone, jsonb, timestamp with time zone) FROM PUBLIC;
COMMENT ON FUNCTION csstats.user_chat_meet_sheet(text, timestamp with time zone, timestamp with time zone, jsonb, timestamp with time zone) IS 'csstats.user_chat_meet_sheet on the shard holding the channel (csstats_router)';

-- user_chat_sheet
CREATE FUNCTION csstats._router_px_user_chat_sheet(p_1 text, p_2 timestamp with time zone, p_3 timestamp with time zone, p_4 jsonb, p_5 timestamp with time zone)
	RETURNS TABLE(id text, user_id text, name text, description text, summarized_message text, state text, contact_medium_type text, marketing_type text, marketing_id text, workflow_id text, manager_ids text[], assignee_id text, team_id text, tags text[], priority text, page text, first_asked_at timestamp with time zone, first_queued_at timestamp with time zone, first_opened_at timestamp with time zone, first_replied_at timestamp with time zone, opened_at timestamp with time zone, first_replied_at_after_open timestamp with time zone, created_at timestamp with time zone, waiting_time double precision, avg_reply_time double precision, total_reply_time double precision, reply_count integer, resolution_time double precision, operation_waiting_time double precision, operation_avg_reply_time double precision, operation_total_reply_time double precision, operation_reply_count integer, operation_resolution_time double precision, closed_at timestamp with time zone, goal_state text, goal_event_name text, goal_checked_at timestamp with time zone, support_bot_id text, url text, profile jsonb)
	LANGUAGE plproxy VOLATILE
AS $$
	CLUSTER 'csstats_shards';
	RUN ON csstats._router_shard_index(p_1);
	TARGET csstats.user_chat_sheet;
$$;
REVOKE ALL ON FUNCTION csstats._router_px_user_chat_sheet(text, timestamp with time zone, timestamp with time zone, jsonb, timestamp with time zone) FROM PUBLIC;

CREATE FUNCTION csstats._router_user_chat_sheet(p_1 text, p_2 timestamp with time zone, p_3 timestamp with time zone, p_4 jsonb, p_5 timestamp with time zone)
	RETURNS TABLE(id text, user_id text, name text, description text, summarized_message text, state text, contact_medium_type text, marketing_type text, marketing_id text, workflow_id text, manager_ids text[], assignee_id text, team_id text, tags text[], priority text, page text, first_asked_at timestamp with time zone, first_queued_at timestamp with time zone, first_opened_at timestamp with time zone, first_replied_at timestamp with time zone, opened_at timestamp with time zone, first_replied_at_after_open timestamp with time zone, created_at timestamp with time zone, waiting_time double precision, avg_reply_time double precision, total_reply_time double precision, reply_count integer, resolution_time double precision, operation_waiting_time double precision, operation_avg_reply_time double precision, operation_total_reply_time double precision, operation_reply_count integer, operation_resolution_time double precision, closed_at timestamp with time zone, goal_state text, goal_event_name text, goal_checked_at timestamp with time zone, support_bot_id text, url text, profile jsonb)
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	e_state text;
	e_message text;
	e_detail text;
	e_hint text;
BEGIN
	RETURN QUERY SELECT * FROM csstats._router_px_user_chat_sheet(p_1, p_2, p_3, p_4, p_5);
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS e_state = RETURNED_SQLSTATE, e_message = MESSAGE_TEXT,
		e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
	PERFORM csstats._router_rethrow(e_state, e_message, e_detail, e_hint, p_1);
END
$$;
REVOKE ALL ON FUNCTION csstats._router_user_chat_sheet(text, timestamp with time zone, timestamp with time zone, jsonb, timestamp with time zone) FROM PUBLIC;

CREATE FUNCTION csstats.user_chat_sheet(channel_id text, since timestamp with time zone DEFAULT NULL::timestamp with time zone, until timestamp with time zone DEFAULT NULL::timestamp with time zone, filters jsonb DEFAULT '{}'::jsonb, as_of timestamp with time zone DEFAULT now())
	RETURNS TABLE(id text, user_id text, name text, description text, summarized_message text, state text, contact_medium_type text, marketing_type text, marketing_id text, workflow_id text, manager_ids text[], assignee_id text, team_id text, tags text[], priority text, page text, first_asked_at timestamp with time zone, first_queued_at timestamp with time zone, first_opened_at timestamp with time zone, first_replied_at timestamp with time zone, opened_at timestamp with time zone, first_replied_at_after_open timestamp with time zone, created_at timestamp with time zone, waiting_time double precision, avg_reply_time double precision, total_reply_time double precision, reply_count integer, resolution_time double precision, operation_waiting_time double precision, operation_avg_reply_time double precision, operation_total_reply_time double precision, operation_reply_count integer, operation_resolution_time double precision, closed_at timestamp with time zone, goal_state text, goal_event_name text, goal_checked_at timestamp with time zone, support_bot_id text, url text, profile jsonb)
	LANGUAGE sql STABLE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$ SELECT * FROM csstats._router_user_chat_sheet($1, $2, $3, $4, $5) $$;
REVOKE ALL ON FUNCTION csstats.user_chat_sheet(text, timestamp with time zone, timestamp with time zone, jsonb, timestamp with time zone) FROM PUBLIC;
COMMENT ON FUNCTION csstats.user_chat_sheet(text, timestamp with time zone, timestamp with time zone, jsonb, timestamp with time zone) IS 'csstats.user_chat_sheet on the shard holding the channel (csstats_router)';

-- user_chat_tag_sheet
CREATE FUNCTION csstats._router_px_user_chat_tag_sheet(p_1 text, p_2 timestamp with time zone, p_3 timestamp with time zone, p_4 jsonb, p_5 timestamp with time zone)
	RETURNS TABLE(id text, channel_id text, name text, description text, follower_ids text[], created_at timestamp with time zone)
	LANGUAGE plproxy VOLATILE
AS $$
	CLUSTER 'csstats_shards';
	RUN ON csstats._router_shard_index(p_1);
	TARGET csstats.user_chat_tag_sheet;
$$;
REVOKE ALL ON FUNCTION csstats._router_px_user_chat_tag_sheet(text, timestamp with time zone, timestamp with time zone, jsonb, timestamp with time zone) FROM PUBLIC;

CREATE FUNCTION csstats._router_user_chat_tag_sheet(p_1 text, p_2 timestamp with time zone, p_3 timestamp with time zone, p_4 jsonb, p_5 timestamp with time zone)
	RETURNS TABLE(id text, channel_id text, name text, description text, follower_ids text[], created_at timestamp with time zone)
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	e_state text;
	e_message text;
	e_detail text;
	e_hint text;
BEGIN
	RETURN QUERY SELECT * FROM csstats._router_px_user_chat_tag_sheet(p_1, p_2, p_3, p_4, p_5);
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS e_state = RETURNED_SQLSTATE, e_message = MESSAGE_TEXT,
		e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
	PERFORM csstats._router_rethrow(e_state, e_message, e_detail, e_hint, p_1);
END
$$;
REVOKE ALL ON FUNCTION csstats._router_user_chat_tag_sheet(text, timestamp with time zone, timestamp with time zone, jsonb, timestamp with time zone) FROM PUBLIC;

CREATE FUNCTION csstats.user_chat_tag_sheet(channel_id text, since timestamp with time zone DEFAULT NULL::timestamp with time zone, until timestamp with time zone DEFAULT NULL::timestamp with time zone, filters jsonb DEFAULT '{}'::jsonb, as_of timestamp with time zone DEFAULT now())
	RETURNS TABLE(id text, channel_id text, name text, description text, follower_ids text[], created_at timestamp with time zone)
	LANGUAGE sql STABLE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$ SELECT * FROM csstats._router_user_chat_tag_sheet($1, $2, $3, $4, $5) $$;
REVOKE ALL ON FUNCTION csstats.user_chat_tag_sheet(text, timestamp with time zone, timestamp with time zone, jsonb, timestamp with time zone) FROM PUBLIC;
COMMENT ON FUNCTION csstats.user_chat_tag_sheet(text, timestamp with time zone, timestamp with time zone, jsonb, timestamp with time zone) IS 'csstats.user_chat_tag_sheet on the shard holding the channel (csstats_router)';

-- user_sheet
CREATE FUNCTION csstats._router_px_user_sheet(p_1 text, p_2 timestamp with time zone, p_3 timestamp with time zone, p_4 jsonb, p_5 timestamp with time zone)
	RETURNS TABLE(id text, channel_id text, member_id text, name text, created_at timestamp with time zone, updated_at timestamp with time zone, profile jsonb)
	LANGUAGE plproxy VOLATILE
AS $$
	CLUSTER 'csstats_shards';
	RUN ON csstats._router_shard_index(p_1);
	TARGET csstats.user_sheet;
$$;
REVOKE ALL ON FUNCTION csstats._router_px_user_sheet(text, timestamp with time zone, timestamp with time zone, jsonb, timestamp with time zone) FROM PUBLIC;

CREATE FUNCTION csstats._router_user_sheet(p_1 text, p_2 timestamp with time zone, p_3 timestamp with time zone, p_4 jsonb, p_5 timestamp with time zone)
	RETURNS TABLE(id text, channel_id text, member_id text, name text, created_at timestamp with time zone, updated_at timestamp with time zone, profile jsonb)
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	e_state text;
	e_message text;
	e_detail text;
	e_hint text;
BEGIN
	RETURN QUERY SELECT * FROM csstats._router_px_user_sheet(p_1, p_2, p_3, p_4, p_5);
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS e_state = RETURNED_SQLSTATE, e_message = MESSAGE_TEXT,
		e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
	PERFORM csstats._router_rethrow(e_state, e_message, e_detail, e_hint, p_1);
END
$$;
REVOKE ALL ON FUNCTION csstats._router_user_sheet(text, timestamp with time zone, timestamp with time zone, jsonb, timestamp with time zone) FROM PUBLIC;

CREATE FUNCTION csstats.user_sheet(channel_id text, since timestamp with time zone DEFAULT NULL::timestamp with time zone, until timestamp with time zone DEFAULT NULL::timestamp with time zone, filters jsonb DEFAULT '{}'::jsonb, as_of timestamp with time zone DEFAULT now())
	RETURNS TABLE(id text, channel_id text, member_id text, name text, created_at timestamp with time zone, updated_at timestamp with time zone, profile jsonb)
	LANGUAGE sql STABLE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$ SELECT * FROM csstats._router_user_sheet($1, $2, $3, $4, $5) $$;
REVOKE ALL ON FUNCTION csstats.user_sheet(text, timestamp with time zone, timestamp with time zone, jsonb, timestamp with time zone) FROM PUBLIC;
COMMENT ON FUNCTION csstats.user_sheet(text, timestamp with time zone, timestamp with time zone, jsonb, timestamp with time zone) IS 'csstats.user_sheet on the shard holding the channel (csstats_router)';

-- user_sheet_profile_keys
CREATE FUNCTION csstats._router_px_user_sheet_profile_keys(p_1 text, p_2 timestamp with time zone, p_3 timestamp with time zone, p_4 jsonb, p_5 timestamp with time zone)
	RETURNS TABLE("position" integer, key text, name text)
	LANGUAGE plproxy VOLATILE
AS $$
	CLUSTER 'csstats_shards';
	RUN ON csstats._router_shard_index(p_1);
	TARGET csstats.user_sheet_profile_keys;
$$;
REVOKE ALL ON FUNCTION csstats._router_px_user_sheet_profile_keys(text, timestamp with time zone, timestamp with time zone, jsonb, timestamp with time zone) FROM PUBLIC;

CREATE FUNCTION csstats._router_user_sheet_profile_keys(p_1 text, p_2 timestamp with time zone, p_3 timestamp with time zone, p_4 jsonb, p_5 timestamp with time zone)
	RETURNS TABLE("position" integer, key text, name text)
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	e_state text;
	e_message text;
	e_detail text;
	e_hint text;
BEGIN
	RETURN QUERY SELECT * FROM csstats._router_px_user_sheet_profile_keys(p_1, p_2, p_3, p_4, p_5);
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS e_state = RETURNED_SQLSTATE, e_message = MESSAGE_TEXT,
		e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
	PERFORM csstats._router_rethrow(e_state, e_message, e_detail, e_hint, p_1);
END
$$;
REVOKE ALL ON FUNCTION csstats._router_user_sheet_profile_keys(text, timestamp with time zone, timestamp with time zone, jsonb, timestamp with time zone) FROM PUBLIC;

CREATE FUNCTION csstats.user_sheet_profile_keys(channel_id text, since timestamp with time zone DEFAULT NULL::timestamp with time zone, until timestamp with time zone DEFAULT NULL::timestamp with time zone, filters jsonb DEFAULT '{}'::jsonb, as_of timestamp with time zone DEFAULT now())
	RETURNS TABLE("position" integer, key text, name text)
	LANGUAGE sql STABLE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$ SELECT * FROM csstats._router_user_sheet_profile_keys($1, $2, $3, $4, $5) $$;
REVOKE ALL ON FUNCTION csstats.user_sheet_profile_keys(text, timestamp with time zone, timestamp with time zone, jsonb, timestamp with time zone) FROM PUBLIC;
COMMENT ON FUNCTION csstats.user_sheet_profile_keys(text, timestamp with time zone, timestamp with time zone, jsonb, timestamp with time zone) IS 'csstats.user_sheet_profile_keys on the shard holding the channel (csstats_router)';

-- workflow_sheet
CREATE FUNCTION csstats._router_px_workflow_sheet(p_1 text, p_2 timestamp with time zone, p_3 timestamp with time zone, p_4 jsonb, p_5 timestamp with time zone)
	RETURNS TABLE(id text, revision_id text, section_path text[], cause_of_end text)
	LANGUAGE plproxy VOLATILE
AS $$
	CLUSTER 'csstats_shards';
	RUN ON csstats._router_shard_index(p_1);
	TARGET csstats.workflow_sheet;
$$;
REVOKE ALL ON FUNCTION csstats._router_px_workflow_sheet(text, timestamp with time zone, timestamp with time zone, jsonb, timestamp with time zone) FROM PUBLIC;

CREATE FUNCTION csstats._router_workflow_sheet(p_1 text, p_2 timestamp with time zone, p_3 timestamp with time zone, p_4 jsonb, p_5 timestamp with time zone)
	RETURNS TABLE(id text, revision_id text, section_path text[], cause_of_end text)
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	e_state text;
	e_message text;
	e_detail text;
	e_hint text;
BEGIN
	RETURN QUERY SELECT * FROM csstats._router_px_workflow_sheet(p_1, p_2, p_3, p_4, p_5);
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS e_state = RETURNED_SQLSTATE, e_message = MESSAGE_TEXT,
		e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
	PERFORM csstats._router_rethrow(e_state, e_message, e_detail, e_hint, p_1);
END
$$;
REVOKE ALL ON FUNCTION csstats._router_workflow_sheet(text, timestamp with time zone, timestamp with time zone, jsonb, timestamp with time zone) FROM PUBLIC;

CREATE FUNCTION csstats.workflow_sheet(channel_id text, since timestamp with time zone DEFAULT NULL::timestamp with time zone, until timestamp with time zone DEFAULT NULL::timestamp with time zone, filters jsonb DEFAULT '{}'::jsonb, as_of timestamp with time zone DEFAULT now())
	RETURNS TABLE(id text, revision_id text, section_path text[], cause_of_end text)
	LANGUAGE sql STABLE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$ SELECT * FROM csstats._router_workflow_sheet($1, $2, $3, $4, $5) $$;
REVOKE ALL ON FUNCTION csstats.workflow_sheet(text, timestamp with time zone, timestamp with time zone, jsonb, timestamp with time zone) FROM PUBLIC;
COMMENT ON FUNCTION csstats.workflow_sheet(text, timestamp with time zone, timestamp with time zone, jsonb, timestamp with time zone) IS 'csstats.workflow_sheet on the shard holding the channel (csstats_router)';

-------------------------------------------------------------------------------
-- The cross-channel summary: ON ALL shards in parallel (PL/Proxy sends the
-- call to every partition at once and appends the results).  A channel
-- lives on one shard, so every (channel, day) row comes whole from one shard;
-- a summary over several channels at once would merge DDSketch states
-- instead (docs/scale_out.md).
-------------------------------------------------------------------------------
CREATE FUNCTION csstats._router_px_daily_summary(p_1 timestamptz, p_2 timestamptz, p_3 timestamptz)
	RETURNS TABLE (channel_id text, day date, chats bigint,
		waiting_p50 double precision, waiting_p90 double precision)
	LANGUAGE plproxy VOLATILE
AS $$
	CLUSTER 'csstats_shards';
	RUN ON ALL;
	TARGET csstats.daily_summary;
$$;
REVOKE ALL ON FUNCTION csstats._router_px_daily_summary(timestamptz, timestamptz, timestamptz) FROM PUBLIC;

CREATE FUNCTION csstats._router_daily_summary(p_1 timestamptz, p_2 timestamptz, p_3 timestamptz)
	RETURNS TABLE (channel_id text, day date, chats bigint,
		waiting_p50 double precision, waiting_p90 double precision)
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	e_state text;
	e_message text;
	e_detail text;
	e_hint text;
BEGIN
	-- before any shard is added p0 is a placeholder: no rows
	IF NOT EXISTS (SELECT FROM csstats.router_shards) THEN
		RETURN;
	END IF;
	RETURN QUERY SELECT * FROM csstats._router_px_daily_summary(p_1, p_2, p_3);
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS e_state = RETURNED_SQLSTATE, e_message = MESSAGE_TEXT,
		e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
	PERFORM csstats._router_rethrow(e_state, e_message, e_detail, e_hint, NULL);
END
$$;
REVOKE ALL ON FUNCTION csstats._router_daily_summary(timestamptz, timestamptz, timestamptz) FROM PUBLIC;

CREATE FUNCTION csstats.daily_summary(since timestamptz, until timestamptz,
		as_of timestamptz DEFAULT now())
	RETURNS TABLE (channel_id text, day date, chats bigint,
		waiting_p50 double precision, waiting_p90 double precision)
	LANGUAGE sql STABLE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$ SELECT * FROM csstats._router_daily_summary($1, $2, $3) s ORDER BY s.channel_id, s.day $$;
REVOKE ALL ON FUNCTION csstats.daily_summary(timestamptz, timestamptz, timestamptz) FROM PUBLIC;
COMMENT ON FUNCTION csstats.daily_summary(timestamptz, timestamptz, timestamptz) IS
	'csstats.daily_summary over every shard (ON ALL, in parallel) (csstats_router)';

-------------------------------------------------------------------------------
-- The audit trail of the coordinator: the authoritative record of what it
-- handed out (the shard keeps its own, csstats.export_audit there, linked by
-- request_id and shard_audit_id).  The same columns, hash chain and checks
-- as csstats' own (sql/install/80_export.sql), plus the shard columns.
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
	format text NOT NULL,
	include_messages boolean NOT NULL,
	channel_id text NOT NULL,
	since timestamptz,
	until timestamptz,
	as_of timestamptz NOT NULL,
	filters jsonb NOT NULL,
	row_counts jsonb,
	bytes bigint,
	sha256 text,
	destination text,
	password_name text,
	prev_hash text,
	row_hash text NOT NULL,
	outcome text NOT NULL DEFAULT 'delivered'
		CONSTRAINT export_audit_outcome_valid CHECK (outcome IN ('delivered', 'denied')),
	refusal text,
	shard text NOT NULL,
	shard_audit_id bigint,
	request_id uuid NOT NULL UNIQUE,
	CONSTRAINT export_audit_delivered_complete CHECK (outcome <> 'delivered' OR
		(bytes IS NOT NULL AND sha256 IS NOT NULL AND destination IS NOT NULL AND shard_audit_id IS NOT NULL)),
	CONSTRAINT export_audit_denied_has_refusal CHECK (outcome <> 'denied' OR refusal IS NOT NULL)
);
COMMENT ON TABLE csstats.export_audit IS
	'coordinator: one row per export handed out (committed before its first byte leaves the coordinator) and per attempt a shard refused; never the password; append-only, SHA-256 hash-chained: check it with csstats.verify_audit()';
COMMENT ON COLUMN csstats.export_audit.shard IS 'the shard that produced the file (csstats.router_shards)';
COMMENT ON COLUMN csstats.export_audit.shard_audit_id IS 'the id of the shard''s own audit row (csstats.export_audit on the shard)';
COMMENT ON COLUMN csstats.export_audit.request_id IS 'the request id the shard''s csstats.shard_export_links row names';

CREATE TABLE csstats.export_audit_head (
	singleton boolean PRIMARY KEY DEFAULT true CONSTRAINT export_audit_head_one_row CHECK (singleton),
	last_id bigint NOT NULL,
	last_hash text NOT NULL
);
COMMENT ON TABLE csstats.export_audit_head IS 'the id and row_hash of the newest export_audit row (chain head)';
REVOKE ALL ON csstats.export_audit, csstats.export_audit_head FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('csstats.export_audit', '');
SELECT pg_catalog.pg_extension_config_dump('csstats.export_audit_head', '');

CREATE FUNCTION csstats._export_audit_hash(a csstats.export_audit)
	RETURNS text
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	RETURN pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(pg_catalog.jsonb_build_array(
		a.id, a.exported_at AT TIME ZONE 'UTC', a.session_user, a.current_user, a.manager_id,
		a.reason, a.kind, a.format, a.include_messages, a.channel_id,
		a.since AT TIME ZONE 'UTC', a.until AT TIME ZONE 'UTC', a.as_of AT TIME ZONE 'UTC',
		a.filters, a.row_counts, a.bytes, a.sha256, a.destination, a.password_name,
		a.prev_hash, a.outcome, a.refusal, a.shard, a.shard_audit_id, a.request_id)::text, 'UTF8')), 'hex');
COMMENT ON FUNCTION csstats._export_audit_hash(csstats.export_audit) IS
	'SHA-256 (hex) of an audit row''s contents including prev_hash; what row_hash must equal';

-- Runs on the loopback connection (server csstats_router_self), so its
-- transaction commits on its own, with synchronous_commit = on (set in the
-- conninfo by router_configure_audit), before the PL/Proxy call returns.
CREATE FUNCTION csstats._router_audit_append(p_session_user text, p_current_user text,
		p_manager_id text, p_reason text, p_kind text, p_format text,
		p_include_messages boolean, p_channel_id text, p_since timestamptz,
		p_until timestamptz, p_as_of timestamptz, p_filters jsonb, p_row_counts jsonb,
		p_bytes bigint, p_sha256 text, p_destination text, p_password_name text,
		p_outcome text, p_refusal text, p_shard text, p_shard_audit_id bigint,
		p_request_id uuid)
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
	r.destination := p_destination;
	r.password_name := p_password_name;
	r.prev_hash := nullif(h.last_hash, '');
	r.outcome := p_outcome;
	r.refusal := p_refusal;
	r.shard := p_shard;
	r.shard_audit_id := p_shard_audit_id;
	r.request_id := p_request_id;
	r.row_hash := csstats._export_audit_hash(r);
	INSERT INTO csstats.export_audit SELECT r.*;
	UPDATE csstats.export_audit_head t SET last_id = r.id, last_hash = r.row_hash WHERE t.singleton;
	-- the external chain head, as csstats logs it
	RAISE LOG 'csstats audit chain head: id %, row_hash %', r.id, r.row_hash;
	RETURN r.id;
END
$$;
REVOKE ALL ON FUNCTION csstats._router_audit_append(text, text, text, text, text, text, boolean,
	text, timestamptz, timestamptz, timestamptz, jsonb, jsonb, bigint, text, text, text, text,
	text, text, bigint, uuid) FROM PUBLIC;
COMMENT ON FUNCTION csstats._router_audit_append(text, text, text, text, text, text, boolean,
	text, timestamptz, timestamptz, timestamptz, jsonb, jsonb, bigint, text, text, text, text,
	text, text, bigint, uuid) IS
	'internal: appends one export_audit row to the hash chain (run over the loopback connection, in its own transaction)';

CREATE FUNCTION csstats._router_px_audit_append(p_session_user text, p_current_user text,
		p_manager_id text, p_reason text, p_kind text, p_format text,
		p_include_messages boolean, p_channel_id text, p_since timestamptz,
		p_until timestamptz, p_as_of timestamptz, p_filters jsonb, p_row_counts jsonb,
		p_bytes bigint, p_sha256 text, p_destination text, p_password_name text,
		p_outcome text, p_refusal text, p_shard text, p_shard_audit_id bigint,
		p_request_id uuid)
	RETURNS bigint
	LANGUAGE plproxy VOLATILE
AS $$
	CLUSTER 'csstats_router_self';
	RUN ON 0;
	TARGET csstats._router_audit_append;
$$;
REVOKE ALL ON FUNCTION csstats._router_px_audit_append(text, text, text, text, text, text, boolean,
	text, timestamptz, timestamptz, timestamptz, jsonb, jsonb, bigint, text, text, text, text,
	text, text, bigint, uuid) FROM PUBLIC;

CREATE FUNCTION csstats.router_configure_audit(conninfo text)
	RETURNS void
	LANGUAGE plpgsql VOLATILE
	SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
BEGIN
	IF conninfo IS NULL THEN
		RAISE EXCEPTION 'conninfo must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF conninfo ~* '(^|\s)(password|options)\s*=' THEN
		RAISE EXCEPTION 'the audit conninfo must contain neither a password nor options'
			USING ERRCODE = 'invalid_parameter_value',
				HINT = 'Passwords go into the user mapping of csstats_router_self; the options are set here.';
	END IF;
	-- each append commits durably whatever the coordinator's own setting
	conninfo := conninfo || ' options=''-c synchronous_commit=on''';
	EXECUTE format('ALTER SERVER csstats_router_self OPTIONS (SET p0 %L)', conninfo);
END
$$;
REVOKE ALL ON FUNCTION csstats.router_configure_audit(text) FROM PUBLIC;
COMMENT ON FUNCTION csstats.router_configure_audit(text) IS
	'sets the loopback connection (to this database) the audit appends use; its user mapping names a role that may append';

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
			problem := format('rows were deleted before it: ids %s to %s are missing', prev_id + 1, a.id - 1);
		ELSIF a.prev_hash IS DISTINCT FROM prev_row_hash THEN
			problem := format('chain broken: prev_hash does not match the row_hash of row %s', prev_id);
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
		problem := format('the chain head (row %s) does not match the last row %s', h.last_id, prev_id);
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
	'checks the coordinator''s export_audit hash chain: one row per audit row plus one for rows deleted at the end';

CREATE FUNCTION csstats.verify_audit(head_id bigint, head_hash text)
	RETURNS TABLE (id bigint, ok boolean, problem text)
	LANGUAGE plpgsql STABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	found_hash text;
BEGIN
	IF head_id IS NULL OR head_hash IS NULL THEN
		RAISE EXCEPTION 'head_id and head_hash must not be null'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	RETURN QUERY SELECT v.id, v.ok, v.problem FROM csstats.verify_audit() v;
	SELECT a.row_hash INTO found_hash FROM csstats.export_audit a WHERE a.id = head_id;
	id := head_id;
	IF NOT FOUND THEN
		ok := false;
		problem := format('external head: row %s is missing from the chain', head_id);
	ELSIF found_hash IS DISTINCT FROM lower(head_hash) THEN
		ok := false;
		problem := format('external head: row %s has row_hash %s, the external head says %s (the chain was rewritten)',
			head_id, found_hash, lower(head_hash));
	ELSE
		ok := true;
		problem := NULL;
	END IF;
	RETURN NEXT;
END
$$;
REVOKE ALL ON FUNCTION csstats.verify_audit(bigint, text) FROM PUBLIC;
COMMENT ON FUNCTION csstats.verify_audit(bigint, text) IS
	'verify_audit() plus a last row checking a chain head kept outside the database (the LOG line of every append)';

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
CREATE TRIGGER export_audit_append_only BEFORE UPDATE OR DELETE ON csstats.export_audit
	FOR EACH ROW EXECUTE FUNCTION csstats._export_audit_refuse();
CREATE TRIGGER export_audit_no_truncate BEFORE TRUNCATE ON csstats.export_audit
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._export_audit_refuse();
CREATE TRIGGER export_audit_head_keep BEFORE DELETE ON csstats.export_audit_head
	FOR EACH ROW EXECUTE FUNCTION csstats._export_audit_refuse();
CREATE TRIGGER export_audit_head_no_truncate BEFORE TRUNCATE ON csstats.export_audit_head
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._export_audit_refuse();

-------------------------------------------------------------------------------
-- Exports.  The shard produces the file (csstats.shard_export: the manager
-- and download-right checks, the limits, the shard's own audit row); the
-- coordinator hashes the bytes it received, commits its audit row over the
-- loopback connection, and only then returns them.  PL/Proxy holds the
-- whole file in the coordinator's memory (docs/scale_out.md).
-------------------------------------------------------------------------------
CREATE FUNCTION csstats._router_px_shard_export(p_kind text, p_session_user text,
		p_current_user text, p_request_id uuid, p_generate_password boolean,
		p_password text, p_reason text, p_since timestamptz, p_until timestamptz,
		p_format text, p_include_messages boolean, p_channel_id text, p_manager_id text,
		p_filters jsonb, p_as_of timestamptz, p_password_name text, p_include_summary boolean,
		OUT audit_id bigint, OUT generated_password text, OUT file bytea,
		OUT row_counts jsonb)
	RETURNS record
	LANGUAGE plproxy VOLATILE
AS $$
	CLUSTER 'csstats_shards';
	RUN ON csstats._router_shard_index(p_channel_id);
	TARGET csstats.shard_export;
$$;
REVOKE ALL ON FUNCTION csstats._router_px_shard_export(text, text, text, uuid, boolean, text,
	text, timestamptz, timestamptz, text, boolean, text, text, jsonb, timestamptz, text, boolean) FROM PUBLIC;

-- One export for the caller of the public function (which is SECURITY
-- DEFINER): session_user, and the role it SET ROLE to, are the caller's.
CREATE FUNCTION csstats._router_export(p_kind text, p_generate_password boolean,
		p_password text, p_reason text, p_since timestamptz, p_until timestamptz,
		p_format text, p_include_messages boolean, p_channel_id text, p_manager_id text,
		p_filters jsonb, p_as_of timestamptz, p_password_name text, p_include_summary boolean,
		OUT generated_password text, OUT file bytea)
	RETURNS record
	LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	caller_session text := session_user;
	caller_current text := CASE WHEN current_setting('role') = 'none' THEN session_user::text
		ELSE current_setting('role') END;
	request uuid := gen_random_uuid();
	shard_name text;
	r record;
	e_state text;
	e_message text;
	e_detail text;
	e_hint text;
BEGIN
	-- A given password reaches this server's log when the caller's
	-- statements are logged with their parameters (the shards never log it:
	-- docs/scale_out.md): the warning csstats gives on one node.
	IF p_password IS NOT NULL AND current_setting('log_parameter_max_length')::integer <> 0
			AND (current_setting('log_statement') = 'all'
				OR current_setting('log_min_duration_statement')::integer >= 0) THEN
		RAISE WARNING 'the export password may be written to the server log'
			USING DETAIL = 'Statement logging writes bind parameters (log_statement, log_min_duration_statement, log_parameter_max_length).',
				HINT = 'Use generate_password => true, or a password_name stored on the shard.';
	END IF;
	PERFORM csstats._router_shard_index(p_channel_id);
	SELECT c.shard INTO STRICT shard_name FROM csstats.router_placement c
	WHERE c.channel_id = p_channel_id;
	BEGIN
		SELECT * INTO STRICT r FROM csstats._router_px_shard_export(p_kind, caller_session,
			caller_current, request, p_generate_password, p_password, p_reason, p_since,
			p_until, p_format, p_include_messages, p_channel_id, p_manager_id, p_filters,
			p_as_of, p_password_name, p_include_summary);
	EXCEPTION WHEN OTHERS THEN
		GET STACKED DIAGNOSTICS e_state = RETURNED_SQLSTATE, e_message = MESSAGE_TEXT,
			e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
		-- the shard refused: a denied row here too (the shard has its own
		-- when csstats audits that refusal); arguments no row can hold
		-- (no reason, an unknown format) are not attempts worth a row
		IF e_message ~ '^\S+\(\d+\): \[[^]]*\] REMOTE ERROR: ' AND nullif(p_reason, '') IS NOT NULL
				AND coalesce(p_format, 'xlsx') IN ('xlsx', 'json') THEN
			PERFORM csstats._router_px_audit_append(caller_session, caller_current, p_manager_id,
				p_reason, p_kind, coalesce(p_format, 'xlsx'), coalesce(p_include_messages, false),
				p_channel_id, p_since, p_until, coalesce(p_as_of, now()), coalesce(p_filters, '{}'),
				NULL, NULL, NULL, NULL, p_password_name, 'denied',
				e_state || ': ' || regexp_replace(e_message, '^\S+\(\d+\): \[[^]]*\] REMOTE ERROR: ', ''),
				shard_name, NULL, request);
		END IF;
		PERFORM csstats._router_rethrow(e_state, e_message, e_detail, e_hint, p_channel_id);
	END;

	-- committed (loopback transaction) before the bytes are returned
	PERFORM csstats._router_px_audit_append(caller_session, caller_current, p_manager_id,
		p_reason, p_kind, coalesce(p_format, 'xlsx'), coalesce(p_include_messages, false),
		p_channel_id, p_since, p_until, coalesce(p_as_of, now()), coalesce(p_filters, '{}'),
		r.row_counts, octet_length(r.file), encode(sha256(r.file), 'hex'), 'bytea',
		p_password_name, 'delivered', NULL, shard_name, r.audit_id, request);
	generated_password := r.generated_password;
	file := r.file;
END
$$;
REVOKE ALL ON FUNCTION csstats._router_export(text, boolean, text, text, timestamptz, timestamptz,
	text, boolean, text, text, jsonb, timestamptz, text, boolean) FROM PUBLIC;
COMMENT ON FUNCTION csstats._router_export(text, boolean, text, text, timestamptz, timestamptz,
	text, boolean, text, text, jsonb, timestamptz, text, boolean) IS
	'internal: one export through the shard of the channel, audited on the coordinator before the file is returned';

CREATE FUNCTION csstats.export_chats(password text DEFAULT NULL, reason text DEFAULT NULL,
		since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL,
		format text DEFAULT 'xlsx', include_messages boolean DEFAULT false,
		channel_id text DEFAULT NULL, manager_id text DEFAULT NULL,
		filters jsonb DEFAULT '{}', as_of timestamptz DEFAULT now(),
		password_name text DEFAULT NULL, include_summary boolean DEFAULT false)
	RETURNS bytea
	LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	f bytea;
BEGIN
	SELECT e.file INTO STRICT f FROM csstats._router_export('chats', NULL, $1, $2, $3, $4, $5,
		$6, $7, $8, $9, $10, $11, $12) e;
	RETURN f;
END
$$;
COMMENT ON FUNCTION csstats.export_chats(text, text, timestamptz, timestamptz, text, boolean,
	text, text, jsonb, timestamptz, text, boolean) IS
	'csstats.export_chats on the shard holding the channel, audited on the coordinator (csstats_router)';

CREATE FUNCTION csstats.export_cases(password text DEFAULT NULL, reason text DEFAULT NULL,
		since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL,
		format text DEFAULT 'xlsx', channel_id text DEFAULT NULL,
		manager_id text DEFAULT NULL, filters jsonb DEFAULT '{}',
		as_of timestamptz DEFAULT now(), password_name text DEFAULT NULL,
		include_summary boolean DEFAULT false)
	RETURNS bytea
	LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	f bytea;
BEGIN
	SELECT e.file INTO STRICT f FROM csstats._router_export('cases', NULL, $1, $2, $3, $4, $5,
		false, $6, $7, $8, $9, $10, $11) e;
	RETURN f;
END
$$;
COMMENT ON FUNCTION csstats.export_cases(text, text, timestamptz, timestamptz, text,
	text, text, jsonb, timestamptz, text, boolean) IS
	'csstats.export_cases on the shard holding the channel, audited on the coordinator (csstats_router)';

CREATE FUNCTION csstats.export_chats(generate_password boolean, reason text DEFAULT NULL,
		since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL,
		format text DEFAULT 'xlsx', include_messages boolean DEFAULT false,
		channel_id text DEFAULT NULL, manager_id text DEFAULT NULL,
		filters jsonb DEFAULT '{}', as_of timestamptz DEFAULT now(),
		password_name text DEFAULT NULL, password text DEFAULT NULL,
		include_summary boolean DEFAULT false,
		OUT generated_password text, OUT file bytea)
	RETURNS record
	LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF $1 IS NOT TRUE THEN
		RAISE EXCEPTION 'generate_password must be true' USING ERRCODE = 'invalid_parameter_value',
			HINT = 'Leave generate_password out and pass password or password_name to choose the password.';
	END IF;
	SELECT e.generated_password, e.file INTO STRICT generated_password, file
	FROM csstats._router_export('chats', $1, $12, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,
		$13) e;
END
$$;
COMMENT ON FUNCTION csstats.export_chats(boolean, text, timestamptz, timestamptz, text, boolean,
	text, text, jsonb, timestamptz, text, text, boolean) IS
	'csstats.export_chats under a generated password, on the shard holding the channel, audited on the coordinator (csstats_router)';

CREATE FUNCTION csstats.export_cases(generate_password boolean, reason text DEFAULT NULL,
		since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL,
		format text DEFAULT 'xlsx', channel_id text DEFAULT NULL,
		manager_id text DEFAULT NULL, filters jsonb DEFAULT '{}',
		as_of timestamptz DEFAULT now(), password_name text DEFAULT NULL,
		password text DEFAULT NULL, include_summary boolean DEFAULT false,
		OUT generated_password text, OUT file bytea)
	RETURNS record
	LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF $1 IS NOT TRUE THEN
		RAISE EXCEPTION 'generate_password must be true' USING ERRCODE = 'invalid_parameter_value',
			HINT = 'Leave generate_password out and pass password or password_name to choose the password.';
	END IF;
	SELECT e.generated_password, e.file INTO STRICT generated_password, file
	FROM csstats._router_export('cases', $1, $11, $2, $3, $4, $5, false, $6, $7, $8, $9, $10,
		$12) e;
END
$$;
COMMENT ON FUNCTION csstats.export_cases(boolean, text, timestamptz, timestamptz, text,
	text, text, jsonb, timestamptz, text, text, boolean) IS
	'csstats.export_cases under a generated password, on the shard holding the channel, audited on the coordinator (csstats_router)';

REVOKE ALL ON FUNCTION csstats.export_chats(text, text, timestamptz, timestamptz, text, boolean,
	text, text, jsonb, timestamptz, text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION csstats.export_cases(text, text, timestamptz, timestamptz, text,
	text, text, jsonb, timestamptz, text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION csstats.export_chats(boolean, text, timestamptz, timestamptz, text, boolean,
	text, text, jsonb, timestamptz, text, text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION csstats.export_cases(boolean, text, timestamptz, timestamptz, text,
	text, text, jsonb, timestamptz, text, text, boolean) FROM PUBLIC;

-------------------------------------------------------------------------------
-- File exports.  The file is written on the shard holding the channel, in
-- that shard's csstats.export_directory (csstats.shard_export_to_file: named
-- as on one node, "{id}" and generated names carrying the shard's audit id);
-- the coordinator commits its own audit row (destination "shard:file name",
-- the size and SHA-256 the shard's audit row records) before it returns, and
-- returns that row's id.
-------------------------------------------------------------------------------
CREATE FUNCTION csstats._router_px_shard_export_to_file(p_kind text, p_session_user text,
		p_current_user text, p_request_id uuid, p_generate_password boolean,
		p_filename text, p_password text, p_reason text, p_since timestamptz,
		p_until timestamptz, p_format text, p_include_messages boolean, p_channel_id text,
		p_manager_id text, p_filters jsonb, p_as_of timestamptz, p_password_name text,
		p_include_summary boolean,
		OUT audit_id bigint, OUT generated_password text, OUT destination text,
		OUT bytes bigint, OUT sha256 text, OUT row_counts jsonb)
	RETURNS record
	LANGUAGE plproxy VOLATILE
AS $$
	CLUSTER 'csstats_shards';
	RUN ON csstats._router_shard_index(p_channel_id);
	TARGET csstats.shard_export_to_file;
$$;
REVOKE ALL ON FUNCTION csstats._router_px_shard_export_to_file(text, text, text, uuid, boolean,
	text, text, text, timestamptz, timestamptz, text, boolean, text, text, jsonb, timestamptz,
	text, boolean) FROM PUBLIC;

-- One file export for the caller of the public function (SECURITY DEFINER:
-- session_user and the SET ROLE in effect are the caller's).
CREATE FUNCTION csstats._router_export_to_file(p_kind text, p_generate_password boolean,
		p_filename text, p_password text, p_reason text, p_since timestamptz,
		p_until timestamptz, p_format text, p_include_messages boolean, p_channel_id text,
		p_manager_id text, p_filters jsonb, p_as_of timestamptz, p_password_name text,
		p_include_summary boolean,
		OUT audit_id bigint, OUT generated_password text)
	RETURNS record
	LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	caller_session text := session_user;
	caller_current text := CASE WHEN current_setting('role') = 'none' THEN session_user::text
		ELSE current_setting('role') END;
	request uuid := gen_random_uuid();
	shard_name text;
	r record;
	e_state text;
	e_message text;
	e_detail text;
	e_hint text;
BEGIN
	IF p_password IS NOT NULL AND current_setting('log_parameter_max_length')::integer <> 0
			AND (current_setting('log_statement') = 'all'
				OR current_setting('log_min_duration_statement')::integer >= 0) THEN
		RAISE WARNING 'the export password may be written to the server log'
			USING DETAIL = 'Statement logging writes bind parameters (log_statement, log_min_duration_statement, log_parameter_max_length).',
				HINT = 'Use generate_password => true, or a password_name stored on the shard.';
	END IF;
	PERFORM csstats._router_shard_index(p_channel_id);
	SELECT c.shard INTO STRICT shard_name FROM csstats.router_placement c
	WHERE c.channel_id = p_channel_id;
	BEGIN
		SELECT * INTO STRICT r FROM csstats._router_px_shard_export_to_file(p_kind, caller_session,
			caller_current, request, p_generate_password, p_filename, p_password, p_reason,
			p_since, p_until, p_format, p_include_messages, p_channel_id, p_manager_id,
			p_filters, p_as_of, p_password_name, p_include_summary);
	EXCEPTION WHEN OTHERS THEN
		GET STACKED DIAGNOSTICS e_state = RETURNED_SQLSTATE, e_message = MESSAGE_TEXT,
			e_detail = PG_EXCEPTION_DETAIL, e_hint = PG_EXCEPTION_HINT;
		-- the shard refused: a denied row here too (as _router_export)
		IF e_message ~ '^\S+\(\d+\): \[[^]]*\] REMOTE ERROR: ' AND nullif(p_reason, '') IS NOT NULL
				AND coalesce(p_format, 'xlsx') IN ('xlsx', 'json') THEN
			PERFORM csstats._router_px_audit_append(caller_session, caller_current, p_manager_id,
				p_reason, p_kind, coalesce(p_format, 'xlsx'), coalesce(p_include_messages, false),
				p_channel_id, p_since, p_until, coalesce(p_as_of, now()), coalesce(p_filters, '{}'),
				NULL, NULL, NULL, NULL, p_password_name, 'denied',
				e_state || ': ' || regexp_replace(e_message, '^\S+\(\d+\): \[[^]]*\] REMOTE ERROR: ', ''),
				shard_name, NULL, request);
		END IF;
		PERFORM csstats._router_rethrow(e_state, e_message, e_detail, e_hint, p_channel_id);
	END;

	-- the shard's file is named and its audit row committed; this row is
	-- committed (loopback transaction) before the function returns
	audit_id := csstats._router_px_audit_append(caller_session, caller_current, p_manager_id,
		p_reason, p_kind, coalesce(p_format, 'xlsx'), coalesce(p_include_messages, false),
		p_channel_id, p_since, p_until, coalesce(p_as_of, now()), coalesce(p_filters, '{}'),
		r.row_counts, r.bytes, r.sha256, shard_name || ':' || r.destination,
		p_password_name, 'delivered', NULL, shard_name, r.audit_id, request);
	generated_password := r.generated_password;
END
$$;
REVOKE ALL ON FUNCTION csstats._router_export_to_file(text, boolean, text, text, text, timestamptz,
	timestamptz, text, boolean, text, text, jsonb, timestamptz, text, boolean) FROM PUBLIC;
COMMENT ON FUNCTION csstats._router_export_to_file(text, boolean, text, text, text, timestamptz,
	timestamptz, text, boolean, text, text, jsonb, timestamptz, text, boolean) IS
	'internal: one file export on the shard of the channel, audited on the coordinator before returning';

CREATE FUNCTION csstats.export_chats_to_file(filename text DEFAULT NULL,
		password text DEFAULT NULL, reason text DEFAULT NULL,
		since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL,
		format text DEFAULT 'xlsx', include_messages boolean DEFAULT false,
		channel_id text DEFAULT NULL, manager_id text DEFAULT NULL,
		filters jsonb DEFAULT '{}', as_of timestamptz DEFAULT now(),
		password_name text DEFAULT NULL, include_summary boolean DEFAULT false)
	RETURNS bigint
	LANGUAGE sql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$ SELECT e.audit_id FROM csstats._router_export_to_file('chats', NULL, $1, $2, $3, $4, $5,
	$6, $7, $8, $9, $10, $11, $12, $13) e $$;
COMMENT ON FUNCTION csstats.export_chats_to_file(text, text, text, timestamptz, timestamptz,
	text, boolean, text, text, jsonb, timestamptz, text, boolean) IS
	'csstats.export_chats_to_file on the shard holding the channel (the file is written in that shard''s export_directory); returns the coordinator''s audit id (csstats_router)';

CREATE FUNCTION csstats.export_cases_to_file(filename text DEFAULT NULL,
		password text DEFAULT NULL, reason text DEFAULT NULL,
		since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL,
		format text DEFAULT 'xlsx', channel_id text DEFAULT NULL,
		manager_id text DEFAULT NULL, filters jsonb DEFAULT '{}',
		as_of timestamptz DEFAULT now(), password_name text DEFAULT NULL,
		include_summary boolean DEFAULT false)
	RETURNS bigint
	LANGUAGE sql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$ SELECT e.audit_id FROM csstats._router_export_to_file('cases', NULL, $1, $2, $3, $4, $5,
	$6, false, $7, $8, $9, $10, $11, $12) e $$;
COMMENT ON FUNCTION csstats.export_cases_to_file(text, text, text, timestamptz, timestamptz,
	text, text, text, jsonb, timestamptz, text, boolean) IS
	'csstats.export_cases_to_file on the shard holding the channel (the file is written in that shard''s export_directory); returns the coordinator''s audit id (csstats_router)';

CREATE FUNCTION csstats.export_chats_to_file(generate_password boolean,
		filename text DEFAULT NULL, reason text DEFAULT NULL,
		since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL,
		format text DEFAULT 'xlsx', include_messages boolean DEFAULT false,
		channel_id text DEFAULT NULL, manager_id text DEFAULT NULL,
		filters jsonb DEFAULT '{}', as_of timestamptz DEFAULT now(),
		password_name text DEFAULT NULL, password text DEFAULT NULL,
		include_summary boolean DEFAULT false,
		OUT audit_id bigint, OUT generated_password text)
	RETURNS record
	LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF $1 IS NOT TRUE THEN
		RAISE EXCEPTION 'generate_password must be true' USING ERRCODE = 'invalid_parameter_value',
			HINT = 'Leave generate_password out and pass password or password_name to choose the password.';
	END IF;
	SELECT e.audit_id, e.generated_password INTO STRICT audit_id, generated_password
	FROM csstats._router_export_to_file('chats', $1, $2, $13, $3, $4, $5, $6, $7, $8, $9, $10,
		$11, $12, $14) e;
END
$$;
COMMENT ON FUNCTION csstats.export_chats_to_file(boolean, text, text, timestamptz, timestamptz,
	text, boolean, text, text, jsonb, timestamptz, text, text, boolean) IS
	'csstats.export_chats_to_file under a generated password, on the shard holding the channel; returns the coordinator''s audit id and the password (csstats_router)';

CREATE FUNCTION csstats.export_cases_to_file(generate_password boolean,
		filename text DEFAULT NULL, reason text DEFAULT NULL,
		since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL,
		format text DEFAULT 'xlsx', channel_id text DEFAULT NULL,
		manager_id text DEFAULT NULL, filters jsonb DEFAULT '{}',
		as_of timestamptz DEFAULT now(), password_name text DEFAULT NULL,
		password text DEFAULT NULL, include_summary boolean DEFAULT false,
		OUT audit_id bigint, OUT generated_password text)
	RETURNS record
	LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF $1 IS NOT TRUE THEN
		RAISE EXCEPTION 'generate_password must be true' USING ERRCODE = 'invalid_parameter_value',
			HINT = 'Leave generate_password out and pass password or password_name to choose the password.';
	END IF;
	SELECT e.audit_id, e.generated_password INTO STRICT audit_id, generated_password
	FROM csstats._router_export_to_file('cases', $1, $2, $12, $3, $4, $5, $6, false, $7, $8, $9,
		$10, $11, $13) e;
END
$$;
COMMENT ON FUNCTION csstats.export_cases_to_file(boolean, text, text, timestamptz, timestamptz,
	text, text, text, jsonb, timestamptz, text, text, boolean) IS
	'csstats.export_cases_to_file under a generated password, on the shard holding the channel; returns the coordinator''s audit id and the password (csstats_router)';

REVOKE ALL ON FUNCTION csstats.export_chats_to_file(text, text, text, timestamptz, timestamptz,
	text, boolean, text, text, jsonb, timestamptz, text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION csstats.export_cases_to_file(text, text, text, timestamptz, timestamptz,
	text, text, text, jsonb, timestamptz, text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION csstats.export_chats_to_file(boolean, text, text, timestamptz, timestamptz,
	text, boolean, text, text, jsonb, timestamptz, text, text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION csstats.export_cases_to_file(boolean, text, text, timestamptz, timestamptz,
	text, text, text, jsonb, timestamptz, text, text, boolean) FROM PUBLIC;
