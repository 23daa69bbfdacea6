#!/usr/bin/env bash
# test-metrics.sh — the operations endpoints (docs/operations.md): weldreg-server's /metrics,
# /healthz and /readyz on metrics_listen, weldreg-web's, the counts they show after real traffic
# (check-ins by event and decision, commits, handshakes, a database connection lost and made
# again), their text format checked by promtool, the alert rules checked and unit-tested by
# promtool, and the dashboard naming only metrics the processes export.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

unset JOURNAL_STREAM # the log lines start with ts= (no journal priority prefix)
command -v promtool >/dev/null || wr_fail "promtool is not installed (Debian: prometheus; scripts/deps.sh)"
DEPLOY="$WELDREG_SOURCE_DIR/deploy"
CHIP=WR-M-0001

wr_db_create metrics
machine_psk=$(wr_provision machine "$CHIP")
inspector_psk=$(wr_provision inspector insp-m)
# a metrics_listen that is no address stops the start, as a configuration error
wr_run 2 "$WR_SERVER_BIN" serve --config "$WR_TMP/weldreg.conf" --listen "127.0.0.1:$(wr_free_udp_port)" \
    --set metrics_listen=localhost:http
wr_expect_text 'metrics_listen: invalid listen address "localhost:http"'
wr_ok "metrics_listen = localhost:http: exit 2, $(grep -o 'error=.*' "$WR_TMP/out")"

MPORT=$(wr_free_port tcp)
printf 'metrics_listen = 127.0.0.1:%s\n' "$MPORT" >"$WR_TMP/server.extra"
wr_server_start
OPS="http://127.0.0.1:$MPORT"
grep -q "event=metrics_listening addr=http://127.0.0.1:$MPORT" "$WR_SERVER_LOG" ||
    wr_fail "no metrics_listening line"

# scrape URL FILE [CURL OPTIONS...]: GETs URL into FILE, fails unless 200, and checks the text
# format with promtool (its lint as well: names, units, HELP).
scrape() {
    local url=$1 file=$2 code
    shift 2
    code=$(curl -s "$@" -o "$file" -w '%{http_code}' "$url")
    [[ $code == 200 ]] || { cat "$file" >&2; wr_fail "$url answered $code"; }
    promtool check metrics <"$file" >"$WR_TMP/promtool.out" 2>&1 ||
        { cat "$WR_TMP/promtool.out" >&2; wr_fail "promtool check metrics refused $url"; }
}

# metric FILE NAME{LABELS}: the value of that exact sample in FILE, or "absent".
metric() {
    awk -v s="$2" '$1 == s { print $2; found = 1 } END { if (!found) print "absent" }' "$1"
}

# expect FILE SAMPLE eq|ge VALUE: the sample's whole part is equal to VALUE, or at least VALUE.
expect() {
    local v
    v=$(metric "$1" "$2")
    [[ $v != absent ]] || wr_fail "$2 is absent"
    local whole=${v%.*} ok=0
    case $3 in
    eq) ((whole == $4)) && ok=1 ;;
    ge) ((whole >= $4)) && ok=1 ;;
    *) wr_fail "expect: unknown comparison $3" ;;
    esac
    ((ok)) || wr_fail "$2 is $v, expected $3 $4"
}

# wait_metric URL FILE SAMPLE VALUE: scrapes URL into FILE until SAMPLE is VALUE (3 s at most).
wait_metric() {
    local i
    for ((i = 0; i < 30; i++)); do
        scrape "$1" "$2"
        [[ $(metric "$2" "$3") == "$4" ]] && return 0
        sleep 0.1
    done
    expect "$2" "$3" eq "$4"
}

# 1. Health and readiness of a server that runs.
[[ $(curl -s "$OPS/healthz") == ok ]] || wr_fail "/healthz is not ok"
[[ $(curl -s -w '%{http_code}' -o /dev/null "$OPS/readyz") == 200 ]] || wr_fail "/readyz is not 200"
[[ $(curl -s -w '%{http_code}' -o /dev/null "$OPS/nothing") == 404 ]] || wr_fail "unknown path not 404"
[[ $(curl -s -X DELETE -w '%{http_code}' -o /dev/null "$OPS/metrics") == 405 ]] || wr_fail "DELETE not 405"
wr_ok "server /healthz ok, /readyz 200, others 404/405"

