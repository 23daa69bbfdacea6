#!/usr/bin/env bash
# counts-timing.sh DATABASE_URL — times the counts statement of server/db/store_counts.c on a
# database filled by bench/counts-history.sql: three runs each of a month, a quarter and a year,
# for all communities, per enterprise, one community, an inspector's two and one enterprise.
# Prints milliseconds per run; add EXPLAIN=1 to print the plans instead, RAW=1 to time the
# statement that counts from the check-ins and violations themselves instead of the roll-ups.
set -euo pipefail
db=${1:?usage: counts-timing.sh DATABASE_URL}
here=$(dirname "${BASH_SOURCE[0]}")
name=COUNTS_SQL
[[ ${RAW:-0} == 1 ]] && name=COUNTS_SQL_RAW
# the statement: the C string literals between "<name>[] =" and the closing ";", once the
# preprocessor has put the statement's parts together
sql=$(gcc -E -P -I"$here/.." -I"$(pg_config --includedir)" "$here/../server/db/store_counts.c" |
    awk -v start="static const char ${name}[] =" 'index($0, start) == 1 { on = 1 }
        on { print } on && /;$/ { on = 0 }' | grep -o '"[^"]*"' | sed 's/^"//; s/"$//' |
    tr -d '\n')
run() { # FROM TO COMMUNITY ENTERPRISE SCOPE BY
    local args="'$1 00:00+08', (('$2'::date + 1)::text || ' 00:00+08')::timestamptz, $3, $4, $5,
        '$6', '$1', '$2', least(('$2'::date + 1)::timestamp AT TIME ZONE 'Asia/Shanghai'
        - interval '1 second', now())"
    local explain=""
    [[ ${EXPLAIN:-0} == 1 ]] && explain="EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)"
    printf '%-58s' "$*"
    psql -X -d "$db" <<SQL | { if [[ -n $explain ]]; then cat; else grep '^Time' | sed 's/Time: //; s/ ms.*//' | tr '\n' ' '; fi; }
PREPARE counts(timestamptz, timestamptz, bigint, bigint, bigint[], text, text, text, timestamptz)
    AS $sql;
$( [[ -n $explain ]] || printf '\\o /dev/null\n\\timing on\n')
$explain EXECUTE counts($args);
$( [[ -n $explain ]] || printf 'EXECUTE counts(%s);\nEXECUTE counts(%s);\n' "$args" "$args")
SQL
    echo
}
month_from=$(date -d "$(date +%Y-%m-01) -1 month" +%F)
month_to=$(date -d "$(date +%Y-%m-01) -1 day" +%F)
quarter_from=$(date -d "$month_from -2 months" +%F)
year_from=$(date -d "$(date +%Y-%m-01) -12 months" +%F)
run "$month_from" "$month_to" 0 0 NULL community
run "$month_from" "$month_to" 0 0 NULL enterprise
run "$month_from" "$month_to" 12 0 NULL community
run "$month_from" "$month_to" 0 0 "'{12,13}'" community
run "$month_from" "$month_to" 0 5 NULL community
run "$quarter_from" "$month_to" 0 0 NULL community
run "$quarter_from" "$month_to" 0 0 "'{12,13}'" community
run "$year_from" "$month_to" 0 0 NULL community
