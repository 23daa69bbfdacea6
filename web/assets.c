/* assets.c — GET /static/vendor/<file>: the embedded front-end libraries (assets.h), and the
 * pages' own static files embedded the same way. */
#include "web/assets.h"

#include <string.h>

#include "web/call.h"
#include "web/page.h"
#include "web/routes.h"

const web_asset *web_asset_find(const char *url)
{
    for (size_t i = 0; i < web_asset_count; i++)
        if (strcmp(web_assets[i].url, url) == 0)
            return &web_assets[i];
    return NULL;
}

static void page_vendor_fn(web_call *call, http_response *resp)
{
    const web_asset *a = web_asset_find(call->req->path);
    if (!a) {
        page_message(resp, 404, "页面不存在", "not found");
        return;
    }
    web_static(resp, a->type, (const char *)a->data, a->len);
}

static const web_route web_assets_table[] = {
    {"GET", "/static/vendor/", GATE_PUBLIC, ACCESS_READ, page_vendor_fn},
    {"GET", "/static/ent.js", GATE_PUBLIC, ACCESS_READ, page_vendor_fn},  /* web/enterprise.js */
    {"GET", "/static/ent.css", GATE_PUBLIC, ACCESS_READ, page_vendor_fn}, /* web/enterprise.css */
};

const web_routes web_routes_assets = WEB_ROUTES(web_assets_table);
