/* test-sessions.c — machine states: found by chip id across growth, busy welders. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "server/checkin/sessions.h"

static void count_open(machine_state *st, void *arg)
{
    (void)st;
    (*(int *)arg)++;
}

static void test_many_machines(void **state)
{
    (void)state;
    sessions *set = sessions_create();
    assert_non_null(set);
    char chip[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(chip, sizeof(chip), "WR-%05d", i);
        machine_state *st = sessions_get(set, chip);
        assert_non_null(st);
        st->session.last_seq = (uint64_t)i;
        st->session.open = i % 7 == 0;
        st->welder_id = i;
    }
    assert_int_equal(sessions_count(set), 5000);
    for (int i = 0; i < 5000; i += 37) {
        snprintf(chip, sizeof(chip), "WR-%05d", i);
        const machine_state *st = sessions_find(set, chip);
        assert_non_null(st);
        assert_int_equal(st->session.last_seq, (uint64_t)i);
        assert_ptr_equal(sessions_get(set, chip), st); /* no second entry */
    }
    assert_null(sessions_find(set, "WR-99999"));
    assert_int_equal(sessions_count(set), 5000);
    int open = 0;
    sessions_each_open(set, count_open, &open);
    assert_int_equal(open, (5000 + 6) / 7);
    assert_non_null(sessions_of_welder(set, 14)); /* open */
    assert_null(sessions_of_welder(set, 15));     /* not open */
    sessions_destroy(set);
}

static void test_refuses_long_identity(void **state)
{
    (void)state;
    sessions *set = sessions_create();
    char chip[80];
    memset(chip, 'A', sizeof(chip) - 1);
    chip[sizeof(chip) - 1] = '\0';
    assert_null(sessions_get(set, chip));
    sessions_destroy(set);
    sessions_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_many_machines),
        cmocka_unit_test(test_refuses_long_identity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
