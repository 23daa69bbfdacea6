/* config.c — one table of options, parsed from a file, the environment and flags. */
#include "server/loop/config.h"

#include "core/decision.h"
#include "core/travel.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef enum option_kind {
    OPT_STRING,
    OPT_PATH,
    OPT_LISTEN,
    OPT_LEVEL,
    OPT_UINT,
    OPT_BOOL
} option_kind;

typedef struct option_spec {
    const char *name;
    option_kind kind;
    size_t offset;
    size_t size;
    unsigned min, max; /* OPT_UINT bounds */
} option_spec;

#define STR_OPT(n, k)                                                                              \
    {                                                                                              \
#n, k, offsetof(server_config, n), sizeof(((server_config *)0)->n), 0, 0                   \
    }
#define UINT_OPT(n, lo, hi)                                                                        \
    {                                                                                              \
#n, OPT_UINT, offsetof(server_config, n), sizeof(unsigned), lo, hi                         \
    }

static const option_spec config_options[] = {
    STR_OPT(database_url, OPT_STRING),
    STR_OPT(database_read_url, OPT_STRING),
    {"listen", OPT_LISTEN, 0, 0, 0, 0},
    STR_OPT(cert_file, OPT_PATH),
    STR_OPT(key_file, OPT_PATH),
    STR_OPT(ca_file, OPT_PATH),
    STR_OPT(crl_file, OPT_PATH),
    STR_OPT(psk_kek_file, OPT_PATH),
    STR_OPT(psk_kek_previous_file, OPT_PATH),
    STR_OPT(trust_list_file, OPT_PATH),
    STR_OPT(signing_key_file, OPT_PATH),
    STR_OPT(pii_key_file, OPT_PATH),
    STR_OPT(code_issuer, OPT_STRING),
    STR_OPT(schema_dir, OPT_PATH),
    {"log_level", OPT_LEVEL, 0, 0, 0, 0},
    UINT_OPT(max_sessions, 1, 1000000),
    UINT_OPT(session_idle_s, 5, 86400),
    UINT_OPT(max_handshakes, 10, 100000), /* libcoap ignores ClientHellos beyond it */
    UINT_OPT(handshake_timeout_s, 2, 600),
    UINT_OPT(batch_max, 1, 10000),
    UINT_OPT(writer_queue_max, 1, 1000000),
    UINT_OPT(retry_after_s, 1, 3600),
    UINT_OPT(checkin_rate, 0, 1000), /* per machine; beyond it and the burst: 4.29 */
    UINT_OPT(checkin_burst, 1, 100000),
    UINT_OPT(max_skew_s, 1, 86400),
    UINT_OPT(late_s, 1, 86400),
    UINT_OPT(heartbeat_timeout_s, 10, 86400),
    UINT_OPT(sweep_interval_s, 1, 3600),
    UINT_OPT(max_session_s, 60, 86400),
    UINT_OPT(shared_code_m, 10, 1000000),
    UINT_OPT(copied_code_speed_kmh, 1, 100000),
    UINT_OPT(copied_code_slack_m, 0, 1000000),
    UINT_OPT(code_cache_slots, 0, 16777216),
    UINT_OPT(api_workers, 1, 64),
    STR_OPT(server_id, OPT_STRING),
    UINT_OPT(lease_s, 3, 3600),
    {"reuse_port", OPT_BOOL, offsetof(server_config, reuse_port), sizeof(bool), 0, 0},
    STR_OPT(metrics_listen, OPT_STRING),
    UINT_OPT(partitions_ahead_months, 1, 24),
    /* at least a year: GB 30871-2022 B.3 keeps hot-work permits a year, and the check-ins (and
     * the work sessions, which follow this setting) are the record of who welded where under
     * which permit */
    UINT_OPT(checkins_retention_months, 12, 1200),
    STR_OPT(archive_dir, OPT_STRING),
    STR_OPT(notice_webhook_url, OPT_STRING),
    STR_OPT(notice_secret_file, OPT_PATH),
    STR_OPT(notice_ca_file, OPT_PATH),
    UINT_OPT(notice_retry_first_s, 1, 86400),
    UINT_OPT(notice_retry_max_s, 1, 86400),
    UINT_OPT(notice_timeout_s, 1, 300),
    STR_OPT(notices_metrics_listen, OPT_STRING),
    STR_OPT(web_listen, OPT_STRING),
    UINT_OPT(web_threads, 1, 64),
    UINT_OPT(web_max_connections, 1, 100000),
    UINT_OPT(web_max_per_ip, 1, 100000),
    UINT_OPT(web_timeout_s, 1, 3600),
    UINT_OPT(web_max_body, 1024, 16777216),
    UINT_OPT(web_session_s, 60, 604800),
    UINT_OPT(web_lockout_failures, 1, 1000),
    UINT_OPT(web_lockout_window_s, 10, 86400),
    UINT_OPT(web_report_per_hour, 1, 100000),
    UINT_OPT(web_report_global_per_hour, 1, 1000000),
    UINT_OPT(web_max_streams, 1, 100000),
    UINT_OPT(web_session_streams, 1, 100),
    UINT_OPT(web_heartbeat_s, 1, 300),
    STR_OPT(web_map_tiles, OPT_STRING),
};

