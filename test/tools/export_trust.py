#!/usr/bin/python3
"""The export trust promises, tried as an attacker and as an unlucky operator would.

    export_trust.py main DB        against the test command's cluster (PGHOST/PGPORT)
    export_trust.py cluster DIR    against a throwaway cluster this script starts in DIR:
                                   crashes at pause points, a standby, no worker slot

Each check prints "name: ok" / "name: FAIL ..."; a last line counts them.
Every check here fails on csstats 0.1.0, whose audit row belonged to the
caller's transaction and whose server files were renamed at pre-commit.
"""
import glob
import hashlib
import os
import re
import signal
import subprocess
import sys
import threading
import time

import psycopg2
import psycopg2.errors

from export_e2e import paused_pid  # the end-to-end checks' helpers

PASSWORD = "TrustTestPassw0rd"
CHANNEL = "trust"
SINCE = "2025-01-01 00:00+09"
UNTIL = "2025-07-01 00:00+09"
PGBIN = os.environ.get("PGBIN", "/usr/lib/postgresql/15/bin")

results = []


def check(name, cond, detail=""):
    results.append(bool(cond))
    print(f"{name}: {'ok' if cond else 'FAIL ' + str(detail)}", flush=True)
    return cond


def connect(db, autocommit=True, **kw):
    conn = psycopg2.connect(dbname=db, **kw)
    conn.autocommit = autocommit
    return conn


def one(cur, sql, args=None):
    cur.execute(sql, args)
    return cur.fetchone()[0]


def audit_count(cur, outcome=None):
    if outcome:
        return one(cur, "SELECT count(*) FROM csstats.export_audit WHERE outcome = %s", (outcome,))
    return one(cur, "SELECT count(*) FROM csstats.export_audit")


def export_sql(to_file=False, extra=""):
    fn = "export_chats_to_file" if to_file else "export_chats"
    fname = "filename => %(filename)s, " if to_file else ""
    return (f"SELECT csstats.{fn}({fname}password => %(password)s, reason => %(reason)s, "
            f"channel_id => %(channel)s, since => %(since)s, until => %(until)s{extra})")


def args(reason, **kw):
    d = dict(password=PASSWORD, reason=reason, channel=CHANNEL, since=SINCE, until=UNTIL)
    d.update(kw)
    return d


def expect_error(label, sqlstate, fn, contains=None):
    try:
        fn()
    except psycopg2.Error as e:
        ok = e.pgcode == sqlstate and (contains is None or contains in str(e))
        return check(label, ok, f"{e.pgcode}: {str(e).strip()}")
    return check(label, False, "no error")


def audit_ok(cur):
    cur.execute("SELECT count(*) FILTER (WHERE NOT ok), count(*) FROM csstats.verify_audit()")
    bad, total = cur.fetchone()
    return bad == 0 and total > 0


