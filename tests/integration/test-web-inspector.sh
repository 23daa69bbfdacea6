#!/usr/bin/env bash
# test-web-inspector.sh — the inspector's phone journey in a real browser (issue 17): headless
# Chromium (Debian's chromium, puppeteer-core) at 360 x 640 whose camera is Chromium's fake
# capture device fed with a picture of a printed label (weldtag labels → pdftoppm → a Y4M
# video written here, no ffmpeg), so /scan decodes the real camera frames with jsQR and goes to
# the status card by itself; the time from opening /scan to the card is printed (the figure of
# docs/performance.md). Then a violation acknowledged and closed (销号) with notes and photos, a
# machine without a chip reported with the phone's position, and with curl: another
# community's inspector refused the card (403), a forged code refused, CSRF on every POST.
# Screenshots: $WR_SCREENSHOTS (default build-dir/screenshots)/web-inspect-*.png.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

WELDTAG="$WELDREG_BUILD_DIR/tag-reader/weldtag"
for tool in pdftoppm python3 openssl; do
    command -v "$tool" >/dev/null || wr_fail "$tool is not installed (scripts/deps.sh)"
done
wr_browser_setup

# --- the world: two communities, a machine in each with its signed code, two open violations
# on the first, an inspector of each community, an admin and an office account ---
wr_db_create web_inspector
issue() { # CHIP ENTERPRISE
    "$WELDTAG" issue machine --chip "$1" --ent "$2" --cat fusion --iss dev \
        --signing-key "$WR_CERTS_DIR/signing.key" 2>/dev/null
}
code1=$(issue WR-W-0001 1)
code2=$(issue WR-W-0002 2)
[[ $code1 == WR3:* && $code2 == WR3:* ]] || wr_fail "weldtag issue machine failed"
wr_psql "INSERT INTO communities (id, code, name, district) VALUES (1, 'c1', '东街社区', '测试区'),
             (2, 'c2', '西街社区', '测试区');
         INSERT INTO enterprises (id, uscc, name, community_id)
             VALUES (1, '91110000100000000A', '测试焊接厂', 1), (2, '91110000100000001A', '西街钢构', 2);
         INSERT INTO machines (id, chip_id, process_category, enterprise_id, keeper_name, keeper_phone)
             VALUES (1, 'WR-W-0001', 'fusion', 1, '王五', '13800000001'),
                    (2, 'WR-W-0002', 'fusion', 2, '赵六', '13800000002');
         INSERT INTO violations (kind, severity, community_id, enterprise_id, machine_id, occurred_at)
             VALUES ('licence_expired', 'critical', 1, 1, 1, now() - interval '2 days'),
                    ('permit_none', 'critical', 1, 1, 1, now() - interval '1 day')" >/dev/null
register() { # CODE MACHINE [REVOKE REASON]: the registry's record of a machine code
    local cti kid
    read -r cti kid < <("$WELDTAG" read "$1" |
        awk '/^code id:/ {c = $3} /^key id:/ {k = $3} END {print c, k}')
    wr_psql "INSERT INTO codes (cti, kind, machine_id, kid, expires_at, revoked_at, revoke_reason)
             VALUES (decode('$cti', 'hex'), 'machine', $2, decode('$kid', 'hex'),
                     now() + interval '3 years', CASE WHEN '${3:-}' <> '' THEN now() END,
                     nullif('${3:-}', ''))" >/dev/null
}
register "$code1" 1
wr_web_account insp-east inspector --community 1
wr_web_account insp-west inspector --community 2
wr_web_account boss admin
wr_web_account desk office
wr_web_start

# --- the camera: a picture of the printed label as a Y4M video (Chromium's fake capture) ---
printf '%s\n' "$code1" >"$WR_TMP/sheet.txt"
"$WELDTAG" labels "$WR_TMP/sheet.txt" --out "$WR_TMP/sheet.pdf" --hotline "Hotline 12345" \
    >/dev/null 2>&1 || wr_fail "weldtag labels failed"
