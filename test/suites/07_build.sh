#!/usr/bin/env bash
# The build itself: out of tree (as pg_buildext builds in build-15/), no
# -Werror in a user build, the test build and the plain build never reuse each
# other's objects, "make install" installs what was built, and an empty list of
# install-script parts is a build error, never an empty script.  Works on a
# copy of the tree, installs only into a DESTDIR under /tmp.
set -euo pipefail
cd "$CSSTATS_SRC"
work=$(mktemp -d /tmp/csstats-build-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0
check() {
    if eval "$2"; then passed=$((passed + 1)); echo "$1: ok"
    else failed=$((failed + 1)); echo "$1: FAIL"; fi
}

# a copy of the working tree: tracked and untracked-but-not-ignored files
mkdir "$work/src"
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
    [ -e "$f" ] && { mkdir -p "$work/src/$(dirname "$f")"; cp -a "$f" "$work/src/$f"; }
done

# 1. out of tree, pg_buildext style, user build
mkdir "$work/build-15"
touch "$work/start"
make -C "$work/build-15" -f "$work/src/Makefile" VPATH="$work/src" USE_PGXS=1 \
    PG_CONFIG="$PG_CONFIG" -j2 >"$work/user.log" 2>&1 || true
check "out of tree: the module is built in the build directory" "[ -f '$work/build-15/csstats.so' ]"
check "out of tree: the install script is built there from the parts" \
    "[ -s '$work/build-15/sql/csstats--0.2.0.sql' ] && cmp -s '$work/build-15/sql/csstats--0.2.0.sql' <(cat '$work/src'/sql/install/*.sql)"
check "out of tree: nothing written into the source tree" \
    "[ -z \"\$(find '$work/src' -newer '$work/start' -print | head -1)\" ]"
check "user build: no -Werror, no assertions" \
    "grep -q 'src/export.c' '$work/user.log' && ! grep -qE -- '-Werror( |$)' '$work/user.log' && ! grep -q 'USE_ASSERT_CHECKING' '$work/user.log'"
make -C "$work/build-15" -f "$work/src/Makefile" VPATH="$work/src" USE_PGXS=1 \
    PG_CONFIG="$PG_CONFIG" install DESTDIR="$work/dest" >/dev/null 2>&1 || true
ext=$(find "$work/dest" -path '*/extension' -type d | head -1)
check "out of tree: install puts the control file, 0.1.0, 0.2.0 and the update script" \
    "[ -n '$ext' ] && [ -f '$ext/csstats.control' ] && [ -f '$ext/csstats--0.1.0.sql' ] && [ -f '$ext/csstats--0.2.0.sql' ] && [ -f '$ext/csstats--0.1.0--0.2.0.sql' ]"
check "the frozen 0.1.0 script is installed unchanged" "cmp -s '$ext/csstats--0.1.0.sql' '$work/src/sql/csstats--0.1.0.sql'"

# 2. the test build and the plain build never reuse each other's objects;
#    "make install" alone installs the variant built last
plain_sum=$(md5sum <"$work/build-15/src/export.o")
make -C "$work/build-15" -f "$work/src/Makefile" VPATH="$work/src" USE_PGXS=1 \
    PG_CONFIG="$PG_CONFIG" CSSTATS_ASSERT=1 -j2 >/dev/null 2>&1 || true
check "test build: objects rebuilt with assertions and pause points" \
    "[ \"\$(md5sum <'$work/build-15/src/export.o')\" != '$plain_sum' ] && grep -q 'csstats.test_pause_at' '$work/build-15/csstats.so'"
make -C "$work/build-15" -f "$work/src/Makefile" VPATH="$work/src" USE_PGXS=1 \
    PG_CONFIG="$PG_CONFIG" install DESTDIR="$work/dest2" >/dev/null 2>&1 || true
check "make install after the test build installs the test build" \
    "grep -q 'csstats.test_pause_at' \"\$(find '$work/dest2' -name csstats.so | head -1)\""
make -C "$work/build-15" -f "$work/src/Makefile" VPATH="$work/src" USE_PGXS=1 \
    PG_CONFIG="$PG_CONFIG" -j2 >/dev/null 2>&1 || true
check "plain build again: the test build's objects are not reused" \
    "! grep -q 'csstats.test_pause_at' '$work/build-15/csstats.so'"

# 3. no parts: an error, not an empty script
mkdir "$work/empty"
( cd "$work/src" && tar cf - --exclude='./sql/install' . ) | ( cd "$work/empty" && tar xf - )
mkdir -p "$work/empty/sql/install"
if make -C "$work/empty" PG_CONFIG="$PG_CONFIG" all >"$work/empty.log" 2>&1; then
    check "no install-script parts: the build fails" "false"
else
    check "no install-script parts: the build fails, naming the cause" "grep -q 'no install-script parts' '$work/empty.log'"
fi
check "no install-script parts: no empty script" "[ ! -e '$work/empty/sql/csstats--0.2.0.sql' ]"

# 4. every public function is named in README.md or docs/ (test/tools/doc_coverage.sh),
#    and the check fails on an undocumented one
check "docs: every public function of the install parts and the router is documented" \
    "bash '$work/src/test/tools/doc_coverage.sh' '$work/src' >'$work/doc.log' 2>&1 || { cat '$work/doc.log'; false; }"
printf '\nCREATE FUNCTION csstats.zz_undocumented_probe() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;\n' \
    >>"$work/src/sql/install/60_sheets.sql"
check "docs: an undocumented function is reported by name" \
    "! bash '$work/src/test/tools/doc_coverage.sh' '$work/src' >'$work/doc2.log' 2>&1 && grep -q 'csstats.zz_undocumented_probe' '$work/doc2.log'"

echo "build: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
