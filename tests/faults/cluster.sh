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
# The load's machines all stand at one hot-work site (loadgen --site), on one permit for every
# machine and every welder of the load; each machine has a welder of its own, whose code it
# scans (2 % of its check-ins, loadgen --codes-file): every approved scan closes the machine's
# session (superseded) and opens a new one, so machines move between servers with open work
# sessions when the fault moves them.
# Each fault gets a load of its own; its result line gives the check-ins acknowledged, lost and
# duplicated (check-acks.sh), the work sessions opened, the false violations, and recovery_s:
# the longest time one machine of the load went without an answer across the fault (until
# every machine is answered again). Losing the primary must be recovered within 30 s.
# False violations are those the load's own behaviour cannot cause, against its machines:
#   heartbeat_lost, session_overrun  each machine checks in every few milliseconds, in sessions
#                                    renewed by a scan about every second;
#   welder_busy_elsewhere            each welder works on one machine only, their own;
#   code_copied, shared_code         every machine stands at the same place.
# (work_outside_platform, for a machine's events before its first scan, and whatever else the
# load's own events cause, are not counted.)
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

# cf_welders: a welder per machine of the load, trained, with a code of their own issued and
# registered (the "IDENTITY CODE" lines in $WR_TMP/codes.txt), all on one permit for every
# machine at the load's site.
CF_SITE=(36.70 117.05)
cf_welders() {
    local chip cti kid ctis=()
    kid=$(awk '!/^#/ && NF { print $1; exit }' "$WR_CERTS_DIR/trust.list")
    : >"$WR_TMP/codes.txt"
    while read -r chip _; do
        cti=$("$WF_PROVISION" --database-url "$DATABASE_URL" --kek "$WR_CERTS_DIR/psk-kek.key" \
            --out "$WR_TMP/none.psk" --count 0 --signing-key "$WR_CERTS_DIR/signing.key" \
            --code-out "$WR_TMP/code.one") || wr_fail "could not issue $chip's welder's code"
        printf '%s %s\n' "$chip" "$(head -n 1 "$WR_TMP/code.one")" >>"$WR_TMP/codes.txt"
        ctis+=("${cti#cti=}")
    done <"$WR_TMP/machines.psk"
    wr_psql "INSERT INTO welders (name, idcard_hash, idcard_masked, licence_no_hash,
                 licence_no_masked, licence_categories, licence_issued_on, licence_valid_until,
                 licence_review_due)
               SELECT 'Load Welder ' || n, sha256(('wf-id-' || n)::bytea), '370***********123X',
                 sha256(('wf-lic-' || n)::bytea), 'T**************1234', '{fusion}',
                 current_date - 100, current_date + 900, current_date + 900
               FROM generate_series(1, ${#ctis[@]}) AS n;
             INSERT INTO welder_trainings (welder_id, course, completed_on, hours, provider)
               SELECT id, 'Hot work safety', current_date - 30, 16, 'Faults school' FROM welders
               WHERE name LIKE 'Load Welder %';
             INSERT INTO codes (cti, kind, welder_id, kid, expires_at)
               SELECT decode(c.cti, 'hex'), 'welder', w.id, decode('$kid', 'hex'),
                 now() + interval '30 days'
               FROM unnest(string_to_array('${ctis[*]}', ' ')) WITH ORDINALITY AS c(cti, n)
               JOIN welders w ON w.name = 'Load Welder ' || c.n;
             INSERT INTO permits (permit_no, level, enterprise_id, site_address, site_lat,
                 site_lon, site_radius_m, starts_at, ends_at, approver, gas_analysis_at,
                 fire_watch, all_machines)
               VALUES ('WF-P-1', 'second', 1, 'Fault site', ${CF_SITE[0]}, ${CF_SITE[1]}, 100,
                 now() - interval '1 hour', now() + interval '5 hours', 'Safety officer', now(),
                 'Fire Watch', true);
             INSERT INTO permit_welders SELECT p.id, w.id FROM permits p, welders w
               WHERE p.permit_no = 'WF-P-1' AND w.name LIKE 'Load Welder %';" >/dev/null
}
cf_welders

# cf_registry_loaded: every server has loaded the machines (a NOTIFY reloads the registry).
cf_registry_loaded() {
    local name
    for name in "${CL_SERVERS[@]}"; do
        grep -q "event=registry_loaded .*machines=$machines welders=$machines permits=1 " \
            "$CL_DIR/logs/$name.log" || return 1
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

# The kinds of violation the load cannot cause (the header says why).
CF_FALSE_KINDS="'heartbeat_lost', 'session_overrun', 'welder_busy_elsewhere', 'code_copied',
    'shared_code'"

# cf_false_violations SINCE prints "KIND=N ..." for the false violations detected since SINCE
# (Unix time) against the load's machines; nothing if there are none.
cf_false_violations() {
    wr_psql "SELECT coalesce(string_agg(kind || '=' || n, ' '), '') FROM (SELECT v.kind,
             count(*) AS n FROM violations v JOIN machines m ON m.id = v.machine_id
             WHERE v.kind IN ($CF_FALSE_KINDS) AND m.chip_id LIKE 'WF-%'
               AND v.detected_at >= to_timestamp($1) GROUP BY v.kind ORDER BY v.kind) k"
}

# cf_sessions SINCE prints how many work sessions the load's scans opened since SINCE.
cf_sessions() {
    wr_psql "SELECT count(*) FROM work_sessions w JOIN machines m ON m.id = w.machine_id
             WHERE m.chip_id LIKE 'WF-%' AND w.opened_at >= to_timestamp($1)"
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
    local fault=$1 start at recovery false sessions primary=""
    rm -f "$WR_TMP"/acks*
    # a gas analysis at most 30 min old, whatever ran before (a scan is refused otherwise)
    wr_psql "UPDATE permits SET gas_analysis_at = now() WHERE permit_no = 'WF-P-1'" >/dev/null
    start=$(wf_now)
    wf_loadgen_start "$WR_PORT" 600 "$machines" --allow-private --mix 88,10,2 \
        --codes-file "$WR_TMP/codes.txt" --site "${CF_SITE[0]},${CF_SITE[1]}"
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
    sessions=$(cf_sessions "$start")
    wf_result "cluster-$fault" "part=$CF_PART${primary:+ new_primary=$primary} $WF_FIGURES" \
        "sessions=$sessions false_violations=${false:-0} resent=$(wf_loadgen_get retries)" \
        "recovery_s=$recovery"
    [[ -z $false ]] || wr_fail "$fault: false violations: $false"
    ((sessions > 0)) || wr_fail "$fault: the load's scans opened no work session"
    if [[ $fault == primary-* ]]; then
        awk -v r="$recovery" -v l="$primary_limit" 'BEGIN { exit !(r < l) }' ||
            wr_fail "$fault: recovery took $recovery s, more than $primary_limit s"
    fi
}

for fault in "${faults[@]}"; do
    cf_fault "$fault"
done
wr_ok "cluster faults (${faults[*]}): 0 lost, 0 duplicated, 0 false violations"
