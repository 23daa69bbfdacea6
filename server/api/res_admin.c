/* res_admin.c — the registry admin API for communities, enterprises, principals and the audit
 * log: GET lists or reads (admins; inspectors within their communities), POST creates and PUT
 * updates (admins; for principals, an inspector's communities). Machines, welders and permits are
 * in res_admin_<entity>.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core/registry_rules.h"
#include "core/secret.h"
#include "server/api/admin.h"
#include "server/api/api.h"
#include "server/loop/handlers.h"
#include "server/loop/reply.h"

#define ADMIN_BODY_SMALL (64u << 10)

/* ---- communities ---- */

static void communities_get(admin_request *r)
{
    admin_list(r, ADMIN_COMMUNITY, "community");
}

static void communities_post(admin_request *r)
{
    rules_community c;
    char why[RULES_WHY_SIZE];
    if (!admin_read_body(r, ADMIN_BODY_SMALL))
        return;
    if (rules_check_community(&r->doc, 0, &c, why, sizeof(why)) != WR_OK) {
        admin_reply_invalid(r, why);
        return;
    }
    store *st = admin_store(r);
    if (!st)
        return;
    admin_outcome out;
    store_admin_create_community(st, r->who->identity, &c, &out);
    admin_reply_change(r, &out, "community.create", COAP_RESPONSE_CODE_CREATED, "community");
}

ADMIN_HANDLER(hnd_get_communities, ADMIN_READ, communities_get)
ADMIN_HANDLER(hnd_post_communities, ADMIN_WRITE, communities_post)

/* ---- enterprises ---- */

static void enterprises_get(admin_request *r)
{
    admin_list(r, ADMIN_ENTERPRISE, "enterprise");
}

static void enterprises_post(admin_request *r)
{
    rules_enterprise e;
    char why[RULES_WHY_SIZE];
    if (!admin_read_body(r, ADMIN_BODY_SMALL))
        return;
    if (rules_check_enterprise(&r->doc, 0, &e, why, sizeof(why)) != WR_OK) {
        admin_reply_invalid(r, why);
        return;
    }
    store *st = admin_store(r);
    if (!st)
        return;
    admin_outcome out;
    store_admin_create_enterprise(st, r->who->identity, &e, &out);
    admin_reply_change(r, &out, "enterprise.create", COAP_RESPONSE_CODE_CREATED, "enterprise");
}

static void enterprises_put(admin_request *r)
{
    int64_t id;
    rules_enterprise e;
    char why[RULES_WHY_SIZE];
    json_doc merged;
    if (!admin_put_begin(r, RULES_ENTERPRISE, ADMIN_BODY_SMALL, &id))
        return;
    store *st = admin_store(r);
    if (!st || !admin_merged(r, st, ADMIN_ENTERPRISE, id, "enterprise", &merged))
        return;
    if (rules_check_enterprise(&merged, 0, &e, why, sizeof(why)) != WR_OK) {
        admin_reply_invalid(r, why);
        return;
    }
    admin_outcome out;
    store_admin_update_enterprise(st, r->who->identity, id, &e, &out);
    admin_reply_change(r, &out, "enterprise.update", COAP_RESPONSE_CODE_CHANGED,
                       "enterprise with this id");
}

ADMIN_HANDLER(hnd_get_enterprises, ADMIN_READ, enterprises_get)
ADMIN_HANDLER(hnd_post_enterprises, ADMIN_WRITE, enterprises_post)
ADMIN_HANDLER(hnd_put_enterprises, ADMIN_WRITE, enterprises_put)

/* ---- principals (administrators and inspectors; machines are enrolled with their machine) ---- */

static void principals_get(admin_request *r)
{
    admin_list(r, ADMIN_PRINCIPAL, "principal");
}

/* The body's "communities" (absent: none), each a community id once. */
static bool principals_communities(admin_request *r, int64_t *communities, size_t *n)
{
    const json_doc *d = &r->doc;
    long t = json_find(d, 0, "communities");
    *n = 0;
    if (t < 0)
        return true;
    if (d->tokens[t].type != JSON_ARRAY || d->tokens[t].count > RULES_LIST_MAX) {
        admin_reply_invalid(r, "field \"communities\": expected an array of community ids");
        return false;
    }
    for (size_t k = (size_t)t + 1; k < d->tokens[t].next; k = d->tokens[k].next) {
        if (d->tokens[k].type != JSON_INT || d->tokens[k].i <= 0) {
            admin_reply_invalid(r, "field \"communities\": items must be community ids");
            return false;
        }
        for (size_t i = 0; i < *n; i++) {
            if (communities[i] == d->tokens[k].i) {
                admin_error(r, COAP_RESPONSE_CODE_BAD_REQUEST,
                            "field \"communities\": community %lld is listed twice",
                            (long long)communities[i]);
                return false;
            }
        }
        communities[(*n)++] = d->tokens[k].i;
    }
    return true;
}

/* {"identity", "role": "admin"|"inspector", "communities": [ids] (inspectors: at least one)} */
static bool principals_read(admin_request *r, char *identity, size_t cap, char *role,
                            int64_t *communities, size_t *n)
{
    if (!admin_body_text(r, "identity", 64, identity, cap) ||
        !admin_body_text(r, "role", 16, role, 16))
        return false;
    if (!principal_identity_is_valid(identity, strlen(identity))) {
        admin_reply_invalid(r, "field \"identity\": must be 1 to 64 letters, digits or -_.:@");
        return false;
    }
    if (strcmp(role, "admin") != 0 && strcmp(role, "inspector") != 0) {
        admin_reply_invalid(r, "field \"role\": must be admin or inspector (machines are "
                               "enrolled through /v1/machines)");
        return false;
    }
    if (!principals_communities(r, communities, n))
        return false;
    if (strcmp(role, "inspector") == 0 && *n == 0) {
        admin_reply_invalid(r, "field \"communities\": an inspector needs at least one community");
        return false;
    }
    return true;
}

