/* test-scan.c — image loading (every PNG flavour, JPEG, damaged and oversized files) and QR
 * scanning, up to a degraded "phone photo" of a code. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tag-reader/image.h"
#include "tag-reader/qr.h"
#include "tag-reader/scan.h"

static const char base45_alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

typedef struct fixture {
    char dir[64];
    char *code;   /* a realistic 380-character code */
    char png[96]; /* the code as a plain 8-bit grey PNG, 4 px a module */
} fixture;

static char *make_code(size_t len, unsigned seed)
{
    char *code = malloc(len + 1);
    assert_non_null(code);
    memcpy(code, "WR2:", 4);
    uint32_t state = seed * 2654435761u + 1;
    for (size_t i = 4; i < len; i++) {
        state = state * 1103515245u + 12345u;
        code[i] = base45_alphabet[(state >> 16) % 45];
    }
    code[len] = '\0';
    return code;
}

static int run_command(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run_command(const char *fmt, ...)
{
    char command[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(command, sizeof(command), fmt, ap);
    va_end(ap);
    assert_true(n > 0 && (size_t)n < sizeof(command));
    return system(command);
}

static void write_code_png(const char *text, int module_px, const char *path)
{
    qr_matrix m;
    assert_int_equal(qr_encode(text, QR_LEVEL_Q, &m), WR_OK);
    FILE *out = fopen(path, "wb");
    assert_non_null(out);
    assert_int_equal(qr_write_png(&m, module_px, QR_QUIET_MODULES, out), WR_OK);
    assert_int_equal(fclose(out), 0);
    qr_matrix_deinit(&m);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    snprintf(f->dir, sizeof(f->dir), "/tmp/test-tag-scan-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    f->code = make_code(380, 11);
    snprintf(f->png, sizeof(f->png), "%s/code.png", f->dir);
    write_code_png(f->code, 4, f->png);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    run_command("rm -rf '%s'", f->dir);
    free(f->code);
    free(f);
    return 0;
}

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *in = fopen(path, "rb");
    assert_non_null(in);
    assert_int_equal(fseek(in, 0, SEEK_END), 0);
    long size = ftell(in);
    assert_true(size > 0);
    rewind(in);
    uint8_t *data = malloc((size_t)size);
    assert_non_null(data);
    assert_int_equal(fread(data, 1, (size_t)size, in), (size_t)size);
    fclose(in);
    *len = (size_t)size;
    return data;
}

static void assert_file_scans_to(const char *path, const char *expected)
{
    scan_result result;
    wr_status status = scan_file(path, &result);
    assert_int_equal(status, WR_OK);
    assert_int_equal(result.count, 1);
    assert_int_equal(result.codes[0].len, strlen(expected));
    assert_memory_equal(result.codes[0].text, expected, result.codes[0].len);
    scan_result_deinit(&result);
}

/* Converts the fixture's PNG with ImageMagick @p options into file @p name of the dir, in
 * ImageMagick output format @p format ("png24", "jpg", ...), and scans it. */
static void assert_variant_scans(const fixture *f, const char *options, const char *format,
                                 const char *name)
{
    char path[160];
    snprintf(path, sizeof(path), "%s/%s", f->dir, name);
    assert_int_equal(run_command("convert '%s' %s '%s:%s'", f->png, options, format, path), 0);
    assert_file_scans_to(path, f->code);
}

static void test_detect(void **state)
{
    (void)state;
    const uint8_t png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0};
    const uint8_t jpeg[] = {0xff, 0xd8, 0xff, 0xe0};
    assert_int_equal(image_detect(png, sizeof(png)), IMAGE_FORMAT_PNG);
    assert_int_equal(image_detect(jpeg, sizeof(jpeg)), IMAGE_FORMAT_JPEG);
    assert_int_equal(image_detect(png, 7), IMAGE_FORMAT_UNKNOWN);
    assert_int_equal(image_detect((const uint8_t *)"GIF89a", 6), IMAGE_FORMAT_UNKNOWN);
    assert_int_equal(image_detect(NULL, 0), IMAGE_FORMAT_UNKNOWN);
}

static void test_png_round_trip(void **state)
{
    fixture *f = *state;
    assert_file_scans_to(f->png, f->code);
}

/* Every colour type and bit depth, as `file` reports them: each must load as grey and scan. */
static void test_png_flavours(void **state)
{
    fixture *f = *state;
    const char *grey = "-define png:color-type=0 -define png:bit-depth=";
    char options[160];
    static const char *depths[] = {"1", "2", "4", "8", "16"};
    for (size_t i = 0; i < sizeof(depths) / sizeof(depths[0]); i++) {
        char name[32];
        snprintf(options, sizeof(options), "%s%s", grey, depths[i]);
        snprintf(name, sizeof(name), "grey%s.png", depths[i]);
        assert_variant_scans(f, options, "png", name);
    }
    assert_variant_scans(f, "-define png:color-type=3 -define png:bit-depth=8", "png",
                         "palette.png");
    assert_variant_scans(f, "-define png:color-type=2", "png24", "rgb.png");
    assert_variant_scans(f, "-define png:color-type=2 -define png:bit-depth=16", "png48",
                         "rgb16.png");
    assert_variant_scans(f, "-alpha set -define png:color-type=4", "png", "grey-alpha.png");
    assert_variant_scans(f, "-define png:color-type=6", "png32", "rgba.png");
    assert_variant_scans(f, "-define png:color-type=2 -define png:bit-depth=16 -interlace PNG",
                         "png48", "interlaced.png");
}

/* Light modules fully transparent over black: only compositing onto white makes it a code. */
static void test_png_transparency_is_white(void **state)
{
    fixture *f = *state;
    assert_variant_scans(f,
                         "-alpha copy -channel A -negate +channel -fill black -colorize 100 "
                         "-type TrueColorAlpha",
                         "png32", "transparent.png");
    char path[160];
    snprintf(path, sizeof(path), "%s/transparent.png", f->dir);
    grey_image img;
    assert_int_equal(image_load_file(path, NULL, &img), WR_OK);
    assert_int_equal(img.pixels[0], 255);
    image_deinit(&img);
}

static void test_jpeg_flavours(void **state)
{
    fixture *f = *state;
    assert_variant_scans(f, "-quality 90", "jpg", "baseline.jpg");
    assert_variant_scans(f, "-type Grayscale -quality 85", "jpg", "grey.jpg");
    assert_variant_scans(f, "-interlace JPEG -quality 80", "jpg", "progressive.jpg");
    assert_variant_scans(f, "-type TrueColor -sampling-factor 4:2:0 -quality 75", "jpg",
                         "colour.jpg");
}

/* A phone photo: slightly rotated, smaller, soft, noisy, lossy. */
static void test_photo_of_code(void **state)
{
    fixture *f = *state;
    char big[160];
    snprintf(big, sizeof(big), "%s/print.png", f->dir);
    write_code_png(f->code, 6, big);
    char photo[160];
    snprintf(photo, sizeof(photo), "%s/photo.jpg", f->dir);
    assert_int_equal(run_command("convert '%s' -seed 7 -background white -rotate 7 -resize 60%% "
                                 "-blur 0x0.8 -attenuate 0.6 +noise Gaussian -quality 70 '%s'",
                                 big, photo),
                     0);
    grey_image img;
    assert_int_equal(image_load_file(photo, NULL, &img), WR_OK);
    printf("# photo: %d x %d pixels, %.1f pixels a module\n", img.width, img.height, 6 * 0.6);
    image_deinit(&img);
    assert_file_scans_to(photo, f->code);
}

static void test_several_codes_in_one_image(void **state)
{
    (void)state;
    char *codes[3] = {make_code(380, 21), make_code(420, 22), make_code(100, 23)};
    grey_image page;
    assert_int_equal(image_init(&page, 1200, 420, 255), WR_OK);
    for (int i = 0; i < 3; i++) {
        qr_matrix m;
        grey_image one;
        assert_int_equal(qr_encode(codes[i], QR_LEVEL_Q, &m), WR_OK);
        assert_int_equal(qr_rasterize(&m, 4, QR_QUIET_MODULES, &one), WR_OK);
        for (int y = 0; y < one.height; y++)
            memcpy(page.pixels + (size_t)y * page.width + (size_t)(i * 400),
                   one.pixels + (size_t)y * one.width, (size_t)one.width);
        image_deinit(&one);
        qr_matrix_deinit(&m);
    }
    scan_result result;
    assert_int_equal(scan_image(&page, &result), WR_OK);
    assert_int_equal(result.count, 3);
    int seen = 0;
    for (size_t r = 0; r < result.count; r++)
        for (int i = 0; i < 3; i++)
            if (strcmp(result.codes[r].text, codes[i]) == 0)
                seen |= 1 << i;
    assert_int_equal(seen, 7);
    scan_result_deinit(&result);
    image_deinit(&page);
    for (int i = 0; i < 3; i++)
        free(codes[i]);
}

static void test_blank_image_has_no_codes(void **state)
{
    (void)state;
    grey_image img;
    assert_int_equal(image_init(&img, 300, 200, 255), WR_OK);
    scan_result result = {.count = 99};
    assert_int_equal(scan_image(&img, &result), WR_OK);
    assert_int_equal(result.count, 0);
    assert_null(result.codes);
    scan_result_deinit(&result);
    image_deinit(&img);
    grey_image empty = {0};
    assert_int_equal(scan_image(&empty, &result), WR_EINVAL);
    assert_int_equal(scan_image(NULL, &result), WR_EINVAL);
}

/* Every prefix of a valid file must fail cleanly (ASan watches), and short ones as truncation. */
static void assert_prefixes_fail(const uint8_t *data, size_t len)
{
    size_t step = len / 97 + 1;
    for (size_t cut = 0; cut < len; cut += (cut < 64 ? 1 : step)) {
        grey_image img = {.width = 7};
        wr_status status = image_load(data, cut, NULL, &img);
        if (status != WR_ETRUNC && status != WR_EINVAL && status != WR_ETYPE)
            fail_msg("prefix of %zu bytes: status %d", cut, status);
        assert_null(img.pixels);
        assert_int_equal(img.width, 0);
    }
}

static void test_truncated_files(void **state)
{
    fixture *f = *state;
    assert_variant_scans(f, "-quality 90", "jpg", "whole.jpg");
    const char *files[] = {"code.png", "whole.jpg"};
    for (size_t i = 0; i < 2; i++) {
        char path[160];
        snprintf(path, sizeof(path), "%s/%s", f->dir, files[i]);
        size_t len;
        uint8_t *data = read_file(path, &len);
        assert_prefixes_fail(data, len);
        grey_image img;
        assert_int_equal(image_load(data, len / 2, NULL, &img), WR_ETRUNC);
        assert_int_equal(image_load(data, len - 1, NULL, &img), WR_ETRUNC);
        assert_int_equal(image_load(data, 5, NULL, &img), WR_ETRUNC);
        free(data);
    }
}

/* Finds chunk @p type in a PNG; returns the offset of its data. */
static size_t png_chunk(const uint8_t *data, size_t len, const char *type)
{
    for (size_t at = 8; at + 12 <= len;) {
        size_t chunk_len = (size_t)data[at] << 24 | (size_t)data[at + 1] << 16 |
                           (size_t)data[at + 2] << 8 | data[at + 3];
        if (memcmp(data + at + 4, type, 4) == 0)
            return at + 8;
        at += chunk_len + 12;
    }
    fail_msg("no %s chunk", type);
    return 0;
}

static void test_corrupt_png(void **state)
{
    fixture *f = *state;
    size_t len;
    uint8_t *data = read_file(f->png, &len);
    grey_image img;
    size_t idat = png_chunk(data, len, "IDAT");
    data[idat + 10] ^= 0x55; /* CRC mismatch in a critical chunk */
    assert_int_equal(image_load(data, len, NULL, &img), WR_EINVAL);
    data[idat + 10] ^= 0x55;
    assert_int_equal(image_load(data, len, NULL, &img), WR_OK);
    image_deinit(&img);
    data[12] = 'X'; /* the first chunk is not IHDR */
    assert_int_equal(image_load(data, len, NULL, &img), WR_EINVAL);
    data[12] = 'I';
    data[16 + 3] = 0;
    data[16 + 2] = 0; /* width 0 */
    data[16 + 1] = 0;
    data[16] = 0;
    assert_int_equal(image_load(data, len, NULL, &img), WR_EINVAL);
    assert_null(img.pixels);
    free(data);
}

static void test_corrupt_jpeg(void **state)
{
    fixture *f = *state;
    assert_variant_scans(f, "-quality 90", "jpg", "corrupt.jpg");
    char path[160];
    snprintf(path, sizeof(path), "%s/corrupt.jpg", f->dir);
    size_t len;
    uint8_t *data = read_file(path, &len);
    grey_image img;
    /* Garbage in the entropy-coded data: libjpeg would only warn and draw grey blocks. */
    uint8_t *damaged = malloc(len);
    assert_non_null(damaged);
    memcpy(damaged, data, len);
    for (size_t i = len / 2; i < len / 2 + 64; i++)
        damaged[i] = 0xff;
    assert_int_equal(image_load(damaged, len, NULL, &img), WR_EINVAL);
    /* A header that is not a JPEG header after the magic number. */
    memcpy(damaged, data, len);
    memset(damaged + 3, 0x00, 40);
    assert_int_equal(image_load(damaged, len, NULL, &img), WR_EINVAL);
    assert_null(img.pixels);
    free(damaged);
    free(data);
    const uint8_t not_image[] = "GIF89a not supported";
    assert_int_equal(image_load(not_image, sizeof(not_image), NULL, &img), WR_ETYPE);
    assert_int_equal(image_load(not_image, 0, NULL, &img), WR_ETYPE);
    assert_string_equal(image_status_str(WR_ETYPE), "not a PNG or JPEG image");
    assert_string_equal(image_status_str(WR_ETRUNC), "image is truncated");
}

/* Sets a big-endian 16- or 32-bit field. */
static void put_be(uint8_t *at, uint32_t value, int bytes)
{
    for (int i = 0; i < bytes; i++)
        at[i] = (uint8_t)(value >> (8 * (bytes - 1 - i)));
}

static size_t jpeg_sof(const uint8_t *data, size_t len)
{
    for (size_t i = 2; i + 9 < len; i++)
        if (data[i] == 0xff && (data[i + 1] == 0xc0 || data[i + 1] == 0xc2))
            return i;
    fail_msg("no SOF marker");
    return 0;
}

/* CRC-32 of PNG chunks (ISO 3309), over the type and the data. */
static uint32_t png_crc(const uint8_t *p, size_t n)
{
    uint32_t crc = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = crc & 1 ? 0xedb88320u ^ (crc >> 1) : crc >> 1;
    }
    return crc ^ 0xffffffffu;
}

