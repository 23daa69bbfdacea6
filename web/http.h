/* http.h — the web's HTTPS server: libmicrohttpd behind one file (http.c). It parses requests
 * (headers, cookies, url-encoded forms: libmicrohttpd's parsers, never ours), enforces the
 * limits (connections, per-address connections, idle time-out, header memory, body size) and
 * adds the security headers to every answer; the handler only sees a parsed request and fills
 * a response. Handlers run on the server's threads, several at once. */
#ifndef WELDREG_WEB_HTTP_H
#define WELDREG_WEB_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "server/db/textbuf.h"

/* fields of one form: a permit application names its welders and machines one field each */
#define HTTP_FORM_FIELDS 40
#define HTTP_FIELD_MAX   1024 /* bytes of one form value; a longer one is a 400 */
/* the bodies other than forms a POST may carry, read whole (scripts' uploads) */
#define HTTP_RAW_TYPES                                                                             \
    {                                                                                              \
        "image/jpeg", "image/png", "application/json"                                              \
    }

typedef struct http_conn http_conn; /* the connection, for the accessors below */

/* A response that goes on (Server-Sent Events): read piece by piece as it has something to
 * say, holding no serving thread while it waits (see "streams" below). */
typedef struct http_stream http_stream;

typedef struct http_request {
    const char *method; /* "GET", "POST", ... */
    const char *path;   /* decoded by libmicrohttpd, without the query */
    http_conn *conn;
    /* a POST that is not a form (one of HTTP_RAW_TYPES: a photo, JSON): its whole body, at
     * most the server's max_body bytes, and its Content-Type; NULL and 0 otherwise */
    const char *content_type;
    const unsigned char *body;
    size_t body_len;
    /* the url-encoded form of a POST, names and values NUL-terminated, valid UTF-8 */
    size_t form_count;
    char form_name[HTTP_FORM_FIELDS][32];
    char form_value[HTTP_FORM_FIELDS][HTTP_FIELD_MAX + 1];
} http_request;

typedef struct http_response {
    unsigned status;
    const char *content_type; /* static text; NULL: text/html; charset=utf-8 */
    char *body;               /* malloc'ed, freed by the server; may be NULL */
    size_t len;
    bool body_static;     /* body points at static data: not freed */
    bool cacheable;       /* static assets: cached a day; else no-store */
    char location[512];   /* a Location header when not empty */
    char set_cookie[256]; /* a Set-Cookie header when not empty */
    unsigned retry_after; /* a Retry-After header (seconds) when not 0 */
    /* when set, the body is this stream's (body must be NULL): the server takes it and ends it
     * (its end function is called) whatever happens to the response */
    http_stream *stream;
    char img_origin[160]; /* one origin more that this answer's CSP img-src allows (the map's
                             tile server, one word: config_tile_origin); empty: none */
} http_response;

typedef void (*http_handler)(void *ctx, const http_request *req, http_response *resp);

typedef struct http_limits {
    unsigned threads;
    unsigned max_connections;
    unsigned max_per_ip;
    unsigned timeout_s;
    unsigned max_body;
} http_limits;

typedef struct http_server http_server;

#define HTTP_STREAMS_END_MS 2000

/* Starts serving HTTPS on @p listen ("address:port", "[v6]:port") with the PEM certificate
 * chain and key of the files @p cert_file and @p key_file; plain HTTP when @p cert_file is NULL
 * (the metrics listener of weldreg-server, meant for a local address). NULL with a message in
 * @p err. */
http_server *http_server_start(const char *listen, const char *cert_file, const char *key_file,
                               const http_limits *limits, http_handler handler, void *ctx,
                               char *err, size_t errlen);

/* Stops serving (waits for the threads) and frees. Open streams are ended first (each reads
 * no more; at most HTTP_STREAMS_END_MS is waited for them to finish). Does nothing for NULL. */
void http_server_stop(http_server *srv);

/* The value of request header @p name, of cookie @p name, of form field @p name; NULL if
 * absent. Valid during the handler's call. */
const char *http_header(const http_request *req, const char *name);
const char *http_cookie(const http_request *req, const char *name);
const char *http_form(const http_request *req, const char *name);
/* The value of query-string parameter @p name (decoded), NULL if absent; as http_header. */
const char *http_query(const http_request *req, const char *name);

/* The peer's address as text ("192.0.2.1", "2001:db8::1") into @p out; false if unknown. The
 * address of the connection: behind a proxy, the proxy's. */
bool http_client_address(const http_request *req, char *out, size_t cap);

/* Fills @p resp with a plain-text answer of static @p text (not copied, not freed). */
void http_text(http_response *resp, unsigned status, const char *text);

/* Hands the text built in @p b to @p resp with @p status and @p type (NULL: HTML): freed by
 * the server after sending. A buffer whose allocation failed is freed here and the answer is
 * 500 "out of memory". */
void http_take_text(http_response *resp, unsigned status, const char *type, textbuf *b);

/* True if the request came from a loopback address (127.0.0.0/8, ::1, ::ffff:127.0.0.0/104). */
bool http_from_loopback(const http_request *req);

/* ---- streams ----
 * A stream's read function is called on a serving thread whenever the connection can take more;
 * when it has nothing to send, the connection is suspended (libmicrohttpd's suspend/resume) and
 * no thread waits for it until http_stream_wake. A suspended connection does not notice that its
 * client went away: that shows at the next write, so a stream should write now and then. */

/* Writes what the stream has to send now into @p buf (at most @p cap bytes) and returns how
 * many bytes; 0 when it has nothing (the stream then waits for http_stream_wake); -1 to end the
 * stream. Never called for one stream from two threads at once. */
typedef long (*http_stream_read_fn)(void *arg, char *buf, size_t cap);

/* Called once when the stream is over (ended, its client gone, the server stopping), on a
 * serving thread or in http_server_stop; frees @p arg. Whoever wakes the stream must forget its
 * handle here, under the lock it wakes under: the handle is freed when this returns. */
typedef void (*http_stream_end_fn)(void *arg);

/* A stream for http_response.stream, reading through @p read with @p arg. NULL when out of
 * memory (@p end is then not called). */
http_stream *http_stream_create(http_stream_read_fn read, http_stream_end_fn end, void *arg);

/* Makes the stream read again: if it waits, it is resumed; if it is reading, it reads once more
 * before it waits. Safe from any thread while the stream's end function has not run. */
void http_stream_wake(http_stream *s);

#endif
