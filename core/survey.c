/* survey.c — a CSV survey checked whole, every problem placed; see survey.h. */
#include "core/survey.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core/ident.h"
#include "core/json.h"

#define SURVEY_ROW_JSON 8192
#define SURVEY_TOKENS   48

/* How a cell becomes a JSON value: text, an integer (when it is digits), a list (split at ';'
 * or '|'), or true/false (true, 1, 是 / false, 0, 否). What does not convert is given as text,
 * which the rules refuse naming the field. */
typedef enum survey_type { SURVEY_TEXT, SURVEY_INT, SURVEY_LIST, SURVEY_BOOL } survey_type;

/* One column of a file: its name in the header, the record's JSON field it fills (NULL: the
 * registry key the caller resolves), its type, and the valid stand-in put in its place once a
 * problem in it is recorded (NULL: optional, left out). */
typedef struct survey_column {
    const char *name;
    const char *json_key;
    survey_type type;
    const char *stand_in;
} survey_column;

typedef struct survey_table {
    const survey_column *columns;
    size_t n_required;
    const char *own_key;  /* the column that must be unique in the file */
    const char *own_key2; /* another one, or NULL */
    const char *id_field; /* the id the caller fills from the key column, given as 1; or NULL */
} survey_table;

static const survey_column survey_enterprise_columns[] = {
    {"uscc", "uscc", SURVEY_TEXT, "91350100M000100Y43"},
    {"name", "name", SURVEY_TEXT, "-"},
    {"community", NULL, SURVEY_TEXT, NULL},
    {"address", "address", SURVEY_TEXT, NULL},
    {"contact_name", "contact_name", SURVEY_TEXT, NULL},
    {"contact_phone", "contact_phone", SURVEY_TEXT, NULL},
    {"status", "status", SURVEY_TEXT, NULL},
    {"industry", "industry", SURVEY_TEXT, NULL},
    {NULL, NULL, SURVEY_TEXT, NULL},
};

static const survey_column survey_machine_columns[] = {
    {"chip_id", "chip_id", SURVEY_TEXT, "X"},
    {"process_category", "process_category", SURVEY_TEXT, "fusion"},
    {"enterprise_uscc", NULL, SURVEY_TEXT, NULL},
    {"keeper_name", "keeper_name", SURVEY_TEXT, "-"},
    {"serial", "serial", SURVEY_TEXT, NULL},
    {"model", "model", SURVEY_TEXT, NULL},
    {"rated_current_a", "rated_current_a", SURVEY_INT, NULL},
    {"keeper_phone", "keeper_phone", SURVEY_TEXT, NULL},
    {"status", "status", SURVEY_TEXT, NULL},
    {NULL, NULL, SURVEY_TEXT, NULL},
};

/* The stand-ins of the ID-card and licence numbers are a valid pair of no real person's. */
static const survey_column survey_welder_columns[] = {
    {"name", "name", SURVEY_TEXT, "-"},
    {"idcard", "idcard", SURVEY_TEXT, "11010519491231002X"},
    {"licence_no", "licence_no", SURVEY_TEXT, "T11010519491231002X"},
    {"categories", "categories", SURVEY_LIST, "fusion"},
    {"issued_on", "issued_on", SURVEY_TEXT, "2000-01-01"},
    {"phone", "phone", SURVEY_TEXT, NULL},
    {"valid_until", "valid_until", SURVEY_TEXT, NULL},
    {"review_due", "review_due", SURVEY_TEXT, NULL},
    {"long_record", "long_record", SURVEY_BOOL, NULL},
    {NULL, NULL, SURVEY_TEXT, NULL},
};

static const survey_table survey_tables[] = {
    [SURVEY_ENTERPRISES] = {survey_enterprise_columns, 3, "uscc", NULL, "community_id"},
    [SURVEY_MACHINES] = {survey_machine_columns, 4, "chip_id", NULL, "enterprise_id"},
    [SURVEY_WELDERS] = {survey_welder_columns, 5, "idcard", "licence_no", NULL},
};

static const char *const survey_enterprise_names[] = {"uscc",    "name",         "community",
                                                      "address", "contact_name", "contact_phone",
                                                      "status",  "industry",     NULL};
static const char *const survey_machine_names[] = {
    "chip_id", "process_category", "enterprise_uscc", "keeper_name", "serial",
    "model",   "rated_current_a",  "keeper_phone",    "status",      NULL};
