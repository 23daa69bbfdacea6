/* qr.c — QR encoding with libqrencode (alphanumeric mode only) and the PNG, SVG and terminal
 * renderers. */
#include "tag-reader/qr.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <qrencode.h>

#define QR_MAX_MODULE_PX 64
#define QR_MAX_QUIET     64

/* Most alphanumeric characters any QR symbol holds (version 40, level L). */
#define QR_MAX_ALPHANUMERIC 4296

static const char qr_alphanumeric_set[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

bool qr_text_is_alphanumeric(const char *text)
{
    if (!text || !*text)
        return false;
    for (const char *c = text; *c; c++)
        if (!memchr(qr_alphanumeric_set, *c, sizeof(qr_alphanumeric_set) - 1))
            return false;
    return true;
}

static bool qr_ec_level(qr_level level, QRecLevel *ec)
{
    switch (level) {
    case QR_LEVEL_L: *ec = QR_ECLEVEL_L; return true;
    case QR_LEVEL_M: *ec = QR_ECLEVEL_M; return true;
    case QR_LEVEL_Q: *ec = QR_ECLEVEL_Q; return true;
    case QR_LEVEL_H: *ec = QR_ECLEVEL_H; return true;
    }
    return false;
}

/* libqrencode reports through errno: ERANGE for data too large, ENOMEM, EINVAL. */
static wr_status qr_status_from_errno(int err)
{
    switch (err) {
    case ERANGE: return WR_ERANGE;
    case ENOMEM: return WR_ENOMEM;
    default: return WR_EINVAL;
    }
}

/* Copies libqrencode's symbol, whose bytes carry flags besides the colour in bit 0. */
static wr_status qr_copy_symbol(const QRcode *code, qr_matrix *out)
{
    size_t count = (size_t)code->width * (size_t)code->width;
    out->modules = malloc(count);
    if (!out->modules)
        return WR_ENOMEM;
    for (size_t i = 0; i < count; i++)
        out->modules[i] = code->data[i] & 1;
    out->version = code->version;
    out->width = code->width;
    return WR_OK;
}

wr_status qr_encode(const char *text, qr_level level, qr_matrix *out)
{
    QRecLevel ec;
    *out = (qr_matrix){0};
    if (!qr_text_is_alphanumeric(text) || !qr_ec_level(level, &ec))
        return WR_EINVAL;
    size_t len = strlen(text);
    if (len > QR_MAX_ALPHANUMERIC)
        return WR_ERANGE;
    /* Version 0: let libqrencode pick the smallest version that holds the data. */
    QRinput *input = QRinput_new2(0, ec);
    if (!input)
        return qr_status_from_errno(errno);
    wr_status status = WR_OK;
    QRcode *code = NULL;
    errno = 0;
    if (QRinput_append(input, QR_MODE_AN, (int)len, (const unsigned char *)text) != 0) {
        status = qr_status_from_errno(errno);
        goto cleanup;
    }
    code = QRcode_encodeInput(input);
    if (!code) {
        status = qr_status_from_errno(errno);
        goto cleanup;
    }
    status = qr_copy_symbol(code, out);
cleanup:
    QRcode_free(code);
    QRinput_free(input);
    return status;
}

void qr_matrix_deinit(qr_matrix *m)
{
    if (!m)
        return;
    free(m->modules);
    *m = (qr_matrix){0};
}

bool qr_matrix_dark(const qr_matrix *m, int x, int y)
{
    if (x < 0 || y < 0 || x >= m->width || y >= m->width)
        return false;
    return m->modules[(size_t)y * (size_t)m->width + (size_t)x] != 0;
}

static bool qr_matrix_valid(const qr_matrix *m)
{
    return m && m->modules && m->width >= 21 && m->width <= 177;
}

static bool qr_args_valid(const qr_matrix *m, int module_px, int quiet_modules, FILE *out)
{
    return qr_matrix_valid(m) && module_px >= 1 && module_px <= QR_MAX_MODULE_PX &&
           quiet_modules >= 0 && quiet_modules <= QR_MAX_QUIET && out;
}

static void qr_fill_module(grey_image *img, int module_px, int px, int py)
{
    for (int y = py; y < py + module_px; y++)
        memset(img->pixels + (size_t)y * (size_t)img->width + (size_t)px, 0, (size_t)module_px);
}

wr_status qr_rasterize(const qr_matrix *m, int module_px, int quiet_modules, grey_image *out)
{
    *out = (grey_image){0};
    if (!qr_matrix_valid(m) || module_px < 1 || module_px > QR_MAX_MODULE_PX || quiet_modules < 0 ||
        quiet_modules > QR_MAX_QUIET)
        return WR_EINVAL;
    int side = (m->width + 2 * quiet_modules) * module_px;
    wr_status status = image_init(out, side, side, 255);
    if (status != WR_OK)
        return status;
    for (int y = 0; y < m->width; y++)
        for (int x = 0; x < m->width; x++)
            if (qr_matrix_dark(m, x, y))
                qr_fill_module(out, module_px, (x + quiet_modules) * module_px,
                               (y + quiet_modules) * module_px);
    return WR_OK;
}

wr_status qr_write_png(const qr_matrix *m, int module_px, int quiet_modules, FILE *out)
{
    if (!out)
        return WR_EINVAL;
    grey_image img;
    wr_status status = qr_rasterize(m, module_px, quiet_modules, &img);
    if (status == WR_OK)
        status = image_write_png(&img, out);
    image_deinit(&img);
    return status;
}

static wr_status qr_stream_status(FILE *out)
{
    return fflush(out) == 0 && !ferror(out) ? WR_OK : WR_EIO;
}

/* One subpath per horizontal run of dark modules keeps the path short and the edges exact. */
static void qr_svg_path_row(const qr_matrix *m, int y, int quiet_modules, FILE *out)
{
    int x = 0;
    while (x < m->width) {
        if (!qr_matrix_dark(m, x, y)) {
            x++;
            continue;
        }
        int start = x;
        while (x < m->width && qr_matrix_dark(m, x, y))
            x++;
        fprintf(out, "M%d %dh%dv1h-%dz", start + quiet_modules, y + quiet_modules, x - start,
                x - start);
    }
}

wr_status qr_write_svg(const qr_matrix *m, int module_px, int quiet_modules, FILE *out)
{
    if (!qr_args_valid(m, module_px, quiet_modules, out))
        return WR_EINVAL;
    int side = m->width + 2 * quiet_modules;
    fprintf(out,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
            "viewBox=\"0 0 %d %d\" shape-rendering=\"crispEdges\">\n"
            "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n<path fill=\"#000\" stroke=\"none\" "
            "d=\"",
            side * module_px, side * module_px, side, side, side, side);
    for (int y = 0; y < m->width; y++)
        qr_svg_path_row(m, y, quiet_modules, out);
    fputs("\"/>\n</svg>\n", out);
    return qr_stream_status(out);
}

/* Whether the module at (x, y), counted from the quiet zone's corner, is drawn with ink (block
 * glyphs) in @p style: dark modules normally, light ones for a light-on-dark terminal. */
static bool qr_utf8_ink(const qr_matrix *m, int quiet_modules, qr_utf8_style style, int x, int y)
{
    bool dark = qr_matrix_dark(m, x - quiet_modules, y - quiet_modules);
    int side = m->width + 2 * quiet_modules;
    if (y >= side) /* the lower half of the last line of an odd-height picture: light */
        dark = false;
    return style == QR_UTF8_DARK_THEME ? !dark : dark;
}

static const char *qr_half_block(bool top, bool bottom)
{
    if (top && bottom)
        return "\u2588";
    if (top)
        return "\u2580";
    return bottom ? "\u2584" : " ";
}

wr_status qr_write_utf8(const qr_matrix *m, int quiet_modules, qr_utf8_style style, FILE *out)
{
    if (!qr_args_valid(m, 1, quiet_modules, out) ||
        (style != QR_UTF8_ANSI && style != QR_UTF8_DARK_THEME && style != QR_UTF8_LIGHT_THEME))
        return WR_EINVAL;
    int side = m->width + 2 * quiet_modules;
    for (int y = 0; y < side; y += 2) {
        /* Black on bright white, set on every line so that nothing depends on the theme. */
        if (style == QR_UTF8_ANSI)
            fputs("\x1b[30;107m", out);
        for (int x = 0; x < side; x++)
            fputs(qr_half_block(qr_utf8_ink(m, quiet_modules, style, x, y),
                                qr_utf8_ink(m, quiet_modules, style, x, y + 1)),
                  out);
        /* Reset before the newline so the background does not run on to the terminal's edge. */
        fputs(style == QR_UTF8_ANSI ? "\x1b[0m\n" : "\n", out);
    }
    return qr_stream_status(out);
}
