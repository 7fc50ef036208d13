#!/usr/bin/python3
"""Export passwords and the server log (run with /usr/bin/python3).

psycopg 3 with server-side bind parameters and prepared statements
(prepare=True), as an unprivileged exporting role whose statements the
server logs (ALTER ROLE ... SET, so nothing else of the cluster changes):

  log_min_duration_statement = 0, then log_statement = 'all':
    generated password (chats XLSX, cases JSON, chats server file) and a
    stored password (password_name): the log shows the statements and their
    parameters, never a password; every file opens with the returned or
    stored password.  An inline password draws the WARNING and is in the log
    (written at Bind or Execute, before the export runs: what the WARNING is
    about, and the proof that this check finds a logged password).
  log_min_duration_statement = 500 and a statement that sleeps 0.6 s:
    the execute step's duration line of an inline-password export carries no
    parameters (the export set log_parameter_max_length = 0 for its
    transaction), while the same line of another statement, before and
    after, does.

    password_logs.py DB CHANNEL       prints "name: ok" / "name: FAIL ..."

Exit status 0 when every check passed.
"""
import datetime
import os
import re
import sys

import psycopg

from export_e2e import decrypt_xlsx, unzip_json  # the end-to-end checks' readers

ROLE = "csstats_pl_exporter"
INLINE = "InlinePassw0rdLogCheck"
STORED = "StoredPassw0rdLogCheck"
STORED_NAME = "pl_stored"
WARNING = "the export password may be written to the server log"
LOG = os.path.join(os.environ.get("CSSTATS_RUN", ""), "server.log")

results = []


def check(name, cond, detail=""):
    results.append((name, bool(cond)))
    print(f"{name}: {'ok' if cond else 'FAIL ' + detail}", flush=True)
    return cond


def log_size():
    return os.path.getsize(LOG)


def log_since(start):
    with open(LOG, "rb") as f:
        f.seek(start)
        return f.read().decode("utf-8", "replace")


def opens_xlsx(data, password):
    try:
        return len(decrypt_xlsx(data, password)) > 0
    except Exception:
        return False


def setup(db, channel):
    su = psycopg.connect(dbname=db, autocommit=True)
    su.execute("SET client_min_messages = warning")
    su.execute("SELECT csstats.generate_demo(%s, 30, 5)", (channel,))
    su.execute(f"DROP ROLE IF EXISTS {ROLE}")
    su.execute(f"CREATE ROLE {ROLE} LOGIN")
    su.execute(f"GRANT USAGE ON SCHEMA csstats TO {ROLE}")
    su.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA csstats TO {ROLE}")
    su.execute(f"REVOKE SELECT ON csstats.export_passwords FROM {ROLE}")
    su.execute(f"""GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA csstats TO {ROLE}""")
    su.execute(f"GRANT pg_write_server_files TO {ROLE}")
    # stored while this session logs no parameters
    su.execute("SET log_parameter_max_length = 0")
    su.execute("SELECT csstats.set_export_password(name => %s, password => %s, usable_by => %s)",
               (STORED_NAME, STORED, ROLE))
    return su


def exporter(db, setting, value):
    """A new session of the exporting role with the logging setting in force."""
    su = psycopg.connect(dbname=db, autocommit=True)
    su.execute(f"ALTER ROLE {ROLE} RESET ALL")
    if setting:
        su.execute(f"ALTER ROLE {ROLE} SET {setting} = {value}")
    su.close()
    conn = psycopg.connect(dbname=db, user=ROLE, autocommit=True)
    notices = []
    # a Diagnostic is only valid inside the handler: keep its fields
    conn.add_notice_handler(lambda d: notices.append(
        (d.severity_nonlocalized, d.message_primary, d.message_detail or "", d.message_hint or "")))
    return conn, notices


def warnings(notices):
    return [n for n in notices if n[0] == "WARNING"]


