/* test-countsview.c — unit tests of the counts as CSV records and aligned tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tag-reader/countsview.h"

/* One community with a denial reason outside the core's table and a violation kind of an
 * on-site report; the total has nobody certified, so no share. */
static const char ANSWER[] =
    "{\"from\":\"2026-10-01\",\"to\":\"2026-12-31\",\"as_of\":\"2026-11-29\",\"by\":\"community\","
    "\"rows\":[{\"group\":{\"id\":1,\"code\":\"410183-003\",\"name\":\"青屏街社区\"},"
    "\"machines\":{\"active\":3,\"suspended\":1,\"scrapped\":0},"
    "\"welders\":{\"valid\":2,\"expiring\":1,\"expired\":0,\"review_overdue\":1,\"revoked\":0},"
    "\"certified\":3,\"trained\":2,\"trained_share\":0.66669999999999996,\"scans\":12,"
    "\"approvals\":9,\"denials\":3,\"denial_reasons\":{\"licence_expired\":2,\"new_rule\":1},"
    "\"violations\":{\"total\":2,\"open\":1,\"acknowledged\":1,\"resolved\":0,\"dismissed\":0,"
    "\"kinds\":{\"machine_without_chip\":1,\"tamper\":1}}}],"
    "\"total\":{\"group\":null,\"machines\":{\"active\":3,\"suspended\":1,\"scrapped\":0},"
    "\"welders\":{\"valid\":0},\"certified\":0,\"trained\":0,\"trained_share\":null,\"scans\":12,"
    "\"approvals\":9,\"denials\":3,\"denial_reasons\":{\"licence_expired\":2,\"new_rule\":1},"
    "\"violations\":{\"total\":2,\"kinds\":{\"machine_without_chip\":1,\"tamper\":1}}}}";

static countsview_columns columns;

/* The index of column @p title, or -1. */
static long column_at(const char *title)
{
    for (size_t i = 0; i < columns.n; i++)
        if (strcmp(columns.items[i].title, title) == 0)
            return (long)i;
    return -1;
}

/* Field @p index of the CSV record @p record (no quoted fields in these tests). */
static void field_of(const char *record, long index, char *out, size_t cap)
{
    const char *p = record;
    for (long i = 0; i < index && p; i++)
        p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL;
    size_t n = p ? strcspn(p, ",\r\n") : 0;
    snprintf(out, cap, "%.*s", (int)n, p ? p : "");
}

static void assert_cell(const char *record, const char *title, const char *want)
{
    char got[64];
    long at = column_at(title);
    assert_true(at >= 0);
    field_of(record, at, got, sizeof(got));
    assert_string_equal(got, want);
}

static void test_columns(void **state)
{
    (void)state;
    answer_doc a;
    assert_int_equal(answer_parse(&a, ANSWER), 0);
    countsview_csv_columns(&a, &columns);
    static char header[8192];
    csv_writer w;
    csv_writer_init(&w, header, sizeof(header));
    countsview_csv_header(&columns, &w);
    assert_int_equal(w.err, WR_OK);
    assert_memory_equal(header, "from,to,id,code,name,machines_active,", 37);
    /* every reason of the core's table, then the one the answer adds, in a stable order */
    assert_true(column_at("denied_machine_unknown") < column_at("denied_licence_expired"));
    assert_true(column_at("denied_replay") < column_at("denied_new_rule"));
    assert_true(column_at("denied_new_rule") < column_at("violations"));
    assert_true(column_at("kind_tamper") > column_at("violations_dismissed"));
    assert_true(column_at("kind_machine_without_chip") > column_at("kind_tamper"));
    assert_int_equal(column_at("kind_code_malformed"), -1); /* not a violation in the core */
    assert_non_null(strstr(header, "\r\n"));
    answer_deinit(&a);
}

static void test_rows(void **state)
{
    (void)state;
    answer_doc a;
    assert_int_equal(answer_parse(&a, ANSWER), 0);
    countsview_csv_columns(&a, &columns);
    size_t rows[4];
    assert_int_equal(countsview_rows(&a, rows, 4), 2);
    char record[8192];
    csv_writer w;
    csv_writer_init(&w, record, sizeof(record));
    countsview_csv_row(&a, rows[0], &columns, &w);
    assert_memory_equal(record,
                        "2026-10-01,2026-12-31,1,410183-003,青屏街社区,3,1,0,2,1,0,1,0,3,2,"
                        "0.6667,12,9,3,",
                        strlen("2026-10-01,2026-12-31,1,410183-003,青屏街社区,"
                               "3,1,0,2,1,0,1,0,3,2,0.6667,12,9,3,"));
    assert_cell(record, "denied_licence_expired", "2");
    assert_cell(record, "denied_new_rule", "1");
    assert_cell(record, "denied_machine_unknown", "0");
    assert_cell(record, "violations_acknowledged", "1");
    assert_cell(record, "kind_machine_without_chip", "1");
    csv_writer_init(&w, record, sizeof(record));
    countsview_csv_row(&a, rows[1], &columns, &w);
    assert_cell(record, "id", "");
    assert_cell(record, "name", "total");
    assert_cell(record, "trained_share", ""); /* nobody certified: no share, not 0 */
    assert_cell(record, "welders_expiring", "0");
    assert_cell(record, "violations_open", "0");
    answer_deinit(&a);
}

static void test_tables(void **state)
{
    (void)state;
    answer_doc a;
    assert_int_equal(answer_parse(&a, ANSWER), 0);
    char text[8192] = "";
    FILE *out = fmemopen(text, sizeof(text) - 1, "w");
    assert_non_null(out);
    countsview_print(out, &a);
    fclose(out);
    assert_non_null(strstr(text, "counts 2026-10-01 to 2026-12-31 by community; registry and "
                                 "licences as of 2026-11-29\n"));
    /* 青屏街社区 is 10 columns wide, like "total" and its padding */
    assert_non_null(strstr(text, "\n青屏街社区       3          1         0      2"));
    assert_non_null(strstr(text, "\ntotal            3          1         0      0"));
    assert_non_null(strstr(text, " 0       -\n")); /* no share on the total */
    assert_non_null(strstr(text, "licence_expired  new_rule"));
    assert_non_null(strstr(text, "machine_without_chip  tamper"));
    answer_deinit(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_columns),
        cmocka_unit_test(test_rows),
        cmocka_unit_test(test_tables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
