#!/usr/bin/env bash
# cluster.sh — faults against the cluster of ./dev cluster (scripts/cluster.sh) under the
# benchmark's load, sent through the load balancer from the client host with the ack log on:
#   server-kill    one weldreg-server killed (kill -9), started again
#   server-cut     one server host's network cut (its veth down), restored
#   primary-kill   the PostgreSQL primary's host lost (its pg_autoctl and postgres, kill -9):
#                  pg_auto_failover promotes the standby; the old node rejoins as standby
#   primary-cut    the primary partitioned from the servers, the monitor and the standby (its
#                  veth down): the standby is promoted, the old primary demotes itself
#   lb-restart     nginx stopped and started again
# After each fault weldreg-web (one on each server host, the same multi-host database_url) must
# answer /readyz through the balancer again.
# Each fault gets a load of its own; its result line gives the check-ins acknowledged, lost and
# duplicated (check-acks.sh), the false heartbeat_lost violations (raised against a machine of
# the load, which checks in all the time), and recovery_s: the longest time one machine of the
# load went without an answer across the fault (until every machine is answered again). Losing
# the primary must be recovered within 30 s.
#   tests/faults/cluster.sh [--short] [FAULT...]
# --short (CI) runs primary-kill and server-kill with fewer machines. Needs root and network
# namespaces (exit 77: skipped, with the reason, without them). It builds its own cluster with
# the binaries of WELDREG_BUILD_DIR and removes it at the end (WF_KEEP_CLUSTER=1: leaves it up);
# it refuses to run while one is up.
set -euo pipefail

WF_SHORT=0
faults=()
for arg in "$@"; do
    case "$arg" in
    --short) WF_SHORT=1 ;;
    server-kill | server-cut | primary-kill | primary-cut | lb-restart) faults+=("$arg") ;;
    *) echo "cluster.sh: unknown argument \"$arg\"" >&2 && exit 2 ;;
    esac
done
export WF_SHORT
if [[ $(id -u) -ne 0 ]]; then
    echo "SKIP: the cluster faults need root (network namespaces, veth pairs, a bridge)"
    exit 77
fi
if ! ip netns add wrc-probe 2>/dev/null; then
    echo "SKIP: this kernel or container gives no network namespaces (ip netns add failed)"
    exit 77
fi
if ! probe=$(ip netns exec wrc-probe true 2>&1); then
    ip netns del wrc-probe
    echo "SKIP: commands cannot run in a network namespace here (ip netns exec: $probe)"
    exit 77
fi
ip netns del wrc-probe

DEV_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
export DEV_ROOT WELDREG_CLUSTER_BUILD=${WELDREG_BUILD_DIR:-$DEV_ROOT/build}
# shellcheck source=../../scripts/cluster.sh
source "$DEV_ROOT/scripts/cluster.sh"
if [[ -e $CL_DIR ]] || ip link show "$CL_BRIDGE" >/dev/null 2>&1; then
    echo "FAIL: a cluster is up (var/cluster or $CL_BRIDGE exists): ./dev cluster down first" >&2
    exit 1
fi
DATABASE_URL=$(cl_url)
export DATABASE_URL
WF_AT_EXIT=cl_down
[[ ${WF_KEEP_CLUSTER:-0} != 1 ]] || WF_AT_EXIT="" # leave it up for a look (./dev cluster down)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# the servers take the load generator's closed loop (each machine far past the shipped
# checkin_rate), as every fault run's server does (WR_SERVER_DEFAULTS, lib.sh)
CL_SERVER_EXTRA=$WR_SERVER_DEFAULTS

