#!/usr/bin/env bash
# test-codelife.sh — the life of a code after issue, through weldtag against the real server
# (issue 16): the platform issues a machine code for a 20-digit ICCID; every code's text is
# kept, so printing it again gives the same text; a welder's code is issued again without
# revoking the old one (both stay valid) and with revoking it (a scan of the old code is then
# refused and /v1/codes/verify calls it revoked); one code is revoked with a reason; codes
# expiring within N days are listed; welders imported from CSV get their codes; every change is
# in the audit log, whose chain still verifies.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

WELDTAG="$WELDREG_BUILD_DIR/tag-reader/weldtag"
T=$WR_TMP
CHIP=89860312345678901234
wr_db_create codelife
admin_psk=$(wr_provision admin admin-l)
head -c 32 /dev/urandom >"$T/pii.key"
printf 'pii_key_file = %s\ncode_issuer = xinmi-qp\n' "$T/pii.key" >>"$T/weldreg.conf"
wr_server_start
SERVER=(--server "coaps://127.0.0.1:$WR_PORT")
AS_ADMIN=("${SERVER[@]}" --identity admin-l --psk-file "$admin_psk")

admin() { wr_run 0 "$WELDTAG" admin "$@" --json "${AS_ADMIN[@]}"; }
expect_text() { grep -q -- "$1" "$T/out" || { cat "$T/out"; wr_fail "output lacks \"$1\""; }; }
cti_of() { "$WELDTAG" read "$1" | sed -n 's/^code id: *//p'; }
# verify_online CODE RC TEXT: the server's registry view follows the database through NOTIFY
# within about a second: ask until the answer exits RC and says TEXT
verify_online() {
    local i rc
    for ((i = 0; i < 50; i++)); do
        rc=0
        "$WELDTAG" verify "$1" --online "${AS_ADMIN[@]}" >"$T/out" 2>&1 || rc=$?
        ((rc == $2)) && grep -q -- "$3" "$T/out" && return 0
        sleep 0.2
    done
    cat "$T/out"
    wr_fail "online verification did not reach exit $2 with \"$3\""
}

# 1. Enrolment: a machine whose chip id is a 20-digit ICCID, and a welder, each with a code.
admin community create code=410183-003 name=青屏街社区 district=新密市
admin enterprise create uscc=91350100M000100Y43 name=新密焊接厂 community_id=1
admin machine create chip_id=$CHIP process_category=fusion enterprise_id=1 keeper_name=王五
machine_code=$(wr_field code)
printf '%s\n' "$(wr_field psk)" >"$T/machine.psk"
[[ $machine_code == WR3:* ]] || wr_fail "no machine code for an ICCID chip id: $(cat "$T/out")"
wr_run 0 "$WELDTAG" read "$machine_code"
expect_text "chip:        $CHIP"
expect_text "issuer:      xinmi-qp"
wr_ok "the platform issues a machine code for the 20-digit ICCID $CHIP with issuer xinmi-qp"
admin welder create name=张三丰 idcard=11010519491231002X licence_no=T11010519491231002X \
    categories=fusion issued_on="$(date -d '-2 years' +%F)"
