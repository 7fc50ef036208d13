#!/usr/bin/env bash
# Chat and case metrics for every chat of the S channel: the C aggregates
# against the plain-SQL reference (test/tools/metrics_reference.sql, loaded
# here into the scratch schema csstats_ref) and against the floor, a plain
# GROUP BY chat_id count over the same timeline rows.  With
# CSSTATS_BENCH_L=1 the C aggregates and the floor also run on L.
#
# How each side is timed (the ratios depend on it, so it is stated):
#  - vs the SQL reference: server side, COPY (query) TO '/dev/null'.  Both
#    sides produce and format the same rows; nothing is parsed by a client.
#    Timing a psycopg2 fetchall instead adds the same client cost to both
#    sides (turning 10-14k rows of timestamps, arrays and jsonb into Python
#    objects, 0.1-0.15 s) and is printed too, as information.
#  - vs the floor: the aggregate's own cost, count() over the aggregate (the
#    aggregate and its final function run; nothing is formatted): the floor
#    returns two columns, the metrics nineteen.  The same with all rows
#    returned to the client is printed as information.
#  - both with the server's default parallel settings (2 workers planned for
#    each side, the floor's included), and the floor comparison also serial
#    (max_parallel_workers_per_gather = 0), where the leader does not finish
#    every chat alone.
#  - calibration (information): built-in aggregates over the same rows and
#    groups, against the same floor: count() of each of the six columns the
#    chat aggregate reads, and array_agg(at), which only collects one column
#    per chat.
#
# Each aggregate runs in its column form (the fast path; the targets apply
# to it); the documented whole-row form chat_metrics(t) is printed too.
set -euo pipefail
: "${CSSTATS_BENCH_DB:?}" "${PY:?}"
psql -X -q -v ON_ERROR_STOP=1 -d "$CSSTATS_BENCH_DB" -c "SET client_min_messages = warning" \
    -f test/tools/metrics_reference.sql

"$PY" - <<'PY'
import os
import benchlib as b

AS_OF = "2030-01-01 00:00+00"
FLOOR = "SELECT chat_id, count(*) FROM csstats.timeline t WHERE channel_id = %(ch)s GROUP BY chat_id"
CHAT_ARGS = "channel_id, chat_id, at, seq, kind, event_id, item_id"
CASE_ARGS = (CHAT_ARGS + ", value, medium_name, direction, state, assignee_id, team_id, "
             "manager_ids, tags, priority, profile")
# column forms: the fast path
CHAT_C = (f"SELECT chat_id, (csstats.chat_metrics({CHAT_ARGS}, %(as_of)s)).* FROM csstats.timeline t "
          "WHERE channel_id = %(ch)s GROUP BY chat_id")
CASE_C = (f"SELECT c.* FROM (SELECT csstats.case_metrics({CASE_ARGS}, %(as_of)s) AS cs "
          "FROM csstats.timeline t WHERE channel_id = %(ch)s GROUP BY chat_id) s, unnest(s.cs) c")
# the documented whole-row forms
CHAT_R = ("SELECT chat_id, (csstats.chat_metrics(t, %(as_of)s)).* FROM csstats.timeline t "
          "WHERE channel_id = %(ch)s GROUP BY chat_id")
CASE_R = ("SELECT c.* FROM (SELECT csstats.case_metrics(t, %(as_of)s) AS cs FROM csstats.timeline t "
          "WHERE channel_id = %(ch)s GROUP BY chat_id) s, unnest(s.cs) c")
# the same without formatting 19 columns x 10,000 rows for the client: the
# aggregate is still computed (count(m) needs m)
FLOOR_N = ("SELECT count(c) FROM (SELECT chat_id, count(*) AS c FROM csstats.timeline t "
           "WHERE channel_id = %(ch)s GROUP BY chat_id) s")
CHAT_N = (f"SELECT count(m) FROM (SELECT chat_id, csstats.chat_metrics({CHAT_ARGS}, %(as_of)s) AS m "
          "FROM csstats.timeline t WHERE channel_id = %(ch)s GROUP BY chat_id) s")
# calibration with built-in aggregates over the same rows (information): counting
# the six columns the chat aggregate reads, and collecting one of them per chat
INPUTS_N = ("SELECT count(c) FROM (SELECT chat_id, count(at) + count(seq) + count(kind) + "
            "count(event_id) + count(item_id) + count(channel_id) AS c FROM csstats.timeline t "
            "WHERE channel_id = %(ch)s GROUP BY chat_id) s")
