/* pages_ent_permits.c — hot-work permits on the web (issue 17, GB 30871-2022): the enterprise's
 * safety officer applies (status 'applied'), the approver the enterprise designates approves or
 * rejects with a reason, never their own application. Only an approved permit counts for a
 * check-in (the server reads approved permits only), so an application does not unlock a
 * machine. The window is checked by core/permit.c, at the level raised for night and rest-day
 * starts (5.1). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/period.h"
#include "core/permit.h"
#include "server/db/store_accounts.h"
#include "server/db/store_admin.h"
#include "server/db/store_enterprise.h"
#include "web/call.h"
#include "web/page.h"
#include "web/pages_ent.h"
#include "web/routes.h"

/* ---- the list ---- */

static const char *ent_status_zh(const char *status)
{
    static const char *const names[][2] = {
        {"applied", "待审批"},   {"approved", "已批准"}, {"rejected", "已驳回"},
        {"cancelled", "已取消"}, {"closed", "已关闭"},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(status, names[i][0]) == 0)
            return names[i][1];
    return status;
}

static const char *ent_level_zh(const char *level)
{
    return strcmp(level, "special") == 0 ? "特级" : strcmp(level, "first") == 0 ? "一级" : "二级";
}

/* The approve and reject form of an application. */
static void ent_decide_form(const ent_rows *l, const char *id)
{
    textbuf *b = l->b;
    ent_form_for(b, l->call, "<form method=\"post\" action=\"/permits/decide\" class=\"decide\">",
                 id);
    page_raw(b, "<label>驳回理由<span class=\"en\">reason (to reject)</span>"
                "<input name=\"note\" maxlength=\"500\"></label>"
                "<button type=\"submit\" name=\"decision\" value=\"approve\">批准<span "
                "class=\"en\">Approve</span></button><button type=\"submit\" name=\"decision\" "
                "value=\"reject\" class=\"secondary\">驳回<span class=\"en\">Reject</span>"
                "</button></form>");
}

/* The gas analysis of an approved permit (GB 30871 5.3.1: at most 30 min before work). */
static void ent_gas_form(const ent_rows *l, const char *id)
{
    textbuf *b = l->b;
    ent_form_for(b, l->call, "<form method=\"post\" action=\"/permits/gas\" class=\"gas\">", id);
    page_raw(b, "<label>气体分析时间（北京时间）<span class=\"en\">gas analysis taken at, China "
                "time</span><input name=\"tested_at\" type=\"datetime-local\" required></label>"
                "<label>可燃气体浓度 %LEL<span class=\"en\">flammable gas, % LEL</span><input "
                "name=\"value\" required inputmode=\"decimal\"></label><button type=\"submit\" "
                "class=\"secondary\">记录气体分析<span class=\"en\">Record the gas analysis"
                "</span></button></form>");
}

static void ent_permit_row(void *arg, const char *const *cell, int n)
{
    ent_rows *l = arg;
    textbuf *b = l->b;
    if (n < 13)
        return;
    ent_put(b, "<section class=\"card permit\" data-status=\"", cell[6]);
    ent_put(b, "\"><h2>", cell[1]);
    ent_put(b, " · ", ent_status_zh(cell[6]));
    ent_put(b, "<span class=\"en\">", cell[6]);
    ent_put(b, "</span></h2><p>", ent_level_zh(cell[2]));
    ent_put(b, "动火<span class=\"en\">", cell[2]);
    ent_put(b, "</span> · ", cell[3]);
    ent_put(b, "</p><p>", cell[4]);
    ent_put(b, " – ", cell[5]);
    ent_put(b, "</p><p>焊工<span class=\"en\">welders</span>: ", cell[11]);
    ent_put(b, "；监火人<span class=\"en\">fire watch</span>: ", cell[7]);
    ent_put(b, "</p><p>申请人<span class=\"en\">applicant</span>: ", cell[8]);
    if (cell[9][0])
        ent_put(b, "；审批人<span class=\"en\">decided by</span>: ", cell[9]);
    if (cell[10][0])
        ent_put(b, "；意见<span class=\"en\">note</span>: ", cell[10]);
    page_raw(b, "</p>");
    if (strcmp(cell[6], "approved") == 0 &&
        access_decide(l->call->role, ACCESS_APPLY) != ACCESS_DENIED)
        ent_gas_form(l, cell[0]);
    /* an approver decides the applications of others, never their own */
    if (l->may && strcmp(cell[6], "applied") == 0 &&
        strtoll(cell[12], NULL, 10) != l->call->session.account_id)
        ent_decide_form(l, cell[0]);
    page_raw(b, "</section>");
}

