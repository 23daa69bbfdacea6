/* test-violation.c — unit tests of the violation life cycle and the on-site finding table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/reason.h"
#include "core/violation.h"

static void test_status_names_round_trip(void **state)
{
    (void)state;
    for (int s = 0; s < VIOLATION_STATUS_COUNT_; s++) {
        const char *name = violation_status_name((violation_status)s);
        assert_non_null(name);
        violation_status back;
        assert_true(violation_status_from_name(name, strlen(name), &back));
        assert_int_equal(back, s);
    }
    violation_status out;
    assert_false(violation_status_from_name("opened", 6, &out));
    assert_false(violation_status_from_name("ope", 3, &out));
    assert_false(violation_status_from_name("", 0, &out));
    assert_null(violation_status_name(VIOLATION_STATUS_COUNT_));
    assert_null(violation_status_name((violation_status)-1));
}

static void test_steps_forward_only(void **state)
{
    (void)state;
    /* every pair: exactly the five steps of the life cycle are allowed */
    int allowed = 0;
    for (int from = 0; from < VIOLATION_STATUS_COUNT_; from++)
        for (int to = 0; to < VIOLATION_STATUS_COUNT_; to++)
            allowed += violation_step_allowed((violation_status)from, (violation_status)to);
    assert_int_equal(allowed, 5);
    assert_true(violation_step_allowed(VIOLATION_OPEN, VIOLATION_ACKNOWLEDGED));
    assert_true(violation_step_allowed(VIOLATION_OPEN, VIOLATION_RESOLVED));
    assert_true(violation_step_allowed(VIOLATION_OPEN, VIOLATION_DISMISSED));
    assert_true(violation_step_allowed(VIOLATION_ACKNOWLEDGED, VIOLATION_RESOLVED));
    assert_true(violation_step_allowed(VIOLATION_ACKNOWLEDGED, VIOLATION_DISMISSED));
    assert_false(violation_step_allowed(VIOLATION_ACKNOWLEDGED, VIOLATION_OPEN));
    assert_false(violation_step_allowed(VIOLATION_RESOLVED, VIOLATION_DISMISSED));
    assert_false(violation_step_allowed(VIOLATION_DISMISSED, VIOLATION_OPEN));
    assert_false(violation_step_allowed(VIOLATION_OPEN, VIOLATION_OPEN));
}

static void test_notes_required_to_close(void **state)
{
    (void)state;
    assert_false(violation_step_needs_note(VIOLATION_ACKNOWLEDGED));
    assert_true(violation_step_needs_note(VIOLATION_RESOLVED));
    assert_true(violation_step_needs_note(VIOLATION_DISMISSED));
}

static void test_onsite_kinds(void **state)
{
    (void)state;
    for (int k = 0; k < ONSITE_KIND_COUNT_; k++) {
        const onsite_kind_info *info = onsite_kind_find((onsite_kind)k);
        assert_non_null(info);
        assert_int_equal(info->kind, k);
        assert_ptr_equal(onsite_kind_from_name(info->name, strlen(info->name)), info);
        /* violation kinds must not collide with check-in reasons */
        for (int c = 1; c < REASON_COUNT_; c++)
            assert_string_not_equal(reason_name((reason_code)c), info->violation_kind);
    }
    assert_true(onsite_kind_find(ONSITE_MACHINE_WITHOUT_CHIP)->severity == REASON_CRITICAL);
    assert_true(onsite_kind_find(ONSITE_OTHER)->needs_note);
    assert_null(onsite_kind_find(ONSITE_KIND_COUNT_));
    assert_null(onsite_kind_from_name("machine_without", 15));
    assert_null(onsite_kind_from_name("lead_confirmed", 14));
}

/* Every kind of violation reads in Chinese and English: a reason's text, or an on-site
 * finding's; anything else is "unknown". */
static void test_kind_texts(void **state)
{
    (void)state;
    const char *kinds[VIOLATION_KINDS_MAX + 1];
    size_t n = violation_kinds(kinds, sizeof(kinds) / sizeof(kinds[0]));
    for (size_t i = 0; i < n; i++) {
        assert_string_not_equal(violation_kind_zh(kinds[i], strlen(kinds[i])), "未知违规");
        assert_string_not_equal(violation_kind_en(kinds[i], strlen(kinds[i])), "unknown violation");
    }
    assert_string_equal(violation_kind_zh("licence_expired", 15),
                        reason_zh(REASON_LICENCE_EXPIRED));
    assert_string_equal(violation_kind_zh("onsite_machine_without_chip", 27), "现场发现无芯焊机");
    assert_string_equal(violation_kind_zh("licence_expire", 14), "未知违规");
    assert_string_equal(violation_kind_en("machine_without_chip", 20), "unknown violation");
}

