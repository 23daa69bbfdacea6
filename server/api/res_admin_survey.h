/* res_admin_survey.h — what the survey's resources share with the welders' CSV import. */
#ifndef WELDREG_SERVER_RES_ADMIN_SURVEY_H
#define WELDREG_SERVER_RES_ADMIN_SURVEY_H

#include <coap3/coap.h>
#include <stdbool.h>

#include "core/survey.h"
#include "server/api/admin.h"

/* Answers the problems of @p e, sorted by place. A refusal (@p code 4.00: the file; 4.09:
 * records registered already): {"error", "total", "shown", "errors": [{"line", "column",
 * "field", "zh", "en"}]} with as many as fit one datagram (libcoap's client does not fetch the
 * further blocks of an error). A check (@p code 2.05): {"valid", "total", "shown", "errors"}
 * with all that were kept (SURVEY_ERRORS_KEPT), block-wise. "total" counts them all. */
void survey_reply_problems(admin_request *r, coap_pdu_code_t code, survey_errors *e);

/* The query of an import: only "check" (true: check the whole file and write nothing, answering
 * 2.05 with its problems; false, the default: import). False after answering 4.00. */
bool survey_check_param(admin_request *r, bool *check);

#endif
