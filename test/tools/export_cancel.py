#!/usr/bin/python3
"""Cancel, terminate and parallel-session checks of csstats exports.

    export_cancel.py DB CHANNEL     (the channel must exist; a few thousand chats)

Cancel: an export is cancelled with pg_cancel_backend at points spread over
its run (sheet reading, workbook writing, encryption); the error must arrive
within a second of the cancel, and nothing may be left: no temporary
directory under $PGDATA/base/pgsql_tmp, no temporary or final file in the
export directory, no audit row (unless the cancel met the audit append:
see cancel_at_audit_append).  The same after pg_terminate_backend.
Parallel: several sessions export at once; every file is correct, distinct
and has its own audit row, and the audit chain verifies.  Close failure:
the workbook close fails in its helper thread (see close_failure).
Needs CSSTATS_RUN (the cluster directory) to look at the server's files.
"""
import glob
import hashlib
import io
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import msoffcrypto
import psycopg2

from export_e2e import check, connect, paused_pid, results  # the end-to-end checks' helpers

PASSWORD = "Cancel0Test"
MIN_EXPORT_SECONDS = float(os.environ.get("CSSTATS_CANCEL_MIN_SECONDS", "1.0"))


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


def audit_last_id(cur):
    cur.execute("SELECT coalesce(max(id), 0) FROM csstats.export_audit")
    return cur.fetchone()[0]


