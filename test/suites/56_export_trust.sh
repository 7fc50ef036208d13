#!/usr/bin/env bash
# The export trust promises (test/tools/export_trust.py): audit row committed
# before delivery (rollback, savepoint, failing statement, no commit), denied
# attempts audited, lock_timeout, server files published after the audit,
# dead exports' temporary files swept, temp_file_limit, a full disk, the
# chain head outside the table; then, on a throwaway cluster of its own:
# kill -9 at every pause point of the test build with hard restarts, a
# standby, and no free background worker slot.
set -euo pipefail
cd "$CSSTATS_SRC"
db=csstats_export_trust
root=$(mktemp -d /tmp/csstats-trust.XXXXXX)
chmod 755 "$root"
cleanup() {
    runuser -u postgres -- "${PGBIN:-/usr/lib/postgresql/15/bin}/pg_ctl" -D "$root/primary/data" -m immediate stop >/dev/null 2>&1 || true
    runuser -u postgres -- "${PGBIN:-/usr/lib/postgresql/15/bin}/pg_ctl" -D "$root/standby/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$root"
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" 2>/dev/null || true
}
trap cleanup EXIT
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" 2>/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "SET client_min_messages = warning; CREATE EXTENSION csstats"
rc=0
"$PY" test/tools/export_trust.py main "$db" || rc=$?
"$PY" test/tools/export_trust.py cluster "$root/c" || rc=$?
exit $rc
