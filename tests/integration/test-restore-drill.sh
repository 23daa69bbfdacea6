#!/usr/bin/env bash
# test-restore-drill.sh — the restore drill of docs/backup.md: a cluster of its own whose WAL
# pgBackRest archives (scripts/backup.sh, deploy/pgbackrest/), a full backup, check-ins from
# the load generator and audited administrator changes through weldreg-server, an incremental
# backup under load, a target time T, more check-ins and changes after T, then a point-in-time
# restore to T into a fresh cluster. On the restored cluster: every table holds the rows it held
# at T, every check-in acknowledged before T is there and none acknowledged after T, the audit
# chain verifies (`weldtag admin audit-verify`), and `pgbackrest verify` finds the repository
# sound. Prints the backup and restore times (RTO) and how long the last change waited for its
# WAL to reach the repository (RPO).
# WR_DRILL_CHECKINS=N, the measuring form: a full backup of the empty database, then N check-ins
# and N/10 violations of bench-violations' history (the benchmark's data: 10000000), the drill,
# and a second restore to T from that first backup (replaying the history's WAL: the RTO from an
# old backup). The default form has the load's check-ins only, about a minute.
# WR_DRILL_ARCHIVE_TIMEOUT (default 10 s here, 60 s in deploy/) is PostgreSQL's archive_timeout.
set -euo pipefail
drill_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
# shellcheck source=scripts/backup.sh
source "$drill_here/../../scripts/backup.sh"

# Under /tmp, not TMPDIR: the cluster's OS user must reach it, and the socket path stay short.
DRILL=$(mktemp -d /tmp/weldreg-drill.XXXXXX)
chmod 0755 "$DRILL"
bk_use "$DRILL/pgbackrest"
bk_cluster_at "$DRILL/source"
# lib.sh makes the test's database on DATABASE_URL's server: the drill's own cluster
DATABASE_URL=$(pg_url)
export DATABASE_URL

# drill_stop_clusters (at exit, after lib.sh's clean-up) stops the clusters the drill started
# and removes their directory.
drill_stop_clusters() {
    local data
    for data in "$DRILL"/*/data; do
        [[ -f $data/postmaster.pid ]] || continue
        pg_as_user "$PG_BINDIR/pg_ctl" -D "$data" -m immediate -w -s stop >/dev/null 2>&1
    done
    rm -rf "$DRILL"
}
WF_AT_EXIT=drill_stop_clusters
# shellcheck source=tests/faults/lib.sh
source "$drill_here/../faults/lib.sh"

machines=20
archive_timeout=${WR_DRILL_ARCHIVE_TIMEOUT:-10}
fill=${WR_DRILL_CHECKINS:-0}

# drill_seconds COMMAND... runs COMMAND (its output in $WR_TMP/step.out) and prints how many
# seconds it took; fails the test, showing the output, if it fails.
drill_seconds() {
    local start rc=0
    start=$(wf_now)
    "$@" >"$WR_TMP/step.out" 2>&1 || rc=$?
    ((rc == 0)) || { cat "$WR_TMP/step.out" >&2; wr_fail "failed ($rc): $*"; }
    wf_between "$start" "$(wf_now)"
}

# drill_counts prints "table count" for every table of the test's database, by name.
drill_counts() {
    psql -XAtq -v ON_ERROR_STOP=1 -F ' ' -d "$DATABASE_URL" <<'SQL'
SELECT format('SELECT %L, count(*) FROM %I', tablename, tablename)
FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename
\gexec
SQL
}

# drill_load SECONDS TAG: an administrator's change TAG (before the load: under load on a
# shared machine weldtag's handshake can time out), then the load generator for SECONDS; its ack
# log ends in $WR_TMP/acks.TAG.
drill_load() {
    wf_admin_change "$2"
    wf_loadgen_start "$WR_PORT" 300 "$machines"
    sleep "$1"
    wf_loadgen_stop
    mv "$WR_TMP/acks" "$WR_TMP/acks.$2"
}

# drill_restore DIR [OPTIONS...] restores T into a fresh cluster in DIR (bk_restore; OPTIONS go
# to pgbackrest restore), points DATABASE_URL at the test's database there and checks that
# recovery stopped at T and that every table holds the rows it held at T. Sets DRILL_RTO (seconds
# from the restore's start to the promoted cluster) and DRILL_SET (the backup set restored).
drill_restore() {
    local dir=$1 start stop_line redo_from redo_to replay_s replay_mb
    shift
    start=$(wf_now)
    bk_restore "$target" "$dir" "$@" >"$WR_TMP/restore.log" 2>&1 ||
        { cat "$WR_TMP/restore.log" >&2; wr_fail "the restore failed"; }
    DRILL_RTO=$(wf_between "$start" "$(wf_now)")
    DATABASE_URL=$(wr_url_with_db "$(pg_url)" "$WR_DB_NAME")
    DRILL_SET=$(sed -n 's/.*restore backup set \([^,]*\).*/\1/p' "$WR_TMP/restore.log")
    stop_line=$(grep -o 'recovery stopping before .*' "$PG_LOG" | head -n 1) ||
        wr_fail "recovery did not stop at the target (log: $PG_LOG)"
    wr_ok "restored from backup set $DRILL_SET + WAL to T, promoted, in $DRILL_RTO s: $stop_line"
    redo_from=$(sed -n 's/.*redo starts at \([0-9A-F]*\/[0-9A-F]*\).*/\1/p' "$PG_LOG" | head -n 1)
    redo_to=$(sed -n 's/.*redo done at \([0-9A-F]*\/[0-9A-F]*\).*/\1/p' "$PG_LOG" | head -n 1)
    replay_s=$(sed -n 's/.*redo done at .* elapsed: \([0-9.]*\) s.*/\1/p' "$PG_LOG" | head -n 1)
    replay_mb=$(wr_psql "SELECT round(pg_wal_lsn_diff('$redo_to', '$redo_from') / 1048576.0, 1)")
    echo "  WAL replayed: $replay_mb MB ($redo_from to $redo_to) in $replay_s s;" \
        "restored data directory: $(du -sh "$PG_DATA" | cut -f1)"
    drill_counts >"$WR_TMP/counts.restored"
    diff "$WR_TMP/counts.at-t" "$WR_TMP/counts.restored" ||
        wr_fail "the restored tables differ from those at T"
    wr_ok "row counts of $(wc -l <"$WR_TMP/counts.at-t") tables equal those at T" \
        "($(grep '^checkins ' "$WR_TMP/counts.at-t"))"
}

