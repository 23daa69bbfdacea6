/* test-base45.c — Base45 against the RFC 9285 examples, round trips and every kind of bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/base45.h"

static const struct {
    const char *plain;
    const char *encoded;
} rfc_examples[] = {
    {"AB", "BB8"}, {"Hello!!", "%69 VD92EX0"}, {"base-45", "UJCLQE7W581"}, {"ietf!", "QED8WEX0"},
    {"", ""},
};

static void test_rfc_examples_encode(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(rfc_examples) / sizeof(rfc_examples[0]); i++) {
        const char *plain = rfc_examples[i].plain;
        char out[32];
        size_t len = 99;
        assert_int_equal(
            base45_encode((const uint8_t *)plain, strlen(plain), out, sizeof(out), &len), WR_OK);
        assert_string_equal(out, rfc_examples[i].encoded);
        assert_int_equal(len, strlen(rfc_examples[i].encoded));
        assert_int_equal(base45_encoded_len(strlen(plain)), len);
    }
}

static void test_rfc_examples_decode(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(rfc_examples) / sizeof(rfc_examples[0]); i++) {
        const char *enc = rfc_examples[i].encoded;
        uint8_t out[32];
        size_t len = 99;
        assert_int_equal(base45_decode(enc, strlen(enc), out, sizeof(out), &len), WR_OK);
        assert_int_equal(len, strlen(rfc_examples[i].plain));
        assert_memory_equal(out, rfc_examples[i].plain, len);
    }
}

static void test_invalid_rfc_example(void **state)
{
    (void)state;
    uint8_t out[8];
    size_t len = 99;
    assert_int_equal(base45_decode("GGW", 3, out, sizeof(out), &len), WR_EINVAL); /* 65536 */
    assert_int_equal(len, 0);
    assert_int_equal(base45_decode("FGW", 3, out, sizeof(out), &len), WR_OK); /* 65535 */
    assert_int_equal(len, 2);
    assert_int_equal(out[0], 0xff);
    assert_int_equal(out[1], 0xff);
}

static void test_bad_input(void **state)
{
    (void)state;
    uint8_t out[16];
    size_t len;
    assert_int_equal(base45_decode("A", 1, out, sizeof(out), &len), WR_EINVAL);    /* dangling */
    assert_int_equal(base45_decode("BB8A", 4, out, sizeof(out), &len), WR_EINVAL); /* dangling */
    assert_int_equal(base45_decode("U5", 2, out, sizeof(out), &len), WR_OK);       /* 255 */
    assert_int_equal(out[0], 0xff);
    assert_int_equal(base45_decode("V5", 2, out, sizeof(out), &len), WR_EINVAL); /* 256 */
    assert_int_equal(base45_decode("::", 2, out, sizeof(out), &len), WR_EINVAL); /* 2024 */
    assert_int_equal(base45_decode(":::", 3, out, sizeof(out), &len), WR_EINVAL);
    assert_int_equal(base45_decode("bb8", 3, out, sizeof(out), &len), WR_EINVAL); /* lower case */
    assert_int_equal(base45_decode("BB\0", 3, out, sizeof(out), &len), WR_EINVAL);
    assert_int_equal(base45_decode("B=8", 3, out, sizeof(out), &len), WR_EINVAL);
    assert_int_equal(base45_decode("BB8", 3, out, 1, &len), WR_ESPACE);
    assert_int_equal(base45_decode(NULL, 0, NULL, 0, &len), WR_OK);
    assert_int_equal(len, 0);
    /* Every byte value outside the alphabet is refused in each position. */
    const char *alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
    for (int c = 0; c < 256; c++) {
        if (c != 0 && strchr(alphabet, c))
            continue;
        for (size_t pos = 0; pos < 3; pos++) {
            char in[3] = {'0', '0', '0'};
            in[pos] = (char)c;
            assert_int_equal(base45_decode(in, 3, out, sizeof(out), &len), WR_EINVAL);
        }
    }
}

static void test_encode_space(void **state)
{
    (void)state;
    char out[4] = "xyz";
    size_t len = 7;
    assert_int_equal(base45_encode((const uint8_t *)"AB", 2, out, 3, &len), WR_ESPACE);
    assert_string_equal(out, "");
    assert_int_equal(len, 0);
    assert_int_equal(base45_encode((const uint8_t *)"AB", 2, out, 4, &len), WR_OK);
    assert_string_equal(out, "BB8");
    assert_int_equal(base45_encode(NULL, 2, out, 4, &len), WR_EINVAL);
}

/* Every pair and every single byte survive a round trip. */
static void test_round_trip_all_values(void **state)
{
    (void)state;
    for (unsigned v = 0; v < 65536; v++) {
        uint8_t in[2] = {(uint8_t)(v >> 8), (uint8_t)v}, back[2];
        char text[4];
        size_t len, back_len;
        size_t n = v < 256 ? 1 : 2;
        const uint8_t *src = n == 1 ? in + 1 : in;
        assert_int_equal(base45_encode(src, n, text, sizeof(text), &len), WR_OK);
        assert_int_equal(base45_decode(text, len, back, sizeof(back), &back_len), WR_OK);
        assert_int_equal(back_len, n);
        assert_memory_equal(back, src, n);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc_examples_encode), cmocka_unit_test(test_rfc_examples_decode),
        cmocka_unit_test(test_invalid_rfc_example), cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_encode_space),        cmocka_unit_test(test_round_trip_all_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
