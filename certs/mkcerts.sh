#!/usr/bin/env bash
# mkcerts.sh — development keys and certificates for weldreg, made with the OpenSSL CLI only.
# Idempotent: what exists is kept (a server certificate about to expire is renewed).
#   certs/mkcerts.sh [OUTDIR]                 make what is missing in OUTDIR (default certs/out)
#   certs/mkcerts.sh device CHIPID [OUTDIR]   a client key and certificate for one chip, signed
#                                             by the dev CA, in OUTDIR/devices/
#   certs/mkcerts.sh revoke CHIPID [OUTDIR]   revoke the chip's current certificate, remake crl.pem
#   certs/mkcerts.sh renew CHIPID [OUTDIR]    a new key and certificate for the chip (same CN)
#   certs/mkcerts.sh crl [OUTDIR]             remake crl.pem (the server's crl_file), 30 days
#   certs/mkcerts.sh rotate-signing [OUTDIR]  a new code-signing key, listed next to the old one
#   certs/mkcerts.sh retire KID [OUTDIR]      drop key KID from trust.list: its codes stop verifying
# See certs/README.md for what each file is and how production keys differ.
set -euo pipefail
umask 077

MK_DEFAULT_OUT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)/out"
MK_CA_DAYS=3650
MK_LEAF_DAYS=730
MK_SIGNING_YEARS=5
MK_CRL_DAYS=30
MK_TMP=""

mk_say() {
    printf '==> %s\n' "$*" >&2
}

mk_die() {
    printf 'mkcerts: %s\n' "$*" >&2
    exit 1
}

mk_cleanup() {
    [[ -z $MK_TMP ]] || rm -rf "$MK_TMP"
}

# mk_publish TMPFILE DEST MODE moves a finished file into place, so that an interrupted run
# never leaves half a key behind.
mk_publish() {
    chmod "$3" "$1"
    mv -f "$1" "$2"
}

# mk_ext_file NAME LINES... writes an OpenSSL extension section [ext] to $MK_TMP/NAME.
mk_ext_file() {
    local name=$1
    shift
    printf '[ext]\n' >"$MK_TMP/$name"
    printf '%s\n' "$@" >>"$MK_TMP/$name"
}

# mk_ec_key FILE writes a new EC P-256 private key (PKCS#8 PEM) to FILE.
mk_ec_key() {
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null
}

# mk_ca OUT makes the development CA: ca.key and a self-signed ca.crt valid 10 years.
mk_ca() {
    local out=$1
    [[ -s $out/ca.key && -s $out/ca.crt ]] && return 0
    [[ ! -e $out/ca.crt ]] || mk_die "$out/ca.crt exists without ca.key; remove it to start over"
    mk_say "making the development CA"
    local key="$MK_TMP/ca.key"
    if [[ -s $out/ca.key ]]; then cp "$out/ca.key" "$key"; else mk_ec_key "$key"; fi
    printf '[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nO = weldreg development\nCN = weldreg development CA\n' \
        >"$MK_TMP/ca.cnf"
    mk_ext_file ca.ext 'basicConstraints = critical, CA:TRUE, pathlen:0' \
        'keyUsage = critical, keyCertSign, cRLSign' 'subjectKeyIdentifier = hash'
    openssl req -new -key "$key" -config "$MK_TMP/ca.cnf" -out "$MK_TMP/ca.csr"
    openssl x509 -req -in "$MK_TMP/ca.csr" -key "$key" -sha256 -days "$MK_CA_DAYS" \
        -set_serial "0x$(openssl rand -hex 16)" -extfile "$MK_TMP/ca.ext" -extensions ext \
        -out "$MK_TMP/ca.crt" 2>/dev/null
    mk_publish "$key" "$out/ca.key" 0600
    mk_publish "$MK_TMP/ca.crt" "$out/ca.crt" 0644
}

