#!/usr/bin/env bash
# Stored export passwords are encrypted with a server key file
# (src/password_store.c): the export named by password_name decrypts
# (msoffcrypto-tool) with the stored password, while the roles that read the
# table, pg_dump and the files of the data directory never show it; the key
# file's creation, mode and refusals; another key's clean error; a dump
# restored into another database; the 0.1.0 update of plaintext rows; and the
# documented way to keep set_export_password out of the server log.
set -euo pipefail
cd "$CSSTATS_SRC"
db=csstats_pwstore
db2=csstats_pwstore_restored
db3=csstats_pwstore_update
db4=csstats_pwstore_update_empty
exporter=pws_exporter
reader_all=pws_read_all_data
blanket=pws_blanket
pw=StoredPw52Xq9Zt
pw_hex=$(printf %s "$pw" | od -An -tx1 | tr -d ' \n')
kdir=$CSSTATS_RUN/pwstore
key=$kdir/password.key
tmp=$(mktemp -d /tmp/csstats-pwstore.XXXXXX)
pass=0 fail=0
ok() { echo "$1: ok"; pass=$((pass + 1)); }
bad() { echo "$1: FAIL ${2:-}"; fail=$((fail + 1)); }
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
# run psql, expect it to fail with a message matching the pattern
expect_error() {
    local label=$1 pattern=$2 out rc=0
    shift 2
    out=$(psql -X -q -At -v ON_ERROR_STOP=1 "$@" 2>&1) || rc=$?
    # message, DETAIL and HINT on one line, so a pattern can span them
    if [ $rc -ne 0 ] && tr '\n' ' ' <<<"$out" | grep -Eq -- "$pattern"; then ok "$label"; else bad "$label" "rc=$rc: $out"; fi
}
# a file of the server's OS user with the given mode and contents from stdin
server_file() { cat >"$1"; chown postgres:postgres "$1"; chmod "$2" "$1"; }
key_id_of() { head -c 32 "$1" | sha256sum | cut -c1-16; }
cleanup() {
    for d in $db $db2 $db3 $db4; do psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $d" 2>/dev/null || true; done
    psql -X -q -d postgres -c "DROP ROLE IF EXISTS $exporter, $reader_all, $blanket" 2>/dev/null || true
    rm -rf "$tmp" "$kdir"
}
trap cleanup EXIT
cleanup
mkdir -p "$tmp"
install -d -o postgres -g postgres -m 700 "$kdir"

# An export with password_name, as $2, decrypted with $4 (and not with a wrong one).
export_decrypts() {
    "$PY" - "$@" <<'PY'
import io, sys
sys.path.insert(0, "test/tools")
import openpyxl, psycopg2
from export_e2e import decrypt_xlsx
db, role, name, password = sys.argv[1:5]
conn = psycopg2.connect(dbname=db, user=role)
conn.autocommit = True
cur = conn.cursor()
cur.execute("SELECT csstats.export_chats(password_name => %s, reason => 'password store test', "
            "channel_id => 'demo')", (name,))
data = bytes(cur.fetchone()[0])
wb = openpyxl.load_workbook(io.BytesIO(decrypt_xlsx(data, password)), read_only=True)
assert wb.sheetnames[0] == "UserChat data", wb.sheetnames
assert wb["UserChat data"].max_row == 31, wb["UserChat data"].max_row
try:
    decrypt_xlsx(data, password + "x")
except Exception:
    pass
else:
    sys.exit("a wrong password decrypted the export")
PY
}

q -d postgres -c "CREATE DATABASE $db"
q -d postgres -c "ALTER DATABASE $db SET csstats.password_key_file = '$key'"
q -d "$db" >/dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION csstats;
SELECT count(*) FROM csstats.generate_demo('demo', 30, 5);
CREATE ROLE $exporter LOGIN;
CREATE ROLE $reader_all LOGIN IN ROLE pg_read_all_data;
CREATE ROLE $blanket LOGIN;
-- the README's grants for an exporting role, and a careless blanket grant
BEGIN;
GRANT USAGE ON SCHEMA csstats TO $exporter, $blanket;
GRANT SELECT ON ALL TABLES IN SCHEMA csstats TO $exporter;
REVOKE SELECT ON csstats.export_passwords FROM $exporter;
GRANT EXECUTE ON FUNCTION csstats.export_chats(text, text, timestamptz, timestamptz, text, boolean,
    text, text, jsonb, timestamptz, text, boolean) TO $exporter, $blanket;
COMMIT;
GRANT SELECT ON ALL TABLES IN SCHEMA csstats TO $blanket;
SQL

