#!/usr/bin/env python3
"""The Summary sheet of the exports (include_summary => true), end to end.

    summary_check.py DB CHANNEL [ARTIFACT_DIR]

Against a real server and files opened by independent tools:
  - XLSX: decrypted with msoffcrypto-tool, read with openpyxl; "Summary" is
    the first sheet and the other sheets equal those of the same export
    without it; every number of the daily and per-assignee tables equals a
    query written here over the sheet functions of the same export
    (percentile_cont over user_chat_sheet / user_chat_case_sheet, missed
    meets of user_chat_meet_sheet); the rows-per-sheet block equals the
    sheets' row counts; the chart parts (xl/charts/chartN.xml, read with
    zipfile) are a column, a line and a bar chart whose series point at the
    table ranges found in the sheet;
  - JSON: the "Summary" key (the last key) carries the same tables;
  - the cases export the same over user_chat_case_sheet;
  - limits: a range with 0 chats (tables empty, no chart), one day, 400 days;
  - LibreOffice (headless) converts the decrypted workbook to PDF, pdftoppm
    rasterises page 1 (the Summary) and it must not be blank; the PNG is kept
    in ARTIFACT_DIR (default /tmp/csstats-artifacts).
"""
import io
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile

import msoffcrypto
import openpyxl
import psycopg2

PASSWORD = "SummaryPassw0rd"
AS_OF = "2026-12-31 00:00+00"  # after the shifted copies (setup)
results = []


def check(name, cond, detail=""):
    results.append((name, bool(cond)))
    print(f"{name}: {'ok' if cond else 'FAIL ' + str(detail)}", flush=True)
    return cond


def connect(db):
    conn = psycopg2.connect(dbname=db)
    conn.autocommit = True
    return conn


def decrypt_xlsx(data):
    f = msoffcrypto.OfficeFile(io.BytesIO(data))
    f.load_key(password=PASSWORD)
    out = io.BytesIO()
    f.decrypt(out, verify_integrity=True)
    return out.getvalue()


def unzip_json(data):
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "e.zip")
        with open(p, "wb") as f:
            f.write(data)
        subprocess.run(["7z", "x", f"-p{PASSWORD}", f"-o{d}/out", p], check=True,
                       capture_output=True)
        with open(os.path.join(d, "out", os.listdir(f"{d}/out")[0]), "rb") as f:
            return json.loads(f.read().decode("utf-8"))


def export(cur, kind, since, until, fmt="xlsx", summary=True, messages=False):
    args = dict(password=PASSWORD, reason="summary suite", since=since, until=until,
                format=fmt, channel_id=CHANNEL, as_of=AS_OF, include_summary=summary)
    if kind == "chats":
        args["include_messages"] = messages
    names = ", ".join(f"{k} => %({k})s" for k in args)
    cur.execute(f"SELECT csstats.export_{kind}({names})", args)
    return bytes(cur.fetchone()[0])


# ------------------------------------------------------------ expected
DAY_SQL = {
    "chats": """
WITH s AS (SELECT * FROM csstats.user_chat_sheet(%(ch)s, %(since)s, %(until)s, '{}', %(as_of)s)),
     m AS (SELECT user_chat_id, count(*) AS n
           FROM csstats.user_chat_meet_sheet(%(ch)s, %(since)s, %(until)s, '{}', %(as_of)s)
           WHERE missed_reason IS NOT NULL GROUP BY 1)
SELECT (s.created_at AT TIME ZONE %(tz)s)::date, count(*), count(s.closed_at),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY waiting_time) / 60,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY waiting_time) / 60,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY resolution_time) / 60,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY operation_waiting_time) / 60,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY operation_waiting_time) / 60,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY operation_resolution_time) / 60,
       coalesce(sum(m.n), 0)
FROM s LEFT JOIN m ON m.user_chat_id = s.id GROUP BY 1 ORDER BY 1""",
    "cases": """
WITH s AS (SELECT * FROM csstats.user_chat_case_sheet(%(ch)s, %(since)s, %(until)s, '{}', %(as_of)s))
SELECT (s.user_chat_case_created_at AT TIME ZONE %(tz)s)::date, count(*), count(s.closed_at),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY waiting_time) / 60,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY waiting_time) / 60,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY resolution_time) / 60,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY operation_waiting_time) / 60,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY operation_waiting_time) / 60,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY operation_resolution_time) / 60,
       coalesce(sum(missed_count), 0)
FROM s GROUP BY 1 ORDER BY 1""",
}
ASSIGNEE_SQL = {
    "chats": """
WITH s AS (SELECT * FROM csstats.user_chat_sheet(%(ch)s, %(since)s, %(until)s, '{}', %(as_of)s)),
     g AS (SELECT id, name FROM csstats.manager_sheet(%(ch)s, %(since)s, %(until)s, '{}', %(as_of)s))
SELECT coalesce(max(g.name), s.assignee_id, '(unassigned)'), s.assignee_id, count(*),
       coalesce(sum(reply_count), 0),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY waiting_time) / 60,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY resolution_time) / 60,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY operation_waiting_time) / 60,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY operation_resolution_time) / 60
FROM s LEFT JOIN g ON g.id = s.assignee_id GROUP BY s.assignee_id
ORDER BY 3 DESC, s.assignee_id COLLATE "C" NULLS LAST""",
    "cases": """
SELECT coalesce(max(assignee_name), assignee_id, '(unassigned)'), assignee_id, count(*),
       coalesce(sum(reply_count), 0),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY waiting_time) / 60,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY resolution_time) / 60,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY operation_waiting_time) / 60,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY operation_resolution_time) / 60
FROM csstats.user_chat_case_sheet(%(ch)s, %(since)s, %(until)s, '{}', %(as_of)s)
GROUP BY assignee_id ORDER BY 3 DESC, assignee_id COLLATE "C" NULLS LAST""",
}