#define N_OPTIONS (sizeof(config_options) / sizeof(config_options[0]))

void config_init(server_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    snprintf(cfg->schema_dir, sizeof(cfg->schema_dir), "%s", WELDREG_SCHEMA_DIR);
    snprintf(cfg->code_issuer, sizeof(cfg->code_issuer), "local");
    cfg->log_level = LOG_LEVEL_INFO;
    cfg->max_sessions = 50000;
    cfg->session_idle_s = 300;
    cfg->max_handshakes = 20000;
    cfg->handshake_timeout_s = 30;
    cfg->batch_max = 512;
    cfg->writer_queue_max = 4096;
    cfg->retry_after_s = 5;
    /* a chip sends a heartbeat a minute and an arc when one starts: 1 a second is several times
     * what it keeps up, and 10,000 at once is days of its offline backlog, sent as fast as it is
     * answered (tests/faults/run-pace.sh, docs/reliability.md) */
    cfg->checkin_rate = 1;
    cfg->checkin_burst = 10000;
    cfg->max_skew_s = DECISION_DEFAULT_MAX_SKEW_S;
    cfg->late_s = DECISION_DEFAULT_LATE_S;
    cfg->heartbeat_timeout_s = DECISION_DEFAULT_HEARTBEAT_TIMEOUT_S;
    cfg->sweep_interval_s = 5;
    cfg->max_session_s = (unsigned)DECISION_DEFAULT_MAX_SESSION_S;
    cfg->shared_code_m = (unsigned)DECISION_DEFAULT_SHARED_CODE_M;
    cfg->copied_code_speed_kmh = (unsigned)TRAVEL_DEFAULT_SPEED_KMH;
    cfg->copied_code_slack_m = (unsigned)TRAVEL_DEFAULT_SLACK_M;
    cfg->code_cache_slots = 16384;
    cfg->api_workers = 2;
    cfg->lease_s = 15;
    cfg->partitions_ahead_months = 3;
    cfg->checkins_retention_months = 24;
    snprintf(cfg->archive_dir, sizeof(cfg->archive_dir), "/var/lib/weldreg/archive");
    cfg->notice_retry_first_s = 30;
    cfg->notice_retry_max_s = 3600;
    cfg->notice_timeout_s = 10;
    snprintf(cfg->web_listen, sizeof(cfg->web_listen), "127.0.0.1:8443");
    cfg->web_threads = 4;
    cfg->web_max_connections = 256;
    cfg->web_max_per_ip = 32;
    cfg->web_timeout_s = 15;
    cfg->web_max_body = 1048576;
    cfg->web_session_s = 8 * 3600;
    cfg->web_lockout_failures = 5;
    cfg->web_lockout_window_s = 900;
    cfg->web_report_per_hour = 10; /* a NAT (a building site's, a phone carrier's) shares one */
    cfg->web_report_global_per_hour = 300;
    cfg->web_max_streams = 128;
    cfg->web_session_streams = 4;
    cfg->web_heartbeat_s = 15;
}

static const option_spec *config_find(const char *key)
{
    for (size_t i = 0; i < N_OPTIONS; i++)
        if (strcmp(config_options[i].name, key) == 0)
            return &config_options[i];
    return NULL;
}

bool config_has_option(const char *key)
{
    return config_find(key) != NULL;
}

static int config_set_uint(server_config *cfg, const option_spec *opt, const char *value, char *err,
                           size_t errlen)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(value, &end, 10);
    if (errno || end == value || *end || value[0] == '-' || v < opt->min || v > opt->max) {
        snprintf(err, errlen,
                 "invalid value \"%s\" for \"%s\": expected a whole number from %u to %u", value,
                 opt->name, opt->min, opt->max);
        return -1;
    }
    *(unsigned *)((char *)cfg + opt->offset) = (unsigned)v;
    return 0;
}

