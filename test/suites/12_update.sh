#!/usr/bin/env bash
# The update path: a database that ran the released 0.1.0 (data, exports, a
# stored password, an exporting role with the README's grants) is updated with
# ALTER EXTENSION csstats UPDATE and must then
#   - keep its data (a checksum of every csstats table, over the columns 0.1.0
#     had) and the exporting role's grants, with an intact audit chain;
#   - have the catalog of a fresh install of the current version, property by
#     property (test/tools/catalog_snapshot.sql, both dumped and diffed);
#   - compute what a fresh install computes: every function of the extension
#     is called (test/tools/update_calls.sql) in both databases, on the same
#     data, and the outputs are diffed; the function list is checked against
#     pg_proc, so a new function without a call fails here;
#   - let the exporting role export with the stored password (the file is
#     decrypted with it).
# Self-tests show the catalog comparison can fail: small changes made in a
# rolled-back transaction of the fresh database must show up in the diff.
# Finally every C symbol that a committed SQL script names must still be
# exported by the installed csstats.so (old scripts keep working).
set -euo pipefail
cd "$CSSTATS_SRC"
old=upd_old new=upd_new
role=csstats_upd_exporter
# a second exporter whose name needs quoting in SQL (upper case, a hyphen, a space)
qrole="csstats Upd-BI"
stored_pw=UpdStored2025pw
snapshot=test/tools/catalog_snapshot.sql
calls=test/tools/update_calls.sql
work=$(mktemp -d /tmp/csstats-upd.XXXXXX)
chmod 755 "$work"

# Tables whose data an update legitimately rewrites (over the columns the
# older version had), one "table  # why" entry each.  Every other csstats
# table must hold exactly the rows it held before the update.
DATA_CHANGED_BY_UPDATE=(
    "export_passwords  # 0.2.0 encrypts the 0.1.0 plaintext: column password is replaced by password_ciphertext and key_id (name, usable_by, created_at kept)"
)

pass=0 fail=0
ok() { echo "$1: ok"; pass=$((pass + 1)); }
bad() { echo "$1: FAIL ${2:-}"; fail=$((fail + 1)); }
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
xdir=$(q -d postgres -c "SHOW csstats.export_directory")

