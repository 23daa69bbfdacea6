#!/usr/bin/env bash
# test-enforcement.sh — enforcement that closes (重患必停), with weldtag only: an administrator
# suspends an enterprise through the API and its machine locks, a session already open
# included, with the reason on the answer and on the machine's card; the suspension lifted, the
# welder works again. An inspector opens a major hazard at the enterprise: the same; lifting it
# needs a note and is final; both are audited. Another community's inspector cannot touch it.
# A hazard located at a site locks the machines there, another enterprise's too.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

WELDTAG="$WELDREG_BUILD_DIR/tag-reader/weldtag"
T=$WR_TMP
wr_db_create enforcement
admin_psk=$(wr_provision admin admin-e)
printf 'code_issuer = enforce\n' >>"$T/weldreg.conf"
wr_server_start
SERVER=(--server "coaps://127.0.0.1:$WR_PORT")
AS_ADMIN=("${SERVER[@]}" --identity admin-e --psk-file "$admin_psk")

admin() { wr_run 0 "$WELDTAG" admin "$@" --json "${AS_ADMIN[@]}"; }
reload() { sleep 1; } # NOTIFY, a quiet moment, the registry rebuilt and swapped in

# --- the world: two communities, an enterprise with a machine in the first, a welder with a
# permit, an inspector of each community ---
admin community create code=410183-003 name=青屏街社区 district=新密市
admin community create code=410183-004 name=西大街社区 district=新密市
admin enterprise create uscc=91350100M000100Y43 name=新密焊接厂 community_id=1
admin machine create chip_id=WR-E-0001 process_category=fusion enterprise_id=1 keeper_name=王五
printf '%s\n' "$(wr_field psk)" >"$T/m1.psk"
mcode=$(wr_field code)
admin welder create name=张三丰 idcard=11010519491231002X licence_no=T11010519491231002X \
    categories=fusion issued_on="$(date -d '-2 years' +%F)"
wcode=$(wr_field code)
welder=$(wr_field id)
admin welder train id="$welder" course=动火作业安全 completed_on="$(date -d '-30 days' +%F)" \
    hours=16 provider=新密市安全培训中心
admin permit create permit_no=DH-E-001 level=second enterprise_id=1 site_address=三号车间 \
    site_lat=34.52 site_lon=113.38 starts_at="$(date -u -d '-10 minutes' +%FT%TZ)" \
    ends_at="$(date -u -d '+6 hours' +%FT%TZ)" gas_analysis_at="$(date -u -d '-5 minutes' +%FT%TZ)" \
    approver=安全科 fire_watch=李四 welders="$welder" machines=1
admin principal create identity=insp-e role=inspector communities=1
printf '%s\n' "$(wr_field psk)" >"$T/insp.psk"
admin principal create identity=insp-w role=inspector communities=2
printf '%s\n' "$(wr_field psk)" >"$T/insp-w.psk"
AS_INSPECTOR=("${SERVER[@]}" --identity insp-e --psk-file "$T/insp.psk")
AS_OTHER=("${SERVER[@]}" --identity insp-w --psk-file "$T/insp-w.psk")
reload

seq=0
machine() { # EV [options]: a check-in as the machine's chip; its answer in $T/machine.out
    local ev=$1 rc=0
    shift
    seq=$((seq + 1))
    "$WELDTAG" checkin "${SERVER[@]}" --identity WR-E-0001 --psk-file "$T/m1.psk" --seq "$seq" \
        --ev "$ev" "$@" >"$T/machine.out" 2>&1 || rc=$?
    return $rc
}
scan() { machine scan --code "$wcode" --lat 34.52 --lon 113.38; }
expect_unlocked() { # WHAT
    scan || wr_fail "$1: the welder's scan was refused: $(cat "$T/machine.out")"
    wr_ok "$1: $(cat "$T/machine.out")"
}
expect_locked() { # REASON WHAT [EV]
    local rc=0
    if [[ -n ${3:-} ]]; then machine "$3" || rc=$?; else scan || rc=$?; fi
    ((rc == 1)) && grep -q "^locked: .*$1" "$T/machine.out" ||
        wr_fail "$2: want $1, got: $(cat "$T/machine.out")"
    wr_ok "$2: $(cat "$T/machine.out")"
}
session_close_reason() {
    wr_psql "SELECT coalesce(close_reason, 'open') FROM work_sessions ORDER BY id DESC LIMIT 1"
}

# --- a suspension through the admin API locks the machine, the open session too ---
expect_unlocked "before any order"
machine hb || wr_fail "a heartbeat in the session was refused"
admin enterprise update id=1 status=suspended
reload
expect_locked enterprise_suspended "the heartbeat of a session open when the enterprise was suspended" hb
[[ $(session_close_reason) == stopped ]] || wr_fail "the open session was not stopped: $(session_close_reason)"
expect_locked enterprise_suspended "a scan at a suspended enterprise"
wr_run 0 "$WELDTAG" card "$mcode" --trust-list "$WR_CERTS_DIR/trust.list" "${AS_INSPECTOR[@]}"
wr_expect_text "stop order:      企业已被责令停产停业，焊机锁定 (the enterprise is ordered to stop work"
wr_expect_text "refused: enterprise_suspended"
wr_expect_text "                 企业已被责令停产停业，焊机锁定 (the enterprise is ordered to stop work"
wr_ok "the card says why: $(grep -F 'stop order:' "$T/out")"
admin enterprise update id=1 status=active
reload
expect_unlocked "the suspension lifted"
machine end || true

