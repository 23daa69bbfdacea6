/* routes.h — the route table of every page module; app.c dispatches over them in this order.
 * A path is matched exactly, or as a prefix when it ends in '/'. */
#ifndef WELDREG_WEB_ROUTES_H
#define WELDREG_WEB_ROUTES_H

#include "web/call.h"

extern const web_routes web_routes_base;     /* app.c: assets, login, logout, home, accounts */
extern const web_routes web_routes_assets;   /* assets.c: GET /static/vendor/... */
extern const web_routes web_routes_machines; /* pages_machines.c */
extern const web_routes web_routes_photos;   /* photos.c: POST /photos, GET /photos/<id> */
extern const web_routes web_routes_welder;   /* welder.c: GET /w/<code> */
extern const web_routes web_routes_inspect;  /* pages_inspect.c: /scan, /m/, /violations, /report */
extern const web_routes web_routes_live;     /* live.c: GET /events, the alerts panel's script */
/* an enterprise's own (issue 17): pages_enterprise.c (welders, codes, labels),
 * pages_ent_permits.c (permits applied for and approved), pages_ent_violations.c (the fix) */
extern const web_routes web_routes_enterprise;
extern const web_routes web_routes_ent_permits;
extern const web_routes web_routes_ent_violations;
extern const web_routes web_routes_health; /* pages_health.c: /healthz, /readyz, /metrics */
extern const web_routes web_routes_office; /* pages_office.c: /office, exports, overdue */
extern const web_routes web_routes_map;    /* pages_map.c: /map, its data and script */
/* pages_report.c: public reports, /public-report (anyone) and /public-reports (inspectors) */
extern const web_routes web_routes_report;

#endif
