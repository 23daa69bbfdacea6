/* pages_report.c — public reports (群众举报): anyone, without logging in, reports unsafe hot work
 * at GET/POST /public-report with a description, a place (an address and/or the phone's
 * position), an optional photo and an optional telephone number; it lands in the inspectors'
 * queue as a violation (server/db/store_report.c; /violations lists it with the others).
 * Inspectors of the report's community (and administrators) read what the reporter wrote at
 * /public-reports, and acknowledge or close it at /violations/<id> as any violation. (/report
 * is the inspectors' on-site report.)
 *
 * The form has no session, so its CSRF token is a double-submitted cookie: GET /public-report
 * sets a random token in a __Host- cookie (SameSite=Strict) and in the form; a POST must carry
 * both, equal, besides app.c's same-origin check. A photo needs the page's script: it sends the
 * form as JSON with the photo in base64 (one request, one rate limit); without a photo the plain
 * form works without any script. */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/answer.h"
#include "core/json.h"
#include "server/db/store_inspect.h"
#include "server/db/store_report.h"
#include "web/auth.h"
#include "web/call.h"
#include "web/page.h"
#include "web/photos.h"
#include "web/routes.h"

#define REPORT_COOKIE      "__Host-weldreg-report"
#define REPORT_PHONE_MAX   20
#define REPORT_JSON_TOKENS 32

/* What a reporter sent, checked. Texts point into the request or the decoded JSON. */
typedef struct report_input {
    char csrf[AUTH_TOKEN_HEX + 1];
    char community[24];
    char description[4 * STORE_REPORT_TEXT_MAX + 1];
    char address[4 * STORE_REPORT_ADDRESS_MAX + 1];
    char lat[32], lon[32];
    char phone[REPORT_PHONE_MAX + 1];
    uint8_t *photo; /* malloc'd, decoded */
    size_t photo_len;
    const char *photo_type;
} report_input;

/* ---- the form ---- */

/* The options of every community (store_inspect_communities() of all, by name). False when
 * the database failed. */
static bool report_communities(web_call *call, textbuf *b)
{
    admin_outcome out;
    answer_doc a;
    store *db = web_db_get(call);
    store_inspect_communities(db, 0, &out);
    web_db_put(call, db, out.status == STORE_EUNAVAILABLE ? -1 : 0);
    if (out.status == STORE_OK && !out.json) /* no community yet */
        return true;
    if (out.status != STORE_OK || answer_parse(&a, out.json) != 0) {
        admin_outcome_deinit(&out);
        return false;
    }
    for (size_t k = 1; k < a.doc.tokens[0].next; k = a.doc.tokens[k].next) {
        char id[24], name[256];
        page_raw(b, "<option value=\"");
        page_text(b, answer_text(&a, k, "id", "0", id, sizeof(id)));
        page_raw(b, "\">");
        page_text(b, answer_text(&a, k, "name", "", name, sizeof(name)));
        page_raw(b, "</option>");
    }
    answer_deinit(&a);
    admin_outcome_deinit(&out);
    return true;
}

/* A label with its Chinese and English words. */
static void report_label(textbuf *b, const char *id, const char *zh, const char *en)
{
    page_raw(b, "<label for=\"");
    page_raw(b, id);
    page_raw(b, "\">");
    page_raw(b, zh);
    page_raw(b, "<span class=\"en\">");
    page_raw(b, en);
    page_raw(b, "</span></label>");
}

