/* openapi.c — GET /openapi.json, the OpenAPI 3.1 document generated from
 * the route table, so a route cannot exist without its entry or the other
 * way round; and, from the service declarations, a path and a schema for
 * every declared resource (served by the engine's generic routes, named in
 * each operation's x-route). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "services/services.h"

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
        if (need->kind == TD_NEED_ACCESS && need->resource)
            json_object_set_new(op, "x-access",
                                json_pack("{s:s}", "resource", "as declared by the service"));
        else if (need->kind == TD_NEED_ACCESS && need->rname)
            json_object_set_new(op, "x-access",
                                json_pack("{s:s, s:s, s:s}", "service", need->service,
                                          "resource", need->rname, "action",
                                          need->op == TD_OP_READ ? "read" : "write"));
        else if (need->kind == TD_NEED_ACCESS)
            json_object_set_new(op, "x-access",
                                json_pack("{s:s, s:s}", "service", need->service, "action",
                                          need->act == TD_ACT_READ ? "read" : "write"));
    }
    return op;
}

/* The JSON Schema of a resource's rows. */
static json_t *resource_schema(const td_resource_t *r) {
    static const char *const types[] = {"string", "string", "integer", "number",
                                        "boolean", "string", "object", "string"};
    json_t *props = json_object(), *req = json_array();
    for (size_t i = 0; i < r->nfields; i++) {
        const td_field_t *f = &r->fields[i];
        json_t *p = f->type == TD_F_JSON ? json_object()
                                         : json_pack("{s:s}", "type", types[f->type]);
        if (f->type == TD_F_EMAIL)
            json_object_set_new(p, "format", json_string("email"));
        if (f->type == TD_F_TIMESTAMP)
            json_object_set_new(p, "format", json_string("date-time"));
        if (f->type == TD_F_REF || f->system)
            json_object_set_new(p, "format", json_string(f->type == TD_F_TIMESTAMP
                                                             ? "date-time" : "uuid"));
        if ((f->type == TD_F_TEXT || f->type == TD_F_EMAIL) && f->has_max)
            json_object_set_new(p, "maxLength", json_integer((json_int_t)f->max));
        if (f->type == TD_F_INTEGER) { /* always bounded: declared, else ±(2^53 − 1) */
            json_object_set_new(p, "minimum", json_integer((json_int_t)f->imin));
            json_object_set_new(p, "maximum", json_integer((json_int_t)f->imax));
        }
        if (f->type == TD_F_NUMBER && f->has_min)
            json_object_set_new(p, "minimum", json_real(f->min));
        if (f->type == TD_F_NUMBER && f->has_max)
            json_object_set_new(p, "maximum", json_real(f->max));
        if (f->enums) {
            json_t *e = json_array();
            for (size_t k = 0; k < f->nenums; k++)
                json_array_append_new(e, json_string(f->enums[k]));
            json_object_set_new(p, "enum", e);
        }
        if (f->def)
            json_object_set(p, "default", f->def);
        if (f->read_only || (f->system && !(r->owner && !strcmp(f->name, r->owner))))
            json_object_set_new(p, "readOnly", json_true());
        if (f->required)
            json_array_append_new(req, json_string(f->name));
        json_object_set_new(props, f->name, p);
    }
    json_t *s = json_pack("{s:s, s:o, s:b}", "type", "object", "properties", props,
                          "additionalProperties", 0);
    if (r->description)
        json_object_set_new(s, "description", json_string(r->description));
    if (json_array_size(req))
        json_object_set(s, "required", req);
    json_decref(req);
    return s;
}

