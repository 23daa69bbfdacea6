/* cmd_admin.c — `weldtag admin ENTITY VERB [KEY=VALUE...]`: the registry admin API from the
 * command line, and `weldtag admin audit-verify`, which walks the audit log and recomputes its
 * hash chain. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/audit.h"
#include "core/json.h"
#include "tag-reader/adminreq.h"
#include "tag-reader/commands.h"

static const struct {
    const char *entity;
    const char *path;
} admin_entities[] = {
    {"community", "v1/communities"}, {"enterprise", "v1/enterprises"},
    {"machine", "v1/machines"},      {"welder", "v1/welders"},
    {"permit", "v1/permits"},        {"principal", "v1/principals"},
    {"audit", "v1/audit"},           {"code", "v1/codes"},
    {"hazard", "v1/hazards"},        {"spotcheck", "v1/spotchecks"},
    {"holiday", "v1/holidays"},
};

/* How a verb reaches the server: method, a path suffix, and whether the arguments are a query
 * (filters) or a body. "update" takes id=N into the query and the rest as the body. */
static const struct {
    const char *verb;
    int method;
    const char *suffix;
    bool query;
} admin_verbs[] = {
    {"list", CLIENT_GET, "", true},
    {"get", CLIENT_GET, "", true},
    {"create", CLIENT_POST, "", false},
    {"update", CLIENT_PUT, "", false},
    {"transfer", CLIENT_POST, "/transfer", false},
    {"retire", CLIENT_POST, "/retire", false},
    {"end", CLIENT_POST, "/end", false},
    {"train", CLIENT_POST, "/training", false},
    {"change", CLIENT_POST, "/change", false},
    {"import", CLIENT_POST, "/import", false},
    {"employ", CLIENT_POST, "/employment", false},
    {"lift", CLIENT_POST, "/lift", false},
    {"reissue", CLIENT_POST, "/reissue", false},
    {"revoke", CLIENT_POST, "/revoke", false},
};

