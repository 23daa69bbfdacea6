/* test-reason.c — unit tests of the reason-code table and the reason list. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/reason.h"

static void test_every_code_has_entry(void **state)
{
    (void)state;
    for (int c = 1; c < REASON_COUNT_; c++) {
        const reason_info *info = reason_get((reason_code)c);
        assert_non_null(info);
        assert_int_equal(info->code, c);
        assert_non_null(info->name);
        assert_non_null(info->text);
        assert_true(strlen(info->text) > 10);
        assert_int_not_equal(info->text[strlen(info->text) - 1], '.');
        assert_true(info->severity >= REASON_INFO && info->severity <= REASON_CRITICAL);
        for (const char *p = info->name; *p; p++)
            assert_true((*p >= 'a' && *p <= 'z') || *p == '_');
        assert_string_equal(reason_name((reason_code)c), info->name);
    }
}

/* True if @p s holds a code point of the CJK Unified Ideographs block (U+4E00..U+9FFF). */
static bool has_cjk(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; p[0]; p++) {
        if (p[0] >= 0xE4 && p[0] <= 0xE9 && p[1] >= 0x80 && p[1] <= 0xBF && p[2] >= 0x80 &&
            p[2] <= 0xBF && (p[0] != 0xE4 || p[1] >= 0xB8))
            return true;
    }
    return false;
}

/* People read Chinese first: every reason has a Chinese text and an English one beside it. */
static void test_every_code_has_chinese_and_english(void **state)
{
    (void)state;
    for (int c = 1; c < REASON_COUNT_; c++) {
        const reason_info *info = reason_get((reason_code)c);
        assert_non_null(info->zh);
        assert_true(strlen(info->zh) > 0);
        assert_true(has_cjk(info->zh));
        assert_false(has_cjk(info->text));
        assert_true(info->text[0] >= 'a' && info->text[0] <= 'z');
        assert_string_equal(reason_zh((reason_code)c), info->zh);
        assert_string_equal(reason_text((reason_code)c), info->text);
        char buf[512], want[512];
        snprintf(want, sizeof(want), "%s (%s)", info->zh, info->text);
        assert_string_equal(reason_describe((reason_code)c, buf, sizeof(buf)), want);
    }
    assert_string_equal(reason_zh(REASON_COUNT_), "未知原因");
    assert_string_equal(reason_text((reason_code)0), "unknown reason");
    char small[8];
    reason_describe(REASON_LICENCE_EXPIRED, small, sizeof(small));
    assert_true(strlen(small) < sizeof(small));
}

static void test_names_and_texts_unique(void **state)
{
    (void)state;
    for (int a = 1; a < REASON_COUNT_; a++) {
        for (int b = a + 1; b < REASON_COUNT_; b++) {
            assert_string_not_equal(reason_get((reason_code)a)->name,
                                    reason_get((reason_code)b)->name);
            assert_string_not_equal(reason_get((reason_code)a)->text,
                                    reason_get((reason_code)b)->text);
            assert_string_not_equal(reason_get((reason_code)a)->zh, reason_get((reason_code)b)->zh);
        }
    }
}

static void test_lookup_by_name(void **state)
{
    (void)state;
    for (int c = 1; c < REASON_COUNT_; c++) {
        const char *name = reason_name((reason_code)c);
        reason_code found = 0;
        assert_true(reason_from_name(name, strlen(name), &found));
        assert_int_equal(found, c);
    }
    reason_code found = REASON_TAMPER;
    assert_false(reason_from_name("machine_unknow", 14, &found));
    assert_false(reason_from_name("machine_unknownx", 16, &found));
    assert_false(reason_from_name("MACHINE_UNKNOWN", 15, &found));
    assert_false(reason_from_name("", 0, &found));
    assert_false(reason_from_name(NULL, 3, &found));
    assert_int_equal(found, REASON_TAMPER);
    /* Not NUL-terminated: only len bytes count. */
    assert_true(reason_from_name("replayXYZ", 6, &found));
    assert_int_equal(found, REASON_REPLAY);
}

static void test_stable_names_and_kinds(void **state)
{
    (void)state;
    /* These names are stored and sent to clients: changing one is a breaking change. */
    assert_string_equal(reason_name(REASON_MACHINE_UNKNOWN), "machine_unknown");
    assert_string_equal(reason_name(REASON_CODE_FORGED), "code_forged");
    assert_string_equal(reason_name(REASON_PERMIT_NONE), "permit_none");
    assert_string_equal(reason_name(REASON_REPLAY), "replay");
    assert_int_equal(REASON_REPLAY, 33);
    assert_true(reason_get(REASON_LICENCE_EXPIRED)->violation);
    assert_int_equal(reason_get(REASON_TAMPER)->severity, REASON_CRITICAL);
    assert_false(reason_get(REASON_CODE_MALFORMED)->violation);
    assert_string_equal(reason_name(REASON_TRAINING_EXPIRED), "training_expired");
    assert_false(reason_get(REASON_TRAINING_EXPIRED)->violation); /* as training_missing */
}

static void test_out_of_range(void **state)
{
    (void)state;
    assert_null(reason_get(0));
    assert_null(reason_get(REASON_COUNT_));
    assert_null(reason_get((reason_code)-1));
    assert_string_equal(reason_name(0), "unknown");
    assert_string_equal(reason_name((reason_code)999), "unknown");
    assert_string_equal(reason_severity_name(REASON_INFO), "info");
    assert_string_equal(reason_severity_name(REASON_WARNING), "warning");
    assert_string_equal(reason_severity_name(REASON_CRITICAL), "critical");
    assert_string_equal(reason_severity_name((reason_severity)7), "unknown");
}

static void test_list(void **state)
{
    (void)state;
    reason_list list;
    reason_list_init(&list);
    assert_int_equal(list.count, 0);
    assert_int_equal(reason_list_severity(&list), REASON_INFO);
    reason_list_add(&list, REASON_LATE_EVENT);
    reason_list_add(&list, REASON_LATE_EVENT);
    reason_list_add(&list, 0);
    reason_list_add(&list, REASON_COUNT_);
    assert_int_equal(list.count, 1);
    assert_int_equal(reason_list_severity(&list), REASON_INFO);
    reason_list_add(&list, REASON_CLOCK_SKEW);
    assert_int_equal(reason_list_severity(&list), REASON_WARNING);
    assert_true(reason_list_has(&list, REASON_CLOCK_SKEW));
    assert_false(reason_list_has(&list, REASON_TAMPER));
    /* Adding every code twice fills the list exactly once, in order. */
    for (int round = 0; round < 2; round++) {
        for (int c = REASON_COUNT_ - 1; c >= 1; c--)
            reason_list_add(&list, (reason_code)c);
    }
    assert_int_equal(list.count, REASON_COUNT_ - 1);
    assert_int_equal(list.codes[0], REASON_LATE_EVENT);
    assert_int_equal(list.codes[1], REASON_CLOCK_SKEW);
    assert_int_equal(list.codes[2], (reason_code)(REASON_COUNT_ - 1)); /* the last code */
    assert_int_equal(reason_list_severity(&list), REASON_CRITICAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_code_has_entry),
        cmocka_unit_test(test_every_code_has_chinese_and_english),
        cmocka_unit_test(test_names_and_texts_unique),
        cmocka_unit_test(test_lookup_by_name),
        cmocka_unit_test(test_stable_names_and_kinds),
        cmocka_unit_test(test_out_of_range),
        cmocka_unit_test(test_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
