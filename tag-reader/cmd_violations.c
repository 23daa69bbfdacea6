/* cmd_violations.c — `weldtag violations`: list and filter violations, show one with its
 * evidence and history, move it through its life cycle (weldtag watch follows new ones live:
 * cmd_watch.c). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tag-reader/adminreq.h"
#include "tag-reader/answer.h"
#include "tag-reader/commands.h"
#include "tag-reader/violationview.h"

static void violations_usage(FILE *out)
{
    fputs("usage: weldtag violations list [FILTER=VALUE...] [--all] [--json]\n"
          "       weldtag violations show ID [--json]\n"
          "       weldtag violations acknowledge ID [--note TEXT]\n"
          "       weldtag violations progress|evidence ID --note TEXT\n"
          "       weldtag violations resolve|dismiss ID --note TEXT\n"
          "       weldtag violations overdue [by=community|enterprise] [community_id=N]\n"
          "\n"
          "Filters: community_id, enterprise_id, machine_id, chip, welder_id, kind, status\n"
          "(open, acknowledged, resolved, dismissed), from=YYYY-MM-DD, to=YYYY-MM-DD (China\n"
          "calendar days, inclusive), overdue=true (still to be rectified after the deadline),\n"
          "limit (1-500), before=ID (the next page). Newest first.\n"
          "\n"
          "Rectification (整改): progress adds a progress note, evidence the evidence of the fix\n"
          "(what was done, a document's reference); resolve is the 销号, by an inspector only,\n"
          "once evidence is on record. overdue counts what is past its deadline.\n"
          "\n"
          "  --all          follow every page\n"
          "  --note TEXT    why, or the note (required but to acknowledge)\n"
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

/* The rectification's deadline, and whether it has passed (整改期限). */
static void show_deadline(const answer_doc *a)
{
    char by[40], overdue[8], owner[24], line[128];
    answer_time(a, 0, "rectify_by", by, sizeof(by));
    answer_text(a, 0, "overdue", "false", overdue, sizeof(overdue));
    answer_text(a, 0, "enterprise_id", "", owner, sizeof(owner));
    snprintf(line, sizeof(line), "rectify by %s%s, owner %s%s", by,
             strcmp(overdue, "true") == 0 ? " (OVERDUE 逾期)" : "", owner[0] ? "enterprise " : "",
             owner[0] ? owner : "none (no registered enterprise)");
    show_line("deadline:", line);
}

/* Unix seconds at @p path as China time ("2026-12-05 06:10:14+08"). */
static void show_unix_time(const answer_doc *a, const char *path, char *out, size_t cap)
{
    char text[24];
    answer_text(a, 0, path, "", text, sizeof(text));
    time_t t = (time_t)strtoll(text, NULL, 10) + (time_t)8 * 3600;
    struct tm tm;
    if (!text[0] || !gmtime_r(&t, &tm) || strftime(out, cap, "%Y-%m-%d %H:%M:%S+08", &tm) == 0)
        snprintf(out, cap, "?");
}

/* One scan of a copied code: "machine 1 at 34.52,113.38 on 2026-12-05 06:10:14+08". */
static void show_scan(const answer_doc *a, const char *which, char *out, size_t cap)
{
    char path[64], machine[24], lat[32], lon[32], at[40];
    snprintf(path, sizeof(path), "details.%s.machine_id", which);
    answer_text(a, 0, path, "?", machine, sizeof(machine));
    snprintf(path, sizeof(path), "details.%s.lat", which);
    answer_text(a, 0, path, "?", lat, sizeof(lat));
    snprintf(path, sizeof(path), "details.%s.lon", which);
    answer_text(a, 0, path, "?", lon, sizeof(lon));
    snprintf(path, sizeof(path), "details.%s.at", which);
    show_unix_time(a, path, at, sizeof(at));
    snprintf(out, cap, "machine %s at %s,%s on %s", machine, lat, lon, at);
}

/* The evidence some kinds carry in their details: both scans of a copied code, the readings of
 * a suspected modification. */
static void show_details(const answer_doc *a, const char *kind)
{
    char line[512], x[160], y[160], z[160];
    if (strcmp(kind, "code_copied") == 0 && answer_find(a, 0, "details.first") >= 0) {
        show_scan(a, "first", x, sizeof(x));
        show_line("scanned:", x);
        show_scan(a, "second", x, sizeof(x));
        show_line("", x);
        answer_text(a, 0, "details.distance_m", "?", x, sizeof(x));
        answer_text(a, 0, "details.elapsed_s", "?", y, sizeof(y));
        answer_text(a, 0, "details.allowed_m", "?", z, sizeof(z));
        snprintf(line, sizeof(line), "%s m apart in %s s; travel allows %s m", x, y, z);
        show_line("", line);
    } else if (strcmp(kind, "suspected_modification") == 0 &&
               answer_find(a, 0, "details.rule") >= 0) {
        char rule[32], amp[16], rated[16], base[16];
        answer_text(a, 0, "details.rule", "?", rule, sizeof(rule));
        answer_text(a, 0, "details.amp_a", "?", amp, sizeof(amp));
        answer_text(a, 0, "details.rated_current_a", "not recorded", rated, sizeof(rated));
        answer_text(a, 0, "details.first_readings_a", "", x, sizeof(x));
        answer_text(a, 0, "details.baseline_a", "?", base, sizeof(base));
        snprintf(line, sizeof(line), "%s A (%s); rated %s%s; session began %s%s (baseline %s A)",
                 amp, rule, rated, strcmp(rated, "not recorded") ? " A" : "", x[0] ? x : "-",
                 x[0] ? " A" : "", base);
        show_line("current:", line);
    }
}

