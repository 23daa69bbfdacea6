/* test-sessions.c — machine states: found by chip id across growth, busy welders; a state read
 * with a machine's lease put in place, and a lease lost. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "server/checkin/judge.h"
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

/* Several servers: a state read with a lease replaces what was remembered except the server's
 * own (a CON check-in being committed, the pace); an older lease's state is ignored. */
static void test_adopt_keeps_own_fields(void **state)
{
    (void)state;
    sessions *set = sessions_create();
    machine_state *st = sessions_get(set, "WR-L-1");
    st->pending = true;
    st->pending_mid = 77;
    st->pace_due_ms = 1234;
    st->lease_asked = true;
    st->session.last_seq = 5;
    machine_state loaded;
    memset(&loaded, 0, sizeof(loaded));
    snprintf(loaded.chip_id, sizeof(loaded.chip_id), "WR-L-1");
    loaded.lease_epoch = 4;
    loaded.session.open = true;
    loaded.session.last_seq = 9;
    loaded.session_id = 31;
    loaded.welder_id = 2;
    assert_int_equal(sessions_adopt(set, &loaded), 0);
    st = sessions_get(set, "WR-L-1");
    assert_int_equal(st->lease_epoch, 4);
    assert_int_equal(st->session.last_seq, 9);
    assert_int_equal(st->session_id, 31);
    assert_true(st->pending);
    assert_int_equal(st->pending_mid, 77);
    assert_int_equal(st->pace_due_ms, 1234);
    assert_false(st->lease_asked);
    loaded.lease_epoch = 3; /* older: the lease held already is newer */
    loaded.session.last_seq = 1;
    assert_int_equal(sessions_adopt(set, &loaded), 0);
    assert_int_equal(sessions_get(set, "WR-L-1")->session.last_seq, 9);
    assert_non_null(sessions_of_welder(set, 2));

    /* a record decided under an older epoch came back stale: nothing changes */
    checkin_record rec;
    memset(&rec, 0, sizeof(rec));
    snprintf(rec.chip_id, sizeof(rec.chip_id), "WR-L-1");
    rec.status = STORE_ESTALE;
    rec.lease_epoch = 2;
    assert_int_equal(judge_apply(set, &rec), 0);
    assert_int_equal(sessions_get(set, "WR-L-1")->lease_epoch, 4);
    /* under the lease held: the lease is lost, and the session is the other server's */
    rec.lease_epoch = 4;
    assert_int_equal(judge_apply(set, &rec), 0);
    st = sessions_get(set, "WR-L-1");
    assert_int_equal(st->lease_epoch, 0);
    assert_false(st->session.open);
    assert_int_equal(st->session.last_seq, 9);
    assert_null(sessions_of_welder(set, 2));
    sessions_destroy(set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_many_machines),
        cmocka_unit_test(test_refuses_long_identity),
        cmocka_unit_test(test_adopt_keeps_own_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
