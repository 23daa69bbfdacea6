/* store_spotcheck.c — the SQL of random spot checks: the population and the inspectors read,
 * the draw recorded, draws read back. All SQL is parameterised; JSON is built by PostgreSQL. */
#include "server/db/store_spotcheck.h"
#include "server/db/store_query.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/spotcheck.h"

/* $1 community, $2 target: "<population>|<inspectors>" as array literals, ascending; no row
 * when there is no such community. Closed enterprises and scrapped machines are not checked. */
static const char SPOTCHECK_SQL_POPULATION[] =
    "SELECT concat_ws('|', CASE WHEN $2 = 'enterprise' THEN (SELECT coalesce(array_agg(e.id"
    " ORDER BY e.id), '{}') FROM enterprises e WHERE e.community_id = c.id AND e.status <> "
    "'closed')"
    " ELSE (SELECT coalesce(array_agg(m.id ORDER BY m.id), '{}') FROM machines m JOIN enterprises e"
    " ON e.id = m.enterprise_id WHERE e.community_id = c.id AND e.status <> 'closed'"
    " AND m.status <> 'scrapped') END,"
    " (SELECT coalesce(array_agg(p.id ORDER BY p.id), '{}') FROM principals p"
    " JOIN principal_communities pc ON pc.principal_id = p.id WHERE pc.community_id = c.id"
    " AND p.role = 'inspector' AND p.disabled_at IS NULL))"
    " FROM communities c WHERE c.id = $1";

/* $1 community, $2 target, $3 requested, $4 per target, $5 seed, $6 population, $7 inspectors,
 * $8 items [{"target", "inspectors"}] in order. */
static const char SPOTCHECK_SQL_RECORD[] =
    "WITH s AS (INSERT INTO spot_checks (community_id, target, requested, per_target, seed,"
    "  population, inspectors, drawn_by) VALUES ($1, $2, $3, $4, $5, $6::bigint[], $7::bigint[],"
    "  weldreg_actor()) RETURNING *),"
    " i AS (INSERT INTO spot_check_items (spot_check_id, position, target_id, inspector_ids)"
    "  SELECT s.id, x.ord, (x.v ->> 'target')::bigint, ARRAY(SELECT"
    "  jsonb_array_elements_text(x.v -> 'inspectors')::bigint)"
    "  FROM s, jsonb_array_elements($8::jsonb) WITH ORDINALITY x(v, ord) RETURNING *),"
    " a AS (" AUDIT_INSERT "SELECT weldreg_actor(), 'spotcheck.draw', 'spot_check', s.id::text,"
    "  NULL, to_jsonb(s) || jsonb_build_object('items', $8::jsonb) FROM s)"
    " SELECT s.id::text FROM s";

/* Parses the array literal "{1,2,3}" at @p text into a malloc'd array; false if malformed or
 * out of memory. */
static bool spotcheck_ids(const char *text, int64_t **ids, size_t *count)
{
    *ids = NULL;
    *count = 0;
    if (*text++ != '{')
        return false;
    size_t cap = 1;
    for (const char *p = text; *p && *p != '}'; p++)
        cap += *p == ',';
    *ids = malloc(cap * sizeof(**ids));
    if (!*ids)
        return false;
    while (*text && *text != '}') {
        char *end;
        errno = 0;
        long long v = strtoll(text, &end, 10);
        if (errno || end == text || *count == cap)
            return false;
        (*ids)[(*count)++] = v;
        text = *end == ',' ? end + 1 : end;
    }
    return *text == '}';
}

/* Appends to @p buf; false (and nothing more is written) when it would not fit. */
static bool spotcheck_append(char *buf, size_t cap, size_t *used, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static bool spotcheck_append(char *buf, size_t cap, size_t *used, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *used, cap - *used, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= cap - *used)
        return false;
    *used += (size_t)n;
    return true;
}

