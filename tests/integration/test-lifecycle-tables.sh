#!/usr/bin/env bash
# test-lifecycle-tables.sh — the life cycle of the tables that grow with time besides the
# check-ins' months (docs/operations.md, "Data life cycle"): a populated database of schema 027
# (work sessions over 31 months, their check-ins, violations referring to some, two chips silent
# for 20 months) migrated through 029 without a row changed; a pass killed while it writes the first
# archive of work sessions, after it dropped the check-ins' months, and a pass stopped between
# archive and delete, finished by the next; the sessions the evidence refers to kept; the keys of
# the dropped months gone but the seq rule still refusing an old seq after a restart and through
# a machine's lease (several servers); an expired web session deleted while a live one keeps
# working; an archived month of sessions restored.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

WELDTAG="$WELDREG_BUILD_DIR/tag-reader/weldtag"
CHIP=WR-LT-0001
SILENT=WR-LT-0002
SILENT2=WR-LT-0003 # the same, read through a lease (several servers)
ARCHIVE=$WR_TMP/archive

# 1. A database at schema 027: two closed work sessions a month on $CHIP over this month and
#    the 30 before, a scan check-in of each, a violation for every fifth; five heartbeats of
#    $SILENT and of $SILENT2 20 to 24 months ago.
wr_db_create_at lifetables 27
wr_seed_machine "$CHIP"
wr_seed_welder
wr_psql "INSERT INTO machines (chip_id, process_category, enterprise_id, keeper_name)
         VALUES ('$SILENT', 'fusion', 1, 'Keeper'), ('$SILENT2', 'fusion', 1, 'Keeper')" >/dev/null
wr_psql "INSERT INTO work_sessions (machine_id, welder_id, opened_at, until, last_seen_at,
                                    closed_at, close_reason)
         SELECT 1, 1, t, t + interval '4 hours', t + interval '1 hour', t + interval '1 hour', 'ended'
         FROM (SELECT (date_trunc('month', now() AT TIME ZONE 'Asia/Shanghai')
                       - make_interval(months => m) + make_interval(days => d, hours => 8))
                      AT TIME ZONE 'Asia/Shanghai' AS t
               FROM generate_series(0, 30) m, generate_series(0, 1) d ORDER BY 1) x" >/dev/null
wr_psql "INSERT INTO checkins (chip_id, machine_id, seq, ev, received_at, body_hash, ok,
                               session_id, welder_id)
         SELECT '$CHIP', 1, s.id, 'scan', s.opened_at, sha256(s.id::text::bytea), true, s.id, 1
         FROM work_sessions s;
         INSERT INTO checkins (chip_id, machine_id, seq, ev, received_at, body_hash)
         SELECT chip, m, s, 'hb', now() - make_interval(months => 19 + s), sha256(s::text::bytea)
         FROM generate_series(1, 5) s, (VALUES ('$SILENT', 2), ('$SILENT2', 3)) c (chip, m);
         INSERT INTO violations (kind, severity, machine_id, checkin_id, occurred_at)
         SELECT 'work_outside_platform', 'critical', 1, id, received_at FROM checkins
         WHERE chip_id = '$CHIP' AND seq % 5 = 0;
         SELECT count(weldreg_checkins_partition(m))
         FROM generate_series(now() - interval '30 months', now(), interval '1 month') m" >/dev/null
[[ $(wr_psql "SELECT count(*) FROM checkins_default") == 0 ]] || wr_fail "check-ins left in DEFAULT"
fingerprint() {
    wr_psql "SELECT (SELECT count(*) || ' ' || md5(string_agg(s::text, '|' ORDER BY id))
                     FROM work_sessions s),
                    (SELECT count(*) || ' ' || md5(string_agg(k::text, '|' ORDER BY checkin_id))
                     FROM checkin_keys k),
                    (SELECT count(*) FROM violations)"
}
before=$(fingerprint)
wr_ok "schema 027 with 62 work sessions over 31 months, their check-ins, $(wr_psql 'SELECT count(*) FROM violations') violations"

# 2. Migrated: 029 applied, the rows as they were, its tables and their constraints.
wr_run 0 "$WR_SERVER_BIN" migrate --config "$WR_TMP/weldreg.conf"
[[ $(wr_psql "SELECT count(*) FROM schema_migrations WHERE version = 29") == 1 ]] ||
    { cat "$WR_TMP/out"; wr_fail "migration 029 not applied"; }
