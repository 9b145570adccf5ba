/* test_router.c — unit tests for http/router.c: pattern matching, path
 * parameters, 404 versus 405 with the allowed mask, percent-decoding, and
 * paths built to confuse a router ("//", trailing slash, "..", encoded
 * slash). Standalone: links against tdcore (or router.c + arena.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "common/arena.h"
#include "http/http.h"

static void h_dummy(td_req_t *req, void *app) { (void)req, (void)app; }

static const td_route_t k_routes[] = {
    {TD_GET, "/", h_dummy, "root", 0, NULL},
    {TD_GET, "/health", h_dummy, "health", 0, NULL},
    {TD_GET | TD_POST, "/v1/tenants", h_dummy, "tenants", 0, NULL},
    {TD_GET | TD_DELETE, "/v1/tenants/{tenant}", h_dummy, "one tenant", 0, NULL},
    {TD_POST, "/v1/tenants/{tenant}/suspend", h_dummy, "suspend", 0, NULL},
    {TD_PUT, "/v1/tenants/{tenant}", h_dummy, "replace tenant", 0, NULL},
    {TD_GET, "/v1/tenants/{tenant}/items/{item}", h_dummy, "item", 0, NULL},
    {TD_GET, "/v1/a/{p1}/{p2}/{p3}/{p4}/{p5}", h_dummy, "too many params", 0, NULL},
    {TD_GET, "/v1/trailing/", h_dummy, "trailing slash spelled out", 0, NULL},
};
#define NROUTES (sizeof(k_routes) / sizeof(k_routes[0]))

/* One match: arena per call, so params stay valid until the arena dies. */
typedef struct {
    td_arena_t *arena;
    const td_route_t *route;
    const char *params[TD_MAX_PATH_PARAMS];
    int nparams;
    unsigned allowed;
    int code;
} match_t;

static int setup(void **state) {
    match_t *m = test_calloc(1, sizeof(*m));
    m->arena = td_arena_new(0);
    *state = m;
    return m->arena ? 0 : -1;
}

static int teardown(void **state) {
    match_t *m = *state;
    td_arena_destroy(m->arena);
    test_free(m);
    return 0;
}

static int match(match_t *m, unsigned method, const char *path) {
    m->route = NULL;
    m->nparams = -1;
    m->allowed = 0xdead;
    memset(m->params, 0, sizeof(m->params));
    m->code = td_router_match(k_routes, NROUTES, method, path, m->arena, &m->route, m->params,
                              &m->nparams, &m->allowed);
    return m->code;
}

static void test_literal(void **state) {
    match_t *m = *state;
    assert_int_equal(match(m, TD_GET, "/health"), 0);
    assert_ptr_equal(m->route, &k_routes[1]);
    assert_int_equal(m->nparams, 0);
    assert_int_equal(match(m, TD_GET, "/"), 0);
    assert_ptr_equal(m->route, &k_routes[0]);
    assert_int_equal(match(m, TD_POST, "/v1/tenants"), 0);
    assert_ptr_equal(m->route, &k_routes[2]);
}

static void test_params(void **state) {
    match_t *m = *state;
    assert_int_equal(match(m, TD_GET, "/v1/tenants/acme"), 0);
    assert_ptr_equal(m->route, &k_routes[3]);
    assert_int_equal(m->nparams, 1);
    assert_string_equal(m->params[0], "acme");

    assert_int_equal(match(m, TD_GET, "/v1/tenants/acme/items/42"), 0);
    assert_ptr_equal(m->route, &k_routes[6]);
    assert_int_equal(m->nparams, 2);
    assert_string_equal(m->params[0], "acme");
    assert_string_equal(m->params[1], "42");

    assert_int_equal(match(m, TD_POST, "/v1/tenants/acme/suspend"), 0);
    assert_ptr_equal(m->route, &k_routes[4]);
    assert_string_equal(m->params[0], "acme");
}

/* A pattern with more {x} than TD_MAX_PATH_PARAMS still matches; only the
 * first ones are recorded and nothing is written past the array. */
