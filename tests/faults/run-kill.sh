#!/usr/bin/env bash
# run-kill.sh — the server is killed with SIGKILL under load and restarted on the same port
# while the machines retry (same seq, new DTLS session). Nothing acknowledged may be lost,
# nothing stored twice. Prints the kills, the check-ins acknowledged, lost and duplicated,
# the server's start-up time, and the longest time from a restart to the next acknowledged
# check-in (it includes the 3 s a machine waits before it gives a request up).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

kills=$(wf_pick 1 3)
machines=$(wf_pick 20 100)
period=8 # seconds of load before each kill
wr_db_create faults_kill
wf_machines "$machines"
wr_server_start
port=$WR_PORT
wf_loadgen_start "$port" 300 "$machines"

worst=0 slowest=0
for ((k = 1; k <= kills; k++)); do
    sleep "$period"
    wf_admin_change "before-kill-$k"
    kill -KILL "$WR_SERVER_PID"
    wait "$WR_SERVER_PID" 2>/dev/null || true
    WR_SERVER_PID=""
    mv "$WR_SERVER_LOG" "$WR_SERVER_LOG.$k"
    sleep 1 # the machines' requests go unanswered meanwhile
    start=$(wf_now)
    wr_server_start "$port"
    up=$(wf_now)
    startup=$(wf_between "$start" "$up")
    echo "kill $k: the server was ready again $startup s after its start"
    slowest=$(wf_max "$slowest" "$startup")
    recovery=$(wf_await_recovery "$up" 30)
    echo "kill $k: first check-in acknowledged $recovery s after the restart"
    worst=$(wf_max "$worst" "$recovery")
done
wf_finish_load after-kills
wf_result kill-server "faults=$kills $WF_FIGURES resent=$(wf_loadgen_get retries)" \
    "reconnects=$(wf_loadgen_get reconnects) startup_s=$slowest recovery_s=$worst"
wr_server_stop
wr_ok "SIGKILL x$kills under load: $WF_FIGURES"
