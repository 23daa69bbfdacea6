#!/usr/bin/env bash
# run-lossy.sh — check-ins through a network that loses 10 %, duplicates 5 % and reorders 5 %
# of the datagrams, both ways, handshakes included. With sch_netem in the kernel the faults
# come from netem on the loopback of a network namespace this run creates (server and load
# generator run inside it); without it, from tests/faults/lossy-relay between the two (same
# probabilities, seeded). DTLS and CoAP must absorb the faults: nothing acknowledged lost,
# nothing stored twice. Prints the faults injected and the check-ins acknowledged, lost and
# duplicated.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

seconds=$(wf_pick 15 60)
machines=$(wf_pick 20 100)
loss=0.10 dup=0.05 reorder=0.05
WF_NETNS=""
WF_RELAY_PID=""

# wf_netem_usable succeeds when this kernel has sch_netem (tried in a scratch namespace).
wf_netem_usable() {
    local ns="wf-probe-$$" ok=1
    ip netns add "$ns" 2>/dev/null || return 1
    ip netns exec "$ns" tc qdisc add dev lo root netem loss 1% 2>/dev/null && ok=0
    ip netns delete "$ns" 2>/dev/null
    return "$ok"
}

# wf_lossy_cleanup stops the relay or removes the namespace.
wf_lossy_cleanup() {
    [[ -z $WF_RELAY_PID ]] || { kill -TERM "$WF_RELAY_PID" 2>/dev/null; wait "$WF_RELAY_PID"; }
    [[ -z $WF_NETNS ]] || ip netns delete "$WF_NETNS" 2>/dev/null
    true
}
WF_AT_EXIT=wf_lossy_cleanup

wr_db_create faults_lossy
wf_machines "$machines"
if [[ $(id -u) == 0 ]] && wf_netem_usable; then
    method=netem
    WF_NETNS="wf-lossy-$$"
    ip netns add "$WF_NETNS"
    ip netns exec "$WF_NETNS" ip link set lo up
    ip netns exec "$WF_NETNS" tc qdisc add dev lo root netem loss "${loss#0.}%" \
        duplicate "${dup#0.}%" reorder "${reorder#0.}%" delay 10ms
    # the server and the load generator run in the namespace; PostgreSQL is reached through
    # its Unix socket, which namespaces do not separate
    WR_SERVER_BIN_REAL=$WR_SERVER_BIN
    WR_SERVER_BIN="$WR_TMP/server-in-ns"
    printf '#!/bin/sh\nexec ip netns exec %s %s "$@"\n' "$WF_NETNS" "$WR_SERVER_BIN_REAL" \
        >"$WR_SERVER_BIN"
    chmod +x "$WR_SERVER_BIN"
    wr_server_start
    target=$WR_PORT
    WF_CLIENT_WRAP=(ip netns exec "$WF_NETNS")
else
    method=relay
    wr_server_start
    target=$(wr_free_udp_port)
    "$WF_RELAY" --listen "$target" --server "$WR_PORT" --loss "$loss" --dup "$dup" \
        --reorder "$reorder" --seed 42 >"$WR_TMP/relay.out" &
    WF_RELAY_PID=$!
fi
echo "faults from $method: loss $loss, duplication $dup, reordering $reorder"

wf_loadgen_start "$target" "$seconds" "$machines" --timeout 5
wf_loadgen_wait
if [[ $method == relay ]]; then
    kill -TERM "$WF_RELAY_PID"
    wait "$WF_RELAY_PID"
    WF_RELAY_PID=""
    faults=$(cat "$WR_TMP/relay.out")
else
    faults=$(ip netns exec "$WF_NETNS" tc -s qdisc show dev lo | tr '\n' ' ')
fi
echo "faults injected: $faults"
wf_verify after-lossy
wf_result "lossy-$method" "loss=$loss dup=$dup reorder=$reorder $faults $WF_FIGURES" \
    "resent=$(wf_loadgen_get retries) reconnects=$(wf_loadgen_get reconnects)" \
    "p99_ms=$(wf_loadgen_get p99_ms)"
wr_server_stop
wr_ok "loss, duplication and reordering ($method): $WF_FIGURES"
