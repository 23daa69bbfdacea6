#!/usr/bin/env bash
# test-journey.sh — the whole journey as a new user would make it, with weldtag only: an
# administrator enrols a community, an enterprise, a machine (its PSK and code), a welder (their
# code) with training, and a permit; the welder scans at the machine, which unlocks; work;
# end. Then the machine reports work after the end and is refused; a session left silent is
# closed by the next heartbeat, which is refused; and a chip clock an hour ahead dates nothing.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

WELDTAG="$WELDREG_BUILD_DIR/tag-reader/weldtag"
T=$WR_TMP
wr_db_create journey
admin_psk=$(wr_provision admin admin-j)
printf 'code_issuer = journey\n' >>"$T/weldreg.conf"
wr_server_start
SERVER=(--server "coaps://127.0.0.1:$WR_PORT")
AS_ADMIN=("${SERVER[@]}" --identity admin-j --psk-file "$admin_psk")

run() { # RC COMMAND...: runs COMMAND with its output in $T/out, fails unless it exits RC
    local want=$1 rc=0
    shift
    "$@" >"$T/out" 2>&1 || rc=$?
    ((rc == want)) || { cat "$T/out"; wr_fail "expected exit $want, got $rc: $*"; }
}
admin() { run 0 "$WELDTAG" admin "$@" --json "${AS_ADMIN[@]}"; }
field() { sed -E "s/.*\"$1\":\"?([^\",}]*)\"?.*/\\1/" "$T/out"; }

