/* pages_machines.c — GET /machines: the machines of the caller's scope (all, their communities,
 * their enterprise), decided by core/access.c as the CoAP API decides. */
#include <stdlib.h>

#include "server/db/store_accounts.h"
#include "web/call.h"
#include "web/page.h"
#include "web/routes.h"

static void web_machine_row(void *arg, const store_machine_row *row)
{
    textbuf *b = arg;
    const char *cells[] = {row->chip_id, row->enterprise, row->community, row->category,
                           row->status};
    page_raw(b, "<tr>");
    for (size_t i = 0; i < sizeof(cells) / sizeof(cells[0]); i++) {
        page_raw(b, "<td>");
        page_text(b, cells[i]);
        page_raw(b, "</td>");
    }
    page_raw(b, "</tr>");
}

static void page_machines_fn(web_call *call, http_response *resp)
{
    textbuf b = {0};
    page_begin(&b, "焊机", "Machines");
    page_raw(&b, "<div class=\"card\"><table id=\"machines\"><thead><tr><th>芯片号</th><th>企业"
                 "</th><th>社区</th><th>类别</th><th>状态</th></tr></thead><tbody>");
    store *db = web_db_get(call);
    int n = store_machines_in_scope(db, web_read_scope(call), call->session.account_id,
                                    call->session.enterprise_id, web_machine_row, &b);
    web_db_put(call, db, n);
    page_raw(&b, "</tbody></table></div>");
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