/* GET /permits; roles that apply see the link to the form first. */
static const ent_page ent_permits_page = {
    "动火作业票",
    "Hot-work permits",
    "<p class=\"card\">只有已批准的作业票才能让焊机开机。<span class=\"en\">Only an approved "
    "permit lets a machine start.</span></p>",
    false,
    "<div id=\"permits\">",
    "</div>",
    ACCESS_APPROVE,
    store_ent_permits,
    ent_permit_row,
};

static void page_permits_fn(web_call *call, http_response *resp)
{
    ent_page page = ent_permits_page;
    if (access_decide(call->role, ACCESS_APPLY) != ACCESS_DENIED)
        page.head = "<p class=\"card\"><a id=\"apply\" href=\"/permits/new\">申请动火作业票"
                    "<span class=\"en\">apply for a permit</span></a></p>"
                    "<p class=\"card\">只有已批准的作业票才能让焊机开机。<span class=\"en\">"
                    "Only an approved permit lets a machine start.</span></p>";
    ent_list_page(call, resp, &page);
}

/* ---- the application ---- */

static void ent_pick_welder(void *arg, const char *const *cell, int n)
{
    textbuf *b = arg;
    if (n < 4)
        return;
    bool ok = strcmp(cell[3], "valid") == 0 || strcmp(cell[3], "expiring") == 0;
    page_raw(b, "<label class=\"pick\"><input type=\"checkbox\" name=\"w");
    page_text(b, cell[0]);
    page_raw(b, ok ? "\"> " : "\" disabled> ");
    page_text(b, cell[1]);
    page_raw(b, " ");
    page_text(b, cell[2]);
    if (!ok) {
        page_raw(b, " <span class=\"bad\">");
        page_text(b, cell[3]);
        page_raw(b, "</span>");
    }
    page_raw(b, "</label>");
}

static void ent_pick_machine(void *arg, const store_machine_row *row)
{
    textbuf *b = arg;
    if (strcmp(row->status, "active") != 0)
        return;
    page_raw(b, "<label class=\"pick\"><input type=\"checkbox\" name=\"m");
    page_text(b, row->id);
    page_raw(b, "\"> ");
    page_text(b, row->chip_id);
    page_raw(b, "</label>");
}

static const char ent_apply_fields[] =
    "<label for=\"level\">动火级别<span class=\"en\">level</span></label><select id=\"level\" "
    "name=\"level\"><option value=\"second\">二级 (≤72 h)</option><option value=\"first\">一级 "
    "(≤8 h)</option><option value=\"special\">特级 (≤8 h)</option></select>"
    "<label for=\"site\">动火地点<span class=\"en\">site</span></label><input id=\"site\" "
    "name=\"site\" required maxlength=\"200\">"
    "<label for=\"lat\">纬度<span class=\"en\">latitude</span></label><input id=\"lat\" "
    "name=\"lat\" required inputmode=\"decimal\">"
    "<label for=\"lon\">经度<span class=\"en\">longitude</span></label><input id=\"lon\" "
    "name=\"lon\" required inputmode=\"decimal\">"
    "<label for=\"starts\">开始（北京时间）<span class=\"en\">starts, China time</span></label>"
    "<input id=\"starts\" name=\"starts\" type=\"datetime-local\" required>"
    "<label for=\"ends\">结束<span class=\"en\">ends</span></label><input id=\"ends\" "
    "name=\"ends\" type=\"datetime-local\" required>"
    "<label for=\"fire_watch\">监火人<span class=\"en\">fire watch</span></label><input "
    "id=\"fire_watch\" name=\"fire_watch\" required maxlength=\"100\">";

