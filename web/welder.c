/* welder.c — the welder page: the code's verification and the day's status in words. */
#include "web/welder.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/reason.h"
#include "core/trust.h"
#include "web/call.h"
#include "web/page.h"
#include "web/routes.h"

struct welder_verifier {
    trust_list *trust;
};

welder_verifier *welder_verifier_create(const server_config *cfg, char *err, size_t errlen)
{
    welder_verifier *v = calloc(1, sizeof(*v));
    if (!v) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (!cfg->trust_list_file[0])
        return v;
    FILE *f = fopen(cfg->trust_list_file, "r");
    char *buf = malloc(1 << 20);
    size_t n = f && buf ? fread(buf, 1, 1 << 20, f) : 0;
    if (f)
        fclose(f);
    trust_error terr = {0};
    if (!f || !buf || trust_list_parse(buf, n, &v->trust, &terr) != WR_OK) {
        snprintf(err, errlen, "could not read the trust list \"%s\": %s", cfg->trust_list_file,
                 f ? terr.message : strerror(errno));
        free(buf);
        welder_verifier_destroy(v);
        return NULL;
    }
    free(buf);
    return v;
}

void welder_verifier_destroy(welder_verifier *v)
{
    if (!v)
        return;
    trust_list_destroy(v->trust);
    free(v);
}

wr_status welder_verify(const welder_verifier *v, const char *text, code_kind kind,
                        code_claims *out)
{
    size_t n = strnlen(text, CODE_TEXT_MAX + 1);
    if (n > CODE_TEXT_MAX)
        return WR_EINVAL;
    wr_status rc = code_verify(text, n, v->trust, NULL, (uint64_t)time(NULL), out);
    if (rc == WR_OK && out->kind != kind)
        return WR_ETYPE;
    return rc;
}

const trust_list *welder_trust(const welder_verifier *v)
{
    return v->trust;
}

const char *welder_refusal_zh(wr_status status, code_kind kind)
{
    switch (status) {
    case WR_ESIG: return "二维码签名无效：此码可能被篡改或伪造。";
    case WR_EKEY: return "二维码不是本平台签发的（签发密钥不在信任列表中）。";
    case WR_EEXPIRED: return "二维码已过期，请联系企业重新申领。";
    case WR_ENOTYET: return "二维码尚未生效。";
    case WR_EREVOKED: return "二维码已被注销。";
    case WR_ETYPE:
        return kind == CODE_WELDER ? "这是焊机的二维码，不是焊工的二维码。"
                                   : "这是焊工的二维码，不是焊机的二维码。";
    default: return "无法识别的二维码。";
    }
}

static void welder_line(textbuf *b, bool ok, const char *zh_ok, const char *zh_bad, const char *en)
{
    page_raw(b, ok ? "<li class=\"ok\">✔ " : "<li class=\"bad\">✘ ");
    page_text(b, ok ? zh_ok : zh_bad);
    page_raw(b, "<span class=\"en\" lang=\"en\">");
    page_text(b, en);
    page_raw(b, "</span></li>");
}

static void welder_claims(textbuf *b, const code_claims *c)
{
    char until[16] = "";
    time_t t = (time_t)c->lvu + (time_t)8 * 3600; /* China's date */
    struct tm tm;
    if (gmtime_r(&t, &tm))
        strftime(until, sizeof(until), "%Y-%m-%d", &tm);
    page_raw(b, "<section class=\"card\"><p class=\"ok\">✔ 二维码真实有效（签名已核验）"
                "<span class=\"en\">the code's signature is valid</span></p><p>姓名"
                "<span class=\"en\">name</span>: <b id=\"name\">");
    page_text(b, c->nm);
    page_raw(b, "</b></p><p>操作证<span class=\"en\">licence</span>: <b id=\"licence\">");
    page_text(b, c->lic);
    page_raw(b, "</b></p><p>作业类别<span class=\"en\">categories</span>: ");
    static const char *const zh[] = {"熔化焊接与热切割", "压力焊", "钎焊"};
    for (unsigned i = 0; i < 3; i++)
        if (c->cats & (1u << i)) {
            page_text(b, zh[i]);
            page_raw(b, "<span class=\"en\" lang=\"en\">");
            page_text(b, code_category_name(1u << i));
            page_raw(b, "</span> ");
        }
    page_raw(b, "</p><p>操作证有效期至<span class=\"en\">licence valid until</span>: ");
    page_text(b, until);
    page_raw(b, "</p></section>");
}

