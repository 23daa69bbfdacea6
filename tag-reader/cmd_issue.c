/* cmd_issue.c — `weldtag issue`: the offline issuing station. Signs a machine or welder code
 * from explicit fields, renders it (text, PNG, SVG, terminal, label line) and appends it to the
 * station's journal so the platform can import it. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/code.h"
#include "core/licence.h"
#include "core/registry_rules.h"
#include "tag-reader/codeview.h"
#include "tag-reader/commands.h"
#include "tag-reader/keys.h"
#include "tag-reader/qr.h"

#define ISSUE_MODULE_PX 4
#define ISSUE_DAY_S     86400
#define ISSUE_WID_LEN   16 /* the platform's welder id, journalled, not in the code */

static void issue_usage(FILE *out)
{
    fputs("usage: weldtag issue machine --chip ID --ent NUMBER --cat CATEGORY [common options]\n"
          "       weldtag issue welder --licence NUMBER --name NAME --cats LIST\n"
          "                            --licence-valid-until DATE --wid HEX32 [common options]\n"
          "Signs a code offline with the station's key and prints or renders it.\n"
          "\n"
          "  --chip ID        the chip id: 1-20 of A-Z 0-9 -; digits only (IMEI, ICCID) always\n"
          "                   fit, others share 10-Q with --iss and --ent\n"
          "  --ent NUMBER     the owner's number in the registry (enterprises.id)\n"
          "  --cat CATEGORY   the machine's process: fusion, pressure or brazing\n"
          "  --licence NUMBER the full licence number; only a masked form goes into the code\n"
          "  --name NAME      the welder's name; only its first character goes into the code\n"
          "  --cats LIST      the licence's items, comma-separated (fusion,pressure,brazing)\n"
          "  --wid HEX32      the platform's opaque welder id (32 hex digits), for the journal\n"
          "common options:\n"
          "  --signing-key FILE  PEM private key, Ed25519 or P-256 (or WELDTAG_SIGNING_KEY)\n"
          "  --iss NAME          the issuer: the deployment's name, 1-12 of a-z 0-9 -, short\n"
          "  --expires DATE      last day of validity (YYYY-MM-DD) or Unix seconds\n"
          "  --days N            valid for N days (default: 365 for machines, 180 for welders)\n"
          "  --issued SECONDS    issue time, Unix seconds (default now)\n"
          "  --format FORMAT     text (default), png, svg, utf8 (terminal) or line (a line for\n"
          "                      weldtag labels: code, TAB, caption, TAB, caption)\n"
          "  --out FILE          write there instead of stdout (png needs it or a pipe)\n"
          "  --journal FILE      append the issued code to this CSV journal (for the platform)\n"
          "DATE: YYYY-MM-DD, valid through the end of that day in China time (UTC+8),\n"
          "whatever this machine's time zone.\n"
          "The QR version used goes to stderr (machine codes fit 10-Q, welder codes 11-Q).\n"
          "exit codes: 0 issued, 2 usage (a field is invalid: the message names it)\n",
          out);
}

typedef struct issue_args {
    code_claims claims;
    const char *key_file, *iss, *expires, *format, *out, *journal;
    const char *licence, *name, *cats, *lvu, *wid_hex;
    long days;
    uint64_t issued;
    uint8_t wid[ISSUE_WID_LEN];
} issue_args;

/* Parses "YYYY-MM-DD" as the end of that day in China, as a licence's "valid until" is read
 * everywhere (licence_day_end()), or plain Unix seconds. */
static int issue_parse_date(const char *what, const char *text, uint64_t *out)
{
    char *end;
    int64_t day;
    if (strchr(text, '-') == NULL) {
        unsigned long long v = strtoull(text, &end, 10);
        if (end != text && !*end && v <= CODE_TIME_MAX) {
            *out = v;
            return 0;
        }
    } else if (rules_parse_date(text, strlen(text), &day) == WR_OK) {
        int64_t t = licence_day_end(day);
        if (t > 0 && (uint64_t)t <= CODE_TIME_MAX) {
            *out = (uint64_t)t;
            return 0;
        }
    }
    tool_error("invalid %s \"%s\": expected YYYY-MM-DD or Unix seconds", what, text);
    return -1;
}

static int issue_parse_category(const char *text, size_t len, unsigned *out)
{
    for (unsigned bit = CODE_CAT_FUSION; bit <= CODE_CAT_BRAZING; bit <<= 1) {
        const char *name = code_category_name(bit);
        if (strlen(name) == len && memcmp(name, text, len) == 0) {
            *out = bit;
            return 0;
        }
    }
    tool_error("unknown category \"%.*s\": expected fusion, pressure or brazing", (int)len, text);
    return -1;
}

