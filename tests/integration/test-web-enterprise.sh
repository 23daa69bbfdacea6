#!/usr/bin/env bash
# test-web-enterprise.sh — an enterprise safety officer's journey on weldreg-web (issue 17),
# over real HTTPS and PostgreSQL, with the CoAP server deciding check-ins. curl: the officer sees
# their own machines, welders (the licence state of weldreg_licence_state()) and codes only;
# label PDFs of their own codes (pdftotext shows the Chinese enterprise name, zbarimg reads the
# code back); a hot-work permit applied for stays 'applied' and does not unlock the machine
# until the approver of the enterprise approves it (then it does); nobody approves their own
# application; another enterprise's ids, wrong roles and missing CSRF tokens are refused; the
# fix of a violation with a photo is recorded as evidence and leaves the violation open; every
# step is in the audit log. Then the same journey in headless Chromium at 1280x800
# (tests/browser/enterprise.js), screenshots web-enterprise-*.png in $WR_SCREENSHOTS.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CHIP=WR-E1-0001
wr_db_create web_enterprise
wr_signing_key
psk=$(wr_provision machine "$CHIP")
issue() { "$WELDREG_BUILD_DIR/tag-reader/weldtag" issue "$@" --signing-key "$KEY" --iss test \
    --journal "$WR_TMP/journal.csv" 2>/dev/null; }
# record CODE KIND SUBJECT: the code as the registry keeps it (codes.text: labels print it again)
record() {
    local cti kid
    IFS=, read -r cti _ _ _ _ kid < <(tail -n 1 "$WR_TMP/journal.csv")
    wr_psql "INSERT INTO codes (cti, kind, ${2}_id, kid, expires_at, text)
             VALUES (decode('$cti', 'hex'), '$2', $3, decode('$kid', 'hex'),
                     now() + interval '100 days', '$1')" >/dev/null
}
wr_psql "INSERT INTO communities (id, code, name, district) VALUES (1, 'c1', '东街社区', '测试区'),
             (2, 'c2', '西街社区', '测试区');
         INSERT INTO enterprises (id, uscc, name, community_id)
             VALUES (1, '91410183MA44XXXX0B', '新密焊接厂', 1), (2, '91110000100000001A', '别家厂', 2);
         INSERT INTO machines (id, chip_id, process_category, enterprise_id, keeper_name)
             VALUES (1, '$CHIP', 'fusion', 1, '王五'), (2, 'WR-E2-0001', 'fusion', 2, '赵六');
         INSERT INTO welders (id, name, idcard_hash, idcard_masked, licence_no_hash,
             licence_no_masked, licence_categories, licence_issued_on, licence_valid_until,
             licence_review_due)
         VALUES (1, '张三', sha256('a'), '410***********123X', sha256('b'), 'T**************1234',
                 '{fusion}', current_date - 400, current_date + 1500, current_date + 600),
                (2, '李四', sha256('c'), '410***********124X', sha256('d'), 'T**************1240',
                 '{fusion}', current_date - 400, current_date + 1500, current_date + 600),
                (3, '王老五', sha256('e'), '410***********125X', sha256('f'), 'T**************1250',
                 '{fusion}', current_date - 2000, current_date - 10, current_date - 900);
         INSERT INTO welder_employments (welder_id, enterprise_id, since)
             VALUES (1, 1, current_date - 100), (2, 2, current_date - 100), (3, 1, current_date - 100);
         INSERT INTO welder_trainings (welder_id, course, completed_on, hours, provider)
             VALUES (1, '动火作业安全', current_date - 30, 16, '新密市安全培训中心');
         INSERT INTO violations (kind, severity, community_id, enterprise_id, machine_id, occurred_at)
             VALUES ('licence_expired', 'critical', 1, 1, 1, now() - interval '2 days'),
                    ('tamper', 'critical', 2, 2, 2, now() - interval '2 days')" >/dev/null
