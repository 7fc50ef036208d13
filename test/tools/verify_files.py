#!/usr/bin/python3
"""Independent checks of the files written by the csstats core (via csenc).

Run with Debian's /usr/bin/python3 (python3-msoffcrypto-tool, python3-openpyxl,
python3-olefile).  Nothing here reuses the C code: the compound-file checker,
the DataSpaces stream contents and the expected workbook cells are written
from the specifications (MS-CFB, MS-OFFCRYPTO, spec/export.md).

  verify_files.py sized-zip N OUT          a valid zip of exactly N bytes
  verify_files.py agile ENC PLAIN PASSWORD [--no-tamper]
                                           strict CFB check, msoffcrypto decrypt
                                           with verify_integrity=True == PLAIN,
                                           wrong password and tampering refused
  verify_files.py demo XLSX NROWS          openpyxl cells == what csenc wrote
  verify_files.py rollover XLSX EXTRA      continuation sheet rules
Exit status 0 when every check passed; failures are printed.
"""
import base64
import datetime
import io
import os
import random
import re
import struct
import sys
import zipfile

FREESECT, ENDOFCHAIN, FATSECT, DIFSECT, NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFC, 0xFFFFFFFF


class Fail(Exception):
    pass


def need(cond, msg):
    if not cond:
        raise Fail(msg)


# ---------------------------------------------------------------- sized zip
def sized_zip(n, out):
    """A valid zip (one stored member plus comment) of exactly n bytes."""
    rnd = random.Random(n)

    def build(payload_len, comment_len):
        b = io.BytesIO()
        with zipfile.ZipFile(b, "w", zipfile.ZIP_STORED) as z:
            z.writestr("p", bytes(rnd.getrandbits(8) for _ in range(payload_len)) if payload_len < 100000
                       else os.urandom(payload_len))
            z.comment = b"c" * comment_len
        return b.getvalue()

    base = len(build(0, 0))
    need(n >= base, "sized zip: %d is below the minimum %d" % (n, base))
    extra = n - base
    comment = min(extra, 100)
    data = build(extra - comment, comment)
    need(len(data) == n and zipfile.is_zipfile(io.BytesIO(data)), "sized zip construction failed")
    with open(out, "wb") as f:
        f.write(data)


# ---------------------------------------------------------------- MS-CFB checker
def u16(b, o):
    return struct.unpack_from("<H", b, o)[0]


def u32(b, o):
    return struct.unpack_from("<I", b, o)[0]


def u64(b, o):
    return struct.unpack_from("<Q", b, o)[0]


