/* countsview.c — the counts as tables and CSV. */
#include "tag-reader/countsview.h"

#include <stdlib.h>
#include <string.h>

#include "core/reason.h"

#define COUNTSVIEW_NAME_MAX 40 /* terminal columns of the name column at most */

/* A column of the CSV (title) and of the tables (heading). */
typedef struct countsview_spec {
    const char *title, *heading, *path;
    countsview_kind kind;
} countsview_spec;

static const countsview_spec countsview_registry[] = {
    {"machines_active", "active", "machines.active", COUNTSVIEW_COUNT},
    {"machines_suspended", "suspended", "machines.suspended", COUNTSVIEW_COUNT},
    {"machines_scrapped", "scrapped", "machines.scrapped", COUNTSVIEW_COUNT},
    {"welders_valid", "valid", "welders.valid", COUNTSVIEW_COUNT},
    {"welders_expiring", "expiring", "welders.expiring", COUNTSVIEW_COUNT},
    {"welders_expired", "expired", "welders.expired", COUNTSVIEW_COUNT},
    {"welders_review_overdue", "review overdue", "welders.review_overdue", COUNTSVIEW_COUNT},
    {"welders_revoked", "revoked", "welders.revoked", COUNTSVIEW_COUNT},
    {"certified", "certified", "certified", COUNTSVIEW_COUNT},
    {"trained", "trained", "trained", COUNTSVIEW_COUNT},
    {"trained_share", "share", "trained_share", COUNTSVIEW_RATIO},
};

static const countsview_spec countsview_scans[] = {
    {"scans", "scans", "scans", COUNTSVIEW_COUNT},
    {"approvals", "approvals", "approvals", COUNTSVIEW_COUNT},
    {"denials", "denials", "denials", COUNTSVIEW_COUNT},
};

static const countsview_spec countsview_violations[] = {
    {"violations", "total", "violations.total", COUNTSVIEW_COUNT},
    {"violations_open", "open", "violations.open", COUNTSVIEW_COUNT},
    {"violations_acknowledged", "acknowledged", "violations.acknowledged", COUNTSVIEW_COUNT},
    {"violations_resolved", "resolved", "violations.resolved", COUNTSVIEW_COUNT},
    {"violations_dismissed", "dismissed", "violations.dismissed", COUNTSVIEW_COUNT},
};

#define COUNTSVIEW_N(a) (sizeof(a) / sizeof((a)[0]))

static void countsview_add(countsview_columns *c, const char *title, const char *path,
                           countsview_kind kind, bool of_answer)
{
    if (c->n >= COUNTSVIEW_COLUMNS_MAX)
        return;
    countsview_column *col = &c->items[c->n++];
    snprintf(col->title, sizeof(col->title), "%s", title);
    snprintf(col->path, sizeof(col->path), "%s", path);
    col->kind = kind;
    col->of_answer = of_answer;
}

static void countsview_add_specs(countsview_columns *c, const countsview_spec *specs, size_t n,
                                 bool headings)
{
    for (size_t i = 0; i < n; i++)
        countsview_add(c, headings ? specs[i].heading : specs[i].title, specs[i].path,
                       specs[i].kind, false);
}

static bool countsview_has(const countsview_columns *c, const char *path)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->items[i].path, path) == 0)
            return true;
    return false;
}

/* A column "<prefix><key>" for path "<member>.<key>" unless there is one. */
static void countsview_add_key(countsview_columns *c, const char *member, const char *prefix,
                               const char *key)
{
    char path[96], title[64];
    snprintf(path, sizeof(path), "%s.%s", member, key);
    snprintf(title, sizeof(title), "%s%s", prefix, key);
    if (!countsview_has(c, path))
        countsview_add(c, title, path, COUNTSVIEW_COUNT, false);
}

/* A column for every key of the object @p member of each row. The rows are read from the last,
 * the total, whose keys (all of them, in order) come first. */
