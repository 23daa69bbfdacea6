#!/usr/bin/env bash
# soak.sh — the server under hours of mixed load: machines checking in at a fixed rate
# (heartbeats, arcs and scans of a welder code with no permit, so violations are raised), every
# 30 s an administrator's change through the server and a change of a machine in the registry
# (which reloads the server's views), a configuration reload (SIGHUP) every 5 minutes (every
# quarter of a shorter run), and inspectors' Observe subscriptions (`weldtag watch`) opened and
# closed all along. Every SAMPLE seconds it records the server's resident memory, descriptors,
# PostgreSQL connections and writer queue. At the end:
#   - growth of each, from the start (a tenth of the run after the warm-up: the first minute,
#     or tenth if longer) to the end (the last tenth), must be under 2 %;
#   - every acknowledged check-in stored once (check-acks.sh), the audit chain intact.
# It prints one line per sample, the figures, a result line, and draws the plot (memory,
# descriptors, connections and the latency's median and 99th percentile per interval).
#   tests/faults/soak.sh [--minutes N] [--rate R] [--plot FILE.png] [--samples FILE]
# Defaults: 120 minutes at 200 check-ins/s (WF_SHORT=1: 4 minutes, the form CI runs). Needs
# gnuplot for the plot (scripts/deps.sh installs it).
# shellcheck source=tests/faults/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

minutes=$(wf_pick 4 120)
rate=200
plot=""
samples_out=""
while (($#)); do
    case "$1" in
    --minutes) minutes=${2:?--minutes needs a number} && shift ;;
    --rate) rate=${2:?--rate needs a number} && shift ;;
    --plot) plot=${2:?--plot needs a file} && shift ;;
    --samples) samples_out=${2:?--samples needs a file} && shift ;;
    *) wr_fail "soak.sh: unknown option \"$1\"" ;;
    esac
    shift
done
if [[ ! $minutes =~ ^[0-9]+$ ]] || ((minutes < 2)); then
    wr_fail "--minutes: a whole number, at least 2"
fi
command -v gnuplot >/dev/null || wr_fail "gnuplot is not installed (Debian: gnuplot-nox; scripts/deps.sh)"
seconds=$((minutes * 60))
sample_s=$(((seconds / 240) > 5 ? (seconds / 240) : 5)) # about 240 samples, at most every 5 s
machines=200
plot=${plot:-$WR_TMP/soak.png}
samples=$WR_TMP/samples

# under AddressSanitizer freed memory waits in a quarantine of up to 256 MB before it is reused,
# which would read as growth for the first hour: with no quarantine RSS shows what is live
libs=$(ldd "$WR_SERVER_BIN") # not piped into grep -q: under pipefail an early exit fails ldd
[[ $libs != *libasan* ]] ||
    export ASAN_OPTIONS="${ASAN_OPTIONS:-}:quarantine_size_mb=0:thread_local_quarantine_size_kb=0"

wr_db_create faults_soak
wf_machines "$machines"
cti=$("$WF_PROVISION" --database-url "$DATABASE_URL" --kek "$WR_CERTS_DIR/psk-kek.key" \
    --out "$WR_TMP/none.psk" --count 0 --signing-key "$WR_CERTS_DIR/signing.key" \
    --code-out "$WR_TMP/code.txt") || wr_fail "could not issue the welder's code"
kid=$(awk '!/^#/ && NF { print $1; exit }' "$WR_CERTS_DIR/trust.list")
wr_psql "INSERT INTO welders (name, idcard_hash, idcard_masked, licence_no_hash, licence_no_masked,
             licence_categories, licence_issued_on, licence_valid_until, licence_review_due)
         VALUES ('Soak Welder', sha256('soak-id'), '370***********123X', sha256('soak-lic'),
             'T**************1234', '{fusion}', current_date - 100, current_date + 900,
             current_date + 900);
         INSERT INTO codes (cti, kind, welder_id, kid, expires_at)
             VALUES (decode('${cti#cti=}', 'hex'), 'welder', 1, decode('$kid', 'hex'),
                 now() + interval '180 days');" >/dev/null
