/* test-principals.c — the handshake's table: lookups, duplicates, identities. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "server/views/principals.h"

static principal make(const char *identity, principal_role role)
{
    principal p;
    memset(&p, 0, sizeof(p));
    p.role = role;
    p.identity_len = (uint8_t)strlen(identity);
    p.identity = identity;
    p.has_psk = true;
    memset(p.psk, identity[0], sizeof(p.psk));
    return p;
}

static void test_lookup_after_growth(void **state)
{
    (void)state;
    principal_table *t = principal_table_create(2);
    char id[32];
    for (int i = 0; i < 3000; i++) {
        snprintf(id, sizeof(id), "M-%d", i);
        principal p = make(id, ROLE_MACHINE);
        p.id = i;
        assert_int_equal(principal_table_add(t, &p), 0);
    }
    assert_int_equal(principal_table_count(t), 3000);
    const principal *p = principal_table_find(t, "M-2999", 6);
    assert_non_null(p);
    assert_int_equal(p->id, 2999);
    assert_null(principal_table_find(t, "M-2999x", 7));
    assert_non_null(principal_table_find(t, "M-299", 5)); /* a different, existing id */
    principal dup = make("M-7", ROLE_ADMIN);
    assert_int_equal(principal_table_add(t, &dup), -1);
    principal_table_destroy(t);
    principal_table_destroy(NULL);
}

static void test_identities_and_roles(void **state)
{
    (void)state;
    assert_true(principal_identity_is_valid("WR-DEV-0001", 11));
    assert_true(principal_identity_is_valid("inspector@qingping", 18));
    assert_false(principal_identity_is_valid("", 0));
    assert_false(principal_identity_is_valid("a b", 3));
    assert_false(principal_identity_is_valid("x'; DROP TABLE", 14));
    assert_false(principal_identity_is_valid("a\0b", 3));
    char long_id[70];
    memset(long_id, 'a', sizeof(long_id));
    assert_false(principal_identity_is_valid(long_id, sizeof(long_id)));
    principal_role role;
    assert_int_equal(principal_role_parse("inspector", &role), 0);
    assert_int_equal(role, ROLE_INSPECTOR);
    assert_string_equal(principal_role_name(ROLE_MACHINE), "machine");
    assert_int_equal(principal_role_parse("root", &role), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookup_after_growth),
        cmocka_unit_test(test_identities_and_roles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