static void countsview_add_found(const answer_doc *a, const size_t *rows, size_t n,
                                 const char *member, const char *prefix, countsview_columns *c)
{
    const json_token *t = a->doc.tokens;
    for (size_t r = n; r-- > 0;) {
        long obj = answer_find(a, rows[r], member);
        if (obj < 0 || t[obj].type != JSON_OBJECT)
            continue;
        for (size_t k = (size_t)obj + 1; k < t[obj].next; k = t[k + 1].next) {
            char key[64];
            if (json_string(&a->doc, k, key, sizeof(key), NULL) == WR_OK && !strchr(key, '.'))
                countsview_add_key(c, member, prefix, key);
        }
    }
}

size_t countsview_rows(const answer_doc *a, size_t *rows, size_t cap)
{
    size_t n = 0;
    long list = answer_find(a, 0, "rows");
    if (list >= 0 && a->doc.tokens[list].type == JSON_ARRAY) {
        const json_token *t = a->doc.tokens;
        for (size_t k = (size_t)list + 1; k < t[list].next && n < cap; k = t[k].next)
            if (t[k].type == JSON_OBJECT)
                rows[n++] = k;
    }
    long total = answer_find(a, 0, "total");
    if (total >= 0 && a->doc.tokens[total].type == JSON_OBJECT && n < cap)
        rows[n++] = (size_t)total;
    return n;
}

/* The group columns: what names a community, an enterprise or an industry (its code is its
 * id: a section of GB/T 4754-2017). */
static void countsview_add_group(const answer_doc *a, countsview_columns *c)
{
    char by[16];
    answer_text(a, 0, "by", "", by, sizeof(by));
    bool enterprise = strcmp(by, "enterprise") == 0;
    if (strcmp(by, "industry") != 0)
        countsview_add(c, "id", "group.id", COUNTSVIEW_TEXT, false);
    countsview_add(c, enterprise ? "uscc" : "code", enterprise ? "group.uscc" : "group.code",
                   COUNTSVIEW_TEXT, false);
    countsview_add(c, "name", "group.name", COUNTSVIEW_NAME, false);
    if (enterprise)
        countsview_add(c, "community_id", "group.community_id", COUNTSVIEW_TEXT, false);
}

void countsview_csv_columns(const answer_doc *a, countsview_columns *out)
{
    size_t *rows = malloc(a->doc.count * sizeof(*rows));
    size_t n = rows ? countsview_rows(a, rows, a->doc.count) : 0;
    out->n = 0;
    countsview_add(out, "from", "from", COUNTSVIEW_TEXT, true);
    countsview_add(out, "to", "to", COUNTSVIEW_TEXT, true);
    countsview_add_group(a, out);
    countsview_add_specs(out, countsview_registry, COUNTSVIEW_N(countsview_registry), false);
    countsview_add_specs(out, countsview_scans, COUNTSVIEW_N(countsview_scans), false);
    for (int code = 1; code < REASON_COUNT_; code++)
        countsview_add_key(out, "denial_reasons", "denied_", reason_name((reason_code)code));
    countsview_add_found(a, rows, n, "denial_reasons", "denied_", out);
    countsview_add_specs(out, countsview_violations, COUNTSVIEW_N(countsview_violations), false);
    for (int code = 1; code < REASON_COUNT_; code++)
        if (reason_get((reason_code)code)->violation)
            countsview_add_key(out, "violations.kinds", "kind_", reason_name((reason_code)code));
    countsview_add_found(a, rows, n, "violations.kinds", "kind_", out);
    free(rows);
}

/* The text of column @p col on the row at token @p row. */
static const char *countsview_cell(const answer_doc *a, size_t row, const countsview_column *col,
                                   char *buf, size_t cap)
{
    size_t obj = col->of_answer ? 0 : row;
    switch (col->kind) {
    case COUNTSVIEW_COUNT: return answer_text(a, obj, col->path, "0", buf, cap);
    case COUNTSVIEW_NAME: return answer_text(a, obj, col->path, "total", buf, cap);
    case COUNTSVIEW_RATIO:
        if (answer_text(a, obj, col->path, "", buf, cap)[0])
            snprintf(buf, cap, "%.4f", strtod(buf, NULL));
        return buf;
    case COUNTSVIEW_TEXT: break;
    }
    return answer_text(a, obj, col->path, "", buf, cap);
}

void countsview_csv_header(const countsview_columns *c, csv_writer *w)
{
    for (size_t i = 0; i < c->n; i++)
        csv_put_cstr(w, c->items[i].title);
    csv_end_record(w);
}

