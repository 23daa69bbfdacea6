/* assets.h — the front-end libraries weldreg-web serves itself, embedded in the binary at build
 * time (web/tools/embed.c over web/front/node_modules, versions pinned by
 * web/front/package-lock.json): no CDN, nothing to install beside the binary. Their licences are
 * served too (GET /static/vendor/LICENSES.txt). */
#ifndef WELDREG_WEB_ASSETS_H
#define WELDREG_WEB_ASSETS_H

#include <stddef.h>

typedef struct web_asset {
    const char *url;  /* "/static/vendor/jsQR.js" */
    const char *type; /* its Content-Type */
    const unsigned char *data;
    size_t len;
} web_asset;

extern const web_asset web_assets[];
extern const size_t web_asset_count;

/* The asset served at @p url, or NULL. */
const web_asset *web_asset_find(const char *url);

#endif