static void page_report_fn(web_call *call, http_response *resp)
{
    uint8_t raw[AUTH_TOKEN_LEN];
    char token[AUTH_TOKEN_HEX + 1];
    if (auth_random_token(raw, token) != 0) {
        page_message(resp, 500, "无法创建表单", "could not create the form");
        return;
    }
    textbuf b = {0};
    page_begin(&b, "群众举报", "Report unsafe hot work");
    page_raw(&b,
             "<p class=\"card\">发现无证焊接、无动火许可或其他不安全的动火作业，请在此举报，"
             "无需登录。社区检查员会核实处理。<span class=\"en\" lang=\"en\">No login needed: "
             "the community's inspectors check every report.</span></p>"
             "<p class=\"card bad\" id=\"report-error\" role=\"alert\" hidden></p>"
             "<form class=\"card\" id=\"report-form\" method=\"post\" action=\"/public-report\" "
             "data-once><input type=\"hidden\" name=\"csrf\" value=\"");
    page_raw(&b, token);
    page_raw(&b, "\">");
    report_label(&b, "community", "所在社区（必选）", "community");
    page_raw(&b, "<select id=\"community\" name=\"community\" required><option value=\"\">"
                 "请选择</option>");
    if (!report_communities(call, &b)) {
        free(b.data);
        web_db_unavailable(resp);
        return;
    }
    page_raw(&b, "</select>");
    report_label(&b, "description", "情况描述（必填，300字以内）", "what you saw");
    page_raw(&b, "<textarea id=\"description\" name=\"description\" required maxlength=\"300\" "
                 "rows=\"4\"></textarea>");
    report_label(&b, "address", "地点（地址）", "address");
    page_raw(&b, "<input id=\"address\" name=\"address\" maxlength=\"100\" "
                 "autocomplete=\"street-address\">"
                 "<input type=\"hidden\" name=\"lat\" id=\"lat\">"
                 "<input type=\"hidden\" name=\"lon\" id=\"lon\">"
                 "<button type=\"button\" id=\"locate\" hidden>使用手机当前位置<span class=\"en\">"
                 "use my position</span></button><p id=\"locate-status\"></p>");
    report_label(&b, "photo", "照片（可选）", "photo, optional");
    page_raw(&b, "<input id=\"photo\" type=\"file\" accept=\"image/jpeg,image/png\" "
                 "capture=\"environment\">");
    report_label(&b, "phone", "联系电话（可选，仅检查员可见）",
                 "phone, optional, for inspectors only");
    page_raw(&b, "<input id=\"phone\" name=\"phone\" type=\"tel\" maxlength=\"20\" "
                 "autocomplete=\"tel\">"
                 "<button type=\"submit\">提交举报<span class=\"en\">Send</span></button></form>"
                 "<script src=\"/static/public-report.js\" defer></script>");
    page_finish(&b, 200, resp);
    snprintf(resp->set_cookie, sizeof(resp->set_cookie),
             REPORT_COOKIE "=%s; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=3600", token);
}

static void page_report_thanks_fn(web_call *call, http_response *resp)
{
    (void)call;
    textbuf b = {0};
    page_begin(&b, "举报已提交", "Report received");
    page_raw(&b, "<p class=\"card ok\" id=\"thanks\">感谢您的举报！社区检查员会尽快核实处理。"
                 "<span class=\"en\" lang=\"en\">Thank you: the community's inspectors will "
                 "check it.</span></p><p class=\"card\"><a href=\"/public-report\">再报一件"
                 "<span class=\"en\">report another</span></a></p>");
    page_finish(&b, 200, resp);
}

/* ---- the POST ---- */

/* Copies text field @p value into @p out (@p cap bytes) if it is valid UTF-8 without control
 * characters other than line ends and tabs, and of at most @p max_chars characters. */
static bool report_text(const char *value, char *out, size_t cap, size_t max_chars)
{
    if (!value)
        value = "";
    size_t len = strlen(value), chars = 0;
    if (len >= cap || !json_utf8_valid(value, len))
        return false;
    for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
        if ((*p < 0x20 && *p != '\n' && *p != '\r' && *p != '\t') || *p == 0x7f)
            return false;
        chars += (*p & 0xc0) != 0x80;
    }
    if (chars > max_chars)
        return false;
    memcpy(out, value, len + 1);
    return true;
}

