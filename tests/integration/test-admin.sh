#!/usr/bin/env bash
# test-admin.sh — the registry admin API end to end, driven with weldtag as an administrator
# would: enrol a community, an enterprise, a machine (PSK and code), a welder (code) and a
# permit; import 10,000 welders from CSV (timed); transfer and scrap a machine; read it all
# back and export it; bad input of each kind gets its specific error; the role matrix (admin,
# inspector in and out of scope, machine) for every resource; the audit chain verifies and a
# tampered entry is named.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

WELDTAG="$WELDREG_BUILD_DIR/tag-reader/weldtag"
T=$WR_TMP
USCC=91350100M000100Y43
USCC2=91110000100000000R
IDCARD=11010519491231002X

wr_db_create admin
admin_psk=$(wr_provision admin admin-a)
machine_psk=$(wr_provision machine WR-PRE-0001)
head -c 32 /dev/urandom >"$T/pii.key"
printf 'pii_key_file = %s\ncode_issuer = test\n' "$T/pii.key" >>"$T/weldreg.conf"
wr_server_start
SERVER=(--server "coaps://127.0.0.1:$WR_PORT")
AS_ADMIN=("${SERVER[@]}" --identity admin-a --psk-file "$admin_psk")
AS_MACHINE=("${SERVER[@]}" --identity WR-PRE-0001 --psk-file "$machine_psk")

# expect RC COMMAND... runs COMMAND, keeps its output in $T/out and fails unless it exits RC.
expect() {
    local want=$1 rc=0
    shift
    "$@" >"$T/out" 2>&1 || rc=$?
    ((rc == want)) || { cat "$T/out"; wr_fail "expected exit $want, got $rc: $*"; }
}
expect_text() { grep -q -- "$1" "$T/out" || { cat "$T/out"; wr_fail "output lacks \"$1\""; }; }
admin() { "$WELDTAG" admin "$@" "${AS_ADMIN[@]}"; }
# json_field KEY prints the value of "KEY" from the compact JSON in $T/out
json_field() { sed -E "s/.*\"$1\":\"?([^\",}]*)\"?.*/\\1/" "$T/out"; }

# 1. Enrolment, as a new administrator would do it.
expect 0 admin community create --json code=370102-001 name=解放路社区 district=历下区
expect_text '"id":1'
expect 0 admin enterprise create --json uscc=$USCC name=某某焊接厂 community_id=1 \
    address=济南市历下区 contact_phone=0531-8888888
expect 0 admin enterprise create --json uscc=$USCC2 name=第二工厂 community_id=1
expect 0 admin machine create --json chip_id=WR-C-0001 process_category=fusion enterprise_id=1 \
    keeper_name=王五 rated_current_a=250 model=ZX7-400
expect_text '"psk":"'
expect_text '"code":"WR3:'
machine_code=$(json_field code)
"$WELDTAG" read "$machine_code" >"$T/read.out" 2>&1 || { cat "$T/read.out"; wr_fail "machine code unreadable"; }
grep -q WR-C-0001 "$T/read.out" || { cat "$T/read.out"; wr_fail "machine code lacks its chip"; }
wr_ok "community, enterprises and a machine with its PSK and code enrolled"
expect 4 admin machine create chip_id=WR-C-0001-0002-000345 process_category=fusion \
    enterprise_id=1 keeper_name=王五
expect_text 'longer than 20 characters'
[[ $(wr_psql "SELECT count(*) FROM machines WHERE chip_id = 'WR-C-0001-0002-000345'") == 0 ]] ||
    wr_fail "a machine whose code cannot be issued was recorded"
wr_ok "a chip id no code can carry is refused, and nothing is recorded"

expect 0 admin welder create --json name=张三 idcard=$IDCARD licence_no=T$IDCARD \
    categories=fusion,brazing issued_on=2024-03-01 phone=13800000000
expect_text '"code":"WR3:'
expect_text '"idcard_masked":"1101\*\*\*\*\*\*\*\*\*\*002X"'
welder_code=$(json_field code)
grep -q "$IDCARD" "$T/out" && wr_fail "the answer echoes the ID-card number"
# the platform knows the code without a restart: the running server's view follows NOTIFY
for ((i = 0; i < 50; i++)); do
    "$WELDTAG" verify --online "$welder_code" "${AS_ADMIN[@]}" >"$T/out" 2>&1 && break
    sleep 0.2
