#!/usr/bin/env bash
# web-load.sh — the web's load figures (bench/web-load.c): its own database with two communities,
# 1,000 machines, 1,000 violations, a welder's and a machine's signed code; N inspector accounts
# (default 100) who log in through the form; weldreg-web on a loopback port; then requests per
# second and p50/p95/p99 of each path for S seconds with all N asking at once, beside
# GET /static/app.css measured in the same run. Default paths: /machines, the welder page
# /w/<code>, the status card /m/<code> and the violation list /violations; others with --path
# (instead). On the server of DATABASE_URL (default: the private cluster).
#   bench/web-load.sh [--build DIR] [--users N] [--duration S] [--path PATH]... [--keep]
# bench/run.sh runs it (short with --quick). Figures: docs/performance.md, "The web".
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
BUILD=$ROOT/build-bench
USERS=100
DURATION=10
KEEP=0
PATHS=()
while (($#)); do
    case "$1" in
    --build) BUILD=$(cd "${2:?--build needs a directory}" && pwd -P) && shift ;;
    --users) USERS=${2:?--users needs a number} && shift ;;
    --duration) DURATION=${2:?--duration needs seconds} && shift ;;
    --path) PATHS+=("${2:?--path needs a path}") && shift ;;
    --keep) KEEP=1 ;;
    -h | --help) sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' && exit 0 ;;
    *) printf 'web-load.sh: unknown option "%s"\n' "$1" >&2 && exit 2 ;;
    esac
    shift
done
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
bench_setup weldreg_bench_web web/weldreg-web tag-reader/weldtag bench/web-load
PORT=$((20000 + RANDOM % 40000))
# connections: every person keeps one, all from 127.0.0.1
cat >>"$TMP/weldreg.conf" <<CONF
cert_file = $CERTS/server.crt
key_file = $CERTS/server.key
pii_key_file = $CERTS/pii.key
web_listen = 127.0.0.1:$PORT
web_max_connections = $((USERS + 64))
web_max_per_ip = $((USERS + 64))
web_max_streams = $USERS
web_timeout_s = 60
CONF

bench_say "seeding $DB: 2 communities, 1,000 machines, 1,000 violations, a welder's and a machine's code, $USERS inspectors"
# issue KIND ARGS...: a code signed with the development key; its id and key id go to the journal
issue() {
    "$BUILD/tag-reader/weldtag" issue "$@" --iss dev --signing-key "$CERTS/signing.key" \
        --journal "$TMP/journal.csv" 2>/dev/null
}
code=$(issue welder --licence T410102199001011234 --name 张三丰 --cats fusion \
    --licence-valid-until "$(date -d '+3 years' +%F)" --wid 00112233445566778899aabbccddeeff)
IFS=, read -r cti _ _ _ _ kid < <(tail -n 1 "$TMP/journal.csv")
machine=$(issue machine --chip WR-B-00001 --ent 2 --cat fusion) # community 1: the inspectors'
IFS=, read -r mcti _ _ _ _ mkid < <(tail -n 1 "$TMP/journal.csv")
bench_sql -c "INSERT INTO communities (id, code, name, district)
            VALUES (1, 'c1', '东街社区', '测试区'), (2, 'c2', '西街社区', '测试区');
        INSERT INTO enterprises (id, uscc, name, community_id)
            SELECT i, '9111000010000' || lpad(i::text, 4, '0') || 'A', '焊接厂' || i, 1 + i % 2
            FROM generate_series(1, 20) i;
        INSERT INTO machines (id, chip_id, process_category, enterprise_id, keeper_name)
            SELECT i, 'WR-B-' || lpad(i::text, 5, '0'), 'fusion', 1 + i % 20, '王五'
            FROM generate_series(1, 1000) i;
        INSERT INTO violations (kind, severity, community_id, enterprise_id, machine_id, occurred_at)
            SELECT 'permit_none', 'warning', 1 + (1 + i % 20) % 2, 1 + i % 20, i,
                   now() - i * interval '1 hour' FROM generate_series(1, 1000) i;
        UPDATE violations SET status = 'acknowledged' WHERE id % 3 = 0;
        INSERT INTO welders (id, name, idcard_hash, idcard_masked, licence_no_hash,
            licence_no_masked, licence_categories, licence_issued_on, licence_valid_until,
            licence_review_due)
        VALUES (1, '张三丰', sha256('a'), '410***********123X', sha256('b'),
            'T**************1234', ARRAY['fusion'], current_date - 30,
            current_date + 365, current_date + 300);
        INSERT INTO codes (cti, kind, welder_id, kid, expires_at)
            VALUES (decode('$cti', 'hex'), 'welder', 1, decode('$kid', 'hex'),
                    now() + interval '100 days');
        INSERT INTO codes (cti, kind, machine_id, kid, expires_at)
            VALUES (decode('$mcti', 'hex'), 'machine', 1, decode('$mkid', 'hex'),
                    now() + interval '100 days')" >/dev/null
printf 'bench-web-load-password\n' >"$TMP/password"
env -u DATABASE_URL "$BUILD/web/weldreg-web" account add bench-1 --role inspector --community 1 \
    --password-file "$TMP/password" --config "$TMP/weldreg.conf" >/dev/null
# the others share bench-1's password hash (hashing 100 passwords would take a minute)
bench_sql -c "INSERT INTO accounts (login, role, password_hash)
            SELECT 'bench-' || i, 'inspector', a.password_hash
            FROM accounts a, generate_series(2, $USERS) i WHERE a.login = 'bench-1';
        INSERT INTO account_communities (account_id, community_id)
            SELECT id, 1 FROM accounts WHERE login LIKE 'bench-%' AND login <> 'bench-1'" \
    >/dev/null

env -u DATABASE_URL "$BUILD/web/weldreg-web" serve --config "$TMP/weldreg.conf" \
    >"$TMP/web.log" 2>&1 &
BENCH_PIDS+=($!)
bench_wait_ready "$!" "$TMP/web.log" 'event=web_ready'

pct() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
((${#PATHS[@]})) || PATHS=(/machines "/w/$(pct "$code")" "/m/$(pct "$machine")" /violations)
cmd=("$BUILD/bench/web-load" --url "https://127.0.0.1:$PORT" --cacert "$CERTS/ca.crt"
    --login 'bench-%d' --password-file "$TMP/password" --users "$USERS" --duration "$DURATION"
    "${PATHS[@]}")
bench_say "$(printf '%q ' "${cmd[@]}")"
"${cmd[@]}"