/* A 2 x 2 grey PNG of @p colour (8 bits a pixel) with IHDR claiming @p width x @p height; the
 * IDAT holds two rows whatever the header says. Returns its length. */
static size_t tiny_png(uint8_t *out, uint32_t width, uint32_t height, uint8_t colour)
{
    static const uint8_t head[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    /* zlib stream of the filtered rows {0, 0, 0} {0, 0, 0} (stored block) */
    static const uint8_t idat[] = {0x78, 0x01, 0x01, 0x06, 0x00, 0xf9, 0xff, 0,   0,
                                   0,    0,    0,    0,    0x00, 0x06, 0x00, 0x01};
    size_t n = 0;
    memcpy(out, head, sizeof(head));
    n += sizeof(head);
    uint8_t ihdr[25] = {0, 0, 0, 13, 'I', 'H', 'D', 'R'};
    put_be(ihdr + 8, width, 4);
    put_be(ihdr + 12, height, 4);
    ihdr[16] = 8;      /* bit depth */
    ihdr[17] = colour; /* 0 grey, 6 RGBA */
    put_be(ihdr + 21, png_crc(ihdr + 4, 17), 4);
    memcpy(out + n, ihdr, sizeof(ihdr));
    n += sizeof(ihdr);
    put_be(out + n, sizeof(idat), 4);
    memcpy(out + n + 4, "IDAT", 4);
    memcpy(out + n + 8, idat, sizeof(idat));
    put_be(out + n + 8 + sizeof(idat), png_crc(out + n + 4, 4 + sizeof(idat)), 4);
    n += 12 + sizeof(idat);
    memcpy(out + n, "\0\0\0\0IEND\xae\x42\x60\x82", 12);
    return n + 12;
}

/* Oversized dimensions are refused from the header, before any pixel memory is taken. */
static void test_oversized_images(void **state)
{
    fixture *f = *state;
    size_t len;
    uint8_t *png = read_file(f->png, &len);
    grey_image img;
    put_be(png + 16, IMAGE_MAX_SIDE + 1, 4);
    assert_int_equal(image_load(png, len, NULL, &img), WR_ERANGE);
    put_be(png + 16, 11000, 4);
    put_be(png + 20, 11000, 4); /* 121 megapixels */
    assert_int_equal(image_load(png, len, NULL, &img), WR_ERANGE);
    put_be(png + 16, 0x80000000u, 4);
    assert_int_equal(image_load(png, len, NULL, &img), WR_ERANGE);
    free(png);

    /* A header of 90 bytes declaring what no photo of a code needs: refused as too large, not
     * decoded (12000 x 8333 RGBA took 200 MB before being found short of data). */
    uint8_t tiny[128];
    const uint32_t sizes[][3] = {{60000, 60000, 0}, {12000, 8333, 6}, {8192, 8192, 0},
                                 {8192, 6145, 6},   {1, 60000, 0},    {8193, 1, 0}};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        len = tiny_png(tiny, sizes[i][0], sizes[i][1], (uint8_t)sizes[i][2]);
        img = (grey_image){.width = 7};
        if (image_load(tiny, len, NULL, &img) != WR_ERANGE)
            fail_msg("%u x %u was not refused as too large", sizes[i][0], sizes[i][1]);
        assert_null(img.pixels);
        assert_int_equal(img.width, 0);
    }
    len = tiny_png(tiny, 2, 2, 0);
    assert_int_equal(image_load(tiny, len, NULL, &img), WR_OK);
    assert_int_equal(img.width, 2);
    image_deinit(&img);
    assert_non_null(strstr(image_status_str(WR_ERANGE), "8192 pixels a side"));

    /* A limit below the real size refuses the real file. */
    image_limits tight = image_default_limits();
    tight.max_side = 100;
    assert_int_equal(image_load_file(f->png, &tight, &img), WR_ERANGE);
    tight = image_default_limits();
    tight.max_bytes = 100;
    assert_int_equal(image_load_file(f->png, &tight, &img), WR_ERANGE);

    assert_variant_scans(f, "-quality 90", "jpg", "big.jpg");
    char path[160];
    snprintf(path, sizeof(path), "%s/big.jpg", f->dir);
    uint8_t *jpeg = read_file(path, &len);
    size_t sof = jpeg_sof(jpeg, len);
    put_be(jpeg + sof + 5, 60000, 2); /* height */
    put_be(jpeg + sof + 7, 60000, 2); /* width */
    assert_int_equal(image_load(jpeg, len, NULL, &img), WR_ERANGE);
    assert_null(img.pixels);
    free(jpeg);
}

