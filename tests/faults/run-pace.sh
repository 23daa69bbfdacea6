#!/usr/bin/env bash
# run-pace.sh — the shipped per-machine check-in limit (checkin_rate, checkin_burst: no line of
# them in the server's config) against what a legitimate chip sends and what a flood costs:
#   1. a chip back after a day offline sends the day's backlog (docs/device-protocol.md: a
#      heartbeat a minute, and an arc every two minutes of a 10-hour working day) over one DTLS
#      session, each event as soon as the last is answered (weldtag checkin --backlog): none may
#      be refused; prints the pace it reached and the server's CPU time per stored check-in;
#   2. then the same machine checks in live: still never refused;
#   3. another machine floods check-ins in a closed loop: what it gets stored may not exceed
#      checkin_burst + checkin_rate a second; prints how fast a flood gets check-ins stored
#      while it is within its burst.
# (The cost of a refused check-in is run 5 of attacks.sh, under its lower limit.)
set -euo pipefail
# shellcheck disable=SC2034 # read by tests/faults/lib.sh: this run measures the shipped limit
WR_SERVER_DEFAULTS=""
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

rate=1 burst=10000 # the shipped defaults (server/loop/config.c), checked against the flood below
hours_offline=$(wf_pick 24 72)
flood_seconds=$(wf_pick 8 60) # the full form goes past the burst (release build)

wr_db_create faults_pace
wf_machines 2
wr_server_start
read -r chip_a key_a < <(sed -n 1p "$WR_TMP/machines.psk")
printf '%s\n' "$key_a" >"$WR_TMP/a.psk"
sed -n 2p "$WR_TMP/machines.psk" >"$WR_TMP/flooder.psk"

# 1. The backlog of HOURS offline: a heartbeat a minute, and an arc every two minutes of each
# day's 10 working hours (08:00 to 18:00 of the chip's clock), dated in the past.
now=$(date +%s)
start=$((now - hours_offline * 3600))
awk -v start="$start" -v minutes=$((hours_offline * 60)) 'BEGIN {
    seq = 1
    for (m = 0; m < minutes; m++) {
        t = start + m * 60
        printf "hb %d %d\n", seq++, t
        hour = int((t % 86400) / 3600)
        if (hour >= 8 && hour < 18 && m % 2 == 0)
            printf "arc %d %d 36.65 117.12\n", seq++, t + 30
    }
}' >"$WR_TMP/backlog"
events=$(wc -l <"$WR_TMP/backlog")
cpu_before=$(wf_cpu_ms "$WR_SERVER_PID")
sent_at=$(wf_now)
rc=0
"$WF_WELDTAG" checkin --server "coaps://127.0.0.1:$WR_PORT" --identity "$chip_a" \
    --psk-file "$WR_TMP/a.psk" --backlog "$WR_TMP/backlog" --timeout 30 \
    >"$WR_TMP/backlog.out" 2>&1 || rc=$?
done_at=$(wf_now)
cpu_used=$(($(wf_cpu_ms "$WR_SERVER_PID") - cpu_before))
tail -n 1 "$WR_TMP/backlog.out"
grep -q "^backlog: $events sent, 0 refused" "$WR_TMP/backlog.out" ||
    wr_fail "the backlog of $hours_offline h was refused in part (exit $rc): $(tail -n 3 \
        "$WR_TMP/backlog.out")"
stored=$(wr_psql "SELECT count(*) FROM checkins WHERE chip_id = '$chip_a'")
((stored == events)) || wr_fail "$stored of the backlog's $events events stored"
grep -q "event=checkin_rate_limited chip=$chip_a" "$WR_SERVER_LOG" &&
    wr_fail "the backlog was rate-limited"
seconds=$(wf_between "$sent_at" "$done_at")
pace=$(awk -v n="$events" -v s="$seconds" 'BEGIN { printf "%.0f\n", n / s }')
cpu_per=$(awk -v c="$cpu_used" -v n="$events" 'BEGIN { printf "%.2f\n", c / n }')
echo "backlog of $hours_offline h: $events events in $seconds s ($pace/s), server CPU" \
    "$cpu_per ms a stored check-in"

# 2. Live again, right after: a heartbeat is answered, not refused.
printf 'hb %d %d\n' $((events + 1)) "$(date +%s)" >"$WR_TMP/live"
"$WF_WELDTAG" checkin --server "coaps://127.0.0.1:$WR_PORT" --identity "$chip_a" \
    --psk-file "$WR_TMP/a.psk" --backlog "$WR_TMP/live" >"$WR_TMP/live.out" 2>&1 || true
grep -q '^backlog: 1 sent, 0 refused' "$WR_TMP/live.out" ||
    wr_fail "the live heartbeat after the backlog: $(cat "$WR_TMP/live.out")"

# 3. A flood from the other machine, closed loop, new sequence numbers.
flood_from=$(wf_now)
"$WF_LOADGEN" --server "coaps://127.0.0.1:$WR_PORT" --psk-file "$WR_TMP/flooder.psk" \
    --machines 1 --duration "$flood_seconds" --mix 100,0,0 --timeout 3 --seq-base 1 \
    >"$WR_TMP/flood.out" 2>"$WR_TMP/flood.err" ||
    wr_fail "the flooder could not run: $(cat "$WR_TMP/flood.err")"
flood_to=$(wf_now)
flood_ok=$(grep -o ' ok=[0-9]*' "$WR_TMP/flood.out" | cut -d= -f2)
flood_429=$(grep -o ' 4\.29=[0-9]*' "$WR_TMP/flood.err" | cut -d= -f2 || true)
flood_s=$(wf_between "$flood_from" "$flood_to")
allowed=$(awk -v s="$flood_s" -v r="$rate" -v b="$burst" 'BEGIN { printf "%d\n", b + (s + 1) * r }')
flood_pace=$(awk -v n="$flood_ok" -v s="$flood_s" 'BEGIN { printf "%.0f\n", n / s }')
echo "flood: $flood_ok stored in $flood_s s ($flood_pace/s), ${flood_429:-0} answered 4.29" \
    "(allowed at most $allowed)"
((flood_ok <= allowed)) || wr_fail "the flooder got $flood_ok check-ins in, more than $allowed"
if ((${flood_429:-0} > 0)); then # it went past its burst: flagged, once
    flagged=$(wr_psql "SELECT count(*) FROM violations WHERE kind = 'checkin_flood'")
    ((flagged == 1)) || wr_fail "the flood was recorded $flagged times, not once"
fi

wf_result checkin-pace "rate=$rate burst=$burst backlog_hours=$hours_offline" \
    "backlog_events=$events backlog_s=$seconds backlog_per_s=$pace refused=0" \
    "cpu_ms_per_checkin=$cpu_per flood_stored=$flood_ok flood_s=$flood_s" \
    "flood_per_s=$flood_pace flood_429=${flood_429:-0}"
wf_admin_change after-pace
wf_audit_verify
grep -q 'AddressSanitizer\|runtime error' "$WR_SERVER_LOG" && wr_fail "the sanitizers reported"
wr_server_stop
wr_ok "a backlog of $hours_offline h offline ($events events, $pace/s) never refused at the" \
    "shipped checkin_rate $rate/s and burst $burst; a flood stored at most that"
