/* principals.c — an open-addressing hash table of principals, built whole and then read-only.
 * The identities are packed into blocks of their own (a million machines: 137 -> ~77 bytes
 * each), which never move, so that a principal's pointer to its identity stays valid. */
#include "server/views/principals.h"

#include "core/access.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#define NAME_BLOCK_SIZE 65536

typedef struct name_block {
    struct name_block *next;
    size_t used;
    char data[NAME_BLOCK_SIZE];
} name_block;

struct principal_table {
    name_block *names; /* the newest block first */
    principal *items;
    size_t count;
    size_t capacity;
    uint32_t *slots; /* index + 1 into items; 0 is empty */
    size_t slot_mask;
};

static uint64_t principal_hash(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

principal_table *principal_table_create(size_t expected)
{
    principal_table *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    size_t nslots = 16;
    while (nslots < expected * 2)
        nslots <<= 1;
    t->capacity = expected ? expected : 8;
    t->items = calloc(t->capacity, sizeof(principal));
    t->slots = calloc(nslots, sizeof(uint32_t));
    t->slot_mask = nslots - 1;
    if (!t->items || !t->slots) {
        principal_table_destroy(t);
        return NULL;
    }
    return t;
}

void principal_table_destroy(principal_table *table)
{
    if (!table)
        return;
    if (table->items)
        OPENSSL_cleanse(table->items, table->capacity * sizeof(principal));
    free(table->items);
    free(table->slots);
    while (table->names) {
        name_block *next = table->names->next;
        free(table->names);
        table->names = next;
    }
    free(table);
}

static int principal_table_grow(principal_table *t)
{
    size_t nslots = (t->slot_mask + 1) * 2;
    uint32_t *slots = calloc(nslots, sizeof(uint32_t));
    if (!slots)
        return -1;
    for (size_t i = 0; i < t->count; i++) {
        size_t s = principal_hash(t->items[i].identity, t->items[i].identity_len) & (nslots - 1);
        while (slots[s])
            s = (s + 1) & (nslots - 1);
        slots[s] = (uint32_t)(i + 1);
    }
    free(t->slots);
    t->slots = slots;
    t->slot_mask = nslots - 1;
    return 0;
}

static int principal_table_reserve(principal_table *t)
{
    if (t->count == t->capacity) {
        size_t capacity = t->capacity * 2;
        principal *items = calloc(capacity, sizeof(principal));
        if (!items)
            return -1;
        memcpy(items, t->items, t->count * sizeof(principal));
        OPENSSL_cleanse(t->items, t->capacity * sizeof(principal));
        free(t->items);
        t->items = items;
        t->capacity = capacity;
    }
    if ((t->count + 1) * 2 > t->slot_mask + 1)
        return principal_table_grow(t);
    return 0;
}

/* A copy of @p len bytes of @p s and a NUL in the table's blocks; NULL if out of memory. */
static const char *principal_table_keep_name(principal_table *t, const char *s, size_t len)
{
    if (!t->names || NAME_BLOCK_SIZE - t->names->used < len + 1) {
        name_block *b = malloc(sizeof(*b));
        if (!b)
            return NULL;
        b->next = t->names;
        b->used = 0;
        t->names = b;
    }
    char *copy = t->names->data + t->names->used;
    memcpy(copy, s, len);
    copy[len] = '\0';
    t->names->used += len + 1;
    return copy;
}

int principal_table_add(principal_table *table, const principal *p)
{
    if (principal_table_find(table, p->identity, p->identity_len))
        return -1;
    if (principal_table_reserve(table) != 0)
        return -1;
    size_t s = principal_hash(p->identity, p->identity_len) & table->slot_mask;
    while (table->slots[s])
        s = (s + 1) & table->slot_mask;
    const char *name = principal_table_keep_name(table, p->identity, p->identity_len);
    if (!name)
        return -1;
    table->items[table->count] = *p;
    table->items[table->count].identity = name;
    table->slots[s] = (uint32_t)(++table->count);
    return 0;
}

const principal *principal_table_find(const principal_table *table, const char *identity,
                                      size_t len)
{
    size_t s = principal_hash(identity, len) & table->slot_mask;
    while (table->slots[s]) {
        const principal *p = &table->items[table->slots[s] - 1];
        if (p->identity_len == len && memcmp(p->identity, identity, len) == 0)
            return p;
        s = (s + 1) & table->slot_mask;
    }
    return NULL;
}

size_t principal_table_count(const principal_table *table)
{
    return table->count;
}

/* The names are core/access.c's, the one table of roles for the CoAP API and the web. */
_Static_assert((int)ROLE_ADMIN == (int)ACCESS_ROLE_ADMIN &&
                   (int)ROLE_INSPECTOR == (int)ACCESS_ROLE_INSPECTOR &&
                   (int)ROLE_MACHINE == (int)ACCESS_ROLE_MACHINE,
               "principal roles are the first access roles");

const char *principal_role_name(principal_role role)
{
    return access_role_name((access_role)role);
}

const char *principal_role_noun(principal_role role)
{
    static const char *const nouns[] = {
        [ROLE_ADMIN] = "an administrator",
        [ROLE_INSPECTOR] = "an inspector",
        [ROLE_MACHINE] = "a machine",
    };
    return nouns[role];
}

int principal_role_parse(const char *name, principal_role *out)
{
    access_role role;
    if (access_role_parse(name, &role) != 0 || role > ACCESS_ROLE_MACHINE)
        return -1; /* officers and office staff are web accounts, never DTLS principals */
    *out = (principal_role)role;
    return 0;
}

bool principal_identity_is_valid(const char *identity, size_t len)
{
    if (len == 0 || len > PRINCIPAL_IDENTITY_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = identity[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  strchr("-_.:@", c) != NULL;
        if (!ok || c == '\0')
            return false;
    }
    return true;
}