/* The photo, base64 in @p text: a JPEG or a PNG by its first bytes. */
static bool report_photo(report_input *in, const char *text, size_t len)
{
    if (len % 4 || len == 0)
        return false;
    in->photo = malloc(len / 4 * 3 + 1);
    if (!in->photo)
        return false;
    int n = EVP_DecodeBlock(in->photo, (const unsigned char *)text, (int)len);
    if (n < 0)
        return false;
    in->photo_len = (size_t)n - (text[len - 1] == '=') - (text[len - 2] == '=');
    static const uint8_t jpeg[] = {0xff, 0xd8, 0xff}, png[] = {0x89, 'P', 'N', 'G'};
    if (in->photo_len > sizeof(png) && memcmp(in->photo, jpeg, sizeof(jpeg)) == 0)
        in->photo_type = "image/jpeg";
    else if (in->photo_len > sizeof(png) && memcmp(in->photo, png, sizeof(png)) == 0)
        in->photo_type = "image/png";
    return in->photo_type != NULL;
}

/* One field of the form or of the JSON object (a string, or a number as its text) into @p out;
 * "" when absent. False if it is not text or does not fit. */
static bool report_field(const web_call *call, const json_doc *doc, const char *name, char *out,
                         size_t cap)
{
    out[0] = '\0';
    if (!doc) {
        const char *v = http_form(call->req, name);
        if (v && strlen(v) >= cap)
            return false;
        snprintf(out, cap, "%s", v ? v : "");
        return true;
    }
    long t = json_find(doc, 0, name);
    if (t < 0 || doc->tokens[t].type == JSON_NULL)
        return true;
    const json_token *tok = &doc->tokens[t];
    if (tok->type == JSON_INT || tok->type == JSON_DOUBLE) {
        if (tok->len >= cap)
            return false;
        snprintf(out, cap, "%.*s", (int)tok->len, doc->text + tok->start);
        return true;
    }
    size_t len;
    return json_string(doc, (size_t)t, out, cap, &len) == WR_OK && len == strlen(out);
}

/* Reads the fields of the form or JSON body into @p in; false if one is malformed. */
static bool report_read(const web_call *call, report_input *in)
{
    const http_request *req = call->req;
    json_token tokens[REPORT_JSON_TOKENS];
    json_doc doc;
    const json_doc *d = NULL;
    if (req->content_type && strcmp(req->content_type, "application/json") == 0) {
        if (json_parse((const char *)req->body, req->body_len, tokens, REPORT_JSON_TOKENS, &doc,
                       NULL) != WR_OK ||
            tokens[0].type != JSON_OBJECT)
            return false;
        d = &doc;
    } else if (req->content_type) {
        return false;
    }
    char description[HTTP_FIELD_MAX * 4], address[HTTP_FIELD_MAX], phone[64];
    if (!report_field(call, d, "csrf", in->csrf, sizeof(in->csrf)) ||
        !report_field(call, d, "community", in->community, sizeof(in->community)) ||
        !report_field(call, d, "description", description, sizeof(description)) ||
        !report_field(call, d, "address", address, sizeof(address)) ||
        !report_field(call, d, "lat", in->lat, sizeof(in->lat)) ||
        !report_field(call, d, "lon", in->lon, sizeof(in->lon)) ||
        !report_field(call, d, "phone", phone, sizeof(phone)) ||
        !report_text(description, in->description, sizeof(in->description),
                     STORE_REPORT_TEXT_MAX) ||
        !report_text(address, in->address, sizeof(in->address), STORE_REPORT_ADDRESS_MAX) ||
        !report_text(phone, in->phone, sizeof(in->phone), REPORT_PHONE_MAX))
        return false;
    long photo = d ? json_find(d, 0, "photo") : -1;
    if (photo >= 0 && d->tokens[photo].type == JSON_STRING)
        return report_photo(in, d->text + d->tokens[photo].start, d->tokens[photo].len);
    return photo < 0 || d->tokens[photo].type == JSON_NULL;
}

/* A decimal in [-@p bound, @p bound]. */
static bool report_coordinate(const char *text, double bound, double *out)
{
    char *end;
    *out = strtod(text, &end);
    return *text && !*end && *out >= -bound && *out <= bound;
}

