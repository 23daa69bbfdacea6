#!/usr/bin/env bash
# test-lifecycle.sh — the check-ins' data life cycle (docs/operations.md, "Data life cycle"): a
# populated database of schema 021 (check-ins over 31 months, violations referring to some)
# migrated to the monthly partitions without a row lost or changed; check-ins and duplicates
# through the server afterwards; partitions made ahead, the metric of the months ahead, and rows
# the DEFAULT partition caught moved into their month; months past retention archived, read
# back and dropped, with the check-ins a violation refers to kept; a pass killed while it writes
# an archive, and one stopped between archive and drop, resumed; a damaged archive written
# again; an archived month restored into a table, row for row.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

WELDTAG="$WELDREG_BUILD_DIR/tag-reader/weldtag"
CHIP=WR-LIFE-0001
ARCHIVE=$WR_TMP/archive

# 1. A database at schema 021 with a history: 20 check-ins a month over this month and the 30
#    before (every fifth a scan, so the roll-ups count), a violation for every seventh.
wr_db_create_at lifecycle 21
wr_seed_machine "$CHIP"
wr_psql "INSERT INTO checkins (chip_id, machine_id, seq, ev, received_at, body_hash, ok, reasons)
         SELECT '$CHIP', 1, s, CASE WHEN s % 5 = 0 THEN 'scan' ELSE 'hb' END,
                (date_trunc('month', now() AT TIME ZONE 'Asia/Shanghai')
                 - make_interval(months => s / 20) + make_interval(hours => s % 20))
                AT TIME ZONE 'Asia/Shanghai',
                sha256(s::text::bytea), s % 3 = 0, CASE WHEN s % 5 = 0 THEN '{code_unknown}'::text[]
                ELSE '{}'::text[] END
         FROM generate_series(0, 619) s" >/dev/null
wr_psql "INSERT INTO violations (kind, severity, machine_id, checkin_id, occurred_at)
         SELECT 'work_outside_platform', 'critical', 1, id, received_at FROM checkins
         WHERE seq % 7 = 0" >/dev/null
# everything a conversion could lose or change, as one checksum per table
fingerprint() {
    wr_psql "SELECT (SELECT count(*) || ' ' || md5(string_agg(c::text, '|' ORDER BY id))
                     FROM checkins c),
                    (SELECT count(*) || ' ' || md5(string_agg(v::text, '|' ORDER BY id))
                     FROM violations v),
                    (SELECT md5(string_agg(r::text, '|' ORDER BY r::text)) FROM scan_rollups r),
                    (SELECT md5(string_agg(r::text, '|' ORDER BY r::text)) FROM denial_rollups r)"
}
before=$(fingerprint)
wr_ok "schema 021 with 620 check-ins over 31 months and $(wr_psql 'SELECT count(*) FROM violations') violations"

# 2. Migrated: partitioned, every row as it was, the keys of all check-ins, nothing in DEFAULT.
wr_run 0 "$WR_SERVER_BIN" migrate --config "$WR_TMP/weldreg.conf"
[[ $(wr_psql "SELECT count(*) FROM schema_migrations WHERE version IN (22, 23)") == 2 ]] ||
    { cat "$WR_TMP/out"; wr_fail "migrations 022 and 023 not applied"; }
after=$(fingerprint)
[[ $after == "$before" ]] || wr_fail "the migration changed rows: before $before, after $after"
[[ $(wr_psql "SELECT count(*) FROM pg_partitioned_table WHERE partrelid = 'checkins'::regclass") == 1 ]] ||
    wr_fail "checkins is not partitioned"
