/* server.c — the libcoap context, DTLS credentials, endpoints and the event loop. */
#include "server/loop/server.h"

#include <errno.h>
#include <netdb.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "server/api/api.h"
#include "server/checkin/checkin_host.h"
#include "server/loop/clock.h"
#include "server/loop/coapio.h"
#include "server/loop/crl.h"
#include "server/loop/dtls_creds.h"
#include "server/checkin/judge.h"
#include "server/loop/log.h"
#include "server/loop/metrics.h"
#include "server/loop/sdnotify.h"
#include "server/views/refresher.h"
#include "server/loop/peers.h"
#include "server/loop/reuseport.h"
#include "server/loop/routes.h"
#include "server/db/store.h"

struct server {
    const server_config *cfg;
    peers *peers; /* the identities handshakes named, and their deadlines */
    coap_context_t *ctx;
    coapio io; /* libcoap's reads and timers, driven from epoll_fd */
    int epoll_fd;
    refresher *refresher;        /* keeps principals and registry current */
    principal_table *principals; /* owned by the loop thread */
    registry *registry;          /* owned by the loop thread */
    sessions *sessions;          /* owned by the loop thread */
    cluster_sessions *cluster;   /* several servers: the cluster's open sessions (loop's) */
    trust_list *trust;           /* keys that may sign codes */
    judge_context judge;
    server_clock clock;    /* the time check-ins and sweeps are judged at */
    int64_t next_sweep;    /* when the sessions are swept next */
    coap_resource_t *live; /* GET /v1/violations/live, observed by inspectors */
    bool live_pending;     /* violations were recorded since the observers were last told */
    coap_tick_t live_next; /* not before this: a burst costs one notification per interval */
    writer *writer;
    leases *leases;        /* several servers: the machines' leases; NULL for the only one */
    checkin_host checkins; /* what check-ins and codes reach the loop through */
    api *api;              /* the API for people: its workers, keys and the requests they run */
    int database_fd;       /* the socket of the admin API's connection being made; -1 */
    uint8_t kek[SECRET_KEK_LEN];
    coap_bin_const_t psk_reply; /* the key handed to libcoap in the handshake callback */
    log_limit handshake_log;    /* handshake_failed lines: a flood cannot fill the log */
    log_limit checkin_rate_log; /* checkin_rate_limited lines, likewise */
    coap_dtls_spsk_t psk_setup;
    coap_dtls_pki_t pki_setup;
    dtls_creds creds; /* what pki_setup points at */
    crl_state crl;    /* revoked device certificates (crl_file) */
    /* OpenSSL errors the loop found left in its queue since the last report (see
     * server_drop_openssl_errors) */
    unsigned long openssl_dropped;
    char openssl_first[128]; /* the reason of the first of them */
    int64_t openssl_next_report;
    server_metrics metrics; /* read by the metrics listener's threads */
    int64_t watchdog_ms;    /* WATCHDOG=1 this often (half of systemd's WatchdogSec); 0: none */
    int64_t next_watchdog;
    bool announced; /* "ready" was logged and told to systemd */
};

enum {
    SERVER_TAG_COAP = 1,
    SERVER_TAG_WRITER,
    SERVER_TAG_REFRESHER,
    SERVER_TAG_DATABASE,
    SERVER_TAG_API,
    SERVER_TAG_LEASES
};

/* Observers of new violations are told at most this often (milliseconds). */
#define SERVER_LIVE_INTERVAL_MS 250

/* The server that owns @p session. */
static server *server_of_session(const coap_session_t *session)
{
    return coap_get_app_data(coap_session_get_context(session));
}

/* The authenticated principal of @p session (by PSK identity or certificate CN), or NULL. */
static const principal *server_principal_of(server *srv, const coap_session_t *session)
{
    const coap_bin_const_t *identity = coap_session_get_psk_identity(session);
    if (identity && identity->length)
        return principal_table_find(srv->principals, (const char *)identity->s, identity->length);
    const char *named = peers_identity(session);
    if (!named)
        return NULL;
    const principal *p = principal_table_find(srv->principals, named, strlen(named));
    return p && p->allow_cert ? p : NULL;
}

static int64_t server_monotonic_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

int server_set_session_identity(server *srv, coap_session_t *session, const char *identity)
{
    if (peers_name(srv->peers, session, identity, server_monotonic_ms(),
                   (int64_t)srv->cfg->handshake_timeout_s * 1000) != 0)
        return -1;
    if (coap_session_get_state(session) != COAP_SESSION_STATE_HANDSHAKE)
        peers_connected(srv->peers, session); /* named after its handshake: no deadline */
    return 0;
}

/* ---- keys and credentials ---- */

static int server_load_kek(server *srv, char *err, size_t errlen)
{
    FILE *f = fopen(srv->cfg->psk_kek_file, "rb");
    if (!f) {
        snprintf(err, errlen, "could not open \"%s\": %s", srv->cfg->psk_kek_file, strerror(errno));
        return -1;
    }
    uint8_t extra;
    size_t n = fread(srv->kek, 1, sizeof(srv->kek), f);
    int too_long = fread(&extra, 1, 1, f) == 1;
    fclose(f);
    if (n != sizeof(srv->kek) || too_long) {
        snprintf(err, errlen, "\"%s\" must hold exactly %d bytes (a 256-bit key)",
                 srv->cfg->psk_kek_file, SECRET_KEK_LEN);
        return -1;
    }
    return 0;
}

