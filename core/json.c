/* json.c — strict JSON parsing into a token array, and a JSON writer. */
#include "core/json.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Objects with more members are refused: duplicate keys are found by comparing every pair. */
#define JSON_MAX_MEMBERS 1024

typedef struct json_parser {
    const char *text;
    size_t len;
    size_t pos;
    json_token *tokens;
    size_t cap;
    size_t count;
    unsigned depth;
    json_error *err;
} json_parser;

static wr_status json_fail(json_parser *p, wr_status st, const char *message)
{
    if (!p->err)
        return st;
    unsigned line = 1, column = 1;
    for (size_t i = 0; i < p->pos && i < p->len; i++) {
        if (p->text[i] == '\n') {
            line++;
            column = 1;
        } else {
            column++;
        }
    }
    p->err->line = line;
    p->err->column = column;
    snprintf(p->err->message, sizeof(p->err->message), "%s", message);
    return st;
}

/* ---- UTF-8 ---- */

/* Length of the valid UTF-8 sequence at @p s (at most @p n bytes), or 0 if it is invalid. */
static size_t json_utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    size_t len;
    uint32_t min;
    if ((s[0] & 0xE0) == 0xC0) {
        len = 2, min = 0x80, *cp = s[0] & 0x1Fu;
    } else if ((s[0] & 0xF0) == 0xE0) {
        len = 3, min = 0x800, *cp = s[0] & 0x0Fu;
    } else if ((s[0] & 0xF8) == 0xF0) {
        len = 4, min = 0x10000, *cp = s[0] & 0x07u;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        *cp = (*cp << 6) | (s[i] & 0x3Fu);
    }
    if (*cp < min || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF))
        return 0;
    return len;
}

bool json_utf8_valid(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        uint32_t cp;
        size_t k = json_utf8_seq(u + i, n - i, &cp);
        if (k == 0)
            return false;
        i += k;
    }
    return true;
}

/* ---- strings ---- */

static int json_hex4(const char *s, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return -1;
        v = (v << 4) | (uint32_t)d;
    }
    *out = v;
    return 0;
}

/* Reads the escape at s[0] == '\\' (n bytes available); its length, or 0 if malformed. */
static size_t json_escape(const char *s, size_t n, uint32_t *cp)
{
    if (n < 2)
        return 0;
    static const char plain[] = "\"\\/bfnrt";
    static const char value[] = "\"\\/\b\f\n\r\t";
    const char *hit = memchr(plain, s[1], sizeof(plain) - 1);
    if (hit) {
        *cp = (unsigned char)value[hit - plain];
        return 2;
    }
    if (s[1] != 'u' || n < 6 || json_hex4(s + 2, cp) != 0)
        return 0;
    if (*cp >= 0xDC00 && *cp <= 0xDFFF)
        return 0; /* a low surrogate alone */
    if (*cp < 0xD800 || *cp > 0xDBFF)
        return 6;
    uint32_t low;
    if (n < 12 || s[6] != '\\' || s[7] != 'u' || json_hex4(s + 8, &low) != 0 || low < 0xDC00 ||
        low > 0xDFFF)
        return 0;
    *cp = 0x10000 + ((*cp - 0xD800) << 10) + (low - 0xDC00);
    return 12;
}

/* The next code point of the escaped content s[*pos..n), which was validated by the parser. */
static uint32_t json_next_cp(const char *s, size_t n, size_t *pos)
{
    uint32_t cp = 0;
    size_t k = s[*pos] == '\\' ? json_escape(s + *pos, n - *pos, &cp)
                               : json_utf8_seq((const unsigned char *)s + *pos, n - *pos, &cp);
    *pos += k ? k : 1;
    return cp;
}

static size_t json_utf8_put(uint32_t cp, char out[4])
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* ---- parser ---- */

