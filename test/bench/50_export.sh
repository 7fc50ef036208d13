#!/usr/bin/env bash
# Exports on the S data set (10,000 chats with messages):
#  - encrypted XLSX vs the same workbook unencrypted: the export's own phase
#    timings (DEBUG1) split the run into document (sheets read + workbook
#    written), encryption, and hash + audit; the floor is the same run minus
#    the encryption phase (target <= 1.15x);
#  - the same export vs a Python peer (psycopg2 -> openpyxl write_only,
#    unencrypted; test/bench/export_peer.py) (target: >= 10x faster);
#  - JSON export vs COPY of the same sheet rows to CSV files plus
#    `7z a -tzip -mem=AES256 -p` (target <= 1.5x);
#  - the same XLSX export with include_summary => true (the Summary sheet: one
#    extra SQL pass over the UserChat sheet) vs without: its cost, reported;
#  - cases export peak backend memory (S, and L with CSSTATS_BENCH_L=1): the
#    growth over the fresh backend must stay under 100 MB.
set -euo pipefail
export CSSTATS_PEER="$CSSTATS_SRC/test/bench/export_peer.py"
"$PY" - <<'PY'
import glob
import os
import re
import shutil
import subprocess
import tempfile
import time

import benchlib as b

PW = "BenchPassw0rd"
conn = b.connect()
cur = conn.cursor()
cur.execute("SHOW csstats.export_directory")
xdir = cur.fetchone()[0]
cur.execute("SET client_min_messages = debug1")


def export(fmt, summary=False):
    conn.notices.clear()
    t0 = time.perf_counter()
    cur.execute("""SELECT csstats.export_chats_to_file(password => %s, reason => 'benchmark',
                          channel_id => 'S', format => %s, include_messages => true,
                          include_summary => %s)""", (PW, fmt, summary))
    aid = cur.fetchone()[0]
    total = time.perf_counter() - t0
    m = None
    for n in conn.notices:
        m = re.search(r"document ([\d.]+) s, encryption ([\d.]+) s, hash and audit ([\d.]+) s", n) or m
    cur.execute("SELECT destination, bytes FROM csstats.export_audit WHERE id = %s", (aid,))
    dest, size = cur.fetchone()
    os.unlink(os.path.join(xdir, dest))
    return total, float(m.group(1)), float(m.group(2)), size


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


runs = [export("xlsx") for _ in range(4)][1:]
enc_total = median([r[0] for r in runs])
floor = median([r[0] - r[2] for r in runs])
size = runs[0][3]
b.emit("chats export S+messages, XLSX unencrypted floor", floor,
       note="same run minus the encryption phase")
b.emit("chats export S+messages, XLSX encrypted", enc_total, baseline="chats export S+messages, XLSX unencrypted floor",
       kind="overhead", target=1.15, peak_kb=b.backend_peak_kb(conn),
       note=f"{size / 1e6:.1f} MB file, encryption {median([r[2] for r in runs]):.2f} s")

# the Summary sheet's cost: the same export with include_summary => true
sruns = [export("xlsx", summary=True) for _ in range(4)][1:]
b.emit("chats export S+messages, XLSX encrypted with Summary", median([r[0] for r in sruns]),
       baseline="chats export S+messages, XLSX encrypted", kind="overhead", peak_kb=b.backend_peak_kb(conn),
       note="include_summary => true: one extra pass over the UserChat sheet (reported, no target)")

# the Python peer, once (it is slow)
with tempfile.TemporaryDirectory() as d:
    t0 = time.perf_counter()
    subprocess.run([os.environ["PY"], os.environ["CSSTATS_PEER"], os.environ["CSSTATS_BENCH_DB"], "S",
                    os.path.join(d, "peer.xlsx")], check=True)
    t_peer = time.perf_counter() - t0
    peer_size = os.path.getsize(os.path.join(d, "peer.xlsx"))
b.emit("Python peer: psycopg2 -> openpyxl write_only, unencrypted", t_peer, note=f"{peer_size / 1e6:.1f} MB")
b.emit("chats export S+messages XLSX encrypted vs Python peer", enc_total,
       baseline="Python peer: psycopg2 -> openpyxl write_only, unencrypted", kind="speedup", target=10)

