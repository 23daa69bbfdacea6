#!/usr/bin/env bash
# test-employment.sh — a welder belongs to the enterprise that employs them, not only through
# permits: a certified, trained welder whom no permit names is not in any community's count
# until an administrator records their employment with weldtag (their own staff, or a
# dispatched worker 劳务派遣 with the agency's name); then they count in the enterprise's
# community. A dispatched worker without an agency is refused.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CHIP=WR-EM-0001
wr_db_create employment
wr_seed_work_site "$CHIP" admin-em
wr_server_start
AS_ADMIN=(--server "coaps://127.0.0.1:$WR_PORT" --identity admin-em --psk-file "$admin_psk")

# cell COLUMN: the community Qingping's cell of this month's counts.
cell() {
    "$WELDREG_BUILD_DIR/tag-reader/weldtag" counts --csv - "${AS_ADMIN[@]}" >"$WR_TMP/counts.csv" ||
        wr_fail "counts: $(cat "$WR_TMP/counts.csv")"
    awk -F, -v col="$1" 'NR == 1 { for (i = 1; i <= NF; i++) at[$i] = i; next }
        $5 == "Qingping" { print $(at[col]) }' "$WR_TMP/counts.csv"
}
employ() {
    rc=0
    out=$("$WELDREG_BUILD_DIR/tag-reader/weldtag" admin welder employ "$@" "${AS_ADMIN[@]}" 2>&1) ||
        rc=$?
}

[[ $(cell welders_valid) == 0 && $(cell certified) == 0 ]] ||
    wr_fail "a welder of no permit and no employment counted: $(cat "$WR_TMP/counts.csv")"
wr_ok "no permit, no employment: welders_valid=0 in Qingping"

employ id=1 enterprise_id=1 kind=dispatched since=2026-01-01
((rc != 0)) && [[ $out == *"4.00"*agency* ]] || wr_fail "dispatched without an agency: $out"
wr_ok "a dispatched worker without the agency: $out"
employ id=1 enterprise_id=1 kind=dispatched agency=新密市某劳务派遣有限公司 since="$(date -d '-30 days' +%F)"
((rc == 0)) || wr_fail "employment: $out"
[[ $(cell welders_valid) == 1 && $(cell certified) == 1 && $(cell trained) == 1 ]] ||
    wr_fail "the employed welder is not counted: $(cat "$WR_TMP/counts.csv")"
wr_ok "dispatched to the enterprise (劳务派遣): welders_valid=1 certified=1 trained=1 in Qingping"
[[ $(wr_psql "SELECT count(*) FROM audit_log WHERE action = 'welder.employment'") == 1 ]] ||
    wr_fail "the employment was not audited"

# an employment that ended before today no longer counts
wr_psql "UPDATE welder_employments SET since = current_date - 60, until = current_date - 2" >/dev/null
[[ $(cell welders_valid) == 0 ]] || wr_fail "an ended employment still counts"
wr_ok "an employment that ended two days ago: welders_valid=0"
echo "test-employment: all checks passed"
