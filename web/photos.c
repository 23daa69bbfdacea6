/* photos.c — uploading and showing evidence photos (photos.h). */
#include "web/photos.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/photo.h"
#include "server/db/store_photos.h"
#include "web/page.h"
#include "web/routes.h"

void web_json_error(http_response *resp, unsigned status, const char *zh, const char *en)
{
    char *body = malloc(512);
    resp->status = status;
    resp->content_type = "application/json; charset=utf-8";
    if (!body)
        return;
    int n = snprintf(body, 512, "{\"error\":\"%s\",\"zh\":\"%s\"}\n", en, zh);
    resp->body = body;
    resp->len = n > 0 && n < 512 ? (size_t)n : 0;
}

int web_photo_clean(const uint8_t *bytes, size_t len, const char *content_type,
                    store_photo_new *out, http_response *resp)
{
    photo_format format;
    if (!bytes || photo_format_of(content_type, &format) != WR_OK) {
        web_json_error(resp, 415, "请上传 JPEG 或 PNG 照片",
                       "send the photo as image/jpeg or image/png");
        return -1;
    }
    uint8_t *clean = malloc(len ? len : 1);
    photo_info info;
    wr_status st = clean ? photo_clean(bytes, len, format, clean, &out->len, &info) : WR_ENOMEM;
    if (st != WR_OK) {
        free(clean);
        if (st == WR_ERANGE)
            web_json_error(resp, 413, "照片尺寸过大（最长边 8192 像素）",
                           "the photo is larger than 8192 pixels on a side");
        else
            web_json_error(resp, 400, "照片已损坏或格式与声明不符",
                           "not a valid photo of the type sent");
        return -1;
    }
    out->media_type = photo_media_type(format);
    out->bytes = clean;
    out->width = info.width;
    out->height = info.height;
    return 0;
}

int web_photo_save(web_call *call, int64_t account_id, const char *actor, int64_t *id,
                   http_response *resp)
{
    const http_request *req = call->req;
    store_photo_new p = {.account_id = account_id, .actor = actor};
    if (web_photo_clean(req->body, req->body_len, req->content_type, &p, resp) != 0)
        return -1;
    store *db = web_db_get(call);
    int rc = store_photo_put(db, &p, id);
    web_db_put(call, db, rc);
    free((void *)p.bytes);
    if (rc != 0) {
        web_json_error(resp, 503, "数据库暂不可用", "the database is not available");
        return -1;
    }
    return 0;
}

/* POST /photos: any logged-in person's evidence. */
static void page_photo_upload_fn(web_call *call, http_response *resp)
{
    char actor[96];
    int64_t id;
    snprintf(actor, sizeof(actor), "web:%s", call->session.login);
    if (web_photo_save(call, call->session.account_id, actor, &id, resp) != 0)
        return;
    char *body = malloc(48);
    if (!body) {
        resp->status = 500;
        return;
    }
    resp->status = 201;
    resp->content_type = "application/json; charset=utf-8";
    resp->body = body;
    resp->len = (size_t)snprintf(body, 48, "{\"id\":%lld}\n", (long long)id);
}

/* Who may see a photo: its uploader, the roles that read district-wide, and an inspector when
 * it is evidence in one of the inspector's communities; an officer only their own. 1 yes, 0 no,
 * -1 on a database error. */
static int web_photo_visible(web_call *call, const store_photo *p)
{
    if (p->account_id != 0 && p->account_id == call->session.account_id)
        return 1;
    access_scope scope = web_read_scope(call);
    if (scope == ACCESS_ALL)
        return 1;
    if (scope != ACCESS_COMMUNITIES)
        return 0;
    store *db = web_db_get(call);
    int rc = store_photo_in_communities(db, p->id, call->session.account_id);
    web_db_put(call, db, rc);
    return rc;
}

/* GET /photos/<id> */
static void page_photo_fn(web_call *call, http_response *resp)
{
    const char *text = call->req->path + strlen("/photos/");
    char *end;
    long long id = strtoll(text, &end, 10);
    if (*text < '1' || *text > '9' || *end || id <= 0) {
        page_message(resp, 404, "照片不存在", "no such photo");
        return;
    }
    store_photo p;
    store *db = web_db_get(call);
    int found = store_photo_get(db, id, &p);
    web_db_put(call, db, found);
    if (found == 1) {
        found = web_photo_visible(call, &p);
        if (found != 1)
            free(p.bytes);
    }
    if (found < 0) {
        web_db_unavailable(resp);
        return;
    }
    if (found == 0) { /* none, or not the caller's to see: not told apart, ids are not probed */
        page_message(resp, 404, "照片不存在", "no such photo");
        return;
    }
    resp->status = 200;
    resp->content_type = strcmp(p.media_type, "image/png") == 0 ? "image/png" : "image/jpeg";
    resp->body = (char *)p.bytes;
    resp->len = p.len;
}

static const web_route web_photos_table[] = {
    {"POST", "/photos", GATE_SESSION, ACCESS_READ, page_photo_upload_fn},
    {"GET", "/photos/", GATE_SESSION, ACCESS_READ, page_photo_fn},
};

const web_routes web_routes_photos = WEB_ROUTES(web_photos_table);
