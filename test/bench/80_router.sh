#!/usr/bin/env bash
# Scale out (router/, docs/scale_out.md): two shard clusters (TLS over
# 127.0.0.1, test/lib/router.sh) and a coordinator database in the bench
# cluster.  Shard 1 holds channel S (the S data set: 10,000 chats), shard 2
# channel T (10,000 chats, another seed); the bench database gets T too, so
# that it is the single node holding all the data.
#  - export_chats of S (XLSX with messages, bytea) through the coordinator vs
#    the same call on its shard directly (target <= 1.1x), and the peak memory
#    of the coordinator's backend (PL/Proxy holds the whole file there);
#  - daily_summary over both shards (ON ALL, in parallel) vs one node holding
#    S and T;
#  - the per-call cost of the coordinator: a one-row sheet through it vs on
#    the shard.
set -euo pipefail
. "$CSSTATS_SRC/test/lib/router.sh"
root=$(mktemp -d /tmp/csstats-bench-router.XXXXXX)
chmod 755 "$root"
base=${PGPORT:-55450}
export RB_ROOT=$root RB_SHARD1_PORT=$((base + 1)) RB_SHARD2_PORT=$((base + 2))
RT_ROUTER_PASSWORD=$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
RT_SHARD_USER_PASSWORD=$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
export RT_ROUTER_PASSWORD RT_SHARD_USER_PASSWORD
cleanup() {
    router_stop_shard "$root" shard1
    router_stop_shard "$root" shard2
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS bench_coord" 2>/dev/null || true
    rm -rf "$root"
}
trap cleanup EXIT
router_make_ca "$root"
router_start_shard "$root" shard1 "$RB_SHARD1_PORT"
router_start_shard "$root" shard2 "$RB_SHARD2_PORT"
shard_sql() { psql -X -q -v ON_ERROR_STOP=1 -h "$root/$1" -p "$2" -U postgres -d csstats "${@:3}"; }
# the statement logging of the tests is not part of the benchmark
for s in "shard1 $RB_SHARD1_PORT" "shard2 $RB_SHARD2_PORT"; do
    # shellcheck disable=SC2086
    shard_sql $s -c "ALTER ROLE csstats_router RESET log_statement" \
        -c "ALTER ROLE csstats_router RESET log_min_duration_statement"
done
shard_sql shard1 "$RB_SHARD1_PORT" -c "SELECT count(*) FROM csstats.generate_demo('S', 10000, 1)" -c "VACUUM ANALYZE" >/dev/null
shard_sql shard2 "$RB_SHARD2_PORT" -c "SELECT count(*) FROM csstats.generate_demo('T', 10000, 2)" -c "VACUUM ANALYZE" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d bench -c "SELECT count(*) FROM csstats.generate_demo('T', 10000, 2)" -c "VACUUM ANALYZE" >/dev/null
tls="sslmode=verify-full sslrootcert=$root/ca.crt"
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS bench_coord" -c "CREATE DATABASE bench_coord" 2>/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d bench_coord >/dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION csstats_router CASCADE;
SELECT csstats.router_add_shard('shard1', 'host=127.0.0.1 port=$RB_SHARD1_PORT dbname=csstats $tls');
SELECT csstats.router_add_shard('shard2', 'host=127.0.0.1 port=$RB_SHARD2_PORT dbname=csstats $tls');
CREATE USER MAPPING FOR CURRENT_USER SERVER csstats_shards
    OPTIONS (user 'csstats_router', password '$RT_ROUTER_PASSWORD');
CREATE USER MAPPING FOR CURRENT_USER SERVER csstats_router_self OPTIONS (user 'postgres');
SELECT csstats.router_configure_audit('host=$PGHOST port=$PGPORT dbname=bench_coord');
SELECT csstats.router_place_channel('S', 'shard1');
SELECT csstats.router_place_channel('T', 'shard2');
SQL

"$PY" - <<'PY'
import os
import statistics
import time

import psycopg2

import benchlib as b

root = os.environ["RB_ROOT"]
EXPORT = """SELECT octet_length(csstats.export_chats(password => 'BenchPassw0rd', reason => 'benchmark',
            channel_id => 'S', include_messages => true, as_of => '2025-07-01'))"""
SUMMARY = "SELECT count(*) FROM csstats.daily_summary('2024-01-01', '2026-01-01', '2025-07-01')"
SMALL = "SELECT count(*) FROM csstats.bot_sheet('S')"


def timed(conn, sql, runs=5, warmup=1):
    times = []
    with conn.cursor() as cur:
        for i in range(warmup + runs):
            t0 = time.perf_counter()
            cur.execute(sql)
            cur.fetchall()
            if i >= warmup:
                times.append(time.perf_counter() - t0)
    return statistics.median(times)


def shard_conn(name):
    port = int(os.environ["RB_SHARD1_PORT" if name == "shard1" else "RB_SHARD2_PORT"])
    c = psycopg2.connect(host=os.path.join(root, name), port=port, dbname="csstats", user="postgres")
    c.autocommit = True
    return c


shard = shard_conn("shard1")
coord = b.connect("bench_coord")
t_direct = timed(shard, EXPORT)
b.emit("router: export S on its shard", t_direct, peak_kb=b.backend_peak_kb(shard))
coord_fresh = b.connect("bench_coord")
with coord_fresh.cursor() as cur:
    cur.execute("SELECT 1")
rss0 = b.backend_peak_kb(coord_fresh)
t_coord = timed(coord_fresh, EXPORT)
peak = b.backend_peak_kb(coord_fresh)
with coord_fresh.cursor() as cur:
    cur.execute(EXPORT)
    size = cur.fetchone()[0]
b.emit("router: export S through the coordinator", t_coord, baseline="router: export S on its shard",
       kind="overhead", target=1.1, peak_kb=peak,
       note=f"file {size / 1048576:.1f} MB, coordinator backend growth {(peak - rss0) / 1024:.1f} MB")

t_one = timed(b.connect(), SUMMARY, runs=3)
b.emit("router: daily_summary S+T on one node", t_one)
t_all = timed(coord, SUMMARY, runs=3)
b.emit("router: daily_summary S+T over two shards", t_all, baseline="router: daily_summary S+T on one node",
       kind="speedup", note="ON ALL, in parallel; 2 cores on the test machine")
t_s1 = timed(shard, "SELECT count(*) FROM csstats.daily_summary('2024-01-01', '2026-01-01', '2025-07-01')", runs=3)
b.emit("router: daily_summary S on shard1 alone", t_s1)

t_small_direct = timed(shard, SMALL, runs=20)
b.emit("router: bot_sheet on the shard", t_small_direct)
t_small = timed(coord, SMALL, runs=20)
b.emit("router: bot_sheet through the coordinator", t_small, baseline="router: bot_sheet on the shard",
       kind="overhead", note="the fixed cost of one proxied call (TLS connection cached)")
PY