admin community create code=410183-003 name=青屏街社区 district=新密市
admin enterprise create uscc=91350100M000100Y43 name=新密焊接厂 community_id=1
admin machine create chip_id=WR-J-0001 process_category=fusion enterprise_id=1 keeper_name=王五
psk=$(field psk)
[[ ${#psk} == 43 ]] || wr_fail "the machine's PSK was not shown: $(cat "$T/out")"
printf '%s\n' "$psk" >"$T/machine.psk"
admin welder create name=张三 idcard=11010519491231002X licence_no=T11010519491231002X \
    categories=fusion issued_on="$(date -d '-2 years' +%F)"
code=$(field code)
[[ $code == WR3:* ]] || wr_fail "the welder's code was not issued: $(cat "$T/out")"
welder=$(field id)
admin welder train id="$welder" course=动火作业安全 completed_on="$(date -d '-30 days' +%F)" \
    hours=16 provider=新密市安全培训中心
start=$(date -u -d '-10 minutes' +%Y-%m-%dT%H:%M:%SZ)
end=$(date -u -d '+6 hours' +%Y-%m-%dT%H:%M:%SZ)
gas=$(date -u -d '-5 minutes' +%Y-%m-%dT%H:%M:%SZ)
admin permit create permit_no=DH-J-001 level=second enterprise_id=1 site_address=三号车间 \
    site_lat=34.52 site_lon=113.38 starts_at="$start" ends_at="$end" gas_analysis_at="$gas" \
    approver=安全科 fire_watch=李四 welders="$welder" machines=1
wr_ok "enrolled with weldtag: community, enterprise, machine (PSK shown once), welder with code and training, permit"
# the running server picks the permit up through NOTIFY: wait for the reload that has it
for _ in $(seq 100); do
    grep -q 'event=registry_loaded .*permits=1' "$WR_SERVER_LOG" && break
    sleep 0.1
done
grep -q 'event=registry_loaded .*permits=1' "$WR_SERVER_LOG" || wr_fail "the server did not load the permit"
sleep 0.2 # the loop takes the new view at its next wake-up

as_machine() { # SEQ EV [options]
    local seq=$1 ev=$2 rc=0
    shift 2
    out=$("$WELDTAG" checkin "${SERVER[@]}" --identity WR-J-0001 --psk-file "$T/machine.psk" \
        --seq "$seq" --ev "$ev" "$@" 2>&1) || rc=$?
    out=$(wr_answer_names "$out")
    last_rc=$rc
}
as_machine 1 scan --code "$code" --lat 34.52 --lon 113.38
((last_rc == 0)) && [[ $out == "unlocked until"* ]] || wr_fail "the welder's scan: $out"
wr_ok "the welder scans at the machine: $out"
as_machine 2 arc --amp 160
((last_rc == 0)) || wr_fail "arc: $out"
as_machine 3 hb
((last_rc == 0)) || wr_fail "heartbeat: $out"
as_machine 4 end
wr_ok "work and end: the session is $(wr_psql "SELECT close_reason FROM work_sessions")"
as_machine 5 arc
((last_rc == 1)) && [[ $out == *work_outside_platform* ]] || wr_fail "arc after the end: $out"
wr_ok "an arc after the end is refused: $out"
[[ $(wr_psql "SELECT count(*) FROM violations WHERE kind = 'work_outside_platform'") == 1 ]] ||
    wr_fail "no violation for the work after the end"

# The welder scans again and the machine goes silent for longer than heartbeat_timeout_s: its
# next heartbeat finds the session lapsed, is refused and closes it, flagged once. The sweep is
# kept away (once at start, then hourly) so that the heartbeat meets the lapsed session itself.
wr_server_stop
printf 'heartbeat_timeout_s = 10\nsweep_interval_s = 3600\n' >"$T/server.extra"
wr_server_start "$WR_PORT"
as_machine 6 scan --code "$code" --lat 34.52 --lon 113.38
((last_rc == 0)) || wr_fail "the second scan: $out"
session=$(wr_psql "SELECT session_id FROM checkins WHERE seq = 6")
sleep 12
as_machine 7 hb
((last_rc == 1)) && [[ $out == "locked: heartbeat_lost"* ]] ||
    wr_fail "a heartbeat after 12 s of silence: $out"
[[ $(wr_psql "SELECT close_reason FROM work_sessions WHERE id = $session") == heartbeat_lost ]] ||
    wr_fail "the silent session: $(wr_psql "SELECT * FROM work_sessions WHERE id = $session")"
[[ $(wr_psql "SELECT count(*) FROM violations WHERE kind = 'heartbeat_lost'") == 1 ]] ||
    wr_fail "heartbeat_lost flagged $(wr_psql "SELECT count(*) FROM violations WHERE kind = 'heartbeat_lost'") times"
[[ $(wr_psql "SELECT c.seq FROM violations v JOIN checkins c ON c.id = v.checkin_id
              WHERE v.kind = 'heartbeat_lost'") == 7 ]] || wr_fail "heartbeat_lost not evidenced by the heartbeat"
wr_ok "a heartbeat after 12 s of silence: $out; the session is closed heartbeat_lost, flagged once"
as_machine 8 hb
((last_rc == 1)) && [[ $out == "locked: work_outside_platform"* ]] ||
    wr_fail "the heartbeat after the lapse: $out"
wr_ok "the next heartbeat: $out"

# A chip clock an hour ahead: the scan is flagged clock_skew and unlocks, but the work session
# and the violation are dated by the server's clock when it received the scan, and the check-in
# keeps the chip's ts as evidence. A heartbeat from that clock does not move the session's last
# event an hour ahead either (the heartbeat time-out counts from it).
age() { # SQL: how far, in whole seconds, the timestamptz SQL selects lies from now
    wr_psql "SELECT round(abs(extract(epoch FROM now() - ($1))))"
}
ahead=$(($(date +%s) + 3600))
as_machine 9 scan --code "$code" --lat 34.52 --lon 113.38 --ts "$ahead"
((last_rc == 0)) && [[ $out == "unlocked until"* ]] || wr_fail "a scan an hour ahead: $out"
session=$(wr_psql "SELECT session_id FROM checkins WHERE seq = 9")
(($(age "SELECT opened_at FROM work_sessions WHERE id = $session") < 5)) ||
    wr_fail "the session opened at the chip's time: $(wr_psql "SELECT opened_at, now() FROM work_sessions WHERE id = $session")"
(($(age "SELECT occurred_at FROM violations v JOIN checkins c ON c.id = v.checkin_id
         WHERE c.seq = 9 AND v.kind = 'clock_skew'") < 5)) ||
    wr_fail "clock_skew dated $(wr_psql "SELECT v.occurred_at FROM violations v JOIN checkins c ON c.id = v.checkin_id WHERE c.seq = 9")"
[[ $(wr_psql "SELECT extract(epoch FROM device_ts)::bigint FROM checkins WHERE seq = 9") == "$ahead" ]] ||
    wr_fail "the chip's ts was not kept"
(($(age "SELECT received_at FROM checkins WHERE seq = 9") < 5)) || wr_fail "received_at is not the receipt time"
as_machine 10 hb --ts $((ahead + 5))
((last_rc == 0)) || wr_fail "a heartbeat an hour ahead in the session: $out"
(($(age "SELECT last_seen_at FROM work_sessions WHERE id = $session") < 5)) ||
    wr_fail "the session's last event: $(wr_psql "SELECT last_seen_at, now() FROM work_sessions WHERE id = $session")"
wr_ok "a scan an hour ahead: session and clock_skew dated by the server, the chip's ts kept"
echo "test-journey: all checks passed"