static void test_params_capped(void **state) {
    match_t *m = *state;
    assert_int_equal(match(m, TD_GET, "/v1/a/1/2/3/4/5"), 0);
    assert_int_equal(m->nparams, TD_MAX_PATH_PARAMS);
    assert_string_equal(m->params[0], "1");
    assert_string_equal(m->params[TD_MAX_PATH_PARAMS - 1], "4");
}

static void test_404(void **state) {
    match_t *m = *state;
    assert_int_equal(match(m, TD_GET, "/nope"), 404);
    assert_null(m->route);
    assert_int_equal(m->allowed, 0);
    assert_int_equal(match(m, TD_GET, "/v1/tenants/acme/unknown"), 404);
    assert_int_equal(match(m, TD_GET, "/v1"), 404);
    assert_int_equal(match(m, TD_GET, "/v1/tenants/a/items"), 404);
    assert_int_equal(match(m, TD_GET, ""), 404);
    assert_int_equal(match(m, TD_GET, "health"), 404);
    assert_int_equal(match(m, TD_GET, "*"), 404);
    assert_int_equal(match(m, TD_GET, NULL), 404);
}

/* 405 when the path matches some pattern but no route for it allows the
 * method; the mask is the union over every matching pattern (the two
 * /v1/tenants/{tenant} rows here). */
static void test_405_allowed(void **state) {
    match_t *m = *state;
    assert_int_equal(match(m, TD_DELETE, "/health"), 405);
    assert_null(m->route);
    assert_int_equal(m->allowed, TD_GET);

    assert_int_equal(match(m, TD_PATCH, "/v1/tenants/acme"), 405);
    assert_int_equal(m->allowed, TD_GET | TD_DELETE | TD_PUT);

    assert_int_equal(match(m, TD_GET, "/v1/tenants/acme/suspend"), 405);
    assert_int_equal(m->allowed, TD_POST);

    /* the second row with the same pattern serves PUT */
    assert_int_equal(match(m, TD_PUT, "/v1/tenants/acme"), 0);
    assert_ptr_equal(m->route, &k_routes[5]);
}

/* The server routes HEAD as HEAD|GET: a method mask matches any route
 * whose methods intersect it. */
static void test_method_mask(void **state) {
    match_t *m = *state;
    assert_int_equal(match(m, TD_HEAD | TD_GET, "/health"), 0);
    assert_ptr_equal(m->route, &k_routes[1]);
    assert_int_equal(match(m, TD_HEAD, "/health"), 405);
}

static void test_percent_decoding(void **state) {
    match_t *m = *state;
    assert_int_equal(match(m, TD_GET, "/v1/tenants/h%C3%A9llo%20w"), 0);
    assert_string_equal(m->params[0], "h\xc3\xa9llo w");
    /* '+' is not a space in a path */
    assert_int_equal(match(m, TD_GET, "/v1/tenants/a+b"), 0);
    assert_string_equal(m->params[0], "a+b");
    /* literal segments are compared after decoding */
    assert_int_equal(match(m, TD_GET, "/heal%74h"), 0);
    assert_ptr_equal(m->route, &k_routes[1]);
    assert_int_equal(match(m, TD_GET, "/v1/ten%61nts/x"), 0);
    assert_string_equal(m->params[0], "x");
    /* lower- and upper-case hex */
    assert_int_equal(match(m, TD_GET, "/v1/tenants/%7e%7E"), 0);
    assert_string_equal(m->params[0], "~~");
}

static void test_bad_escapes(void **state) {
    match_t *m = *state;
    assert_int_equal(match(m, TD_GET, "/v1/tenants/a%zz"), 404);
    assert_int_equal(match(m, TD_GET, "/v1/tenants/a%4"), 404);
    assert_int_equal(match(m, TD_GET, "/v1/tenants/a%"), 404);
    assert_int_equal(match(m, TD_GET, "/v1/tenants/a%00b"), 404);
    assert_int_equal(match(m, TD_GET, "/health%"), 404);
}

/* An encoded slash never becomes a separator and never reaches a handler
 * inside a parameter. */