/* "+86 138-0000-0000": digits, spaces and dashes after an optional plus, as the schema checks. */
static bool report_phone_ok(const char *p)
{
    if (!*p)
        return true;
    size_t digits = strspn(p + (*p == '+'), "0123456789 -");
    return strlen(p) - (*p == '+') == digits && digits >= 5 && p[*p == '+'] >= '0' &&
           p[*p == '+'] <= '9';
}

/* Checks what @p in says into @p r; the Chinese reason in @p why when not. */
static bool report_check(const report_input *in, store_public_report *r, const char **why)
{
    char *end;
    r->community_id = strtoll(in->community, &end, 10);
    r->description = in->description;
    r->site_address = in->address;
    r->contact_phone = in->phone;
    r->has_position = in->lat[0] || in->lon[0];
    if (!in->community[0] || *end || r->community_id <= 0)
        *why = "请选择所在社区。";
    else if (!in->description[0] || strspn(in->description, " \r\n\t") == strlen(in->description))
        *why = "请填写情况描述。";
    else if (r->has_position && (!report_coordinate(in->lat, 90, &r->lat) ||
                                 !report_coordinate(in->lon, 180, &r->lon)))
        *why = "位置无效，请重新定位或填写地址。";
    else if (!r->has_position && !in->address[0])
        *why = "请填写地址或使用手机当前位置。";
    else if (!report_phone_ok(in->phone))
        *why = "联系电话格式不对。";
    else
        return true;
    return false;
}

/* A keyed hash of the reporter's address: the rate limit's key, useless to whoever reads the
 * table without the process's key. */
static void report_source(const web_call *call, uint8_t out[32])
{
    char addr[64] = "unknown";
    http_client_address(call->req, addr, sizeof(addr));
    unsigned len = 32;
    HMAC(EVP_sha256(), web_secret(call), AUTH_TOKEN_LEN, (const unsigned char *)addr, strlen(addr),
         out, &len);
}

/* The double-submitted token: the form's (or JSON's) equals the cookie GET /public-report set. */
static bool report_csrf_ok(const web_call *call, const report_input *in)
{
    const char *cookie = http_cookie(call->req, REPORT_COOKIE);
    return cookie && strlen(cookie) == AUTH_TOKEN_HEX && auth_equal(cookie, in->csrf);
}

/* Stores @p r with the photo of @p in, if any, cleaned (web/photos.c: EXIF and text dropped). */
static void report_store(web_call *call, const report_input *in, store_public_report *r,
                         http_response *resp)
{
    store_photo_new photo = {.actor = "public"};
    if (in->photo) {
        if (web_photo_clean(in->photo, in->photo_len, in->photo_type, &photo, resp) != 0)
            return;
        r->photo = &photo;
    }
    const server_config *cfg = web_config(call);
    report_source(call, r->source_hash);
    store_report_refusal refusal;
    int64_t id = 0;
    store *db = web_db_get(call);
    int rc = store_report_add(db, r, cfg->web_report_per_hour, cfg->web_report_global_per_hour,
                              &refusal, &id);
    web_db_put(call, db, rc);
    if (rc != 0) {
        web_db_unavailable(resp);
    } else if (refusal == STORE_REPORT_BAD_PLACE) {
        page_message(resp, 400, "请选择所在社区。", "no such community");
    } else if (refusal != STORE_REPORT_STORED) {
        page_message(resp, 429,
                     refusal == STORE_REPORT_LIMIT_SOURCE
                         ? "提交过于频繁，请一小时后再试；情况紧急请拨打119或社区电话。"
                         : "当前举报过多，请稍后再试；情况紧急请拨打119或社区电话。",
                     "too many reports: try again later");
        resp->retry_after = 3600;
    } else {
        web_redirect(resp, "/public-report/thanks");
    }
    free((void *)photo.bytes);
}

static void page_report_post_fn(web_call *call, http_response *resp)
{
    report_input in = {0};
    store_public_report r = {0};
    const char *why = NULL;
    if (!report_read(call, &in))
        page_message(resp, 400, "内容格式不对或过长，请检查后重试。", "malformed or too long");
    else if (!report_csrf_ok(call, &in))
        page_message(resp, 403, "表单已失效，请刷新页面后重试", "missing or wrong form token");
    else if (!report_check(&in, &r, &why))
        page_message(resp, 400, why, "check the form");
    else
        report_store(call, &in, &r, resp);
    free(in.photo);
}

