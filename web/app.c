/* app.c — the app's state (a pool of database connections, the code verifier), dispatch over
 * the page modules' route tables (web/routes.h), sessions, login and logout. Every route names
 * what it needs: nothing, a session, or a session whose role core/access.c admits; every POST is
 * checked for its origin and, after login, for the session's CSRF token. */
#include "web/app.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/access.h"
#include "server/db/store.h"
#include "server/db/store_accounts.h"
#include "server/loop/log.h"
#include "server/loop/metrics.h"
#include "web/auth.h"
#include "web/call.h"
#include "web/live.h"
#include "web/health.h"
#include "web/page.h"
#include "web/routes.h"
#include "web/welder.h"

struct web_app {
    const server_config *cfg;
    pthread_mutex_t lock; /* guards lent, suspect and the read_* loans */
    pthread_cond_t returned;
    size_t n_db;
    store **db; /* one connection per serving thread */
    bool *lent;
    /* another connection failed since this one was last lent: after a failover or a restart of
     * PostgreSQL every idle connection is as dead but looks open until used, so it is checked
     * before its next loan instead of failing that person's page */
    bool *suspect;
    /* connections to database_read_url (a standby), one per serving thread like db[]; NULL
     * while not connected, and tried again at a loan no sooner than read_retry_at, so a standby
     * that is away costs one failed connection every few seconds, not a wait on every page */
    store **read_db;
    bool *read_lent;
    time_t *read_retry_at;
    char dummy_hash[AUTH_HASH_MAX]; /* checked for unknown logins: the same time as a known one */
    welder_verifier *verifier;
    live_hub *live;
    web_metrics *metrics;
    uint8_t secret[AUTH_TOKEN_LEN]; /* web_secret() */
};

/* ---- what page modules share (web/call.h) ---- */

live_hub *web_live(const web_call *call)
{
    return call->app->live;
}

const server_config *web_config(const web_call *call)
{
    return call->app->cfg;
}

const uint8_t *web_secret(const web_call *call)
{
    return call->app->secret;
}

web_metrics *web_app_metrics(const web_call *call)
{
    return call->app->metrics;
}

const welder_verifier *web_verifier(const web_call *call)
{
    return call->app->verifier;
}

store *web_db_get(web_call *call)
{
    web_app *app = call->app;
    pthread_mutex_lock(&app->lock);
    for (;;) {
        for (size_t i = 0; i < app->n_db; i++) {
            if (!app->lent[i]) {
                app->lent[i] = true;
                bool check = app->suspect[i];
                app->suspect[i] = false;
                pthread_mutex_unlock(&app->lock);
                if (check && store_ping(app->db[i]) != STORE_OK)
                    store_reconnect(app->db[i]);
                return app->db[i];
            }
        }
        pthread_cond_wait(&app->returned, &app->lock);
    }
}

/* Seconds before a standby that did not answer is tried again. */
enum { WEB_READ_RETRY_S = 5 };

/* The read connection @p db was lent as, or n_db when it is a primary one. */
static size_t web_read_slot(const web_app *app, const store *db)
{
    size_t i = 0;
    while (i < app->n_db && !(app->read_db && app->read_db[i] == db))
        i++;
    return i;
}

/* Gives back read slot @p i; a connection that failed is closed, to be made again later. */
static void web_read_release(web_app *app, size_t i, bool failed)
{
    if (failed) {
        store_destroy(app->read_db[i]);
        app->read_db[i] = NULL;
    }
    pthread_mutex_lock(&app->lock);
    if (failed)
        app->read_retry_at[i] = time(NULL) + WEB_READ_RETRY_S;
    app->read_lent[i] = false;
    pthread_cond_broadcast(&app->returned);
    pthread_mutex_unlock(&app->lock);
}

void web_db_put(web_call *call, store *db, int rc)
{
    web_app *app = call->app;
    size_t slot = web_read_slot(app, db);
    if (slot < app->n_db) { /* a standby failing says nothing of the primary connections */
        web_read_release(app, slot, rc < 0);
        return;
    }
    if (rc < 0)
        store_reconnect(db);
    pthread_mutex_lock(&app->lock);
    for (size_t i = 0; i < app->n_db; i++) {
        if (app->db[i] == db)
            app->lent[i] = false;
        else if (rc < 0)
            app->suspect[i] = true;
    }
    pthread_cond_broadcast(&app->returned); /* waiters for either kind of connection */
    pthread_mutex_unlock(&app->lock);
}

