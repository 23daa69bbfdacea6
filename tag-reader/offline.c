/* offline.c — a code checked without the server: the trust list and the cached revocation list
 * from files, the verdict printed for a person. */
#include "tag-reader/offline.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tag-reader/codeview.h"
#include "tag-reader/commands.h"
#include "tag-reader/keys.h"

int offline_print_result(codemsg_check check, const code_parsed *parsed, bool decoded)
{
    if (check == CODEMSG_OK) {
        puts("result:      VALID");
        return WELDTAG_EXIT_OK;
    }
    char when[64] = "";
    if (decoded && check == CODEMSG_EXPIRED)
        codeview_format_time(parsed->claims.exp, when, sizeof(when));
    printf("result:      INVALID (%s): %s%s%s\n", codemsg_check_name(check),
           codemsg_check_text(check), when[0] ? " on " : "", when);
    return check == CODEMSG_ERROR ? WELDTAG_EXIT_USAGE : WELDTAG_EXIT_REFUSED;
}

int offline_verify(const char *trust_file, const char *revocations_file, uint64_t at,
                   const char *code)
{
    trust_list *trust = NULL;
    revocation_list *revoked = NULL;
    char err[512];
    int rc = WELDTAG_EXIT_USAGE;
    if (keys_load_trust_list(trust_file, &trust, err, sizeof(err)) != 0 ||
        (revocations_file &&
         keys_load_revocations(revocations_file, &revoked, err, sizeof(err)) != 0)) {
        tool_error("%s", err);
        goto cleanup;
    }
    if (revoked)
        printf("OFFLINE check: revocations as of version %" PRIu64 " (%zu revoked codes)\n",
               revoked->version, revoked->count);
    else
        puts("OFFLINE check: NO revocation list given, revocations are NOT checked");
    uint64_t now = at ? at : (uint64_t)time(NULL);
    code_parsed parsed;
    bool decoded = code_decode(code, strlen(code), &parsed) == WR_OK;
    if (decoded)
        codeview_print(stdout, &parsed);
    wr_status st = code_verify(code, strlen(code), trust, revoked, now, NULL);
    rc = offline_print_result(codemsg_classify(st, code, strlen(code), trust), &parsed, decoded);
cleanup:
    trust_list_destroy(trust);
    trust_revocations_destroy(revoked);
    return rc;
}