/* The items of a draw as JSON [{"target": id, "inspectors": [ids]}, ...] (malloc'd), or NULL. */
static char *spotcheck_items_json(const spotcheck_pick *picks, size_t n)
{
    /* an id is at most 20 characters: 140 bytes hold an item with 4 inspectors */
    size_t cap = 16 + n * (48 + SPOTCHECK_PER_TARGET_MAX * 24), used = 0;
    char *json = malloc(cap);
    bool ok = json && spotcheck_append(json, cap, &used, "[");
    for (size_t i = 0; ok && i < n; i++) {
        ok = spotcheck_append(json, cap, &used, "%s{\"target\":%lld,\"inspectors\":[", i ? "," : "",
                              (long long)picks[i].target);
        for (size_t k = 0; ok && k < picks[i].inspector_count; k++)
            ok = spotcheck_append(json, cap, &used, "%s%lld", k ? "," : "",
                                  (long long)picks[i].inspectors[k]);
        ok = ok && spotcheck_append(json, cap, &used, "]}");
    }
    if (ok && spotcheck_append(json, cap, &used, "]"))
        return json;
    free(json);
    return NULL;
}

/* The population and inspectors read in this transaction. */
typedef struct spotcheck_world {
    char *population_text; /* the array literals, as read */
    char *inspectors_text;
    int64_t *population;
    size_t population_count;
    int64_t *inspectors;
    size_t inspector_count;
} spotcheck_world;

static void spotcheck_world_free(spotcheck_world *w)
{
    free(w->population);
    free(w->inspectors);
    free(w->population_text);
}

static bool spotcheck_read_world(store *st, const spotcheck_request *req, spotcheck_world *w,
                                 admin_outcome *out)
{
    static const Oid types[] = {QUERY_OID_INT8, QUERY_OID_TEXT};
    query_params p = {0};
    qp_int(&p, req->community_id);
    qp_text(&p, req->target);
    memset(w, 0, sizeof(*w));
    if (!query_run(st, SPOTCHECK_SQL_POPULATION, &p, types, true, out))
        return false;
    w->population_text = out->json; /* taken over */
    out->json = NULL;
    out->json_len = 0;
    char *bar = strchr(w->population_text, '|');
    if (bar) {
        *bar = '\0';
        w->inspectors_text = bar + 1;
    }
    if (!bar || !spotcheck_ids(w->population_text, &w->population, &w->population_count) ||
        !spotcheck_ids(w->inspectors_text, &w->inspectors, &w->inspector_count)) {
        out->status = STORE_EFAILED;
        out->refusal = ADMIN_REFUSAL_OTHER;
        snprintf(out->message, sizeof(out->message), "could not read the spot check population");
        return false;
    }
    return true;
}

/* Draws from @p w and records the draw (the transaction is open). */
static void spotcheck_record(store *st, const spotcheck_request *req, spotcheck_world *w,
                             admin_outcome *out)
{
    char seed[SPOTCHECK_SEED_HEX_LEN + 1];
    spotcheck_pick *picks = calloc((size_t)req->count, sizeof(*picks));
    size_t drawn = 0;
    char *items = NULL;
    /* the population text is needed as read: the draw shuffles the inspectors in place */
    char *inspectors_text = strdup(w->inspectors_text);
    if (!picks || !inspectors_text ||
        spotcheck_draw(req->seed, w->population, w->population_count, (size_t)req->count,
                       w->inspectors, w->inspector_count, (size_t)req->per_target, picks,
                       &drawn) != WR_OK ||
        !(items = spotcheck_items_json(picks, drawn))) {
        out->status = STORE_EFAILED;
        out->refusal = ADMIN_REFUSAL_OTHER;
        snprintf(out->message, sizeof(out->message), "could not make the draw");
        goto cleanup;
    }
    spotcheck_seed_format(req->seed, seed);
    query_params p = {0};
    qp_int(&p, req->community_id);
    qp_text(&p, req->target);
    qp_int(&p, req->count);
    qp_int(&p, req->per_target);
    qp_text(&p, seed);
    qp_text(&p, w->population_text);
    qp_text(&p, inspectors_text);
    qp_text(&p, items);
    static const Oid types[] = {QUERY_OID_INT8, QUERY_OID_TEXT, QUERY_OID_INT8, QUERY_OID_INT8,
                                QUERY_OID_TEXT};
    long long id = 0;
    if (query_run(st, SPOTCHECK_SQL_RECORD, &p, types, true, out) &&
        /* NOLINTNEXTLINE(cert-err34-c): text that our own statement formatted */
        sscanf(out->json, "%lld", &id) == 1)
        out->id = id;
cleanup:
    free(items);
    free(inspectors_text);
    free(picks);
}

