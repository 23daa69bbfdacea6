/* main.c — weldreg-server: parses the command line into a config and runs a subcommand. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "core/reason.h"
#include "core/secret.h"
#include "server/loop/config.h"
#include "server/loop/log.h"
#include "server/loop/sdnotify.h"
#include "server/loop/server.h"
#include "server/notices/deliver.h"
#include "server/ops_http.h"
#include "server/db/store.h"
#include "server/life/maintain.h"
#include "server/views/kek.h"

enum { EXIT_USAGE = 2, EXIT_DATABASE = 3 };

/* OpenSSL keeps three buffers of 16 to 22 KiB for every DTLS session (the handshake message,
 * the record read and the record written), of which a session's small records touch a page or
 * two. Allocated with mmap they cost only the pages touched and go back to the kernel when the
 * session ends; from the heap they took whatever pages the heap had touched before. 20,000
 * sessions: 911-914 MiB resident before, 794-866 MiB after (docs/performance.md). */
#define SERVE_MMAP_THRESHOLD (16 * 1024)

/* The signals' flags: a handler may only set such a flag, and the loop reads them. */
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

typedef struct provision_args {
    const char *role;
    const char *identity;
    const char *psk_file;
    bool allow_cert;
    int argc; /* the command line, read again on SIGHUP (serve) */
    char **argv;
    const char *new_kek_file;     /* rekey */
    const char *new_pii_key_file; /* rekey-pii */
    bool archive_only;            /* maintain */
    const char *month;            /* archive-restore */
    const char *into;             /* archive-restore */
    const char *table;            /* archive-restore */
} provision_args;

static void usage(FILE *out)
{
    fputs("usage: weldreg-server [serve] [options]\n"
          "       weldreg-server migrate [options]\n"
          "       weldreg-server provision --role ROLE --identity ID [--psk-file FILE] [--cert]\n"
          "       weldreg-server rekey --new-kek-file FILE [options]\n"
          "       weldreg-server rekey-pii --new-pii-key-file FILE [options]\n"
          "       weldreg-server maintain [--archive-only] [options]\n"
          "       weldreg-server archive-restore --month YYYY-MM [--table T] [--into TABLE] "
          "[options]\n"
          "\n"
          "subcommands:\n"
          "  serve       run the CoAP server over DTLS in the foreground (default)\n"
          "  migrate     apply the missing schema migrations and exit\n"
          "  reasons     print the table of reason codes (Markdown) and exit\n"
          "  notices     deliver the notices to enterprises' responsible heads to the webhook\n"
          "              of notice_webhook_url, in the foreground, until stopped\n"
          "  provision   create or update a principal (admin, inspector or machine) with a PSK;\n"
          "              a new random PSK is written to FILE (mode 0600) if FILE does not exist;\n"
          "              --cert also accepts a client certificate from the CA with CN = ID\n"
          "  rekey       re-seal every PSK under the key in FILE, while servers run: the old key\n"
          "              goes to psk_kek_previous_file, FILE's key to psk_kek_file, then one\n"
          "              transaction re-seals (docs/keys.md)\n"
          "  rekey-pii   wrap every stored ID-card and licence hash in an HMAC under the key in\n"
          "              FILE and add it to pii_key_file's chain, in one transaction\n"
          "  maintain    make the check-ins' partitions of partitions_ahead_months ahead, then\n"
          "              archive to archive_dir, read back and drop each month of check-ins,\n"
          "              then of closed work sessions, older than checkins_retention_months,\n"
          "              and delete the expired web sessions (--archive-only: drop nothing)\n"
          "  archive-restore  copy an archived month of --table (checkins, the default, or\n"
          "              work_sessions) into a new table (default restored_TABLE_YYYYMM)\n"
          "\n"
          "options:\n"
          "  -c, --config FILE        read settings from FILE (key = value lines)\n"
          "  -d, --database-url URL   libpq connection string (default: $DATABASE_URL)\n"
          "  -l, --listen ADDR        listen on ADDR (127.0.0.1:5684, [::1]:5684); repeatable\n"
          "      --set KEY=VALUE      set any config-file option\n"
          "  -v, --log-level LEVEL    debug, info, warn or error\n"
          "  -h, --help               show this help\n"
          "  -V, --version            show the version\n"
          "\n"
          "exit codes: 0 ok, 1 failure while running, 2 usage or configuration error,\n"
          "            3 database unavailable\n",
          out);
}

