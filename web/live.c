/* live.c — live alerts (live.h): GET /events as Server-Sent Events, the hub that wakes the
 * streams, and the alerts panel's script. Each event's id is the violation's id, so a browser's
 * EventSource that lost its connection comes back with Last-Event-ID and gets what it missed. */
#include "web/live.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/json.h"
#include "core/violation.h"
#include "server/db/store_inspect.h"
#include "server/loop/log.h"
#include "web/call.h"
#include "web/page.h"
#include "web/routes.h"

#define LIVE_CHANNEL    "weldreg_violations" /* schema/004_inspector.sql: violations_notify */
#define LIVE_RETRY_MS   5000                 /* the browser's wait before it reconnects */
#define LIVE_RECOVER_MS 1000                 /* between attempts to get the listener back */

/* Whose violations a stream sends (core/access.c's read scope of the session). */
typedef struct live_who {
    access_scope scope;
    int64_t account_id;
    int64_t enterprise_id;
} live_who;

typedef struct live_stream live_stream;

struct live_hub {
    const server_config *cfg;
    store *listener;
    int stop_fd; /* an eventfd: the thread's poll returns at once when stopping */
    atomic_bool stopping;
    atomic_uint generation; /* bumped on each notification and tick: streams look again */
    atomic_uint beats;      /* bumped on each tick: streams ping and check their session */
    pthread_t thread;
    bool started;
    pthread_mutex_t lock; /* guards streams and each stream's handle */
    live_stream *streams;
};

struct live_stream {
    live_hub *hub;
    web_app *app;        /* its database connections, borrowed for each read */
    http_stream *handle; /* what the hub wakes */
    live_who who;
    uint8_t session_hash[32];
    int64_t cursor; /* the newest violation sent (or the newest there was when it began) */
    unsigned seen_generation, seen_beats;
    textbuf out; /* what is still to be sent, from out_off */
    size_t out_off;
    live_stream *prev, *next;
};

/* ---- the hub: one LISTEN connection, one thread ---- */

static void live_hub_wake_all(live_hub *hub, bool beat)
{
    if (beat)
        atomic_fetch_add(&hub->beats, 1);
    atomic_fetch_add(&hub->generation, 1);
    pthread_mutex_lock(&hub->lock);
    for (live_stream *s = hub->streams; s; s = s->next)
        http_stream_wake(s->handle);
    pthread_mutex_unlock(&hub->lock);
}

/* Waits up to @p ms for a notification: how many came, 0 for none (the time ran out, or the hub
 * stops), -1 when the connection is lost. Those libpq already read are taken first. */
static int live_hub_wait(live_hub *hub, int ms)
{
    int on_channel = 0;
    if (store_drain_notifications(hub->listener, LIVE_CHANNEL, &on_channel) < 0)
        return -1;
    if (on_channel)
        return on_channel;
    struct pollfd pfd[2] = {{.fd = store_socket(hub->listener), .events = POLLIN},
                            {.fd = hub->stop_fd, .events = POLLIN}};
    if (pfd[0].fd < 0)
        return -1;
    int ready = poll(pfd, 2, ms);
    if (ready < 0)
        return errno == EINTR ? 0 : -1;
    if (ready == 0 || pfd[1].revents || !pfd[0].revents)
        return 0;
    return store_drain_notifications(hub->listener, LIVE_CHANNEL, &on_channel) < 0 ? -1
                                                                                   : on_channel;
}

