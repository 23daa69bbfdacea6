/* refresher.c — the snapshot thread: LISTEN, coalesce, reload, publish through an eventfd. */
#include "server/views/refresher.h"

#include <openssl/crypto.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "server/loop/log.h"
#include "server/db/store.h"
#include "server/db/store_life.h"
#include "server/views/kek.h"

/* After a notification, more usually follow (an import, a transaction touching many rows):
 * wait this long for quiet before reloading, so a burst costs one reload. */
#define REFRESHER_QUIET_MS 200
/* The check-in partitions ahead are counted again this often (and at each reload). */
#define REFRESHER_PARTITIONS_MS (600 * 1000LL)
/* New violations: no reload, only a signal to the loop (which tells the observers). */
#define REFRESHER_VIOLATIONS "weldreg_violations"

struct refresher {
    store *st;
    const uint8_t *kek;        /* the server's, SECRET_KEK_LEN bytes: read, never copied */
    refresher_kek_files files; /* NULL members: kek only */
    pthread_t thread;
    bool started;
    atomic_bool stopping;
    atomic_bool violations;   /* violations were recorded since the loop last asked */
    atomic_bool reload_asked; /* refresher_request_reload(): reload at the next wake-up */
    server_metrics *metrics;  /* may be NULL */
    int event_fd;
    pthread_mutex_t lock;
    principal_table *next_principals; /* the snapshot waiting for the loop */
    registry *next_registry;
    int64_t partitions_read_ms; /* monotonic ms of the last count of the partitions ahead */
};

static int refresher_listen(refresher *r)
{
    return store_listen(r->st, "weldreg_principals") == 0 &&
                   store_listen(r->st, "weldreg_registry") == 0 &&
                   store_listen(r->st, REFRESHER_VIOLATIONS) == 0
               ? 0
               : -1;
}

static long refresher_ms_since(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long)(now.tv_sec - start->tv_sec) * 1000 + (now.tv_nsec - start->tv_nsec) / 1000000;
}

/* Logs @p event with the size of the views just read and how long each took. */
static void refresher_log_load(const char *event, const principal_table *p, const registry *reg,
                               const long ms[2])
{
    log_event(LOG_LEVEL_INFO, event,
              "principals=%zu machines=%zu welders=%zu permits=%zu principals_ms=%ld "
              "registry_ms=%ld",
              principal_table_count(p), registry_machine_count(reg), registry_welder_count(reg),
              registry_permit_count(reg), ms[0], ms[1]);
}

/* The keys to open the PSKs with: those on disk now, or the server's when they cannot be read
 * (a file being replaced by hand). */
static void refresher_keys(const refresher *r, kek_pair *keys)
{
    if (r->files.current && kek_pair_read(keys, r->files.current, r->files.previous) == 0)
        return;
    if (r->files.current)
        log_event(LOG_LEVEL_WARN, "kek_unreadable",
                  "file=\"%s\" effect=\"the key read at start is used\"", r->files.current);
    memcpy(keys->current, r->kek, SECRET_KEK_LEN);
    keys->has_previous = false;
}

/* Counts the months ahead that have their check-in partition, for the metric (a missing one
 * is no failure: the DEFAULT partition takes the rows meanwhile). */
static void refresher_count_partitions(refresher *r)
{
    int months;
    char err[256];
    r->partitions_read_ms = metrics_monotonic_ms();
    if (!r->metrics)
        return;
    if (store_partitions_months_ahead(r->st, &months, err, sizeof(err)) != 0) {
        log_event(LOG_LEVEL_WARN, "partitions_unread", "error=\"%s\"", err);
        return;
    }
    atomic_store(&r->metrics->partitions_ahead, months);
    if (months == 0)
        log_event(LOG_LEVEL_WARN, "partition_missing",
                  "effect=\"next month's check-ins go to checkins_default: run weldreg-server "
                  "maintain\"");
}

/* Reads both views; @p ms gets how long each took (principals, registry), for the log. */
static int refresher_load(refresher *r, principal_table **p, registry **reg, long ms[2], char *err,
                          size_t errlen)
{
    struct timespec start;
    double began = metrics_now_s();
    clock_gettime(CLOCK_MONOTONIC, &start);
    kek_pair keys;
    refresher_keys(r, &keys);
    int rc = store_load_principals(r->st, &keys, p, err, errlen);
    kek_pair_wipe(&keys);
    if (rc != 0)
        return -1;
    ms[0] = refresher_ms_since(&start);
    clock_gettime(CLOCK_MONOTONIC, &start);
    if (store_load_registry(r->st, reg, err, errlen) != 0) {
        principal_table_destroy(*p);
        return -1;
    }
    ms[1] = refresher_ms_since(&start);
    if (r->metrics)
        metrics_observe(&r->metrics->view_reload_seconds, metrics_now_s() - began);
    refresher_count_partitions(r);
    return 0;
}

static void refresher_wake_loop(refresher *r)
{
    uint64_t one = 1;
    ssize_t n = write(r->event_fd, &one, sizeof(one));
    (void)n; /* the loop drains the counter; it cannot overflow */
}

static void refresher_publish(refresher *r, principal_table *p, registry *reg)
{
    pthread_mutex_lock(&r->lock);
    principal_table_destroy(r->next_principals);
    registry_destroy(r->next_registry);
    r->next_principals = p;
    r->next_registry = reg;
    pthread_mutex_unlock(&r->lock);
    refresher_wake_loop(r);
}