# --- the key file: created by the first stored password -------------------
[ ! -e "$key" ] && ok "no key file before the first password" || bad "no key file before the first password"
out=$(q -d "$db" -c "SET client_min_messages = notice" \
    -c "SELECT csstats.set_export_password('nightly', '$pw', '$exporter')" 2>&1)
grep -q "created password key file \"$key\" (key id $(key_id_of "$key"))" <<<"$out" \
    && ok "first password creates the key file (NOTICE with path and key id)" || bad "key file creation notice" "$out"
[ "$(stat -c '%a %U %s' "$key")" = "600 postgres 32" ] \
    && ok "key file: mode 0600, owned by postgres, 32 bytes" || bad "key file attributes" "$(stat -c '%a %U %s' "$key")"
row=$(q -d "$db" -F '|' -c "SELECT name, usable_by, encode(key_id, 'hex'), octet_length(password_ciphertext) FROM csstats.export_passwords")
[ "$row" = "nightly|$exporter|$(key_id_of "$key")|$((12 + ${#pw} + 16))" ] \
    && ok "row: key id = SHA-256 of the key file, nonce + ciphertext + tag" || bad "row" "$row"
q -d "$db" -c "SELECT csstats.set_export_password('second', 'Second52Password', '$exporter')" >/dev/null
[ "$(q -d "$db" -c "SELECT count(DISTINCT key_id) FROM csstats.export_passwords")" = 1 ] \
    && ok "the second password reuses the key" || bad "the second password reuses the key"
expect_error "create_password_key refuses to overwrite a key" \
    "password key file \"$key\" already exists.*key id $(key_id_of "$key")" -d "$db" -c "SELECT csstats.create_password_key()"
[ "$(stat -c '%a %U %s' "$key")" = "600 postgres 32" ] && ok "key file unchanged" || bad "key file unchanged"
made=$(q -d "$db" -c "SET csstats.password_key_file = '$kdir/made.key'" -c "SELECT csstats.create_password_key()")
[ "$made" = "$(key_id_of "$kdir/made.key")" ] && [ "$(stat -c '%a %U %s' "$kdir/made.key")" = "600 postgres 32" ] \
    && ok "create_password_key creates a key file ahead of time and returns its id" || bad "create_password_key" "$made"

# --- the stored password is the one the export uses ------------------------
if err=$(export_decrypts "$db" "$exporter" nightly "$pw" 2>&1); then
    ok "export with password_name decrypts (msoffcrypto-tool) with the stored password, not with another"
else bad "export with password_name decrypts with the stored password" "$err"; fi
expect_error "a role without usable_by's privileges may not use it" "does not exist or may not be used by role \"$blanket\"" \
    -U "$blanket" -d "$db" -c "SELECT csstats.export_chats(password_name => 'nightly', reason => 'r', channel_id => 'demo')"

# --- nobody reads the password back -----------------------------------------
no_password() { ! grep -aqi -e "$pw" -e "$pw_hex" "$@"; }
for role in $reader_all $blanket; do
    q -U "$role" -d "$db" -c "SELECT *, encode(password_ciphertext, 'escape') FROM csstats.export_passwords" >"$tmp/$role.out"
    if grep -q "^nightly|$exporter|" "$tmp/$role.out" && no_password "$tmp/$role.out"; then
        ok "$role reads the table: ciphertext only"
    else bad "$role reads the table: ciphertext only" "$(cat "$tmp/$role.out")"; fi
done
expect_error "the exporting role (README grants) cannot read the table" "permission denied for table export_passwords" \
    -U "$exporter" -d "$db" -c "SELECT * FROM csstats.export_passwords"
pg_dump -d "$db" -f "$tmp/dump.sql"
if grep -q "^COPY csstats.export_passwords " "$tmp/dump.sql" && grep -q "^nightly"$'\t'"$exporter"$'\t' "$tmp/dump.sql" \
    && no_password "$tmp/dump.sql"; then
    ok "pg_dump carries the stored passwords, encrypted only"
else bad "pg_dump carries the stored passwords, encrypted only"; fi
q -d "$db" -c "CHECKPOINT"
relfile=$CSSTATS_RUN/data/$(q -d "$db" -c "SELECT pg_relation_filepath('csstats.export_passwords')")
if [ -s "$relfile" ] && grep -aq "nightly" "$relfile" && no_password -r "$CSSTATS_RUN/data"; then
    ok "no file of the data directory (table, WAL, ...) holds the password"
else bad "no file of the data directory holds the password" "$(grep -ali -r -e "$pw" "$CSSTATS_RUN/data" | head -3)"; fi

# --- the key file is checked ------------------------------------------------
export_as_postgres() { echo "SELECT length(csstats.export_chats(password_name => 'nightly', reason => 'r', channel_id => 'demo')) > 0"; }
server_file "$kdir/loose.key" 644 <"$key"
expect_error "a key file with mode 0644 is refused" "password key file \"$kdir/loose.key\" has group or other permissions.*mode is 0644" \
    -d "$db" -c "SET csstats.password_key_file = '$kdir/loose.key'" -c "$(export_as_postgres)"
