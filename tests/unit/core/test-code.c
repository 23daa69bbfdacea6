/* test-code.c — weldreg codes: issue, decode and verify, each distinct failure, the issuing
 * rules and masking. The sizes of worst-case codes and their QR versions are checked with
 * libqrencode in tests/unit/tag-reader/test-codeview.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/base45.h"
#include "core/cbor.h"
#include "core/code.h"

#define NOW      1750000000u
#define DAY      86400u
#define TEXT_CAP (CODE_TEXT_MAX + 1)

typedef struct fixture {
    EVP_PKEY *machine_key; /* Ed25519, machine codes only */
    EVP_PKEY *welder_key;  /* ES256, welder codes only */
    EVP_PKEY *old_key;     /* Ed25519, both kinds, window ended before NOW */
    EVP_PKEY *unknown_key; /* not in the trust list */
    trust_list *trust;
} fixture;

static int setup(void **state)
{
    static fixture f;
    char text[2048], line[256];
    if (cose_key_generate(COSE_ALG_EDDSA, &f.machine_key) ||
        cose_key_generate(COSE_ALG_ES256, &f.welder_key) ||
        cose_key_generate(COSE_ALG_EDDSA, &f.old_key) ||
        cose_key_generate(COSE_ALG_EDDSA, &f.unknown_key))
        return -1;
    text[0] = '\0';
    struct {
        EVP_PKEY *key;
        uint64_t nb, na;
        unsigned types;
    } keys[] = {
        {f.machine_key, NOW - 100 * DAY, NOW + 100 * DAY, TRUST_TYPE_MACHINE},
        {f.welder_key, NOW - 100 * DAY, NOW + 100 * DAY, TRUST_TYPE_WELDER},
        {f.old_key, NOW - 300 * DAY, NOW - 200 * DAY, TRUST_TYPE_MACHINE | TRUST_TYPE_WELDER},
    };
    for (size_t i = 0; i < 3; i++) {
        if (trust_format_key(keys[i].key, keys[i].nb, keys[i].na, keys[i].types, line,
                             sizeof(line)) != WR_OK)
            return -1;
        strcat(text, line);
    }
    trust_error err;
    if (trust_list_parse(text, strlen(text), &f.trust, &err) != WR_OK)
        return -1;
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    EVP_PKEY_free(f->machine_key);
    EVP_PKEY_free(f->welder_key);
    EVP_PKEY_free(f->old_key);
    EVP_PKEY_free(f->unknown_key);
    trust_list_destroy(f->trust);
    return 0;
}

static code_claims machine_claims(void)
{
    code_claims c;
    memset(&c, 0, sizeof(c));
    c.kind = CODE_MACHINE;
    strcpy(c.iss, "jn");
    c.iat = NOW;
    c.exp = NOW + 365 * DAY;
    memset(c.cti, 0xa5, sizeof(c.cti));
    strcpy(c.chip, "WM-3701-42");
    c.ent = 4217;
    c.cat = CODE_CAT_FUSION;
    return c;
}

static code_claims welder_claims(void)
{
    code_claims c;
    memset(&c, 0, sizeof(c));
    c.kind = CODE_WELDER;
    strcpy(c.iss, "jn");
    c.iat = NOW;
    c.exp = NOW + 180 * DAY;
    memset(c.cti, 0x5a, sizeof(c.cti));
    strcpy(c.lic, "T**************1234");
    c.cats = CODE_CAT_FUSION | CODE_CAT_BRAZING;
    c.lvu = NOW + 900 * DAY;
    strcpy(c.nm, "\xe5\xbc\xa0*"); /* 张* */
    return c;
}

static void issue(const code_claims *c, EVP_PKEY *key, char out[TEXT_CAP])
{
    assert_int_equal(code_issue(c, key, out, TEXT_CAP), WR_OK);
}

static void assert_claims_equal(const code_claims *a, const code_claims *b)
{
    assert_int_equal(a->kind, b->kind);
    assert_string_equal(a->iss, b->iss);
    assert_int_equal(a->iat, b->iat);
    assert_int_equal(a->exp, b->exp);
    assert_memory_equal(a->cti, b->cti, CODE_CTI_LEN);
    if (a->kind == CODE_MACHINE) {
        assert_string_equal(a->chip, b->chip);
        assert_int_equal(a->ent, b->ent);
        assert_int_equal(a->cat, b->cat);
    } else {
        assert_string_equal(a->lic, b->lic);
        assert_int_equal(a->cats, b->cats);
        assert_int_equal(a->lvu, b->lvu);
        assert_string_equal(a->nm, b->nm);
    }
}

/* ---- Round trips -------------------------------------------------------------------------- */

