/* base45.c — RFC 9285 Base45 encoder and strict decoder. */
#include "core/base45.h"

static const char base45_alphabet[45] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

size_t base45_encoded_len(size_t n)
{
    return n / 2 * 3 + (n % 2) * 2;
}

wr_status base45_encode(const uint8_t *in, size_t n, char *out, size_t cap, size_t *out_len)
{
    if (out_len)
        *out_len = 0;
    if (!out || (!in && n > 0))
        return WR_EINVAL;
    if (n > (SIZE_MAX - 1) / 3 * 2 || cap < base45_encoded_len(n) + 1) {
        if (cap > 0)
            out[0] = '\0';
        return WR_ESPACE;
    }
    size_t o = 0;
    for (size_t i = 0; i < n; i += 2) {
        unsigned v = in[i];
        unsigned digits = 2;
        if (i + 1 < n) {
            v = v * 256 + in[i + 1];
            digits = 3;
        }
        for (unsigned d = 0; d < digits; d++) {
            out[o++] = base45_alphabet[v % 45];
            v /= 45;
        }
    }
    out[o] = '\0';
    if (out_len)
        *out_len = o;
    return WR_OK;
}

/* Value of @p c in the alphabet, or -1. */
static int base45_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'Z')
        return c - 'A' + 10;
    switch (c) {
    case ' ': return 36;
    case '$': return 37;
    case '%': return 38;
    case '*': return 39;
    case '+': return 40;
    case '-': return 41;
    case '.': return 42;
    case '/': return 43;
    case ':': return 44;
    default: return -1;
    }
}

/* Decodes the @p digits (2 or 3) characters at @p in, least significant first. */
static wr_status decode_group(const char *in, unsigned digits, unsigned *value)
{
    unsigned v = 0;
    for (unsigned d = digits; d-- > 0;) {
        int c = base45_value(in[d]);
        if (c < 0)
            return WR_EINVAL;
        v = v * 45 + (unsigned)c;
    }
    if (v > (digits == 3 ? 0xffffu : 0xffu))
        return WR_EINVAL;
    *value = v;
    return WR_OK;
}

wr_status base45_decode(const char *in, size_t n, uint8_t *out, size_t cap, size_t *out_len)
{
    *out_len = 0;
    if ((!in && n > 0) || n % 3 == 1)
        return WR_EINVAL;
    if (n == 0)
        return WR_OK;
    size_t need = n / 3 * 2 + (n % 3 == 2);
    if (!out || need > cap)
        return WR_ESPACE;
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        unsigned digits = n - i >= 3 ? 3 : 2;
        unsigned v;
        wr_status st = decode_group(in + i, digits, &v);
        if (st != WR_OK)
            return st;
        if (digits == 3)
            out[o++] = (uint8_t)(v >> 8);
        out[o++] = (uint8_t)(v & 0xff);
        i += digits;
    }
    *out_len = o;
    return WR_OK;
}
