/* openapi.c — GET /openapi.json, the OpenAPI 3.1 document generated from
 * the route table, so a route cannot exist without its entry or the other
 * way round. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"

static const char *const method_names[] = {"get", "post", "put", "patch", "delete"};
static const unsigned method_bits[] = {TD_GET, TD_POST, TD_PUT, TD_PATCH, TD_DELETE};

static json_t *path_params(const char *pattern) {
    json_t *arr = json_array();
    for (const char *p = strchr(pattern, '{'); p; p = strchr(p + 1, '{')) {
        const char *e = strchr(p, '}');
        if (!e)
            break;
        json_t *name = json_stringn(p + 1, (size_t)(e - p - 1));
        json_array_append_new(arr, json_pack("{s:o, s:s, s:b, s:{s:s}}", "name", name, "in",
                                             "path", "required", 1, "schema", "type", "string"));
    }
    return arr;
}

static json_t *operation(const td_route_t *r, const char *method) {
    const td_need_t *need = r->need;
    char id[160];
    size_t k = (size_t)snprintf(id, sizeof(id), "%s", method);
    for (const char *p = r->pattern; *p && k + 1 < sizeof(id); p++)
        id[k++] = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ? *p : '_';
    id[k] = '\0';
    json_t *op = json_pack(
        "{s:s, s:s, s:{s:{s:s, s:{s:{s:{s:s}}}}}}", "summary", r->summary, "operationId", id,
        "responses", "default", "description", "an error (RFC 9457 problem)", "content",
        "application/problem+json", "schema", "$ref", "#/components/schemas/Problem");
    json_t *params = path_params(r->pattern);
    if (json_array_size(params))
        json_object_set(op, "parameters", params);
    json_decref(params);
    if (need && need->kind != TD_NEED_PUBLIC) {
        json_object_set_new(op, "security", json_pack("[{s:[]}]", "bearer"));
        if (need->kind == TD_NEED_ACCESS)
            json_object_set_new(op, "x-access",
                                json_pack("{s:s, s:s}", "service", need->service, "action",
                                          need->act == TD_ACT_READ ? "read" : "write"));
    }
    return op;
}

json_t *td_api_openapi(void) {
    size_t n;
    const td_route_t *routes = td_api_routes(&n);
    json_t *paths = json_object();
    for (size_t i = 0; i < n; i++) {
        json_t *item = json_object_get(paths, routes[i].pattern);
        if (!item) {
            item = json_object();
            json_object_set_new(paths, routes[i].pattern, item);
        }
        for (size_t m = 0; m < sizeof(method_bits) / sizeof(method_bits[0]); m++)
            if (routes[i].methods & method_bits[m])
                json_object_set_new(item, method_names[m], operation(&routes[i], method_names[m]));
    }
    return json_pack(
        "{s:s, s:{s:s, s:s, s:s}, s:o, s:{s:{s:{s:s, s:s, s:s}}, s:{s:{s:s, s:{s:{s:s}, s:{s:s},"
        " s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}}}}}}",
        "openapi", "3.1.0", "info", "title", "tenantd", "version", TD_VERSION, "description",
        "Multi-tenant SaaS backend: control plane, per-tenant databases, identity and access.",
        "paths", paths, "components", "securitySchemes", "bearer", "type", "http", "scheme",
        "bearer", "bearerFormat", "JWT", "schemas", "Problem", "type", "object", "properties",
        "type", "type", "string", "title", "type", "string", "status", "type", "integer", "code",
        "type", "string", "detail", "type", "string", "request_id", "type", "string", "instance",
        "type", "string");
}

void td_api_openapi_doc(td_req_t *req, void *app) {
    (void)app;
    json_t *doc = td_api_openapi();
    char *s = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (!s) {
        td_api_fail(req, TD_E_NOMEM, NULL);
        return;
    }
    td_resp_bytes(req, 200, "application/json", s, strlen(s));
    free(s);
}
