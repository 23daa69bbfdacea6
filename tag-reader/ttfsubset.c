/* ttfsubset.c — reading a TrueType font and writing the subset of the glyphs a PDF uses
 * (OpenType spec: table directory, cmap formats 4 and 12, head, hhea, maxp, hmtx, loca, glyf).
 * The font is untrusted (the user names it; fuzz/fuzz-ttf.c): every read is checked against the
 * file's length, tables against the file, cmap subtables against cmap and outlines against glyf. */
#include "tag-reader/ttfsubset.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TTF_FILE_MAX        (64u << 20)
#define TTF_COMPONENT_DEPTH 16 /* composites within composites; fonts nest two or three deep */

typedef struct ttf_table {
    uint32_t off, len;
} ttf_table;

struct ttf_font {
    uint8_t *data;
    size_t len;
    ttf_table head, hhea, maxp, hmtx, loca, glyf, cmap, cvt, fpgm, prep;
    unsigned upem, glyphs, hmetrics;
    bool loca_long;
    uint32_t cmap12, cmap4; /* offsets of the subtables used, 0 when absent */
};

static unsigned u16(const ttf_font *f, size_t off)
{
    return off + 2 <= f->len ? (unsigned)f->data[off] << 8 | f->data[off + 1] : 0;
}

static uint32_t u32(const ttf_font *f, size_t off)
{
    return off + 4 <= f->len ? (uint32_t)u16(f, off) << 16 | u16(f, off + 2) : 0;
}

static int s16(const ttf_font *f, size_t off)
{
    unsigned v = u16(f, off);
    return v >= 0x8000 ? (int)v - 0x10000 : (int)v;
}

static bool ttf_find_tables(ttf_font *f)
{
    static const char *const tags[] = {"head", "hhea", "maxp", "hmtx", "loca",
                                       "glyf", "cmap", "cvt ", "fpgm", "prep"};
    ttf_table *slots[] = {&f->head, &f->hhea, &f->maxp, &f->hmtx, &f->loca,
                          &f->glyf, &f->cmap, &f->cvt,  &f->fpgm, &f->prep};
    uint32_t version = u32(f, 0);
    if (version != 0x00010000u && version != 0x74727565u) /* 'true' */
        return false;
    unsigned n = u16(f, 4);
    for (unsigned i = 0; i < n; i++) {
        size_t rec = 12 + 16 * (size_t)i;
        if (rec + 16 > f->len)
            return false;
        for (size_t t = 0; t < sizeof(tags) / sizeof(tags[0]); t++) {
            if (memcmp(f->data + rec, tags[t], 4) != 0)
                continue;
            slots[t]->off = u32(f, rec + 8);
            slots[t]->len = u32(f, rec + 12);
            if ((uint64_t)slots[t]->off + slots[t]->len > f->len)
                return false;
        }
    }
    return f->head.len >= 54 && f->hhea.len >= 36 && f->maxp.len >= 6 && f->loca.len &&
           f->glyf.len && f->cmap.len && f->hmtx.len;
}

/* Whether the subtable at @p sub, of format 4 or 12, lies inside cmap with the arrays its lookups
 * read. Format 4's own length is not trusted: it wraps in fonts whose subtable outgrew 16 bits. */
static bool ttf_cmap_fits(const ttf_font *f, uint64_t sub, unsigned format)
{
    uint64_t end = (uint64_t)f->cmap.off + f->cmap.len;
    if (sub + 16 > end)
        return false;
    uint64_t arrays =
        format == 12 ? 12 * (uint64_t)u32(f, sub + 12) : 8 * (uint64_t)(u16(f, sub + 6) / 2);
    return sub + 16 + arrays <= end;
}

static void ttf_find_cmaps(ttf_font *f)
{
    unsigned n = u16(f, f->cmap.off + 2);
    for (unsigned i = 0; i < n; i++) {
        size_t rec = f->cmap.off + 4 + 8 * (size_t)i;
        if (rec + 8 > (size_t)f->cmap.off + f->cmap.len)
            break;
        unsigned platform = u16(f, rec), encoding = u16(f, rec + 2);
        uint64_t sub = (uint64_t)f->cmap.off + u32(f, rec + 4);
        unsigned format = u16(f, (size_t)sub);
        if (platform == 3 && encoding == 10 && format == 12 && ttf_cmap_fits(f, sub, 12))
            f->cmap12 = (uint32_t)sub;
        else if (platform == 3 && encoding == 1 && format == 4 && ttf_cmap_fits(f, sub, 4))
            f->cmap4 = (uint32_t)sub;
    }
}