static void show_history(const answer_doc *a)
{
    long h = answer_find(a, 0, "history");
    if (h < 0)
        return;
    for (size_t k = (size_t)h + 1; k < a->doc.tokens[h].next; k = a->doc.tokens[k].next) {
        char status[24], entry[24], actor[80], at[40], note[1024], line[1300];
        answer_text(a, k, "status", "?", status, sizeof(status));
        answer_text(a, k, "actor", "?", actor, sizeof(actor));
        answer_time(a, k, "at", at, sizeof(at));
        answer_text(a, k, "note", "", note, sizeof(note));
        answer_text(a, k, "entry", "status", entry, sizeof(entry));
        snprintf(line, sizeof(line), "%s  %-13s by %s%s%s", at,
                 strcmp(entry, "status") == 0 ? status : entry, actor, note[0] ? ": " : "", note);
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
    if (violationview_kind_text(kind, line, sizeof(line)))
        show_line("meaning:", line);
    answer_time(&a, 0, "occurred_at", when, sizeof(when));
    show_line("occurred:", when);
    show_deadline(&a);
    answer_text(&a, 0, "chip_id", "-", chip, sizeof(chip));
    answer_text(&a, 0, "welder", "-", welder, sizeof(welder));
    snprintf(line, sizeof(line), "machine %s, welder %s", chip, welder);
    show_line("who:", line);
    show_evidence(&a);
    show_details(&a, kind);
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
        violationview_header(stdout);
    for (size_t k = items < 0 ? 0 : (size_t)items + 1; items >= 0 && k < a.doc.tokens[items].next;
         k = a.doc.tokens[k].next)
        violationview_print(stdout, &a, k, compact);
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
        rc = adminreq_call(c, CLIENT_GET, path, NULL, &answer);
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
    int rc = adminreq_call(c, CLIENT_POST, path, body, &answer);
    if (rc == WELDTAG_EXIT_OK && answer)
        rc = violations_show(answer, va->json);
    free(answer);
    return rc;
}

/* Prints the overdue rectifications per community or enterprise. */
static int violations_overdue(client *c, char **args, int n, bool compact)
{
    char query[512], path[600], err[256], *answer = NULL;
    if (adminreq_query(args, n, query, sizeof(query), err, sizeof(err)) != 0) {
        tool_error("%s", err);
        return WELDTAG_EXIT_USAGE;
    }
    snprintf(path, sizeof(path), "v1/violations/overdue%s", query);
    int rc = adminreq_call(c, CLIENT_GET, path, NULL, &answer);
    answer_doc a;
    if (rc != WELDTAG_EXIT_OK || !answer || compact || answer_parse(&a, answer) != 0) {
        if (rc == WELDTAG_EXIT_OK && answer)
            rc = adminreq_print(answer, true) == 0 ? WELDTAG_EXIT_OK : WELDTAG_EXIT_SERVER;
        free(answer);
        return rc;
    }
    char by[16], total[24];
    answer_text(&a, 0, "by", "?", by, sizeof(by));
    answer_text(&a, 0, "total", "0", total, sizeof(total));
    printf("overdue rectifications (逾期未整改): %s\n%-8s %-8s %-22s %s\n", total, "OVERDUE",
           strcmp(by, "enterprise") == 0 ? "ENTERPR." : "COMMUN.", "OLDEST DEADLINE", "NAME");
    long items = answer_find(&a, 0, "items");
    for (size_t k = items < 0 ? 0 : (size_t)items + 1; items >= 0 && k < a.doc.tokens[items].next;
         k = a.doc.tokens[k].next) {
        char count[24], id[24], oldest[40], name[400];
        answer_text(&a, k, "overdue", "?", count, sizeof(count));
        answer_text(&a, k, "id", "-", id, sizeof(id));
        answer_time(&a, k, "oldest_rectify_by", oldest, sizeof(oldest));
        answer_text(&a, k, "name", "(no registered enterprise)", name, sizeof(name));
        printf("%-8s %-8s %-22s %s\n", count, id, oldest, name);
    }
    answer_deinit(&a);
    free(answer);
    return WELDTAG_EXIT_OK;
}

static int violations_run(client *c, char **pos, int npos, const violations_args *va)
{
    static const char *const steps[] = {"acknowledge", "progress", "evidence", "resolve",
                                        "dismiss"};
    if (strcmp(pos[0], "list") == 0)
        return violations_list(c, pos + 1, npos - 1, va);
    if (strcmp(pos[0], "overdue") == 0)
        return violations_overdue(c, pos + 1, npos - 1, va->json);
    if (npos != 2) {
        violations_usage(stderr);
        return WELDTAG_EXIT_USAGE;
    }
    if (strcmp(pos[0], "show") == 0) {
        char path[96], *answer = NULL;
        snprintf(path, sizeof(path), "v1/violations?id=%.40s", pos[1]);
        int rc = adminreq_call(c, CLIENT_GET, path, NULL, &answer);
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
