#!/usr/bin/env bash
# test-scan.sh — the welder's journey and every way of cheating, through the real server and
# a real DTLS client: a certified welder with a permit scans and the machine unlocks, works,
# ends; then each check of the scan decision fails in turn and is named with its reason.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

WELDTAG="$WELDREG_BUILD_DIR/tag-reader/weldtag"
M1=WR-S-0001 # the machine on the permit, at the hot-work point
M2=WR-S-0002 # another machine of the enterprise, about 2 km away, not on the permit
LAT=34.52
LON=113.38
FAR_LAT=34.538 # about 2 km north

wr_db_create scan
wr_signing_key
psk1=$(wr_provision machine "$M1")
psk2=$(wr_provision machine "$M2")
wr_psql "INSERT INTO communities (code, name, district) VALUES ('QP', 'Qingping', 'Xinmi');
  INSERT INTO enterprises (uscc, name, community_id) VALUES ('91410183MA44XXXX0B', 'Works', 1);
  INSERT INTO machines (chip_id, process_category, enterprise_id, keeper_name)
    VALUES ('$M1', 'fusion', 1, 'Keeper'), ('$M2', 'fusion', 1, 'Keeper');
  INSERT INTO welders (name, idcard_hash, idcard_masked, licence_no_hash, licence_no_masked,
      licence_categories, licence_issued_on, licence_valid_until, licence_review_due)
    VALUES ('Zhang San', decode(repeat('01', 32), 'hex'), '4101**********1234',
      decode(repeat('02', 32), 'hex'), 'T**************1234', '{fusion}',
      current_date - 400, current_date + 1700, current_date + 600);
  INSERT INTO welder_trainings (welder_id, course, completed_on, hours, provider)
    VALUES (1, 'Hot work safety', current_date - 100, 16, 'Xinmi safety school');
  INSERT INTO permits (permit_no, level, enterprise_id, site_address, site_lat, site_lon,
      starts_at, ends_at, approver, gas_analysis_at, fire_watch)
    VALUES ('P-1', 'second', 1, 'Workshop 3', $LAT, $LON, now() - interval '1 hour',
      now() + interval '5 hours', 'Safety officer', now() - interval '10 minutes', 'Li Si');
  INSERT INTO permit_welders VALUES (1, 1);
  INSERT INTO permit_machines VALUES (1, 1);" >/dev/null

issue_welder() { wr_issue_welder "$@"; }
register_last_code() { wr_register_last_code "$@"; }
code=$(issue_welder 00112233445566778899aabbccddeeff)
register_last_code 1
wr_server_start

declare -A seq=([$M1]=0 [$M2]=0)
# scan MACHINE CODE [LAT LON]: a scan as MACHINE; the answer in $out, exit code in $rc.
send() {
    local chip=$1 ev=$2
    shift 2
    local psk=$psk1
    [[ $chip == "$M2" ]] && psk=$psk2
    seq[$chip]=$((seq[$chip] + 1))
    rc=0
    out=$("$WELDTAG" checkin --server "coaps://127.0.0.1:$WR_PORT" --identity "$chip" \
        --psk-file "$psk" --ev "$ev" --seq "${seq[$chip]}" "$@" 2>&1) || rc=$?
    out=$(wr_answer_names "$out")
}
scan() { send "$1" scan --code "$2" --lat "${3:-$LAT}" --lon "${4:-$LON}"; }
reload() { sleep 0.8; } # NOTIFY, 200 ms of quiet, rebuild, swap
expect_locked() { # REASON WHAT
    ((rc == 1)) && [[ $out == *"$1"* ]] || wr_fail "$2: want $1, got: $out"
    wr_ok "$2: $out"
}

# The journey: scan, unlock, work, end.
scan "$M1" "$code"
((rc == 0)) && [[ $out == "unlocked until"* ]] || wr_fail "approved scan: $out"
wr_ok "certified welder with a permit: $out"
[[ $(wr_psql "SELECT count(*) FROM work_sessions WHERE closed_at IS NULL AND permit_id = 1") == 1 ]] ||
    wr_fail "no open work session"
