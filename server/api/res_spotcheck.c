/* res_spotcheck.c — random spot checks (双随机; docs/inspector-guide.md): an administrator
 * draws N enterprises or machines of a community and the inspectors sent to each, at random and
 * reproducibly (core/spotcheck.c; the seed is recorded, and given again it repeats the draw);
 * admins and inspectors (their communities) read the draws. */
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

#include "core/spotcheck.h"
#include "server/api/admin.h"
#include "server/api/api.h"
#include "server/loop/handlers.h"
#include "server/loop/log.h"
#include "server/db/store_spotcheck.h"

#define SPOTCHECK_BODY_MAX   (4u << 10)
#define SPOTCHECK_COUNT_MAX  1000
#define SPOTCHECK_PER_TARGET 2 /* two inspectors go together unless asked otherwise */

/* Body member @p key as a whole number in [@p min, @p max], @p fallback when absent. */
static bool spotcheck_body_int(admin_request *r, const char *key, int64_t min, int64_t max,
                               int64_t fallback, int *out)
{
    long t = json_find(&r->doc, 0, key);
    int64_t v = fallback;
    if (t >= 0 && r->doc.tokens[t].type != JSON_NULL) {
        if (r->doc.tokens[t].type != JSON_INT || r->doc.tokens[t].i < min ||
            r->doc.tokens[t].i > max) {
            admin_error(r, COAP_RESPONSE_CODE_BAD_REQUEST,
                        "field \"%s\": expected a whole number from %lld to %lld", key,
                        (long long)min, (long long)max);
            return false;
        }
        v = r->doc.tokens[t].i;
    }
    if (v < min) {
        admin_error(r, COAP_RESPONSE_CODE_BAD_REQUEST, "field \"%s\": is required", key);
        return false;
    }
    *out = (int)v;
    return true;
}

/* The seed given (16 hex digits), or a new one from OpenSSL's generator. */
static bool spotcheck_seed(admin_request *r, uint64_t *seed)
{
    char text[SPOTCHECK_SEED_HEX_LEN + 8];
    if (!admin_body_text(r, "seed", SPOTCHECK_SEED_HEX_LEN + 1, text, sizeof(text)))
        return false;
    if (text[0]) {
        if (spotcheck_seed_parse(text, strlen(text), seed) == WR_OK)
            return true;
        admin_reply_invalid(r, "field \"seed\": expected 16 hexadecimal digits (the seed of an "
                               "earlier draw, to repeat it)");
        return false;
    }
    if (RAND_bytes((unsigned char *)seed, sizeof(*seed)) == 1)
        return true;
    admin_error(r, COAP_RESPONSE_CODE_INTERNAL_ERROR, "could not make a random seed");
    return false;
}

static bool spotcheck_read(admin_request *r, spotcheck_request *req, char target[16])
{
    static const char *const fields[] = {"community_id", "target", "count",
                                         "per_target",   "seed",   NULL};
    memset(req, 0, sizeof(*req));
    if (!admin_read_body(r, SPOTCHECK_BODY_MAX) || !admin_body_fields(r, fields) ||
        !admin_body_id(r, "community_id", &req->community_id) ||
        !admin_body_text(r, "target", 12, target, 16) ||
        !spotcheck_body_int(r, "count", 1, SPOTCHECK_COUNT_MAX, 0, &req->count) ||
        !spotcheck_body_int(r, "per_target", 1, SPOTCHECK_PER_TARGET_MAX, SPOTCHECK_PER_TARGET,
                            &req->per_target) ||
        !spotcheck_seed(r, &req->seed))
        return false;
    if (strcmp(target, "enterprise") != 0 && strcmp(target, "machine") != 0) {
        admin_reply_invalid(r, "field \"target\": expected enterprise or machine");
        return false;
    }
    req->target = target;
    return true;
}

/* ---- POST /v1/spotchecks {"community_id", "target", "count", "per_target"?, "seed"?} ---- */

static void spotchecks_post(admin_request *r)
{
    spotcheck_request req;
    char target[16];
    if (!spotcheck_read(r, &req, target))
        return;
    store *st = admin_store(r);
    if (!st)
        return;
    admin_outcome out;
    spotcheck_refusal refusal;
    int64_t inspectors;
    store_spotcheck_draw(st, r->who->identity, &req, &out, &refusal, &inspectors);
    if (out.status == STORE_OK && refusal == SPOTCHECK_NO_POPULATION)
        admin_error(r, COAP_RESPONSE_CODE_CONFLICT, "community %lld has no %s to check",
                    (long long)req.community_id,
                    strcmp(target, "machine") == 0 ? "machine" : "enterprise");
    else if (out.status == STORE_OK && refusal == SPOTCHECK_FEW_INSPECTORS)
        admin_error(r, COAP_RESPONSE_CODE_CONFLICT,
                    "community %lld has %lld inspector(s): \"per_target\" %d is more than that",
                    (long long)req.community_id, (long long)inspectors, req.per_target);
    else if (out.status == STORE_OK && !out.not_found) {
        log_event(LOG_LEVEL_INFO, "spotcheck_draw", "id=%lld community=%lld actor=%s",
                  (long long)out.id, (long long)req.community_id, r->who->identity);
        admin_reply_json(r, COAP_RESPONSE_CODE_CREATED, out.json, out.json_len);
    } else {
        char what[64];
        snprintf(what, sizeof(what), "community %lld", (long long)req.community_id);
        admin_reply_outcome(r, &out, what);
    }
    admin_outcome_deinit(&out);
}
ADMIN_HANDLER(hnd_post_spotchecks, ADMIN_WRITE, spotchecks_post)

/* ---- GET /v1/spotchecks[?id=N | ?community_id=N] ---- */

static void spotchecks_get(admin_request *r)
{
    static const char *const params[] = {"id", "community_id", NULL};
    int64_t id = 0, community = 0;
    if (!admin_query_known(r, params) || !admin_query_id(r, "id", &id) ||
        !admin_query_id(r, "community_id", &community))
        return;
    store *st = admin_store(r);
    if (!st)
        return;
    admin_outcome out;
    store_spotcheck_get(st, id, community, r->scope, &out);
    admin_reply_found(r, &out, COAP_RESPONSE_CODE_CONTENT, "spot check with this id");
}
ADMIN_HANDLER(hnd_get_spotchecks, ADMIN_READ, spotchecks_get)
