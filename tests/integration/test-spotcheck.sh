#!/usr/bin/env bash
# test-spotcheck.sh — random spot checks (双随机), with weldtag only: an administrator draws
# enterprises and machines of a community and the inspectors sent to each; the seed is
# recorded, and the same seed over the same registry gives the same draw (a seed of the server's
# own too); every draw is audited; inspectors cannot draw, read only their communities' draws;
# impossible draws are refused with what is missing.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

WELDTAG="$WELDREG_BUILD_DIR/tag-reader/weldtag"
wr_db_create spotcheck
admin_psk=$(wr_provision admin admin-s)
wr_server_start
SERVER=(--server "coaps://127.0.0.1:$WR_PORT")
AS_ADMIN=("${SERVER[@]}" --identity admin-s --psk-file "$admin_psk")
admin() { wr_run 0 "$WELDTAG" admin "$@" --json "${AS_ADMIN[@]}"; }
draw() { admin spotcheck create "$@"; jq -c '[.items[] | [.target_id, .inspectors]]' "$WR_TMP/out"; }

# --- a community of four enterprises with a machine each, three inspectors; another community ---
admin community create code=410183-003 name=青屏街社区 district=新密市
admin community create code=410183-004 name=西大街社区 district=新密市
i=0
for uscc in 91350100M000100Y43 91110000600037341L 91110000100000000R 91440300MA5FW00000; do
    i=$((i + 1))
    admin enterprise create uscc="$uscc" name="企业$i" community_id=1
    admin machine create chip_id=WR-S-000$i process_category=fusion enterprise_id=$i keeper_name=王五
done
for who in insp-a insp-b insp-c; do
    admin principal create identity=$who role=inspector communities=1
    printf '%s\n' "$(wr_field psk)" >"$WR_TMP/$who.psk"
done
admin principal create identity=insp-w role=inspector communities=2
printf '%s\n' "$(wr_field psk)" >"$WR_TMP/insp-w.psk"
AS_INSPECTOR=("${SERVER[@]}" --identity insp-a --psk-file "$WR_TMP/insp-a.psk")
AS_OTHER=("${SERVER[@]}" --identity insp-w --psk-file "$WR_TMP/insp-w.psk")
wr_ok "the world: 4 enterprises with a machine each and 3 inspectors in community 1"

# --- the same seed and the same registry give the same draw ---
first=$(draw community_id=1 target=enterprise count=2 seed=00000000000000aa)
[[ $(jq -r .seed "$WR_TMP/out") == 00000000000000aa && $(jq .drawn "$WR_TMP/out") == 2 &&
    $(jq .population "$WR_TMP/out") == 4 && $(jq .inspectors "$WR_TMP/out") == 3 ]] ||
    { cat "$WR_TMP/out"; wr_fail "the draw does not say what it was drawn from"; }
jq -e '[.items[].inspectors | length == 2 and .[0] != .[1]] | all' "$WR_TMP/out" >/dev/null ||
    wr_fail "each target should get two different inspectors: $first"
again=$(draw community_id=1 target=enterprise count=2 seed=00000000000000AA)
[[ $first == "$again" ]] || wr_fail "the same seed gave another draw: $first vs $again"
wr_ok "seed 00000000000000aa twice: the same draw $first"
own=$(draw community_id=1 target=machine count=3 per_target=1)
seed=$(jq -r .seed "$WR_TMP/out")
[[ $seed =~ ^[0-9a-f]{16}$ ]] || wr_fail "the server's seed was not recorded: $seed"
jq -e '[.items[].name | startswith("WR-S-")] | all' "$WR_TMP/out" >/dev/null ||
    wr_fail "machines are named by their chip: $(cat "$WR_TMP/out")"
[[ $(draw community_id=1 target=machine count=3 per_target=1 seed="$seed") == "$own" ]] ||
    wr_fail "the server's recorded seed does not repeat its draw"
wr_ok "a seed of the server's own ($seed) is recorded and repeats its draw: $own"
all=$(draw community_id=1 target=enterprise count=9 per_target=3 seed=0123456789abcdef)
[[ $(jq .drawn "$WR_TMP/out") == 4 ]] || wr_fail "a count above the population should draw all"

# --- audited, readable, and refused where it cannot be done ---
[[ $(wr_psql "SELECT count(*) FROM audit_log WHERE action = 'spotcheck.draw'") == 5 ]] ||
    wr_fail "not every draw is audited"
[[ $(wr_psql "SELECT seed FROM spot_checks WHERE id = 1") == 00000000000000aa ]] ||
    wr_fail "the seed is not stored"
wr_run 0 "$WELDTAG" admin spotcheck get id=1 "${AS_INSPECTOR[@]}"
wr_expect_text '"seed": "00000000000000aa"'
wr_run 0 "$WELDTAG" admin spotcheck list --json "${AS_OTHER[@]}"
wr_expect_text '{"items":[]}'
wr_run 4 "$WELDTAG" admin spotcheck create community_id=1 target=enterprise count=1 "${AS_INSPECTOR[@]}"
wr_expect_text "4.03"
wr_run 4 "$WELDTAG" admin spotcheck create community_id=1 target=enterprise count=1 per_target=4 \
    "${AS_ADMIN[@]}"
wr_expect_text 'community 1 has 3 inspector(s): "per_target" 4 is more than that'
wr_run 4 "$WELDTAG" admin spotcheck create community_id=2 target=machine count=1 per_target=1 \
    "${AS_ADMIN[@]}"
wr_expect_text "community 2 has no machine to check"
wr_run 4 "$WELDTAG" admin spotcheck create community_id=9 target=machine count=1 "${AS_ADMIN[@]}"
wr_expect_text "4.04"
wr_run 4 "$WELDTAG" admin spotcheck create community_id=1 target=welder count=1 "${AS_ADMIN[@]}"
wr_expect_text 'field "target": expected enterprise or machine'
wr_run 4 "$WELDTAG" admin spotcheck create community_id=1 target=machine count=0 "${AS_ADMIN[@]}"
wr_expect_text 'field "count": expected a whole number from 1 to 1000'
wr_run 4 "$WELDTAG" admin spotcheck create community_id=1 target=machine count=1 seed=xyz \
    "${AS_ADMIN[@]}"
wr_expect_text 'field "seed": expected 16 hexadecimal digits'
wr_ok "audited (5 draws), inspectors read their communities' draws and cannot draw; refusals name what is missing"
wr_ok "test-spotcheck passed: $all"
