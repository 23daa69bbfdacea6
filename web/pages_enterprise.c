/* pages_enterprise.c — an enterprise safety officer's registry (issue 17): their welders with
 * the licence state the check-in decision applies, their codes, and sheets of labels for the
 * machines and welders they pick, laid out by the weldtag label code (tag-reader/labels.c) from
 * the code text the registry kept, so that a label prints again identically. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/code.h"
#include "server/db/store_enterprise.h"
#include "tag-reader/labels.h"
#include "web/call.h"
#include "web/page.h"
#include "web/pages_ent.h"
#include "web/routes.h"

/* ---- shared by the enterprise's pages (pages_ent.h) ---- */

int64_t ent_of(const web_call *call, http_response *resp)
{
    if (access_role_enterprise(call->role) && call->session.enterprise_id > 0)
        return call->session.enterprise_id;
    page_message(resp, 403, "此页面仅供企业账户使用", "for enterprise accounts only");
    return 0;
}

static int64_t ent_parse_id(const char *s)
{
    char *end;
    if (!s || *s < '1' || *s > '9')
        return 0;
    long long v = strtoll(s, &end, 10);
    return *end || v <= 0 ? 0 : (int64_t)v;
}

size_t ent_form_ids(const http_request *req, char prefix, int64_t *ids, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < req->form_count; i++) {
        if (req->form_name[i][0] != prefix)
            continue;
        int64_t id = ent_parse_id(req->form_name[i] + 1);
        if (!id)
            continue;
        if (n == cap)
            return cap + 1;
        ids[n++] = id;
    }
    return n;
}

int64_t ent_form_id(const http_request *req, const char *name)
{
    return ent_parse_id(http_form(req, name));
}

void ent_cell(textbuf *b, const char *text)
{
    page_raw(b, "<td>");
    page_text(b, text);
    page_raw(b, "</td>");
}

void ent_put(textbuf *b, const char *markup, const char *text)
{
    page_raw(b, markup);
    page_text(b, text);
}

void ent_form_for(textbuf *b, const web_call *call, const char *form_tag, const char *id)
{
    page_raw(b, form_tag);
    web_csrf_field(b, call);
    ent_put(b, "<input type=\"hidden\" name=\"id\" value=\"", id);
    page_raw(b, "\">");
}

void ent_list_page(web_call *call, http_response *resp, const ent_page *page)
{
    int64_t ent = ent_of(call, resp);
    if (!ent)
        return;
    textbuf b = {0};
    ent_rows rows = {&b, call, access_decide(call->role, page->may) != ACCESS_DENIED};
    page_begin(&b, page->zh, page->en);
    page_raw(&b, ENT_ASSETS);
    page_raw(&b, page->head);
    if (page->form)
        web_csrf_field(&b, call);
    page_raw(&b, page->table);
    store *db = web_db_get(call);
    int n = page->list(db, ent, page->row, &rows);
    web_db_put(call, db, n);
    page_raw(&b, page->tail);
    if (n < 0) {
        free(b.data);
        web_db_unavailable(resp);
        return;
    }
    page_finish(&b, 200, resp);
}

void ent_actor(const web_call *call, char *buf, size_t cap)
{
    snprintf(buf, cap, "web:%s", call->session.login);
}

void ent_message(http_response *resp, unsigned status, const char *zh, const char *en,
                 const char *back)
{
    textbuf b = {0};
    page_begin(&b, zh, en);
    page_raw(&b, "<p class=\"card\"><a href=\"");
    page_text(&b, back);
    page_raw(&b, "\">返回<span class=\"en\">back</span></a></p>");
    page_finish(&b, status, resp);
}

/* ---- welders ---- */

/* The licence states of weldreg_licence_state(), in words. */
static const char *ent_licence_zh(const char *state)
{
    static const char *const names[][2] = {
        {"valid", "有效"},     {"expiring", "即将到期"},
        {"expired", "已过期"}, {"review_overdue", "逾期未复审"},
        {"revoked", "已吊销"},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(state, names[i][0]) == 0)
            return names[i][1];
    return state;
}

