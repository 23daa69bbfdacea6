/* test-config.c — the option table: parsing, precedence, bounds and messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
    assert_int_equal(cfg.writer_queue_max, 4096);
    assert_true(cfg.schema_dir[0] != '\0');
    assert_string_equal(cfg.server_id, ""); /* one server: no leases */
    assert_int_equal(cfg.lease_s, 15);
    assert_false(cfg.reuse_port);
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

/* Sets @p key to @p value on defaults: 0 or -1, as config_set() says. */
static int config_test_set(const char *key, const char *value)
{
    server_config cfg;
    char err[256];
    config_init(&cfg);
    return config_set(&cfg, key, value, err, sizeof(err));
}

static void test_bounds_are_inclusive(void **state)
{
    (void)state;
    static const struct {
        const char *key, *lowest, *below, *highest, *above;
    } bounds[] = {
        {"session_idle_s", "5", "4", "86400", "86401"},
        {"max_handshakes", "10", "9", "100000", "100001"},
        {"batch_max", "1", "0", "10000", "10001"},
        {"writer_queue_max", "1", "0", "1000000", "1000001"},
        {"checkin_rate", "0", "-1", "1000", "1001"},
        {"checkin_burst", "1", "0", "100000", "100001"},
        {"heartbeat_timeout_s", "10", "9", "86400", "86401"},
        {"max_session_s", "60", "59", "86400", "86401"},
        {"code_cache_slots", "0", "-1", "16777216", "16777217"},
        {"lease_s", "3", "2", "3600", "3601"},
    };
    for (size_t i = 0; i < sizeof(bounds) / sizeof(bounds[0]); i++) {
        if (config_test_set(bounds[i].key, bounds[i].lowest) != 0 ||
            config_test_set(bounds[i].key, bounds[i].highest) != 0)
            fail_msg("\"%s\": its bounds should be accepted", bounds[i].key);
        if (config_test_set(bounds[i].key, bounds[i].below) != -1 ||
            config_test_set(bounds[i].key, bounds[i].above) != -1)
            fail_msg("\"%s\": a value outside its bounds should be refused", bounds[i].key);
    }
    assert_int_equal(config_test_set("batch_max", ""), -1);
    assert_int_equal(config_test_set("batch_max", "5 "), -1);
}

static void test_strings_fit_their_field(void **state)
{
    (void)state;
    server_config cfg;
    char err[256], iss[CODE_ISS_MAX + 2];
    config_init(&cfg);
    memset(iss, 'a', CODE_ISS_MAX);
    iss[CODE_ISS_MAX] = '\0';
    assert_int_equal(config_set(&cfg, "code_issuer", iss, err, sizeof(err)), 0);
    assert_string_equal(cfg.code_issuer, iss);
    iss[CODE_ISS_MAX] = 'a';
    iss[CODE_ISS_MAX + 1] = '\0';
    assert_int_equal(config_set(&cfg, "code_issuer", iss, err, sizeof(err)), -1);
    char expected[96];
    snprintf(expected, sizeof(expected), "value for \"code_issuer\" is too long (at most %d bytes)",
             CODE_ISS_MAX);
    assert_string_equal(err, expected);
    assert_int_equal(strlen(cfg.code_issuer), CODE_ISS_MAX); /* unchanged by the refusal */
    char listen[200];
    memset(listen, '1', sizeof(listen) - 1);
    listen[sizeof(listen) - 1] = '\0';
    assert_int_equal(config_set(&cfg, "listen", listen, err, sizeof(err)), -1);
    assert_int_equal(cfg.listen_count, 0);
    assert_true(config_has_option("code_cache_slots"));
    assert_true(config_has_option("listen"));
    assert_false(config_has_option("LISTEN"));
    assert_false(config_has_option(""));
}