static void test_machine_round_trip(void **state)
{
    fixture *f = *state;
    code_claims c = machine_claims(), out;
    char text[TEXT_CAP];
    issue(&c, f->machine_key, text);
    assert_memory_equal(text, "WR3:", 4);
    code_parsed parsed;
    assert_int_equal(code_decode(text, strlen(text), &parsed), WR_OK);
    assert_claims_equal(&parsed.claims, &c);
    assert_int_equal(parsed.alg, COSE_ALG_EDDSA);
    uint8_t kid[COSE_KID_LEN];
    assert_int_equal(cose_key_id(f->machine_key, kid), WR_OK);
    assert_memory_equal(parsed.kid, kid, COSE_KID_LEN);
    memset(&out, 0, sizeof(out));
    assert_int_equal(code_verify(text, strlen(text), f->trust, NULL, NOW, &out), WR_OK);
    assert_claims_equal(&out, &c);
    assert_int_equal(code_verify(text, strlen(text), f->trust, NULL, NOW, NULL), WR_OK);
}

static void test_welder_round_trip(void **state)
{
    fixture *f = *state;
    code_claims c = welder_claims(), out;
    char text[TEXT_CAP];
    issue(&c, f->welder_key, text);
    code_parsed parsed;
    assert_int_equal(code_decode(text, strlen(text), &parsed), WR_OK);
    assert_claims_equal(&parsed.claims, &c);
    assert_int_equal(parsed.alg, COSE_ALG_ES256);
    assert_int_equal(code_verify(text, strlen(text), f->trust, NULL, NOW, &out), WR_OK);
    assert_claims_equal(&out, &c);
    /* A NUL after the text is not part of it: n counts. */
    assert_int_equal(code_verify(text, strlen(text) + 1, f->trust, NULL, NOW, &out), WR_EINVAL);
}

/* ---- Each verification failure ----------------------------------------------------------- */

static void test_verify_failures(void **state)
{
    fixture *f = *state;
    char text[TEXT_CAP];
    code_claims c = machine_claims(), out;
    memset(&out, 0x11, sizeof(out));
    const code_claims untouched = out;

    issue(&c, f->unknown_key, text);
    assert_int_equal(code_verify(text, strlen(text), f->trust, NULL, NOW, &out), WR_EKEY);
    assert_int_equal(code_verify(text, strlen(text), NULL, NULL, NOW, &out), WR_EKEY);

    issue(&c, f->welder_key, text); /* welder-only key signing a machine code */
    assert_int_equal(code_verify(text, strlen(text), f->trust, NULL, NOW, &out), WR_EKEY);

    issue(&c, f->old_key, text); /* iat after the key's window */
    assert_int_equal(code_verify(text, strlen(text), f->trust, NULL, NOW, &out), WR_EKEY);
    c.iat = NOW - 250 * DAY; /* inside it: still fine, codes outlive their key's window */
    c.exp = NOW + 100 * DAY;
    issue(&c, f->old_key, text);
    assert_int_equal(code_verify(text, strlen(text), f->trust, NULL, NOW, NULL), WR_OK);

    c = machine_claims();
    issue(&c, f->machine_key, text);
    assert_int_equal(code_verify(text, strlen(text), f->trust, NULL, c.exp, &out), WR_EEXPIRED);
    assert_int_equal(code_verify(text, strlen(text), f->trust, NULL, c.exp - 1, NULL), WR_OK);
    assert_int_equal(code_verify(text, strlen(text), f->trust, NULL, NOW - CODE_CLOCK_SKEW, NULL),
                     WR_OK);
    assert_int_equal(
        code_verify(text, strlen(text), f->trust, NULL, NOW - CODE_CLOCK_SKEW - 1, &out),
        WR_ENOTYET);

    char revoked_text[128];
    snprintf(revoked_text, sizeof(revoked_text), "version 3\n0000000000000001\n%s\n",
             "a5a5a5a5a5a5a5a5");
    revocation_list *revoked = NULL;
    assert_int_equal(trust_revocations_parse(revoked_text, strlen(revoked_text), &revoked, NULL),
                     WR_OK);
    assert_int_equal(code_verify(text, strlen(text), f->trust, revoked, NOW, &out), WR_EREVOKED);
    /* Revocation is reported before expiry. */
    assert_int_equal(code_verify(text, strlen(text), f->trust, revoked, c.exp + 1, &out),
                     WR_EREVOKED);
    code_claims w = welder_claims();
    issue(&w, f->welder_key, text);
    assert_int_equal(code_verify(text, strlen(text), f->trust, revoked, NOW, NULL), WR_OK);
    trust_revocations_destroy(revoked);

    assert_memory_equal(&out, &untouched, sizeof(out)); /* never written on failure */
}

/* Re-encodes @p parsed's COSE bytes as a code text. */
static void reencode(const uint8_t *cose, size_t len, char out[TEXT_CAP])
{
    memcpy(out, CODE_PREFIX, CODE_PREFIX_LEN);
    assert_int_equal(
        base45_encode(cose, len, out + CODE_PREFIX_LEN, TEXT_CAP - CODE_PREFIX_LEN, NULL), WR_OK);
}

