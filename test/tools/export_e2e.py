#!/usr/bin/python3
"""End-to-end checks of csstats exports from a client (run with /usr/bin/python3).

Every export is requested with psycopg2 bind parameters, opened with tools that
share no code with csstats (msoffcrypto-tool with verify_integrity=True and
openpyxl for XLSX, `7z x` and the json module for the JSON ZIP), and compared
cell by cell with the rows of the sheet functions, read in the same database
with the same as_of.  The expected headers are derived here independently
(seed names: camelCase, PascalCase on Message data, profile.<key> columns).

    export_e2e.py setup DB CHANNEL      create the fixture channel (demo data + edge cases)
    export_e2e.py check DB CHANNEL      the checks below; prints "name: ok" / "name: FAIL ..."

Exit status 0 when every check passed.
"""
import datetime
import glob
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import zoneinfo

import msoffcrypto
import openpyxl
import psycopg2

PASSWORD = "E2eTestPassw0rd"
AS_OF = datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc)
TRUNC_MARK = "\u2026[truncated]"
XLSX_MAX_CELL = 32767

CHAT_SHEETS = [
    ("UserChat data", "user_chat_sheet", "chat"),
    ("User data", "user_sheet", "user"),
    ("Workflow data", "workflow_sheet", None),
    ("SupportBot data", "support_bot_sheet", None),
    ("Marketing data", "marketing_sheet", None),
    ("Manager data", "manager_sheet", None),
    ("Team data", "team_sheet", None),
    ("Bot data", "bot_sheet", None),
    ("UserChatTag data", "user_chat_tag_sheet", None),
    ("Message data", "message_sheet", None),
    ("UserChat meet data", "user_chat_meet_sheet", None),
]
CASE_SHEETS = [("UserChatCase data", "user_chat_case_sheet", "chat")]

# Headers the seeds spell out (001, 002): the derived headers must match them.
SEED_USERCHAT = ["id", "userId", "name", "description", "summarizedMessage", "state",
                 "contactMediumType", "marketingType", "marketingId", "workflowId", "managerIds",
                 "assigneeId", "teamId", "tags", "priority", "page", "firstAskedAt",
                 "firstQueuedAt", "firstOpenedAt", "firstRepliedAt", "openedAt",
                 "firstRepliedAtAfterOpen", "createdAt", "waitingTime", "avgReplyTime",
                 "totalReplyTime", "replyCount", "resolutionTime", "operationWaitingTime",
                 "operationAvgReplyTime", "operationTotalReplyTime", "operationReplyCount",
                 "operationResolutionTime", "closedAt", "goalState", "goalEventName",
                 "goalCheckedAt", "supportBotId", "url", "profile.csat", "profile.csatComment"]
SEED_MESSAGE = ["ChatId", "PersonType", "PersonId", "CreatedAt", "PlainText"]

results = []


def check(name, cond, detail=""):
    results.append((name, bool(cond)))
    print(f"{name}: {'ok' if cond else 'FAIL ' + detail}", flush=True)
    return cond


def paused_pid(log, start, point, alive, timeout=120):
    """The pid a test-build pause point names in the server log (read from
    offset start on) once the paused process reaches it; None if alive()
    turns false or timeout passes first.  The log, not the wait event, tells:
    the workbook close also waits as "Extension"."""
    pat = re.compile(r'csstats pause point "%s" reached \(pid (\d+)\)' % re.escape(point))
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        with open(log) as f:
            f.seek(start)
            m = pat.search(f.read())
        if m:
            return int(m.group(1))
        if not alive():
            return None
        time.sleep(0.05)
    return None


def connect(db):
    conn = psycopg2.connect(dbname=db)
    conn.autocommit = True
    return conn


def camel(col, pascal=False):
    parts = col.split("_")
    head = parts[0].capitalize() if pascal else parts[0]
    return head + "".join(p.capitalize() for p in parts[1:])


