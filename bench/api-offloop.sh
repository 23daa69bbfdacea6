#!/usr/bin/env bash
# api-offloop.sh — machines' heartbeats while people's requests run (server/api/api.h): the p99
# latency of heartbeats at a fixed rate alone, then again while an administrator asks for a
# twelve-month count (GET /v1/counts) over a year of history in a loop; prints both, their
# ratio (target: at most 1.5) and how many counts ran. Its own database, filled by
# bench/counts-history.sql, on the server of DATABASE_URL (default: the private cluster); the
# server it starts is told only its own database (DATABASE_URL would override the config).
#   bench/api-offloop.sh [--build DIR] [--duration S] [--rate R] [--machines N] [--keep]
# bench/run.sh runs it after its table (not with --quick). Figures: docs/performance.md.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
BUILD=$ROOT/build-bench
DURATION=10
RATE=200
MACHINES=16
KEEP=0
while (($#)); do
    case "$1" in
    --build) BUILD=$(cd "${2:?--build needs a directory}" && pwd -P) && shift ;;
    --duration) DURATION=${2:?--duration needs seconds} && shift ;;
    --rate) RATE=${2:?--rate needs heartbeats per second} && shift ;;
    --machines) MACHINES=${2:?--machines needs a number} && shift ;;
    --keep) KEEP=1 ;;
    -h | --help) sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' && exit 0 ;;
    *) printf 'api-offloop.sh: unknown option "%s"\n' "$1" >&2 && exit 2 ;;
    esac
    shift
done
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
bench_setup weldreg_bench_api tag-reader/weldtag bench/loadgen bench/bench-provision
PORT=$((20000 + RANDOM % 40000))
# checkin_rate = 0: each machine sends RATE/MACHINES heartbeats a second (12.5 by default) for
# minutes, past the shipped per-machine limit (1/s after a burst of 10,000)
printf 'listen = 127.0.0.1:%s\nlog_level = info\ncheckin_rate = 0\n' "$PORT" >>"$TMP/weldreg.conf"
bench_say "filling $DB with a year of history (bench/counts-history.sql)"
bench_sql -f "$ROOT/bench/counts-history.sql" >/dev/null
"$BUILD/bench/bench-provision" --database-url "$URL" --kek "$CERTS/psk-kek.key" \
    --out "$TMP/psk.txt" --count "$MACHINES" --prefix HB- >/dev/null
bench_sql -c "INSERT INTO machines (chip_id, process_category, enterprise_id, keeper_name)
        SELECT identity, 'fusion', 1, 'Keeper' FROM principals WHERE identity LIKE 'HB-%'" >/dev/null
env -u DATABASE_URL "$BUILD/server/weldreg-server" provision --role admin --identity bench-admin \
    --psk-file "$TMP/admin.psk" --config "$TMP/weldreg.conf" >/dev/null 2>&1
env -u DATABASE_URL "$BUILD/server/weldreg-server" serve --config "$TMP/weldreg.conf" 2>"$TMP/server.log" &
BENCH_PIDS+=($!)
bench_wait_ready "$!" "$TMP/server.log" 'event=ready'

heartbeats() { # LABEL: heartbeats at RATE/s from MACHINES machines; prints loadgen's summary
    "$BUILD/bench/loadgen" --server "coaps://127.0.0.1:$PORT" --psk-file "$TMP/psk.txt" \
        --machines "$MACHINES" --mix 100,0,0 --rate "$RATE" --duration "$DURATION" \
        --label "$1" 2>"$TMP/$1.err"
}
figure() { tr ' ' '\n' <"$TMP/$1" | awk -F= -v k="$2" '$1 == k { print $2 }'; }
year_from=$(date -d "$(date +%Y-%m-01) -12 months" +%F)
month_to=$(date -d "$(date +%Y-%m-01) -1 day" +%F)
counts_loop() {
    while :; do
        "$BUILD/tag-reader/weldtag" counts --from "$year_from" --to "$month_to" --csv /dev/null \
            --server "coaps://127.0.0.1:$PORT" --identity bench-admin --psk-file "$TMP/admin.psk" \
            --timeout 120 >/dev/null 2>&1 || true
    done
}

bench_say "heartbeats alone: $RATE/s from $MACHINES machines for $DURATION s"
heartbeats alone >"$TMP/alone"
bench_say "the same while a twelve-month count ($year_from to $month_to) runs in a loop"
counts_loop &
LOOP_PID=$!
BENCH_PIDS+=("$LOOP_PID")
sleep 1
before=$(grep -c 'event=api_request resource="GET v1/counts"' "$TMP/server.log" || true)
heartbeats counts >"$TMP/counts"
after=$(grep -c 'event=api_request resource="GET v1/counts"' "$TMP/server.log" || true)
kill "$LOOP_PID" 2>/dev/null
ms=$(grep 'event=api_request resource="GET v1/counts"' "$TMP/server.log" | tail -n +2 |
    sed -E 's/.* ms=([0-9]+).*/\1/' | sort -n |
    awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)] }' || true)

p_alone=$(figure alone p99_ms)
p_counts=$(figure counts p99_ms)
printf '\nheartbeats while people'"'"'s requests run — %s, %s cores, %s hb/s from %s machines, %s s each\n' \
    "$(date -u +%Y-%m-%dT%H:%MZ)" "$(nproc)" "$RATE" "$MACHINES" "$DURATION"
printf '  heartbeat p99 alone:                    %s ms (p50 %s, answered %s of %s)\n' \
    "$p_alone" "$(figure alone p50_ms)" "$(figure alone answered)" "$(figure alone sent)"
printf '  heartbeat p99 with counts in a loop:    %s ms (p50 %s, answered %s of %s)\n' \
    "$p_counts" "$(figure counts p50_ms)" "$(figure counts answered)" "$(figure counts sent)"
printf '  ratio:                                  %s (target <= 1.5)\n' \
    "$(awk -v a="$p_counts" -v b="$p_alone" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')"
printf '  twelve-month counts answered meanwhile: %s (median %s ms each)\n' \
    "$((after - before))" "${ms:--}"
printf '  heartbeat throughput alone / with counts: %s / %s per s (%s and %s not sent: late)\n' \
    "$(figure alone rps)" "$(figure counts rps)" "$(figure alone skipped)" "$(figure counts skipped)"