def expected(cur, kind, since, until):
    p = dict(ch=CHANNEL, since=since, until=until, as_of=AS_OF, tz=TZ)
    cur.execute(DAY_SQL[kind], p)
    days = [[r[0].isoformat()] + list(r[1:]) for r in cur.fetchall()]
    cur.execute(ASSIGNEE_SQL[kind], p)
    assignees = [list(r) for r in cur.fetchall()]
    return days, assignees


def same(a, b):
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)
    return str(a) == str(b)


def same_rows(got, want):
    if len(got) != len(want):
        return False, f"{len(got)} rows, want {len(want)}"
    for i, (g, w) in enumerate(zip(got, want)):
        if len(g) != len(w) or not all(same(x, y) for x, y in zip(g, w)):
            return False, f"row {i}: {g} != {w}"
    return True, ""


# ------------------------------------------------------------ the sheet
def summary_tables(ws):
    """The tables of the Summary sheet as (first row, rows) by header."""
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    found = {}
    for i, r in enumerate(rows):
        if r and r[0] in ("Day", "Assignee", "Sheet"):
            j = i + 1
            body = []
            while j < len(rows) and any(v is not None for v in rows[j]):
                body.append(rows[j])
                j += 1
            found[r[0]] = (i + 2, body)  # 1-based row of the first body row
    return found


def day_values(body):
    out = []
    for r in body:
        d = r[0]
        d = d.date().isoformat() if hasattr(d, "date") else str(d)
        out.append([d] + [r[k] for k in range(1, 10)])
    return out


def assignee_values(body):
    return [[r[k] for k in range(0, 8)] for r in body]


def charts(xlsx):
    z = zipfile.ZipFile(io.BytesIO(xlsx))
    names = sorted(n for n in z.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n))
    return [z.read(n).decode() for n in names], z


def refs(xml):
    return re.findall(r"<c:f>([^<]*)</c:f>", xml)


