/* photos.h — photos as evidence: POST /photos (a logged-in person's upload; the body is the
 * image itself, image/jpeg or image/png, with the session's CSRF token in X-CSRF-Token) answers
 * {"id":N}; GET /photos/<id> shows one to whom may see it. Pages attach the id to what the photo
 * proves (a violation's note, a rectification, a report). */
#ifndef WELDREG_WEB_PHOTOS_H
#define WELDREG_WEB_PHOTOS_H

#include <stdint.h>

#include "server/db/store_photos.h"
#include "web/call.h"

/* Checks and cleans the @p len bytes at @p bytes as a photo of @p content_type (core/photo.c)
 * into @p out (its media type, size and malloc'd cleaned bytes, which the caller frees; the
 * uploader and actor are left to the caller). 0, or -1 with the refusal (415, 400, 413 and a
 * JSON body) already in @p resp. */
int web_photo_clean(const uint8_t *bytes, size_t len, const char *content_type,
                    store_photo_new *out, http_response *resp);

/* Checks and cleans the request's body as a photo (core/photo.c) and stores it as uploaded by
 * @p account_id (0: nobody) and audited as @p actor. 0 with its id in @p id; otherwise -1 with
 * the refusal (415, 400, 413, 503 and a JSON body) already in @p resp. */
int web_photo_save(web_call *call, int64_t account_id, const char *actor, int64_t *id,
                   http_response *resp);

/* A JSON answer {"error": @p en, "zh": @p zh} with @p status (static texts only). */
void web_json_error(http_response *resp, unsigned status, const char *zh, const char *en);

#endif
