#!/usr/bin/env bash
# run-pgstop.sh — PostgreSQL is stopped in immediate mode (a crash: no checkpoint, clients cut
# off) under load, left down a few seconds and started again. Meanwhile the server answers 5.03
# with Max-Age and the machines wait that long and resend; once the database is back the
# server reconnects by itself. The run uses a cluster of its own (it must be stopped), made in
# a temporary directory and removed at the end. Prints the stops, the 5.03 answers, the
# check-ins acknowledged, lost and duplicated, and the time from each restart to the next
# acknowledged check-in.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/pg-cluster.sh" pgfault
WF_AT_EXIT=wf_pg_remove
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

stops=$(wf_pick 1 3)
machines=$(wf_pick 20 100)
period=8 # seconds of load before each stop
down=3   # seconds between the stop and the start
max_age=2
wr_db_create faults_pgstop
wf_machines "$machines"
printf 'retry_after_s = %s\n' "$max_age" >"$WR_TMP/server.extra"
wr_server_start
wf_loadgen_start "$WR_PORT" 300 "$machines"

worst=0 longest=0
for ((k = 1; k <= stops; k++)); do
    sleep "$period"
    wf_admin_change "before-stop-$k"
    pg_as_user "$PG_BINDIR/pg_ctl" -D "$PG_DATA" -m immediate -w -s stop ||
        wr_fail "pg_ctl stop -m immediate failed"
    stopped=$(wf_now)
    sleep "$down"
    pg_as_user "$PG_BINDIR/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 -s start ||
        wr_fail "PostgreSQL did not start again"
    up=$(wf_now)
    outage=$(wf_between "$stopped" "$up")
    echo "stop $k: PostgreSQL down for $outage s (pg_ctl start included)"
    longest=$(wf_max "$longest" "$outage")
    recovery=$(wf_await_recovery "$up" 30)
    echo "stop $k: first check-in acknowledged $recovery s after PostgreSQL was back"
    worst=$(wf_max "$worst" "$recovery")
done
wf_finish_load after-stops
wf_check_unavailable "$max_age" "while the database was down"
unavailable=$WF_UNAVAILABLE
grep -q 'event=database_reconnected' "$WR_SERVER_LOG" || wr_fail "no database_reconnected logged"
wf_result pg-immediate-stop "faults=$stops down_s=$longest unavailable_503=$unavailable" \
    "max_age_s=$max_age $WF_FIGURES resent=$(wf_loadgen_get retries) recovery_s=$worst"
wr_server_stop
wr_ok "PostgreSQL stopped x$stops under load: 5.03 x$unavailable, $WF_FIGURES"
