/* fuzz-coap-request.c — whole requests: the input is one CoAP datagram, received by the server's
 * own libcoap context (server_create_offline(): the resources of routes.c, the block-wise mode,
 * the session handling of production) on a loopback UDP endpoint, so libcoap's parser
 * (coap_pdu_parse) and dispatch bring it to the handlers exactly as after DTLS decryption.
 *
 * The first byte picks the caller: admin, inspector, machine or an identity the server does not
 * know. Each input arrives on a session of its own, named with server_set_session_identity() as
 * the certificate callback names it, so server_principal_of() and every role check run as in
 * production. There is no database: check-ins and admin changes end in 5.03 as while the
 * database is away, after the caller, Content-Format, size and body have been checked. The
 * offline server has no API workers: each step of server/api/ runs on the loop as the request
 * arrives, through the same answer buffer as on a worker (api_create). */
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server/loop/server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHIP "WR-FUZZ-0001"

/* Indexed by the first input byte (mod 4); the last is in no table. */
static const char *const fuzz_identities[] = {"fuzz-admin", "fuzz-inspector", FUZZ_CHIP,
                                              "fuzz-stranger"};

typedef struct fuzz_world {
    server_config cfg;
    server *srv;
    struct sockaddr_in addr; /* the server's endpoint */
} fuzz_world;

static fuzz_world *fuzz_the_world;

static void fuzz_die(const char *what)
{
    fprintf(stderr, "fuzz-coap-request: %s\n", what);
    abort();
}

static principal_table *fuzz_principals(void)
{
    principal_table *t = principal_table_create(4);
    static const principal_role roles[] = {ROLE_ADMIN, ROLE_INSPECTOR, ROLE_MACHINE};
    for (size_t i = 0; t && i < 3; i++) {
        principal p = {.id = (int64_t)i + 1, .role = roles[i], .allow_cert = true};
        p.identity = fuzz_identities[i];
        p.identity_len = (uint8_t)strlen(fuzz_identities[i]);
        if (principal_table_add(t, &p) != 0)
            fuzz_die("could not add a principal");
    }
    return t;
}

/* The machine of FUZZ_CHIP, active, and one revoked code, so that the code resources have
 * something to find. */
static registry *fuzz_registry(void)
{
    registry_parts parts = {0};
    parts.machines = calloc(1, sizeof(*parts.machines));
    parts.codes = calloc(1, sizeof(*parts.codes));
    if (!parts.machines || !parts.codes)
        fuzz_die("out of memory");
    registry_machine *m = &parts.machines[0];
    m->chip_id = FUZZ_CHIP;
    m->id = m->enterprise_id = m->community_id = 1;
    m->status = DECISION_MACHINE_ACTIVE;
    parts.machine_count = 1;
    memset(parts.codes[0].cti, 0xc7, TRUST_CTI_LEN);
    parts.codes[0].kind = 'm';
    parts.codes[0].revoked = true;
    parts.codes[0].subject_id = 1;
    parts.codes[0].revocation_version = 1;
    parts.code_count = 1;
    parts.revocation_version = 1;
    return registry_create(&parts);
}

/* A free loopback port for the endpoint. */
static void fuzz_pick_address(struct sockaddr_in *addr)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    socklen_t len = sizeof(*addr);
    memset(addr, 0, sizeof(*addr));
    addr->sin_family = AF_INET;
    addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)addr, sizeof(*addr)) != 0 ||
        getsockname(fd, (struct sockaddr *)addr, &len) != 0)
        fuzz_die("no loopback UDP socket");
    close(fd);
}

static void fuzz_teardown(void)
{
    server_destroy(fuzz_the_world->srv);
    free(fuzz_the_world);
    fuzz_the_world = NULL;
}

static fuzz_world *fuzz_setup(void)
{
    fuzz_world *w = calloc(1, sizeof(*w));
    if (!w)
        fuzz_die("out of memory");
    config_init(&w->cfg);
    /* no server listens on this socket: the admin API's connection fails at once */
    snprintf(w->cfg.database_url, sizeof(w->cfg.database_url),
             "host=/nonexistent/weldreg-fuzz dbname=weldreg connect_timeout=1");
    w->cfg.max_sessions = 2; /* each input's session is dropped soon after */
    log_init(LOG_LEVEL_ERROR);
    char err[256];
    w->srv = server_create_offline(&w->cfg, fuzz_principals(), fuzz_registry(), err, sizeof(err));
    if (!w->srv)
        fuzz_die(err);
    fuzz_pick_address(&w->addr);
    coap_address_t listen;
    coap_address_init(&listen);
    memcpy(&listen.addr.sin, &w->addr, sizeof(w->addr));
    listen.size = sizeof(w->addr);
    if (!coap_new_endpoint(server_context(w->srv), &listen, COAP_PROTO_UDP))
        fuzz_die("could not open the endpoint");
    fuzz_the_world = w;
    atexit(fuzz_teardown);
    return w;
}

/* Lets the server take what has arrived and answer; the answers are read and dropped. */
static void fuzz_exchange(fuzz_world *w, int fd, const uint8_t *datagram, size_t len)
{
    if (send(fd, datagram, len, 0) < 0)
        fuzz_die("could not send to the endpoint");
    coap_io_process(server_context(w->srv), COAP_IO_NO_WAIT);
    uint8_t answer[2048];
    while (recv(fd, answer, sizeof(answer), MSG_DONTWAIT) >= 0)
        ;
}

static coap_session_t *fuzz_session_of(fuzz_world *w, int fd)
{
    coap_address_t peer;
    coap_address_init(&peer);
    peer.size = sizeof(peer.addr.sin);
    if (getsockname(fd, &peer.addr.sa, &peer.size) != 0)
        fuzz_die("getsockname failed");
    return coap_session_get_by_peer(server_context(w->srv), &peer, (int)if_nametoindex("lo"));
}

/* A new client socket whose server session carries @p identity. */
static int fuzz_connect_as(fuzz_world *w, const char *identity)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&w->addr, sizeof(w->addr)) != 0)
        fuzz_die("no client socket");
    static const uint8_t ping[] = {0x40, 0x00, 0x00, 0x00}; /* CON, empty: opens the session */
    fuzz_exchange(w, fd, ping, sizeof(ping));
    coap_session_t *session = fuzz_session_of(w, fd);
    if (!session)
        fuzz_die("the server made no session for the client");
    if (server_set_session_identity(w->srv, session, identity) != 0)
        fuzz_die("out of memory");
    return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    fuzz_world *w = fuzz_the_world ? fuzz_the_world : fuzz_setup();
    int fd = fuzz_connect_as(w, fuzz_identities[data[0] % 4]);
    fuzz_exchange(w, fd, data + 1, size - 1);
    close(fd); /* the server drops the idle session later, as it would a silent peer's */
    return 0;
}
