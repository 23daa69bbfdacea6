/* cmd_verify.c — `weldtag verify`: check a code offline (trust list and cached revocation list,
 * which weldtag revocations keeps current) or online (the server adds its record of the code). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/code.h"
#include "core/codemsg.h"
#include "tag-reader/codeview.h"
#include "tag-reader/commands.h"
#include "tag-reader/offline.h"

static void verify_usage(FILE *out)
{
    fputs("usage: weldtag verify TEXT | --image FILE  (--trust-list FILE [--revocations FILE]\n"
          "                                          | --online [connection options])\n"
          "Checks that a weldreg code is genuine and valid now, and says which check failed.\n"
          "\n"
          "  --image FILE        read the code from a PNG or JPEG picture\n"
          "  --trust-list FILE   offline: the keys that may sign codes (or WELDTAG_TRUST_LIST)\n"
          "  --revocations FILE  offline: the cached revocation list (weldtag revocations pull;\n"
          "                      or WELDTAG_REVOCATIONS); without it revocation is not checked\n"
          "  --online            ask the server instead: its trust list, its current revocations\n"
          "                      and its record of the code and of the machine or welder\n"
          "  --at SECONDS        check as of this Unix time instead of now (offline only)\n"
          "\n" CONN_HELP "\n"
          "exit codes: 0 valid, 1 invalid (the failed check is printed), 2 usage,\n"
          "            3 no answer or handshake failed, 4 refused by the server\n",
          out);
}

typedef struct verify_args {
    const char *text, *image, *trust_file, *revocations_file;
    bool online;
    uint64_t at;
} verify_args;

static int verify_parse(int argc, char **argv, verify_args *a, conn_settings *conn)
{
    static const struct option options[] = {{"image", required_argument, NULL, 'i'},
                                            {"trust-list", required_argument, NULL, 't'},
                                            {"revocations", required_argument, NULL, 'r'},
                                            {"online", no_argument, NULL, 'o'},
                                            {"at", required_argument, NULL, 'a'},
                                            {"help", no_argument, NULL, 'h'},
                                            CONN_LONG_OPTIONS,
                                            {NULL, 0, NULL, 0}};
    int opt;
    char *end;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
        case 'h': verify_usage(stdout); exit(WELDTAG_EXIT_OK);
        case 'i': a->image = optarg; break;
        case 't': a->trust_file = optarg; break;
        case 'r': a->revocations_file = optarg; break;
        case 'o': a->online = true; break;
        case 'a':
            a->at = strtoull(optarg, &end, 10);
            if (*end || end == optarg || a->at > CODE_TIME_MAX) {
                tool_error("invalid --at \"%s\": expected Unix seconds", optarg);
                return -1;
            }
            break;
        default:
            if (conn_option(conn, opt, optarg) != 1)
                return -1;
        }
    }
    a->text = optind < argc ? argv[optind] : NULL;
    if ((a->text == NULL) == (a->image == NULL) || optind + (a->text != NULL) != argc) {
        tool_error("verify needs the code's text or --image FILE, not both (see --help)");
        return -1;
    }
    if (!a->online && !a->trust_file) {
        tool_error("an offline check needs --trust-list FILE (or use --online)");
        return -1;
    }
    return 0;
}

static int verify_print_verdict(const client_response *resp, const char *server)
{
    codemsg_verdict v;
    if (resp->content_format != CLIENT_FORMAT_CBOR ||
        codemsg_decode_verdict(resp->body, resp->body_len, &v) != WR_OK) {
        tool_error("the server's answer is not a verification verdict");
        return WELDTAG_EXIT_SERVER;
    }
    printf("ONLINE check by %s: revocations as of version %" PRIu64 "\n", server,
           v.revocation_version);
    if (!codemsg_check_genuine(v.check)) {
        /* what the code claims is unproven: no record of its id vouches for it */
        printf("result:      INVALID (%s): %s\n"
               "             NOT GENUINE: the platform did not sign this code as it reads; the "
               "machine or welder\n"
               "             it names and the code id it carries prove nothing\n",
               codemsg_check_name(v.check), codemsg_check_text(v.check));
        return WELDTAG_EXIT_REFUSED;
    }
    printf("record:      %s (the platform's record of this code)\n"
           "subject:     %s (the machine's or welder's current status)\n",
           v.record, v.subject);
    if (v.valid) {
        puts("result:      VALID");
        return WELDTAG_EXIT_OK;
    }
    printf("result:      INVALID (%s): %s\n", codemsg_check_name(v.check),
           codemsg_check_text(v.check));
    return WELDTAG_EXIT_REFUSED;
}

static int verify_online(conn_settings *conn, const char *code)
{
    uint8_t body[CODEMSG_VERIFY_REQUEST_MAX];
    size_t len;
    char err[256];
    if (codemsg_encode_verify_request(code, strlen(code), body, sizeof(body), &len) != WR_OK) {
        tool_error("the code is too long to send");
        return WELDTAG_EXIT_USAGE;
    }
    code_parsed parsed;
    if (code_decode(code, strlen(code), &parsed) == WR_OK)
        codeview_print(stdout, &parsed);
    client_response resp;
    client_status st = client_request(&conn->opt, CLIENT_POST, "v1/codes/verify",
                                      CLIENT_FORMAT_CBOR, body, len, &resp, err, sizeof(err));
    if (st != CLIENT_OK) {
        tool_error("%s", err);
        return st == CLIENT_ENETWORK ? WELDTAG_EXIT_NETWORK : WELDTAG_EXIT_USAGE;
    }
    int rc = resp.code_class == 2 ? verify_print_verdict(&resp, conn->opt.server)
                                  : tool_report_refusal(&resp);
    client_response_deinit(&resp);
    return rc;
}

int verify_main(int argc, char **argv)
{
    verify_args a = {.trust_file = getenv("WELDTAG_TRUST_LIST"),
                     .revocations_file = getenv("WELDTAG_REVOCATIONS")};
    conn_settings conn;
    conn_init(&conn);
    char code[CODE_TEXT_MAX + 1], err[512];
    int rc = WELDTAG_EXIT_USAGE;
    if (verify_parse(argc, argv, &a, &conn) != 0 || (a.online && conn_finish(&conn) != 0))
        goto cleanup;
    if (codeview_get_text(a.text, a.image, code, sizeof(code), err, sizeof(err)) != 0) {
        tool_error("%s", err);
        if (a.text) {
            rc = offline_print_result(CODEMSG_MALFORMED, NULL, false);
        }
        goto cleanup;
    }
    rc = a.online ? verify_online(&conn, code)
                  : offline_verify(a.trust_file, a.revocations_file, a.at, code);
cleanup:
    conn_deinit(&conn);
    return rc;
}
