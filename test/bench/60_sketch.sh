#!/usr/bin/env bash
# Approximate percentiles (DDSketch) against the exact percentile_cont, per
# assignee-day as a dashboard would group them, over the messages of the S
# data set; and the same aggregate in a parallel plan against a serial one.
# Informational ratios (no spec target); the accuracy is checked by the tests.
set -euo pipefail
"$PY" - <<'PY'
import benchlib as b

# the value: seconds since the chat was created (a duration-like spread)
src = """FROM csstats.messages m JOIN csstats.user_chats c
           ON c.channel_id = m.channel_id AND c.id = m.chat_id
         WHERE m.channel_id = 'S'"""
val = "extract(epoch FROM m.created_at - c.created_at)::float8"
grp = "c.assignee_id, date_trunc('day', m.created_at)"

serial = ["SET max_parallel_workers_per_gather = 0"]
t_exact, p_exact = b.time_sql(
    f"SELECT {grp}, percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY {val}) {src} GROUP BY 1, 2",
    runs=5, setup=serial)
b.emit("p50+p90 per assignee-day, percentile_cont", t_exact, peak_kb=p_exact)
t_approx, p_approx = b.time_sql(
    f"SELECT {grp}, csstats.approx_percentiles({val}, ARRAY[0.5, 0.9]) {src} GROUP BY 1, 2",
    runs=5, setup=serial)
b.emit("p50+p90 per assignee-day, approx_percentiles", t_approx,
       baseline="p50+p90 per assignee-day, percentile_cont", kind="speedup", peak_kb=p_approx,
       note="within 1% of percentile_cont")

whole = f"SELECT csstats.approx_percentiles({val}, ARRAY[0.5, 0.9, 0.99]) {src}"
t_pc, p_pc = b.time_sql(
    f"SELECT percentile_cont(ARRAY[0.5, 0.9, 0.99]) WITHIN GROUP (ORDER BY {val}) {src}",
    runs=5, setup=serial)
b.emit("p50/p90/p99 of all messages, percentile_cont", t_pc, peak_kb=p_pc)
t_ser, p_ser = b.time_sql(whole, runs=5, setup=serial)
b.emit("p50/p90/p99 of all messages, approx, serial plan", t_ser,
       baseline="p50/p90/p99 of all messages, percentile_cont", kind="speedup", peak_kb=p_ser)
par = ["SET max_parallel_workers_per_gather = 2", "SET parallel_setup_cost = 0",
       "SET parallel_tuple_cost = 0", "SET min_parallel_table_scan_size = 0"]
t_par, p_par = b.time_sql(whole, runs=5, setup=par)
b.emit("p50/p90/p99 of all messages, approx, parallel plan (2 workers)", t_par,
       baseline="p50/p90/p99 of all messages, percentile_cont", kind="speedup", peak_kb=p_par,
       note="same result as the serial plan")
PY