/* Applies the scans and sessions the other servers committed (cluster.h), in their order. */
static void server_take_cluster(server *srv)
{
    size_t count;
    bool reset;
    if (!srv->judge.scans)
        return; /* not yet: server_init_judge() takes them */
    cluster_notice *notices = refresher_take_cluster(srv->refresher, &count, &reset);
    if (!srv->cluster) {
        free(notices);
        return;
    }
    if (reset)
        cluster_sessions_clear(srv->cluster);
    size_t lost = 0;
    for (size_t i = 0; i < count; i++)
        lost += cluster_apply(srv->judge.scans, srv->cluster, &notices[i]) != 0;
    free(notices);
    if (lost)
        log_event(LOG_LEVEL_WARN, "cluster_notices_lost", "count=%zu reason=\"out of memory\"",
                  lost);
}

/* The time within which two scans of one code can be too far apart: long enough to cross half
 * the Earth at the speed travel allows (core/travel.h); older scans are not read at start. */
static int64_t server_scans_window_s(const server_config *cfg)
{
    const double half_earth_m = 20.04e6;
    double speed_m_s =
        (cfg->copied_code_speed_kmh ? cfg->copied_code_speed_kmh : TRAVEL_DEFAULT_SPEED_KMH) / 3.6;
    return (int64_t)(half_earth_m / speed_m_s) + 1;
}

/* Swaps in the newest snapshot of principals and registry, if the refresher has one. */
static void server_take_snapshot(server *srv)
{
    principal_table *table;
    registry *reg;
    /* refresher_take() drains the eventfd first: what the thread hands over after that wakes
     * the loop again, so it is taken below or at the next wake-up, never left waiting */
    bool fresh = refresher_take(srv->refresher, &table, &reg);
    if (refresher_take_violations(srv->refresher))
        srv->live_pending = true;
    server_take_cluster(srv);
    if (!fresh)
        return;
    principal_table_destroy(srv->principals);
    srv->principals = table;
    registry_destroy(srv->registry);
    srv->registry = reg;
}

/* What check-ins are judged by: the registry view, the machines' sessions, the trust list. */
static const judge_context *server_judge(server *srv)
{
    srv->judge.reg = srv->registry; /* the view changes on reload */
    return &srv->judge;
}

/* The judge's limits: set at start and again by a reload. */
static void server_apply_limits(server *srv, const server_config *cfg)
{
    srv->judge.limits.max_skew_s = cfg->max_skew_s;
    srv->judge.limits.late_s = cfg->late_s;
    srv->judge.limits.heartbeat_timeout_s = cfg->heartbeat_timeout_s;
    srv->judge.max_session_s = cfg->max_session_s;
    srv->judge.shared_code_m = cfg->shared_code_m;
    srv->judge.travel.speed_kmh = cfg->copied_code_speed_kmh;
    srv->judge.travel.slack_m = cfg->copied_code_slack_m;
}

static int server_init_judge(server *srv, char *err, size_t errlen)
{
    const server_config *cfg = srv->cfg;
    if (cfg->code_cache_slots > 0 && !(srv->judge.codes = code_cache_new(cfg->code_cache_slots))) {
        snprintf(err, errlen, "out of memory for code_cache_slots = %u", cfg->code_cache_slots);
        return -1;
    }
    if (!(srv->judge.scans = scans_create())) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    srv->judge.sessions = srv->sessions;
    srv->judge.cluster = srv->cluster;
    srv->judge.trust = srv->trust;
    server_apply_limits(srv, cfg);
    if (srv->refresher)
        server_take_cluster(srv); /* the snapshot read at start */
    return 0;
}

/* Reads the trust list of @p file into @p out (NULL for no file); 0, or -1 with a message. */
static int server_read_trust(const char *file, trust_list **out, char *err, size_t errlen)
{
    *out = NULL;
    if (!file[0]) {
        log_event(LOG_LEVEL_WARN, "no_trust_list", "effect=\"no scanned code can verify\"");
        return 0;
    }
    FILE *f = fopen(file, "rb");
    char buf[1 << 16];
    size_t n = f ? fread(buf, 1, sizeof(buf), f) : 0;
    if (f)
        fclose(f);
    trust_error terr;
    if (!f || trust_list_parse(buf, n, out, &terr) != WR_OK) {
        snprintf(err, errlen, "could not load the trust list \"%s\": %s", file,
                 f ? terr.message : strerror(errno));
        return -1;
    }
    log_event(LOG_LEVEL_INFO, "trust_list_loaded", "keys=%zu", (*out)->count);
    return 0;
}

/* The trust list says which keys may sign codes; without one no code verifies. */
static int server_load_trust(server *srv, char *err, size_t errlen)
{
    return server_read_trust(srv->cfg->trust_list_file, &srv->trust, err, errlen);
}

int server_reload(server *srv, const server_config *fresh, char *err, size_t errlen)
{
    trust_list *trust;
    if (server_read_trust(fresh->trust_list_file, &trust, err, errlen) != 0) {
        atomic_fetch_add(&srv->metrics.reload_failures, 1);
        return -1;
    }
    /* the new list is read while the old one lives: another address, which empties the code
     * cache (code_cache_seen), so no code verified under a withdrawn key passes from memory */
    trust_list_destroy(srv->trust);
    srv->trust = trust;
    srv->judge.trust = trust;
    server_apply_limits(srv, fresh);
    log_init(fresh->log_level);
    refresher_request_reload(srv->refresher); /* revocations, principals, the registry */
    atomic_fetch_add(&srv->metrics.reloads, 1);
    log_event(LOG_LEVEL_INFO, "config_reloaded", "trust_keys=%zu", trust ? trust->count : 0);
    return 0;
}

