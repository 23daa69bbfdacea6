/* image.h — 8-bit grey images: loading untrusted PNG and JPEG bytes (libpng, libjpeg) and writing
 * PNG. The only file that talks to libpng or libjpeg. */
#ifndef WELDREG_TAG_IMAGE_H
#define WELDREG_TAG_IMAGE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/status.h"

/* Row-major 8-bit grey pixels, 0 black to 255 white, no padding between rows (stride = width).
 * The struct owns @c pixels; free with image_deinit(). */
typedef struct grey_image {
    int width;
    int height;
    uint8_t *pixels;
} grey_image;

typedef enum image_format {
    IMAGE_FORMAT_UNKNOWN = 0,
    IMAGE_FORMAT_PNG,
    IMAGE_FORMAT_JPEG,
} image_format;

/* Bounds applied to untrusted images before any pixel memory is allocated. */
typedef struct image_limits {
    int max_side;     /* widest or tallest image accepted, in pixels */
    long max_pixels;  /* width * height accepted */
    size_t max_bytes; /* largest file image_load_file() reads */
} image_limits;

/* What a photo or scan of a QR code needs, and no more: 8192 pixels a side and 8192 x 6144
 * (50 megapixels) take every 48/50-megapixel phone photo (8000 x 6000, 8160 x 6120) and an A4
 * page scanned at 600 dpi (4960 x 7016); a code needs a few hundred pixels. Decoding costs at most
 * 3 bytes a pixel for PNG (grey + alpha, then grey: 150 MB) and 8 for a progressive JPEG's
 * coefficients (400 MB); larger photos are refused with a message to scale them down. */
#define IMAGE_MAX_SIDE   8192
#define IMAGE_MAX_PIXELS (8192L * 6144L)
#define IMAGE_MAX_BYTES  ((size_t)256 * 1024 * 1024)

/* The defaults: IMAGE_MAX_SIDE, IMAGE_MAX_PIXELS, IMAGE_MAX_BYTES. */
image_limits image_default_limits(void);

/* Allocates a @p width x @p height image filled with @p fill. WR_ERANGE for a side < 1 or an image
 * beyond the default limits, WR_ENOMEM. On failure @p img is left empty (safe to deinit). */
wr_status image_init(grey_image *img, int width, int height, uint8_t fill);

/* Frees the pixels and empties @p img. Safe on an empty or already deinitialised image. */
void image_deinit(grey_image *img);

/* The format announced by the first bytes (magic numbers); IMAGE_FORMAT_UNKNOWN if neither. */
image_format image_detect(const uint8_t *data, size_t len);

/* Decodes a PNG (any colour type and bit depth; transparency is composited onto white) or a
 * baseline/progressive JPEG held in @p data into 8-bit grey. @p limits may be NULL for the
 * defaults. On success @p out owns new pixels; on failure it is left empty. Errors:
 * WR_ETYPE not a PNG or JPEG, WR_ERANGE dimensions beyond the limits, WR_ETRUNC the data ends
 * early, WR_EINVAL corrupt data, WR_ENOMEM. Never prints. */
wr_status image_load(const uint8_t *data, size_t len, const image_limits *limits, grey_image *out);

/* Reads the file at @p path and decodes it as image_load() does. Adds WR_ENOTFOUND (no such
 * file), WR_EIO (could not read), WR_ERANGE (file larger than limits->max_bytes). */
wr_status image_load_file(const char *path, const image_limits *limits, grey_image *out);

/* Writes @p img as an 8-bit greyscale PNG to @p out. WR_EINVAL for an empty image, WR_EIO if the
 * stream fails, WR_ENOMEM. The stream is flushed, not closed. */
wr_status image_write_png(const grey_image *img, FILE *out);

/* A message for a person about an image_* failure, e.g. "image is truncated". Never NULL. */
const char *image_status_str(wr_status status);

#endif
