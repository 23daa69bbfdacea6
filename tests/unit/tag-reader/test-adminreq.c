/* test-adminreq.c — unit tests of weldtag's request bodies and queries from KEY=VALUE
 * arguments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tag-reader/adminreq.h"

static void test_body_types(void **state)
{
    (void)state;
    char *args[] = {"name=张三",     "id=12",
                    "site_lat=36.5", "long_record=true",
                    "welders=3,4",   "categories=fusion,brazing",
                    "note=a=b",      "extra:={\"k\":[1,null]}"};
    char out[512], err[128];
    assert_int_equal(adminreq_body(args, 8, out, sizeof(out), err, sizeof(err)), 0);
    assert_string_equal(out, "{\"name\":\"张三\",\"id\":12,\"site_lat\":36.5,\"long_record\":true,"
                             "\"welders\":[3,4],\"categories\":[\"fusion\",\"brazing\"],"
                             "\"note\":\"a=b\",\"extra\":{\"k\":[1,null]}}");
}

static void test_body_errors(void **state)
{
    (void)state;
    char out[512], err[128];
    char *no_eq[] = {"name"};
    assert_int_equal(adminreq_body(no_eq, 1, out, sizeof(out), err, sizeof(err)), -1);
    assert_non_null(strstr(err, "KEY=VALUE"));
    char *bad_int[] = {"id=twelve"};
    assert_int_equal(adminreq_body(bad_int, 1, out, sizeof(out), err, sizeof(err)), -1);
    char *bad_bool[] = {"long_record=yes"};
    assert_int_equal(adminreq_body(bad_bool, 1, out, sizeof(out), err, sizeof(err)), -1);
    char *bad_raw[] = {"x:={"};
    assert_int_equal(adminreq_body(bad_raw, 1, out, sizeof(out), err, sizeof(err)), -1);
    char *bad_ints[] = {"welders=1,x"};
    assert_int_equal(adminreq_body(bad_ints, 1, out, sizeof(out), err, sizeof(err)), -1);
    char small[8];
    char *long_text[] = {"name=far too long for the buffer"};
    assert_int_equal(adminreq_body(long_text, 1, small, sizeof(small), err, sizeof(err)), -1);
}

static void test_query(void **state)
{
    (void)state;
    char out[128], err[128];
    char *args[] = {"status=active", "limit=5"};
    assert_int_equal(adminreq_query(args, 2, out, sizeof(out), err, sizeof(err)), 0);
    assert_string_equal(out, "?status=active&limit=5");
    assert_int_equal(adminreq_query(args, 0, out, sizeof(out), err, sizeof(err)), 0);
    assert_string_equal(out, "");
    char *bad[] = {"a=1&b=2"};
    assert_int_equal(adminreq_query(bad, 1, out, sizeof(out), err, sizeof(err)), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_body_types),
        cmocka_unit_test(test_body_errors),
        cmocka_unit_test(test_query),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
