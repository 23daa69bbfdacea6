#!/usr/bin/env bash
# test-web-live.sh — live alerts (GET /events, Server-Sent Events) over real HTTPS and a real
# PostgreSQL: each role gets exactly the violations of its scope as they are recorded (an
# inspector their communities, an officer their enterprise, office staff all), woken by NOTIFY;
# a reconnection with Last-Event-ID gets what it missed, bounded by a "gap" event; heartbeats;
# open streams hold no serving thread; the caps answer 503 with Retry-After; weldreg-web stops
# promptly with streams open and exits 0 (no leak under the sanitizers).
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

wr_db_create web_live
# two serving threads for six streams: streams must not hold them
printf 'web_threads = 2\nweb_heartbeat_s = 1\nweb_max_streams = 6\nweb_session_streams = 3\n' \
    >"$WR_TMP/web.extra"
wr_psql "INSERT INTO communities (id, code, name, district)
             VALUES (1, 'c1', '东街社区', '测试区'), (2, 'c2', '西街社区', '测试区');
         INSERT INTO enterprises (id, uscc, name, community_id)
             VALUES (1, '91110000100000000A', '测试焊接厂', 1),
                    (2, '91110000100000001A', '西街焊接厂', 2),
                    (3, '91110000100000002A', '东街二厂', 1)"
wr_web_account ian inspector --community 1
wr_web_account ada admin
wr_web_account oli office
wr_web_account eve officer --enterprise 1
wr_web_start
CA=(--cacert "$WR_CERTS_DIR/ca.crt")
S="$WR_TMP/streams"
mkdir -p "$S"

# login LOGIN: prints the session cookie of a fresh login.
login() {
    curl -sS "${CA[@]}" -D - -o /dev/null -X POST --data-urlencode "login=$1" \
        --data-urlencode "password=$(cat "$WR_TMP/pw-$1")" "$WR_WEB_URL/login" |
        sed -nE 's/^[Ss]et-[Cc]ookie: __Host-weldreg=([0-9a-f]{64});.*/\1/p'
}
# open NAME COOKIE [CURL ARGS...]: a stream of /events in the background, its headers in
# $S/NAME.h, its body in $S/NAME, its curl's pid in $S/NAME.pid; waits for the first bytes.
open_stream() {
    local name=$1 cookie=$2 i
    shift 2
    curl -sS -N "${CA[@]}" -D "$S/$name.h" -b "__Host-weldreg=$cookie" \
        -H 'Accept: text/event-stream' "$@" "$WR_WEB_URL/events" >"$S/$name" 2>"$S/$name.err" &
    echo $! >"$S/$name.pid"
    for ((i = 0; i < 50; i++)); do
        [[ -s $S/$name ]] && return 0
        sleep 0.1
    done
    wr_fail "stream $name sent nothing within 5 s ($(cat "$S/$name.h" "$S/$name.err"))"
}
close_stream() {
    kill "$(cat "$S/$1.pid")" 2>/dev/null || true
    wait "$(cat "$S/$1.pid")" 2>/dev/null || true
}
# ended NAME: true once stream NAME's curl has exited (waits at most 5 s): the server ended it.
ended() {
    local pid i
    pid=$(cat "$S/$1.pid")
    for ((i = 0; i < 50; i++)); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    return 1
}
# ids NAME: the event ids a stream received, space-separated, in order.
ids() { sed -n 's/^id: //p' "$S/$1" | tr '\n' ' ' | sed 's/ $//'; }
# wait_id NAME ID: waits (at most 5 s) until stream NAME received event ID.
wait_id() {
    local i
    for ((i = 0; i < 50; i++)); do
        grep -qx "id: $2" "$S/$1" && return 0
        sleep 0.1
    done
    wr_fail "stream $1 did not receive violation $2 within 5 s (got: $(ids "$1"))"
}
# violation COMMUNITY ENTERPRISE [KIND]: records one; prints its id.
violation() {
    wr_psql "INSERT INTO violations (kind, severity, community_id, enterprise_id, occurred_at)
             VALUES ('${3:-code_forged}', 'critical', $1, $2, now()) RETURNING id"
}

ian=$(login ian)
eve=$(login eve)
oli=$(login oli)
[[ -n $ian && -n $eve && -n $oli ]] || wr_fail "a login failed"

