/* codemsg.c — names of the code checks and the CBOR bodies of the code resources. */
#include "core/codemsg.h"

#include <stdio.h>
#include <string.h>

#include "core/cbor.h"

typedef struct check_entry {
    const char *name;
    const char *text;
    bool genuine; /* reached only when the signature verified (codemsg_check_genuine) */
} check_entry;

/* Indexed by codemsg_check. */
static const check_entry check_table[] = {
    [CODEMSG_OK] = {"ok", "the code is valid", true},
    [CODEMSG_MALFORMED] = {"malformed",
                           "the text is not a well-formed weldreg code (damaged or tampered with)",
                           false},
    [CODEMSG_UNKNOWN_KEY] =
        {"unknown_key",
         "the code is signed by a key that is not in the trust list (forged, or "
         "the trust list is out of date)",
         false},
    [CODEMSG_BAD_SIGNATURE] = {"bad_signature",
                               "the signature does not verify (tampered with or forged)", false},
    [CODEMSG_WRONG_TYPE] = {"wrong_type", "the signing key may not sign this type of code", false},
    [CODEMSG_KEY_WINDOW] = {"key_window",
                            "the code was issued outside the signing key's validity window", false},
    [CODEMSG_REVOKED] = {"revoked", "the code has been revoked", true},
    [CODEMSG_EXPIRED] = {"expired", "the code has expired", true},
    [CODEMSG_NOT_YET_VALID] = {"not_yet_valid", "the code is not valid yet (issued in the future)",
                               true},
    [CODEMSG_UNKNOWN_CODE] = {"unknown_code", "the platform has no record of this code", true},
    [CODEMSG_ERROR] = {"error", "the check could not be completed", false},
};

#define CHECK_COUNT (sizeof(check_table) / sizeof(check_table[0]))

const char *codemsg_check_name(codemsg_check check)
{
    return (size_t)check < CHECK_COUNT ? check_table[check].name : "error";
}

const char *codemsg_check_text(codemsg_check check)
{
    return (size_t)check < CHECK_COUNT ? check_table[check].text : check_table[CODEMSG_ERROR].text;
}

bool codemsg_check_genuine(codemsg_check check)
{
    return (size_t)check < CHECK_COUNT && check_table[check].genuine;
}

bool codemsg_check_parse(const char *name, size_t len, codemsg_check *out)
{
    for (size_t i = 0; i < CHECK_COUNT; i++) {
        if (strlen(check_table[i].name) == len && memcmp(check_table[i].name, name, len) == 0) {
            *out = (codemsg_check)i;
            return true;
        }
    }
    return false;
}

/* A known key refused the code: for its kind, or for the time it was issued. */
static codemsg_check classify_key(const char *text, size_t n, const trust_list *trust)
{
    code_parsed parsed;
    if (code_decode(text, n, &parsed) != WR_OK)
        return CODEMSG_MALFORMED;
    const trust_key *key = trust_list_find(trust, parsed.kid, sizeof(parsed.kid));
    if (!key || key->alg != parsed.alg)
        return CODEMSG_UNKNOWN_KEY;
    unsigned type = parsed.claims.kind == CODE_WELDER ? TRUST_TYPE_WELDER : TRUST_TYPE_MACHINE;
    return (key->types & type) ? CODEMSG_KEY_WINDOW : CODEMSG_WRONG_TYPE;
}

codemsg_check codemsg_classify(wr_status status, const char *text, size_t n,
                               const trust_list *trust)
{
    switch (status) {
    case WR_OK: return CODEMSG_OK;
    case WR_EINVAL:
    case WR_ETRUNC:
    case WR_ETYPE:
    case WR_ERANGE:
    case WR_EDEPTH: return CODEMSG_MALFORMED;
    case WR_EKEY: return classify_key(text, n, trust);
    case WR_ESIG: return CODEMSG_BAD_SIGNATURE;
    case WR_EREVOKED: return CODEMSG_REVOKED;
    case WR_EEXPIRED: return CODEMSG_EXPIRED;
    case WR_ENOTYET: return CODEMSG_NOT_YET_VALID;
    default: return CODEMSG_ERROR;
    }
}

static bool key_is(const char *key, size_t len, const char *want)
{
    return strlen(want) == len && memcmp(key, want, len) == 0;
}

