#!/usr/bin/env bash
# The drivers BI tools and applications use, end to end (docs/operations.md
# "Connection poolers and drivers"): a cluster of its own with TCP on
# 127.0.0.1:CSSTATS_PORT+5 (scram-sha-256), a generated demo channel with a
# metric store, a login role with read grants and the generated-password
# export, and pgbouncer (Debian) in transaction pooling mode on
# 127.0.0.1:CSSTATS_PORT+6 in front of it, run as the postgres user.
#   - JDBC (Debian libpostgresql-jdbc-java, javac from default-jdk-headless;
#     test/drivers/java/CsstatsJdbc.java, compiled here): the README's BI
#     queries and the flat views through PreparedStatements past
#     prepareThreshold (server-side statements reused, custom and forced
#     generic plans), driver types, an export under a generated password; then
#     the same through pgbouncer, and the named-statement pitfall of
#     transaction pooling shown to be real;
#   - node-postgres (npm pg, pg-cursor; test/drivers/node, npm ci from the
#     committed lock file): the views, an export with bind parameters, a sheet
#     streamed with pg-cursor; directly and through pgbouncer;
#   - psycopg 3 (test/drivers/psycopg_check.py): the same views and queries
#     as automatically prepared statements directly, with prepare_threshold
#     None through pgbouncer, and an export each;
#   - every exported file is decrypted by msoffcrypto-tool with its generated
#     password and read by openpyxl (test/drivers/verify_export.py).
set -euo pipefail
cd "$CSSTATS_SRC"
. test/lib/common.sh   # csstats_deps
base=${CSSTATS_PORT:-55432}
port=$((base + 5)) bport=$((base + 6))
dir=$(mktemp -d /tmp/csstats-drivers.XXXXXX)
chmod 755 "$dir"
db=csstats_drivers
channel=drv
user=drv_bi
pw=Drv$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
jar=/usr/share/java/postgresql.jar

cleanup() {
    if [ -f "$dir/pgbouncer.pid" ]; then kill "$(cat "$dir/pgbouncer.pid")" 2>/dev/null || true; fi
    if [ -f "$dir/data/postmaster.pid" ]; then
        runuser -u postgres -- "$PGBIN/pg_ctl" -D "$dir/data" -m immediate -w -s stop >/dev/null 2>&1 || true
    fi
    [ "${KEEP_CLUSTER:-0}" = 1 ] && { echo "drivers cluster kept in $dir"; return 0; }
    rm -rf "$dir"
}
trap cleanup EXIT

pass=0 fail=0
ok() { echo "$1: ok"; pass=$((pass + 1)); }
bad() { echo "$1: FAIL ${2:-}"; fail=$((fail + 1)); }
step() {  # step NAME CMD...: the command's output, then ok or FAIL
    local name=$1; shift
    if "$@"; then ok "$name"; else bad "$name"; fi
}

# node-postgres needs node and npm; the Debian ones only where there is none
# (csstats_deps refreshes the package lists first, as on a fresh machine)
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    csstats_deps nodejs npm
fi
for tool in java javac node npm /usr/sbin/pgbouncer "$jar"; do
    command -v "$tool" >/dev/null || [ -e "$tool" ] || { echo "drivers: $tool is missing"; exit 1; }
done

# --- the server: TCP with passwords, the extension, data -------------------
mkdir -p "$dir/export" "$dir/out" && chown -R postgres:postgres "$dir" && chmod 700 "$dir/export"
chmod 777 "$dir/out"
runuser -u postgres -- "$PGBIN/initdb" -N -A trust -U postgres -E UTF8 --locale=C.UTF-8 \
    -D "$dir/data" >"$dir/initdb.log"
cat >>"$dir/data/postgresql.conf" <<CONF
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
csstats.export_directory = '$dir/export'
csstats.password_key_file = '$dir/password.key'
max_worker_processes = 16
fsync = off
synchronous_commit = off
timezone = 'UTC'
log_min_messages = warning
CONF
cat >"$dir/data/pg_hba.conf" <<HBA
local   all  all                  trust
host    all  all  127.0.0.1/32    scram-sha-256
HBA
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -s start
q() { psql -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U postgres "$@"; }
q -d postgres -c "CREATE DATABASE $db"
q -d "$db" <<SQL >/dev/null
SET client_min_messages = warning;
CREATE EXTENSION csstats;
SELECT count(*) FROM csstats.generate_demo('$channel', 300, 7);
SELECT csstats.enable_metrics_store('$channel');
SELECT count(*) FROM csstats.refresh_metrics('$channel');
ANALYZE;
CREATE ROLE $user LOGIN PASSWORD '$pw';
GRANT USAGE ON SCHEMA csstats TO $user;
GRANT SELECT ON ALL TABLES IN SCHEMA csstats TO $user;
GRANT EXECUTE ON FUNCTION csstats.export_chats(boolean, text, timestamptz, timestamptz, text,
    boolean, text, text, jsonb, timestamptz, text, text, boolean) TO $user;
SQL

