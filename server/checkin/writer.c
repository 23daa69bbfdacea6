/* writer.c — group commit on a thread of its own, woken by a condition variable; it wakes the
 * event loop through an eventfd. */
#include "server/checkin/writer.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "server/loop/log.h"

struct writer {
    store *st;
    unsigned batch_max;
    unsigned queue_max; /* 0: no bound (the offline writer accepts nothing anyway) */
    atomic_uint queued; /* submitted check-ins not yet taken into a batch */
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    writer_job *pending_head, *pending_tail;
    writer_job *done_head, *done_tail;
    bool stopping;
    bool joined;
    atomic_bool available;
    int event_fd;
    atomic_ulong batches, jobs;
    server_metrics *metrics; /* may be NULL */
};

static void writer_append(writer_job **head, writer_job **tail, writer_job *list)
{
    if (!list)
        return;
    if (*tail)
        (*tail)->next = list;
    else
        *head = list;
    while (list->next)
        list = list->next;
    *tail = list;
}

static void writer_finish(writer *w, writer_job *list)
{
    pthread_mutex_lock(&w->lock);
    writer_append(&w->done_head, &w->done_tail, list);
    pthread_mutex_unlock(&w->lock);
    uint64_t one = 1;
    ssize_t n = write(w->event_fd, &one, sizeof(one));
    (void)n; /* the counter cannot overflow in practice; the loop drains it */
}

/* Takes up to batch_max pending jobs. Waits for one until the writer stops, or for at most
 * @p max_wait_ms when that is not negative. */
static writer_job *writer_take_batch(writer *w, checkin_record **records, size_t *n,
                                     int max_wait_ms)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += max_wait_ms / 1000;
    deadline.tv_nsec += (long)(max_wait_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&w->lock);
    while (!w->pending_head && !w->stopping) {
        if (max_wait_ms < 0)
            pthread_cond_wait(&w->wake, &w->lock);
        else if (pthread_cond_timedwait(&w->wake, &w->lock, &deadline) != 0)
            break;
    }
    writer_job *head = w->pending_head, *job = head, *last = NULL;
    *n = 0;
    while (job && *n < w->batch_max) {
        records[(*n)++] = &job->rec;
        last = job;
        job = job->next;
    }
    if (last)
        last->next = NULL;
    atomic_fetch_sub_explicit(&w->queued, (unsigned)*n, memory_order_relaxed);
    if (w->metrics)
        atomic_fetch_sub_explicit(&w->metrics->queue_depth, (long)*n, memory_order_relaxed);
    w->pending_head = job;
    if (!job)
        w->pending_tail = NULL;
    pthread_mutex_unlock(&w->lock);
    return head;
}

static void writer_reconnect(writer *w)
{
    if (store_reconnect(w->st) == STORE_OK) {
        atomic_store(&w->available, true);
        if (w->metrics) {
            atomic_store(&w->metrics->db_up[METRICS_CONN_WRITER], true);
            atomic_fetch_add(&w->metrics->db_reconnects[METRICS_CONN_WRITER], 1);
        }
        log_event(LOG_LEVEL_INFO, "database_reconnected", NULL);
    }
}

static bool writer_is_stopping(writer *w)
{
    pthread_mutex_lock(&w->lock);
    bool stopping = w->stopping;
    pthread_mutex_unlock(&w->lock);
    return stopping;
}

static void writer_write_batch(writer *w, checkin_record **records, size_t n)
{
    if (!atomic_load(&w->available)) {
        for (size_t i = 0; i < n; i++)
            records[i]->status = STORE_EUNAVAILABLE;
        return;
    }
    double start = metrics_now_s();
    if (store_write_checkins(w->st, records, n) == STORE_EUNAVAILABLE) {
        atomic_store(&w->available, false);
        if (w->metrics) {
            atomic_store(&w->metrics->db_up[METRICS_CONN_WRITER], false);
            atomic_fetch_add(&w->metrics->db_lost[METRICS_CONN_WRITER], 1);
        }
        log_event(LOG_LEVEL_ERROR, "database_lost", "batch=%zu", n);
        return;
    }
    atomic_fetch_add(&w->batches, 1);
    atomic_fetch_add(&w->jobs, n);
    if (w->metrics) {
        metrics_observe(&w->metrics->batch_size, (double)n);
        metrics_observe(&w->metrics->commit_seconds, metrics_now_s() - start);
    }
}

/* While the database is away the thread wakes every 500 ms to try again, failing whatever is
 * queued meanwhile so that devices hear 5.03 at once instead of waiting. */
