#!/usr/bin/env bash
# test-web-report.sh — public reports (群众举报) over real HTTPS and PostgreSQL: the form without
# login, its double-submitted CSRF token, a report with an address and one with a position and a
# photo (JSON), what is refused (no token, a wrong one, cross-site, no place, a bad phone, a photo
# that is no image, a body over web_max_body), the rate limits per address and for everyone
# (429, Retry-After, in Chinese), the report in its community's inspectors' queue and in no
# other's, a description of <script> shown escaped, acknowledge and close with the audit trail;
# the welder page's last refusal in plain Chinese; and, in headless Chromium at 360 x 640
# (tests/browser/report.js), a report with the phone's position and a photo, the inspector's
# list and the welder page (screenshots web-report-*.png, web-welder-refused.png in
# $WR_SCREENSHOTS, default build-dir/screenshots).
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

wr_db_create web_report
printf 'web_report_per_hour = 3\nweb_report_global_per_hour = 5\n' >"$WR_TMP/web.extra"
wr_psql "INSERT INTO communities (id, code, name, district) VALUES (1, 'c1', '东街社区', '测试区'),
             (2, 'c2', '<b>西街</b>社区', '测试区');
         INSERT INTO enterprises (id, uscc, name, community_id)
             VALUES (1, '91110000100000000A', '测试焊接厂', 1)"
wr_web_account ada admin
wr_web_account lou inspector --community 1
wr_web_account kim inspector --community 2
wr_web_account oli office
wr_web_account eve officer --enterprise 1
wr_web_start
CA=(--cacert "$WR_CERTS_DIR/ca.crt")
H="$WR_TMP/headers"
B="$WR_TMP/body"
req() { curl -sS "${CA[@]}" -D "$H" -o "$B" -w '%{http_code}' "$@"; }
expect() { [[ $1 == "$2" ]] || wr_fail "$3: expected $2, got $1 ($(head -c 300 "$B"))"; }
declare -A sess
for who in ada lou kim oli eve; do
    req -X POST --data-urlencode "login=$who" --data-urlencode "password=$(cat "$WR_TMP/pw-$who")" \
        "$WR_WEB_URL/login" >/dev/null
    sess[$who]=$(sed -nE 's/^[Ss]et-[Cc]ookie: __Host-weldreg=([0-9a-f]{64});.*/\1/p' "$H" | tr -d '\r')
    [[ -n ${sess[$who]} ]] || wr_fail "login $who"
done
as() { local who=$1; shift; req -b "__Host-weldreg=${sess[$who]}" "$@"; }

