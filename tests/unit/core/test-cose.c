/* test-cose.c — COSE_Sign1 with Ed25519 (RFC 8032 vectors) and ES256: signing, parsing,
 * verification, and that no single-byte change of a signed message verifies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/cose.h"

#define BUF_MAX 512

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = strlen(hex) / 2;
    assert_true(n <= cap);
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
        out[i] = (uint8_t)v;
    }
    return n;
}

/* RFC 8032 section 7.1, TEST 1 to 3. */
static const struct {
    const char *secret, *public, *message, *signature;
} rfc8032[] = {
    {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9"
     "b46bd25bf5f0595bbe24655141438e7a100b"},
    {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f1"
     "1d8c387b2eaeb4302aeeb00d291612bb0c00"},
    {"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984d"
     "c6594a7c15e9716ed28dc027beceea1ec40a"},
};

static EVP_PKEY *rfc8032_key(size_t i)
{
    uint8_t seed[COSE_ED25519_SEED_LEN];
    unhex(rfc8032[i].secret, seed, sizeof(seed));
    EVP_PKEY *key = NULL;
    assert_int_equal(cose_key_from_ed25519_seed(seed, &key), WR_OK);
    return key;
}

static void test_rfc8032_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < 3; i++) {
        EVP_PKEY *key = rfc8032_key(i);
        uint8_t msg[8], want_sig[COSE_SIG_LEN], want_pub[32], sig[COSE_SIG_LEN];
        uint8_t pub[COSE_PUBKEY_MAX];
        size_t msg_len = unhex(rfc8032[i].message, msg, sizeof(msg));
        unhex(rfc8032[i].signature, want_sig, sizeof(want_sig));
        unhex(rfc8032[i].public, want_pub, sizeof(want_pub));
        size_t pub_len = 0;
        assert_int_equal(cose_key_raw_public(key, pub, &pub_len), WR_OK);
        assert_int_equal(pub_len, 32);
        assert_memory_equal(pub, want_pub, 32);
        assert_int_equal(cose_sign_bytes(key, msg, msg_len, sig), WR_OK);
        assert_memory_equal(sig, want_sig, COSE_SIG_LEN);

        EVP_PKEY *public_only = NULL;
        assert_int_equal(cose_key_from_raw_public(COSE_ALG_EDDSA, want_pub, 32, &public_only),
                         WR_OK);
        assert_int_equal(
            cose_verify_bytes(public_only, COSE_ALG_EDDSA, msg, msg_len, sig, COSE_SIG_LEN), WR_OK);
        sig[i] ^= 0x01;
        assert_int_equal(
            cose_verify_bytes(public_only, COSE_ALG_EDDSA, msg, msg_len, sig, COSE_SIG_LEN),
            WR_ESIG);
        assert_int_equal(
            cose_verify_bytes(public_only, COSE_ALG_ES256, msg, msg_len, sig, COSE_SIG_LEN),
            WR_EKEY);
        EVP_PKEY_free(public_only);
        EVP_PKEY_free(key);
    }
}

/* The whole COSE_Sign1 for TEST 1's key, built here by hand: the signature is checked with
 * OpenSSL directly over a hand-built Sig_structure, so the test does not trust cose.c. */
