-- Passwords that never travel, and what happens to those that do:
-- the generate_password forms (84_export_generated.sql) and that every other
-- call still resolves to the plain functions; the WARNING an inline password
-- draws while the server's settings log bind parameters, and the
-- transaction-local log_parameter_max_length = 0 that keeps the parameters
-- out of the execute step's duration line; errors after the password was
-- read.  The server log itself is checked by test/suites/53_password_logs.sh.
SET client_min_messages = warning;
SET timezone = 'UTC';
INSERT INTO csstats.channels (id, name, timezone) VALUES ('xg', 'Generated passwords', 'Asia/Seoul');
INSERT INTO csstats.user_chats (channel_id, id, state, medium_name, created_at) VALUES
	('xg', 'g1', 'closed', 'inAppChat', '2025-03-01 10:00+09'),
	('xg', 'g2', 'open', 'email', '2025-03-02 11:00+09');

-- Which function a call selects, without running it: the result type of the
-- function a view over the call depends on (bytea/bigint: the plain
-- functions, record: the generate_password forms).  The two agree on every
-- shared position's type but the first, where a string or NULL prefers text
-- over boolean.
CREATE FUNCTION pg_temp.resolves_to(call text) RETURNS regtype LANGUAGE plpgsql AS $$
DECLARE
	t regtype;
BEGIN
	EXECUTE 'CREATE TEMP VIEW resolving AS SELECT 1 AS one FROM (SELECT ' || call || ') s';
	SELECT p.prorettype INTO STRICT t
	FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid JOIN pg_proc p ON p.oid = d.refobjid
	WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_proc'::regclass
		AND r.ev_class = 'resolving'::regclass;
	DROP VIEW resolving;
	RETURN t;
END
$$;
SELECT c AS call, pg_temp.resolves_to(c) AS returns FROM (VALUES
	($$csstats.export_chats('abcd1234', 'positional')$$),
	($$csstats.export_chats('abcd1234', 'mixed', channel_id => 'xg')$$),
	($$csstats.export_chats(NULL, 'null first', channel_id => 'xg')$$),
	($$csstats.export_chats('abcd1234', 'r', '2025-03-01', '2025-04-01', 'json', true, 'xg', NULL, '{}', '2030-01-01', NULL)$$),
	($$csstats.export_chats(password => 'abcd1234', reason => 'named')$$),
	($$csstats.export_chats(reason => 'stored', password_name => 'nightly')$$),
	($$csstats.export_chats()$$),
	($$csstats.export_cases('abcd1234', 'positional', '2025-03-01', '2025-04-01')$$),
	($$csstats.export_cases(password => 'abcd1234', reason => 'named')$$),
	($$csstats.export_chats_to_file('a.xlsx', 'abcd1234', 'positional')$$),
	($$csstats.export_chats_to_file(filename => 'a.xlsx', password => 'abcd1234')$$),
	($$csstats.export_cases_to_file(NULL, 'abcd1234', 'r', '2025-03-01', '2025-04-01')$$),
	($$csstats.export_chats(generate_password => true, reason => 'g')$$),
	($$csstats.export_chats(password => NULL, generate_password => true)$$),
	($$csstats.export_chats(true, 'positional', '2025-03-01', '2025-04-01')$$),
	($$csstats.export_cases(generate_password => true)$$),
	($$csstats.export_chats_to_file(generate_password => true, filename => 'a.xlsx')$$),
	($$csstats.export_cases_to_file(password => NULL, generate_password => true)$$)) v(c);
-- bind parameters of unknown type (what psycopg 3 sends for a str) too: the
-- types they get show the function chosen
PREPARE positional AS SELECT csstats.export_chats($1, $2, $3, $4, channel_id => $5);
PREPARE named AS SELECT csstats.export_chats(password => $1, reason => $2, channel_id => $3);
PREPARE generated AS SELECT * FROM csstats.export_chats(password => $1, generate_password => $2,
	reason => $3, channel_id => $4);
SELECT name, parameter_types FROM pg_prepared_statements ORDER BY name;
DEALLOCATE ALL;

-- A generated password: letters and digits, 24 of them, opens nothing else
SELECT length(generated_password) AS length, generated_password ~ '^[A-Za-z0-9]+$' AS letters_and_digits,
	substr(file, 1, 8) AS magic
FROM csstats.export_chats(password => NULL, generate_password => true, reason => 'generated',
	channel_id => 'xg');
SELECT count(DISTINCT generated_password) AS distinct_passwords
FROM generate_series(1, 3) i,
	LATERAL csstats.export_cases(generate_password => true, reason => 'generated ' || i,
		channel_id => 'xg', since => '2025-03-01', until => '2025-04-01', format => 'json') e;
