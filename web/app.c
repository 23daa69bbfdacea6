/* app.c — routing, sessions, login and logout. Every route names what it needs: nothing, a
 * session, or a session whose role core/access.c admits; every POST is checked for its origin
 * and, after login, for the session's CSRF token. */
#include "web/app.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/access.h"
#include "server/db/store.h"
#include "server/db/store_accounts.h"
#include "server/loop/log.h"
#include "web/auth.h"
#include "web/page.h"
#include "web/welder.h"

struct web_app {
    const server_config *cfg;
    pthread_mutex_t lock; /* held around every use of db */
    store *db;
    char dummy_hash[AUTH_HASH_MAX]; /* checked for unknown logins: the same time as a known one */
    welder_verifier *verifier;
};

/* A request with its session, if it has one. */
typedef struct web_call {
    web_app *app;
    const http_request *req;
    bool has_session;
    store_web_session session;
    uint8_t session_hash[32];
    access_role role;
} web_call;

typedef void (*web_page_fn)(web_call *call, http_response *resp);

typedef enum web_gate { GATE_PUBLIC, GATE_SESSION, GATE_ROLE } web_gate;

typedef struct web_route {
    const char *method;
    const char *path; /* ending in '/': a prefix */
    web_gate gate;
    access_need need; /* GATE_ROLE */
    web_page_fn fn;
} web_route;

/* ---- the database, one request at a time ---- */

static void web_db_lock(web_app *app)
{
    pthread_mutex_lock(&app->lock);
}

/* Unlocks; after a failed statement (@p rc < 0), reconnects for the next request. */
static void web_db_unlock(web_app *app, int rc)
{
    if (rc < 0)
        store_reconnect(app->db);
    pthread_mutex_unlock(&app->lock);
}

/* ---- pages ---- */

static void web_static(http_response *resp, const char *type, const char *body)
{
    resp->status = 200;
    resp->content_type = type;
    resp->body = (char *)body;
    resp->len = strlen(body);
    resp->body_static = true;
    resp->cacheable = true;
}

static void page_css_fn(web_call *call, http_response *resp)
{
    (void)call;
    web_static(resp, "text/css; charset=utf-8", page_css);
}

static void page_js_fn(web_call *call, http_response *resp)
{
    (void)call;
    web_static(resp, "text/javascript; charset=utf-8", page_js);
}

static void web_redirect(http_response *resp, const char *to)
{
    resp->status = 303;
    snprintf(resp->location, sizeof(resp->location), "%s", to);
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
                 "needed.</span></p>");
    page_finish(&b, status, resp);
}

static void page_login_fn(web_call *call, http_response *resp)
{
    if (call->has_session)
        web_redirect(resp, "/");
    else
        web_login_form(resp, 200, NULL, NULL);
}

/* The hidden field of every form of a session. */
static void web_csrf_field(textbuf *b, const web_call *call)
{
    page_raw(b, "<input type=\"hidden\" name=\"csrf\" value=\"");
    page_text(b, call->session.csrf);
    page_raw(b, "\">");
}

/* The links of the home page, each shown to the roles that may open it. */
static const struct web_link {
    const char *href, *zh, *en;
    access_need need;
} web_links[] = {
    {"/machines", "焊机", "machines", ACCESS_READ},
    {"/accounts", "账户", "accounts", ACCESS_ADMIN_ONLY},
};

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
    page_raw(&b, "</ul></nav><form class=\"card\" method=\"post\" action=\"/logout\">");
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

static void web_machine_row(void *arg, const store_machine_row *row)
{
    textbuf *b = arg;
    const char *cells[] = {row->chip_id, row->enterprise, row->community, row->category,
                           row->status};
    page_raw(b, "<tr>");
    for (size_t i = 0; i < sizeof(cells) / sizeof(cells[0]); i++) {
        page_raw(b, "<td>");
        page_text(b, cells[i]);
        page_raw(b, "</td>");
    }
    page_raw(b, "</tr>");
}

/* GET /machines: the machines of the caller's scope (all, their communities, their
 * enterprise), decided by core/access.c as the CoAP API decides. */
