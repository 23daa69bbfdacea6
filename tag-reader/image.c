/* image.c — grey images from untrusted PNG/JPEG bytes and to PNG; wraps libpng and libjpeg. */
#include "tag-reader/image.h"

#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <jerror.h>
#include <jpeglib.h>
#include <png.h>

/* Progressive JPEGs can carry thousands of tiny scans that each cost a full pass over the
 * coefficients: a few hundred bytes can keep a decoder busy for minutes. Real files use ~10. */
#define JPEG_MAX_SCANS 200

/* What libpng may allocate for itself (the pixels are ours): a few rows of the widest pixel it
 * works with (8 bytes), zlib's state and window, a palette; 1 MiB besides the rows is ample. */
#define PNG_ROW_ALLOC_FACTOR 16
#define PNG_ALLOC_SLACK      ((size_t)1 << 20)
/* The chunks we do not skip are small; no chunk data above this is ever wanted. */
#define PNG_CHUNK_MALLOC_MAX ((png_alloc_size_t)1 << 20)
#define PNG_CHUNK_CACHE_MAX  32

static const uint8_t image_png_magic[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

image_limits image_default_limits(void)
{
    return (image_limits){IMAGE_MAX_SIDE, IMAGE_MAX_PIXELS, IMAGE_MAX_BYTES};
}

static bool image_fits(long width, long height, const image_limits *limits)
{
    return width >= 1 && height >= 1 && width <= limits->max_side && height <= limits->max_side &&
           width * height <= limits->max_pixels;
}

wr_status image_init(grey_image *img, int width, int height, uint8_t fill)
{
    image_limits limits = image_default_limits();
    *img = (grey_image){0};
    if (!image_fits(width, height, &limits))
        return WR_ERANGE;
    size_t size = (size_t)width * (size_t)height;
    img->pixels = malloc(size);
    if (!img->pixels)
        return WR_ENOMEM;
    memset(img->pixels, fill, size);
    img->width = width;
    img->height = height;
    return WR_OK;
}

void image_deinit(grey_image *img)
{
    if (!img)
        return;
    free(img->pixels);
    *img = (grey_image){0};
}

image_format image_detect(const uint8_t *data, size_t len)
{
    if (len >= sizeof(image_png_magic) &&
        memcmp(data, image_png_magic, sizeof(image_png_magic)) == 0)
        return IMAGE_FORMAT_PNG;
    if (len >= 3 && data[0] == 0xff && data[1] == 0xd8 && data[2] == 0xff)
        return IMAGE_FORMAT_JPEG;
    return IMAGE_FORMAT_UNKNOWN;
}

const char *image_status_str(wr_status status)
{
    switch (status) {
    case WR_OK: return "ok";
    case WR_ETYPE: return "not a PNG or JPEG image";
    case WR_ERANGE:
        return "image is too large (at most 8192 pixels a side and 50 megapixels: scale it down)";
    case WR_ETRUNC: return "image is truncated";
    case WR_EINVAL: return "image data is corrupt";
    case WR_ENOTFOUND: return "no such file";
    case WR_EIO: return "could not read or write the image file";
    default: return wr_status_str(status);
    }
}

/* ---- PNG reading ---- */

typedef struct image_png_reader {
    png_structp png;
    png_infop info;
    const uint8_t *data;
    size_t len;
    size_t pos;
    bool truncated;
    size_t alloc_max; /* the largest block libpng may allocate for itself */
    uint8_t *decoded; /* rows as libpng delivers them: grey, or grey + alpha */
    png_bytep *rows;
    grey_image image; /* the result, once composited */
} image_png_reader;

static void image_png_on_error(png_structp png, png_const_charp message)
{
    (void)message;
    png_longjmp(png, 1);
}

static void image_png_on_warning(png_structp png, png_const_charp message)
{
    (void)png;
    (void)message;
}

static void image_png_read_memory(png_structp png, png_bytep dst, size_t n)
{
    image_png_reader *r = png_get_io_ptr(png);
    if (n > r->len - r->pos) {
        r->truncated = true;
        png_error(png, "truncated");
    }
    memcpy(dst, r->data + r->pos, n);
    r->pos += n;
}

/* libpng's allocations, each bounded: whatever a chunk declares, libpng cannot take more than
 * its row buffers need (a refused block is "out of memory" to libpng: the image is refused). */
static png_voidp image_png_malloc(png_structp png, png_alloc_size_t size)
{
    const image_png_reader *r = png_get_mem_ptr(png);
    return size <= r->alloc_max ? malloc(size) : NULL;
}

static void image_png_free(png_structp png, png_voidp block)
{
    (void)png;
    free(block);
}

/* libpng 1.6 only warns (a "benign error") when a chunk is longer than png_set_chunk_malloc_max()
 * allows, and then allocates it all the same: a 3 x 3 image whose tEXt chunk declared 1.9 GB took
 * 1.9 GB (found by fuzz-tag-image; seeds invalid-png-text-chunk-*). The chunks whose length the
 * file chooses are skipped unread, as are unknown ones: a grey image needs IHDR, PLTE, tRNS, IDAT
 * and IEND, and the colour chunks libpng also reads (gAMA, cHRM, sRGB, sBIT, bKGD...) have a
 * fixed size. */
static const png_byte image_png_skipped_chunks[] = {
    'i', 'C', 'C', 'P', '\0', 'i', 'T', 'X', 't', '\0', 's', 'P', 'L', 'T', '\0',
    't', 'E', 'X', 't', '\0', 'z', 'T', 'X', 't', '\0', 'e', 'X', 'I', 'f', '\0',
    'p', 'C', 'A', 'L', '\0', 's', 'C', 'A', 'L', '\0', 'h', 'I', 'S', 'T', '\0',
};

static void image_png_set_limits(png_structp png, const image_limits *limits)
{
    png_set_user_limits(png, (png_uint_32)limits->max_side, (png_uint_32)limits->max_side);
    png_set_chunk_malloc_max(png, PNG_CHUNK_MALLOC_MAX);
    png_set_chunk_cache_max(png, PNG_CHUNK_CACHE_MAX);
    png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, NULL, 0);
    png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, image_png_skipped_chunks,
                                (int)(sizeof(image_png_skipped_chunks) / 5));
}

