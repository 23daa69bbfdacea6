/* test-api_pool.c — the API's worker pool: jobs run once each on a worker, come back in
 * the done list with the eventfd readable; a worker without a connection runs them with none;
 * jobs never run are handed back when the pool stops. */
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "server/api/api_pool.h"

/* no server listens there: every connection attempt fails at once */
#define NOWHERE "host=/nonexistent-weldreg-test dbname=none connect_timeout=1"

typedef struct test_job {
    api_job job;
    atomic_int runs;
    bool had_store;
} test_job;

static void test_run(api_job *job, store *st)
{
    test_job *t = (test_job *)job;
    atomic_fetch_add(&t->runs, 1);
    t->had_store = st != NULL;
}

/* Takes done jobs until @p want have come back (waiting on the eventfd); returns how many. */
static int take_all(api_pool *p, int want)
{
    int got = 0;
    for (int round = 0; round < 100 && got < want; round++) {
        struct pollfd pfd = {.fd = api_pool_event_fd(p), .events = POLLIN};
        poll(&pfd, 1, 100);
        for (api_job *j = api_pool_take_done(p); j; j = j->next)
            got++;
    }
    return got;
}

static void test_jobs_run_once_without_a_connection(void **state)
{
    (void)state;
    char err[256];
    api_pool *p = api_pool_create(NOWHERE, 2, err, sizeof(err));
    assert_non_null(p);
    test_job jobs[5];
    memset(jobs, 0, sizeof(jobs));
    for (int i = 0; i < 5; i++) {
        jobs[i].job.run = test_run;
        jobs[i].had_store = true;
        api_pool_submit(p, &jobs[i].job);
    }
    assert_int_equal(take_all(p, 5), 5);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(atomic_load(&jobs[i].runs), 1);
        assert_false(jobs[i].had_store);
    }
    api_pool_destroy(p);
}

static void test_stop_hands_back_unrun_jobs(void **state)
{
    (void)state;
    char err[256];
    api_pool *p = api_pool_create(NOWHERE, 0, err, sizeof(err)); /* nobody to run them */
    assert_non_null(p);
    test_job jobs[3];
    memset(jobs, 0, sizeof(jobs));
    for (int i = 0; i < 3; i++) {
        jobs[i].job.run = test_run;
        api_pool_submit(p, &jobs[i].job);
    }
    api_pool_stop(p);
    api_job *done = api_pool_take_done(p);
    for (int i = 0; i < 3; i++) { /* in the order they were queued, none run */
        assert_ptr_equal(done, &jobs[i].job);
        assert_int_equal(atomic_load(&jobs[i].runs), 0);
        done = done->next;
    }
    assert_null(done);
    api_pool_destroy(p);
    api_pool_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jobs_run_once_without_a_connection),
        cmocka_unit_test(test_stop_hands_back_unrun_jobs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
