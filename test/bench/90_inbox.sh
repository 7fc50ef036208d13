#!/usr/bin/env bash
# Live inbox counts (csstats.inbox_counts) of S (10,000 chats) and, with
# CSSTATS_BENCH_L=1, L (200,000 chats; the target is under 10 ms).
#
# First the plans of the queries inbox_counts opens its cursor on (as in
# sql/install/92_inbox.sql), custom and generic (plpgsql may use either): the
# open and snoozed chats must be an index-only scan of user_chats_inbox_idx
# and the closed window must read chat_events_state_at_idx, else the case
# fails.  Then the times:
#   - now, the default 30-day closed window: the data sets' chats are in the
#     first half of 2025, so today's window holds no close; this is the open
#     and snoozed part, which the target is about;
#   - now, with the closed window stretched back over the data's last 30 days
#     (as many closes as a live channel's 30 days): the closed part's cost;
#   - an as_of in the past, which replays chat_events (largest channel only).
set -euo pipefail
"$PY" - <<'PY'
import os
import sys
import benchlib as b

chans = ["S"] + (["L"] if os.environ.get("CSSTATS_BENCH_L") == "1" else [])

conn = b.connect()
cur = conn.cursor()
cur.execute("""PREPARE inbox_open(text) AS
    SELECT u.state, u.assignee_id, u.team_id, u.tags FROM csstats.user_chats u
    WHERE u.channel_id = $1 AND u.state IN ('queued', 'open', 'snoozed')""")
cur.execute("""PREPARE inbox_closed(text, timestamptz, timestamptz) AS
    SELECT u.state, u.assignee_id, u.team_id, u.tags
    FROM (SELECT DISTINCT ON (e.chat_id COLLATE "C") e.chat_id, e.kind, e.at
        FROM csstats.chat_events e
        WHERE e.channel_id = $1 AND e.kind IN ('queued', 'opened', 'snoozed', 'closed', 'missed')
            AND e.at >= $2
        ORDER BY e.chat_id COLLATE "C", e.at DESC, e.id DESC) l
    JOIN csstats.user_chats u ON u.channel_id = $1 AND u.id = l.chat_id
    WHERE l.kind IN ('closed', 'missed') AND l.at <= $3 AND u.state IN ('closed', 'missed')""")
bad = []
for ch in chans:
    for mode in ("force_custom_plan", "force_generic_plan"):
        cur.execute(f"SET plan_cache_mode = {mode}")
        for q, want in ((f"inbox_open('{ch}')", "Index Only Scan using user_chats_inbox_idx"),
                        (f"inbox_closed('{ch}', now() - interval '30 days', now())",
                         "chat_events_state_at_idx")):
            cur.execute(f"EXPLAIN EXECUTE {q}")
            plan = "\n".join(r[0] for r in cur.fetchall())
            print(f"-- {ch}, {mode}: {q}\n{plan}", flush=True)
            if want not in plan:
                bad.append(f"{ch} {mode} {q}: no {want}")
if bad:
    sys.exit("inbox_counts plans without their index: " + "; ".join(bad))

for ch in chans:
    cur.execute("SELECT count(*) FILTER (WHERE state IN ('queued', 'open', 'snoozed')), count(*)"
                " FROM csstats.user_chats WHERE channel_id = %s", (ch,))
    live, total = cur.fetchone()
    t_now, p_now = b.time_sql(f"SELECT count(*) FROM csstats.inbox_counts('{ch}')", runs=21)
    b.emit(f"inbox_counts of {ch}, now", t_now, peak_kb=p_now,
           note=f"{live:,} open and snoozed of {total:,} chats; no close in today's window")
    if ch == "L":
        b.emit("inbox_counts of L, now: ms", t_now * 1000, kind="max", target=10,
               note="target < 10 ms for 200,000 chats")
    # the closed window back to the data's last 30 days
    cur.execute("SELECT current_date - max(at)::date + 30 FROM csstats.chat_events WHERE channel_id = %s",
                (ch,))
    days = cur.fetchone()[0]
    cur.execute("SELECT chats FROM csstats.inbox_counts(%s, closed_days => %s)"
                " WHERE scope = 'all' AND state = 'closed'", (ch, days))
    closed = cur.fetchone()[0]
    t_cl, p_cl = b.time_sql(f"SELECT count(*) FROM csstats.inbox_counts('{ch}', closed_days => {days})",
                            runs=5)
    b.emit(f"inbox_counts of {ch}, now, closed window over the data's last 30 days", t_cl,
           peak_kb=p_cl, note=f"{closed:,} closed chats in the window")

ch = chans[-1]
t_past, p_past = b.time_sql(
    f"SELECT count(*) FROM csstats.inbox_counts('{ch}', '2025-06-30 18:00+09')", runs=3)
b.emit(f"inbox_counts of {ch}, as_of in the past (replay)", t_past, peak_kb=p_past,
       note="replays chat_events")
PY
