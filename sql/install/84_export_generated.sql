/*
 * Exports under a generated password (src/export.c): the caller never sends a
 * password, so none can reach the server log, pg_stat_activity or a client's
 * statement log.  The server makes one (24 letters and digits from
 * pg_strong_random, about 143 bits; longer if csstats.min_password_length
 * asks for more) and returns it with the file:
 *
 *   SELECT generated_password, file FROM csstats.export_chats(
 *       password => NULL, generate_password => true, reason => $1, channel_id => $2);
 *   SELECT audit_id, generated_password FROM csstats.export_cases_to_file(
 *       generate_password => true, reason => $1, channel_id => $2, since => $3, until => $4);
 *
 * Each is an overload of the function of the same name in 80_export.sql:
 * the same arguments, with generate_password (no default) in the first place
 * and password moved after password_name (accepted so that `password => NULL`
 * reads as meant; giving it, or password_name, is an error, and so is
 * generate_password => false or NULL); include_summary is the last argument
 * of both.  A call selects it only by naming generate_password or passing a
 * boolean first: every other call, positional or named, keeps resolving to
 * the plain function, since the two agree on the type of every shared
 * position but the first, where a string or NULL prefers text over boolean,
 * and the one after password_name (the plain function's include_summary,
 * this one's password), where a boolean can only be include_summary.
 *
 * One row: call them in FROM (SELECT (f(...)).* would run the export once
 * per column).  EXECUTE is revoked from PUBLIC like the plain functions'.
 */
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