done=0
cleanup() {
    [ $done = 1 ] || echo "update: $pass passed, $((fail + 1)) failed (aborted: a setup step failed, see above)"
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $old" -c "DROP DATABASE IF EXISTS $new" 2>/dev/null || true
    psql -X -q -d postgres -c "DROP ROLE IF EXISTS $role" -c "DROP ROLE IF EXISTS \"$qrole\"" 2>/dev/null || true
    rm -f "$xdir"/upd_old-* "$xdir"/upd_new-* 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $old" -c "DROP DATABASE IF EXISTS $new" 2>/dev/null
psql -X -q -d postgres -c "DROP ROLE IF EXISTS $role" -c "DROP ROLE IF EXISTS \"$qrole\"" 2>/dev/null

# --- the versions -----------------------------------------------------------
current=$(q -d postgres -c "SELECT default_version FROM pg_available_extensions WHERE name = 'csstats'")
path=$(q -d postgres -c "SELECT path FROM pg_extension_update_paths('csstats') WHERE source = '0.1.0' AND target = '$current'")
[ -n "$path" ] && ok "update path 0.1.0 -> $current: $path" || bad "update path 0.1.0 -> $current" "none"

# --- a 0.1.0 database in use -------------------------------------------------
q -d postgres -c "CREATE DATABASE $old" -c "CREATE DATABASE $new"
q -d postgres -c "CREATE ROLE $role NOLOGIN" -c "CREATE ROLE \"$qrole\" NOLOGIN"
q -d postgres -c "GRANT pg_write_server_files TO $role"

# The same data, role grants and stored password in both databases.  The
# grants are README's "Who may export" recipe; the stored password goes in
# the way the installed version stores it (0.1.0: a plain row).
setup_db() {
    q -d "$1" >/dev/null <<SQL
SET client_min_messages = warning;
SELECT count(*) FROM csstats.generate_demo('demo', 300, 1);
GRANT USAGE ON SCHEMA csstats TO $role;
GRANT SELECT ON ALL TABLES IN SCHEMA csstats TO $role;
REVOKE SELECT ON csstats.export_passwords FROM $role;
-- 0.2.0 added include_summary (a last boolean) to the export functions
SELECT to_regprocedure('csstats.export_cases(text,text,timestamptz,timestamptz,text,text,text,jsonb,timestamptz,text,boolean)') IS NOT NULL AS has_include_summary \gset
\if :has_include_summary
GRANT EXECUTE ON FUNCTION
  csstats.export_chats(text,text,timestamptz,timestamptz,text,boolean,text,text,jsonb,timestamptz,text,boolean),
  csstats.export_cases(text,text,timestamptz,timestamptz,text,text,text,jsonb,timestamptz,text,boolean),
  csstats.export_chats_to_file(text,text,text,timestamptz,timestamptz,text,boolean,text,text,jsonb,timestamptz,text,boolean)
  TO $role;
GRANT EXECUTE ON FUNCTION
  csstats.export_chats(text,text,timestamptz,timestamptz,text,boolean,text,text,jsonb,timestamptz,text,boolean)
  TO "$qrole";
\else
GRANT EXECUTE ON FUNCTION
  csstats.export_chats(text,text,timestamptz,timestamptz,text,boolean,text,text,jsonb,timestamptz,text),
  csstats.export_cases(text,text,timestamptz,timestamptz,text,text,text,jsonb,timestamptz,text),
  csstats.export_chats_to_file(text,text,text,timestamptz,timestamptz,text,boolean,text,text,jsonb,timestamptz,text)
  TO $role;
GRANT EXECUTE ON FUNCTION
  csstats.export_chats(text,text,timestamptz,timestamptz,text,boolean,text,text,jsonb,timestamptz,text)
  TO "$qrole";
\endif
SELECT to_regprocedure('csstats.set_export_password(text,text,regrole)') IS NOT NULL AS has_set_export_password \gset
\if :has_set_export_password
SELECT csstats.set_export_password('upd_stored', '$stored_pw', '$role');
\else
INSERT INTO csstats.export_passwords (name, password, usable_by) VALUES ('upd_stored', '$stored_pw', '$role');
\endif
SQL
}

q -d $old -c "CREATE EXTENSION csstats VERSION '0.1.0'"
setup_db $old
[ "$(q -d $old -c "SELECT extversion FROM pg_extension WHERE extname = 'csstats'")" = 0.1.0 ] \
    && ok "0.1.0 installed, with data, role and stored password" || bad "0.1.0 installed"
# exports as 0.1.0 makes them: bytea, a server file, and the exporting role's
# file with the stored password.  The library installed is the current one:
# it must serve a database that still runs the 0.1.0 SQL (between the package
# upgrade and ALTER EXTENSION UPDATE).
if q -d $old >/dev/null 2>"$work/exports.err" <<SQL
SELECT octet_length(csstats.export_chats(password => 'UpdOldPassw0rd', reason => 'before the update',
    channel_id => 'demo', include_messages => true));
SELECT csstats.export_chats_to_file(filename => 'upd_old-pre-chats.xlsx', password => 'UpdOldPassw0rd',
    reason => 'before the update', channel_id => 'demo');
SET ROLE $role;
SELECT csstats.export_chats_to_file(filename => 'upd_old-pre-exporter.xlsx', password_name => 'upd_stored',
    reason => 'before the update, scheduled', channel_id => 'demo', include_messages => true);
RESET ROLE;
SQL
then ok "0.1.0 database: 3 exports with the current library"
else bad "0.1.0 database: 3 exports with the current library" "$(cat "$work/exports.err")"; fi

# Decrypts an export with the stored password; checks the chats sheet and the
# message sheet are there.
decrypts() {
    "$PY" - "$1" "$stored_pw" <<'PY'
import io, sys, msoffcrypto, openpyxl
f = msoffcrypto.OfficeFile(open(sys.argv[1], "rb"))
f.load_key(password=sys.argv[2])
out = io.BytesIO()
f.decrypt(out, verify_integrity=True)
wb = openpyxl.load_workbook(out, read_only=True)
assert wb.sheetnames[0] == "UserChat data" and "Message data" in wb.sheetnames, wb.sheetnames
assert wb["UserChat data"].max_row == 301, wb["UserChat data"].max_row
PY
}

# Data: per table, the columns it has now (the update may add columns; the
# rows must keep their values in the old ones).  Sequences: their state.
q -d $old >"$work/columns" <<'SQL'
SELECT c.relname || ' ' || CASE WHEN c.relkind = 'S' THEN 'last_value, is_called'
    ELSE string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) END
FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE c.relnamespace = 'csstats'::regnamespace AND c.relkind IN ('r', 'p', 'S')
GROUP BY c.relname, c.relkind ORDER BY 1;
SQL
checksums() {
    local tbl cols
    while read -r tbl cols; do
        printf '%s ' "$tbl"
        q -d "$1" -c "SELECT count(*) || ' ' || md5(coalesce(string_agg(r, E'\n' ORDER BY r), ''))
            FROM (SELECT ROW($cols)::text AS r FROM csstats.$tbl) s" 2>&1 | head -n 1 || true
    done <"$work/columns"
}
# The exporting role's privileges on the extension's objects, and its roles.
role_grants() {
    q -d "$1" <<SQL
SELECT kind || ' ' || object || ': ' || privilege_type FROM (
    SELECT 'schema' AS kind, n.nspname::text AS object, a.privilege_type, a.grantee
    FROM pg_namespace n, aclexplode(n.nspacl) a WHERE n.nspname = 'csstats'
    UNION ALL
    SELECT 'relation', c.oid::regclass::text, a.privilege_type, a.grantee
    FROM pg_class c, aclexplode(c.relacl) a WHERE c.relnamespace = 'csstats'::regnamespace
    UNION ALL
    SELECT 'column', c.oid::regclass::text || '.' || at.attname, a.privilege_type, a.grantee
    FROM pg_class c JOIN pg_attribute at ON at.attrelid = c.oid, aclexplode(at.attacl) a
    WHERE c.relnamespace = 'csstats'::regnamespace
    UNION ALL
    SELECT 'function', p.oid::regprocedure::text, a.privilege_type, a.grantee
    FROM pg_proc p, aclexplode(p.proacl) a WHERE p.pronamespace = 'csstats'::regnamespace
    UNION ALL
    SELECT 'member of', m.roleid::regrole::text, 'MEMBER', m.member FROM pg_auth_members m
) g
WHERE g.grantee = '$role'::regrole
ORDER BY 1;
SQL
}
checksums $old >"$work/data.before"
# The update re-signs the export functions (include_summary, a last boolean:
# section "summary sheet") and must grant EXECUTE on the new ones as on the old.
role_grants $old | sed -E 's/^(function (csstats\.)?export_c(hats|ases)(_to_file)?\(.*)\): EXECUTE$/\1,boolean): EXECUTE/' \
    >"$work/grants.before"
q -d $old -c "SELECT count(*) FILTER (WHERE NOT ok) || ' not ok of ' || count(*) FROM csstats.verify_audit()" >"$work/audit.before"

# --- the update ----------------------------------------------------------------
if q -d $old -c "ALTER EXTENSION csstats UPDATE" 2>"$work/update.err"; then
    ok "ALTER EXTENSION csstats UPDATE"
else
    bad "ALTER EXTENSION csstats UPDATE" "$(cat "$work/update.err")"
fi
v=$(q -d $old -c "SELECT extversion FROM pg_extension WHERE extname = 'csstats'")
[ "$v" = "$current" ] && ok "updated to $current" || bad "updated to $current" "version $v"

checksums $old >"$work/data.after"
changed=$(diff "$work/data.before" "$work/data.after" | sed -n 's/^> \([^ ]*\) .*/\1/p' || true)
unexpected=
for t in $changed; do
    if printf '%s\n' "${DATA_CHANGED_BY_UPDATE[@]}" | grep -qx "$t\( .*\)\?"; then
        echo "data of $t changed by the update (listed in DATA_CHANGED_BY_UPDATE)"
    else
        unexpected="$unexpected $t"
    fi
done
if [ -z "$unexpected" ]; then
    ok "data unchanged: $(wc -l <"$work/data.before") tables and sequences"
else
    bad "data unchanged" "changed:$unexpected"
    diff "$work/data.before" "$work/data.after" || true
fi
role_grants $old >"$work/grants.after"
if [ -s "$work/grants.before" ] && diff "$work/grants.before" "$work/grants.after"; then
    ok "grants of $role kept ($(wc -l <"$work/grants.before") privileges)"
else
    bad "grants of $role kept"