static void json_skip_space(json_parser *p)
{
    while (p->pos < p->len) {
        char c = p->text[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            return;
        p->pos++;
    }
}

static wr_status json_new_token(json_parser *p, json_type type, size_t *index)
{
    if (p->count == p->cap)
        return json_fail(p, WR_ESPACE, "too many values");
    if (p->pos > UINT32_MAX)
        return json_fail(p, WR_ERANGE, "document too long");
    json_token *t = &p->tokens[p->count];
    memset(t, 0, sizeof(*t));
    t->type = type;
    t->start = (uint32_t)p->pos;
    *index = p->count++;
    return WR_OK;
}

static wr_status json_parse_string(json_parser *p)
{
    size_t index;
    p->pos++; /* the opening quote */
    wr_status st = json_new_token(p, JSON_STRING, &index);
    if (st != WR_OK)
        return st;
    while (p->pos < p->len && p->text[p->pos] != '"') {
        const char *s = p->text + p->pos;
        size_t left = p->len - p->pos;
        uint32_t cp;
        size_t k;
        if ((unsigned char)*s < 0x20)
            return json_fail(p, WR_EINVAL, "control character in string");
        if (*s == '\\')
            k = json_escape(s, left, &cp);
        else
            k = json_utf8_seq((const unsigned char *)s, left, &cp);
        if (k == 0)
            return json_fail(p, WR_EINVAL,
                             *s == '\\' ? "invalid escape in string" : "invalid UTF-8 in string");
        p->pos += k;
    }
    if (p->pos >= p->len)
        return json_fail(p, WR_EINVAL, "unterminated string");
    p->tokens[index].len = (uint32_t)(p->pos - p->tokens[index].start);
    p->pos++;
    p->tokens[index].next = (uint32_t)p->count;
    return WR_OK;
}

static size_t json_digits(const json_parser *p, size_t pos)
{
    while (pos < p->len && p->text[pos] >= '0' && p->text[pos] <= '9')
        pos++;
    return pos;
}

/* The end of the number literal at p->pos by the RFC 8259 grammar, or 0 if malformed. */
static size_t json_number_end(const json_parser *p, bool *integral)
{
    size_t pos = p->pos;
    if (pos < p->len && p->text[pos] == '-')
        pos++;
    if (pos >= p->len || p->text[pos] < '0' || p->text[pos] > '9')
        return 0;
    pos = p->text[pos] == '0' ? pos + 1 : json_digits(p, pos);
    *integral = true;
    if (pos < p->len && p->text[pos] == '.') {
        size_t end = json_digits(p, pos + 1);
        if (end == pos + 1)
            return 0;
        pos = end;
        *integral = false;
    }
    if (pos < p->len && (p->text[pos] == 'e' || p->text[pos] == 'E')) {
        pos++;
        if (pos < p->len && (p->text[pos] == '+' || p->text[pos] == '-'))
            pos++;
        size_t end = json_digits(p, pos);
        if (end == pos)
            return 0;
        pos = end;
        *integral = false;
    }
    return pos;
}

static wr_status json_parse_number(json_parser *p)
{
    bool integral;
    size_t end = json_number_end(p, &integral);
    if (end == 0)
        return json_fail(p, WR_EINVAL, "invalid number");
    if (end - p->pos > JSON_NUMBER_MAX)
        return json_fail(p, WR_EINVAL, "number too long");
    char copy[JSON_NUMBER_MAX + 1];
    memcpy(copy, p->text + p->pos, end - p->pos);
    copy[end - p->pos] = '\0';
    size_t index = 0;
    wr_status st = json_new_token(p, JSON_DOUBLE, &index);
    if (st != WR_OK)
        return st;
    json_token *t = &p->tokens[index];
    errno = 0;
    if (integral) {
        long long v = strtoll(copy, NULL, 10);
        if (errno == 0) {
            t->type = JSON_INT;
            t->i = v;
        }
    }
    errno = 0;
    t->d = strtod(copy, NULL);
    if (!isfinite(t->d))
        return json_fail(p, WR_EINVAL, "number out of range");
    t->len = (uint32_t)(end - p->pos);
    p->pos = end;
    t->next = (uint32_t)p->count;
    return WR_OK;
}

static wr_status json_parse_literal(json_parser *p)
{
    static const struct {
        const char *word;
        json_type type;
    } words[] = {{"null", JSON_NULL}, {"true", JSON_TRUE}, {"false", JSON_FALSE}};
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        size_t n = strlen(words[i].word);
        if (p->len - p->pos >= n && memcmp(p->text + p->pos, words[i].word, n) == 0) {
            size_t index = 0;
            wr_status st = json_new_token(p, words[i].type, &index);
            if (st != WR_OK)
                return st;
            p->tokens[index].len = (uint32_t)n;
            p->pos += n;
            p->tokens[index].next = (uint32_t)p->count;
            return WR_OK;
        }
    }
    return json_fail(p, WR_EINVAL, "unexpected character");
}

