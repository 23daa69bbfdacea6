#!/usr/bin/env bash
# test-rotate-kek.sh — the PSKs' key-encryption key rotated while the server runs
# (weldreg-server rekey): machines keep completing DTLS-PSK handshakes before, during and after;
# every sealed PSK changes; the running server opens them without a restart, and the admin API
# seals a new machine's PSK under the new key; a restart with the new key alone works and one
# with the old key alone cannot open them.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

WELDTAG="$WELDREG_BUILD_DIR/tag-reader/weldtag"
T=$WR_TMP
wr_own_keys # the rotation rewrites them
wr_db_create rotkek
printf 'psk_kek_previous_file = %s\n' "$T/certs/psk-kek.previous" >>"$T/weldreg.conf"
CHIPS=(WR-T-KEK-1 WR-T-KEK-2 WR-T-KEK-3)
for chip in "${CHIPS[@]}"; do wr_provision machine "$chip" >/dev/null; done
admin_psk=$(wr_provision admin admin-kek)
cp "$T/certs/psk-kek.key" "$T/old.key"
sealed() { wr_psql "SELECT identity || ':' || encode(psk_ciphertext, 'hex') FROM principals ORDER BY identity"; }
before=$(sealed)
wr_server_start

# heartbeat CHIP SEQ: one weldtag check-in over a new DTLS-PSK handshake; "ok" or "FAILED" with
# the time in $HB_LOG (default $T/load.log, which the background load also writes)
heartbeat() {
    local rc=0 log=${HB_LOG:-$T/load.log}
    timeout 20 "$WELDTAG" checkin --server "coaps://127.0.0.1:$WR_PORT" --identity "$1" \
        --psk-file "$T/psk/$1.psk" --ev hb --seq "$2" --timeout 8 >/dev/null 2>&1 || rc=$?
    if ((rc <= 1)); then echo "$(date +%s.%N) ok $1" >>"$log"; else echo "$(date +%s.%N) FAILED $1 exit $rc" >>"$log"; fi
}
# the machines, one handshake after another until $T/stop appears
load() {
    local seq=0 chip
    while [[ ! -e $T/stop ]]; do
        seq=$((seq + 1))
        for chip in "${CHIPS[@]}"; do heartbeat "$chip" "$seq"; done
    done
}
load &
LOAD_PID=$!
sleep 2

# 1. the rotation, online
openssl rand -out "$T/new.key" 32
t0=$(date +%s.%N)
wr_run 0 "$WR_SERVER_BIN" rekey --new-kek-file "$T/new.key" --config "$T/weldreg.conf"
t1=$(date +%s.%N)
sed 's/^/    /' "$T/out"
wr_expect_text "pass 1: re-sealed 4 PSKs, 0 were under the new key already"
wr_expect_text "pass 2: re-sealed 0 PSKs, 4 were under the new key already"
cmp -s "$T/certs/psk-kek.key" "$T/new.key" || wr_fail "psk_kek_file does not hold the new key"
cmp -s "$T/certs/psk-kek.previous" "$T/old.key" || wr_fail "psk_kek_previous_file lacks the old key"
after=$(sealed)
[[ $(comm -12 <(sort <<<"$before") <(sort <<<"$after") | wc -l) == 0 ]] ||
    wr_fail "a sealed PSK did not change"
[[ $(wc -l <<<"$after") == 4 ]] || wr_fail "principals lost: $after"
[[ $(wr_psql "SELECT after FROM audit_log WHERE action = 'principal.psk_resealed'") == \
    '{"resealed": 4, "unchanged": 0}' ]] || wr_fail "the re-seal is not in the audit log once"
wr_ok "rekey re-sealed all 4 PSKs under the new key; every stored ciphertext changed; audited"
# run again with the same key (as after a rekey stopped between the files and the commit): it
# re-seals what is left from the previous key, here nothing
wr_run 0 "$WR_SERVER_BIN" rekey --new-kek-file "$T/new.key" --config "$T/weldreg.conf"
wr_expect_text "psk_kek_file holds the new key already: re-sealing what is left"
wr_expect_text "pass 1: re-sealed 0 PSKs, 4 were under the new key already"
[[ $(sealed) == "$after" ]] || wr_fail "a second run changed PSKs under the new key"
wr_ok "rekey run again with the same key resumes: nothing left to re-seal, nothing changed"

