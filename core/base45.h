/* base45.h — RFC 9285 Base45, the QR-alphanumeric-friendly encoding of the weldreg code. */
#ifndef WELDREG_CORE_BASE45_H
#define WELDREG_CORE_BASE45_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

/* Number of characters base45_encode() writes for @p n bytes, not counting the NUL. */
size_t base45_encoded_len(size_t n);

/* Encodes @p n bytes of @p in into @p out, NUL-terminated; @p cap must be at least
 * base45_encoded_len(n) + 1 (WR_ESPACE otherwise, with out[0] = '\0' if cap > 0). Sets
 * @p out_len (may be NULL) to the number of characters. */
wr_status base45_encode(const uint8_t *in, size_t n, char *out, size_t cap, size_t *out_len);

/* Decodes @p n characters of @p in into @p out (capacity @p cap) and sets @p out_len.
 * WR_EINVAL for a character outside the alphabet, a dangling single character, or a group whose
 * value is out of range (a triple above 65535, a pair above 255); WR_ESPACE if out is too small.
 * On error *out_len is 0 and the content of out is unspecified. */
wr_status base45_decode(const char *in, size_t n, uint8_t *out, size_t cap, size_t *out_len);

#endif