# mk_leaf OUT NAME CN EKU SAN writes NAME.key and NAME.crt under OUT: a P-256 key and a
# certificate for CN signed by the CA in $MK_CA_DIR. SAN may be empty.
mk_leaf() {
    local out=$1 name=$2 cn=$3 eku=$4 san=$5
    local key="$MK_TMP/$name.key"
    if [[ -s $out/$name.key ]]; then cp "$out/$name.key" "$key"; else mk_ec_key "$key"; fi
    printf '[req]\ndistinguished_name = dn\nprompt = no\n[dn]\nO = weldreg development\nCN = %s\n' \
        "$cn" >"$MK_TMP/$name.cnf"
    mk_ext_file "$name.ext" 'basicConstraints = critical, CA:FALSE' \
        'keyUsage = critical, digitalSignature' "extendedKeyUsage = $eku" \
        'subjectKeyIdentifier = hash' 'authorityKeyIdentifier = keyid'
    [[ -z $san ]] || printf 'subjectAltName = %s\n' "$san" >>"$MK_TMP/$name.ext"
    openssl req -new -key "$key" -config "$MK_TMP/$name.cnf" -out "$MK_TMP/$name.csr"
    openssl x509 -req -in "$MK_TMP/$name.csr" -CA "$MK_CA_DIR/ca.crt" -CAkey "$MK_CA_DIR/ca.key" \
        -sha256 -days "$MK_LEAF_DAYS" -set_serial "0x$(openssl rand -hex 16)" \
        -extfile "$MK_TMP/$name.ext" -extensions ext -out "$MK_TMP/$name.crt" 2>/dev/null
    mk_publish "$key" "$out/$name.key" 0600
    mk_publish "$MK_TMP/$name.crt" "$out/$name.crt" 0644
}

# mk_leaf_is_current OUT NAME succeeds when NAME.key and NAME.crt exist, the certificate is
# valid for 30 more days and was signed by the current CA.
mk_leaf_is_current() {
    local out=$1 name=$2
    [[ -s $out/$name.key && -s $out/$name.crt ]] || return 1
    openssl x509 -in "$out/$name.crt" -noout -checkend $((30 * 86400)) >/dev/null 2>&1 &&
        openssl verify -CAfile "$MK_CA_DIR/ca.crt" "$out/$name.crt" >/dev/null 2>&1
}

# mk_server OUT makes server.key and server.crt (CN=localhost) for the DTLS server.
mk_server() {
    local out=$1
    mk_leaf_is_current "$out" server && return 0
    mk_say "making the server certificate (CN=localhost)"
    mk_leaf "$out" server localhost serverAuth 'DNS:localhost, IP:127.0.0.1, IP:::1'
}

# mk_signing_key OUT makes the Ed25519 code-signing key signing.key and signing.pub.
mk_signing_key() {
    local out=$1
    if [[ ! -s $out/signing.key ]]; then
        mk_say "making the code-signing key (Ed25519)"
        openssl genpkey -algorithm ed25519 -out "$MK_TMP/signing.key"
        mk_publish "$MK_TMP/signing.key" "$out/signing.key" 0600
        rm -f "$out/signing.pub"
    fi
    if [[ ! -s $out/signing.pub ]]; then
        openssl pkey -in "$out/signing.key" -pubout -out "$MK_TMP/signing.pub"
        mk_publish "$MK_TMP/signing.pub" "$out/signing.pub" 0644
    fi
}

# mk_raw_pub_b64 PUBFILE prints the raw 32-byte Ed25519 public key in base64: the last 32 bytes of
# the DER SubjectPublicKeyInfo.
mk_raw_pub_b64() {
    openssl pkey -pubin -in "$1" -outform DER | tail -c 32 | base64 -w 0
}

# mk_kid PUBFILE prints the key id: the first 8 bytes of SHA-256 of the raw public key, in hex.
mk_kid() {
    openssl pkey -pubin -in "$1" -outform DER | tail -c 32 | openssl dgst -sha256 -binary |
        head -c 8 | od -An -v -tx1 | tr -d ' \n'
}

# mk_trust_list OUT writes trust.list, or adds the signing key to it when it is not listed
# (a new key then overlaps the old ones, as in a rotation).
mk_trust_list() {
    local out=$1 kid now
    kid=$(mk_kid "$out/signing.pub")
    if [[ -s $out/trust.list ]] && grep -q "^$kid " "$out/trust.list"; then
        return 0
    fi
    mk_say "listing signing key $kid in trust.list"
    if [[ -s $out/trust.list ]]; then
        cp "$out/trust.list" "$MK_TMP/trust.list"
    else
        cat >"$MK_TMP/trust.list" <<'HEAD'
# weldreg trust list: keys whose signatures on codes are accepted.
# <kid-hex16> ed25519 <not_before-unix> <not_after-unix> mw <base64 raw 32-byte public key>
# kid = first 8 bytes of SHA-256 of the raw public key. Development keys only.
HEAD
    fi
    now=$(date +%s)
    printf '%s ed25519 %s %s mw %s\n' "$kid" "$now" \
        $((now + MK_SIGNING_YEARS * 365 * 86400)) "$(mk_raw_pub_b64 "$out/signing.pub")" \
        >>"$MK_TMP/trust.list"
    mk_publish "$MK_TMP/trust.list" "$out/trust.list" 0644
}

