#!/usr/bin/env bash
# Every public function is documented: each function, aggregate or procedure
# the install parts (sql/install/*.sql) and the router's script create in
# schema csstats, except the internal ones (a name starting with _), must be
# named in README.md or docs/*.md, as `name`, name( or csstats.name.
# Prints the missing names and exits 1 if there is one.
#
#     bash test/tools/doc_coverage.sh [source dir]
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
names=$(grep -ohP '^\s*CREATE (OR REPLACE )?(FUNCTION|AGGREGATE|PROCEDURE) csstats\.\K[a-z0-9_]+' \
    "$root"/sql/install/*.sql "$root"/router/csstats_router--*.sql | grep -v '^_' | sort -u)
[ -n "$names" ] || { echo "doc_coverage: no function found under $root" >&2; exit 2; }
missing=0 total=0
for f in $names; do
    total=$((total + 1))
    if ! grep -qE -- "(\`|csstats\.)$f(\`|\(|[^a-z0-9_])|[^a-z0-9_]$f\(" "$root"/README.md "$root"/docs/*.md; then
        echo "not in README.md or docs/: csstats.$f"
        missing=$((missing + 1))
    fi
done
echo "doc_coverage: $total public functions, $missing undocumented"
[ "$missing" -eq 0 ]
