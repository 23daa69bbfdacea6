# common.sh — helpers sourced by ./dev and scripts/*.sh: the checkout's paths, messages, and
# running a command as an unprivileged user when we are root.
# Sourcing it twice is harmless; it defines functions and variables only.
# shellcheck shell=bash

DEV_ROOT=${DEV_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)}
export DEV_VAR="$DEV_ROOT/var"

# dev_say MSG... prints a progress line on stderr (stdout stays free for values).
dev_say() {
    printf '==> %s\n' "$*" >&2
}

# dev_warn MSG... prints a warning on stderr.
dev_warn() {
    printf 'warning: %s\n' "$*" >&2
}

# dev_die MSG... prints an error on stderr and exits 1.
dev_die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

# dev_conf_keys DIR prints the configuration lines naming the keys and certificates that
# certs/mkcerts.sh made in DIR: ./dev run, the tests and the cluster write them alike.
dev_conf_keys() {
    cat <<CONF
cert_file = $1/server.crt
key_file = $1/server.key
ca_file = $1/ca.crt
psk_kek_file = $1/psk-kek.key
pii_key_file = $1/pii.key
trust_list_file = $1/trust.list
signing_key_file = $1/signing.key
CONF
}

# dev_is_root succeeds when this process runs as root.
dev_is_root() {
    [[ $(id -u) -eq 0 ]]
}

# dev_sudo CMD... runs CMD as root: directly when we are root, else through sudo.
dev_sudo() {
    if dev_is_root; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        dev_die "this step needs root and sudo is not installed: $*"
    fi
}

# dev_jobs prints how many parallel build jobs to use.
dev_jobs() {
    nproc 2>/dev/null || echo 2
}
