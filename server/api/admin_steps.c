/* admin_steps.c — steps the admin API's handlers share: listings, merged updates, ids and
 * texts from the body, answers to changes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/registry_rules.h"
#include "server/api/admin.h"
#include "server/loop/log.h"
#include "server/loop/reply.h"

#define ADMIN_PAGE_DEFAULT 100
#define ADMIN_PAGE_MAX     1000

static bool admin_query_limit(admin_request *r, int *limit)
{
    int64_t v;
    if (!admin_query_id(r, "limit", &v))
        return false;
    if (v > ADMIN_PAGE_MAX) {
        admin_error(r, COAP_RESPONSE_CODE_BAD_REQUEST,
                    "query \"limit\": at most %d records per page", ADMIN_PAGE_MAX);
        return false;
    }
    *limit = v ? (int)v : ADMIN_PAGE_DEFAULT;
    return true;
}

/* What a listing of each entity may be filtered by: its query parameters, and the one that
 * takes a value from a closed set (the values the database allows). A filter the entity does
 * not have, or a value it cannot hold, would answer an empty list that looks like "none": 4.00
 * instead, naming what is allowed. */
typedef struct admin_filters {
    const char *const *params;
    const char *enum_key; /* NULL: none */
    const char *const *enum_values;
} admin_filters;

#define ADMIN_PAGING "id", "after", "limit"
static const char *const admin_community_params[] = {ADMIN_PAGING, NULL};
static const char *const admin_enterprise_params[] = {ADMIN_PAGING, "community_id", "status", NULL};
static const char *const admin_machine_params[] = {ADMIN_PAGING,    "chip",   "community_id",
                                                   "enterprise_id", "status", NULL};
static const char *const admin_welder_params[] = {ADMIN_PAGING, "status", NULL};
static const char *const admin_permit_params[] = {ADMIN_PAGING, "community_id", "enterprise_id",
                                                  "status", NULL};
static const char *const admin_principal_params[] = {ADMIN_PAGING, "role", NULL};
static const char *const admin_audit_params[] = {ADMIN_PAGING, "entity", NULL};

static const char *const admin_enterprise_statuses[] = {"active", "suspended", "closed", NULL};
static const char *const admin_machine_statuses[] = {"active", "suspended", "scrapped", NULL};
static const char *const admin_welder_statuses[] = {"active", "suspended", "retired", NULL};
static const char *const admin_permit_statuses[] = {"approved", "cancelled", "closed", NULL};
static const char *const admin_roles[] = {"admin", "inspector", "machine", NULL};
/* what the server records in the audit log (store_admin.c, store_inspect.c, store_enforce.c) */
static const char *const admin_audit_entities[] = {
    "community", "enterprise", "machine",       "welder",       "permit",     "principal",
    "code",      "violation",  "onsite_report", "major_hazard", "spot_check", NULL};

static const admin_filters admin_entity_filters[] = {
    [ADMIN_COMMUNITY] = {admin_community_params, NULL, NULL},
    [ADMIN_ENTERPRISE] = {admin_enterprise_params, "status", admin_enterprise_statuses},
    [ADMIN_MACHINE] = {admin_machine_params, "status", admin_machine_statuses},
    [ADMIN_WELDER] = {admin_welder_params, "status", admin_welder_statuses},
    [ADMIN_PERMIT] = {admin_permit_params, "status", admin_permit_statuses},
    [ADMIN_PRINCIPAL] = {admin_principal_params, "role", admin_roles},
    [ADMIN_AUDIT] = {admin_audit_params, "entity", admin_audit_entities},
};

void admin_list(admin_request *r, admin_entity entity, const char *what)
{
    const admin_filters *f = &admin_entity_filters[entity];
    admin_query q = {.entity = entity, .scope = r->scope};
    if (!admin_query_known(r, f->params) || !admin_query_id(r, "id", &q.id) ||
        !admin_query_id(r, "after", &q.after) ||
        !admin_query_id(r, "community_id", &q.community_id) ||
        !admin_query_id(r, "enterprise_id", &q.enterprise_id) || !admin_query_limit(r, &q.limit))
        return;
    if (f->enum_key &&
        !admin_query_enum(r, f->enum_key, f->enum_values, q.status, sizeof(q.status)))
        return;
    admin_query_param(r, "chip", q.chip, sizeof(q.chip));
    store *st = admin_store(r);
    if (!st)
        return;
    admin_outcome out;
    store_admin_list(st, &q, &out);
    char name[160];
    snprintf(name, sizeof(name), "%s %s", what, q.chip[0] ? q.chip : "with this id");
    if (out.status == STORE_OK && !out.not_found)
        admin_reply_json(r, COAP_RESPONSE_CODE_CONTENT, out.json, out.json_len);
    else
        admin_reply_outcome(r, &out, name);
    admin_outcome_deinit(&out);
}

static bool admin_parse_owned(admin_request *r, char *text, json_token **tokens, json_doc *doc)
{
    size_t len = strlen(text);
    size_t cap = len / 2 + 8;
    *tokens = malloc(cap * sizeof(**tokens));
    if (!*tokens || json_parse(text, len, *tokens, cap, doc, NULL) != WR_OK) {
        admin_error(r, COAP_RESPONSE_CODE_INTERNAL_ERROR, "could not read the record");
        return false;
    }
    return true;
}