static void test_bad_signature(void **state)
{
    fixture *f = *state;
    EVP_PKEY *keys[] = {f->machine_key, f->welder_key};
    for (size_t k = 0; k < 2; k++) {
        code_claims c = k == 0 ? machine_claims() : welder_claims();
        char text[TEXT_CAP];
        issue(&c, keys[k], text);
        code_parsed parsed;
        assert_int_equal(code_decode(text, strlen(text), &parsed), WR_OK);
        /* Flip a byte of the signature, then of the payload (the cti), then of the kid's alg
         * neighbour in the protected header is covered by test-cose. */
        parsed.cose[parsed.cose_len - 1] ^= 0x40;
        reencode(parsed.cose, parsed.cose_len, text);
        assert_int_equal(code_verify(text, strlen(text), f->trust, NULL, NOW, NULL), WR_ESIG);
        parsed.cose[parsed.cose_len - 1] ^= 0x40;
        uint8_t *cti = memmem(parsed.cose, parsed.cose_len, c.cti, CODE_CTI_LEN);
        assert_non_null(cti);
        cti[3] ^= 1;
        reencode(parsed.cose, parsed.cose_len, text);
        assert_int_equal(code_verify(text, strlen(text), f->trust, NULL, NOW, NULL), WR_ESIG);
    }
}

/* ---- The cache of verified texts ---------------------------------------------------------- */

static void assert_counts(const code_cache *cache, uint64_t hits, uint64_t misses)
{
    uint64_t h, m;
    code_cache_counts(cache, &h, &m);
    assert_int_equal(h, hits);
    assert_int_equal(m, misses);
}

/* A hit skips the signature only: the same answers as code_verify() at any time. */
static void test_cache_answers_as_verify(void **state)
{
    fixture *f = *state;
    code_cache *cache = code_cache_new(64);
    assert_non_null(cache);
    code_claims c = welder_claims(), out, again;
    char text[TEXT_CAP];
    issue(&c, f->welder_key, text);
    size_t n = strlen(text);
    assert_int_equal(code_verify_cached(cache, text, n, f->trust, NULL, NOW, &out), WR_OK);
    assert_int_equal(code_verify_cached(cache, text, n, f->trust, NULL, NOW, &again), WR_OK);
    assert_counts(cache, 1, 1);
    assert_claims_equal(&out, &c);
    assert_claims_equal(&again, &c);
    /* expiry, the clock and revocation are checked at every use */
    assert_int_equal(code_verify_cached(cache, text, n, f->trust, NULL, c.exp, NULL), WR_EEXPIRED);
    assert_int_equal(
        code_verify_cached(cache, text, n, f->trust, NULL, NOW - CODE_CLOCK_SKEW - 1, NULL),
        WR_ENOTYET);
    char revoked_text[128];
    snprintf(revoked_text, sizeof(revoked_text), "version 1\n%s\n", "5a5a5a5a5a5a5a5a");
    revocation_list *revoked = NULL;
    assert_int_equal(trust_revocations_parse(revoked_text, strlen(revoked_text), &revoked, NULL),
                     WR_OK);
    assert_int_equal(code_verify_cached(cache, text, n, f->trust, revoked, NOW, NULL), WR_EREVOKED);
    trust_revocations_destroy(revoked);
    assert_counts(cache, 4, 1);
    /* a list without the key: refused before the cache is asked */
    assert_int_equal(code_verify_cached(cache, text, n, NULL, NULL, NOW, NULL), WR_EKEY);
    assert_counts(cache, 4, 1);
    code_cache_free(cache);
}

/* A text that failed is never remembered; a text is only matched byte for byte. */
static void test_cache_keeps_only_verified(void **state)
{
    fixture *f = *state;
    code_cache *cache = code_cache_new(64);
    code_claims c = machine_claims();
    char text[TEXT_CAP], forged[TEXT_CAP];
    issue(&c, f->machine_key, text);
    code_parsed parsed;
    assert_int_equal(code_decode(text, strlen(text), &parsed), WR_OK);
    parsed.cose[parsed.cose_len - 1] ^= 0x40;
    reencode(parsed.cose, parsed.cose_len, forged);
    for (int i = 0; i < 3; i++)
        assert_int_equal(
            code_verify_cached(cache, forged, strlen(forged), f->trust, NULL, NOW, NULL), WR_ESIG);
    assert_counts(cache, 0, 3);
    assert_int_equal(code_verify_cached(cache, text, strlen(text), f->trust, NULL, NOW, NULL),
                     WR_OK);
    assert_int_equal(code_verify_cached(cache, forged, strlen(forged), f->trust, NULL, NOW, NULL),
                     WR_ESIG);
    assert_counts(cache, 0, 5);
    code_cache_free(cache);
}

