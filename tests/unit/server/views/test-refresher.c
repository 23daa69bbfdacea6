/* test-refresher.c — the refresher on a database of the test's own (skipped without
 * DATABASE_URL): the first snapshot is there at once, a committed registry or principal change
 * brings a new one (PSKs opened with the key it was given), and news of violations wakes the
 * loop without a reload, as do the notices of the other servers' scans and sessions. */
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "server/db/store.h"
#include "server/views/refresher.h"
#include "testdb.h"

#define REFRESHER_TEST_WAIT_MS 10000

static testdb refresher_test_db;
static bool refresher_test_have_db;
/* every byte set, so that a key copied short would not open the PSKs */
static const char refresher_test_kek_text[] = "weldreg-refresher-test-kek-32byt";
#define refresher_test_kek ((const uint8_t *)refresher_test_kek_text)

static refresher *refresher_test_start(void)
{
    if (!refresher_test_have_db)
        skip();
    char err[512];
    refresher *r = refresher_create(refresher_test_db.conninfo, refresher_test_kek, NULL, NULL,
                                    NULL, err, sizeof(err));
    if (!r)
        fail_msg("refresher_create: %s", err);
    return r;
}

/* Waits up to @p ms for the event fd and takes a snapshot; false when none came in time. */
static bool refresher_test_take_within(refresher *r, principal_table **p, registry **reg, int ms)
{
    for (int waited = 0; waited < ms; waited += 100) {
        struct pollfd pfd = {.fd = refresher_event_fd(r), .events = POLLIN};
        if (poll(&pfd, 1, 100) == 1 && refresher_take(r, p, reg))
            return true;
    }
    return false;
}

static bool refresher_test_take(refresher *r, principal_table **p, registry **reg)
{
    return refresher_test_take_within(r, p, reg, REFRESHER_TEST_WAIT_MS);
}

static void refresher_test_drop(principal_table *p, registry *reg)
{
    principal_table_destroy(p);
    registry_destroy(reg);
}

/* A refresher whose first snapshot was taken: the next one is news. */
static refresher *refresher_test_started(void)
{
    refresher *r = refresher_test_start();
    principal_table *p;
    registry *reg;
    assert_true(refresher_take(r, &p, &reg));
    refresher_test_drop(p, reg);
    return r;
}

static void test_first_snapshot_at_once(void **state)
{
    (void)state;
    refresher *r = refresher_test_start();
    principal_table *p;
    registry *reg;
    assert_true(refresher_take(r, &p, &reg)); /* loaded by refresher_create(), no wait */
    assert_int_equal(principal_table_count(p), 0);
    assert_int_equal(registry_machine_count(reg), 0);
    refresher_test_drop(p, reg);
    assert_false(refresher_take(r, &p, &reg)); /* taken: nothing waits now */
    assert_null(p);
    assert_null(reg);
    refresher_destroy(r);
}

static void test_registry_change_reloads(void **state)
{
    (void)state;
    refresher *r = refresher_test_started();
    principal_table *p;
    registry *reg;
    testdb_exec(&refresher_test_db,
                "BEGIN;"
                "INSERT INTO communities (code, name, district) VALUES ('C-R', 'refresh', 'r');"
                "INSERT INTO enterprises (uscc, name, community_id)"
                " SELECT '91410183MA44XXXX0B', 'Works', id FROM communities;"
                "INSERT INTO machines (chip_id, process_category, enterprise_id, keeper_name)"
                " SELECT 'WR-REFRESH-' || n, 'fusion', e.id, 'Li'"
                " FROM enterprises e, generate_series(1, 3) AS n;"
                "COMMIT");
    assert_true(refresher_test_take(r, &p, &reg));
    assert_int_equal(registry_machine_count(reg), 3);
    assert_non_null(registry_find_machine(reg, "WR-REFRESH-2"));
    assert_null(registry_find_machine(reg, "WR-REFRESH-4"));
    refresher_test_drop(p, reg);
    refresher_destroy(r);
}

