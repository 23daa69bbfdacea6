/* test-photo.c — core/photo.c: metadata dropped, the picture kept, broken photos refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/photo.h"

/* SOI, APP0 (JFIF), APP1 (EXIF with a "GPS" marker), COM, SOF0 3 x 2, SOS, data, EOI */
static const uint8_t jpeg[] = {
    0xff, 0xd8,                                                                   /* SOI */
    0xff, 0xe0, 0x00, 0x07, 'J',  'F',  'I',  'F',  0x00,                         /* APP0 */
    0xff, 0xe1, 0x00, 0x0b, 'E',  'x',  'i',  'f',  0x00, 0x00, 'G',  'P',  'S',  /* APP1 */
    0xff, 0xfe, 0x00, 0x05, 'h',  'i',  '!',                                      /* COM */
    0xff, 0xc0, 0x00, 0x0b, 0x08, 0x00, 0x02, 0x00, 0x03, 0x01, 0x01, 0x11, 0x00, /* SOF0 */
    0xff, 0xda, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3f, 0x00,                   /* SOS */
    0x12, 0x34, 0xff, 0x00, 0x56,                                                 /* data */
    0xff, 0xd9};                                                                  /* EOI */

/* signature, IHDR 5 x 4, tEXt "GPS", IDAT, IEND, and bytes after IEND */
static const uint8_t png[] = {
    0x89, 'P',  'N',  'G',  '\r', '\n', 0x1a, '\n', 0x00, 0x00, 0x00, 0x0d, 'I',  'H',  'D',  'R',
    0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x04, 0x08, 0x02, 0x00, 0x00, 0x00, 0x01, 0x02, 0x03,
    0x04, 0x00, 0x00, 0x00, 0x03, 't',  'E',  'X',  't',  'G',  'P',  'S',  0x05, 0x06, 0x07, 0x08,
    0x00, 0x00, 0x00, 0x02, 'I',  'D',  'A',  'T',  0xaa, 0xbb, 0x09, 0x0a, 0x0b, 0x0c, 0x00, 0x00,
    0x00, 0x00, 'I',  'E',  'N',  'D',  0xae, 0x42, 0x60, 0x82, 'G',  'P',  'S'};

static int contains(const uint8_t *b, size_t n, const char *s)
{
    size_t k = strlen(s);
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(b + i, s, k) == 0)
            return 1;
    return 0;
}

static void test_jpeg_cleaned(void **state)
{
    (void)state;
    uint8_t out[sizeof(jpeg)];
    size_t n;
    photo_info info;
    assert_int_equal(photo_clean(jpeg, sizeof(jpeg), PHOTO_JPEG, out, &n, &info), WR_OK);
    assert_int_equal(info.width, 3);
    assert_int_equal(info.height, 2);
    assert_int_equal(n, sizeof(jpeg) - 13 - 7);
    assert_false(contains(out, n, "GPS"));
    assert_false(contains(out, n, "hi!"));
    assert_true(contains(out, n, "JFIF"));
    assert_memory_equal(out + n - 17, jpeg + sizeof(jpeg) - 17, 17); /* SOS to EOI unchanged */
}

static void test_png_cleaned(void **state)
{
    (void)state;
    uint8_t out[sizeof(png)];
    size_t n;
    photo_info info;
    assert_int_equal(photo_clean(png, sizeof(png), PHOTO_PNG, out, &n, &info), WR_OK);
    assert_int_equal(info.width, 5);
    assert_int_equal(info.height, 4);
    assert_int_equal(n, 8 + 25 + 14 + 12);
    assert_false(contains(out, n, "GPS"));
    assert_true(contains(out, n, "IDAT"));
}

static void test_refusals(void **state)
{
    (void)state;
    uint8_t out[sizeof(png) + sizeof(jpeg)];
    size_t n;
    photo_info info;
    assert_int_equal(photo_clean(png, sizeof(png), PHOTO_JPEG, out, &n, &info), WR_EINVAL);
    assert_int_equal(photo_clean(jpeg, sizeof(jpeg), PHOTO_PNG, out, &n, &info), WR_EINVAL);
    assert_int_equal(photo_clean(jpeg, sizeof(jpeg) - 2, PHOTO_JPEG, out, &n, &info), WR_ETRUNC);
    assert_int_equal(photo_clean(jpeg, 30, PHOTO_JPEG, out, &n, &info), WR_ETRUNC);
    assert_int_equal(photo_clean(png, 40, PHOTO_PNG, out, &n, &info), WR_ETRUNC);
    uint8_t big[sizeof(png)];
    memcpy(big, png, sizeof(png));
    big[18] = 0x40; /* width 0x00400005 */
    assert_int_equal(photo_clean(big, sizeof(big), PHOTO_PNG, out, &n, &info), WR_ERANGE);
    uint8_t zero[sizeof(jpeg)];
    memcpy(zero, jpeg, sizeof(jpeg));
    zero[36] = 0x00, zero[37] = 0x00; /* SOF height 0 */
    assert_int_equal(photo_clean(zero, sizeof(zero), PHOTO_JPEG, out, &n, &info), WR_ERANGE);
    photo_format f;
    assert_int_equal(photo_format_of("image/png", &f), WR_OK);
    assert_int_equal(f, PHOTO_PNG);
    assert_int_equal(photo_format_of("image/jpeg; q=1", &f), WR_OK);
    assert_int_equal(f, PHOTO_JPEG);
    assert_int_equal(photo_format_of("image/gif", &f), WR_EINVAL);
    assert_int_equal(photo_format_of("image/pngx", &f), WR_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jpeg_cleaned),
        cmocka_unit_test(test_png_cleaned),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
