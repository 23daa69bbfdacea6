/* web-load.c — the web's load figures: N people log in through the form (each a session of its
 * own), then every path given is asked for T seconds by all of them at once, each asking again
 * as soon as its answer came (libcurl multi, one keep-alive connection per person). Prints
 * requests per second and p50/p95/p99 latency per path, beside a baseline measured in the same
 * run (a static asset: no database, no session lookup). A benchmark, not a test: figures only,
 * and exit 1 if a login or a request failed. Method and figures: docs/performance.md.
 *   web-load --url URL --cacert FILE --login NAME[%d] --password-file FILE
 *            [--users N] [--duration S] [--baseline PATH] PATH...
 * A login with %d is a pattern: person i (1..N) logs in as its i-th name; otherwise all log in
 * as NAME, each with a session of its own. */
#include <curl/curl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "hist.h"

#define LOAD_USERS_MAX 10000
#define LOAD_PATHS_MAX 16
#define LOAD_COOKIE    "__Host-weldreg="

typedef struct load_user {
    CURL *easy;
    char cookie[160]; /* "__Host-weldreg=<hex>" once logged in */
    char form[512];   /* the login form's body */
    uint64_t started; /* when the request in flight was sent (load_now_us) */
} load_user;

typedef struct load_opts {
    const char *url, *cacert, *login, *password_file, *baseline;
    const char *paths[LOAD_PATHS_MAX];
    int n_paths;
    int users;
    double duration;
} load_opts;

/* What one phase (the logins, or one path) came to. */
typedef struct load_result {
    hist latency;
    unsigned long ok, failed, bytes;
    double seconds;
} load_result;

/* Microseconds on the monotonic clock: the histogram's unit. */
static uint64_t load_now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}

static size_t load_body(char *data, size_t size, size_t n, void *arg)
{
    (void)data;
    *(unsigned long *)arg += (unsigned long)(size * n);
    return size * n;
}

/* Keeps the session cookie of a login's answer. */
static size_t load_header(char *line, size_t size, size_t n, void *arg)
{
    load_user *u = arg;
    size_t len = size * n, skip = strlen("Set-Cookie: ");
    if (len > skip && strncasecmp(line, "Set-Cookie: ", skip) == 0 &&
        strncmp(line + skip, LOAD_COOKIE, strlen(LOAD_COOKIE)) == 0) {
        size_t end = strcspn(line + skip, ";\r\n");
        if (end < sizeof(u->cookie))
            snprintf(u->cookie, sizeof(u->cookie), "%.*s", (int)end, line + skip);
    }
    return len;
}

