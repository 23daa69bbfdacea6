/* pages_inspect.c — the inspector's phone journey (docs/inspector-guide.md, "On the web"): GET
 * /scan reads a machine's label with the phone's camera (web/inspect.js over jsQR) or takes a
 * typed code or chip id; /m/<code> is the status card: the code's signature checked against
 * the trust list first, then the record in the inspector's communities (store_inspect_card, as
 * the CoAP card); the open violations, each acknowledged or closed (销号) with a note and a
 * photo under the CoAP API's rules; a machine without a chip reported with the phone's
 * position into the same queue as weldtag's reports. Inspectors and admins (ACCESS_ENFORCE). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/answer.h"
#include "core/codemsg.h"
#include "core/json.h"
#include "core/violation.h"
#include "server/db/store_inspect.h"
#include "server/db/store_photos.h"
#include "web/assets.h"
#include "web/call.h"
#include "web/page.h"
#include "web/routes.h"
#include "web/welder.h"

#define INSPECT_NOTE_MAX    1000 /* bytes of a note, as the CoAP API's (in characters) at most */
#define INSPECT_ADDRESS_MAX 600  /* bytes of a site address (200 characters) */
#define INSPECT_LIST_MAX    50   /* violations of each status listed */

/* ---- small pieces ---- */

/* The scope of the caller's enforcement (core/access.c): all, or their web account's
 * communities. */
static int64_t insp_scope(const web_call *call)
{
    return access_decide(call->role, ACCESS_ENFORCE) == ACCESS_ALL
               ? 0
               : store_inspect_account_scope(call->session.account_id);
}

/* The audit log's actor for the caller: "web:<login>", as store_accounts.c writes it. */
static void insp_actor(const web_call *call, char out[STORE_LOGIN_MAX + 5])
{
    snprintf(out, STORE_LOGIN_MAX + 5, "web:%s", call->session.login);
}

static void insp_en(textbuf *b, const char *en)
{
    page_raw(b, "<span class=\"en\" lang=\"en\">");
    page_text(b, en);
    page_raw(b, "</span>");
}

/* "<p>zh (en): <b id=...>value</b></p>" */
static void insp_row(textbuf *b, const char *zh, const char *en, const char *id, const char *value)
{
    page_raw(b, "<p>");
    page_text(b, zh);
    insp_en(b, en);
    page_raw(b, ": <b id=\"");
    page_raw(b, id);
    page_raw(b, "\">");
    page_text(b, value);
    page_raw(b, "</b></p>");
}

/* The words the records use for states, as an inspector reads them. */
static const char *insp_word_zh(const char *word)
{
    static const char *const words[][2] = {
        {"active", "正常"},
        {"suspended", "已暂停"},
        {"scrapped", "已报废"},
        {"closed", "已关闭"},
        {"retired", "已退出"},
        {"valid", "有效"},
        {"expiring", "即将到期"},
        {"expired", "已过期"},
        {"review_overdue", "未按期复审"},
        {"revoked", "已吊销"},
        {"approved", "已批准"},
        {"cancelled", "已取消"},
        {"open", "待处理"},
        {"acknowledged", "已确认"},
        {"resolved", "已销号"},
        {"dismissed", "已撤销"},
        {"special", "特级"},
        {"first", "一级"},
        {"second", "二级"},
        {"fusion", "熔化焊接与热切割"},
        {"pressure", "压力焊"},
        {"brazing", "钎焊"},
        {"critical", "严重"},
        {"warning", "警告"},
        {"info", "提示"},
        {"status", "状态"},
        {"progress", "整改进展"},
        {"evidence", "整改证据"},
    };
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (strcmp(words[i][0], word) == 0)
            return words[i][1];
    return word;
}

/* The word at @p path of @p obj in Chinese, with the record's own word beside it. */
static void insp_word_row(textbuf *b, const answer_doc *a, size_t obj, const char *path,
                          const char *zh, const char *en, const char *id)
{
    char raw[64];
    answer_text(a, obj, path, "-", raw, sizeof(raw));
    insp_row(b, zh, en, id, insp_word_zh(raw));
}

/* A violation's kind in Chinese with English beside it. */
static void insp_kind(textbuf *b, const char *kind)
{
    page_text(b, violation_kind_zh(kind, strlen(kind)));
    insp_en(b, violation_kind_en(kind, strlen(kind)));
}

/* A refusal in Chinese and English, marked #refused, and the way back to the scanner. */
static void insp_refusal(textbuf *b, const char *zh, const char *en)
{
    page_raw(b, "<p class=\"card bad\" id=\"refused\" role=\"alert\">");
    page_text(b, zh);
    insp_en(b, en);
    page_raw(b, "</p><p class=\"card\"><a href=\"/scan\">重新扫描<span class=\"en\">scan "
                "again</span></a></p>");
}

/* A refusal page. */
static void insp_refuse(http_response *resp, unsigned status, const char *zh, const char *en)
{
    textbuf b = {0};
    page_begin(&b, "无法查询", "Refused");
    insp_refusal(&b, zh, en);
    page_finish(&b, status, resp);
}

/* A positive id in @p text (all digits), or 0. */
static int64_t insp_id(const char *text)
{
    if (!text || !*text || strspn(text, "0123456789") != strlen(text) || strlen(text) > 18)
        return 0;
    return strtoll(text, NULL, 10);
}

/* A form field, "" when absent. */
static const char *insp_field(const web_call *call, const char *name)
{
    const char *v = http_form(call->req, name);
    return v ? v : "";
}

/* The inspector's scripts: jsQR and web/inspect.js (served by this module). */
static void insp_scripts(textbuf *b, bool with_qr)
{
    if (with_qr)
        page_raw(b, "<script src=\"/static/vendor/jsQR.js\" defer></script>");
    page_raw(b, "<script src=\"/static/inspect.js\" defer></script>");
}

/* The photo of form @p form (its id): a camera input the script scales down and uploads (POST
 * /photos), and the hidden photo_id it fills in. Without the script there is no photo. */
static void insp_photo_field(textbuf *b, const char *form)
{
    page_raw(b, "<label for=\"photo-");
    page_raw(b, form);
    page_raw(b,
             "\">照片（可选）<span class=\"en\">photo (optional)</span></label><input id=\"photo-");
    page_raw(b, form);
    page_raw(b, "\" type=\"file\" accept=\"image/*\" capture=\"environment\" data-photo><input "
                "type=\"hidden\" name=\"photo_id\"><p class=\"photo-status\" "
                "aria-live=\"polite\"></p>");
}