# 1. no session: to the login page; the stream's headers
st=$(curl -sS "${CA[@]}" -o /dev/null -w '%{http_code}' "$WR_WEB_URL/events")
[[ $st == 303 ]] || wr_fail "/events without a session: $st, expected 303"
open_stream ian1 "$ian"
open_stream eve1 "$eve"
open_stream oli1 "$oli"
grep -qi '^content-type: text/event-stream' "$S/ian1.h" || wr_fail "not text/event-stream"
grep -qi '^cache-control: no-store' "$S/ian1.h" || wr_fail "a stream without no-store"
grep -qi "^content-security-policy: default-src 'self'" "$S/ian1.h" || wr_fail "no CSP on /events"
grep -qx 'retry: 5000' "$S/ian1" || wr_fail "no retry: line first ($(head -c 200 "$S/ian1"))"
curl -sS "${CA[@]}" -b "__Host-weldreg=$ian" "$WR_WEB_URL/" | grep -q 'src="/static/live.js"' ||
    wr_fail "no alerts panel on an inspector's home page"
! curl -sS "${CA[@]}" -b "__Host-weldreg=$oli" "$WR_WEB_URL/" | grep -q 'id="live"' ||
    wr_fail "an alerts panel on office staff's home page"
wr_ok "/events: 303 without a session; text/event-stream, no-store, CSP, retry: 5000; the panel on an inspector's home only"

# 2. each role sees exactly its scope, in order, as they are recorded
a=$(violation 2 2)               # community 2: office only
b=$(violation 1 3 permit_none)   # community 1, another enterprise: inspector and office
c=$(violation 1 1 onsite_machine_without_chip) # community 1, enterprise 1: all three
wait_id oli1 "$c"
wait_id ian1 "$c"
wait_id eve1 "$c"
[[ $(ids oli1) == "$a $b $c" ]] || wr_fail "office got '$(ids oli1)', expected '$a $b $c'"
[[ $(ids ian1) == "$b $c" ]] || wr_fail "inspector got '$(ids ian1)', expected '$b $c'"
[[ $(ids eve1) == "$c" ]] || wr_fail "officer got '$(ids eve1)', expected '$c'"
grep -q "^data: {\"id\":$b,.*\"kind\":\"permit_none\",\"zh\":\"" "$S/ian1" ||
    wr_fail "the event's data: $(grep "^data: {\"id\":$b" "$S/ian1")"
grep -q '"zh":"现场发现无芯焊机"' "$S/eve1" || wr_fail "an on-site finding's Chinese text"
grep -q '^event: violation$' "$S/ian1" || wr_fail "no event: violation line"
wr_ok "inspector: their community ($b $c), officer: their enterprise ($c), office: all ($a $b $c)"

# 3. heartbeats (web_heartbeat_s = 1)
sleep 2.2
grep -qx ': ping' "$S/ian1" || wr_fail "no ': ping' within 2 s"
wr_ok "': ping' comments on a quiet stream"

# 4. a lost connection: Last-Event-ID gets what was missed, in scope, then the live tail
close_stream ian1
d=$(violation 1 1)
e=$(violation 2 2)
f=$(violation 1 3)
open_stream ian2 "$ian" -H "Last-Event-ID: $c"
wait_id ian2 "$f"
g=$(violation 1 1)
wait_id ian2 "$g"
[[ $(ids ian2) == "$d $f $g" ]] || wr_fail "after Last-Event-ID $c: '$(ids ian2)', expected '$d $f $g'"
open_stream ian3 "$ian"
h=$(violation 1 1)
wait_id ian3 "$h"
[[ $(ids ian3) == "$h" ]] || wr_fail "a new stream without Last-Event-ID: '$(ids ian3)'"
wr_ok "reconnected with Last-Event-ID: $c: missed $d $f (not $e), then live $g; a new stream starts now"
close_stream ian2
close_stream ian3

# 5. more missed than one window: a gap event, then the newest 50 in order
wr_psql "INSERT INTO violations (kind, severity, community_id, enterprise_id, occurred_at)
         SELECT 'permit_none', 'warning', 1, 1, now() FROM generate_series(1, 60)" >/dev/null
