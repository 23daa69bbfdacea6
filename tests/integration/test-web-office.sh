#!/usr/bin/env bash
# test-web-office.sh — the district office's pages of weldreg-web (issue 17) over real HTTPS
# and PostgreSQL: the counts by community, enterprise and industry for a month, quarter, year,
# day and range (table and SVG charts), the CSV export (BOM, RFC 4180 quoting, a formula in a
# name made harmless), the PDF export (Chinese text extracted by pdftotext), the overdue
# rectifications, the map's data (positions, live sessions, open violations), scopes (office
# staff the district, an inspector their community, an officer refused), the map's tile option
# (validated; the CSP widened for that page alone); then tests/browser/office.js in headless
# Chromium at 1280x800 and 360x640, without tiles and with a local tile server.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

command -v pdftotext >/dev/null || wr_fail "pdftotext is not installed (poppler-utils)"
wr_db_create web_office
wr_web_account oli office
wr_psql "INSERT INTO communities (id, code, name, district) VALUES
           (1, 'c1', '东街社区', '测试区'), (2, 'c2', '西街社区', '测试区'),
           (3, 'c3', '北街社区', '测试区');
         INSERT INTO enterprises (id, uscc, name, community_id, industry) VALUES
           (1, '91110000100000000A', '测试焊接厂', 1, 'C'),
           (2, '91110000100000001A', '=HYPERLINK(\"http://x.example\",\"点我\")', 2, NULL),
           (3, '91110000100000002A', 'Acme, \"Best\" <i>焊接</i>', 2, 'E'),
           (4, '91110000100000003A', repeat('长', 199) || '厂', 3, NULL);
         INSERT INTO machines (id, chip_id, process_category, enterprise_id, keeper_name) VALUES
           (1, 'M-1', 'fusion', 1, '王五'), (2, 'M-2', 'fusion', 2, '赵六'),
           (3, 'M-3', 'fusion', 3, '钱七'), (4, 'M-4', 'fusion', 1, '孙八')" >/dev/null
wr_web_account eve officer --enterprise 1
wr_web_account lou inspector --community 1
wr_seed_welder
wr_psql "INSERT INTO checkins (chip_id, machine_id, seq, ev, lat, lon, body_hash, ok, reasons)
         VALUES ('M-1', 1, 1, 'scan', 34.515, 113.375, sha256('a'), true, '{}'),
                ('M-1', 1, 2, 'scan', NULL, NULL, sha256('b'), false, '{licence_expired}'),
                ('M-2', 2, 1, 'scan', 34.530, 113.420, sha256('c'), true, '{}');
         INSERT INTO permits (id, permit_no, level, enterprise_id, site_address, site_lat,
             site_lon, starts_at, ends_at, approver, fire_watch)
         VALUES (1, 'DH-1', 'second', 3, '二号车间', 34.540, 113.430, now() - interval '1 hour',
             now() + interval '6 hours', '安全科', '李四');
         INSERT INTO permit_machines VALUES (1, 3);
         INSERT INTO work_sessions (machine_id, welder_id, opened_at, until, last_seen_at)
         VALUES (1, 1, now() - interval '10 minutes', now() + interval '1 hour', now());
         INSERT INTO violations (kind, severity, community_id, enterprise_id, machine_id,
             occurred_at, lat, lon)
         VALUES ('tamper', 'critical', 1, 1, 1, now() - interval '1 hour', 34.512, 113.372),
                ('no_permit', 'warning', 2, 2, 2, now() - interval '2 hours', NULL, NULL),
                ('tamper', 'critical', 2, 3, 3, now() - interval '3 hours', 34.541, 113.431);
         UPDATE violations SET status = 'resolved' WHERE id = 3;
         UPDATE violations SET rectify_by = now() - interval '1 day' WHERE id = 2" >/dev/null

