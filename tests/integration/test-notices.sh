#!/usr/bin/env bash
# test-notices.sh — notices to an enterprise's responsible head (通知到主要负责人): violations
# opened by a machine's check-in, by an inspector's report and in a burst, and one escalated,
# each get a notice in the outbox (same transaction); `weldreg-server notices` delivers them over
# HTTPS to a local receiver (a certificate made here) that answers 503 to the first attempts and
# loses the answer to one processed request. Every notice arrives, signed; none is processed
# twice (the idempotency key of the retry); the deliverer's log never holds the secret; bad
# settings are refused before anything is sent. A violation still open past its deadline gets
# one overdue notice, however many deliverers run and passes they make; a resolved one none.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

WELDTAG="$WELDREG_BUILD_DIR/tag-reader/weldtag"
T=$WR_TMP
wr_db_create notices
admin_psk=$(wr_provision admin admin-n)
wr_server_start
SERVER=(--server "coaps://127.0.0.1:$WR_PORT")
AS_ADMIN=("${SERVER[@]}" --identity admin-n --psk-file "$admin_psk")

admin() { wr_run 0 "$WELDTAG" admin "$@" --json "${AS_ADMIN[@]}"; }

# --- violations: a machine's tamper, an inspector's report, a burst, an escalation ---
admin community create code=410183-003 name=青屏街社区 district=新密市
admin enterprise create uscc=91350100M000100Y43 name=新密焊接厂 community_id=1 \
    contact_name=张伟 contact_phone=13800000009
admin machine create chip_id=WR-N-0001 process_category=fusion enterprise_id=1 keeper_name=王五
printf '%s\n' "$(wr_field psk)" >"$T/m1.psk"
admin principal create identity=insp-n role=inspector communities=1
printf '%s\n' "$(wr_field psk)" >"$T/insp.psk"
sleep 1 # the running server picks the registry up through NOTIFY
wr_run 1 "$WELDTAG" checkin "${SERVER[@]}" --identity WR-N-0001 --psk-file "$T/m1.psk" --seq 1 --ev tamper
wr_run 0 "$WELDTAG" report machine_without_chip --chip WR-N-0001 --note 未贴码 "${SERVER[@]}" \
    --identity insp-n --psk-file "$T/insp.psk"
wr_psql "INSERT INTO violations (kind, severity, community_id, enterprise_id, occurred_at)
         SELECT 'permit_none', 'warning', 1, 1, now() FROM generate_series(1, 8);
         INSERT INTO violations (kind, severity, community_id, occurred_at)
         VALUES ('heartbeat_lost', 'warning', 1, now())" # no enterprise: no one to notify
wr_psql "UPDATE violations SET severity = 'critical' WHERE id = (SELECT max(id) FROM violations
         WHERE enterprise_id IS NOT NULL); UPDATE violations SET severity = 'info' WHERE id = 1"
