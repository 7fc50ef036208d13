# Shard clusters for the scale-out suite and benchmark (router/,
# docs/scale_out.md).  Source after common.sh.
#
#   router_make_ca ROOT                  a CA and a server certificate for 127.0.0.1 in ROOT
#   router_start_shard ROOT NAME PORT    a shard cluster in ROOT/NAME: TLS-only TCP on
#                                        127.0.0.1:PORT, database csstats with the extension,
#                                        the router role (password $RT_ROUTER_PASSWORD) and
#                                        a direct client rt_shard_user ($RT_SHARD_USER_PASSWORD)
#   router_stop_shard ROOT NAME          stop it (immediate)

router_make_ca() {
    local root=$1
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=csstats test CA" \
        -keyout "$root/ca.key" -out "$root/ca.crt" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
        -keyout "$root/server.key" -out "$root/server.csr" 2>/dev/null
    printf 'subjectAltName = IP:127.0.0.1\n' >"$root/san.ext"
    openssl x509 -req -in "$root/server.csr" -CA "$root/ca.crt" -CAkey "$root/ca.key" \
        -CAcreateserial -days 2 -extfile "$root/san.ext" -out "$root/server.crt" 2>/dev/null
    chown postgres:postgres "$root"/server.* "$root/ca.crt"
    chmod 600 "$root/server.key" "$root/ca.key"
}

router_stop_shard() {
    [ -f "$1/$2/data/postmaster.pid" ] || return 0
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$1/$2/data" -m immediate -w -s stop >/dev/null 2>&1 || true
}