static void admin_usage(FILE *out)
{
    fputs("usage: weldtag admin ENTITY VERB [--json] [KEY=VALUE | KEY:=JSON ...]\n"
          "       weldtag admin audit-verify\n"
          "\n"
          "entities: community, enterprise, machine, welder, permit, principal, audit, code,\n"
          "          hazard, spotcheck, holiday\n"
          "verbs:    list [FILTER=VALUE...]   filters: status (role for principals, entity for\n"
          "                                   the audit log), community_id, enterprise_id,\n"
          "                                   after (last id seen), limit (1-1000); the server\n"
          "                                   names those an entity has and their values\n"
          "          get id=N | chip=CHIP (machines)\n"
          "          create KEY=VALUE...      (a machine answers with its PSK, shown once)\n"
          "          update id=N KEY=VALUE...\n"
          "          update identity=ID communities=A,B   (principals: an inspector's new list\n"
          "                                   of communities, which replaces the old one)\n"
          "          transfer id=N enterprise_id=M [note=TEXT]   (machines)\n"
          "          retire id=N [note=TEXT]  (machines are scrapped, welders retired)\n"
          "          end id=N [status=cancelled|closed]          (permits)\n"
          "          train id=N course=TEXT completed_on=YYYY-MM-DD hours=H provider=TEXT\n"
          "                [valid_until=YYYY-MM-DD]  (welders: training on record, valid until\n"
          "                                   valid_until, default a year after completion)\n"
          "          change id=N [gas_tested_at=TIME gas_value=PCT_LEL] [ends_at=TIME]\n"
          "                 [add_welders=A,B] [remove_welders=A,B] [add_machines=A,B]\n"
          "                 [remove_machines=A,B] [note=TEXT]\n"
          "                                   (permits: a gas re-test, an extension within the\n"
          "                                   level's limit, people and machines; audited)\n"
          "          import year=YYYY "
          "days:='[{\"date\":\"YYYY-MM-DD\",\"rest\":true,\"name\":\"...\"}]'\n"
          "                                   (holidays: the official calendar of a year, which\n"
          "                                   replaces that year's; rest false: 调休上班)\n"
          "          employ id=N enterprise_id=M since=YYYY-MM-DD [until=YYYY-MM-DD]\n"
          "                 [kind=employee|dispatched agency=TEXT]\n"
          "                                   (welders: works for the enterprise; a dispatched\n"
          "                                   worker 劳务派遣 names the dispatch agency)\n"
          "          create enterprise_id=N description=TEXT [site_address=TEXT]   (hazards:\n"
          "                                   a major hazard, 重大事故隐患; the enterprise's\n"
          "                                   machines lock until it is lifted)\n"
          "          lift id=N note=TEXT      (hazards: how it was removed)\n"
          "          list [status=open|all] [enterprise_id=N] [community_id=N]   (hazards)\n"
          "          create community_id=N target=enterprise|machine count=N [per_target=1-4]\n"
          "                 [seed=16 HEX DIGITS]   (spotchecks: 双随机, a random draw of targets\n"
          "                                   and inspectors; the seed of an earlier draw repeats\n"
          "                                   it; admins)\n"
          "          list [community_id=N] | get id=N   (spotchecks)\n"
          "codes:    list [machine_id=N] [welder_id=N] [status=active|revoked|expired]\n"
          "               [expiring_within=DAYS] [kid=HEX] [offset=N] [limit=N]\n"
          "                                   (kid: the codes one signing key signed, the\n"
          "                                   re-issue campaign of a key rotation)\n"
          "          get cti=HEX              (with its text, to print the label again)\n"
          "          reissue machine_id=N | welder_id=N [revoke_old=true] [reason=TEXT]\n"
          "                                   (the old codes are left to expire unless\n"
          "                                   revoke_old=true)\n"
          "          revoke cti=HEX reason=TEXT\n"
          "Lists are comma-separated: categories=fusion,brazing welders=3,4.\n"
          "\n"
          "  --json           print the answer as one line of JSON\n"
          "\n" CONN_HELP "\n"
          "exit codes: 0 done, 1 audit chain broken, 2 usage, 3 no answer, 4 refused\n",
          out);
}

/* Parses the options; leaves the positional arguments from optind on. */
static int admin_options(int argc, char **argv, conn_settings *conn, bool *json)
{
    static const struct option options[] = {{"json", no_argument, NULL, 'j'},
                                            {"help", no_argument, NULL, 'h'},
                                            CONN_LONG_OPTIONS,
                                            {NULL, 0, NULL, 0}};
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        if (opt == 'j') {
            *json = true;
            continue;
        }
        if (opt == 'h') {
            admin_usage(stdout);
            return 1;
        }
        int handled = conn_option(conn, opt, optarg);
        if (handled <= 0) {
            if (handled == 0)
                admin_usage(stderr);
            return -1;
        }
    }
    return conn_finish(conn) == 0 ? 0 : -1;
}

static const char *admin_path_of(const char *entity)
{
    for (size_t i = 0; i < sizeof(admin_entities) / sizeof(admin_entities[0]); i++)
        if (strcmp(admin_entities[i].entity, entity) == 0)
            return admin_entities[i].path;
    return NULL;
}

static int admin_verb_of(const char *verb)
{
    for (size_t i = 0; i < sizeof(admin_verbs) / sizeof(admin_verbs[0]); i++)
        if (strcmp(admin_verbs[i].verb, verb) == 0)
            return (int)i;
    return -1;
}

