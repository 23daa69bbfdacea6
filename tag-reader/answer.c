/* answer.c — the server's JSON answers, read for people. */
#include "tag-reader/answer.h"

#include <stdbool.h>
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

/* Terminal columns of code point @p cp. */
static int answer_width(unsigned cp)
{
    /* East Asian wide: CJK, Hangul, full-width forms */
    return (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
                   (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
                   (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
                   (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x20000 && cp <= 0x3FFFD)
               ? 2
               : 1;
}

/* The UTF-8 character at @p p: its bytes (stopping at a NUL) and its columns. */
static int answer_char(const unsigned char *p, int *columns)
{
    int n = *p < 0x80 ? 1 : *p < 0xE0 ? 2 : *p < 0xF0 ? 3 : 4;
    unsigned cp = n == 1 ? *p : *p & (0x3Fu >> (n - 1));
    int i = 1;
    for (; i < n && p[i]; i++)
        cp = (cp << 6) | (p[i] & 0x3Fu);
    *columns = answer_width(cp);
    return i;
}

int answer_columns(const char *text)
{
    int total = 0, w;
    for (const unsigned char *p = (const unsigned char *)text; *p; total += w)
        p += answer_char(p, &w);
    return total;
}

void answer_cell(FILE *out, const char *text, int width)
{
    const unsigned char *s = (const unsigned char *)text;
    int total = answer_columns(text), w;
    int room = total <= width ? width : width - 1, used = 0;
    for (const unsigned char *p = s; *p;) {
        int n = answer_char(p, &w);
        if (used + w > room)
            break;
        fwrite(p, 1, (size_t)n, out);
        used += w;
        p += n;
    }
    if (total > width) {
        fputc('~', out);
        used++;
    }
    for (; used < width; used++)
        fputc(' ', out);
}
