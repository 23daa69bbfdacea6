#!/usr/bin/env bash
# test-rotate-cert.sh — device certificates revoked and renewed over real DTLS: a certificate put
# on the CRL (certs/mkcerts.sh revoke) is refused by the running server without a restart, another
# device's certificate keeps working, the renewed certificate of the same CN is accepted, and a
# CRL not signed by the CA stops the start.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# a CA of the test's own: revoking must not touch the shared development certificates
wr_own_keys
CERTS=$WR_CERTS_DIR
MKCERTS="$WELDREG_SOURCE_DIR/certs/mkcerts.sh"
for chip in WR-T-REVOKED WR-T-KEPT; do
    "$MKCERTS" device "$chip" "$CERTS" >/dev/null 2>&1
done
"$MKCERTS" crl "$CERTS" 2>/dev/null
wr_db_create rotcert
for chip in WR-T-REVOKED WR-T-KEPT; do
    "$WR_SERVER_BIN" provision --role machine --identity "$chip" --cert \
        --config "$WR_TMP/weldreg.conf" >/dev/null || wr_fail "provision --cert $chip failed"
done
printf 'crl_file = %s\n' "$CERTS/crl.pem" >>"$WR_TMP/weldreg.conf"
wr_server_start
grep -q 'event=crl_loaded.*revoked=0' "$WR_SERVER_LOG" || wr_fail "the empty CRL was not loaded"

# cert_get CHIP [FILE-STEM]: /.well-known/core over a certificate session of CHIP; succeeds when
# the server answered (coap-client exits 0 even when the handshake fails).
cert_get() {
    local stem=${2:-$CERTS/devices/$1}
    timeout 20 coap-client-openssl -m get -B 6 -c "$stem.crt" -j "$stem.key" -C "$CERTS/ca.crt" \
        "coaps://127.0.0.1:$WR_PORT/.well-known/core" >"$WR_TMP/wk" 2>&1 || true
    grep -q '</v1/checkins>' "$WR_TMP/wk"
}

cert_get WR-T-REVOKED || wr_fail "a valid certificate was refused"
cert_get WR-T-KEPT || wr_fail "a valid certificate was refused"
wr_ok "both device certificates complete a handshake before the revocation"

# 1. revoked while the server runs: the next handshake with it fails, the other device's works
old_serial=$(openssl x509 -in "$CERTS/devices/WR-T-REVOKED.crt" -noout -serial | cut -d= -f2)
"$MKCERTS" revoke WR-T-REVOKED "$CERTS" 2>&1 | sed 's/^/    /'
! cert_get WR-T-REVOKED || wr_fail "the revoked certificate still completes a handshake"
grep -q 'event=crl_loaded.*revoked=1' "$WR_SERVER_LOG" || wr_fail "the new CRL was not read"
grep -q 'handshake_refused.*reason="revoked certificate" cn=WR-T-REVOKED' "$WR_SERVER_LOG" ||
    wr_fail "the refusal is not logged"
cert_get WR-T-KEPT || wr_fail "a certificate that is not revoked was refused"
wr_ok "revoked certificate $old_serial refused without a restart; the other device still connects"

# 2. renewed: a new key and certificate for the same CN is accepted, the old one stays refused
"$MKCERTS" renew WR-T-REVOKED "$CERTS" >/dev/null 2>&1
cert_get WR-T-REVOKED || wr_fail "the renewed certificate was refused"
! cert_get WR-T-REVOKED "$CERTS/devices/WR-T-REVOKED.$old_serial" ||
    wr_fail "the revoked certificate completes a handshake after the renewal"
wr_ok "the renewed certificate of WR-T-REVOKED connects, the revoked one still does not"

# 3. a CRL that does not check (not a CRL, or signed by another CA) changes nothing while running
# and stops a start
cp "$CERTS/crl.pem" "$WR_TMP/good-crl.pem"
printf 'garbage\n' >"$CERTS/crl.pem"
cert_get WR-T-KEPT || wr_fail "a broken CRL file broke the handshakes"
! cert_get WR-T-REVOKED "$CERTS/devices/WR-T-REVOKED.$old_serial" ||
    wr_fail "a broken CRL file dropped the revocations"
grep -q 'event=crl_not_reloaded' "$WR_SERVER_LOG" || wr_fail "the broken CRL was not reported"
wr_server_stop
"$MKCERTS" "$WR_TMP/other" 2>/dev/null
"$MKCERTS" crl "$WR_TMP/other" 2>/dev/null
sed -i "s#^crl_file = .*#crl_file = $WR_TMP/other/crl.pem#" "$WR_TMP/weldreg.conf"
printf 'listen = 127.0.0.1:%s\n' "$(wr_free_udp_port)" >>"$WR_TMP/weldreg.conf"
rc=0
timeout 20 "$WR_SERVER_BIN" serve --config "$WR_TMP/weldreg.conf" >"$WR_TMP/bad.log" 2>&1 || rc=$?
((rc == 2)) || { cat "$WR_TMP/bad.log"; wr_fail "a CRL of another CA: exit $rc, want 2"; }
grep -q 'is not signed by a CA of ca_file' "$WR_TMP/bad.log" || wr_fail "no message for the CRL"
wr_ok "a broken CRL keeps the last good one while running; a CRL of another CA stops the start"
