/* adminreq.c — request bodies from arguments, CBOR on the wire, JSON for people. */
#include "tag-reader/adminreq.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsoncbor.h"
#include "core/registry_rules.h"
#include "tag-reader/commands.h"

typedef enum value_kind {
    VALUE_TEXT,
    VALUE_INT,
    VALUE_NUMBER,
    VALUE_BOOL,
    VALUE_INTS,
    VALUE_TEXTS
} value_kind;

static const struct {
    const char *key;
    value_kind kind;
} adminreq_typed[] = {
    {"id", VALUE_INT},
    {"enterprise_id", VALUE_INT},
    {"community_id", VALUE_INT},
    {"rated_current_a", VALUE_INT},
    {"site_radius_m", VALUE_INT},
    {"site_lat", VALUE_NUMBER},
    {"site_lon", VALUE_NUMBER},
    {"lat", VALUE_NUMBER},
    {"lon", VALUE_NUMBER},
    {"observed_at", VALUE_INT},
    {"count", VALUE_INT},
    {"per_target", VALUE_INT},
    {"radius_m", VALUE_NUMBER},
    {"machine_id", VALUE_INT},
    {"welder_id", VALUE_INT},
    {"long_record", VALUE_BOOL},
    {"revoke_old", VALUE_BOOL},
    {"all_machines", VALUE_BOOL},
    {"welders", VALUE_INTS},
    {"add_welders", VALUE_INTS},
    {"remove_welders", VALUE_INTS},
    {"add_machines", VALUE_INTS},
    {"remove_machines", VALUE_INTS},
    {"gas_value", VALUE_NUMBER},
    {"year", VALUE_INT},
    {"machines", VALUE_INTS},
    {"communities", VALUE_INTS},
    {"categories", VALUE_TEXTS},
};

static value_kind adminreq_kind(const char *key)
{
    for (size_t i = 0; i < sizeof(adminreq_typed) / sizeof(adminreq_typed[0]); i++)
        if (strcmp(adminreq_typed[i].key, key) == 0)
            return adminreq_typed[i].kind;
    return VALUE_TEXT;
}

/* Writes one number as JSON after checking it is one. */
static int adminreq_number(json_writer *w, const char *text, bool integer)
{
    json_token t[1];
    json_doc doc;
    if (json_parse(text, strlen(text), t, 1, &doc, NULL) != WR_OK ||
        (t[0].type != JSON_INT && (integer || t[0].type != JSON_DOUBLE)))
        return -1;
    if (t[0].type == JSON_INT)
        json_put_int(w, t[0].i);
    else
        json_put_double(w, t[0].d);
    return 0;
}

static int adminreq_list(json_writer *w, char *value, bool integers)
{
    json_begin_array(w);
    for (char *save = NULL, *item = strtok_r(value, ",;", &save); item;
         item = strtok_r(NULL, ",;", &save)) {
        if (!integers)
            json_put_cstr(w, item);
        else if (adminreq_number(w, item, true) != 0)
            return -1;
    }
    json_end_array(w);
    return 0;
}

static int adminreq_value(json_writer *w, const char *key, char *value)
{
    switch (adminreq_kind(key)) {
    case VALUE_TEXT: json_put_cstr(w, value); return 0;
    case VALUE_INT: return adminreq_number(w, value, true);
    case VALUE_NUMBER: return adminreq_number(w, value, false);
    case VALUE_BOOL:
        if (strcmp(value, "true") != 0 && strcmp(value, "false") != 0)
            return -1;
        json_put_bool(w, value[0] == 't');
        return 0;
    case VALUE_INTS: return adminreq_list(w, value, true);
    case VALUE_TEXTS: return adminreq_list(w, value, false);
    }
    return -1;
}

/* "key:=json": the raw value, checked and copied. */
static int adminreq_raw(json_writer *w, const char *value)
{
    json_token tokens[256];
    json_doc doc;
    if (json_parse(value, strlen(value), tokens, 256, &doc, NULL) != WR_OK)
        return -1;
    return rules_copy_value(&doc, 0, w) == WR_OK ? 0 : -1;
}

int adminreq_body(char *const *args, int n, char *out, size_t cap, char *err, size_t errlen)
{
    json_writer w;
    json_writer_init(&w, out, cap);
    json_begin_object(&w);
    for (int i = 0; i < n; i++) {
        char arg[2048];
        snprintf(arg, sizeof(arg), "%s", args[i]);
        char *eq = strchr(arg, '=');
        if (!eq || eq == arg) {
            snprintf(err, errlen, "expected KEY=VALUE or KEY:=JSON, got \"%s\"", args[i]);
            return -1;
        }
        bool raw = eq > arg + 1 && eq[-1] == ':';
        eq[raw ? -1 : 0] = '\0';
        char *value = eq + 1;
        json_key(&w, arg);
        if ((raw ? adminreq_raw(&w, value) : adminreq_value(&w, arg, value)) != 0) {
            snprintf(err, errlen, "\"%s\": not a valid value for this field", args[i]);
            return -1;
        }
    }
    json_end_object(&w);
    if (json_writer_status(&w) != WR_OK) {
        snprintf(err, errlen, "the arguments are too long or not UTF-8");
        return -1;
    }
    return 0;
}

