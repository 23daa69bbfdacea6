#!/usr/bin/env bash
# fuzz/run.sh — builds the libFuzzer targets with clang (-fsanitize=fuzzer,address,undefined;
# CMake option WELDREG_FUZZ) in build-fuzz/ and runs them, each with its dictionaries
# (fuzz/dict/*.dict, listed per target below), on a copy of its corpus fuzz/corpus/TARGET/.
#
#   fuzz/run.sh SECONDS [TARGET...]     the short run of ./dev test: SECONDS a target, the corpus
#                                       in the repository is left as it is
#   fuzz/run.sh [--hours N | --seconds N] [--execs N] [--parallel P] [--no-merge] [TARGET...]
#                                       fuzzing to depth: each target runs until it has done N
#                                       executions or for N hours/seconds, whichever comes first;
#                                       P targets at a time (default 1); then what it found is
#                                       merged into fuzz/corpus/TARGET/ (below)
#
# TARGET is the part after "fuzz-" (checkin, coap-request...); without any, every target runs.
# Prints one line per target (executions, exec/s, seconds, corpus before and after, crashes) and
# writes the same table to build-fuzz/runs/<time>/summary.txt. Exits 1 if any target crashed;
# the crashing inputs stay in build-fuzz/runs/<time>/<target>/crashes/, the log next to them.
#
# Merging keeps the corpora small: the named seeds (any file whose name is not a 40-digit SHA-1,
# such as the regression inputs) are always kept; of the rest — the corpus's earlier finds and
# this run's — libFuzzer's -merge=1 keeps only the inputs that add coverage, into a temporary
# directory that then replaces the corpus.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
build=$root/build-fuzz

usage() {
    echo "usage: fuzz/run.sh SECONDS [TARGET...]" >&2
    echo "       fuzz/run.sh [--hours N | --seconds N] [--execs N] [--parallel P] [--no-merge]" \
        "[TARGET...]" >&2
    exit 2
}

# The dictionaries of each target (fuzz/dict/NAME.dict, written by fuzz/dict/make.py).
dicts_of() {
    case $1 in
    base45) echo code ;;
    cbor | checkin) echo cbor ;;
    code | codemsg) echo code cbor ;;
    coap-request) echo coap cbor json ;;
    json) echo json ;;
    *) ;;
    esac
}

seconds=0 execs=0 parallel=1 merge=0
number() { [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || usage; }
if [[ ${1:-} =~ ^[1-9][0-9]*$ ]]; then
    seconds=$1
    shift
else
    merge=1
    while [[ ${1:-} == --* ]]; do
        if [[ $1 == --no-merge ]]; then
            merge=0
            shift
            continue
        fi
        number "$1" "${2:-}"
        case $1 in
        --hours) seconds=$(($2 * 3600)) ;;
        --seconds) seconds=$2 ;;
        --execs) execs=$2 ;;
        --parallel) parallel=$2 ;;
        *) usage ;;
        esac
        shift 2
    done
    ((seconds > 0 || execs > 0)) || usage
fi
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
mkdir -p "$runs"
# "stat::name: value" from libFuzzer's final statistics
final_stat() { sed -n "s/^stat::$1: *//p" "$2" | tail -n 1; }
is_hash_name() { [[ ${1##*/} =~ ^[0-9a-f]{40}$ ]]; }

# merge_corpus TARGET DIR: the named seeds, then what of the rest adds coverage, replace the corpus.
merge_corpus() {
    local target=$1 dir=$2 corpus=$root/fuzz/corpus/$1 file
    mkdir -p "$dir/merged" "$dir/finds"
    for file in "$corpus"/* "$dir/corpus"/*; do
        if is_hash_name "$file"; then
            cp "$file" "$dir/finds/"
        elif [[ $file == "$corpus"/* ]]; then
            cp "$file" "$dir/merged/"
        fi
    done
    "$build/fuzz/fuzz-$target" -merge=1 "$dir/merged" "$dir/finds" >"$dir/merge.log" 2>&1 || return 1
    rm -rf "$corpus.merging"
    cp -r "$dir/merged" "$corpus.merging"
    rm -rf "$corpus"
    mv "$corpus.merging" "$corpus"
}

# run_target TARGET: one line of the table in $runs/TARGET/row; status 1 if it crashed.
run_target() {
    local target=$1 dir=$runs/$1 status=0 crashes started elapsed name units
    local options=(-print_final_stats=1 -artifact_prefix="$dir/crashes/")
    mkdir -p "$dir/crashes"
    cp -r "$root/fuzz/corpus/$target" "$dir/corpus"
    for name in $(dicts_of "$target"); do
        cat "$root/fuzz/dict/$name.dict" >>"$dir/dict"
    done
    [[ ! -f $dir/dict ]] || options+=(-dict="$dir/dict")
    ((seconds == 0)) || options+=(-max_total_time="$seconds")
    ((execs == 0)) || options+=(-runs="$execs")
    started=$(date +%s%N)
    "$build/fuzz/fuzz-$target" "${options[@]}" "$dir/corpus" >"$dir/log" 2>&1 || status=$?
    elapsed=$((($(date +%s%N) - started) / 1000000)) # ms
    crashes=$(find "$dir/crashes" -type f | wc -l)
    if ((status != 0 && crashes == 0)); then
        crashes=1 # stopped without leaving an input (killed, out of memory): see the log
    fi
    local before after
    before=$(find "$root/fuzz/corpus/$target" -type f | wc -l)
    after=$(find "$dir/corpus" -type f | wc -l)
    if ((merge && crashes == 0)); then
        merge_corpus "$target" "$dir" || crashes=1
        after=$(find "$root/fuzz/corpus/$target" -type f | wc -l)
    fi
    units=$(final_stat number_of_executed_units "$dir/log")
    # exec/s over the whole run, start-up included (libFuzzer's own figure is whole seconds)
    printf '%-15s %12s %9s %8s %8s %8s %8s\n' "$target" "${units:--}" \
        "$((${units:-0} * 1000 / (elapsed + 1)))" "$((elapsed / 1000))" "$before" "$after" \
        "$crashes" | tee "$dir/row"
    ((crashes == 0))
}

header=$(printf '%-15s %12s %9s %8s %8s %8s %8s' target executions exec/s seconds before after \
    crashes)
echo "$header"
pids=()
for target in "${targets[@]}"; do
    while ((${#pids[@]} >= parallel)); do
        wait -n || true
        for i in "${!pids[@]}"; do
            kill -0 "${pids[i]}" 2>/dev/null || unset "pids[i]"
        done
    done
    run_target "$target" &
    pids+=($!)
done
wait || true
crashed=0
{
    echo "$header"
    for target in "${targets[@]}"; do
        if [[ -f $runs/$target/row ]]; then
            cat "$runs/$target/row"
        else
            printf '%-15s %12s %9s %8s %8s %8s %8s\n' "$target" - - - - - 1
        fi
    done
} >"$runs/summary.txt"
awk 'NR > 1 && $7 != 0 { bad = 1 } END { exit bad }' "$runs/summary.txt" || crashed=1
if ((crashed)); then
    echo "crashes: the inputs and logs are in $runs/<target>/" >&2
    exit 1
fi
echo "summary: $runs/summary.txt"
