/* ops_http.c — /metrics, /healthz and /readyz of weldreg-server's processes (ops_http.h). */
#include "server/ops_http.h"

#include <string.h>

#include "server/loop/metrics.h"

/* 200 "ok", or 503 with @p problem. */
static void ops_http_probe(http_response *resp, const char *problem)
{
    http_text(resp, problem ? 503 : 200, problem ? problem : "ok\n");
}

static void ops_http_handle(void *ctx, const http_request *req, http_response *resp)
{
    const ops_source *src = ctx;
    if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
        http_text(resp, 405, "method not allowed\n");
    } else if (strcmp(req->path, "/metrics") == 0) {
        textbuf out = {0};
        src->write(src->ctx, &out);
        http_take_text(resp, 200, METRICS_CONTENT_TYPE, &out);
    } else if (strcmp(req->path, "/healthz") == 0) {
        ops_http_probe(resp, src->unhealthy(src->ctx));
    } else if (strcmp(req->path, "/readyz") == 0) {
        ops_http_probe(resp, src->not_ready(src->ctx));
    } else {
        http_text(resp, 404, "not found\n");
    }
}

http_server *ops_http_start(const char *listen, const ops_source *source, char *err, size_t errlen)
{
    /* a scrape or a probe at a time, small and quick */
    http_limits limits = {
        .threads = 1, .max_connections = 16, .max_per_ip = 16, .timeout_s = 10, .max_body = 1024};
    return http_server_start(listen, NULL, NULL, &limits, ops_http_handle, (void *)source, err,
                             errlen);
}
