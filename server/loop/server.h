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

/* Runs the event loop until *@p stop becomes non-zero. Returns 0 on a clean stop. */
int server_run(server *srv, volatile sig_atomic_t *stop);

/* Stops accepting, lets the writer commit what it holds, frees everything. NULL does nothing. */
void server_destroy(server *srv);

/* Names the principal of @p session by the CN of its certificate (the handshake does this; so
 * does the request fuzzer for its sessions). 0, or -1 if out of memory. */
int server_set_session_identity(server *srv, coap_session_t *session, const char *identity);

#endif
