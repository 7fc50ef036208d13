#!/usr/bin/env bash
# Benchmark of the encrypted file writers (src/core), no database involved:
#  - Agile encryption throughput of a 100 MB package against the machine's
#    limit: the same EVP calls (AES-256-CBC per 4 KiB segment, then SHA-512 over
#    the data) run back to back by "csenc speed" in the same run;
#  - encrypting a realistic workbook (200,000 rows x 20 columns of mixed
#    text, numbers, date-times and booleans) relative to writing it
#    (target: write + encrypt <= 1.15 x write);
#  - peak RSS (VmHWM) of the encryptor for 5 MB and 100 MB packages (flat).
# Medians of several runs; prints its own table and appends to the bench table.
set -euo pipefail
SRC=${CSSTATS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
PY=${PY:-/usr/bin/python3}
W=$(mktemp -d /tmp/csstats-bench-enc.XXXXXX)
trap 'rm -rf "$W"' EXIT
mkdir "$W/tmp"
gcc -std=gnu11 -O2 -I"$SRC/src/core" "$SRC/test/tools/csenc.c" "$SRC"/src/core/{cserr,cfb,utf8,agile,xlsxout,zipenc}.c \
    $(pkg-config --cflags --libs xlsxwriter openssl libzip) -lm -o "$W/csenc"
head -c 5242880 /dev/urandom > "$W/p5.bin"
head -c 104857600 /dev/urandom > "$W/p100.bin"

CSENC="$W/csenc" WDIR="$W" "$PY" - <<'PYEOF'
import os, re, statistics, subprocess, time
C, W = os.environ["CSENC"], os.environ["WDIR"]
MB = 104857600 / 1e6

def run(args):
    """Wall time and VmHWM (kB) of one csenc run."""
    t0 = time.perf_counter()
    p = subprocess.run([C] + args, capture_output=True, text=True, check=True)
    dt = time.perf_counter() - t0
    return dt, int(re.search(r"maxrss_kb=(\d+)", p.stderr).group(1)), p.stdout

def encrypt(src, runs=5):
    times, rss = [], []
    for i in range(runs + 1):
        out = os.path.join(W, "e.enc")
        if os.path.exists(out):
            os.unlink(out)
        dt, kb, _ = run(["encrypt", src, out, "Bench1234"])
        if i:
            times.append(dt)
            rss.append(kb)
    return statistics.median(times), max(rss)

limit = statistics.median(float(run(["speed", "100"])[2].split("=")[1]) for _ in range(5))
t100, rss100 = encrypt(os.path.join(W, "p100.bin"))
t5, rss5 = encrypt(os.path.join(W, "p5.bin"))
# fixed cost (100,000-round key derivation + file layout) from a 5 MB vs 100 MB difference
mbps = (MB - 5.24288) / (t100 - t5)

wtimes, etimes = [], []
for i in range(4):
    x = os.path.join(W, "w.xlsx")
    if os.path.exists(x):
        os.unlink(x)
    dt, _, _ = run(["xlsx-demo", x, "200000", os.path.join(W, "tmp")])
    if i:
        wtimes.append(dt)
et, _ = encrypt(os.path.join(W, "w.xlsx"), runs=3)
wt = statistics.median(wtimes)
size = os.path.getsize(os.path.join(W, "w.xlsx")) / 1e6
ratio = (wt + et) / wt

print()
print("encrypted writers                                 value")
print("machine limit AES-256-CBC + SHA-512 (same EVP)    %8.1f MB/s" % limit)
print("Agile encryption, 100 MB package (streaming)      %8.1f MB/s  = %.2f of the limit" % (mbps, mbps / limit))
print("  whole run incl. 100,000-round key derivation    %8.3f s" % t100)
print("workbook 200k rows x 20 cols (%.1f MB): write      %8.3f s" % (size, wt))
print("  + encrypt                                       %8.3f s  ratio %.3f (target <= 1.15)" % (et, ratio))
print("peak RSS encrypting 5 MB / 100 MB                 %8d / %d kB" % (rss5, rss100))

if os.environ.get("CSSTATS_BENCH_OUT"):
    import benchlib as b
    b.emit("encrypt 100 MB: AES+SHA-512 limit", MB / limit, note="%.0f MB/s" % limit)
    b.emit("encrypt 100 MB: Agile stream", (MB - 5.24288) / mbps, baseline="encrypt 100 MB: AES+SHA-512 limit",
           kind="overhead", note="%.0f MB/s" % mbps, peak_kb=rss100)
    b.emit("workbook 200k x 20: write", wt, note="%.1f MB xlsx" % size)
    b.emit("workbook 200k x 20: write + encrypt", wt + et, baseline="workbook 200k x 20: write",
           kind="overhead", target=1.15)
    b.emit("encrypt 5 MB (peak RSS)", t5, peak_kb=rss5)
PYEOF