server_file "$kdir/group.key" 640 <"$key"
expect_error "a key file with mode 0640 is refused" "has group or other permissions" \
    -d "$db" -c "SET csstats.password_key_file = '$kdir/group.key'" -c "$(export_as_postgres)"
head -c 16 "$key" | server_file "$kdir/short.key" 600
expect_error "a key file of the wrong size is refused" "password key file \"$kdir/short.key\" has the wrong size.*16 bytes" \
    -d "$db" -c "SET csstats.password_key_file = '$kdir/short.key'" -c "$(export_as_postgres)"
server_file "$kdir/root.key" 600 <"$key"; chown root:root "$kdir/root.key"
expect_error "a key file of another OS user is refused" "could not open password key file \"$kdir/root.key\": Permission denied" \
    -d "$db" -c "SET csstats.password_key_file = '$kdir/root.key'" -c "$(export_as_postgres)"
expect_error "a missing key file: clear error, restore hint" "could not open password key file \"$kdir/missing.key\": No such file.*restore it from its backup" \
    -d "$db" -c "SET csstats.password_key_file = '$kdir/missing.key'" -c "$(export_as_postgres)"
[ ! -e "$kdir/missing.key" ] && ok "using a stored password never creates a key" || bad "using a stored password never creates a key"
head -c 32 /dev/urandom | server_file "$kdir/other.key" 600
expect_error "another key: clean error naming both key ids" \
    "stored password \"nightly\" was encrypted with another key \(key id $(key_id_of "$key")\).*has key id $(key_id_of "$kdir/other.key")" \
    -d "$db" -c "SET csstats.password_key_file = '$kdir/other.key'" -c "$(export_as_postgres)"
expect_error "unset setting: the error names it" "csstats.password_key_file is not set" \
    -d "$db" -c "SET csstats.password_key_file = ''" -c "$(export_as_postgres)"

# --- a dump restored into another database of the same server --------------
pg_dump -Fc -d "$db" -f "$tmp/dump.custom"
q -d postgres -c "CREATE DATABASE $db2"
q -d postgres -c "ALTER DATABASE $db2 SET csstats.password_key_file = '$key'"
pg_restore --exit-on-error -d "$db2" "$tmp/dump.custom"
if err=$(export_decrypts "$db2" "$exporter" nightly "$pw" 2>&1); then
    ok "restored database (same key file): the stored password still exports"
else bad "restored database: the stored password still exports" "$err"; fi
expect_error "restored with another key file: the clean error" "was encrypted with another key" \
    -d "$db2" -c "SET csstats.password_key_file = '$kdir/other.key'" -c "$(export_as_postgres)"
[ "$(q -d "$db2" -c "SELECT csstats.drop_export_password('nightly')")" = t ] && ok "drop_export_password" || bad "drop_export_password"
expect_error "a dropped password is gone" "stored password \"nightly\" does not exist" -d "$db2" -c "$(export_as_postgres)"

# --- set_export_password kept out of the server log -------------------------
# A failing call's statement is logged (log_min_error_statement = error); the
# README's session settings keep it out.  The first call shows the log would
# catch it.
expect_error "failing call without the settings" "password may contain only letters and digits" \
    -d "$db" -c "SELECT csstats.set_export_password('x', 'Logged Marker 52a', '$exporter')"
expect_error "failing call with logging off" "password may contain only letters and digits" \
    -d "$db" -c "SET log_statement = 'none'" -c "SET log_min_duration_statement = -1" \
    -c "SET log_min_error_statement = 'panic'" \
    -c "SELECT csstats.set_export_password('x', 'Hidden Marker 52b', '$exporter')"
if grep -q "Logged Marker 52a" "$CSSTATS_RUN/server.log" && ! grep -q "Hidden Marker 52b" "$CSSTATS_RUN/server.log"; then
    ok "with the README's settings the password stays out of the server log"
else bad "with the README's settings the password stays out of the server log"; fi
if grep -q -e "$pw" "$CSSTATS_RUN/server.log"; then bad "server log never holds the stored password"; else ok "server log never holds the stored password"; fi

