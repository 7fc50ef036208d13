#!/usr/bin/python3
"""Cancel, terminate and parallel-session checks of csstats exports.

    export_cancel.py DB CHANNEL     (the channel must exist; a few thousand chats)

Cancel: an export is cancelled with pg_cancel_backend at points spread over
its run (sheet reading, workbook writing, encryption); the error must arrive
within a second of the cancel, and nothing may be left: no temporary
directory under $PGDATA/base/pgsql_tmp, no temporary or final file in the
export directory, no audit row.  The same after pg_terminate_backend.
Parallel: several sessions export at once; every file is correct, distinct
and has its own audit row, and the audit chain verifies.
Needs CSSTATS_RUN (the cluster directory) to look at the server's files.
"""
import glob
import hashlib
import io
import os
import subprocess
import sys
import tempfile
import threading
import time

import msoffcrypto
import psycopg2

from export_e2e import check, connect, results  # the end-to-end checks' helpers

PASSWORD = "Cancel0Test"


def leftovers(xdir, tmpbase, final=None):
    found = glob.glob(os.path.join(tmpbase, "pgsql_tmpcsstats*"))
    found += glob.glob(os.path.join(xdir, ".csstats-*"))
    if final:
        found += glob.glob(os.path.join(xdir, final))
    return found


def wait_clean(xdir, tmpbase, final, timeout=5.0):
    """Cleanup follows the error: at once, or when an abandoned workbook close
    finishes in its thread (it then removes the private directory)."""
    t0 = time.monotonic()
    while True:
        left = leftovers(xdir, tmpbase, final)
        if not left or time.monotonic() - t0 > timeout:
            return left
        time.sleep(0.05)


def audit_count(cur):
    cur.execute("SELECT count(*) FROM csstats.export_audit")
    return cur.fetchone()[0]


def export_sql(to_file, fmt):
    if to_file:
        return ("SELECT csstats.export_chats_to_file(filename => %s, password => %s, reason => %s, "
                "format => %s, include_messages => true, channel_id => %s)")
    return ("SELECT length(csstats.export_chats(password => %s, reason => %s, format => %s, "
            "include_messages => true, channel_id => %s))")


def run_export(db, channel, to_file, fmt, name, out):
    conn = connect(db)
    cur = conn.cursor()
    cur.execute("SELECT pg_backend_pid()")
    out["pid"] = cur.fetchone()[0]
    out["ready"].set()
    try:
        if to_file:
            cur.execute(export_sql(True, fmt), (name, PASSWORD, "cancel test", fmt, channel))
        else:
            cur.execute(export_sql(False, fmt), (PASSWORD, "cancel test", fmt, channel))
        out["result"] = cur.fetchone()[0]
    except Exception as e:  # the cancel or terminate
        out["error"] = e
    out["t_end"] = time.monotonic()
    try:
        conn.close()
    except Exception:
        pass


