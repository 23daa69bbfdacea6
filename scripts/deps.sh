#!/usr/bin/env bash
# deps.sh — installs the Debian 12 packages that weldreg needs to build, test and run.
# Touches apt only when a package is missing: a machine that has everything is left alone.
#   scripts/deps.sh            install what is missing
#   scripts/deps.sh --check    list what is missing, exit 1 if anything is
set -euo pipefail

# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# Every package a command of README.md or a test needs, named: with --no-install-recommends
# nothing else comes (make and libc6-dev are only Recommends of cmake and gcc). What needs what:
#   clang, libclang-rt-14-dev   fuzz/run.sh (libFuzzer's runtime)
#   clang-format, clang-tidy    the format check and the static checks of ./dev test
#   valgrind              ./dev valgrind, its smoke in ./dev test
#   fonts-urw-base35      ImageMagick's Helvetica, for the label sheets rendered in the tests
#   fonts-droid-fallback  the CJK font (TrueType, Apache-2.0) the label sheets embed a subset of
#   iproute2              ss (free ports), ip netns and tc (the lossy-network fault test)
#   bc                    bench/run.sh's ratios          xxd, procps     the tests' shell checks
#   jq                    the tests that read the API's JSON answers (test-spotcheck)
#   libcurl4-openssl-dev  weldreg-server notices (HTTPS webhooks)
#   python3               the webhook receiver of tests/integration/test-notices.sh
#   pgbackrest            scripts/backup.sh (./dev backup) and test-restore-drill (docs/backup.md)
#   libmicrohttpd-dev     weldreg-web's HTTPS (web/http.c)   libargon2-dev  its password hashes
#   curl                  the web's tests (test-web, test-firstrun) and the command ./dev run prints
#   chromium, nodejs, npm the browser test (test-web-browser: puppeteer-core, tests/browser/);
#                         npm counts as installed when an `npm` command exists (NodeSource's
#                         nodejs ships its own npm and conflicts with Debian's package)
#   prometheus            promtool: test-metrics checks the metrics, the alert rules and their tests
#   systemd               systemd-analyze verify of deploy/systemd's units (test-systemd)
#   faketime              libfaketime: tests/faults/run-clock.sh steps the server's wall clock
#   nginx, libnginx-mod-stream    ./dev cluster's UDP load balancer (scripts/cluster.sh)
#   postgresql-15-auto-failover  pg_autoctl: ./dev cluster's PostgreSQL failover
#   nftables              ./dev cluster: the client host's addresses and the partition fault
#   gnuplot-nox           tests/faults/soak.sh draws memory and latency over the soak
#   zstd                  weldreg-server maintain compresses the archived months (test-lifecycle)
# `./dev cleanroom` installs debootstrap on the host itself: the clean room does not need it.
DEV_PACKAGES=(
    cmake make gcc libc6-dev clang libclang-rt-14-dev clang-format clang-tidy pkg-config
    libcoap3-dev libcoap3-bin libssl-dev libpq-dev libqrencode-dev libpng-dev libjpeg-dev
    libzbar-dev zbar-tools libcmocka-dev fonts-droid-fallback libcurl4-openssl-dev
    libmicrohttpd-dev libargon2-dev curl chromium nodejs npm
    postgresql postgresql-contrib pgbackrest
    poppler-utils imagemagick fonts-urw-base35 valgrind
    iproute2 openssl ca-certificates xxd procps bc python3 jq prometheus systemd faketime
    nginx libnginx-mod-stream postgresql-15-auto-failover nftables
    gnuplot-nox zstd
)

# deps_missing prints, one per line, each package of DEV_PACKAGES that is not installed.
deps_missing() {
    local pkg status
    for pkg in "${DEV_PACKAGES[@]}"; do
        [[ $pkg == npm ]] && command -v npm >/dev/null 2>&1 && continue
        status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
        [[ $status == installed ]] || printf '%s\n' "$pkg"
    done
}

# deps_install installs the missing packages (apt-get update first, only then).
deps_install() {
    command -v dpkg-query >/dev/null 2>&1 || dev_die "dpkg-query not found: weldreg expects Debian 12"
    local missing
    mapfile -t missing < <(deps_missing)
    if ((${#missing[@]} == 0)); then
        dev_say "all Debian packages are installed"
        return 0
    fi
    dev_say "installing ${#missing[@]} Debian packages: ${missing[*]}"
    dev_sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q
    dev_sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        "${missing[@]}"
}

deps_main() {
    case "${1:-install}" in
    install) deps_install ;;
    --check)
        local missing
        missing=$(deps_missing)
        [[ -z $missing ]] || {
            printf '%s\n' "$missing"
            return 1
        }
        ;;
    *) dev_die "usage: scripts/deps.sh [--check]" ;;
    esac
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    deps_main "$@"
fi
