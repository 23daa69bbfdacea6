#!/usr/bin/env bash
# test-inspector.sh — enforcement on site, tried as a new inspector would with weldtag only: an
# administrator enrols two communities, a machine in each and an inspector for the first; the
# inspector photographs the label of a machine and gets its status card (offline part without
# the server too); watches violations arrive live while a simulated machine is refused; filters
# them; acknowledges and resolves one (history kept, final states final); reports a machine
# without a chip and a forged code. Scope: the other community's machine and violations stay
# hidden; machines get 4.03; bad input gets 4.00 with a diagnostic.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

WELDTAG="$WELDREG_BUILD_DIR/tag-reader/weldtag"
T=$WR_TMP
wr_db_create inspector
admin_psk=$(wr_provision admin admin-i)
# as `./dev run` provisions its inspector: no communities yet
dev_psk=$(wr_provision inspector inspector-dev)
printf 'code_issuer = inspect\n' >>"$T/weldreg.conf"
wr_server_start
SERVER=(--server "coaps://127.0.0.1:$WR_PORT")
AS_ADMIN=("${SERVER[@]}" --identity admin-i --psk-file "$admin_psk")
TRUST=(--trust-list "$WR_CERTS_DIR/trust.list")

run() { # RC COMMAND...: runs COMMAND with its output in $T/out, fails unless it exits RC
    local want=$1 rc=0
    shift
    "$@" >"$T/out" 2>&1 || rc=$?
    ((rc == want)) || { cat "$T/out"; wr_fail "expected exit $want, got $rc: $*"; }
}
expect_text() { grep -qF -- "$1" "$T/out" || { cat "$T/out"; wr_fail "expected \"$1\""; }; }
refute_text() { ! grep -qF -- "$1" "$T/out" || { cat "$T/out"; wr_fail "did not expect \"$1\""; }; }
admin() { run 0 "$WELDTAG" admin "$@" --json "${AS_ADMIN[@]}"; }
field() { sed -E "s/.*\"$1\":\"?([^\",}]*)\"?.*/\\1/" "$T/out"; }

# --- the world: two communities, a machine in each, a welder, an inspector for community 1 ---
admin community create code=410183-003 name=青屏街社区 district=新密市
admin community create code=410183-004 name=西大街社区 district=新密市
admin enterprise create uscc=91350100M000100Y43 name=新密焊接厂 community_id=1
admin enterprise create uscc=91110000600037341L name=西街钢构 community_id=2
admin machine create chip_id=WR-I-0001 process_category=fusion enterprise_id=1 keeper_name=王五 \
    keeper_phone=13800000001 serial=SN-1 model=ZX7-400 rated_current_a=400
printf '%s\n' "$(field psk)" >"$T/m1.psk"
code1=$(field code)
admin machine create chip_id=WR-I-0002 process_category=fusion enterprise_id=2 keeper_name=赵六
printf '%s\n' "$(field psk)" >"$T/m2.psk"
code2=$(field code)
[[ $code1 == WR3:* && $code2 == WR3:* ]] || wr_fail "machine codes were not issued"
admin welder create name=张三丰 idcard=11010519491231002X licence_no=T11010519491231002X \
    categories=fusion issued_on="$(date -d '-2 years' +%F)"
wcode=$(field code)
welder=$(field id)
admin welder train id="$welder" course=动火作业安全 completed_on="$(date -d '-30 days' +%F)" \
    hours=16 provider=新密市安全培训中心
admin permit create permit_no=DH-I-001 level=second enterprise_id=1 site_address=三号车间 \
    site_lat=34.52 site_lon=113.38 starts_at="$(date -u -d '-10 minutes' +%FT%TZ)" \
    ends_at="$(date -u -d '+6 hours' +%FT%TZ)" gas_analysis_at="$(date -u -d '-5 minutes' +%FT%TZ)" \
    approver=安全科 fire_watch=李四 welders="$welder" machines=1
admin principal create identity=insp-a role=inspector communities=1
printf '%s\n' "$(field psk)" >"$T/insp.psk"
AS_INSPECTOR=("${SERVER[@]}" --identity insp-a --psk-file "$T/insp.psk")
sleep 1 # the running server picks the registry up through NOTIFY
wr_ok "enrolled: two communities, two machines, a welder with a permit, an inspector of community 1"

machine() { # CHIP SEQ EV [options]: a check-in as the machine's chip
    local chip=$1 seq=$2 ev=$3 psk rc=0
    psk=$T/m${chip: -1}.psk
    shift 3
    "$WELDTAG" checkin "${SERVER[@]}" --identity "$chip" --psk-file "$psk" --seq "$seq" \
        --ev "$ev" "$@" >"$T/machine.out" 2>&1 || rc=$?
    return $rc
}

