#!/usr/bin/python3
"""Encrypted XLSX exports opened by a real spreadsheet application.

LibreOffice Calc (Debian's libreoffice-calc-nogui, driven headless through
UNO) opens the chats and cases exports of a channel with their password,
refuses a wrong one, and shows every sheet and every cell exactly as
msoffcrypto-tool + openpyxl read them: sheet names, used area, texts,
numbers, time stamps (as spreadsheet serial days).  The fixture holds
formula-looking text, control characters, emoji and a 40,000-character
message (test/tools/export_e2e.py setup).

    libreoffice_check.py DB CHANNEL
"""
import datetime
import io
import os
import re
import subprocess
import sys
import tempfile
import time

import openpyxl
import uno
from com.sun.star.beans import PropertyValue

from export_e2e import check, connect, decrypt_xlsx, results

PASSWORD = "Calc2026OpensThis"     # the export rules allow letters and digits
AS_OF = "2030-01-01 00:00+00"
EPOCH = datetime.datetime(1899, 12, 30)

def prop(name, value):
    p = PropertyValue()
    p.Name = name
    p.Value = value
    return p


class Office:
    """A private headless soffice, reached over a UNO socket."""

    def __init__(self, workdir):
        self.port = 2300 + os.getpid() % 500
        self.proc = subprocess.Popen(
            ["soffice", "--headless", "--invisible", "--norestore", "--nologo", "--nodefault",
             "--nolockcheck", f"--accept=socket,host=127.0.0.1,port={self.port};urp;",
             f"-env:UserInstallation=file://{workdir}/profile"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext(
            "com.sun.star.bridge.UnoUrlResolver", local)
        deadline = time.time() + 120
        while True:
            try:
                ctx = resolver.resolve(
                    f"uno:socket,host=127.0.0.1,port={self.port};urp;StarOffice.ComponentContext")
                break
            except Exception:
                if time.time() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("soffice did not start")
                time.sleep(0.5)
        self.desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)

    def open(self, path, password):
        try:
            return self.desktop.loadComponentFromURL(
                uno.systemPathToFileUrl(path), "_blank", 0,
                (prop("Hidden", True), prop("Password", password)))
        except Exception:
            return None

    def close(self):
        try:
            self.desktop.terminate()
        except Exception:
            pass
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def openpyxl_sheets(data):
    wb = openpyxl.load_workbook(io.BytesIO(decrypt_xlsx(data, PASSWORD)), read_only=True)
    return [(ws.title, [list(r) for r in ws.iter_rows(values_only=True)]) for ws in wb.worksheets]


def lo_sheets(doc):
    out = []
    for name in doc.Sheets.ElementNames:
        sh = doc.Sheets.getByName(name)
        cur = sh.createCursor()
        cur.gotoEndOfUsedArea(False)
        rows = cur.RangeAddress.EndRow + 1
        cols = cur.RangeAddress.EndColumn + 1
        data = [list(r) for r in sh.getCellRangeByPosition(0, 0, cols - 1, rows - 1).getDataArray()]
        # getDataArray gives a tab inside a text as \x01 (Calc's field mark);
        # the cell's own String has the text as stored
        for i, r in enumerate(data):
            for j, v in enumerate(r):
                if isinstance(v, str) and "\x01" in v:
                    r[j] = sh.getCellByPosition(j, i).String
        out.append((name, data))
    return out


def ooxml_text(s):
    """A cell text as Excel shows it: _xHHHH_ escapes decoded (openpyxl 3.0
    returns them as written; our writer escapes a literal "_xHHHH_" in the
    data as "_x005F_xHHHH_", which must come back as the literal)."""
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), s)


def same_cell(want, got):
    """openpyxl's value against LibreOffice's (str for text, float for numbers)."""
    if want is None:
        return got == ""
    if isinstance(want, str):
        return got == ooxml_text(want)
    if isinstance(want, bool):
        return got == float(want)
    if isinstance(want, (int, float)):
        return isinstance(got, float) and abs(got - want) <= 1e-9 * max(1.0, abs(want))
    if isinstance(want, datetime.datetime):
        serial = (want.replace(tzinfo=None) - EPOCH) / datetime.timedelta(days=1)
        return isinstance(got, float) and abs(got - serial) < 1e-8    # under 1 ms
    return False


def compare(label, office, path, data):
    bad = office.open(path, PASSWORD + "x")
    check(f"{label}: a wrong password is refused", bad is None)
    if bad is not None:
        bad.close(True)
    doc = office.open(path, PASSWORD)
    check(f"{label}: opens with the password", doc is not None)
    if doc is None:
        return
    try:
        want = openpyxl_sheets(data)
        got = lo_sheets(doc)
    finally:
        doc.close(True)
    check(f"{label}: same sheets", [w[0] for w in want] == [g[0] for g in got],
          f"{[w[0] for w in want]} vs {[g[0] for g in got]}")
    for (name, wrows), (_, grows) in zip(want, got):
        # openpyxl may report trailing empty cells; LibreOffice's used area ends at the last value
        width = max((len(r) for r in wrows), default=0)
        wrows = [r + [None] * (width - len(r)) for r in wrows]
        while width > 0 and all(r[width - 1] is None for r in wrows):
            width -= 1
            wrows = [r[:width] for r in wrows]
        gwidth = len(grows[0]) if grows else 0
        check(f"{label} / {name}: {len(wrows)} rows x {width} columns",
              len(grows) == len(wrows) and gwidth == width,
              f"LibreOffice {len(grows)} x {gwidth}")
        diffs = []
        for i, (wr, gr) in enumerate(zip(wrows, grows)):
            for j, (w, g) in enumerate(zip(wr, gr)):
                if not same_cell(w, g):
                    diffs.append((i + 1, j + 1, repr(w)[:80], repr(g)[:80]))
        check(f"{label} / {name}: every cell as openpyxl reads it", not diffs,
              f"{len(diffs)} cells differ, first {diffs[:3]}"[:2000])


def main(db, channel):
    cur = connect(db).cursor()
    cur.execute("SELECT min(created_at), max(created_at) + interval '1 second' FROM csstats.user_chats "
                "WHERE channel_id = %s", (channel,))
    since, until = cur.fetchone()
    cur.execute("""SELECT csstats.export_chats(password => %s, reason => %s, since => %s, until => %s,
                          include_messages => true, channel_id => %s, as_of => %s)""",
                (PASSWORD, "LibreOffice check: chats", since, until, channel, AS_OF))
    chats = bytes(cur.fetchone()[0])
    cur.execute("""SELECT csstats.export_cases(password => %s, reason => %s, since => %s, until => %s,
                          channel_id => %s, as_of => %s)""",
                (PASSWORD, "LibreOffice check: cases", since, until, channel, AS_OF))
    cases = bytes(cur.fetchone()[0])
    with tempfile.TemporaryDirectory(prefix="csstats-lo-") as work:
        office = Office(work)
        try:
            for label, data in (("chats", chats), ("cases", cases)):
                path = os.path.join(work, f"{label}.xlsx")
                with open(path, "wb") as f:
                    f.write(data)
                compare(label, office, path, data)
        finally:
            office.close()
    failed = [n for n, ok in results if not ok]
    print(f"libreoffice: {len(results) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
