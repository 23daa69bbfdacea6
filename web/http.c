/* http.c — libmicrohttpd (0.9.75, GnuTLS) wrapped once: its types, callbacks and return codes
 * stay in this file. */
#include "web/http.h"

#include "core/json.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

/* A connection, for the header deadline: libmicrohttpd's time-out is an idle one, so a client
 * that drips a header line more often than it (slowloris) would hold the connection forever.
 * The watchdog cuts a connection whose request has not finished its headers web_timeout_s
 * after it began (the connection's start, or the end of its previous request). A body is not
 * under this deadline (a photo over a slow phone line), only under the idle time-out. */
typedef struct http_tracked {
    struct http_tracked *next, *prev;
    int fd;
    time_t since;    /* monotonic seconds: when the current request began */
    bool in_request; /* its headers are complete */
} http_tracked;

struct http_server {
    struct MHD_Daemon *daemon;
    http_handler handler;
    void *ctx;
    unsigned max_body;
    unsigned timeout_s;
    char *cert, *key; /* PEM, kept while the daemon runs */
    /* the open streams: libmicrohttpd must not be stopped with a connection suspended */
    pthread_mutex_t streams_lock; /* guards streams and stopping */
    pthread_cond_t streams_gone;
    http_stream *streams;
    bool stopping;
    /* the header deadline's watchdog */
    pthread_mutex_t watch_lock; /* guards tracked and watch_stop */
    pthread_cond_t watch_wake;
    http_tracked tracked; /* the list's head (a sentinel) */
    bool watch_stop;
    bool watching; /* the watchdog thread runs */
    pthread_t watchdog;
};

struct http_stream {
    http_stream_read_fn read;
    http_stream_end_fn end;
    void *arg;
    http_server *srv; /* set when the response is queued */
    struct MHD_Connection *conn;
    pthread_mutex_t lock;     /* guards the three flags */
    bool suspended;           /* the connection waits for a wake */
    bool woken;               /* woken while reading: read once more before waiting */
    bool ending;              /* the server stops: the next read ends the stream */
    http_stream *prev, *next; /* in srv->streams */
};

/* The state of one request across libmicrohttpd's calls of the access handler. */
typedef struct http_state {
    http_request req;
    struct MHD_PostProcessor *pp;
    bool raw_type;      /* the body is not a form but one of HTTP_RAW_TYPES, read whole ... */
    unsigned char *raw; /* ... into this, grown as it comes */
    size_t raw_cap;
    size_t body_len;
    bool bad;     /* refused before the body: what still comes is dropped */
    bool invalid; /* the body is not a valid form (a field too long, a NUL): 400 at its end */
} http_state;

/* The Content-Security-Policy of every answer, with room for one origin more in img-src. */
#define HTTP_CSP_BEFORE_IMG                                                                        \
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:"
#define HTTP_CSP_AFTER_IMG                                                                         \
    "; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

/* Sent with every answer (docs/architecture.md, "The web process"), besides the CSP. */
static const char *const http_security_headers[][2] = {
    {"X-Content-Type-Options", "nosniff"},
    {"Referrer-Policy", "same-origin"},
    {"X-Frame-Options", "DENY"},
    {"Strict-Transport-Security", "max-age=31536000"},
    {"Cross-Origin-Opener-Policy", "same-origin"},
    {"Permissions-Policy", "geolocation=(self), camera=(self), microphone=()"},
};

static char *http_read_file(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "could not open \"%s\": %s", path, strerror(errno));
        return NULL;
    }
    char *buf = calloc(1, 65537);
    size_t n = buf ? fread(buf, 1, 65536, f) : 0;
    bool big = buf && !feof(f);
    fclose(f);
    if (!buf || big || n == 0) {
        snprintf(err, errlen, "could not read \"%s\" (empty, or larger than 64 KiB)", path);
        free(buf);
        return NULL;
    }
    return buf;
}

