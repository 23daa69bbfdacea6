#!/usr/bin/env bash
# valgrind.sh — memcheck over a build without sanitizers: every unit test, then one
# integration test with the server under valgrind (the clients stay native), so leaks and
# invalid accesses in the server's request paths and its shut-down are found too.
#   scripts/valgrind.sh [DIR [INTEGRATION_TEST]]    default: build-valgrind/ and test-badinput
# Expects DATABASE_URL. A definite leak or any memory error fails (but those of other libraries
# listed in scripts/valgrind.supp); the reports are kept in DIR/valgrind/. Exit status: 0 when everything passed, 1 otherwise.

# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

VALGRIND_EXIT=99 # what valgrind exits with when it found something

# valgrind_command LOG prints the valgrind command line that reports into LOG.
valgrind_command() {
    printf '%s ' valgrind --leak-check=full --errors-for-leak-kinds=definite \
        --show-leak-kinds=definite --error-exitcode=$VALGRIND_EXIT \
        --suppressions="$DEV_ROOT/scripts/valgrind.supp" --log-file="$1"
}

# valgrind_units DIR runs the unit tests of DIR under valgrind: every one, or those whose names
# match one of the patterns in VALGRIND_UNITS (e.g. 'test-c* test-server-*').
valgrind_units() {
    local dir=$1 test name failed=0 count=0 pattern tests=() patterns
    read -ra patterns <<<"${VALGRIND_UNITS:-test-*}"
    for pattern in "${patterns[@]}"; do
        tests+=("$dir"/tests/$pattern)
    done
    for test in "${tests[@]}"; do
        [[ -x $test ]] || continue
        name=${test##*/}
        # shellcheck disable=SC2046 # the command is words
        if ! $(valgrind_command "$dir/valgrind/$name.log") "$test" >"$dir/valgrind/$name.out" 2>&1; then
            dev_warn "$name failed under valgrind: see $dir/valgrind/$name.log and .out"
            failed=1
        fi
        count=$((count + 1))
    done
    dev_say "$count unit tests under valgrind: $( ((failed)) && echo failures || echo clean)"
    return $failed
}

# valgrind_integration DIR TEST runs tests/integration/TEST.sh with the server under valgrind;
# the test stops the server and fails unless it exits 0, so a finding fails the test.
valgrind_integration() {
    local dir=$1 test=$2
    dev_say "tests/integration/$test.sh with the server under valgrind"
    if ! WR_SERVER_WRAPPER="$(valgrind_command "$dir/valgrind/server-%p.log")" \
        WR_SERVER_WAIT_S=120 WELDREG_BUILD_DIR="$dir" WELDREG_SOURCE_DIR="$DEV_ROOT" \
        bash "$DEV_ROOT/tests/integration/$test.sh"; then
        dev_warn "$test failed with the server under valgrind: see $dir/valgrind/server-*.log"
        return 1
    fi
    dev_say "$test: the server under valgrind reported nothing ($(ls "$dir"/valgrind/server-*.log))"
}

# valgrind_all DIR [TEST] runs both; DIR is relative to the checkout.
valgrind_all() {
    [[ -n ${DATABASE_URL:-} ]] || dev_die "DATABASE_URL is not set (use ./dev valgrind)"
    local dir="$DEV_ROOT/$1" failed=0
    rm -rf "$dir/valgrind"
    mkdir -p "$dir/valgrind"
    valgrind_units "$dir" || failed=1
    valgrind_integration "$dir" "${2:-test-badinput}" || failed=1
    return $failed
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    set -euo pipefail
    valgrind_all "${1:-build-valgrind}" "${2:-}"
fi