ARRAY_N = ("SELECT count(c) FROM (SELECT chat_id, array_agg(at) AS c FROM csstats.timeline t "
           "WHERE channel_id = %(ch)s GROUP BY chat_id) s")
CHAT_SQL = "SELECT * FROM csstats_ref.chat_metrics(%(ch)s, %(as_of)s)"
CASE_SQL = "SELECT * FROM csstats_ref.case_metrics(%(ch)s, %(as_of)s)"

SERIAL = ["SET max_parallel_workers_per_gather = 0"]

def copy(sql):
    return f"COPY ({sql}) TO '/dev/null'"

def run(label, sql, ch, runs=5, warmup=1, setup=None, **kw):
    t, peak = b.time_sql(sql, runs=runs, warmup=warmup, setup=setup,
                         params={"ch": ch, "as_of": AS_OF})
    b.emit(label, t, peak_kb=peak, **kw)

for ch, ref in [("S", True)] + ([("L", False)] if os.environ.get("CSSTATS_BENCH_L") == "1" else []):
    # the aggregate's own cost against the floor
    run(f"floor, {ch}", FLOOR_N, ch, note="the floor: count(*) GROUP BY chat_id")
    run(f"chat metrics (C, columns), {ch}", CHAT_N, ch,
        baseline=f"floor, {ch}", kind="overhead", target=1.5)
    run(f"built-in: count() of the 6 input columns, {ch}", INPUTS_N, ch,
        baseline=f"floor, {ch}", kind="overhead", note="calibration")
    run(f"built-in: array_agg(at), {ch}", ARRAY_N, ch,
        baseline=f"floor, {ch}", kind="overhead", note="calibration")
    run(f"floor, serial, {ch}", FLOOR_N, ch, setup=SERIAL)
    run(f"chat metrics (C, columns), serial, {ch}", CHAT_N, ch, setup=SERIAL,
        baseline=f"floor, serial, {ch}", kind="overhead", target=1.5)
    run(f"built-in: count() of the 6 input columns, serial, {ch}", INPUTS_N, ch, setup=SERIAL,
        baseline=f"floor, serial, {ch}", kind="overhead", note="calibration")
    run(f"built-in: array_agg(at), serial, {ch}", ARRAY_N, ch, setup=SERIAL,
        baseline=f"floor, serial, {ch}", kind="overhead", note="calibration")
    # the same with every row returned to the client (information)
    run(f"floor, rows to client, {ch}", FLOOR, ch)
    run(f"chat metrics (C, columns), rows to client, {ch}", CHAT_C, ch,
        baseline=f"floor, rows to client, {ch}", kind="overhead")
    run(f"chat metrics (C, whole row), rows to client, {ch}", CHAT_R, ch,
        baseline=f"floor, rows to client, {ch}", kind="overhead")
    if ref:
        for level, ref_sql, cols_sql, row_sql in (("chat", CHAT_SQL, CHAT_C, CHAT_R),
                                                  ("case", CASE_SQL, CASE_C, CASE_R)):
            base = f"{level} metrics (SQL reference), {ch}"
            run(base, copy(ref_sql), ch, runs=3, warmup=0, note="server side (COPY TO /dev/null)")
            run(f"{level} metrics (C, columns) vs SQL, {ch}", copy(cols_sql), ch,
                baseline=base, kind="speedup", target=20)
            run(f"{level} metrics (C, whole row) vs SQL, {ch}", copy(row_sql), ch,
                baseline=base, kind="speedup")
        # with the rows parsed by psycopg2 on both sides (information)
        run(f"chat metrics (SQL reference), rows to client, {ch}", CHAT_SQL, ch, runs=3, warmup=0)
        run(f"chat metrics (C, columns) vs SQL, rows to client, {ch}", CHAT_C, ch,
            baseline=f"chat metrics (SQL reference), rows to client, {ch}", kind="speedup")
        run(f"case metrics (SQL reference), rows to client, {ch}", CASE_SQL, ch, runs=3, warmup=0)
        run(f"case metrics (C, columns), rows to client, {ch}", CASE_C, ch,
            baseline=f"case metrics (SQL reference), rows to client, {ch}", kind="speedup")
    else:
        run(f"case metrics (C, columns), {ch}", copy(CASE_C), ch, runs=3)
        run(f"case metrics (C, whole row), {ch}", copy(CASE_R), ch, runs=3)
PY