/* Lends a free read slot (waits while all are lent); sets @p due when its connection is to be
 * made now. */
static size_t web_read_lend(web_app *app, bool *due)
{
    pthread_mutex_lock(&app->lock);
    for (;;) {
        for (size_t i = 0; i < app->n_db; i++) {
            if (!app->read_lent[i]) {
                app->read_lent[i] = true;
                *due = !app->read_db[i] && time(NULL) >= app->read_retry_at[i];
                pthread_mutex_unlock(&app->lock);
                return i;
            }
        }
        pthread_cond_wait(&app->returned, &app->lock);
    }
}

store *web_db_get_read(web_call *call)
{
    web_app *app = call->app;
    call->standby_lag_s = -1;
    if (!app->cfg->database_read_url[0])
        return web_db_get(call);
    bool due = false;
    size_t i = web_read_lend(app, &due);
    char err[256] = "";
    if (due)
        app->read_db[i] = store_connect(app->cfg->database_read_url, err, sizeof(err));
    int64_t lag = -1;
    if (app->read_db[i] && store_standby_lag(app->read_db[i], &lag) == STORE_OK) {
        call->standby_lag_s = lag;
        return app->read_db[i];
    }
    if (app->read_db[i])
        snprintf(err, sizeof(err), "the read database stopped answering");
    if (err[0]) /* once per connection and WEB_READ_RETRY_S, not on every page meanwhile */
        log_event(LOG_LEVEL_WARN, "read_database_away", "fallback=primary error=\"%s\"", err);
    web_read_release(app, i, err[0] != '\0');
    return web_db_get(call);
}

void web_staleness(textbuf *b, const web_call *call)
{
    if (call->standby_lag_s < 0)
        return;
    char n[24];
    snprintf(n, sizeof(n), "%lld", (long long)call->standby_lag_s);
    page_raw(b, "<p class=\"alert\" id=\"staleness\">数据延迟约 ");
    page_text(b, n);
    page_raw(b, " 秒<span class=\"en\">data about ");
    page_text(b, n);
    page_raw(b, " s behind</span></p>");
}

void web_static(http_response *resp, const char *type, const char *body, size_t len)
{
    resp->status = 200;
    resp->content_type = type;
    resp->body = (char *)body;
    resp->len = len;
    resp->body_static = true;
    resp->cacheable = true;
}

void web_redirect(http_response *resp, const char *to)
{
    resp->status = 303;
    snprintf(resp->location, sizeof(resp->location), "%s", to);
}

void web_csrf_field(textbuf *b, const web_call *call)
{
    page_raw(b, "<input type=\"hidden\" name=\"csrf\" value=\"");
    page_text(b, call->session.csrf);
    page_raw(b, "\">");
}

void web_db_unavailable(http_response *resp)
{
    page_message(resp, 503, "数据库暂不可用", "the database is not available");
}

access_scope web_read_scope(const web_call *call)
{
    return access_decide(call->role, ACCESS_READ);
}

/* ---- pages ---- */

static void page_css_fn(web_call *call, http_response *resp)
{
    (void)call;
    web_static(resp, "text/css; charset=utf-8", page_css, strlen(page_css));
}

static void page_js_fn(web_call *call, http_response *resp)
{
    (void)call;
    web_static(resp, "text/javascript; charset=utf-8", page_js, strlen(page_js));
}

static void web_login_form(http_response *resp, unsigned status, const char *zh, const char *en)
{
    textbuf b = {0};
    page_begin(&b, "登录", "Log in");
    if (zh) {
        page_raw(&b, "<p class=\"card bad\" role=\"alert\">");
        page_text(&b, zh);
        page_raw(&b, "<span class=\"en\" lang=\"en\">");
        page_text(&b, en);
        page_raw(&b, "</span></p>");
    }
    page_raw(&b, "<form class=\"card\" method=\"post\" action=\"/login\" data-once>"
                 "<label for=\"login\">用户名<span class=\"en\">user name</span></label>"
                 "<input id=\"login\" name=\"login\" autocomplete=\"username\" required "
                 "maxlength=\"64\" autocapitalize=\"none\">"
                 "<label for=\"password\">密码<span class=\"en\">password</span></label>"
                 "<input id=\"password\" name=\"password\" type=\"password\" "
                 "autocomplete=\"current-password\" required maxlength=\"256\">"
                 "<button type=\"submit\">登录<span class=\"en\">Log in</span></button></form>"
                 "<p class=\"card\">焊工扫描本人二维码即可查看资格，无需登录。"
                 "<span class=\"en\" lang=\"en\">Welders: scan your own code, no login "
                 "needed.</span></p><p class=\"card\"><a href=\"/public-report\">发现违规动火作业？"
                 "群众举报，无需登录<span class=\"en\">report unsafe hot work, no login "
                 "needed</span></a></p>");
    page_finish(&b, status, resp);
}

