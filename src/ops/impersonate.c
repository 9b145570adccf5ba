/* impersonate.c — a superadmin acting as a tenant's user (issue 13 part 6).
 *
 * td_op_impersonate hands out one access token of the user, living at most
 * an hour, whose jti is the impersonation's id and whose `act` claim names
 * the superadmin; no refresh token. Every write made with it is audited
 * with both identities (the audit record's actor is the user, its detail
 * names the superadmin: ops/op.h's actor.impersonator, carried into the
 * outbox rows). The tenant's admins list the impersonations and, like
 * superadmins, revoke one at once (the jti is revoked). While
 * impersonating, nothing that outlives the token can be made: no API key,
 * no password change (403 impersonation_forbidden). */
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "auth/revoke.h"
#include "auth/tokens.h"
#include "auth/users.h"
#include "common/id.h"
#include "common/text.h"
#include "common/timeutil.h"
#include "ops/ops.h"

static td_status bad(td_op_t *op, const char *detail) {
    return td_op_fail(op, TD_E_INVALID, 400, "invalid_request", "%s", detail);
}

/* A superadmin's, or (own = 1) an admin of the tenant's. */
static int allowed(td_op_t *op, const td_tenant_t *t, int own) {
    if (op->actor.kind == TD_ACTOR_SUPERADMIN && !op->actor.impersonator)
        return 1;
    return own && op->actor.role && !strcmp(op->actor.role, "admin") && op->actor.tenant_id &&
           !strcmp(op->actor.tenant_id, t->row.id) && !op->actor.impersonator;
}

static td_status forbidden(td_op_t *op) {
    return td_op_fail(op, TD_E_FORBIDDEN, 403, "forbidden", "your role may not do this");
}

td_status td_op_refuse_impersonated(td_op_t *op, const char *what) {
    if (!op->actor.impersonator)
        return TD_OK;
    return td_op_fail(op, TD_E_FORBIDDEN, 403, "impersonation_forbidden",
                      "%s is not possible while impersonating", what);
}

/* Checks s: reason, minutes (→ *ttl seconds), the user key. */
static td_status read_spec(td_op_t *op, const td_imp_spec_t *s, int64_t *ttl) {
    if (!s->reason || !*s->reason || strlen(s->reason) > 500 ||
        !td_text_printable_utf8(s->reason))
        return bad(op, "'reason' (1 to 500 characters) is required: why you act as this user");
    double m = s->has_minutes ? s->minutes : 15;
    if (!(m > 0) || m > 60 || isnan(m))
        return bad(op, "'minutes' must be more than 0 and at most 60");
    *ttl = (int64_t)ceil(m * 60);
    if (!s->user || !*s->user || strlen(s->user) > 254)
        return bad(op, "'user' (the user's id or email) is required");
    return TD_OK;
}