static void test_sign1_bytes_by_hand(void **state)
{
    (void)state;
    EVP_PKEY *key = rfc8032_key(0);
    const char *payload = "This is the content.";
    uint8_t pub[32], digest[32];
    unhex(rfc8032[0].public, pub, sizeof(pub));
    unsigned int digest_len = 0;
    assert_true(EVP_Digest(pub, sizeof(pub), digest, &digest_len, EVP_sha256(), NULL));

    uint8_t prot[13] = {0xa2, 0x01, 0x27, 0x04, 0x48};
    memcpy(prot + 5, digest, 8);
    uint8_t tbs[BUF_MAX];
    size_t t = 0;
    memcpy(tbs + t, "\x84\x6aSignature1\x4d", 13);
    t += 13;
    memcpy(tbs + t, prot, sizeof(prot));
    t += sizeof(prot);
    tbs[t++] = 0x40;
    tbs[t++] = 0x54;
    memcpy(tbs + t, payload, 20);
    t += 20;
    uint8_t want_sig[64];
    size_t sig_len = sizeof(want_sig);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestSignInit(ctx, NULL, NULL, NULL, key), 1);
    assert_int_equal(EVP_DigestSign(ctx, want_sig, &sig_len, tbs, t), 1);
    EVP_MD_CTX_free(ctx);

    uint8_t want[BUF_MAX];
    size_t w = 0;
    memcpy(want + w, "\x84\x4d", 2); /* untagged */
    w += 2;
    memcpy(want + w, prot, sizeof(prot));
    w += sizeof(prot);
    want[w++] = 0xa0;
    want[w++] = 0x54;
    memcpy(want + w, payload, 20);
    w += 20;
    want[w++] = 0x58;
    want[w++] = 0x40;
    memcpy(want + w, want_sig, 64);
    w += 64;

    uint8_t out[BUF_MAX];
    size_t out_len = 0;
    assert_int_equal(
        cose_sign1_create(key, (const uint8_t *)payload, 20, out, sizeof(out), &out_len), WR_OK);
    assert_int_equal(out_len, w);
    assert_memory_equal(out, want, w);
    assert_true(out_len <= 20 + COSE_SIGN1_OVERHEAD);

    uint8_t kid[COSE_KID_LEN];
    assert_int_equal(cose_key_id(key, kid), WR_OK);
    assert_memory_equal(kid, digest, COSE_KID_LEN);

    cose_sign1 msg;
    assert_int_equal(cose_sign1_parse(out, out_len, &msg), WR_OK);
    assert_int_equal(msg.alg, COSE_ALG_EDDSA);
    assert_int_equal(msg.kid_len, COSE_KID_LEN);
    assert_memory_equal(msg.kid, digest, COSE_KID_LEN);
    assert_int_equal(msg.payload_len, 20);
    assert_memory_equal(msg.payload, payload, 20);
    assert_int_equal(msg.protected_len, sizeof(prot));
    assert_int_equal(msg.signature_len, 64);
    assert_int_equal(cose_sign1_verify(&msg, key), WR_OK);

    /* With tag 18 it is the same message. */
    uint8_t tagged[BUF_MAX];
    tagged[0] = 0xd2;
    memcpy(tagged + 1, out, out_len);
    assert_int_equal(cose_sign1_parse(tagged, out_len + 1, &msg), WR_OK);
    assert_int_equal(cose_sign1_verify(&msg, key), WR_OK);
    EVP_PKEY_free(key);
}

static void test_es256_round_trip(void **state)
{
    (void)state;
    EVP_PKEY *key = NULL, *other = NULL, *ed = rfc8032_key(1);
    assert_int_equal(cose_key_generate(COSE_ALG_ES256, &key), WR_OK);
    assert_int_equal(cose_key_generate(COSE_ALG_ES256, &other), WR_OK);
    int64_t alg = 0;
    assert_int_equal(cose_key_alg(key, &alg), WR_OK);
    assert_int_equal(alg, COSE_ALG_ES256);

    const uint8_t payload[] = {0xa1, 0x01, 0x02};
    uint8_t out[BUF_MAX];
    size_t out_len = 0;
    assert_int_equal(cose_sign1_create(key, payload, sizeof(payload), out, sizeof(out), &out_len),
                     WR_OK);
    assert_int_equal(out[4], 0x26); /* alg -7 in the protected header */
    cose_sign1 msg;
    assert_int_equal(cose_sign1_parse(out, out_len, &msg), WR_OK);
    assert_int_equal(msg.alg, COSE_ALG_ES256);
    assert_int_equal(msg.signature_len, 64);
    assert_int_equal(cose_sign1_verify(&msg, key), WR_OK);
    assert_int_equal(cose_sign1_verify(&msg, other), WR_ESIG);
    assert_int_equal(cose_sign1_verify(&msg, ed), WR_EKEY);

    /* The public key alone, from its raw uncompressed point, verifies too. */
    uint8_t raw[COSE_PUBKEY_MAX];
    size_t raw_len = 0;
    assert_int_equal(cose_key_raw_public(key, raw, &raw_len), WR_OK);
    assert_int_equal(raw_len, 65);
    assert_int_equal(raw[0], 0x04);
    EVP_PKEY *public_only = NULL;
    assert_int_equal(cose_key_from_raw_public(COSE_ALG_ES256, raw, raw_len, &public_only), WR_OK);
    assert_int_equal(cose_sign1_verify(&msg, public_only), WR_OK);

    uint8_t kid[COSE_KID_LEN], digest[32];
    unsigned int digest_len;
    assert_true(EVP_Digest(raw, raw_len, digest, &digest_len, EVP_sha256(), NULL));
    assert_int_equal(cose_key_id(public_only, kid), WR_OK);
    assert_memory_equal(kid, digest, COSE_KID_LEN);
    assert_memory_equal(msg.kid, digest, COSE_KID_LEN);

    EVP_PKEY_free(public_only);
    EVP_PKEY_free(key);
    EVP_PKEY_free(other);
    EVP_PKEY_free(ed);
}

