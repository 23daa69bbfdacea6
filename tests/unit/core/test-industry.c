/* test-industry.c — the GB/T 4754-2017 sections: lookups and the names as JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/industry.h"

static void test_find(void **state)
{
    (void)state;
    assert_string_equal(industry_find("C", 1)->name, "制造业");
    assert_string_equal(industry_find("E", 1)->name, "建筑业");
    assert_int_equal(industry_find("T", 1)->code, 'T');
    assert_null(industry_find("U", 1));
    assert_null(industry_find("c", 1));
    assert_null(industry_find("C3", 2));
    assert_null(industry_find("", 0));
    assert_null(industry_find(NULL, 1));
    for (size_t i = 0; i < INDUSTRY_COUNT; i++) {
        const industry_info *info = industry_at(i);
        assert_int_equal(info->code, 'A' + (int)i);
        assert_ptr_equal(industry_find(&info->code, 1), info);
        assert_true(strlen(info->name) > 0 && strlen(info->name_en) > 0);
    }
    assert_null(industry_at(INDUSTRY_COUNT));
}

static void test_names_json(void **state)
{
    (void)state;
    char json[2048], small[64];
    assert_true(industry_names_json(json, sizeof(json)));
    assert_true(strncmp(json, "{\"A\":\"农、林、牧、渔业\",\"B\":\"采矿业\"", 40) == 0);
    assert_non_null(strstr(json, "\"T\":\"国际组织\"}"));
    assert_false(industry_names_json(small, sizeof(small)));
    size_t len = strlen(json);
    assert_false(industry_names_json(json, len)); /* no room for the NUL */
    assert_true(industry_names_json(json, len + 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_names_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