-- at least csstats.min_password_length characters
SET csstats.min_password_length = 40;
SELECT length(generated_password) AS length
FROM csstats.export_chats(generate_password => true, reason => 'longer', channel_id => 'xg');
RESET csstats.min_password_length;
-- server files: the audit id and the password
SELECT audit_id > 0 AS has_audit_id, length(generated_password) AS length
FROM csstats.export_chats_to_file(generate_password => true, reason => 'generated file',
	channel_id => 'xg');
SELECT audit_id > 0 AS has_audit_id, length(generated_password) AS length
FROM csstats.export_cases_to_file(generate_password => true, reason => 'generated file',
	channel_id => 'xg', since => '2025-03-01', until => '2025-04-01');

-- generate_password must be true, and no password may be given with it
SELECT * FROM csstats.export_chats(generate_password => false, password => 'abcd1234', reason => 'r', channel_id => 'xg');
SELECT * FROM csstats.export_chats(generate_password => NULL, reason => 'r', channel_id => 'xg');
SELECT * FROM csstats.export_chats(generate_password => true, password => 'abcd1234', reason => 'r', channel_id => 'xg');
SELECT * FROM csstats.export_cases_to_file(generate_password => true, password_name => 'nightly', reason => 'r', channel_id => 'xg');
-- the plain functions name the safe routes when no password is given
SELECT csstats.export_chats(reason => 'r', channel_id => 'xg');
-- the other rules still apply to the generate_password forms
SELECT * FROM csstats.export_chats(generate_password => true, channel_id => 'xg');
SELECT * FROM csstats.export_cases(generate_password => true, reason => 'r', channel_id => 'xg');

-- An inline password while parameters are logged draws a WARNING naming the
-- settings; log_min_duration_statement also gets the execute step's
-- parameters switched off for the rest of the transaction
SET log_min_duration_statement = 0;
BEGIN;
SELECT length(csstats.export_chats(password => 'abcd1234', reason => 'inline', channel_id => 'xg')) > 0 AS exported;
SHOW log_parameter_max_length;
COMMIT;
SHOW log_parameter_max_length;
RESET log_min_duration_statement;
SET log_statement = 'all';
SET log_parameter_max_length_on_error = 64;
SELECT length(csstats.export_chats(password => 'abcd1234', reason => 'inline', channel_id => 'xg')) > 0 AS exported;
RESET log_statement;
-- the WARNING comes before any other check: a failing export is logged too
SELECT csstats.export_chats(password => 'abcd1234', reason => 'inline', channel_id => 'nope');
RESET log_parameter_max_length_on_error;
SET log_transaction_sample_rate = 0.5;
SET log_min_duration_sample = 100;
SET log_statement_sample_rate = 0.25;
SELECT length(csstats.export_chats(password => 'abcd1234', reason => 'inline', channel_id => 'xg')) > 0 AS exported;
RESET log_transaction_sample_rate;
RESET log_min_duration_sample;
RESET log_statement_sample_rate;
-- no WARNING: parameters are not logged, or no password travels
SET log_statement = 'all';
SET log_parameter_max_length = 0;
SELECT length(csstats.export_chats(password => 'abcd1234', reason => 'inline', channel_id => 'xg')) > 0 AS exported;
RESET log_parameter_max_length;
SELECT length(generated_password) AS length
FROM csstats.export_chats(generate_password => true, reason => 'generated, logged', channel_id => 'xg');
RESET log_statement;

-- Errors after the password was read (the copy is wiped with the export's
-- memory, registered before any argument is read); the session goes on
SELECT csstats.export_chats(password => 'abcd1234', reason => NULL, channel_id => 'xg');
SELECT csstats.export_chats(password => 'abcd1234', reason => 'r', format => 'csv', channel_id => 'xg');
-- a password that arrives compressed: the detoasted copy is wiped as well
CREATE TEMP TABLE long_password AS SELECT repeat('Ab1', 1000) AS p;
SELECT pg_column_compression(p) IS NOT NULL AS compressed FROM long_password;
SELECT csstats.export_chats(password => p, reason => 'r', channel_id => 'xg') FROM long_password;
SELECT csstats.export_chats(password => 'abcd1234', password_name => 'x', reason => 'r', channel_id => 'xg');
SELECT length(csstats.export_chats(password => 'abcd1234', reason => 'after errors', channel_id => 'xg')) > 0 AS exported;

-- EXECUTE is not granted to PUBLIC
SELECT p.oid::regprocedure AS function, has_function_privilege('public', p.oid, 'EXECUTE') AS public_execute
FROM pg_proc p
WHERE p.pronamespace = 'csstats'::regnamespace AND p.proname LIKE 'export\_c%'
ORDER BY 1::text;
