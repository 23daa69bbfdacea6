#!/usr/bin/env bash
# test-multi-scan.sh — welder codes scanned on machines that different servers hold
# (docs/architecture.md, "Several servers", "Scans across servers"): the same check-ins give the
# same decisions whichever servers judge them.
#   1. a code scanned on s1's machine, then 28 km away seconds later on s2's: code_copied on s2;
#   2. a welder working on s1's machine scans on s2's: locked, welder_busy_elsewhere and
#      shared_code (not 5.00 from the database's one-session-per-welder index);
#   3. once the session ends on s1, the same scan on s2 opens a session;
#   4. s3, started after all this, finds code_copied and welder_busy_elsewhere from what it read
#      of the database at start;
#   5. after every database connection is lost, a server reads the open sessions again.
source "$(dirname "${BASH_SOURCE[0]}")/../faults/lib.sh"

M1=WR-C-0001 # on permit P-1 at LAT, held by s1
M2=WR-C-0002 # on permit P-2 at FAR_LAT (28 km north), held by s2
M3=WR-C-0003 # on no permit, at LAT, held by s1
M4=WR-C-0004 # on no permit, at LAT, held by s3
LAT=34.52
FAR_LAT=34.79
LON=113.38

wr_db_create multiscan
wr_signing_key
declare -A psk
for chip in $M1 $M2 $M3 $M4; do psk[$chip]=$(wr_provision machine "$chip"); done
wr_psql "INSERT INTO communities (code, name, district) VALUES ('QP', 'Qingping', 'Xinmi');
  INSERT INTO enterprises (uscc, name, community_id) VALUES ('91410183MA44XXXX0B', 'Works', 1);
  INSERT INTO machines (chip_id, process_category, enterprise_id, keeper_name)
    SELECT chip, 'fusion', 1, 'Keeper' FROM unnest(ARRAY['$M1', '$M2', '$M3', '$M4']) AS chip;
  INSERT INTO welders (name, idcard_hash, idcard_masked, licence_no_hash, licence_no_masked,
      licence_categories, licence_issued_on, licence_valid_until, licence_review_due)
    SELECT n, decode(repeat(h, 32), 'hex'), '4101**********1234', decode(repeat(h, 32), 'hex'),
      'T**************1234', '{fusion}', current_date - 400, current_date + 1700,
      current_date + 600 FROM (VALUES ('Zhang San', '01'), ('Li Si', '02')) AS w(n, h);
  INSERT INTO welder_trainings (welder_id, course, completed_on, hours, provider)
    SELECT id, 'Hot work safety', current_date - 100, 16, 'Xinmi safety school' FROM welders;
  INSERT INTO permits (permit_no, level, enterprise_id, site_address, site_lat, site_lon,
      starts_at, ends_at, approver, gas_analysis_at, fire_watch)
    SELECT no, 'second', 1, 'Workshop', lat, $LON, now() - interval '1 hour',
      now() + interval '5 hours', 'Safety officer', now() - interval '10 minutes', 'Li Si'
    FROM (VALUES ('P-1', $LAT), ('P-2', $FAR_LAT)) AS p(no, lat);
  INSERT INTO permit_welders SELECT p.id, w.id FROM permits p, welders w;
  INSERT INTO permit_machines SELECT p.id, m.id FROM permits p JOIN machines m
    ON (p.permit_no, m.chip_id) IN (('P-1', '$M1'), ('P-2', '$M2'));" >/dev/null
code1=$(wr_issue_welder 00112233445566778899aabbccddeeff)
wr_register_last_code 1
code2=$(wr_issue_welder 112233445566778899aabbccddeeff00)
wr_register_last_code 2

