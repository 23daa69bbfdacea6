/* cbor.c — RFC 8949 encoder (preferred serialisation) and strict decoder of untrusted input. */
#include "core/cbor.h"

#include <float.h>
#include <math.h>
#include <string.h>

enum {
    MAJOR_UINT = 0,
    MAJOR_NEGINT = 1,
    MAJOR_BYTES = 2,
    MAJOR_TEXT = 3,
    MAJOR_ARRAY = 4,
    MAJOR_MAP = 5,
    MAJOR_TAG = 6,
    MAJOR_SIMPLE = 7,
};

enum {
    INFO_UINT8 = 24,
    INFO_UINT16 = 25,
    INFO_UINT32 = 26,
    INFO_UINT64 = 27,
    SIMPLE_FALSE = 20,
    SIMPLE_TRUE = 21,
    SIMPLE_NULL = 22,
    SIMPLE_UNDEFINED = 23,
};

/* ---- Encoder ------------------------------------------------------------------------------ */

void cbor_writer_init(cbor_writer *w, uint8_t *buf, size_t cap)
{
    w->buf = buf;
    w->cap = buf ? cap : 0;
    w->len = 0;
    w->err = WR_OK;
}

wr_status cbor_writer_status(const cbor_writer *w)
{
    return w->err;
}

static void put_raw(cbor_writer *w, const void *p, size_t n)
{
    if (w->err != WR_OK || n == 0)
        return;
    if (n > w->cap - w->len) {
        w->err = WR_ESPACE;
        return;
    }
    memcpy(w->buf + w->len, p, n);
    w->len += n;
}

/* Writes @p v big-endian in @p width bytes after the initial byte. */
static void put_initial(cbor_writer *w, uint8_t initial, uint64_t v, unsigned width)
{
    uint8_t head[9];
    head[0] = initial;
    for (unsigned i = 0; i < width; i++)
        head[1 + i] = (uint8_t)(v >> (8 * (width - 1 - i)));
    put_raw(w, head, 1 + width);
}

static void put_head(cbor_writer *w, unsigned major, uint64_t v)
{
    uint8_t mt = (uint8_t)(major << 5);
    if (v < INFO_UINT8)
        put_initial(w, (uint8_t)(mt | v), 0, 0);
    else if (v <= UINT8_MAX)
        put_initial(w, mt | INFO_UINT8, v, 1);
    else if (v <= UINT16_MAX)
        put_initial(w, mt | INFO_UINT16, v, 2);
    else if (v <= UINT32_MAX)
        put_initial(w, mt | INFO_UINT32, v, 4);
    else
        put_initial(w, mt | INFO_UINT64, v, 8);
}

void cbor_put_uint(cbor_writer *w, uint64_t v)
{
    put_head(w, MAJOR_UINT, v);
}

void cbor_put_int(cbor_writer *w, int64_t v)
{
    if (v >= 0)
        put_head(w, MAJOR_UINT, (uint64_t)v);
    else
        put_head(w, MAJOR_NEGINT, (uint64_t)(-(v + 1)));
}

static void put_string(cbor_writer *w, unsigned major, const void *p, size_t n)
{
    if (!p && n > 0) {
        if (w->err == WR_OK)
            w->err = WR_EINVAL;
        return;
    }
    put_head(w, major, n);
    put_raw(w, p, n);
}

void cbor_put_bytes(cbor_writer *w, const uint8_t *p, size_t n)
{
    put_string(w, MAJOR_BYTES, p, n);
}

void cbor_put_text(cbor_writer *w, const char *s, size_t n)
{
    put_string(w, MAJOR_TEXT, s, n);
}

void cbor_put_cstr(cbor_writer *w, const char *s)
{
    put_string(w, MAJOR_TEXT, s, s ? strlen(s) : 0);
}

void cbor_put_array(cbor_writer *w, size_t n)
{
    put_head(w, MAJOR_ARRAY, n);
}

void cbor_put_map(cbor_writer *w, size_t n)
{
    put_head(w, MAJOR_MAP, n);
}

void cbor_put_tag(cbor_writer *w, uint64_t tag)
{
    put_head(w, MAJOR_TAG, tag);
}

void cbor_put_bool(cbor_writer *w, bool b)
{
    put_initial(w, (MAJOR_SIMPLE << 5) | (b ? SIMPLE_TRUE : SIMPLE_FALSE), 0, 0);
}

void cbor_put_null(cbor_writer *w)
{
    put_initial(w, (MAJOR_SIMPLE << 5) | SIMPLE_NULL, 0, 0);
}

