/* store_accounts.h — the web's accounts and sessions (schema/011_accounts.sql): each change,
 * login, failure, lock-out and logout is written with its audit_log entry in one statement.
 * Passwords are never seen here: only their Argon2id hashes (web/auth.c). */
#ifndef WELDREG_SERVER_STORE_ACCOUNTS_H
#define WELDREG_SERVER_STORE_ACCOUNTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/access.h"
#include "server/db/store.h"

#define STORE_LOGIN_MAX   64
#define STORE_HASH_MAX    255
#define STORE_TOKEN_HEX   64 /* a CSRF token, 32 bytes in lower-case hex */
#define STORE_ID_HASH_LEN 32 /* SHA-256 of a session id */

typedef struct store_account {
    int64_t id;
    char login[STORE_LOGIN_MAX + 1];
    char role[16];
    int64_t enterprise_id; /* 0: none */
    char password_hash[STORE_HASH_MAX + 1];
    bool locked;   /* locked_until is in the future */
    bool disabled; /* disabled_at is set */
} store_account;

typedef struct store_web_session {
    int64_t account_id;
    char login[STORE_LOGIN_MAX + 1];
    char role[16];
    int64_t enterprise_id;
    char csrf[STORE_TOKEN_HEX + 1];
} store_web_session;

/* An account to create (or replace). */
typedef struct store_account_new {
    const char *login;
    const char *role;
    int64_t enterprise_id;      /* 0: none (officers and approvers have one) */
    const int64_t *communities; /* an inspector's */
    size_t n_communities;
    const char *hash;          /* the password's Argon2id PHC string */
    const char *signing_level; /* an approver's (special, first, second); NULL: none */
} store_account_new;

/* Creates account @p a (or, when @p replace, replaces its role, enterprise, communities,
 * signing level and hash and unlocks it), audited as @p actor. Returns 0, or -1 with a message
 * for the person in @p err. */
int store_account_add(store *st, const store_account_new *a, bool replace, const char *actor,
                      char *err, size_t errlen);

/* Reads account @p login: 1 found, 0 none, -1 on a database error. */
int store_account_get(store *st, const char *login, store_account *out);

/* Records a failed login of account @p id: counted in a window of @p window_s seconds; the
 * @p max-th failure locks the account for @p window_s. Sets @p locked when this one locked it.
 * 0, or -1 on a database error. */
int store_account_failed(store *st, int64_t id, unsigned max, unsigned window_s, bool *locked);

/* Audits a login refused without a password check: an unknown @p login (@p id 0) or a locked
 * or disabled account. 0 or -1. */
int store_account_refused(store *st, const char *login, int64_t id, const char *why);

/* Opens a session for account @p id after a good password: clears the failure count, stores
 * @p id_hash and @p csrf for @p ttl_s seconds and audits the login (expired sessions go). */
int store_session_open(store *st, int64_t id, const uint8_t id_hash[STORE_ID_HASH_LEN],
                       const char *csrf, unsigned ttl_s);

/* Finds the live session of @p id_hash: 1 found, 0 none (or expired), -1 on a database error. */
int store_session_find(store *st, const uint8_t id_hash[STORE_ID_HASH_LEN], store_web_session *out);

/* Ends the session of @p id_hash and audits the logout. 0 or -1. */
int store_session_close(store *st, const uint8_t id_hash[STORE_ID_HASH_LEN]);

/* ---- the machines list (web: GET /machines), within the caller's scope ---- */

#define STORE_MACHINES_MAX 200 /* rows listed at most */

typedef struct store_machine_row {
    const char *chip_id, *enterprise, *community, *category, *status; /* valid in the call */
    const char *id; /* the machine's id (an enterprise picks machines by it for labels) */
} store_machine_row;

typedef void (*store_machine_fn)(void *arg, const store_machine_row *row);

/* Calls @p each for the machines @p scope admits (core/access.h: ACCESS_ALL every one,
 * ACCESS_COMMUNITIES those of enterprises in account @p account_id's communities,
 * ACCESS_ENTERPRISE those of @p enterprise_id), by chip id, at most STORE_MACHINES_MAX. The
 * number of rows, or -1 on a database error (ACCESS_DENIED: 0 rows, no statement). */
int store_machines_in_scope(store *st, access_scope scope, int64_t account_id,
                            int64_t enterprise_id, store_machine_fn each, void *arg);

/* ---- the welder page (web/welder.c): what the platform knows of a welder code's holder ---- */

typedef struct store_welder_status {
    bool revoked;       /* the code is revoked */
    bool active;        /* the welder is active (not suspended or retired) */
    bool licence_valid; /* not revoked, valid today and not past its review (China's day) */
    bool trained;       /* training on record */
    bool permit_today;  /* an approved permit names the welder and covers part of today */
    /* the welder's last refused scan, if any: when (China's time, "YYYY-MM-DD HH:MM") and its
     * reason codes (core/reason.c names, comma-separated) */
    bool refused;
    char refused_at[24];
    char refused_reasons[512];
} store_welder_status;

/* The status of the holder of the welder code @p cti: 1 found, 0 no such code, -1 on a
 * database error. */
int store_welder_status_get(store *st, const uint8_t *cti, size_t cti_len,
                            store_welder_status *out);

#endif