/* Flips every byte of @p msg to every other value: each variant must fail to parse or verify. */
static void assert_no_byte_change_verifies(const uint8_t *msg, size_t len, EVP_PKEY *key)
{
    uint8_t copy[BUF_MAX];
    assert_true(len <= sizeof(copy));
    memcpy(copy, msg, len);
    size_t parsed = 0;
    for (size_t pos = 0; pos < len; pos++) {
        for (unsigned delta = 1; delta < 256; delta++) {
            copy[pos] = (uint8_t)(msg[pos] ^ delta);
            cose_sign1 m;
            if (cose_sign1_parse(copy, len, &m) == WR_OK) {
                parsed++;
                assert_int_not_equal(cose_sign1_verify(&m, key), WR_OK);
            }
        }
        copy[pos] = msg[pos];
    }
    assert_true(parsed > 0); /* the test did reach the signature check */
    cose_sign1 m;
    assert_int_equal(cose_sign1_parse(copy, len, &m), WR_OK);
    assert_int_equal(cose_sign1_verify(&m, key), WR_OK);
}

static void test_every_byte_change_fails(void **state)
{
    (void)state;
    const int64_t algs[] = {COSE_ALG_EDDSA, COSE_ALG_ES256};
    for (size_t i = 0; i < 2; i++) {
        EVP_PKEY *key = NULL;
        assert_int_equal(cose_key_generate(algs[i], &key), WR_OK);
        const uint8_t payload[] = "weldreg payload";
        uint8_t out[BUF_MAX];
        size_t out_len = 0;
        assert_int_equal(
            cose_sign1_create(key, payload, sizeof(payload), out, sizeof(out), &out_len), WR_OK);
        assert_no_byte_change_verifies(out, out_len, key);
        EVP_PKEY_free(key);
    }
}

static wr_status parse_hex(const char *hex)
{
    uint8_t buf[BUF_MAX];
    size_t n = unhex(hex, buf, sizeof(buf));
    cose_sign1 msg;
    return cose_sign1_parse(buf, n, &msg);
}

#define PROT                                                                                       \
    "4da201270448"                                                                                 \
    "0102030405060708"
#define SIG                                                                                        \
    "5840"                                                                                         \
    "00000000000000000000000000000000000000000000000000000000000000000000000000000000"             \
    "000000000000000000000000000000000000000000000000"