fi
# The grants the update re-applied to the re-created export functions are the
# database's, not the extension's: pg_dump writes them out (it leaves out what
# pg_init_privs holds), also for a role whose name needs quoting.
pg_dump -s -d $old -f "$work/old.schema.sql"
if grep -q "^GRANT ALL ON FUNCTION csstats\.export_chats(.*include_summary boolean) TO $role;" "$work/old.schema.sql" \
    && grep -q "^GRANT ALL ON FUNCTION csstats\.export_chats(.*include_summary boolean) TO \"$qrole\";" "$work/old.schema.sql"; then
    ok "pg_dump of the updated database carries the export grants (two roles, one quoted)"
else
    bad "pg_dump of the updated database carries the export grants" "$(grep -n 'ON FUNCTION csstats.export_chats' "$work/old.schema.sql")"
fi
audit=$(q -d $old -c "SELECT count(*) FILTER (WHERE NOT ok) || ' not ok of ' || count(*) FROM csstats.verify_audit()")
[ "$audit" = "0 not ok of 3" ] && [ "$(cat "$work/audit.before")" = "$audit" ] \
    && ok "verify_audit: the 0.1.0 chain is intact" || bad "verify_audit" "before: $(cat "$work/audit.before"), after: $audit"

# --- the catalog equals a fresh install's --------------------------------------
q -d $new -c "CREATE EXTENSION csstats"
setup_db $new
snap() { q -v ignore_role="$role" -d "$1" -f "$snapshot"; }
snap $old >"$work/old.catalog"
snap $new >"$work/new.catalog"
n=$(wc -l <"$work/new.catalog")
if [ "$n" -gt 1000 ] && diff -u "$work/new.catalog" "$work/old.catalog" >"$work/catalog.diff"; then
    ok "catalog of the updated database equals a fresh install ($n properties)"
else
    bad "catalog of the updated database equals a fresh install" "(- fresh install, + updated; $n properties)"
    head -n 200 "$work/catalog.diff"
fi

# --- every function works, as in a fresh install ------------------------------
complete=1
for db in $old $new; do
    q -v tag=$db -v exporter="$role" -d $db -f "$calls" >"$work/$db.calls" 2>"$work/$db.calls.err" || true
    if grep -qx "calls: done" "$work/$db.calls"; then
        ok "every call ran in $db"
    else
        complete=0
        bad "every call ran in $db" "$(tail -n 5 "$work/$db.calls.err")"
    fi
done
diff -u "$work/$new.calls" "$work/$old.calls" >"$work/calls.diff" || true
if [ $complete = 1 ] && [ ! -s "$work/calls.diff" ]; then
    ok "every call gives the fresh install's result ($(wc -l <"$work/$old.calls") results)"
else
    bad "every call gives the fresh install's result" "(- fresh install, + updated)"
    head -n 100 "$work/calls.diff"
fi
# self-test: the data checksums see rows: the calls added audit rows
checksums $old >"$work/data.calls"
{ diff "$work/data.after" "$work/data.calls" || true; } | grep -q '^> export_audit ' \
    && ok "self-test: the checksum of export_audit changed with the calls' exports" \
    || bad "self-test: the checksum of export_audit changed with the calls' exports"
# the catalog's functions against the calls' "-- covers:" lines
sed -n 's/^-- covers\( (raises)\)\?: //p' "$calls" | sort -u >"$work/covered"
q -d $new -c "SELECT p.oid::regprocedure FROM pg_proc p
    WHERE p.pronamespace = 'csstats'::regnamespace
       OR p.oid IN (SELECT objid FROM pg_depend WHERE classid = 'pg_proc'::regclass AND deptype = 'e'
                    AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'csstats'))
    ORDER BY 1" | sort -u >"$work/functions"
missing=$(comm -23 "$work/functions" "$work/covered")
stale=$(comm -13 "$work/functions" "$work/covered")
if [ -z "$missing" ] && [ -z "$stale" ]; then
    ok "every function of the extension is called ($(wc -l <"$work/functions") in pg_proc)"
else
    [ -z "$missing" ] || bad "functions without a call in $calls" "$(echo; echo "$missing")"
    [ -z "$stale" ] || bad "'-- covers:' lines naming no function of the extension" "$(echo; echo "$stale")"
fi
sed -n 's/^-- covers (raises): /not called: /p' "$calls" | sort -u >"$work/raises"
notcalled=$(grep '^not called: ' "$work/$old.calls" | grep -vxF -f "$work/raises" || true)
[ $complete = 1 ] && [ -z "$notcalled" ] && ok "track_functions counted a call of every C and PL/pgSQL function" \
    || bad "functions never called" "$(echo; echo "$notcalled")"