void store_spotcheck_draw(store *st, const char *actor, const spotcheck_request *req,
                          admin_outcome *out, spotcheck_refusal *refusal, int64_t *inspectors)
{
    spotcheck_world w;
    *refusal = SPOTCHECK_DRAWN;
    *inspectors = 0;
    query_begin(st, actor, out);
    if (spotcheck_read_world(st, req, &w, out)) {
        *inspectors = (int64_t)w.inspector_count;
        if (w.population_count == 0)
            *refusal = SPOTCHECK_NO_POPULATION;
        else if (w.inspector_count < (size_t)req->per_target)
            *refusal = SPOTCHECK_FEW_INSPECTORS;
        else
            spotcheck_record(st, req, &w, out);
    }
    if (*refusal != SPOTCHECK_DRAWN)
        out->not_found = true; /* nothing to commit */
    query_finish(st, out);
    spotcheck_world_free(&w);
    if (out->status == STORE_OK && !out->not_found && out->id) {
        int64_t id = out->id;
        admin_outcome_deinit(out);
        store_spotcheck_get(st, id, 0, 0, out);
        out->id = id;
    }
}

/* One draw s as the API shows it: counts, the seed, and each item with the target's name (an
 * enterprise's name, a machine's chip id) and the inspectors' identities. */
#define SPOTCHECK_JSON                                                                             \
    "json_build_object('id', s.id, 'community_id', s.community_id, 'target', s.target,"            \
    " 'requested', s.requested, 'drawn', (SELECT count(*) FROM spot_check_items i"                 \
    " WHERE i.spot_check_id = s.id), 'per_target', s.per_target, 'seed', s.seed, 'population',"    \
    " cardinality(s.population), 'inspectors', cardinality(s.inspectors), 'drawn_by', s.drawn_by," \
    " 'drawn_at', s.drawn_at, 'items', (SELECT coalesce(json_agg(json_build_object('position',"    \
    " i.position, 'target_id', i.target_id, 'name', CASE WHEN s.target = 'enterprise' THEN"        \
    " (SELECT e.name FROM enterprises e WHERE e.id = i.target_id) ELSE (SELECT m.chip_id FROM"     \
    " machines m WHERE m.id = i.target_id) END, 'inspectors', (SELECT json_agg(p.identity"         \
    " ORDER BY u.ord) FROM unnest(i.inspector_ids) WITH ORDINALITY u(pid, ord) JOIN principals p"  \
    " ON p.id = u.pid)) ORDER BY i.position), '[]') FROM spot_check_items i"                       \
    " WHERE i.spot_check_id = s.id))"

/* $1 id, $2 community, $3 scope. */
static const char SPOTCHECK_SQL_ONE[] =
    "SELECT " SPOTCHECK_JSON "::text FROM spot_checks s"
    " WHERE s.id = $1 AND $2 >= 0 AND " QUERY_SCOPE("s.community_id", "3");

static const char SPOTCHECK_SQL_LIST[] =
    "SELECT json_build_object('items', coalesce(json_agg(x.j ORDER BY x.id DESC), '[]'))::text"
    " FROM (SELECT s.id, " SPOTCHECK_JSON " AS j FROM spot_checks s WHERE $1 = 0"
    " AND ($2 = 0 OR s.community_id = $2) AND " QUERY_SCOPE("s.community_id",
                                                            "3") " ORDER BY s.id DESC LIMIT 50) x";

void store_spotcheck_get(store *st, int64_t id, int64_t community_id, int64_t scope,
                         admin_outcome *out)
{
    static const Oid types[] = {QUERY_OID_INT8, QUERY_OID_INT8, QUERY_OID_INT8};
    memset(out, 0, sizeof(*out));
    query_params p = {0};
    qp_int(&p, id);
    qp_int(&p, community_id);
    qp_int(&p, scope);
    query_run(st, id ? SPOTCHECK_SQL_ONE : SPOTCHECK_SQL_LIST, &p, types, true, out);
}
