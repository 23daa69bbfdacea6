#!/usr/bin/env bash
# test-counts.sh — the counts (底数) end to end with weldtag only: an administrator enrols two
# communities, three enterprises, machines in every status, welders whose licences are valid,
# expiring, expired and overdue for review, trainings and permits; machines scan through the real
# server (approved and refused); a violation is acknowledged; history a year back is added in
# SQL. Then: exact counts now and for a past day (boundaries at China midnight, licence states
# and training as of that day), per community and per enterprise, tables and CSV; an inspector
# sees only their community (4.03 for another); a machine gets 4.03; bad queries get 4.00 naming
# the parameter.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

WELDTAG="$WELDREG_BUILD_DIR/tag-reader/weldtag"
T=$WR_TMP
wr_db_create counts
admin_psk=$(wr_provision admin admin-k)
printf 'code_issuer = counts\n' >>"$T/weldreg.conf"
wr_server_start
SERVER=(--server "coaps://127.0.0.1:$WR_PORT")
AS_ADMIN=("${SERVER[@]}" --identity admin-k --psk-file "$admin_psk")

run() { # RC COMMAND...: runs COMMAND with its output in $T/out, fails unless it exits RC
    local want=$1 rc=0
    shift
    "$@" >"$T/out" 2>&1 || rc=$?
    ((rc == want)) || { cat "$T/out"; wr_fail "expected exit $want, got $rc: $*"; }
}
expect_text() { grep -qF -- "$1" "$T/out" || { cat "$T/out"; wr_fail "expected \"$1\""; }; }
admin() { run 0 "$WELDTAG" admin "$@" --json "${AS_ADMIN[@]}"; }
field() { sed -E "s/.*\"$1\":\"?([^\",}]*)\"?.*/\\1/" "$T/out"; }
day() { TZ=Asia/Shanghai date -d "$TODAY $1" +%F; } # a China calendar day relative to today

# idcard SEQ: a GB 11643 number with its check character
idcard() {
    local body i sum=0 weights=(7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2) checks=10X98765432
    body=$(printf '11010519800101%03d' "$1")
    for ((i = 0; i < 17; i++)); do sum=$((sum + ${body:i:1} * weights[i])); done
    printf '%s%s\n' "$body" "${checks:sum%11:1}"
}
welder() { # NAME SEQ KEY=VALUE...: enrols a welder, sets $wid and $wcode
    local name=$1 id
    id=$(idcard "$2")
    shift 2
    admin welder create name="$name" idcard="$id" licence_no="T$id" categories=fusion "$@"
    wid=$(field id)
    wcode=$(field code)
}