machine_code=$(issue machine --chip "$CHIP" --ent 1 --cat fusion)
record "$machine_code" machine 1
welder_code=$(issue welder --licence T410102199001011234 --name 张三 --cats fusion \
    --licence-valid-until "$(date -d '+1000 days' +%F)" --wid 00112233445566778899aabbccddeeff)
record "$welder_code" welder 1
other_code=$(issue machine --chip WR-E2-0001 --ent 2 --cat fusion)
record "$other_code" machine 2
wr_web_account ada admin
wr_web_account eve officer --enterprise 1
wr_web_account amy approver --enterprise 1 --signing-level second
wr_web_account bob approver --enterprise 2 --signing-level special
wr_web_account fay officer --enterprise 2
if "$WR_WEB_BIN" account add zed --role approver --password-file "$WR_TMP/pw-ada" \
    --signing-level first --config "$WR_TMP/weldreg.conf" >/dev/null 2>&1; then
    wr_fail "an approver account without an enterprise"
fi
for args in "--role approver --enterprise 1" "--role approver --enterprise 1 --signing-level top" \
    "--role officer --enterprise 1 --signing-level first"; do
    # shellcheck disable=SC2086 # the words of $args are the options
    wr_run 2 "$WR_WEB_BIN" account add zed $args --password-file "$WR_TMP/pw-ada" \
        --config "$WR_TMP/weldreg.conf"
    wr_expect_text 'an approver needs --signing-level special, first or second'
done
wr_server_start
wr_web_start
CA=(--cacert "$WR_CERTS_DIR/ca.crt")
H="$WR_TMP/headers"
B="$WR_TMP/body"

req() { curl -sS "${CA[@]}" -D "$H" -o "$B" -w '%{http_code}' "$@"; }
expect() { [[ $1 == "$2" ]] || wr_fail "$3: expected $2, got $1 ($(head -c 300 "$B"))"; }
# as LOGIN: logs in, the session's cookie and CSRF token in $cookie and $csrf
as() {
    req -X POST --data-urlencode "login=$1" --data-urlencode "password=$(cat "$WR_TMP/pw-$1")" \
        "$WR_WEB_URL/login" >/dev/null
    cookie=$(sed -nE 's/^[Ss]et-[Cc]ookie: __Host-weldreg=([0-9a-f]*);.*/\1/p' "$H" | tr -d '\r')
    [[ -n $cookie ]] || wr_fail "no session for $1"
    req -b "__Host-weldreg=$cookie" "$WR_WEB_URL/" >/dev/null
    csrf=$(sed -nE 's/.*name="csrf" value="([0-9a-f]{64})".*/\1/p' "$B" | head -1)
}
get() { req -b "__Host-weldreg=$cookie" "$WR_WEB_URL$1"; }
post() { req -b "__Host-weldreg=$cookie" -X POST -H "Origin: $WR_WEB_URL" "$WR_WEB_URL$1" "${@:2}"; }
seen() { grep -qF -- "$1" "$B" || wr_fail "$2: \"$1\" not on the page"; }
unseen() { ! grep -qF -- "$1" "$B" || wr_fail "$2: \"$1\" on the page"; }

# 1. the officer's registry: their own machines, welders and codes only
as eve
expect "$(get /)" 200 "home"
for link in /machines /ent/welders /ent/codes /permits /ent/violations; do
    seen "href=\"$link\"" "the officer's home links"
done
expect "$(get /machines)" 200 "machines"
seen "$CHIP" "own machine"; seen 'name="m1"' "a label checkbox"; unseen WR-E2-0001 "another's machine"
expect "$(get /ent/welders)" 200 "welders"
seen '张*' "own welder (masked)"; unseen '张三' "the full name"; unseen '李*' "another's welder"
seen '王**' "the expired welder"; seen 'expired' "the licence state"
expect "$(get /ent/codes)" 200 "codes"
seen "$CHIP" "own machine code"; seen 'name="w1"' "own welder code"; unseen WR-E2-0001 "another's code"
wr_ok "officer: own machines, welders (licence state expired shown) and codes; no other enterprise's"