# ------------------------------------------------------------------ fixture
def setup(db, channel):
    conn = connect(db)
    cur = conn.cursor()
    cur.execute("SELECT count(*) FROM csstats.channels WHERE id = %s", (channel,))
    if cur.fetchone()[0]:
        return
    cur.execute("SELECT * FROM csstats.generate_demo(%s, 150, 11)", (channel,))
    # edge cases the writers must survive: formulas, control characters,
    # very long text, XML-looking escapes, custom profile keys of every JSON type
    cur.execute("""
        SELECT id, created_at FROM csstats.user_chats WHERE channel_id = %s
        ORDER BY created_at, id LIMIT 1""", (channel,))
    chat_id, created = cur.fetchone()
    cur.execute("""
        UPDATE csstats.user_chats SET
            description = '=1+1', summarized_message = %s,
            profile = profile || '{"csat": 3, "csatComment": "=HYPERLINK(\\"x\\")",
                                   "orderNumber": null, "category": {"a": [1, "b"]},
                                   "vip": true}'
        WHERE channel_id = %s AND id = %s""",
                ("bell\x07 tab\t nl\n _x0041_ \u2603 \U0001F600", channel, chat_id))
    cur.execute("""
        INSERT INTO csstats.chat_profile_fields (channel_id, key, name, position)
        VALUES (%s, 'vip', 'VIP', 0)
        ON CONFLICT DO NOTHING""", (channel,))
    long_text = ("0123456789\u00e9" * 4000)[:40000]
    cur.execute("""
        INSERT INTO csstats.messages (channel_id, id, chat_id, person_type, person_id, created_at, plain_text)
        VALUES (%s, 'e2e-long', %s, 'user', NULL, %s + interval '1 second', %s),
               (%s, 'e2e-formula', %s, 'manager', 'x', %s + interval '2 seconds', '=SUM(A1:A3)'),
               (%s, 'e2e-frac', %s, 'bot', 'b', %s + interval '3.25 seconds', '')""",
                (channel, chat_id, created, long_text, channel, chat_id, created,
                 channel, chat_id, created))
    cur.execute("VACUUM ANALYZE")


# ------------------------------------------------------------- sheet rows
def sheet_rows(cur, func, channel, since, until, filters):
    cur.execute(f"SELECT * FROM csstats.{func}(%s, %s, %s, %s::jsonb, %s)",
                (channel, since, until, json.dumps(filters), AS_OF))
    cols = [d.name for d in cur.description]
    types = [d.type_code for d in cur.description]
    return cols, types, cur.fetchall()


def profile_keys(cur, kind, channel, since, until, filters):
    if kind == "chat":
        cur.execute("""SELECT key FROM csstats.chat_profile_fields
                       WHERE channel_id = %s AND key NOT IN ('csat', 'csatComment')
                       ORDER BY position, key COLLATE "C" """, (channel,))
        return ["csat", "csatComment"] + [r[0] for r in cur.fetchall()]
    if kind == "user":
        cur.execute("SELECT key FROM csstats.user_sheet_profile_keys(%s, %s, %s, %s::jsonb, %s) ORDER BY position",
                    (channel, since, until, json.dumps(filters), AS_OF))
        return [r[0] for r in cur.fetchall()]
    return []


def expected_sheets(cur, sheets, channel, since, until, filters):
    """[(name, headers, [rows as lists of (value, is_profile)])]"""
    out = []
    for name, func, pkind in sheets:
        cols, _types, rows = sheet_rows(cur, func, channel, since, until, filters)
        keys = profile_keys(cur, pkind, channel, since, until, filters) if pkind else []
        headers = []
        for c in cols:
            if c == "profile" and pkind:
                headers += [f"profile.{k}" for k in keys]
            else:
                headers.append(camel(c, pascal=(name == "Message data")))
        erows = []
        for r in rows:
            er = []
            for c, v in zip(cols, r):
                if c == "profile" and pkind:
                    prof = v if isinstance(v, dict) else {}
                    er += [("profile", prof[k]) if k in prof else ("profile", None) for k in keys]
                else:
                    er.append(("col", v))
            erows.append(er)
        out.append((name, headers, erows))
    return out


