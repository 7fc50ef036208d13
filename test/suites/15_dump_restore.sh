#!/usr/bin/env bash
# pg_dump keeps every row: generate data, dump the database, restore it into a
# new database, and compare the row count and a checksum of every table.
set -euo pipefail
src=csstats_dump_src dst=csstats_dump_dst
dump=$(mktemp /tmp/csstats-dump.XXXXXX)
trap 'rm -f "$dump"; dropdb --if-exists $src; dropdb --if-exists $dst' EXIT

dropdb --if-exists $src; dropdb --if-exists $dst
createdb $src
psql -X -q -v ON_ERROR_STOP=1 -d $src <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION csstats;
SELECT count(*) FROM csstats.generate_demo('dump1', 300, 3);
SELECT count(*) FROM csstats.generate_demo('dump2', 120, 4);
-- rows a loader wrote by hand, with characters that must survive the round trip
INSERT INTO csstats.channels (id, name, timezone) VALUES ('hand', E'tab\there "quote" \\ 日本', 'Europe/Berlin');
INSERT INTO csstats.holidays VALUES ('hand', '2025-12-25', NULL);
SQL

# one line per table: name, row count, md5 of the rows in primary-key order
checksums() {
    psql -X -At -v ON_ERROR_STOP=1 -d "$1" <<'SQL'
SELECT format('%s %s %s', c.relname,
    (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM csstats.%I', c.relname), false, true, '')))[1]::text,
    (xpath('/row/h/text()', query_to_xml(format(
        'SELECT md5(coalesce(string_agg(t::text, E''\n'' ORDER BY t::text), '''')) AS h FROM csstats.%I t',
        c.relname), false, true, '')))[1]::text)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'csstats' AND c.relkind = 'r'
ORDER BY c.relname;
SELECT 'chat_events_id_seq ' || last_value FROM csstats.chat_events_id_seq;
SQL
}

before=$(checksums $src)
pg_dump -Fc -f "$dump" $src
createdb $dst
pg_restore --exit-on-error -d $dst "$dump"
after=$(checksums $dst)

echo "$before"
if [ "$before" = "$after" ]; then
    n=$(echo "$before" | wc -l)
    empty=$(echo "$before" | awk '$2 == 0' | wc -l)
    echo "dump_restore: $n passed, 0 failed ($empty empty tables)"
else
    diff <(echo "$before") <(echo "$after") || true
    echo "dump_restore: 0 passed, 1 failed"
    exit 1
fi
