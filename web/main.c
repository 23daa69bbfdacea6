/* main.c — weldreg-web: `serve` runs the HTTPS server, `account add` creates or replaces a
 * person's account, `outline` sets a community's outline on the map. Reads the same configuration
 * file as weldreg-server (server/loop/config.c). */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/access.h"
#include "core/geo.h"
#include "core/permit.h"
#include "server/db/store.h"
#include "server/db/store_accounts.h"
#include "server/db/store_office.h"
#include "server/loop/config.h"
#include "server/loop/log.h"
#include "server/loop/sdnotify.h"
#include "web/app.h"
#include "web/auth.h"
#include "web/http.h"

/* The signals' flags: a handler may only set such a flag, and the main thread reads them. */
static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t reload_requested;

static void on_stop_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void on_reload_signal(int sig)
{
    (void)sig;
    reload_requested = 1;
}

static void usage(FILE *out)
{
    fputs("usage: weldreg-web serve [--config FILE]\n"
          "       weldreg-web routes   (the route table: method path gate need)\n"
          "       weldreg-web account add LOGIN --role ROLE --password-file FILE\n"
          "                   [--enterprise ID] [--community ID]... [--signing-level LEVEL]\n"
          "                   [--replace] [--config FILE]\n"
          "       weldreg-web outline COMMUNITY_CODE FILE|none [--config FILE]\n"
          "ROLE: admin, inspector, officer and approver (need --enterprise), office.\n"
          "LEVEL: the hot work an approver may sign for (GB 30871 Table B.1): special (senior\n"
          "management), first (safety department) or second (workshop); approvers need it.\n"
          "outline: the community's outline on the map, from FILE: [[lat, lon], ...] or a\n"
          "GeoJSON Polygon; none removes it.\n"
          "Options come from FILE (as weldreg-server's), then DATABASE_URL and WELDREG_<KEY>.\n",
          out);
}

typedef struct web_args {
    const char *config;
    const char *role;
    const char *password_file;
    int64_t enterprise;
    int64_t communities[32];
    size_t n_communities;
    const char *signing_level;
    bool replace;
} web_args;

static int parse_args(int argc, char **argv, web_args *a)
{
    static const struct option options[] = {{"config", required_argument, NULL, 'c'},
                                            {"role", required_argument, NULL, 'r'},
                                            {"password-file", required_argument, NULL, 'p'},
                                            {"enterprise", required_argument, NULL, 'e'},
                                            {"community", required_argument, NULL, 'm'},
                                            {"signing-level", required_argument, NULL, 's'},
                                            {"replace", no_argument, NULL, 'R'},
                                            {"help", no_argument, NULL, 'h'},
                                            {NULL, 0, NULL, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "c:h", options, NULL)) != -1) {
        switch (opt) {
        case 'c': a->config = optarg; break;
        case 'r': a->role = optarg; break;
        case 'p': a->password_file = optarg; break;
        case 'e': a->enterprise = strtoll(optarg, NULL, 10); break;
        case 'm':
            if (a->n_communities == sizeof(a->communities) / sizeof(a->communities[0]))
                return -1;
            a->communities[a->n_communities++] = strtoll(optarg, NULL, 10);
            break;
        case 's': a->signing_level = optarg; break;
        case 'R': a->replace = true; break;
        case 'h': usage(stdout); exit(0);
        default: return -1;
        }
    }
    return 0;
}

static int load_config(const web_args *a, server_config *cfg)
{
    char err[512];
    config_init(cfg);
    if ((a->config && config_load_file(cfg, a->config, err, sizeof(err)) != 0) ||
        config_load_env(cfg, err, sizeof(err)) != 0) {
        fprintf(stderr, "weldreg-web: %s\n", err);
        return -1;
    }
    return 0;
}

/* The first line of @p path, without its line end. */
static int read_password(const char *path, char *out, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (!f || !fgets(out, (int)cap, f)) {
        if (f)
            fclose(f);
        fprintf(stderr, "weldreg-web: could not read the password file \"%s\"\n", path);
        return -1;
    }
    fclose(f);
    out[strcspn(out, "\r\n")] = '\0';
    return 0;
}

