#!/usr/bin/env bash
# test-badinput.sh — the bad-input catalogue: well over a hundred malformed requests to the
# device, code and admin resources, sent over DTLS by coap-client-openssl (an independent
# client: the bodies are written here in hex or as text, not by our encoders). Each must get its
# specific CoAP code with a diagnostic; afterwards the server must still be up and answer, its
# log must hold no sanitizer report, and no table may have changed: malformed input is never
# stored (a well-formed check-in that is refused IS stored as evidence, so there is none here).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

WELDTAG="$WELDREG_BUILD_DIR/tag-reader/weldtag"
T=$WR_TMP
CHIP=WR-BAD-0001

wr_db_create badinput
declare -A PSK
PSK[admin]=$(wr_provision admin admin-bad)
PSK[machine]=$(wr_provision machine "$CHIP")
head -c 32 /dev/urandom >"$T/pii.key"
printf 'pii_key_file = %s\ncode_issuer = test\n' "$T/pii.key" >>"$T/weldreg.conf"
wr_server_start
declare -A IDENTITY=([admin]=admin-bad [machine]=$CHIP)

# Records for the updates to refer to: community 1, enterprise 1, and an inspector of it; and a
# community 2 that inspector does not cover.
AS_ADMIN=(--server "coaps://127.0.0.1:$WR_PORT" --identity admin-bad --psk-file "${PSK[admin]}")
"$WELDTAG" admin community create --json code=370102-001 name=社区 district=历下区 \
    "${AS_ADMIN[@]}" >"$T/out" 2>&1 || { cat "$T/out"; wr_fail "could not create a community"; }
"$WELDTAG" admin community create --json code=370102-002 name=社区二 district=历下区 \
    "${AS_ADMIN[@]}" >"$T/out" 2>&1 || { cat "$T/out"; wr_fail "could not create community 2"; }
"$WELDTAG" admin enterprise create --json uscc=91350100M000100Y43 name=焊接厂 community_id=1 \
    "${AS_ADMIN[@]}" >"$T/out" 2>&1 || { cat "$T/out"; wr_fail "could not create an enterprise"; }
"$WELDTAG" admin principal create --json identity=inspector-bad role=inspector communities=1 \
    "${AS_ADMIN[@]}" >"$T/out" 2>&1 || { cat "$T/out"; wr_fail "could not create an inspector"; }
PSK[inspector]=$T/inspector.psk
sed -E 's/.*"psk":"([^"]*)".*/\1/' "$T/out" >"${PSK[inspector]}"
IDENTITY[inspector]=inspector-bad

# ---- bodies too long to write out ----

