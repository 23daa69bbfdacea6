#!/usr/bin/env bash
# test-web-live-browser.sh — the live alerts panel in headless Chromium (tests/browser/live.js,
# puppeteer-core, installed by wr_browser_setup) at 360 x 640: an inspector's home page shows a
# violation recorded after it loaded, "reconnecting" while the server restarts, and the one
# recorded meanwhile once it is back (Last-Event-ID); it prints the page weights.
# Screenshots: $WR_SCREENSHOTS (default build-dir/screenshots)/web-live-*.png.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

wr_browser_setup

wr_db_create web_live_browser
printf 'web_heartbeat_s = 2\n' >"$WR_TMP/web.extra"
wr_psql "INSERT INTO communities (id, code, name, district)
             VALUES (1, 'c1', '东街社区', '测试区'), (2, 'c2', '西街社区', '测试区');
         INSERT INTO enterprises (id, uscc, name, community_id)
             VALUES (1, '91110000100000000A', '测试焊接厂', 1);
         INSERT INTO machines (chip_id, process_category, enterprise_id, keeper_name)
             VALUES ('WR-LIVE-0001', 'fusion', 1, '王五')"
wr_web_account ian inspector --community 1
wr_web_start
# one violation of the inspector's community (and one outside it, which must not show)
cat >"$WR_TMP/record.sh" <<EOF
psql -XAtq -v ON_ERROR_STOP=1 -d '$DATABASE_URL' -c "INSERT INTO violations
    (kind, severity, community_id, occurred_at) VALUES ('code_forged', 'critical', 2, now());
    INSERT INTO violations (kind, severity, community_id, enterprise_id, machine_id, occurred_at)
    VALUES ('code_forged', 'critical', 1, 1, (SELECT id FROM machines), now()) RETURNING id"
EOF
export WR_RECORD="bash $WR_TMP/record.sh"
shots=${WR_SCREENSHOTS:-$WELDREG_BUILD_DIR/screenshots}
mkdir -p "$shots"
rm -f "$shots"/web-live-*.png
mkdir -p "$WR_TMP/sync"
node "$WR_BROWSER_DIR/live.js" "$WR_WEB_URL" ian "$(cat "$WR_TMP/pw-ian")" "$shots" "$WR_TMP/sync" &
node_pid=$!
# the restart the journey asks for: stop (its stream ends), a violation while down, start again
# on the same port (web.conf)
for ((i = 0; i < 600; i++)); do
    [[ -e $WR_TMP/sync/restart ]] && break
    kill -0 "$node_pid" 2>/dev/null || break
    sleep 0.1
done
if [[ -e $WR_TMP/sync/restart ]]; then
    wr_web_stop
    missed=$(bash "$WR_TMP/record.sh")
    "$WR_WEB_BIN" serve --config "$WR_TMP/web.conf" >"$WR_WEB_LOG.2" 2>&1 &
    WR_WEB_PID=$!
    WR_WEB_LOG="$WR_WEB_LOG.2"
    for ((i = 0; i < 200; i++)); do
        grep -q 'event=web_ready' "$WR_WEB_LOG" && break
        sleep 0.1
    done
    printf '%s\n' "$missed" >"$WR_TMP/sync/missed"
fi
wait "$node_pid" || wr_fail "the live alerts journey failed"
for shot in alert reconnecting; do
    [[ -s $shots/web-live-$shot.png ]] || wr_fail "no screenshot web-live-$shot.png"
done
shown=$(wr_psql "SELECT count(*) FROM violations WHERE community_id = 1")
[[ $shown == 2 ]] || wr_fail "expected 2 violations in the inspector's community, found $shown"
wr_web_stop
wr_ok "Chromium at 360x640: the alerts panel live, reconnecting and caught up; screenshots in $shots/web-live-*.png"
