/* log.h — structured log lines on stderr: "ts=… level=… event=… key=value …". */
#ifndef WELDREG_SERVER_LOG_H
#define WELDREG_SERVER_LOG_H

typedef enum log_level {
    LOG_LEVEL_DEBUG,
    LOG_LEVEL_INFO,
    LOG_LEVEL_WARN,
    LOG_LEVEL_ERROR
} log_level;

/* Sets the lowest level that is printed (default info). Also routes libcoap's own messages
 * through log_event() with event=libcoap. */
void log_init(log_level min_level);

/* Parses "debug", "info", "warn" or "error". Returns 0 on success, -1 otherwise. */
int log_level_parse(const char *text, log_level *out);

/* Prints one line: the event name, then @p fmt (key=value pairs) formatted. Thread-safe: one
 * write(2) per line. Never pass key material or personal data in @p fmt. */
void log_event(log_level level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
