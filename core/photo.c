/* photo.c — JPEG and PNG walked segment by segment (chunk by chunk): the segments that carry
 * the picture are copied, those that carry metadata are not. */
#include "core/photo.h"

#include <string.h>

static const uint8_t png_signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

wr_status photo_format_of(const char *content_type, photo_format *out)
{
    static const struct {
        const char *type;
        photo_format format;
    } types[] = {{"image/jpeg", PHOTO_JPEG}, {"image/png", PHOTO_PNG}};
    for (size_t i = 0; content_type && i < sizeof(types) / sizeof(types[0]); i++) {
        size_t n = strlen(types[i].type);
        if (strncmp(content_type, types[i].type, n) == 0 &&
            (content_type[n] == '\0' || content_type[n] == ';')) {
            *out = types[i].format;
            return WR_OK;
        }
    }
    return WR_EINVAL;
}

const char *photo_media_type(photo_format format)
{
    return format == PHOTO_PNG ? "image/png" : "image/jpeg";
}

static unsigned be16(const uint8_t *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static wr_status photo_size_ok(photo_info *info, unsigned width, unsigned height)
{
    if (width == 0 || height == 0 || width > PHOTO_SIDE_MAX || height > PHOTO_SIDE_MAX)
        return WR_ERANGE;
    info->width = width;
    info->height = height;
    return WR_OK;
}

/* ---- JPEG: SOI, segments up to SOS, then the entropy-coded data to EOI ---- */

/* A start-of-frame marker: SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC). */
static int jpeg_is_sof(uint8_t m)
{
    return m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc;
}

/* Metadata segments: APP1..APP13 and APP15 (EXIF, XMP, ICC is APP2 — colours are kept by the
 * browsers' sRGB default), and comments. APP0 (JFIF) and APP14 (Adobe: the colour transform of
 * CMYK/YCCK pictures) are kept: the picture needs them. */
static int jpeg_is_metadata(uint8_t m)
{
    return (m >= 0xe1 && m <= 0xef && m != 0xee) || m == 0xfe;
}

static wr_status photo_clean_jpeg(const uint8_t *in, size_t len, uint8_t *out, size_t *out_len,
                                  photo_info *info)
{
    if (len < 4 || in[0] != 0xff || in[1] != 0xd8)
        return WR_EINVAL;
    size_t pos = 2, n = 2;
    memcpy(out, in, 2);
    int have_size = 0;
    for (;;) {
        if (pos + 4 > len)
            return WR_ETRUNC;
        if (in[pos] != 0xff)
            return WR_EINVAL;
        uint8_t m = in[pos + 1];
        if (m == 0xff) { /* fill byte */
            pos++;
            continue;
        }
        size_t seg = be16(in + pos + 2);
        if (seg < 2 || m == 0xd8 || m == 0xd9 || (m >= 0xd0 && m <= 0xd7) || m == 0x01)
            return WR_EINVAL; /* no length-less marker belongs before SOS */
        if (pos + 2 + seg > len)
            return WR_ETRUNC;
        if (jpeg_is_sof(m)) {
            if (seg < 8)
                return WR_EINVAL;
            wr_status st = photo_size_ok(info, be16(in + pos + 7), be16(in + pos + 5));
            if (st != WR_OK)
                return st;
            have_size = 1;
        }
        if (m == 0xda) { /* SOS: the picture's data follows, copied to the end */
            if (!have_size)
                return WR_EINVAL;
            memcpy(out + n, in + pos, len - pos);
            *out_len = n + (len - pos);
            return len - pos >= 2 && in[len - 2] == 0xff && in[len - 1] == 0xd9 ? WR_OK : WR_ETRUNC;
        }
        if (!jpeg_is_metadata(m)) {
            memcpy(out + n, in + pos, 2 + seg);
            n += 2 + seg;
        }
        pos += 2 + seg;
    }
}

/* ---- PNG: the signature, IHDR first, chunks, IEND last ---- */

/* Ancillary chunks that are metadata, dropped: text, EXIF, the time of last change. The others
 * (critical ones, transparency, gamma, colour space, physical size, palettes) are kept. */
static int png_is_metadata(const uint8_t type[4])
{
    static const char dropped[][5] = {"tEXt", "zTXt", "iTXt", "eXIf", "tIME"};
    for (size_t i = 0; i < sizeof(dropped) / sizeof(dropped[0]); i++)
        if (memcmp(type, dropped[i], 4) == 0)
            return 1;
    return 0;
}

static wr_status photo_clean_png(const uint8_t *in, size_t len, uint8_t *out, size_t *out_len,
                                 photo_info *info)
{
    if (len < 8 || memcmp(in, png_signature, 8) != 0)
        return WR_EINVAL;
    memcpy(out, in, 8);
    size_t pos = 8, n = 8;
    for (int first = 1;; first = 0) {
        if (pos + 12 > len)
            return WR_ETRUNC;
        uint32_t data = be32(in + pos);
        const uint8_t *type = in + pos + 4;
        if (data > len - pos - 12)
            return WR_ETRUNC;
        int ihdr = memcmp(type, "IHDR", 4) == 0;
        if (first != ihdr || (ihdr && data != 13))
            return WR_EINVAL;
        if (ihdr) {
            if (be32(in + pos + 8) > PHOTO_SIDE_MAX || be32(in + pos + 12) > PHOTO_SIDE_MAX)
                return WR_ERANGE;
            wr_status st =
                photo_size_ok(info, (unsigned)be32(in + pos + 8), (unsigned)be32(in + pos + 12));
            if (st != WR_OK)
                return st;
        }
        size_t chunk = 12 + (size_t)data;
        if (!png_is_metadata(type)) {
            memcpy(out + n, in + pos, chunk);
            n += chunk;
        }
        pos += chunk;
        if (memcmp(type, "IEND", 4) == 0) {
            *out_len = n;
            return WR_OK; /* what follows IEND is not copied */
        }
    }
}

wr_status photo_clean(const uint8_t *in, size_t len, photo_format format, uint8_t *out,
                      size_t *out_len, photo_info *info)
{
    *out_len = 0;
    info->format = format;
    return format == PHOTO_PNG ? photo_clean_png(in, len, out, out_len, info)
                               : photo_clean_jpeg(in, len, out, out_len, info);
}