done
expect 0 "$WELDTAG" verify --online "$welder_code" "${AS_ADMIN[@]}"
wr_ok "welder enrolled with a code; the number is masked"

start=$(date -u -d 'tomorrow 09:00' +%Y-%m-%dT09:00:00+08:00)
end=$(date -u -d 'tomorrow 09:00' +%Y-%m-%dT17:00:00+08:00)
expect 0 admin permit create --json permit_no=DH-2025-001 level=first enterprise_id=1 \
    site_address=一号车间 site_lat=36.66 site_lon=117.02 starts_at="$start" ends_at="$end" \
    approver=安全部李工 fire_watch=赵六 welders=1 machines=1
expect_text '"id":1'
wr_ok "permit created"

# 2. Read it back (JSON output, scoped filters, single items).
expect 0 admin machine get chip=WR-C-0001 --json
expect_text '"keeper_name":"王五"'
expect 0 admin welder get id=1 --json
expect_text '"categories":\["fusion","brazing"\]'
expect_text '"review_due":"2027-03-01"'
expect 0 admin permit list enterprise_id=1 --json
expect_text '"permit_no":"DH-2025-001"'
expect 0 admin enterprise update id=2 name=第二工厂（新址） --json
expect 0 admin enterprise get id=2 --json
expect_text '第二工厂（新址）'
wr_ok "records read back and updated"

# 3. Import a survey of 10,000 welders (UTF-8, Chinese names, CRLF) in one POST.
# gen_welders N FILE writes N welders with valid ID-card numbers (GB 11643 check characters).
gen_welders() {
    awk -v n="$1" 'BEGIN {
        split("7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2", w, " ")
        split("1 0 X 9 8 7 6 5 4 3 2", c, " ")
        split("王 李 张 刘 陈 杨 赵 黄 周 吴", s, " ")
        printf "name,idcard,licence_no,categories,issued_on,phone\r\n"
        for (i = 0; i < n; i++) {
            id = sprintf("370102%04d%02d%02d%03d", 1970 + int(i / 28000), int(i / 1000) % 12 + 1,
                         int(i / 12000) % 28 + 1, i % 1000)
            sum = 0
            for (k = 1; k <= 17; k++) sum += substr(id, k, 1) * w[k]
            id = id c[sum % 11 + 1]
            printf "%s焊工%d,%s,T%s,fusion;pressure,2023-%02d-15,1390000%04d\r\n", s[i % 10 + 1], i, id, id, i % 12 + 1, i % 10000
        }
    }' >"$2"
}
gen_welders 10000 "$T/welders.csv"
expect 0 "$WELDTAG" import welders "$T/welders.csv" --json "${AS_ADMIN[@]}"
expect_text '"imported":10000'
grep 'import took' "$T/out"
[[ $(wr_psql "SELECT count(*) FROM welders") == 10001 ]] || wr_fail "welders were not all imported"
[[ $(wr_psql "SELECT count(*) FROM audit_log WHERE action = 'welder.import'") == 10000 ]] ||
    wr_fail "the import has not one audit entry per welder"
wr_ok "10,000 welders imported in one transaction"

# A bad file writes nothing and names line and column.
gen_welders 5 "$T/bad.csv"
sed -i -E '4s/,2023-[0-9]+-15,/,2023-02-30,/' "$T/bad.csv"
expect 4 "$WELDTAG" import welders "$T/bad.csv" "${AS_ADMIN[@]}"
expect_text 'line 4, column 5: field "issued_on": expected a date'
printf 'name,idcard,licence_no,categories,issued_on\n甲,%s,T%s,fusion,2024-01-01\n乙,%s,T%s,fusion,2024-01-01\n' \
    110105194912310021 110105194912310021 11010519491231002X T11010519491231002X >"$T/bad.csv"