/* The float16 bits of @p d if it is finite and a half holds it exactly. */
static bool half_from_double(double d, uint16_t *out)
{
    uint16_t sign = signbit(d) ? 0x8000 : 0;
    double mag = fabs(d);
    if (mag == 0.0) {
        *out = sign;
        return true;
    }
    if (mag > 65504.0)
        return false;
    int exp;
    double frac = frexp(mag, &exp); /* mag = frac * 2^exp, frac in [0.5, 1) */
    if (exp < -13) {
        /* Subnormal half: mag = k * 2^-24 with k in 1..1023. */
        double k = ldexp(mag, 24);
        if (k != floor(k))
            return false;
        *out = (uint16_t)(sign | (uint16_t)k);
        return true;
    }
    double mant = ldexp(frac, 11); /* 1024..2047 when exact */
    if (mant != floor(mant))
        return false;
    *out = (uint16_t)(sign | (uint16_t)((exp + 14) << 10) | ((uint16_t)mant - 1024));
    return true;
}

void cbor_put_double(cbor_writer *w, double d)
{
    const uint8_t simple = MAJOR_SIMPLE << 5;
    uint16_t half;
    if (isnan(d)) {
        put_initial(w, simple | INFO_UINT16, 0x7e00, 2);
    } else if (isinf(d)) {
        put_initial(w, simple | INFO_UINT16, d > 0 ? 0x7c00 : 0xfc00, 2);
    } else if (half_from_double(d, &half)) {
        put_initial(w, simple | INFO_UINT16, half, 2);
    } else if (fabs(d) <= FLT_MAX && (double)(float)d == d) {
        float f = (float)d;
        uint32_t bits;
        memcpy(&bits, &f, sizeof(bits));
        put_initial(w, simple | INFO_UINT32, bits, 4);
    } else {
        uint64_t bits;
        memcpy(&bits, &d, sizeof(bits));
        put_initial(w, simple | INFO_UINT64, bits, 8);
    }
}

/* ---- Decoder ------------------------------------------------------------------------------ */

void cbor_reader_init(cbor_reader *r, const uint8_t *buf, size_t len)
{
    r->p = buf;
    r->end = buf ? buf + len : buf;
}

bool cbor_reader_at_end(const cbor_reader *r)
{
    return r->p == r->end;
}

static size_t remaining(const cbor_reader *r)
{
    return (size_t)(r->end - r->p);
}

cbor_refusal cbor_refusal_at(const cbor_reader *r, const char **what)
{
    static const char *const names[] = {
        [MAJOR_BYTES] = "byte string",
        [MAJOR_TEXT] = "text string",
        [MAJOR_ARRAY] = "array",
        [MAJOR_MAP] = "map",
    };
    *what = "";
    if (remaining(r) < 1)
        return CBOR_REFUSED_MALFORMED;
    unsigned major = *r->p >> 5, info = *r->p & 0x1f;
    if (info == 31 && major >= MAJOR_BYTES && major <= MAJOR_MAP) {
        *what = names[major];
        return CBOR_REFUSED_INDEFINITE;
    }
    /* a text head the reader can read failed on its content */
    return major == MAJOR_TEXT && info < 28 ? CBOR_REFUSED_NOT_UTF8 : CBOR_REFUSED_MALFORMED;
}

/* Reads the initial byte and its argument. Rejects 28-31 (reserved, indefinite, break). */
static wr_status read_head(cbor_reader *r, unsigned *major, unsigned *info, uint64_t *arg)
{
    if (remaining(r) < 1)
        return WR_ETRUNC;
    uint8_t initial = *r->p;
    *major = initial >> 5;
    *info = initial & 0x1f;
    if (*info >= 28)
        return WR_EINVAL;
    unsigned width = *info < INFO_UINT8 ? 0 : 1u << (*info - INFO_UINT8);
    if (remaining(r) - 1 < width)
        return WR_ETRUNC;
    *arg = width == 0 ? *info : 0;
    for (unsigned i = 0; i < width; i++)
        *arg = (*arg << 8) | r->p[1 + i];
    r->p += 1 + width;
    return WR_OK;
}

static double half_to_double(uint16_t h)
{
    unsigned exp = (h >> 10) & 0x1f;
    unsigned mant = h & 0x3ff;
    double mag;
    if (exp == 0)
        mag = ldexp(mant, -24);
    else if (exp == 31)
        mag = mant == 0 ? INFINITY : NAN;
    else
        mag = ldexp(mant + 1024, (int)exp - 25);
    return (h & 0x8000) ? -mag : mag;
}

