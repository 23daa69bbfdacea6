#!/usr/bin/env bash
# test-rotate-signing.sh — the code-signing key rotated (certs/mkcerts.sh rotate-signing): the
# old key's codes still verify on the server, new codes are signed by the new key and verify,
# the re-issue campaign lists exactly the old key's live codes with their subjects and expiry,
# and once the old key is retired from the trust list its codes are refused.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

WELDTAG="$WELDREG_BUILD_DIR/tag-reader/weldtag"
MKCERTS="$WELDREG_SOURCE_DIR/certs/mkcerts.sh"
T=$WR_TMP
wr_own_keys # the rotation rewrites them
wr_db_create rotsign
admin_psk=$(wr_provision admin admin-rs)
wr_server_start
AS_ADMIN=(--identity admin-rs --psk-file "$admin_psk")

admin() { wr_run 0 "$WELDTAG" admin "$@" --json --server "coaps://127.0.0.1:$WR_PORT" "${AS_ADMIN[@]}"; }
kid_of() { "$WELDTAG" read "$1" | sed -n 's/^key id: *\([0-9a-f]*\).*/\1/p'; }
cti_of() { "$WELDTAG" read "$1" | sed -n 's/^code id: *//p'; }
# verify_online CODE RC TEXT: the server's verdict on CODE exits RC and says TEXT (its view of
# the codes follows the database through NOTIFY within about a second: asked until it does)
verify_online() {
    local i rc
    for ((i = 0; i < 50; i++)); do
        rc=0
        "$WELDTAG" verify "$1" --online --server "coaps://127.0.0.1:$WR_PORT" "${AS_ADMIN[@]}" \
            >"$T/out" 2>&1 || rc=$?
        ((rc == $2)) && grep -q -- "$3" "$T/out" && return 0
        sleep 0.2
    done
    cat "$T/out"
    wr_fail "verify: want exit $2 and \"$3\""
}
# restart: the server reads signing_key_file and trust_list_file at start
restart() {
    wr_server_stop
    wr_server_start
}
# new_welder IDCARD: a welder registered by the platform, whose code the server signs; sets code
# and wid
new_welder() {
    admin welder create name="王焊工${1: -2}" idcard="$1" licence_no="T$1" categories=fusion \
        issued_on="$(date -d '-1 year' +%F)"
    code=$(wr_field code)
    wid=$(wr_field id)
}

admin community create code=410183-009 name=测试社区 district=新密市
admin enterprise create uscc=91350100M000100Y43 name=轮换焊接厂 community_id=1
new_welder 410105199001011110
old_code=$code old_wid=$wid
new_welder 410105199001011217
old_code2=$code
old_kid=$(kid_of "$old_code")
verify_online "$old_code" 0 "record:      active"
wr_ok "before the rotation the platform signs with key $old_kid"

# 1. rotation: a new key listed next to the old one, whose window closes now
"$MKCERTS" rotate-signing "$T/certs" >"$T/rotate.out" 2>&1 || { cat "$T/rotate.out"; wr_fail "rotate-signing"; }
sed 's/^/    /' "$T/rotate.out"
new_kid=$(sed -n 's/^new //p' "$T/rotate.out")
[[ $(sed -n 's/^old //p' "$T/rotate.out") == "$old_kid" && $new_kid != "$old_kid" ]] ||
    wr_fail "rotate-signing did not name the old and the new key"
[[ $(grep -c '^[0-9a-f]\{16\} ' "$T/certs/trust.list") == 2 ]] || wr_fail "the trust list lacks a key"
restart
verify_online "$old_code" 0 "record:      active"
new_welder 410105199001011313
new_code=$code
[[ $(kid_of "$new_code") == "$new_kid" ]] || wr_fail "a new code is not signed by the new key"
verify_online "$new_code" 0 "record:      active"
wr_ok "after the rotation the old key's code still verifies and new codes are signed by $new_kid"

# a code the old key signs after the rotation (a stolen key), even one on record, is refused:
# the key's window closed
"$WELDTAG" issue welder --licence T410105199001019999 --name 李四 --cats fusion \
    --licence-valid-until "$(date -d '+300 days' +%F)" --wid "$(openssl rand -hex 16)" \
    --signing-key "$T/certs/signing.$old_kid.key" --iss test --journal "$T/journal.csv" \
    >"$T/late.code" 2>/dev/null || wr_fail "weldtag issue with the old key failed"
wr_register_last_code "$old_wid"
verify_online "$(cat "$T/late.code")" 1 "INVALID (key_window)"
wr_ok "a code the old key signs after the rotation is refused: $(grep -o 'INVALID.*' "$T/out")"
admin code revoke cti="$(cti_of "$(cat "$T/late.code")")" reason="signed with a stolen key"

# 2. the re-issue campaign: every live code of the old key, with subject and expiry
admin code list kid="$old_kid" status=active
for c in "$old_code" "$old_code2"; do
    grep -q "\"cti\":\"$(cti_of "$c")\"" "$T/out" || { cat "$T/out"; wr_fail "the campaign lacks $c"; }
done
! grep -q "\"cti\":\"$(cti_of "$new_code")\"" "$T/out" || wr_fail "the campaign lists a new code"
wr_expect_text '"welder_name_masked":"王****"'
wr_expect_text '"expires_at":"'
wr_run 4 "$WELDTAG" admin code list kid=XYZ --server "coaps://127.0.0.1:$WR_PORT" "${AS_ADMIN[@]}"
admin code reissue welder_id="$old_wid" reason="signing key rotation"
[[ $(kid_of "$(wr_field code)") == "$new_kid" ]] || wr_fail "the re-issued code has the old key"
admin code list kid="$old_kid" status=active
[[ $(grep -o '"cti"' "$T/out" | wc -l) == 2 ]] || wr_fail "re-issue without revoke_old keeps the old code live"
wr_ok "campaign of $old_kid: its 2 live codes with welder and expiry; a re-issue signs with $new_kid"

# 3. the old key retired: its codes are refused, the new key's are not
"$MKCERTS" retire "$old_kid" "$T/certs" 2>&1 | sed 's/^/    /'
[[ ! -e $T/certs/signing.$old_kid.key ]] || wr_fail "the retired private key was kept"
wr_run 1 "$MKCERTS" retire "$new_kid" "$T/certs"
restart
verify_online "$old_code" 1 "INVALID (unknown_key)"
verify_online "$new_code" 0 "record:      active"
wr_ok "after $old_kid is retired its codes are refused; $new_kid's still verify"