# --- the status card from a photo of the printed label ---
printf '%s\n' "$code1" >"$T/sheet.txt"
run 0 "$WELDTAG" labels "$T/sheet.txt" --out "$T/sheet.pdf" --hotline "Hotline 12345"
pdftoppm -r 200 -png -singlefile "$T/sheet.pdf" "$T/sheet"
# a phone photo: slightly turned, soft, JPEG
convert "$T/sheet.png" -rotate 4 -blur 0x1 -quality 80 "$T/photo.jpg"
machine WR-I-0001 1 scan --code "$wcode" --lat 34.52 --lon 113.38 ||
    wr_fail "the welder's scan was refused: $(cat "$T/machine.out")"
run 0 "$WELDTAG" card --image "$T/photo.jpg" "${TRUST[@]}" "${AS_INSPECTOR[@]}"
expect_text "OFFLINE check"
expect_text "result:      VALID"
expect_text "ONLINE record"
expect_text "WR-I-0001  fusion, rated 400 A, active, registered"
expect_text "新密焊接厂 (91350100M000100Y43), active"
expect_text "青屏街社区, 新密市"
expect_text "王五  13800000001"
expect_text "welder 张**, licence T"
expect_text "valid, valid until"
expect_text "permit DH-I-001 (second level)"
expect_text "scan, accepted"
expect_text "open violations: 0"
refute_text "张三丰"
wr_ok "a photo of the label gives the card: offline check, then the record, welder masked"

run 0 "$WELDTAG" card "$code1" --offline "${TRUST[@]}"
expect_text "result:      VALID"
refute_text "ONLINE"
run 3 "$WELDTAG" card "$code1" "${TRUST[@]}" --server coaps://127.0.0.1:9 --identity insp-a \
    --psk-file "$T/insp.psk" --timeout 2
expect_text "result:      VALID"
expect_text "could not be reached"
wr_ok "with no network the card still shows what the signed code proves, marked offline"

run 4 "$WELDTAG" card "$code2" "${TRUST[@]}" "${AS_INSPECTOR[@]}"
expect_text "4.03"
expect_text "outside your communities"
run 2 "$WELDTAG" card "$wcode" "${TRUST[@]}" "${AS_INSPECTOR[@]}"
expect_text "welder's code"
wr_ok "another community's machine: 4.03; a welder's code: usage error"

# --- live alerts while machines are refused, and a burst ---
ids_after() { # ID: the ids of community 1's violations above ID, in order
    wr_psql "SELECT coalesce(string_agg(id::text, ' ' ORDER BY id), '') FROM violations
             WHERE community_id = 1 AND id > $1"
}
before=$(wr_psql "SELECT coalesce(max(id), 0) FROM violations")
# community 1 gets 62: an arc after the end, a tamper, 60 reports (--for only stops a hang)
"$WELDTAG" watch --json --count 62 --for 180 "${AS_INSPECTOR[@]}" >"$T/watch.out" \
    2>"$T/watch.err" &
watch_pid=$!
sleep 2
machine WR-I-0002 1 arc && wr_fail "an arc without a scan was accepted on machine 2"
machine WR-I-0001 2 end || true # the machine locks: exit 1
machine WR-I-0001 3 arc --amp 120 && wr_fail "an arc after the end was accepted"
machine WR-I-0001 4 tamper && wr_fail "tamper was accepted"
# a burst: 60 on-site reports as fast as one inspector's tool can send them
for i in $(seq 1 60); do
    "$WELDTAG" report machine_without_chip --community 1 --note "burst $i" "${AS_INSPECTOR[@]}" \
        >/dev/null 2>&1 || wr_fail "report $i failed"
done
wait "$watch_pid" || { cat "$T/watch.err"; wr_fail "weldtag watch failed"; }
got=$(sed -E 's/^\{"id":([0-9]+).*/\1/' "$T/watch.out" | tr '\n' ' ')
want=$(ids_after "$before")
[[ ${got% } == "$want" ]] || wr_fail "watch: got [$got], want [$want]"
grep -q '"kind":"work_outside_platform"' "$T/watch.out" || wr_fail "watch: no work_outside_platform"
grep -q '"kind":"tamper"' "$T/watch.out" || wr_fail "watch: no tamper"
grep -q 'WR-I-0002' "$T/watch.out" && wr_fail "watch: another community's violation leaked"
wr_ok "watch: $(wc -l <"$T/watch.out") violations of community 1 arrived live, in order, burst included; none of community 2"

