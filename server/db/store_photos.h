/* store_photos.h — photos uploaded as evidence (schema/013_photos.sql), already cleaned by
 * core/photo.c. Each upload is audited (its size, type and SHA-256, never its bytes). */
#ifndef WELDREG_SERVER_STORE_PHOTOS_H
#define WELDREG_SERVER_STORE_PHOTOS_H

#include <stddef.h>
#include <stdint.h>

#include "server/db/store.h"

typedef struct store_photo_new {
    const char *media_type; /* "image/jpeg" or "image/png" */
    const uint8_t *bytes;
    size_t len;
    unsigned width, height;
    int64_t account_id; /* 0: nobody (a public report) */
    const char *actor;  /* the audit log's actor, "web:<login>" or "public" */
} store_photo_new;

typedef struct store_photo {
    int64_t id;
    char media_type[16];
    uint8_t *bytes; /* malloc'ed: the caller frees */
    size_t len;
    int64_t account_id; /* 0: nobody */
} store_photo;

/* Stores @p p and its audit entry in one statement; its id in @p id. 0, or -1 on a database
 * error. */
int store_photo_put(store *st, const store_photo_new *p, int64_t *id);

/* Reads photo @p id: 1 found (free out->bytes), 0 none, -1 on a database error. */
int store_photo_get(store *st, int64_t id, store_photo *out);

/* Whether photo @p id is evidence (of a violation's event, an on-site report or a public report)
 * in one of the communities of web account @p account_id: 1 yes, 0 no, -1 on a database error. */
int store_photo_in_communities(store *st, int64_t id, int64_t account_id);

#endif
