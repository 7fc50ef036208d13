#!/usr/bin/env bash
# Demo step (run by test/demo.sh): password-encrypted XLSX and JSON exports of
# the demo channel into ./demo-out, with their passwords, sizes, audit rows and
# how to open them; the XLSX opens on its Summary sheet (include_summary).
set -euo pipefail
out="$PWD/demo-out"
mkdir -p "$out"
echo
echo "== Encrypted exports of the demo channel (csstats.export_chats) =="
"$PY" - "$out" <<'PY'
import hashlib
import os
import secrets
import string
import sys

import psycopg2

out = sys.argv[1]
conn = psycopg2.connect()
conn.autocommit = True
cur = conn.cursor()
alphabet = string.ascii_letters + string.digits
files = []
for fmt, name in (("xlsx", "csstats-demo-chats.xlsx"), ("json", "csstats-demo-chats.json.zip")):
    pw = "".join(secrets.choice(alphabet) for _ in range(16))
    cur.execute("""SELECT csstats.export_chats(password => %s, reason => %s, format => %s,
                          include_messages => true, channel_id => 'demo',
                          include_summary => true)""",
                (pw, f"demo: every sheet of the demo channel as {fmt}", fmt))
    data = bytes(cur.fetchone()[0])
    path = os.path.join(out, name)
    # owner-only, like the server-side export files
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    cur.execute("SELECT id, sha256 FROM csstats.export_audit ORDER BY id DESC LIMIT 1")
    aid, sha = cur.fetchone()
    assert sha == hashlib.sha256(data).hexdigest()
    files.append((path, fmt, pw, len(data), aid))
for path, fmt, pw, size, aid in files:
    print(f"  {path}\n      format {fmt}, {size / 1e6:.2f} MB, password {pw}, audit id {aid} (SHA-256 matches)")
print()
print("  Open them:")
xlsx, js = files
print(f"    Excel or LibreOffice: open {xlsx[0]} and type {xlsx[2]}")
print(f"      it opens on the Summary sheet (include_summary => true): daily and per-assignee")
print(f"      tables with charts; the JSON carries the same tables under its last key \"Summary\"")
print(f"    or: /usr/bin/python3 -c \"import msoffcrypto; f = msoffcrypto.OfficeFile(open('{xlsx[0]}', 'rb')); "
      f"f.load_key(password='{xlsx[2]}'); f.decrypt(open('plain.xlsx', 'wb'))\"")
print(f"    7-Zip (or WinZip, Keka): 7z x -p{js[2]} {js[0]}   -> export.json")
PY
echo
echo "  The audit trail (csstats.export_audit; append-only, hash-chained):"
psql -X -q -P pager=off -c "SELECT id, exported_at, \"session_user\", kind, format, include_messages AS msgs,
       row_counts->>'UserChat data' AS chats, row_counts->>'Message data' AS messages,
       bytes, left(sha256, 16) || '…' AS sha256, destination, reason
FROM csstats.export_audit ORDER BY id DESC LIMIT 2" \
    -c "SELECT count(*) AS audit_rows, bool_and(ok) AS chain_ok FROM csstats.verify_audit()"