server_metrics *server_get_metrics(server *srv)
{
    return &srv->metrics;
}

/* Runs inside the DTLS handshake: must answer from memory, never from the database. */
static const coap_bin_const_t *server_psk_for_identity(coap_bin_const_t *identity,
                                                       coap_session_t *session, void *arg)
{
    server *srv = arg;
    dtls_creds_clear_errors();
    const principal *p =
        principal_table_find(srv->principals, (const char *)identity->s, identity->length);
    if (!p || !p->has_psk) {
        atomic_fetch_add(&srv->metrics.handshakes[METRICS_HANDSHAKE_REFUSED], 1);
        bool printable = principal_identity_is_valid((const char *)identity->s, identity->length);
        log_event(LOG_LEVEL_WARN, "handshake_refused", "reason=\"unknown identity\" identity=%.*s",
                  printable ? (int)identity->length : 1,
                  printable ? (const char *)identity->s : "?");
        return NULL;
    }
    if (server_set_session_identity(srv, session, p->identity) != 0)
        return NULL; /* out of memory: refused, as the handshake could not be accounted for */
    srv->psk_reply.s = p->psk;
    srv->psk_reply.length = SECRET_PSK_LEN;
    return &srv->psk_reply;
}

static int server_cn_ok(const char *cn, const uint8_t *cert, size_t cert_len,
                        coap_session_t *session, unsigned depth, int validated, void *arg)
{
    server *srv = arg;
    dtls_creds_clear_errors();
    if (!validated)
        return 0;
    if (depth > 0)
        return 1; /* a CA in the chain; the leaf decides */
    if (crl_is_revoked(&srv->crl, cert, cert_len)) {
        log_event(LOG_LEVEL_WARN, "handshake_refused", "reason=\"revoked certificate\" cn=%s",
                  principal_identity_is_valid(cn, strlen(cn)) ? cn : "?");
        return 0;
    }
    const principal *p = principal_table_find(srv->principals, cn, strlen(cn));
    if (!p || !p->allow_cert) {
        atomic_fetch_add(&srv->metrics.handshakes[METRICS_HANDSHAKE_REFUSED], 1);
        log_event(LOG_LEVEL_WARN, "handshake_refused", "reason=\"unknown certificate\"");
        return 0;
    }
    return server_set_session_identity(srv, session, cn) == 0;
}

/* A DTLS handshake that named a known identity and never completed (peers.h): a chip with a
 * stale key, someone guessing, or a peer that gave up, which must show in the log, but at most
 * once a second (server_report_held_handshakes counts the rest). An unknown identity was logged
 * by the key callback. Never the key. */
static void server_log_handshake_failed(void *ctx, coap_session_t *session, const char *identity)
{
    server *srv = ctx;
    unsigned long held;
    atomic_fetch_add(&srv->metrics.handshakes[METRICS_HANDSHAKE_FAILED], 1);
    if (!log_limit_pass(&srv->handshake_log, server_monotonic_ms(), &held))
        return;
    unsigned char addr[64] = "?";
    coap_print_addr(coap_session_get_addr_remote(session), addr, sizeof(addr));
    log_event(LOG_LEVEL_WARN, "handshake_failed",
              "identity=%s peer=%s reason=\"wrong key, or the peer gave up\" suppressed=%lu",
              identity, (const char *)addr, held);
}

/* The handshake failures held back by the rate limit are counted on a line of their own once
 * their second is over: a flood that ends is fully counted within a second or so. */
static void server_report_held_handshakes(server *srv)
{
    unsigned long held;
    if (log_limit_flush(&srv->handshake_log, server_monotonic_ms(), &held))
        log_event(LOG_LEVEL_WARN, "handshakes_failed_held",
                  "count=%lu reason=\"wrong key, or the peer gave up\"", held);
}

static int server_on_event(coap_session_t *session, const coap_event_t event)
{
    /* a failed handshake leaves its errors queued, and a new session's first step (its
     * ClientHello) must not see those of another */
    if (event == COAP_EVENT_DTLS_ERROR || event == COAP_EVENT_SERVER_SESSION_NEW)
        dtls_creds_clear_errors();
    server *srv = server_of_session(session);
    peers *ps = srv->peers;
    if (event == COAP_EVENT_DTLS_CONNECTED) {
        peers_connected(ps, session);
        atomic_fetch_add(&srv->metrics.handshakes[METRICS_HANDSHAKE_COMPLETED], 1);
    }
    if (event == COAP_EVENT_SERVER_SESSION_NEW)
        atomic_fetch_add(&srv->metrics.dtls_sessions, 1);
    if (event == COAP_EVENT_SERVER_SESSION_DEL) {
        atomic_fetch_sub(&srv->metrics.dtls_sessions, 1);
        if (peers_mark_observing(session, false)) /* libcoap drops its observers with it */
            atomic_fetch_sub(&srv->metrics.observers, 1);
    }
    if (event == COAP_EVENT_DTLS_CLOSED || event == COAP_EVENT_SERVER_SESSION_DEL)
        peers_ended(ps, session);
    if (event == COAP_EVENT_SERVER_SESSION_DEL)
        peers_forget(ps, session);
    return 0;
}