/* The welder's last refused scan: when, and each reason as core/reason.c words it. Nothing
 * when none was refused. */
static void welder_last_refusal(textbuf *b, const store_welder_status *db)
{
    if (!db->refused)
        return;
    page_raw(b, "<section class=\"card\" id=\"last-refusal\"><h2>最近一次被拒绝"
                "<span class=\"en\">last refusal</span></h2><p>时间<span class=\"en\">at"
                "</span>: <b id=\"refused-at\">");
    page_text(b, db->refused_at);
    page_raw(b, "</b>（北京时间）</p><ul>");
    const char *name = db->refused_reasons;
    while (*name) {
        size_t len = strcspn(name, ",");
        reason_code code;
        bool known = reason_from_name(name, len, &code);
        page_raw(b, "<li class=\"bad\">");
        page_text(b, known ? reason_zh(code) : "未知原因");
        page_raw(b, "<span class=\"en\" lang=\"en\">");
        page_text(b, known ? reason_text(code) : "unknown reason");
        page_raw(b, "</span></li>");
        name += len + (name[len] == ',');
    }
    page_raw(b, "</ul></section>");
}

static void welder_status(textbuf *b, const store_welder_status *db, int found)
{
    page_raw(b, "<section class=\"card\"><h2>今日状态<span class=\"en\">today</span></h2>");
    if (found < 0) {
        page_raw(b, "<p class=\"bad\">平台数据库暂不可用，请稍后再试。<span class=\"en\">the "
                    "platform's database is not available</span></p></section>");
        return;
    }
    if (found == 0) {
        page_raw(b, "<p class=\"bad\">平台没有此二维码的记录。<span class=\"en\">the platform "
                    "has no record of this code</span></p></section>");
        return;
    }
    page_raw(b, "<ul id=\"status\">");
    welder_line(b, !db->revoked, "二维码未被注销", "二维码已被注销", "code not revoked");
    welder_line(b, db->active, "焊工状态正常", "焊工已被暂停或注销", "welder active");
    welder_line(b, db->licence_valid, "操作证今日有效（含复审）", "操作证已过期、未复审或被吊销",
                "licence valid today");
    welder_line(b, db->trained, "培训有效", "没有有效的培训（未培训或已过期），不能作业",
                "valid training on record");
    welder_line(b, db->permit_today, "今日有动火作业许可证", "今日没有覆盖您的动火作业许可证",
                "a hot-work permit covers today");
    page_raw(b, "</ul></section>");
    welder_last_refusal(b, db);
}

void welder_render(wr_status status, const code_claims *claims, const store_welder_status *db,
                   int found, http_response *resp)
{
    textbuf b = {0};
    page_begin(&b, "焊工资格查询", "Welder status");
    if (status != WR_OK) {
        page_raw(&b, "<p class=\"card bad\" id=\"refused\">");
        page_text(&b, welder_refusal_zh(status, CODE_WELDER));
        page_raw(&b, "<span class=\"en\" lang=\"en\">");
        page_text(&b, wr_status_str(status));
        page_raw(&b, "</span></p>");
        page_finish(&b, status == WR_EINVAL ? 400 : 200, resp);
        return;
    }
    welder_claims(&b, claims);
    welder_status(&b, db, found);
    page_finish(&b, 200, resp);
}

/* GET /w/<code text>: no login; the code text is the path after "/w/", percent-decoded. */
static void page_welder_fn(web_call *call, http_response *resp)
{
    code_claims claims;
    store_welder_status status_db = {0};
    wr_status status = welder_verify(web_verifier(call), call->req->path + 3, CODE_WELDER, &claims);
    int found = 0;
    if (status == WR_OK) {
        store *db = web_db_get(call);
        found = store_welder_status_get(db, claims.cti, sizeof(claims.cti), &status_db);
        web_db_put(call, db, found);
    }
    welder_render(status, &claims, &status_db, found, resp);
}

static const web_route web_welder_table[] = {
    {"GET", "/w/", GATE_PUBLIC, ACCESS_READ, page_welder_fn},
};

const web_routes web_routes_welder = WEB_ROUTES(web_welder_table);
