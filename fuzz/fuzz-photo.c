/* fuzz-photo.c — core/photo.c over arbitrary bytes, as a JPEG and as a PNG: what it accepts is
 * never longer than what came, and cleaning it again changes nothing. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/photo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void clean_twice(const uint8_t *data, size_t size, photo_format format)
{
    uint8_t *once = malloc(size ? size : 1), *twice = malloc(size ? size : 1);
    size_t n1, n2;
    photo_info i1, i2;
    if (!once || !twice)
        abort();
    if (photo_clean(data, size, format, once, &n1, &i1) == WR_OK) {
        if (n1 > size || photo_clean(once, n1, format, twice, &n2, &i2) != WR_OK || n2 != n1 ||
            memcmp(once, twice, n1) != 0 || i1.width != i2.width || i1.height != i2.height)
            abort();
    }
    free(once);
    free(twice);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    clean_twice(data, size, PHOTO_JPEG);
    clean_twice(data, size, PHOTO_PNG);
    return 0;
}