/* One operation on a declared resource, unless a literal route has it. */
static void resource_op(json_t *paths, const char *path, const char *method, const char *route,
                        const td_resource_t *r, const char *summary, int status, int body,
                        int list) {
    json_t *item = json_object_get(paths, path);
    if (!item) {
        item = json_object();
        json_object_set_new(paths, path, item);
    }
    if (json_object_get(item, method))
        return; /* a literal route of the table answers it */
    char id[200], ref[160], code[8];
    snprintf(id, sizeof(id), "%s_%s_%s%s", method, r->service, r->name, strchr(path, '{') ? "_id" : "");
    snprintf(ref, sizeof(ref), "#/components/schemas/%s.%s", r->service, r->name);
    snprintf(code, sizeof(code), "%d", status);
    json_t *schema = list ? json_pack("{s:s, s:{s:{s:s, s:{s:s}}, s:{s:[ss]}}}", "type", "object",
                                      "properties", "items", "type", "array", "items", "$ref",
                                      ref, "next_cursor", "type", "string", "null")
                          : json_pack("{s:s}", "$ref", ref);
    json_t *op = json_pack("{s:s+, s:s, s:s, s:[{s:[]}], s:{s:s, s:s}, s:{s:{s:s, s:{s:{s:o}}},"
                           " s:{s:s, s:{s:{s:{s:s}}}}}}",
                           "summary", summary, r->name, "operationId", id, "x-route", route,
                           "security", "bearer", "x-access", "service", r->service, "resource",
                           r->name, "responses", code, "description", "success", "content",
                           "application/json", "schema", schema, "default", "description",
                           "an error (RFC 9457 problem)", "content", "application/problem+json",
                           "schema", "$ref", "#/components/schemas/Problem");
    if (strchr(path, '{'))
        json_object_set_new(op, "parameters", path_params(path));
    if (body)
        json_object_set_new(op, "requestBody",
                            json_pack("{s:b, s:{s:{s:{s:s}}}}", "required", 1, "content",
                                      "application/json", "schema", "$ref", ref));
    json_object_set_new(item, method, op);
}

static void add_resources(json_t *paths, json_t *schemas) {
    size_t n;
    const char *const *names = td_services_names(&n);
    for (size_t i = 0; i < n; i++) {
        const td_service_decl_t *d = td_service_decl(names[i]);
        for (size_t k = 0; d && k < d->nres; k++) {
            const td_resource_t *r = &d->res[k];
            char base[160], one[170], name[160];
            snprintf(base, sizeof(base), "/v1/%s/%s", r->service, r->name);
            snprintf(one, sizeof(one), "%s/{id}", base);
            snprintf(name, sizeof(name), "%s.%s", r->service, r->name);
            json_object_set_new(schemas, name, resource_schema(r));
            const char *coll = "/v1/{service}/{resource}", *row = "/v1/{service}/{resource}/{id}";
            if (r->methods & TD_M_LIST)
                resource_op(paths, base, "get", coll, r, "List ", 200, 0, 1);
            if (r->methods & TD_M_CREATE)
                resource_op(paths, base, "post", coll, r, "Create in ", 201, 1, 0);
            if (r->methods & TD_M_GET)
                resource_op(paths, one, "get", row, r, "One row of ", 200, 0, 0);
            if (r->methods & TD_M_UPDATE)
                resource_op(paths, one, "patch", row, r, "Change a row of ", 200, 1, 0);
            if (r->methods & TD_M_DELETE)
                resource_op(paths, one, "delete", row, r, "Delete a row of ", 204, 0, 0);
        }
    }
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
    json_t *doc = json_pack(
        "{s:s, s:{s:s, s:s, s:s}, s:o, s:{s:{s:{s:s, s:s, s:s}}, s:{s:{s:s, s:{s:{s:s}, s:{s:s},"
        " s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}}}}}}",
        "openapi", "3.1.0", "info", "title", "tenantd", "version", TD_VERSION, "description",
        "Multi-tenant SaaS backend: control plane, per-tenant databases, identity and access.",
        "paths", paths, "components", "securitySchemes", "bearer", "type", "http", "scheme",
        "bearer", "bearerFormat", "JWT", "schemas", "Problem", "type", "object", "properties",
        "type", "type", "string", "title", "type", "string", "status", "type", "integer", "code",
        "type", "string", "detail", "type", "string", "request_id", "type", "string", "instance",
        "type", "string");
    if (doc)
        add_resources(json_object_get(doc, "paths"),
                      json_object_get(json_object_get(doc, "components"), "schemas"));
    return doc;
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