# ------------------------------------------------------------ comparisons
def xlsx_text(s):
    """What the XLSX layer stores for a text: XML-invalid characters replaced,
    cut to 32,767 UTF-16 units with the marker."""
    t = "".join("\ufffd" if (ord(ch) < 0x20 and ch not in "\t\n\r") or ch in "\ufffe\uffff" else ch
                for ch in s)
    # a literal OOXML escape is protected as _x005F_xHHHH_ (Excel shows the
    # original text; openpyxl returns the stored text without decoding it)
    t = re.sub(r"_x[0-9A-Fa-f]{4}_", lambda m: "_x005F" + m.group(0), t)
    units = len(t.encode("utf-16-le")) // 2
    if units <= XLSX_MAX_CELL:
        return t
    keep = XLSX_MAX_CELL - len(TRUNC_MARK)
    out, n = [], 0
    for ch in t:
        w = 2 if ord(ch) > 0xFFFF else 1
        if n + w > keep:
            break
        out.append(ch)
        n += w
    return "".join(out) + TRUNC_MARK


def xlsx_expect(v, tz, is_profile):
    """The Python value openpyxl should read for a sheet value."""
    if v is None:
        return None
    if isinstance(v, bool):
        return v
    if isinstance(v, datetime.datetime):
        return v.astimezone(tz).replace(tzinfo=None)
    if isinstance(v, (int, float)):
        return v
    if isinstance(v, list):
        return ",".join("" if e is None else str(e) for e in v)
    if isinstance(v, dict):
        return json.dumps(v, ensure_ascii=False, separators=(", ", ": "))
    if isinstance(v, str):
        return xlsx_text(v)
    import decimal
    if isinstance(v, decimal.Decimal):
        return float(v)
    return str(v)


def same_xlsx(got, want):
    if isinstance(want, datetime.datetime):
        return isinstance(got, datetime.datetime) and abs((got - want).total_seconds()) < 0.002
    if isinstance(want, bool) or isinstance(got, bool):
        return got is want or got == want and type(got) is type(want)
    if isinstance(want, (int, float)) and isinstance(got, (int, float)):
        return abs(got - want) <= 1e-9 * max(1.0, abs(want))
    if want == "" and got is None:
        return True  # an empty string cell reads back as empty
    return got == want


def compare_xlsx(label, wb_bytes, expected, tz):
    wb = openpyxl.load_workbook(io.BytesIO(wb_bytes), read_only=True)
    names = wb.sheetnames
    ok = check(f"{label}: sheet names and order", names == [e[0] for e in expected],
               f"{names}")
    for name, headers, rows in expected:
        if name not in names:
            continue
        ws = wb[name]
        got = list(ws.iter_rows(values_only=True))
        ok &= check(f"{label}: {name}: header", got and list(got[0]) == headers,
                    f"got {got[0] if got else None} want {headers}")
        ok &= check(f"{label}: {name}: {len(rows)} rows", len(got) - 1 == len(rows),
                    f"got {len(got) - 1}")
        bad = []
        for i, (g, w) in enumerate(zip(got[1:], rows)):
            g = list(g) + [None] * (len(w) - len(g))
            for j, (gv, (src, wv)) in enumerate(zip(g, w)):
                want = xlsx_expect(wv, tz, src == "profile")
                if not same_xlsx(gv, want):
                    bad.append(f"row {i + 2} {headers[j]}: got {gv!r:.80} want {want!r:.80}")
        ok &= check(f"{label}: {name}: every cell", not bad, "; ".join(bad[:5]))
    wb.close()
    return ok


def json_expect(v):
    if isinstance(v, datetime.datetime):
        return v
    import decimal
    if isinstance(v, decimal.Decimal):
        return float(v)
    return v


def same_json(got, want):
    if isinstance(want, datetime.datetime):
        try:
            g = datetime.datetime.fromisoformat(got)
        except (TypeError, ValueError):
            return False
        return g == want and g.utcoffset() == want.astimezone(g.tzinfo).utcoffset()
    if isinstance(want, float) and isinstance(got, (int, float)):
        return got == want
    return got == want and type(got) is type(want) or (isinstance(want, float) and got == want)


