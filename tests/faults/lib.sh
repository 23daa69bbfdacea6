# lib.sh — helpers of the fault and attack runs, over the integration tests' lib.sh (a
# database of their own, a server on a free port, clean-up at exit): registered machines, the
# load generator in the background with its ack log, the checker, recovery times, the server's
# memory, and one result line per run. A run starts with
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# WF_SHORT=1 asks for the short form (CI); WF_RESULTS names a file that collects the result
# lines of every run.
# shellcheck shell=bash
source "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"

WF_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
# The load generator drives each machine in a closed loop (hundreds of check-ins a second) or
# at 5 a second for minutes, past the shipped per-machine limit (checkin_rate 1/s after a burst
# of 10,000): the runs measure faults, not that limit, so their servers run without it, said
# here before each run's own lines (attacks.sh run 5 sets a limit of its own, run-pace.sh
# empties this to measure the shipped one).
WR_SERVER_DEFAULTS=${WR_SERVER_DEFAULTS-checkin_rate = 0}
WF_LOADGEN="$WELDREG_BUILD_DIR/bench/loadgen"
WF_PROVISION="$WELDREG_BUILD_DIR/bench/bench-provision"
WF_RELAY="$WELDREG_BUILD_DIR/tests/lossy-relay"
WF_PROBE="$WELDREG_BUILD_DIR/tests/dtls-probe"
WF_WELDTAG="$WELDREG_BUILD_DIR/tag-reader/weldtag"
WF_SHORT=${WF_SHORT:-0}
WF_LOADGEN_PID=""
WF_CLIENT_WRAP=() # the command clients run under (e.g. ip netns exec NS)
WF_HOST=127.0.0.1 # the address clients send to (the cluster's load balancer in cluster.sh)
for tool in "$WF_LOADGEN" "$WF_PROVISION" "$WF_RELAY" "$WF_PROBE" "$WF_WELDTAG"; do
    [[ -x $tool ]] || wr_fail "$tool is not built"
done

# wf_pick SHORT FULL prints SHORT in the short form, FULL otherwise.
wf_pick() {
    if ((WF_SHORT)); then printf '%s\n' "$1"; else printf '%s\n' "$2"; fi
}

# wf_now prints the time in Unix seconds with milliseconds (the ack log's clock).
wf_now() {
    date +%s.%3N
}

# wf_machines N provisions N machine principals (their "identity psk" lines in
# $WR_TMP/machines.psk) and registers them, so their check-ins are judged like real ones; and
# the administrator of wf_admin_change, so that a server started next knows it from the start.
wf_machines() {
    WF_ADMIN_PSK=$(wr_provision admin wf-admin)
    "$WF_PROVISION" --database-url "$DATABASE_URL" --kek "$WR_CERTS_DIR/psk-kek.key" \
        --out "$WR_TMP/machines.psk" --count "$1" --prefix WF- >"$WR_TMP/provision.out" 2>&1 ||
        { cat "$WR_TMP/provision.out" >&2; wr_fail "could not provision $1 machines"; }
    wr_psql "INSERT INTO communities (code, name, district) VALUES ('faults', 'Faults', 'Lixia');
             INSERT INTO enterprises (uscc, name, community_id)
                 VALUES ('91370100MA3C00000X', 'Fault Test Welding Co.', 1);
             INSERT INTO machines (chip_id, process_category, enterprise_id, keeper_name)
                 SELECT identity, 'fusion', 1, 'Keeper' FROM principals
                 WHERE role = 'machine' AND identity LIKE 'WF-%';" >/dev/null
}