/* The photo id a form carries: 0 none, -1 not an id. */
static int64_t insp_form_photo(const web_call *call)
{
    const char *v = insp_field(call, "photo_id");
    if (!*v)
        return 0;
    int64_t id = insp_id(v);
    return id ? id : -1;
}

/* Answers when photo @p id (0: none) is not one the caller uploaded (400, or 503): a note may
 * name only the caller's own evidence. True when it answered. */
static bool insp_photo_refused(web_call *call, int64_t id, http_response *resp)
{
    if (id == 0)
        return false;
    store_photo p;
    store *db = web_db_get(call);
    int found = store_photo_get(db, id, &p);
    web_db_put(call, db, found);
    if (found == 1) {
        found = p.account_id == call->session.account_id;
        free(p.bytes);
    }
    if (found < 0)
        web_db_unavailable(resp);
    else if (found == 0)
        page_message(resp, 400, "照片不存在或不是您上传的", "no such photo of yours");
    return found != 1;
}

/* ---- GET /static/inspect.js ---- */

static void insp_js_fn(web_call *call, http_response *resp)
{
    const web_asset *a = web_asset_find(call->req->path);
    if (a)
        web_static(resp, a->type, (const char *)a->data, a->len);
    else
        page_message(resp, 404, "页面不存在", "not found");
}

/* ---- GET /scan ---- */

static void insp_scan_fn(web_call *call, http_response *resp)
{
    textbuf b = {0};
    page_begin(&b, "扫码查验", "Scan a machine");
    page_raw(&b, "<section class=\"card\" id=\"scanner\"><video id=\"camera\" playsinline muted "
                 "hidden></video><p id=\"scan-status\" aria-live=\"polite\">需要浏览器脚本和摄像头"
                 "才能扫码，也可在下方输入。<span class=\"en\" lang=\"en\">scanning needs "
                 "scripts and a camera; or type below</span></p></section>"
                 "<form class=\"card\" method=\"post\" action=\"/m\">");
    web_csrf_field(&b, call);
    page_raw(&b, "<label for=\"code\">二维码内容或芯片号<span class=\"en\">code text or chip "
                 "id</span></label><input id=\"code\" name=\"code\" required maxlength=\"300\" "
                 "autocapitalize=\"characters\" autocomplete=\"off\" spellcheck=\"false\">"
                 "<button type=\"submit\">查询<span class=\"en\">Look up</span></button></form>"
                 "<nav class=\"card\"><ul class=\"links\"><li><a href=\"/violations\">待处理违规"
                 "<span class=\"en\">open violations</span></a></li><li><a href=\"/report\">"
                 "上报无芯焊机<span class=\"en\">report a machine without a chip</span></a>"
                 "</li></ul></nav>");
    insp_scripts(&b, true);
    page_finish(&b, 200, resp);
}

static void insp_refuse_code(web_call *call, const char *text, wr_status status,
                             http_response *resp);

/* ---- the status card: GET /m/<code or chip>, POST /m (code) ---- */

static void insp_card_machine(textbuf *b, const answer_doc *a)
{
    char chip[64], model[160], keeper[160], phone[64], line[400];
    page_raw(b, "<section class=\"card\"><h2>焊机<span class=\"en\">machine</span></h2>");
    insp_row(b, "芯片号", "chip", "chip", answer_text(a, 0, "machine.chip_id", "-", chip, 64));
    answer_text(a, 0, "machine.serial", "-", line, sizeof(line));
    answer_text(a, 0, "machine.model", "-", model, sizeof(model));
    snprintf(line + strlen(line), sizeof(line) - strlen(line), " / %s", model);
    insp_row(b, "出厂编号 / 型号", "serial / model", "model", line);
    insp_word_row(b, a, 0, "machine.process_category", "类别", "category", "category");
    insp_word_row(b, a, 0, "machine.status", "状态", "status", "machine-status");
    answer_text(a, 0, "machine.keeper_name", "-", keeper, sizeof(keeper));
    answer_text(a, 0, "machine.keeper_phone", "", phone, sizeof(phone));
    snprintf(line, sizeof(line), "%s %s", keeper, phone);
    insp_row(b, "管理人", "keeper", "keeper", line);
    page_raw(b, "</section>");
}

static void insp_card_owner(textbuf *b, const answer_doc *a)
{
    char name[256], uscc[32], line[400];
    page_raw(b, "<section class=\"card\"><h2>企业与社区<span class=\"en\">enterprise and "
                "community</span></h2>");
    answer_text(a, 0, "enterprise.name", "-", name, sizeof(name));
    answer_text(a, 0, "enterprise.uscc", "-", uscc, sizeof(uscc));
    snprintf(line, sizeof(line), "%s（%s）", name, uscc);
    insp_row(b, "企业", "enterprise", "enterprise", line);
    insp_word_row(b, a, 0, "enterprise.status", "企业状态", "enterprise status", "ent-status");
    answer_text(a, 0, "community.name", "-", name, sizeof(name));
    answer_text(a, 0, "community.district", "-", uscc, sizeof(uscc));
    snprintf(line, sizeof(line), "%s，%s", name, uscc);
    insp_row(b, "社区", "community", "community", line);
    long hazards = answer_find(a, 0, "hazards");
    if (hazards >= 0 && a->doc.tokens[hazards].count > 0)
        page_raw(b, "<p class=\"bad\" id=\"hazard\">⚠ 该企业有未解除的重大隐患<span class=\"en\">"
                    "the enterprise has an open major hazard</span></p>");
    page_raw(b, "</section>");
}

