/* admin.h — what the steps of the API for people share: the caller's role and scope (checked on
 * the loop), the request's own copies of its query and body, the body as JSON whatever its
 * format, the connection and keys of the thread running the step, and answers kept in a buffer
 * (admin_answer) in the format the client accepts, which the loop then sends (api.h). */
#ifndef WELDREG_SERVER_ADMIN_H
#define WELDREG_SERVER_ADMIN_H

#include <coap3/coap.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/json.h"
#include "core/registry_rules.h"
#include "core/secret.h"
#include "server/loop/config.h"
#include "server/views/kek.h"
#include "server/views/principals.h"
#include "server/db/store_admin.h"

#define ADMIN_FORMAT_TEXT 0 /* text/plain; charset=utf-8: CSV imports */
#define ADMIN_FORMAT_JSON 50
#define ADMIN_FORMAT_CBOR 60
#define ADMIN_BODY_MAX    (16u << 20) /* an import of 10,000+ welders fits */

/* An answer, kept apart from libcoap so that a worker can make it: the code, a body with its
 * Content-Format (-1: a diagnostic, sent as it is) and Max-Age (-1: none). */
typedef struct admin_answer {
    coap_pdu_code_t code; /* 0 until answered */
    int format;
    int max_age;
    uint8_t *body; /* malloc'd, len bytes */
    size_t len;
} admin_answer;

/* The caller, copied out of the principals (which the loop may swap while a worker runs). */
typedef struct admin_caller {
    int64_t id;
    principal_role role;
    char identity[256];
} admin_caller;

/* The keys of the API, loaded once at start (api.c) and only read afterwards, by any thread: the
 * PSK key-encryption key, the PII key and the code signing key. */
typedef struct admin_keys {
    const uint8_t *kek;    /* the server's key-encryption key, SECRET_KEK_LEN bytes: not a copy */
    pii_keys pii;          /* the chain read at start; count 0: none */
    EVP_PKEY *signing_key; /* NULL when signing_key_file is not set or unusable */
} admin_keys;

/* One request being handled, on a worker or on the loop. It holds no pointer into memory the
 * loop owns once admin_request_own() has run: the query and body are its own copies. */
typedef struct admin_request {
    const server_config *cfg; /* read-only, outlives every request */
    const admin_keys *keys;
    store *st; /* the connection of the thread that runs the step; NULL: 5.03 */
    const admin_caller *who;
    int64_t scope;     /* an inspector's principal id (reads are limited to their communities) */
    const char *query; /* without '?', query_len bytes; NULL when there is none */
    size_t query_len;
    int content_format;  /* of the request; -1 when it has none */
    int accept;          /* -1 when it has none */
    const uint8_t *body; /* body_len bytes (NULL when too large to keep) of body_total */
    size_t body_len, body_total;
    uint8_t kek_now[SECRET_KEK_LEN]; /* admin_kek's copy of the key on disk, wiped at the end */
    pii_keys pii_now;                /* admin_pii_key's, likewise */
    char *owned_query;               /* admin_request_own's copies */
    uint8_t *owned_body;
    admin_answer answer;
    /* the body, parsed (admin_read_body) */
    char *json; /* malloc'd JSON text */
    json_token *tokens;
    json_doc doc;
    /* a merged record (admin_merged) */
    char *merged;
    json_token *merged_tokens;
    char *base; /* the stored record it was merged from */
    json_token *base_tokens;
} admin_request;

/* Who may use a resource: ADMIN_READ and ADMIN_ENFORCE (violation steps, on-site reports) admit
 * admins and inspectors (limited to their communities); ADMIN_WRITE and ADMIN_ADMIN_ONLY admins
 * only. Machines never. */
typedef enum admin_access { ADMIN_READ, ADMIN_ENFORCE, ADMIN_WRITE, ADMIN_ADMIN_ONLY } admin_access;
/* ... in the order of core/access.h's access_need, which decides (admin_authorize()). */

/* What a resource does once the caller is admitted; it answers through r->answer. */
typedef void (*admin_step)(admin_request *r);

/* Fills @p r from @p request and @p query (pointers into them: valid while the handler runs)
 * for @p who (copied by the caller), with no answer yet. */
void admin_request_init(admin_request *r, const server_config *cfg, const admin_keys *keys,
                        const admin_caller *who, const coap_pdu_t *request,
                        const coap_string_t *query);

/* Copies the query and body into @p r, so that it outlives the handler (a body larger than
 * ADMIN_BODY_MAX is not kept: its size is, for 4.13). False if out of memory. */
bool admin_request_own(admin_request *r);

/* Checks principal @p p (NULL: none) for @p access and copies it into @p who: no principal
 * 4.01; a machine 4.03; an inspector 4.03 for ADMIN_WRITE and ADMIN_ADMIN_ONLY, and its id as
 * @p scope otherwise. False when @p answer has been set. Memory only: for the loop. */
bool admin_authorize(const principal *p, admin_access access, admin_caller *who, int64_t *scope,
                     admin_answer *answer);

/* Frees the copies, the parsed body and the answer. */
void admin_end(admin_request *r);

/* Puts @p answer into @p response (the loop, in a handler): bodies go block-wise when large
 * (libcoap takes the body over); a request never answered gets 5.00. */
void admin_answer_send(admin_answer *answer, coap_resource_t *resource, coap_session_t *session,
                       const coap_pdu_t *request, const coap_string_t *query, coap_pdu_t *response);

/* Frees the body of @p answer. */
void admin_answer_deinit(admin_answer *answer);

