#!/usr/bin/python3
"""Generate a channel of deliberately messy chats for the metrics cross-check.

    metrics_gen.py CHANNEL_ID CHATS SEED

Writes (COPY, through psycopg2, with the PG* environment) a channel in
Asia/Seoul with Monday-Friday 09:00-18:00 hours, a holiday and a special
day, and CHATS chats whose timelines mix realistic flows (ask, queue, open,
replies, snooze, close, reopen) with noise: equal timestamps, messages and
events at night and on weekends, duplicated and repeated state events,
closes without opens, calls with missed meets, bot messages, attribute
events (tags, followers, assignee, team, priority, profile with JSON null
removals).  Event ids and message ids are shuffled against time, so the
insertion order never matches the timeline order.  Deterministic per seed.
"""
import io
import json
import random
import sys
from datetime import datetime, timedelta, timezone

import psycopg2

KST = timezone(timedelta(hours=9))
STATES = ["queued", "opened", "snoozed", "closed", "missed"]
TAGS = ["delivery", "delivery/late", "billing", "refund", "vip", "bug"]
MANAGERS = ["m1", "m2", "m3", "m4"]
TEAMS = ["t1", "t2"]
MISSED = ["notInOperation", "noOperator", "abandonedInQueue", "ringTimeOver", "userleft"]


def step(rng):
    """A time step: ties are common, nights and weekends happen."""
    r = rng.random()
    if r < 0.15:
        return timedelta(0)
    if r < 0.25:
        return timedelta(seconds=rng.randint(1, 5))
    if r < 0.75:
        return timedelta(seconds=rng.randint(10, 1800))
    if r < 0.93:
        return timedelta(seconds=rng.randint(1800, 6 * 3600))
    return timedelta(seconds=rng.randint(6 * 3600, 3 * 86400))


def chat_items(rng, start):
    """A list of (at, source, kind, value) in roughly time order."""
    t = start
    items = []
    is_call = rng.random() < 0.2

    def add(src, kind, value=None):
        items.append((t, src, kind, value))

    for _ in range(rng.randint(1, 3)):          # cases
        if rng.random() < 0.9:
            add("msg", "user")
        t += step(rng)
        if is_call and rng.random() < 0.5:
            add("meet", "meet", rng.choice(MISSED) if rng.random() < 0.5 else None)
        if rng.random() < 0.7:
            add("ev", "queued")
            t += step(rng)
        if rng.random() < 0.15:
            add("ev", "missed")
            t += step(rng)
        if rng.random() < 0.9:
            add("ev", "opened")
        for _ in range(rng.randint(0, 12)):
            t += step(rng)
            r = rng.random()
            if r < 0.35:
                add("msg", "user")
            elif r < 0.65:
                add("msg", "manager")
            elif r < 0.70:
                add("msg", "bot")
            elif r < 0.76:
                add("ev", "snoozed")
                if rng.random() < 0.7:
                    t += step(rng)
                    add("ev", "opened")
            elif r < 0.78:
                add("ev", rng.choice(STATES))        # noise
            elif r < 0.82:
                add("ev", "tag_added" if rng.random() < 0.7 else "tag_removed", rng.choice(TAGS))
            elif r < 0.85:
                add("ev", "follower_added" if rng.random() < 0.7 else "follower_removed",
                    rng.choice(MANAGERS))
            elif r < 0.88:
                add("ev", "assigned", rng.choice(MANAGERS + [None]))
            elif r < 0.90:
                add("ev", "team_assigned", rng.choice(TEAMS + [None]))
            elif r < 0.92:
                add("ev", "priority_changed", rng.choice(["high", "medium", "low"]))
            elif r < 0.95:
                obj = {"csat": rng.randint(1, 5)} if rng.random() < 0.6 else {}
                if rng.random() < 0.4:
                    obj["csatComment"] = None if rng.random() < 0.5 else "ok"
                if rng.random() < 0.3:
                    obj["custom"] = rng.choice(["a", "b", None])
                add("ev", "profile_changed", json.dumps(obj))
            elif r < 0.97 and is_call:
                add("meet", "meet", rng.choice(MISSED))
            else:
                add("msg", "user")
        if rng.random() < 0.85:
            t += step(rng)
            add("ev", "closed")
            if rng.random() < 0.1:
                add("ev", "closed")                  # duplicate close
            if rng.random() < 0.1:
                t += step(rng)
                add("ev", "closed")                  # closed again, no reopen
        if rng.random() < 0.3:                      # csat after the close
            t += timedelta(seconds=rng.randint(60, 7200))
            add("ev", "profile_changed", json.dumps({"csat": rng.randint(1, 5)}))
        t += step(rng)
    if rng.random() < 0.2:                          # trailing message, no reopen
        add("msg", "user")
    return items, is_call


