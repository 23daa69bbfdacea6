#!/usr/bin/env bash
# pg.sh — the private PostgreSQL cluster of this checkout: data in var/pg, Unix socket only,
# durable (fsync and synchronous_commit on). Run it, or source it and call pg_start.
#   scripts/pg.sh start     initialise if needed, start, wait until ready, print DATABASE_URL
#   scripts/pg.sh stop      stop the cluster (fast shutdown)
#   scripts/pg.sh status    say whether it runs
#   scripts/pg.sh url       print DATABASE_URL (libpq key=value form)
#   scripts/pg.sh psql ...  psql on the weldreg database
# Environment: WELDREG_PG_PORT (default 5432; only names the socket), WELDREG_PG_BINDIR.

# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

PG_PORT=${WELDREG_PG_PORT:-5432}
PG_DBNAME=weldreg
PG_SOCKET_MAX=107 # sizeof(sun_path) - 1

# pg_find_bindir sets PG_BINDIR: Debian's PostgreSQL 15, else the newest one installed.
pg_find_bindir() {
    PG_BINDIR=${WELDREG_PG_BINDIR:-/usr/lib/postgresql/15/bin}
    if [[ ! -x $PG_BINDIR/initdb ]]; then
        PG_BINDIR=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    fi
    [[ -n $PG_BINDIR && -x $PG_BINDIR/initdb ]] ||
        dev_die "PostgreSQL server binaries not found under /usr/lib/postgresql (run scripts/deps.sh)"
}

# pg_find_user sets PG_OS_USER, the OS user that owns and runs the cluster. initdb and
# postgres refuse root, so as root we use the Debian "postgres" user (or make "weldreg").
pg_find_user() {
    if ! dev_is_root; then
        PG_OS_USER=$(id -un)
        return
    fi
    if id -u postgres >/dev/null 2>&1; then
        PG_OS_USER=postgres
    else
        id -u weldreg >/dev/null 2>&1 ||
            useradd --system --no-create-home --shell /usr/sbin/nologin weldreg
        PG_OS_USER=weldreg
    fi
}

# pg_as_user CMD... runs CMD as PG_OS_USER from "/" (it may not be able to read our cwd).
pg_as_user() {
    if dev_is_root; then
        (cd / && runuser -u "$PG_OS_USER" -- "$@")
    else
        (cd / && "$@")
    fi
}