# a late observer catches up from the last id it saw: more than one window, nothing lost
first=$(sed -E 's/^\{"id":([0-9]+).*/\1/' "$T/watch.out" | head -1)
want=$(ids_after "$first")
total=$(wc -w <<<"$want")
((total > 50)) || wr_fail "the catch-up should span more than one window of 50 ($total)"
"$WELDTAG" watch --json --after "$first" --count "$total" --for 30 "${AS_INSPECTOR[@]}" \
    >"$T/late.out" 2>"$T/late.err" || { cat "$T/late.err"; wr_fail "late watch failed"; }
got=$(sed -E 's/^\{"id":([0-9]+).*/\1/' "$T/late.out" | tr '\n' ' ')
[[ ${got% } == "$want" ]] || wr_fail "late watch: got [$got], want [$want]"
wr_ok "a late observer catches up from id $first: $total violations, in order, none lost"

# a burst of hundreds per second, from any writer (here SQL, as another server would): the
# database announces them, the observer gets every one
before=$(wr_psql "SELECT max(id) FROM violations")
"$WELDTAG" watch --json --count 1000 --for 180 "${AS_INSPECTOR[@]}" >"$T/burst.out" \
    2>"$T/burst.err" &
watch_pid=$!
sleep 2
t0=$(date +%s%N)
for i in $(seq 1 10); do
    wr_psql "INSERT INTO violations (kind, severity, community_id, occurred_at, details)
             SELECT 'permit_none', 'critical', 1, now(), jsonb_build_object('burst', $i)
             FROM generate_series(1, 100)" >/dev/null
done
ms=$((($(date +%s%N) - t0) / 1000000))
wait "$watch_pid" || { cat "$T/burst.err"; wr_fail "weldtag watch (burst) failed"; }
got=$(sed -E 's/^\{"id":([0-9]+).*/\1/' "$T/burst.out" | tr '\n' ' ')
[[ ${got% } == "$(ids_after "$before")" ]] || wr_fail "burst: the observer missed violations"
wr_ok "a burst of 1000 violations in $ms ms ($((1000000 / (ms + 1))) per second): all 1000 observed, in order"

# --- filters ---
run 0 "$WELDTAG" violations list kind=tamper "${AS_INSPECTOR[@]}"
expect_text "tamper"
expect_text "         焊机报告被拆改 (the machine reports that it was tampered with)"
refute_text "work_outside_platform"
run 0 "$WELDTAG" violations list "${AS_ADMIN[@]}" chip=WR-I-0002
expect_text "WR-I-0002"
refute_text "WR-I-0001"
run 0 "$WELDTAG" violations list "${AS_INSPECTOR[@]}" community_id=2
[[ $(wc -l <"$T/out") == 1 ]] || { cat "$T/out"; wr_fail "an inspector saw community 2"; }
run 0 "$WELDTAG" violations list --json "${AS_INSPECTOR[@]}" limit=5
[[ $(wc -l <"$T/out") == 5 ]] || { cat "$T/out"; wr_fail "limit=5 gave other than 5 lines"; }
run 0 "$WELDTAG" violations list --json --all "${AS_INSPECTOR[@]}" limit=7
[[ $(wc -l <"$T/out") == $(wr_psql "SELECT count(*) FROM violations WHERE community_id = 1") ]] ||
    wr_fail "--all did not follow every page"
today=$(TZ=Asia/Shanghai date +%F)
run 0 "$WELDTAG" violations list --json "${AS_INSPECTOR[@]}" from="$today" to="$today" status=open
[[ -s $T/out ]] || wr_fail "nothing today"
run 0 "$WELDTAG" violations list --json "${AS_INSPECTOR[@]}" to=2020-01-01
[[ ! -s $T/out ]] || wr_fail "violations before 2020"
wr_ok "violations filter by kind, chip, community (scoped), status, period; pages follow"