# drill_check_acks TAG: check-acks.sh's figures for the ack log of drill_load TAG against the
# database of DATABASE_URL (exit status 1 when some are lost).
drill_check_acks() {
    "$WF_DIR/check-acks.sh" "$WR_TMP/acks.$1"
}

# --- the source cluster with a migrated database, archiving, (a full backup and the history,)
# a full backup
pg_start
wr_db_create drill
bk_setup "$archive_timeout"
wr_ok "pgBackRest stanza created and checked (archive_timeout = $archive_timeout s)"
oldest_set=""
if ((fill > 0)); then
    empty_s=$(drill_seconds bk_pgbackrest backup --type=full)
    oldest_set=$(sed -n 's/.*new backup label = //p' "$WR_TMP/step.out")
    wr_ok "full backup $oldest_set of the empty database in $empty_s s"
    fill_s=$(drill_seconds "$WELDREG_BUILD_DIR/bench/bench-violations" \
        --database-url "$DATABASE_URL" --checkins "$fill" --violations "$((fill / 10))" \
        --queries 20 --counts-queries 20 --raw-queries 1)
    wr_ok "$(grep '^filled' "$WR_TMP/step.out") (with the queries: $fill_s s)"
fi
wf_machines "$machines"
wr_server_start
port=$WR_PORT
wf_admin_change before-full
echo "database size: $(wr_psql "SELECT pg_size_pretty(pg_database_size(current_database()))")"
full_s=$(drill_seconds bk_pgbackrest backup --type=full)
wr_ok "full backup in $full_s s"

# --- load, an incremental backup while the machines check in, more load
wf_loadgen_start "$port" 300 "$machines"
sleep 3
incr_s=$(drill_seconds bk_pgbackrest backup --type=incr)
wf_loadgen_stop
mv "$WR_TMP/acks" "$WR_TMP/acks.incr"
wr_ok "incremental backup under load in $incr_s s"
drill_load 4 before-t