static const char *const survey_welder_names[] = {
    "name",  "idcard",      "licence_no", "categories",  "issued_on",
    "phone", "valid_until", "review_due", "long_record", NULL};

const char *const *survey_columns(survey_kind kind, size_t *n_required)
{
    static const char *const *const names[] = {
        [SURVEY_ENTERPRISES] = survey_enterprise_names,
        [SURVEY_MACHINES] = survey_machine_names,
        [SURVEY_WELDERS] = survey_welder_names,
    };
    if (n_required)
        *n_required = survey_tables[kind].n_required;
    return names[kind];
}

/* ---- problems ---- */

void survey_errors_deinit(survey_errors *e)
{
    free(e->items);
    memset(e, 0, sizeof(*e));
}

void survey_errors_add(survey_errors *e, unsigned line, unsigned column, const char *field,
                       const char *zh, const char *fmt, ...)
{
    e->total++;
    if (e->kept == SURVEY_ERRORS_KEPT)
        return;
    if (e->kept == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 16;
        survey_error *items = realloc(e->items, cap * sizeof(*items));
        if (!items) {
            e->failed = true;
            return;
        }
        e->items = items;
        e->cap = cap;
    }
    survey_error *it = &e->items[e->kept++];
    it->line = line;
    it->column = column;
    snprintf(it->field, sizeof(it->field), "%s", field);
    snprintf(it->zh, sizeof(it->zh), "%s", zh);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(it->en, sizeof(it->en), fmt, ap);
    va_end(ap);
}

static int survey_error_cmp(const void *a, const void *b)
{
    const survey_error *x = a, *y = b;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    return (x->column > y->column) - (x->column < y->column);
}

void survey_errors_sort(survey_errors *e)
{
    if (e->kept > 1)
        qsort(e->items, e->kept, sizeof(*e->items), survey_error_cmp);
}

/* The Chinese statement of a rules message. */
static const char *survey_zh(const char *why)
{
    static const struct {
        const char *en, *zh;
    } map[] = {
        {"is required", "必填项为空"},
        {"must not be empty", "必填项为空"},
        {"longer than", "内容过长"},
        {"check character", "校验码不符"},
        {"check digit", "校验码不符"},
        {"expected a date", "日期格式不符"},
        {"not a real date", "日期不存在"},
        {"items must be", "取值不在允许范围内"},
        {"capital letter and", "编号格式不符"},
        {"18 characters", "长度应为18位"},
        {"must be one of", "取值不在允许范围内"},
        {"an integer", "应为整数"},
        {"must be from", "数值超出范围"},
        {"digits, spaces or dashes", "电话号码格式不符"},
        {"capital letters, digits", "编号格式不符"},
        {"GB/T 4754-2017", "行业应为国民经济行业分类门类字母A至T"},
    };
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (strstr(why, map[i].en))
            return map[i].zh;
    return "取值无效";
}

/* ---- one row ---- */

typedef struct survey_cells {
    unsigned line;
    char value[SURVEY_COLUMNS_MAX][SURVEY_CELL_SIZE];
    bool bad[SURVEY_COLUMNS_MAX];
    size_t before; /* problems of the file before this row */
} survey_cells;

static const survey_table *survey_table_of(const survey_file *f)
{
    return &survey_tables[f->kind];
}

/* The spreadsheet column (1-based field number) of known column @p k; 0 when absent. */
static unsigned survey_column_no(const survey_file *f, size_t k)
{
    return f->column_of[k] >= 0 ? (unsigned)f->column_of[k] + 1 : 0;
}

static void survey_cell_error(survey_file *f, survey_cells *c, size_t k, const char *zh,
                              const char *en)
{
    survey_errors_add(&f->errors, c->line, survey_column_no(f, k),
                      survey_table_of(f)->columns[k].name, zh, "%s", en);
    c->bad[k] = true;
}

static bool survey_is_integer(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && n <= 9 && strspn(s, "0123456789") == n;
}

static void survey_put_list(json_writer *w, const char *v)
{
    json_begin_array(w);
    while (*v) {
        size_t n = strcspn(v, ";|");
        if (n)
            json_put_text(w, v, n);
        v += n + (v[n] != '\0');
    }
    json_end_array(w);
}

