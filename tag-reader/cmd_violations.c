/* cmd_violations.c — `weldtag violations`: list and filter violations, show one with its
 * evidence and history, move it through its life cycle; `weldtag watch`: new violations as they
 * happen (CoAP Observe), catching up from the last id seen. */
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

enum { METHOD_GET = 1, METHOD_POST = 2 };

#define CATCH_UP_PAGE 500

static void violations_usage(FILE *out)
{
    fputs("usage: weldtag violations list [FILTER=VALUE...] [--all] [--json]\n"
          "       weldtag violations show ID [--json]\n"
          "       weldtag violations acknowledge ID [--note TEXT]\n"
          "       weldtag violations resolve|dismiss ID --note TEXT\n"
          "\n"
          "Filters: community_id, enterprise_id, machine_id, chip, welder_id, kind, status\n"
          "(open, acknowledged, resolved, dismissed), from=YYYY-MM-DD, to=YYYY-MM-DD (China\n"
          "calendar days, inclusive), limit (1-500), before=ID (the next page). Newest first.\n"
          "\n"
          "  --all          follow every page\n"
          "  --note TEXT    why (required to resolve or dismiss)\n"
          "  --json         print answers as JSON, one line each\n"
          "\n" CONN_HELP "\n"
          "exit codes: 0 done, 2 usage, 3 no answer, 4 refused by the server\n",
          out);
}

typedef struct violations_args {
    bool all, json;
    const char *note;
} violations_args;

static int violations_parse(int argc, char **argv, violations_args *a, conn_settings *conn)
{
    static const struct option options[] = {{"all", no_argument, NULL, 'a'},
                                            {"json", no_argument, NULL, 'j'},
                                            {"note", required_argument, NULL, 'n'},
                                            {"help", no_argument, NULL, 'h'},
                                            CONN_LONG_OPTIONS,
                                            {NULL, 0, NULL, 0}};
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
        case 'h': violations_usage(stdout); return 1;
        case 'a': a->all = true; break;
        case 'j': a->json = true; break;
        case 'n': a->note = optarg; break;
        default:
            if (conn_option(conn, opt, optarg) != 1) {
                violations_usage(stderr);
                return -1;
            }
        }
    }
    return conn_finish(conn);
}

/* ---- printing ---- */

static void violations_header(void)
{
    printf("%-8s %-22s %-28s %-9s %-13s %-18s %-8s %s\n", "ID", "OCCURRED", "KIND", "SEVERITY",
           "STATUS", "CHIP", "WELDER", "REASONS");
}

/* One violation (object token @p v of @p a) as a table row. */
static void violations_row(const answer_doc *a, size_t v)
{
    char id[24], when[40], kind[80], sev[16], status[24], chip[80], welder[120], reasons[512];
    answer_text(a, v, "id", "?", id, sizeof(id));
    answer_time(a, v, "occurred_at", when, sizeof(when));
    answer_text(a, v, "kind", "?", kind, sizeof(kind));
    answer_text(a, v, "severity", "?", sev, sizeof(sev));
    answer_text(a, v, "status", "?", status, sizeof(status));
    answer_text(a, v, "chip_id", "-", chip, sizeof(chip));
    answer_text(a, v, "welder", "-", welder, sizeof(welder));
    answer_text(a, v, "evidence.checkin.reasons", "", reasons, sizeof(reasons));
    printf("%-8s %-22s ", id, when);
    answer_cell(stdout, kind, 28);
    printf(" %-9s %-13s ", sev, status);
    answer_cell(stdout, chip, 18);
    fputc(' ', stdout);
    answer_cell(stdout, welder, 8);
    printf(" %s\n", reasons);
}

/* Prints one violation: a JSON line, or a table row. */
static void violations_print_one(const answer_doc *a, size_t v, bool json)
{
    if (json)
        printf("%.*s\n", (int)a->doc.tokens[v].len, a->doc.text + a->doc.tokens[v].start);
    else
        violations_row(a, v);
}

static void show_line(const char *label, const char *text)
{
    printf("%-13s%s\n", label, text);
}

