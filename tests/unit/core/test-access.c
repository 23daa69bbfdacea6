/* test-access.c — core/access.c: role names and the one decision of who may do what. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/access.h"

static void test_names_round_trip(void **state)
{
    (void)state;
    for (unsigned i = 0; i < ACCESS_ROLE_COUNT; i++) {
        access_role r;
        assert_int_equal(access_role_parse(access_role_name((access_role)i), &r), 0);
        assert_int_equal(r, i);
    }
    access_role r;
    assert_int_equal(access_role_parse("root", &r), -1);
    assert_int_equal(access_role_parse("", &r), -1);
    assert_null(access_role_name((access_role)ACCESS_ROLE_COUNT));
    assert_string_equal(access_role_zh(ACCESS_ROLE_INSPECTOR), "检查员");
    /* every need has its own name (weldreg-web routes prints them) */
    for (unsigned i = 0; i < ACCESS_NEED_COUNT; i++) {
        assert_non_null(access_need_name((access_need)i));
        for (unsigned j = 0; j < i; j++)
            assert_string_not_equal(access_need_name((access_need)i),
                                    access_need_name((access_need)j));
    }
    assert_string_equal(access_need_name(ACCESS_APPROVE), "approve");
    assert_null(access_need_name((access_need)ACCESS_NEED_COUNT));
}

static void test_decisions(void **state)
{
    (void)state;
    assert_int_equal(access_decide(ACCESS_ROLE_ADMIN, ACCESS_ADMIN_ONLY), ACCESS_ALL);
    assert_int_equal(access_decide(ACCESS_ROLE_INSPECTOR, ACCESS_READ), ACCESS_COMMUNITIES);
    assert_int_equal(access_decide(ACCESS_ROLE_INSPECTOR, ACCESS_ENFORCE), ACCESS_COMMUNITIES);
    assert_int_equal(access_decide(ACCESS_ROLE_INSPECTOR, ACCESS_WRITE), ACCESS_DENIED);
    assert_int_equal(access_decide(ACCESS_ROLE_MACHINE, ACCESS_READ), ACCESS_DENIED);
    assert_int_equal(access_decide(ACCESS_ROLE_OFFICER, ACCESS_READ), ACCESS_ENTERPRISE);
    assert_int_equal(access_decide(ACCESS_ROLE_OFFICER, ACCESS_ADMIN_ONLY), ACCESS_DENIED);
    /* the district's reports: not an enterprise's officer, an inspector within their scope */
    assert_int_equal(access_decide(ACCESS_ROLE_OFFICER, ACCESS_DISTRICT), ACCESS_DENIED);
    assert_int_equal(access_decide(ACCESS_ROLE_OFFICE, ACCESS_DISTRICT), ACCESS_ALL);
    assert_int_equal(access_decide(ACCESS_ROLE_INSPECTOR, ACCESS_DISTRICT), ACCESS_COMMUNITIES);
    assert_int_equal(access_decide(ACCESS_ROLE_MACHINE, ACCESS_DISTRICT), ACCESS_DENIED);
    assert_int_equal(access_decide(ACCESS_ROLE_OFFICE, ACCESS_READ), ACCESS_ALL);
    assert_int_equal(access_decide(ACCESS_ROLE_OFFICE, ACCESS_ENFORCE), ACCESS_DENIED);
    assert_int_equal(access_decide(ACCESS_ROLE_OFFICE, ACCESS_WRITE), ACCESS_DENIED);
    assert_int_equal(access_decide((access_role)99, ACCESS_READ), ACCESS_DENIED);
    assert_int_equal(access_decide(ACCESS_ROLE_OFFICE, (access_need)ACCESS_NEED_COUNT),
                     ACCESS_DENIED);
}

/* Applying and approving are the enterprise's own, and never the same person's (issue 17). */
static void test_permit_roles(void **state)
{
    (void)state;
    assert_int_equal(access_decide(ACCESS_ROLE_OFFICER, ACCESS_APPLY), ACCESS_ENTERPRISE);
    assert_int_equal(access_decide(ACCESS_ROLE_OFFICER, ACCESS_APPROVE), ACCESS_DENIED);
    assert_int_equal(access_decide(ACCESS_ROLE_APPROVER, ACCESS_APPROVE), ACCESS_ENTERPRISE);
    assert_int_equal(access_decide(ACCESS_ROLE_APPROVER, ACCESS_APPLY), ACCESS_DENIED);
    assert_int_equal(access_decide(ACCESS_ROLE_APPROVER, ACCESS_READ), ACCESS_ENTERPRISE);
    assert_int_equal(access_decide(ACCESS_ROLE_APPROVER, ACCESS_WRITE), ACCESS_DENIED);
    for (unsigned i = 0; i < ACCESS_ROLE_COUNT; i++) {
        if (access_role_enterprise((access_role)i))
            continue;
        assert_int_equal(access_decide((access_role)i, ACCESS_APPLY), ACCESS_DENIED);
        assert_int_equal(access_decide((access_role)i, ACCESS_APPROVE), ACCESS_DENIED);
    }
    assert_true(access_role_enterprise(ACCESS_ROLE_OFFICER));
    assert_true(access_role_enterprise(ACCESS_ROLE_APPROVER));
    assert_false(access_role_enterprise(ACCESS_ROLE_ADMIN));
    assert_false(access_role_enterprise((access_role)ACCESS_ROLE_COUNT));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_round_trip),
        cmocka_unit_test(test_decisions),
        cmocka_unit_test(test_permit_roles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