# wf_loadgen_start URL_PORT SECONDS MACHINES [ARGS...] runs the load generator in the
# background against WF_HOST:URL_PORT, heartbeats and arc events, a request given up (and
# the session opened again) after 3 s; its ack log is $WR_TMP/acks, its summary
# $WR_TMP/loadgen.out.
wf_loadgen_start() {
    local port=$1 seconds=$2 machines=$3
    shift 3
    "${WF_CLIENT_WRAP[@]}" "$WF_LOADGEN" --server "coaps://$WF_HOST:$port" \
        --psk-file "$WR_TMP/machines.psk" --machines "$machines" --duration "$seconds" \
        --mix 90,10,0 --timeout 3 \
        --connect-timeout 30 --ack-log "$WR_TMP/acks" "$@" \
        >"$WR_TMP/loadgen.out" 2>"$WR_TMP/loadgen.err" &
    WF_LOADGEN_PID=$!
}

# wf_loadgen_stop asks the load generator to end its run (SIGTERM: it stops sending, waits
# for the answers in flight and reports), then waits as wf_loadgen_wait does.
wf_loadgen_stop() {
    kill -TERM "$WF_LOADGEN_PID" 2>/dev/null || true
    wf_loadgen_wait
}

# wf_loadgen_wait waits for the load generator and fails if it could not run at all; it
# prints its report (the figures are read with wf_loadgen_get).
wf_loadgen_wait() {
    local rc=0
    wait "$WF_LOADGEN_PID" || rc=$?
    WF_LOADGEN_PID=""
    [[ -s $WR_TMP/loadgen.out ]] ||
        { cat "$WR_TMP/loadgen.err" >&2; wr_fail "loadgen failed ($rc)"; }
    sed 's/^/  /' "$WR_TMP/loadgen.err"
}

# wf_loadgen_get KEY prints KEY's value from the load generator's summary line.
wf_loadgen_get() {
    tail -n 1 "$WR_TMP/loadgen.out" | tr ' ' '\n' | sed -n "s/^$1=//p"
}

# wf_check prints the checker's figures for $WR_TMP/acks and fails on anything lost or
# duplicated; sets WF_ACKED.
wf_check() {
    local figures
    figures=$("$WF_DIR/check-acks.sh" "$WR_TMP/acks") || wr_fail "check-acks: $figures"
    WF_ACKED=$(sed -n 's/^acknowledged=\([0-9]*\).*/\1/p' <<<"$figures")
    ((WF_ACKED > 0)) || wr_fail "nothing was acknowledged"
    printf '%s\n' "$figures"
}

# wf_recovery SINCE prints the seconds from SINCE (wf_now) to the first check-in acknowledged
# after it, or "none". It reads the workers' logs while the load generator runs.
wf_recovery() {
    cat "$WR_TMP"/acks* 2>/dev/null |
        awk -v t="$1" '$5 >= t && (first == "" || $5 < first) { first = $5 }
            END { if (first == "") print "none"; else printf "%.2f\n", first - t }'
}

# wf_await_recovery SINCE SECONDS waits up to SECONDS for a check-in acknowledged after SINCE
# and prints the recovery time (see wf_recovery); fails if none comes.
wf_await_recovery() {
    local i recovery
    for ((i = 0; i < $2 * 5; i++)); do
        recovery=$(wf_recovery "$1")
        [[ $recovery == none ]] || { printf '%s\n' "$recovery"; return 0; }
        sleep 0.2
    done
    wr_fail "no check-in acknowledged within $2 s"
}

# wf_check_unavailable MAX_AGE WHILE: the load generator must have heard 5.03 (WHILE says when,
# for the failure) and with Max-Age MAX_AGE; sets WF_UNAVAILABLE to the number of 5.03.
wf_check_unavailable() {
    WF_UNAVAILABLE=$(grep -o '5\.03=[0-9]*' "$WR_TMP/loadgen.err" | cut -d= -f2 || true)
    ((${WF_UNAVAILABLE:-0} > 0)) || wr_fail "no 5.03 $2"
    [[ $(wf_loadgen_get max_age_s) == "$1" ]] ||
        wr_fail "5.03 came with Max-Age $(wf_loadgen_get max_age_s), want $1"
}

# wf_between A B prints the seconds from time A to time B (wf_now values).
wf_between() {
    awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f\n", b - a }'
}

