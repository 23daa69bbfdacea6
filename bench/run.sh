#!/usr/bin/env bash
# run.sh — the whole benchmark in one command: a Release build in build-bench/, a benchmark
# database in the private PostgreSQL (or the server of DATABASE_URL), N provisioned and
# registered machines, weldreg-server and the bare libcoap baseline server on loopback ports,
# the same loads against both in the same run, and one table of figures and ratios.
#   bench/run.sh            the full run (< 15 minutes): 20,000 idle sessions, 1,000,000
#                           machines registered
#   bench/run.sh --quick    a short run for CI (< 2 minutes): 1,000 idle sessions
# Options: --duration S (seconds per load), --idle N (the large idle-session figure; 0 skips
# it), --registered N (machines registered in all, most of them never connecting),
# --handshakes N, --workers N (load-generator processes), --keep (keep the database and the
# files in the work directory), --check (exit 1 if a load failed, a check-in weldreg
# acknowledged is missing from the database, or a figure is missing: the test suite's smoke
# run), --help. The full run ends with bench/api-offloop.sh (heartbeat p99 while a twelve-month
# count runs in a loop, against p99 without it); every run with bench/web-load.sh (100 people
# logged in to weldreg-web, 20 with --quick). Method and figures: docs/performance.md.
set -euo pipefail

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
DEV_ROOT=$BENCH_ROOT
export DEV_ROOT
# shellcheck source=../scripts/common.sh
source "$BENCH_ROOT/scripts/common.sh"
# shellcheck source=../scripts/pg.sh
source "$BENCH_ROOT/scripts/pg.sh"
# shellcheck source=lib.sh
source "$BENCH_ROOT/bench/lib.sh" # bench_url_with_db

BENCH_BUILD="$BENCH_ROOT/build-bench"
BENCH_CERTS="$BENCH_ROOT/certs/out"
BENCH_DB=weldreg_bench
BENCH_DURATION=10
BENCH_IDLE_BIG=20000
BENCH_IDLE_SMALL=1000
BENCH_HANDSHAKES=2000
BENCH_REGISTERED=1000000
BENCH_WORKERS=1
BENCH_KEEP=0
BENCH_CHECK=0
BENCH_OFFLOOP=1
BENCH_WEB_USERS=100
BENCH_FAILED=0
BENCH_TMP=""
WELDREG_PID=""
BASELINE_PID=""
declare -A BENCH_READY_COUNT=()

bench_usage() {
    sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

bench_parse() {
    while (($#)); do
        case "$1" in
        --quick)
            BENCH_DURATION=3 BENCH_IDLE_BIG=0 BENCH_HANDSHAKES=500 BENCH_REGISTERED=0
            BENCH_OFFLOOP=0 BENCH_WEB_USERS=20
            ;;
        --duration) BENCH_DURATION=${2:?--duration needs seconds} && shift ;;
        --idle) BENCH_IDLE_BIG=${2:?--idle needs a number} && shift ;;
        --handshakes) BENCH_HANDSHAKES=${2:?--handshakes needs a number} && shift ;;
        --registered) BENCH_REGISTERED=${2:?--registered needs a number} && shift ;;
        --workers) BENCH_WORKERS=${2:?--workers needs a number} && shift ;;
        --keep) BENCH_KEEP=1 ;;
        --check) BENCH_CHECK=1 ;;
        -h | --help) bench_usage && exit 0 ;;
        *) dev_die "unknown option \"$1\" (bench/run.sh --help)" ;;
        esac
        shift
    done
    local n
    for n in "$BENCH_DURATION" "$BENCH_IDLE_BIG" "$BENCH_HANDSHAKES" "$BENCH_WORKERS" \
        "$BENCH_REGISTERED"; do
        [[ $n =~ ^[0-9]+$ ]] || dev_die "\"$n\" is not a whole number"
    done
}

