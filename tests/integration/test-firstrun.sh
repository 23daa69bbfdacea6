#!/usr/bin/env bash
# test-firstrun.sh — what a new user does first, exactly as README.md and `./dev run` say: starts
# `./dev run` in the background (default configuration and log level), waits until it is
# ready, runs the commands it printed (weldtag's heartbeat, coap-client-openssl's listing and
# heartbeat, the latter twice), then, as the development administrator, enrols a machine and a
# welder with a permit the way docs/admin-guide.md does, and scans the welder's real code at
# the machine. Checks each answer and the rows stored, then stops the server it started
# (PostgreSQL stays up, as `./dev run` leaves it).
#
# It uses only the base system until `./dev run` has installed the packages, so `./dev
# cleanroom` runs it as the first command in a fresh Debian root. Environment: WELDREG_SOURCE_DIR
# (default: this checkout), FIRSTRUN_READY_S (default 1200: a first run installs and builds).
set -euo pipefail

ROOT=${WELDREG_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)}
T=$(mktemp -d "${TMPDIR:-/tmp}/weldreg-firstrun.XXXXXX")
RUN_PID=""

fail() {
    printf 'FAIL: %s\n' "$*" >&2
    exit 1
}
ok() { printf 'ok - %s\n' "$*"; }

cleanup() {
    local rc=$? i
    set +e
    if [[ -n $RUN_PID ]] && kill -0 "$RUN_PID" 2>/dev/null; then
        kill -INT "$RUN_PID"
        for ((i = 0; i < 100; i++)); do
            kill -0 "$RUN_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$RUN_PID" 2>/dev/null
    fi
    ((rc == 0)) || { echo "--- ./dev run printed:" >&2; tail -n 60 "$T/run.out" >&2; }
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# udp_port_busy PORT: something listens on UDP PORT (from /proc: no iproute2 in a bare root).
udp_port_busy() {
    local hex
    hex=$(printf ':%04X ' "$1")
    grep -q "$hex" /proc/net/udp /proc/net/udp6 2>/dev/null
}

# tcp_port_busy PORT: something listens on TCP PORT.
tcp_port_busy() {
    local hex
    hex=$(printf ':%04X [0-9A-F]+:0000 0A' "$1")
    grep -qE "$hex" /proc/net/tcp /proc/net/tcp6 2>/dev/null
}
web_port=8443
while tcp_port_busy "$web_port"; do web_port=$((20000 + RANDOM % 40000)); done

# The README's port, unless something on this machine has it already.
port=5684
while udp_port_busy "$port"; do port=$((20000 + RANDOM % 40000)); done
((port == 5684)) || echo "# port 5684 is in use here: ./dev run gets WELDREG_COAP_PORT=$port"

# 1. ./dev run, in the background, as a user starts it in a terminal of their own.
start=$SECONDS
(cd "$ROOT" && exec env -u DATABASE_URL WELDREG_COAP_PORT="$port" WELDREG_WEB_PORT="$web_port" ./dev run) >"$T/run.out" 2>&1 &
RUN_PID=$!
for ((i = 0; i < ${FIRSTRUN_READY_S:-1200} * 5; i++)); do
    grep -q 'event=ready' "$T/run.out" && break
    kill -0 "$RUN_PID" 2>/dev/null || fail "./dev run exited before the server was ready"
    sleep 0.2
done
grep -q 'event=ready' "$T/run.out" || fail "./dev run was not ready within ${FIRSTRUN_READY_S:-1200} s"
! grep -q '^log_level' "$ROOT/var/weldreg.conf" || fail "./dev run configured a log level"
ok "./dev run ready after $((SECONDS - start)) s (default log level)"

cd "$ROOT"
DATABASE_URL=$(./dev db 2>/dev/null)
sql() { psql -XAtq -v ON_ERROR_STOP=1 -d "$DATABASE_URL" -c "$1"; }
dev_rows() { sql "SELECT count(*) FROM checkins WHERE chip_id = 'WR-DEV-0001'"; }

# The commands it printed: each line starting with one of the two programs, with its
# continuation lines joined.
awk '/^  (build\/tag-reader\/weldtag|coap-client-openssl) / { cmd = ""; on = 1 }
     on { line = $0; sub(/^ +/, "", line); more = sub(/ *\\$/, " ", line); cmd = cmd line
          if (!more) { print cmd; on = 0 } }' "$T/run.out" >"$T/commands"
mapfile -t printed <"$T/commands"
((${#printed[@]} == 3)) || fail "expected 3 printed commands, found ${#printed[@]}"

# 2. weldtag's heartbeat: answered, locked (no welder scanned), stored.
before=$(dev_rows)
rc=0
bash -c "${printed[0]}" >"$T/out" 2>&1 || rc=$?
((rc == 1)) && grep -q '^locked: .*work_outside_platform' "$T/out" ||
    { cat "$T/out"; fail "printed weldtag command: exit $rc"; }
[[ $(dev_rows) == $((before + 1)) ]] || fail "weldtag's heartbeat was not stored"
ok "printed weldtag checkin: $(cat "$T/out")"

# 3. coap-client-openssl: the listing, then the heartbeat twice (one row, the same answer).
bash -c "${printed[1]}" >"$T/out" 2>&1 || true
grep -q '</v1/checkins>' "$T/out" || { cat "$T/out"; fail "printed coap-client GET"; }
ok "printed coap-client-openssl GET /.well-known/core lists the resources"
bash -c "${printed[2]}" >"$T/post1" 2>&1 || true
bash -c "${printed[2]}" >"$T/post2" 2>&1 || true
grep -aq 'work_outside_platform' "$T/post1" || { cat -v "$T/post1"; fail "printed coap-client POST"; }
cmp -s "$T/post1" "$T/post2" || fail "the same event sent again was answered differently"
[[ $(dev_rows) == $((before + 2)) ]] || fail "coap-client's heartbeat: not exactly one new row"
ok "printed coap-client-openssl POST answered (twice, the same) and stored once"

# 4. As the development administrator: a machine, a welder with training and a permit.
WELDTAG=(build/tag-reader/weldtag)
SERVER=(--server "coaps://127.0.0.1:$port")
admin() {
    "${WELDTAG[@]}" admin "$@" --json "${SERVER[@]}" --identity admin-dev \
        --psk-file var/psk/admin-dev.psk >"$T/out" 2>&1 || { cat "$T/out"; fail "admin $*"; }
}
field() { sed -E "s/.*\"$1\":\"?([^\",}]*)\"?.*/\\1/" "$T/out"; }
# find_or_create ENTITY KEY VALUE FIELDS...: the id of the ENTITY whose KEY is VALUE, made once
find_or_create() {
    local entity=$1 key=$2 value=$3 id
    shift 3
    admin "$entity" list
    id=$(grep -o "{[^{}]*\"$key\":\"$value\"[^{}]*}" "$T/out" | grep -o '"id":[0-9]*' |
        head -n 1 | cut -d: -f2 || true)
    if [[ -z $id ]]; then
        admin "$entity" create "$key=$value" "$@"
        id=$(field id)
    fi
    printf '%s\n' "$id"
}
# idcard SERIAL: a valid GB 11643 number (check digit computed) unique to SERIAL.
idcard() {
    local body w=(7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2) sum=0 i checks=10X98765432
    body=410183$(date -u -d "1960-01-01 + $(($1 % 15000)) days" +%Y%m%d)$(printf '%03d' $(($1 % 997)))
    for ((i = 0; i < 17; i++)); do sum=$((sum + ${body:i:1} * w[i])); done
    printf '%s%s\n' "$body" "${checks:sum % 11:1}"
}
run_id=$(date +%s)
chip="FR${run_id: -7}" # short: the chip id must fit in a machine code (docs/codes.md)
community=$(find_or_create community code 410183-901 name=首次运行社区 district=新密市)
enterprise=$(find_or_create enterprise uscc 91350100M000100Y43 name=首次运行焊接厂 \
    community_id="$community")
admin machine create chip_id="$chip" process_category=fusion enterprise_id="$enterprise" \
    keeper_name=王五
machine=$(field id)
field psk >"$T/machine.psk"
id_no=$(idcard "$run_id")
admin welder create name=张三 idcard="$id_no" licence_no="T$id_no" categories=fusion \
    issued_on="$(date -d '-2 years' +%F)"
welder=$(field id)
code=$(field code)
[[ $code == WR3:* ]] || fail "the welder's code was not issued: $(cat "$T/out")"
admin welder train id="$welder" course=动火作业安全 completed_on="$(date -d '-30 days' +%F)" \
    hours=16 provider=新密市安全培训中心
admin permit create permit_no="DH-FR-$run_id" level=second enterprise_id="$enterprise" \
    site_address=三号车间 site_lat=34.52 site_lon=113.38 \
    starts_at="$(date -u -d '-10 minutes' +%Y-%m-%dT%H:%M:%SZ)" \
    ends_at="$(date -u -d '+6 hours' +%Y-%m-%dT%H:%M:%SZ)" \
    gas_analysis_at="$(date -u -d '-5 minutes' +%Y-%m-%dT%H:%M:%SZ)" approver=安全科 \
    fire_watch=李四 welders="$welder" machines="$machine"
ok "enrolled machine $chip and welder $welder (code issued), training and permit"

# 5. The welder scans their code at the machine: unlocked (the server loads the permit through
# NOTIFY, so the first try may come before it; each try is a new event).
for seq in $(seq 1 50); do
    rc=0
    "${WELDTAG[@]}" checkin "${SERVER[@]}" --identity "$chip" --psk-file "$T/machine.psk" \
        --ev scan --seq "$seq" --code "$code" --lat 34.52 --lon 113.38 >"$T/out" 2>&1 || rc=$?
    ((rc == 0)) && break
    sleep 0.2
done
((rc == 0)) && grep -q '^unlocked until' "$T/out" || { cat "$T/out"; fail "the welder's scan: exit $rc"; }
[[ $(sql "SELECT ok FROM checkins WHERE chip_id = '$chip' AND seq = $seq") == t ]] ||
    fail "the scan that unlocked was not stored as approved"
[[ $(sql "SELECT count(*) FROM work_sessions ws JOIN machines m ON m.id = ws.machine_id
          WHERE m.chip_id = '$chip' AND ws.closed_at IS NULL") == 1 ]] ||
    fail "no open work session for $chip"
ok "the welder's real code scanned at the machine: $(cat "$T/out")"

# 6. The web, as printed: its login page with the printed curl command, a login as the printed
# development inspector, and the welder's page for the code just scanned.
for ((i = 0; i < 100; i++)); do
    grep -q 'event=web_ready' "$T/run.out" && break
    sleep 0.1
done
grep -q 'event=web_ready' "$T/run.out" || fail "weldreg-web did not start"
web_cmd=$(awk '/^  curl --cacert / { sub(/^ +/, ""); print; exit }' "$T/run.out")
[[ -n $web_cmd ]] || fail "./dev run printed no curl command for the web"
read -ra web_words <<<"$web_cmd"
"${web_words[@]}" -sS -o "$T/login.html" || fail "the printed command failed: $web_cmd"
grep -q 'action="/login"' "$T/login.html" || fail "the printed address gave no login page"
web_url=${web_words[-1]%/login}
web_pw=$(awk '$1 == "inspector" && $2 == "inspector-dev" && $3 == "password" { print $4 }' "$T/run.out")
[[ -n $web_pw ]] || fail "./dev run printed no password for inspector-dev"
st=$(curl -sS --cacert certs/out/ca.crt -o /dev/null -D "$T/login.h" -w '%{http_code}' \
    --data-urlencode login=inspector-dev --data-urlencode "password=$web_pw" "$web_url/login")
[[ $st == 303 ]] && grep -qi '^set-cookie: __Host-weldreg=' "$T/login.h" ||
    fail "the printed inspector could not log in (HTTP $st)"
code_path=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$code")
curl -sS --cacert certs/out/ca.crt -o "$T/welder.html" "$web_url/w/$code_path"
grep -q '今日有动火作业许可证' "$T/welder.html" && grep -q '操作证今日有效' "$T/welder.html" ||
    fail "the welder's page does not show the permit and licence: $(grep -o '<ul id="status">.*</ul>' "$T/welder.html")"
ok "weldreg-web: the printed login page, the printed inspector logged in, the welder's page shows the permit"

# 6b. The demo label ./dev run printed, read as a camera would (rendered, then decoded), opens
# the machine's status card for the printed inspector.
label=$(sed -nE 's/.*its printable label with the signed code: ([^ ]+\.pdf)\.?$/\1/p' "$T/run.out")
[[ -n $label && -s $label ]] || fail "./dev run printed no demo label (or it is missing: $label)"
pdftoppm -r 150 -png -singlefile "$label" "$T/label"
demo_code=$(zbarimg -q --raw "$T/label.png" | head -n 1)
[[ $demo_code == WR3:* ]] || fail "the demo label holds no weldreg code: $demo_code"
session=$(sed -nE 's/^[Ss]et-[Cc]ookie: __Host-weldreg=([0-9a-f]{64});.*/\1/p' "$T/login.h" | tr -d '\r')
demo_path=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$demo_code")
st=$(curl -sS --cacert certs/out/ca.crt -o "$T/card.html" -w '%{http_code}' \
    -b "__Host-weldreg=$session" "$web_url/m/$demo_path")
[[ $st == 200 ]] && grep -q '签名已核验' "$T/card.html" && grep -q 'WR-DEMO-01' "$T/card.html" ||
    fail "the demo label's card (HTTP $st): $(head -c 400 "$T/card.html")"
ok "the demo label (var/demo/label.pdf), decoded from its rendering, opens WR-DEMO-01's card for inspector-dev"

# 7. Ctrl-C stops the servers cleanly.
kill -INT "$RUN_PID"
rc=0
wait "$RUN_PID" || rc=$?
RUN_PID=""
((rc == 0)) && grep -q 'event=stopped' "$T/run.out" || fail "the server did not stop cleanly (exit $rc)"
grep -q 'event=web_stopping' "$T/run.out" || fail "weldreg-web was not stopped"
ok "./dev run stopped by Ctrl-C (SIGINT), both servers, exit 0"
echo "test-firstrun: all checks passed"
