#!/usr/bin/env bash
# check-acks.sh — compares a load generator's ack log (--ack-log: "CHIP SEQ 2.01 ID TIME MS"
# per acknowledged check-in) with the database of DATABASE_URL:
#   acknowledged  distinct (chip, seq) the server answered 2.01
#   lost          acknowledged but not in checkins, or stored under another id than answered
#   duplicated    (chip, seq) stored more than once, or answered with two different ids, and
#                 violations recorded twice for one check-in
# Prints "acknowledged=N lost=N duplicated=N" and exits 1 unless lost and duplicated are 0.
#   tests/faults/check-acks.sh ACK_LOG
set -euo pipefail

log=${1:?usage: check-acks.sh ACK_LOG}
[[ -r $log ]] || { echo "check-acks: cannot read \"$log\"" >&2; exit 2; }
[[ -n ${DATABASE_URL:-} ]] || { echo "check-acks: DATABASE_URL is not set" >&2; exit 2; }

result=$(psql -XAtq -v ON_ERROR_STOP=1 -F ' ' -d "$DATABASE_URL" <<SQL
CREATE TEMP TABLE acks (chip text, seq bigint, code text, id bigint, at numeric, ms numeric);
\\copy acks FROM '$log' WITH (DELIMITER ' ')
WITH acked AS (SELECT DISTINCT chip, seq, id FROM acks WHERE code = '2.01')
SELECT
    (SELECT count(*) FROM (SELECT DISTINCT chip, seq FROM acked) a),
    (SELECT count(*) FROM acked a
        WHERE NOT EXISTS (SELECT 1 FROM checkins c
                          WHERE c.chip_id = a.chip AND c.seq = a.seq AND c.id = a.id)),
    (SELECT count(*) FROM (SELECT chip, seq FROM acked GROUP BY 1, 2 HAVING count(*) > 1) d)
  + (SELECT count(*) FROM (SELECT chip_id, seq FROM checkins GROUP BY 1, 2
                           HAVING count(*) > 1) d)
  + (SELECT count(*) FROM (SELECT checkin_id, kind FROM violations
                           WHERE checkin_id IS NOT NULL GROUP BY 1, 2 HAVING count(*) > 1) d);
SQL
)
read -r acknowledged lost duplicated <<<"$result"
echo "acknowledged=$acknowledged lost=$lost duplicated=$duplicated"
[[ $lost == 0 && $duplicated == 0 ]]