def logged_routes(db, channel, since, until, setting, value):
    label = f"{setting} = {value}"
    conn, notices = exporter(db, setting, value)
    check(f"{label}: in force", conn.execute(f"SHOW {setting}").fetchone()[0] == value.strip("'"))
    start = log_size()
    generated = []

    # the generated route: nothing secret is sent
    row = conn.execute("""SELECT generated_password, file FROM csstats.export_chats(
            password => %s, generate_password => %s, reason => %s, channel_id => %s,
            since => %s, until => %s, include_messages => %s)""",
                       (None, True, "log check: generated", channel, since, until, True),
                       prepare=True).fetchone()
    generated.append(row[0])
    check(f"{label}: generated chats password is 24 letters and digits",
          re.fullmatch(r"[A-Za-z0-9]{24}", row[0]) is not None)
    check(f"{label}: generated chats file opens with it", opens_xlsx(row[1], row[0]))
    check(f"{label}: and not with another", not opens_xlsx(row[1], row[0][:-1] + ("A" if row[0][-1] != "A" else "B")))

    row = conn.execute("""SELECT generated_password, file FROM csstats.export_cases(
            generate_password => %s, reason => %s, channel_id => %s, since => %s, until => %s,
            format => %s)""", (True, "log check: generated json", channel, since, until, "json"),
                       prepare=True).fetchone()
    generated.append(row[0])
    doc, _files = unzip_json(row[1], row[0])
    check(f"{label}: generated cases JSON opens with it (7z)",
          isinstance(doc, dict) and "UserChatCase data" in doc, str(_files))

    row = conn.execute("""SELECT audit_id, generated_password FROM csstats.export_chats_to_file(
            generate_password => %s, reason => %s, channel_id => %s, since => %s, until => %s)""",
                       (True, "log check: generated file", channel, since, until),
                       prepare=True).fetchone()
    generated.append(row[1])
    dest = conn.execute("SELECT destination FROM csstats.export_audit WHERE id = %s",
                        (row[0],)).fetchone()
    path = os.path.join(os.environ["CSSTATS_RUN"], "export", dest[0]) if dest and dest[0] else None
    data = open(path, "rb").read() if path and os.path.exists(path) else b""
    check(f"{label}: generated server file opens with it", opens_xlsx(data, row[1]), str(dest))

    # the stored route
    data = conn.execute("""SELECT csstats.export_chats(password_name => %s, reason => %s,
            channel_id => %s, since => %s, until => %s)""",
                        (STORED_NAME, "log check: stored", channel, since, until),
                        prepare=True).fetchone()[0]
    check(f"{label}: stored-password file opens with it", opens_xlsx(data, STORED))
    check(f"{label}: no WARNING on the generated and stored routes", not warnings(notices),
          str(notices))

    # the inline route: a WARNING, and the password is in the log
    data = conn.execute("""SELECT csstats.export_chats(password => %s, reason => %s,
            channel_id => %s, since => %s, until => %s)""",
                        (INLINE, "log check: inline", channel, since, until),
                        prepare=True).fetchone()[0]
    w = warnings(notices)
    check(f"{label}: inline password draws the WARNING", len(w) == 1 and w[0][1] == WARNING
          and setting in w[0][2] and "generate_password" in w[0][3], str(w))
    check(f"{label}: inline-password file opens", opens_xlsx(data, INLINE))
    conn.close()

    text = log_since(start)
    check(f"{label}: the log has the export statements with their parameters",
          "csstats.export_chats_to_file(" in text and "parameters: $1 = 't'" in text
          and f"'{STORED_NAME}'" in text, text[-2000:])
    leaked = [p for p in generated if p in text]
    check(f"{label}: no generated password in the log", not leaked, f"{len(leaked)} found")
    check(f"{label}: the stored password not in the log", STORED not in text)
    check(f"{label}: the WARNING is in the log, without the password",
          WARNING in text and all(INLINE not in line for line in text.splitlines() if WARNING in line))
    check(f"{label}: the inline password is in the log (written before the export runs)",
          INLINE in text)


def execute_line_details(text, marker):
    """The DETAIL entry after each 'duration: ... execute ...' entry containing marker
    ("" when none follows).  An entry starts with the log_line_prefix time stamp
    and continues over the statement's lines."""
    entries = re.split(r"\n(?=\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)", text)
    out = []
    for i, e in enumerate(entries):
        m = re.search(r"(\[\d+\]) LOG:  duration: [0-9.]+ ms  execute ", e)
        if m and marker in e:
            # the same backend's next entry (other processes may log in between)
            nxt = next((x for x in entries[i + 1:] if m.group(1) in x.split("\n")[0]), "")
            out.append(nxt if "DETAIL:" in nxt.split("\n")[0] else "")
    return out


def slow_execute(db, channel, since, until):
    label = "log_min_duration_statement = 500"
    conn, notices = exporter(db, "log_min_duration_statement", "500")
    start = log_size()
    conn.execute("SELECT %s::text AS before_marker FROM pg_catalog.pg_sleep(0.6)",
                 ("MarkerBefore",), prepare=True).fetchone()
    data = conn.execute("""SELECT csstats.export_chats(password => %s, reason => %s,
            channel_id => %s, since => %s, until => %s) AS slow_export
            FROM pg_catalog.pg_sleep(0.6)""",
                        (INLINE, "log check: slow", channel, since, until),
                        prepare=True).fetchone()[0]
    conn.execute("SELECT %s::text AS after_marker FROM pg_catalog.pg_sleep(0.6)",
                 ("MarkerAfter",), prepare=True).fetchone()
    check(f"{label}: inline password draws the WARNING",
          [n[1] for n in warnings(notices)] == [WARNING], str(notices))
    check(f"{label}: inline-password file opens", opens_xlsx(data, INLINE))
    conn.close()
    text = log_since(start)
    before = execute_line_details(text, "before_marker")
    export = execute_line_details(text, "slow_export")
    after = execute_line_details(text, "after_marker")
    check(f"{label}: another statement's execute line carries its parameters",
          len(before) == 1 and "MarkerBefore" in before[0], str(before))
    check(f"{label}: the export's execute line is logged without parameters",
          len(export) == 1 and "parameters:" not in export[0] and INLINE not in export[0], str(export))
    check(f"{label}: the next transaction's parameters are logged again",
          len(after) == 1 and "MarkerAfter" in after[0], str(after))


def run(db, channel):
    su = setup(db, channel)
    since = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)
    until = datetime.datetime(2100, 1, 1, tzinfo=datetime.timezone.utc)
    try:
        # cases need a range of at most 6 months: take the demo's first months
        lo = su.execute("SELECT min(created_at) FROM csstats.user_chats WHERE channel_id = %s",
                        (channel,)).fetchone()[0]
        case_since, case_until = lo, lo + datetime.timedelta(days=150)
        for setting, value in (("log_min_duration_statement", "0"), ("log_statement", "'all'")):
            logged_routes(db, channel, case_since, case_until, setting, value)
        slow_execute(db, channel, since, until)
    finally:
        su.execute(f"ALTER ROLE {ROLE} RESET ALL")
        su.execute("DROP OWNED BY " + ROLE)
        su.execute("DROP ROLE " + ROLE)
    failed = [n for n, ok in results if not ok]
    print(f"password_logs: {len(results) - len(failed)} passed, {len(failed)} failed")
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(run(sys.argv[1], sys.argv[2]))