# a community's outline: from GeoJSON (lon, lat; the closing point dropped), audited
outline() { "$WR_WEB_BIN" outline "$@" --config "$WR_TMP/weldreg.conf" >"$WR_TMP/outline.log" 2>&1; }
printf '{"type": "Feature", "properties": {"name": "东街"}, "geometry": {"type": "Polygon",
  "coordinates": [[[113.36, 34.5], [113.395, 34.5], [113.395, 34.53], [113.36, 34.53],
  [113.36, 34.5]]]}}\n' >"$WR_TMP/c1.geojson"
outline c1 "$WR_TMP/c1.geojson" || wr_fail "outline c1: $(cat "$WR_TMP/outline.log")"
[[ $(wr_psql "SELECT outline::text FROM communities WHERE code = 'c1'") == \
    '[[34.5, 113.36], [34.5, 113.395], [34.53, 113.395], [34.53, 113.36]]' ]] ||
    wr_fail "c1's outline: $(wr_psql "SELECT outline FROM communities WHERE code = 'c1'")"
[[ $(wr_psql "SELECT count(*) FROM audit_log WHERE action = 'community.outline'
              AND entity_id = '1' AND after = '{\"points\": 4}'") == 1 ]] ||
    wr_fail "the outline's change is not audited"
printf '[[34.5, 113.36], [34.5, 200], [34.53, 113.36]]\n' >"$WR_TMP/bad.json"
if outline c2 "$WR_TMP/bad.json" ||
    ! grep -q 'point 2 is not a valid \[lat, lon\] pair' "$WR_TMP/outline.log"; then
    wr_fail "a point off the globe: $(cat "$WR_TMP/outline.log")"
fi
rc=0
outline c9 "$WR_TMP/c1.geojson" || rc=$?
if ((rc != 3)) || ! grep -q 'no community "c9"' "$WR_TMP/outline.log"; then
    wr_fail "an unknown community: $rc"
fi
outline c2 none || wr_fail "removing an outline: $(cat "$WR_TMP/outline.log")"
wr_ok "weldreg-web outline: GeoJSON read into [lat, lon] pairs, audited; bad points and unknown communities refused"

CA=(--cacert "$WR_CERTS_DIR/ca.crt")
B="$WR_TMP/body"
H="$WR_TMP/headers"
pw() { cat "$WR_TMP/pw-$1"; }
# login LOGIN: a session for LOGIN in the cookie jar $WR_TMP/jar-LOGIN
login() {
    curl -sS "${CA[@]}" -c "$WR_TMP/jar-$1" -o /dev/null --data-urlencode "login=$1" \
        --data-urlencode "password=$(pw "$1")" "$WR_WEB_URL/login"
}
# get LOGIN PATH: prints the status, the body in $B, the headers in $H
get() {
    curl -sS "${CA[@]}" -b "$WR_TMP/jar-$1" -D "$H" -o "$B" -w '%{http_code}' "$WR_WEB_URL$2"
}
expect() { [[ $1 == "$2" ]] || wr_fail "$3: expected $2, got $1 ($(head -c 300 "$B"))"; }
# has TEXT WHAT: the body holds TEXT (else the table rows, or the start, are shown)
has() {
    grep -qF -- "$1" "$B" && return
    wr_fail "$2: no \"$1\" in $(grep -oE '<tr><th scope="row">.{0,200}' "$B" || head -c 600 "$B")"
}
hasnt() { ! grep -qF -- "$1" "$B" || wr_fail "$2: \"$1\" is there"; }

# the map's tile option is checked at start: an origin that is not one https:// word is refused
printf 'web_map_tiles = https://x.example;script-src/{z}/{x}/{y}.png\n' >"$WR_TMP/web.extra"
cp "$WR_TMP/weldreg.conf" "$WR_TMP/bad.conf"
cat "$WR_TMP/web.extra" >>"$WR_TMP/bad.conf"
! "$WR_WEB_BIN" serve --config "$WR_TMP/bad.conf" >"$WR_TMP/bad.log" 2>&1 ||
    wr_fail "weldreg-web started with a tile URL that would widen the CSP"
grep -q 'web_map_tiles' "$WR_TMP/bad.log" || wr_fail "no word of web_map_tiles: $(cat "$WR_TMP/bad.log")"
rm -f "$WR_TMP/web.extra"
wr_ok "web_map_tiles: a URL that is not an https:// origin with {z}/{x}/{y} is refused at start"

wr_web_start
for who in oli lou eve; do login "$who"; done
shots=${WR_SCREENSHOTS:-$WELDREG_BUILD_DIR/screenshots}
mkdir -p "$shots"
rm -f "$shots"/web-office-*.png

# 1. the counts page: table and charts, by community, this month
expect "$(get oli /office)" 200 "office staff open /office"
has '<table id="counts">' "the counts table"
for name in 东街社区 西街社区 北街社区; do has "<th scope=\"row\">$name</th>" "a row of $name"; done
# 东街: M-1 and M-4 in use, 2 scans (one refused), 1 violation open; 西街: M-2, M-3, 2 violations
has '<th scope="row">东街社区</th><td>2</td><td>0</td><td>0</td><td>0</td><td>2</td><td>1</td><td>1</td><td>1</td>' "东街社区's counts"
has '<th scope="row">西街社区</th><td>2</td><td>0</td><td>0</td><td>0</td><td>1</td><td>0</td><td>2</td><td>1</td>' "西街社区's counts"
has '<td class="total">4</td>' "the total of machines in use"
[[ $(grep -o '<svg class="bars"' "$B" | wc -l) == 3 ]] || wr_fail "three bar charts"
[[ $(grep -o '<rect class="bar"' "$B" | wc -l) == 9 ]] || wr_fail "a bar per community in each chart"
! grep -qE '<script>|<script [^>]*>[^<]| style=' "$B" || wr_fail "inline script or style on /office"
wr_ok "/office: a row per community with machines, scans, refusals, violations; 3 SVG charts"

# 2. groupings and periods
expect "$(get oli '/office?by=enterprise')" 200 "by enterprise"
has '=HYPERLINK(&quot;http://x.example&quot;,&quot;点我&quot;)' "the name escaped in HTML"
has "<th scope=\"row\">$(printf '长%.0s' {1..199})厂</th>" "a name of 200 characters, whole"
expect "$(get oli '/office?by=industry')" 200 "by industry"
has 'C 制造业' "the industry section C"
has '行业未登记' "enterprises whose industry is not recorded"
month=$(TZ=Asia/Shanghai date +%Y-%m)
year=$(TZ=Asia/Shanghai date +%Y)
quarter="$year-Q$(( ($(TZ=Asia/Shanghai date +%-m) + 2) / 3 ))"
today=$(TZ=Asia/Shanghai date +%F)
for q in "period=month&at=$month" "period=quarter&at=$quarter" "period=year&at=$year" \
    "period=day&at=$today" "period=range&from=$today&to=$today"; do
    expect "$(get oli "/office?$q")" 200 "the period $q"
    has '<td class="total">4</td>' "machines in use counted for $q"
done
expect "$(get oli "/office?period=year&at=$year")" 200 "a year"
has "<h2 id=\"period-shown\">$year-01-01 – $year-12-31</h2>" "the year's days"
expect "$(get oli '/office?period=month&at=2026-13')" 400 "a month that does not exist"
expect "$(get oli '/office?period=range&from=2026-12-05&to=2026-12-01')" 400 "a range that ends before it starts"
expect "$(get oli '/office?by=planet')" 400 "an unknown grouping"
# one community alone: its enterprises
expect "$(get oli '/office?by=enterprise&community=2')" 200 "one community by enterprise"
has '<h2 id="period-shown">西街社区 ' "the community named over the table"
has '<option value="2" selected>西街社区</option>' "the community chosen in the form"
has 'Acme, &quot;Best&quot; &lt;i&gt;焊接&lt;/i&gt;' "an enterprise of 西街社区"
hasnt '测试焊接厂' "an enterprise of another community"
has 'href="/office/counts.csv?by=enterprise&amp;community=2&amp;period=range' "the export keeps the community"
expect "$(get oli '/office?community=99')" 404 "a community that does not exist"
expect "$(get oli '/office?community=2x')" 400 "a community that is not an id"
wr_ok "by community, enterprise, industry; a month, quarter, year, day and range; one community; malformed ones 400"

# 3. CSV: BOM, quoting, injection
expect "$(get oli "/office/counts.csv?by=enterprise&period=month&at=$month")" 200 "the CSV"
grep -qi '^content-type: text/csv; charset=utf-8' "$H" || wr_fail "the CSV's type"
[[ $(head -c 3 "$B" | od -An -tx1 | tr -d ' \n') == efbbbf ]] || wr_fail "no UTF-8 BOM"
python3 - "$B" <<'EOF' || wr_fail "the CSV's content"
import csv, sys
raw = open(sys.argv[1], 'rb').read()
assert raw.count(b'\r\n') == 6 and raw.endswith(b'\r\n'), raw
rows = list(csv.reader(raw[3:].decode('utf-8').splitlines()))
assert rows[0][0] == '企业 enterprise' and rows[0][1] == '在用焊机 machines in use', rows[0]
names = [r[0] for r in rows[1:]]
# a name a spreadsheet would run as a formula starts with an apostrophe
assert "'=HYPERLINK(\"http://x.example\",\"点我\")" in names, names
assert 'Acme, "Best" <i>焊接</i>' in names and '测试焊接厂' in names, names
assert '长' * 199 + '厂' in names, names  # a name of 200 characters, whole
assert rows[-1][0] == '合计 total' and rows[-1][1] == '4', rows[-1]
assert all(len(r) == 9 for r in rows), rows
EOF
grep -qF '"'"'"'=HYPERLINK(""http://x.example"",""点我"")"' "$B" || wr_fail "the formula's quotes doubled"
grep -qF '"Acme, ""Best"" <i>焊接</i>"' "$B" || wr_fail "a comma and quotes quoted"
wr_ok "CSV: UTF-8 BOM, CRLF, RFC 4180 quoting, a formula in a name prefixed with '"

# 4. PDF with Chinese text
expect "$(get oli "/office/counts.pdf?by=community&period=month&at=$month")" 200 "the PDF"
grep -qi '^content-type: application/pdf' "$H" || wr_fail "the PDF's type"
pdftotext -layout "$B" "$WR_TMP/counts.txt" || wr_fail "pdftotext could not read the PDF"
for word in 焊机监管统计报表 在用焊机 东街社区 西街社区 北街社区 合计; do
    grep -qF "$word" "$WR_TMP/counts.txt" || wr_fail "no $word in the PDF: $(cat "$WR_TMP/counts.txt")"
done
grep -qE '东街社区 +2 +0 +0 +0 +2 +1 +1 +1' "$WR_TMP/counts.txt" ||
    wr_fail "东街社区's row in the PDF: $(cat "$WR_TMP/counts.txt")"
pdffonts "$B" | grep -q 'DroidSansFallback.*CID TrueType.*yes *yes' ||
    wr_fail "the CJK font is not embedded as a subset: $(pdffonts "$B")"
pdftoppm -png -r 60 -singlefile "$B" "$shots/web-office-pdf" || wr_fail "pdftoppm could not draw the PDF"
expect "$(get oli "/office/counts.pdf?by=enterprise&period=month&at=$month")" 200 "the PDF by enterprise"
pdftotext -layout "$B" "$WR_TMP/enterprises.txt" || wr_fail "pdftotext could not read the PDF by enterprise"
if ! grep -qF 'Acme, "Best" <i>焊接</i>' "$WR_TMP/enterprises.txt" ||
    ! grep -qE '^长{20,} +0 +0' "$WR_TMP/enterprises.txt"; then
    wr_fail "the enterprises in the PDF (a long name cut to its column): $(cat "$WR_TMP/enterprises.txt")"
fi
wr_ok "PDF: Chinese text extracted by pdftotext, Droid Sans Fallback embedded as a subset"

# 5. overdue rectifications
expect "$(get oli /office/overdue)" 200 "the overdue page"
deadline=$(wr_psql "SELECT to_char(rectify_by AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI')
                   FROM violations WHERE id = 2")
has "<tr><td>西街社区</td><td>1</td><td>$deadline</td></tr>" "西街社区's overdue violation with its deadline"
hasnt '<tr><td>东街社区</td>' "东街社区 has none overdue"
expect "$(get oli '/office/overdue?by=enterprise')" 200 "overdue by enterprise"
has '=HYPERLINK(&quot;' "the enterprise of the overdue violation"
wr_ok "overdue rectifications by community and by enterprise"

# 6. the map's data
expect "$(get oli /map/data.json)" 200 "the map's data"
python3 - "$B" <<'EOF' || wr_fail "the map's data: $(cat "$B")"
import json, sys
d = json.load(open(sys.argv[1]))
m = {x['chip']: x for x in d['machines']}
# M-1 at its last check-in with a position (the newer one had none), live; M-2 at its
# check-in; M-3 at its permit's site; M-4 never placed
assert sorted(m) == ['M-1', 'M-2', 'M-3'] and d['unplaced'] == 1, d
assert (m['M-1']['lat'], m['M-1']['lon'], m['M-1']['live']) == (34.515, 113.375, True), m
assert (m['M-3']['lat'], m['M-3']['lon'], m['M-3']['live']) == (34.54, 113.43, False), m
# open violations: 1 at its own position, 2 at its machine's; 3 is resolved
v = {x['id']: x for x in d['violations']}
assert sorted(v) == [1, 2] and (v[2]['lat'], v[2]['lon']) == (34.53, 113.42), v
c = {x['code']: x for x in d['communities']}
assert len(c['c1']['outline']) == 4 and c['c2']['outline'] is None, c
EOF
expect "$(get oli /map)" 200 "the map page"
has 'data-src="/map/data.json"' "the map's data route"
hasnt 'data-tiles' "tiles without a tile server"
grep -qi "^content-security-policy: default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src" "$H" ||
    wr_fail "the map's CSP without tiles: $(grep -i content-security "$H")"
wr_ok "map data: last positions (check-in, else permit site), 1 unplaced, 1 live session, 2 open violations"

# 7. scopes: an inspector their community, an officer nothing of the district
expect "$(get lou /office)" 200 "an inspector's counts"
has '<th scope="row">东街社区</th>' "the inspector's community"
hasnt '西街社区' "another community in the inspector's counts"
expect "$(get lou '/office?community=2')" 404 "an inspector asking for another community"
hasnt '西街社区' "another community's name in the refusal"
expect "$(get lou '/office?community=1&by=enterprise')" 200 "an inspector's own community"
expect "$(get lou "/office/counts.csv?period=month&at=$month")" 200 "an inspector's CSV"
hasnt '西街社区' "another community in the inspector's CSV"
expect "$(get lou /office/overdue)" 200 "an inspector's overdue page"
hasnt '西街社区' "another community's overdue violation"
expect "$(get lou /map/data.json)" 200 "an inspector's map"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert [m["chip"] for m in d["machines"]] == ["M-1"] and [v["id"] for v in d["violations"]] == [1] and [c["code"] for c in d["communities"]] == ["c1"], d' "$B" ||
    wr_fail "the inspector's map: $(cat "$B")"
for path in /office /office/counts.csv /office/counts.pdf /office/overdue /map /map/data.json; do
    expect "$(get eve "$path")" 403 "an officer on $path"
done
expect "$(get eve /)" 200 "an officer's home"
hasnt 'href="/office"' "the reports' link for an officer"
expect "$(get oli /)" 200 "office staff's home"
has 'href="/office"' "the reports' link for office staff"
has 'href="/map"' "the map's link for office staff"
rm -f "$WR_TMP/jar-oli"
expect "$(get oli /office)" 303 "without a session"
login oli
wr_ok "scopes: the inspector sees community 1 only; an officer is refused every office page"

# 8. the browser, without tiles: every request to the server itself
BROWSER_DIR="$WELDREG_SOURCE_DIR/tests/browser"
if [[ ! -d $BROWSER_DIR/node_modules/puppeteer-core ]]; then
    ca=${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}
    (cd "$BROWSER_DIR" && NODE_EXTRA_CA_CERTS=$ca npm ci --no-audit --no-fund --ignore-scripts \
        >"$WR_TMP/npm.log" 2>&1) ||
        { cat "$WR_TMP/npm.log" >&2; wr_fail "npm ci in tests/browser failed"; }
fi
node "$BROWSER_DIR/office.js" "$WR_WEB_URL" oli "$(pw oli)" "$shots" "" ||
    wr_fail "the office's browser journey failed"
wr_web_stop
wr_ok "Chromium: counts table and charts, the map drawn with no tiles, no request elsewhere"

# 9. with a tile server (a local one: no internet), Leaflet draws its tiles under a widened CSP
tile_port=$(wr_free_port tcp)
python3 - "$tile_port" "$WR_CERTS_DIR" >"$WR_TMP/tiles.log" 2>&1 <<'EOF' &
import http.server, ssl, sys, zlib, struct
def png():  # a 256 x 256 light green tile
    row = b'\x00' + b'\xd8\xe8\xd0' * 256
    raw = zlib.compress(row * 256)
    chunk = lambda t, d: struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d))
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', 256, 256, 8, 2, 0, 0, 0))
            + chunk(b'IDAT', raw) + chunk(b'IEND', b''))
TILE = png()
class Tiles(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        print('tile', self.path, flush=True)
        self.send_response(200)
        self.send_header('Content-Type', 'image/png')
        self.send_header('Content-Length', str(len(TILE)))
        self.end_headers()
        self.wfile.write(TILE)
srv = http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), Tiles)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[2] + '/server.crt', sys.argv[2] + '/server.key')
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
EOF
tiles_pid=$!
trap 'kill "$tiles_pid" 2>/dev/null || true; wr_cleanup' EXIT
printf 'web_map_tiles = https://127.0.0.1:%s/{z}/{x}/{y}.png\n' "$tile_port" >"$WR_TMP/web.extra"
wr_web_start
login oli
expect "$(get oli /map)" 200 "the map with tiles"
has "data-tiles=\"https://127.0.0.1:$tile_port/{z}/{x}/{y}.png\"" "the tile URL for the script"
has '/static/vendor/leaflet.js' "Leaflet on the page"
grep -qi "^content-security-policy: .*img-src 'self' data: https://127.0.0.1:$tile_port;" "$H" ||
    wr_fail "the map's CSP does not admit the tile server: $(grep -i content-security "$H")"
expect "$(get oli /office)" 200 "the counts with tiles configured"
grep -qi "^content-security-policy: .*img-src 'self' data:; object-src" "$H" ||
    wr_fail "the tile server widened another page's CSP"
node "$BROWSER_DIR/office.js" "$WR_WEB_URL" oli "$(pw oli)" "$shots" \
    "https://127.0.0.1:$tile_port" || wr_fail "the map with tiles failed in the browser"
grep -q '^tile /' "$WR_TMP/tiles.log" || wr_fail "no tile was asked of the tile server"
wr_web_stop
kill "$tiles_pid" 2>/dev/null || true
wr_ok "with web_map_tiles: Leaflet's tile layer loads tiles from the local tile server, CSP widened on /map only"
