#!/usr/bin/env bash
# run-slowdb.sh — PostgreSQL 200 ms away under load: the server reaches the database over TCP
# through tests/faults/delay-proxy.py, which holds every chunk 100 ms each way (this kernel has
# no netem qdisc, so the delay is made in user space), for a while, then the delay is removed.
# While the database is slow the writer's queue stays at writer_queue_max at most and the
# machines beyond it hear 5.03 with Max-Age; the server's memory stays bounded; once the delay
# is gone check-ins are acknowledged again at once. Prints the 5.03 answers, the largest queue
# and RSS seen, the acknowledged latency, and the checker's lost and duplicated (both must be 0).
# The run uses a cluster of its own, made in a temporary directory and removed at the end.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/pg-cluster.sh" slowdb
WF_PROXY_PID=""

# wf_slowdb_remove stops the proxy, then the run's cluster, and deletes it.
wf_slowdb_remove() {
    [[ -z $WF_PROXY_PID ]] || { kill "$WF_PROXY_PID" 2>/dev/null; wait "$WF_PROXY_PID" 2>/dev/null; }
    wf_pg_remove
}
WF_AT_EXIT=wf_slowdb_remove
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

machines=$(wf_pick 60 300)
queue_max=$(wf_pick 16 64)
slow_s=$(wf_pick 15 60)
max_age=2

# PostgreSQL also listens on TCP, on loopback (where only this run's proxy connects).
wf_pg_sql "ALTER SYSTEM SET listen_addresses = '127.0.0.1'"
# first: initdb's --auth-host=reject lines would match before
pg_as_user sed -i '1i host all all 127.0.0.1/32 trust' "$PG_DATA/pg_hba.conf"
pg_as_user "$PG_BINDIR/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -s -o "-p $PG_PORT" restart ||
    wr_fail "PostgreSQL did not restart"
proxy_port=$(wr_free_port tcp)
delay_file="$WF_PG_ROOT/delay-ms"
echo 0 >"$delay_file"
python3 "$WF_DIR/delay-proxy.py" "$proxy_port" 127.0.0.1 "$PG_PORT" "$delay_file" \
    2>"$WF_PG_ROOT/proxy.err" &
WF_PROXY_PID=$!

wr_db_create faults_slowdb
wf_machines "$machines"
tcp_url="host=127.0.0.1 port=$proxy_port dbname=$WR_DB_NAME user=$PG_OS_USER"
metrics_port=$(wr_free_port tcp)
printf 'retry_after_s = %s\nwriter_queue_max = %s\nmetrics_listen = 127.0.0.1:%s\n' \
    "$max_age" "$queue_max" "$metrics_port" >"$WR_TMP/server.extra"
# Under ASan the server's RSS would mostly show the quarantine of freed blocks (up to 256 MB)
# filling; a small one lets the RSS show what the server holds.
[[ -z ${ASAN_OPTIONS:-} || -n ${WR_SERVER_WRAPPER:-} ]] ||
    export WR_SERVER_WRAPPER="env ASAN_OPTIONS=$ASAN_OPTIONS:quarantine_size_mb=16"
DATABASE_URL=$tcp_url wr_server_start # the environment's URL wins over the file's
wf_loadgen_start "$WR_PORT" 300 "$machines"

# wf_queue_depth prints the writer's queue as the server's metrics show it.
wf_queue_depth() {
    curl -fsS "http://127.0.0.1:$metrics_port/metrics" 2>/dev/null |
        awk '$1 == "weldreg_writer_queue_depth" { print $2 + 0 }'
}

sleep 4
rss_fast=$(wf_rss_kb "$WR_SERVER_PID")
echo 100 >"$delay_file"
slowed=$(wf_now)
max_queue=0 max_rss=0
for ((i = 0; i < slow_s * 2; i++)); do
    sleep 0.5
    max_queue=$(wf_max "$max_queue" "$(wf_queue_depth)")
    max_rss=$(wf_max "$max_rss" "$(wf_rss_kb "$WR_SERVER_PID")")
done
acked_slow=$(awk -v t="$slowed" '$3 == "2.01" && $5 >= t + 1' "$WR_TMP"/acks* | wc -l)
echo 0 >"$delay_file"
fast=$(wf_now)
echo "slow: $slow_s s at 200 ms round trip: $acked_slow acknowledged, queue at most $max_queue" \
    "(writer_queue_max $queue_max), RSS $rss_fast kB before, at most $max_rss kB"
recovery=$(wf_await_recovery "$fast" 30)
sleep 3
echo "fast again: first check-in acknowledged within $recovery s"
wf_finish_load after-slowdb
wf_check_unavailable "$max_age" "while the database was slow"
unavailable=$WF_UNAVAILABLE
((max_queue <= queue_max)) || wr_fail "the writer's queue reached $max_queue > $queue_max"
((acked_slow > 0)) || wr_fail "nothing was acknowledged while the database was slow"
# The queue is the bound; the RSS must not grow by 32 MiB or more while slow.
((max_rss - rss_fast < 32768)) || wr_fail "RSS grew from $rss_fast to $max_rss kB while slow"
wf_result pg-slow-200ms "slow_s=$slow_s machines=$machines queue_max=$queue_max" \
    "max_queue=$max_queue unavailable_503=$unavailable max_age_s=$max_age" \
    "acked_slow=$acked_slow rss_kb=$rss_fast..$max_rss $WF_FIGURES" \
    "p50_ms=$(wf_loadgen_get p50_ms) p99_ms=$(wf_loadgen_get p99_ms) recovery_s=$recovery"
wr_server_stop
wr_ok "PostgreSQL 200 ms away for $slow_s s: 5.03 x$unavailable, queue <= $max_queue, $WF_FIGURES"
