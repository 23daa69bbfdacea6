/* test-store_query.c — the store classifies why a statement of the API failed, on a database of
 * the test's own (skipped without DATABASE_URL): unique and foreign-key refusals name the API
 * field, a check names none, a cancelled statement is a time-out, anything else keeps the
 * database's message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "server/db/store_admin.h"
#include "server/db/store_query.h"
#include "testdb.h"

static testdb query_test_db;
static bool query_test_have_db;
static const char query_test_kek_text[] = "weldreg-store-query-test-kek-32b";
#define query_test_kek ((const uint8_t *)query_test_kek_text)

static store *query_test_connect(void)
{
    if (!query_test_have_db)
        skip();
    char err[512];
    store *st = store_connect(query_test_db.conninfo, err, sizeof(err));
    if (!st)
        fail_msg("store_connect: %s", err);
    return st;
}

static void query_test_community(store *st, const char *code, admin_outcome *out)
{
    rules_community c = {0};
    snprintf(c.code, sizeof(c.code), "%s", code);
    snprintf(c.name, sizeof(c.name), "Community %s", code);
    snprintf(c.district, sizeof(c.district), "District");
    store_admin_create_community(st, "test", &c, out);
}

static void assert_refused(const admin_outcome *out, admin_refusal refusal, const char *field)
{
    assert_int_equal(out->status, STORE_EFAILED);
    assert_int_equal(out->refusal, refusal);
    if (field)
        assert_string_equal(out->field, field);
    else
        assert_null(out->field);
}

static void test_unique_names_the_field(void **state)
{
    (void)state;
    store *st = query_test_connect();
    admin_outcome out;
    query_test_community(st, "unique-1", &out);
    assert_int_equal(out.status, STORE_OK);
    assert_int_equal(out.refusal, ADMIN_REFUSAL_NONE);
    admin_outcome_deinit(&out);
    query_test_community(st, "unique-1", &out);
    assert_refused(&out, ADMIN_REFUSAL_UNIQUE, "code");
    admin_outcome_deinit(&out);
    store_destroy(st);
}

static void test_foreign_key_names_the_field(void **state)
{
    (void)state;
    store *st = query_test_connect();
    rules_enterprise e = {.community_id = 999999};
    snprintf(e.uscc, sizeof(e.uscc), "91350100M000100Y43");
    snprintf(e.name, sizeof(e.name), "Enterprise");
    snprintf(e.status, sizeof(e.status), "active");
    admin_outcome out;
    store_admin_create_enterprise(st, "test", &e, &out);
    assert_refused(&out, ADMIN_REFUSAL_FOREIGN_KEY, "community_id");
    admin_outcome_deinit(&out);
    store_destroy(st);
}

static void test_check_names_no_constraint(void **state)
{
    (void)state;
    store *st = query_test_connect();
    admin_outcome out;
    query_test_community(st, "not a code!", &out); /* communities_code_check */
    assert_refused(&out, ADMIN_REFUSAL_CHECK, NULL);
    admin_outcome_deinit(&out);
    query_begin(st, "test", &out); /* a value of the wrong shape for its type */
    query_run(st, "SELECT 'x'::int", NULL, NULL, false, &out);
    assert_refused(&out, ADMIN_REFUSAL_CHECK, NULL);
    query_finish(st, &out);
    store_destroy(st);
}

static void test_existing_principal_is_unique(void **state)
{
    (void)state;
    store *st = query_test_connect();
    char psk[SECRET_PSK_LEN + 1];
    memset(psk, 'k', SECRET_PSK_LEN);
    psk[SECRET_PSK_LEN] = '\0';
    admin_outcome out;
    store_admin_create_principal(st, "test", "unit-admin", "admin", NULL, 0, query_test_kek, psk,
                                 &out);
    assert_int_equal(out.status, STORE_OK);
    admin_outcome_deinit(&out);
    store_admin_create_principal(st, "test", "unit-admin", "admin", NULL, 0, query_test_kek, psk,
                                 &out);
    assert_refused(&out, ADMIN_REFUSAL_UNIQUE, "identity");
    admin_outcome_deinit(&out);
    store_destroy(st);
}

static void test_timeout_and_other(void **state)
{
    (void)state;
    store *st = query_test_connect();
    admin_outcome out;
    query_begin(st, "test", &out);
    query_run(st, "SET LOCAL statement_timeout = 50", NULL, NULL, false, &out);
    query_run(st, "SELECT pg_sleep(2)", NULL, NULL, false, &out);
    assert_refused(&out, ADMIN_REFUSAL_TIMEOUT, NULL);
    query_finish(st, &out);
    query_begin(st, "test", &out);
    query_run(st, "SELECT 1 / 0", NULL, NULL, false, &out);
    assert_refused(&out, ADMIN_REFUSAL_OTHER, NULL);
    assert_non_null(strstr(out.message, "division by zero"));
    query_finish(st, &out);
    store_destroy(st);
}

static int query_test_setup(void **state)
{
    (void)state;
    int rc = testdb_create(&query_test_db, "store_query");
    query_test_have_db = rc == 0;
    return rc < 0 ? -1 : 0;
}

static int query_test_teardown(void **state)
{
    (void)state;
    testdb_destroy(&query_test_db);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unique_names_the_field),
        cmocka_unit_test(test_foreign_key_names_the_field),
        cmocka_unit_test(test_check_names_no_constraint),
        cmocka_unit_test(test_existing_principal_is_unique),
        cmocka_unit_test(test_timeout_and_other),
    };
    return cmocka_run_group_tests(tests, query_test_setup, query_test_teardown);
}