static int server_setup_dtls(server *srv, char *err, size_t errlen)
{
    srv->psk_setup.version = COAP_DTLS_SPSK_SETUP_VERSION;
    srv->psk_setup.validate_id_call_back = server_psk_for_identity;
    srv->psk_setup.id_call_back_arg = srv;
    if (!coap_context_set_psk2(srv->ctx, &srv->psk_setup)) {
        snprintf(err, errlen, "could not set up DTLS-PSK");
        return -1;
    }
    const server_config *cfg = srv->cfg;
    if (!cfg->cert_file[0])
        return 0;
    if (dtls_creds_load(&srv->creds, cfg->cert_file, cfg->key_file, cfg->ca_file, err, errlen) !=
            0 ||
        crl_load(&srv->crl, cfg->crl_file, cfg->ca_file, err, errlen) != 0)
        return -1;
    coap_dtls_pki_t *pki = &srv->pki_setup;
    pki->version = COAP_DTLS_PKI_SETUP_VERSION;
    pki->verify_peer_cert = 1;
    pki->check_common_ca = 1;
    pki->cert_chain_validation = 1;
    pki->cert_chain_verify_depth = 2;
    pki->validate_cn_call_back = server_cn_ok;
    pki->cn_call_back_arg = srv;
    dtls_creds_apply(&srv->creds, pki);
    if (!coap_context_set_pki(srv->ctx, pki)) {
        snprintf(err, errlen, "could not set up DTLS with certificates from \"%s\"",
                 cfg->cert_file);
        return -1;
    }
    return 0;
}

/* ---- endpoints ---- */

/* Splits "ADDR", "ADDR:PORT" (IPv4) or "[ADDR]:PORT" into host and port. */
static int server_split_listen(const char *spec, char *host, size_t hostlen, char *port,
                               size_t portlen)
{
    const char *colon = strrchr(spec, ':');
    snprintf(port, portlen, "5684");
    if (spec[0] == '[') {
        const char *close = strchr(spec, ']');
        if (!close || (close[1] && close[1] != ':') || (size_t)(close - spec) > hostlen)
            return -1;
        snprintf(host, hostlen, "%.*s", (int)(close - spec - 1), spec + 1);
        if (close[1] == ':')
            snprintf(port, portlen, "%s", close + 2);
        return 0;
    }
    if (colon && strchr(spec, ':') == colon) {
        snprintf(host, hostlen, "%.*s", (int)(colon - spec), spec);
        snprintf(port, portlen, "%s", colon + 1);
        return 0;
    }
    snprintf(host, hostlen, "%s", spec);
    return 0;
}

static int server_add_endpoint(server *srv, const char *spec, char *err, size_t errlen)
{
    char host[128], port[16];
    struct addrinfo hints = {.ai_socktype = SOCK_DGRAM,
                             .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE};
    struct addrinfo *res = NULL;
    if (server_split_listen(spec, host, sizeof(host), port, sizeof(port)) != 0 ||
        getaddrinfo(host, port, &hints, &res) != 0) {
        snprintf(err, errlen,
                 "invalid listen address \"%s\": expected 127.0.0.1:5684 or [::1]:5684", spec);
        return -1;
    }
    coap_address_t addr;
    coap_address_init(&addr);
    memcpy(&addr.addr, res->ai_addr, res->ai_addrlen);
    addr.size = res->ai_addrlen;
    freeaddrinfo(res);
    char why[128];
    if (srv->cfg->reuse_port && reuseport_endpoint(srv->ctx, &addr, why, sizeof(why)) != 0) {
        snprintf(err, errlen, "could not listen on \"%s\" with reuse_port: %s", spec, why);
        return -1;
    }
    if (!srv->cfg->reuse_port && !coap_new_endpoint(srv->ctx, &addr, COAP_PROTO_DTLS)) {
        snprintf(err, errlen, "could not listen on \"%s\" (in use, or no such address)", spec);
        return -1;
    }
    log_event(LOG_LEVEL_INFO, "listening", "addr=coaps://%s%s%s:%s reuse_port=%s",
              strchr(host, ':') ? "[" : "", host, strchr(host, ':') ? "]" : "", port,
              srv->cfg->reuse_port ? "true" : "false");
    return 0;
}

/* The handlers' way to the loop (checkin_host.principal_of, api_host.principal_of). */
static const principal *server_host_principal_of(void *ctx, const coap_session_t *session)
{
    return server_principal_of(ctx, session);
}

/* checkin_host.judge */
static const judge_context *server_host_judge(void *ctx)
{
    return server_judge(ctx);
}

/* The resources, each with its owner as user data: the check-in host for check-ins and codes,
 * the api for the API for people (made before). */
static void server_register_routes(server *srv)
{
    srv->checkins = (checkin_host){.ctx = srv,
                                   .principal_of = server_host_principal_of,
                                   .judge = server_host_judge,
                                   .clock = &srv->clock,
                                   .sessions = srv->sessions,
                                   .writer = srv->writer,
                                   .leases = srv->leases,
                                   .retry_after_s = srv->cfg->retry_after_s,
                                   .rate_per_s = srv->cfg->checkin_rate,
                                   .rate_burst = srv->cfg->checkin_burst,
                                   .rate_log = &srv->checkin_rate_log,
                                   .metrics = &srv->metrics};
    void *owners[ROUTES_OWNER_COUNT] = {[ROUTES_OWNER_CHECKINS] = &srv->checkins,
                                        [ROUTES_OWNER_CODES] = &srv->checkins,
                                        [ROUTES_OWNER_API] = srv->api};
    routes_register(srv->ctx, owners);
}

