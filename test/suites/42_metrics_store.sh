#!/usr/bin/env bash
# The metric store (sql/install/92_metrics_store.sql, docs/metrics_store.md):
# test/tools/metrics_store_check.py makes many rounds of random changes to a
# generated channel (messages, events, meets, chats, back-dated and
# future-dated rows, calendar and time zone edits, a bulk COPY, TRUNCATEs)
# and checks, in one snapshot each time, that the views equal the live
# aggregates at now() row for row and column for column, and that every
# stored row equals the live aggregates at its own stamp; plus the change log
# (one row per chat per statement, nothing for channels that did not opt in),
# concurrent loading and refreshing on two connections, and that the checks
# can fail.  METRICS_STORE_SEED and METRICS_STORE_ROUNDS override the defaults.
set -euo pipefail
cd "$CSSTATS_SRC"
DB=csstats_metrics_store
SEED=${METRICS_STORE_SEED:-$(( $(date +%s) % 100000 ))}
ROUNDS=${METRICS_STORE_ROUNDS:-25}

psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
export PGDATABASE=$DB
psql -X -q -v ON_ERROR_STOP=1 -c "CREATE EXTENSION csstats"
"$PY" test/tools/metrics_gen.py ms1 "${METRICS_STORE_CHATS:-1000}" "$SEED"
"$PY" test/tools/metrics_gen.py ms2 200 $((SEED + 1))
"$PY" test/tools/metrics_gen.py ms3 200 $((SEED + 2))
psql -X -q -v ON_ERROR_STOP=1 -c "ANALYZE"
echo "seed $SEED, $ROUNDS rounds (METRICS_STORE_SEED=$SEED reproduces the changes)"
rc=0
"$PY" test/tools/metrics_store_check.py "$SEED" "$ROUNDS" || rc=$?
psql -X -q -d postgres -c "DROP DATABASE $DB"
exit $rc
