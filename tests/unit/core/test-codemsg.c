/* test-codemsg.c — naming the failed check of a code (every code_verify() outcome, including
 * the two meanings of WR_EKEY) and the CBOR bodies of the code resources, strictly decoded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/cbor.h"
#include "core/codemsg.h"

#define T0 1800000000u

static EVP_PKEY *new_key(void)
{
    EVP_PKEY *key = NULL;
    assert_int_equal(cose_key_generate(COSE_ALG_EDDSA, &key), WR_OK);
    return key;
}

static trust_list *trust_of(EVP_PKEY *key, unsigned types)
{
    char line[256];
    trust_list *list = NULL;
    assert_int_equal(trust_format_key(key, T0 - 1000, T0 + 1000, types, line, sizeof(line)), WR_OK);
    assert_int_equal(trust_list_parse(line, strlen(line), &list, NULL), WR_OK);
    return list;
}

static void issue(EVP_PKEY *key, code_kind kind, uint64_t iat, char *text)
{
    code_claims c;
    memset(&c, 0, sizeof(c));
    c.kind = kind;
    strcpy(c.iss, "test");
    c.iat = iat;
    c.exp = iat + 86400;
    memset(c.cti, 0x11, sizeof(c.cti));
    strcpy(c.chip, "WR-0001");
    c.ent = 20;
    c.cat = CODE_CAT_FUSION;
    strcpy(c.lic, "T**************1234");
    strcpy(c.nm, "Z*");
    c.cats = CODE_CAT_FUSION;
    c.lvu = iat + 10 * 86400;
    assert_int_equal(code_issue(&c, key, text, CODE_TEXT_MAX + 1), WR_OK);
}

static codemsg_check check_of(const char *text, const trust_list *trust,
                              const revocation_list *revoked, uint64_t now)
{
    wr_status st = code_verify(text, strlen(text), trust, revoked, now, NULL);
    return codemsg_classify(st, text, strlen(text), trust);
}

static void test_classify_every_outcome(void **state)
{
    (void)state;
    EVP_PKEY *key = new_key(), *other = new_key();
    trust_list *trust = trust_of(key, TRUST_TYPE_MACHINE | TRUST_TYPE_WELDER);
    trust_list *machines_only = trust_of(key, TRUST_TYPE_MACHINE);
    char text[CODE_TEXT_MAX + 1], forged[CODE_TEXT_MAX + 1], early[CODE_TEXT_MAX + 1];
    issue(key, CODE_MACHINE, T0, text);
    issue(other, CODE_MACHINE, T0, forged);
    issue(key, CODE_MACHINE, T0 - 5000, early);
    assert_int_equal(check_of(text, trust, NULL, T0), CODEMSG_OK);
    assert_int_equal(check_of(forged, trust, NULL, T0), CODEMSG_UNKNOWN_KEY);
    assert_int_equal(check_of(early, trust, NULL, T0), CODEMSG_KEY_WINDOW);
    assert_int_equal(check_of(text, trust, NULL, T0 + 86400), CODEMSG_EXPIRED);
    assert_int_equal(check_of(text, trust, NULL, T0 - 3600), CODEMSG_NOT_YET_VALID);
    assert_int_equal(check_of("WR3:AB", trust, NULL, T0), CODEMSG_MALFORMED);
    const char *line = "version 3\n1111111111111111\n";
    revocation_list *revoked = NULL;
    assert_int_equal(trust_revocations_parse(line, strlen(line), &revoked, NULL), WR_OK);
    assert_int_equal(check_of(text, trust, revoked, T0), CODEMSG_REVOKED);
    char welder[CODE_TEXT_MAX + 1];
    issue(key, CODE_WELDER, T0, welder);
    assert_int_equal(check_of(welder, machines_only, NULL, T0), CODEMSG_WRONG_TYPE);
    assert_int_equal(codemsg_classify(WR_ENOMEM, text, strlen(text), trust), CODEMSG_ERROR);
    trust_revocations_destroy(revoked);
    trust_list_destroy(trust);
    trust_list_destroy(machines_only);
    EVP_PKEY_free(key);
    EVP_PKEY_free(other);
}

/* Changing any one character of a code never leaves it valid, and never crashes the naming. */
static void test_every_tamper_is_named(void **state)
{
    (void)state;
    EVP_PKEY *key = new_key();
    trust_list *trust = trust_of(key, TRUST_TYPE_MACHINE);
    char text[CODE_TEXT_MAX + 1];
    issue(key, CODE_MACHINE, T0, text);
    for (size_t i = 0; text[i]; i++) {
        char saved = text[i];
        text[i] = saved == 'A' ? 'B' : 'A';
        codemsg_check c = check_of(text, trust, NULL, T0);
        assert_true(c == CODEMSG_MALFORMED || c == CODEMSG_BAD_SIGNATURE ||
                    c == CODEMSG_UNKNOWN_KEY);
        text[i] = saved;
    }
    trust_list_destroy(trust);
    EVP_PKEY_free(key);
}