static void ent_welder_row(void *arg, const char *const *cell, int n)
{
    textbuf *b = ((ent_rows *)arg)->b;
    if (n < 8)
        return;
    bool ok = strcmp(cell[3], "valid") == 0 || strcmp(cell[3], "expiring") == 0;
    page_raw(b, "<tr><td>");
    if (cell[7][0] == 't') {
        page_raw(b, "<input type=\"checkbox\" name=\"w");
        page_text(b, cell[0]);
        page_raw(b, "\" aria-label=\"label\">");
    }
    page_raw(b, "</td>");
    ent_cell(b, cell[1]);
    ent_cell(b, cell[2]);
    page_raw(b, ok ? "<td class=\"ok\">" : "<td class=\"bad\">");
    page_text(b, ent_licence_zh(cell[3]));
    page_raw(b, "<span class=\"en\">");
    page_text(b, cell[3]);
    page_raw(b, "</span></td>");
    ent_cell(b, cell[4]);
    ent_cell(b, cell[5]);
    page_raw(b, cell[6][0] == 't' ? "<td class=\"ok\">✔</td>" : "<td class=\"bad\">✘</td>");
    page_raw(b, "</tr>");
}

/* The label form of the welders' and codes' pages (POST /ent/labels). */
#define ENT_LABELS_FORM "<form class=\"card wide\" method=\"post\" action=\"/ent/labels\">"
#define ENT_LABELS_END                                                                              \
    "</tbody></table><button type=\"submit\">打印所选标签 (PDF)<span class=\"en\">print the " \
    "selected labels</span></button></form>"

static const ent_page ent_welders_page = {
    "本企业焊工",
    "Our welders",
    ENT_LABELS_FORM,
    true,
    "<table id=\"welders\"><thead><tr><th>标签<span class=\"en\">label</span></th><th>姓名"
    "<span class=\"en\">name</span></th><th>操作证<span class=\"en\">licence</span></th><th>"
    "状态<span class=\"en\">state</span></th><th>有效期至<span class=\"en\">valid until</span>"
    "</th><th>复审<span class=\"en\">review</span></th><th>培训<span class=\"en\">training"
    "</span></th></tr></thead><tbody>",
    ENT_LABELS_END,
    ACCESS_READ,
    store_ent_welders,
    ent_welder_row,
};

static void page_ent_welders_fn(web_call *call, http_response *resp)
{
    ent_list_page(call, resp, &ent_welders_page);
}

/* ---- codes ---- */

static void ent_code_row(void *arg, const char *const *cell, int n)
{
    textbuf *b = ((ent_rows *)arg)->b;
    if (n < 7)
        return;
    bool machine = strcmp(cell[0], "machine") == 0;
    bool active = strcmp(cell[3], "active") == 0;
    page_raw(b, "<tr><td>");
    if (active && cell[6][0] == 't') {
        page_raw(b, machine ? "<input type=\"checkbox\" name=\"m"
                            : "<input type=\"checkbox\" "
                              "name=\"w");
        page_text(b, cell[1]);
        page_raw(b, "\" aria-label=\"label\">");
    }
    page_raw(b, "</td>");
    page_raw(b, machine ? "<td>焊机<span class=\"en\">machine</span></td>"
                        : "<td>焊工<span class=\"en\">welder</span></td>");
    ent_cell(b, cell[2]);
    page_raw(b, active ? "<td class=\"ok\">" : "<td class=\"bad\">");
    page_text(b, cell[3]);
    page_raw(b, "</td>");
    ent_cell(b, cell[4]);
    ent_cell(b, cell[5]);
    page_raw(b, "</tr>");
}

static const ent_page ent_codes_page = {
    "本企业二维码",
    "Our codes",
    ENT_LABELS_FORM,
    true,
    "<table id=\"codes\"><thead><tr><th>标签<span class=\"en\">label</span></th><th>类型"
    "<span class=\"en\">kind</span></th><th>对象<span class=\"en\">subject</span></th><th>状态"
    "<span class=\"en\">state</span></th><th>签发<span class=\"en\">issued</span></th><th>到期"
    "<span class=\"en\">expires</span></th></tr></thead><tbody>",
    ENT_LABELS_END,
    ACCESS_READ,
    store_ent_codes,
    ent_code_row,
};

static void page_ent_codes_fn(web_call *call, http_response *resp)
{
    ent_list_page(call, resp, &ent_codes_page);
}

/* ---- labels ---- */

/* A sheet holds the codes of the machines and the welders picked. */
#define ENT_SHEET_MAX ((size_t)STORE_ENT_PICK_MAX * 2)

/* The codes of a sheet, copied out of the result, with their captions. */
typedef struct ent_sheet {
    char texts[ENT_SHEET_MAX][LABELS_MAX_CODE + 1];
    char line1[ENT_SHEET_MAX][LABELS_MAX_TEXT + 1];
    labels_entry entries[ENT_SHEET_MAX];
    size_t count;
    const char *enterprise; /* the second caption of every label */
} ent_sheet;