static void show_evidence(const answer_doc *a)
{
    char seq[24], ev[16], at[40], lat[32], lon[32], reasons[512], line[1024];
    const char *label = "evidence:";
    if (answer_find(a, 0, "evidence.checkin") >= 0) {
        answer_text(a, 0, "evidence.checkin.seq", "?", seq, sizeof(seq));
        answer_text(a, 0, "evidence.checkin.ev", "?", ev, sizeof(ev));
        answer_time(a, 0, "evidence.checkin.received_at", at, sizeof(at));
        answer_text(a, 0, "evidence.checkin.lat", "", lat, sizeof(lat));
        answer_text(a, 0, "evidence.checkin.lon", "", lon, sizeof(lon));
        answer_text(a, 0, "evidence.checkin.reasons", "", reasons, sizeof(reasons));
        snprintf(line, sizeof(line), "check-in seq %s (%s) received %s, %s%s%s%s; reasons: %s", seq,
                 ev, at, lat[0] ? "at " : "no position", lat, lat[0] ? "," : "", lon,
                 reasons[0] ? reasons : "none");
        show_line(label, line);
        label = "";
    }
    if (answer_find(a, 0, "evidence.session") >= 0) {
        char id[24], from[40], seen[40], why[64];
        answer_text(a, 0, "evidence.session.id", "?", id, sizeof(id));
        answer_time(a, 0, "evidence.session.opened_at", from, sizeof(from));
        answer_time(a, 0, "evidence.session.last_seen_at", seen, sizeof(seen));
        answer_text(a, 0, "evidence.session.close_reason", "open", why, sizeof(why));
        snprintf(line, sizeof(line), "work session %s opened %s, last seen %s, %s", id, from, seen,
                 why);
        show_line(label, line);
        label = "";
    }
    if (answer_find(a, 0, "evidence.report") >= 0) {
        char by[80], kind[40], note[1024], check[64];
        answer_text(a, 0, "evidence.report.by", "?", by, sizeof(by));
        answer_text(a, 0, "evidence.report.kind", "?", kind, sizeof(kind));
        answer_text(a, 0, "evidence.report.note", "", note, sizeof(note));
        answer_text(a, 0, "evidence.report.details.check", "", check, sizeof(check));
        snprintf(line, sizeof(line), "on-site report by %s: %s%s%s%s", by, kind,
                 check[0] ? " (" : "", check, check[0] ? ")" : "");
        show_line(label, line);
        if (note[0])
            show_line("", note);
    }
}

static void show_history(const answer_doc *a)
{
    long h = answer_find(a, 0, "history");
    if (h < 0)
        return;
    for (size_t k = (size_t)h + 1; k < a->doc.tokens[h].next; k = a->doc.tokens[k].next) {
        char status[24], actor[80], at[40], note[1024], line[1300];
        answer_text(a, k, "status", "?", status, sizeof(status));
        answer_text(a, k, "actor", "?", actor, sizeof(actor));
        answer_time(a, k, "at", at, sizeof(at));
        answer_text(a, k, "note", "", note, sizeof(note));
        snprintf(line, sizeof(line), "%s  %-13s by %s%s%s", at, status, actor, note[0] ? ": " : "",
                 note);
        show_line(k == (size_t)h + 1 ? "history:" : "", line);
    }
}

static int violations_show(const char *json, bool compact)
{
    answer_doc a;
    if (compact || answer_parse(&a, json) != 0)
        return adminreq_print(json, true) == 0 ? WELDTAG_EXIT_OK : WELDTAG_EXIT_SERVER;
    char id[24], kind[80], sev[16], status[24], when[40], chip[80], welder[120], line[512];
    answer_text(&a, 0, "id", "?", id, sizeof(id));
    answer_text(&a, 0, "kind", "?", kind, sizeof(kind));
    answer_text(&a, 0, "severity", "?", sev, sizeof(sev));
    answer_text(&a, 0, "status", "?", status, sizeof(status));
    snprintf(line, sizeof(line), "#%s %s (%s), %s", id, kind, sev, status);
    show_line("violation:", line);
    answer_time(&a, 0, "occurred_at", when, sizeof(when));
    show_line("occurred:", when);
    answer_text(&a, 0, "chip_id", "-", chip, sizeof(chip));
    answer_text(&a, 0, "welder", "-", welder, sizeof(welder));
    snprintf(line, sizeof(line), "machine %s, welder %s", chip, welder);
    show_line("who:", line);
    show_evidence(&a);
    show_history(&a);
    answer_deinit(&a);
    return WELDTAG_EXIT_OK;
}

/* ---- list ---- */

/* Prints the items of one page; sets @p next (0: last page). */
static int violations_page(const char *json, bool compact, bool header, int64_t *next)
{
    answer_doc a;
    *next = 0;
    if (answer_parse(&a, json) != 0) {
        tool_error("the server's answer is not JSON this tool can read");
        return WELDTAG_EXIT_SERVER;
    }
    long items = answer_find(&a, 0, "items");
    long n = answer_find(&a, 0, "next");
    if (n >= 0)
        *next = a.doc.tokens[n].i;
    if (header && !compact)
        violations_header();
    for (size_t k = items < 0 ? 0 : (size_t)items + 1; items >= 0 && k < a.doc.tokens[items].next;
         k = a.doc.tokens[k].next)
        violations_print_one(&a, k, compact);
    answer_deinit(&a);
    return WELDTAG_EXIT_OK;
}