/* Takes @p data (malloc'd, @p len bytes) whatever the outcome. */
static wr_status ttf_open(uint8_t *data, size_t len, ttf_font **out)
{
    ttf_font *f = calloc(1, sizeof(*f));
    if (!f) {
        free(data);
        return WR_ENOMEM;
    }
    f->data = data;
    f->len = len;
    if (len <= 12 || len > TTF_FILE_MAX || !ttf_find_tables(f)) {
        ttf_free(f);
        return WR_EINVAL;
    }
    f->upem = u16(f, f->head.off + 18);
    f->loca_long = s16(f, f->head.off + 50) == 1;
    f->glyphs = u16(f, f->maxp.off + 4);
    f->hmetrics = u16(f, f->hhea.off + 34);
    ttf_find_cmaps(f);
    size_t loca_need = ((size_t)f->glyphs + 1) * (f->loca_long ? 4 : 2);
    if (f->upem == 0 || f->hmetrics == 0 || f->hmetrics > f->glyphs ||
        (size_t)f->hmetrics * 4 > f->hmtx.len || loca_need > f->loca.len ||
        (!f->cmap12 && !f->cmap4)) {
        ttf_free(f);
        return WR_EINVAL;
    }
    *out = f;
    return WR_OK;
}

/* The whole file in a malloc'd buffer; WR_EIO if it cannot be read, WR_EINVAL when it is too
 * short or too long to be a font we read. */
static wr_status ttf_read_file(const char *path, uint8_t **data, size_t *len)
{
    *data = NULL;
    FILE *in = fopen(path, "rb");
    if (!in)
        return WR_EIO;
    long size = -1;
    if (fseek(in, 0, SEEK_END) == 0)
        size = ftell(in);
    wr_status st = size < 0 || fseek(in, 0, SEEK_SET) != 0            ? WR_EIO
                   : size <= 12 || (unsigned long)size > TTF_FILE_MAX ? WR_EINVAL
                                                                      : WR_OK;
    if (st == WR_OK && !(*data = malloc((size_t)size)))
        st = WR_ENOMEM;
    if (st == WR_OK && fread(*data, 1, (size_t)size, in) != (size_t)size)
        st = WR_EIO;
    fclose(in);
    if (st != WR_OK) {
        free(*data);
        *data = NULL;
    }
    *len = st == WR_OK ? (size_t)size : 0;
    return st;
}

wr_status ttf_load(const char *path, ttf_font **out)
{
    uint8_t *data;
    size_t len;
    *out = NULL;
    wr_status st = ttf_read_file(path, &data, &len);
    return st == WR_OK ? ttf_open(data, len, out) : st;
}

wr_status ttf_parse(const uint8_t *data, size_t len, ttf_font **out)
{
    *out = NULL;
    if (len <= 12 || len > TTF_FILE_MAX)
        return WR_EINVAL;
    uint8_t *copy = malloc(len);
    if (!copy)
        return WR_ENOMEM;
    memcpy(copy, data, len);
    return ttf_open(copy, len, out);
}

void ttf_free(ttf_font *font)
{
    if (!font)
        return;
    free(font->data);
    free(font);
}

static unsigned ttf_glyph12(const ttf_font *f, uint32_t cp)
{
    uint32_t groups = u32(f, f->cmap12 + 12);
    uint32_t lo = 0, hi = groups;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        size_t g = f->cmap12 + 16 + 12 * (size_t)mid;
        uint32_t start = u32(f, g), end = u32(f, g + 4);
        if (cp < start)
            hi = mid;
        else if (cp > end)
            lo = mid + 1;
        else
            return (unsigned)(u32(f, g + 8) + (cp - start));
    }
    return 0;
}

static unsigned ttf_glyph4(const ttf_font *f, uint32_t cp)
{
    if (cp > 0xffff)
        return 0;
    unsigned segs = u16(f, f->cmap4 + 6) / 2;
    size_t ends = f->cmap4 + 14, starts = ends + 2 * (size_t)segs + 2;
    size_t deltas = starts + 2 * (size_t)segs, ranges = deltas + 2 * (size_t)segs;
    for (unsigned i = 0; i < segs; i++) {
        if (cp > u16(f, ends + 2 * (size_t)i))
            continue;
        unsigned start = u16(f, starts + 2 * (size_t)i);
        if (cp < start)
            return 0;
        unsigned delta = u16(f, deltas + 2 * (size_t)i);
        unsigned range = u16(f, ranges + 2 * (size_t)i);
        if (range == 0)
            return (cp + delta) & 0xffff;
        size_t at = ranges + 2 * (size_t)i + range + 2 * (size_t)(cp - start);
        if (at + 2 > (size_t)f->cmap.off + f->cmap.len)
            return 0;
        unsigned g = u16(f, at);
        return g ? (g + delta) & 0xffff : 0;
    }
    return 0;
}