# repeat TEXT N prints TEXT N times.
repeat() { printf "%${2}s" '' | sed "s/ /$1/g"; }
# cbor_text TEXT prints TEXT (under 256 bytes) as a CBOR text string in hex.
cbor_text() {
    local hex len
    hex=$(printf '%s' "$1" | xxd -p | tr -d '\n')
    len=$((${#hex} / 2))
    if ((len < 24)); then printf '%02x%s' $((0x60 + len)) "$hex"; else printf '78%02x%s' "$len" "$hex"; fi
}
mkdir -p "$T/gen"
# 300 nested arrays inside a check-in, in CBOR and in JSON
printf 'a4626576626862637365710262747301636e6573%s00' "$(repeat 81 300)" | xxd -r -p >"$T/gen/deep.cbor"
printf '{"ev":"hb","seq":1,"ts":1,"nest":%s1%s}' "$(repeat '[' 300)" "$(repeat ']' 300)" >"$T/gen/deep.json"
printf '{"name":%s"x"%s}' "$(repeat '[' 300)" "$(repeat ']' 300)" >"$T/gen/deep-admin.json"
# a check-in of 3,000 bytes (a byte string) and a JSON one; an admin body of 80 KiB
printf 'a2626576626862637a590bb8%s' "$(repeat 00 3000)" | xxd -r -p >"$T/gen/big.cbor"
printf '{"ev":"hb","seq":1,"ts":1,"pad":"%s"}' "$(repeat x 3000)" >"$T/gen/big.json"
printf '{"code":"c","name":"%s"}' "$(repeat x 81920)" >"$T/gen/big-admin.json"
# more members than the check-in parser has room for
printf '{"ev":"hb","seq":1,"ts":1,"a":[%s1]}' "$(repeat '1,' 40)" >"$T/gen/many.json"
# a code request of 1,100 bytes
printf 'a164636f6465790440%s' "$(repeat 41 1088)" | xxd -r -p >"$T/gen/big-code.cbor"

# ---- the catalogue ----
# One case per line: name | expected code | caller | method | path?query | coap-client flags |
# body. Callers: admin, inspector (of community 1), machine. Bodies: "-" none, "hex:..." bytes,
# "text:..." as written, "gen:NAME" from $T/gen. A 2.05 case (a code that is not valid) must
# answer {"valid": false, ...}. A new resource gets its own block of lines; nothing else changes.
HB=626576626862                        # "ev": "hb"
SEQ=6373657102                         # "seq": 2
TS=6274731a665d15cc                    # "ts": 1717376460
VALID_HB=a4${HB}${SEQ}${TS}63616d701896 # {"ev":"hb","seq":2,"ts":...,"amp":150}
SQL="x'); DROP TABLE checkins; --"
CASES=(
    # device: POST /v1/checkins as a machine
    "checkin-no-body|4.00|machine|post|v1/checkins|-t 60|-"
    "checkin-no-format|4.15|machine|post|v1/checkins||hex:$VALID_HB"
    "checkin-text-plain|4.15|machine|post|v1/checkins|-t 0|hex:$VALID_HB"
    "checkin-xml|4.15|machine|post|v1/checkins|-t 41|hex:$VALID_HB"
    "checkin-octet-stream|4.15|machine|post|v1/checkins|-t 42|hex:$VALID_HB"
    "checkin-accept-xml|4.06|machine|post|v1/checkins|-t 60 -A 41|hex:$VALID_HB"
    "checkin-get|4.05|machine|get|v1/checkins||-"
    "checkin-put|4.05|machine|put|v1/checkins|-t 60|hex:$VALID_HB"
    "checkin-delete|4.05|machine|delete|v1/checkins||-"
    "checkin-wrong-path|4.04|machine|post|v1/checkin|-t 60|hex:$VALID_HB"
    "checkin-as-admin|4.03|admin|post|v1/checkins|-t 60|hex:$VALID_HB"
    "checkin-as-inspector|4.03|inspector|post|v1/checkins|-t 60|hex:$VALID_HB"
    "checkin-truncated|4.00|machine|post|v1/checkins|-t 60|hex:a4${HB}${SEQ}6274731a665d15"
    "checkin-truncated-key|4.00|machine|post|v1/checkins|-t 60|hex:a4${HB}6373"
    "checkin-array|4.00|machine|post|v1/checkins|-t 60|hex:83010203"
    "checkin-integer|4.00|machine|post|v1/checkins|-t 60|hex:05"
    "checkin-text|4.00|machine|post|v1/checkins|-t 60|hex:626862"
    "checkin-empty-map|4.00|machine|post|v1/checkins|-t 60|hex:a0"
    "checkin-unknown-key|4.00|machine|post|v1/checkins|-t 60|hex:a4${HB}${SEQ}${TS}63666f6f01"
    "checkin-duplicate-key|4.00|machine|post|v1/checkins|-t 60|hex:a4${HB}${SEQ}6373657103${TS}"
    "checkin-missing-seq|4.00|machine|post|v1/checkins|-t 60|hex:a2${HB}${TS}"
    "checkin-missing-ts|4.00|machine|post|v1/checkins|-t 60|hex:a2${HB}${SEQ}"
    "checkin-seq-negative|4.00|machine|post|v1/checkins|-t 60|hex:a3${HB}6373657120${TS}"
    "checkin-seq-huge|4.00|machine|post|v1/checkins|-t 60|hex:a3${HB}637365711bffffffffffffffff${TS}"
    "checkin-seq-float|4.00|machine|post|v1/checkins|-t 60|hex:a3${HB}63736571fb3ff0000000000000${TS}"
    "checkin-seq-text|4.00|machine|post|v1/checkins|-t 60|hex:a3${HB}637365716131${TS}"
    "checkin-ts-huge|4.00|machine|post|v1/checkins|-t 60|hex:a3${HB}${SEQ}6274731bffffffffffffffff"
    "checkin-ts-bool|4.00|machine|post|v1/checkins|-t 60|hex:a3${HB}${SEQ}627473f5"
    "checkin-ts-undefined|4.00|machine|post|v1/checkins|-t 60|hex:a3${HB}${SEQ}627473f7"
    "checkin-ev-integer|4.00|machine|post|v1/checkins|-t 60|hex:a362657601${SEQ}${TS}"
    "checkin-ev-unknown|4.00|machine|post|v1/checkins|-t 60|hex:a362657664626f6f6d${SEQ}${TS}"
    "checkin-ev-bad-utf8|4.00|machine|post|v1/checkins|-t 60|hex:a362657662c328${SEQ}${TS}"
    "checkin-ev-overlong-utf8|4.00|machine|post|v1/checkins|-t 60|hex:a362657662c0af${SEQ}${TS}"
    "checkin-ev-sql|4.00|machine|post|v1/checkins|-t 60|hex:a3626576$(cbor_text "$SQL")${SEQ}${TS}"
    "checkin-key-bytes|4.00|machine|post|v1/checkins|-t 60|hex:a4${HB}${SEQ}${TS}4161 01"
    "checkin-lat-only|4.00|machine|post|v1/checkins|-t 60|hex:a4${HB}${SEQ}${TS}636c6174fb4042535ba2be058a"
    "checkin-lat-91|4.00|machine|post|v1/checkins|-t 60|hex:a5${HB}${SEQ}${TS}636c6174fb4056c00000000000636c6f6efb405d47afaf859429"
    "checkin-lat-nan|4.00|machine|post|v1/checkins|-t 60|hex:a5${HB}${SEQ}${TS}636c6174fb7ff8000000000000636c6f6efb405d47afaf859429"
    "checkin-lon-infinity|4.00|machine|post|v1/checkins|-t 60|hex:a5${HB}${SEQ}${TS}636c6174fb4042535ba2be058a636c6f6efb7ff0000000000000"
    "checkin-lat-text|4.00|machine|post|v1/checkins|-t 60|hex:a5${HB}${SEQ}${TS}636c61746131636c6f6ef94000"
    "checkin-amp-huge|4.00|machine|post|v1/checkins|-t 60|hex:a4${HB}${SEQ}${TS}63616d701a00100000"
    "checkin-amp-negative|4.00|machine|post|v1/checkins|-t 60|hex:a4${HB}${SEQ}${TS}63616d7020"
    "checkin-scan-no-code|4.00|machine|post|v1/checkins|-t 60|hex:a3626576647363616e${SEQ}${TS}"
    "checkin-scan-code-integer|4.00|machine|post|v1/checkins|-t 60|hex:a4626576647363616e${SEQ}${TS}64636f646501"
    "checkin-indefinite-map|4.00|machine|post|v1/checkins|-t 60|hex:bf${HB}${SEQ}${TS}ff"
    "checkin-trailing-bytes|4.00|machine|post|v1/checkins|-t 60|hex:${VALID_HB}00"
    "checkin-tagged|4.00|machine|post|v1/checkins|-t 60|hex:c1${VALID_HB}"
    "checkin-huge-text-length|4.00|machine|post|v1/checkins|-t 60|hex:a17bffffffffffffffff"
    "checkin-huge-array-count|4.00|machine|post|v1/checkins|-t 60|hex:9bffffffffffffffff"
    "checkin-huge-map-count|4.00|machine|post|v1/checkins|-t 60|hex:bbffffffffffffffff"
    "checkin-deep-nesting|4.00|machine|post|v1/checkins|-t 60|gen:deep.cbor"
    "checkin-oversized|4.13|machine|post|v1/checkins|-t 60|gen:big.cbor"
    "checkin-json-invalid|4.00|machine|post|v1/checkins|-t 50|text:{\"ev\":\"hb\","
    "checkin-json-array|4.00|machine|post|v1/checkins|-t 50|text:[1,2,3]"
    "checkin-json-sql|4.00|machine|post|v1/checkins|-t 50|text:{\"ev\":\"$SQL\",\"seq\":1,\"ts\":1717376460}"
    "checkin-json-number-1e400|4.00|machine|post|v1/checkins|-t 50|text:{\"ev\":\"hb\",\"seq\":1e400,\"ts\":1717376460}"
    "checkin-json-seq-2p64|4.00|machine|post|v1/checkins|-t 50|text:{\"ev\":\"hb\",\"seq\":18446744073709551616,\"ts\":1}"
    "checkin-json-unknown-key|4.00|machine|post|v1/checkins|-t 50|text:{\"ev\":\"hb\",\"seq\":1,\"ts\":1717376460,\"x\":1}"
    "checkin-json-lone-surrogate|4.00|machine|post|v1/checkins|-t 50|text:{\"ev\":\"\\ud800\",\"seq\":1,\"ts\":1}"
    "checkin-json-bad-utf8|4.00|machine|post|v1/checkins|-t 50|hex:7b226576223a22c328222c22736571223a312c227473223a317d"
    "checkin-json-nul|4.00|machine|post|v1/checkins|-t 50|hex:7b226576223a226800622c22736571223a312c227473223a317d"
    "checkin-json-deep|4.00|machine|post|v1/checkins|-t 50|gen:deep.json"
    "checkin-json-many-members|4.00|machine|post|v1/checkins|-t 50|gen:many.json"
    "checkin-json-oversized|4.13|machine|post|v1/checkins|-t 50|gen:big.json"
    # codes: POST /v1/codes/verify, GET /v1/codes/revocations
    "verify-no-format|4.15|machine|post|v1/codes/verify||hex:a164636f646561 41"
    "verify-json|4.15|admin|post|v1/codes/verify|-t 50|text:{\"code\":\"WR1:X\"}"
    "verify-no-body|4.00|admin|post|v1/codes/verify|-t 60|-"
    "verify-array|4.00|admin|post|v1/codes/verify|-t 60|hex:8161 41"
    "verify-two-keys|4.00|admin|post|v1/codes/verify|-t 60|hex:a264636f64656141 6178 01"
    "verify-code-integer|4.00|admin|post|v1/codes/verify|-t 60|hex:a164636f646501"
    "verify-code-bytes|4.00|admin|post|v1/codes/verify|-t 60|hex:a164636f64654141"
    "verify-code-bad-utf8|4.00|admin|post|v1/codes/verify|-t 60|hex:a164636f646562c328"
    "verify-truncated|4.00|admin|post|v1/codes/verify|-t 60|hex:a164636f646565 5752"
    "verify-unknown-key|4.00|admin|post|v1/codes/verify|-t 60|hex:a163636f646561 41"
    "verify-oversized|4.13|admin|post|v1/codes/verify|-t 60|gen:big-code.cbor"
    "verify-get|4.05|admin|get|v1/codes/verify||-"
    "verify-bad-code-garbage|2.05|inspector|post|v1/codes/verify|-t 60|hex:a164636f6465$(cbor_text 'garbage')"
    "verify-bad-code-sql|2.05|machine|post|v1/codes/verify|-t 60|hex:a164636f6465$(cbor_text "WR1:$SQL")"
    "verify-bad-code-base45|2.05|admin|post|v1/codes/verify|-t 60|hex:a164636f6465$(cbor_text 'WR1:::::::::')"
    "verify-bad-code-empty-cose|2.05|admin|post|v1/codes/verify|-t 60|hex:a164636f6465$(cbor_text 'WR1:')"
    "revocations-since-text|4.00|machine|get|v1/codes/revocations?since=abc||-"
    "revocations-since-negative|4.00|machine|get|v1/codes/revocations?since=-1||-"
    "revocations-since-overflow|4.00|machine|get|v1/codes/revocations?since=99999999999999999999||-"
    "revocations-since-empty|4.00|machine|get|v1/codes/revocations?since=||-"
    "revocations-since-sql|4.00|machine|get|v1/codes/revocations?since=1%27%20OR%20%271%27=%271||-"
    "revocations-other-key|4.00|machine|get|v1/codes/revocations?foo=1||-"
    "revocations-post|4.05|machine|post|v1/codes/revocations|-t 60|hex:a0"
    # admin: communities
    "communities-no-format|4.15|admin|post|v1/communities||text:{\"code\":\"c\",\"name\":\"n\",\"district\":\"d\"}"
    "communities-text-plain|4.15|admin|post|v1/communities|-t 0|text:code,name"
    "communities-no-body|4.00|admin|post|v1/communities|-t 50|-"
    "communities-json-invalid|4.00|admin|post|v1/communities|-t 50|text:{\"code\":"
    "communities-json-array|4.00|admin|post|v1/communities|-t 50|text:[{\"code\":\"c\"}]"
    "communities-missing-name|4.00|admin|post|v1/communities|-t 50|text:{\"code\":\"c-2\",\"district\":\"d\"}"
    "communities-code-sql|4.00|admin|post|v1/communities|-t 50|text:{\"code\":\"$SQL\",\"name\":\"n\",\"district\":\"d\"}"
    "communities-name-number|4.00|admin|post|v1/communities|-t 50|text:{\"code\":\"c-2\",\"name\":7,\"district\":\"d\"}"
    "communities-unknown-key|4.00|admin|post|v1/communities|-t 50|text:{\"code\":\"c-2\",\"name\":\"n\",\"district\":\"d\",\"admin\":true}"
    "communities-name-too-long|4.00|admin|post|v1/communities|-t 50|text:{\"code\":\"c-2\",\"name\":\"$(repeat x 101)\",\"district\":\"d\"}"
    "communities-bad-utf8|4.00|admin|post|v1/communities|-t 50|hex:7b22636f6465223a22632d32222c226e616d65223a22ff222c226469737472696374223a2264227d"
    "communities-duplicate-key|4.00|admin|post|v1/communities|-t 50|text:{\"code\":\"c-2\",\"code\":\"c-3\",\"name\":\"n\",\"district\":\"d\"}"
    "communities-deep|4.00|admin|post|v1/communities|-t 50|gen:deep-admin.json"
    "communities-oversized|4.13|admin|post|v1/communities|-t 50|gen:big-admin.json"
    "communities-cbor-truncated|4.00|admin|post|v1/communities|-t 60|hex:a364636f6465"
    "communities-cbor-bytes|4.00|admin|post|v1/communities|-t 60|hex:a164636f64654101"
    "communities-cbor-not-map|4.00|admin|post|v1/communities|-t 60|hex:01"
    "communities-delete|4.05|admin|delete|v1/communities||-"
    "communities-put|4.05|admin|put|v1/communities|-t 50|text:{}"
    "communities-as-machine|4.03|machine|get|v1/communities||-"
    "communities-post-as-inspector|4.03|inspector|post|v1/communities|-t 50|text:{\"code\":\"c-2\",\"name\":\"n\",\"district\":\"d\"}"
    "communities-get-status|4.00|admin|get|v1/communities?status=active||-"
    "communities-get-enterprise|4.00|admin|get|v1/communities?enterprise_id=1||-"
    # admin: enterprises
    "enterprises-uscc-checksum|4.00|admin|post|v1/enterprises|-t 50|text:{\"uscc\":\"91350100M000100Y44\",\"name\":\"n\",\"community_id\":1}"
    "enterprises-community-text|4.00|admin|post|v1/enterprises|-t 50|text:{\"uscc\":\"91110000100000000R\",\"name\":\"n\",\"community_id\":\"1\"}"
    "enterprises-community-huge|4.00|admin|post|v1/enterprises|-t 50|text:{\"uscc\":\"91110000100000000R\",\"name\":\"n\",\"community_id\":1e30}"
    "enterprises-community-2p63|4.00|admin|post|v1/enterprises|-t 50|text:{\"uscc\":\"91110000100000000R\",\"name\":\"n\",\"community_id\":9223372036854775808}"
    "enterprises-community-negative|4.00|admin|post|v1/enterprises|-t 50|text:{\"uscc\":\"91110000100000000R\",\"name\":\"n\",\"community_id\":-1}"
    "enterprises-status-unknown|4.00|admin|post|v1/enterprises|-t 50|text:{\"uscc\":\"91110000100000000R\",\"name\":\"n\",\"community_id\":1,\"status\":\"gone\"}"
    "enterprises-phone-letters|4.00|admin|post|v1/enterprises|-t 50|text:{\"uscc\":\"91110000100000000R\",\"name\":\"n\",\"community_id\":1,\"contact_phone\":\"call me\"}"
    "enterprises-put-no-id|4.00|admin|put|v1/enterprises|-t 50|text:{\"name\":\"m\"}"
    "enterprises-put-id-text|4.00|admin|put|v1/enterprises?id=abc|-t 50|text:{\"name\":\"m\"}"
    "enterprises-put-id-sql|4.00|admin|put|v1/enterprises?id=1;DROP%20TABLE%20enterprises|-t 50|text:{\"name\":\"m\"}"
    "enterprises-put-bad-field|4.00|admin|put|v1/enterprises?id=1|-t 50|text:{\"community_id\":\"one\"}"
    "enterprises-put-unknown-key|4.00|admin|put|v1/enterprises?id=1|-t 50|text:{\"owner\":\"me\"}"
    "enterprises-get-id-text|4.00|admin|get|v1/enterprises?id=abc||-"
    "enterprises-get-limit-huge|4.00|admin|get|v1/enterprises?limit=100000||-"
    "enterprises-get-after-negative|4.00|admin|get|v1/enterprises?after=-5||-"
    "enterprises-get-community-sql|4.00|admin|get|v1/enterprises?community_id=1%27%20OR%201=1||-"
    "enterprises-get-id-overflow|4.00|admin|get|v1/enterprises?id=99999999999999999999||-"
    "enterprises-get-status-unknown|4.00|admin|get|v1/enterprises?status=gone||-"
    "enterprises-get-status-empty|4.00|admin|get|v1/enterprises?status=||-"
    "enterprises-get-status-case|4.00|inspector|get|v1/enterprises?status=Active||-"
    "enterprises-get-status-sql|4.00|admin|get|v1/enterprises?status=active%27%20OR%20%271%27=%271||-"
    "enterprises-get-misspelt|4.00|admin|get|v1/enterprises?stauts=active||-"
    "enterprises-get-chip|4.00|admin|get|v1/enterprises?chip=WR-1||-"
    "enterprises-delete|4.05|admin|delete|v1/enterprises?id=1||-"
    # admin: machines
    "machines-chip-lowercase|4.00|admin|post|v1/machines|-t 50|text:{\"chip_id\":\"wr-x\",\"process_category\":\"fusion\",\"enterprise_id\":1,\"keeper_name\":\"k\"}"
    "machines-chip-sql|4.00|admin|post|v1/machines|-t 50|text:{\"chip_id\":\"$SQL\",\"process_category\":\"fusion\",\"enterprise_id\":1,\"keeper_name\":\"k\"}"
    "machines-category-unknown|4.00|admin|post|v1/machines|-t 50|text:{\"chip_id\":\"WR-X-1\",\"process_category\":\"laser\",\"enterprise_id\":1,\"keeper_name\":\"k\"}"
    "machines-category-missing|4.00|admin|post|v1/machines|-t 50|text:{\"chip_id\":\"WR-X-1\",\"enterprise_id\":1,\"keeper_name\":\"k\"}"
    "machines-current-huge|4.00|admin|post|v1/machines|-t 50|text:{\"chip_id\":\"WR-X-1\",\"process_category\":\"fusion\",\"rated_current_a\":99999,\"enterprise_id\":1,\"keeper_name\":\"k\"}"
    "machines-current-float|4.00|admin|post|v1/machines|-t 50|text:{\"chip_id\":\"WR-X-1\",\"process_category\":\"fusion\",\"rated_current_a\":2.5,\"enterprise_id\":1,\"keeper_name\":\"k\"}"
    "machines-keeper-phone-letters|4.00|admin|post|v1/machines|-t 50|text:{\"chip_id\":\"WR-X-1\",\"process_category\":\"fusion\",\"enterprise_id\":1,\"keeper_name\":\"k\",\"keeper_phone\":\"abc\"}"
    "machines-status-object|4.00|admin|post|v1/machines|-t 50|text:{\"chip_id\":\"WR-X-1\",\"process_category\":\"fusion\",\"enterprise_id\":1,\"keeper_name\":\"k\",\"status\":{}}"
    "machines-put-no-id|4.00|admin|put|v1/machines|-t 50|text:{\"model\":\"m\"}"
    "machines-transfer-empty|4.00|admin|post|v1/machines/transfer|-t 50|text:{}"
    "machines-transfer-id-text|4.00|admin|post|v1/machines/transfer|-t 50|text:{\"id\":\"1\",\"enterprise_id\":1}"
    "machines-retire-id-negative|4.00|admin|post|v1/machines/retire|-t 50|text:{\"id\":-3}"
    "machines-retire-no-format|4.15|admin|post|v1/machines/retire||text:{\"id\":1}"
    "machines-get-chip-bad|4.04|admin|get|v1/machines?chip=%27%20OR%20%27%27=%27||-"
    "machines-get-id-sql|4.00|admin|get|v1/machines?id=1%27%20OR%20%271%27=%271||-"
    "machines-get-status-retired|4.00|admin|get|v1/machines?status=retired||-"
    "machines-get-status-long|4.00|inspector|get|v1/machines?status=scrapped-and-then-some-more-text||-"
    "machines-get-kind|4.00|admin|get|v1/machines?kind=fusion||-"
    "machines-as-machine|4.03|machine|post|v1/machines|-t 50|text:{}"
    # admin: welders
    "welders-idcard-checksum|4.00|admin|post|v1/welders|-t 50|text:{\"name\":\"n\",\"idcard\":\"110105194912310021\",\"licence_no\":\"T1\",\"categories\":[\"fusion\"],\"issued_on\":\"2024-03-01\"}"
    "welders-categories-text|4.00|admin|post|v1/welders|-t 50|text:{\"name\":\"n\",\"idcard\":\"11010519491231002X\",\"licence_no\":\"T1\",\"categories\":\"fusion\",\"issued_on\":\"2024-03-01\"}"
    "welders-categories-unknown|4.00|admin|post|v1/welders|-t 50|text:{\"name\":\"n\",\"idcard\":\"11010519491231002X\",\"licence_no\":\"T1\",\"categories\":[\"laser\"],\"issued_on\":\"2024-03-01\"}"
    "welders-categories-twice|4.00|admin|post|v1/welders|-t 50|text:{\"name\":\"n\",\"idcard\":\"11010519491231002X\",\"licence_no\":\"T1\",\"categories\":[\"fusion\",\"fusion\"],\"issued_on\":\"2024-03-01\"}"
    "welders-date-invalid|4.00|admin|post|v1/welders|-t 50|text:{\"name\":\"n\",\"idcard\":\"11010519491231002X\",\"licence_no\":\"T1\",\"categories\":[\"fusion\"],\"issued_on\":\"2024-13-45\"}"
    "welders-until-before-issue|4.00|admin|post|v1/welders|-t 50|text:{\"name\":\"n\",\"idcard\":\"11010519491231002X\",\"licence_no\":\"T1\",\"categories\":[\"fusion\"],\"issued_on\":\"2024-03-01\",\"valid_until\":\"2023-01-01\"}"
    "welders-long-record-text|4.00|admin|post|v1/welders|-t 50|text:{\"name\":\"n\",\"idcard\":\"11010519491231002X\",\"licence_no\":\"T1\",\"categories\":[\"fusion\"],\"issued_on\":\"2024-03-01\",\"long_record\":\"yes\"}"
    "welders-name-sql|4.00|admin|post|v1/welders|-t 50|text:{\"name\":\"$SQL\",\"idcard\":\"1\",\"licence_no\":\"T1\",\"categories\":[\"fusion\"],\"issued_on\":\"2024-03-01\"}"
    "welders-put-id-text|4.00|admin|put|v1/welders?id=x|-t 50|text:{\"name\":\"n\"}"
    "welders-retire-empty|4.00|admin|post|v1/welders/retire|-t 50|text:{}"
    "welders-training-empty|4.00|admin|post|v1/welders/training|-t 50|text:{}"
    "welders-training-id-text|4.00|admin|post|v1/welders/training|-t 50|text:{\"id\":\"one\"}"
    "welders-import-json|4.15|admin|post|v1/welders/import|-t 50|text:{}"
    "welders-import-no-body|4.00|admin|post|v1/welders/import|-t 0|-"
    "welders-import-unterminated|4.00|admin|post|v1/welders/import|-t 0|text:name,\"open"
    "welders-import-bad-utf8|4.00|admin|post|v1/welders/import|-t 0|hex:6e616d650aff0a"
    "welders-import-no-header|4.00|admin|post|v1/welders/import|-t 0|text:x,y,z"
    "welders-get-limit-text|4.00|admin|get|v1/welders?limit=ten||-"
    "welders-get-status-scrapped|4.00|admin|get|v1/welders?status=scrapped||-"
    "welders-get-community|4.00|admin|get|v1/welders?community_id=1||-"
    # admin: permits
    "permits-level-unknown|4.00|admin|post|v1/permits|-t 50|text:{\"permit_no\":\"P-1\",\"level\":\"zeroth\",\"enterprise_id\":1}"
    "permits-starts-garbage|4.00|admin|post|v1/permits|-t 50|text:{\"permit_no\":\"P-1\",\"level\":\"first\",\"enterprise_id\":1,\"starts_at\":\"soon\"}"
    "permits-welders-text|4.00|admin|post|v1/permits|-t 50|text:{\"permit_no\":\"P-1\",\"level\":\"first\",\"enterprise_id\":1,\"welders\":\"1\"}"
    "permits-lat-text|4.00|admin|post|v1/permits|-t 50|text:{\"permit_no\":\"P-1\",\"level\":\"first\",\"enterprise_id\":1,\"site_lat\":\"north\"}"
    "permits-end-id-text|4.00|admin|post|v1/permits/end|-t 50|text:{\"id\":\"1\"}"
    "permits-end-empty|4.00|admin|post|v1/permits/end|-t 50|text:{}"
    "permits-get-after-text|4.00|admin|get|v1/permits?after=x||-"
    "permits-get-status-active|4.00|admin|get|v1/permits?status=active||-"
    "permits-get-status-as-inspector|4.00|inspector|get|v1/permits?status=open||-"
    # admin: principals
    "principals-role-machine|4.00|admin|post|v1/principals|-t 50|text:{\"identity\":\"p-1\",\"role\":\"machine\"}"
    "principals-role-root|4.00|admin|post|v1/principals|-t 50|text:{\"identity\":\"p-1\",\"role\":\"root\"}"
    "principals-identity-sql|4.00|admin|post|v1/principals|-t 50|text:{\"identity\":\"$SQL\",\"role\":\"admin\"}"
    "principals-identity-long|4.00|admin|post|v1/principals|-t 50|text:{\"identity\":\"$(repeat a 65)\",\"role\":\"admin\"}"
    "principals-identity-empty|4.00|admin|post|v1/principals|-t 50|text:{\"identity\":\"\",\"role\":\"admin\"}"
    "principals-inspector-no-communities|4.00|admin|post|v1/principals|-t 50|text:{\"identity\":\"p-1\",\"role\":\"inspector\"}"
    "principals-communities-text|4.00|admin|post|v1/principals|-t 50|text:{\"identity\":\"p-1\",\"role\":\"inspector\",\"communities\":[\"1\"]}"
    "principals-communities-object|4.00|admin|post|v1/principals|-t 50|text:{\"identity\":\"p-1\",\"role\":\"inspector\",\"communities\":{}}"
    "principals-as-inspector|4.03|inspector|get|v1/principals||-"
    "principals-get-role-unknown|4.00|admin|get|v1/principals?role=root||-"
    "principals-get-status|4.00|admin|get|v1/principals?status=inspector||-"
    # admin: audit
    "audit-after-text|4.00|admin|get|v1/audit?after=x||-"
    "audit-limit-negative|4.00|admin|get|v1/audit?limit=-1||-"
    "audit-post|4.05|admin|post|v1/audit|-t 50|text:{}"
    "audit-as-machine|4.03|machine|get|v1/audit||-"
    "audit-as-inspector|4.03|inspector|get|v1/audit||-"
    "audit-get-entity-unknown|4.00|admin|get|v1/audit?entity=checkin||-"
    "audit-get-status|4.00|admin|get|v1/audit?status=active||-"
    # inspectors: status cards, violations, life cycle, reports, live alerts, counts
    "card-no-chip|4.00|inspector|get|v1/machines/card||-"
    "card-chip-too-long|4.00|inspector|get|v1/machines/card?chip=$(repeat A 70)||-"
    "card-unknown|4.04|inspector|get|v1/machines/card?chip=NOPE-1||-"
    "card-sql|4.04|admin|get|v1/machines/card?chip=x%27%20OR%201=1--||-"
    "card-as-machine|4.03|machine|get|v1/machines/card?chip=$CHIP||-"
    "card-post|4.05|inspector|post|v1/machines/card|-t 50|text:{}"
    "card-other-param|4.00|inspector|get|v1/machines/card?chip=$CHIP&id=1||-"
    "violations-status-unknown|4.00|inspector|get|v1/violations?status=closed||-"
    "violations-from-bad-date|4.00|inspector|get|v1/violations?from=2026-02-30||-"
    "violations-to-not-date|4.00|inspector|get|v1/violations?to=yesterday||-"
    "violations-limit-huge|4.00|inspector|get|v1/violations?limit=501||-"
    "violations-before-and-after|4.00|inspector|get|v1/violations?before=5&after=1||-"
    "violations-id-text|4.00|inspector|get|v1/violations?id=one||-"
    "violations-kind-too-long|4.00|inspector|get|v1/violations?kind=$(repeat k 70)||-"
    "violations-kind-unknown|4.00|inspector|get|v1/violations?kind=speeding||-"
    "violations-kind-not-a-violation|4.00|inspector|get|v1/violations?kind=training_missing||-"
    "violations-kind-onsite-report-kind|4.00|admin|get|v1/violations?kind=machine_without_chip||-"
    "violations-status-empty|4.00|inspector|get|v1/violations?status=||-"
    "violations-misspelt|4.00|inspector|get|v1/violations?staus=open||-"
    "violations-one-missing|4.04|inspector|get|v1/violations?id=424242||-"
    "violations-as-machine|4.03|machine|get|v1/violations||-"
    "violations-live-after-text|4.00|inspector|get|v1/violations/live?after=x||-"
    "violations-live-other-param|4.00|inspector|get|v1/violations/live?status=open||-"
    "violations-live-as-machine|4.03|machine|get|v1/violations/live||-"
    "violation-ack-no-id|4.00|inspector|post|v1/violations/acknowledge|-t 50|text:{\"note\":\"n\"}"
    "violation-ack-id-text|4.00|inspector|post|v1/violations/acknowledge|-t 50|text:{\"id\":\"1\"}"
    "violation-ack-unknown-key|4.00|inspector|post|v1/violations/acknowledge|-t 50|text:{\"id\":1,\"by\":\"me\"}"
    "violation-ack-missing|4.04|inspector|post|v1/violations/acknowledge|-t 50|text:{\"id\":424242}"
    "violation-resolve-no-note|4.00|inspector|post|v1/violations/resolve|-t 50|text:{\"id\":1}"
    "violation-dismiss-note-number|4.00|inspector|post|v1/violations/dismiss|-t 50|text:{\"id\":1,\"note\":5}"
    "violation-ack-as-machine|4.03|machine|post|v1/violations/acknowledge|-t 50|text:{\"id\":1}"
    "violation-ack-cbor-truncated|4.00|inspector|post|v1/violations/acknowledge|-t 60|hex:a2626964"
    "report-kind-unknown|4.00|inspector|post|v1/reports|-t 50|text:{\"kind\":\"lead\",\"community_id\":1}"
    "report-no-place|4.00|inspector|post|v1/reports|-t 50|text:{\"kind\":\"machine_without_chip\"}"
    "report-other-community|4.03|inspector|post|v1/reports|-t 50|text:{\"kind\":\"machine_without_chip\",\"community_id\":2}"
    "report-community-missing|4.00|admin|post|v1/reports|-t 50|text:{\"kind\":\"machine_without_chip\",\"community_id\":99}"
    "report-lat-only|4.00|inspector|post|v1/reports|-t 50|text:{\"kind\":\"machine_without_chip\",\"community_id\":1,\"lat\":30}"
    "report-lat-range|4.00|inspector|post|v1/reports|-t 50|text:{\"kind\":\"machine_without_chip\",\"community_id\":1,\"lat\":91,\"lon\":1}"
    "report-observed-future|4.00|inspector|post|v1/reports|-t 50|text:{\"kind\":\"machine_without_chip\",\"community_id\":1,\"observed_at\":99999999999}"
    "report-other-no-note|4.00|inspector|post|v1/reports|-t 50|text:{\"kind\":\"other\",\"community_id\":1}"
    "report-note-invalid-utf8|4.00|inspector|post|v1/reports|-t 50|hex:7b226b696e64223a226f74686572222c226e6f7465223a22ff227d"
    "report-sql-chip|4.00|inspector|post|v1/reports|-t 50|text:{\"kind\":\"machine_without_chip\",\"chip_id\":\"x'); DROP TABLE violations; --\"}"
    "report-as-machine|4.03|machine|post|v1/reports|-t 50|text:{\"kind\":\"other\",\"note\":\"n\",\"community_id\":1}"
    "counts-bad-from|4.00|inspector|get|v1/counts?from=2026-13-01||-"
    "counts-unknown-param|4.00|inspector|get|v1/counts?form=2026-01-01||-"
    "counts-by-unknown|4.00|inspector|get|v1/counts?by=district||-"
    "counts-other-community|4.03|inspector|get|v1/counts?community=2||-"
    "counts-as-machine|4.03|machine|get|v1/counts||-"
    # anywhere
    "unknown-resource|4.04|admin|get|v1/nothing||-"
    "unknown-version|4.04|admin|get|v2/communities||-"
    "unknown-critical-option|4.02|admin|get|v1/communities|-O 9,x|-"
)

# What some diagnostics must say: a filter that is not the resource's, or a value outside its
# closed set, is named with what is allowed.
declare -A DIAGNOSTIC=(
    [communities-get-status]='query "status": unknown; use id, after or limit'
    [enterprises-get-status-unknown]='query "status": expected active, suspended or closed'
    [machines-get-status-retired]='query "status": expected active, suspended or scrapped'
    [welders-get-community]='query "community_id": unknown; use id, after, limit or status'
    [permits-get-status-active]='query "status": expected approved, cancelled or closed'
    [principals-get-role-unknown]='query "role": expected admin, inspector or machine'
    [audit-get-entity-unknown]='query "entity": expected community, enterprise, machine, welder,'
    [violations-kind-unknown]='query "kind": expected machine_unknown, machine_suspended,'
    [violations-kind-not-a-violation]='onsite_other or public_report'
    [violations-status-empty]='query "status": expected open, acknowledged, resolved or dismissed'
    [counts-by-unknown]='query "by": expected community, enterprise or industry'
    [checkin-as-admin]='only machines check in; this identity is an administrator'
    [checkin-as-inspector]='only machines check in; this identity is an inspector'
    [checkin-indefinite-map]='must use definite-length CBOR (indefinite-length map at offset 0)'
)

# ---- running them ----

# table_digest prints one line per table: its name, row count and the MD5 of its sorted rows.
table_digest() {
    local table
    for table in $(wr_psql "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"); do
        printf '%s %s\n' "$table" "$(wr_psql "SELECT count(*) || ' ' ||
            coalesce(md5(string_agg(t::text, E'\n' ORDER BY t::text)), '-') FROM \"$table\" t")"
    done
}

# run_case LINE sends one case and checks the code and the diagnostic.
run_case() {
    local name want caller method path flags body
    IFS='|' read -r name want caller method path flags body <<<"$1"
    local args=(-m "$method" -u "${IDENTITY[$caller]}" -k "$(cat "${PSK[$caller]}")" -B 10 -o "$T/answer")
    # shellcheck disable=SC2206 # the flags are words
    args+=($flags)
    case $body in
    -) ;;
    hex:*) printf '%s' "${body#hex:}" | tr -d ' ' | xxd -r -p >"$T/body" && args+=(-f "$T/body") ;;
    text:*) printf '%s' "${body#text:}" >"$T/body" && args+=(-f "$T/body") ;;
    gen:*) args+=(-f "$T/gen/${body#gen:}") ;;
    *) wr_fail "case $name: bad body \"$body\"" ;;
    esac
    local got diagnostic attempt
    # a case that got no answer at all (a handshake lost to a slow server, e.g. under valgrind)
    # is sent again; any answer counts
    for attempt in 1 2 3; do
        rm -f "$T/answer"
        timeout 20 coap-client-openssl "${args[@]}" "coaps://127.0.0.1:$WR_PORT/$path" \
            >"$T/client.out" 2>"$T/client.err" || true
        got=""
        read -r got diagnostic <"$T/client.err" || true
        [[ $got =~ ^[2-5]\.[0-9][0-9]$ || -s $T/answer || -s $T/client.out ]] && break
        printf 'case %s: no answer (attempt %d): %s\n' "$name" "$attempt" "$(cat "$T/client.err")"
    done
    [[ $got =~ ^[2-5]\.[0-9][0-9]$ ]] || got=2.xx # success: nothing on stderr
    if [[ $want == 2.05 ]]; then
        if ! xxd -p "$T/answer" 2>/dev/null | tr -d '\n' | grep -q 6576616c6964f4; then
            wr_fail "case $name: expected a verdict {\"valid\": false}, got $got $diagnostic"
        fi
        return
    fi
    [[ $got == "$want" ]] ||
        wr_fail "case $name: expected $want, got $got $diagnostic $(cat "$T/client.out")"
    [[ -n $diagnostic ]] || wr_fail "case $name: $got without a diagnostic"
    [[ -z ${DIAGNOSTIC[$name]:-} || $diagnostic == *"${DIAGNOSTIC[$name]}"* ]] ||
        wr_fail "case $name: the diagnostic \"$diagnostic\" lacks \"${DIAGNOSTIC[$name]}\""
}

