"""The Python peer of the chats export (benchmark only): the same sheets read
with psycopg2 (server-side cursors) and written with openpyxl in write_only
mode, unencrypted (Debian's msoffcrypto-tool cannot encrypt).  Same headers,
profile columns, local date-times and comma-separated arrays as csstats.

    export_peer.py DB CHANNEL OUT.xlsx
"""
import datetime
import json
import sys
import zoneinfo

import openpyxl
import psycopg2

SHEETS = [
    ("UserChat data", "user_chat_sheet", "chat"),
    ("User data", "user_sheet", "user"),
    ("Workflow data", "workflow_sheet", None),
    ("SupportBot data", "support_bot_sheet", None),
    ("Marketing data", "marketing_sheet", None),
    ("Manager data", "manager_sheet", None),
    ("Team data", "team_sheet", None),
    ("Bot data", "bot_sheet", None),
    ("UserChatTag data", "user_chat_tag_sheet", None),
    ("Message data", "message_sheet", None),
    ("UserChat meet data", "user_chat_meet_sheet", None),
]


def camel(col, pascal=False):
    parts = col.split("_")
    head = parts[0].capitalize() if pascal else parts[0]
    return head + "".join(p.capitalize() for p in parts[1:])


def export(db, channel, out):
    conn = psycopg2.connect(dbname=db)
    cur = conn.cursor()
    cur.execute("SELECT timezone FROM csstats.channels WHERE id = %s", (channel,))
    tz = zoneinfo.ZoneInfo(cur.fetchone()[0])
    wb = openpyxl.Workbook(write_only=True)
    for name, func, pkind in SHEETS:
        keys = []
        if pkind == "chat":
            cur.execute("""SELECT key FROM csstats.chat_profile_fields WHERE channel_id = %s
                           AND key NOT IN ('csat', 'csatComment') ORDER BY position, key""", (channel,))
            keys = ["csat", "csatComment"] + [r[0] for r in cur.fetchall()]
        elif pkind == "user":
            cur.execute("SELECT key FROM csstats.user_sheet_profile_keys(%s) ORDER BY position", (channel,))
            keys = [r[0] for r in cur.fetchall()]
        ws = wb.create_sheet(name)
        rc = conn.cursor(name=f"peer_{func}")
        rc.itersize = 5000
        rc.execute(f"SELECT * FROM csstats.{func}(%s)", (channel,))
        first = rc.fetchone()
        cols = [d.name for d in rc.description]
        header = []
        for c in cols:
            if c == "profile" and pkind:
                header += [f"profile.{k}" for k in keys]
            else:
                header.append(camel(c, pascal=(name == "Message data")))
        ws.append(header)

        def convert(row):
            out_row = []
            for c, v in zip(cols, row):
                if c == "profile" and pkind:
                    p = v or {}
                    for k in keys:
                        x = p.get(k)
                        out_row.append(json.dumps(x, ensure_ascii=False) if isinstance(x, (dict, list)) else x)
                elif isinstance(v, datetime.datetime):
                    out_row.append(v.astimezone(tz).replace(tzinfo=None))
                elif isinstance(v, list):
                    out_row.append(",".join("" if e is None else str(e) for e in v))
                elif isinstance(v, dict):
                    out_row.append(json.dumps(v, ensure_ascii=False))
                else:
                    out_row.append(v)
            return out_row

        if first is not None:
            ws.append(convert(first))
            for row in rc:
                ws.append(convert(row))
        rc.close()
    wb.save(out)
    conn.close()


if __name__ == "__main__":
    export(sys.argv[1], sys.argv[2], sys.argv[3])
