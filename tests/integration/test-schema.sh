#!/usr/bin/env bash
# test-schema.sh — schema/001_initial.sql applies to a fresh database in one transaction (as
# the migration runner does), and its constraints and triggers do what the comments promise.
# Needs only psql, not the server.
# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# expect_error SQL PATTERN: SQL must fail with a message matching PATTERN.
expect_error() {
    local out
    if out=$(psql -XAtq -v ON_ERROR_STOP=1 -d "$DATABASE_URL" -c "$1" 2>&1); then
        wr_fail "accepted: $1"
    fi
    [[ $out =~ $2 ]] || wr_fail "wrong error for: $1
got: $out
want: $2"
}

# expect_value SQL VALUE: SQL must print VALUE.
expect_value() {
    local got
    got=$(wr_psql "$1")
    [[ $got == "$2" ]] || wr_fail "$1
got: $got
want: $2"
}

wr_db_create_empty schema
psql -Xq -v ON_ERROR_STOP=1 --single-transaction -d "$DATABASE_URL" \
    -f "$WELDREG_SOURCE_DIR/schema/001_initial.sql" >/dev/null ||
    wr_fail "001_initial.sql did not apply"
expect_value "SELECT to_regclass('schema_migrations') IS NULL" t
wr_ok "001_initial.sql applies in one transaction and leaves schema_migrations to the runner"

# --- registry rows that the checks below use ---
wr_psql "
INSERT INTO communities (id, code, name, district) VALUES (1, '410183001', '青屏街社区', '新密市');
INSERT INTO enterprises (id, uscc, name, community_id) VALUES
    (1, '91410183MA40000001', '甲焊接有限公司', 1), (2, '91410183MA40000002', '乙公司', 1);
INSERT INTO machines (id, chip_id, process_category, enterprise_id, keeper_name)
    VALUES (1, 'WR-0001', 'fusion', 1, '张三');
INSERT INTO welders (id, name, idcard_hash, idcard_masked, licence_no_hash, licence_no_masked,
                     licence_categories, licence_issued_on, licence_valid_until, licence_review_due)
    VALUES (1, '李四', sha256('a'), '410***********123X', sha256('b'), 'T410***********123X',
            '{fusion}', '2024-01-01', '2030-01-01', '2027-01-01'),
           (2, '王五', sha256('c'), '410***********4567', sha256('d'), 'T410***********4567',
            '{fusion,brazing}', '2024-01-01', '2030-01-01', '2027-01-01');
INSERT INTO permits (id, permit_no, level, enterprise_id, site_address, site_lat, site_lon,
                     starts_at, ends_at, approver, fire_watch)
    VALUES (1, 'P-1', 'first', 1, '厂区一号', 34.5, 113.4,
            '2025-03-01 08:00+08', '2025-03-01 16:00+08', '安全部', '赵六');
" >/dev/null
# the rows above chose their ids: move the identity sequences past them
for table in communities enterprises machines welders permits; do
    wr_psql "SELECT setval(pg_get_serial_sequence('$table', 'id'), 100)" >/dev/null
done
wr_ok "registry rows with Chinese names insert"

# --- CHECK constraints ---
expect_error "INSERT INTO enterprises (uscc, name, community_id) VALUES ('91410183MA4000000I', 'x', 1)" \
    'enterprises_uscc_check'
expect_error "INSERT INTO enterprises (uscc, name, community_id) VALUES ('9141', 'x', 1)" \
    'enterprises_uscc_check'
expect_error "INSERT INTO machines (chip_id, process_category, enterprise_id, keeper_name)
              VALUES ('WR-0002', 'laser', 1, 'k')" 'machines_process_category_check'
expect_error "INSERT INTO machines (chip_id, process_category, enterprise_id, keeper_name)
              VALUES ('WR 0002', 'fusion', 1, 'k')" 'machines_chip_id_check'
expect_error "UPDATE machines SET status = 'scrapped' WHERE id = 1" 'machines_scrapped_when'
expect_error "UPDATE welders SET idcard_masked = '41018319900101123X' WHERE id = 1" \
    'welders_idcard_masked_check'
expect_error "UPDATE welders SET licence_categories = '{fusion,gas}' WHERE id = 1" \
    'welders_licence_categories_check'
expect_error "UPDATE welders SET licence_valid_until = '2031-01-01' WHERE id = 1" \
    'welders_licence_validity'
expect_error "UPDATE welders SET licence_review_due = '2030-01-02' WHERE id = 1" \
    'welders_licence_review'
expect_error "UPDATE welders SET licence_review_due = '2023-12-31' WHERE id = 1" \
    'welders_licence_review'
wr_psql "UPDATE welders SET long_record = true, licence_review_due = '2030-01-01' WHERE id = 1"
expect_error "INSERT INTO welders (name, idcard_hash, idcard_masked, licence_no_hash,
                  licence_no_masked, licence_categories, licence_issued_on, licence_valid_until,
                  licence_review_due)
              VALUES ('x', sha256('a'), '410***********000X', sha256('z'), 'T***', '{fusion}',
                      '2024-01-01', '2030-01-01', '2027-01-01')" 'welders_idcard_hash_key'
