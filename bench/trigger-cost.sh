#!/usr/bin/env bash
# trigger-cost.sh DATABASE_URL [BATCHES] — what the roll-up and notice triggers
# (schema/010_notices_rollups.sql) cost the check-in path: on a migrated scratch database,
# commits BATCHES transactions (default 200) of 512 check-ins each, shaped like the writer's
# group commit (one statement inserts the check-ins and the violations of the refused ones;
# 40 % scans, a quarter of the scans refused, each refused scan a violation), with all the
# triggers of 010 on the path, with the roll-ups' only and with none, ROUNDS rounds (default 5)
# alternating, and prints the milliseconds per batch of each run and the median of each.
set -euo pipefail
db=${1:?usage: trigger-cost.sh DATABASE_URL [BATCHES]}
batches=${2:-200}
# HEARTBEATS=1: every check-in a heartbeat, no violations (what most batches are)
scan_fifths=2
[[ ${HEARTBEATS:-0} == 1 ]] && scan_fifths=0
psql() { command psql -XAtq -v ON_ERROR_STOP=1 -d "$db" "$@"; }
psql <<'SQL'
INSERT INTO communities (code, name, district) VALUES ('TC', '社区', '区');
INSERT INTO enterprises (uscc, name, community_id)
SELECT '9141018300000' || lpad(g::text, 5, '0'), '企业' || g, currval('communities_id_seq')
FROM generate_series(1, 100) g;
INSERT INTO machines (chip_id, process_category, enterprise_id, keeper_name)
SELECT 'TC-' || g, 'fusion', e.id, '王' FROM generate_series(1, 1000) g
JOIN enterprises e ON e.uscc = '9141018300000' || lpad((1 + g % 100)::text, 5, '0');
SQL
seq=0
out=$(mktemp)
# the triggers of 010 on the check-in path: on checkins, then on violations
TRIGGERS=(checkins:checkins_rollup violations:violations_rollup_insert
    violations:violations_notice_opened)
run() { # LABEL ENABLED-TRIGGERS...: prints ms per batch with only those triggers of 010 enabled
    local what=$1 file t0 t1 t sql=""
    shift
    for t in "${TRIGGERS[@]}"; do
        if [[ " $* " == *" ${t#*:} "* ]]; then
            sql+="ALTER TABLE ${t%%:*} ENABLE TRIGGER ${t#*:};"
        else
            sql+="ALTER TABLE ${t%%:*} DISABLE TRIGGER ${t#*:};"
        fi
    done
    psql -c "$sql"
    file=$(mktemp)
    for ((b = 0; b < batches; b++, seq += 512)); do
        cat <<SQL
WITH k AS (SELECT g, m.id AS machine, m.enterprise_id, e.community_id,
                  CASE WHEN g % 5 < $scan_fifths THEN 'scan' ELSE 'hb' END AS ev,
                  g % 10 <> 0 OR $scan_fifths = 0 AS ok
           FROM generate_series($seq, $seq + 511) g
           JOIN machines m ON m.chip_id = 'TC-' || (1 + g % 1000)
           JOIN enterprises e ON e.id = m.enterprise_id),
 ins AS (INSERT INTO checkins (chip_id, machine_id, seq, ev, body_hash, ok, reasons)
         SELECT 'TC-' || (1 + g % 1000), machine, g, ev, sha256(int8send(g)), ok,
                CASE WHEN ok THEN '{}'::text[] ELSE '{permit_none}' END FROM k
         RETURNING id, seq),
 v AS (INSERT INTO violations (kind, severity, community_id, enterprise_id, machine_id,
                               checkin_id, occurred_at)
       SELECT 'permit_none', 'critical', k.community_id, k.enterprise_id, k.machine, ins.id, now()
       FROM ins JOIN k ON k.g = ins.seq WHERE NOT k.ok)
SELECT count(*) FROM ins;
SQL
    done >"$file"
    t0=$(date +%s%N)
    psql -f "$file" >/dev/null
    t1=$(date +%s%N)
    rm -f "$file"
    printf 'triggers %-9s batches=%d rows_per_batch=512 ms_per_batch=%.2f\n' "$what" "$batches" \
        "$(echo "($t1 - $t0) / 1000000 / $batches" | bc -l)"
}
for ((round = 0; round < ${ROUNDS:-5}; round++)); do
    run all checkins_rollup violations_rollup_insert violations_notice_opened
    run rollups checkins_rollup violations_rollup_insert
    run none
done >"$out"
cat "$out"
for what in all rollups none; do
    mapfile -t v < <(awk -v w="$what" '$2 == w { split($5, f, "="); print f[2] }' "$out" | sort -n)
    printf 'median ms_per_batch with triggers %s: %s (%d runs)\n' "$what" "${v[${#v[@]} / 2]}" \
        "${#v[@]}"
done
rm -f "$out"
