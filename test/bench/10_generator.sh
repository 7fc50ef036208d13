#!/usr/bin/env bash
# Generator speed (informational): 10,000 chats must generate in seconds.
set -euo pipefail
"$PY" - <<'PY'
import benchlib as b
conn = b.connect()
conn.cursor().execute("DELETE FROM csstats.channels WHERE id LIKE 'gen-bench-%'")
n = [0]
def run():
    n[0] += 1
    conn.cursor().execute("SELECT * FROM csstats.generate_demo(%s, 10000, 5)", (f"gen-bench-{n[0]}",))
t = b.time_cmd(run, runs=3, warmup=0)
conn.cursor().execute("DELETE FROM csstats.channels WHERE id LIKE 'gen-bench-%'")
b.emit("generate_demo, 10,000 chats", t, peak_kb=b.backend_peak_kb(conn), note="about 480k rows")
PY
