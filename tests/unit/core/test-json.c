/* test-json.c — unit tests of the strict JSON parser and the JSON writer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/json.h"

static json_token tokens[256];

static wr_status parse(const char *text, json_doc *doc, json_error *err)
{
    return json_parse(text, strlen(text), tokens, 256, doc, err);
}

static void test_parse_object(void **state)
{
    (void)state;
    json_doc doc;
    const char *text = " {\"name\": \"张三\", \"n\": -12, \"x\": 1.5e2, \"ok\": true,"
                       " \"list\": [1, [2], {}], \"none\": null}\r\n";
    assert_int_equal(parse(text, &doc, NULL), WR_OK);
    assert_int_equal(doc.tokens[0].type, JSON_OBJECT);
    assert_int_equal(doc.tokens[0].count, 6);
    assert_int_equal(doc.tokens[0].next, doc.count);
    long name = json_find(&doc, 0, "name");
    assert_true(name > 0);
    assert_true(json_string_is(&doc, (size_t)name, "张三"));
    long n = json_find(&doc, 0, "n");
    assert_int_equal(doc.tokens[n].type, JSON_INT);
    assert_int_equal(doc.tokens[n].i, -12);
    long x = json_find(&doc, 0, "x");
    assert_int_equal(doc.tokens[x].type, JSON_DOUBLE);
    assert_true(doc.tokens[x].d == 150.0);
    assert_int_equal(doc.tokens[json_find(&doc, 0, "ok")].type, JSON_TRUE);
    long list = json_find(&doc, 0, "list");
    assert_int_equal(doc.tokens[list].count, 3);
    assert_int_equal(doc.tokens[json_find(&doc, 0, "none")].type, JSON_NULL);
    assert_int_equal(json_find(&doc, 0, "missing"), -1);
    assert_int_equal(json_find(&doc, (size_t)list, "name"), -1); /* not an object */
}

static void test_strings_and_escapes(void **state)
{
    (void)state;
    json_doc doc;
    char out[64];
    size_t len;
    assert_int_equal(parse("\"a\\\"b\\\\c\\/\\n\\u00e9\\u4e2d\\ud83d\\ude00\"", &doc, NULL), WR_OK);
    assert_int_equal(json_string(&doc, 0, out, sizeof(out), &len), WR_OK);
    assert_string_equal(out, "a\"b\\c/\n\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80");
    assert_int_equal(len, strlen(out));
    assert_int_equal(json_string(&doc, 0, out, 4, &len), WR_ESPACE);
    assert_string_equal(out, "");
    assert_int_equal(parse("\"\\u0000x\"", &doc, NULL), WR_OK);
    assert_int_equal(json_string(&doc, 0, out, sizeof(out), &len), WR_OK);
    assert_int_equal(len, 2);
    assert_false(json_string_is(&doc, 0, "x"));
    /* compared decoded, with or without escapes */
    assert_int_equal(parse("[\"\\u5f20a\\\"\", \"\u5f20a\\\"\", \"\u5f20a\"]", &doc, NULL), WR_OK);
    for (size_t i = 1; i <= 2; i++) {
        assert_true(json_string_is(&doc, i, "\u5f20a\""));
        assert_false(json_string_is(&doc, i, "\u5f20a"));
        assert_false(json_string_is(&doc, i, "\u5f20a\"b"));
    }
    assert_true(json_string_is(&doc, 3, "\u5f20a"));
    assert_false(json_string_is(&doc, 3, "\u5f20"));
    assert_false(json_string_is(&doc, 3, "\u5f20ab"));
}

static void test_numbers(void **state)
{
    (void)state;
    json_doc doc;
    assert_int_equal(parse("9223372036854775807", &doc, NULL), WR_OK);
    assert_int_equal(doc.tokens[0].type, JSON_INT);
    assert_true(doc.tokens[0].i == INT64_MAX);
    assert_int_equal(parse("-9223372036854775808", &doc, NULL), WR_OK);
    assert_true(doc.tokens[0].i == INT64_MIN);
    assert_int_equal(parse("9223372036854775808", &doc, NULL), WR_OK);
    assert_int_equal(doc.tokens[0].type, JSON_DOUBLE);
    assert_int_equal(parse("0", &doc, NULL), WR_OK);
    assert_int_equal(parse("-0.0e-5", &doc, NULL), WR_OK);
    assert_int_equal(doc.tokens[0].type, JSON_DOUBLE);
}

typedef struct bad_case {
    const char *text;
    wr_status status;
    unsigned line, column;
} bad_case;