/* Sets @p u's handle up for its next request of @p path (a login when @p login). */
static void load_prepare(const load_opts *o, load_user *u, const char *path, bool login,
                         load_result *r)
{
    char url[1024];
    snprintf(url, sizeof(url), "%s%s", o->url, path);
    curl_easy_setopt(u->easy, CURLOPT_URL, url);
    curl_easy_setopt(u->easy, CURLOPT_CAINFO, o->cacert);
    curl_easy_setopt(u->easy, CURLOPT_PRIVATE, u);
    curl_easy_setopt(u->easy, CURLOPT_WRITEFUNCTION, load_body);
    curl_easy_setopt(u->easy, CURLOPT_WRITEDATA, &r->bytes);
    curl_easy_setopt(u->easy, CURLOPT_HEADERFUNCTION, login ? load_header : NULL);
    curl_easy_setopt(u->easy, CURLOPT_HEADERDATA, login ? u : NULL);
    curl_easy_setopt(u->easy, CURLOPT_POSTFIELDS, login ? u->form : NULL);
    if (!login)
        curl_easy_setopt(u->easy, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(u->easy, CURLOPT_COOKIE, u->cookie[0] ? u->cookie : NULL);
    curl_easy_setopt(u->easy, CURLOPT_TIMEOUT, 60L);
}

/* One request of @p u is over: counted (a login expects 303 with a cookie, a page 200). */
static void load_done(load_user *u, CURLcode rc, bool login, load_result *r, uint64_t now)
{
    long status = 0;
    curl_easy_getinfo(u->easy, CURLINFO_RESPONSE_CODE, &status);
    bool good = rc == CURLE_OK && (login ? status == 303 && u->cookie[0] : status == 200);
    if (good) {
        r->ok++;
        hist_add(&r->latency, now - u->started);
    } else if (r->failed++ == 0) {
        fprintf(stderr, "web-load: a request failed: %s, HTTP %ld\n", curl_easy_strerror(rc),
                status);
    }
}

/* Every user asks for @p path (logs in when @p login) again and again until @p seconds have
 * passed (0: once each); the answers still in flight then are waited for. */
static void load_phase(const load_opts *o, load_user *users, const char *path, bool login,
                       double seconds, load_result *r)
{
    CURLM *m = curl_multi_init();
    uint64_t start = load_now_us(), until = start + (uint64_t)(seconds * 1e6);
    memset(r, 0, sizeof(*r));
    for (int i = 0; i < o->users; i++) {
        load_prepare(o, &users[i], path, login, r);
        users[i].started = start;
        curl_multi_add_handle(m, users[i].easy);
    }
    int running = o->users;
    while (running > 0) {
        curl_multi_perform(m, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(m, &left))) {
            load_user *u = NULL;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&u);
            uint64_t now = load_now_us();
            load_done(u, msg->data.result, login, r, now);
            curl_multi_remove_handle(m, u->easy);
            if (now < until) {
                u->started = now;
                curl_multi_add_handle(m, u->easy);
                running++;
            }
        }
        if (running > 0)
            curl_multi_poll(m, NULL, 0, 100, NULL);
    }
    r->seconds = (double)(load_now_us() - start) / 1e6;
    curl_multi_cleanup(m);
}

/* @p path as the table shows it: a long one (a code's text) by its first segment and length. */
static const char *load_label(const char *path, char *out, size_t cap)
{
    size_t len = strlen(path);
    const char *second = strchr(path + 1, '/');
    if (len <= 34 || !second)
        return path;
    snprintf(out, cap, "%.*s<%zu bytes>", (int)(second - path + 1), path, len);
    return out;
}

static void load_row(const char *what, const load_result *r, const load_result *base)
{
    double rps = r->seconds > 0 ? (double)r->ok / r->seconds : 0;
    double base_rps = base && base->seconds > 0 ? (double)base->ok / base->seconds : 0;
    char ratio[16] = "";
    if (base && base_rps > 0)
        snprintf(ratio, sizeof(ratio), "%.2f", rps / base_rps);
    printf("| %-34.34s | %9.0f | %7.1f | %7.1f | %7.1f | %7lu | %6lu | %8s |\n", what, rps,
           (double)hist_quantile(&r->latency, 0.50) / 1000,
           (double)hist_quantile(&r->latency, 0.95) / 1000,
           (double)hist_quantile(&r->latency, 0.99) / 1000, r->ok ? r->bytes / r->ok : 0, r->failed,
           ratio);
}

static int load_usage(void)
{
    fputs("usage: web-load --url URL --cacert FILE --login NAME[%d] --password-file FILE\n"
          "                [--users N] [--duration S] [--baseline PATH] PATH...\n",
          stderr);
    return 2;
}

static int load_parse(int argc, char **argv, load_opts *o)
{
    static const struct option options[] = {
        {"url", required_argument, NULL, 'u'},      {"cacert", required_argument, NULL, 'c'},
        {"login", required_argument, NULL, 'l'},    {"password-file", required_argument, NULL, 'p'},
        {"users", required_argument, NULL, 'n'},    {"duration", required_argument, NULL, 'd'},
        {"baseline", required_argument, NULL, 'b'}, {NULL, 0, NULL, 0}};
    *o = (load_opts){.users = 100, .duration = 10, .baseline = "/static/app.css"};
    int opt;
    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (opt) {
        case 'u': o->url = optarg; break;
        case 'c': o->cacert = optarg; break;
        case 'l': o->login = optarg; break;
        case 'p': o->password_file = optarg; break;
        case 'n': o->users = (int)strtol(optarg, NULL, 10); break;
        case 'd': o->duration = strtod(optarg, NULL); break;
        case 'b': o->baseline = optarg; break;
        default: return -1;
        }
    }
    for (; optind < argc && o->n_paths < LOAD_PATHS_MAX; optind++)
        o->paths[o->n_paths++] = argv[optind];
    return o->url && o->cacert && o->login && o->password_file && o->n_paths > 0 &&
                   optind == argc && o->users > 0 && o->users <= LOAD_USERS_MAX && o->duration > 0
               ? 0
               : -1;
}