static int issue_parse_categories(const char *list, unsigned *out)
{
    *out = 0;
    for (const char *p = list;; p++) {
        size_t len = strcspn(p, ",");
        unsigned bit;
        if (issue_parse_category(p, len, &bit) != 0)
            return -1;
        *out |= bit;
        p += len;
        if (!*p)
            return 0;
    }
}

static int issue_parse_hex(const char *what, const char *text, uint8_t *out, size_t n)
{
    if (strlen(text) != 2 * n)
        goto bad;
    for (size_t i = 0; i < n; i++) {
        const char *digits = "0123456789abcdef", *hi, *lo;
        if (!text[2 * i] || !(hi = strchr(digits, tolower((unsigned char)text[2 * i]))) ||
            !text[2 * i + 1] || !(lo = strchr(digits, tolower((unsigned char)text[2 * i + 1]))))
            goto bad;
        out[i] = (uint8_t)((hi - digits) << 4 | (lo - digits));
    }
    return 0;
bad:
    tool_error("invalid %s \"%s\": expected %zu hex digits", what, text, 2 * n);
    return -1;
}

static int issue_parse_enterprise(const char *text, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (end == text || *end || errno || text[0] == '-' || v < 1 || v > CODE_ENT_MAX) {
        tool_error("invalid --ent \"%s\": expected the enterprise's number, 1 to %llu", text,
                   (unsigned long long)CODE_ENT_MAX);
        return -1;
    }
    *out = v;
    return 0;
}

static int issue_copy(const char *what, const char *text, char *out, size_t cap)
{
    if (strlen(text) >= cap) {
        tool_error("%s \"%s\" is too long: at most %zu characters", what, text, cap - 1);
        return -1;
    }
    memcpy(out, text, strlen(text) + 1);
    return 0;
}

/* One option; 0, or -1 with a message printed. */
static int issue_option(int opt, const char *arg, issue_args *a)
{
    char *end;
    switch (opt) {
    case 'c': return issue_copy("--chip", arg, a->claims.chip, sizeof(a->claims.chip));
    case 'e': return issue_parse_enterprise(arg, &a->claims.ent);
    case 'C': return issue_parse_category(arg, strlen(arg), &a->claims.cat);
    case 'l': a->licence = arg; return 0;
    case 'n': a->name = arg; return 0;
    case 'S': a->cats = arg; return 0;
    case 'v': a->lvu = arg; return 0;
    case 'w': a->wid_hex = arg; return 0;
    case 'k': a->key_file = arg; return 0;
    case 'i': a->iss = arg; return 0;
    case 'x': a->expires = arg; return 0;
    case 'f': a->format = arg; return 0;
    case 'o': a->out = arg; return 0;
    case 'j': a->journal = arg; return 0;
    case 'd':
        a->days = strtol(arg, &end, 10);
        if (*end || end == arg || a->days < 1 || a->days > 1096) {
            tool_error("invalid --days \"%s\": expected 1 to 1096", arg);
            return -1;
        }
        return 0;
    case 'I': return issue_parse_date("--issued", arg, &a->issued);
    default: return -1;
    }
}

