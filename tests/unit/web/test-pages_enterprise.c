/* test-pages_enterprise.c — web/pages_enterprise.c's helpers for the enterprise's pages: ids
 * picked in a form ("w12": welder 12) read strictly and bounded, and the caller's enterprise
 * only for the roles that have one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "web/pages_ent.h"

static void form_add(http_request *req, const char *name, const char *value)
{
    snprintf(req->form_name[req->form_count], sizeof(req->form_name[0]), "%s", name);
    snprintf(req->form_value[req->form_count], sizeof(req->form_value[0]), "%s", value);
    req->form_count++;
}

static void test_form_ids(void **state)
{
    (void)state;
    static http_request req; /* large: not on the stack */
    memset(&req, 0, sizeof(req));
    form_add(&req, "csrf", "x");
    form_add(&req, "w12", "on");
    form_add(&req, "m3", "on");
    form_add(&req, "w7", "on");
    form_add(&req, "w0", "on");   /* not an id */
    form_add(&req, "w012", "on"); /* not written so */
    form_add(&req, "w5x", "on");  /* not a number */
    form_add(&req, "w", "on");    /* nothing */
    form_add(&req, "w-4", "on");  /* negative */
    form_add(&req, "id", "42");
    int64_t ids[4];
    assert_int_equal(ent_form_ids(&req, 'w', ids, 4), 2);
    assert_int_equal(ids[0], 12);
    assert_int_equal(ids[1], 7);
    assert_int_equal(ent_form_ids(&req, 'm', ids, 4), 1);
    assert_int_equal(ids[0], 3);
    assert_int_equal(ent_form_ids(&req, 'w', ids, 1), 2); /* more than fit: cap + 1 */
    assert_int_equal(ent_form_id(&req, "id"), 42);
    assert_int_equal(ent_form_id(&req, "csrf"), 0);
    assert_int_equal(ent_form_id(&req, "absent"), 0);
}

static void test_enterprise_roles(void **state)
{
    (void)state;
    web_call call = {.role = ACCESS_ROLE_OFFICER};
    call.session.enterprise_id = 7;
    http_response resp = {0};
    assert_int_equal(ent_of(&call, &resp), 7);
    call.role = ACCESS_ROLE_APPROVER;
    assert_int_equal(ent_of(&call, &resp), 7);
    assert_int_equal(resp.status, 0); /* nothing answered yet */
    call.role = ACCESS_ROLE_ADMIN;
    assert_int_equal(ent_of(&call, &resp), 0);
    assert_int_equal(resp.status, 403);
    free(resp.body);
    memset(&resp, 0, sizeof(resp));
    call.role = ACCESS_ROLE_OFFICER;
    call.session.enterprise_id = 0; /* an officer's account always names one: refused if not */
    assert_int_equal(ent_of(&call, &resp), 0);
    assert_int_equal(resp.status, 403);
    free(resp.body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_form_ids),
        cmocka_unit_test(test_enterprise_roles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
