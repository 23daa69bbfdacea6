#!/usr/bin/env bash
# test-decision.sh — the check-in decision through the real server and real DTLS clients:
# events outside an approved session, chip clocks off, late (buffered) events, replays, tamper,
# and a backlog of buffered events replayed after an outage; violations are recorded for each.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

WELDTAG="$WELDREG_BUILD_DIR/tag-reader/weldtag"
CHIP=WR-D-0001

wr_db_create decision
psk=$(wr_provision machine "$CHIP")
wr_seed_machine "$CHIP"
wr_server_start

# send EV SEQ [extra weldtag options...]: weldtag's answer in $out, its exit code in $rc.
send() { wr_send_checkin "$CHIP" "$psk" "$@"; }
now=$(date +%s)

# Work outside the platform: an arc with no approved session is refused and flagged.
send arc 1 --amp 120
((rc == 1)) && [[ $out == "locked: work_outside_platform"* ]] || wr_fail "arc: $out"
[[ $(wr_psql "SELECT kind, severity, community_id IS NOT NULL FROM violations") == "work_outside_platform|critical|t" ]] ||
    wr_fail "no violation for work outside the platform: $(wr_psql 'SELECT * FROM violations')"
wr_ok "arc without a session: $out, violation recorded with its community"

# A chip clock hours ahead: recorded with its skew and flagged.
send hb 2 --ts $((now + 3 * 3600))
[[ $out == *clock_skew* ]] || wr_fail "clock 3 h ahead not flagged: $out"
skew=$(wr_psql "SELECT skew_s FROM checkins WHERE seq = 2")
((skew > 10700 && skew < 10900)) || wr_fail "skew recorded as $skew"
[[ $(wr_psql "SELECT count(*) FROM violations WHERE kind = 'clock_skew'") == 1 ]] || wr_fail "clock skew not flagged"
wr_ok "clock 3 h ahead: $out (skew_s $skew), flagged"

# An event from two hours ago arrives late: accepted, marked late, judged at its own time.
send hb 3 --ts $((now - 2 * 3600))
[[ $out == *late_event* ]] || wr_fail "old event not marked late: $out"
[[ $(wr_psql "SELECT late FROM checkins WHERE seq = 3") == t ]] || wr_fail "late flag not stored"
wr_ok "event 2 h old: $out, stored as late"

# Tamper is flagged at once.
send tamper 4
[[ $out == *tamper* ]] || wr_fail "tamper: $out"
[[ $(wr_psql "SELECT count(*) FROM violations WHERE kind = 'tamper'") == 1 ]] || wr_fail "no tamper violation"
wr_ok "tamper: $out"

# A lower seq with new content is a replay: refused and flagged, not judged further.
send hb 2 --ts $((now + 1))
[[ $out == *"4.09"* ]] || wr_fail "reused seq with other content: $out"
send hb 1 --ts $((now + 5))
[[ $out == *"4.09"* ]] || wr_fail "reused seq 1: $out"
wr_ok "seq reused with other content: 4.09"

# A backlog of 1,000 events the chip buffered while offline, replayed in order: every one is
# stored once, marked late, and the work without approval is flagged.
base=$((now - 4 * 3600))
for ((i = 0; i < 1000; i++)); do
    ev=hb
    ((i % 10 == 0)) && ev=arc
    printf '%s %d %d 34.52 113.38\n' "$ev" $((100 + i)) $((base + i * 10))
done >"$WR_TMP/backlog"
start=$(date +%s%N)
rc=0
"$WELDTAG" checkin --server "coaps://127.0.0.1:$WR_PORT" --identity "$CHIP" --psk-file "$psk" \
    --backlog "$WR_TMP/backlog" >"$WR_TMP/backlog.out" 2>&1 || rc=$?
