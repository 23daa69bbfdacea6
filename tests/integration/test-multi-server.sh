#!/usr/bin/env bash
# test-multi-server.sh — several weldreg-server processes against one database, sharing the
# machines' state through per-machine leases (docs/architecture.md, "Several servers"):
#   1. a machine that moves between servers mid-session (re-handshakes on another) keeps its
#      work session: no heartbeat_lost, no duplicate; the server it left cannot sweep it (its
#      sweep is fenced by the lease it lost);
#   2. an event sent again to another server is stored once and answered the same;
#   3. an observer on server 1 gets a violation raised on server 2;
#   4. kill -9 of a server: its machines move on; the one that really went silent is flagged
#      heartbeat_lost once for the cluster, by the sweep leader, and no machine that kept
#      checking in is;
#   5. three servers sharing one UDP port (reuse_port) under the load generator's load, one
#      killed with kill -9: 0 acknowledged check-ins lost, 0 duplicated, 0 false violations.
# the fault runs' helpers (over lib.sh): registered machines, the load generator, check-acks
source "$(dirname "${BASH_SOURCE[0]}")/../faults/lib.sh"

MOVER=WR-M-0001  # moves between the servers
SILENT=WR-M-0002 # goes silent after its server is killed
LOUD=WR-M-0003   # works outside the platform: a violation

wr_db_create multi
psk_mover=$(wr_provision machine "$MOVER")
psk_silent=$(wr_provision machine "$SILENT")
psk_loud=$(wr_provision machine "$LOUD")
insp_psk=$(wr_provision inspector insp-m)
wr_seed_machine "$MOVER"
wr_seed_welder
wr_psql "INSERT INTO machines (chip_id, process_category, enterprise_id, keeper_name)
           SELECT chip, 'fusion', 1, 'Keeper' FROM unnest(ARRAY['$SILENT', '$LOUD']) AS chip;
         INSERT INTO welders (name, idcard_hash, idcard_masked, licence_no_hash,
             licence_no_masked, licence_categories, licence_issued_on, licence_valid_until,
             licence_review_due)
           SELECT 'Li Si', decode(repeat('ef', 32), 'hex'), '4101**********456X',
                  decode(repeat('12', 32), 'hex'), 'T**************456X', '{fusion}',
                  current_date - 400, current_date + 1500, current_date + 600;
         INSERT INTO principal_communities (principal_id, community_id)
           SELECT id, 1 FROM principals WHERE identity = 'insp-m';
         INSERT INTO work_sessions (machine_id, welder_id, opened_at, until, last_seen_at)
           SELECT id, 1, now(), now() + interval '1 hour', now() FROM machines
           WHERE chip_id = '$MOVER';" >/dev/null
