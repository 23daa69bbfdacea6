/* res_counts.c — GET /v1/counts: the counts (底数) per community or enterprise for a period
 * (docs/inspector-guide.md, "The counts"). Admins see all; inspectors their communities; machines
 * nothing. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/period.h"
#include "server/api/admin.h"
#include "server/api/api.h"
#include "server/loop/handlers.h"
#include "server/loop/reply.h"
#include "server/db/store_counts.h"

/* A report that takes longer is cancelled and refused. From the daily and monthly roll-ups a
 * year takes well under a second on 10 M check-ins (docs/performance.md, "Twelve months and
 * the annual summary"); from the check-ins themselves it took 1-4 s on 1 M. */
#define COUNTS_TIMEOUT_MS 5000

/* A misspelt parameter must not silently count the default period. */
static const char *const counts_params[] = {"from", "to", "community", "enterprise", "by", NULL};
/* in the order of counts_by */
static const char *const counts_by_names[] = {"community", "enterprise", "industry", NULL};

static bool counts_query_read(admin_request *r, counts_query *q)
{
    char from[16], to[16], by[16], why[PERIOD_WHY_SIZE];
    memset(q, 0, sizeof(*q));
    q->scope = r->scope;
    if (!admin_query_known(r, counts_params) || !admin_query_id(r, "community", &q->community_id) ||
        !admin_query_id(r, "enterprise", &q->enterprise_id))
        return false;
    admin_query_param(r, "from", from, sizeof(from));
    admin_query_param(r, "to", to, sizeof(to));
    q->days = period_month_of((int64_t)time(NULL));
    if (period_days(from, to, &q->days, why, sizeof(why)) != WR_OK) {
        admin_error(r, COAP_RESPONSE_CODE_BAD_REQUEST, "query %s", why);
        return false;
    }
    if (!admin_query_enum(r, "by", counts_by_names, by, sizeof(by)))
        return false;
    for (int i = 0; counts_by_names[i]; i++)
        if (strcmp(by, counts_by_names[i]) == 0)
            q->by = (counts_by)i;
    return true;
}

/* 4.03 or 4.04 for a community or enterprise the caller may not or cannot count; otherwise
 * true with the caller's communities in @p scope (an array literal, see store_counts_access). */
static bool counts_allowed(admin_request *r, store *st, const counts_query *q, admin_outcome *scope)
{
    counts_access access;
    store_counts_access(st, q, &access, scope);
    if (scope->status != STORE_OK) {
        admin_reply_outcome(r, scope, "counts");
        return false;
    }
    switch (access) {
    case COUNTS_ALLOWED: return true;
    case COUNTS_COMMUNITY_FORBIDDEN:
        admin_error(r, COAP_RESPONSE_CODE_FORBIDDEN, "community %lld is outside your communities",
                    (long long)q->community_id);
        break;
    case COUNTS_ENTERPRISE_FORBIDDEN:
        admin_error(r, COAP_RESPONSE_CODE_FORBIDDEN, "enterprise %lld is outside your communities",
                    (long long)q->enterprise_id);
        break;
    case COUNTS_NO_COMMUNITY:
        admin_error(r, COAP_RESPONSE_CODE_NOT_FOUND, "no community %lld",
                    (long long)q->community_id);
        break;
    case COUNTS_NO_ENTERPRISE:
        admin_error(r, COAP_RESPONSE_CODE_NOT_FOUND, "no enterprise %lld",
                    (long long)q->enterprise_id);
        break;
    }
    return false;
}

static void counts_get(admin_request *r)
{
    counts_query q;
    if (!counts_query_read(r, &q))
        return;
    store *st = admin_store(r);
    admin_outcome scope, out;
    memset(&scope, 0, sizeof(scope));
    if (!st || !counts_allowed(r, st, &q, &scope)) {
        admin_outcome_deinit(&scope);
        return;
    }
    store_counts(st, &q, scope.json, COUNTS_TIMEOUT_MS, &out);
    admin_outcome_deinit(&scope);
    if (out.status == STORE_OK && !out.not_found)
        admin_reply_json(r, COAP_RESPONSE_CODE_CONTENT, out.json, out.json_len);
    else if (out.status == STORE_EFAILED && out.refusal == ADMIN_REFUSAL_TIMEOUT)
        admin_error(r, COAP_RESPONSE_CODE_SERVICE_UNAVAILABLE,
                    "the counts took longer than %d s; ask for a shorter period or one community",
                    COUNTS_TIMEOUT_MS / 1000);
    else
        admin_reply_outcome(r, &out, "counts");
    admin_outcome_deinit(&out);
}

ADMIN_HANDLER(hnd_get_counts, ADMIN_READ, counts_get)
