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
-- (user_chat_sheet gets its final body in the seams section below)
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

-- == export file functions: when the file gets its name ==
COMMENT ON FUNCTION csstats.export_chats_to_file(text, text, text, timestamptz, timestamptz,
	text, boolean, text, text, jsonb, timestamptz, text) IS
	'export_chats into a new file (mode 0600) in csstats.export_directory, given its name once its audit row is committed (not undone by a rollback); returns the audit id';
COMMENT ON FUNCTION csstats.export_cases_to_file(text, text, text, timestamptz, timestamptz,
	text, text, text, jsonb, timestamptz, text) IS
	'export_cases into a new file (mode 0600) in csstats.export_directory, given its name once its audit row is committed (not undone by a rollback); returns the audit id';
-- == scale out: the shard entry point of csstats_router (90_shard.sql) ==
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
	timestamptz, timestamptz, text, boolean, text, text, jsonb, timestamptz, text, boolean) FROM PUBLIC;
COMMENT ON FUNCTION csstats.shard_export(text, text, text, uuid, boolean, text, text,
	timestamptz, timestamptz, text, boolean, text, text, jsonb, timestamptz, text, boolean) IS
	'the export entry point of a csstats_router coordinator: export_chats or export_cases for the caller the coordinator names, linked to its request; grant EXECUTE to the router role only';

-- == the cross-channel summary (75_daily_summary.sql) ==
CREATE FUNCTION csstats.daily_summary(since timestamptz, until timestamptz,
		as_of timestamptz DEFAULT now())
	RETURNS TABLE (channel_id text, day date, chats bigint,
		waiting_p50 double precision, waiting_p90 double precision)
	LANGUAGE sql STABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
	SELECT s.channel_id, s.day, s.chats, s.p[1], s.p[2]
	FROM (SELECT ch.id AS channel_id,
				(u.created_at AT TIME ZONE ch.timezone)::date AS day,
				count(*) AS chats,
				csstats.approx_percentiles(u.waiting_time, ARRAY[0.5, 0.9]::double precision[]) AS p
		  FROM csstats.channels ch
			CROSS JOIN LATERAL csstats.user_chat_sheet(ch.id, daily_summary.since,
				daily_summary.until, '{}'::jsonb, daily_summary.as_of) u
		  GROUP BY 1, 2) s
	ORDER BY s.channel_id, s.day;
END;
COMMENT ON FUNCTION csstats.daily_summary(timestamptz, timestamptz, timestamptz) IS
	'per channel and local day: chats created, waiting time p50 and p90 (seconds), over every channel of the database';

