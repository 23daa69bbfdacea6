#!/usr/bin/env bash
# test-handshake.sh — a failed DTLS handshake is logged at the default log level: a known
# identity with a wrong PSK gives a handshake_failed line with the identity and the peer address
# (never a key); a flood gives at most one line a second, and the next line printed says how many
# were held back, so every failure is counted. The server gives a handshake up when its
# retransmissions run out, 30 s or more after the attempt: the test waits for that (about 2 min).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CHIP=WR-H-0001
wr_db_create handshake
machine_psk=$(wr_provision machine "$CHIP")
wr_server_start
URI="coaps://127.0.0.1:$WR_PORT/.well-known/core"
WRONG=0123456789abcdef0123456789abcdef

attempt() { # KEY: one handshake as $CHIP; a wrong key gets no answer (-B: give up after 3 s)
    timeout 20 coap-client-openssl -m get -u "$CHIP" -k "$1" -B 3 "$URI" 2>&1 || true
}
lines() { grep 'event=handshake_failed' "$WR_SERVER_LOG" || true; }
count() { lines | grep -c . || true; }
# the failures the log accounts for: one per line, plus those each line says it held back
accounted() { lines | sed -nE 's/.*suppressed=([0-9]+)$/\1/p' | awk '{ n += 1 + $1 } END { print n + 0 }'; }
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
attempt "$WRONG" >/dev/null
wait_until 60 logged 1 || { cat "$WR_SERVER_LOG"; wr_fail "a wrong PSK was never logged"; }
sleep 2
first=$(lines)
[[ $(count) == 1 && $first == *"level=warn event=handshake_failed identity=$CHIP peer=127.0.0.1:"* &&
    $first == *"suppressed=0" ]] || { lines; wr_fail "want one line with identity, peer and count"; }
wr_ok "a wrong PSK for a known identity: $first"

# a flood: 8 at once; once it has settled (its handshakes end 30 or 60 s later), one more, whose
# line carries the count of those held back
pids=()
for ((i = 0; i < 8; i++)); do
    attempt "$WRONG" >/dev/null &
    pids+=($!)
done
wait "${pids[@]}"
sleep 75
attempt "$WRONG" >/dev/null
wait_until 60 all_accounted 10 || true
lines
(($(accounted) == 10)) || wr_fail "10 wrong handshakes, $(accounted) accounted for"
(($(count) < 10)) || wr_fail "a flood was logged line by line"
prev=0
while read -r ts; do
    t=$(date -d "$ts" +%s.%N)
    awk -v a="$prev" -v b="$t" 'BEGIN { exit !(b - a >= 0.999) }' || wr_fail "two lines within a second"
    prev=$t
done < <(lines | sed -E 's/^ts=([^ ]*) .*/\1/')
! grep -qiF -e "$WRONG" -e "$(cat "$machine_psk")" "$WR_SERVER_LOG" || wr_fail "a key reached the log"
wr_ok "10 wrong handshakes, a flood among them: $(count) lines a second or more apart, all counted"
wr_server_stop
