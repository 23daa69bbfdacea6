#!/usr/bin/env bash
# test-web-standby.sh — the read-only pages of inspectors and the office on a streaming standby
# (database_read_url, issue 18): a real standby of the test's PostgreSQL (pg_basebackup -R into a
# temporary directory, started on a free port as the cluster's own user) serves /violations,
# /violations/<id>, /office, /office/overdue and /map with the line "数据延迟约 N 秒"; with its
# replay paused a row written on the primary is missing there and N grows, and appears once
# replay goes on; a POST still writes to the primary; with the standby stopped every page falls
# back to the primary (200, no staleness line), and they go back to it once it is restarted. The
# standby is stopped and removed at exit.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=scripts/pg.sh
source "$WELDREG_SOURCE_DIR/scripts/pg.sh"
pg_find_bindir
pg_find_user

wr_db_create web_standby
wr_psql "INSERT INTO communities (id, code, name, district) VALUES (1, 'c1', '东街社区', '测试区');
         INSERT INTO enterprises (id, uscc, name, community_id)
             VALUES (1, '91110000100000000A', '测试焊接厂', 1);
         INSERT INTO machines (id, chip_id, process_category, enterprise_id, keeper_name)
             VALUES (1, 'WR-S-0001', 'fusion', 1, '王五')" >/dev/null
vid1=$(wr_psql "INSERT INTO violations (kind, severity, community_id, enterprise_id, machine_id,
                    occurred_at, rectify_by)
                VALUES ('licence_expired', 'critical', 1, 1, 1, now() - interval '2 days',
                        now() - interval '1 day') RETURNING id")
wr_web_account insp inspector --community 1
wr_web_account desk office

# --- the standby: a base backup of the test's cluster, streaming from it ---
SB_DIR=$(mktemp -d /tmp/wr-standby.XXXXXX)
SB_PORT=$(wr_free_port tcp)
sb_stop() {
    [[ -f $SB_DIR/data/postmaster.pid ]] || return 0
    pg_as_user "$PG_BINDIR/pg_ctl" -D "$SB_DIR/data" -m immediate -w -t 30 -s stop
}
sb_cleanup() {
    local rc=$?
    set +e # a trap that stopped at the first failure would leave weldreg-web running
    sb_stop
    rm -rf "$SB_DIR"
    (exit "$rc") # wr_cleanup keeps what a failed test leaves when WR_KEEP=1
    wr_cleanup
}
trap sb_cleanup EXIT
dev_is_root && chown "$PG_OS_USER" "$SB_DIR"
chmod 0700 "$SB_DIR"
pg_as_user "$PG_BINDIR/pg_basebackup" -d "$WR_BASE_URL" -D "$SB_DIR/data" -R -X stream \
    --checkpoint=fast >"$WR_TMP/basebackup.log" 2>&1 ||
    { cat "$WR_TMP/basebackup.log" >&2; wr_fail "pg_basebackup failed"; }
sb_start() {
    pg_as_user "$PG_BINDIR/pg_ctl" -D "$SB_DIR/data" -l "$SB_DIR/postgres.log" -w -t 60 -s \
        -o "-c port=$SB_PORT -c unix_socket_directories=$SB_DIR -c listen_addresses=" start ||
        { cat "$SB_DIR/postgres.log" >&2; wr_fail "the standby did not start"; }
}
sb_start
SB_URL="host=$SB_DIR port=$SB_PORT dbname=$WR_DB_NAME user=$PG_OS_USER"
sb_psql() { psql -XAtq -v ON_ERROR_STOP=1 -d "$SB_URL" -c "$1"; }
[[ $(sb_psql "SELECT pg_is_in_recovery()") == t ]] || wr_fail "the standby is not in recovery"
wr_ok "a streaming standby on port $SB_PORT"

printf 'database_read_url = %s\n' "$SB_URL" >"$WR_TMP/web.extra"
wr_web_start

CA=(--cacert "$WR_CERTS_DIR/ca.crt")
B="$WR_TMP/body"
req() { curl -sS "${CA[@]}" -o "$B" -w '%{http_code}' "$@"; }
expect() { [[ $1 == "$2" ]] || { head -c 2000 "$B" >&2; wr_fail "$3: HTTP $1, expected $2"; }; }
STALE='<p class="alert" id="staleness">数据延迟约 ([0-9]+) 秒<span class="en">data about \1 s behind</span></p>'
stale_s() { sed -nE "s#.*${STALE}.*#\\1#p" "$B"; } # the seconds the last page said, if it did
# get PATH [PATTERN]: GET as the session, 200 expected, PATTERN (an ERE) in the page
get() {
    expect "$(req "${S[@]}" "$WR_WEB_URL$1")" 200 "GET $1"
    [[ -z ${2:-} ]] || grep -qE "$2" "$B" || { head -c 2000 "$B" >&2; wr_fail "GET $1: no $2"; }
}
# until_page PATH PATTERN: GETs PATH until PATTERN shows (replay may take a moment), 10 s
until_page() {
    local i
    for ((i = 0; i < 50; i++)); do
        req "${S[@]}" "$WR_WEB_URL$1" >/dev/null
        grep -qE "$2" "$B" && return 0
        sleep 0.2
    done
    head -c 2000 "$B" >&2
    wr_fail "GET $1: $2 did not show within 10 s"
}

