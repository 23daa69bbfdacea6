/* page.c — the HTML frame, escaping and the small static assets (kept in the binary: nothing to
 * install, nothing from a CDN). */
#include "web/page.h"

#include <stdlib.h>
#include <string.h>

#include "core/html.h"

const char page_css[] =
    "*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,\"Noto Sans CJK SC\","
    "\"Droid Sans Fallback\",sans-serif;color:#1b1b1b;background:#f4f5f7}"
    "header{background:#b3261e;color:#fff;padding:.6rem 1rem;font-weight:600}"
    "main{max-width:40rem;margin:0 auto;padding:1rem}"
    ".card{background:#fff;border-radius:.5rem;padding:1rem;margin:0 0 1rem;"
    "box-shadow:0 1px 3px rgba(0,0,0,.15)}"
    ".en{color:#5f6368;font-size:.85em;margin-left:.4em}"
    "header .en,button .en{color:#fde8e6}"
    "label{display:block;margin:.6rem 0 .2rem}input,select,textarea{width:100%;padding:.6rem;"
    "font:inherit;border:1px solid #aaa;border-radius:.3rem}img{max-width:100%}"
    "button{margin-top:1rem;width:100%;padding:.7rem;font-size:1rem;background:#b3261e;"
    "color:#fff;border:0;border-radius:.3rem}"
    ".ok{color:#1e7d32;font-weight:600}.bad{color:#b3261e;font-weight:600}"
    "ul.links{padding-left:1.2rem}table{border-collapse:collapse;width:100%}"
    "td,th{border-bottom:1px solid #ddd;padding:.3rem;text-align:left}"
    "h2{font-size:1.1rem;margin:0 0 .4rem}#live-list{list-style:none;padding:0;margin:0}"
    ".alert{border-left:4px solid #e6a100;background:#fffaf0;padding:.4rem .6rem;margin:.4rem 0}"
    ".alert.critical{border-color:#b3261e;background:#fff5f4}"
    ".alert .meta{display:block;color:#5f6368;font-size:.85em;overflow-wrap:anywhere}"
    "#live[data-state=reconnecting] #live-state{color:#b3261e;font-weight:600}"
    /* the office's reports and map (pages_office.c, pages_map.c): wide tables scroll in their
     * card, not the page */
    ".scroll{overflow-x:auto}.scroll table{min-width:36rem}td.total{font-weight:600}"
    "select{width:100%;padding:.6rem;font-size:1rem}figure{margin:0 0 1rem}"
    ".chart svg,.map>svg{width:100%;height:auto;display:block}.map-tiles{height:70vh;"
    "min-height:18rem}.legend .dot,.legend .tri{display:inline-block;width:.8em;height:.8em;"
    "border-radius:50%;background:#5f6368}.legend .dot.live{background:#1e7d32}"
    ".legend .tri{border-radius:0;background:#b3261e}\n";

const char page_js[] = "'use strict';\n"
                       "// app.js: progressive enhancement only; every page works without it.\n"
                       "document.addEventListener('DOMContentLoaded', function () {\n"
                       "  var f = document.querySelector('form[data-once]');\n"
                       "  if (f) f.addEventListener('submit', function () {\n"
                       "    var b = f.querySelector('button'); if (b) b.disabled = true;\n"
                       "  });\n"
                       "});\n";

void page_raw(textbuf *b, const char *s)
{
    textbuf_put(b, s, strlen(s));
}

void page_text(textbuf *b, const char *s)
{
    char small[256];
    size_t need = html_escape(small, sizeof(small), s);
    if (need < sizeof(small)) {
        textbuf_put(b, small, need);
        return;
    }
    char *big = malloc(need + 1);
    if (!big) {
        b->failed = true;
        return;
    }
    html_escape(big, need + 1, s);
    textbuf_put(b, big, need);
    free(big);
}

void page_begin(textbuf *b, const char *zh, const char *en)
{
    page_raw(b, "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
                "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                "<title>");
    page_text(b, zh);
    page_raw(b, " · weldreg</title><link rel=\"stylesheet\" href=\"/static/app.css\">"
                "<script src=\"/static/app.js\" defer></script></head><body>"
                "<header>焊机监管平台<span class=\"en\">weldreg</span></header><main><h1>");
    page_text(b, zh);
    page_raw(b, "<span class=\"en\" lang=\"en\">");
    page_text(b, en);
    page_raw(b, "</span></h1>\n");
}

void page_finish(textbuf *b, unsigned status, http_response *resp)
{
    page_raw(b, "</main></body></html>\n");
    http_take_text(resp, status, NULL, b);
}

void page_message(http_response *resp, unsigned status, const char *zh, const char *en)
{
    textbuf b = {0};
    page_begin(&b, zh, en);
    page_raw(&b, "<p class=\"card\"><a href=\"/\">返回首页<span class=\"en\">home</span></a></p>");
    page_finish(&b, status, resp);
}