wr_ok "identifier, category, licence and masking checks reject bad rows"

permit() { # level start end
    printf "INSERT INTO permits (permit_no, level, enterprise_id, site_address, site_lat, site_lon,
            starts_at, ends_at, approver, fire_watch)
            VALUES ('P-%s-%s', '%s', 1, 'a', 34.5, 113.4, '%s', '%s', 'b', 'c')" \
        "$1" "$RANDOM" "$1" "$2" "$3"
}
expect_error "$(permit special '2025-03-01 08:00+08' '2025-03-01 16:01+08')" 'permits_window_length'
expect_error "$(permit first '2025-03-01 08:00+08' '2025-03-01 08:00+08')" 'permits_window_order'
expect_error "$(permit second '2025-03-01 08:00+08' '2025-03-04 08:01+08')" 'permits_window_length'
wr_psql "$(permit second '2025-03-01 08:00+08' '2025-03-04 08:00+08')"
wr_psql "$(permit special '2025-03-01 08:00+08' '2025-03-01 16:00+08')"
wr_ok "permit windows: at most 8 h for special and first, 72 h for second"

# --- check-ins: (chip_id, seq) is unique, the server's insert shape works ---
checkin="INSERT INTO checkins (chip_id, machine_id, seq, ev, body_hash, ok, reasons)
         VALUES ('WR-0001', 1, 7, 'scan', sha256('body'), true, '{}'::text[])"
wr_psql "$checkin"
expect_error "$checkin" 'checkins_chip_seq'
expect_value "$checkin ON CONFLICT (chip_id, seq) DO NOTHING RETURNING id" ""
expect_error "INSERT INTO checkins (chip_id, seq, ev, body_hash) VALUES ('x', 1, 'boom', sha256(''))" \
    'checkins_ev_check'
expect_error "INSERT INTO checkins (chip_id, seq, ev, body_hash, lat) VALUES ('x', 1, 'hb', sha256(''), 1)" \
    'checkins_position'
wr_ok "check-ins: a resent (chip_id, seq) is refused, bad events and half positions too"

# --- work sessions: one open session per machine and per welder ---
wr_psql "INSERT INTO work_sessions (machine_id, welder_id, permit_id, until)
         VALUES (1, 1, 1, now() + interval '1 hour')"
expect_error "INSERT INTO work_sessions (machine_id, welder_id, until)
              VALUES (1, 2, now() + interval '1 hour')" 'work_sessions_open_machine'
wr_psql "INSERT INTO machines (id, chip_id, process_category, enterprise_id, keeper_name)
         VALUES (2, 'WR-0002', 'fusion', 1, 'k')"
expect_error "INSERT INTO work_sessions (machine_id, welder_id, until)
              VALUES (2, 1, now() + interval '1 hour')" 'work_sessions_open_welder'
wr_psql "UPDATE work_sessions SET closed_at = now(), close_reason = 'end' WHERE machine_id = 1"
wr_psql "INSERT INTO work_sessions (machine_id, welder_id, until)
         VALUES (2, 1, now() + interval '1 hour')"
wr_ok "one open work session per machine and per welder; closed ones do not count"

# --- principals: the server's upsert, the credential checks, linking to machines ---
upsert="INSERT INTO principals (identity, role, psk_nonce, psk_ciphertext)
        VALUES (\$1, \$2, substr(sha256('n'), 1, 12), sha256('c') || sha256('t'))
        ON CONFLICT (identity) DO UPDATE SET role = excluded.role,
        psk_nonce = excluded.psk_nonce, psk_ciphertext = excluded.psk_ciphertext, disabled_at = NULL"
wr_psql "$(printf '%s' "$upsert" | sed "s/\$1/'WR-0003'/; s/\$2/'machine'/")"
wr_psql "$(printf '%s' "$upsert" | sed "s/\$1/'WR-0001'/; s/\$2/'machine'/")"
wr_psql "$(printf '%s' "$upsert" | sed "s/\$1/'admin-dev'/; s/\$2/'admin'/")"
wr_psql "$(printf '%s' "$upsert" | sed "s/\$1/'admin-dev'/; s/\$2/'admin'/")"
expect_value "SELECT count(*) FROM principals" 3
expect_value "SELECT machine_id FROM principals WHERE identity = 'WR-0001'" 1
expect_value "SELECT coalesce(machine_id, 0) FROM principals WHERE identity = 'WR-0003'" 0
wr_psql "INSERT INTO machines (id, chip_id, process_category, enterprise_id, keeper_name)
         VALUES (3, 'WR-0003', 'brazing', 2, 'k')"
expect_value "SELECT machine_id FROM principals WHERE identity = 'WR-0003'" 3
expect_value "SELECT coalesce(chip_id, '-') FROM principals WHERE identity = 'admin-dev'" -
expect_error "INSERT INTO principals (identity, role) VALUES ('x', 'admin')" 'principals_credential'
expect_error "INSERT INTO principals (identity, role, cert_cn) VALUES ('x', 'root', 'x')" \
    'principals_role_check'
wr_ok "principals: the server's upsert works, a machine principal links to its machine either way round"