/* Reads the dimensions from the IHDR chunk so that an oversized image is refused as such before
 * libpng sees it (libpng's own limit errors are indistinguishable from corruption). */
static wr_status image_png_check_header(const uint8_t *data, size_t len, const image_limits *limits)
{
    if (len < 24)
        return WR_ETRUNC;
    if (memcmp(data + 12, "IHDR", 4) != 0)
        return WR_EINVAL;
    long width = (long)((uint32_t)data[16] << 24 | (uint32_t)data[17] << 16 |
                        (uint32_t)data[18] << 8 | data[19]);
    long height = (long)((uint32_t)data[20] << 24 | (uint32_t)data[21] << 16 |
                         (uint32_t)data[22] << 8 | data[23]);
    if (width == 0 || height == 0)
        return WR_EINVAL;
    return image_fits(width, height, limits) ? WR_OK : WR_ERANGE;
}

/* Asks libpng for 8-bit grey, with an alpha channel if the image has transparency. */
static void image_png_request_grey8(image_png_reader *r)
{
    int colour = png_get_color_type(r->png, r->info);
    int depth = png_get_bit_depth(r->png, r->info);
    if (colour == PNG_COLOR_TYPE_PALETTE)
        png_set_palette_to_rgb(r->png);
    if (colour == PNG_COLOR_TYPE_GRAY && depth < 8)
        png_set_expand_gray_1_2_4_to_8(r->png);
    if (png_get_valid(r->png, r->info, PNG_INFO_tRNS))
        png_set_tRNS_to_alpha(r->png);
    if (depth == 16)
        png_set_strip_16(r->png);
    if (colour & PNG_COLOR_MASK_COLOR)
        png_set_rgb_to_gray_fixed(r->png, PNG_ERROR_ACTION_NONE, -1, -1);
    png_set_interlace_handling(r->png);
    png_read_update_info(r->png, r->info);
}

/* Transparent pixels become white: a code printed on a transparent background must stay dark on
 * light, whatever colour the transparent pixels happen to hold. */
