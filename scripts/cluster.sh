#!/usr/bin/env bash
# cluster.sh — weldreg as a county would run it, built on this machine in network namespaces
# (docs/deployment.md): a load balancer (nginx's stream module: UDP for the machines, TCP for
# the people's HTTPS), three server hosts (weldreg-server and weldreg-web on each), two
# PostgreSQL nodes kept by pg_auto_failover with its monitor, and a client host for the machines.
#   scripts/cluster.sh up       build what is missing and start what is stopped (idempotent)
#   scripts/cluster.sh down     stop everything, remove the namespaces and var/cluster
#   scripts/cluster.sh status   each part: primary/standby, sync state, servers ready, LB up
#   scripts/cluster.sh url      print the servers' database conninfo (multi-host)
# Needs root (namespaces, veth pairs, a bridge); every engine runs as an unprivileged user:
# PostgreSQL and pg_autoctl as "postgres", weldreg-server and nginx as "weldreg".
# Environment: WELDREG_CLUSTER_NET (default 10.88.0: the /24 of the bridge), WELDREG_CLUSTER_DIR
# (default var/cluster: where its files live),
# WELDREG_CLUSTER_BUILD (default build/: the build whose weldreg-server runs).

# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

CL_NET=${WELDREG_CLUSTER_NET:-10.88.0}
CL_BRIDGE=wrc-br
# The cluster's files: var/cluster, or (when its users cannot reach the checkout, e.g. under
# /root) /var/tmp/weldreg-cluster-<hash of the checkout> with var/cluster a link to it (cl_place).
CL_DIR=${WELDREG_CLUSTER_DIR:-$DEV_VAR/cluster}
[[ ! -L $CL_DIR ]] || CL_DIR=$(readlink "$CL_DIR")
CL_BIN="$CL_DIR/bin" # the binaries and scripts the unprivileged users run, copied from the build
CL_BUILD=${WELDREG_CLUSTER_BUILD:-$DEV_ROOT/build} # whose weldreg-server the hosts run
CL_PGBIN=/usr/lib/postgresql/15/bin
CL_USER=weldreg     # weldreg-server, nginx
CL_PG_USER=postgres # PostgreSQL, pg_autoctl
CL_COAP_PORT=5684
CL_METRICS_PORT=9100
CL_WEB_PORT=8443 # weldreg-web on each server host, and the balancer's HTTPS (TCP) port
CL_CLIENT_ADDRS=8
# PostgreSQL's ports: one each, because the namespaces share the file system and with it the
# Unix socket directory (/var/run/postgresql).
CL_PG_PORTS=(mon:5500 pg1:5501 pg2:5502) # the client host's addresses: machines behind it are spread over them
# name:host number. The root namespace is .1 on the bridge, so the host reaches every part.
CL_HOSTS=(lb:10 s1:21 s2:22 s3:23 mon:30 pg1:31 pg2:32 client:50)
CL_SERVERS=(s1 s2 s3)
CL_PG_NODES=(pg1 pg2)

# pg_auto_failover's timings (docs/deployment.md, "Failover timings"): the monitor calls a node
# unhealthy after 1 s health checks fail for 4 s; a primary that lost the monitor and its
# standby demotes itself after 4 s; the monitor waits 10 s (more than those 4 s plus a keeper
# loop) before promoting without the old primary's word, so there are never two primaries.
CL_MONITOR_SETTINGS=(
    "pgautofailover.health_check_period=1000"
    "pgautofailover.health_check_timeout=1000"
    "pgautofailover.health_check_max_retries=1"
    "pgautofailover.health_check_retry_delay=500"
    "pgautofailover.node_considered_unhealthy_timeout=4000"
    "pgautofailover.primary_demote_timeout=10000"
)
CL_KEEPER_SETTINGS=(
    "timeout.network_partition_timeout=4"
    "timeout.prepare_promotion_catchup=10"
    "timeout.prepare_promotion_walreceiver=2"
)

cl_ns() { printf 'wrc-%s\n' "$1"; }

