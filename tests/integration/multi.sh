# multi.sh — helpers of the tests with several weldreg-server processes on one database
# (test-multi-server.sh, test-multi-scan.sh), sourced after tests/faults/lib.sh and
# wr_db_create: servers sN with their own server_id, log and port, and one event sent to one of
# them. Sets the EXIT trap (ms_cleanup).
# shellcheck shell=bash
WELDTAG="$WELDREG_BUILD_DIR/tag-reader/weldtag"

MS_PIDS=()
MS_PORTS=()
MS_METRICS_PORT=$(wr_free_port tcp) # s1's /metrics
# ms_start N PORT: starts server sN on 127.0.0.1:PORT and waits until it is ready.
ms_start() {
    local n=$1 port=$2 log="$WR_TMP/s$1.log" i
    cp "$WR_TMP/weldreg.conf" "$WR_TMP/s$n.conf"
    printf 'listen = 127.0.0.1:%s\nserver_id = s%s\nlease_s = 3\nheartbeat_timeout_s = 10\n' \
        "$port" "$n" >>"$WR_TMP/s$n.conf"
    printf 'sweep_interval_s = 1\n' >>"$WR_TMP/s$n.conf"
    # the load generator's closed loop is far past the shipped checkin_rate (tests/faults/lib.sh)
    [[ -z ${WR_SERVER_DEFAULTS:-} ]] || printf '%s\n' "$WR_SERVER_DEFAULTS" >>"$WR_TMP/s$n.conf"
    [[ ! -f $WR_TMP/ms.extra ]] || cat "$WR_TMP/ms.extra" >>"$WR_TMP/s$n.conf"
    ((n != 1)) || printf 'metrics_listen = 127.0.0.1:%s\n' "$MS_METRICS_PORT" >>"$WR_TMP/s$n.conf"
    : >"$log"
    "$WR_SERVER_BIN" serve --config "$WR_TMP/s$n.conf" 2>"$log" >&2 &
    MS_PIDS[n]=$!
    MS_PORTS[n]=$port
    for ((i = 0; i < 200; i++)); do
        grep -q 'event=ready' "$log" && return 0
        kill -0 "${MS_PIDS[n]}" 2>/dev/null || { tail -20 "$log" >&2; wr_fail "s$n did not start"; }
        sleep 0.1
    done
    wr_fail "s$n was not ready within 20 s"
}
# ms_kill N SIGNAL: sends SIGNAL to sN and waits for it.
ms_kill() {
    [[ -n ${MS_PIDS[$1]:-} ]] || return 0
    kill "-$2" "${MS_PIDS[$1]}" 2>/dev/null || true
    wait "${MS_PIDS[$1]}" 2>/dev/null || true
    MS_PIDS[$1]=""
}
# ms_stop N: stops sN with SIGTERM; it must exit 0 (the sanitizers' leak check included).
ms_stop() {
    local rc=0
    kill -TERM "${MS_PIDS[$1]}" 2>/dev/null || true
    wait "${MS_PIDS[$1]}" || rc=$?
    MS_PIDS[$1]=""
    ((rc == 0)) || { tail -n 30 "$WR_TMP/s$1.log" >&2; wr_fail "s$1 exited with status $rc"; }
}
ms_cleanup() {
    local rc=$? n
    for n in "${!MS_PIDS[@]}"; do ms_kill "$n" TERM; done
    (exit "$rc")
    wf_cleanup
}
trap ms_cleanup EXIT

# send N CHIP PSK EV SEQ [weldtag options]: one event to server sN, tried again after a 5.03
# (the server is taking the machine's lease over); the answer in $out, tries in $tries.
send() {
    local n=$1 chip=$2 psk=$3
    shift 3
    for ((tries = 1; tries <= 10; tries++)); do
        rc=0
        out=$("$WELDTAG" checkin --server "coaps://127.0.0.1:${MS_PORTS[n]}" --identity "$chip" \
            --psk-file "$psk" --ev "$@" 2>&1) || rc=$?
        out=$(wr_answer_names "$out")
        [[ $out == *"5.03"* ]] || return 0
        sleep 1
    done
    wr_fail "s$n kept answering 5.03: $out"
}
lease() { wr_psql "SELECT owner || ' epoch ' || epoch FROM machine_leases WHERE chip_id = '$1'"; }
count() { wr_psql "SELECT count(*) FROM $1"; }