bench_cleanup() {
    local rc=$?
    set +e
    bench_stop baseline
    bench_stop weldreg
    if ((BENCH_KEEP)); then
        printf 'kept database %s and %s\n' "$BENCH_DB" "$BENCH_TMP" >&2
    else
        [[ -z ${BENCH_ADMIN_URL:-} ]] ||
            psql -XAtq -d "$BENCH_ADMIN_URL" -c "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)" \
                >/dev/null 2>&1
        [[ -z $BENCH_TMP ]] || rm -rf "$BENCH_TMP"
    fi
    exit "$rc"
}

bench_build() {
    dev_say "building Release in build-bench/"
    cmake -S "$BENCH_ROOT" -B "$BENCH_BUILD" -DCMAKE_BUILD_TYPE=Release -DWELDREG_SANITIZE=OFF \
        >"$BENCH_TMP/cmake.log" 2>&1 || {
        cat "$BENCH_TMP/cmake.log" >&2
        dev_die "cmake could not configure build-bench/"
    }
    cmake --build "$BENCH_BUILD" -j "$(dev_jobs)" --target weldreg-server loadgen \
        baseline-server bench-provision bench-pgloop weldtag weldreg-web web-load \
        >"$BENCH_TMP/build.log" 2>&1 || {
        tail -n 40 "$BENCH_TMP/build.log" >&2
        dev_die "the build in build-bench/ failed"
    }
}

bench_database() {
    if [[ -n ${DATABASE_URL:-} ]]; then
        dev_say "using the PostgreSQL server of DATABASE_URL"
    else
        pg_start
    fi
    BENCH_ADMIN_URL=$(bench_url_with_db "$DATABASE_URL" postgres)
    BENCH_URL=$(bench_url_with_db "$DATABASE_URL" "$BENCH_DB")
    PGOPTIONS='-c client_min_messages=warning' psql -XAtq -v ON_ERROR_STOP=1 -d "$BENCH_ADMIN_URL" \
        -c "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)" -c "CREATE DATABASE $BENCH_DB" \
        >/dev/null
    "$BENCH_ROOT/certs/mkcerts.sh" "$BENCH_CERTS" 2>/dev/null
    cat >"$BENCH_TMP/weldreg.conf" <<CONF
# written by bench/run.sh
database_url = $BENCH_URL
psk_kek_file = $BENCH_CERTS/psk-kek.key
trust_list_file = $BENCH_CERTS/trust.list
signing_key_file = $BENCH_CERTS/signing.key
log_level = info
# the load generator drives each machine in a closed loop, hundreds of check-ins a second: the
# benchmark measures the server, not the per-machine limit (1/s after a burst of 10,000)
checkin_rate = 0
CONF
    "$BENCH_BUILD/server/weldreg-server" migrate --config "$BENCH_TMP/weldreg.conf" \
        --database-url "$BENCH_URL" >"$BENCH_TMP/migrate.log" 2>&1 || {
        cat "$BENCH_TMP/migrate.log" >&2
        dev_die "weldreg-server migrate failed"
    }
}

# bench_psql runs the SQL on stdin in the benchmark database.
bench_psql() {
    psql -XAtq -v ON_ERROR_STOP=1 -d "$BENCH_URL"
}