static long live_ms_since(const struct timespec *t0)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - t0->tv_sec) * 1000 + (now.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Gets the listener back after the database went away; notifications may have been missed, so
 * every stream looks again once it is back. */
static void live_hub_recover(live_hub *hub)
{
    log_event(LOG_LEVEL_WARN, "live_listener_lost", NULL);
    while (!atomic_load(&hub->stopping)) {
        if (store_reconnect(hub->listener) == STORE_OK &&
            store_listen(hub->listener, LIVE_CHANNEL) == 0) {
            log_event(LOG_LEVEL_INFO, "live_listener_reconnected", NULL);
            return;
        }
        struct pollfd stop = {.fd = hub->stop_fd, .events = POLLIN};
        poll(&stop, 1, LIVE_RECOVER_MS);
    }
}

/* Wakes every stream on each notification, and every web_heartbeat_s (the tick: a ping, and a
 * look at the database in case a notification was lost). */
static void *live_hub_main(void *arg)
{
    live_hub *hub = arg;
    long tick_ms = (long)hub->cfg->web_heartbeat_s * 1000;
    struct timespec tick;
    clock_gettime(CLOCK_MONOTONIC, &tick);
    while (!atomic_load(&hub->stopping)) {
        long left = tick_ms - live_ms_since(&tick);
        int n = left > 0 ? live_hub_wait(hub, (int)left) : 0;
        if (atomic_load(&hub->stopping))
            break;
        if (n < 0)
            live_hub_recover(hub);
        bool beat = live_ms_since(&tick) >= tick_ms;
        if (beat)
            clock_gettime(CLOCK_MONOTONIC, &tick);
        if (n != 0 || beat)
            live_hub_wake_all(hub, beat);
    }
    return NULL;
}

live_hub *live_hub_create(const server_config *cfg, char *err, size_t errlen)
{
    live_hub *hub = calloc(1, sizeof(*hub));
    if (!hub) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    hub->cfg = cfg;
    pthread_mutex_init(&hub->lock, NULL);
    hub->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    hub->listener = hub->stop_fd < 0 ? NULL : store_connect(cfg->database_url, err, errlen);
    if (!hub->listener || store_listen(hub->listener, LIVE_CHANNEL) != 0 ||
        pthread_create(&hub->thread, NULL, live_hub_main, hub) != 0) {
        if (hub->listener)
            snprintf(err, errlen,
                     "could not listen for new violations (LISTEN " LIVE_CHANNEL
                     ") or start the thread that does");
        live_hub_destroy(hub);
        return NULL;
    }
    hub->started = true;
    return hub;
}

void live_hub_destroy(live_hub *hub)
{
    if (!hub)
        return;
    atomic_store(&hub->stopping, true);
    if (hub->started) {
        uint64_t one = 1;
        if (write(hub->stop_fd, &one, sizeof(one)) != (ssize_t)sizeof(one))
            log_event(LOG_LEVEL_WARN, "live_stop_signal_failed", NULL);
        pthread_join(hub->thread, NULL);
    }
    store_destroy(hub->listener);
    if (hub->stop_fd >= 0)
        close(hub->stop_fd);
    pthread_mutex_destroy(&hub->lock);
    free(hub);
}

/* ---- reading the violations: the CoAP live resource's query ---- */

/* The newest violations of @p who above @p after, at most @p limit, as
 * store_inspect_violations answers them ({"items": [...] newest first, "next"}). */
static store_status live_query(web_app *app, const live_who *who, int64_t after, int limit,
                               admin_outcome *out)
{
    violation_query q = {.after = after, .limit = limit};
    if (who->scope == ACCESS_COMMUNITIES)
        q.scope = store_inspect_account_scope(who->account_id);
    else if (who->scope == ACCESS_ENTERPRISE)
        q.enterprise_id = who->enterprise_id;
    web_call call = {.app = app};
    store *db = web_db_get(&call);
    store_inspect_violations(db, &q, out);
    web_db_put(&call, db, out->status == STORE_OK ? 0 : -1);
    if (out->status == STORE_OK && !out->json)
        out->status = STORE_EFAILED;
    return out->status;
}

/* Parses an answer of live_query into @p doc (its tokens malloc'ed into @p tokens); the index of
 * its "items" array, or -1. */
static long live_parse(const admin_outcome *out, json_doc *doc, json_token **tokens)
{
    size_t cap = out->json_len / 2 + JSON_MAX_DEPTH + 8; /* a value and its separator: 2 bytes */
    *tokens = malloc(cap * sizeof(**tokens));
    if (!*tokens || json_parse(out->json, out->json_len, *tokens, cap, doc, NULL) != WR_OK)
        return -1;
    long items = json_find(doc, 0, "items");
    return items >= 0 && doc->tokens[items].type == JSON_ARRAY ? items : -1;
}

/* ---- events ---- */

static void live_put(live_stream *s, const char *text)
{
    textbuf_put(&s->out, text, strlen(text));
}

/* Copies member @p key of the object at @p obj (a string, an integer or null) into @p w. */
static void live_copy_member(json_writer *w, const json_doc *doc, size_t obj, const char *key)
{
    long t = json_find(doc, obj, key);
    char text[256];
    json_key(w, key);
    if (t >= 0 && doc->tokens[t].type == JSON_INT)
        json_put_int(w, doc->tokens[t].i);
    else if (t >= 0 && json_string(doc, (size_t)t, text, sizeof(text), NULL) == WR_OK)
        json_put_cstr(w, text);
    else
        json_put_null(w);
}

/* One violation (the item at @p item) as an event: what the panel shows, with the Chinese and
 * English texts of its kind. */
static void live_put_violation(live_stream *s, const json_doc *doc, size_t item)
{
    static const char *const members[] = {"id",          "severity",     "status",
                                          "chip_id",     "community_id", "enterprise_id",
                                          "occurred_at", "rectify_by"};
    long id = json_find(doc, item, "id"), kind = json_find(doc, item, "kind");
    char kind_name[65], data[4096], head[64];
    if (id < 0 || doc->tokens[id].type != JSON_INT)
        return;
    int64_t vid = doc->tokens[id].i;
    if (vid > s->cursor)
        s->cursor = vid; /* one that cannot be shown is not read again either */
    if (kind < 0 || json_string(doc, (size_t)kind, kind_name, sizeof(kind_name), NULL) != WR_OK)
        return;
    const char *zh = violation_kind_zh(kind_name, strlen(kind_name));
    const char *en = violation_kind_en(kind_name, strlen(kind_name));
    json_writer w;
    json_writer_init(&w, data, sizeof(data));
    json_begin_object(&w);
    for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++)
        live_copy_member(&w, doc, item, members[i]);
    json_key(&w, "kind");
    json_put_cstr(&w, kind_name);
    json_key(&w, "zh");
    json_put_cstr(&w, zh);
    json_key(&w, "en");
    json_put_cstr(&w, en);
    json_end_object(&w);
    if (json_writer_status(&w) != WR_OK)
        return;
    snprintf(head, sizeof(head), "id: %lld\nevent: violation\ndata: ", (long long)vid);
    live_put(s, head);
    live_put(s, data);
    live_put(s, "\n\n");
}

