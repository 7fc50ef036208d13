#!/usr/bin/env bash
# Cancelling (pg_cancel_backend at points spread over the run) and terminating
# exports leaves no temporary, partial or final file and no audit row (but
# for a cancel that meets the audit append: its committed row stays); several
# sessions exporting at once get correct, distinct files and audit rows
# (test/tools/export_cancel.py).
set -euo pipefail
cd "$CSSTATS_SRC"
db=csstats_export_cancel
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" 2>/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "SET client_min_messages = warning; CREATE EXTENSION csstats" \
    -c "SELECT count(*) FROM csstats.generate_demo('big', 4000, 3)" >/dev/null
psql -X -q -d "$db" -c "VACUUM ANALYZE"
rc=0
"$PY" test/tools/export_cancel.py "$db" big || rc=$?
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db"
exit $rc
