/* test-admin.c — the API's answer buffer and request copies (server/api/admin.c): errors
 * and 5.03 with Max-Age kept for the loop to send, bodies in the format asked for, the caller's
 * role checked, and a request that owns its query and body. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "server/api/admin.h"

static admin_request new_request(server_config *cfg, admin_keys *keys, admin_caller *who)
{
    admin_request r;
    memset(&r, 0, sizeof(r));
    config_init(cfg);
    memset(keys, 0, sizeof(*keys));
    memset(who, 0, sizeof(*who));
    r.cfg = cfg;
    r.keys = keys;
    r.who = who;
    r.content_format = r.accept = -1;
    r.answer.format = r.answer.max_age = -1;
    return r;
}

static void test_errors_and_unavailable(void **state)
{
    (void)state;
    server_config cfg;
    admin_keys keys;
    admin_caller who;
    admin_request r = new_request(&cfg, &keys, &who);
    admin_error(&r, COAP_RESPONSE_CODE_BAD_REQUEST, "query \"%s\": unknown", "x");
    admin_error(&r, COAP_RESPONSE_CODE_NOT_FOUND, "no machine %d", 12); /* the last one counts */
    assert_int_equal(r.answer.code, COAP_RESPONSE_CODE_NOT_FOUND);
    assert_int_equal(r.answer.format, -1);
    assert_int_equal(r.answer.len, strlen("no machine 12"));
    assert_memory_equal(r.answer.body, "no machine 12", r.answer.len);
    assert_null(admin_store(&r)); /* no connection: 5.03 with Max-Age */
    assert_int_equal(r.answer.code, COAP_RESPONSE_CODE_SERVICE_UNAVAILABLE);
    assert_int_equal(r.answer.max_age, (int)cfg.retry_after_s);
    admin_end(&r);
    assert_null(r.answer.body);
}

static void test_json_answers_follow_accept(void **state)
{
    (void)state;
    server_config cfg;
    admin_keys keys;
    admin_caller who;
    admin_request r = new_request(&cfg, &keys, &who);
    static const char json[] = "{\"id\":1}";
    admin_reply_json(&r, COAP_RESPONSE_CODE_CONTENT, json, strlen(json));
    assert_int_equal(r.answer.format, ADMIN_FORMAT_CBOR); /* no Accept: CBOR */
    static const uint8_t cbor[] = {0xa1, 0x62, 'i', 'd', 0x01};
    assert_int_equal(r.answer.len, sizeof(cbor));
    assert_memory_equal(r.answer.body, cbor, sizeof(cbor));
    r.accept = ADMIN_FORMAT_JSON;
    admin_reply_json(&r, COAP_RESPONSE_CODE_CONTENT, json, strlen(json));
    assert_int_equal(r.answer.format, ADMIN_FORMAT_JSON);
    assert_memory_equal(r.answer.body, json, strlen(json));
    r.accept = 0;
    admin_reply_json(&r, COAP_RESPONSE_CODE_CONTENT, json, strlen(json));
    assert_int_equal(r.answer.code, COAP_RESPONSE_CODE_NOT_ACCEPTABLE);
    admin_end(&r);
}

static void test_roles(void **state)
{
    (void)state;
    principal p = {.id = 7, .role = ROLE_INSPECTOR, .identity = "insp-1", .identity_len = 6};
    admin_caller who;
    admin_answer answer = {.format = -1, .max_age = -1};
    int64_t scope;
    assert_true(admin_authorize(&p, ADMIN_READ, &who, &scope, &answer));
    assert_int_equal(scope, 7);
    assert_string_equal(who.identity, "insp-1");
    assert_false(admin_authorize(&p, ADMIN_WRITE, &who, &scope, &answer));
    assert_int_equal(answer.code, COAP_RESPONSE_CODE_FORBIDDEN);
    p.role = ROLE_ADMIN;
    assert_true(admin_authorize(&p, ADMIN_ADMIN_ONLY, &who, &scope, &answer));
    assert_int_equal(scope, 0);
    p.role = ROLE_MACHINE;
    assert_false(admin_authorize(&p, ADMIN_READ, &who, &scope, &answer));
    assert_false(admin_authorize(NULL, ADMIN_READ, &who, &scope, &answer));
    assert_int_equal(answer.code, COAP_RESPONSE_CODE_UNAUTHORIZED);
    admin_answer_deinit(&answer);
}

static void test_own_copies(void **state)
{
    (void)state;
    server_config cfg;
    admin_keys keys;
    admin_caller who;
    admin_request r = new_request(&cfg, &keys, &who);
    char query[] = "id=3";
    uint8_t body[] = "{\"a\":1}";
    r.query = query;
    r.query_len = 4;
    r.body = body;
    r.body_len = r.body_total = sizeof(body) - 1;
    assert_true(admin_request_own(&r));
    query[0] = body[0] = 'X'; /* the loop's buffers may go or change */
    char out[8];
    assert_true(admin_query_param(&r, "id", out, sizeof(out)));
    assert_string_equal(out, "3");
    assert_int_equal(r.body[0], '{');
    admin_end(&r);

    r = new_request(&cfg, &keys, &who);
    r.body = body;
    r.body_len = 10;
    r.body_total = ADMIN_BODY_MAX + 1; /* not kept, but its size is: 4.13 */
    assert_true(admin_request_own(&r));
    assert_null(r.body);
    const uint8_t *b;
    size_t len;
    assert_false(admin_raw_body(&r, ADMIN_FORMAT_TEXT, &b, &len) && r.content_format == 0);
    r.content_format = ADMIN_FORMAT_TEXT;
    assert_false(admin_raw_body(&r, ADMIN_FORMAT_TEXT, &b, &len));
    assert_int_equal(r.answer.code, COAP_RESPONSE_CODE_REQUEST_TOO_LARGE);
    admin_end(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_errors_and_unavailable),
        cmocka_unit_test(test_json_answers_follow_accept),
        cmocka_unit_test(test_roles),
        cmocka_unit_test(test_own_copies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