def check_xlsx(cur, label, kind, since, until, want_days=None):
    data = export(cur, kind, since, until)
    plain = decrypt_xlsx(data)
    wb = openpyxl.load_workbook(io.BytesIO(plain))
    check(f"{label}: Summary is sheet 1", wb.sheetnames[0] == "Summary", wb.sheetnames)
    t = summary_tables(wb["Summary"])
    check(f"{label}: three tables", set(t) == {"Day", "Assignee", "Sheet"}, sorted(t))
    days, assignees = expected(cur, kind, since, until)
    cur.execute("SELECT row_counts FROM csstats.export_audit ORDER BY id DESC LIMIT 1")
    rc = cur.fetchone()[0]
    check(f"{label}: the audit row counts the Summary's table rows",
          rc.get("Summary") == len(days) + len(assignees), rc)
    if want_days is not None:
        check(f"{label}: {want_days} days", len(days) == want_days, len(days))
    d_first, d_body = t["Day"]
    a_first, a_body = t["Assignee"]
    ok, why = same_rows(day_values(d_body), days)
    check(f"{label}: daily table = SQL over the sheet functions ({len(days)} days)", ok, why)
    ok, why = same_rows(assignee_values(a_body), assignees)
    check(f"{label}: assignee table = SQL ({len(assignees)} assignees)", ok, why)

    # the other sheets: the same as in the export without the Summary
    plain0 = decrypt_xlsx(export(cur, kind, since, until, summary=False))
    wb0 = openpyxl.load_workbook(io.BytesIO(plain0), read_only=True)
    check(f"{label}: other sheets as without include_summary",
          wb.sheetnames[1:] == wb0.sheetnames, (wb.sheetnames, wb0.sheetnames))
    counts = {r[0]: r[1] for r in t["Sheet"][1]}
    same_cells = True
    for name in wb0.sheetnames:
        a = [tuple(c for c in r) for r in wb[name].iter_rows(values_only=True)]
        b = [tuple(c for c in r) for r in wb0[name].iter_rows(values_only=True)]
        if a != b:
            same_cells = False
        if counts.get(name) != len(b) - 1:
            check(f"{label}: rows of {name}", False, (counts.get(name), len(b) - 1))
    check(f"{label}: every cell of the other sheets unchanged", same_cells)
    check(f"{label}: rows per sheet block", list(counts) == wb0.sheetnames, counts)

    # charts and their ranges
    xml, z = charts(plain)
    if not days:
        check(f"{label}: no chart over empty tables", xml == [] and
              not any(n.startswith("xl/drawings/") for n in z.namelist()), len(xml))
        return plain
    check(f"{label}: three chart parts", len(xml) == 3, len(xml))
    d_last = d_first + len(d_body) - 1
    a_last = a_first + len(a_body) - 1
    # libxlsxwriter writes a one-cell range as that cell
    col = lambda c, f, l: f"Summary!${c}${f}" if f == l else f"Summary!${c}${f}:${c}${l}"
    want = [
        ('<c:barDir val="col"/>', [col("A", d_first, d_last), col("B", d_first, d_last),
                                   col("A", d_first, d_last), col("C", d_first, d_last)]),
        ("<c:lineChart>", [col("A", d_first, d_last), col("D", d_first, d_last),
                           col("A", d_first, d_last), col("E", d_first, d_last)]),
        ('<c:barDir val="bar"/>', [col("A", a_first, a_last), col("C", a_first, a_last)]),
    ]
    for i, (kindtag, r) in enumerate(want):
        check(f"{label}: chart {i + 1} kind and series ranges",
              kindtag in xml[i] and refs(xml[i]) == r, (refs(xml[i]), r))
    check(f"{label}: axis titles (minutes)", "minutes" in xml[1] and "day" in xml[0], "")
    sheet1 = z.read("xl/worksheets/sheet1.xml").decode()
    check(f"{label}: the charts are drawn on the Summary", "<drawing " in sheet1)
    return plain


def check_json(cur, label, kind, since, until):
    doc = unzip_json(export(cur, kind, since, until, fmt="json"))
    keys = list(doc)
    check(f"{label}: \"Summary\" is the last key", keys[-1] == "Summary", keys)
    s = doc["Summary"]
    days, assignees = expected(cur, kind, since, until)
    n = "newCases" if kind == "cases" else "newChats"
    got = [[d["day"], d[n], d["closed"], d["waitingTimeMedian"], d["waitingTimeP90"],
            d["resolutionTimeMedian"], d["operationWaitingTimeMedian"],
            d["operationWaitingTimeP90"], d["operationResolutionTimeMedian"], d["missedCalls"]]
           for d in s["days"]]
    ok, why = same_rows(got, days)
    check(f"{label}: days = SQL", ok, why)
    c = "cases" if kind == "cases" else "chats"
    got = [[a["assigneeName"] or a["assigneeId"] or "(unassigned)", a["assigneeId"], a[c],
            a["replies"], a["waitingTimeMedian"], a["resolutionTimeMedian"],
            a["operationWaitingTimeMedian"], a["operationResolutionTimeMedian"]]
           for a in s["assignees"]]
    ok, why = same_rows(got, assignees)
    check(f"{label}: assignees = SQL", ok, why)
    check(f"{label}: rowsPerSheet", s["rowsPerSheet"] == {k: len(v) for k, v in doc.items()
                                                          if k != "Summary"}, s["rowsPerSheet"])
    check(f"{label}: scope", s["scope"]["channel"] == CHANNEL and s["scope"]["export"] == kind,
          s["scope"])


