#!/usr/bin/env bash
# Encrypted file writers (src/core: xlsxout, agile, cfb, zipenc), checked by
# independent readers: msoffcrypto-tool (decrypt with verify_integrity=True),
# openpyxl, 7-Zip and a strict MS-CFB checker in test/tools/verify_files.py.
# Needs no PostgreSQL cluster.
set -euo pipefail
SRC=${CSSTATS_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
PY=${PY:-/usr/bin/python3}
V="$PY $SRC/test/tools/verify_files.py"
W=$(mktemp -d /tmp/csstats-writers.XXXXXX)
trap 'rm -rf "$W"' EXIT
mkdir "$W/tmp"

passed=0 failed=0
ok()   { passed=$((passed + 1)); echo "ok   $1"; }
bad()  { failed=$((failed + 1)); echo "FAIL $1"; }
# check NAME CMD...: the command must succeed
check() { local n=$1; shift; local out; if out=$("$@" 2>&1); then ok "$n"; else bad "$n"; echo "$out" | tail -n 5; fi; }
# refuse NAME RC PATTERN CMD...: the command must exit with RC and print PATTERN
refuse() {
    local n=$1 want=$2 pat=$3; shift 3; local out rc=0
    out=$("$@" 2>&1) || rc=$?
    if [ "$rc" = "$want" ] && grep -qE "$pat" <<<"$out"; then ok "$n"; else bad "$n (rc=$rc)"; echo "$out" | tail -n 3; fi
}
rss() { sed -n 's/.*maxrss_kb=\([0-9]*\).*/\1/p' "$1"; }

gcc -std=gnu11 -O2 -Wall -Wextra -Werror -Wno-unused-parameter -I"$SRC/src/core" \
    "$SRC/test/tools/csenc.c" "$SRC"/src/core/{cserr,cfb,utf8,agile,xlsxout,zipenc}.c \
    $(pkg-config --cflags --libs xlsxwriter openssl libzip) -lm -o "$W/csenc"
C="$W/csenc"
PW='Secret123'
PWU='Pässwörd€😀x'    # non-ASCII, with a character outside the BMP

# --- workbook layer: cells, rules, determinism --------------------------------
check "xlsx demo written" "$C" xlsx-demo "$W/demo.xlsx" 3000 "$W/tmp"
check "xlsx cells read back by openpyxl" $V demo "$W/demo.xlsx" 3000
check "xlsx deterministic" bash -c "'$C' xlsx-demo '$W/demo2.xlsx' 3000 '$W/tmp' && cmp '$W/demo.xlsx' '$W/demo2.xlsx'"
check "xlsx temp dir left empty" bash -c "[ -z \"\$(ls -A '$W/tmp')\" ]"
check "xlsx sheet rollover at 1,048,576 rows" bash -c "'$C' xlsx-rollover '$W/roll.xlsx' 7 '$W/tmp' >/dev/null && $V rollover '$W/roll.xlsx' 7"
rm -f "$W/roll.xlsx" "$W/demo2.xlsx"

# --- Agile encryption of the real workbook ------------------------------------
check "encrypt workbook" "$C" encrypt "$W/demo.xlsx" "$W/demo.enc" "$PW"
check "msoffcrypto decrypts workbook, HMAC verified, tampering refused" $V agile "$W/demo.enc" "$W/demo.xlsx" "$PW"
check "encrypt with non-BMP UTF-8 password" "$C" encrypt "$W/demo.xlsx" "$W/demo-u.enc" "$PWU"
check "msoffcrypto accepts the non-BMP password" $V agile "$W/demo-u.enc" "$W/demo.xlsx" "$PWU" --no-tamper
check "openpyxl reads the decrypted workbook" bash -c "
  $PY -c \"import io,sys,msoffcrypto; f=msoffcrypto.OfficeFile(open('$W/demo.enc','rb')); f.load_key(password='$PW'); o=open('$W/dec.xlsx','wb'); f.decrypt(o, verify_integrity=True); o.close()\" &&
  $V demo '$W/dec.xlsx' 3000"
check "7z lists the compound file without errors" bash -c "
  out=\$(7z l -tcompound '$W/demo.enc'); echo \"\$out\" | grep -q EncryptedPackage && ! echo \"\$out\" | grep -qiE 'error|warning|unexpected'"
check "encrypt to a pipe" bash -c "'$C' encrypt '$W/demo.xlsx' - '$PW' --stdout 2>/dev/null | cat > '$W/pipe.enc' && $V agile '$W/pipe.enc' '$W/demo.xlsx' '$PW' --no-tamper"
rm -f "$W/demo-u.enc" "$W/pipe.enc" "$W/dec.xlsx"

# --- package sizes: mini stream, segment and DIFAT boundaries -------------------
# 4080 is the largest plaintext whose stream (8 + 4080) is a mini stream.
# 109 FAT sectors map 13,952 sectors: 8 go to the mini stream, MiniFAT and
# directory, 109 to the FAT, leaving 13,835 * 512 = 7,083,520 bytes for the
# stream 8 + roundup16(n): 7,083,504 is the largest plaintext without a DIFAT
# sector, 7,083,505 the first with one; 24 MB and 100 MB need 3 and 12.
for n in 200 4080 4081 4095 4096 4097 12288 7083504 7083505 24000000 104857600; do
    want_difat=""
    case $n in 7083504) want_difat="difat=0";; 7083505) want_difat="difat=1";;
        24000000) want_difat="difat=3";; 104857600) want_difat="difat=12";; esac
    $V sized-zip $n "$W/p.bin" >/dev/null
    tamper=""; [ $n -gt 5000000 ] && tamper="--no-tamper"
    if "$C" encrypt "$W/p.bin" "$W/p.enc" "$PWU" 2>"$W/enc.log" &&
        out=$($V agile "$W/p.enc" "$W/p.bin" "$PWU" $tamper) && [[ $out == ok* ]] &&
        [[ -z $want_difat || $out == *"$want_difat"* ]] &&
        [ "$(stat -c %s "$W/p.enc")" = "$("$C" plainsize $n 2>/dev/null)" ] &&
        l=$(7z l -tcompound "$W/p.enc") && ! grep -qiE 'error|warning' <<<"$l"; then
        ok "size $n: decrypts exactly ($out), 7z lists it"
    else
        bad "size $n"; echo "${out:-}"; cat "$W/enc.log"
    fi
    [ $n = 104857600 ] && rss100=$(rss "$W/enc.log")
    [ $n = 7083504 ] && rss7=$(rss "$W/enc.log")
    rm -f "$W/p.enc"