/* The login form of user @p i (1-based): the name (or pattern) and the password, url-encoded. */
static int load_forms(const load_opts *o, load_user *users)
{
    char password[256], name[128];
    FILE *f = fopen(o->password_file, "r");
    if (!f || !fgets(password, sizeof(password), f)) {
        fprintf(stderr, "web-load: could not read \"%s\"\n", o->password_file);
        if (f)
            fclose(f);
        return -1;
    }
    fclose(f);
    password[strcspn(password, "\r\n")] = '\0';
    CURL *e = curl_easy_init();
    char *pw = e ? curl_easy_escape(e, password, 0) : NULL;
    const char *mark = strstr(o->login, "%d");
    for (int i = 0; pw && i < o->users; i++) {
        if (mark)
            snprintf(name, sizeof(name), "%.*s%d%s", (int)(mark - o->login), o->login, i + 1,
                     mark + 2);
        else
            snprintf(name, sizeof(name), "%s", o->login);
        char *n = curl_easy_escape(e, name, 0);
        snprintf(users[i].form, sizeof(users[i].form), "login=%s&password=%s", n ? n : "", pw);
        curl_free(n);
    }
    curl_free(pw);
    curl_easy_cleanup(e);
    return pw ? 0 : -1;
}

int main(int argc, char **argv)
{
    load_opts o;
    if (load_parse(argc, argv, &o) != 0)
        return load_usage();
    curl_global_init(CURL_GLOBAL_DEFAULT);
    load_user *users = calloc((size_t)o.users, sizeof(*users));
    int rc = users && load_forms(&o, users) == 0 ? 0 : 1;
    for (int i = 0; rc == 0 && i < o.users; i++)
        if (!(users[i].easy = curl_easy_init()))
            rc = 1;
    load_result login, base, page;
    if (rc == 0) {
        load_phase(&o, users, "/login", true, 0, &login);
        printf("web-load: %d people logged in through the form in %.1f s (p50 %.0f ms; %lu "
               "failed), then %.0f s per path on %s\n\n",
               o.users, login.seconds, (double)hist_quantile(&login.latency, 0.5) / 1000,
               login.failed, o.duration, o.url);
        rc = login.failed ? 1 : 0;
    }
    if (rc == 0) {
        printf("| %-34s | %9s | %7s | %7s | %7s | %7s | %6s | %8s |\n", "path", "req/s", "p50 ms",
               "p95 ms", "p99 ms", "bytes", "failed", "/ base");
        printf("|%s|%s|%s|%s|%s|%s|%s|%s|\n", "------------------------------------", "-----------",
               "---------", "---------", "---------", "---------", "--------", "----------");
        char what[64];
        snprintf(what, sizeof(what), "%.23s (baseline)", o.baseline);
        load_phase(&o, users, o.baseline, false, o.duration, &base);
        load_row(what, &base, NULL);
        rc = base.failed ? 1 : 0;
        for (int p = 0; p < o.n_paths; p++) {
            load_phase(&o, users, o.paths[p], false, o.duration, &page);
            load_row(load_label(o.paths[p], what, sizeof(what)), &page, &base);
            rc |= page.failed ? 1 : 0;
        }
    }
    for (int i = 0; users && i < o.users; i++)
        curl_easy_cleanup(users[i].easy);
    free(users);
    curl_global_cleanup();
    return rc;
}
