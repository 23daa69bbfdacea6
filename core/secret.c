/* secret.c — AES-256-GCM through OpenSSL's EVP interface, and PSK generation. */
#include "core/secret.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <string.h>

static wr_status secret_gcm(int encrypt, const uint8_t *kek, const uint8_t *nonce,
                            const uint8_t *in, size_t len, const uint8_t *aad, size_t aad_len,
                            uint8_t *tag, uint8_t *out)
{
    wr_status status = WR_ECRYPTO;
    int outl = 0;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (!ctx)
        return WR_ENOMEM;
    if (len > INT32_MAX || aad_len > INT32_MAX)
        goto cleanup;
    if (EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, kek, nonce, encrypt) != 1)
        goto cleanup;
    if (aad_len && EVP_CipherUpdate(ctx, NULL, &outl, aad, (int)aad_len) != 1)
        goto cleanup;
    if (len && EVP_CipherUpdate(ctx, out, &outl, in, (int)len) != 1)
        goto cleanup;
    if (!encrypt && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, SECRET_TAG_LEN, tag) != 1)
        goto cleanup;
    if (EVP_CipherFinal_ex(ctx, out + len, &outl) != 1) {
        status = encrypt ? WR_ECRYPTO : WR_ESIG;
        goto cleanup;
    }
    if (encrypt && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, SECRET_TAG_LEN, tag) != 1)
        goto cleanup;
    status = WR_OK;
cleanup:
    EVP_CIPHER_CTX_free(ctx);
    return status;
}

wr_status secret_seal(const uint8_t kek[SECRET_KEK_LEN], const uint8_t *plain, size_t len,
                      const uint8_t *aad, size_t aad_len, uint8_t nonce[SECRET_NONCE_LEN],
                      uint8_t *out)
{
    if (RAND_bytes(nonce, SECRET_NONCE_LEN) != 1)
        return WR_ECRYPTO;
    return secret_gcm(1, kek, nonce, plain, len, aad, aad_len, out + len, out);
}

wr_status secret_open(const uint8_t kek[SECRET_KEK_LEN], const uint8_t nonce[SECRET_NONCE_LEN],
                      const uint8_t *sealed, size_t sealed_len, const uint8_t *aad, size_t aad_len,
                      uint8_t *out)
{
    if (sealed_len < SECRET_TAG_LEN)
        return WR_ETRUNC;
    size_t len = sealed_len - SECRET_TAG_LEN;
    uint8_t tag[SECRET_TAG_LEN];
    memcpy(tag, sealed + len, SECRET_TAG_LEN);
    wr_status status = secret_gcm(0, kek, nonce, sealed, len, aad, aad_len, tag, out);
    if (status != WR_OK)
        OPENSSL_cleanse(out, len);
    return status;
}

static const char secret_b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

wr_status secret_new_psk(char out[SECRET_PSK_LEN + 1])
{
    uint8_t raw[33]; /* 32 random bytes, padded to a multiple of 3 with a zero */
    if (RAND_bytes(raw, 32) != 1)
        return WR_ECRYPTO;
    raw[32] = 0;
    size_t k = 0;
    for (size_t i = 0; i < sizeof(raw); i += 3) {
        uint32_t v = (uint32_t)raw[i] << 16 | (uint32_t)raw[i + 1] << 8 | raw[i + 2];
        for (int shift = 18; shift >= 0 && k < SECRET_PSK_LEN; shift -= 6)
            out[k++] = secret_b64url[(v >> shift) & 63];
    }
    out[SECRET_PSK_LEN] = '\0';
    OPENSSL_cleanse(raw, sizeof(raw));
    return WR_OK;
}

int secret_psk_is_valid(const char *text, size_t len)
{
    if (len != SECRET_PSK_LEN)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!memchr(secret_b64url, text[i], sizeof(secret_b64url) - 1))
            return 0;
    return 1;
}
