#!/usr/bin/env bash
# test-permit-change.sh — a permit changes while work goes on, through weldtag as an
# administrator and a machine over real DTLS: a gas re-test makes a stale permit usable (the
# 30-minute rule counts from the latest test), an extension within the level's limit is taken
# and one beyond it refused, a welder removed from the permit ends their running session at
# the machine's next heartbeat (permit_withdrawn), added back they may work again, and a permit
# closed early ends the session the same way; every change is in the audit log.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CHIP=WR-PC-0001
wr_db_create permit_change
wr_seed_work_site "$CHIP" admin-pc
wr_psql "INSERT INTO permits (permit_no, level, enterprise_id, site_address, site_lat, site_lon,
             starts_at, ends_at, approver, gas_analysis_at, fire_watch)
           VALUES ('DH-PC-1', 'first', 1, '3号车间', 34.52, 113.38, now() - interval '1 hour',
             now() + interval '3 hours', '安全部 王五', now() - interval '40 minutes', '李四');
         INSERT INTO permit_welders VALUES (1, 1);
         INSERT INTO permit_machines VALUES (1, 1);" >/dev/null
wr_server_start

seq=0
admin() {
    rc=0
    out=$("$WELDREG_BUILD_DIR/tag-reader/weldtag" admin permit "$@" \
        --server "coaps://127.0.0.1:$WR_PORT" --identity admin-pc --psk-file "$admin_psk" 2>&1) ||
        rc=$?
}
reload() { sleep 0.8; } # NOTIFY, 200 ms of quiet, rebuild, swap
rfc3339() { date -d "@$1" +%Y-%m-%dT%H:%M:%S%:z; }

send() { seq=$((seq + 1)); wr_send_checkin "$CHIP" "$psk" "$1" "$seq" "${@:2}"; }
scan() { send scan --code "$code" --lat 34.52 --lon 113.38; }
hb() { send hb; }

scan
((rc == 1)) && [[ $out == *gas_analysis_stale* ]] || wr_fail "scan with a 40-minute-old gas test: $out"
wr_ok "gas analysis 40 min old: $out"

# The gas analysis is re-tested: the 30-minute rule counts from the latest test.
admin change id=1 gas_tested_at="$(rfc3339 "$(($(date +%s) - 60))")" gas_value=0.1 note=复测合格
((rc == 0)) || wr_fail "gas re-test: $out"
wr_ok "weldtag admin permit change id=1 gas_tested_at=... gas_value=0.1 note=复测合格: $out"
[[ $(wr_psql "SELECT count(*) FROM permit_gas_tests WHERE permit_id = 1 AND value = 0.1") == 1 ]] ||
    wr_fail "the gas test was not recorded"
reload
scan
((rc == 0)) && [[ $out == "unlocked until"* ]] || wr_fail "scan after the re-test: $out"
wr_ok "gas re-tested a minute ago ($(wr_psql "SELECT value || '% LEL' FROM permit_gas_tests")): $out"

# Extended within the level's limit (first level: 8 h from its start), not beyond.
start=$(wr_psql "SELECT floor(extract(epoch FROM starts_at))::bigint FROM permits WHERE id = 1")
admin change id=1 ends_at="$(rfc3339 $((start + 8 * 3600 + 1)))"
((rc != 0)) && [[ $out == *"4.00"*"within 8 h of its start"* ]] || wr_fail "extension past 8 h: $out"
wr_ok "an extension past 8 h is refused: $out"
admin change id=1 ends_at="$(rfc3339 $((start + 8 * 3600)))"
((rc == 0)) || wr_fail "extension to 8 h: $out"
wr_ok "weldtag admin permit change id=1 ends_at=$(rfc3339 $((start + 8 * 3600))): $out"
[[ $(wr_psql "SELECT date_trunc('second', starts_at) + interval '8 hours' = ends_at FROM permits WHERE id = 1") == t ]] ||
    wr_fail "the permit was not extended"
reload
hb
((rc == 0)) || wr_fail "heartbeat after the extension: $out"
wr_ok "extended to 8 h; the running session goes on: $out"

# The welder is removed from the permit while working: the next heartbeat ends the session.
admin change id=1 remove_welders=1 note=换人
((rc == 0)) || wr_fail "removing the welder: $out"
reload
hb
((rc == 1)) && [[ $out == "locked: permit_withdrawn"* ]] || wr_fail "heartbeat after the welder was removed: $out"
[[ $(wr_psql "SELECT close_reason FROM work_sessions ORDER BY id DESC LIMIT 1") == permit_withdrawn ]] ||
    wr_fail "the session was not closed"
[[ $(wr_psql "SELECT count(*) FROM violations WHERE kind <> 'gas_analysis_stale'") == 0 ]] || wr_fail "the withdrawal was flagged: $(wr_psql "SELECT kind FROM violations")"
wr_ok "welder removed from the permit: $out, session closed, nothing flagged"
scan
((rc == 1)) && [[ $out == *permit_welder_not_listed* ]] || wr_fail "scan of a removed welder: $out"
wr_ok "the removed welder scans again: $out"

# Added back, the welder may work again; then the permit is closed early.
admin change id=1 add_welders=1
((rc == 0)) || wr_fail "adding the welder: $out"
reload
scan
((rc == 0)) || wr_fail "scan of the welder added back: $out"
admin end id=1 status=closed
((rc == 0)) || wr_fail "closing the permit early: $out"
reload
hb
((rc == 1)) && [[ $out == "locked: permit_withdrawn"* ]] || wr_fail "heartbeat after the permit closed: $out"
wr_ok "permit closed early: the next heartbeat is $out"

audit=$(wr_psql "SELECT string_agg(action, ' ' ORDER BY id) FROM audit_log WHERE entity = 'permit'")
[[ $audit == "permit.change permit.change permit.change permit.change permit.closed" ]] ||
    wr_fail "audit: $audit"
[[ $(wr_psql "SELECT after->'welders_removed' FROM audit_log WHERE after->>'note' = '换人'") == "[1]" ]] ||
    wr_fail "the audit does not name the removed welder"
wr_ok "audited: $audit"
echo "test-permit-change: all checks passed"