/* Another trust list, or another text in the same slot, verifies again. */
static void test_cache_forgets(void **state)
{
    fixture *f = *state;
    code_cache *cache = code_cache_new(1);
    code_claims a = machine_claims(), b = machine_claims();
    b.ent = 99;
    char ta[TEXT_CAP], tb[TEXT_CAP];
    issue(&a, f->machine_key, ta);
    issue(&b, f->machine_key, tb);
    assert_int_equal(code_verify_cached(cache, ta, strlen(ta), f->trust, NULL, NOW, NULL), WR_OK);
    assert_int_equal(code_verify_cached(cache, tb, strlen(tb), f->trust, NULL, NOW, NULL), WR_OK);
    assert_int_equal(code_verify_cached(cache, ta, strlen(ta), f->trust, NULL, NOW, NULL), WR_OK);
    assert_counts(cache, 0, 3);
    assert_int_equal(code_verify_cached(cache, ta, strlen(ta), f->trust, NULL, NOW, NULL), WR_OK);
    assert_counts(cache, 1, 3);
    char line[256];
    assert_int_equal(trust_format_key(f->machine_key, NOW - DAY, NOW + DAY, TRUST_TYPE_MACHINE,
                                      line, sizeof(line)),
                     WR_OK);
    trust_list *other = NULL;
    trust_error err;
    assert_int_equal(trust_list_parse(line, strlen(line), &other, &err), WR_OK);
    assert_int_equal(code_verify_cached(cache, ta, strlen(ta), other, NULL, NOW, NULL), WR_OK);
    assert_counts(cache, 1, 4);
    trust_list_destroy(other);
    code_cache_free(cache);
    assert_null(code_cache_new(0));
    assert_null(code_cache_new(((size_t)1 << 24) + 1));
    code_cache_free(NULL);
}

/* No single-character change of a code text verifies. */
static void test_every_character_change_fails(void **state)
{
    fixture *f = *state;
    const char *alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
    code_claims c = machine_claims();
    char text[TEXT_CAP], copy[TEXT_CAP];
    issue(&c, f->machine_key, text);
    size_t n = strlen(text);
    memcpy(copy, text, n + 1);
    for (size_t pos = 0; pos < n; pos++) {
        for (const char *a = alphabet; *a; a++) {
            if (*a == text[pos])
                continue;
            copy[pos] = *a;
            assert_int_not_equal(code_verify(copy, n, f->trust, NULL, NOW, NULL), WR_OK);
        }
        copy[pos] = text[pos];
    }
    assert_int_equal(code_verify(copy, n, f->trust, NULL, NOW, NULL), WR_OK);
}

/* ---- Malformed codes --------------------------------------------------------------------- */