static void test_principal_change_reloads(void **state)
{
    (void)state;
    refresher *r = refresher_test_started();
    principal_table *p;
    registry *reg;
    char err[512], psk[SECRET_PSK_LEN + 1];
    assert_int_equal(secret_new_psk(psk), WR_OK);
    store *st = store_connect(refresher_test_db.conninfo, err, sizeof(err));
    assert_non_null(st);
    assert_int_equal(store_save_principal(st, ROLE_INSPECTOR, "insp-refresh", refresher_test_kek,
                                          psk, false, err, sizeof(err)),
                     0);
    store_destroy(st);
    assert_true(refresher_test_take(r, &p, &reg));
    const principal *found = principal_table_find(p, "insp-refresh", strlen("insp-refresh"));
    assert_non_null(found);
    assert_int_equal(found->role, ROLE_INSPECTOR);
    assert_true(found->has_psk);
    assert_memory_equal(found->psk, psk, SECRET_PSK_LEN); /* opened with the key it was given */
    refresher_test_drop(p, reg);
    refresher_destroy(r);
}

static void test_violations_wake_without_reload(void **state)
{
    (void)state;
    refresher *r = refresher_test_started();
    principal_table *p;
    registry *reg;
    assert_false(refresher_take_violations(r));
    testdb_exec(&refresher_test_db, "NOTIFY weldreg_violations");
    struct pollfd pfd = {.fd = refresher_event_fd(r), .events = POLLIN};
    assert_int_equal(poll(&pfd, 1, REFRESHER_TEST_WAIT_MS), 1);
    assert_true(refresher_take_violations(r));
    assert_false(refresher_take_violations(r)); /* once per news */
    /* violations are not in the views: no reload follows, however long the loop waits */
    assert_false(refresher_test_take_within(r, &p, &reg, 1000));
    refresher_destroy(r);
}

/* Several servers: the snapshot at start, then each weldreg_cluster notice, parsed and in
 * order, handed over without a reload of the views; one that cannot be read is dropped. */
static void test_cluster_notices(void **state)
{
    (void)state;
    if (!refresher_test_have_db)
        skip();
    char err[512];
    refresher *r = refresher_create(refresher_test_db.conninfo, refresher_test_kek, NULL,
                                    &(refresher_cluster){3600}, NULL, err, sizeof(err));
    if (!r)
        fail_msg("refresher_create: %s", err);
    principal_table *p;
    registry *reg;
    assert_true(refresher_take(r, &p, &reg));
    refresher_test_drop(p, reg);
    size_t count;
    bool reset;
    free(refresher_take_cluster(r, &count, &reset)); /* the snapshot: no session, no scan */
    assert_true(reset);
    assert_int_equal(count, 0);
    testdb_exec(&refresher_test_db, "SELECT pg_notify('weldreg_cluster', 'c 9 2'),"
                                    " pg_notify('weldreg_cluster', 'not a notice'),"
                                    " pg_notify('weldreg_cluster', 'o 10 2 3 WR-C-3 - -')");
    cluster_notice *got = NULL;
    for (int waited = 0; waited < REFRESHER_TEST_WAIT_MS && !got; waited += 100) {
        struct pollfd pfd = {.fd = refresher_event_fd(r), .events = POLLIN};
        if (poll(&pfd, 1, 100) == 1)
            got = refresher_take_cluster(r, &count, &reset);
    }
    assert_non_null(got);
    assert_false(reset);
    assert_int_equal(count, 2);
    assert_int_equal(got[0].kind, CLUSTER_CLOSE);
    assert_int_equal(got[0].session_id, 9);
    assert_int_equal(got[1].kind, CLUSTER_OPEN);
    assert_string_equal(got[1].chip_id, "WR-C-3");
    free(got);
    /* the notices are not in the views: no reload follows */
    assert_false(refresher_test_take_within(r, &p, &reg, 1000));
    refresher_destroy(r);
}

static int refresher_test_setup(void **state)
{
    (void)state;
    int rc = testdb_create(&refresher_test_db, "refresher");
    refresher_test_have_db = rc == 0;
    return rc < 0 ? -1 : 0;
}

static int refresher_test_teardown(void **state)
{
    (void)state;
    testdb_destroy(&refresher_test_db);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_snapshot_at_once),
        cmocka_unit_test(test_registry_change_reloads),
        cmocka_unit_test(test_principal_change_reloads),
        cmocka_unit_test(test_violations_wake_without_reload),
        cmocka_unit_test(test_cluster_notices),
    };
    return cmocka_run_group_tests(tests, refresher_test_setup, refresher_test_teardown);
}