/* Sends the violations of an answer oldest first; when the window did not reach back to the
 * cursor ("next" not null), a "gap" event first: the older ones are left to the list. */
static void live_put_answer(live_stream *s, const admin_outcome *out)
{
    json_doc doc;
    json_token *tokens = NULL;
    long items = live_parse(out, &doc, &tokens);
    if (items < 0) {
        log_event(LOG_LEVEL_ERROR, "live_answer_unreadable", NULL);
        free(tokens);
        return;
    }
    size_t at[LIVE_WINDOW], n = 0;
    for (size_t t = (size_t)items + 1; n < doc.tokens[items].count && n < LIVE_WINDOW;
         t = doc.tokens[t].next)
        at[n++] = t;
    long next = json_find(&doc, 0, "next");
    if (next >= 0 && doc.tokens[next].type != JSON_NULL) {
        char gap[96];
        snprintf(gap, sizeof(gap), "event: gap\ndata: {\"after\":%lld}\n\n", (long long)s->cursor);
        live_put(s, gap);
    }
    while (n > 0)
        live_put_violation(s, &doc, at[--n]);
    free(tokens);
}

/* True when the stream's session is over (logout, expiry, the account disabled): its stream
 * ends with it. A database that does not answer ends nothing. */
static bool live_session_over(live_stream *s)
{
    store_web_session session;
    web_call call = {.app = s->app};
    store *db = web_db_get(&call);
    int found = store_session_find(db, s->session_hash, &session);
    web_db_put(&call, db, found);
    return found == 0;
}

/* What the stream has to say after a wake: new violations since the cursor, or a ping on a
 * tick, when the session still holds. A failed read is retried at the next wake. False when
 * the stream is to end. */
static bool live_refill(live_stream *s)
{
    unsigned generation = atomic_load(&s->hub->generation);
    unsigned beats = atomic_load(&s->hub->beats);
    if (beats != s->seen_beats) {
        s->seen_beats = beats;
        if (live_session_over(s))
            return false;
        live_put(s, ": ping\n\n");
    }
    if (generation != s->seen_generation) {
        s->seen_generation = generation;
        admin_outcome out;
        if (live_query(s->app, &s->who, s->cursor, LIVE_WINDOW, &out) == STORE_OK)
            live_put_answer(s, &out);
        else
            s->seen_generation = generation - 1;
        admin_outcome_deinit(&out);
    }
    return true;
}

