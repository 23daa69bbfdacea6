/* pages_machines.c — GET /machines: the machines of the caller's scope (all, their communities,
 * their enterprise), decided by core/access.c as the CoAP API decides. An enterprise's own
 * accounts pick machines there to print their labels (POST /ent/labels, pages_enterprise.c). */
#include <stdlib.h>

#include "server/db/store_accounts.h"
#include "web/call.h"
#include "web/page.h"
#include "web/routes.h"

typedef struct web_machine_list {
    textbuf *b;
    bool pick; /* a checkbox per machine, for labels */
} web_machine_list;

static void web_machine_row(void *arg, const store_machine_row *row)
{
    web_machine_list *l = arg;
    textbuf *b = l->b;
    const char *cells[] = {row->chip_id, row->enterprise, row->community, row->category,
                           row->status};
    page_raw(b, "<tr>");
    for (size_t i = 0; i < sizeof(cells) / sizeof(cells[0]); i++) {
        page_raw(b, "<td>");
        page_text(b, cells[i]);
        page_raw(b, "</td>");
    }
    if (l->pick) {
        page_raw(b, "<td><input type=\"checkbox\" name=\"m");
        page_text(b, row->id);
        page_raw(b, "\" aria-label=\"label\"></td>");
    }
    page_raw(b, "</tr>");
}

static void page_machines_fn(web_call *call, http_response *resp)
{
    textbuf b = {0};
    web_machine_list l = {&b, web_read_scope(call) == ACCESS_ENTERPRISE};
    page_begin(&b, "焊机", "Machines");
    if (l.pick) {
        page_raw(&b, "<link rel=\"stylesheet\" href=\"/static/ent.css\"><form class=\"card "
                     "wide\" method=\"post\" action=\"/ent/labels\">");
        web_csrf_field(&b, call);
    } else {
        page_raw(&b, "<div class=\"card\">");
    }
    page_raw(&b, "<table id=\"machines\"><thead><tr><th>芯片号</th><th>企业</th><th>社区</th>"
                 "<th>类别</th><th>状态</th>");
    if (l.pick)
        page_raw(&b, "<th>标签<span class=\"en\">label</span></th>");
    page_raw(&b, "</tr></thead><tbody>");
    store *db = web_db_get(call);
    int n = store_machines_in_scope(db, web_read_scope(call), call->session.account_id,
                                    call->session.enterprise_id, web_machine_row, &l);
    web_db_put(call, db, n);
    page_raw(&b, "</tbody></table>");
    page_raw(&b, l.pick ? "<button type=\"submit\">打印所选标签 (PDF)<span class=\"en\">print "
                          "the selected labels</span></button></form>"
                        : "</div>");
    if (n < 0) {
        free(b.data);
        web_db_unavailable(resp);
        return;
    }
    page_finish(&b, 200, resp);
}

static const web_route web_machines_table[] = {
    {"GET", "/machines", GATE_ROLE, ACCESS_READ, page_machines_fn},
};

const web_routes web_routes_machines = WEB_ROUTES(web_machines_table);
