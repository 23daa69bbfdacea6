/* pdfdoc.h — a hand-written PDF document: Latin text in the standard Helvetica fonts (F1, bold
 * F2), everything else in a TrueType CJK font embedded as a subset of the glyphs the pages use
 * (F3, by CID, Identity-H, with a ToUnicode map so that text extraction finds the characters).
 * The label sheets (labels.c) and weldreg-web's reports (web/office_pdf.c) are written with it. */
#ifndef WELDREG_TAG_PDFDOC_H
#define WELDREG_TAG_PDFDOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/status.h"
#include "tag-reader/ttfsubset.h"

/* The code point at @p s and its length in *n; 0 for a malformed or overlong sequence, a
 * surrogate or a code point above U+10FFFF. */
uint32_t pdf_utf8(const unsigned char *s, size_t *n);

/* The width in pt of @p text at @p size: Latin characters at Helvetica's widths (erring wide),
 * others at the advance widths of @p cjk (NULL: 1 em). Bold runs about 8% wider. */
double pdf_text_width(const ttf_font *cjk, const char *text, double size, bool bold);

/* What the pages' text is set in: the CJK font (NULL: Latin text only) and its glyphs used so
 * far (NULL as well without it). */
typedef struct pdf_fonts {
    const ttf_font *cjk;
    ttf_subset *cids;
} pdf_fonts;

/* Shows UTF-8 @p text at the text position (inside BT ... ET): runs of printable ASCII in
 * Helvetica, runs of other text in the CJK font, whose glyphs are added to fonts->cids (a
 * character the font lacks shows as CID 0). */
void pdf_show_text(FILE *out, const pdf_fonts *fonts, const char *text, double size, bool bold);

/* Writes the content stream of page @p page (0-based) into @p content. */
typedef wr_status (*pdf_page_fn)(void *ctx, size_t page, const pdf_fonts *fonts, FILE *content);

/* Writes a document of @p pages pages of @p width x @p height pt to @p out, each page's content
 * from @p emit, then, when @p cjk is given, its subset of the glyphs the pages showed. WR_EIO if
 * writing fails, WR_ENOMEM, or what @p emit or the subset (ttf_subset_build) returned. */
wr_status pdf_write(FILE *out, size_t pages, int width, int height, const ttf_font *cjk,
                    pdf_page_fn emit, void *ctx);

#endif