static void insp_card_session(textbuf *b, const answer_doc *a)
{
    char text[160], more[160], line[400];
    page_raw(b, "<section class=\"card\"><h2>当前作业<span class=\"en\">work now</span></h2>");
    if (answer_find(a, 0, "session") < 0) {
        page_raw(b, "<p id=\"no-session\">当前无人作业（焊机锁定）<span class=\"en\">no one is "
                    "working: the machine is locked</span></p>");
    } else {
        answer_text(a, 0, "session.welder.name", "-", text, sizeof(text));
        answer_text(a, 0, "session.welder.licence_no", "-", more, sizeof(more));
        snprintf(line, sizeof(line), "%s（%s）", text, more);
        insp_row(b, "焊工", "welder", "welder", line);
        insp_word_row(b, a, 0, "session.welder.licence_state", "操作证", "licence", "licence");
        answer_time(a, 0, "session.opened_at", text, sizeof(text));
        answer_time(a, 0, "session.until", more, sizeof(more));
        snprintf(line, sizeof(line), "%s → %s", text, more);
        insp_row(b, "开机时间", "unlocked", "unlocked", line);
        if (answer_find(a, 0, "session.permit") < 0) {
            insp_row(b, "动火作业许可证", "permit", "permit", "无 none");
        } else {
            answer_text(a, 0, "session.permit.permit_no", "-", text, sizeof(text));
            answer_text(a, 0, "session.permit.level", "-", more, sizeof(more));
            snprintf(line, sizeof(line), "%s（%s）", text, insp_word_zh(more));
            answer_text(a, 0, "session.permit.status", "-", more, sizeof(more));
            snprintf(line + strlen(line), sizeof(line) - strlen(line), " %s", insp_word_zh(more));
            insp_row(b, "动火作业许可证", "permit", "permit", line);
        }
    }
    page_raw(b, "</section>");
}

/* The reasons of the last check-in (names joined by ","), in Chinese. */
static void insp_reasons(textbuf *b, const char *names)
{
    for (const char *p = names; *p;) {
        size_t n = strcspn(p, ",");
        char name[64];
        snprintf(name, sizeof(name), "%.*s", (int)(n < 63 ? n : 63), p);
        page_raw(b, "<li>");
        insp_kind(b, name);
        page_raw(b, "</li>");
        p += n + (p[n] == ',');
    }
}

static void insp_card_contact(textbuf *b, const answer_doc *a)
{
    char at[64], ev[32], ok[8], reasons[512], line[160];
    page_raw(b, "<section class=\"card\"><h2>最近联络<span class=\"en\">last check-in</span>"
                "</h2>");
    if (answer_find(a, 0, "last_contact") < 0) {
        page_raw(b, "<p class=\"bad\" id=\"contact\">从未联络平台<span class=\"en\">never in "
                    "contact with the platform</span></p></section>");
        return;
    }
    answer_time(a, 0, "last_contact.at", at, sizeof(at));
    answer_text(a, 0, "last_contact.ev", "-", ev, sizeof(ev));
    answer_text(a, 0, "last_contact.ok", "false", ok, sizeof(ok));
    snprintf(line, sizeof(line), "%s %s %s", at, ev,
             strcmp(ok, "true") == 0 ? "✔ 通过 accepted" : "✘ 拒绝 refused");
    insp_row(b, "时间 / 事件", "at / event", "contact", line);
    answer_text(a, 0, "last_contact.reasons", "", reasons, sizeof(reasons));
    if (reasons[0]) {
        page_raw(b, "<ul class=\"bad\">");
        insp_reasons(b, reasons);
        page_raw(b, "</ul>");
    }
    page_raw(b, "</section>");
}

/* One violation of a list: its kind, status, time and a link to it. */
static void insp_violation_item(textbuf *b, const answer_doc *a, size_t obj)
{
    char id[24], kind[64], status[32], when[64];
    answer_text(a, obj, "id", "0", id, sizeof(id));
    answer_text(a, obj, "kind", "", kind, sizeof(kind));
    answer_text(a, obj, "status", "", status, sizeof(status));
    answer_time(a, obj, "occurred_at", when, sizeof(when));
    page_raw(b, "<li class=\"violation\"><a href=\"/violations/");
    page_text(b, id);
    page_raw(b, "\">#");
    page_text(b, id);
    page_raw(b, " ");
    insp_kind(b, kind);
    page_raw(b, "</a><br>");
    page_text(b, insp_word_zh(status));
    page_raw(b, " · ");
    page_text(b, when);
    page_raw(b, "</li>");
}

/* The items of the array at @p path, each through insp_violation_item. */
static void insp_violation_items(textbuf *b, const answer_doc *a, const char *path)
{
    long arr = answer_find(a, 0, path);
    if (arr < 0 || a->doc.tokens[arr].type != JSON_ARRAY)
        return;
    for (size_t k = (size_t)arr + 1; k < a->doc.tokens[arr].next; k = a->doc.tokens[k].next)
        insp_violation_item(b, a, k);
}

static void insp_card_violations(textbuf *b, const answer_doc *a)
{
    char count[16];
    answer_text(a, 0, "open_violations.count", "0", count, sizeof(count));
    page_raw(b, "<section class=\"card\"><h2>未处理违规<span class=\"en\">open violations"
                "</span>: <b id=\"open-count\" class=\"");
    page_raw(b, strcmp(count, "0") == 0 ? "ok" : "bad");
    page_raw(b, "\">");
    page_text(b, count);
    page_raw(b, "</b></h2><ul id=\"open-violations\">");
    insp_violation_items(b, a, "open_violations.items");
    page_raw(b, "</ul></section>");
}

/* What the code proves, above the record: verified, or a chip id typed by hand. */
static void insp_card_proof(textbuf *b, const code_claims *claims, const answer_doc *a)
{
    if (!claims) {
        page_raw(b, "<p class=\"card bad\" id=\"unverified\">按芯片号查询：未核验二维码签名"
                    "<span class=\"en\">looked up by chip id: no code was checked</span></p>");
        return;
    }
    page_raw(b, "<p class=\"card ok\" id=\"verified\">✔ 二维码真实有效（签名已核验）<span "
                "class=\"en\">the code's signature is valid</span></p>");
    char ent[24];
    answer_text(a, 0, "enterprise.id", "0", ent, sizeof(ent));
    if (strtoull(ent, NULL, 10) != claims->ent)
        page_raw(b, "<p class=\"card bad\" id=\"owner-changed\">二维码上的企业与平台登记的不一致"
                    "（焊机可能已过户，请核实并重新申领二维码）<span class=\"en\">the code names "
                    "another enterprise than the record</span></p>");
}

/* The registry's record of the code (@p code_json, NULL when it never issued it): a signature
 * that verifies is not enough when the code was revoked or issued for another chip. */
