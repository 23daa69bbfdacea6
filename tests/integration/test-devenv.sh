#!/usr/bin/env bash
# test-devenv.sh — the development environment works: the database server is reachable and
# durable, the development keys exist and are private, the trust list has the documented
# format, and a fresh database can be created and migrated.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# --- the database server ---
[[ $(wr_psql "SELECT 1") == 1 ]] || wr_fail "cannot query $DATABASE_URL"
wr_ok "the database server answers"
version=$(wr_psql "SELECT current_setting('server_version_num')::int / 10000")
((version >= 15)) || wr_fail "PostgreSQL $version is too old: 15 or newer is needed"
wr_ok "PostgreSQL $version"
for setting in fsync synchronous_commit; do
    value=$(wr_psql "SHOW $setting")
    [[ $value == on ]] || wr_fail "$setting is \"$value\": durability needs it on"
done
wr_ok "fsync and synchronous_commit are on"

# --- the development keys ---
for file in ca.key server.key signing.key psk-kek.key; do
    path="$WR_CERTS_DIR/$file"
    [[ -s $path ]] || wr_fail "$path is missing (run certs/mkcerts.sh)"
    mode=$(stat -c %a "$path")
    [[ $mode == 600 ]] || wr_fail "$path has mode $mode, want 600"
done
wr_ok "private keys exist with mode 0600"
for file in ca.crt server.crt signing.pub trust.list; do
    [[ -s $WR_CERTS_DIR/$file ]] || wr_fail "$WR_CERTS_DIR/$file is missing"
done
[[ $(stat -c %s "$WR_CERTS_DIR/psk-kek.key") == 32 ]] || wr_fail "psk-kek.key is not 32 bytes"
openssl verify -CAfile "$WR_CERTS_DIR/ca.crt" "$WR_CERTS_DIR/server.crt" >/dev/null ||
    wr_fail "server.crt is not signed by ca.crt"
openssl x509 -in "$WR_CERTS_DIR/server.crt" -noout -ext subjectAltName |
    grep -q 'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1' ||
    wr_fail "server.crt does not name localhost, 127.0.0.1 and ::1"
server_pub=$(openssl x509 -in "$WR_CERTS_DIR/server.crt" -noout -pubkey)
[[ $server_pub == "$(openssl pkey -in "$WR_CERTS_DIR/server.key" -pubout)" ]] ||
    wr_fail "server.key does not match server.crt"
wr_ok "server certificate is signed by the CA, names localhost and matches its key"

# --- the trust list: <kid-hex16> ed25519 <not_before> <not_after> mw <base64 of 32 bytes> ---
awk_errors=$(awk '
    /^[ \t]*(#|$)/ { next }
    {
        n++
        if (NF != 6) { print NR ": expected 6 fields, found " NF; next }
        if ($1 !~ /^[0-9a-f]+$/ || length($1) != 16) print NR ": kid is not 16 hex digits"
        if ($2 != "ed25519") print NR ": algorithm is not ed25519"
        if ($3 !~ /^[0-9]+$/ || $4 !~ /^[0-9]+$/) print NR ": validity is not unix times"
        else if ($4 + 0 <= $3 + 0) print NR ": not_after is not after not_before"
        if ($5 != "mw") print NR ": usage is not mw"
        if ($6 !~ /^[A-Za-z0-9+\/]+=*$/ || length($6) != 44) print NR ": key is not base64 of 32 bytes"
    }
    END { if (n == 0) print "no key listed" }' "$WR_CERTS_DIR/trust.list")
[[ -z $awk_errors ]] || wr_fail "trust.list: $awk_errors"
raw_key=$(openssl pkey -pubin -in "$WR_CERTS_DIR/signing.pub" -outform DER | tail -c 32 | base64 -w 0)
kid=$(printf '%s' "$raw_key" | base64 -d | openssl dgst -sha256 -binary | head -c 8 |
    od -An -v -tx1 | tr -d ' \n')
# compared field by field: a base64 key may hold "+" and "/", which a regex would misread
awk -v kid="$kid" -v key="$raw_key" '$1 == kid && $2 == "ed25519" && $5 == "mw" && $6 == key \
    { found = 1 } END { exit !found }' "$WR_CERTS_DIR/trust.list" ||
    wr_fail "trust.list does not list signing.pub as kid $kid"
wr_ok "trust.list parses and lists the signing key as $kid"

# --- a fresh database, migrated ---
wr_db_create devenv
[[ $(wr_psql "SELECT current_database()") == weldreg_test_devenv ]] ||
    wr_fail "DATABASE_URL does not point at the test database"
versions=$(wr_psql "SELECT string_agg(version::text, ',' ORDER BY version) FROM schema_migrations")
[[ $versions == 1* ]] || wr_fail "schema_migrations lists \"$versions\", want version 1 first"
[[ $(wr_psql "SELECT to_regclass('checkins') IS NOT NULL") == t ]] ||
    wr_fail "migrate did not create the tables"
migrations=("$WELDREG_SOURCE_DIR"/schema/[0-9][0-9][0-9]_*.sql)
[[ $(wr_psql "SELECT count(*) FROM schema_migrations") == "${#migrations[@]}" ]] ||
    wr_fail "schema_migrations does not list every migration"
"$WR_SERVER_BIN" migrate --config "$WR_TMP/weldreg.conf" >/dev/null 2>&1 ||
    wr_fail "a second migrate failed"
wr_ok "wr_db_create and migrate work, and migrate is idempotent"
echo "test-devenv: all checks passed"