static void principals_post(admin_request *r)
{
    char identity[PRINCIPAL_IDENTITY_MAX + 1], role[16];
    int64_t communities[RULES_LIST_MAX];
    size_t n;
    if (!admin_read_body(r, ADMIN_BODY_SMALL) ||
        !principals_read(r, identity, sizeof(identity), role, communities, &n))
        return;
    store *st = admin_store(r);
    if (!st)
        return;
    char psk[SECRET_PSK_LEN + 1];
    if (secret_new_psk(psk) != WR_OK) {
        admin_error(r, COAP_RESPONSE_CODE_INTERNAL_ERROR, "could not make a PSK");
        return;
    }
    admin_outcome out;
    store_admin_create_principal(st, r->who->identity, identity, role, communities, n, admin_kek(r),
                                 psk, &out);
    if (out.status == STORE_OK) {
        char answer[256];
        snprintf(answer, sizeof(answer), "{\"id\":%lld,\"identity\":\"%s\",\"psk\":\"%s\"}",
                 (long long)out.id, identity, psk); /* both from safe alphabets */
        free(out.json);
        out.json = strdup(answer);
        out.json_len = out.json ? strlen(out.json) : 0;
        OPENSSL_cleanse(answer, sizeof(answer));
        admin_reply_done(r, &out, "principal.create", COAP_RESPONSE_CODE_CREATED);
        if (out.json)
            OPENSSL_cleanse(out.json, out.json_len);
    } else {
        admin_reply_outcome(r, &out, "principal");
    }
    OPENSSL_cleanse(psk, sizeof(psk));
    admin_outcome_deinit(&out);
}

/* PUT ?id=N or {"identity"}, with {"communities": [ids]}: the principal to change, and the
 * inspector's new list of communities, which replaces the old one. False after answering. */
static bool principals_change_read(admin_request *r, int64_t *id, char *identity, size_t cap,
                                   int64_t *communities, size_t *n)
{
    static const char *const fields[] = {"identity", "communities", NULL};
    if (!admin_query_id(r, "id", id) || !admin_read_body(r, ADMIN_BODY_SMALL) ||
        !admin_body_fields(r, fields) || !admin_body_text(r, "identity", 64, identity, cap) ||
        !principals_communities(r, communities, n))
        return false;
    if (*id == 0 && !identity[0]) {
        admin_reply_invalid(r, "say which principal to change (?id=N or field \"identity\")");
        return false;
    }
    if (json_find(&r->doc, 0, "communities") < 0) {
        admin_reply_invalid(r, "field \"communities\": is required (the new list, which "
                               "replaces the old one)");
        return false;
    }
    if (*n == 0) {
        admin_reply_invalid(r, "field \"communities\": an inspector needs at least one community");
        return false;
    }
    return true;
}

/* Refuses a change the stored principal does not allow; false after answering. */
static bool principals_change_allowed(admin_request *r, admin_outcome *out, const char *asked,
                                      const admin_principal *p)
{
    if (out->status != STORE_OK) {
        admin_reply_outcome(r, out, "principal");
    } else if (out->not_found) {
        admin_error(r, COAP_RESPONSE_CODE_NOT_FOUND, "no principal %s", asked);
    } else if (p->role != ROLE_INSPECTOR) {
        admin_error(r, COAP_RESPONSE_CODE_CONFLICT,
                    "principal \"%s\" is %s: only inspectors have communities", p->identity,
                    principal_role_noun(p->role));
    } else if (p->unknown_community) {
        admin_error(r, COAP_RESPONSE_CODE_BAD_REQUEST,
                    "field \"communities\": no community has id %lld",
                    (long long)p->unknown_community);
    } else {
        return true;
    }
    admin_outcome_deinit(out);
    return false;
}

static void principals_put(admin_request *r)
{
    int64_t id, communities[RULES_LIST_MAX];
    char identity[PRINCIPAL_IDENTITY_MAX + 1], asked[PRINCIPAL_IDENTITY_MAX + 32];
    size_t n;
    if (!principals_change_read(r, &id, identity, sizeof(identity), communities, &n))
        return;
    store *st = admin_store(r);
    if (!st)
        return;
    admin_principal p;
    admin_outcome out;
    store_admin_find_principal(st, id, identity, communities, n, &p, &out);
    if (id)
        snprintf(asked, sizeof(asked), "with id %lld%s%s%s", (long long)id,
                 identity[0] ? " and identity \"" : "", identity, identity[0] ? "\"" : "");
    else
        snprintf(asked, sizeof(asked), "\"%s\"", identity);
    if (!principals_change_allowed(r, &out, asked, &p))
        return;
    store_admin_set_communities(st, r->who->identity, p.id, communities, n, &out);
    admin_reply_change(r, &out, "principal.update", COAP_RESPONSE_CODE_CHANGED,
                       "inspector with this id");
}

ADMIN_HANDLER(hnd_get_principals, ADMIN_ADMIN_ONLY, principals_get)
ADMIN_HANDLER(hnd_post_principals, ADMIN_ADMIN_ONLY, principals_post)
ADMIN_HANDLER(hnd_put_principals, ADMIN_ADMIN_ONLY, principals_put)

/* ---- audit log ---- */

static void audit_get(admin_request *r)
{
    admin_list(r, ADMIN_AUDIT, "audit entry");
}

ADMIN_HANDLER(hnd_get_audit, ADMIN_ADMIN_ONLY, audit_get)
