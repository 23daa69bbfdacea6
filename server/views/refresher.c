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
#include "server/db/store_cluster.h"
#include "server/db/store_life.h"
#include "server/views/kek.h"

/* After a notification, more usually follow (an import, a transaction touching many rows):
 * wait this long for quiet before reloading, so a burst costs one reload. */
#define REFRESHER_QUIET_MS 200
/* The check-in partitions ahead are counted again this often (and at each reload). */
#define REFRESHER_PARTITIONS_MS (600 * 1000LL)
/* New violations: no reload, only a signal to the loop (which tells the observers). */
#define REFRESHER_VIOLATIONS "weldreg_violations"
/* Cluster notices waiting for the loop, at most (about 100 bytes each): for a loop this far
 * behind, the thread reads a snapshot at its next turn and puts it in place of the queue. */
#define REFRESHER_CLUSTER_MAX 100000

/* Cluster notices in the order they came. */
typedef struct refresher_notices {
    cluster_notice *items;
    size_t count, capacity;
} refresher_notices;

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
    /* several servers (refresher_cluster): weldreg_cluster is followed */
    bool cluster;
    int64_t scans_window_s;
    atomic_bool cluster_resync;      /* a snapshot is to be read again (the queue overflowed) */
    refresher_notices cluster_queue; /* under lock: the notices waiting for the loop */
    bool cluster_reset;              /* under lock: the queue begins with a snapshot */
};

static int refresher_listen(refresher *r)
{
    return store_listen(r->st, "weldreg_principals") == 0 &&
                   store_listen(r->st, "weldreg_registry") == 0 &&
                   store_listen(r->st, REFRESHER_VIOLATIONS) == 0 &&
                   (!r->cluster || store_listen(r->st, CLUSTER_CHANNEL) == 0)
               ? 0
               : -1;
}

static int refresher_notices_push(refresher_notices *list, const cluster_notice *n)
{
    if (list->count == list->capacity) {
        size_t capacity = list->capacity ? list->capacity * 2 : 64;
        cluster_notice *items = realloc(list->items, capacity * sizeof(*items));
        if (!items)
            return -1;
        list->items = items;
        list->capacity = capacity;
    }
    list->items[list->count++] = *n;
    return 0;
}

static int refresher_snapshot_push(void *arg, const cluster_notice *n)
{
    return refresher_notices_push(arg, n);
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

/* Reads the open sessions and recent scans and puts them in place of the notices waiting: the
 * notices that follow (some of them already in the snapshot) apply on top, in order, to the
 * same end. Those lost to an overflow are in it. */
static void refresher_cluster_snapshot(refresher *r)
{
    refresher_notices snapshot = {0};
    char err[512];
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    if (store_load_cluster(r->st, r->scans_window_s, refresher_snapshot_push, &snapshot, err,
                           sizeof(err)) != 0) {
        free(snapshot.items);
        log_event(LOG_LEVEL_ERROR, "cluster_snapshot_failed", "error=\"%s\"", err);
        atomic_store(&r->cluster_resync, true);
        return;
    }
    log_event(LOG_LEVEL_INFO, "cluster_snapshot", "notices=%zu ms=%ld", snapshot.count,
              refresher_ms_since(&start));
    if (r->metrics)
        atomic_fetch_add(&r->metrics->cluster_snapshots, 1);
    pthread_mutex_lock(&r->lock);
    free(r->cluster_queue.items);
    r->cluster_queue = snapshot;
    r->cluster_reset = true;
    pthread_mutex_unlock(&r->lock);
    refresher_wake_loop(r);
}

static void refresher_queue_notice(refresher *r, const char *payload)
{
    cluster_notice n;
    if (cluster_notice_parse(payload, &n) != 0) {
        log_event(LOG_LEVEL_WARN, "cluster_notice_unreadable", "payload=\"%.80s\"", payload);
        return;
    }
    _Static_assert(CLUSTER_KIND_COUNT == METRICS_CLUSTER_KINDS, "a counter per kind");
    if (r->metrics)
        atomic_fetch_add(&r->metrics->cluster_notices[n.kind], 1);
    pthread_mutex_lock(&r->lock);
    bool kept = r->cluster_queue.count < REFRESHER_CLUSTER_MAX &&
                refresher_notices_push(&r->cluster_queue, &n) == 0;
    pthread_mutex_unlock(&r->lock);
    if (!kept && !atomic_exchange(&r->cluster_resync, true))
        log_event(LOG_LEVEL_WARN, "cluster_notices_dropped",
                  "effect=\"the cluster's sessions and scans are read again\"");
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

typedef struct refresher_heard {
    refresher *r;
    int violations, cluster;
} refresher_heard;

static void refresher_hear(void *arg, const char *channel, const char *payload)
{
    refresher_heard *h = arg;
    if (strcmp(channel, REFRESHER_VIOLATIONS) == 0) {
        h->violations++;
    } else if (strcmp(channel, CLUSTER_CHANNEL) == 0) {
        h->cluster++;
        refresher_queue_notice(h->r, payload);
    }
}

/* Takes the notifications libpq holds; returns how many were about the registry, or -1 if the
 * connection is lost. News of violations and cluster notices are passed to the loop at once. */
static int refresher_take_notifications(refresher *r)
{
    refresher_heard heard = {r, 0, 0};
    int n = store_take_notifications(r->st, refresher_hear, &heard);
    if (heard.violations)
        atomic_store(&r->violations, true);
    if (heard.violations || heard.cluster)
        refresher_wake_loop(r);
    return n < 0 ? -1 : n - heard.violations - heard.cluster;
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
        if (r->cluster)
            refresher_cluster_snapshot(r); /* and scans and sessions */
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
        if (r->cluster && atomic_exchange(&r->cluster_resync, false))
            refresher_cluster_snapshot(r);
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
                            const refresher_kek_files *files, const refresher_cluster *cluster,
                            server_metrics *metrics, char *err, size_t errlen)
{
    refresher *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->kek = kek;
    r->metrics = metrics;
    if (files)
        r->files = *files;
    if (cluster) {
        r->cluster = true;
        r->scans_window_s = cluster->scans_window_s;
    }
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
    if (r->cluster)
        refresher_cluster_snapshot(r); /* before the first check-in is judged */
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
    free(r->cluster_queue.items);
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

cluster_notice *refresher_take_cluster(refresher *r, size_t *count, bool *reset)
{
    pthread_mutex_lock(&r->lock);
    cluster_notice *items = r->cluster_queue.items;
    *count = r->cluster_queue.count;
    *reset = r->cluster_reset;
    r->cluster_queue = (refresher_notices){0};
    r->cluster_reset = false;
    pthread_mutex_unlock(&r->lock);
    return items;
}