-- == scale out: stored passwords checked against the router's caller, the file exports (90_shard.sql) ==
-- shard_export runs a stored-password export as the caller's role (the
-- coordinator's caller, not the router role, must be allowed by usable_by)
CREATE OR REPLACE FUNCTION csstats.shard_export(kind text, caller_session_user text,
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
-- == inbox counts (92_inbox.sql) ==
-- Open and snoozed chats of a channel, with what the counts group by, so the
-- current counts are an index-only scan of the few non-closed chats.
CREATE INDEX user_chats_inbox_idx ON csstats.user_chats (channel_id, state)
	INCLUDE (assignee_id, team_id, tags)
	WHERE state IN ('queued', 'open', 'snoozed');

-- State changes by time: the closed window's candidates.
CREATE INDEX chat_events_state_at_idx ON csstats.chat_events (channel_id, at)
	INCLUDE (chat_id)
	WHERE kind IN ('queued', 'opened', 'snoozed', 'closed', 'missed');

CREATE FUNCTION csstats._inbox_group(chat_rows refcursor, manager_ids text[], manager_names text[],
	manager_removed boolean[], manager_operator boolean[], team_ids text[], team_names text[], tags text[])
	RETURNS TABLE (scope text, key text, name text, state text, chats bigint)
	LANGUAGE C VOLATILE PARALLEL RESTRICTED
	AS 'MODULE_PATHNAME', 'csstats_inbox_group';
COMMENT ON FUNCTION csstats._inbox_group(refcursor, text[], text[], boolean[], boolean[], text[], text[], text[]) IS
	'inbox_counts'' grouping: reads the open cursor chat_rows (state, assignee, team, tags; one row per chat) to its end and returns the rows of inbox_counts in its order; the managers (ids, names, removed, operator), teams (ids, names) and tags listed are rows with zero counts too (a removed manager only while chats are assigned to it)';

CREATE FUNCTION csstats.inbox_counts(channel_id text, as_of timestamptz DEFAULT now(),
	closed_days integer DEFAULT 30)
	RETURNS TABLE (scope text, key text, name text, state text, chats bigint)
	LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
	SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
	ch text := channel_id;
	at_ts timestamptz := as_of;
	tz text;
	win_start timestamptz;
	chat_rows refcursor;
BEGIN
	IF at_ts IS NULL THEN
		RAISE EXCEPTION 'as_of must not be NULL' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF closed_days IS NULL OR closed_days < 1 OR closed_days > 3660 THEN
		RAISE EXCEPTION 'closed_days must be between 1 and 3660, got %', coalesce(closed_days::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	SELECT c.timezone INTO tz FROM csstats.channels c WHERE c.id = ch;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'channel "%" does not exist', ch
			USING ERRCODE = 'no_data_found', HINT = 'Channels are the rows of csstats.channels.';
	END IF;
	-- The window is whole local days: today (of as_of) and the closed_days - 1 before it.
	win_start := (((at_ts AT TIME ZONE tz)::date - (closed_days - 1))::timestamp) AT TIME ZONE tz;

	-- One row per counted chat: its inbox state, assignee, team and tags.
	-- now() is the transaction's start: as_of = now() (the default) or later
	-- reads the current rows; an earlier as_of replays the events.
	IF at_ts >= now() THEN
		OPEN chat_rows FOR
		-- open and snoozed chats as they are now (user_chats_inbox_idx; the
		-- grouping takes queued as open)
		SELECT u.state, u.assignee_id, u.team_id, u.tags
		FROM csstats.user_chats u
		WHERE u.channel_id = ch AND u.state IN ('queued', 'open', 'snoozed')
		UNION ALL
		-- chats whose last state change is a close in the window: the last of
		-- the state changes since the window's start (chat_events_state_at_idx),
		-- one sort instead of a probe for a later change per close
		SELECT u.state, u.assignee_id, u.team_id, u.tags
		FROM (SELECT DISTINCT ON (e.chat_id COLLATE "C") e.chat_id, e.kind, e.at
			FROM csstats.chat_events e
			WHERE e.channel_id = ch AND e.kind IN ('queued', 'opened', 'snoozed', 'closed', 'missed')
				AND e.at >= win_start
			ORDER BY e.chat_id COLLATE "C", e.at DESC, e.id DESC) l
		JOIN csstats.user_chats u ON u.channel_id = ch AND u.id = l.chat_id
		WHERE l.kind IN ('closed', 'missed') AND l.at <= at_ts AND u.state IN ('closed', 'missed');
	ELSE
		OPEN chat_rows FOR
		-- the state, assignee, team and tags each chat had at as_of
		SELECT r.st, r.asg, r.team, r.tags
		FROM (
			SELECT CASE s.kind WHEN 'snoozed' THEN 'snoozed' WHEN 'closed' THEN 'closed'
					WHEN 'missed' THEN 'closed' ELSE 'open' END AS st,
				s.at AS state_at,
				(SELECT nullif(e.value, '') FROM csstats.chat_events e
					WHERE e.channel_id = ch AND e.chat_id = s.chat_id AND e.kind = 'assigned' AND e.at <= at_ts
					ORDER BY e.at DESC, e.id DESC LIMIT 1) AS asg,
				(SELECT nullif(e.value, '') FROM csstats.chat_events e
					WHERE e.channel_id = ch AND e.chat_id = s.chat_id AND e.kind = 'team_assigned' AND e.at <= at_ts
					ORDER BY e.at DESC, e.id DESC LIMIT 1) AS team,
				(SELECT coalesce(array_agg(t.value ORDER BY t.value), '{}') FROM (
					SELECT DISTINCT ON (e.value) e.value, e.kind FROM csstats.chat_events e
					WHERE e.channel_id = ch AND e.chat_id = s.chat_id
						AND e.kind IN ('tag_added', 'tag_removed') AND e.at <= at_ts
					ORDER BY e.value, e.at DESC, e.id DESC) t
					WHERE t.kind = 'tag_added') AS tags
			FROM (
				-- a chat with no state change yet has been open since it was created
				SELECT u.id AS chat_id, le.kind, coalesce(le.at, u.created_at) AS at
				FROM csstats.user_chats u
				LEFT JOIN LATERAL (
					SELECT e.kind, e.at FROM csstats.chat_events e
					WHERE e.channel_id = ch AND e.chat_id = u.id AND e.at <= at_ts
						AND e.kind IN ('queued', 'opened', 'snoozed', 'closed', 'missed')
					ORDER BY e.at DESC, e.id DESC LIMIT 1) le ON true
				WHERE u.channel_id = ch AND (u.created_at <= at_ts OR le.kind IS NOT NULL)) s
			) r
		WHERE r.st <> 'closed' OR r.state_at >= win_start;
	END IF;

	-- Grouped in C, which returns the rows in order; every current manager,
	-- team and chat_tags tag is listed (zero counts too), and so is every key
	-- found on a counted chat.
	RETURN QUERY
	SELECT g.scope, g.key, g.name, g.state, g.chats
	FROM (SELECT array_agg(m.id) AS ids, array_agg(m.name) AS names, array_agg(m.removed) AS removed,
			array_agg(m.operator) AS operator
		FROM csstats.managers m WHERE m.channel_id = ch) m,
		(SELECT array_agg(t.id) AS ids, array_agg(t.name) AS names
		FROM csstats.teams t WHERE t.channel_id = ch) t,
		csstats._inbox_group(chat_rows, m.ids, m.names, m.removed, m.operator, t.ids, t.names,
			ARRAY(SELECT ct.name FROM csstats.chat_tags ct WHERE ct.channel_id = ch))
			WITH ORDINALITY AS g (scope, key, name, state, chats, ord)
	ORDER BY g.ord;
	CLOSE chat_rows;
END
$fn$;
COMMENT ON FUNCTION csstats.inbox_counts(text, timestamptz, integer) IS
	'inbox counts (scope, key, name, state, chats) of a channel: open and snoozed now, closed in the last closed_days local days; a past as_of replays chat_events (slower)';
-- == metrics store ==
-- The metric store of 92_metrics_store.sql (docs/metrics_store.md), new in 0.2.0.
/*
 * The metric store (docs/metrics_store.md): chat and case metrics kept for
 * the chats and cases that no longer depend on the clock, so dashboards read
 * rows instead of recomputing every timeline, and views that are exactly the
 * live aggregates at now().
 *
 *   SELECT csstats.enable_metrics_store('ch1');
 *   SELECT * FROM csstats.refresh_metrics();          -- e.g. every minute from pg_cron
 *   SELECT assignee_name, local_day, csstats.approx_percentiles(waiting_time, '{0.5,0.9}')
 *   FROM csstats.case_metrics_current WHERE channel_id = 'ch1' GROUP BY 1, 2;
 *
 * How it stays exact:
 *  - Statement-level triggers (transition tables) on the four timeline tables
 *    append one row per changed chat per statement to metrics_store_log; a
 *    calendar change appends one channel-wide row "every chat whose timeline
 *    reaches from_at"; a TRUNCATE or a time zone change, from -infinity.
 *  - refresh_metrics deletes the channel's log rows first (DELETE ...
 *    RETURNING: exactly the rows it consumes; a row committed later is not
 *    seen by that DELETE and stays for the next refresh), then recomputes
 *    those chats, the chats whose state can change with time alone
 *    (recheck_at: a case closed less than an hour ago, items dated after the
 *    stamp) and the chats it has never seen, with as_of = its stamp.
 *  - A chat row is stored when the chat is closed (or missed) and has no item
 *    after the stamp; a chat's cases are stored when every case is completed
 *    and no item is after the stamp.  The C aggregates read the clock only
 *    through the as_of cut and the completed test (src/core/timeline.c), so
 *    such a row equals the live aggregate at any later instant until the
 *    chat's timeline or calendar changes, which the log records.
 *  - The views take a stored row only when it has no pending log row and its
 *    stamp is not after now(); every other chat of the channel is computed
 *    live.  So they equal the live aggregates at now() between refreshes too
 *    (a backlog only makes them slower).
 *
 * Refreshes of one channel are serialized by a transaction-level advisory
 * lock on the channel; different channels refresh concurrently.  Loading is
 * never blocked: triggers only INSERT into the log, refresh only deletes log
 * rows and writes the store tables.  Channels that did not opt in have no
 * row in metrics_store_channels and their changes are not logged.
 */

-------------------------------------------------------------------------------
-- Tables.  All are dumped like every csstats table: a restored store is as
-- exact as the source's (its log comes along; rows the restore loads into the
-- source tables are logged again, which only costs a recomputation).
-------------------------------------------------------------------------------

CREATE TABLE csstats.metrics_store_channels (
	channel_id text PRIMARY KEY REFERENCES csstats.channels (id) ON DELETE CASCADE,
	enabled_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	last_refresh_as_of timestamptz,
	last_refresh_duration interval,
	last_refresh_changes bigint,
	last_refresh_chats bigint
);
COMMENT ON TABLE csstats.metrics_store_channels IS
	'channels whose metrics are kept in the store (csstats.enable_metrics_store), with their last refresh';

-- Append-only change log.  chat_id NULL: every chat of the channel whose
-- timeline reaches from_at (calendar edits, TRUNCATE, time zone changes).
CREATE TABLE csstats.metrics_store_log (
	id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	channel_id text NOT NULL,
	chat_id text,
	from_at timestamptz,
	logged_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	CONSTRAINT metrics_store_log_chat_or_from CHECK ((chat_id IS NULL) <> (from_at IS NULL))
);
COMMENT ON TABLE csstats.metrics_store_log IS
	'changed chats not yet refreshed into the metric store (one row per chat per statement)';
CREATE INDEX metrics_store_log_chat_idx ON csstats.metrics_store_log (channel_id, chat_id);

-- One row per chat the last refresh computed: what is stored for it.
-- The store tables have no foreign keys: refresh, the only writer, deletes and
-- inserts whole sets (a per-row RI check or cascade cost more than the
-- metrics); disable_metrics_store and refresh_metrics() remove the rows of
-- channels that left.  The views join the source tables, so a row of a
-- deleted chat or channel is never shown.
CREATE TABLE csstats.metrics_store_chats (
	channel_id text NOT NULL,
	chat_id text NOT NULL,
	metrics_as_of timestamptz NOT NULL,
	last_item_at timestamptz NOT NULL,
	chat_settled boolean NOT NULL,
	cases_settled boolean NOT NULL,
	recheck_at timestamptz,
	PRIMARY KEY (channel_id, chat_id)
);
COMMENT ON TABLE csstats.metrics_store_chats IS
	'per chat: the stamp of its last computation, its last timeline item, whether its chat row and its cases are stored, and when time alone may change that';
CREATE INDEX metrics_store_chats_recheck_idx ON csstats.metrics_store_chats (channel_id, recheck_at)
	WHERE recheck_at IS NOT NULL;
CREATE INDEX metrics_store_chats_last_item_idx ON csstats.metrics_store_chats (channel_id, last_item_at);

CREATE TABLE csstats.chat_metrics_store (
	channel_id text NOT NULL,
	chat_id text NOT NULL,
	LIKE csstats.chat_metrics_result,	-- its columns, in its order
	metrics_as_of timestamptz NOT NULL,
	last_item_at timestamptz NOT NULL,
	PRIMARY KEY (channel_id, chat_id)
);
COMMENT ON TABLE csstats.chat_metrics_store IS
	'chat_metrics_result of the settled chats (closed or missed, no item after the stamp) as of metrics_as_of';

CREATE TABLE csstats.case_metrics_store (
	channel_id text NOT NULL,
	LIKE csstats.case_metrics_result,	-- its columns, in its order (the key's are NOT NULL)
	metrics_as_of timestamptz NOT NULL,
	last_item_at timestamptz NOT NULL,
	PRIMARY KEY (channel_id, user_chat_id, user_chat_case)
);
COMMENT ON TABLE csstats.case_metrics_store IS
	'case_metrics_result of the chats whose cases are all completed (no item after the stamp) as of metrics_as_of; last_item_at is the chat''s';

SELECT pg_catalog.pg_extension_config_dump('csstats.metrics_store_channels', '');
SELECT pg_catalog.pg_extension_config_dump('csstats.metrics_store_log', '');
SELECT pg_catalog.pg_extension_config_dump('csstats.metrics_store_log_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('csstats.metrics_store_chats', '');
SELECT pg_catalog.pg_extension_config_dump('csstats.chat_metrics_store', '');
SELECT pg_catalog.pg_extension_config_dump('csstats.case_metrics_store', '');

-------------------------------------------------------------------------------
-- Change capture.  The trigger functions are SECURITY DEFINER so that a
-- loading role needs no grant on the log: they only append the keys of the
-- rows the firing statement changed, for opted-in channels.
-------------------------------------------------------------------------------

-- TG_ARGV[0]: the table's chat id column.  One trigger per event (a trigger
-- with transition tables fires for one event only).
CREATE FUNCTION csstats._metrics_store_log_changes()
	RETURNS trigger
	LANGUAGE plpgsql VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	src text;
BEGIN
	-- nothing opted in: no scan of the transition table at all
	IF NOT EXISTS (SELECT FROM csstats.metrics_store_channels) THEN
		RETURN NULL;
	END IF;
	IF TG_OP = 'TRUNCATE' THEN
		INSERT INTO csstats.metrics_store_log (channel_id, chat_id, from_at)
		SELECT s.channel_id, NULL, '-infinity' FROM csstats.metrics_store_channels s;
		RETURN NULL;
	END IF;
	src := CASE TG_OP
		WHEN 'INSERT' THEN format('SELECT channel_id, %1$I AS chat_id FROM new_rows', TG_ARGV[0])
		WHEN 'DELETE' THEN format('SELECT channel_id, %1$I AS chat_id FROM old_rows', TG_ARGV[0])
		ELSE format('SELECT channel_id, %1$I AS chat_id FROM new_rows UNION SELECT channel_id, %1$I FROM old_rows',
			TG_ARGV[0])
	END;
	EXECUTE format('INSERT INTO csstats.metrics_store_log (channel_id, chat_id)
		SELECT DISTINCT r.channel_id, r.chat_id FROM (%s) r
		WHERE r.channel_id IN (SELECT s.channel_id FROM csstats.metrics_store_channels s)', src);
	RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION csstats._metrics_store_log_changes() FROM PUBLIC;
COMMENT ON FUNCTION csstats._metrics_store_log_changes() IS
	'internal trigger: logs the chats a statement changed, for channels with a metric store';

-- Calendar edits: operating_hours (valid_from), holidays and special_hours
-- (day) mark the chats whose timeline reaches the earliest changed local
-- date (a day early: the margin costs a few recomputations, never a miss);
-- a channel's time zone change marks all of its chats.
CREATE FUNCTION csstats._metrics_store_calendar_changed()
	RETURNS trigger
	LANGUAGE plpgsql VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	src text;
BEGIN
	IF NOT EXISTS (SELECT FROM csstats.metrics_store_channels) THEN
		RETURN NULL;
	END IF;
	IF TG_OP = 'TRUNCATE' THEN
		INSERT INTO csstats.metrics_store_log (channel_id, chat_id, from_at)
		SELECT s.channel_id, NULL, '-infinity' FROM csstats.metrics_store_channels s;
		RETURN NULL;
	END IF;
	IF TG_TABLE_NAME = 'channels' THEN
		INSERT INTO csstats.metrics_store_log (channel_id, chat_id, from_at)
		SELECT n.id, NULL, '-infinity'
		FROM new_rows n JOIN old_rows o ON o.id = n.id
		WHERE n.timezone IS DISTINCT FROM o.timezone
			AND n.id IN (SELECT s.channel_id FROM csstats.metrics_store_channels s);
		RETURN NULL;
	END IF;
	src := CASE TG_OP
		WHEN 'INSERT' THEN format('SELECT channel_id, %1$I AS d FROM new_rows', TG_ARGV[0])
		WHEN 'DELETE' THEN format('SELECT channel_id, %1$I AS d FROM old_rows', TG_ARGV[0])
		ELSE format('SELECT channel_id, %1$I AS d FROM new_rows UNION ALL SELECT channel_id, %1$I FROM old_rows',
			TG_ARGV[0])
	END;
	EXECUTE format('INSERT INTO csstats.metrics_store_log (channel_id, chat_id, from_at)
		SELECT r.channel_id, NULL,
			(min(r.d)::timestamp AT TIME ZONE min(c.timezone)) - interval ''1 day''
		FROM (%s) r JOIN csstats.channels c ON c.id = r.channel_id
		WHERE r.channel_id IN (SELECT s.channel_id FROM csstats.metrics_store_channels s)
		GROUP BY r.channel_id', src);
	RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION csstats._metrics_store_calendar_changed() FROM PUBLIC;
COMMENT ON FUNCTION csstats._metrics_store_calendar_changed() IS
	'internal trigger: logs the chats of a metric-store channel a calendar or time zone change may affect';

CREATE TRIGGER metrics_store_insert AFTER INSERT ON csstats.messages
	REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._metrics_store_log_changes('chat_id');
CREATE TRIGGER metrics_store_update AFTER UPDATE ON csstats.messages
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._metrics_store_log_changes('chat_id');
CREATE TRIGGER metrics_store_delete AFTER DELETE ON csstats.messages
	REFERENCING OLD TABLE AS old_rows
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._metrics_store_log_changes('chat_id');
CREATE TRIGGER metrics_store_truncate AFTER TRUNCATE ON csstats.messages
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._metrics_store_log_changes('chat_id');

CREATE TRIGGER metrics_store_insert AFTER INSERT ON csstats.chat_events
	REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._metrics_store_log_changes('chat_id');
CREATE TRIGGER metrics_store_update AFTER UPDATE ON csstats.chat_events
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._metrics_store_log_changes('chat_id');
CREATE TRIGGER metrics_store_delete AFTER DELETE ON csstats.chat_events
	REFERENCING OLD TABLE AS old_rows
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._metrics_store_log_changes('chat_id');
CREATE TRIGGER metrics_store_truncate AFTER TRUNCATE ON csstats.chat_events
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._metrics_store_log_changes('chat_id');

CREATE TRIGGER metrics_store_insert AFTER INSERT ON csstats.meets
	REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._metrics_store_log_changes('user_chat_id');
CREATE TRIGGER metrics_store_update AFTER UPDATE ON csstats.meets
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._metrics_store_log_changes('user_chat_id');
CREATE TRIGGER metrics_store_delete AFTER DELETE ON csstats.meets
	REFERENCING OLD TABLE AS old_rows
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._metrics_store_log_changes('user_chat_id');
CREATE TRIGGER metrics_store_truncate AFTER TRUNCATE ON csstats.meets
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._metrics_store_log_changes('user_chat_id');

CREATE TRIGGER metrics_store_insert AFTER INSERT ON csstats.user_chats
	REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._metrics_store_log_changes('id');
CREATE TRIGGER metrics_store_update AFTER UPDATE ON csstats.user_chats
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._metrics_store_log_changes('id');
CREATE TRIGGER metrics_store_delete AFTER DELETE ON csstats.user_chats
	REFERENCING OLD TABLE AS old_rows
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._metrics_store_log_changes('id');
CREATE TRIGGER metrics_store_truncate AFTER TRUNCATE ON csstats.user_chats
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._metrics_store_log_changes('id');

CREATE TRIGGER metrics_store_insert AFTER INSERT ON csstats.operating_hours
	REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._metrics_store_calendar_changed('valid_from');
CREATE TRIGGER metrics_store_update AFTER UPDATE ON csstats.operating_hours
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._metrics_store_calendar_changed('valid_from');
CREATE TRIGGER metrics_store_delete AFTER DELETE ON csstats.operating_hours
	REFERENCING OLD TABLE AS old_rows
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._metrics_store_calendar_changed('valid_from');
CREATE TRIGGER metrics_store_truncate AFTER TRUNCATE ON csstats.operating_hours
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._metrics_store_calendar_changed('valid_from');

CREATE TRIGGER metrics_store_insert AFTER INSERT ON csstats.holidays
	REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._metrics_store_calendar_changed('day');
CREATE TRIGGER metrics_store_update AFTER UPDATE ON csstats.holidays
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._metrics_store_calendar_changed('day');
CREATE TRIGGER metrics_store_delete AFTER DELETE ON csstats.holidays
	REFERENCING OLD TABLE AS old_rows
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._metrics_store_calendar_changed('day');
CREATE TRIGGER metrics_store_truncate AFTER TRUNCATE ON csstats.holidays
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._metrics_store_calendar_changed('day');

CREATE TRIGGER metrics_store_insert AFTER INSERT ON csstats.special_hours
	REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._metrics_store_calendar_changed('day');
CREATE TRIGGER metrics_store_update AFTER UPDATE ON csstats.special_hours
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._metrics_store_calendar_changed('day');
CREATE TRIGGER metrics_store_delete AFTER DELETE ON csstats.special_hours
	REFERENCING OLD TABLE AS old_rows
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._metrics_store_calendar_changed('day');
CREATE TRIGGER metrics_store_truncate AFTER TRUNCATE ON csstats.special_hours
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._metrics_store_calendar_changed('day');

CREATE TRIGGER metrics_store_update AFTER UPDATE ON csstats.channels
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION csstats._metrics_store_calendar_changed('timezone');

-------------------------------------------------------------------------------
-- Opt-in and refresh
-------------------------------------------------------------------------------

-- The advisory lock of one channel's store (two-key form, first key 'csms').
CREATE FUNCTION csstats._metrics_store_lock(channel_id text, wait boolean)
	RETURNS boolean
	LANGUAGE plpgsql VOLATILE
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF wait THEN
		PERFORM pg_advisory_xact_lock(1668509043, hashtext(channel_id));
		RETURN true;
	END IF;
	RETURN pg_try_advisory_xact_lock(1668509043, hashtext(channel_id));
END
$$;
COMMENT ON FUNCTION csstats._metrics_store_lock(text, boolean) IS
	'internal: takes the transaction-level advisory lock of a channel''s metric store (false: busy, when not waiting)';

CREATE FUNCTION csstats.enable_metrics_store(channel_id text)
	RETURNS boolean
	LANGUAGE plpgsql VOLATILE
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF channel_id IS NULL THEN
		RAISE EXCEPTION 'channel_id must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF NOT EXISTS (SELECT FROM csstats.channels c WHERE c.id = enable_metrics_store.channel_id) THEN
		RAISE EXCEPTION 'channel "%" does not exist', channel_id
			USING ERRCODE = 'invalid_parameter_value', HINT = 'Channels are rows of csstats.channels.';
	END IF;
	PERFORM csstats._metrics_store_lock(channel_id, true);
	INSERT INTO csstats.metrics_store_channels (channel_id) VALUES (enable_metrics_store.channel_id)
	ON CONFLICT DO NOTHING;
	IF NOT FOUND THEN
		RETURN false;
	END IF;
	-- leftovers of a deleted channel that had the same id
	PERFORM csstats._metrics_store_purge(channel_id);
	RETURN true;
END
$$;
REVOKE ALL ON FUNCTION csstats.enable_metrics_store(text) FROM PUBLIC;
COMMENT ON FUNCTION csstats.enable_metrics_store(text) IS
	'opts a channel into the metric store (its changes are logged from now on; the next refresh fills the store); false when it already was';

CREATE FUNCTION csstats.disable_metrics_store(channel_id text)
	RETURNS boolean
	LANGUAGE plpgsql VOLATILE
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF channel_id IS NULL THEN
		RAISE EXCEPTION 'channel_id must not be null' USING ERRCODE = 'null_value_not_allowed';
	END IF;
	PERFORM csstats._metrics_store_lock(channel_id, true);
	DELETE FROM csstats.metrics_store_channels s WHERE s.channel_id = disable_metrics_store.channel_id;
	IF NOT FOUND THEN
		RETURN false;
	END IF;
	PERFORM csstats._metrics_store_purge(channel_id);
	RETURN true;
END
$$;
REVOKE ALL ON FUNCTION csstats.disable_metrics_store(text) FROM PUBLIC;
COMMENT ON FUNCTION csstats.disable_metrics_store(text) IS
	'drops a channel''s metric store and change log and stops logging its changes; false when it was not enabled';

-- Everything the store holds for a channel that is not (or no longer) opted in.
CREATE FUNCTION csstats._metrics_store_purge(channel_id text)
	RETURNS void
	LANGUAGE plpgsql VOLATILE
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	DELETE FROM csstats.chat_metrics_store s WHERE s.channel_id = _metrics_store_purge.channel_id;
	DELETE FROM csstats.case_metrics_store s WHERE s.channel_id = _metrics_store_purge.channel_id;
	DELETE FROM csstats.metrics_store_chats s WHERE s.channel_id = _metrics_store_purge.channel_id;
	DELETE FROM csstats.metrics_store_log l WHERE l.channel_id = _metrics_store_purge.channel_id;
END
$$;
COMMENT ON FUNCTION csstats._metrics_store_purge(text) IS
	'internal: deletes the stored rows and log rows of a channel (disable_metrics_store, deleted channels)';

-- One channel: the caller holds its lock.
CREATE FUNCTION csstats._refresh_metrics_channel(channel_id text,
		OUT changes bigint, OUT recomputed_chats bigint, OUT settled_chats bigint,
		OUT stored_cases bigint, OUT as_of timestamptz, OUT duration interval)
	LANGUAGE plpgsql VOLATILE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	ch text := channel_id;
	t0 timestamptz := clock_timestamp();
	stamp timestamptz := now();
	wide_from timestamptz;
BEGIN
	-- left behind by a failed call in this transaction (the caller caught the error)
	IF to_regclass('pg_temp._ms_pending') IS NOT NULL THEN
		DROP TABLE pg_temp._ms_pending;
	END IF;
	IF to_regclass('pg_temp._ms_calc') IS NOT NULL THEN
		DROP TABLE pg_temp._ms_calc;
	END IF;
	CREATE TEMP TABLE _ms_pending (chat_id text PRIMARY KEY) ON COMMIT DROP;

	-- consume the log: exactly the rows this DELETE sees
	WITH consumed AS (
		DELETE FROM csstats.metrics_store_log l WHERE l.channel_id = ch
		RETURNING l.chat_id, l.from_at
	), pending AS (
		INSERT INTO _ms_pending SELECT DISTINCT c.chat_id FROM consumed c WHERE c.chat_id IS NOT NULL
	)
	SELECT count(*), min(c.from_at) INTO changes, wide_from FROM consumed c;

	-- chats time alone can change, chats a calendar edit reaches
	INSERT INTO _ms_pending
	SELECT s.chat_id FROM csstats.metrics_store_chats s
	WHERE s.channel_id = ch AND (s.recheck_at <= stamp OR s.last_item_at >= wide_from)
	ON CONFLICT DO NOTHING;
	-- chats never computed: all of them at the first refresh; later a new chat
	-- is logged by its INSERT, so the scan of every chat id (half a second on
	-- 200,000 chats) is only repeated with a channel-wide log row
	IF wide_from IS NOT NULL OR NOT EXISTS (SELECT FROM csstats.metrics_store_channels s
			WHERE s.channel_id = ch AND s.last_refresh_as_of IS NOT NULL) THEN
		INSERT INTO _ms_pending
		SELECT u.id FROM csstats.user_chats u
		WHERE u.channel_id = ch
			AND NOT EXISTS (SELECT FROM csstats.metrics_store_chats s WHERE s.channel_id = ch AND s.chat_id = u.id)
		ON CONFLICT DO NOTHING;
	END IF;
	ANALYZE pg_temp._ms_pending;

	CREATE TEMP TABLE _ms_calc ON COMMIT DROP AS
	SELECT t.chat_id,
		csstats.chat_metrics(t.channel_id, t.chat_id, t.at, t.seq, t.kind, t.event_id, t.item_id,
			stamp) AS chat,
		csstats.case_metrics(t.channel_id, t.chat_id, t.at, t.seq, t.kind, t.event_id, t.item_id,
			t.value, t.medium_name, t.direction, t.state, t.assignee_id, t.team_id, t.manager_ids,
			t.tags, t.priority, t.profile, stamp) AS cases,
		max(t.at) AS last_at,
		min(t.at) FILTER (WHERE t.at > stamp) AS next_at,
		max(t.state) FILTER (WHERE t.seq = 0) AS chat_state
	FROM csstats._metrics_store_timeline t JOIN _ms_pending d ON d.chat_id = t.chat_id
	WHERE t.channel_id = ch AND t.at IS NOT NULL
	GROUP BY t.channel_id, t.chat_id;

	-- replace what was stored for these chats
	DELETE FROM csstats.metrics_store_chats s USING _ms_pending d
	WHERE s.channel_id = ch AND s.chat_id = d.chat_id;
	DELETE FROM csstats.chat_metrics_store s USING _ms_pending d
	WHERE s.channel_id = ch AND s.chat_id = d.chat_id;
	DELETE FROM csstats.case_metrics_store s USING _ms_pending d
	WHERE s.channel_id = ch AND s.user_chat_id = d.chat_id;

	INSERT INTO csstats.metrics_store_chats
		(channel_id, chat_id, metrics_as_of, last_item_at, chat_settled, cases_settled, recheck_at)
	SELECT ch, c.chat_id, stamp, c.last_at,
		c.next_at IS NULL AND ((c.chat).closed_at IS NOT NULL OR c.chat_state IN ('closed', 'missed')),
		c.next_at IS NULL AND NOT EXISTS (SELECT FROM unnest(c.cases) k
			WHERE k.user_chat_case_state IS DISTINCT FROM 'completed'),
		-- an item dated after the stamp comes into view; a close completes its case an hour later
		least(c.next_at, (SELECT min(k.closed_at) + interval '1 hour' FROM unnest(c.cases) k
			WHERE k.user_chat_case_state IS DISTINCT FROM 'completed'))
	FROM _ms_calc c;
	GET DIAGNOSTICS recomputed_chats = ROW_COUNT;

	INSERT INTO csstats.chat_metrics_store
	SELECT ch, c.chat_id, (c.chat).*, stamp, c.last_at
	FROM _ms_calc c JOIN csstats.metrics_store_chats s ON s.channel_id = ch AND s.chat_id = c.chat_id
	WHERE s.chat_settled;
	GET DIAGNOSTICS settled_chats = ROW_COUNT;

	INSERT INTO csstats.case_metrics_store
	SELECT ch, k.*, stamp, c.last_at
	FROM _ms_calc c JOIN csstats.metrics_store_chats s ON s.channel_id = ch AND s.chat_id = c.chat_id
		CROSS JOIN LATERAL unnest(c.cases) k
	WHERE s.cases_settled;
	GET DIAGNOSTICS stored_cases = ROW_COUNT;

	as_of := stamp;
	duration := clock_timestamp() - t0;
	UPDATE csstats.metrics_store_channels s
	SET last_refresh_as_of = stamp, last_refresh_duration = duration,
		last_refresh_changes = changes, last_refresh_chats = recomputed_chats
	WHERE s.channel_id = ch;
	DROP TABLE pg_temp._ms_pending, pg_temp._ms_calc;
END
$$;
COMMENT ON FUNCTION csstats._refresh_metrics_channel(text) IS
	'internal: refreshes one channel''s metric store (the caller holds the channel''s lock)';

CREATE FUNCTION csstats.refresh_metrics(channel_id text DEFAULT NULL)
	RETURNS TABLE (channel text, status text, changes bigint, recomputed_chats bigint,
		settled_chats bigint, stored_cases bigint, as_of timestamptz, duration interval)
	LANGUAGE plpgsql VOLATILE
	SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	want text := channel_id;
	ch text;
	r record;
BEGIN
	IF want IS NOT NULL THEN
		IF NOT EXISTS (SELECT FROM csstats.metrics_store_channels s WHERE s.channel_id = want) THEN
			RAISE EXCEPTION 'channel "%" has no metric store', want
				USING ERRCODE = 'invalid_parameter_value',
					HINT = 'Opt the channel in with csstats.enable_metrics_store().';
		END IF;
		PERFORM csstats._metrics_store_lock(want, true);
	END IF;
	FOR ch IN
		SELECT s.channel_id FROM csstats.metrics_store_channels s
		WHERE want IS NULL OR s.channel_id = want ORDER BY s.channel_id
	LOOP
		-- all channels: one that another session is refreshing is skipped, not waited for
		IF want IS NULL AND NOT csstats._metrics_store_lock(ch, false) THEN
			RETURN QUERY SELECT ch, 'busy'::text, NULL::bigint, NULL::bigint, NULL::bigint, NULL::bigint,
				NULL::timestamptz, NULL::interval;
			CONTINUE;
		END IF;
		-- disabled meanwhile
		CONTINUE WHEN NOT EXISTS (SELECT FROM csstats.metrics_store_channels s WHERE s.channel_id = ch);
		SELECT * INTO r FROM csstats._refresh_metrics_channel(ch);
		RETURN QUERY SELECT ch, 'refreshed'::text, r.changes, r.recomputed_chats, r.settled_chats,
			r.stored_cases, r.as_of, r.duration;
	END LOOP;
	IF want IS NULL THEN
		-- rows of channels deleted since (csstats.channels cascades to metrics_store_channels only)
		PERFORM csstats._metrics_store_purge(l.channel_id)
		FROM (SELECT DISTINCT x.channel_id FROM csstats.metrics_store_chats x
			  UNION SELECT DISTINCT x.channel_id FROM csstats.metrics_store_log x) l
		WHERE NOT EXISTS (SELECT FROM csstats.metrics_store_channels s WHERE s.channel_id = l.channel_id);
	END IF;
END
$$;
REVOKE ALL ON FUNCTION csstats.refresh_metrics(text) FROM PUBLIC;
COMMENT ON FUNCTION csstats.refresh_metrics(text) IS
	'brings the metric store of one channel (or of every opted-in channel) up to date; one row per channel: what it did';

-------------------------------------------------------------------------------
-- Views.  All run with the caller's rights (security_invoker): the live part
-- reads the source tables through _metrics_store_timeline, the stored part
-- reads the store tables, so row-level security on either applies.
-- _metrics_store_timeline is csstats.timeline without the WHERE of its meets
-- branch: a UNION ALL branch with a WHERE clause is not flattened, and then a
-- per-chat lookup scans all meets for every chat.  Its users filter
-- at IS NOT NULL (meets that never started) themselves.
-------------------------------------------------------------------------------

CREATE VIEW csstats._metrics_store_timeline WITH (security_invoker = true) AS
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
	UNION ALL
	SELECT m.channel_id, m.chat_id, m.created_at, 3::smallint, m.person_type, NULL,
		m.id COLLATE "C", NULL,
		NULL, NULL, NULL, NULL, NULL, NULL::text[], NULL::text[], NULL, NULL::jsonb
	FROM csstats.messages m;
COMMENT ON VIEW csstats._metrics_store_timeline IS
	'internal: csstats.timeline read with the caller''s rights, plus meets that never started (at NULL): filter at IS NOT NULL';

-- A stored row is used when its stamp is not after now() and no log row
-- names its chat (or reaches its last item): otherwise the chat is live.
CREATE VIEW csstats.chat_metrics_current WITH (security_invoker = true) AS
	SELECT b.*,
		u.user_id, u.state, u.medium_name, u.direction, u.assignee_id, a.name AS assignee_name,
		u.team_id, tm.name AS team_name, ch.name AS channel_name, ch.timezone,
		(b.created_at AT TIME ZONE ch.timezone)::date AS local_day,
		(b.closed_at AT TIME ZONE ch.timezone)::date AS closed_local_day
	FROM (
		SELECT s.channel_id, s.chat_id, s.first_asked_at, s.first_queued_at, s.first_opened_at,
			s.first_replied_at, s.opened_at, s.first_replied_at_after_open, s.created_at,
			s.waiting_time, s.avg_reply_time, s.total_reply_time, s.reply_count, s.resolution_time,
			s.operation_waiting_time, s.operation_avg_reply_time, s.operation_total_reply_time,
			s.operation_reply_count, s.operation_resolution_time, s.closed_at,
			s.metrics_as_of, true AS from_store
		FROM csstats.chat_metrics_store s
		WHERE s.metrics_as_of <= now()
			AND NOT EXISTS (SELECT FROM csstats.metrics_store_log l
				WHERE l.channel_id = s.channel_id AND l.chat_id = s.chat_id)
			AND NOT EXISTS (SELECT FROM csstats.metrics_store_log l
				WHERE l.channel_id = s.channel_id AND l.chat_id IS NULL AND s.last_item_at >= l.from_at)
		UNION ALL
		SELECT u.channel_id, u.id, (m.r).*, now(), false
		FROM csstats.user_chats u
			JOIN csstats.metrics_store_channels e ON e.channel_id = u.channel_id
			CROSS JOIN LATERAL (
				SELECT csstats.chat_metrics(t.channel_id, t.chat_id, t.at, t.seq, t.kind, t.event_id,
					t.item_id, now()) AS r
				FROM csstats._metrics_store_timeline t
				WHERE t.channel_id = u.channel_id AND t.chat_id = u.id AND t.at IS NOT NULL) m
		WHERE NOT EXISTS (SELECT FROM csstats.chat_metrics_store s
			WHERE s.channel_id = u.channel_id AND s.chat_id = u.id AND s.metrics_as_of <= now()
				AND NOT EXISTS (SELECT FROM csstats.metrics_store_log l
					WHERE l.channel_id = s.channel_id AND l.chat_id = s.chat_id)
				AND NOT EXISTS (SELECT FROM csstats.metrics_store_log l
					WHERE l.channel_id = s.channel_id AND l.chat_id IS NULL AND s.last_item_at >= l.from_at))
	) b
	JOIN csstats.user_chats u ON u.channel_id = b.channel_id AND u.id = b.chat_id
	JOIN csstats.channels ch ON ch.id = b.channel_id
	LEFT JOIN csstats.managers a ON a.channel_id = b.channel_id AND a.id = u.assignee_id
	LEFT JOIN csstats.teams tm ON tm.channel_id = b.channel_id AND tm.id = u.team_id;
COMMENT ON VIEW csstats.chat_metrics_current IS
	'chat_metrics_result as of now() for every chat of the metric-store channels (stored rows of settled chats, live aggregates for the rest), with names and local days';

CREATE VIEW csstats.case_metrics_current WITH (security_invoker = true) AS
	SELECT b.*,
		a.name AS assignee_name, tm.name AS team_name, ch.name AS channel_name, ch.timezone,
		(b.user_chat_case_created_at AT TIME ZONE ch.timezone)::date AS local_day,
		(b.closed_at AT TIME ZONE ch.timezone)::date AS closed_local_day
	FROM (
		SELECT c.channel_id, c.user_chat_id, c.user_chat_case, c.user_chat_case_id,
			c.user_chat_case_created_at, c.user_chat_case_updated_at, c.user_chat_case_state,
			c.user_chat_state, c.team_id, c.assignee_id, c.manager_ids, c.tags, c.priority,
			c.profile, c.first_queued_at, c.first_opened_at, c.first_asked_at, c.first_replied_at,
			c.closed_at, c.waiting_time, c.total_reply_time, c.reply_count, c.avg_reply_time,
			c.resolution_time, c.total_snoozed_time, c.lead_time, c.snoozed_count, c.missed_count,
			c.operation_waiting_time, c.operation_reply_count, c.operation_total_reply_time,
			c.operation_avg_reply_time, c.operation_resolution_time, c.operation_lead_time,
			c.metrics_as_of, true AS from_store
		FROM csstats.case_metrics_store c
		WHERE c.metrics_as_of <= now()
			AND NOT EXISTS (SELECT FROM csstats.metrics_store_log l
				WHERE l.channel_id = c.channel_id AND l.chat_id = c.user_chat_id)
			AND NOT EXISTS (SELECT FROM csstats.metrics_store_log l
				WHERE l.channel_id = c.channel_id AND l.chat_id IS NULL AND c.last_item_at >= l.from_at)
		UNION ALL
		SELECT u.channel_id, k.*, now(), false
		FROM csstats.user_chats u
			JOIN csstats.metrics_store_channels e ON e.channel_id = u.channel_id
			CROSS JOIN LATERAL (
				SELECT csstats.case_metrics(t.channel_id, t.chat_id, t.at, t.seq, t.kind, t.event_id,
					t.item_id, t.value, t.medium_name, t.direction, t.state, t.assignee_id, t.team_id,
					t.manager_ids, t.tags, t.priority, t.profile, now()) AS cs
				FROM csstats._metrics_store_timeline t
				WHERE t.channel_id = u.channel_id AND t.chat_id = u.id AND t.at IS NOT NULL) m
			CROSS JOIN LATERAL unnest(m.cs) k
		WHERE NOT EXISTS (SELECT FROM csstats.metrics_store_chats s
			WHERE s.channel_id = u.channel_id AND s.chat_id = u.id AND s.cases_settled
				AND s.metrics_as_of <= now()
				AND NOT EXISTS (SELECT FROM csstats.metrics_store_log l
					WHERE l.channel_id = s.channel_id AND l.chat_id = s.chat_id)
				AND NOT EXISTS (SELECT FROM csstats.metrics_store_log l
					WHERE l.channel_id = s.channel_id AND l.chat_id IS NULL AND s.last_item_at >= l.from_at))
	) b
	JOIN csstats.channels ch ON ch.id = b.channel_id
	LEFT JOIN csstats.managers a ON a.channel_id = b.channel_id AND a.id = b.assignee_id
	LEFT JOIN csstats.teams tm ON tm.channel_id = b.channel_id AND tm.id = b.team_id;
COMMENT ON VIEW csstats.case_metrics_current IS
	'case_metrics_result as of now() for every case of the metric-store channels (stored rows of completed cases, live aggregates for the rest), with names and local days';

CREATE VIEW csstats.metrics_store_freshness WITH (security_invoker = true) AS
	SELECT e.channel_id, e.enabled_at, e.last_refresh_as_of,
		now() - e.last_refresh_as_of AS age,
		e.last_refresh_duration, e.last_refresh_changes, e.last_refresh_chats,
		(SELECT count(*) FROM csstats.metrics_store_log l WHERE l.channel_id = e.channel_id)
			AS backlog_changes,
		(SELECT count(DISTINCT l.chat_id) FROM csstats.metrics_store_log l
			WHERE l.channel_id = e.channel_id) AS backlog_chats,
		(SELECT min(l.from_at) FROM csstats.metrics_store_log l
			WHERE l.channel_id = e.channel_id AND l.chat_id IS NULL) AS backlog_channel_from,
		(SELECT min(l.logged_at) FROM csstats.metrics_store_log l
			WHERE l.channel_id = e.channel_id) AS oldest_change_at,
		(SELECT count(*) FROM csstats.metrics_store_chats s
			WHERE s.channel_id = e.channel_id AND s.chat_settled) AS stored_chats,
		(SELECT count(*) FROM csstats.case_metrics_store c
			WHERE c.channel_id = e.channel_id) AS stored_cases,
		(SELECT count(*) FROM csstats.metrics_store_chats s
			WHERE s.channel_id = e.channel_id AND s.recheck_at <= now()) AS due_rechecks
	FROM csstats.metrics_store_channels e;
COMMENT ON VIEW csstats.metrics_store_freshness IS
	'per metric-store channel: last refresh (stamp, age, duration, work) and the backlog the next refresh consumes';
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


-- == bi views ==
-- The flat BI views (94_bi_views.sql), as the install part creates them.

-- The case-level metrics of every case as of now(), per chat the same way,
-- with the chat's fixed attributes.  Not through case_metrics_current: its
-- live part yields the cases of every chat of the channel before they can be
-- matched to one chat (a LATERAL lookup per chat would compute the whole
-- channel each time).  The rule is the same: a chat's stored cases are used
-- when they are all completed, their stamp is not after now() and no log row
-- names the chat or reaches its last item; otherwise the chat is live.
CREATE VIEW csstats._bi_case_metrics WITH (security_invoker = true) AS
	SELECT u.channel_id, u.user_id, u.medium_name, u.direction, m.*
	FROM csstats.user_chats u
	CROSS JOIN LATERAL (
		SELECT c.user_chat_id, c.user_chat_case, c.user_chat_case_id,
			c.user_chat_case_created_at, c.user_chat_case_updated_at, c.user_chat_case_state,
			c.user_chat_state, c.team_id, c.assignee_id, c.manager_ids, c.tags, c.priority,
			c.profile, c.first_queued_at, c.first_opened_at, c.first_asked_at, c.first_replied_at,
			c.closed_at, c.waiting_time, c.total_reply_time, c.reply_count, c.avg_reply_time,
			c.resolution_time, c.total_snoozed_time, c.lead_time, c.snoozed_count, c.missed_count,
			c.operation_waiting_time, c.operation_reply_count, c.operation_total_reply_time,
			c.operation_avg_reply_time, c.operation_resolution_time, c.operation_lead_time,
			c.metrics_as_of, true AS from_store
		FROM csstats.case_metrics_store c
		WHERE c.channel_id = u.channel_id AND c.user_chat_id = u.id AND c.metrics_as_of <= now()
			AND NOT EXISTS (SELECT FROM csstats.metrics_store_log l
				WHERE l.channel_id = c.channel_id AND l.chat_id = c.user_chat_id)
			AND NOT EXISTS (SELECT FROM csstats.metrics_store_log l
				WHERE l.channel_id = c.channel_id AND l.chat_id IS NULL AND c.last_item_at >= l.from_at)
		UNION ALL
		SELECT k.*, now(), false
		FROM (SELECT csstats.case_metrics(t.channel_id, t.chat_id, t.at, t.seq, t.kind,
					t.event_id, t.item_id, t.value, t.medium_name, t.direction, t.state,
					t.assignee_id, t.team_id, t.manager_ids, t.tags, t.priority, t.profile,
					now()) AS cs
			FROM csstats._metrics_store_timeline t
			WHERE t.channel_id = u.channel_id AND t.chat_id = u.id AND t.at IS NOT NULL
				AND NOT EXISTS (SELECT FROM csstats.metrics_store_chats s
					WHERE s.channel_id = u.channel_id AND s.chat_id = u.id AND s.cases_settled
						AND s.metrics_as_of <= now()
						AND NOT EXISTS (SELECT FROM csstats.metrics_store_log l
							WHERE l.channel_id = s.channel_id AND l.chat_id = s.chat_id)
						AND NOT EXISTS (SELECT FROM csstats.metrics_store_log l
							WHERE l.channel_id = s.channel_id AND l.chat_id IS NULL
								AND s.last_item_at >= l.from_at))
			GROUP BY t.channel_id, t.chat_id) l
			CROSS JOIN LATERAL unnest(l.cs) k) m;
COMMENT ON VIEW csstats._bi_case_metrics IS
	'internal: case_metrics_result as of now() of every case, from the metric store where the channel has one, live otherwise';

-------------------------------------------------------------------------------
-- Chats
-------------------------------------------------------------------------------

-- The metrics of each chat are a LATERAL join from user_chats: the metric
-- store's view for a channel that has one (its stored row where exact, live
-- otherwise), the live aggregate for any other.  Per chat through the
-- (channel_id, chat_id) indexes on purpose: joined to a whole-channel pass
-- instead, a planner without fresh statistics rescanned that pass once per
-- chat (80 ms became 88 s on 300 chats).
CREATE VIEW csstats.bi_chats WITH (security_invoker = true) AS
	SELECT u.channel_id, ch.name AS channel_name, ch.timezone, u.id AS chat_id, u.user_id,
		u.state, u.medium_name, u.direction, u.priority,
		u.assignee_id, a.name AS assignee_name, u.team_id, tm.name AS team_name,
		pg_catalog.cardinality(u.tags) AS tag_count,
		u.created_at, (u.created_at AT TIME ZONE ch.timezone)::date AS created_local_day,
		m.opened_at, m.closed_at, (m.closed_at AT TIME ZONE ch.timezone)::date AS closed_local_day,
		m.first_asked_at, m.first_queued_at, m.first_opened_at, m.first_replied_at,
		m.first_replied_at_after_open,
		m.waiting_time AS waiting_time_seconds,
		m.avg_reply_time AS avg_reply_time_seconds,
		m.total_reply_time AS total_reply_time_seconds,
		m.reply_count,
		m.resolution_time AS resolution_time_seconds,
		m.operation_waiting_time AS operation_waiting_time_seconds,
		m.operation_avg_reply_time AS operation_avg_reply_time_seconds,
		m.operation_total_reply_time AS operation_total_reply_time_seconds,
		m.operation_reply_count,
		m.operation_resolution_time AS operation_resolution_time_seconds,
		m.metrics_as_of, m.from_store
	FROM csstats.user_chats u
	JOIN csstats.channels ch ON ch.id = u.channel_id
	CROSS JOIN LATERAL (
		SELECT c.first_asked_at, c.first_queued_at, c.first_opened_at, c.first_replied_at,
			c.opened_at, c.first_replied_at_after_open, c.created_at, c.waiting_time,
			c.avg_reply_time, c.total_reply_time, c.reply_count, c.resolution_time,
			c.operation_waiting_time, c.operation_avg_reply_time, c.operation_total_reply_time,
			c.operation_reply_count, c.operation_resolution_time, c.closed_at,
			c.metrics_as_of, c.from_store
		FROM csstats.chat_metrics_current c
		WHERE c.channel_id = u.channel_id AND c.chat_id = u.id
		UNION ALL
		SELECT (l.r).*, now(), false
		FROM (SELECT csstats.chat_metrics(t.channel_id, t.chat_id, t.at, t.seq, t.kind,
					t.event_id, t.item_id, now()) AS r
			FROM csstats._metrics_store_timeline t
			WHERE t.channel_id = u.channel_id AND t.chat_id = u.id AND t.at IS NOT NULL
				AND NOT EXISTS (SELECT FROM csstats.metrics_store_channels e
					WHERE e.channel_id = u.channel_id)
			GROUP BY t.channel_id, t.chat_id) l) m
	LEFT JOIN csstats.managers a ON a.channel_id = u.channel_id AND a.id = u.assignee_id
	LEFT JOIN csstats.teams tm ON tm.channel_id = u.channel_id AND tm.id = u.team_id;
COMMENT ON VIEW csstats.bi_chats IS
	'one row per chat: its current attributes with names, and the chat-level metrics (latest open period) as of now() in seconds; flat, for BI tools';
COMMENT ON COLUMN csstats.bi_chats.channel_id IS 'the channel (tenant)';
COMMENT ON COLUMN csstats.bi_chats.channel_name IS 'the channel''s name';
COMMENT ON COLUMN csstats.bi_chats.timezone IS 'the channel''s time zone: the local days are dates in it';
COMMENT ON COLUMN csstats.bi_chats.chat_id IS 'the chat (user_chats.id)';
COMMENT ON COLUMN csstats.bi_chats.user_id IS 'the customer (users.id)';
COMMENT ON COLUMN csstats.bi_chats.state IS 'the chat''s current state: queued, open, snoozed, closed or missed';
COMMENT ON COLUMN csstats.bi_chats.medium_name IS 'the contact medium (inAppChat, phoneNumber, email, ...)';
COMMENT ON COLUMN csstats.bi_chats.direction IS 'inbound or outbound';
COMMENT ON COLUMN csstats.bi_chats.priority IS 'the chat''s current priority: high, medium, low or NULL';
COMMENT ON COLUMN csstats.bi_chats.assignee_id IS 'the current assignee (managers.id); NULL when unassigned';
COMMENT ON COLUMN csstats.bi_chats.assignee_name IS 'the current assignee''s name';
COMMENT ON COLUMN csstats.bi_chats.team_id IS 'the current team (teams.id)';
COMMENT ON COLUMN csstats.bi_chats.team_name IS 'the current team''s name';
COMMENT ON COLUMN csstats.bi_chats.tag_count IS 'how many tags the chat carries now (the tags themselves: csstats.bi_chat_tags)';
COMMENT ON COLUMN csstats.bi_chats.created_at IS 'when the chat was created';
COMMENT ON COLUMN csstats.bi_chats.created_local_day IS 'created_at as a date in the channel''s time zone';
COMMENT ON COLUMN csstats.bi_chats.opened_at IS 'openedAt: the last effective opened event, the start of the latest open period';
COMMENT ON COLUMN csstats.bi_chats.closed_at IS 'closedAt: the close that ends the latest open period; NULL while the chat is not closed';
COMMENT ON COLUMN csstats.bi_chats.closed_local_day IS 'closed_at as a date in the channel''s time zone';
COMMENT ON COLUMN csstats.bi_chats.first_asked_at IS 'firstAskedAt: the first customer message (whole history)';
COMMENT ON COLUMN csstats.bi_chats.first_queued_at IS 'firstQueuedAt: the first effective queued event';
COMMENT ON COLUMN csstats.bi_chats.first_opened_at IS 'firstOpenedAt: the first effective opened event';
COMMENT ON COLUMN csstats.bi_chats.first_replied_at IS 'firstRepliedAt: the first manager reply to the first customer question (whole history)';
COMMENT ON COLUMN csstats.bi_chats.first_replied_at_after_open IS 'firstRepliedAtAfterOpen: the first reply in the latest open period';
COMMENT ON COLUMN csstats.bi_chats.waiting_time_seconds IS 'waitingTime in seconds: the first reply time of the latest open period (a question pending since before openedAt counts from openedAt)';
COMMENT ON COLUMN csstats.bi_chats.avg_reply_time_seconds IS 'avgReplyTime in seconds: total_reply_time_seconds / reply_count';
COMMENT ON COLUMN csstats.bi_chats.total_reply_time_seconds IS 'totalReplyTime in seconds: the sum of the reply times of the latest open period';
COMMENT ON COLUMN csstats.bi_chats.reply_count IS 'replyCount: replies in the latest open period';
COMMENT ON COLUMN csstats.bi_chats.resolution_time_seconds IS 'resolutionTime in seconds: closed_at - opened_at';
COMMENT ON COLUMN csstats.bi_chats.operation_waiting_time_seconds IS 'operationWaitingTime: waiting time counted in operating-hours seconds';
COMMENT ON COLUMN csstats.bi_chats.operation_avg_reply_time_seconds IS 'operationAvgReplyTime: operation_total_reply_time_seconds / operation_reply_count';
COMMENT ON COLUMN csstats.bi_chats.operation_total_reply_time_seconds IS 'operationTotalReplyTime: reply times in operating-hours seconds, of the replies sent in operating hours';
COMMENT ON COLUMN csstats.bi_chats.operation_reply_count IS 'operationReplyCount: replies sent in operating hours';
COMMENT ON COLUMN csstats.bi_chats.operation_resolution_time_seconds IS 'operationResolutionTime: resolution time in operating-hours seconds';
COMMENT ON COLUMN csstats.bi_chats.metrics_as_of IS 'the instant the metrics describe: now(), or the stamp of a stored row (equal to now() for a settled chat)';
COMMENT ON COLUMN csstats.bi_chats.from_store IS 'true when the metrics come from the metric store, false when computed live';

CREATE VIEW csstats.bi_chat_tags WITH (security_invoker = true) AS
	SELECT u.channel_id, u.id AS chat_id, g.tag, pg_catalog.split_part(g.tag, '/', 1) AS top_level_tag,
		t.id AS tag_id
	FROM csstats.user_chats u
	CROSS JOIN LATERAL unnest(u.tags) AS g(tag)
	LEFT JOIN csstats.chat_tags t ON t.channel_id = u.channel_id AND t.name = g.tag;
COMMENT ON VIEW csstats.bi_chat_tags IS
	'one row per chat and tag it carries now; join to csstats.bi_chats on (channel_id, chat_id)';
COMMENT ON COLUMN csstats.bi_chat_tags.channel_id IS 'the channel (tenant)';
COMMENT ON COLUMN csstats.bi_chat_tags.chat_id IS 'the chat (user_chats.id)';
COMMENT ON COLUMN csstats.bi_chat_tags.tag IS 'the tag''s name (''delivery/late'')';
COMMENT ON COLUMN csstats.bi_chat_tags.top_level_tag IS 'the tag''s top-level ancestor, the part before the first ''/'' (''delivery''); the tag itself for a top-level tag';
COMMENT ON COLUMN csstats.bi_chat_tags.tag_id IS 'chat_tags.id of the tag; NULL when the tag is not in chat_tags';

-------------------------------------------------------------------------------
-- Cases
-------------------------------------------------------------------------------

CREATE VIEW csstats.bi_cases WITH (security_invoker = true) AS
	SELECT k.channel_id, ch.name AS channel_name, ch.timezone, k.user_chat_id AS chat_id,
		k.user_chat_case AS case_number, k.user_chat_case_id AS case_id,
		k.user_chat_case_state AS case_state, k.user_chat_state AS chat_state,
		k.user_id, k.medium_name, k.direction, k.priority,
		k.assignee_id, a.name AS assignee_name, k.team_id, tm.name AS team_name,
		pg_catalog.cardinality(k.tags) AS tag_count,
		pg_catalog.cardinality(k.manager_ids) AS follower_count,
		k.user_chat_case_created_at AS created_at,
		(k.user_chat_case_created_at AT TIME ZONE ch.timezone)::date AS created_local_day,
		k.user_chat_case_updated_at AS updated_at,
		k.closed_at, (k.closed_at AT TIME ZONE ch.timezone)::date AS closed_local_day,
		k.first_queued_at, k.first_opened_at, k.first_asked_at, k.first_replied_at,
		k.waiting_time AS waiting_time_seconds,
		k.total_reply_time AS total_reply_time_seconds,
		k.reply_count,
		k.avg_reply_time AS avg_reply_time_seconds,
		k.resolution_time AS resolution_time_seconds,
		k.total_snoozed_time AS total_snoozed_time_seconds,
		k.lead_time AS lead_time_seconds,
		k.snoozed_count, k.missed_count,
		k.operation_waiting_time AS operation_waiting_time_seconds,
		k.operation_reply_count,
		k.operation_total_reply_time AS operation_total_reply_time_seconds,
		k.operation_avg_reply_time AS operation_avg_reply_time_seconds,
		k.operation_resolution_time AS operation_resolution_time_seconds,
		k.operation_lead_time AS operation_lead_time_seconds,
		k.profile, k.metrics_as_of, k.from_store
	FROM csstats._bi_case_metrics k
	JOIN csstats.channels ch ON ch.id = k.channel_id
	LEFT JOIN csstats.managers a ON a.channel_id = k.channel_id AND a.id = k.assignee_id
	LEFT JOIN csstats.teams tm ON tm.channel_id = k.channel_id AND tm.id = k.team_id;
COMMENT ON VIEW csstats.bi_cases IS
	'one row per case (consultation): case-level metrics as of now() in seconds and the case''s replayed attributes with names; flat, for BI tools';
COMMENT ON COLUMN csstats.bi_cases.channel_id IS 'the channel (tenant)';
COMMENT ON COLUMN csstats.bi_cases.channel_name IS 'the channel''s name';
COMMENT ON COLUMN csstats.bi_cases.timezone IS 'the channel''s time zone: the local days are dates in it';
COMMENT ON COLUMN csstats.bi_cases.chat_id IS 'the chat (user_chats.id) the case belongs to';
COMMENT ON COLUMN csstats.bi_cases.case_number IS 'userChatCase: the case''s number in its chat, from 1';
COMMENT ON COLUMN csstats.bi_cases.case_id IS 'userChatCaseId: <chat_id>-<case_number>';
COMMENT ON COLUMN csstats.bi_cases.case_state IS 'userChatCaseState: completed (the next case started, or closed an hour ago or more) or inProgress';
COMMENT ON COLUMN csstats.bi_cases.chat_state IS 'userChatState: the chat''s state at the end of the case''s record (replayed from the chat events)';
COMMENT ON COLUMN csstats.bi_cases.user_id IS 'the customer (users.id)';
COMMENT ON COLUMN csstats.bi_cases.medium_name IS 'the chat''s contact medium';
COMMENT ON COLUMN csstats.bi_cases.direction IS 'the chat''s direction: inbound or outbound';
COMMENT ON COLUMN csstats.bi_cases.priority IS 'the priority during the case (replayed)';
COMMENT ON COLUMN csstats.bi_cases.assignee_id IS 'the assignee of the case (replayed, managers.id); NULL when unassigned';
COMMENT ON COLUMN csstats.bi_cases.assignee_name IS 'the case assignee''s name';
COMMENT ON COLUMN csstats.bi_cases.team_id IS 'the team of the case (replayed, teams.id)';
COMMENT ON COLUMN csstats.bi_cases.team_name IS 'the case team''s name';
COMMENT ON COLUMN csstats.bi_cases.tag_count IS 'how many tags the case carries (replayed; the tags themselves: csstats.bi_case_tags)';
COMMENT ON COLUMN csstats.bi_cases.follower_count IS 'how many followers (managerIds) the case has (replayed)';
COMMENT ON COLUMN csstats.bi_cases.created_at IS 'userChatCaseCreatedAt: the earlier of the case''s first queued and first opened';
COMMENT ON COLUMN csstats.bi_cases.created_local_day IS 'created_at as a date in the channel''s time zone';
COMMENT ON COLUMN csstats.bi_cases.updated_at IS 'userChatCaseUpdatedAt: the last item that changed the case';
COMMENT ON COLUMN csstats.bi_cases.closed_at IS 'closedAt: the close that ends the case; NULL while it is open';
COMMENT ON COLUMN csstats.bi_cases.closed_local_day IS 'closed_at as a date in the channel''s time zone';
COMMENT ON COLUMN csstats.bi_cases.first_queued_at IS 'firstQueuedAt: the first queued event of the case';
COMMENT ON COLUMN csstats.bi_cases.first_opened_at IS 'firstOpenedAt: the first opened event of the case';
COMMENT ON COLUMN csstats.bi_cases.first_asked_at IS 'firstAskedAt: the first customer message of the case (for inbound calls first_opened_at)';
COMMENT ON COLUMN csstats.bi_cases.first_replied_at IS 'firstRepliedAt: the first reply of the case; NULL for calls';
COMMENT ON COLUMN csstats.bi_cases.waiting_time_seconds IS 'waitingTime in seconds: first_replied_at - min(first_opened_at, first_queued_at, first_asked_at); NULL for calls';
COMMENT ON COLUMN csstats.bi_cases.total_reply_time_seconds IS 'totalReplyTime in seconds: the sum of the case''s reply times';
COMMENT ON COLUMN csstats.bi_cases.reply_count IS 'replyCount: replies in the case';
COMMENT ON COLUMN csstats.bi_cases.avg_reply_time_seconds IS 'avgReplyTime in seconds: total_reply_time_seconds / reply_count';
COMMENT ON COLUMN csstats.bi_cases.resolution_time_seconds IS 'resolutionTime in seconds: closed_at - first_opened_at';
COMMENT ON COLUMN csstats.bi_cases.total_snoozed_time_seconds IS 'totalSnoozedTime in seconds: the snoozed spans inside the case';
COMMENT ON COLUMN csstats.bi_cases.lead_time_seconds IS 'leadTime in seconds: resolution_time_seconds - total_snoozed_time_seconds';
COMMENT ON COLUMN csstats.bi_cases.snoozed_count IS 'snoozedCount: effective snoozes in the case';
COMMENT ON COLUMN csstats.bi_cases.missed_count IS 'missedCount: missed events and missed meets in the case';
COMMENT ON COLUMN csstats.bi_cases.operation_waiting_time_seconds IS 'operationWaitingTime: waiting time in operating-hours seconds';
COMMENT ON COLUMN csstats.bi_cases.operation_reply_count IS 'operationReplyCount: replies sent in operating hours';
COMMENT ON COLUMN csstats.bi_cases.operation_total_reply_time_seconds IS 'operationTotalReplyTime: reply times in operating-hours seconds, of the replies sent in operating hours';
COMMENT ON COLUMN csstats.bi_cases.operation_avg_reply_time_seconds IS 'operationAvgReplyTime: operation_total_reply_time_seconds / operation_reply_count';
COMMENT ON COLUMN csstats.bi_cases.operation_resolution_time_seconds IS 'operationResolutionTime: resolution time in operating-hours seconds';
COMMENT ON COLUMN csstats.bi_cases.operation_lead_time_seconds IS 'operationLeadTime: operation_resolution_time_seconds minus the operating-hours seconds of the snoozed spans';
COMMENT ON COLUMN csstats.bi_cases.profile IS 'the chat profile during the case (replayed), a JSON object';
COMMENT ON COLUMN csstats.bi_cases.metrics_as_of IS 'the instant the metrics describe: now(), or the stamp of a stored row (equal to now() for a completed case)';
COMMENT ON COLUMN csstats.bi_cases.from_store IS 'true when the metrics come from the metric store, false when computed live';

CREATE VIEW csstats.bi_case_tags WITH (security_invoker = true) AS
	SELECT k.channel_id, k.user_chat_id AS chat_id, k.user_chat_case AS case_number,
		k.user_chat_case_id AS case_id, g.tag, pg_catalog.split_part(g.tag, '/', 1) AS top_level_tag
	FROM csstats._bi_case_metrics k
	CROSS JOIN LATERAL unnest(k.tags) AS g(tag);
COMMENT ON VIEW csstats.bi_case_tags IS
	'one row per case and tag it carried (replayed); join to csstats.bi_cases on (channel_id, chat_id, case_number)';
COMMENT ON COLUMN csstats.bi_case_tags.channel_id IS 'the channel (tenant)';
COMMENT ON COLUMN csstats.bi_case_tags.chat_id IS 'the chat the case belongs to';
COMMENT ON COLUMN csstats.bi_case_tags.case_number IS 'the case''s number in its chat, from 1';
COMMENT ON COLUMN csstats.bi_case_tags.case_id IS 'userChatCaseId: <chat_id>-<case_number>';
COMMENT ON COLUMN csstats.bi_case_tags.tag IS 'the tag''s name';
COMMENT ON COLUMN csstats.bi_case_tags.top_level_tag IS 'the tag''s top-level ancestor, the part before the first ''/''';

-------------------------------------------------------------------------------
-- Daily rollup.  Exact percentiles (percentile_cont) of the chats of one
-- channel, local day and assignee; percentiles of other groupings cannot be
-- combined from these rows: compute them over bi_chats.
-------------------------------------------------------------------------------

CREATE VIEW csstats.bi_daily WITH (security_invoker = true) AS
	SELECT c.channel_id, c.channel_name, c.created_local_day AS day, c.assignee_id, c.assignee_name,
		count(*) AS chats,
		count(*) FILTER (WHERE c.state IN ('queued', 'open', 'snoozed')) AS open_chats,
		count(c.closed_at) AS closed_chats,
		count(c.waiting_time_seconds) AS replied_chats,
		coalesce(sum(c.reply_count), 0) AS replies,
		percentile_cont(0.5) WITHIN GROUP (ORDER BY c.waiting_time_seconds) AS waiting_time_p50_seconds,
		percentile_cont(0.9) WITHIN GROUP (ORDER BY c.waiting_time_seconds) AS waiting_time_p90_seconds,
		percentile_cont(0.5) WITHIN GROUP (ORDER BY c.resolution_time_seconds) AS resolution_time_p50_seconds,
		percentile_cont(0.9) WITHIN GROUP (ORDER BY c.resolution_time_seconds) AS resolution_time_p90_seconds,
		percentile_cont(0.5) WITHIN GROUP (ORDER BY c.operation_waiting_time_seconds)
			AS operation_waiting_time_p50_seconds,
		percentile_cont(0.9) WITHIN GROUP (ORDER BY c.operation_waiting_time_seconds)
			AS operation_waiting_time_p90_seconds,
		percentile_cont(0.5) WITHIN GROUP (ORDER BY c.operation_resolution_time_seconds)
			AS operation_resolution_time_p50_seconds,
		percentile_cont(0.9) WITHIN GROUP (ORDER BY c.operation_resolution_time_seconds)
			AS operation_resolution_time_p90_seconds
	FROM csstats.bi_chats c
	GROUP BY c.channel_id, c.channel_name, c.created_local_day, c.assignee_id, c.assignee_name;
COMMENT ON VIEW csstats.bi_daily IS
	'per channel, local day of creation (the channel''s time zone) and current assignee: chat counts and exact p50/p90 of waiting and resolution time, calendar and operating-hours seconds, as of now()';
COMMENT ON COLUMN csstats.bi_daily.channel_id IS 'the channel (tenant)';
COMMENT ON COLUMN csstats.bi_daily.channel_name IS 'the channel''s name';
COMMENT ON COLUMN csstats.bi_daily.day IS 'the local day the chats were created on, in the channel''s time zone (whatever the session''s TimeZone)';
COMMENT ON COLUMN csstats.bi_daily.assignee_id IS 'the chats'' current assignee; NULL: the unassigned chats';
COMMENT ON COLUMN csstats.bi_daily.assignee_name IS 'the assignee''s name';
COMMENT ON COLUMN csstats.bi_daily.chats IS 'chats created that day';
COMMENT ON COLUMN csstats.bi_daily.open_chats IS 'of those, the chats now queued, open or snoozed';
COMMENT ON COLUMN csstats.bi_daily.closed_chats IS 'of those, the chats whose latest open period is closed (closed_at not NULL)';
COMMENT ON COLUMN csstats.bi_daily.replied_chats IS 'of those, the chats with a waiting time (replied in their latest open period): the population of the waiting-time percentiles';
COMMENT ON COLUMN csstats.bi_daily.replies IS 'the replies of those chats'' latest open periods (sum of reply_count)';
COMMENT ON COLUMN csstats.bi_daily.waiting_time_p50_seconds IS 'median waiting time (seconds, percentile_cont) of the chats that have one';
COMMENT ON COLUMN csstats.bi_daily.waiting_time_p90_seconds IS '90th percentile of the waiting time (seconds, percentile_cont)';
COMMENT ON COLUMN csstats.bi_daily.resolution_time_p50_seconds IS 'median resolution time (seconds) of the closed chats';
COMMENT ON COLUMN csstats.bi_daily.resolution_time_p90_seconds IS '90th percentile of the resolution time (seconds) of the closed chats';
COMMENT ON COLUMN csstats.bi_daily.operation_waiting_time_p50_seconds IS 'median waiting time in operating-hours seconds';
COMMENT ON COLUMN csstats.bi_daily.operation_waiting_time_p90_seconds IS '90th percentile of the waiting time in operating-hours seconds';
COMMENT ON COLUMN csstats.bi_daily.operation_resolution_time_p50_seconds IS 'median resolution time in operating-hours seconds';
COMMENT ON COLUMN csstats.bi_daily.operation_resolution_time_p90_seconds IS '90th percentile of the resolution time in operating-hours seconds';

-- == summary sheet ==
-- include_summary (last argument, default false) on the eight export
-- functions: a first "Summary" sheet (XLSX) or "Summary" key (JSON).  The
-- functions are dropped and created again with the new argument; EXECUTE
-- granted on the old ones (README's "Who may export") is granted again on the
-- new ones, kept in a transaction-local setting between the two steps.
DO $summary$
DECLARE
	grants text := '';
	r record;
BEGIN
	FOR r IN
		SELECT p.oid::regprocedure::text AS sig, a.grantee, a.is_grantable
		FROM pg_catalog.pg_proc p, pg_catalog.aclexplode(p.proacl) a
		WHERE p.pronamespace = 'csstats'::regnamespace
			AND p.proname IN ('export_chats', 'export_cases', 'export_chats_to_file', 'export_cases_to_file')
			AND a.privilege_type = 'EXECUTE' AND a.grantee <> p.proowner
		ORDER BY 1, 2
	LOOP
		-- regrole's output is already quoted where the name needs it
		grants := grants || pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO %s%s;',
			pg_catalog.regexp_replace(r.sig, '\)$', ', boolean)'),
			CASE WHEN r.grantee = 0 THEN 'PUBLIC' ELSE r.grantee::regrole::text END,
			CASE WHEN r.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);
	END LOOP;
	PERFORM pg_catalog.set_config('csstats_update.summary_grants', grants, true);
END;
$summary$;

DROP FUNCTION csstats.export_chats(text, text, timestamptz, timestamptz, text, boolean,
	text, text, jsonb, timestamptz, text);
DROP FUNCTION csstats.export_cases(text, text, timestamptz, timestamptz, text,
	text, text, jsonb, timestamptz, text);
DROP FUNCTION csstats.export_chats_to_file(text, text, text, timestamptz, timestamptz,
	text, boolean, text, text, jsonb, timestamptz, text);
DROP FUNCTION csstats.export_cases_to_file(text, text, text, timestamptz, timestamptz,
	text, text, text, jsonb, timestamptz, text);
DROP FUNCTION csstats.export_chats(boolean, text, timestamptz, timestamptz, text, boolean,
	text, text, jsonb, timestamptz, text, text);
DROP FUNCTION csstats.export_cases(boolean, text, timestamptz, timestamptz, text,
	text, text, jsonb, timestamptz, text, text);
DROP FUNCTION csstats.export_chats_to_file(boolean, text, text, timestamptz, timestamptz,
	text, boolean, text, text, jsonb, timestamptz, text, text);
DROP FUNCTION csstats.export_cases_to_file(boolean, text, text, timestamptz, timestamptz,
	text, text, text, jsonb, timestamptz, text, text);

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

CREATE FUNCTION csstats.export_chats(generate_password boolean, reason text DEFAULT NULL,
		since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL,
		format text DEFAULT 'xlsx', include_messages boolean DEFAULT false,
		channel_id text DEFAULT NULL, manager_id text DEFAULT NULL,
		filters jsonb DEFAULT '{}', as_of timestamptz DEFAULT now(),
		password_name text DEFAULT NULL, password text DEFAULT NULL, include_summary boolean DEFAULT false,
		OUT generated_password text, OUT file bytea)
	RETURNS record
	AS 'MODULE_PATHNAME', 'csstats_export_chats_generated'
	LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION csstats.export_chats(boolean, text, timestamptz, timestamptz, text, boolean,
	text, text, jsonb, timestamptz, text, text, boolean) IS
	'export_chats under a password the server generates (generate_password => true, password => NULL): returns the password and the encrypted file';

CREATE FUNCTION csstats.export_cases(generate_password boolean, reason text DEFAULT NULL,
		since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL,
		format text DEFAULT 'xlsx', channel_id text DEFAULT NULL,
		manager_id text DEFAULT NULL, filters jsonb DEFAULT '{}',
		as_of timestamptz DEFAULT now(), password_name text DEFAULT NULL,
		password text DEFAULT NULL, include_summary boolean DEFAULT false,
		OUT generated_password text, OUT file bytea)
	RETURNS record
	AS 'MODULE_PATHNAME', 'csstats_export_cases_generated'
	LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION csstats.export_cases(boolean, text, timestamptz, timestamptz, text,
	text, text, jsonb, timestamptz, text, text, boolean) IS
	'export_cases under a password the server generates (generate_password => true, password => NULL): returns the password and the encrypted file';

CREATE FUNCTION csstats.export_chats_to_file(generate_password boolean,
		filename text DEFAULT NULL, reason text DEFAULT NULL,
		since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL,
		format text DEFAULT 'xlsx', include_messages boolean DEFAULT false,
		channel_id text DEFAULT NULL, manager_id text DEFAULT NULL,
		filters jsonb DEFAULT '{}', as_of timestamptz DEFAULT now(),
		password_name text DEFAULT NULL, password text DEFAULT NULL, include_summary boolean DEFAULT false,
		OUT audit_id bigint, OUT generated_password text)
	RETURNS record
	AS 'MODULE_PATHNAME', 'csstats_export_chats_to_file_generated'
	LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION csstats.export_chats_to_file(boolean, text, text, timestamptz, timestamptz,
	text, boolean, text, text, jsonb, timestamptz, text, text, boolean) IS
	'export_chats_to_file under a password the server generates (generate_password => true, password => NULL): returns the audit id and the password';

CREATE FUNCTION csstats.export_cases_to_file(generate_password boolean,
		filename text DEFAULT NULL, reason text DEFAULT NULL,
		since timestamptz DEFAULT NULL, until timestamptz DEFAULT NULL,
		format text DEFAULT 'xlsx', channel_id text DEFAULT NULL,
		manager_id text DEFAULT NULL, filters jsonb DEFAULT '{}',
		as_of timestamptz DEFAULT now(), password_name text DEFAULT NULL,
		password text DEFAULT NULL, include_summary boolean DEFAULT false,
		OUT audit_id bigint, OUT generated_password text)
	RETURNS record
	AS 'MODULE_PATHNAME', 'csstats_export_cases_to_file_generated'
	LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION csstats.export_cases_to_file(boolean, text, text, timestamptz, timestamptz,
	text, text, text, jsonb, timestamptz, text, text, boolean) IS
	'export_cases_to_file under a password the server generates (generate_password => true, password => NULL): returns the audit id and the password';

REVOKE ALL ON FUNCTION csstats.export_chats(boolean, text, timestamptz, timestamptz, text, boolean,
	text, text, jsonb, timestamptz, text, text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION csstats.export_cases(boolean, text, timestamptz, timestamptz, text,
	text, text, jsonb, timestamptz, text, text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION csstats.export_chats_to_file(boolean, text, text, timestamptz, timestamptz,
	text, boolean, text, text, jsonb, timestamptz, text, text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION csstats.export_cases_to_file(boolean, text, text, timestamptz, timestamptz,
	text, text, text, jsonb, timestamptz, text, text, boolean) FROM PUBLIC;

-- A GRANT run by an extension script is recorded in pg_init_privs as part of
-- the extension's own ACL, and pg_dump writes out only what differs from
-- pg_init_privs: left alone, a dump of the updated database would lose these
-- grants.  So the initial privileges are put back to what the script itself
-- set (as a fresh install records them) once the grants are re-applied.
DO $summary$
DECLARE
	g text := pg_catalog.current_setting('csstats_update.summary_grants', true);
	saved jsonb;
BEGIN
	IF g IS NOT NULL AND g <> '' THEN
		SELECT pg_catalog.jsonb_object_agg(p.oid::text, ip.initprivs::text) INTO saved
		FROM pg_catalog.pg_proc p
		LEFT JOIN pg_catalog.pg_init_privs ip
			ON ip.objoid = p.oid AND ip.classoid = 'pg_catalog.pg_proc'::regclass AND ip.objsubid = 0
		WHERE p.pronamespace = 'csstats'::regnamespace
			AND p.proname IN ('export_chats', 'export_cases', 'export_chats_to_file', 'export_cases_to_file');
		EXECUTE g;
		UPDATE pg_catalog.pg_init_privs ip
		SET initprivs = (saved ->> ip.objoid::text)::aclitem[]
		WHERE ip.classoid = 'pg_catalog.pg_proc'::regclass AND ip.objsubid = 0
			AND saved ? ip.objoid::text AND saved ->> ip.objoid::text IS NOT NULL;
		DELETE FROM pg_catalog.pg_init_privs ip
		WHERE ip.classoid = 'pg_catalog.pg_proc'::regclass AND ip.objsubid = 0
			AND saved ? ip.objoid::text AND saved ->> ip.objoid::text IS NULL;
	END IF;
END;
$summary$;