/* The fixture's PNG with a chunk of @p type inserted after IHDR: @p declared bytes said, @p n
 * bytes of text given, and a valid CRC when they agree. */
static uint8_t *png_with_chunk(const fixture *f, const char *type, uint32_t declared, size_t n,
                               size_t *out_len)
{
    size_t len;
    uint8_t *png = read_file(f->png, &len);
    uint8_t *out = malloc(len + n + 12);
    assert_non_null(out);
    size_t at = 33; /* signature and IHDR */
    memcpy(out, png, at);
    put_be(out + at, declared, 4);
    memcpy(out + at + 4, type, 4);
    memset(out + at + 8, 'x', n);
    memcpy(out + at + 8, "Comment", 8); /* a keyword and its NUL */
    size_t end = at + 8 + n;
    if (declared == n) {
        put_be(out + end, png_crc(out + at + 4, 4 + n), 4);
        end += 4;
        memcpy(out + end, png + at, len - at);
        end += len - at;
    }
    free(png);
    *out_len = end;
    return out;
}

/* A chunk declaring 2 GB in a file of a few hundred bytes once made libpng allocate it (it only
 * warns about lengths above its limit); chunks of text, profiles and the like are now skipped.
 * The allocation itself fails the fuzz replay (fuzz/corpus/tag-image/invalid-png-text-chunk-*);
 * here: the file is refused as truncated, and real metadata of any size does not get in the way. */
