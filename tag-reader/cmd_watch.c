/* cmd_watch.c — `weldtag watch`: new violations as they are recorded (CoAP Observe), oldest
 * first, catching up from the last id shown after a burst or a lost connection. */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tag-reader/adminreq.h"
#include "tag-reader/answer.h"
#include "tag-reader/commands.h"
#include "tag-reader/violationview.h"

#define WATCH_CATCH_UP_PAGE 500

static void watch_usage(FILE *out)
{
    fputs("usage: weldtag watch [--after ID] [--for SECONDS] [--count N] [--json]\n"
          "Shows new violations in your communities as they are recorded (CoAP Observe), oldest\n"
          "first. Nothing is missed: when many arrive at once, or after a lost connection, the\n"
          "tool catches up from the last id it showed.\n"
          "\n"
          "  --after ID       first show everything after violation ID (default: only new ones)\n"
          "  --for SECONDS    stop after this long (default: until interrupted)\n"
          "  --count N        stop after N violations\n"
          "  --json           one JSON line per violation\n"
          "\n" CONN_HELP "\n"
          "exit codes: 0 done, 2 usage, 3 connection lost for good, 4 refused by the server\n",
          out);
}

typedef struct watch_state {
    client *c;
    bool json;
    int64_t last;     /* the last id shown; -1 before the first answer without --after */
    long remaining;   /* violations still to show; -1: no limit */
    int rc;           /* set when the server refused */
    bool header;      /* the table header was printed */
    unsigned max_age; /* of a 5.03: wait this long before observing again */
} watch_state;

static volatile sig_atomic_t watch_stop;

static void watch_on_signal(int sig)
{
    (void)sig;
    watch_stop = 1;
}

/* Shows the violations of @p a's "items" above ws->last, oldest first. */
static void watch_show(watch_state *ws, const answer_doc *a, long items)
{
    size_t order[512];
    size_t n = 0;
    for (size_t k = (size_t)items + 1; k < a->doc.tokens[items].next && n < 512;
         k = a->doc.tokens[k].next)
        order[n++] = k;
    bool newest_first = n > 1 && a->doc.tokens[answer_find(a, order[0], "id")].i >
                                     a->doc.tokens[answer_find(a, order[n - 1], "id")].i;
    for (size_t i = 0; i < n && ws->remaining != 0; i++) {
        size_t k = order[newest_first ? n - 1 - i : i];
        long id_tok = answer_find(a, k, "id");
        int64_t id = id_tok >= 0 ? a->doc.tokens[id_tok].i : 0;
        if (id <= ws->last)
            continue;
        if (!ws->header && !ws->json) {
            violationview_header(stdout);
            ws->header = true;
        }
        violationview_print(stdout, a, k, ws->json);
        ws->last = id;
        if (ws->remaining > 0)
            ws->remaining--;
    }
    fflush(stdout);
}

/* Reads everything after ws->last in pages, oldest first, up to (not including) @p until. */
static bool watch_catch_up(watch_state *ws, int64_t until)
{
    while (ws->remaining != 0 && ws->last + 1 < until) {
        char path[96], *json = NULL;
        snprintf(path, sizeof(path), "v1/violations?after=%" PRId64 "&limit=%d", ws->last,
                 WATCH_CATCH_UP_PAGE);
        int rc = adminreq_call(ws->c, CLIENT_GET, path, NULL, &json);
        answer_doc a;
        if (rc != WELDTAG_EXIT_OK || !json || answer_parse(&a, json) != 0) {
            free(json);
            ws->rc = rc != WELDTAG_EXIT_OK ? rc : WELDTAG_EXIT_SERVER;
            return false;
        }
        long items = answer_find(&a, 0, "items"), next = answer_find(&a, 0, "next");
        int64_t before = ws->last;
        if (items >= 0)
            watch_show(ws, &a, items);
        answer_deinit(&a);
        free(json);
        if (next < 0 || ws->last == before)
            break;
    }
    return true;
}

