/* test-config.c — the option table: parsing, precedence, bounds and messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "server/loop/config.h"

static void test_defaults(void **state)
{
    (void)state;
    server_config cfg;
    config_init(&cfg);
    assert_int_equal(cfg.listen_count, 0);
    assert_int_equal(cfg.log_level, LOG_LEVEL_INFO);
    assert_int_equal(cfg.max_skew_s, 300);
    assert_int_equal(cfg.sweep_interval_s, 5);
    assert_true(cfg.batch_max > 0);
    assert_true(cfg.schema_dir[0] != '\0');
}

static void test_file_parses(void **state)
{
    (void)state;
    server_config cfg;
    char err[256];
    config_init(&cfg);
    const char *text = "# comment\n"
                       "database_url = host=/tmp dbname=x  # trailing comment\n"
                       "listen = 127.0.0.1:7000\n"
                       "listen=[::1]:7000\n"
                       "\n"
                       "log_level = debug\n"
                       "batch_max = 64\n";
    assert_int_equal(config_parse(&cfg, text, strlen(text), "t.conf", err, sizeof(err)), 0);
    assert_string_equal(cfg.database_url, "host=/tmp dbname=x");
    assert_int_equal(cfg.listen_count, 2);
    assert_string_equal(cfg.listen[1], "[::1]:7000");
    assert_int_equal(cfg.log_level, LOG_LEVEL_DEBUG);
    assert_int_equal(cfg.batch_max, 64);
}

static void expect_error(const char *text, const char *message)
{
    server_config cfg;
    char err[256];
    config_init(&cfg);
    assert_int_equal(config_parse(&cfg, text, strlen(text), "t.conf", err, sizeof(err)), -1);
    if (!strstr(err, message))
        fail_msg("\"%s\" does not contain \"%s\"", err, message);
}

static void test_errors_name_the_line_and_option(void **state)
{
    (void)state;
    expect_error("log_level = info\nbogus = 1\n", "t.conf:2: unknown option \"bogus\"");
    expect_error("no equals sign\n", "t.conf:1: expected \"key = value\"");
    expect_error("batch_max = 0\n", "expected a whole number from 1 to 10000");
    expect_error("batch_max = -5\n", "invalid value \"-5\"");
    expect_error("batch_max = 12abc\n", "invalid value \"12abc\"");
    expect_error("batch_max = 99999999999999999999\n", "invalid value");
    expect_error("log_level = loud\n", "invalid log level \"loud\"");
    expect_error("listen = a\nlisten = a\nlisten = a\nlisten = a\nlisten = a\nlisten = a\n"
                 "listen = a\nlisten = a\nlisten = a\n",
                 "t.conf:9: too many");
}

static void test_nul_and_long_lines(void **state)
{
    (void)state;
    server_config cfg;
    char err[256];
    config_init(&cfg);
    const char with_nul[] = "log_level = debug\0\n";
    assert_int_equal(config_parse(&cfg, with_nul, sizeof(with_nul) - 1, "t", err, sizeof(err)), -1);
    char *long_line = malloc(5000);
    memset(long_line, 'a', 4999);
    long_line[4999] = '\0';
    assert_int_equal(config_parse(&cfg, long_line, 4999, "t", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "line too long"));
    free(long_line);
}

static void test_environment_and_precedence(void **state)
{
    (void)state;
    server_config cfg;
    char err[256];
    config_init(&cfg);
    const char *text = "database_url = from-file\nmax_skew_s = 60\n";
    assert_int_equal(config_parse(&cfg, text, strlen(text), "t", err, sizeof(err)), 0);
    setenv("DATABASE_URL", "from-env", 1);
    setenv("WELDREG_MAX_SKEW_S", "120", 1);
    assert_int_equal(config_load_env(&cfg, err, sizeof(err)), 0);
    assert_string_equal(cfg.database_url, "from-env");
    assert_int_equal(cfg.max_skew_s, 120);
    setenv("WELDREG_MAX_SKEW_S", "zero", 1);
    assert_int_equal(config_load_env(&cfg, err, sizeof(err)), -1);
    unsetenv("WELDREG_MAX_SKEW_S");
    unsetenv("DATABASE_URL");
}

static void test_validate(void **state)
{
    (void)state;
    server_config cfg;
    char err[256];
    config_init(&cfg);
    assert_int_equal(config_validate(&cfg, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "no database given"));
    assert_int_equal(config_set(&cfg, "database_url", "x", err, sizeof(err)), 0);
    assert_int_equal(config_validate(&cfg, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "\"psk_kek_file\" is required"));
    assert_int_equal(config_set(&cfg, "psk_kek_file", "/nonexistent/kek", err, sizeof(err)), 0);
    assert_int_equal(config_validate(&cfg, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "could not read \"/nonexistent/kek\""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_file_parses),
        cmocka_unit_test(test_errors_name_the_line_and_option),
        cmocka_unit_test(test_nul_and_long_lines),
        cmocka_unit_test(test_environment_and_precedence),
        cmocka_unit_test(test_validate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