static int apply_flag(server_config *cfg, const char *key, const char *value)
{
    char err[512];
    if (config_set(cfg, key, value, err, sizeof(err)) != 0) {
        fprintf(stderr, "weldreg-server: %s\n", err);
        return -1;
    }
    return 0;
}

static int apply_set(server_config *cfg, const char *assignment)
{
    const char *eq = strchr(assignment, '=');
    if (!eq) {
        fprintf(stderr, "weldreg-server: --set expects KEY=VALUE, got \"%s\"\n", assignment);
        return -1;
    }
    char key[64];
    snprintf(key, sizeof(key), "%.*s", (int)(eq - assignment), assignment);
    return apply_flag(cfg, key, eq + 1);
}

/* Flags are read twice: first only for --config (the file comes first in precedence), then all
 * of them over the file and the environment. */
static int parse_args(int argc, char **argv, server_config *cfg, provision_args *prov)
{
    static const struct option options[] = {{"config", required_argument, NULL, 'c'},
                                            {"database-url", required_argument, NULL, 'd'},
                                            {"listen", required_argument, NULL, 'l'},
                                            {"set", required_argument, NULL, 's'},
                                            {"log-level", required_argument, NULL, 'v'},
                                            {"role", required_argument, NULL, 'r'},
                                            {"identity", required_argument, NULL, 'i'},
                                            {"psk-file", required_argument, NULL, 'p'},
                                            {"cert", no_argument, NULL, 'C'},
                                            {"new-kek-file", required_argument, NULL, 'K'},
                                            {"new-pii-key-file", required_argument, NULL, 'P'},
                                            {"archive-only", no_argument, NULL, 'A'},
                                            {"month", required_argument, NULL, 'M'},
                                            {"into", required_argument, NULL, 'I'},
                                            {"table", required_argument, NULL, 'T'},
                                            {"help", no_argument, NULL, 'h'},
                                            {"version", no_argument, NULL, 'V'},
                                            {NULL, 0, NULL, 0}};
    char err[512];
    for (int pass = 0; pass < 2; pass++) {
        optind = 1;
        opterr = pass;
        int opt;
        while ((opt = getopt_long(argc, argv, "c:d:l:v:hV", options, NULL)) != -1) {
            if (pass == 0) {
                if (opt == 'c' && config_load_file(cfg, optarg, err, sizeof(err)) != 0) {
                    fprintf(stderr, "weldreg-server: %s\n", err);
                    return -1;
                }
                continue;
            }
            int rc = 0;
            switch (opt) {
            case 'c': break;
            case 'd': rc = apply_flag(cfg, "database_url", optarg); break;
            case 'l': rc = apply_flag(cfg, "listen", optarg); break;
            case 's': rc = apply_set(cfg, optarg); break;
            case 'v': rc = apply_flag(cfg, "log_level", optarg); break;
            case 'r': prov->role = optarg; break;
            case 'i': prov->identity = optarg; break;
            case 'p': prov->psk_file = optarg; break;
            case 'C': prov->allow_cert = true; break;
            case 'K': prov->new_kek_file = optarg; break;
            case 'P': prov->new_pii_key_file = optarg; break;
            case 'A': prov->archive_only = true; break;
            case 'M': prov->month = optarg; break;
            case 'I': prov->into = optarg; break;
            case 'T': prov->table = optarg; break;
            case 'h': usage(stdout); exit(0);
            case 'V': printf("weldreg-server %s\n", WELDREG_VERSION); exit(0);
            default: usage(stderr); return -1;
            }
            if (rc != 0)
                return -1;
        }
        if (pass == 0 && config_load_env(cfg, err, sizeof(err)) != 0) {
            fprintf(stderr, "weldreg-server: %s\n", err);
            return -1;
        }
    }
    return 0;
}