static wr_status json_parse_value(json_parser *p);

static bool json_keys_equal(const json_doc *doc, size_t a, size_t b)
{
    const json_token *ta = &doc->tokens[a], *tb = &doc->tokens[b];
    const char *sa = doc->text + ta->start, *sb = doc->text + tb->start;
    size_t pa = 0, pb = 0;
    while (pa < ta->len && pb < tb->len)
        if (json_next_cp(sa, ta->len, &pa) != json_next_cp(sb, tb->len, &pb))
            return false;
    return pa == ta->len && pb == tb->len;
}

/* Refuses an object whose members repeat a key; @p obj has been parsed completely. */
static wr_status json_check_duplicates(json_parser *p, size_t obj)
{
    json_doc doc = {.text = p->text, .len = p->len, .tokens = p->tokens, .count = p->count};
    size_t keys[JSON_MAX_MEMBERS];
    size_t n = 0;
    for (size_t k = obj + 1; k < p->tokens[obj].next; k = p->tokens[k + 1].next)
        keys[n++] = k;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (json_keys_equal(&doc, keys[i], keys[j]))
                return json_fail(p, WR_EINVAL, "duplicate key in object");
    return WR_OK;
}

static wr_status json_parse_member(json_parser *p)
{
    json_skip_space(p);
    if (p->pos >= p->len || p->text[p->pos] != '"')
        return json_fail(p, WR_EINVAL, "expected a string key");
    wr_status st = json_parse_string(p);
    if (st != WR_OK)
        return st;
    json_skip_space(p);
    if (p->pos >= p->len || p->text[p->pos] != ':')
        return json_fail(p, WR_EINVAL, "expected ':' after the key");
    p->pos++;
    return json_parse_value(p);
}

/* An array or object after its opening bracket. */
static wr_status json_parse_container(json_parser *p, json_type type)
{
    char close = type == JSON_OBJECT ? '}' : ']';
    size_t index;
    wr_status st = json_new_token(p, type, &index);
    if (st != WR_OK)
        return st;
    if (++p->depth > JSON_MAX_DEPTH)
        return json_fail(p, WR_EDEPTH, "nesting too deep");
    p->pos++;
    json_skip_space(p);
    uint32_t count = 0;
    if (p->pos < p->len && p->text[p->pos] == close) {
        p->pos++;
    } else {
        for (;;) {
            if (type == JSON_OBJECT && count == JSON_MAX_MEMBERS)
                return json_fail(p, WR_ERANGE, "object has too many members");
            st = type == JSON_OBJECT ? json_parse_member(p) : json_parse_value(p);
            if (st != WR_OK)
                return st;
            count++;
            json_skip_space(p);
            if (p->pos < p->len && p->text[p->pos] == ',') {
                p->pos++;
                continue;
            }
            if (p->pos < p->len && p->text[p->pos] == close) {
                p->pos++;
                break;
            }
            return json_fail(p, WR_EINVAL,
                             type == JSON_OBJECT ? "expected ',' or '}'" : "expected ',' or ']'");
        }
    }
    p->depth--;
    json_token *t = &p->tokens[index];
    t->count = count;
    t->len = (uint32_t)(p->pos - t->start);
    t->next = (uint32_t)p->count;
    return type == JSON_OBJECT ? json_check_duplicates(p, index) : WR_OK;
}

static wr_status json_parse_value(json_parser *p)
{
    json_skip_space(p);
    if (p->pos >= p->len)
        return json_fail(p, WR_EINVAL, "unexpected end of input");
    char c = p->text[p->pos];
    if (c == '{')
        return json_parse_container(p, JSON_OBJECT);
    if (c == '[')
        return json_parse_container(p, JSON_ARRAY);
    if (c == '"')
        return json_parse_string(p);
    if (c == '-' || (c >= '0' && c <= '9'))
        return json_parse_number(p);
    return json_parse_literal(p);
}