/* The names a violations listing may be filtered by: every reason that is a violation, the
 * kinds on-site findings raise, the public report's, nothing else. */
static void test_violation_kinds(void **state)
{
    (void)state;
    const char *kinds[VIOLATION_KINDS_MAX + 1];
    size_t n = violation_kinds(kinds, sizeof(kinds) / sizeof(kinds[0]));
    assert_null(kinds[n]);
    size_t reasons = 0;
    for (int c = 1; c < REASON_COUNT_; c++)
        reasons += reason_get((reason_code)c)->violation;
    assert_int_equal(n, reasons + ONSITE_KIND_COUNT_ + 1);
    assert_string_equal(kinds[n - 1], VIOLATION_PUBLIC_REPORT);
    bool tamper = false, onsite_other = false;
    for (size_t i = 0; i < n; i++) {
        reason_code code;
        if (reason_from_name(kinds[i], strlen(kinds[i]), &code))
            assert_true(reason_get(code)->violation);
        tamper |= strcmp(kinds[i], "tamper") == 0;
        onsite_other |= strcmp(kinds[i], "onsite_other") == 0;
        assert_string_not_equal(kinds[i], "training_missing"); /* a reason, not a violation */
    }
    assert_true(tamper && onsite_other);
    const char *few[3];
    assert_int_equal(violation_kinds(few, 3), 2);
    assert_null(few[2]);
}

/* Rectification: a deadline for every kind, by the table first, then by severity; only the
 * resolving step is a 销号. */
static void test_deadlines(void **state)
{
    (void)state;
    assert_int_equal(violation_deadline_days("tamper", 6), 3);
    assert_int_equal(violation_deadline_days("major_hazard", 12), 30);
    assert_int_equal(violation_deadline_days("permit_none", 11), 7);     /* critical */
    assert_int_equal(violation_deadline_days("heartbeat_lost", 14), 15); /* warning */
    assert_int_equal(violation_deadline_days("onsite_other", 12), 15);   /* warning */
    assert_int_equal(violation_deadline_days("public_report", 13), 15);  /* warning */
    assert_int_equal(violation_deadline_days("no_such_kind", 12), VIOLATION_DEADLINE_DEFAULT_DAYS);
    assert_int_equal(violation_deadline_days(NULL, 0), VIOLATION_DEADLINE_DEFAULT_DAYS);
    assert_int_equal(violation_deadline_days("tamperx", 6), 3); /* the length decides */
    const char *kinds[VIOLATION_KINDS_MAX];
    int days[VIOLATION_KINDS_MAX];
    const char *all[VIOLATION_KINDS_MAX + 1];
    size_t n = violation_deadlines(kinds, days, VIOLATION_KINDS_MAX);
    assert_int_equal(n, violation_kinds(all, VIOLATION_KINDS_MAX + 1));
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(kinds[i], all[i]);
        assert_true(days[i] >= 1 && days[i] <= 365);
    }
    assert_int_equal(violation_deadlines(kinds, days, 2), 2);
    assert_true(violation_step_is_closing(VIOLATION_RESOLVED));
    assert_false(violation_step_is_closing(VIOLATION_DISMISSED));
    assert_false(violation_step_is_closing(VIOLATION_ACKNOWLEDGED));
    assert_string_equal(violation_entry_name(VIOLATION_ENTRY_EVIDENCE), "evidence");
    assert_string_equal(violation_entry_name(VIOLATION_ENTRY_PROGRESS), "progress");
    assert_string_equal(violation_entry_name(VIOLATION_ENTRY_STATUS), "status");
    assert_null(violation_entry_name(VIOLATION_ENTRY_COUNT_));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_names_round_trip),
        cmocka_unit_test(test_steps_forward_only),
        cmocka_unit_test(test_notes_required_to_close),
        cmocka_unit_test(test_onsite_kinds),
        cmocka_unit_test(test_violation_kinds),
        cmocka_unit_test(test_kind_texts),
        cmocka_unit_test(test_deadlines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
