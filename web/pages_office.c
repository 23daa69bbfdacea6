/* pages_office.c — the district office's reports: the counts (store_counts.h) by community,
 * enterprise or industry for a day, month, quarter, year or range, as a table with bar charts
 * drawn here as inline SVG, as CSV for spreadsheets and as PDF (office_pdf.c); and the overdue
 * rectifications. Administrators and office staff see the district, inspectors their
 * communities (core/access.c's read scope); an enterprise's officer has no district view. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/csv.h"
#include "core/json.h"
#include "core/period.h"
#include "core/registry_rules.h"
#include "server/db/store_inspect.h"
#include "server/db/store_office.h"
#include "web/office.h"
#include "web/page.h"
#include "web/routes.h"

#define OFFICE_TIMEOUT_MS 20000 /* a counts statement that runs longer is cancelled */

const office_measure office_measures[OFFICE_MEASURES] = {
    {"在用焊机", "machines in use", "machines", "active"},
    {"停用焊机", "suspended", "machines", "suspended"},
    {"持证焊工", "certified welders", "certified", NULL},
    {"已培训", "trained", "trained", NULL},
    {"扫码", "scans", "scans", NULL},
    {"拒绝", "refused", "denials", NULL},
    {"违规", "violations", "violations", "total"},
    {"未处理", "open", "violations", "open"},
};

/* The measures drawn as charts, by index into office_measures. */
static const size_t office_charted[] = {0, 4, 6};

/* in the order of counts_by */
static const struct office_by {
    const char *name, *zh, *en;
} office_bys[] = {
    {"community", "社区", "community"},
    {"enterprise", "企业", "enterprise"},
    {"industry", "行业", "industry"},
};

/* A period kind of the form and how its "at" text is read (core/period.h). */
typedef wr_status (*office_period_fn)(const char *text, period *out, char *why, size_t cap);

static wr_status office_day(const char *text, period *out, char *why, size_t cap)
{
    return period_days(text, text, out, why, cap);
}

static const struct office_period {
    const char *name, *zh, *en;
    office_period_fn read; /* NULL: the range of "from" and "to" */
} office_periods[] = {
    {"month", "月", "month (2026-12)", period_month},
    {"day", "日", "day (2026-12-05)", office_day},
    {"quarter", "季度", "quarter (2026-Q4)", period_quarter},
    {"year", "年", "year (2026)", period_calendar_year},
    {"range", "自定义", "from … to", NULL},
};

void office_give(http_response *resp, const char *type, char *body, size_t len)
{
    resp->status = 200;
    resp->content_type = type;
    resp->body = body;
    resp->len = len;
}

void office_report_deinit(office_report *r)
{
    free(r->places);
    r->places = NULL;
    r->n_places = 0;
    free(r->rows);
    r->rows = NULL;
    r->n = 0;
}

int64_t office_scope(const web_call *call)
{
    return access_decide(call->role, ACCESS_DISTRICT) == ACCESS_ALL
               ? 0
               : store_inspect_account_scope(call->session.account_id);
}

/* The communities of @p r->places as an array literal ("{3,7}"), the scope store_counts()
 * takes; malloc'd, NULL when out of memory. */
static char *office_place_ids(const office_report *r)
{
    size_t cap = r->n_places * 21 + 3, used = 1; /* an id: 20 characters at most, a comma */
    char *ids = malloc(cap);
    if (!ids)
        return NULL;
    ids[0] = '{';
    for (size_t i = 0; i < r->n_places; i++)
        used += (size_t)snprintf(ids + used, cap - used, "%s%lld", i ? "," : "",
                                 (long long)r->places[i].id);
    snprintf(ids + used, cap - used, "}");
    return ids;
}

/* ---- the request ---- */

static const char *office_param(const web_call *call, const char *name)
{
    const char *v = http_query(call->req, name);
    return v ? v : "";
}