static void page_login_fn(web_call *call, http_response *resp)
{
    if (call->has_session)
        web_redirect(resp, "/");
    else
        web_login_form(resp, 200, NULL, NULL);
}

/* The links of the home page, each shown to the roles that may open it. */
static const struct web_link {
    const char *href, *zh, *en;
    access_need need;
} web_links[] = {
    {"/machines", "焊机", "machines", ACCESS_READ},
    {"/scan", "扫码查验", "scan a machine", ACCESS_ENFORCE},
    {"/violations", "违规处理", "violations", ACCESS_ENFORCE},
    {"/office", "统计报表", "counts and reports", ACCESS_DISTRICT},
    {"/map", "地图", "map", ACCESS_DISTRICT},
    {"/public-reports", "群众举报", "public reports", ACCESS_ENFORCE},
    {"/ent/welders", "本企业焊工", "our welders", ACCESS_APPLY},
    {"/ent/codes", "二维码与标签", "codes and labels", ACCESS_APPLY},
    {"/permits", "动火作业票", "hot-work permits", ACCESS_APPLY},
    {"/permits", "审批动火作业票", "permits to approve", ACCESS_APPROVE},
    {"/ent/violations", "违规整改", "violations to rectify", ACCESS_APPLY},
    {"/accounts", "账户", "accounts", ACCESS_ADMIN_ONLY},
};

/* The live alerts of the caller's scope (web/live.c), filled by /static/live.js, which shows
 * the panel (hidden for a browser without script or EventSource). */
static void web_live_panel(textbuf *b)
{
    page_raw(b, "<section class=\"card\" id=\"live\" data-state=\"connecting\" hidden>"
                "<h2>实时告警<span class=\"en\">live alerts</span></h2>"
                "<p>新告警<span class=\"en\">new</span>: <b id=\"live-count\">0</b> · "
                "<span id=\"live-state\">连接中…</span><span class=\"en\" id=\"live-state-en\">"
                "connecting</span></p><p id=\"live-gap\" class=\"bad\" hidden>断线期间告警过多，"
                "部分未显示，请查看违规列表。<span class=\"en\">more alerts came while "
                "disconnected than are shown: see the violation list</span></p>"
                "<ul id=\"live-list\" aria-live=\"polite\"></ul>"
                "<script src=\"/static/live.js\" defer></script></section>");
}

static void page_home_fn(web_call *call, http_response *resp)
{
    textbuf b = {0};
    page_begin(&b, "首页", "Home");
    page_raw(&b, "<section class=\"card\"><p>当前用户<span class=\"en\">signed in as</span>: <b "
                 "id=\"who\">");
    page_text(&b, call->session.login);
    page_raw(&b, "</b></p><p>角色<span class=\"en\">role</span>: <b id=\"role\">");
    page_text(&b, access_role_zh(call->role));
    page_raw(&b, "</b><span class=\"en\" lang=\"en\">");
    page_text(&b, access_role_en(call->role));
    page_raw(&b, "</span></p></section><nav class=\"card\"><ul class=\"links\">");
    for (size_t i = 0; i < sizeof(web_links) / sizeof(web_links[0]); i++) {
        if (access_decide(call->role, web_links[i].need) == ACCESS_DENIED)
            continue;
        page_raw(&b, "<li><a href=\"");
        page_raw(&b, web_links[i].href);
        page_raw(&b, "\">");
        page_raw(&b, web_links[i].zh);
        page_raw(&b, "<span class=\"en\">");
        page_raw(&b, web_links[i].en);
        page_raw(&b, "</span></a></li>");
    }
    page_raw(&b, "</ul></nav>");
    if (access_decide(call->role, ACCESS_ENFORCE) != ACCESS_DENIED)
        web_live_panel(&b); /* those who act on violations: inspectors, admins */
    page_raw(&b, "<form class=\"card\" method=\"post\" action=\"/logout\">");
    web_csrf_field(&b, call);
    page_raw(&b, "<button type=\"submit\">退出登录<span class=\"en\">Log out</span></button>"
                 "</form>");
    page_finish(&b, 200, resp);
}