static void set_why(char *why, size_t whylen, const char *message)
{
    if (why && whylen)
        snprintf(why, whylen, "%s", message);
}

/* ---- verify request ---- */

wr_status codemsg_encode_verify_request(const char *code, size_t n, uint8_t *out, size_t cap,
                                        size_t *len)
{
    cbor_writer w;
    cbor_writer_init(&w, out, cap);
    cbor_put_map(&w, 1);
    cbor_put_cstr(&w, "code");
    cbor_put_text(&w, code, n);
    *len = w.len;
    return cbor_writer_status(&w);
}

wr_status codemsg_decode_verify_request(const uint8_t *in, size_t n, const char **code,
                                        size_t *code_len, char *why, size_t whylen)
{
    cbor_reader r;
    size_t pairs;
    const char *key;
    size_t key_len;
    cbor_reader_init(&r, in, n);
    if (cbor_read_map(&r, &pairs) != WR_OK || pairs != 1) {
        set_why(why, whylen, "the body must be a CBOR map with the one key \"code\"");
        return WR_EINVAL;
    }
    if (cbor_read_text(&r, &key, &key_len) != WR_OK || !key_is(key, key_len, "code")) {
        set_why(why, whylen, "the body must be a CBOR map with the one key \"code\"");
        return WR_EINVAL;
    }
    if (cbor_read_text(&r, code, code_len) != WR_OK || *code_len == 0 ||
        *code_len > CODE_TEXT_MAX) {
        set_why(why, whylen, "field \"code\" must be a text of 1 to 613 characters");
        return WR_EINVAL;
    }
    if (!cbor_reader_at_end(&r)) {
        set_why(why, whylen, "unexpected bytes after the CBOR map");
        return WR_EINVAL;
    }
    return WR_OK;
}

/* ---- verdict ---- */

wr_status codemsg_encode_verdict(const codemsg_verdict *v, uint8_t *out, size_t cap, size_t *len)
{
    cbor_writer w;
    cbor_writer_init(&w, out, cap);
    cbor_put_map(&w, 5);
    cbor_put_cstr(&w, "valid");
    cbor_put_bool(&w, v->valid);
    cbor_put_cstr(&w, "check");
    cbor_put_cstr(&w, codemsg_check_name(v->check));
    cbor_put_cstr(&w, "record");
    cbor_put_cstr(&w, v->record);
    cbor_put_cstr(&w, "subject");
    cbor_put_cstr(&w, v->subject);
    cbor_put_cstr(&w, "rev");
    cbor_put_uint(&w, v->revocation_version);
    *len = w.len;
    return cbor_writer_status(&w);
}

/* Reads a word of 1 to CODEMSG_WORD_MAX characters of [a-z_] into @p out. */
static wr_status read_word(cbor_reader *r, char out[CODEMSG_WORD_MAX + 1])
{
    const char *s;
    size_t len;
    wr_status st = cbor_read_text(r, &s, &len);
    if (st != WR_OK)
        return st;
    if (len == 0 || len > CODEMSG_WORD_MAX)
        return WR_EINVAL;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '_'))
            return WR_EINVAL;
    memcpy(out, s, len);
    out[len] = '\0';
    return WR_OK;
}

/* Records @p bit in @p seen; false if the key came before (a key twice is refused). */
static bool mark_seen(unsigned *seen, unsigned bit)
{
    if (*seen & bit)
        return false;
    *seen |= bit;
    return true;
}

enum { SEEN_VALID = 1, SEEN_CHECK = 2, SEEN_RECORD = 4, SEEN_SUBJECT = 8, SEEN_REV = 16 };