# --- the 0.1.0 -> 0.2.0 update encrypts plaintext rows ----------------------
old_pw=Plain0100Secret77
q -d postgres -c "CREATE DATABASE $db3"
q -d postgres -c "ALTER DATABASE $db3 SET csstats.password_key_file = ''"
q -d "$db3" >/dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION csstats VERSION '0.1.0';
SELECT count(*) FROM csstats.generate_demo('demo', 30, 5);
GRANT USAGE ON SCHEMA csstats TO $exporter, $blanket;
GRANT SELECT ON ALL TABLES IN SCHEMA csstats TO $exporter;
REVOKE SELECT ON csstats.export_passwords FROM $exporter;
GRANT EXECUTE ON FUNCTION csstats.export_chats(text, text, timestamptz, timestamptz, text, boolean,
    text, text, jsonb, timestamptz, text) TO $exporter, $blanket;
INSERT INTO csstats.export_passwords (name, password, usable_by) VALUES ('legacy', '$old_pw', '$exporter');
SQL
# the library serves a database still on the 0.1.0 SQL (package upgraded,
# ALTER EXTENSION UPDATE not run yet): its plaintext rows keep working
if err=$(export_decrypts "$db3" "$exporter" legacy "$old_pw" 2>&1); then
    ok "before the update, the 0.1.0 row exports with the current library"
else bad "before the update, the 0.1.0 row exports with the current library" "$err"; fi
expect_error "before the update, other roles still may not use it" "does not exist or may not be used by role \"$blanket\"" \
    -U "$blanket" -d "$db3" -c "SELECT csstats.export_chats(password_name => 'legacy', reason => 'r', channel_id => 'demo')"
expect_error "update with stored passwords and no key setting fails naming it" \
    "csstats.password_key_file is not set.*holds 1 passwords" -d "$db3" -c "ALTER EXTENSION csstats UPDATE TO '0.2.0'"
[ "$(q -d "$db3" -c "SELECT extversion FROM pg_extension WHERE extname = 'csstats'")|$(q -d "$db3" -c "SELECT password FROM csstats.export_passwords")" = "0.1.0|$old_pw" ] \
    && ok "the failed update changed nothing" || bad "the failed update changed nothing"
q -d postgres -c "ALTER DATABASE $db3 SET csstats.password_key_file = '$kdir/update.key'"
out=$(q -d "$db3" -c "ALTER EXTENSION csstats UPDATE TO '0.2.0'" 2>&1) || true
if [ "$(stat -c '%a %U %s' "$kdir/update.key" 2>/dev/null)" = "600 postgres 32" ] \
    && grep -q "WARNING:  created password key file \"$kdir/update.key\" (key id $(key_id_of "$kdir/update.key"))" <<<"$out"; then
    ok "the update created the key file, with a warning naming it"
else bad "the update created the key file, with a warning naming it" "$out"; fi
row=$(q -d "$db3" -F '|' -c "SELECT name, usable_by, encode(key_id, 'hex'), octet_length(password_ciphertext) FROM csstats.export_passwords")
[ "$row" = "legacy|$exporter|$(key_id_of "$kdir/update.key")|$((12 + ${#old_pw} + 16))" ] \
    && ok "updated row: encrypted with the key file's key" || bad "updated row" "$row"
[ "$(q -d "$db3" -c "SELECT count(*) FROM pg_attribute WHERE attrelid = 'csstats.export_passwords'::regclass AND attname = 'password' AND NOT attisdropped")|$(q -d "$db3" -c "SELECT indisclustered FROM pg_index WHERE indexrelid = 'csstats.export_passwords_pkey'::regclass")" = "0|f" ] \
    && ok "updated table: no password column, not marked clustered" || bad "updated table shape"
if err=$(export_decrypts "$db3" "$exporter" legacy "$old_pw" 2>&1); then
    ok "updated row exports with the 0.1.0 password"
else bad "updated row exports with the 0.1.0 password" "$err"; fi
q -d "$db3" -c "CHECKPOINT"
relfile=$CSSTATS_RUN/data/$(q -d "$db3" -c "SELECT pg_relation_filepath('csstats.export_passwords')")
if grep -aq legacy "$relfile" && ! grep -aq "$old_pw" "$relfile"; then
    ok "the rewritten table file no longer holds the 0.1.0 plaintext"
else bad "the rewritten table file no longer holds the 0.1.0 plaintext"; fi
q -d postgres -c "CREATE DATABASE $db4"
q -d postgres -c "ALTER DATABASE $db4 SET csstats.password_key_file = ''"
if q -d "$db4" -c "SET client_min_messages = warning" -c "CREATE EXTENSION csstats VERSION '0.1.0'" \
    -c "ALTER EXTENSION csstats UPDATE TO '0.2.0'" >/dev/null 2>&1 \
    && [ "$(q -d "$db4" -c "SELECT extversion FROM pg_extension WHERE extname = 'csstats'")" = 0.2.0 ]; then
    ok "update without stored passwords needs no key setting"
else bad "update without stored passwords needs no key setting"; fi

echo "password_store: $pass passed, $fail failed"
[ $fail -eq 0 ]
