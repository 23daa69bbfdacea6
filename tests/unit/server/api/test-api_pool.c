/* test-api_pool.c — the API's worker pool: jobs run once each on a worker, come back in
 * the done list with the eventfd readable; a worker without a connection runs them with none;
 * jobs never run are handed back when the pool stops; a connection found lost makes the other
 * workers check theirs (with PostgreSQL from DATABASE_URL; skipped without). */
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "server/api/api_pool.h"
#include "server/db/store.h"
#include "testdb.h"

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

typedef struct ping_job {
    api_job job;
    bool answered; /* the job's connection answered SELECT 1 */
} ping_job;

static void ping_run(api_job *job, store *st)
{
    ((ping_job *)job)->answered = st && store_ping(st) == STORE_OK;
}

static bool ping_one(api_pool *p)
{
    ping_job job = {.job.run = ping_run};
    api_pool_submit(p, &job.job);
    assert_int_equal(take_all(p, 1), 1);
    return job.answered;
}

#define OTHER_BACKENDS                                                                             \
    "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"

/* The pool's connections to the test's database: after @p want, or after 10 s. */
static long long wait_backends(testdb *db, long long want)
{
    long long n = -1;
    for (int i = 0; i < 100 && (n = testdb_int(db, "SELECT count(*) " OTHER_BACKENDS)) != want; i++)
        usleep(100 * 1000);
    return n;
}

/* A failover leaves every idle worker with a connection to the old primary that looks open
 * until used: the first job that finds its own lost makes the others check theirs at once, so
 * that the next jobs find new connections instead of each failing one person's request. */
static void test_a_lost_connection_makes_the_others_check(void **state)
{
    (void)state;
    testdb db;
    int rc = testdb_create(&db, "api_pool");
    if (rc == 1)
        skip();
    assert_int_equal(rc, 0);
    char err[256];
    api_pool *p = api_pool_create(db.conninfo, 3, err, sizeof(err));
    assert_non_null(p);
    assert_int_equal(wait_backends(&db, 3), 3);
    testdb_int(&db, "SELECT count(pg_terminate_backend(pid)) " OTHER_BACKENDS);
    assert_int_equal(wait_backends(&db, 0), 0);
    assert_false(ping_one(p));                  /* a worker finds its connection gone ... */
    assert_int_equal(wait_backends(&db, 3), 3); /* ... and every worker makes a new one */
    for (int i = 0; i < 6; i++)
        assert_true(ping_one(p));
    api_pool_destroy(p);
    testdb_destroy(&db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jobs_run_once_without_a_connection),
        cmocka_unit_test(test_stop_hands_back_unrun_jobs),
        cmocka_unit_test(test_a_lost_connection_makes_the_others_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
