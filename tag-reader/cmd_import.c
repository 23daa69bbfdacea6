/* cmd_import.c — `weldtag import welders FILE`: sends a CSV survey (UTF-8, header row) to the
 * server in one block-wise POST; the server checks the whole file and writes all of it or none,
 * naming the line and column of the first problem. */
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
    fputs("usage: weldtag import welders FILE [--json] [connection options]\n"
          "FILE is UTF-8 CSV (RFC 4180) with a header row naming these columns:\n"
          "  name, idcard, licence_no, categories, issued_on   (required)\n"
          "  phone, valid_until, review_due, long_record      (optional)\n"
          "categories are separated by ';' (fusion;brazing); dates are YYYY-MM-DD.\n"
          "\n" CONN_HELP "\n"
          "exit codes: 0 imported, 2 usage or unreadable file, 3 no answer,\n"
          "            4 refused (the message names line and column)\n",
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

static int import_send(conn_settings *conn, const char *data, size_t len, bool json)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    client_response resp;
    char err[256];
    client_status st =
        client_request(&conn->opt, CLIENT_POST, "v1/welders/import", IMPORT_FORMAT_TEXT,
                       (const uint8_t *)data, len, &resp, err, sizeof(err));
    if (st != CLIENT_OK) {
        tool_error("%s", err);
        return st == CLIENT_EUSAGE ? WELDTAG_EXIT_USAGE : WELDTAG_EXIT_NETWORK;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    int rc = WELDTAG_EXIT_OK;
    if (resp.code_class != 2) {
        rc = tool_report_refusal(&resp);
    } else {
        char answer[512];
        json_writer w;
        json_writer_init(&w, answer, sizeof(answer));
        if (jsoncbor_from_cbor(resp.body, resp.body_len, &w) == WR_OK)
            adminreq_print(answer, json);
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
    if (argc - optind != 2 || strcmp(argv[optind], "welders") != 0) {
        import_usage(stderr);
        return WELDTAG_EXIT_USAGE;
    }
    size_t len;
    char *data = conn_finish(&conn) == 0 ? import_read_file(argv[optind + 1], &len) : NULL;
    if (data)
        rc = import_send(&conn, data, len, json);
    free(data);
    conn_deinit(&conn);
    return rc;
}