# the label's corner of the A4 sheet at 180 dpi, 640 x 480, in grey (the label is black on white)
pdftoppm -r 180 -x 0 -y 28 -W 640 -H 480 -gray -singlefile "$WR_TMP/sheet.pdf" "$WR_TMP/label"
python3 - "$WR_TMP/label.pgm" "$WR_TMP/label.y4m" <<'PY' || wr_fail "the Y4M conversion failed"
# PGM (P5, 8 bit) → Y4M 4:2:0: luma scaled to video range (16-235), neutral chroma; a few
# identical frames (Chromium loops the file).
import sys
data = open(sys.argv[1], 'rb').read()
fields, pos = [], 0
while len(fields) < 4:
    while data[pos:pos + 1].isspace():
        pos += 1
    if data[pos:pos + 1] == b'#':
        pos = data.index(b'\n', pos)
        continue
    end = pos
    while not data[end:end + 1].isspace():
        end += 1
    fields.append(data[pos:end])
    pos = end
magic, w, h, maxval = fields[0], int(fields[1]), int(fields[2]), int(fields[3])
assert magic == b'P5' and maxval == 255 and w % 2 == 0 and h % 2 == 0
grey = data[pos + 1:pos + 1 + w * h]
luma = bytes(16 + g * 219 // 255 for g in grey)
chroma = bytes([128]) * (w // 2 * h // 2)
with open(sys.argv[2], 'wb') as out:
    out.write(b'YUV4MPEG2 W%d H%d F10:1 Ip A1:1 C420jpeg\n' % (w, h))
    for _ in range(5):
        out.write(b'FRAME\n' + luma + chroma + chroma)
PY
# a small real JPEG for the photos: the label again, as a phone would send it
pdftoppm -r 60 -jpeg -singlefile "$WR_TMP/sheet.pdf" "$WR_TMP/photo"
[[ -s $WR_TMP/label.y4m && -s $WR_TMP/photo.jpg ]] || wr_fail "no camera video or photo"
wr_ok "the camera: label $code1 rendered to a 640x480 Y4M; a JPEG photo"

# --- the browser journey ---
shots=${WR_SCREENSHOTS:-$WELDREG_BUILD_DIR/screenshots}
mkdir -p "$shots"
rm -f "$shots"/web-inspect-*.png
node "$WR_BROWSER_DIR/inspector.js" "$WR_WEB_URL" insp-east "$(cat "$WR_TMP/pw-insp-east")" \
    "$WR_TMP/label.y4m" "$WR_TMP/photo.jpg" "$shots" | tee "$WR_TMP/journey.out" ||
    wr_fail "the inspector's browser journey failed"
for page in scan scan-denied card violation resolved violations report reported refused; do
    [[ -s $shots/web-inspect-$page.png ]] || wr_fail "no screenshot of the $page page"
done
[[ $(wr_psql "SELECT string_agg(status, ',' ORDER BY id) FROM violations WHERE machine_id = 1") == \
    resolved,acknowledged ]] || wr_fail "the violations' statuses after the journey"
[[ $(wr_psql "SELECT string_agg(coalesce(e.entry, e.status), ',' ORDER BY e.id)
              FROM violation_events e JOIN violation_event_photos p ON p.event_id = e.id
              JOIN photos ph ON ph.id = p.photo_id JOIN accounts a ON a.id = ph.account_id
              WHERE e.actor = 'web:insp-east' AND a.login = 'insp-east'
                AND e.note NOT LIKE '%/photos/%'") == status,evidence ]] ||
    wr_fail "the acknowledgement's and the 销号 evidence's photos are not linked to them"
[[ $(wr_psql "SELECT count(*) FROM onsite_reports o JOIN accounts a ON a.id = o.account_id
              JOIN violations v ON v.id = o.violation_id WHERE a.login = 'insp-east'
              AND o.kind = 'machine_without_chip' AND v.kind = 'onsite_machine_without_chip'
              AND abs(o.lat - 34.52) < 1e-6 AND abs(o.lon - 113.38) < 1e-6 AND v.community_id = 1
              AND o.principal_id IS NULL") == 1 ]] ||
    wr_fail "the chipless report is not in the queue with the phone's position"
[[ $(wr_psql "SELECT count(*) FROM audit_log WHERE actor = 'web:insp-east'
              AND action IN ('violation.acknowledged', 'violation.evidence', 'violation.resolved',
                             'report.create')") == 5 ]] || wr_fail "the steps are not audited"
wr_ok "the journey's changes: acknowledged, evidence with a photo then 销号, the report, audited"

# --- with curl: scope, forged codes, CSRF, roles ---
CA=(--cacert "$WR_CERTS_DIR/ca.crt")
B="$WR_TMP/body"
req() { curl -sS "${CA[@]}" -o "$B" -w '%{http_code}' "$@"; }
expect() { [[ $1 == "$2" ]] || { head -c 2000 "$B" >&2; wr_fail "$3: HTTP $1, expected $2"; }; }
session() { # LOGIN: logs in; sets S (cookie) and T (CSRF token)
    local jar="$WR_TMP/jar-$1"
    req -c "$jar" -X POST --data-urlencode "login=$1" \
        --data-urlencode "password=$(cat "$WR_TMP/pw-$1")" "$WR_WEB_URL/login" >/dev/null
    S=(-b "$jar")
    req "${S[@]}" "$WR_WEB_URL/" >/dev/null
    T=$(sed -nE 's/.*name="csrf" value="([0-9a-f]{64})".*/\1/p' "$B")
    [[ ${#T} == 64 ]] || wr_fail "no session for $1"
}
path_of() { python3 -c 'import sys, urllib.parse; print("/m/" + urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }

session insp-west
expect "$(req "${S[@]}" "$WR_WEB_URL$(path_of "$code1")")" 403 "another community's inspector"
grep -q 'id="refused"' "$B" || wr_fail "no refusal on the card of another community"
expect "$(req "${S[@]}" "$WR_WEB_URL/m/WR-W-0001")" 403 "another community's chip typed in"
expect "$(req "${S[@]}" "$WR_WEB_URL$(path_of "$code2")")" 200 "the inspector's own machine"
grep -q 'id="verified"' "$B" || wr_fail "the own machine's card is not verified"
grep -q 'id="code-unknown"' "$B" || wr_fail "a code the registry never issued is not flagged"
vid=$(wr_psql "SELECT min(id) FROM violations WHERE machine_id = 1")
expect "$(req "${S[@]}" "$WR_WEB_URL/violations/$vid")" 404 "another community's violation"
wr_ok "another community's inspector: card 403 (code or chip), its violations 404; own card 200"

session insp-east
# a forged code: one Base45 character of the signature changed
forged=${code1:0:${#code1}-3}$([[ ${code1: -3:1} == A ]] && echo B || echo A)${code1: -2}
expect "$(req "${S[@]}" "$WR_WEB_URL$(path_of "$forged")")" 422 "a forged code"
grep -q '签名无效' "$B" || wr_fail "the forged code's refusal does not say why"
grep -q 'action="/report/code"' "$B" || wr_fail "the forged code's refusal offers no report"
expect "$(req "${S[@]}" "$WR_WEB_URL/m/WR3:not-a-code")" 400 "a malformed code"
revoked=$(issue WR-W-0001 1)
register "$revoked" 1 "标签损毁，已重新申领"
expect "$(req "${S[@]}" "$WR_WEB_URL$(path_of "$revoked")")" 200 "a revoked code"
grep -q 'id="code-revoked"' "$B" || wr_fail "a revoked code is not flagged"
grep -q '标签损毁' "$B" || wr_fail "a revoked code's flag does not give the reason"
moved=$(issue WR-W-0001 1)
register "$moved" 2
expect "$(req "${S[@]}" "$WR_WEB_URL$(path_of "$moved")")" 200 "a code issued for another machine"
grep -q 'id="code-chip"' "$B" || wr_fail "a code issued for another machine is not flagged"
expect "$(req "${S[@]}" "$WR_WEB_URL$(path_of "$code1")")" 200 "the label's own code"
! grep -qE 'id="code-(unknown|revoked|chip)"' "$B" || wr_fail "a good code flagged"
# the server's part of the time to the card: the card page alone, best of 5 (curl)
card_ms=$(for _ in 1 2 3 4 5; do
    curl -sS "${CA[@]}" "${S[@]}" -o /dev/null -w '%{time_starttransfer}\n' \
        "$WR_WEB_URL$(path_of "$code1")"
done | sort -n | head -1 | awk '{printf "%d", $1 * 1000}')
other_key="$WR_TMP/other.key"
openssl genpkey -algorithm ed25519 -out "$other_key" 2>/dev/null
foreign=$("$WELDTAG" issue machine --chip WR-W-0001 --ent 1 --cat fusion --iss dev \
    --signing-key "$other_key" 2>/dev/null)
expect "$(req "${S[@]}" "$WR_WEB_URL$(path_of "$foreign")")" 422 "a code signed by an unknown key"
grep -q '信任列表' "$B" || wr_fail "the unknown key's refusal does not say why"
expect "$(req "${S[@]}" "$WR_WEB_URL/m/WR-W-0001")" 200 "a chip id typed in"
grep -q 'id="unverified"' "$B" || wr_fail "a typed chip id is not marked unverified"
wr_ok "forged code 422 (signature), unknown key 422, malformed 400; revoked, unknown and misissued codes flagged on the card; a typed chip id marked unverified"

vid2=$(wr_psql "SELECT max(id) FROM violations WHERE machine_id = 1")
expect "$(req "${S[@]}" -X POST -d "code=WR-W-0001" "$WR_WEB_URL/m")" 403 "POST /m without CSRF"
expect "$(req "${S[@]}" -X POST -d "csrf=$T&code=WR-W-0001" "$WR_WEB_URL/m")" 200 "POST /m"
expect "$(req "${S[@]}" -X POST -d "action=resolve&note=x" "$WR_WEB_URL/violations/$vid2")" 403 \
    "a 销号 without CSRF"
expect "$(req "${S[@]}" -X POST -H "X-CSRF-Token: $(printf '%064d' 0)" -d "action=resolve&note=x" \
    "$WR_WEB_URL/violations/$vid2")" 403 "a 销号 with a wrong CSRF token"
expect "$(req "${S[@]}" -X POST -d "community_id=1&site_address=x" "$WR_WEB_URL/report")" 403 \
    "a report without CSRF"
expect "$(req "${S[@]}" -X POST -H 'Origin: https://evil.example' \
    -d "csrf=$T&community_id=1&site_address=x" "$WR_WEB_URL/report")" 403 "a cross-site report"
expect "$(req "${S[@]}" -X POST -d "csrf=$T&community_id=2&site_address=x" \
    "$WR_WEB_URL/report")" 403 "a report in another community"
expect "$(req "${S[@]}" -X POST -d "csrf=$T&community_id=1&lat=91&lon=0" \
    "$WR_WEB_URL/report")" 400 "a report at latitude 91"
expect "$(req "${S[@]}" -X POST -d "csrf=$T&community_id=1&site_address=x&photo_id=999" \
    "$WR_WEB_URL/report")" 400 "a report naming a photo that does not exist"
session insp-west
expect "$(req "${S[@]}" -X POST -d "csrf=$T&community_id=2&site_address=x&photo_id=1" \
    "$WR_WEB_URL/report")" 400 "a report naming another inspector's photo"
session insp-east
expect "$(req "${S[@]}" -X POST -d "csrf=$T&action=resolve&note=" \
    "$WR_WEB_URL/violations/$vid2")" 400 "a 销号 without a note"
expect "$(req "${S[@]}" -X POST -d "csrf=$T&action=acknowledge" \
    "$WR_WEB_URL/violations/$vid")" 409 "acknowledging a closed violation"
expect "$(req "${S[@]}" -X POST --data-urlencode "code=$forged" -d "community_id=1&site_address=x" \
    "$WR_WEB_URL/report/code")" 403 "an invalid code's report without CSRF"
expect "$(req "${S[@]}" -X POST --data-urlencode "code=$code1" -d "csrf=$T&community_id=1" \
    -d "site_address=x" "$WR_WEB_URL/report/code")" 400 "a valid code reported as invalid"
expect "$(req "${S[@]}" -X POST --data-urlencode "code=$forged" -d "csrf=$T&community_id=1" \
    --data-urlencode "site_address=东街 12 号" --data-urlencode "note=标签二维码被涂改" \
    "$WR_WEB_URL/report/code")" 201 "a forged code reported"
[[ $(wr_psql "SELECT count(*) FROM onsite_reports o JOIN violations v ON v.id = o.violation_id
              WHERE o.kind = 'code_invalid' AND v.kind = 'onsite_code_invalid' AND o.machine_id = 1
              AND o.details ->> 'check' = 'bad_signature' AND o.details ->> 'code' = '$forged'
              AND o.account_id IS NOT NULL") == 1 ]] ||
    wr_fail "the forged code's report is not linked to the machine it claims, with its check"
[[ $(wr_psql "SELECT status FROM violations WHERE id = $vid2") == acknowledged ]] ||
    wr_fail "a refused POST changed the violation"
wr_ok "CSRF and origin checked on /m, /violations/<id>, /report and /report/code; scope, bad values, others' photos and 409; a forged code reported (bad_signature, its machine)"

session boss
expect "$(req "${S[@]}" -X POST -d "csrf=$T&action=resolve&note=checked" \
    "$WR_WEB_URL/violations/$vid2")" 403 "an admin closing (销号)"
grep -q '只有检查员' "$B" || wr_fail "the admin's refusal does not say why"
expect "$(req "${S[@]}" "$WR_WEB_URL$(path_of "$code2")")" 200 "an admin sees every community"
expect "$(req "${S[@]}" "$WR_WEB_URL/violations/$vid2")" 200 "the acknowledged violation as admin"
grep -q 'id="dismiss"' "$B" && ! grep -q 'id="resolve"' "$B" ||
    wr_fail "the admin's page should offer 撤销 (dismiss) and not 销号"
expect "$(req "${S[@]}" -X POST -d "csrf=$T&action=dismiss&note=" \
    "$WR_WEB_URL/violations/$vid2")" 400 "a dismissal without a reason"
grep -q '请填写撤销理由' "$B" || wr_fail "the refused dismissal does not say what is missing"
expect "$(req "${S[@]}" -X POST -d "csrf=$T&action=dismiss" \
    --data-urlencode "note=登记错误：该焊机已报废" "$WR_WEB_URL/violations/$vid2")" 303 "a dismissal"
[[ $(wr_psql "SELECT v.status || ',' || count(a.*) FROM violations v
              LEFT JOIN audit_log a ON a.entity = 'violation' AND a.entity_id = v.id::text
                  AND a.action = 'violation.dismissed'
              WHERE v.id = $vid2 GROUP BY v.status") == dismissed,1 ]] ||
    wr_fail "the dismissal is not stored and audited once"
expect "$(req "${S[@]}" "$WR_WEB_URL/violations/$vid2")" 200 "the dismissed violation"
grep -q '已撤销' "$B" && ! grep -q 'id="dismiss"\|id="acknowledge"' "$B" ||
    wr_fail "a dismissed violation should show 已撤销 and offer no step"
session insp-east
expect "$(req "${S[@]}" -X POST -d "csrf=$T&action=resolve&note=checked" \
    "$WR_WEB_URL/violations/$vid2")" 409 "a 销号 of a dismissed violation"
session boss
expect "$(req "${S[@]}" -X POST -d "csrf=$T&action=reopen&note=x" \
    "$WR_WEB_URL/violations/$vid2")" 400 "an unknown action"
session desk
expect "$(req "${S[@]}" "$WR_WEB_URL/scan")" 403 "office staff on /scan"
expect "$(req "${S[@]}" "$WR_WEB_URL/m/WR-W-0001")" 403 "office staff on a card"
wr_ok "roles: an admin sees all but may not close (销号); 撤销 (dismiss) with a reason, audited, final (409 after); office staff refused"

wr_web_stop
grep -F 'time to the status card' "$WR_TMP/journey.out" | sed 's/^ok - /figure: /'
printf 'figure: the card page alone (TLS handshake, signature, 2 statements, HTML; curl, first byte, best of 5): %s ms\n' "$card_ms"
wr_ok "Chromium at 360x640: scan → card from the fake camera, 确认/销号 with photos, chipless report"
