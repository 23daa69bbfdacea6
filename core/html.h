/* html.h — text made safe for HTML: every character that could end a text or an attribute
 * value is written as an entity. Pure. */
#ifndef WELDREG_CORE_HTML_H
#define WELDREG_CORE_HTML_H

#include <stddef.h>

/* Writes @p in, escaped (& < > " ' as entities), to @p out of @p cap bytes, NUL-terminated.
 * Returns the length the whole escaped text needs (without the NUL): a result >= @p cap means
 * it was cut short. NULL @p in is the empty text. */
size_t html_escape(char *out, size_t cap, const char *in);

#endif
