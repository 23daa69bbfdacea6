/* answer.h — reading the server's JSON answers for people (weldtag's views, weldreg-web's pages):
 * values by dotted path as text, lists joined, times shortened. Pure: no I/O. */
#ifndef WELDREG_CORE_ANSWER_H
#define WELDREG_CORE_ANSWER_H

#include <stddef.h>

#include "core/json.h"

typedef struct answer_doc {
    json_doc doc;
    json_token *tokens;
} answer_doc;

/* Parses @p json (which must outlive @p a). -1 if it is not JSON. */
int answer_parse(answer_doc *a, const char *json);

void answer_deinit(answer_doc *a);

/* The token at dotted @p path ("session.welder.name") below object token @p obj; -1 if absent
 * or null. */
long answer_find(const answer_doc *a, size_t obj, const char *path);

/* The value at @p path as text into @p buf: strings unescaped, numbers and booleans as written,
 * arrays of scalars joined with ",", absent or null as @p absent. Returns @p buf. */
const char *answer_text(const answer_doc *a, size_t obj, const char *path, const char *absent,
                        char *buf, size_t cap);

/* A time from the server ("2026-11-28T16:40:12.123+08:00") as "2026-11-28 16:40:12+08". */
const char *answer_time(const answer_doc *a, size_t obj, const char *path, char *buf, size_t cap);

#endif
