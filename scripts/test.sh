#!/usr/bin/env bash
# test.sh — runs every test of a build directory (unit, fuzz-corpus replay, integration),
# checks the formatting of all C sources, and runs the benchmark once, briefly, as a check that
# it still works end to end. Expects DATABASE_URL to name a reachable server.
#   scripts/test.sh [DIR]    default: build-asan/
# Exit status: 0 when everything passed, 1 otherwise.

# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# test_c_sources prints every .c and .h file of the project (not build trees, not var/).
test_c_sources() {
    (cd "$DEV_ROOT" && find . \( -path './build*' -o -path ./var -o -path ./.git \) -prune \
        -o -type f \( -name '*.c' -o -name '*.h' \) -print | sed 's#^\./##' | sort)
}

# test_format checks every C file against .clang-format without changing anything.
test_format() {
    local files
    mapfile -t files < <(test_c_sources)
    dev_say "checking the format of ${#files[@]} C files (clang-format)"
    ((${#files[@]} > 0)) || return 0
    if ! (cd "$DEV_ROOT" && clang-format --dry-run --Werror "${files[@]}"); then
        dev_warn "clang-format found differences: run clang-format -i on the files above"
        return 1
    fi
}

# test_tidy DIR runs clang-tidy (.clang-tidy: the analyzer, bugprone-*, cert-*) over the sources
# of core/, server/, web/ and tag-reader/ with DIR's compile commands; any finding fails it.
test_tidy() {
    local files
    mapfile -t files < <(cd "$DEV_ROOT" && git ls-files 'core/*.c' 'server/*.c' 'tag-reader/*.c' 'web/*.c' 2>/dev/null ||
        find core server tag-reader web -name '*.c' | sort)
    dev_say "clang-tidy over ${#files[@]} files of core/, server/, web/ and tag-reader/"
    if ! (cd "$DEV_ROOT" && clang-tidy -p "$1" --quiet "${files[@]}" 2>/dev/null |
        grep -E -A3 '(warning|error): '); then
        return 0
    fi
    dev_warn "clang-tidy found the problems above"
    return 1
}

# test_ctest DIR runs every test that CMake registered in DIR.
test_ctest() {
    local dir="$DEV_ROOT/$1"
    dev_say "running the tests of ${dir#"$DEV_ROOT"/}/ (DATABASE_URL=$DATABASE_URL)"
    # sanitizers: any report fails the test, with a stack trace
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
    ctest --test-dir "$dir" --output-on-failure -j "$(dev_jobs)"
}

# test_bench runs bench/run.sh --quick with 1-s loads and its checks: every load completes,
# every check-in weldreg acknowledged is in the database, every figure is in the table. The
# figures of a run beside other work mean nothing; docs/performance.md has the real ones.
test_bench() {
    dev_say "running the benchmark once, briefly (bench/run.sh --quick --duration 1 --check)"
    "$DEV_ROOT/bench/run.sh" --quick --duration 1 --check
}

# test_fuzz runs the README's fuzzing command briefly: every libFuzzer target, built with clang,
# for TEST_FUZZ_SECONDS (default 5) each on its seed corpus. A crash fails it.
test_fuzz() {
    local seconds=${TEST_FUZZ_SECONDS:-5}
    dev_say "fuzzing every target for $seconds s (fuzz/run.sh $seconds)"
    "$DEV_ROOT/fuzz/run.sh" "$seconds"
}

# test_valgrind DIR runs the README's valgrind pass on a subset: the unit tests of the core and
# the server under memcheck, and test-checkin with the server under valgrind (./dev valgrind
# runs every unit test and the whole bad-input catalogue).
test_valgrind() {
    dev_say "valgrind on a subset (./dev valgrind runs it all)"
    VALGRIND_UNITS='test-c* test-server-*' valgrind_all "$1" test-checkin
}

# test_all DIR [VALGRIND_DIR] runs the format check, the benchmark's smoke run, the fuzz
# targets briefly, valgrind on a subset when VALGRIND_DIR (a build without sanitizers) is given,
# then the tests (so ctest's summary is the last output).
test_all() {
    [[ -n ${DATABASE_URL:-} ]] || dev_die "DATABASE_URL is not set (use ./dev test)"
    local failed=0
    test_format || failed=1
    test_tidy "$DEV_ROOT/$1" || failed=1
    test_bench || failed=1
    test_fuzz || failed=1
    if [[ -n ${2:-} ]]; then
        test_valgrind "$2" || failed=1
    fi
    test_ctest "$1" || failed=1
    if ((failed)); then
        dev_warn "some checks failed"
        return 1
    fi
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    set -euo pipefail
    test_all "${1:-build-asan}"
fi