# 2. Traffic: a heartbeat (refused: the machine is unregistered), the same again (a duplicate),
# and a handshake with an unknown identity (refused).
now=$(date +%s)
hb() { printf 'a3626576626862637365710%x6274731a%08x' "$1" "$2" | xxd -r -p >"$WR_TMP/body"; }
post() {
    timeout 20 coap-client-openssl -m post -t 60 -f "$WR_TMP/body" -u "$1" -k "$2" -B 10 \
        "coaps://127.0.0.1:$WR_PORT/v1/checkins" >"$WR_TMP/coap.out" 2>&1 || true
}
hb 1 "$now"
post "$CHIP" "$(cat "$machine_psk")"
post "$CHIP" "$(cat "$machine_psk")"
post WR-M-NOBODY "$(cat "$machine_psk")"
[[ $(wr_psql "SELECT count(*) FROM checkins") == 1 ]] || wr_fail "the heartbeat was not stored once"

scrape "$OPS/metrics" "$WR_TMP/m1"
expect "$WR_TMP/m1" 'weldreg_checkins_total{event="hb",decision="refused"}' eq 1
expect "$WR_TMP/m1" 'weldreg_checkins_total{event="hb",decision="duplicate"}' eq 1
expect "$WR_TMP/m1" 'weldreg_checkins_total{event="scan",decision="allowed"}' eq 0
expect "$WR_TMP/m1" 'weldreg_commit_seconds_count' ge 2
expect "$WR_TMP/m1" 'weldreg_writer_batch_size_sum' ge 2
expect "$WR_TMP/m1" 'weldreg_writer_queue_depth' eq 0
expect "$WR_TMP/m1" 'weldreg_dtls_handshakes_total{result="completed"}' ge 2
expect "$WR_TMP/m1" 'weldreg_dtls_handshakes_total{result="refused"}' ge 1
expect "$WR_TMP/m1" 'weldreg_dtls_sessions' ge 0
expect "$WR_TMP/m1" 'weldreg_view_reload_seconds_count' ge 1
expect "$WR_TMP/m1" 'weldreg_database_up{connection="writer"}' eq 1
expect "$WR_TMP/m1" 'weldreg_ready' eq 1
expect "$WR_TMP/m1" "weldreg_build_info{version=\"$("$WR_SERVER_BIN" --version | cut -d' ' -f2)\"}" eq 1
wr_ok "server metrics pass promtool and count the traffic: $(grep -c '^weldreg_' "$WR_TMP/m1") samples"
grep -E '^weldreg_checkins_total\{event="hb",decision="(refused|duplicate)"\}' "$WR_TMP/m1"

# 2b. An inspector observes the live violations: one observer while it watches, through a
# notification, none once it cancelled.
"$WELDREG_BUILD_DIR/tag-reader/weldtag" watch --json --for 4 --server "coaps://127.0.0.1:$WR_PORT" \
    --identity insp-m --psk-file "$inspector_psk" >"$WR_TMP/watch.out" 2>"$WR_TMP/watch.err" &
watch_pid=$!
wait_metric "$OPS/metrics" "$WR_TMP/mo" weldreg_observers 1
wr_psql "INSERT INTO violations (kind, severity, occurred_at) VALUES ('permit_none', 'critical', now())" >/dev/null
sleep 1 # the notification goes out (the inspector without communities sees an empty list)
scrape "$OPS/metrics" "$WR_TMP/mo"
expect "$WR_TMP/mo" weldreg_observers eq 1
wait "$watch_pid" || { cat "$WR_TMP/watch.err"; wr_fail "weldtag watch failed"; }
wait_metric "$OPS/metrics" "$WR_TMP/mo" weldreg_observers 0
wr_ok "weldreg_observers: 1 while weldtag watches (a notification changes nothing), 0 after it cancels"

# 3. The database drops every connection: the writer finds out at its next batch (5.03 for that
# check-in), both connections come back, and the counts say so.
wr_psql "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid()" >/dev/null
sleep 0.5
hb 2 "$now"
post "$CHIP" "$(cat "$machine_psk")"
for ((i = 0; i < 50; i++)); do
    scrape "$OPS/metrics" "$WR_TMP/m2"
    [[ $(metric "$WR_TMP/m2" 'weldreg_database_reconnects_total{connection="writer"}') != 0 &&
        $(metric "$WR_TMP/m2" 'weldreg_database_reconnects_total{connection="views"}') != 0 ]] && break
    sleep 0.2
