# pg-cluster.sh — a PostgreSQL cluster of the run's own, for the runs that stop, slow down or
# starve the database: made in a temporary directory by scripts/pg.sh and started. Sourced
# before lib.sh (which then makes the run's database in it):
#   source "$(dirname "${BASH_SOURCE[0]}")/pg-cluster.sh" NAME
# sets WF_PG_ROOT, pg.sh's PG_* variables and DATABASE_URL; wf_pg_sql runs SQL on it;
# wf_pg_remove stops it at once and deletes it (the run puts it in WF_AT_EXIT).
# shellcheck shell=bash
WF_SOURCE=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
WF_PG_ROOT=$(mktemp -d "${TMPDIR:-/tmp}/weldreg-${1:?pg-cluster.sh NAME}.XXXXXX")
chmod 0755 "$WF_PG_ROOT" # the cluster's own user lives under it
export WELDREG_PG_PORT=$((6000 + RANDOM % 2000))
# shellcheck source=../../scripts/pg.sh
DEV_ROOT=$WF_PG_ROOT source "$WF_SOURCE/scripts/pg.sh"
pg_start >/dev/null 2>&1 || dev_die "could not start a PostgreSQL cluster in $WF_PG_ROOT"

# wf_pg_sql SQL... runs each SQL on the cluster's postgres database (settings, slots).
wf_pg_sql() {
    local sql args=()
    for sql in "$@"; do args+=(-c "$sql"); done
    psql -XAtq -v ON_ERROR_STOP=1 -d "$(pg_url postgres)" "${args[@]}" >/dev/null
}

# wf_pg_remove stops the run's cluster at once and deletes it.
wf_pg_remove() {
    pg_as_user "$PG_BINDIR/pg_ctl" -D "$PG_DATA" -m immediate -w -s stop >/dev/null 2>&1 || true
    rm -rf "$WF_PG_ROOT" "$PG_DIR"
}
