/* principals.h — who may talk to the server: an in-memory table of DTLS identities, their role
 * and their PSK, looked up in the handshake without touching the database. */
#ifndef WELDREG_SERVER_PRINCIPALS_H
#define WELDREG_SERVER_PRINCIPALS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/secret.h"

#define PRINCIPAL_IDENTITY_MAX 64

typedef enum principal_role { ROLE_ADMIN, ROLE_INSPECTOR, ROLE_MACHINE } principal_role;

typedef struct principal {
    int64_t id;
    principal_role role;
    bool has_psk;
    bool allow_cert; /* may authenticate with a client certificate whose CN is the identity */
    uint8_t identity_len;
    const char *identity; /* NUL-terminated, identity_len bytes; in a table, the table's copy */
    uint8_t psk[SECRET_PSK_LEN];
} principal;

typedef struct principal_table principal_table;

/* Creates an empty table sized for about @p expected principals. NULL if out of memory. */
principal_table *principal_table_create(size_t expected);

/* Frees the table, wiping the keys. Does nothing for NULL. */
void principal_table_destroy(principal_table *table);

/* Copies @p p, and its identity, into the table. Returns 0, or -1 if out of memory or the
 * identity is there. */
int principal_table_add(principal_table *table, const principal *p);

/* Finds the principal with @p identity (@p len bytes, not NUL-terminated). NULL if none. The
 * pointer stays valid until the table is destroyed. */
const principal *principal_table_find(const principal_table *table, const char *identity,
                                      size_t len);

size_t principal_table_count(const principal_table *table);

/* "admin", "inspector" or "machine"; parsing returns -1 for anything else. */
const char *principal_role_name(principal_role role);
int principal_role_parse(const char *name, principal_role *out);

/* "an administrator", "an inspector" or "a machine": the role as a person reads it in a
 * message, with its article. */
const char *principal_role_noun(principal_role role);

/* True if @p identity is an acceptable identity: 1 to 64 bytes of letters, digits and "-_.:@". */
bool principal_identity_is_valid(const char *identity, size_t len);

#endif
