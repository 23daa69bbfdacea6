/* counts-rollups.c — the counts from the roll-ups (schema/010_notices_rollups.sql) equal the
 * counts from the check-ins and violations themselves (store_counts() with from_raw), on a
 * generated history of 14 months in a migrated database of its own (DATABASE_URL;
 * test-counts-rollups.sh makes it): for whole years, twelve months, months, spans that start and
 * end within months, single days, per community and per enterprise, filtered and scoped; after
 * check-ins land in batches, after violations change status, kind or day, and after some are
 * deleted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "core/period.h"
#include "server/db/store.h"
#include "storedb.h"
#include "server/db/store_counts.h"

#define DAY 86400

static store *st;
static PGconn *db;

/* @p n check-ins on the 12 machines, spread over the 430 days before now and the next hour, a
 * third of them scans, a quarter of those refused with one or two reasons; seq from @p seq0. */
static void add_checkins(int n, int seq0)
{
    char sql[1536];
    snprintf(
        sql, sizeof(sql),
        "INSERT INTO checkins (chip_id, machine_id, seq, ev, received_at, body_hash, ok,"
        " reasons) SELECT 'CR-' || (1 + g %% 12), m.id, g, CASE WHEN g %% 3 = 0 THEN 'scan'"
        " ELSE 'hb' END, now() - (g * 7919 %% (430 * 24)) * interval '1 hour'"
        " + interval '30 minutes', sha256(int8send(g)), g %% 4 <> 0,"
        " CASE WHEN g %% 4 <> 0 THEN '{}'::text[] WHEN g %% 8 = 0 THEN '{permit_none}'"
        " ELSE '{licence_expired,training_missing}' END"
        " FROM generate_series(%d, %d) g JOIN machines m ON m.chip_id = 'CR-' || (1 + g %% 12)",
        seq0, seq0 + n - 1);
    storedb_exec(db, sql);
}

/* @p n violations over the same days, of four kinds, one in seven with no enterprise. */
static void add_violations(int n)
{
    char sql[1024];
    snprintf(sql, sizeof(sql),
             "INSERT INTO violations (kind, severity, community_id, enterprise_id, occurred_at)"
             " SELECT (ARRAY['permit_none', 'tamper', 'heartbeat_lost', 'licence_expired'])"
             "[1 + g %% 4], 'critical', e.community_id, CASE WHEN g %% 7 = 0 THEN NULL ELSE e.id"
             " END, now() - (g * 104729 %% (430 * 24)) * interval '1 hour'"
             " FROM generate_series(1, %d) g JOIN enterprises e ON e.id = 1 + g %% 6",
             n);
    storedb_exec(db, sql);
}

static int setup(void **state)
{
    (void)state;
    if (storedb_connect(&st, &db, "test-counts-rollups.sh") != 0)
        return -1;
    storedb_exec(db, "INSERT INTO communities (code, name, district)"
                     " SELECT 'CR' || g, '社区' || g, '区' FROM generate_series(1, 3) g;"
                     "INSERT INTO enterprises (uscc, name, community_id)"
                     " SELECT '9141018300000000' || lpad(g::text, 2, '0'), '企业' || g, 1 + g % 3"
                     " FROM generate_series(1, 6) g;"
                     "INSERT INTO machines (chip_id, process_category, enterprise_id, keeper_name)"
                     " SELECT 'CR-' || g, 'fusion', 1 + g % 6, '王' FROM generate_series(1, 12) g");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    storedb_close(st, db);
    return 0;
}

/* The counts of @p q from the roll-ups and from the raw tables are the same JSON. */
static void assert_same(counts_query q, const char *what)
{
    admin_outcome rolled, raw;
    q.from_raw = false;
    store_counts(st, &q, "{1,2}", 60000, &rolled);
    q.from_raw = true;
    store_counts(st, &q, "{1,2}", 60000, &raw);
    assert_int_equal(rolled.status, STORE_OK);
    assert_int_equal(raw.status, STORE_OK);
    if (strcmp(rolled.json, raw.json) != 0)
        fail_msg("%s (days %lld-%lld): the roll-ups say\n%s\nthe check-ins and violations say\n%s",
                 what, (long long)q.days.first_day, (long long)q.days.last_day, rolled.json,
                 raw.json);
    assert_non_null(strstr(raw.json, "\"total\""));
    admin_outcome_deinit(&rolled);
    admin_outcome_deinit(&raw);
}

