/* live.h — live alerts (web/live.c): GET /events streams the violations recorded in the caller's
 * scope as Server-Sent Events, read by the query the CoAP Observe resource /v1/violations/live
 * answers (store_inspect_violations), and woken by PostgreSQL's NOTIFY weldreg_violations. One
 * listener connection and one thread (the hub) wake every stream; each stream then reads on a
 * serving thread and waits again holding none (web/http.h, streams). */
#ifndef WELDREG_WEB_LIVE_H
#define WELDREG_WEB_LIVE_H

#include <stddef.h>

#include "server/loop/config.h"

/* Violations one read of a stream sends at most (CoAP's live window too): more missed ones are
 * announced by a "gap" event and left to the violation list. */
#define LIVE_WINDOW 50

typedef struct live_hub live_hub;

/* Connects a listener to @p cfg's database (kept: it must outlive the hub), LISTENs and starts
 * the thread that wakes the streams on each notification and every web_heartbeat_s. NULL with a
 * message in @p err. */
live_hub *live_hub_create(const server_config *cfg, char *err, size_t errlen);

/* Stops the thread and frees. Streams must be over first (http_server_stop ends them). Does
 * nothing for NULL. */
void live_hub_destroy(live_hub *hub);

/* The alerts panel's script, served at /static/live.js. */
extern const char live_js[];

#endif
