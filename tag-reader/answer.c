/* answer.c — the server's answers on a terminal: columns that stay aligned with Chinese text. */
#include "tag-reader/answer.h"

#include <stdio.h>

/* Terminal columns of code point @p cp. */
static int answer_width(unsigned cp)
{
    /* East Asian wide: CJK, Hangul, full-width forms */
    return (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
                   (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
                   (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
                   (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x20000 && cp <= 0x3FFFD)
               ? 2
               : 1;
}

/* The UTF-8 character at @p p: its bytes (stopping at a NUL) and its columns. */
static int answer_char(const unsigned char *p, int *columns)
{
    int n = *p < 0x80 ? 1 : *p < 0xE0 ? 2 : *p < 0xF0 ? 3 : 4;
    unsigned cp = n == 1 ? *p : *p & (0x3Fu >> (n - 1));
    int i = 1;
    for (; i < n && p[i]; i++)
        cp = (cp << 6) | (p[i] & 0x3Fu);
    *columns = answer_width(cp);
    return i;
}

int answer_columns(const char *text)
{
    int total = 0, w;
    for (const unsigned char *p = (const unsigned char *)text; *p; total += w)
        p += answer_char(p, &w);
    return total;
}

void answer_cell(FILE *out, const char *text, int width)
{
    const unsigned char *s = (const unsigned char *)text;
    int total = answer_columns(text), w;
    int room = total <= width ? width : width - 1, used = 0;
    for (const unsigned char *p = s; *p;) {
        int n = answer_char(p, &w);
        if (used + w > room)
            break;
        fwrite(p, 1, (size_t)n, out);
        used += w;
        p += n;
    }
    if (total > width) {
        fputc('~', out);
        used++;
    }
    for (; used < width; used++)
        fputc(' ', out);
}
