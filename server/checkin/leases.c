/* leases.c — the lease thread (leases.h): requests from the loop under a mutex, woken by a
 * condition variable or every lease_s / 3 for the renewal and the leader's round. */
#include "server/checkin/leases.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "server/db/store_leases.h"
#include "server/loop/log.h"

/* Machines the leader adopts in one round at most: a server that died with more hands the
 * rest to the next round, lease_s / 3 later. */
#define LEASES_ADOPT_MAX 256

struct leases {
    store *st;
    char owner[64];
    unsigned lease_s, silent_s;
    pthread_t thread;
    bool started;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    /* asked for by the loop, each already its result (so that the thread never drops one for
     * want of memory, which would leave its machine waiting for good); newest first: the order
     * of takeovers does not matter */
    lease_result *requests;
    lease_result *done_head, *done_tail;
    bool stopping;
    atomic_bool leader;
    int event_fd;
    server_metrics *metrics; /* may be NULL */
};

static void leases_finish(leases *ls, lease_result *r)
{
    pthread_mutex_lock(&ls->lock);
    if (ls->done_tail)
        ls->done_tail->next = r;
    else
        ls->done_head = r;
    ls->done_tail = r;
    pthread_mutex_unlock(&ls->lock);
    uint64_t one = 1;
    ssize_t n = write(ls->event_fd, &one, sizeof(one));
    (void)n; /* the loop drains the counter */
}

/* Takes the lease of r->state.chip_id and hands @p r, with the state read, to the loop. False
 * when the database failed (the connection is then re-made by the caller). */
static bool leases_take(leases *ls, lease_result *r, bool adopt)
{
    char chip_id[sizeof(r->state.chip_id)];
    memcpy(chip_id, r->state.chip_id, sizeof(chip_id));
    char err[256];
    bool taken = false;
    store_status s = store_lease_take(ls->st, ls->owner, ls->lease_s, adopt, &r->state, &taken, err,
                                      sizeof(err));
    r->taken = s == STORE_OK && taken;
    r->adopted = adopt;
    if (r->taken && ls->metrics)
        atomic_fetch_add(adopt ? &ls->metrics->leases_adopted : &ls->metrics->leases_taken, 1);
    if (s != STORE_OK)
        log_event(LOG_LEVEL_ERROR, "lease_failed", "chip=%s error=\"%s\"", chip_id, err);
    else if (taken)
        log_event(adopt ? LOG_LEVEL_INFO : LOG_LEVEL_DEBUG, adopt ? "lease_adopted" : "lease_taken",
                  "chip=%s epoch=%u", chip_id, (unsigned)r->state.lease_epoch);
    if (adopt && !r->taken)
        free(r); /* renewed meanwhile: its server is alive after all */
    else
        leases_finish(ls, r);
    return s != STORE_EUNAVAILABLE;
}

static void leases_set_leader(leases *ls, bool held)
{
    atomic_store(&ls->leader, held);
    if (ls->metrics)
        atomic_store(&ls->metrics->sweep_leader, held);
}

/* The sweep leader's round: adopts the silent machines of servers gone. */
static bool leases_lead(leases *ls)
{
    char err[256];
    bool held = atomic_load(&ls->leader);
    if (!held) {
        if (store_try_advisory_lock(ls->st, LEASES_LEADER_KEY, &held, err, sizeof(err)) != 0)
            return false;
        if (held)
            log_event(LOG_LEVEL_INFO, "sweep_leader", "server_id=%s", ls->owner);
        leases_set_leader(ls, held);
    }
    if (!held)
        return true;
    char *chips = calloc(LEASES_ADOPT_MAX, PRINCIPAL_IDENTITY_MAX + 1);
    if (!chips)
        return true;
    int n = store_leases_orphans(ls->st, ls->silent_s, chips, LEASES_ADOPT_MAX, err, sizeof(err));
    bool ok = n >= 0;
    for (int i = 0; ok && i < n; i++) {
        lease_result *r = calloc(1, sizeof(*r));
        if (!r)
            break; /* out of memory: the next round adopts it */
        snprintf(r->state.chip_id, sizeof(r->state.chip_id), "%s",
                 chips + (size_t)i * (PRINCIPAL_IDENTITY_MAX + 1));
        ok = leases_take(ls, r, true);
    }
    free(chips);
    return ok;
}

/* Every lease_s / 3: renew this server's leases, then the leader's round. */
static bool leases_round(leases *ls)
{
    char err[256];
    if (store_leases_renew(ls->st, ls->owner, ls->lease_s, err, sizeof(err)) < 0) {
        log_event(LOG_LEVEL_ERROR, "leases_not_renewed", "error=\"%s\"", err);
        return false;
    }
    return leases_lead(ls);
}

/* The connection failed: leadership went with it (the lock was the session's). */
static void leases_reconnect(leases *ls)
{
    if (atomic_load(&ls->leader))
        log_event(LOG_LEVEL_WARN, "sweep_leader_lost", "server_id=%s", ls->owner);
    leases_set_leader(ls, false);
    store_reconnect(ls->st);
}

