#!/usr/bin/env bash
# Instruction counts of two builds on fixed workloads (never part of the tests):
#
#     bash test/bench/instructions.sh [BEFORE [AFTER]]     # default: 17dda3c HEAD
#
# Wall-clock A/B runs on a shared machine are too noisy to tell a few percent
# apart; the instructions a backend executes are not (they do not depend on
# load, and one run of each suffices).  For each of the two commits this
#   1. builds the committed tree (git archive, a user build: -O2, no
#      assertions) into a private copy of the PostgreSQL named by PG_CONFIG
#      (a relocatable installation, such as the test helpers' /opt copies;
#      the PostgreSQL the tests use is not touched),
#   2. creates a cluster with csstats and CSSTATS_BENCH_CHATS (default 2,000)
#      generated chats of the channel 'bench' (generate_demo, seed 1: the same
#      rows for both builds; the script checks this),
#   3. restarts the postmaster under `valgrind --tool=callgrind` and runs each
#      workload in a session of its own, plus a session running SELECT 1:
#      a workload's count is its backend's instructions (every thread: the
#      workbook-close thread too) minus the SELECT 1 session's, so connection
#      start-up cancels out.
# The workloads:
#   export_xlsx   SELECT length(csstats.export_chats(...)) of the channel, XLSX
#                 with messages (the audit row is written by a background
#                 worker, a process of its own: not counted, so the postmaster
#                 is used rather than a single-user backend, which has none)
#   chat_sheet    SELECT count(*) FROM csstats.user_chat_sheet('bench', ...)
#   case_sheet    SELECT count(*) FROM csstats.user_chat_case_sheet('bench', ...)
# Parallel query and JIT are off, so one backend does all the work.  Prints one
# line per workload: the two counts and their ratio AFTER/BEFORE (each count
# also goes to stderr as "label workload: result, pid").  CSSTATS_BENCH_KEEP=1
# keeps the work directory with the callgrind files, for callgrind_annotate.
# Run as root (the clusters run as the postgres OS user), like the tests.
set -euo pipefail
shopt -s inherit_errexit
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BEFORE=${1:-17dda3c}
AFTER=${2:-HEAD}
CHATS=${CSSTATS_BENCH_CHATS:-2000}
PG_CONFIG=${PG_CONFIG:-pg_config}
bindir=$("$PG_CONFIG" --bindir)
prefix=$(cd "$bindir/../../../.." && pwd)
[ -x "$bindir/postgres" ] && [ -d "$prefix/share/postgresql" ] || {
    echo "PG_CONFIG must name a relocatable installation (PREFIX/lib/postgresql/NN/bin)" >&2; exit 2; }
rel=${bindir#"$prefix"/}
command -v valgrind >/dev/null || { echo "valgrind is needed" >&2; exit 2; }

work=$(mktemp -d /tmp/csstats-instr.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
    for d in "$work"/data-*; do
        [ -f "$d/postmaster.pid" ] && runuser -u postgres -- "$work/pg-${d##*/data-}/$rel/pg_ctl" \
            -D "$d" -m immediate -w -s stop 2>/dev/null || true
    done
    if [ "${CSSTATS_BENCH_KEEP:-0}" = 1 ]; then
        echo "kept $work (callgrind files: cg-*/cg.PID; callgrind_annotate reads them)" >&2
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT
as_pg() { runuser -u postgres -- "$@"; }

# one build: its tree, its PostgreSQL copy, its cluster with the data
setup() {
    local label=$1 rev=$2 pg="$work/pg-$1" data="$work/data-$1"
    mkdir "$work/src-$label"
    git -C "$SRC" archive "$rev" | tar -x -C "$work/src-$label"
    cp -a "$prefix" "$pg"
    make -C "$work/src-$label" -s -j2 PG_CONFIG="$pg/$rel/pg_config" >"$work/build-$label.log" 2>&1
    make -C "$work/src-$label" -s install PG_CONFIG="$pg/$rel/pg_config" >>"$work/build-$label.log" 2>&1
    mkdir -m 700 "$data" && chown postgres:postgres "$data"
    as_pg "$pg/$rel/initdb" -N -A trust -U postgres -E UTF8 --locale=C.UTF-8 -D "$data" >/dev/null
    mkdir -p "$work/sock-$label" "$work/export-$label" "$work/cg-$label"
    chown postgres:postgres "$work/sock-$label" "$work/export-$label" "$work/cg-$label"
    chmod 700 "$work/export-$label"
    cat >>"$data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$work/sock-$label'
csstats.export_directory = '$work/export-$label'
csstats.password_key_file = '$work/sock-$label/password.key'
max_parallel_workers_per_gather = 0
jit = off
autovacuum = off
fsync = off
synchronous_commit = off
shared_buffers = 128MB
work_mem = 16MB
timezone = 'UTC'
log_min_messages = warning
CONF
    as_pg "$pg/$rel/pg_ctl" -D "$data" -l "$work/sock-$label/server.log" -w -s start
    psql_ "$label" -c "SET client_min_messages = warning" -c "CREATE EXTENSION csstats" \
        -c "SELECT count(*) FROM csstats.generate_demo('bench', $CHATS, 1)" -c "VACUUM ANALYZE" >/dev/null
    # the same rows for both builds
    psql_ "$label" -At -c "SELECT md5(string_agg(x, ',' ORDER BY x)) FROM (
        SELECT 'c' || count(*) FROM csstats.user_chats UNION ALL
        SELECT 'e' || count(*) || max(at) FROM csstats.chat_events UNION ALL
        SELECT 'm' || count(*) || sum(length(coalesce(plain_text, ''))) FROM csstats.messages) s(x)" \
        >"$work/data-sum-$label"
    as_pg "$pg/$rel/pg_ctl" -D "$data" -m fast -w -s stop
}

psql_() {
    local label=$1; shift
    as_pg "$work/pg-$label/$rel/psql" -X -q -v ON_ERROR_STOP=1 -h "$work/sock-$label" -d postgres "$@"
}

AS_OF="'2026-01-01 00:00:00+00'"
declare -A WORKLOAD=(
    [export_xlsx]="SELECT length(csstats.export_chats(password => 'InstructionsBench1', reason => 'bench',
        channel_id => 'bench', format => 'xlsx', include_messages => true, as_of => $AS_OF))"
    [chat_sheet]="SELECT count(*) FROM csstats.user_chat_sheet('bench', NULL, NULL, '{}', $AS_OF)"
    [case_sheet]="SELECT count(*) FROM csstats.user_chat_case_sheet('bench', NULL, NULL, '{}', $AS_OF)"
    [baseline]="SELECT 1"
)
ORDER=(export_xlsx chat_sheet case_sheet)

