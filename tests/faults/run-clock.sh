#!/usr/bin/env bash
# run-clock.sh — the server's wall clock stepped an hour forward, then an hour back (to an hour
# behind), under load: the server runs under libfaketime, its offset read from a file the run
# rewrites (FAKETIME_TIMESTAMP_FILE; CLOCK_MONOTONIC is left alone). The machines' clocks, the
# load generator's, stay right. Nothing may be flagged for it — no check-in late or with a
# skewed clock, no replay, no heartbeat_lost or session_overrun, no session closed — and the
# checker must find 0 lost and 0 duplicated (the seq of every machine keeps rising; a resent
# check-in gets its first answer). The server must log wall_clock_step for each step.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

WF_FAKETIME_LIB=/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1
[[ -r $WF_FAKETIME_LIB ]] || wr_fail "$WF_FAKETIME_LIB is missing (scripts/deps.sh installs faketime)"
machines=$(wf_pick 20 100)
period=$(wf_pick 8 30) # seconds of load at each offset

wr_db_create faults_clock
wf_machines "$machines"
offset_file="$WR_TMP/faketime"
echo "+0" >"$offset_file"
# ASan wants to be the first library; libfaketime must be preloaded before it.
WR_SERVER_WRAPPER="env LD_PRELOAD=$WF_FAKETIME_LIB FAKETIME_TIMESTAMP_FILE=$offset_file"
WR_SERVER_WRAPPER+=" FAKETIME_CACHE_DURATION=1 FAKETIME_DONT_FAKE_MONOTONIC=1"
WR_SERVER_WRAPPER+=" ASAN_OPTIONS=${ASAN_OPTIONS:-}:verify_asan_link_order=0"
export WR_SERVER_WRAPPER
printf 'sweep_interval_s = 1\n' >"$WR_TMP/server.extra"
wr_server_start
wf_loadgen_start "$WR_PORT" 300 "$machines"

sleep "$period"
for offset in +3600 -3600 +0; do
    echo "$offset" >"$offset_file"
    echo "server wall clock now $offset s"
    stepped=$(wf_now)
    sleep "$period"
    acked=$(awk -v t="$stepped" '$3 == "2.01" && $5 >= t' "$WR_TMP"/acks* | wc -l)
    echo "  $acked check-ins acknowledged at offset $offset"
    ((acked > 0)) || wr_fail "nothing acknowledged with the server's clock at $offset s"
done
wf_finish_load after-clock-steps

class4=$(wf_loadgen_get c4xx)
flagged=$(wr_psql "SELECT count(*) FROM checkins
                   WHERE late OR reasons && ARRAY['clock_skew', 'late_event', 'replay']")
false_violations=$(wr_psql "SELECT count(*) FROM violations
    WHERE kind IN ('heartbeat_lost', 'session_overrun', 'clock_skew', 'late_event', 'replay')")
closed=$(grep -c 'event=session_closed' "$WR_SERVER_LOG" || true)
echo "flagged check-ins $flagged, violations $false_violations, sessions closed $closed," \
    "4.xx answers ${class4:-?}"
((flagged == 0)) || wr_fail "$flagged check-ins flagged late, skewed or replayed after the steps"
((false_violations == 0)) || wr_fail "$false_violations violations recorded after the steps"
((closed == 0)) || wr_fail "$closed sessions closed after the steps"
[[ ${class4:-x} == 0 ]] || wr_fail "${class4:-no} 4.xx answers (want 0)"
steps=$(grep -c 'event=wall_clock_step' "$WR_SERVER_LOG" || true)
((steps >= 2)) || wr_fail "the server logged $steps wall_clock_step, want one per step"
wf_result clock-step-1h "steps=+3600,-3600,+0 period_s=$period machines=$machines" \
    "wall_clock_step_logged=$steps flagged=$flagged false_violations=$false_violations" \
    "sessions_closed=$closed $WF_FIGURES"
wr_server_stop
wr_ok "server clock stepped +1 h and -1 h under load: nothing flagged, $WF_FIGURES"
