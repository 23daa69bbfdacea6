/* cmd_labels.c — `weldtag labels`: lays out issued codes (the lines of weldtag issue --format
 * line) as printable A4 label sheets in PDF. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/code.h"
#include "tag-reader/commands.h"
#include "tag-reader/labels.h"

static void labels_usage(FILE *out)
{
    fputs("usage: weldtag labels FILE --out SHEET.pdf [--hotline TEXT] [--columns N] [--rows N]\n"
          "Lays out the codes of FILE as A4 label sheets (PDF), e.g. the output of\n"
          "weldtag issue ... --format line. One label a line: CODE, TAB, first caption, TAB,\n"
          "second caption; without captions they are taken from the code (chip or licence).\n"
          "Captions are printable ASCII, and must belong to the code: a chip, licence,\n"
          "enterprise or date they name must be the code's (\"Chip WR-C-0001\", \"Valid until\n"
          "2027-06-30\", China time). Blank lines and lines starting with # are skipped.\n"
          "exit codes: 0 written, 2 usage or a bad line (the message names it)\n",
          out);
}

typedef struct labels_sheet {
    labels_entry *entries;
    char **lines; /* the text each entry points into */
    char (*captions)[2][LABELS_MAX_TEXT + 1];
    size_t count, cap;
} labels_sheet;

static void labels_sheet_deinit(labels_sheet *s)
{
    for (size_t i = 0; i < s->count; i++)
        free(s->lines[i]);
    free(s->lines);
    free(s->entries);
    free(s->captions);
}

static int labels_sheet_grow(labels_sheet *s)
{
    if (s->count < s->cap)
        return 0;
    size_t cap = s->cap ? s->cap * 2 : 64;
    labels_entry *entries = realloc(s->entries, cap * sizeof(*entries));
    if (entries)
        s->entries = entries;
    char **lines = realloc(s->lines, cap * sizeof(*lines));
    if (lines)
        s->lines = lines;
    char(*captions)[2][LABELS_MAX_TEXT + 1] = realloc(s->captions, cap * sizeof(*captions));
    if (captions)
        s->captions = captions;
    if (!entries || !lines || !captions)
        return -1;
    s->cap = cap;
    return 0;
}

/* Captions from the code itself, for a line that has none. */
static int labels_default_captions(const char *code, char captions[2][LABELS_MAX_TEXT + 1])
{
    code_parsed parsed;
    if (code_decode(code, strlen(code), &parsed) != WR_OK)
        return -1;
    const code_claims *c = &parsed.claims;
    if (c->kind == CODE_MACHINE) {
        snprintf(captions[0], LABELS_MAX_TEXT + 1, "Chip %s", c->chip);
        snprintf(captions[1], LABELS_MAX_TEXT + 1, "Enterprise %llu", (unsigned long long)c->ent);
    } else {
        snprintf(captions[0], LABELS_MAX_TEXT + 1, "Licence %s", c->lic);
        snprintf(captions[1], LABELS_MAX_TEXT + 1, "Welder code");
    }
    return 0;
}

/* Splits one line (its own copy, kept by the sheet) into an entry. */
static int labels_sheet_add(labels_sheet *s, char *line, size_t lineno, const char *path)
{
    if (labels_sheet_grow(s) != 0) {
        free(line);
        tool_error("out of memory");
        return -1;
    }
    labels_entry *e = &s->entries[s->count];
    char(*captions)[LABELS_MAX_TEXT + 1] = s->captions[s->count];
    s->lines[s->count++] = line;
    line[strcspn(line, "\r\n")] = '\0';
    char *tab = strchr(line, '\t');
    e->code = line;
    e->line1 = e->line2 = NULL;
    if (tab) {
        *tab = '\0';
        e->line1 = tab + 1;
        char *second = strchr(tab + 1, '\t');
        if (second) {
            *second = '\0';
            e->line2 = second + 1;
        }
        char why[256];
        if (labels_check_captions(e, why, sizeof(why)) != WR_OK) {
            tool_error("%s:%zu: %s", path, lineno, why);
            return -1;
        }
        return 0;
    }
    if (labels_default_captions(line, captions) != 0) {
        tool_error("%s:%zu: not a weldreg code, and no captions given", path, lineno);
        return -1;
    }
    e->line1 = captions[0];
    e->line2 = captions[1];
    return 0;
}

static int labels_sheet_read(const char *path, labels_sheet *s)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        tool_error("could not open \"%s\": %s", path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    int rc = 0;
    while (rc == 0 && getline(&line, &cap, f) != -1) {
        lineno++;
        if (line[0] == '#' || line[strspn(line, " \t\r\n")] == '\0')
            continue;
        rc = labels_sheet_add(s, line, lineno, path);
        line = NULL; /* the sheet keeps it */
        cap = 0;
    }
    free(line);
    fclose(f);
    if (rc == 0 && s->count == 0) {
        tool_error("\"%s\" holds no codes", path);
        rc = -1;
    }
    return rc;
}

/* --columns or --rows: a whole number, else 0 (which the layout check refuses with the range). */
static int labels_count_arg(const char *text)
{
    char *end;
    long v = strtol(text, &end, 10);
    return end != text && !*end && v > 0 && v <= 1000 ? (int)v : 0;
}

static int labels_parse(int argc, char **argv, labels_options *opt, const char **out)
{
    static const struct option options[] = {
        {"out", required_argument, NULL, 'o'},     {"hotline", required_argument, NULL, 't'},
        {"columns", required_argument, NULL, 'c'}, {"rows", required_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
    int o;
    while ((o = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (o) {
        case 'h': labels_usage(stdout); exit(WELDTAG_EXIT_OK);
        case 'o': *out = optarg; break;
        case 't': opt->hotline = optarg; break;
        case 'c': opt->columns = labels_count_arg(optarg); break;
        case 'r': opt->rows = labels_count_arg(optarg); break;
        default: return -1;
        }
    }
    if (!*out || optind != argc - 1) {
        tool_error("usage: weldtag labels FILE --out SHEET.pdf (see --help)");
        return -1;
    }
    return 0;
}

int labels_main(int argc, char **argv)
{
    labels_options opt;
    labels_options_init(&opt);
    const char *out_path = NULL;
    labels_sheet sheet = {0};
    int rc = WELDTAG_EXIT_USAGE;
    if (labels_parse(argc, argv, &opt, &out_path) != 0 ||
        labels_sheet_read(argv[argc - 1], &sheet) != 0)
        goto cleanup;
    FILE *out = fopen(out_path, "wb");
    if (!out) {
        tool_error("could not create \"%s\": %s", out_path, strerror(errno));
        goto cleanup;
    }
    wr_status st = labels_write_pdf(sheet.entries, sheet.count, &opt, out);
    if (fclose(out) != 0 && st == WR_OK)
        st = WR_EIO;
    if (st != WR_OK) {
        tool_error("could not write the label sheet: %s (codes must be weldreg codes, captions "
                   "printable ASCII of at most %d characters, --columns 1-8, --rows 1-12)",
                   wr_status_str(st), LABELS_MAX_TEXT);
        remove(out_path);
        goto cleanup;
    }
    printf("%s: %zu labels on %zu pages\n", out_path, sheet.count,
           labels_page_count(sheet.count, &opt));
    rc = WELDTAG_EXIT_OK;
cleanup:
    labels_sheet_deinit(&sheet);
    return rc;
}