void countsview_csv_row(const answer_doc *a, size_t row, const countsview_columns *c, csv_writer *w)
{
    for (size_t i = 0; i < c->n; i++) {
        char buf[256];
        csv_put_cstr(w, countsview_cell(a, row, &c->items[i], buf, sizeof(buf)));
    }
    csv_end_record(w);
}

/* ---- tables ---- */

/* Prints one table: the group's name, then @p c right-aligned. */
static void countsview_table(FILE *out, const answer_doc *a, const size_t *rows, size_t n,
                             const char *title, const countsview_columns *c)
{
    static const countsview_column name = {"name", "group.name", COUNTSVIEW_NAME, false};
    char buf[256];
    int name_width = 4, widths[COUNTSVIEW_COLUMNS_MAX] = {0};
    for (size_t r = 0; r < n; r++) {
        int w = answer_columns(countsview_cell(a, rows[r], &name, buf, sizeof(buf)));
        name_width = w > name_width ? w : name_width;
    }
    name_width = name_width < COUNTSVIEW_NAME_MAX ? name_width : COUNTSVIEW_NAME_MAX;
    for (size_t i = 0; i < c->n; i++) {
        widths[i] = (int)strlen(c->items[i].title);
        for (size_t r = 0; r < n; r++) {
            int w = (int)strlen(countsview_cell(a, rows[r], &c->items[i], buf, sizeof(buf)));
            widths[i] = w > widths[i] ? w : widths[i];
        }
    }
    fprintf(out, "\n%s\n", title);
    answer_cell(out, "", name_width);
    for (size_t i = 0; i < c->n; i++)
        fprintf(out, "  %*s", widths[i], c->items[i].title);
    fputc('\n', out);
    for (size_t r = 0; r < n; r++) {
        answer_cell(out, countsview_cell(a, rows[r], &name, buf, sizeof(buf)), name_width);
        for (size_t i = 0; i < c->n; i++) {
            const char *cell = countsview_cell(a, rows[r], &c->items[i], buf, sizeof(buf));
            fprintf(out, "  %*s", widths[i], cell[0] ? cell : "-");
        }
        fputc('\n', out);
    }
}

/* Below a table, what its reason columns mean for a person: Chinese first, English beside. */
static void countsview_legend(FILE *out, const countsview_columns *c)
{
    for (size_t i = 0; i < c->n; i++) {
        reason_code code;
        char text[512];
        if (reason_from_name(c->items[i].title, strlen(c->items[i].title), &code))
            fprintf(out, "  %s: %s\n", c->items[i].title,
                    reason_describe(code, text, sizeof(text)));
    }
}

void countsview_print(FILE *out, const answer_doc *a)
{
    size_t *rows = malloc(a->doc.count * sizeof(*rows));
    size_t n = rows ? countsview_rows(a, rows, a->doc.count) : 0;
    char from[16], to[16], as_of[16], by[16];
    fprintf(out, "counts %s to %s by %s; registry and licences as of %s\n",
            answer_text(a, 0, "from", "?", from, sizeof(from)),
            answer_text(a, 0, "to", "?", to, sizeof(to)),
            answer_text(a, 0, "by", "?", by, sizeof(by)),
            answer_text(a, 0, "as_of", "?", as_of, sizeof(as_of)));
    countsview_columns c;
    c.n = 0;
    countsview_add_specs(&c, countsview_registry, COUNTSVIEW_N(countsview_registry), true);
    countsview_table(out, a, rows, n,
                     "machines | welders' licences (expiring: within 90 days) | certified "
                     "welders trained",
                     &c);
    c.n = 0;
    countsview_add_specs(&c, countsview_scans, COUNTSVIEW_N(countsview_scans), true);
    countsview_add_found(a, rows, n, "denial_reasons", "", &c);
    countsview_table(out, a, rows, n, "scans | denials by reason", &c);
    countsview_legend(out, &c);
    c.n = 0;
    countsview_add_specs(&c, countsview_violations, COUNTSVIEW_N(countsview_violations), true);
    countsview_add_found(a, rows, n, "violations.kinds", "", &c);
    countsview_table(out, a, rows, n, "violations that occurred in the period | by kind", &c);
    countsview_legend(out, &c);
    free(rows);
}
