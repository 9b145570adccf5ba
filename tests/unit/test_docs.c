/* test_docs.c — every CLI command, configuration key and route is
 * documented: a new one without its documentation fails here. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "cli/cli.h"
#include "common/config.h"
#include "services/services.h"

static char *slurp(const char *rel) {
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", TD_SOURCE_DIR, rel);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = '\0';
    fclose(f);
    return s;
}

static void expect_in(const char *doc, const char *docname, const char *what) {
    if (!strstr(doc, what))
        fail_msg("%s does not document %s", docname, what);
}

static void commands_documented(void **state) {
    (void)state;
    char *doc = slurp("docs/cli.md");
    size_t n;
    const td_cmd_t *cmds = td_cli_commands(&n);
    assert_true(n >= 6);
    for (size_t i = 0; i < n; i++) {
        char h[64];
        snprintf(h, sizeof(h), "## %s\n", cmds[i].name);
        expect_in(doc, "docs/cli.md", h);
        snprintf(h, sizeof(h), "usage: tenantd %s", cmds[i].name);
        expect_in(cmds[i].help, "the command's --help", h);
    }
    free(doc);
}

static void config_documented(void **state) {
    (void)state;
    char *doc = slurp("docs/configuration.md");
    const td_config_row_t *rows;
    size_t n = td_config_rows(&rows);
    for (size_t i = 0; i < n; i++) {
        char k[96];
        snprintf(k, sizeof(k), "| `%s` | `%s` |", rows[i].key, rows[i].env);
        expect_in(doc, "docs/configuration.md", k);
    }
    free(doc);
}

static void routes_documented(void **state) {
    (void)state;
    char *doc = slurp("docs/api.md");
    size_t n;
    const td_route_t *routes = td_api_routes(&n);
    for (size_t i = 0; i < n; i++) {
        char methods[64], row[256];
        td_http_methods_text(routes[i].methods, methods, sizeof(methods));
        /* one table row per method */
        for (char *save = NULL, *m = strtok_r(methods, ", ", &save); m;
             m = strtok_r(NULL, ", ", &save)) {
            snprintf(row, sizeof(row), "| %s | `%s` |", m, routes[i].pattern);
            expect_in(doc, "docs/api.md", row);
        }
    }
    free(doc);
}

/* The OpenAPI document has exactly the routes of the table: every route and
 * method has an entry, and every entry is a route. */
static void openapi_matches_routes(void **state) {
    (void)state;
    json_t *doc = td_api_openapi();
    assert_string_equal(json_string_value(json_object_get(doc, "openapi")), "3.1.0");
    json_t *paths = json_object_get(doc, "paths");
    size_t n, ops = 0, entries = 0;
    const td_route_t *routes = td_api_routes(&n);
    static const char *const names[] = {"get", "post", "put", "patch", "delete"};
    static const unsigned bits[] = {TD_GET, TD_POST, TD_PUT, TD_PATCH, TD_DELETE};
    for (size_t i = 0; i < n; i++) {
        json_t *item = json_object_get(paths, routes[i].pattern);
        if (!item)
            fail_msg("route %s has no OpenAPI entry", routes[i].pattern);
        for (size_t m = 0; m < 5; m++)
            if (routes[i].methods & bits[m]) {
                ops++;
                json_t *op = json_object_get(item, names[m]);
                if (!op || !json_is_string(json_object_get(op, "summary")))
                    fail_msg("%s %s has no OpenAPI operation", names[m], routes[i].pattern);
            }
    }
    const char *path;
    json_t *item;
    json_object_foreach(paths, path, item) {
        const char *m;
        json_t *op;
        json_object_foreach(item, m, op) {
            entries++;
            unsigned bit = 0;
            for (size_t k = 0; k < 5; k++)
                if (!strcmp(m, names[k]))
                    bit = bits[k];
            const td_route_t *r = NULL;
            const char *params[TD_MAX_PATH_PARAMS];
            int np;
            unsigned allowed;
            td_arena_t *a = td_arena_new(0);
            /* a declared resource's entry names the generic route serving it */
            const char *via = json_string_value(json_object_get(op, "x-route"));
            char concrete[256];
            snprintf(concrete, sizeof(concrete), "%s", path);
            char *brace = strstr(concrete, "/{id}");
            if (via && brace)
                snprintf(brace, sizeof(concrete) - (size_t)(brace - concrete),
                         "/01a20000-0000-7000-8000-000000000000");
            int code = td_router_match(routes, n, bit, via ? concrete : path, a, &r, params, &np,
                                       &allowed);
            td_arena_destroy(a);
            if (code || !r || strcmp(r->pattern, via ? via : path))
                fail_msg("OpenAPI entry %s %s has no route", m, path);
            if (via)
                entries--; /* not a row of the route table */
        }
    }
    assert_int_equal(ops, entries);
    json_decref(doc);
}

/* Every declared resource of every built-in service, with each of its
 * fields, is in docs/services.md. */
static void services_documented(void **state) {
    (void)state;
    char *doc = slurp("docs/services.md");
    size_t n;
    const char *const *names = td_services_names(&n);
    assert_true(n >= 7);
    for (size_t i = 0; i < n; i++) {
        const td_service_decl_t *d = td_service_decl(names[i]);
        if (!d)
            fail_msg("service %s has no declaration", names[i]);
        for (size_t r = 0; r < d->nres; r++) {
            char h[160];
            snprintf(h, sizeof(h), "### %s.%s\n", d->name, d->res[r].name);
            expect_in(doc, "docs/services.md", h);
            const char *sec = strstr(doc, h), *end = strstr(sec + 1, "\n### ");
            for (size_t f = 0; f < d->res[r].nfields; f++) {
                if (d->res[r].fields[f].system)
                    continue;
                snprintf(h, sizeof(h), "| `%s` | %s |", d->res[r].fields[f].name,
                         td_ftype_name(d->res[r].fields[f].type));
                const char *at = strstr(sec, h);
                if (!at || (end && at > end))
                    fail_msg("docs/services.md: %s.%s does not document %s", d->name,
                             d->res[r].name, h);
            }
        }
    }
    free(doc);
}

static void readme_front_door(void **state) {
    (void)state;
    char *doc = slurp("README.md");
    expect_in(doc, "README.md", "make run");
    expect_in(doc, "README.md", "make test");
    free(doc);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(commands_documented),
        cmocka_unit_test(config_documented),
        cmocka_unit_test(routes_documented),
        cmocka_unit_test(openapi_matches_routes),
        cmocka_unit_test(services_documented),
        cmocka_unit_test(readme_front_door),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