static void page_accounts_fn(web_call *call, http_response *resp)
{
    textbuf b = {0};
    page_begin(&b, "账户", "Accounts");
    page_raw(&b, "<p class=\"card\">用 <code>weldreg-web account add</code> 添加账户。"
                 "<span class=\"en\" lang=\"en\">Accounts are added with weldreg-web account "
                 "add (docs/operator-guide.md).</span></p><p class=\"card\">");
    page_text(&b, call->session.login);
    page_raw(&b, "</p>");
    page_finish(&b, 200, resp);
}

/* ---- login and logout ---- */

static void web_session_cookie(http_response *resp, const char *value, unsigned max_age)
{
    snprintf(resp->set_cookie, sizeof(resp->set_cookie),
             WEB_COOKIE "=%s; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=%u", value,
             max_age);
}

/* After a good password: a new session (never the id the browser came with). */
static void web_open_session(web_call *call, int64_t account_id, http_response *resp)
{
    web_app *app = call->app;
    uint8_t raw[AUTH_TOKEN_LEN], hash[32], csrf_raw[AUTH_TOKEN_LEN];
    char hex[AUTH_TOKEN_HEX + 1], csrf[AUTH_TOKEN_HEX + 1];
    if (auth_random_token(raw, hex) != 0 || auth_random_token(csrf_raw, csrf) != 0) {
        page_message(resp, 500, "无法创建会话", "could not create a session");
        return;
    }
    auth_token_hash(raw, hash);
    store *db = web_db_get(call);
    int rc = call->has_session ? store_session_close(db, call->session_hash) : 0;
    if (rc == 0)
        rc = store_session_open(db, account_id, hash, csrf, app->cfg->web_session_s);
    web_db_put(call, db, rc);
    if (rc != 0) {
        page_message(resp, 503, "数据库暂不可用", "the database is not available");
        return;
    }
    web_session_cookie(resp, hex, app->cfg->web_session_s);
    web_redirect(resp, "/");
}

/* A wrong password for @p acc: counted, and perhaps the lock-out. */
static void web_login_failed(web_call *call, const store_account *acc, http_response *resp)
{
    web_app *app = call->app;
    bool locked = false;
    store *db = web_db_get(call);
    int rc = store_account_failed(db, acc->id, app->cfg->web_lockout_failures,
                                  app->cfg->web_lockout_window_s, &locked);
    web_db_put(call, db, rc);
    if (locked) {
        log_event(LOG_LEVEL_WARN, "account_locked", "account=%lld", (long long)acc->id);
        web_login_form(resp, 429, "登录失败次数过多，账户已暂时锁定，请稍后再试。",
                       "too many failed logins: the account is locked for a while");
    } else {
        web_login_form(resp, 401, "用户名或密码错误。", "wrong user name or password");
    }
}

static void page_login_post_fn(web_call *call, http_response *resp)
{
    web_app *app = call->app;
    const char *login = http_form(call->req, "login");
    const char *password = http_form(call->req, "password");
    if (!login || !password || !*login || strlen(login) > STORE_LOGIN_MAX) {
        web_login_form(resp, 400, "请填写用户名和密码。", "enter a user name and a password");
        return;
    }
    store_account acc;
    store *db = web_db_get(call);
    int found = store_account_get(db, login, &acc);
    if (found == 0 || (found == 1 && (acc.locked || acc.disabled)))
        found = store_account_refused(db, login, found == 1 ? acc.id : 0,
                                      found == 0     ? "unknown"
                                      : acc.disabled ? "disabled"
                                                     : "locked") == 0
                    ? (found == 1 ? 2 : 0)
                    : -1;
    web_db_put(call, db, found);
    if (found < 0) {
        page_message(resp, 503, "数据库暂不可用", "the database is not available");
    } else if (found == 0) {
        auth_verify_password(app->dummy_hash, password); /* the same time as a known name */
        web_login_form(resp, 401, "用户名或密码错误。", "wrong user name or password");
    } else if (found == 2) {
        web_login_form(resp, 429, "账户已暂时锁定或停用，请稍后再试。",
                       "the account is locked or disabled");
    } else if (!auth_verify_password(acc.password_hash, password)) {
        web_login_failed(call, &acc, resp);
    } else {
        web_open_session(call, acc.id, resp);
    }
}

static void page_logout_fn(web_call *call, http_response *resp)
{
    store *db = web_db_get(call);
    int rc = store_session_close(db, call->session_hash);
    web_db_put(call, db, rc);
    web_session_cookie(resp, "", 0);
    web_redirect(resp, "/login");
}