/* SIGINT and SIGTERM set stop_requested; a closed peer's SIGPIPE is ignored. */
static void stop_on_signals(void)
{
    struct sigaction sa = {.sa_handler = on_stop_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* SIGHUP: the file, the environment and the flags are read again, as at start, and what may
 * change while running is applied (server_reload); a file that does not parse changes nothing. */
static void reload_serve(server *srv, const provision_args *prov)
{
    server_config fresh;
    provision_args ignored = {0};
    char err[1024];
    reload_requested = 0;
    sdnotify_send("RELOADING=1"); /* server_run() says READY=1 again */
    log_event(LOG_LEVEL_INFO, "reloading", NULL);
    config_init(&fresh);
    if (parse_args(prov->argc, prov->argv, &fresh, &ignored) != 0 ||
        config_validate(&fresh, err, sizeof(err)) != 0) {
        log_event(LOG_LEVEL_ERROR, "reload_failed",
                  "error=\"the configuration does not parse or validate (see above)\"");
        atomic_fetch_add(&server_get_metrics(srv)->reload_failures, 1);
        return;
    }
    if (server_reload(srv, &fresh, err, sizeof(err)) != 0)
        log_event(LOG_LEVEL_ERROR, "reload_failed", "error=\"%s\"", err);
}

/* Starts the listener of /metrics, /healthz and /readyz on @p listen, the value of option
 * @p key, when it is set: 0 (*@p ops NULL when not set), or -1 after logging why. */
static int start_ops(const char *key, const char *listen, const ops_source *source,
                     http_server **ops)
{
    char err[512];
    *ops = NULL;
    if (!listen[0])
        return 0;
    if (!(*ops = ops_http_start(listen, source, err, sizeof(err)))) {
        log_event(LOG_LEVEL_ERROR, "start_failed", "error=\"%s: %s\"", key, err);
        return -1;
    }
    log_event(LOG_LEVEL_INFO, "metrics_listening", "addr=http://%s", listen);
    return 0;
}

static int run_serve(const server_config *cfg, const provision_args *prov)
{
    char err[1024];
    if (config_validate(cfg, err, sizeof(err)) != 0) {
        fprintf(stderr, "weldreg-server: %s\n", err);
        return EXIT_USAGE;
    }
    stop_on_signals();
    struct sigaction hup = {.sa_handler = on_reload_signal};
    sigemptyset(&hup.sa_mask);
    sigaction(SIGHUP, &hup, NULL);
    mallopt(M_MMAP_THRESHOLD, SERVE_MMAP_THRESHOLD);
    int exit_code;
    server *srv = server_create(cfg, &exit_code, err, sizeof(err));
    if (!srv) {
        log_event(LOG_LEVEL_ERROR, "start_failed", "error=\"%s\"", err);
        return exit_code;
    }
    ops_source source = {.ctx = server_get_metrics(srv),
                         .write = server_metrics_write_ctx,
                         .unhealthy = server_metrics_unhealthy_ctx,
                         .not_ready = server_metrics_not_ready_ctx};
    http_server *ops;
    if (start_ops("metrics_listen", cfg->metrics_listen, &source, &ops) != 0) {
        server_destroy(srv);
        return EXIT_USAGE;
    }
    int rc;
    while ((rc = server_run(srv, &stop_requested, &reload_requested)) == SERVER_RUN_RELOAD)
        reload_serve(srv, prov);
    http_server_stop(ops); /* before the metrics it reads go */
    server_destroy(srv);
    log_event(LOG_LEVEL_INFO, "stopped", NULL);
    return rc == 0 ? 0 : 1;
}

/* Delivers notices until SIGINT or SIGTERM (server/notices/deliver.h). */
static int run_notices(const server_config *cfg, const provision_args *prov)
{
    (void)prov;
    char err[1024];
    if (!cfg->database_url[0] || config_validate_notices(cfg, err, sizeof(err)) != 0) {
        fprintf(stderr, "weldreg-server: %s\n",
                cfg->database_url[0] ? err : "no database given: set DATABASE_URL");
        return EXIT_USAGE;
    }
    stop_on_signals();
    notices_metrics metrics;
    notices_metrics_init(&metrics);
    ops_source source = {.ctx = &metrics,
                         .write = notices_metrics_write_ctx,
                         .unhealthy = notices_metrics_unhealthy_ctx,
                         .not_ready = notices_metrics_not_ready_ctx};
    http_server *ops;
    if (start_ops("notices_metrics_listen", cfg->notices_metrics_listen, &source, &ops) != 0)
        return EXIT_USAGE;
    int rc = notices_run(cfg, &stop_requested, &metrics);
    http_server_stop(ops);
    return rc;
}

static store *connect_or_report(const server_config *cfg)
{
    char err[1024];
    if (!cfg->database_url[0]) {
        fprintf(stderr, "weldreg-server: no database given: set DATABASE_URL or --database-url\n");
        return NULL;
    }
    store *st = store_connect(cfg->database_url, err, sizeof(err));
    if (!st)
        fprintf(stderr, "weldreg-server: %s\n", err);
    return st;
}

static int run_migrate(const server_config *cfg, const provision_args *prov)
{
    (void)prov;
    char err[1024];
    store *st = connect_or_report(cfg);
    if (!st)
        return EXIT_DATABASE;
    int applied = 0;
    int rc = store_migrate(st, cfg->schema_dir, &applied, err, sizeof(err));
    store_destroy(st);
    if (rc != 0) {
        fprintf(stderr, "weldreg-server: %s\n", err);
        return 1;
    }
    printf("migrations applied: %d\n", applied);
    return 0;
}

/* Reads a PSK from @p path, or makes a new one there (mode 0600) if the file does not exist. */
static int obtain_psk(const char *path, char psk[SECRET_PSK_LEN + 1])
{
    FILE *f = fopen(path, "r");
    if (f) {
        char buf[128] = {0};
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
            n--;
        int ok = secret_psk_is_valid(buf, n);
        if (ok)
            memcpy(psk, buf, SECRET_PSK_LEN + 1);
        psk[SECRET_PSK_LEN] = '\0';
        OPENSSL_cleanse(buf, sizeof(buf));
        if (!ok)
            fprintf(stderr,
                    "weldreg-server: \"%s\" does not hold a PSK (43 base64url characters)\n", path);
        return ok ? 0 : -1;
    }
    if (errno != ENOENT || secret_new_psk(psk) != WR_OK) {
        fprintf(stderr, "weldreg-server: could not read or create \"%s\": %s\n", path,
                strerror(errno));
        return -1;
    }
    mode_t old = umask(077);
    f = fopen(path, "wx");
    umask(old);
    if (!f || fprintf(f, "%s\n", psk) < 0 || fclose(f) != 0) {
        fprintf(stderr, "weldreg-server: could not write \"%s\": %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

static int read_kek(const char *path, uint8_t kek[SECRET_KEK_LEN])
{
    FILE *f = path[0] ? fopen(path, "rb") : NULL;
    uint8_t extra;
    int ok = f && fread(kek, 1, SECRET_KEK_LEN, f) == SECRET_KEK_LEN && fread(&extra, 1, 1, f) == 0;
    if (f)
        fclose(f);
    if (!ok)
        fprintf(stderr, "weldreg-server: psk_kek_file \"%s\" must hold exactly %d bytes\n", path,
                SECRET_KEK_LEN);
    return ok ? 0 : -1;
}

static int run_provision(const server_config *cfg, const provision_args *prov)
{
    principal_role role;
    if (!prov->role || !prov->identity || (!prov->psk_file && !prov->allow_cert)) {
        fprintf(stderr, "weldreg-server: provision needs --role, --identity, and --psk-file or "
                        "--cert\n");
        return EXIT_USAGE;
    }
    if (principal_role_parse(prov->role, &role) != 0) {
        fprintf(stderr,
                "weldreg-server: unknown role \"%s\": expected admin, inspector or machine\n",
                prov->role);
        return EXIT_USAGE;
    }
    if (!principal_identity_is_valid(prov->identity, strlen(prov->identity))) {
        fprintf(stderr,
                "weldreg-server: invalid identity: use 1 to %d letters, digits or \"-_.:@\"\n",
                PRINCIPAL_IDENTITY_MAX);
        return EXIT_USAGE;
    }
    uint8_t kek[SECRET_KEK_LEN];
    char psk[SECRET_PSK_LEN + 1];
    if (read_kek(cfg->psk_kek_file, kek) != 0)
        return EXIT_USAGE;
    int rc = !prov->psk_file || obtain_psk(prov->psk_file, psk) == 0 ? 0 : 1;
    store *st = rc == 0 ? connect_or_report(cfg) : NULL;
    char err[1024];
    if (rc == 0 && !st)
        rc = EXIT_DATABASE;
    if (rc == 0 && store_save_principal(st, role, prov->identity, kek, prov->psk_file ? psk : NULL,
                                        prov->allow_cert, err, sizeof(err)) != 0) {
        fprintf(stderr, "weldreg-server: %s\n", err);
        rc = 1;
    }
    store_destroy(st);
    OPENSSL_cleanse(kek, sizeof(kek));
    OPENSSL_cleanse(psk, sizeof(psk));
    if (rc == 0)
        printf("provisioned %s \"%s\"%s%s%s\n", prov->role, prov->identity,
               prov->psk_file ? "; PSK in " : "", prov->psk_file ? prov->psk_file : "",
               prov->allow_cert ? "; certificate accepted" : "");
    return rc;
}

/* Re-seals until a pass finds no PSK left under the previous key: a PSK the admin API sealed
 * with the old key just before the files changed is caught by the next pass. */
static int rekey_reseal(store *st, const kek_pair *keys)
{
    char err[1024];
    store_reseal_count count;
    for (int pass = 1; pass <= 3; pass++) {
        if (store_reseal_psks(st, keys, &count, err, sizeof(err)) != 0) {
            fprintf(stderr, "weldreg-server: %s\n", err);
            return 1;
        }
        printf("pass %d: re-sealed %lld PSKs, %lld were under the new key already\n", pass,
               (long long)count.resealed, (long long)count.current);
        if (count.resealed == 0)
            return 0;
        sleep(1); /* an API request that read the old key has committed by then */
    }
    fprintf(stderr, "weldreg-server: PSKs under the old key keep appearing; run rekey again\n");
    return 1;
}

/* The keys of a rekey: the new one in @p new_file and the one it replaces, psk_kek_file's; or,
 * when psk_kek_file holds the new key already (a rekey stopped after moving the files),
 * psk_kek_previous_file's, and *resume is set. EXIT_USAGE with a message otherwise. */
static int rekey_keys(const server_config *cfg, const char *new_file, kek_pair *keys, bool *resume)
{
    keys->has_previous = true;
    if (read_kek(cfg->psk_kek_file, keys->previous) != 0)
        return EXIT_USAGE;
    if (key_file_read(new_file, keys->current, sizeof(keys->current)) != 0) {
        fprintf(stderr, "weldreg-server: the new key \"%s\" must hold exactly %d bytes\n", new_file,
                SECRET_KEK_LEN);
        kek_pair_wipe(keys);
        return EXIT_USAGE;
    }
    *resume = CRYPTO_memcmp(keys->current, keys->previous, SECRET_KEK_LEN) == 0;
    if (*resume &&
        key_file_read(cfg->psk_kek_previous_file, keys->previous, sizeof(keys->previous)) != 0) {
        fprintf(stderr, "weldreg-server: the new key is the current one and there is no "
                        "previous key to re-seal from\n");
        kek_pair_wipe(keys);
        return EXIT_USAGE;
    }
    return 0;
}

/* Rotates the PSKs' key-encryption key (docs/keys.md): the files first, so that a running server
 * can open every PSK at any moment, then the re-seal. */
static int run_rekey(const server_config *cfg, const provision_args *prov)
{
    if (!prov->new_kek_file || !cfg->psk_kek_previous_file[0]) {
        fprintf(stderr, "weldreg-server: rekey needs --new-kek-file and psk_kek_previous_file in "
                        "the configuration (where running servers find the old key meanwhile)\n");
        return EXIT_USAGE;
    }
    kek_pair keys;
    bool resume = false;
    char err[1024];
    int rc = rekey_keys(cfg, prov->new_kek_file, &keys, &resume);
    if (rc != 0)
        return rc;
    store *st = connect_or_report(cfg);
    rc = st ? 0 : EXIT_DATABASE;
    if (rc == 0 && resume)
        printf("psk_kek_file holds the new key already: re-sealing what is left\n");
    if (rc == 0 && !resume &&
        (kek_file_install(cfg->psk_kek_previous_file, keys.previous, err, sizeof(err)) != 0 ||
         kek_file_install(cfg->psk_kek_file, keys.current, err, sizeof(err)) != 0)) {
        fprintf(stderr, "weldreg-server: %s\n", err);
        rc = 1;
    }
    if (rc == 0)
        rc = rekey_reseal(st, &keys);
    store_destroy(st);
    kek_pair_wipe(&keys);
    if (rc == 0)
        printf("every PSK is sealed under the key now in %s; delete %s once every server has "
               "reloaded (event=registry_loaded)\n",
               cfg->psk_kek_file, cfg->psk_kek_previous_file);
    return rc;
}

/* What rekey-pii installs just before its transaction commits. */
typedef struct rekey_pii_target {
    const char *path;
    const pii_keys *chain; /* the old keys and the new one */
} rekey_pii_target;

static int rekey_pii_install(void *arg, char *err, size_t errlen)
{
    const rekey_pii_target *c = arg;
    return pii_keys_install(c->path, c->chain, err, errlen);
}

/* Reads the chain of pii_key_file and appends the key in @p new_file. EXIT_USAGE with a message
 * when either is unusable or the key is in the chain already. */
static int rekey_pii_chain(const server_config *cfg, const char *new_file, pii_keys *chain)
{
    if (!cfg->pii_key_file[0] || pii_keys_read(cfg->pii_key_file, chain) != 0) {
        fprintf(stderr, "weldreg-server: pii_key_file must hold 1 to %d keys of %d bytes\n",
                PII_KEYS_MAX, PII_KEY_LEN);
        return EXIT_USAGE;
    }
    const char *why = chain->count == PII_KEYS_MAX ? "the chain is full" : NULL;
    if (!why && key_file_read(new_file, chain->key[chain->count], PII_KEY_LEN) != 0)
        why = "the new key must hold exactly 32 bytes";
    for (unsigned i = 0; !why && i < chain->count; i++)
        if (CRYPTO_memcmp(chain->key[i], chain->key[chain->count], PII_KEY_LEN) == 0)
            why = "the new key is in the chain already";
    if (why) {
        fprintf(stderr, "weldreg-server: %s\n", why);
        pii_keys_wipe(chain);
        return EXIT_USAGE;
    }
    chain->count++;
    return 0;
}

/* Rotates the personal-data HMAC key (docs/keys.md): the marker stops new hashes, a second later
 * one transaction wraps every stored hash and installs the longer chain before it commits. */
static int run_rekey_pii(const server_config *cfg, const provision_args *prov)
{
    char marker[CONFIG_PATH_MAX + 16], err[1024];
    pii_keys chain;
    if (!prov->new_pii_key_file) {
        fprintf(stderr, "weldreg-server: rekey-pii needs --new-pii-key-file\n");
        return EXIT_USAGE;
    }
    int rc = rekey_pii_chain(cfg, prov->new_pii_key_file, &chain);
    if (rc != 0)
        return rc;
    int fd = pii_keys_marker(cfg->pii_key_file, marker, sizeof(marker))
                 ? open(marker, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)
                 : -1;
    store *st = fd >= 0 ? connect_or_report(cfg) : NULL;
    rc = fd < 0 ? 1 : !st ? EXIT_DATABASE : 0;
    if (fd < 0)
        fprintf(stderr,
                "weldreg-server: could not create \"%s\" (%s): a rotation under way, or "
                "one that failed (docs/keys.md)\n",
                marker, strerror(errno));
    else
        close(fd);
    int64_t count = 0;
    rekey_pii_target install = {.path = cfg->pii_key_file, .chain = &chain};
    if (rc == 0)
        sleep(1); /* a request that read the old chain before the marker has written by then */
    if (rc == 0 && store_rehash_pii(st, chain.key[chain.count - 1], rekey_pii_install, &install,
                                    &count, err, sizeof(err)) != 0) {
        fprintf(stderr, "weldreg-server: %s\n", err);
        rc = 1;
    }
    store_destroy(st);
    if (fd >= 0)
        unlink(marker);
    if (rc == 0)
        printf("re-hashed the ID-card and licence numbers of %lld welders; %s holds %u keys\n",
               (long long)count, cfg->pii_key_file, chain.count);
    pii_keys_wipe(&chain);
    return rc;
}

/* One pass of the data life cycle (server/life/maintain.h). */
static int run_maintain(const server_config *cfg, const provision_args *prov)
{
    char err[1024];
    store *st = connect_or_report(cfg);
    if (!st)
        return EXIT_DATABASE;
    maintain_options o = {.ahead = cfg->partitions_ahead_months,
                          .keep_months = cfg->checkins_retention_months,
                          .archive_dir = cfg->archive_dir,
                          .archive_only = prov->archive_only};
    int rc = maintain_run(st, &o, err, sizeof(err));
    store_destroy(st);
    if (rc != 0)
        log_event(LOG_LEVEL_ERROR, "maintain_failed", "error=\"%s\"", err);
    return rc == 0 ? 0 : 1;
}

/* An archived month back into a table of its own. */
static int run_archive_restore(const server_config *cfg, const provision_args *prov)
{
    char err[1024];
    if (!prov->month) {
        fprintf(stderr, "weldreg-server: archive-restore needs --month YYYY-MM\n");
        return EXIT_USAGE;
    }
    store *st = connect_or_report(cfg);
    if (!st)
        return EXIT_DATABASE;
    int rc = maintain_restore(st, cfg->archive_dir, prov->table ? prov->table : "checkins",
                              prov->month, prov->into, err, sizeof(err));
    store_destroy(st);
    if (rc != 0)
        fprintf(stderr, "weldreg-server: %s\n", err);
    return rc == 0 ? 0 : 1;
}

/* Prints the reason-code table (what devices and inspectors see) as Markdown. */
static int run_reasons(const server_config *cfg, const provision_args *prov)
{
    (void)cfg;
    (void)prov;
    printf("| reason | severity | violation | 含义 | meaning |\n|---|---|---|---|---|\n");
    for (int code = 1; code < REASON_COUNT_; code++) {
        const reason_info *r = reason_get((reason_code)code);
        printf("| `%s` | %s | %s | %s | %s |\n", r->name, reason_severity_name(r->severity),
               r->violation ? "yes" : "no", r->zh, r->text);
    }
    return 0;
}

static const struct subcommand {
    const char *name;
    int (*run)(const server_config *cfg, const provision_args *prov);
} subcommands[] = {
    {"serve", run_serve},
    {"migrate", run_migrate},
    {"provision", run_provision},
    {"reasons", run_reasons},
    {"notices", run_notices},
    {"rekey", run_rekey},
    {"rekey-pii", run_rekey_pii},
    {"maintain", run_maintain},
    {"archive-restore", run_archive_restore},
};

int main(int argc, char **argv)
{
    const char *command = "serve";
    if (argc > 1 && argv[1][0] != '-') {
        command = argv[1];
        argv[1] = argv[0];
        argc--;
        argv++;
    }
    server_config cfg;
    provision_args prov = {.argc = argc, .argv = argv};
    config_init(&cfg);
    if (parse_args(argc, argv, &cfg, &prov) != 0)
        return EXIT_USAGE;
    log_init(cfg.log_level);
    for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
        if (strcmp(command, subcommands[i].name) == 0)
            return subcommands[i].run(&cfg, &prov);
    fprintf(stderr, "weldreg-server: unknown subcommand \"%s\"\n", command);
    usage(stderr);
    return EXIT_USAGE;
}
