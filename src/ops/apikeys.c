/* apikeys.c — API keys as operations: create, list, revoke, for the HTTP
 * routes (/v1/auth/api-keys, /v1/admin/api-keys) and `tenantd apikey`
 * alike. Tenant keys are made by the tenant's admins (or a platform actor)
 * with a role no higher than admin, an optional list of the tenant's
 * services and a read-only flag; platform keys by platform actors, with
 * the superadmin role. No escalation by delegation: a caller held to a
 * list of services (a scoped admin or key) creates and revokes only keys
 * inside its rights, and a key made by an expiring key expires no later.
 * Only the key's hash is stored; the key itself is returned once. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "auth/policy.h"
#include "common/text.h"
#include "common/timeutil.h"
#include "ops/ops.h"
#include "ops/plans.h"

static td_status bad(td_op_t *op, const char *code, const char *detail) {
    return td_op_fail(op, TD_E_INVALID, 400, code, "%s", detail);
}

/* Who may touch the keys of tenant (NULL: the platform's). */
static int may_manage(td_op_t *op, const char *tenant_id) {
    if (tenant_id)
        return td_op_tenant_admin(op, tenant_id);
    if (td_actor_platform(&op->actor))
        return 1;
    td_op_fail(op, TD_E_FORBIDDEN, 403, "forbidden", "your role may not do this");
    return 0;
}

/* What key k holds; its services parsed into the op's arena. */
static td_grant_t key_grant(td_op_t *op, const td_apikey_row_t *k) {
    td_grant_t g = {k->role, !k->services, NULL, 0};
    json_error_t e;
    json_t *svc = k->services ? json_loads(k->services, 0, &e) : NULL;
    const char **v = td_arena_alloc(op->arena, sizeof(char *) * (json_array_size(svc) + 1));
    for (size_t i = 0; v && i < json_array_size(svc); i++) {
        const char *s = json_string_value(json_array_get(svc, i));
        v[g.nsvc++] = s ? td_arena_strdup(op->arena, s) : "";
    }
    g.svc = v;
    json_decref(svc);
    return g;
}

/* 403 exceeds_scope unless the actor holds every right of k (and, when
 * creating, k expires no later than an expiring calling key). The CLI and
 * the system hold every right. */
static int within_rights(td_op_t *op, const td_apikey_row_t *k, int creating) {
    const td_actor_t *a = &op->actor;
    td_grant_t me = {a->role, a->all, (const char **)a->svc, a->nsvc}, want = key_grant(op, k);
    int64_t until = 0;
    int outlives = creating && a->key_exp &&
                   (!k->expires_at || td_time_parse(k->expires_at, &until) ||
                    until / 1000 > a->key_exp);
    if ((!a->role || td_policy_covers(&me, &want)) && !outlives)
        return 1;
    td_op_fail(op, TD_E_FORBIDDEN, 403, "exceeds_scope", "%s",
               outlives ? "a key made by an expiring key must expire no later than it"
                        : "you cannot create or revoke a key with a role or services you do"
                          " not hold");
    return 0;
}

/* Checks s into k (strings in op's arena); 400 on the first problem. */
static td_status read_spec(td_op_t *op, const td_apikey_spec_t *s, td_apikey_row_t *k) {
    k->name = s->name;
    if (!k->name || !*k->name || strlen(k->name) > 100 || !td_text_printable_utf8(k->name))
        return bad(op, "invalid_request", "'name' (1 to 100 characters) is required");
    k->role = s->tenant ? s->role : s->role ? s->role : "superadmin";
    if (s->tenant ? !td_role_valid_tenant(k->role) : strcmp(k->role, "superadmin") != 0)
        return bad(op, "invalid_role",
                   s->tenant ? "role must be admin, manager or client"
                             : "platform keys have the superadmin role");
    k->read_only = s->read_only;
    if (s->rate_limit < 0 || s->rate_limit > 100000000)
        return bad(op, "invalid_request",
                   "'rate_limit' must be a number of requests a minute from 1 to 100000000");
    k->rate_limit_rpm = s->rate_limit;
    if (s->expires_at && !(k->expires_at = td_apikey_expiry(op->arena, s->expires_at)))
        return bad(op, "invalid_request",
                   "'expires_at' must be a future RFC 3339 time like 2027-01-01T00:00:00Z");
    if (s->scoped && !s->tenant)
        return bad(op, "invalid_request", "'services' must be an array of service names");
    json_t *arr = s->scoped ? json_array() : NULL;
    for (size_t i = 0; arr && i < s->nsvc; i++) {
        if (!s->services[i] ||
            !td_policy_granted(s->services[i], s->tenant->services, s->tenant->nsvc)) {
            json_decref(arr);
            return bad(op, "service_not_enabled", "a key's services must be enabled for the tenant");
        }
        json_array_append_new(arr, json_string(s->services[i]));
    }
    char *txt = arr ? json_dumps(arr, JSON_COMPACT) : NULL;
    k->services = txt ? td_arena_strdup(op->arena, txt) : NULL;
    free(txt);
    json_decref(arr);
    return TD_OK;
}

static td_status lease(td_op_t *op, td_db_t **db) {
    td_status st = td_catalog_lease(op->platform->catalog, op->arena, db);
    return st ? td_op_fail_status(op, st, "the catalog does not answer") : TD_OK;
}

