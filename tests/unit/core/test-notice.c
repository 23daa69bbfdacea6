/* test-notice.c — unit tests of the notices' back-off and webhook signature. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/notice.h"

static void test_backoff_doubles_up_to_the_cap(void **state)
{
    (void)state;
    assert_int_equal(notice_backoff_s(1, 30, 3600), 30);
    assert_int_equal(notice_backoff_s(2, 30, 3600), 60);
    assert_int_equal(notice_backoff_s(3, 30, 3600), 120);
    assert_int_equal(notice_backoff_s(7, 30, 3600), 1920);
    assert_int_equal(notice_backoff_s(8, 30, 3600), 3600);
    assert_int_equal(notice_backoff_s(4000000000U, 30, 3600), 3600);
    assert_int_equal(notice_backoff_s(0, 30, 3600), 30);
    assert_int_equal(notice_backoff_s(5, 4000, 3600), 3600);
}

static void test_signature_is_hmac_sha256_of_time_and_body(void **state)
{
    (void)state;
    static const char secret[] = "0123456789abcdef-secret",
                      body[] = "{\"kind\":\"violation_opened\"}";
    char sig[NOTICE_SIGNATURE_SIZE];
    assert_int_equal(notice_signature((const uint8_t *)secret, strlen(secret), 1790000000, body,
                                      strlen(body), sig),
                     WR_OK);
    /* python3: hmac.new(secret, b"1790000000." + body, hashlib.sha256).hexdigest() */
    assert_string_equal(sig, "t=1790000000,v1="
                             "372be6b5c88d921ac29a32607f47218e310d13103a7a9de8a2fb93e7d965d711");
    assert_int_equal(
        notice_signature((const uint8_t *)secret, 15, 1790000000, body, strlen(body), sig),
        WR_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backoff_doubles_up_to_the_cap),
        cmocka_unit_test(test_signature_is_hmac_sha256_of_time_and_body),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
