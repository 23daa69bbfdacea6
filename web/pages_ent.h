/* pages_ent.h — what the enterprise's pages (web/pages_enterprise.c, pages_ent_*.c) share: the
 * caller's own enterprise, ids picked in a form, table cells and the audit actor. */
#ifndef WELDREG_WEB_PAGES_ENT_H
#define WELDREG_WEB_PAGES_ENT_H

#include <stddef.h>
#include <stdint.h>

#include "server/db/store_enterprise.h"
#include "web/call.h"

/* The enterprise pages' own style and script (served by pages_enterprise.c), after the title. */
#define ENT_ASSETS                                                                                 \
    "<link rel=\"stylesheet\" href=\"/static/ent.css\"><script src=\"/static/ent.js\" "            \
    "defer></script>"

/* The enterprise of the caller (an officer or approver account); for any other role 0, with a
 * 403 page in @p resp. */
int64_t ent_of(const web_call *call, http_response *resp);

/* The ids of the form fields named @p prefix followed by a positive number ("w12": welder 12),
 * at most @p cap of them, into @p ids; their number, or cap + 1 when there are more. */
size_t ent_form_ids(const http_request *req, char prefix, int64_t *ids, size_t cap);

/* The positive id in form field @p name, or 0. */
int64_t ent_form_id(const http_request *req, const char *name);

/* A table cell holding @p text, escaped. */
void ent_cell(textbuf *b, const char *text);

/* "web:<login>", the audit log's actor. */
void ent_actor(const web_call *call, char *buf, size_t cap);

/* What the row callbacks of an enterprise's list write with. */
typedef struct ent_rows {
    textbuf *b;
    const web_call *call;
    bool may; /* the caller may act on a row (the page's need) */
} ent_rows;

/* A page of the enterprise's rows: @p head, the CSRF field when @p form, @p table, the rows
 * that @p list hands to @p row (its arg an ent_rows), @p tail. */
typedef struct ent_page {
    const char *zh, *en;
    const char *head;
    bool form;
    const char *table;
    const char *tail;
    access_need may; /* what acting on a row needs */
    int (*list)(store *st, int64_t enterprise_id, store_ent_row_fn each, void *arg);
    store_ent_row_fn row;
} ent_page;

/* Writes @p page for the caller's enterprise (a 403 for other roles, a 503 when the database
 * fails). */
void ent_list_page(web_call *call, http_response *resp, const ent_page *page);

/* Opens a form (its tag @p form_tag, markup) about record @p id: the CSRF field and a hidden
 * field "id". */
void ent_form_for(textbuf *b, const web_call *call, const char *form_tag, const char *id);

/* Appends the markup @p markup, then @p text escaped. */
void ent_put(textbuf *b, const char *markup, const char *text);

/* A page with one message (escaped) and a link back to @p back. */
void ent_message(http_response *resp, unsigned status, const char *zh, const char *en,
                 const char *back);

#endif
