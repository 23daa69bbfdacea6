#!/usr/bin/env bash
# test-offline-backlog.sh — a machine working in an approved session goes offline for longer
# than heartbeat_timeout_s: the sweep closes the session and flags heartbeat_lost; when the chip
# is back, the backlog it buffered (some events late, the newest not) shows it was working, so
# the session resumes, the sweep's heartbeat_lost is dismissed by the platform, nothing is
# flagged as work outside the platform, and the machine stays unlocked. A machine that really
# went silent (its own clock shows the gap) is still refused and flagged.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

WELDTAG="$WELDREG_BUILD_DIR/tag-reader/weldtag"
CHIP=WR-OB-0001

wr_db_create offline_backlog
psk=$(wr_provision machine "$CHIP")
wr_seed_machine "$CHIP"
wr_seed_welder
# an approved session (as an approved scan leaves it), open for an hour
wr_psql "INSERT INTO work_sessions (machine_id, welder_id, opened_at, until, last_seen_at)
         SELECT m.id, w.id, now(), now() + interval '1 hour', now()
         FROM machines m, welders w" >/dev/null
# heartbeat_timeout_s leaves room for a slow, busy test machine between the backlog's newest
# event and the live heartbeat after it (with 10 s the test failed once under heavy CPU
# contention, its output not kept)
printf 'heartbeat_timeout_s = 20\nsweep_interval_s = 1\nlate_s = 8\n' >"$WR_TMP/server.extra"
wr_server_start

# send EV SEQ [extra weldtag options...]: weldtag's answer in $out, its exit code in $rc.
send() { wr_send_checkin "$CHIP" "$psk" "$@"; }
# wait_closed N: waits until N sessions were closed by the sweep for silence.
wait_closed() {
    local i
    for ((i = 0; i < 90; i++)); do
        [[ $(wr_psql "SELECT count(*) FROM work_sessions WHERE close_reason = 'heartbeat_lost'") == "$1" ]] &&
            return 0
        sleep 0.5
    done
    wr_fail "the sweep did not close the silent session: $(wr_psql 'SELECT id, close_reason FROM work_sessions')"
}

went_offline=$(date +%s)
send hb 10 --ts "$went_offline"
((rc == 0)) && [[ $out == "unlocked until"* ]] || wr_fail "heartbeat in the open session: $out"
wr_ok "heartbeat in the open session: $out"

# Offline: nothing reaches the server for 28 s or more (heartbeat_timeout_s is 20): the sweep
# closes the session and flags heartbeat_lost, as it must with what it knows.
wait_closed 1
sleep 8
[[ $(wr_psql "SELECT status FROM violations WHERE kind = 'heartbeat_lost'") == open ]] ||
    wr_fail "the sweep did not flag the silence: $(wr_psql 'SELECT kind, status FROM violations')"
wr_ok "offline for longer than heartbeat_timeout_s: the sweep closed the session, heartbeat_lost open"

# Back online: the chip sends what it buffered, a heartbeat every 2 s of its own clock, in order;
# those older than late_s (8 s) are late and judged at their own time, the newest at now.
back=$(date +%s)
seq=11
for ((ts = went_offline + 2; ts <= back; ts += 2)); do
    printf 'hb %d %d\n' "$seq" "$ts"
    seq=$((seq + 1))
done >"$WR_TMP/backlog"
count=$(wc -l <"$WR_TMP/backlog")
rc=0
"$WELDTAG" checkin --server "coaps://127.0.0.1:$WR_PORT" --identity "$CHIP" --psk-file "$psk" \
    --backlog "$WR_TMP/backlog" >"$WR_TMP/backlog.out" 2>&1 || rc=$?
((rc == 0)) || { tail -5 "$WR_TMP/backlog.out"; wr_fail "backlog: exit $rc"; }
grep -q "^backlog: $count sent, 0 refused" "$WR_TMP/backlog.out" ||
    wr_fail "backlog: $(cat "$WR_TMP/backlog.out")"
late=$(wr_psql "SELECT count(*) FROM checkins WHERE seq > 10 AND late")
((late > 0 && late < count)) || wr_fail "backlog: $late of $count late, want some but not all"
[[ $(wr_psql "SELECT count(*) FROM violations WHERE kind <> 'heartbeat_lost'") == 0 ]] ||
    wr_fail "backlog flagged: $(wr_psql 'SELECT kind, occurred_at FROM violations')"
[[ $(wr_psql "SELECT count(*) FROM checkins WHERE seq > 10 AND NOT ok") == 0 ]] ||
    wr_fail "backlog refused: $(wr_psql 'SELECT seq, reasons FROM checkins WHERE NOT ok')"
[[ $(wr_psql "SELECT count(*) FROM work_sessions WHERE closed_at IS NULL") == 1 ]] ||
    wr_fail "the session did not resume: $(wr_psql 'SELECT * FROM work_sessions')"
[[ $(wr_psql "SELECT count(*) FROM checkins c JOIN work_sessions s ON s.id = c.session_id
              WHERE c.seq > 10") == "$count" ]] || wr_fail "backlog not linked to its session"
[[ $(wr_psql "SELECT v.status || ' ' || e.actor FROM violations v
              JOIN violation_events e ON e.violation_id = v.id
              WHERE v.kind = 'heartbeat_lost'") == "dismissed platform" ]] ||
    wr_fail "the sweep's heartbeat_lost stands: $(wr_psql 'SELECT kind, status FROM violations')"
wr_ok "backlog of $count heartbeats ($late late): all ok, session resumed, heartbeat_lost dismissed, nothing flagged"
wr_psql "SELECT seq, ok, late, reasons FROM checkins WHERE seq IN (11, $((seq - 1))) ORDER BY seq" |
    sed 's/^/    /'

send hb "$seq"
((rc == 0)) && [[ $out == "unlocked until"* ]] || wr_fail "live heartbeat after the backlog: $out"
wr_ok "live heartbeat after the backlog: $out"

# Silent for real this time: the sweep closes the session again, and a heartbeat whose own
# clock shows the gap is work outside the platform.
wait_closed 1
send hb $((seq + 1))
((rc == 1)) && [[ $out == "locked: work_outside_platform"* ]] ||
    wr_fail "heartbeat after a real silence: $out"
[[ $(wr_psql "SELECT count(*) FROM violations WHERE kind = 'heartbeat_lost' AND status = 'open'") == 1 ]] ||
    wr_fail "a real silence was not flagged"
wr_ok "after a real silence: $out, heartbeat_lost open"
echo "test-offline-backlog: all checks passed"