static void *writer_main(void *arg)
{
    writer *w = arg;
    /* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers, as meant */
    checkin_record **records = calloc(w->batch_max, sizeof(*records));
    if (!records) {
        log_event(LOG_LEVEL_ERROR, "writer_failed", "reason=\"out of memory\"");
        return NULL;
    }
    for (;;) {
        bool available = atomic_load(&w->available);
        size_t n = 0;
        writer_job *batch = writer_take_batch(w, records, &n, available ? -1 : 500);
        if (batch) {
            writer_write_batch(w, records, n);
            writer_finish(w, batch);
        } else if (writer_is_stopping(w)) {
            break;
        }
        if (!atomic_load(&w->available))
            writer_reconnect(w);
    }
    free(records);
    return NULL;
}

/* A writer without a connection or a thread; close with writer_destroy(). */
static writer *writer_alloc(unsigned batch_max)
{
    writer *w = calloc(1, sizeof(*w));
    if (!w)
        return NULL;
    w->batch_max = batch_max ? batch_max : 1;
    w->event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->wake, NULL);
    w->joined = true; /* no thread yet */
    if (w->event_fd < 0) {
        writer_destroy(w);
        return NULL;
    }
    return w;
}

writer *writer_create(const char *conninfo, const writer_limits *limits, server_metrics *metrics,
                      char *err, size_t errlen)
{
    writer *w = writer_alloc(limits->batch_max);
    if (!w) {
        snprintf(err, errlen, "could not set up the writer");
        return NULL;
    }
    w->queue_max = limits->queue_max;
    w->metrics = metrics;
    atomic_store(&w->available, true);
    if (metrics)
        atomic_store(&metrics->db_up[METRICS_CONN_WRITER], true);
    w->st = store_connect(conninfo, err, errlen);
    if (w->st && store_set_fence(w->st, limits->fence_owner) != 0) {
        snprintf(err, errlen, "server_id is too long");
        store_destroy(w->st);
        w->st = NULL;
    }
    if (!w->st) {
        writer_destroy(w);
        return NULL;
    }
    w->joined = false; /* writer_stop() joins the thread from now on */
    if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
        snprintf(err, errlen, "could not start the writer thread");
        w->joined = true;
        writer_destroy(w);
        return NULL;
    }
    return w;
}

writer *writer_create_offline(void)
{
    return writer_alloc(1);
}

static void writer_free_list(writer_job *job)
{
    while (job) {
        writer_job *next = job->next;
        free(job);
        job = next;
    }
}

void writer_stop(writer *w)
{
    pthread_mutex_lock(&w->lock);
    bool joined = w->joined;
    w->stopping = true;
    w->joined = true;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    if (!joined)
        pthread_join(w->thread, NULL);
}

void writer_destroy(writer *w)
{
    if (!w)
        return;
    writer_stop(w);
    writer_free_list(w->pending_head);
    writer_free_list(w->done_head);
    store_destroy(w->st);
    if (w->event_fd >= 0)
        close(w->event_fd);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->wake);
    free(w);
}

void writer_submit(writer *w, writer_job *job)
{
    job->next = NULL;
    atomic_fetch_add_explicit(&w->queued, 1, memory_order_relaxed);
    if (w->metrics)
        atomic_fetch_add_explicit(&w->metrics->queue_depth, 1, memory_order_relaxed);
    pthread_mutex_lock(&w->lock);
    writer_append(&w->pending_head, &w->pending_tail, job);
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
}

int writer_event_fd(const writer *w)
{
    return w->event_fd;
}

writer_job *writer_take_done(writer *w)
{
    uint64_t count;
    ssize_t n = read(w->event_fd, &count, sizeof(count));
    (void)n; /* EAGAIN just means nothing was signalled since the last take */
    pthread_mutex_lock(&w->lock);
    writer_job *list = w->done_head;
    w->done_head = w->done_tail = NULL;
    pthread_mutex_unlock(&w->lock);
    return list;
}

bool writer_is_available(const writer *w)
{
    return atomic_load(&w->available);
}

bool writer_accepts(const writer *w)
{
    return atomic_load(&w->available) &&
           (!w->queue_max || atomic_load_explicit(&w->queued, memory_order_relaxed) < w->queue_max);
}

void writer_stats(const writer *w, unsigned long *batches, unsigned long *jobs)
{
    *batches = atomic_load(&w->batches);
    *jobs = atomic_load(&w->jobs);
}
