/* textbuf.c — a growing buffer of text. */
#include "server/db/textbuf.h"

#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void textbuf_put(textbuf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n > b->cap) {
        size_t cap = (b->cap ? b->cap * 2 : 4096) + n;
        /* not realloc(): the old block is wiped first, as it may hold personal data (an
         * import's COPY rows) */
        char *grown = malloc(cap);
        if (!grown) {
            b->failed = true;
            return;
        }
        if (b->data) {
            memcpy(grown, b->data, b->len);
            OPENSSL_cleanse(b->data, b->cap);
            free(b->data);
        }
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
}

void textbuf_printf(textbuf *b, const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    if (n > 0)
        textbuf_put(b, text, (size_t)n < sizeof(text) ? (size_t)n : sizeof(text) - 1);
}