# --- T: nothing writes (load generator and server stopped), the rows at T are recorded
wr_server_stop
drill_counts >"$WR_TMP/counts.at-t"
target=$(date -u +'%Y-%m-%d %H:%M:%S.%6N+00')
target_unix=$(date -d "$target" +%s.%6N)
echo "target time T: $target"
sleep 1

# --- after T: check-ins and a change that the restore must not bring back
wr_server_start "$port"
drill_load 4 after-t
last_change=$(wf_now)
last_lsn=$(wr_psql "SELECT pg_current_wal_insert_lsn()")
wr_server_stop

# RPO: how long the last change waited until its WAL segment was in the repository, with no
# more writes coming to fill the segment (archive_timeout forces the switch)
segment=$(wr_psql "SELECT pg_walfile_name('$last_lsn')")
for ((i = 0; i < (archive_timeout + 30) * 10; i++)); do
    archived=$(wr_psql "SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver")
    [[ -n $archived && ! $archived < $segment ]] && break
    sleep 0.1
done
[[ -n $archived && ! $archived < $segment ]] ||
    wr_fail "segment $segment not archived within $((archive_timeout + 30)) s (last: $archived)"
rpo_s=$(wf_between "$last_change" "$(wf_now)")
wr_ok "the last change's WAL ($segment) was archived $rpo_s s after it (archive_timeout $archive_timeout s)"

check_s=$(drill_seconds bk_pgbackrest check)
verify_s=$(drill_seconds bk_pgbackrest verify --output=text --verbose)
grep -qx 'status: ok' "$WR_TMP/step.out" || { cat "$WR_TMP/step.out"; wr_fail "verify: not ok"; }
grep -E '^  (archiveId|backup):' "$WR_TMP/step.out"
wr_ok "pgbackrest check ($check_s s) and verify ($verify_s s) passed"
bk_pgbackrest info | grep -E '(full|incr) backup:|backup set size'

# --- the drill: restore to T into a fresh cluster, started on its own socket
drill_restore "$DRILL/restored"
[[ $DRILL_SET == *I ]] || wr_fail "the restore did not start from the incremental backup: $DRILL_SET"
rto_s=$DRILL_RTO

# every check-in acknowledged before T is there; the ack logs are all before T
for tag in incr before-t; do
    late=$(awk -v t="$target_unix" '$5 >= t' "$WR_TMP/acks.$tag" | wc -l)
    ((late == 0)) || wr_fail "$late acknowledgements of acks.$tag are not before T"
    figures=$(drill_check_acks "$tag") || wr_fail "acknowledged before T, missing: $figures"
    wr_ok "acknowledged before T ($tag): $figures"
done
# and none acknowledged after T
figures=$(drill_check_acks after-t) || true
after=$(sed -n 's/.*acknowledged=\([0-9]*\).*/\1/p' <<<"$figures")
missing=$(sed -n 's/.*lost=\([0-9]*\).*/\1/p' <<<"$figures")
((after > 0)) || wr_fail "no check-in was acknowledged after T: $figures"
((missing == after)) || wr_fail "check-ins acknowledged after T came back: $figures"
wr_ok "none of the $after check-ins acknowledged after T is in the restored database"

# the administrators' changes: those before T are there, the one after T is not, and the chain
# of the audit log verifies through the server running on the restored cluster
[[ $(wr_psql "SELECT string_agg(code, ',' ORDER BY id) FROM communities WHERE code LIKE '%-%'") \
    == before-full,before-t ]] || wr_fail "the restored communities are not those of T"
wr_write_config "$WR_TMP/weldreg.conf"
wr_server_start
wf_audit_verify
wr_server_stop
wr_ok "restore drill: full + incremental + WAL to T, RTO $rto_s s, RPO $rpo_s s"

# With a history: the same restore from the full backup taken before it, which replays the
# history's WAL too (the RTO when the last backup is old)
rto_old_s=-
if [[ -n $oldest_set ]]; then
    drill_restore "$DRILL/restored-old" --set="$oldest_set"
    [[ $DRILL_SET == "$oldest_set" ]] || wr_fail "restored $DRILL_SET instead of $oldest_set"
    rto_old_s=$DRILL_RTO
fi
echo "result restore-drill fill=$fill full_s=$full_s incr_s=$incr_s rto_s=$rto_s" \
    "rto_from_oldest_s=$rto_old_s rpo_s=$rpo_s"