def compare_json(label, doc, expected, tz):
    ok = check(f"{label}: sheet keys and order", list(doc.keys()) == [e[0] for e in expected],
               f"{list(doc.keys())}")
    for name, headers, rows in expected:
        objs = doc.get(name, [])
        ok &= check(f"{label}: {name}: {len(rows)} rows", len(objs) == len(rows), f"got {len(objs)}")
        bad = []
        for i, (o, w) in enumerate(zip(objs, rows)):
            if list(o.keys()) != headers:
                bad.append(f"row {i} keys {list(o.keys())}")
                continue
            for h, (src, wv) in zip(headers, w):
                want = json_expect(wv)
                gv = o[h]
                if isinstance(want, datetime.datetime):
                    # the offset must be the channel's at that instant
                    if not same_json(gv, want) or datetime.datetime.fromisoformat(gv).utcoffset() != want.astimezone(tz).utcoffset():
                        bad.append(f"row {i} {h}: got {gv!r} want {want.astimezone(tz).isoformat()}")
                elif not same_json(gv, want):
                    bad.append(f"row {i} {h}: got {gv!r:.80} want {want!r:.80}")
        ok &= check(f"{label}: {name}: every value", not bad, "; ".join(bad[:5]))
    return ok


# ------------------------------------------------------------------ files
def decrypt_xlsx(data, password):
    f = msoffcrypto.OfficeFile(io.BytesIO(data))
    f.load_key(password=password)
    out = io.BytesIO()
    f.decrypt(out, verify_integrity=True)
    return out.getvalue()


def wrong_password_refused(data):
    try:
        decrypt_xlsx(data, PASSWORD + "x")
    except Exception:
        return True
    return False


def unzip_json(data, password):
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "e.zip")
        with open(p, "wb") as f:
            f.write(data)
        r = subprocess.run(["7z", "x", f"-p{password}", f"-o{d}/out", p], capture_output=True)
        if r.returncode != 0:
            return None, r.returncode
        files = os.listdir(f"{d}/out")
        with open(os.path.join(d, "out", files[0]), "rb") as f:
            return json.loads(f.read().decode("utf-8")), files


def last_audit(cur):
    cur.execute("""SELECT id, kind, format, include_messages, row_counts, bytes, sha256,
                          destination, reason, prev_hash, row_hash
                   FROM csstats.export_audit ORDER BY id DESC LIMIT 1""")
    return cur.fetchone()


def audit_matches(label, cur, data, expected, kind, fmt, destination):
    a = last_audit(cur)
    counts = {name: len(rows) for name, _h, rows in expected}
    check(f"{label}: audit row", a is not None and a[1] == kind and a[2] == fmt
          and a[4] == counts and a[5] == len(data)
          and a[6] == hashlib.sha256(data).hexdigest() and a[7] == destination,
          f"{a}")
    check(f"{label}: audit never holds the password",
          a is not None and all(PASSWORD not in str(x) for x in a))
    return a


