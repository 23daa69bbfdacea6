/* test-hex.c — core/hex.c: round trips and refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/hex.h"

static void test_round_trip(void **state)
{
    (void)state;
    const uint8_t b[] = {0x00, 0x9f, 0xa0, 0xff};
    char text[9];
    uint8_t back[4];
    hex_encode(b, sizeof(b), text);
    assert_string_equal(text, "009fa0ff");
    assert_true(hex_decode_lower(text, back, sizeof(back)));
    assert_memory_equal(back, b, sizeof(b));
}

static void test_refusals(void **state)
{
    (void)state;
    uint8_t out[2];
    assert_false(hex_decode_lower("00A0", out, 2)); /* upper case */
    assert_false(hex_decode_lower("00a", out, 2));
    assert_false(hex_decode_lower("00a0a", out, 2));
    assert_false(hex_decode_lower("00g0", out, 2));
    assert_false(hex_decode_lower("", out, 2));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