router_start_shard() {
    local root=$1 dir=$1/$2 port=$3
    mkdir -p "$dir/export" && chown -R postgres:postgres "$dir" && chmod 700 "$dir/export"
    runuser -u postgres -- "$PGBIN/initdb" -N -A trust -U postgres -E UTF8 --locale=C.UTF-8 \
        -D "$dir/data" >"$dir/initdb.log"
    cat >>"$dir/data/postgresql.conf" <<CONF
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
ssl = on
ssl_cert_file = '$root/server.crt'
ssl_key_file = '$root/server.key'
csstats.export_directory = '$dir/export'
csstats.password_key_file = '$dir/password.key'
max_worker_processes = 16
fsync = off
synchronous_commit = off
timezone = 'UTC'
log_connections = on
log_min_messages = warning
CONF
    # Over TCP only TLS, and only with a password: the router's and a direct
    # client's; unix sockets stay trust for the test's own setup.
    cat >"$dir/data/pg_hba.conf" <<HBA
local   all  all                  trust
hostssl all  all  127.0.0.1/32    scram-sha-256
host    all  all  127.0.0.1/32    reject
HBA
    runuser -u postgres -- "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -s start
    local q=(psql -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U postgres)
    "${q[@]}" -d postgres -c "CREATE DATABASE csstats"
    # The router role (docs/scale_out.md lists these grants) and a direct
    # client of the shard with the README's exporter grants, which must not
    # reach the router's entry point.  The passwords are set before the
    # logging below is turned on.
    "${q[@]}" -d csstats <<SQL
SET client_min_messages = warning;
CREATE EXTENSION csstats;
CREATE ROLE csstats_router LOGIN PASSWORD '$RT_ROUTER_PASSWORD';
GRANT USAGE ON SCHEMA csstats TO csstats_router;
GRANT SELECT ON ALL TABLES IN SCHEMA csstats TO csstats_router;
GRANT INSERT ON csstats.shard_export_links TO csstats_router;
GRANT EXECUTE ON FUNCTION
    csstats.shard_export(text, text, text, uuid, boolean, text, text, timestamptz, timestamptz,
        text, boolean, text, text, jsonb, timestamptz, text, boolean),
    csstats.export_chats(text, text, timestamptz, timestamptz, text, boolean, text, text, jsonb, timestamptz, text, boolean),
    csstats.export_cases(text, text, timestamptz, timestamptz, text, text, text, jsonb, timestamptz, text, boolean),
    csstats.export_chats(boolean, text, timestamptz, timestamptz, text, boolean, text, text, jsonb, timestamptz, text, text, boolean),
    csstats.export_cases(boolean, text, timestamptz, timestamptz, text, text, text, jsonb, timestamptz, text, text, boolean),
    csstats.shard_export_to_file(text, text, text, uuid, boolean, text, text, text, timestamptz,
        timestamptz, text, boolean, text, text, jsonb, timestamptz, text, boolean),
    csstats.export_chats_to_file(text, text, text, timestamptz, timestamptz, text, boolean, text, text, jsonb, timestamptz, text, boolean),
    csstats.export_cases_to_file(text, text, text, timestamptz, timestamptz, text, text, text, jsonb, timestamptz, text, boolean),
    csstats.export_chats_to_file(boolean, text, text, timestamptz, timestamptz, text, boolean, text, text, jsonb, timestamptz, text, text, boolean),
    csstats.export_cases_to_file(boolean, text, text, timestamptz, timestamptz, text, text, text, jsonb, timestamptz, text, text, boolean)
    TO csstats_router;
-- the coordinator's stored-password and file-export users, as roles of the
-- same name: no login, the export functions (and pg_write_server_files),
-- granted to the router role, which runs a password_name or file export as
-- the caller's role (usable_by and pg_write_server_files are the caller's)
CREATE ROLE rt_exporter NOLOGIN;
CREATE ROLE rt_exporter2 NOLOGIN;
GRANT USAGE ON SCHEMA csstats TO rt_exporter, rt_exporter2;
GRANT SELECT ON ALL TABLES IN SCHEMA csstats TO rt_exporter, rt_exporter2;
GRANT EXECUTE ON FUNCTION
    csstats.export_chats(text, text, timestamptz, timestamptz, text, boolean, text, text, jsonb, timestamptz, text, boolean),
    csstats.export_cases(text, text, timestamptz, timestamptz, text, text, text, jsonb, timestamptz, text, boolean),
    csstats.export_chats(boolean, text, timestamptz, timestamptz, text, boolean, text, text, jsonb, timestamptz, text, text, boolean),
    csstats.export_cases(boolean, text, timestamptz, timestamptz, text, text, text, jsonb, timestamptz, text, text, boolean),
    csstats.export_chats_to_file(text, text, text, timestamptz, timestamptz, text, boolean, text, text, jsonb, timestamptz, text, boolean),
    csstats.export_cases_to_file(text, text, text, timestamptz, timestamptz, text, text, text, jsonb, timestamptz, text, boolean),
    csstats.export_chats_to_file(boolean, text, text, timestamptz, timestamptz, text, boolean, text, text, jsonb, timestamptz, text, text, boolean),
    csstats.export_cases_to_file(boolean, text, text, timestamptz, timestamptz, text, text, text, jsonb, timestamptz, text, text, boolean)
    TO rt_exporter, rt_exporter2;
GRANT pg_write_server_files TO rt_exporter, rt_exporter2;
GRANT rt_exporter, rt_exporter2 TO csstats_router;
-- the router role may SET ROLE to them but inherits none of their privileges
ALTER ROLE csstats_router NOINHERIT;
\o /dev/null
SELECT csstats.set_export_password('rt_nightly', '$RT_STORED_PASSWORD', 'rt_exporter');
\o
CREATE ROLE rt_shard_user LOGIN PASSWORD '$RT_SHARD_USER_PASSWORD';
GRANT USAGE ON SCHEMA csstats TO rt_shard_user;
GRANT SELECT ON ALL TABLES IN SCHEMA csstats TO rt_shard_user;
GRANT EXECUTE ON FUNCTION
    csstats.export_chats(text, text, timestamptz, timestamptz, text, boolean, text, text, jsonb, timestamptz, text, boolean)
    TO rt_shard_user;
-- every statement of the router role logged (the password-log checks of
-- issue 11), but never a parameter value: the router passes a caller's
-- export password on as one (docs/scale_out.md)
ALTER ROLE csstats_router SET log_statement = 'all';
ALTER ROLE csstats_router SET log_min_duration_statement = 0;
ALTER ROLE csstats_router SET log_parameter_max_length = 0;
SQL
}
