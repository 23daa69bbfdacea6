#!/usr/bin/env bash
# test-web-browser.sh — the web in a real browser: headless Chromium (Debian's chromium) driven
# by puppeteer-core (tests/browser/, version locked in package-lock.json, installed with
# `npm ci` on first use) at 360 x 640 against weldreg-web and PostgreSQL: the login page, a
# login as an inspector, home, logout and a welder's page whose five checks pass (licence,
# training, a permit today). Screenshots are written to $WR_SCREENSHOTS (default
# build-dir/screenshots/web-*.png); WR_SCREENSHOTS=docs/img refreshes the guides' pictures.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

wr_browser_setup

wr_db_create web_browser
wr_web_account inspector-1 inspector
code=$("$WELDREG_BUILD_DIR/tag-reader/weldtag" issue welder --licence T410102199001011234 \
    --name 张三丰 --cats fusion,brazing --licence-valid-until "$(date -d '+3 years' +%F)" \
    --wid 00112233445566778899aabbccddeeff --signing-key "$WR_CERTS_DIR/signing.key" --iss dev \
    2>/dev/null)
read -r cti kid < <("$WELDREG_BUILD_DIR/tag-reader/weldtag" read "$code" |
    awk '/^code id:/ {c = $3} /^key id:/ {k = $3} END {print c, k}')
wr_psql "INSERT INTO communities (id, code, name, district) VALUES (1, 'c1', '东街社区', '测试区');
         INSERT INTO enterprises (id, uscc, name, community_id)
             VALUES (1, '91110000100000000A', '测试焊接厂', 1);
         INSERT INTO welders (id, name, idcard_hash, idcard_masked, licence_no_hash,
             licence_no_masked, licence_categories, licence_issued_on, licence_valid_until,
             licence_review_due)
         VALUES (1, '张三丰', sha256('a'), '410***********123X', sha256('b'),
             'T**************1234', ARRAY['fusion', 'brazing'], current_date - 30,
             current_date + 365, current_date + 300);
         INSERT INTO welder_trainings (welder_id, course, completed_on, hours, provider)
             VALUES (1, '动火作业安全', current_date - 10, 16, '安全培训中心');
         INSERT INTO codes (cti, kind, welder_id, kid, expires_at)
             VALUES (decode('$cti', 'hex'), 'welder', 1, decode('$kid', 'hex'), now() + interval '100 days');
         INSERT INTO permits (id, permit_no, level, enterprise_id, site_address, site_lat, site_lon,
             starts_at, ends_at, approver, fire_watch)
             VALUES (1, 'DH-1', 'second', 1, '三号车间', 34.52, 113.38, now() - interval '1 hour',
                 now() + interval '6 hours', '安全科', '李四');
         INSERT INTO permit_welders VALUES (1, 1)"
wr_web_start
welder_path="/w/$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$code")"
shots=${WR_SCREENSHOTS:-$WELDREG_BUILD_DIR/screenshots}
mkdir -p "$shots"
rm -f "$shots"/web-{login,home,welder}.png # the other journeys keep theirs
node "$WR_BROWSER_DIR/journeys.js" "$WR_WEB_URL" inspector-1 "$(cat "$WR_TMP/pw-inspector-1")" \
    "$welder_path" "$shots" || wr_fail "the browser journeys failed"
for page in login home welder; do
    [[ -s $shots/web-$page.png ]] || wr_fail "no screenshot of the $page page"
done
wr_web_stop
wr_ok "Chromium at 360x640: login, home, logout, welder page; screenshots in $shots/web-*.png"