wr_status json_parse(const char *text, size_t len, json_token *tokens, size_t cap, json_doc *doc,
                     json_error *err)
{
    json_parser p = {.text = text, .len = len, .tokens = tokens, .cap = cap, .err = err};
    memset(doc, 0, sizeof(*doc));
    if (err)
        memset(err, 0, sizeof(*err));
    if (len > UINT32_MAX)
        return json_fail(&p, WR_ERANGE, "document too long");
    wr_status st = json_parse_value(&p);
    if (st != WR_OK)
        return st;
    json_skip_space(&p);
    if (p.pos != len)
        return json_fail(&p, WR_EINVAL, "unexpected text after the value");
    *doc = (json_doc){.text = text, .len = len, .tokens = tokens, .count = p.count};
    return WR_OK;
}

/* ---- access ---- */

long json_find(const json_doc *doc, size_t obj, const char *key)
{
    if (obj >= doc->count || doc->tokens[obj].type != JSON_OBJECT)
        return -1;
    for (size_t k = obj + 1; k < doc->tokens[obj].next; k = doc->tokens[k + 1].next)
        if (json_string_is(doc, k, key))
            return (long)(k + 1);
    return -1;
}

wr_status json_string(const json_doc *doc, size_t tok, char *out, size_t cap, size_t *len)
{
    if (cap > 0)
        out[0] = '\0';
    if (tok >= doc->count || doc->tokens[tok].type != JSON_STRING)
        return WR_ETYPE;
    const json_token *t = &doc->tokens[tok];
    const char *s = doc->text + t->start;
    size_t pos = 0, n = 0;
    while (pos < t->len) {
        char bytes[4];
        size_t k = json_utf8_put(json_next_cp(s, t->len, &pos), bytes);
        if (n + k >= cap) {
            if (cap > 0)
                out[0] = '\0';
            return WR_ESPACE;
        }
        memcpy(out + n, bytes, k);
        n += k;
    }
    if (cap == 0)
        return WR_ESPACE;
    out[n] = '\0';
    if (len)
        *len = n;
    return WR_OK;
}

bool json_string_is(const json_doc *doc, size_t tok, const char *s)
{
    if (tok >= doc->count || doc->tokens[tok].type != JSON_STRING)
        return false;
    const json_token *t = &doc->tokens[tok];
    const char *text = doc->text + t->start;
    size_t pos = 0, n = strlen(s), i = 0;
    /* Without an escape the content is its own decoding (the parser checked its UTF-8): the
     * common case, a key compared with each name a record knows, needs no decoding. */
    if (!memchr(text, '\\', t->len))
        return t->len == n && memcmp(text, s, n) == 0;
    while (pos < t->len) {
        char bytes[4];
        size_t k = json_utf8_put(json_next_cp(text, t->len, &pos), bytes);
        if (i + k > n || memcmp(s + i, bytes, k) != 0)
            return false;
        i += k;
    }
    return i == n;
}

const char *json_type_name(json_type type)
{
    switch (type) {
    case JSON_NULL: return "null";
    case JSON_FALSE:
    case JSON_TRUE: return "boolean";
    case JSON_INT:
    case JSON_DOUBLE: return "number";
    case JSON_STRING: return "string";
    case JSON_ARRAY: return "array";
    case JSON_OBJECT: return "object";
    }
    return "unknown";
}

/* ---- writer ---- */

void json_writer_init(json_writer *w, char *buf, size_t cap)
{
    memset(w, 0, sizeof(*w));
    w->buf = buf;
    w->cap = cap;
    w->first[0] = true;
    if (cap > 0)
        buf[0] = '\0';
    else
        w->err = WR_ESPACE;
}

static void json_raw(json_writer *w, const char *s, size_t n)
{
    if (w->err != WR_OK)
        return;
    if (n >= w->cap - w->len) {
        w->err = WR_ESPACE;
        return;
    }
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    w->buf[w->len] = '\0';
}

/* Called before every value: a comma between array items, nothing after a key. */
static void json_before_value(json_writer *w)
{
    if (w->err != WR_OK)
        return;
    if (w->in_object[w->depth] && !w->want_value) {
        w->err = WR_EINVAL; /* a value where a key is due */
        return;
    }
    if (w->want_value) {
        w->want_value = false;
        return;
    }
    if (w->depth == 0 && !w->first[0]) {
        w->err = WR_EINVAL; /* a second top-level value */
        return;
    }
    if (!w->first[w->depth])
        json_raw(w, ",", 1);
    w->first[w->depth] = false;
}