/* Splits "host:port" or "[v6]:port" and resolves it (numeric only) into @p ss. */
static int http_parse_listen(const char *listen, struct sockaddr_storage *ss, char *err,
                             size_t errlen)
{
    char host[128];
    const char *colon = strrchr(listen, ':');
    size_t hlen = colon ? (size_t)(colon - listen) : 0;
    if (!colon || hlen == 0 || hlen >= sizeof(host) || !colon[1]) {
        snprintf(err, errlen, "invalid listen address \"%s\": expected address:port", listen);
        return -1;
    }
    memcpy(host, listen, hlen);
    host[hlen] = '\0';
    if (host[0] == '[' && hlen > 2 && host[hlen - 1] == ']') {
        memmove(host, host + 1, hlen - 2);
        host[hlen - 2] = '\0';
    }
    struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
                             .ai_socktype = SOCK_STREAM};
    struct addrinfo *ai = NULL;
    if (getaddrinfo(host, colon + 1, &hints, &ai) != 0 || !ai) {
        snprintf(err, errlen, "invalid listen address \"%s\": not a numeric address and port",
                 listen);
        return -1;
    }
    memset(ss, 0, sizeof(*ss));
    memcpy(ss, ai->ai_addr, ai->ai_addrlen);
    freeaddrinfo(ai);
    return 0;
}

static enum MHD_Result http_on_field(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *filename, const char *content_type,
                                     const char *transfer_encoding, const char *data, uint64_t off,
                                     size_t size)
{
    (void)kind, (void)filename, (void)content_type, (void)transfer_encoding;
    http_state *st = cls;
    http_request *r = &st->req;
    size_t i = 0;
    while (i < r->form_count && strcmp(r->form_name[i], key) != 0)
        i++;
    if (i == r->form_count) {
        if (r->form_count == HTTP_FORM_FIELDS || strlen(key) >= sizeof(r->form_name[0])) {
            st->invalid = true;
            return MHD_NO;
        }
        snprintf(r->form_name[i], sizeof(r->form_name[0]), "%s", key);
        r->form_value[i][0] = '\0';
        r->form_count++;
    }
    if (size == 0) /* an empty value: data may be NULL */
        return MHD_YES;
    if (off + size > HTTP_FIELD_MAX || memchr(data, '\0', size)) {
        st->invalid = true;
        return MHD_NO;
    }
    memcpy(r->form_value[i] + off, data, size);
    r->form_value[i][off + size] = '\0';
    return MHD_YES;
}

/* Every name and value of the form is UTF-8: PostgreSQL refuses anything else, and a page must
 * not show it (checked whole, as a value arrives in pieces that may split a character). */
static bool http_form_utf8(const http_request *r)
{
    for (size_t i = 0; i < r->form_count; i++)
        if (!json_utf8_valid(r->form_name[i], strlen(r->form_name[i])) ||
            !json_utf8_valid(r->form_value[i], strlen(r->form_value[i])))
            return false;
    return true;
}

/* ---- streams ---- */

http_stream *http_stream_create(http_stream_read_fn read, http_stream_end_fn end, void *arg)
{
    http_stream *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->read = read;
    s->end = end;
    s->arg = arg;
    pthread_mutex_init(&s->lock, NULL);
    return s;
}

void http_stream_wake(http_stream *s)
{
    pthread_mutex_lock(&s->lock);
    if (s->suspended) {
        s->suspended = false;
        MHD_resume_connection(s->conn);
    } else {
        s->woken = true;
    }
    pthread_mutex_unlock(&s->lock);
}

/* libmicrohttpd's content reader: returning 0 makes it call again at once, so a stream with
 * nothing to say suspends its connection first (unless a wake came meanwhile). */
static ssize_t http_stream_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    http_stream *s = cls;
    pthread_mutex_lock(&s->lock);
    bool ending = s->ending;
    s->woken = false;
    pthread_mutex_unlock(&s->lock);
    long n = ending ? -1 : s->read(s->arg, buf, max);
    if (n != 0)
        return n < 0 ? MHD_CONTENT_READER_END_OF_STREAM : (ssize_t)n;
    pthread_mutex_lock(&s->lock);
    if (!s->woken && !s->ending) {
        s->suspended = true;
        MHD_suspend_connection(s->conn);
    }
    pthread_mutex_unlock(&s->lock);
    return 0;
}

