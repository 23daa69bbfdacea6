/* test-scans.c — unit tests of the last scan of each welder code. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "server/checkin/scans.h"

static code_scan scan_of(unsigned n, int64_t at)
{
    code_scan s = {.lat = 34.5, .lon = 113.4, .at = at, .machine_id = n};
    memcpy(s.cti, &n, sizeof(n)); /* the rest stays 0: near keys collide in the low bits */
    s.cti[CODE_CTI_LEN - 1] = (uint8_t)n;
    return s;
}

static void test_note_and_find(void **state)
{
    (void)state;
    scans *set = scans_create();
    assert_non_null(set);
    for (unsigned n = 1; n <= 5000; n++) {
        code_scan s = scan_of(n, 1000 + n);
        assert_int_equal(scans_note(set, &s), 0);
    }
    assert_int_equal(scans_count(set), 5000);
    for (unsigned n = 1; n <= 5000; n++) {
        code_scan s = scan_of(n, 0);
        const code_scan *found = scans_find(set, s.cti);
        assert_non_null(found);
        assert_int_equal(found->machine_id, n);
    }
    code_scan none = scan_of(9999, 0);
    assert_null(scans_find(set, none.cti));
    scans_destroy(set);
    scans_destroy(NULL);
}

static void test_keeps_the_later(void **state)
{
    (void)state;
    scans *set = scans_create();
    code_scan s = scan_of(7, 2000);
    scans_note(set, &s);
    code_scan older = scan_of(7, 1500);
    older.lat = 1;
    scans_note(set, &older); /* arrived late: the later one stays */
    assert_int_equal(scans_find(set, s.cti)->at, 2000);
    code_scan newer = scan_of(7, 2500);
    newer.lat = 2;
    scans_note(set, &newer);
    assert_true(scans_find(set, s.cti)->lat == 2);
    assert_int_equal(scans_count(set), 1);
    scans_destroy(set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_note_and_find),
        cmocka_unit_test(test_keeps_the_later),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
