#!/usr/bin/env bash
# servers.sh — the check-in load of bench/run.sh (hb100: 100 machines, heartbeats, closed loop)
# against weldreg-server as the only server, as one server with leases (server_id set: every
# batch fenced, leases renewed in bulk), and as two and three servers sharing one UDP port
# (reuse_port). One line of figures each. Method and figures: docs/performance.md, "Several
# servers".
#   bench/servers.sh [--duration S] [--machines N]
# Needs DATABASE_URL (./dev db prints it) and a Release build in build-bench/ (bench/run.sh
# makes it; or: cmake --build build-bench --target weldreg-server loadgen bench-provision).
set -euo pipefail

: "${WELDREG_SOURCE_DIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)}"
: "${WELDREG_BUILD_DIR:=$WELDREG_SOURCE_DIR/build-bench}"
source "$WELDREG_SOURCE_DIR/tests/integration/lib.sh"

duration=10 machines=100
while (($#)); do
    case "$1" in
    --duration) duration=${2:?--duration needs seconds} && shift ;;
    --machines) machines=${2:?--machines needs a number} && shift ;;
    -h | --help) sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' && exit 0 ;;
    *) wr_fail "unknown option \"$1\"" ;;
    esac
    shift
done

PIDS=()
stop_servers() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    PIDS=()
}
cluster_cleanup() {
    local rc=$?
    stop_servers
    (exit "$rc")
    wr_cleanup
}
trap cluster_cleanup EXIT

wr_db_create bench_cluster
"$WELDREG_BUILD_DIR/bench/bench-provision" --database-url "$DATABASE_URL" \
    --kek "$WR_CERTS_DIR/psk-kek.key" --out "$WR_TMP/psk.txt" --count "$machines" \
    --prefix BC- >/dev/null
wr_psql "INSERT INTO communities (code, name, district) VALUES ('bench', 'Benchmark', 'Lixia');
         INSERT INTO enterprises (uscc, name, community_id)
             VALUES ('91370100MA3C00000X', 'Benchmark Welding Co.', 1);
         INSERT INTO machines (chip_id, process_category, enterprise_id, keeper_name)
             SELECT identity, 'fusion', 1, 'Keeper' FROM principals WHERE role = 'machine'" \
    >/dev/null

# start_servers N PORT [CONFIG LINES]: N servers on PORT, ready.
start_servers() {
    local n=$1 port=$2 extra=${3:-} i
    for ((i = 1; i <= n; i++)); do
        cp "$WR_TMP/weldreg.conf" "$WR_TMP/b$i.conf"
        # checkin_rate = 0: the load generator's closed loop is far past the shipped limit
        printf 'listen = 127.0.0.1:%s\ncheckin_rate = 0\n%b' "$port" "${extra//@/$i}" \
            >>"$WR_TMP/b$i.conf"
        : >"$WR_TMP/b$i.log"
        "$WR_SERVER_BIN" serve --config "$WR_TMP/b$i.conf" 2>"$WR_TMP/b$i.log" >&2 &
        PIDS+=($!)
    done
    for ((i = 1; i <= n; i++)); do
        local t
        for ((t = 0; t < 200; t++)); do
            grep -q 'event=ready' "$WR_TMP/b$i.log" && break
            sleep 0.1
        done
        grep -q 'event=ready' "$WR_TMP/b$i.log" || wr_fail "server $i did not start"
    done
}

# run NAME SERVERS [CONFIG LINES]: the load against SERVERS fresh servers; "@" in the lines
# is the server's number.
run() {
    local name=$1 port
    port=$(wr_free_udp_port)
    wr_psql "TRUNCATE machine_leases" >/dev/null
    start_servers "$2" "$port" "${3:-}"
    # a warm-up first: each machine's first check-in on a server with leases is a 5.03 while
    # the lease is taken (one per machine and server, measured apart: the "takeover" line)
    "$WELDREG_BUILD_DIR/bench/loadgen" --server "coaps://127.0.0.1:$port" \
        --psk-file "$WR_TMP/psk.txt" --label "$name-warm" --machines "$machines" \
        --mix 100,0,0 --duration 3 >"$WR_TMP/$name.warm" 2>&1 ||
        { cat "$WR_TMP/$name.warm" >&2; wr_fail "the warm-up of $name failed"; }
    "$WELDREG_BUILD_DIR/bench/loadgen" --server "coaps://127.0.0.1:$port" \
        --psk-file "$WR_TMP/psk.txt" --label "$name" --machines "$machines" --mix 100,0,0 \
        --duration "$duration" >"$WR_TMP/$name.out" 2>"$WR_TMP/$name.err" ||
        { cat "$WR_TMP/$name.err" >&2; wr_fail "the load $name failed"; }
    stop_servers
    local line
    line=$(tail -n 1 "$WR_TMP/$name.out")
    field() { tr ' ' '\n' <<<"$line" | sed -n "s/^$1=//p"; }
    printf '%-10s servers=%s answers/s=%-7s p50_ms=%-6s p99_ms=%-7s 5.03=%s\n' "$name" "$2" \
        "$(field rps)" "$(field p50_ms)" "$(field p99_ms)" "$(field c5xx)"
}

run single 1
run leased 1 'server_id = b@\n'
run two 2 'server_id = b@\nreuse_port = true\n'
run three 3 'server_id = b@\nreuse_port = true\n'
