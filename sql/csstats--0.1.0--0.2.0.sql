/*
 * csstats update script 0.1.0 -> 0.2.0.
 *
 * Carries every change the 0.2.0 install parts (sql/install/NN_*.sql) make
 * relative to the frozen sql/csstats--0.1.0.sql, in the same order, so that an
 * updated database's catalog equals a fresh 0.2.0 install (test/suites/
 * 12_update.sh compares them).  While 0.2.0 is unreleased, every change to the
 * install parts adds its counterpart here; once released, this file is frozen.
 */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION csstats UPDATE TO '0.2.0'" to load this file. \quit

-- == audit: committed before delivery, denied attempts, external head ==
-- the row hash function uses the table's row type: PostgreSQL refuses to add
-- a column with a default while it exists, so it is created again below
DROP FUNCTION csstats._export_audit_hash(csstats.export_audit);
ALTER TABLE csstats.export_audit
	ALTER COLUMN row_counts DROP NOT NULL,
	ALTER COLUMN bytes DROP NOT NULL,
	ALTER COLUMN sha256 DROP NOT NULL,
	ALTER COLUMN destination DROP NOT NULL,
	ADD COLUMN outcome text NOT NULL DEFAULT 'delivered'
		CONSTRAINT export_audit_outcome_valid CHECK (outcome IN ('delivered', 'denied')),
	ADD COLUMN refusal text,
	ADD CONSTRAINT export_audit_delivered_complete CHECK (outcome <> 'delivered' OR
		(row_counts IS NOT NULL AND bytes IS NOT NULL AND sha256 IS NOT NULL AND destination IS NOT NULL)),
	ADD CONSTRAINT export_audit_denied_has_refusal CHECK (outcome <> 'denied' OR refusal IS NOT NULL);
COMMENT ON TABLE csstats.export_audit IS
	'one row per export handed out (committed before its first byte leaves) and per refused export attempt; never the password; append-only, SHA-256 hash-chained: check it with csstats.verify_audit()';
