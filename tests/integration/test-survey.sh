#!/usr/bin/env bash
# test-survey.sh — the survey (摸清底数) by CSV through weldtag: files of enterprises and of
# machines with several problems on different lines and columns are refused with EVERY problem
# named (line, column, Chinese and English) and nothing written; valid files are written whole;
# a machine named with another enterprise moves there (machine_transfers), its old code is
# revoked and its new code carries the new owner's number.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

WELDTAG="$WELDREG_BUILD_DIR/tag-reader/weldtag"
T=$WR_TMP
E1=91410100MA0000001X
E2=91410100MA00000021
E3=91410100MA00000034

wr_db_create survey_d
admin_psk=$(wr_provision admin admin-s)
insp_psk=$(wr_provision inspector inspector-x)
printf 'code_issuer = xinmi\n' >>"$T/weldreg.conf"
wr_server_start
AS_ADMIN=(--server "coaps://127.0.0.1:$WR_PORT" --identity admin-s --psk-file "$admin_psk")

expect() {
    local want=$1 rc=0
    shift
    "$@" >"$T/out" 2>&1 || rc=$?
    ((rc == want)) || { cat "$T/out"; wr_fail "expected exit $want, got $rc: $*"; }
}
expect_text() { grep -qF -- "$1" "$T/out" || { cat "$T/out"; wr_fail "output lacks \"$1\""; }; }
import() { "$WELDTAG" import "$@" "${AS_ADMIN[@]}"; }
# code_owner CHIP: the enterprise number carried by CHIP's code in the answer in $T/out
code_owner() {
    local code
    code=$(grep '^{' "$T/out" | sed -E "s/.*\"chip_id\":\"$1\",[^}]*\"code\":\"([^\"]*)\".*/\\1/")
    "$WELDTAG" read "$code" >"$T/read.out" 2>&1 || { cat "$T/read.out"; wr_fail "code unreadable"; }
    sed -nE 's/.*enterprise[^0-9]*([0-9]+).*/\1/p' "$T/read.out" | head -1
}

expect 0 "$WELDTAG" admin community create code=410183-001 name=青屏街道 district=新密市 \
    "${AS_ADMIN[@]}"
expect 0 "$WELDTAG" admin community create code=410183-002 name=新华路街道 district=新密市 \
    "${AS_ADMIN[@]}"

# 1. Enterprises: seven problems on four lines, all named; nothing written.
cat >"$T/ent-bad.csv" <<CSV
uscc,name,community,contact_phone,status,industry
$E1,新密甲焊接厂,410183-001,0371-69000001,active,C
91410100MA00000022,新密乙机械厂,410183-001,,,
$E3,,410183-999,12ab,paused,C33
$E1,重复的厂,410183-002,,,
CSV
expect 4 import enterprises "$T/ent-bad.csv"
cat "$T/out"
expect_text '第3行 第1列 uscc：校验码不符 — line 3, column 1: field "uscc": check character does not match'
expect_text '第4行 第2列 name：必填项为空'
expect_text '第4行 第3列 community：社区不存在 — line 4, column 3: no community has the code "410183-999"'
expect_text '第4行 第4列 contact_phone：电话号码格式不符'
expect_text '第4行 第5列 status：取值不在允许范围内'
expect_text '第4行 第6列 industry：行业应为国民经济行业分类门类字母A至T — line 4, column 6: field "industry": expected a section of GB/T 4754-2017'
expect_text '第5行 第1列 uscc：文件内重复 — line 5, column 1: the same uscc as on line 2'
expect_text 'weldtag: 7 problems (7 shown)'
[[ $(wr_psql "SELECT count(*) FROM enterprises") == 0 ]] || wr_fail "a bad survey wrote enterprises"
wr_ok "an enterprise survey with seven problems on four lines names every one and writes nothing"

