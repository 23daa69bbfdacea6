/* cmd_import.c — `weldtag import welders|enterprises|machines FILE`: sends a CSV survey (UTF-8,
 * header row) to the server in one block-wise POST; the server checks the whole file and writes
 * all of it or none, or is refused with every problem of the file, one line each (line,
 * column, Chinese and English). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/jsoncbor.h"
#include "tag-reader/adminreq.h"
#include "tag-reader/commands.h"

#define IMPORT_FORMAT_TEXT 0
#define IMPORT_FILE_MAX    (16L << 20)

static void import_usage(FILE *out)
{
    fputs("usage: weldtag import welders|enterprises|machines FILE [--check] [--json]\n"
          "                     [connection options]\n"
          "--check: check the whole file against the rules and the registry, write nothing.\n"
          "FILE is UTF-8 CSV (RFC 4180) with a header row naming these columns:\n"
          "welders:\n"
          "  name, idcard, licence_no, categories, issued_on   (required)\n"
          "  phone, valid_until, review_due, long_record      (optional)\n"
          "  categories are separated by ';' (fusion;brazing); dates are YYYY-MM-DD.\n"
          "enterprises:\n"
          "  uscc, name, community (its code)                 (required)\n"
          "  address, contact_name, contact_phone, status     (optional)\n"
          "machines:\n"
          "  chip_id, process_category, enterprise_uscc, keeper_name          (required)\n"
          "  serial, model, rated_current_a, keeper_phone, status             (optional)\n"
          "  a chip registered with another enterprise moves to the row's (a transfer)\n"
          "  and gets a new code; new machines' PSKs are shown in the answer, once.\n"
          "\n" CONN_HELP "\n"
          "exit codes: 0 imported (or valid), 2 usage or unreadable file, 3 no answer,\n"
          "            4 refused (every problem named by line and column)\n",
          out);
}

static char *import_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        tool_error("could not open \"%s\": %s", path, strerror(errno));
        return NULL;
    }
    char *buf = NULL;
    long size = -1;
    if (fseek(f, 0, SEEK_END) == 0)
        size = ftell(f);
    if (size > IMPORT_FILE_MAX)
        tool_error("\"%s\" is larger than 16 MiB; split it", path);
    else if (size >= 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)size + 1)) != NULL &&
             fread(buf, 1, (size_t)size, f) != (size_t)size) {
        free(buf);
        buf = NULL;
    }
    if (!buf && size <= IMPORT_FILE_MAX)
        tool_error("could not read \"%s\"", path);
    fclose(f);
    *len = buf ? (size_t)size : 0;
    return buf;
}

/* Member @p key of object @p obj: its text into @p out ("" when absent or no string). */
static void import_text(const json_doc *doc, size_t obj, const char *key, char *out, size_t cap)
{
    long t = json_find(doc, obj, key);
    out[0] = '\0';
    if (t < 0 || doc->tokens[t].type != JSON_STRING ||
        json_string(doc, (size_t)t, out, cap, NULL) != WR_OK)
        out[0] = '\0';
}

/* Member @p key of object @p obj as a number (0 when absent or no integer). */
static long long import_int(const json_doc *doc, size_t obj, const char *key)
{
    long t = json_find(doc, obj, key);
    return t >= 0 && doc->tokens[t].type == JSON_INT ? (long long)doc->tokens[t].i : 0;
}

/* The problems of an answer ({"error" or "valid", "total", "shown", "errors": [...]}). */
typedef struct import_problems {
    char *text;
    json_token *tokens;
    json_doc doc;
    long errors; /* the token of the list; -1: the answer is no such list */
} import_problems;

static bool import_problems_read(const client_response *resp, import_problems *p)
{
    size_t cap = 8 * resp->body_len + 64;
    json_writer w;
    memset(p, 0, sizeof(*p));
    p->errors = -1;
    p->text = malloc(cap);
    p->tokens = malloc(cap / 2 * sizeof(*p->tokens));
    json_writer_init(&w, p->text, p->text ? cap : 0);
    if (p->text && p->tokens && resp->content_format == 60 &&
        jsoncbor_from_cbor(resp->body, resp->body_len, &w) == WR_OK &&
        json_parse(p->text, w.len, p->tokens, cap / 2, &p->doc, NULL) == WR_OK)
        p->errors = json_find(&p->doc, 0, "errors");
    if (p->errors >= 0 && p->doc.tokens[p->errors].type != JSON_ARRAY)
        p->errors = -1;
    return p->errors >= 0;
}

static void import_problems_deinit(import_problems *p)
{
    free(p->text);
    free(p->tokens);
}

/* One line per problem, then how many. */
static void import_problems_print(const import_problems *p)
{
    const json_doc *doc = &p->doc;
    for (size_t k = (size_t)p->errors + 1, i = 0; i < doc->tokens[p->errors].count;
         i++, k = doc->tokens[k].next) {
        char zh[128], en[512], field[64];
        long long line = import_int(doc, k, "line"), column = import_int(doc, k, "column");
        import_text(doc, k, "zh", zh, sizeof(zh));
        import_text(doc, k, "en", en, sizeof(en));
        import_text(doc, k, "field", field, sizeof(field));
        if (column > 0)
            fprintf(stderr, "  第%lld行 第%lld列 %s：%s — line %lld, column %lld: %s\n", line,
                    column, field, zh, line, column, en);
        else
            fprintf(stderr, "  第%lld行：%s — line %lld: %s\n", line, zh, line, en);
    }
    fprintf(stderr, "weldtag: %lld problems (%lld shown)\n", import_int(doc, 0, "total"),
            import_int(doc, 0, "shown"));
}