static wr_status image_png_composite(image_png_reader *r, int width, int height, int channels)
{
    if (channels == 1) {
        r->image = (grey_image){width, height, r->decoded};
        r->decoded = NULL;
        return WR_OK;
    }
    size_t count = (size_t)width * (size_t)height;
    uint8_t *grey = malloc(count);
    if (!grey)
        return WR_ENOMEM;
    for (size_t i = 0; i < count; i++) {
        unsigned value = r->decoded[2 * i], alpha = r->decoded[2 * i + 1];
        grey[i] = (uint8_t)((value * alpha + 255u * (255u - alpha) + 127u) / 255u);
    }
    r->image = (grey_image){width, height, grey};
    return WR_OK;
}

/* Everything that may longjmp, in a function of its own so that no local of image_png_decode() is
 * live across the jump. */
static wr_status image_png_decode_body(image_png_reader *r, const image_limits *limits)
{
    image_png_set_limits(r->png, limits);
    png_read_info(r->png, r->info);
    image_png_request_grey8(r);
    int width = (int)png_get_image_width(r->png, r->info);
    int height = (int)png_get_image_height(r->png, r->info);
    int channels = png_get_channels(r->png, r->info);
    if (!image_fits(width, height, limits))
        return WR_ERANGE;
    if (png_get_bit_depth(r->png, r->info) != 8 || (channels != 1 && channels != 2) ||
        png_get_rowbytes(r->png, r->info) != (size_t)width * (size_t)channels)
        return WR_EINVAL;
    /* The rows as decoded, grey or grey + alpha: at most twice the pixels the limits allow. */
    size_t stride = (size_t)width * (size_t)channels;
    if (stride * (size_t)height > 2 * (size_t)limits->max_pixels)
        return WR_ERANGE;
    r->decoded = malloc(stride * (size_t)height);
    r->rows = malloc(sizeof(*r->rows) * (size_t)height);
    if (!r->decoded || !r->rows)
        return WR_ENOMEM;
    for (int y = 0; y < height; y++)
        r->rows[y] = r->decoded + stride * (size_t)y;
    png_read_image(r->png, r->rows);
    png_read_end(r->png, NULL);
    return image_png_composite(r, width, height, channels);
}

static wr_status image_png_decode(image_png_reader *r, const image_limits *limits)
{
    if (setjmp(png_jmpbuf(r->png)))
        return r->truncated ? WR_ETRUNC : WR_EINVAL;
    return image_png_decode_body(r, limits);
}

static wr_status image_png_load(const uint8_t *data, size_t len, const image_limits *limits,
                                grey_image *out)
{
    wr_status status = image_png_check_header(data, len, limits);
    if (status != WR_OK)
        return status;
    image_png_reader r = {.data = data, .len = len};
    r.alloc_max = (size_t)limits->max_side * PNG_ROW_ALLOC_FACTOR + PNG_ALLOC_SLACK;
    r.png = png_create_read_struct_2(PNG_LIBPNG_VER_STRING, NULL, image_png_on_error,
                                     image_png_on_warning, &r, image_png_malloc, image_png_free);
    if (r.png)
        r.info = png_create_info_struct(r.png);
    if (!r.png || !r.info) {
        status = WR_ENOMEM;
        goto cleanup;
    }
    png_set_read_fn(r.png, &r, image_png_read_memory);
    status = image_png_decode(&r, limits);
    if (status == WR_OK) {
        *out = r.image;
        r.image = (grey_image){0};
    }
cleanup:
    png_destroy_read_struct(&r.png, &r.info, NULL);
    free(r.rows);
    free(r.decoded);
    image_deinit(&r.image);
    return status;
}

/* ---- JPEG reading ---- */

typedef struct image_jpeg_reader {
    struct jpeg_decompress_struct cinfo;
    struct jpeg_error_mgr errors; /* cinfo.err points here; the jump buffer follows */
    jmp_buf jump;
    struct jpeg_progress_mgr progress;
    wr_status failure; /* what a jump means */
    uint8_t *pixels;
} image_jpeg_reader;

static image_jpeg_reader *image_jpeg_reader_of(j_common_ptr cinfo)
{
    /* cinfo is the first member of image_jpeg_reader, so the decompressor's address is the
     * reader's. */
    return (image_jpeg_reader *)(void *)cinfo;
}

static void image_jpeg_on_error(j_common_ptr cinfo)
{
    image_jpeg_reader *r = image_jpeg_reader_of(cinfo);
    r->failure = WR_EINVAL;
    longjmp(r->jump, 1);
}

