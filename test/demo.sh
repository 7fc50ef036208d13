#!/usr/bin/env bash
# The demo command: on a fresh Debian 12 machine, as root, from a clean clone:
#
#     bash test/demo.sh
#
# Installs what is missing, builds, installs, starts a throwaway PostgreSQL 15
# cluster, creates the extension, generates a demo channel, prints a summary
# (data, operating hours, metrics) and writes password-encrypted exports into
# ./demo-out.  It stops and removes the cluster at the end; KEEP_CLUSTER=1 keeps
# it running and prints how to connect.  CSSTATS_DEMO_CHATS sets the size.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

chats=${CSSTATS_DEMO_CHATS:-2000}
csstats_deps
csstats_build
trap cluster_stop EXIT
CSSTATS_PORT=${CSSTATS_PORT:-55440} cluster_start

q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

log "creating the extension and a demo channel 'demo' with $chats chats"
q -c "SET client_min_messages = warning; CREATE EXTENSION csstats;"
q -c "SELECT * FROM csstats.generate_demo('demo', $chats, 1);"

log "the demo channel"
q <<'SQL'
SELECT c.id, c.name, c.timezone,
       min(u.created_at AT TIME ZONE c.timezone)::date AS first_chat,
       max(u.created_at AT TIME ZONE c.timezone)::date AS last_chat,
       count(*) AS chats,
       count(*) FILTER (WHERE u.state = 'closed') AS closed,
       count(*) FILTER (WHERE u.state IN ('open', 'queued', 'snoozed', 'missed')) AS not_closed
FROM csstats.channels c JOIN csstats.user_chats u ON u.channel_id = c.id
GROUP BY c.id, c.name, c.timezone;

SELECT medium_name, count(*) AS chats FROM csstats.user_chats GROUP BY 1 ORDER BY 2 DESC;

SELECT CASE day_of_week WHEN 0 THEN 'Sun' WHEN 1 THEN 'Mon' WHEN 2 THEN 'Tue' WHEN 3 THEN 'Wed'
            WHEN 4 THEN 'Thu' WHEN 5 THEN 'Fri' ELSE 'Sat' END AS day,
       valid_from, string_agg(opens_at || '-' || closes_at, ', ' ORDER BY opens_at) AS operating_hours
FROM csstats.operating_hours WHERE channel_id = 'demo'
GROUP BY day_of_week, valid_from ORDER BY valid_from, day_of_week;
SQL

for part in "$CSSTATS_SRC"/test/tools/demo_[0-9]*; do
    [ -e "$part" ] || continue
    case "$part" in
        *.sql) q -f "$part" ;;
        *.sh) bash "$part" ;;
    esac
done

echo
echo "Explore it yourself: KEEP_CLUSTER=1 bash test/demo.sh keeps the cluster running and"
echo "prints the psql command to connect to it."