static bool watch_on_answer(const client_response *resp, void *arg)
{
    watch_state *ws = arg;
    if (resp->code_class != 2) {
        if (resp->code_class == 5 && resp->code_detail == 3) {
            ws->max_age = resp->max_age ? resp->max_age : 5;
            return false; /* the database is away: observe again later */
        }
        ws->rc = tool_report_refusal(resp);
        return false;
    }
    char *json = NULL;
    answer_doc a;
    if (adminreq_answer(resp, &json) != WELDTAG_EXIT_OK || !json || answer_parse(&a, json) != 0) {
        free(json);
        ws->rc = WELDTAG_EXIT_SERVER;
        return false;
    }
    long items = answer_find(&a, 0, "items"), next = answer_find(&a, 0, "next");
    int64_t oldest = next >= 0 ? a.doc.tokens[next].i : 0;
    if (ws->last < 0) { /* the first answer: start from the newest there is */
        ws->last = 0;
        for (size_t k = items < 0 ? 0 : (size_t)items + 1;
             items >= 0 && k < a.doc.tokens[items].next; k = a.doc.tokens[k].next) {
            long id = answer_find(&a, k, "id");
            if (id >= 0 && a.doc.tokens[id].i > ws->last)
                ws->last = a.doc.tokens[id].i;
        }
    } else {
        /* a full window may not reach back to what was shown last: fill the gap first */
        if (oldest && oldest > ws->last + 1)
            watch_catch_up(ws, oldest);
        if (items >= 0)
            watch_show(ws, &a, items);
    }
    answer_deinit(&a);
    free(json);
    return ws->rc == WELDTAG_EXIT_OK && ws->remaining != 0 && !watch_stop;
}

static int watch_parse(int argc, char **argv, watch_state *ws, unsigned *seconds,
                       conn_settings *conn)
{
    static const struct option options[] = {{"after", required_argument, NULL, 'a'},
                                            {"for", required_argument, NULL, 'f'},
                                            {"count", required_argument, NULL, 'n'},
                                            {"json", no_argument, NULL, 'j'},
                                            {"help", no_argument, NULL, 'h'},
                                            CONN_LONG_OPTIONS,
                                            {NULL, 0, NULL, 0}};
    int opt;
    char *end;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        long long v = 0;
        if (opt == 'a' || opt == 'f' || opt == 'n') {
            v = strtoll(optarg, &end, 10);
            if (*end || end == optarg || v < 0 || v > 1000000000) {
                tool_error("invalid number \"%s\"", optarg);
                return -1;
            }
        }
        switch (opt) {
        case 'h': watch_usage(stdout); return 1;
        case 'a': ws->last = v; break;
        case 'f': *seconds = (unsigned)v; break;
        case 'n': ws->remaining = (long)v; break;
        case 'j': ws->json = true; break;
        default:
            if (conn_option(conn, opt, optarg) != 1) {
                watch_usage(stderr);
                return -1;
            }
        }
    }
    if (optind != argc) {
        watch_usage(stderr);
        return -1;
    }
    return conn_finish(conn);
}

/* Observes until the time is up, the count is reached, or an interrupt; observes again after a
 * lost connection or a 5.03. */
static int watch_loop(watch_state *ws, conn_settings *conn, unsigned seconds)
{
    time_t end = seconds ? time(NULL) + seconds : 0;
    int failures = 0;
    while (!watch_stop && ws->rc == WELDTAG_EXIT_OK && ws->remaining != 0) {
        time_t now = time(NULL);
        if (end && now >= end)
            break;
        char err[256], path[96];
        if (client_open(&conn->opt, &ws->c, err, sizeof(err)) != CLIENT_OK) {
            tool_error("%s", err);
            return WELDTAG_EXIT_USAGE;
        }
        snprintf(path, sizeof(path), "v1/violations/live?after=%" PRId64,
                 ws->last > 0 ? ws->last : 0);
        ws->max_age = 0;
        client_status st = client_observe(ws->c, path, end ? (unsigned)(end - now) : 0, &watch_stop,
                                          watch_on_answer, ws, err, sizeof(err));
        client_close(ws->c);
        ws->c = NULL;
        if (st == CLIENT_OK && !ws->max_age)
            break;
        if (++failures > 30 || watch_stop)
            return WELDTAG_EXIT_NETWORK;
        unsigned pause = ws->max_age ? ws->max_age : 2;
        fprintf(stderr, "weldtag: %s; observing again in %u s\n",
                ws->max_age ? "the server is unavailable" : err, pause);
        sleep(pause);
    }
    return ws->rc;
}

int watch_main(int argc, char **argv)
{
    conn_settings conn;
    conn_init(&conn);
    watch_state ws = {.last = -1, .remaining = -1};
    unsigned seconds = 0;
    int rc = watch_parse(argc, argv, &ws, &seconds, &conn);
    if (rc != 0) {
        conn_deinit(&conn);
        return rc > 0 ? WELDTAG_EXIT_OK : WELDTAG_EXIT_USAGE;
    }
    struct sigaction sa = {.sa_handler = watch_on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if (ws.last >= 0 && !ws.json)
        fprintf(stderr, "weldtag: catching up from violation %" PRId64 "\n", ws.last);
    rc = watch_loop(&ws, &conn, seconds);
    conn_deinit(&conn);
    return rc;
}