send "$M1" arc --amp 140
((rc == 0)) || wr_fail "arc in the session: $out"
send "$M1" hb
((rc == 0)) || wr_fail "heartbeat in the session: $out"
wr_ok "arc and heartbeat in the session keep it unlocked"

# The same welder at another machine 2 km away while working: busy and a shared code.
scan "$M2" "$code" "$FAR_LAT" "$LON"
expect_locked welder_busy_elsewhere "the welder's code at a second machine"
[[ $out == *shared_code* ]] || wr_fail "shared code not flagged: $out"
[[ $out == *permit_machine_not_listed* || $out == *permit_outside_radius* ]] ||
    wr_fail "the second machine is not on the permit: $out"
[[ $out == *code_copied* ]] || wr_fail "2 km within seconds is not code_copied: $out"
send "$M1" end
[[ $(wr_psql "SELECT close_reason FROM work_sessions WHERE id = 1") == ended ]] || wr_fail "end did not close"
wr_ok "end closes the session"

# A copied code: with nobody working, the code is scanned 28 km away seconds after its last
# scan, on the other machine (more than 120 km/h and 1 km allow); both scans are the
# violation's evidence. (One kind of violation a machine already had in the last 10 minutes
# adds evidence to it, not a new one: hence the other machine.)
scan "$M1" "$code" 34.79 "$LON"
[[ $out == *code_copied* ]] || wr_fail "a scan 28 km away is not code_copied: $out"
evidence=$(wr_psql "SELECT concat_ws(' ', details->'first'->>'lat', details->'second'->>'lat',
    (details->'second'->>'at')::bigint >= (details->'first'->>'at')::bigint,
    (details->>'distance_m')::int BETWEEN 27000 AND 29000, (details->>'allowed_m')::int < 3000,
    length(details->>'code_cti'), lat) FROM violations WHERE kind = 'code_copied' ORDER BY id DESC LIMIT 1")
[[ $evidence == "$FAR_LAT 34.79 t t t 16 34.79" ]] || wr_fail "code_copied evidence: $evidence"
wr_ok "a code scanned 28 km away seconds later is code_copied, with both scans: $evidence"

