/* store-checkins.c — store_write_checkins() against a real PostgreSQL (DATABASE_URL, a migrated
 * database of its own: test-store-checkins.sh makes it): the multi-row statement's edge cases
 * (resends and replays of stored rows and of records of the same batch, session touches,
 * violations on several records, NULLs, identities that need quoting), the per-record retry of
 * a failed batch, the order of records that open or close a session in a batch, and the lease
 * fence of several servers (schema/024_machine_leases.sql). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "server/db/store.h"
#include "server/db/store_leases.h"
#include "storedb.h"

#define T0 1790000000LL /* 2026-09-21, the time of the batches */

static store *st;
static PGconn *db; /* fixtures and checks */
static int64_t machine_a, machine_c, welder_1, welder_2, session_a, session_c;

/* Runs @p sql and returns its rows; fails the test (after clearing the result) on an error. */
static PGresult *q_rows(const char *fmt, va_list ap)
{
    char sql[4096];
    vsnprintf(sql, sizeof(sql), fmt, ap);
    PGresult *res = PQexec(db, sql);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        PQclear(res);
        fail_msg("%s: %s", sql, PQerrorMessage(db));
    }
    return res;
}

/* The first column of the first row of @p fmt's result as a number (0 when NULL or no row). */
static int64_t q_int(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    PGresult *res = q_rows(fmt, ap);
    va_end(ap);
    int64_t v = PQntuples(res) ? strtoll(PQgetvalue(res, 0, 0), NULL, 10) : 0;
    PQclear(res);
    return v;
}

/* The same as text, in @p out. */
static const char *q_text(char *out, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    PGresult *res = q_rows(fmt, ap);
    va_end(ap);
    snprintf(out, cap, "%s", PQntuples(res) ? PQgetvalue(res, 0, 0) : "(none)");
    PQclear(res);
    return out;
}

static int setup(void **state)
{
    (void)state;
    if (storedb_connect(&st, &db, "test-store-checkins.sh") != 0)
        return -1;
    storedb_exec(db,
                 "INSERT INTO communities (code, name, district) VALUES ('C-B', 'bulk', 'bulk');"
                 "INSERT INTO enterprises (uscc, name, community_id)"
                 " SELECT '91410183MA44XXXX0B', 'Works', id FROM communities;"
                 "INSERT INTO machines (chip_id, process_category, enterprise_id, keeper_name)"
                 " SELECT c, 'fusion', id, 'Li' FROM enterprises, (VALUES ('WR-BULK-A'),"
                 " ('WR-BULK-C')) AS m(c);"
                 "INSERT INTO welders (name, idcard_hash, idcard_masked, licence_no_hash,"
                 " licence_no_masked, licence_categories, licence_issued_on, licence_valid_until,"
                 " licence_review_due) SELECT 'W' || n, decode(repeat(to_hex(n + 170), 32), 'hex'),"
                 " '4101**********123X', decode(repeat(to_hex(n + 187), 32), 'hex'),"
                 " 'T**************123X', '{fusion}', current_date - 400, current_date + 1500,"
                 " current_date + 600 FROM generate_series(1, 2) AS n");
    machine_a = q_int("SELECT id FROM machines WHERE chip_id = 'WR-BULK-A'");
    machine_c = q_int("SELECT id FROM machines WHERE chip_id = 'WR-BULK-C'");
    welder_1 = q_int("SELECT id FROM welders WHERE name = 'W1'");
    welder_2 = q_int("SELECT id FROM welders WHERE name = 'W2'");
    session_a = q_int("INSERT INTO work_sessions (machine_id, welder_id, opened_at, until,"
                      " last_seen_at) VALUES (%lld, %lld, to_timestamp(%lld), to_timestamp(%lld),"
                      " to_timestamp(%lld)) RETURNING id",
                      (long long)machine_a, (long long)welder_1, T0 - 3600, T0 + 3600, T0 - 3600);
    session_c = q_int("INSERT INTO work_sessions (machine_id, welder_id, opened_at, until,"
                      " last_seen_at) VALUES (%lld, %lld, to_timestamp(%lld), to_timestamp(%lld),"
                      " to_timestamp(%lld)) RETURNING id",
                      (long long)machine_c, (long long)welder_2, T0 - 3600, T0 + 3600, T0 - 3600);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    storedb_close(st, db);
    return 0;
}

