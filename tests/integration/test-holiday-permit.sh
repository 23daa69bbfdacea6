#!/usr/bin/env bash
# test-holiday-permit.sh — GB 30871 5.1: on public holidays and rest days the permit's level
# goes up one, by the official calendar an administrator imports per year with weldtag. A
# second-level permit whose work started at 10:00 yesterday (China time) and lasts beyond 8 h
# unlocks when yesterday is a working day (调休上班) and is no permit at all once the
# calendar makes yesterday a holiday (first level: at most 8 h).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CHIP=WR-HP-0001
wr_db_create holiday_permit
wr_seed_work_site "$CHIP" admin-hp
# yesterday in China (UTC+8), and its year
yday=$(date -u -d "@$(($(date +%s) + 8 * 3600 - 86400))" +%F)
year=${yday:0:4}
wr_psql "INSERT INTO permits (permit_no, level, enterprise_id, site_address, site_lat, site_lon,
             starts_at, ends_at, approver, gas_analysis_at, fire_watch)
           VALUES ('DH-HP-1', 'second', 1, '3号车间', 34.52, 113.38, '$yday 10:00:00+08',
             now() + interval '1 hour', '车间主任', now() - interval '5 minutes', '李四');
         INSERT INTO permit_welders VALUES (1, 1);
         INSERT INTO permit_machines VALUES (1, 1);" >/dev/null
wr_server_start

seq=0
scan() {
    seq=$((seq + 1))
    wr_send_checkin "$CHIP" "$psk" scan "$seq" --code "$code" --lat 34.52 --lon 113.38
}
holidays() { # REST NAME [DAY]: the calendar of DAY's year lists DAY (default yesterday) only
    local day=${3:-$yday}
    rc=0
    out=$("$WELDREG_BUILD_DIR/tag-reader/weldtag" admin holiday import year="${day:0:4}" \
        days:="[{\"date\":\"$day\",\"rest\":$1,\"name\":\"$2\"}]" \
        --server "coaps://127.0.0.1:$WR_PORT" --identity admin-hp --psk-file "$admin_psk" 2>&1) ||
        rc=$?
    ((rc == 0)) || wr_fail "holiday import: $out"
    sleep 0.8 # NOTIFY, 200 ms of quiet, rebuild, swap
}

holidays false 调休上班
scan
((rc == 0)) && [[ $out == "unlocked until"* ]] || wr_fail "second-level permit on a working day: $out"
wr_ok "$yday a working day (调休上班): the $(wr_psql "SELECT round(extract(epoch FROM ends_at - starts_at) / 3600)
    FROM permits")-hour second-level permit unlocks: $out"

holidays true 国庆节
scan
((rc == 1)) && [[ $out == *permit_none* ]] || wr_fail "the same permit when yesterday is a holiday: $out"
wr_ok "$yday a holiday (国庆节): the level goes up to first (8 h at most): $out"
[[ $(wr_psql "SELECT count(*) FROM holidays WHERE day = '$yday' AND rest") == 1 ]] ||
    wr_fail "the import did not replace the year"
[[ $(wr_psql "SELECT count(*) FROM audit_log WHERE action = 'holidays.import'") == 2 ]] ||
    wr_fail "the imports were not audited"

# a malformed calendar is refused whole, naming the item
rc=0
out=$("$WELDREG_BUILD_DIR/tag-reader/weldtag" admin holiday import year="$year" \
    days:="[{\"date\":\"$yday\",\"rest\":true,\"name\":\"a\"},{\"date\":\"1999-01-01\",\"rest\":true,\"name\":\"b\"}]" \
    --server "coaps://127.0.0.1:$WR_PORT" --identity admin-hp --psk-file "$admin_psk" 2>&1) || rc=$?
((rc != 0)) && [[ $out == *"4.00"*"days item 2"* ]] || wr_fail "a day of another year: $out"
wr_ok "a day of another year is refused: $out"
# The approver follows the raised level: a 6-hour second-level permit for today, a holiday,
# signed by an approver of the second level only, is no permit; by one of the first, it is.
today=$(date -u -d "@$(($(date +%s) + 8 * 3600))" +%F)
wr_psql "UPDATE permits SET status = 'closed';
         INSERT INTO permits (permit_no, level, enterprise_id, site_address, site_lat, site_lon,
             starts_at, ends_at, approver, approver_level, gas_analysis_at, fire_watch)
           VALUES ('DH-HP-2', 'second', 1, '3号车间', 34.52, 113.38, now() - interval '1 hour',
             now() + interval '5 hours', '车间主任', 'second', now() - interval '5 minutes', '李四');
         INSERT INTO permit_welders VALUES (2, 1);
         INSERT INTO permit_machines VALUES (2, 1);" >/dev/null
holidays true 元旦 "$today"
scan
((rc == 1)) && [[ $out == *permit_none* ]] || wr_fail "a holiday permit signed at the second level: $out"
wr_ok "$today a holiday, the approver signs for the second level only: $out"
wr_psql "UPDATE permits SET approver_level = 'first' WHERE id = 2" >/dev/null
sleep 0.8
scan
((rc == 0)) && [[ $out == "unlocked until"* ]] || wr_fail "a holiday permit signed at the first level: $out"
wr_ok "signed by an approver of the first level (安全部门): $out"
echo "test-holiday-permit: all checks passed"
