/* labels.h — printable A4 sheets of code labels (QR code, two caption lines, a hotline) as PDF or
 * SVG, for printing stickers by the hundred. */
#ifndef WELDREG_TAG_LABELS_H
#define WELDREG_TAG_LABELS_H

#include <stddef.h>
#include <stdio.h>

#include "core/status.h"
#include "tag-reader/qr.h"

/* One label. All strings are borrowed. @c code must be QR alphanumeric (see
 * qr_text_is_alphanumeric()); the captions (either may be NULL or empty) are printable UTF-8,
 * Chinese included: the PDF sets Latin text in the standard Helvetica fonts and everything else
 * in the CJK font of labels_options, embedded as a subset of the glyphs used. */
typedef struct labels_entry {
    const char *code;
    const char *line1; /* printed bold, e.g. the machine's chip number */
    const char *line2; /* e.g. the keeper or the licence number */
} labels_entry;

typedef struct labels_options {
    int columns;          /* labels across a page, 1..8 */
    int rows;             /* labels down a page, 1..12 */
    double margin_pt;     /* blank page border, 0..144 pt */
    const char *hotline;  /* third line of every label, printable UTF-8; NULL or "" for none */
    const char *cjk_font; /* TrueType font (glyf) for what Helvetica lacks (LABELS_CJK_FONT) */
    qr_level level;       /* error correction of the codes */
    int cut_lines;        /* nonzero: draw a thin grey frame around every label */
} labels_options;

#define LABELS_PAGE_WIDTH_PT  595
#define LABELS_PAGE_HEIGHT_PT 842
#define LABELS_MAX_TEXT       64   /* characters in a caption or the hotline */
#define LABELS_MAX_CODE       1200 /* characters in a code */
/* Droid Sans Fallback (Debian package fonts-droid-fallback, Apache-2.0): TrueType outlines of
 * the Chinese characters, which the PDF embeds as a subset. */
#define LABELS_CJK_FONT "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"

/* The defaults: 3 columns x 5 rows (15 labels of about 63 x 55 mm), 10 mm margins,
 * "监督举报热线 12345" (the hotline), LABELS_CJK_FONT, level Q, cut lines on. */
void labels_options_init(labels_options *opt);

/* Pages needed for @p count labels (0 for none, or for invalid options). */
size_t labels_page_count(size_t count, const labels_options *opt);

/* Checks that the captions of @p entry belong to its code, so that a label cannot show one
 * machine's number, or another licence, over a code: @c code must be a weldreg code, and what a
 * caption names must be what the code carries: a masked licence number ("T**************1234")
 * only on a welder code, its own; "Chip X", or a caption that is one chip-shaped word (capitals,
 * digits and "-", with each of them), only on a machine code, its own chip; "Enterprise N" its
 * enterprise; "until" or "expires" a date (YYYY-MM-DD, China time) on which the code, or a
 * welder's licence, is last valid; "Issued" its issue day; the same in Chinese ("芯片", "企业",
 * "有效期至", "签发"). A masked name ("张**": one character, then only '*') only on a welder code
 * whose masked name has that first character. Other words are free ("Model ZX7-400",
 * "新密焊接厂"). WR_OK, or WR_EINVAL with a message for the person in @p why. */
wr_status labels_check_captions(const labels_entry *entry, char *why, size_t whylen);

/* Writes all @p count labels as one PDF document of A4 pages (595 x 842 pt), filled row by row.
 * Every label is validated before anything is written. WR_EINVAL for no labels, bad options, a
 * code outside the alphanumeric set, a caption that is not printable UTF-8 or holds a character
 * neither Helvetica nor the CJK font has; WR_ENOTFOUND when a caption needs the CJK font and it
 * cannot be read;
 * WR_ERANGE for a code or caption too long to fit; WR_EIO if writing fails; WR_ENOMEM. */
wr_status labels_write_pdf(const labels_entry *labels, size_t count, const labels_options *opt,
                           FILE *out);

/* Writes page @p page (0-based) of the same layout as a standalone SVG document, so a sheet of
 * several pages becomes one SVG file per page. Errors as labels_write_pdf(), plus WR_ERANGE for a
 * page beyond labels_page_count(). */
wr_status labels_write_svg_page(const labels_entry *labels, size_t count, size_t page,
                                const labels_options *opt, FILE *out);

#endif