# 1. the form: no login, Chinese first, the communities escaped, a token in form and cookie
# form [CURL ARGS]: GETs /public-report, sets $token (the form's) and $cookie (the cookie's)
form() {
    expect "$(req "$@" "$WR_WEB_URL/public-report")" 200 "GET /public-report"
    token=$(sed -nE 's/.*name="csrf" value="([0-9a-f]{64})".*/\1/p' "$B")
    cookie=$(sed -nE 's/^[Ss]et-[Cc]ookie: __Host-weldreg-report=([0-9a-f]{64}); HttpOnly; Secure; SameSite=Strict; Path=\/;.*/\1/p' "$H" | tr -d '\r')
    [[ ${#token} == 64 && $token == "$cookie" ]] || wr_fail "the form's token and cookie: '$token' '$cookie'"
}
form
grep -q '群众举报' "$B" && grep -q 'lang="zh-CN"' "$B" || wr_fail "the form is not Chinese first"
grep -q '<option value="2">&lt;b&gt;西街&lt;/b&gt;社区</option>' "$B" || wr_fail "the communities are not listed escaped"
grep -q '<script src="/static/public-report.js" defer></script>' "$B" || wr_fail "the page's script is not linked"
! grep -qE '<script>|<script [^>]*>[^<]' "$B" || wr_fail "an inline script"
expect "$(req "$WR_WEB_URL/static/public-report.js")" 200 "public-report.js"
grep -q 'getCurrentPosition' "$B" || wr_fail "report.js does not locate"
wr_ok "GET /public-report: no login, zh-CN, communities escaped, token in the form = HttpOnly SameSite=Strict cookie"

# post [CURL ARGS]: a report as a form with $token and $cookie
post() {
    req -b "__Host-weldreg-report=$cookie" -X POST "$@" "$WR_WEB_URL/public-report"
}

expect "$(req "$WR_WEB_URL/login")" 200 "the login page"
grep -q 'href="/public-report"' "$B" || wr_fail "the login page does not lead to the report form"
expect "$(as lou "$WR_WEB_URL/")" 200 "lou's home"
grep -q 'href="/public-reports"' "$B" || wr_fail "an inspector's home does not lead to the reports"
expect "$(as oli "$WR_WEB_URL/")" 200 "oli's home"
! grep -q 'href="/public-reports"' "$B" || wr_fail "office staff's home leads to the reports"

# 2. CSRF: without the token, with another's, without the cookie, cross-site
expect "$(post -d community=1 --data-urlencode 'description=焊接无人看火' -d 'address=东街1号')" \
    403 "a report without its token"
expect "$(post -d "csrf=$(printf '%064d' 3)" -d community=1 --data-urlencode 'description=x' -d 'address=y')" \
    403 "a report with a wrong token"
expect "$(req -X POST -d "csrf=$token" -d community=1 -d description=x -d address=y "$WR_WEB_URL/public-report")" \
    403 "a report without the cookie"
expect "$(post -H 'Origin: https://evil.example' -d "csrf=$token" -d community=1 -d description=x -d address=y)" \
    403 "a cross-site report"
expect "$(post -H 'Sec-Fetch-Site: cross-site' -d "csrf=$token" -d community=1 -d description=x -d address=y)" \
    403 "a cross-site fetch"
[[ $(wr_psql "SELECT count(*) FROM public_reports") == 0 ]] || wr_fail "a refused report was stored"
wr_ok "POST /public-report without the token, with a wrong one, without the cookie, cross-site: 403, nothing stored"

# 3. refused contents: no place, no description, a bad phone, an unknown community, a photo
# that is no image, a body over web_max_body; nothing counts against the limit
expect "$(post -d "csrf=$token" -d community=1 -d description=x)" 400 "no place"
grep -q '请填写地址或使用手机当前位置' "$B" || wr_fail "no place is not said in Chinese"
expect "$(post -d "csrf=$token" -d community=1 -d 'description=%20' -d address=y)" 400 "a blank description"
expect "$(post -d "csrf=$token" -d community=1 -d description=x -d address=y -d 'phone=call me')" 400 "a bad phone"
expect "$(post -d "csrf=$token" -d community=99 -d description=x -d address=y)" 400 "an unknown community"
expect "$(post -d "csrf=$token" -d 'community=1 OR 1=1' -d description=x -d address=y)" 400 "a community of SQL"
expect "$(post -d "csrf=$token" -d community=1 --data-urlencode "description=$(printf '长%.0s' {1..301})" -d address=y)" \
    400 "a description of 301 characters"
expect "$(post -d "csrf=$token" -d community=1 -d description=x -d lat=91 -d lon=0)" 400 "a latitude of 91"
json() { # JSON-BODY-FILE: POSTs it as application/json
    post -H 'Content-Type: application/json' --data-binary "@$1"
}
printf '{"csrf":"%s","community":"1","description":"x","address":"y","photo":"%s"}' "$token" \
    "$(printf 'hello, not a photo' | base64 -w0)" >"$WR_TMP/notimage.json"
expect "$(json "$WR_TMP/notimage.json")" 400 "a photo that is no image"
{ printf '\xff\xd8\xff\xe0'; head -c 900000 /dev/urandom; } >"$WR_TMP/big.jpg"
printf '{"csrf":"%s","community":"1","description":"x","address":"y","photo":"%s"}' "$token" \
    "$(base64 -w0 "$WR_TMP/big.jpg")" >"$WR_TMP/big.json"
expect "$(json "$WR_TMP/big.json")" 413 "a photo over web_max_body"
expect "$(json <(printf '{"csrf":"%s","community":1,' "$token"))" 400 "malformed JSON"
[[ $(wr_psql "SELECT count(*) FROM public_reports") == 0 ]] || wr_fail "a refused report was stored"
wr_ok "no place, blank text, bad phone, unknown community, SQL, 301 characters, lat 91, not an image, malformed JSON: 400; 1.2 MB of photo: 413"

# 4. two reports: a form with an address and <script> in it, JSON with a position and a photo
expect "$(post -d "csrf=$token" -d community=1 --data-urlencode 'description=<script>alert(1)</script>有人在仓库无证焊接' \
    --data-urlencode 'address="><img src=x onerror=alert(1)>' -d 'phone=138 0013 8000')" 303 "a report by form"
grep -qi '^location: /public-report/thanks' "$H" || wr_fail "a report does not thank"
expect "$(req "$WR_WEB_URL/public-report/thanks")" 200 "the thank-you page"
grep -q '感谢您的举报' "$B" || wr_fail "no thanks in Chinese"
cp "$WELDREG_SOURCE_DIR/web/front/node_modules/leaflet/dist/images/layers.png" "$WR_TMP/small.png"
printf '{"csrf":"%s","community":"1","description":"脚手架上电焊，下面有油漆桶","address":"",
  "lat":"34.520001","lon":"113.380002","phone":"","photo":"%s"}' "$token" \
    "$(base64 -w0 "$WR_TMP/small.png")" >"$WR_TMP/photo.json"
expect "$(json "$WR_TMP/photo.json")" 303 "a report with a photo"
read -r n kinds states communities < <(wr_psql "SELECT count(*), string_agg(DISTINCT v.kind, ','),
    string_agg(DISTINCT v.status, ','), string_agg(DISTINCT r.community_id::text, ',')
    FROM public_reports r JOIN violations v ON v.id = r.violation_id" | tr '|' ' ')
[[ "$n $kinds $states $communities" == "2 public_report open 1" ]] ||
    wr_fail "the reports' violations: $n $kinds $states $communities"
[[ $(wr_psql "SELECT contact_phone IS NULL FROM public_reports ORDER BY id DESC LIMIT 1") == t ]] ||
    wr_fail "an empty phone was stored"
[[ $(wr_psql "SELECT count(*) FROM violations WHERE kind = 'public_report' AND details ? 'contact_phone'") == 0 ]] ||
    wr_fail "the phone is in the violation's details"
[[ $(wr_psql "SELECT string_agg(action, ',') FROM audit_log WHERE entity = 'public_report'") == \
    public_report.create,public_report.create ]] || wr_fail "the reports are not audited"
! wr_psql "SELECT after::text FROM audit_log WHERE entity = 'public_report'" | grep -q '138' ||
    wr_fail "the phone reached the audit log"
wr_ok "a report by form (address, phone) and by JSON (position, photo): 303 to thanks; violations public_report open in community 1; audited without the phone"

# 5. the inspectors' queue: that community's inspector and the admin see them, escaped; the
# other community's does not; office, officer refused; anonymous to login
expect "$(as lou "$WR_WEB_URL/public-reports")" 200 "the reports as lou"
[[ $(grep -o 'class="card report"' "$B" | wc -l) == 2 ]] || wr_fail "lou does not see both reports"
grep -q '&lt;script&gt;alert(1)&lt;/script&gt;有人在仓库无证焊接' "$B" || wr_fail "the description is not shown escaped"
grep -q '&quot;&gt;&lt;img src=x onerror=alert(1)&gt;' "$B" || wr_fail "the address is not shown escaped"
! grep -qE '<script>alert|<img src=x' "$B" || wr_fail "a report's text reached the page raw"
grep -q '138 0013 8000' "$B" || wr_fail "the inspector does not see the phone"
grep -q '待处理' "$B" || wr_fail "the status is not said in Chinese"
grep -q '34.52000, 113.38000' "$B" || wr_fail "the position is not shown"
photo_id=$(wr_psql "SELECT photo_id FROM public_reports WHERE photo_id IS NOT NULL")
grep -q "src=\"/photos/$photo_id\"" "$B" || wr_fail "the photo is not shown"
expect "$(as lou "$WR_WEB_URL/photos/$photo_id")" 200 "the photo as lou"
grep -qi '^content-type: image/png' "$H" || wr_fail "the photo's type"
[[ $(sha256sum <"$B" | cut -c1-64) == $(wr_psql "SELECT encode(sha256, 'hex') FROM photos WHERE id = $photo_id") ]] ||
    wr_fail "the photo shown is not the one stored"
[[ $(wr_psql "SELECT account_id IS NULL AND width = 26 FROM photos WHERE id = $photo_id") == t ]] ||
    wr_fail "the photo is not stored as nobody's, 26 px wide"
expect "$(as kim "$WR_WEB_URL/public-reports")" 200 "the reports as kim"
grep -q 'id="no-reports"' "$B" && ! grep -q '有人在仓库' "$B" || wr_fail "kim sees community 1's reports"
expect "$(as eve "$WR_WEB_URL/photos/$photo_id")" 404 "the photo as an officer"
expect "$(as kim "$WR_WEB_URL/photos/$photo_id")" 404 "the photo as community 2's inspector"
expect "$(as lou "$WR_WEB_URL/violations")" 200 "lou's violations"
[[ $(grep -o '群众举报：' "$B" | wc -l) == 2 ]] || wr_fail "the public reports are not in lou's violations list"
expect "$(as kim "$WR_WEB_URL/violations")" 200 "kim's violations"
! grep -q '群众举报' "$B" || wr_fail "community 1's public reports in kim's violations list"
expect "$(as ada "$WR_WEB_URL/public-reports")" 200 "the reports as ada"
[[ $(grep -o 'class="card report"' "$B" | wc -l) == 2 ]] || wr_fail "the admin does not see both"
expect "$(as oli "$WR_WEB_URL/public-reports")" 403 "the reports as office"
expect "$(as eve "$WR_WEB_URL/public-reports")" 403 "the reports as an officer"
expect "$(req "$WR_WEB_URL/public-reports")" 303 "the reports anonymously"
expect "$(req "$WR_WEB_URL/photos/$photo_id")" 303 "the photo anonymously"
wr_ok "/public-reports: community 1's inspector and the admin see both (escaped, phone, position, photo in /photos/); community 2's none (nor in /violations, where lou's has them as 群众举报); office/officer 403; anonymous 303; the photo not to an officer nor to community 2's inspector (404) nor anonymously"

# 6. handled as any violation: /public-reports links each to /violations/<id>, where its
# community's inspector acknowledges it and closes it (销号) with a note; the other community's
# cannot; the history and the audit trail are the violations'
first=$(wr_psql "SELECT min(id) FROM public_reports")
vid=$(wr_psql "SELECT violation_id FROM public_reports WHERE id = $first")
as lou "$WR_WEB_URL/public-reports" >/dev/null
grep -q "href=\"/violations/$vid\"" "$B" || wr_fail "the report does not lead to its violation"
csrf=$(sed -nE 's/.*name="csrf" value="([0-9a-f]{64})".*/\1/p' "$B" | head -1)
csrf=${csrf:-$(as lou "$WR_WEB_URL/" >/dev/null; sed -nE 's/.*name="csrf" value="([0-9a-f]{64})".*/\1/p' "$B" | head -1)}
kcsrf=$(as kim "$WR_WEB_URL/" >/dev/null; sed -nE 's/.*name="csrf" value="([0-9a-f]{64})".*/\1/p' "$B" | head -1)
expect "$(as lou "$WR_WEB_URL/violations/$vid")" 200 "the report's violation as lou"
grep -q '群众举报' "$B" || wr_fail "the violation page does not name a public report"
expect "$(as kim "$WR_WEB_URL/violations/$vid")" 404 "the report's violation as kim"
expect "$(as kim -X POST -d "csrf=$kcsrf" -d action=acknowledge "$WR_WEB_URL/violations/$vid")" 404 "kim acknowledges lou's"
expect "$(as lou -X POST -d "csrf=$csrf" -d action=acknowledge "$WR_WEB_URL/violations/$vid")" 303 "lou acknowledges"
expect "$(as lou -X POST -d "csrf=$csrf" -d action=resolve --data-urlencode 'note=现场核实：已停工，焊工无证，已移交处理' \
    "$WR_WEB_URL/violations/$vid")" 303 "lou closes"
expect "$(as lou -X POST -d "csrf=$csrf" -d action=acknowledge "$WR_WEB_URL/violations/$vid")" 409 "a closed report acknowledged"
as lou "$WR_WEB_URL/public-reports" >/dev/null
grep -q '已销号' "$B" || wr_fail "the closed report's status on /public-reports"
[[ $(wr_psql "SELECT string_agg(e.entry || ':' || e.status || ':' || e.actor, ',' ORDER BY e.id)
              FROM violation_events e WHERE e.violation_id = $vid") == \
    status:acknowledged:web:lou,evidence:acknowledged:web:lou,status:resolved:web:lou ]] ||
    wr_fail "the report's history: $(wr_psql "SELECT string_agg(entry || ':' || status, ',') FROM violation_events WHERE violation_id = $vid")"
[[ $(wr_psql "SELECT count(*) FROM audit_log WHERE entity = 'violation' AND entity_id = '$vid'
              AND actor = 'web:lou'") -ge 2 ]] || wr_fail "the steps are not audited"
[[ $(wr_psql "SELECT count(*) FROM audit_log a JOIN audit_log b ON b.id = a.id - 1
              WHERE a.prev_hash IS DISTINCT FROM b.hash") == 0 ]] || wr_fail "the chain is broken"
wr_ok "a public report is handled at /violations/<id>: lou acknowledges, closes with a note (history, audit, chained); kim 404; closed stays closed (409)"

# 7. the limits: 3 an hour from one address (2 so far), 5 from everyone; 429 with Retry-After
expect "$(post -d "csrf=$token" -d community=2 -d description=third -d address=y)" 303 "the 3rd from 127.0.0.1"
photos=$(wr_psql "SELECT count(*) FROM photos")
expect "$(json "$WR_TMP/photo.json")" 429 "the 4th from 127.0.0.1, with a photo"
[[ $(wr_psql "SELECT count(*) FROM photos") == "$photos" ]] || wr_fail "a refused report left its photo"
expect "$(post -d "csrf=$token" -d community=2 -d description=fourth -d address=y)" 429 "the 4th from 127.0.0.1"
grep -qi '^retry-after: 3600' "$H" || wr_fail "no Retry-After"
grep -q '提交过于频繁' "$B" || wr_fail "the address limit is not said in Chinese"
form --interface 127.0.0.2
expect "$(post --interface 127.0.0.2 -d "csrf=$token" -d community=2 -d description=a -d address=y)" 303 "the 1st from 127.0.0.2"
expect "$(post --interface 127.0.0.2 -d "csrf=$token" -d community=2 -d description=b -d address=y)" 303 "the 2nd from 127.0.0.2"
expect "$(post --interface 127.0.0.2 -d "csrf=$token" -d community=2 -d description=c -d address=y)" 429 "the 6th of all"
grep -q '当前举报过多' "$B" || wr_fail "the global limit is not said in Chinese"
[[ $(wr_psql "SELECT count(*) FROM public_reports") == 5 ]] || wr_fail "the limits let more through"
wr_psql "SET session_replication_role = replica;
         UPDATE public_reports SET reported_at = reported_at - interval '61 minutes'" >/dev/null
expect "$(post -d "csrf=$token" -d community=2 -d description=later -d address=y)" 303 "an hour later"
wr_ok "rate limits: the 4th an hour from one address (its photo not kept) and the 6th from everyone 429 (Retry-After: 3600, Chinese); an hour later accepted"

# 8. the welder page: the last refused scan in plain Chinese; none when there is none
code=$("$WELDREG_BUILD_DIR/tag-reader/weldtag" issue welder --licence T410102199001011234 \
    --name 张三丰 --cats fusion --licence-valid-until 2027-06-01 \
    --wid 00112233445566778899aabbccddeeff --signing-key "$WR_CERTS_DIR/signing.key" --iss dev 2>/dev/null)
read -r cti kid < <("$WELDREG_BUILD_DIR/tag-reader/weldtag" read "$code" |
    awk '/^code id:/ {c = $3} /^key id:/ {k = $3} END {print c, k}')
wr_psql "INSERT INTO welders (id, name, idcard_hash, idcard_masked, licence_no_hash,
             licence_no_masked, licence_categories, licence_issued_on, licence_valid_until,
             licence_review_due)
         VALUES (1, '张三丰', sha256('a'), '410***********123X', sha256('b'), 'T**************1234',
             ARRAY['fusion'], current_date - 30, current_date + 365, current_date + 300);
         INSERT INTO codes (cti, kind, welder_id, kid, expires_at)
             VALUES (decode('$cti', 'hex'), 'welder', 1, decode('$kid', 'hex'), now() + interval '100 days')"
path="/w/$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$code")"
expect "$(req "$WR_WEB_URL$path")" 200 "the welder page"
! grep -q 'id="last-refusal"' "$B" || wr_fail "a last refusal shown where there is none"
wr_psql "INSERT INTO checkins (chip_id, seq, ev, received_at, welder_id, body_hash, ok, reasons)
         VALUES ('M-1', 1, 'scan', '2026-03-01 02:05:00+00', 1, sha256('1'), false,
                 ARRAY['licence_expired', 'permit_none']),
                ('M-1', 2, 'scan', '2026-03-01 03:00:00+00', 1, sha256('2'), true, '{}'),
                ('M-1', 3, 'scan', '2026-02-01 03:00:00+00', 1, sha256('3'), false,
                 ARRAY['training_missing'])"
expect "$(req "$WR_WEB_URL$path")" 200 "the welder page after a refusal"
grep -q '<b id="refused-at">2026-03-01 10:05</b>' "$B" || wr_fail "the refusal's time (China's): $(grep -o 'refused-at">[^<]*' "$B")"
grep -q '焊工证已过期' "$B" && grep -q '无有效动火作业许可' "$B" || wr_fail "the refusal's reasons in Chinese"
! grep -q '焊工无培训记录' "$B" || wr_fail "an older refusal shown as the last"
wr_ok "welder page: the last refused scan, its China time and its reasons in Chinese (焊工证已过期, 无有效动火作业许可); nothing when none"

# 9. in a real browser at 360 x 640: the report with the phone's position and a photo, the
# thank-you page, the inspector's list with the photo, the welder page's last refusal
wr_browser_setup
shots=${WR_SCREENSHOTS:-$WELDREG_BUILD_DIR/screenshots}
mkdir -p "$shots"
rm -f "$shots"/web-report-*.png "$shots/web-welder-refused.png"
photo="$WELDREG_SOURCE_DIR/web/front/node_modules/leaflet/dist/images/layers-2x.png"
node "$WR_BROWSER_DIR/report.js" "$WR_WEB_URL" "$photo" "$path" lou "$(cat "$WR_TMP/pw-lou")" "$shots" ||
    wr_fail "the browser journey failed"
for shot in report-form report-filled report-thanks report-inspector welder-refused; do
    [[ -s $shots/web-$shot.png ]] || wr_fail "no screenshot web-$shot.png"
done
last="SELECT p.media_type || ' ' || r.lat || ' ' || r.contact_phone FROM public_reports r
      JOIN photos p ON p.id = r.photo_id ORDER BY r.id DESC LIMIT 1"
[[ $(wr_psql "$last") == 'image/jpeg 34.520123 13800138000' ]] ||
    wr_fail "the browser's report: $(wr_psql "$last")"
wr_ok "Chromium at 360x640: report with position (geolocation) and photo (made JPEG by the page), thanks, the inspector sees it with its photo, the welder's last refusal; no CSP violation"

wr_web_stop
wr_ok "weldreg-web stopped cleanly (status 0)"
