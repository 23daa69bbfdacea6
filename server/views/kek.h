/* kek.h — the key-encryption keys of the PSKs as they are on disk now.
 *
 * They are read at every use (a reload of the principals, a PSK being sealed), not once at
 * start: `weldreg-server rekey` re-seals every PSK under a new key and swaps the files while the
 * server runs, and the server follows at its next reload without a restart or a signal. During
 * the change a PSK may be sealed under either key, so a reader tries the current key and then
 * the previous one (psk_kek_previous_file). */
#ifndef WELDREG_SERVER_KEK_H
#define WELDREG_SERVER_KEK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/secret.h"

typedef struct kek_pair {
    uint8_t current[SECRET_KEK_LEN];
    uint8_t previous[SECRET_KEK_LEN];
    bool has_previous;
} kek_pair;

/* Reads exactly @p len bytes of key from @p path (a longer or shorter file is refused). 0 or -1;
 * @p key is wiped on failure. */
int key_file_read(const char *path, uint8_t *key, size_t len);

/* Reads the current key from @p kek_file and the previous one from @p previous_file when that is
 * set and the file exists (a rotation under way). -1 when the current key cannot be read or the
 * previous file is there but not a key; @p k is wiped then. */
int kek_pair_read(kek_pair *k, const char *kek_file, const char *previous_file);

/* Writes @p key (SECRET_KEK_LEN bytes) to @p path, mode 0600, through a temporary file renamed
 * over it: a reader sees the old key or the new one, never half of one. 0, or -1 with a message
 * in @p err. */
int kek_file_install(const char *path, const uint8_t key[SECRET_KEK_LEN], char *err, size_t errlen);

/* Wipes both keys. */
void kek_pair_wipe(kek_pair *k);

/* ---- the personal-data HMAC keys (pii_key_file) ----
 *
 * ID-card and licence numbers are stored as keyed hashes. A rotation does not re-hash from the
 * numbers (they are not kept): it wraps every stored hash in an HMAC under the new key, so
 * pii_key_file holds a chain of keys, oldest first, 32 bytes each, and a number's hash is
 *   h1 = HMAC(k1, "idcard:" || number), h(i) = HMAC(k(i), h(i-1)), stored: h(n).
 * The old keys remain derivation steps; the last key is what makes a stored value matchable. */
#define PII_KEYS_MAX 8
#define PII_KEY_LEN  32

typedef struct pii_keys {
    uint8_t key[PII_KEYS_MAX][PII_KEY_LEN];
    unsigned count; /* 0: none */
} pii_keys;

/* Reads the chain in @p path: 1 to PII_KEYS_MAX keys of PII_KEY_LEN bytes. 0, or -1 (@p k wiped,
 * count 0) when the file cannot be read or its length is not such a chain. */
int pii_keys_read(const char *path, pii_keys *k);

/* Writes @p k to @p path like kek_file_install(). */
int pii_keys_install(const char *path, const pii_keys *k, char *err, size_t errlen);

/* The rotation marker: while "<pii_key_file>.rotating" exists no new hash is made. Writes its
 * path to @p out; false if it does not fit. */
bool pii_keys_marker(const char *pii_key_file, char *out, size_t cap);

/* One step of the chain: @p out = HMAC-SHA-256(@p key, @p in), 32 bytes each. */
void pii_wrap(const uint8_t key[PII_KEY_LEN], const uint8_t in[32], uint8_t out[32]);

/* Wipes the keys. */
void pii_keys_wipe(pii_keys *k);

#endif