/* Days from @p from to @p to ("YYYY-MM-DD"). */
static period days(const char *from, const char *to)
{
    period p = {0};
    char why[PERIOD_WHY_SIZE];
    assert_int_equal(period_days(from, to, &p, why, sizeof(why)), WR_OK);
    return p;
}

/* Every kind of period, each per community and per enterprise, filtered and scoped. */
static void assert_all_periods(void)
{
    int64_t now = (int64_t)time(NULL);
    period month = period_month_of(now), year_ago = period_month_of(now - 365 * DAY);
    period periods[] = {
        month,
        {year_ago.first_day, month.first_day - 1},   /* the last twelve months */
        {year_ago.first_day + 9, month.last_day},    /* within months at both ends */
        {month.first_day - 40, month.first_day - 3}, /* a month and parts of two */
        {month.first_day - 20, month.first_day - 6}, /* within one month */
        {month.first_day - 1, month.first_day - 1},  /* a single day */
        {year_ago.first_day - 60, month.last_day + 31},
        {year_ago.first_day, year_ago.first_day + 9},    /* the first days of a month */
        {year_ago.first_day + 9, year_ago.last_day},     /* a month's days to its end */
        {year_ago.first_day + 9, year_ago.last_day + 5}, /* across one month's end */
    };
    char year[8], from[16], to[16];
    time_t last_year = (time_t)(now - 365 * DAY);
    strftime(year, sizeof(year), "%Y", gmtime(&last_year));
    snprintf(from, sizeof(from), "%s-01-01", year);
    snprintf(to, sizeof(to), "%s-12-31", year);
    period annual = days(from, to);
    for (size_t i = 0; i <= sizeof(periods) / sizeof(periods[0]); i++) {
        period p = i < sizeof(periods) / sizeof(periods[0]) ? periods[i] : annual;
        assert_same((counts_query){.days = p}, "all communities");
        assert_same((counts_query){.days = p, .by = COUNTS_BY_ENTERPRISE}, "per enterprise");
        assert_same((counts_query){.days = p, .by = COUNTS_BY_INDUSTRY}, "per industry");
        assert_same((counts_query){.days = p, .community_id = 2}, "one community");
        assert_same((counts_query){.days = p, .enterprise_id = 3, .by = COUNTS_BY_ENTERPRISE},
                    "one enterprise");
        assert_same((counts_query){.days = p, .scope = 1}, "an inspector's communities");
    }
}

static void test_rollups_follow_checkins(void **state)
{
    (void)state;
    add_checkins(3000, 1);
    add_violations(700);
    assert_all_periods();
    /* more batches, as writers commit them: small ones, and one in a data-modifying WITH */
    for (int b = 0; b < 5; b++)
        add_checkins(40, 10000 + b * 40);
    storedb_exec(db,
                 "WITH ins AS (INSERT INTO checkins (chip_id, machine_id, seq, ev, body_hash, ok,"
                 " reasons) SELECT 'CR-1', id, 99999, 'scan', sha256('x'), false, '{tamper}'"
                 " FROM machines WHERE chip_id = 'CR-1' RETURNING id) SELECT count(*) FROM ins");
    add_violations(50);
    assert_all_periods();
}

static void test_rollups_follow_violation_changes(void **state)
{
    (void)state;
    storedb_exec(db,
                 "UPDATE violations SET status = 'acknowledged' WHERE id % 3 = 0;"
                 "UPDATE violations SET status = 'resolved' WHERE id % 5 = 0;"
                 "UPDATE violations SET status = 'dismissed' WHERE id % 11 = 0 AND status = 'open';"
                 "UPDATE violations SET kind = 'tamper' WHERE id % 13 = 0;"
                 "UPDATE violations SET occurred_at = occurred_at - interval '35 days'"
                 " WHERE id % 17 = 0;"
                 "UPDATE violations SET community_id = 3 WHERE id % 19 = 0;"
                 "DELETE FROM violations WHERE id % 23 = 0");
    assert_all_periods();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rollups_follow_checkins),
        cmocka_unit_test(test_rollups_follow_violation_changes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