static void test_malformed_text(void **state)
{
    fixture *f = *state;
    code_claims c = welder_claims();
    char text[TEXT_CAP];
    issue(&c, f->welder_key, text);
    size_t n = strlen(text);
    code_parsed parsed;
    for (size_t len = 0; len < n; len++) {
        assert_int_equal(code_decode(text, len, &parsed), WR_EINVAL);
        assert_int_equal(code_verify(text, len, f->trust, NULL, NOW, NULL), WR_EINVAL);
    }
    const char *bad[] = {"",
                         "WR3",
                         "WR3:",
                         "WR1:"
                         "BB8",
                         "wr3:BB8",
                         "WR3:bb8",
                         "WR3:GGW",
                         "WR3:\xe5\xbc\xa0"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(code_verify(bad[i], strlen(bad[i]), f->trust, NULL, NOW, NULL), WR_EINVAL);
    memcpy(text, "WR1:", 4); /* the first format, with text keys: refused */
    assert_int_equal(code_decode(text, n, &parsed), WR_EINVAL);
    memcpy(text, "WR2:", 4); /* the second, with 16-byte code ids: refused */
    assert_int_equal(code_decode(text, n, &parsed), WR_EINVAL);
    assert_int_equal(code_decode(NULL, 0, &parsed), WR_EINVAL);

    char long_text[CODE_TEXT_MAX + 8];
    memset(long_text, '0', sizeof(long_text));
    memcpy(long_text, CODE_PREFIX, CODE_PREFIX_LEN);
    assert_int_equal(code_decode(long_text, sizeof(long_text), &parsed), WR_EINVAL);
}

/* Ways to spoil a hand-built claims map that is otherwise identical to what code_issue() makes. */
enum mutation {
    M_NONE,
    M_EXTRA_CLAIM,
    M_MISSING_CTI,
    M_DUPLICATE_IAT,
    M_UNMASKED_LICENCE,
    M_FULL_NAME,
    M_KIND_2,
    M_MACHINE_KIND,
    M_NO_CATEGORY,
    M_UNKNOWN_CATEGORY,
    M_TEXT_CATEGORIES,
    M_EXTRA_ITEM,
    M_PRIVATE_MAP,
    M_SHORT_CTI,
    M_TEXT_IAT,
    M_TRAILING_BYTE,
    M_NEGATIVE_EXP,
    M_COUNT
};

static void write_welder_private(enum mutation m, const code_claims *c, cbor_writer *w)
{
    if (m == M_PRIVATE_MAP) {
        cbor_put_map(w, 1);
        cbor_put_uint(w, 0);
        cbor_put_uint(w, 1);
        return;
    }
    cbor_put_array(w, 4 + (m == M_EXTRA_ITEM));
    cbor_put_uint(w, m == M_KIND_2 ? 2 : m == M_MACHINE_KIND ? 0 : 1);
    if (m == M_TEXT_CATEGORIES)
        cbor_put_cstr(w, "fusion");
    else
        cbor_put_uint(w, m == M_NO_CATEGORY ? 0 : m == M_UNKNOWN_CATEGORY ? 8 : c->cats);
    cbor_put_uint(w, c->lvu);
    cbor_put_cstr(w, m == M_FULL_NAME ? "\xe5\xbc\xa0\xe4\xb8\x89" : c->nm);
    if (m == M_EXTRA_ITEM)
        cbor_put_uint(w, 0);
}

static size_t write_welder_claims(enum mutation m, uint8_t *buf, size_t cap)
{
    code_claims c = welder_claims();
    cbor_writer w;
    cbor_writer_init(&w, buf, cap);
    cbor_put_map(&w, 6 + (m == M_EXTRA_CLAIM) - (m == M_MISSING_CTI) + (m == M_DUPLICATE_IAT));
    cbor_put_uint(&w, 1);
    cbor_put_cstr(&w, c.iss);
    cbor_put_uint(&w, 2);
    cbor_put_cstr(&w, m == M_UNMASKED_LICENCE ? "T410102199001011234" : c.lic);
    cbor_put_uint(&w, 4);
    if (m == M_NEGATIVE_EXP)
        cbor_put_int(&w, -5);
    else
        cbor_put_uint(&w, c.exp);
    cbor_put_uint(&w, 6);
    if (m == M_TEXT_IAT)
        cbor_put_cstr(&w, "now");
    else
        cbor_put_uint(&w, c.iat);
    if (m == M_DUPLICATE_IAT) {
        cbor_put_uint(&w, 6);
        cbor_put_uint(&w, c.iat);
    }
    if (m != M_MISSING_CTI) {
        cbor_put_uint(&w, 7);
        cbor_put_bytes(&w, c.cti, m == M_SHORT_CTI ? CODE_CTI_LEN - 1 : CODE_CTI_LEN);
    }
    if (m == M_EXTRA_CLAIM) {
        cbor_put_uint(&w, 3); /* aud */
        cbor_put_cstr(&w, "x");
    }
    cbor_put_int(&w, CODE_CLAIM_WELDREG);
    write_welder_private(m, &c, &w);
    if (m == M_TRAILING_BYTE)
        cbor_put_null(&w);
    assert_int_equal(cbor_writer_status(&w), WR_OK);
    return w.len;
}

static void test_signed_but_malformed_claims(void **state)
{
    fixture *f = *state;
    for (int m = M_NONE; m < M_COUNT; m++) {
        uint8_t payload[CODE_PAYLOAD_MAX], cose[CODE_COSE_MAX];
        size_t n = write_welder_claims((enum mutation)m, payload, sizeof(payload)), cose_len;
        assert_int_equal(
            cose_sign1_create(f->welder_key, payload, n, cose, sizeof(cose), &cose_len), WR_OK);
        char text[TEXT_CAP];
        reencode(cose, cose_len, text);
        code_parsed parsed;
        code_claims out;
        wr_status want = m == M_NONE ? WR_OK : WR_EINVAL;
        assert_int_equal(code_decode(text, strlen(text), &parsed), want);
        assert_int_equal(code_verify(text, strlen(text), f->trust, NULL, NOW, &out), want);
        if (m == M_NONE) {
            code_claims c = welder_claims();
            assert_claims_equal(&out, &c);
            char issued[TEXT_CAP];
            issue(&c, f->welder_key, issued);
            code_parsed p2;
            assert_int_equal(code_decode(issued, strlen(issued), &p2), WR_OK);
            /* Our hand-built map is byte for byte what code_issue() signs. */
            cose_sign1 a, b;
            assert_int_equal(cose_sign1_parse(p2.cose, p2.cose_len, &a), WR_OK);
            assert_int_equal(cose_sign1_parse(cose, cose_len, &b), WR_OK);
            assert_int_equal(a.payload_len, b.payload_len);
            assert_memory_equal(a.payload, b.payload, a.payload_len);
        }
    }
}

/* ---- Chip ids ---------------------------------------------------------------------------- */

/* Chip ids of digits only (IMEI, ICCID) are packed and come back as they were, leading zeros
 * too; other ids are text. */
static void test_machine_chip_ids(void **state)
{
    fixture *f = *state;
    const char *ids[] = {"0",
                         "7",
                         "00",
                         "0012",
                         "86",
                         "490154203237518" /* IMEI */,
                         "8986031234567890123" /* ICCID, 19 digits */,
                         "89860312345678901234" /* ICCID, 20 digits */,
                         "00000000000000000000",
                         "99999999999999999999",
                         "WR-C-0001",
                         "A",
                         "1-2"};
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        code_claims c = machine_claims(), out;
        strcpy(c.chip, ids[i]);
        char text[TEXT_CAP];
        issue(&c, f->machine_key, text);
        assert_int_equal(code_verify(text, strlen(text), f->trust, NULL, NOW, &out), WR_OK);
        assert_string_equal(out.chip, ids[i]);
    }
}