/* The context and its resources, without endpoints. The libcoap loaded at run time must be the
 * one the build was checked against (CMakeLists.txt): coapio.c relies on its internals. */
static int server_new_context(server *srv, char *err, size_t errlen)
{
    const char *loaded = coap_package_version(); /* "libcoap 4.3.1" */
    const char *number = strrchr(loaded, ' ') ? strrchr(loaded, ' ') + 1 : loaded;
    if (strcmp(number, WELDREG_LIBCOAP_VERSION) != 0) {
        snprintf(err, errlen,
                 "%s is loaded, weldreg needs libcoap %s (server/loop/coapio.c relies on it)",
                 loaded, WELDREG_LIBCOAP_VERSION);
        return -1;
    }
    srv->ctx = coap_new_context(NULL);
    if (!srv->ctx) {
        snprintf(err, errlen, "could not create the CoAP context");
        return -1;
    }
    coap_set_app_data(srv->ctx, srv);
    coap_context_set_block_mode(srv->ctx, COAP_BLOCK_USE_LIBCOAP | COAP_BLOCK_SINGLE_BODY);
    coap_context_set_max_idle_sessions(srv->ctx, srv->cfg->max_sessions);
    coap_context_set_session_timeout(srv->ctx, srv->cfg->session_idle_s);
    /* libcoap ignores every new ClientHello while this many handshakes are unfinished, counting
     * the "hello" session each address that sent a ClientHello keeps until it is 30 s old: a
     * low limit let spoofed ClientHellos lock out every machine that must open a session. The
     * hello sessions are small (no DTLS state); those past the cookie hold about 65 kB each for
     * up to 30 s (docs/reliability.md, Handshake flood). */
    coap_context_set_max_handshake_sessions(srv->ctx, srv->cfg->max_handshakes);
    coap_register_event_handler(srv->ctx, server_on_event);
    server_register_routes(srv);
    srv->live =
        coap_get_resource_from_uri_path(srv->ctx, coap_make_str_const("v1/violations/live"));
    if (srv->live)
        coap_resource_set_mode(srv->live, COAP_RESOURCE_FLAGS_NOTIFY_CON);
    return 0;
}

static int server_setup_coap(server *srv, char *err, size_t errlen)
{
    if (server_new_context(srv, err, errlen) != 0 || server_setup_dtls(srv, err, errlen) != 0)
        return -1;
    const server_config *cfg = srv->cfg;
    static const char *const defaults[] = {"127.0.0.1:5684", "[::1]:5684"};
    for (size_t i = 0; i < cfg->listen_count; i++) {
        if (server_add_endpoint(srv, cfg->listen[i], err, errlen) != 0)
            return -1;
    }
    for (size_t i = 0; !cfg->listen_count && i < sizeof(defaults) / sizeof(defaults[0]); i++) {
        if (server_add_endpoint(srv, defaults[i], err, errlen) != 0)
            return -1;
    }
    atomic_store(&srv->metrics.endpoints_bound, true);
    return 0;
}

coap_context_t *server_context(server *srv)
{
    return srv->ctx;
}

/* ---- life cycle ---- */

static int server_watch(server *srv, int fd, int tag)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)tag};
    return epoll_ctl(srv->epoll_fd, EPOLL_CTL_ADD, fd, &ev);
}

/* The API's api_host.watch_database: the socket of its connection being made, or -1. */
static int server_watch_database(void *ctx, int fd, bool want_write)
{
    server *srv = ctx;
    if (srv->database_fd >= 0 && srv->database_fd != fd) {
        /* fails harmlessly when libpq closed it already (epoll dropped it then) */
        epoll_ctl(srv->epoll_fd, EPOLL_CTL_DEL, srv->database_fd, NULL);
        srv->database_fd = -1;
    }
    if (fd < 0)
        return 0;
    struct epoll_event ev = {.events = want_write ? EPOLLOUT : EPOLLIN,
                             .data.u32 = SERVER_TAG_DATABASE};
    int rc = -1;
    if (srv->database_fd == fd)
        rc = epoll_ctl(srv->epoll_fd, EPOLL_CTL_MOD, fd, &ev);
    if (rc != 0) /* new, or a number libpq closed and opened again */
        rc = epoll_ctl(srv->epoll_fd, EPOLL_CTL_ADD, fd, &ev);
    srv->database_fd = rc == 0 ? fd : -1;
    return rc;
}

/* Several servers (server_id set): the lease thread, which takes each machine's lease and reads
 * its state at the machine's first check-in on this server. */
static int server_start_leases(server *srv, char *err, size_t errlen)
{
    const server_config *cfg = srv->cfg;
    if (!cfg->server_id[0])
        return 0;
    leases_config lc = {.conninfo = cfg->database_url,
                        .owner = cfg->server_id,
                        .lease_s = cfg->lease_s,
                        .silent_s = cfg->heartbeat_timeout_s,
                        .metrics = &srv->metrics};
    srv->leases = leases_create(&lc, err, errlen);
    if (!srv->leases)
        return -1;
    log_event(LOG_LEVEL_INFO, "leases_started", "server_id=%s lease_s=%u", cfg->server_id,
              cfg->lease_s);
    return 0;
}

