/* test-writer.c — the writer's group commit. Without a database: the offline writer refuses
 * to be available, keeps what is submitted and frees it at the end. With one (a database of the
 * test's own on DATABASE_URL's server; skipped without): jobs come back in the order they were
 * submitted, committed in batches of at most batch_max, and writer_stop() commits what is still
 * queued before it returns. */
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "server/checkin/writer.h"
#include "testdb.h"

#define WRITER_TEST_T0        1790000000LL
#define WRITER_TEST_BATCH_MAX 4
#define WRITER_TEST_JOBS      10

static testdb writer_test_db;
static bool writer_test_have_db;

/* A job of the test: the writer's part first, as a submitter embeds it (writer.h). */
typedef struct writer_test_job_t {
    writer_job job;
    size_t index; /* its place in the test */
} writer_test_job_t;

/* A heartbeat of @p chip (unknown to the registry, as a check-in may be) numbered @p seq, the
 * @p index-th of the test. */
static writer_job *writer_test_job(const char *chip, uint64_t seq, size_t index)
{
    writer_test_job_t *tj = calloc(1, sizeof(*tj));
    assert_non_null(tj);
    writer_job *job = &tj->job;
    checkin_record *r = &job->rec;
    snprintf(r->chip_id, sizeof(r->chip_id), "%s", chip);
    r->seq = seq;
    r->ev = "hb";
    r->device_ts = r->at = WRITER_TEST_T0 + (int64_t)seq;
    r->amp = -1;
    memset(r->body_hash, (int)(seq & 0xff), sizeof(r->body_hash));
    tj->index = index;
    return job;
}

static bool writer_test_readable(int fd, int timeout_ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, timeout_ms) == 1;
}

static void test_offline_writer(void **state)
{
    (void)state;
    writer_destroy(NULL);
    writer *w = writer_create_offline();
    assert_non_null(w);
    assert_false(writer_is_available(w)); /* check-ins get 5.03 before they are submitted */
    assert_true(writer_event_fd(w) >= 0);
    for (size_t i = 0; i < 3; i++)
        writer_submit(w, writer_test_job("WR-OFFLINE", i + 1, i));
    /* no thread: nothing is written, nothing comes back, nothing is signalled */
    assert_false(writer_test_readable(writer_event_fd(w), 50));
    assert_null(writer_take_done(w));
    unsigned long batches = 1, jobs = 1;
    writer_stats(w, &batches, &jobs);
    assert_int_equal(batches, 0);
    assert_int_equal(jobs, 0);
    writer_stop(w);
    writer_stop(w);    /* twice is harmless */
    writer_destroy(w); /* frees the three jobs still queued (the leak checker says if not) */
}

/* Takes finished jobs until @p want came back or 10 s passed; appends them to @p got. */
static size_t writer_test_collect(writer *w, writer_job **got, size_t have, size_t want)
{
    for (int waits = 0; have < want && waits < 100; waits++) {
        if (!writer_test_readable(writer_event_fd(w), 100))
            continue;
        for (writer_job *job = writer_take_done(w); job; job = job->next)
            if (have < want)
                got[have++] = job;
    }
    return have;
}

static void writer_test_free(writer_job **jobs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(jobs[i]);
}

/* What the writer counts (server/loop/metrics.h), made again by each writer_test_start(). */
static server_metrics writer_test_metrics;

/* A writer on the test's database; skips the test without one. */
static writer *writer_test_start(void)
{
    if (!writer_test_have_db)
        skip();
    char err[256];
    server_metrics_init(&writer_test_metrics);
    writer *w =
        writer_create(writer_test_db.conninfo, &(writer_limits){WRITER_TEST_BATCH_MAX, 0, NULL},
                      &writer_test_metrics, err, sizeof(err));
    if (!w)
        fail_msg("writer_create: %s", err);
    assert_true(writer_is_available(w));
    return w;
}

/* The @p n jobs of @p chip came back oldest first, stored, and the database holds @p n rows. */
static void writer_test_check(writer_job **got, size_t n, const char *chip)
{
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(((writer_test_job_t *)got[i])->index, i);
        assert_int_equal(got[i]->rec.status, STORE_OK);
        assert_true(got[i]->rec.id > 0);
        assert_false(got[i]->rec.duplicate);
    }
    char sql[128];
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM checkins WHERE chip_id = '%s'", chip);
    assert_int_equal(testdb_int(&writer_test_db, sql), n);
}

static void test_batches_keep_order(void **state)
{
    (void)state;
    writer *w = writer_test_start();
    for (size_t i = 0; i < WRITER_TEST_JOBS; i++)
        writer_submit(w, writer_test_job("WR-BATCH", i + 1, i));
    writer_job *got[WRITER_TEST_JOBS];
    size_t n = writer_test_collect(w, got, 0, WRITER_TEST_JOBS);
    assert_int_equal(n, WRITER_TEST_JOBS);
    writer_test_check(got, n, "WR-BATCH");
    unsigned long batches, jobs;
    writer_stats(w, &batches, &jobs);
    assert_int_equal(jobs, WRITER_TEST_JOBS);
    /* at most batch_max a transaction: 10 jobs take at least 3 */
    assert_true(batches >= (WRITER_TEST_JOBS + WRITER_TEST_BATCH_MAX - 1) / WRITER_TEST_BATCH_MAX);
    assert_true(batches <= WRITER_TEST_JOBS);
    /* the metrics saw every batch, and nothing waits */
    const metrics_histogram *sizes = &writer_test_metrics.batch_size;
    unsigned long counted = 0;
    for (size_t i = 0; i <= sizes->n_bounds; i++)
        counted += atomic_load(&sizes->in_bucket[i]);
    assert_int_equal(counted, batches);
    assert_int_equal(atomic_load(&sizes->sum_micro), WRITER_TEST_JOBS * 1000000ULL);
    assert_int_equal(atomic_load(&writer_test_metrics.queue_depth), 0);
    assert_true(atomic_load(&writer_test_metrics.db_up[METRICS_CONN_WRITER]));
    writer_test_free(got, n);
    writer_destroy(w);
}

static void test_stop_commits_what_is_queued(void **state)
{
    (void)state;
    writer *w = writer_test_start();
    enum { queued = 9 };
    for (size_t i = 0; i < queued; i++)
        writer_submit(w, writer_test_job("WR-STOP", i + 1, i));
    writer_stop(w); /* returns once the queue is committed */
    writer_job *got[queued];
    size_t n = 0, count = 0;
    for (writer_job *job = writer_take_done(w); job; job = job->next, count++)
        if (n < queued)
            got[n++] = job;
    assert_int_equal(count, queued);
    writer_test_check(got, n, "WR-STOP");
    writer_test_free(got, n);
    writer_destroy(w);
}

static int writer_test_setup(void **state)
{
    (void)state;
    int rc = testdb_create(&writer_test_db, "writer");
    writer_test_have_db = rc == 0;
    return rc < 0 ? -1 : 0;
}

static int writer_test_teardown(void **state)
{
    (void)state;
    testdb_destroy(&writer_test_db);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_offline_writer),
        cmocka_unit_test(test_batches_keep_order),
        cmocka_unit_test(test_stop_commits_what_is_queued),
    };
    return cmocka_run_group_tests(tests, writer_test_setup, writer_test_teardown);
}