/* GET /permits/new */
static void page_permit_new_fn(web_call *call, http_response *resp)
{
    int64_t ent = ent_of(call, resp);
    if (!ent)
        return;
    textbuf b = {0};
    page_begin(&b, "申请动火作业票", "Apply for a hot-work permit");
    page_raw(&b, ENT_ASSETS);
    page_raw(&b, "<form class=\"card\" method=\"post\" action=\"/permits\" data-once>");
    web_csrf_field(&b, call);
    page_raw(&b, ent_apply_fields);
    page_raw(&b, "<fieldset id=\"pick-welders\"><legend>焊工<span class=\"en\">welders</span>"
                 "</legend>");
    store *db = web_db_get(call);
    int n = store_ent_welders(db, ent, ent_pick_welder, &b);
    page_raw(&b, "</fieldset><fieldset id=\"pick-machines\"><legend>焊机（不选则本企业任一焊机）"
                 "<span class=\"en\">machines (none: any of ours)</span></legend>");
    if (n >= 0)
        n = store_machines_in_scope(db, ACCESS_ENTERPRISE, call->session.account_id, ent,
                                    ent_pick_machine, &b);
    web_db_put(call, db, n);
    page_raw(&b, "</fieldset><button type=\"submit\">提交申请<span class=\"en\">Apply</span>"
                 "</button></form>");
    if (n < 0) {
        free(b.data);
        web_db_unavailable(resp);
        return;
    }
    page_finish(&b, 200, resp);
}

/* The two digits at @p s as a number, or -1. */
static int ent_two_digits(const char *s)
{
    if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
        return -1;
    return (s[0] - '0') * 10 + (s[1] - '0');
}

/* "YYYY-MM-DDTHH:MM" (an input of type datetime-local) in China time, as Unix seconds. */
static bool ent_parse_minute(const char *text, int64_t *out)
{
    char day[11], why[PERIOD_WHY_SIZE];
    period p = {0};
    if (!text || strlen(text) != 16 || text[10] != 'T' || text[13] != ':')
        return false;
    int hh = ent_two_digits(text + 11), mm = ent_two_digits(text + 14);
    if (hh < 0 || hh > 23 || mm < 0 || mm > 59)
        return false;
    memcpy(day, text, 10);
    day[10] = '\0';
    if (period_days(day, day, &p, why, sizeof(why)) != WR_OK)
        return false;
    *out = period_start(&p) + (int64_t)hh * 3600 + (int64_t)mm * 60;
    return true;
}

/* A number within +-@p limit (degrees, or a percentage). */
static bool ent_parse_number(const char *text, double limit, double *out)
{
    char *end;
    if (!text || !*text)
        return false;
    *out = strtod(text, &end);
    return !*end && isfinite(*out) && fabs(*out) <= limit;
}

/* The form as an application; NULL when it is complete and within the rules, else what is
 * wrong, in Chinese and English. */
static const char *ent_read_application(const http_request *req, store_permit_application *a,
                                        int64_t *welders, int64_t *machines)
{
    const char *site = http_form(req, "site"), *watch = http_form(req, "fire_watch");
    a->site_address = site;
    a->fire_watch = watch;
    if (!permit_level_from_name(http_form(req, "level"), &a->level) || !site || !*site ||
        strlen(site) > 200 || !watch || !*watch || strlen(watch) > 100)
        return "请填写级别、地点和监火人 / fill in the level, the site and the fire watch";
    if (!ent_parse_number(http_form(req, "lat"), 90, &a->lat) ||
        !ent_parse_number(http_form(req, "lon"), 180, &a->lon))
        return "地点坐标无效 / the site's latitude and longitude are not valid";
    if (!ent_parse_minute(http_form(req, "starts"), &a->starts_at) ||
        !ent_parse_minute(http_form(req, "ends"), &a->ends_at))
        return "请填写开始和结束时间 / fill in when the work starts and ends";
    a->welders = welders;
    a->welder_count = ent_form_ids(req, 'w', welders, STORE_ENT_PICK_MAX);
    a->machines = machines;
    a->machine_count = ent_form_ids(req, 'm', machines, STORE_ENT_PICK_MAX);
    if (a->welder_count == 0 || a->welder_count > STORE_ENT_PICK_MAX ||
        a->machine_count > STORE_ENT_PICK_MAX)
        return "请选择 1 至 30 名焊工 / pick 1 to 30 welders";
    return NULL;
}

/* Whether the window of application @p a is within its level's limit once raised at night
 * or on a rest day or holiday (GB 30871 5.1), the holiday calendar's entry for its first day
 * being @p listed (and @p rest). */
