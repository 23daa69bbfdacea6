/* textbuf.h — a growing buffer of text, for data built piece by piece: COPY data of an import
 * (res_admin_import.c), array literals of the writer's bulk statement (store_checkins_bulk.c).
 * An allocation failure is remembered rather than reported at each step. */
#ifndef WELDREG_SERVER_TEXTBUF_H
#define WELDREG_SERVER_TEXTBUF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct textbuf {
    char *data; /* not NUL-terminated unless a NUL was put */
    size_t len, cap;
    bool failed; /* an allocation failed: data holds what came before, the rest is dropped */
} textbuf;

/* Appends @p n bytes of @p s unless the buffer has failed. */
void textbuf_put(textbuf *b, const char *s, size_t n);

/* Appends the printf-formatted text (at most 511 bytes; longer is cut) unless the buffer has
 * failed. */
void textbuf_printf(textbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