/* The path (with query) and body of ENTITY VERB ARGS. */
static int admin_build(const char *entity, int verb, char **args, int n, char *path, size_t cap,
                       char *body, size_t body_cap)
{
    const char *base = admin_path_of(entity);
    char err[256], query[2048] = "";
    if (!base) {
        tool_error("unknown entity \"%s\"", entity);
        return -1;
    }
    body[0] = '\0';
    if (admin_verbs[verb].query) {
        if (adminreq_query(args, n, query, sizeof(query), err, sizeof(err)) != 0) {
            tool_error("%s", err);
            return -1;
        }
    } else {
        /* update: id=N goes to the query, the rest is the change */
        int skip = -1;
        if (admin_verbs[verb].method == CLIENT_PUT)
            for (int i = 0; i < n && skip < 0; i++)
                if (strncmp(args[i], "id=", 3) == 0) {
                    snprintf(query, sizeof(query), "?%s", args[i]);
                    skip = i;
                }
        char *rest[256];
        int m = 0;
        for (int i = 0; i < n && m < 256; i++)
            if (i != skip)
                rest[m++] = args[i];
        if (adminreq_body(rest, m, body, body_cap, err, sizeof(err)) != 0) {
            tool_error("%s", err);
            return -1;
        }
    }
    snprintf(path, cap, "%s%s%s", base, admin_verbs[verb].suffix, query);
    return 0;
}

static int admin_request_once(conn_settings *conn, int verb, const char *path, const char *body,
                              bool json)
{
    client *c;
    char err[256];
    if (client_open(&conn->opt, &c, err, sizeof(err)) != CLIENT_OK) {
        tool_error("%s", err);
        return WELDTAG_EXIT_NETWORK;
    }
    char *answer;
    int rc = adminreq_call(c, admin_verbs[verb].method, path, admin_verbs[verb].query ? NULL : body,
                           &answer);
    if (rc == WELDTAG_EXIT_OK && answer)
        adminreq_print(answer, json);
    free(answer);
    client_close(c);
    return rc;
}

/* ---- audit-verify ---- */

typedef struct verify_state {
    bool have_prev;
    uint8_t prev[AUDIT_HASH_LEN];
    long long count;
    int64_t after;
    char before_text[1 << 16], after_text[1 << 16]; /* an entry's before and after JSON */
} verify_state;

static const char *verify_text(const json_doc *doc, size_t item, const char *key, char *buf,
                               size_t cap)
{
    long t = json_find(doc, item, key);
    if (t < 0 || json_string(doc, (size_t)t, buf, cap, NULL) != WR_OK)
        buf[0] = '\0';
    return buf;
}

/* Checks one entry; 0, or 1 after naming it as the first broken entry. */
static int verify_entry(const json_doc *doc, size_t item, verify_state *vs)
{
    char epoch[64], actor[256], action[80], entity[80], entity_id[80], prev_hex[80], hash_hex[80];
    long id_tok = json_find(doc, item, "id");
    audit_entry e = {.id = id_tok >= 0 ? doc->tokens[id_tok].i : 0};
    e.at_epoch = verify_text(doc, item, "at_epoch", epoch, sizeof(epoch));
    e.actor = verify_text(doc, item, "actor", actor, sizeof(actor));
    e.action = verify_text(doc, item, "action", action, sizeof(action));
    e.entity = verify_text(doc, item, "entity", entity, sizeof(entity));
    e.entity_id = verify_text(doc, item, "entity_id", entity_id, sizeof(entity_id));
    e.before = verify_text(doc, item, "before", vs->before_text, sizeof(vs->before_text));
    e.after = verify_text(doc, item, "after", vs->after_text, sizeof(vs->after_text));
    verify_text(doc, item, "prev_hash", prev_hex, sizeof(prev_hex));
    verify_text(doc, item, "hash", hash_hex, sizeof(hash_hex));
    uint8_t stored[AUDIT_HASH_LEN], prev[AUDIT_HASH_LEN], computed[AUDIT_HASH_LEN];
    bool has_prev = prev_hex[0] != '\0';
    if (audit_hash_from_hex(hash_hex, stored) != WR_OK ||
        (has_prev && audit_hash_from_hex(prev_hex, prev) != WR_OK)) {
        printf("audit entry %lld: malformed hash\n", (long long)e.id);
        return 1;
    }
    if (has_prev != vs->have_prev || (has_prev && memcmp(prev, vs->prev, AUDIT_HASH_LEN) != 0)) {
        printf("audit entry %lld: does not link to the entry before it (an entry was removed "
               "or changed)\n",
               (long long)e.id);
        return 1;
    }
    if (audit_entry_hash(has_prev ? prev : NULL, &e, computed) != WR_OK ||
        memcmp(computed, stored, AUDIT_HASH_LEN) != 0) {
        printf("audit entry %lld: its content does not match its hash (it was changed)\n",
               (long long)e.id);
        return 1;
    }
    memcpy(vs->prev, stored, AUDIT_HASH_LEN);
    vs->have_prev = true;
    vs->count++;
    vs->after = e.id;
    return 0;
}

