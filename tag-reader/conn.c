/* conn.c — the connection options shared by weldtag's subcommands. */
#include <errno.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tag-reader/commands.h"

void tool_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("weldtag: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

void conn_init(conn_settings *conn)
{
    memset(conn, 0, sizeof(*conn));
    const char *server = getenv("WELDTAG_SERVER");
    conn->opt.server = server && *server ? server : "coaps://127.0.0.1:5684";
    conn->opt.identity = getenv("WELDTAG_IDENTITY");
    conn->psk_file = getenv("WELDTAG_PSK_FILE");
    conn->opt.timeout_s = 10;
}

int conn_option(conn_settings *conn, int opt, const char *arg)
{
    switch (opt) {
    case 1001: conn->opt.server = arg; return 1;
    case 1002: conn->opt.identity = arg; return 1;
    case 1003: conn->psk_file = arg; return 1;
    case 1004: conn->opt.cert_file = arg; return 1;
    case 1005: conn->opt.key_file = arg; return 1;
    case 1006: conn->opt.ca_file = arg; return 1;
    case 1007: {
        char *end;
        long v = strtol(arg, &end, 10);
        if (*end || v < 1 || v > 600) {
            tool_error("invalid --timeout \"%s\": expected 1 to 600 seconds", arg);
            return -1;
        }
        conn->opt.timeout_s = (unsigned)v;
        return 1;
    }
    default: return 0;
    }
}

int conn_finish(conn_settings *conn)
{
    if (!conn->psk_file || !*conn->psk_file)
        return 0;
    FILE *f = fopen(conn->psk_file, "r");
    if (!f) {
        tool_error("could not open PSK file \"%s\": %s", conn->psk_file, strerror(errno));
        return -1;
    }
    size_t n = fread(conn->psk, 1, sizeof(conn->psk) - 1, f);
    fclose(f);
    while (n > 0 && (conn->psk[n - 1] == '\n' || conn->psk[n - 1] == '\r'))
        n--;
    conn->psk[n] = '\0';
    if (n == 0) {
        tool_error("PSK file \"%s\" is empty", conn->psk_file);
        return -1;
    }
    conn->opt.psk = conn->psk;
    return 0;
}

void conn_deinit(conn_settings *conn)
{
    OPENSSL_cleanse(conn->psk, sizeof(conn->psk));
}

int tool_report_refusal(const client_response *resp)
{
    tool_error("the server answered %u.%02u%s%.*s%s", resp->code_class, resp->code_detail,
               resp->body_len ? ": \"" : "", (int)resp->body_len,
               resp->body ? (const char *)resp->body : "", resp->body_len ? "\"" : "");
    if (resp->max_age)
        fprintf(stderr, "weldtag: retry in %u s\n", resp->max_age);
    return WELDTAG_EXIT_SERVER;
}