unsigned ttf_glyph(const ttf_font *font, uint32_t cp)
{
    unsigned g = font->cmap12 ? ttf_glyph12(font, cp) : ttf_glyph4(font, cp);
    return g < font->glyphs ? g : 0;
}

static unsigned ttf_advance_units(const ttf_font *f, unsigned gid)
{
    unsigned i = gid < f->hmetrics ? gid : f->hmetrics - 1;
    return u16(f, f->hmtx.off + 4 * (size_t)i);
}

static int ttf_lsb(const ttf_font *f, unsigned gid)
{
    if (gid < f->hmetrics)
        return s16(f, f->hmtx.off + 4 * (size_t)gid + 2);
    size_t off = f->hmtx.off + 4 * (size_t)f->hmetrics + 2 * (size_t)(gid - f->hmetrics);
    return off + 2 <= (size_t)f->hmtx.off + f->hmtx.len ? s16(f, off) : 0;
}

unsigned ttf_advance_milli(const ttf_font *font, unsigned gid)
{
    return ttf_advance_units(font, gid) * 1000u / font->upem;
}

void ttf_metrics(const ttf_font *font, int *ascent, int *descent, int bbox[4])
{
    int upem = (int)font->upem;
    *ascent = s16(font, font->hhea.off + 4) * 1000 / upem;
    *descent = s16(font, font->hhea.off + 6) * 1000 / upem;
    for (int i = 0; i < 4; i++)
        bbox[i] = s16(font, font->head.off + 36 + 2 * (size_t)i) * 1000 / upem;
}

/* Where glyph @p gid's outline lies in glyf; false when the loca entry is out of range. */
static bool ttf_glyph_span(const ttf_font *f, unsigned gid, uint32_t *off, uint32_t *len)
{
    uint32_t a, b;
    if (f->loca_long) {
        a = u32(f, f->loca.off + 4 * (size_t)gid);
        b = u32(f, f->loca.off + 4 * (size_t)gid + 4);
    } else {
        a = 2 * u16(f, f->loca.off + 2 * (size_t)gid);
        b = 2 * u16(f, f->loca.off + 2 * (size_t)gid + 2);
    }
    if (b < a || b > f->glyf.len)
        return false;
    *off = f->glyf.off + a;
    *len = b - a;
    return true;
}

void ttf_subset_init(ttf_subset *s)
{
    memset(s, 0, sizeof(*s));
    s->count = 1; /* CID 0: .notdef, glyph 0 */
}

static wr_status ttf_subset_glyph(ttf_subset *s, unsigned gid, uint32_t cp, unsigned *cid)
{
    for (size_t i = 0; i < s->count; i++) {
        if (s->gids[i] == gid) {
            if (!s->unicode[i])
                s->unicode[i] = cp;
            *cid = (unsigned)i;
            return WR_OK;
        }
    }
    if (s->count == TTF_SUBSET_MAX)
        return WR_ESPACE;
    s->gids[s->count] = gid;
    s->unicode[s->count] = cp;
    *cid = (unsigned)s->count++;
    return WR_OK;
}

wr_status ttf_subset_add(ttf_subset *s, const ttf_font *font, uint32_t cp, unsigned *cid)
{
    unsigned gid = ttf_glyph(font, cp);
    return gid ? ttf_subset_glyph(s, gid, cp, cid) : WR_ENOTFOUND;
}

/* ---- writing ---- */

typedef struct ttf_buf {
    uint8_t *p;
    size_t len, cap;
    bool failed;
} ttf_buf;