# mk_kek OUT makes psk-kek.key: 32 random bytes, the key that seals PSKs in the database.
mk_kek() {
    local out=$1
    [[ -s $out/psk-kek.key ]] && return 0
    mk_say "making the PSK key-encryption key"
    openssl rand -out "$MK_TMP/psk-kek.key" 32
    mk_publish "$MK_TMP/psk-kek.key" "$out/psk-kek.key" 0600
}

# mk_pii_key OUT makes pii.key: 32 random bytes, the HMAC key under which ID-card and licence
# numbers are stored (as keyed hashes, never in clear).
mk_pii_key() {
    local out=$1
    [[ -s $out/pii.key ]] && return 0
    mk_say "making the personal-data HMAC key"
    openssl rand -out "$MK_TMP/pii.key" 32
    mk_publish "$MK_TMP/pii.key" "$out/pii.key" 0600
}

# mk_all OUT makes every development key that is missing.
mk_all() {
    local out=$1
    mkdir -p "$out"
    MK_CA_DIR=$out
    mk_ca "$out"
    mk_server "$out"
    mk_signing_key "$out"
    mk_trust_list "$out"
    mk_kek "$out"
    mk_pii_key "$out"
    chmod 0600 "$out"/*.key
}

# mk_device CHIPID OUT makes OUT/devices/CHIPID.key and .crt (CN=CHIPID, client auth).
mk_device() {
    local chip=$1 out=$2
    [[ $chip =~ ^[A-Za-z0-9_.:@-]{1,64}$ ]] ||
        mk_die "invalid chip id \"$chip\": use 1 to 64 letters, digits and \"-_.:@\""
    mk_all "$out"
    mkdir -p "$out/devices"
    if mk_leaf_is_current "$out/devices" "$chip"; then
        mk_say "device certificate for $chip exists"
    else
        mk_say "making the device certificate for $chip"
        mk_leaf "$out/devices" "$chip" "$chip" clientAuth ''
    fi
    printf '%s\n%s\n' "$out/devices/$chip.key" "$out/devices/$chip.crt"
}

# mk_ca_config OUT writes the `openssl ca` configuration of the CA's revocation database
# (OUT/ca-db/index.txt: the revoked certificates; crlnumber: the CRL's sequence number).
mk_ca_config() {
    local out=$1
    mkdir -p "$out/ca-db"
    [[ -e $out/ca-db/index.txt ]] || : >"$out/ca-db/index.txt"
    [[ -s $out/ca-db/crlnumber ]] || printf '01\n' >"$out/ca-db/crlnumber"
    cat >"$MK_TMP/ca-db.cnf" <<CNF
[ca]
default_ca = dev
[dev]
database = $out/ca-db/index.txt
crlnumber = $out/ca-db/crlnumber
certificate = $out/ca.crt
private_key = $out/ca.key
default_md = sha256
default_crl_days = $MK_CRL_DAYS
unique_subject = no
crl_extensions = crl_ext
[crl_ext]
authorityKeyIdentifier = keyid:always
CNF
}

# mk_crl OUT writes OUT/crl.pem: every certificate revoked so far, signed by the CA, valid
# MK_CRL_DAYS days (remake it before then: a server keeps using an outdated CRL).
mk_crl() {
    local out=$1
    mk_all "$out"
    mk_ca_config "$out"
    openssl ca -batch -config "$MK_TMP/ca-db.cnf" -gencrl -out "$MK_TMP/crl.pem" 2>/dev/null ||
        mk_die "openssl ca -gencrl failed"
    mk_publish "$MK_TMP/crl.pem" "$out/crl.pem" 0644
    mk_say "crl.pem lists $(grep -c '^R' "$out/ca-db/index.txt") revoked certificate(s)"
}

# mk_device_cert CHIPID OUT prints the path of the chip's current certificate, or dies.
mk_device_cert() {
    [[ -s $2/devices/$1.crt ]] || mk_die "no certificate for \"$1\" in $2/devices"
    printf '%s\n' "$2/devices/$1.crt"
}

# mk_revoke CHIPID OUT revokes the chip's current certificate (keyCompromise when the key may be
# known to others is the production habit; here: cessationOfOperation) and remakes crl.pem.
mk_revoke() {
    local chip=$1 out=$2 cert serial
    cert=$(mk_device_cert "$chip" "$out")
    mk_all "$out"
    mk_ca_config "$out"
    serial=$(openssl x509 -in "$cert" -noout -serial | cut -d= -f2)
    if grep -q "	$serial	" "$out/ca-db/index.txt"; then
        mk_say "certificate $serial of $chip was revoked already"
    else
        openssl ca -batch -config "$MK_TMP/ca-db.cnf" -revoke "$cert" \
            -crl_reason cessationOfOperation 2>/dev/null || mk_die "openssl ca -revoke failed"
        mk_say "revoked certificate $serial of $chip"
    fi
    mk_crl "$out"
}

# mk_renew CHIPID OUT makes a new key and certificate for the chip (new serial, same CN); the old
# ones are kept as CHIPID.SERIAL.key/.crt (revoke the old one if its key may be lost).
mk_renew() {
    local chip=$1 out=$2 cert serial
    cert=$(mk_device_cert "$chip" "$out")
    mk_all "$out"
    serial=$(openssl x509 -in "$cert" -noout -serial | cut -d= -f2)
    mv -f "$cert" "$out/devices/$chip.$serial.crt"
    mv -f "$out/devices/$chip.key" "$out/devices/$chip.$serial.key"
    mk_say "renewing the certificate of $chip (the old one is now $chip.$serial.crt)"
    MK_CA_DIR=$out
    mk_leaf "$out/devices" "$chip" "$chip" clientAuth ''
    printf '%s\n%s\n' "$out/devices/$chip.key" "$out/devices/$chip.crt"
}

# mk_rotate_signing OUT replaces signing.key by a new key, closes the old key's window in
# trust.list at this second (codes it signed before stay valid; any it signs later do not) and
# lists the new key. The old key is kept as signing.KID.key until it is retired.
mk_rotate_signing() {
    local out=$1 old now
    mk_all "$out"
    old=$(mk_kid "$out/signing.pub")
    now=$(date +%s)
    mv -f "$out/signing.key" "$out/signing.$old.key"
    mv -f "$out/signing.pub" "$out/signing.$old.pub"
    awk -v kid="$old" -v now="$now" '$1 == kid && $4 > now { $4 = now } { print }' \
        "$out/trust.list" >"$MK_TMP/trust.list"
    mk_publish "$MK_TMP/trust.list" "$out/trust.list" 0644
    mk_signing_key "$out"
    mk_trust_list "$out"
    mk_say "old key $old signs no more codes; its codes verify until it is retired"
    mk_say "re-issue campaign: weldtag admin code list kid=$old status=active"
    printf 'old %s\nnew %s\n' "$old" "$(mk_kid "$out/signing.pub")"
}

# mk_retire KID OUT removes key KID from trust.list (not the current signing key).
mk_retire() {
    local kid=$1 out=$2
    [[ $kid =~ ^[0-9a-f]{16}$ ]] || mk_die "a key id is 16 lower-case hex digits, not \"$kid\""
    grep -q "^$kid " "$out/trust.list" || mk_die "key $kid is not in $out/trust.list"
    [[ $kid != "$(mk_kid "$out/signing.pub")" ]] || mk_die "key $kid is the current signing key"
    grep -v "^$kid " "$out/trust.list" >"$MK_TMP/trust.list"
    mk_publish "$MK_TMP/trust.list" "$out/trust.list" 0644
    rm -f "$out/signing.$kid.key"
    mk_say "retired key $kid: the codes it signed no longer verify"
}

mk_main() {
    command -v openssl >/dev/null 2>&1 || mk_die "openssl not found (apt-get install openssl)"
    MK_TMP=$(mktemp -d "${TMPDIR:-/tmp}/mkcerts.XXXXXX")
    trap mk_cleanup EXIT
    case "${1:-}" in
    device)
        [[ $# -ge 2 && $# -le 3 ]] || mk_die "usage: mkcerts.sh device CHIPID [OUTDIR]"
        mk_device "$2" "${3:-$MK_DEFAULT_OUT}"
        ;;
    revoke | renew)
        [[ $# -ge 2 && $# -le 3 ]] || mk_die "usage: mkcerts.sh $1 CHIPID [OUTDIR]"
        "mk_$1" "$2" "${3:-$MK_DEFAULT_OUT}"
        ;;
    rotate-signing)
        [[ $# -le 2 ]] || mk_die "usage: mkcerts.sh rotate-signing [OUTDIR]"
        mk_rotate_signing "${2:-$MK_DEFAULT_OUT}"
        ;;
    retire)
        [[ $# -ge 2 && $# -le 3 ]] || mk_die "usage: mkcerts.sh retire KID [OUTDIR]"
        mk_retire "$2" "${3:-$MK_DEFAULT_OUT}"
        ;;
    crl)
        [[ $# -le 2 ]] || mk_die "usage: mkcerts.sh crl [OUTDIR]"
        mk_crl "${2:-$MK_DEFAULT_OUT}"
        ;;
    -h | --help | help)
        sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
        ;;
    *)
        [[ $# -le 1 ]] || mk_die "usage: mkcerts.sh [OUTDIR] | device CHIPID [OUTDIR]"
        mk_all "${1:-$MK_DEFAULT_OUT}"
        ;;
    esac
}

mk_main "$@"
