/* test-auth.c — web/auth.c: Argon2id hashes with the documented parameters, tokens, the cookie's
 * session id parsed strictly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "web/auth.h"

static void test_hash_and_verify(void **state)
{
    (void)state;
    char hash[AUTH_HASH_MAX], err[128];
    assert_int_equal(auth_hash_password("correct horse battery", hash, err, sizeof(err)), 0);
    assert_true(strncmp(hash, "$argon2id$v=19$m=65536,t=3,p=1$", 31) == 0);
    assert_true(auth_verify_password(hash, "correct horse battery"));
    assert_false(auth_verify_password(hash, "correct horse batterY"));
    assert_false(auth_verify_password(hash, ""));
    char again[AUTH_HASH_MAX];
    assert_int_equal(auth_hash_password("correct horse battery", again, err, sizeof(err)), 0);
    assert_string_not_equal(hash, again); /* a fresh salt each time */
    assert_int_equal(auth_hash_password("short", hash, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "10 to 256"));
    assert_false(auth_verify_password("$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA", "x"));
}

static void test_tokens(void **state)
{
    (void)state;
    uint8_t raw[AUTH_TOKEN_LEN], raw2[AUTH_TOKEN_LEN], h1[32], h2[32];
    char hex[AUTH_TOKEN_HEX + 1], hex2[AUTH_TOKEN_HEX + 1];
    assert_int_equal(auth_random_token(raw, hex), 0);
    assert_int_equal(auth_random_token(raw2, hex2), 0);
    assert_int_equal(strlen(hex), 64);
    assert_string_not_equal(hex, hex2);
    assert_true(auth_session_hash(hex, h1));
    auth_token_hash(raw, h2);
    assert_memory_equal(h1, h2, 32);
    char upper[AUTH_TOKEN_HEX + 1];
    memcpy(upper, hex, sizeof(upper));
    upper[0] = 'A';
    assert_false(auth_session_hash(upper, h1));
    assert_false(auth_session_hash("00", h1));
    assert_false(auth_session_hash(NULL, h1));
    assert_true(auth_equal(hex, hex));
    assert_false(auth_equal(hex, hex2));
    assert_false(auth_equal(hex, ""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_and_verify),
        cmocka_unit_test(test_tokens),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
