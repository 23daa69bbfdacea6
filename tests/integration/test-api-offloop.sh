#!/usr/bin/env bash
# test-api-offloop.sh — people's requests run off the event loop (server/api/api.h): an
# administrator's request made slow on purpose (another session holds an ACCESS EXCLUSIVE lock on
# the audit log it reads, which check-ins never touch) does not hold up machines: heartbeats
# sent meanwhile are each answered within 1 s; the slow request is answered correctly once the
# lock goes, and it runs once (one event=api_request line in the log), although it waited longer
# than a client's first retransmission time-out.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

WELDTAG="$WELDREG_BUILD_DIR/tag-reader/weldtag"
T=$WR_TMP
LOCK_S=5
wr_db_create offloop
admin_psk=$(wr_provision admin admin-o)
wr_server_start
SERVER=(--server "coaps://127.0.0.1:$WR_PORT")
AS_ADMIN=("${SERVER[@]}" --identity admin-o --psk-file "$admin_psk")
admin() { "$WELDTAG" admin "$@" --json "${AS_ADMIN[@]}" >"$T/out" 2>&1 || { cat "$T/out"; wr_fail "weldtag admin $*"; }; }
field() { sed -E "s/.*\"$1\":\"?([^\",}]*)\"?.*/\\1/" "$T/out"; }

admin community create code=410183-003 name=青屏街社区 district=新密市
admin enterprise create uscc=91350100M000100Y43 name=新密焊接厂 community_id=1
admin machine create chip_id=WR-O-0001 process_category=fusion enterprise_id=1 keeper_name=王五
field psk >"$T/m.psk"
MACHINE=("${SERVER[@]}" --identity WR-O-0001 --psk-file "$T/m.psk")
seq_no=0
heartbeat() { # sets HB_MS to how long one heartbeat took to be answered
    seq_no=$((seq_no + 1))
    local start end rc=0
    start=$(date +%s%N)
    "$WELDTAG" checkin --ev hb --seq "$seq_no" --lat 34.5 --lon 113.4 "${MACHINE[@]}" \
        >"$T/hb" 2>&1 || rc=$?
    end=$(date +%s%N)
    ((rc <= 1)) || { cat "$T/hb"; wr_fail "heartbeat $seq_no: weldtag exit $rc"; }
    HB_MS=$(((end - start) / 1000000))
}
# the machine's principal and registry entry reach the server by NOTIFY: wait until it is known
for ((i = 0; ; i++)); do
    seq_no=$((seq_no + 1))
    rc=0
    "$WELDTAG" checkin --ev hb --seq "$seq_no" --lat 34.5 --lon 113.4 "${MACHINE[@]}" >"$T/hb" 2>&1 ||
        rc=$?
    ((rc <= 1)) && break # answered (a heartbeat outside a work session is refused: 1)
    ((i < 50)) || wr_fail "the machine never checked in: $(cat "$T/hb")"
    sleep 0.2
done
runs_before=$(grep -c 'event=api_request' "$WR_SERVER_LOG" || true)

# --- the audit log locked for LOCK_S seconds, and an admin reading it meanwhile ---
psql -XAtq -v ON_ERROR_STOP=1 -d "$DATABASE_URL" >"$T/lock.out" 2>&1 <<SQL &
BEGIN;
LOCK TABLE audit_log IN ACCESS EXCLUSIVE MODE;
SELECT 'locked';
SELECT pg_sleep($LOCK_S);
COMMIT;
SQL
lock_pid=$!
for ((i = 0; i < 50; i++)); do grep -q locked "$T/lock.out" && break; sleep 0.1; done
grep -q locked "$T/lock.out" || wr_fail "the lock was not taken: $(cat "$T/lock.out")"
slow_start=$(date +%s%N)
"$WELDTAG" admin audit list --json --timeout $((LOCK_S + 10)) "${AS_ADMIN[@]}" >"$T/slow" 2>&1 &
slow_pid=$!
sleep 0.5

worst=0
for ((i = 0; i < LOCK_S * 2 - 3; i++)); do
    heartbeat
    ((HB_MS > worst)) && worst=$HB_MS
    ((HB_MS < 1000)) || wr_fail "heartbeat $seq_no took $HB_MS ms while an admin request waited for a lock"
    sleep 0.2
done
kill -0 "$slow_pid" 2>/dev/null || wr_fail "the slow request ended before the lock went: $(cat "$T/slow")"
wr_ok "$((LOCK_S * 2 - 3)) heartbeats during a ${LOCK_S} s admin request, each answered (slowest $worst ms)"

rc=0
wait "$slow_pid" || rc=$?
slow_ms=$((($(date +%s%N) - slow_start) / 1000000))
wait "$lock_pid" || true
((rc == 0)) || { cat "$T/slow"; wr_fail "the slow request: weldtag exit $rc"; }
grep -q '"entity":"machine"' "$T/slow" || { cat "$T/slow"; wr_fail "the slow request's answer lacks the machine's audit row"; }
((slow_ms >= (LOCK_S - 1) * 1000)) || wr_fail "the slow request took only $slow_ms ms: was it slow?"
wr_ok "the slow request was answered when the lock went ($slow_ms ms) with the audit rows"

runs=$(($(grep -c 'event=api_request' "$WR_SERVER_LOG") - runs_before))
((runs == 1)) || { grep 'event=api_request' "$WR_SERVER_LOG"; wr_fail "the slow request ran $runs times"; }
grep 'event=api_request' "$WR_SERVER_LOG" | tail -n 1 | grep -q 'resource="GET v1/audit" caller=admin-o code=2.05' ||
    wr_fail "the log line of the request: $(grep 'event=api_request' "$WR_SERVER_LOG" | tail -n 1)"
wr_ok "it ran once: $(grep 'event=api_request' "$WR_SERVER_LOG" | tail -n 1 | sed 's/.*event=/event=/')"