static int violations_list(client *c, char **args, int n, const violations_args *va)
{
    char query[2048], path[2300], err[256];
    if (adminreq_query(args, n, query, sizeof(query), err, sizeof(err)) != 0) {
        tool_error("%s", err);
        return WELDTAG_EXIT_USAGE;
    }
    int64_t before = 0;
    int rc = WELDTAG_EXIT_OK;
    bool first = true;
    do {
        char *answer = NULL;
        snprintf(path, sizeof(path), "v1/violations%s", query);
        if (before)
            snprintf(path + strlen(path), sizeof(path) - strlen(path), "%sbefore=%" PRId64,
                     query[0] ? "&" : "?", before);
        rc = adminreq_call(c, METHOD_GET, path, NULL, &answer);
        if (rc == WELDTAG_EXIT_OK && answer)
            rc = violations_page(answer, va->json, first, &before);
        free(answer);
        first = false;
    } while (rc == WELDTAG_EXIT_OK && va->all && before);
    if (rc == WELDTAG_EXIT_OK && before && !va->json)
        printf("(more: add before=%" PRId64 ", or --all)\n", before);
    return rc;
}

/* ---- life cycle ---- */

static int violations_step(client *c, const char *verb, const char *id, const violations_args *va)
{
    char *end, body[8192], arg_id[64], arg_note[4200], err[256], path[64];
    strtoll(id, &end, 10);
    if (!*id || *end) {
        tool_error("\"%s\" is not a violation id", id);
        return WELDTAG_EXIT_USAGE;
    }
    snprintf(arg_id, sizeof(arg_id), "id=%s", id);
    snprintf(arg_note, sizeof(arg_note), "note=%s", va->note ? va->note : "");
    char *args[] = {arg_id, arg_note};
    if (adminreq_body(args, va->note ? 2 : 1, body, sizeof(body), err, sizeof(err)) != 0) {
        tool_error("%s", err);
        return WELDTAG_EXIT_USAGE;
    }
    snprintf(path, sizeof(path), "v1/violations/%s", verb);
    char *answer = NULL;
    int rc = adminreq_call(c, METHOD_POST, path, body, &answer);
    if (rc == WELDTAG_EXIT_OK && answer)
        rc = violations_show(answer, va->json);
    free(answer);
    return rc;
}

static int violations_run(client *c, char **pos, int npos, const violations_args *va)
{
    static const char *const steps[] = {"acknowledge", "resolve", "dismiss"};
    if (strcmp(pos[0], "list") == 0)
        return violations_list(c, pos + 1, npos - 1, va);
    if (npos != 2) {
        violations_usage(stderr);
        return WELDTAG_EXIT_USAGE;
    }
    if (strcmp(pos[0], "show") == 0) {
        char path[96], *answer = NULL;
        snprintf(path, sizeof(path), "v1/violations?id=%.40s", pos[1]);
        int rc = adminreq_call(c, METHOD_GET, path, NULL, &answer);
        if (rc == WELDTAG_EXIT_OK && answer)
            rc = violations_show(answer, va->json);
        free(answer);
        return rc;
    }
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
        if (strcmp(pos[0], steps[i]) == 0)
            return violations_step(c, steps[i], pos[1], va);
    tool_error("unknown action \"%s\"", pos[0]);
    violations_usage(stderr);
    return WELDTAG_EXIT_USAGE;
}

int violations_main(int argc, char **argv)
{
    conn_settings conn;
    conn_init(&conn);
    violations_args va = {0};
    int rc = violations_parse(argc, argv, &va, &conn);
    if (rc != 0 || optind >= argc) {
        if (rc == 0)
            violations_usage(stderr);
        conn_deinit(&conn);
        return rc > 0 ? WELDTAG_EXIT_OK : WELDTAG_EXIT_USAGE;
    }
    client *c;
    char err[256];
    if (client_open(&conn.opt, &c, err, sizeof(err)) != CLIENT_OK) {
        tool_error("%s", err);
        rc = WELDTAG_EXIT_USAGE;
    } else {
        rc = violations_run(c, argv + optind, argc - optind, &va);
        client_close(c);
    }
    conn_deinit(&conn);
    return rc;
}

/* ---- weldtag watch ---- */

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
            violations_header();
            ws->header = true;
        }
        violations_print_one(a, k, ws->json);
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
                 CATCH_UP_PAGE);
        int rc = adminreq_call(ws->c, METHOD_GET, path, NULL, &json);
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
