/* api_pool.c — worker threads for people's requests, each with its own connection, woken by a
 * condition variable; they wake the event loop through an eventfd. */
#include "server/api/api_pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "server/loop/log.h"

#define API_POOL_RETRY_MIN_MS 500
#define API_POOL_RETRY_MAX_MS 8000

typedef struct api_worker {
    api_pool *pool;
    pthread_t thread;
    bool started;
    unsigned index;
} api_worker;

struct api_pool {
    char *conninfo;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    api_job *queue_head, *queue_tail;
    api_job *done_head, *done_tail;
    bool stopping;
    int event_fd;
    unsigned count;
    unsigned attempted;    /* workers that tried to connect once (api_pool_create waits for all) */
    atomic_uint connected; /* workers with a connection */
    /* connections found lost so far: when one worker finds the database gone (a failover, a
     * restart), the others' idle connections are as dead, so each checks its own at once
     * instead of failing its next request with it */
    atomic_uint losses;
    api_worker workers[];
};

static void api_pool_append(api_job **head, api_job **tail, api_job *job)
{
    job->next = NULL;
    if (*tail)
        (*tail)->next = job;
    else
        *head = job;
    *tail = job;
}

static int64_t api_pool_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for a job, or until @p retry_at (monotonic ms; 0: no limit) when the worker has a
 * connection to make, or until another worker found its connection lost (the count of losses
 * is no longer @p losses_seen). NULL when the pool stops or the time came. */
static api_job *api_pool_next(api_pool *p, int64_t retry_at, unsigned losses_seen)
{
    api_job *job = NULL;
    pthread_mutex_lock(&p->lock);
    /* a connection due to be tried again comes first: while it is made, the loop answers for
     * this worker if no other has one (api_pool_connected) */
    if ((retry_at && api_pool_now_ms() >= retry_at) || atomic_load(&p->losses) != losses_seen) {
        pthread_mutex_unlock(&p->lock);
        return NULL;
    }
    while (!p->stopping && !p->queue_head && atomic_load(&p->losses) == losses_seen) {
        int64_t wait_ms = retry_at ? retry_at - api_pool_now_ms() : -1;
        if (retry_at && wait_ms <= 0)
            break;
        if (!retry_at) {
            pthread_cond_wait(&p->wake, &p->lock);
            continue;
        }
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += wait_ms / 1000;
        until.tv_nsec += (wait_ms % 1000) * 1000000;
        if (until.tv_nsec >= 1000000000) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&p->wake, &p->lock, &until);
    }
    if (!p->stopping && p->queue_head) {
        job = p->queue_head;
        p->queue_head = job->next;
        if (!p->queue_head)
            p->queue_tail = NULL;
    }
    pthread_mutex_unlock(&p->lock);
    return job;
}

static void api_pool_done(api_pool *p, api_job *job)
{
    pthread_mutex_lock(&p->lock);
    api_pool_append(&p->done_head, &p->done_tail, job);
    pthread_mutex_unlock(&p->lock);
    uint64_t one = 1;
    if (write(p->event_fd, &one, sizeof(one)) < 0) {
        /* the counter is full: the loop has a wake-up pending anyway */
    }
}

/* A worker's connection: made, or given up after a failure with the next attempt put off. */
typedef struct api_link {
    store *st;
    int64_t retry_at; /* 0 while connected */
    int64_t backoff_ms;
    bool logged;          /* the outage was said once */
    bool connected;       /* counted in api_pool.connected */
    unsigned losses_seen; /* api_pool.losses when this worker last checked its connection */
} api_link;

/* Notes whether the worker's connection works, for api_pool_connected(). A lost one is tried
 * again at once. */
static void api_pool_note(api_pool *p, api_link *link)
{
    bool up = link->st && store_socket(link->st) >= 0;
    if (up == link->connected)
        return;
    link->connected = up;
    if (up) {
        atomic_fetch_add(&p->connected, 1);
    } else {
        atomic_fetch_sub(&p->connected, 1);
        link->losses_seen = atomic_fetch_add(&p->losses, 1) + 1;
        pthread_mutex_lock(&p->lock);
        pthread_cond_broadcast(&p->wake); /* the idle workers check theirs */
        pthread_mutex_unlock(&p->lock);
    }
    if (!up && !link->retry_at)
        link->retry_at = api_pool_now_ms();
}