/* The grouping named @p name (none: by community); false for an unknown one. */
static bool office_read_by(const char *name, counts_by *by)
{
    *by = COUNTS_BY_COMMUNITY;
    for (size_t i = 0; *name && i < sizeof(office_bys) / sizeof(office_bys[0]); i++)
        if (strcmp(name, office_bys[i].name) == 0) {
            *by = (counts_by)i;
            return true;
        }
    return !*name;
}

/* The grouping and the period the query asks for (by default: by community, this month). False
 * with a message in @p why for a malformed one. */
static bool office_read_query(const web_call *call, counts_query *q, char *why, size_t cap)
{
    memset(q, 0, sizeof(*q));
    q->days = period_month_of((int64_t)time(NULL));
    const char *by = office_param(call, "by"), *kind = office_param(call, "period");
    if (!office_read_by(by, &q->by)) {
        snprintf(why, cap, "unknown grouping \"%.32s\"", by);
        return false;
    }
    const char *community = office_param(call, "community");
    char *end = NULL;
    q->community_id = *community ? strtoll(community, &end, 10) : 0;
    if (*community && (*end || q->community_id <= 0)) {
        snprintf(why, cap, "community: expected a community's id");
        return false;
    }
    for (size_t i = 0; i < sizeof(office_periods) / sizeof(office_periods[0]); i++) {
        const struct office_period *p = &office_periods[i];
        if (*kind && strcmp(kind, p->name) != 0)
            continue;
        const char *at = office_param(call, "at");
        if (!p->read)
            return period_days(office_param(call, "from"), office_param(call, "to"), &q->days, why,
                               cap) == WR_OK;
        return !*at || p->read(at, &q->days, why, cap) == WR_OK;
    }
    snprintf(why, cap, "unknown period \"%.32s\"", kind);
    return false;
}

/* ---- the counts' JSON into a report ---- */

/* The string member @p key of object @p obj into @p out ("" when absent or not a string). */
static void office_json_text(const json_doc *doc, long obj, const char *key, char *out, size_t cap)
{
    long k = obj >= 0 ? json_find(doc, (size_t)obj, key) : -1;
    out[0] = '\0';
    if (k >= 0 && doc->tokens[k].type == JSON_STRING)
        (void)json_string(doc, (size_t)k, out, cap, NULL);
}

static void office_read_row(const json_doc *doc, size_t row, counts_by by, office_row *out)
{
    memset(out, 0, sizeof(*out));
    long group = json_find(doc, row, "group");
    char code[8] = "", text[sizeof(out->name) - sizeof(code)];
    if (by == COUNTS_BY_INDUSTRY)
        office_json_text(doc, group, "code", code, sizeof(code));
    office_json_text(doc, group, "name", text, sizeof(text));
    snprintf(out->name, sizeof(out->name), "%s%s%s", code, *code ? " " : "", text);
    for (size_t m = 0; m < OFFICE_MEASURES; m++) {
        long k = json_find(doc, row, office_measures[m].key);
        if (k >= 0 && office_measures[m].sub)
            k = json_find(doc, (size_t)k, office_measures[m].sub);
        if (k >= 0 && doc->tokens[k].type == JSON_INT)
            out->v[m] = doc->tokens[k].i;
    }
}

static wr_status office_read_report(const char *json, size_t len, counts_by by, office_report *r)
{
    r->by = by;
    size_t cap = len / 2 + 8; /* every value but the first takes two bytes at least */
    json_token *tokens = malloc(cap * sizeof(*tokens));
    json_doc doc;
    wr_status st = tokens ? json_parse(json, len, tokens, cap, &doc, NULL) : WR_ENOMEM;
    long rows = st == WR_OK ? json_find(&doc, 0, "rows") : -1;
    if (st == WR_OK && (rows < 0 || doc.tokens[rows].type != JSON_ARRAY))
        st = WR_EINVAL;
    if (st == WR_OK && !(r->rows = calloc(doc.tokens[rows].count + 1, sizeof(office_row))))
        st = WR_ENOMEM;
    if (st == WR_OK) {
        const char *dates[] = {"from", "to", "as_of"};
        char *into[] = {r->from, r->to, r->as_of};
        for (size_t i = 0; i < 3; i++)
            office_json_text(&doc, 0, dates[i], into[i], 16);
        for (size_t k = (size_t)rows + 1; r->n < doc.tokens[rows].count; k = doc.tokens[k].next)
            office_read_row(&doc, k, by, &r->rows[r->n++]);
        long total = json_find(&doc, 0, "total");
        if (total >= 0)
            office_read_row(&doc, (size_t)total, by, &r->total);
        snprintf(r->total.name, sizeof(r->total.name), "合计 total");
    }
    free(tokens);
    return st;
}

