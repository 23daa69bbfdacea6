#!/usr/bin/env bash
# test-checkin.sh — the first flow end to end: a machine checks in over DTLS-PSK and the
# check-in lands in PostgreSQL; with coap-client-openssl as an independent device (body written
# by hand in hex, not by our encoder) and with weldtag; plus the bad inputs of the skeleton:
# idempotent re-sends, replays, malformed bodies, unknown identities, wrong roles, a database
# connection lost while running, and a clean stop.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

WELDTAG="$WELDREG_BUILD_DIR/tag-reader/weldtag"
CHIP=WR-T-0001

wr_db_create checkin
machine_psk=$(wr_provision machine "$CHIP")
inspector_psk=$(wr_provision inspector inspector-t)
wr_server_start
URI="coaps://127.0.0.1:$WR_PORT/v1/checkins"

# hex_uint32 N prints N as a CBOR uint32 (0x1a + 4 bytes).
hex_uint32() { printf '1a%08x' "$1"; }

# heartbeat_hex SEQ TS: {"ev": "hb", "seq": SEQ (< 24), "ts": TS} in CBOR, by hand.
heartbeat_hex() { printf 'a3626576626862637365710%x627473%s' "$1" "$(hex_uint32 "$2")"; }

# coap_post IDENTITY PSKFILE HEXBODY: POSTs the body with coap-client-openssl; the answer's
# payload goes to $WR_TMP/out, what coap-client printed to $WR_TMP/err.
coap_post() {
    printf '%s' "$3" | xxd -r -p >"$WR_TMP/body"
    rm -f "$WR_TMP/out"
    timeout 20 coap-client-openssl -m post -t 60 -f "$WR_TMP/body" -u "$1" -k "$(cat "$2")" \
        -o "$WR_TMP/out" -B 10 "$URI" >"$WR_TMP/err" 2>&1 || true
}

now=$(date +%s)

# 1. A heartbeat from coap-client-openssl lands as a row with the authenticated chip id.
coap_post "$CHIP" "$machine_psk" "$(heartbeat_hex 1 "$now")"
[[ -s $WR_TMP/out ]] || { cat "$WR_TMP/err"; wr_fail "no answer to a heartbeat"; }
answer=$(xxd -p "$WR_TMP/out" | tr -d '\n')
[[ $answer == a3626f6bf4* ]] || wr_fail "answer is not {ok: false, ...}: $answer"
[[ $answer == *776f726b5f6f7574736964655f706c6174666f726d* ]] ||
    wr_fail "answer lacks work_outside_platform: $answer"
row=$(wr_psql "SELECT chip_id, seq, ev, ok, array_to_string(reasons, ',') FROM checkins")
[[ $row == "$CHIP|1|hb|f|machine_unknown,work_outside_platform" ]] || wr_fail "stored row: $row"
wr_ok "coap-client-openssl heartbeat stored: $row"

# 2. The same event sent again is answered the same and stored once.
first=$answer
coap_post "$CHIP" "$machine_psk" "$(heartbeat_hex 1 "$now")"
again=$(xxd -p "$WR_TMP/out" | tr -d '\n')
[[ $again == "$first" ]] || wr_fail "re-sent event answered differently: $again vs $first"
[[ $(wr_psql "SELECT count(*) FROM checkins") == 1 ]] || wr_fail "re-sent event stored twice"
wr_ok "re-sent event: same answer, one row"

# 3. The same seq with other content is a replay: 4.09, nothing stored.
coap_post "$CHIP" "$machine_psk" "$(heartbeat_hex 1 $((now + 7)))"
grep -q "4.09" "$WR_TMP/err" || { cat "$WR_TMP/err"; wr_fail "replay not refused with 4.09"; }
[[ $(wr_psql "SELECT count(*) FROM checkins") == 1 ]] || wr_fail "replay was stored"
wr_ok "replay refused with 4.09"

# 4. Malformed bodies get 4.00 and a diagnostic naming the problem; nothing is stored.
check_bad() {
    coap_post "$CHIP" "$machine_psk" "$1"
    grep -q "4.00" "$WR_TMP/err" || { cat "$WR_TMP/err"; wr_fail "$2: no 4.00"; }
    grep -q "$3" "$WR_TMP/err" || {
        cat "$WR_TMP/err"
        wr_fail "$2: diagnostic lacks \"$3\""
    }
    wr_ok "$2 refused: $(grep -m1 '4.00' "$WR_TMP/err")"
}
check_bad "ff" "a lone break byte" "CBOR"
check_bad "a163736571 01" "a map without ev" "required"
check_bad "a3626576626862637365716131627473$(hex_uint32 "$now")" "seq as text" "seq"
check_bad "a4626576626862637365710262747300637a7a7a01" "an unknown key" "zzz"
[[ $(wr_psql "SELECT count(*) FROM checkins") == 1 ]] || wr_fail "a malformed body was stored"