/* The worst case the format allows fills the machine code's QR version 10-Q exactly: a
 * 12-character issuer, a 20-digit chip id, the largest enterprise number and times. */
static void test_machine_worst_case_fits(void **state)
{
    fixture *f = *state;
    code_claims c = machine_claims();
    strcpy(c.iss, "abcdefghijkl");
    strcpy(c.chip, "99999999999999999999");
    c.ent = CODE_ENT_MAX;
    c.exp = CODE_TIME_MAX;
    c.iat = c.exp - CODE_MACHINE_MAX_LIFETIME;
    char text[TEXT_CAP];
    issue(&c, f->machine_key, text);
    code_parsed parsed;
    assert_int_equal(code_decode(text, strlen(text), &parsed), WR_OK);
    assert_claims_equal(&parsed.claims, &c);
    assert_int_equal(parsed.cose_len, CODE_MACHINE_COSE_MAX);
    assert_true(strlen(text) <= CODE_MACHINE_QR_CAPACITY);
    /* a chip id that is not all digits takes a byte a character */
    strcpy(c.chip, "9999999999999999999A");
    assert_int_equal(code_issue(&c, f->machine_key, text, sizeof(text)), WR_ETOOBIG);
    strcpy(c.chip, "99999999A");
    issue(&c, f->machine_key, text);
}

/* Ways to spoil a hand-built machine claims map. */
enum machine_mutation {
    MM_NONE,
    MM_SUB,          /* a sub claim besides the chip id */
    MM_OLD_ARRAY,    /* [0, cat, ent], format 2 */
    MM_DIGITS_TEXT,  /* an all-digit chip id as text: it has one form, packed */
    MM_LEADING_ZERO, /* packed with a leading zero byte */
    MM_NO_LEADING_1, /* packed, but the number does not start with 1 */
    MM_ONLY_1,       /* packed "1": no digits */
    MM_TOO_LONG,     /* 10 bytes */
    MM_LOWER_TEXT,   /* text outside [0-9A-Z-] */
    MM_COUNT
};

