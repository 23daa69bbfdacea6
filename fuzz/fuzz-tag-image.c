/* fuzz-tag-image.c — untrusted photo bytes through the PNG/JPEG loader and, for small images, the
 * QR scanner. */
#include <stdint.h>
#include <stdlib.h>

#include "tag-reader/image.h"
#include "tag-reader/scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Tighter than the defaults so that an iteration stays fast; the code paths are the same. */
#define FUZZ_MAX_SIDE        4096
#define FUZZ_MAX_PIXELS      (4L * 1024 * 1024)
#define FUZZ_SCAN_MAX_PIXELS (512L * 512)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    image_limits limits = image_default_limits();
    limits.max_side = FUZZ_MAX_SIDE;
    limits.max_pixels = FUZZ_MAX_PIXELS;
    grey_image img;
    wr_status status = image_load(data, size, &limits, &img);
    if (status != WR_OK) {
        /* A failed load must leave nothing behind. */
        if (img.pixels || img.width || img.height)
            abort();
        return 0;
    }
    if (img.width < 1 || img.height < 1 || img.width > FUZZ_MAX_SIDE ||
        img.height > FUZZ_MAX_SIDE || !img.pixels)
        abort();
    if ((long)img.width * img.height <= FUZZ_SCAN_MAX_PIXELS) {
        scan_result result;
        if (scan_image(&img, &result) == WR_OK)
            scan_result_deinit(&result);
    }
    image_deinit(&img);
    return 0;
}