after=$(fingerprint)
[[ $after == "$before" ]] || wr_fail "the migration changed rows: before $before, after $after"
wr_run 1 psql -XAtq -v ON_ERROR_STOP=1 -d "$DATABASE_URL" -c "INSERT INTO checkin_seq_floors VALUES ('x', -1)"
wr_expect_text "checkin_seq_floors_seq_check"
wr_run 1 psql -XAtq -v ON_ERROR_STOP=1 -d "$DATABASE_URL" -c \
    "INSERT INTO work_session_archives (archive, month, file, rows, sha256, kept)
     VALUES ('checkins_202401', '2024-01-01', 'f', 1, sha256('x'), 0)"
wr_expect_text "work_session_archives_archive_check"
[[ $(wr_psql "SELECT count(*) FROM weldreg_work_sessions_expired(13)") == 17 ]] ||
    wr_fail "$(wr_psql "SELECT count(*) FROM weldreg_work_sessions_expired(13)") months of work sessions past 13 months' retention, want 17"
wr_ok "migrated through 029: work sessions, keys and violations unchanged ($after); 17 months of work sessions past 13 months"

sessions=$(wr_psql "SELECT count(*) FROM work_sessions")
# the sessions of the months past retention that a kept check-in (a violation's evidence) refers to
evidence=$(wr_psql "SELECT count(DISTINCT c.session_id) FROM violations v JOIN checkins c ON c.id = v.checkin_id
                    WHERE c.received_at < weldreg_month_start(now()) - interval '13 months'")
((evidence > 0)) || wr_fail "no evidence among the months past retention"

# 3. Web sessions: two logins of ada; one of them expires.
wr_web_account ada admin
wr_web_start
login() {
    curl -sS --cacert "$WR_CERTS_DIR/ca.crt" -D "$WR_TMP/h" -o /dev/null -X POST \
        --data-urlencode "login=ada" --data-urlencode "password=$(cat "$WR_TMP/pw-ada")" "$WR_WEB_URL/login"
    sed -nE 's/^[Ss]et-[Cc]ookie: __Host-weldreg=([0-9a-f]*);.*/\1/p' "$WR_TMP/h" | tr -d '\r'
}
home() {
    curl -sS --cacert "$WR_CERTS_DIR/ca.crt" -o /dev/null -w '%{http_code}' \
        -H "Cookie: __Host-weldreg=$1" "$WR_WEB_URL/"
}
live=$(login)
expiring=$(login)
[[ -n $live && -n $expiring && $live != "$expiring" ]] || wr_fail "two logins, two cookies: \"$live\" \"$expiring\""
[[ $(home "$live") == 200 && $(home "$expiring") == 200 ]] || wr_fail "home with a fresh session: $(home "$live")"
wr_psql "UPDATE web_sessions SET created_at = now() - interval '2 days', expires_at = now() - interval '1 day'
         WHERE id_hash = sha256(decode('$expiring', 'hex'))" >/dev/null
[[ $(wr_psql "SELECT count(*) FROM web_sessions WHERE expires_at < now()") == 1 ]] ||
    wr_fail "the session was not made expired (is the id hash sha256 of the cookie?)"
[[ $(home "$expiring") != 200 ]] || wr_fail "an expired session still opens the home page"

# 4. A pass killed (SIGKILL) while it writes the first archive of work sessions: the check-ins'
#    months of that pass are dropped, no session deleted.
CONF=(--config "$WR_TMP/weldreg.conf" --set "archive_dir=$ARCHIVE" --set checkins_retention_months=13)
wr_maintain_killed "*work_sessions_*.part" "${CONF[@]}"
first=$(wr_psql "SELECT n FROM weldreg_work_sessions_expired(13) n LIMIT 1")
[[ -e $ARCHIVE/$first.copy.zst.part && ! -e $ARCHIVE/$first.manifest.json ]] ||
    wr_fail "killed pass: want an unfinished $first.copy.zst.part and no manifest: $(ls "$ARCHIVE")"
[[ $(grep -c "event=partition_dropped" "$WR_TMP/killed.log") == 17 ]] ||
    { cat "$WR_TMP/killed.log"; wr_fail "the killed pass did not drop the check-ins' 17 months first"; }
[[ $(wr_psql "SELECT count(*) FROM work_sessions") == "$sessions" ]] || wr_fail "the killed pass deleted sessions"
[[ $(wr_psql "SELECT count(*) FROM work_session_archives") == 0 ]] || wr_fail "the killed pass recorded a month"
wr_ok "a pass killed while writing $first's archive: the check-ins' 17 months dropped, a .part file, no session deleted"

# what each month of sessions past retention holds now that its check-ins are gone, for the
# restore
declare -A month_sum
for p in $(wr_psql "SELECT string_agg(n, ' ') FROM weldreg_work_sessions_expired(13) n"); do
    month_sum[$p]=$(wr_psql "SELECT count(*) || ' ' || md5(string_agg(s::text, '|' ORDER BY id))
                             FROM weldreg_work_sessions_month('$p') s")
done

# 5. A pass that stops between archive and delete (--archive-only), then a damaged archive and
#    one without its manifest: the next pass reuses, rewrites, writes, and deletes.
wr_run 0 "$WR_SERVER_BIN" maintain "${CONF[@]}" --archive-only
[[ $(grep -c "event=partition_archived partition=work_sessions_" "$WR_TMP/out") == 17 ]] ||
    { cat "$WR_TMP/out"; wr_fail "not 17 months of sessions archived"; }
grep -q "event=sessions_deleted\|event=web_sessions_expired" "$WR_TMP/out" && wr_fail "--archive-only deleted"
[[ $(wr_psql "SELECT count(*) FROM work_sessions") == "$sessions" ]] || wr_fail "--archive-only deleted sessions"
manifest=$ARCHIVE/$first.manifest.json
python3 - "$manifest" "${month_sum[$first]%% *}" <<'PY' || wr_fail "manifest: $(cat "$manifest")"
import json, sys
m = json.load(open(sys.argv[1]))
assert m["table"] == "work_sessions" and m["rows"] == int(sys.argv[2]), m
assert m["month"] == m["partition"][-6:-2] + "-" + m["partition"][-2:], m
assert m["schema_version"] >= 29 and len(m["sha256"]) == 64, m
PY
[[ $(sha256sum <"$ARCHIVE/$first.copy.zst" | cut -d' ' -f1) == $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["sha256"])' "$manifest") ]] ||
    wr_fail "the manifest's SHA-256 is not the file's"
expired=$(wr_psql "SELECT string_agg(n, ' ') FROM weldreg_work_sessions_expired(13) n")
damaged=$(cut -d' ' -f2 <<<"$expired")
unfinished=$(cut -d' ' -f3 <<<"$expired")
printf 'x' >>"$ARCHIVE/$damaged.copy.zst"
rm "$ARCHIVE/$unfinished.manifest.json"
wr_run 0 "$WR_SERVER_BIN" maintain "${CONF[@]}"
[[ $(grep -c "event=archive_found partition=work_sessions_" "$WR_TMP/out") == 15 ]] || { cat "$WR_TMP/out"; wr_fail "not 15 archives reused"; }
grep -q "event=archive_rewritten partition=$damaged" "$WR_TMP/out" || wr_fail "damaged archive not rewritten"
grep -q "event=partition_archived partition=$unfinished" "$WR_TMP/out" || wr_fail "unfinished archive not written"
[[ $(grep -c "event=sessions_deleted" "$WR_TMP/out") == 17 ]] || wr_fail "not 17 months of sessions deleted"
wr_expect_text "event=web_sessions_expired deleted=1"
[[ $(wr_psql "SELECT count(*) FROM weldreg_work_sessions_expired(13)") == 0 ]] || wr_fail "months of sessions left past retention"
[[ $(wr_psql "SELECT count(*), sum(rows), sum(kept) FROM work_session_archives") == "17|$((34 - evidence))|$evidence" ]] ||
    wr_fail "work_session_archives: $(wr_psql 'SELECT count(*), sum(rows), sum(kept) FROM work_session_archives'), want 17 months, $((34 - evidence)) rows, $evidence kept"
[[ $(wr_psql "SELECT count(*) FROM work_sessions") == $((sessions - 34 + evidence)) ]] || wr_fail "wrong sessions left"
[[ $(wr_psql "SELECT count(*) FROM checkins c WHERE session_id IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM work_sessions s WHERE s.id = c.session_id)") == 0 ]] ||
    wr_fail "a check-in lost its session"
[[ $(wr_psql "SELECT count(*) FROM audit_log WHERE action = 'work_sessions.archive_delete'") == 17 ]] ||
    wr_fail "deletes not audited"
kept_session=$(wr_psql "SELECT min(session_id) FROM checkins_default")
wr_run 1 psql -XAtq -v ON_ERROR_STOP=1 -d "$DATABASE_URL" -c "DELETE FROM work_sessions WHERE id = $kept_session"
wr_expect_text "violates foreign key constraint"
wr_run 0 "$WR_SERVER_BIN" maintain "${CONF[@]}"
grep -q "event=sessions_deleted\|event=partition_archived" "$WR_TMP/out" && wr_fail "a second pass archived again"
wr_ok "resumed: 15 archives reused, the damaged and the unfinished written again, 17 months of sessions deleted ($((34 - evidence)) sessions), $evidence kept as the evidence's; a second pass has nothing to do"

# 6. Web sessions: the expired one is gone, the live one works.
[[ $(wr_psql "SELECT count(*) FROM web_sessions") == 1 ]] || wr_fail "web sessions left: $(wr_psql 'SELECT count(*) FROM web_sessions')"
[[ $(home "$live") == 200 ]] || wr_fail "the live session was cut: $(home "$live")"
wr_web_stop
wr_ok "web sessions: the expired one deleted by maintain, the live one still opens the home page (200)"

# 7. Keys and the seq rule: the keys of the dropped months are gone (but the evidence's), the
#    silent chip's highest seq is its floor, and after a start of the server an old seq of it is
#    refused by the seq rule (without the floor it would be a new check-in) while a new check-in and its resend behave as before.
[[ $(wr_psql "SELECT count(*) FROM checkin_keys WHERE chip_id = '$SILENT'") == 0 ]] || wr_fail "keys of $SILENT left"
[[ $(wr_psql "SELECT string_agg(seq::text, ' ' ORDER BY chip_id) FROM checkin_seq_floors
              WHERE chip_id IN ('$SILENT', '$SILENT2')") == "5 5" ]] ||
    wr_fail "floors: $(wr_psql "SELECT chip_id, seq FROM checkin_seq_floors")"
[[ $(wr_psql "SELECT count(*) FROM checkin_keys") == $(wr_psql "SELECT count(*) FROM checkins") ]] ||
    wr_fail "keys and check-ins differ"
psk=$(wr_provision machine "$CHIP")
silent_psk=$(wr_provision machine "$SILENT")
admin_psk=$(wr_provision admin admin-lt)
wr_server_start
now=$(date +%s)
wr_send_checkin "$SILENT" "$silent_psk" hb 4 --ts "$now"
replay=$out
# refused, and recorded as a refused check-in (as any check-in the server refuses)
[[ $replay == *replay* ]] || wr_fail "seq 4 of $SILENT answered \"$replay\""
[[ $(wr_psql "SELECT ok, reasons FROM checkins WHERE chip_id = '$SILENT' AND seq = 4") == 'f|{replay}' ]] ||
    wr_fail "seq 4 of $SILENT stored as: $(wr_psql "SELECT ok, reasons FROM checkins WHERE chip_id = '$SILENT'")"
wr_send_checkin "$CHIP" "$psk" hb 100000 --ts "$now"
first=$out
wr_send_checkin "$CHIP" "$psk" hb 100000 --ts "$now"
[[ $out == "$first" ]] || wr_fail "resend answered \"$out\", first \"$first\""
[[ $(wr_psql "SELECT count(*) FROM checkins WHERE chip_id = '$CHIP' AND seq = 100000") == 1 ]] || wr_fail "resend stored twice"
wr_run 0 "$WELDTAG" admin audit-verify --server "coaps://127.0.0.1:$WR_PORT" --identity admin-lt --psk-file "$admin_psk"
wr_expect_text "audit chain intact"
# several servers read a machine's state when they take its lease, not at start
wr_server_stop
printf 'server_id = lt-1\n' >"$WR_TMP/server.extra"
silent2_psk=$(wr_provision machine "$SILENT2")
wr_server_start
for ((i = 0; i < 20; i++)); do # 5.03 while the server takes the lease
    wr_send_checkin "$SILENT2" "$silent2_psk" hb 2 --ts "$now"
    [[ $out == *"5.03"* ]] || break
    sleep 0.5
done
[[ $out == *replay* ]] || wr_fail "seq 2 of $SILENT2 through a lease answered \"$out\""
wr_ok "keys: $SILENT's and $SILENT2's all gone, their floors 5; old seq 4 refused after a start (\"$replay\"), old seq 2 through a lease (\"$out\"); a resend answered the same (\"$first\"); audit chain intact"

# 8. Restore: an archived month of work sessions back into a table of its own, row for row.
oldest=${expired%% *}
month=$(sed -E 's/work_sessions_([0-9]{4})([0-9]{2})/\1-\2/' <<<"$oldest")
wr_run 0 "$WR_SERVER_BIN" archive-restore "${CONF[@]}" --table work_sessions --month "$month"
wr_expect_text "event=archive_restored partition=$oldest table=restored_$oldest rows=${month_sum[$oldest]%% *}"
restored=$(wr_psql "SELECT count(*) || ' ' || md5(string_agg(s::text, '|' ORDER BY id)) FROM restored_$oldest s")
[[ $restored == "${month_sum[$oldest]}" ]] || wr_fail "restored $restored, archived ${month_sum[$oldest]}"
wr_run 1 "$WR_SERVER_BIN" archive-restore "${CONF[@]}" --table web_sessions --month "$month"
wr_expect_text "--table wants checkins or work_sessions"
wr_ok "restored work sessions of $month into restored_$oldest: $restored (as archived); an unknown table refused"
