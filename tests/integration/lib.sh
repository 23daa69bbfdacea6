# lib.sh — helpers for the integration tests: a database of their own, a server on a free UDP
# port, provisioning, and a clean-up that always runs. A test starts with
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# ctest sets WELDREG_BUILD_DIR and WELDREG_SOURCE_DIR; DATABASE_URL names the server to use
# (./dev test points it at the private cluster). Set WR_KEEP=1 to keep the database and the
# temporary directory of a failed test for a look.
# shellcheck shell=bash
set -euo pipefail

: "${WELDREG_SOURCE_DIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)}"
: "${WELDREG_BUILD_DIR:=$WELDREG_SOURCE_DIR/build}"
export WELDREG_SOURCE_DIR WELDREG_BUILD_DIR
# shellcheck source=scripts/common.sh
source "$WELDREG_SOURCE_DIR/scripts/common.sh"
WR_CERTS_DIR=${WR_CERTS_DIR:-$WELDREG_SOURCE_DIR/certs/out}
WR_SERVER_BIN="$WELDREG_BUILD_DIR/server/weldreg-server"
WR_WEB_BIN="$WELDREG_BUILD_DIR/web/weldreg-web"
WR_WEB_PID=""
WR_WEB_URL=""
WR_WEB_LOG=""
WR_DB_NAME=""
WR_SERVER_PID=""
WR_SERVER_LOG=""
WR_PORT=""

# wr_fail MSG prints MSG and ends the test with exit status 1 (the trap then cleans up).
wr_fail() {
    printf 'FAIL: %s\n' "$*" >&2
    exit 1
}

# wr_ok MSG reports a passed check.
wr_ok() {
    printf 'ok - %s\n' "$*"
}

