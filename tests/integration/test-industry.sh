#!/usr/bin/env bash
# test-industry.sh — industry (行业) on enterprises, with weldtag only: a section of GB/T
# 4754-2017 is stored and validated (create and update); the counts and their CSV report group
# by industry as well as by area, with a row for enterprises whose industry is not recorded;
# an inspector sees only the industries of their communities' enterprises.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

WELDTAG="$WELDREG_BUILD_DIR/tag-reader/weldtag"
wr_db_create industry
admin_psk=$(wr_provision admin admin-n)
wr_server_start
SERVER=(--server "coaps://127.0.0.1:$WR_PORT")
AS_ADMIN=("${SERVER[@]}" --identity admin-n --psk-file "$admin_psk")
admin() { wr_run 0 "$WELDTAG" admin "$@" --json "${AS_ADMIN[@]}"; }

admin community create code=410183-003 name=青屏街社区 district=新密市
admin community create code=410183-004 name=西大街社区 district=新密市
wr_run 4 "$WELDTAG" admin enterprise create uscc=91350100M000100Y43 name=新密焊接厂 \
    community_id=1 industry=Z "${AS_ADMIN[@]}"
wr_expect_text 'field "industry": expected a section of GB/T 4754-2017, a capital letter A to T'
wr_run 4 "$WELDTAG" admin enterprise create uscc=91350100M000100Y43 name=新密焊接厂 \
    community_id=1 industry=C33 "${AS_ADMIN[@]}"
admin enterprise create uscc=91350100M000100Y43 name=新密焊接厂 community_id=1 industry=C
admin enterprise create uscc=91110000600037341L name=青屏建工 community_id=1 industry=E
admin enterprise create uscc=91110000100000000R name=西街维修部 community_id=2
wr_run 0 "$WELDTAG" admin enterprise get id=1 --json "${AS_ADMIN[@]}"
wr_expect_text '"industry":"C"'
for m in 1:1 2:1 3:2 4:3; do
    admin machine create chip_id=WR-N-000${m%%:*} process_category=fusion enterprise_id=${m#*:} \
        keeper_name=王五
done
printf '%s\n' "$(wr_field psk)" >"$WR_TMP/m4.psk"
admin principal create identity=insp-n role=inspector communities=2
printf '%s\n' "$(wr_field psk)" >"$WR_TMP/insp.psk"
AS_INSPECTOR=("${SERVER[@]}" --identity insp-n --psk-file "$WR_TMP/insp.psk")
sleep 1 # the running server picks the machines up through NOTIFY
# machine 4 (西街维修部, no industry) works without a check-in: a violation
"$WELDTAG" checkin "${SERVER[@]}" --identity WR-N-0004 --psk-file "$WR_TMP/m4.psk" --seq 1 \
    --ev arc >/dev/null 2>&1 || true
sleep 1
wr_ok "industry validated: Z and C33 refused, C and E stored"

wr_run 0 "$WELDTAG" counts --by industry --csv - "${AS_ADMIN[@]}"
head -1 "$WR_TMP/out" | grep -q '^from,to,code,name,machines_active,' ||
    wr_fail "CSV header by industry: $(head -1 "$WR_TMP/out")"
wr_expect_cells 制造业 code=C machines_active=2 violations=0
wr_expect_cells 建筑业 code=E machines_active=1
wr_expect_cells "行业未登记 (industry not recorded)" machines_active=1 violations=1 \
    kind_work_outside_platform=1
wr_expect_cells total machines_active=4 violations=1
wr_ok "counts by industry: 制造业 2 machines, 建筑业 1, not recorded 1 with its violation"

wr_run 0 "$WELDTAG" counts --by industry "${AS_INSPECTOR[@]}"
grep -q 制造业 "$WR_TMP/out" && wr_fail "an inspector saw another community's industry"
wr_expect_text "行业未登记"
admin enterprise update id=3 industry=C
wr_run 0 "$WELDTAG" counts --by industry --csv - "${AS_ADMIN[@]}"
wr_expect_cells 制造业 machines_active=3 violations=1
grep -q 未登记 "$WR_TMP/out" && wr_fail "an enterprise with an industry is counted as not recorded"
wr_run 0 "$WELDTAG" counts --by industry "${AS_ADMIN[@]}"
wr_run 4 "$WELDTAG" counts --by trade "${AS_ADMIN[@]}"
wr_expect_text 'query "by": expected community, enterprise or industry'
wr_ok "an update moves the enterprise to 制造业; the inspector sees their community only"
wr_ok "test-industry passed"
