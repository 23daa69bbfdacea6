/* qr.h — QR symbols for weldreg codes: encoding (libqrencode, alphanumeric mode) and rendering to
 * PNG, SVG and a UTF-8 terminal. The only file that talks to libqrencode. */
#ifndef WELDREG_TAG_QR_H
#define WELDREG_TAG_QR_H

#include <stdbool.h>
#include <stdio.h>

#include "core/status.h"
#include "tag-reader/image.h"

/* Error-correction level; weldreg labels use QR_LEVEL_Q (recovers ~25% damage). */
typedef enum qr_level {
    QR_LEVEL_L,
    QR_LEVEL_M,
    QR_LEVEL_Q,
    QR_LEVEL_H,
} qr_level;

/* A QR symbol without its quiet zone: @c width x @c width modules, row-major, 1 = dark, 0 = light.
 * The struct owns @c modules (caller-provided struct, library-filled): free with
 * qr_matrix_deinit(). @c version is the QR version chosen (1..40; width = 17 + 4 * version). */
typedef struct qr_matrix {
    int version;
    int width;
    unsigned char *modules;
} qr_matrix;

/* How qr_write_utf8() makes its output scannable from a screenshot. */
typedef enum qr_utf8_style {
    /* SGR colours: black modules on a bright white background, right on any terminal theme. */
    QR_UTF8_ANSI,
    /* No escapes; light modules drawn with blocks: right on light-on-dark terminals only. */
    QR_UTF8_DARK_THEME,
    /* No escapes; dark modules drawn with blocks: right on dark-on-light terminals only. */
    QR_UTF8_LIGHT_THEME,
} qr_utf8_style;

/* The quiet zone the QR standard asks for, in modules. */
#define QR_QUIET_MODULES 4

/* True if @p text is non-empty and every character is in the QR alphanumeric set
 * (0-9 A-Z space $ % * + - . / :), the set Base45 and "WR3:" use. */
bool qr_text_is_alphanumeric(const char *text);

/* Encodes @p text in one alphanumeric-mode segment at @p level, in the smallest version that holds
 * it. On success @p out owns the modules. WR_EINVAL if @p text is empty or has a character outside
 * the alphanumeric set (lower case included: it is never folded), WR_ERANGE if it does not fit
 * version 40, WR_ENOMEM. On failure @p out is left empty. */
wr_status qr_encode(const char *text, qr_level level, qr_matrix *out);

/* Frees the modules and empties @p m; safe on an empty matrix. */
void qr_matrix_deinit(qr_matrix *m);

/* True if module (@p x, @p y) is dark; coordinates outside the symbol (the quiet zone) are light.
 */
bool qr_matrix_dark(const qr_matrix *m, int x, int y);

/* Rasterises @p m with @p module_px pixels a module (1..64) and @p quiet_modules light modules
 * (0..64) on every side: black 0 on white 255. @p out owns the new pixels. WR_EINVAL for bad
 * arguments, WR_ERANGE if the picture would be too large, WR_ENOMEM. */
wr_status qr_rasterize(const qr_matrix *m, int module_px, int quiet_modules, grey_image *out);

/* Writes @p m as an 8-bit greyscale PNG, sized as qr_rasterize() does. Errors as qr_rasterize(),
 * and WR_EIO if writing to @p out fails. */
wr_status qr_write_png(const qr_matrix *m, int module_px, int quiet_modules, FILE *out);

/* Writes @p m as a standalone SVG document: a white background and one black path of module
 * rectangles, shape-rendering crispEdges, @p module_px user units a module. */
wr_status qr_write_svg(const qr_matrix *m, int module_px, int quiet_modules, FILE *out);

/* Writes @p m for a terminal: two module rows a text line with the half blocks U+2580, U+2584 and
 * U+2588, @p quiet_modules light modules around, every line ending in '\n'. */
wr_status qr_write_utf8(const qr_matrix *m, int quiet_modules, qr_utf8_style style, FILE *out);

#endif