static void put(ttf_buf *b, const void *data, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n > b->cap) {
        size_t cap = (b->cap ? b->cap * 2 : 4096) + n;
        uint8_t *p = realloc(b->p, cap);
        if (!p) {
            b->failed = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    if (n)
        memcpy(b->p + b->len, data, n);
    b->len += n;
}

static void put16(ttf_buf *b, unsigned v)
{
    uint8_t x[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    put(b, x, 2);
}

static void put32(ttf_buf *b, uint32_t v)
{
    put16(b, v >> 16);
    put16(b, v & 0xffff);
}

static void pad4(ttf_buf *b)
{
    static const uint8_t zero[4] = {0};
    put(b, zero, (4 - b->len % 4) % 4);
}

static void set16(ttf_buf *b, size_t off, unsigned v)
{
    if (!b->failed && off + 2 <= b->len) {
        b->p[off] = (uint8_t)(v >> 8);
        b->p[off + 1] = (uint8_t)v;
    }
}

static uint32_t checksum(const uint8_t *p, size_t n)
{
    uint32_t sum = 0;
    for (size_t i = 0; i < n; i += 4) {
        uint32_t v = 0;
        for (size_t k = 0; k < 4; k++)
            v = v << 8 | (i + k < n ? p[i + k] : 0);
        sum += v;
    }
    return sum;
}

/* Bytes of the component record with these flags: flags, glyph, arguments (words or bytes), then a
 * scale, an x and y scale or a 2 x 2 matrix. */
static size_t ttf_component_size(unsigned flags)
{
    return 4 + ((flags & 1) ? 4 : 2) +
           ((flags & 8)      ? 2
            : (flags & 0x40) ? 4
            : (flags & 0x80) ? 8
                             : 0);
}

enum { TTF_UNSEEN, TTF_OPEN, TTF_CLOSED };

/* Adds the components of glyph @p gid to @p s, and theirs, depth first (they need no code point).
 * @p state, a byte a glyph, marks the glyphs being closed and closed, so that a composite that
 * contains itself, or nesting deeper than TTF_COMPONENT_DEPTH, is refused, not copied on. */
static wr_status ttf_close_glyph(const ttf_font *f, ttf_subset *s, uint8_t *state, unsigned gid,
                                 int depth)
{
    uint32_t off, len;
    if (gid < f->glyphs && state[gid] == TTF_CLOSED)
        return WR_OK;
    if (gid >= f->glyphs || state[gid] == TTF_OPEN || depth > TTF_COMPONENT_DEPTH ||
        !ttf_glyph_span(f, gid, &off, &len))
        return WR_EINVAL;
    state[gid] = TTF_OPEN;
    wr_status st = WR_OK;
    bool more = len >= 10 && s16(f, off) < 0;
    size_t p = (size_t)off + 10, end = (size_t)off + len;
    while (more && st == WR_OK) {
        unsigned flags = u16(f, p), part = u16(f, p + 2), cid;
        if (p + 4 > end)
            st = WR_EINVAL;
        else if ((st = ttf_subset_glyph(s, part, 0, &cid)) == WR_OK)
            st = ttf_close_glyph(f, s, state, part, depth + 1);
        p += ttf_component_size(flags);
        more = flags & 0x20;
    }
    state[gid] = TTF_CLOSED;
    return st;
}

/* Closes @p s over components, and checks that its outlines stay within TTF_FILE_MAX: spans may
 * overlap, and 4096 glyphs that each claim all of a 64 MiB glyf would make 256 GiB. */
static wr_status ttf_close_composites(const ttf_font *f, ttf_subset *s)
{
    uint8_t *state = calloc(f->glyphs, 1);
    if (!state)
        return WR_ENOMEM;
    wr_status st = WR_OK;
    uint64_t total = 0;
    for (size_t i = 0; i < s->count && st == WR_OK; i++)
        st = ttf_close_glyph(f, s, state, s->gids[i], 0);
    free(state);
    for (size_t i = 0; i < s->count && st == WR_OK; i++) {
        uint32_t off, len;
        if (ttf_glyph_span(f, s->gids[i], &off, &len))
            total += len + 3;
    }
    return st == WR_OK && total > TTF_FILE_MAX ? WR_EINVAL : st;
}

/* Glyph @p gid's outline, with the glyph ids of a composite's components renumbered. */
static void ttf_put_glyph(const ttf_font *f, const ttf_subset *s, unsigned gid, ttf_buf *b)
{
    uint32_t off, len;
    if (!ttf_glyph_span(f, gid, &off, &len) || len == 0)
        return;
    size_t start = b->len;
    put(b, f->data + off, len);
    if (len < 10 || s16(f, off) >= 0)
        return;
    for (size_t p = 10; p + 4 <= len;) {
        unsigned flags = u16(f, off + p), old = u16(f, off + p + 2);
        for (size_t i = 0; i < s->count; i++)
            if (s->gids[i] == old)
                set16(b, start + p + 2, (unsigned)i);
        p += ttf_component_size(flags);
        if (!(flags & 0x20))
            break;
    }
}

typedef struct ttf_out_table {
    char tag[5];
    ttf_buf data;
} ttf_out_table;

enum { T_CVT, T_FPGM, T_GLYF, T_HEAD, T_HHEA, T_HMTX, T_LOCA, T_MAXP, T_PREP, T_COUNT };

/* The subset's tables, in the order of their tags (the table directory is sorted by tag). */
static void ttf_subset_tables(const ttf_font *f, const ttf_subset *s, ttf_out_table t[T_COUNT])
{
    static const char tags[T_COUNT][5] = {"cvt ", "fpgm", "glyf", "head", "hhea",
                                          "hmtx", "loca", "maxp", "prep"};
    memset(t, 0, T_COUNT * sizeof(*t));
    for (int i = 0; i < T_COUNT; i++)
        memcpy(t[i].tag, tags[i], 5);
    put(&t[T_CVT].data, f->data + f->cvt.off, f->cvt.len);
    put(&t[T_FPGM].data, f->data + f->fpgm.off, f->fpgm.len);
    put(&t[T_PREP].data, f->data + f->prep.off, f->prep.len);
    for (size_t i = 0; i < s->count; i++) {
        put32(&t[T_LOCA].data, (uint32_t)t[T_GLYF].data.len);
        ttf_put_glyph(f, s, s->gids[i], &t[T_GLYF].data);
        pad4(&t[T_GLYF].data);
        put16(&t[T_HMTX].data, ttf_advance_units(f, s->gids[i]));
        put16(&t[T_HMTX].data, (unsigned)ttf_lsb(f, s->gids[i]) & 0xffff);
    }
    put32(&t[T_LOCA].data, (uint32_t)t[T_GLYF].data.len);
    put(&t[T_HEAD].data, f->data + f->head.off, 54);
    set16(&t[T_HEAD].data, 8, 0); /* checkSumAdjustment, set by ttf_write_file() */
    set16(&t[T_HEAD].data, 10, 0);
    set16(&t[T_HEAD].data, 50, 1); /* long loca */
    put(&t[T_HHEA].data, f->data + f->hhea.off, 36);
    set16(&t[T_HHEA].data, 34, (unsigned)s->count);
    put(&t[T_MAXP].data, f->data + f->maxp.off, f->maxp.len);
    set16(&t[T_MAXP].data, 4, (unsigned)s->count);
}

/* The font file of the non-empty tables of @p t (which it frees) in @p b. */
static wr_status ttf_write_file(ttf_out_table t[T_COUNT], ttf_buf *b)
{
    unsigned n = 0;
    for (int i = 0; i < T_COUNT; i++)
        n += t[i].data.len > 0;
    unsigned pow2 = 1, log2 = 0;
    while (pow2 * 2 <= n)
        pow2 *= 2, log2++;
    put32(b, 0x00010000u);
    put16(b, n);
    put16(b, pow2 * 16);
    put16(b, log2);
    put16(b, n * 16 - pow2 * 16);
    size_t offset = 12 + 16 * (size_t)n, head_at = 0;
    for (int i = 0; i < T_COUNT; i++) {
        if (!t[i].data.len)
            continue;
        put(b, t[i].tag, 4);
        put32(b, checksum(t[i].data.p, t[i].data.len));
        put32(b, (uint32_t)offset);
        put32(b, (uint32_t)t[i].data.len);
        if (i == T_HEAD)
            head_at = offset;
        offset += (t[i].data.len + 3) / 4 * 4;
    }
    bool failed = false;
    for (int i = 0; i < T_COUNT; i++) {
        failed |= t[i].data.failed;
        put(b, t[i].data.p, t[i].data.len);
        pad4(b);
        free(t[i].data.p);
    }
    if (failed || b->failed)
        return WR_ENOMEM;
    uint32_t adjust = 0xB1B0AFBAu - checksum(b->p, b->len);
    set16(b, head_at + 8, adjust >> 16);
    set16(b, head_at + 10, adjust & 0xffff);
    return WR_OK;
}

wr_status ttf_subset_build(const ttf_font *font, ttf_subset *s, uint8_t **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    wr_status st = ttf_close_composites(font, s);
    if (st != WR_OK)
        return st;
    ttf_out_table t[T_COUNT];
    ttf_buf b = {0};
    ttf_subset_tables(font, s, t);
    st = ttf_write_file(t, &b);
    if (st != WR_OK) {
        free(b.p);
        return st;
    }
    *out = b.p;
    *len = b.len;
    return WR_OK;
}
