/* cose.h — COSE_Sign1 (RFC 9052) with Ed25519 (alg -8) and ES256 (alg -7) over OpenSSL 3,
 * plus the raw-key helpers the trust list and the code format need. */
#ifndef WELDREG_CORE_COSE_H
#define WELDREG_CORE_COSE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "core/status.h"

#define COSE_ALG_EDDSA        (-8)
#define COSE_ALG_ES256        (-7)
#define COSE_TAG_SIGN1        18
#define COSE_KID_LEN          8  /* our key id: the first 8 bytes of SHA-256(raw public key) */
#define COSE_SIG_LEN          64 /* Ed25519 signature, or ES256 r || s */
#define COSE_PUBKEY_MAX       65 /* P-256 uncompressed point; an Ed25519 key is 32 bytes */
#define COSE_ED25519_SEED_LEN 32
/* Bytes cose_sign1_create() adds around a payload of up to 65535 bytes. */
#define COSE_SIGN1_OVERHEAD (1 + 14 + 1 + 3 + 2 + COSE_SIG_LEN)

/* A parsed COSE_Sign1. Every pointer points into the buffer given to cose_sign1_parse(),
 * which must outlive this struct. */
typedef struct cose_sign1 {
    const uint8_t *protected_bytes; /* content of the protected bstr: the serialised map */
    size_t protected_len;
    int64_t alg;        /* from the protected header (required there) */
    const uint8_t *kid; /* from either header; NULL if there is none */
    size_t kid_len;
    const uint8_t *payload;
    size_t payload_len;
    const uint8_t *signature;
    size_t signature_len;
} cose_sign1;

/* The COSE algorithm of @p key: COSE_ALG_EDDSA for Ed25519, COSE_ALG_ES256 for a P-256 key;
 * WR_EKEY for any other key. */
wr_status cose_key_alg(EVP_PKEY *key, int64_t *alg);

/* The raw public key of @p key (32 bytes for Ed25519, the 65-byte uncompressed point for
 * P-256) into @p out; sets @p len. */
wr_status cose_key_raw_public(EVP_PKEY *key, uint8_t out[COSE_PUBKEY_MAX], size_t *len);

/* Our key id of @p key: the first COSE_KID_LEN bytes of SHA-256 of its raw public key. */
wr_status cose_key_id(EVP_PKEY *key, uint8_t kid[COSE_KID_LEN]);

/* Makes a public key for @p alg from its raw form (see cose_key_raw_public()). The point of a
 * P-256 key must be on the curve. On success the caller owns *out (EVP_PKEY_free). */
wr_status cose_key_from_raw_public(int64_t alg, const uint8_t *raw, size_t n, EVP_PKEY **out);

/* Makes an Ed25519 private key from its 32-byte seed (RFC 8032). OpenSSL keeps its own copy;
 * the caller still owns and wipes @p seed. The caller owns *out. */
wr_status cose_key_from_ed25519_seed(const uint8_t seed[COSE_ED25519_SEED_LEN], EVP_PKEY **out);

/* Generates a new key pair for @p alg. The caller owns *out. */
wr_status cose_key_generate(int64_t alg, EVP_PKEY **out);

/* Signs @p msg with @p key (Ed25519: pure EdDSA; P-256: ECDSA with SHA-256) and writes the
 * 64-byte COSE form of the signature (ES256: r || s, each 32 bytes big-endian). */
wr_status cose_sign_bytes(EVP_PKEY *key, const uint8_t *msg, size_t n, uint8_t sig[COSE_SIG_LEN]);

/* Verifies a COSE-form signature made by cose_sign_bytes(). WR_EKEY if @p alg is not the
 * algorithm of @p key, WR_ESIG if the signature does not verify. */
wr_status cose_verify_bytes(EVP_PKEY *key, int64_t alg, const uint8_t *msg, size_t n,
                            const uint8_t *sig, size_t sig_len);

/* Builds an untagged COSE_Sign1 (the application knows what it holds: tag 18 would only
 * cost a byte) over @p payload: protected header {1: alg, 4: kid}, empty
 * unprotected header, empty external_aad. Writes it to @p out and sets @p out_len. The result
 * is at most n + COSE_SIGN1_OVERHEAD bytes for n <= 65535; WR_ESPACE if @p cap is too small,
 * WR_EKEY if @p key is not an Ed25519 or P-256 private key. */
wr_status cose_sign1_create(EVP_PKEY *key, const uint8_t *payload, size_t n, uint8_t *out,
                            size_t cap, size_t *out_len);

/* Parses a COSE_Sign1, with or without tag 18, without verifying it. The protected header must
 * hold an integer alg; crit (label 2) is refused since we understand no critical header; alg
 * in the unprotected header is refused (it would not be signed); other labels are skipped. A
 * nil (detached) payload and trailing bytes are refused. WR_EINVAL or WR_ETRUNC on error. */
wr_status cose_sign1_parse(const uint8_t *in, size_t n, cose_sign1 *out);

/* Verifies @p msg with @p key: WR_EKEY if msg->alg is not the algorithm of the key, WR_ESIG if
 * the signature does not verify, WR_ENOMEM if the Sig_structure could not be built. */
wr_status cose_sign1_verify(const cose_sign1 *msg, EVP_PKEY *key);

#endif