took_ms=$((($(date +%s%N) - start) / 1000000))
((rc == 0)) || { tail -5 "$WR_TMP/backlog.out"; wr_fail "backlog: exit $rc"; }
grep -q '^backlog: 1000 sent, 0 refused' "$WR_TMP/backlog.out" || wr_fail "backlog: $(tail -1 "$WR_TMP/backlog.out")"
stored=$(wr_psql "SELECT count(*) FROM checkins WHERE seq >= 100 AND late")
[[ $stored == 1000 ]] || wr_fail "backlog: $stored of 1000 stored as late"
evidence=$(wr_psql "SELECT count(*) FROM checkins WHERE seq >= 100
                    AND 'work_outside_platform' = ANY (reasons)")
[[ $evidence == 1000 ]] || wr_fail "backlog: $evidence of 1000 carry work_outside_platform"
# one open violation per machine and kind per 10 minutes: events every 10 s over 2 h 46 min
# start a new one at most every 610 s (17), fewer where an earlier violation already covers
# the time; and no backlog event is more than 10 minutes from a violation
flagged=$(wr_psql "SELECT count(*) FROM violations v JOIN checkins c ON c.id = v.checkin_id
                   WHERE c.seq >= 100 AND v.kind = 'work_outside_platform'")
((flagged >= 12 && flagged <= 17)) || wr_fail "backlog: $flagged violations, want 12 to 17"
uncovered=$(wr_psql "SELECT count(*) FROM checkins c WHERE c.seq >= 100 AND NOT EXISTS (
    SELECT 1 FROM violations v WHERE v.kind = 'work_outside_platform'
    AND v.occurred_at BETWEEN c.device_ts - interval '10 minutes' AND c.device_ts + interval '10 minutes')")
[[ $uncovered == 0 ]] || wr_fail "backlog: $uncovered events not covered by a violation"
wr_ok "backlog of 1000 buffered events over one session: all stored late and flagged ($flagged violations, one per 10 min), in ${took_ms} ms"

# Resending the whole backlog stores nothing twice and gets the same answers.
"$WELDTAG" checkin --server "coaps://127.0.0.1:$WR_PORT" --identity "$CHIP" --psk-file "$psk" \
    --backlog "$WR_TMP/backlog" >"$WR_TMP/backlog2.out" 2>&1 || wr_fail "resent backlog failed"
cmp -s "$WR_TMP/backlog.out" "$WR_TMP/backlog2.out" || wr_fail "resent backlog answered differently"
[[ $(wr_psql "SELECT count(*) FROM checkins WHERE seq >= 100") == 1000 ]] || wr_fail "resent backlog stored twice"
[[ $(wr_psql "SELECT count(*) FROM violations v JOIN checkins c ON c.id = v.checkin_id WHERE c.seq >= 100") == "$flagged" ]] ||
    wr_fail "resent backlog flagged twice"
wr_ok "resent backlog: same answers, nothing stored or flagged twice"

# After a restart the server remembers the last seq: a reused seq is still a replay.
wr_server_stop
wr_server_start
send hb 50 --ts "$now"
[[ $out == *"4.09"* || $out == *replay* ]] || wr_fail "seq below the last one after a restart: $out"
[[ $(wr_psql "SELECT count(*) FROM violations WHERE kind = 'replay'") == 1 ]] || wr_fail "replay not flagged"
wr_ok "after a restart, an old seq is still a replay: $out, flagged"
# An open work session (as an approved scan leaves it) keeps the machine unlocked while it
# hears heartbeats; when they stop, the sweep closes it and flags heartbeat_lost.
wr_server_stop
wr_seed_welder
wr_psql "INSERT INTO work_sessions (machine_id, welder_id, opened_at, until, last_seen_at)
         SELECT m.id, w.id, now(), now() + interval '1 hour', now()
         FROM machines m, welders w" >/dev/null
printf 'heartbeat_timeout_s = 10\n' >>"$WR_TMP/weldreg.conf"
wr_server_start
send hb 2000
((rc == 0)) && [[ $out == "unlocked until"* ]] || wr_fail "heartbeat in an open session: $out"
wr_ok "heartbeat inside an open session: $out"
for ((i = 0; i < 40; i++)); do
    [[ $(wr_psql "SELECT count(*) FROM work_sessions WHERE close_reason = 'heartbeat_lost'") == 1 ]] && break
    sleep 0.5
done
[[ $(wr_psql "SELECT count(*) FROM violations WHERE kind = 'heartbeat_lost'") == 1 ]] ||
    wr_fail "a silent session was not flagged: $(wr_psql 'SELECT id, close_reason FROM work_sessions')"
send hb 2001
[[ $out == "locked: work_outside_platform"* ]] || wr_fail "heartbeat after the session closed: $out"
wr_ok "silent session closed and flagged heartbeat_lost; the next heartbeat is $out"
# A session past its end is closed by the sweep and flagged session_overrun.
wr_server_stop
wr_psql "INSERT INTO work_sessions (machine_id, welder_id, opened_at, until, last_seen_at)
         SELECT m.id, w.id, now() - interval '1 hour', now() + interval '2 seconds', now()
         FROM machines m, welders w" >/dev/null
wr_server_start
for ((i = 0; i < 40; i++)); do
    [[ $(wr_psql "SELECT count(*) FROM work_sessions WHERE close_reason = 'overrun'") == 1 ]] && break
    sleep 0.5
done
[[ $(wr_psql "SELECT count(*) FROM violations WHERE kind = 'session_overrun'") == 1 ]] ||
    wr_fail "a session past its end was not flagged"
wr_ok "a session past its end: closed and flagged session_overrun"
echo "test-decision: all checks passed"
