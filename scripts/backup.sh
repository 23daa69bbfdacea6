#!/usr/bin/env bash
# backup.sh — backups of weldreg's PostgreSQL with pgBackRest: WAL archived continuously, full,
# differential and incremental backups, point-in-time restore into a fresh cluster. Run on the
# private cluster of this checkout (scripts/pg.sh), or source it and call the bk_ functions on
# another cluster (tests/integration/test-restore-drill.sh). docs/backup.md explains it.
#   scripts/backup.sh setup               archive the cluster's WAL into var/pg/pgbackrest/repo
#                                         (restarts PostgreSQL), create the stanza, check it
#   scripts/backup.sh full|diff|incr      take a backup of that type
#   scripts/backup.sh info|check|verify   pgBackRest's report, archive check, repository check
#   scripts/backup.sh restore TIME DIR    restore the state at TIME ("2026-12-05 01:02:03+00")
#                                         into a new cluster in DIR (DIR/data, socket in DIR/run),
#                                         start it and print its DATABASE_URL
# The pgBackRest and PostgreSQL settings come from deploy/pgbackrest/, with this checkout's paths.

# shellcheck source=scripts/pg.sh
source "$(dirname "${BASH_SOURCE[0]}")/pg.sh"

BK_STANZA=weldreg
BK_EXAMPLES="$(cd "$(dirname "${BASH_SOURCE[0]}")/../deploy/pgbackrest" && pwd -P)"

# bk_use DIR: pgBackRest's files live under DIR (made on first use): the configuration
# DIR/pgbackrest.conf, the repository DIR/repo, its spool, log and lock directories.
bk_use() {
    BK_DIR=$1
    BK_CONF="$BK_DIR/pgbackrest.conf"
}

# bk_cluster_at DIR: the pg.sh functions (pg_start, pg_stop, pg_url ...) now act on the cluster
# in DIR, laid out as scripts/pg.sh lays out var/pg: DIR/data, DIR/run (socket), DIR/postgres.log.
bk_cluster_at() {
    pg_find_bindir
    pg_find_user
    PG_DIR=$1
    pg_make_private_dir "$PG_DIR"
    pg_make_private_dir "$PG_DIR/run"
    PG_DATA="$PG_DIR/data"
    PG_SOCKDIR="$PG_DIR/run"
    PG_LOG="$PG_DIR/postgres.log"
}

# bk_write_conf writes BK_CONF: deploy/pgbackrest/pgbackrest.conf with the paths of BK_DIR and
# of the current cluster (PG_DATA, PG_SOCKDIR, PG_PORT).
bk_write_conf() {
    command -v pgbackrest >/dev/null 2>&1 || dev_die "pgbackrest is not installed (scripts/deps.sh)"
    local sub
    for sub in "" repo spool log lock; do
        pg_make_private_dir "$BK_DIR${sub:+/$sub}"
    done
    sed -e "s#^repo1-path=.*#repo1-path=$BK_DIR/repo#" \
        -e "s#^spool-path=.*#spool-path=$BK_DIR/spool#" \
        -e "s#^log-path=.*#log-path=$BK_DIR/log#" \
        -e "s#^lock-path=.*#lock-path=$BK_DIR/lock#" \
        -e "s#^pg1-path=.*#pg1-path=$PG_DATA#" \
        -e "s#^pg1-socket-path=.*#pg1-socket-path=$PG_SOCKDIR#" \
        -e "s#^pg1-port=.*#pg1-port=$PG_PORT#" \
        "$BK_EXAMPLES/pgbackrest.conf" | pg_as_user tee "$BK_CONF" >/dev/null
}

# bk_archive_conf SECONDS writes PG_DATA/backup.conf (deploy/pgbackrest/postgresql-archive.conf
# with BK_CONF and archive_timeout = SECONDS) and includes it from postgresql.conf, once.
bk_archive_conf() {
    sed -e "s#--config=[^ ]*#--config=$BK_CONF#" \
        -e "s#^archive_timeout = .*#archive_timeout = $1#" \
        "$BK_EXAMPLES/postgresql-archive.conf" | pg_as_user tee "$PG_DATA/backup.conf" >/dev/null
    grep -qx "include_if_exists = 'backup.conf'" "$PG_DATA/postgresql.conf" ||
        printf "\n# scripts/backup.sh: WAL archiving\ninclude_if_exists = 'backup.conf'\n" |
        pg_as_user tee -a "$PG_DATA/postgresql.conf" >/dev/null
}