/* The caller's communities (store_office_community_list()'s JSON) into r->places, and the
 * one asked for, if any, found among them. False when the JSON cannot be read. */
static bool office_read_places(const char *json, size_t len, office_report *r)
{
    size_t cap = len / 2 + 8;
    json_token *tokens = malloc(cap * sizeof(*tokens));
    json_doc doc;
    bool ok = tokens && json_parse(json, len, tokens, cap, &doc, NULL) == WR_OK &&
              doc.tokens[0].type == JSON_ARRAY &&
              (r->places = calloc(doc.tokens[0].count + 1, sizeof(office_place)));
    for (size_t k = 1; ok && r->n_places < doc.tokens[0].count; k = doc.tokens[k].next) {
        office_place *p = &r->places[r->n_places++];
        long id = json_find(&doc, k, "id");
        p->id = id >= 0 ? doc.tokens[id].i : 0;
        office_json_text(&doc, (long)k, "name", p->name, sizeof(p->name));
        if (p->id == r->community_id)
            r->community = p->name;
    }
    free(tokens);
    return ok;
}

/* Reads the counts the query asks for within the caller's communities: 200 with @p r filled,
 * or the status of the page to answer (400 with @p why, 404, 503, 500). */
static unsigned office_load(web_call *call, office_report *r, char *why, size_t cap)
{
    counts_query q;
    memset(r, 0, sizeof(*r));
    if (!office_read_query(call, &q, why, cap))
        return 400;
    r->community_id = q.community_id;
    q.scope = office_scope(call); /* store_counts() applies ids when it is set */
    store *db = web_db_get_read(call);
    admin_outcome places = {0}, out = {0};
    store_office_community_list(db, q.scope, &places);
    bool read = places.status == STORE_OK && places.json &&
                office_read_places(places.json, places.json_len, r);
    char *ids = read && q.scope ? office_place_ids(r) : NULL;
    if (read && (!q.scope || ids) && (!q.community_id || r->community))
        store_counts(db, &q, ids, OFFICE_TIMEOUT_MS, &out);
    web_db_put(call, db, places.status != STORE_OK || out.status != STORE_OK ? -1 : 0);
    free(ids);
    admin_outcome_deinit(&places);
    unsigned status = places.status != STORE_OK         ? 503
                      : !read                           ? 500
                      : q.community_id && !r->community ? 404
                      : out.status != STORE_OK          ? 503
                      : !out.json                       ? 500
                                                        : 200;
    if (status == 200 && office_read_report(out.json, out.json_len, q.by, r) != WR_OK)
        status = 500;
    admin_outcome_deinit(&out);
    return status;
}

static void office_refuse(http_response *resp, unsigned status, const char *why)
{
    if (status == 400)
        page_message(resp, 400, "查询条件有误", why);
    else if (status == 404)
        page_message(resp, 404, "您的辖区内没有这个社区", "no such community in your scope");
    else if (status == 503)
        web_db_unavailable(resp);
    else
        page_message(resp, 500, "统计无法读取", "the counts could not be read");
}

/* ---- the page: form, table, charts ---- */

static void office_option(textbuf *b, const char *value, const char *zh, const char *en,
                          bool selected)
{
    page_raw(b, "<option value=\"");
    page_raw(b, value);
    page_raw(b, selected ? "\" selected>" : "\">");
    page_text(b, zh);
    page_raw(b, *en ? " " : "");
    page_text(b, en);
    page_raw(b, "</option>");
}