# --- machine transfers are recorded by a trigger, and cannot be rewritten ---
wr_psql "BEGIN; SET LOCAL weldreg.actor = 'admin-dev'; UPDATE machines SET enterprise_id = 2 WHERE id = 1; COMMIT"
expect_value "SELECT from_enterprise_id || '>' || to_enterprise_id || ' by ' || transferred_by
              FROM machine_transfers WHERE machine_id = 1" "1>2 by admin-dev"
expect_error "DELETE FROM machine_transfers" 'append-only'
wr_ok "a change of owner is recorded in machine_transfers, which is append-only"

# --- codes and the revocation list ---
code() { # name: a welder code whose cti is md5(name)
    printf "INSERT INTO codes (cti, kind, welder_id, kid, expires_at)
            VALUES (decode(md5('%s'), 'hex'), 'welder', 1, decode('0102030405060708', 'hex'),
                    now() + interval '1 year')" "$1"
}
wr_psql "$(code c1); $(code c2)"
expect_error "INSERT INTO codes (cti, kind, machine_id, welder_id, kid, expires_at)
              VALUES (decode(md5('c3'), 'hex'), 'machine', 1, 1, decode('0102030405060708', 'hex'),
                      now() + interval '1 day')" \
    'codes_subject'
expect_error "UPDATE codes SET revoked_at = now() WHERE cti = decode(md5('c1'), 'hex')" \
    'codes_revocation'
wr_psql "UPDATE codes SET revoked_at = now(), revoke_reason = 'lost' WHERE cti = decode(md5('c1'), 'hex')"
wr_psql "UPDATE codes SET revoked_at = now(), revoke_reason = 'fraud' WHERE cti = decode(md5('c2'), 'hex')"
expect_value "SELECT version FROM revocation_list" 2
expect_value "SELECT string_agg(revocation_version::text, ',' ORDER BY revocation_version) FROM codes" "1,2"
expect_error "UPDATE codes SET revoked_at = NULL, revoke_reason = NULL, revocation_version = NULL
              WHERE cti = decode(md5('c1'), 'hex')" 'already revoked'
expect_error "INSERT INTO revocation_list VALUES (false, 0)" 'revocation_list_singleton_check'
wr_ok "revoking a code bumps the revocation list version; revocation is final"

# --- violations and their history ---
wr_psql "INSERT INTO violations (kind, severity, community_id, machine_id, checkin_id, occurred_at)
         VALUES ('no_licence', 'critical', 1, 1, 1, now())"
expect_error "INSERT INTO violations (kind, severity, checkin_id, occurred_at)
              VALUES ('no_licence', 'critical', 1, now())" 'violations_checkin_kind'
expect_error "UPDATE violations SET status = 'forgotten'" 'violations_status_check'
wr_psql "INSERT INTO violation_events (violation_id, status, actor) VALUES (1, 'acknowledged', 'inspector-dev')"
expect_error "UPDATE violation_events SET actor = 'someone else'" 'append-only'
wr_ok "violations: one per check-in and kind, a known status, append-only history"

# --- the audit log is a hash chain ---
for i in 1 2 3; do
    wr_psql "INSERT INTO audit_log (actor, action, entity, entity_id, after)
             VALUES ('admin-dev', 'machine.update', 'machines', '1', '{\"n\": $i}')"
done
expect_value "SELECT count(*) FROM audit_log a JOIN audit_log b ON b.id = a.id + 1
              WHERE b.prev_hash = a.hash" 2
expect_value "SELECT count(*) FROM audit_log WHERE prev_hash IS NULL" 1
expect_value "SELECT bool_and(hash = sha256(coalesce(prev_hash, ''::bytea) || convert_to(concat_ws('|',
                  id, extract(epoch FROM at), actor, action, entity, coalesce(entity_id, ''),
                  coalesce(before::text, ''), coalesce(after::text, '')), 'UTF8')))
              FROM audit_log" t
expect_error "DELETE FROM audit_log WHERE id = 2" 'append-only'
wr_ok "the audit log chains each row to the one before and refuses edits"

# --- NOTIFY: principals and registry changes reach listening servers ---
notify_out=$(psql -X -d "$DATABASE_URL" 2>&1 <<'SQL'
LISTEN weldreg_principals;
LISTEN weldreg_registry;
UPDATE principals SET disabled_at = now() WHERE identity = 'admin-dev';
UPDATE machines SET keeper_name = '新人' WHERE id = 2;
INSERT INTO permit_welders VALUES (1, 2);
UPDATE codes SET expires_at = expires_at WHERE cti = decode(md5('c2'), 'hex');
SELECT 1;
SQL
)
for want in '"weldreg_principals" with payload "admin-dev"' \
    '"weldreg_registry" with payload "machines:2"' \
    '"weldreg_registry" with payload "permit_welders:1"' \
    "\"weldreg_registry\" with payload \"codes:$(printf c2 | md5sum | cut -c1-32)\""; do
    [[ $notify_out == *"$want"* ]] || wr_fail "no notification $want in:
$notify_out"
done
wr_ok "changes to principals and the registry are announced with NOTIFY"
echo "test-schema: all checks passed"