/* A heartbeat of @p chip with nothing optional, at @p ts by the chip's clock and the server's;
 * @p fill is every byte of its body hash. */
static void rec_init(checkin_record *r, const char *chip, uint64_t seq, int64_t ts, uint8_t fill)
{
    memset(r, 0, sizeof(*r));
    snprintf(r->chip_id, sizeof(r->chip_id), "%s", chip);
    r->seq = seq;
    r->ev = "hb";
    r->device_ts = ts;
    r->at = ts;
    r->amp = -1;
    memset(r->body_hash, fill, sizeof(r->body_hash));
}

/* Adds reason @p name to @p r, recorded as a violation when @p severity is given (which must be
 * the reason's own). */
static void rec_reason(checkin_record *r, const char *name, const char *severity)
{
    reason_code code;
    assert_true(reason_from_name(name, strlen(name), &code));
    if (severity) {
        assert_string_equal(reason_severity_name(reason_get(code)->severity), severity);
        r->flagged |= 1u << r->reason_count;
    }
    r->reasons[r->reason_count++] = code;
}

/* A duplicate's first answer's reasons as names joined by commas. */
static const char *first_reasons_text(const checkin_record *r)
{
    static char text[CHECKIN_REASONS_MAX * 40];
    size_t k = 0;
    text[0] = '\0';
    for (size_t i = 0; i < r->first_reason_count; i++)
        k += (size_t)snprintf(text + k, sizeof(text) - k, "%s%s", i ? "," : "",
                              reason_name(r->first_reasons[i]));
    return text;
}

static void rec_touch(checkin_record *r, int64_t session, int64_t machine, int64_t welder)
{
    r->op = SESSION_TOUCH;
    r->session_id = session;
    r->machine_id = machine;
    r->welder_id = welder;
    r->ok = true;
    r->unlock_until = T0 + 3600;
}

/* Stores @p n records in one batch; every one must come back STORE_OK. */
static void write_all(checkin_record *recs, size_t n)
{
    checkin_record *ptrs[32];
    assert_true(n <= 32);
    for (size_t i = 0; i < n; i++)
        ptrs[i] = &recs[i];
    assert_int_equal(store_write_checkins(st, ptrs, n), STORE_OK);
    for (size_t i = 0; i < n; i++) {
        if (recs[i].status != STORE_OK)
            fail_msg("record %zu: status %d", i, recs[i].status);
    }
}

static void assert_fresh(const checkin_record *r)
{
    assert_true(r->id > 0);
    assert_false(r->duplicate);
    assert_false(r->replay);
}

/* A stored row sent again: @p dup says whether with the same body. */
static void assert_first(const checkin_record *r, const checkin_record *first, bool dup)
{
    assert_int_equal(r->id, first->id);
    assert_int_equal(r->duplicate, dup);
    assert_int_equal(r->replay, !dup);
    assert_int_equal(r->first_ok, first->ok);
    assert_int_equal(r->first_until, first->unlock_until);
    assert_int_equal(r->new_session_id, 0);
}

