/* adminreq.h — weldtag's side of the registry admin API: request bodies built from KEY=VALUE
 * arguments, CBOR on the wire, answers shown as JSON (indented, or compact with --json). */
#ifndef WELDREG_TAG_ADMINREQ_H
#define WELDREG_TAG_ADMINREQ_H

#include <stdbool.h>
#include <stddef.h>

#include "tag-reader/client.h"

/* Builds a JSON object from @p n arguments: "key=value" is text, or a number, boolean or list
 * when the key is one the API types so (id, enterprise_id, site_lat, long_record, categories,
 * welders, ...; lists are comma-separated); "key:=json" puts a raw JSON value. Writes the
 * NUL-terminated JSON to @p out. 0, or -1 with a message for the person in @p err. */
int adminreq_body(char *const *args, int n, char *out, size_t cap, char *err, size_t errlen);

/* Joins "key=value" arguments into "?k=v&k2=v2" for a query (each must contain '='). */
int adminreq_query(char *const *args, int n, char *out, size_t cap, char *err, size_t errlen);

/* Sends @p method to @p path with @p json (NULL: no body) as CBOR over @p c; on a 2.xx answer
 * sets @p answer (malloc'd JSON text, may be NULL when the answer is empty) and returns 0.
 * Otherwise reports and returns the weldtag exit code. */
int adminreq_call(client *c, int method, const char *path, const char *json, char **answer);

/* The body of a 2.xx answer @p resp (CBOR) as JSON text in @p answer (malloc'd; NULL when the
 * body is empty). 0, or WELDTAG_EXIT_SERVER after a message. */
int adminreq_answer(const client_response *resp, char **answer);

/* Prints JSON text to stdout: compact on one line, or indented. -1 if it is not JSON. */
int adminreq_print(const char *json, bool compact);

#endif
