#!/usr/bin/env bash
# test-systemd.sh — running under systemd (docs/operations.md): the install layout of
# `cmake --install --prefix /usr` into a DESTDIR, the units checked by systemd-analyze verify
# (and their sandbox by systemd-analyze security), the notification protocol of both processes
# seen through a stand-in for systemd's socket (READY=1, WATCHDOG=1 at half of WATCHDOG_USEC,
# RELOADING=1 and READY=1 on SIGHUP, STOPPING=1), and what SIGHUP reloads in weldreg-server: the
# trust list (a broken one is refused and the old one stays), the log level, the views.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

unset JOURNAL_STREAM # set again by hand below, where the priority prefix is checked
LISTENER="$WELDREG_SOURCE_DIR/tests/integration/notify-listener.py"

# 1. The install layout under /usr, into a DESTDIR.
root="$WR_TMP/root"
DESTDIR=$root cmake --install "$WELDREG_BUILD_DIR" --prefix /usr >"$WR_TMP/install.log" 2>&1 ||
    { cat "$WR_TMP/install.log"; wr_fail "cmake --install failed"; }
(cd "$root" && find . -type f -printf '%P\n' | sort) >"$WR_TMP/files"
for want in usr/bin/weldreg-server usr/bin/weldreg-web usr/bin/weldtag \
    usr/lib/systemd/system/weldreg-server.service usr/lib/systemd/system/weldreg-web.service \
    usr/lib/systemd/system/weldreg-notices.service usr/lib/systemd/system/weldreg-maintain.service \
    usr/lib/systemd/system/weldreg-maintain.timer usr/lib/sysusers.d/weldreg.conf \
    etc/weldreg/weldreg.conf.example usr/share/weldreg/schema/001_initial.sql \
    usr/share/weldreg/weldreg-alerts.yml usr/share/weldreg/weldreg.json \
    usr/share/weldreg/pgbackrest/pgbackrest.conf usr/share/doc/weldreg/operations.md \
    usr/share/doc/weldreg/backup.md usr/share/doc/weldreg/keys.md; do
    grep -qx "$want" "$WR_TMP/files" || { cat "$WR_TMP/files"; wr_fail "not installed: /$want"; }
