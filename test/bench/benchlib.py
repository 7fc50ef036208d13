"""Shared helpers for the benchmark cases (test/bench/NN_*.sh|py).

Each case measures a median over several runs on a fresh backend and appends
one line to the results file ($CSSTATS_BENCH_OUT); test/bench.sh prints them
as one table with the ratios against the named baseline.

    import benchlib as b
    t, peak = b.time_sql("SELECT ...", runs=5)
    b.emit("chat metrics (C)", t, peak_kb=peak)
    b.emit("chat metrics vs SQL reference", t, baseline="chat metrics (SQL)",
           kind="speedup", target=20)

kind "speedup": ratio = baseline / case, target is a minimum (>= 20x faster).
kind "overhead": ratio = case / baseline, target is a maximum (<= 1.15x).
"""
import json
import os
import statistics
import time

import psycopg2


def connect(dbname=None):
    conn = psycopg2.connect(dbname=dbname or os.environ.get("CSSTATS_BENCH_DB", "bench"))
    conn.autocommit = True
    return conn


def backend_peak_kb(conn):
    """VmHWM of the connection's server backend (the server runs on this machine)."""
    with conn.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        pid = cur.fetchone()[0]
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return None


def time_sql(sql, runs=5, warmup=1, params=None, setup=None, dbname=None):
    """Median wall time of sql on one fresh backend, and that backend's peak memory."""
    conn = connect(dbname)
    try:
        with conn.cursor() as cur:
            for s in setup or []:
                cur.execute(s)
            times = []
            for i in range(warmup + runs):
                t0 = time.perf_counter()
                cur.execute(sql, params)
                if cur.description is not None:
                    cur.fetchall()
                dt = time.perf_counter() - t0
                if i >= warmup:
                    times.append(dt)
        return statistics.median(times), backend_peak_kb(conn)
    finally:
        conn.close()


def time_cmd(fn, runs=5, warmup=1):
    """Median wall time of a Python callable."""
    times = []
    for i in range(warmup + runs):
        t0 = time.perf_counter()
        fn()
        dt = time.perf_counter() - t0
        if i >= warmup:
            times.append(dt)
    return statistics.median(times)


def emit(case, median_s, baseline=None, kind=None, target=None, peak_kb=None, note=""):
    line = {"case": case, "median_s": median_s, "baseline": baseline, "kind": kind,
            "target": target, "peak_kb": peak_kb, "note": note}
    with open(os.environ["CSSTATS_BENCH_OUT"], "a") as f:
        f.write(json.dumps(line) + "\n")


def report(path):
    """Print the table of every case and its ratio against its baseline."""
    rows = [json.loads(l) for l in open(path) if l.strip()]
    by_case = {r["case"]: r for r in rows}
    w = max([len(r["case"]) for r in rows] + [10])
    print(f"{'case':<{w}}  {'median':>10}  {'ratio':>9}  {'target':>9}  {'verdict':>7}  {'peak MB':>8}  note")
    print("-" * (w + 60))
    met = missed = 0
    for r in rows:
        ratio = verdict = tgt = ""
        base = by_case.get(r["baseline"]) if r["baseline"] else None
        if base and r["median_s"] and base["median_s"]:
            if r["kind"] == "speedup":
                x = base["median_s"] / r["median_s"]
                ratio, tgt = f"{x:.1f}x", f">= {r['target']}x" if r["target"] else ""
                ok = r["target"] is None or x >= r["target"]
            else:
                x = r["median_s"] / base["median_s"]
                ratio, tgt = f"{x:.2f}x", f"<= {r['target']}x" if r["target"] else ""
                ok = r["target"] is None or x <= r["target"]
            if r["target"] is not None:
                verdict = "met" if ok else "MISSED"
                met += ok
                missed += not ok
        elif r["kind"] == "max" and r["target"] is not None:
            # an absolute bound, e.g. peak memory growth in MB given in median_s's place
            ok = r["median_s"] <= r["target"]
            ratio, tgt, verdict = f"{r['median_s']:.1f}", f"<= {r['target']}", "met" if ok else "MISSED"
            met += ok
            missed += not ok
        med = f"{r['median_s']*1000:.1f} ms" if r["kind"] != "max" else ""
        peak = f"{r['peak_kb']/1024:.1f}" if r["peak_kb"] else ""
        vs = f"vs {r['baseline']}" if r["baseline"] else ""
        print(f"{r['case']:<{w}}  {med:>10}  {ratio:>9}  {tgt:>9}  {verdict:>7}  {peak:>8}  {' '.join(x for x in (vs, r['note']) if x)}")
    print(f"\ntargets: {met} met, {missed} missed")


if __name__ == "__main__":
    import sys
    report(sys.argv[1])
