/* log.c — structured logging on stderr, with libcoap's messages routed through it. */
#include "server/loop/log.h"

#include <coap3/coap.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "server/loop/coapio.h"

/* atomic: a SIGHUP reload sets it on the loop thread while the other threads log */
static _Atomic log_level log_min_level = LOG_LEVEL_INFO;

static const char *const log_level_names[] = {"debug", "info", "warn", "error"};
/* Under systemd with stderr to the journal ($JOURNAL_STREAM), each line starts with its
 * syslog priority ("<3>"), which journald takes off and keeps: `journalctl -p warning` works. */
static atomic_bool log_journal;
static const char log_priorities[] = {'7', '6', '4', '3'};

int log_level_parse(const char *text, log_level *out)
{
    for (size_t i = 0; i < sizeof(log_level_names) / sizeof(log_level_names[0]); i++) {
        if (strcmp(text, log_level_names[i]) == 0) {
            *out = (log_level)i;
            return 0;
        }
    }
    return -1;
}

bool log_limit_pass(log_limit *limit, int64_t now_ms, unsigned long *held)
{
    if (now_ms < limit->next_ms) {
        limit->held++;
        return false;
    }
    *held = limit->held;
    limit->held = 0;
    limit->next_ms = now_ms + LOG_LIMIT_INTERVAL_MS;
    return true;
}

bool log_limit_flush(log_limit *limit, int64_t now_ms, unsigned long *held)
{
    if (!limit->held || now_ms < limit->next_ms)
        return false;
    return log_limit_pass(limit, now_ms, held);
}

static size_t log_timestamp(char *buf, size_t cap)
{
    struct timespec now;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    size_t n = strftime(buf, cap, "%Y-%m-%dT%H:%M:%S", &tm);
    int extra = snprintf(buf + n, cap - n, ".%03ldZ", now.tv_nsec / 1000000);
    return n + (extra > 0 ? (size_t)extra : 0);
}

__attribute__((format(printf, 3, 0))) static void log_vevent(log_level level, const char *event,
                                                             const char *fmt, va_list ap)
{
    if (level < log_min_level)
        return;
    char line[2048];
    char ts[40];
    log_timestamp(ts, sizeof(ts));
    char priority[4] = "";
    if (atomic_load(&log_journal))
        snprintf(priority, sizeof(priority), "<%c>", log_priorities[level]);
    int n = snprintf(line, sizeof(line), "%sts=%s level=%s event=%s", priority, ts,
                     log_level_names[level], event);
    if (n < 0 || (size_t)n >= sizeof(line))
        n = (int)sizeof(line) - 2;
    if (fmt && fmt[0] && (size_t)n < sizeof(line) - 2) {
        line[n++] = ' ';
        int m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
        if (m > 0)
            n += m;
        if ((size_t)n > sizeof(line) - 2)
            n = (int)sizeof(line) - 2;
    }
    line[n++] = '\n';
    ssize_t written = write(STDERR_FILENO, line, (size_t)n);
    (void)written; /* nothing sensible to do if stderr is gone */
}

void log_event(log_level level, const char *event, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vevent(level, event, fmt, ap);
    va_end(ap);
}

static log_level log_level_from_coap(coap_log_t level)
{
    if (level <= LOG_ERR)
        return LOG_LEVEL_ERROR;
    if (level == LOG_WARNING)
        return LOG_LEVEL_WARN;
    if (level <= LOG_INFO)
        return LOG_LEVEL_INFO;
    return LOG_LEVEL_DEBUG;
}

static void log_from_coap(coap_log_t level, const char *message)
{
    if (coapio_is_empty_read_log(level, message))
        return; /* coapio's bursts end with a read that finds nothing: not news */
    size_t len = strcspn(message, "\n");
    log_event(log_level_from_coap(level), "libcoap", "msg=\"%.*s\"", (int)len, message);
}

void log_init(log_level min_level)
{
    log_min_level = min_level;
    atomic_store(&log_journal, getenv("JOURNAL_STREAM") != NULL);
    coap_set_log_handler(log_from_coap);
    coap_set_log_level(min_level == LOG_LEVEL_DEBUG ? LOG_INFO : LOG_WARNING);
    coap_dtls_set_log_level(min_level == LOG_LEVEL_DEBUG ? LOG_INFO : LOG_ERR);
}