static void office_input(textbuf *b, const web_call *call, const char *name, const char *type,
                         const char *zh, const char *en)
{
    page_raw(b, "<label for=\"");
    page_raw(b, name);
    page_raw(b, "\">");
    page_raw(b, zh);
    page_raw(b, "<span class=\"en\">");
    page_raw(b, en);
    page_raw(b, "</span></label><input id=\"");
    page_raw(b, name);
    page_raw(b, "\" name=\"");
    page_raw(b, name);
    page_raw(b, "\" type=\"");
    page_raw(b, type);
    page_raw(b, "\" maxlength=\"10\" value=\"");
    page_text(b, office_param(call, name));
    page_raw(b, "\">");
}

/* The communities to count alone: all of the caller's, or one. */
static void office_places(textbuf *b, const office_report *r)
{
    page_raw(b, "<label for=\"community\">社区<span class=\"en\">community</span></label>"
                "<select id=\"community\" name=\"community\">");
    office_option(b, "", "全部", "all", r->community_id == 0);
    for (size_t i = 0; i < r->n_places; i++) {
        char id[24];
        snprintf(id, sizeof(id), "%lld", (long long)r->places[i].id);
        office_option(b, id, r->places[i].name, "", r->places[i].id == r->community_id);
    }
    page_raw(b, "</select>");
}

static void office_form(textbuf *b, const web_call *call, const office_report *r)
{
    page_raw(b, "<form class=\"card\" method=\"get\" action=\"/office\" id=\"query\">"
                "<label for=\"by\">分组<span class=\"en\">group by</span></label>"
                "<select id=\"by\" name=\"by\">");
    for (size_t i = 0; i < sizeof(office_bys) / sizeof(office_bys[0]); i++)
        office_option(b, office_bys[i].name, office_bys[i].zh, office_bys[i].en, r->by == i);
    page_raw(b, "</select>");
    office_places(b, r);
    page_raw(b, "<label for=\"period\">期间<span class=\"en\">period</span></label>"
                "<select id=\"period\" name=\"period\">");
    const char *kind = office_param(call, "period");
    for (size_t i = 0; i < sizeof(office_periods) / sizeof(office_periods[0]); i++)
        office_option(b, office_periods[i].name, office_periods[i].zh, office_periods[i].en,
                      strcmp(kind, office_periods[i].name) == 0);
    page_raw(b, "</select>");
    office_input(b, call, "at", "text", "日期、月、季度或年", "day, month, quarter or year");
    office_input(b, call, "from", "date", "自", "from");
    office_input(b, call, "to", "date", "至", "to");
    page_raw(b, "<button type=\"submit\">查询<span class=\"en\">Show</span></button></form>");
}

static void office_number(textbuf *b, int64_t v)
{
    char n[24];
    snprintf(n, sizeof(n), "%lld", (long long)v);
    page_raw(b, n);
}

static void office_table_row(textbuf *b, const office_row *row, const char *tag)
{
    page_raw(b, "<tr><th scope=\"row\">");
    page_text(b, row->name);
    page_raw(b, "</th>");
    for (size_t m = 0; m < OFFICE_MEASURES; m++) {
        page_raw(b, tag);
        office_number(b, row->v[m]);
        page_raw(b, "</td>");
    }
    page_raw(b, "</tr>");
}

static void office_table(textbuf *b, const office_report *r)
{
    page_raw(b, "<div class=\"scroll\"><table id=\"counts\"><thead><tr><th>");
    page_raw(b, office_bys[r->by].zh);
    page_raw(b, "<span class=\"en\">");
    page_raw(b, office_bys[r->by].en);
    page_raw(b, "</span></th>");
    for (size_t m = 0; m < OFFICE_MEASURES; m++) {
        page_raw(b, "<th>");
        page_raw(b, office_measures[m].zh);
        page_raw(b, "<span class=\"en\">");
        page_raw(b, office_measures[m].en);
        page_raw(b, "</span></th>");
    }
    page_raw(b, "</tr></thead><tbody>");
    for (size_t i = 0; i < r->n; i++)
        office_table_row(b, &r->rows[i], "<td>");
    page_raw(b, "</tbody><tfoot>");
    office_table_row(b, &r->total, "<td class=\"total\">");
    page_raw(b, "</tfoot></table></div>");
}

