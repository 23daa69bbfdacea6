/* handlers.h — the CoAP request handlers, one file per resource (res_<resource>.c). */
#ifndef WELDREG_SERVER_HANDLERS_H
#define WELDREG_SERVER_HANDLERS_H

#include <coap3/coap.h>

/* POST /v1/checkins — a machine's chip reports an event (the device protocol). */
void hnd_post_checkins(coap_resource_t *resource, coap_session_t *session,
                       const coap_pdu_t *request, const coap_string_t *query, coap_pdu_t *response);

/* POST /v1/codes/verify — any principal: {"code": text} checked by the platform (res_codes.c). */
void hnd_post_codes_verify(coap_resource_t *resource, coap_session_t *session,
                           const coap_pdu_t *request, const coap_string_t *query,
                           coap_pdu_t *response);

/* GET /v1/codes/revocations?since=N — any principal: the codes revoked after version N. */
void hnd_get_codes_revocations(coap_resource_t *resource, coap_session_t *session,
                               const coap_pdu_t *request, const coap_string_t *query,
                               coap_pdu_t *response);

/* The registry admin API (res_admin*.c, docs/admin-guide.md). GET: admins, and inspectors
 * within their communities; everything else: admins only. Machines get 4.03. */
#define ADMIN_HANDLER_DECL(name)                                                                   \
    void name(coap_resource_t *resource, coap_session_t *session, const coap_pdu_t *request,       \
              const coap_string_t *query, coap_pdu_t *response)
ADMIN_HANDLER_DECL(hnd_get_communities);
ADMIN_HANDLER_DECL(hnd_post_communities);
ADMIN_HANDLER_DECL(hnd_get_enterprises);
ADMIN_HANDLER_DECL(hnd_post_enterprises);
ADMIN_HANDLER_DECL(hnd_put_enterprises);
ADMIN_HANDLER_DECL(hnd_get_machines);
ADMIN_HANDLER_DECL(hnd_post_machines);
ADMIN_HANDLER_DECL(hnd_put_machines);
ADMIN_HANDLER_DECL(hnd_post_machines_transfer);
ADMIN_HANDLER_DECL(hnd_post_machines_retire);
ADMIN_HANDLER_DECL(hnd_get_welders);
ADMIN_HANDLER_DECL(hnd_post_welders);
ADMIN_HANDLER_DECL(hnd_put_welders);
ADMIN_HANDLER_DECL(hnd_post_welders_retire);
/* POST /v1/welders/training — records a welder's training (admins). */
void hnd_post_welders_training(coap_resource_t *resource, coap_session_t *session,
                               const coap_pdu_t *request, const coap_string_t *query,
                               coap_pdu_t *response);
ADMIN_HANDLER_DECL(hnd_post_welders_import);
ADMIN_HANDLER_DECL(hnd_post_enterprises_import);
ADMIN_HANDLER_DECL(hnd_post_machines_import);
ADMIN_HANDLER_DECL(hnd_get_permits);
ADMIN_HANDLER_DECL(hnd_post_permits);
ADMIN_HANDLER_DECL(hnd_post_permits_end);
ADMIN_HANDLER_DECL(hnd_post_permits_change);
ADMIN_HANDLER_DECL(hnd_post_holidays_import);
ADMIN_HANDLER_DECL(hnd_post_welders_employment);
ADMIN_HANDLER_DECL(hnd_get_principals);
ADMIN_HANDLER_DECL(hnd_post_principals);
ADMIN_HANDLER_DECL(hnd_put_principals);
ADMIN_HANDLER_DECL(hnd_get_audit);
ADMIN_HANDLER_DECL(hnd_get_codes);
ADMIN_HANDLER_DECL(hnd_post_codes_reissue);
ADMIN_HANDLER_DECL(hnd_post_codes_revoke);

/* Enforcement on site (res_inspect.c, docs/inspector-guide.md): admins, and inspectors within
 * their communities. */
ADMIN_HANDLER_DECL(hnd_get_machine_card);
ADMIN_HANDLER_DECL(hnd_get_violations);
/* observable: notified whenever violations are recorded */
ADMIN_HANDLER_DECL(hnd_get_violations_live);
ADMIN_HANDLER_DECL(hnd_post_violations_acknowledge);
ADMIN_HANDLER_DECL(hnd_post_violations_resolve);
ADMIN_HANDLER_DECL(hnd_post_violations_dismiss);
/* the rectification (整改): progress notes, evidence of the fix, the overdue counted */
ADMIN_HANDLER_DECL(hnd_post_violations_progress);
ADMIN_HANDLER_DECL(hnd_post_violations_evidence);
ADMIN_HANDLER_DECL(hnd_get_violations_overdue);
ADMIN_HANDLER_DECL(hnd_post_reports);

/* GET, POST /v1/hazards and POST /v1/hazards/lift — major hazards (重患必停, res_enforce.c):
 * admins; inspectors within their communities. */
ADMIN_HANDLER_DECL(hnd_get_hazards);
ADMIN_HANDLER_DECL(hnd_post_hazards);
ADMIN_HANDLER_DECL(hnd_post_hazards_lift);

/* POST /v1/spotchecks (admins) and GET (admins; inspectors within their communities) — random
 * spot checks, 双随机 (res_spotcheck.c). */
ADMIN_HANDLER_DECL(hnd_post_spotchecks);
ADMIN_HANDLER_DECL(hnd_get_spotchecks);

/* GET /v1/counts — the counts (底数) per community or enterprise for a period (res_counts.c):
 * admins; inspectors within their communities. */
ADMIN_HANDLER_DECL(hnd_get_counts);

#endif