td_status td_op_impersonate(td_op_t *op, const td_tenant_t *t, const td_imp_spec_t *s,
                            td_imp_out_t *out) {
    td_platform_t *p = op->platform;
    int64_t ttl = 0;
    memset(out, 0, sizeof(*out));
    if (!allowed(op, t, 0))
        return forbidden(op);
    if (read_spec(op, s, &ttl))
        return op->err.st;
    if (strcmp(t->row.status, "active"))
        return td_op_fail(op, TD_E_STATE, 409, "invalid_state", "the tenant is not active");
    td_db_t *db = NULL;
    if (td_op_tenant_db(op, t->row.id, "auth", &db))
        return op->err.st;
    td_user_t u;
    int by_email = strchr(s->user, '@') != NULL;
    td_status st = by_email || td_id_valid(s->user)
                       ? td_user_find(db, op->arena, s->user, by_email, &u)
                       : TD_E_NOTFOUND;
    if (st == TD_E_NOTFOUND)
        return td_op_fail(op, st, 404, "user_not_found", "no such user in this tenant");
    if (st)
        return td_op_fail(op, TD_E_UNAVAILABLE, 503, "tenant_unavailable",
                          "the tenant's database does not answer");
    if (u.disabled)
        return td_op_fail(op, TD_E_STATE, 409, "invalid_state", "the user is disabled");
    char id[33];
    td_random_hex(id, 16);
    int64_t now = td_now_ms() / 1000;
    char created[32];
    td_time_iso(td_now_ms(), created, sizeof(created)); /* the answer shows it as stored */
    out->row = (td_imp_row_t){.id = td_arena_strdup(op->arena, id), .tenant_id = t->row.id,
                              .user_id = u.id, .admin_id = op->actor.id, .reason = s->reason,
                              .created_at = td_arena_strdup(op->arena, created),
                              .expires_at = now + ttl};
    td_db_t *cat = NULL;
    if ((st = td_catalog_lease(p->catalog, op->arena, &cat)) ||
        (st = td_cat_imp_insert(cat, &out->row)))
        return td_op_fail_status(op, st, "the catalog does not answer");
    const char **svc;
    size_t nsvc;
    td_user_effective_services(&u, t->services, t->nsvc, op->arena, &svc, &nsvc);
    td_principal_t who = {.sub = u.id, .role = u.role, .tid = t->row.id, .svc = svc,
                          .nsvc = nsvc, .svc_all = td_user_unscoped(&u), .gen = u.gen,
                          .act = op->actor.id, .imp = out->row.id};
    char jti[33];
    td_platform_reload_keys(p, 60);
    if (td_token_issue(td_platform_keys(p), &who, now, ttl, &out->access, jti)) {
        td_cat_imp_revoke(cat, out->row.id, t->row.id, op->actor.id); /* never handed out */
        return td_op_fail_status(op, TD_E_INTERNAL, "cannot sign the token");
    }
    out->expires_in = ttl;
    out->user = u;
    const char *detail = td_arena_printf(op->arena, "as user %s for %lld s: %s", u.id,
                                         (long long)ttl, s->reason);
    st = td_audit_record(op, t->row.id, NULL, "tenant.impersonate", "impersonations",
                         out->row.id, "ok", detail);
    if (st) { /* not audited: not handed out, and not listed as active */
        td_cat_imp_revoke(cat, out->row.id, t->row.id, op->actor.id);
        free(out->access);
        out->access = NULL;
        return td_op_fail_status(op, st, "cannot record the impersonation");
    }
    return TD_OK;
}

td_status td_op_impersonations(td_op_t *op, const td_tenant_t *t, td_imp_row_t **rows,
                               size_t *n) {
    *rows = NULL, *n = 0;
    if (!allowed(op, t, 1))
        return forbidden(op);
    td_db_t *cat = NULL;
    td_status st = td_catalog_lease(op->platform->catalog, op->arena, &cat);
    if (!st)
        st = td_cat_imp_list(cat, op->arena, t->row.id, rows, n);
    return st ? td_op_fail_status(op, st, "the catalog does not answer") : TD_OK;
}

td_status td_op_impersonation_revoke(td_op_t *op, const td_tenant_t *t, const char *id) {
    if (!allowed(op, t, 1))
        return forbidden(op);
    td_db_t *cat = NULL;
    td_imp_row_t r;
    td_status st = td_catalog_lease(op->platform->catalog, op->arena, &cat);
    if (!st)
        st = td_cat_imp_get(cat, op->arena, id, &r);
    if (!st && strcmp(r.tenant_id, t->row.id))
        st = TD_E_NOTFOUND; /* another tenant's: as if absent */
    if (!st && !(st = td_db_begin(cat, TD_DB_WRITE))) {
        st = td_cat_imp_revoke(cat, id, t->row.id, op->actor.id);
        if (!st)
            st = td_revocations_add(op->platform->revoked, cat,
                                    td_arena_printf(op->arena, "jti:%s", id), 0, r.expires_at);
        st = st ? st : td_db_commit(cat);
        if (st)
            td_db_rollback(cat);
    }
    if (st == TD_E_NOTFOUND)
        return td_op_fail(op, st, 404, "impersonation_not_found", "no such live impersonation");
    if (st)
        return td_op_fail_status(op, st, "the catalog does not answer");
    return td_audit_record(op, t->row.id, NULL, "impersonation.revoke", "impersonations", id,
                           "ok", NULL);
}

json_t *td_imp_json(const td_imp_row_t *r, int64_t now) {
    const char *state = r->revoked_at ? "revoked" : r->expires_at <= now ? "expired" : "active";
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id", r->id, "user_id",
                          r->user_id, "admin_id", r->admin_id, "reason", r->reason, "state",
                          state, "created_at", r->created_at ? r->created_at : "", "tenant_id",
                          r->tenant_id);
    char exp[40];
    td_time_iso(r->expires_at * 1000, exp, sizeof(exp));
    json_object_set_new(o, "expires_at", json_string(exp));
    json_object_set_new(o, "revoked_at", r->revoked_at ? json_string(r->revoked_at) : json_null());
    json_object_set_new(o, "revoked_by", r->revoked_by ? json_string(r->revoked_by) : json_null());
    return o;
}