expect 4 "$WELDTAG" import welders "$T/bad.csv" "${AS_ADMIN[@]}"
expect_text 'line 2, column 2: field "idcard": '
grep -q 110105194912310021 "$T/out" && wr_fail "an import error echoes the ID-card number"
gen_welders 3 "$T/dup.csv"
tail -n 1 "$T/dup.csv" >>"$T/dup.csv"
expect 4 "$WELDTAG" import welders "$T/dup.csv" "${AS_ADMIN[@]}"
expect_text 'line 5, column 2: the same idcard as on line 4'
expect_text 'line 5, column 3: the same licence_no as on line 4'
expect 4 "$WELDTAG" import welders "$T/welders.csv" "${AS_ADMIN[@]}"
expect_text '4.09'
expect_text 'line 2, column 2: welder [0-9]* is registered with this number already'
expect_text 'line 101, column 3: welder [0-9]* is registered with this number already'
expect_text 'weldtag: 20000 problems (200 shown)'
# two new welders, then one registered already: the conflict is placed on its line
{
    head -n 1 "$T/welders.csv"
    printf '新甲,410102199001011234,T410102199001011234,fusion,2024-01-01,13900000001\r\n'
    printf '新乙,41010219851212456X,T41010219851212456X,fusion,2024-01-01,13900000002\r\n'
    sed -n 5p "$T/welders.csv"
} >"$T/again.csv"
expect 4 "$WELDTAG" import welders "$T/again.csv" "${AS_ADMIN[@]}"
expect_text '4.09'
expect_text '第4行 第2列 idcard：焊工已登记 — line 4, column 2: welder [0-9]* is registered with this number already'
expect_text 'weldtag: 2 problems (2 shown)'
printf 'name,idcard,nickname\n' >"$T/bad.csv"
expect 4 "$WELDTAG" import welders "$T/bad.csv" "${AS_ADMIN[@]}"
expect_text 'line 1, column 3: unknown column'
printf 'name,idcard,licence_no,categories,issued_on\n"open,x\n' >"$T/bad.csv"
expect 4 "$WELDTAG" import welders "$T/bad.csv" "${AS_ADMIN[@]}"
expect_text 'unterminated quoted field'
[[ $(wr_psql "SELECT count(*) FROM welders") == 10001 ]] || wr_fail "a bad import wrote welders"
wr_ok "bad imports write nothing and say where"

# 4. Transfer and scrap a machine; history and revocation follow.
expect 0 admin machine transfer id=1 enterprise_id=2 note=出售给第二工厂 --json
expect 0 admin machine get id=1 --json
expect_text '"enterprise_id":2'
expect_text '"note":"出售给第二工厂"'
expect 4 admin machine transfer id=1 enterprise_id=2
expect_text '4.04'
expect 0 admin machine retire id=1 note=报废 --json
expect 0 admin machine get id=1 --json
expect_text '"status":"scrapped"'
[[ $(wr_psql "SELECT count(*) FROM codes WHERE machine_id = 1 AND revoked_at IS NOT NULL") == 1 ]] ||
    wr_fail "scrapping did not revoke the machine code"
[[ $(wr_psql "SELECT disabled_at IS NOT NULL FROM principals WHERE identity = 'WR-C-0001'") == t ]] ||
    wr_fail "scrapping did not disable the machine's principal"
expect 4 admin machine retire id=1
expect_text '4.04'
expect 4 admin machine update id=1 keeper_name=x
expect_text '4.04'
wr_ok "machine transferred, then scrapped: code revoked, principal disabled"

# 5. Export.
expect 0 "$WELDTAG" export welders "$T/export.csv" "${AS_ADMIN[@]}"
[[ $(wc -l <"$T/export.csv") == 10002 ]] || wr_fail "the export lacks rows"
grep -q '王焊工0,3701' "$T/export.csv" || { head -3 "$T/export.csv"; wr_fail "export lacks the masked rows"; }
grep -q "$IDCARD" "$T/export.csv" && wr_fail "the export holds a raw ID-card number"
wr_ok "welders exported with masked numbers only"

# 6. Bad input: each kind gets its own error naming the field, and nothing is half-written.
expect_refusal() { # CODE TEXT weldtag-admin-args...
    local code=$1 text=$2
    shift 2
    expect 4 admin "$@"
    expect_text "$code"
    expect_text "$text"
}
expect_refusal 4.09 'field "chip_id": another record' machine create chip_id=WR-C-0001 \
    process_category=fusion enterprise_id=2 keeper_name=k
expect_refusal 4.09 'field "idcard": another record' welder create name=李四 idcard=$IDCARD \
    licence_no=T110105194912310038 categories=fusion issued_on=2024-01-01
expect_refusal 4.09 'field "licence_no": another record' welder create name=李四 \
    idcard=110105194912310038 licence_no=T$IDCARD categories=fusion issued_on=2024-01-01