static const web_route web_base_table[] = {
    {"GET", "/static/app.css", GATE_PUBLIC, ACCESS_READ, page_css_fn},
    {"GET", "/static/app.js", GATE_PUBLIC, ACCESS_READ, page_js_fn},
    {"GET", "/login", GATE_PUBLIC, ACCESS_READ, page_login_fn},
    {"POST", "/login", GATE_PUBLIC, ACCESS_READ, page_login_post_fn},
    {"GET", "/", GATE_SESSION, ACCESS_READ, page_home_fn},
    {"POST", "/logout", GATE_SESSION, ACCESS_READ, page_logout_fn},
    {"GET", "/accounts", GATE_ROLE, ACCESS_ADMIN_ONLY, page_accounts_fn},
};

const web_routes web_routes_base = WEB_ROUTES(web_base_table);

/* Every module's table, searched in order. */
static const web_routes *const web_tables[] = {
    &web_routes_base,       &web_routes_assets,      &web_routes_machines,
    &web_routes_photos,     &web_routes_welder,      &web_routes_inspect,
    &web_routes_enterprise, &web_routes_ent_permits, &web_routes_ent_violations,
    &web_routes_office,     &web_routes_map,         &web_routes_health,
    &web_routes_live,       &web_routes_report,
};

void web_app_print_routes(FILE *out)
{
    static const char *const gates[] = {
        [GATE_PUBLIC] = "public", [GATE_SESSION] = "session", [GATE_ROLE] = "role"};
    for (size_t t = 0; t < sizeof(web_tables) / sizeof(web_tables[0]); t++)
        for (size_t i = 0; i < web_tables[t]->count; i++) {
            const web_route *r = &web_tables[t]->routes[i];
            const char *need = access_need_name(r->need);
            fprintf(out, "%s %s %s %s\n", r->method, r->path, gates[r->gate],
                    need ? need : "unknown");
        }
}

/* ---- dispatch ---- */

/* The route of @p table for @p req; sets @p path_known when the path matched with another
 * method. */
static const web_route *web_find_in(const web_routes *table, const http_request *req,
                                    bool *path_known)
{
    for (size_t i = 0; i < table->count; i++) {
        const web_route *r = &table->routes[i];
        size_t n = strlen(r->path);
        bool match = r->path[n - 1] == '/' && n > 1 ? strncmp(req->path, r->path, n) == 0
                                                    : strcmp(req->path, r->path) == 0;
        if (!match)
            continue;
        *path_known = true;
        if (strcmp(req->method, r->method) == 0 ||
            (strcmp(req->method, "HEAD") == 0 && strcmp(r->method, "GET") == 0))
            return r;
    }
    return NULL;
}

static const web_route *web_find_route(const http_request *req, bool *path_known)
{
    *path_known = false;
    for (size_t i = 0; i < sizeof(web_tables) / sizeof(web_tables[0]); i++) {
        const web_route *r = web_find_in(web_tables[i], req, path_known);
        if (r)
            return r;
    }
    return NULL;
}

/* Loads the session the cookie names, if it is live. -1 if the database failed. */
static int web_load_session(web_call *call)
{
    const char *cookie = http_cookie(call->req, WEB_COOKIE);
    if (!cookie || !auth_session_hash(cookie, call->session_hash))
        return 0;
    store *db = web_db_get(call);
    int found = store_session_find(db, call->session_hash, &call->session);
    web_db_put(call, db, found);
    if (found == 1 && access_role_parse(call->session.role, &call->role) != 0)
        found = 0;
    call->has_session = found == 1;
    return found < 0 ? -1 : 0;
}

/* A POST must come from our own pages. Browsers that send Sec-Fetch-Site say it; for others,
 * Origin (when sent) must be this host. Origin alone is not enough: under a no-referrer policy
 * Chromium sends "Origin: null" with its own forms (hence Referrer-Policy: same-origin). */
static bool web_same_origin(const http_request *req)
{
    const char *site = http_header(req, "Sec-Fetch-Site");
    if (site)
        return strcmp(site, "same-origin") == 0 || strcmp(site, "none") == 0;
    const char *origin = http_header(req, "Origin");
    const char *host = http_header(req, "Host");
    if (!origin)
        return true;
    return host && strncmp(origin, "https://", 8) == 0 && strcmp(origin + 8, host) == 0;
}

/* The session's CSRF token, from the form's "csrf" field or, for a script's upload, the
 * X-CSRF-Token header. */
