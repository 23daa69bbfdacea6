#!/usr/bin/env bash
# run-flood.sh — a handshake flood of spoofed and real clients while enrolled machines check
# in and others open new sessions. Spoofed clients (dtls-probe flood --spoofed: a ClientHello
# each from an address of its own in 127.1.0.0/16, the cookie never returned) and real ones
# (from 127.0.0.1, the cookie returned, then silence) are mixed evenly over the flood. During
# it, 20 machines check in at 100 per second over sessions they hold, and NEWCOMERS machines
# each open a new session (weldtag checkin), one every half second. Fails if fewer than 95 % of
# the newcomers are served or of the established machines' check-ins acknowledged, or (outside
# AddressSanitizer) if the server grows by more than FLOOD_MAX_GROWTH_MB. Server settings as
# shipped unless WF_SERVER_EXTRA gives configuration lines (to measure other limits).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

machines=20
spoofed=$(wf_pick 1000 10000)
real=$(wf_pick 100 1000)
flood_seconds=$(wf_pick 10 30)
newcomers=$((flood_seconds * 2 - 2))
max_growth_mb=${FLOOD_MAX_GROWTH_MB:-150}
wr_db_create faults_flood
wf_machines $((machines + newcomers))
printf '%b' "${WF_SERVER_EXTRA:-}" >"$WR_TMP/server.extra"
wr_server_start
URL="coaps://127.0.0.1:$WR_PORT"

# newcomer N: machine machines+N checks in over a new session; "served" or "refused" goes to
# $WR_TMP/newcomer.N.
newcomer() {
    local line=$((machines + $1)) chip key
    read -r chip key < <(sed -n "${line}p" "$WR_TMP/machines.psk")
    printf '%s\n' "$key" >"$WR_TMP/newcomer.$1.psk"
    "$WF_WELDTAG" checkin --server "$URL" --identity "$chip" --psk-file "$WR_TMP/newcomer.$1.psk" \
        --ev hb --seq 1 --timeout 5 >"$WR_TMP/newcomer.$1.out" 2>&1 || true
    if grep -q '(check-in [0-9]*)' "$WR_TMP/newcomer.$1.out"; then
        echo served >"$WR_TMP/newcomer.$1"
    else
        echo refused >"$WR_TMP/newcomer.$1"
    fi
}

wf_loadgen_start "$WR_PORT" $((flood_seconds + 20)) "$machines" --rate 100 --seq-base 1000
sleep 5
rss_before=$(wf_rss_kb "$WR_SERVER_PID")
flood_start=$(wf_now)
"$WF_PROBE" flood --port "$WR_PORT" --count "$real" --spoofed "$spoofed" \
    --duration "$flood_seconds" >"$WR_TMP/flood.out" &
flood_pid=$!
rss_peak=$rss_before
newcomer_pids=()
for ((n = 1; n <= newcomers; n++)); do
    sleep 0.5
    newcomer "$n" &
    newcomer_pids+=($!)
    rss_peak=$(wf_max "$rss_peak" "$(wf_rss_kb "$WR_SERVER_PID")")
done
while kill -0 "$flood_pid" 2>/dev/null; do
    rss_peak=$(wf_max "$rss_peak" "$(wf_rss_kb "$WR_SERVER_PID")")
    sleep 0.5
done
wait "$flood_pid" || wr_fail "the flood could not run: $(cat "$WR_TMP/flood.out")"
flood_end=$(wf_now)
wait "${newcomer_pids[@]}"
sleep 10
rss_after=$(wf_rss_kb "$WR_SERVER_PID")
wf_loadgen_stop
served_new=$(cat "$WR_TMP"/newcomer.[0-9]* | grep -c '^served$' || true)
served=$(awk -v a="$flood_start" -v b="$flood_end" '$5 >= a && $5 <= b { n++ }
    END { print n + 0 }' "$WR_TMP/acks")
expected=$(awk -v a="$flood_start" -v b="$flood_end" 'BEGIN { printf "%d\n", (b - a) * 100 }')
growth_mb=$(((rss_peak - rss_before) / 1024))
echo "flood: $(cat "$WR_TMP/flood.out"); RSS kB before $rss_before, peak $rss_peak," \
    "10 s after $rss_after; new sessions served $served_new of $newcomers;" \
    "established: $served of about $expected check-ins acknowledged during it"
figures=$(wf_check)
wf_result flood-handshakes "$(cat "$WR_TMP/flood.out") new_sessions=$newcomers" \
    "new_served=$served_new served_during=$served expected_during=$expected" \
    "rss_before_kb=$rss_before rss_peak_kb=$rss_peak rss_after_kb=$rss_after" \
    "p99_ms=$(wf_loadgen_get p99_ms) $figures"
((served_new * 100 >= newcomers * 95)) ||
    wr_fail "only $served_new of $newcomers new sessions were served during the flood"
((served * 100 >= expected * 95)) || wr_fail "established machines were not served"
libs=$(ldd "$WR_SERVER_BIN") # not piped into grep -q: under pipefail an early exit fails ldd
if [[ $libs != *libasan* ]]; then
    ((growth_mb <= max_growth_mb)) || wr_fail "the server grew by $growth_mb MB during the flood"
fi
wr_ok "handshake flood ($spoofed spoofed, $real real): $served_new of $newcomers new sessions" \
    "served, established machines served, memory grew $growth_mb MB"
grep -q 'AddressSanitizer\|runtime error' "$WR_SERVER_LOG" && wr_fail "the sanitizers reported"
wr_server_stop