static client_status import_post(conn_settings *conn, const char *path, bool check,
                                 const char *data, size_t len, client_response *resp)
{
    char target[64], err[256];
    snprintf(target, sizeof(target), "%s%s", path, check ? "?check=true" : "");
    client_status st = client_request(&conn->opt, CLIENT_POST, target, IMPORT_FORMAT_TEXT,
                                      (const uint8_t *)data, len, resp, err, sizeof(err));
    if (st != CLIENT_OK)
        tool_error("%s", err);
    return st;
}

/* The answer of ?check=true: every problem, or none. */
static int import_report_check(const client_response *resp)
{
    import_problems p;
    int rc = WELDTAG_EXIT_SERVER;
    if (resp->code_class != 2 || !import_problems_read(resp, &p)) {
        if (resp->code_class != 2)
            rc = tool_report_refusal(resp);
        else
            tool_error("the server's answer to the check is not a list of problems");
    } else if (import_int(&p.doc, 0, "total") == 0) {
        fprintf(stderr, "weldtag: 文件无误 (the file is valid; nothing was written)\n");
        rc = WELDTAG_EXIT_OK;
    } else {
        import_problems_print(&p);
    }
    if (resp->code_class == 2)
        import_problems_deinit(&p);
    return rc;
}

/* A refusal: its problems, all of them (asking ?check=true when one datagram held fewer). */
static int import_report_refusal(conn_settings *conn, const char *path, const char *data,
                                 size_t len, const client_response *resp)
{
    import_problems p;
    if (!import_problems_read(resp, &p)) {
        import_problems_deinit(&p);
        return tool_report_refusal(resp);
    }
    char msg[512];
    import_text(&p.doc, 0, "error", msg, sizeof(msg));
    tool_error("the server answered %u.%02u: %s", resp->code_class, resp->code_detail, msg);
    if (import_int(&p.doc, 0, "shown") < import_int(&p.doc, 0, "total")) {
        client_response all;
        if (import_post(conn, path, true, data, len, &all) == CLIENT_OK) {
            import_report_check(&all);
            client_response_deinit(&all);
        }
    } else {
        import_problems_print(&p);
    }
    import_problems_deinit(&p);
    return WELDTAG_EXIT_SERVER;
}

static int import_send(conn_settings *conn, const char *path, bool check, const char *data,
                       size_t len, bool json)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    client_response resp;
    client_status st = import_post(conn, path, check, data, len, &resp);
    if (st != CLIENT_OK)
        return st == CLIENT_EUSAGE ? WELDTAG_EXIT_USAGE : WELDTAG_EXIT_NETWORK;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    int rc = WELDTAG_EXIT_OK;
    if (check) {
        rc = import_report_check(&resp);
    } else if (resp.code_class != 2) {
        rc = import_report_refusal(conn, path, data, len, &resp);
    } else {
        size_t cap = 4 * resp.body_len + 64;
        char *answer = malloc(cap);
        json_writer w;
        json_writer_init(&w, answer, answer ? cap : 0);
        if (answer && jsoncbor_from_cbor(resp.body, resp.body_len, &w) == WR_OK)
            adminreq_print(answer, json);
        free(answer);
        fprintf(stderr, "weldtag: import took %.2f s\n",
                (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    }
    client_response_deinit(&resp);
    return rc;
}

int import_main(int argc, char **argv)
{
    static const struct option options[] = {{"json", no_argument, NULL, 'j'},
                                            {"check", no_argument, NULL, 'c'},
                                            {"help", no_argument, NULL, 'h'},
                                            CONN_LONG_OPTIONS,
                                            {NULL, 0, NULL, 0}};
    conn_settings conn;
    conn_init(&conn);
    bool json = false, check = false;
    int opt, rc = WELDTAG_EXIT_USAGE;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        if (opt == 'j')
            json = true;
        else if (opt == 'c')
            check = true;
        else if (opt == 'h')
            return import_usage(stdout), WELDTAG_EXIT_OK;
        else if (conn_option(&conn, opt, optarg) <= 0)
            return import_usage(stderr), WELDTAG_EXIT_USAGE;
    }
    static const char *const kinds[][2] = {{"welders", "v1/welders/import"},
                                           {"enterprises", "v1/enterprises/import"},
                                           {"machines", "v1/machines/import"}};
    const char *path = NULL;
    for (size_t i = 0; argc - optind == 2 && i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (strcmp(argv[optind], kinds[i][0]) == 0)
            path = kinds[i][1];
    if (!path) {
        import_usage(stderr);
        return WELDTAG_EXIT_USAGE;
    }
    size_t len;
    char *data = conn_finish(&conn) == 0 ? import_read_file(argv[optind + 1], &len) : NULL;
    if (data)
        rc = import_send(&conn, path, check, data, len, json);
    free(data);
    conn_deinit(&conn);
    return rc;
}