expect_refusal 4.09 'field "permit_no": another record' permit create permit_no=DH-2025-001 \
    level=second enterprise_id=1 site_address=x site_lat=36 site_lon=117 starts_at="$start" \
    ends_at="$end" approver=a fire_watch=f welders=1 all_machines=true
expect_refusal 4.09 'field "uscc": another record' enterprise create uscc=$USCC name=x community_id=1
expect_refusal 4.00 'field "uscc": ' enterprise create uscc=91350100M000100Y44 name=x community_id=1
expect_refusal 4.00 'field "idcard": ' welder create name=李四 idcard=110105194912310021 \
    licence_no=T110105194912310021 categories=fusion issued_on=2024-01-01
expect_refusal 4.00 'field "valid_until": must be after "issued_on"' welder create name=李四 \
    idcard=110105194912310038 licence_no=T110105194912310038 categories=fusion \
    issued_on=2024-01-01 valid_until=2023-12-31
long_end=$(date -u -d 'tomorrow 09:00' +%Y-%m-%dT18:00:00+08:00)
expect_refusal 4.00 'field "ends_at": a first-level permit may last at most 8 h' permit create \
    permit_no=DH-X level=first enterprise_id=1 site_address=x site_lat=36 site_lon=117 \
    starts_at="$start" ends_at="$long_end" approver=a fire_watch=f welders=1 machines=2
expect_refusal 4.00 'field "enterprise_id": no active enterprise has this id' machine create \
    chip_id=WR-C-0009 process_category=fusion enterprise_id=99 keeper_name=k
expect_refusal 4.00 'field "welders": refers to a record that does not exist' permit create \
    permit_no=DH-Y level=second enterprise_id=1 site_address=x site_lat=36 site_lon=117 \
    starts_at="$start" ends_at="$end" approver=a fire_watch=f welders=999999 all_machines=true
expect_refusal 4.00 'field "community_id": expected an integer id, got a string' enterprise create \
    uscc=$USCC2 name=x community_id:='"1"'
expect_refusal 4.00 'field "colour": unknown field' community create code=c2 name=n district=d colour=red
expect_refusal 4.04 'no welder' welder get id=999999
[[ $(wr_psql "SELECT count(*) FROM machines WHERE chip_id = 'WR-C-0009'") == 0 ]] ||
    wr_fail "a refused machine was written"
[[ $(wr_psql "SELECT count(*) FROM permits") == 1 ]] || wr_fail "a refused permit was written"
wr_ok "duplicates, check characters, dates, permit windows, references and types refused"

# JSON on the wire (for people with a generic CoAP client): a JSON body, a JSON answer, and an
# unsupported format.
URI="coaps://127.0.0.1:$WR_PORT/v1/communities"
printf '{"code":"c-json","name":"JSON 社区","district":"d"}' >"$T/body.json"
timeout 20 coap-client-openssl -m post -t 50 -A 50 -f "$T/body.json" -u admin-a \
    -k "$(cat "$admin_psk")" -o "$T/coap.out" -B 10 "$URI" >"$T/coap.err" 2>&1 || true
grep -q '"id":' "$T/coap.out" || { cat "$T/coap.err"; wr_fail "a JSON create got no JSON answer"; }
timeout 20 coap-client-openssl -m get -A 50 -u admin-a -k "$(cat "$admin_psk")" \
    -o "$T/coap.out" -B 10 "$URI?after=0&limit=5" >"$T/coap.err" 2>&1 || true
grep -q '"JSON 社区"' "$T/coap.out" || { cat "$T/coap.err"; wr_fail "no JSON listing"; }
timeout 20 coap-client-openssl -m post -t 0 -f "$T/body.json" -u admin-a -k "$(cat "$admin_psk")" \
    -o "$T/coap.out" -B 10 "$URI" >"$T/coap.err" 2>&1 || true
grep -q '4.15' "$T/coap.err" "$T/coap.out" || { cat "$T/coap.err"; wr_fail "text/plain was not 4.15"; }
wr_ok "JSON in and out; other formats 4.15"