static void test_bulk_edge_cases(void **state)
{
    (void)state;
    const char *chip_b = "WR.BULK:b@1"; /* every punctuation an identity may have */
    const char *chip_n = "NULL";        /* unquoted, an array element would be SQL NULL */
    checkin_record x;
    rec_init(&x, chip_b, 1, T0 - 60, 0x11);
    x.ok = true;
    x.unlock_until = T0 + 600;
    rec_reason(&x, "heartbeat_lost", NULL);
    write_all(&x, 1);
    assert_fresh(&x);

    checkin_record b[10];
    rec_init(&b[0], chip_n, 10, T0, 0x01);
    b[0].has_position = true;
    b[0].lat = 34.7466;
    b[0].lon = 113.6253;
    b[0].community_id = q_int("SELECT id FROM communities");
    rec_reason(&b[0], "work_outside_platform", "critical");
    rec_init(&b[1], chip_b, 1, T0 - 60, 0x11); /* x again */
    rec_init(&b[2], chip_b, 1, T0 + 5, 0x22);  /* x's seq, other body */
    rec_init(&b[3], chip_b, 2, T0, 0x33);
    b[3].ev = "arc";
    b[3].has_position = true;
    b[3].lat = -33.5;
    b[3].lon = 151.25;
    b[3].amp = 120;
    b[3].has_cti = true;
    memset(b[3].cti, 0xc7, sizeof(b[3].cti));
    b[3].ok = true;
    b[3].unlock_until = T0 + 900;
    b[3].late = true;
    b[3].skew_s = -42;
    b[3].device_ts = T0 + 3600; /* kept; the violations are dated by at */
    b[3].welder_id = welder_2;
    rec_reason(&b[3], "welder_busy_elsewhere", "critical");
    rec_reason(&b[3], "late_event", NULL);
    rec_reason(&b[3], "clock_skew", "warning");
    b[4] = b[3]; /* resent within the batch */
    rec_init(&b[5], chip_b, 2, T0 + 1, 0x44);
    rec_init(&b[6], "WR-BULK-A", 5, T0 + 10, 0x66);
    rec_touch(&b[6], session_a, machine_a, welder_1);
    rec_init(&b[7], "WR-BULK-A", 6, T0 + 20, 0x77);
    rec_touch(&b[7], session_a, machine_a, welder_1);
    rec_reason(&b[7], "heartbeat_lost", "warning");
    rec_init(&b[8], "WR-BULK-A", 6, T0 + 30, 0x88); /* a replay must not touch the session */
    rec_touch(&b[8], session_a, machine_a, welder_1);
    rec_init(&b[9], chip_n, 11, T0, 0x09);
    write_all(b, 10);

    assert_fresh(&b[0]);
    assert_first(&b[1], &x, true);
    assert_string_equal(first_reasons_text(&b[1]), "heartbeat_lost");
    assert_first(&b[2], &x, false);
    assert_fresh(&b[3]);
    assert_first(&b[4], &b[3], true);
    assert_string_equal(first_reasons_text(&b[4]), "welder_busy_elsewhere,late_event,clock_skew");
    assert_first(&b[5], &b[3], false);
    assert_fresh(&b[6]);
    assert_fresh(&b[7]);
    assert_first(&b[8], &b[7], false);
    assert_fresh(&b[9]);
    /* ids follow the batch's order */
    assert_true(x.id < b[0].id && b[0].id < b[3].id && b[3].id < b[6].id);
    assert_true(b[6].id < b[7].id && b[7].id < b[9].id);

    char text[512];
    assert_int_equal(q_int("SELECT count(*) FROM checkins"), 6);
    assert_string_equal(
        q_text(
            text, sizeof(text),
            "SELECT concat_ws('|', chip_id, seq, ev, extract(epoch FROM device_ts)::bigint, lat, "
            "lon,"
            " amp, encode(body_hash, 'hex'), ok, reasons, extract(epoch FROM unlock_until)::bigint,"
            " late, skew_s, welder_id = %lld, session_id, encode(code_cti, 'hex'))"
            " FROM checkins WHERE id = %lld",
            (long long)welder_2, (long long)b[3].id),
        "WR.BULK:b@1|2|arc|1790003600|-33.5|151.25|120|"
        "3333333333333333333333333333333333333333333333333333333333333333|t|"
        "{welder_busy_elsewhere,late_event,clock_skew}|1790000900|t|-42|t|"
        "c7c7c7c7c7c7c7c7");
    assert_string_equal(q_text(text, sizeof(text),
                               "SELECT concat_ws('|', chip_id, lat IS NULL, lon IS NULL,"
                               " amp IS NULL, code_cti IS NULL, unlock_until IS NULL, reasons,"
                               " machine_id IS NULL, welder_id IS NULL, session_id IS NULL, ok)"
                               " FROM checkins WHERE id = %lld",
                               (long long)b[9].id),
                        "NULL|t|t|t|t|t|{}|t|t|t|f");
    assert_int_equal(
        q_int("SELECT count(*) FROM checkins WHERE session_id = %lld", (long long)session_a), 2);
    /* the violations of the fresh records only, with their record's fields */
    assert_int_equal(q_int("SELECT count(*) FROM violations"), 4);
    assert_string_equal(q_text(text, sizeof(text),
                               "SELECT string_agg(concat_ws(':', c.seq, v.kind, v.severity, v.lat,"
                               " v.community_id IS NOT NULL, v.welder_id IS NOT NULL,"
                               " extract(epoch FROM v.occurred_at)::bigint), ' ' ORDER BY v.id)"
                               " FROM violations v JOIN checkins c ON c.id = v.checkin_id"),
                        "10:work_outside_platform:critical:34.7466:t:f:1790000000 "
                        "2:welder_busy_elsewhere:critical:-33.5:f:t:1790000000 "
                        "2:clock_skew:warning:-33.5:f:t:1790000000 "
                        "6:heartbeat_lost:warning:f:t:1790000020");
    /* touched by the newest fresh record, not by the replay */
    assert_int_equal(q_int("SELECT extract(epoch FROM last_seen_at)::bigint FROM work_sessions"
                           " WHERE id = %lld AND closed_at IS NULL",
                           (long long)session_a),
                     T0 + 20);
}

