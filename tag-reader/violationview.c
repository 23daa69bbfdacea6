/* violationview.c — violations as table rows or JSON lines, shared by weldtag violations list
 * and weldtag watch so both print the same columns. */
#include "tag-reader/violationview.h"

#include <string.h>

#include "core/reason.h"

const char *violationview_kind_text(const char *kind, char *buf, size_t cap)
{
    reason_code code;
    if (!reason_from_name(kind, strlen(kind), &code))
        return NULL;
    return reason_describe(code, buf, cap);
}

void violationview_header(FILE *out)
{
    fprintf(out, "%-8s %-22s %-28s %-9s %-13s %-18s %-8s %s\n", "ID", "OCCURRED", "KIND",
            "SEVERITY", "STATUS", "CHIP", "WELDER", "REASONS");
}

/* One violation (object token @p v of @p a) as a table row. */
static void violationview_row(FILE *out, const answer_doc *a, size_t v)
{
    char id[24], when[40], kind[80], sev[16], status[24], chip[80], welder[120], reasons[512];
    answer_text(a, v, "id", "?", id, sizeof(id));
    answer_time(a, v, "occurred_at", when, sizeof(when));
    answer_text(a, v, "kind", "?", kind, sizeof(kind));
    answer_text(a, v, "severity", "?", sev, sizeof(sev));
    answer_text(a, v, "status", "?", status, sizeof(status));
    answer_text(a, v, "chip_id", "-", chip, sizeof(chip));
    answer_text(a, v, "welder", "-", welder, sizeof(welder));
    answer_text(a, v, "evidence.checkin.reasons", "", reasons, sizeof(reasons));
    fprintf(out, "%-8s %-22s ", id, when);
    answer_cell(out, kind, 28);
    fprintf(out, " %-9s %-13s ", sev, status);
    answer_cell(out, chip, 18);
    fputc(' ', out);
    answer_cell(out, welder, 8);
    fprintf(out, " %s\n", reasons);
    char text[512];
    if (violationview_kind_text(kind, text, sizeof(text)))
        fprintf(out, "%-8s %s\n", "", text); /* under OCCURRED: what the kind means */
}

void violationview_print(FILE *out, const answer_doc *a, size_t v, bool json)
{
    if (json)
        fprintf(out, "%.*s\n", (int)a->doc.tokens[v].len, a->doc.text + a->doc.tokens[v].start);
    else
        violationview_row(out, a, v);
}
