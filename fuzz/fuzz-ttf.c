/* fuzz-ttf.c — untrusted TrueType bytes (labels take a font the user names) through the font
 * reader, the cmap lookups, the metrics and the subset writer. */
#include <stdint.h>
#include <stdlib.h>

#include "tag-reader/ttfsubset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Latin, CJK, the end of the BMP, beyond it, and the last code point: every cmap path. */
static const uint32_t fuzz_probes[] = {0x0,    0x41,   0xa0,   0x4e00,  0x4e2d,  0x7535,
                                       0x9fa5, 0xfffd, 0xffff, 0x10000, 0x1f600, 0x10ffff};

static void fuzz_subset(const ttf_font *font)
{
    ttf_subset *s = malloc(sizeof(*s));
    if (!s)
        return;
    ttf_subset_init(s);
    for (size_t i = 0; i < sizeof(fuzz_probes) / sizeof(fuzz_probes[0]); i++) {
        unsigned cid;
        (void)ttf_advance_milli(font, ttf_glyph(font, fuzz_probes[i]));
        if (ttf_subset_add(s, font, fuzz_probes[i], &cid) == WR_OK && cid >= s->count)
            abort();
    }
    for (uint32_t cp = 0x20; cp < 0x80; cp++) {
        unsigned cid;
        (void)ttf_subset_add(s, font, cp, &cid);
    }
    uint8_t *out;
    size_t len;
    if (ttf_subset_build(font, s, &out, &len) == WR_OK) {
        if (len < 12 || !out)
            abort();
        free(out);
    } else if (out || len) {
        abort();
    }
    free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ttf_font *font;
    if (ttf_parse(data, size, &font) != WR_OK) {
        if (font) /* a failed read must leave nothing behind */
            abort();
        return 0;
    }
    int ascent, descent, bbox[4];
    ttf_metrics(font, &ascent, &descent, bbox);
    fuzz_subset(font);
    ttf_free(font);
    return 0;
}
