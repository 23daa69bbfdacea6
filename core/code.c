/* code.c — issuing, decoding and verifying weldreg codes: CWT claims (RFC 8392) in a COSE_Sign1,
 * Base45 text behind the "WR3:" prefix. */
#include "core/code.h"

#include <stdbool.h>
#include <string.h>

#include <openssl/rand.h>

#include "core/base45.h"
#include "core/cbor.h"

#define CLAIM_ISS      1
#define CLAIM_SUB      2
#define CLAIM_EXP      4
#define CLAIM_IAT      6
#define CLAIM_CTI      7
#define MASK_KEEP_TAIL 4
#define SUB_MAX        CODE_LIC_MAX /* sub holds a masked licence (welder codes only) */

/* The private claim is an array whose first item says the kind; then, for a machine,
 * [0, category, enterprise, chip id] and, for a welder, [1, categories, licence valid until,
 * name]. A machine code has no sub: its chip id is the private claim's last item, packed when
 * it is all digits (section 3 of docs/codes.md). */
enum { KIND_MACHINE = 0, KIND_WELDER = 1 };
#define MACHINE_ITEMS 4
#define WELDER_ITEMS  4
_Static_assert(MACHINE_ITEMS == WELDER_ITEMS, "both kinds have four items");
/* A chip id of digits only is carried as a byte string: the big-endian bytes, without leading
 * zeros, of the decimal number "1" followed by its digits (the leading 1 keeps its leading
 * zeros). 20 digits take 9 bytes; CHIP_PACKED_MAX bytes hold up to 21. */
#define CHIP_PACKED_MAX 9

/* Bits of the claims seen while decoding. */
enum {
    SEEN_ISS = 1u << 0,
    SEEN_SUB = 1u << 1,
    SEEN_EXP = 1u << 2,
    SEEN_IAT = 1u << 3,
    SEEN_CTI = 1u << 4,
    SEEN_PRIVATE = 1u << 5,
};
#define SEEN_WELDER  (SEEN_ISS | SEEN_SUB | SEEN_EXP | SEEN_IAT | SEEN_CTI | SEEN_PRIVATE)
#define SEEN_MACHINE (SEEN_WELDER & ~(unsigned)SEEN_SUB)

static const struct {
    int64_t key;
    unsigned bit;
} standard_claims[] = {
    {CLAIM_ISS, SEEN_ISS}, {CLAIM_SUB, SEEN_SUB}, {CLAIM_EXP, SEEN_EXP},
    {CLAIM_IAT, SEEN_IAT}, {CLAIM_CTI, SEEN_CTI}, {CODE_CLAIM_WELDREG, SEEN_PRIVATE},
};

static const char *const category_names[] = {"fusion", "pressure", "brazing"};

/* ---- Field rules -------------------------------------------------------------------------- */

const char *code_category_name(unsigned cat)
{
    for (unsigned i = 0; i < 3; i++)
        if (cat == 1u << i)
            return category_names[i];
    return NULL;
}

static bool all_chars_in(const char *s, size_t n, const char *set)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] == '\0' || !strchr(set, s[i]))
            return false;
    return true;
}

static bool valid_iss(const char *iss)
{
    size_t n = strnlen(iss, CODE_ISS_MAX + 1);
    return n >= 1 && n <= CODE_ISS_MAX &&
           all_chars_in(iss, n, "abcdefghijklmnopqrstuvwxyz0123456789-");
}

static bool all_digits(const char *s)
{
    return *s && strspn(s, "0123456789") == strlen(s);
}