# session LOGIN: logs in; S is the session's cookie, T its CSRF token
session() {
    curl -sS "${CA[@]}" -c "$WR_TMP/jar-$1" -o /dev/null --data-urlencode "login=$1" \
        --data-urlencode "password=$(cat "$WR_TMP/pw-$1")" "$WR_WEB_URL/login"
    S=(-b "$WR_TMP/jar-$1")
    get /
    T=$(sed -nE 's/.*name="csrf" value="([0-9a-f]{64})".*/\1/p' "$B")
    [[ ${#T} == 64 ]] || wr_fail "no session for $1"
}

# --- 1. served by the standby, with the staleness line ---
session insp
get /violations "href=\"/violations/$vid1\""
lag=$(stale_s)
[[ -n $lag ]] || wr_fail "/violations has no staleness line on the standby"
get "/violations/$vid1" "id=\"staleness\""
session desk
for path in /office /office/overdue /map; do
    get "$path" "id=\"staleness\""
done
for path in /map/data.json /office/counts.csv /office/counts.pdf; do
    get "$path"
done
wr_ok "/violations, /violations/$vid1, /office, /office/overdue, /map: from the standby, $lag s behind; the JSON, CSV and PDF 200"

# --- 2. replay paused: a row written on the primary is not there yet, and the lag grows ---
session insp
sb_psql "SELECT pg_wal_replay_pause()" >/dev/null
vid2=$(wr_psql "INSERT INTO violations (kind, severity, community_id, enterprise_id, machine_id,
                    occurred_at)
                VALUES ('permit_none', 'critical', 1, 1, 1, now()) RETURNING id")
sleep 2
get /violations "href=\"/violations/$vid1\""
! grep -q "href=\"/violations/$vid2\"" "$B" || wr_fail "a row not yet replayed is on the page"
lag=$(stale_s)
if [[ -z $lag ]] || ((lag < 1)); then wr_fail "the staleness with replay paused: '$lag' s"; fi
wr_ok "replay paused: violation $vid2 not shown yet, the page says $lag s behind"
sb_psql "SELECT pg_wal_replay_resume()" >/dev/null
until_page /violations "href=\"/violations/$vid2\""
wr_ok "replay resumed: violation $vid2 shown from the standby ($(stale_s) s behind)"

# --- 3. a POST writes to the primary ---
expect "$(req "${S[@]}" -X POST -d "csrf=$T&action=acknowledge" \
    "$WR_WEB_URL/violations/$vid2")" 303 "acknowledging violation $vid2"
[[ $(wr_psql "SELECT status FROM violations WHERE id = $vid2") == acknowledged ]] ||
    wr_fail "the acknowledgement is not on the primary"
[[ $(wr_psql "SELECT count(*) FROM audit_log WHERE action = 'violation.acknowledged'") == 1 ]] ||
    wr_fail "the acknowledgement is not audited"
until_page "/violations/$vid2" 'id="violation-status"[^<]*>[^<]*已确认'
wr_ok "POST /violations/$vid2 acknowledged it on the primary, then the standby showed it"

# --- 4. the standby stopped: pages fall back to the primary ---
sb_stop
get /violations "href=\"/violations/$vid2\""
[[ -z $(stale_s) ]] || wr_fail "a staleness line on a page the primary served"
get "/violations/$vid1" "id=\"violation-status\""
! grep -q 'id="staleness"' "$B" || wr_fail "a staleness line on /violations/$vid1 from the primary"
session desk
for path in /office /office/overdue /map /map/data.json /office/counts.csv /office/counts.pdf; do
    get "$path"
    ! grep -q 'id="staleness"' "$B" || wr_fail "a staleness line on $path from the primary"
done
grep -q 'event=read_database_away' "$WR_WEB_LOG" || wr_fail "the fallback is not logged"
# after the wait, one more try per connection (web_threads, 4), not one per page
sleep 6
away=$(grep -c 'event=read_database_away' "$WR_WEB_LOG")
for ((i = 0; i < 12; i++)); do
    get /office/overdue
done
away=$(($(grep -c 'event=read_database_away' "$WR_WEB_LOG") - away))
((away >= 1 && away <= 4)) || wr_fail "$away tries of the stopped standby for 12 pages"
wr_ok "the standby stopped: every page 200 from the primary, without the staleness line; the standby tried $away time(s) in 12 pages once 5 s passed"

# --- 5. the standby back: its pages come back to it (tried again within 5 s) ---
sb_start
until_page /office/overdue 'id="staleness"'
wr_ok "the standby restarted: /office/overdue served by it again"

wr_web_stop
wr_ok "weldreg-web stopped cleanly"
