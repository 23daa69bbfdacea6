#!/usr/bin/env bash
# cleanroom.sh — the README's two commands in a fresh Debian 12 root, as a new user meets them:
# debootstrap (minbase, from the archive this machine's apt uses) makes the root, the checkout's
# HEAD is cloned into it, and inside it runs `./dev run` as a smoke test (tests/integration/
# test-firstrun.sh: up, the printed commands answered, a welder's scan, down), then `./dev test`
# in full. Needs root. Everything runs in mount and PID namespaces of its own: the root gets a
# private /dev (tmpfs, a few device nodes, its own devpts and /dev/shm), its own /proc and a
# read-only /sys; nothing of the host is mounted but a package cache (debootstrap's and apt's
# downloads, kept in /var/cache/weldreg-cleanroom between runs). When it ends, every process
# started inside is gone with the PID namespace, the mounts with the mount namespace, and the
# root is deleted.
#   scripts/cleanroom.sh [--keep] [--no-test] [--no-run]
#     --keep     leave the root in /var/tmp for a look (its path is printed)
#     --no-test  only the smoke of `./dev run`      --no-run  only `./dev test`
# Exit status: 0 passed, 1 a command failed inside, 3 the clean room could not be built (not
# root, no namespaces, no debootstrap or archive): .ci/run then runs the tests directly.
set -euo pipefail

# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

CLEANROOM_SUITE=bookworm
CLEANROOM_CACHE=/var/cache/weldreg-cleanroom
CLEANROOM_CANNOT=3

cleanroom_cannot() {
    printf 'cleanroom: cannot build the clean room: %s\n' "$*" >&2
    exit "$CLEANROOM_CANNOT"
}

# cleanroom_mirror SUITE prints the URI from which this machine's apt takes SUITE/main.
cleanroom_mirror() {
    apt-cache policy 2>/dev/null |
        sed -n "s#^ *[0-9]* \\(https\\?://[^ ]*\\) $1/main .*#\\1#p" | head -n 1
}

# cleanroom_sources MIRROR SECURITY_MIRROR: the root's apt sources, as a Debian install has them.
cleanroom_sources() {
    printf 'deb %s %s main\n' "$1" "$CLEANROOM_SUITE"
    printf 'deb %s %s-updates main\n' "$1" "$CLEANROOM_SUITE"
    [[ -z $2 ]] || printf 'deb %s %s-security main\n' "$2" "$CLEANROOM_SUITE"
}

# cleanroom_prepare: the tools on the host (debootstrap is installed if missing).
cleanroom_prepare() {
    dev_is_root || cleanroom_cannot "it needs root (debootstrap, chroot, namespaces)"
    [[ $(. /etc/os-release && echo "${VERSION_CODENAME:-}") == "$CLEANROOM_SUITE" ]] ||
        cleanroom_cannot "this host is not Debian 12 ($CLEANROOM_SUITE)"
    unshare --mount --pid --fork true 2>/dev/null ||
        cleanroom_cannot "no mount and PID namespaces here (unshare failed)"
    if ! command -v debootstrap >/dev/null 2>&1; then
        dev_say "installing debootstrap on the host"
        apt-get update -q >/dev/null 2>&1 || true # a new machine may have no package lists yet
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
            debootstrap >/dev/null || cleanroom_cannot "could not install debootstrap"
    fi
    command -v git >/dev/null 2>&1 || cleanroom_cannot "git is not installed"
}

# cleanroom_bootstrap ROOT: a minbase Debian 12 in ROOT with apt sources and the checkout.
cleanroom_bootstrap() {
    local root=$1 mirror security
    mirror=$(cleanroom_mirror "$CLEANROOM_SUITE")
    if [[ -z $mirror ]]; then # no package lists yet: apt-cache knows no source
        apt-get update -q >/dev/null 2>&1 || true
        mirror=$(cleanroom_mirror "$CLEANROOM_SUITE")
    fi
    security=$(cleanroom_mirror "$CLEANROOM_SUITE-security")
    [[ -n $mirror ]] || cleanroom_cannot "apt has no source for $CLEANROOM_SUITE/main (run apt-get update)"
    mkdir -p "$CLEANROOM_CACHE/debootstrap" "$CLEANROOM_CACHE/apt"
    dev_say "debootstrap --variant=minbase $CLEANROOM_SUITE from $mirror"
    debootstrap --variant=minbase --cache-dir="$CLEANROOM_CACHE/debootstrap" \
        "$CLEANROOM_SUITE" "$root" "$mirror" >"$root.debootstrap.log" 2>&1 || {
        tail -n 20 "$root.debootstrap.log" >&2
        cleanroom_cannot "debootstrap failed (log above)"
    }
    rm -f "$root.debootstrap.log"
    cleanroom_sources "$mirror" "$security" >"$root/etc/apt/sources.list"
    cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
    cleanroom_local_cas "$root"
    git -C "$DEV_ROOT" diff --quiet HEAD 2>/dev/null ||
        dev_warn "the work tree has uncommitted changes: the clean room tests HEAD only"
    git clone --quiet --no-hardlinks "$DEV_ROOT" "$root/root/weldreg"
    dev_say "cloned $(git -C "$root/root/weldreg" log -1 --format='%h %s')"
}