/* libjpeg only warns about damaged data and carries on with grey blocks; a damaged photo of a
 * code is refused instead, and a premature end is reported as truncation. */
static void image_jpeg_on_message(j_common_ptr cinfo, int level)
{
    if (level >= 0)
        return; /* trace messages */
    image_jpeg_reader *r = image_jpeg_reader_of(cinfo);
    r->failure = cinfo->err->msg_code == JWRN_JPEG_EOF ? WR_ETRUNC : WR_EINVAL;
    longjmp(r->jump, 1);
}

static void image_jpeg_on_output(j_common_ptr cinfo)
{
    (void)cinfo;
}

static void image_jpeg_on_progress(j_common_ptr cinfo)
{
    image_jpeg_reader *r = image_jpeg_reader_of(cinfo);
    if (r->cinfo.input_scan_number > JPEG_MAX_SCANS) {
        r->failure = WR_EINVAL;
        longjmp(r->jump, 1);
    }
}

static wr_status image_jpeg_decode_body(image_jpeg_reader *r, const uint8_t *data, size_t len,
                                        const image_limits *limits)
{
    jpeg_create_decompress(&r->cinfo);
    r->cinfo.progress = &r->progress;
    /* Bounds the coefficient buffers of progressive images; 8 bytes a pixel is ample. */
    r->cinfo.mem->max_memory_to_use = limits->max_pixels * 8;
    jpeg_mem_src(&r->cinfo, data, (unsigned long)len);
    jpeg_read_header(&r->cinfo, TRUE);
    if (!image_fits((long)r->cinfo.image_width, (long)r->cinfo.image_height, limits))
        return WR_ERANGE;
    r->cinfo.out_color_space = JCS_GRAYSCALE;
    jpeg_start_decompress(&r->cinfo);
    JDIMENSION width = r->cinfo.output_width, height = r->cinfo.output_height;
    if (r->cinfo.output_components != 1 || !image_fits((long)width, (long)height, limits))
        return WR_EINVAL;
    r->pixels = malloc((size_t)width * (size_t)height);
    if (!r->pixels)
        return WR_ENOMEM;
    while (r->cinfo.output_scanline < height) {
        JSAMPROW row = r->pixels + (size_t)r->cinfo.output_scanline * width;
        jpeg_read_scanlines(&r->cinfo, &row, 1);
    }
    jpeg_finish_decompress(&r->cinfo);
    return WR_OK;
}

static wr_status image_jpeg_decode(image_jpeg_reader *r, const uint8_t *data, size_t len,
                                   const image_limits *limits)
{
    if (setjmp(r->jump))
        return r->failure;
    return image_jpeg_decode_body(r, data, len, limits);
}

static wr_status image_jpeg_load(const uint8_t *data, size_t len, const image_limits *limits,
                                 grey_image *out)
{
    image_jpeg_reader *r = calloc(1, sizeof(*r));
    if (!r)
        return WR_ENOMEM;
    r->cinfo.err = jpeg_std_error(&r->errors);
    r->errors.error_exit = image_jpeg_on_error;
    r->errors.emit_message = image_jpeg_on_message;
    r->errors.output_message = image_jpeg_on_output;
    r->progress.progress_monitor = image_jpeg_on_progress;
    wr_status status = image_jpeg_decode(r, data, len, limits);
    if (status == WR_OK) {
        *out = (grey_image){(int)r->cinfo.output_width, (int)r->cinfo.output_height, r->pixels};
        r->pixels = NULL;
    }
    jpeg_destroy_decompress(&r->cinfo);
    free(r->pixels);
    free(r);
    return status;
}

/* ---- loading ---- */

/* True for the first bytes of a PNG or JPEG magic number and nothing more: a truncated file. */
static bool image_is_magic_prefix(const uint8_t *data, size_t len)
{
    static const uint8_t jpeg_magic[3] = {0xff, 0xd8, 0xff};
    if (len == 0)
        return false;
    if (len < sizeof(image_png_magic) && memcmp(data, image_png_magic, len) == 0)
        return true;
    return len < sizeof(jpeg_magic) && memcmp(data, jpeg_magic, len) == 0;
}