static void insp_card_issued(textbuf *b, const code_claims *claims, const char *code_json)
{
    answer_doc c;
    if (!code_json || answer_parse(&c, code_json) != 0) {
        page_raw(b, "<p class=\"card bad\" id=\"code-unknown\">✘ 平台没有此二维码的签发记录"
                    "（签名有效，但不是平台登记签发的），请上报。<span class=\"en\">the registry "
                    "never issued this code</span></p>");
        return;
    }
    char revoked[8], reason[256], chip[64];
    answer_text(&c, 0, "revoked", "false", revoked, sizeof(revoked));
    answer_text(&c, 0, "reason", "", reason, sizeof(reason));
    answer_text(&c, 0, "chip_id", "", chip, sizeof(chip));
    answer_deinit(&c);
    if (strcmp(revoked, "true") == 0) {
        page_raw(b, "<p class=\"card bad\" id=\"code-revoked\">✘ 此二维码已被注销：");
        page_text(b, reason);
        page_raw(b, "<span class=\"en\">the code was revoked</span></p>");
    }
    if (strcmp(chip, claims->chip) != 0)
        page_raw(b, "<p class=\"card bad\" id=\"code-chip\">✘ 此二维码是为另一台焊机签发的"
                    "<span class=\"en\">the code was issued for another machine</span></p>");
}

static void insp_card_render(const code_claims *claims, const char *code_json, const char *json,
                             http_response *resp)
{
    answer_doc a;
    if (answer_parse(&a, json) != 0) {
        page_message(resp, 500, "记录无法读取", "the record could not be read");
        return;
    }
    textbuf b = {0};
    page_begin(&b, "焊机状态", "Machine status");
    insp_card_proof(&b, claims, &a);
    if (claims)
        insp_card_issued(&b, claims, code_json);
    insp_card_violations(&b, &a);
    insp_card_machine(&b, &a);
    insp_card_owner(&b, &a);
    insp_card_session(&b, &a);
    insp_card_contact(&b, &a);
    page_raw(&b, "<nav class=\"card\"><ul class=\"links\"><li><a href=\"/scan\">扫描下一台"
                 "<span class=\"en\">scan another</span></a></li><li><a href=\"/violations\">"
                 "全部待处理违规<span class=\"en\">all open violations</span></a></li></ul>"
                 "</nav>");
    answer_deinit(&a);
    page_finish(&b, 200, resp);
}

/* The record of chip @p chip in the caller's scope, rendered or refused; with @p claims (a
 * verified code), the registry's record of the code too. */
static void insp_card_record(web_call *call, const char *chip, const code_claims *claims,
                             http_response *resp)
{
    admin_outcome out, code = {.status = STORE_OK};
    bool out_of_scope = false;
    store *db = web_db_get(call);
    store_inspect_card(db, chip, insp_scope(call), &out, &out_of_scope);
    if (claims && out.status == STORE_OK && !out.not_found && !out_of_scope)
        store_inspect_code(db, claims->cti, sizeof(claims->cti), &code);
    bool failed = out.status != STORE_OK || code.status != STORE_OK;
    web_db_put(call, db,
               out.status == STORE_EUNAVAILABLE || code.status == STORE_EUNAVAILABLE ? -1 : 0);
    if (failed)
        web_db_unavailable(resp);
    else if (out_of_scope)
        insp_refuse(resp, 403, "此焊机登记在您负责的社区之外，无权查看。",
                    "the machine is registered outside your communities");
    else if (out.not_found)
        insp_refuse(resp, 404,
                    claims ? "二维码签名有效，但平台没有此芯片号的焊机记录：请上报。"
                           : "平台没有此芯片号的焊机记录。",
                    "the platform has no machine with this chip id");
    else
        insp_card_render(claims, code.not_found ? NULL : code.json, out.json, resp);
    admin_outcome_deinit(&code);
    admin_outcome_deinit(&out);
}