/* A horizontal bar per row for measure @p m: the SVG scales to the card's width (viewBox). */
static void office_chart(textbuf *b, const office_report *r, size_t m)
{
    enum { LABEL_W = 190, BAR_W = 330, ROW_H = 24 };
    int64_t max = 1;
    for (size_t i = 0; i < r->n; i++)
        if (r->rows[i].v[m] > max)
            max = r->rows[i].v[m];
    char buf[200];
    snprintf(buf, sizeof(buf),
             "<figure class=\"chart\"><svg class=\"bars\" data-measure=\"%s%s%s\" "
             "viewBox=\"0 0 600 %zu\" role=\"img\" aria-label=\"",
             office_measures[m].key, office_measures[m].sub ? "." : "",
             office_measures[m].sub ? office_measures[m].sub : "", r->n * ROW_H + 8);
    page_raw(b, buf);
    page_raw(b, office_measures[m].zh);
    page_raw(b, "\">");
    for (size_t i = 0; i < r->n; i++) {
        size_t y = i * ROW_H + 4;
        double w = (double)BAR_W * (double)r->rows[i].v[m] / (double)max;
        snprintf(buf, sizeof(buf), "<text x=\"%d\" y=\"%zu\" text-anchor=\"end\" font-size=\"13\">",
                 LABEL_W - 6, y + 16);
        page_raw(b, buf);
        page_text(b, r->rows[i].name);
        snprintf(buf, sizeof(buf),
                 "</text><rect class=\"bar\" x=\"%d\" y=\"%zu\" width=\"%.1f\" height=\"%d\" "
                 "fill=\"#b3261e\"></rect><text x=\"%.1f\" y=\"%zu\" font-size=\"13\">%lld</text>",
                 LABEL_W, y + 2, w, ROW_H - 6, LABEL_W + w + 4, y + 16, (long long)r->rows[i].v[m]);
        page_raw(b, buf);
    }
    page_raw(b, "</svg><figcaption>");
    page_raw(b, office_measures[m].zh);
    page_raw(b, "<span class=\"en\">");
    page_raw(b, office_measures[m].en);
    page_raw(b, "</span></figcaption></figure>");
}

/* The query of the exports: the same rows, the period as its days. */
static void office_export_link(textbuf *b, const office_report *r, const char *path, const char *id,
                               const char *label)
{
    char buf[320], one[48] = "";
    if (r->community_id)
        snprintf(one, sizeof(one), "&amp;community=%lld", (long long)r->community_id);
    snprintf(buf, sizeof(buf),
             "<a id=\"%s\" download href=\"%s?by=%s%s&amp;period=range&amp;from=%s&amp;to=%s\">",
             id, path, office_bys[r->by].name, one, r->from, r->to);
    page_raw(b, buf);
    page_raw(b, label);
    page_raw(b, "</a> ");
}

static void office_links(textbuf *b)
{
    page_raw(b, "<nav class=\"card\"><ul class=\"links\"><li><a href=\"/office/overdue\">逾期未整改"
                "<span class=\"en\">overdue rectifications</span></a></li><li><a href=\"/map\">"
                "地图<span class=\"en\">map</span></a></li></ul></nav>");
}