done
expect "$WR_TMP/m2" 'weldreg_database_lost_total{connection="writer"}' eq 1
expect "$WR_TMP/m2" 'weldreg_database_reconnects_total{connection="writer"}' eq 1
expect "$WR_TMP/m2" 'weldreg_database_lost_total{connection="views"}' eq 1
expect "$WR_TMP/m2" 'weldreg_database_reconnects_total{connection="views"}' ge 1
expect "$WR_TMP/m2" 'weldreg_checkins_total{event="hb",decision="unavailable"}' eq 1
[[ $(curl -s -w '%{http_code}' -o /dev/null "$OPS/readyz") == 200 ]] || wr_fail "/readyz not 200 again"
wr_ok "a lost database shows: lost 1, reconnected, 1 check-in unavailable, ready again"

# 4. Readiness goes with the database: while it takes no connections, the views' listener cannot
# reconnect and /readyz says why; once it does again, the server is ready again.
wr_psql_admin "ALTER DATABASE $WR_DB_NAME WITH ALLOW_CONNECTIONS false" >/dev/null
wr_psql_admin "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '$WR_DB_NAME'" >/dev/null
for ((i = 0; i < 50; i++)); do
    code=$(curl -s -w '%{http_code}' -o "$WR_TMP/ready" "$OPS/readyz")
    [[ $code == 503 ]] && break
    sleep 0.2
done
wr_psql_admin "ALTER DATABASE $WR_DB_NAME WITH ALLOW_CONNECTIONS true" >/dev/null
[[ $code == 503 ]] || wr_fail "/readyz stayed $code with the database away"
grep -q "database lost" "$WR_TMP/ready" || wr_fail "/readyz did not say why: $(cat "$WR_TMP/ready")"
[[ $(curl -s "$OPS/healthz") == ok ]] || wr_fail "/healthz failed while only the database was away"
wr_ok "database away: /readyz 503 \"$(tr -d '\n' <"$WR_TMP/ready")\", /healthz still ok"
for ((i = 0; i < 50; i++)); do
    [[ $(curl -s -w '%{http_code}' -o /dev/null "$OPS/readyz") == 200 ]] && break
    sleep 0.2
done
((i < 50)) || wr_fail "/readyz did not come back after the database did"
wr_ok "database back: /readyz 200"
wr_server_stop
# (libpq's own notice of the connections terminated above is printed by libpq, not the server)
grep -v '^ts=' "$WR_SERVER_LOG" | grep -v '^FATAL:  terminating connection due to administrator' &&
    wr_fail "the server printed lines outside the log format (above)"
wr_ok "every line of the server's log is a log line (libmicrohttpd said nothing of its own)"

# 5. weldreg-web: /healthz and /readyz for anyone, /metrics only from loopback.
wr_web_start
scrape "$WR_WEB_URL/metrics" "$WR_TMP/w1" -k
[[ $(curl -sk "$WR_WEB_URL/healthz") == ok ]] || wr_fail "web /healthz is not ok"
[[ $(curl -sk -w '%{http_code}' -o /dev/null "$WR_WEB_URL/readyz") == 200 ]] || wr_fail "web /readyz"
curl -sk -o /dev/null "$WR_WEB_URL/no-such-page"
scrape "$WR_WEB_URL/metrics" "$WR_TMP/w2" -k
expect "$WR_TMP/w2" 'weldreg_web_requests_total{code="2xx"}' ge 3
expect "$WR_TMP/w2" 'weldreg_web_requests_total{code="4xx"}' ge 1
expect "$WR_TMP/w2" 'weldreg_web_request_seconds_count' ge 4
grep -q '^weldreg_build_info{version="' "$WR_TMP/w2" || wr_fail "the web has no weldreg_build_info"
wr_ok "web metrics pass promtool and count requests by class"
wr_web_stop

# a second web on every address, asked through a non-loopback address of this host: no metrics
addr=$(ip -4 -o addr show scope global 2>/dev/null | awk '{ sub("/.*", "", $4); print $4; exit }')
if [[ -n $addr ]]; then
    port=$(wr_free_port tcp)
    sed -E "s/^web_listen = .*/web_listen = 0.0.0.0:$port/" "$WR_TMP/web.conf" >"$WR_TMP/web-any.conf"
    "$WR_WEB_BIN" serve --config "$WR_TMP/web-any.conf" >"$WR_TMP/web-any.log" 2>&1 &
    WR_WEB_PID=$!
    for ((i = 0; i < 100; i++)); do
        grep -q event=web_ready "$WR_TMP/web-any.log" && break
        sleep 0.1
    done
    WR_WEB_LOG="$WR_TMP/web-any.log"
    [[ $(curl -sk -w '%{http_code}' -o /dev/null "https://$addr:$port/metrics") == 404 ]] ||
        wr_fail "/metrics answered a non-loopback peer ($addr)"
    [[ $(curl -sk -w '%{http_code}' -o /dev/null "https://$addr:$port/healthz") == 200 ]] ||
        wr_fail "/healthz refused a non-loopback peer"
    [[ $(curl -sk -w '%{http_code}' -o /dev/null "https://127.0.0.1:$port/metrics") == 200 ]] ||
        wr_fail "/metrics refused loopback on 0.0.0.0"
    wr_web_stop
    wr_ok "web /metrics: 404 from $addr (not loopback), 200 from 127.0.0.1"
