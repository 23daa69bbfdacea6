/* auth.c — Argon2id password hashes and random tokens. */
#include "web/auth.h"

#include "core/hex.h"

#include <argon2.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>

int auth_hash_password(const char *password, char out[AUTH_HASH_MAX], char *err, size_t errlen)
{
    size_t len = strlen(password);
    if (len < AUTH_PASSWORD_MIN || len > AUTH_PASSWORD_MAX) {
        snprintf(err, errlen, "a password has %d to %d characters", AUTH_PASSWORD_MIN,
                 AUTH_PASSWORD_MAX);
        return -1;
    }
    uint8_t salt[16];
    if (RAND_bytes(salt, sizeof(salt)) != 1) {
        snprintf(err, errlen, "could not draw a salt");
        return -1;
    }
    int rc = argon2id_hash_encoded(AUTH_T_COST, AUTH_M_COST, AUTH_LANES, password, len, salt,
                                   sizeof(salt), 32, out, AUTH_HASH_MAX);
    if (rc != ARGON2_OK) {
        snprintf(err, errlen, "could not hash the password: %s", argon2_error_message(rc));
        return -1;
    }
    return 0;
}

bool auth_verify_password(const char *encoded, const char *password)
{
    size_t len = strlen(password);
    if (len > AUTH_PASSWORD_MAX || strncmp(encoded, "$argon2id$", 10) != 0)
        return false;
    return argon2id_verify(encoded, password, len) == ARGON2_OK;
}

int auth_random_token(uint8_t raw[AUTH_TOKEN_LEN], char hex[AUTH_TOKEN_HEX + 1])
{
    if (RAND_bytes(raw, AUTH_TOKEN_LEN) != 1)
        return -1;
    hex_encode(raw, AUTH_TOKEN_LEN, hex);
    return 0;
}

bool auth_session_hash(const char *hex, uint8_t out[32])
{
    uint8_t raw[AUTH_TOKEN_LEN];
    if (!hex || !hex_decode_lower(hex, raw, AUTH_TOKEN_LEN))
        return false;
    auth_token_hash(raw, out);
    OPENSSL_cleanse(raw, sizeof(raw));
    return true;
}

void auth_token_hash(const uint8_t raw[AUTH_TOKEN_LEN], uint8_t out[32])
{
    SHA256(raw, AUTH_TOKEN_LEN, out);
}

bool auth_equal(const char *a, const char *b)
{
    size_t n = strlen(a);
    return n == strlen(b) && CRYPTO_memcmp(a, b, n) == 0;
}