static void test_failed_batch_retries_alone(void **state)
{
    (void)state;
    checkin_record c[3];
    rec_init(&c[0], "NULL", 20, T0, 0x20);
    rec_init(&c[1], "NULL", 21, T0, 0x21);
    c[1].has_position = true;
    c[1].lat = 95; /* refused by a CHECK: the batch fails as a whole */
    c[1].lon = 10;
    rec_init(&c[2], "NULL", 22, T0, 0x22);
    checkin_record *ptrs[] = {&c[0], &c[1], &c[2]};
    assert_int_equal(store_write_checkins(st, ptrs, 3), STORE_OK);
    assert_int_equal(c[0].status, STORE_OK);
    assert_int_equal(c[1].status, STORE_EFAILED);
    assert_int_equal(c[2].status, STORE_OK);
    assert_fresh(&c[0]);
    assert_fresh(&c[2]);
    assert_int_equal(q_int("SELECT count(*) FROM checkins WHERE chip_id = 'NULL' AND seq"
                           " BETWEEN 20 AND 22"),
                     2);
}

/* One batch judged on the state from before it (as the server does): a touch, an "end", a
 * touch of the session just closed, an approved scan replacing it and resends, with records of
 * another machine in between. The result must be that of storing them one by one. */
static void test_session_order(void **state)
{
    (void)state;
    const char *chip = "WR-BULK-C";
    checkin_record d[8];
    rec_init(&d[0], chip, 1, T0 + 10, 0x01);
    rec_touch(&d[0], session_c, machine_c, welder_2);
    rec_init(&d[1], "NULL", 30, T0 + 10, 0x30);
    rec_init(&d[2], chip, 2, T0 + 20, 0x02);
    rec_touch(&d[2], session_c, machine_c, welder_2);
    d[2].ev = "end";
    d[2].op = SESSION_CLOSE;
    d[2].close_reason = "ended";
    rec_init(&d[3], chip, 3, T0 + 50, 0x03);
    rec_touch(&d[3], session_c, machine_c, welder_2);
    rec_reason(&d[3], "heartbeat_lost", "warning");
    rec_init(&d[4], chip, 4, T0 + 60, 0x04);
    d[4].ev = "scan";
    d[4].op = SESSION_OPEN;
    d[4].ok = true;
    d[4].machine_id = machine_c;
    d[4].welder_id = welder_2;
    d[4].unlock_until = T0 + 3660;
    d[4].close_session_id = session_c;
    d[4].close_reason = "superseded";
    d[4].device_ts = T0 + 7200;              /* a chip clock 2 h ahead dates neither session */
    d[5] = d[4];                             /* the scan resent */
    d[6] = d[1];                             /* another machine's resend, after */
    rec_init(&d[7], chip, 1, T0 + 10, 0x01); /* the first touch resent after the "end" */
    rec_touch(&d[7], session_c, machine_c, welder_2);
    write_all(d, 8);

    assert_fresh(&d[0]);
    assert_fresh(&d[1]);
    assert_fresh(&d[2]);
    assert_fresh(&d[3]);
    assert_fresh(&d[4]);
    assert_true(d[4].new_session_id > 0);
    assert_first(&d[5], &d[4], true);
    assert_first(&d[6], &d[1], true);
    assert_first(&d[7], &d[0], true);
    char text[256];
    /* closed by the "end" at its time; the later touch did not move last_seen_at */
    assert_string_equal(
        q_text(text, sizeof(text),
               "SELECT concat_ws('|', extract(epoch FROM closed_at)::bigint, close_reason,"
               " extract(epoch FROM last_seen_at)::bigint) FROM work_sessions"
               " WHERE id = %lld",
               (long long)session_c),
        "1790000020|ended|1790000020");
    assert_string_equal(
        q_text(text, sizeof(text),
               "SELECT concat_ws('|', id = %lld, welder_id = %lld,"
               " extract(epoch FROM opened_at)::bigint, extract(epoch FROM until)::bigint)"
               " FROM work_sessions WHERE machine_id = %lld AND closed_at IS NULL",
               (long long)d[4].new_session_id, (long long)welder_2, (long long)machine_c),
        "t|t|1790000060|1790003660");
    assert_string_equal(q_text(text, sizeof(text),
                               "SELECT string_agg(concat(seq, ':', session_id = %lld,"
                               " session_id = %lld), ' ' ORDER BY seq) FROM checkins"
                               " WHERE chip_id = '%s'",
                               (long long)session_c, (long long)d[4].new_session_id, chip),
                        "1:tf 2:tf 3:tf 4:ft");
    assert_int_equal(q_int("SELECT count(*) FROM violations v JOIN checkins c"
                           " ON c.id = v.checkin_id WHERE c.chip_id = '%s'",
                           chip),
                     1);
}

