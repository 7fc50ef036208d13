#!/usr/bin/env bash
# The test command: on a fresh Debian 12 machine, as root, from a clean clone:
#
#     bash test/test.sh              # every suite
#     bash test/test.sh regress unit # only the named suites
#
# Installs what is missing, builds with assertions, installs, starts a throwaway
# PostgreSQL 15 cluster as the postgres OS user, runs the suites in
# test/suites/NN_<name>.sh in order, then stops and removes the cluster (even on
# failure).  Exits non-zero if any suite failed.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

csstats_deps $CSSTATS_TEST_PACKAGES
CSSTATS_ASSERT=1 csstats_build
trap cluster_stop EXIT
cluster_start

wanted=("$@")
passed=0 failed=0 failed_names=()
for suite in "$CSSTATS_SRC"/test/suites/[0-9]*.sh; do
    name=$(basename "$suite" .sh); name=${name#*_}
    if [ ${#wanted[@]} -gt 0 ] && [[ ! " ${wanted[*]} " =~ " $name " ]]; then
        continue
    fi
    log "suite: $name"
    start=$(date +%s)
    # a copy of the suite's output, so that its failed checks can be repeated
    # at the end, where a CI log's tail shows them
    if (cd "$CSSTATS_SRC" && bash "$suite") 2>&1 | tee "$CSSTATS_RUN/suite-$name.log"; then
        passed=$((passed + 1))
        log "suite $name passed ($(( $(date +%s) - start )) s)"
    else
        failed=$((failed + 1)); failed_names+=("$name")
        log "suite $name FAILED ($(( $(date +%s) - start )) s)"
    fi
done
if [ $failed -ne 0 ]; then
    log "failed suites: ${failed_names[*]}"
    for name in "${failed_names[@]}"; do
        echo "--- $name: failed checks and errors (last 30)" >&2
        grep -E 'FAIL|Traceback|ERROR|[a-z]Error|not ok|Assertion' "$CSSTATS_RUN/suite-$name.log" | tail -n 30 >&2 || true
    done
    # crashes and assertion failures, if any, from the server log
    grep -E 'TRAP|PANIC|terminated by signal|FATAL' "$CSSTATS_RUN/server.log" | tail -n 20 >&2 || true
fi
echo "suites: $passed passed, $failed failed"
[ $((passed + failed)) -gt 0 ] || { echo "no suite matched: $*" >&2; exit 2; }
[ $failed -eq 0 ]