def cfb_parse(data):
    """Strictly validate a v3 compound file; return {path: bytes}."""
    need(len(data) % 512 == 0 and len(data) >= 512 * 4, "file length %d is not 512 * k" % len(data))
    h = data[:512]
    need(h[:8] == bytes.fromhex("D0CF11E0A1B11AE1"), "bad signature")
    need(h[8:24] == bytes(16), "header CLSID not zero")
    need(u16(h, 0x18) == 0x3E and u16(h, 0x1A) == 3, "not version 3.62")
    need(u16(h, 0x1C) == 0xFFFE and u16(h, 0x1E) == 9 and u16(h, 0x20) == 6, "bad byte order or shifts")
    need(h[0x22:0x28] == bytes(6) and u32(h, 0x28) == 0, "reserved / v3 directory count not zero")
    need(u32(h, 0x34) == 0 and u32(h, 0x38) == 4096, "transaction signature or mini cutoff wrong")
    nsect = len(data) // 512 - 1
    n_fat, dir_start = u32(h, 0x2C), u32(h, 0x30)
    minifat_start, n_minifat = u32(h, 0x3C), u32(h, 0x40)
    difat_start, n_difat = u32(h, 0x44), u32(h, 0x48)

    def sect(i):
        need(i < nsect, "sector %d beyond end of file (%d)" % (i, nsect))
        return data[512 * (i + 1):512 * (i + 2)]

    # FAT sector list: 109 header slots, then the DIFAT chain
    slots = [u32(h, 0x4C + 4 * i) for i in range(109)]
    fat_secs = [s for s in slots[:min(n_fat, 109)]]
    need(all(s == FREESECT for s in slots[min(n_fat, 109):]), "unused header DIFAT slot is not FREESECT")
    difat_secs = []
    cur = difat_start
    if n_difat == 0:
        need(difat_start == ENDOFCHAIN, "no DIFAT but first DIFAT sector is not ENDOFCHAIN")
    for j in range(n_difat):
        need(cur < nsect, "DIFAT chain broken at %d" % j)
        difat_secs.append(cur)
        s = sect(cur)
        ent = [u32(s, 4 * k) for k in range(127)]
        for e in ent:
            if len(fat_secs) < n_fat:
                need(e < nsect, "DIFAT lists a FAT sector out of range")
                fat_secs.append(e)
            else:
                need(e == FREESECT, "unused DIFAT slot is not FREESECT")
        cur = u32(s, 508)
    need(n_difat == 0 or cur == ENDOFCHAIN, "DIFAT chain does not end with ENDOFCHAIN")
    need(len(fat_secs) == n_fat, "DIFAT lists %d FAT sectors, header says %d" % (len(fat_secs), n_fat))
    fat = []
    for s in fat_secs:
        b = sect(s)
        fat.extend(u32(b, 4 * k) for k in range(128))
    need(len(fat) >= nsect, "FAT does not cover the file")
    for s in fat_secs:
        need(fat[s] == FATSECT, "FAT sector %d not marked FATSECT" % s)
    for s in difat_secs:
        need(fat[s] == DIFSECT, "DIFAT sector %d not marked DIFSECT" % s)
    need(all(e == FREESECT for e in fat[nsect:]), "FAT entry past end of file is not FREESECT")
    used = {s: "fat" for s in fat_secs}
    for s in difat_secs:
        used[s] = "difat"

    def chain(start, what, table=fat, limit=nsect, mark=True):
        out, cur, inchain = [], start, set()
        while cur != ENDOFCHAIN:
            need(cur < limit, "%s chain leaves the file (%#x)" % (what, cur))
            need(cur not in inchain, "%s chain loops" % what)
            inchain.add(cur)
            if mark:
                need(cur not in used, "sector %d used twice (%s, %s)" % (cur, used.get(cur), what))
                used[cur] = what
            out.append(cur)
            cur = table[cur]
        return out

    dsecs = chain(dir_start, "directory")
    dirdata = b"".join(sect(s) for s in dsecs)
    entries = []
    for i in range(len(dirdata) // 128):
        e = dirdata[128 * i:128 * (i + 1)]
        nlen = u16(e, 0x40)
        entries.append(dict(
            id=i, raw=e, name=e[:max(nlen - 2, 0)].decode("utf-16-le"), nlen=nlen, type=e[0x42], colour=e[0x43],
            left=u32(e, 0x44), right=u32(e, 0x48), child=u32(e, 0x4C), start=u32(e, 0x74), size=u64(e, 0x78)))
    for e in entries:
        if e["type"] == 0:
            need(e["raw"][:0x44] == bytes(0x44) and e["raw"][0x50:] == bytes(0x30)
                 and e["left"] == e["right"] == e["child"] == NOSTREAM,
                 "unused directory slot %d is not zero with NOSTREAM links" % e["id"])
            continue
        need(e["nlen"] >= 2 and e["nlen"] <= 64 and e["raw"][e["nlen"] - 2:e["nlen"]] == b"\0\0",
             "entry %d name not NUL-terminated" % e["id"])
        need(not any(c in e["name"] for c in "/\\:!"), "entry name with a forbidden character")
        need(e["raw"][0x50:0x64] == bytes(0x14), "entry %d CLSID/state bits not zero" % e["id"])
        need(e["raw"][0x64:0x74] == bytes(16), "entry %d timestamps not zero" % e["id"])
    root = entries[0]
    need(root["type"] == 5 and root["name"] == "Root Entry", "entry 0 is not the root")

    # MiniFAT and mini stream
    mfsecs = chain(minifat_start, "minifat") if n_minifat else []
    need(len(mfsecs) == n_minifat, "MiniFAT chain length differs from header")
    minifat = []
    for s in mfsecs:
        b = sect(s)
        minifat.extend(u32(b, 4 * k) for k in range(128))
    mssecs = chain(root["start"], "ministream") if root["size"] else []
    need(len(mssecs) == (root["size"] + 511) // 512, "mini stream chain length wrong")
    mini = b"".join(sect(s) for s in mssecs)
    mused = set()

    def read_stream(e):
        size = e["size"]
        need(size < 2 ** 31, "stream too large for v3")
        if size < 4096:
            secs = chain(e["start"], "mini " + e["name"], table=minifat, limit=root["size"] // 64, mark=False)
            for s in secs:
                need(s not in mused, "mini sector used twice")
                mused.add(s)
            need(len(secs) == (size + 63) // 64, "mini chain of %s has wrong length" % e["name"])
            return b"".join(mini[64 * s:64 * s + 64] for s in secs)[:size]
        secs = chain(e["start"], e["name"])
        need(len(secs) == (size + 511) // 512, "chain of %s has wrong length" % e["name"])
        return b"".join(sect(s) for s in secs)[:size]

    def key(e):
        return (e["nlen"], e["name"].upper())

    streams = {}
    seen = set()

    def walk_tree(node_id, prefix):
        """In-order walk of one sibling tree: order, colours, then recurse."""
        order = []

        def visit(i, parent_red):
            if i == NOSTREAM:
                return 1
            need(i < len(entries) and i not in seen, "tree reaches entry %s twice or out of range" % i)
            seen.add(i)
            e = entries[i]
            need(e["type"] in (1, 2), "tree holds a non-object entry %d" % i)
            red = e["colour"] == 0
            need(not (red and parent_red), "red entry %s has a red parent" % e["name"])
            bl = visit(e["left"], red)
            order.append(e)
            br = visit(e["right"], red)
            need(bl == br, "unequal black height under %s" % e["name"])
            return bl + (0 if red else 1)

        if node_id != NOSTREAM:
            need(entries[node_id]["colour"] == 1, "sibling tree root %d is not black" % node_id)
        visit(node_id, False)
        for a, b in zip(order, order[1:]):
            need(key(a) < key(b), "sibling order wrong: %r before %r" % (a["name"], b["name"]))
        for e in order:
            path = prefix + e["name"]
            if e["type"] == 1:
                need(e["start"] == 0 and e["size"] == 0, "storage %s has a start or size" % path)
                walk_tree(e["child"], path + "/")
            else:
                need(e["child"] == NOSTREAM, "stream %s has a child" % path)
                streams[path] = read_stream(e)

    walk_tree(root["child"], "")
    need(len(seen) == sum(1 for e in entries[1:] if e["type"] != 0), "unreachable directory entries")
    need(len(used) == nsect, "%d of %d sectors belong to no chain" % (nsect - len(used), nsect))
    return streams, dict(n_fat=n_fat, n_difat=n_difat)


def lpp4(s):
    b = s.encode("utf-16-le")
    return struct.pack("<I", len(b)) + b + bytes((-len(b)) % 4)


def expected_dataspaces():
    v10 = struct.pack("<HH", 1, 0) * 3
    version = lpp4("Microsoft.Container.DataSpaces") + v10
    entry = struct.pack("<II", 1, 0) + lpp4("EncryptedPackage") + lpp4("StrongEncryptionDataSpace")
    dsmap = struct.pack("<II", 8, 1) + struct.pack("<I", 4 + len(entry)) + entry
    sedata = struct.pack("<II", 8, 1) + lpp4("StrongEncryptionTransform")
    tid = struct.pack("<I", 1) + lpp4("{FF9A3F03-56EF-4613-BDD5-5A41C1D07246}")
    primary = struct.pack("<I", 4 + len(tid)) + tid + lpp4("Microsoft.Container.EncryptionTransform") + v10 \
        + struct.pack("<IIII", 0, 0, 0, 4)
    return {
        "\x06DataSpaces/Version": version,
        "\x06DataSpaces/DataSpaceMap": dsmap,
        "\x06DataSpaces/DataSpaceInfo/StrongEncryptionDataSpace": sedata,
        "\x06DataSpaces/TransformInfo/StrongEncryptionTransform/\x06Primary": primary,
    }


def decrypt(blob, password):
    import msoffcrypto
    f = msoffcrypto.OfficeFile(io.BytesIO(blob))
    f.load_key(password=password)
    out = io.BytesIO()
    f.decrypt(out, verify_integrity=True)
    return out.getvalue()


def refused(blob, password):
    try:
        decrypt(blob, password)
    except Exception as e:  # msoffcrypto raises InvalidKeyError / DecryptionError
        return type(e).__name__
    return None


def check_agile(enc, plain, password, tamper=True):
    blob = open(enc, "rb").read()
    ptext = open(plain, "rb").read()
    streams, info = cfb_parse(blob)
    exp = expected_dataspaces()
    need(set(streams) == set(exp) | {"EncryptionInfo", "EncryptedPackage"}, "stream set: %s" % sorted(streams))
    for k, v in exp.items():
        need(streams[k] == v, "stream %r differs from MS-OFFCRYPTO" % k)
    ei = streams["EncryptionInfo"]
    need(ei[:8] == bytes.fromhex("0400040040000000"), "EncryptionInfo version header wrong")
    xml = ei[8:].decode("utf-8")
    need('spinCount="100000"' in xml and 'hashAlgorithm="SHA512"' in xml and 'keyBits="256"' in xml,
         "EncryptionInfo parameters wrong")
    pkg = streams["EncryptedPackage"]
    need(u64(pkg, 0) == len(ptext), "EncryptedPackage size field %d != %d" % (u64(pkg, 0), len(ptext)))
    need(len(pkg) == 8 + (len(ptext) + 15) // 16 * 16, "EncryptedPackage length not 8 + roundup16(n)")
    need(decrypt(blob, password) == ptext, "decrypted bytes differ from the plaintext")
    need(refused(blob, password + "x") is not None, "a wrong password was accepted")
    if tamper:
        # flip one ciphertext byte of the package: the HMAC must no longer match
        off = blob.find(pkg[8:8 + 64]) + 8 + min(len(ptext) // 2, 40)
        bad = bytearray(blob)
        bad[off] ^= 0x01
        need(refused(bytes(bad), password) is not None, "a flipped package byte was not detected")
        # change one base64 character of encryptedHmacValue
        m = re.search(rb'encryptedHmacValue="([A-Za-z0-9+/]{8})', blob)
        need(m is not None, "encryptedHmacValue not found")
        i = m.start(1) + 3
        bad = bytearray(blob)
        bad[i] = ord("A") if bad[i] != ord("A") else ord("B")
        need(refused(bytes(bad), password) is not None, "a flipped HMAC value was not detected")
    return "ok fat=%d difat=%d" % (info["n_fat"], info["n_difat"])


# ---------------------------------------------------------------- workbooks
def ooxml_unescape(s):
    """Excel decodes _xHHHH_ in cell text (ECMA-376 ST_Xstring); openpyxl does not."""
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), s) if isinstance(s, str) else s


def demo_value(r, c):
    k = c % 7
    if k == 0:
        return r * 1000 + c
    if k == 1:
        return "chat-%d-%d" % (r, c)
    if k == 2:
        return r * 1.25 + c
    if k == 3:
        return datetime.datetime(2024, 1, 1) + datetime.timedelta(seconds=r * 60 + c)
    if k == 4:
        return bool((r + c) % 2)
    if k == 5:
        return None if r % 3 == 0 else "h\u00e9llo \U0001F600 %d" % r
    return "The customer asked about order %d and the manager replied politely, row %d." % (r * 7, r)


def utf16_units(s):
    return len(s.encode("utf-16-le")) // 2


def check_demo(path, nrows):
    import openpyxl
    wb = openpyxl.load_workbook(path, read_only=True)
    need(wb.sheetnames == ["UserChat data", "Tricky data"], "sheet names %s" % wb.sheetnames)
    created = wb.properties.created
    need(created == datetime.datetime(2000, 1, 1), "deterministic creation time is %s" % created)
    ws = wb["UserChat data"]
    rows = ws.iter_rows(values_only=True)
    need(next(rows) == tuple("col%d" % c for c in range(20)), "header row differs")
    n = 0
    for r, row in enumerate(rows):
        want = tuple(demo_value(r, c) for c in range(20))
        got = tuple(row) + (None,) * (20 - len(row))
        for c in range(20):
            g, w = got[c], want[c]
            if isinstance(w, datetime.datetime):
                need(isinstance(g, datetime.datetime) and abs((g - w).total_seconds()) < 0.001,
                     "row %d col %d: %r != %r" % (r, c, g, w))
            elif isinstance(w, float):
                need(type(g) in (int, float) and g == w, "row %d col %d: %r != %r" % (r, c, g, w))
            else:
                need(g == w and type(g) == type(w), "row %d col %d: %r != %r" % (r, c, g, w))
        n += 1
    need(n == nrows, "%d data rows, expected %d" % (n, nrows))
    wb.close()

    wb = openpyxl.load_workbook(path)  # full mode: number formats and widths
    ws = wb["UserChat data"]
    if nrows:
        need(ws.cell(2, 4).number_format == "yyyy-mm-dd hh:mm:ss", "date-time format is %r" % ws.cell(2, 4).number_format)
        need((ws.column_dimensions["D"].width or 0) >= 19, "date-time column too narrow to show the value")
    t = {row[0]: row[1] for row in wb["Tricky data"].iter_rows(min_row=2, values_only=True)}
    F = "\ufffd"
    mark = "\u2026[truncated]"
    expect = {
        "formula": "=1+1",
        "controls": "a" + F + "b" + F + "c\td\ne",
        "invalid_utf8": "x" + F + "(y" + F + "z" + F * 3 + "!",
        "ooxml_escape": "_x0041_ and _x00e9_",
        "nonbmp": "\U0001F600\U0001F389",
        "nul": "a" + F + "b",
        "uffff": "a" + F + "b",
        "leading_space": "  padded  ",
        "bigint": "1234567890123456789",
        "int15": 999999999999999,
        "nan": "NaN",
        "date1899": "1898-12-31 00:00:00",
        "serial": datetime.datetime(2024, 1, 1, 12, 0),
    }
    for k, v in expect.items():
        g = ooxml_unescape(t.get(k))
        need(g == v, "tricky %s: %r != %r" % (k, g, v))
    need(wb["Tricky data"]["A2"].data_type == "s" and wb["Tricky data"]["B2"].data_type == "s",
         "'=1+1' was not stored as text")
    long_a = t["long"]
    need(long_a.endswith(mark) and utf16_units(long_a) == 32767 and long_a[:-12] == "a" * 32755,
         "long text not cut to 32,767 with the marker (%d units)" % utf16_units(long_a))
    long_e = t["long_nonbmp"]
    need(long_e.endswith(mark) and utf16_units(long_e) <= 32767 and
         set(long_e[:-12]) == {"\U0001F600"} and utf16_units(long_e) >= 32765,
         "non-BMP long text cut wrongly (%d units)" % utf16_units(long_e))
    return "ok rows=%d" % n


def check_rollover(path, extra):
    import openpyxl
    wb = openpyxl.load_workbook(path, read_only=True)
    first = "Message data with a longer name"
    second = first[:31 - 4] + " (2)"
    need(wb.sheetnames == [first, second, "After"], "sheet names %s" % wb.sheetnames)
    need(all(len(s) <= 31 for s in wb.sheetnames), "sheet name over 31 characters")
    ws1 = wb[first]
    need(ws1.max_row == 1048576, "first sheet has %s rows, expected 1,048,576" % ws1.max_row)
    # the last row of the first sheet (streamed, so read its tail only)
    last = None
    for row in ws1.iter_rows(min_row=1048576, max_row=1048576, values_only=True):
        last = row
    need(last == (1048574,), "last row of the first sheet is %r" % (last,))
    rows2 = list(wb[second].iter_rows(values_only=True))
    need(rows2[0] == ("n",), "continuation sheet does not repeat the header")
    need([r[0] for r in rows2[1:]] == list(range(1048575, 1048575 + extra)), "continuation rows differ")
    rows3 = list(wb["After"].iter_rows(values_only=True))
    need(rows3 == [("n",), (42,)], "sheet after the continuation differs: %r" % rows3)
    return "ok"


def main(argv):
    try:
        if argv[1] == "sized-zip":
            sized_zip(int(argv[2]), argv[3])
            print("ok")
        elif argv[1] == "agile":
            print(check_agile(argv[2], argv[3], argv[4], tamper="--no-tamper" not in argv))
        elif argv[1] == "demo":
            print(check_demo(argv[2], int(argv[3])))
        elif argv[1] == "rollover":
            print(check_rollover(argv[2], int(argv[3])))
        else:
            print(__doc__)
            return 2
    except Fail as e:
        print("FAIL: %s" % e)
        return 1
    except Exception as e:  # a reader refusing a file it should accept
        print("FAIL: %s: %s" % (type(e).__name__, e))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