static int server_connect(server *srv, int *exit_code, char *err, size_t errlen)
{
    refresher_kek_files files = {srv->cfg->psk_kek_file, srv->cfg->psk_kek_previous_file};
    /* several servers: the scans and sessions the others commit are followed (cluster.h) */
    bool several = srv->cfg->server_id[0] != '\0';
    refresher_cluster cluster = {server_scans_window_s(srv->cfg)};
    if (several && !(srv->cluster = cluster_sessions_create())) {
        snprintf(err, errlen, "out of memory");
        *exit_code = 3;
        return -1;
    }
    srv->refresher = refresher_create(srv->cfg->database_url, srv->kek, &files,
                                      several ? &cluster : NULL, &srv->metrics, err, errlen);
    if (!srv->refresher) {
        *exit_code = 3;
        return -1;
    }
    server_take_snapshot(srv);
    store *st = store_connect(srv->cfg->database_url, err, errlen);
    srv->sessions = sessions_create();
    /* several servers: a machine's state is read when its lease is taken, never before (the
     * open sessions of machines other servers hold would count their welders busy here) */
    bool load = !srv->cfg->server_id[0];
    int rc =
        st && srv->sessions ? (load ? store_load_sessions(st, srv->sessions, err, errlen) : 0) : -1;
    store_destroy(st);
    if (rc != 0) {
        *exit_code = 3;
        return -1;
    }
    const char *server_id = srv->cfg->server_id;
    srv->writer =
        writer_create(srv->cfg->database_url,
                      &(writer_limits){srv->cfg->batch_max, srv->cfg->writer_queue_max, server_id},
                      &srv->metrics, err, errlen);
    if (!srv->writer || server_start_leases(srv, err, errlen) != 0) {
        *exit_code = 3;
        return -1;
    }
    return 0;
}

/* api_host.observing: weldreg_observers counts sessions, however many notifications. */
static void server_host_observing(void *ctx, coap_session_t *session, bool on)
{
    server *srv = ctx;
    if (peers_mark_observing(session, on))
        atomic_fetch_add(&srv->metrics.observers, on ? 1 : -1);
}

/* The API for people, reaching the loop through this server. */
static api *server_create_api(server *srv, unsigned workers, const uint8_t *kek, char *err,
                              size_t errlen)
{
    api_host host = {.ctx = srv,
                     .principal_of = server_host_principal_of,
                     .watch_database = server_watch_database,
                     .observing = server_host_observing};
    return api_create(srv->cfg, &host, kek, workers, err, errlen);
}

static server *server_alloc(const server_config *cfg, char *err, size_t errlen)
{
    server *srv = calloc(1, sizeof(*srv));
    if (!srv) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    srv->cfg = cfg;
    srv->database_fd = -1;
    server_clock_init(&srv->clock);
    server_metrics_init(&srv->metrics);
    srv->watchdog_ms = sdnotify_watchdog_interval_ms();
    srv->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    srv->peers = peers_new(server_log_handshake_failed, srv);
    coap_startup();
    if (!srv->peers) {
        snprintf(err, errlen, "out of memory");
        server_destroy(srv);
        return NULL;
    }
    return srv;
}

server *server_create(const server_config *cfg, int *exit_code, char *err, size_t errlen)
{
    *exit_code = 2;
    server *srv = server_alloc(cfg, err, errlen);
    if (!srv)
        return NULL;
    if (server_load_kek(srv, err, errlen) != 0 || server_load_trust(srv, err, errlen) != 0 ||
        server_connect(srv, exit_code, err, errlen) != 0 ||
        server_init_judge(srv, err, errlen) != 0)
        goto fail;
    *exit_code = 2;
    /* before the resources: they carry the api as their user data */
    srv->api = server_create_api(srv, cfg->api_workers, srv->kek, err, errlen);
    if (!srv->api || server_setup_coap(srv, err, errlen) != 0)
        goto fail;
    if (coapio_init(&srv->io, srv->ctx, false) != 0 ||
        server_watch(srv, coapio_fd(&srv->io), SERVER_TAG_COAP) != 0 ||
        server_watch(srv, writer_event_fd(srv->writer), SERVER_TAG_WRITER) != 0 ||
        server_watch(srv, refresher_event_fd(srv->refresher), SERVER_TAG_REFRESHER) != 0) {
        snprintf(err, errlen, "could not set up the event loop (libcoap without epoll?)");
        goto fail;
    }
    if (srv->leases && server_watch(srv, leases_event_fd(srv->leases), SERVER_TAG_LEASES) != 0) {
        snprintf(err, errlen, "could not set up the event loop for the lease thread");
        goto fail;
    }
    if (server_watch(srv, api_event_fd(srv->api), SERVER_TAG_API) != 0) {
        snprintf(err, errlen, "could not set up the event loop for the API's workers");
        goto fail;
    }
    return srv;
fail:
    server_destroy(srv);
    return NULL;
}