/* Writes @p len bytes of @p text to a new temporary file; its path in @p path. */
static void config_test_file(char path[64], const char *text, size_t len)
{
    snprintf(path, 64, "/tmp/weldreg-test-config.XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
}

static void test_load_file(void **state)
{
    (void)state;
    server_config cfg;
    char err[512], path[64];
    config_init(&cfg);
    const char *text = "batch_max = 7\nlog_level = warn\n";
    config_test_file(path, text, strlen(text));
    assert_int_equal(config_load_file(&cfg, path, err, sizeof(err)), 0);
    assert_int_equal(cfg.batch_max, 7);
    assert_int_equal(cfg.log_level, LOG_LEVEL_WARN);
    unlink(path);
    assert_int_equal(config_load_file(&cfg, path, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "could not open config file"));

    size_t big = 70000; /* comments only, but more than the 64 KiB a config may have */
    char *huge = malloc(big);
    assert_non_null(huge);
    memset(huge, '#', big);
    config_test_file(path, huge, big);
    free(huge);
    assert_int_equal(config_load_file(&cfg, path, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "is larger than 64 KiB"));
    unlink(path);

    const char *bad = "batch_max = 7\n\nbatch_max = none\n";
    config_test_file(path, bad, strlen(bad));
    assert_int_equal(config_load_file(&cfg, path, err, sizeof(err)), -1);
    char where[96];
    snprintf(where, sizeof(where), "%s:3: invalid value \"none\"", path); /* the file names it */
    assert_non_null(strstr(err, where));
    unlink(path);
}

static void test_environment_names_every_option(void **state)
{
    (void)state;
    server_config cfg;
    char err[256];
    config_init(&cfg);
    setenv("WELDREG_LOG_LEVEL", "error", 1);
    setenv("WELDREG_CODE_ISSUER", "city", 1);
    setenv("WELDREG_LISTEN", "0.0.0.0:5684", 1);
    setenv("WELDREG_BATCH_MAX", "", 1); /* empty: as if unset */
    assert_int_equal(config_load_env(&cfg, err, sizeof(err)), 0);
    assert_int_equal(cfg.log_level, LOG_LEVEL_ERROR);
    assert_string_equal(cfg.code_issuer, "city");
    assert_int_equal(cfg.listen_count, 1);
    assert_string_equal(cfg.listen[0], "0.0.0.0:5684");
    assert_int_equal(cfg.batch_max, 512);
    setenv("WELDREG_LOG_LEVEL", "loud", 1);
    assert_int_equal(config_load_env(&cfg, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "invalid log level \"loud\""));
    unsetenv("WELDREG_LOG_LEVEL");
    unsetenv("WELDREG_CODE_ISSUER");
    unsetenv("WELDREG_LISTEN");
    unsetenv("WELDREG_BATCH_MAX");
}

static void test_validate_certificates_come_in_threes(void **state)
{
    (void)state;
    server_config cfg;
    char err[512], kek[64], pem[64];
    config_test_file(kek, "k", 1);
    config_test_file(pem, "p", 1);
    config_init(&cfg);
    assert_int_equal(config_set(&cfg, "database_url", "x", err, sizeof(err)), 0);
    assert_int_equal(config_set(&cfg, "psk_kek_file", kek, err, sizeof(err)), 0);
    assert_int_equal(config_validate(&cfg, err, sizeof(err)), 0); /* PSK only */
    assert_int_equal(config_set(&cfg, "cert_file", pem, err, sizeof(err)), 0);
    assert_int_equal(config_validate(&cfg, err, sizeof(err)), -1);
    assert_string_equal(err, "option \"key_file\" is required");
    assert_int_equal(config_set(&cfg, "key_file", pem, err, sizeof(err)), 0);
    assert_int_equal(config_validate(&cfg, err, sizeof(err)), -1);
    assert_string_equal(err, "option \"ca_file\" is required");
    assert_int_equal(config_set(&cfg, "ca_file", pem, err, sizeof(err)), 0);
    assert_int_equal(config_validate(&cfg, err, sizeof(err)), 0);
    /* the optional files are checked when given */
    assert_int_equal(config_set(&cfg, "pii_key_file", "/nonexistent/pii", err, sizeof(err)), 0);
    assert_int_equal(config_validate(&cfg, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "(option \"pii_key_file\")"));
    unlink(kek);
    unlink(pem);
}

static void test_validate_notices(void **state)
{
    (void)state;
    server_config cfg;
    char err[256];
    config_init(&cfg);
    assert_int_equal(cfg.notice_retry_first_s, 30);
    assert_int_equal(cfg.notice_retry_max_s, 3600);
    assert_int_equal(config_validate_notices(&cfg, err, sizeof(err)), -1);
    assert_string_equal(err, "option \"notice_webhook_url\" must be an https:// URL");
    assert_int_equal(
        config_set(&cfg, "notice_webhook_url", "http://gw.example/n", err, sizeof(err)), 0);
    assert_int_equal(config_validate_notices(&cfg, err, sizeof(err)), -1);
    assert_int_equal(
        config_set(&cfg, "notice_webhook_url", "https://gw.example/n", err, sizeof(err)), 0);
    assert_int_equal(config_validate_notices(&cfg, err, sizeof(err)), -1);
    assert_string_equal(err, "option \"notice_secret_file\" is required");
    assert_int_equal(config_set(&cfg, "notice_secret_file", "/dev/null", err, sizeof(err)), 0);
    assert_int_equal(config_validate_notices(&cfg, err, sizeof(err)), 0);
    assert_int_equal(config_set(&cfg, "notice_retry_max_s", "10", err, sizeof(err)), 0);
    assert_int_equal(config_validate_notices(&cfg, err, sizeof(err)), -1);
    assert_string_equal(err, "option \"notice_retry_max_s\" is less than \"notice_retry_first_s\"");
    assert_int_equal(config_set(&cfg, "notice_retry_first_s", "0", err, sizeof(err)), -1);
}

/* Each live-alert stream is a connection: the streams may not take them all. */
static void test_validate_web_streams(void **state)
{
    (void)state;
    server_config cfg;
    char err[256];
    config_init(&cfg);
    assert_int_equal(cfg.web_max_streams, 128);
    assert_int_equal(cfg.web_session_streams, 4);
    assert_int_equal(cfg.web_heartbeat_s, 15);
    assert_int_equal(config_set(&cfg, "database_url", "dbname=x", err, sizeof(err)), 0);
    assert_int_equal(config_set(&cfg, "web_max_streams", "256", err, sizeof(err)), 0);
    assert_int_equal(config_validate_web(&cfg, err, sizeof(err)), -1);
    assert_string_equal(err, "option \"web_max_streams\" is not less than \"web_max_connections\"");
    assert_int_equal(config_set(&cfg, "web_max_streams", "255", err, sizeof(err)), 0);
    assert_int_equal(config_validate_web(&cfg, err, sizeof(err)), -1); /* no certificate here */
    assert_null(strstr(err, "web_max_streams"));
    assert_int_equal(config_set(&cfg, "web_heartbeat_s", "0", err, sizeof(err)), -1);
}

/* The map's tile server: its origin goes into a CSP, so it must be one plain https:// word. */
static void test_tile_origin(void **state)
{
    (void)state;
    char o[64];
    assert_int_equal(config_tile_origin("https://tiles.example/{z}/{x}/{y}.png", o, sizeof(o)), 0);
    assert_string_equal(o, "https://tiles.example");
    assert_int_equal(config_tile_origin("https://10.0.0.5:8080/t/{z}/{x}/{y}.png", o, sizeof(o)),
                     0);
    assert_string_equal(o, "https://10.0.0.5:8080");
    assert_int_equal(config_tile_origin("http://tiles.example/{z}/{x}/{y}.png", o, sizeof(o)), -1);
    assert_int_equal(config_tile_origin("https://a.example;script-src/{z}/{x}/{y}", o, sizeof(o)),
                     -1);
    assert_int_equal(config_tile_origin("https://a.example/{z}/{x}/{y}.png;x", o, sizeof(o)), -1);
    assert_int_equal(
        config_tile_origin("https://a.example 'unsafe-inline'/{z}/{x}/{y}", o, sizeof(o)), -1);
    assert_int_equal(config_tile_origin("https://{s}.tile.example/{z}/{x}/{y}.png", o, sizeof(o)),
                     -1);
    assert_int_equal(config_tile_origin("https://a.example/{z}/{x}.png", o, sizeof(o)), -1);
    assert_int_equal(config_tile_origin("https:///{z}/{x}/{y}", o, sizeof(o)), -1);
    assert_int_equal(config_tile_origin("https://a.example/{z}/{x}/{y}", o, 10), -1);
}

/* reuse_port is a yes or no: true/on/1 or false/off/0, nothing else. */
static void test_booleans(void **state)
{
    (void)state;
    server_config cfg;
    char err[256];
    config_init(&cfg);
    const char *yes[] = {"true", "on", "1"}, *no[] = {"false", "off", "0"};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(config_set(&cfg, "reuse_port", yes[i], err, sizeof(err)), 0);
        assert_true(cfg.reuse_port);
        assert_int_equal(config_set(&cfg, "reuse_port", no[i], err, sizeof(err)), 0);
        assert_false(cfg.reuse_port);
    }
    assert_int_equal(config_set(&cfg, "reuse_port", "yes please", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "expected true or false"));
    assert_false(cfg.reuse_port);
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
        cmocka_unit_test(test_bounds_are_inclusive),
        cmocka_unit_test(test_strings_fit_their_field),
        cmocka_unit_test(test_load_file),
        cmocka_unit_test(test_environment_names_every_option),
        cmocka_unit_test(test_validate_certificates_come_in_threes),
        cmocka_unit_test(test_validate_notices),
        cmocka_unit_test(test_validate_web_streams),
        cmocka_unit_test(test_tile_origin),
        cmocka_unit_test(test_booleans),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