# ---------------------------------------------------------------------------
# Against the test command's cluster
# ---------------------------------------------------------------------------
def main_checks(db):
    conn = connect(db)
    cur = conn.cursor()
    cur.execute("SET client_min_messages = warning")
    cur.execute("SELECT count(*) FROM csstats.channels WHERE id = %s", (CHANNEL,))
    if cur.fetchone()[0] == 0:
        cur.execute("SELECT count(*) FROM csstats.generate_demo(%s, 300, 7)", (CHANNEL,))
    xdir = one(cur, "SELECT current_setting('csstats.export_directory')")
    datadir = one(cur, "SELECT current_setting('data_directory')")

    # 1. a rolled-back bytea export: delivered, so audited
    c = connect(db, autocommit=False)
    k = c.cursor()
    k.execute(export_sql(), args("trust: rollback"))
    data = bytes(k.fetchone()[0])
    c.rollback()
    c.close()
    cur.execute("SELECT outcome, destination, bytes FROM csstats.export_audit WHERE sha256 = %s",
                (hashlib.sha256(data).hexdigest(),))
    row = cur.fetchone()
    check("rollback: the returned bytes have a committed audit row",
          row == ("delivered", "bytea", len(data)), row)

    # 2. rolled back to a savepoint
    c = connect(db, autocommit=False)
    k = c.cursor()
    k.execute("SAVEPOINT s")
    k.execute(export_sql(), args("trust: savepoint"))
    data = bytes(k.fetchone()[0])
    k.execute("ROLLBACK TO SAVEPOINT s")
    c.commit()
    c.close()
    check("savepoint rollback: audited",
          one(cur, "SELECT count(*) FROM csstats.export_audit WHERE sha256 = %s AND reason = 'trust: savepoint'",
              (hashlib.sha256(data).hexdigest(),)) == 1)

    # 3. a later row of the same statement fails: the export that ran is audited
    before = audit_count(cur, "delivered")
    expect_error("failing statement: the error reaches the client", "22012",
                 lambda: cur.execute(
                     "SELECT csstats.export_chats(password => %(password)s, reason => %(reason)s, "
                     "channel_id => %(channel)s, since => %(since)s, until => %(until)s) "
                     "FROM generate_series(1, 2) g WHERE 1 / (2 - g) > 0",
                     args("trust: failing statement")))
    check("failing statement: the export it ran is audited",
          audit_count(cur, "delivered") == before + 1)

    # 4. a client that never commits
    c = connect(db, autocommit=False)
    k = c.cursor()
    k.execute(export_sql(), args("trust: never committed"))
    data = bytes(k.fetchone()[0])
    c.close()
    check("never committed: audited",
          one(cur, "SELECT count(*) FROM csstats.export_audit WHERE sha256 = %s",
              (hashlib.sha256(data).hexdigest(),)) == 1)

    # 5. a read-only transaction: refused before any work
    before = audit_count(cur)
    c = connect(db, autocommit=False)
    k = c.cursor()
    k.execute("SET TRANSACTION READ ONLY")
    expect_error("read-only transaction: refused", "25006",
                 lambda: k.execute(export_sql(), args("trust: read only")), "read-only")
    c.close()
    check("read-only transaction: no audit row", audit_count(cur) == before)

    # 6. denied attempts are audited, with the refusal
    cur.execute("""INSERT INTO csstats.managers (channel_id, id, name, role, removed, can_download)
                   VALUES (%s, 'trust-nodl', 'No Download', 'member', false, false)
                   ON CONFLICT DO NOTHING""", (CHANNEL,))
    before = audit_count(cur, "denied")
    expect_error("denied: manager without the download right", "42501",
                 lambda: cur.execute(export_sql(extra=", manager_id => 'trust-nodl'"),
                                     args("trust: denied manager")))
    cur.execute("""SELECT outcome, manager_id, refusal, bytes, sha256, destination
                   FROM csstats.export_audit ORDER BY id DESC LIMIT 1""")
    row = cur.fetchone()
    check("denied: manager refusal audited",
          row[0] == "denied" and row[1] == "trust-nodl" and row[2].startswith("42501: permission denied")
          and row[3:] == (None, None, None), row)
    cur.execute("SET csstats.max_chats_per_export = 1")
    expect_error("denied: over the chat limit", "54000",
                 lambda: cur.execute(export_sql(), args("trust: denied limit")))
    cur.execute("RESET csstats.max_chats_per_export")
    check("denied: limit refusal audited",
          one(cur, "SELECT refusal FROM csstats.export_audit ORDER BY id DESC LIMIT 1").startswith(
              "54000: too many chats"))
    cur.execute("DROP ROLE IF EXISTS trust_nofiles")
    cur.execute("CREATE ROLE trust_nofiles")
    cur.execute("GRANT USAGE ON SCHEMA csstats TO trust_nofiles")
    cur.execute("GRANT SELECT ON ALL TABLES IN SCHEMA csstats TO trust_nofiles")
    cur.execute("REVOKE SELECT ON csstats.export_passwords FROM trust_nofiles")
    cur.execute("GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA csstats TO trust_nofiles")
    cur.execute("SELECT csstats.set_export_password('trust-theirs', 'TheirsPassw0rd', 'postgres')")
    cur.execute("SET ROLE trust_nofiles")
    expect_error("denied: server file without pg_write_server_files", "42501",
                 lambda: cur.execute(export_sql(to_file=True), args("trust: denied file", filename="nofiles.xlsx")))
    cur.execute("RESET ROLE")
    cur.execute("""SELECT outcome, "current_user", refusal FROM csstats.export_audit ORDER BY id DESC LIMIT 1""")
    row = cur.fetchone()
    check("denied: server-file refusal audited with the caller",
          row[0] == "denied" and row[1] == "trust_nofiles" and "pg_write_server_files" not in row[2]
          and row[2].startswith("42501: permission denied to write"), row)
    # the role learns nothing of the directory: an existing name is "permission denied" too
    with open(os.path.join(xdir, "trust-exists.xlsx"), "wb") as f:
        f.write(b"x")
    cur.execute("SET ROLE trust_nofiles")
    expect_error("denied: no existence probe of the export directory", "42501",
                 lambda: cur.execute(export_sql(to_file=True), args("trust: probe", filename="trust-exists.xlsx")),
                 "permission denied to write")
    # a stored password the role may not use is a refused attempt too
    expect_error("denied: another role's stored password", "42501",
                 lambda: cur.execute(
                     "SELECT csstats.export_chats(password_name => 'trust-theirs', reason => 'trust: theirs', "
                     "channel_id => %s, since => %s, until => %s)", (CHANNEL, SINCE, UNTIL)))
    cur.execute("RESET ROLE")
    os.unlink(os.path.join(xdir, "trust-exists.xlsx"))
    check("denied: stored-password refusal audited",
          one(cur, "SELECT refusal FROM csstats.export_audit ORDER BY id DESC LIMIT 1").startswith(
              '42501: stored password "trust-theirs" does not exist or may not be used'))
    check("denied: five more denied rows", audit_count(cur, "denied") == before + 5)
    check("denied: no file", not os.path.exists(os.path.join(xdir, "nofiles.xlsx")))
    cur.execute("REVOKE ALL ON ALL FUNCTIONS IN SCHEMA csstats FROM trust_nofiles")
    cur.execute("REVOKE ALL ON ALL TABLES IN SCHEMA csstats FROM trust_nofiles")
    cur.execute("REVOKE ALL ON SCHEMA csstats FROM trust_nofiles")
    cur.execute("DROP ROLE trust_nofiles")

    # 7. a caller holding the chain's lock gets an error, not an endless wait
    before = audit_count(cur)
    c = connect(db, autocommit=False)
    k = c.cursor()
    k.execute("SET csstats.audit_lock_timeout = 300")
    k.execute("SELECT * FROM csstats.export_audit_head FOR UPDATE")
    t0 = time.monotonic()
    expect_error("lock held by the caller: lock_timeout error", "55P03",
                 lambda: k.execute(export_sql(), args("trust: lock")))
    c.rollback()
    c.close()
    check("lock held by the caller: answered within seconds, no row",
          time.monotonic() - t0 < 30 and audit_count(cur) == before)

    # 8. a server file has its final name before the caller commits, and keeps
    # it (and its audit row) after a rollback
    c = connect(db, autocommit=False)
    k = c.cursor()
    k.execute(export_sql(to_file=True), args("trust: file rollback", filename="trust-rollback.xlsx"))
    aid = k.fetchone()[0]
    path = os.path.join(xdir, "trust-rollback.xlsx")
    check("file: final name right after the audit commit", os.path.exists(path))
    c.rollback()
    c.close()
    with open(path, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    check("file: kept after a rollback, matching its audit row",
          one(cur, "SELECT sha256 FROM csstats.export_audit WHERE id = %s", (aid,)) == sha)
    os.unlink(path)

    # every {id} of a given name becomes the id, in the file and in the row alike
    cur.execute(export_sql(to_file=True), args("trust: two ids", filename="trust-{id}-{id}.xlsx"))
    aid = cur.fetchone()[0]
    dest = one(cur, "SELECT destination FROM csstats.export_audit WHERE id = %s", (aid,))
    check("file: the audit row names the delivered file",
          dest == f"trust-{aid}-{aid}.xlsx" and os.path.exists(os.path.join(xdir, dest)), dest)
    os.unlink(os.path.join(xdir, dest))

    # database defaults do not reach the audit worker's transaction:
    # concurrent exports under default_transaction_isolation = repeatable read
    cur.execute(f"ALTER DATABASE {db} SET default_transaction_isolation = 'repeatable read'")
    errs = []

    def one_export(i):
        try:
            c = connect(db)
            c.cursor().execute(export_sql(), args(f"trust: concurrent {i}"))
            c.close()
        except psycopg2.Error as e:
            errs.append(str(e))

    threads = [threading.Thread(target=one_export, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    cur.execute(f"ALTER DATABASE {db} RESET default_transaction_isolation")
    check("concurrent exports under a repeatable-read database default", not errs, errs[:1])
    check("concurrent exports: chain intact", audit_ok(cur))

    # 9. temporary names carry the system identifier and pid; a dead
    # backend's leftovers are swept, a live one's and another cluster's are not
    sysid = one(cur, "SELECT system_identifier FROM pg_control_system()")
    p = subprocess.Popen(["true"])
    p.wait()
    dead = p.pid
    live = int(open(os.path.join(datadir, "postmaster.pid")).readline())
    names = {"dead": f".csstats-{sysid}-{dead}-0011223344556677.tmp",
             "live": f".csstats-{sysid}-{live}-0011223344556677.tmp",
             "other": f".csstats-12345-{dead}-0011223344556677.tmp"}
    for n in names.values():
        with open(os.path.join(xdir, n), "wb") as f:
            f.write(b"leftover")
    cur.execute(export_sql(to_file=True), args("trust: sweep", filename="trust-sweep.xlsx"))
    check("sweep: a dead backend's temporary file is removed",
          not os.path.exists(os.path.join(xdir, names["dead"])))
    check("sweep: a live process's and another cluster's are kept",
          os.path.exists(os.path.join(xdir, names["live"])) and os.path.exists(os.path.join(xdir, names["other"])))
    for n in list(names.values()) + ["trust-sweep.xlsx"]:
        if os.path.exists(os.path.join(xdir, n)):
            os.unlink(os.path.join(xdir, n))

    # 10. temp_file_limit bounds the plaintext
    before = audit_count(cur)
    cur.execute("SET temp_file_limit = '64kB'")
    expect_error("temp_file_limit: refused with PostgreSQL's SQLSTATE", "53400",
                 lambda: cur.execute(export_sql(extra=", include_messages => true"), args("trust: temp limit")),
                 "temp_file_limit")
    cur.execute("RESET temp_file_limit")
    check("temp_file_limit: no audit row, no private directory left",
          audit_count(cur) == before
          and not glob.glob(os.path.join(datadir, "base", "pgsql_tmp", "pgsql_tmpcsstats.*")))

    # 11. a full disk under the export directory: a clean error, nothing left
    small = f"/tmp/csstats-trust-full-{os.getpid()}"
    os.makedirs(small, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs", small]).returncode == 0
    if check("disk full: a 256 kB tmpfs mounted (the test runs as root)", mounted):
        try:
            subprocess.run(["chown", "postgres:postgres", small], check=True)
            before = audit_count(cur)
            cur.execute("SET csstats.export_directory = %s", (small,))
            expect_error("disk full: SQLSTATE 53100", "53100",
                         lambda: cur.execute(export_sql(to_file=True, extra=", include_messages => true"),
                                             args("trust: disk full", filename="full.xlsx")))
            cur.execute("RESET csstats.export_directory")
            check("disk full: no file, no temporary file, no audit row",
                  os.listdir(small) == [] and audit_count(cur) == before, os.listdir(small))
        finally:
            subprocess.run(["umount", small])
            os.rmdir(small)

    # 12. the chain head outside the table catches a consistently rewritten chain
    log = os.path.join(os.environ["CSSTATS_RUN"], "server.log")
    heads = re.findall(r"csstats audit chain head: id (\d+), row_hash ([0-9a-f]{64})", open(log).read())
    check("anchor: every append logs the chain head", len(heads) > 0)
    hid, hhash = int(heads[-1][0]), heads[-1][1]
    cur.execute("SELECT ok FROM csstats.verify_audit(%s, %s) v ORDER BY v.id DESC, v.ok LIMIT 1", (hid, hhash))
    check("anchor: verify_audit accepts the logged head", cur.fetchone()[0] is True)
    check("anchor: chain intact before the rewrite", audit_ok(cur))
    # a superuser rewrites the first row and recomputes every hash and the head
    cur.execute("SET session_replication_role = replica")
    cur.execute("UPDATE csstats.export_audit SET reason = 'nothing to see' WHERE id = (SELECT min(id) FROM csstats.export_audit)")
    cur.execute("SELECT id FROM csstats.export_audit ORDER BY id")
    prev = None
    for (i,) in cur.fetchall():
        cur.execute("UPDATE csstats.export_audit SET prev_hash = %s WHERE id = %s", (prev, i))
        cur.execute("UPDATE csstats.export_audit a SET row_hash = csstats._export_audit_hash(a) WHERE id = %s RETURNING row_hash", (i,))
        prev = cur.fetchone()[0]
    cur.execute("UPDATE csstats.export_audit_head SET last_hash = %s", (prev,))
    cur.execute("RESET session_replication_role")
    check("anchor: the rewritten chain passes verify_audit() alone", audit_ok(cur))
    cur.execute("SELECT v.id, v.ok, v.problem FROM csstats.verify_audit(%s, %s) v", (hid, hhash))
    last = cur.fetchall()[-1]
    check("anchor: verify_audit(head) catches the rewrite",
          last[0] == hid and last[1] is False and "rewritten" in last[2], last)
    conn.close()


# ---------------------------------------------------------------------------
# A throwaway cluster: crashes, a standby, no worker slot
# ---------------------------------------------------------------------------
def as_pg(*cmd, check_rc=True):
    return subprocess.run(["runuser", "-u", "postgres", "--"] + list(cmd), check=check_rc,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode


class Cluster:
    def __init__(self, root, name, port):
        self.dir = os.path.join(root, name)
        self.data = os.path.join(self.dir, "data")
        self.port = port
        self.sock = root

    def conf(self, text):
        with open(os.path.join(self.data, "postgresql.auto.conf"), "a") as f:
            f.write(text)

    def start(self):
        as_pg(f"{PGBIN}/pg_ctl", "-D", self.data, "-l", os.path.join(self.dir, "server.log"), "-w", "-t", "120", "start")

    def stop(self, mode="fast"):
        as_pg(f"{PGBIN}/pg_ctl", "-D", self.data, "-m", mode, "-w", "-t", "120", "stop", check_rc=False)

    def connect(self, db="postgres", autocommit=True):
        return connect(db, autocommit, host=self.sock, port=self.port, user="postgres")

    def wait_ready(self, timeout=120):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                c = self.connect()
                c.close()
                return True
            except psycopg2.OperationalError:
                time.sleep(0.3)
        return False


def crash_at(cl, xdir, point):
    """Start a server export paused at point, kill -9 the paused process, restart."""
    fname = f"crash-{point}.xlsx"
    err = []

    def run():
        try:
            c = cl.connect("trust")
            k = c.cursor()
            k.execute("SET csstats.test_pause_at = %s", (point,))
            k.execute(export_sql(to_file=True), args(f"crash: {point}", filename=fname))
        except psycopg2.Error as e:
            err.append(e)

    log = os.path.join(cl.dir, "server.log")
    start = os.path.getsize(log)
    t = threading.Thread(target=run, daemon=True)
    t.start()
    pid = paused_pid(log, start, point, t.is_alive)
    if not check(f"crash {point}: the export paused there", pid is not None):
        return fname
    os.kill(pid, signal.SIGKILL)
    t.join(60)
    # then the whole server goes down hard and comes back (crash recovery)
    cl.wait_ready()
    cl.stop("immediate")
    cl.start()
    cl.wait_ready()
    return fname


def invariant(cl, xdir, label):
    """Every file under a final name has a committed 'delivered' audit row with its hash."""
    c = cl.connect("trust")
    k = c.cursor()
    bad = []
    for n in os.listdir(xdir):
        if n.startswith("."):
            continue
        with open(os.path.join(xdir, n), "rb") as f:
            sha = hashlib.sha256(f.read()).hexdigest()
        k.execute("SELECT count(*) FROM csstats.export_audit WHERE destination = %s AND sha256 = %s AND outcome = 'delivered'",
                  (n, sha))
        if k.fetchone()[0] != 1:
            bad.append(n)
    c.close()
    check(f"{label}: no final-named file without its audit row", not bad, bad)


def cluster_checks(root):
    base = int(os.environ.get("PGPORT", "55432"))
    os.makedirs(root, exist_ok=True)
    subprocess.run(["chown", "postgres:postgres", root], check=True)
    prim = Cluster(root, "primary", base + 20)
    os.makedirs(prim.dir)
    subprocess.run(["chown", "postgres:postgres", prim.dir], check=True)
    as_pg(f"{PGBIN}/initdb", "-N", "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8", "-D", prim.data)
    xdir = os.path.join(prim.dir, "export")
    os.makedirs(xdir, mode=0o700)
    subprocess.run(["chown", "postgres:postgres", xdir], check=True)
    prim.conf(f"""
port = {prim.port}
listen_addresses = ''
unix_socket_directories = '{root}'
csstats.export_directory = '{xdir}'
max_worker_processes = 8
restart_after_crash = on
timezone = 'UTC'
log_min_messages = warning
""")
    prim.start()
    try:
        c = prim.connect()
        c.cursor().execute("CREATE DATABASE trust")
        c.close()
        c = prim.connect("trust")
        k = c.cursor()
        k.execute("SET client_min_messages = warning")
        k.execute("CREATE EXTENSION csstats")
        k.execute("SELECT count(*) FROM csstats.generate_demo(%s, 60, 3)", (CHANNEL,))
        k.execute(export_sql(to_file=True), args("trust: before crashes", filename="ok-before.xlsx"))
        c.close()

        # kill -9 at each step, then a hard restart of the server
        expect_row = {"before_audit": False, "worker_before_commit": False,
                      "worker_after_commit": True, "after_audit": True, "file_after_rename": True}
        expect_file = {"file_after_rename"}
        for point in expect_row:
            fname = crash_at(prim, xdir, point)
            c = prim.connect("trust")
            k = c.cursor()
            rows = one(k, "SELECT count(*) FROM csstats.export_audit WHERE reason = %s", (f"crash: {point}",))
            c.close()
            check(f"crash {point}: audit row {'committed' if expect_row[point] else 'absent'}",
                  rows == (1 if expect_row[point] else 0), rows)
            check(f"crash {point}: final name {'present' if point in expect_file else 'absent'}",
                  os.path.exists(os.path.join(xdir, fname)) == (point in expect_file))
            invariant(prim, xdir, f"crash {point}")
            if point not in expect_file:
                # the encrypted file stays under its temporary name (until the
                # next server export sweeps it: the one of the next point)
                leftovers = [n for n in os.listdir(xdir) if n.startswith(".csstats-") and n.endswith(".tmp")]
                check(f"crash {point}: only a temporary name is left", len(leftovers) == 1, leftovers)
        # the next export sweeps the dead exports' temporary files
        c = prim.connect("trust")
        k = c.cursor()
        k.execute(export_sql(to_file=True), args("trust: after crashes", filename="ok-after.xlsx"))
        c.close()
        left = [n for n in os.listdir(xdir) if n.startswith(".csstats-")]
        check("crash: the next export swept them", left == [], left)
        c = prim.connect("trust")
        check("crash: audit chain intact", audit_ok(c.cursor()))
        c.close()

        # an extension owner that may not log in: the worker connects as the
        # bootstrap superuser instead
        c = prim.connect()
        c.cursor().execute("CREATE ROLE trust_owner SUPERUSER NOLOGIN")
        c.cursor().execute("CREATE DATABASE trust_nologin")
        c.close()
        c = prim.connect("trust_nologin")
        k = c.cursor()
        k.execute("SET client_min_messages = warning")
        k.execute("SET ROLE trust_owner")
        k.execute("CREATE EXTENSION csstats")
        k.execute("RESET ROLE")
        check("nologin owner: the extension belongs to it",
              one(k, "SELECT extowner::regrole::text FROM pg_extension WHERE extname = 'csstats'") == "trust_owner")
        k.execute("SELECT count(*) FROM csstats.generate_demo(%s, 20, 3)", (CHANNEL,))
        k.execute(export_sql(), args("trust: nologin owner"))
        data = bytes(k.fetchone()[0])
        check("nologin owner: export delivered and audited",
              one(k, "SELECT count(*) FROM csstats.export_audit WHERE sha256 = %s",
                  (hashlib.sha256(data).hexdigest(),)) == 1)
        c.close()

        # a standby refuses before any work
        stby = Cluster(root, "standby", base + 21)
        os.makedirs(stby.dir)
        subprocess.run(["chown", "postgres:postgres", stby.dir], check=True)
        as_pg(f"{PGBIN}/pg_basebackup", "-h", root, "-p", str(prim.port), "-U", "postgres",
              "-D", stby.data, "-R", "-X", "stream", "-c", "fast")  # no wait for a spread checkpoint
        stby.conf(f"\nport = {stby.port}\n")
        stby.start()
        try:
            stby.wait_ready()
            c = stby.connect("trust")
            k = c.cursor()
            check("standby: in recovery", one(k, "SELECT pg_is_in_recovery()") is True)
            expect_error("standby: export refused", "25006",
                         lambda: k.execute(export_sql(), args("trust: standby")), "standby")
            c.close()
        finally:
            stby.stop()

        # no free worker slot: a clean error and nothing delivered
        prim.conf("\nmax_worker_processes = 0\nmax_parallel_workers = 0\n")
        prim.stop()
        prim.start()
        c = prim.connect("trust")
        k = c.cursor()
        before = audit_count(k)
        expect_error("no worker slot: refused", "53000",
                     lambda: k.execute(export_sql(), args("trust: no slot")), "no background worker slot")
        expect_error("no worker slot: server file refused", "53000",
                     lambda: k.execute(export_sql(to_file=True), args("trust: no slot", filename="noslot.xlsx")))
        check("no worker slot: no row, no file",
              audit_count(k) == before and not os.path.exists(os.path.join(xdir, "noslot.xlsx"))
              and not [n for n in os.listdir(xdir) if n.startswith(".csstats-")])
        c.close()
    finally:
        prim.stop("immediate")


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("main", "cluster"):
        sys.exit(__doc__)
    try:
        if sys.argv[1] == "main":
            main_checks(sys.argv[2])
        else:
            cluster_checks(sys.argv[2])
    except Exception as e:  # a crash of the script is a failure, with its cause
        import traceback
        traceback.print_exc()
        check("script ran to the end", False, repr(e))
    failed = results.count(False)
    print(f"export_trust {sys.argv[1]}: {len(results) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)