# 2. the running server follows: it reloads (NOTIFY) with the new key, and the admin API seals a
# new machine's PSK under it
for ((i = 0; i < 50; i++)); do
    [[ $(grep -c 'event=registry_loaded' "$WR_SERVER_LOG") -ge 1 ]] && break
    sleep 0.2
done
grep -q 'event=registry_loaded' "$WR_SERVER_LOG" || wr_fail "the server did not reload the principals"
! grep -q 'registry_reload_failed' "$WR_SERVER_LOG" || wr_fail "a reload failed: $(grep reload_failed "$WR_SERVER_LOG")"
admin() {
    wr_run 0 "$WELDTAG" admin "$@" --json --server "coaps://127.0.0.1:$WR_PORT" \
        --identity admin-kek --psk-file "$admin_psk"
}
admin community create code=410183-011 name=密钥社区 district=新密市
admin enterprise create uscc=91350100M000100Y43 name=密钥焊接厂 community_id=1
admin machine create chip_id=WR-T-KEK-NEW process_category=fusion enterprise_id=1 keeper_name=王五
wr_field psk >"$T/psk/WR-T-KEK-NEW.psk"
# its own log: the background load appends to load.log meanwhile
for ((i = 0; i < 50; i++)); do
    HB_LOG=$T/new.log heartbeat WR-T-KEK-NEW 1
    tail -n 1 "$T/new.log" | grep -q ' ok WR-T-KEK-NEW' && break
    sleep 0.2
done
tail -n 1 "$T/new.log" | grep -q ' ok WR-T-KEK-NEW' || wr_fail "the machine made after the rekey cannot connect"
wr_ok "the running server reloaded with the new key; a machine the API made afterwards connects"

# 3. handshakes never failed, before, during and after
sleep 2
touch "$T/stop"
wait "$LOAD_PID"
ok=$(grep -c ' ok ' "$T/load.log")
during=$(awk -v a="$t0" -v b="$t1" '$1 >= a && $1 <= b && $2 == "ok"' "$T/load.log" | wc -l)
! grep -q FAILED "$T/load.log" || wr_fail "handshakes failed: $(grep FAILED "$T/load.log" | head -3)"
((ok >= 6 && during >= 1)) || wr_fail "too few handshakes: $ok in all, $during during the rekey"
wr_ok "$ok PSK handshakes of 3 machines before, during ($during) and after the rekey: none failed"

# 4. the old key is no longer needed, and no longer enough
rm "$T/certs/psk-kek.previous"
wr_server_stop
wr_server_start
heartbeat WR-T-KEK-1 1000
heartbeat WR-T-KEK-NEW 2
! grep -q FAILED "$T/load.log" || wr_fail "after a restart with the new key alone: $(grep FAILED "$T/load.log")"
wr_server_stop
cp "$T/old.key" "$T/certs/psk-kek.key"
printf 'listen = 127.0.0.1:%s\n' "$(wr_free_udp_port)" >>"$T/weldreg.conf"
rc=0
timeout 20 "$WR_SERVER_BIN" serve --config "$T/weldreg.conf" >"$T/old.log" 2>&1 || rc=$?
if ((rc != 3)) || ! grep -q 'could not load principal' "$T/old.log"; then
    cat "$T/old.log"
    wr_fail "the old key alone: exit $rc, want 3 (cannot open the PSKs)"
fi
wr_ok "a restart with the new key alone serves every machine; the old key alone opens none (exit 3)"

# 5. a rekey that stopped after moving the files: a PSK still sealed under the old key (sealed
# here with the old key in place) is re-sealed by running rekey again with the same new key
sed -i '/^listen = /d' "$T/weldreg.conf"
wr_provision machine WR-T-KEK-LATE >/dev/null
cp "$T/new.key" "$T/certs/psk-kek.key"
cp "$T/old.key" "$T/certs/psk-kek.previous"
wr_run 0 "$WR_SERVER_BIN" rekey --new-kek-file "$T/new.key" --config "$T/weldreg.conf"
wr_expect_text "psk_kek_file holds the new key already: re-sealing what is left"
wr_expect_text "pass 1: re-sealed 1 PSKs, 5 were under the new key already"
rm "$T/certs/psk-kek.previous"
wr_server_start
heartbeat WR-T-KEK-LATE 1
! grep -q FAILED "$T/load.log" || wr_fail "the PSK re-sealed on resuming: $(grep FAILED "$T/load.log")"
wr_ok "a rekey resumed with the same key re-seals the PSK left under the old key; it connects"
