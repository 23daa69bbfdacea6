/* cmd_report.c — `weldtag report`: an inspector records a finding on site (a machine without a
 * chip, a code that does not verify, anything else) as a violation; a code given is checked
 * offline first and kept as evidence. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/code.h"
#include "core/codemsg.h"
#include "core/violation.h"
#include "tag-reader/adminreq.h"
#include "tag-reader/codeview.h"
#include "tag-reader/commands.h"
#include "tag-reader/keys.h"

static void report_usage(FILE *out)
{
    fputs("usage: weldtag report KIND [--chip ID] [--community ID] [--lat DEG --lon DEG]\n"
          "                      [--address TEXT] [--note TEXT] [--code TEXT | --image FILE]\n"
          "                      [--trust-list FILE] [--json] [connection options]\n"
          "Records what was found on site; it becomes a violation like any other.\n"
          "\n"
          "KIND:  machine_without_chip   a machine working with no chip or no code on it\n"
          "       code_invalid           a code that does not verify (give --code or --image:\n"
          "                              it is checked offline and kept as evidence)\n"
          "       other                  anything else (--note says what)\n"
          "  --chip ID         the machine's chip id, if it has one (found from a code otherwise)\n"
          "  --community ID    where it was found, when the chip names no registered machine\n"
          "  --lat, --lon DEG  position (WGS-84)\n"
          "  --address TEXT    site address\n"
          "  --note TEXT       what was seen\n"
          "\n" CONN_HELP "\n"
          "exit codes: 0 recorded, 2 usage, 3 no answer, 4 refused by the server\n",
          out);
}

typedef struct report_args {
    const char *text, *image, *trust_file; /* the code found, for code_invalid */
    bool json;
    const char *kind, *chip, *community, *lat, *lon, *address, *note;
} report_args;

static int report_parse(int argc, char **argv, report_args *r, conn_settings *conn)
{
    static const struct option options[] = {{"chip", required_argument, NULL, 'c'},
                                            {"community", required_argument, NULL, 'm'},
                                            {"lat", required_argument, NULL, 'y'},
                                            {"lon", required_argument, NULL, 'x'},
                                            {"address", required_argument, NULL, 'a'},
                                            {"note", required_argument, NULL, 'n'},
                                            {"code", required_argument, NULL, 'k'},
                                            {"image", required_argument, NULL, 'i'},
                                            {"trust-list", required_argument, NULL, 't'},
                                            {"json", no_argument, NULL, 'j'},
                                            {"help", no_argument, NULL, 'h'},
                                            CONN_LONG_OPTIONS,
                                            {NULL, 0, NULL, 0}};
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
        case 'h': report_usage(stdout); return 1;
        case 'c': r->chip = optarg; break;
        case 'm': r->community = optarg; break;
        case 'y': r->lat = optarg; break;
        case 'x': r->lon = optarg; break;
        case 'a': r->address = optarg; break;
        case 'n': r->note = optarg; break;
        case 'k': r->text = optarg; break;
        case 'i': r->image = optarg; break;
        case 't': r->trust_file = optarg; break;
        case 'j': r->json = true; break;
        default:
            if (conn_option(conn, opt, optarg) != 1) {
                report_usage(stderr);
                return -1;
            }
        }
    }
    if (optind + 1 != argc) {
        tool_error("report needs one KIND: machine_without_chip, code_invalid or other");
        return -1;
    }
    r->kind = argv[optind];
    if (!onsite_kind_from_name(r->kind, strlen(r->kind))) {
        tool_error("unknown KIND \"%s\": machine_without_chip, code_invalid or other", r->kind);
        return -1;
    }
    if (r->text && r->image) {
        tool_error("give --code or --image, not both");
        return -1;
    }
    return conn_finish(conn);
}

/* For code_invalid: reads the code, checks it offline, keeps its text, the failed check and
 * the chip it claims. -1 after a message. */
static int report_code(report_args *r, char *code, size_t cap, const char **check, char *chip,
                       size_t chip_cap)
{
    char err[512];
    *check = NULL;
    if (!r->text && !r->image)
        return 0;
    if (codeview_get_text(r->text, r->image, code, cap, err, sizeof(err)) != 0) {
        tool_error("%s", err);
        return -1;
    }
    trust_list *trust = NULL;
    if (!r->trust_file || keys_load_trust_list(r->trust_file, &trust, err, sizeof(err))) {
        tool_error("%s", r->trust_file ? err : "checking the code needs --trust-list FILE");
        return -1;
    }
    wr_status st = code_verify(code, strlen(code), trust, NULL, (uint64_t)time(NULL), NULL);
    codemsg_check failed = codemsg_classify(st, code, strlen(code), trust);
    trust_list_destroy(trust);
    if (failed == CODEMSG_OK) {
        tool_error("this code verifies offline: report \"other\" with a note if something else "
                   "is wrong (weldtag verify --online asks about revocation)");
        return -1;
    }
    *check = codemsg_check_name(failed);
    code_parsed parsed;
    if (!r->chip && code_decode(code, strlen(code), &parsed) == WR_OK &&
        parsed.claims.kind == CODE_MACHINE)
        snprintf(chip, chip_cap, "%s", parsed.claims.chip);
    return 0;
}

/* Adds "key=value" to @p args when @p value is set. */
static void report_arg(char **args, int *n, char bufs[][2048], const char *key, const char *value)
{
    if (!value)
        return;
    snprintf(bufs[*n], 2048, "%s=%s", key, value);
    args[*n] = bufs[*n];
    (*n)++;
}

int report_main(int argc, char **argv)
{
    report_args r = {.trust_file = getenv("WELDTAG_TRUST_LIST")};
    conn_settings conn;
    conn_init(&conn);
    char code[CODE_TEXT_MAX + 1] = "", chip[80] = "", observed[24];
    const char *check = NULL;
    int rc = report_parse(argc, argv, &r, &conn);
    if (rc != 0 || report_code(&r, code, sizeof(code), &check, chip, sizeof(chip)) != 0) {
        conn_deinit(&conn);
        return rc > 0 ? WELDTAG_EXIT_OK : WELDTAG_EXIT_USAGE;
    }
    snprintf(observed, sizeof(observed), "%lld", (long long)time(NULL));
    char bufs[12][2048];
    char *args[12], body[8192], err[256];
    int n = 0;
    report_arg(args, &n, bufs, "kind", r.kind);
    report_arg(args, &n, bufs, "chip_id", r.chip ? r.chip : chip[0] ? chip : NULL);
    report_arg(args, &n, bufs, "community_id", r.community);
    report_arg(args, &n, bufs, "lat", r.lat);
    report_arg(args, &n, bufs, "lon", r.lon);
    report_arg(args, &n, bufs, "site_address", r.address);
    report_arg(args, &n, bufs, "note", r.note);
    report_arg(args, &n, bufs, "code", code[0] ? code : NULL);
    report_arg(args, &n, bufs, "check", check);
    report_arg(args, &n, bufs, "observed_at", observed);
    client *c = NULL;
    char *answer = NULL;
    if (adminreq_body(args, n, body, sizeof(body), err, sizeof(err)) != 0 ||
        client_open(&conn.opt, &c, err, sizeof(err)) != CLIENT_OK) {
        tool_error("%s", err);
        rc = WELDTAG_EXIT_USAGE;
    } else {
        rc = adminreq_call(c, CLIENT_POST, "v1/reports", body, &answer);
    }
    if (rc == WELDTAG_EXIT_OK && answer)
        adminreq_print(answer, r.json);
    free(answer);
    client_close(c);
    conn_deinit(&conn);
    return rc;
}
