/* labels.h — printable A4 sheets of code labels (QR code, two caption lines, a hotline) as PDF or
 * SVG, for printing stickers by the hundred. */
#ifndef WELDREG_TAG_LABELS_H
#define WELDREG_TAG_LABELS_H

#include <stddef.h>
#include <stdio.h>

#include "core/status.h"
#include "tag-reader/qr.h"

/* One label. All strings are borrowed. @c code must be QR alphanumeric (see
 * qr_text_is_alphanumeric()); the captions (either may be NULL or empty) are printable ASCII:
 * the PDF uses the standard Helvetica fonts, which carry no Chinese glyphs. */
typedef struct labels_entry {
    const char *code;
    const char *line1; /* printed bold, e.g. the machine's chip number */
    const char *line2; /* e.g. the keeper or the licence number */
} labels_entry;

typedef struct labels_options {
    int columns;         /* labels across a page, 1..8 */
    int rows;            /* labels down a page, 1..12 */
    double margin_pt;    /* blank page border, 0..144 pt */
    const char *hotline; /* third line of every label, printable ASCII; NULL or "" for none */
    qr_level level;      /* error correction of the codes */
    int cut_lines;       /* nonzero: draw a thin grey frame around every label */
} labels_options;

#define LABELS_PAGE_WIDTH_PT  595
#define LABELS_PAGE_HEIGHT_PT 842
#define LABELS_MAX_TEXT       64   /* characters in a caption or the hotline */
#define LABELS_MAX_CODE       1200 /* characters in a code */

/* The defaults: 3 columns x 5 rows (15 labels of about 63 x 55 mm), 10 mm margins,
 * "Hotline 12345", level Q, cut lines on. */
void labels_options_init(labels_options *opt);

/* Pages needed for @p count labels (0 for none, or for invalid options). */
size_t labels_page_count(size_t count, const labels_options *opt);

/* Checks that the captions of @p entry belong to its code, so that a label cannot show one
 * machine's number, or another licence, over a code: @c code must be a weldreg code, and what a
 * caption names must be what the code carries: a masked licence number ("T**************1234")
 * only on a welder code, its own; "Chip X", or a caption that is one chip-shaped word (capitals,
 * digits and "-", with each of them), only on a machine code, its own chip; "Enterprise N" its
 * enterprise; "until" or "expires" a date (YYYY-MM-DD, China time) on which the code, or a
 * welder's licence, is last valid; "Issued" its issue day. Other words are free ("Model
 * ZX7-400"). A masked name is not ASCII, so no caption holds one. WR_OK, or WR_EINVAL with a
 * message for the person in @p why. */
wr_status labels_check_captions(const labels_entry *entry, char *why, size_t whylen);

/* Writes all @p count labels as one PDF document of A4 pages (595 x 842 pt), filled row by row.
 * Every label is validated before anything is written. WR_EINVAL for no labels, bad options, a
 * code outside the alphanumeric set or a caption with a non-printable or non-ASCII character;
 * WR_ERANGE for a code or caption too long to fit; WR_EIO if writing fails; WR_ENOMEM. */
wr_status labels_write_pdf(const labels_entry *labels, size_t count, const labels_options *opt,
                           FILE *out);

/* Writes page @p page (0-based) of the same layout as a standalone SVG document, so a sheet of
 * several pages becomes one SVG file per page. Errors as labels_write_pdf(), plus WR_ERANGE for a
 * page beyond labels_page_count(). */
wr_status labels_write_svg_page(const labels_entry *labels, size_t count, size_t page,
                                const labels_options *opt, FILE *out);

#endif
