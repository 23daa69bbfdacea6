#!/usr/bin/env bash
# partition-cost.sh DATABASE_URL [ROWS] — what the monthly partitions (schema/022, 023, 029)
# cost the check-in path and the reads, on the same data: two scratch databases on the server of
# DATABASE_URL, "pc_flat" with the migrations up to 021 (checkins one table, (chip, seq) its
# unique index) and "pc_part" with all of them (partitioned, checkin_keys), each filled with the
# same ROWS check-ins (default 240,000) of 1,000 machines over 24 months and a violation for one
# in a hundred. Then ROUNDS rounds (default 5), each running every workload on both databases one
# after the other, the order of the two swapped every round so that neither always runs second
# on a machine shared with other work; each run is a pgbench of SECONDS_PER_RUN seconds (default
# 4), one client, the statements sent as weldreg sends them (below). Prints every run, then per workload and schema the median of the
# transactions per second, their lowest and highest, and the median's ratio part/flat.
# Workloads (each what weldreg does, in the SQL of that schema):
#   batch     a group commit of 64 heartbeats (the writer's duplicate test: ON CONFLICT on flat,
#             NOT EXISTS on checkin_keys on part), new (chip, seq) each time
#   resend    a stored check-in read back by (chip, seq), as for a resend
#   recent    a machine's last 20 check-ins (the machine page)
#   evidence  a violation with its check-in (GET /v1/violations: through the key on part)
#   month30   a machine's check-ins of the last 30 days counted
set -euo pipefail
url=${1:?usage: partition-cost.sh DATABASE_URL [ROWS]}
rows=${2:-240000}
rounds=${ROUNDS:-5}
seconds=${SECONDS_PER_RUN:-4}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# shellcheck source=lib.sh
source "$root/bench/lib.sh" # bench_url_with_db

psql_on() { # DB ARGS...
    psql -XAtq -v ON_ERROR_STOP=1 -d "$(bench_url_with_db "$url" "$1")" "${@:2}"
}