static wr_status decode_simple(unsigned info, uint64_t arg, cbor_item *item)
{
    switch (info) {
    case SIMPLE_FALSE: item->type = CBOR_FALSE; return WR_OK;
    case SIMPLE_TRUE: item->type = CBOR_TRUE; return WR_OK;
    case SIMPLE_NULL: item->type = CBOR_NULL; return WR_OK;
    case SIMPLE_UNDEFINED: item->type = CBOR_UNDEFINED; return WR_OK;
    case INFO_UINT16: item->f = half_to_double((uint16_t)arg); break;
    case INFO_UINT32: {
        uint32_t bits = (uint32_t)arg;
        float f;
        memcpy(&f, &bits, sizeof(f));
        item->f = f;
        break;
    }
    case INFO_UINT64: memcpy(&item->f, &arg, sizeof(item->f)); break;
    default: return WR_EINVAL; /* unassigned simple values, and 24 (two-byte simple) */
    }
    item->type = CBOR_FLOAT;
    return WR_OK;
}

/* Length of the UTF-8 sequence starting at @p s (at most @p n bytes), or 0 if invalid: no
 * overlong forms, no surrogates, nothing above U+10FFFF (RFC 3629). */
static size_t utf8_sequence(const uint8_t *s, size_t n)
{
    uint8_t c = s[0];
    size_t len;
    uint8_t lo = 0x80, hi = 0xbf; /* allowed range of the second byte */
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        lo = c == 0xe0 ? 0xa0 : 0x80;
        hi = c == 0xed ? 0x9f : 0xbf;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        lo = c == 0xf0 ? 0x90 : 0x80;
        hi = c == 0xf4 ? 0x8f : 0xbf;
    } else {
        return 0;
    }
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    return len;
}

static bool utf8_valid(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t len = utf8_sequence(s + i, n - i);
        if (len == 0)
            return false;
        i += len;
    }
    return true;
}

static wr_status decode_string(cbor_reader *r, unsigned major, uint64_t len, cbor_item *item)
{
    if (len > remaining(r))
        return WR_ETRUNC;
    if (major == MAJOR_TEXT && !utf8_valid(r->p, (size_t)len))
        return WR_EINVAL;
    item->type = major == MAJOR_TEXT ? CBOR_TEXT : CBOR_BYTES;
    item->ptr = r->p;
    r->p += len;
    return WR_OK;
}

static wr_status decode_item(cbor_reader *r, cbor_item *item)
{
    unsigned major, info;
    uint64_t arg;
    wr_status st = read_head(r, &major, &info, &arg);
    if (st != WR_OK)
        return st;
    item->val = arg;
    item->ptr = NULL;
    item->f = 0.0;
    switch (major) {
    case MAJOR_UINT: item->type = CBOR_UINT; return WR_OK;
    case MAJOR_NEGINT: item->type = CBOR_NEGINT; return WR_OK;
    case MAJOR_BYTES:
    case MAJOR_TEXT: return decode_string(r, major, arg, item);
    case MAJOR_ARRAY:
        /* Every item takes at least one byte. */
        item->type = CBOR_ARRAY;
        return arg > remaining(r) ? WR_ETRUNC : WR_OK;
    case MAJOR_MAP: item->type = CBOR_MAP; return arg > remaining(r) / 2 ? WR_ETRUNC : WR_OK;
    case MAJOR_TAG: item->type = CBOR_TAG; return WR_OK;
    default: item->val = 0; return decode_simple(info, arg, item);
    }
}

wr_status cbor_read(cbor_reader *r, cbor_item *item)
{
    cbor_reader copy = *r;
    wr_status st = decode_item(&copy, item);
    if (st == WR_OK)
        *r = copy;
    return st;
}

/* Number of items nested directly in @p item. */
static uint64_t child_count(const cbor_item *item)
{
    switch (item->type) {
    case CBOR_ARRAY: return item->val;
    case CBOR_MAP: return item->val * 2; /* cannot overflow: val <= input length / 2 */
    case CBOR_TAG: return 1;
    default: return 0;
    }
}

static bool is_container(const cbor_item *item)
{
    return item->type == CBOR_ARRAY || item->type == CBOR_MAP || item->type == CBOR_TAG;
}

