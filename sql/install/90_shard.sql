/*
 * The shard side of a scale-out deployment (docs/scale_out.md): a
 * coordinator running the csstats_router extension (router/) proxies every
 * public function to the shard holding the channel with PL/Proxy.  Reads
 * call the shard's own sheet functions; exports come through the entry point
 * below, so that the shard learns who asked on the coordinator.
 *
 *   csstats.shard_export(kind, caller_session_user, caller_current_user,
 *                        request_id, generate_password, password, reason, ...)
 *       -> (audit_id, generated_password, file, row_counts)
 *
 * The caller is an argument, so the function must be executable only by the
 * router's role: EXECUTE is revoked from PUBLIC and the DBA grants it to the
 * one role the coordinator connects as (docs/scale_out.md lists its grants).
 * A client connected to the shard directly cannot name another caller: it
 * has no EXECUTE, and with its own grants it can only export as itself
 * through csstats.export_chats, audited under its own name.
 *
 * The export itself is the ordinary one (the manager and download-right
 * checks, the limits and the shard's own audit row, committed before the
 * file leaves the shard); the link row ties that audit row to the
 * coordinator's request (the coordinator's audit row names the same
 * request_id and the shard's audit id).
 */
CREATE TABLE csstats.shard_export_links (
	audit_id bigint PRIMARY KEY,
	request_id uuid NOT NULL UNIQUE,
	caller_session_user text NOT NULL,
	caller_current_user text NOT NULL,
	router_role text NOT NULL,
	linked_at timestamptz NOT NULL
);
COMMENT ON TABLE csstats.shard_export_links IS
	'for an export made through a csstats_router coordinator: the shard''s audit row, the coordinator''s request id and the caller the coordinator authenticated; append-only';
-- (No foreign key to export_audit: TRUNCATE of the audit trail must keep
-- reaching its append-only trigger.)
REVOKE ALL ON csstats.shard_export_links FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('csstats.shard_export_links', '');

CREATE TRIGGER shard_export_links_append_only BEFORE UPDATE OR DELETE ON csstats.shard_export_links
	FOR EACH ROW EXECUTE FUNCTION csstats._export_audit_refuse();
CREATE TRIGGER shard_export_links_no_truncate BEFORE TRUNCATE ON csstats.shard_export_links
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._export_audit_refuse();

CREATE FUNCTION csstats.shard_export(kind text, caller_session_user text,
		caller_current_user text, request_id uuid, generate_password boolean,
		password text, reason text, since timestamptz, until timestamptz,
		format text, include_messages boolean, channel_id text, manager_id text,
		filters jsonb, as_of timestamptz, password_name text,
		OUT audit_id bigint, OUT generated_password text, OUT file bytea,
		OUT row_counts jsonb)
	RETURNS record
	LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
	SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
	g record;
	hash text;
BEGIN
	IF caller_session_user IS NULL OR caller_current_user IS NULL OR request_id IS NULL THEN
		RAISE EXCEPTION 'caller_session_user, caller_current_user and request_id must not be null'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF kind IS DISTINCT FROM 'chats' AND kind IS DISTINCT FROM 'cases' THEN
		RAISE EXCEPTION 'kind must be ''chats'' or ''cases'', not %', coalesce(quote_literal(kind), 'NULL')
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF include_messages AND kind = 'cases' THEN
		RAISE EXCEPTION 'include_messages applies to chats exports only'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;

	-- generate_password NULL: the plain form (password or password_name);
	-- otherwise the generate_password form, which checks the value itself.
	IF generate_password IS NOT NULL THEN
		IF kind = 'chats' THEN
			SELECT * INTO STRICT g FROM csstats.export_chats(generate_password => generate_password,
				reason => reason, since => since, until => until, format => format,
				include_messages => include_messages, channel_id => channel_id,
				manager_id => manager_id, filters => filters, as_of => as_of,
				password_name => password_name, password => password);
		ELSE
			SELECT * INTO STRICT g FROM csstats.export_cases(generate_password => generate_password,
				reason => reason, since => since, until => until, format => format,
				channel_id => channel_id, manager_id => manager_id, filters => filters,
				as_of => as_of, password_name => password_name, password => password);
		END IF;
		generated_password := g.generated_password;
		file := g.file;
	ELSIF kind = 'chats' THEN
		file := csstats.export_chats(password => password, reason => reason, since => since,
			until => until, format => format, include_messages => include_messages,
			channel_id => channel_id, manager_id => manager_id, filters => filters,
			as_of => as_of, password_name => password_name);
	ELSE
		file := csstats.export_cases(password => password, reason => reason, since => since,
			until => until, format => format, channel_id => channel_id,
			manager_id => manager_id, filters => filters, as_of => as_of,
			password_name => password_name);
	END IF;

	-- The export's audit row is committed (by the audit worker) before the
	-- export returned; its SHA-256 finds it (the encryption salt makes every
	-- file distinct).
	hash := encode(sha256(file), 'hex');
	SELECT a.id, a.row_counts INTO STRICT audit_id, row_counts
	FROM csstats.export_audit a
	WHERE a.sha256 = hash AND a.outcome = 'delivered' AND a.destination = 'bytea';
	INSERT INTO csstats.shard_export_links (audit_id, request_id, caller_session_user,
		caller_current_user, router_role, linked_at)
	VALUES (audit_id, request_id, caller_session_user, caller_current_user,
		session_user, clock_timestamp());
END
$$;
REVOKE ALL ON FUNCTION csstats.shard_export(text, text, text, uuid, boolean, text, text,
	timestamptz, timestamptz, text, boolean, text, text, jsonb, timestamptz, text) FROM PUBLIC;
COMMENT ON FUNCTION csstats.shard_export(text, text, text, uuid, boolean, text, text,
	timestamptz, timestamptz, text, boolean, text, text, jsonb, timestamptz, text) IS
	'the export entry point of a csstats_router coordinator: export_chats or export_cases for the caller the coordinator names, linked to its request; grant EXECUTE to the router role only';
