#!/usr/bin/env bash
# pg_regress over the REGRESS list of the Makefile, against the running cluster.
set -euo pipefail
cd "$CSSTATS_SRC"
rc=0
make -s installcheck PG_CONFIG="$PG_CONFIG" PGHOST="$PGHOST" PGPORT="$PGPORT" PGUSER=postgres NO_LOCALE=1 ${REGRESS:+REGRESS="$REGRESS"} || rc=$?
if [ $rc -ne 0 ] && [ -f regression.diffs ]; then
    head -n 300 regression.diffs
fi
exit $rc