months=$(wr_psql "SELECT count(*) FROM pg_inherits WHERE inhparent = 'checkins'::regclass")
((months == 31 + 3 + 1)) || wr_fail "$months partitions, want 31 months + 3 ahead + DEFAULT"
[[ $(wr_psql "SELECT count(*) FROM checkin_keys") == 620 ]] || wr_fail "checkin_keys incomplete"
[[ $(wr_psql "SELECT count(*) FROM checkins_default") == 0 ]] || wr_fail "rows in checkins_default"
[[ $(wr_psql "SELECT count(*) FROM checkins_$(date -d "$(TZ=Asia/Shanghai date +%Y-%m-15) -12 months" +%Y%m)") == 20 ]] ||
    wr_fail "the month a year ago does not hold its 20 rows"
wr_ok "migrated to $months partitions; check-ins, violations and roll-ups unchanged ($after)"

# 3. Through the server: a new check-in is stored once, its resend answered from it, and a seq
#    stored before the migration (in a month's partition of two years ago) is a replay.
psk=$(wr_provision machine "$CHIP")
admin_psk=$(wr_provision admin admin-life)
MPORT=$(wr_free_port tcp)
printf 'metrics_listen = 127.0.0.1:%s\n' "$MPORT" >"$WR_TMP/server.extra"
wr_server_start
now=$(date +%s)
wr_send_checkin "$CHIP" "$psk" hb 1000 --ts "$now"
first=$out
wr_send_checkin "$CHIP" "$psk" hb 1000 --ts "$now"
[[ $out == "$first" ]] || wr_fail "resend answered \"$out\", first \"$first\""
[[ $(wr_psql "SELECT count(*) FROM checkins WHERE seq = 1000") == 1 ]] || wr_fail "resend stored twice"
wr_send_checkin "$CHIP" "$psk" hb 500 --ts "$now"
[[ $out == *"4.09"* ]] || wr_fail "seq 500 (stored 25 months ago) again with other content: $out"
[[ $(wr_psql "SELECT count(*) FROM checkins WHERE seq = 500") == 1 ]] || wr_fail "seq 500 stored twice"
wr_ok "after the migration: new check-in stored once (\"$first\"), resend the same, old seq a replay ($out)"

# 4. Partitions ahead: next month's missing shows in the metric (0) and is made by maintain,
#    which also moves what checkins_default caught into the month it makes.
metric() { curl -s "http://127.0.0.1:$MPORT/metrics" | awk '$1 == "weldreg_checkins_partitions_ahead_months" {print $2}'; }
[[ $(metric) == 3 ]] || wr_fail "metric of the months ahead: $(metric), want 3"
next=$(wr_psql "SELECT weldreg_checkins_partition_name(weldreg_month_start(now()) + interval '40 days')")
wr_psql "DROP TABLE $next" >/dev/null
wr_psql "INSERT INTO checkins (chip_id, seq, ev, received_at, body_hash)
         VALUES ('$CHIP', 2000, 'hb', weldreg_month_start(now()) + interval '40 days', sha256('x')),
                ('$CHIP', 2001, 'hb', weldreg_month_start(now()) + interval '200 days', sha256('y'))" >/dev/null
[[ $(wr_psql "SELECT count(*) FROM checkins_default") == 2 ]] || wr_fail "DEFAULT did not catch the rows"
wr_psql "NOTIFY weldreg_registry" >/dev/null # a reload counts the partitions again
for ((i = 0; i < 50; i++)); do [[ $(metric) == 0 ]] && break; sleep 0.1; done
[[ $(metric) == 0 ]] || wr_fail "metric with next month missing: $(metric), want 0"
grep -q "event=partition_missing" "$WR_SERVER_LOG" || wr_fail "no partition_missing warning"
CONF=(--config "$WR_TMP/weldreg.conf" --set "archive_dir=$ARCHIVE")
wr_run 0 "$WR_SERVER_BIN" maintain "${CONF[@]}" --set partitions_ahead_months=7 \
    --set checkins_retention_months=1200