def main():
    channel, nchats, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rng = random.Random(seed)
    base = datetime(2025, 3, 1, 0, 0, tzinfo=KST)
    chats, events, messages, meets = io.StringIO(), [], io.StringIO(), io.StringIO()

    def esc(v):
        if v is None:
            return "\\N"
        return str(v).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")

    for c in range(nchats):
        cid = "x%05d" % c
        start = base + timedelta(seconds=rng.randint(0, 30 * 86400))
        items, is_call = chat_items(rng, start)
        direction = "inbound" if rng.random() < 0.8 else "outbound"
        medium = "phoneNumber" if is_call else rng.choice(["inAppChat", "email", "appLine"])
        row = [channel, cid, rng.choice(["queued", "open", "snoozed", "closed", "missed"]),
               direction, medium, rng.choice(MANAGERS + [None]), rng.choice(TEAMS + [None]),
               "{%s}" % ",".join(rng.sample(MANAGERS, rng.randint(0, 2))),
               "{%s}" % ",".join(rng.sample(TAGS, rng.randint(0, 2))),
               rng.choice(["high", "medium", "low", None]),
               json.dumps({"csat": rng.randint(1, 5)}) if rng.random() < 0.5 else "{}",
               start.isoformat()]
        chats.write("\t".join(esc(v) for v in row) + "\n")
        for n, (at, src, kind, value) in enumerate(items):
            if src == "msg":
                # random ids: equal-time messages are ordered by id, not by insertion
                mid = "%s-%04x" % (cid, rng.randint(0, 0xFFFF)) + "-%d" % n
                messages.write("\t".join(esc(v) for v in [channel, mid, cid, kind, at.isoformat()]) + "\n")
            elif src == "meet":
                meets.write("\t".join(esc(v) for v in [channel, "%s-call%d" % (cid, n), cid, "call",
                                                       "inbound", at.isoformat(), value]) + "\n")
            else:
                events.append([channel, cid, at.isoformat(), kind, value])
    rng.shuffle(events)                              # ids against time

    conn = psycopg2.connect("")
    cur = conn.cursor()
    cur.execute("INSERT INTO csstats.channels (id, name, timezone) VALUES (%s, %s, 'Asia/Seoul')",
                (channel, "crosscheck " + channel))
    cur.execute("INSERT INTO csstats.operating_hours (channel_id, day_of_week, opens_at, closes_at) "
                "SELECT %s, d, '09:00', '18:00' FROM generate_series(1, 5) d", (channel,))
    cur.execute("INSERT INTO csstats.holidays (channel_id, day, name) VALUES (%s, '2025-03-03', 'holiday')",
                (channel,))
    cur.execute("INSERT INTO csstats.special_hours (channel_id, day, opens_at, closes_at) "
                "VALUES (%s, '2025-03-08', '10:00', '14:00')", (channel,))
    chats.seek(0)
    cur.copy_expert("COPY csstats.user_chats (channel_id, id, state, direction, medium_name, assignee_id, "
                    "team_id, manager_ids, tags, priority, profile, created_at) FROM STDIN", chats)
    ev = io.StringIO("".join("\t".join(esc(v) for v in e) + "\n" for e in events))
    cur.copy_expert("COPY csstats.chat_events (channel_id, chat_id, at, kind, value) FROM STDIN", ev)
    messages.seek(0)
    cur.copy_expert("COPY csstats.messages (channel_id, id, chat_id, person_type, created_at) FROM STDIN",
                    messages)
    meets.seek(0)
    cur.copy_expert("COPY csstats.meets (channel_id, id, user_chat_id, type, direction, started_at, "
                    "missed_reason) FROM STDIN", meets)
    conn.commit()
    cur.execute("SELECT (SELECT count(*) FROM csstats.user_chats WHERE channel_id = %s), "
                "(SELECT count(*) FROM csstats.chat_events WHERE channel_id = %s), "
                "(SELECT count(*) FROM csstats.messages WHERE channel_id = %s)", (channel, channel, channel))
    print("generated %s: %d chats, %d events, %d messages" % ((channel,) + cur.fetchone()))


if __name__ == "__main__":
    main()
