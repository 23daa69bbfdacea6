#!/usr/bin/env bash
# run-clock.sh — the server's wall clock stepped an hour forward, then an hour back (to an hour
# behind), under load: the server runs under libfaketime, its offset read from a file the run
# rewrites (FAKETIME_TIMESTAMP_FILE; CLOCK_MONOTONIC is left alone). The machines' clocks, the
# load generator's, stay right. Nothing may be flagged for it — no check-in late or with a
# skewed clock, no replay, no heartbeat_lost or session_overrun, no session closed — and the
# checker must find 0 lost and 0 duplicated (the seq of every machine keeps rising; a resent
# check-in gets its first answer). The server must log wall_clock_step for each step, and
# coap_clock_rebased when the clock goes back before its start. At each offset a machine on a
# slow link (250 ms each way) opens a new DTLS session and must be answered.
# One more machine works through the steps: a welder with an approved permit scans (the
# session opens) and arcs, its heartbeats keep the session through the steps, then it arcs and
# ends; each of its own check-ins is sent twice with the same body and the resend must get the
# first answer. Its session must be closed by its end only, every check-in ok in that session,
# each seq stored once, and the machine without any violation.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

WF_FAKETIME_LIB=/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1
[[ -r $WF_FAKETIME_LIB ]] || wr_fail "$WF_FAKETIME_LIB is missing (scripts/deps.sh installs faketime)"
machines=$(wf_pick 20 100)
period=$(wf_pick 8 30) # seconds of load at each offset

wr_db_create faults_clock
wf_machines $((machines + 1)) # the last one is the worker, outside the load
read -r worker worker_key < <(sed -n "$((machines + 1))p" "$WR_TMP/machines.psk")
printf '%s\n' "$worker_key" >"$WR_TMP/worker.psk"
printf '%s %s\n' "$worker" "$worker_key" >"$WR_TMP/worker.psk.line"
wr_signing_key
wr_seed_welder
wr_seed_training 1
code=$(wr_issue_welder 00112233445566778899aabbccddeeff)
wr_register_last_code 1
wr_psql "INSERT INTO permits (permit_no, level, enterprise_id, site_address, site_lat, site_lon,
      starts_at, ends_at, approver, gas_analysis_at, fire_watch)
    VALUES ('P-CLOCK', 'second', 1, 'Workshop 1', 36.65, 117.12, now() - interval '1 hour',
      now() + interval '5 hours', 'Safety officer', now() - interval '5 minutes', 'Li Si');
  INSERT INTO permit_welders VALUES (1, 1);
  INSERT INTO permit_machines SELECT 1, id FROM machines WHERE chip_id = '$worker'" >/dev/null
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

# work EV [options]: the worker reports EV with its next seq, dated now, in a DTLS session of
# its own, twice with the same body: both must be accepted, the resend with the first answer
# (the same check-in id); every one is accepted (exit 0), the end answered locked (exit 1).
worker_seq=0
work() {
    local ev=$1 ts first again answer rc want=0
    [[ $ev != end ]] || want=1 # the end closes the session: answered locked, as it must be
    worker_seq=$((worker_seq + 1))
    ts=$(date +%s)
    shift
    for answer in first again; do
        rc=0
        "$WF_WELDTAG" checkin --server "coaps://127.0.0.1:$WR_PORT" --identity "$worker" \
            --psk-file "$WR_TMP/worker.psk" --ev "$ev" --seq "$worker_seq" --ts "$ts" "$@" \
            --lat 36.65 --lon 117.12 --timeout 10 >"$WR_TMP/work.$answer" 2>&1 || rc=$?
        ((rc == want)) || wr_fail "the worker's $ev $worker_seq ($answer) exited $rc, want" \
            "$want: $(cat "$WR_TMP/work.$answer")"
    done
    first=$(grep -o 'check-in [0-9]*' "$WR_TMP/work.first" || true)
    again=$(grep -o 'check-in [0-9]*' "$WR_TMP/work.again" || true)
    [[ -n $first && $first == "$again" ]] ||
        wr_fail "the worker's resent $ev $worker_seq got \"$again\", the first \"$first\""
}
# new_session OFFSET: a machine that opens a new DTLS session at this offset is served, over a
# slow link as a cellular chip has (250 ms each way through lossy-relay): coap-client-openssl,
# an independent device with the worker's key, fetches the revocation list (a reader's request
# that changes nothing) in a handshake of its own.
new_session() {
    local rc=0
    rm -f "$WR_TMP/new-session.cbor"
    timeout 30 coap-client-openssl -m get -B 10 -u "$worker" -k "$worker_key" \
        -o "$WR_TMP/new-session.cbor" "coaps://127.0.0.1:$slow_port/v1/codes/revocations" \
        >"$WR_TMP/new-session" 2>&1 || rc=$?
    # coap-client exits 0 when the handshake fails: the answer's payload is what tells
    if ((rc != 0)) || [[ ! -s $WR_TMP/new-session.cbor ]]; then
        wr_fail "a new DTLS session at offset $1 s got no answer (exit $rc):" \
            "$(head -c 300 "$WR_TMP/new-session")"
    fi
}
slow_port=$(wr_free_port udp)
"$WF_RELAY" --listen "$slow_port" --server "$WR_PORT" --delay-ms 250 >"$WR_TMP/relay.out" 2>&1 &
slow_relay=$!
# The approved scan opens the session and the first arcs come; then the worker keeps one DTLS
# session through the steps, as a chip does, with a heartbeat every half second from a load
# generator of its own (its acks in worker-acks, its seq from 1000; heartbeats only: random arc
# currents would be suspected_modification).
work scan --code "$code"
work arc --amp 120
work arc --amp 125
"$WF_LOADGEN" --server "coaps://127.0.0.1:$WR_PORT" --psk-file "$WR_TMP/worker.psk.line" \
    --machines 1 --rate 2 --mix 100,0,0 --timeout 3 --duration 300 --seq-base 1000 \
    --ack-log "$WR_TMP/worker-acks" >"$WR_TMP/worker-load.out" 2>"$WR_TMP/worker-load.err" &