wr_expect_text "event=partitions_ahead made=5 months_ahead=7"
[[ $(wr_psql "SELECT count(*) FROM checkins_default") == 0 ]] || wr_fail "rows left in DEFAULT"
[[ $(wr_psql "SELECT count(*) FROM $next WHERE seq = 2000") == 1 ]] || wr_fail "row not moved to $next"
wr_psql "NOTIFY weldreg_registry" >/dev/null
for ((i = 0; i < 50; i++)); do [[ $(metric) == 7 ]] && break; sleep 0.1; done
[[ $(metric) == 7 ]] || wr_fail "metric after maintain: $(metric), want 7"
wr_ok "partitions ahead: metric 3, 0 with $next missing (logged), 7 after maintain; DEFAULT's rows moved"

# 5. Retention of 13 months: the 17 older months are past it. A pass stopped after the archives
#    (--archive-only: what a crash between archive and drop leaves) drops nothing ...
declare -A month_sum
expired=$(wr_psql "SELECT string_agg(n, ' ') FROM weldreg_checkins_expired(13) n")
for p in $expired; do
    month_sum[$p]=$(wr_psql "SELECT count(*) || ' ' || md5(string_agg(c::text, '|' ORDER BY id)) FROM $p c")
done
((${#month_sum[@]} == 17)) || wr_fail "${#month_sum[@]} months past 13 months' retention, want 17"
evidence=$(wr_psql "SELECT count(*) FROM violations v JOIN checkins c ON c.id = v.checkin_id
                    WHERE c.received_at < weldreg_month_start(now()) - interval '13 months'")
total=$(wr_psql "SELECT count(*) FROM checkins")
oldest_expired=${expired%% *}
CONF+=(--set checkins_retention_months=13)
# A pass killed (SIGKILL) while it writes the first archive: no manifest, no month dropped, no
# row lost.
wr_maintain_killed "*.part" "${CONF[@]}"
[[ -e $ARCHIVE/$oldest_expired.copy.zst.part && ! -e $ARCHIVE/$oldest_expired.manifest.json ]] ||
    wr_fail "killed pass: want an unfinished $oldest_expired.copy.zst.part and no manifest: $(ls "$ARCHIVE")"
[[ $(wr_psql "SELECT count(*) FROM checkins") == "$total" ]] || wr_fail "the killed pass lost rows"
[[ $(wr_psql "SELECT count(*) FROM weldreg_checkins_expired(13)") == 17 ]] || wr_fail "the killed pass dropped a month"
wr_ok "a pass killed while writing $oldest_expired's archive: a .part file, no manifest, every month and row still there"
wr_run 0 "$WR_SERVER_BIN" maintain "${CONF[@]}" --archive-only
[[ $(grep -c "event=partition_archived" "$WR_TMP/out") == 17 ]] || { cat "$WR_TMP/out"; wr_fail "not 17 months archived"; }
grep -q "event=partition_dropped" "$WR_TMP/out" && wr_fail "--archive-only dropped a month"
[[ $(wr_psql "SELECT count(*) FROM checkins") == "$total" ]] || wr_fail "--archive-only lost rows"
oldest=${expired%% *}
manifest=$ARCHIVE/$oldest.manifest.json
python3 - "$manifest" "$(wr_psql 'SELECT max(version) FROM schema_migrations')" <<'PY' ||
import json, sys
m = json.load(open(sys.argv[1]))
assert m["table"] == "checkins" and m["rows"] == 20 and len(m["sha256"]) == 64, m
assert m["schema_version"] == int(sys.argv[2]) and m["file"].endswith(".copy.zst"), m
assert m["bytes"] > 0, m
PY
    wr_fail "manifest: $(cat "$manifest")"
[[ $(zstd -dc "$ARCHIVE/$oldest.copy.zst" | wc -l) == 20 ]] || wr_fail "the archive does not hold 20 rows"
[[ $(sha256sum <"$ARCHIVE/$oldest.copy.zst" | cut -d' ' -f1) == $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["sha256"])' "$manifest") ]] ||
    wr_fail "the manifest's SHA-256 is not the file's"
wr_ok "--archive-only: 17 months archived, nothing dropped; $oldest: $(tr -d '\n' <"$manifest" | cut -c1-160)..."

# ... and the next pass resumes: the archives that read back are used, a damaged one (its
# manifest no longer matches) and an unfinished one (no manifest) are written again, then each
# month is dropped, keeping the check-ins its violations refer to.
damaged=$(cut -d' ' -f2 <<<"$expired")
unfinished=$(cut -d' ' -f3 <<<"$expired")
printf 'x' >>"$ARCHIVE/$damaged.copy.zst"
rm "$ARCHIVE/$unfinished.manifest.json"
# a long read of checkins (a count over the raw rows) holds the detach back: the pass gives up
# after 2 s rather than hold the writer back behind it, and drops nothing
psql -XAtq -d "$DATABASE_URL" -c "BEGIN; LOCK TABLE checkins IN ACCESS SHARE MODE; SELECT pg_sleep(8); COMMIT" \
    >/dev/null 2>&1 &
reader_pid=$!
sleep 1
wr_run 1 "$WR_SERVER_BIN" maintain "${CONF[@]}"
wr_expect_text "lock timeout"
wait "$reader_pid" || wr_fail "the long reader failed"
[[ $(wr_psql "SELECT count(*) FROM checkin_archives") == 0 ]] || wr_fail "a month dropped behind a reader"
[[ $(wr_psql "SELECT count(*) FROM checkins") == "$total" ]] || wr_fail "rows lost behind a reader"
wr_ok "a pass behind a long reader of checkins gives up (lock timeout), nothing dropped"
wr_run 0 "$WR_SERVER_BIN" maintain "${CONF[@]}"
[[ $(grep -c "event=archive_found" "$WR_TMP/out") == 15 ]] || { cat "$WR_TMP/out"; wr_fail "not 15 archives reused"; }
grep -q "event=archive_rewritten partition=$damaged" "$WR_TMP/out" || wr_fail "damaged archive not rewritten"
grep -q "event=partition_archived partition=$unfinished" "$WR_TMP/out" || wr_fail "unfinished archive not written"
[[ $(grep -c "event=partition_dropped" "$WR_TMP/out") == 17 ]] || wr_fail "not 17 months dropped"
[[ $(wr_psql "SELECT string_agg(n, ' ') FROM weldreg_checkins_expired(13) n") == "" ]] || wr_fail "months left past retention"
[[ $(wr_psql "SELECT count(*) FROM checkins_default") == "$evidence" ]] || wr_fail "evidence not kept in DEFAULT"
[[ $(wr_psql "SELECT count(*) FROM violations v WHERE checkin_id IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM checkins c WHERE c.id = v.checkin_id)") == 0 ]] ||
    wr_fail "a violation lost its check-in"
[[ $(wr_psql "SELECT count(*) FROM checkins") == $((total - 17 * 20 + evidence)) ]] || wr_fail "wrong rows left"
[[ $(wr_psql "SELECT count(*) FROM checkin_keys") == $((total - 17 * 20 + evidence)) ]] || wr_fail "keys of dropped rows left"
[[ $(wr_psql "SELECT count(*), sum(rows), sum(kept) FROM checkin_archives") == "17|340|$evidence" ]] ||
    wr_fail "checkin_archives: $(wr_psql 'SELECT count(*), sum(rows), sum(kept) FROM checkin_archives')"
kept_id=$(wr_psql "SELECT min(id) FROM checkins_default")
wr_run 1 psql -XAtq -v ON_ERROR_STOP=1 -d "$DATABASE_URL" -c "DELETE FROM checkin_keys WHERE checkin_id = $kept_id"
wr_expect_text "violates foreign key constraint"
# a kept check-in is still the evidence the API shows with its violation
read -r vid cid cseq < <(wr_psql "SELECT v.id, c.id, c.seq FROM violations v
                                  JOIN checkins_default c ON c.id = v.checkin_id ORDER BY v.id LIMIT 1" | tr '|' ' ')
wr_run 0 "$WELDTAG" violations show "$vid" --json --server "coaps://127.0.0.1:$WR_PORT" --identity admin-life --psk-file "$admin_psk"
[[ $(python3 -c 'import json,sys; c = json.load(sys.stdin)["evidence"]["checkin"]; print(c["id"], c["seq"])' <"$WR_TMP/out") == "$cid $cseq" ]] ||
    { cat "$WR_TMP/out"; wr_fail "violation $vid does not show its kept check-in $cid"; }
wr_run 0 "$WELDTAG" admin audit-verify --server "coaps://127.0.0.1:$WR_PORT" --identity admin-life --psk-file "$admin_psk"
wr_expect_text "audit chain intact"
[[ $(wr_psql "SELECT count(*) FROM audit_log WHERE action = 'checkins.archive_drop'") == 17 ]] || wr_fail "drops not audited"
wr_ok "resumed: 15 archives reused, the damaged and the unfinished written again, 17 months dropped; $evidence check-ins kept as evidence (violation $vid still shows check-in $cid), their keys undeletable; audit chain intact"

# 6. A month holding other rows than its archive (a row written into it by hand after the
#    archive) is not dropped.
wr_run 0 "$WR_SERVER_BIN" maintain "${CONF[@]}" --set checkins_retention_months=12 --archive-only
victim=$(wr_psql "SELECT n FROM weldreg_checkins_expired(12) n")
wr_psql "INSERT INTO $victim (chip_id, seq, ev, received_at, body_hash)
         SELECT '$CHIP', 3000, 'hb', min(received_at), sha256('z') FROM $victim" >/dev/null
wr_run 1 "$WR_SERVER_BIN" maintain "${CONF[@]}" --set checkins_retention_months=12
wr_expect_text "partition $victim holds 21 rows, its archive 20"
[[ $(wr_psql "SELECT count(*) FROM $victim") == 21 ]] || wr_fail "$victim dropped or changed"
wr_ok "a month changed after its archive is not dropped: $(grep -o 'error=.*' "$WR_TMP/out")"

# 7. Restore: an archived month back into a table of its own, row for row.
month=$(sed -E 's/checkins_([0-9]{4})([0-9]{2})/\1-\2/' <<<"$oldest")
wr_run 0 "$WR_SERVER_BIN" archive-restore "${CONF[@]}" --month "$month"
wr_expect_text "event=archive_restored partition=$oldest table=restored_$oldest rows=20"
restored=$(wr_psql "SELECT count(*) || ' ' || md5(string_agg(c::text, '|' ORDER BY id)) FROM restored_$oldest c")
[[ $restored == "${month_sum[$oldest]}" ]] || wr_fail "restored $restored, archived ${month_sum[$oldest]}"
wr_run 1 "$WR_SERVER_BIN" archive-restore "${CONF[@]}" --month "$month"
wr_expect_text "already exists"
wr_run 1 "$WR_SERVER_BIN" archive-restore "${CONF[@]}" --month 1999-01
wr_expect_text "no archive of 1999-01"
wr_run 1 "$WR_SERVER_BIN" archive-restore "${CONF[@]}" --month "$month" --into 'x; DROP TABLE checkins'
wr_expect_text "is not a table name"
printf 'x' >>"$ARCHIVE/$oldest.copy.zst"
wr_run 1 "$WR_SERVER_BIN" archive-restore "${CONF[@]}" --month "$month" --into tampered
wr_expect_text "does not match its manifest"
[[ $(wr_psql "SELECT to_regclass('tampered') IS NULL") == t ]] || wr_fail "a tampered archive was restored"
wr_ok "restored $month into restored_$oldest: $restored (as archived); existing table, unknown month, bad name and a tampered archive refused"