static size_t write_machine_claims(enum machine_mutation m, uint8_t *buf, size_t cap)
{
    code_claims c = machine_claims();
    static const uint8_t packed_12[] = {0x70};     /* 112: chip "12" */
    static const uint8_t zero_12[] = {0x00, 0x70}; /* with a leading zero byte */
    static const uint8_t packed_25[] = {0x19};     /* 25: no leading 1 */
    static const uint8_t packed_1[] = {0x01};      /* 1: no digits */
    static const uint8_t ten[10] = {0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    cbor_writer w;
    cbor_writer_init(&w, buf, cap);
    cbor_put_map(&w, 5 + (m == MM_SUB));
    cbor_put_uint(&w, 1);
    cbor_put_cstr(&w, c.iss);
    if (m == MM_SUB) {
        cbor_put_uint(&w, 2);
        cbor_put_cstr(&w, "12");
    }
    cbor_put_uint(&w, 4);
    cbor_put_uint(&w, c.exp);
    cbor_put_uint(&w, 6);
    cbor_put_uint(&w, c.iat);
    cbor_put_uint(&w, 7);
    cbor_put_bytes(&w, c.cti, CODE_CTI_LEN);
    cbor_put_int(&w, CODE_CLAIM_WELDREG);
    cbor_put_array(&w, m == MM_OLD_ARRAY ? 3 : 4);
    cbor_put_uint(&w, 0);
    cbor_put_uint(&w, c.cat);
    cbor_put_uint(&w, c.ent);
    switch (m) {
    case MM_OLD_ARRAY: break;
    case MM_DIGITS_TEXT: cbor_put_cstr(&w, "12"); break;
    case MM_LEADING_ZERO: cbor_put_bytes(&w, zero_12, sizeof(zero_12)); break;
    case MM_NO_LEADING_1: cbor_put_bytes(&w, packed_25, sizeof(packed_25)); break;
    case MM_ONLY_1: cbor_put_bytes(&w, packed_1, sizeof(packed_1)); break;
    case MM_TOO_LONG: cbor_put_bytes(&w, ten, sizeof(ten)); break;
    case MM_LOWER_TEXT: cbor_put_cstr(&w, "wr-1"); break;
    default: cbor_put_bytes(&w, packed_12, sizeof(packed_12)); break;
    }
    assert_int_equal(cbor_writer_status(&w), WR_OK);
    return w.len;
}

static void test_signed_but_malformed_machine_claims(void **state)
{
    fixture *f = *state;
    for (int m = MM_NONE; m < MM_COUNT; m++) {
        uint8_t payload[CODE_PAYLOAD_MAX], cose[CODE_COSE_MAX];
        size_t n = write_machine_claims((enum machine_mutation)m, payload, sizeof(payload));
        size_t cose_len;
        assert_int_equal(
            cose_sign1_create(f->machine_key, payload, n, cose, sizeof(cose), &cose_len), WR_OK);
        char text[TEXT_CAP];
        reencode(cose, cose_len, text);
        code_claims out;
        assert_int_equal(code_verify(text, strlen(text), f->trust, NULL, NOW, &out),
                         m == MM_NONE ? WR_OK : WR_EINVAL);
        if (m == MM_NONE) {
            assert_string_equal(out.chip, "12");
            code_claims c = machine_claims();
            strcpy(c.chip, "12");
            char issued[TEXT_CAP];
            issue(&c, f->machine_key, issued);
            code_parsed p2;
            cose_sign1 a;
            assert_int_equal(code_decode(issued, strlen(issued), &p2), WR_OK);
            assert_int_equal(cose_sign1_parse(p2.cose, p2.cose_len, &a), WR_OK);
            assert_int_equal(a.payload_len, n); /* the hand-built map is what code_issue() signs */
            assert_memory_equal(a.payload, payload, n);
        }
    }
}

/* ---- Issuing rules ----------------------------------------------------------------------- */

static void assert_issue(const code_claims *c, EVP_PKEY *key, wr_status want)
{
    char text[TEXT_CAP] = "unchanged";
    assert_int_equal(code_issue(c, key, text, sizeof(text)), want);
    if (want != WR_OK)
        assert_string_equal(text, "");
}

static void test_issue_refuses_bad_fields(void **state)
{
    fixture *f = *state;
    EVP_PKEY *k = f->machine_key;
    code_claims c;

    c = welder_claims(), strcpy(c.lic, "T410102199001011234"), assert_issue(&c, k, WR_EINVAL);
    c = welder_claims(), strcpy(c.lic, "T4101********1234"), assert_issue(&c, k, WR_EINVAL);
    c = welder_claims(), strcpy(c.lic, "T*1234"), assert_issue(&c, k, WR_OK);
    c = welder_claims(), strcpy(c.lic, "*****1234"), assert_issue(&c, k, WR_EINVAL);
    c = welder_claims(), strcpy(c.nm, "\xe5\xbc\xa0\xe4\xb8\x89"), assert_issue(&c, k, WR_EINVAL);
    c = welder_claims(), strcpy(c.nm, "A*"), assert_issue(&c, k, WR_OK);
    c = welder_claims(), strcpy(c.nm, "**"), assert_issue(&c, k, WR_EINVAL);
    c = welder_claims(), strcpy(c.nm, "\xe0\x80\xb1*"), assert_issue(&c, k, WR_EINVAL);
    c = welder_claims(), c.cats = 0, assert_issue(&c, k, WR_EINVAL);
    c = welder_claims(), c.cats = 8, assert_issue(&c, k, WR_EINVAL);
    c = welder_claims(), memset(c.cti, 0, sizeof(c.cti)), assert_issue(&c, k, WR_EINVAL);
    c = welder_claims(), c.kind = (code_kind)'x', assert_issue(&c, k, WR_EINVAL);
    c = machine_claims(), strcpy(c.iss, ""), assert_issue(&c, k, WR_EINVAL);
    c = machine_claims(), strcpy(c.iss, "wr:jn"), assert_issue(&c, k, WR_EINVAL);
    c = machine_claims(), strcpy(c.iss, "Jn"), assert_issue(&c, k, WR_EINVAL);
    c = machine_claims(), c.ent = 0, assert_issue(&c, k, WR_EINVAL);
    c = machine_claims(), c.ent = CODE_ENT_MAX, assert_issue(&c, k, WR_OK);
    c = machine_claims(), c.ent = (uint64_t)CODE_ENT_MAX + 1, assert_issue(&c, k, WR_EINVAL);
    c = machine_claims(), strcpy(c.chip, "WM-3701-0042-0001-XY"), assert_issue(&c, k, WR_OK);
    c = machine_claims(), strcpy(c.iss, "abcdefghijkl"), strcpy(c.chip, "WM-3701-0042-0001-XY"),
    assert_issue(&c, k, WR_ETOOBIG);
    c = machine_claims(), strcpy(c.iss, "abcdefghijkl"), strcpy(c.chip, "89860312345678901234"),
    assert_issue(&c, k, WR_OK);
    c = machine_claims(), strcpy(c.chip, ""), assert_issue(&c, k, WR_EINVAL);
    c = machine_claims(), strcpy(c.chip, "wm 1"), assert_issue(&c, k, WR_EINVAL);
    c = machine_claims(), c.cat = CODE_CAT_FUSION | CODE_CAT_BRAZING,
    assert_issue(&c, k, WR_EINVAL);
    c = machine_claims(), c.iat = (uint64_t)CODE_TIME_MAX + 1, c.exp = c.iat + 1,
    assert_issue(&c, k, WR_EINVAL);
    c = machine_claims(), assert_issue(&c, NULL, WR_EKEY);
    assert_int_equal(code_issue(NULL, k, NULL, 0), WR_EINVAL);

    char small[100];
    c = machine_claims();
    assert_int_equal(code_issue(&c, k, small, sizeof(small)), WR_ESPACE);
}

static void test_issue_lifetime_caps(void **state)
{
    fixture *f = *state;
    EVP_PKEY *k = f->machine_key;
    code_claims c;
    c = machine_claims(), c.exp = c.iat, assert_issue(&c, k, WR_ERANGE);
    c = machine_claims(), c.exp = c.iat + CODE_MACHINE_MAX_LIFETIME, assert_issue(&c, k, WR_OK);
    c = machine_claims(), c.exp = c.iat + CODE_MACHINE_MAX_LIFETIME + 1,
    assert_issue(&c, k, WR_ERANGE);
    c = welder_claims(), c.exp = c.iat + CODE_WELDER_MAX_LIFETIME, assert_issue(&c, k, WR_OK);
    c = welder_claims(), c.exp = c.iat + CODE_WELDER_MAX_LIFETIME + 1,
    assert_issue(&c, k, WR_ERANGE);
    c = welder_claims(), c.lvu = c.exp, assert_issue(&c, k, WR_OK);
    c = welder_claims(), c.lvu = c.exp - 1, assert_issue(&c, k, WR_ERANGE);
}

static void test_masking(void **state)
{
    (void)state;
    char lic[CODE_LIC_MAX + 1], nm[CODE_NAME_MAX + 1];
    assert_int_equal(code_mask_licence("T410102199001011234", lic), WR_OK);
    assert_string_equal(lic, "T**************1234");
    assert_int_equal(code_mask_licence("T41010219900101123X", lic), WR_OK);
    assert_string_equal(lic, "T**************123X");
    assert_int_equal(code_mask_licence("T12345", lic), WR_OK);
    assert_string_equal(lic, "T*2345");
    assert_int_equal(code_mask_licence("T1234", lic), WR_EINVAL);
    assert_int_equal(code_mask_licence("4101021990010112345", lic), WR_EINVAL);
    assert_int_equal(code_mask_licence("T4101021990010112345678", lic), WR_EINVAL);
    assert_int_equal(code_mask_licence("T41010219900101 234", lic), WR_EINVAL);
    assert_int_equal(code_mask_licence(NULL, lic), WR_EINVAL);
    assert_string_equal(lic, "");

    assert_int_equal(code_mask_name("\xe5\xbc\xa0\xe4\xb8\x89\xe4\xb8\xb0", nm), WR_OK);
    assert_string_equal(nm, "\xe5\xbc\xa0*");
    assert_int_equal(code_mask_name("Li Wei", nm), WR_OK);
    assert_string_equal(nm, "L*");
    assert_int_equal(code_mask_name("\xf0\xa0\x80\x80x", nm), WR_OK); /* U+20000 */
    assert_string_equal(nm, "\xf0\xa0\x80\x80*");
    assert_int_equal(code_mask_name("", nm), WR_EINVAL);
    assert_int_equal(code_mask_name(" x", nm), WR_EINVAL);
    assert_int_equal(code_mask_name("\xe5\xbc", nm), WR_EINVAL);
    assert_int_equal(code_mask_name("\xc0\xaf", nm), WR_EINVAL);

    uint8_t a[CODE_CTI_LEN], b[CODE_CTI_LEN];
    assert_int_equal(code_new_cti(a), WR_OK);
    assert_int_equal(code_new_cti(b), WR_OK);
    assert_memory_not_equal(a, b, CODE_CTI_LEN);
    assert_string_equal(code_category_name(CODE_CAT_PRESSURE), "pressure");
    assert_null(code_category_name(3));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_machine_round_trip),
        cmocka_unit_test(test_welder_round_trip),
        cmocka_unit_test(test_verify_failures),
        cmocka_unit_test(test_bad_signature),
        cmocka_unit_test(test_cache_answers_as_verify),
        cmocka_unit_test(test_cache_keeps_only_verified),
        cmocka_unit_test(test_cache_forgets),
        cmocka_unit_test(test_every_character_change_fails),
        cmocka_unit_test(test_malformed_text),
        cmocka_unit_test(test_signed_but_malformed_claims),
        cmocka_unit_test(test_machine_chip_ids),
        cmocka_unit_test(test_machine_worst_case_fits),
        cmocka_unit_test(test_signed_but_malformed_machine_claims),
        cmocka_unit_test(test_issue_refuses_bad_fields),
        cmocka_unit_test(test_issue_lifetime_caps),
        cmocka_unit_test(test_masking),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