/* Who a change from the command line is audited as. */
static void cli_actor(char *out, size_t cap)
{
    const char *user = getenv("USER");
    snprintf(out, cap, "cli:%s", user && *user ? user : "unknown");
}

/* The outline in @p path ("none": NULL), checked (core/geo.c) into *ring. 0, or 1 with a
 * message written. */
static int outline_read(const char *path, char **ring)
{
    *ring = NULL;
    if (strcmp(path, "none") == 0)
        return 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "weldreg-web: could not open \"%s\": %s\n", path, strerror(errno));
        return 1;
    }
    enum { OUTLINE_FILE_MAX = 1 << 20 };
    char *text = malloc(OUTLINE_FILE_MAX + 1);
    size_t n = text ? fread(text, 1, OUTLINE_FILE_MAX + 1, f) : 0;
    fclose(f);
    char why[160] = "out of memory, or larger than 1 MiB";
    int rc =
        text && n <= OUTLINE_FILE_MAX && geo_outline_read(text, n, ring, why, sizeof(why)) == WR_OK
            ? 0
            : 1;
    if (rc)
        fprintf(stderr, "weldreg-web: %s: %s\n", path, why);
    free(text);
    return rc;
}

static int cmd_outline(const char *code, const char *path, const server_config *cfg)
{
    char *ring, err[512], actor[96];
    if (outline_read(path, &ring) != 0)
        return 1;
    store *st = store_connect(cfg->database_url, err, sizeof(err));
    admin_outcome out = {0};
    cli_actor(actor, sizeof(actor));
    if (st)
        store_office_set_outline(st, actor, code, ring, &out);
    int rc = !st || out.status != STORE_OK ? 1 : out.not_found ? 3 : 0;
    if (!st)
        fprintf(stderr, "weldreg-web: %s\n", err);
    else if (rc == 1)
        fprintf(stderr, "weldreg-web: could not set the outline: %s\n", out.message);
    else if (rc == 3)
        fprintf(stderr, "weldreg-web: no community \"%s\"\n", code);
    else
        printf("community %s: outline %s\n", code, ring ? "set" : "removed");
    admin_outcome_deinit(&out);
    store_destroy(st);
    free(ring);
    return rc;
}

static int cmd_account_add(const char *login, const web_args *a, const server_config *cfg)
{
    char password[AUTH_PASSWORD_MAX + 2], hash[AUTH_HASH_MAX], err[512];
    access_role role;
    permit_level level;
    if (!a->role || access_role_parse(a->role, &role) != 0 || role == ACCESS_ROLE_MACHINE ||
        !a->password_file || access_role_enterprise(role) != (a->enterprise > 0)) {
        fprintf(stderr, "weldreg-web: account add needs --role (admin, inspector, officer or "
                        "approver with --enterprise, office) and --password-file\n");
        return 2;
    }
    if ((role == ACCESS_ROLE_APPROVER) != (a->signing_level != NULL) ||
        (a->signing_level && !permit_level_from_name(a->signing_level, &level))) {
        fprintf(stderr, "weldreg-web: an approver needs --signing-level special, first or second "
                        "(GB 30871 Table B.1), and only an approver has one\n");
        return 2;
    }
    if (read_password(a->password_file, password, sizeof(password)) != 0)
        return 1;
    int rc = auth_hash_password(password, hash, err, sizeof(err));
    memset(password, 0, sizeof(password));
    store *st = rc == 0 ? store_connect(cfg->database_url, err, sizeof(err)) : NULL;
    char actor[96];
    cli_actor(actor, sizeof(actor));
    store_account_new acc = {.login = login,
                             .role = a->role,
                             .enterprise_id = a->enterprise,
                             .communities = a->communities,
                             .n_communities = a->n_communities,
                             .hash = hash,
                             .signing_level = a->signing_level};
    if (!st || store_account_add(st, &acc, a->replace, actor, err, sizeof(err)) != 0) {
        fprintf(stderr, "weldreg-web: %s\n", err);
        store_destroy(st);
        return 1;
    }
    store_destroy(st);
    printf("account %s (%s) %s\n", login, a->role, a->replace ? "added or replaced" : "added");
    return 0;
}

