/* hex.h — bytes as lower-case hex text and back. Pure. */
#ifndef WELDREG_CORE_HEX_H
#define WELDREG_CORE_HEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Writes the @p n bytes of @p b as 2 * @p n lower-case hex digits and a NUL to @p out. */
void hex_encode(const uint8_t *b, size_t n, char *out);

/* Parses exactly 2 * @p n lower-case hex digits of @p hex (NUL-terminated) into @p out. False,
 * with @p out partly written, for any other text. */
bool hex_decode_lower(const char *hex, uint8_t *out, size_t n);

#endif