static int config_set_bool(server_config *cfg, const option_spec *opt, const char *value, char *err,
                           size_t errlen)
{
    bool *out = (bool *)((char *)cfg + opt->offset);
    if (strcmp(value, "true") == 0 || strcmp(value, "on") == 0 || strcmp(value, "1") == 0) {
        *out = true;
        return 0;
    }
    if (strcmp(value, "false") == 0 || strcmp(value, "off") == 0 || strcmp(value, "0") == 0) {
        *out = false;
        return 0;
    }
    snprintf(err, errlen, "invalid value \"%s\" for \"%s\": expected true or false", value,
             opt->name);
    return -1;
}

int config_set(server_config *cfg, const char *key, const char *value, char *err, size_t errlen)
{
    const option_spec *opt = config_find(key);
    if (!opt) {
        snprintf(err, errlen, "unknown option \"%s\"", key);
        return -1;
    }
    switch (opt->kind) {
    case OPT_STRING:
    case OPT_PATH:
        if (strlen(value) >= opt->size) {
            snprintf(err, errlen, "value for \"%s\" is too long (at most %zu bytes)", key,
                     opt->size - 1);
            return -1;
        }
        memcpy((char *)cfg + opt->offset, value, strlen(value) + 1);
        return 0;
    case OPT_LISTEN:
        if (cfg->listen_count == CONFIG_MAX_LISTEN || strlen(value) >= sizeof(cfg->listen[0])) {
            snprintf(err, errlen, "too many or too long \"listen\" addresses (at most %d)",
                     CONFIG_MAX_LISTEN);
            return -1;
        }
        snprintf(cfg->listen[cfg->listen_count++], sizeof(cfg->listen[0]), "%s", value);
        return 0;
    case OPT_LEVEL:
        if (log_level_parse(value, &cfg->log_level) != 0) {
            snprintf(err, errlen, "invalid log level \"%s\": expected debug, info, warn or error",
                     value);
            return -1;
        }
        return 0;
    case OPT_UINT: return config_set_uint(cfg, opt, value, err, errlen);
    case OPT_BOOL: return config_set_bool(cfg, opt, value, err, errlen);
    }
    return -1;
}

static char *config_trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

static int config_parse_line(server_config *cfg, char *line, char *err, size_t errlen)
{
    char *hash = strchr(line, '#');
    if (hash)
        *hash = '\0';
    char *text = config_trim(line);
    if (!*text)
        return 0;
    char *eq = strchr(text, '=');
    if (!eq) {
        snprintf(err, errlen, "expected \"key = value\"");
        return -1;
    }
    *eq = '\0';
    return config_set(cfg, config_trim(text), config_trim(eq + 1), err, errlen);
}

int config_parse(server_config *cfg, const char *text, size_t len, const char *origin, char *err,
                 size_t errlen)
{
    size_t pos = 0;
    for (unsigned lineno = 1; pos < len; lineno++) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t line_len = nl ? (size_t)(nl - (text + pos)) : len - pos;
        char line[2048];
        char msg[512];
        if (line_len >= sizeof(line)) {
            snprintf(err, errlen, "%s:%u: line too long", origin, lineno);
            return -1;
        }
        memcpy(line, text + pos, line_len);
        line[line_len] = '\0';
        if (memchr(line, '\0', line_len)) {
            snprintf(err, errlen, "%s:%u: unexpected NUL byte", origin, lineno);
            return -1;
        }
        if (config_parse_line(cfg, line, msg, sizeof(msg)) != 0) {
            snprintf(err, errlen, "%s:%u: %s", origin, lineno, msg);
            return -1;
        }
        pos += line_len + 1;
    }
    return 0;
}

int config_load_file(server_config *cfg, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "could not open config file \"%s\": %s", path, strerror(errno));
        return -1;
    }
    char buf[65536];
    size_t len = fread(buf, 1, sizeof(buf), f);
    int too_big = !feof(f);
    fclose(f);
    if (too_big) {
        snprintf(err, errlen, "config file \"%s\" is larger than 64 KiB", path);
        return -1;
    }
    return config_parse(cfg, buf, len, path, err, errlen);
}

int config_load_env(server_config *cfg, char *err, size_t errlen)
{
    const char *url = getenv("DATABASE_URL");
    if (url && *url && config_set(cfg, "database_url", url, err, errlen) != 0)
        return -1;
    for (size_t i = 0; i < N_OPTIONS; i++) {
        char name[64] = "WELDREG_";
        size_t k = strlen(name);
        for (const char *p = config_options[i].name; *p && k < sizeof(name) - 1; p++)
            name[k++] = (char)toupper((unsigned char)*p);
        name[k] = '\0';
        const char *value = getenv(name);
        if (value && *value && config_set(cfg, config_options[i].name, value, err, errlen) != 0)
            return -1;
    }
    return 0;
}