static void api_pool_connect(api_pool *p, api_worker *w, api_link *link)
{
    unsigned losses = atomic_load(&p->losses);
    bool check = link->losses_seen != losses;
    link->losses_seen = losses;
    if (check && link->st && store_socket(link->st) >= 0) {
        (void)store_ping(link->st); /* marks it lost if the database is gone */
        /* a lost one stops counting as connected before it is made again (which may take up
         * to connect_timeout): meanwhile the loop answers 5.03 for it instead of queueing */
        api_pool_note(p, link);
    }
    if (link->st && store_socket(link->st) >= 0)
        return;
    if (link->retry_at && api_pool_now_ms() < link->retry_at)
        return;
    store_destroy(link->st);
    char err[256] = "";
    link->st = store_connect(p->conninfo, err, sizeof(err));
    if (link->st) {
        if (link->logged)
            log_event(LOG_LEVEL_INFO, "admin_database_connected", "worker=%u", w->index);
        link->retry_at = 0;
        link->backoff_ms = API_POOL_RETRY_MIN_MS;
        link->logged = false;
        return;
    }
    if (!link->logged)
        log_event(LOG_LEVEL_WARN, "admin_database_unavailable", "worker=%u reason=\"%s\"", w->index,
                  err);
    link->logged = true;
    link->retry_at = api_pool_now_ms() + link->backoff_ms;
    link->backoff_ms =
        link->backoff_ms * 2 > API_POOL_RETRY_MAX_MS ? API_POOL_RETRY_MAX_MS : link->backoff_ms * 2;
}

static void *api_pool_main(void *arg)
{
    api_worker *w = arg;
    api_pool *p = w->pool;
    api_link link = {.backoff_ms = API_POOL_RETRY_MIN_MS};
    api_pool_connect(p, w, &link);
    api_pool_note(p, &link);
    pthread_mutex_lock(&p->lock);
    p->attempted++;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
    for (;;) {
        api_job *job = api_pool_next(p, link.retry_at, link.losses_seen);
        if (!job) {
            pthread_mutex_lock(&p->lock);
            bool stopping = p->stopping;
            pthread_mutex_unlock(&p->lock);
            if (stopping)
                break;
            api_pool_connect(p, w, &link); /* the time for another attempt, or a check, came */
            api_pool_note(p, &link);
            continue;
        }
        /* never connects with a job in hand: a job meets no connection and answers 5.03 */
        api_pool_note(p, &link);
        job->run(job, link.connected ? link.st : NULL);
        api_pool_done(p, job);
        api_pool_note(p, &link); /* the job may have found it lost */
    }
    if (link.connected)
        atomic_fetch_sub(&p->connected, 1);
    store_destroy(link.st);
    return NULL;
}

api_pool *api_pool_create(const char *conninfo, unsigned workers, char *err, size_t errlen)
{
    api_pool *p = calloc(1, sizeof(*p) + workers * sizeof(p->workers[0]));
    if (!p || !(p->conninfo = strdup(conninfo))) {
        free(p);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->wake, NULL);
    p->event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (p->event_fd < 0) {
        snprintf(err, errlen, "could not create an eventfd: %s", strerror(errno));
        api_pool_destroy(p);
        return NULL;
    }
    for (unsigned i = 0; i < workers; i++) {
        api_worker *w = &p->workers[i];
        w->pool = p;
        w->index = i;
        if (pthread_create(&w->thread, NULL, api_pool_main, w) != 0) {
            snprintf(err, errlen, "could not start API worker %u", i);
            api_pool_destroy(p);
            return NULL;
        }
        w->started = true;
        p->count = i + 1;
    }
    /* like the server's other connections, the workers' are made before the loop runs */
    pthread_mutex_lock(&p->lock);
    while (p->attempted < p->count)
        pthread_cond_wait(&p->wake, &p->lock);
    pthread_mutex_unlock(&p->lock);
    return p;
}

void api_pool_submit(api_pool *p, api_job *job)
{
    pthread_mutex_lock(&p->lock);
    api_pool_append(&p->queue_head, &p->queue_tail, job);
    pthread_cond_signal(&p->wake);
    pthread_mutex_unlock(&p->lock);
}

bool api_pool_connected(api_pool *p)
{
    return atomic_load(&p->connected) > 0;
}

int api_pool_event_fd(const api_pool *p)
{
    return p->event_fd;
}

api_job *api_pool_take_done(api_pool *p)
{
    uint64_t count;
    if (read(p->event_fd, &count, sizeof(count)) < 0) {
        /* nothing was signalled since the last take: the list may still hold jobs */
    }
    pthread_mutex_lock(&p->lock);
    api_job *jobs = p->done_head;
    p->done_head = p->done_tail = NULL;
    pthread_mutex_unlock(&p->lock);
    return jobs;
}

void api_pool_stop(api_pool *p)
{
    pthread_mutex_lock(&p->lock);
    bool joined = p->stopping;
    p->stopping = true;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
    if (joined)
        return;
    for (unsigned i = 0; i < p->count; i++)
        if (p->workers[i].started)
            pthread_join(p->workers[i].thread, NULL);
    pthread_mutex_lock(&p->lock);
    while (p->queue_head) {
        api_job *job = p->queue_head;
        p->queue_head = job->next;
        api_pool_append(&p->done_head, &p->done_tail, job);
    }
    p->queue_tail = NULL;
    pthread_mutex_unlock(&p->lock);
}

void api_pool_destroy(api_pool *p)
{
    if (!p)
        return;
    api_pool_stop(p);
    if (p->event_fd >= 0)
        close(p->event_fd);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->wake);
    free(p->conninfo);
    free(p);
}
