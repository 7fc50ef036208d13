#!/usr/bin/env bash
# Randomized cross-check of the C metric aggregates against the plain-SQL
# reference (test/tools/metrics_reference.sql): thousands of generated messy
# chats (test/tools/metrics_gen.py: reopens, snoozes, ties, night messages,
# calls, duplicates, attribute events) and the realistic demo channel, each
# at several as_of times, must give identical chat and case rows (durations
# equal to 1e-6 relative).  Any difference is printed and fails the suite.
set -euo pipefail
cd "$CSSTATS_SRC"
DB=csstats_metrics_xc
CHATS=${METRICS_XC_CHATS:-3000}
passed=0 failed=0

psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
export PGDATABASE=$DB
psql -X -q -v ON_ERROR_STOP=1 -c "CREATE EXTENSION csstats"
psql -X -q -v ON_ERROR_STOP=1 -c "SET client_min_messages = warning" -f test/tools/metrics_reference.sql
"$PY" test/tools/metrics_gen.py xc1 "$CHATS" 1
"$PY" test/tools/metrics_gen.py xc2 "$((CHATS / 3))" 2
psql -X -q -v ON_ERROR_STOP=1 -c "SELECT count(*) FROM csstats.generate_demo('xc_demo', 1000, 7)" >/dev/null

# compare one channel at one as_of; prints the differences, returns 1 if any
check() {
    local ch=$1 as_of=$2 out
    out=$(psql -X -q -A -t -v ON_ERROR_STOP=1 -v ch="$ch" -v as_of="$as_of" <<'SQL'
CREATE TEMP TABLE c_chat AS
SELECT chat_id, (csstats.chat_metrics(t, :'as_of')).* FROM csstats.timeline t
WHERE channel_id = :'ch' GROUP BY channel_id, chat_id;
CREATE TEMP TABLE r_chat AS SELECT * FROM csstats_ref.chat_metrics(:'ch', :'as_of');
CREATE TEMP TABLE c_case AS
SELECT c.* FROM (SELECT csstats.case_metrics(t, :'as_of') AS cs FROM csstats.timeline t
				 WHERE channel_id = :'ch' GROUP BY channel_id, chat_id) s, unnest(s.cs) c;
CREATE TEMP TABLE r_case AS SELECT * FROM csstats_ref.case_metrics(:'ch', :'as_of');
-- equal: same value, or both numbers within 1e-6 relative
CREATE FUNCTION pg_temp.same(a jsonb, b jsonb) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
	SELECT a IS NOT DISTINCT FROM b OR (jsonb_typeof(a) = 'number' AND jsonb_typeof(b) = 'number'
		AND abs(a::text::numeric - b::text::numeric) <= 1e-6 * greatest(1, abs(a::text::numeric)))
$$;
CREATE TEMP VIEW diffs AS
SELECT 'chat' AS level, coalesce(x.chat_id, y.chat_id) AS id, k.key,
	to_jsonb(x) -> k.key AS c_value, to_jsonb(y) -> k.key AS ref_value
FROM c_chat x FULL JOIN r_chat y ON x.chat_id = y.chat_id,
	LATERAL jsonb_object_keys(coalesce(to_jsonb(x), to_jsonb(y))) k(key)
WHERE NOT pg_temp.same(to_jsonb(x) -> k.key, to_jsonb(y) -> k.key)
UNION ALL
SELECT 'case', coalesce(x.user_chat_case_id, y.user_chat_case_id), k.key,
	to_jsonb(x) -> k.key, to_jsonb(y) -> k.key
FROM c_case x FULL JOIN r_case y ON x.user_chat_case_id = y.user_chat_case_id,
	LATERAL jsonb_object_keys(coalesce(to_jsonb(x), to_jsonb(y))) k(key)
WHERE NOT pg_temp.same(to_jsonb(x) -> k.key, to_jsonb(y) -> k.key);
SELECT format('rows: %s chats, %s cases; %s differing values',
	(SELECT count(*) FROM c_chat), (SELECT count(*) FROM c_case), (SELECT count(*) FROM diffs));
SELECT format('  %s %s %s: C %s, reference %s', level, id, key, c_value, ref_value)
FROM diffs ORDER BY level, id, key LIMIT 30;
SQL
)
    echo "$ch as of $as_of: $out"
    grep -q '; 0 differing values' <<<"$out"
}

for spec in "xc1|2030-01-01 00:00+09" "xc1|2025-03-10 12:00+09" "xc1|2025-03-20 03:30+09" \
            "xc2|2030-01-01 00:00+09" "xc2|2025-03-15 18:00+09" \
            "xc_demo|2030-01-01 00:00+00" "xc_demo|now"; do
    ch=${spec%%|*} as_of=${spec#*|}
    [ "$as_of" = now ] && as_of=$(psql -X -A -t -c "SELECT now()")
    if check "$ch" "$as_of"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done

# the check itself can fail: a perturbed reference must be caught
psql -X -q -v ON_ERROR_STOP=1 -c "ALTER FUNCTION csstats_ref.secs(interval) RENAME TO secs_orig" \
    -c "CREATE FUNCTION csstats_ref.secs(i interval) RETURNS double precision LANGUAGE sql IMMUTABLE STRICT RETURN extract(epoch FROM i)::double precision + 0.01"
if check xc2 "2030-01-01 00:00+09" >/dev/null; then
    echo "a perturbed reference was not detected"; failed=$((failed + 1))
else
    echo "a perturbed reference is detected"; passed=$((passed + 1))
fi

psql -X -q -d postgres -c "DROP DATABASE $DB"
echo "metrics_crosscheck: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