# 2. labels: a PDF of their own codes; another's are not printed; CSRF and roles
expect "$(post /ent/labels --data-urlencode "csrf=$csrf" -d m1=on -d w1=on)" 200 "labels"
grep -qi '^content-type: application/pdf' "$H" || wr_fail "labels: not a PDF"
cp "$B" "$WR_TMP/labels.pdf"
pdftotext "$WR_TMP/labels.pdf" - | grep -q 新密焊接厂 || wr_fail "the enterprise name is not on the labels"
pdftotext "$WR_TMP/labels.pdf" - | grep -q "$CHIP" || wr_fail "the chip is not on the labels"
pdftoppm -r 200 -png "$WR_TMP/labels.pdf" "$WR_TMP/labels"
decoded=$(zbarimg -q --raw "$WR_TMP"/labels-1.png 2>/dev/null)
grep -qxF "$machine_code" <<<"$decoded" || wr_fail "the machine's code is not read back: $decoded"
grep -qxF "$welder_code" <<<"$decoded" || wr_fail "the welder's code is not read back: $decoded"
expect "$(post /ent/labels --data-urlencode "csrf=$csrf" -d m2=on)" 404 "another's machine label"
expect "$(post /ent/labels -d m1=on)" 403 "labels without CSRF"
expect "$(post /ent/labels --data-urlencode "csrf=$csrf")" 400 "labels of nothing"
wr_ok "label PDF: 新密焊接厂 and $CHIP in the text, both codes read back by zbarimg; another's machine 404, no CSRF 403"

as ada
expect "$(get /ent/welders)" 403 "an admin on the enterprise pages"
expect "$(get /permits/new)" 403 "an admin applying"
as amy
expect "$(get /permits/new)" 403 "an approver applying"
expect "$(post /permits --data-urlencode "csrf=$csrf" -d level=second)" 403 "an approver posting an application"
wr_ok "roles: an admin has no enterprise pages, an approver does not apply"

