/*
 * The shard side of a scale-out deployment (docs/scale_out.md): a
 * coordinator running the csstats_router extension (router/) proxies every
 * public function to the shard holding the channel with PL/Proxy.  Reads
 * call the shard's own sheet functions; exports come through the entry point
 * below, so that the shard learns who asked on the coordinator.
 *
 *   csstats.shard_export(kind, caller_session_user, caller_current_user,
 *                        request_id, generate_password, password, reason, ...,
 *                        include_summary)
 *       -> (audit_id, generated_password, file, row_counts)
 *   csstats.shard_export_to_file(kind, caller_session_user, caller_current_user,
 *                        request_id, generate_password, filename, password, ...,
 *                        include_summary)
 *       -> (audit_id, generated_password, destination, bytes, sha256, row_counts)
 *
 * A stored password (usable_by) and a server file (pg_write_server_files)
 * are privileges of the caller, not of the router role: those exports run
 * as the caller's role of the same name on the shard (SET ROLE, the router
 * role being a NOINHERIT member of it), so csstats checks them as on one
 * node; a caller without such a role is refused.
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
		include_summary boolean DEFAULT false,
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
	router_role_setting text := current_setting('role');
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

	-- A stored password is checked against the caller, not the router role:
	-- the export runs as the caller's role on this shard (csstats checks
	-- usable_by against the current role).  The role must exist here and the
	-- router role must be a member of it; the function's SET clause restores
	-- the role on exit, and it is reset below before the link row.
	IF password_name IS NOT NULL THEN
		IF NOT EXISTS (SELECT FROM pg_roles r WHERE r.rolname = caller_current_user
				AND pg_has_role(current_user, r.oid, 'MEMBER')) THEN
			RAISE EXCEPTION 'stored password "%" may not be used through the router by role "%"',
				password_name, caller_current_user
				USING ERRCODE = 'insufficient_privilege',
					DETAIL = format('Role "%s" does not exist on this shard, or the router role "%s" is not a member of it.',
						caller_current_user, current_user),
					HINT = 'A stored-password user needs a role of the same name on the shard granted to the router role (docs/scale_out.md).';
		END IF;
		PERFORM set_config('role', caller_current_user, true);
	END IF;

	-- generate_password NULL: the plain form (password or password_name);
	-- otherwise the generate_password form, which checks the value itself.
	IF generate_password IS NOT NULL THEN
		IF kind = 'chats' THEN
			SELECT * INTO STRICT g FROM csstats.export_chats(generate_password => generate_password,
				reason => reason, since => since, until => until, format => format,
				include_messages => include_messages, channel_id => channel_id,
				manager_id => manager_id, filters => filters, as_of => as_of,
				password_name => password_name, password => password,
				include_summary => include_summary);
		ELSE
			SELECT * INTO STRICT g FROM csstats.export_cases(generate_password => generate_password,
				reason => reason, since => since, until => until, format => format,
				channel_id => channel_id, manager_id => manager_id, filters => filters,
				as_of => as_of, password_name => password_name, password => password,
				include_summary => include_summary);
		END IF;
		generated_password := g.generated_password;
		file := g.file;
	ELSIF kind = 'chats' THEN
		file := csstats.export_chats(password => password, reason => reason, since => since,
			until => until, format => format, include_messages => include_messages,
			channel_id => channel_id, manager_id => manager_id, filters => filters,
			as_of => as_of, password_name => password_name, include_summary => include_summary);
	ELSE
		file := csstats.export_cases(password => password, reason => reason, since => since,
			until => until, format => format, channel_id => channel_id,
			manager_id => manager_id, filters => filters, as_of => as_of,
			password_name => password_name, include_summary => include_summary);
	END IF;

	PERFORM set_config('role', router_role_setting, true);

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
	timestamptz, timestamptz, text, boolean, text, text, jsonb, timestamptz, text, boolean) FROM PUBLIC;
COMMENT ON FUNCTION csstats.shard_export(text, text, text, uuid, boolean, text, text,
	timestamptz, timestamptz, text, boolean, text, text, jsonb, timestamptz, text, boolean) IS
	'the export entry point of a csstats_router coordinator: export_chats or export_cases for the caller the coordinator names, linked to its request; grant EXECUTE to the router role only';

/*
 * The file form: csstats.export_chats_to_file / export_cases_to_file for the
 * caller the coordinator names.  The file is written HERE, in this shard's
 * csstats.export_directory (named as on one node: "{id}" and the generated
 * names carry this shard's audit id); the result tells the coordinator what
 * its own audit row records: the file name, size and SHA-256 as this
 * shard's audit row has them.  The export always runs as the caller's role
 * here: writing a server file needs the privileges of pg_write_server_files,
 * which the caller's role on this shard must have (the router role itself
 * should have neither them nor, being NOINHERIT, its members' privileges).
 */
