/* cmd_export.c — `weldtag export ENTITY FILE`: pages through the registry (as far as the
 * caller's role and scope allow) and writes RFC 4180 CSV in UTF-8 with a header row. Only the
 * masked forms of personal data exist to be exported. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/csv.h"
#include "core/json.h"
#include "tag-reader/adminreq.h"
#include "tag-reader/commands.h"

#define EXPORT_PAGE 500

static const struct {
    const char *entity;
    const char *path;
    const char *columns[16];
} export_tables[] = {
    {"welders",
     "v1/welders",
     {"id", "name", "idcard_masked", "licence_no_masked", "phone", "categories", "issued_on",
      "valid_until", "review_due", "long_record", "licence_status", "status", NULL}},
    {"machines",
     "v1/machines",
     {"id", "chip_id", "serial", "model", "process_category", "rated_current_a", "enterprise_id",
      "community_id", "keeper_name", "keeper_phone", "status", "registered_at", NULL}},
    {"enterprises",
     "v1/enterprises",
     {"id", "uscc", "name", "community_id", "address", "contact_name", "contact_phone", "status",
      NULL}},
    {"communities", "v1/communities", {"id", "code", "name", "district", NULL}},
};

static void export_usage(FILE *out)
{
    fputs("usage: weldtag export welders|machines|enterprises|communities FILE [options]\n"
          "Writes UTF-8 CSV with a header row (FILE - for standard output).\n"
          "\n" CONN_HELP "\n"
          "exit codes: 0 written, 2 usage, 3 no answer, 4 refused\n",
          out);
}

/* One cell: text as is, numbers and booleans as written, lists joined with ';'. */
static void export_cell(csv_writer *w, const json_doc *doc, long tok)
{
    char buf[1024] = "";
    if (tok >= 0) {
        const json_token *t = &doc->tokens[tok];
        if (t->type == JSON_STRING) {
            json_string(doc, (size_t)tok, buf, sizeof(buf), NULL);
        } else if (t->type == JSON_ARRAY) {
            for (size_t k = (size_t)tok + 1; k < t->next; k = doc->tokens[k].next) {
                char item[256] = "";
                if (doc->tokens[k].type == JSON_STRING)
                    json_string(doc, k, item, sizeof(item), NULL);
                else
                    snprintf(item, sizeof(item), "%.*s", (int)doc->tokens[k].len,
                             doc->text + doc->tokens[k].start);
                snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s", buf[0] ? ";" : "",
                         item);
            }
        } else if (t->type != JSON_NULL) {
            snprintf(buf, sizeof(buf), "%.*s", (int)t->len, doc->text + t->start);
        }
    }
    csv_put_cstr(w, buf);
}

/* Writes the items of one page; their count, or -1. */
static long export_page(FILE *out, size_t table, const char *answer, int64_t *last)
{
    size_t len = strlen(answer), cap = len / 2 + 8;
    json_token *tokens = malloc(cap * sizeof(*tokens));
    json_doc doc;
    long items = -1, count = -1;
    if (tokens && json_parse(answer, len, tokens, cap, &doc, NULL) == WR_OK)
        items = json_find(&doc, 0, "items");
    if (items >= 0 && doc.tokens[items].type == JSON_ARRAY) {
        count = 0;
        for (size_t k = (size_t)items + 1; k < doc.tokens[items].next; k = doc.tokens[k].next) {
            char row[1 << 14];
            csv_writer w;
            csv_writer_init(&w, row, sizeof(row));
            for (const char *const *c = export_tables[table].columns; *c; c++)
                export_cell(&w, &doc, json_find(&doc, k, *c));
            csv_end_record(&w);
            fwrite(row, 1, w.len, out);
            long id = json_find(&doc, k, "id");
            *last = id >= 0 ? doc.tokens[id].i : *last;
            count++;
        }
    }
    free(tokens);
    return count;
}

static int export_run(conn_settings *conn, size_t table, FILE *out)
{
    client *c;
    char err[256];
    if (client_open(&conn->opt, &c, err, sizeof(err)) != CLIENT_OK) {
        tool_error("%s", err);
        return WELDTAG_EXIT_NETWORK;
    }
    csv_writer w;
    char header[512];
    csv_writer_init(&w, header, sizeof(header));
    for (const char *const *col = export_tables[table].columns; *col; col++)
        csv_put_cstr(&w, *col);
    csv_end_record(&w);
    fwrite(header, 1, w.len, out);
    int64_t last = 0;
    long count = EXPORT_PAGE, total = 0;
    int rc = WELDTAG_EXIT_OK;
    while (rc == WELDTAG_EXIT_OK && count == EXPORT_PAGE) {
        char path[128], *answer;
        snprintf(path, sizeof(path), "%s?after=%lld&limit=%d", export_tables[table].path,
                 (long long)last, EXPORT_PAGE);
        rc = adminreq_call(c, CLIENT_GET, path, NULL, &answer);
        count = rc == WELDTAG_EXIT_OK && answer ? export_page(out, table, answer, &last) : -1;
        if (rc == WELDTAG_EXIT_OK && count < 0) {
            tool_error("the listing is not what this tool expects");
            rc = WELDTAG_EXIT_SERVER;
        }
        total += count > 0 ? count : 0;
        free(answer);
    }
    client_close(c);
    if (rc == WELDTAG_EXIT_OK)
        fprintf(stderr, "weldtag: exported %ld %s\n", total, export_tables[table].entity);
    return rc;
}

int export_main(int argc, char **argv)
{
    static const struct option options[] = {
        {"help", no_argument, NULL, 'h'}, CONN_LONG_OPTIONS, {NULL, 0, NULL, 0}};
    conn_settings conn;
    conn_init(&conn);
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        if (opt == 'h')
            return export_usage(stdout), WELDTAG_EXIT_OK;
        if (conn_option(&conn, opt, optarg) <= 0)
            return export_usage(stderr), WELDTAG_EXIT_USAGE;
    }
    size_t table = sizeof(export_tables) / sizeof(export_tables[0]);
    for (size_t i = 0; argc - optind == 2 && i < table; i++)
        if (strcmp(export_tables[i].entity, argv[optind]) == 0)
            table = i;
    if (table == sizeof(export_tables) / sizeof(export_tables[0]) || conn_finish(&conn) != 0) {
        export_usage(stderr);
        return WELDTAG_EXIT_USAGE;
    }
    const char *path = argv[optind + 1];
    FILE *out = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
    if (!out) {
        tool_error("could not create \"%s\": %s", path, strerror(errno));
        return WELDTAG_EXIT_USAGE;
    }
    int rc = export_run(&conn, table, out);
    if (out != stdout && fclose(out) != 0 && rc == WELDTAG_EXIT_OK)
        rc = WELDTAG_EXIT_USAGE;
    conn_deinit(&conn);
    return rc;
}