# wr_url_with_db URL DB prints URL with its database replaced by DB; URL is a libpq
# key=value string (a later dbname= wins) or a postgres:// URI.
wr_url_with_db() {
    local url=$1 db=$2
    if [[ $url =~ ^postgres(ql)?:// ]]; then
        printf '%s\n' "$url" | sed -E "s#^(postgres(ql)?://[^/?]*)(/[^?]*)?#\\1/$db#"
    else
        printf '%s dbname=%s\n' "$url" "$db"
    fi
}

[[ -n ${DATABASE_URL:-} ]] || wr_fail "DATABASE_URL is not set (run the tests through ./dev test)"
# The server the tests create their databases on, reached through its maintenance database.
WR_BASE_URL=$DATABASE_URL
WR_ADMIN_URL=$(wr_url_with_db "$WR_BASE_URL" postgres)
WR_TMP=$(mktemp -d "${TMPDIR:-/tmp}/weldreg-test.XXXXXX")

# wr_psql SQL runs SQL on $DATABASE_URL and prints the result unaligned, tuples only.
wr_psql() {
    psql -XAtq -v ON_ERROR_STOP=1 -d "$DATABASE_URL" -c "$1"
}

# wr_psql_admin SQL runs SQL on the maintenance database (to create and drop databases).
wr_psql_admin() {
    PGOPTIONS='-c client_min_messages=warning' psql -XAtq -v ON_ERROR_STOP=1 -d "$WR_ADMIN_URL" -c "$1"
}

# wr_write_config FILE writes a server config for $DATABASE_URL with the keys in WR_CERTS_DIR:
# the development configuration (certificates and PSK together) at the DEFAULT log level, as
# users run it. A test that needs libcoap's debug lines sets WR_LOG_LEVEL=debug, and the same
# path must also be covered at the default.
wr_write_config() {
    cat >"$1" <<CONF
# written by tests/integration/lib.sh
database_url = $DATABASE_URL
$(dev_conf_keys "$WR_CERTS_DIR")
CONF
    [[ -z ${WR_LOG_LEVEL:-} ]] || printf 'log_level = %s\n' "$WR_LOG_LEVEL" >>"$1"
}

# wr_own_keys makes development keys of the test's own in $WR_TMP/certs and points WR_CERTS_DIR
# at them: a test that rotates, revokes or re-keys must not touch the shared ones. Call it before
# wr_db_create.
wr_own_keys() {
    "$WELDREG_SOURCE_DIR/certs/mkcerts.sh" "$WR_TMP/certs" 2>/dev/null
    WR_CERTS_DIR=$WR_TMP/certs
}

# wr_db_create_empty NAME (re)creates database weldreg_test_NAME without any schema and points
# DATABASE_URL at it. The trap drops it at exit.
wr_db_create_empty() {
    [[ ${1:-} =~ ^[a-z0-9_]{1,40}$ ]] || wr_fail "wr_db_create: bad name \"${1:-}\""
    local db="weldreg_test_$1"
    wr_psql_admin "DROP DATABASE IF EXISTS $db WITH (FORCE)"
    wr_psql_admin "CREATE DATABASE $db"
    WR_DB_NAME=$db
    DATABASE_URL=$(wr_url_with_db "$WR_BASE_URL" "$db")
    export DATABASE_URL
    wr_write_config "$WR_TMP/weldreg.conf"
}

# wr_db_create_at NAME VERSION makes database weldreg_test_NAME at schema VERSION: only the
# migrations up to it applied, the shape of an older installation (to test an upgrade).
wr_db_create_at() {
    local f n
    wr_db_create_empty "$1"
    mkdir "$WR_TMP/schema$2"
    for f in "$WELDREG_SOURCE_DIR"/schema/*.sql; do
        n=$(basename "$f")
        if ((10#${n:0:3} <= $2)); then cp "$f" "$WR_TMP/schema$2/"; fi
    done
    wr_run 0 "$WR_SERVER_BIN" migrate --config "$WR_TMP/weldreg.conf" --set "schema_dir=$WR_TMP/schema$2"
    [[ $(wr_psql "SELECT max(version) FROM schema_migrations") == "$2" ]] || wr_fail "not at schema $2"
}

# wr_maintain_killed PATTERN [MAINTAIN ARGS...] runs `weldreg-server maintain` through a zstd
# that, when it writes a file whose path matches the shell PATTERN, tells its pid and waits 3 s
# before it starts: kills maintain then (SIGKILL, a crash while it writes that archive) and
# waits for the orphaned zstd to end. maintain's output in $WR_TMP/killed.log.
wr_maintain_killed() {
    local pattern=$1 pid i zstd_pid
    shift
    mkdir -p "$WR_TMP/slowbin"
    rm -f "$WR_TMP/zstd.pid"
    printf '#!/bin/sh\ncase $(readlink /proc/$$/fd/1) in\n%s) echo $$ >"%s"; sleep 3 ;;\nesac\nexec "%s" "$@"\n' \
        "$pattern" "$WR_TMP/zstd.pid" "$(command -v zstd)" >"$WR_TMP/slowbin/zstd"
    chmod +x "$WR_TMP/slowbin/zstd"
    PATH="$WR_TMP/slowbin:$PATH" "$WR_SERVER_BIN" maintain "$@" >"$WR_TMP/killed.log" 2>&1 &
    pid=$!
    for ((i = 0; i < 200; i++)); do [[ -s $WR_TMP/zstd.pid ]] && break; sleep 0.05; done
    [[ -s $WR_TMP/zstd.pid ]] || { cat "$WR_TMP/killed.log"; wr_fail "maintain never wrote $pattern"; }
    kill -KILL "$pid"
    wait "$pid" 2>/dev/null || true
    zstd_pid=$(cat "$WR_TMP/zstd.pid")
    # running: its state in /proc is neither gone nor Z (an orphan waits there for its new parent)
    for ((i = 0; i < 100; i++)); do
        [[ $(awk '{ print $3 }' "/proc/$zstd_pid/stat" 2>/dev/null) =~ ^[^Z]$ ]] || return 0
        sleep 0.1
    done
    wr_fail "the orphaned zstd did not end"
}

# wr_db_create NAME makes a fresh database weldreg_test_NAME, exports DATABASE_URL for it and
# runs `weldreg-server migrate` on it.
wr_db_create() {
    wr_db_create_empty "$1"
    [[ -x $WR_SERVER_BIN ]] || wr_fail "$WR_SERVER_BIN is not built"
    if ! "$WR_SERVER_BIN" migrate --config "$WR_TMP/weldreg.conf" \
        --database-url "$DATABASE_URL" >"$WR_TMP/migrate.log" 2>&1; then
        cat "$WR_TMP/migrate.log" >&2
        wr_fail "weldreg-server migrate failed on $WR_DB_NAME"
    fi
}

# wr_free_port udp|tcp prints a port of that protocol on 127.0.0.1 that nothing listens on.
wr_free_port() {
    local port i flag=-Hluan
    [[ $1 == tcp ]] && flag=-Hltn
    for ((i = 0; i < 200; i++)); do
        port=$((20000 + RANDOM % 40000))
        if [[ -z $(ss "$flag" "sport = :$port" 2>/dev/null) ]]; then
            printf '%s\n' "$port"
            return 0
        fi
    done
    wr_fail "no free $1 port found"
}

# wr_free_udp_port prints a free UDP port (the CoAP server's).
wr_free_udp_port() { wr_free_port udp; }

# wr_server_start [PORT] starts the server on PORT (default: a free port) of 127.0.0.1 with the
# test's database and waits up to 20 s (WR_SERVER_WAIT_S) for event=ready. Exports WR_PORT,
# WR_SERVER_PID and WR_SERVER_LOG. Lines in $WR_TMP/server.extra are added to its configuration.
wr_server_start() {
    [[ -n $WR_DB_NAME ]] || wr_fail "wr_server_start: call wr_db_create first"
    [[ -z $WR_SERVER_PID ]] || wr_fail "wr_server_start: the server is already running"
    WR_PORT=${1:-$(wr_free_udp_port)}
    WR_SERVER_LOG="$WR_TMP/server-$WR_PORT.log"
    cp "$WR_TMP/weldreg.conf" "$WR_TMP/server.conf"
    printf 'listen = 127.0.0.1:%s\n' "$WR_PORT" >>"$WR_TMP/server.conf"
    # WR_SERVER_DEFAULTS: lines of a suite's own defaults (tests/faults/lib.sh), before the run's
    [[ -z ${WR_SERVER_DEFAULTS:-} ]] || printf '%s\n' "$WR_SERVER_DEFAULTS" >>"$WR_TMP/server.conf"
    [[ ! -f $WR_TMP/server.extra ]] || cat "$WR_TMP/server.extra" >>"$WR_TMP/server.conf"
    # WR_SERVER_WRAPPER: words to run the server under (scripts/valgrind.sh puts valgrind here)
    local wrapper=()
    read -ra wrapper <<<"${WR_SERVER_WRAPPER:-}"
    # emptied here, not by the child's redirection: a restart on the same port must not find the
    # last server's event=ready before the child has started
    : >"$WR_SERVER_LOG"
    "${wrapper[@]}" "$WR_SERVER_BIN" serve --config "$WR_TMP/server.conf" 2>"$WR_SERVER_LOG" >&2 &
    WR_SERVER_PID=$!
    export WR_PORT WR_SERVER_PID WR_SERVER_LOG
    local i
    for ((i = 0; i < ${WR_SERVER_WAIT_S:-20} * 10; i++)); do
        grep -q 'event=ready' "$WR_SERVER_LOG" && return 0
        if ! kill -0 "$WR_SERVER_PID" 2>/dev/null; then
            local rc=0
            wait "$WR_SERVER_PID" || rc=$?
            WR_SERVER_PID=""
            tail -n 40 "$WR_SERVER_LOG" >&2
            wr_fail "the server exited with status $rc before it was ready"
        fi
        sleep 0.1
    done
    tail -n 40 "$WR_SERVER_LOG" >&2
    wr_fail "the server was not ready within ${WR_SERVER_WAIT_S:-20} s"
}

# wr_server_wait_exit SECONDS waits for the server to exit and sets WR_SERVER_RC; kills it
# (and fails) if it is still running after SECONDS.
wr_server_wait_exit() {
    local i
    for ((i = 0; i < $1 * 10; i++)); do
        kill -0 "$WR_SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$WR_SERVER_PID" 2>/dev/null; then
        kill -KILL "$WR_SERVER_PID" 2>/dev/null || true
        wait "$WR_SERVER_PID" 2>/dev/null || true
        WR_SERVER_PID=""
        wr_fail "the server did not stop within $1 s of SIGTERM"
    fi
    WR_SERVER_RC=0
    wait "$WR_SERVER_PID" || WR_SERVER_RC=$?
    WR_SERVER_PID=""
}

# wr_server_stop sends SIGTERM, waits, and fails unless the server exited with status 0.
wr_server_stop() {
    [[ -n $WR_SERVER_PID ]] || wr_fail "wr_server_stop: no server is running"
    kill -TERM "$WR_SERVER_PID" 2>/dev/null || true
    wr_server_wait_exit "${WR_SERVER_WAIT_S:-15}"
    if ((WR_SERVER_RC != 0)); then
        tail -n 40 "$WR_SERVER_LOG" >&2
        wr_fail "the server exited with status $WR_SERVER_RC"
    fi
}

# wr_provision ROLE ID creates principal ID with ROLE and a new PSK; prints the PSK file's path.
wr_provision() {
    [[ -n $WR_DB_NAME ]] || wr_fail "wr_provision: call wr_db_create first"
    mkdir -p "$WR_TMP/psk"
    local file="$WR_TMP/psk/$2.psk"
    if ! "$WR_SERVER_BIN" provision --role "$1" --identity "$2" --psk-file "$file" \
        --config "$WR_TMP/weldreg.conf" >>"$WR_TMP/provision.log" 2>&1; then
        cat "$WR_TMP/provision.log" >&2
        wr_fail "could not provision $1 \"$2\""
    fi
    printf '%s\n' "$file"
}

# wr_web_start starts weldreg-web on a free TCP port of 127.0.0.1 with the test's database and
# configuration and waits up to 20 s for event=web_ready. Exports WR_WEB_URL, WR_WEB_PID and
# WR_WEB_LOG. Lines in $WR_TMP/web.extra are added to its configuration.
wr_web_start() {
    [[ -n $WR_DB_NAME ]] || wr_fail "wr_web_start: call wr_db_create first"
    [[ -x $WR_WEB_BIN ]] || wr_fail "$WR_WEB_BIN is not built"
    local port i
    port=$(wr_free_port tcp)
    cp "$WR_TMP/weldreg.conf" "$WR_TMP/web.conf"
    printf 'web_listen = 127.0.0.1:%s\n' "$port" >>"$WR_TMP/web.conf"
    [[ ! -f $WR_TMP/web.extra ]] || cat "$WR_TMP/web.extra" >>"$WR_TMP/web.conf"
    WR_WEB_LOG="$WR_TMP/web-$port.log"
    "$WR_WEB_BIN" serve --config "$WR_TMP/web.conf" >"$WR_WEB_LOG" 2>&1 &
    WR_WEB_PID=$!
    for ((i = 0; i < 200; i++)); do
        grep -q 'event=web_ready' "$WR_WEB_LOG" && break
        kill -0 "$WR_WEB_PID" 2>/dev/null || { cat "$WR_WEB_LOG" >&2; wr_fail "weldreg-web exited"; }
        sleep 0.1
    done
    grep -q 'event=web_ready' "$WR_WEB_LOG" || wr_fail "weldreg-web was not ready within 20 s"
    WR_WEB_URL="https://127.0.0.1:$port"
    export WR_WEB_URL WR_WEB_PID WR_WEB_LOG
}

# wr_web_stop sends SIGTERM and fails unless weldreg-web exits with status 0 within 15 s (under
# the sanitizers, a leak or an error makes the status non-zero).
wr_web_stop() {
    [[ -n $WR_WEB_PID ]] || wr_fail "wr_web_stop: weldreg-web is not running"
    local rc=0 i
    kill -TERM "$WR_WEB_PID" 2>/dev/null || true
    for ((i = 0; i < 150; i++)); do
        kill -0 "$WR_WEB_PID" 2>/dev/null || break
        sleep 0.1
    done
    wait "$WR_WEB_PID" || rc=$?
    WR_WEB_PID=""
    ((rc == 0)) || { tail -n 40 "$WR_WEB_LOG" >&2; wr_fail "weldreg-web exited with status $rc"; }
}

# wr_web_account LOGIN ROLE [ARGS...] creates a web account whose password is
# "pw-LOGIN-correct-horse" (in $WR_TMP/pw-LOGIN).
wr_web_account() {
    local login=$1 role=$2
    shift 2
    printf 'pw-%s-correct-horse\n' "$login" >"$WR_TMP/pw-$login"
    "$WR_WEB_BIN" account add "$login" --role "$role" --password-file "$WR_TMP/pw-$login" \
        --config "$WR_TMP/weldreg.conf" "$@" >>"$WR_TMP/accounts.log" 2>&1 ||
        { cat "$WR_TMP/accounts.log" >&2; wr_fail "could not add account $login"; }
}

# wr_browser_setup checks for chromium and node and installs tests/browser's puppeteer-core
# (locked, `npm ci`) on first use; sets WR_BROWSER_DIR.
wr_browser_setup() {
    WR_BROWSER_DIR="$WELDREG_SOURCE_DIR/tests/browser"
    command -v chromium >/dev/null || wr_fail "chromium is not installed (scripts/deps.sh)"
    command -v node >/dev/null || wr_fail "node is not installed (scripts/deps.sh)"
    [[ ! -d $WR_BROWSER_DIR/node_modules/puppeteer-core ]] || return 0
    # npm trusts the system's certificate authorities too (those an administrator added to
    # /usr/local/share/ca-certificates, e.g. for a proxy), not only Node's built-in list
    local ca=${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}
    (cd "$WR_BROWSER_DIR" && NODE_EXTRA_CA_CERTS=$ca npm ci --no-audit --no-fund --ignore-scripts \
        >"$WR_TMP/npm.log" 2>&1) ||
        { cat "$WR_TMP/npm.log" >&2; wr_fail "npm ci failed in tests/browser"; }
}

# wr_cleanup runs at exit: stops the servers, drops the database, removes the temporary files.

# wr_seed_machine CHIP adds a community (C-D), an enterprise of it and a fusion machine CHIP of
# that enterprise (the first of each in the database).
wr_seed_machine() {
    wr_psql "INSERT INTO communities (code, name, district) VALUES ('C-D', 'Qingping', 'Xinmi')" >/dev/null
    wr_psql "INSERT INTO enterprises (uscc, name, community_id)
      VALUES ('91410183MA44XXXX0B', 'Test Works', (SELECT id FROM communities))" >/dev/null
    wr_psql "INSERT INTO machines (chip_id, process_category, enterprise_id, keeper_name)
      VALUES ('$1', 'fusion', (SELECT id FROM enterprises), 'Keeper')" >/dev/null
}

# wr_seed_welder adds the welder Zhang San with a valid fusion licence.
wr_seed_welder() {
    wr_psql "INSERT INTO welders (name, idcard_hash, idcard_masked, licence_no_hash,
               licence_no_masked, licence_categories, licence_issued_on, licence_valid_until,
               licence_review_due)
             VALUES ('Zhang San', decode(repeat('ab', 32), 'hex'), '4101**********123X',
                     decode(repeat('cd', 32), 'hex'), 'T**************123X', '{fusion}',
                     current_date - 400, current_date + 1500, current_date + 600)" >/dev/null
}

# wr_seed_training WELDER_ID records a training a month old (valid for a year) for the welder.
wr_seed_training() {
    wr_psql "INSERT INTO welder_trainings (welder_id, course, completed_on, hours, provider)
               VALUES ($1, '动火作业安全', current_date - 30, 16, '新密市安全培训中心')" >/dev/null
}

# wr_seed_work_site CHIP ADMIN: a signing key (wr_signing_key), machine CHIP and administrator
# ADMIN provisioned (their PSK files in $psk and $admin_psk), the machine with its enterprise
# and community, welder 1 and their training; then welder 1's code in $code.
wr_seed_work_site() {
    wr_signing_key
    psk=$(wr_provision machine "$1")
    admin_psk=$(wr_provision admin "$2")
    wr_seed_machine "$1"
    wr_seed_welder
    wr_seed_training 1
    code=$(wr_issue_welder 00112233445566778899aabbccddeeff)
    wr_register_last_code 1
}

# wr_answer_names TEXT prints TEXT without the lines weldtag checkin indents for people (each
# reason's texts, below the answer's line of names), so that a check quotes the answer in one line.
wr_answer_names() {
    local line
    while IFS= read -r line; do
        [[ $line == "  "* ]] || printf '%s\n' "$line"
    done <<<"$1"
}

# wr_send_checkin CHIP PSK EV SEQ [weldtag checkin options...] sends one event as machine CHIP
# to the running server: weldtag's answer (its line of names) in $out, its exit code in $rc.
wr_send_checkin() {
    local chip=$1 psk=$2 ev=$3 seq=$4
    shift 4
    rc=0
    out=$("$WELDREG_BUILD_DIR/tag-reader/weldtag" checkin --server "coaps://127.0.0.1:$WR_PORT" \
        --identity "$chip" --psk-file "$psk" --ev "$ev" --seq "$seq" "$@" 2>&1) || rc=$?
    out=$(wr_answer_names "$out")
}

# wr_signing_key makes a code-signing key of the test's own in $KEY, trusted since 2020 so that
# codes issued in the past verify, and makes it the server's trust list (call after
# wr_db_create).
wr_signing_key() {
    KEY=$WR_TMP/signing.key
    openssl genpkey -algorithm ed25519 -out "$KEY" 2>/dev/null
    local pub kid
    pub=$(openssl pkey -in "$KEY" -pubout -outform DER | tail -c 32 | base64 -w 0)
    kid=$(printf '%s' "$pub" | base64 -d | openssl dgst -sha256 -binary | head -c 8 |
        od -An -v -tx1 | tr -d ' \n')
    printf '%s ed25519 1577836800 4102444800 mw %s\n' "$kid" "$pub" >"$WR_TMP/trust.list"
    sed -i "s#^trust_list_file = .*#trust_list_file = $WR_TMP/trust.list#" "$WR_TMP/weldreg.conf"
}

# wr_issue_welder WID [weldtag options]: prints a welder code signed with $KEY, journaled in
# $WR_TMP/journal.csv.
wr_issue_welder() {
    local wid=$1
    shift
    "$WELDREG_BUILD_DIR/tag-reader/weldtag" issue welder --licence T410102199001011234 \
        --name 张三 --cats fusion --licence-valid-until "$(date -d '+1000 days' +%F)" \
        --wid "$wid" --signing-key "$KEY" --iss test --journal "$WR_TMP/journal.csv" "$@" 2>/dev/null
}

# wr_register_last_code WELDER_ID records the last journaled code as issued to WELDER_ID (the
# platform's record of issued codes is how a code finds its welder).
wr_register_last_code() {
    local cti kid
    IFS=, read -r cti _ _ _ _ kid < <(tail -n 1 "$WR_TMP/journal.csv")
    wr_psql "INSERT INTO codes (cti, kind, welder_id, kid, expires_at)
             VALUES (decode('$cti', 'hex'), 'welder', $1, decode('$kid', 'hex'),
                     now() + interval '100 days')" >/dev/null
}

# wr_cleanup runs at exit: stops the server, drops the database, removes the temporary files.
wr_cleanup() {
    local rc=$? i
    set +e
    if [[ -n $WR_WEB_PID ]]; then
        kill -TERM "$WR_WEB_PID" 2>/dev/null
        for ((i = 0; i < 100; i++)); do
            kill -0 "$WR_WEB_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$WR_WEB_PID" 2>/dev/null
        wait "$WR_WEB_PID" 2>/dev/null
    fi
    if [[ -n $WR_SERVER_PID ]]; then
        kill -TERM "$WR_SERVER_PID" 2>/dev/null
        for ((i = 0; i < 100; i++)); do
            kill -0 "$WR_SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$WR_SERVER_PID" 2>/dev/null
        wait "$WR_SERVER_PID" 2>/dev/null
    fi
    if [[ $rc -ne 0 && ${WR_KEEP:-0} == 1 ]]; then
        printf 'kept database %s and %s\n' "${WR_DB_NAME:-(none)}" "$WR_TMP" >&2
        return
    fi
    [[ -z $WR_DB_NAME ]] || wr_psql_admin "DROP DATABASE IF EXISTS $WR_DB_NAME WITH (FORCE)"
    rm -rf "$WR_TMP"
}
trap wr_cleanup EXIT
# a signal (ctest's time-out, ^C) ends the test through exit, so the clean-up still runs
trap 'exit 130' INT
trap 'exit 143' TERM

# wr_run RC COMMAND...: runs COMMAND with its output (stdout and stderr) in $WR_TMP/out; fails
# the test, showing the output, unless it exits RC.
wr_run() {
    local want=$1 rc=0
    shift
    "$@" >"$WR_TMP/out" 2>&1 || rc=$?
    ((rc == want)) || { cat "$WR_TMP/out"; wr_fail "expected exit $want, got $rc: $*"; }
}

# wr_expect_text TEXT: the output of the last wr_run holds TEXT.
wr_expect_text() {
    grep -qF -- "$1" "$WR_TMP/out" || { cat "$WR_TMP/out"; wr_fail "expected \"$1\""; }
}

# wr_field NAME: member NAME of the one-line JSON answer of the last wr_run (weldtag --json).
wr_field() {
    sed -E "s/.*\"$1\":\"?([^\",}]*)\"?.*/\\1/" "$WR_TMP/out"
}

# wr_csv_cell ROW COLUMN: the cell of COLUMN (by the header's name) in the CSV record of
# $WR_TMP/out whose "name" cell is ROW (weldtag counts --csv).
wr_csv_cell() {
    awk -F, -v row="$1" -v col="$2" 'NR == 1 { for (i = 1; i <= NF; i++) at[$i] = i; next }
        $(at["name"]) == row { print (col in at) ? $(at[col]) : "no such column" }' "$WR_TMP/out"
}

# wr_expect_cells ROW COLUMN=VALUE...: checks cells of one CSV record (wr_csv_cell).
wr_expect_cells() {
    local row=$1 pair got
    shift
    for pair in "$@"; do
        got=$(wr_csv_cell "$row" "${pair%%=*}")
        [[ $got == "${pair#*=}" ]] || {
            head -1 "$WR_TMP/out"
            grep -F "$row" "$WR_TMP/out"
            wr_fail "$row ${pair%%=*}: expected ${pair#*=}, got \"$got\""
        }
    done
}