static int config_check_readable(const char *key, const char *path, bool required, char *err,
                                 size_t errlen)
{
    if (!path[0]) {
        if (!required)
            return 0;
        snprintf(err, errlen, "option \"%s\" is required", key);
        return -1;
    }
    if (access(path, R_OK) != 0) {
        snprintf(err, errlen, "could not read \"%s\" (option \"%s\"): %s", path, key,
                 strerror(errno));
        return -1;
    }
    return 0;
}

int config_validate(const server_config *cfg, char *err, size_t errlen)
{
    if (!cfg->database_url[0]) {
        snprintf(err, errlen, "no database given: set DATABASE_URL or \"database_url\"");
        return -1;
    }
    if (config_check_readable("psk_kek_file", cfg->psk_kek_file, true, err, errlen) != 0)
        return -1;
    bool pki = cfg->cert_file[0] || cfg->key_file[0] || cfg->ca_file[0];
    if (pki && (config_check_readable("cert_file", cfg->cert_file, true, err, errlen) != 0 ||
                config_check_readable("key_file", cfg->key_file, true, err, errlen) != 0 ||
                config_check_readable("ca_file", cfg->ca_file, true, err, errlen) != 0 ||
                config_check_readable("crl_file", cfg->crl_file, false, err, errlen) != 0))
        return -1;
    if (config_check_readable("trust_list_file", cfg->trust_list_file, false, err, errlen) != 0 ||
        config_check_readable("signing_key_file", cfg->signing_key_file, false, err, errlen) != 0 ||
        config_check_readable("pii_key_file", cfg->pii_key_file, false, err, errlen) != 0)
        return -1;
    return 0;
}

int config_validate_notices(const server_config *cfg, char *err, size_t errlen)
{
    if (strncmp(cfg->notice_webhook_url, "https://", 8) != 0 || !cfg->notice_webhook_url[8]) {
        snprintf(err, errlen, "option \"notice_webhook_url\" must be an https:// URL");
        return -1;
    }
    if (config_check_readable("notice_secret_file", cfg->notice_secret_file, true, err, errlen) !=
            0 ||
        config_check_readable("notice_ca_file", cfg->notice_ca_file, false, err, errlen) != 0)
        return -1;
    if (cfg->notice_retry_max_s < cfg->notice_retry_first_s) {
        snprintf(err, errlen,
                 "option \"notice_retry_max_s\" is less than \"notice_retry_first_s\"");
        return -1;
    }
    return 0;
}

int config_validate_web(const server_config *cfg, char *err, size_t errlen)
{
    if (!cfg->database_url[0]) {
        snprintf(err, errlen, "no database given: set DATABASE_URL or \"database_url\"");
        return -1;
    }
    if (!cfg->web_listen[0]) {
        snprintf(err, errlen, "option \"web_listen\" is required");
        return -1;
    }
    if (cfg->web_max_streams >= cfg->web_max_connections) { /* pages need connections too */
        snprintf(err, errlen,
                 "option \"web_max_streams\" is not less than \"web_max_connections\"");
        return -1;
    }
    if (config_check_readable("cert_file", cfg->cert_file, true, err, errlen) != 0 ||
        config_check_readable("key_file", cfg->key_file, true, err, errlen) != 0 ||
        config_check_readable("trust_list_file", cfg->trust_list_file, false, err, errlen) != 0)
        return -1;
    char origin[sizeof(cfg->web_map_tiles)];
    if (cfg->web_map_tiles[0] && config_tile_origin(cfg->web_map_tiles, origin, sizeof(origin))) {
        snprintf(err, errlen,
                 "option \"web_map_tiles\" must be an https:// URL with {z}, {x} and {y}, "
                 "e.g. https://tiles.example/{z}/{x}/{y}.png");
        return -1;
    }
    return 0;
}

int config_tile_origin(const char *url, char *out, size_t cap)
{
    if (strncmp(url, "https://", 8) != 0)
        return -1;
    size_t host =
        strspn(url + 8, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]");
    const char *path = url + 8 + host;
    if (host == 0 || *path != '/' || !strstr(path, "{z}") || !strstr(path, "{x}") ||
        !strstr(path, "{y}") || strpbrk(path, " \t\r\n\"'<>\\;,") || host + 9 > cap)
        return -1;
    snprintf(out, cap, "%.*s", (int)(host + 8), url);
    return 0;
}
