/* test-store_query.c — the store classifies why a statement of the API failed, on a database of
 * the test's own (skipped without DATABASE_URL): unique and foreign-key refusals name the API
 * field, a check names none, a cancelled statement is a time-out, anything else keeps the
 * database's message. A named statement is prepared once per connection, runs again after its
 * plan went stale, and fails as the unprepared statement would. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
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

/* The first column of @p sql's first row on @p st (no parameters), as text in @p text. */
static void query_test_text(store *st, const char *sql, char *text, size_t cap)
{
    admin_outcome out = {0};
    query_run(st, sql, NULL, NULL, true, &out);
    assert_int_equal(out.status, STORE_OK);
    snprintf(text, cap, "%s", out.json ? out.json : "(none)");
    admin_outcome_deinit(&out);
}

/* Runs named statement @p name with one integer parameter @p v; its answer in @p text. */
static admin_outcome query_test_named(store *st, const char *name, const char *sql, int64_t v,
                                      char *text, size_t cap)
{
    admin_outcome out = {0};
    query_params p = {0};
    qp_int(&p, v);
    query_run_named(st, name, sql, &p, NULL, true, &out);
    snprintf(text, cap, "%s", out.json ? out.json : "(none)");
    return out;
}

static const char query_test_prepared_sql[] =
    "SELECT count(*)::text FROM pg_prepared_statements WHERE name = 'named_row'";

static void test_named_statement_prepared_once(void **state)
{
    (void)state;
    store *st = query_test_connect();
    char text[256];
    admin_outcome out = {0};
    query_run(st, "CREATE TABLE named_t (a int)", NULL, NULL, false, &out);
    query_run(st, "INSERT INTO named_t VALUES (1), (2)", NULL, NULL, false, &out);
    assert_int_equal(out.status, STORE_OK);
    /* its columns are the table's: a new column changes the result's type */
    static const char sql[] = "SELECT a::text, * FROM named_t WHERE a = $1";
    for (int i = 0; i < 7; i++) { /* past the five custom plans: the generic plan from then on */
        out = query_test_named(st, "named_row", sql, 1 + i % 2, text, sizeof(text));
        assert_int_equal(out.status, STORE_OK);
        assert_string_equal(text, i % 2 ? "2" : "1");
        admin_outcome_deinit(&out);
    }
    query_test_text(st, query_test_prepared_sql, text, sizeof(text));
    assert_string_equal(text, "1");
    /* a migration adds a column: the prepared plan may not change its result's type (0A000),
     * so the statement runs unprepared once and is prepared again at its next use */
    query_run(st, "ALTER TABLE named_t ADD COLUMN b int DEFAULT 7", NULL, NULL, false, &out);
    assert_int_equal(out.status, STORE_OK);
    query_test_text(st, "SELECT count(*)::text FROM named_t", text, sizeof(text));
    for (int v = 2; v >= 1; v--) {
        out = query_test_named(st, "named_row", sql, v, text, sizeof(text));
        assert_int_equal(out.status, STORE_OK);
        assert_int_equal(atoi(text), v);
        admin_outcome_deinit(&out);
    }
    query_test_text(st, query_test_prepared_sql, text, sizeof(text));
    assert_string_equal(text, "1");
    /* failures are the unprepared statement's: one that cannot be prepared, one that fails */
    out = query_test_named(st, "named_bad", "SELEC $1", 1, text, sizeof(text));
    assert_refused(&out, ADMIN_REFUSAL_OTHER, NULL);
    assert_non_null(strstr(out.message, "syntax error"));
    admin_outcome_deinit(&out);
    out = query_test_named(st, "named_zero", "SELECT (1 / $1::int)::text", 0, text, sizeof(text));
    assert_refused(&out, ADMIN_REFUSAL_OTHER, NULL);
    assert_non_null(strstr(out.message, "division by zero"));
    admin_outcome_deinit(&out);
    query_run(st, "DROP TABLE named_t", NULL, NULL, false, &out);
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
        cmocka_unit_test(test_named_statement_prepared_once),
    };
    return cmocka_run_group_tests(tests, query_test_setup, query_test_teardown);
}
