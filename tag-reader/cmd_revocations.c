/* cmd_revocations.c — `weldtag revocations pull`: keeps the cached revocation list that
 * weldtag verify --revocations reads offline current, asking only for what changed since the
 * version it holds. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/codemsg.h"
#include "tag-reader/commands.h"
#include "tag-reader/keys.h"

static void revocations_usage(FILE *out)
{
    fputs("usage: weldtag revocations pull --out FILE [connection options]\n"
          "Brings the cached revocation list FILE up to date: asks the server for the codes\n"
          "revoked since the version FILE holds (all of them when FILE does not exist yet) and\n"
          "rewrites FILE. weldtag verify --revocations FILE then uses it offline.\n"
          "\n" CONN_HELP "\n"
          "exit codes: 0 up to date, 2 usage or unreadable FILE, 3 no answer, 4 refused\n",
          out);
}

/* Applies the server's answer to the cache; returns the exit code. */
static int revocations_apply(const char *path, const revocation_list *cached,
                             const client_response *resp)
{
    codemsg_revocations delta;
    char err[512];
    size_t count;
    if (resp->content_format != CLIENT_FORMAT_CBOR ||
        codemsg_decode_revocations(resp->body, resp->body_len, &delta) != WR_OK) {
        tool_error("the server's answer is not a revocation list");
        return WELDTAG_EXIT_SERVER;
    }
    if (keys_save_revocations(path, cached, &delta, &count, err, sizeof(err)) != 0) {
        tool_error("%s", err);
        return WELDTAG_EXIT_USAGE;
    }
    printf("revocation list %s: version %" PRIu64 ", %zu revoked codes (%zu %s from the "
           "server)\n",
           path, delta.version, count, delta.count, delta.full ? "in a full list" : "new");
    return WELDTAG_EXIT_OK;
}

static int revocations_parse(int argc, char **argv, const char **out, conn_settings *conn)
{
    static const struct option options[] = {{"out", required_argument, NULL, 'o'},
                                            {"help", no_argument, NULL, 'h'},
                                            CONN_LONG_OPTIONS,
                                            {NULL, 0, NULL, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        if (opt == 'h') {
            revocations_usage(stdout);
            exit(WELDTAG_EXIT_OK);
        }
        if (opt == 'o')
            *out = optarg;
        else if (conn_option(conn, opt, optarg) != 1)
            return -1;
    }
    if (!*out || optind != argc - 1 || strcmp(argv[optind], "pull") != 0) {
        tool_error("usage: weldtag revocations pull --out FILE (see --help)");
        return -1;
    }
    return 0;
}

int revocations_main(int argc, char **argv)
{
    conn_settings conn;
    conn_init(&conn);
    const char *path = NULL;
    revocation_list *cached = NULL;
    char err[512], query[64];
    int rc = WELDTAG_EXIT_USAGE;
    if (revocations_parse(argc, argv, &path, &conn) != 0 || conn_finish(&conn) != 0)
        goto cleanup;
    FILE *probe = fopen(path, "r");
    if (probe) {
        fclose(probe);
        if (keys_load_revocations(path, &cached, err, sizeof(err)) != 0) {
            tool_error("%s (remove it to fetch the whole list)", err);
            goto cleanup;
        }
    }
    snprintf(query, sizeof(query), "v1/codes/revocations?since=%" PRIu64,
             cached ? cached->version : 0);
    client_response resp;
    client_status st =
        client_request(&conn.opt, CLIENT_GET, query, -1, NULL, 0, &resp, err, sizeof(err));
    if (st != CLIENT_OK) {
        tool_error("%s", err);
        rc = st == CLIENT_ENETWORK ? WELDTAG_EXIT_NETWORK : WELDTAG_EXIT_USAGE;
        goto cleanup;
    }
    rc = resp.code_class == 2 ? revocations_apply(path, cached, &resp) : tool_report_refusal(&resp);
    client_response_deinit(&resp);
cleanup:
    trust_revocations_destroy(cached);
    conn_deinit(&conn);
    return rc;
}
