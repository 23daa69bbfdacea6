/* industry.h — the industries (行业) enterprises are classified by: the 20 sections (门类) of
 * GB/T 4754-2017, "Industrial classification for national economic activities", one capital
 * letter A to T each. One table gives each its code and names; counts and reports group by it. */
#ifndef WELDREG_CORE_INDUSTRY_H
#define WELDREG_CORE_INDUSTRY_H

#include <stdbool.h>
#include <stddef.h>

#define INDUSTRY_COUNT 20

typedef struct industry_info {
    char code;           /* 'A' to 'T' */
    const char *name;    /* the section's Chinese name, e.g. "制造业" */
    const char *name_en; /* and in English, e.g. "manufacturing" */
} industry_info;

/* The section whose code is the @p len bytes at @p code (one capital letter), or NULL. */
const industry_info *industry_find(const char *code, size_t len);

/* The @p i th section (0 <= i < INDUSTRY_COUNT, in code order), or NULL. Static storage. */
const industry_info *industry_at(size_t i);

/* {"A": "农、林、牧、渔业", ...}: every section's Chinese name by code, as a JSON object, into
 * @p out (@p cap bytes; 2048 hold them). False if it does not fit. */
bool industry_names_json(char *out, size_t cap);

#endif
