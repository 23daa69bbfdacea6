#!/usr/bin/env bash
# test-multi-flood.sh — a flooding machine that moves between servers keeps its spent burst
# (docs/architecture.md, "Several servers"), at checkin_rate 1 a second and a burst of 20:
#   1. the flooder floods s1 in a closed loop: s1 stores about its burst, answers the rest 4.29
#      and records checkin_flood once;
#   2. it floods s2 (as it would from another address, hashed to another server): s2 takes it
#      over and starts its pace with the burst spent, so it stores about one a second, not 20
#      more, and records nothing again within the merge window;
#   3. a machine that never flooded gets its whole burst on s2: the limit is the flooder's alone.
source "$(dirname "${BASH_SOURCE[0]}")/../faults/lib.sh"

rate=1 burst=20 seconds=4
wr_db_create multiflood
wf_machines 2
sed -n 1p "$WR_TMP/machines.psk" >"$WR_TMP/flooder.psk"
sed -n 2p "$WR_TMP/machines.psk" >"$WR_TMP/quiet.psk"
flooder=$(cut -d' ' -f1 "$WR_TMP/flooder.psk")
WR_SERVER_DEFAULTS="checkin_rate = $rate"
printf 'checkin_burst = %s\n' "$burst" >"$WR_TMP/ms.extra"
source "$(dirname "${BASH_SOURCE[0]}")/multi.sh"
ms_start 1 "$(wr_free_port udp)"
ms_start 2 "$(wr_free_port udp)"

# flood N PSK-FILE SEQ-BASE: the machine of PSK-FILE sends heartbeats to sN in a closed loop for
# $seconds s; prints the check-ins stored (2.01) and the answers 4.29.
flood() {
    "$WF_LOADGEN" --server "coaps://127.0.0.1:${MS_PORTS[$1]}" --psk-file "$2" --machines 1 \
        --duration "$seconds" --mix 100,0,0 --timeout 3 --seq-base "$3" \
        >"$WR_TMP/flood.out" 2>"$WR_TMP/flood.err" ||
        wr_fail "the load generator failed: $(tail -3 "$WR_TMP/flood.err")"
    printf '%s %s\n' "$(grep -o ' ok=[0-9]*' "$WR_TMP/flood.out" | cut -d= -f2)" \
        "$(grep -o ' 4\.29=[0-9]*' "$WR_TMP/flood.err" | cut -d= -f2 || echo 0)"
}
flagged() { wr_psql "SELECT count(*) FROM violations WHERE kind = 'checkin_flood'"; }
most=$((burst + (seconds + 1) * rate)) # what a fresh burst and the rate let in

# 1. s1: the burst, then 4.29; flagged once (the writer commits it a moment later)
read -r stored refused < <(flood 1 "$WR_TMP/flooder.psk" 1)
((stored >= burst && stored <= most && refused > 0)) ||
    wr_fail "s1 stored $stored of the flood and refused $refused (want $burst to $most, then 4.29)"
for ((i = 0; i < 50; i++)); do
    [[ $(flagged) == 1 ]] && break
    sleep 0.1
done
[[ $(flagged) == 1 ]] || wr_fail "the flood on s1 was recorded $(flagged) times, not once"
wr_ok "s1: the flood stored $stored (burst $burst), refused $refused with 4.29, checkin_flood once"

# 2. s2 takes the flooder over: its burst stays spent there
read -r stored refused < <(flood 2 "$WR_TMP/flooder.psk" 100000)
[[ $(lease "$flooder") == "s2 "* ]] || wr_fail "s2 did not take the flooder over: $(lease "$flooder")"
((stored <= (seconds + 1) * rate && refused > 0)) ||
    wr_fail "s2 stored $stored of the moved flood (at most $(((seconds + 1) * rate)) at $rate/s" \
        "with the burst spent; a fresh burst lets $most in), refused $refused"
[[ $(flagged) == 1 ]] || wr_fail "the flood was recorded again on s2 ($(flagged) in all)"
wr_ok "s2 took the flooder over ($(lease "$flooder")) with its burst spent: $stored stored in" \
    "${seconds} s, $refused refused with 4.29, checkin_flood still once"

# 3. a quiet machine keeps its whole burst on s2
read -r stored refused < <(flood 2 "$WR_TMP/quiet.psk" 1)
((stored >= burst)) || wr_fail "the quiet machine got $stored in on s2, less than its burst $burst"
wr_ok "a machine that did not flood: $stored stored on s2 (its burst $burst and the rate)"

ms_stop 1
ms_stop 2
grep -q 'AddressSanitizer\|runtime error' "$WR_TMP"/s*.log && wr_fail "the sanitizers reported"
echo "test-multi-flood: all checks passed"
