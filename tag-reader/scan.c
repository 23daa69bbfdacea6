/* scan.c — QR reading with zbar: configures a scanner for QR only and copies out what it finds. */
#include "tag-reader/scan.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <zbar.h>

static zbar_image_scanner_t *scan_create_scanner(void)
{
    zbar_image_scanner_t *scanner = zbar_image_scanner_create();
    if (!scanner)
        return NULL;
    /* Symbology 0 addresses them all: switch everything off, then QR back on. */
    zbar_image_scanner_set_config(scanner, 0, ZBAR_CFG_ENABLE, 0);
    zbar_image_scanner_set_config(scanner, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
    /* Raw bytes: zbar would otherwise guess a character set and re-encode the data. */
    zbar_image_scanner_set_config(scanner, ZBAR_QRCODE, ZBAR_CFG_BINARY, 1);
    /* A screenshot of a light-on-dark terminal shows the code inverted. */
    zbar_image_scanner_set_config(scanner, 0, ZBAR_CFG_TEST_INVERTED, 1);
    return scanner;
}

/* Below this many pixels on the short side, a half-size pass would lose the modules. */
#define SCAN_MIN_SIDE_TO_HALVE 400

static bool scan_result_has(const scan_result *result, const char *data, size_t len)
{
    for (size_t i = 0; i < result->count; i++)
        if (result->codes[i].len == len && memcmp(result->codes[i].text, data, len) == 0)
            return true;
    return false;
}

static wr_status scan_result_add(scan_result *result, const char *data, size_t len)
{
    if (scan_result_has(result, data, len))
        return WR_OK;
    scan_code *grown = realloc(result->codes, (result->count + 1) * sizeof(*grown));
    if (!grown)
        return WR_ENOMEM;
    result->codes = grown;
    char *text = malloc(len + 1);
    if (!text)
        return WR_ENOMEM;
    if (len > 0)
        memcpy(text, data, len);
    text[len] = '\0';
    result->codes[result->count++] = (scan_code){text, len};
    return WR_OK;
}

/* One zbar pass over @p img; adds the QR codes not already in @p result. */
static wr_status scan_pass(zbar_image_scanner_t *scanner, const grey_image *img,
                           scan_result *result)
{
    zbar_image_t *zimg = zbar_image_create();
    if (!zimg)
        return WR_ENOMEM;
    zbar_image_set_format(zimg, zbar_fourcc('Y', '8', '0', '0'));
    zbar_image_set_size(zimg, (unsigned)img->width, (unsigned)img->height);
    /* No cleanup handler: zbar borrows the pixels, which outlive zimg. */
    zbar_image_set_data(zimg, img->pixels, (unsigned long)img->width * (unsigned long)img->height,
                        NULL);
    wr_status status = zbar_scan_image(scanner, zimg) < 0 ? WR_EINVAL : WR_OK;
    for (const zbar_symbol_t *s = zbar_image_first_symbol(zimg); s && status == WR_OK;
         s = zbar_symbol_next(s))
        if (zbar_symbol_get_type(s) == ZBAR_QRCODE)
            status =
                scan_result_add(result, zbar_symbol_get_data(s), zbar_symbol_get_data_length(s));
    zbar_image_destroy(zimg);
    return status;
}

/* The image at half size, each pixel the mean of a 2 x 2 block. */
static wr_status scan_halve(const grey_image *src, grey_image *half)
{
    wr_status status = image_init(half, src->width / 2, src->height / 2, 255);
    if (status != WR_OK)
        return status;
    size_t stride = (size_t)src->width;
    for (int y = 0; y < half->height; y++) {
        const uint8_t *row = src->pixels + (size_t)(2 * y) * stride;
        uint8_t *out = half->pixels + (size_t)y * (size_t)half->width;
        for (int x = 0; x < half->width; x++) {
            const uint8_t *p = row + 2 * (size_t)x;
            out[x] = (uint8_t)((p[0] + p[1] + p[stride] + p[stride + 1] + 2) / 4);
        }
    }
    return WR_OK;
}

/* zbar's grouping of finder patterns misses now and then a code among many on one page, at one
 * scale but not another: a second pass at half size finds it. */
static wr_status scan_half_size(zbar_image_scanner_t *scanner, const grey_image *img,
                                scan_result *result)
{
    if (img->width < SCAN_MIN_SIDE_TO_HALVE || img->height < SCAN_MIN_SIDE_TO_HALVE)
        return WR_OK;
    grey_image half;
    wr_status status = scan_halve(img, &half);
    if (status == WR_OK)
        status = scan_pass(scanner, &half, result);
    image_deinit(&half);
    return status;
}

wr_status scan_image(const grey_image *img, scan_result *out)
{
    *out = (scan_result){0};
    if (!img || !img->pixels || img->width < 1 || img->height < 1)
        return WR_EINVAL;
    zbar_image_scanner_t *scanner = scan_create_scanner();
    if (!scanner)
        return WR_ENOMEM;
    wr_status status = scan_pass(scanner, img, out);
    if (status == WR_OK)
        status = scan_half_size(scanner, img, out);
    zbar_image_scanner_destroy(scanner);
    if (status != WR_OK)
        scan_result_deinit(out);
    return status;
}

wr_status scan_file(const char *path, scan_result *out)
{
    *out = (scan_result){0};
    if (!path)
        return WR_EINVAL;
    grey_image img;
    wr_status status = image_load_file(path, NULL, &img);
    if (status == WR_OK)
        status = scan_image(&img, out);
    image_deinit(&img);
    return status;
}

void scan_result_deinit(scan_result *result)
{
    if (!result)
        return;
    for (size_t i = 0; i < result->count; i++)
        free(result->codes[i].text);
    free(result->codes);
    *result = (scan_result){0};
}