/* ---- one batch against the same records stored one by one ---- */

#define SAME_CHIPS   5
#define SAME_RECORDS 240

typedef struct same_fixture {
    char prefix;
    int64_t machine[SAME_CHIPS], welder[SAME_CHIPS], session[SAME_CHIPS];
    int64_t community, enterprise;
} same_fixture;

/* Machines P-0..P-4 (or Q-...), a welder each and an open session each, and seq 1 of each
 * stored already. */
static void same_setup(same_fixture *f, char prefix)
{
    f->prefix = prefix;
    f->community = q_int("SELECT id FROM communities");
    f->enterprise = q_int("SELECT id FROM enterprises");
    for (int k = 0; k < SAME_CHIPS; k++) {
        f->machine[k] = q_int("INSERT INTO machines (chip_id, process_category, enterprise_id,"
                              " keeper_name) VALUES ('%c-%d', 'fusion', %lld, 'Li') RETURNING id",
                              prefix, k, (long long)f->enterprise);
        f->welder[k] = q_int(
            "INSERT INTO welders (name, idcard_hash, idcard_masked, licence_no_hash,"
            " licence_no_masked, licence_categories, licence_issued_on, licence_valid_until,"
            " licence_review_due) SELECT n, sha256(n::bytea), '4101**********123X',"
            " sha256(('L' || n)::bytea), 'T**************123X', '{fusion}', current_date - 400,"
            " current_date + 1500, current_date + 600 FROM (SELECT '%c%d' AS n) x RETURNING id",
            prefix, k);
        f->session[k] = q_int("INSERT INTO work_sessions (machine_id, welder_id, opened_at, until,"
                              " last_seen_at) VALUES (%lld, %lld, to_timestamp(%lld),"
                              " to_timestamp(%lld), to_timestamp(%lld)) RETURNING id",
                              (long long)f->machine[k], (long long)f->welder[k], T0 - 3600,
                              T0 + 3600, T0 - 3600);
        checkin_record r;
        char chip[8];
        snprintf(chip, sizeof(chip), "%c-%d", prefix, k);
        rec_init(&r, chip, 1, T0 - 100, (uint8_t)(0x50 + k));
        rec_reason(&r, "work_outside_platform", "critical");
        write_all(&r, 1);
    }
}

static uint32_t same_rand(uint32_t *seed)
{
    *seed = *seed * 1103515245u + 12345u;
    return (*seed >> 16) & 0x7fff;
}

/* Record @p i of the batch for fixture @p f, drawn from @p seed the same way for both fixtures;
 * @p recs holds the records before it (resends copy one of them). */
