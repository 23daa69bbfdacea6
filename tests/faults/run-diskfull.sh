#!/usr/bin/env bash
# run-diskfull.sh — PostgreSQL's WAL disk fills up under load. The run's own cluster has pg_wal
# on a small tmpfs; a filler file takes the free space, so the next WAL segment cannot be made.
# PostgreSQL 15 then PANICs ("could not write to file ... No space left on device") and the
# postmaster ends every connection to recover, which needs WAL space too: if it cannot, it shuts
# down. Meanwhile the server answers 5.03 with Max-Age. Then the space comes back (the filler is
# removed, PostgreSQL started again if it shut down, the slot that held the WAL dropped) and
# the server must recover by itself, with
# 0 acknowledged lost and 0 duplicated. Needs root (mount); skipped otherwise.
set -euo pipefail
if ((EUID != 0)); then
    echo "skip - run-diskfull.sh needs root (it mounts a tmpfs)"
    exit 0
fi
source "$(dirname "${BASH_SOURCE[0]}")/pg-cluster.sh" diskfull
WF_WAL_DIR="$WF_PG_ROOT/wal"

# wf_diskfull_remove stops the cluster, unmounts the WAL's tmpfs and deletes the cluster.
wf_diskfull_remove() {
    pg_as_user "$PG_BINDIR/pg_ctl" -D "$PG_DATA" -m immediate -w -s stop >/dev/null 2>&1 || true
    ! mountpoint -q "$WF_WAL_DIR" || umount "$WF_WAL_DIR"
    wf_pg_remove
}
WF_AT_EXIT=wf_diskfull_remove
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

machines=$(wf_pick 20 100)
max_age=2

# pg_wal moves to a 64 MiB tmpfs: four 16 MiB segments; few are kept in reserve.
wf_pg_sql "ALTER SYSTEM SET min_wal_size = '32MB'" "ALTER SYSTEM SET max_wal_size = '48MB'"
pg_as_user "$PG_BINDIR/pg_ctl" -D "$PG_DATA" -m fast -w -s stop
mkdir "$WF_WAL_DIR"
mount -t tmpfs -o size=64m,mode=0700 weldreg-wal "$WF_WAL_DIR"
chown "$PG_OS_USER:" "$WF_WAL_DIR"
pg_as_user cp -a "$PG_DATA/pg_wal/." "$WF_WAL_DIR/"
rm -rf "$PG_DATA/pg_wal"
pg_as_user ln -s "$WF_WAL_DIR" "$PG_DATA/pg_wal"
pg_as_user "$PG_BINDIR/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 -s start ||
    wr_fail "PostgreSQL did not start with pg_wal on the tmpfs"

wr_db_create faults_diskfull
wf_machines "$machines"
printf 'retry_after_s = %s\n' "$max_age" >"$WR_TMP/server.extra"
wr_server_start
wf_loadgen_start "$WR_PORT" 300 "$machines"
sleep 5

# A replication slot nobody reads keeps every segment from now on (as a stuck replica would),
# so PostgreSQL needs new segment files instead of recycling old ones at its checkpoints; the
# filler takes every free byte of the tmpfs (dd stops at ENOSPC).
wf_pg_sql "SELECT pg_create_physical_replication_slot('wf_stuck', true)"
pg_as_user dd if=/dev/zero of="$WF_WAL_DIR/filler" bs=1M status=none 2>/dev/null || true
filled=$(wf_now)
echo "WAL disk full: $(df -h --output=used,size "$WF_WAL_DIR" | tail -n 1)"
timeout 60 bash -c 'until grep -q event=database_lost "$1"; do sleep 0.5; done' _ \
    "$WR_SERVER_LOG" || wr_fail "the writer did not lose the database within 60 s"
lost_after=$(wf_between "$filled" "$(wf_now)")
echo "the writer lost the database $lost_after s after the disk filled"
panic=$(grep -m 1 -E 'PANIC|No space left' "$PG_LOG" || true)
echo "PostgreSQL said: ${panic:-nothing about it}"
sleep 4
# wf_postmaster_runs succeeds while PostgreSQL's postmaster is alive.
wf_postmaster_runs() {
    [[ -f $PG_DATA/postmaster.pid ]] && pg_pid_is_postmaster "$(head -n 1 "$PG_DATA/postmaster.pid")"
}
shut_down=no
wf_postmaster_runs || shut_down=yes
echo "PostgreSQL shut down: $shut_down; its log:"
sed -n '/PANIC/,$p' "$PG_LOG" | grep -v 'in recovery mode' | cut -c 25- | sed 's/^/  /' |
    head -n 14 || true

rm -f "$WF_WAL_DIR/filler"
freed=$(wf_now)
if [[ $shut_down == yes ]]; then
    pg_as_user "$PG_BINDIR/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 -s start ||
        wr_fail "PostgreSQL did not start again once space was back"
fi
recovery=$(wf_await_recovery "$freed" 60)
wf_pg_sql "SELECT pg_drop_replication_slot('wf_stuck')" # the stuck replica is dealt with
echo "space back: first check-in acknowledged $recovery s later"
wf_finish_load after-diskfull
wf_check_unavailable "$max_age" "while the WAL disk was full"
unavailable=$WF_UNAVAILABLE
wf_result wal-disk-full "machines=$machines lost_db_after_s=$lost_after pg_shut_down=$shut_down" \
    "unavailable_503=$unavailable max_age_s=$max_age $WF_FIGURES recovery_s=$recovery"
wr_server_stop
wr_ok "WAL disk full under load: 5.03 x$unavailable, $WF_FIGURES"
