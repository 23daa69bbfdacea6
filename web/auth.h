/* auth.h — passwords (Argon2id, libargon2 behind this file) and the random tokens of sessions
 * and forms (OpenSSL's generator). */
#ifndef WELDREG_WEB_AUTH_H
#define WELDREG_WEB_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Argon2id with RFC 9106's second recommended setting: 3 passes over 64 MiB, one lane, a
 * 16-byte random salt, a 32-byte tag (docs/operator-guide.md). About 0.15 s on one core. */
#define AUTH_T_COST       3
#define AUTH_M_COST       65536 /* KiB */
#define AUTH_LANES        1
#define AUTH_HASH_MAX     128
#define AUTH_PASSWORD_MIN 10
#define AUTH_PASSWORD_MAX 256

#define AUTH_TOKEN_LEN 32 /* bytes of a session id or CSRF token: 256 bits */
#define AUTH_TOKEN_HEX ((size_t)2 * AUTH_TOKEN_LEN)

/* Hashes @p password into @p out, a PHC string ("$argon2id$v=19$m=65536,t=3,p=1$..."). 0, or
 * -1 with a message in @p err (a password shorter than AUTH_PASSWORD_MIN is refused). */
int auth_hash_password(const char *password, char out[AUTH_HASH_MAX], char *err, size_t errlen);

/* True if @p password matches @p encoded (an Argon2id PHC string). */
bool auth_verify_password(const char *encoded, const char *password);

/* AUTH_TOKEN_LEN random bytes into @p raw and, lower-case hex, into @p hex. 0 or -1. */
int auth_random_token(uint8_t raw[AUTH_TOKEN_LEN], char hex[AUTH_TOKEN_HEX + 1]);

/* Parses a cookie's session id (exactly AUTH_TOKEN_HEX lower-case hex digits) and hashes it
 * (SHA-256) for the look-up. False if it is not one. */
bool auth_session_hash(const char *hex, uint8_t out[32]);

/* SHA-256 of @p raw, a fresh session id, for storing. */
void auth_token_hash(const uint8_t raw[AUTH_TOKEN_LEN], uint8_t out[32]);

/* Compares two texts in time that depends only on their lengths. */
bool auth_equal(const char *a, const char *b);

#endif