# 5. An unknown identity fails the handshake: no answer, nothing stored.
printf 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n' >"$WR_TMP/wrong.psk"
coap_post "WR-NOBODY" "$WR_TMP/wrong.psk" "$(heartbeat_hex 2 "$now")"
[[ ! -s $WR_TMP/out ]] || wr_fail "an unknown identity got an answer"
grep -q 'handshake_refused' "$WR_SERVER_LOG" || wr_fail "refused handshake not logged"
# and a known identity with the wrong key fails too
coap_post "$CHIP" "$WR_TMP/wrong.psk" "$(heartbeat_hex 2 "$now")"
[[ ! -s $WR_TMP/out ]] || wr_fail "a wrong key got an answer"
wr_ok "unknown identity and wrong key: handshake fails"

# 6. Only machines check in.
coap_post inspector-t "$inspector_psk" "$(heartbeat_hex 3 "$now")"
grep -q "4.03" "$WR_TMP/err" || { cat "$WR_TMP/err"; wr_fail "an inspector could check in"; }
wr_ok "an inspector's check-in is refused with 4.03"

# 7. weldtag speaks the same protocol.
rc=0
out=$("$WELDTAG" checkin --server "coaps://127.0.0.1:$WR_PORT" --identity "$CHIP" \
    --psk-file "$machine_psk" --ev tamper --seq 5 --lat 34.5 --lon 113.4) || rc=$?
((rc == 1)) || wr_fail "weldtag checkin exit $rc (want 1, locked): $out"
[[ $out == "locked: machine_unknown, tamper"* ]] || wr_fail "weldtag printed: $out"
# a person reads each reason below the names, Chinese first with English beside
[[ $out == *$'\n  焊机未在平台登记 (the welding machine is not registered)\n  焊机报告被拆改 (the machine reports that it was tampered with)'* ]] ||
    wr_fail "weldtag did not print the reasons' texts: $out"
[[ $(wr_psql "SELECT ev, round(lat::numeric, 1), round(lon::numeric, 1) FROM checkins WHERE seq = 5") == "tamper|34.5|113.4" ]] ||
    wr_fail "weldtag's check-in not stored with its position"
wr_ok "weldtag checkin: $(wr_answer_names "$out")"

# 7b. A client certificate (CN = chip id) from the platform's CA is the second way in, once the
# principal accepts certificates; a certificate for an identity that does not is refused.
"$WELDREG_SOURCE_DIR/certs/mkcerts.sh" device WR-T-CERT "$WR_CERTS_DIR" >/dev/null
"$WELDREG_SOURCE_DIR/certs/mkcerts.sh" device WR-T-NOCERT "$WR_CERTS_DIR" >/dev/null
"$WR_SERVER_BIN" provision --role machine --identity WR-T-CERT --cert \
    --config "$WR_TMP/weldreg.conf" >/dev/null || wr_fail "provision --cert failed"
sleep 0.5
cert_post() {
    printf '%s' "$2" | xxd -r -p >"$WR_TMP/body"
    rm -f "$WR_TMP/out"
    timeout 20 coap-client-openssl -m post -t 60 -f "$WR_TMP/body" -B 10 -o "$WR_TMP/out" \
        -c "$WR_CERTS_DIR/devices/$1.crt" -j "$WR_CERTS_DIR/devices/$1.key" \
        -C "$WR_CERTS_DIR/ca.crt" "$URI" >"$WR_TMP/err" 2>&1 || true
}
cert_post WR-T-CERT "$(heartbeat_hex 1 "$now")"
[[ -s $WR_TMP/out ]] || { cat "$WR_TMP/err"; wr_fail "no answer over a client certificate"; }
[[ $(wr_psql "SELECT count(*) FROM checkins WHERE chip_id = 'WR-T-CERT'") == 1 ]] ||
    wr_fail "certificate check-in not stored under its CN"
