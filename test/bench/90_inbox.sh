#!/usr/bin/env bash
# Live inbox counts (csstats.inbox_counts) of the largest channel generated:
# L (200,000 chats) with CSSTATS_BENCH_L=1, S (10,000) otherwise.  The current
# counts read the open and snoozed chats through user_chats_inbox_idx and the
# closed window through chat_events_state_at_idx (the target is under 10 ms
# for 200,000 chats); a past as_of replays chat_events, for comparison.
set -euo pipefail
"$PY" - <<'PY'
import os
import benchlib as b

ch = "L" if os.environ.get("CSSTATS_BENCH_L") == "1" else "S"
t_now, p_now = b.time_sql(f"SELECT count(*) FROM csstats.inbox_counts('{ch}')", runs=21)
b.emit(f"inbox_counts of {ch}, now", t_now, peak_kb=p_now, note="target < 10 ms for 200,000 chats")
t_past, p_past = b.time_sql(
    f"SELECT count(*) FROM csstats.inbox_counts('{ch}', '2025-06-30 18:00+09')", runs=3)
b.emit(f"inbox_counts of {ch}, as_of in the past (replay)", t_past, peak_kb=p_past,
       note="replays chat_events")
PY
