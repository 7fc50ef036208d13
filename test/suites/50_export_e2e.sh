#!/usr/bin/env bash
# Exports end to end from a client: psycopg2, files opened by msoffcrypto-tool
# (verify_integrity), openpyxl and 7z, every cell compared with the sheet
# functions; server-side bind parameters through libpq (test/tools/bindexec.c)
# for the server-log check (test/tools/export_e2e.py).
set -euo pipefail
cd "$CSSTATS_SRC"
db=csstats_export_e2e
bin=$(mktemp -d /tmp/csstats-e2e.XXXXXX)
trap 'rm -rf "$bin"' EXIT
gcc -O1 -Wall -Werror -o "$bin/bindexec" test/tools/bindexec.c -I"$(pg_config --includedir 2>/dev/null || echo /usr/include/postgresql)" -lpq
export CSSTATS_BINDEXEC="$bin/bindexec"
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" 2>/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "SET client_min_messages = warning; CREATE EXTENSION csstats"
"$PY" test/tools/export_e2e.py setup "$db" e2e
rc=0
"$PY" test/tools/export_e2e.py check "$db" e2e || rc=$?
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db"
exit $rc
