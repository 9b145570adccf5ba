/* tenant_json.c — a tenant as the JSON object of SPEC §11, shared by the
 * HTTP API and the command line's --json output. */
#include "tenancy/tenancy.h"

json_t *td_tenant_json(const td_tenant_t *t) {
    json_t *svcs = json_array();
    for (size_t i = 0; i < t->nsvc; i++)
        json_array_append_new(svcs, json_string(t->services[i]));
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:o, s:s}", "id", t->row.id, "slug", t->row.slug,
                          "name", t->row.name, "status", t->row.status, "services", svcs,
                          "backend", t->row.backend);
    json_object_set_new(o, "plan", t->row.plan ? json_string(t->row.plan) : json_null());
    if (t->row.error)
        json_object_set_new(o, "error", json_string(t->row.error));
    json_object_set_new(o, "created_at", json_string(t->row.created_at));
    json_object_set_new(o, "updated_at", json_string(t->row.updated_at));
    if (t->row.deleted_at)
        json_object_set_new(o, "deleted_at", json_string(t->row.deleted_at));
    return o;
}