def wait_active(cur, pid, timeout=10.0):
    """Until the backend runs the export (so that a delay counts from the
    statement's start, not from a thread that has yet to send it)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        cur.execute("SELECT state = 'active' AND query ~ 'csstats\\.export_' FROM pg_stat_activity WHERE pid = %s",
                    (pid,))
        row = cur.fetchone()
        if row and row[0]:
            return
        time.sleep(0.002)


def cancel(cur, pid, how="pg_cancel_backend"):
    """Sends the signal; returns the server's time of it and the wait event
    the backend was in just before."""
    cur.execute(f"SELECT clock_timestamp(), (SELECT wait_event FROM pg_stat_activity WHERE pid = %s), "
                f"{how}(%s)", (pid, pid))
    t_server, wait_event, _ = cur.fetchone()
    return t_server, wait_event


# A cancel that arrives while the export waits for the audit worker's append
# (the last step before delivery) cancels the export, but the worker, a
# transaction of its own, still commits the row: a row without a delivery
# (docs/security.md).  Such a row is accepted only when the export was
# waiting for the worker (BgWorkerStartup/BgWorkerShutdown) as the cancel
# was sent, or was appended within AUDIT_RACE_EDGE of it (the wait began
# between reading the wait event and the signal): a row written earlier in
# the export, or by an export that went on after the cancel, fails.
AUDIT_RACE_SECONDS = 0.5
AUDIT_RACE_EDGE = 0.1


def audit_after_cancel(cur, label, last_id, t_cancel, wait_event, reason):
    """Checks the audit rows added since last_id; returns the new last id."""
    cur.execute("SELECT id, reason, outcome, extract(epoch FROM exported_at - %s)::float8 "
                "FROM csstats.export_audit WHERE id > %s ORDER BY id", (t_cancel, last_id))
    rows = cur.fetchall()
    waiting = wait_event in ("BgWorkerStartup", "BgWorkerShutdown")
    ok = not rows or (len(rows) == 1 and rows[0][1] == reason and rows[0][2] == "delivered" and
                      (abs(rows[0][3]) < AUDIT_RACE_SECONDS if waiting else abs(rows[0][3]) < AUDIT_RACE_EDGE))
    check(f"{label}: no audit row, or one appended as the cancel arrived", ok, f"{rows} {wait_event}")
    if rows:
        print(f"{label}: the cancel met the audit append ({rows[0][3]:+.3f} s from the cancel, "
              f"wait event {wait_event})", flush=True)
    return max([last_id] + [r[0] for r in rows])


def export_sql(to_file, fmt):
    if to_file:
        return ("SELECT csstats.export_chats_to_file(filename => %s, password => %s, reason => %s, "
                "format => %s, include_messages => true, channel_id => %s)")
    return ("SELECT length(csstats.export_chats(password => %s, reason => %s, format => %s, "
            "include_messages => true, channel_id => %s))")


def run_export(db, channel, to_file, fmt, name, out, reason="cancel test", setup=None):
    conn = connect(db)
    cur = conn.cursor()
    if setup:
        cur.execute(setup)
    cur.execute("SELECT pg_backend_pid()")
    out["pid"] = cur.fetchone()[0]
    out["ready"].set()
    try:
        if to_file:
            cur.execute(export_sql(True, fmt), (name, PASSWORD, reason, fmt, channel))
        else:
            cur.execute(export_sql(False, fmt), (PASSWORD, reason, fmt, channel))
        out["result"] = cur.fetchone()[0]
    except Exception as e:  # the cancel or terminate
        out["error"] = e
    out["t_end"] = time.monotonic()
    try:
        conn.close()
    except Exception:
        pass


HOLD_KEY = 5505


def close_failure(db, channel, cur, xdir, tmpbase):
    """The workbook close fails in its helper thread: the private directory
    is removed while the export is held on the last sheet (a row-level
    security policy on csstats.meets, read by that sheet only, waits for an
    advisory lock this session holds), so libxlsxwriter cannot create the
    file at the close.  The error (its errno text formatted in the thread)
    reaches the client as an I/O error, the backend stays usable, and
    nothing is left and nothing delivered.  Deterministic: the export is
    released only once it waits on the lock with its directory gone."""
    role = "csstats_close_fail"
    cur.execute("SELECT count(*) FROM csstats.meets WHERE channel_id = %s", (channel,))
    if not check("close failure: the channel has meets to hold on", cur.fetchone()[0] > 0):
        return
    cur.execute(f"DROP ROLE IF EXISTS {role}")
    cur.execute(f"CREATE ROLE {role}")
    cur.execute(f"GRANT USAGE ON SCHEMA csstats TO {role}")
    cur.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA csstats TO {role}")
    cur.execute(f"GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA csstats TO {role}")
    cur.execute("CREATE FUNCTION public.close_fail_hold() RETURNS boolean LANGUAGE plpgsql VOLATILE "
                f"AS $$BEGIN PERFORM pg_advisory_xact_lock_shared({HOLD_KEY}); RETURN true; END$$")
    cur.execute("ALTER TABLE csstats.meets ENABLE ROW LEVEL SECURITY")
    cur.execute(f"CREATE POLICY close_fail_hold ON csstats.meets TO {role} USING (public.close_fail_hold())")
    try:
        cur.execute("BEGIN")
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (HOLD_KEY,))
        out = {"ready": threading.Event()}

        def export():
            conn = connect(db)
            c = conn.cursor()
            c.execute(f"SET ROLE {role}")
            c.execute("SELECT pg_backend_pid()")
            out["pid"] = c.fetchone()[0]
            out["ready"].set()
            try:
                c.execute(export_sql(False, "xlsx"), (PASSWORD, "close failure", "xlsx", channel))
                out["result"] = c.fetchone()[0]
            except psycopg2.Error as e:
                out["error"] = e
            try:
                c.execute("SELECT 1")
                out["alive"] = c.fetchone()[0] == 1
            except psycopg2.Error as e:
                out["alive"] = repr(e)
            conn.close()

        th = threading.Thread(target=export)
        th.start()
        out["ready"].wait()
        # wait (bounded only to fail instead of hanging) until it waits on the lock
        held = False
        for _ in range(1200):
            cur.execute("SELECT count(*) FROM pg_locks WHERE pid = %s AND locktype = 'advisory' "
                        "AND NOT granted", (out["pid"],))
            if cur.fetchone()[0] > 0:
                held = True
                break
            time.sleep(0.05)
        check("close failure: the export waits on the last sheet", held)
        dirs = glob.glob(os.path.join(tmpbase, f"pgsql_tmpcsstats.{out['pid']}.*"))
        check("close failure: one private directory", len(dirs) == 1, f"{dirs}")
        for d in dirs:
            shutil.rmtree(d)
        cur.execute("COMMIT")
        th.join()
        err = out.get("error")
        check("close failure: the export fails", err is not None, f"{out.get('result')}")
        if err is not None:
            check("close failure: SQLSTATE 58030 (io_error)", err.pgcode == "58030", f"{err.pgcode} {err}")
            msg = err.diag.message_primary or ""
            check("close failure: the message names the close and the errno",
                  msg.startswith("could not write the workbook: could not create ") and
                  msg.endswith(": No such file or directory"), msg)
        check("close failure: the backend is still usable", out.get("alive") is True, f"{out.get('alive')}")
        left = wait_clean(xdir, tmpbase, None)
        check("close failure: nothing left", not left, f"{left}")
        cur.execute("SELECT count(*) FROM csstats.export_audit WHERE reason = 'close failure' "
                    "AND sha256 IS NOT NULL")
        check("close failure: nothing delivered", cur.fetchone()[0] == 0)
    finally:
        cur.execute("ROLLBACK")
        cur.execute("DROP POLICY close_fail_hold ON csstats.meets")
        cur.execute("ALTER TABLE csstats.meets DISABLE ROW LEVEL SECURITY")
        cur.execute("DROP FUNCTION public.close_fail_hold()")
        cur.execute(f"DROP OWNED BY {role}")
        cur.execute(f"DROP ROLE {role}")


def cancel_at_audit_append(db, channel, cur, xdir, tmpbase, last_id):
    """Deterministic form of the race above: the audit worker commits the
    row and is held there (test build pause point "worker_after_commit"),
    the export waiting on it is cancelled.  The cancel is answered at once,
    the file never gets its name and nothing is left, and the committed row
    stays (a row without a delivery) and the chain verifies."""
    name = "audit-race.xlsx"
    log = os.path.join(os.environ["CSSTATS_RUN"], "server.log")
    start = os.path.getsize(log)
    out = {"ready": threading.Event()}
    th = threading.Thread(target=run_export, args=(db, channel, True, "xlsx", name, out, "audit race",
                                                   "SET csstats.test_pause_at = 'worker_after_commit'"))
    th.start()
    out["ready"].wait()
    worker = paused_pid(log, start, "worker_after_commit", th.is_alive)
    if not check("audit append: the worker holds after its commit", worker is not None):
        th.join()
        return audit_last_id(cur)
    t_cancel = time.monotonic()
    t_server, wait_event = cancel(cur, out["pid"])
    th.join()
    err = out.get("error")
    check("audit append: the export was waiting for the worker", wait_event == "BgWorkerShutdown", wait_event)
    check("audit append: canceled", isinstance(err, psycopg2.errors.QueryCanceled), repr(err))
    check(f"audit append: within a second ({out['t_end'] - t_cancel:.3f} s)", out["t_end"] - t_cancel < 1.0)
    cur.execute("SELECT pg_terminate_backend(%s)", (worker,))
    left = wait_clean(xdir, tmpbase, name)
    check("audit append: no file, nothing left", not left, f"{left}")
    cur.execute("SELECT count(*), bool_and(exported_at < %s) FROM csstats.export_audit "
                "WHERE id > %s AND reason = 'audit race' AND destination = %s", (t_server, last_id, name))
    check("audit append: the committed row stays (a row without a delivery)", cur.fetchone() == (1, True))
    cur.execute("SELECT bool_and(ok) FROM csstats.verify_audit()")
    check("audit append: audit chain verifies", cur.fetchone()[0])
    return audit_last_id(cur)


def main(db, channel):
    run = os.environ["CSSTATS_RUN"]
    tmpbase = os.path.join(run, "data", "base", "pgsql_tmp")
    ctl = connect(db)
    cur = ctl.cursor()
    cur.execute("SHOW csstats.export_directory")
    xdir = cur.fetchone()[0]

    # How long one export takes.  The cancels below land at fractions of it,
    # so it must be long enough to aim at; a faster machine gets a bigger
    # channel (regenerated with more chats) instead of a failed check.
    chats = 4000  # as the suite generated it; 10,000 is the default export limit
    for attempt in range(3):
        t0 = time.monotonic()
        cur.execute(export_sql(True, "xlsx"), (f"cancel-baseline-{attempt}.xlsx", PASSWORD, "baseline", "xlsx", channel))
        full = time.monotonic() - t0
        if full >= MIN_EXPORT_SECONDS or attempt == 2 or chats >= 10000:
            break
        chats = min(10000, int(chats * 2.0 * MIN_EXPORT_SECONDS / max(full, 0.1)))
        print(f"baseline export took {full:.2f} s; regenerating {channel} with {chats} chats", flush=True)
        cur.execute("DELETE FROM csstats.channels WHERE id = %s", (channel,))
        cur.execute("SELECT count(*) FROM csstats.generate_demo(%s, %s, 3)", (channel, chats))
        cur.execute("VACUUM ANALYZE")
    check(f"baseline export takes long enough to cancel ({full:.2f} s, {chats} chats)",
          full >= MIN_EXPORT_SECONDS)

    last_id = audit_last_id(cur)
    landed = 0
    # the cancels up to this delay land well inside any run (the export
    # does not get 2x faster than its baseline): they must cancel it
    must_land = full * 0.3 + 1e-9
    delays = [0.05, 0.2] + [full * f for f in (0.3, 0.5, 0.7, 0.85, 0.95)]
    for i, d in enumerate(delays):
        for to_file, fmt in ((True, "xlsx"), (False, "json")):
            name = f"cancel-{i}-{fmt}.out"
            out = {"ready": threading.Event()}
            th = threading.Thread(target=run_export, args=(db, channel, to_file, fmt, name, out))
            th.start()
            out["ready"].wait()
            wait_active(cur, out["pid"])
            time.sleep(d)
            t_cancel = time.monotonic()
            t_server, wait_event = cancel(cur, out["pid"])
            th.join()
            label = f"cancel after {d:.2f} s ({'file' if to_file else 'bytea'}, {fmt})"
            if "error" not in out:
                # finished before the cancel arrived: then it must be
                # complete, a late cancel, and done at about that moment (an
                # export that ignored the cancel would end later)
                late = out["t_end"] - t_cancel
                check(f"{label}: finished before the cancel ({late:+.3f} s)",
                      out.get("result") and d > must_land and late < 0.5)
                last_id = audit_last_id(cur)
                continue
            err = out["error"]
            landed += 1
            check(f"{label}: canceled", isinstance(err, psycopg2.errors.QueryCanceled), repr(err))
            lag = out["t_end"] - t_cancel
            check(f"{label}: within a second ({lag:.3f} s)", lag < 1.0)
            left = wait_clean(xdir, tmpbase, name)
            check(f"{label}: nothing left", not left, f"{left}")
            last_id = audit_after_cancel(cur, label, last_id, t_server, wait_event, "cancel test")
    print(f"{landed} of {2 * len(delays)} cancels landed mid-export", flush=True)

    last_id = cancel_at_audit_append(db, channel, cur, xdir, tmpbase, last_id)

    # pg_terminate_backend: the backend exits; its private directory goes too
    out = {"ready": threading.Event()}
    th = threading.Thread(target=run_export, args=(db, channel, True, "xlsx", "terminated.xlsx", out))
    th.start()
    out["ready"].wait()
    wait_active(cur, out["pid"])
    time.sleep(full * 0.5)
    t_server, wait_event = cancel(cur, out["pid"], "pg_terminate_backend")
    th.join()
    check("terminate: the session ended with an error", "error" in out)
    left = wait_clean(xdir, tmpbase, "terminated.xlsx")
    check("terminate: nothing left", not left, f"{left}")
    audit_after_cancel(cur, "terminate", last_id, t_server, wait_event, "cancel test")

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

    close_failure(db, channel, cur, xdir, tmpbase)

    failed = [n for n, ok in results if not ok]
    print(f"export_cancel: {len(results) - len(failed)} passed, {len(failed)} failed")
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
