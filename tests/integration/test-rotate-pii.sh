#!/usr/bin/env bash
# test-rotate-pii.sh — the personal-data HMAC key rotated without the ID numbers
# (weldreg-server rekey-pii): every stored hash is wrapped in an HMAC under the new key, so a
# welder imported before is still found by their ID-card number afterwards (an import of the
# same people names them as registered), every stored hash changed, the old key alone matches
# none, the running server hashes new welders with the new chain without a restart, and no
# welder can be written while the rotation marker exists.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

wr_own_keys # the rotation rewrites them
WELDTAG="$WELDREG_BUILD_DIR/tag-reader/weldtag"
T=$WR_TMP
wr_db_create rotpii
admin_psk=$(wr_provision admin admin-pii)
wr_server_start
AS_ADMIN=(--server "coaps://127.0.0.1:$WR_PORT" --identity admin-pii --psk-file "$admin_psk")
k1=$(od -An -v -tx1 "$T/certs/pii.key" | tr -d ' \n')

# hmac HEXKEY: HMAC-SHA-256 of stdin under HEXKEY, in hex
hmac() { openssl dgst -sha256 -mac HMAC -macopt "hexkey:$1" -r | cut -d' ' -f1; }
# stored ID: the stored idcard_hash of the welder with ID-card number ID, in hex, or nothing
stored() { wr_psql "SELECT encode(idcard_hash, 'hex') FROM welders WHERE idcard_masked = '$(mask "$1")'"; }
mask() { printf '%s' "${1:0:4}**********${1: -4}"; }
# chain ID HEXKEY...: the hash of ID-card number ID under the chain of keys, oldest first
chain() {
    local id=$1 h
    shift
    h=$(printf 'idcard:%s' "$id" | hmac "$1")
    shift
    for k in "$@"; do h=$(printf '%s' "$h" | xxd -r -p | hmac "$k"); done
    printf '%s\n' "$h"
}

ID1=110105194912310038
ID2=110105194912310054
cat >"$T/import.csv" <<EOF
name,idcard,licence_no,categories,issued_on
李四,$ID1,T$ID1,fusion,$(date -d '-1 year' +%F)
王五,$ID2,T$ID2,fusion;brazing,$(date -d '-1 year' +%F)
EOF
wr_run 0 "$WELDTAG" import welders "$T/import.csv" --json "${AS_ADMIN[@]}"
wr_expect_text '"imported":2'
[[ -n $(stored $ID1) && $(stored $ID1) == $(chain $ID1 "$k1") ]] ||
    wr_fail "the stored hash is not HMAC(k1, \"idcard:\" || number): $(stored $ID1)"
before=$(wr_psql "SELECT encode(idcard_hash, 'hex') || encode(licence_no_hash, 'hex') FROM welders")
wr_ok "2 welders imported; their ID-card numbers are stored as HMAC(k1, number)"

# 1. the rotation
openssl rand -out "$T/pii-2.key" 32
k2=$(od -An -v -tx1 "$T/pii-2.key" | tr -d ' \n')
wr_run 0 "$WR_SERVER_BIN" rekey-pii --new-pii-key-file "$T/pii-2.key" --config "$T/weldreg.conf"
sed 's/^/    /' "$T/out"
wr_expect_text "re-hashed the ID-card and licence numbers of 2 welders; $T/certs/pii.key holds 2 keys"
[[ $(stat -c %s "$T/certs/pii.key") == 64 && ! -e $T/certs/pii.key.rotating ]] ||
    wr_fail "pii_key_file is not the chain of two keys, or the marker is left"
after=$(wr_psql "SELECT encode(idcard_hash, 'hex') || encode(licence_no_hash, 'hex') FROM welders")
[[ $(comm -12 <(sort <<<"$before") <(sort <<<"$after") | wc -l) == 0 ]] || wr_fail "a hash did not change"
for id in $ID1 $ID2; do
    [[ $(stored "$id") == $(chain "$id" "$k1" "$k2") ]] || wr_fail "$id is not stored as HMAC(k2, HMAC(k1, number))"
    [[ $(wr_psql "SELECT count(*) FROM welders WHERE encode(idcard_hash, 'hex') = '$(chain "$id" "$k1")'") == 0 ]] ||
        wr_fail "the old key alone still matches $id"
done
[[ $(wr_psql "SELECT after FROM audit_log WHERE action = 'welder.pii_rehashed'") == '{"welders": 2}' ]] ||
    wr_fail "the rotation is not in the audit log"
wr_ok "every stored hash changed to HMAC(k2, HMAC(k1, number)); HMAC(k1, number) matches none; audited"

# 2. found by their ID number afterwards: the same people imported again are named as registered
wr_run 4 "$WELDTAG" import welders "$T/import.csv" "${AS_ADMIN[@]}"
for name in 李四 王五; do
    wid=$(wr_psql "SELECT id FROM welders WHERE name = '$name'")
    grep -q "idcard.*welder $wid " "$T/out" || { cat "$T/out"; wr_fail "$name (welder $wid) was not found by ID number"; }
done
wr_ok "after the rotation both welders are found by their ID-card numbers: $(grep -m1 -o 'line 2.*' "$T/out")"

# 3. the running server hashes a new welder with the new chain, without a restart
ID3=410105199001011110
wr_run 0 "$WELDTAG" admin welder create name=赵六 idcard=$ID3 licence_no=T$ID3 categories=fusion \
    issued_on="$(date -d '-1 year' +%F)" "${AS_ADMIN[@]}"
[[ $(stored $ID3) == $(chain $ID3 "$k1" "$k2") ]] || wr_fail "a welder enrolled afterwards is not hashed with the chain"
wr_ok "a welder enrolled after the rotation is stored as HMAC(k2, HMAC(k1, number)) by the running server"

# 4. while a rotation runs (its marker exists), no welder is written
touch "$T/certs/pii.key.rotating"
wr_run 4 "$WELDTAG" admin welder create name=钱七 idcard=$ID2 licence_no=T$ID2 categories=fusion \
    issued_on="$(date -d '-1 year' +%F)" "${AS_ADMIN[@]}"
wr_expect_text "being rotated"
openssl rand -out "$T/pii-3.key" 32
wr_run 1 "$WR_SERVER_BIN" rekey-pii --new-pii-key-file "$T/pii-3.key" --config "$T/weldreg.conf"
wr_expect_text "a rotation under way, or one that failed"
rm "$T/certs/pii.key.rotating"
wr_run 2 "$WR_SERVER_BIN" rekey-pii --new-pii-key-file "$T/pii-2.key" --config "$T/weldreg.conf"
wr_expect_text "the new key is in the chain already"
wr_ok "while the marker exists welders are refused and a second rotation does not start; a key is used once"
