/* api.h — the API for people off the event loop. Its state (keys, the worker pool, the loop's
 * own connection for the observable resource, the requests parked) is one object the server
 * owns (server_create makes it, server_destroy frees it). Handlers reach it as the user data of
 * their resource (routes_register); it reaches the loop only through the api_host it was given.
 *
 * The path of a request: on the loop the handler checks the caller (memory only), copies what
 * the step needs (query, body, caller, and for the answer the request's token, message id and
 * options) into a job, queues it and sends nothing. A worker runs the step with its own
 * connection; the answer goes into a buffer (admin_answer). The loop, woken through the pool's
 * eventfd, sends it piggybacked on the request's ACK (block-wise when large), like a check-in's.
 * A retransmission of a request still running is dropped: each step runs once. */
#ifndef WELDREG_SERVER_API_H
#define WELDREG_SERVER_API_H

#include <coap3/coap.h>
#include <stdint.h>

#include "server/api/admin.h"
#include "server/loop/config.h"
#include "server/views/principals.h"

typedef struct api api;

/* What the API needs of the loop that runs it, given to api_create() (copied). Both functions
 * get @p ctx back and are called on the loop thread only. */
typedef struct api_host {
    void *ctx;
    /* The authenticated principal of @p session, or NULL. */
    const principal *(*principal_of)(void *ctx, const coap_session_t *session);
    /* Has the loop wait for socket @p fd of a database connection being made (readable, or
     * writable with @p want_write) and then call api_database_ready(); @p fd -1 stops it. One
     * such socket at a time; it may be a new one at every call. 0, or -1 if refused. */
    int (*watch_database)(void *ctx, int fd, bool want_write);
    /* @p session observes an observable resource (@p on: Observe 0 answered 2.xx, which libcoap
     * keeps) or no longer (Observe 1, or an answer libcoap drops the observer for). Called again
     * for each notification, which libcoap makes with the registering request. May be NULL. */
    void (*observing)(void *ctx, coap_session_t *session, bool on);
} api_host;

/* Loads the keys of @p cfg (the PSK key-encryption key is @p kek, the server's: read by it once,
 * kept by pointer, it must outlive the API) and starts @p workers threads; 0 workers runs every
 * step on the loop when it arrives, with the loop's connection (the offline server of the request
 * fuzzer: the same steps and answers, without threads). The loop is reached through @p host; @p cfg
 * must outlive the API. NULL with a message in @p err. */
api *api_create(const server_config *cfg, const api_host *host, const uint8_t *kek,
                unsigned workers, char *err, size_t errlen);

/* Stops the workers and frees the jobs still parked (unanswered: call it before the libcoap
 * context goes, as they hold sessions), the connections and the keys (wiped). NULL does
 * nothing. */
void api_destroy(api *a);

/* Readable when requests have been run (-1 without workers): the loop then calls
 * api_finish_jobs(), which sends their answers. */
int api_event_fd(const api *a);
void api_finish_jobs(api *a);

/* The loop's connection (for GET /v1/violations/live, which answers observers on the loop): the
 * loop calls api_database_ready() when the socket of a connection being made is ready
 * (api_host.watch_database) and api_tick() at least once a second, which starts a new connection
 * when the one in use is lost and gives up one that takes too long. NULL does nothing. */
void api_database_ready(api *a);
void api_tick(api *a);

/* The handler of every resource of the API (whose user data is the api): parks the request for a
 * worker or, for @p on_loop (observable resources), when there are no workers and while no worker
 * has a connection
 * (@p step then meets no database: a change's shape is checked, the rest is 5.03), runs @p step
 * at once on the loop. */
void api_handle(coap_resource_t *resource, coap_session_t *session, const coap_pdu_t *request,
                const coap_string_t *query, coap_pdu_t *response, admin_access access,
                admin_step step, bool on_loop);

/* Defines libcoap handler @p name: checks the caller for @p access and has @p step run by a
 * worker. */
#define ADMIN_HANDLER(name, access, step)                                                          \
    void name(coap_resource_t *resource, coap_session_t *session, const coap_pdu_t *request,       \
              const coap_string_t *query, coap_pdu_t *response)                                    \
    {                                                                                              \
        api_handle(resource, session, request, query, response, access, step, false);              \
    }

/* The same for a step that must run on the loop (an observable resource: libcoap calls it for
 * each observer and sends what it answers at once). */
#define ADMIN_HANDLER_ON_LOOP(name, access, step)                                                  \
    void name(coap_resource_t *resource, coap_session_t *session, const coap_pdu_t *request,       \
              const coap_string_t *query, coap_pdu_t *response)                                    \
    {                                                                                              \
        api_handle(resource, session, request, query, response, access, step, true);               \
    }

#endif