# wf_verify TAG checks the load's acks (WF_FIGURES: the checker's figures), makes an audited
# change TAG and verifies the audit chain.
wf_verify() {
    WF_FIGURES=$(wf_check)
    echo "$WF_FIGURES"
    wf_admin_change "$1"
    wf_audit_verify
}

# wf_finish_load TAG lets the load run 2 s more, stops it and runs wf_verify TAG.
wf_finish_load() {
    sleep 2
    wf_loadgen_stop
    wf_verify "$1"
}

# wf_max A B prints the larger of two decimal numbers.
wf_max() {
    awk -v a="$1" -v b="$2" 'BEGIN { print (b > a) ? b : a }'
}

# wf_cpu_ms PID prints the CPU time PID has used so far (user and system) in milliseconds.
wf_cpu_ms() {
    awk -v hz="$(getconf CLK_TCK)" '{ printf "%d\n", ($14 + $15) * 1000 / hz }' "/proc/$1/stat"
}

# wf_rss_kb PID prints the resident memory of PID in kB.
wf_rss_kb() {
    awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

# wf_retry_503 OUT CMD... runs CMD (its output in OUT) and, while it fails with a 5.03 (the
# database is away, or a server's connection was found lost after a failover), runs it again
# after 2 s, three times at most, as a person would. Fails as CMD does.
wf_retry_503() {
    local out=$1 attempt
    shift
    for attempt in 1 2 3 4; do
        "$@" >"$out" 2>&1 && return 0
        grep -q '5\.03' "$out" && ((attempt < 4)) || return 1
        sleep 2
    done
}

# wf_admin_change TAG: an administrator creates community TAG through the server, an audited
# change (the administrator is provisioned at the first call).
wf_admin_change() {
    [[ -n ${WF_ADMIN_PSK:-} ]] || WF_ADMIN_PSK=$(wr_provision admin wf-admin)
    wf_retry_503 "$WR_TMP/admin.out" "${WF_CLIENT_WRAP[@]}" "$WF_WELDTAG" admin community create \
        "code=$1" "name=Fault run $1" district=Lixia --server "coaps://$WF_HOST:$WR_PORT" \
        --identity wf-admin --psk-file "$WF_ADMIN_PSK" && return 0
    cat "$WR_TMP/admin.out" >&2
    wr_fail "the administrator could not create $1"
}

# wf_audit_verify: `weldtag admin audit-verify` must find the audit chain intact.
wf_audit_verify() {
    [[ -n ${WF_ADMIN_PSK:-} ]] || wr_fail "wf_audit_verify: no audited change was made"
    wf_retry_503 "$WR_TMP/audit.out" "${WF_CLIENT_WRAP[@]}" "$WF_WELDTAG" admin audit-verify \
        --server "coaps://$WF_HOST:$WR_PORT" --identity wf-admin \
        --psk-file "$WF_ADMIN_PSK" || true
    grep -q 'audit chain intact' "$WR_TMP/audit.out" ||
        { cat "$WR_TMP/audit.out" >&2; wr_fail "audit-verify failed"; }
    echo "audit: $(cat "$WR_TMP/audit.out")"
}

# wf_result NAME KEY=VALUE... prints the result line of a run and adds it to WF_RESULTS.
wf_result() {
    local line="result $*"
    printf '%s\n' "$line"
    [[ -z ${WF_RESULTS:-} ]] || printf '%s\n' "$line" >>"$WF_RESULTS"
}

# wf_cleanup stops the load generator if it still runs, cleans up as the integration tests
# do, then runs the command in WF_AT_EXIT (if any).
wf_cleanup() {
    local rc=$?
    set +e # a failing step must not cut the clean-up short
    if [[ -n $WF_LOADGEN_PID ]]; then
        kill -TERM "$WF_LOADGEN_PID" 2>/dev/null
        wait "$WF_LOADGEN_PID" 2>/dev/null
    fi
    (exit "$rc")
    wr_cleanup
    [[ -z ${WF_AT_EXIT:-} ]] || $WF_AT_EXIT
    return "$rc"
}
trap wf_cleanup EXIT