static wr_status read_verdict_value(cbor_reader *r, const char *key, size_t len,
                                    codemsg_verdict *out, unsigned *seen)
{
    char word[CODEMSG_WORD_MAX + 1];
    wr_status st;
    if (key_is(key, len, "valid")) {
        if (!mark_seen(seen, SEEN_VALID))
            return WR_EINVAL;
        return cbor_read_bool(r, &out->valid);
    }
    if (key_is(key, len, "check")) {
        if (!mark_seen(seen, SEEN_CHECK))
            return WR_EINVAL;
        st = read_word(r, word);
        if (st == WR_OK && !codemsg_check_parse(word, strlen(word), &out->check))
            st = WR_EINVAL;
        return st;
    }
    if (key_is(key, len, "record")) {
        if (!mark_seen(seen, SEEN_RECORD))
            return WR_EINVAL;
        return read_word(r, out->record);
    }
    if (key_is(key, len, "subject")) {
        if (!mark_seen(seen, SEEN_SUBJECT))
            return WR_EINVAL;
        return read_word(r, out->subject);
    }
    if (key_is(key, len, "rev")) {
        if (!mark_seen(seen, SEEN_REV))
            return WR_EINVAL;
        return cbor_read_uint(r, &out->revocation_version);
    }
    return cbor_skip(r);
}

wr_status codemsg_decode_verdict(const uint8_t *in, size_t n, codemsg_verdict *out)
{
    cbor_reader r;
    size_t pairs;
    unsigned seen = 0;
    memset(out, 0, sizeof(*out));
    cbor_reader_init(&r, in, n);
    wr_status st = cbor_read_map(&r, &pairs);
    for (size_t i = 0; st == WR_OK && i < pairs; i++) {
        const char *key;
        size_t key_len;
        st = cbor_read_text(&r, &key, &key_len);
        if (st == WR_OK)
            st = read_verdict_value(&r, key, key_len, out, &seen);
    }
    if (st == WR_OK && (seen != 31 || !cbor_reader_at_end(&r)))
        st = WR_EINVAL;
    if (st != WR_OK)
        memset(out, 0, sizeof(*out));
    return st;
}

/* ---- revocations ---- */

size_t codemsg_revocations_size(size_t count)
{
    /* map head, three keys, version (9), full (1), bstr head (9) and the ids */
    return 1 + 8 + 5 + 5 + 9 + 1 + 9 + count * TRUST_CTI_LEN;
}

wr_status codemsg_encode_revocations(const codemsg_revocations *r, uint8_t *out, size_t cap,
                                     size_t *len)
{
    cbor_writer w;
    cbor_writer_init(&w, out, cap);
    cbor_put_map(&w, 3);
    cbor_put_cstr(&w, "version");
    cbor_put_uint(&w, r->version);
    cbor_put_cstr(&w, "full");
    cbor_put_bool(&w, r->full);
    cbor_put_cstr(&w, "ctis");
    cbor_put_bytes(&w, r->ctis, r->count * TRUST_CTI_LEN);
    *len = w.len;
    return cbor_writer_status(&w);
}

static wr_status read_ctis(cbor_reader *r, codemsg_revocations *out)
{
    size_t len;
    wr_status st = cbor_read_bytes(r, &out->ctis, &len);
    if (st != WR_OK)
        return st;
    if (len % TRUST_CTI_LEN != 0 || len / TRUST_CTI_LEN > CODEMSG_REVOCATIONS_MAX)
        return WR_EINVAL;
    out->count = len / TRUST_CTI_LEN;
    return WR_OK;
}

wr_status codemsg_decode_revocations(const uint8_t *in, size_t n, codemsg_revocations *out)
{
    cbor_reader r;
    size_t pairs;
    unsigned seen = 0;
    memset(out, 0, sizeof(*out));
    cbor_reader_init(&r, in, n);
    wr_status st = cbor_read_map(&r, &pairs);
    for (size_t i = 0; st == WR_OK && i < pairs; i++) {
        const char *key;
        size_t key_len;
        st = cbor_read_text(&r, &key, &key_len);
        if (st != WR_OK)
            break;
        if (key_is(key, key_len, "version")) {
            st = mark_seen(&seen, 1) ? cbor_read_uint(&r, &out->version) : WR_EINVAL;
        } else if (key_is(key, key_len, "full")) {
            st = mark_seen(&seen, 2) ? cbor_read_bool(&r, &out->full) : WR_EINVAL;
        } else if (key_is(key, key_len, "ctis")) {
            st = mark_seen(&seen, 4) ? read_ctis(&r, out) : WR_EINVAL;
        } else {
            st = cbor_skip(&r);
        }
    }
    if (st == WR_OK && (seen != 7 || !cbor_reader_at_end(&r)))
        st = WR_EINVAL;
    if (st != WR_OK)
        memset(out, 0, sizeof(*out));
    return st;
}
