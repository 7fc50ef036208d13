/*
 * Stored export passwords (src/password_store.c): a scheduled job passes
 * password_name => 'nightly' instead of a password, so cron.job.command never
 * holds it.  Only a role with the privileges of the row's usable_by may use a
 * row; no role reads the password from the table: it is stored encrypted
 * (AES-256-GCM, the row's name as associated data) with a key the database
 * does not hold, 32 random bytes in the server file named by the superuser
 * setting csstats.password_key_file (outside the data directory, mode 0600,
 * created when the first password is stored or by create_password_key()).
 * pg_read_all_data, a blanket GRANT SELECT and pg_dump see ciphertext only;
 * a dump restored on another server needs a copy of the key file.
 *
 *   csstats.set_export_password(name, password, usable_by)  store or replace
 *   csstats.drop_export_password(name) -> boolean
 *   csstats.create_password_key() -> text (key id)
 *
 * The password argument is part of the caller's statement: run
 * set_export_password with statement logging off (SET log_statement = 'none')
 * or pass the password as a bind parameter (psql: \prompt, then \bind).
 */
CREATE TABLE csstats.export_passwords (
	name text PRIMARY KEY,
	usable_by name NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	password_ciphertext bytea NOT NULL
		CONSTRAINT export_passwords_ciphertext_length
		CHECK (octet_length(password_ciphertext) BETWEEN 29 AND 283),
	key_id bytea NOT NULL
		CONSTRAINT export_passwords_key_id_length CHECK (octet_length(key_id) = 8)
);
COMMENT ON TABLE csstats.export_passwords IS
	'stored export passwords, referred to by password_name (for scheduled jobs); only usable by roles with the privileges of usable_by; encrypted with the key in csstats.password_key_file; managed with csstats.set_export_password and csstats.drop_export_password';
COMMENT ON COLUMN csstats.export_passwords.created_at IS 'when the password was stored (set_export_password)';
COMMENT ON COLUMN csstats.export_passwords.password_ciphertext IS
	'12-byte nonce, AES-256-GCM ciphertext of the password, 16-byte tag; the name is the associated data';
COMMENT ON COLUMN csstats.export_passwords.key_id IS
	'first 8 bytes of the SHA-256 of the key that encrypted the row (the key file''s key id)';

REVOKE ALL ON csstats.export_passwords FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('csstats.export_passwords', '');

-- Not STRICT: a NULL argument gets a clear error.  Superusers and the
-- extension's owner only (checked inside too, in case EXECUTE gets granted).
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