# bk_pgbackrest ARGS... runs pgbackrest on the stanza as the cluster's OS user (it reads and
# writes the cluster's files, and PostgreSQL's archive_command runs as that user too).
bk_pgbackrest() {
    pg_as_user pgbackrest --config="$BK_CONF" --stanza="$BK_STANZA" "$@"
}

# bk_setup SECONDS: archiving on for the current (running) cluster with archive_timeout =
# SECONDS, PostgreSQL restarted to take it, the stanza created and checked (check forces a WAL
# switch and waits until that segment is in the repository).
bk_setup() {
    bk_write_conf
    bk_archive_conf "$1"
    dev_say "restarting PostgreSQL with WAL archiving (log: $PG_LOG)"
    pg_as_user "$PG_BINDIR/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 -s restart ||
        dev_die "PostgreSQL did not restart (log: $PG_LOG)"
    pg_wait_ready
    bk_pgbackrest stanza-create >/dev/null || dev_die "pgbackrest stanza-create failed"
    bk_pgbackrest check >/dev/null || dev_die "pgbackrest check failed"
}

# bk_restore TIME DIR [OPTIONS...] restores the stanza's state at TIME into a new cluster in DIR
# (OPTIONS go to pgbackrest restore, e.g. --set=LABEL to start from an older backup), starts it
# (settings of scripts/pg.sh, socket in DIR/run) and waits until it has replayed the WAL up to
# TIME and been promoted. Recovery stops before the first transaction committed after TIME.
# The copy does not archive: its WAL must not go into the repository of the cluster it came
# from. Afterwards the pg.sh functions act on the new cluster.
bk_restore() {
    local target=$1
    bk_cluster_at "$2"
    shift 2
    [[ ! -e $PG_DATA ]] || dev_die "$PG_DATA exists: restore into a new directory"
    pg_make_private_dir "$PG_DATA"
    bk_pgbackrest restore --pg1-path="$PG_DATA" --type=time --target="$target" \
        --target-action=promote "$@" >&2 || dev_die "pgbackrest restore failed"
    printf '# scripts/backup.sh restore: a restored copy does not archive\narchive_mode = off\n' |
        pg_as_user tee "$PG_DATA/backup.conf" >/dev/null
    pg_write_conf
    pg_as_user "$PG_BINDIR/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 600 -s start ||
        { tail -n 30 "$PG_LOG" >&2; dev_die "the restored cluster did not start (log: $PG_LOG)"; }
    bk_wait_promoted
}

# bk_wait_promoted waits (up to 10 minutes) until the current cluster has left recovery.
bk_wait_promoted() {
    local i state
    for ((i = 0; i < 1200; i++)); do
        state=$("$PG_BINDIR/psql" -XAtq -d "$(pg_url postgres)" -c 'SELECT pg_is_in_recovery()' \
            2>/dev/null || true)
        [[ $state == f ]] && return 0
        sleep 0.5
    done
    tail -n 30 "$PG_LOG" >&2
    dev_die "the restored cluster was still recovering after 10 minutes (log: $PG_LOG)"
}

bk_main() {
    local cmd=${1:-}
    shift || true
    pg_setup
    bk_use "$PG_DIR/pgbackrest"
    case "$cmd" in
    setup)
        pg_start
        bk_setup 60
        dev_say "WAL is archived into $BK_DIR/repo; take a first backup: ./dev backup full"
        ;;
    full | diff | incr) bk_pgbackrest backup --type="$cmd" "$@" ;;
    info | check | verify) bk_pgbackrest "$cmd" "$@" ;;
    restore)
        [[ $# -eq 2 ]] || dev_die "usage: scripts/backup.sh restore TIME DIR"
        bk_restore "$1" "$2"
        local as_user=""
        ! dev_is_root || as_user="runuser -u $PG_OS_USER -- "
        dev_say "the restored cluster runs in $2; stop it: $as_user$PG_BINDIR/pg_ctl -D $PG_DATA stop"
        pg_url
        ;;
    *) dev_die "usage: scripts/backup.sh setup|full|diff|incr|info|check|verify|restore TIME DIR" ;;
    esac
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    set -euo pipefail
    bk_main "$@"
fi
