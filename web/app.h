/* app.h — the web application: its routes, who may open each (core/access.c, as the CoAP API),
 * accounts, sessions and CSRF tokens. One database connection, used by one request at a time
 * (a mutex); password hashing runs outside it. */
#ifndef WELDREG_WEB_APP_H
#define WELDREG_WEB_APP_H

#include <stddef.h>
#include <stdio.h>

#include "server/loop/config.h"
#include "web/http.h"

#define WEB_COOKIE "__Host-weldreg" /* __Host-: Secure, Path=/, no Domain, enforced by browsers */

typedef struct web_app web_app;

/* Connects to the database of @p cfg (kept, not copied: it must outlive the app). NULL with a
 * message in @p err. */
web_app *web_app_create(const server_config *cfg, char *err, size_t errlen);

/* Frees the app. Does nothing for NULL. */
void web_app_destroy(web_app *app);

/* Prints every route of every page module, in dispatch order, one a line: method, path (a
 * prefix when it ends in '/'), gate ("public", "session", "role") and need (core/access.h's
 * name), separated by spaces. `weldreg-web routes`: tests read the table from here. */
void web_app_print_routes(FILE *out);

/* The http_handler: @p ctx is the web_app. */
void web_app_handle(void *ctx, const http_request *req, http_response *resp);

#endif
