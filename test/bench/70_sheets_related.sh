#!/usr/bin/env bash
# Message data sheet (csstats.message_sheet) streamed in full from the S data
# set, written by the server to /dev/null, against the same rows in the same
# order from a hand-written join, and against an unordered dump of the
# channel's messages (the floor).  Informational ratios; the backend's peak
# memory shows the sheet streams (incremental sort per chat, no whole-sheet
# sort).
set -euo pipefail
"$PY" - <<'PY'
import benchlib as b

cols = "m.chat_id, m.person_type, m.person_id, m.created_at, m.plain_text"
t_floor, p_floor = b.time_sql(
    f"COPY (SELECT {cols} FROM csstats.messages m WHERE m.channel_id = 'S') TO '/dev/null'", runs=5)
b.emit("messages of S, unordered COPY (floor)", t_floor, peak_kb=p_floor)
t_join, p_join = b.time_sql(
    f"""COPY (SELECT {cols}
              FROM csstats.user_chats c JOIN csstats.messages m
                ON m.channel_id = c.channel_id AND m.chat_id = c.id
              WHERE c.channel_id = 'S' AND c.created_at <= now() AND m.created_at <= now()
              ORDER BY c.created_at, c.id, m.created_at, m.id) TO '/dev/null'""", runs=5)
b.emit("messages of S, hand-written ordered join", t_join, peak_kb=p_join)
t_sheet, p_sheet = b.time_sql(
    "COPY (SELECT * FROM csstats.message_sheet('S')) TO '/dev/null'", runs=5)
b.emit("Message data sheet of S (message_sheet)", t_sheet,
       baseline="messages of S, hand-written ordered join", kind="overhead", peak_kb=p_sheet,
       note="same rows, same order")
b.emit("Message data sheet of S vs unordered floor", t_sheet,
       baseline="messages of S, unordered COPY (floor)", kind="overhead", peak_kb=p_sheet)
t_all, p_all = b.time_sql(
    """SELECT (SELECT count(*) FROM csstats.user_sheet('S')),
              (SELECT count(*) FROM csstats.workflow_sheet('S')),
              (SELECT count(*) FROM csstats.support_bot_sheet('S')),
              (SELECT count(*) FROM csstats.marketing_sheet('S')),
              (SELECT count(*) FROM csstats.manager_sheet('S')),
              (SELECT count(*) FROM csstats.team_sheet('S')),
              (SELECT count(*) FROM csstats.bot_sheet('S')),
              (SELECT count(*) FROM csstats.user_chat_tag_sheet('S')),
              (SELECT count(*) FROM csstats.user_chat_meet_sheet('S'))""", runs=5)
b.emit("the nine other related sheets of S (counts)", t_all, peak_kb=p_all)
PY
