#!/usr/bin/env bash
# test-codes.sh — signed codes end to end: weldtag issues machine and welder codes (text, PNG,
# journal, label sheet), reads them back from PNGs (weldtag read --image and zbarimg), and
# verifies valid, forged, tampered, expired, wrong-type and revoked codes offline and online,
# checking exit codes and messages; then pulls the revocation list for offline use.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

WELDTAG="$WELDREG_BUILD_DIR/tag-reader/weldtag"
KEY="$WR_CERTS_DIR/signing.key"
T=$WR_TMP
CHIP=WR-C-0001
USCC=91370100MA3C1234X5

# A second key the trust list allows for machine codes only, valid since 2020, and a third key
# nobody trusts (a forger's). Trust list lines are written the way certs/mkcerts.sh does.
raw_pub() { openssl pkey -in "$1" -pubout -outform DER | tail -c 32; }
make_key() { openssl genpkey -algorithm ed25519 -out "$1" 2>/dev/null; }
trust_line() { # KEY TYPES
    local kid
    kid=$(raw_pub "$1" | openssl dgst -sha256 -binary | head -c 8 | od -An -v -tx1 | tr -d ' \n')
    printf '%s ed25519 1577836800 4102444800 %s %s\n' "$kid" "$2" "$(raw_pub "$1" | base64 -w 0)"
}
make_key "$T/old.key"
make_key "$T/forger.key"
make_key "$T/machines-only.key"
cp "$WR_CERTS_DIR/trust.list" "$T/trust.list"
trust_line "$T/old.key" mw >>"$T/trust.list"
trust_line "$T/machines-only.key" m >>"$T/trust.list"

wr_db_create codes
admin_psk=$(wr_provision admin admin-c)
inspector_psk=$(wr_provision inspector inspector-c)
machine_psk=$(wr_provision machine "$CHIP")
sed -i "s#^trust_list_file = .*#trust_list_file = $T/trust.list#" "$T/weldreg.conf"
wr_psql "INSERT INTO communities (code, name, district) VALUES ('c1', 'Community', 'District');
         INSERT INTO enterprises (uscc, name, community_id) VALUES ('$USCC', 'Works', 1);
         INSERT INTO machines (chip_id, process_category, enterprise_id, keeper_name)
             VALUES ('$CHIP', 'fusion', 1, 'Keeper');"
wr_server_start
SERVER=(--server "coaps://127.0.0.1:$WR_PORT")
AS_INSPECTOR=("${SERVER[@]}" --identity inspector-c --psk-file "$inspector_psk")

issue_machine() { # KEY [extra options...]
    local key=$1
    shift
    "$WELDTAG" issue machine --chip "$CHIP" --ent 1 --cat fusion --signing-key "$key" \
        --iss test "$@"
}

# expect RC COMMAND... runs COMMAND, keeps its output in $T/out and fails unless it exits RC.
expect() {
    local want=$1 rc=0
    shift
    "$@" >"$T/out" 2>&1 || rc=$?
    ((rc == want)) || { cat "$T/out"; wr_fail "expected exit $want, got $rc: $*"; }
}
expect_text() { grep -q -- "$1" "$T/out" || { cat "$T/out"; wr_fail "output lacks \"$1\""; }; }

# 1. Issue: a machine code as text and PNG, a welder code as PNG, both in the journal.
machine=$(issue_machine "$KEY" --journal "$T/journal.csv" 2>"$T/issue.err")
[[ $machine == WR3:* ]] || wr_fail "issue machine printed \"$machine\""
grep -Eq "QR version ([1-9]|10)-Q" "$T/issue.err" || wr_fail "machine code above 10-Q: $(cat "$T/issue.err")"
wr_ok "machine code issued: $(cat "$T/issue.err")"
issue_machine "$KEY" --format png --out "$T/machine.png" 2>/dev/null
"$WELDTAG" issue welder --licence T410102199001011234 --name 张三丰 --cats fusion,brazing \
    --licence-valid-until 2035-06-30 --wid a0a1a2a3a4a5a6a7a8a9aaabacadaeaf --signing-key "$KEY" \
    --iss test --journal "$T/journal.csv" --format png --out "$T/welder.png" 2>"$T/issue.err"
grep -Eq "QR version ([1-9]|1[01])-Q" "$T/issue.err" || wr_fail "welder code above 11-Q: $(cat "$T/issue.err")"
wr_ok "welder code issued: $(cat "$T/issue.err")"
[[ $(wc -l <"$T/journal.csv") == 3 ]] || wr_fail "journal: $(cat "$T/journal.csv")"
grep -q "^[0-9a-f]\{16\},machine,$CHIP,.*Z,.*Z,[0-9a-f]\{16\}$" "$T/journal.csv" ||
    wr_fail "journal line for the machine: $(cat "$T/journal.csv")"