# --- pgbouncer, transaction pooling, as the postgres user --------------------
# drivers: two server connections, so that consecutive transactions of one
# client may land on different backends; drivers_one: a single one, where the
# named-statement pitfall is deterministic.
printf '"%s" "%s"\n' "$user" "$pw" >"$dir/userlist.txt"
cat >"$dir/pgbouncer.ini" <<INI
[databases]
$db = host=$dir port=$port dbname=$db pool_size=2
${db}_one = host=$dir port=$port dbname=$db pool_size=1

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $bport
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $dir/userlist.txt
pool_mode = transaction
max_client_conn = 50
; the JDBC driver sends extra_float_digits in its startup packet
ignore_startup_parameters = extra_float_digits
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
INI
chown postgres:postgres "$dir/userlist.txt" "$dir/pgbouncer.ini"
chmod 600 "$dir/userlist.txt"
runuser -u postgres -- /usr/sbin/pgbouncer -d -q "$dir/pgbouncer.ini"
for _ in $(seq 50); do [ -f "$dir/pgbouncer.pid" ] && break; sleep 0.1; done
[ -f "$dir/pgbouncer.pid" ] && ok "pgbouncer $(/usr/sbin/pgbouncer --version | head -1 | cut -d' ' -f2) started (transaction pooling, port $bport)" \
    || { bad "pgbouncer started"; cat "$dir/pgbouncer.log"; exit 1; }

# --- JDBC ---------------------------------------------------------------------
javac -d "$dir/java" -cp "$jar" test/drivers/java/CsstatsJdbc.java
ok "CsstatsJdbc.java compiled ($(javac -version 2>&1))"
jrun() { java -cp "$jar:$dir/java" CsstatsJdbc "$@"; }
direct="jdbc:postgresql://127.0.0.1:$port/$db"
pooled="jdbc:postgresql://127.0.0.1:$bport/$db?prepareThreshold=0"
step "JDBC direct: README queries and flat views past prepareThreshold, types, export" \
    jrun direct "$direct" "$user" "$pw" "$channel" "$dir/out"
step "JDBC through pgbouncer (transaction pooling, prepareThreshold=0): the same, export" \
    jrun pooled "$pooled" "$user" "$pw" "$channel" "$dir/out"
step "JDBC through pgbouncer with server-side statements (prepareThreshold=1): two clients on one server connection collide, as docs/operations.md says" \
    jrun pitfall "jdbc:postgresql://127.0.0.1:$bport/${db}_one?prepareThreshold=1" "$user" "$pw" "$channel" "$dir/out"

# --- node-postgres --------------------------------------------------------------
cp test/drivers/node/package.json test/drivers/node/package-lock.json test/drivers/node/drivers.js "$dir/"
if (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >"$dir/npm.log" 2>&1); then
    ok "npm ci: pg $(node -p "require('$dir/node_modules/pg/package.json').version"), pg-cursor $(node -p "require('$dir/node_modules/pg-cursor/package.json').version")"
else
    bad "npm ci" "$(tail -5 "$dir/npm.log")"
fi
step "node-postgres direct: views, export with bind parameters, pg-cursor stream" \
    node "$dir/drivers.js" direct "postgresql://$user:$pw@127.0.0.1:$port/$db" "$channel" "$dir/out"
step "node-postgres through pgbouncer: the same" \
    node "$dir/drivers.js" pooled "postgresql://$user:$pw@127.0.0.1:$bport/$db" "$channel" "$dir/out"

# --- psycopg 3 -----------------------------------------------------------------
step "psycopg direct: views and queries as reused prepared statements, export" \
    "$PY" test/drivers/psycopg_check.py direct "host=127.0.0.1 port=$port dbname=$db user=$user password=$pw" "$channel" "$dir/out"
step "psycopg through pgbouncer (prepare_threshold=None): the same" \
    "$PY" test/drivers/psycopg_check.py pooled "host=127.0.0.1 port=$bport dbname=$db user=$user password=$pw" "$channel" "$dir/out"

# --- the files, opened by independent tools -----------------------------------
files=("$dir"/out/*.xlsx)
step "${#files[@]} exported files decrypted by msoffcrypto-tool with their generated passwords, read by openpyxl" \
    "$PY" test/drivers/verify_export.py "host=$dir port=$port dbname=$db user=postgres" "$channel" \
        "2025-03-01 00:00+09" "2025-05-01 00:00+09" "${files[@]}"
[ ${#files[@]} -eq 6 ] && ok "6 exports written (JDBC, node-postgres, psycopg; direct and through pgbouncer)" \
    || bad "exports written" "${#files[@]}"
n=$(q -At -d "$db" -c "SELECT count(*) FROM csstats.export_audit
    WHERE reason LIKE 'drivers suite:%' AND outcome = 'delivered' AND \"session_user\" = '$user'" 2>/dev/null || echo "?")
[ "$n" = 6 ] && ok "6 delivered audit rows, one per export" || bad "audit rows" "$n"
# the passwords never reach the server log
if grep -qF "$(cat "$dir"/out/jdbc-direct.password)" "$dir/server.log" "$dir/pgbouncer.log"; then
    bad "generated password not in the server or pgbouncer log"
else
    ok "generated password not in the server or pgbouncer log"
fi

echo "drivers: $pass passed, $fail failed"
[ $fail -eq 0 ]