cert_post WR-T-NOCERT "$(heartbeat_hex 1 "$now")"
[[ ! -s $WR_TMP/out ]] || wr_fail "a certificate without a principal got an answer"
wr_ok "client certificate: CN is the identity; unknown CN refused"

# 7c. /.well-known/core lists the resources (RFC 6690).
timeout 20 coap-client-openssl -m get -u "$CHIP" -k "$(cat "$machine_psk")" -B 10 \
    "coaps://127.0.0.1:$WR_PORT/.well-known/core" >"$WR_TMP/wk" 2>&1 || true
grep -q '</v1/checkins>' "$WR_TMP/wk" || { cat "$WR_TMP/wk"; wr_fail "/.well-known/core lacks /v1/checkins"; }
wr_ok "/.well-known/core: $(grep -o '</v1/checkins>[^,]*' "$WR_TMP/wk")"

# 8. A registered machine is recognised, without a restart (NOTIFY refreshes the registry).
wr_psql "INSERT INTO communities (code, name, district) VALUES ('C-T', 'test', 'test')" >/dev/null
wr_psql "INSERT INTO enterprises (uscc, name, community_id)
  VALUES ('91410183MA44XXXX0B', 'test', (SELECT id FROM communities))" >/dev/null
wr_psql "INSERT INTO machines (chip_id, process_category, enterprise_id, keeper_name)
  VALUES ('$CHIP', 'fusion', (SELECT id FROM enterprises), 'keeper')" >/dev/null
sleep 0.5
rc=0
out=$("$WELDTAG" checkin --server "coaps://127.0.0.1:$WR_PORT" --identity "$CHIP" \
    --psk-file "$machine_psk" --ev end --seq 6) || rc=$?
[[ $out == "locked: no reason given"* ]] || wr_fail "registered machine still unknown: $out"
wr_psql "UPDATE machines SET status = 'suspended'" >/dev/null
sleep 0.5
out=$("$WELDTAG" checkin --server "coaps://127.0.0.1:$WR_PORT" --identity "$CHIP" \
    --psk-file "$machine_psk" --ev end --seq 7) || rc=$?
out=$(wr_answer_names "$out")
[[ $out == "locked: machine_suspended"* ]] || wr_fail "suspension not seen: $out"
wr_ok "registry changes seen without a restart: $out"

# 9. The database connection lost while running: 5.03 with Max-Age, then back by itself.
wr_psql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND application_name = 'weldreg-server'" >/dev/null
coap_post "$CHIP" "$machine_psk" "$(heartbeat_hex 9 "$now")"
if grep -q "5.03" "$WR_TMP/err"; then
    wr_ok "database lost: 5.03 while reconnecting"
fi
ok=0
for i in 1 2 3 4 5 6 7 8 9 10; do
    sleep 0.5
    coap_post "$CHIP" "$machine_psk" "$(heartbeat_hex $((10 + i)) "$now")"
    if [[ -s $WR_TMP/out ]] && ! grep -q "5.03" "$WR_TMP/err"; then ok=1; break; fi
done
((ok == 1)) || { tail -20 "$WR_SERVER_LOG"; wr_fail "the server did not recover from a lost connection"; }
grep -q 'event=database_reconnected' "$WR_SERVER_LOG" || wr_fail "reconnection not logged"
wr_ok "database connection restored by itself"

# 9b. JSON (Content-Format 50) with the same keys, answered in JSON when asked (Accept 50).
printf '{"ev": "hb", "seq": 40, "ts": %d, "lat": 34.5, "lon": 113}' "$now" >"$WR_TMP/body.json"
rm -f "$WR_TMP/out"
timeout 20 coap-client-openssl -m post -t 50 -A 50 -f "$WR_TMP/body.json" -u "$CHIP" \
    -k "$(cat "$machine_psk")" -o "$WR_TMP/out" -B 10 "$URI" >"$WR_TMP/err" 2>&1 || true
grep -q '"ok":false' "$WR_TMP/out" 2>/dev/null || { cat "$WR_TMP/err"; wr_fail "JSON check-in: no JSON answer"; }
[[ $(wr_psql "SELECT ev, lat FROM checkins WHERE seq = 40") == "hb|34.5" ]] || wr_fail "JSON check-in not stored"
wr_ok "JSON check-in stored, JSON answer: $(cat "$WR_TMP/out")"
printf '{"ev": "hb", "seq": -1, "ts": 5}' >"$WR_TMP/body.json"
timeout 20 coap-client-openssl -m post -t 50 -f "$WR_TMP/body.json" -u "$CHIP" \
    -k "$(cat "$machine_psk")" -B 10 "$URI" >"$WR_TMP/err" 2>&1 || true
