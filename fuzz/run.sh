#!/usr/bin/env bash
# fuzz/run.sh SECONDS [TARGET...] — builds the libFuzzer targets with clang (-fsanitize=fuzzer,
# address,undefined; CMake option WELDREG_FUZZ) in build-fuzz/, runs each for SECONDS on a copy
# of its seed corpus fuzz/corpus/TARGET/, and prints one line per target: executions, exec/s,
# corpus size at the end, crashes. TARGET is the part after "fuzz-" (checkin, coap-request...);
# without any, every target runs. Exits 1 if any target crashed; the crashing inputs stay in
# build-fuzz/runs/<time>/<target>/crashes/, the log next to them.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
build=$root/build-fuzz

usage() {
    echo "usage: fuzz/run.sh SECONDS [TARGET...]" >&2
    exit 2
}

[[ ${1:-} =~ ^[1-9][0-9]*$ ]] || usage
seconds=$1
shift
targets=("$@")
if ((${#targets[@]} == 0)); then
    for source in "$root"/fuzz/fuzz-*.c; do
        name=${source##*/fuzz-}
        targets+=("${name%.c}")
    done
fi
for target in "${targets[@]}"; do
    [[ -f $root/fuzz/fuzz-$target.c && -d $root/fuzz/corpus/$target ]] || {
        echo "fuzz/run.sh: no target \"$target\" (fuzz/fuzz-$target.c and fuzz/corpus/$target/)" >&2
        exit 2
    }
done

mkdir -p "$build"
CC=clang cmake -S "$root" -B "$build" -DWELDREG_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    >"$build/configure.log" 2>&1 || {
    cat "$build/configure.log" >&2
    exit 1
}
cmake --build "$build" -j2 --target "${targets[@]/#/fuzz-}" >/dev/null

runs=$build/runs/$(date -u +%Y%m%dT%H%M%SZ)
crashed=0
# "stat::name: value" from libFuzzer's final statistics
final_stat() { sed -n "s/^stat::$1: *//p" "$2" | tail -n 1; }

printf '%-15s %12s %9s %8s %8s\n' target executions exec/s corpus crashes
for target in "${targets[@]}"; do
    dir=$runs/$target
    mkdir -p "$dir/crashes"
    cp -r "$root/fuzz/corpus/$target" "$dir/corpus"
    status=0
    "$build/fuzz/fuzz-$target" -max_total_time="$seconds" -print_final_stats=1 \
        -artifact_prefix="$dir/crashes/" "$dir/corpus" >"$dir/log" 2>&1 || status=$?
    crashes=$(find "$dir/crashes" -type f | wc -l)
    if ((status != 0 && crashes == 0)); then
        crashes=1 # stopped without leaving an input (killed, out of memory): see the log
    fi
    ((crashes == 0)) || crashed=1
    printf '%-15s %12s %9s %8s %8s\n' "$target" "$(final_stat number_of_executed_units "$dir/log")" \
        "$(final_stat average_exec_per_sec "$dir/log")" "$(find "$dir/corpus" -type f | wc -l)" \
        "$crashes"
done
if ((crashed)); then
    echo "crashes: the inputs and logs are in $runs/<target>/" >&2
    exit 1
fi