# cleanroom_local_cas ROOT: the certificate authorities this machine's administrator added
# (/usr/local/share/ca-certificates: a network whose HTTPS goes through a proxy that signs with its
# own) are added to the new root too, like its resolv.conf: they belong to the network, not to
# the machine under test. ca-certificates' set-up (deps.sh installs it) puts them in the bundle.
cleanroom_local_cas() {
    local root=$1 added
    added=$(find /usr/local/share/ca-certificates -name '*.crt' 2>/dev/null | wc -l)
    ((added > 0)) || return 0
    mkdir -p "$root/usr/local/share/ca-certificates"
    cp -r /usr/local/share/ca-certificates/. "$root/usr/local/share/ca-certificates/"
    if [[ -x $root/usr/sbin/update-ca-certificates ]]; then
        chroot "$root" /usr/sbin/update-ca-certificates >/dev/null 2>&1 || true
    fi
    dev_say "$added certificate authorities of this machine's network trusted in the clean room"
}

# cleanroom_mount_dev ROOT: a private /dev with the nodes programs expect, on tmpfs.
cleanroom_mount_dev() {
    local dev=$1/dev node
    mount -t tmpfs -o mode=0755,nosuid,size=64m cleanroom-dev "$dev"
    for node in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
        IFS=: read -r name major minor <<<"$node"
        mknod -m 0666 "$dev/$name" c "$major" "$minor"
    done
    mkdir -m 0755 "$dev/pts"
    mkdir -m 1777 "$dev/shm"
    mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 cleanroom-devpts "$dev/pts"
    ln -s pts/ptmx "$dev/ptmx"
    mount -t tmpfs -o mode=1777,nosuid,nodev cleanroom-shm "$dev/shm"
    ln -s /proc/self/fd "$dev/fd"
    ln -s /proc/self/fd/0 "$dev/stdin"
    ln -s /proc/self/fd/1 "$dev/stdout"
    ln -s /proc/self/fd/2 "$dev/stderr"
}

# cleanroom_inside ROOT WHAT...: runs in the new namespaces (PID 1 of its PID namespace).
cleanroom_inside() {
    local root=$1 step rc=0
    shift
    mount --make-rprivate /
    # the root a mount of its own, as / is on a real system: `ip netns exec` (the cluster's
    # faults) makes / a slave mount, which a plain directory cannot be
    mount --bind "$root" "$root"
    mount -t proc -o nosuid,nodev,noexec cleanroom-proc "$root/proc"
    mount -t sysfs -o ro,nosuid,nodev,noexec cleanroom-sys "$root/sys"
    cleanroom_mount_dev "$root"
    mount --bind "$CLEANROOM_CACHE/apt" "$root/var/cache/apt/archives"
    for step in "$@"; do
        local start=$SECONDS
        dev_say "in the clean room: $step"
        env -i HOME=/root LANG=C.UTF-8 TERM=dumb CI="${CI:-}" \
            PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
            chroot "$root" /bin/bash -c "cd /root/weldreg && $step" || rc=1
        dev_say "$step: $((SECONDS - start)) s, $( ((rc)) && echo FAILED || echo passed)"
        ((rc == 0)) || break
    done
    return "$rc"
}

# cleanroom_remove ROOT deletes ROOT, once no mount is left under it.
cleanroom_remove() {
    local root=$1
    if grep -q " $root/" /proc/self/mountinfo; then
        dev_warn "mounts are still under $root: not deleting it"
        return 1
    fi
    rm -rf --one-file-system "$root"
}

cleanroom_main() {
    local keep=0 steps=() run=1 test=1 arg
    for arg in "$@"; do
        case $arg in
        --keep) keep=1 ;;
        --no-test) test=0 ;;
        --no-run) run=0 ;;
        *) dev_die "usage: scripts/cleanroom.sh [--keep] [--no-test] [--no-run]" ;;
        esac
    done
    ((run)) && steps+=("bash tests/integration/test-firstrun.sh")
    ((test)) && steps+=("./dev test")
    cleanroom_prepare
    local root total=$SECONDS rc=0
    root=$(mktemp -d /var/tmp/weldreg-cleanroom.XXXXXX)
    chmod 0755 "$root"
    cleanroom_bootstrap "$root"
    dev_say "fresh Debian 12 root ready in $((SECONDS - total)) s: $root"
    unshare --mount --pid --fork --kill-child -- \
        bash "$DEV_ROOT/scripts/cleanroom.sh" --inside "$root" "${steps[@]}" || rc=1
    dev_say "clean room: $((SECONDS - total)) s in all, $( ((rc)) && echo FAILED || echo passed)"
    if ((keep)); then
        dev_say "kept the root: $root"
    else
        cleanroom_remove "$root"
    fi
    return "$rc"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    if [[ ${1:-} == --inside ]]; then
        shift
        cleanroom_inside "$@"
    else
        cleanroom_main "$@"
    fi
fi
