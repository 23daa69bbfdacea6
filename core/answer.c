/* answer.c — the server's JSON answers, read for people: values by dotted path as text. */
#include "core/answer.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int answer_parse(answer_doc *a, const char *json)
{
    size_t len = strlen(json), cap = len / 2 + 8;
    a->tokens = malloc(cap * sizeof(*a->tokens));
    if (!a->tokens || json_parse(json, len, a->tokens, cap, &a->doc, NULL) != WR_OK) {
        free(a->tokens);
        a->tokens = NULL;
        return -1;
    }
    return 0;
}

void answer_deinit(answer_doc *a)
{
    free(a->tokens);
    a->tokens = NULL;
}

long answer_find(const answer_doc *a, size_t obj, const char *path)
{
    long tok = (long)obj;
    char key[64];
    while (*path) {
        size_t n = strcspn(path, ".");
        if (n >= sizeof(key) || a->doc.tokens[tok].type != JSON_OBJECT)
            return -1;
        memcpy(key, path, n);
        key[n] = '\0';
        tok = json_find(&a->doc, (size_t)tok, key);
        if (tok < 0 || a->doc.tokens[tok].type == JSON_NULL)
            return -1;
        path += n + (path[n] == '.');
    }
    return tok;
}

/* Appends the scalar at @p tok to @p buf (at @p used). */
static size_t answer_scalar(const answer_doc *a, size_t tok, char *buf, size_t cap, size_t used)
{
    const json_token *t = &a->doc.tokens[tok];
    if (used >= cap)
        return used;
    if (t->type == JSON_STRING) {
        size_t len = 0;
        if (json_string(&a->doc, tok, buf + used, cap - used, &len) == WR_OK)
            return used + len;
        return used;
    }
    size_t n = t->len < cap - used - 1 ? t->len : cap - used - 1;
    memcpy(buf + used, a->doc.text + t->start, n);
    buf[used + n] = '\0';
    return used + n;
}

const char *answer_text(const answer_doc *a, size_t obj, const char *path, const char *absent,
                        char *buf, size_t cap)
{
    long tok = answer_find(a, obj, path);
    snprintf(buf, cap, "%s", absent);
    if (tok < 0)
        return buf;
    const json_token *t = &a->doc.tokens[tok];
    if (t->type == JSON_OBJECT)
        return buf;
    if (t->type != JSON_ARRAY) {
        answer_scalar(a, (size_t)tok, buf, cap, 0);
        return buf;
    }
    size_t used = 0;
    buf[0] = '\0';
    for (size_t k = (size_t)tok + 1; k < t->next; k = a->doc.tokens[k].next) {
        if (used && used + 1 < cap) {
            buf[used++] = ',';
            buf[used] = '\0';
        }
        used = answer_scalar(a, k, buf, cap, used);
    }
    return buf;
}

const char *answer_time(const answer_doc *a, size_t obj, const char *path, char *buf, size_t cap)
{
    char raw[64];
    answer_text(a, obj, path, "-", raw, sizeof(raw));
    if (strlen(raw) < 19 || raw[10] != 'T') {
        snprintf(buf, cap, "%s", raw);
        return buf;
    }
    const char *zone = raw + 19 + strspn(raw + 19, ".0123456789");
    char z[8] = "";
    if (*zone == '+' || *zone == '-')
        snprintf(z, sizeof(z), "%.3s", zone); /* "+08" of "+08:00" */
    else if (*zone == 'Z')
        snprintf(z, sizeof(z), "Z");
    snprintf(buf, cap, "%.10s %.8s%s", raw, raw + 11, z);
    return buf;
}