/* The response is done with (libmicrohttpd's free callback), or was never queued. */
static void http_stream_free(void *cls)
{
    http_stream *s = cls;
    http_server *srv = s->srv;
    if (srv) {
        pthread_mutex_lock(&srv->streams_lock);
        if (s->prev)
            s->prev->next = s->next;
        else
            srv->streams = s->next;
        if (s->next)
            s->next->prev = s->prev;
        if (!srv->streams)
            pthread_cond_broadcast(&srv->streams_gone);
        pthread_mutex_unlock(&srv->streams_lock);
    }
    s->end(s->arg);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

/* A response reading @p s on connection @p c, listed in the server's streams. */
static struct MHD_Response *http_stream_response(http_server *srv, struct MHD_Connection *c,
                                                 http_stream *s)
{
    struct MHD_Response *m = MHD_create_response_from_callback(
        MHD_SIZE_UNKNOWN, 4096, http_stream_reader, s, http_stream_free);
    if (!m) {
        http_stream_free(s);
        return NULL;
    }
    s->conn = c;
    s->srv = srv;
    pthread_mutex_lock(&srv->streams_lock);
    s->ending = srv->stopping;
    s->next = srv->streams;
    if (s->next)
        s->next->prev = s;
    srv->streams = s;
    pthread_mutex_unlock(&srv->streams_lock);
    MHD_add_response_header(m, "X-Accel-Buffering", "no"); /* a proxy must not hold events */
    return m;
}

/* Ends every stream and waits (at most HTTP_STREAMS_END_MS) until they are done with. */
static void http_streams_end(http_server *srv)
{
    pthread_mutex_lock(&srv->streams_lock);
    srv->stopping = true;
    for (http_stream *s = srv->streams; s; s = s->next) {
        pthread_mutex_lock(&s->lock);
        s->ending = true;
        pthread_mutex_unlock(&s->lock);
        http_stream_wake(s);
    }
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += HTTP_STREAMS_END_MS / 1000;
    while (srv->streams &&
           pthread_cond_timedwait(&srv->streams_gone, &srv->streams_lock, &until) == 0)
        ;
    pthread_mutex_unlock(&srv->streams_lock);
}

/* ---- answers ---- */

static struct MHD_Response *http_body_response(http_response *resp)
{
    struct MHD_Response *m = MHD_create_response_from_buffer(
        resp->len, resp->body ? resp->body : (void *)"",
        resp->body && !resp->body_static ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!m && !resp->body_static)
        free(resp->body);
    return m;
}

static enum MHD_Result http_queue(http_server *srv, struct MHD_Connection *c, http_response *resp)
{
    struct MHD_Response *m =
        resp->stream ? http_stream_response(srv, c, resp->stream) : http_body_response(resp);
    if (!m)
        return MHD_NO;
    for (size_t i = 0; i < sizeof(http_security_headers) / sizeof(http_security_headers[0]); i++)
        MHD_add_response_header(m, http_security_headers[i][0], http_security_headers[i][1]);
    char csp[sizeof(HTTP_CSP_BEFORE_IMG HTTP_CSP_AFTER_IMG) + sizeof(resp->img_origin) + 1];
    bool widen = resp->img_origin[0] && !strpbrk(resp->img_origin, " \t\r\n;,'\""); /* one word */
    snprintf(csp, sizeof(csp), "%s%s%s%s", HTTP_CSP_BEFORE_IMG, widen ? " " : "",
             widen ? resp->img_origin : "", HTTP_CSP_AFTER_IMG);
    MHD_add_response_header(m, "Content-Security-Policy", csp);
    MHD_add_response_header(m, "Content-Type",
                            resp->content_type ? resp->content_type : "text/html; charset=utf-8");
    MHD_add_response_header(m, "Cache-Control",
                            resp->cacheable ? "public, max-age=86400" : "no-store");
    if (resp->location[0])
        MHD_add_response_header(m, "Location", resp->location);
    if (resp->set_cookie[0])
        MHD_add_response_header(m, "Set-Cookie", resp->set_cookie);
    if (resp->retry_after) {
        char seconds[16];
        snprintf(seconds, sizeof(seconds), "%u", resp->retry_after);
        MHD_add_response_header(m, "Retry-After", seconds);
    }
    enum MHD_Result rc = MHD_queue_response(c, resp->status, m);
    MHD_destroy_response(m);
    return rc;
}

static enum MHD_Result http_refuse(struct MHD_Connection *c, unsigned status, const char *text)
{
    http_response resp = {.status = status,
                          .content_type = "text/plain; charset=utf-8",
                          .body = (char *)text,
                          .len = strlen(text),
                          .body_static = true};
    return http_queue(NULL, c, &resp);
}

/* True if @p ct names a body read whole (HTTP_RAW_TYPES), parameters after ';' allowed. */
static bool http_raw_type(const char *ct)
{
    static const char *const types[] = HTTP_RAW_TYPES;
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        size_t n = strlen(types[i]);
        if (strncmp(ct, types[i], n) == 0 && (ct[n] == '\0' || ct[n] == ';'))
            return true;
    }
    return false;
}

