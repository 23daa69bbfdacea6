#!/usr/bin/env bash
# test-rectify.sh — rectification (整改) from opening to 销号, with weldtag only: violations a
# machine raises get the deadline of their kind (the core's table, written by migrate) and
# their enterprise as owner; the inspector acknowledges, progress notes and evidence of the fix
# are added; the 销号 (resolve) is refused without evidence and to an administrator, and done
# by the inspector; nothing is added after it. Overdue rectifications are listed and counted
# per community and per enterprise, within the inspector's communities only.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

WELDTAG="$WELDREG_BUILD_DIR/tag-reader/weldtag"
T=$WR_TMP
wr_db_create rectify
admin_psk=$(wr_provision admin admin-r)
wr_server_start
SERVER=(--server "coaps://127.0.0.1:$WR_PORT")
AS_ADMIN=("${SERVER[@]}" --identity admin-r --psk-file "$admin_psk")

admin() { wr_run 0 "$WELDTAG" admin "$@" --json "${AS_ADMIN[@]}"; }

# --- the world: two communities, an enterprise with a machine in the first, an inspector each ---
admin community create code=410183-003 name=青屏街社区 district=新密市
admin community create code=410183-004 name=西大街社区 district=新密市
admin enterprise create uscc=91350100M000100Y43 name=新密焊接厂 community_id=1
admin machine create chip_id=WR-R-0001 process_category=fusion enterprise_id=1 keeper_name=王五
printf '%s\n' "$(wr_field psk)" >"$T/m1.psk"
admin principal create identity=insp-r role=inspector communities=1
printf '%s\n' "$(wr_field psk)" >"$T/insp.psk"
admin principal create identity=insp-w role=inspector communities=2
printf '%s\n' "$(wr_field psk)" >"$T/insp-w.psk"
AS_INSPECTOR=("${SERVER[@]}" --identity insp-r --psk-file "$T/insp.psk")
AS_OTHER=("${SERVER[@]}" --identity insp-w --psk-file "$T/insp-w.psk")
sleep 1 # the running server picks the registry up through NOTIFY

# an arc without a check-in and a tamper: two violations of enterprise 1
for ev in arc tamper; do
    "$WELDTAG" checkin "${SERVER[@]}" --identity WR-R-0001 --psk-file "$T/m1.psk" \
        --seq "$([[ $ev == arc ]] && echo 1 || echo 2)" --ev "$ev" >/dev/null 2>&1 || true
done
sleep 1 # the writer's group commit
work=$(wr_psql "SELECT id FROM violations WHERE kind = 'work_outside_platform'")
tamper=$(wr_psql "SELECT id FROM violations WHERE kind = 'tamper'")
[[ -n $work && -n $tamper ]] || wr_fail "the machine raised no violations"

# --- deadlines by kind, from the core's table; the enterprise is the owner ---
[[ $(wr_psql "SELECT days FROM violation_deadlines WHERE kind = 'tamper'") == 3 ]] ||
    wr_fail "migrate did not write the deadlines"