cl_pg_port() {
    local entry
    for entry in "${CL_PG_PORTS[@]}"; do
        [[ ${entry%%:*} == "$1" ]] && printf '%s\n' "${entry#*:}" && return 0
    done
    dev_die "no PostgreSQL node \"$1\""
}

# cl_ip NAME [K] prints host NAME's address (K: its K-th extra address, the client's).
cl_ip() {
    local entry
    for entry in "${CL_HOSTS[@]}"; do
        [[ ${entry%%:*} == "$1" ]] && printf '%s.%s\n' "$CL_NET" $((${entry#*:} + ${2:-0})) &&
            return 0
    done
    dev_die "no cluster host \"$1\""
}

# cl_in NAME CMD... runs CMD in host NAME's namespace.
cl_in() {
    local ns
    ns=$(cl_ns "$1")
    shift
    ip netns exec "$ns" "$@"
}

# cl_url prints the conninfo of the servers: both PostgreSQL nodes, the read-write one chosen;
# short time-outs so that a vanished host is given up in seconds, not TCP's minutes.
cl_url() {
    printf 'host=%s,%s port=%s,%s dbname=weldreg user=%s target_session_attrs=read-write ' \
        "$(cl_ip pg1)" "$(cl_ip pg2)" "$(cl_pg_port pg1)" "$(cl_pg_port pg2)" "$CL_PG_USER"
    printf 'connect_timeout=2 keepalives_idle=2 keepalives_interval=1 keepalives_count=2 '
    printf 'tcp_user_timeout=4000\n'
}

# cl_read_url prints the conninfo of reads that may be served by a standby.
cl_read_url() {
    cl_url | sed 's/target_session_attrs=read-write/target_session_attrs=prefer-standby/'
}

cl_require_root() {
    dev_is_root || dev_die "./dev cluster needs root (network namespaces, veth pairs, a bridge): \
run it with sudo"
    command -v ip >/dev/null || dev_die "ip not found (iproute2)"
    command -v pg_autoctl >/dev/null ||
        dev_die "pg_autoctl not found: run ./dev deps (postgresql-15-auto-failover)"
    [[ -f /usr/lib/nginx/modules/ngx_stream_module.so ]] ||
        dev_die "nginx's stream module not found: run ./dev deps (nginx, libnginx-mod-stream)"
}

cl_users() {
    id -u "$CL_USER" >/dev/null 2>&1 ||
        useradd --system --no-create-home --shell /usr/sbin/nologin "$CL_USER"
    id -u "$CL_PG_USER" >/dev/null 2>&1 || dev_die "user $CL_PG_USER missing (postgresql package)"
}

# --- network --------------------------------------------------------------------------------

# cl_net_up makes the bridge and, for each host, a namespace joined to it by a veth pair.
cl_net_up() {
    if ! ip link show "$CL_BRIDGE" >/dev/null 2>&1; then
        ip link add "$CL_BRIDGE" type bridge
        ip addr add "$CL_NET.1/24" dev "$CL_BRIDGE"
    fi
    ip link set "$CL_BRIDGE" up
    local entry name ns
    for entry in "${CL_HOSTS[@]}"; do
        name=${entry%%:*}
        ns=$(cl_ns "$name")
        ip netns list | grep -qw "^$ns" || ip netns add "$ns"
        if ! ip link show "$ns" >/dev/null 2>&1; then
            ip link add "$ns" type veth peer name eth0 netns "$ns"
            ip link set "$ns" master "$CL_BRIDGE" up
            cl_in "$name" ip addr add "$(cl_ip "$name")/24" dev eth0
            cl_in "$name" ip link set lo up
            cl_in "$name" ip link set eth0 up
            cl_in "$name" ip route add default via "$CL_NET.1"
        fi
    done
    cl_client_addrs
}

# cl_client_addrs gives the client host CL_CLIENT_ADDRS addresses and spreads the machines'
# UDP flows over them by source port: the balancer keeps a client on one server by its
# address, and real machines each have their own.
cl_client_addrs() {
    local k map=""
    for ((k = 0; k < CL_CLIENT_ADDRS; k++)); do
        cl_in client ip addr replace "$(cl_ip client "$k")/24" dev eth0
        map+="${map:+, }$k : $(cl_ip client "$k")"
    done
    cl_in client nft -f - <<NFT
table ip weldreg_client
delete table ip weldreg_client
table ip weldreg_client {
    chain out {
        type nat hook postrouting priority srcnat;
        oifname "eth0" udp dport $CL_COAP_PORT snat to jhash udp sport mod $CL_CLIENT_ADDRS map { $map }
    }
}
NFT
}

cl_net_down() {
    local entry ns
    for entry in "${CL_HOSTS[@]}"; do
        ns=$(cl_ns "${entry%%:*}")
        ip link del "$ns" 2>/dev/null || true
        ip netns del "$ns" 2>/dev/null || true
    done
    ip link del "$CL_BRIDGE" 2>/dev/null || true
}

# --- processes ------------------------------------------------------------------------------

# cl_pid NAME prints the process id recorded for NAME if that process lives.
cl_pid() {
    local file="$CL_DIR/pids/$1.pid" pid
    [[ -f $file ]] || return 1
    pid=$(cat "$file")
    kill -0 "$pid" 2>/dev/null && printf '%s\n' "$pid"
}

# cl_spawn NAME HOST USER CMD... starts CMD as USER in HOST's namespace, in a process group of
# its own (so that a fault can kill the whole of it), its output in var/cluster/logs/NAME.log.
cl_spawn() {
    local name=$1 host=$2 user=$3
    shift 3
    mkdir -p "$CL_DIR/pids" "$CL_DIR/logs"
    cl_pid "$name" >/dev/null && return 0
    (cd / && exec ip netns exec "$(cl_ns "$host")" setsid runuser -u "$user" -- "$@") \
        </dev/null >>"$CL_DIR/logs/$name.log" 2>&1 &
    printf '%s\n' "$!" >"$CL_DIR/pids/$name.pid"
}

# cl_kill NAME [SIGNAL] signals NAME's process group and waits up to 20 s for it to end.
cl_kill() {
    local pid i
    pid=$(cl_pid "$1") || return 0
    kill "-${2:-TERM}" -- "-$pid" 2>/dev/null || true
    for ((i = 0; i < 200; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
    rm -f "$CL_DIR/pids/$1.pid"
}

# --- PostgreSQL with pg_auto_failover -------------------------------------------------------

# cl_pg_as NODE CMD... runs CMD as the PostgreSQL user in NODE's namespace, with pg_autoctl's
# state (it keeps it under XDG_CONFIG_HOME and XDG_DATA_HOME) in var/cluster, not in $HOME.
cl_pg_as() {
    local node=$1
    shift
    (cd / && cl_in "$node" runuser -u "$CL_PG_USER" -- env "XDG_CONFIG_HOME=$CL_DIR/pg/$node/config" \
        "XDG_DATA_HOME=$CL_DIR/pg/$node/share" "$@")
}

# cl_pgdata NAME: a node's data directory.
cl_pgdata() { printf '%s/pg/%s/data\n' "$CL_DIR" "$1"; }

cl_monitor_uri() {
    printf 'postgres://autoctl_node@%s:%s/pg_auto_failover?sslmode=disable\n' "$(cl_ip mon)" \
        "$(cl_pg_port mon)"
}

cl_pg_dirs() {
    install -d -m 0755 "$CL_DIR/pg"
    install -d -m 0700 -o "$CL_PG_USER" -g "$CL_PG_USER" "$CL_DIR/pg/$1"
    install -d -m 2775 -o "$CL_PG_USER" -g "$CL_PG_USER" /var/run/postgresql
}

# cl_pg_allow_lan lets the bridge's network in (weldreg-server, the tests on the host); a
# laboratory on private namespaces, hence trust; a county uses scram and TLS (docs).
cl_pg_allow_lan() {
    local hba
    hba="$(cl_pgdata "$1")/pg_hba.conf"
    grep -q 'weldreg cluster' "$hba" 2>/dev/null && return 0
    printf '# weldreg cluster: the servers and the host\nhost all all %s.0/24 trust\n' "$CL_NET" |
        runuser -u "$CL_PG_USER" -- tee -a "$hba" >/dev/null
}

cl_monitor_up() {
    local data
    data=$(cl_pgdata mon)
    if [[ ! -f $data/PG_VERSION ]]; then
        cl_pg_dirs mon
        dev_say "creating the pg_auto_failover monitor"
        cl_pg_as mon pg_autoctl create monitor --pgdata "$data" \
            --pgctl "$CL_PGBIN/pg_ctl" --pgport "$(cl_pg_port mon)" --hostname "$(cl_ip mon)" --auth trust \
            --no-ssl >>"$CL_DIR/logs/create-mon.log" 2>&1 ||
            { tail -n 20 "$CL_DIR/logs/create-mon.log" >&2; dev_die "pg_autoctl create monitor failed"; }
        cl_pg_allow_lan mon
        local setting
        for setting in "${CL_MONITOR_SETTINGS[@]}"; do
            printf '%s\n' "$setting" | runuser -u "$CL_PG_USER" -- tee -a "$data/postgresql.conf" >/dev/null
        done
    fi
    cl_spawn mon mon "$CL_PG_USER" env "XDG_CONFIG_HOME=$CL_DIR/pg/mon/config" \
        "XDG_DATA_HOME=$CL_DIR/pg/mon/share" pg_autoctl run --pgdata "$data"
    cl_wait "the monitor" 60 cl_psql_ok mon pg_auto_failover
}

# cl_node_up NAME creates data node NAME (the first becomes the primary, the next its
# synchronous standby) and runs its keeper.
cl_node_up() {
    local name=$1 data
    data=$(cl_pgdata "$name")
    if [[ ! -f $data/PG_VERSION ]]; then
        cl_pg_dirs "$name"
        dev_say "creating PostgreSQL node $name"
        cl_pg_as "$name" pg_autoctl create postgres \
            --pgdata "$data" --pgctl "$CL_PGBIN/pg_ctl" --pgport "$(cl_pg_port "$name")" \
            --listen "$(cl_ip "$name")" --hostname "$(cl_ip "$name")" --name "$name" \
            --dbname weldreg --monitor "$(cl_monitor_uri)" --auth trust --no-ssl \
            --replication-quorum true --candidate-priority 50 \
            >>"$CL_DIR/logs/create-$name.log" 2>&1 ||
            { tail -n 20 "$CL_DIR/logs/create-$name.log" >&2; dev_die "pg_autoctl create postgres $name failed"; }
        cl_pg_allow_lan "$name"
        local setting
        for setting in "${CL_KEEPER_SETTINGS[@]}"; do
            cl_pg_as "$name" pg_autoctl config set \
                --pgdata "$data" "${setting%%=*}" "${setting#*=}" >/dev/null
        done
    fi
    cl_spawn "$name" "$name" "$CL_PG_USER" env "XDG_CONFIG_HOME=$CL_DIR/pg/$name/config" \
        "XDG_DATA_HOME=$CL_DIR/pg/$name/share" pg_autoctl run --pgdata "$data"
}

# cl_psql_ok HOST DB succeeds when HOST's PostgreSQL answers on DB over the network.
cl_psql_ok() {
    psql -XAtq -d "host=$(cl_ip "$1") port=$(cl_pg_port "$1") dbname=$2 user=$CL_PG_USER connect_timeout=2" \
        -c 'SELECT 1' >/dev/null 2>&1
}

# cl_monitor_sql SQL runs SQL on the monitor.
cl_monitor_sql() {
    psql -XAtq -F ' ' -d "host=$(cl_ip mon) port=$(cl_pg_port mon) dbname=pg_auto_failover user=$CL_PG_USER \
connect_timeout=2" -c "$1"
}

# cl_states prints "NAME REPORTED ASSIGNED" for each data node.
cl_states() {
    cl_monitor_sql "SELECT nodename, reportedstate, goalstate FROM pgautofailover.node
                    ORDER BY nodeid" 2>/dev/null
}

# cl_pg_settled succeeds when one node is primary and the other secondary, as assigned.
cl_pg_settled() {
    local states
    states=$(cl_states) || return 1
    grep -q '^[^ ]* primary primary$' <<<"$states" &&
        grep -q '^[^ ]* secondary secondary$' <<<"$states"
}

# cl_primary prints the name of the node the monitor holds for the primary.
cl_primary() {
    cl_states | awk '$3 == "primary" || $3 == "wait_primary" { print $1; exit }'
}

# cl_wait WHAT SECONDS CMD... retries CMD every 0.5 s until it succeeds or SECONDS pass.
cl_wait() {
    local what=$1 seconds=$2 i
    shift 2
    for ((i = 0; i < seconds * 2; i++)); do
        "$@" && return 0
        sleep 0.5
    done
    dev_die "$what: not ready within $seconds s (logs: var/cluster/logs/)"
}

cl_pg_up() {
    cl_monitor_up
    cl_node_up pg1
    cl_wait "PostgreSQL node pg1" 120 cl_psql_ok pg1 weldreg
    cl_node_up pg2
    cl_wait "the primary and its synchronous standby" 180 cl_pg_settled
    local node
    for node in "${CL_PG_NODES[@]}"; do
        cl_pg_allow_lan "$node"
        cl_pg_as "$node" "$CL_PGBIN/pg_ctl" -D "$(cl_pgdata "$node")" reload -s >/dev/null
    done
}

# --- weldreg-server -------------------------------------------------------------------------

cl_certs() {
    [[ -s $DEV_ROOT/certs/out/server.crt ]] || "$DEV_ROOT/certs/mkcerts.sh" "$DEV_ROOT/certs/out"
    if [[ ! -d $CL_DIR/certs ]]; then
        install -d -m 0700 -o "$CL_USER" "$CL_DIR/certs"
        cp -a "$DEV_ROOT/certs/out/." "$CL_DIR/certs/"
        chown -R "$CL_USER" "$CL_DIR/certs"
    fi
}

# cl_server_conf NAME writes server NAME's configuration (and the one the host's tools use).
# CL_SERVER_EXTRA: lines added to it (tests/faults/cluster.sh: its load's checkin_rate).
cl_server_conf() {
    local name=$1 certs="$CL_DIR/certs" ip
    ip=$(cl_ip "$name")
    install -d -m 0755 "$CL_DIR/$name"
    cat >"$CL_DIR/$name/weldreg.conf" <<CONF
# weldreg-server $name of the cluster, written by scripts/cluster.sh
# its name among the servers sharing the machines' leases (docs/architecture.md, "Several servers")
server_id = $name
database_url = $(cl_url)
database_read_url = $(cl_read_url)
listen = $ip:$CL_COAP_PORT
metrics_listen = $ip:$CL_METRICS_PORT
web_listen = $ip:$CL_WEB_PORT
$(dev_conf_keys "$certs")
retry_after_s = 2
${CL_SERVER_EXTRA:-}
CONF
    chown "$CL_USER" "$CL_DIR/$name/weldreg.conf"
    chmod 0600 "$CL_DIR/$name/weldreg.conf"
}

# cl_web_get HOST PATH asks weldreg-web on HOST (a server host, or lb: through the balancer)
# for PATH. The development certificate names localhost.
cl_web_get() {
    curl -fsS --max-time 2 --cacert "$CL_DIR/certs/ca.crt" \
        --resolve "localhost:$CL_WEB_PORT:$(cl_ip "$1")" "https://localhost:$CL_WEB_PORT$2" \
        >/dev/null 2>&1
}

# cl_web_ready [HOST] succeeds when weldreg-web answers /readyz (its database connections
# work): on HOST, or through the balancer.
cl_web_ready() { cl_web_get "${1:-lb}" /readyz; }

cl_server_ready() {
    curl -fsS --max-time 2 "http://$(cl_ip "$1"):$CL_METRICS_PORT/readyz" >/dev/null 2>&1
}

cl_servers_up() {
    cl_certs
    cl_server_conf s1
    "$CL_BIN/weldreg-server" migrate --config "$CL_DIR/s1/weldreg.conf" \
        >>"$CL_DIR/logs/migrate.log" 2>&1 || dev_die "migrate failed (var/cluster/logs/migrate.log)"
    local name
    for name in "${CL_SERVERS[@]}"; do
        cl_server_start "$name"
        cl_web_start "$name"
    done
    for name in "${CL_SERVERS[@]}"; do
        cl_wait "weldreg-server $name" 60 cl_server_ready "$name"
        cl_wait "weldreg-web on $name" 60 cl_web_ready "$name"
    done
}

# cl_web_start NAME starts weldreg-web on server host NAME unless it runs (web-NAME). Each is
# the same: people's sessions are in PostgreSQL, so any of them serves any person.
cl_web_start() {
    cl_spawn "web-$1" "$1" "$CL_USER" "$CL_BIN/weldreg-web" serve --config "$CL_DIR/$1/weldreg.conf"
}

# cl_server_start NAME starts weldreg-server NAME unless it runs.
cl_server_start() {
    cl_server_conf "$1"
    cl_spawn "$1" "$1" "$CL_USER" "$CL_BIN/weldreg-server" serve \
        --config "$CL_DIR/$1/weldreg.conf"
}

# --- the load balancer ----------------------------------------------------------------------

# cl_lb_upstreams PORT "DOWN..." prints nginx's server lines for PORT on every server host, the
# hosts named in DOWN marked down.
cl_lb_upstreams() {
    local name mark
    for name in "${CL_SERVERS[@]}"; do
        mark=""
        [[ " $2 " != *" $name "* ]] || mark=" down"
        printf '        server %s:%s max_fails=1 fail_timeout=10s%s;\n' "$(cl_ip "$name")" "$1" "$mark"
    done
}

# cl_lb_conf ["SERVERS_DOWN" ["WEBS_DOWN"]] writes nginx's configuration. UDP on the CoAP port,
# each client address kept on one server (consistent hashing: a server that goes away moves
# only its own clients). proxy_timeout outlasts a machine's 60-s heartbeat interval: nginx's
# UDP session is the DTLS session's address at the server, and a new one (a new port) would
# make the machine handshake again. TCP on the HTTPS port, passed through to the weldreg-webs
# (TLS ends at weldreg-web, which sees the person's certificate name as on one host), each
# connection to the one with the fewest. The hosts named DOWN are marked down.
cl_lb_conf() {
    local dir="$CL_DIR/lb" upstreams web_upstreams
    upstreams=$(cl_lb_upstreams "$CL_COAP_PORT" "${1:-}")
    web_upstreams=$(cl_lb_upstreams "$CL_WEB_PORT" "${2:-}")
    cat >"$dir/nginx.conf" <<CONF
# nginx of the cluster's load balancer, written by scripts/cluster.sh
load_module /usr/lib/nginx/modules/ngx_stream_module.so;
worker_processes 1;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log notice;
events { worker_connections 8192; }
stream {
    upstream weldreg_coap {
        hash \$remote_addr consistent;
$upstreams
    }
    server {
        listen $(cl_ip lb):$CL_COAP_PORT udp;
        proxy_pass weldreg_coap;
        proxy_timeout 310s;
    }
    upstream weldreg_web {
        least_conn;
$web_upstreams
    }
    server {
        listen $(cl_ip lb):$CL_WEB_PORT;
        proxy_pass weldreg_web;
        proxy_connect_timeout 2s;
    }
}
CONF
}

# cl_lb_watch runs in the balancer's host as long as nginx: nginx (without NGINX Plus) has no
# active health checks and finds a silent server only when a session times out, so every second
# each weldreg-server's and weldreg-web's /healthz is asked (the process serves, whatever its
# database) and, when the set that answers changes, the others are marked down and nginx
# reloads.
cl_lb_watch() {
    local last="-" down webs_down name
    while :; do
        down=""
        webs_down=""
        for name in "${CL_SERVERS[@]}"; do
            curl -fsS --max-time 1 "http://$(cl_ip "$name"):$CL_METRICS_PORT/healthz" >/dev/null 2>&1 ||
                down+="$name "
            cl_web_get "$name" /healthz || webs_down+="$name "
        done
        if [[ "$down/$webs_down" != "$last" ]]; then
            cl_lb_conf "$down" "$webs_down"
            kill -HUP "$(cat "$CL_DIR/lb/nginx.pid")" 2>/dev/null || true
            printf '%s lb-watch: servers down: %s; weldreg-web down: %s\n' "$(date -u +%FT%TZ)" \
                "${down:-none}" "${webs_down:-none}"
            last="$down/$webs_down"
        fi
        sleep 1
    done
}

cl_lb_ready() {
    cl_in lb ss -Hlun "sport = :$CL_COAP_PORT" | grep -q .
}

cl_lb_up() {
    install -d -m 0755 -o "$CL_USER" "$CL_DIR/lb"
    if ! cl_pid lb >/dev/null; then
        cl_lb_conf
        chown "$CL_USER" "$CL_DIR/lb/nginx.conf" # cl_lb_watch rewrites it
    fi
    cl_spawn lb lb "$CL_USER" nginx -c "$CL_DIR/lb/nginx.conf" -p "$CL_DIR/lb" -e "$CL_DIR/lb/error.log"
    cl_wait "nginx" 20 cl_lb_ready
    cl_spawn lb-watch lb "$CL_USER" env "WELDREG_CLUSTER_NET=$CL_NET" "WELDREG_CLUSTER_DIR=$CL_DIR" \
        bash "$CL_BIN/scripts/cluster.sh" lb-watch
}

# --- commands -------------------------------------------------------------------------------

# cl_place moves CL_DIR to /var/tmp when the users of the cluster cannot reach var/ (a
# checkout under /root), leaving var/cluster a link to it.
cl_place() {
    mkdir -p "$DEV_VAR"
    [[ ! -e $CL_DIR && -z ${WELDREG_CLUSTER_DIR:-} ]] || return 0
    runuser -u "$CL_USER" -- test -x "$DEV_VAR" && runuser -u "$CL_PG_USER" -- test -x "$DEV_VAR" &&
        return 0
    CL_DIR="/var/tmp/weldreg-cluster-$(printf '%s' "$DEV_ROOT" | sha256sum | cut -c1-12)"
    CL_BIN="$CL_DIR/bin"
    ln -sfn "$CL_DIR" "$DEV_VAR/cluster"
    dev_say "the cluster lives in $CL_DIR (var/cluster links there)"
}

# cl_install_bin copies what the unprivileged users run (they may not reach the checkout):
# weldreg-server, weldreg-web, and this script for the balancer's watcher.
cl_install_bin() {
    local tool
    for tool in server/weldreg-server web/weldreg-web; do
        [[ -x $CL_BUILD/$tool ]] || dev_die "$CL_BUILD/$tool is not built: run ./dev build"
    done
    install -d -m 0755 "$CL_BIN" "$CL_BIN/scripts"
    install -m 0755 "$CL_BUILD/server/weldreg-server" "$CL_BUILD/web/weldreg-web" "$CL_BIN/"
    install -m 0644 "$DEV_ROOT/scripts/cluster.sh" "$DEV_ROOT/scripts/common.sh" "$CL_BIN/scripts/"
}

cl_up() {
    cl_require_root
    cl_users
    cl_place
    install -d -m 0755 "$CL_DIR" "$CL_DIR/logs" "$CL_DIR/pids"
    cl_install_bin
    cl_net_up
    cl_pg_up
    cl_servers_up
    cl_lb_up
    cl_status
    cl_next_steps
}

cl_next_steps() {
    cat <<TEXT

The cluster is up. Check in through the load balancer from the client host (a machine's PSK:
provision it with weldreg-server provision --config var/cluster/s1/weldreg.conf ...):

  ip netns exec $(cl_ns client) build/tag-reader/weldtag checkin \\
      --server coaps://$(cl_ip lb):$CL_COAP_PORT --identity CHIP --psk-file CHIP.psk --ev hb --seq 1

  # the benchmark's load through the balancer (machines made by bench/bench-provision)
  ip netns exec $(cl_ns client) build/bench/loadgen --allow-private \\
      --server coaps://$(cl_ip lb):$CL_COAP_PORT --psk-file machines.psk --machines 50

weldreg-web through the balancer: https://$(cl_ip lb):$CL_WEB_PORT/ (CA: var/cluster/certs/ca.crt,
whose certificate names localhost: curl --resolve localhost:$CL_WEB_PORT:$(cl_ip lb) \
https://localhost:$CL_WEB_PORT/ ...; accounts: weldreg-web account add ... --config
var/cluster/s1/weldreg.conf)
Database (the servers' conninfo; psql works from this host): $(cl_url)
Logs: var/cluster/logs/    Status: ./dev cluster status    Remove: ./dev cluster down
TEXT
}

cl_down() {
    cl_require_root
    local name
    cl_kill lb-watch
    cl_kill lb
    for name in "${CL_SERVERS[@]}"; do
        cl_kill "web-$name"
        cl_kill "$name"
    done
    for name in "${CL_PG_NODES[@]}" mon; do
        if [[ -f $(cl_pgdata "$name")/PG_VERSION ]] && cl_pid "$name" >/dev/null; then
            cl_pg_as "$name" pg_autoctl stop --pgdata \
                "$(cl_pgdata "$name")" >/dev/null 2>&1 || true
        fi
        cl_kill "$name"
        cl_pg_stop_orphan "$name"
    done
    cl_net_down
    rm -rf "$CL_DIR"
    [[ ! -L $DEV_VAR/cluster ]] || rm -f "$DEV_VAR/cluster"
    dev_say "the cluster is down (namespaces, processes and var/cluster removed)"
}

# cl_pg_stop_orphan NAME stops a postmaster of NAME that outlived its keeper.
cl_pg_stop_orphan() {
    local pidfile
    pidfile="$(cl_pgdata "$1")/postmaster.pid"
    [[ -f $pidfile ]] || return 0
    kill -KILL "$(head -n 1 "$pidfile")" 2>/dev/null || true
}

cl_status() {
    local name state rc=0
    printf 'PostgreSQL (pg_auto_failover monitor at %s):\n' "$(cl_ip mon)"
    if state=$(cl_states); then
        awk '{ printf "  %-4s %-16s (assigned %s)\n", $1, $2, $3 }' <<<"$state"
        local primary
        primary=$(cl_primary)
        [[ -z $primary ]] || psql -XAtq -F ' ' -d "host=$(cl_ip "$primary") port=$(cl_pg_port "$primary") \
dbname=weldreg user=$CL_PG_USER connect_timeout=2" -c "SELECT '  replication: ' || application_name
            || ' ' || state || ' sync_state=' || sync_state FROM pg_stat_replication" 2>/dev/null ||
            true
    else
        echo "  monitor down"
        rc=1
    fi
    cl_status_of "weldreg-server (/readyz):" cl_server_ready "$CL_COAP_PORT" || rc=1
    cl_status_of "weldreg-web (/readyz):" cl_web_ready "$CL_WEB_PORT" || rc=1
    if cl_pid lb >/dev/null && cl_lb_ready 2>/dev/null && cl_web_ready lb; then state=up; else
        state=down
        rc=1
    fi
    printf 'load balancer (nginx): coaps://%s:%s (UDP), https://%s:%s (TCP)  %s\n' "$(cl_ip lb)" \
        "$CL_COAP_PORT" "$(cl_ip lb)" "$CL_WEB_PORT" "$state"
    return "$rc"
}

# cl_status_of TITLE READY PORT prints READY's verdict for each server host; fails if one is not.
cl_status_of() {
    local name state rc=0
    printf '%s\n' "$1"
    for name in "${CL_SERVERS[@]}"; do
        if "$2" "$name"; then state=ready; else
            state="not ready"
            rc=1
        fi
        printf '  %-4s %s:%s  %s\n' "$name" "$(cl_ip "$name")" "$3" "$state"
    done
    return "$rc"
}

cl_main() {
    case "${1:-}" in
    up) cl_up ;;
    down) cl_down ;;
    status) cl_require_root && cl_status ;;
    url) cl_url ;;
    read-url) cl_read_url ;;
    lb-watch) cl_lb_watch ;;
    *) dev_die "usage: ./dev cluster up|down|status|url|read-url" ;;
    esac
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    set -euo pipefail
    cl_main "$@"
fi
