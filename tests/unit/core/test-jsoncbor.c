/* test-jsoncbor.c — unit tests of the JSON <-> CBOR conversion. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/jsoncbor.h"

static void test_roundtrip(void **state)
{
    (void)state;
    const char *text = "{\"name\":\"张三\",\"n\":-12,\"big\":4294967296,\"x\":1.5,"
                       "\"list\":[true,false,null,\"a\\\"b\"],\"o\":{}}";
    json_token tokens[64];
    json_doc doc;
    assert_int_equal(json_parse(text, strlen(text), tokens, 64, &doc, NULL), WR_OK);
    uint8_t cbor[256];
    cbor_writer cw;
    cbor_writer_init(&cw, cbor, sizeof(cbor));
    assert_int_equal(jsoncbor_to_cbor(&doc, 0, &cw), WR_OK);
    assert_int_equal(cbor[0], 0xA6); /* a map of 6 */
    char back[256];
    json_writer jw;
    json_writer_init(&jw, back, sizeof(back));
    assert_int_equal(jsoncbor_from_cbor(cbor, cw.len, &jw), WR_OK);
    assert_string_equal(back, text);
    cbor_writer_init(&cw, cbor, 8);
    assert_int_equal(jsoncbor_to_cbor(&doc, 0, &cw), WR_ESPACE);
}

static void test_long_string(void **state)
{
    (void)state;
    char text[2100];
    text[0] = '"';
    memset(text + 1, 'a', 2000);
    memcpy(text + 2001, "\"", 2);
    json_token tokens[2];
    json_doc doc;
    assert_int_equal(json_parse(text, strlen(text), tokens, 2, &doc, NULL), WR_OK);
    uint8_t cbor[2100];
    cbor_writer cw;
    cbor_writer_init(&cw, cbor, sizeof(cbor));
    assert_int_equal(jsoncbor_to_cbor(&doc, 0, &cw), WR_OK);
    assert_int_equal(cw.len, 2003);
}

static void test_cbor_without_json_form(void **state)
{
    (void)state;
    char out[64];
    json_writer jw;
    static const uint8_t bytes[] = {0x41, 0x00};
    static const uint8_t int_key[] = {0xA1, 0x01, 0x02};
    static const uint8_t tag[] = {0xC1, 0x01};
    static const uint8_t huge[] = {0x1B, 0xFF, 0, 0, 0, 0, 0, 0, 0};
    static const uint8_t inf[] = {0xF9, 0x7C, 0x00};
    static const uint8_t trailing[] = {0x01, 0x02};
    static const uint8_t undef[] = {0xF7};
    static const uint8_t truncated[] = {0x82, 0x01};
    struct {
        const uint8_t *p;
        size_t n;
        wr_status st;
    } cases[] = {
        {bytes, sizeof(bytes), WR_ETYPE}, {int_key, sizeof(int_key), WR_ETYPE},
        {tag, sizeof(tag), WR_ETYPE},     {huge, sizeof(huge), WR_ERANGE},
        {inf, sizeof(inf), WR_ERANGE},    {trailing, sizeof(trailing), WR_EINVAL},
        {undef, sizeof(undef), WR_ETYPE}, {truncated, sizeof(truncated), WR_ETRUNC},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_writer_init(&jw, out, sizeof(out));
        assert_int_equal(jsoncbor_from_cbor(cases[i].p, cases[i].n, &jw), cases[i].st);
    }
    uint8_t deep[JSON_MAX_DEPTH + 2];
    memset(deep, 0x81, sizeof(deep) - 1);
    deep[sizeof(deep) - 1] = 0x00;
    char big[256];
    json_writer_init(&jw, big, sizeof(big));
    assert_int_equal(jsoncbor_from_cbor(deep, sizeof(deep), &jw), WR_EDEPTH);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_long_string),
        cmocka_unit_test(test_cbor_without_json_form),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