static void same_record(const same_fixture *f, checkin_record *recs, int i, uint32_t *seed,
                        bool *opened)
{
    checkin_record *r = &recs[i];
    int k = (int)(same_rand(seed) % SAME_CHIPS), kind = (int)(same_rand(seed) % 100);
    char chip[8];
    snprintf(chip, sizeof(chip), "%c-%d", f->prefix, k);
    int64_t ts = T0 + 100 + i + (int64_t)(same_rand(seed) % 40);
    rec_init(r, chip, 100 + (uint64_t)i, ts, (uint8_t)i);
    r->machine_id = f->machine[k];
    r->community_id = f->community;
    r->enterprise_id = f->enterprise;
    if (same_rand(seed) % 2) {
        r->has_position = true;
        r->lat = 34 + (same_rand(seed) % 1000) / 1000.0;
        r->lon = 113 + (same_rand(seed) % 1000) / 1000.0;
    }
    if (kind < 45) {
        if (same_rand(seed) % 2)
            rec_reason(r, "work_outside_platform", "critical");
        if (same_rand(seed) % 3 == 0)
            rec_reason(r, "clock_skew", "warning");
    } else if (kind < 65) {
        rec_touch(r, f->session[k], f->machine[k], f->welder[k]);
        if (same_rand(seed) % 4 == 0)
            rec_reason(r, "heartbeat_lost", "warning");
    } else if (kind < 80 && i > 0) { /* an earlier record again, same body or not */
        int j = (int)(same_rand(seed) % (uint32_t)i);
        *r = recs[j];
        if (same_rand(seed) % 2)
            r->body_hash[0] ^= 0xff;
    } else if (kind < 85) {
        rec_touch(r, f->session[k], f->machine[k], f->welder[k]);
        r->ev = "end";
        r->op = SESSION_CLOSE;
        r->close_reason = "ended";
    } else if (kind < 88 && !opened[k]) {
        opened[k] = true;
        r->ev = "scan";
        r->op = SESSION_OPEN;
        r->ok = true;
        r->welder_id = f->welder[k];
        r->unlock_until = ts + 3600;
        r->close_session_id = f->session[k];
        r->close_reason = "superseded";
    } else if (kind < 90) {
        r->sweep = true;
        r->ev = "sweep";
        r->op = SESSION_CLOSE;
        r->session_id = f->session[k];
        r->welder_id = f->welder[k];
        r->close_reason = "heartbeat_lost";
        rec_reason(r, "heartbeat_lost", "warning");
    } else { /* seq 1, stored before the batch */
        r->seq = 1;
        r->device_ts = r->at = T0 - 100;
        if (same_rand(seed) % 2)
            memset(r->body_hash, 0x50 + k, sizeof(r->body_hash));
    }
}

/* What the database holds for fixture @p prefix, without ids. */
static void same_state(char prefix, char *out, size_t cap)
{
    q_text(out, cap,
           "SELECT concat((SELECT string_agg(ROW(c.chip_id, c.seq, c.ev, c.device_ts, c.lat,"
           " c.lon, c.amp, c.body_hash, c.ok, c.reasons, c.unlock_until, c.late, c.skew_s,"
           " m.chip_id, w.name, s.opened_at, c.code_cti)::text, ' ' ORDER BY c.chip_id, c.seq)"
           " FROM checkins c LEFT JOIN machines m ON m.id = c.machine_id"
           " LEFT JOIN welders w ON w.id = c.welder_id"
           " LEFT JOIN work_sessions s ON s.id = c.session_id WHERE c.chip_id LIKE '%c-%%'),"
           " ' / ', (SELECT string_agg(x, ' ' ORDER BY x) FROM (SELECT ROW(v.kind, v.severity,"
           " m.chip_id, w.name, c.seq, v.occurred_at, v.lat, v.lon, v.community_id IS NULL,"
           " v.details ? 'session_id')::text AS x FROM violations v"
           " JOIN machines m ON m.id = v.machine_id LEFT JOIN welders w ON w.id = v.welder_id"
           " LEFT JOIN checkins c ON c.id = v.checkin_id WHERE m.chip_id LIKE '%c-%%') x),"
           " ' / ', (SELECT string_agg(ROW(m.chip_id, w.name, s.opened_at, s.until,"
           " s.last_seen_at, s.closed_at, s.close_reason)::text, ' ' ORDER BY m.chip_id,"
           " s.opened_at) FROM work_sessions s JOIN machines m ON m.id = s.machine_id"
           " JOIN welders w ON w.id = s.welder_id WHERE m.chip_id LIKE '%c-%%'))",
           prefix, prefix, prefix);
}

/* The index of the first record of @p recs with @p r's id (the same stored row). */
static int same_first(const checkin_record *recs, const checkin_record *r)
{
    int i = 0;
    while (recs[i].id != r->id || recs[i].sweep)
        i++;
    return i;
}