/* ---- the inspectors' list ---- */

/* A violation's status (core/violation.c's names) as the inspector reads it. */
static const char *report_status_zh(const char *status)
{
    static const char *const zh[][2] = {{"open", "待处理 open"},
                                        {"acknowledged", "已受理 acknowledged"},
                                        {"resolved", "已销号 resolved"},
                                        {"dismissed", "已办结 closed"}};
    for (size_t i = 0; i < sizeof(zh) / sizeof(zh[0]); i++)
        if (strcmp(status, zh[i][0]) == 0)
            return zh[i][1];
    return status;
}

/* One line "<zh><en>: value" of a report's card, when the value is not empty. */
static void report_line(textbuf *b, const char *zh, const char *en, const char *value)
{
    if (!*value)
        return;
    page_raw(b, "<p>");
    page_raw(b, zh);
    page_raw(b, "<span class=\"en\">");
    page_raw(b, en);
    page_raw(b, "</span>: ");
    page_text(b, value);
    page_raw(b, "</p>");
}

static void report_row(void *arg, const store_report_row *row)
{
    textbuf *b = arg;
    char ids[24];
    snprintf(ids, sizeof(ids), "%lld", (long long)row->id);
    page_raw(b, "<section class=\"card report\" id=\"report-");
    page_raw(b, ids);
    page_raw(b, "\"><h2>群众举报<span class=\"en\">public report</span> #");
    page_raw(b, ids);
    page_raw(b, "</h2><p class=\"description\">");
    page_text(b, row->description);
    page_raw(b, "</p>");
    report_line(b, "状态", "status", report_status_zh(row->status));
    report_line(b, "时间", "reported at", row->reported_at);
    report_line(b, "社区", "community", row->community);
    report_line(b, "地址", "address", row->site_address);
    report_line(b, "位置", "position", row->position);
    report_line(b, "联系电话", "phone", row->contact_phone);
    if (row->photo_id) {
        char photo[24];
        snprintf(photo, sizeof(photo), "%lld", (long long)row->photo_id);
        page_raw(b, "<img class=\"photo\" alt=\"举报照片 photo\" src=\"/photos/");
        page_raw(b, photo);
        page_raw(b, "\">");
    }
    char violation[24];
    snprintf(violation, sizeof(violation), "%lld", (long long)row->violation_id);
    page_raw(b, "<p><a class=\"handle\" href=\"/violations/");
    page_raw(b, violation);
    page_raw(b, "\">处理（受理、核实后销号）<span class=\"en\">handle: acknowledge, close after "
                "checking</span></a></p>");
    page_raw(b, "</section>");
}

static void page_reports_fn(web_call *call, http_response *resp)
{
    textbuf b = {0};
    page_begin(&b, "群众举报", "Public reports");
    /* the inspectors' scope, as their violations pages apply it */
    int64_t scope = access_decide(call->role, ACCESS_ENFORCE) == ACCESS_ALL
                        ? 0
                        : store_inspect_account_scope(call->session.account_id);
    store *db = web_db_get(call);
    int n = store_reports_in_scope(db, scope, 0, report_row, &b);
    web_db_put(call, db, n);
    if (n < 0) {
        free(b.data);
        web_db_unavailable(resp);
        return;
    }
    if (n == 0)
        page_raw(&b, "<p class=\"card\" id=\"no-reports\">暂无群众举报<span class=\"en\">no "
                     "public reports</span></p>");
    page_finish(&b, 200, resp);
}

/* ---- the page's script: the phone's position, and a photo sent with the form as JSON ---- */