/* Checks one page; 0 and *more, 1 when broken, or an exit code. */
static int verify_page(client *c, verify_state *vs, bool *more)
{
    char path[96], *answer;
    snprintf(path, sizeof(path), "v1/audit?after=%lld&limit=500", (long long)vs->after);
    int rc = adminreq_call(c, CLIENT_GET, path, NULL, &answer);
    if (rc != WELDTAG_EXIT_OK)
        return rc;
    size_t len = answer ? strlen(answer) : 0, cap = len / 2 + 8;
    json_token *tokens = malloc(cap * sizeof(*tokens));
    json_doc doc;
    long items = -1;
    if (tokens && answer && json_parse(answer, len, tokens, cap, &doc, NULL) == WR_OK)
        items = json_find(&doc, 0, "items");
    if (items < 0 || doc.tokens[items].type != JSON_ARRAY) {
        tool_error("the audit listing is not what this tool expects");
        rc = WELDTAG_EXIT_SERVER;
    }
    for (size_t k = (size_t)items + 1; rc == 0 && items >= 0 && k < doc.tokens[items].next;
         k = doc.tokens[k].next)
        rc = verify_entry(&doc, k, vs);
    *more = rc == 0 && doc.tokens[items].count == 500;
    free(tokens);
    free(answer);
    return rc;
}

static int admin_audit_verify(conn_settings *conn)
{
    client *c;
    char err[256];
    if (client_open(&conn->opt, &c, err, sizeof(err)) != CLIENT_OK) {
        tool_error("%s", err);
        return WELDTAG_EXIT_NETWORK;
    }
    verify_state *vs = calloc(1, sizeof(*vs)); /* 128 KiB of text buffers: not the stack */
    bool more = true;
    int rc = vs ? 0 : WELDTAG_EXIT_USAGE;
    if (!vs)
        tool_error("out of memory");
    while (rc == 0 && more)
        rc = verify_page(c, vs, &more);
    client_close(c);
    if (rc == 0)
        printf("audit chain intact: %lld entries\n", vs->count);
    free(vs);
    return rc == 1 ? WELDTAG_EXIT_REFUSED : rc;
}

int admin_main(int argc, char **argv)
{
    conn_settings conn;
    conn_init(&conn);
    bool json = false;
    int rc = admin_options(argc, argv, &conn, &json);
    if (rc != 0) {
        conn_deinit(&conn);
        return rc > 0 ? WELDTAG_EXIT_OK : WELDTAG_EXIT_USAGE;
    }
    char **pos = argv + optind;
    int npos = argc - optind;
    if (npos == 1 && strcmp(pos[0], "audit-verify") == 0) {
        rc = admin_audit_verify(&conn);
    } else if (npos < 2 || admin_verb_of(pos[1]) < 0) {
        admin_usage(stderr);
        rc = WELDTAG_EXIT_USAGE;
    } else {
        size_t cap = 1 << 16;
        char path[4096], *body = malloc(cap);
        int verb = admin_verb_of(pos[1]);
        rc = !body || admin_build(pos[0], verb, pos + 2, npos - 2, path, sizeof(path), body, cap);
        rc = rc != 0 ? WELDTAG_EXIT_USAGE : admin_request_once(&conn, verb, path, body, json);
        free(body);
    }
    conn_deinit(&conn);
    return rc;
}