# migrate NAME FIRST LAST: the migrations FIRST to LAST, each in a transaction.
migrate() {
    local f n
    for f in "$root"/schema/*.sql; do
        n=$(basename "$f")
        if ((10#${n:0:3} >= $2 && 10#${n:0:3} <= $3)); then psql_on "$1" -1 -f "$f" >/dev/null; fi
    done
}

# make_db NAME LAST-MIGRATION: a new database at schema 021 with the data, then migrated up to
# LAST (the way an existing installation is): both databases hold the same rows, ids included.
make_db() {
    psql -XAtq -d "$url" -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1"
    migrate "$1" 0 21
    psql_on "$1" >/dev/null <<SQL
INSERT INTO communities (code, name, district) VALUES ('PC', '社区', '区');
INSERT INTO enterprises (uscc, name, community_id)
VALUES ('914101830000000001', '企业', (SELECT id FROM communities));
INSERT INTO machines (chip_id, process_category, enterprise_id, keeper_name)
SELECT 'PC-' || g, 'fusion', 1, '王' FROM generate_series(1, 1000) g;
INSERT INTO checkins (chip_id, machine_id, seq, ev, received_at, body_hash, ok)
SELECT 'PC-' || (1 + g % 1000), 1 + g % 1000, g, 'hb',
       now() - make_interval(secs => (g::double precision / $rows) * 730 * 86400),
       sha256(int8send(g)), true
FROM generate_series(1, $rows) g;
INSERT INTO violations (kind, severity, machine_id, checkin_id, occurred_at)
SELECT 'permit_none', 'critical', machine_id, id, received_at FROM checkins WHERE seq % 100 = 0;
SQL
    migrate "$1" 22 "$2"
    psql_on "$1" -c "VACUUM ANALYZE"
}

make_db pc_flat 21
make_db pc_part 999

# The workloads as pgbench scripts, per schema (only batch and resend differ).
ins="INSERT INTO checkins (chip_id, machine_id, seq, ev, body_hash, ok)
 SELECT 'PC-' || m, m, s, 'hb', sha256(int8send(s)), true
 FROM (SELECT 1 + g % 1000 AS m, :base::bigint + g AS s FROM generate_series(0, 63) g) k"
cat >"$work/batch.flat" <<SQL
\\set base random(1000000, 1000000000000) * 64
BEGIN;
$ins
 ON CONFLICT (chip_id, seq) DO NOTHING;
COMMIT;
SQL
cat >"$work/batch.part" <<SQL
\\set base random(1000000, 1000000000000) * 64
BEGIN;
$ins
 WHERE NOT EXISTS (SELECT 1 FROM checkin_keys x WHERE x.chip_id = 'PC-' || k.m AND x.seq = k.s);
COMMIT;
SQL
cat >"$work/resend.flat" <<SQL
\\set s random(1, $rows)
SELECT id, ok, reasons FROM checkins WHERE chip_id = 'PC-' || (1 + :s % 1000) AND seq = :s;
SQL
cat >"$work/resend.part" <<SQL
\\set s random(1, $rows)
SELECT c.id, c.ok, c.reasons FROM checkin_keys k JOIN checkins c
 ON c.id = k.checkin_id AND c.received_at = k.received_at
 WHERE k.chip_id = 'PC-' || (1 + :s % 1000) AND k.seq = :s;
SQL
for schema in flat part; do
    cat >"$work/recent.$schema" <<SQL
\\set m random(1, 1000)
SELECT id, seq, ev, received_at FROM checkins WHERE machine_id = :m
 ORDER BY received_at DESC LIMIT 20;
SQL
    cat >"$work/month30.$schema" <<SQL
\\set m random(1, 1000)
SELECT count(*) FROM checkins WHERE machine_id = :m AND received_at > now() - interval '30 days';
SQL
done
# the evidence as each schema's server reads it (server/db/store_inspect.c at 021 and now)
cat >"$work/evidence.flat" <<SQL
\\set v random(1, $((rows / 100)))
SELECT v.id, c.seq, c.received_at FROM violations v JOIN checkins c ON c.id = v.checkin_id
 WHERE v.id = :v;
SQL
cat >"$work/evidence.part" <<SQL
\\set v random(1, $((rows / 100)))
SELECT v.id, c.seq, c.received_at FROM violations v
 JOIN checkins c ON c.id = v.checkin_id AND c.received_at = (SELECT ck.received_at
  FROM checkin_keys ck WHERE ck.checkin_id = v.checkin_id) WHERE v.id = :v;
SQL

# as weldreg sends them: the writer's statements (the batch, the read of a resend) prepared, the
# API's reads with parameters and planned each time (PQexecParams)
declare -A protocol=([batch]=prepared [resend]=prepared [recent]=extended [evidence]=extended
    [month30]=extended)
out=$work/runs
: >"$out"
declare -A med
for ((round = 0; round < rounds; round++)); do
    order=(flat part)
    ((round % 2 == 0)) || order=(part flat)
    for w in batch resend recent evidence month30; do
        for schema in "${order[@]}"; do
            tps=$(pgbench -n -M "${protocol[$w]}" -c 1 -T "$seconds" -f "$work/$w.$schema" \
                "$(bench_url_with_db "$url" "pc_$schema")" 2>&1 |
                awk '/^tps = / { print $3 }')
            printf 'round=%d workload=%s schema=%s tps=%s\n' "$round" "$w" "$schema" "$tps" | tee -a "$out"
        done
    done
done
printf '\n%-9s %26s %26s %7s\n' workload "flat: median (min-max)" "part: median (min-max)" ratio
for w in batch resend recent evidence month30; do
    line=$(printf '%-9s' "$w")
    for schema in flat part; do
        mapfile -t v < <(awk -v w="$w" -v s="$schema" \
            '$2 == "workload=" w && $3 == "schema=" s { sub("tps=", "", $4); print $4 }' "$out" | sort -g)
        med[$schema]=${v[${#v[@]} / 2]}
        line+=$(printf ' %26s' "$(printf '%.0f (%.0f-%.0f)' "${med[$schema]}" "${v[0]}" "${v[-1]}")")
    done
    printf '%s %7.2f\n' "$line" "$(echo "${med[part]} / ${med[flat]}" | bc -l)"
done
echo "tps: transactions per second of one client ($seconds s per run, $rounds runs each; batch: 64 check-ins a transaction)"
[[ ${KEEP:-0} == 1 ]] || psql -XAtq -d "$url" -c "DROP DATABASE pc_flat WITH (FORCE)" -c "DROP DATABASE pc_part WITH (FORCE)"