# bench_machines N: N principals with PSKs (bench-provision), N registered machines, and one
# registered welder with an issued code for the scans.
bench_machines() {
    local n=$1 start cti kid
    dev_say "provisioning $n machines"
    start=$(date +%s.%N)
    cti=$("$BENCH_BUILD/bench/bench-provision" --database-url "$BENCH_URL" \
        --kek "$BENCH_CERTS/psk-kek.key" --out "$BENCH_TMP/psk.txt" --count "$n" \
        --signing-key "$BENCH_CERTS/signing.key" --code-out "$BENCH_TMP/code.txt")
    cti=${cti#cti=}
    kid=$(awk '!/^#/ && NF { print $1; exit }' "$BENCH_CERTS/trust.list")
    bench_psql <<SQL
INSERT INTO communities (code, name, district) VALUES ('bench', 'Benchmark', 'Lixia');
INSERT INTO enterprises (uscc, name, community_id)
    VALUES ('91370100MA3C00000X', 'Benchmark Welding Co.', 1);
INSERT INTO machines (chip_id, process_category, enterprise_id, keeper_name)
    SELECT identity, 'fusion', 1, 'Keeper' FROM principals WHERE role = 'machine';
INSERT INTO welders (name, idcard_hash, idcard_masked, licence_no_hash, licence_no_masked,
                     licence_categories, licence_issued_on, licence_valid_until,
                     licence_review_due)
    VALUES ('Bench Welder', sha256('bench-id'), '370***********123X', sha256('bench-lic'),
            'T**************1234', '{fusion}', current_date - 100, current_date + 900,
            current_date + 900);
INSERT INTO codes (cti, kind, welder_id, kid, expires_at)
    VALUES (decode('$cti', 'hex'), 'welder', 1, decode('$kid', 'hex'), now() + interval '180 days');
SQL
    dev_say "provisioned and registered $n machines in $(echo "$(date +%s.%N) - $start" | bc 2>/dev/null || echo '?') s"
}

# bench_register N: machines registered until there are N in all, each with a principal (a
# certificate principal: the PSK of a machine that never connects is not needed, and the server
# holds the same bytes for either), so that the figures are taken with a province's registry.
bench_register() {
    local have
    have=$(bench_psql <<<"SELECT count(*) FROM machines")
    (($1 > have)) || return 0
    dev_say "registering $(($1 - have)) more machines (never connecting)"
    bench_psql <<SQL
INSERT INTO principals (identity, role, cert_cn)
    SELECT 'REG-' || lpad(g::text, 8, '0'), 'machine', 'REG-' || lpad(g::text, 8, '0')
    FROM generate_series(1, $1 - $have) g;
INSERT INTO machines (chip_id, process_category, enterprise_id, keeper_name)
    SELECT 'REG-' || lpad(g::text, 8, '0'), 'fusion', 1, 'Keeper'
    FROM generate_series(1, $1 - $have) g;
SQL
}

# bench_free_port prints a UDP port of 127.0.0.1 that nothing uses.
bench_free_port() {
    local port i
    for ((i = 0; i < 200; i++)); do
        port=$((20000 + RANDOM % 40000))
        [[ -n $(ss -Hluan "sport = :$port" 2>/dev/null) ]] || {
            printf '%s\n' "$port"
            return
        }
    done
    dev_die "no free UDP port"
}

# bench_wait_log FILE PATTERN PID waits up to 30 s, while PID lives, for one more line with
# PATTERN in FILE than the previous starts wrote (servers append to their log).
bench_wait_log() {
    local i n before
    before=${BENCH_READY_COUNT[$1]:-0}
    for ((i = 0; i < 300; i++)); do
        n=$(grep -c "$2" "$1" 2>/dev/null) || n=0
        if ((n > before)); then
            BENCH_READY_COUNT[$1]=$((before + 1))
            return 0
        fi
        kill -0 "$3" 2>/dev/null || break
        sleep 0.1
    done
    tail -n 20 "$1" >&2
    dev_die "a server did not start (log: $1)"
}

# bench_is_weldreg KIND: weldreg-server as configured (weldreg) or without its cache of
# verified codes (cold: every scan's signature verified).
bench_is_weldreg() {
    [[ $1 == weldreg || $1 == cold ]]
}

# bench_start KIND starts weldreg-server (weldreg, cold), the baseline server, or the baseline
# server driving libcoap the stock way (KIND stock: coap_io_process() per datagram) and waits.
bench_start() {
    if bench_is_weldreg "$1"; then
        "$BENCH_BUILD/server/weldreg-server" serve --config "$BENCH_TMP/serve-$1.conf" \
            --database-url "$BENCH_URL" 2>>"$BENCH_TMP/weldreg.log" >&2 &
        WELDREG_PID=$!
        bench_wait_log "$BENCH_TMP/weldreg.log" "event=ready" "$WELDREG_PID"
    else
        local stock=()
        [[ $1 != stock ]] || stock=(--stock-io)
        "$BENCH_BUILD/bench/baseline-server" --psk-file "$BENCH_TMP/psk.txt" \
            --listen "127.0.0.1:$BASELINE_PORT" "${stock[@]}" 2>>"$BENCH_TMP/baseline.log" &
        BASELINE_PID=$!
        bench_wait_log "$BENCH_TMP/baseline.log" "ready" "$BASELINE_PID"
    fi
}

# bench_stop KIND stops that server and waits for it.
bench_stop() {
    local pid=$BASELINE_PID
    ! bench_is_weldreg "$1" || pid=$WELDREG_PID
    [[ -n $pid ]] || return 0
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    if bench_is_weldreg "$1"; then WELDREG_PID=""; else BASELINE_PID=""; fi
}

bench_start_servers() {
    WELDREG_PORT=$(bench_free_port)
    BASELINE_PORT=$(bench_free_port)
    cp "$BENCH_TMP/weldreg.conf" "$BENCH_TMP/serve-weldreg.conf"
    printf 'listen = 127.0.0.1:%s\n' "$WELDREG_PORT" >>"$BENCH_TMP/serve-weldreg.conf"
    cp "$BENCH_TMP/serve-weldreg.conf" "$BENCH_TMP/serve-cold.conf"
    printf 'code_cache_slots = 0\n' >>"$BENCH_TMP/serve-cold.conf"
    dev_say "weldreg-server on 127.0.0.1:$WELDREG_PORT, baseline on 127.0.0.1:$BASELINE_PORT"
}

# bench_get NAME KIND KEY prints one value of a summary line ("" when missing).
bench_get() {
    tr ' ' '\n' <"$BENCH_TMP/$1.$2" 2>/dev/null | awk -F= -v k="$3" '$1 == k { print $2 }'
}

# bench_mem_kib PID FIELD: VmRSS or VmHWM of the process, KiB.
bench_mem_kib() {
    awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0
}

# bench_load_one NAME KIND ARGS...: one load against one server (baseline or weldreg).
bench_load_one() {
    local name=$1 kind=$2 port=$BASELINE_PORT
    shift 2
    ! bench_is_weldreg "$kind" || port=$WELDREG_PORT
    # a fresh server for every load: libcoap keeps a released client's session until it has
    # been idle for session_idle_s, and every session costs on every packet (performance.md)
    bench_start "$kind"
    dev_say "load $name against $kind"
    "$BENCH_BUILD/bench/loadgen" --server "coaps://127.0.0.1:$port" \
        --psk-file "$BENCH_TMP/psk.txt" --label "$name-$kind" --workers "$BENCH_WORKERS" \
        "$@" >"$BENCH_TMP/$name.$kind" 2>"$BENCH_TMP/$name.$kind.log" ||
        bench_failed "load $name against $kind reported failures"
    sed -n '2,$p' "$BENCH_TMP/$name.$kind.log" >&2
    local pid=$BASELINE_PID
    ! bench_is_weldreg "$kind" || pid=$WELDREG_PID
    bench_mem_kib "$pid" VmRSS >"$BENCH_TMP/$name.$kind.rss"
    bench_mem_kib "$pid" VmHWM >"$BENCH_TMP/$name.$kind.hwm"
    bench_stop "$kind"
}

# bench_load NAME ARGS...: the same load against the baseline, then against weldreg.
bench_load() {
    bench_load_one "$1" baseline "${@:2}"
    bench_load_one "$1" weldreg "${@:2}"
}

# bench_calc EXPR: floating-point arithmetic for the table (awk), "-" when a value is missing.
bench_calc() {
    awk "BEGIN { x = $1; if (x != x || x == \"\") print \"-\"; else printf \"%.2f\", x }" \
        2>/dev/null || echo -
}

# bench_ratio A B prints A / B with two decimals, or "-".
bench_ratio() {
    if [[ -n $1 && -n $2 && $2 != 0 && $2 != 0.0 ]]; then bench_calc "$1 / $2"; else echo -; fi
}

# bench_check_acks: every check-in weldreg acknowledged in the hb100 run must be in the table.
# bench_failed MESSAGE: warns, and fails the run under --check.
bench_failed() {
    dev_warn "$1"
    BENCH_FAILED=1
}

bench_check_acks() {
    local file="$BENCH_TMP/hb100.weldreg.acks" missing
    [[ -s $file ]] || {
        bench_failed "weldreg acknowledged nothing in the 100-client run"
        return 0
    }
    missing=$(bench_psql <<SQL
CREATE TEMP TABLE acks (chip text, seq bigint, code text, id bigint, at numeric, ms numeric);
\\copy acks FROM '$file' WITH (DELIMITER ' ')
SELECT count(*) FROM acks a LEFT JOIN checkins c ON c.id = a.id AND c.chip_id = a.chip
    AND c.seq = a.seq WHERE c.id IS NULL;
SQL
    )
    BENCH_ACKED=$(wc -l <"$file")
    BENCH_ACK_MISSING=$missing
    [[ $missing == 0 ]] || bench_failed "$missing acknowledged check-ins are not in the database"
}

bench_run_loads() {
    local d=$BENCH_DURATION kind rate
    bench_load hb16 --machines 16 --mix 100,0,0 --duration "$d"
    bench_load_one hb100 baseline --machines 100 --mix 100,0,0 --duration "$d"
    bench_load_one hb100 weldreg --machines 100 --mix 100,0,0 --duration "$d" \
        --ack-log "$BENCH_TMP/hb100.weldreg.acks"
    bench_load scan100 --machines 100 --mix 0,0,100 --code-file "$BENCH_TMP/code.txt" \
        --duration "$d"
    bench_load_one scan100 cold --machines 100 --mix 0,0,100 --code-file "$BENCH_TMP/code.txt" \
        --duration "$d"
    bench_load mix100 --machines 100 --mix 90,8,2 --code-file "$BENCH_TMP/code.txt" \
        --duration "$d"
    for kind in baseline weldreg; do
        rate=$(bench_calc "$(bench_get hb100 "$kind" rps) / 2")
        [[ $rate != - ]] || rate=100
        bench_load_one half "$kind" --machines 100 --mix 100,0,0 --rate "$rate" --duration "$d"
    done
    bench_load hs --connect-only --machines "$BENCH_HANDSHAKES" --connect-window 128 --workers 2
    bench_load idle-small --machines 100 --idle "$BENCH_IDLE_SMALL" --mix 100,0,0 --duration "$d"
    if ((BENCH_IDLE_BIG > 0)); then
        bench_load idle-big --machines 100 --idle "$BENCH_IDLE_BIG" --mix 100,0,0 \
            --duration "$d" --connect-window 128
    fi
    # what weldreg's I/O driver (server/loop/coapio.c) changes: the baseline driven the stock way
    bench_load_one hb100 stock --machines 100 --mix 100,0,0 --duration "$d"
    bench_load_one idle-small stock --machines 100 --idle "$BENCH_IDLE_SMALL" --mix 100,0,0 \
        --duration "$d"
    dev_say "one INSERT + COMMIT per row on the same cluster"
    "$BENCH_BUILD/bench/bench-pgloop" --database-url "$BENCH_URL" --duration 5 \
        >"$BENCH_TMP/pgloop" || bench_failed "bench-pgloop failed"
    bench_check_acks
}

# bench_row FIGURE BASELINE WELDREG RATIO TARGET
bench_row() {
    printf '| %-48s | %20s | %20s | %6s | %-28s |\n' "$@"
}

bench_rps_row() {
    local name=$1 figure=$2 target=$3 b w
    b=$(bench_get "$name" baseline rps)
    w=$(bench_get "$name" weldreg rps)
    bench_row "$figure" "${b:--}" "${w:--}" "$(bench_ratio "$w" "$b")" "$target"
}

bench_latency() {
    printf '%s/%s/%s' "$(bench_get half "$1" p50_ms)" "$(bench_get half "$1" p95_ms)" \
        "$(bench_get half "$1" p99_ms)"
}

bench_idle_row() {
    local name=$1 n=$2 b w
    [[ -s $BENCH_TMP/$name.weldreg ]] || return 0
    b=$(bench_get "$name" baseline rps)
    w=$(bench_get "$name" weldreg rps)
    bench_row "hb/s, 100 clients + $n idle sessions" "${b:--}" "${w:--}" \
        "$(bench_ratio "$w" "$b")" \
        ">= 0.5 x 100 alone: $(bench_ratio "$w" "$(bench_get hb100 weldreg rps)")"
}

bench_table() {
    local pg durable
    pg=$(tr ' ' '\n' <"$BENCH_TMP/pgloop" 2>/dev/null | awk -F= '$1 == "rps" { print $2 }')
    durable=$(bench_get hb100 weldreg rps)
    printf '\nweldreg benchmark — %s, %s cores, %s s per load, loads on 127.0.0.1\n\n' \
        "$(date -u +%Y-%m-%dT%H:%MZ)" "$(nproc)" "$BENCH_DURATION"
    bench_row figure baseline weldreg ratio target
    bench_row ------------------------------------------------ -------------------- \
        -------------------- ------ ----------------------------
    bench_rps_row hb16 "hb check-ins/s, closed loop, 16 clients" "report"
    bench_rps_row hb100 "hb check-ins/s, closed loop, 100 clients" ">= 0.50 (durable)"
    bench_rps_row scan100 "scan check-ins/s, 100 clients" ">= 0.35 (verified, durable)"
    bench_rps_row mix100 "mix 90/8/2 hb/arc/scan check-ins/s, 100 clients" "report"
    bench_row "latency p50/p95/p99 ms at half max rate" "$(bench_latency baseline)" \
        "$(bench_latency weldreg)" - "p99 <= 5 ms"
    bench_idle_row idle-small "$BENCH_IDLE_SMALL"
    bench_idle_row idle-big "$BENCH_IDLE_BIG"
    bench_row "DTLS-PSK handshakes/s ($BENCH_HANDSHAKES sessions)" \
        "$(bench_get hs baseline hps)" "$(bench_get hs weldreg hps)" \
        "$(bench_ratio "$(bench_get hs weldreg hps)" "$(bench_get hs baseline hps)")" "report"
    local big=idle-big n=$BENCH_IDLE_BIG b w
    [[ -s $BENCH_TMP/idle-big.weldreg.rss ]] || big=idle-small n=$BENCH_IDLE_SMALL
    b=$(cat "$BENCH_TMP/$big.baseline.rss" 2>/dev/null)
    w=$(cat "$BENCH_TMP/$big.weldreg.rss" 2>/dev/null)
    bench_row "server RSS MiB at the end, $n idle + 100" "$(bench_calc "${b:-0} / 1024")" \
        "$(bench_calc "${w:-0} / 1024")" "$(bench_ratio "$w" "$b")" "<= 1024 MiB"
    b=$(cat "$BENCH_TMP/$big.baseline.hwm" 2>/dev/null)
    w=$(cat "$BENCH_TMP/$big.weldreg.hwm" 2>/dev/null)
    bench_row "server peak RSS MiB (VmHWM), same load" "$(bench_calc "${b:-0} / 1024")" \
        "$(bench_calc "${w:-0} / 1024")" "$(bench_ratio "$w" "$b")" "report"
    bench_row "durable hb/s vs one INSERT+COMMIT per row" "${pg:--}" "${durable:--}" \
        "$(bench_ratio "$durable" "$pg")" ">= 10 x"
    printf '\n(for the last row the baseline column is the INSERT + COMMIT loop on the same cluster)\n'
    printf 'machines registered (all in the server'"'"'s views): %s\n' \
        "$(bench_psql <<<'SELECT count(*) FROM machines' 2>/dev/null || echo '?')"
    printf 'baseline driven the stock way (coap_io_process per datagram): hb100 %s/s, ' \
        "$(bench_get hb100 stock rps)"
    printf 'with %s idle sessions %s/s\n' "$BENCH_IDLE_SMALL" "$(bench_get idle-small stock rps)"
    printf 'scan100 with every signature verified (code_cache_slots = 0): %s/s, %s x the baseline\n' \
        "$(bench_get scan100 cold rps)" \
        "$(bench_ratio "$(bench_get scan100 cold rps)" "$(bench_get scan100 baseline rps)")"
    printf 'weldreg acknowledged %s check-ins in the 100-client run; missing from the database: %s\n' \
        "${BENCH_ACKED:-?}" "${BENCH_ACK_MISSING:-?}"
    printf 'errors (4.xx/5.xx/time-outs) against weldreg:'
    local name
    for name in hb16 hb100 scan100 mix100 half idle-small idle-big; do
        [[ -s $BENCH_TMP/$name.weldreg ]] || continue
        printf ' %s %s/%s/%s' "$name" "$(bench_get "$name" weldreg c4xx)" \
            "$(bench_get "$name" weldreg c5xx)" "$(bench_get "$name" weldreg timeouts)"
    done
    printf '\n'
}

bench_main() {
    bench_parse "$@"
    BENCH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/weldreg-bench.XXXXXX")
    trap bench_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    local started=$SECONDS
    bench_build
    bench_database
    local idle=$BENCH_IDLE_BIG
    ((idle > BENCH_IDLE_SMALL)) || idle=$BENCH_IDLE_SMALL
    ((idle > BENCH_HANDSHAKES)) || idle=$BENCH_HANDSHAKES
    bench_machines $((idle + 100))
    bench_register "$BENCH_REGISTERED"
    bench_start_servers
    bench_run_loads
    bench_table | tee "$BENCH_TMP/table"
    # heartbeats while a twelve-month count runs in a loop (its own database and server)
    if ((BENCH_OFFLOOP)); then
        bench_stop baseline
        bench_stop weldreg
        DATABASE_URL=${DATABASE_URL:-} "$BENCH_ROOT/bench/api-offloop.sh" --build "$BENCH_BUILD" \
            --duration "$BENCH_DURATION" || bench_failed "bench/api-offloop.sh failed"
    fi
    # the web: people logged in through the form asking for pages at once, beside a static asset
    bench_stop baseline
    bench_stop weldreg
    DATABASE_URL=${DATABASE_URL:-} "$BENCH_ROOT/bench/web-load.sh" --build "$BENCH_BUILD" \
        --users "$BENCH_WEB_USERS" --duration "$BENCH_DURATION" ||
        bench_failed "bench/web-load.sh failed"
    printf 'whole run: %s s (work files: %s)\n' $((SECONDS - started)) "$BENCH_TMP"
    # a figure that could not be measured shows as "-" in its weldreg or ratio column
    ! awk -F'|' '/^\| [a-zA-Z]/ && ($4 ~ /^ *- *$/ || $5 ~ /^ *- *$/) && $2 !~ /latency/' \
        "$BENCH_TMP/table" | grep -q . || bench_failed "some figures are missing from the table"
    if ((BENCH_CHECK && BENCH_FAILED)); then
        dev_warn "the benchmark's checks failed (--check)"
        exit 1
    fi
}

bench_main "$@"
