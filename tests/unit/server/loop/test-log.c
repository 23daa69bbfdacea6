/* test-log.c — the structured log as operators and their tools read it: one line per event,
 * "ts=… level=… event=…" then the fields, lines below the chosen level dropped, a long line cut
 * but still ended by its newline, and libcoap's messages routed in as event=libcoap. stderr is
 * captured in a temporary file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <coap3/coap.h>

#include "server/loop/log.h"

typedef struct log_test_capture {
    FILE *file;
    int saved_stderr;
} log_test_capture;

static void log_test_begin(log_test_capture *c)
{
    c->file = tmpfile();
    assert_non_null(c->file);
    c->saved_stderr = dup(STDERR_FILENO);
    assert_true(c->saved_stderr >= 0);
    assert_true(dup2(fileno(c->file), STDERR_FILENO) >= 0);
}

/* Restores stderr and returns what was written to it (malloc'd, NUL-terminated). */
static char *log_test_end(log_test_capture *c)
{
    dup2(c->saved_stderr, STDERR_FILENO);
    close(c->saved_stderr);
    off_t len = lseek(fileno(c->file), 0, SEEK_END);
    assert_true(len >= 0);
    char *text = calloc(1, (size_t)len + 1);
    assert_non_null(text);
    assert_int_equal(pread(fileno(c->file), text, (size_t)len, 0), len);
    fclose(c->file);
    return text;
}

static void test_level_parse(void **state)
{
    (void)state;
    log_level level = LOG_LEVEL_ERROR;
    const char *names[] = {"debug", "info", "warn", "error"};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(log_level_parse(names[i], &level), 0);
        assert_int_equal(level, (log_level)i);
    }
    assert_int_equal(log_level_parse("warning", &level), -1);
    assert_int_equal(log_level_parse("INFO", &level), -1);
    assert_int_equal(level, LOG_LEVEL_ERROR); /* left alone on a refusal */
}

static void test_line_format_and_filter(void **state)
{
    (void)state;
    log_test_capture c;
    unsetenv("JOURNAL_STREAM"); /* not under systemd: no priority prefix */
    log_init(LOG_LEVEL_INFO);
    log_test_begin(&c);
    log_event(LOG_LEVEL_DEBUG, "hidden", "n=%d", 1);
    log_event(LOG_LEVEL_INFO, "shown", "n=%d who=\"%s\"", 2, "x");
    log_event(LOG_LEVEL_ERROR, "bare", NULL);
    char *text = log_test_end(&c);
    assert_null(strstr(text, "hidden"));
    assert_non_null(strstr(text, "level=info event=shown n=2 who=\"x\"\n"));
    assert_int_equal(strncmp(text, "ts=", 3), 0);              /* the time comes first */
    assert_non_null(strstr(text, "level=error event=bare\n")); /* no trailing space */
    int lines = 0;
    for (const char *p = text; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 2);
    free(text);
}

