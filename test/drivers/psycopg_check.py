#!/usr/bin/python3
"""csstats through psycopg 3 (Debian python3-psycopg), as a Python BI job or
Superset uses it (test/suites/65_drivers.sh).

    psycopg_check.py LABEL CONNINFO CHANNEL OUTDIR

Every flat view and the README's BI queries, each executed 8 times with bound
parameters (psycopg 3 binds on the server).  LABEL direct: psycopg's
automatic prepared statements (prepare_threshold 5) must appear in
pg_prepared_statements and return the same rows; LABEL pooled (through
pgbouncer in transaction pooling): prepare_threshold=None, as
docs/operations.md says.  Then export_chats with a generated password, written
to OUTDIR/psycopg-LABEL.xlsx and .password.  Exits 1 on a failed check.
"""
import os
import sys

import psycopg

label, conninfo, channel, outdir = sys.argv[1:]
QUERIES = [
    ("bi_chats", "SELECT * FROM csstats.bi_chats WHERE channel_id = %s ORDER BY chat_id", (channel,)),
    ("bi_chat_tags", "SELECT * FROM csstats.bi_chat_tags WHERE channel_id = %s ORDER BY chat_id, tag", (channel,)),
    ("bi_cases", "SELECT * FROM csstats.bi_cases WHERE channel_id = %s ORDER BY case_id", (channel,)),
    ("bi_case_tags", "SELECT * FROM csstats.bi_case_tags WHERE channel_id = %s ORDER BY case_id, tag", (channel,)),
    ("bi_daily", "SELECT * FROM csstats.bi_daily WHERE channel_id = %s ORDER BY day, assignee_id", (channel,)),
    ("inbox_counts", "SELECT * FROM csstats.inbox_counts(%s) ORDER BY scope, key, state", (channel,)),
    ("approx_percentiles over user_chat_sheet",
     "SELECT assignee_id, csstats.approx_percentiles(waiting_time, '{0.5,0.9}') "
     "FROM csstats.user_chat_sheet(%s, %s, %s) GROUP BY 1 ORDER BY 1", (channel, "2025-03-01", "2025-04-01")),
]


def fail(what):
    print(f"FAILED: {what}")
    sys.exit(1)


pooled = label == "pooled"
with psycopg.connect(conninfo, prepare_threshold=None if pooled else 5) as conn:
    for name, sql, args in QUERIES:
        with conn.transaction():  # one now() for all executions
            first = None
            for _ in range(8):
                rows = conn.execute(sql, args).fetchall()
                if first is None:
                    first = rows
                elif rows != first:
                    fail(f"{name}: an execution returned other rows")
            if not first:
                fail(f"{name}: no rows")
            prepared = conn.execute(
                "SELECT count(*), coalesce(sum(generic_plans + custom_plans), 0) "
                "FROM pg_prepared_statements WHERE NOT from_sql AND statement LIKE %s",
                (sql.split(" %s")[0].replace("%s", "$1") + "%",)).fetchone()
        if pooled:
            if prepared[0] != 0:
                fail(f"{name}: a named statement through the pooler")
            print(f"ok: {name}: {len(first)} rows, 8 executions through the pooler, unnamed statements")
        else:
            if prepared[0] != 1 or prepared[1] < 3:
                fail(f"{name}: not a reused prepared statement: {prepared}")
            print(f"ok: {name}: {len(first)} rows, prepared statement reused ({prepared[1]} plan executions)")
    pw, data = conn.execute(
        "SELECT generated_password, file FROM csstats.export_chats(password => NULL, "
        "generate_password => true, reason => %s, channel_id => %s, since => %s, until => %s)",
        (f"drivers suite: psycopg {label}", channel, "2025-03-01 00:00+09", "2025-05-01 00:00+09")).fetchone()
    if not pw or len(data) < 1000:
        fail("export")
    with open(os.path.join(outdir, f"psycopg-{label}.xlsx"), "wb") as f:
        f.write(data)
    with open(os.path.join(outdir, f"psycopg-{label}.password"), "w") as f:
        f.write(pw)
    print(f"ok: export_chats with a generated password ({len(data)} bytes)")
