/* log.h — structured log lines on stderr: "ts=… level=… event=… key=value …". */
#ifndef WELDREG_SERVER_LOG_H
#define WELDREG_SERVER_LOG_H

#include <stdbool.h>
#include <stdint.h>

typedef enum log_level {
    LOG_LEVEL_DEBUG,
    LOG_LEVEL_INFO,
    LOG_LEVEL_WARN,
    LOG_LEVEL_ERROR
} log_level;

/* Sets the lowest level that is printed (default info). Also routes libcoap's own messages
 * through log_event() with event=libcoap. When $JOURNAL_STREAM is set (systemd connected stderr
 * to the journal) each line starts with its syslog priority, "<3>" to "<7>", for journald. */
void log_init(log_level min_level);

/* Parses "debug", "info", "warn" or "error". Returns 0 on success, -1 otherwise. */
int log_level_parse(const char *text, log_level *out);

/* Prints one line: the event name, then @p fmt (key=value pairs) formatted. Thread-safe: one
 * write(2) per line. Never pass key material or personal data in @p fmt. */
void log_event(log_level level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* At most one line a second for an event a flood can repeat (a failed handshake): the lines
 * held back meanwhile are counted, and the next line printed says how many. Lives in its
 * owner's struct (no global state); zeroed, it lets the first line through. */
typedef struct log_limit {
    int64_t next_ms;    /* monotonic milliseconds: no line before this */
    unsigned long held; /* lines held back since the last one printed */
} log_limit;

#define LOG_LIMIT_INTERVAL_MS 1000

/* True if a line may be printed at @p now_ms (monotonic milliseconds); @p held then gets the
 * number held back since the last line, and that count starts again. False when the line is
 * to be held back (and is counted). */
bool log_limit_pass(log_limit *limit, int64_t now_ms, unsigned long *held);

/* True if lines were held back and the interval since the last line is over: @p held gets
 * their count, which starts again, and the interval restarts as a printed line's would. The
 * caller then prints the count on its own line, so a flood that ends is counted within a
 * second or so, not only when the next line comes. */
bool log_limit_flush(log_limit *limit, int64_t now_ms, unsigned long *held);

#endif