# ----------------------------------------------------------------- checks
def run_checks(db, channel):
    conn = connect(db)
    cur = conn.cursor()
    cur.execute("SELECT timezone FROM csstats.channels WHERE id = %s", (channel,))
    tz = zoneinfo.ZoneInfo(cur.fetchone()[0])
    cur.execute("SELECT min(created_at), max(created_at) FROM csstats.user_chats WHERE channel_id = %s",
                (channel,))
    lo, hi = cur.fetchone()
    since, until = lo, hi + datetime.timedelta(seconds=1)
    filters = {}

    # seed headers
    exp_chats = expected_sheets(cur, CHAT_SHEETS, channel, since, until, filters)
    check("UserChat data headers follow seed 001",
          exp_chats[0][1][:len(SEED_USERCHAT)] == SEED_USERCHAT, f"{exp_chats[0][1]}")
    check("Message data headers follow seed 001", exp_chats[9][1] == SEED_MESSAGE, f"{exp_chats[9][1]}")
    cur.execute("SELECT csstats.export_header('UserChat data', 'first_replied_at_after_open'), "
                "csstats.export_header('Message data', 'plain_text')")
    check("export_header is the writers' mapping",
          cur.fetchone() == ("firstRepliedAtAfterOpen", "PlainText"))

    # chats, XLSX, with messages
    cur.execute("""SELECT csstats.export_chats(password => %s, reason => %s, since => %s, until => %s,
                          include_messages => true, channel_id => %s, as_of => %s)""",
                (PASSWORD, "e2e: chats with messages", since, until, channel, AS_OF))
    data = bytes(cur.fetchone()[0])
    check("chats xlsx: is a compound file", data[:8] == bytes.fromhex("d0cf11e0a1b11ae1"))
    plain = decrypt_xlsx(data, PASSWORD)
    compare_xlsx("chats xlsx", plain, exp_chats, tz)
    check("chats xlsx: wrong password refused", wrong_password_refused(data))
    audit_matches("chats xlsx", cur, data, exp_chats, "chats", "xlsx", "bytea")

    # chats, XLSX, without messages
    exp_nomsg = [e for e in exp_chats if e[0] != "Message data"]
    cur.execute("""SELECT csstats.export_chats(password => %s, reason => %s, since => %s, until => %s,
                          channel_id => %s, as_of => %s)""",
                (PASSWORD, "e2e: chats without messages", since, until, channel, AS_OF))
    data = bytes(cur.fetchone()[0])
    compare_xlsx("chats xlsx no messages", decrypt_xlsx(data, PASSWORD), exp_nomsg, tz)
    audit_matches("chats xlsx no messages", cur, data, exp_nomsg, "chats", "xlsx", "bytea")

    # chats, XLSX, filtered (tags_all AND search)
    flt = {"states": ["closed"], "tags_any": ["delivery"]}
    exp_f = expected_sheets(cur, CHAT_SHEETS, channel, since, until, flt)
    exp_f = [e for e in exp_f if e[0] != "Message data"]
    cur.execute("""SELECT csstats.export_chats(password => %s, reason => %s, since => %s, until => %s,
                          channel_id => %s, filters => %s::jsonb, as_of => %s)""",
                (PASSWORD, "e2e: filtered", since, until, channel, json.dumps(flt), AS_OF))
    data = bytes(cur.fetchone()[0])
    compare_xlsx("chats xlsx filtered", decrypt_xlsx(data, PASSWORD), exp_f, tz)

    # chats, JSON, with messages
    cur.execute("""SELECT csstats.export_chats(password => %s, reason => %s, since => %s, until => %s,
                          format => 'json', include_messages => true, channel_id => %s, as_of => %s)""",
                (PASSWORD, "e2e: json", since, until, channel, AS_OF))
    data = bytes(cur.fetchone()[0])
    doc, files = unzip_json(data, PASSWORD)
    check("chats json: 7z extracts one neutral member", doc is not None and files == ["export.json"],
          f"{files}")
    if doc is not None:
        compare_json("chats json", doc, exp_chats, tz)
    bad, rc = unzip_json(data, PASSWORD + "x")
    check("chats json: wrong password refused", bad is None and rc != 0)
    audit_matches("chats json", cur, data, exp_chats, "chats", "json", "bytea")

    # cases, both formats
    cur.execute("SELECT min(user_chat_case_created_at) FROM csstats.user_chat_case_sheet(%s, NULL, NULL, '{}', %s)",
                (channel, AS_OF))
    c_lo = cur.fetchone()[0]
    c_since = c_lo.astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)
    c_until = c_since + datetime.timedelta(days=120)
    exp_cases = expected_sheets(cur, CASE_SHEETS, channel, c_since, c_until, {})
    check("cases: the range holds cases", len(exp_cases[0][2]) > 0)
    cur.execute("""SELECT csstats.export_cases(password => %s, reason => %s, since => %s, until => %s,
                          channel_id => %s, as_of => %s)""",
                (PASSWORD, "e2e: cases", c_since, c_until, channel, AS_OF))
    data = bytes(cur.fetchone()[0])
    compare_xlsx("cases xlsx", decrypt_xlsx(data, PASSWORD), exp_cases, tz)
    check("cases xlsx: wrong password refused", wrong_password_refused(data))
    audit_matches("cases xlsx", cur, data, exp_cases, "cases", "xlsx", "bytea")
    cur.execute("""SELECT csstats.export_cases(password => %s, reason => %s, since => %s, until => %s,
                          format => 'json', channel_id => %s, as_of => %s)""",
                (PASSWORD, "e2e: cases json", c_since, c_until, channel, AS_OF))
    data = bytes(cur.fetchone()[0])
    doc, _ = unzip_json(data, PASSWORD)
    check("cases json: extracts", doc is not None)
    if doc is not None:
        compare_json("cases json", doc, exp_cases, tz)

    # server file: given name, then a generated one
    cur.execute("SHOW csstats.export_directory")
    xdir = cur.fetchone()[0]
    fname = f"e2e-chats-{os.getpid()}.xlsx"
    cur.execute("""SELECT csstats.export_chats_to_file(filename => %s, password => %s,
                          reason => %s, since => %s, until => %s, include_messages => true,
                          channel_id => %s, as_of => %s)""",
                (fname, PASSWORD, "e2e: file", since, until, channel, AS_OF))
    aid = cur.fetchone()[0]
    path = os.path.join(xdir, fname)
    st = os.stat(path)
    check("file: mode 0600", (st.st_mode & 0o777) == 0o600, oct(st.st_mode))
    with open(path, "rb") as f:
        fdata = f.read()
    compare_xlsx("file xlsx", decrypt_xlsx(fdata, PASSWORD), exp_chats, tz)
    a = audit_matches("file xlsx", cur, fdata, exp_chats, "chats", "xlsx", fname)
    check("file: returns the audit id", a is not None and a[0] == aid)
    cur.execute("""SELECT csstats.export_cases_to_file(password => %s, reason => %s, since => %s,
                          until => %s, format => 'json', channel_id => %s, as_of => %s)""",
                (PASSWORD, "e2e: generated name", c_since, c_until, channel, AS_OF))
    aid = cur.fetchone()[0]
    cur.execute("SELECT destination FROM csstats.export_audit WHERE id = %s", (aid,))
    gen = cur.fetchone()[0]
    check("file: generated name names kind, channel and audit id",
          gen.startswith(f"csstats-cases-{channel}-") and gen.endswith(f"-{aid}.json.zip")
          and os.path.exists(os.path.join(xdir, gen)), gen)
    check("file: no temporary files left", not glob.glob(os.path.join(xdir, ".csstats-*")))

    # exports are not transactional: the audit row is committed by the audit
    # worker before the file gets its final name, so a rollback of the caller
    # removes neither (the file was delivered)
    conn2 = psycopg2.connect(dbname=db)
    c2 = conn2.cursor()
    c2.execute("""SELECT csstats.export_chats_to_file(filename => 'e2e-rollback-' || pg_backend_pid() || '.xlsx', password => %s,
                         reason => 'rollback', channel_id => %s, since => %s, until => %s)""",
               (PASSWORD, channel, since, until))
    rb_id = c2.fetchone()[0]
    rb_files = glob.glob(os.path.join(xdir, "e2e-rollback-*"))
    check("file: final name before the caller commits", len(rb_files) == 1, str(rb_files))
    conn2.rollback()
    conn2.close()
    cur.execute("SELECT destination, sha256 FROM csstats.export_audit WHERE id = %s", (rb_id,))
    row = cur.fetchone()
    ok = row is not None and len(rb_files) == 1 and os.path.basename(rb_files[0]) == row[0]
    if ok:
        with open(rb_files[0], "rb") as f:
            ok = hashlib.sha256(f.read()).hexdigest() == row[1]
    check("file: after a rollback, the delivered file and its audit row stay", ok, str(row))
    check("file: rollback leaves no temporary file", not glob.glob(os.path.join(xdir, ".csstats-*")))
    for f in rb_files:
        os.unlink(f)

    # symbolic links in the export directory are never followed or replaced
    cur.execute("SELECT count(*) FROM csstats.export_audit")
    n_audit = cur.fetchone()[0]
    with tempfile.TemporaryDirectory() as outside:
        target = os.path.join(outside, "target.xlsx")
        existing = os.path.join(outside, "existing.xlsx")
        with open(existing, "wb") as f:
            f.write(b"keep me")
        links = {f"e2e-dangling-{os.getpid()}.xlsx": target,
                 f"e2e-existing-{os.getpid()}.xlsx": existing}
        for name, dest in links.items():
            os.symlink(dest, os.path.join(xdir, name))
            try:
                cur.execute("""SELECT csstats.export_chats_to_file(filename => %s, password => %s,
                                      reason => 'symlink', channel_id => %s, since => %s, until => %s)""",
                            (name, PASSWORD, channel, since, until))
                refused = False
            except psycopg2.errors.DuplicateFile as e:
                refused = "symbolic link" in str(e)
            check(f"file: symlink {name.split('-')[1]} refused", refused)
            os.unlink(os.path.join(xdir, name))
        with open(existing, "rb") as f:
            check("file: symlink targets untouched", not os.path.exists(target) and f.read() == b"keep me")
    cur.execute("SELECT count(*) FROM csstats.export_audit")
    check("file: refused exports wrote no audit row", cur.fetchone()[0] == n_audit)
    check("file: refused exports left no temporary files", not glob.glob(os.path.join(xdir, ".csstats-*")))

    # A failing export with the password as a server-side bind parameter
    # (libpq PQexecParams; psycopg2 interpolates parameters on the client, so
    # its statement text would hold the password): the server log, where
    # errors are written with their statement, never shows the password.
    bindexec = os.environ.get("CSSTATS_BINDEXEC")
    log = os.path.join(os.environ.get("CSSTATS_RUN", ""), "server.log")
    if bindexec and os.path.exists(log):
        env = dict(os.environ, PGDATABASE=db)
        log_start = os.path.getsize(log)
        r = subprocess.run([bindexec, "SELECT csstats.export_chats(password => $1, reason => $2, "
                            "channel_id => $3)", PASSWORD, "log check", "no-such-channel"],
                           capture_output=True, text=True, env=env)
        check("bind parameters: a failing export reports its error", r.returncode == 1
              and r.stdout.startswith("22023") and PASSWORD not in r.stdout, r.stdout)
        r = subprocess.run([bindexec, "SELECT csstats.export_chats(password => $1, reason => $2, "
                            "channel_id => $3, since => $4::timestamptz, until => $5::timestamptz)",
                            PASSWORD, "bind parameters", channel, str(since), str(until)],
                           capture_output=True, text=True, env=env)
        check("bind parameters: export succeeds", r.returncode == 0 and r.stdout.endswith("bytes\n"),
              r.stdout + r.stderr)
        with open(log, "rb") as f:
            f.seek(log_start)
            text = f.read()
        check("server log never holds the password",
              b"no-such-channel" in text and PASSWORD.encode() not in text)

    # the chain is intact after all this
    cur.execute("SELECT bool_and(ok), count(*) FROM csstats.verify_audit()")
    ok, n = cur.fetchone()
    check("verify_audit: chain intact", ok and n >= 8, f"{ok} {n}")

    failed = [n for n, ok in results if not ok]
    print(f"export_e2e: {len(results) - len(failed)} passed, {len(failed)} failed")
    return 0 if not failed else 1


if __name__ == "__main__":
    cmd, db, channel = sys.argv[1], sys.argv[2], sys.argv[3]
    if cmd == "setup":
        setup(db, channel)
        sys.exit(0)
    sys.exit(run_checks(db, channel))
