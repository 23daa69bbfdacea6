#!/usr/bin/env bash
# build.sh — configures and builds weldreg with CMake into a build directory of the checkout.
#   scripts/build.sh [DIR [CMAKE_ARGS...]]    default: build/ as RelWithDebInfo
# Reuses an existing build directory: a second run only rebuilds what changed.

# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# build_tree DIR CMAKE_ARGS... configures DIR (relative to the checkout) and builds everything.
build_tree() {
    local dir="$DEV_ROOT/$1"
    shift
    dev_say "building in ${dir#"$DEV_ROOT"/}/ ($*)"
    cmake -S "$DEV_ROOT" -B "$dir" "$@" >"$DEV_VAR/cmake-configure.log" 2>&1 || {
        cat "$DEV_VAR/cmake-configure.log" >&2
        dev_die "cmake could not configure $dir"
    }
    cmake --build "$dir" -j "$(dev_jobs)" || dev_die "the build in $dir failed"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    set -euo pipefail
    mkdir -p "$DEV_VAR"
    build_tree "${1:-build}" "${@:2}" -DCMAKE_BUILD_TYPE=RelWithDebInfo
fi
