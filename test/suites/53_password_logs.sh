#!/usr/bin/env bash
# Export passwords and the server log: psycopg 3 with server-side bind
# parameters under log_min_duration_statement = 0 and log_statement = 'all'
# (set for the exporting role only): generated and stored passwords never
# reach the log and open their files; an inline password draws the WARNING;
# the execute step's duration line of an inline-password export carries no
# parameters (test/tools/password_logs.py).
set -euo pipefail
cd "$CSSTATS_SRC"
db=csstats_password_logs
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" 2>/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "SET client_min_messages = warning; CREATE EXTENSION csstats"
rc=0
"$PY" test/tools/password_logs.py "$db" pl || rc=$?
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db"
exit $rc