counts=$(wr_psql "SELECT count(*) FILTER (WHERE kind = 'violation_opened') || ' '
                  || count(*) FILTER (WHERE kind = 'violation_escalated') FROM notices")
[[ $counts == "10 1" ]] || wr_fail "expected 10 notices opened and 1 escalated, got $counts"
wr_psql "SELECT v.kind FROM notices n JOIN violations v ON v.id = n.violation_id ORDER BY n.id
         LIMIT 2" | tr '\n' ' ' | grep -q '^tamper onsite_machine_without_chip $' ||
    wr_fail "the machine's and the inspector's violations have no notices"
wr_ok "outbox: 10 violations opened with an enterprise and 1 escalated, 11 notices; none without an enterprise, none for a lowered severity"

# --- the receiver: HTTPS with a certificate made here; 503 three times, then one answer lost ---
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$T/recv.key" -out "$T/recv.crt" 2>/dev/null
head -c 32 /dev/urandom | xxd -p -c 64 >"$T/secret"
chmod 0600 "$T/secret"
python3 "$WELDREG_SOURCE_DIR/tests/integration/notice-receiver.py" --cert "$T/recv.crt" \
    --key "$T/recv.key" --secret-file "$T/secret" --port-file "$T/port" --log "$T/recv.log" \
    --processed "$T/processed" --fail-first 3 --lose-answer 5 &
RECEIVER_PID=$!
notices_cleanup() { # the receiver and the deliverer too, then wr_cleanup with the test's status
    local rc=$?
    set +e
    kill "$RECEIVER_PID" 2>/dev/null
    [[ -z ${DELIVER_PID:-} ]] || kill "$DELIVER_PID" 2>/dev/null
    [[ -z ${DELIVER2_PID:-} ]] || kill "$DELIVER2_PID" 2>/dev/null
    (exit "$rc")
    wr_cleanup
}
trap notices_cleanup EXIT
for ((i = 0; i < 50; i++)); do [[ -s $T/port ]] && break; sleep 0.1; done
[[ -s $T/port ]] || wr_fail "the receiver did not start"
cp "$T/weldreg.conf" "$T/notices.conf"
cat >>"$T/notices.conf" <<CONF
notice_webhook_url = https://127.0.0.1:$(cat "$T/port")/weldreg/notices
notice_secret_file = $T/secret
notice_ca_file = $T/recv.crt
notice_retry_first_s = 1
notice_retry_max_s = 2
notice_timeout_s = 5
CONF

# --- bad settings are refused before anything is sent ---
wr_run 2 "$WR_SERVER_BIN" notices --config "$T/notices.conf" --set notice_webhook_url=http://127.0.0.1/x
grep -q 'must be an https:// URL' "$T/out" || { cat "$T/out"; wr_fail "an http:// URL was accepted"; }
printf 'short\n' >"$T/short"
wr_run 2 "$WR_SERVER_BIN" notices --config "$T/notices.conf" --set "notice_secret_file=$T/short"
grep -q 'event=notices_secret_unusable' "$T/out" || { cat "$T/out"; wr_fail "a short secret was accepted"; }
[[ ! -s $T/recv.log ]] || wr_fail "something was sent with bad settings"
wr_ok "refused: an http:// webhook, a secret under 16 bytes (nothing sent)"

# --- delivery: every notice arrives once, through failures and a lost answer ---
"$WR_SERVER_BIN" notices --config "$T/notices.conf" 2>"$T/deliver.log" &
DELIVER_PID=$!
sleep 2
wr_psql "INSERT INTO violations (kind, severity, community_id, enterprise_id, occurred_at)
         VALUES ('work_outside_platform', 'critical', 1, 1, now())" # while it runs
for ((i = 0; i < 300; i++)); do
    [[ $(wr_psql "SELECT count(*) FROM notices WHERE delivered_at IS NULL") == 0 ]] && break
    sleep 0.2
done
[[ $(wr_psql "SELECT count(*) FROM notices WHERE delivered_at IS NULL") == 0 ]] ||
    { cat "$T/deliver.log"; wr_fail "notices were not all delivered within 60 s"; }
kill -TERM "$DELIVER_PID"
rc=0
wait "$DELIVER_PID" || rc=$?
DELIVER_PID=""
((rc == 0)) || { cat "$T/deliver.log"; wr_fail "the deliverer exited with status $rc"; }
grep -q 'event=notices_stopped' "$T/deliver.log" || wr_fail "the deliverer did not stop cleanly"

keys_db=$(wr_psql "SELECT idempotency_key FROM notices ORDER BY 1")
keys_processed=$(python3 -c 'import json,sys
print("\n".join(sorted(json.loads(l)["key"] for l in open(sys.argv[1]))))' "$T/processed")
[[ $(wc -l <<<"$keys_db") == 12 ]] || wr_fail "expected 12 notices, got $(wc -l <<<"$keys_db")"
[[ $keys_processed == "$keys_db" ]] || {
    diff <(echo "$keys_db") <(echo "$keys_processed") >&2
    wr_fail "the receiver processed other notices than the outbox holds, or one twice"
}
outcomes=$(python3 -c 'import json,sys,collections
c=collections.Counter(json.loads(l)["outcome"] for l in open(sys.argv[1]))
print(" ".join(f"{k}={c[k]}" for k in sorted(c)))' "$T/recv.log")
[[ $outcomes == "duplicate=1 failed=3 processed=11 processed_answer_lost=1" ]] ||
    wr_fail "receiver saw: $outcomes"
retried=$(wr_psql "SELECT count(*) FROM notices WHERE attempts > 1")
((retried >= 3)) || wr_fail "only $retried notices needed a retry"
grep -q 'event=notice_failed .*error="HTTP 503"' "$T/deliver.log" || wr_fail "no 503 logged"
! grep -qF "$(cat "$T/secret")" "$T/deliver.log" || wr_fail "the secret is in the log"
! grep -q '13800000009' "$T/deliver.log" || wr_fail "the contact's phone is in the log"
wr_ok "delivered: 12 notices, each processed once ($outcomes; $retried retried), signatures checked"

kinds=$(python3 -c 'import json,sys,collections
c=collections.Counter(json.loads(l)["body"]["kind"] for l in open(sys.argv[1]))
print(" ".join(f"{k}={c[k]}" for k in sorted(c)))' "$T/processed")
[[ $kinds == "violation_escalated=1 violation_opened=11" ]] || wr_fail "bodies of kinds $kinds"
python3 -c 'import json,sys
for l in open(sys.argv[1]):
    b=json.loads(l)["body"]
    if b["kind"]=="violation_escalated":
        print(b["enterprise"]["contact_phone"], b["text"])' "$T/processed" >"$T/out"
grep -q '^13800000009 【焊接监管】新密焊接厂：.*违规（permit_none，严重）已升级' "$T/out" ||
    { cat "$T/out" "$T/processed"; wr_fail "the escalated notice does not name the enterprise in Chinese"; }
wr_ok "a notice names the enterprise, its responsible head's phone and the violation in Chinese"

# --- overdue: a deadline passed while open gets one notice, whatever the passes and deliverers ---
# Time passing is simulated: two deadlines of the burst (open, and resolved) are moved into the
# past, and so is that of the violation without an enterprise (no one to notify).
overdue_id=$(wr_psql "SELECT min(id) FROM violations WHERE kind = 'permit_none'")
resolved_id=$((overdue_id + 1))
wr_psql "UPDATE violations SET status = 'resolved' WHERE id = $resolved_id;
         UPDATE violations SET rectify_by = now() - interval '1 hour'
         WHERE id IN ($overdue_id, $resolved_id) OR enterprise_id IS NULL"
"$WR_SERVER_BIN" notices --config "$T/notices.conf" 2>"$T/deliver.log" &
DELIVER_PID=$!
"$WR_SERVER_BIN" notices --config "$T/notices.conf" 2>"$T/deliver2.log" &
DELIVER2_PID=$!
for ((i = 0; i < 100; i++)); do
    [[ $(wr_psql "SELECT count(*) FROM notices WHERE kind = 'violation_overdue'
                  AND delivered_at IS NOT NULL") == 1 ]] && break
    sleep 0.2
done
sleep 3 # several more passes of both deliverers
kill -TERM "$DELIVER_PID" "$DELIVER2_PID"
wait "$DELIVER_PID" "$DELIVER2_PID" || true
DELIVER_PID="" DELIVER2_PID=""
overdue=$(wr_psql "SELECT string_agg(violation_id || ':' || (delivered_at IS NOT NULL), ' ')
                   FROM notices WHERE kind = 'violation_overdue'")
[[ $overdue == "$overdue_id:true" ]] ||
    { cat "$T/deliver.log" "$T/deliver2.log"; wr_fail "overdue notices: '$overdue', expected $overdue_id:true"; }
grep -q 'event=notices_overdue_queued count=1' "$T/deliver.log" "$T/deliver2.log" ||
    wr_fail "no deliverer logged the overdue notice it queued"
python3 -c 'import json,sys
for l in open(sys.argv[1]):
    b=json.loads(l)["body"]
    if b["kind"]=="violation_overdue":
        print(b["violation"]["id"], b["text"])' "$T/processed" >"$T/out"
want="^$overdue_id 【焊接监管】新密焊接厂：.*违规（permit_none，警告）已逾期未整改（整改期限 [0-9-]* [0-9:]*），请主要负责人立即组织整改。$"
if [[ $(wc -l <"$T/out") != 1 ]] || ! grep -q "$want" "$T/out"; then
    cat "$T/out"
    wr_fail "the overdue notice was not processed once, in Chinese, with its deadline"
fi
wr_ok "overdue: one notice for the open violation past its deadline (two deliverers, several passes), none for the resolved one or the one without an enterprise"