static time_t http_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

/* Marks the connection of @p c: its request's headers are complete (@p in_request), or it
 * ended and the next one begins now. */
static void http_track(http_server *srv, struct MHD_Connection *c, bool in_request)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    http_tracked *t = info ? info->socket_context : NULL;
    if (!t)
        return;
    pthread_mutex_lock(&srv->watch_lock);
    t->in_request = in_request;
    t->since = http_now();
    pthread_mutex_unlock(&srv->watch_lock);
}

static void http_on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                               enum MHD_ConnectionNotificationCode toe)
{
    http_server *srv = cls;
    http_tracked *t = *socket_context;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *info =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        t = info ? calloc(1, sizeof(*t)) : NULL;
        if (!t)
            return; /* not watched: the idle time-out still applies */
        t->fd = info->connect_fd;
        t->since = http_now();
        pthread_mutex_lock(&srv->watch_lock);
        t->next = srv->tracked.next;
        t->prev = &srv->tracked;
        t->next->prev = t;
        srv->tracked.next = t;
        pthread_mutex_unlock(&srv->watch_lock);
        *socket_context = t;
    } else if (t) { /* closed: libmicrohttpd closes the socket after this call */
        pthread_mutex_lock(&srv->watch_lock);
        t->prev->next = t->next;
        t->next->prev = t->prev;
        pthread_mutex_unlock(&srv->watch_lock);
        free(t);
        *socket_context = NULL;
    }
}

/* Once a second: shuts down the sockets of requests still in their headers after timeout_s;
 * libmicrohttpd then sees the end of the stream and closes the connection itself. */
static void *http_watchdog(void *arg)
{
    http_server *srv = arg;
    pthread_mutex_lock(&srv->watch_lock);
    while (!srv->watch_stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 1;
        pthread_cond_timedwait(&srv->watch_wake, &srv->watch_lock, &until);
        time_t now = http_now();
        for (http_tracked *t = srv->tracked.next; t != &srv->tracked; t = t->next)
            if (!t->in_request && now - t->since >= (time_t)srv->timeout_s)
                shutdown(t->fd, SHUT_RDWR);
    }
    pthread_mutex_unlock(&srv->watch_lock);
    return NULL;
}

/* The first call: the request's state, and the refusals that need no body. */
static enum MHD_Result http_begin(http_server *srv, struct MHD_Connection *c, const char *method,
                                  const char *url, void **con_cls)
{
    http_state *st = calloc(1, sizeof(*st));
    if (!st)
        return MHD_NO;
    *con_cls = st;
    http_track(srv, c, true);
    st->req.method = method;
    st->req.path = url;
    st->req.conn = (http_conn *)c;
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
    if (cl && strtoull(cl, NULL, 10) > srv->max_body) {
        st->bad = true;
        return http_refuse(c, 413, "request too large\n");
    }
    if (strcmp(method, "POST") == 0) {
        const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
        if (ct && http_raw_type(ct)) {
            st->req.content_type = ct;
            st->raw_type = true;
            return MHD_YES;
        }
        if (!ct || strncmp(ct, "application/x-www-form-urlencoded", 33) != 0) {
            st->bad = true;
            return http_refuse(c, 415,
                               "expected a form (application/x-www-form-urlencoded), "
                               "an image (image/jpeg, image/png) or JSON\n");
        }
        st->pp = MHD_create_post_processor(c, 4096, http_on_field, st);
        if (!st->pp)
            return MHD_NO;
    } else if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        st->bad = true;
        return http_refuse(c, 405, "method not allowed\n");
    }
    return MHD_YES;
}