/* Iterative, with an explicit stack of "items still to read" per open container. */
wr_status cbor_skip(cbor_reader *r)
{
    cbor_reader copy = *r;
    uint64_t left[CBOR_MAX_DEPTH + 1];
    size_t depth = 0;
    left[0] = 1;
    for (;;) {
        if (left[depth] == 0) {
            if (depth == 0)
                break;
            depth--;
            continue;
        }
        left[depth]--;
        cbor_item item;
        wr_status st = decode_item(&copy, &item);
        if (st != WR_OK)
            return st;
        if (!is_container(&item))
            continue;
        if (depth == CBOR_MAX_DEPTH)
            return WR_EDEPTH;
        left[++depth] = child_count(&item);
    }
    *r = copy;
    return WR_OK;
}

/* ---- Typed helpers ------------------------------------------------------------------------ */

/* Reads one head into @p item without committing; the caller commits with *r = *next. */
static wr_status peek(const cbor_reader *r, cbor_reader *next, cbor_item *item)
{
    *next = *r;
    return decode_item(next, item);
}

wr_status cbor_read_uint(cbor_reader *r, uint64_t *out)
{
    cbor_reader next;
    cbor_item item;
    wr_status st = peek(r, &next, &item);
    if (st != WR_OK)
        return st;
    if (item.type == CBOR_NEGINT)
        return WR_ERANGE;
    if (item.type != CBOR_UINT)
        return WR_ETYPE;
    *out = item.val;
    *r = next;
    return WR_OK;
}

wr_status cbor_read_int(cbor_reader *r, int64_t *out)
{
    cbor_reader next;
    cbor_item item;
    wr_status st = peek(r, &next, &item);
    if (st != WR_OK)
        return st;
    if (item.type != CBOR_UINT && item.type != CBOR_NEGINT)
        return WR_ETYPE;
    if (item.val > INT64_MAX)
        return WR_ERANGE;
    *out = item.type == CBOR_UINT ? (int64_t)item.val : -1 - (int64_t)item.val;
    *r = next;
    return WR_OK;
}

static wr_status read_string(cbor_reader *r, cbor_type type, const uint8_t **p, size_t *len)
{
    cbor_reader next;
    cbor_item item;
    wr_status st = peek(r, &next, &item);
    if (st != WR_OK)
        return st;
    if (item.type != type)
        return WR_ETYPE;
    *p = item.ptr;
    *len = (size_t)item.val;
    *r = next;
    return WR_OK;
}

wr_status cbor_read_text(cbor_reader *r, const char **s, size_t *len)
{
    const uint8_t *p;
    wr_status st = read_string(r, CBOR_TEXT, &p, len);
    if (st == WR_OK)
        *s = (const char *)p;
    return st;
}

wr_status cbor_read_bytes(cbor_reader *r, const uint8_t **p, size_t *len)
{
    return read_string(r, CBOR_BYTES, p, len);
}

wr_status cbor_read_double(cbor_reader *r, double *out)
{
    const uint64_t exact_limit = (uint64_t)1 << 53;
    cbor_reader next;
    cbor_item item;
    wr_status st = peek(r, &next, &item);
    if (st != WR_OK)
        return st;
    if (item.type == CBOR_FLOAT)
        *out = item.f;
    else if (item.type == CBOR_UINT && item.val <= exact_limit)
        *out = (double)item.val;
    else if (item.type == CBOR_NEGINT && item.val < exact_limit)
        *out = -1.0 - (double)item.val;
    else if (item.type == CBOR_UINT || item.type == CBOR_NEGINT)
        return WR_ERANGE;
    else
        return WR_ETYPE;
    *r = next;
    return WR_OK;
}

wr_status cbor_read_bool(cbor_reader *r, bool *out)
{
    cbor_reader next;
    cbor_item item;
    wr_status st = peek(r, &next, &item);
    if (st != WR_OK)
        return st;
    if (item.type != CBOR_TRUE && item.type != CBOR_FALSE)
        return WR_ETYPE;
    *out = item.type == CBOR_TRUE;
    *r = next;
    return WR_OK;
}

static wr_status read_container(cbor_reader *r, cbor_type type, size_t *count)
{
    cbor_reader next;
    cbor_item item;
    wr_status st = peek(r, &next, &item);
    if (st != WR_OK)
        return st;
    if (item.type != type)
        return WR_ETYPE;
    *count = (size_t)item.val; /* bounded by the input length */
    *r = next;
    return WR_OK;
}

wr_status cbor_read_array(cbor_reader *r, size_t *count)
{
    return read_container(r, CBOR_ARRAY, count);
}

wr_status cbor_read_map(cbor_reader *r, size_t *count)
{
    return read_container(r, CBOR_MAP, count);
}