static const char report_js[] =
    "'use strict';\n"
    "// public-report.js: the position button and the photo; without it the form works (no "
    "photo).\n"
    "(function () {\n"
    "  var form = document.getElementById('report-form');\n"
    "  if (!form) return;\n"
    "  var locate = document.getElementById('locate'), said = "
    "document.getElementById('locate-status');\n"
    "  var error = document.getElementById('report-error');\n"
    "  if (navigator.geolocation) locate.hidden = false;\n"
    "  locate.addEventListener('click', function () {\n"
    "    said.textContent = '正在定位…';\n"
    "    navigator.geolocation.getCurrentPosition(function (p) {\n"
    "      form.lat.value = p.coords.latitude.toFixed(6);\n"
    "      form.lon.value = p.coords.longitude.toFixed(6);\n"
    "      said.textContent = '已获取位置 ' + form.lat.value + ', ' + form.lon.value;\n"
    "    }, function () { said.textContent = '无法获取位置，请填写地址'; },\n"
    "    {enableHighAccuracy: true, timeout: 15000});\n"
    "  });\n"
    "  // A photo is made at most 1280 px wide or high, JPEG: well under the 1 MiB body limit.\n"
    "  function shrink(file) {\n"
    "    return new Promise(function (done, fail) {\n"
    "      var reader = new FileReader();\n"
    "      reader.onerror = fail;\n"
    "      reader.onload = function () {\n"
    "        var img = new Image();\n"
    "        img.onerror = fail;\n"
    "        img.onload = function () {\n"
    "          var k = Math.min(1, 1280 / Math.max(img.width, img.height));\n"
    "          var c = document.createElement('canvas');\n"
    "          c.width = Math.round(img.width * k); c.height = Math.round(img.height * k);\n"
    "          c.getContext('2d').drawImage(img, 0, 0, c.width, c.height);\n"
    "          done(c.toDataURL('image/jpeg', 0.8).split(',')[1]);\n"
    "        };\n"
    "        img.src = reader.result;\n"
    "      };\n"
    "      reader.readAsDataURL(file);\n"
    "    });\n"
    "  }\n"
    "  var said_for = {400: '内容有误，请检查后重试。', 403: '表单已失效，请刷新页面后重试。',\n"
    "    413: '照片太大，请换一张。', 429: '提交过于频繁，请稍后再试；情况紧急请拨打119。'};\n"
    "  form.addEventListener('submit', function (ev) {\n"
    "    var file = document.getElementById('photo').files[0];\n"
    "    if (!file) return;\n"
    "    ev.preventDefault();\n"
    "    shrink(file).then(function (photo) {\n"
    "      var body = {photo: photo};\n"
    "      ['csrf', 'community', 'description', 'address', 'lat', 'lon', 'phone']"
    ".forEach(function (n) {\n"
    "        body[n] = form.elements[n].value;\n"
    "      });\n"
    "      return fetch('/public-report', {method: 'POST', credentials: 'same-origin',\n"
    "        headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body)});\n"
    "    }).then(function (r) {\n"
    "      if (r.ok) { location.href = '/public-report/thanks'; return; }\n"
    "      error.textContent = said_for[r.status] || '提交失败，请稍后再试。';\n"
    "      error.hidden = false;\n"
    "      var b = form.querySelector('button[type=submit]'); if (b) b.disabled = false;\n"
    "    }, function () {\n"
    "      error.textContent = '照片无法读取或网络不通，请重试。'; error.hidden = false;\n"
    "    });\n"
    "  });\n"
    "})();\n";

static void page_report_js_fn(web_call *call, http_response *resp)
{
    (void)call;
    web_static(resp, "text/javascript; charset=utf-8", report_js, strlen(report_js));
}

static const web_route web_report_table[] = {
    {"GET", "/static/public-report.js", GATE_PUBLIC, ACCESS_READ, page_report_js_fn},
    {"GET", "/public-report", GATE_PUBLIC, ACCESS_READ, page_report_fn},
    {"POST", "/public-report", GATE_PUBLIC, ACCESS_READ, page_report_post_fn},
    {"GET", "/public-report/thanks", GATE_PUBLIC, ACCESS_READ, page_report_thanks_fn},
    {"GET", "/public-reports", GATE_ROLE, ACCESS_ENFORCE, page_reports_fn},
};

const web_routes web_routes_report = WEB_ROUTES(web_report_table);
