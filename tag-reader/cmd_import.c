/* cmd_import.c — `weldtag import welders|enterprises|machines FILE`: sends a CSV survey (UTF-8,
 * header row) to the server in one block-wise POST; the server checks the whole file and writes
 * all of it or none. Enterprises and machines are refused with every problem of the file, one
 * line each (line, column, Chinese and English); welders name the first. */
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
    fputs("usage: weldtag import welders|enterprises|machines FILE [--json] [connection options]\n"
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
          "exit codes: 0 imported, 2 usage or unreadable file, 3 no answer,\n"
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

/* Prints a refusal's list of problems ({"error", "total", "shown", "errors": [...]}), one a
 * line; false if the answer is no such list. */
static bool import_print_problems(const client_response *resp)
{
    size_t cap = 8 * resp->body_len + 64;
    char *text = malloc(cap);
    json_token *tokens = malloc(cap / 2 * sizeof(*tokens));
    json_writer w;
    json_doc doc;
    json_writer_init(&w, text, text ? cap : 0);
    bool ok = text && tokens && resp->content_format == 60 &&
              jsoncbor_from_cbor(resp->body, resp->body_len, &w) == WR_OK &&
              json_parse(text, w.len, tokens, cap / 2, &doc, NULL) == WR_OK;
    long errors = ok ? json_find(&doc, 0, "errors") : -1;
    if (errors >= 0 && doc.tokens[errors].type == JSON_ARRAY) {
        char msg[512];
        import_text(&doc, 0, "error", msg, sizeof(msg));
        tool_error("%s", msg);
        for (size_t k = (size_t)errors + 1, i = 0; i < doc.tokens[errors].count;
             i++, k = doc.tokens[k].next) {
            char zh[128], en[512], field[64];
            long long line = import_int(&doc, k, "line"), column = import_int(&doc, k, "column");
            import_text(&doc, k, "zh", zh, sizeof(zh));
            import_text(&doc, k, "en", en, sizeof(en));
            import_text(&doc, k, "field", field, sizeof(field));
            if (column > 0)
                fprintf(stderr, "  第%lld行 第%lld列 %s：%s — line %lld, column %lld: %s\n", line,
                        column, field, zh, line, column, en);
            else
                fprintf(stderr, "  第%lld行：%s — line %lld: %s\n", line, zh, line, en);
        }
        fprintf(stderr, "weldtag: %lld problems (%lld shown)\n", import_int(&doc, 0, "total"),
                import_int(&doc, 0, "shown"));
    }
    free(tokens);
    free(text);
    return errors >= 0;
}

static int import_send(conn_settings *conn, const char *path, const char *data, size_t len,
                       bool json)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    client_response resp;
    char err[256];
    client_status st = client_request(&conn->opt, CLIENT_POST, path, IMPORT_FORMAT_TEXT,
                                      (const uint8_t *)data, len, &resp, err, sizeof(err));
    if (st != CLIENT_OK) {
        tool_error("%s", err);
        return st == CLIENT_EUSAGE ? WELDTAG_EXIT_USAGE : WELDTAG_EXIT_NETWORK;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    int rc = WELDTAG_EXIT_OK;
    if (resp.code_class != 2) {
        rc = import_print_problems(&resp) ? WELDTAG_EXIT_SERVER : tool_report_refusal(&resp);
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
                                            {"help", no_argument, NULL, 'h'},
                                            CONN_LONG_OPTIONS,
                                            {NULL, 0, NULL, 0}};
    conn_settings conn;
    conn_init(&conn);
    bool json = false;
    int opt, rc = WELDTAG_EXIT_USAGE;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        if (opt == 'j')
            json = true;
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
        rc = import_send(&conn, path, data, len, json);
    free(data);
    conn_deinit(&conn);
    return rc;
}
