#!/usr/bin/env python3
"""Opens the exports the drivers wrote (test/suites/65_drivers.sh) with tools
that share no code with csstats: msoffcrypto-tool decrypts each FILE.xlsx with
the password in FILE.password (verify_integrity=True: the HMAC must check),
openpyxl reads the workbook, and its "UserChat data" sheet must hold one row per
chat of user_chat_sheet(channel, since, until), in the same order.

    verify_export.py DSN CHANNEL SINCE UNTIL FILE.xlsx...
"""
import io
import sys

import msoffcrypto
import openpyxl
import psycopg2


def main():
    dsn, channel, since, until, *files = sys.argv[1:]
    with psycopg2.connect(dsn) as db, db.cursor() as cur:
        cur.execute("SELECT id FROM csstats.user_chat_sheet(%s, %s, %s)", (channel, since, until))
        want = [r[0] for r in cur.fetchall()]
    ok = True
    for path in files:
        with open(path[:-len(".xlsx")] + ".password") as f:
            password = f.read()
        with open(path, "rb") as f:
            office = msoffcrypto.OfficeFile(f)
            office.load_key(password=password)
            plain = io.BytesIO()
            office.decrypt(plain, verify_integrity=True)
        wb = openpyxl.load_workbook(plain, read_only=True)
        rows = list(wb["UserChat data"].iter_rows(values_only=True))
        ids = [r[0] for r in rows[1:]]
        good = ids == want and len(want) > 0
        print(f"{path}: decrypted with its generated password, {len(ids)} chats "
              f"(user_chat_sheet: {len(want)}): {'ok' if good else 'FAIL'}")
        ok &= good
        wb.close()
    sys.exit(0 if ok else 1)


main()