static void survey_put_value(json_writer *w, survey_type type, const char *v)
{
    bool yes = strcmp(v, "true") == 0 || strcmp(v, "1") == 0 || strcmp(v, "是") == 0;
    bool no = strcmp(v, "false") == 0 || strcmp(v, "0") == 0 || strcmp(v, "否") == 0;
    if (type == SURVEY_INT && survey_is_integer(v))
        json_put_int(w, strtol(v, NULL, 10));
    else if (type == SURVEY_LIST)
        survey_put_list(w, v);
    else if (type == SURVEY_BOOL && (yes || no))
        json_put_bool(w, yes);
    else
        json_put_cstr(w, v);
}

/* The row as the JSON object the API takes: empty cells absent, bad ones replaced. */
static bool survey_row_json(const survey_file *f, const survey_cells *c, json_writer *w)
{
    const survey_table *t = survey_table_of(f);
    json_begin_object(w);
    for (size_t k = 0; t->columns[k].name; k++) {
        const survey_column *col = &t->columns[k];
        const char *v = c->bad[k] ? col->stand_in : c->value[k];
        if (!col->json_key || !v || !v[0])
            continue;
        json_key(w, col->json_key);
        survey_put_value(w, col->type, v);
    }
    if (t->id_field) {
        json_key(w, t->id_field);
        json_put_int(w, 1);
    }
    json_end_object(w);
    return json_writer_status(w) == WR_OK;
}

static size_t survey_column_of_field(const survey_table *t, const char *why)
{
    char field[32] = "";
    if (sscanf(why, "field \"%31[^\"]\"", field) != 1)
        return SIZE_MAX;
    for (size_t k = 0; t->columns[k].name; k++)
        if (t->columns[k].json_key && strcmp(t->columns[k].json_key, field) == 0)
            return k;
    return SIZE_MAX;
}

/* Runs the record's rules once; WR_OK, or WR_EINVAL with the first problem in @p why. */
static wr_status survey_rules(const survey_file *f, const survey_cells *c, survey_row *out,
                              char *why, size_t whylen)
{
    char text[SURVEY_ROW_JSON];
    json_writer w;
    json_token tokens[SURVEY_TOKENS];
    json_doc doc;
    json_writer_init(&w, text, sizeof(text));
    wr_status st = WR_EINVAL;
    if (!survey_row_json(f, c, &w) ||
        json_parse(text, w.len, tokens, SURVEY_TOKENS, &doc, NULL) != WR_OK)
        snprintf(why, whylen, "the row is too long");
    else if (f->kind == SURVEY_ENTERPRISES)
        st = rules_check_enterprise(&doc, 0, &out->u.enterprise, why, whylen);
    else if (f->kind == SURVEY_MACHINES)
        st = rules_check_machine(&doc, 0, &out->u.machine, why, whylen);
    else
        st = rules_check_welder(&doc, 0, false, &out->u.welder, why, whylen);
    /* only what was written (and its terminator): a short row must not cost a wipe of 8 KB */
    OPENSSL_cleanse(text, w.len < sizeof(text) ? w.len + 1 : sizeof(text));
    return st;
}