worker_load=$!
sleep "$period"
for offset in +3600 -3600 +0; do
    echo "$offset" >"$offset_file"
    echo "server wall clock now $offset s"
    stepped=$(wf_now)
    sleep "$period"
    acked=$(awk -v t="$stepped" '$3 == "2.01" && $5 >= t' "$WR_TMP"/acks* | wc -l)
    worked=$(awk -v t="$stepped" '$3 == "2.01" && $5 >= t' "$WR_TMP"/worker-acks* | wc -l)
    echo "  $acked check-ins acknowledged at offset $offset, $worked of the worker"
    ((acked > 0)) || wr_fail "nothing acknowledged with the server's clock at $offset s"
    ((worked > 0)) || wr_fail "the worker's heartbeats unanswered with the server's clock at $offset s"
    new_session "$offset"
    echo "  a new DTLS session answered at offset $offset"
done
kill -TERM "$worker_load" "$slow_relay" 2>/dev/null || true
wait "$slow_relay" || true
wait "$worker_load" || true
worker_seq=2000 # after the load generator's
work arc --amp 120
work hb
work end
worker_figures=$("$WF_DIR/check-acks.sh" "$WR_TMP/worker-acks") ||
    wr_fail "the worker's heartbeats: $worker_figures"
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
# the worker's session: opened once by the scan, closed by its end only, every check-in ok in
# it and each seq stored once (the load generator's acks checked like the others')
worker_sessions=$(wr_psql "SELECT count(*) || ' ' || count(*) FILTER (WHERE close_reason = 'ended')
    FROM work_sessions WHERE machine_id = (SELECT id FROM machines WHERE chip_id = '$worker')")
worker_rows=$(wr_psql "SELECT count(*) - count(DISTINCT seq) || ' ' || count(*) FILTER (WHERE NOT ok AND ev <> 'end')
    || ' ' || count(DISTINCT session_id) || ' ' || count(*) FROM checkins WHERE chip_id = '$worker'")
worker_violations=$(wr_psql "SELECT count(*) FROM violations
    WHERE machine_id = (SELECT id FROM machines WHERE chip_id = '$worker')")
echo "worker: sessions all/ended $worker_sessions; check-ins repeated/refused/sessions/all" \
    "$worker_rows; violations $worker_violations; heartbeats $worker_figures"
[[ $worker_sessions == "1 1" ]] ||
    wr_fail "the worker's session was not kept through the steps (all/ended: $worker_sessions)"
[[ $worker_rows == "0 0 1 "* ]] ||
    wr_fail "the worker's check-ins are not each seq once, ok, in one session: $worker_rows"
((worker_violations == 0)) || wr_fail "$worker_violations violations of the working machine"
steps=$(grep -c 'event=wall_clock_step' "$WR_SERVER_LOG" || true)
((steps >= 2)) || wr_fail "the server logged $steps wall_clock_step, want one per step"
rebased=$(grep -c 'event=coap_clock_rebased' "$WR_SERVER_LOG" || true)
((rebased >= 1)) || wr_fail "the clock went back before the server's start, and libcoap's clock" \
    "was not moved (no coap_clock_rebased logged)"
wf_result clock-step-1h "steps=+3600,-3600,+0 period_s=$period machines=$machines" \
    "wall_clock_step_logged=$steps coap_clock_rebased=$rebased new_sessions=answered flagged=$flagged false_violations=$false_violations" \
    "sessions_closed=$closed worker_checkins=${worker_rows##* } worker_session=kept $WF_FIGURES"
wr_server_stop
wr_ok "server clock stepped +1 h and -1 h under load: nothing flagged, a work session open" \
    "through the steps kept (${worker_rows##* } check-ins), $WF_FIGURES"
