#!/usr/bin/env bash
# Scale out by channel (router/, docs/scale_out.md): a coordinator database
# with csstats_router in the test cluster, two shard clusters of their own
# (separate pg_ctl clusters, ports CSSTATS_PORT+1 and +2, sockets in their
# directories, TCP on 127.0.0.1 with TLS only: hostssl, a CA and a server
# certificate made here with openssl, the router connecting with
# sslmode=verify-full), three channels over both shards, and a single-node
# reference database holding all three channels with the same data.
# test/tools/router_check.py then compares every proxied function and both
# exports with the single node, checks permissions, the forged caller, an
# unknown channel, a shard that is down, the audit rows on both sides, TLS
# (pg_stat_ssl on the shard) and the server logs for passwords.
set -euo pipefail
cd "$CSSTATS_SRC"
. test/lib/router.sh
coord=csstats_router_coord
ref=csstats_router_ref
root=$(mktemp -d /tmp/csstats-router.XXXXXX)
chmod 755 "$root"
base=${CSSTATS_PORT:-55432}
export RT_ROOT=$root RT_COORD=$coord RT_REF=$ref
export RT_SHARD1_PORT=$((base + 1)) RT_SHARD2_PORT=$((base + 2))
# Passwords of the test roles: random, so that a log grep finds nothing by chance.
RT_ROUTER_PASSWORD=$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
RT_SHARD_USER_PASSWORD=$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
RT_STORED_PASSWORD=Stored$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
export RT_ROUTER_PASSWORD RT_SHARD_USER_PASSWORD RT_STORED_PASSWORD

cleanup() {
    router_stop_shard "$root" shard1
    router_stop_shard "$root" shard2
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $coord" -c "DROP DATABASE IF EXISTS $ref" 2>/dev/null || true
    for r in rt_exporter rt_exporter2 rt_stranger rt_reader rt_nobody; do
        psql -X -q -d postgres -c "DROP ROLE IF EXISTS $r" 2>/dev/null || true
    done
    [ "${KEEP_CLUSTER:-0}" = 1 ] && { echo "router clusters kept in $root"; return 0; }
    rm -rf "$root"
}
trap cleanup EXIT

# --- a CA, two shard clusters (test/lib/router.sh) ----------------------------
router_make_ca "$root"
router_start_shard "$root" shard1 "$RT_SHARD1_PORT"
router_start_shard "$root" shard2 "$RT_SHARD2_PORT"
rt_shard() { psql -X -q -v ON_ERROR_STOP=1 -h "$root/$1" -p "$2" -U postgres -d csstats "${@:3}"; }
# c1 and c2 on shard1, c3 on shard2; the reference holds all three
rt_shard shard1 "$RT_SHARD1_PORT" -c "SELECT count(*) FROM csstats.generate_demo('rt_c1', 400, 11)" \
    -c "SELECT count(*) FROM csstats.generate_demo('rt_c2', 300, 12)" >/dev/null
rt_shard shard2 "$RT_SHARD2_PORT" -c "SELECT count(*) FROM csstats.generate_demo('rt_c3', 350, 13)" >/dev/null

# --- the single-node reference and the coordinator ---------------------------
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $ref" -c "DROP DATABASE IF EXISTS $coord" \
    -c "CREATE DATABASE $ref" -c "CREATE DATABASE $coord" 2>/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d "$ref" -c "SET client_min_messages = warning; CREATE EXTENSION csstats" \
    -c "SELECT count(*) FROM csstats.generate_demo('rt_c1', 400, 11)" \
    -c "SELECT count(*) FROM csstats.generate_demo('rt_c2', 300, 12)" \
    -c "SELECT count(*) FROM csstats.generate_demo('rt_c3', 350, 13)" >/dev/null
tls="sslmode=verify-full sslrootcert=$root/ca.crt connect_timeout=5"
psql -X -q -v ON_ERROR_STOP=1 -d "$coord" >/dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION csstats_router CASCADE;
SELECT csstats.router_add_shard('shard1', 'host=127.0.0.1 port=$RT_SHARD1_PORT dbname=csstats $tls');
SELECT csstats.router_add_shard('shard2', 'host=127.0.0.1 port=$RT_SHARD2_PORT dbname=csstats $tls');
CREATE USER MAPPING FOR CURRENT_USER SERVER csstats_shards
    OPTIONS (user 'csstats_router', password '$RT_ROUTER_PASSWORD');
CREATE USER MAPPING FOR CURRENT_USER SERVER csstats_router_self OPTIONS (user 'postgres');
SELECT csstats.router_configure_audit('host=$PGHOST port=$PGPORT dbname=$coord');
SELECT csstats.router_place_channel('rt_c1', 'shard1');
SELECT csstats.router_place_channel('rt_c2', 'shard1');
SELECT csstats.router_place_channel('rt_c3', 'shard2');
-- the coordinator's roles: an exporter, a reader (sheets only), nobody
DROP ROLE IF EXISTS rt_exporter;
DROP ROLE IF EXISTS rt_reader;
DROP ROLE IF EXISTS rt_nobody;
DROP ROLE IF EXISTS rt_exporter2;
DROP ROLE IF EXISTS rt_stranger;
CREATE ROLE rt_exporter LOGIN;
CREATE ROLE rt_exporter2 LOGIN;
CREATE ROLE rt_stranger LOGIN;
CREATE ROLE rt_reader LOGIN;
CREATE ROLE rt_nobody LOGIN;
GRANT USAGE ON SCHEMA csstats TO rt_exporter, rt_exporter2, rt_stranger, rt_reader, rt_nobody;
SELECT format('GRANT EXECUTE ON FUNCTION %s TO rt_reader, rt_exporter', p.oid::regprocedure)
FROM pg_proc p WHERE p.pronamespace = 'csstats'::regnamespace AND p.proname !~ '^(_|router_|export_|verify_)'
\gexec
SELECT format('GRANT EXECUTE ON FUNCTION %s TO rt_exporter', p.oid::regprocedure)
FROM pg_proc p WHERE p.pronamespace = 'csstats'::regnamespace AND p.proname IN ('export_chats', 'export_cases')
\gexec
-- two more exporters for the stored-password checks: rt_exporter2 has a
-- role on the shards but may not use rt_exporter's password, rt_stranger
-- has none there
SELECT format('GRANT EXECUTE ON FUNCTION %s TO rt_exporter2, rt_stranger', p.oid::regprocedure)
FROM pg_proc p WHERE p.pronamespace = 'csstats'::regnamespace
    AND p.proname IN ('export_chats', 'export_cases', 'export_chats_to_file', 'export_cases_to_file')
\gexec
SELECT format('GRANT EXECUTE ON FUNCTION %s TO rt_exporter', p.oid::regprocedure)
FROM pg_proc p WHERE p.pronamespace = 'csstats'::regnamespace AND p.proname IN ('export_chats_to_file', 'export_cases_to_file')
\gexec
-- the settings of the password-log checks (issue 11), for the exporter
ALTER ROLE rt_exporter SET log_statement = 'all';
ALTER ROLE rt_exporter SET log_min_duration_statement = 0;
SQL

rc=0
"$PY" test/tools/router_check.py || rc=$?
exit $rc
