/* ops_http.h — weldreg-server's listener for operations: GET /metrics (Prometheus' text format),
 * /healthz and /readyz, plain HTTP on metrics_listen (serve) or notices_metrics_listen (notices),
 * docs/operations.md, through web/http.c. It calls only its source's functions, which read
 * atomics: its threads never touch the process's other state. */
#ifndef WELDREG_SERVER_OPS_HTTP_H
#define WELDREG_SERVER_OPS_HTTP_H

#include <stddef.h>

#include "server/db/textbuf.h"
#include "web/http.h"

/* What a process exposes; each function is called on the listener's thread with ctx. */
typedef struct ops_source {
    void *ctx;
    void (*write)(void *ctx, textbuf *out); /* every metric, in the text format */
    const char *(*unhealthy)(void *ctx);    /* NULL when healthy, else why (a line) */
    const char *(*not_ready)(void *ctx);    /* NULL when ready, else why (a line) */
} ops_source;

/* Starts serving on @p listen ("127.0.0.1:9464"); @p source must outlive it. NULL with a
 * message in @p err. */
http_server *ops_http_start(const char *listen, const ops_source *source, char *err, size_t errlen);

#endif
