# lib.sh — what the benchmark scripts with a database of their own share (bench/api-offloop.sh,
# bench/web-load.sh): the programs they need built, a fresh database on the server of
# DATABASE_URL (default: the private cluster), the development keys, a work directory, and a
# clean-up at exit that stops what they started and drops the database (unless KEEP=1).
# The caller sets ROOT, BUILD and KEEP first.
# shellcheck shell=bash

BENCH_PIDS=() # processes the clean-up stops

bench_say() { printf '==> %s\n' "$*" >&2; }

# bench_url_with_db URL DB: URL (key=value or postgres://) with its database replaced by DB.
bench_url_with_db() {
    if [[ $1 =~ ^postgres(ql)?:// ]]; then
        printf '%s\n' "$1" | sed -E "s#^(postgres(ql)?://[^/?]*)(/[^?]*)?#\\1/$2#"
    else
        printf '%s dbname=%s\n' "$1" "$2"
    fi
}

bench_setup_cleanup() {
    set +e
    local pid
    for pid in "${BENCH_PIDS[@]}"; do
        kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    done
    if ((KEEP)); then
        printf 'kept database %s and %s\n' "$DB" "$TMP" >&2
    else
        psql -XAtq -d "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1
        rm -rf "$TMP"
    fi
}

# bench_setup DB PROGRAM...: exits 2 unless every PROGRAM (a path under BUILD) is built; makes
# the keys (CERTS), the work directory (TMP), database DB afresh (URL; ADMIN_URL is the
# server's maintenance database) with the schema, and $TMP/weldreg.conf naming both with the
# keys; a caller adds its listeners to the file.
bench_setup() {
    DB=$1
    shift
    local bin
    for bin in server/weldreg-server "$@"; do
        [[ -x $BUILD/$bin ]] || {
            printf '%s: %s/%s is not built (cmake --build %s)\n' "$(basename "$0")" "$BUILD" \
                "$bin" "$BUILD" >&2
            exit 2
        }
    done
    [[ -n ${DATABASE_URL:-} ]] || DATABASE_URL=$("$ROOT/dev" db)
    CERTS=$ROOT/certs/out
    "$ROOT/certs/mkcerts.sh" "$CERTS" >/dev/null 2>&1
    TMP=$(mktemp -d "${TMPDIR:-/tmp}/weldreg-$DB.XXXXXX")
    ADMIN_URL=$(bench_url_with_db "$DATABASE_URL" postgres)
    URL=$(bench_url_with_db "$DATABASE_URL" "$DB")
    trap bench_setup_cleanup EXIT
    PGOPTIONS='-c client_min_messages=warning' psql -XAtq -v ON_ERROR_STOP=1 -d "$ADMIN_URL" \
        -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB" >/dev/null
    cat >"$TMP/weldreg.conf" <<CONF
database_url = $URL
psk_kek_file = $CERTS/psk-kek.key
trust_list_file = $CERTS/trust.list
signing_key_file = $CERTS/signing.key
CONF
    env -u DATABASE_URL "$BUILD/server/weldreg-server" migrate --config "$TMP/weldreg.conf" \
        >"$TMP/migrate.log" 2>&1 || { cat "$TMP/migrate.log" >&2 && exit 1; }
}

# bench_sql ARGS...: psql on the benchmark's database.
bench_sql() { psql -XAtq -v ON_ERROR_STOP=1 -d "$URL" "$@"; }

# bench_wait_ready PID LOG PATTERN: waits (at most 30 s) for PATTERN in LOG; exits if PID ends.
bench_wait_ready() {
    local i
    for ((i = 0; i < 300; i++)); do
        grep -q "$3" "$2" && return 0
        kill -0 "$1" 2>/dev/null || { tail "$2" >&2 && exit 1; }
        sleep 0.1
    done
    tail "$2" >&2
    exit 1
}
