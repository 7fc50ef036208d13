#!/usr/bin/env bash
# The benchmark command (never part of the tests):
#
#     bash test/bench.sh             # the S data set (10,000 chats)
#     CSSTATS_BENCH_L=1 bash test/bench.sh   # also L (200,000 chats)
#     bash test/bench.sh 30_business_seconds  # only the named cases
#
# Builds without assertions, starts a throwaway cluster, generates the data
# sets (database "bench": channel S, and L on request), runs every case in
# test/bench/NN_*.sh, and prints one table of medians, ratios against each
# case's baseline, and the peak memory of the backend it used.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

csstats_deps
CSSTATS_ASSERT=0 csstats_build
trap cluster_stop EXIT
CSSTATS_PORT=${CSSTATS_PORT:-55450} cluster_start

export CSSTATS_BENCH_DB=bench CSSTATS_BENCH_OUT="$CSSTATS_RUN/bench.jsonl"
export PYTHONPATH="$CSSTATS_SRC/test/bench${PYTHONPATH:+:$PYTHONPATH}"
createdb bench
log "generating the S data set (10,000 chats)"
psql -X -q -v ON_ERROR_STOP=1 -d bench -c "SET client_min_messages = warning; CREATE EXTENSION csstats;" \
    -c "SELECT * FROM csstats.generate_demo('S', 10000, 1);"
if [ "${CSSTATS_BENCH_L:-0}" = 1 ]; then
    log "generating the L data set (200,000 chats)"
    psql -X -q -v ON_ERROR_STOP=1 -d bench -c "SELECT * FROM csstats.generate_demo('L', 200000, 2);"
fi
psql -X -q -d bench -c "VACUUM ANALYZE"
: > "$CSSTATS_BENCH_OUT"

for case in "$CSSTATS_SRC"/test/bench/[0-9]*.sh; do
    name=$(basename "$case" .sh)
    if [ $# -gt 0 ] && [[ ! " $* " =~ " $name " ]]; then continue; fi
    log "bench: $name"
    (cd "$CSSTATS_SRC" && bash "$case") || log "bench $name failed"
done
echo
"$PY" "$CSSTATS_SRC/test/bench/benchlib.py" "$CSSTATS_BENCH_OUT"