int adminreq_query(char *const *args, int n, char *out, size_t cap, char *err, size_t errlen)
{
    size_t len = 0;
    out[0] = '\0';
    for (int i = 0; i < n; i++) {
        if (!strchr(args[i], '=') || strchr(args[i], '&')) {
            snprintf(err, errlen, "expected a filter KEY=VALUE, got \"%s\"", args[i]);
            return -1;
        }
        int k = snprintf(out + len, cap - len, "%c%s", i ? '&' : '?', args[i]);
        if (k < 0 || (size_t)k >= cap - len) {
            snprintf(err, errlen, "too many filters");
            return -1;
        }
        len += (size_t)k;
    }
    return 0;
}

int adminreq_answer(const client_response *resp, char **answer)
{
    *answer = NULL;
    if (!resp->body_len)
        return WELDTAG_EXIT_OK;
    size_t cap = 6 * resp->body_len + 64;
    *answer = malloc(cap);
    json_writer w;
    json_writer_init(&w, *answer, *answer ? cap : 0);
    if (!*answer || jsoncbor_from_cbor(resp->body, resp->body_len, &w) != WR_OK) {
        free(*answer);
        *answer = NULL;
        tool_error("the server's answer is not CBOR this tool can read");
        return WELDTAG_EXIT_SERVER;
    }
    return WELDTAG_EXIT_OK;
}

int adminreq_call(client *c, int method, const char *path, const char *json, char **answer)
{
    *answer = NULL;
    uint8_t *cbor = NULL;
    size_t cbor_len = 0;
    if (json) {
        size_t len = strlen(json), cap = len / 2 + 8;
        json_token *tokens = malloc(cap * sizeof(*tokens));
        cbor = malloc(3 * len + 16);
        json_doc doc;
        cbor_writer w;
        cbor_writer_init(&w, cbor, cbor ? 3 * len + 16 : 0);
        bool ok = tokens && cbor && json_parse(json, len, tokens, cap, &doc, NULL) == WR_OK &&
                  jsoncbor_to_cbor(&doc, 0, &w) == WR_OK;
        free(tokens);
        if (!ok) {
            free(cbor);
            tool_error("could not encode the request");
            return WELDTAG_EXIT_USAGE;
        }
        cbor_len = w.len;
    }
    client_response resp;
    char err[256];
    client_status st = client_call(c, method, path, json ? CLIENT_FORMAT_CBOR : -1, cbor, cbor_len,
                                   &resp, err, sizeof(err));
    free(cbor);
    if (st != CLIENT_OK) {
        tool_error("%s", err);
        return st == CLIENT_EUSAGE ? WELDTAG_EXIT_USAGE : WELDTAG_EXIT_NETWORK;
    }
    int rc = resp.code_class != 2 ? tool_report_refusal(&resp) : adminreq_answer(&resp, answer);
    client_response_deinit(&resp);
    return rc;
}

static void adminreq_indent(unsigned depth)
{
    for (unsigned i = 0; i < depth; i++)
        fputs("  ", stdout);
}

/* Prints the value at @p tok indented; returns the next token. */
static size_t adminreq_pretty(const json_doc *doc, size_t tok, unsigned depth)
{
    const json_token *t = &doc->tokens[tok];
    if (t->type != JSON_ARRAY && t->type != JSON_OBJECT) {
        fwrite(doc->text + t->start - (t->type == JSON_STRING), 1,
               t->len + (t->type == JSON_STRING ? 2 : 0), stdout);
        return t->next;
    }
    bool object = t->type == JSON_OBJECT;
    if (t->count == 0) {
        fputs(object ? "{}" : "[]", stdout);
        return t->next;
    }
    fputs(object ? "{\n" : "[\n", stdout);
    size_t k = tok + 1;
    for (uint32_t i = 0; i < t->count; i++) {
        adminreq_indent(depth + 1);
        if (object) {
            k = adminreq_pretty(doc, k, depth + 1);
            fputs(": ", stdout);
        }
        k = adminreq_pretty(doc, k, depth + 1);
        fputs(i + 1 < t->count ? ",\n" : "\n", stdout);
    }
    adminreq_indent(depth);
    fputs(object ? "}" : "]", stdout);
    return t->next;
}

int adminreq_print(const char *json, bool compact)
{
    if (compact) {
        printf("%s\n", json);
        return 0;
    }
    size_t len = strlen(json), cap = len / 2 + 8;
    json_token *tokens = malloc(cap * sizeof(*tokens));
    json_doc doc;
    int rc = tokens && json_parse(json, len, tokens, cap, &doc, NULL) == WR_OK ? 0 : -1;
    if (rc == 0) {
        adminreq_pretty(&doc, 0, 0);
        fputc('\n', stdout);
    }
    free(tokens);
    return rc;
}