expect() {
    grep -qxF "$1" "$work/$old.calls" && ok "updated: $1" || bad "updated: $1" "$(grep -F "${1%%:*}:" "$work/$old.calls" | head -n 1)"
}
expect "verify_audit: 0 not ok"
expect "_export_audit_hash: true"
expect "parallel chat_metrics plan: partial true, workers true"
expect "parallel approx_percentile plan: partial true, workers true"
expect "export_chats xlsx: d0cf11e0a1b11ae1"
expect "export_cases json: 504b0304"
expect "exporter export_chats: d0cf11e0a1b11ae1"
expect "exporter export_chats_to_file: true"
serial=$(sed -n 's/^chat_metrics(row, as_of): //p' "$work/$old.calls")
parallel=$(sed -n 's/^parallel chat_metrics(row, as_of): //p' "$work/$old.calls")
[ -n "$serial" ] && [ "$serial" = "$parallel" ] && ok "parallel chat_metrics equal the serial ones" \
    || bad "parallel chat_metrics equal the serial ones" "$serial / $parallel"
grep -q "^exporter audit: $role upd_stored " "$work/$old.calls" \
    && ok "audit: the exporter's export used the stored password" || bad "audit of the exporter's export"
for f in upd_old-pre-exporter.xlsx upd_old-exporter.xlsx; do
    if decrypts "$xdir/$f"; then
        ok "$f decrypts with the stored password"
    else
        bad "$f decrypts with the stored password"
    fi
done

# --- self-test: the catalog comparison sees small changes ---------------------
# Each change runs in a rolled-back transaction of the fresh database; the
# diff against its snapshot must show the named property.  A dropped column
# must not show (its attnum stays taken, the live columns keep their order).
selftest() {
    local want=$1 change=$2 out
    out=$(printf 'BEGIN;\nSET client_min_messages = warning;\n%s\n\\i %s\nROLLBACK;\n' "$change" "$snapshot" \
        | q -v ignore_role="$role" -d $new 2>&1 | diff "$work/new.catalog" - || true)
    if [ "$want" = "(none)" ]; then
        [ -z "$out" ] && ok "self-test: no difference after: $change" \
            || bad "self-test: no difference after: $change" "$(echo; echo "$out" | head -n 10)"
    elif grep -q -- "$want" <<<"$out"; then
        ok "self-test: '$want' differs after: $change"
    else
        bad "self-test: '$want' differs after: $change" "$(echo; echo "$out" | head -n 10)"
    fi
}
selftest "| comment | x" "COMMENT ON FUNCTION csstats.export_header(text, text) IS 'x';"
selftest "| volatility | v" "ALTER FUNCTION csstats.business_seconds(timestamptz, timestamptz, text) VOLATILE;"
selftest "| config |" "ALTER FUNCTION csstats.is_operating(timestamptz, text) SET work_mem = '1MB';"
selftest "| parallel | r" "ALTER FUNCTION csstats._metrics_serial(internal) PARALLEL RESTRICTED;"
selftest "| body |" "CREATE OR REPLACE FUNCTION csstats._is_json_object(j jsonb) RETURNS boolean LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE RETURN pg_catalog.jsonb_typeof(j) OPERATOR(pg_catalog.=) 'array';"
selftest "| owner | $role" "ALTER FUNCTION csstats.chat_url(text, text, text) OWNER TO $role;"
selftest "| acl | PUBLIC: SELECT" "GRANT SELECT ON csstats.export_audit TO PUBLIC;"
selftest "| member | function csstats.export_header" "ALTER EXTENSION csstats DROP FUNCTION csstats.export_header(text, text);"
selftest "| config dump csstats.bots |" "ALTER EXTENSION csstats DROP TABLE csstats.bots;"
selftest "| default | 'x'::text" "ALTER TABLE csstats.channels ALTER COLUMN name SET DEFAULT 'x';"
selftest "| not null | false" "ALTER TABLE csstats.channels ALTER COLUMN chat_url_template DROP NOT NULL;"
selftest "| type | character varying(200)" "ALTER TABLE csstats.holidays ALTER COLUMN name TYPE varchar(200);"
selftest "| position |" "ALTER TABLE csstats.channels ADD COLUMN upd_selftest integer;"
selftest "| position |" "ALTER TYPE csstats.chat_filter ADD ATTRIBUTE upd_selftest integer;"
selftest "(none)" "ALTER TABLE csstats.channels ADD COLUMN upd_selftest integer; ALTER TABLE csstats.channels DROP COLUMN upd_selftest;"
selftest "| definition | CHECK" "ALTER TABLE csstats.channels ADD CONSTRAINT upd_selftest CHECK (id <> '');"
selftest "| index definition |" "CREATE INDEX upd_selftest ON csstats.channels (name);"
selftest "| enabled | D" "ALTER TABLE csstats.holidays DISABLE TRIGGER calendar_changed;"
selftest "| row security | true" "ALTER TABLE csstats.bots ENABLE ROW LEVEL SECURITY;"
selftest "policy upd_selftest" "CREATE POLICY upd_selftest ON csstats.bots USING (true);"
selftest "| options | {security_barrier=true}" "ALTER VIEW csstats.timeline SET (security_barrier = true);"