/* Checks the registry key's cell (community code, owner's USCC) for its form. */
static void survey_key_cell(survey_file *f, survey_cells *c, size_t k)
{
    const char *v = c->value[k];
    char msg[128];
    if (c->bad[k])
        return;
    if (!v[0])
        survey_cell_error(f, c, k, "必填项为空", "is required");
    else if (f->kind == SURVEY_MACHINES && ident_uscc_check(v, strlen(v), msg, sizeof(msg)))
        survey_cell_error(f, c, k, survey_zh(msg), msg);
    else if (f->kind == SURVEY_ENTERPRISES &&
             (strlen(v) > 32 ||
              strspn(v, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-") !=
                  strlen(v)))
        survey_cell_error(f, c, k, "社区编码格式不符",
                          "a community code is 1 to 32 letters, digits, '_' or '-'");
}

/* Applies the rules until they pass, recording each problem they name and standing in for it. */
static bool survey_check_cells(survey_file *f, survey_cells *c, survey_row *row)
{
    const survey_table *t = survey_table_of(f);
    for (size_t k = 0; t->columns[k].name; k++)
        if (!t->columns[k].json_key)
            survey_key_cell(f, c, k);
    for (size_t round = 0; round <= SURVEY_COLUMNS_MAX; round++) {
        char why[RULES_WHY_SIZE];
        if (survey_rules(f, c, row, why, sizeof(why)) == WR_OK)
            break;
        size_t k = survey_column_of_field(t, why);
        if (k == SIZE_MAX || c->bad[k]) {
            survey_errors_add(&f->errors, c->line, 0, "", survey_zh(why), "%s", why);
            break;
        }
        survey_cell_error(f, c, k, survey_zh(why), why);
    }
    return f->errors.total == c->before;
}

static bool survey_keep(survey_file *f, const survey_row *row)
{
    if (f->n_rows == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 64;
        survey_row *rows = malloc(cap * sizeof(*rows));
        if (!rows)
            return false;
        if (f->rows) { /* not realloc: the old block holds personal data to wipe */
            memcpy(rows, f->rows, f->n_rows * sizeof(*rows));
            OPENSSL_cleanse(f->rows, f->cap * sizeof(*rows));
            free(f->rows);
        }
        f->rows = rows;
        f->cap = cap;
    }
    f->rows[f->n_rows++] = *row;
    return true;
}

static size_t survey_find_column(const survey_table *t, const char *name)
{
    for (size_t k = 0; t->columns[k].name; k++)
        if (strcmp(t->columns[k].name, name) == 0)
            return k;
    return SIZE_MAX;
}

/* Fills the row's keys from its cells, and whether each has a valid form. */
static void survey_row_keys(const survey_file *f, const survey_cells *c, survey_row *row)
{
    const survey_table *t = survey_table_of(f);
    row->line = c->line;
    for (size_t k = 0; t->columns[k].name; k++)
        if (!t->columns[k].json_key) {
            snprintf(row->key, sizeof(row->key), "%s", c->value[k]);
            row->key_column = survey_column_no(f, k);
            row->key_ok = !c->bad[k];
        }
    size_t own = survey_find_column(t, t->own_key);
    snprintf(row->own, sizeof(row->own), "%s", c->value[own]);
    row->id_column = survey_column_no(f, own);
    row->own_ok = !c->bad[own];
    if (t->own_key2) {
        own = survey_find_column(t, t->own_key2);
        snprintf(row->own2, sizeof(row->own2), "%s", c->value[own]);
        row->id2_column = survey_column_no(f, own);
        row->own2_ok = !c->bad[own];
    }
}

/* The cells and the row being read, allocated once a file: a row of a few bytes must not cost
 * the allocation and the wipe of every cell's 801 bytes (16 of them). */
typedef struct survey_scratch {
    survey_cells cells;
    survey_row row;
} survey_scratch;

static wr_status survey_row_read(survey_file *f, survey_scratch *s, const csv_field *fields,
                                 size_t n)
{
    const survey_table *t = survey_table_of(f);
    survey_cells *c = &s->cells;
    survey_row *row = &s->row;
    f->n_lines++;
    if (n != f->n_columns) {
        survey_errors_add(&f->errors, fields[0].line, 0, "", "字段个数不符",
                          "expected %zu fields, found %zu", f->n_columns, n);
        return WR_OK;
    }
    memset(row, 0, sizeof(*row));
    memset(c->bad, 0, sizeof(c->bad));
    c->line = fields[0].line;
    c->before = f->errors.total;
    for (size_t k = 0; t->columns[k].name; k++) {
        c->value[k][0] = '\0'; /* an absent column is empty */
        if (f->column_of[k] >= 0 &&
            csv_field_value(&fields[f->column_of[k]], c->value[k], SURVEY_CELL_SIZE))
            survey_cell_error(f, c, k, "内容过长", "the cell is too long");
    }
    row->ok = survey_check_cells(f, c, row);
    survey_row_keys(f, c, row);
    return survey_keep(f, row) ? WR_OK : WR_ENOMEM;
}

/* ---- the header and the file ---- */

static void survey_header(survey_file *f, const csv_field *fields, size_t n)
{
    const survey_table *t = survey_table_of(f);
    for (size_t k = 0; k < SURVEY_COLUMNS_MAX; k++)
        f->column_of[k] = -1;
    f->n_columns = n;
    for (size_t i = 0; i < n; i++) {
        char name[64];
        size_t k = csv_field_value(&fields[i], name, sizeof(name)) == WR_OK
                       ? survey_find_column(t, name)
                       : SIZE_MAX;
        if (k == SIZE_MAX || f->column_of[k] >= 0)
            survey_errors_add(&f->errors, fields[i].line, (unsigned)i + 1, "",
                              k == SIZE_MAX ? "未知的列" : "列名重复", "%s column",
                              k == SIZE_MAX ? "unknown" : "repeated");
        else
            f->column_of[k] = (int)i;
    }
    for (size_t k = 0; k < t->n_required; k++)
        if (f->column_of[k] < 0)
            survey_errors_add(&f->errors, 1, 0, t->columns[k].name, "缺少必需的列",
                              "the header lacks column \"%s\"", t->columns[k].name);
}

/* Own keys (USCC, chip id) seen in the file, to name both lines of a repeat. */
typedef struct survey_seen {
    const char *key;
    unsigned line, column;
} survey_seen;

static int survey_seen_cmp(const void *a, const void *b)
{
    const survey_seen *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : (x->line > y->line) - (x->line < y->line);
}

/* Names every later line of a repeated own key (@p second: the table's second one). */
static wr_status survey_duplicates_of(survey_file *f, bool second)
{
    survey_seen *seen = calloc(f->n_rows ? f->n_rows : 1, sizeof(*seen));
    if (!seen)
        return WR_ENOMEM;
    const survey_table *t = survey_table_of(f);
    const char *name = second ? t->own_key2 : t->own_key;
    size_t n = 0;
    for (size_t i = 0; i < f->n_rows; i++) {
        const survey_row *r = &f->rows[i];
        if (second ? r->own2_ok : r->own_ok)
            seen[n++] = second ? (survey_seen){r->own2, r->line, r->id2_column}
                               : (survey_seen){r->own, r->line, r->id_column};
    }
    qsort(seen, n, sizeof(*seen), survey_seen_cmp);
    for (size_t i = 1; i < n; i++)
        if (strcmp(seen[i - 1].key, seen[i].key) == 0)
            survey_errors_add(&f->errors, seen[i].line, seen[i].column, name, "文件内重复",
                              "the same %s as on line %u", name, seen[i - 1].line);
    free(seen);
    return WR_OK;
}

static wr_status survey_duplicates(survey_file *f)
{
    wr_status st = survey_duplicates_of(f, false);
    if (st == WR_OK && survey_table_of(f)->own_key2)
        st = survey_duplicates_of(f, true);
    survey_errors_sort(&f->errors);
    return st;
}

wr_status survey_read(survey_kind kind, const char *text, size_t len, survey_file *f)
{
    memset(f, 0, sizeof(*f));
    f->kind = kind;
    csv_reader reader;
    csv_field fields[SURVEY_COLUMNS_MAX];
    size_t n;
    csv_error err;
    csv_reader_init(&reader, text, len);
    wr_status st = csv_next(&reader, fields, SURVEY_COLUMNS_MAX, &n, &err);
    if (st == WR_ENOTFOUND) {
        survey_errors_add(&f->errors, 1, 0, "", "文件为空", "the file is empty");
        return WR_OK;
    }
    if (st == WR_OK)
        survey_header(f, fields, n);
    if (st == WR_OK && f->errors.total)
        return WR_OK; /* rows cannot be read against a header that is wrong */
    survey_scratch *scratch = calloc(1, sizeof(*scratch));
    if (!scratch)
        return WR_ENOMEM;
    while (st == WR_OK && (st = csv_next(&reader, fields, SURVEY_COLUMNS_MAX, &n, &err)) == WR_OK)
        st = survey_row_read(f, scratch, fields, n);
    OPENSSL_cleanse(scratch, sizeof(*scratch)); /* the last rows' cells: personal data */
    free(scratch);
    if (st == WR_ENOMEM)
        return st;
    if (st != WR_ENOTFOUND) /* the CSV itself is malformed from here: nothing after is read */
        survey_errors_add(&f->errors, err.line, 0, "", "CSV格式错误", "%s (at character %u)",
                          err.message, err.column);
    else if (f->n_lines == 0)
        survey_errors_add(&f->errors, 2, 0, "", "没有数据行", "the file has a header but no rows");
    return survey_duplicates(f);
}

void survey_file_deinit(survey_file *f)
{
    if (f->rows)
        OPENSSL_cleanse(f->rows, f->cap * sizeof(*f->rows));
    free(f->rows);
    survey_errors_deinit(&f->errors);
    memset(f, 0, sizeof(*f));
}