# --- the life cycle ---
tamper=$(wr_psql "SELECT id FROM violations WHERE kind = 'tamper'")
run 0 "$WELDTAG" violations show "$tamper" "${AS_INSPECTOR[@]}"
expect_text "#$tamper tamper (critical), open"
expect_text "meaning:     焊机报告被拆改 (the machine reports that it was tampered with)"
expect_text "check-in seq 4 (tamper)"
expect_text "open          by platform"
run 0 "$WELDTAG" violations acknowledge "$tamper" --note 到场核查 "${AS_INSPECTOR[@]}"
expect_text "acknowledged"
run 4 "$WELDTAG" violations resolve "$tamper" "${AS_INSPECTOR[@]}"
expect_text "4.00"
expect_text "say why"
# a 销号 needs evidence of the fix on record (test-rectify.sh tries the rest of the rectification)
run 0 "$WELDTAG" violations evidence "$tamper" --note "外壳更换，封签编号 F-0001" "${AS_INSPECTOR[@]}"
run 0 "$WELDTAG" violations resolve "$tamper" --note "外壳已修复，责令整改" "${AS_INSPECTOR[@]}"
expect_text "resolved      by insp-a: 外壳已修复，责令整改"
expect_text "acknowledged  by insp-a: 到场核查"
run 4 "$WELDTAG" violations dismiss "$tamper" --note again "${AS_INSPECTOR[@]}"
expect_text "4.09"
expect_text "resolved and dismissed are final"
other=$(wr_psql "SELECT id FROM violations WHERE machine_id = 2 LIMIT 1")
run 4 "$WELDTAG" violations acknowledge "$other" "${AS_INSPECTOR[@]}"
expect_text "4.04"
[[ $(wr_psql "SELECT count(*) FROM violation_events WHERE violation_id = $tamper
             AND entry = 'status'") == 2 ]] ||
    wr_fail "the history does not have two steps"
wr_psql "UPDATE violation_events SET note = 'x'" >/dev/null 2>&1 && wr_fail "history rewritten"
wr_ok "acknowledge, resolve (note required), final states final, history append-only, scope kept"

# --- on-site reports ---
run 0 "$WELDTAG" report machine_without_chip --community 1 --lat 34.53 --lon 113.39 \
    --address "青屏街 12 号院内" --note "无芯片焊机一台，正在作业" "${AS_INSPECTOR[@]}" --json
report_violation=$(field violation_id)
run 0 "$WELDTAG" violations show "$report_violation" "${AS_INSPECTOR[@]}"
expect_text "onsite_machine_without_chip (critical), open"
expect_text "on-site report by insp-a: machine_without_chip"
expect_text "无芯片焊机一台，正在作业"
# a code for machine 1 signed by a key the platform does not trust
openssl genpkey -algorithm ed25519 -out "$T/forger.key" 2>/dev/null
forged=$("$WELDTAG" issue machine --chip WR-I-0001 --ent 1 --cat fusion \
    --signing-key "$T/forger.key" --iss inspect 2>/dev/null)
run 0 "$WELDTAG" report code_invalid --code "$forged" "${TRUST[@]}" "${AS_INSPECTOR[@]}" --json
v=$(field violation_id)
run 0 "$WELDTAG" violations show "$v" --json "${AS_INSPECTOR[@]}"
expect_text '"kind":"onsite_code_invalid"'
expect_text '"chip_id":"WR-I-0001"'
expect_text '"check":"unknown_key"'
run 2 "$WELDTAG" report code_invalid --code "$code1" "${TRUST[@]}" "${AS_INSPECTOR[@]}"
expect_text "verifies offline"
run 4 "$WELDTAG" report machine_without_chip --community 2 "${AS_INSPECTOR[@]}"
expect_text "4.03"
run 4 "$WELDTAG" report machine_without_chip "${AS_INSPECTOR[@]}"
expect_text "community_id"
run 4 "$WELDTAG" report other --community 1 "${AS_INSPECTOR[@]}"
expect_text "describe what was found"
run 4 "$WELDTAG" report machine_without_chip --community 1 --lat 95 --lon 1 "${AS_INSPECTOR[@]}"
expect_text "lat"
run 0 "$WELDTAG" card "$code1" "${TRUST[@]}" "${AS_INSPECTOR[@]}"
expect_text "onsite_code_invalid (critical), open"
wr_ok "on-site reports become violations with evidence; bad reports refused with the reason"

# --- who may ask: machines none of it; bad queries 4.00 ---
coap() { # PATH [options]: coap-client-openssl as machine WR-I-0001
    coap-client-openssl -B 5 -u WR-I-0001 -k "$(cat "$T/m1.psk")" "$@" >"$T/out" 2>&1 || true
}
coap -m get "coaps://127.0.0.1:$WR_PORT/v1/violations"
expect_text "4.03"
coap -m get "coaps://127.0.0.1:$WR_PORT/v1/machines/card?chip=WR-I-0001"
expect_text "4.03"
coap -m post -e '{"kind":"other","note":"x","community_id":1}' -t 50 \
    "coaps://127.0.0.1:$WR_PORT/v1/reports"
expect_text "4.03"
run 4 "$WELDTAG" violations list status=closed "${AS_INSPECTOR[@]}"
expect_text "query \"status\""
run 4 "$WELDTAG" violations list from=2026-13-01 "${AS_INSPECTOR[@]}"
expect_text "query \"from\""
run 4 "$WELDTAG" violations list "chip=x';DROP TABLE violations;--" "${AS_INSPECTOR[@]}" limit=900
expect_text "query \"limit\""
run 4 "$WELDTAG" violations list "kind=x';DROP TABLE violations;--" "${AS_INSPECTOR[@]}"
expect_text "query \"kind\": expected machine_unknown, "
run 4 "$WELDTAG" violations list kind=tamper stauts=open "${AS_INSPECTOR[@]}"
expect_text "query \"stauts\": unknown; use id, "
run 0 "$WELDTAG" violations list --json "chip=x';DROP TABLE violations;--" "${AS_INSPECTOR[@]}"
[[ $(wr_psql "SELECT count(*) > 0 FROM violations") == t ]] || wr_fail "violations gone"
wr_ok "machines get 4.03; bad filters and kinds 4.00 naming the parameter; SQL stays data"

# --- an inspector's communities change, and the running server applies them at once ---
AS_DEV=("${SERVER[@]}" --identity inspector-dev --psk-file "$dev_psk")
run 4 "$WELDTAG" card "$code1" "${TRUST[@]}" "${AS_DEV[@]}"
expect_text "outside your communities"
run 0 "$WELDTAG" violations list --json "${AS_DEV[@]}"
[[ ! -s $T/out ]] || wr_fail "an inspector without communities saw violations"
update() { run "$1" "$WELDTAG" admin principal update "${@:2}" "${AS_ADMIN[@]}"; }
update 4 identity=nobody communities=1
expect_text '4.04: "no principal "nobody"'
update 4 identity=admin-i communities=1
expect_text '4.09: "principal "admin-i" is an administrator: only inspectors have communities'
update 4 identity=inspector-dev communities=1,99
expect_text '4.00: "field "communities": no community has id 99'
update 4 identity=inspector-dev communities=1,1
expect_text 'field "communities": community 1 is listed twice'
update 4 identity=inspector-dev communities=
expect_text 'field "communities": an inspector needs at least one community'
update 4 identity=inspector-dev role=admin communities=1
expect_text 'field "role"'
update 4 communities=1
expect_text 'say which principal to change'
run 4 "$WELDTAG" admin principal update identity=inspector-dev communities=1 "${AS_DEV[@]}"
expect_text "4.03"
loads=$(grep -c 'event=registry_loaded' "$WR_SERVER_LOG" || true)
update 0 identity=inspector-dev communities=1 --json
expect_text '"id":'
for ((i = 0; i < 50; i++)); do
    (($(grep -c 'event=registry_loaded' "$WR_SERVER_LOG") > loads)) && break
    sleep 0.1
done
(($(grep -c 'event=registry_loaded' "$WR_SERVER_LOG") > loads)) ||
    wr_fail "the running server did not reload its principals after the update"
run 0 "$WELDTAG" card "$code1" "${TRUST[@]}" "${AS_DEV[@]}"
expect_text "ONLINE record"
expect_text "WR-I-0001  fusion"
run 0 "$WELDTAG" violations list --json --all "${AS_DEV[@]}" limit=500
[[ $(wc -l <"$T/out") == $(wr_psql "SELECT count(*) FROM violations WHERE community_id = 1") ]] ||
    wr_fail "after the update the inspector does not see community 1's violations"
dev_id=$(wr_psql "SELECT id FROM principals WHERE identity = 'inspector-dev'")
update 0 id="$dev_id" communities=2 # replaces the list
run 4 "$WELDTAG" card "$code1" "${TRUST[@]}" "${AS_DEV[@]}"
expect_text "outside your communities"
run 0 "$WELDTAG" card "$code2" "${TRUST[@]}" "${AS_DEV[@]}"
expect_text "WR-I-0002"
run 0 "$WELDTAG" admin audit list entity=principal --json "${AS_ADMIN[@]}"
expect_text '"action":"principal.update"'
changes=$(wr_psql "SELECT string_agg(actor || ' ' || (before->'communities')::text || ' ' ||
                  (after->'communities')::text, ';' ORDER BY id) FROM audit_log
                  WHERE action = 'principal.update' AND entity_id = '$dev_id'")
[[ $changes == 'admin-i [] [1];admin-i [1] [2]' ]] ||
    wr_fail "the audit log does not hold both changes of inspector-dev's communities"
wr_ok "an inspector's communities are replaced (audited, bad changes refused) and apply at once"

run 0 "$WELDTAG" admin audit-verify "${AS_ADMIN[@]}"
expect_text "audit chain intact"
wr_server_stop
echo "test-inspector: all checks passed"