else
    wr_ok "# SKIP no global IPv4 address to test a non-loopback peer"
fi

# 6. weldreg-server notices: its own listener (notices_metrics_listen); a notice whose webhook
# nobody answers is a failed attempt, counted.
wr_seed_machine WR-M-0002
wr_psql "INSERT INTO violations (kind, severity, community_id, enterprise_id, occurred_at)
         SELECT 'permit_none', 'warning', id, (SELECT id FROM enterprises), now() FROM communities" >/dev/null
[[ $(wr_psql "SELECT count(*) FROM notices") -ge 1 ]] || wr_fail "no notice in the outbox"
head -c 32 /dev/urandom | xxd -p -c 64 >"$WR_TMP/secret"
NPORT=$(wr_free_port tcp)
cp "$WR_TMP/weldreg.conf" "$WR_TMP/notices.conf"
cat >>"$WR_TMP/notices.conf" <<CONF
notice_webhook_url = https://127.0.0.1:$(wr_free_port tcp)/nobody-listens
notice_secret_file = $WR_TMP/secret
notice_retry_first_s = 60
notices_metrics_listen = 127.0.0.1:$NPORT
CONF
WR_SERVER_LOG="$WR_TMP/notices.log"
"$WR_SERVER_BIN" notices --config "$WR_TMP/notices.conf" 2>"$WR_SERVER_LOG" &
WR_SERVER_PID=$! # stopped by wr_server_stop, or by the clean-up if the test fails
NOPS="http://127.0.0.1:$NPORT"
for ((i = 0; i < 50; i++)); do
    curl -s -o /dev/null "$NOPS/healthz" && break
    sleep 0.1
done
wait_metric "$NOPS/metrics" "$WR_TMP/n1" 'weldreg_notices_attempts_total{result="failed"}' 1
expect "$WR_TMP/n1" 'weldreg_notices_attempts_total{result="delivered"}' eq 0
expect "$WR_TMP/n1" 'weldreg_notices_attempt_seconds_count' eq 1
expect "$WR_TMP/n1" 'weldreg_notices_database_up' eq 1
[[ $(curl -s "$NOPS/readyz") == ok ]] || wr_fail "the notices' /readyz is not ok"
[[ $(curl -s "$NOPS/healthz") == ok ]] || wr_fail "the notices' /healthz is not ok"
wr_server_stop
wr_ok "notices: own /metrics (promtool ok), 1 failed attempt counted, /readyz and /healthz ok"

# 7. The alert rules parse and behave as their tests say; the dashboard uses exported names.
promtool check rules "$DEPLOY/prometheus/weldreg-alerts.yml" >"$WR_TMP/rules.out" 2>&1 ||
    { cat "$WR_TMP/rules.out"; wr_fail "promtool check rules"; }
(cd "$DEPLOY/prometheus" && promtool test rules weldreg-alerts.test.yml) >"$WR_TMP/rules.out" 2>&1 ||
    { cat "$WR_TMP/rules.out"; wr_fail "promtool test rules"; }
wr_ok "alert rules: $(promtool check rules "$DEPLOY/prometheus/weldreg-alerts.yml" | grep -o "[0-9]* rules found"), tests pass"

cat "$WR_TMP/m1" "$WR_TMP/w2" "$WR_TMP/n1" | awk '/^weldreg_/ { sub(/[{ ].*/, "", $1); print $1 }' |
    sed -E 's/_(bucket|sum|count)$//' | sort -u >"$WR_TMP/exported"
for file in "$DEPLOY/grafana/weldreg.json" "$DEPLOY/prometheus/weldreg-alerts.yml"; do
    grep -oE 'weldreg_[a-z_]+' "$file" | sed -E 's/_(bucket|sum|count)$//' | sort -u |
        while read -r name; do
            grep -qx "$name" "$WR_TMP/exported" || wr_fail "$(basename "$file") uses $name, not exported"
        done
done
wr_ok "the dashboard and the alerts use only exported metric names"
