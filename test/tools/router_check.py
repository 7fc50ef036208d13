#!/usr/bin/python3
"""Scale out by channel: the checks of test/suites/70_router.sh (run with /usr/bin/python3).

The suite has started two shard clusters (TLS only over TCP), made a
coordinator database with csstats_router and a single-node reference database
holding the same three channels; the environment names them (RT_*).  Checked:

  signatures    the coordinator's public functions have csstats' signatures
  reads         every proxied sheet function, business_seconds, is_operating and
                inbox_counts, through the coordinator, equal the single node and
                the shard
  exports       both exports (XLSX with messages, JSON; generated and given
                passwords) decrypt to what the single node exports
  audit         coordinator and shard rows agree (bytes, SHA-256, request id,
                caller); verify_audit is clean on all three; the coordinator's
                row survives the caller's ROLLBACK
  file exports  export_chats_to_file / export_cases_to_file: the file is on the
                shard's export directory, decrypts (as the single node's export),
                its SHA-256 equals the coordinator's and the shard's audit rows
  stored pw     password_name through the router is checked against the caller
                (its role on the shard), not the router role: the allowed caller
                exports, another is refused (42501) with denied rows on both sides
  definer       every SECURITY DEFINER function of the coordinator pins
                search_path and runs no dynamic SQL
  permissions   grants on the coordinator; a forged caller is refused on the
                coordinator and on the shard; manager/download-right refusals
                and limits as on one node, denied rows on both sides
  summary       daily_summary ON ALL shards equals the single node
  summary sheet include_summary through the coordinator: XLSX and JSON equal the
                single node's (but the generated-at time), the shard's file has
                it, the coordinator's audit row counts it
  unknown channel, shard down (clear error naming it, other shard works,
                recovers after restart)
  loading       a loader finds a new channel's shard (router_shard_of) and
                writes there; the coordinator reads it
  TLS           pg_stat_ssl on the shard shows the router's connections
                encrypted; a non-TLS TCP connection is refused
  logs          no password (the router's, generated, given) in any server log

Prints "name: ok" / "name: FAIL ..."; exit status 0 when every check passed.
"""
import datetime
import io
import json
import os
import subprocess
import sys

import openpyxl
import psycopg2

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export_e2e import decrypt_xlsx, unzip_json  # noqa: E402  the end-to-end checks' readers

ROOT = os.environ["RT_ROOT"]
COORD = os.environ["RT_COORD"]
REF = os.environ["RT_REF"]
SHARDS = {"shard1": int(os.environ["RT_SHARD1_PORT"]), "shard2": int(os.environ["RT_SHARD2_PORT"])}
ROUTER_PASSWORD = os.environ["RT_ROUTER_PASSWORD"]
SHARD_USER_PASSWORD = os.environ["RT_SHARD_USER_PASSWORD"]
STORED_PASSWORD = os.environ["RT_STORED_PASSWORD"]
INLINE_FILE = "RouterFilePassw0rd"
PGBIN = os.environ["PGBIN"]
CHANNELS = {"rt_c1": "shard1", "rt_c2": "shard1", "rt_c3": "shard2"}
AS_OF = datetime.datetime(2025, 7, 1, tzinfo=datetime.timezone.utc)
INLINE = "RouterInlinePassw0rd"
SHEETS = ["user_chat_sheet", "user_chat_case_sheet", "user_sheet", "user_sheet_profile_keys",
          "user_chat_meet_sheet", "user_chat_tag_sheet", "message_sheet", "manager_sheet",
          "team_sheet", "bot_sheet", "marketing_sheet", "workflow_sheet", "support_bot_sheet"]
# What csstats has and the coordinator offers with the same signature.
PROXIED = SHEETS + ["business_seconds", "is_operating", "inbox_counts", "export_chats", "export_cases",
                    "export_chats_to_file", "export_cases_to_file", "verify_audit", "daily_summary"]

results = []
generated_passwords = []


def check(name, cond, detail=""):
    results.append((name, bool(cond)))
    print(f"{name}: {'ok' if cond else 'FAIL ' + str(detail)[:600]}", flush=True)
    return cond


def coord(user="postgres"):
    c = psycopg2.connect(dbname=COORD, user=user)
    c.autocommit = True
    return c


def ref():
    c = psycopg2.connect(dbname=REF, user="postgres")
    c.autocommit = True
    return c


def shard(name, user="postgres"):
    c = psycopg2.connect(host=os.path.join(ROOT, name), port=SHARDS[name], dbname="csstats", user=user)
    c.autocommit = True
    return c


def q(conn, sql, args=()):
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall() if cur.description else None


def error_of(conn, sql, args=()):
    """(sqlstate, message first line) of the error a statement raises, or None."""
    try:
        q(conn, sql, args)
    except psycopg2.Error as e:
        return e.pgcode, e.pgerror.splitlines()[0] if e.pgerror else ""
    return None


def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True)