server *server_create_offline(const server_config *cfg, principal_table *principals, registry *reg,
                              char *err, size_t errlen)
{
    server *srv = server_alloc(cfg, err, errlen);
    if (!srv) {
        principal_table_destroy(principals);
        registry_destroy(reg);
        return NULL;
    }
    srv->principals = principals;
    srv->registry = reg;
    srv->sessions = sessions_create();
    srv->writer = writer_create_offline();
    if (!srv->sessions || !srv->writer) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    /* no workers: the request fuzzer drives libcoap itself and would never see them finish */
    srv->api = server_create_api(srv, 0, srv->kek, err, errlen);
    if (!srv->api || server_load_trust(srv, err, errlen) != 0 ||
        server_new_context(srv, err, errlen) != 0 || server_init_judge(srv, err, errlen) != 0)
        goto fail;
    return srv;
fail:
    server_destroy(srv);
    return NULL;
}

/* Tells the observers of new violations, at most once per SERVER_LIVE_INTERVAL_MS. */
static void server_notify_live(server *srv)
{
    if (!srv->live_pending || !srv->live)
        return;
    coap_tick_t now;
    coap_ticks(&now);
    if (now < srv->live_next)
        return;
    srv->live_pending = false;
    srv->live_next = now + SERVER_LIVE_INTERVAL_MS * COAP_TICKS_PER_SECOND / 1000;
    coap_resource_notify_observers(srv->live, NULL);
    coapio_flush(&srv->io);
}

/* The writer finished some jobs: each goes back to its submitter (writer_done_fn). */
static void server_finish_jobs(server *srv)
{
    writer_job *job = writer_take_done(srv->writer);
    while (job) {
        writer_job *next = job->next;
        job->done(job);
        job = next;
    }
}

/* A sweep the writer made durable (or could not): the machine's session follows it. */
typedef struct server_sweep_job {
    writer_job job; /* first: the writer sees only this */
    server *srv;
} server_sweep_job;

static void server_sweep_done(writer_job *job)
{
    server_sweep_job *sj = (server_sweep_job *)job;
    if (job->rec.status == STORE_ESTALE) { /* the machine checks in on another server now */
        atomic_fetch_add(&sj->srv->metrics.lease_fenced, 1);
        log_event(LOG_LEVEL_INFO, "sweep_fenced", "chip=%s epoch=%u", job->rec.chip_id,
                  (unsigned)job->rec.lease_epoch);
    }
    judge_apply(sj->srv->sessions, &job->rec);
    free(sj);
}

/* OpenSSL's error queue is per thread and libcoap's handshakes read it: whatever a piece of work
 * left there is dropped before the next. libcoap leaves the errors of datagrams it refuses
 * without telling (a malformed ClientHello), so finding some is not news: counted, and logged at
 * debug level at most once a minute. */
static void server_drop_openssl_errors(server *srv)
{
    char reason[sizeof(srv->openssl_first)];
    unsigned dropped = dtls_creds_drop_errors(reason, sizeof(reason));
    if (dropped && !srv->openssl_dropped)
        memcpy(srv->openssl_first, reason, sizeof(reason));
    srv->openssl_dropped += dropped;
    int64_t now = (int64_t)time(NULL);
    if (!srv->openssl_dropped || now < srv->openssl_next_report)
        return;
    log_event(LOG_LEVEL_DEBUG, "openssl_errors_dropped", "count=%lu first=\"%s\"",
              srv->openssl_dropped, srv->openssl_first);
    srv->openssl_dropped = 0;
    srv->openssl_next_report = now + 60;
}

/* The lease thread took some leases: each machine is decided from now on by the state it read. */
static void server_take_leases(server *srv)
{
    lease_result *r = leases_take_done(srv->leases);
    while (r) {
        lease_result *next = r->next;
        machine_state *st = sessions_get(srv->sessions, r->state.chip_id);
        if (st && !r->taken)
            st->lease_asked = false; /* its next check-in asks again */
        else if (r->taken && sessions_adopt(srv->sessions, &r->state) != 0)
            log_event(LOG_LEVEL_ERROR, "session_state_lost", "chip=%s reason=\"out of memory\"",
                      r->state.chip_id);
        else if (r->taken)
            checkin_pace_adopted(&srv->checkins, sessions_get(srv->sessions, r->state.chip_id));
        free(r);
        r = next;
    }
}

static void server_dispatch(server *srv, const struct epoll_event *events, int n)
{
    for (int i = 0; i < n; i++) {
        switch (events[i].data.u32) {
        case SERVER_TAG_COAP: coapio_process(&srv->io); break;
        case SERVER_TAG_WRITER: server_finish_jobs(srv); break;
        case SERVER_TAG_REFRESHER: server_take_snapshot(srv); break;
        case SERVER_TAG_DATABASE: api_database_ready(srv->api); break;
        case SERVER_TAG_LEASES: server_take_leases(srv); break;
        case SERVER_TAG_API:
            api_finish_jobs(srv->api);
            coapio_flush(&srv->io); /* libcoap answers what was triggered */
            break;
        default: break;
        }
        server_drop_openssl_errors(srv);
    }
}

typedef struct server_sweep {
    server *srv;
    int64_t now;
} server_sweep;

