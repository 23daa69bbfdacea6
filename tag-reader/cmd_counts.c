/* cmd_counts.c — `weldtag counts`: the counts (底数) per community or enterprise for a period,
 * printed as tables or exported as CSV for the monthly dispatch and the quarterly report. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/period.h"
#include "core/registry_rules.h"
#include "tag-reader/adminreq.h"
#include "tag-reader/answer.h"
#include "tag-reader/commands.h"
#include "tag-reader/countsview.h"

static void counts_usage(FILE *out)
{
    fputs("usage: weldtag counts [--month YYYY-MM | --quarter YYYY-Qn | --year YYYY |\n"
          "                       --from D --to D]\n"
          "                      [--community ID] [--enterprise ID]\n"
          "                      [--by community|enterprise|industry]\n"
          "                      [--csv FILE|-] [--json]\n"
          "\n"
          "Machines by status, welders by licence state, certified welders trained, scans,\n"
          "approvals, denials by reason and violations by kind and status, per community\n"
          "(or enterprise) and in total. Days are China calendar days (UTC+8), both ends\n"
          "included; the default period is the current month. Inspectors get their\n"
          "communities only.\n"
          "\n"
          "  --month YYYY-MM      one month (the monthly dispatch)\n"
          "  --quarter YYYY-Qn    one quarter, n from 1 to 4 (the quarterly report)\n"
          "  --year YYYY          one calendar year (the annual summary, 年总结)\n"
          "  --from, --to D       first and last day, YYYY-MM-DD\n"
          "  --community ID       one community\n"
          "  --enterprise ID      one enterprise\n"
          "  --by community|enterprise|industry   one row per community (area, the default),\n"
          "                       enterprise, or industry (行业: a section of GB/T 4754-2017)\n"
          "  --csv FILE           write UTF-8 CSV with a header row instead (- for stdout)\n"
          "  --json               print the answer as JSON\n"
          "\n" CONN_HELP "\n"
          "exit codes: 0 done, 2 usage, 3 no answer, 4 refused by the server\n",
          out);
}

typedef struct counts_args {
    const char *month, *quarter, *year, *from, *to, *community, *enterprise, *by, *csv;
    bool json;
} counts_args;

static int counts_parse(int argc, char **argv, counts_args *a, conn_settings *conn)
{
    static const struct option options[] = {{"month", required_argument, NULL, 'm'},
                                            {"quarter", required_argument, NULL, 'q'},
                                            {"year", required_argument, NULL, 'y'},
                                            {"from", required_argument, NULL, 'f'},
                                            {"to", required_argument, NULL, 't'},
                                            {"community", required_argument, NULL, 'c'},
                                            {"enterprise", required_argument, NULL, 'e'},
                                            {"by", required_argument, NULL, 'b'},
                                            {"csv", required_argument, NULL, 'o'},
                                            {"json", no_argument, NULL, 'j'},
                                            {"help", no_argument, NULL, 'h'},
                                            CONN_LONG_OPTIONS,
                                            {NULL, 0, NULL, 0}};
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
        case 'h': counts_usage(stdout); return 1;
        case 'm': a->month = optarg; break;
        case 'q': a->quarter = optarg; break;
        case 'y': a->year = optarg; break;
        case 'f': a->from = optarg; break;
        case 't': a->to = optarg; break;
        case 'c': a->community = optarg; break;
        case 'e': a->enterprise = optarg; break;
        case 'b': a->by = optarg; break;
        case 'o': a->csv = optarg; break;
        case 'j': a->json = true; break;
        default:
            if (conn_option(conn, opt, optarg) <= 0) {
                counts_usage(stderr);
                return -1;
            }
        }
    }
    if (optind != argc) {
        tool_error("unexpected argument \"%s\"", argv[optind]);
        return -1;
    }
    return conn_finish(conn);
}

/* The period the options name, as the query's from and to. */
static int counts_period(const counts_args *a, char from[RULES_DATE_SIZE], char to[RULES_DATE_SIZE])
{
    int ways = (a->month != NULL) + (a->quarter != NULL) + (a->year != NULL) + (a->from || a->to);
    char why[PERIOD_WHY_SIZE];
    period p = period_month_of((int64_t)time(NULL));
    wr_status st = WR_OK;
    if (ways > 1) {
        tool_error("give one of --month, --quarter, --year or --from/--to");
        return -1;
    }
    if (a->month)
        st = period_month(a->month, &p, why, sizeof(why));
    else if (a->quarter)
        st = period_quarter(a->quarter, &p, why, sizeof(why));
    else if (a->year)
        st = period_calendar_year(a->year, &p, why, sizeof(why));
    else
        st = period_days(a->from, a->to, &p, why, sizeof(why));
    if (st != WR_OK) {
        tool_error("%s", why);
        return -1;
    }
    rules_format_date(p.first_day, from);
    rules_format_date(p.last_day, to);
    return 0;
}