# --- signatures -------------------------------------------------------------
def check_signatures(c, r):
    sql = """SELECT p.proname, pg_get_function_arguments(p.oid), pg_get_function_result(p.oid)
             FROM pg_proc p WHERE p.pronamespace = 'csstats'::regnamespace AND p.proname = ANY (%s)
             ORDER BY 1, 2"""
    want = q(r, sql, (PROXIED,))
    got = q(c, sql, (PROXIED,))
    check(f"signatures: {len(want)} public functions as in csstats", got == want,
          set(want) ^ set(got))


# --- reads ------------------------------------------------------------------
def sheet(conn, func, channel, since=None, until=None, filters="{}"):
    return q(conn, f"SELECT * FROM csstats.{func}(%s, %s, %s, %s::jsonb, %s)",
             (channel, since, until, filters, AS_OF))


def check_reads():
    c, r = coord("rt_reader"), ref()
    shards = {n: shard(n) for n in SHARDS}
    variants = [(None, None, "{}"),
                (datetime.datetime(2025, 2, 1, tzinfo=datetime.timezone.utc),
                 datetime.datetime(2025, 4, 1, tzinfo=datetime.timezone.utc), '{"states": ["closed"]}')]
    for ch, sh in CHANNELS.items():
        total = 0
        for func in SHEETS:
            for since, until, filters in variants:
                got = sheet(c, func, ch, since, until, filters)
                want = sheet(r, func, ch, since, until, filters)
                direct = sheet(shards[sh], func, ch, since, until, filters)
                if not check(f"reads {ch} {func} {filters}: {len(got)} rows as single node and shard",
                             got == want == direct, f"{len(got)} {len(want)} {len(direct)}"):
                    pass
                total += len(got)
        check(f"reads {ch}: non-empty", total > 0, total)
        for since, until in [("2025-01-01", "2025-02-01"), ("2025-03-03 10:00+09", "2025-03-09")]:
            sql = "SELECT csstats.business_seconds(%s::timestamptz, %s::timestamptz, %s)"
            check(f"reads {ch} business_seconds {since}..{until}",
                  q(c, sql, (since, until, ch)) == q(r, sql, (since, until, ch)))
        sql = """SELECT array_agg(csstats.is_operating(t, %s) ORDER BY t)
                 FROM generate_series('2025-03-01'::timestamptz, '2025-03-08', '1 hour') t"""
        got, want = q(c, sql, (ch,)), q(r, sql, (ch,))
        check(f"reads {ch} is_operating over a week", got == want and True in got[0][0], got)
        # the inbox now (current rows, through their indexes) and replayed at
        # a past as_of with a 90-day closed window
        for args in [(ch,), (ch, datetime.datetime(2025, 4, 15, tzinfo=datetime.timezone.utc), 90)]:
            sql = f"SELECT * FROM csstats.inbox_counts({', '.join(['%s'] * len(args))}) ORDER BY 1, 2, 3, 4"
            got, want, direct = q(c, sql, args), q(r, sql, args), q(shards[sh], sql, args)
            check(f"reads {ch} inbox_counts{'' if len(args) == 1 else ' as of 2025-04-15, 90 days'}: "
                  f"{len(got)} rows as single node and shard",
                  got == want == direct and any(row[3] == "open" and row[4] > 0 for row in got),
                  f"{len(got)} {len(want)} {len(direct)}")


def check_summary():
    c, r = coord("rt_reader"), ref()
    sql = "SELECT * FROM csstats.daily_summary('2024-10-01', '2025-07-01', %s)"
    got, want = q(c, sql, (AS_OF,)), q(r, sql, (AS_OF,))
    chans = {row[0] for row in got}
    check(f"summary: daily_summary ON ALL shards: {len(got)} rows of {len(chans)} channels as single node",
          got == want and chans == set(CHANNELS) and all(row[3] is not None for row in got[:5]),
          [x for x in set(got) ^ set(want)][:3])


def check_loading():
    """A loader places a new channel, asks the coordinator where it lives and writes there."""
    p = coord()
    q(p, "SELECT csstats.router_place_channel('rt_c4', 'shard2')")
    shard_name, conninfo = q(p, "SELECT shard, conninfo FROM csstats.router_shard_of('rt_c4')")[0]
    check("loading: router_shard_of names the shard and its conninfo",
          shard_name == "shard2" and f"port={SHARDS['shard2']}" in conninfo, (shard_name, conninfo))
    # the loader connects with that conninfo (TLS, its own role) and writes the channel's rows
    env = dict(os.environ, PGPASSWORD=SHARD_USER_PASSWORD)
    r_ = subprocess.run(["psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", conninfo + " user=rt_shard_user",
                         "-c", "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"],
                        capture_output=True, text=True, env=env)
    check("loading: the loader reaches the shard with the directory's conninfo (TLS)",
          r_.returncode == 0 and r_.stdout.strip() == "t", r_.stderr)
    q(shard(shard_name), "SELECT count(*) FROM csstats.generate_demo('rt_c4', 120, 14)")
    n = q(coord("rt_reader"), "SELECT count(*) FROM csstats.user_chat_sheet('rt_c4', as_of => %s)", (AS_OF,))[0][0]
    direct = q(shard(shard_name), "SELECT count(*) FROM csstats.user_chat_sheet('rt_c4', as_of => %s)", (AS_OF,))[0][0]
    check(f"loading: the loaded channel reads through the coordinator ({n} chats)", n == direct and n > 0, (n, direct))
    err = error_of(p, "SELECT csstats.router_place_channel('rt_c4', 'shard1')")
    check("loading: a placed channel does not silently move", err and err[0] == "0A000", err)
    err = error_of(p, "SELECT csstats.router_place_channel('rt_c5', 'shard9')")
    check("loading: placing on an unknown shard is refused", err and err[0] == "42704", err)
    err = error_of(p, "SELECT csstats.router_add_shard('shard3', 'host=127.0.0.1 password=x')")
    check("loading: a shard conninfo with a password is refused", err and err[0] == "22023", err)


