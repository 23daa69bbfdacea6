/* registry_rules.c — field checks of registry records; see registry_rules.h. */
#include "core/registry_rules.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/industry.h"
#include "core/licence.h"

typedef struct rules_ctx {
    const json_doc *doc;
    size_t obj;
    char *why;
    size_t whylen;
} rules_ctx;

static wr_status rules_bad(const rules_ctx *c, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static wr_status rules_bad(const rules_ctx *c, const char *field, const char *fmt, ...)
{
    if (!c->why || c->whylen == 0)
        return WR_EINVAL;
    int n = snprintf(c->why, c->whylen, "field \"%s\": ", field);
    if (n >= 0 && (size_t)n < c->whylen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->why + n, c->whylen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return WR_EINVAL;
}

static wr_status rules_object(const rules_ctx *c)
{
    if (c->obj >= c->doc->count || c->doc->tokens[c->obj].type != JSON_OBJECT) {
        snprintf(c->why, c->whylen, "the body must be an object");
        return WR_EINVAL;
    }
    return WR_OK;
}

/* Refuses members whose key is not in @p allowed (NULL-terminated). */
static wr_status rules_known(const rules_ctx *c, const char *const *allowed)
{
    const json_doc *d = c->doc;
    for (size_t k = c->obj + 1; k < d->tokens[c->obj].next; k = d->tokens[k + 1].next) {
        bool known = false;
        for (const char *const *a = allowed; *a && !known; a++)
            known = json_string_is(d, k, *a);
        if (!known) {
            char name[64];
            if (json_string(d, k, name, sizeof(name), NULL) != WR_OK ||
                !json_utf8_valid(name, strlen(name)))
                snprintf(name, sizeof(name), "(long name)");
            return rules_bad(c, name, "unknown field");
        }
    }
    return WR_OK;
}

wr_status rules_check_fields(const json_doc *doc, size_t obj, const char *const *allowed, char *why,
                             size_t whylen)
{
    rules_ctx c = {.doc = doc, .obj = obj, .why = why, .whylen = whylen};
    wr_status st = rules_object(&c);
    return st == WR_OK ? rules_known(&c, allowed) : st;
}

/* The token of @p key, or -1 when it is absent or null. */
static long rules_get(const rules_ctx *c, const char *key)
{
    long t = json_find(c->doc, c->obj, key);
    return t >= 0 && c->doc->tokens[t].type == JSON_NULL ? -1 : t;
}

static wr_status rules_type(const rules_ctx *c, const char *key, long t, const char *want)
{
    json_type type = c->doc->tokens[t].type;
    const char *article = type == JSON_ARRAY || type == JSON_OBJECT ? "an " : "a ";
    return rules_bad(c, key, "expected %s, got %s%s", want, article, json_type_name(type));
}

static size_t rules_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static wr_status rules_text(const rules_ctx *c, const char *key, bool required, size_t max_chars,
                            char *out, size_t cap)
{
    out[0] = '\0';
    long t = rules_get(c, key);
    if (t < 0)
        return required ? rules_bad(c, key, "is required") : WR_OK;
    if (c->doc->tokens[t].type != JSON_STRING)
        return rules_type(c, key, t, "a string");
    size_t len;
    if (json_string(c->doc, (size_t)t, out, cap, &len) != WR_OK || rules_chars(out) > max_chars)
        return rules_bad(c, key, "is longer than %zu characters", max_chars);
    if (strlen(out) != len)
        return rules_bad(c, key, "must not contain U+0000");
    if (required && len == 0)
        return rules_bad(c, key, "must not be empty");
    return WR_OK;
}

static wr_status rules_enum(const rules_ctx *c, const char *key, const char *const *values,
                            char *out, size_t cap)
{
    char text[32];
    wr_status st = rules_text(c, key, false, 20, text, sizeof(text));
    if (st != WR_OK)
        return st;
    if (!text[0]) {
        snprintf(out, cap, "%s", values[0]); /* the default */
        return WR_OK;
    }
    char list[128] = "";
    for (const char *const *v = values; *v; v++) {
        if (strcmp(*v, text) == 0) {
            snprintf(out, cap, "%s", *v);
            return WR_OK;
        }
        size_t used = strlen(list);
        snprintf(list + used, sizeof(list) - used, "%s%s", used ? ", " : "", *v);
    }
    return rules_bad(c, key, "must be one of %s", list);
}

static wr_status rules_id(const rules_ctx *c, const char *key, int64_t *out)
{
    long t = rules_get(c, key);
    if (t < 0)
        return rules_bad(c, key, "is required");
    if (c->doc->tokens[t].type != JSON_INT)
        return rules_type(c, key, t, "an integer id");
    if (c->doc->tokens[t].i <= 0)
        return rules_bad(c, key, "must be a positive id");
    *out = c->doc->tokens[t].i;
    return WR_OK;
}

static wr_status rules_bool(const rules_ctx *c, const char *key, bool *out)
{
    long t = rules_get(c, key);
    *out = false;
    if (t < 0)
        return WR_OK;
    json_type type = c->doc->tokens[t].type;
    if (type != JSON_TRUE && type != JSON_FALSE)
        return rules_type(c, key, t, "true or false");
    *out = type == JSON_TRUE;
    return WR_OK;
}

static wr_status rules_phone(const rules_ctx *c, const char *key, char *out, size_t cap)
{
    wr_status st = rules_text(c, key, false, 21, out, cap);
    if (st != WR_OK || !out[0])
        return st;
    const char *p = out + (out[0] == '+');
    size_t n = strlen(p);
    bool ok = n >= 5 && n <= 20 && p[0] >= '0' && p[0] <= '9';
    for (size_t i = 1; ok && i < n; i++)
        ok = (p[i] >= '0' && p[i] <= '9') || p[i] == ' ' || p[i] == '-';
    return ok ? WR_OK
              : rules_bad(c, key, "must be 5 to 20 digits, spaces or dashes, after an optional +");
}

/* ---- dates and times ---- */

/* Days since 1970-01-01 of a proleptic Gregorian date (the civil-days algorithm). */
static int64_t rules_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void rules_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static bool rules_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned rules_month_days(int64_t y, unsigned m)
{
    static const unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && rules_leap(y) ? 29 : days[m - 1];
}

static int rules_num(const char *s, size_t n, unsigned *out)
{
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *out = v;
    return 0;
}

wr_status rules_parse_date(const char *s, size_t n, int64_t *days)
{
    unsigned y, m, d;
    if (n != 10 || s[4] != '-' || s[7] != '-' || rules_num(s, 4, &y) || rules_num(s + 5, 2, &m) ||
        rules_num(s + 8, 2, &d) || y < 1900 || m < 1 || m > 12 || d < 1 ||
        d > rules_month_days(y, m))
        return WR_EINVAL;
    *days = rules_days_from_civil(y, m, d);
    return WR_OK;
}

void rules_format_date(int64_t days, char out[RULES_DATE_SIZE])
{
    int64_t y;
    unsigned m, d;
    rules_civil_from_days(days, &y, &m, &d);
    snprintf(out, RULES_DATE_SIZE, "%04u-%02u-%02u", (unsigned)(y % 10000), m % 100, d % 100);
}

/* The offset "Z", "+HH:MM" or "-HH:MM" at @p s (@p n bytes, all of the rest) in seconds. */
static int rules_offset(const char *s, size_t n, int64_t *out)
{
    unsigned hh, mm;
    if (n == 1 && (s[0] == 'Z' || s[0] == 'z')) {
        *out = 0;
        return 0;
    }
    if (n != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':' || rules_num(s + 1, 2, &hh) ||
        rules_num(s + 4, 2, &mm) || hh > 23 || mm > 59)
        return -1;
    *out = (s[0] == '-' ? -1 : 1) * (int64_t)(hh * 3600 + mm * 60);
    return 0;
}

wr_status rules_parse_time(const char *s, size_t n, int64_t *out)
{
    int64_t days, offset;
    unsigned hh, mm, ss = 0;
    if (n < 17 || rules_parse_date(s, 10, &days) != WR_OK || (s[10] != 'T' && s[10] != ' ') ||
        rules_num(s + 11, 2, &hh) || s[13] != ':' || rules_num(s + 14, 2, &mm) || hh > 23 ||
        mm > 59)
        return WR_EINVAL;
    size_t pos = 16;
    if (pos < n && s[pos] == ':') {
        if (pos + 3 > n || rules_num(s + pos + 1, 2, &ss) || ss > 59)
            return WR_EINVAL;
        pos += 3;
        if (pos < n && s[pos] == '.') {
            pos++;
            size_t start = pos;
            while (pos < n && s[pos] >= '0' && s[pos] <= '9')
                pos++;
            if (pos == start)
                return WR_EINVAL;
        }
    }
    if (rules_offset(s + pos, n - pos, &offset) != 0)
        return WR_EINVAL;
    *out = days * 86400 + (int64_t)(hh * 3600 + mm * 60 + ss) - offset;
    return WR_OK;
}

static wr_status rules_date(const rules_ctx *c, const char *key, bool required,
                            char out[RULES_DATE_SIZE], int64_t *days)
{
    char text[16];
    wr_status st = rules_text(c, key, required, 10, text, sizeof(text));
    if (st != WR_OK)
        return st;
    if (!text[0])
        return WR_ENOTFOUND;
    if (rules_parse_date(text, strlen(text), days) != WR_OK)
        return rules_bad(c, key, "expected a date YYYY-MM-DD");
    memcpy(out, text, RULES_DATE_SIZE);
    return WR_OK;
}

/* A time as Unix seconds (an integer) or RFC 3339 text; WR_ENOTFOUND when absent. */
static wr_status rules_time(const rules_ctx *c, const char *key, bool required, int64_t *out)
{
    long t = rules_get(c, key);
    if (t < 0)
        return required ? rules_bad(c, key, "is required") : WR_ENOTFOUND;
    const json_token *tok = &c->doc->tokens[t];
    if (tok->type == JSON_INT) {
        if (tok->i < 0 || tok->i > INT64_C(4102444800))
            return rules_bad(c, key, "is out of range");
        *out = tok->i;
        return WR_OK;
    }
    if (tok->type != JSON_STRING)
        return rules_type(c, key, t, "a time (RFC 3339 text or Unix seconds)");
    char text[40];
    if (json_string(c->doc, (size_t)t, text, sizeof(text), NULL) != WR_OK ||
        rules_parse_time(text, strlen(text), out) != WR_OK)
        return rules_bad(c, key, "expected a time like 2025-06-01T08:00:00+08:00");
    return WR_OK;
}

static wr_status rules_number(const rules_ctx *c, const char *key, double lo, double hi,
                              double *out)
{
    long t = rules_get(c, key);
    if (t < 0)
        return rules_bad(c, key, "is required");
    json_type type = c->doc->tokens[t].type;
    if (type != JSON_INT && type != JSON_DOUBLE)
        return rules_type(c, key, t, "a number");
    *out = c->doc->tokens[t].d;
    if (!(*out >= lo && *out <= hi))
        return rules_bad(c, key, "must be from %g to %g", lo, hi);
    return WR_OK;
}

static wr_status rules_small_int(const rules_ctx *c, const char *key, int32_t lo, int32_t hi,
                                 int32_t dflt, int32_t *out)
{
    long t = rules_get(c, key);
    *out = dflt;
    if (t < 0)
        return WR_OK;
    if (c->doc->tokens[t].type != JSON_INT)
        return rules_type(c, key, t, "an integer");
    int64_t v = c->doc->tokens[t].i;
    if (v < lo || v > hi)
        return rules_bad(c, key, "must be from %d to %d", lo, hi);
    *out = (int32_t)v;
    return WR_OK;
}

static wr_status rules_id_list(const rules_ctx *c, const char *key, int64_t *out, size_t *count)
{
    *count = 0;
    long t = rules_get(c, key);
    if (t < 0)
        return WR_OK;
    const json_doc *d = c->doc;
    if (d->tokens[t].type != JSON_ARRAY)
        return rules_type(c, key, t, "an array of ids");
    if (d->tokens[t].count > RULES_LIST_MAX)
        return rules_bad(c, key, "lists more than %d ids", RULES_LIST_MAX);
    for (size_t k = (size_t)t + 1; k < d->tokens[t].next; k = d->tokens[k].next) {
        if (d->tokens[k].type != JSON_INT || d->tokens[k].i <= 0)
            return rules_bad(c, key, "item %zu is not a positive id", *count + 1);
        for (size_t i = 0; i < *count; i++)
            if (out[i] == d->tokens[k].i)
                return rules_bad(c, key, "lists id %lld twice", (long long)out[i]);
        out[(*count)++] = d->tokens[k].i;
    }
    return WR_OK;
}

/* ---- records ---- */

static bool rules_charset(const char *s, const char *allowed, size_t min, size_t max)
{
    size_t n = strlen(s);
    return n >= min && n <= max && strspn(s, allowed) == n;
}

static const char rules_alnum[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/* The fields of a record an update may change: name, JSON type, and whether it is required
 * (null cannot remove it). The ID-card and licence numbers of a welder are required when the
 * welder is created only: the store keeps them hashed, so an update may leave them out. */
typedef enum rules_json { RULES_TEXT, RULES_INT, RULES_BOOL, RULES_ARRAY } rules_json;

typedef struct rules_field {
    const char *name;
    rules_json type;
    bool required;
} rules_field;

#define RULES_FIELDS_MAX 16

static const rules_field rules_enterprise_fields[] = {
    {"uscc", RULES_TEXT, true},          {"name", RULES_TEXT, true},
    {"community_id", RULES_INT, true},   {"address", RULES_TEXT, false},
    {"contact_name", RULES_TEXT, false}, {"contact_phone", RULES_TEXT, false},
    {"status", RULES_TEXT, false},       {"industry", RULES_TEXT, false},
    {NULL, RULES_TEXT, false},
};

static const rules_field rules_machine_fields[] = {
    {"chip_id", RULES_TEXT, true},         {"serial", RULES_TEXT, false},
    {"model", RULES_TEXT, false},          {"process_category", RULES_TEXT, true},
    {"rated_current_a", RULES_INT, false}, {"enterprise_id", RULES_INT, true},
    {"keeper_name", RULES_TEXT, true},     {"keeper_phone", RULES_TEXT, false},
    {"status", RULES_TEXT, false},         {NULL, RULES_TEXT, false},
};

static const rules_field rules_welder_fields[] = {
    {"name", RULES_TEXT, true},
    {"idcard", RULES_TEXT, false},
    {"licence_no", RULES_TEXT, false},
    {"phone", RULES_TEXT, false},
    {"categories", RULES_ARRAY, true},
    {"issued_on", RULES_TEXT, true},
    {"valid_until", RULES_TEXT, false},
    {"review_due", RULES_TEXT, false},
    {"long_record", RULES_BOOL, false},
    {"status", RULES_TEXT, false},
    {"licence_status", RULES_TEXT, false},
    {NULL, RULES_TEXT, false},
};

static const rules_field *const rules_record_fields[] = {
    [RULES_ENTERPRISE] = rules_enterprise_fields,
    [RULES_MACHINE] = rules_machine_fields,
    [RULES_WELDER] = rules_welder_fields,
};

/* Refuses members that are not fields of @p fields. */
static wr_status rules_known_fields(const rules_ctx *c, const rules_field *fields)
{
    const char *names[RULES_FIELDS_MAX + 1];
    size_t n = 0;
    for (const rules_field *f = fields; f->name && n < RULES_FIELDS_MAX; f++)
        names[n++] = f->name;
    names[n] = NULL;
    return rules_known(c, names);
}

static bool rules_type_is(rules_json want, json_type type)
{
    switch (want) {
    case RULES_TEXT: return type == JSON_STRING;
    case RULES_INT: return type == JSON_INT;
    case RULES_BOOL: return type == JSON_TRUE || type == JSON_FALSE;
    case RULES_ARRAY: return type == JSON_ARRAY;
    }
    return false;
}

wr_status rules_check_change(rules_record record, const json_doc *doc, size_t obj, char *why,
                             size_t whylen)
{
    static const char *const wanted[] = {
        [RULES_TEXT] = "a string",
        [RULES_INT] = "an integer",
        [RULES_BOOL] = "true or false",
        [RULES_ARRAY] = "an array",
    };
    rules_ctx c = {doc, obj, why, whylen};
    if ((unsigned)record > RULES_WELDER) {
        snprintf(why, whylen, "no such record");
        return WR_EINVAL;
    }
    const rules_field *fields = rules_record_fields[record];
    wr_status st = rules_object(&c);
    if (st == WR_OK)
        st = rules_known_fields(&c, fields);
    for (const rules_field *f = fields; st == WR_OK && f->name; f++) {
        long t = json_find(doc, obj, f->name);
        if (t < 0)
            continue;
        json_type type = doc->tokens[t].type;
        if (type == JSON_NULL && f->required)
            st = rules_bad(&c, f->name, "is required and cannot be removed");
        else if (type != JSON_NULL && !rules_type_is(f->type, type))
            st = rules_type(&c, f->name, t, wanted[f->type]);
    }
    return st;
}

wr_status rules_check_community(const json_doc *doc, size_t obj, rules_community *out, char *why,
                                size_t whylen)
{
    static const char *const fields[] = {"code", "name", "district", NULL};
    rules_ctx c = {doc, obj, why, whylen};
    memset(out, 0, sizeof(*out));
    wr_status st = rules_object(&c);
    if (st == WR_OK)
        st = rules_known(&c, fields);
    if (st == WR_OK)
        st = rules_text(&c, "code", true, 32, out->code, sizeof(out->code));
    if (st == WR_OK) {
        char allowed[80];
        snprintf(allowed, sizeof(allowed), "%s_-", rules_alnum);
        if (!rules_charset(out->code, allowed, 1, 32))
            st = rules_bad(&c, "code", "must be 1 to 32 letters, digits, '_' or '-'");
    }
    if (st == WR_OK)
        st = rules_text(&c, "name", true, 100, out->name, sizeof(out->name));
    if (st == WR_OK)
        st = rules_text(&c, "district", true, 100, out->district, sizeof(out->district));
    return st;
}

/* The optional "industry": a section of GB/T 4754-2017, one capital letter A to T. */
static wr_status rules_industry(const rules_ctx *c, char *out, size_t cap)
{
    char text[4 * 4 + 1]; /* four characters of UTF-8: a name given instead reads well */
    wr_status st = rules_text(c, "industry", false, 4, text, sizeof(text));
    if (st != WR_OK || !text[0])
        return st;
    if (!industry_find(text, strlen(text)))
        return rules_bad(c, "industry",
                         "expected a section of GB/T 4754-2017, a capital letter A to T "
                         "(C manufacturing 制造业, E construction 建筑业, ...)");
    snprintf(out, cap, "%s", text);
    return WR_OK;
}

wr_status rules_check_enterprise(const json_doc *doc, size_t obj, rules_enterprise *out, char *why,
                                 size_t whylen)
{
    static const char *const statuses[] = {"active", "suspended", "closed", NULL};
    rules_ctx c = {doc, obj, why, whylen};
    memset(out, 0, sizeof(*out));
    wr_status st = rules_object(&c);
    if (st == WR_OK)
        st = rules_known_fields(&c, rules_enterprise_fields);
    if (st == WR_OK)
        st = rules_text(&c, "uscc", true, IDENT_USCC_LEN, out->uscc, sizeof(out->uscc));
    char msg[128];
    if (st == WR_OK && ident_uscc_check(out->uscc, strlen(out->uscc), msg, sizeof(msg)) != WR_OK)
        st = rules_bad(&c, "uscc", "%s", msg);
    if (st == WR_OK)
        st = rules_text(&c, "name", true, 200, out->name, sizeof(out->name));
    if (st == WR_OK)
        st = rules_id(&c, "community_id", &out->community_id);
    if (st == WR_OK)
        st = rules_text(&c, "address", false, 200, out->address, sizeof(out->address));
    if (st == WR_OK)
        st = rules_text(&c, "contact_name", false, 100, out->contact_name,
                        sizeof(out->contact_name));
    if (st == WR_OK)
        st = rules_phone(&c, "contact_phone", out->contact_phone, sizeof(out->contact_phone));
    if (st == WR_OK)
        st = rules_enum(&c, "status", statuses, out->status, sizeof(out->status));
    if (st == WR_OK)
        st = rules_industry(&c, out->industry, sizeof(out->industry));
    return st;
}

static const char *const rules_categories[] = {"fusion", "pressure", "brazing", NULL};

wr_status rules_check_machine(const json_doc *doc, size_t obj, rules_machine *out, char *why,
                              size_t whylen)
{
    static const char *const statuses[] = {"active", "suspended", NULL};
    rules_ctx c = {doc, obj, why, whylen};
    memset(out, 0, sizeof(*out));
    wr_status st = rules_object(&c);
    if (st == WR_OK)
        st = rules_known_fields(&c, rules_machine_fields);
    if (st == WR_OK)
        st = rules_text(&c, "chip_id", true, 20, out->chip_id, sizeof(out->chip_id));
    if (st == WR_OK && !rules_charset(out->chip_id, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-", 1, 20))
        st = rules_bad(&c, "chip_id", "must be 1 to 20 capital letters, digits or '-'");
    if (st == WR_OK)
        st = rules_text(&c, "serial", false, 64, out->serial, sizeof(out->serial));
    if (st == WR_OK)
        st = rules_text(&c, "model", false, 128, out->model, sizeof(out->model));
    if (st == WR_OK && rules_get(&c, "process_category") < 0)
        st = rules_bad(&c, "process_category", "is required");
    if (st == WR_OK)
        st = rules_enum(&c, "process_category", rules_categories, out->process_category,
                        sizeof(out->process_category));
    if (st == WR_OK)
        st = rules_small_int(&c, "rated_current_a", 1, 5000, 0, &out->rated_current_a);
    if (st == WR_OK)
        st = rules_id(&c, "enterprise_id", &out->enterprise_id);
    if (st == WR_OK)
        st = rules_text(&c, "keeper_name", true, 100, out->keeper_name, sizeof(out->keeper_name));
    if (st == WR_OK)
        st = rules_phone(&c, "keeper_phone", out->keeper_phone, sizeof(out->keeper_phone));
    if (st == WR_OK)
        st = rules_enum(&c, "status", statuses, out->status, sizeof(out->status));
    return st;
}

wr_status rules_mask_licence(const char *number, char out[RULES_LICENCE_MAX + 2])
{
    size_t n = strlen(number);
    if (n < 5 || n > RULES_LICENCE_MAX)
        return WR_EINVAL;
    out[0] = number[0];
    memset(out + 1, '*', n - 5);
    memcpy(out + n - 4, number + n - 4, 4);
    out[n] = '\0';
    return WR_OK;
}

static wr_status rules_welder_identity(const rules_ctx *c, bool update, rules_welder *out)
{
    char msg[128];
    wr_status st =
        rules_text(c, "idcard", !update, IDENT_IDCARD_LEN, out->idcard, sizeof(out->idcard));
    out->has_idcard = st == WR_OK && out->idcard[0];
    if (st == WR_OK && out->has_idcard) {
        if (ident_idcard_check(out->idcard, strlen(out->idcard), msg, sizeof(msg)) != WR_OK)
            return rules_bad(c, "idcard", "%s", msg);
        ident_idcard_mask(out->idcard, strlen(out->idcard), out->idcard_masked,
                          sizeof(out->idcard_masked));
    }
    if (st == WR_OK)
        st = rules_text(c, "licence_no", !update, RULES_LICENCE_MAX, out->licence_no,
                        sizeof(out->licence_no));
    out->has_licence = st == WR_OK && out->licence_no[0];
    if (st == WR_OK && out->has_licence) {
        const char *l = out->licence_no;
        if (l[0] < 'A' || l[0] > 'Z' || !rules_charset(l + 1, "0123456789X", 5, 18))
            return rules_bad(c, "licence_no",
                             "must be a capital letter and 5 to 18 digits or X, e.g. T and the "
                             "ID-card number");
        rules_mask_licence(l, out->licence_masked);
    }
    return st;
}

static wr_status rules_welder_categories(const rules_ctx *c, unsigned *out)
{
    *out = 0;
    long t = rules_get(c, "categories");
    if (t < 0)
        return rules_bad(c, "categories", "is required");
    const json_doc *d = c->doc;
    if (d->tokens[t].type != JSON_ARRAY)
        return rules_type(c, "categories", t, "an array of fusion, pressure or brazing");
    for (size_t k = (size_t)t + 1; k < d->tokens[t].next; k = d->tokens[k].next) {
        char name[16];
        licence_category cat;
        if (json_string(d, k, name, sizeof(name), NULL) != WR_OK ||
            !licence_category_from_name(name, strlen(name), &cat))
            return rules_bad(c, "categories", "items must be fusion, pressure or brazing");
        if (*out & (unsigned)cat)
            return rules_bad(c, "categories", "lists \"%s\" twice", name);
        *out |= (unsigned)cat;
    }
    return *out ? WR_OK : rules_bad(c, "categories", "must list at least one operation item");
}

/* Adds @p years calendar years to @p days; 29 February becomes 28 February. */
static int64_t rules_add_years(int64_t days, int years)
{
    int64_t y;
    unsigned m, d;
    rules_civil_from_days(days, &y, &m, &d);
    y += years;
    if (m == 2 && d == 29 && !rules_leap(y))
        d = 28;
    return rules_days_from_civil(y, m, d);
}

/* Issue date, validity and review date: defaults from the licence rules, then the order. */
static wr_status rules_welder_dates(const rules_ctx *c, rules_welder *out)
{
    int64_t issued = 0, until = 0, review = 0;
    wr_status st = rules_date(c, "issued_on", true, out->issued_on, &issued);
    if (st != WR_OK)
        return st;
    st = rules_date(c, "valid_until", false, out->valid_until, &until);
    if (st == WR_ENOTFOUND) {
        until = rules_add_years(issued, LICENCE_VALID_YEARS);
        rules_format_date(until, out->valid_until);
    } else if (st != WR_OK) {
        return st;
    }
    if (until <= issued)
        return rules_bad(c, "valid_until", "must be after \"issued_on\"");
    if (until > rules_add_years(issued, LICENCE_VALID_YEARS))
        return rules_bad(c, "valid_until", "a licence is valid at most %d years after issue",
                         LICENCE_VALID_YEARS);
    st = rules_date(c, "review_due", false, out->review_due, &review);
    if (st == WR_ENOTFOUND) {
        review = rules_add_years(issued, out->long_record ? LICENCE_LONG_REVIEW_YEARS
                                                          : LICENCE_REVIEW_YEARS);
        review = review < until ? review : until;
        rules_format_date(review, out->review_due);
    } else if (st != WR_OK) {
        return st;
    }
    if (review <= issued || review > until)
        return rules_bad(c, "review_due",
                         "must be after \"issued_on\" and not after "
                         "\"valid_until\"");
    return WR_OK;
}

wr_status rules_check_welder(const json_doc *doc, size_t obj, bool update, rules_welder *out,
                             char *why, size_t whylen)
{
    static const char *const statuses[] = {"active", "suspended", "retired", NULL};
    static const char *const licence_statuses[] = {"active", "revoked", NULL};
    rules_ctx c = {doc, obj, why, whylen};
    memset(out, 0, sizeof(*out));
    wr_status st = rules_object(&c);
    if (st == WR_OK)
        st = rules_known_fields(&c, rules_welder_fields);
    if (st == WR_OK)
        st = rules_text(&c, "name", true, 100, out->name, sizeof(out->name));
    if (st == WR_OK)
        st = rules_welder_identity(&c, update, out);
    if (st == WR_OK)
        st = rules_phone(&c, "phone", out->phone, sizeof(out->phone));
    if (st == WR_OK)
        st = rules_welder_categories(&c, &out->categories);
    if (st == WR_OK)
        st = rules_bool(&c, "long_record", &out->long_record);
    if (st == WR_OK)
        st = rules_welder_dates(&c, out);
    if (st == WR_OK)
        st = rules_enum(&c, "status", statuses, out->status, sizeof(out->status));
    if (st == WR_OK)
        st = rules_enum(&c, "licence_status", licence_statuses, out->licence_status,
                        sizeof(out->licence_status));
    return st;
}

static wr_status rules_permit_level(const rules_ctx *c, permit_level *out)
{
    static const char *const levels[] = {"second", "first", "special", NULL};
    if (rules_get(c, "level") < 0)
        return rules_bad(c, "level", "is required");
    char name[12];
    wr_status st = rules_enum(c, "level", levels, name, sizeof(name));
    if (st != WR_OK)
        return st;                     /* name is not set */
    permit_level_from_name(name, out); /* rules_enum() let only the names through */
    return WR_OK;
}

/* The window against the level (GB 30871 5.1.5), after the night rule of 5.1 raised it. */
static wr_status rules_permit_window(const rules_ctx *c, rules_permit *out)
{
    wr_status st = rules_time(c, "starts_at", true, &out->starts_at);
    if (st == WR_OK)
        st = rules_time(c, "ends_at", true, &out->ends_at);
    if (st != WR_OK)
        return st;
    if (out->ends_at <= out->starts_at)
        return rules_bad(c, "ends_at", "must be after \"starts_at\"");
    permit_level effective = permit_effective_level(out->level, out->starts_at, false);
    if (!permit_window_ok(effective, out->starts_at, out->ends_at))
        return rules_bad(c, "ends_at", "a %s-level permit may last at most %d h%s",
                         permit_level_name(effective), effective == PERMIT_SECOND ? 72 : 8,
                         effective != out->level ? " (work starting at night is one level up)"
                                                 : "");
    st = rules_time(c, "gas_analysis_at", false, &out->gas_analysis_at);
    out->has_gas_analysis = st == WR_OK;
    if (st == WR_ENOTFOUND)
        return WR_OK;
    if (st == WR_OK && out->gas_analysis_at >= out->ends_at)
        return rules_bad(c, "gas_analysis_at", "must be before \"ends_at\"");
    return st;
}

/* The optional level the approver may sign for (Table B.1): at least the permit's level, raised
 * for work starting at night (the rest days are the calendar's, applied at each scan). */
static wr_status rules_permit_approver_level(const rules_ctx *c, rules_permit *out)
{
    static const char *const levels[] = {"", "second", "first", "special", NULL};
    wr_status st =
        rules_enum(c, "approver_level", levels, out->approver_level, sizeof(out->approver_level));
    if (st != WR_OK || !out->approver_level[0])
        return st;
    permit_level approver = PERMIT_SECOND;
    permit_level_from_name(out->approver_level, &approver);
    permit_level needed = permit_effective_level(out->level, out->starts_at, false);
    if (approver < needed)
        return rules_bad(c, "approver_level", "a %s-level permit%s needs its approver (Table B.1)",
                         permit_level_name(needed),
                         needed != out->level ? " (work starting at night is one level up)" : "");
    return WR_OK;
}

static wr_status rules_permit_people(const rules_ctx *c, rules_permit *out)
{
    wr_status st = rules_text(c, "approver", true, 100, out->approver, sizeof(out->approver));
    if (st == WR_OK)
        st = rules_text(c, "fire_watch", true, 100, out->fire_watch, sizeof(out->fire_watch));
    if (st == WR_OK)
        st = rules_id_list(c, "welders", out->welders, &out->welder_count);
    if (st == WR_OK && out->welder_count == 0)
        st = rules_bad(c, "welders", "must name at least one welder (Table A.1)");
    if (st == WR_OK)
        st = rules_bool(c, "all_machines", &out->all_machines);
    if (st == WR_OK)
        st = rules_id_list(c, "machines", out->machines, &out->machine_count);
    if (st == WR_OK && out->machine_count == 0 && !out->all_machines)
        st = rules_bad(c, "machines", "must name at least one machine unless \"all_machines\"");
    return st;
}

/* An object of the members @p allowed only. */
static wr_status rules_object_of(const rules_ctx *c, const char *const *allowed)
{
    wr_status st = rules_object(c);
    return st == WR_OK ? rules_known(c, allowed) : st;
}

static wr_status rules_permit_gas_test(const rules_ctx *c, rules_permit_change *out)
{
    wr_status st = rules_time(c, "gas_tested_at", false, &out->gas_tested_at);
    out->has_gas_test = st == WR_OK;
    if (st == WR_ENOTFOUND)
        return rules_get(c, "gas_value") < 0
                   ? WR_OK
                   : rules_bad(c, "gas_tested_at", "is required with \"gas_value\"");
    if (st != WR_OK)
        return st;
    return rules_number(c, "gas_value", 0, 100, &out->gas_value);
}

/* An id both in @p a and in @p b is refused, naming @p key. */
static wr_status rules_disjoint(const rules_ctx *c, const char *key, const int64_t *a, size_t na,
                                const int64_t *b, size_t nb)
{
    for (size_t i = 0; i < na; i++) {
        for (size_t j = 0; j < nb; j++) {
            if (a[i] == b[j])
                return rules_bad(c, key, "id %lld is both added and removed", (long long)a[i]);
        }
    }
    return WR_OK;
}

static wr_status rules_permit_change_people(const rules_ctx *c, rules_permit_change *out)
{
    wr_status st = rules_id_list(c, "add_welders", out->add_welders, &out->add_welder_count);
    if (st == WR_OK)
        st = rules_id_list(c, "remove_welders", out->remove_welders, &out->remove_welder_count);
    if (st == WR_OK)
        st = rules_id_list(c, "add_machines", out->add_machines, &out->add_machine_count);
    if (st == WR_OK)
        st = rules_id_list(c, "remove_machines", out->remove_machines, &out->remove_machine_count);
    if (st == WR_OK)
        st = rules_disjoint(c, "remove_welders", out->add_welders, out->add_welder_count,
                            out->remove_welders, out->remove_welder_count);
    if (st == WR_OK)
        st = rules_disjoint(c, "remove_machines", out->add_machines, out->add_machine_count,
                            out->remove_machines, out->remove_machine_count);
    return st;
}

wr_status rules_check_permit_change(const json_doc *doc, size_t obj, rules_permit_change *out,
                                    char *why, size_t whylen)
{
    static const char *const fields[] = {
        "id",           "gas_tested_at",  "gas_value",       "ends_at", "add_welders",
        "add_machines", "remove_welders", "remove_machines", "note",    NULL};
    rules_ctx c = {doc, obj, why, whylen};
    memset(out, 0, sizeof(*out));
    wr_status st = rules_object_of(&c, fields);
    if (st == WR_OK)
        st = rules_id(&c, "id", &out->id);
    if (st == WR_OK)
        st = rules_permit_gas_test(&c, out);
    if (st == WR_OK) {
        st = rules_time(&c, "ends_at", false, &out->ends_at);
        out->has_ends_at = st == WR_OK;
        if (st == WR_ENOTFOUND)
            st = WR_OK;
    }
    if (st == WR_OK)
        st = rules_permit_change_people(&c, out);
    if (st == WR_OK)
        st = rules_text(&c, "note", false, 200, out->note, sizeof(out->note));
    if (st == WR_OK && !out->has_gas_test && !out->has_ends_at && out->add_welder_count == 0 &&
        out->remove_welder_count == 0 && out->add_machine_count == 0 &&
        out->remove_machine_count == 0)
        return rules_bad(&c, "id",
                         "names no change (gas_tested_at, ends_at, add_welders, "
                         "remove_welders, add_machines, remove_machines)");
    return st;
}

/* Day @p i of the calendar: an object {"date", "rest", "name"} with its date in @p year. */
static wr_status rules_holiday(const rules_ctx *c, int32_t year, rules_holidays *out)
{
    static const char *const fields[] = {"date", "rest", "name", NULL};
    char date[RULES_DATE_SIZE + 1];
    size_t i = out->count;
    wr_status st = rules_object_of(c, fields);
    if (st == WR_OK)
        st = rules_text(c, "date", true, RULES_DATE_SIZE - 1, date, sizeof(date));
    char prefix[16];
    snprintf(prefix, sizeof(prefix), "%04d-", (int)year);
    if (st == WR_OK && (rules_parse_date(date, strlen(date), &out->days[i].day) != WR_OK ||
                        strncmp(date, prefix, 5) != 0))
        st = rules_bad(c, "date", "expected a date YYYY-MM-DD in %d", (int)year);
    if (st == WR_OK && rules_get(c, "rest") < 0)
        st =
            rules_bad(c, "rest", "is required (true: a holiday or rest day, false: a working day)");
    if (st == WR_OK)
        st = rules_bool(c, "rest", &out->days[i].rest);
    if (st == WR_OK)
        st = rules_text(c, "name", true, 50, out->days[i].name, sizeof(out->days[i].name));
    for (size_t k = 0; st == WR_OK && k < i; k++) {
        if (out->days[k].day == out->days[i].day)
            st = rules_bad(c, "date", "%s is listed twice", date);
    }
    return st;
}

wr_status rules_check_holidays(const json_doc *doc, size_t obj, rules_holidays *out, char *why,
                               size_t whylen)
{
    static const char *const fields[] = {"year", "days", NULL};
    rules_ctx c = {doc, obj, why, whylen};
    memset(out, 0, sizeof(*out));
    int32_t year;
    wr_status st = rules_object_of(&c, fields);
    if (st == WR_OK && rules_get(&c, "year") < 0)
        st = rules_bad(&c, "year", "is required");
    if (st == WR_OK)
        st = rules_small_int(&c, "year", 2000, 2100, 0, &year);
    long t = st == WR_OK ? rules_get(&c, "days") : -1;
    if (st == WR_OK && (t < 0 || doc->tokens[t].type != JSON_ARRAY))
        return t < 0 ? rules_bad(&c, "days", "is required") : rules_type(&c, "days", t, "an array");
    if (st != WR_OK)
        return st;
    if (doc->tokens[t].count > RULES_HOLIDAYS_MAX)
        return rules_bad(&c, "days", "lists more than %d days", RULES_HOLIDAYS_MAX);
    out->year = year;
    for (size_t k = (size_t)t + 1; k < doc->tokens[t].next; k = doc->tokens[k].next) {
        char inner[RULES_WHY_SIZE];
        rules_ctx item = {doc, k, inner, sizeof(inner)};
        if (rules_holiday(&item, year, out) != WR_OK) {
            snprintf(why, whylen, "days item %zu: %s", out->count + 1, inner);
            return WR_EINVAL;
        }
        out->count++;
    }
    return WR_OK;
}

wr_status rules_check_permit(const json_doc *doc, size_t obj, rules_permit *out, char *why,
                             size_t whylen)
{
    static const char *const fields[] = {"permit_no",     "level",          "enterprise_id",
                                         "site_address",  "site_lat",       "site_lon",
                                         "site_radius_m", "starts_at",      "ends_at",
                                         "approver",      "fire_watch",     "gas_analysis_at",
                                         "status",        "all_machines",   "welders",
                                         "machines",      "approver_level", NULL};
    static const char *const statuses[] = {"approved", "cancelled", "closed", NULL};
    rules_ctx c = {doc, obj, why, whylen};
    memset(out, 0, sizeof(*out));
    wr_status st = rules_object(&c);
    if (st == WR_OK)
        st = rules_known(&c, fields);
    if (st == WR_OK)
        st = rules_text(&c, "permit_no", true, 64, out->permit_no, sizeof(out->permit_no));
    if (st == WR_OK)
        st = rules_permit_level(&c, &out->level);
    if (st == WR_OK)
        st = rules_id(&c, "enterprise_id", &out->enterprise_id);
    if (st == WR_OK)
        st =
            rules_text(&c, "site_address", true, 200, out->site_address, sizeof(out->site_address));
    if (st == WR_OK)
        st = rules_number(&c, "site_lat", -90, 90, &out->site_lat);
    if (st == WR_OK)
        st = rules_number(&c, "site_lon", -180, 180, &out->site_lon);
    if (st == WR_OK)
        st = rules_small_int(&c, "site_radius_m", 1, 1000, (int32_t)PERMIT_DEFAULT_RADIUS_M,
                             &out->site_radius_m);
    if (st == WR_OK)
        st = rules_permit_window(&c, out);
    if (st == WR_OK)
        st = rules_permit_people(&c, out);
    if (st == WR_OK)
        st = rules_permit_approver_level(&c, out);
    if (st == WR_OK)
        st = rules_enum(&c, "status", statuses, out->status, sizeof(out->status));
    return st;
}

/* ---- merging an update into the stored record ---- */

wr_status rules_copy_value(const json_doc *doc, size_t tok, json_writer *w)
{
    const json_token *t = &doc->tokens[tok];
    switch (t->type) {
    case JSON_NULL: json_put_null(w); break;
    case JSON_FALSE: json_put_bool(w, false); break;
    case JSON_TRUE: json_put_bool(w, true); break;
    case JSON_INT: json_put_int(w, t->i); break;
    case JSON_DOUBLE: json_put_double(w, t->d); break;
    case JSON_STRING: {
        char small[512];
        if (json_string(doc, tok, small, sizeof(small), NULL) != WR_OK)
            return WR_ESPACE; /* registry strings are far shorter */
        json_put_text(w, small, strlen(small));
        break;
    }
    case JSON_ARRAY:
    case JSON_OBJECT:
        if (t->type == JSON_ARRAY)
            json_begin_array(w);
        else
            json_begin_object(w);
        for (size_t k = tok + 1; k < t->next; k = doc->tokens[k].next) {
            if (t->type == JSON_OBJECT) {
                char key[128];
                if (json_string(doc, k, key, sizeof(key), NULL) != WR_OK)
                    return WR_ESPACE;
                json_key(w, key);
                k++;
            }
            wr_status st = rules_copy_value(doc, k, w);
            if (st != WR_OK)
                return st;
        }
        if (t->type == JSON_ARRAY)
            json_end_array(w);
        else
            json_end_object(w);
        break;
    }
    return w->err;
}

static wr_status rules_copy_members(const json_doc *doc, size_t obj, const json_doc *skip_doc,
                                    long skip_obj, json_writer *w)
{
    for (size_t k = obj + 1; k < doc->tokens[obj].next; k = doc->tokens[k + 1].next) {
        char key[128];
        if (json_string(doc, k, key, sizeof(key), NULL) != WR_OK)
            return WR_EINVAL;
        if (skip_obj >= 0 && json_find(skip_doc, (size_t)skip_obj, key) >= 0)
            continue; /* the change wins */
        if (skip_obj < 0 && doc->tokens[k + 1].type == JSON_NULL)
            continue; /* null in a change removes the field */
        json_key(w, key);
        wr_status st = rules_copy_value(doc, k + 1, w);
        if (st != WR_OK)
            return st;
    }
    return WR_OK;
}

wr_status rules_merge(const json_doc *base_doc, size_t base, const json_doc *changes_doc,
                      size_t changes, json_writer *w)
{
    if (base_doc->tokens[base].type != JSON_OBJECT ||
        changes_doc->tokens[changes].type != JSON_OBJECT)
        return WR_ETYPE;
    json_begin_object(w);
    wr_status st = rules_copy_members(base_doc, base, changes_doc, (long)changes, w);
    if (st == WR_OK)
        st = rules_copy_members(changes_doc, changes, NULL, -1, w);
    json_end_object(w);
    return st != WR_OK ? st : json_writer_status(w);
}
