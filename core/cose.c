/* cose.c — COSE_Sign1 creation, parsing and verification (RFC 9052) over the OpenSSL 3 EVP API;
 * the only core file that knows how OpenSSL spells keys and signatures. */
#include "core/cose.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>

#include "core/cbor.h"

#define ES256_GROUP     "prime256v1"
#define ES256_COORD_LEN 32
#define ED25519_KEY_LEN 32
#define P256_POINT_LEN  65
#define HEADER_ALG      1
#define HEADER_CRIT     2
#define HEADER_KID      4

static const char sig_context[] = "Signature1";

/* ---- Keys --------------------------------------------------------------------------------- */

static bool key_is_p256(EVP_PKEY *key)
{
    char group[32];
    size_t len = 0;
    if (!EVP_PKEY_is_a(key, "EC"))
        return false;
    if (!EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                        &len))
        return false;
    return strcmp(group, ES256_GROUP) == 0;
}

wr_status cose_key_alg(EVP_PKEY *key, int64_t *alg)
{
    if (!key)
        return WR_EKEY;
    if (EVP_PKEY_is_a(key, "ED25519")) {
        *alg = COSE_ALG_EDDSA;
        return WR_OK;
    }
    if (key_is_p256(key)) {
        *alg = COSE_ALG_ES256;
        return WR_OK;
    }
    return WR_EKEY;
}

wr_status cose_key_raw_public(EVP_PKEY *key, uint8_t out[COSE_PUBKEY_MAX], size_t *len)
{
    int64_t alg;
    wr_status st = cose_key_alg(key, &alg);
    if (st != WR_OK)
        return st;
    if (alg == COSE_ALG_EDDSA) {
        *len = COSE_PUBKEY_MAX;
        if (!EVP_PKEY_get_raw_public_key(key, out, len) || *len != ED25519_KEY_LEN)
            return WR_ECRYPTO;
        return WR_OK;
    }
    if (!EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, out, COSE_PUBKEY_MAX, len))
        return WR_ECRYPTO;
    /* A key that was loaded in compressed form is not what our key ids are defined over. */
    if (*len != P256_POINT_LEN || out[0] != POINT_CONVERSION_UNCOMPRESSED)
        return WR_EKEY;
    return WR_OK;
}

wr_status cose_key_id(EVP_PKEY *key, uint8_t kid[COSE_KID_LEN])
{
    uint8_t raw[COSE_PUBKEY_MAX];
    size_t len;
    wr_status st = cose_key_raw_public(key, raw, &len);
    if (st != WR_OK)
        return st;
    uint8_t digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    if (!EVP_Digest(raw, len, digest, &digest_len, EVP_sha256(), NULL))
        return WR_ECRYPTO;
    memcpy(kid, digest, COSE_KID_LEN);
    return WR_OK;
}

static wr_status p256_from_point(const uint8_t *raw, size_t n, EVP_PKEY **out)
{
    wr_status st = WR_EKEY;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)ES256_GROUP, 0),
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)raw, n),
        OSSL_PARAM_construct_end(),
    };
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (!ctx)
        return WR_ECRYPTO;
    if (EVP_PKEY_fromdata_init(ctx) == 1 &&
        EVP_PKEY_fromdata(ctx, out, EVP_PKEY_PUBLIC_KEY, params) == 1)
        st = WR_OK;
    EVP_PKEY_CTX_free(ctx);
    return st;
}

wr_status cose_key_from_raw_public(int64_t alg, const uint8_t *raw, size_t n, EVP_PKEY **out)
{
    *out = NULL;
    wr_status st = WR_EKEY;
    if (alg == COSE_ALG_EDDSA && n == ED25519_KEY_LEN) {
        *out = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, raw, n);
        st = *out ? WR_OK : WR_EKEY;
    } else if (alg == COSE_ALG_ES256 && n == P256_POINT_LEN &&
               raw[0] == POINT_CONVERSION_UNCOMPRESSED) {
        st = p256_from_point(raw, n, out);
    }
    if (st != WR_OK)
        ERR_clear_error();
    return st;
}

wr_status cose_key_from_ed25519_seed(const uint8_t seed[COSE_ED25519_SEED_LEN], EVP_PKEY **out)
{
    *out = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, COSE_ED25519_SEED_LEN);
    return *out ? WR_OK : WR_ECRYPTO;
}

