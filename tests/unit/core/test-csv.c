/* test-csv.c — unit tests of the RFC 4180 CSV reader and writer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/csv.h"

static void test_records(void **state)
{
    (void)state;
    const char *text = "\xEF\xBB\xBFname,city\r\n"
                       "张三,\"北京, 朝阳\"\r\n"
                       "\"say \"\"hi\"\"\",\"two\nlines\"\n"
                       ",\n"
                       "last,row";
    csv_reader r;
    csv_field f[4];
    size_t n;
    char v[64];
    csv_reader_init(&r, text, strlen(text));
    assert_int_equal(csv_next(&r, f, 4, &n, NULL), WR_OK);
    assert_int_equal(n, 2);
    assert_int_equal(csv_field_value(&f[0], v, sizeof(v)), WR_OK);
    assert_string_equal(v, "name");
    assert_int_equal(csv_next(&r, f, 4, &n, NULL), WR_OK);
    assert_int_equal(csv_field_value(&f[0], v, sizeof(v)), WR_OK);
    assert_string_equal(v, "张三");
    assert_int_equal(csv_field_value(&f[1], v, sizeof(v)), WR_OK);
    assert_string_equal(v, "北京, 朝阳");
    assert_int_equal(f[1].line, 2);
    assert_int_equal(f[1].column, 4); /* characters, not bytes */
    assert_int_equal(csv_next(&r, f, 4, &n, NULL), WR_OK);
    assert_int_equal(csv_field_value(&f[0], v, sizeof(v)), WR_OK);
    assert_string_equal(v, "say \"hi\"");
    assert_int_equal(csv_field_value(&f[1], v, sizeof(v)), WR_OK);
    assert_string_equal(v, "two\nlines");
    assert_int_equal(csv_next(&r, f, 4, &n, NULL), WR_OK);
    assert_int_equal(n, 2);
    assert_int_equal(f[0].raw_len + f[1].raw_len, 0);
    assert_int_equal(f[0].line, 5);
    assert_int_equal(csv_next(&r, f, 4, &n, NULL), WR_OK);
    assert_int_equal(csv_field_value(&f[1], v, sizeof(v)), WR_OK);
    assert_string_equal(v, "row");
    assert_int_equal(csv_next(&r, f, 4, &n, NULL), WR_ENOTFOUND);
    assert_int_equal(csv_field_value(&f[1], v, 3), WR_ESPACE);
    assert_string_equal(v, "");
}

typedef struct bad_case {
    const char *text;
    wr_status status;
    unsigned line, column;
} bad_case;

static void test_errors(void **state)
{
    (void)state;
    static const bad_case cases[] = {
        {"a,b\nc\"d,e\n", WR_EINVAL, 2, 2},   {"a,\"b\"x\n", WR_EINVAL, 1, 6},
        {"a,\"open\n\n", WR_EINVAL, 1, 3},    {"a\rb\n", WR_EINVAL, 1, 2},
        {"ok\n张三,\xff\n", WR_EINVAL, 2, 4}, {"ok\n\xe4\xb8", WR_EINVAL, 2, 1},
        {"a,b,c,d,e\n", WR_ESPACE, 1, 9},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        csv_reader r;
        csv_field f[4];
        size_t n;
        csv_error err = {0};
        wr_status st;
        csv_reader_init(&r, cases[i].text, strlen(cases[i].text));
        while ((st = csv_next(&r, f, 4, &n, &err)) == WR_OK)
            ;
        if (st != cases[i].status || err.line != cases[i].line || err.column != cases[i].column)
            fail_msg("case %zu: status %d at %u:%u (%s)", i, st, err.line, err.column, err.message);
    }
}

#define UTF8_BOM "\xEF\xBB\xBF"

static void test_writer_roundtrip(void **state)
{
    (void)state;
    char buf[128];
    csv_writer w;
    csv_writer_init(&w, buf, sizeof(buf));
    csv_put_cstr(&w, "plain");
    csv_put_cstr(&w, "北京, 朝阳");
    csv_put_cstr(&w, "say \"hi\"");
    csv_put_cstr(&w, " pad");
    csv_put_cstr(&w, "");
    csv_end_record(&w);
    assert_int_equal(w.err, WR_OK);
    assert_string_equal(buf, "plain,\"北京, 朝阳\",\"say \"\"hi\"\"\",\" pad\",\r\n");
    csv_reader r;
    csv_field f[8];
    size_t n;
    char v[64];
    csv_reader_init(&r, buf, w.len);
    assert_int_equal(csv_next(&r, f, 8, &n, NULL), WR_OK);
    assert_int_equal(n, 5);
    assert_int_equal(csv_field_value(&f[2], v, sizeof(v)), WR_OK);
    assert_string_equal(v, "say \"hi\"");
    /* a value that starts with a byte order mark keeps it when it comes first in the file */
    csv_writer_init(&w, buf, sizeof(buf));
    csv_put_cstr(&w, UTF8_BOM "ba");
    csv_end_record(&w);
    assert_string_equal(buf, "\"" UTF8_BOM "ba\"\r\n");
    csv_reader_init(&r, buf, w.len);
    assert_int_equal(csv_next(&r, f, 8, &n, NULL), WR_OK);
    assert_int_equal(csv_field_value(&f[0], v, sizeof(v)), WR_OK);
    assert_string_equal(v, UTF8_BOM "ba");
    char small[4];
    csv_writer_init(&w, small, sizeof(small));
    csv_put_cstr(&w, "abcdef");
    assert_int_equal(w.err, WR_ESPACE);
}

/* Text a spreadsheet opens: what it would run as a formula starts with an apostrophe. */
static void test_writer_sheet_text(void **state)
{
    (void)state;
    char buf[256];
    csv_writer w;
    csv_writer_init(&w, buf, sizeof(buf));
    csv_put_sheet_text(&w, "=HYPERLINK(\"http://x\",\"点我\")");
    csv_put_sheet_text(&w, "+1");
    csv_put_sheet_text(&w, "-2");
    csv_put_sheet_text(&w, "@SUM(A1)");
    csv_put_sheet_text(&w, "\tx");
    csv_put_sheet_text(&w, "a=b");
    csv_put_sheet_text(&w, "");
    csv_end_record(&w);
    assert_int_equal(w.err, WR_OK);
    assert_string_equal(buf,
                        "\"'=HYPERLINK(\"\"http://x\"\",\"\"点我\"\")\",'+1,'-2,'@SUM(A1),'\tx,"
                        "a=b,\r\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_writer_sheet_text),
        cmocka_unit_test(test_records),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_writer_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