static void test_check_names_round_trip(void **state)
{
    (void)state;
    for (int c = CODEMSG_OK; c <= CODEMSG_ERROR; c++) {
        const char *name = codemsg_check_name((codemsg_check)c);
        codemsg_check back;
        assert_true(codemsg_check_parse(name, strlen(name), &back));
        assert_int_equal(back, c);
        assert_true(strlen(codemsg_check_text((codemsg_check)c)) > 0);
    }
    codemsg_check out;
    assert_false(codemsg_check_parse("forged", 6, &out));
    assert_string_equal(codemsg_check_name((codemsg_check)99), "error");
}

/* Only checks reached after the signature verified make the code genuine. */
static void test_check_genuine(void **state)
{
    (void)state;
    const codemsg_check genuine[] = {CODEMSG_OK, CODEMSG_REVOKED, CODEMSG_EXPIRED,
                                     CODEMSG_NOT_YET_VALID, CODEMSG_UNKNOWN_CODE};
    const codemsg_check not_genuine[] = {CODEMSG_MALFORMED,     CODEMSG_UNKNOWN_KEY,
                                         CODEMSG_BAD_SIGNATURE, CODEMSG_WRONG_TYPE,
                                         CODEMSG_KEY_WINDOW,    CODEMSG_ERROR};
    for (size_t i = 0; i < sizeof(genuine) / sizeof(genuine[0]); i++)
        assert_true(codemsg_check_genuine(genuine[i]));
    for (size_t i = 0; i < sizeof(not_genuine) / sizeof(not_genuine[0]); i++)
        assert_false(codemsg_check_genuine(not_genuine[i]));
    assert_false(codemsg_check_genuine((codemsg_check)99));
}

static void test_verify_request(void **state)
{
    (void)state;
    uint8_t buf[CODEMSG_VERIFY_REQUEST_MAX];
    size_t len, code_len;
    const char *code;
    char why[128];
    assert_int_equal(codemsg_encode_verify_request("WR2:ABC", 7, buf, sizeof(buf), &len), WR_OK);
    assert_int_equal(codemsg_decode_verify_request(buf, len, &code, &code_len, why, sizeof(why)),
                     WR_OK);
    assert_int_equal(code_len, 7);
    assert_memory_equal(code, "WR2:ABC", 7);
    /* trailing byte, wrong key, empty code, not a map */
    buf[len] = 0;
    assert_int_equal(codemsg_decode_verify_request(buf, len + 1, &code, &code_len, why, 128),
                     WR_EINVAL);
    assert_string_equal(why, "unexpected bytes after the CBOR map");
    static const uint8_t wrong_key[] = {0xa1, 0x64, 'c', 'o', 'd', 'x', 0x61, 'A'};
    assert_int_equal(codemsg_decode_verify_request(wrong_key, sizeof(wrong_key), &code, &code_len,
                                                   why, sizeof(why)),
                     WR_EINVAL);
    static const uint8_t empty[] = {0xa1, 0x64, 'c', 'o', 'd', 'e', 0x60};
    assert_int_equal(codemsg_decode_verify_request(empty, sizeof(empty), &code, &code_len, NULL, 0),
                     WR_EINVAL);
    static const uint8_t array[] = {0x81, 0x01};
    assert_int_equal(codemsg_decode_verify_request(array, sizeof(array), &code, &code_len, NULL, 0),
                     WR_EINVAL);
}

static void test_verdict_round_trip_and_strictness(void **state)
{
    (void)state;
    codemsg_verdict v = {.valid = false, .check = CODEMSG_REVOKED, .revocation_version = 42};
    strcpy(v.record, "revoked");
    strcpy(v.subject, "suspended");
    uint8_t buf[CODEMSG_VERDICT_MAX];
    size_t len;
    assert_int_equal(codemsg_encode_verdict(&v, buf, sizeof(buf), &len), WR_OK);
    codemsg_verdict back;
    assert_int_equal(codemsg_decode_verdict(buf, len, &back), WR_OK);
    assert_false(back.valid);
    assert_int_equal(back.check, CODEMSG_REVOKED);
    assert_string_equal(back.record, "revoked");
    assert_string_equal(back.subject, "suspended");
    assert_int_equal(back.revocation_version, 42);
    /* a missing key */
    assert_int_equal(codemsg_decode_verdict(buf, len - 2, &back), WR_ETRUNC);
    cbor_writer w;
    cbor_writer_init(&w, buf, sizeof(buf));
    cbor_put_map(&w, 5);
    cbor_put_cstr(&w, "valid");
    cbor_put_bool(&w, true);
    cbor_put_cstr(&w, "check");
    cbor_put_cstr(&w, "ok");
    cbor_put_cstr(&w, "record");
    cbor_put_cstr(&w, "Active"); /* not [a-z_] */
    cbor_put_cstr(&w, "subject");
    cbor_put_cstr(&w, "active");
    cbor_put_cstr(&w, "rev");
    cbor_put_uint(&w, 1);
    assert_int_equal(codemsg_decode_verdict(buf, w.len, &back), WR_EINVAL);
    assert_false(back.valid);
}