[[ $(wr_psql "SELECT string_agg(kind || ':' || extract(day FROM rectify_by - detected_at) || ':' ||
              enterprise_id, ' ' ORDER BY id) FROM violations") == "work_outside_platform:7:1 tamper:3:1" ]] ||
    wr_fail "deadlines: $(wr_psql "SELECT kind, rectify_by - detected_at FROM violations")"
wr_run 0 "$WELDTAG" violations show "$work" "${AS_INSPECTOR[@]}"
wr_expect_text "rectify by "
wr_expect_text ", owner enterprise 1"
wr_ok "deadline by kind (work_outside_platform 7 days, tamper 3), owner the enterprise: $(grep deadline: "$T/out")"

# --- from opening to 销号 ---
wr_run 0 "$WELDTAG" violations acknowledge "$work" --note 责令限期整改 "${AS_INSPECTOR[@]}"
wr_run 4 "$WELDTAG" violations progress "$work" "${AS_INSPECTOR[@]}"
wr_expect_text 'field "note": say how the rectification stands'
wr_run 0 "$WELDTAG" violations progress "$work" --note 已组织焊工培训，补办动火证 "${AS_ADMIN[@]}"
wr_expect_text "progress      by admin-r: 已组织焊工培训，补办动火证"
wr_run 4 "$WELDTAG" violations resolve "$work" --note 复查合格 "${AS_INSPECTOR[@]}"
wr_expect_text "4.09"
wr_expect_text "has no evidence of the fix on record"
wr_run 0 "$WELDTAG" violations evidence "$work" --note "动火作业证 DH-2026-118，培训签到表" "${AS_INSPECTOR[@]}"
wr_expect_text "evidence      by insp-r: 动火作业证 DH-2026-118，培训签到表"
wr_run 4 "$WELDTAG" violations resolve "$work" --note 复查合格 "${AS_ADMIN[@]}"
wr_expect_text "4.03"
wr_expect_text "only an inspector closes (销号) a violation"
wr_run 0 "$WELDTAG" violations resolve "$work" --note 复查合格，销号 "${AS_INSPECTOR[@]}"
wr_expect_text "resolved      by insp-r: 复查合格，销号"
cp "$T/out" "$T/closed"
wr_run 4 "$WELDTAG" violations evidence "$work" --note late "${AS_INSPECTOR[@]}"
wr_expect_text "is resolved: its rectification is over"
wr_run 4 "$WELDTAG" violations progress "$work" --note x "${AS_OTHER[@]}"
wr_expect_text "4.04"
[[ $(wr_psql "SELECT string_agg(action || ' by ' || actor, ', ' ORDER BY id) FROM audit_log
              WHERE entity = 'violation' AND entity_id = '$work'") == \
   "violation.acknowledged by insp-r, violation.progress by admin-r, violation.evidence by insp-r, violation.resolved by insp-r" ]] ||
    wr_fail "not audited: $(wr_psql "SELECT action, actor FROM audit_log WHERE entity = 'violation'")"
wr_ok "open → acknowledged → progress → evidence → 销号 by the inspector; refused without evidence, to an admin, after the end; audited"

# --- overdue, listed and counted per community and per enterprise ---
wr_run 0 "$WELDTAG" violations overdue "${AS_INSPECTOR[@]}"
wr_expect_text "overdue rectifications (逾期未整改): 0"
wr_run 0 "$WELDTAG" report machine_without_chip --community 1 --note 无芯片焊机 "${AS_INSPECTOR[@]}"
# the deadlines passed (the test cannot wait days)
wr_psql "UPDATE violations SET rectify_by = now() - interval '1 day'" >/dev/null
wr_run 0 "$WELDTAG" violations overdue "${AS_INSPECTOR[@]}"
wr_expect_text "overdue rectifications (逾期未整改): 2"
wr_expect_text "青屏街社区"
wr_run 0 "$WELDTAG" violations overdue by=enterprise "${AS_INSPECTOR[@]}"
wr_expect_text "新密焊接厂"
wr_expect_text "(no registered enterprise)"
wr_run 0 "$WELDTAG" violations list overdue=true --json "${AS_INSPECTOR[@]}"
[[ $(wc -l <"$T/out") == 2 ]] && grep -q "^{\"id\":$tamper," "$T/out" ||
    { cat "$T/out"; wr_fail "the overdue listing is wrong"; }
grep -q "^{\"id\":$work," "$T/out" && wr_fail "a closed violation is listed as overdue"
wr_run 0 "$WELDTAG" violations show "$tamper" "${AS_INSPECTOR[@]}"
wr_expect_text "(OVERDUE 逾期)"
wr_run 0 "$WELDTAG" violations overdue "${AS_OTHER[@]}"
wr_expect_text "overdue rectifications (逾期未整改): 0"
wr_run 4 "$WELDTAG" violations overdue by=street "${AS_INSPECTOR[@]}"
wr_expect_text 'query "by": expected community or enterprise'
wr_ok "overdue: 2 in community 1 (the enterprise's and one with no enterprise), 0 seen from community 2"
wr_ok "test-rectify passed"