wr_status cose_key_generate(int64_t alg, EVP_PKEY **out)
{
    if (alg == COSE_ALG_EDDSA)
        *out = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    else if (alg == COSE_ALG_ES256)
        *out = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    else
        return WR_EKEY;
    return *out ? WR_OK : WR_ECRYPTO;
}

/* ---- Raw signatures ----------------------------------------------------------------------- */

/* Converts a DER ECDSA signature to r || s. */
static wr_status ecdsa_der_to_raw(const uint8_t *der, size_t der_len, uint8_t sig[COSE_SIG_LEN])
{
    const unsigned char *p = der;
    ECDSA_SIG *esig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
    if (!esig)
        return WR_ECRYPTO;
    const BIGNUM *r = NULL, *s = NULL;
    ECDSA_SIG_get0(esig, &r, &s);
    wr_status st = WR_OK;
    if (BN_bn2binpad(r, sig, ES256_COORD_LEN) != ES256_COORD_LEN ||
        BN_bn2binpad(s, sig + ES256_COORD_LEN, ES256_COORD_LEN) != ES256_COORD_LEN)
        st = WR_ECRYPTO;
    ECDSA_SIG_free(esig);
    return st;
}

/* Converts r || s to DER; the caller frees *der with OPENSSL_free. */
static wr_status ecdsa_raw_to_der(const uint8_t sig[COSE_SIG_LEN], uint8_t **der, size_t *der_len)
{
    ECDSA_SIG *esig = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig, ES256_COORD_LEN, NULL);
    BIGNUM *s = BN_bin2bn(sig + ES256_COORD_LEN, ES256_COORD_LEN, NULL);
    wr_status st = WR_ENOMEM;
    if (!esig || !r || !s || !ECDSA_SIG_set0(esig, r, s))
        goto cleanup;
    r = s = NULL; /* owned by esig now */
    *der = NULL;
    int len = i2d_ECDSA_SIG(esig, der);
    if (len > 0) {
        *der_len = (size_t)len;
        st = WR_OK;
    }
cleanup:
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(esig);
    return st;
}

wr_status cose_sign_bytes(EVP_PKEY *key, const uint8_t *msg, size_t n, uint8_t sig[COSE_SIG_LEN])
{
    int64_t alg;
    wr_status st = cose_key_alg(key, &alg);
    if (st != WR_OK)
        return st;
    uint8_t der[128]; /* an ES256 DER signature is at most 72 bytes */
    size_t len = alg == COSE_ALG_EDDSA ? COSE_SIG_LEN : sizeof(der);
    uint8_t *target = alg == COSE_ALG_EDDSA ? sig : der;
    const EVP_MD *md = alg == COSE_ALG_EDDSA ? NULL : EVP_sha256();
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx)
        return WR_ENOMEM;
    st = WR_ECRYPTO;
    if (EVP_DigestSignInit(ctx, NULL, md, NULL, key) == 1 &&
        EVP_DigestSign(ctx, target, &len, msg, n) == 1)
        st = WR_OK;
    EVP_MD_CTX_free(ctx);
    if (st == WR_OK && alg == COSE_ALG_ES256)
        st = ecdsa_der_to_raw(der, len, sig);
    else if (st == WR_OK && len != COSE_SIG_LEN)
        st = WR_ECRYPTO;
    if (st != WR_OK)
        ERR_clear_error();
    return st;
}

static wr_status digest_verify(EVP_PKEY *key, const EVP_MD *md, const uint8_t *msg, size_t n,
                               const uint8_t *sig, size_t sig_len)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx)
        return WR_ENOMEM;
    wr_status st = WR_ESIG;
    if (EVP_DigestVerifyInit(ctx, NULL, md, NULL, key) == 1 &&
        EVP_DigestVerify(ctx, sig, sig_len, msg, n) == 1)
        st = WR_OK;
    EVP_MD_CTX_free(ctx);
    if (st != WR_OK)
        ERR_clear_error(); /* a bad signature is an answer, not an error to leave queued */
    return st;
}