# 3. the permit: applied, refused for another's welder or too long a window, pending does not unlock
china() { date -u -d "@$(($(date +%s) + 8 * 3600 + $1))" +%Y-%m-%dT%H:%M; }
apply() {
    post /permits --data-urlencode "csrf=$csrf" -d level=second --data-urlencode "site=3号车间" \
        -d lat=34.52 -d lon=113.38 -d "starts=$(china -300)" -d "ends=$(china "$1")" \
        --data-urlencode "fire_watch=李监火" "${@:2}"
}
as eve
expect "$(get /permits/new)" 200 "the application form"
seen 'name="w1"' "a welder to pick"; seen 'name="m1"' "a machine to pick"; unseen 'name="w2"' "another's welder"
expect "$(apply 7200 -d w2=on)" 400 "another enterprise's welder"
expect "$(apply 7200 -d w1=on -d w3=on)" 400 "a welder whose licence has expired"
expect "$(apply $((80 * 3600)) -d w1=on)" 400 "a second-level window over 72 h"
expect "$(apply 7200 -d w1=on -d m2=on)" 400 "another enterprise's machine"
expect "$(post /permits -d level=second -d w1=on)" 403 "an application without CSRF"
expect "$(apply 7200 -d w1=on -d m1=on)" 303 "the application"
[[ $(wr_psql "SELECT count(*) FROM permits") == 1 ]] || wr_fail "refused applications were written"
permit=$(wr_psql "SELECT id FROM permits")
[[ $(wr_psql "SELECT status || ' ' || (applied_by = (SELECT id FROM accounts WHERE login = 'eve'))
              || ' ' || (approver IS NULL) FROM permits") == "applied true true" ]] ||
    wr_fail "the application: $(wr_psql "SELECT status, applied_by, approver FROM permits")"
expect "$(get /permits)" 200 "the permits"
seen "DH-1-$permit" "the permit's number"; seen '待审批' "pending"
# everything else is in order (a gas test 1 min ago) so that only the approval is missing
wr_psql "UPDATE permits SET gas_analysis_at = now() - interval '1 minute'" >/dev/null
sleep 0.8
seq=0
scan() { seq=$((seq + 1)); wr_send_checkin "$CHIP" "$psk" scan "$seq" --code "$welder_code" --lat 34.52 --lon 113.38; }
scan
((rc == 1)) && [[ $out == *permit_none* ]] || wr_fail "a pending permit unlocked the machine: $out"
wr_ok "applied (status applied, applicant eve); another's welder or machine, an expired licence, 80 h second level, no CSRF refused; pending permit: $out"

# 4. the decision: not by another enterprise's approver, not by the applicant, a reason to reject
as bob
expect "$(post /permits/decide --data-urlencode "csrf=$csrf" -d "id=$permit" -d decision=approve)" 404 \
    "another enterprise's approver"
as eve
expect "$(post /permits/decide --data-urlencode "csrf=$csrf" -d "id=$permit" -d decision=approve)" 403 \
    "the officer deciding"
wr_web_account eve approver --enterprise 1 --signing-level special --replace
as eve
expect "$(get /permits)" 200 "permits as approver"
unseen 'action="/permits/decide"' "a decide form for one's own application"
expect "$(post /permits/decide --data-urlencode "csrf=$csrf" -d "id=$permit" -d decision=approve)" 404 \
    "approving one's own application"
wr_web_account eve officer --enterprise 1 --replace
as amy
expect "$(get /permits)" 200 "permits as approver"
seen 'action="/permits/decide"' "the decide form"
expect "$(post /permits/decide --data-urlencode "csrf=$csrf" -d "id=$permit" -d decision=reject)" 400 \
    "a rejection without a reason"
expect "$(post /permits/decide -d "id=$permit" -d decision=approve)" 403 "a decision without CSRF"
# today a holiday in the platform's calendar: the second-level work is first-level (GB 30871
# 5.1), above amy's signing level (second)
wr_psql "INSERT INTO holidays (day, rest, name) VALUES ((now() AT TIME ZONE 'Asia/Shanghai')::date,
             true, '测试假日') ON CONFLICT (day) DO UPDATE SET rest = true" >/dev/null
expect "$(post /permits/decide --data-urlencode "csrf=$csrf" -d "id=$permit" -d decision=approve)" 403 \
    "approving above one's signing level"
seen '签批级别不足' "the refusal's title"
seen '一级动火（休息日或节假日作业升一级），您的签批级别为二级' "why, with the raise"
[[ $(wr_psql "SELECT status FROM permits") == applied ]] || wr_fail "a refused decision changed the permit"
wr_web_account amy approver --enterprise 1 --signing-level first --replace
as amy
expect "$(post /permits/decide --data-urlencode "csrf=$csrf" -d "id=$permit" -d decision=approve)" 303 "the approval"
[[ $(wr_psql "SELECT status || ' ' || approver || ' ' || approver_level || ' ' || (decided_by =
              (SELECT id FROM accounts WHERE login = 'amy')) FROM permits") == "approved amy first true" ]] ||
    wr_fail "the approval: $(wr_psql "SELECT status, approver, approver_level, decided_by FROM permits")"
[[ $(wr_psql "SELECT after ->> 'approver_level' FROM audit_log WHERE action = 'permit.approve'") == first ]] ||
    wr_fail "the approval's audit entry does not carry the signing level"
if wr_psql "UPDATE permits SET decided_by = applied_by" >/dev/null 2>&1; then
    wr_fail "the schema let an applicant decide their own permit"
fi
# the gas analysis, recorded by the officer on the approved permit (as the admin API's change)
gas() { post /permits/gas --data-urlencode "csrf=$csrf" -d "id=$1" -d "tested_at=$2" -d "value=$3"; }
expect "$(gas "$permit" "$(china -60)" 0.2)" 403 "the approver recording a gas analysis"
as fay
expect "$(gas "$permit" "$(china -60)" 0.2)" 404 "a gas analysis on another enterprise's permit"
as eve
expect "$(gas "$permit" "$(china 600)" 0.2)" 400 "a gas analysis in the future"
expect "$(gas "$permit" "$(china -60)" 101)" 400 "a gas value over 100 % LEL"
expect "$(gas "$permit" "$(china -60)" 0.2)" 303 "the gas analysis"
expect "$(apply $((24 * 3600)) -d w1=on)" 400 "a 24 h second-level window starting on a holiday"
seen '节假日升一级' "why the holiday's window is refused"
[[ $(wr_psql "SELECT count(*) || ' ' || max(value)::float8 FROM permit_gas_tests WHERE permit_id = $permit") == "1 0.2" ]] ||
    wr_fail "the gas analysis is not recorded: $(wr_psql "SELECT * FROM permit_gas_tests")"
sleep 0.8 # NOTIFY, 200 ms of quiet, rebuild, swap
scan
((rc == 0)) && [[ $out == "unlocked until"* ]] || wr_fail "the approved permit does not unlock: $out"
as amy
expect "$(post /permits/decide --data-urlencode "csrf=$csrf" -d "id=$permit" -d decision=reject \
    --data-urlencode "note=不行")" 404 "deciding twice"
# a rejection keeps its reason, and the officer sees it
as eve
expect "$(apply 3600 -d w1=on)" 303 "a second application"
as amy
expect "$(post /permits/decide --data-urlencode "csrf=$csrf" -d "id=$((permit + 1))" -d decision=reject \
    --data-urlencode "note=未附气体检测方案")" 303 "the rejection"
[[ $(wr_psql "SELECT status || ' ' || decision_note || ' ' || (approver IS NULL) FROM permits
              WHERE id = $((permit + 1))") == "rejected 未附气体检测方案 true" ]] ||
    wr_fail "the rejection: $(wr_psql "SELECT * FROM permits WHERE id = $((permit + 1))")"
as eve
expect "$(get /permits)" 200 "permits after the rejection"
seen '已驳回' "rejected"; seen '未附气体检测方案' "the reason"
[[ $(wr_psql "SELECT string_agg(action || ':' || actor, ' ' ORDER BY id) FROM audit_log
              WHERE entity = 'permit'") == "permit.apply:web:eve permit.approve:web:amy permit.change:web:eve permit.apply:web:eve permit.reject:web:amy" ]] ||
    wr_fail "the permit's audit: $(wr_psql "SELECT action, actor FROM audit_log WHERE entity = 'permit'")"
wr_ok "another enterprise's approver 404, the applicant (made approver) 404, no reason 400; approved by amy, gas analysed (eve): $out; another rejected with its reason; all audited"

# 5. violations: their own with the deadline; the fix with a photo; still open for the inspector
as eve
expect "$(get /ent/violations)" 200 "violations"
seen 'id="v1"' "own violation"; unseen 'id="v2"' "another's violation"
deadline=$(wr_psql "SELECT to_char(rectify_by AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD') FROM violations WHERE id = 1")
seen "$deadline" "the rectification deadline"
photo_file="$WELDREG_SOURCE_DIR/fuzz/corpus/photo/real.png"
expect "$(post /photos -H 'Content-Type: image/png' -H "X-CSRF-Token: $csrf" --data-binary "@$photo_file")" 201 "the photo"
photo=$(sed -E 's/.*"id":([0-9]+).*/\1/' "$B")
expect "$(post /ent/violations/fix --data-urlencode "csrf=$csrf" -d id=2 -d "photo=$photo" \
    --data-urlencode "note=已整改")" 404 "fixing another's violation"
expect "$(post /ent/violations/fix --data-urlencode "csrf=$csrf" -d id=1 --data-urlencode "note=已整改")" 400 \
    "a fix without a photo"
as fay
expect "$(post /photos -H 'Content-Type: image/png' -H "X-CSRF-Token: $csrf" --data-binary "@$photo_file")" 201 "fay's photo"
fay_photo=$(sed -E 's/.*"id":([0-9]+).*/\1/' "$B")
as eve
expect "$(post /ent/violations/fix --data-urlencode "csrf=$csrf" -d id=1 -d "photo=$fay_photo" \
    --data-urlencode "note=已整改")" 404 "a fix with another's photo"
expect "$(post /ent/violations/fix --data-urlencode "csrf=$csrf" -d id=1 -d "photo=$photo" \
    --data-urlencode "note=已更换持证焊工")" 303 "the fix"
[[ $(wr_psql "SELECT v.status || ' ' || e.entry || ' ' || e.actor || ' ' || p.photo_id
              FROM violations v JOIN violation_events e ON e.violation_id = v.id
              JOIN violation_event_photos p ON p.event_id = e.id WHERE v.id = 1") == "open evidence web:eve $photo" ]] ||
    wr_fail "the fix's record: $(wr_psql "SELECT * FROM violation_events")"
[[ $(wr_psql "SELECT count(*) FROM audit_log WHERE action = 'violation.evidence' AND actor = 'web:eve'") == 1 ]] ||
    wr_fail "the fix is not audited"
expect "$(get /ent/violations)" 200 "violations after the fix"
seen '已更换持证焊工' "the evidence"; seen "href=\"/photos/$photo\"" "the link to the photo"
expect "$(get "/photos/$photo")" 200 "the officer's own photo"
grep -qi "^content-type: image/png" "$H" || wr_fail "the photo is not served as a PNG"
wr_ok "violation 1 with its deadline $deadline (not 2, another's); the fix with photo $photo recorded as evidence, still open; another's violation or photo 404"

# 6. the same journey in Chromium (a second permit, approved in the browser)
wr_browser_setup
shots=${WR_SCREENSHOTS:-$WELDREG_BUILD_DIR/screenshots}
mkdir -p "$shots"
rm -f "$shots"/web-enterprise-*.png
node "$WR_BROWSER_DIR/enterprise.js" "$WR_WEB_URL" eve "$(cat "$WR_TMP/pw-eve")" amy "$(cat "$WR_TMP/pw-amy")" \
    "$shots" "$WR_TMP/browser-labels.pdf" "$photo_file" "$(china -60)" "$(china 3600)" ||
    wr_fail "the browser journey failed"
pdftotext "$WR_TMP/browser-labels.pdf" - | grep -q 新密焊接厂 || wr_fail "the browser's label PDF has no enterprise name"
pdftoppm -r 200 -png "$WR_TMP/browser-labels.pdf" "$WR_TMP/browser-labels"
zbarimg -q --raw "$WR_TMP"/browser-labels-1.png 2>/dev/null | grep -qxF "$machine_code" ||
    wr_fail "the browser's label PDF: the machine code is not read back"
[[ $(wr_psql "SELECT status || ' ' || approver FROM permits ORDER BY id DESC LIMIT 1") == "approved amy" ]] ||
    wr_fail "the browser's permit: $(wr_psql "SELECT id, status, approver FROM permits")"
sleep 0.8
grep -q 'event=registry_loaded.* permits=2' "$WR_SERVER_LOG" ||
    wr_fail "the server did not load the permit approved in the browser"
[[ $(wr_psql "SELECT count(*) FROM violation_event_photos") == 2 ]] || wr_fail "the browser's fix has no photo"
for s in home machines welders codes apply permits approve approved violations fixed; do
    [[ -s $shots/web-enterprise-$s.png ]] || wr_fail "no screenshot web-enterprise-$s.png"
done
wr_ok "Chromium at 1280x800: the label PDF (read back), the application, its approval (the server loads 2 permits), the fix with a photo; screenshots in $shots/web-enterprise-*.png"
wr_web_stop
wr_server_stop
echo "test-web-enterprise: all checks passed"