grep -q ",welder,a0a1a2a3a4a5a6a7a8a9aaabacadaeaf," "$T/journal.csv" ||
    wr_fail "journal line for the welder: $(cat "$T/journal.csv")"
wr_ok "journal holds both codes"
expect 2 "$WELDTAG" issue welder --licence 410102199001011234 --name x --cats fusion \
    --licence-valid-until 2035-01-01 --wid a0a1a2a3a4a5a6a7a8a9aaabacadaeaf \
    --signing-key "$KEY" --iss test
expect_text "invalid --licence"
wr_ok "an unmasked, malformed licence number is refused"
expect 2 "$WELDTAG" issue machine --chip WR-C-0001-0002-0003 --ent 1 --cat fusion \
    --signing-key "$KEY" --iss abcdefghijkl
expect_text "too long for QR version 10-Q"
wr_ok "a chip id too long for version 10-Q is refused: $(cat "$T/out")"
# Chip ids of 20 digits (an ICCID; an IMEI has 15) fit version 10-Q with any issuer, up to the
# worst case: a 12-character issuer and the largest enterprise number.
for iss_ent in "xinmi-qp 1" "abcdefghijkl 4294967295"; do
    read -r iss ent <<<"$iss_ent"
    expect 0 "$WELDTAG" issue machine --iss "$iss" --chip 89860312345678901234 --ent "$ent" \
        --cat brazing --signing-key "$KEY" --days 1096 --format png --out "$T/iccid.png"
    grep -Eq "QR version ([1-9]|10)-Q" "$T/out" || wr_fail "ICCID code above 10-Q: $(cat "$T/out")"
    iccid=$(zbarimg -q --raw "$T/iccid.png" 2>/dev/null)
    expect 0 "$WELDTAG" read "$iccid"
    expect_text "chip:        89860312345678901234"
    expect_text "issuer:      $iss"
done
wr_ok "a 20-digit chip id with a 12-character issuer fits 10-Q and reads back: $(head -n 1 "$T/out")"

# A licence "valid until" a day is valid through the end of that day in China, whoever signs
# the code and whatever the time zone of the station: the platform's code for a welder and the
# station's, for the same date, carry the same instant, and read shows that date.
until=$(date -d '+2 years' +%F)
"$WELDTAG" admin welder create --json name=李四 idcard=11010519491231002X \
    licence_no=T11010519491231002X categories=fusion issued_on="$(date -d '-1 year' +%F)" \
    valid_until="$until" --server "coaps://127.0.0.1:$WR_PORT" --identity admin-c \
    --psk-file "$admin_psk" >"$T/out" 2>&1 || { cat "$T/out"; wr_fail "welder not created"; }
platform=$(sed -E 's/.*"code":"([^"]*)".*/\1/' "$T/out")
station=$(TZ=America/New_York "$WELDTAG" issue welder --licence T11010519491231002X --name 李四 \
    --cats fusion --licence-valid-until "$until" --wid a0a1a2a3a4a5a6a7a8a9aaabacadaeaf \
    --signing-key "$KEY" --iss test 2>/dev/null)
for code in "$platform" "$station"; do
    expect 0 env TZ=UTC "$WELDTAG" read "$code"
    expect_text "^licence valid until: $until (through the end of that day, China time)$"
done
wr_ok "licence valid until $until: the same day in the platform's and the station's codes"

# 2. Read back: weldtag read --image and zbarimg give the same text and fields.
expect 0 "$WELDTAG" read --image "$T/welder.png"
expect_text "T\*\*\*\*\*\*\*\*\*\*\*\*\*\*1234"
expect_text "张\*"
expect 0 "$WELDTAG" read --image "$T/machine.png"
expect_text "chip:        $CHIP"
expect_text "enterprise:  1 (registry number)"
wr_ok "weldtag read --image decodes both PNGs"
# A 69-byte PNG declaring 60000 x 60000 pixels, and one whose text chunk declares 2 GB: refused
# with a message, exit 2, nothing decoded or allocated for them.
CORPUS=$WELDREG_SOURCE_DIR/fuzz/corpus/tag-image
expect 2 "$WELDTAG" read --image "$CORPUS/invalid-png-60000x60000"
expect_text "image is too large (at most 8192 pixels a side and 50 megapixels: scale it down)"
expect 2 "$WELDTAG" verify --image "$CORPUS/invalid-png-text-chunk-2gb" --trust-list "$T/trust.list"
expect_text "image is truncated"
wr_ok "weldtag refuses an oversized image and a 2 GB chunk: $(head -n 1 "$T/out")"
welder=$(zbarimg -q --raw "$T/welder.png" 2>/dev/null)
[[ $welder == WR3:* ]] || wr_fail "zbarimg read \"$welder\""
expect 0 "$WELDTAG" read "$welder"
expect_text "welder code"
wr_ok "zbarimg reads the welder PNG as a weldreg code"