static void ent_sheet_add(void *arg, const char *const *cell, int n)
{
    ent_sheet *s = arg;
    if (n < 2 || s->count == ENT_SHEET_MAX)
        return;
    snprintf(s->texts[s->count], sizeof(s->texts[0]), "%s", cell[1]);
    s->count++;
}

/* The captions from what each code carries (its chip, or its masked licence number), as
 * labels_check_captions() wants them, and the enterprise's name. WR_OK, or why not in @p why. */
static wr_status ent_sheet_captions(ent_sheet *s, char *why, size_t whylen)
{
    for (size_t i = 0; i < s->count; i++) {
        code_parsed parsed;
        if (code_decode(s->texts[i], strlen(s->texts[i]), &parsed) != WR_OK) {
            snprintf(why, whylen, "a stored code could not be read");
            return WR_EINVAL;
        }
        const code_claims *c = &parsed.claims;
        snprintf(s->line1[i], sizeof(s->line1[0]), "%s",
                 c->kind == CODE_MACHINE ? c->chip : c->lic);
        s->entries[i] = (labels_entry){s->texts[i], s->line1[i], s->enterprise};
        wr_status rc = labels_check_captions(&s->entries[i], why, whylen);
        if (rc != WR_OK)
            return rc;
    }
    return WR_OK;
}

/* The PDF of the sheet into @p resp (application/pdf). */
static void ent_sheet_pdf(ent_sheet *s, http_response *resp)
{
    char why[160] = "";
    labels_options opt;
    labels_options_init(&opt);
    char *pdf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&pdf, &len);
    wr_status rc = out ? ent_sheet_captions(s, why, sizeof(why)) : WR_ENOMEM;
    if (rc == WR_OK)
        rc = labels_write_pdf(s->entries, s->count, &opt, out);
    if (out && fclose(out) != 0 && rc == WR_OK)
        rc = WR_EIO;
    if (rc != WR_OK) {
        free(pdf);
        ent_message(resp, 500, "无法生成标签", why[0] ? why : wr_status_str(rc), "/ent/codes");
        return;
    }
    resp->status = 200;
    resp->content_type = "application/pdf";
    resp->body = pdf;
    resp->len = len;
}

/* POST /ent/labels: fields m<id> (machines) and w<id> (welders) picked on /machines,
 * /ent/welders or /ent/codes. */
static void page_ent_labels_fn(web_call *call, http_response *resp)
{
    int64_t ent = ent_of(call, resp);
    if (!ent)
        return;
    int64_t machines[STORE_ENT_PICK_MAX], welders[STORE_ENT_PICK_MAX];
    size_t nm = ent_form_ids(call->req, 'm', machines, STORE_ENT_PICK_MAX);
    size_t nw = ent_form_ids(call->req, 'w', welders, STORE_ENT_PICK_MAX);
    if (nm + nw == 0 || nm > STORE_ENT_PICK_MAX || nw > STORE_ENT_PICK_MAX) {
        ent_message(resp, 400, "请选择要打印标签的焊机或焊工（每次最多 30 个）",
                    "pick the machines or welders to print labels for (30 at most)", "/ent/codes");
        return;
    }
    ent_sheet *s = calloc(1, sizeof(*s));
    char name[1024] = ""; /* up to 200 characters of UTF-8 */
    if (!s) {
        page_message(resp, 500, "内存不足", "out of memory");
        return;
    }
    store *db = web_db_get(call);
    int n = store_ent_name(db, ent, name, sizeof(name));
    if (n > 0)
        n = store_ent_label_codes(db, ent, machines, nm, welders, nw, ent_sheet_add, s);
    web_db_put(call, db, n);
    s->enterprise = name;
    if (n < 0)
        web_db_unavailable(resp);
    else if (s->count == 0)
        ent_message(resp, 404, "所选对象没有可打印的有效二维码",
                    "none of those has a live code of ours to print", "/ent/codes");
    else
        ent_sheet_pdf(s, resp);
    free(s);
}

static const web_route web_enterprise_table[] = {
    {"GET", "/ent/welders", GATE_ROLE, ACCESS_READ, page_ent_welders_fn},
    {"GET", "/ent/codes", GATE_ROLE, ACCESS_READ, page_ent_codes_fn},
    {"POST", "/ent/labels", GATE_ROLE, ACCESS_READ, page_ent_labels_fn},
};

const web_routes web_routes_enterprise = WEB_ROUTES(web_enterprise_table);