# --- an inspector opens a major hazard; the machine locks until an inspector lifts it ---
wr_run 4 "$WELDTAG" admin hazard create enterprise_id=1 "${AS_INSPECTOR[@]}"
wr_expect_text 'field "description": say what the major hazard is'
wr_run 4 "$WELDTAG" admin hazard create enterprise_id=1 description=x "${AS_OTHER[@]}"
wr_expect_text "4.04"
wr_run 0 "$WELDTAG" admin hazard create enterprise_id=1 site_address=三号车间 \
    description=动火点旁油气管线泄漏 "${AS_INSPECTOR[@]}"
wr_expect_text '"status": "open"'
hazard=$(sed -nE 's/.*"id": ([0-9]+),.*/\1/p' "$T/out" | head -n 1)
[[ -n $hazard ]] || wr_fail "no hazard id in the answer"
reload
expect_locked major_hazard "a scan while a major hazard is open"
wr_run 0 "$WELDTAG" card "$mcode" --trust-list "$WR_CERTS_DIR/trust.list" "${AS_INSPECTOR[@]}"
wr_expect_text "企业存在未销号的重大事故隐患"
wr_expect_text "三号车间: 动火点旁油气管线泄漏"
wr_ok "the card names the hazard: $(grep -F "hazard #" "$T/out")"
wr_run 0 "$WELDTAG" admin hazard list status=open "${AS_INSPECTOR[@]}"
wr_expect_text "动火点旁油气管线泄漏"
wr_run 0 "$WELDTAG" admin hazard list "${AS_OTHER[@]}"
wr_expect_text '"items": []'
wr_run 4 "$WELDTAG" admin hazard lift id="$hazard" "${AS_INSPECTOR[@]}"
wr_expect_text 'field "note": say how the major hazard was removed'
wr_run 4 "$WELDTAG" admin hazard lift id="$hazard" note=x "${AS_OTHER[@]}"
wr_expect_text "4.04"
wr_run 0 "$WELDTAG" admin hazard lift id="$hazard" note=管线已更换，复查合格 "${AS_INSPECTOR[@]}"
wr_expect_text '"status": "lifted"'
wr_run 4 "$WELDTAG" admin hazard lift id="$hazard" note=again "${AS_INSPECTOR[@]}"
wr_expect_text "was lifted already"
reload
expect_unlocked "the hazard lifted"

# --- audited, and a lifted hazard cannot be rewritten ---
[[ $(wr_psql "SELECT string_agg(action || ' by ' || actor, ', ' ORDER BY id) FROM audit_log
              WHERE entity = 'major_hazard'") == "hazard.open by insp-e, hazard.lift by insp-e" ]] ||
    wr_fail "hazards not audited: $(wr_psql "SELECT action, actor FROM audit_log WHERE entity = 'major_hazard'")"
! wr_psql "UPDATE major_hazards SET lift_note = 'rewritten'" >/dev/null 2>&1 ||
    wr_fail "a lifted hazard was rewritten"
wr_ok "opened and lifted by insp-e, audited; a lifted hazard stays as it was"

# --- a hazard at a site locks every machine there, another enterprise's too ---
admin enterprise create uscc=91110000600037341L name=青屏建工 community_id=1
wr_run 4 "$WELDTAG" admin hazard create enterprise_id=2 description=x lat=34.52 lon=113.38 \
    "${AS_INSPECTOR[@]}"
wr_expect_text 'fields "lat", "lon" and "radius_m": give all three'
wr_run 0 "$WELDTAG" admin hazard create enterprise_id=2 site_address=三号车间旁基坑 \
    description=基坑内可燃气体超标 lat=34.5201 lon=113.38 radius_m=100 "${AS_INSPECTOR[@]}"
wr_expect_text '"site_radius_m": 100'
reload
expect_locked major_hazard "enterprise 1's machine at enterprise 2's hazard site"
machine scan --code "$wcode" --lat 34.53 --lon 113.38 || true
grep -q major_hazard "$T/machine.out" &&
    wr_fail "a machine 1 km from the site was locked by it: $(cat "$T/machine.out")"
wr_ok "1 km away the site's hazard does not apply: $(cat "$T/machine.out")"
wr_run 0 "$WELDTAG" admin hazard lift id=2 note=基坑通风检测合格 "${AS_INSPECTOR[@]}"
reload
expect_unlocked "the site's hazard lifted"
wr_ok "test-enforcement passed"