inspector_psk=$(wr_provision inspector soak-inspector)
wr_psql "INSERT INTO principal_communities
             SELECT id, 1 FROM principals WHERE identity = 'soak-inspector'" >/dev/null
mport=$(wr_free_port tcp)
printf 'metrics_listen = 127.0.0.1:%s\n' "$mport" >"$WR_TMP/server.extra"
wr_server_start

# soak_metric NAME prints the value of the server's metric NAME (no labels).
soak_metric() {
    local text
    text=$(curl -sf "http://127.0.0.1:$mport/metrics") || return 0
    awk -v n="$1" '$1 == n { print $2; exit }' <<<"$text"
}

# soak_sample prints "SECONDS RSS_KB FDS PG_CONNECTIONS QUEUE" for the server now.
soak_sample() {
    local fds conns queue
    fds=$(find "/proc/$WR_SERVER_PID/fd" -mindepth 1 -maxdepth 1 | wc -l)
    conns=$(wr_psql "SELECT count(*) FROM pg_stat_activity WHERE datname = '$WR_DB_NAME'
        AND application_name LIKE 'weldreg%'")
    queue=$(soak_metric weldreg_writer_queue_depth)
    printf '%s %s %s %s %s\n' "$(($(date +%s) - soak_start))" "$(wf_rss_kb "$WR_SERVER_PID")" \
        "$fds" "$conns" "${queue:-nan}"
}

# soak_watch: an inspector watches the live violations for 5–25 s, then lets go; its exit
# status goes to $WR_TMP/watch.rc (bash forgets the status of children that ended hours ago).
soak_watch() {
    local rc=0
    "$WF_WELDTAG" watch --json --for $((5 + RANDOM % 21)) --server "coaps://127.0.0.1:$WR_PORT" \
        --identity soak-inspector --psk-file "$inspector_psk" >>"$WR_TMP/watch.out" \
        2>>"$WR_TMP/watch.err" || rc=$?
    printf '%s\n' "$rc" >>"$WR_TMP/watch.rc"
}

wf_loadgen_start "$WR_PORT" "$seconds" "$machines" --rate "$rate" --mix 88,10,2 \
    --code-file "$WR_TMP/code.txt"
soak_start=$(date +%s)
changes=0 reloads=0 watches=0
reload_every=$((seconds / 4 < 300 ? seconds / 4 : 300))
next_sample=0 next_change=30 next_reload=$reload_every next_watch=0
: >"$samples"
while kill -0 "$WF_LOADGEN_PID" 2>/dev/null; do
    now=$(($(date +%s) - soak_start))
    if ((now >= next_sample)); then
        soak_sample | tee -a "$samples" | sed 's/^/  sample /'
        next_sample=$((next_sample + sample_s))
    fi
    if ((now >= next_change)); then
        changes=$((changes + 1))
        wf_admin_change "soak-$changes"
        wr_psql "UPDATE machines SET keeper_name = 'Keeper $changes'
                 WHERE id = $((1 + changes % machines))" >/dev/null
        next_change=$((next_change + 30))
    fi
    if ((now >= next_reload)); then
        kill -HUP "$WR_SERVER_PID"
        reloads=$((reloads + 1))
        next_reload=$((next_reload + reload_every))
    fi
    if ((now >= next_watch)); then
        soak_watch &
        watches=$((watches + 1))
        next_watch=$((next_watch + 10 + RANDOM % 11))
    fi
    sleep 1
done
wf_loadgen_wait
# the last watches end within 25 s (not `wait`: the server is a child of this shell too)
for ((i = 0; i < 300; i++)); do
    [[ $(wc -l <"$WR_TMP/watch.rc") -lt $watches ]] || break
    sleep 0.1
done
[[ $(wc -l <"$WR_TMP/watch.rc") == "$watches" && $(sort -u "$WR_TMP/watch.rc") == 0 ]] ||
    wr_fail "an inspector's watch failed (exit $(sort -u "$WR_TMP/watch.rc" | paste -sd,)):" \
        "$(tail -n 3 "$WR_TMP/watch.err")"
figures=$(wf_check)
echo "$figures"
wf_audit_verify
grep -q 'AddressSanitizer\|runtime error' "$WR_SERVER_LOG" && wr_fail "the sanitizers reported"
reloaded=$(grep -c 'event=config_reloaded' "$WR_SERVER_LOG" || true)
((reloaded == reloads)) || wr_fail "$reloads SIGHUP sent, $reloaded configuration reloads logged"
views=$(grep -c 'event=registry_loaded' "$WR_SERVER_LOG" || true)
observed=$(grep -c '"id"' "$WR_TMP/watch.out" || true)

# soak_growth COLUMN NAME: the median of COLUMN over the start window and over the end window,
# and the growth in per cent; fails past 2 % (and past one unit for a count).
soak_growth() {
    awk -v c="$1" -v total="$seconds" -v name="$2" '
        function median(a, n,    i, j, t) {
            for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
                t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
            }
            return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
        }
        BEGIN { from = 0.1 * total < 60 ? 60 : 0.1 * total }
        $1 >= from && $1 < from + 0.1 * total { s[++ns] = $c }
        $1 >= 0.9 * total { e[++ne] = $c }
        END {
            if (!ns || !ne) { print name ": too few samples"; exit 1 }
            a = median(s, ns); b = median(e, ne)
            g = a > 0 ? 100 * (b - a) / a : (b > a ? 100 : 0)
            printf "%s %s -> %s (%+.2f %%)\n", name, a, b, g
            exit !(g < 2 || b - a <= 1)
        }' "$samples"
}
failed=0
growth=""
for col in "2 rss_kb" "3 descriptors" "4 pg_connections" "5 writer_queue"; do
    line=$(soak_growth "${col% *}" "${col#* }") || failed=1
    echo "growth: $line"
    growth+="${col#* }_growth=$(awk '{ v = $5; gsub(/[(%+)]/, "", v); print v }' <<<"$line") "