session_of() { wr_psql "SELECT ws.id FROM work_sessions ws JOIN machines m ON m.id = ws.machine_id
                        WHERE m.chip_id = '$1'"; }
mover_session=$(session_of "$MOVER")

# the servers s1, s2, ... (ms_start, ms_kill, ms_stop) and send, lease, count
source "$(dirname "${BASH_SOURCE[0]}")/multi.sh"

ms_start 1 "$(wr_free_udp_port)"
ms_start 2 "$(wr_free_udp_port)"
ms_start 3 "$(wr_free_udp_port)"
wr_ok "three servers (s1, s2, s3) on ports ${MS_PORTS[*]}, one database"

# ---- 1. a machine moves between servers mid-session ----
seq=1
send 1 "$MOVER" "$psk_mover" hb --seq $seq
((rc == 0)) && [[ $out == "unlocked until"* ]] || wr_fail "s1: heartbeat in the session: $out"
((tries == 2)) || wr_fail "s1 should have answered 5.03 once while it took the lease ($tries tries)"
[[ $(lease "$MOVER") == "s1 epoch 1" ]] || wr_fail "lease after s1: $(lease "$MOVER")"
wr_ok "s1 took the lease (5.03 once, then: $out); lease: $(lease "$MOVER")"
seq=2
send 2 "$MOVER" "$psk_mover" hb --seq $seq
((rc == 0)) && [[ $out == "unlocked until"* ]] || wr_fail "s2: heartbeat after the move: $out"
[[ $(lease "$MOVER") == "s2 epoch 2" ]] || wr_fail "lease after s2: $(lease "$MOVER")"
wr_ok "the machine re-handshook on s2: same session continues ($out); lease: $(lease "$MOVER")"

# it keeps working on s2 for longer than heartbeat_timeout_s (10 s): s1, which last heard it
# at seq 1, would close the session for silence, but its sweep is fenced by the lost lease
for ((i = 0; i < 7; i++)); do
    seq=$((seq + 1))
    send 2 "$MOVER" "$psk_mover" hb --seq $seq
    [[ $out == "unlocked until"* ]] || wr_fail "s2: heartbeat $seq: $out"
    sleep 2
done
grep -q "event=sweep_fenced.*chip=$MOVER" "$WR_TMP/s1.log" ||
    wr_fail "s1 did not try (and fail) to sweep the machine it lost: $(grep -c session_closed "$WR_TMP/s1.log")"
[[ $(count "violations WHERE kind = 'heartbeat_lost'") == 0 ]] ||
    wr_fail "heartbeat_lost recorded for a machine alive on s2"
[[ $(session_of "$MOVER") == "$mover_session" ]] &&
    [[ $(wr_psql "SELECT closed_at IS NULL FROM work_sessions WHERE id = $mover_session") == t ]] ||
    wr_fail "the session did not survive the move"
[[ $(count "checkins WHERE chip_id = '$MOVER'") == "$seq" ]] &&
    [[ $(count "checkins WHERE chip_id = '$MOVER' AND session_id = $mover_session") == "$seq" ]] ||
    wr_fail "check-ins of the mover: $(wr_psql "SELECT seq, session_id FROM checkins WHERE chip_id = '$MOVER'")"
wr_ok "14 s on s2: s1's sweep fenced (sweep_fenced in its log), no heartbeat_lost, session $mover_session open, $seq check-ins, all in it"
metric() { curl -fsS "http://127.0.0.1:$MS_METRICS_PORT/metrics" | sed -n "s/^$1 //p"; }
[[ $(metric weldreg_leases_taken_total) == 1 && $(metric weldreg_lease_fenced_total) == 1 ]] ||
    wr_fail "s1's lease metrics: $(curl -fsS "http://127.0.0.1:$MS_METRICS_PORT/metrics" | grep lease)"
wr_ok "s1's /metrics: weldreg_leases_taken_total 1, weldreg_lease_fenced_total 1, weldreg_sweep_leader $(metric weldreg_sweep_leader)"

# ---- 2. the same event sent again, to another server ----
ts=$(date +%s)
seq=$((seq + 1))
send 2 "$MOVER" "$psk_mover" hb --seq $seq --ts "$ts"
first=$out
send 3 "$MOVER" "$psk_mover" hb --seq $seq --ts "$ts"
[[ $out == "$first" ]] || wr_fail "the resend to s3 was answered \"$out\", s2 said \"$first\""
[[ $(count "checkins WHERE chip_id = '$MOVER' AND seq = $seq") == 1 ]] ||
    wr_fail "the resend was stored twice"
wr_ok "seq $seq sent to s2 and again to s3: stored once, answered the same (\"$out\")"

# ---- 3. live alerts across servers: an observer on s1, a violation raised on s2 ----
"$WELDTAG" watch --json --count 1 --for 30 --server "coaps://127.0.0.1:${MS_PORTS[1]}" \
    --identity insp-m --psk-file "$insp_psk" >"$WR_TMP/watch.out" 2>"$WR_TMP/watch.err" &
watch_pid=$!
sleep 2
send 2 "$LOUD" "$psk_loud" hb --seq 1
[[ $out == *work_outside_platform* ]] || wr_fail "s2: a heartbeat outside any session: $out"
wait "$watch_pid" || { cat "$WR_TMP/watch.err"; wr_fail "weldtag watch on s1 failed"; }
grep -q "\"kind\":\"work_outside_platform\"" "$WR_TMP/watch.out" ||
    wr_fail "the observer on s1 did not get s2's violation: $(cat "$WR_TMP/watch.out")"
wr_ok "an observer on s1 got the violation raised on s2: $(cut -c1-80 "$WR_TMP/watch.out")"

# ---- 4. kill -9 of a server: the silent machine is flagged once, the others not ----
# (an open session with no lease would be a dead server's at once: opened just now)
wr_psql "INSERT INTO work_sessions (machine_id, welder_id, opened_at, until, last_seen_at)
         SELECT id, 2, now(), now() + interval '1 hour', now() FROM machines
         WHERE chip_id = '$SILENT'" >/dev/null
send 2 "$SILENT" "$psk_silent" hb --seq 1
[[ $out == "unlocked until"* ]] || wr_fail "s2: the silent machine's heartbeat: $out"
silent_at=$(date +%s)
ms_kill 2 KILL
wr_ok "s2 killed with kill -9 (it held $SILENT and $MOVER)"
# the mover goes on on s3; the silent machine says nothing more
while (($(date +%s) < silent_at + 22)); do
    seq=$((seq + 1))
    send 3 "$MOVER" "$psk_mover" hb --seq $seq
    [[ $out == "unlocked until"* ]] || wr_fail "s3: heartbeat $seq after s2 died: $out"
    sleep 2
done
[[ $(lease "$MOVER") == s3* ]] || wr_fail "the mover's lease: $(lease "$MOVER")"
lost=$(wr_psql "SELECT coalesce(string_agg(m.chip_id, ','), '') FROM violations v
                JOIN machines m ON m.id = v.machine_id WHERE v.kind = 'heartbeat_lost'")
[[ $lost == "$SILENT" ]] || wr_fail "heartbeat_lost recorded for [$lost], want [$SILENT] once"
adopted=$(cat "$WR_TMP"/s1.log "$WR_TMP"/s3.log | grep -c "event=lease_adopted.*chip=$SILENT" || true)
((adopted == 1)) || wr_fail "the silent machine was adopted $adopted times"
leader=$(grep -l "event=sweep_leader" "$WR_TMP"/s1.log "$WR_TMP"/s3.log | xargs -n1 basename)
[[ $(wr_psql "SELECT closed_at IS NULL FROM work_sessions WHERE id = $mover_session") == t ]] ||
    wr_fail "the mover's session was closed"
wr_ok "after kill -9 of s2: heartbeat_lost once, for $SILENT only (adopted by the sweep leader, ${leader%.log}); $MOVER carried on on s3 in session $mover_session"

ms_stop 1
ms_stop 3
held=$(wr_psql "SELECT count(*) FROM machine_leases WHERE owner IN ('s1', 's3') AND expires_at > now()")
((held == 0)) || wr_fail "s1 and s3 stopped cleanly but still hold $held leases"
grep -q "event=leases_released server_id=s3 count=1" "$WR_TMP/s3.log" ||
    wr_fail "s3 did not let its lease go: $(grep leases_ "$WR_TMP/s3.log")"
wr_ok "s1 and s3 stopped cleanly and let their leases go (s3: $MOVER)"

# ---- 5. three servers on one port (reuse_port), kill -9 of one under load ----
machines=30
wf_machines "$machines"
port=$(wr_free_udp_port)
printf 'reuse_port = true\n' >"$WR_TMP/ms.extra"
ms_start 4 "$port"
ms_start 5 "$port"
ms_start 6 "$port"
wr_ok "s4, s5, s6 share UDP port $port (reuse_port)"
wf_loadgen_start "$port" 300 "$machines"
sleep 10
served=$(wr_psql "SELECT owner || '=' || count(*) FROM machine_leases WHERE chip_id LIKE 'WF-%'
                  GROUP BY owner ORDER BY owner" | tr '\n' ' ')
wr_psql "SELECT chip_id FROM machine_leases WHERE owner = 's5'" >"$WR_TMP/s5.chips"
ms_kill 5 KILL
killed=$(wf_now)
sleep 15
wf_loadgen_stop
figures=$(wf_check)
moved=$(wr_psql "SELECT count(*) FROM machine_leases WHERE chip_id LIKE 'WF-%' AND epoch > 1")
false_lost=$(wr_psql "SELECT count(*) FROM violations v JOIN machines m ON m.id = v.machine_id
                      WHERE m.chip_id LIKE 'WF-%' AND v.kind = 'heartbeat_lost'")
twice=$(wr_psql "SELECT count(*) FROM (SELECT v.machine_id, v.kind FROM violations v
                 JOIN machines m ON m.id = v.machine_id WHERE m.chip_id LIKE 'WF-%'
                 GROUP BY 1, 2 HAVING count(*) > 1) d")
((false_lost == 0)) || wr_fail "$false_lost heartbeat_lost for machines under load"
((twice == 0)) || wr_fail "$twice violations recorded again by the server a machine moved to"
((moved > 0)) || wr_fail "no machine moved to another server after the kill"
# the killed server's machines: the longest time from the kill to a machine's first check-in
# acknowledged after it (on the server that took its lease)
recovery=$(cat "$WR_TMP"/acks* | awk -v t="$killed" 'NR == FNR { mine[$1] = 1; next }
    ($1 in mine) && $3 == "2.01" && $5 >= t && !($1 in first) { first[$1] = $5 }
    END { worst = 0
          for (c in mine) { if (!(c in first)) { print "none"; exit }
                            if (first[c] - t > worst) worst = first[c] - t }
          printf "%.2f\n", worst }' "$WR_TMP/s5.chips" -)
[[ $recovery != none ]] || wr_fail "a machine of the killed server was never answered again"
wr_ok "kill -9 of s5 under load (leases before: $served): $figures, false violations=0, violations recorded twice=0, $moved machines moved, each answered again within $recovery s of the kill"
ms_stop 4
ms_stop 6
wr_ok "s1, s3, s4 and s6 stopped cleanly"