static void test_long_line_is_cut_and_ended(void **state)
{
    (void)state;
    char big[4000];
    memset(big, 'v', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    log_test_capture c;
    log_init(LOG_LEVEL_INFO);
    log_test_begin(&c);
    log_event(LOG_LEVEL_WARN, "long", "value=%s", big);
    log_event(LOG_LEVEL_WARN, "next", NULL);
    char *text = log_test_end(&c);
    char *end = strchr(text, '\n');
    assert_non_null(end);
    assert_true(end - text < 2048); /* one write of at most the line buffer */
    assert_true(end - text > 2000);
    assert_non_null(strstr(end + 1, "event=next\n")); /* the next event starts a line */
    free(text);
}

static void test_libcoap_routed(void **state)
{
    (void)state;
    log_test_capture c;
    log_init(LOG_LEVEL_INFO);
    log_test_begin(&c);
    coap_log(LOG_WARNING, "something odd\nsecond line\n");
    coap_log(LOG_DEBUG, "too chatty\n"); /* below the level libcoap is set to */
    char *text = log_test_end(&c);
    assert_non_null(strstr(text, "level=warn event=libcoap msg=\"something odd\"\n"));
    assert_null(strstr(text, "second line"));
    assert_null(strstr(text, "too chatty"));
    free(text);
}

/* The rate limit of lines a flood could repeat: at most one a second, the rest counted. */
static void test_limit_first_line_passes(void **state)
{
    (void)state;
    log_limit limit = {0};
    unsigned long held = 99;
    assert_true(log_limit_pass(&limit, 5000, &held));
    assert_int_equal(held, 0);
}

static void test_limit_holds_back_and_counts(void **state)
{
    (void)state;
    log_limit limit = {0};
    unsigned long held;
    assert_true(log_limit_pass(&limit, 1000, &held));
    /* a flood within the second: held back, counted */
    for (int i = 0; i < 500; i++)
        assert_false(log_limit_pass(&limit, 1000 + i, &held));
    assert_false(log_limit_pass(&limit, 1999, &held));
    /* a second later: the next line says how many were held back, and the count restarts */
    assert_true(log_limit_pass(&limit, 2000, &held));
    assert_int_equal(held, 501);
    assert_false(log_limit_pass(&limit, 2500, &held));
    assert_true(log_limit_pass(&limit, 60000, &held));
    assert_int_equal(held, 1);
    assert_true(log_limit_pass(&limit, 61000, &held));
    assert_int_equal(held, 0);
}

/* What a flood held back is counted on a line of its own once its second is over, and only
 * then; that line starts a new second as any other would. */
static void test_limit_flush_reports_held(void **state)
{
    (void)state;
    log_limit limit = {0};
    unsigned long held = 99;
    assert_false(log_limit_flush(&limit, 500, &held)); /* nothing held */
    assert_true(log_limit_pass(&limit, 1000, &held));
    assert_false(log_limit_pass(&limit, 1200, &held));
    assert_false(log_limit_pass(&limit, 1300, &held));
    assert_false(log_limit_flush(&limit, 1999, &held)); /* the second is not over */
    assert_true(log_limit_flush(&limit, 2000, &held));
    assert_int_equal(held, 2);
    assert_false(log_limit_flush(&limit, 2500, &held)); /* counted already */
    assert_false(log_limit_pass(&limit, 2500, &held));  /* within the flush's second */
    assert_true(log_limit_flush(&limit, 3000, &held));
    assert_int_equal(held, 1);
    assert_true(log_limit_pass(&limit, 4000, &held));
    assert_int_equal(held, 0);
}

/* With stderr on the journal each line starts with its syslog priority, for journald. */
static void test_journal_priority_prefix(void **state)
{
    (void)state;
    log_test_capture c;
    setenv("JOURNAL_STREAM", "8:12345", 1);
    log_init(LOG_LEVEL_DEBUG);
    log_test_begin(&c);
    log_event(LOG_LEVEL_DEBUG, "d", NULL);
    log_event(LOG_LEVEL_INFO, "i", NULL);
    log_event(LOG_LEVEL_WARN, "w", NULL);
    log_event(LOG_LEVEL_ERROR, "e", NULL);
    char *text = log_test_end(&c);
    unsetenv("JOURNAL_STREAM");
    log_init(LOG_LEVEL_INFO);
    assert_int_equal(strncmp(text, "<7>ts=", 6), 0);
    assert_non_null(strstr(text, "\n<6>ts="));
    assert_non_null(strstr(text, "\n<4>ts="));
    assert_non_null(strstr(text, "\n<3>ts="));
    assert_non_null(strstr(text, " level=error event=e\n"));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_level_parse),
        cmocka_unit_test(test_line_format_and_filter),
        cmocka_unit_test(test_long_line_is_cut_and_ended),
        cmocka_unit_test(test_libcoap_routed),
        cmocka_unit_test(test_limit_first_line_passes),
        cmocka_unit_test(test_limit_holds_back_and_counts),
        cmocka_unit_test(test_limit_flush_reports_held),
        cmocka_unit_test(test_journal_priority_prefix),
    };
    coap_startup();
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    coap_cleanup();
    return failed;
}