/* SIGHUP: the file and the environment are read again and the log level applied; the other
 * settings need a restart (docs/operations.md). */
static void reload_web(const web_args *a)
{
    server_config fresh;
    reload_requested = 0;
    if (load_config(a, &fresh) != 0) {
        log_event(LOG_LEVEL_ERROR, "reload_failed", "error=\"the configuration does not parse\"");
        return;
    }
    log_init(fresh.log_level);
    log_event(LOG_LEVEL_INFO, "config_reloaded", NULL);
}

/* Until SIGINT or SIGTERM: reloads on SIGHUP, and tells systemd's watchdog the process lives (a
 * signal cuts the sleep short). The serving threads are libmicrohttpd's. */
static void web_wait(const web_args *a)
{
    int64_t watchdog_ms = sdnotify_watchdog_interval_ms();
    sdnotify_send("READY=1\nSTATUS=serving");
    while (!stop_requested) {
        if (reload_requested) {
            sdnotify_send("RELOADING=1");
            reload_web(a);
            sdnotify_send("READY=1");
        }
        if (watchdog_ms)
            sdnotify_send("WATCHDOG=1");
        int64_t ms = watchdog_ms ? watchdog_ms : 1000;
        struct timespec nap = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
        nanosleep(&nap, NULL);
    }
    sdnotify_send("STOPPING=1");
}

static int cmd_serve(const server_config *cfg, const web_args *a)
{
    char err[512];
    if (config_validate_web(cfg, err, sizeof(err)) != 0) {
        fprintf(stderr, "weldreg-web: %s\n", err);
        return 1;
    }
    log_init(cfg->log_level);
    struct sigaction sa = {.sa_handler = on_stop_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    struct sigaction hup = {.sa_handler = on_reload_signal};
    sigemptyset(&hup.sa_mask);
    sigaction(SIGHUP, &hup, NULL);
    signal(SIGPIPE, SIG_IGN);
    web_app *app = web_app_create(cfg, err, sizeof(err));
    http_limits limits = {cfg->web_threads, cfg->web_max_connections, cfg->web_max_per_ip,
                          cfg->web_timeout_s, cfg->web_max_body};
    http_server *srv = app ? http_server_start(cfg->web_listen, cfg->cert_file, cfg->key_file,
                                               &limits, web_app_handle, app, err, sizeof(err))
                           : NULL;
    if (!srv) {
        fprintf(stderr, "weldreg-web: %s\n", err);
        web_app_destroy(app);
        return 1;
    }
    log_event(LOG_LEVEL_INFO, "web_ready", "listen=https://%s", cfg->web_listen);
    web_wait(a);
    log_event(LOG_LEVEL_INFO, "web_stopping", "signal=1");
    http_server_stop(srv);
    web_app_destroy(app);
    return 0;
}

int main(int argc, char **argv)
{
    web_args a = {0};
    server_config cfg;
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "routes") == 0 && argc == 2) {
        web_app_print_routes(stdout);
        return 0;
    }
    bool account = strcmp(cmd, "account") == 0, outline = strcmp(cmd, "outline") == 0;
    if ((account && (argc < 4 || strcmp(argv[2], "add") != 0)) || (outline && argc < 4)) {
        usage(stderr);
        return 2;
    }
    int skip = account || outline ? 3 : 1;
    if (parse_args(argc - skip, argv + skip, &a) != 0 || optind + skip != argc) {
        usage(stderr);
        return 2;
    }
    if (load_config(&a, &cfg) != 0)
        return 1;
    if (strcmp(cmd, "serve") == 0)
        return cmd_serve(&cfg, &a);
    if (account)
        return cmd_account_add(argv[3], &a, &cfg);
    if (outline)
        return cmd_outline(argv[2], argv[3], &cfg);
    usage(stderr);
    return 2;
}