static void test_same_as_one_by_one(void **state)
{
    (void)state;
    static checkin_record batch[SAME_RECORDS], single[SAME_RECORDS];
    same_fixture p, q;
    same_setup(&p, 'P');
    same_setup(&q, 'Q');
    uint32_t seed_p = 7, seed_q = 7;
    bool opened_p[SAME_CHIPS] = {false}, opened_q[SAME_CHIPS] = {false};
    checkin_record *ptrs[SAME_RECORDS];
    for (int i = 0; i < SAME_RECORDS; i++) {
        same_record(&p, batch, i, &seed_p, opened_p);
        same_record(&q, single, i, &seed_q, opened_q);
        ptrs[i] = &batch[i];
    }
    assert_int_equal(store_write_checkins(st, ptrs, SAME_RECORDS), STORE_OK);
    for (int i = 0; i < SAME_RECORDS; i++) {
        checkin_record *one = &single[i];
        assert_int_equal(store_write_checkins(st, &one, 1), STORE_OK);
    }
    for (int i = 0; i < SAME_RECORDS; i++) {
        const checkin_record *a = &batch[i], *b = &single[i];
        if (a->status != b->status || a->duplicate != b->duplicate || a->replay != b->replay ||
            (a->new_session_id != 0) != (b->new_session_id != 0) ||
            (!a->sweep && same_first(batch, a) != same_first(single, b)) ||
            ((a->duplicate || a->replay) &&
             (a->first_ok != b->first_ok || a->first_until != b->first_until ||
              a->first_reason_count != b->first_reason_count ||
              memcmp(a->first_reasons, b->first_reasons,
                     a->first_reason_count * sizeof(a->first_reasons[0])) != 0)))
            fail_msg("record %d differs (status %d/%d, dup %d/%d, replay %d/%d)", i, a->status,
                     b->status, a->duplicate, b->duplicate, a->replay, b->replay);
    }
    static char state_p[1 << 17], state_q[1 << 17];
    same_state('P', state_p, sizeof(state_p));
    same_state('Q', state_q, sizeof(state_q));
    for (char *c = state_q; *c; c++) {
        if (*c == 'Q')
            *c = 'P';
    }
    assert_true(strlen(state_p) > 1000);
    assert_string_equal(state_p, state_q);
}

/* Takes the lease of @p chip for @p owner on @p on; the state read in @p out. */
static bool take_lease(store *on, const char *owner, const char *chip, bool only_if_expired,
                       machine_state *out)
{
    char err[256];
    bool taken = false;
    memset(out, 0, sizeof(*out));
    snprintf(out->chip_id, sizeof(out->chip_id), "%s", chip);
    if (store_lease_take(on, owner, 15, only_if_expired, out, &taken, err, sizeof(err)) != STORE_OK)
        fail_msg("store_lease_take: %s", err);
    return taken;
}

/* True if the sweep leader would adopt @p chip (store_leases_orphans). */
static bool lease_orphan(const char *chip)
{
    char err[256], chips[16][PRINCIPAL_IDENTITY_MAX + 1];
    int n = store_leases_orphans(st, 60, chips[0], 16, err, sizeof(err));
    if (n < 0)
        fail_msg("store_leases_orphans: %s", err);
    for (int i = 0; i < n && i < 16; i++) {
        if (strcmp(chips[i], chip) == 0)
            return true;
    }
    return false;
}

/* Several servers: a batch commits only the records whose machine's lease its server holds at
 * the record's epoch, the others end STORE_ESTALE with nothing written; a takeover reads what
 * the previous owner committed; the sweep leader takes only expired leases. */