/* http_stream_read_fn */
static long live_read(void *arg, char *buf, size_t cap)
{
    live_stream *s = arg;
    if (atomic_load(&s->hub->stopping))
        return -1;
    if (s->out_off == s->out.len) {
        s->out.len = s->out_off = 0;
        if (!live_refill(s))
            return -1;
    }
    if (s->out.failed)
        return -1;
    size_t n = s->out.len - s->out_off < cap ? s->out.len - s->out_off : cap;
    memcpy(buf, s->out.data + s->out_off, n);
    s->out_off += n;
    return (long)n;
}

/* http_stream_end_fn: the hub forgets the stream before its handle goes. */
static void live_end(void *arg)
{
    live_stream *s = arg;
    live_hub *hub = s->hub;
    pthread_mutex_lock(&hub->lock);
    if (s->prev)
        s->prev->next = s->next;
    else
        hub->streams = s->next;
    if (s->next)
        s->next->prev = s->prev;
    pthread_mutex_unlock(&hub->lock);
    free(s->out.data);
    free(s);
}

/* ---- GET /events ---- */

/* Lists @p s in the hub and gives it its handle, unless the caps are reached. */
static bool live_admit(live_hub *hub, live_stream *s)
{
    unsigned all = 0, mine = 0;
    bool admitted = false;
    pthread_mutex_lock(&hub->lock);
    for (live_stream *o = hub->streams; o; o = o->next, all++)
        mine += memcmp(o->session_hash, s->session_hash, sizeof(s->session_hash)) == 0;
    if (all < hub->cfg->web_max_streams && mine < hub->cfg->web_session_streams)
        s->handle = http_stream_create(live_read, live_end, s);
    if (s->handle) {
        s->next = hub->streams;
        if (s->next)
            s->next->prev = s;
        hub->streams = s;
        admitted = true;
    }
    pthread_mutex_unlock(&hub->lock);
    return admitted;
}

/* The id of the browser's Last-Event-ID header (a violation's id), or 0 when there is none. */
static int64_t live_last_event_id(const http_request *req)
{
    const char *h = http_header(req, "Last-Event-ID");
    if (!h || !*h || strlen(h) > 18 || strspn(h, "0123456789") != strlen(h))
        return 0;
    return strtoll(h, NULL, 10);
}

/* Where a new stream starts: after the browser's Last-Event-ID, else after the newest violation
 * in scope now. -1 when the database did not answer. */
static int live_start_cursor(web_call *call, const live_who *who, int64_t *cursor)
{
    *cursor = live_last_event_id(call->req);
    if (*cursor > 0)
        return 0;
    admin_outcome out;
    json_doc doc;
    json_token *tokens = NULL;
    int rc = -1;
    if (live_query(call->app, who, 0, 1, &out) == STORE_OK) {
        long items = live_parse(&out, &doc, &tokens);
        long id =
            items >= 0 && doc.tokens[items].count ? json_find(&doc, (size_t)items + 1, "id") : -1;
        if (items >= 0)
            rc = 0;
        if (id >= 0 && doc.tokens[id].type == JSON_INT)
            *cursor = doc.tokens[id].i;
    }
    free(tokens);
    admin_outcome_deinit(&out);
    return rc;
}

static live_stream *live_stream_create(web_call *call, live_hub *hub)
{
    live_stream *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->hub = hub;
    s->app = call->app;
    s->who =
        (live_who){web_read_scope(call), call->session.account_id, call->session.enterprise_id};
    memcpy(s->session_hash, call->session_hash, sizeof(s->session_hash));
    s->seen_generation = atomic_load(&hub->generation) - 1; /* the first read looks */
    s->seen_beats = atomic_load(&hub->beats);
    char retry[32];
    snprintf(retry, sizeof(retry), "retry: %d\n\n", LIVE_RETRY_MS);
    live_put(s, retry);
    return s;
}

