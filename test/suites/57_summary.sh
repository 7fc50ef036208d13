#!/usr/bin/env bash
# The Summary sheet (include_summary => true) end to end: the numbers of its
# tables against SQL over the sheet functions, the chart parts and their
# ranges, the other sheets unchanged, the JSON "Summary" key, 0 chats, one
# day, 400 days, and LibreOffice rendering it to a non-blank PDF page
# (test/tools/summary_check.py).  The PNG of page 1 is kept in
# $CSSTATS_ARTIFACTS (default /tmp/csstats-artifacts).
set -euo pipefail
cd "$CSSTATS_SRC"
db=csstats_summary
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" 2>/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "SET client_min_messages = warning; CREATE EXTENSION csstats"
rc=0
"$PY" test/tools/summary_check.py "$db" sum "${CSSTATS_ARTIFACTS:-/tmp/csstats-artifacts}" || rc=$?
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db"
exit $rc