CREATE FUNCTION csstats.shard_export_to_file(kind text, caller_session_user text,
		caller_current_user text, request_id uuid, generate_password boolean,
		filename text, password text, reason text, since timestamptz, until timestamptz,
		format text, include_messages boolean, channel_id text, manager_id text,
		filters jsonb, as_of timestamptz, password_name text,
		include_summary boolean DEFAULT false,
		OUT audit_id bigint, OUT generated_password text, OUT destination text,
		OUT bytes bigint, OUT sha256 text, OUT row_counts jsonb)
	RETURNS record
	LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
	SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_variable
DECLARE
	g record;
	router_role_setting text := current_setting('role');
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
	-- A server file and a stored password are the caller's privileges
	-- (pg_write_server_files, usable_by), not the router role's: the export
	-- runs as the caller's role on this shard (see shard_export).
	IF NOT EXISTS (SELECT FROM pg_roles r WHERE r.rolname = caller_current_user
			AND pg_has_role(current_user, r.oid, 'MEMBER')) THEN
		IF password_name IS NOT NULL THEN
			RAISE EXCEPTION 'stored password "%" may not be used through the router by role "%"',
				password_name, caller_current_user
				USING ERRCODE = 'insufficient_privilege',
					DETAIL = format('Role "%s" does not exist on this shard, or the router role "%s" is not a member of it.',
						caller_current_user, current_user),
					HINT = 'A stored-password user needs a role of the same name on the shard granted to the router role (docs/scale_out.md).';
		END IF;
		RAISE EXCEPTION 'role "%" may not write export files on this shard through the router', caller_current_user
			USING ERRCODE = 'insufficient_privilege',
				DETAIL = format('Role "%s" does not exist on this shard, or the router role "%s" is not a member of it.',
					caller_current_user, current_user),
				HINT = 'A file-export user needs a role of the same name on the shard, with the privileges of pg_write_server_files, granted to the router role (docs/scale_out.md).';
	END IF;
	PERFORM set_config('role', caller_current_user, true);

	IF generate_password IS NOT NULL THEN
		IF kind = 'chats' THEN
			SELECT * INTO STRICT g FROM csstats.export_chats_to_file(generate_password => generate_password,
				filename => filename, reason => reason, since => since, until => until,
				format => format, include_messages => include_messages, channel_id => channel_id,
				manager_id => manager_id, filters => filters, as_of => as_of,
				password_name => password_name, password => password,
				include_summary => include_summary);
		ELSE
			SELECT * INTO STRICT g FROM csstats.export_cases_to_file(generate_password => generate_password,
				filename => filename, reason => reason, since => since, until => until,
				format => format, channel_id => channel_id, manager_id => manager_id,
				filters => filters, as_of => as_of, password_name => password_name,
				password => password, include_summary => include_summary);
		END IF;
		audit_id := g.audit_id;
		generated_password := g.generated_password;
	ELSIF kind = 'chats' THEN
		audit_id := csstats.export_chats_to_file(filename => filename, password => password,
			reason => reason, since => since, until => until, format => format,
			include_messages => include_messages, channel_id => channel_id,
			manager_id => manager_id, filters => filters, as_of => as_of,
			password_name => password_name, include_summary => include_summary);
	ELSE
		audit_id := csstats.export_cases_to_file(filename => filename, password => password,
			reason => reason, since => since, until => until, format => format,
			channel_id => channel_id, manager_id => manager_id, filters => filters,
			as_of => as_of, password_name => password_name, include_summary => include_summary);
	END IF;
	PERFORM set_config('role', router_role_setting, true);

	-- the export's audit row (committed before the file got its name)
	SELECT a.destination, a.bytes, a.sha256, a.row_counts
		INTO STRICT destination, bytes, sha256, row_counts
	FROM csstats.export_audit a WHERE a.id = audit_id;
	INSERT INTO csstats.shard_export_links (audit_id, request_id, caller_session_user,
		caller_current_user, router_role, linked_at)
	VALUES (audit_id, request_id, caller_session_user, caller_current_user,
		session_user, clock_timestamp());
END
$$;
REVOKE ALL ON FUNCTION csstats.shard_export_to_file(text, text, text, uuid, boolean, text, text,
	text, timestamptz, timestamptz, text, boolean, text, text, jsonb, timestamptz, text, boolean) FROM PUBLIC;
COMMENT ON FUNCTION csstats.shard_export_to_file(text, text, text, uuid, boolean, text, text,
	text, timestamptz, timestamptz, text, boolean, text, text, jsonb, timestamptz, text, boolean) IS
	'the file export entry point of a csstats_router coordinator: export_chats_to_file or export_cases_to_file on this shard for the caller the coordinator names, linked to its request; grant EXECUTE to the router role only';
