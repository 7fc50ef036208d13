#!/usr/bin/env bash
# The Debian package.  Builds postgresql-15-csstats with dpkg-buildpackage from
# a copy of the working tree (tracked and untracked-not-ignored files as they
# are on disk, so uncommitted work is what gets packaged) in a temporary
# directory: nothing may appear in or beside the clone.  Then, holding the
# build lock, it replaces the make-install files with the package (apt-get),
# checks its file list and dependencies, uses it in a fresh cluster (create,
# demo data, encrypted exports opened by independent readers, the 0.1.0 ->
# 0.2.0 update), purges it, checks nothing is left, and restores the test
# build's make install (also on failure) so later suites are unaffected.
set -euo pipefail
. "$CSSTATS_SRC/test/lib/common.sh"
cd "$CSSTATS_SRC"

tmp=$(mktemp -d /tmp/csstats-pkg.XXXXXX)
chmod 755 "$tmp" # apt's _apt user reads the .deb from here
results=$tmp/results
: >"$results"
ok() { echo "$1: ok"; echo pass >>"$results"; }
bad() { echo "$1: FAIL${2:+ ($2)}"; echo fail >>"$results"; }
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
aptget() { apt-get -o DPkg::Lock::Timeout=600 -y -q "$@"; }

pgv=$("$PG_CONFIG" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')
pkg=postgresql-$pgv-csstats
pkglib=$("$PG_CONFIG" --pkglibdir)
share=$("$PG_CONFIG" --sharedir)
extver=$(sed -nE "s/^default_version = '(.*)'/\1/p" csstats.control)
debver=$(dpkg-parsechangelog -S Version)
deb=$tmp/${pkg}_${debver}_$(dpkg --print-architecture).deb
locked=0 t_start=$SECONDS t_build=0 t_installed=0 t_restore=0

finish() {
    local rc=$?
    set +e
    if [ $locked = 1 ]; then
        local t=$SECONDS
        if dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null | grep -qx installed; then
            aptget purge "$pkg" >>"$tmp/apt.log" 2>&1
        fi
        log "package: restoring the test build's make install"
        # as test.sh's csstats_build does, without taking the lock we hold
        if CSSTATS_ASSERT=1 csstats_make_install; then
            [ -f "$pkglib/csstats.so" ] && [ -f "$share/extension/csstats.control" ] \
                && ! dpkg -S "$pkglib/csstats.so" >/dev/null 2>&1 \
                && ok "make install restored (not owned by any package)" || bad "make install restored"
        else
            bad "make install restored" "make failed"
        fi
        flock -u 9
        t_restore=$((SECONDS - t))
    fi
    local p f
    p=$(grep -c pass "$results"); f=$(grep -c fail "$results")
    rm -rf "$tmp"
    echo "package: build ${t_build} s, install/use/purge ${t_installed} s, restore ${t_restore} s, total $((SECONDS - t_start)) s"
    echo "package: $p passed, $f failed"
    [ $rc -eq 0 ] && [ "$f" -eq 0 ] && [ "$p" -gt 0 ] && exit 0
    exit 1
}
trap finish EXIT
trap 'exit 130' INT TERM

# -------------------------------------------------------------- build
git rev-parse --is-inside-work-tree >/dev/null 2>&1 \
    || { bad "source is a git work tree" "$CSSTATS_SRC"; exit 1; }
parent=$(dirname "$CSSTATS_SRC")
beside() { ls -d "$parent"/*.deb "$parent"/*.changes "$parent"/*.buildinfo "$parent"/*.dsc 2>/dev/null || true; }
status_before=$(git --no-optional-locks status --porcelain --ignored)
beside_before=$(beside)

log "package: copying the working tree and running dpkg-buildpackage"
t=$SECONDS
build=$tmp/csstats-$extver
mkdir "$build"
# tracked files still on disk (deleted ones are skipped) plus untracked files
# .gitignore does not exclude: the tree as the developer has it, minus builds
git ls-files -z --cached --others --exclude-standard --deduplicate \
    | while IFS= read -r -d '' f; do if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi; done \
    | tar --null -T - -cf - | tar -C "$build" -xf -
if (cd "$build" && dpkg-buildpackage -us -uc -b -j2) >"$tmp/build.log" 2>&1; then
    ok "dpkg-buildpackage -us -uc -b"
else
    bad "dpkg-buildpackage -us -uc -b"; tail -n 40 "$tmp/build.log"
fi
t_build=$((SECONDS - t))
[ -f "$deb" ] && ok "built $(basename "$deb")" || { bad "built $(basename "$deb")" "$(ls "$tmp")"; exit 1; }

# The clone's status must be as before.  Other people may edit the tree
# while this runs, so only what a package build would do counts: an ignored
# file gone (dh clean ran in the clone), or anything new or changed in debian/,
# build-*/ or named like a build product; other changes are shown, not failed.
status_after=$(git --no-optional-locks status --porcelain --ignored)
changed=$(diff <(echo "$status_before") <(echo "$status_after") | grep -E '^[<>]' || true)
ours=$(echo "$changed" | grep -E '^< !! |^[<>] .. "?(debian/|build-|obj-|[^ ]*\.(deb|ddeb|changes|buildinfo|dsc)$|[^ ]*\.(orig|debian)\.tar)' || true)
if [ -z "$ours" ]; then
    ok "clone's git status (with ignored files) unchanged by the build"
else
    bad "clone's git status (with ignored files) unchanged by the build"; echo "$ours" | sed 's/^/    /'
fi
others=$(echo "$changed" | grep -vxF -f <(echo "${ours:-^}") || true)
[ -z "$others" ] || { echo "changed meanwhile by other work (not the build):"; echo "$others" | sed 's/^/    /'; }
[ "$(beside)" = "$beside_before" ] && ok "no .deb/.changes/.buildinfo beside the clone" \
    || bad "no .deb/.changes/.buildinfo beside the clone" "$(beside)"

# a user build: -Werror (the bare flag, not dpkg's -Werror=format-security)
# and the assertion build are only for the test command
if ! grep -q -- '-o src/csstats.o ' "$tmp/build.log"; then
    bad "package build without -Werror and assertions" "no compiler command in the build log"
elif grep -qE -- '(-Werror|-DUSE_ASSERT_CHECKING)( |$)' "$tmp/build.log"; then
    bad "package build without -Werror and assertions"
else
    ok "package build without -Werror and assertions"
fi

depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
names=$(echo "$depends" | tr ',|' '\n\n' | sed -E 's/^ +//; s/[ :].*//')
for want in "postgresql-$pgv" 'libxlsxwriter[0-9]+' 'libssl[0-9]+' 'libzip[0-9]+'; do
    echo "$names" | grep -qxE "$want" && ok "Depends names $want" || bad "Depends names $want"
done

# What the package must hold (files; directories aside): the module, its JIT
# bitcode when the server was built with LLVM (one .bc per object in OBJS and
# the index), the control file, the built install script and every committed
# release/update script, and what debhelper puts under /usr/share/doc.
pgxs_global=$(dirname "$("$PG_CONFIG" --pgxs)")/../Makefile.global
expected=$(
    echo "$pkglib/csstats.so"
    if grep -qE '^with_llvm[[:space:]]*=[[:space:]]*yes' "$pgxs_global"; then
        echo "$pkglib/bitcode/csstats.index.bc"
        sed -n '/^OBJS = /,/^$/p' "$build/Makefile" | grep -oE 'src/[^ ]+\.o' \
            | sed -E "s|^|$pkglib/bitcode/csstats/|; s|\.o$|.bc|"
    fi
    echo "$share/extension/csstats.control"
    echo "$share/extension/csstats--$extver.sql"
    (cd "$build" && ls sql/csstats--*.sql) | sed "s|^sql/|$share/extension/|"
    for d in copyright changelog.Debian.gz README.md.gz; do echo "/usr/share/doc/$pkg/$d"; done
)
expected=$(echo "$expected" | sort -u)

# ---------------------------------------------- install, use, purge (locked)
exec 9>/tmp/csstats-build.lock
log "package: waiting for the build lock"
flock -w 600 9
locked=1
t=$SECONDS

# the files an earlier make install put there, so only the package provides them
rm -f "$pkglib/csstats.so" "$pkglib/bitcode/csstats.index.bc" \
    "$share/extension/csstats.control" "$share"/extension/csstats--*.sql \
    "$share/extension/csstats_router.control" "$share"/extension/csstats_router--*.sql
rm -rf "$pkglib/bitcode/csstats"
left=$(ls -d "$pkglib/csstats.so" "$pkglib/bitcode/csstats"* "$share"/extension/csstats* 2>/dev/null || true)
[ -z "$left" ] && ok "make-install files removed" || bad "make-install files removed" "$left"

log "package: apt-get install $(basename "$deb")"
# every dependency is installed already, so apt plans to install this one
# package and nothing else: no download, it works offline
plan=$(aptget install -s --no-install-recommends "$deb" 2>&1 | grep -E '^(Inst|Remv) ' || true)
[ "$(echo "$plan" | cut -d' ' -f1,2)" = "Inst $pkg" ] && ok "apt plans to install $pkg alone" \
    || bad "apt plans to install $pkg alone" "$plan"
if aptget install --no-install-recommends "$deb" >"$tmp/apt.log" 2>&1; then
    ok "apt-get install ./$(basename "$deb")"
else
    bad "apt-get install ./$(basename "$deb")"; tail -n 20 "$tmp/apt.log"
fi
st=$(dpkg-query -W -f='${db:Status-Status} ${Version}' "$pkg" 2>/dev/null || true)
[ "$st" = "installed $debver" ] && ok "dpkg: $pkg $debver installed" || bad "dpkg: $pkg $debver installed" "$st"
listed=$(dpkg -L "$pkg" 2>/dev/null | while IFS= read -r p; do [ -d "$p" ] || echo "$p"; done | sort -u)
if [ "$listed" = "$expected" ]; then
    ok "dpkg -L lists exactly the extension's files ($(echo "$listed" | wc -l))"
else
    bad "dpkg -L lists exactly the extension's files"
    diff <(echo "$expected") <(echo "$listed") | sed 's/^/    /' || true
fi
verify=$(dpkg --verify "$pkg" 2>&1 || true)
[ -z "$verify" ] && ok "dpkg --verify: installed files match the package" || bad "dpkg --verify" "$verify"

# A fresh throwaway cluster (its own socket directory, so PGPORT + 1 clashes
# with nobody), in a subshell so the suite's cluster variables stay as they
# are; fd 9 is closed so the server never holds the build lock.
(
    export KEEP_CLUSTER=0 CSSTATS_PORT=$((PGPORT + 1))
    # errors reach the checks' messages; warnings and notices do not
    export PGOPTIONS='-c client_min_messages=error'
    trap cluster_stop EXIT
    cluster_start
    pw=Passw0rdPassw0rd

    v=$(q -c "CREATE EXTENSION csstats;
        SELECT extversion FROM pg_extension WHERE extname = 'csstats'" 2>&1) || true
    [ "$v" = "$extver" ] && ok "CREATE EXTENSION csstats: version $extver" || bad "CREATE EXTENSION csstats" "$v"
    want=$(cd "$build" && ls sql/csstats--*.sql | grep -v -- '--.*--' | sed -E 's|^sql/csstats--(.*)\.sql$|\1|'; echo "$extver")
    want=$(echo "$want" | sort -uV | paste -sd,)
    v=$(q -c "SELECT string_agg(version, ',' ORDER BY string_to_array(version, '.')::int[])
        FROM pg_available_extension_versions WHERE name = 'csstats'" 2>&1) || true
    [ "$v" = "$want" ] && ok "installable versions: $v" || bad "installable versions $want" "$v"

    n=$(q -c "SELECT sum(rows) FROM csstats.generate_demo('demo', 40, 7)" 2>&1) || true
    [[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -gt 0 ] && ok "generate_demo: $n rows" || bad "generate_demo" "$n"
    IFS='|' read -r since until chats < <(q -F '|' -c "SELECT min(created_at), max(created_at) + interval '1 second',
        count(*) FROM csstats.user_chats WHERE channel_id = 'demo'" 2>&1) || true

    xdir=$CSSTATS_RUN/export
    id=$(q -c "SELECT csstats.export_chats_to_file(password => '$pw', reason => 'package test',
            channel_id => 'demo', since => '$since', until => '$until')" 2>&1) || true
    dest=$(q -c "SELECT destination FROM csstats.export_audit WHERE id = '$id'" 2>&1) || dest=$id
    q -c "SELECT encode(csstats.export_chats(password => '$pw', reason => 'package test', channel_id => 'demo',
            since => '$since', until => '$until', format => 'json'), 'base64')" 2>"$tmp/json.err" \
        | base64 -d >"$tmp/export.zip" || true
    if [ -n "$dest" ] && [ -f "$xdir/$dest" ]; then
        ok "export_chats_to_file wrote $dest"
        # independent readers: msoffcrypto-tool (with integrity check) and
        # openpyxl for the XLSX, 7-Zip for the AES ZIP; one data row per chat
        got=$("$PY" - "$xdir/$dest" "$tmp/export.zip" "$pw" "$tmp/unzip" <<'PY' 2>&1
import io, json, os, subprocess, sys
import msoffcrypto, openpyxl
xlsx, zipf, pw, out = sys.argv[1:]
f = msoffcrypto.OfficeFile(open(xlsx, "rb"))
f.load_key(password=pw)
plain = io.BytesIO()
f.decrypt(plain, verify_integrity=True)
wb = openpyxl.load_workbook(plain, read_only=True)
x = wb["UserChat data"].max_row - 1
subprocess.run(["7z", "x", "-p" + pw, "-o" + out, zipf], check=True, capture_output=True)
j = len(json.load(open(os.path.join(out, "export.json"), encoding="utf-8"))["UserChat data"])
print(x, j)
PY
        ) || true
        [ "$got" = "$chats $chats" ] && ok "exports open with their password: $chats chats in XLSX and JSON" \
            || bad "exports open with their password ($chats chats each)" "$got $(cat "$tmp/json.err")"
    else
        bad "export_chats_to_file" "$dest"
    fi
    v=$(q -c "SELECT count(*) || ' ' || bool_and(ok) FROM csstats.verify_audit()" 2>&1) || true
    [ "$v" = "2 true" ] && ok "audit trail: 2 rows, verify_audit ok" || bad "audit trail" "$v"
    # the backend maps the module from the path the package owns
    v=$(q -c "SELECT csstats.export_header('UserChat data', 'id') IS NOT NULL;
        SELECT position('$pkglib/csstats.so' IN pg_read_file('/proc/self/maps')) > 0" 2>&1 | paste -sd' ') || true
    owner=$(dpkg -S "$pkglib/csstats.so" 2>&1 | cut -d: -f1)
    [ "$v" = "t t" ] && [ "$owner" = "$pkg" ] && ok "the backend loaded $pkglib/csstats.so of $pkg" \
        || bad "the backend loaded $pkglib/csstats.so of $pkg" "$v / $owner"

    # the update path: 0.1.0 from the package's frozen script, then its update script
    members="SELECT string_agg(m, E'\n' ORDER BY m) FROM (SELECT pg_describe_object(classid, objid, 0) AS m
        FROM pg_depend WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
        AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'csstats')) s"
    q -c "CREATE DATABASE csstats_pkg_update" || bad "CREATE DATABASE csstats_pkg_update"
    v=$(q -d csstats_pkg_update -c "CREATE EXTENSION csstats VERSION '0.1.0';
        SELECT extversion FROM pg_extension WHERE extname = 'csstats'" 2>&1) || true
    [ "$v" = 0.1.0 ] && ok "CREATE EXTENSION csstats VERSION '0.1.0'" || bad "CREATE EXTENSION csstats VERSION '0.1.0'" "$v"
    v=$(q -d csstats_pkg_update -c "ALTER EXTENSION csstats UPDATE;
        SELECT extversion FROM pg_extension WHERE extname = 'csstats'" 2>&1) || true
    [ "$v" = "$extver" ] && ok "ALTER EXTENSION csstats UPDATE: $extver" || bad "ALTER EXTENSION csstats UPDATE" "$v"
    fresh=$(q -c "$members" 2>&1 || true); updated=$(q -d csstats_pkg_update -c "$members" 2>&1 || true)
    if [ "$fresh" = "$updated" ]; then
        ok "updated extension has the fresh install's $(echo "$fresh" | wc -l) member objects"
    else
        bad "updated extension has the fresh install's member objects"
        diff <(echo "$fresh") <(echo "$updated") | head -n 20 | sed 's/^/    /' || true
    fi
    v=$(q -d csstats_pkg_update -c "SELECT sum(rows) > 0 FROM csstats.generate_demo('demo', 20, 3);
        SELECT length(csstats.export_chats(password => '$pw', reason => 'package test (updated)',
            channel_id => 'demo', since => '2000-01-01', until => '2100-01-01')) > 0" 2>&1 | paste -sd' ') || true
    [ "$v" = "t t" ] && ok "updated database: demo data and an export" || bad "updated database: demo data and an export" "$v"
) 9>&-

log "package: apt-get purge $pkg"
if aptget purge "$pkg" >>"$tmp/apt.log" 2>&1; then ok "apt-get purge $pkg"; else bad "apt-get purge $pkg"; tail -n 20 "$tmp/apt.log"; fi
dpkg -s "$pkg" >/dev/null 2>&1 && bad "dpkg -s: $pkg not installed" || ok "dpkg -s: $pkg not installed"
left=$(for p in $expected "$pkglib/bitcode/csstats" "/usr/share/doc/$pkg"; do [ -e "$p" ] && echo "$p"; done || true)
[ -z "$left" ] && ok "purge left no file behind" || bad "purge left no file behind" "$left"
t_installed=$((SECONDS - t))