static void test_png_large_chunks(void **state)
{
    fixture *f = *state;
    const char *types[] = {"tEXt", "zTXt", "iTXt", "iCCP", "eXIf", "sPLT", "wRBg"};
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        size_t len;
        uint8_t *png = png_with_chunk(f, types[i], 0x7fffffffu, 64, &len);
        grey_image img = {.width = 7};
        if (image_load(png, len, NULL, &img) != WR_ETRUNC)
            fail_msg("a %s chunk of 2 GB in %zu bytes was not refused as truncated", types[i], len);
        assert_null(img.pixels);
        free(png);
        png = png_with_chunk(f, types[i], 3u << 20, 3u << 20, &len); /* 3 MiB of it, complete */
        wr_status status = image_load(png, len, NULL, &img);
        if (status != WR_OK)
            fail_msg("a PNG with 3 MiB of %s: status %d", types[i], status);
        image_deinit(&img);
        free(png);
    }
}

static void test_files(void **state)
{
    fixture *f = *state;
    scan_result result;
    char path[160];
    snprintf(path, sizeof(path), "%s/no-such-file.png", f->dir);
    assert_int_equal(scan_file(path, &result), WR_ENOTFOUND);
    assert_int_equal(result.count, 0);
    assert_int_equal(scan_file(f->dir, &result), WR_EIO); /* a directory */
    assert_int_equal(scan_file(NULL, &result), WR_EINVAL);
    assert_int_equal(image_write_png(&(grey_image){0}, stdout), WR_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_detect),
        cmocka_unit_test(test_png_round_trip),
        cmocka_unit_test(test_png_flavours),
        cmocka_unit_test(test_png_transparency_is_white),
        cmocka_unit_test(test_jpeg_flavours),
        cmocka_unit_test(test_photo_of_code),
        cmocka_unit_test(test_several_codes_in_one_image),
        cmocka_unit_test(test_blank_image_has_no_codes),
        cmocka_unit_test(test_truncated_files),
        cmocka_unit_test(test_corrupt_png),
        cmocka_unit_test(test_corrupt_jpeg),
        cmocka_unit_test(test_oversized_images),
        cmocka_unit_test(test_png_large_chunks),
        cmocka_unit_test(test_files),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