static void page_events_fn(web_call *call, http_response *resp)
{
    live_hub *hub = web_live(call);
    live_stream *s = live_stream_create(call, hub);
    if (!s) {
        page_message(resp, 500, "内存不足", "out of memory");
        return;
    }
    if (live_start_cursor(call, &s->who, &s->cursor) != 0) {
        free(s->out.data);
        free(s);
        web_db_unavailable(resp);
        return;
    }
    if (!live_admit(hub, s)) {
        free(s->out.data);
        free(s);
        page_message(resp, 503, "实时告警连接过多，请稍后再试", "too many live-alert streams");
        resp->retry_after = hub->cfg->web_heartbeat_s;
        return;
    }
    resp->status = 200;
    resp->content_type = "text/event-stream; charset=utf-8";
    resp->stream = s->handle;
}

static void page_live_js_fn(web_call *call, http_response *resp)
{
    (void)call;
    web_static(resp, "text/javascript; charset=utf-8", live_js, strlen(live_js));
}

static const web_route web_live_table[] = {
    {"GET", "/events", GATE_ROLE, ACCESS_READ, page_events_fn},
    {"GET", "/static/live.js", GATE_PUBLIC, ACCESS_READ, page_live_js_fn},
};

const web_routes web_routes_live = WEB_ROUTES(web_live_table);

/* The alerts panel (page_home_fn): an EventSource on /events; each violation is added as text
 * (textContent, never markup) linking to its page (/violations/<id>), newest on top, with a
 * counter. The browser reconnects by itself
 * (with Last-Event-ID) after a lost connection; a refusal (503: too many streams) closes the
 * EventSource, so the script opens a new one later itself. */
const char live_js[] =
    "'use strict';\n"
    "// live.js: the live alerts panel (GET /events, Server-Sent Events).\n"
    "(function () {\n"
    "  var panel = document.getElementById('live');\n"
    "  if (!panel || !window.EventSource) return;\n"
    "  panel.hidden = false;\n"
    "  var list = document.getElementById('live-list');\n"
    "  var count = document.getElementById('live-count');\n"
    "  var state = document.getElementById('live-state');\n"
    "  var stateEn = document.getElementById('live-state-en');\n"
    "  var gap = document.getElementById('live-gap');\n"
    "  var seen = 0;\n"
    "  function show(zh, en, cls) {\n"
    "    state.textContent = zh; stateEn.textContent = en;\n"
    "    panel.setAttribute('data-state', cls);\n"
    "  }\n"
    "  function text(tag, cls, s) {\n"
    "    var e = document.createElement(tag); e.className = cls; e.textContent = s; return e;\n"
    "  }\n"
    "  function when(s) {\n"
    "    var d = new Date(s);\n"
    "    return isNaN(d) ? '' : d.toLocaleString('zh-CN', {timeZone: 'Asia/Shanghai'});\n"
    "  }\n"
    "  function add(ev) {\n"
    "    var v;\n"
    "    try { v = JSON.parse(ev.data); } catch (e) { return; }\n"
    "    var li = document.createElement('li');\n"
    "    li.className = 'alert ' + (v.severity === 'critical' ? 'critical' : 'warning');\n"
    "    li.setAttribute('data-id', String(v.id));\n"
    "    var link = document.createElement('a');\n"
    "    link.href = '/violations/' + Number(v.id);\n"
    "    link.appendChild(text('b', 'zh', v.zh));\n"
    "    li.appendChild(link);\n"
    "    li.appendChild(text('span', 'en', v.en));\n"
    "    li.appendChild(text('small', 'meta', [v.chip_id || '无芯片 no chip',\n"
    "      when(v.occurred_at), '#' + v.id].join(' · ')));\n"
    "    list.insertBefore(li, list.firstChild);\n"
    "    while (list.children.length > 50) list.removeChild(list.lastChild);\n"
    "    seen++; count.textContent = String(seen);\n"
    "  }\n"
    "  function open() {\n"
    "    var es = new EventSource('/events');\n"
    "    es.onopen = function () { show('已连接', 'connected', 'open'); };\n"
    "    es.addEventListener('violation', add);\n"
    "    es.addEventListener('gap', function () { gap.hidden = false; });\n"
    "    es.onerror = function () {\n"
    "      show('重新连接中…', 'reconnecting', 'reconnecting');\n"
    "      if (es.readyState === EventSource.CLOSED) setTimeout(open, 15000);\n"
    "    };\n"
    "  }\n"
    "  open();\n"
    "})();\n";
