/* test-bench.c — unit tests of the benchmark helpers: the latency histogram and the PSK list. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bench/hist.h"
#include "bench/psklist.h"

static void test_hist_empty(void **state)
{
    (void)state;
    hist h = {0};
    assert_int_equal(hist_quantile(&h, 0.5), 0);
    assert_int_equal(hist_quantile(&h, 1.0), 0);
}

static void test_hist_exact_small_values(void **state)
{
    (void)state;
    hist *h = calloc(1, sizeof(*h));
    assert_non_null(h);
    for (uint64_t v = 1; v <= 50; v++)
        hist_add(h, v);
    assert_int_equal(h->count, 50);
    assert_int_equal(hist_quantile(h, 0.5), 25);
    assert_int_equal(hist_quantile(h, 0.99), 50);
    assert_int_equal(hist_quantile(h, 1.0), 50);
    assert_int_equal(h->max_us, 50);
    free(h);
}

/* Large values land within the bucket's resolution (1/32) and never above the maximum. */
static void test_hist_resolution(void **state)
{
    (void)state;
    static const uint64_t values[] = {64, 100, 1000, 4999, 123456, 10000000, 3000000000ULL};
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        hist *h = calloc(1, sizeof(*h));
        assert_non_null(h);
        hist_add(h, values[i]);
        hist_add(h, values[i] * 2);
        uint64_t q = hist_quantile(h, 0.5);
        uint64_t err = q > values[i] ? q - values[i] : values[i] - q;
        assert_true(err * 32 <= values[i]);
        assert_int_equal(hist_quantile(h, 1.0), values[i] * 2);
        free(h);
    }
}

static void test_hist_percentiles_and_merge(void **state)
{
    (void)state;
    hist *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
    assert_non_null(a);
    assert_non_null(b);
    for (int i = 0; i < 990; i++)
        hist_add(a, 300);
    for (int i = 0; i < 10; i++)
        hist_add(b, 8000);
    hist_merge(a, b);
    assert_int_equal(a->count, 1000);
    assert_int_equal(a->max_us, 8000);
    uint64_t p99 = hist_quantile(a, 0.99), p995 = hist_quantile(a, 0.995);
    assert_true(p99 >= 295 && p99 <= 305);
    assert_true(p995 >= 7800 && p995 <= 8000);
    free(a);
    free(b);
}

static void test_hist_huge_value_clamped(void **state)
{
    (void)state;
    hist *h = calloc(1, sizeof(*h));
    assert_non_null(h);
    hist_add(h, UINT64_MAX / 2);
    assert_int_equal(h->buckets[HIST_BUCKETS - 1], 1);
    assert_true(hist_quantile(h, 1.0) <= UINT64_MAX / 2);
    free(h);
}

static void test_psklist_parse_and_find(void **state)
{
    (void)state;
    const char text[] = "# machines\n"
                        "WR-0002 keyB\n"
                        "\n"
                        "WR-0001\tkeyA\r\n"
                        "  WR-0003   keyC  \n";
    psklist list;
    char err[128];
    assert_int_equal(psklist_parse(&list, text, strlen(text), err, sizeof(err)), 0);
    assert_int_equal(list.count, 3);
    assert_string_equal(list.entries[0].identity, "WR-0002");
    assert_int_equal(psklist_sort(&list, err, sizeof(err)), 0);
    const psklist_entry *e = psklist_find(&list, "WR-0001", 7);
    assert_non_null(e);
    assert_string_equal(e->key, "keyA");
    assert_int_equal(e->key_len, 4);
    assert_non_null(psklist_find(&list, "WR-0003", 7));
    assert_null(psklist_find(&list, "WR-000", 6));
    assert_null(psklist_find(&list, "WR-00011", 8));
    assert_null(psklist_find(&list, "", 0));
    psklist_deinit(&list);
}

static void test_psklist_rejects_bad_lines(void **state)
{
    (void)state;
    static const char *const bad[] = {"WR-1\n", "WR!1 key\n", "WR-1 key extra\n",
                                      "a b\nWR-2 key\xc3\xa9\n"};
    static const char *const where[] = {"line 1:", "line 1:", "line 1:", "line 2:"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        psklist list;
        char err[128] = "";
        assert_int_equal(psklist_parse(&list, bad[i], strlen(bad[i]), err, sizeof(err)), -1);
        assert_int_equal(list.count, 0);
        assert_non_null(strstr(err, where[i]));
    }
}

static void test_psklist_rejects_duplicates(void **state)
{
    (void)state;
    const char text[] = "A k1\nB k2\nA k3\n";
    psklist list;
    char err[128];
    assert_int_equal(psklist_parse(&list, text, strlen(text), err, sizeof(err)), 0);
    assert_int_equal(psklist_sort(&list, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "\"A\""));
    psklist_deinit(&list);
}

static void test_psklist_long_identity(void **state)
{
    (void)state;
    char text[200];
    memset(text, 'x', 65);
    strcpy(text + 65, " key\n");
    psklist list;
    char err[128];
    assert_int_equal(psklist_parse(&list, text, strlen(text), err, sizeof(err)), -1);
    strcpy(text + 64, " key\n");
    assert_int_equal(psklist_parse(&list, text, strlen(text), err, sizeof(err)), 0);
    assert_int_equal(list.entries[0].identity_len, 64);
    psklist_deinit(&list);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hist_empty),
        cmocka_unit_test(test_hist_exact_small_values),
        cmocka_unit_test(test_hist_resolution),
        cmocka_unit_test(test_hist_percentiles_and_merge),
        cmocka_unit_test(test_hist_huge_value_clamped),
        cmocka_unit_test(test_psklist_parse_and_find),
        cmocka_unit_test(test_psklist_rejects_bad_lines),
        cmocka_unit_test(test_psklist_rejects_duplicates),
        cmocka_unit_test(test_psklist_long_identity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