# 3. Offline verification: valid, tampered, forged, expired, wrong type.
OFF=(--trust-list "$T/trust.list")
expect 0 "$WELDTAG" verify "$machine" "${OFF[@]}"
expect_text "OFFLINE check"
expect_text "result:      VALID"
expect 0 "$WELDTAG" verify --image "$T/welder.png" "${OFF[@]}"
wr_ok "valid codes verify offline (text and PNG)"
last=${machine: -1}
tampered=${machine:0:-1}$([[ $last == 0 ]] && echo 1 || echo 0)
expect 1 "$WELDTAG" verify "$tampered" "${OFF[@]}"
grep -Eq "INVALID \((bad_signature|malformed)\)" "$T/out" || {
    cat "$T/out"
    wr_fail "a tampered code is not refused as tampered"
}
wr_ok "tampered code refused: $(grep result "$T/out")"
forged=$(issue_machine "$T/forger.key" 2>/dev/null)
expect 1 "$WELDTAG" verify "$forged" "${OFF[@]}"
expect_text "INVALID (unknown_key)"
wr_ok "forged code refused: unknown key"
now=$(date +%s)
expired=$(issue_machine "$T/old.key" --issued $((now - 7200)) --expires $((now - 3600)) 2>/dev/null)
expect 1 "$WELDTAG" verify "$expired" "${OFF[@]}"
expect_text "INVALID (expired)"
wr_ok "expired code refused"
expect 1 "$WELDTAG" verify "$machine" "${OFF[@]}" --at $((now - 86400))
expect_text "INVALID (not_yet_valid)"
wr_ok "a code checked before its issue time is not yet valid"
wrongtype=$("$WELDTAG" issue welder --licence T410102199001011234 --name 张三 --cats fusion \
    --licence-valid-until 2035-06-30 --wid a0a1a2a3a4a5a6a7a8a9aaabacadaeaf \
    --signing-key "$T/machines-only.key" --iss test 2>/dev/null)
expect 1 "$WELDTAG" verify "$wrongtype" "${OFF[@]}"
expect_text "INVALID (wrong_type)"
wr_ok "welder code signed by a machines-only key refused: wrong type"
expect 2 "$WELDTAG" verify "$machine"
expect_text "needs --trust-list"
wr_ok "offline check without a trust list is a usage error"

# 4. Online: the platform knows the code only once it is recorded; then revoke it by SQL.
cti_of() { "$WELDTAG" read "$1" | awk '/^code id:/ {print $3}'; }
expect 1 "$WELDTAG" verify "$machine" --online "${AS_INSPECTOR[@]}"
expect_text "ONLINE check"
expect_text "INVALID (unknown_code)"
wr_ok "online: a code the platform never recorded is refused"
machine_cti=$(cti_of "$machine")
wr_psql "INSERT INTO codes (cti, kind, machine_id, kid, expires_at)
         VALUES ('\\x$machine_cti', 'machine', 1, '\\x0000000000000000', now() + interval '1 year')"
