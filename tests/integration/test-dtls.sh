#!/usr/bin/env bash
# test-dtls.sh — DTLS handshakes at the DEFAULT log level with the development configuration
# (certificates and PSK together), as `./dev run` configures the server: PSK sessions from
# weldtag and from coap-client-openssl, certificate sessions, one after another and many times
# (libcoap sets up the certificates inside every handshake: an OpenSSL error left in the queue
# failed each one, dtls_creds.h); and certificate files that cannot work refused at start-up
# with a message instead of failing every handshake later.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

WELDTAG="$WELDREG_BUILD_DIR/tag-reader/weldtag"
CHIP=WR-T-DTLS

wr_db_create dtls
grep -q '^log_level' "$WR_TMP/weldreg.conf" && wr_fail "the test configuration sets a log level"
machine_psk=$(wr_provision machine "$CHIP")
"$WELDREG_SOURCE_DIR/certs/mkcerts.sh" device WR-T-DCERT "$WR_CERTS_DIR" >/dev/null
"$WR_SERVER_BIN" provision --role machine --identity WR-T-DCERT --cert \
    --config "$WR_TMP/weldreg.conf" >/dev/null || wr_fail "provision --cert failed"
wr_server_start
BASE="coaps://127.0.0.1:$WR_PORT"

# weldtag_hb SEQ: a heartbeat from weldtag over PSK; it must be answered (exit 0 or 1).
weldtag_hb() {
    local rc=0
    timeout 20 "$WELDTAG" checkin --server "$BASE" --identity "$CHIP" --psk-file "$machine_psk" \
        --ev hb --seq "$1" --timeout 8 >"$WR_TMP/tag.out" 2>&1 || rc=$?
    ((rc <= 1)) || { cat "$WR_TMP/tag.out"; wr_fail "weldtag got no answer (exit $rc, seq $1)"; }
}

# coap_psk_get / coap_cert_get: /.well-known/core over a PSK or a certificate session; the
# answer must list the check-in resource (coap-client exits 0 even when the handshake fails).
coap_psk_get() {
    timeout 20 coap-client-openssl -m get -B 10 -u "$CHIP" -k "$(cat "$machine_psk")" \
        "$BASE/.well-known/core" >"$WR_TMP/wk" 2>&1 || true
    grep -q '</v1/checkins>' "$WR_TMP/wk" || { cat "$WR_TMP/wk"; wr_fail "PSK session: $1"; }
}
coap_cert_get() {
    timeout 20 coap-client-openssl -m get -B 10 -c "$WR_CERTS_DIR/devices/WR-T-DCERT.crt" \
        -j "$WR_CERTS_DIR/devices/WR-T-DCERT.key" -C "$WR_CERTS_DIR/ca.crt" \
        "$BASE/.well-known/core" >"$WR_TMP/wk" 2>&1 || true
    grep -q '</v1/checkins>' "$WR_TMP/wk" || { cat "$WR_TMP/wk"; wr_fail "certificate session: $1"; }
}

# 1. Every kind of session, in turn, ten rounds, each after a handshake that fails (an unknown
# identity: its errors must not fail the next one): each good handshake completes.
for round in $(seq 1 10); do
    timeout 20 coap-client-openssl -m get -B 3 -u WR-T-NOBODY -k "$(cat "$machine_psk")" \
        "$BASE/.well-known/core" >"$WR_TMP/wk" 2>&1 || true
    ! grep -q '</v1/checkins>' "$WR_TMP/wk" || wr_fail "an unknown identity got an answer"
    weldtag_hb "$round"
    coap_psk_get "round $round"
    coap_cert_get "round $round"
done
[[ $(wr_psql "SELECT count(*) FROM checkins WHERE chip_id = '$CHIP'") == 10 ]] ||
    wr_fail "not every weldtag heartbeat was stored"
wr_ok "30 handshakes at the default log level (weldtag PSK, coap-client PSK, certificate), each after a refused one"
wr_server_stop

# 2. Certificate files that cannot work stop the start with a message naming the file.
# start_refused LINE... PATTERN: the server, given LINE(s) on top of the test configuration,
# exits with status 2 before it is ready and prints PATTERN.
start_refused() {
    local pattern=${*: -1} conf="$WR_TMP/bad.conf" rc=0
    cp "$WR_TMP/weldreg.conf" "$conf"
    printf 'listen = 127.0.0.1:%s\n' "$(wr_free_udp_port)" >>"$conf"
    printf '%s\n' "${@:1:$#-1}" >>"$conf"
    timeout 20 "$WR_SERVER_BIN" serve --config "$conf" >"$WR_TMP/bad.log" 2>&1 || rc=$?
    ((rc == 2)) || { cat "$WR_TMP/bad.log"; wr_fail "bad certificate set-up: exit $rc, want 2"; }
    grep -q -- "$pattern" "$WR_TMP/bad.log" || { cat "$WR_TMP/bad.log"; wr_fail "no \"$pattern\""; }
    ! grep -q 'event=ready' "$WR_TMP/bad.log" || wr_fail "the server got ready with $pattern"
}
printf 'not a certificate\n' >"$WR_TMP/garbage.pem"
start_refused "cert_file = $WR_TMP/garbage.pem" 'could not read the certificate in cert_file'
start_refused "key_file = $WR_CERTS_DIR/ca.key" 'is not the key of cert_file'
start_refused "ca_file = $WR_TMP/garbage.pem" 'no certificate in ca_file'
wr_ok "a broken certificate, a key of another certificate and an empty CA file are refused"
