#!/usr/bin/env bash
# test-web-dbloss.sh — weldreg-web after its database connections are all cut at once (what a
# PostgreSQL failover or restart does): the first request that meets a dead connection fails,
# and it makes every other connection of the pool be checked before its next loan, so that
# requests at once afterwards, spread over the pool's connections, are all answered (without
# it, each stale connection would fail a request of its own).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

threads=6
wr_db_create web_dbloss
printf 'web_threads = %s\n' "$threads" >"$WR_TMP/web.extra"
wr_web_start

# readyz PREFIX: $threads requests of /readyz at once (each on a connection of its own while
# they overlap); their statuses in $WR_TMP/PREFIX.*
readyz() {
    local i pids=()
    for ((i = 0; i < threads; i++)); do
        curl -s -o /dev/null -w '%{http_code}\n' --cacert "$WR_CERTS_DIR/ca.crt" \
            "$WR_WEB_URL/readyz" >"$WR_TMP/$1.$i" &
        pids+=($!)
    done
    wait "${pids[@]}"
    cat "$WR_TMP/$1".*
}

[[ $(readyz before | sort -u) == 200 ]] || wr_fail "readyz before the cut: $(readyz before)"
wr_ok "every connection answers before the cut"

cut=$(wr_psql_admin "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                     WHERE datname = '$WR_DB_NAME' AND pid <> pg_backend_pid()")
((cut >= threads)) || wr_fail "only $cut connections of weldreg-web were cut, want $threads"
first=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$WR_CERTS_DIR/ca.crt" "$WR_WEB_URL/readyz")
[[ $first == 503 ]] || wr_fail "the first request after the cut answered $first, want 503"
wr_ok "$cut connections cut; the first request met a dead one (503)"

for round in 1 2 3; do
    statuses=$(readyz "after$round" | sort | uniq -c | tr -s ' ' | tr '\n' ',')
    [[ $statuses == " $threads 200," ]] ||
        wr_fail "requests at once after the cut, round $round: not all 200 (count status:$statuses)"
done
wr_ok "afterwards every request at once is answered, 3 rounds of $threads"
wr_web_stop