grep -q '4.00.*"seq"' "$WR_TMP/err" || { cat "$WR_TMP/err"; wr_fail "negative seq in JSON accepted"; }
printf '{"ev": "hb", "seq": 1,}' >"$WR_TMP/body.json"
timeout 20 coap-client-openssl -m post -t 50 -f "$WR_TMP/body.json" -u "$CHIP" \
    -k "$(cat "$machine_psk")" -B 10 "$URI" >"$WR_TMP/err" 2>&1 || true
grep -q '4.00.*not valid JSON' "$WR_TMP/err" || { cat "$WR_TMP/err"; wr_fail "bad JSON accepted"; }
timeout 20 coap-client-openssl -m post -t 0 -e 'hello' -u "$CHIP" \
    -k "$(cat "$machine_psk")" -B 10 "$URI" >"$WR_TMP/err" 2>&1 || true
grep -q '4.15' "$WR_TMP/err" || { cat "$WR_TMP/err"; wr_fail "text/plain body: no 4.15"; }
wr_ok "JSON errors: 4.00 naming the key, 4.00 for malformed JSON, 4.15 for text/plain"

# 9c. The answer rides on the ACK; a body sent in 16-byte blocks (Block1) and a NON request are
# answered too.
printf '{"ev": "hb", "seq": 41, "ts": %d, "lat": 34.5, "lon": 113}' "$now" >"$WR_TMP/body.json"
rm -f "$WR_TMP/out"
timeout 20 coap-client-openssl -m post -t 50 -A 50 -b 16 -f "$WR_TMP/body.json" -u "$CHIP" \
    -k "$(cat "$machine_psk")" -o "$WR_TMP/out" -B 10 -v 7 "$URI" >"$WR_TMP/err" 2>&1 || true
grep -q 't:ACK c:2.01' "$WR_TMP/err" || { cat "$WR_TMP/err"; wr_fail "the answer did not ride on the ACK"; }
! grep -q 't:ACK c:0.00' "$WR_TMP/err" || wr_fail "an empty ACK came before the answer"
grep -q '"ok":false' "$WR_TMP/out" 2>/dev/null || { cat "$WR_TMP/err"; wr_fail "check-in in blocks: no answer"; }
[[ $(wr_psql "SELECT ev FROM checkins WHERE seq = 41") == hb ]] || wr_fail "check-in in blocks not stored"
printf '{"ev": "hb", "seq": 42, "ts": %d}' "$now" >"$WR_TMP/body.json"
rm -f "$WR_TMP/out"
timeout 20 coap-client-openssl -m post -N -t 50 -A 50 -f "$WR_TMP/body.json" -u "$CHIP" \
    -k "$(cat "$machine_psk")" -o "$WR_TMP/out" -B 5 "$URI" >"$WR_TMP/err" 2>&1 || true
grep -q '"ok":false' "$WR_TMP/out" 2>/dev/null || { cat "$WR_TMP/err"; wr_fail "NON check-in: no answer"; }
[[ $(wr_psql "SELECT ev FROM checkins WHERE seq = 42") == hb ]] || wr_fail "NON check-in not stored"
wr_ok "answered in the ACK, in blocks (Block1) and as NON: $(cat "$WR_TMP/out")"

# 10. A clean stop on SIGTERM; no key material in the log.
wr_server_stop

# 11. No database at start: a clear message and exit code 3, not a crash.
rc=0
"$WR_SERVER_BIN" serve --config "$WR_TMP/server.conf" \
    --database-url "host=/nonexistent port=1 dbname=x connect_timeout=2" 2>"$WR_TMP/nodb" || rc=$?
((rc == 3)) || { cat "$WR_TMP/nodb"; wr_fail "no database: exit $rc, want 3"; }
grep -q 'could not connect to the database' "$WR_TMP/nodb" || wr_fail "no database: unclear message"
wr_ok "no database at start: exit 3, $(grep -o 'error="[^"]*' "$WR_TMP/nodb" | head -c 80)"
if grep -qF "$(cat "$machine_psk")" "$WR_SERVER_LOG"; then wr_fail "a PSK appears in the log"; fi
wr_ok "clean stop, no key in the log"
echo "test-checkin: all checks passed"