newest=$(wr_psql "SELECT max(id) FROM violations")
open_stream ian4 "$ian" -H "Last-Event-ID: $h"
wait_id ian4 "$newest"
want=$(seq $((newest - 49)) "$newest" | tr '\n' ' ' | sed 's/ $//')
[[ $(ids ian4) == "$want" ]] || wr_fail "after a burst of 60: '$(ids ian4)'"
grep -q "^event: gap$" "$S/ian4" || wr_fail "no gap event after a burst of 60"
[[ $(grep -n '^event: gap$' "$S/ian4" | cut -d: -f1) -lt $(grep -n '^id: ' "$S/ian4" | head -1 | cut -d: -f1) ]] ||
    wr_fail "the gap event does not come first"
wr_ok "60 missed: 'event: gap' then the newest 50 ($((newest - 49))..$newest) oldest first"
close_stream ian4

# 6. a stream ends with its session (logout); the listener and the connections come back after
# the database dropped them (every backend of the test's database terminated)
eve2=$(login eve)
open_stream eve2 "$eve2"
csrf=$(curl -sS "${CA[@]}" -b "__Host-weldreg=$eve2" "$WR_WEB_URL/" |
    sed -nE 's/.*name="csrf" value="([0-9a-f]{64})".*/\1/p')
st=$(curl -sS "${CA[@]}" -o /dev/null -w '%{http_code}' -b "__Host-weldreg=$eve2" \
    -H "Origin: $WR_WEB_URL" --data-urlencode "csrf=$csrf" "$WR_WEB_URL/logout")
[[ $st == 303 ]] || wr_fail "logout: $st"
ended eve2 || wr_fail "the stream of a logged-out session is still open after 5 s"
terminated=$(wr_psql "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                      WHERE datname = current_database() AND pid <> pg_backend_pid()")
((terminated >= 3)) || wr_fail "expected the listener and 2 connections, terminated $terminated"
i1=$(violation 1 1)
wait_id oli1 "$i1"
wait_id eve1 "$i1"
grep -q 'event=live_listener_reconnected' "$WR_WEB_LOG" || wr_fail "the listener did not reconnect"
wr_ok "logout ends the session's stream; after $terminated backends were terminated, violation $i1 still arrives"

# 7. open streams hold no serving thread: 2 threads, 3+ streams, pages still answer
open_stream ian5 "$ian"
open_stream ian6 "$ian"
sleep 0.5
t0=$(date +%s%N)
for i in 1 2 3 4 5 6; do
    st=$(curl -sS "${CA[@]}" -o /dev/null -w '%{http_code}' --max-time 3 "$WR_WEB_URL/login")
    [[ $st == 200 ]] || wr_fail "GET /login with streams open: $st"
done
ms=$((($(date +%s%N) - t0) / 1000000))
((ms < 3000)) || wr_fail "6 pages took $ms ms with streams open on 2 threads"
wr_ok "6 streams open on 2 serving threads; 6 pages answered in $ms ms"

# 8. the caps: 3 per session, 6 in all; one more is 503 with Retry-After. A closed stream is
# noticed at its next write (a heartbeat): wait for those closed above to go.
sleep 4
open_stream ian7 "$ian"
st=$(curl -sS "${CA[@]}" -D "$S/cap.h" -o "$S/cap" -w '%{http_code}' --max-time 3 \
    -b "__Host-weldreg=$ian" "$WR_WEB_URL/events" || true)
[[ $st == 503 ]] || wr_fail "a fourth stream of one session: $st, expected 503"
grep -qi '^retry-after: 1' "$S/cap.h" || wr_fail "no Retry-After on the 503"
grep -q '实时告警连接过多' "$S/cap" || wr_fail "the 503's page"
ada=$(login ada)
open_stream ada1 "$ada"
st=$(curl -sS "${CA[@]}" -o /dev/null -w '%{http_code}' --max-time 3 \
    -b "__Host-weldreg=$ada" "$WR_WEB_URL/events" || true)
[[ $st == 503 ]] || wr_fail "a seventh stream: $st, expected 503"
wr_ok "caps: a 4th stream of one session and a 7th in all are 503 with Retry-After: 1"

# 9. stopping with 6 streams open: prompt, status 0 (the sanitizers find no leak), streams end
t0=$(date +%s%N)
wr_web_stop
ms=$((($(date +%s%N) - t0) / 1000000))
((ms < 4000)) || wr_fail "weldreg-web took $ms ms to stop with streams open"
for name in eve1 oli1 ian5 ian6 ian7 ada1; do
    ended "$name" || wr_fail "stream $name still open after the server stopped"
done
wr_ok "weldreg-web stopped in $ms ms with 6 streams open, exit status 0; every stream ended"