# Suspected modification: a machine rated 250 A. In a session that began at 100-110 A, 240 A
# is a jump; 300 A is above the rating. Flagged with the readings; the machine stays unlocked.
wr_psql "UPDATE machines SET rated_current_a = 250 WHERE chip_id = '$M1'" >/dev/null
reload
scan "$M1" "$code"
((rc == 0)) || wr_fail "scan before the arcs: $out"
# arc AMP: sends an arc, which must leave the machine unlocked; its reasons in $reasons
arc() {
    send "$M1" arc --amp "$1"
    ((rc == 0)) || wr_fail "arc of $1 A: $out"
    reasons=$(wr_psql "SELECT array_to_string(reasons, ',') FROM checkins
                       WHERE chip_id = '$M1' AND seq = ${seq[$M1]}")
}
for amp in 100 110 105 200; do
    arc "$amp"
    [[ -z $reasons ]] || wr_fail "an arc of $amp A was flagged: $reasons"
done
arc 240
[[ $reasons == suspected_modification ]] || wr_fail "a jump to 240 A was not flagged: $reasons"
arc 300
[[ $reasons == suspected_modification ]] || wr_fail "300 A on a 250 A machine: $reasons"
evidence=$(wr_psql "SELECT details::text FROM violations WHERE kind = 'suspected_modification'")
[[ $evidence == '{"rule": "profile_jump", "amp_a": 240, "baseline_a": 110, "rated_current_a": 250, "first_readings_a": [100, 110, 105]}' ]] ||
    wr_fail "suspected_modification evidence: $evidence"
wr_ok "a current that jumps in its session or exceeds the rating is suspected_modification: $evidence"
send "$M1" end

# Where and when: too far from the hot-work point, no position, stale gas analysis.
scan "$M1" "$code" "$FAR_LAT" "$LON"
expect_locked permit_outside_radius "2 km from the hot-work point"
send "$M1" scan --code "$code"
expect_locked position_missing "a scan without a position"
wr_psql "UPDATE permits SET gas_analysis_at = now() - interval '2 hours'" >/dev/null
reload
scan "$M1" "$code"
expect_locked gas_analysis_stale "gas analysis 2 h old"
wr_psql "UPDATE permits SET gas_analysis_at = now() - interval '5 minutes',
           starts_at = now() + interval '2 hours', ends_at = now() + interval '6 hours'" >/dev/null
reload
scan "$M1" "$code"
expect_locked permit_outside_window "a permit for later today"
wr_psql "UPDATE permits SET starts_at = now() - interval '1 hour', ends_at = now() + interval '5 hours',
           status = 'cancelled'" >/dev/null
reload
scan "$M1" "$code"
expect_locked permit_none "the only permit is cancelled"
wr_psql "UPDATE permits SET status = 'approved'" >/dev/null

# A second welder, certified and trained but not named on the permit.
wr_psql "INSERT INTO welders (name, idcard_hash, idcard_masked, licence_no_hash, licence_no_masked,
      licence_categories, licence_issued_on, licence_valid_until, licence_review_due)
    VALUES ('Wang Wu', decode(repeat('03', 32), 'hex'), '4101**********5678',
      decode(repeat('04', 32), 'hex'), 'T**************5678', '{fusion,brazing}',
      current_date - 400, current_date + 1700, current_date + 600);
  INSERT INTO welder_trainings (welder_id, course, completed_on, hours, provider)
    VALUES (2, 'Hot work safety', current_date - 50, 16, 'Xinmi safety school')" >/dev/null
code2=$(issue_welder ffeeddccbbaa99887766554433221100)
register_last_code 2
reload
scan "$M1" "$code2"
expect_locked permit_welder_not_listed "a welder not named on the permit"

# The licence and the welder: wrong category, expired, review overdue, revoked, untrained,
# suspended. Each change is undone before the next.
licence_case() { # SQL-SET REASON WHAT
    wr_psql "UPDATE welders SET $1 WHERE id = 1" >/dev/null
    reload
    scan "$M1" "$code"
    expect_locked "$2" "$3"
    wr_psql "UPDATE welders SET licence_categories = '{fusion}', licence_issued_on = current_date - 400,
               licence_valid_until = current_date + 1700, licence_review_due = current_date + 600,
               licence_status = 'active', status = 'active' WHERE id = 1" >/dev/null
}
licence_case "licence_categories = '{brazing}'" licence_missing_category "a brazing-only licence on a fusion machine"
licence_case "licence_issued_on = current_date - 2200, licence_valid_until = current_date - 10,
              licence_review_due = current_date - 20" licence_expired "a licence expired 10 days ago"
licence_case "licence_review_due = current_date - 3" licence_review_overdue "a review 3 days overdue"
licence_case "licence_status = 'revoked'" licence_revoked "a revoked licence"
licence_case "status = 'suspended'" welder_inactive "a suspended welder"
# Training a year and 100 days old: its validity (a year by the re-training cycle) has ended.
wr_psql "UPDATE welder_trainings SET completed_on = current_date - 465, valid_until = NULL
           WHERE welder_id = 1" >/dev/null
reload
scan "$M1" "$code"
expect_locked training_expired "training whose year ran out yesterday"
wr_psql "DELETE FROM welder_trainings WHERE welder_id = 1" >/dev/null
reload
scan "$M1" "$code"
expect_locked training_missing "no training on record"
wr_psql "INSERT INTO welder_trainings (welder_id, course, completed_on, hours, provider)
           VALUES (1, 'Hot work safety', current_date - 1, 16, 'Xinmi safety school')" >/dev/null
