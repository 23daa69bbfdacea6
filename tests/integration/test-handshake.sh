#!/usr/bin/env bash
# test-handshake.sh — a failed DTLS handshake is logged at the default log level: a known
# identity with a wrong PSK gives a handshake_failed line with the identity and the peer address
# (never a key); a flood gives at most one line a second, and what it held back is counted on a
# handshakes_failed_held line within a second or so, so every failure is counted, exactly once.
# The server gives a handshake up when its retransmissions run out, 30 s or more after the
# attempt: the test waits for that (1 to 3 min).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CHIP=WR-H-0001
wr_db_create handshake
machine_psk=$(wr_provision machine "$CHIP")
wr_server_start
URI="coaps://127.0.0.1:$WR_PORT/.well-known/core"
WRONG=0123456789abcdef0123456789abcdef

attempt() { # KEY: one handshake as $CHIP, verbose; a wrong key gets no answer (-B: give up)
    timeout 30 coap-client-openssl -v 9 -m get -u "$CHIP" -k "$1" -B 10 "$URI" 2>&1 || true
}
# the client's own log says whether it sent its identity (the server learns it there)
sent_identity() { grep -q 'write client key exchange' "$1"; }
lines() { grep 'event=handshake_failed ' "$WR_SERVER_LOG" || true; }
count() { lines | grep -c . || true; }
# the failures the log accounts for: one per line plus those it says it held back, and the
# counts of the lines for what was held back
accounted() {
    grep -E 'event=handshakes?_failed' "$WR_SERVER_LOG" |
        sed -nE -e 's/.*suppressed=([0-9]+)$/\1/p' -e 's/.*event=handshakes_failed_held count=([0-9]+).*/held \1/p' |
        awk '$1 == "held" { n += $2; next } { n += 1 + $1 } END { print n + 0 }'
}
logged() { (($(count) >= $1)); }
all_accounted() { (($(accounted) >= $1)); }
wait_until() { # SECONDS COMMAND...: runs COMMAND every 0.5 s until it succeeds
    local end=$((SECONDS + $1))
    shift
    until "$@"; do
        ((SECONDS < end)) || return 1
        sleep 0.5
    done
}

[[ $(attempt "$(cat "$machine_psk")") == *weldreg.checkin* ]] || wr_fail "the right key got no answer"
attempt "$WRONG" >"$WR_TMP/first.out"
sent_identity "$WR_TMP/first.out" || { cat "$WR_TMP/first.out"; wr_fail "the wrong key was not sent"; }
wait_until 90 logged 1 || { cat "$WR_SERVER_LOG"; wr_fail "a wrong PSK was never logged"; }
sleep 2
first=$(lines)
[[ $(count) == 1 && $first == *"level=warn event=handshake_failed identity=$CHIP peer=127.0.0.1:"* &&
    $first == *"suppressed=0" ]] || { lines; wr_fail "want one line with identity, peer and count"; }
wr_ok "a wrong PSK for a known identity: $first"

# a flood: 8 at once. Each that sent its identity is a failure the server must count once, when
# it gives that handshake up (30 s or more later, spread under load)
pids=()
for ((i = 0; i < 8; i++)); do
    attempt "$WRONG" >"$WR_TMP/flood-$i.out" &
    pids+=($!)
done
wait "${pids[@]}"
sent=0
for ((i = 0; i < 8; i++)); do
    ! sent_identity "$WR_TMP/flood-$i.out" || sent=$((sent + 1))
done
((sent >= 2)) || wr_fail "only $sent of 8 clients of the flood got as far as their identity"
want=$((1 + sent))
wait_until 180 all_accounted "$want" || true
sleep 3 # nothing counted twice: no more come
grep -E 'event=handshakes?_failed' "$WR_SERVER_LOG"
(($(accounted) == want)) || wr_fail "$want wrong handshakes, $(accounted) accounted for"
(($(count) < want)) || wr_fail "a flood was logged line by line"
prev=0
while read -r ts; do
    t=$(date -d "$ts" +%s.%N)
    awk -v a="$prev" -v b="$t" 'BEGIN { exit !(b - a >= 0.999) }' || wr_fail "two lines within a second"
    prev=$t
done < <(grep -E 'event=handshakes?_failed' "$WR_SERVER_LOG" | sed -E 's/^ts=([^ ]*) .*/\1/')
! grep -qiF -e "$WRONG" -e "$(cat "$machine_psk")" "$WR_SERVER_LOG" || wr_fail "a key reached the log"
wr_ok "$want wrong handshakes, a flood of $sent among them: $(count) lines a second or more apart, all counted once"
wr_server_stop