static void office_page(const web_call *call, const office_report *r, http_response *resp)
{
    textbuf b = {0};
    page_begin(&b, "统计报表", "Counts and reports");
    web_staleness(&b, call);
    office_form(&b, call, r);
    page_raw(&b, "<section class=\"card\"><h2 id=\"period-shown\">");
    if (r->community) {
        page_text(&b, r->community);
        page_raw(&b, " ");
    }
    page_text(&b, r->from);
    page_raw(&b, " – ");
    page_text(&b, r->to);
    page_raw(&b, "</h2><p>登记状态截至<span class=\"en\">registry as of</span> ");
    page_text(&b, r->as_of);
    page_raw(&b, "</p>");
    office_table(&b, r);
    page_raw(&b, "<p>导出<span class=\"en\">export</span>: ");
    office_export_link(&b, r, "/office/counts.csv", "csv", "CSV");
    office_export_link(&b, r, "/office/counts.pdf", "pdf", "PDF");
    page_raw(&b, "</p></section><section class=\"card\">");
    for (size_t i = 0; i < sizeof(office_charted) / sizeof(office_charted[0]); i++)
        office_chart(&b, r, office_charted[i]);
    page_raw(&b, "</section>");
    office_links(&b);
    page_finish(&b, 200, resp);
}

/* ---- exports ---- */

static void office_csv_row(csv_writer *w, const office_row *row)
{
    csv_put_sheet_text(w, row->name);
    for (size_t m = 0; m < OFFICE_MEASURES; m++) {
        char n[24];
        snprintf(n, sizeof(n), "%lld", (long long)row->v[m]);
        csv_put_cstr(w, n);
    }
    csv_end_record(w);
}

/* The table after UTF-8's byte order mark (so that Excel opens Chinese text as such), CRLF
 * records, RFC 4180 quoting, names that would be formulas made text (csv_put_sheet_text). */
static bool office_csv(const office_report *r, char *buf, size_t cap, size_t *len)
{
    static const unsigned char bom[3] = {0xEF, 0xBB, 0xBF};
    for (size_t i = 0; i < sizeof(bom) && i < cap; i++)
        buf[i] = (char)bom[i];
    csv_writer w;
    csv_writer_init(&w, buf + sizeof(bom), cap - sizeof(bom));
    char head[64];
    snprintf(head, sizeof(head), "%s %s", office_bys[r->by].zh, office_bys[r->by].en);
    csv_put_cstr(&w, head);
    for (size_t m = 0; m < OFFICE_MEASURES; m++) {
        snprintf(head, sizeof(head), "%s %s", office_measures[m].zh, office_measures[m].en);
        csv_put_cstr(&w, head);
    }
    csv_end_record(&w);
    for (size_t i = 0; i < r->n; i++)
        office_csv_row(&w, &r->rows[i]);
    office_csv_row(&w, &r->total);
    *len = sizeof(bom) + w.len;
    return w.err == WR_OK;
}

static void office_csv_answer(const web_call *call, const office_report *r, http_response *resp)
{
    (void)call;
    /* a row: its name (at most 192 bytes, quotes doubled) and the numbers */
    size_t cap = (r->n + 2) * (2 * sizeof(r->total.name) + 256), len = 0;
    char *buf = malloc(cap);
    if (!buf || !office_csv(r, buf, cap, &len)) {
        free(buf);
        office_refuse(resp, 500, "");
        return;
    }
    office_give(resp, "text/csv; charset=utf-8", buf, len);
}

static void office_pdf_answer(const web_call *call, const office_report *r, http_response *resp)
{
    (void)call;
    char *pdf = NULL;
    size_t len = 0;
    if (office_pdf(r, &pdf, &len) != WR_OK) {
        office_refuse(resp, 500, "");
        return;
    }
    office_give(resp, "application/pdf", pdf, len);
}

/* The counts the query asks for, answered by @p answer as a page, CSV or PDF. */
typedef void (*office_answer_fn)(const web_call *call, const office_report *r, http_response *resp);

static void office_serve(web_call *call, http_response *resp, office_answer_fn answer)
{
    char why[PERIOD_WHY_SIZE] = "";
    office_report r;
    unsigned status = office_load(call, &r, why, sizeof(why));
    if (status == 200)
        answer(call, &r, resp);
    else
        office_refuse(resp, status, why);
    office_report_deinit(&r);
}

static void page_office_fn(web_call *call, http_response *resp)
{
    office_serve(call, resp, office_page);
}

