/* photo.h — a photo a person uploads as evidence (a JPEG or PNG from a phone), checked and
 * cleaned before it is stored: its bytes must be the format its sender names, its size within
 * PHOTO_SIDE_MAX, and what it carries beyond the picture — EXIF (the phone's position, its
 * serial number, the time), XMP, comments, text chunks — is dropped (personal data minimised).
 * The picture's own data is copied unchanged. Pure. */
#ifndef WELDREG_CORE_PHOTO_H
#define WELDREG_CORE_PHOTO_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

#define PHOTO_SIDE_MAX 8192 /* pixels of the longer side */

typedef enum photo_format { PHOTO_JPEG, PHOTO_PNG } photo_format;

typedef struct photo_info {
    photo_format format;
    unsigned width, height;
} photo_info;

/* The format a Content-Type names ("image/jpeg", "image/png", parameters after ';' allowed).
 * WR_EINVAL for any other. */
wr_status photo_format_of(const char *content_type, photo_format *out);

/* The Content-Type of @p format. */
const char *photo_media_type(photo_format format);

/* Checks the @p len bytes of @p in as a photo of @p format and writes it cleaned to @p out
 * (at most @p len bytes: cleaning only removes), its length to @p out_len, its format and size to
 * @p info. WR_EINVAL for bytes that are not that format (or whose structure is broken before the
 * picture's data), WR_ETRUNC for a photo cut short, WR_ERANGE for a side of 0 or over
 * PHOTO_SIDE_MAX. */
wr_status photo_clean(const uint8_t *in, size_t len, photo_format format, uint8_t *out,
                      size_t *out_len, photo_info *info);

#endif
