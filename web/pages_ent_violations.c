/* pages_ent_violations.c — the enterprise's violations with their rectification deadlines
 * (issue 16's 整改), and the fix its safety officer submits: a note and a photo, recorded as
 * evidence in the violation's history. Closing it (销号) stays an inspector's act. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/reason.h"
#include "server/db/store_enterprise.h"
#include "web/call.h"
#include "web/page.h"
#include "web/pages_ent.h"
#include "web/routes.h"

/* The violation's kind in Chinese when it is a reason of core/reason.c. */
static void ent_kind(textbuf *b, const char *kind)
{
    reason_code code;
    if (reason_from_name(kind, strlen(kind), &code))
        page_text(b, reason_zh(code));
    page_raw(b, "<span class=\"en\">");
    page_text(b, kind);
    page_raw(b, "</span>");
}

static void ent_fix_form(const ent_rows *l, const char *id)
{
    textbuf *b = l->b;
    ent_form_for(b, l->call, "<form method=\"post\" action=\"/ent/violations/fix\" data-fix>", id);
    page_raw(b, "<input type=\"hidden\" name=\"photo\" value=\"\">"
                "<label>整改说明<span class=\"en\">what was fixed</span>"
                "<input name=\"note\" required maxlength=\"500\"></label>"
                "<label>整改照片<span class=\"en\">photo of the fix</span>"
                "<input type=\"file\" accept=\"image/jpeg,image/png\" required></label>"
                "<p class=\"bad fix-error\" hidden>照片上传失败<span class=\"en\">the photo "
                "could not be uploaded</span></p><button type=\"submit\">提交整改<span "
                "class=\"en\">Submit the fix</span></button></form>");
}

static void ent_violation_row(void *arg, const char *const *cell, int n)
{
    ent_rows *l = arg;
    textbuf *b = l->b;
    if (n < 10)
        return;
    bool open = strcmp(cell[3], "open") == 0 || strcmp(cell[3], "acknowledged") == 0;
    bool overdue = cell[6][0] == 't';
    ent_put(b, "<section class=\"card violation\" id=\"v", cell[0]);
    page_raw(b, "\"><h2>");
    ent_kind(b, cell[1]);
    ent_put(b, "</h2><p>", cell[4]);
    if (cell[7][0])
        ent_put(b, " · ", cell[7]);
    ent_put(b, " · <b>", cell[3]);
    page_raw(b, overdue ? "</b></p><p class=\"bad\">" : "</b></p><p>");
    ent_put(b, "整改期限<span class=\"en\">rectify by</span>: <span class=\"deadline\">", cell[5]);
    page_raw(b, overdue ? "</span> 已逾期<span class=\"en\">overdue</span></p>" : "</span></p>");
    if (cell[8][0]) {
        ent_put(b, "<p class=\"ok evidence\">已提交整改<span class=\"en\">fix submitted</span>: ",
                cell[8]);
        if (strcmp(cell[9], "0") != 0) {
            ent_put(b, " <a class=\"photo\" href=\"/photos/", cell[9]);
            page_raw(b, "\">照片<span class=\"en\">photo</span></a>");
        }
        page_raw(b, "</p>");
    }
    if (open && l->may)
        ent_fix_form(l, cell[0]);
    page_raw(b, "</section>");
}

/* GET /ent/violations */
static const ent_page ent_violations_page = {
    "违规与整改",
    "Violations to rectify",
    "<p class=\"card\">提交整改后，由检查员核实"
    "销号。<span class=\"en\">After you submit the fix, an inspector checks it and closes the "
    "violation.</span></p>",
    false,
    "<div id=\"violations\">",
    "</div>",
    ACCESS_APPLY,
    store_ent_violations,
    ent_violation_row,
};

static void page_ent_violations_fn(web_call *call, http_response *resp)
{
    ent_list_page(call, resp, &ent_violations_page);
}

/* POST /ent/violations/fix: id, note, photo (the id POST /photos answered). */
static void page_ent_fix_fn(web_call *call, http_response *resp)
{
    int64_t ent = ent_of(call, resp);
    if (!ent)
        return;
    int64_t id = ent_form_id(call->req, "id"), photo = ent_form_id(call->req, "photo");
    const char *text = http_form(call->req, "note");
    if (!id || !photo || !text || !*text || strlen(text) > 500) {
        ent_message(resp, 400, "请填写整改说明并附上照片", "a fix needs a note and a photo",
                    "/ent/violations");
        return;
    }
    char actor[96];
    ent_actor(call, actor, sizeof(actor));
    store *db = web_db_get(call);
    int rc = store_ent_submit_fix(db, actor, call->session.account_id, ent, id, text, photo);
    web_db_put(call, db, rc);
    if (rc < 0)
        web_db_unavailable(resp);
    else if (rc == 0)
        ent_message(resp, 404, "没有可整改的此违规记录，或照片不是您上传的",
                    "no such violation of ours to rectify, or the photo is not yours",
                    "/ent/violations");
    else
        web_redirect(resp, "/ent/violations");
}

static const web_route web_violations_table[] = {
    {"GET", "/ent/violations", GATE_ROLE, ACCESS_READ, page_ent_violations_fn},
    {"POST", "/ent/violations/fix", GATE_ROLE, ACCESS_APPLY, page_ent_fix_fn},
};

const web_routes web_routes_ent_violations = WEB_ROUTES(web_violations_table);
