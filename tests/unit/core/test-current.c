/* test-current.c — unit tests of suspected modification from the arc current. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/current.h"

static void test_over_rated(void **state)
{
    (void)state;
    assert_int_equal(current_check(NULL, 275, 250, NULL), CURRENT_OK); /* within 10 % */
    assert_int_equal(current_check(NULL, 276, 250, NULL), CURRENT_OVER_RATED);
    assert_int_equal(current_check(NULL, 2000, 0, NULL), CURRENT_OK); /* no rating known */
    assert_string_equal(current_finding_name(CURRENT_OVER_RATED), "over_rated");
}

static void test_profile_jump(void **state)
{
    (void)state;
    current_profile p = {0};
    uint32_t base = 99;
    current_note(&p, 0); /* no arc: not a reading */
    current_note(&p, 80);
    current_note(&p, 95);
    assert_int_equal(current_check(&p, 400, 0, &base), CURRENT_OK); /* two readings: no baseline */
    assert_int_equal(base, 0);
    current_note(&p, 90);
    current_note(&p, 300); /* the baseline is the first three */
    assert_int_equal(p.count, 3);
    assert_int_equal(current_check(&p, 189, 0, &base), CURRENT_OK);
    assert_int_equal(base, 95);
    assert_int_equal(current_check(&p, 190, 0, NULL), CURRENT_PROFILE_JUMP);
    assert_int_equal(current_check(&p, 190, 180, NULL), CURRENT_PROFILE_JUMP); /* rating: fine */
    assert_int_equal(current_check(&p, 250, 180, NULL), CURRENT_OVER_RATED);   /* first */
    assert_string_equal(current_finding_name(CURRENT_PROFILE_JUMP), "profile_jump");
}

static void test_small_currents(void **state)
{
    (void)state;
    current_profile p = {0};
    current_note(&p, 20);
    current_note(&p, 22);
    current_note(&p, 21);
    assert_int_equal(current_check(&p, 60, 0, NULL), CURRENT_OK); /* twice, not 50 A more */
    assert_int_equal(current_check(&p, 72, 0, NULL), CURRENT_PROFILE_JUMP);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_over_rated),
        cmocka_unit_test(test_profile_jump),
        cmocka_unit_test(test_small_currents),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