static void page_office_csv_fn(web_call *call, http_response *resp)
{
    office_serve(call, resp, office_csv_answer);
}

static void page_office_pdf_fn(web_call *call, http_response *resp)
{
    office_serve(call, resp, office_pdf_answer);
}

/* ---- overdue rectifications ---- */

/* The items of store_inspect_overdue()'s JSON as table rows. */
static void office_overdue_rows(textbuf *b, const char *json, size_t len)
{
    size_t cap = len / 2 + 8;
    json_token *tokens = malloc(cap * sizeof(*tokens));
    json_doc doc;
    long items = -1;
    if (tokens && json_parse(json, len, tokens, cap, &doc, NULL) == WR_OK)
        items = json_find(&doc, 0, "items");
    for (size_t i = 0, k = (size_t)items + 1; items >= 0 && i < doc.tokens[items].count;
         i++, k = doc.tokens[k].next) {
        char name[sizeof(((office_row *)0)->name)] = "", due[48] = ""; /* due: ISO 8601 */
        long o = json_find(&doc, k, "overdue");
        office_json_text(&doc, (long)k, "name", name, sizeof(name));
        office_json_text(&doc, (long)k, "oldest_rectify_by", due, sizeof(due));
        if (strlen(due) >= 16 && due[10] == 'T') { /* China time (the store's sessions'): */
            due[10] = ' ';                         /* "2026-12-04 08:51" */
            due[16] = '\0';
        }
        page_raw(b, "<tr><td>");
        page_text(b, *name ? name : "—");
        page_raw(b, "</td><td>");
        office_number(b, o >= 0 ? doc.tokens[o].i : 0);
        page_raw(b, "</td><td>");
        page_text(b, due);
        page_raw(b, "</td></tr>");
    }
    free(tokens);
}

static void page_overdue_fn(web_call *call, http_response *resp)
{
    bool by_enterprise = strcmp(office_param(call, "by"), "enterprise") == 0;
    store *db = web_db_get_read(call);
    admin_outcome out;
    store_inspect_overdue(db, by_enterprise ? "enterprise" : "community", 0, office_scope(call),
                          &out);
    web_db_put(call, db, out.status != STORE_OK ? -1 : 0);
    if (out.status != STORE_OK || !out.json) {
        admin_outcome_deinit(&out);
        office_refuse(resp, 503, "");
        return;
    }
    textbuf b = {0};
    page_begin(&b, "逾期未整改", "Overdue rectifications");
    web_staleness(&b, call);
    page_raw(&b, "<nav class=\"card\"><a href=\"/office/overdue?by=community\">按社区<span "
                 "class=\"en\">by community</span></a> · <a href=\"/office/overdue?by=enterprise\">"
                 "按企业<span class=\"en\">by enterprise</span></a></nav><section class=\"card\">"
                 "<div class=\"scroll\"><table id=\"overdue\"><thead><tr><th>");
    page_raw(&b, by_enterprise ? "企业<span class=\"en\">enterprise</span>"
                               : "社区<span class=\"en\">community</span>");
    page_raw(&b, "</th><th>逾期<span class=\"en\">overdue</span></th><th>最早期限<span "
                 "class=\"en\">oldest deadline</span></th></tr></thead><tbody>");
    office_overdue_rows(&b, out.json, out.json_len);
    page_raw(&b, "</tbody></table></div></section>");
    admin_outcome_deinit(&out);
    office_links(&b);
    page_finish(&b, 200, resp);
}

static const web_route web_office_table[] = {
    {"GET", "/office", GATE_ROLE, ACCESS_DISTRICT, page_office_fn},
    {"GET", "/office/counts.csv", GATE_ROLE, ACCESS_DISTRICT, page_office_csv_fn},
    {"GET", "/office/counts.pdf", GATE_ROLE, ACCESS_DISTRICT, page_office_pdf_fn},
    {"GET", "/office/overdue", GATE_ROLE, ACCESS_DISTRICT, page_overdue_fn},
};

const web_routes web_routes_office = WEB_ROUTES(web_office_table);