wr_status cose_verify_bytes(EVP_PKEY *key, int64_t alg, const uint8_t *msg, size_t n,
                            const uint8_t *sig, size_t sig_len)
{
    int64_t key_alg;
    if (cose_key_alg(key, &key_alg) != WR_OK || key_alg != alg)
        return WR_EKEY;
    if (sig_len != COSE_SIG_LEN)
        return WR_ESIG;
    if (alg == COSE_ALG_EDDSA)
        return digest_verify(key, NULL, msg, n, sig, sig_len);
    uint8_t *der = NULL;
    size_t der_len = 0;
    wr_status st = ecdsa_raw_to_der(sig, &der, &der_len);
    if (st == WR_OK)
        st = digest_verify(key, EVP_sha256(), msg, n, der, der_len);
    OPENSSL_free(der);
    return st;
}

/* ---- COSE_Sign1 --------------------------------------------------------------------------- */

/* Serialises the protected header {1: alg, 4: kid} into @p out. */
static wr_status write_protected(int64_t alg, const uint8_t kid[COSE_KID_LEN], uint8_t *out,
                                 size_t cap, size_t *len)
{
    cbor_writer w;
    cbor_writer_init(&w, out, cap);
    cbor_put_map(&w, 2);
    cbor_put_uint(&w, HEADER_ALG);
    cbor_put_int(&w, alg);
    cbor_put_uint(&w, HEADER_KID);
    cbor_put_bytes(&w, kid, COSE_KID_LEN);
    *len = w.len;
    return cbor_writer_status(&w);
}

/* Builds Sig_structure = ["Signature1", protected, h'', payload] in a new buffer that the
 * caller frees. */
static wr_status sig_structure(const uint8_t *prot, size_t prot_len, const uint8_t *payload,
                               size_t n, uint8_t **out, size_t *out_len)
{
    const size_t head_max = 9;
    if (n > SIZE_MAX / 2 - prot_len)
        return WR_ERANGE;
    size_t cap = 1 + 1 + sizeof(sig_context) + head_max + prot_len + 1 + head_max + n;
    *out = malloc(cap);
    if (!*out)
        return WR_ENOMEM;
    cbor_writer w;
    cbor_writer_init(&w, *out, cap);
    cbor_put_array(&w, 4);
    cbor_put_text(&w, sig_context, sizeof(sig_context) - 1);
    cbor_put_bytes(&w, prot, prot_len);
    cbor_put_bytes(&w, NULL, 0);
    cbor_put_bytes(&w, payload, n);
    *out_len = w.len;
    wr_status st = cbor_writer_status(&w);
    if (st != WR_OK) {
        free(*out);
        *out = NULL;
    }
    return st;
}

static wr_status sign_structure(EVP_PKEY *key, const uint8_t *prot, size_t prot_len,
                                const uint8_t *payload, size_t n, uint8_t sig[COSE_SIG_LEN])
{
    uint8_t *tbs = NULL;
    size_t tbs_len = 0;
    wr_status st = sig_structure(prot, prot_len, payload, n, &tbs, &tbs_len);
    if (st == WR_OK)
        st = cose_sign_bytes(key, tbs, tbs_len, sig);
    free(tbs);
    return st;
}

wr_status cose_sign1_create(EVP_PKEY *key, const uint8_t *payload, size_t n, uint8_t *out,
                            size_t cap, size_t *out_len)
{
    *out_len = 0;
    int64_t alg;
    uint8_t kid[COSE_KID_LEN], prot[32], sig[COSE_SIG_LEN];
    size_t prot_len = 0;
    wr_status st = cose_key_alg(key, &alg);
    if (st == WR_OK)
        st = cose_key_id(key, kid);
    if (st == WR_OK)
        st = write_protected(alg, kid, prot, sizeof(prot), &prot_len);
    if (st == WR_OK)
        st = sign_structure(key, prot, prot_len, payload, n, sig);
    if (st != WR_OK)
        return st;
    cbor_writer w;
    cbor_writer_init(&w, out, cap);
    cbor_put_array(&w, 4);
    cbor_put_bytes(&w, prot, prot_len);
    cbor_put_map(&w, 0);
    cbor_put_bytes(&w, payload, n);
    cbor_put_bytes(&w, sig, sizeof(sig));
    st = cbor_writer_status(&w);
    if (st == WR_OK)
        *out_len = w.len;
    return st;
}

/* Maps decoder errors to what a caller of the parser needs: truncated, or malformed. */
static wr_status malformed(wr_status st)
{
    return st == WR_ETRUNC ? WR_ETRUNC : WR_EINVAL;
}