/* Stores the key; a tenant's only while it has fewer live keys than its
 * plan allows (max_api_keys; revoked and expired keys do not count),
 * counted with the insert: else 402 plan_limit. */
static td_status store_key(td_op_t *op, const td_tenant_t *t, td_db_t *db,
                           const td_apikey_row_t *k) {
    int64_t max = t ? t->limits.max_api_keys : -1;
    td_status st = max < 0 ? td_cat_apikey_insert(db, k) : td_cat_apikey_insert_capped(db, k, max);
    if (st == TD_E_FORBIDDEN && max >= 0)
        return td_op_plan_limit(op, t->row.plan, "max_api_keys", max, max);
    return st;
}

td_status td_op_apikey_create(td_op_t *op, const td_apikey_spec_t *s, td_apikey_row_t *out,
                              char key[TD_APIKEY_LEN + 1]) {
    td_apikey_row_t k = {0};
    key[0] = '\0';
    if (td_op_refuse_impersonated(op, "making an API key"))
        return op->err.st;
    if (!may_manage(op, s->tenant ? s->tenant->row.id : NULL))
        return op->err.st;
    td_status st = read_spec(op, s, &k);
    if (st || (s->tenant && (!within_rights(op, &k, 1) ||
                             !td_op_tenant_answers(op, s->tenant->row.id, "auth"))))
        return op->err.st;
    char id[TD_ID_LEN + 1], hash[TD_HASH_HEX];
    td_id_new(id);
    td_apikey_new(id, key, hash);
    k.id = id;
    k.key_hash = hash;
    k.tenant_id = s->tenant ? s->tenant->row.id : NULL;
    k.created_by = op->actor.id ? op->actor.id : td_actor_kind_name(op->actor.kind);
    td_db_t *db;
    st = lease(op, &db);
    if (!st && (st = store_key(op, s->tenant, db, &k)) == TD_OK)
        st = td_cat_apikey_get(db, op->arena, id, out);
    if (st) {
        sodium_memzero(key, TD_APIKEY_LEN + 1);
        return op->err.st ? op->err.st : td_op_fail_status(op, st, "cannot store the key");
    }
    return td_audit_record(op, k.tenant_id, NULL, "apikey.create", "api_keys", out->id, "ok",
                           out->role);
}

td_status td_op_apikey_list(td_op_t *op, const char *tenant_id, td_apikey_row_t **out,
                            size_t *n) {
    *n = 0;
    td_db_t *db;
    if (!may_manage(op, tenant_id) || (tenant_id && !td_op_tenant_answers(op, tenant_id, "auth")) ||
        lease(op, &db))
        return op->err.st;
    td_status st = td_cat_apikey_list(db, op->arena, tenant_id, out, n);
    return st ? td_op_fail_status(op, st, NULL) : TD_OK;
}

td_status td_op_apikey_revoke(td_op_t *op, const char *tenant_id, const char *id) {
    td_db_t *db;
    td_apikey_row_t k;
    if (!may_manage(op, tenant_id) || (tenant_id && !td_op_tenant_answers(op, tenant_id, "auth")))
        return op->err.st;
    td_status st = td_id_valid(id) ? TD_OK : TD_E_NOTFOUND;
    if (!st && lease(op, &db))
        return op->err.st;
    if (!st)
        st = td_cat_apikey_get(db, op->arena, id, &k);
    if (!st && (!k.tenant_id != !tenant_id || (tenant_id && strcmp(k.tenant_id, tenant_id))))
        st = TD_E_NOTFOUND; /* another tenant's key: as if absent */
    if (!st && tenant_id && !within_rights(op, &k, 0))
        return op->err.st;
    if (!st)
        st = td_cat_apikey_revoke(db, k.id, tenant_id);
    if (!st && tenant_id) /* the keys it made go with it */
        st = td_cat_apikey_revoke_created_by(db, tenant_id, k.id);
    if (st == TD_E_NOTFOUND)
        return td_op_fail(op, st, 404, "api_key_not_found", "no such live key");
    if (st)
        return td_op_fail_status(op, st, NULL);
    return td_audit_record(op, tenant_id, NULL, "apikey.revoke", "api_keys", k.id, "ok", NULL);
}

json_t *td_apikey_json(const td_apikey_row_t *k, int with_tenant) {
    json_error_t e;
    json_t *svc = k->services ? json_loads(k->services, 0, &e) : json_null();
    json_t *o = json_pack("{s:s, s:s, s:s, s:o, s:b}", "id", k->id, "name", k->name, "role",
                          k->role, "services", svc ? svc : json_null(), "read_only", k->read_only);
    if (with_tenant)
        json_object_set_new(o, "tenant_id", k->tenant_id ? json_string(k->tenant_id) : json_null());
    const char *opt[][2] = {{"expires_at", k->expires_at}, {"last_used_at", k->last_used_at},
                            {"revoked_at", k->revoked_at}, {"created_at", k->created_at},
                            {"created_by", k->created_by}};
    for (size_t i = 0; i < 5; i++)
        json_object_set_new(o, opt[i][0], opt[i][1] ? json_string(opt[i][1]) : json_null());
    json_object_set_new(o, "rate_limit",
                        k->rate_limit_rpm > 0 ? json_integer(k->rate_limit_rpm) : json_null());
    return o;
}