# JSON export vs COPY + 7z AES-256
jruns = [export("json") for _ in range(4)][1:]
t_json = median([r[0] for r in jruns])
sheets = ["user_chat_sheet", "user_sheet", "workflow_sheet", "support_bot_sheet", "marketing_sheet",
          "manager_sheet", "team_sheet", "bot_sheet", "user_chat_tag_sheet", "message_sheet",
          "user_chat_meet_sheet"]


def copy_7z():
    d = tempfile.mkdtemp(prefix="csstats-bench-")
    shutil.chown(d, "postgres", "postgres")
    try:
        t0 = time.perf_counter()
        for s in sheets:
            cur.execute(f"COPY (SELECT * FROM csstats.{s}('S')) TO '{d}/{s}.csv' WITH (FORMAT csv, HEADER)")
        subprocess.run(["7z", "a", "-bd", "-tzip", "-mem=AES256", f"-p{PW}", f"{d}/out.zip"]
                       + sorted(glob.glob(f"{d}/*.csv")), check=True, stdout=subprocess.DEVNULL)
        return time.perf_counter() - t0
    finally:
        shutil.rmtree(d)


t_copy = median([copy_7z() for _ in range(3)])
b.emit("COPY of the same rows + 7z AES-256 zip", t_copy)
b.emit("chats export S+messages, JSON (AES-256 zip)", t_json, baseline="COPY of the same rows + 7z AES-256 zip",
       kind="overhead", target=1.5, note=f"{jruns[0][3] / 1e6:.1f} MB file")


# cases export: backend memory stays flat.  VmHWM also counts the shared
# buffers the backend touched (shared_buffers = 256MB here), so the private
# memory (RssAnon) is sampled while the export runs.
import threading


def rss_anon_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1])
    return 0


class Sampler(threading.Thread):
    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop = pid, rss_anon_kb(pid), threading.Event()

    def run(self):
        while not self.stop.is_set():
            self.peak = max(self.peak, rss_anon_kb(self.pid))
            time.sleep(0.02)


def cases_memory(channel):
    c = b.connect()
    k = c.cursor()
    k.execute("SELECT csstats.export_header('UserChat data', 'id'), pg_backend_pid()")  # loads the library
    pid = k.fetchone()[1]
    start = rss_anon_kb(pid)
    k.execute("""SELECT (date_trunc('day', min(created_at) AT TIME ZONE ch.timezone)) AT TIME ZONE ch.timezone,
                        (date_trunc('day', min(created_at) AT TIME ZONE ch.timezone) + interval '6 months')
                            AT TIME ZONE ch.timezone
                 FROM csstats.user_chats u JOIN csstats.channels ch ON ch.id = u.channel_id
                 WHERE u.channel_id = %s GROUP BY ch.timezone""", (channel,))
    since, until = k.fetchone()
    sampler = Sampler(pid)
    sampler.start()
    t0 = time.perf_counter()
    k.execute("""SELECT csstats.export_cases_to_file(password => %s, reason => 'benchmark', channel_id => %s,
                        since => %s, until => %s)""", (PW, channel, since, until))
    aid = k.fetchone()[0]
    t = time.perf_counter() - t0
    sampler.stop.set()
    sampler.join()
    peak = sampler.peak
    hwm = b.backend_peak_kb(c)
    k.execute("SELECT destination, row_counts->>'UserChatCase data' FROM csstats.export_audit WHERE id = %s", (aid,))
    dest, cases = k.fetchone()
    os.unlink(os.path.join(xdir, dest))
    c.close()
    b.emit(f"cases export {channel}, XLSX encrypted", t, peak_kb=hwm,
           note=f"{int(cases):,} cases; peak MB = VmHWM incl. shared buffers")
    b.emit(f"cases export {channel}: backend private memory growth (MB)", (peak - start) / 1024, kind="max",
           target=100, note=f"RssAnon peak {peak / 1024:.0f} MB, fresh backend {start / 1024:.0f} MB")


cases_memory("S")
cur.execute("SELECT count(*) FROM csstats.channels WHERE id = 'L'")
if cur.fetchone()[0]:
    cases_memory("L")
PY