static void page_machines_fn(web_call *call, http_response *resp)
{
    textbuf b = {0};
    page_begin(&b, "焊机", "Machines");
    page_raw(&b, "<div class=\"card\"><table id=\"machines\"><thead><tr><th>芯片号</th><th>企业"
                 "</th><th>社区</th><th>类别</th><th>状态</th></tr></thead><tbody>");
    web_db_lock(call->app);
    int n = store_machines_in_scope(call->app->db, access_decide(call->role, ACCESS_READ),
                                    call->session.account_id, call->session.enterprise_id,
                                    web_machine_row, &b);
    web_db_unlock(call->app, n);
    page_raw(&b, "</tbody></table></div>");
    if (n < 0) {
        free(b.data);
        page_message(resp, 503, "数据库暂不可用", "the database is not available");
        return;
    }
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
    web_db_lock(app);
    int rc = call->has_session ? store_session_close(app->db, call->session_hash) : 0;
    if (rc == 0)
        rc = store_session_open(app->db, account_id, hash, csrf, app->cfg->web_session_s);
    web_db_unlock(app, rc);
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
    web_db_lock(app);
    int rc = store_account_failed(app->db, acc->id, app->cfg->web_lockout_failures,
                                  app->cfg->web_lockout_window_s, &locked);
    web_db_unlock(app, rc);
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
    web_db_lock(app);
    int found = store_account_get(app->db, login, &acc);
    if (found == 0 || (found == 1 && (acc.locked || acc.disabled)))
        found = store_account_refused(app->db, login, found == 1 ? acc.id : 0,
                                      found == 0     ? "unknown"
                                      : acc.disabled ? "disabled"
                                                     : "locked") == 0
                    ? (found == 1 ? 2 : 0)
                    : -1;
    web_db_unlock(app, found);
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
    web_db_lock(call->app);
    int rc = store_session_close(call->app->db, call->session_hash);
    web_db_unlock(call->app, rc);
    web_session_cookie(resp, "", 0);
    web_redirect(resp, "/login");
}

/* GET /w/<code text>: no login; the code text is the path after "/w/", percent-decoded. */
static void page_welder_fn(web_call *call, http_response *resp)
{
    code_claims claims;
    store_welder_status db = {0};
    wr_status status = welder_verify(call->app->verifier, call->req->path + 3, &claims);
    int found = 0;
    if (status == WR_OK) {
        web_db_lock(call->app);
        found = store_welder_status_get(call->app->db, claims.cti, sizeof(claims.cti), &db);
        web_db_unlock(call->app, found);
    }
    welder_render(status, &claims, &db, found, resp);
}

static const web_route web_routes[] = {
    {"GET", "/static/app.css", GATE_PUBLIC, ACCESS_READ, page_css_fn},
    {"GET", "/static/app.js", GATE_PUBLIC, ACCESS_READ, page_js_fn},
    {"GET", "/login", GATE_PUBLIC, ACCESS_READ, page_login_fn},
    {"POST", "/login", GATE_PUBLIC, ACCESS_READ, page_login_post_fn},
    {"GET", "/w/", GATE_PUBLIC, ACCESS_READ, page_welder_fn},
    {"GET", "/", GATE_SESSION, ACCESS_READ, page_home_fn},
    {"POST", "/logout", GATE_SESSION, ACCESS_READ, page_logout_fn},
    {"GET", "/accounts", GATE_ROLE, ACCESS_ADMIN_ONLY, page_accounts_fn},
    {"GET", "/machines", GATE_ROLE, ACCESS_READ, page_machines_fn},
};

/* ---- dispatch ---- */

static const web_route *web_find_route(const http_request *req, bool *path_known)
{
    *path_known = false;
    for (size_t i = 0; i < sizeof(web_routes) / sizeof(web_routes[0]); i++) {
        const web_route *r = &web_routes[i];
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

/* Loads the session the cookie names, if it is live. -1 if the database failed. */
static int web_load_session(web_call *call)
{
    const char *cookie = http_cookie(call->req, WEB_COOKIE);
    if (!cookie || !auth_session_hash(cookie, call->session_hash))
        return 0;
    web_db_lock(call->app);
    int found = store_session_find(call->app->db, call->session_hash, &call->session);
    web_db_unlock(call->app, found);
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

static bool web_csrf_ok(const web_call *call)
{
    const char *token = http_form(call->req, "csrf");
    return token && auth_equal(token, call->session.csrf);
}

void web_app_handle(void *ctx, const http_request *req, http_response *resp)
{
    web_call call = {.app = ctx, .req = req};
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

web_app *web_app_create(const server_config *cfg, char *err, size_t errlen)
{
    web_app *app = calloc(1, sizeof(*app));
    if (!app) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    app->cfg = cfg;
    pthread_mutex_init(&app->lock, NULL);
    uint8_t raw[AUTH_TOKEN_LEN];
    char hex[AUTH_TOKEN_HEX + 1];
    if (auth_random_token(raw, hex) != 0 ||
        auth_hash_password(hex, app->dummy_hash, err, errlen) != 0) {
        web_app_destroy(app);
        return NULL;
    }
    app->verifier = welder_verifier_create(cfg, err, errlen);
    app->db = app->verifier ? store_connect(cfg->database_url, err, errlen) : NULL;
    if (!app->db) {
        web_app_destroy(app);
        return NULL;
    }
    return app;
}

void web_app_destroy(web_app *app)
{
    if (!app)
        return;
    store_destroy(app->db);
    welder_verifier_destroy(app->verifier);
    pthread_mutex_destroy(&app->lock);
    free(app);
}
