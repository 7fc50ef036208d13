#!/usr/bin/env bash
# The metric store (docs/metrics_store.md) on S (and L with CSSTATS_BENCH_L=1):
#  - dashboard queries from the views against the same queries computed live
#    (client-side wall time, rows fetched): p50/p90 waiting time per assignee
#    per local day (case level), and the demo's per-assignee summary
#    (test/tools/demo_40_metrics.sql); target >= 50x on L;
#  - refresh after 1 % of the chats changed (a no-op UPDATE of user_chats logs
#    them; the refresh recomputes exactly those) against a full rebuild (a
#    channel-wide log row: every chat recomputed and rewritten); target <= 5 %;
#  - COPY of the channel's messages into a scratch channel with the triggers
#    off (ALTER TABLE ... DISABLE TRIGGER), on with the target channel not
#    opted in (another channel is), and on with it opted in (every chat
#    logged); target <= 1.2x;
#  - store size per chat next to the source rows and the packed timeline.
# The channels are disabled again at the end and the scratch channel dropped,
# so later cases see the data they would without this one.
set -euo pipefail
: "${CSSTATS_BENCH_DB:?}" "${PY:?}"

"$PY" - <<'PY'
import os
import tempfile
import time
import statistics
import benchlib as b

conn = b.connect()
cur = conn.cursor()
cur.execute("SET jit = off")

def one(sql, args=None):
    cur.execute(sql, args)
    return cur.fetchone()

CASE_ARGS = ("t.channel_id, t.chat_id, t.at, t.seq, t.kind, t.event_id, t.item_id, t.value, t.medium_name, "
             "t.direction, t.state, t.assignee_id, t.team_id, t.manager_ids, t.tags, t.priority, t.profile")
LIVE_CASES = (f"(SELECT k.*, (k.user_chat_case_created_at AT TIME ZONE ch.timezone)::date AS local_day "
              f"FROM (SELECT csstats.case_metrics({CASE_ARGS}, now()) AS cs FROM csstats.timeline t "
              f"WHERE t.channel_id = %(ch)s GROUP BY t.channel_id, t.chat_id) s, unnest(s.cs) k, "
              f"csstats.channels ch WHERE ch.id = %(ch)s)")
VIEW_CASES = "(SELECT * FROM csstats.case_metrics_current WHERE channel_id = %(ch)s)"
# the stored rows alone: "from_store" is a constant of each UNION ALL branch,
# so the planner drops the live branch (what the store costs without the
# chats that are not settled)
STORED_CASES = "(SELECT * FROM csstats.case_metrics_current WHERE channel_id = %(ch)s AND from_store)"
TILE = ("SELECT coalesce(m.name, c.assignee_id, '(unassigned)'), c.local_day, "
        "csstats.approx_percentiles(c.waiting_time, '{0.5,0.9}') FROM %s c "
        "LEFT JOIN csstats.managers m ON m.channel_id = %%(ch)s AND m.id = c.assignee_id "
        "WHERE c.local_day > %%(since)s GROUP BY 1, 2")
SUMMARY = ("SELECT coalesce(m.name, c.assignee_id, '(unassigned)'), count(DISTINCT c.user_chat_id), count(*), "
           "csstats.approx_percentiles(c.waiting_time, '{0.5,0.9}'), "
           "sum(c.total_reply_time) / nullif(sum(c.reply_count), 0), avg(c.resolution_time), "
           "csstats.approx_percentiles(c.operation_waiting_time, '{0.5,0.9}'), "
           "sum(c.operation_total_reply_time) / nullif(sum(c.operation_reply_count), 0), "
           "avg(c.operation_resolution_time), sum(c.missed_count), "
           "count(*) FILTER (WHERE c.user_chat_case_state = 'inProgress') "
           "FROM %s c LEFT JOIN csstats.managers m ON m.channel_id = %%(ch)s AND m.id = c.assignee_id "
           "GROUP BY ROLLUP (1)")
NOJIT = ["SET jit = off"]

def timed(sql, args=None):
    t0 = time.perf_counter()
    cur.execute(sql, args)
    if cur.description:
        cur.fetchall()
    return time.perf_counter() - t0