# 7. The role matrix: admin changes; an inspector reads only its communities; a machine gets
# 4.03 everywhere; an unknown identity gets no session at all.
expect 0 admin community create --json code=370102-002 name=另一社区 district=历下区
expect 0 admin enterprise create --json uscc=91440300MA5FW00000 name=别处工厂 community_id=3
expect 0 admin principal create --json identity=inspector-1 role=inspector communities=1
inspector_psk="$T/inspector-1.psk"
json_field psk >"$inspector_psk"
expect 0 admin principal create --json identity=inspector-2 role=inspector communities=3
json_field psk >"$T/inspector-2.psk"
expect_refusal 4.09 'field "identity"' principal create identity=inspector-1 role=inspector communities=1
AS_INSPECTOR=("${SERVER[@]}" --identity inspector-1 --psk-file "$inspector_psk")
AS_OTHER=("${SERVER[@]}" --identity inspector-2 --psk-file "$T/inspector-2.psk")
# principals reach running servers through NOTIFY: wait until the new ones are known
wait_known() {
    local i
    for ((i = 0; i < 50; i++)); do
        "$WELDTAG" admin community list --timeout 2 "$@" >"$T/out" 2>&1 && return 0
        sleep 0.2
    done
    cat "$T/out"
    wr_fail "the server did not learn of the new principal"
}
wait_known "${AS_INSPECTOR[@]}"
wait_known "${AS_OTHER[@]}"
for entity in community enterprise machine welder permit; do
    expect 0 "$WELDTAG" admin $entity list --json "${AS_INSPECTOR[@]}"
    expect 4 "$WELDTAG" admin $entity create name=x "${AS_INSPECTOR[@]}"
    expect_text '4.03'
    expect 4 "$WELDTAG" admin $entity list "${AS_MACHINE[@]}"
    expect_text '4.03'
    expect 4 "$WELDTAG" admin $entity create name=x "${AS_MACHINE[@]}"
    expect_text '4.03'
done
for entity in enterprise machine welder; do
    expect 4 "$WELDTAG" admin $entity update id=1 name=x "${AS_INSPECTOR[@]}"
    expect_text '4.03'
done
for verb in "machine transfer id=2 enterprise_id=1" "machine retire id=2" "welder retire id=2" \
    "permit end id=1"; do
    # shellcheck disable=SC2086
    expect 4 "$WELDTAG" admin $verb "${AS_INSPECTOR[@]}"
    expect_text '4.03'
done
for entity in principal audit; do
    expect 4 "$WELDTAG" admin $entity list "${AS_INSPECTOR[@]}"
    expect_text '4.03'
    expect 4 "$WELDTAG" admin $entity list "${AS_MACHINE[@]}"
    expect_text '4.03'
done
expect 4 "$WELDTAG" import welders "$T/welders.csv" "${AS_INSPECTOR[@]}"
expect_text '4.03'
# scope: inspector-1 sees community 1 and its enterprises, not community 3's
expect 0 "$WELDTAG" admin enterprise list --json "${AS_INSPECTOR[@]}"
expect_text "$USCC"
grep -q 91440300MA5FW00000 "$T/out" && wr_fail "an inspector sees another community's enterprise"
expect 4 "$WELDTAG" admin enterprise get id=3 "${AS_INSPECTOR[@]}"
expect_text '4.04'
expect 0 "$WELDTAG" admin permit get id=1 --json "${AS_INSPECTOR[@]}"
expect 4 "$WELDTAG" admin permit get id=1 "${AS_OTHER[@]}"
expect_text '4.04'
# welders: only those named on a permit in the inspector's communities
expect 0 "$WELDTAG" admin welder list --json "${AS_INSPECTOR[@]}"
expect_text '"id":1,'
grep -q '"id":2,' "$T/out" && wr_fail "an inspector sees welders of no permit in scope"
expect 0 "$WELDTAG" admin welder list --json "${AS_OTHER[@]}"
expect_text '"items":\[\]'
expect 3 "$WELDTAG" admin community list "${SERVER[@]}" --identity nobody --psk-file "$admin_psk" \
    --timeout 3
wr_ok "role matrix: admin writes, inspectors read in scope, machines refused"

# 8. The audit chain verifies, and a tampered entry is named.
expect 0 admin audit list limit=3 --json
expect_text '"action":"community.create"'
expect 0 admin audit-verify
expect_text 'audit chain intact'
wr_psql "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;
         UPDATE audit_log SET actor = 'mallory' WHERE id = 5;
         ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only;" >/dev/null
expect 1 admin audit-verify
expect_text 'audit entry 5: its content does not match its hash'
wr_ok "audit chain verified; a changed entry is named"

wr_server_stop