reload

# The code itself: tampered, signed by an unknown key, expired, not yet valid, a machine's
# code, issued but never recorded by the platform, revoked.
tampered=${code:0:40}$([[ ${code:40:1} == A ]] && echo B || echo A)${code:41}
scan "$M1" "$tampered"
((rc == 1)) && [[ $out == *code_forged* || $out == *code_malformed* ]] || wr_fail "tampered code: $out"
wr_ok "one character changed: $out"
# A change inside the signature keeps the Base45 and CBOR well-formed: the signature fails.
forged_seen=0
for ((i = ${#code} - 6; i > ${#code} - 40; i--)); do
    c=${code:i:1}
    [[ $c == 0 ]] && r=1 || r=0
    scan "$M1" "${code:0:i}$r${code:i+1}"
    if [[ $out == *code_forged* ]]; then forged_seen=1; break; fi
done
((forged_seen == 1)) || wr_fail "no signature change was reported as code_forged: $out"
wr_ok "a changed signature: $out"
openssl genpkey -algorithm ed25519 -out "$WR_TMP/forger.key" 2>/dev/null
forged=$(KEY=$WR_TMP/forger.key issue_welder 00112233445566778899aabbccddeeff)
scan "$M1" "$forged"
expect_locked code_unknown_key "a code signed by a key the platform does not trust"
expired=$(issue_welder 00112233445566778899aabbccddeeff --issued $(($(date +%s) - 10 * 86400)) --days 2)
scan "$M1" "$expired"
expect_locked code_expired "a code expired 8 days ago"
future=$(issue_welder 00112233445566778899aabbccddeeff --issued $(($(date +%s) + 86400)))
scan "$M1" "$future"
expect_locked code_not_yet_valid "a code issued tomorrow"
machine_code=$("$WELDTAG" issue machine --chip "$M1" --ent 1 --cat fusion \
    --signing-key "$KEY" --iss test 2>/dev/null)
scan "$M1" "$machine_code"
expect_locked code_wrong_type "a machine's code instead of a welder's"
unrecorded=$(issue_welder 00112233445566778899aabbccddeeff)
scan "$M1" "$unrecorded"
expect_locked welder_unknown "a genuine code the platform never recorded"
wr_psql "UPDATE codes SET revoked_at = now(), revoke_reason = 'reported lost' WHERE welder_id = 1" >/dev/null
reload
scan "$M1" "$code"
expect_locked code_revoked "a revoked code"

# The machine: suspended, scrapped, and a chip the registry does not know.
wr_psql "UPDATE machines SET status = 'suspended' WHERE chip_id = '$M1'" >/dev/null
reload
scan "$M1" "$code2"
expect_locked machine_suspended "a suspended machine"
wr_psql "UPDATE machines SET status = 'scrapped', scrapped_at = now() WHERE chip_id = '$M1'" >/dev/null
reload
scan "$M1" "$code2"
expect_locked machine_scrapped "a scrapped machine"
wr_psql "UPDATE machines SET chip_id = 'WR-S-GONE' WHERE chip_id = '$M1'" >/dev/null
reload
scan "$M1" "$code2"
expect_locked machine_unknown "a chip the registry does not know"

# Every denial above was recorded as evidence, and the violations name their kinds.
kinds=$(wr_psql "SELECT string_agg(DISTINCT kind, ',' ORDER BY kind) FROM violations")
for k in welder_busy_elsewhere shared_code permit_outside_radius gas_analysis_stale \
    permit_outside_window permit_none permit_welder_not_listed licence_missing_category \
    licence_expired licence_review_overdue licence_revoked welder_inactive code_revoked \
    welder_unknown machine_suspended machine_scrapped machine_unknown code_forged; do
    [[ ,$kinds, == *,$k,* ]] || wr_fail "no violation of kind $k: $kinds"
done
wr_ok "violations recorded: $kinds"
echo "test-scan: all checks passed"