static void test_lease_fence(void **state)
{
    (void)state;
    storedb_exec(db, "INSERT INTO machines (chip_id, process_category, enterprise_id,"
                     " keeper_name) SELECT 'WR-LEASE-L', 'fusion', id, 'Li' FROM enterprises;"
                     "INSERT INTO welders (name, idcard_hash, idcard_masked, licence_no_hash,"
                     " licence_no_masked, licence_categories, licence_issued_on,"
                     " licence_valid_until, licence_review_due) VALUES ('W3',"
                     " decode(repeat('3a', 32), 'hex'), '4101**********123X',"
                     " decode(repeat('3b', 32), 'hex'), 'T**************123X', '{fusion}',"
                     " current_date - 400, current_date + 1500, current_date + 600)");
    int64_t machine = q_int("SELECT id FROM machines WHERE chip_id = 'WR-LEASE-L'");
    int64_t welder = q_int("SELECT id FROM welders WHERE name = 'W3'");
    int64_t session = q_int("INSERT INTO work_sessions (machine_id, welder_id, opened_at, until,"
                            " last_seen_at) VALUES (%lld, %lld, to_timestamp(%lld),"
                            " to_timestamp(%lld), to_timestamp(%lld)) RETURNING id",
                            (long long)machine, (long long)welder, T0 - 60, T0 + 3600, T0 - 60);
    machine_state a, b;
    assert_true(take_lease(st, "s-a", "WR-LEASE-L", false, &a));
    assert_int_equal(a.lease_epoch, 1);
    assert_true(a.session.open);
    assert_int_equal(a.session_id, session);
    assert_int_equal(a.welder_id, welder);
    assert_false(a.session.has_last_seq);

    /* s-a holds L's lease, nobody holds LEASE-N's: L is stored, N is stale */
    assert_int_equal(store_set_fence(st, "s-a"), 0);
    checkin_record r[3];
    rec_init(&r[0], "WR-LEASE-L", 900, T0, 0x90);
    rec_touch(&r[0], session, machine, welder);
    r[0].lease_epoch = a.lease_epoch;
    rec_init(&r[1], "WR-LEASE-N", 900, T0, 0x91);
    r[1].lease_epoch = 1;
    checkin_record *ptrs[] = {&r[0], &r[1], &r[2]};
    assert_int_equal(store_write_checkins(st, ptrs, 2), STORE_OK);
    assert_int_equal(r[0].status, STORE_OK);
    assert_int_equal(r[1].status, STORE_ESTALE);
    assert_int_equal(q_int("SELECT count(*) FROM checkins WHERE chip_id = 'WR-LEASE-N'"), 0);

    /* s-b takes L over and reads what s-a committed; s-a's next write of L is stale */
    store *other = store_connect(getenv("DATABASE_URL"), NULL, 0);
    assert_non_null(other);
    assert_true(take_lease(other, "s-b", "WR-LEASE-L", false, &b));
    assert_int_equal(b.lease_epoch, 2);
    assert_true(b.session.has_last_seq);
    assert_int_equal(b.session.last_seq, 900);
    assert_int_equal(b.session.last_seen, T0);
    rec_init(&r[2], "WR-LEASE-L", 901, T0 + 5, 0x92);
    rec_touch(&r[2], session, machine, welder);
    r[2].lease_epoch = a.lease_epoch;
    assert_int_equal(store_write_checkins(st, &ptrs[2], 1), STORE_OK);
    assert_int_equal(r[2].status, STORE_ESTALE);
    assert_int_equal(q_int("SELECT count(*) FROM checkins WHERE chip_id = 'WR-LEASE-L'"), 1);

    /* the leader adopts only what its owner stopped renewing (the other machines' sessions
     * of this database have no lease at all: orphans too) */
    char err[256];
    assert_false(take_lease(st, "s-c", "WR-LEASE-L", true, &a));
    assert_false(lease_orphan("WR-LEASE-L"));
    storedb_exec(db, "UPDATE machine_leases SET expires_at = now() - interval '1 second'");
    assert_int_equal(store_leases_renew(st, "s-a", 15, err, sizeof(err)), 0); /* it has none */
    assert_true(lease_orphan("WR-LEASE-L"));
    assert_true(take_lease(st, "s-c", "WR-LEASE-L", true, &a));
    assert_int_equal(a.lease_epoch, 3);
    assert_int_equal(store_leases_renew(other, "s-b", 15, err, sizeof(err)), 0);
    assert_int_equal(store_leases_renew(st, "s-c", 15, err, sizeof(err)), 1);
    store_destroy(other);
    assert_int_equal(store_set_fence(st, NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bulk_edge_cases), cmocka_unit_test(test_failed_batch_retries_alone),
        cmocka_unit_test(test_session_order),   cmocka_unit_test(test_same_as_one_by_one),
        cmocka_unit_test(test_lease_fence),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