# --- the library keeps every symbol an SQL script names -----------------------
so=$("$PG_CONFIG" --pkglibdir)/csstats.so
nm -D --defined-only "$so" | awk '$2 == "T" { print $3 }' | sort -u >"$work/exported"
# Checks the symbols the given SQL scripts name (AS 'MODULE_PATHNAME',
# 'csstats_x'), each with the pg_finfo_ record PG_FUNCTION_INFO_V1 makes.
# Sets $syms and $refs (counts) and $unresolved: missing symbols, and
# scripts with a 'MODULE_PATHNAME' whose symbol could not be read.
symbol_check() {
    local f n_ref n_sym s
    unresolved= refs=0
    : >"$work/referenced"
    for f in "$@"; do
        n_ref=$(grep -o "'MODULE_PATHNAME'" "$f" | wc -l || true)
        { grep -ozP "'MODULE_PATHNAME'\s*,\s*'\K[A-Za-z_][A-Za-z0-9_]*(?=')" "$f" || true; } \
            | tr '\0' '\n' | sed '/^$/d' >"$work/syms"
        n_sym=$(wc -l <"$work/syms")
        [ "$n_ref" = "$n_sym" ] || unresolved="$unresolved $f: $n_ref references but $n_sym symbols;"
        refs=$((refs + n_ref))
        cat "$work/syms" >>"$work/referenced"
    done
    sort -u "$work/referenced" -o "$work/referenced"
    while read -r s; do
        grep -qx "$s" "$work/exported" || unresolved="$unresolved $s"
        grep -qx "pg_finfo_$s" "$work/exported" || unresolved="$unresolved pg_finfo_$s"
    done <"$work/referenced"
    syms=$(wc -l <"$work/referenced")
}
# the committed scripts (outside a git checkout: all of them)
scripts=$(git ls-files 'sql/csstats--*.sql' 'sql/install/*.sql' 2>/dev/null \
    || ls sql/csstats--*.sql sql/install/*.sql)
symbol_check $scripts
if [ "$syms" -gt 0 ] && grep -q "csstats--0.1.0.sql" <<<"$scripts" && [ -z "$unresolved" ]; then
    ok "csstats.so exports the $syms C functions (and their pg_finfo_) named by $(wc -w <<<"$scripts") SQL scripts ($refs references)"
else
    bad "csstats.so exports every C function an SQL script names" "$unresolved"
fi
# self-test: a symbol the library lacks, and a reference without a symbol
printf "CREATE FUNCTION csstats.f() RETURNS int AS 'MODULE_PATHNAME', 'csstats_upd_no_such_symbol' LANGUAGE C;\n" >"$work/fake1.sql"
printf "CREATE FUNCTION csstats.g() RETURNS int AS 'MODULE_PATHNAME' LANGUAGE C;\n" >"$work/fake2.sql"
symbol_check "$work/fake1.sql" "$work/fake2.sql"
case "$unresolved" in
    *"fake2.sql: 1 references but 0 symbols;"*" csstats_upd_no_such_symbol pg_finfo_csstats_upd_no_such_symbol")
        ok "self-test: a missing symbol and an unreadable reference are reported" ;;
    *) bad "self-test: a missing symbol and an unreadable reference are reported" "$unresolved" ;;
esac

done=1
echo "update: $pass passed, $fail failed"
[ $fail -eq 0 ]
