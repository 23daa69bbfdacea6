/* ttfsubset.h — a TrueType (glyf) font read from a file, and a subset of it holding only the
 * glyphs a document uses, renumbered from 0, for embedding in a PDF as a CIDFontType2 with
 * Identity-H encoding (CID = the subset's glyph id). */
#ifndef WELDREG_TAG_TTFSUBSET_H
#define WELDREG_TAG_TTFSUBSET_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

#define TTF_SUBSET_MAX 4096 /* glyphs in one subset */

typedef struct ttf_font ttf_font;

/* Reads a TrueType font (not a collection, glyf outlines) of at most 64 MiB. WR_EIO if it
 * cannot be read, WR_EINVAL if it is not such a font, WR_ENOMEM. *out is NULL on failure and is
 * freed with ttf_free(). */
wr_status ttf_load(const char *path, ttf_font **out);
/* The same from @p len bytes in memory (copied; the caller keeps @p data). */
wr_status ttf_parse(const uint8_t *data, size_t len, ttf_font **out);
void ttf_free(ttf_font *font);

/* The glyph of code point @p cp, 0 when the font has none. */
unsigned ttf_glyph(const ttf_font *font, uint32_t cp);
/* Advance width of glyph @p gid in thousandths of an em. */
unsigned ttf_advance_milli(const ttf_font *font, unsigned gid);
/* Ascent, descent (negative) and bounding box in thousandths of an em. */
void ttf_metrics(const ttf_font *font, int *ascent, int *descent, int bbox[4]);

/* The glyphs a document uses: gids[cid] is the glyph of CID cid; cid 0 is glyph 0. */
typedef struct ttf_subset {
    unsigned gids[TTF_SUBSET_MAX];
    uint32_t unicode[TTF_SUBSET_MAX]; /* the code point a CID shows; 0 for none */
    size_t count;
} ttf_subset;

void ttf_subset_init(ttf_subset *s);
/* The CID of code point @p cp in @p s, added if new; WR_ENOTFOUND when the font has no glyph
 * for it, WR_ESPACE when the subset is full. */
wr_status ttf_subset_add(ttf_subset *s, const ttf_font *font, uint32_t cp, unsigned *cid);
/* A TrueType font of the subset's glyphs (and the components of composite ones, appended),
 * renumbered by CID: head, hhea, maxp, hmtx, loca, glyf (and cvt, fpgm, prep when present).
 * @p out is malloc'd. WR_EINVAL when a glyph's outline lies outside glyf, a composite contains
 * itself or nests deeper than 16, or the outlines would exceed 64 MiB; WR_ESPACE when the
 * components overflow the subset; WR_ENOMEM. */
wr_status ttf_subset_build(const ttf_font *font, ttf_subset *s, uint8_t **out, size_t *len);

#endif
