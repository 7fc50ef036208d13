#!/usr/bin/env bash
# Chat and case metrics for every chat of the S channel: the C aggregates
# against the plain-SQL reference (test/tools/metrics_reference.sql, loaded
# here into the scratch schema csstats_ref) and against the floor, a plain
# GROUP BY chat_id count over the same timeline rows.  Every query returns
# all its rows to the client (the same work for each side).  With
# CSSTATS_BENCH_L=1 the C aggregates and the floor also run on L.  The
# floor comparison is also made without client output (count(m) over the
# aggregate), which separates the aggregate's cost from formatting its
# 19 columns.
#
# Each aggregate runs in both forms: the column form (the fast path; the
# targets apply to it) and the documented whole-row form chat_metrics(t).
# The server's default parallel settings apply to every query, the floor's
# included (2 workers planned for each).
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
CHAT_SQL = "SELECT * FROM csstats_ref.chat_metrics(%(ch)s, %(as_of)s)"
CASE_SQL = "SELECT * FROM csstats_ref.case_metrics(%(ch)s, %(as_of)s)"

def run(label, sql, ch, runs=5, warmup=1, **kw):
    t, peak = b.time_sql(sql, runs=runs, warmup=warmup, params={"ch": ch, "as_of": AS_OF})
    b.emit(label, t, peak_kb=peak, **kw)

for ch, ref in [("S", True)] + ([("L", False)] if os.environ.get("CSSTATS_BENCH_L") == "1" else []):
    floor = f"timeline GROUP BY chat_id count(*), {ch}"
    run(floor, FLOOR, ch, note="the floor")
    run(f"chat metrics (C, columns), {ch}", CHAT_C, ch, baseline=floor, kind="overhead", target=1.5)
    run(f"chat metrics (C, whole row), {ch}", CHAT_R, ch, baseline=floor, kind="overhead")
    run(f"floor, no client output, {ch}", FLOOR_N, ch)
    run(f"chat metrics (C, columns), no client output, {ch}", CHAT_N, ch,
        baseline=f"floor, no client output, {ch}", kind="overhead", target=1.5)
    if ref:
        run(f"chat metrics (SQL reference), {ch}", CHAT_SQL, ch, runs=3, warmup=0)
        run(f"chat metrics (C, columns) vs SQL, {ch}", CHAT_C, ch,
            baseline=f"chat metrics (SQL reference), {ch}", kind="speedup", target=20)
        run(f"chat metrics (C, whole row) vs SQL, {ch}", CHAT_R, ch,
            baseline=f"chat metrics (SQL reference), {ch}", kind="speedup")
        run(f"case metrics (SQL reference), {ch}", CASE_SQL, ch, runs=3, warmup=0)
        run(f"case metrics (C, columns), {ch}", CASE_C, ch, baseline=f"case metrics (SQL reference), {ch}",
            kind="speedup", target=20)
        run(f"case metrics (C, whole row), {ch}", CASE_R, ch, baseline=f"case metrics (SQL reference), {ch}",
            kind="speedup")
    else:
        run(f"case metrics (C, columns), {ch}", CASE_C, ch, runs=3)
        run(f"case metrics (C, whole row), {ch}", CASE_R, ch, runs=3)
PY