/* Header labels seen so far, over both header maps (a label may not appear in both). */
enum { SEEN_ALG = 1, SEEN_KID = 2 };

static wr_status parse_header_entry(cbor_reader *r, bool is_protected, cose_sign1 *out,
                                    unsigned *seen)
{
    int64_t label;
    wr_status st = cbor_read_int(r, &label);
    if (st == WR_ETYPE) {
        /* Labels are integers or text; we use no text label, so skip it and its value. */
        const char *text;
        size_t len;
        st = cbor_read_text(r, &text, &len);
        return st == WR_OK ? cbor_skip(r) : WR_EINVAL;
    }
    if (st != WR_OK)
        return st;
    switch (label) {
    case HEADER_ALG:
        if (!is_protected || (*seen & SEEN_ALG))
            return WR_EINVAL;
        *seen |= SEEN_ALG;
        return cbor_read_int(r, &out->alg);
    case HEADER_CRIT: return WR_EINVAL;
    case HEADER_KID:
        if (*seen & SEEN_KID)
            return WR_EINVAL;
        *seen |= SEEN_KID;
        return cbor_read_bytes(r, &out->kid, &out->kid_len);
    default: return cbor_skip(r);
    }
}

static wr_status parse_header_map(cbor_reader *r, bool is_protected, cose_sign1 *out,
                                  unsigned *seen)
{
    size_t count;
    wr_status st = cbor_read_map(r, &count);
    for (size_t i = 0; st == WR_OK && i < count; i++)
        st = parse_header_entry(r, is_protected, out, seen);
    return st;
}

static wr_status parse_protected(cbor_reader *r, cose_sign1 *out, unsigned *seen)
{
    wr_status st = cbor_read_bytes(r, &out->protected_bytes, &out->protected_len);
    if (st != WR_OK)
        return st;
    cbor_reader inner;
    cbor_reader_init(&inner, out->protected_bytes, out->protected_len);
    st = parse_header_map(&inner, true, out, seen);
    if (st != WR_OK)
        return WR_EINVAL; /* the bstr was complete, so nothing inside is "truncated" */
    if (!cbor_reader_at_end(&inner) || !(*seen & SEEN_ALG))
        return WR_EINVAL;
    return WR_OK;
}

static wr_status parse_sign1(cbor_reader *r, cose_sign1 *out)
{
    cbor_item item;
    cbor_reader probe = *r;
    if (cbor_read(&probe, &item) == WR_OK && item.type == CBOR_TAG) {
        if (item.val != COSE_TAG_SIGN1)
            return WR_EINVAL;
        *r = probe;
    }
    size_t count;
    unsigned seen = 0;
    wr_status st = cbor_read_array(r, &count);
    if (st == WR_OK && count != 4)
        st = WR_EINVAL;
    if (st == WR_OK)
        st = parse_protected(r, out, &seen);
    if (st == WR_OK)
        st = parse_header_map(r, false, out, &seen);
    if (st == WR_OK)
        st = cbor_read_bytes(r, &out->payload, &out->payload_len);
    if (st == WR_OK)
        st = cbor_read_bytes(r, &out->signature, &out->signature_len);
    if (st == WR_OK && !cbor_reader_at_end(r))
        st = WR_EINVAL;
    return st;
}

wr_status cose_sign1_parse(const uint8_t *in, size_t n, cose_sign1 *out)
{
    memset(out, 0, sizeof(*out));
    if (!in)
        return WR_EINVAL;
    cbor_reader r;
    cbor_reader_init(&r, in, n);
    wr_status st = parse_sign1(&r, out);
    if (st != WR_OK) {
        memset(out, 0, sizeof(*out));
        return malformed(st);
    }
    return WR_OK;
}

wr_status cose_sign1_verify(const cose_sign1 *msg, EVP_PKEY *key)
{
    int64_t key_alg;
    if (cose_key_alg(key, &key_alg) != WR_OK || key_alg != msg->alg)
        return WR_EKEY;
    uint8_t *tbs = NULL;
    size_t tbs_len = 0;
    wr_status st = sig_structure(msg->protected_bytes, msg->protected_len, msg->payload,
                                 msg->payload_len, &tbs, &tbs_len);
    if (st == WR_OK)
        st = cose_verify_bytes(key, msg->alg, tbs, tbs_len, msg->signature, msg->signature_len);
    free(tbs);
    return st;
}