static bool valid_chip(const char *chip)
{
    size_t n = strnlen(chip, CODE_CHIP_MAX + 1);
    return n >= 1 && n <= CODE_CHIP_MAX &&
           all_chars_in(chip, n, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-");
}

/* A capital letter, one or more '*', then the last four digits (or X). */
static bool valid_masked_licence(const char *lic)
{
    size_t n = strnlen(lic, CODE_LIC_MAX + 1);
    if (n < 2 + MASK_KEEP_TAIL || n > CODE_LIC_MAX || lic[0] < 'A' || lic[0] > 'Z')
        return false;
    size_t stars = n - 1 - MASK_KEEP_TAIL;
    for (size_t i = 1; i <= stars; i++)
        if (lic[i] != '*')
            return false;
    return all_chars_in(lic + 1 + stars, MASK_KEEP_TAIL, "0123456789X");
}

/* Length of the UTF-8 sequence led by @p c, or 0; *lo and *hi bound its second byte so that
 * overlong forms, surrogates and code points above U+10FFFF are refused (RFC 3629). */
static size_t utf8_lead(unsigned char c, unsigned char *lo, unsigned char *hi)
{
    *lo = 0x80;
    *hi = 0xbf;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        return 2;
    if (c >= 0xe0 && c <= 0xef) {
        *lo = c == 0xe0 ? 0xa0 : 0x80;
        *hi = c == 0xed ? 0x9f : 0xbf;
        return 3;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        *lo = c == 0xf0 ? 0x90 : 0x80;
        *hi = c == 0xf4 ? 0x8f : 0xbf;
        return 4;
    }
    return 0;
}

/* Length of the first character of @p s if it is well-formed UTF-8 and printable, other than
 * '*' and space; 0 otherwise. */
static size_t first_char_len(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    unsigned char lo, hi;
    size_t len = utf8_lead(u[0], &lo, &hi);
    if (len == 1)
        return u[0] > 0x20 && u[0] < 0x7f && u[0] != '*' ? 1 : 0;
    if (len == 0 || u[1] < lo || u[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if ((u[i] & 0xc0) != 0x80)
            return 0;
    return len;
}

static bool valid_masked_name(const char *nm)
{
    size_t len = first_char_len(nm);
    return len > 0 && nm[len] == '*' && nm[len + 1] == '\0';
}

static bool cti_is_set(const uint8_t cti[CODE_CTI_LEN])
{
    for (size_t i = 0; i < CODE_CTI_LEN; i++)
        if (cti[i] != 0)
            return true;
    return false;
}

static bool valid_kind_fields(const code_claims *c)
{
    if (c->kind == CODE_MACHINE)
        return valid_chip(c->chip) && c->ent >= 1 && c->ent <= CODE_ENT_MAX &&
               code_category_name(c->cat);
    if (c->kind == CODE_WELDER)
        return valid_masked_licence(c->lic) && c->cats != 0 && (c->cats & ~CODE_CAT_ALL) == 0 &&
               c->lvu <= CODE_TIME_MAX && valid_masked_name(c->nm);
    return false;
}

/* Shape of every field (WR_EINVAL); no policy on lifetimes. */
static wr_status check_fields(const code_claims *c)
{
    if (!valid_iss(c->iss) || !cti_is_set(c->cti) || c->iat > CODE_TIME_MAX ||
        c->exp > CODE_TIME_MAX || !valid_kind_fields(c))
        return WR_EINVAL;
    return WR_OK;
}

/* Issuing policy: how long a code may live (WR_ERANGE). */
static wr_status check_lifetime(const code_claims *c)
{
    if (c->exp <= c->iat)
        return WR_ERANGE;
    uint64_t life = c->exp - c->iat;
    if (c->kind == CODE_MACHINE)
        return life <= CODE_MACHINE_MAX_LIFETIME ? WR_OK : WR_ERANGE;
    return life <= CODE_WELDER_MAX_LIFETIME && c->exp <= c->lvu ? WR_OK : WR_ERANGE;
}

/* ---- Helpers for callers ------------------------------------------------------------------ */

wr_status code_new_cti(uint8_t cti[CODE_CTI_LEN])
{
    do {
        if (RAND_bytes(cti, CODE_CTI_LEN) != 1)
            return WR_ECRYPTO;
    } while (!cti_is_set(cti));
    return WR_OK;
}

wr_status code_mask_licence(const char *licence, char out[CODE_LIC_MAX + 1])
{
    out[0] = '\0';
    size_t n = licence ? strnlen(licence, CODE_LIC_MAX) : 0;
    if (n < 2 + MASK_KEEP_TAIL || licence[n] != '\0' || licence[0] < 'A' || licence[0] > 'Z' ||
        !all_chars_in(licence + 1, n - 1, "0123456789X"))
        return WR_EINVAL;
    out[0] = licence[0];
    memset(out + 1, '*', n - 1 - MASK_KEEP_TAIL);
    memcpy(out + n - MASK_KEEP_TAIL, licence + n - MASK_KEEP_TAIL, MASK_KEEP_TAIL);
    out[n] = '\0';
    return WR_OK;
}

wr_status code_mask_name(const char *name, char out[CODE_NAME_MAX + 1])
{
    out[0] = '\0';
    size_t len = name ? first_char_len(name) : 0;
    if (len == 0)
        return WR_EINVAL;
    memcpy(out, name, len);
    out[len] = '*';
    out[len + 1] = '\0';
    return WR_OK;
}

/* ---- Chip ids of digits ------------------------------------------------------------------- */

/* Packs "1" and the digits of @p digits (1 to CODE_CHIP_MAX of them) as a big-endian number
 * into @p out; returns its length (no leading zero byte). */
static size_t chip_pack(const char *digits, uint8_t out[CHIP_PACKED_MAX])
{
    uint8_t acc[CHIP_PACKED_MAX] = {0};
    acc[CHIP_PACKED_MAX - 1] = 1;
    for (const char *d = digits; *d; d++) {
        unsigned carry = (unsigned)(*d - '0');
        for (size_t i = CHIP_PACKED_MAX; i-- > 0;) {
            unsigned v = acc[i] * 10u + carry;
            acc[i] = (uint8_t)(v & 0xffu);
            carry = v >> 8;
        }
    }
    size_t skip = 0;
    while (skip < CHIP_PACKED_MAX - 1 && acc[skip] == 0)
        skip++;
    memcpy(out, acc + skip, CHIP_PACKED_MAX - skip);
    return CHIP_PACKED_MAX - skip;
}

/* The digits packed in @p p (@p n bytes) into @p out; false unless it is the shortest form of
 * "1" followed by 1 to CODE_CHIP_MAX digits. */
static bool chip_unpack(const uint8_t *p, size_t n, char out[CODE_CHIP_MAX + 1])
{
    if (n == 0 || n > CHIP_PACKED_MAX || p[0] == 0)
        return false;
    uint8_t num[CHIP_PACKED_MAX];
    memcpy(num, p, n);
    char rev[3 * CHIP_PACKED_MAX + 1];
    size_t len = 0;
    bool zero = false;
    while (!zero) { /* divide by ten until nothing is left, collecting the remainders */
        unsigned rem = 0;
        zero = true;
        for (size_t i = 0; i < n; i++) {
            unsigned v = rem * 256u + num[i];
            num[i] = (uint8_t)(v / 10u);
            rem = v % 10u;
            zero &= num[i] == 0;
        }
        rev[len++] = (char)('0' + rem);
    }
    if (len < 2 || len > CODE_CHIP_MAX + 1 || rev[len - 1] != '1')
        return false;
    for (size_t i = 0; i + 1 < len; i++)
        out[i] = rev[len - 2 - i];
    out[len - 1] = '\0';
    return true;
}

/* ---- Encoding ----------------------------------------------------------------------------- */

/* The private claim: an array of small integers and, for a machine, the chip id (packed when it
 * is all digits), for a welder, the masked name. */
static void put_private(cbor_writer *w, const code_claims *c)
{
    if (c->kind == CODE_MACHINE) {
        cbor_put_array(w, MACHINE_ITEMS);
        cbor_put_uint(w, KIND_MACHINE);
        cbor_put_uint(w, c->cat);
        cbor_put_uint(w, c->ent);
        if (all_digits(c->chip)) {
            uint8_t packed[CHIP_PACKED_MAX];
            size_t n = chip_pack(c->chip, packed);
            cbor_put_bytes(w, packed, n);
        } else {
            cbor_put_cstr(w, c->chip);
        }
        return;
    }
    cbor_put_array(w, WELDER_ITEMS);
    cbor_put_uint(w, KIND_WELDER);
    cbor_put_uint(w, c->cats);
    cbor_put_uint(w, c->lvu);
    cbor_put_cstr(w, c->nm);
}

static wr_status encode_claims(const code_claims *c, uint8_t *out, size_t cap, size_t *len)
{
    cbor_writer w;
    cbor_writer_init(&w, out, cap);
    bool machine = c->kind == CODE_MACHINE;
    cbor_put_map(&w, sizeof(standard_claims) / sizeof(standard_claims[0]) - (machine ? 1 : 0));
    cbor_put_uint(&w, CLAIM_ISS);
    cbor_put_cstr(&w, c->iss);
    if (!machine) {
        cbor_put_uint(&w, CLAIM_SUB);
        cbor_put_cstr(&w, c->lic);
    }
    cbor_put_uint(&w, CLAIM_EXP);
    cbor_put_uint(&w, c->exp);
    cbor_put_uint(&w, CLAIM_IAT);
    cbor_put_uint(&w, c->iat);
    cbor_put_uint(&w, CLAIM_CTI);
    cbor_put_bytes(&w, c->cti, CODE_CTI_LEN);
    cbor_put_int(&w, CODE_CLAIM_WELDREG);
    put_private(&w, c);
    *len = w.len;
    return cbor_writer_status(&w);
}

wr_status code_issue(const code_claims *claims, EVP_PKEY *signing_key, char *out, size_t cap)
{
    if (!claims || !out || cap == 0)
        return WR_EINVAL;
    out[0] = '\0';
    wr_status st = check_fields(claims);
    if (st == WR_OK)
        st = check_lifetime(claims);
    if (st != WR_OK)
        return st;
    uint8_t payload[CODE_PAYLOAD_MAX], cose[CODE_PAYLOAD_MAX + COSE_SIGN1_OVERHEAD];
    size_t payload_len = 0, cose_len = 0;
    st = encode_claims(claims, payload, sizeof(payload), &payload_len);
    if (st == WR_OK)
        st = cose_sign1_create(signing_key, payload, payload_len, cose, sizeof(cose), &cose_len);
    if (st != WR_OK)
        return st;
    if (cose_len > (claims->kind == CODE_MACHINE ? CODE_MACHINE_COSE_MAX : CODE_WELDER_COSE_MAX))
        return WR_ETOOBIG;
    if (cap < CODE_PREFIX_LEN + base45_encoded_len(cose_len) + 1)
        return WR_ESPACE;
    memcpy(out, CODE_PREFIX, CODE_PREFIX_LEN);
    return base45_encode(cose, cose_len, out + CODE_PREFIX_LEN, cap - CODE_PREFIX_LEN, NULL);
}

/* ---- Decoding ----------------------------------------------------------------------------- */

/* Reads a text string into a C string of capacity @p cap (NUL included); no NUL inside. */
static wr_status read_cstr(cbor_reader *r, char *dst, size_t cap)
{
    const char *s;
    size_t n;
    wr_status st = cbor_read_text(r, &s, &n);
    if (st != WR_OK)
        return st;
    if (n >= cap || memchr(s, '\0', n))
        return WR_EINVAL;
    memcpy(dst, s, n);
    dst[n] = '\0';
    return WR_OK;
}

static wr_status read_fixed_bytes(cbor_reader *r, uint8_t *dst, size_t len)
{
    const uint8_t *p;
    size_t n;
    wr_status st = cbor_read_bytes(r, &p, &n);
    if (st != WR_OK)
        return st;
    if (n != len)
        return WR_EINVAL;
    memcpy(dst, p, n);
    return WR_OK;
}

/* A CBOR unsigned integer of at most @p max. */
static wr_status read_uint_max(cbor_reader *r, uint64_t max, uint64_t *out)
{
    wr_status st = cbor_read_uint(r, out);
    return st == WR_OK && *out > max ? WR_EINVAL : st;
}

static wr_status read_small(cbor_reader *r, unsigned max, unsigned *out)
{
    uint64_t v = 0;
    wr_status st = read_uint_max(r, max, &v);
    *out = (unsigned)v;
    return st;
}

/* A chip id: packed digits (bytes), or text with something other than digits in it (an id of
 * digits only has one form, the packed one). */
static wr_status read_chip(cbor_reader *r, char chip[CODE_CHIP_MAX + 1])
{
    const uint8_t *p;
    size_t n;
    if (cbor_read_bytes(r, &p, &n) == WR_OK)
        return chip_unpack(p, n, chip) ? WR_OK : WR_EINVAL;
    wr_status st = read_cstr(r, chip, CODE_CHIP_MAX + 1);
    return st == WR_OK && all_digits(chip) ? WR_EINVAL : st;
}

static wr_status read_machine(cbor_reader *r, code_claims *c)
{
    wr_status st = read_small(r, CODE_CAT_ALL, &c->cat);
    if (st == WR_OK)
        st = read_uint_max(r, CODE_ENT_MAX, &c->ent);
    return st == WR_OK ? read_chip(r, c->chip) : st;
}

static wr_status read_welder(cbor_reader *r, code_claims *c)
{
    wr_status st = read_small(r, CODE_CAT_ALL, &c->cats);
    if (st == WR_OK)
        st = read_uint_max(r, CODE_TIME_MAX, &c->lvu);
    return st == WR_OK ? read_cstr(r, c->nm, sizeof(c->nm)) : st;
}

/* [kind, ...]: the first item fixes the number and meaning of the others. */
static wr_status read_private(cbor_reader *r, code_claims *c)
{
    size_t count;
    unsigned kind;
    wr_status st = cbor_read_array(r, &count);
    if (st == WR_OK)
        st = read_small(r, KIND_WELDER, &kind);
    if (st != WR_OK)
        return st;
    if (count != MACHINE_ITEMS)
        return WR_EINVAL;
    c->kind = kind == KIND_MACHINE ? CODE_MACHINE : CODE_WELDER;
    return kind == KIND_MACHINE ? read_machine(r, c) : read_welder(r, c);
}

static wr_status read_claim(cbor_reader *r, int64_t key, code_claims *c, char *sub, unsigned *seen)
{
    unsigned bit = 0;
    for (size_t i = 0; i < sizeof(standard_claims) / sizeof(standard_claims[0]); i++)
        if (standard_claims[i].key == key)
            bit = standard_claims[i].bit;
    if (bit == 0 || (*seen & bit))
        return WR_EINVAL; /* unknown or repeated */
    *seen |= bit;
    switch (bit) {
    case SEEN_ISS: return read_cstr(r, c->iss, sizeof(c->iss));
    case SEEN_SUB: return read_cstr(r, sub, SUB_MAX + 1);
    case SEEN_EXP: return cbor_read_uint(r, &c->exp);
    case SEEN_IAT: return cbor_read_uint(r, &c->iat);
    case SEEN_CTI: return read_fixed_bytes(r, c->cti, CODE_CTI_LEN);
    default: return read_private(r, c);
    }
}

/* Every claim of the code's kind must be present: a welder code has sub (the masked licence), a
 * machine code has none (its chip id is in the private claim). */
static wr_status check_claim_set(code_claims *c, const char *sub, unsigned seen)
{
    if (seen != (c->kind == CODE_MACHINE ? SEEN_MACHINE : SEEN_WELDER))
        return WR_EINVAL;
    if (c->kind == CODE_WELDER)
        memcpy(c->lic, sub, sizeof(c->lic));
    return check_fields(c);
}

static wr_status decode_claims(const uint8_t *p, size_t n, code_claims *c)
{
    cbor_reader r;
    cbor_reader_init(&r, p, n);
    char sub[SUB_MAX + 1] = "";
    unsigned seen = 0;
    size_t count;
    wr_status st = cbor_read_map(&r, &count);
    for (size_t i = 0; st == WR_OK && i < count; i++) {
        int64_t key;
        st = cbor_read_int(&r, &key);
        if (st == WR_OK)
            st = read_claim(&r, key, c, sub, &seen);
    }
    if (st == WR_OK && !cbor_reader_at_end(&r))
        st = WR_EINVAL;
    if (st == WR_OK)
        st = check_claim_set(c, sub, seen);
    return st;
}

static wr_status decode_code(const char *text, size_t n, code_parsed *out, cose_sign1 *msg)
{
    if (!text || n < CODE_PREFIX_LEN || n > CODE_TEXT_MAX ||
        memcmp(text, CODE_PREFIX, CODE_PREFIX_LEN) != 0)
        return WR_EINVAL;
    wr_status st = base45_decode(text + CODE_PREFIX_LEN, n - CODE_PREFIX_LEN, out->cose,
                                 sizeof(out->cose), &out->cose_len);
    if (st == WR_OK)
        st = cose_sign1_parse(out->cose, out->cose_len, msg);
    if (st != WR_OK)
        return st;
    if (msg->kid_len != COSE_KID_LEN || (msg->alg != COSE_ALG_EDDSA && msg->alg != COSE_ALG_ES256))
        return WR_EINVAL;
    memcpy(out->kid, msg->kid, COSE_KID_LEN);
    out->alg = msg->alg;
    return decode_claims(msg->payload, msg->payload_len, &out->claims);
}

wr_status code_decode(const char *text, size_t n, code_parsed *out)
{
    cose_sign1 msg;
    memset(out, 0, sizeof(*out));
    if (decode_code(text, n, out, &msg) != WR_OK) {
        memset(out, 0, sizeof(*out));
        return WR_EINVAL;
    }
    return WR_OK;
}

/* ---- Verification ------------------------------------------------------------------------- */

static unsigned trust_type_of(code_kind kind)
{
    return kind == CODE_MACHINE ? TRUST_TYPE_MACHINE : TRUST_TYPE_WELDER;
}

static wr_status check_validity(const code_claims *c, const revocation_list *revoked, uint64_t now)
{
    if (trust_revocations_contains(revoked, c->cti))
        return WR_EREVOKED;
    if (now >= c->exp)
        return WR_EEXPIRED;
    if (c->iat > now && c->iat - now > CODE_CLOCK_SKEW)
        return WR_ENOTYET;
    return WR_OK;
}

/* The signature of @p msg (decoded from @p text) under @p key, or the cache's memory of it. */
static wr_status verify_signature(code_cache *cache, const trust_list *trust, const char *text,
                                  size_t n, const cose_sign1 *msg, EVP_PKEY *key)
{
    code_cache_key seen;
    if (cache && code_cache_seen(cache, trust, text, n, &seen))
        return WR_OK;
    wr_status st = cose_sign1_verify(msg, key);
    if (st == WR_OK && cache)
        code_cache_add(cache, &seen);
    return st;
}

wr_status code_verify(const char *text, size_t n, const trust_list *trust,
                      const revocation_list *revoked, uint64_t now, code_claims *out)
{
    return code_verify_cached(NULL, text, n, trust, revoked, now, out);
}

wr_status code_verify_cached(code_cache *cache, const char *text, size_t n, const trust_list *trust,
                             const revocation_list *revoked, uint64_t now, code_claims *out)
{
    code_parsed parsed;
    cose_sign1 msg;
    memset(&parsed, 0, sizeof(parsed));
    if (decode_code(text, n, &parsed, &msg) != WR_OK)
        return WR_EINVAL;
    const trust_key *key = trust_list_find(trust, parsed.kid, COSE_KID_LEN);
    if (!key)
        return WR_EKEY;
    wr_status st = verify_signature(cache, trust, text, n, &msg, key->pkey);
    if (st != WR_OK)
        return st;
    if (!trust_key_allows(key, trust_type_of(parsed.claims.kind), parsed.claims.iat))
        return WR_EKEY;
    st = check_validity(&parsed.claims, revoked, now);
    if (st == WR_OK && out)
        *out = parsed.claims;
    return st;
}