static bool ent_window_ok(const store_permit_application *a, bool listed, bool rest)
{
    int64_t day = permit_china_day(a->starts_at);
    permit_calendar cal = {&day, &rest, listed ? 1 : 0};
    permit_level effective =
        permit_effective_level(a->level, a->starts_at, permit_is_rest_day(&cal, a->starts_at));
    return permit_window_ok(effective, a->starts_at, a->ends_at);
}

/* POST /permits */
static void page_permit_apply_fn(web_call *call, http_response *resp)
{
    int64_t ent = ent_of(call, resp);
    if (!ent)
        return;
    store_permit_application a = {0};
    int64_t welders[STORE_ENT_PICK_MAX], machines[STORE_ENT_PICK_MAX], id = 0;
    const char *wrong = ent_read_application(call->req, &a, welders, machines);
    if (wrong) {
        ent_message(resp, 400, "申请未提交", wrong, "/permits/new");
        return;
    }
    char actor[96];
    ent_actor(call, actor, sizeof(actor));
    bool rest = false;
    store *db = web_db_get(call);
    int rc = store_ent_holiday(db, a.starts_at, &rest);
    bool window_ok = rc >= 0 && ent_window_ok(&a, rc == 1, rest);
    if (window_ok)
        rc = store_ent_apply(db, actor, call->session.account_id, ent, &a, &id);
    web_db_put(call, db, rc);
    if (rc >= 0 && !window_ok)
        ent_message(resp, 400, "申请未提交",
                    "作业时间超出该级别的最长期限（特级、一级 8 小时，二级 72 小时；夜间和休息日、"
                    "节假日升一级） / the window is longer than the level allows (8 h special and "
                    "first, 72 h second; raised one level at night and on rest days and holidays, "
                    "GB 30871 5.1)",
                    "/permits/new");
    else if (rc < 0)
        web_db_unavailable(resp);
    else if (rc == 0)
        ent_message(resp, 400, "所选焊工或焊机不属于本企业，或焊工操作证无效",
                    "a welder or machine picked is not ours (or not active), or a welder's "
                    "licence is not valid",
                    "/permits/new");
    else
        web_redirect(resp, "/permits");
}

/* Why the approver may not sign application @p ap: its level raised one step when the work
 * starts at night or on a rest day or holiday (GB 30871 5.1, the platform's holiday calendar)
 * is above the approver's signing level (Table B.1), or the approver has none. In @p buf,
 * Chinese then English; NULL when the approver may sign. */
static const char *ent_signing_refusal(const store_ent_approval *ap, char *buf, size_t cap)
{
    permit_level level = PERMIT_SECOND, signer;
    if (!permit_level_from_name(ap->signing_level, &signer))
        return "您的账户未登记签批级别，不能审批动火作业票，请联系平台管理员登记"
               " / your account has no signing level (GB 30871 Table B.1): ask the platform's "
               "administrator to record it";
    permit_level_from_name(ap->level, &level); /* the schema allows only the three names */
    int64_t day = permit_china_day(ap->starts_at);
    permit_calendar cal = {&day, &ap->day_rest, ap->day_listed ? 1 : 0};
    bool rest = permit_is_rest_day(&cal, ap->starts_at);
    permit_level effective = permit_effective_level(level, ap->starts_at, rest);
    permit p;
    permit_init(&p);
    p.has_approver_level = true;
    p.approver_level = signer;
    if (permit_approver_ok(&p, effective))
        return NULL;
    snprintf(
        buf, cap,
        "该作业按 GB 30871 为%s动火%s，您的签批级别为%s，无权审批"
        " / this is %s-level hot work%s (GB 30871): your signing level is %s",
        ent_level_zh(permit_level_name(effective)),
        effective != level ? (rest ? "（休息日或节假日作业升一级）" : "（夜间作业升一级）") : "",
        ent_level_zh(permit_level_name(signer)), permit_level_name(effective),
        effective != level
            ? (rest ? ", raised one level on a rest day or holiday" : ", raised one level at night")
            : "",
        permit_level_name(signer));
    return buf;
}

