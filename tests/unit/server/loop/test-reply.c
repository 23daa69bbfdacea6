/* test-reply.c — the response helpers on real libcoap PDUs: error codes with their diagnostic
 * payload (cut to fit, never overrun), 5.03 with the Max-Age a device waits, bodies with their
 * Content-Format, and the request's Content-Format and Accept options as the handlers read
 * them (absent is -1, text/plain is 0). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "server/loop/reply.h"

#define REPLY_TEST_CBOR 60
#define REPLY_TEST_JSON 50

static coap_pdu_t *reply_test_pdu(coap_pdu_code_t code)
{
    coap_pdu_t *pdu = coap_pdu_init(COAP_MESSAGE_ACK, code, 1, 1152);
    assert_non_null(pdu);
    return pdu;
}

/* The payload of @p pdu as a NUL-terminated string in @p out. */
static const char *reply_test_payload(const coap_pdu_t *pdu, char *out, size_t cap)
{
    size_t len = 0;
    const uint8_t *data = NULL;
    if (!coap_get_data(pdu, &len, &data))
        len = 0;
    assert_true(len < cap);
    if (len)
        memcpy(out, data, len);
    out[len] = '\0';
    return out;
}

/* The value of option @p number, or -1 when absent. */
static long reply_test_option(const coap_pdu_t *pdu, coap_option_num_t number)
{
    coap_opt_iterator_t it;
    coap_opt_t *opt = coap_check_option(pdu, number, &it);
    return opt ? (long)coap_decode_var_bytes(coap_opt_value(opt), coap_opt_length(opt)) : -1;
}

static void test_error_sets_code_and_diagnostic(void **state)
{
    (void)state;
    coap_pdu_t *resp = reply_test_pdu(COAP_RESPONSE_CODE_CONTENT);
    char text[1024];
    reply_error(resp, COAP_RESPONSE_CODE_BAD_REQUEST, "unknown field \"%s\" at %d", "colour", 3);
    assert_int_equal(coap_pdu_get_code(resp), COAP_RESPONSE_CODE_BAD_REQUEST);
    assert_string_equal(reply_test_payload(resp, text, sizeof(text)),
                        "unknown field \"colour\" at 3");
    /* a diagnostic payload is text: no Content-Format (RFC 7252 5.5.2) */
    assert_int_equal(reply_test_option(resp, COAP_OPTION_CONTENT_FORMAT), -1);
    coap_delete_pdu(resp);
}

static void test_error_cuts_a_long_diagnostic(void **state)
{
    (void)state;
    char longer[2000], text[1024];
    memset(longer, 'x', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = '\0';
    coap_pdu_t *resp = reply_test_pdu(COAP_RESPONSE_CODE_CONTENT);
    reply_error(resp, COAP_RESPONSE_CODE_FORBIDDEN, "%s", longer);
    assert_int_equal(coap_pdu_get_code(resp), COAP_RESPONSE_CODE_FORBIDDEN);
    size_t len = strlen(reply_test_payload(resp, text, sizeof(text)));
    assert_int_equal(len, 767); /* its buffer, less the NUL: still inside one datagram */
    assert_int_equal(strspn(text, "x"), len);
    coap_delete_pdu(resp);
}

static void test_unavailable_carries_max_age(void **state)
{
    (void)state;
    char text[256];
    unsigned ages[] = {5, 300, 3600};
    for (size_t i = 0; i < sizeof(ages) / sizeof(ages[0]); i++) {
        coap_pdu_t *resp = reply_test_pdu(COAP_RESPONSE_CODE_CONTENT);
        reply_unavailable(resp, ages[i]);
        assert_int_equal(coap_pdu_get_code(resp), COAP_RESPONSE_CODE_SERVICE_UNAVAILABLE);
        /* devices and weldtag wait Max-Age seconds before trying again */
        assert_int_equal(reply_test_option(resp, COAP_OPTION_MAXAGE), ages[i]);
        assert_string_equal(reply_test_payload(resp, text, sizeof(text)),
                            "database unavailable, retry later");
        coap_delete_pdu(resp);
    }
}

static void test_body_sets_format_and_payload(void **state)
{
    (void)state;
    static const uint8_t cbor[] = {0xa1, 0x61, 0x61, 0x01}; /* {"a": 1} */
    coap_pdu_t *resp = reply_test_pdu(COAP_RESPONSE_CODE_CONTENT);
    reply_body(resp, COAP_RESPONSE_CODE_CREATED, REPLY_TEST_CBOR, cbor, sizeof(cbor));
    assert_int_equal(coap_pdu_get_code(resp), COAP_RESPONSE_CODE_CREATED);
    assert_int_equal(reply_test_option(resp, COAP_OPTION_CONTENT_FORMAT), REPLY_TEST_CBOR);
    size_t len = 0;
    const uint8_t *data = NULL;
    assert_true(coap_get_data(resp, &len, &data));
    assert_int_equal(len, sizeof(cbor));
    assert_memory_equal(data, cbor, sizeof(cbor));
    coap_delete_pdu(resp);

    resp = reply_test_pdu(COAP_RESPONSE_CODE_CONTENT);
    reply_body(resp, COAP_RESPONSE_CODE_CONTENT, REPLY_TEST_JSON, (const uint8_t *)"{}", 2);
    assert_int_equal(reply_test_option(resp, COAP_OPTION_CONTENT_FORMAT), REPLY_TEST_JSON);
    coap_delete_pdu(resp);
}

/* A GET with Accept @p accept and Content-Format @p format (-1: without). */
static coap_pdu_t *reply_test_request(long accept, long format)
{
    coap_pdu_t *req = coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET, 1, 1152);
    assert_non_null(req);
    uint8_t buf[4];
    /* options go in ascending order: Content-Format (12) before Accept (17) */
    if (format >= 0)
        coap_add_option(req, COAP_OPTION_CONTENT_FORMAT,
                        coap_encode_var_safe(buf, sizeof(buf), (unsigned)format), buf);
    if (accept >= 0)
        coap_add_option(req, COAP_OPTION_ACCEPT,
                        coap_encode_var_safe(buf, sizeof(buf), (unsigned)accept), buf);
    return req;
}

static void test_accept_and_content_format(void **state)
{
    (void)state;
    coap_pdu_t *req = reply_test_request(-1, -1);
    assert_int_equal(reply_accept(req), -1);
    assert_int_equal(reply_content_format(req), -1);
    coap_delete_pdu(req);

    req = reply_test_request(REPLY_TEST_JSON, REPLY_TEST_CBOR);
    assert_int_equal(reply_accept(req), REPLY_TEST_JSON);
    assert_int_equal(reply_content_format(req), REPLY_TEST_CBOR);
    coap_delete_pdu(req);

    req = reply_test_request(REPLY_TEST_CBOR, -1);
    assert_int_equal(reply_accept(req), REPLY_TEST_CBOR);
    assert_int_equal(reply_content_format(req), -1);
    coap_delete_pdu(req);

    /* text/plain is 0, sent as an empty option: present, so not -1 */
    req = reply_test_request(0, 0);
    assert_int_equal(reply_accept(req), 0);
    assert_int_equal(reply_content_format(req), 0);
    coap_delete_pdu(req);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_sets_code_and_diagnostic),
        cmocka_unit_test(test_error_cuts_a_long_diagnostic),
        cmocka_unit_test(test_unavailable_carries_max_age),
        cmocka_unit_test(test_body_sets_format_and_payload),
        cmocka_unit_test(test_accept_and_content_format),
    };
    coap_startup();
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    coap_cleanup();
    return failed;
}