# instructions of one session's backend under callgrind
measure() {
    local label=$1 name=$2 out pid f
    out=$(psql_ "$label" -At -c "SET client_min_messages = error" -c "SELECT pg_backend_pid()" \
        -c "${WORKLOAD[$name]}")
    pid=${out%%$'\n'*}
    [[ "$out" == *$'\n'* && -n "${out#*$'\n'}" ]] || { echo "$label $name: no result" >&2; exit 1; }
    echo "$label $name: ${out#*$'\n'}, pid $pid" >&2
    f="$work/cg-$label/cg.$pid"
    for _ in $(seq 1 600); do
        grep -q '^totals:' "$f" 2>/dev/null && break
        sleep 0.5
    done
    grep -q '^totals:' "$f" || { echo "$label $name: no callgrind totals in $f" >&2; exit 1; }
    awk '/^totals:/ {print $2}' "$f"
}

run() {
    local label=$1 pg="$work/pg-$1" data="$work/data-$1" count
    as_pg valgrind --tool=callgrind --callgrind-out-file="$work/cg-$label/cg.%p" \
        "$pg/$rel/postgres" -D "$data" >"$work/valgrind-$label.log" 2>&1 &
    for _ in $(seq 1 600); do
        as_pg "$pg/$rel/pg_isready" -q -h "$work/sock-$label" && break
        sleep 0.5
    done
    for name in baseline "${ORDER[@]}"; do
        count=$(measure "$label" "$name")
        echo "$name $count" >>"$work/counts-$label"
    done
    as_pg "$pg/$rel/pg_ctl" -D "$data" -m fast -w -s -t 600 stop
}

echo "building $BEFORE and $AFTER, $CHATS chats each" >&2
setup before "$BEFORE"
setup after "$AFTER"
cmp -s "$work/data-sum-before" "$work/data-sum-after" || {
    echo "the two builds generated different data" >&2; exit 1; }
for label in before after; do
    echo "callgrind: $label" >&2
    run "$label"
done

printf '%-12s %16s %16s %8s\n' workload "$BEFORE" "$AFTER" ratio
base_b=$(awk '$1 == "baseline" {print $2}' "$work/counts-before")
base_a=$(awk '$1 == "baseline" {print $2}' "$work/counts-after")
for name in "${ORDER[@]}"; do
    b=$(awk -v n="$name" '$1 == n {print $2}' "$work/counts-before")
    a=$(awk -v n="$name" '$1 == n {print $2}' "$work/counts-after")
    awk -v n="$name" -v b="$b" -v a="$a" -v bb="$base_b" -v ba="$base_a" 'BEGIN {
        printf "%-12s %16.0f %16.0f %8.4f\n", n, b - bb, a - ba, (a - ba) / (b - bb) }'
done
