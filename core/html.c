/* html.c — HTML escaping for the web's pages. */
#include "core/html.h"

#include <string.h>

static const char *html_entity(char c)
{
    switch (c) {
    case '&': return "&amp;";
    case '<': return "&lt;";
    case '>': return "&gt;";
    case '"': return "&quot;";
    case '\'': return "&#39;";
    default: return NULL;
    }
}

size_t html_escape(char *out, size_t cap, const char *in)
{
    size_t n = 0, written = 0;
    for (const char *p = in ? in : ""; *p; p++) {
        const char *ent = html_entity(*p);
        size_t len = ent ? strlen(ent) : 1;
        if (written == n && n + len < cap) { /* whole characters only, room left for the NUL */
            memcpy(out + n, ent ? ent : p, len);
            written += len;
        }
        n += len;
    }
    if (cap)
        out[written] = '\0';
    return n;
}
