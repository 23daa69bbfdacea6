/* server.h — the CoAP server: one libcoap context over DTLS, one event loop, the writer
 * thread behind it. */
#ifndef WELDREG_SERVER_SERVER_H
#define WELDREG_SERVER_SERVER_H

#include <coap3/coap.h>
#include <signal.h>
#include <stddef.h>

#include "server/loop/config.h"
#include "server/views/principals.h"
#include "server/views/registry.h"

typedef struct server server;

/* Sets up keys, the database connections, the DTLS endpoints and the resources. NULL with a
 * message for the operator in @p err on failure; @p exit_code says which kind (2 config, 3
 * database). @p cfg must outlive the server. */
server *server_create(const server_config *cfg, int *exit_code, char *err, size_t errlen);

/* A server with no database and no endpoint, for the whole-request fuzzer: the context and
 * resources of server_create() over @p principals and @p reg (ownership passes, also on
 * failure), which stand for what the database holds. Its writer is never available, so
 * check-ins are answered 5.03 as while the database is away; the API for people has no workers
 * and runs each step on the loop when it arrives (api_create), with a connection to
 * cfg->database_url made in the background on first use (give one that reaches no server to have
 * 5.03 there too). Everything before that runs. The caller adds an endpoint to server_context() and
 * drives it with coap_io_process(). */
server *server_create_offline(const server_config *cfg, principal_table *principals, registry *reg,
                              char *err, size_t errlen);

/* The libcoap context (its app data is the server). */
coap_context_t *server_context(server *srv);

#include "server/loop/metrics.h"

#define SERVER_RUN_RELOAD 2

/* Runs the event loop until *@p stop becomes non-zero: 0 on a clean stop, 1 on failure. When
 * @p reload (may be NULL) becomes non-zero it returns SERVER_RUN_RELOAD at once, leaving the flag:
 * the caller reads the configuration again, calls server_reload() and runs the loop again. Tells
 * systemd READY=1 on each start, WATCHDOG=1 while it turns ($WATCHDOG_USEC), STOPPING=1. */
int server_run(server *srv, volatile sig_atomic_t *stop, volatile sig_atomic_t *reload);

/* Applies what can change while running from @p fresh: the log level, the trust list (read again;
 * the verified-code cache starts empty), the judge's limits (max_skew_s, late_s,
 * heartbeat_timeout_s, max_session_s, shared_code_m, copied_code_speed_kmh, copied_code_slack_m),
 * and has the views read again (principals, registry, revocations). Other settings need a
 * restart. 0, or -1 with a message in @p err and nothing changed. On the loop thread, between
 * runs of server_run(). */
int server_reload(server *srv, const server_config *fresh, char *err, size_t errlen);

/* The server's metrics, which live as long as the server: read them from any thread. */
server_metrics *server_get_metrics(server *srv);

/* Stops accepting, lets the writer commit what it holds, frees everything. NULL does nothing. */
void server_destroy(server *srv);

/* Names the principal of @p session by the CN of its certificate (the handshake does this; so
 * does the request fuzzer for its sessions). 0, or -1 if out of memory. */
int server_set_session_identity(server *srv, coap_session_t *session, const char *identity);

#endif