static void server_sweep_one(machine_state *st, void *arg)
{
    server_sweep *sw = arg;
    /* several servers: a machine whose lease is another server's is that server's to sweep */
    if (st->close_pending || (sw->srv->leases && !st->lease_epoch))
        return;
    server_sweep_job *sj = calloc(1, sizeof(*sj));
    if (!sj)
        return;
    if (!judge_sweep(server_judge(sw->srv), st, sw->now, &sj->job.rec)) {
        free(sj);
        return;
    }
    sj->srv = sw->srv;
    sj->job.rec.lease_epoch = st->lease_epoch;
    sj->job.done = server_sweep_done;
    st->close_pending = true;
    log_event(LOG_LEVEL_WARN, "session_closed", "chip=%s reason=%s", st->chip_id,
              sj->job.rec.close_reason);
    writer_submit(sw->srv->writer, &sj->job);
}

/* The wall clock was stepped away from the server's time (which ignores it, clock.h): said
 * once per step of at least 2 s, so that an operator knows a restart takes the new time; and
 * once each time libcoap's clock had to follow it back (coapio.h). */
static void server_note_clock_step(server *srv)
{
    if (coapio_clock_rebased(&srv->io))
        log_event(LOG_LEVEL_WARN, "coap_clock_rebased", "reason=wall_clock_before_start");
    int64_t step = server_clock_step_s(&srv->clock);
    if (llabs(step) < 2 || llabs(step - srv->clock.logged_step_s) < 2)
        return;
    srv->clock.logged_step_s = step;
    log_event(LOG_LEVEL_WARN, "wall_clock_step", "offset_s=%lld server_time=%lld", (long long)step,
              (long long)server_clock_now(&srv->clock));
}

/* Sessions whose machine went silent or ran over are closed and flagged, every
 * sweep_interval_s; an arc or heartbeat of such a session closes it sooner (judge.c). */
static void server_sweep_sessions(server *srv)
{
    server_sweep sw = {.srv = srv, .now = server_clock_now(&srv->clock)};
    if (sw.now < srv->next_sweep || !writer_is_available(srv->writer))
        return;
    srv->next_sweep = sw.now + srv->cfg->sweep_interval_s;
    server_note_clock_step(srv);
    sessions_each_open(srv->sessions, server_sweep_one, &sw);
}

/* The loop turned: /healthz sees it, and so does systemd's watchdog. */
static void server_beat(server *srv)
{
    int64_t now = server_monotonic_ms();
    atomic_store_explicit(&srv->metrics.loop_beat_ms, now, memory_order_relaxed);
    if (srv->watchdog_ms && now >= srv->next_watchdog) {
        sdnotify_send("WATCHDOG=1");
        srv->next_watchdog = now + srv->watchdog_ms;
    }
}

/* The first run says "ready", to the log and to systemd; a run after a reload says it again. */
static void server_announce(server *srv)
{
    if (!srv->announced)
        log_event(LOG_LEVEL_INFO, "ready", "principals=%zu",
                  principal_table_count(srv->principals));
    srv->announced = true;
    sdnotify_send("READY=1\nSTATUS=serving check-ins");
}

int server_run(server *srv, volatile sig_atomic_t *stop, volatile sig_atomic_t *reload)
{
    server_announce(srv);
    coapio_flush(&srv->io); /* arms libcoap's timer */
    while (!*stop) {
        server_beat(srv);
        if (reload && *reload)
            return SERVER_RUN_RELOAD;
        /* libcoap's own timer is in its epoll set; this one is for the stop flag, the writer's
         * retries, the sweep and the live notifications */
        int timeout = srv->live_pending ? SERVER_LIVE_INTERVAL_MS : 1000;
        struct epoll_event events[16];
        int n = epoll_wait(srv->epoll_fd, events, 16, timeout);
        if (n < 0 && errno != EINTR) {
            log_event(LOG_LEVEL_ERROR, "loop_failed", "error=\"%s\"", strerror(errno));
            return 1;
        }
        if (n > 0)
            server_dispatch(srv, events, n);
        server_sweep_sessions(srv);
        if (peers_expire(srv->peers, server_monotonic_ms()))
            coapio_flush(&srv->io); /* libcoap frees the sessions it ended */
        server_report_held_handshakes(srv);
        server_notify_live(srv);
        api_tick(srv->api);
    }
    atomic_store(&srv->metrics.stopping, true);
    sdnotify_send("STOPPING=1");
    log_event(LOG_LEVEL_INFO, "stopping", NULL);
    return 0;
}

void server_destroy(server *srv)
{
    if (!srv)
        return;
    if (srv->writer) {
        /* Commit what the writer holds and answer it before the sessions go. */
        writer_stop(srv->writer);
        server_finish_jobs(srv);
        if (srv->ctx)
            coap_io_process(srv->ctx, COAP_IO_NO_WAIT);
    }
    api_destroy(srv->api); /* its parked requests hold sessions of the context */
    if (srv->ctx)
        coap_free_context(srv->ctx);
    peers_free(srv->peers); /* after the context: its sessions' events may still name them */
    writer_destroy(srv->writer);
    leases_destroy(srv->leases);
    refresher_destroy(srv->refresher);
    principal_table_destroy(srv->principals);
    registry_destroy(srv->registry);
    sessions_destroy(srv->sessions);
    cluster_sessions_destroy(srv->cluster);
    code_cache_free(srv->judge.codes);
    scans_destroy(srv->judge.scans);
    trust_list_destroy(srv->trust);
    if (srv->epoll_fd >= 0)
        close(srv->epoll_fd);
    OPENSSL_cleanse(srv->kek, sizeof(srv->kek));
    dtls_creds_deinit(&srv->creds);
    crl_deinit(&srv->crl);
    coap_cleanup();
    free(srv);
}