static void json_open(json_writer *w, bool object)
{
    json_before_value(w);
    if (w->err == WR_OK && w->depth == JSON_MAX_DEPTH)
        w->err = WR_EDEPTH;
    json_raw(w, object ? "{" : "[", 1);
    if (w->err != WR_OK)
        return;
    w->depth++;
    w->first[w->depth] = true;
    w->in_object[w->depth] = object;
}

static void json_close(json_writer *w, bool object)
{
    if (w->err == WR_OK && (w->depth == 0 || w->in_object[w->depth] != object || w->want_value))
        w->err = WR_EINVAL;
    json_raw(w, object ? "}" : "]", 1);
    if (w->err == WR_OK)
        w->depth--;
}

void json_begin_object(json_writer *w)
{
    json_open(w, true);
}

void json_end_object(json_writer *w)
{
    json_close(w, true);
}

void json_begin_array(json_writer *w)
{
    json_open(w, false);
}

void json_end_array(json_writer *w)
{
    json_close(w, false);
}

static void json_quoted(json_writer *w, const char *s, size_t n)
{
    if (w->err == WR_OK && !json_utf8_valid(s, n)) {
        w->err = WR_EINVAL;
        return;
    }
    json_raw(w, "\"", 1);
    size_t run = 0; /* bytes of s[run_start..] that need no escape */
    size_t run_start = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            run++;
            continue;
        }
        json_raw(w, s + run_start, run);
        char esc[8];
        if (c == '"' || c == '\\')
            snprintf(esc, sizeof(esc), "\\%c", c);
        else if (c == '\n')
            snprintf(esc, sizeof(esc), "\\n");
        else if (c == '\t')
            snprintf(esc, sizeof(esc), "\\t");
        else if (c == '\r')
            snprintf(esc, sizeof(esc), "\\r");
        else
            snprintf(esc, sizeof(esc), "\\u%04x", c);
        json_raw(w, esc, strlen(esc));
        run_start = i + 1;
        run = 0;
    }
    json_raw(w, s + run_start, run);
    json_raw(w, "\"", 1);
}

void json_key(json_writer *w, const char *key)
{
    json_key_text(w, key, strlen(key));
}

void json_key_text(json_writer *w, const char *key, size_t n)
{
    if (w->err == WR_OK && (!w->in_object[w->depth] || w->want_value))
        w->err = WR_EINVAL;
    if (w->err != WR_OK)
        return;
    if (!w->first[w->depth])
        json_raw(w, ",", 1);
    w->first[w->depth] = false;
    json_quoted(w, key, n);
    json_raw(w, ":", 1);
    w->want_value = true;
}

void json_put_text(json_writer *w, const char *s, size_t n)
{
    json_before_value(w);
    json_quoted(w, s, n);
}

void json_put_cstr(json_writer *w, const char *s)
{
    json_put_text(w, s, strlen(s));
}

void json_put_int(json_writer *w, int64_t v)
{
    char text[24];
    json_before_value(w);
    json_raw(w, text, (size_t)snprintf(text, sizeof(text), "%" PRId64, v));
}

void json_put_double(json_writer *w, double d)
{
    json_before_value(w);
    if (w->err == WR_OK && !isfinite(d)) {
        w->err = WR_EINVAL;
        return;
    }
    /* the shortest of 15 or 17 significant digits that reads back as the same double */
    char text[32];
    snprintf(text, sizeof(text), "%.15g", d);
    if (strtod(text, NULL) != d)
        snprintf(text, sizeof(text), "%.17g", d);
    json_raw(w, text, strlen(text));
}

void json_put_bool(json_writer *w, bool b)
{
    json_before_value(w);
    json_raw(w, b ? "true" : "false", b ? 4 : 5);
}

void json_put_null(json_writer *w)
{
    json_before_value(w);
    json_raw(w, "null", 4);
}

wr_status json_writer_status(const json_writer *w)
{
    if (w->err == WR_OK && (w->depth != 0 || w->want_value))
        return WR_EINVAL; /* unfinished */
    return w->err;
}
