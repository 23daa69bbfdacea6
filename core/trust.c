/* trust.c — strict parsers of the trust list and the revocation list (untrusted text in memory),
 * and lookups in them. */
#include "core/trust.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TRUST_FIELDS    6
#define SHOWN_TOKEN_MAX 40

typedef struct token {
    const char *p;
    size_t n;
} token;

/* One line of input, split into whitespace-separated tokens. */
typedef struct line {
    size_t number;
    token tokens[TRUST_FIELDS + 1];
    size_t count; /* may exceed the array: extra tokens are counted, not stored */
} line;

typedef struct line_iter {
    const char *p;
    const char *end;
    size_t number;
} line_iter;

__attribute__((format(printf, 3, 4))) static void set_error(trust_error *err, size_t line_no,
                                                            const char *fmt, ...)
{
    if (!err)
        return;
    char detail[sizeof(err->message) - 32]; /* room for "line N: " */
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    err->line = line_no;
    if (line_no > 0)
        (void)snprintf(err->message, sizeof(err->message), "line %zu: %s", line_no, detail);
    else
        (void)snprintf(err->message, sizeof(err->message), "%s", detail);
}

/* Copies @p t for an error message: at most SHOWN_TOKEN_MAX bytes, non-printable as '?'. */
static const char *shown(const token *t, char out[SHOWN_TOKEN_MAX + 4])
{
    size_t n = t->n < SHOWN_TOKEN_MAX ? t->n : SHOWN_TOKEN_MAX;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)t->p[i];
        if (c >= 0x20 && c < 0x7f)
            out[i] = (char)c;
        else
            out[i] = '?';
    }
    const char *ellipsis = t->n > n ? "..." : "";
    memcpy(out + n, ellipsis, strlen(ellipsis) + 1);
    return out;
}

static bool token_is(const token *t, const char *s)
{
    return t->n == strlen(s) && memcmp(t->p, s, t->n) == 0;
}

static void split_line(const char *p, size_t n, line *out)
{
    out->count = 0;
    size_t i = 0;
    while (i < n) {
        while (i < n && (p[i] == ' ' || p[i] == '\t'))
            i++;
        if (i == n)
            break;
        size_t start = i;
        while (i < n && p[i] != ' ' && p[i] != '\t')
            i++;
        if (out->count < TRUST_FIELDS + 1)
            out->tokens[out->count] = (token){p + start, i - start};
        out->count++;
    }
}

/* Next line that is neither blank nor a comment. Returns WR_ENOTFOUND at the end, WR_EINVAL
 * (with err set) for a NUL byte. */