# wait_online RC TEXT: the registry view follows NOTIFY; allow it a few seconds
wait_online() {
    local i
    for ((i = 0; i < 50; i++)); do
        rc=0
        "$WELDTAG" verify "$machine" --online "${AS_INSPECTOR[@]}" >"$T/out" 2>&1 || rc=$?
        ((rc == $1)) && grep -q -- "$2" "$T/out" && return 0
        sleep 0.2
    done
    cat "$T/out"
    wr_fail "online verification did not reach exit $1 with \"$2\""
}
wait_online 0 "result:      VALID"
expect_text "record:      active"
expect_text "subject:     active"
wr_ok "online: recorded code valid, machine active"
# a copy of that code with its signature changed: the platform's record of the code id it
# claims must not be shown as if it vouched for it
for ((pos = ${#machine} - 4; pos > ${#machine} - 40; pos--)); do
    c=${machine:pos:1}
    forgery=${machine:0:pos}$([[ $c == A ]] && echo B || echo A)${machine:pos+1}
    "$WELDTAG" verify "$forgery" "${OFF[@]}" 2>&1 | grep -q "INVALID (bad_signature)" && break
done
expect 1 "$WELDTAG" verify "$forgery" --online "${AS_INSPECTOR[@]}"
expect_text "INVALID (bad_signature)"
expect_text "NOT GENUINE"
if grep -q "record:" "$T/out" || grep -q "subject:" "$T/out"; then
    cat "$T/out"
    wr_fail "a forged code is shown with the record of the code it copies"
fi
wr_ok "online: a copy with a changed signature is not genuine, and no record vouches for it"
expect 0 "$WELDTAG" verify "$machine" --online "${SERVER[@]}" --identity "$CHIP" \
    --psk-file "$machine_psk"
wr_ok "online: a machine may verify too"
expect 1 "$WELDTAG" verify "$forged" --online "${AS_INSPECTOR[@]}"
expect_text "INVALID (unknown_key)"
expect 1 "$WELDTAG" verify "$expired" --online "${AS_INSPECTOR[@]}"
expect_text "INVALID (expired)"
wr_ok "online: forged and expired codes refused"

wr_psql "UPDATE codes SET revoked_at = now(), revoke_reason = 'label stolen'
         WHERE cti = '\\x$machine_cti'"
wait_online 1 "INVALID (revoked)"
expect_text "record:      revoked"
wr_ok "online: revoked code refused"

# 5. The revocation list for offline checks: pulled whole, then as a delta.
expect 0 "$WELDTAG" revocations pull --out "$T/revoked.list" "${AS_INSPECTOR[@]}"
head -1 "$T/revoked.list" | grep -qx "version 1" || wr_fail "list: $(cat "$T/revoked.list")"
grep -qx "$machine_cti" "$T/revoked.list" || wr_fail "the revoked cti is not in the list"
expect 1 "$WELDTAG" verify "$machine" "${OFF[@]}" --revocations "$T/revoked.list"
expect_text "OFFLINE check: revocations as of version 1"
expect_text "INVALID (revoked)"
wr_ok "offline: revoked code refused with the pulled list"
other=$(issue_machine "$KEY" 2>/dev/null)
other_cti=$(cti_of "$other")
wr_psql "INSERT INTO codes (cti, kind, machine_id, kid, expires_at, revoked_at, revoke_reason)
         VALUES ('\\x$other_cti', 'machine', 1, '\\x0000000000000000',
                 now() + interval '1 year', now(), 'replaced')"
for ((i = 0; i < 50; i++)); do
    expect 0 "$WELDTAG" revocations pull --out "$T/revoked.list" "${AS_INSPECTOR[@]}"
    grep -q "1 new from the server" "$T/out" && break
    sleep 0.2
done
expect_text "version 2, 2 revoked codes (1 new from the server)"
grep -qx "$other_cti" "$T/revoked.list" || wr_fail "the delta was not merged"
wr_ok "revocation delta merged: $(cat "$T/out")"
expect 0 "$WELDTAG" revocations pull --out "$T/revoked.list" "${SERVER[@]}" --identity "$CHIP" \
    --psk-file "$machine_psk"
expect_text "version 2, 2 revoked codes (0 new"
wr_ok "a machine may pull the list; nothing new"

# 6. A label sheet of both codes, with captions taken from the codes.
printf '%s\n%s\n' "$other" "$welder" >"$T/sheet.txt"
expect 0 "$WELDTAG" labels "$T/sheet.txt" --out "$T/sheet.pdf" --hotline "Hotline 12345"
expect_text "2 labels on 1 pages"
head -c 5 "$T/sheet.pdf" | grep -q '%PDF-' || wr_fail "the label sheet is not a PDF"
wr_ok "label sheet written"
# captions must belong to the code under them; weldtag issue --format line's do, in any zone
TZ=America/New_York issue_machine "$KEY" --format line >"$T/line.txt" 2>/dev/null
expect 0 env TZ=Pacific/Kiritimati "$WELDTAG" labels "$T/line.txt" --out "$T/line.pdf"
printf '%s\tChip WR-C-0002\tValid until 2030-01-01\n' "$other" >"$T/wrong.txt"
expect 2 "$WELDTAG" labels "$T/wrong.txt" --out "$T/wrong.pdf"
expect_text 'wrong.txt:1: caption "Chip WR-C-0002" names chip WR-C-0002, but the code is for chip'
[[ ! -e $T/wrong.pdf ]] || wr_fail "a sheet was written with a caption of another machine"
wr_ok "a caption naming another chip is refused: $(cat "$T/out")"

# 7. Bad requests to the server.
expect 1 "$WELDTAG" verify "WR3:AAAA" --online "${AS_INSPECTOR[@]}"
expect_text "INVALID (malformed)"
wr_ok "online: malformed code refused"
expect 1 "$WELDTAG" verify "$machine" --online "${SERVER[@]}" --identity admin-c \
    --psk-file "$admin_psk"
expect_text "INVALID (revoked)"
wr_ok "online: an admin may verify too"
wr_server_stop
wr_ok "server stopped cleanly"
