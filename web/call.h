/* call.h — what every page module of the web shares (app.c dispatches to them): the request with
 * its session, the route tables, a database connection borrowed for the request, and the small
 * pieces every page uses. Page modules (web/pages_*.c) each export one web_routes table, listed
 * in web/routes.h. */
#ifndef WELDREG_WEB_CALL_H
#define WELDREG_WEB_CALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/access.h"
#include "server/db/store.h"
#include "server/db/store_accounts.h"
#include "server/db/textbuf.h"
#include "server/loop/config.h"
#include "web/http.h"

typedef struct web_app web_app;
typedef struct welder_verifier welder_verifier;
typedef struct live_hub live_hub;
typedef struct web_metrics web_metrics;

/* A request with its session, if it has one. */
typedef struct web_call {
    web_app *app;
    const http_request *req;
    bool has_session;
    store_web_session session;
    uint8_t session_hash[32];
    access_role role;
    int64_t standby_lag_s; /* set by web_db_get_read(): seconds behind, -1 for the primary */
} web_call;

typedef void (*web_page_fn)(web_call *call, http_response *resp);

typedef enum web_gate {
    GATE_PUBLIC,  /* anyone */
    GATE_SESSION, /* any logged-in person */
    GATE_ROLE     /* a person whose role core/access.c admits for the route's need */
} web_gate;

typedef struct web_route {
    const char *method;
    const char *path; /* ending in '/': a prefix */
    web_gate gate;
    access_need need; /* GATE_ROLE */
    web_page_fn fn;
} web_route;

typedef struct web_routes {
    const web_route *routes;
    size_t count;
} web_routes;

#define WEB_ROUTES(table)                                                                          \
    {                                                                                              \
        (table), sizeof(table) / sizeof((table)[0])                                                \
    }

/* The configuration the app runs with. */
const server_config *web_config(const web_call *call);

/* The web's metrics (web/health.h). */
web_metrics *web_app_metrics(const web_call *call);

/* A random key of this process (32 bytes), for keyed hashes of what is not stored in clear (a
 * public reporter's address). A new one at every start. */
const uint8_t *web_secret(const web_call *call);

/* The verifier of signed codes (the trust list). */
const welder_verifier *web_verifier(const web_call *call);

/* The hub of the live-alert streams (web/live.h). */
live_hub *web_live(const web_call *call);

/* Borrows a database connection for this request (waits while all are lent). Never NULL. */
store *web_db_get(web_call *call);

/* Borrows a connection for a page that only reads and may show data a little behind: one to
 * database_read_url (a standby) when that is set and answers, else web_db_get()'s; never NULL.
 * Sets call->standby_lag_s for web_staleness(). Give it back with web_db_put(). */
store *web_db_get_read(web_call *call);

/* The line "data about N s behind" near a page's top when web_db_get_read() lent a standby;
 * nothing when the primary served it. */
void web_staleness(textbuf *b, const web_call *call);

/* Gives it back; after a failed statement (@p rc < 0) it reconnects first. */
void web_db_put(web_call *call, store *db, int rc);

/* A 303 to @p to. */
void web_redirect(http_response *resp, const char *to);

/* The hidden CSRF field every form of a session carries. */
void web_csrf_field(textbuf *b, const web_call *call);

/* A static asset: cacheable, not freed. */
void web_static(http_response *resp, const char *type, const char *body, size_t len);

/* The page for a database that did not answer (503). */
void web_db_unavailable(http_response *resp);

/* The scope of a read by the caller: all, their communities, their enterprise (core/access.c). */
access_scope web_read_scope(const web_call *call);

#endif
