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