# --- exports ----------------------------------------------------------------
def workbook_values(plain):
    wb = openpyxl.load_workbook(io.BytesIO(plain), read_only=True)
    return {ws.title: [tuple(row) for row in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


def export_chats_generated(conn, ch, **kw):
    r = q(conn, """SELECT g.generated_password, g.file FROM csstats.export_chats(
                   generate_password => true, reason => %s, channel_id => %s,
                   include_messages => true, as_of => %s, manager_id => %s,
                   include_summary => %s) g""",
          (kw.get("reason", "router suite"), ch, AS_OF, kw.get("manager_id"),
           kw.get("include_summary", False)))[0]
    generated_passwords.append(r[0])
    return r[0], bytes(r[1])


def export_cases_generated(conn, ch, include_summary=False):
    r = q(conn, """SELECT g.generated_password, g.file FROM csstats.export_cases(
                   generate_password => true, reason => 'router suite', channel_id => %s,
                   since => '2025-01-01', until => '2025-06-30', format => 'json', as_of => %s,
                   include_summary => %s) g""",
          (ch, AS_OF, include_summary))[0]
    generated_passwords.append(r[0])
    return r[0], bytes(r[1])


def without_generated_at(v):
    """An export's values but the Summary's "generated at" (the moment of
    each export, so never equal between two of them)."""
    if isinstance(v, dict):
        return {k: without_generated_at(x) for k, x in v.items() if k != "generatedAt"}
    if isinstance(v, list):
        return [without_generated_at(x) for x in v]
    return v


def workbook_without_generated_at(values):
    return {t: [r for r in rows if not (t == "Summary" and r and r[0] == "Generated at")]
            for t, rows in values.items()}


def check_summary_sheet():
    """include_summary through the coordinator: the shard adds the Summary,
    equal to the single node's, and the coordinator's row counts it."""
    c, r, p = coord("rt_exporter"), ref(), coord()
    pw, data = export_chats_generated(c, "rt_c3", include_summary=True, reason="router suite: summary")
    rpw, rdata = export_chats_generated(r, "rt_c3", include_summary=True, reason="router suite: summary")
    got = workbook_values(decrypt_xlsx(data, pw))
    want = workbook_values(decrypt_xlsx(rdata, rpw))
    check("summary: chats xlsx through the coordinator opens with the Summary sheet",
          list(got)[:1] == ["Summary"] and len(got["Summary"]) > 10, list(got))
    check("summary: chats xlsx as single node (but the generated-at time)",
          workbook_without_generated_at(got) == workbook_without_generated_at(want),
          [k for k in set(got) | set(want) if got.get(k) != want.get(k)])
    rc = q(p, """SELECT a.row_counts ? 'Summary' FROM csstats.export_audit a
                 WHERE a.reason = 'router suite: summary' ORDER BY a.id DESC LIMIT 1""")
    check("summary: the coordinator's audit row counts the Summary", rc == [(True,)], rc)
    pw, data = export_cases_generated(c, "rt_c1", include_summary=True)
    rpw, rdata = export_cases_generated(r, "rt_c1", include_summary=True)
    got, _ = unzip_json(data, pw)
    want, _ = unzip_json(rdata, rpw)
    check("summary: cases json through the coordinator as single node (but the generated-at time)",
          got is not None and "Summary" in got and without_generated_at(got) == without_generated_at(want))
    x = coord("rt_exporter2")
    cid = q(x, """SELECT csstats.export_chats_to_file(password => 'FilePassw0rd2', reason => 'router files: summary',
                  channel_id => 'rt_c2', as_of => %s, include_summary => true)""", (AS_OF,))[0][0]
    got = file_row_agrees("summary to_file", cid, "shard1")
    if got and got[0]:
        with open(got[0], "rb") as f:
            book = workbook_values(decrypt_xlsx(f.read(), "FilePassw0rd2"))
        check("summary: the shard's file opens with the Summary sheet", list(book)[:1] == ["Summary"], list(book))


def check_exports():
    c, r = coord("rt_exporter"), ref()
    for ch in CHANNELS:
        pw, data = export_chats_generated(c, ch)
        rpw, rdata = export_chats_generated(r, ch)
        got, want = workbook_values(decrypt_xlsx(data, pw)), workbook_values(decrypt_xlsx(rdata, rpw))
        check(f"exports {ch} chats xlsx with messages: {sum(len(v) for v in got.values())} rows in "
              f"{len(got)} sheets as single node", got == want and len(got) > 1,
              [k for k in set(got) | set(want) if got.get(k) != want.get(k)])
        pw, data = export_cases_generated(c, ch)
        rpw, rdata = export_cases_generated(r, ch)
        got, _ = unzip_json(data, pw)
        want, _ = unzip_json(rdata, rpw)
        check(f"exports {ch} cases json as single node", got is not None and got == want)
    # a given password, as postgres (whose statements the coordinator does not
    # log; rt_exporter's it does, where a given password is issue 11's WARNING
    # case): the router passes it on to the shard as a parameter
    p = coord()
    data = bytes(q(p, """SELECT csstats.export_chats(password => %s, reason => 'router suite: inline',
                         channel_id => 'rt_c2', as_of => %s)""", (INLINE, AS_OF))[0][0])
    rdata = bytes(q(r, """SELECT csstats.export_chats(password => %s, reason => 'router suite: inline',
                          channel_id => 'rt_c2', as_of => %s)""", (INLINE, AS_OF))[0][0])
    # as rt_exporter, whose statements the coordinator logs: csstats' warning
    x = coord("rt_exporter")
    q(x, """SELECT octet_length(csstats.export_chats(password => 'WarnedPassw0rd', reason => 'router suite: warned',
             channel_id => 'rt_c2', as_of => %s))""", (AS_OF,))
    check("exports given password, statements logged: the warning",
          any("the export password may be written to the server log" in n for n in x.notices), x.notices)
    check("exports given password: decrypts as single node",
          workbook_values(decrypt_xlsx(data, INLINE)) == workbook_values(decrypt_xlsx(rdata, INLINE)))


# --- file exports ------------------------------------------------------------
def sha256_of(path):
    import hashlib
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def file_row_agrees(label, cid, expect_shard):
    """The coordinator row cid, the shard's row and link, and the file on the shard agree."""
    p = coord()
    row = q(p, """SELECT a.shard, a.shard_audit_id, a.destination, a.bytes, a.sha256, a.request_id::text,
                         a."session_user", a.outcome FROM csstats.export_audit a WHERE a.id = %s""", (cid,))
    if not check(f"files {label}: a delivered coordinator row on {expect_shard}",
                 row and row[0][0] == expect_shard and row[0][7] == "delivered", row):
        return None
    sh, said, dest, nbytes, sha, req, who, _ = row[0]
    srow = q(shard(sh), """SELECT a.destination, a.bytes, a.sha256, l.request_id::text, l.caller_session_user
                           FROM csstats.export_audit a JOIN csstats.shard_export_links l ON l.audit_id = a.id
                           WHERE a.id = %s""", (said,))
    check(f"files {label}: destination is shard:file name, shard row and link agree",
          srow and dest == f"{sh}:{srow[0][0]}" and srow[0][1:] == (nbytes, sha, req, who), (dest, srow))
    path = os.path.join(ROOT, sh, "export", dest.split(":", 1)[1])
    ok = os.path.exists(path)
    check(f"files {label}: the file is in the shard's export directory", ok, path)
    if ok:
        check(f"files {label}: its SHA-256 and size equal both audit rows",
              sha256_of(path) == sha and os.path.getsize(path) == nbytes, (sha256_of(path), sha))
    return path if ok else None, said, dest


def check_file_exports():
    x, r = coord("rt_exporter"), ref()
    # generated password, "{id}" in the name: the shard's audit id
    cid, pw = q(x, """SELECT g.audit_id, g.generated_password FROM csstats.export_chats_to_file(
                      generate_password => true, filename => 'rt-chats-{id}.xlsx', reason => 'router files: chats',
                      channel_id => 'rt_c3', include_messages => true, as_of => %s) g""", (AS_OF,))[0]
    generated_passwords.append(pw)
    got = file_row_agrees("chats_to_file generated", cid, "shard2")
    if got and got[0]:
        path, said, dest = got
        check("files chats_to_file: {id} is the shard's audit id", dest == f"shard2:rt-chats-{said}.xlsx", dest)
        with open(path, "rb") as f:
            mine = workbook_values(decrypt_xlsx(f.read(), pw))
        rpw, rdata = export_chats_generated(r, "rt_c3")
        check("files chats_to_file: decrypts to the single node's export",
              mine == workbook_values(decrypt_xlsx(rdata, rpw)) and len(mine) > 1)
    # a given password (as rt_exporter2, whose statements the coordinator does
    # not log), the generated name
    cid = q(coord("rt_exporter2"), """SELECT csstats.export_cases_to_file(password => %s, reason => 'router files: cases',
                        channel_id => 'rt_c1', since => '2025-01-01', until => '2025-06-30', format => 'json',
                        as_of => %s)""", (INLINE_FILE, AS_OF))[0][0]
    got = file_row_agrees("cases_to_file given password", cid, "shard1")
    if got and got[0]:
        path, said, dest = got
        check("files cases_to_file: the generated name ends with the shard's audit id",
              dest.startswith("shard1:csstats-cases-rt_c1-") and dest.endswith(f"-{said}.json.zip"), dest)
        with open(path, "rb") as f:
            mine, _ = unzip_json(f.read(), INLINE_FILE)
        want, _ = unzip_json(bytes(q(r, """SELECT csstats.export_cases(password => %s, reason => 'router files',
                                           channel_id => 'rt_c1', since => '2025-01-01', until => '2025-06-30',
                                           format => 'json', as_of => %s)""", (INLINE_FILE, AS_OF))[0][0]),
                             INLINE_FILE)
        check("files cases_to_file: decrypts to the single node's export", mine is not None and mine == want)
    # the coordinator's row is committed before the function returns: the
    # caller's rollback keeps it (and the file on the shard)
    x2 = coord("rt_exporter2")
    x2.autocommit = False
    with x2.cursor() as cur:
        cur.execute("""SELECT csstats.export_chats_to_file(password => 'FilePassw0rd1',
                       reason => 'router files: rolled back', channel_id => 'rt_c2', as_of => %s)""", (AS_OF,))
        rolled = cur.fetchone()[0]
    x2.rollback()
    x2.close()
    file_row_agrees("rolled back", rolled, "shard1")
    # a caller whose role the shard does not have (or the router may not use) writes no file there
    err = error_of(coord("rt_stranger"), """SELECT csstats.export_chats_to_file(password => 'FilePassw0rd1',
                   reason => 'router files: stranger', channel_id => 'rt_c1')""")
    check("files: a caller without a role on the shard is refused (42501)",
          err and err[0] == "42501" and "may not write export files" in err[1], err)
    # the shard's file name rules hold: a name with a directory is refused
    err = error_of(coord("rt_exporter2"), """SELECT csstats.export_chats_to_file(filename => '../x.xlsx', password => 'FilePassw0rd1',
                         reason => 'router files: bad name', channel_id => 'rt_c1')""")
    want = error_of(r, """SELECT csstats.export_chats_to_file(filename => '../x.xlsx', password => 'FilePassw0rd1',
                          reason => 'router files: bad name', channel_id => 'rt_c1')""")
    check("files: a bad file name gives the single node's error", err is not None and err == want, (err, want))


# --- stored passwords: checked against the caller --------------------------
def check_stored_passwords():
    ok_caller, other, stranger = coord("rt_exporter"), coord("rt_exporter2"), coord("rt_stranger")
    data = bytes(q(ok_caller, """SELECT csstats.export_chats(password_name => 'rt_nightly',
                                 reason => 'router stored: allowed', channel_id => 'rt_c3', as_of => %s)""",
                   (AS_OF,))[0][0])
    check("stored pw: the allowed caller exports; the file opens with the stored password",
          len(workbook_values(decrypt_xlsx(data, STORED_PASSWORD))) > 1)
    srow = q(shard("shard2"), """SELECT a."session_user", a."current_user", a.outcome FROM csstats.export_audit a
                                 WHERE a.reason = 'router stored: allowed'""")
    check("stored pw: the shard's row names the caller's role", srow == [("csstats_router", "rt_exporter", "delivered")], srow)
    cid = q(ok_caller, """SELECT csstats.export_cases_to_file(password_name => 'rt_nightly',
                          reason => 'router stored: file', channel_id => 'rt_c3', since => '2025-01-01',
                          until => '2025-06-30', format => 'json', as_of => %s)""", (AS_OF,))[0][0]
    got = file_row_agrees("stored pw cases_to_file", cid, "shard2")
    if got and got[0]:
        with open(got[0], "rb") as f:
            mine, _ = unzip_json(f.read(), STORED_PASSWORD)
        check("stored pw: the file opens with the stored password", mine is not None)
    for label, conn, who in [("another caller with a shard role", other, "rt_exporter2"),
                             ("a caller without a shard role", stranger, "rt_stranger")]:
        reason = f"router stored: denied {who}"
        err = error_of(conn, """SELECT csstats.export_chats(password_name => 'rt_nightly', reason => %s,
                                channel_id => 'rt_c3', as_of => %s)""", (reason, AS_OF))
        check(f"stored pw: {label} is refused (42501)", err and err[0] == "42501" and "rt_nightly" in err[1], err)
        crow = q(coord(), """SELECT a."current_user", a.outcome, left(a.refusal, 5) FROM csstats.export_audit a
                             WHERE a.reason = %s""", (reason,))
        check(f"stored pw: {label}: a denied row on the coordinator", crow == [(who, "denied", "42501")], crow)
    srow = q(shard("shard2"), """SELECT a."current_user", a.outcome FROM csstats.export_audit a
                                 WHERE a.reason = 'router stored: denied rt_exporter2'""")
    check("stored pw: another caller: a denied row on the shard naming it", srow == [("rt_exporter2", "denied")], srow)
    err = error_of(stranger, """SELECT csstats.export_chats_to_file(password_name => 'rt_nightly',
                                reason => 'router stored: denied file', channel_id => 'rt_c3')""")
    check("stored pw: the file form refuses the same way", err and err[0] == "42501", err)


# --- SECURITY DEFINER on the coordinator --------------------------------------
def check_definer():
    p = coord()
    rows = q(p, """SELECT p.oid::regprocedure::text, p.proconfig, p.prosrc, l.lanname,
                          has_function_privilege('public', p.oid, 'EXECUTE')
                   FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
                   WHERE p.pronamespace = 'csstats'::regnamespace AND p.prosecdef""")
    bad = [r[0] for r in rows
           if r[1] != ["search_path=pg_catalog, pg_temp"] or r[4] or r[3] not in ("sql", "plpgsql")
           or "EXECUTE" in r[2].upper().replace("EXECUTE FUNCTION", "") or "format(" in r[2]]
    check(f"definer: {len(rows)} SECURITY DEFINER functions pin search_path, run no dynamic SQL, "
          "are not executable by PUBLIC", len(rows) >= 20 and not bad, bad)
    names = {r[0].split("(")[0] for r in rows}
    check("definer: none of the internals is SECURITY DEFINER",
          not [n for n in names if n.startswith("csstats._") or n.startswith("csstats.router_")], names)


# --- audit ------------------------------------------------------------------
def check_audit():
    p = coord()
    shards = {n: shard(n) for n in SHARDS}
    # the coordinator's row does not depend on the caller's transaction
    x = coord("rt_exporter")
    x.autocommit = False
    with x.cursor() as cur:
        cur.execute("""SELECT octet_length(csstats.export_chats(password => 'RolledBackPw1',
                       reason => 'router suite: rolled back', channel_id => 'rt_c1', as_of => %s))""", (AS_OF,))
    x.rollback()
    x.close()
    rows = q(p, """SELECT a.reason, a.outcome FROM csstats.export_audit a
                   WHERE a.reason = 'router suite: rolled back'""")
    check("audit: the coordinator's row survives the caller's rollback", rows == [("router suite: rolled back", "delivered")], rows)

    delivered = q(p, """SELECT a.id, a.shard, a.shard_audit_id, a.request_id::text, a.bytes, a.sha256,
                               a.session_user, a.kind, a.format, a.channel_id, a.row_counts
                        FROM csstats.export_audit a WHERE a.outcome = 'delivered' ORDER BY a.id""")
    bad = []
    for (cid, sh, said, req, nbytes, sha, who, kind, fmt, ch, counts) in delivered:
        srow = q(shards[sh], """SELECT a.bytes, a.sha256, a.kind, a.format, a.channel_id, a.row_counts,
                                       l.request_id::text, l.caller_session_user, l.router_role
                                FROM csstats.export_audit a
                                JOIN csstats.shard_export_links l ON l.audit_id = a.id
                                WHERE a.id = %s""", (said,))
        if srow != [(nbytes, sha, kind, fmt, ch, counts, req, who, "csstats_router")]:
            bad.append((cid, srow))
    check(f"audit: {len(delivered)} coordinator rows agree with their shard rows and links",
          len(delivered) >= 10 and not bad, bad)
    callers = {r[6] for r in delivered}
    check("audit: the coordinator records the authenticated caller", callers == {"rt_exporter", "rt_exporter2", "postgres"}, callers)
    n_links = sum(q(s, "SELECT count(*) FROM csstats.shard_export_links")[0][0] for s in shards.values())
    check("audit: one shard link per coordinator row", n_links == len(delivered), (n_links, len(delivered)))
    for name, conn in [("coordinator", p)] + list(shards.items()):
        v = q(conn, "SELECT count(*), count(*) FILTER (WHERE NOT ok) FROM csstats.verify_audit()")[0]
        check(f"audit: verify_audit on {name}: {v[0]} rows, none bad", v[0] > 0 and v[1] == 0, v)
    head = q(p, "SELECT last_id, last_hash FROM csstats.export_audit_head")[0]
    v = q(p, "SELECT bool_and(ok) FROM csstats.verify_audit(%s, %s)", head)
    check("audit: verify_audit with the external head on the coordinator", v == [(True,)], v)
    err = error_of(p, "UPDATE csstats.export_audit SET reason = 'x'")
    check("audit: the coordinator's trail is append-only", err and err[0] == "42501", err)


# --- permissions ------------------------------------------------------------
def check_permissions():
    nobody, reader, exporter, r = coord("rt_nobody"), coord("rt_reader"), coord("rt_exporter"), ref()
    err = error_of(nobody, "SELECT * FROM csstats.user_chat_sheet('rt_c1')")
    check("permissions: no EXECUTE on the coordinator, no sheet", err and err[0] == "42501", err)
    err = error_of(reader, "SELECT csstats.export_chats(password => 'ReaderPassw0rd', reason => 'x', channel_id => 'rt_c1')")
    check("permissions: a reader may not export", err and err[0] == "42501", err)
    # the coordinator's internals take the caller as an argument: nobody may call them
    err = error_of(exporter, """SELECT * FROM csstats._router_px_shard_export('chats', 'postgres', 'postgres',
        gen_random_uuid(), NULL, 'ForgedPassw0rd', 'forged', NULL, NULL, 'xlsx', false, 'rt_c1', NULL,
        '{}', now(), NULL, false)""")
    check("permissions: forged caller on the coordinator refused", err and err[0] == "42501", err)
    err = error_of(exporter, """SELECT csstats._router_px_audit_append('postgres', 'postgres', NULL, 'forged',
        'chats', 'xlsx', false, 'rt_c1', NULL, NULL, now(), '{}', NULL, NULL, NULL, NULL, NULL, 'denied',
        'x', 'shard1', NULL, gen_random_uuid())""")
    check("permissions: forged audit append on the coordinator refused", err and err[0] == "42501", err)
    # on the shard: a role with every grant a direct exporter has still cannot name a caller
    su = shard("shard1", "rt_shard_user")
    err = error_of(su, """SELECT * FROM csstats.shard_export('chats', 'rt_exporter', 'rt_exporter',
        gen_random_uuid(), NULL, 'ForgedPassw0rd', 'forged', NULL, NULL, 'xlsx', false, 'rt_c1', NULL,
        '{}', now(), NULL)""")
    check("permissions: forged caller on the shard (non-router role) refused", err and err[0] == "42501", err)
    n = q(su, "SELECT octet_length(csstats.export_chats(password => 'DirectPassw0rd', reason => 'direct', channel_id => 'rt_c1', as_of => %s))", (AS_OF,))
    who = q(shard("shard1"), 'SELECT a."session_user" FROM csstats.export_audit a ORDER BY a.id DESC LIMIT 1')
    check("permissions: a direct shard client exports only as itself", n[0][0] > 0 and who == [("rt_shard_user",)], who)

    # manager rules and limits: the same error as on one node, denied rows on both sides
    mgr = {}
    for row in q(r, "SELECT id, can_download, removed FROM csstats.managers WHERE channel_id = 'rt_c1' ORDER BY id"):
        mgr.setdefault((row[1], row[2]), row[0])
    cases = []
    if (False, False) in mgr:
        cases.append(("manager without download right", "export_chats(password => 'MgrPassw0rd1', reason => 'router suite: mgr', channel_id => 'rt_c1', manager_id => %s)", (mgr[(False, False)],)))
    if any(k[1] for k in mgr):
        removed = [v for k, v in mgr.items() if k[1]][0]
        cases.append(("removed manager", "export_chats(password => 'MgrPassw0rd1', reason => 'router suite: mgr', channel_id => 'rt_c1', manager_id => %s)", (removed,)))
    cases.append(("unknown manager", "export_chats(password => 'MgrPassw0rd1', reason => 'router suite: mgr', channel_id => 'rt_c1', manager_id => %s)", ("no_such_manager",)))
    cases.append(("cases range over 6 months", "export_cases(password => 'MgrPassw0rd1', reason => 'router suite: range', channel_id => 'rt_c1', since => '2025-01-01', until => %s)", ("2025-09-01",)))
    cases.append(("short password", "export_chats(password => %s, reason => 'router suite', channel_id => 'rt_c1')", ("short",)))
    for label, call, args in cases:
        got = error_of(exporter, "SELECT csstats." + call, args)
        want = error_of(r, "SELECT csstats." + call, args)
        check(f"permissions: {label}: same error as one node", got is not None and got == want, (got, want))
    allowed = mgr.get((True, False))
    if check("permissions: a manager with the download right exists", allowed is not None, mgr):
        pw, data = export_chats_generated(exporter, "rt_c1", manager_id=allowed, reason="router suite: mgr ok")
        check("permissions: the manager with the download right exports", len(decrypt_xlsx(data, pw)) > 0)
    denied_c = q(coord(), "SELECT count(*) FROM csstats.export_audit WHERE outcome = 'denied' AND reason LIKE 'router suite: %%'")[0][0]
    denied_s = q(shard("shard1"), "SELECT count(*) FROM csstats.export_audit WHERE outcome = 'denied' AND reason LIKE 'router suite: %%'")[0][0]
    check(f"permissions: refusals audited on the coordinator ({denied_c}) and the shard ({denied_s})",
          denied_c >= 3 and denied_s >= 3 and denied_c == denied_s, (denied_c, denied_s))


# --- unknown channel, shard down, TLS ----------------------------------------
def pg_ctl(name, action):
    return run(["runuser", "-u", "postgres", "--", f"{PGBIN}/pg_ctl", "-D", os.path.join(ROOT, name, "data"),
                "-l", os.path.join(ROOT, name, "server.log"), "-w", "-s", "-m", "fast", action])


def check_availability():
    c, r = coord("rt_exporter"), ref()
    got = error_of(c, "SELECT count(*) FROM csstats.user_chat_sheet('rt_nowhere')")
    check("unknown channel: sheet: clear error", got and got[0] == "22023" and 'channel "rt_nowhere" does not exist' in got[1], got)
    sql = "SELECT csstats.export_chats(password => 'UnknownPassw0rd', reason => 'x', channel_id => 'rt_nowhere')"
    got, want = error_of(c, sql), error_of(r, sql)
    check("unknown channel: export: the single node's error", got is not None and got == want, (got, want))
    got = error_of(c, "SELECT csstats.user_chat_sheet(NULL)")
    check("unknown channel: NULL channel_id refused", got and got[0] == "22004", got)

    # TLS: the router's connections (cached in this session's backend) on the shard
    q(c, "SELECT count(*) FROM csstats.user_chat_sheet('rt_c1')")
    q(c, "SELECT count(*) FROM csstats.user_chat_sheet('rt_c3')")
    for name in SHARDS:
        rows = q(shard(name), """SELECT s.ssl, s.version FROM pg_stat_ssl s
                                 JOIN pg_stat_activity a ON a.pid = s.pid WHERE a.usename = 'csstats_router'""")
        check(f"TLS: the router's connections to {name} are encrypted: {rows}",
              rows and all(r_[0] and r_[1].startswith("TLS") for r_ in rows), rows)
    p = run(["psql", "-X", "-At", f"host=127.0.0.1 port={SHARDS['shard1']} dbname=csstats user=csstats_router sslmode=disable",
             "-c", "SELECT 1"])
    check("TLS: a plain TCP connection to a shard is refused", p.returncode != 0 and "no encryption" in p.stderr, p.stderr)
    env = dict(os.environ, PGPASSWORD=ROUTER_PASSWORD)
    p = subprocess.run(["psql", "-X", "-At", f"host=127.0.0.1 port={SHARDS['shard1']} dbname=csstats user=csstats_router "
                        f"sslmode=verify-full sslrootcert={ROOT}/ca.crt", "-c", "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"],
                       capture_output=True, text=True, env=env)
    check("TLS: the shard's certificate verifies against the test CA", p.returncode == 0 and p.stdout.strip() == "t", p.stderr)

    before = q(coord(), "SELECT count(*) FROM csstats.export_audit WHERE outcome = 'delivered'")[0][0]
    check("shard down: stop shard2", pg_ctl("shard2", "stop").returncode == 0)
    got = error_of(c, "SELECT count(*) FROM csstats.user_chat_sheet('rt_c3')")
    check("shard down: sheet on its channel: clear error naming it",
          got and got[0] == "08006" and 'shard "shard2" is unavailable' in got[1], got)
    got = error_of(c, "SELECT csstats.export_chats(password => 'DownPassw0rd1', reason => 'down', channel_id => 'rt_c3')")
    check("shard down: export on its channel: clear error naming it",
          got and got[0] == "08006" and 'shard "shard2" is unavailable' in got[1], got)
    got = error_of(c, "SELECT count(*) FROM csstats.daily_summary('2025-01-01', '2025-02-01')")
    check("shard down: daily_summary (ON ALL): clear error naming it",
          got and got[0] == "08006" and 'shard "shard2" is unavailable' in got[1], got)
    after = q(coord(), "SELECT count(*) FROM csstats.export_audit WHERE outcome = 'delivered'")[0][0]
    check("shard down: nothing delivered, nothing audited as delivered", after == before, (before, after))
    n = q(c, "SELECT count(*) FROM csstats.user_chat_sheet('rt_c1', as_of => %s)", (AS_OF,))[0][0]
    want = q(r, "SELECT count(*) FROM csstats.user_chat_sheet('rt_c1', as_of => %s)", (AS_OF,))[0][0]
    check("shard down: the other shard's channels work (same session)", n == want and n > 0, (n, want))
    pw, data = export_chats_generated(c, "rt_c2")
    check("shard down: the other shard's channels export", len(decrypt_xlsx(data, pw)) > 0)
    check("shard down: start shard2 again", pg_ctl("shard2", "start").returncode == 0)
    n = q(c, "SELECT count(*) FROM csstats.user_chat_sheet('rt_c3', as_of => %s)", (AS_OF,))[0][0]
    want = q(r, "SELECT count(*) FROM csstats.user_chat_sheet('rt_c3', as_of => %s)", (AS_OF,))[0][0]
    check("shard down: its channels work again after the restart", n == want and n > 0, (n, want))


# --- logs -------------------------------------------------------------------
def check_logs():
    logs = {"coordinator": os.path.join(os.environ["CSSTATS_RUN"], "server.log")}
    for name in SHARDS:
        logs[name] = os.path.join(ROOT, name, "server.log")
    texts = {}
    for name, path in logs.items():
        with open(path, "rb") as f:
            texts[name] = f.read().decode("utf-8", "replace")
    # the logging really was on: the router's statements on the shards, the exporter's on the coordinator
    check("logs: the shards logged the router's statements",
          all("csstats.shard_export" in texts[n] for n in SHARDS), "")
    check("logs: the coordinator logged the exporter's statements", "generate_password => true" in texts["coordinator"])
    secrets = {"the router's password": ROUTER_PASSWORD, "the shard user's password": SHARD_USER_PASSWORD,
               "the given export password (passed on to the shard)": INLINE,
               "the given password of a file export": INLINE_FILE, "the stored password": STORED_PASSWORD}
    for i, pw in enumerate(generated_passwords):
        secrets[f"generated password {i + 1}"] = pw
    for what, secret in secrets.items():
        found = [n for n, t in texts.items() if secret in t]
        check(f"logs: {what} in no server log", not found, found)


def main():
    c, r = coord(), ref()
    check_signatures(c, r)
    check_reads()
    check_summary()
    check_exports()
    check_permissions()
    check_file_exports()
    check_summary_sheet()
    check_stored_passwords()
    check_definer()
    check_availability()
    check_audit()
    check_loading()
    check_logs()
    failed = [n for n, ok in results if not ok]
    print(f"router: {len(results) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