before=$(table_digest)
declare -A seen
for line in "${CASES[@]}"; do
    name=${line%%|*}
    [[ -z ${seen[$name]:-} ]] || wr_fail "case $name is listed twice"
    seen[$name]=1
    run_case "$line"
done
wr_ok "${#CASES[@]} malformed requests, each answered with its code and a diagnostic"

kill -0 "$WR_SERVER_PID" 2>/dev/null || wr_fail "the server is gone"
! grep -E 'AddressSanitizer|runtime error|LeakSanitizer' "$WR_SERVER_LOG" ||
    wr_fail "the server log holds a sanitizer report"
"$WELDTAG" admin community get id=1 --json "${AS_ADMIN[@]}" >"$T/out" 2>&1 ||
    { cat "$T/out"; wr_fail "the server no longer answers a valid request"; }
grep -q '"code":"370102-001"' "$T/out" || { cat "$T/out"; wr_fail "community 1 reads back wrong"; }
wr_ok "the server is up and answers a valid request"

after=$(table_digest)
[[ $before == "$after" ]] || {
    diff <(printf '%s\n' "$before") <(printf '%s\n' "$after") >&2
    wr_fail "the database changed"
}
wr_ok "no table changed ($(printf '%s\n' "$before" | wc -l) tables compared)"
wr_server_stop
wr_ok "clean stop"