# ------------------------------------------------------------ rendering
def render(plain, outdir):
    with tempfile.TemporaryDirectory() as d:
        x = os.path.join(d, "summary.xlsx")
        with open(x, "wb") as f:
            f.write(plain)
        r = subprocess.run(["soffice", f"-env:UserInstallation=file://{d}/profile", "--headless",
                            "--convert-to", "pdf", "--outdir", d, x],
                           capture_output=True, timeout=300)
        pdf = os.path.join(d, "summary.pdf")
        if not check("LibreOffice converts the workbook to PDF", r.returncode == 0 and
                     os.path.exists(pdf), r.stderr.decode(errors="replace")[-300:]):
            return
        subprocess.run(["pdftoppm", "-r", "60", "-f", "1", "-l", "1", pdf, f"{d}/p"], check=True)
        ppm = [n for n in os.listdir(d) if n.startswith("p") and n.endswith(".ppm")][0]
        with open(os.path.join(d, ppm), "rb") as f:
            raw = f.read()
        # P6 header: magic, width, height, maxval, then RGB bytes
        m = re.match(rb"P6\s+(\d+)\s+(\d+)\s+(\d+)\s", raw)
        w, h = int(m.group(1)), int(m.group(2))
        px = raw[m.end():]
        dark = sum(1 for i in range(0, len(px), 3) if px[i] < 200 or px[i + 1] < 200 or px[i + 2] < 200)
        colour = sum(1 for i in range(0, len(px), 3)
                     if max(px[i:i + 3]) - min(px[i:i + 3]) > 60)
        check("page 1 (the Summary) is not blank", dark > 0.01 * w * h, f"{dark} of {w * h}")
        check("page 1 shows coloured chart marks", colour > 200, colour)
        subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile",
                        pdf, f"{d}/summary"], check=True)
        os.makedirs(outdir, exist_ok=True)
        shutil.copy(f"{d}/summary.png", os.path.join(outdir, "summary.png"))
        print(f"artifact: {os.path.join(outdir, 'summary.png')}", flush=True)


# ------------------------------------------------------------ fixture
def setup(cur):
    """A demo channel, plus copies of its chats shifted by 181 and 362 days
    so a range can hold 400 days with chats (the copies have no events)."""
    cur.execute("SELECT count(*) FROM csstats.channels WHERE id = %s", (CHANNEL,))
    if cur.fetchone()[0] == 0:
        cur.execute("SELECT count(*) FROM csstats.generate_demo(%s, 400, 7)", (CHANNEL,))
        cur.execute("""
            INSERT INTO csstats.user_chats
            SELECT (jsonb_populate_record(c, jsonb_build_object(
                        'id', c.id || '-s' || k,
                        'created_at', c.created_at + k * interval '181 days',
                        'updated_at', c.updated_at + k * interval '181 days'))).*
            FROM csstats.user_chats c, generate_series(1, 2) k
            WHERE c.channel_id = %s""", (CHANNEL,))
        # Latin names: the rendering machine may lack CJK fonts
        cur.execute("UPDATE csstats.managers SET name = 'Agent ' || upper(id) WHERE channel_id = %s",
                    (CHANNEL,))
        cur.execute("ANALYZE")
    cur.execute("SELECT timezone FROM csstats.channels WHERE id = %s", (CHANNEL,))
    return cur.fetchone()[0]


def main():
    global CHANNEL, TZ
    db, CHANNEL = sys.argv[1], sys.argv[2]
    outdir = sys.argv[3] if len(sys.argv) > 3 else "/tmp/csstats-artifacts"
    cur = connect(db).cursor()
    cur.execute("SET client_min_messages = warning")
    TZ = setup(cur)
    cur.execute("SELECT min(created_at AT TIME ZONE %s)::date FROM csstats.user_chats WHERE channel_id = %s",
                (TZ, CHANNEL))
    first = cur.fetchone()[0]

    def local(d):
        cur.execute("SELECT (%s::date)::timestamp AT TIME ZONE %s", (d, TZ))
        return cur.fetchone()[0]

    import datetime
    month = (local(first), local(first + datetime.timedelta(days=31)))
    plain = check_xlsx(cur, "chats xlsx, a month", "chats", *month)
    check_json(cur, "chats json, a month", "chats", *month)
    check_xlsx(cur, "cases xlsx, a month", "cases", *month)
    check_json(cur, "cases json, a month", "cases", *month)
    check_xlsx(cur, "chats xlsx, 0 chats", "chats", local(datetime.date(2020, 1, 1)),
               local(datetime.date(2020, 2, 1)), want_days=0)
    check_xlsx(cur, "chats xlsx, 1 day", "chats", local(first + datetime.timedelta(days=3)),
               local(first + datetime.timedelta(days=4)), want_days=1)
    check_xlsx(cur, "chats xlsx, 400 days", "chats", local(first),
               local(first + datetime.timedelta(days=400)), want_days=400)
    # generate_password form and the server-file form take include_summary too
    cur.execute("""SELECT g.file FROM csstats.export_chats(generate_password => true,
                   reason => 'summary suite', channel_id => %s, since => %s, until => %s,
                   as_of => %s, include_summary => true) g""", (CHANNEL, *month, AS_OF))
    check("generate_password form: a workbook", len(bytes(cur.fetchone()[0])) > 0)
    render(plain, outdir)

    failed = [n for n, ok in results if not ok]
    print(f"summary: {len(results) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