bool admin_merged(admin_request *r, store *st, admin_entity entity, int64_t id, const char *what,
                  json_doc *doc)
{
    admin_outcome out;
    store_admin_editable(st, entity, id, &out);
    if (out.status != STORE_OK || out.not_found) {
        char name[160];
        snprintf(name, sizeof(name), "%s %lld (or it may not be changed)", what, (long long)id);
        admin_reply_outcome(r, &out, name);
        admin_outcome_deinit(&out);
        return false;
    }
    r->base = out.json; /* now owned by the request */
    json_doc base;
    if (!admin_parse_owned(r, r->base, &r->base_tokens, &base))
        return false;
    size_t cap = strlen(r->base) + r->doc.len + 64;
    r->merged = malloc(cap);
    if (!r->merged) {
        admin_error(r, COAP_RESPONSE_CODE_INTERNAL_ERROR, "out of memory");
        return false;
    }
    json_writer w;
    json_writer_init(&w, r->merged, cap);
    if (rules_merge(&base, 0, &r->doc, 0, &w) != WR_OK) {
        admin_error(r, COAP_RESPONSE_CODE_BAD_REQUEST, "could not merge the change");
        return false;
    }
    return admin_parse_owned(r, r->merged, &r->merged_tokens, doc);
}

/* The record id of a PUT (query "id"); false after answering 4.00. */
static bool admin_put_id(admin_request *r, int64_t *id)
{
    if (!admin_query_id(r, "id", id))
        return false;
    if (*id == 0) {
        admin_error(r, COAP_RESPONSE_CODE_BAD_REQUEST,
                    "query \"id\": say which record to change (?id=N)");
        return false;
    }
    return true;
}

bool admin_put_begin(admin_request *r, rules_record record, size_t max, int64_t *id)
{
    char why[RULES_WHY_SIZE];
    if (!admin_put_id(r, id) || !admin_read_body(r, max))
        return false;
    if (rules_check_change(record, &r->doc, 0, why, sizeof(why)) != WR_OK) {
        admin_reply_invalid(r, why);
        return false;
    }
    return true;
}

bool admin_body_fields(admin_request *r, const char *const *allowed)
{
    char why[160];
    if (rules_check_fields(&r->doc, 0, allowed, why, sizeof(why)) == WR_OK)
        return true;
    admin_reply_invalid(r, why);
    return false;
}

void admin_reply_found(admin_request *r, admin_outcome *out, coap_pdu_code_t code, const char *what)
{
    if (out->status == STORE_OK && !out->not_found)
        admin_reply_json(r, code, out->json, out->json_len);
    else
        admin_reply_outcome(r, out, what);
    admin_outcome_deinit(out);
}

bool admin_body_id(admin_request *r, const char *key, int64_t *out)
{
    long t = json_find(&r->doc, 0, key);
    if (t < 0 || r->doc.tokens[t].type != JSON_INT || r->doc.tokens[t].i <= 0) {
        admin_error(r, COAP_RESPONSE_CODE_BAD_REQUEST, "field \"%s\": %s", key,
                    t < 0 ? "is required" : "expected a positive id");
        return false;
    }
    *out = r->doc.tokens[t].i;
    return true;
}

bool admin_body_number(admin_request *r, const char *key, double *out, bool *present)
{
    long t = json_find(&r->doc, 0, key);
    *present = t >= 0 && r->doc.tokens[t].type != JSON_NULL;
    if (!*present)
        return true;
    json_type type = r->doc.tokens[t].type;
    if (type != JSON_INT && type != JSON_DOUBLE) {
        admin_error(r, COAP_RESPONSE_CODE_BAD_REQUEST, "field \"%s\": expected a number", key);
        return false;
    }
    *out = r->doc.tokens[t].d;
    return true;
}

bool admin_body_text(admin_request *r, const char *key, size_t max_chars, char *out, size_t cap)
{
    out[0] = '\0';
    long t = json_find(&r->doc, 0, key);
    if (t < 0 || r->doc.tokens[t].type == JSON_NULL)
        return true;
    size_t len = 0, chars = 0;
    if (r->doc.tokens[t].type != JSON_STRING ||
        json_string(&r->doc, (size_t)t, out, cap, &len) != WR_OK || strlen(out) != len) {
        admin_error(r, COAP_RESPONSE_CODE_BAD_REQUEST,
                    "field \"%s\": expected a string of at most %zu characters", key, max_chars);
        return false;
    }
    for (const char *p = out; *p; p++)
        chars += ((unsigned char)*p & 0xC0) != 0x80;
    if (chars > max_chars) {
        admin_error(r, COAP_RESPONSE_CODE_BAD_REQUEST,
                    "field \"%s\": is longer than %zu characters", key, max_chars);
        return false;
    }
    return true;
}

void admin_reply_done(admin_request *r, const admin_outcome *out, const char *action,
                      coap_pdu_code_t code)
{
    log_event(LOG_LEVEL_INFO, "registry_changed", "action=%s id=%lld actor=%s", action,
              (long long)out->id, r->who->identity);
    admin_reply_json(r, code, out->json, out->json_len);
}