done
grep -q '^etc/weldreg/weldreg.conf$' "$WR_TMP/files" && wr_fail "the live configuration was installed"
migrations=("$WELDREG_SOURCE_DIR"/schema/*.sql)
[[ $(grep -c '^usr/share/weldreg/schema/.*\.sql$' "$WR_TMP/files") == "${#migrations[@]}" ]] ||
    wr_fail "not every migration was installed"
grep -qx 'ExecStart=/usr/bin/weldreg-server serve --config /etc/weldreg/weldreg.conf' \
    "$root/usr/lib/systemd/system/weldreg-server.service" || wr_fail "the server unit's ExecStart"
grep -qx 'schema_dir = /usr/share/weldreg/schema' "$root/etc/weldreg/weldreg.conf.example" ||
    wr_fail "the example configuration's schema_dir"
wr_ok "cmake --install --prefix /usr: $(wc -l <"$WR_TMP/files") files, units in /usr/lib/systemd/system, example in /etc/weldreg"

# 2. The units, installed under a prefix where their programs exist, pass systemd-analyze verify
# without a word (an unknown key is only a warning there), and their sandbox scores well.
prefix="$WR_TMP/prefix"
cmake --install "$WELDREG_BUILD_DIR" --prefix "$prefix" >"$WR_TMP/install.log" 2>&1 ||
    { cat "$WR_TMP/install.log"; wr_fail "cmake --install --prefix $prefix failed"; }
for unit in weldreg-server weldreg-web weldreg-notices weldreg-maintain; do
    file="$prefix/lib/systemd/system/$unit.service"
    systemd-analyze verify --man=no "$file" >"$WR_TMP/verify" 2>&1 ||
        { cat "$WR_TMP/verify"; wr_fail "systemd-analyze verify $unit.service"; }
    [[ ! -s $WR_TMP/verify ]] || { cat "$WR_TMP/verify"; wr_fail "systemd-analyze verify $unit.service warned"; }
    level=$(systemd-analyze security --offline=yes "$file" 2>&1 |
        sed -nE 's/.*Overall exposure level for [^:]*: ([0-9.]+).*/\1/p')
    if [[ -z $level ]] || ! awk -v l="$level" 'BEGIN { exit !(l < 2.5) }'; then
        wr_fail "$unit.service exposure level is \"$level\", expected under 2.5"
    fi
    wr_ok "$unit.service: systemd-analyze verify clean, exposure level $level"
done
systemd-analyze verify --man=no "$prefix/lib/systemd/system/weldreg-maintain.timer" >"$WR_TMP/verify" 2>&1 ||
    { cat "$WR_TMP/verify"; wr_fail "systemd-analyze verify weldreg-maintain.timer"; }
[[ ! -s $WR_TMP/verify ]] || { cat "$WR_TMP/verify"; wr_fail "systemd-analyze verify weldreg-maintain.timer warned"; }
grep -qx 'ExecStart=/usr/bin/weldreg-server maintain --config /etc/weldreg/weldreg.conf' \
    "$root/usr/lib/systemd/system/weldreg-maintain.service" || wr_fail "the maintain unit's ExecStart"
wr_ok "weldreg-maintain.timer: systemd-analyze verify clean"
sed 's/^ProtectSystem=strict/ProtectSysten=strict/' "$prefix/lib/systemd/system/weldreg-server.service" \
    >"$WR_TMP/typo.service"
systemd-analyze verify --man=no "$WR_TMP/typo.service" >"$WR_TMP/verify" 2>&1 || true
grep -q "Unknown key" "$WR_TMP/verify" || wr_fail "a misspelt key went unnoticed by the check"
wr_ok "a misspelt key is caught"

# notify_start: a stand-in for systemd's socket; exports NOTIFY_SOCKET, WATCHDOG_USEC (2 s:
# WATCHDOG=1 every second) and JOURNAL_STREAM (stderr on the journal), as systemd would.
notify_start() {
    NOTIFY_LOG="$WR_TMP/notify-$1.log"
    export NOTIFY_SOCKET="$WR_TMP/notify-$1.sock" WATCHDOG_USEC=2000000 JOURNAL_STREAM=8:4242
    python3 "$LISTENER" "$NOTIFY_SOCKET" "$NOTIFY_LOG" 60 &
    NOTIFY_PID=$!
    for ((i = 0; i < 50; i++)); do
        [[ -S $NOTIFY_SOCKET ]] && return 0
        sleep 0.1
    done
    wr_fail "the notification listener did not start"
}

# wait_for FILE PATTERN SECONDS: until FILE holds a line matching PATTERN.
wait_for() {
    for ((i = 0; i < $3 * 10; i++)); do
        grep -qE "$2" "$1" && return 0
        sleep 0.1
    done
    cat "$1" >&2
    wr_fail "no \"$2\" in $(basename "$1") within $3 s"
}

# wait_count FILE PATTERN N: until FILE holds exactly N lines matching PATTERN (5 s at most).
wait_count() {
    for ((i = 0; i < 50; i++)); do
        [[ $(grep -cE "$2" "$1") == "$3" ]] && return 0
        sleep 0.1
    done
    cat "$1" >&2
    wr_fail "expected $3 lines \"$2\" in $(basename "$1"), found $(grep -cE "$2" "$1")"
}

# 3. weldreg-server under the stand-in: READY=1, then WATCHDOG=1 about every second.
wr_db_create systemd
cp "$WR_CERTS_DIR/trust.list" "$WR_TMP/trust.list"
MPORT=$(wr_free_port tcp)
printf 'trust_list_file = %s\nmetrics_listen = 127.0.0.1:%s\n' "$WR_TMP/trust.list" "$MPORT" \
    >"$WR_TMP/server.extra"
notify_start server
wr_server_start
unset NOTIFY_SOCKET WATCHDOG_USEC JOURNAL_STREAM
wait_for "$NOTIFY_LOG" ' READY=1$' 10
sleep 3.2
beats=$(grep -c ' WATCHDOG=1$' "$NOTIFY_LOG")
((beats >= 2 && beats <= 5)) || { cat "$NOTIFY_LOG"; wr_fail "$beats WATCHDOG=1 in 3.2 s, expected about 3"; }
wr_ok "server: READY=1, then $beats WATCHDOG=1 in 3.2 s (WATCHDOG_USEC=2000000)"

# 4. SIGHUP with a broken trust list: refused, counted, the old settings stay, still serving.
metrics() { curl -s "http://127.0.0.1:$MPORT/metrics"; }
printf 'not a trust list\n' >"$WR_TMP/trust.list"
kill -HUP "$WR_SERVER_PID"
wait_for "$WR_SERVER_LOG" 'event=reload_failed' 10
metrics | grep -qx 'weldreg_config_reload_failures_total 1' || wr_fail "the refused reload was not counted"
[[ $(curl -s "http://127.0.0.1:$MPORT/healthz") == ok ]] || wr_fail "not healthy after a refused reload"
grep -q '^<3>ts=.* level=error event=reload_failed' "$WR_SERVER_LOG" ||
    wr_fail "no syslog priority <3> before an error line on the journal"
grep -q '^<6>ts=.* level=info event=ready' "$WR_SERVER_LOG" ||
    wr_fail "no syslog priority <6> before an info line on the journal"
wr_ok "on the journal the lines carry their priority: <6> ready, <3> reload_failed"
wr_ok "SIGHUP with a broken trust list: $(grep -o 'event=reload_failed.*' "$WR_SERVER_LOG" | head -c 150)"

# 5. SIGHUP with the trust list back: applied, the trust list and the views read again.
cp "$WR_CERTS_DIR/trust.list" "$WR_TMP/trust.list"
lines_before=$(wc -l <"$WR_SERVER_LOG")
kill -HUP "$WR_SERVER_PID"
wait_for "$WR_SERVER_LOG" 'event=config_reloaded' 10
wait_for "$WR_SERVER_LOG" 'event=registry_loaded' 10
tail -n +"$((lines_before + 1))" "$WR_SERVER_LOG" | grep -q 'event=trust_list_loaded keys=' ||
    wr_fail "the trust list was not read again"
metrics | grep -qx 'weldreg_config_reloads_total 1' || wr_fail "the reload was not counted"
wait_count "$NOTIFY_LOG" ' RELOADING=1$' 2
wait_count "$NOTIFY_LOG" ' READY=1$' 3 # at start, and after each reload
wr_ok "SIGHUP: trust list and views read again (registry_loaded), RELOADING=1 then READY=1"

# 6. SIGHUP with log_level = warn: from then on no info lines, warnings still.
printf 'log_level = warn\n' >>"$WR_TMP/server.conf"
kill -HUP "$WR_SERVER_PID"
for ((i = 0; i < 50; i++)); do
    metrics | grep -qx 'weldreg_config_reloads_total 2' && break
    sleep 0.1
done
((i < 50)) || wr_fail "the second reload was not counted"
lines_before=$(grep -n 'event=reloading' "$WR_SERVER_LOG" | tail -n 1 | cut -d: -f1)
sleep 1.5 # the views' reload (an info line) comes within a second
timeout 10 coap-client-openssl -m get -u nobody -k nothing-at-all-nothing-at-all \
    "coaps://127.0.0.1:$WR_PORT/v1/codes/revocations" >/dev/null 2>&1 || true
wait_for "$WR_SERVER_LOG" 'event=handshake_refused' 5
after=$(tail -n +"$((lines_before + 1))" "$WR_SERVER_LOG")
grep -v 'event=trust_list_loaded' <<<"$after" | grep -q 'level=info' &&
    { printf '%s\n' "$after"; wr_fail "info lines after log_level = warn"; }
wr_ok "SIGHUP: log_level = warn applied (no info line since, handshake_refused still logged)"

# 7. SIGTERM: STOPPING=1, and a clean exit.
wr_server_stop
wait_for "$NOTIFY_LOG" ' STOPPING=1$' 5
wait "$NOTIFY_PID" || true
wr_ok "server: STOPPING=1 at SIGTERM, exit 0"

# 8. weldreg-web: the same protocol, and SIGHUP applies its log level.
notify_start web
wr_web_start
unset NOTIFY_SOCKET WATCHDOG_USEC JOURNAL_STREAM
wait_for "$NOTIFY_LOG" ' READY=1$' 10
sleep 2.2
beats=$(grep -c ' WATCHDOG=1$' "$NOTIFY_LOG")
((beats >= 2)) || { cat "$NOTIFY_LOG"; wr_fail "web: $beats WATCHDOG=1 in 2.2 s"; }
kill -HUP "$WR_WEB_PID"
wait_for "$WR_WEB_LOG" 'event=config_reloaded' 10
wait_for "$NOTIFY_LOG" ' RELOADING=1$' 5
wr_web_stop
wait_for "$NOTIFY_LOG" ' STOPPING=1$' 5
wait "$NOTIFY_PID" || true
wr_ok "web: READY=1, $beats WATCHDOG=1 in 2.2 s, SIGHUP reload (RELOADING=1), STOPPING=1"