def main(db, channel):
    run = os.environ["CSSTATS_RUN"]
    tmpbase = os.path.join(run, "data", "base", "pgsql_tmp")
    ctl = connect(db)
    cur = ctl.cursor()
    cur.execute("SHOW csstats.export_directory")
    xdir = cur.fetchone()[0]

    # how long one export takes
    t0 = time.monotonic()
    cur.execute(export_sql(True, "xlsx"), ("cancel-baseline.xlsx", PASSWORD, "baseline", "xlsx", channel))
    full = time.monotonic() - t0
    check(f"baseline export takes long enough to cancel ({full:.2f} s)", full > 1.0)

    n0 = audit_count(cur)
    delays = [0.05, 0.2] + [full * f for f in (0.3, 0.5, 0.7, 0.85, 0.95)]
    for i, d in enumerate(delays):
        for to_file, fmt in ((True, "xlsx"), (False, "json")):
            name = f"cancel-{i}-{fmt}.out"
            out = {"ready": threading.Event()}
            th = threading.Thread(target=run_export, args=(db, channel, to_file, fmt, name, out))
            th.start()
            out["ready"].wait()
            time.sleep(d)
            t_cancel = time.monotonic()
            cur.execute("SELECT pg_cancel_backend(%s)", (out["pid"],))
            th.join()
            label = f"cancel after {d:.2f} s ({'file' if to_file else 'bytea'}, {fmt})"
            if "error" not in out:
                # finished before the cancel arrived: then it must be complete
                check(f"{label}: finished before the cancel", out.get("result"))
                n0 = audit_count(cur)
                continue
            err = out["error"]
            check(f"{label}: canceled", isinstance(err, psycopg2.errors.QueryCanceled), repr(err))
            lag = out["t_end"] - t_cancel
            check(f"{label}: within a second ({lag:.3f} s)", lag < 1.0)
            left = wait_clean(xdir, tmpbase, name)
            check(f"{label}: nothing left", not left, f"{left}")
            check(f"{label}: no audit row", audit_count(cur) == n0)

    # pg_terminate_backend: the backend exits; its private directory goes too
    out = {"ready": threading.Event()}
    th = threading.Thread(target=run_export, args=(db, channel, True, "xlsx", "terminated.xlsx", out))
    th.start()
    out["ready"].wait()
    time.sleep(full * 0.5)
    cur.execute("SELECT pg_terminate_backend(%s)", (out["pid"],))
    th.join()
    check("terminate: the session ended with an error", "error" in out)
    left = wait_clean(xdir, tmpbase, "terminated.xlsx")
    check("terminate: nothing left", not left, f"{left}")
    check("terminate: no audit row", audit_count(cur) == n0)

    # parallel sessions: correct, distinct files and audit rows
    jobs = []
    for i in range(4):
        out = {"ready": threading.Event()}
        fmt = "xlsx" if i % 2 == 0 else "json"
        name = f"parallel-{i}.{'xlsx' if fmt == 'xlsx' else 'zip'}"
        th = threading.Thread(target=run_export, args=(db, channel, True, fmt, name, out))
        jobs.append((th, out, name, fmt))
    t0 = time.monotonic()
    for th, *_ in jobs:
        th.start()
    for th, *_ in jobs:
        th.join()
    wall = time.monotonic() - t0
    ids = [out.get("result") for _, out, _, _ in jobs]
    check(f"parallel: 4 exports succeeded ({wall:.2f} s)", all(ids), f"{[o.get('error') for _, o, _, _ in jobs]}")
    check("parallel: distinct audit ids", len(set(ids)) == 4, f"{ids}")
    hashes = set()
    for _th, out, name, fmt in jobs:
        path = os.path.join(xdir, name)
        if not os.path.exists(path):
            check(f"parallel: {name} exists", False)
            continue
        with open(path, "rb") as f:
            data = f.read()
        digest = hashlib.sha256(data).hexdigest()
        hashes.add(digest)
        cur.execute("SELECT sha256, bytes, destination FROM csstats.export_audit WHERE id = %s", (out["result"],))
        a = cur.fetchone()
        check(f"parallel: {name} matches its audit row", a == (digest, len(data), name), f"{a}")
        if fmt == "xlsx":
            f = msoffcrypto.OfficeFile(io.BytesIO(data))
            f.load_key(password=PASSWORD)
            plain = io.BytesIO()
            f.decrypt(plain, verify_integrity=True)
            check(f"parallel: {name} decrypts", plain.getvalue()[:2] == b"PK")
        else:
            with tempfile.TemporaryDirectory() as d:
                r = subprocess.run(["7z", "t", f"-p{PASSWORD}", path], capture_output=True)
                check(f"parallel: {name} decrypts", r.returncode == 0, r.stdout.decode()[-200:])
    check("parallel: files differ (fresh salts and keys)", len(hashes) == 4)
    cur.execute("SELECT bool_and(ok) FROM csstats.verify_audit()")
    check("parallel: audit chain verifies", cur.fetchone()[0])

    failed = [n for n, ok in results if not ok]
    print(f"export_cancel: {len(results) - len(failed)} passed, {len(failed)} failed")
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