# Forty bad lines: 120 problems, more than one datagram holds; weldtag asks for the whole list
# (?check=true) and prints every one.
{
    echo 'uscc,name,community'
    for i in $(seq 1 40); do echo "bad$i,,x y"; done
} >"$T/many.csv"
expect 4 import enterprises "$T/many.csv"
[[ $(grep -c '^  第' "$T/out") == 120 ]] || { cat "$T/out"; wr_fail "not every problem was printed"; }
expect_text '第41行 第3列 community：社区编码格式不符'
expect_text 'weldtag: 120 problems (120 shown)'
wr_ok "120 problems on 40 lines are all named"

# 2. A malformed CSV line is named too, with the problems before it.
printf 'uscc,name,community\n91410100MA00000022,x,410183-001\n%s,"y,410183-001\n' "$E1" \
    >"$T/ent-quote.csv"
expect 4 import enterprises "$T/ent-quote.csv"
expect_text '第2行 第1列 uscc：校验码不符'
expect_text '第3行：CSV格式错误 — line 3: unterminated quoted field (at character 20)'
wr_ok "a malformed CSV line is placed as well"

# 3. A valid enterprise survey is checked (nothing written), then written whole.
cat >"$T/ent.csv" <<CSV
uscc,name,community,address,contact_name,contact_phone,industry
$E1,新密甲焊接厂,410183-001,新密市青屏大街1号,李甲,0371-69000001,C
$E2,新密乙机械厂,410183-002,"新密市新华路2号, 东院",,,E
$E3,新密丙钢构厂,410183-002,,,,
CSV
expect 0 import enterprises "$T/ent.csv" --check
expect_text '文件无误 (the file is valid; nothing was written)'
[[ $(wr_psql "SELECT count(*) FROM enterprises") == 0 ]] || wr_fail "a check wrote enterprises"
expect 0 import enterprises "$T/ent.csv" --json
cat "$T/out"
expect_text '"imported":3'
[[ $(wr_psql "SELECT count(*) FROM enterprises e JOIN communities c ON c.id = e.community_id
              WHERE c.code = '410183-002'") == 2 ]] || wr_fail "communities were not resolved"
[[ $(wr_psql "SELECT string_agg(coalesce(industry, '-'), ',' ORDER BY uscc) FROM enterprises") == "C,E,-" ]] ||
    wr_fail "the industries were not stored: $(wr_psql "SELECT uscc, industry FROM enterprises")"
[[ $(wr_psql "SELECT count(*) FROM audit_log WHERE action = 'enterprise.import'") == 3 ]] ||
    wr_fail "the survey has not one audit entry per enterprise"
expect 4 import enterprises "$T/ent.csv"
expect_text '第2行 第1列 uscc：企业已登记 — line 2, column 1: enterprise 1 is registered with this USCC already'
expect_text 'weldtag: 3 problems'
wr_ok "a valid enterprise survey is written; the same file again names every registered one"

ent1=$(wr_psql "SELECT id FROM enterprises WHERE uscc = '$E1'")
ent2=$(wr_psql "SELECT id FROM enterprises WHERE uscc = '$E2'")

# 4. Machines: problems on several lines and columns, all named.
cat >"$T/mach-bad.csv" <<CSV
chip_id,process_category,enterprise_uscc,keeper_name,rated_current_a,keeper_phone
XM-0001,fusion,$E1,王五,250,13800000001
xm-0002,laser,$E1,王六,abc,
XM-0003,fusion,91410100MA0000009X,,9000,
XM-0001,pressure,$E2,赵七,,
CSV
expect 4 import machines "$T/mach-bad.csv"
cat "$T/out"
expect_text '第3行 第1列 chip_id：编号格式不符'
expect_text '第3行 第2列 process_category：取值不在允许范围内'
expect_text '第3行 第5列 rated_current_a：应为整数'
expect_text '第4行 第3列 enterprise_uscc：'
expect_text '第4行 第4列 keeper_name：必填项为空'
expect_text '第4行 第5列 rated_current_a：数值超出范围 — line 4, column 5: field "rated_current_a": must be from 1 to 5000'
expect_text '第5行 第1列 chip_id：文件内重复 — line 5, column 1: the same chip_id as on line 2'
[[ $(wr_psql "SELECT count(*) FROM machines") == 0 ]] || wr_fail "a bad survey wrote machines"
wr_ok "a machine survey with problems on three lines and five columns names every one"

# 5. A valid machine survey: each machine gets a PSK (shown once) and a code with its owner.
cat >"$T/mach.csv" <<CSV
chip_id,process_category,enterprise_uscc,keeper_name,rated_current_a,model
XM-0001,fusion,$E1,王五,250,ZX7-400
XM-0002,brazing,$E1,王六,,
CSV
expect 0 import machines "$T/mach.csv" --json
cat "$T/out"
expect_text '"created":2'
expect_text '"transferred":0'
expect_text '"psk":"'
[[ $(code_owner XM-0001) == "$ent1" ]] || { cat "$T/read.out"; wr_fail "the code lacks owner $ent1"; }
[[ $(wr_psql "SELECT count(*) FROM principals WHERE identity IN ('XM-0001', 'XM-0002')") == 2 ]] ||
    wr_fail "the machines have no principals"
wr_ok "a valid machine survey is written with a PSK and a code per machine"

# 6. The same chip named with another enterprise is a transfer with a new code.
cat >"$T/mach-move.csv" <<CSV
chip_id,process_category,enterprise_uscc,keeper_name,rated_current_a
XM-0001,fusion,$E2,孙八,250
XM-0003,pressure,$E2,孙八,315
CSV
expect 0 import machines "$T/mach-move.csv" --json
cat "$T/out"
expect_text '"created":1'
expect_text '"transferred":1'
expect_text '"chip_id":"XM-0001","enterprise_id":'"$ent2"',"transferred":true,"psk":null'
[[ $(code_owner XM-0001) == "$ent2" ]] || { cat "$T/read.out"; wr_fail "the new code lacks owner $ent2"; }
[[ $(wr_psql "SELECT from_enterprise_id || '>' || to_enterprise_id || ' ' || note FROM machine_transfers") == "$ent1>$ent2 survey" ]] ||
    wr_fail "the transfer was not recorded"
[[ $(wr_psql "SELECT count(*) FROM codes c JOIN machines m ON m.id = c.machine_id
              WHERE m.chip_id = 'XM-0001' AND c.revoked_at IS NULL") == 1 ]] ||
    wr_fail "the transferred machine has not exactly one live code"
[[ $(wr_psql "SELECT revoke_reason FROM codes c JOIN machines m ON m.id = c.machine_id
              WHERE m.chip_id = 'XM-0001' AND c.revoked_at IS NOT NULL") == "machine transferred" ]] ||
    wr_fail "the old code was not revoked"
[[ $(wr_psql "SELECT keeper_name FROM machines WHERE chip_id = 'XM-0001'") == 孙八 ]] ||
    wr_fail "the transfer did not take the survey's fields"
expect 4 import machines "$T/mach-move.csv"
expect_text '第2行 第1列 chip_id：设备已在该企业登记'
wr_ok "a machine named with another enterprise is transferred, with a new code carrying its owner"

expect 4 "$WELDTAG" import machines "$T/mach.csv" --server "coaps://127.0.0.1:$WR_PORT" \
    --identity inspector-x --psk-file "$insp_psk"
expect_text '4.03'
wr_ok "inspectors may not import"

# 7. The surveyed industries group the counts: XM-0002 at E1 (C), XM-0001 and XM-0003 at E2 (E).
wr_run 0 "$WELDTAG" counts --by industry --csv - "${AS_ADMIN[@]}"
cat "$T/out"
wr_expect_cells 制造业 code=C machines_active=1
wr_expect_cells 建筑业 code=E machines_active=2
wr_ok "the surveyed industries are counted by (weldtag counts --by industry)"
