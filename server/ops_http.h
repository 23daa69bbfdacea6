/* ops_http.h — weldreg-server's listener for operations: GET /metrics (Prometheus' text format),
 * /healthz (the loop turns) and /readyz (ready for devices), plain HTTP on metrics_listen
 * (docs/operations.md), through web/http.c. It reads only the server's metrics, which are
 * atomics: its threads never touch the loop's state. */
#ifndef WELDREG_SERVER_OPS_HTTP_H
#define WELDREG_SERVER_OPS_HTTP_H

#include <stddef.h>

#include "server/loop/metrics.h"
#include "web/http.h"

/* Starts serving on @p listen ("127.0.0.1:9464"); @p metrics must outlive it. NULL with a
 * message in @p err. */
http_server *ops_http_start(const char *listen, server_metrics *metrics, char *err, size_t errlen);

#endif