done
if [ $((rss100 - rss7)) -lt 4096 ]; then ok "memory flat: ${rss7} kB at 7 MB, ${rss100} kB at 100 MB"
else bad "memory grows: ${rss7} kB at 7 MB, ${rss100} kB at 100 MB"; fi
rm -f "$W/p.bin"

# --- refusals and cleanup on errors --------------------------------------------
refuse "missing input refused" 1 "i/o error: could not open" "$C" encrypt "$W/none.xlsx" "$W/x.enc" "$PW"
refuse "empty password refused" 1 "bad argument error: password must not be empty" "$C" encrypt "$W/demo.xlsx" "$W/x.enc" ""
refuse "full disk reported" 1 "i/o error: could not write the encrypted file: No space left on device" bash -c "'$C' encrypt '$W/demo.xlsx' - '$PW' --stdout > /dev/full"
refuse "cancel during key derivation" 3 "canceled during key derivation" "$C" encrypt "$W/demo.xlsx" "$W/c1.enc" "$PW" --cancel-after 5
refuse "cancel during segments" 3 "encryption canceled" "$C" encrypt "$W/demo.xlsx" "$W/c2.enc" "$PW" --cancel-after 110
check "no file left after cancel" bash -c "[ ! -e '$W/c1.enc' ] && [ ! -e '$W/c2.enc' ]"

# --- AES-256 zip of the JSON export ---------------------------------------------
$PY - "$W/data.json" <<'PYEOF'
import json, sys
rows = [{"chatId": "c%06d" % i, "text": "Grüße 😀 \"quoted\" line %d" % i, "tags": ["a", "b/c"], "n": i * 1.5}
        for i in range(120000)]
with open(sys.argv[1], "w", encoding="utf-8") as f:
    json.dump({"UserChat data": rows}, f, ensure_ascii=False)
PYEOF
check "zip written" "$C" zip "$W/data.json" "$W/data.zip" "$PW" export.json
check "7z lists one AES-256 deflated member named export.json" bash -c "
  l=\$(7z l -slt '$W/data.zip'); grep -q 'Path = export.json' <<<\"\$l\" && grep -q 'Method = AES-256 Deflate' <<<\"\$l\" && [ \$(grep -c '^Path = ' <<<\"\$l\") = 2 ]"
check "7z extracts the JSON byte-identical" bash -c "mkdir -p '$W/x' && 7z x -y -p'$PW' -o'$W/x' '$W/data.zip' >/dev/null && cmp '$W/x/export.json' '$W/data.json'"
check "zip memory flat (member streamed from the file)" bash -c "
  head -c 2000000 '$W/data.json' > '$W/small.json' && '$C' zip '$W/small.json' '$W/s.zip' '$PW' 2>'$W/zs.log' &&
  for i in 1 2 3 4 5 6 7 8; do cat '$W/data.json'; done > '$W/big.json' && '$C' zip '$W/big.json' '$W/b.zip' '$PW' 2>'$W/zb.log' &&
  s=\$(sed -n 's/.*maxrss_kb=\([0-9]*\).*/\1/p' '$W/zs.log') && b=\$(sed -n 's/.*maxrss_kb=\([0-9]*\).*/\1/p' '$W/zb.log') &&
  echo \"small \$s kB, big \$b kB\" && [ \$((b - s)) -lt 4096 ]"
rm -f "$W/small.json" "$W/big.json" "$W/s.zip" "$W/b.zip"
refuse "7z refuses a wrong password" 2 "Wrong password" 7z x -y -pWrong123 -o"$W/y" "$W/data.zip"
refuse "existing zip never overwritten" 1 "already exists" "$C" zip "$W/data.json" "$W/data.zip" "$PW"
refuse "zip cancel" 3 "zip writing canceled" "$C" zip "$W/data.json" "$W/c.zip" "$PW" --cancel-after 1
check "no zip or temp file left after cancel" bash -c "! ls '$W' | grep -q '^c\.zip'"
refuse "zip of a missing file refused" 1 "could not open the file to zip" "$C" zip "$W/none.json" "$W/n.zip" "$PW"
refuse "zip with empty password refused" 1 "password must not be empty" "$C" zip "$W/data.json" "$W/e.zip" ""

echo "writers: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