channels = ["S"] + (["L"] if os.environ.get("CSSTATS_BENCH_L") == "1" else [])
for ch in channels:
    big = ch == "L"
    nchats = one("SELECT count(*) FROM csstats.user_chats WHERE channel_id = %s", (ch,))[0]
    cur.execute("SELECT csstats.enable_metrics_store(%s)", (ch,))
    t_first = timed("SELECT * FROM csstats.refresh_metrics(%s)", (ch,))
    cur.execute("ANALYZE csstats.metrics_store_chats, csstats.chat_metrics_store, csstats.case_metrics_store")
    b.emit(f"store: first refresh (every chat), {ch}", t_first, note=f"{nchats} chats, one run")

    # dashboards: views vs live
    # the last six months of the channel's data
    since = one("SELECT max(local_day) - 183 FROM csstats.case_metrics_current WHERE channel_id = %s", (ch,))[0]
    p = {"ch": ch, "since": since}
    for label, q in (("p50/p90 waiting per assignee per local day, last 6 months", TILE),
                     ("demo per-assignee summary", SUMMARY)):
        live_sql, view_sql = q % LIVE_CASES, q % VIEW_CASES
        t_live, pk_live = b.time_sql(live_sql, runs=3 if big else 5, params=p, setup=NOJIT)
        b.emit(f"{label}, live, {ch}", t_live, peak_kb=pk_live)
        t_view, pk_view = b.time_sql(view_sql, runs=5, params=p, setup=NOJIT)
        live_share = one("SELECT round(100.0 * count(*) FILTER (WHERE NOT from_store) / count(*), 1) "
                         "FROM csstats.case_metrics_current WHERE channel_id = %s", (ch,))[0]
        b.emit(f"{label}, from the store, {ch}", t_view, peak_kb=pk_view, baseline=f"{label}, live, {ch}",
               kind="speedup", target=50 if big else None,
               note=f"{live_share}% of the cases computed live (not completed)"
                    + ("" if big else "; the target applies to L"))
        t_st, pk_st = b.time_sql(q % STORED_CASES, runs=5, params=p, setup=NOJIT)
        b.emit(f"{label}, stored cases only, {ch}", t_st, peak_kb=pk_st, baseline=f"{label}, live, {ch}",
               kind="speedup", note="information: the same query over the completed cases alone")

    # refresh after 1 % changed vs full rebuild
    rebuild = []
    for _ in range(3):
        cur.execute("INSERT INTO csstats.metrics_store_log (channel_id, from_at) VALUES (%s, '-infinity')", (ch,))
        rebuild.append(timed("SELECT * FROM csstats.refresh_metrics(%s)", (ch,)))
    b.emit(f"store: full rebuild, {ch}", statistics.median(rebuild), note="every chat recomputed and rewritten")
    inc = []
    for k in range(5):
        cur.execute("UPDATE csstats.user_chats SET name = name WHERE channel_id = %s "
                    "AND abs(hashtext(id || %s)) %% 100 = 0", (ch, str(k)))
        changed = cur.rowcount
        inc.append(timed("SELECT * FROM csstats.refresh_metrics(%s)", (ch,)))
    b.emit(f"store: refresh after 1% of chats changed, {ch}", statistics.median(inc),
           baseline=f"store: full rebuild, {ch}", kind="overhead", target=0.05,
           note=f"{changed} chats changed")
    t_noop = statistics.median([timed("SELECT * FROM csstats.refresh_metrics(%s)", (ch,)) for _ in range(5)])
    b.emit(f"store: refresh with nothing changed, {ch}", t_noop)

    # sizes
    store_bytes = one("""SELECT (SELECT coalesce(sum(pg_column_size(s.*)), 0) FROM csstats.chat_metrics_store s
                                WHERE s.channel_id = %(ch)s)
                             + (SELECT coalesce(sum(pg_column_size(s.*)), 0) FROM csstats.case_metrics_store s
                                WHERE s.channel_id = %(ch)s)
                             + (SELECT coalesce(sum(pg_column_size(s.*)), 0) FROM csstats.metrics_store_chats s
                                WHERE s.channel_id = %(ch)s)""", p)[0]
    src_bytes, tl_rows = one("""SELECT (SELECT sum(pg_column_size(m.*)) FROM csstats.messages m WHERE m.channel_id = %(ch)s)
                               + (SELECT sum(pg_column_size(e.*)) FROM csstats.chat_events e WHERE e.channel_id = %(ch)s)
                               + (SELECT sum(pg_column_size(u.*)) FROM csstats.user_chats u WHERE u.channel_id = %(ch)s),
                              (SELECT count(*) FROM csstats.timeline t WHERE t.channel_id = %(ch)s)""", p)
    b.emit(f"store size per chat, {ch}", store_bytes / nchats, kind="max",
           note=(f"store {store_bytes / nchats:.0f} B/chat (row data, without indexes); source rows "
                 f"{float(src_bytes) / nchats:.0f} B/chat; packed timeline ~{11 * tl_rows / nchats:.0f} B/chat "
                 f"({tl_rows / nchats:.1f} timeline rows/chat at ~11 B, README)"))

    # COPY with the triggers on vs off, into a scratch channel with the same chats
    if not big or os.environ.get("CSSTATS_BENCH_STORE_COPY_L") == "1":
        d = tempfile.mkdtemp(prefix="csstats-msbench-")
        os.chmod(d, 0o777)
        path = os.path.join(d, "messages.copy")
        cur.execute("INSERT INTO csstats.channels (id, name) VALUES ('MSCOPY', 'store bench copy target')")
        cur.execute("INSERT INTO csstats.user_chats (channel_id, id, state, created_at) "
                    "SELECT 'MSCOPY', id, state, created_at FROM csstats.user_chats WHERE channel_id = %s", (ch,))
        cur.execute("COPY (SELECT 'MSCOPY', id, chat_id, person_type, person_id, created_at, plain_text "
                    "FROM csstats.messages WHERE channel_id = %s) TO '" + path + "'", (ch,))
        nmsg = cur.rowcount
        copy_sql = ("COPY csstats.messages (channel_id, id, chat_id, person_type, person_id, created_at, "
                    "plain_text) FROM '" + path + "'")
        modes = [("off", "DISABLE", False), ("on, target not opted in", "ENABLE", False),
                 ("on, target opted in", "ENABLE", True)]
        times = {m[0]: [] for m in modes}
        try:
            for _ in range(1 if big else 3):
                for name, trig, opted in modes:      # interleaved: drift hits every mode alike
                    cur.execute("ALTER TABLE csstats.messages DISABLE TRIGGER metrics_store_delete")
                    cur.execute("DELETE FROM csstats.messages WHERE channel_id = 'MSCOPY'")
                    cur.execute("ALTER TABLE csstats.messages ENABLE TRIGGER metrics_store_delete")
                    cur.execute("VACUUM csstats.messages")
                    cur.execute("SELECT csstats.disable_metrics_store('MSCOPY')")
                    if opted:
                        cur.execute("SELECT csstats.enable_metrics_store('MSCOPY')")
                    cur.execute(f"ALTER TABLE csstats.messages {trig} TRIGGER metrics_store_insert")
                    times[name].append(timed(copy_sql))
                    cur.execute("ALTER TABLE csstats.messages ENABLE TRIGGER metrics_store_insert")
        finally:
            cur.execute("ALTER TABLE csstats.messages ENABLE TRIGGER metrics_store_insert")
            cur.execute("ALTER TABLE csstats.messages ENABLE TRIGGER metrics_store_delete")
            cur.execute("SELECT csstats.disable_metrics_store('MSCOPY')")
            cur.execute("DELETE FROM csstats.channels WHERE id = 'MSCOPY'")
            cur.execute("VACUUM csstats.messages")
            os.unlink(path)
            os.rmdir(d)
        base = f"COPY {nmsg} messages, triggers off, {ch}"
        b.emit(base, statistics.median(times["off"]))
        for name, _, _ in modes[1:]:
            b.emit(f"COPY {nmsg} messages, triggers {name}, {ch}", statistics.median(times[name]),
                   baseline=base, kind="overhead", target=1.2)

    cur.execute("SELECT csstats.disable_metrics_store(%s)", (ch,))
PY