/* POST /permits/decide: id, decision (approve or reject), note (a rejection's reason). */
static void page_permit_decide_fn(web_call *call, http_response *resp)
{
    int64_t ent = ent_of(call, resp);
    if (!ent)
        return;
    int64_t id = ent_form_id(call->req, "id");
    const char *decision = http_form(call->req, "decision");
    const char *note = http_form(call->req, "note");
    bool approve = decision && strcmp(decision, "approve") == 0;
    if (!id || !decision || (!approve && strcmp(decision, "reject") != 0) ||
        (!approve && (!note || !*note)) || (note && strlen(note) > 500)) {
        ent_message(resp, 400, "驳回时须填写理由", "a rejection needs a reason", "/permits");
        return;
    }
    char actor[96], why[512];
    ent_actor(call, actor, sizeof(actor));
    store_ent_approval ap;
    store_ent_decision d = {.id = id, .approval = approve ? &ap : NULL, .note = note};
    const char *refusal = NULL;
    store *db = web_db_get(call);
    int rc = approve ? store_ent_approval_get(db, ent, id, call->session.account_id, &ap) : 1;
    if (rc == 1 && approve)
        refusal = ent_signing_refusal(&ap, why, sizeof(why));
    if (rc == 1 && !refusal)
        rc = store_ent_decide(db, actor, call->session.account_id, call->session.login, ent, &d);
    web_db_put(call, db, rc);
    if (rc < 0)
        web_db_unavailable(resp);
    else if (rc == 0)
        ent_message(resp, 404, "没有待您审批的此作业票",
                    "no such application waits for your decision", "/permits");
    else if (refusal)
        ent_message(resp, 403, "签批级别不足", refusal, "/permits");
    else
        web_redirect(resp, "/permits");
}

/* A gas test may be dated at most this far ahead of the clock (as the admin API allows). */
#define ENT_GAS_AHEAD_S 60

/* POST /permits/gas: id, tested_at, value: a gas analysis of an approved permit of ours, recorded
 * as the admin API's permit change records it (permit_gas_tests, the permit's gas_analysis_at,
 * audited as permit.change). */
static void page_permit_gas_fn(web_call *call, http_response *resp)
{
    int64_t ent = ent_of(call, resp);
    if (!ent)
        return;
    rules_permit_change c = {.id = ent_form_id(call->req, "id"), .has_gas_test = true};
    snprintf(c.note, sizeof(c.note), "web");
    if (!c.id || !ent_parse_minute(http_form(call->req, "tested_at"), &c.gas_tested_at) ||
        !ent_parse_number(http_form(call->req, "value"), 100, &c.gas_value) || c.gas_value < 0 ||
        c.gas_tested_at > (int64_t)time(NULL) + ENT_GAS_AHEAD_S) {
        ent_message(resp, 400, "请填写分析时间（不晚于现在）和 0-100 的浓度",
                    "give the time of the analysis (not in the future) and a value of 0-100",
                    "/permits");
        return;
    }
    char actor[96];
    ent_actor(call, actor, sizeof(actor));
    admin_outcome out = {0};
    store *db = web_db_get(call);
    int rc = store_ent_permit_approved(db, ent, c.id);
    if (rc == 1) {
        store_admin_change_permit(db, actor, &c, 0, &out);
        rc = out.status != STORE_OK ? -1 : out.not_found ? 0 : 1;
        admin_outcome_deinit(&out);
    }
    web_db_put(call, db, rc);
    if (rc < 0)
        web_db_unavailable(resp);
    else if (rc == 0)
        ent_message(resp, 404, "本企业没有此已批准的作业票", "no such approved permit of ours",
                    "/permits");
    else
        web_redirect(resp, "/permits");
}

static const web_route web_permits_table[] = {
    {"GET", "/permits", GATE_ROLE, ACCESS_READ, page_permits_fn},
    {"GET", "/permits/new", GATE_ROLE, ACCESS_APPLY, page_permit_new_fn},
    {"POST", "/permits", GATE_ROLE, ACCESS_APPLY, page_permit_apply_fn},
    {"POST", "/permits/decide", GATE_ROLE, ACCESS_APPROVE, page_permit_decide_fn},
    {"POST", "/permits/gas", GATE_ROLE, ACCESS_APPLY, page_permit_gas_fn},
};

const web_routes web_routes_ent_permits = WEB_ROUTES(web_permits_table);