# pg_dir_fits DIR succeeds when DIR can hold the cluster: PG_OS_USER can reach it, the path
# needs no quoting in a conninfo, and the socket path fits in sun_path.
pg_dir_fits() {
    local dir=$1
    local socket="$dir/run/.s.PGSQL.$PG_PORT"
    [[ $dir =~ ^[A-Za-z0-9_./-]+$ ]] || return 1
    ((${#socket} <= PG_SOCKET_MAX)) || return 1
    ! dev_is_root || pg_as_user test -x "$(dirname "$dir")"
}

# pg_make_private_dir DIR creates DIR (mode 0700) owned by PG_OS_USER, refusing one that
# someone else made first (it may sit in the world-writable /var/tmp).
pg_make_private_dir() {
    local dir=$1
    if [[ -e $dir ]]; then
        [[ -d $dir && ! -L $dir && $(stat -c %U "$dir") == "$PG_OS_USER" ]] ||
            dev_die "\"$dir\" exists and is not a directory owned by $PG_OS_USER"
        chmod 0700 "$dir"
    elif dev_is_root; then
        install -d -m 0700 -o "$PG_OS_USER" -g "$(id -gn "$PG_OS_USER")" "$dir"
    else
        install -d -m 0700 "$dir"
    fi
}

# pg_find_dir sets PG_DIR, the real directory behind var/pg. Normally var/pg itself; when the
# cluster's user cannot reach the checkout (e.g. under /root) or the socket path would be too
# long, /var/tmp/weldreg-<hash of the checkout path> with var/pg a symlink to it.
pg_find_dir() {
    local link="$DEV_VAR/pg"
    mkdir -p "$DEV_VAR"
    if [[ -L $link ]]; then
        PG_DIR=$(readlink "$link")
    elif [[ -d $link ]]; then
        PG_DIR=$link
    elif pg_dir_fits "$link"; then
        PG_DIR=$link
    else
        PG_DIR="/var/tmp/weldreg-$(printf '%s' "$DEV_ROOT" | sha256sum | cut -c1-12)"
        dev_say "the cluster lives in $PG_DIR (var/pg links there)"
        ln -s "$PG_DIR" "$link"
    fi
    pg_make_private_dir "$PG_DIR"
    pg_make_private_dir "$PG_DIR/run"
    PG_DATA="$PG_DIR/data"
    PG_SOCKDIR="$PG_DIR/run"
    PG_LOG="$PG_DIR/postgres.log"
}

# pg_setup finds the binaries, the user and the directories; safe to call more than once.
pg_setup() {
    [[ -z ${PG_DATA:-} ]] || return 0
    pg_find_bindir
    pg_find_user
    pg_find_dir
}

# pg_url prints the conninfo of database ${1:-weldreg} in the private cluster.
pg_url() {
    pg_setup
    printf 'host=%s port=%s dbname=%s user=%s\n' "$PG_SOCKDIR" "$PG_PORT" "${1:-$PG_DBNAME}" \
        "$PG_OS_USER"
}

# pg_init_cluster runs initdb once; a half-made data directory (no PG_VERSION) is redone.
pg_init_cluster() {
    [[ ! -s $PG_DATA/PG_VERSION ]] || return 0
    if [[ -e $PG_DATA ]]; then
        dev_warn "removing the incomplete data directory $PG_DATA"
        rm -rf "$PG_DATA"
    fi
    dev_say "initialising the private PostgreSQL cluster in $PG_DATA"
    pg_as_user "$PG_BINDIR/initdb" -D "$PG_DATA" --username="$PG_OS_USER" --auth-local=trust \
        --auth-host=reject --encoding=UTF8 --no-locale >"$PG_DIR/initdb.log" 2>&1 || {
        cat "$PG_DIR/initdb.log" >&2
        dev_die "initdb failed"
    }
    printf "\n# weldreg: settings of the private cluster\ninclude_if_exists = 'weldreg.conf'\n" |
        pg_as_user tee -a "$PG_DATA/postgresql.conf" >/dev/null
}

# pg_write_conf (re)writes data/weldreg.conf, so that a moved checkout or a changed port
# takes effect at the next start.
pg_write_conf() {
    pg_as_user tee "$PG_DATA/weldreg.conf" >/dev/null <<CONF
# Written by scripts/pg.sh at each start; edits here are lost.
listen_addresses = ''
port = $PG_PORT
unix_socket_directories = '$PG_SOCKDIR'
unix_socket_permissions = 0700
max_connections = 100
shared_buffers = 128MB
# Durability is a requirement: a check-in acknowledged to a machine is on disk.
fsync = on
synchronous_commit = on
full_page_writes = on
log_line_prefix = '%m [%p] %q%u@%d '
log_min_duration_statement = 1000
CONF
}

# pg_is_ready succeeds when the cluster accepts connections.
pg_is_ready() {
    "$PG_BINDIR/pg_isready" -q -h "$PG_SOCKDIR" -p "$PG_PORT" -d postgres -U "$PG_OS_USER" \
        >/dev/null 2>&1
}

# pg_pid_is_postmaster PID succeeds when PID is a live postgres process (not a zombie that
# nobody reaped, as happens in containers after a kill -9).
pg_pid_is_postmaster() {
    local pid=$1 state
    [[ $pid =~ ^[0-9]+$ && -r /proc/$pid/status ]] || return 1
    [[ $(cat "/proc/$pid/comm" 2>/dev/null) == postgres ]] || return 1
    state=$(awk '/^State:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
    [[ -n $state && $state != Z && $state != X ]]
}

# pg_clear_stale_pid removes postmaster.pid and the socket lock left by a killed run, which
# would otherwise make postgres refuse to start if their PID has been reused.
pg_clear_stale_pid() {
    local pidfile="$PG_DATA/postmaster.pid"
    [[ -f $pidfile ]] || return 0
    local pid
    pid=$(head -n 1 "$pidfile" 2>/dev/null || true)
    if pg_pid_is_postmaster "$pid"; then
        return 0
    fi
    dev_warn "removing stale $pidfile (process ${pid:-?} is not a running postgres)"
    rm -f "$pidfile" "$PG_SOCKDIR/.s.PGSQL.$PG_PORT" "$PG_SOCKDIR/.s.PGSQL.$PG_PORT.lock"
}

# pg_wait_ready waits up to 60 s for the cluster to accept connections.
pg_wait_ready() {
    local i
    for ((i = 0; i < 120; i++)); do
        pg_is_ready && return 0
        sleep 0.5
    done
    tail -n 30 "$PG_LOG" >&2 || true
    dev_die "PostgreSQL did not become ready within 60 s (log: $PG_LOG)"
}

# pg_create_db NAME creates database NAME unless it exists.
pg_create_db() {
    local name=$1 exists
    exists=$("$PG_BINDIR/psql" -XAtq -d "$(pg_url postgres)" -v ON_ERROR_STOP=1 \
        -c "SELECT 1 FROM pg_database WHERE datname = '$name'")
    if [[ $exists != 1 ]]; then
        dev_say "creating database $name"
        "$PG_BINDIR/psql" -XAtq -d "$(pg_url postgres)" -v ON_ERROR_STOP=1 \
            -c "CREATE DATABASE \"$name\""
    fi
}

# pg_start starts the cluster if needed, creates the weldreg database and exports DATABASE_URL.
pg_start() {
    pg_setup
    pg_init_cluster
    pg_write_conf
    if ! pg_is_ready; then
        pg_clear_stale_pid
        dev_say "starting PostgreSQL (log: $PG_LOG)"
        if ! pg_as_user "$PG_BINDIR/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 -s start; then
            tail -n 30 "$PG_LOG" >&2 || true
            dev_die "could not start PostgreSQL (log: $PG_LOG)"
        fi
    fi
    pg_wait_ready
    pg_create_db "$PG_DBNAME"
    DATABASE_URL=$(pg_url)
    export DATABASE_URL
}

# pg_stop stops the cluster if it runs.
pg_stop() {
    pg_setup
    if [[ -f $PG_DATA/postmaster.pid ]] && pg_pid_is_postmaster "$(head -n 1 "$PG_DATA/postmaster.pid")"; then
        dev_say "stopping PostgreSQL"
        pg_as_user "$PG_BINDIR/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 -s stop
    else
        dev_say "PostgreSQL is not running"
    fi
}

pg_main() {
    local cmd=${1:-}
    shift || true
    case "$cmd" in
    start)
        pg_start
        printf '%s\n' "$DATABASE_URL"
        ;;
    stop) pg_stop ;;
    status)
        pg_setup
        if pg_is_ready; then echo "running: $(pg_url)"; else
            echo "not running"
            return 1
        fi
        ;;
    url) pg_url ;;
    psql)
        pg_setup
        exec "$PG_BINDIR/psql" -X -d "$(pg_url)" "$@"
        ;;
    *) dev_die "usage: scripts/pg.sh start|stop|status|url|psql [ARGS]" ;;
    esac
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    set -euo pipefail
    pg_main "$@"
fi
