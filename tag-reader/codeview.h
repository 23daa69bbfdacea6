/* codeview.h — what `weldtag read` and `weldtag verify` share: getting a code's text from the
 * command line or from a photo, and printing its fields for a person. */
#ifndef WELDREG_TAG_CODEVIEW_H
#define WELDREG_TAG_CODEVIEW_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/code.h"

/* Puts the code text into @p out (NUL-terminated): @p text itself when it is not NULL, else the
 * first QR code in the PNG or JPEG at @p image that starts with CODE_PREFIX (or the first QR
 * code at all when none does). 0, or -1 with a message in @p err: no such file, not an image,
 * no QR code found, text longer than @p cap - 1. */
int codeview_get_text(const char *text, const char *image, char *out, size_t cap, char *err,
                      size_t errlen);

/* Writes @p t as "YYYY-MM-DD HH:MM:SS ZONE" in the local time zone. */
void codeview_format_time(uint64_t t, char *out, size_t cap);

/* Prints the fields of @p p for a person: kind, chip or masked licence, enterprise, categories,
 * issued and expires in local time, issuer, key id and cti. */
void codeview_print(FILE *out, const code_parsed *p);

/* Writes @p n bytes of @p bytes as lower-case hex (2n + 1 bytes of @p out). */
void codeview_hex(const uint8_t *bytes, size_t n, char *out);

/* Writes one line for a person: the QR version @p version that @p text_len characters of a
 * @p kind code took at level Q, and the largest version a code of that kind may take. */
void codeview_qr_report(code_kind kind, size_t text_len, int version, char *out, size_t cap);

#endif
