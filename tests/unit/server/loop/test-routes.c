/* test-routes.c — the resource table: every route has a handler, a path is offered once per
 * method, the paths several methods share agree on their link attributes, and registering the
 * table with a real libcoap context gives each path a resource with those attributes and its
 * owner as user data, the observable one marked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "server/loop/routes.h"

static bool routes_test_same(const char *a, const char *b)
{
    return strcmp(a, b) == 0;
}

static void test_every_route_is_complete(void **state)
{
    (void)state;
    size_t n;
    const routes_entry *t = routes_table(&n);
    assert_true(n > 0);
    for (size_t i = 0; i < n; i++) {
        if (!t[i].path || !t[i].handler || !t[i].rt || !t[i].ct)
            fail_msg("route %zu (%s) lacks a path, handler, rt or ct", i,
                     t[i].path ? t[i].path : "?");
        if (strncmp(t[i].path, "v1/", 3) != 0 || t[i].path[strlen(t[i].path) - 1] == '/')
            fail_msg("route \"%s\": a path is v1/... without a leading or trailing '/'", t[i].path);
        assert_true(t[i].method >= COAP_REQUEST_GET && t[i].method <= COAP_REQUEST_DELETE);
        /* rt is a quoted string: /.well-known/core (RFC 6690) needs the quotes */
        assert_int_equal(t[i].rt[0], '"');
        assert_int_equal(t[i].rt[strlen(t[i].rt) - 1], '"');
    }
}

static void test_paths_unique_per_method(void **state)
{
    (void)state;
    size_t n;
    const routes_entry *t = routes_table(&n);
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            if (!routes_test_same(t[i].path, t[j].path))
                continue;
            if (t[i].method == t[j].method)
                fail_msg("\"%s\" is routed twice for method %d", t[i].path, (int)t[i].method);
            /* one resource carries the attributes: the first route of a path sets them */
            if (!routes_test_same(t[i].rt, t[j].rt) || !routes_test_same(t[i].ct, t[j].ct))
                fail_msg("\"%s\": its methods disagree on rt or ct", t[i].path);
            /* and one user data: the owner its handlers find */
            if (t[i].owner != t[j].owner)
                fail_msg("\"%s\": its methods disagree on the owner", t[i].path);
        }
}

static void test_observable_is_a_get_route(void **state)
{
    (void)state;
    size_t n, n_obs;
    const routes_entry *t = routes_table(&n);
    const char *const *obs = routes_observable(&n_obs);
    assert_true(n_obs > 0);
    bool live = false;
    for (size_t k = 0; k < n_obs; k++) {
        bool found = false;
        for (size_t i = 0; i < n; i++)
            found =
                found || (routes_test_same(t[i].path, obs[k]) && t[i].method == COAP_REQUEST_GET);
        if (!found)
            fail_msg("observable \"%s\" has no GET route", obs[k]);
        live = live || routes_test_same(obs[k], "v1/violations/live");
    }
    assert_true(live); /* weldtag watch observes it (docs/inspector-guide.md) */
}

static bool routes_test_attr_is(coap_resource_t *res, const char *name, const char *value)
{
    coap_attr_t *attr = coap_find_attr(res, coap_make_str_const(name));
    if (!attr)
        return false;
    coap_str_const_t *v = coap_attr_get_value(attr);
    if (!value)
        return true;
    return v && v->length == strlen(value) && memcmp(v->s, value, v->length) == 0;
}

static bool routes_test_is_observable(const char *path)
{
    size_t n_obs;
    const char *const *obs = routes_observable(&n_obs);
    for (size_t k = 0; k < n_obs; k++)
        if (routes_test_same(obs[k], path))
            return true;
    return false;
}

static void test_register_with_libcoap(void **state)
{
    (void)state;
    coap_startup();
    coap_context_t *ctx = coap_new_context(NULL);
    assert_non_null(ctx);
    int owned[ROUTES_OWNER_COUNT];
    void *owners[ROUTES_OWNER_COUNT];
    for (size_t k = 0; k < ROUTES_OWNER_COUNT; k++)
        owners[k] = &owned[k];
    routes_register(ctx, owners);
    size_t n;
    const routes_entry *t = routes_table(&n);
    for (size_t i = 0; i < n; i++) {
        coap_resource_t *res = coap_get_resource_from_uri_path(ctx, coap_make_str_const(t[i].path));
        if (!res)
            fail_msg("\"%s\" is not registered", t[i].path);
        assert_true(routes_test_attr_is(res, "rt", t[i].rt));
        assert_true(routes_test_attr_is(res, "ct", t[i].ct));
        assert_true(t[i].owner < ROUTES_OWNER_COUNT);
        assert_ptr_equal(coap_resource_get_userdata(res), owners[t[i].owner]);
        if (routes_test_attr_is(res, "obs", NULL) != routes_test_is_observable(t[i].path))
            fail_msg("\"%s\": obs attribute does not match the observable list", t[i].path);
    }
    coap_free_context(ctx);
    coap_cleanup();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_route_is_complete),
        cmocka_unit_test(test_paths_unique_per_method),
        cmocka_unit_test(test_observable_is_a_get_route),
        cmocka_unit_test(test_register_with_libcoap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