static void test_encoded_slash(void **state) {
    match_t *m = *state;
    assert_int_equal(match(m, TD_GET, "/v1/tenants/a%2Fb"), 404);
    assert_int_equal(match(m, TD_GET, "/v1/tenants/a%2fb"), 404);
    assert_int_equal(match(m, TD_GET, "/v1%2Ftenants"), 404);
    assert_int_equal(match(m, TD_GET, "/v1/tenants/a%2Fitems%2Fb"), 404);
}

static void test_empty_segments(void **state) {
    match_t *m = *state;
    assert_int_equal(match(m, TD_GET, "//health"), 404);
    assert_int_equal(match(m, TD_GET, "/v1//tenants"), 404);
    assert_int_equal(match(m, TD_GET, "/v1/tenants//items/1"), 404);
    assert_int_equal(match(m, TD_GET, "/v1/tenants/"), 404); /* empty {tenant} */
    assert_int_equal(match(m, TD_GET, "//"), 404);
}

static void test_trailing_slash(void **state) {
    match_t *m = *state;
    assert_int_equal(match(m, TD_GET, "/health/"), 404);
    assert_int_equal(match(m, TD_GET, "/v1/tenants/acme/"), 404);
    assert_int_equal(match(m, TD_GET, "/v1/trailing/"), 0);
    assert_ptr_equal(m->route, &k_routes[8]);
    assert_int_equal(match(m, TD_GET, "/v1/trailing"), 404);
}

/* "." and ".." are never normalised and never accepted as a parameter,
 * encoded or not. */
static void test_dot_segments(void **state) {
    match_t *m = *state;
    assert_int_equal(match(m, TD_GET, "/v1/tenants/.."), 404);
    assert_int_equal(match(m, TD_GET, "/v1/tenants/."), 404);
    assert_int_equal(match(m, TD_GET, "/v1/tenants/%2e%2e"), 404);
    assert_int_equal(match(m, TD_GET, "/v1/tenants/%2E"), 404);
    assert_int_equal(match(m, TD_GET, "/v1/tenants/../health"), 404);
    assert_int_equal(match(m, TD_GET, "/v1/../health"), 404);
    assert_int_equal(match(m, TD_GET, "/./health"), 404);
    /* dots inside a value are fine */
    assert_int_equal(match(m, TD_GET, "/v1/tenants/a..b"), 0);
    assert_string_equal(m->params[0], "a..b");
    assert_int_equal(match(m, TD_GET, "/v1/tenants/..."), 0);
}

/* Optional out-parameters may be NULL. */
static void test_null_outputs(void **state) {
    match_t *m = *state;
    assert_int_equal(td_router_match(k_routes, NROUTES, TD_GET, "/v1/tenants/x", m->arena, NULL,
                                     NULL, NULL, NULL),
                     0);
    assert_int_equal(td_router_match(k_routes, NROUTES, TD_PATCH, "/health", m->arena, NULL, NULL,
                                     NULL, NULL),
                     405);
    assert_int_equal(td_router_match(NULL, 0, TD_GET, "/health", m->arena, NULL, NULL, NULL, NULL),
                     404);
}

static void test_methods_text(void **state) {
    (void)state;
    char out[64];
    td_http_methods_text(TD_GET | TD_POST, out, sizeof(out));
    assert_string_equal(out, "GET, POST");
    td_http_methods_text(0, out, sizeof(out));
    assert_string_equal(out, "");
    td_http_methods_text(TD_OPTIONS | TD_GET | TD_DELETE | TD_HEAD, out, sizeof(out));
    assert_string_equal(out, "GET, DELETE, HEAD, OPTIONS");
    /* too small: cut at a method boundary, always terminated */
    char small[8];
    td_http_methods_text(TD_GET | TD_POST, small, sizeof(small));
    assert_string_equal(small, "GET");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_literal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_params, setup, teardown),
        cmocka_unit_test_setup_teardown(test_params_capped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_404, setup, teardown),
        cmocka_unit_test_setup_teardown(test_405_allowed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_method_mask, setup, teardown),
        cmocka_unit_test_setup_teardown(test_percent_decoding, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_escapes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_encoded_slash, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_segments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_trailing_slash, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dot_segments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_null_outputs, setup, teardown),
        cmocka_unit_test(test_methods_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