static int issue_parse_options(int argc, char **argv, issue_args *a)
{
    static const struct option options[] = {{"chip", required_argument, NULL, 'c'},
                                            {"ent", required_argument, NULL, 'e'},
                                            {"cat", required_argument, NULL, 'C'},
                                            {"licence", required_argument, NULL, 'l'},
                                            {"name", required_argument, NULL, 'n'},
                                            {"cats", required_argument, NULL, 'S'},
                                            {"licence-valid-until", required_argument, NULL, 'v'},
                                            {"wid", required_argument, NULL, 'w'},
                                            {"signing-key", required_argument, NULL, 'k'},
                                            {"iss", required_argument, NULL, 'i'},
                                            {"expires", required_argument, NULL, 'x'},
                                            {"days", required_argument, NULL, 'd'},
                                            {"issued", required_argument, NULL, 'I'},
                                            {"format", required_argument, NULL, 'f'},
                                            {"out", required_argument, NULL, 'o'},
                                            {"journal", required_argument, NULL, 'j'},
                                            {"help", no_argument, NULL, 'h'},
                                            {NULL, 0, NULL, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        if (opt == 'h') {
            issue_usage(stdout);
            exit(WELDTAG_EXIT_OK);
        }
        if (issue_option(opt, optarg, a) != 0)
            return -1;
    }
    return 0;
}

static int issue_welder_fields(issue_args *a)
{
    code_claims *c = &a->claims;
    if (!a->licence || !a->name || !a->cats || !a->lvu || !a->wid_hex) {
        tool_error("a welder code needs --licence, --name, --cats, --licence-valid-until and "
                   "--wid");
        return -1;
    }
    if (code_mask_licence(a->licence, c->lic) != WR_OK) {
        tool_error("invalid --licence: expected a capital letter and 5 to 18 digits or X");
        return -1;
    }
    if (code_mask_name(a->name, c->nm) != WR_OK) {
        tool_error("invalid --name: expected a name in UTF-8");
        return -1;
    }
    return issue_parse_categories(a->cats, &c->cats) != 0 ||
                   issue_parse_date("--licence-valid-until", a->lvu, &c->lvu) != 0 ||
                   issue_parse_hex("--wid", a->wid_hex, a->wid, sizeof(a->wid)) != 0
               ? -1
               : 0;
}

/* Fills the claims that do not come straight from one option. */
static int issue_finish_claims(issue_args *a)
{
    code_claims *c = &a->claims;
    if (!a->iss || !a->key_file) {
        tool_error("issue needs --iss NAME and --signing-key FILE (or WELDTAG_SIGNING_KEY)");
        return -1;
    }
    if (strlen(a->iss) >= sizeof(c->iss)) {
        tool_error("invalid --iss \"%s\": 1 to 12 of a-z, 0-9 and -", a->iss);
        return -1;
    }
    memcpy(c->iss, a->iss, strlen(a->iss) + 1);
    if (c->kind == CODE_WELDER && issue_welder_fields(a) != 0)
        return -1;
    if (c->kind == CODE_MACHINE && (!c->chip[0] || !c->ent || !c->cat)) {
        tool_error("a machine code needs --chip, --ent and --cat");
        return -1;
    }
    c->iat = a->issued ? a->issued : (uint64_t)time(NULL);
    if (a->expires && a->days) {
        tool_error("give --expires or --days, not both");
        return -1;
    }
    if (a->expires)
        return issue_parse_date("--expires", a->expires, &c->exp);
    long days = a->days ? a->days : c->kind == CODE_MACHINE ? 365 : 180;
    c->exp = c->iat + (uint64_t)days * ISSUE_DAY_S;
    if (c->kind == CODE_WELDER && !a->days && c->exp > c->lvu)
        c->exp = c->lvu; /* by default a welder code ends with the licence */
    return 0;
}

static const char *issue_rule_text(wr_status st, code_kind kind)
{
    if (st == WR_ERANGE)
        return kind == CODE_MACHINE ? "a machine code may live at most 3 years"
                                    : "a welder code may live at most 1 year and not beyond the "
                                      "licence (--licence-valid-until)";
    if (st == WR_ETOOBIG)
        return "--chip and --iss together are too long for QR version 10-Q (a chip id of digits "
               "only always fits; otherwise a shorter --iss leaves room for a longer chip id; see "
               "docs/codes.md)";
    return "a field is malformed: --iss is 1-12 of a-z 0-9 -, --chip 1-20 of A-Z 0-9 -";
}

/* Formats @p t as an ISO 8601 UTC timestamp, as PostgreSQL reads it. */
static void issue_iso_time(uint64_t t, char *out, size_t cap)
{
    time_t when = (time_t)t;
    struct tm tm;
    gmtime_r(&when, &tm);
    strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Appends "cti,kind,subject,issued,expires,kid" to the journal, with a header when the file is
 * new. The subject is the chip id of a machine and the welder id (hex) of a welder: the masked
 * licence number is not unique. */
static int issue_journal(const char *path, const issue_args *a, const uint8_t *kid)
{
    FILE *f = fopen(path, "a");
    if (!f) {
        tool_error("could not open journal \"%s\": %s", path, strerror(errno));
        return -1;
    }
    const code_claims *c = &a->claims;
    char cti[2 * CODE_CTI_LEN + 1], wid[2 * ISSUE_WID_LEN + 1], kid_hex[2 * COSE_KID_LEN + 1];
    char issued[32], expires[32];
    codeview_hex(c->cti, sizeof(c->cti), cti);
    codeview_hex(a->wid, sizeof(a->wid), wid);
    codeview_hex(kid, COSE_KID_LEN, kid_hex);
    issue_iso_time(c->iat, issued, sizeof(issued));
    issue_iso_time(c->exp, expires, sizeof(expires));
    if (ftell(f) == 0)
        fputs("cti,kind,subject,issued,expires,kid\n", f);
    fprintf(f, "%s,%s,%s,%s,%s,%s\n", cti, c->kind == CODE_MACHINE ? "machine" : "welder",
            c->kind == CODE_MACHINE ? c->chip : wid, issued, expires, kid_hex);
    if (fclose(f) != 0) {
        tool_error("could not write journal \"%s\": %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* Writes the label line: code, caption, caption (captions are ASCII: labels use Helvetica). The
 * last valid day is a China day, as weldtag labels checks it. */
static void issue_label_line(FILE *out, const char *text, const code_claims *c)
{
    char until[RULES_DATE_SIZE];
    rules_format_date(licence_china_day((int64_t)c->exp - 1), until);
    if (c->kind == CODE_MACHINE)
        fprintf(out, "%s\tChip %s\tValid until %s\n", text, c->chip, until);
    else
        fprintf(out, "%s\tLicence %s\tValid until %s\n", text, c->lic, until);
}

static wr_status issue_render(const char *format, const char *text, const code_claims *c,
                              const qr_matrix *m, FILE *out)
{
    if (strcmp(format, "text") == 0)
        return fprintf(out, "%s\n", text) < 0 ? WR_EIO : WR_OK;
    if (strcmp(format, "line") == 0) {
        issue_label_line(out, text, c);
        return ferror(out) ? WR_EIO : WR_OK;
    }
    if (strcmp(format, "png") == 0)
        return qr_write_png(m, ISSUE_MODULE_PX, QR_QUIET_MODULES, out);
    if (strcmp(format, "svg") == 0)
        return qr_write_svg(m, ISSUE_MODULE_PX, QR_QUIET_MODULES, out);
    return qr_write_utf8(m, QR_QUIET_MODULES, QR_UTF8_ANSI, out);
}

static bool issue_format_known(const char *format)
{
    static const char *const formats[] = {"text", "png", "svg", "utf8", "line"};
    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
        if (strcmp(format, formats[i]) == 0)
            return true;
    return false;
}

/* Renders @p text to the output the options name and reports the QR size on stderr. */
static int issue_output(const issue_args *a, const char *text)
{
    qr_matrix m = {0};
    if (qr_encode(text, QR_LEVEL_Q, &m) != WR_OK) {
        tool_error("could not encode the code as a QR symbol");
        return WELDTAG_EXIT_USAGE;
    }
    char report[256];
    codeview_qr_report(a->claims.kind, strlen(text), m.version, report, sizeof(report));
    fprintf(stderr, "weldtag: %s\n", report);
    FILE *out = a->out ? fopen(a->out, "wb") : stdout;
    int rc = WELDTAG_EXIT_OK;
    if (!out) {
        tool_error("could not create \"%s\": %s", a->out, strerror(errno));
        rc = WELDTAG_EXIT_USAGE;
    } else if (issue_render(a->format, text, &a->claims, &m, out) != WR_OK ||
               (a->out ? fclose(out) : fflush(out)) != 0) {
        tool_error("could not write the %s output", a->format);
        rc = WELDTAG_EXIT_USAGE;
    }
    qr_matrix_deinit(&m);
    return rc;
}

/* Signs the code; 0 with the text in @p text and the key id in @p kid, or -1 (message printed). */
static int issue_sign(issue_args *a, char *text, size_t cap, uint8_t kid[COSE_KID_LEN])
{
    EVP_PKEY *key = NULL;
    char err[512];
    if (keys_load_signing_key(a->key_file, &key, err, sizeof(err)) != 0) {
        tool_error("%s", err);
        return -1;
    }
    wr_status st = code_new_cti(a->claims.cti);
    if (st == WR_OK)
        st = cose_key_id(key, kid);
    if (st == WR_OK)
        st = code_issue(&a->claims, key, text, cap);
    EVP_PKEY_free(key);
    if (st != WR_OK) {
        tool_error("could not issue the code: %s", issue_rule_text(st, a->claims.kind));
        return -1;
    }
    return 0;
}

int issue_main(int argc, char **argv)
{
    issue_args a;
    memset(&a, 0, sizeof(a));
    a.key_file = getenv("WELDTAG_SIGNING_KEY");
    a.format = "text";
    if (argc < 2 || (strcmp(argv[1], "machine") != 0 && strcmp(argv[1], "welder") != 0)) {
        if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
            issue_usage(stdout);
            return WELDTAG_EXIT_OK;
        }
        tool_error("issue needs the kind of code first: machine or welder (see --help)");
        return WELDTAG_EXIT_USAGE;
    }
    a.claims.kind = strcmp(argv[1], "machine") == 0 ? CODE_MACHINE : CODE_WELDER;
    if (issue_parse_options(argc - 1, argv + 1, &a) != 0 || optind != argc - 1)
        return WELDTAG_EXIT_USAGE;
    if (!issue_format_known(a.format)) {
        tool_error("unknown --format \"%s\": expected text, png, svg, utf8 or line", a.format);
        return WELDTAG_EXIT_USAGE;
    }
    char text[CODE_TEXT_MAX + 1];
    uint8_t kid[COSE_KID_LEN];
    if (issue_finish_claims(&a) != 0 || issue_sign(&a, text, sizeof(text), kid) != 0)
        return WELDTAG_EXIT_USAGE;
    if (a.journal && issue_journal(a.journal, &a, kid) != 0)
        return WELDTAG_EXIT_USAGE;
    return issue_output(&a, text);
}