/* Answers @p code with a diagnostic formatted from @p fmt (RFC 7252 5.5.2). */
void admin_answer_error(admin_answer *answer, coap_pdu_code_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Answers @p code with a diagnostic formatted from @p fmt. */
void admin_error(admin_request *r, coap_pdu_code_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Answers 5.03 with Max-Age retry_after_s: the database is away, try again later. */
void admin_unavailable(admin_request *r);

/* The connection of the thread running the request; NULL after answering 5.03 with Max-Age when
 * it has none (a new one is made in the background, never while the request waits). */
store *admin_store(admin_request *r);

/* Reads a CBOR or JSON body into r->doc (CBOR is converted to JSON); 4.15 for other formats,
 * 4.00 naming line and column for malformed JSON, 4.13 if larger than @p max. */
bool admin_read_body(admin_request *r, size_t max);

/* The raw body (for CSV); answers 4.15 unless its format is @p format. */
bool admin_raw_body(admin_request *r, int format, const uint8_t **body, size_t *len);

/* The value of query parameter @p key into @p out ("" when absent). */
bool admin_query_param(const admin_request *r, const char *key, char *out, size_t cap);

/* Query parameter @p key as a whole number; 0 when absent (or 0). False after 4.00 if
 * malformed. */
bool admin_query_id(admin_request *r, const char *key, int64_t *out);

/* Every query parameter must be one of @p known (NULL-terminated): a misspelt filter must not
 * silently widen a listing. False after answering 4.00 naming the first other one and the
 * known ones. */
bool admin_query_known(admin_request *r, const char *const *known);

/* Query parameter @p key into @p out ("" when absent); when present it must be one of @p values
 * (NULL-terminated), else false after answering 4.00 naming the parameter and the values. */
bool admin_query_enum(admin_request *r, const char *key, const char *const *values, char *out,
                      size_t cap);

/* Answers @p json (@p len bytes) with @p code as CBOR, or as JSON if the request accepts 50;
 * large answers go block-wise. */
void admin_reply_json(admin_request *r, coap_pdu_code_t code, const char *json, size_t len);

/* Answers a failed read or change from its typed outcome: 5.03 (unavailable), 4.04 (not found),
 * 4.09 naming the field (unique), 4.00 (foreign key naming the field; check), or 5.00 with a log
 * line carrying the database's message (anything else). @p what names the record
 * ("machine 12"). */
void admin_reply_outcome(admin_request *r, const admin_outcome *out, const char *what);

/* Answers a read or a change (@p out, which it frees): its JSON with @p code when it found its
 * record, admin_reply_outcome() naming @p what otherwise. */
void admin_reply_found(admin_request *r, admin_outcome *out, coap_pdu_code_t code,
                       const char *what);

/* Answers 4.00 with @p why. */
void admin_reply_invalid(admin_request *r, const char *why);

/* Keys of the admin API: the PSK key-encryption key, the PII key (NULL when pii_key_file is
 * not set or unusable) and the code signing key (NULL when signing_key_file is not set). */
const uint8_t *admin_kek(admin_request *r);
const pii_keys *admin_pii_key(admin_request *r);
EVP_PKEY *admin_signing_key(admin_request *r);

/* ---- steps the handlers share (admin_steps.c) ---- */

/* GET: a page of @p entity filtered by the query (id, after, limit and the filters the entity
 * has: community_id, enterprise_id, chip, status, role or entity; admin_steps.c), or one record;
 * answers it. A parameter the entity does not have, or a value outside its closed set, is 4.00.
 * @p what names one record in 4.04. */
void admin_list(admin_request *r, admin_entity entity, const char *what);

/* A merged document for an update: the stored editable fields of record @p id with the request
 * body over them. Fills @p doc (tokens and text in @p r, freed by admin_end). False after
 * answering (4.04 for no such record). */
bool admin_merged(admin_request *r, store *st, admin_entity entity, int64_t id, const char *what,
                  json_doc *doc);

/* The start of every PUT, before any database access (a malformed change is 4.00 whatever the
 * database's state): the record id, the body (at most @p max bytes) read, and its shape checked
 * as a change of @p record (rules_check_change). False after answering. */
bool admin_put_begin(admin_request *r, rules_record record, size_t max, int64_t *id);

/* The body must be an object of @p allowed members only (NULL-terminated); false after
 * answering 4.00 naming the first other one. */
bool admin_body_fields(admin_request *r, const char *const *allowed);

/* Body member @p key as a positive id; false after answering 4.00 naming the field. */
bool admin_body_id(admin_request *r, const char *key, int64_t *out);

/* Optional body member @p key as a number into @p out; @p present says whether it was there
 * (null is absent). False after answering 4.00 for another type. */
bool admin_body_number(admin_request *r, const char *key, double *out, bool *present);

/* Optional body member @p key as text of at most @p max_chars characters ("" if absent). */
bool admin_body_text(admin_request *r, const char *key, size_t max_chars, char *out, size_t cap);

/* Answers @p code (2.01 created, 2.04 changed) with the JSON of a finished change; logs it. */
void admin_reply_done(admin_request *r, const admin_outcome *out, const char *action,
                      coap_pdu_code_t code);

/* Answers a change: admin_reply_done() with @p action and @p code when it went through,
 * admin_reply_outcome() naming @p what otherwise (4.04 when it touched no record); then frees
 * @p out. */
void admin_reply_change(admin_request *r, admin_outcome *out, const char *action,
                        coap_pdu_code_t code, const char *what);

/* The stored hash of @p text: HMAC-SHA-256 of "<domain>:" and @p text under the first PII key,
 * wrapped in an HMAC under each later key of the chain (server/views/kek.h). */
void admin_pii_hash(const pii_keys *keys, const char *domain, const char *text, size_t len,
                    uint8_t out[32]);

#endif