wr_status image_load(const uint8_t *data, size_t len, const image_limits *limits, grey_image *out)
{
    image_limits defaults = image_default_limits();
    *out = (grey_image){0};
    if (!limits)
        limits = &defaults;
    if (!data)
        return WR_EINVAL;
    switch (image_detect(data, len)) {
    case IMAGE_FORMAT_PNG: return image_png_load(data, len, limits, out);
    case IMAGE_FORMAT_JPEG: return image_jpeg_load(data, len, limits, out);
    case IMAGE_FORMAT_UNKNOWN: break;
    }
    return image_is_magic_prefix(data, len) ? WR_ETRUNC : WR_ETYPE;
}

/* Reads all of @p in into a new buffer of at most @p max_bytes. */
static wr_status image_slurp(FILE *in, size_t max_bytes, uint8_t **data, size_t *len)
{
    size_t cap = (size_t)64 * 1024, used = 0;
    uint8_t *buf = malloc(cap);
    if (!buf)
        return WR_ENOMEM;
    for (;;) {
        if (used == cap) {
            if (cap > max_bytes) {
                free(buf);
                return WR_ERANGE;
            }
            uint8_t *grown = realloc(buf, cap * 2);
            if (!grown) {
                free(buf);
                return WR_ENOMEM;
            }
            buf = grown;
            cap *= 2;
        }
        size_t n = fread(buf + used, 1, cap - used, in);
        used += n;
        if (n == 0)
            break;
    }
    if (ferror(in) || used > max_bytes) {
        free(buf);
        return ferror(in) ? WR_EIO : WR_ERANGE;
    }
    *data = buf;
    *len = used;
    return WR_OK;
}

wr_status image_load_file(const char *path, const image_limits *limits, grey_image *out)
{
    image_limits defaults = image_default_limits();
    *out = (grey_image){0};
    if (!limits)
        limits = &defaults;
    FILE *in = fopen(path, "rb");
    if (!in)
        return errno == ENOENT ? WR_ENOTFOUND : WR_EIO;
    uint8_t *data = NULL;
    size_t len = 0;
    wr_status status = image_slurp(in, limits->max_bytes, &data, &len);
    fclose(in);
    if (status == WR_OK)
        status = image_load(data, len, limits, out);
    free(data);
    return status;
}

/* ---- PNG writing ---- */

typedef struct image_png_writer {
    png_structp png;
    png_infop info;
    FILE *out;
    bool io_failed;
} image_png_writer;

static void image_png_write_stream(png_structp png, png_bytep src, size_t n)
{
    image_png_writer *w = png_get_io_ptr(png);
    if (fwrite(src, 1, n, w->out) != n) {
        w->io_failed = true;
        png_error(png, "write failed");
    }
}

static void image_png_flush_stream(png_structp png)
{
    image_png_writer *w = png_get_io_ptr(png);
    if (fflush(w->out) != 0) {
        w->io_failed = true;
        png_error(png, "flush failed");
    }
}

static void image_png_encode_body(image_png_writer *w, const grey_image *img)
{
    png_set_write_fn(w->png, w, image_png_write_stream, image_png_flush_stream);
    png_set_IHDR(w->png, w->info, (png_uint_32)img->width, (png_uint_32)img->height, 8,
                 PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_write_info(w->png, w->info);
    for (int y = 0; y < img->height; y++)
        png_write_row(w->png, img->pixels + (size_t)y * (size_t)img->width);
    png_write_end(w->png, NULL);
}

static wr_status image_png_encode(image_png_writer *w, const grey_image *img)
{
    if (setjmp(png_jmpbuf(w->png)))
        return w->io_failed ? WR_EIO : WR_EINVAL;
    image_png_encode_body(w, img);
    return WR_OK;
}

wr_status image_write_png(const grey_image *img, FILE *out)
{
    if (!img || !img->pixels || img->width < 1 || img->height < 1 || !out)
        return WR_EINVAL;
    image_png_writer w = {.out = out};
    wr_status status = WR_ENOMEM;
    w.png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, image_png_on_error,
                                    image_png_on_warning);
    if (w.png)
        w.info = png_create_info_struct(w.png);
    if (w.png && w.info)
        status = image_png_encode(&w, img);
    png_destroy_write_struct(&w.png, &w.info);
    if (status == WR_OK && (fflush(out) != 0 || ferror(out)))
        status = WR_EIO;
    return status;
}
