/* scan.h — finding and reading the QR codes in a grey image (zbar). The only file that talks to
 * zbar. */
#ifndef WELDREG_TAG_SCAN_H
#define WELDREG_TAG_SCAN_H

#include <stddef.h>

#include "core/status.h"
#include "tag-reader/image.h"

/* The bytes of one decoded QR code. @c text is NUL-terminated for convenience, but the code may
 * itself hold NUL bytes: @c len is the true length. */
typedef struct scan_code {
    char *text;
    size_t len;
} scan_code;

/* Every QR code found in one image, in zbar's order. The struct owns the array and each text:
 * free with scan_result_deinit(). */
typedef struct scan_result {
    scan_code *codes;
    size_t count;
} scan_result;

/* Looks for QR codes (no other symbology) in @p img, dark-on-light or inverted. Finding none is
 * not an error: WR_OK with count 0. The bytes are delivered raw, with no character-set guessing.
 * WR_EINVAL for an empty image, WR_ENOMEM. On failure @p out is left empty. */
wr_status scan_image(const grey_image *img, scan_result *out);

/* Loads the PNG or JPEG at @p path (with the default image limits) and scans it. Errors are
 * those of image_load_file() (image_status_str() words them) and of scan_image(). */
wr_status scan_file(const char *path, scan_result *out);

/* Frees every text and the array; safe on an empty result. */
void scan_result_deinit(scan_result *result);

#endif