done

# the latency's median and 99th percentile per interval, from the ack log
awk -v t0="$soak_start" -v w="$sample_s" '{ b = int(($5 - t0) / w); print b * w + w / 2, $6 }' \
    "$WR_TMP/acks" | sort -k1,1n -k2,2n | awk '
        function flush() { if (n) print key, v[int(n * 0.5) + 1], v[int(n * 0.99) + 1]; n = 0 }
        $1 != key { flush(); key = $1 }
        { v[++n] = $2 }
        END { flush() }' >"$WR_TMP/latency"
y2max=$(awk '{ for (i = 3; i <= 5; i++) if ($i > m) m = $i } END { print int(m * 1.3) + 2 }' \
    "$samples")
gnuplot <<GNUPLOT || wr_fail "gnuplot could not draw $plot"
set terminal pngcairo size 1000,700 font "sans,10"
set output "$plot"
set multiplot layout 2,1 title "weldreg soak: $minutes min, $rate check-ins/s, $machines machines"
set xlabel "minutes"
set grid
set ylabel "resident memory (MB)"
set y2label "descriptors, PostgreSQL connections, queue"
set y2tics
set yrange [0:*]
set y2range [0:$y2max]
plot "$samples" using (\$1/60):(\$2/1024) with lines lw 2 title "RSS", \
     "" using (\$1/60):3 axes x1y2 with steps title "descriptors", \
     "" using (\$1/60):4 axes x1y2 with steps title "PostgreSQL connections", \
     "" using (\$1/60):5 axes x1y2 with steps title "writer queue"
unset y2label
unset y2tics
set ylabel "check-in latency (ms)"
set logscale y
set yrange [*:*]
plot "$WR_TMP/latency" using (\$1/60):2 with lines title "median", \
     "" using (\$1/60):3 with lines title "99th percentile"
unset multiplot
GNUPLOT
[[ -z $samples_out ]] || cp "$samples" "$samples_out"
wf_result soak "minutes=$minutes rate=$rate machines=$machines $figures" \
    "p99_ms=$(wf_loadgen_get p99_ms) admin_changes=$changes view_reloads=$views" \
    "sighup=$reloads watches=$watches observed=$observed $growth"
wr_server_stop
((failed == 0)) || wr_fail "something grew by 2 % or more over the soak"
echo "plot: $plot"
wr_ok "soak of $minutes min: flat, $figures"