static bool web_csrf_ok(const web_call *call)
{
    const char *token = http_form(call->req, "csrf");
    if (!token)
        token = http_header(call->req, "X-CSRF-Token");
    return token && auth_equal(token, call->session.csrf);
}

static void web_dispatch(web_app *app, const http_request *req, http_response *resp)
{
    web_call call = {.app = app, .req = req, .standby_lag_s = -1};
    bool known;
    const web_route *route = web_find_route(req, &known);
    if (!route) {
        page_message(resp, known ? 405 : 404, known ? "不支持此方法" : "页面不存在",
                     known ? "method not allowed" : "not found");
        return;
    }
    bool post = strcmp(req->method, "POST") == 0;
    if (post && !web_same_origin(req)) {
        page_message(resp, 403, "请求来源不被接受", "cross-site request refused");
        return;
    }
    if (route->gate != GATE_PUBLIC || route->fn == page_login_fn ||
        route->fn == page_login_post_fn) {
        if (web_load_session(&call) != 0) {
            page_message(resp, 503, "数据库暂不可用", "the database is not available");
            return;
        }
    }
    if (route->gate != GATE_PUBLIC && !call.has_session) {
        web_redirect(resp, "/login");
        return;
    }
    if (route->gate == GATE_ROLE && access_decide(call.role, route->need) == ACCESS_DENIED) {
        page_message(resp, 403, "您的角色无权访问此页面", "your role may not open this page");
        return;
    }
    if (post && route->gate != GATE_PUBLIC && !web_csrf_ok(&call)) {
        page_message(resp, 403, "表单已失效，请返回重试", "missing or wrong CSRF token");
        return;
    }
    route->fn(&call, resp);
}

void web_app_handle(void *ctx, const http_request *req, http_response *resp)
{
    web_app *app = ctx;
    double start = metrics_now_s();
    web_dispatch(app, req, resp);
    web_metrics_count(app->metrics, resp->status, metrics_now_s() - start);
}

web_app *web_app_create(const server_config *cfg, char *err, size_t errlen)
{
    web_app *app = calloc(1, sizeof(*app));
    size_t n = cfg->web_threads ? cfg->web_threads : 1;
    if (app) {
        app->db = calloc(n, sizeof(store *));
        app->lent = calloc(n, sizeof(*app->lent));
        app->suspect = calloc(n, sizeof(*app->suspect));
        app->read_db = calloc(n, sizeof(store *));
        app->read_lent = calloc(n, sizeof(*app->read_lent));
        app->read_retry_at = calloc(n, sizeof(*app->read_retry_at));
        app->metrics = web_metrics_create();
    }
    if (!app || !app->db || !app->lent || !app->suspect || !app->read_db || !app->read_lent ||
        !app->read_retry_at || !app->metrics) {
        snprintf(err, errlen, "out of memory");
        web_app_destroy(app);
        return NULL;
    }
    app->cfg = cfg;
    pthread_mutex_init(&app->lock, NULL);
    pthread_cond_init(&app->returned, NULL);
    uint8_t raw[AUTH_TOKEN_LEN];
    char hex[AUTH_TOKEN_HEX + 1];
    if (auth_random_token(raw, hex) != 0 ||
        auth_hash_password(hex, app->dummy_hash, err, errlen) != 0 ||
        auth_random_token(app->secret, hex) != 0) {
        web_app_destroy(app);
        return NULL;
    }
    app->verifier = welder_verifier_create(cfg, err, errlen);
    for (; app->verifier && app->n_db < n; app->n_db++)
        if (!(app->db[app->n_db] = store_connect(cfg->database_url, err, errlen)))
            break;
    if (app->n_db < n || !(app->live = live_hub_create(cfg, err, errlen))) {
        web_app_destroy(app);
        return NULL;
    }
    return app;
}

void web_app_destroy(web_app *app)
{
    if (!app)
        return;
    live_hub_destroy(app->live);
    for (size_t i = 0; app->db && i < app->n_db; i++)
        store_destroy(app->db[i]);
    for (size_t i = 0; app->read_db && i < app->n_db; i++)
        store_destroy(app->read_db[i]);
    free(app->db);
    free(app->read_db);
    free(app->read_lent);
    free(app->read_retry_at);
    free(app->lent);
    free(app->suspect);
    welder_verifier_destroy(app->verifier);
    web_metrics_destroy(app->metrics);
    if (app->cfg) {
        pthread_cond_destroy(&app->returned);
        pthread_mutex_destroy(&app->lock);
    }
    free(app);
}