static void refresher_reload(refresher *r)
{
    principal_table *p;
    registry *reg;
    char err[512];
    long ms[2];
    if (refresher_load(r, &p, &reg, ms, err, sizeof(err)) != 0) {
        log_event(LOG_LEVEL_ERROR, "registry_reload_failed", "error=\"%s\"", err);
        return;
    }
    refresher_log_load("registry_loaded", p, reg, ms);
    refresher_publish(r, p, reg);
}

/* Takes the notifications libpq holds; returns how many were about the registry, or -1 if the
 * connection is lost. News of violations is passed to the loop at once. */
static int refresher_take_notifications(refresher *r)
{
    int violations = 0;
    int n = store_drain_notifications(r->st, REFRESHER_VIOLATIONS, &violations);
    if (violations) {
        atomic_store(&r->violations, true);
        refresher_wake_loop(r);
    }
    return n < 0 ? -1 : n - violations;
}

/* Waits up to @p ms for notifications; returns how many came about the registry, or -1 if the
 * connection is lost. Those libpq read while a reload's queries ran are already in its queue,
 * not on the socket, so they are taken first: polling alone would leave a change made during
 * a reload unseen until the next one. */
static int refresher_wait(refresher *r, int ms)
{
    int n = refresher_take_notifications(r);
    if (n != 0)
        return n;
    struct pollfd pfd = {.fd = store_socket(r->st), .events = POLLIN};
    if (pfd.fd < 0)
        return -1;
    int ready = poll(&pfd, 1, ms);
    if (ready <= 0)
        return ready < 0 ? -1 : 0;
    return refresher_take_notifications(r);
}

static void refresher_recover(refresher *r)
{
    if (r->metrics && atomic_exchange(&r->metrics->db_up[METRICS_CONN_VIEWS], false))
        atomic_fetch_add(&r->metrics->db_lost[METRICS_CONN_VIEWS], 1);
    if (store_reconnect(r->st) == STORE_OK && refresher_listen(r) == 0) {
        log_event(LOG_LEVEL_INFO, "registry_listener_reconnected", NULL);
        if (r->metrics) {
            atomic_store(&r->metrics->db_up[METRICS_CONN_VIEWS], true);
            atomic_fetch_add(&r->metrics->db_reconnects[METRICS_CONN_VIEWS], 1);
        }
        atomic_store(&r->violations, true); /* so may violations: observers look again */
        refresher_reload(r);                /* changes may have been missed meanwhile */
        return;
    }
    usleep(1000 * 1000);
}

static void *refresher_main(void *arg)
{
    refresher *r = arg;
    while (!atomic_load(&r->stopping)) {
        int n = refresher_wait(r, 1000);
        if (n < 0) {
            refresher_recover(r);
            continue;
        }
        if (atomic_exchange(&r->reload_asked, false)) {
            refresher_reload(r);
            continue;
        }
        if (n == 0) {
            if (metrics_monotonic_ms() - r->partitions_read_ms > REFRESHER_PARTITIONS_MS)
                refresher_count_partitions(r);
            continue;
        }
        while (!atomic_load(&r->stopping) && refresher_wait(r, REFRESHER_QUIET_MS) > 0)
            ;
        refresher_reload(r);
    }
    return NULL;
}

refresher *refresher_create(const char *conninfo, const uint8_t kek[SECRET_KEK_LEN],
                            const refresher_kek_files *files, server_metrics *metrics, char *err,
                            size_t errlen)
{
    refresher *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->kek = kek;
    r->metrics = metrics;
    if (files)
        r->files = *files;
    pthread_mutex_init(&r->lock, NULL);
    r->event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    r->st = store_connect(conninfo, err, errlen);
    principal_table *p = NULL;
    registry *reg = NULL;
    long ms[2];
    if (!r->st || r->event_fd < 0 || refresher_listen(r) != 0 ||
        refresher_load(r, &p, &reg, ms, err, errlen) != 0) {
        refresher_destroy(r);
        return NULL;
    }
    refresher_log_load("views_loaded", p, reg, ms);
    refresher_publish(r, p, reg);
    if (metrics)
        atomic_store(&metrics->db_up[METRICS_CONN_VIEWS], true);
    if (pthread_create(&r->thread, NULL, refresher_main, r) != 0) {
        snprintf(err, errlen, "could not start the refresher thread");
        refresher_destroy(r);
        return NULL;
    }
    r->started = true;
    return r;
}

void refresher_destroy(refresher *r)
{
    if (!r)
        return;
    atomic_store(&r->stopping, true);
    if (r->started)
        pthread_join(r->thread, NULL);
    store_destroy(r->st);
    principal_table_destroy(r->next_principals);
    registry_destroy(r->next_registry);
    if (r->event_fd >= 0)
        close(r->event_fd);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

int refresher_event_fd(const refresher *r)
{
    return r->event_fd;
}

bool refresher_take_violations(refresher *r)
{
    return atomic_exchange(&r->violations, false);
}

bool refresher_take(refresher *r, principal_table **principals, registry **reg)
{
    uint64_t count;
    ssize_t n = read(r->event_fd, &count, sizeof(count));
    (void)n; /* EAGAIN: nothing signalled since the last take */
    pthread_mutex_lock(&r->lock);
    *principals = r->next_principals;
    *reg = r->next_registry;
    r->next_principals = NULL;
    r->next_registry = NULL;
    pthread_mutex_unlock(&r->lock);
    return *principals != NULL;
}

void refresher_request_reload(refresher *r)
{
    atomic_store(&r->reload_asked, true);
}