static wr_status next_line(line_iter *it, line *out, trust_error *err)
{
    while (it->p < it->end) {
        const char *nl = memchr(it->p, '\n', (size_t)(it->end - it->p));
        const char *stop = nl ? nl : it->end;
        const char *start = it->p;
        size_t n = (size_t)(stop - start);
        it->p = nl ? nl + 1 : it->end;
        it->number++;
        if (memchr(start, '\0', n)) {
            set_error(err, it->number, "contains a NUL byte");
            return WR_EINVAL;
        }
        if (n > 0 && start[n - 1] == '\r')
            n--;
        split_line(start, n, out);
        out->number = it->number;
        if (out->count > 0 && out->tokens[0].p[0] != '#')
            return WR_OK;
    }
    return WR_ENOTFOUND;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool parse_hex(const token *t, uint8_t *out, size_t n)
{
    if (t->n != 2 * n)
        return false;
    for (size_t i = 0; i < n; i++) {
        int hi = hex_digit(t->p[2 * i]), lo = hex_digit(t->p[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

static bool parse_u64(const token *t, uint64_t *out)
{
    uint64_t v = 0;
    if (t->n == 0 || t->n > 20)
        return false;
    for (size_t i = 0; i < t->n; i++) {
        if (t->p[i] < '0' || t->p[i] > '9')
            return false;
        unsigned d = (unsigned)(t->p[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

static int base64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* Strict RFC 4648 base64: padded, no whitespace, unused bits zero. */
static bool parse_base64(const token *t, uint8_t *out, size_t cap, size_t *len)
{
    if (t->n == 0 || t->n % 4 != 0)
        return false;
    size_t pad = t->p[t->n - 1] == '=' ? (t->p[t->n - 2] == '=' ? 2 : 1) : 0;
    size_t n = t->n / 4 * 3 - pad;
    if (n > cap)
        return false;
    uint32_t acc = 0;
    size_t o = 0;
    for (size_t i = 0; i < t->n - pad; i++) {
        int v = base64_value(t->p[i]);
        if (v < 0)
            return false;
        acc = acc << 6 | (uint32_t)v;
        if (i % 4 == 3) {
            out[o++] = (uint8_t)(acc >> 16);
            out[o++] = (uint8_t)(acc >> 8);
            out[o++] = (uint8_t)acc;
            acc = 0;
        }
    }
    if (pad == 2) {
        if (acc & 0xf)
            return false;
        out[o++] = (uint8_t)(acc >> 4);
    } else if (pad == 1) {
        if (acc & 0x3)
            return false;
        out[o++] = (uint8_t)(acc >> 10);
        out[o++] = (uint8_t)(acc >> 2);
    }
    *len = o;
    return true;
}

/* ---- Trust list --------------------------------------------------------------------------- */

static bool parse_types(const token *t, unsigned *types)
{
    if (token_is(t, "m"))
        *types = TRUST_TYPE_MACHINE;
    else if (token_is(t, "w"))
        *types = TRUST_TYPE_WELDER;
    else if (token_is(t, "mw"))
        *types = TRUST_TYPE_MACHINE | TRUST_TYPE_WELDER;
    else
        return false;
    return true;
}

static bool parse_alg(const token *t, int64_t *alg)
{
    if (token_is(t, "ed25519"))
        *alg = COSE_ALG_EDDSA;
    else if (token_is(t, "es256"))
        *alg = COSE_ALG_ES256;
    else
        return false;
    return true;
}

/* Fields other than the key: id, algorithm, window, types. */
static wr_status parse_key_fields(const line *l, trust_key *key, trust_error *err)
{
    char buf[SHOWN_TOKEN_MAX + 4];
    if (l->count != TRUST_FIELDS) {
        set_error(err, l->number, "expected %d fields, found %zu", TRUST_FIELDS, l->count);
        return WR_EINVAL;
    }
    if (!parse_hex(&l->tokens[0], key->kid, COSE_KID_LEN)) {
        set_error(err, l->number, "invalid key id \"%s\": expected 16 hex digits",
                  shown(&l->tokens[0], buf));
        return WR_EINVAL;
    }
    if (!parse_alg(&l->tokens[1], &key->alg)) {
        set_error(err, l->number, "unknown algorithm \"%s\"", shown(&l->tokens[1], buf));
        return WR_EINVAL;
    }
    for (int i = 2; i <= 3; i++) {
        uint64_t *when = i == 2 ? &key->not_before : &key->not_after;
        if (!parse_u64(&l->tokens[i], when)) {
            set_error(err, l->number, "invalid time \"%s\": expected unix seconds",
                      shown(&l->tokens[i], buf));
            return WR_EINVAL;
        }
    }
    if (key->not_before > key->not_after) {
        set_error(err, l->number, "not_before is after not_after");
        return WR_ERANGE;
    }
    if (!parse_types(&l->tokens[4], &key->types)) {
        set_error(err, l->number, "unknown code types \"%s\": expected m, w or mw",
                  shown(&l->tokens[4], buf));
        return WR_EINVAL;
    }
    return WR_OK;
}

static wr_status parse_public_key(const line *l, trust_key *key, trust_error *err)
{
    char buf[SHOWN_TOKEN_MAX + 4];
    uint8_t raw[COSE_PUBKEY_MAX], kid[COSE_KID_LEN];
    size_t raw_len = 0;
    if (!parse_base64(&l->tokens[5], raw, sizeof(raw), &raw_len)) {
        set_error(err, l->number, "invalid public key \"%s\": expected base64",
                  shown(&l->tokens[5], buf));
        return WR_EINVAL;
    }
    if (cose_key_from_raw_public(key->alg, raw, raw_len, &key->pkey) != WR_OK) {
        set_error(err, l->number, "public key is not a valid %s key", shown(&l->tokens[1], buf));
        return WR_EKEY;
    }
    wr_status st = cose_key_id(key->pkey, kid);
    if (st == WR_OK && memcmp(kid, key->kid, COSE_KID_LEN) != 0) {
        set_error(err, l->number, "key id \"%s\" does not match the public key",
                  shown(&l->tokens[0], buf));
        st = WR_EKEY;
    }
    if (st != WR_OK) {
        EVP_PKEY_free(key->pkey);
        key->pkey = NULL;
    }
    return st;
}

static wr_status add_key(trust_list *list, size_t *cap, const trust_key *key, size_t line_no,
                         trust_error *err)
{
    if (trust_list_find(list, key->kid, COSE_KID_LEN)) {
        set_error(err, line_no, "duplicate key id");
        return WR_EINVAL;
    }
    if (list->count == TRUST_MAX_ENTRIES) {
        set_error(err, line_no, "too many keys (the limit is %d)", TRUST_MAX_ENTRIES);
        return WR_ERANGE;
    }
    if (list->count == *cap) {
        size_t grown = *cap ? *cap * 2 : 8;
        trust_key *keys = realloc(list->keys, grown * sizeof(*keys));
        if (!keys) {
            set_error(err, line_no, "out of memory");
            return WR_ENOMEM;
        }
        list->keys = keys;
        *cap = grown;
    }
    list->keys[list->count++] = *key;
    return WR_OK;
}

wr_status trust_list_parse(const char *text, size_t len, trust_list **out, trust_error *err)
{
    *out = NULL;
    trust_list *list = calloc(1, sizeof(*list));
    if (!list)
        return WR_ENOMEM;
    line_iter it = {text, text ? text + len : text, 0};
    size_t cap = 0;
    line l;
    wr_status st;
    while ((st = next_line(&it, &l, err)) == WR_OK) {
        trust_key key = {0};
        st = parse_key_fields(&l, &key, err);
        if (st == WR_OK)
            st = parse_public_key(&l, &key, err);
        if (st == WR_OK && (st = add_key(list, &cap, &key, l.number, err)) != WR_OK)
            EVP_PKEY_free(key.pkey);
        if (st != WR_OK)
            break;
    }
    if (st != WR_ENOTFOUND) {
        trust_list_destroy(list);
        return st;
    }
    *out = list;
    return WR_OK;
}

void trust_list_destroy(trust_list *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->count; i++)
        EVP_PKEY_free(list->keys[i].pkey);
    free(list->keys);
    free(list);
}

const trust_key *trust_list_find(const trust_list *list, const uint8_t *kid, size_t kid_len)
{
    if (!list || !kid || kid_len != COSE_KID_LEN)
        return NULL;
    for (size_t i = 0; i < list->count; i++)
        if (memcmp(list->keys[i].kid, kid, COSE_KID_LEN) == 0)
            return &list->keys[i];
    return NULL;
}

bool trust_key_allows(const trust_key *key, unsigned type, uint64_t iat)
{
    return (key->types & type) == type && type != 0 && iat >= key->not_before &&
           iat <= key->not_after;
}

wr_status trust_format_key(EVP_PKEY *key, uint64_t not_before, uint64_t not_after, unsigned types,
                           char *out, size_t cap)
{
    static const char *const type_names[] = {"", "m", "w", "mw"};
    if (types == 0 || types > (TRUST_TYPE_MACHINE | TRUST_TYPE_WELDER) || not_before > not_after)
        return WR_EINVAL;
    int64_t alg;
    uint8_t raw[COSE_PUBKEY_MAX], kid[COSE_KID_LEN];
    size_t raw_len;
    wr_status st = cose_key_alg(key, &alg);
    if (st == WR_OK)
        st = cose_key_raw_public(key, raw, &raw_len);
    if (st == WR_OK)
        st = cose_key_id(key, kid);
    if (st != WR_OK)
        return st;
    char b64[4 * ((COSE_PUBKEY_MAX + 2) / 3) + 1];
    EVP_EncodeBlock((unsigned char *)b64, raw, (int)raw_len);
    char kid_hex[2 * COSE_KID_LEN + 1];
    for (size_t i = 0; i < COSE_KID_LEN; i++)
        (void)snprintf(kid_hex + 2 * i, 3, "%02x", kid[i]);
    int n = snprintf(out, cap, "%s %s %" PRIu64 " %" PRIu64 " %s %s\n", kid_hex,
                     alg == COSE_ALG_EDDSA ? "ed25519" : "es256", not_before, not_after,
                     type_names[types], b64);
    return n < 0 || (size_t)n >= cap ? WR_ESPACE : WR_OK;
}

/* ---- Revocation list ---------------------------------------------------------------------- */

static int compare_cti(const void *a, const void *b)
{
    return memcmp(a, b, TRUST_CTI_LEN);
}

static wr_status parse_version(line_iter *it, uint64_t *version, trust_error *err)
{
    line l;
    wr_status st = next_line(it, &l, err);
    if (st == WR_ENOTFOUND) {
        set_error(err, 0, "missing \"version\" line");
        return WR_EINVAL;
    }
    if (st != WR_OK)
        return st;
    if (l.count != 2 || !token_is(&l.tokens[0], "version") || !parse_u64(&l.tokens[1], version)) {
        set_error(err, l.number, "expected \"version <number>\"");
        return WR_EINVAL;
    }
    return WR_OK;
}

static wr_status add_cti(revocation_list *list, size_t *cap, const line *l, trust_error *err)
{
    char buf[SHOWN_TOKEN_MAX + 4];
    uint8_t cti[TRUST_CTI_LEN];
    if (l->count != 1 || !parse_hex(&l->tokens[0], cti, sizeof(cti))) {
        set_error(err, l->number, "invalid code id \"%s\": expected 16 hex digits",
                  shown(&l->tokens[0], buf));
        return WR_EINVAL;
    }
    if (list->count == *cap) {
        size_t grown = *cap ? *cap * 2 : 64;
        uint8_t(*ctis)[TRUST_CTI_LEN] = realloc(list->ctis, grown * sizeof(*ctis));
        if (!ctis) {
            set_error(err, l->number, "out of memory");
            return WR_ENOMEM;
        }
        list->ctis = ctis;
        *cap = grown;
    }
    memcpy(list->ctis[list->count++], cti, sizeof(cti));
    return WR_OK;
}

static void sort_unique(revocation_list *list)
{
    if (list->count == 0)
        return;
    qsort(list->ctis, list->count, sizeof(*list->ctis), compare_cti);
    size_t kept = 1;
    for (size_t i = 1; i < list->count; i++)
        if (memcmp(list->ctis[i], list->ctis[kept - 1], TRUST_CTI_LEN) != 0)
            memcpy(list->ctis[kept++], list->ctis[i], TRUST_CTI_LEN);
    list->count = kept;
}

wr_status trust_revocations_parse(const char *text, size_t len, revocation_list **out,
                                  trust_error *err)
{
    *out = NULL;
    revocation_list *list = calloc(1, sizeof(*list));
    if (!list)
        return WR_ENOMEM;
    line_iter it = {text, text ? text + len : text, 0};
    size_t cap = 0;
    line l;
    wr_status st = parse_version(&it, &list->version, err);
    while (st == WR_OK && (st = next_line(&it, &l, err)) == WR_OK)
        st = add_cti(list, &cap, &l, err);
    if (st != WR_ENOTFOUND) {
        trust_revocations_destroy(list);
        return st;
    }
    sort_unique(list);
    *out = list;
    return WR_OK;
}

void trust_revocations_destroy(revocation_list *list)
{
    if (!list)
        return;
    free(list->ctis);
    free(list);
}

bool trust_revocations_contains(const revocation_list *list, const uint8_t cti[TRUST_CTI_LEN])
{
    if (!list || list->count == 0)
        return false;
    return bsearch(cti, list->ctis, list->count, sizeof(*list->ctis), compare_cti) != NULL;
}