/* Appends a piece of a raw body (the total is already checked against max_body). */
static enum MHD_Result http_append_raw(http_state *st, const char *data, size_t *size)
{
    if (st->body_len > st->raw_cap) {
        size_t cap = st->raw_cap ? st->raw_cap : 16384;
        while (cap < st->body_len)
            cap *= 2;
        unsigned char *grown = realloc(st->raw, cap);
        if (!grown)
            return MHD_NO;
        st->raw = grown;
        st->raw_cap = cap;
    }
    memcpy(st->raw + st->body_len - *size, data, *size);
    *size = 0;
    return MHD_YES;
}

static enum MHD_Result http_access(void *cls, struct MHD_Connection *c, const char *url,
                                   const char *method, const char *version, const char *upload_data,
                                   size_t *upload_data_size, void **con_cls)
{
    (void)version;
    http_server *srv = cls;
    if (!*con_cls)
        return http_begin(srv, c, method, url, con_cls);
    http_state *st = *con_cls;
    if (st->bad) { /* a refusal is queued: drop what still comes */
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (*upload_data_size) {
        st->body_len += *upload_data_size;
        if (st->body_len > srv->max_body) { /* only without a Content-Length: close */
            *upload_data_size = 0;
            st->bad = true;
            return http_refuse(c, 413, "request too large\n");
        }
        if (st->raw_type)
            return http_append_raw(st, upload_data, upload_data_size);
        /* a body that is not a form is read to its end (at most max_body), then refused */
        if (!st->invalid &&
            (!st->pp || MHD_post_process(st->pp, upload_data, *upload_data_size) != MHD_YES))
            st->invalid = true;
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (st->invalid || !http_form_utf8(&st->req))
        return http_refuse(c, 400, "not a valid form\n");
    if (st->raw_type) {
        st->req.body = st->raw;
        st->req.body_len = st->body_len;
    }
    http_response resp = {.status = 500};
    srv->handler(srv->ctx, &st->req, &resp);
    return http_queue(srv, c, &resp);
}

static void http_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                           enum MHD_RequestTerminationCode toe)
{
    (void)toe;
    http_track(cls, c, false);
    http_state *st = *con_cls;
    if (!st)
        return;
    if (st->pp)
        MHD_destroy_post_processor(st->pp);
    free(st->raw);
    free(st);
    *con_cls = NULL;
}

#define HTTP_OPTIONS_MAX 10

/* The daemon's limits, and its certificate when it has one. Options are left out rather than
 * given empty: libmicrohttpd warns about a thread pool of 0 or 1 (one thread is the daemon's own,
 * no pool) and would read certificate options without TLS. */
static void http_options(const http_server *srv, const http_limits *limits,
                         struct MHD_OptionItem options[HTTP_OPTIONS_MAX])
{
    size_t n = 0;
    options[n++] =
        (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT, limits->max_connections, NULL};
    options[n++] =
        (struct MHD_OptionItem){MHD_OPTION_PER_IP_CONNECTION_LIMIT, limits->max_per_ip, NULL};
    options[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT, limits->timeout_s, NULL};
    options[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_MEMORY_LIMIT, 32768, NULL};
    if (limits->threads > 1)
        options[n++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE, limits->threads, NULL};
    if (srv->cert) {
        options[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, srv->cert};
        options[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, srv->key};
        options[n++] = (struct MHD_OptionItem){
            MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"};
    }
    options[n] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
}

http_server *http_server_start(const char *listen, const char *cert_file, const char *key_file,
                               const http_limits *limits, http_handler handler, void *ctx,
                               char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    if (http_parse_listen(listen, &ss, err, errlen) != 0)
        return NULL;
    http_server *srv = calloc(1, sizeof(*srv));
    if (!srv) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&srv->streams_lock, NULL);
    pthread_cond_init(&srv->streams_gone, NULL);
    srv->handler = handler;
    srv->ctx = ctx;
    srv->max_body = limits->max_body;
    srv->timeout_s = limits->timeout_s;
    pthread_mutex_init(&srv->watch_lock, NULL);
    pthread_cond_init(&srv->watch_wake, NULL);
    srv->tracked.next = srv->tracked.prev = &srv->tracked;
    if (cert_file) {
        srv->cert = http_read_file(cert_file, err, errlen);
        srv->key = srv->cert ? http_read_file(key_file, err, errlen) : NULL;
        if (!srv->key) {
            http_server_stop(srv);
            return NULL;
        }
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG | MHD_USE_AUTO |
                     MHD_ALLOW_SUSPEND_RESUME | (cert_file ? MHD_USE_TLS : 0) |
                     (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0);
    struct MHD_OptionItem options[HTTP_OPTIONS_MAX];
    http_options(srv, limits, options);
    srv->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, http_access, srv, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_NOTIFY_COMPLETED, http_completed, srv, MHD_OPTION_NOTIFY_CONNECTION,
        http_on_connection, srv, MHD_OPTION_ARRAY, options, MHD_OPTION_END);
    if (!srv->daemon) {
        snprintf(err, errlen,
                 "could not start %s on %s (address in use, or a bad certificate or key)",
                 cert_file ? "HTTPS" : "HTTP", listen);
        http_server_stop(srv);
        return NULL;
    }
    srv->watching = pthread_create(&srv->watchdog, NULL, http_watchdog, srv) == 0;
    if (!srv->watching) {
        snprintf(err, errlen, "could not start the header watchdog");
        http_server_stop(srv);
        return NULL;
    }
    return srv;
}

void http_server_stop(http_server *srv)
{
    if (!srv)
        return;
    if (srv->watching) {
        pthread_mutex_lock(&srv->watch_lock);
        srv->watch_stop = true;
        pthread_cond_signal(&srv->watch_wake);
        pthread_mutex_unlock(&srv->watch_lock);
        pthread_join(srv->watchdog, NULL);
    }
    if (srv->daemon) {
        http_streams_end(srv);
        MHD_stop_daemon(srv->daemon);
    }
    pthread_cond_destroy(&srv->streams_gone);
    pthread_mutex_destroy(&srv->streams_lock);
    pthread_cond_destroy(&srv->watch_wake);
    pthread_mutex_destroy(&srv->watch_lock);
    free(srv->cert);
    if (srv->key) {
        OPENSSL_cleanse(srv->key, strlen(srv->key)); /* the TLS key */
        free(srv->key);
    }
    free(srv);
}

const char *http_header(const http_request *req, const char *name)
{
    return MHD_lookup_connection_value((struct MHD_Connection *)req->conn, MHD_HEADER_KIND, name);
}

const char *http_cookie(const http_request *req, const char *name)
{
    return MHD_lookup_connection_value((struct MHD_Connection *)req->conn, MHD_COOKIE_KIND, name);
}

const char *http_query(const http_request *req, const char *name)
{
    return MHD_lookup_connection_value((struct MHD_Connection *)req->conn, MHD_GET_ARGUMENT_KIND,
                                       name);
}

const char *http_form(const http_request *req, const char *name)
{
    for (size_t i = 0; i < req->form_count; i++)
        if (strcmp(req->form_name[i], name) == 0)
            return req->form_value[i];
    return NULL;
}

bool http_client_address(const http_request *req, char *out, size_t cap)
{
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(
        (struct MHD_Connection *)req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = info ? info->client_addr : NULL;
    const void *addr =
        !sa                         ? NULL
        : sa->sa_family == AF_INET  ? (const void *)&((const struct sockaddr_in *)sa)->sin_addr
        : sa->sa_family == AF_INET6 ? (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr
                                    : NULL;
    return addr && inet_ntop(sa->sa_family, addr, out, (socklen_t)cap) != NULL;
}

bool http_from_loopback(const http_request *req)
{
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(
        (struct MHD_Connection *)req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!info || !info->client_addr)
        return false;
    const struct sockaddr *sa = info->client_addr;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    if (sa->sa_family != AF_INET6)
        return false;
    const struct in6_addr *a6 = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
    return IN6_IS_ADDR_LOOPBACK(a6) || (IN6_IS_ADDR_V4MAPPED(a6) && a6->s6_addr[12] == 127);
}

void http_text(http_response *resp, unsigned status, const char *text)
{
    resp->status = status;
    resp->content_type = "text/plain; charset=utf-8";
    resp->body = (char *)text;
    resp->len = strlen(text);
    resp->body_static = true;
}

void http_take_text(http_response *resp, unsigned status, const char *type, textbuf *b)
{
    if (b->failed) {
        free(b->data);
        http_text(resp, 500, "out of memory\n");
        return;
    }
    resp->status = status;
    resp->content_type = type;
    resp->body = b->data;
    resp->len = b->len;
}