if ((${#faults[@]} == 0)); then
    read -ra faults <<<"$(wf_pick "primary-kill server-kill" \
        "primary-kill primary-cut server-kill server-cut lb-restart")"
fi
machines=$(wf_pick 30 60)
period=$(wf_pick 5 10) # seconds of load before and after each fault
primary_limit=30       # seconds: losing the primary must be recovered within this

cl_up
# the tools of lib.sh: the cluster's database (the servers' own) and configuration, the load
# through the balancer from the client host; the test's clean-up drops nothing it did not make
# but the database of the cluster it removes anyway
WR_DB_NAME=weldreg
cp "$CL_DIR/s1/weldreg.conf" "$WR_TMP/weldreg.conf"
WR_CERTS_DIR=$CL_DIR/certs
WR_PORT=$CL_COAP_PORT
WF_HOST=$(cl_ip lb)
WF_CLIENT_WRAP=(ip netns exec "$(cl_ns client)")
wf_machines "$machines"

# cf_registry_loaded: every server has loaded the machines (a NOTIFY reloads the registry).
cf_registry_loaded() {
    local name
    for name in "${CL_SERVERS[@]}"; do
        grep -q "event=registry_loaded .*machines=$machines " "$CL_DIR/logs/$name.log" || return 1
    done
}
cl_wait "the registry on every server" 30 cf_registry_loaded

# cf_recovery SINCE NOW prints the longest silence (seconds between two check-ins of one machine
# answered, the later one after SINCE) of the load's machines, or "none" while some machine
# has had no answer in the last 1.5 s before NOW, or NOW is less than 3 s after SINCE (the
# fault has not bitten yet).
cf_recovery() {
    cat "$WR_TMP"/acks* 2>/dev/null | sort -k5,5n |
        awk -v t="$1" -v now="$2" -v n="$machines" '
            { if (($1 in last) && $5 >= t && $5 - last[$1] > gap[$1]) gap[$1] = $5 - last[$1]
              last[$1] = $5 }
            END { worst = 0; fresh = 0
                  for (chip in last) {
                      if (last[chip] >= now - 1.5) fresh++
                      if (gap[chip] > worst) worst = gap[chip] }
                  if (now - t < 3 || fresh < n) print "none"; else printf "%.2f\n", worst }'
}

# cf_await_recovery SINCE SECONDS waits until every machine is answered again (cf_recovery) and
# prints the longest silence; fails after SECONDS.
cf_await_recovery() {
    local i recovery
    for ((i = 0; i < $2 * 2; i++)); do
        recovery=$(cf_recovery "$1" "$(wf_now)")
        [[ $recovery == none ]] || { printf '%s\n' "$recovery"; return 0; }
        sleep 0.5
    done
    wr_fail "some machines had no check-in answered within $2 s"
}

# cf_false_violations SINCE counts heartbeat_lost violations detected since SINCE (Unix time)
# against the load's machines: each of them checks in every few milliseconds, so any is false.
cf_false_violations() {
    wr_psql "SELECT count(*) FROM violations v JOIN machines m ON m.id = v.machine_id
             WHERE v.kind = 'heartbeat_lost' AND m.chip_id LIKE 'WF-%'
               AND v.detected_at >= to_timestamp($1)"
}

# cf_pg_kill NODE kills PostgreSQL node NODE as a lost host would die: its pg_autoctl (the
# process group) and its postmaster with every backend, all with SIGKILL.
cf_pg_kill() {
    local postmaster children
    postmaster=$(head -n 1 "$(cl_pgdata "$1")/postmaster.pid")
    children=$(pgrep -P "$postmaster" | tr '\n' ' ')
    kill -KILL -- "-$(cl_pid "$1")" 2>/dev/null || true
    # shellcheck disable=SC2086 # one process id per word
    kill -KILL "$postmaster" $children 2>/dev/null || true
    rm -f "$CL_DIR/pids/$1.pid"
}

# cf_link NAME up|down sets the host side of host NAME's veth pair: its whole network.
cf_link() {
    ip link set "$(cl_ns "$1")" "$2"
}

cf_pg_healed() {
    cl_pg_settled
}

cf_servers_ready() {
    local name
    for name in "${CL_SERVERS[@]}"; do
        cl_server_ready "$name" && cl_web_ready "$name" || return 1
    done
    cl_web_ready lb && cl_lb_ready
}

# cf_inject FAULT breaks one part (CF_PART: which); cf_heal FAULT repairs it.
cf_inject() {
    case "$1" in
    server-kill)
        CF_PART=s2
        cl_kill s2 KILL
        ;;
    server-cut)
        CF_PART=s3
        cf_link s3 down
        ;;
    primary-kill)
        CF_PART=$(cl_primary)
        cf_pg_kill "$CF_PART"
        ;;
    primary-cut)
        CF_PART=$(cl_primary)
        cf_link "$CF_PART" down
        ;;
    lb-restart)
        CF_PART=lb
        cl_kill lb
        cl_lb_up
        ;;
    esac
}

cf_heal() {
    case "$1" in
    server-kill) cl_server_start s2 ;;
    server-cut) cf_link s3 up ;;
    primary-kill) cl_node_up "$CF_PART" ;;
    primary-cut) cf_link "$CF_PART" up ;;
    lb-restart) ;;
    esac
    cl_wait "the cluster after $1" 180 cf_pg_healed
    cl_wait "the servers after $1" 60 cf_servers_ready
}

# cf_fault FAULT: a load of its own, the fault, the recovery of every machine, the repair, the
# load's figures and an audited change with the audit chain checked.
cf_fault() {
    local fault=$1 start at recovery false primary=""
    rm -f "$WR_TMP"/acks*
    start=$(wf_now)
    wf_loadgen_start "$WR_PORT" 600 "$machines" --allow-private
    sleep "$period"
    at=$(wf_now)
    cf_inject "$fault"
    echo "$fault: $CF_PART at $at"
    recovery=$(cf_await_recovery "$at" 90)
    echo "$fault: every machine answered again; the longest silence of one: $recovery s"
    [[ $fault != primary-* ]] || primary=$(cl_primary)
    cf_heal "$fault"
    sleep "$period"
    wf_finish_load "cluster-$fault"
    false=$(cf_false_violations "$start")
    wf_result "cluster-$fault" "part=$CF_PART${primary:+ new_primary=$primary} $WF_FIGURES" \
        "false_violations=$false resent=$(wf_loadgen_get retries) recovery_s=$recovery"
    ((false == 0)) || wr_fail "$fault: $false false heartbeat_lost violations"
    if [[ $fault == primary-* ]]; then
        awk -v r="$recovery" -v l="$primary_limit" 'BEGIN { exit !(r < l) }' ||
            wr_fail "$fault: recovery took $recovery s, more than $primary_limit s"
    fi
}

for fault in "${faults[@]}"; do
    cf_fault "$fault"
done
wr_ok "cluster faults (${faults[*]}): 0 lost, 0 duplicated, 0 false violations"
