/*
 * Exports (export.md): password-encrypted XLSX or JSON (AES-256 ZIP) files of
 * the sheets, as bytea or as a server file, with an append-only, hash-chained
 * audit trail.
 *
 *   csstats.export_chats(password, reason, since, until, format, include_messages,
 *                        channel_id, manager_id, filters, as_of, password_name,
 *                        include_summary) -> bytea
 *   csstats.export_cases(password, reason, since, until, format,
 *                        channel_id, manager_id, filters, as_of, password_name,
 *                        include_summary) -> bytea
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
 * COPY ... TO 'file'.  Beyond the caller's rights run only the audit append
 * (a background worker connected as the extension owner, src/audit_worker.c)
 * and the read of a stored password (src/password_store.c).
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
	CONSTRAINT export_audit_delivered_complete CHECK (outcome <> 'delivered' OR
		(row_counts IS NOT NULL AND bytes IS NOT NULL AND sha256 IS NOT NULL AND destination IS NOT NULL)),
	CONSTRAINT export_audit_denied_has_refusal CHECK (outcome <> 'denied' OR refusal IS NOT NULL)
);
COMMENT ON TABLE csstats.export_audit IS
	'one row per export handed out (committed before its first byte leaves) and per refused export attempt; never the password; append-only, SHA-256 hash-chained: check it with csstats.verify_audit()';
COMMENT ON COLUMN csstats.export_audit.destination IS '''bytea'' or the file name in csstats.export_directory';
COMMENT ON COLUMN csstats.export_audit.outcome IS '''delivered'': the file was produced and handed out (or renamed into the export directory); ''denied'': the export was refused, no file was produced';
COMMENT ON COLUMN csstats.export_audit.refusal IS 'for a denied attempt: the SQLSTATE and the error message the caller got';
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

-- (Stored passwords, csstats.export_passwords: 82_password_store.sql.)
REVOKE ALL ON csstats.export_audit, csstats.export_audit_head FROM PUBLIC;

SELECT pg_catalog.pg_extension_config_dump('csstats.export_audit', '');
SELECT pg_catalog.pg_extension_config_dump('csstats.export_audit_head', '');

-- The row hash: SHA-256 over a canonical JSON array of every column but
-- row_hash (timestamps in UTC, jsonb in its normalized text), so it does not
-- depend on the session's TimeZone or DateStyle.  outcome and refusal (0.2.0)
-- enter the array only when they differ from a delivered export, so the rows
-- written by 0.1.0 keep their hashes.
CREATE FUNCTION csstats._export_audit_hash(a csstats.export_audit)
	RETURNS text
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	RETURN pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to((pg_catalog.jsonb_build_array(
		a.id, a.exported_at AT TIME ZONE 'UTC', a.session_user, a.current_user, a.manager_id,
		a.reason, a.kind, a.format, a.include_messages, a.channel_id,
		a.since AT TIME ZONE 'UTC', a.until AT TIME ZONE 'UTC', a.as_of AT TIME ZONE 'UTC',
		a.filters, a.row_counts, a.bytes, a.sha256, a.destination, a.password_name,
		a.prev_hash) OPERATOR(pg_catalog.||) CASE WHEN a.outcome = 'delivered' AND a.refusal IS NULL
			THEN '[]'::pg_catalog.jsonb
			ELSE pg_catalog.jsonb_build_array(a.outcome, a.refusal) END)::text, 'UTF8')), 'hex');
COMMENT ON FUNCTION csstats._export_audit_hash(csstats.export_audit) IS
	'SHA-256 (hex) of an audit row''s contents including prev_hash; what row_hash must equal';

-- Append one audit row at the end of the chain.  Run by the audit worker
-- (src/audit_worker.c) in a transaction of its own, as the extension owner;
-- not executable by PUBLIC.  The head row lock orders concurrent appends, so
-- ids follow the chain; it is held only for the worker's short transaction.
CREATE FUNCTION csstats._export_audit_append(p_session_user text, p_current_user text,
		p_manager_id text, p_reason text, p_kind text, p_format text,
		p_include_messages boolean, p_channel_id text, p_since timestamptz,
		p_until timestamptz, p_as_of timestamptz, p_filters jsonb, p_row_counts jsonb,
		p_bytes bigint, p_sha256 text, p_destination text, p_password_name text,
		p_outcome text, p_refusal text)
	RETURNS TABLE (id bigint, row_hash text)
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
	r.outcome := p_outcome;
	r.refusal := p_refusal;
	r.row_hash := csstats._export_audit_hash(r);

	INSERT INTO csstats.export_audit SELECT r.*;
	UPDATE csstats.export_audit_head t SET last_id = r.id, last_hash = r.row_hash
	WHERE t.singleton;
	id := r.id;
	row_hash := r.row_hash;
	RETURN NEXT;
END
$$;
REVOKE ALL ON FUNCTION csstats._export_audit_append(text, text, text, text, text, text, boolean,
	text, timestamptz, timestamptz, timestamptz, jsonb, jsonb, bigint, text, text, text,
	text, text) FROM PUBLIC;
COMMENT ON FUNCTION csstats._export_audit_append(text, text, text, text, text, text, boolean,
	text, timestamptz, timestamptz, timestamptz, jsonb, jsonb, bigint, text, text, text,
	text, text) IS
	'internal: appends one export_audit row to the hash chain (run by the audit worker in its own transaction)';

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

-- The same walk, and one more row for a chain head taken from outside the
-- table (the LOG line "csstats audit chain head: id N, row_hash H" written
-- by every append): ok when row N still has row_hash H.  A superuser who
-- rewrites the whole chain consistently passes verify_audit(), not this.
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
	'verify_audit() plus a last row checking a chain head kept outside the database (from the server log): ok when that row still has that row_hash';

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
		password_name text DEFAULT NULL,
		include_summary boolean DEFAULT false)
	RETURNS bytea
	AS 'MODULE_PATHNAME', 'csstats_export_chats'
	LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION csstats.export_chats(text, text, timestamptz, timestamptz, text, boolean,
	text, text, jsonb, timestamptz, text, boolean) IS
	'the chats export (UserChat data and related sheets, Message data with include_messages, a first Summary sheet with include_summary) as a password-encrypted XLSX or JSON ZIP; audited';

CREATE FUNCTION csstats.export_cases(password text DEFAULT NULL, reason text DEFAULT NULL,
		since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL,
		format text DEFAULT 'xlsx', channel_id text DEFAULT NULL,
		manager_id text DEFAULT NULL, filters jsonb DEFAULT '{}',
		as_of timestamptz DEFAULT now(), password_name text DEFAULT NULL,
		include_summary boolean DEFAULT false)
	RETURNS bytea
	AS 'MODULE_PATHNAME', 'csstats_export_cases'
	LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION csstats.export_cases(text, text, timestamptz, timestamptz, text,
	text, text, jsonb, timestamptz, text, boolean) IS
	'the cases export (UserChatCase data, a first Summary sheet with include_summary) as a password-encrypted XLSX or JSON ZIP; range at most 6 months; audited';

CREATE FUNCTION csstats.export_chats_to_file(filename text DEFAULT NULL,
		password text DEFAULT NULL, reason text DEFAULT NULL,
		since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL,
		format text DEFAULT 'xlsx', include_messages boolean DEFAULT false,
		channel_id text DEFAULT NULL, manager_id text DEFAULT NULL,
		filters jsonb DEFAULT '{}', as_of timestamptz DEFAULT now(),
		password_name text DEFAULT NULL,
		include_summary boolean DEFAULT false)
	RETURNS bigint
	AS 'MODULE_PATHNAME', 'csstats_export_chats_to_file'
	LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION csstats.export_chats_to_file(text, text, text, timestamptz, timestamptz,
	text, boolean, text, text, jsonb, timestamptz, text, boolean) IS
	'export_chats into a new file (mode 0600) in csstats.export_directory, given its name once its audit row is committed (not undone by a rollback); returns the audit id';

CREATE FUNCTION csstats.export_cases_to_file(filename text DEFAULT NULL,
		password text DEFAULT NULL, reason text DEFAULT NULL,
		since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL,
		format text DEFAULT 'xlsx', channel_id text DEFAULT NULL,
		manager_id text DEFAULT NULL, filters jsonb DEFAULT '{}',
		as_of timestamptz DEFAULT now(), password_name text DEFAULT NULL,
		include_summary boolean DEFAULT false)
	RETURNS bigint
	AS 'MODULE_PATHNAME', 'csstats_export_cases_to_file'
	LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION csstats.export_cases_to_file(text, text, text, timestamptz, timestamptz,
	text, text, text, jsonb, timestamptz, text, boolean) IS
	'export_cases into a new file (mode 0600) in csstats.export_directory, given its name once its audit row is committed (not undone by a rollback); returns the audit id';

REVOKE ALL ON FUNCTION csstats.export_chats(text, text, timestamptz, timestamptz, text, boolean,
	text, text, jsonb, timestamptz, text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION csstats.export_cases(text, text, timestamptz, timestamptz, text,
	text, text, jsonb, timestamptz, text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION csstats.export_chats_to_file(text, text, text, timestamptz, timestamptz,
	text, boolean, text, text, jsonb, timestamptz, text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION csstats.export_cases_to_file(text, text, text, timestamptz, timestamptz,
	text, text, text, jsonb, timestamptz, text, boolean) FROM PUBLIC;

-- The header a sheet column gets in the files: the one snake_case -> seed
-- mapping the writers use (camelCase; PascalCase on Message data).
CREATE FUNCTION csstats.export_header(sheet text, column_name text)
	RETURNS text
	AS 'MODULE_PATHNAME', 'csstats_export_header'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION csstats.export_header(text, text) IS
	'the file header of a sheet function column (''UserChat data'', ''first_replied_at_after_open'' -> firstRepliedAtAfterOpen)';
