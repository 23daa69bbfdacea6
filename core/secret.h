/* secret.h — secrets at rest: AES-256-GCM sealing under a key-encryption key, and new PSKs. */
#ifndef WELDREG_CORE_SECRET_H
#define WELDREG_CORE_SECRET_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

#define SECRET_KEK_LEN   32
#define SECRET_NONCE_LEN 12
#define SECRET_TAG_LEN   16
/* A PSK is the text of base64url (no padding) of 32 random bytes: 43 ASCII characters. The
 * DTLS pre-shared key is those 43 bytes, so it can be typed and passed on a command line. */
#define SECRET_PSK_LEN 43

/* Encrypts @p plain (@p len bytes) under @p kek, binding @p aad (e.g. the identity) to it.
 * Writes a fresh random nonce to @p nonce and @p len + SECRET_TAG_LEN bytes (ciphertext then
 * tag) to @p out. */
wr_status secret_seal(const uint8_t kek[SECRET_KEK_LEN], const uint8_t *plain, size_t len,
                      const uint8_t *aad, size_t aad_len, uint8_t nonce[SECRET_NONCE_LEN],
                      uint8_t *out);

/* Reverses secret_seal(): @p sealed is @p sealed_len bytes (ciphertext then tag); writes
 * @p sealed_len - SECRET_TAG_LEN bytes to @p out. WR_ESIG if the tag, key or aad do not match. */
wr_status secret_open(const uint8_t kek[SECRET_KEK_LEN], const uint8_t nonce[SECRET_NONCE_LEN],
                      const uint8_t *sealed, size_t sealed_len, const uint8_t *aad, size_t aad_len,
                      uint8_t *out);

/* Writes a new random PSK (SECRET_PSK_LEN characters and a NUL) to @p out. */
wr_status secret_new_psk(char out[SECRET_PSK_LEN + 1]);

/* Returns true if @p text (@p len bytes) has the form of a PSK. */
int secret_psk_is_valid(const char *text, size_t len);

#endif