code1=$(wr_field code)
welder=$(wr_field id)
cti1=$(cti_of "$code1")
[[ ${#cti1} == 16 ]] || wr_fail "code id of the welder's code: \"$cti1\""
admin welder train id="$welder" course=动火作业安全 completed_on="$(date -d '-30 days' +%F)" \
    hours=16 provider=新密市安全培训中心
start=$(date -u -d '-10 minutes' +%Y-%m-%dT%H:%M:%SZ)
end=$(date -u -d '+6 hours' +%Y-%m-%dT%H:%M:%SZ)
gas=$(date -u -d '-5 minutes' +%Y-%m-%dT%H:%M:%SZ)
admin permit create permit_no=DH-L-001 level=second enterprise_id=1 site_address=三号车间 \
    site_lat=34.52 site_lon=113.38 starts_at="$start" ends_at="$end" gas_analysis_at="$gas" \
    approver=安全科 fire_watch=李四 welders="$welder" machines=1

# 2. Printing again: every active code's text, the same as when it was issued.
machine_cti=$(cti_of "$machine_code")
admin code get cti="$machine_cti"
[[ $(wr_field text) == "$machine_code" ]] || wr_fail "reprint of the machine code: $(cat "$T/out")"
expect_text '"chip_id":"'$CHIP'"'
expect_text '"enterprise_name":"新密焊接厂"'
admin code list welder_id="$welder"
[[ $(wr_field text) == "$code1" ]] || wr_fail "reprint of the welder code: $(cat "$T/out")"
expect_text '"welder_name_masked":"张\*\*"'
expect_text '"status":"active"'
wr_ok "printing again gives the same code text (machine and welder), with the label's data"

# 3. Issued again, the old code left to expire: both are valid.
admin code reissue welder_id="$welder" reason="expiry near"
code2=$(wr_field code)
cti2=$(wr_field cti)
[[ $code2 == WR3:* && $code2 != "$code1" ]] || wr_fail "re-issue: $(cat "$T/out")"
expect_text "\"replaced\":\[\"$cti1\"\]"
expect_text '"old_revoked":false'
admin code list welder_id="$welder" status=active
[[ $(grep -o '"cti"' "$T/out" | wc -l) == 2 ]] || wr_fail "two active codes expected: $(cat "$T/out")"
expect_text "\"replaces\":\"$cti1\""
for code in "$code1" "$code2"; do
    verify_online "$code" 0 "record:      active"
done
wr_ok "re-issued without revoking ($cti1 -> $cti2): both codes stay valid until they expire"

# 4. Issued again with the old codes revoked at once.
admin code reissue welder_id="$welder" revoke_old=true reason="label lost"
code3=$(wr_field code)
cti3=$(wr_field cti)
expect_text '"old_revoked":true'
expect_text "\"replaced\":\[\"$cti1\",\"$cti2\"\]"
[[ $(wr_psql "SELECT string_agg(encode(cti, 'hex') || ':' || revoke_reason, ',' ORDER BY issued_at)
              FROM codes WHERE revoked_at IS NOT NULL") == "$cti1:label lost,$cti2:label lost" ]] ||
    wr_fail "revoked: $(wr_psql "SELECT encode(cti, 'hex'), revoke_reason FROM codes")"
# the running server follows through NOTIFY: the old code is refused online and at a scan
verify_online "$code1" 1 "INVALID (revoked)"
expect_text "record:      revoked"
verify_online "$code3" 0 "record:      active"
as_machine() { # SEQ EV [options]
    local seq=$1 ev=$2 rc=0
    shift 2
    out=$("$WELDTAG" checkin "${SERVER[@]}" --identity "$CHIP" --psk-file "$T/machine.psk" \
        --seq "$seq" --ev "$ev" "$@" 2>&1) || rc=$?
    out=$(wr_answer_names "$out")
    last_rc=$rc
}
as_machine 1 scan --code "$code1" --lat 34.52 --lon 113.38
((last_rc == 1)) && [[ $out == *code_revoked* ]] || wr_fail "scan of the revoked code: $out"
wr_ok "re-issued with the old codes revoked: a scan of the old code is refused: $out"
as_machine 2 scan --code "$code3" --lat 34.52 --lon 113.38
((last_rc == 0)) && [[ $out == "unlocked until"* ]] || wr_fail "scan of the new code: $out"
wr_ok "the new code unlocks the machine: $out"
as_machine 3 end

# 5. Codes expiring within N days: the welder's (a year), not the machine's (three years).
admin code list expiring_within=400
expect_text "\"cti\":\"$cti3\""
grep -q "$machine_cti" "$T/out" && wr_fail "the machine's code does not expire within 400 days"
grep -q "\"cti\":\"$cti1\"" "$T/out" && wr_fail "a revoked code is not listed as expiring"
admin code list expiring_within=30
expect_text '"items":\[\]'
wr_ok "codes expiring within 400 days: the welder's; within 30 days: none"

# 6. One code revoked with a reason; a second revocation is refused.
admin code revoke cti="$cti3" reason="card stolen"
expect_text '"reason":"card stolen"'
wr_run 4 "$WELDTAG" admin code revoke cti="$cti3" reason=again "${AS_ADMIN[@]}"
expect_text "revoked already"
wr_run 4 "$WELDTAG" admin code revoke cti="$cti3" "${AS_ADMIN[@]}"
expect_text 'field "reason"'
wr_run 4 "$WELDTAG" admin code revoke cti=0011223344556677 reason=x "${AS_ADMIN[@]}"
expect_text "no code with this id"
# once the server has the revocation (NOTIFY), one scan: a sequence number is used once
verify_online "$code3" 1 "INVALID (revoked)"
as_machine 4 scan --code "$code3" --lat 34.52 --lon 113.38
((last_rc == 1)) && [[ $out == *code_revoked* ]] || wr_fail "scan after the revocation: $out"
wr_ok "a code revoked with a reason is refused at a scan and by /v1/codes/verify"

# 7. A machine's code issued again (its label lost), printed again identically.
admin code reissue machine_id=1 revoke_old=true reason="label damaged"
new_machine=$(wr_field code)
cti_m=$(wr_field cti)
admin code get cti="$cti_m"
[[ $(wr_field text) == "$new_machine" ]] || wr_fail "reprint of the new machine code"
wr_run 0 "$WELDTAG" read "$new_machine"
expect_text "chip:        $CHIP"
wr_run 4 "$WELDTAG" admin code reissue welder_id=999 "${AS_ADMIN[@]}"
expect_text "no welder 999 that can hold a code"
wr_run 4 "$WELDTAG" admin code reissue "${AS_ADMIN[@]}"
expect_text "machine_id"
wr_ok "a machine's code re-issued and printed again; bad re-issues are refused"

# 8. Welders imported from CSV get their codes like any other.
cat >"$T/import.csv" <<EOF
name,idcard,licence_no,categories,issued_on
李四,110105194912310038,T110105194912310038,fusion,$(date -d '-1 year' +%F)
王五,110105194912310054,T110105194912310054,fusion;brazing,$(date -d '-1 year' +%F)
EOF
wr_run 0 "$WELDTAG" import welders "$T/import.csv" --json "${AS_ADMIN[@]}"
expect_text '"imported":2'
[[ $(wr_psql "SELECT count(*) FROM welders w JOIN codes c ON c.welder_id = w.id
              WHERE w.name IN ('李四', '王五') AND c.text LIKE 'WR3:%'") == 2 ]] ||
    wr_fail "imported welders without codes: $(wr_psql "SELECT welder_id, text FROM codes")"
imported=$(wr_psql "SELECT id FROM welders WHERE name = '王五'")
admin code list welder_id="$imported"
wr_run 0 "$WELDTAG" read "$(wr_field text)"
expect_text "王\*"
wr_ok "welders imported from CSV get their codes (printable like any other)"

# 9. Every change is audited, and the chain still verifies.
admin audit list entity=code limit=100
for action in code.issue code.reissue code.revoke; do
    expect_text "\"action\":\"$action\""
done
expect_text '"actor":"admin-l"'
expect_text 'card stolen'
wr_run 0 "$WELDTAG" admin audit-verify "${AS_ADMIN[@]}"
wr_ok "issue, re-issue and revocation are in the audit log: $(cat "$T/out")"
