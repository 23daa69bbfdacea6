/* psklist.c — parsing, sorting and searching "identity psk" lines. */
#include "bench/psklist.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int psklist_identity_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           strchr("_.:@-", c) != NULL;
}

static int psklist_key_char(char c)
{
    return c > ' ' && c < 0x7f;
}

/* Moves *@p p over blanks, then over a token of allowed characters; returns its length. */
static size_t psklist_token(const char **p, const char *end, int (*allowed)(char),
                            const char **start)
{
    while (*p < end && (**p == ' ' || **p == '\t' || **p == '\r'))
        (*p)++;
    *start = *p;
    while (*p < end && allowed(**p))
        (*p)++;
    return (size_t)(*p - *start);
}

static int psklist_add(psklist *list, size_t *cap, const char *id, size_t id_len, const char *key,
                       size_t key_len)
{
    if (list->count == *cap) {
        size_t next = *cap ? *cap * 2 : 64;
        psklist_entry *grown = realloc(list->entries, next * sizeof(*grown));
        if (!grown)
            return -1;
        list->entries = grown;
        *cap = next;
    }
    psklist_entry *e = &list->entries[list->count++];
    memcpy(e->identity, id, id_len);
    e->identity[id_len] = '\0';
    e->identity_len = id_len;
    memcpy(e->key, key, key_len);
    e->key[key_len] = '\0';
    e->key_len = key_len;
    return 0;
}

/* Parses one line [p, end); a blank or comment line adds nothing. */
static int psklist_parse_line(psklist *list, size_t *cap, const char *p, const char *end,
                              const char **why)
{
    const char *id, *key, *rest;
    size_t id_len = psklist_token(&p, end, psklist_identity_char, &id);
    if (id_len == 0 && (p == end || *p == '#'))
        return 0;
    if (id_len == 0 || id_len > PSKLIST_IDENTITY_MAX || (p < end && *p != ' ' && *p != '\t')) {
        *why = "the identity must be 1 to 64 characters of A-Z a-z 0-9 _ . : @ -";
        return -1;
    }
    size_t key_len = psklist_token(&p, end, psklist_key_char, &key);
    if (key_len == 0 || key_len > PSKLIST_KEY_MAX) {
        *why = "expected \"IDENTITY PSK\" with a key of 1 to 64 printable characters";
        return -1;
    }
    if (psklist_token(&p, end, psklist_key_char, &rest) != 0 || p != end) {
        *why = "unexpected text after the key";
        return -1;
    }
    if (psklist_add(list, cap, id, id_len, key, key_len) != 0) {
        *why = "out of memory";
        return -1;
    }
    return 0;
}

int psklist_parse(psklist *list, const char *text, size_t len, char *err, size_t errlen)
{
    memset(list, 0, sizeof(*list));
    size_t cap = 0, line = 1;
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = nl ? nl : end;
        const char *why = NULL;
        if (psklist_parse_line(list, &cap, p, line_end, &why) != 0) {
            snprintf(err, errlen, "line %zu: %s", line, why);
            psklist_deinit(list);
            return -1;
        }
        p = nl ? nl + 1 : end;
        line++;
    }
    return 0;
}

int psklist_load(psklist *list, const char *path, char *err, size_t errlen)
{
    memset(list, 0, sizeof(*list));
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "could not open \"%s\": %s", path, strerror(errno));
        return -1;
    }
    char *text = NULL;
    size_t len = 0, cap = 0;
    int rc = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 1 << 16;
            char *grown = realloc(text, cap);
            if (!grown) {
                rc = -1;
                break;
            }
            text = grown;
        }
        size_t n = fread(text + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
    }
    if (rc != 0 || ferror(f)) {
        snprintf(err, errlen, "could not read \"%s\"", path);
        rc = -1;
    } else {
        char why[256];
        rc = psklist_parse(list, text, len, why, sizeof(why));
        if (rc != 0)
            snprintf(err, errlen, "\"%s\" %s", path, why);
    }
    fclose(f);
    if (text)
        OPENSSL_cleanse(text, len);
    free(text);
    return rc;
}

static int psklist_compare(const void *a, const void *b)
{
    const psklist_entry *x = a, *y = b;
    size_t n = x->identity_len < y->identity_len ? x->identity_len : y->identity_len;
    int c = memcmp(x->identity, y->identity, n);
    if (c != 0)
        return c;
    return (x->identity_len > y->identity_len) - (x->identity_len < y->identity_len);
}

int psklist_sort(psklist *list, char *err, size_t errlen)
{
    if (list->count > 1)
        qsort(list->entries, list->count, sizeof(*list->entries), psklist_compare);
    for (size_t i = 1; i < list->count; i++) {
        if (psklist_compare(&list->entries[i - 1], &list->entries[i]) == 0) {
            snprintf(err, errlen, "identity \"%s\" appears twice", list->entries[i].identity);
            return -1;
        }
    }
    return 0;
}

const psklist_entry *psklist_find(const psklist *list, const char *identity, size_t len)
{
    if (len == 0 || len > PSKLIST_IDENTITY_MAX || list->count == 0)
        return NULL;
    psklist_entry key;
    memcpy(key.identity, identity, len);
    key.identity[len] = '\0';
    key.identity_len = len;
    return bsearch(&key, list->entries, list->count, sizeof(*list->entries), psklist_compare);
}

void psklist_deinit(psklist *list)
{
    if (list->entries)
        OPENSSL_cleanse(list->entries, list->count * sizeof(*list->entries));
    free(list->entries);
    memset(list, 0, sizeof(*list));
}
