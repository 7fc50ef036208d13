#!/usr/bin/env bash
# A real pg_cron job (Debian's pg_cron 1.4.2, minute granularity, background
# workers) runs export_chats_to_file as an unprivileged role holding only the
# documented grants, naming a stored password: the test waits for the minute
# tick, then checks the run succeeded, the audit row, that the file decrypts
# with the stored password, and that no cron table holds the password.
set -euo pipefail
cd "$CSSTATS_SRC"
db=csstats_cron
role=csstats_cron_exporter
pw=Nightly2025CronPw
pass=0 fail=0
ok() { echo "$1: ok"; pass=$((pass + 1)); }
bad() { echo "$1: FAIL ${2:-}"; fail=$((fail + 1)); }
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" 2>/dev/null
q -d postgres -c "CREATE DATABASE $db"
q -d postgres -c "SET client_min_messages = warning; CREATE EXTENSION IF NOT EXISTS pg_cron"
q -d postgres -c "DROP ROLE IF EXISTS $role" 2>/dev/null
q -d "$db" >/dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION csstats;
SELECT count(*) FROM csstats.generate_demo('demo', 200, 5);
-- the documented grants of an exporting role (README)
CREATE ROLE $role LOGIN;
BEGIN;
GRANT USAGE ON SCHEMA csstats TO $role;
GRANT SELECT ON ALL TABLES IN SCHEMA csstats TO $role;
REVOKE SELECT ON csstats.export_passwords FROM $role;
GRANT EXECUTE ON FUNCTION csstats.export_chats_to_file(text, text, text, timestamptz, timestamptz,
    text, boolean, text, text, jsonb, timestamptz, text, boolean) TO $role;
GRANT pg_write_server_files TO $role;
COMMIT;
-- the stored password, as the README stores it (encrypted with the cluster's key file)
SET log_statement = 'none';
SET log_min_duration_statement = -1;
SET log_min_error_statement = 'panic';
SELECT csstats.set_export_password('nightly', '$pw', '$role');
SQL
cmd="SELECT csstats.export_chats_to_file(password_name => 'nightly', reason => 'nightly export (pg_cron)', channel_id => 'demo', include_messages => true)"
jobid=$(q -d postgres -c "SELECT cron.schedule_in_database('csstats-export-test', '* * * * *', \$cmd\$$cmd\$cmd\$, '$db', '$role')")
echo "scheduled job $jobid; waiting for the minute tick (up to 150 s on a slow machine)"
status=
for _ in $(seq 1 150); do
    status=$(q -d postgres -c "SELECT status FROM cron.job_run_details WHERE jobid = $jobid AND status IN ('succeeded', 'failed') ORDER BY runid LIMIT 1")
    [ -n "$status" ] && break
    sleep 1
done
q -d postgres -c "SELECT cron.unschedule($jobid)" >/dev/null
msg=$(q -d postgres -c "SELECT return_message FROM cron.job_run_details WHERE jobid = $jobid ORDER BY runid LIMIT 1")
[ "$status" = succeeded ] && ok "cron job ran and succeeded" || bad "cron job ran and succeeded" "status='$status' message='$msg'"

row=$(q -d "$db" -F '|' -c "SELECT destination, sha256, bytes, \"current_user\", coalesce(password_name, '') FROM csstats.export_audit WHERE reason = 'nightly export (pg_cron)' ORDER BY id DESC LIMIT 1")
IFS='|' read -r dest sha bytes who pwname <<<"$row"
[ -n "$dest" ] && [ "$who" = "$role" ] && [ "$pwname" = nightly ] \
    && ok "audit row: run as $role with stored password 'nightly'" || bad "audit row" "$row"
xdir=$(q -d "$db" -c "SHOW csstats.export_directory")
if [ -n "$dest" ] && [ -f "$xdir/$dest" ]; then
    ok "file $dest written"
    [ "$(sha256sum "$xdir/$dest" | cut -d' ' -f1)" = "$sha" ] && [ "$(stat -c %s "$xdir/$dest")" = "$bytes" ] \
        && ok "file matches the audit row" || bad "file matches the audit row"
    [ "$(stat -c %a "$xdir/$dest")" = 600 ] && ok "file mode 0600" || bad "file mode 0600"
    if "$PY" - "$xdir/$dest" "$pw" <<'PY'
import io, sys, msoffcrypto, openpyxl
f = msoffcrypto.OfficeFile(open(sys.argv[1], "rb"))
f.load_key(password=sys.argv[2])
out = io.BytesIO()
f.decrypt(out, verify_integrity=True)
wb = openpyxl.load_workbook(out, read_only=True)
assert wb.sheetnames[0] == "UserChat data" and "Message data" in wb.sheetnames, wb.sheetnames
assert wb["UserChat data"].max_row == 201, wb["UserChat data"].max_row
PY
    then ok "file decrypts with the stored password (200 chats, Message data)"
    else bad "file decrypts with the stored password"; fi
else
    bad "file written" "$xdir/$dest"
fi
leak=$(q -d postgres -c "SELECT count(*) FROM cron.job WHERE command LIKE '%$pw%'")
leak2=$(q -d postgres -c "SELECT count(*) FROM cron.job_run_details WHERE command LIKE '%$pw%' OR return_message LIKE '%$pw%'")
[ "$leak" = 0 ] && [ "$leak2" = 0 ] && ok "cron tables never hold the password" || bad "cron tables hold the password"
if grep -q "$pw" "$CSSTATS_RUN/server.log"; then bad "server log never holds the password"; else ok "server log never holds the password"; fi

q -d postgres -c "DELETE FROM cron.job_run_details WHERE jobid = $jobid" >/dev/null
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db"
q -d postgres -c "DROP ROLE IF EXISTS $role"
echo "cron: $pass passed, $fail failed"
[ $fail -eq 0 ]