static lease_result *leases_wait(leases *ls, const struct timespec *deadline)
{
    pthread_mutex_lock(&ls->lock);
    while (!ls->requests && !ls->stopping &&
           pthread_cond_timedwait(&ls->wake, &ls->lock, deadline) == 0)
        ;
    lease_result *list = ls->requests;
    ls->requests = NULL;
    pthread_mutex_unlock(&ls->lock);
    return list;
}

static bool leases_stopping(leases *ls)
{
    pthread_mutex_lock(&ls->lock);
    bool stopping = ls->stopping;
    pthread_mutex_unlock(&ls->lock);
    return stopping;
}

static void *leases_main(void *arg)
{
    leases *ls = arg;
    int64_t period_ms = (int64_t)ls->lease_s * 1000 / 3;
    struct timespec next;
    clock_gettime(CLOCK_REALTIME, &next);
    while (!leases_stopping(ls)) {
        bool ok = true;
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        if (now.tv_sec > next.tv_sec ||
            (now.tv_sec == next.tv_sec && now.tv_nsec >= next.tv_nsec)) {
            ok = leases_round(ls);
            int64_t at_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000 + period_ms;
            next = (struct timespec){.tv_sec = at_ms / 1000, .tv_nsec = (at_ms % 1000) * 1000000};
        }
        lease_result *req = leases_wait(ls, &next);
        while (req) {
            lease_result *after = req->next;
            req->next = NULL;
            ok = leases_take(ls, req, false) && ok;
            req = after;
        }
        if (!ok)
            leases_reconnect(ls);
    }
    return NULL;
}

leases *leases_create(const leases_config *cfg, char *err, size_t errlen)
{
    leases *ls = calloc(1, sizeof(*ls));
    if (!ls || strlen(cfg->owner) >= sizeof(ls->owner)) {
        snprintf(err, errlen, ls ? "server_id is too long" : "out of memory");
        free(ls);
        return NULL;
    }
    memcpy(ls->owner, cfg->owner, strlen(cfg->owner) + 1);
    ls->lease_s = cfg->lease_s;
    ls->silent_s = cfg->silent_s;
    ls->metrics = cfg->metrics;
    pthread_mutex_init(&ls->lock, NULL);
    pthread_cond_init(&ls->wake, NULL);
    ls->event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    ls->st = ls->event_fd >= 0 ? store_connect(cfg->conninfo, err, errlen) : NULL;
    if (ls->event_fd < 0)
        snprintf(err, errlen, "could not set up the lease thread");
    if (ls->st && pthread_create(&ls->thread, NULL, leases_main, ls) == 0)
        ls->started = true;
    else if (ls->st)
        snprintf(err, errlen, "could not start the lease thread");
    if (!ls->started) {
        leases_destroy(ls);
        return NULL;
    }
    return ls;
}

/* A clean stop lets this server's leases go at once (the writer has committed what it held):
 * the sweep leader need not wait lease_s for the silent machines among them. */
static void leases_release(leases *ls)
{
    char err[256];
    int64_t released = store_leases_renew(ls->st, ls->owner, 0, err, sizeof(err));
    if (released >= 0)
        log_event(LOG_LEVEL_INFO, "leases_released", "server_id=%s count=%lld", ls->owner,
                  (long long)released);
}

void leases_destroy(leases *ls)
{
    if (!ls)
        return;
    pthread_mutex_lock(&ls->lock);
    ls->stopping = true;
    pthread_cond_signal(&ls->wake);
    pthread_mutex_unlock(&ls->lock);
    if (ls->started) {
        pthread_join(ls->thread, NULL);
        leases_release(ls);
    }
    while (ls->requests) {
        lease_result *next = ls->requests->next;
        free(ls->requests);
        ls->requests = next;
    }
    for (lease_result *r = leases_take_done(ls), *next; r; r = next) {
        next = r->next;
        free(r);
    }
    store_destroy(ls->st);
    if (ls->event_fd >= 0)
        close(ls->event_fd);
    pthread_mutex_destroy(&ls->lock);
    pthread_cond_destroy(&ls->wake);
    free(ls);
}

int leases_request(leases *ls, const char *chip_id)
{
    lease_result *req = calloc(1, sizeof(*req));
    if (!req)
        return -1;
    snprintf(req->state.chip_id, sizeof(req->state.chip_id), "%s", chip_id);
    pthread_mutex_lock(&ls->lock);
    req->next = ls->requests;
    ls->requests = req;
    pthread_cond_signal(&ls->wake);
    pthread_mutex_unlock(&ls->lock);
    return 0;
}

int leases_event_fd(const leases *ls)
{
    return ls->event_fd;
}

lease_result *leases_take_done(leases *ls)
{
    uint64_t count;
    ssize_t n = read(ls->event_fd, &count, sizeof(count));
    (void)n; /* EAGAIN: nothing was signalled since the last take */
    pthread_mutex_lock(&ls->lock);
    lease_result *list = ls->done_head;
    ls->done_head = ls->done_tail = NULL;
    pthread_mutex_unlock(&ls->lock);
    return list;
}

bool leases_is_leader(const leases *ls)
{
    return atomic_load(&ls->leader);
}