static void test_verdict_refuses_duplicate_and_unknown_check(void **state)
{
    (void)state;
    uint8_t buf[128];
    cbor_writer w;
    cbor_writer_init(&w, buf, sizeof(buf));
    cbor_put_map(&w, 5);
    cbor_put_cstr(&w, "valid");
    cbor_put_bool(&w, true);
    cbor_put_cstr(&w, "valid");
    cbor_put_bool(&w, true);
    cbor_put_cstr(&w, "record");
    cbor_put_cstr(&w, "active");
    cbor_put_cstr(&w, "subject");
    cbor_put_cstr(&w, "active");
    cbor_put_cstr(&w, "rev");
    cbor_put_uint(&w, 1);
    codemsg_verdict back;
    assert_int_equal(codemsg_decode_verdict(buf, w.len, &back), WR_EINVAL);
    cbor_writer_init(&w, buf, sizeof(buf));
    cbor_put_map(&w, 6);
    cbor_put_cstr(&w, "valid");
    cbor_put_bool(&w, true);
    cbor_put_cstr(&w, "check");
    cbor_put_cstr(&w, "forged");
    cbor_put_cstr(&w, "record");
    cbor_put_cstr(&w, "active");
    cbor_put_cstr(&w, "subject");
    cbor_put_cstr(&w, "active");
    cbor_put_cstr(&w, "rev");
    cbor_put_uint(&w, 1);
    cbor_put_cstr(&w, "extra");
    cbor_put_uint(&w, 1);
    assert_int_equal(codemsg_decode_verdict(buf, w.len, &back), WR_EINVAL);
}

static void test_revocations_round_trip(void **state)
{
    (void)state;
    uint8_t ctis[3 * TRUST_CTI_LEN];
    for (size_t i = 0; i < sizeof(ctis); i++)
        ctis[i] = (uint8_t)i;
    codemsg_revocations r = {.version = 7, .full = true, .ctis = ctis, .count = 3};
    uint8_t buf[256];
    size_t len;
    assert_true(codemsg_revocations_size(3) <= sizeof(buf));
    assert_int_equal(codemsg_encode_revocations(&r, buf, codemsg_revocations_size(3), &len), WR_OK);
    codemsg_revocations back;
    assert_int_equal(codemsg_decode_revocations(buf, len, &back), WR_OK);
    assert_int_equal(back.version, 7);
    assert_true(back.full);
    assert_int_equal(back.count, 3);
    assert_memory_equal(back.ctis, ctis, sizeof(ctis));
    /* an empty delta */
    r.count = 0;
    r.full = false;
    assert_int_equal(codemsg_encode_revocations(&r, buf, sizeof(buf), &len), WR_OK);
    assert_int_equal(codemsg_decode_revocations(buf, len, &back), WR_OK);
    assert_int_equal(back.count, 0);
    assert_false(back.full);
}

static void test_revocations_refuses_bad_length(void **state)
{
    (void)state;
    uint8_t ids[17] = {0};
    uint8_t buf[128];
    cbor_writer w;
    cbor_writer_init(&w, buf, sizeof(buf));
    cbor_put_map(&w, 3);
    cbor_put_cstr(&w, "version");
    cbor_put_uint(&w, 1);
    cbor_put_cstr(&w, "full");
    cbor_put_bool(&w, false);
    cbor_put_cstr(&w, "ctis");
    cbor_put_bytes(&w, ids, sizeof(ids));
    codemsg_revocations back;
    assert_int_equal(codemsg_decode_revocations(buf, w.len, &back), WR_EINVAL);
    assert_int_equal(back.count, 0);
    assert_null(back.ctis);
    /* without "full" */
    cbor_writer_init(&w, buf, sizeof(buf));
    cbor_put_map(&w, 2);
    cbor_put_cstr(&w, "version");
    cbor_put_uint(&w, 1);
    cbor_put_cstr(&w, "ctis");
    cbor_put_bytes(&w, ids, 16);
    assert_int_equal(codemsg_decode_revocations(buf, w.len, &back), WR_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classify_every_outcome),
        cmocka_unit_test(test_every_tamper_is_named),
        cmocka_unit_test(test_check_names_round_trip),
        cmocka_unit_test(test_check_genuine),
        cmocka_unit_test(test_verify_request),
        cmocka_unit_test(test_verdict_round_trip_and_strictness),
        cmocka_unit_test(test_verdict_refuses_duplicate_and_unknown_check),
        cmocka_unit_test(test_revocations_round_trip),
        cmocka_unit_test(test_revocations_refuses_bad_length),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