static void test_rejects(void **state)
{
    (void)state;
    static const bad_case cases[] = {
        {"", WR_EINVAL, 1, 1},
        {"{\"a\":1,}", WR_EINVAL, 1, 8},
        {"[1,]", WR_EINVAL, 1, 4},
        {"01", WR_EINVAL, 1, 2},
        {"1.", WR_EINVAL, 1, 1},
        {"+1", WR_EINVAL, 1, 1},
        {"1e999", WR_EINVAL, 1, 1},
        {"NaN", WR_EINVAL, 1, 1},
        {"{\"a\":1,\"a\":2}", WR_EINVAL, 1, 14},
        {"{\"a\":1,\"\\u0061\":2}", WR_EINVAL, 1, 19},
        {"\"\x01\"", WR_EINVAL, 1, 2},
        {"\"\xc0\xaf\"", WR_EINVAL, 1, 2},
        {"\"\xed\xa0\x80\"", WR_EINVAL, 1, 2},
        {"\"\\ud800\"", WR_EINVAL, 1, 2},
        {"\"\\udc00\"", WR_EINVAL, 1, 2},
        {"\"\\x\"", WR_EINVAL, 1, 2},
        {"\"abc", WR_EINVAL, 1, 5},
        {"[1]\n x", WR_EINVAL, 2, 2},
        {"// c\n1", WR_EINVAL, 1, 1},
        {"{1:2}", WR_EINVAL, 1, 2},
        {"{\"a\" 2}", WR_EINVAL, 1, 6},
        {"tru", WR_EINVAL, 1, 1},
        {"123456789012345678901234567890123456789012", WR_EINVAL, 1, 1},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_doc doc;
        json_error err;
        wr_status st = parse(cases[i].text, &doc, &err);
        if (st != cases[i].status || err.line != cases[i].line || err.column != cases[i].column)
            fail_msg("case %zu \"%s\": status %d at %u:%u (%s)", i, cases[i].text, st, err.line,
                     err.column, err.message);
        assert_true(err.message[0] != '\0');
    }
}

static void test_depth_and_space(void **state)
{
    (void)state;
    char deep[JSON_MAX_DEPTH + 2];
    memset(deep, '[', sizeof(deep) - 1);
    deep[sizeof(deep) - 1] = '\0';
    json_doc doc;
    assert_int_equal(parse(deep, &doc, NULL), WR_EDEPTH);
    char ok[2 * JSON_MAX_DEPTH + 1];
    memset(ok, '[', JSON_MAX_DEPTH);
    memset(ok + JSON_MAX_DEPTH, ']', JSON_MAX_DEPTH);
    ok[2 * JSON_MAX_DEPTH] = '\0';
    assert_int_equal(parse(ok, &doc, NULL), WR_OK);
    json_token few[3];
    assert_int_equal(json_parse("[1,2,3]", 7, few, 3, &doc, NULL), WR_ESPACE);
    assert_int_equal(json_parse("[1,2]", 5, few, 3, &doc, NULL), WR_OK);
}

static void test_writer(void **state)
{
    (void)state;
    char buf[256];
    json_writer w;
    json_writer_init(&w, buf, sizeof(buf));
    json_begin_object(&w);
    json_key(&w, "name");
    json_put_cstr(&w, "张\"三\n\x01");
    json_key(&w, "list");
    json_begin_array(&w);
    json_put_int(&w, -5);
    json_put_double(&w, 0.1);
    json_put_bool(&w, true);
    json_put_null(&w);
    json_begin_object(&w);
    json_end_object(&w);
    json_end_array(&w);
    json_end_object(&w);
    assert_int_equal(json_writer_status(&w), WR_OK);
    assert_string_equal(buf, "{\"name\":\"张\\\"三\\n\\u0001\",\"list\":[-5,0.1,true,null,{}]}");
    /* what it writes parses back */
    json_doc doc;
    assert_int_equal(parse(buf, &doc, NULL), WR_OK);
}

static void test_writer_errors(void **state)
{
    (void)state;
    char buf[8];
    json_writer w;
    json_writer_init(&w, buf, sizeof(buf));
    json_put_cstr(&w, "too long for it");
    assert_int_equal(json_writer_status(&w), WR_ESPACE);
    char big[64];
    json_writer_init(&w, big, sizeof(big));
    json_begin_object(&w);
    json_put_int(&w, 1); /* a value where a key is due */
    assert_int_equal(json_writer_status(&w), WR_EINVAL);
    json_writer_init(&w, big, sizeof(big));
    json_put_text(&w, "\xff", 1);
    assert_int_equal(json_writer_status(&w), WR_EINVAL);
    json_writer_init(&w, big, sizeof(big));
    json_begin_array(&w);
    assert_int_equal(json_writer_status(&w), WR_EINVAL); /* unfinished */
    json_writer_init(&w, big, sizeof(big));
    json_put_double(&w, 1.0 / 0.0);
    assert_int_equal(json_writer_status(&w), WR_EINVAL);
    json_writer_init(&w, big, sizeof(big));
    json_key(&w, "k");
    assert_int_equal(json_writer_status(&w), WR_EINVAL);
}

static void test_utf8(void **state)
{
    (void)state;
    assert_true(json_utf8_valid("a\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80", 10));
    assert_false(json_utf8_valid("\xe4\xb8", 2));
    assert_false(json_utf8_valid("\xf4\x90\x80\x80", 4)); /* past U+10FFFF */
    assert_false(json_utf8_valid("\xe0\x80\x80", 3));     /* overlong */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_object),    cmocka_unit_test(test_strings_and_escapes),
        cmocka_unit_test(test_numbers),         cmocka_unit_test(test_rejects),
        cmocka_unit_test(test_depth_and_space), cmocka_unit_test(test_writer),
        cmocka_unit_test(test_writer_errors),   cmocka_unit_test(test_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
