/* deliver.c — the notices' delivery loop (deliver.h). */
#include "server/notices/deliver.h"

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/notice.h"
#include "server/db/store_notices.h"
#include "server/loop/log.h"
#include "server/notices/webhook.h"

#define DELIVER_IDLE_S      1 /* how often the outbox is looked at when nothing is due */
#define DELIVER_RECONNECT_S 5 /* wait before connecting again to a lost database */
#define DELIVER_SECRET_MAX  256

/* Reads the shared secret (a trailing newline is not part of it). -1 with a message when the
 * file cannot be read or holds fewer than NOTICE_SECRET_MIN bytes. */
static int deliver_read_secret(const char *path, uint8_t *secret, size_t *len)
{
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(secret, 1, DELIVER_SECRET_MAX, f) : 0;
    if (f)
        fclose(f);
    while (n > 0 && (secret[n - 1] == '\n' || secret[n - 1] == '\r'))
        n--;
    *len = n;
    if (n < NOTICE_SECRET_MIN) {
        log_event(LOG_LEVEL_ERROR, "notices_secret_unusable",
                  "option=notice_secret_file need_bytes=%d", NOTICE_SECRET_MIN);
        return -1;
    }
    return 0;
}

/* Sleeps @p seconds, waking early when @p stop is set. */
static void deliver_pause(unsigned seconds, volatile sig_atomic_t *stop)
{
    struct timespec tenth = {0, 100000000L};
    for (unsigned i = 0; i < seconds * 10 && !*stop; i++)
        nanosleep(&tenth, NULL);
}

/* One attempt on @p n, recorded. -1 when the database failed. */
static int deliver_one(const server_config *cfg, const webhook *w, store *st, notice *n,
                       notices_metrics *metrics)
{
    char why[256], err[512];
    double started = metrics_now_s();
    bool delivered = webhook_post(w, n->key, n->kind, n->body, why, sizeof(why)) == 0;
    if (metrics) {
        metrics_observe(&metrics->attempt_seconds, metrics_now_s() - started);
        atomic_fetch_add(&metrics->attempts[delivered ? METRICS_DELIVERED : METRICS_UNDELIVERED],
                         1);
    }
    uint32_t failures = n->attempts + 1,
             retry = delivered ? 0
                               : notice_backoff_s(failures, cfg->notice_retry_first_s,
                                                  cfg->notice_retry_max_s);
    if (store_notice_record(st, n, delivered, why, retry, err, sizeof(err)) != 0) {
        log_event(LOG_LEVEL_ERROR, "notice_record_failed", "id=%lld error=\"%s\"", (long long)n->id,
                  err);
        return -1;
    }
    if (delivered)
        log_event(LOG_LEVEL_INFO, "notice_delivered", "id=%lld kind=%s key=%s attempts=%u",
                  (long long)n->id, n->kind, n->key, failures);
    else
        log_event(LOG_LEVEL_WARN, "notice_failed",
                  "id=%lld kind=%s key=%s attempts=%u retry_in_s=%u error=\"%s\"", (long long)n->id,
                  n->kind, n->key, failures, retry, why);
    return 0;
}

/* Queues the notices of violations that became overdue since the last pass (time passing is no
 * database event; docs/architecture.md, "notices/"). -1 when the database failed. */
static int deliver_queue_overdue(store *st)
{
    char err[512];
    int64_t queued = store_notice_queue_overdue(st, err, sizeof(err));
    if (queued < 0) {
        log_event(LOG_LEVEL_ERROR, "notices_database_failed", "error=\"%s\"", err);
        return -1;
    }
    if (queued > 0)
        log_event(LOG_LEVEL_INFO, "notices_overdue_queued", "count=%lld", (long long)queued);
    return 0;
}

/* Delivers what is due on @p st until the outbox has nothing due, @p stop is set or the
 * database fails (-1). */
static int deliver_due(const server_config *cfg, const webhook *w, store *st,
                       volatile sig_atomic_t *stop, notices_metrics *metrics)
{
    char err[512];
    while (!*stop) {
        notice n;
        int taken = store_notice_take(st, &n, err, sizeof(err));
        if (taken < 0) {
            log_event(LOG_LEVEL_ERROR, "notices_database_failed", "error=\"%s\"", err);
            return -1;
        }
        if (taken == 0)
            return 0;
        int rc = deliver_one(cfg, w, st, &n, metrics);
        notice_deinit(&n);
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* The connection's state, for /readyz and weldreg_notices_database_up. */
static void deliver_note_database(notices_metrics *metrics, bool up)
{
    if (metrics && atomic_exchange(&metrics->db_up, up) && !up)
        atomic_fetch_add(&metrics->db_lost, 1);
}

static void deliver_loop(const server_config *cfg, const webhook *w, volatile sig_atomic_t *stop,
                         notices_metrics *metrics)
{
    store *st = NULL;
    char err[512];
    while (!*stop) {
        if (!st && !(st = store_connect(cfg->database_url, err, sizeof(err)))) {
            log_event(LOG_LEVEL_ERROR, "notices_database_unavailable", "error=\"%s\"", err);
            deliver_pause(DELIVER_RECONNECT_S, stop);
            continue;
        }
        deliver_note_database(metrics, true);
        if (deliver_queue_overdue(st) != 0 || deliver_due(cfg, w, st, stop, metrics) != 0) {
            deliver_note_database(metrics, false);
            store_destroy(st);
            st = NULL;
            deliver_pause(DELIVER_RECONNECT_S, stop);
            continue;
        }
        deliver_pause(DELIVER_IDLE_S, stop);
    }
    store_destroy(st);
}

int notices_run(const server_config *cfg, volatile sig_atomic_t *stop, notices_metrics *metrics)
{
    uint8_t secret[DELIVER_SECRET_MAX];
    size_t secret_len = 0;
    if (deliver_read_secret(cfg->notice_secret_file, secret, &secret_len) != 0)
        return 2;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    webhook w = {.url = cfg->notice_webhook_url,
                 .ca_file = cfg->notice_ca_file,
                 .secret = secret,
                 .secret_len = secret_len,
                 .timeout_s = cfg->notice_timeout_s};
    log_event(LOG_LEVEL_INFO, "notices_started", "retry_first_s=%u retry_max_s=%u timeout_s=%u",
              cfg->notice_retry_first_s, cfg->notice_retry_max_s, cfg->notice_timeout_s);
    deliver_loop(cfg, &w, stop, metrics);
    OPENSSL_cleanse(secret, sizeof(secret));
    curl_global_cleanup();
    log_event(LOG_LEVEL_INFO, "notices_stopped", NULL);
    return 0;
}