static void test_parse_structure(void **state)
{
    (void)state;
    assert_int_equal(parse_hex("d284" PROT "a0"
                               "41aa" SIG),
                     WR_OK);
    assert_int_equal(parse_hex("84" PROT "a0"
                               "41aa" SIG),
                     WR_OK); /* untagged */
    assert_int_equal(parse_hex("d184" PROT "a0"
                               "41aa" SIG),
                     WR_EINVAL); /* tag 17 */
    assert_int_equal(parse_hex("d284" PROT "a0"
                               "f6" SIG),
                     WR_EINVAL); /* detached */
    assert_int_equal(parse_hex("d283" PROT "a0"
                               "41aa"),
                     WR_EINVAL); /* 3 items */
    assert_int_equal(parse_hex("d284" PROT "a0"
                               "41aa" SIG "00"),
                     WR_EINVAL); /* trailing */
    assert_int_equal(parse_hex("d284" PROT "80"
                               "41aa" SIG),
                     WR_EINVAL); /* unprotected array */
    assert_int_equal(parse_hex("d28440a0"
                               "41aa" SIG),
                     WR_EINVAL); /* no alg */
    assert_int_equal(parse_hex("d28443a10127a0"
                               "41aa" SIG),
                     WR_OK); /* alg only */
    /* kid in the unprotected header */
    assert_int_equal(parse_hex("d28443a10127a10442abcd"
                               "41aa" SIG),
                     WR_OK);
    /* kid in both, alg unprotected, crit, duplicate alg, extra bytes in the protected bstr */
    assert_int_equal(parse_hex("d284" PROT "a10442abcd"
                               "41aa" SIG),
                     WR_EINVAL);
    assert_int_equal(parse_hex("d28443a10127a10126"
                               "41aa" SIG),
                     WR_EINVAL);
    assert_int_equal(parse_hex("d28447a20127028101a0"
                               "41aa" SIG),
                     WR_EINVAL);
    assert_int_equal(parse_hex("d28445a201270126a0"
                               "41aa" SIG),
                     WR_EINVAL);
    assert_int_equal(parse_hex("d28444a1012700a0"
                               "41aa" SIG),
                     WR_EINVAL);
    /* unknown integer and text labels are skipped */
    assert_int_equal(parse_hex("d28448a3012703000a6178a0"
                               "41aa" SIG),
                     WR_OK);
    assert_int_equal(parse_hex("d28448a301270300617800a0"
                               "41aa" SIG),
                     WR_OK);
    /* a label that is neither integer nor text */
    assert_int_equal(parse_hex("d28445a2012741aa00a0"
                               "41aa" SIG),
                     WR_EINVAL);
    /* text alg */
    assert_int_equal(parse_hex("d28446a101634553a0"
                               "41aa" SIG),
                     WR_EINVAL);
}

static void test_parse_truncations(void **state)
{
    (void)state;
    EVP_PKEY *key = rfc8032_key(2);
    uint8_t out[BUF_MAX];
    size_t out_len = 0;
    assert_int_equal(cose_sign1_create(key, (const uint8_t *)"x", 1, out, sizeof(out), &out_len),
                     WR_OK);
    for (size_t len = 0; len < out_len; len++) {
        cose_sign1 msg;
        assert_int_not_equal(cose_sign1_parse(out, len, &msg), WR_OK);
    }
    /* And the output buffer too small. */
    assert_int_equal(cose_sign1_create(key, (const uint8_t *)"x", 1, out, out_len - 1, &out_len),
                     WR_ESPACE);
    EVP_PKEY_free(key);
}

static void test_raw_keys(void **state)
{
    (void)state;
    uint8_t raw[COSE_PUBKEY_MAX] = {0x04};
    EVP_PKEY *key = NULL;
    /* (1, 1) is not on P-256. */
    raw[32] = 1;
    raw[64] = 1;
    assert_int_equal(cose_key_from_raw_public(COSE_ALG_ES256, raw, 65, &key), WR_EKEY);
    assert_null(key);
    raw[0] = 0x02;
    assert_int_equal(cose_key_from_raw_public(COSE_ALG_ES256, raw, 33, &key), WR_EKEY);
    assert_int_equal(cose_key_from_raw_public(COSE_ALG_EDDSA, raw, 31, &key), WR_EKEY);
    assert_int_equal(cose_key_from_raw_public(-35, raw, 65, &key), WR_EKEY);
    assert_int_equal(cose_key_generate(-35, &key), WR_EKEY);

    EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
    assert_non_null(rsa);
    int64_t alg;
    uint8_t kid[COSE_KID_LEN], sig[COSE_SIG_LEN], out[BUF_MAX];
    size_t len;
    assert_int_equal(cose_key_alg(rsa, &alg), WR_EKEY);
    assert_int_equal(cose_key_id(rsa, kid), WR_EKEY);
    assert_int_equal(cose_sign_bytes(rsa, out, 1, sig), WR_EKEY);
    assert_int_equal(cose_sign1_create(rsa, out, 1, out, sizeof(out), &len), WR_EKEY);
    EVP_PKEY_free(rsa);

    EVP_PKEY *p384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
    assert_non_null(p384);
    assert_int_equal(cose_key_alg(p384, &alg), WR_EKEY);
    EVP_PKEY_free(p384);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc8032_vectors),  cmocka_unit_test(test_sign1_bytes_by_hand),
        cmocka_unit_test(test_es256_round_trip), cmocka_unit_test(test_every_byte_change_fails),
        cmocka_unit_test(test_parse_structure),  cmocka_unit_test(test_parse_truncations),
        cmocka_unit_test(test_raw_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
