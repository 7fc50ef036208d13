#!/usr/bin/env bash
# Encrypted XLSX exports opened by a real spreadsheet application: LibreOffice
# Calc (headless, through UNO) opens the chats and cases exports with their
# password, refuses a wrong one, and shows every cell of every sheet
# as msoffcrypto-tool + openpyxl read it (test/tools/libreoffice_check.py).
set -euo pipefail
cd "$CSSTATS_SRC"
db=csstats_libreoffice
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" 2>/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "SET client_min_messages = warning; CREATE EXTENSION csstats"
"$PY" test/tools/export_e2e.py setup "$db" lo
rc=0
"$PY" test/tools/libreoffice_check.py "$db" lo || rc=$?
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db"
exit $rc