/* The card of @p text: a machine code (verified first) or a chip id typed by hand. */
static void insp_card(web_call *call, const char *text, http_response *resp)
{
    while (*text == ' ')
        text++;
    if (strncmp(text, CODE_PREFIX, CODE_PREFIX_LEN) != 0) {
        size_t n = strlen(text);
        if (n == 0 || n > CODE_CHIP_MAX ||
            strspn(text, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-") != n)
            insp_refuse(resp, 400,
                        "这不是焊机二维码，也不是芯片号（1 至 20 位数字、大写字母或 -）。",
                        "neither a machine code nor a chip id");
        else
            insp_card_record(call, text, NULL, resp);
        return;
    }
    code_claims claims;
    wr_status status = welder_verify(web_verifier(call), text, CODE_MACHINE, &claims);
    if (status != WR_OK) {
        insp_refuse_code(call, text, status, resp);
        return;
    }
    insp_card_record(call, claims.chip, &claims, resp);
}

static void insp_card_fn(web_call *call, http_response *resp)
{
    insp_card(call, call->req->path + 3, resp);
}

static void insp_card_post_fn(web_call *call, http_response *resp)
{
    insp_card(call, insp_field(call, "code"), resp);
}

/* ---- GET /violations: the open ones in scope ---- */

/* Appends the violations of @p status in scope read from @p db; false when the database
 * failed. */
static bool insp_list_status(web_call *call, store *db, const char *status, textbuf *b)
{
    violation_query q = {.scope = insp_scope(call), .limit = INSPECT_LIST_MAX};
    snprintf(q.status, sizeof(q.status), "%s", status);
    admin_outcome out;
    store_inspect_violations(db, &q, &out);
    answer_doc a;
    bool ok = out.status == STORE_OK && out.json && answer_parse(&a, out.json) == 0;
    if (ok) {
        insp_violation_items(b, &a, "items");
        answer_deinit(&a);
    }
    admin_outcome_deinit(&out);
    return ok;
}

static void insp_list_fn(web_call *call, http_response *resp)
{
    textbuf b = {0};
    page_begin(&b, "待处理违规", "Open violations");
    store *db = web_db_get_read(call);
    web_staleness(&b, call);
    page_raw(&b, "<section class=\"card\"><h2>待处理<span class=\"en\">open</span></h2>"
                 "<ul id=\"list-open\">");
    bool ok = insp_list_status(call, db, "open", &b);
    page_raw(&b, "</ul></section><section class=\"card\"><h2>已确认，整改中<span class=\"en\">"
                 "acknowledged, being rectified</span></h2><ul id=\"list-acknowledged\">");
    ok = ok && insp_list_status(call, db, "acknowledged", &b);
    web_db_put(call, db, ok ? 0 : -1);
    page_raw(&b, "</ul></section><p class=\"card\"><a href=\"/scan\">扫码查验<span class=\"en\">"
                 "scan a machine</span></a></p>");
    if (!ok) {
        free(b.data);
        web_db_unavailable(resp);
        return;
    }
    page_finish(&b, 200, resp);
}

/* ---- GET /violations/<id>: one violation, its history and what may be done ---- */

/* Links to the photos of a history entry (@p ids: their ids joined by commas). */
static void insp_photo_links(textbuf *b, const char *ids)
{
    for (const char *p = ids; *p;) {
        size_t digits = strspn(p, "0123456789");
        if (digits == 0 || digits > 18)
            return;
        char href[32];
        snprintf(href, sizeof(href), "/photos/%.*s", (int)digits, p);
        page_raw(b, " <a class=\"photo\" href=\"");
        page_raw(b, href);
        page_raw(b, "\">查看照片<span class=\"en\">photo</span></a>");
        p += digits;
        if (*p == ',')
            p++;
    }
}

static void insp_history(textbuf *b, const answer_doc *a)
{
    long arr = answer_find(a, 0, "history");
    page_raw(b, "<section class=\"card\"><h2>处理记录<span class=\"en\">history</span></h2>"
                "<ol id=\"history\">");
    for (size_t k = arr < 0 ? 0 : (size_t)arr + 1; arr >= 0 && k < a->doc.tokens[arr].next;
         k = a->doc.tokens[k].next) {
        char entry[16], status[16], actor[96], at[64], note[4 * INSPECT_NOTE_MAX + 64], photos[256];
        answer_text(a, k, "entry", "", entry, sizeof(entry));
        answer_text(a, k, "status", "", status, sizeof(status));
        answer_text(a, k, "actor", "", actor, sizeof(actor));
        answer_time(a, k, "at", at, sizeof(at));
        answer_text(a, k, "note", "", note, sizeof(note));
        answer_text(a, k, "photos", "", photos, sizeof(photos));
        page_raw(b, "<li>");
        page_text(b, insp_word_zh(strcmp(entry, "status") == 0 ? status : entry));
        page_raw(b, " · ");
        page_text(b, at);
        page_raw(b, " · ");
        page_text(b, actor);
        if (note[0]) {
            page_raw(b, "<br><span class=\"note\">");
            page_text(b, note);
            page_raw(b, "</span>");
        }
        insp_photo_links(b, photos);
        page_raw(b, "</li>");
    }
    page_raw(b, "</ol></section>");
}

/* What a person may do to a violation on its page: the form's action, the step, and its texts. */
typedef struct insp_action {
    const char *name;
    violation_status to;
    const char *title; /* the form's heading */
    const char *label; /* the note's label, its English <span> left open */
    const char *button;
} insp_action;

static const insp_action insp_actions[] = {
    {"acknowledge", VIOLATION_ACKNOWLEDGED, "确认违规<span class=\"en\">acknowledge</span>",
     "说明（可选）<span class=\"en\">note (optional)", "确认<span class=\"en\">Acknowledge</span>"},
    {"resolve", VIOLATION_RESOLVED,
     "整改已核实，销号<span class=\"en\">fix checked: close (销号)</span>",
     "整改情况（必填）<span class=\"en\">the fix, as checked (required)",
     "销号<span class=\"en\">Close</span>"},
    /* a lead that was no violation (a false alarm, a machine wrongly registered): not a 销号 */
    {"dismiss", VIOLATION_DISMISSED,
     "撤销：不构成违规<span class=\"en\">dismiss: no violation</span>",
     "撤销理由（必填）<span class=\"en\">why it is no violation (required)",
     "撤销<span class=\"en\">Dismiss</span>"},
};

static const insp_action *insp_action_find(const char *name)
{
    for (size_t i = 0; i < sizeof(insp_actions) / sizeof(insp_actions[0]); i++)
        if (strcmp(insp_actions[i].name, name) == 0)
            return &insp_actions[i];
    return NULL;
}

/* Whether the caller may take step @p to: 销号 is an inspector's, after checking the fix
 * (core/violation.h), as on CoAP; the other steps are everyone's who may enforce. */
static bool insp_may_step(const web_call *call, violation_status to)
{
    return !violation_step_is_closing(to) || call->role == ACCESS_ROLE_INSPECTOR;
}

/* The form of action @p act on violation @p id. */
static void insp_action_form(textbuf *b, const web_call *call, const char *id,
                             const insp_action *act)
{
    page_raw(b, "<form class=\"card\" method=\"post\" id=\"");
    page_raw(b, act->name);
    page_raw(b, "\" action=\"/violations/");
    page_text(b, id);
    page_raw(b, "\"><h2>");
    page_raw(b, act->title);
    page_raw(b, "</h2>");
    web_csrf_field(b, call);
    page_raw(b, "<input type=\"hidden\" name=\"action\" value=\"");
    page_raw(b, act->name);
    page_raw(b, "\"><label for=\"note-");
    page_raw(b, act->name);
    page_raw(b, "\">");
    page_raw(b, act->label);
    page_raw(b, "</span></label><input name=\"note\" id=\"note-");
    page_raw(b, act->name);
    page_raw(b, violation_step_needs_note(act->to) ? "\" maxlength=\"300\" required>"
                                                   : "\" maxlength=\"300\">");
    insp_photo_field(b, act->name);
    page_raw(b, "<button type=\"submit\">");
    page_raw(b, act->button);
    page_raw(b, "</button></form>");
}

/* The forms of the steps violation in @p status allows the caller. */
static void insp_action_forms(textbuf *b, const web_call *call, const char *id, const char *status)
{
    violation_status from;
    if (!violation_status_from_name(status, strlen(status), &from))
        return;
    for (size_t i = 0; i < sizeof(insp_actions) / sizeof(insp_actions[0]); i++)
        if (violation_step_allowed(from, insp_actions[i].to) &&
            insp_may_step(call, insp_actions[i].to))
            insp_action_form(b, call, id, &insp_actions[i]);
}

static void insp_violation_render(const web_call *call, const answer_doc *a, http_response *resp)
{
    char id[24], kind[64], status[32], chip[64], when[64], until[64];
    answer_text(a, 0, "id", "0", id, sizeof(id));
    answer_text(a, 0, "kind", "", kind, sizeof(kind));
    answer_text(a, 0, "status", "", status, sizeof(status));
    textbuf b = {0};
    page_begin(&b, "违规详情", "Violation");
    web_staleness(&b, call);
    page_raw(&b, "<section class=\"card\"><h2>#");
    page_text(&b, id);
    page_raw(&b, " ");
    insp_kind(&b, kind);
    page_raw(&b, "</h2>");
    insp_row(&b, "状态", "status", "violation-status", insp_word_zh(status));
    insp_row(&b, "焊机", "machine", "violation-chip",
             answer_text(a, 0, "chip_id", "-", chip, sizeof(chip)));
    insp_row(&b, "发生时间", "occurred", "occurred", answer_time(a, 0, "occurred_at", when, 64));
    insp_row(&b, "整改期限", "rectify by", "rectify-by",
             answer_time(a, 0, "rectify_by", until, 64));
    page_raw(&b, "</section>");
    insp_history(&b, a);
    insp_action_forms(&b, call, id, status);
    page_raw(&b, "<p class=\"card\"><a href=\"/violations\">返回违规列表<span class=\"en\">all "
                 "open violations</span></a></p>");
    insp_scripts(&b, false);
    page_finish(&b, 200, resp);
}

static void insp_violation_fn(web_call *call, http_response *resp)
{
    violation_query q = {.id = insp_id(call->req->path + strlen("/violations/")),
                         .scope = insp_scope(call)};
    if (!q.id) {
        page_message(resp, 404, "页面不存在", "not found");
        return;
    }
    admin_outcome out;
    store *db = web_db_get_read(call);
    store_inspect_violations(db, &q, &out);
    web_db_put(call, db, out.status == STORE_EUNAVAILABLE ? -1 : 0);
    answer_doc a;
    if (out.status != STORE_OK)
        web_db_unavailable(resp);
    else if (out.not_found || !out.json)
        page_message(resp, 404, "您负责的社区中没有这条违规", "no such violation in your scope");
    else if (answer_parse(&a, out.json) != 0)
        page_message(resp, 500, "记录无法读取", "the record could not be read");
    else {
        insp_violation_render(call, &a, resp);
        answer_deinit(&a);
    }
    admin_outcome_deinit(&out);
}

/* ---- POST /violations/<id>: acknowledge, resolve (evidence, then 销号) or dismiss ---- */

/* The answer to a change of violation @p id that came to @p out (@p current: its status when
 * the change found nothing to change). */
static void insp_step_answer(admin_outcome *out, int64_t id, const char *current,
                             http_response *resp)
{
    char to[64];
    if (out->status != STORE_OK) {
        web_db_unavailable(resp);
    } else if (out->not_found && current[0]) {
        char zh[160];
        snprintf(zh, sizeof(zh), "违规 #%lld 当前状态为“%s”，不能执行此操作。", (long long)id,
                 insp_word_zh(current));
        page_message(resp, 409, zh, "the violation's status does not allow this step");
    } else if (out->not_found) {
        page_message(resp, 404, "您负责的社区中没有这条违规", "no such violation in your scope");
    } else {
        snprintf(to, sizeof(to), "/violations/%lld", (long long)id);
        web_redirect(resp, to);
    }
    admin_outcome_deinit(out);
}

/* Runs the step to @p to (with evidence first for a 销号, which then carries photo @p photo) as
 * the caller. */
static void insp_step(web_call *call, int64_t id, violation_status to, const char *note,
                      int64_t photo, http_response *resp)
{
    const char *from[VIOLATION_STATUS_COUNT_];
    int nfrom = 0;
    for (int s = 0; s < VIOLATION_STATUS_COUNT_; s++)
        if (violation_step_allowed((violation_status)s, to))
            from[nfrom++] = violation_status_name((violation_status)s);
    char actor[STORE_LOGIN_MAX + 5], current[16] = "";
    insp_actor(call, actor);
    int64_t scope = insp_scope(call);
    admin_outcome out = {.status = STORE_OK};
    store *db = web_db_get(call);
    if (violation_step_is_closing(to)) {
        store_inspect_note(db, actor, scope, id, violation_entry_name(VIOLATION_ENTRY_EVIDENCE),
                           note, photo, &out, current);
        if (out.status == STORE_OK && !out.not_found)
            admin_outcome_deinit(&out);
        photo = 0; /* the evidence has it */
    }
    if (out.status == STORE_OK && !out.not_found)
        store_inspect_step(db, actor, scope, id, violation_status_name(to), from, nfrom, note,
                           photo, &out, current);
    web_db_put(call, db, out.status == STORE_EUNAVAILABLE ? -1 : 0);
    insp_step_answer(&out, id, current, resp);
}

static void insp_violation_post_fn(web_call *call, http_response *resp)
{
    int64_t id = insp_id(call->req->path + strlen("/violations/"));
    const insp_action *act = insp_action_find(insp_field(call, "action"));
    const char *note = insp_field(call, "note");
    int64_t photo = insp_form_photo(call);
    if (!id || !act || photo < 0 || strlen(note) > INSPECT_NOTE_MAX) {
        page_message(resp, 400, "表单内容无效", "the form is not valid");
    } else if (!insp_may_step(call, act->to)) {
        page_message(resp, 403, "只有检查员核实整改后才能销号",
                     "only an inspector closes (销号) a violation, after checking the fix");
    } else if (violation_step_needs_note(act->to) && !*note) {
        page_message(resp, 400,
                     act->to == VIOLATION_DISMISSED ? "请填写撤销理由" : "请填写整改情况",
                     act->to == VIOLATION_DISMISSED ? "say why it is no violation"
                                                    : "say how the violation was fixed");
    } else if (!insp_photo_refused(call, photo, resp)) {
        insp_step(call, id, act->to, note, photo, resp);
    }
}

/* ---- GET /report, POST /report: a machine without a chip ---- */

static void insp_report_communities(textbuf *b, const answer_doc *a)
{
    page_raw(b, "<label for=\"community\">社区<span class=\"en\">community</span></label>"
                "<select id=\"community\" name=\"community_id\" required>");
    for (size_t k = 1; k < a->doc.tokens[0].next; k = a->doc.tokens[k].next) {
        char id[24], name[256];
        page_raw(b, "<option value=\"");
        page_text(b, answer_text(a, k, "id", "0", id, sizeof(id)));
        page_raw(b, "\">");
        page_text(b, answer_text(a, k, "name", "", name, sizeof(name)));
        page_raw(b, "</option>");
    }
    page_raw(b, "</select>");
}

/* The form of an on-site report: a machine without a chip (@p code NULL) or the code @p code
 * that did not verify, found at the place the form gives. */
static void insp_report_form(textbuf *b, const web_call *call, const answer_doc *a,
                             const char *code)
{
    page_raw(b, code ? "<form class=\"card\" method=\"post\" action=\"/report/code\" "
                       "id=\"report\"><h2>上报无效二维码<span class=\"en\">report this code"
                       "</span></h2><p>二维码所称的焊机已登记时，归入该焊机的社区。<span "
                       "class=\"en\">filed under the claimed machine's community when it is "
                       "registered</span></p><input type=\"hidden\" name=\"code\" value=\""
                     : "<form class=\"card\" method=\"post\" action=\"/report\" id=\"report\">");
    if (code) {
        page_text(b, code);
        page_raw(b, "\">");
    }
    web_csrf_field(b, call);
    insp_report_communities(b, a);
    page_raw(b, "<p id=\"locate-status\" aria-live=\"polite\"></p><button type=\"button\" "
                "id=\"locate\" hidden>获取当前位置<span class=\"en\">use my position</span>"
                "</button><label for=\"lat\">纬度<span class=\"en\">latitude</span></label>"
                "<input id=\"lat\" name=\"lat\" inputmode=\"decimal\" maxlength=\"12\">"
                "<label for=\"lon\">经度<span class=\"en\">longitude</span></label>"
                "<input id=\"lon\" name=\"lon\" inputmode=\"decimal\" maxlength=\"12\">"
                "<label for=\"site\">地点<span class=\"en\">site address</span></label>"
                "<input id=\"site\" name=\"site_address\" maxlength=\"200\">"
                "<label for=\"note\">情况说明<span class=\"en\">what was found</span></label>"
                "<input id=\"note\" name=\"note\" maxlength=\"300\">");
    insp_photo_field(b, "report");
    page_raw(b, "<button type=\"submit\">上报<span class=\"en\">Report</span></button></form>");
}

/* The caller's communities for a report's form, into @p a over @p out's JSON (both to be freed
 * by the caller); false, with 503 answered, when the database failed. */
static bool insp_communities(web_call *call, admin_outcome *out, answer_doc *a, http_response *resp)
{
    store *db = web_db_get(call);
    store_inspect_communities(db, insp_scope(call), out);
    web_db_put(call, db, out->status == STORE_EUNAVAILABLE ? -1 : 0);
    if (out->status == STORE_OK && out->json && answer_parse(a, out->json) == 0)
        return true;
    admin_outcome_deinit(out);
    web_db_unavailable(resp);
    return false;
}

static void insp_report_fn(web_call *call, http_response *resp)
{
    admin_outcome out;
    answer_doc a;
    if (!insp_communities(call, &out, &a, resp))
        return;
    textbuf b = {0};
    page_begin(&b, "上报无芯焊机", "Machine without a chip");
    page_raw(&b, "<p class=\"card\">现场发现没有芯片或没有二维码的焊机：记录位置和情况，进入违规"
                 "处理队列。<span class=\"en\" lang=\"en\">A machine found without a chip or "
                 "code: its place and what was seen go to the violations queue.</span></p>");
    insp_report_form(&b, call, &a, NULL);
    insp_scripts(&b, false);
    answer_deinit(&a);
    admin_outcome_deinit(&out);
    page_finish(&b, 200, resp);
}

/* The refusal of code @p text that did not verify (@p status), with the form that reports it as
 * an on-site finding (code_invalid, as `weldtag report code_invalid`). */
static void insp_refuse_code(web_call *call, const char *text, wr_status status,
                             http_response *resp)
{
    unsigned http = status == WR_EINVAL ? 400 : 422;
    const char *zh = welder_refusal_zh(status, CODE_MACHINE);
    admin_outcome out;
    answer_doc a;
    if (status == WR_ETYPE || strlen(text) > CODE_TEXT_MAX) { /* nothing to report */
        insp_refuse(resp, http, zh, wr_status_str(status));
        return;
    }
    if (!insp_communities(call, &out, &a, resp))
        return;
    textbuf b = {0};
    page_begin(&b, "无法查询", "Refused");
    insp_refusal(&b, zh, wr_status_str(status));
    insp_report_form(&b, call, &a, text);
    insp_scripts(&b, false);
    answer_deinit(&a);
    admin_outcome_deinit(&out);
    page_finish(&b, http, resp);
}

/* Form field @p name as degrees within @p limit into @p out; absent or empty: *present false. */
static bool insp_degrees(const web_call *call, const char *name, double limit, double *out,
                         bool *present)
{
    const char *v = http_form(call->req, name);
    *present = v && *v;
    if (!*present)
        return true;
    char *end;
    errno = 0;
    *out = strtod(v, &end);
    return errno == 0 && *end == '\0' && isfinite(*out) && fabs(*out) <= limit;
}

/* Reads the report's form into @p rep. */
static bool insp_report_read(const web_call *call, onsite_report *rep)
{
    bool has_lat, has_lon;
    const char *text = insp_field(call, "note");
    int64_t photo = insp_form_photo(call);
    rep->site_address = insp_field(call, "site_address");
    rep->place.community_id = insp_id(http_form(call->req, "community_id"));
    if (!insp_degrees(call, "lat", 90, &rep->lat, &has_lat) ||
        !insp_degrees(call, "lon", 180, &rep->lon, &has_lon) || has_lat != has_lon || photo < 0 ||
        !rep->place.community_id || strlen(rep->site_address) > INSPECT_ADDRESS_MAX ||
        strlen(text) > INSPECT_NOTE_MAX)
        return false;
    rep->has_position = has_lat;
    rep->note = text;
    rep->photo_id = photo;
    return has_lat || *rep->site_address;
}

/* Records @p rep as the caller in its community, if that is one of the caller's. */
static void insp_report_save(web_call *call, onsite_report *rep, admin_outcome *out, bool *in_scope)
{
    char actor[STORE_LOGIN_MAX + 5];
    insp_actor(call, actor);
    store *db = web_db_get(call);
    store_inspect_place(db, rep->chip, rep->place.community_id, insp_scope(call), &rep->place, out);
    *in_scope = out->status == STORE_OK && !out->not_found && rep->place.in_scope;
    if (*in_scope)
        store_inspect_report(db, actor, rep, out);
    web_db_put(call, db, out->status == STORE_EUNAVAILABLE ? -1 : 0);
}

static void insp_report_done(const admin_outcome *out, http_response *resp)
{
    answer_doc a;
    char id[24] = "", vid[24] = "";
    if (out->json && answer_parse(&a, out->json) == 0) {
        answer_text(&a, 0, "id", "", id, sizeof(id));
        answer_text(&a, 0, "violation_id", "", vid, sizeof(vid));
        answer_deinit(&a);
    }
    textbuf b = {0};
    page_begin(&b, "已上报", "Reported");
    page_raw(&b, "<section class=\"card\"><p class=\"ok\" id=\"reported\">✔ 已记录现场上报 #");
    page_text(&b, id);
    page_raw(&b, "，已进入违规处理队列。<span class=\"en\">the report is recorded and its "
                 "violation queued</span></p><p><a id=\"report-violation\" href=\"/violations/");
    page_text(&b, vid);
    page_raw(&b, "\">违规 #");
    page_text(&b, vid);
    page_raw(&b, "</a></p></section><p class=\"card\"><a href=\"/scan\">扫码查验<span "
                 "class=\"en\">scan a machine</span></a></p>");
    page_finish(&b, 201, resp);
}

/* Reads the place of report @p rep (a copy: the form's fields are written here) from the form,
 * checks its photo and records it. */
static void insp_report_submit(web_call *call, onsite_report rep, http_response *resp)
{
    if (!insp_report_read(call, &rep)) {
        page_message(resp, 400, "请填写社区，以及位置（经纬度）或地点",
                     "give the community and the position (both coordinates) or the address");
        return;
    }
    if (insp_photo_refused(call, rep.photo_id, resp))
        return;
    admin_outcome out;
    bool in_scope;
    insp_report_save(call, &rep, &out, &in_scope);
    if (out.status != STORE_OK)
        web_db_unavailable(resp);
    else if (!in_scope)
        page_message(resp, 403, "该社区不在您的负责范围内", "the community is not one of yours");
    else
        insp_report_done(&out, resp);
    admin_outcome_deinit(&out);
}

/* An on-site report of @p kind by the caller. */
static onsite_report insp_report_of(const web_call *call, onsite_kind kind)
{
    const onsite_kind_info *info = onsite_kind_find(kind);
    onsite_report rep = {.kind = info->name,
                         .violation_kind = info->violation_kind,
                         .severity = reason_severity_name(info->severity),
                         .chip = "",
                         .details = "{}",
                         .account_id = call->session.account_id};
    return rep;
}

static void insp_report_post_fn(web_call *call, http_response *resp)
{
    onsite_report rep = insp_report_of(call, ONSITE_MACHINE_WITHOUT_CHIP);
    insp_report_submit(call, rep, resp);
}

/* {"code": text, "check": name}: the evidence of a code that did not verify (as weldtag's). */
static bool insp_code_details(const char *code, codemsg_check check, char *out, size_t cap)
{
    json_writer w;
    json_writer_init(&w, out, cap);
    json_begin_object(&w);
    json_key(&w, "code");
    json_put_cstr(&w, code);
    json_key(&w, "check");
    json_put_cstr(&w, codemsg_check_name(check));
    json_end_object(&w);
    return json_writer_status(&w) == WR_OK;
}

/* POST /report/code: a code that does not verify, linked to the machine it claims when that
 * chip is registered (else to the community chosen). A code that verifies is not reported. */
static void insp_code_report_post_fn(web_call *call, http_response *resp)
{
    const char *text = insp_field(call, "code");
    size_t n = strlen(text);
    code_claims claims;
    code_parsed parsed;
    char details[2 * CODE_TEXT_MAX + 64];
    wr_status status = strncmp(text, CODE_PREFIX, CODE_PREFIX_LEN) != 0 || n > CODE_TEXT_MAX
                           ? WR_ETYPE
                           : welder_verify(web_verifier(call), text, CODE_MACHINE, &claims);
    if (status == WR_OK || status == WR_ETYPE ||
        !insp_code_details(text,
                           codemsg_classify(status, text, n, welder_trust(web_verifier(call))),
                           details, sizeof(details))) {
        page_message(resp, 400, "此二维码有效或不是焊机二维码，不能作为无效二维码上报",
                     "only a machine code that does not verify is reported here");
        return;
    }
    onsite_report rep = insp_report_of(call, ONSITE_CODE_INVALID);
    if (code_decode(text, n, &parsed) == WR_OK && parsed.claims.kind == CODE_MACHINE)
        rep.chip = parsed.claims.chip;
    rep.details = details;
    insp_report_submit(call, rep, resp);
}

static const web_route web_inspect_table[] = {
    {"GET", "/static/inspect.js", GATE_PUBLIC, ACCESS_READ, insp_js_fn},
    {"GET", "/scan", GATE_ROLE, ACCESS_ENFORCE, insp_scan_fn},
    {"GET", "/m/", GATE_ROLE, ACCESS_ENFORCE, insp_card_fn},
    {"POST", "/m", GATE_ROLE, ACCESS_ENFORCE, insp_card_post_fn},
    {"GET", "/violations", GATE_ROLE, ACCESS_ENFORCE, insp_list_fn},
    {"GET", "/violations/", GATE_ROLE, ACCESS_ENFORCE, insp_violation_fn},
    {"POST", "/violations/", GATE_ROLE, ACCESS_ENFORCE, insp_violation_post_fn},
    {"GET", "/report", GATE_ROLE, ACCESS_ENFORCE, insp_report_fn},
    {"POST", "/report", GATE_ROLE, ACCESS_ENFORCE, insp_report_post_fn},
    {"POST", "/report/code", GATE_ROLE, ACCESS_ENFORCE, insp_code_report_post_fn},
};

const web_routes web_routes_inspect = WEB_ROUTES(web_inspect_table);