# --- the world ---
TODAY=$(TZ=Asia/Shanghai date +%F)
admin community create code=410183-003 name=青屏街社区 district=新密市
admin community create code=410183-004 name=西大街社区 district=新密市
admin enterprise create uscc=91350100M000100Y43 name=新密焊接厂 community_id=1
admin enterprise create uscc=91110000100000000R name=青屏钢构 community_id=1
admin enterprise create uscc=91110000600037341L name=西街钢构 community_id=2
for m in 1:1 2:1 3:1 4:1 5:2 6:3; do # machine:enterprise
    admin machine create chip_id=WR-K-000${m%%:*} process_category=fusion \
        enterprise_id=${m##*:} keeper_name=王五
    printf '%s\n' "$(field psk)" >"$T/m${m%%:*}.psk"
done
admin machine update id=3 status=suspended
admin machine retire id=4 note=报废
welder 张一 1 issued_on="$(day '-2 years')"
w1=$wcode
welder 李二 2 issued_on="$(day '-5 years')" valid_until="$(day '+30 days')" \
    review_due="$(day '+30 days')"
w2=$wcode
welder 王三 3 issued_on="$(day '-2 years')"
w3=$wcode # issued while valid; the licence found expired later
admin welder update id=3 issued_on="$(day '-6 years -30 days')" valid_until="$(day '-30 days')" \
    review_due="$(day '-3 years -30 days')"
welder 赵四 4 issued_on="$(day '-4 years')"
w4=$wcode
welder 钱五 5 issued_on="$(day '-2 years')"
w5=$wcode
welder 孙六 6 issued_on="$(day '-2 years')"
train() { admin welder train id="$1" course=动火作业安全 completed_on="$2" hours=16 provider=培训中心; }
train 1 "$(day '-30 days')"
train 2 "$(day '-30 days')"
train 4 "$(day '-600 days')"
permit() { # NO ENTERPRISE WELDERS MACHINES
    admin permit create permit_no="$1" level=second enterprise_id="$2" site_address=车间 \
        site_lat=34.52 site_lon=113.38 starts_at="$(date -u -d '-10 minutes' +%FT%TZ)" \
        ends_at="$(date -u -d '+6 hours' +%FT%TZ)" gas_analysis_at="$(date -u -d '-5 minutes' +%FT%TZ)" \
        approver=安全科 fire_watch=李四 welders="$3" machines="$4"
}
permit DH-K-1 1 1,2,4 1,2,3
permit DH-K-2 2 1,3,6 5
permit DH-K-3 3 5 6
admin principal create identity=insp-k role=inspector communities=1
printf '%s\n' "$(field psk)" >"$T/insp.psk"
AS_INSPECTOR=("${SERVER[@]}" --identity insp-k --psk-file "$T/insp.psk")
sleep 1 # the running server picks the registry up through NOTIFY
wr_ok "enrolled: 2 communities, 3 enterprises, 6 machines (1 suspended, 1 scrapped), 6 welders"

scan() { # MACHINE SEQ CODE: a welder's scan as the machine's chip; its exit code
    local rc=0
    "$WELDTAG" checkin "${SERVER[@]}" --identity "WR-K-000$1" --psk-file "$T/m$1.psk" \
        --seq "$2" --ev scan --code "$3" --lat 34.52 --lon 113.38 >"$T/scan.out" 2>&1 || rc=$?
    return $rc
}
scan 3 1 "$w1" && wr_fail "a suspended machine was unlocked"
scan 1 1 "$w4" && wr_fail "a welder overdue for review was let work"
scan 1 2 "$w1" || wr_fail "a valid welder was refused: $(cat "$T/scan.out")"
scan 2 1 "$w2" || wr_fail "a welder whose licence expires soon was refused: $(cat "$T/scan.out")"
scan 5 1 "$w3" && wr_fail "a welder with an expired licence was let work"
scan 6 1 "$w5" && wr_fail "an untrained welder was let work"
wr_ok "6 scans through the server: 2 approved, 4 refused"

REGISTRY_NOW=(machines_active=3 machines_suspended=1 machines_scrapped=1 welders_valid=2
    welders_expiring=1 welders_expired=1 welders_review_overdue=1 welders_revoked=0 certified=3
    trained=2 trained_share=0.6667)
ACTIVITY_NOW=(scans=5 approvals=2 denials=3 denied_machine_suspended=1
    denied_licence_review_overdue=1 denied_licence_expired=1 denied_training_missing=1
    violations=3 kind_machine_suspended=1 kind_licence_review_overdue=1 kind_licence_expired=1)

# --- this month, per community ---
run 0 "$WELDTAG" counts --csv - "${AS_ADMIN[@]}"
month=$(TZ=Asia/Shanghai date +%Y-%m)
head -1 "$T/out" | grep -q '^from,to,id,code,name,machines_active,' || wr_fail "CSV header: $(head -1 "$T/out")"
grep -q "^$month-01,$month-[0-9][0-9],1,410183-003,青屏街社区," "$T/out" || wr_fail "no row for community 1"
wr_expect_cells 青屏街社区 "${REGISTRY_NOW[@]}" "${ACTIVITY_NOW[@]}"
wr_expect_cells 西大街社区 machines_active=1 machines_suspended=0 welders_valid=1 certified=1 \
    trained=0 trained_share=0.0000 scans=1 approvals=0 denials=1 denied_training_missing=1
wr_expect_cells total machines_active=4 machines_scrapped=1 welders_valid=3 welders_expiring=1 \
    certified=4 trained=2 trained_share=0.5000 scans=6 approvals=2 denials=4
wr_ok "this month per community: machines by status, licences, training share, scans, denials"

# --- a violation acknowledged moves from open to acknowledged ---
vid=$(wr_psql "SELECT id FROM violations WHERE kind = 'licence_expired'")
run 0 "$WELDTAG" violations acknowledge "$vid" --note 已通知企业 "${AS_INSPECTOR[@]}"
run 0 "$WELDTAG" counts --community 1 --csv - "${AS_INSPECTOR[@]}"
wr_expect_cells 青屏街社区 violations=3 violations_open=2 violations_acknowledged=1 \
    violations_resolved=0 "${REGISTRY_NOW[@]}"
wr_ok "violations by status follow the life cycle"

# --- per enterprise: a welder on two enterprises' permits counts in each, once in the total ---
run 0 "$WELDTAG" counts --by enterprise --csv - "${AS_ADMIN[@]}"
head -1 "$T/out" | grep -q '^from,to,id,uscc,name,community_id,' || wr_fail "CSV header by enterprise"
wr_expect_cells 新密焊接厂 machines_active=2 machines_suspended=1 machines_scrapped=1 welders_valid=1 \
    welders_expiring=1 welders_review_overdue=1 certified=2 trained=2 trained_share=1.0000 \
    scans=4 approvals=2 denials=2 violations=2
wr_expect_cells 青屏钢构 machines_active=1 welders_valid=2 welders_expired=1 certified=2 trained=1 \
    trained_share=0.5000 scans=1 denials=1 denied_licence_expired=1 violations=1
wr_expect_cells 西街钢构 machines_active=1 welders_valid=1 trained_share=0.0000 scans=1
wr_expect_cells total welders_valid=3 certified=4 trained=2 scans=6 violations=3
run 0 "$WELDTAG" counts --enterprise 2 --csv - "${AS_ADMIN[@]}"
wr_expect_cells 青屏街社区 machines_active=1 machines_suspended=0 welders_valid=2 welders_expired=1 \
    scans=1 violations=1
[[ $(wc -l <"$T/out") -eq 3 ]] || { cat "$T/out"; wr_fail "one enterprise: one row and the total"; }
wr_ok "per enterprise, and one enterprise alone"

# --- history: a day a year back, boundaries at China midnight, states as of that day ---
past=$(day '-400 days')
wr_psql "UPDATE machines SET registered_at = now() - interval '500 days';
    UPDATE welders SET created_at = now() - interval '500 days';
    UPDATE permits SET created_at = now() - interval '500 days';
    INSERT INTO checkins (chip_id, machine_id, seq, ev, received_at, body_hash, ok, reasons)
    VALUES ('WR-K-0001', 1, 1000, 'scan', '$past 00:00:00+08', sha256('a'), false,
            '{licence_review_overdue}'),
           ('WR-K-0001', 1, 1001, 'scan', '$past 23:59:59.999+08', sha256('b'), true, '{}'),
           ('WR-K-0001', 1, 1002, 'scan', '$(day '-401 days') 23:59:59.999+08', sha256('c'), true, '{}'),
           ('WR-K-0001', 1, 1003, 'scan', '$(day '-399 days') 00:00:00+08', sha256('d'), true, '{}');
    INSERT INTO violations (kind, severity, community_id, enterprise_id, machine_id, occurred_at)
    VALUES ('licence_review_overdue', 'critical', 1, 1, 1, '$past 00:00:00+08'),
           ('tamper', 'critical', 1, 1, 1, '$past 23:59:59.999+08'),
           ('tamper', 'critical', 1, 1, 1, '$(day '-401 days') 23:59:59.999+08'),
           ('tamper', 'critical', 1, 1, 1, '$(day '-399 days') 00:00:00+08')" >/dev/null
run 0 "$WELDTAG" counts --from "$past" --to "$past" --csv - "${AS_ADMIN[@]}"
grep -q "^$past,$past,1," "$T/out" || wr_fail "the period is not the day asked for"
# M4, scrapped today, was active then; W3 was overdue for review, not yet expired; W2 not yet
# expiring; W4 was valid and trained (600 days ago), W1 and W2 not yet trained
wr_expect_cells 青屏街社区 machines_active=4 machines_suspended=1 machines_scrapped=0 \
    welders_valid=4 welders_expiring=0 welders_expired=0 welders_review_overdue=1 certified=4 \
    trained=1 trained_share=0.2500 scans=2 approvals=1 denials=1 denied_licence_review_overdue=1 \
    violations=2 kind_tamper=1 kind_licence_review_overdue=1
wr_expect_cells total scans=2 violations=2 certified=5 trained=1
run 0 "$WELDTAG" counts --from "$(day '-402 days')" --to "$(day '-401 days')" --csv - "${AS_ADMIN[@]}"
wr_expect_cells total scans=1 violations=1
wr_ok "a past day: China midnight boundaries, registry, licences and training as of that day"

# --- months and quarters for the dispatch and the report ---
run 0 "$WELDTAG" counts --quarter 2026-Q1 --csv "$T/q1.csv" "${AS_ADMIN[@]}"
expect_text "wrote 3 rows to $T/q1.csv"
grep -q '^2026-01-01,2026-03-31,1,' "$T/q1.csv" || wr_fail "quarter 2026-Q1 is not January to March"
run 0 "$WELDTAG" counts --month 2024-02 --csv - "${AS_ADMIN[@]}"
grep -q '^2024-02-01,2024-02-29,' "$T/out" || wr_fail "month 2024-02 is not the whole leap month"
wr_expect_cells total machines_active=0 scans=0 certified=0
this_year=$(TZ=Asia/Shanghai date +%Y)
run 0 "$WELDTAG" counts --year "$this_year" --csv - "${AS_ADMIN[@]}"
grep -q "^$this_year-01-01,$this_year-12-31," "$T/out" || wr_fail "--year is not January to December"
run 0 "$WELDTAG" counts --from "$(day '-402 days')" --to "$(day '-0 days')" --csv - "${AS_ADMIN[@]}"
wr_expect_cells total scans=10 approvals=5 denials=5 violations=7
run 2 "$WELDTAG" counts --year 26 "${AS_ADMIN[@]}"
expect_text 'year "26": expected YYYY'
run 2 "$WELDTAG" counts --month 2026-13 "${AS_ADMIN[@]}"
expect_text 'month "2026-13": no such month'
run 2 "$WELDTAG" counts --quarter 2026-Q5 "${AS_ADMIN[@]}"
expect_text 'expected YYYY-Qn'
run 2 "$WELDTAG" counts --month 2026-11 --from 2026-11-01 "${AS_ADMIN[@]}"
expect_text 'give one of --month, --quarter, --year or --from/--to'
run 2 "$WELDTAG" counts --from 2026-11-30 --to 2026-11-01 "${AS_ADMIN[@]}"
expect_text 'the period ends before it starts'
run 2 "$WELDTAG" counts --community '1&by=x' "${AS_ADMIN[@]}"
expect_text 'is not an id'
wr_ok "months, quarters and bad periods in weldtag"

# --- the tables: Chinese names aligned, every reason that occurs a column ---
run 0 "$WELDTAG" counts "${AS_ADMIN[@]}"
expect_text "counts $month-01 to $month-"
grep -qE '^青屏街社区 +3 +1 +1 +2 +1 +1 +1 +0 +3 +2 +0\.6667$' "$T/out" || { cat "$T/out"; wr_fail "registry table row"; }
grep -qE '^total      +4 +1 +1 +3 +1 +1 +1 +0 +4 +2 +0\.5000$' "$T/out" || { cat "$T/out"; wr_fail "total row not aligned under the names"; }
expect_text "licence_expired"
# below a table, each reason column in words, Chinese first
expect_text "  licence_expired: 焊工证已过期 (the welder's licence has expired)"
# in terminal columns (a CJK character takes two) every line of a table is as long as the others
LC_ALL=C.UTF-8 sed -E 's/[^ -~]/xx/g' "$T/out" |
    awk 'NF == 0 { t++ } t && NF > 1 && !/[|]/ && !/^  [a-z_]+: / { print t, length($0) }' |
    sort -u | wc -l | grep -q '^3$' || { cat "$T/out"; wr_fail "table lines are not aligned"; }
wr_ok "tables print aligned with Chinese names"

# --- scope: an inspector sees their community; machines see nothing ---
run 0 "$WELDTAG" counts --csv - "${AS_INSPECTOR[@]}"
[[ $(wc -l <"$T/out") -eq 3 ]] || { cat "$T/out"; wr_fail "an inspector sees other communities"; }
grep -q 西大街社区 "$T/out" && wr_fail "an inspector sees community 2"
wr_expect_cells total "${REGISTRY_NOW[@]}" scans=5 violations=3
run 4 "$WELDTAG" counts --community 2 "${AS_INSPECTOR[@]}"
expect_text "4.03"
expect_text "community 2 is outside your communities"
run 4 "$WELDTAG" counts --enterprise 3 "${AS_INSPECTOR[@]}"
expect_text "enterprise 3 is outside your communities"
run 4 "$WELDTAG" counts --community 9 "${AS_INSPECTOR[@]}"
expect_text "4.03"
run 4 "$WELDTAG" counts --community 9 "${AS_ADMIN[@]}"
expect_text "4.04"
expect_text "no community 9"
run 4 "$WELDTAG" counts --identity WR-K-0001 --psk-file "$T/m1.psk" "${SERVER[@]}"
expect_text "4.03"
wr_ok "inspectors: their communities only, 4.03 for another; machines: 4.03; 4.04 for none"

# --- bad queries straight over CoAP: 4.00 naming the parameter; JSON on request ---
coap() { # QUERY: GET /v1/counts?QUERY as the administrator, the answer in $T/out
    coap-client-openssl -m get -k "$(cat "$admin_psk")" -u admin-k -A 50 -B 20 \
        "coaps://127.0.0.1:$WR_PORT/v1/counts?$1" >"$T/out" 2>&1 || true
}
coap 'from=2026-02-30'
expect_text '4.00'
expect_text 'query "from": expected a date YYYY-MM-DD, not "2026-02-30"'
coap 'to=yesterday'
expect_text 'query "to": expected a date'
coap 'from=2026-11-02&to=2026-11-01'
expect_text 'query "to": the period ends before it starts'
coap 'by=street'
expect_text 'query "by": expected community, enterprise or industry'
coap 'community=abc'
expect_text 'query "community": expected a whole number'
coap 'form=2026-11-01'
expect_text 'query "form": unknown; use from, to, community, enterprise or by'
coap "from=$past&to=$past&by=enterprise"
expect_text '"by" : "enterprise"'
expect_text '"name" : "新密焊接厂"'
wr_ok "bad queries: 4.00 naming the parameter; JSON when asked"

# --- a large answer goes block-wise: 600 more enterprises, one row each ---
wr_psql "INSERT INTO enterprises (uscc, name, community_id)
    SELECT '9111000060' || lpad(i::text, 8, '0'), '企业' || i, 1 + i % 2
    FROM generate_series(1, 600) i" >/dev/null
run 0 "$WELDTAG" counts --by enterprise --csv - "${AS_ADMIN[@]}"
[[ $(wc -l <"$T/out") -eq 605 ]] || wr_fail "by enterprise: $(wc -l <"$T/out") lines, expected 605"
wr_expect_cells 企业600 machines_active=0 scans=0
wr_expect_cells total machines_active=4 scans=6 violations=3
wr_ok "603 enterprises and the total in one block-wise answer"