COMMENT ON COLUMN csstats.export_audit.outcome IS '''delivered'': the file was produced and handed out (or renamed into the export directory); ''denied'': the export was refused, no file was produced';
COMMENT ON COLUMN csstats.export_audit.refusal IS 'for a denied attempt: the SQLSTATE and the error message the caller got';

-- 0.1.0 rows keep their hashes: outcome/refusal enter only when not a plain delivery
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

-- the append now also records the outcome and returns the new chain head
DROP FUNCTION csstats._export_audit_append(text, text, text, text, text, text, boolean,
	text, timestamptz, timestamptz, timestamptz, jsonb, jsonb, bigint, text, text, text);
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

-- == stored passwords: encrypted at rest (82_password_store.sql) ==
-- 0.1.0 kept export_passwords.password in plaintext.  Encrypt every row into
-- the new columns with the key file named by csstats.password_key_file
-- (created if missing; with rows and no setting the update fails naming it,
-- an empty table needs no key), drop the plaintext column, then rewrite the
-- table: DROP COLUMN only hides a column, the rewrite nulls it in every row
-- and leaves the row versions that held it behind.  (Older backups and WAL
-- still hold the 0.1.0 plaintext: the README says to change those passwords.)
ALTER TABLE csstats.export_passwords
	ADD COLUMN password_ciphertext bytea
		CONSTRAINT export_passwords_ciphertext_length
		CHECK (octet_length(password_ciphertext) BETWEEN 29 AND 283),
	ADD COLUMN key_id bytea
		CONSTRAINT export_passwords_key_id_length CHECK (octet_length(key_id) = 8);
CREATE FUNCTION csstats._encrypt_plaintext_passwords()
	RETURNS void
	AS 'MODULE_PATHNAME', 'csstats_encrypt_plaintext_passwords'
	LANGUAGE C VOLATILE PARALLEL UNSAFE;
SELECT csstats._encrypt_plaintext_passwords();
DROP FUNCTION csstats._encrypt_plaintext_passwords();
ALTER TABLE csstats.export_passwords
	DROP COLUMN password,
	ALTER COLUMN password_ciphertext SET NOT NULL,
	ALTER COLUMN key_id SET NOT NULL;
CLUSTER csstats.export_passwords USING export_passwords_pkey;
ALTER TABLE csstats.export_passwords SET WITHOUT CLUSTER;
COMMENT ON TABLE csstats.export_passwords IS
	'stored export passwords, referred to by password_name (for scheduled jobs); only usable by roles with the privileges of usable_by; encrypted with the key in csstats.password_key_file; managed with csstats.set_export_password and csstats.drop_export_password';
COMMENT ON COLUMN csstats.export_passwords.created_at IS 'when the password was stored (set_export_password)';
COMMENT ON COLUMN csstats.export_passwords.password_ciphertext IS
	'12-byte nonce, AES-256-GCM ciphertext of the password, 16-byte tag; the name is the associated data';
COMMENT ON COLUMN csstats.export_passwords.key_id IS
	'first 8 bytes of the SHA-256 of the key that encrypted the row (the key file''s key id)';

CREATE FUNCTION csstats.set_export_password(name text, password text, usable_by regrole)
	RETURNS void
	AS 'MODULE_PATHNAME', 'csstats_set_export_password'
	LANGUAGE C VOLATILE PARALLEL UNSAFE;
REVOKE ALL ON FUNCTION csstats.set_export_password(text, text, regrole) FROM PUBLIC;
COMMENT ON FUNCTION csstats.set_export_password(text, text, regrole) IS
	'stores (or replaces) an export password, encrypted with the key in csstats.password_key_file (created on first use); run it with logging off or with the password as a bind parameter';

CREATE FUNCTION csstats.drop_export_password(name text)
	RETURNS boolean
	AS 'MODULE_PATHNAME', 'csstats_drop_export_password'
	LANGUAGE C VOLATILE PARALLEL UNSAFE;
REVOKE ALL ON FUNCTION csstats.drop_export_password(text) FROM PUBLIC;
COMMENT ON FUNCTION csstats.drop_export_password(text) IS
	'removes a stored export password; false if there was none by that name';

CREATE FUNCTION csstats.create_password_key()
	RETURNS text
	AS 'MODULE_PATHNAME', 'csstats_create_password_key'
	LANGUAGE C VOLATILE PARALLEL UNSAFE;
REVOKE ALL ON FUNCTION csstats.create_password_key() FROM PUBLIC;
COMMENT ON FUNCTION csstats.create_password_key() IS
	'creates the key file named by csstats.password_key_file (32 random bytes, mode 0600) and returns its key id; superuser only, refuses to overwrite';

-- == metrics: a chat is (channel_id, chat_id) ==
-- The sheets group the timeline by (channel_id, chat_id), like every other use
-- of the metric aggregates (chat ids are unique per channel only).
CREATE OR REPLACE FUNCTION csstats.user_chat_sheet(channel_id text, since timestamptz DEFAULT NULL,
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
		GROUP BY t.channel_id, t.chat_id)
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

CREATE OR REPLACE FUNCTION csstats.user_chat_case_sheet(channel_id text, since timestamptz DEFAULT NULL,
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
		GROUP BY t.channel_id, t.chat_id)
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

-- == exports under a generated password (84_export_generated.sql) ==
CREATE FUNCTION csstats.export_chats(generate_password boolean, reason text DEFAULT NULL,
		since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL,
		format text DEFAULT 'xlsx', include_messages boolean DEFAULT false,
		channel_id text DEFAULT NULL, manager_id text DEFAULT NULL,
		filters jsonb DEFAULT '{}', as_of timestamptz DEFAULT now(),
		password_name text DEFAULT NULL, password text DEFAULT NULL,
		OUT generated_password text, OUT file bytea)
	RETURNS record
	AS 'MODULE_PATHNAME', 'csstats_export_chats_generated'
	LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION csstats.export_chats(boolean, text, timestamptz, timestamptz, text, boolean,
	text, text, jsonb, timestamptz, text, text) IS
	'export_chats under a password the server generates (generate_password => true, password => NULL): returns the password and the encrypted file';

CREATE FUNCTION csstats.export_cases(generate_password boolean, reason text DEFAULT NULL,
		since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL,
		format text DEFAULT 'xlsx', channel_id text DEFAULT NULL,
		manager_id text DEFAULT NULL, filters jsonb DEFAULT '{}',
		as_of timestamptz DEFAULT now(), password_name text DEFAULT NULL,
		password text DEFAULT NULL,
		OUT generated_password text, OUT file bytea)
	RETURNS record
	AS 'MODULE_PATHNAME', 'csstats_export_cases_generated'
	LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION csstats.export_cases(boolean, text, timestamptz, timestamptz, text,
	text, text, jsonb, timestamptz, text, text) IS
	'export_cases under a password the server generates (generate_password => true, password => NULL): returns the password and the encrypted file';

CREATE FUNCTION csstats.export_chats_to_file(generate_password boolean,
		filename text DEFAULT NULL, reason text DEFAULT NULL,
		since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL,
		format text DEFAULT 'xlsx', include_messages boolean DEFAULT false,
		channel_id text DEFAULT NULL, manager_id text DEFAULT NULL,
		filters jsonb DEFAULT '{}', as_of timestamptz DEFAULT now(),
		password_name text DEFAULT NULL, password text DEFAULT NULL,
		OUT audit_id bigint, OUT generated_password text)
	RETURNS record
	AS 'MODULE_PATHNAME', 'csstats_export_chats_to_file_generated'
	LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION csstats.export_chats_to_file(boolean, text, text, timestamptz, timestamptz,
	text, boolean, text, text, jsonb, timestamptz, text, text) IS
	'export_chats_to_file under a password the server generates (generate_password => true, password => NULL): returns the audit id and the password';

CREATE FUNCTION csstats.export_cases_to_file(generate_password boolean,
		filename text DEFAULT NULL, reason text DEFAULT NULL,
		since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL,
		format text DEFAULT 'xlsx', channel_id text DEFAULT NULL,
		manager_id text DEFAULT NULL, filters jsonb DEFAULT '{}',
		as_of timestamptz DEFAULT now(), password_name text DEFAULT NULL,
		password text DEFAULT NULL,
		OUT audit_id bigint, OUT generated_password text)
	RETURNS record
	AS 'MODULE_PATHNAME', 'csstats_export_cases_to_file_generated'
	LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION csstats.export_cases_to_file(boolean, text, text, timestamptz, timestamptz,
	text, text, text, jsonb, timestamptz, text, text) IS
	'export_cases_to_file under a password the server generates (generate_password => true, password => NULL): returns the audit id and the password';

REVOKE ALL ON FUNCTION csstats.export_chats(boolean, text, timestamptz, timestamptz, text, boolean,
	text, text, jsonb, timestamptz, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION csstats.export_cases(boolean, text, timestamptz, timestamptz, text,
	text, text, jsonb, timestamptz, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION csstats.export_chats_to_file(boolean, text, text, timestamptz, timestamptz,
	text, boolean, text, text, jsonb, timestamptz, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION csstats.export_cases_to_file(boolean, text, text, timestamptz, timestamptz,
	text, text, text, jsonb, timestamptz, text, text) FROM PUBLIC;

-- == settings ==
-- The chat_ids limit is read through the library, never with current_setting():
-- a placeholder set before csstats.so is loaded must not lift it.
CREATE FUNCTION csstats._max_selected_chats()
	RETURNS integer
	AS 'MODULE_PATHNAME', 'csstats_max_selected_chats_setting'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION csstats._max_selected_chats() IS
	'the setting csstats.max_selected_chats as enforced: the most chat_ids an explicit selection may name';

CREATE OR REPLACE FUNCTION csstats.parse_chat_filters(filters jsonb, since timestamptz DEFAULT NULL,
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
				-- as enforced, never current_setting() (see csstats._max_selected_chats)
				lim := csstats._max_selected_chats();
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

-- == seams ==
-- "The selected chats" of the sheets, written once (csstats._selected_chats,
-- inlined like the sheets), and comments on every table a BI user meets.

CREATE FUNCTION csstats._selected_chats(channel_id text, since timestamptz,
		until timestamptz, filters jsonb, as_of timestamptz)
	RETURNS TABLE (
		id text,
		user_id text,
		team_id text,
		marketing_id text,
		created_at timestamptz,
		ord bigint)
	LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT c.id, c.user_id, c.team_id, c.marketing_id, c.created_at, c.ordinality
	FROM csstats.select_chats(_selected_chats.channel_id, _selected_chats.since,
			_selected_chats.until, _selected_chats.filters) WITH ORDINALITY AS c
	WHERE c.created_at <= coalesce(_selected_chats.as_of, pg_catalog.now());
END;

COMMENT ON FUNCTION csstats._selected_chats(text, timestamptz, timestamptz, jsonb, timestamptz) IS
	'internal: the selected chats of a sheet (select_chats created at or before as_of), numbered oldest first; inlinable';

CREATE OR REPLACE FUNCTION csstats.user_chat_sheet(channel_id text, since timestamptz DEFAULT NULL,
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
	SELECT coalesce(array_agg(c.id ORDER BY c.ord), '{}') INTO ids
	FROM csstats._selected_chats(user_chat_sheet.channel_id, user_chat_sheet.since,
		user_chat_sheet.until, user_chat_sheet.filters, asof) c;

	RETURN QUERY EXECUTE format($q$
	WITH m AS (
		-- the column form of the aggregate: no composite per timeline row
		SELECT t.chat_id, csstats.chat_metrics(t.channel_id, t.chat_id, t.at, t.seq, t.kind,
			t.event_id, t.item_id, $2) AS r
		FROM csstats.timeline t
		WHERE t.channel_id = $1 AND %s
		GROUP BY t.channel_id, t.chat_id)
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

CREATE OR REPLACE FUNCTION csstats.user_sheet(channel_id text, since timestamptz DEFAULT NULL,
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
			FROM csstats._selected_chats(user_sheet.channel_id, user_sheet.since,
					user_sheet.until, user_sheet.filters, user_sheet.as_of) c)
	ORDER BY u.id COLLATE pg_catalog."C";
END;

CREATE OR REPLACE FUNCTION csstats.workflow_sheet(channel_id text, since timestamptz DEFAULT NULL,
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
	FROM csstats._selected_chats(workflow_sheet.channel_id, workflow_sheet.since,
			workflow_sheet.until, workflow_sheet.filters, workflow_sheet.as_of) AS c
		JOIN csstats.workflow_runs w
			ON w.channel_id = workflow_sheet.channel_id AND w.chat_id = c.id
	WHERE csstats._sheet_arguments_valid(workflow_sheet.channel_id, workflow_sheet.since,
			workflow_sheet.until, workflow_sheet.filters)
	ORDER BY c.ord, w.workflow_id COLLATE pg_catalog."C",
		w.revision_id COLLATE pg_catalog."C", w.section_path, w.cause_of_end;
END;

CREATE OR REPLACE FUNCTION csstats.support_bot_sheet(channel_id text, since timestamptz DEFAULT NULL,
		until timestamptz DEFAULT NULL, filters jsonb DEFAULT '{}',
		as_of timestamptz DEFAULT now())
	RETURNS TABLE (
		id text,
		revision_id text,
		section_path text[])
	LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT s.support_bot_id, s.revision_id, s.section_path
	FROM csstats._selected_chats(support_bot_sheet.channel_id, support_bot_sheet.since,
			support_bot_sheet.until, support_bot_sheet.filters, support_bot_sheet.as_of) AS c
		JOIN csstats.support_bot_runs s
			ON s.channel_id = support_bot_sheet.channel_id AND s.chat_id = c.id
	WHERE csstats._sheet_arguments_valid(support_bot_sheet.channel_id, support_bot_sheet.since,
			support_bot_sheet.until, support_bot_sheet.filters)
	ORDER BY c.ord, s.support_bot_id COLLATE pg_catalog."C",
		s.revision_id COLLATE pg_catalog."C", s.section_path;
END;

CREATE OR REPLACE FUNCTION csstats.marketing_sheet(channel_id text, since timestamptz DEFAULT NULL,
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
			FROM csstats._selected_chats(marketing_sheet.channel_id, marketing_sheet.since,
					marketing_sheet.until, marketing_sheet.filters, marketing_sheet.as_of) c)
	ORDER BY mk.id COLLATE pg_catalog."C";
END;

CREATE OR REPLACE FUNCTION csstats.team_sheet(channel_id text, since timestamptz DEFAULT NULL,
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
			FROM csstats._selected_chats(team_sheet.channel_id, team_sheet.since,
					team_sheet.until, team_sheet.filters, team_sheet.as_of) c)
	ORDER BY t.id COLLATE pg_catalog."C";
END;

CREATE OR REPLACE FUNCTION csstats.message_sheet(channel_id text, since timestamptz DEFAULT NULL,
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
	FROM csstats._selected_chats(message_sheet.channel_id, message_sheet.since,
			message_sheet.until, message_sheet.filters, message_sheet.as_of) AS c
		JOIN csstats.messages m
			ON m.channel_id = message_sheet.channel_id AND m.chat_id = c.id
	WHERE csstats._sheet_arguments_valid(message_sheet.channel_id, message_sheet.since,
			message_sheet.until, message_sheet.filters)
		AND m.created_at <= coalesce(message_sheet.as_of, pg_catalog.now())
	ORDER BY c.ord, m.created_at, m.id COLLATE pg_catalog."C";
END;

CREATE OR REPLACE FUNCTION csstats.user_chat_meet_sheet(channel_id text, since timestamptz DEFAULT NULL,
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
	FROM csstats._selected_chats(user_chat_meet_sheet.channel_id, user_chat_meet_sheet.since,
			user_chat_meet_sheet.until, user_chat_meet_sheet.filters, user_chat_meet_sheet.as_of) AS c
		JOIN csstats.meets mt
			ON mt.channel_id = user_chat_meet_sheet.channel_id AND mt.user_chat_id = c.id
	WHERE csstats._sheet_arguments_valid(user_chat_meet_sheet.channel_id, user_chat_meet_sheet.since,
			user_chat_meet_sheet.until, user_chat_meet_sheet.filters)
		AND (mt.started_at IS NULL
			OR mt.started_at <= coalesce(user_chat_meet_sheet.as_of, pg_catalog.now()))
	ORDER BY c.ord, mt.started_at, mt.id COLLATE pg_catalog."C";
END;

COMMENT ON TABLE csstats.teams IS
	'the channel''s teams; manager_ids are their members (managers.id); user_chats.team_id is the team a chat is assigned to';

COMMENT ON TABLE csstats.bots IS 'the channel''s bot profiles (messages.person_id when person_type is ''bot'')';

COMMENT ON TABLE csstats.marketing_messages IS
	'marketing messages (one-time messages and campaigns) that chats came from (user_chats.marketing_id)';

COMMENT ON TABLE csstats.messages IS
	'the messages of each chat: who wrote it (person_type user, manager or bot; person_id) and its plain text';

COMMENT ON TABLE csstats.meets IS
	'calls and front meets of a chat (user_chat_id); duration in seconds, missed_reason says why a call was missed';

COMMENT ON TABLE csstats.workflow_runs IS
	'workflow runs a chat came in through, one row per run: the sections passed and how it ended';

COMMENT ON TABLE csstats.support_bot_runs IS
	'support-bot runs of a chat, one row per run: the sections passed';

-- the timeline view's columns, for \d+ csstats.timeline
COMMENT ON COLUMN csstats.timeline.channel_id IS 'the channel (tenant)';
COMMENT ON COLUMN csstats.timeline.chat_id IS 'the chat (user_chats.id)';
COMMENT ON COLUMN csstats.timeline.at IS 'when: the chat''s created_at, the event''s at, the meet''s started_at (meets without one are left out), the message''s created_at';
COMMENT ON COLUMN csstats.timeline.seq IS 'rank among the items at the same instant: 0 the chat row, 1 chat_events, 2 meets, 3 messages';
COMMENT ON COLUMN csstats.timeline.kind IS '''chat'' (the chat row), the chat_events kind, ''meet'', or the message''s person_type (user, manager, bot)';
COMMENT ON COLUMN csstats.timeline.event_id IS 'chat_events.id (events only): the order of events at the same instant';
COMMENT ON COLUMN csstats.timeline.item_id IS 'meets.id or messages.id, C collation: the order of meets and messages at the same instant';
COMMENT ON COLUMN csstats.timeline.value IS 'chat_events.value, or the meet''s missed_reason';
COMMENT ON COLUMN csstats.timeline.medium_name IS 'chat row only: the chat''s user_chats.medium_name';
COMMENT ON COLUMN csstats.timeline.direction IS 'chat row only: the chat''s user_chats.direction';
COMMENT ON COLUMN csstats.timeline.state IS 'chat row only: the current user_chats.state, used for a case where no chat_events say otherwise';
COMMENT ON COLUMN csstats.timeline.assignee_id IS 'chat row only: the current user_chats.assignee_id, used for a case where no chat_events say otherwise';
COMMENT ON COLUMN csstats.timeline.team_id IS 'chat row only: the current user_chats.team_id, used for a case where no chat_events say otherwise';
COMMENT ON COLUMN csstats.timeline.manager_ids IS 'chat row only: the current user_chats.manager_ids, used for a case where no chat_events say otherwise';
COMMENT ON COLUMN csstats.timeline.tags IS 'chat row only: the current user_chats.tags, used for a case where no chat_events say otherwise';
COMMENT ON COLUMN csstats.timeline.priority IS 'chat row only: the current user_chats.priority, used for a case where no chat_events say otherwise';
COMMENT ON COLUMN csstats.timeline.profile IS 'chat row only: the current user_chats.profile, used for a case where no chat_events say otherwise';