# the servers s1, s2, ... (ms_start, ms_kill, ms_stop) and send, lease, count
source "$(dirname "${BASH_SOURCE[0]}")/multi.sh"
declare -A seq
# scan N CHIP CODE LAT: a scan of CODE on CHIP at (LAT, LON) through server sN; the answer in
# $out, weldtag's exit code in $rc.
scan() {
    seq[$2]=$((${seq[$2]:-0} + 1))
    send "$1" "$2" "${psk[$2]}" scan --seq "${seq[$2]}" --code "$3" --lat "$4" --lon "$LON"
}
event() { # N CHIP EV
    seq[$2]=$((${seq[$2]:-0} + 1))
    send "$1" "$2" "${psk[$2]}" "$3" --seq "${seq[$2]}"
}
open_session() { wr_psql "SELECT m.chip_id FROM work_sessions w JOIN machines m
                          ON m.id = w.machine_id WHERE w.closed_at IS NULL AND w.welder_id = $1"; }
notices() { # N KIND: sN's weldreg_cluster_notices_total{kind=KIND}
    curl -fsS "http://127.0.0.1:$MS_METRICS_PORT/metrics" |
        sed -n "s/^weldreg_cluster_notices_total{kind=\"$2\"} //p"
}
expect_locked() { # WHAT REASON...
    local what=$1 reason
    shift
    ((rc == 1)) || wr_fail "$what: want a locked decision, got (exit $rc): $out"
    for reason in "$@"; do [[ $out == *"$reason"* ]] || wr_fail "$what: no $reason in: $out"; done
    wr_ok "$what: $out"
}

ms_start 1 "$(wr_free_udp_port)"
ms_start 2 "$(wr_free_udp_port)"
wr_ok "two servers (s1, s2) on ports ${MS_PORTS[*]}, one database"

# ---- 1. a code scanned on s1's machine, then 28 km away on s2's ----
scan 1 "$M3" "$code2" "$LAT"
((rc == 1)) && [[ $out == *permit_machine_not_listed* ]] || wr_fail "s1: $M3 is on no permit: $out"
scan 2 "$M2" "$code2" "$FAR_LAT"
copied=$(wr_psql "SELECT c.chip_id FROM violations v JOIN checkins c ON c.id = v.checkin_id
                 WHERE v.kind = 'code_copied'")
[[ $copied == "$M2" ]] || wr_fail "s2 did not find the code scanned 28 km away on s1: $out [$copied]"
[[ $(lease "$M3") == s1* && $(lease "$M2") == s2* ]] ||
    wr_fail "leases: $M3 $(lease "$M3"), $M2 $(lease "$M2")"
wr_ok "welder 2's code on $M3 (s1), then 28 km away on $M2 (s2): code_copied recorded on $M2 ($out: it does not lock)"
# welder 2 was approved on M2 (code_copied is for inspectors, it does not lock): end it
event 2 "$M2" end
[[ -z $(open_session 2) ]] || wr_fail "s2: the end did not close welder 2's session: $out"

# ---- 2. a welder working on s1's machine scans on s2's ----
scan 1 "$M1" "$code1" "$LAT"
((rc == 0)) && [[ $out == "unlocked until"* ]] || wr_fail "s1: welder 1 on $M1: $out"
[[ $(open_session 1) == "$M1" ]] || wr_fail "welder 1's open session: [$(open_session 1)]"
wr_ok "welder 1 unlocked $M1 on s1: $out"
scan 2 "$M2" "$code1" "$FAR_LAT"
[[ $out != *5.00* ]] || wr_fail "s2 answered 5.00: it did not know welder 1 works on $M1"
expect_locked "welder 1 at $M2 (s2) while working on $M1 (s1)" welder_busy_elsewhere shared_code \
    code_copied
[[ $(open_session 1) == "$M1" ]] || wr_fail "welder 1's open session: [$(open_session 1)]"

# ---- 3. the session ends on s1: the scan on s2 opens one ----
event 1 "$M1" end
[[ -z $(open_session 1) ]] || wr_fail "s1: the end did not close the session: $out"
sleep 1 # the close reaches s2 through NOTIFY (milliseconds; a second is plenty)
scan 2 "$M2" "$code1" "$FAR_LAT"
((rc == 0)) && [[ $out == "unlocked until"* ]] || wr_fail "s2: welder 1 after the end on s1: $out"
[[ $(open_session 1) == "$M2" ]] || wr_fail "welder 1's open session: [$(open_session 1)]"
wr_ok "the session on $M1 ended on s1; welder 1's scan on $M2 (s2) opens one: $out"
heard=$(notices 1 scan)
((heard >= 4)) && (($(notices 1 close) >= 2)) ||
    wr_fail "s1's weldreg_cluster_notices_total: scan=$heard close=$(notices 1 close)"
wr_ok "s1's /metrics: weldreg_cluster_notices_total{kind=\"scan\"} $heard, {kind=\"close\"} $(notices 1 close)"

# ---- 4. a server started afterwards reads the scans and sessions at start ----
ms_start 3 "$(wr_free_udp_port)"
grep -q 'event=cluster_snapshot' "$WR_TMP/s3.log" || wr_fail "s3 logged no cluster_snapshot"
scan 3 "$M4" "$code1" "$LAT"
expect_locked "s3, started afterwards: welder 1 at $M4 (28 km from $M2, where he works on s2)" \
    welder_busy_elsewhere code_copied shared_code

# ---- 5. every database connection lost: each server reads the snapshot again ----
wr_psql "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid()" >/dev/null
for ((i = 0; i < 100; i++)); do
    (($(grep -c 'event=cluster_snapshot' "$WR_TMP/s1.log") >= 2)) && break
    sleep 0.1
done
snapshots=$(curl -fsS "http://127.0.0.1:$MS_METRICS_PORT/metrics" |
    sed -n 's/^weldreg_cluster_snapshots_total //p')
((snapshots == 2)) || wr_fail "s1 read $snapshots cluster snapshots, want 2 (start, reconnection)"
scan 1 "$M1" "$code1" "$LAT"
expect_locked "s1, after reconnecting: welder 1 at $M1 (working on $M2, held by s2)" \
    welder_busy_elsewhere
wr_ok "s1's /metrics after the connections were lost: weldreg_cluster_snapshots_total $snapshots"

ms_stop 1
ms_stop 2
ms_stop 3
wr_ok "s1, s2 and s3 stopped cleanly"
