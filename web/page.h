/* page.h — server-rendered HTML: the frame every page shares (zh-CN first, English beside, the
 * self-served style and script, no inline script) and text that is always escaped. */
#ifndef WELDREG_WEB_PAGE_H
#define WELDREG_WEB_PAGE_H

#include "server/db/textbuf.h"
#include "web/http.h"

/* Appends literal markup @p s (never a person's text). */
void page_raw(textbuf *b, const char *s);

/* Appends @p s HTML-escaped (core/html.c). */
void page_text(textbuf *b, const char *s);

/* The head and the top bar, with the title @p zh / @p en (escaped). */
void page_begin(textbuf *b, const char *zh, const char *en);

/* Closes the page and hands it to @p resp with @p status; on an allocation failure, a 500. */
void page_finish(textbuf *b, unsigned status, http_response *resp);

/* A whole page with a heading and one message (escaped), for errors and refusals. */
void page_message(http_response *resp, unsigned status, const char *zh, const char *en);

/* The stylesheet and script, served at /static/app.css and /static/app.js. */
extern const char page_css[];
extern const char page_js[];

#endif