/* "v1/counts?from=...&to=..." with the filters. */
static int counts_path(const counts_args *a, char *path, size_t cap)
{
    char from[RULES_DATE_SIZE], to[RULES_DATE_SIZE];
    if (counts_period(a, from, to) != 0)
        return -1;
    int n = snprintf(path, cap, "v1/counts?from=%s&to=%s", from, to);
    const char *keys[] = {"community", "enterprise", "by"};
    const char *values[] = {a->community, a->enterprise, a->by};
    for (size_t i = 0; i < 3; i++) {
        if (!values[i])
            continue;
        if (!values[i][0] || strpbrk(values[i], "&=?#/ ")) {
            tool_error("--%s: \"%s\" is not an id or a name", keys[i], values[i]);
            return -1;
        }
        n += snprintf(path + n, cap - (size_t)n, "&%s=%s", keys[i], values[i]);
        if ((size_t)n >= cap) {
            tool_error("--%s: too long", keys[i]);
            return -1;
        }
    }
    return 0;
}

/* Writes the CSV of @p a to @p file. */
static int counts_write_csv(const answer_doc *a, const char *file)
{
    countsview_columns columns;
    countsview_csv_columns(a, &columns);
    FILE *out = strcmp(file, "-") == 0 ? stdout : fopen(file, "w");
    if (!out) {
        tool_error("could not create \"%s\": %s", file, strerror(errno));
        return WELDTAG_EXIT_USAGE;
    }
    size_t *rows = malloc(a->doc.count * sizeof(*rows)), cap = 1 << 16, n = 0;
    char *record = malloc(cap);
    bool failed = !rows || !record;
    if (!failed) {
        n = countsview_rows(a, rows, a->doc.count);
        csv_writer w;
        csv_writer_init(&w, record, cap);
        countsview_csv_header(&columns, &w);
        fwrite(record, 1, w.len, out);
        for (size_t r = 0; r < n; r++) {
            csv_writer_init(&w, record, cap);
            countsview_csv_row(a, rows[r], &columns, &w);
            fwrite(record, 1, w.len, out);
        }
    }
    failed = ferror(out) != 0 || failed;
    free(rows);
    free(record);
    if (out != stdout)
        failed = fclose(out) != 0 || failed;
    if (failed) {
        tool_error("could not write \"%s\"", file);
        return WELDTAG_EXIT_USAGE;
    }
    if (out != stdout)
        fprintf(stderr, "weldtag: wrote %zu rows to %s\n", n, file);
    return WELDTAG_EXIT_OK;
}

static int counts_show(const counts_args *a, const char *json)
{
    answer_doc doc;
    if (a->json)
        return adminreq_print(json, true) == 0 ? WELDTAG_EXIT_OK : WELDTAG_EXIT_SERVER;
    if (answer_parse(&doc, json) != 0) {
        tool_error("the server's answer is not JSON this tool can read");
        return WELDTAG_EXIT_SERVER;
    }
    int rc = WELDTAG_EXIT_OK;
    if (a->csv)
        rc = counts_write_csv(&doc, a->csv);
    else
        countsview_print(stdout, &doc);
    answer_deinit(&doc);
    return rc;
}

int counts_main(int argc, char **argv)
{
    counts_args a = {0};
    conn_settings conn;
    conn_init(&conn);
    char path[256];
    int rc = counts_parse(argc, argv, &a, &conn);
    if (rc != 0 || counts_path(&a, path, sizeof(path)) != 0) {
        conn_deinit(&conn);
        return rc > 0 ? WELDTAG_EXIT_OK : WELDTAG_EXIT_USAGE;
    }
    client *c;
    char err[256], *answer = NULL;
    if (client_open(&conn.opt, &c, err, sizeof(err)) != CLIENT_OK) {
        tool_error("%s", err);
        conn_deinit(&conn);
        return WELDTAG_EXIT_NETWORK;
    }
    rc = adminreq_call(c, CLIENT_GET, path, NULL, &answer);
    client_close(c);
    conn_deinit(&conn);
    if (rc == WELDTAG_EXIT_OK && !answer) {
        tool_error("the server's answer is empty");
        rc = WELDTAG_EXIT_SERVER;
    }
    if (rc == WELDTAG_EXIT_OK)
        rc = counts_show(&a, answer);
    free(answer);
    return rc;
}
