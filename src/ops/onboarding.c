/* onboarding.c — the five steps a tenant's admin takes after sign-up
 * (issue 13 part 5), as operations on the caller's own tenant:
 *
 *   1 store     the tenant itself (made by sign-up); renaming it
 *   2 database  where the platform put it ("embedded"), or a PostgreSQL
 *               database the tenant brings: checked, sealed, and the data
 *               moved there by a tenant.move job
 *   3 payments  the tenant's own payment provider keys, sealed (skippable)
 *   4 credits   done once the tenant has paid for credits (skippable)
 *   5 profile   company, phone, an avatar that is a cms media row
 *
 * What was taken is in the catalog (onboarding_steps), so it survives a
 * restart; the store step is read from the tenant, the credits step from
 * its paid checkouts, a brought database from the tenant's placement.
 * Every change is audited (onboarding.*) with its actor. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "catalog/credits.h"
#include "common/text.h"
#include "jobs/jobs.h"
#include "ops/ops.h"
#include "secrets/secrets.h"
#include "services/engine.h"
#include "services/services.h"
#include "tenancy/tenancy_int.h"

#define PURPOSE_PAYMENT_KEYS "payment-keys" /* td_seal purpose of a step 3 secret */
#define NSTEPS 5

static const struct {
    const char *name;
    int required, skippable;
} steps[NSTEPS] = {
    {"store", 1, 0}, {"database", 1, 0}, {"payments", 0, 1}, {"credits", 0, 1}, {"profile", 1, 0},
};

/* The caller's tenant, when the caller is one of its admins: 403
 * otherwise (superadmins included: onboarding is a tenant's). */
static td_status own_tenant(td_op_t *op, td_tenant_t *t) {
    const char *tid = op->actor.tenant_id;
    if (!tid)
        return td_op_fail(op, TD_E_FORBIDDEN, 403, "forbidden",
                          "onboarding is a tenant admin's: sign in to the tenant (an account"
                          " owner switches into it)");
    if (!td_op_tenant_admin(op, tid))
        return op->err.st;
    td_status st = td_tenant_find(op->platform, op->arena, tid, t);
    if (st == TD_E_NOTFOUND || (!st && !strcmp(t->row.status, "deleted")))
        return td_op_fail(op, TD_E_NOTFOUND, 404, "tenant_not_found", "no such tenant");
    return st ? td_op_fail(op, st, 503, "catalog_unavailable", "the catalog does not answer")
              : TD_OK;
}

/* What moves the tenant's data or its payments is for an admin of the
 * whole tenant (not one held to some services: it would reach the rest),
 * and never for an impersonation (it would outlive it). */
static td_status whole_admin(td_op_t *op, const char *what) {
    if (td_op_refuse_impersonated(op, what))
        return op->err.st;
    if (!op->actor.all && !td_actor_platform(&op->actor))
        return td_op_fail(op, TD_E_FORBIDDEN, 403, "forbidden",
                          "an admin held to some services cannot %s", what);
    return TD_OK;
}

static const td_onboarding_row_t *taken(const td_onboarding_row_t *rows, size_t n,
                                        const char *step) {
    for (size_t i = 0; i < n; i++)
        if (!strcmp(rows[i].step, step))
            return &rows[i];
    return NULL;
}

static json_t *detail_json(const td_onboarding_row_t *r) {
    json_error_t e;
    json_t *j = r && r->detail ? json_loads(r->detail, 0, &e) : NULL;
    return j ? j : json_object();
}

/* Step 2 as it stands: the tenant's placement is the truth (a brought
 * database once the move switched); the move's job tells how it goes. */
static void database_step(td_op_t *op, td_db_t *db, const td_tenant_t *t,
                          const td_onboarding_row_t *r, json_t *s) {
    td_tenant_db_row_t d = {0};
    td_move_row_t m;
    int brought = !td_cat_tenant_db(db, op->arena, t->row.id, &d) && d.secret_enc &&
                  !d.server_id && !strcmp(d.backend, "postgres");
    int moving = td_cat_move_get(db, op->arena, t->row.id, &m) == TD_OK;
    json_object_set_new(s, "database",
                        json_pack("{s:s, s:s, s:b}", "kind", brought ? "postgres" : "embedded",
                                  "backend", d.backend ? d.backend : t->row.backend,
                                  "bring_allowed", op->platform->cfg->bring_database != 0));
    const char *status = brought && !moving ? "done" : !r ? "pending" : r->status;
    if (r && !strcmp(r->status, "in_progress") && !(brought && !moving)) {
        json_t *dj = detail_json(r);
        const char *job = json_string_value(json_object_get(dj, "job"));
        td_job_row_t jr;
        if (job && !td_cat_job_get(db, op->arena, job, &jr)) {
            json_object_set_new(s, "job", json_string(jr.id));
            if (!strcmp(jr.state, "failed") || !strcmp(jr.state, "cancelled")) {
                status = "failed";
                json_object_set_new(s, "error",
                                    json_pack("{s:s, s:s}", "code", "move_failed", "detail",
                                              jr.error ? jr.error : jr.state));
            } else if (jr.message)
                json_object_set_new(s, "message", json_string(jr.message));
        }
        json_decref(dj);
    }
    json_object_set_new(s, "status", json_string(status));
}

/* The whole document of GET /v1/onboarding. */
static td_status document(td_op_t *op, const td_tenant_t *t, json_t **out) {
    td_db_t *db;
    td_onboarding_row_t rows[8];
    size_t n = 0;
    int paid = 0;
    int64_t balance = 0;
    const char *updated;
    *out = NULL;
    if (td_op_catalog(op, &db))
        return op->err.st;
    td_status st = td_cat_onboarding_list(db, op->arena, t->row.id, rows, 8, &n);
    if (!st)
        st = td_cat_onboarding_paid(db, t->row.id, &paid);
    if (!st)
        st = td_cat_credit_balance(db, op->arena, t->row.id, &balance, &updated);
    if (st == TD_E_NOTFOUND)
        st = TD_OK, balance = 0;
    if (st)
        return td_op_fail(op, st, 503, "catalog_unavailable", "the catalog does not answer");
    json_t *list = json_array();
    const char *next = NULL;
    for (int i = 0; i < NSTEPS; i++) {
        const char *name = steps[i].name;
        const td_onboarding_row_t *r = taken(rows, n, name);
        json_t *s = json_pack("{s:s, s:i, s:b, s:b}", "step", name, "n", i + 1, "required",
                              steps[i].required, "skippable", steps[i].skippable);
        if (!strcmp(name, "store")) {
            json_object_set_new(s, "status", json_string("done"));
            json_object_set_new(s, "store", json_pack("{s:s, s:s}", "slug", t->row.slug, "name",
                                                      t->row.name));
        } else if (!strcmp(name, "database"))
            database_step(op, db, t, r, s);
        else if (!strcmp(name, "credits")) {
            json_object_set_new(s, "status",
                                json_string(paid ? "done" : r ? r->status : "pending"));
            json_object_set_new(s, "credits", json_pack("{s:I}", "balance", (json_int_t)balance));
        } else {
            json_object_set_new(s, "status", json_string(r ? r->status : "pending"));
            if (r && !strcmp(r->status, "done"))
                json_object_set_new(s, name, detail_json(r));
        }
        if (r && r->updated_at)
            json_object_set_new(s, "updated_at", json_string(r->updated_at));
        const char *status = json_string_value(json_object_get(s, "status"));
        if (!next && strcmp(status, "done") && strcmp(status, "skipped"))
            next = name;
        json_array_append_new(list, s);
    }
    *out = json_pack("{s:{s:s, s:s, s:s}, s:b, s:s?, s:o}", "tenant", "id", t->row.id, "slug",
                     t->row.slug, "name", t->row.name, "complete", next == NULL, "next", next,
                     "steps", list);
    return *out ? TD_OK : td_op_fail(op, TD_E_NOMEM, 500, "internal", "out of memory");
}

td_status td_op_onboarding(td_op_t *op, json_t **out) {
    td_tenant_t t;
    *out = NULL;
    return own_tenant(op, &t) ? op->err.st : document(op, &t, out);
}

/* Records a step and audits it (onboarding.<step>); detail's reference
 * is taken. */
static td_status record(td_op_t *op, const td_tenant_t *t, const char *step, const char *status,
                        json_t *detail, const char *secret_enc) {
    td_db_t *db;
    char *text = detail ? json_dumps(detail, JSON_COMPACT) : NULL;
    json_decref(detail);
    td_onboarding_row_t r = {.tenant_id = t->row.id, .step = step, .status = status,
                             .detail = text, .secret_enc = secret_enc,
                             .updated_by = op->actor.id};
    td_status st = td_op_catalog(op, &db) ? op->err.st : td_cat_onboarding_put(db, &r);
    free(text);
    if (st && !op->err.st)
        td_op_fail(op, st, 503, "catalog_unavailable", "the step was not recorded");
    char action[40];
    snprintf(action, sizeof(action), "onboarding.%s", step);
    td_audit_record(op, t->row.id, NULL, action, "onboarding_steps", step, st ? "failed" : "ok",
                    status);
    return st;
}

td_status td_op_onboarding_store(td_op_t *op, const char *name, json_t **out) {
    td_tenant_t t, renamed;
    *out = NULL;
    if (own_tenant(op, &t) || td_op_refuse_impersonated(op, "renaming the tenant") ||
        td_tenant_rename(op, t.row.id, name, &renamed))
        return op->err.st;
    return document(op, &renamed, out);
}

/* A tenant being moved: when it is this step's move and its job failed
 * or was cancelled, the move is given up (the tenant stays where it was)
 * so the step can be taken again; any other move is 409
 * move_in_progress. */
static td_status forget_failed_move(td_op_t *op, td_op_t *sys, const td_tenant_t *t) {
    td_db_t *db;
    td_onboarding_row_t rows[8];
    size_t n = 0;
    td_job_row_t jr;
    if (td_op_catalog(op, &db))
        return op->err.st;
    const td_onboarding_row_t *r =
        td_cat_onboarding_list(db, op->arena, t->row.id, rows, 8, &n) ? NULL
                                                                        : taken(rows, n, "database");
    json_t *dj = r && !strcmp(r->status, "in_progress") ? detail_json(r) : NULL;
    const char *job = json_string_value(json_object_get(dj, "job"));
    int failed = job && !td_cat_job_get(db, op->arena, job, &jr) &&
                 (!strcmp(jr.state, "failed") || !strcmp(jr.state, "cancelled"));
    json_decref(dj);
    td_move_row_t m; /* and only a move to a database the tenant brought */
    if (failed && (td_cat_move_get(db, op->arena, t->row.id, &m) || m.server_id ||
                   !m.secret_enc || strcmp(m.backend, "postgres") || strcmp(m.state, "copying")))
        failed = 0;
    if (!failed)
        return td_op_fail(op, TD_E_STATE, 409, "move_in_progress",
                          "the tenant's data is being moved: see GET /v1/onboarding");
    td_move_report_t rep;
    td_status st = td_tenant_move_abort(sys, t->row.id, &rep);
    td_move_report_clear(&rep);
    if (st)
        op->err = sys->err;
    return st;
}

td_status td_op_onboarding_database(td_op_t *op, const char *kind, const char *url,
                                    td_job_row_t *job, json_t **out) {
    td_tenant_t t;
    td_db_t *db;
    td_tenant_db_row_t d;
    *out = NULL;
    memset(job, 0, sizeof(*job));
    if (own_tenant(op, &t) || whole_admin(op, "choose where the tenant's data lives") ||
        td_op_catalog(op, &db))
        return op->err.st;
    if (td_cat_tenant_db(db, op->arena, t.row.id, &d))
        return td_op_fail(op, TD_E_UNAVAILABLE, 503, "catalog_unavailable",
                          "the catalog does not answer");
    if (d.secret_enc && !d.server_id && !strcmp(d.backend, "postgres"))
        return td_op_fail(op, TD_E_STATE, 409, "database_already_brought",
                          "the tenant's data is on a database you brought: moving it again is an"
                          " operator's tenant move");
    td_op_t sys = *op; /* the server, on the admin's behalf (created_by names the admin) */
    sys.actor = (td_actor_t){.kind = TD_ACTOR_SYSTEM, .id = op->actor.id};
    if (td_tenant_moving(op->platform, op->arena, t.row.id) && forget_failed_move(op, &sys, &t))
        return op->err.st;
    if (kind && !strcmp(kind, "embedded"))
        return record(op, &t, "database", "done", json_pack("{s:s}", "kind", "embedded"), NULL)
                   ? op->err.st
                   : document(op, &t, out);
    if (!op->platform->cfg->bring_database)
        return td_op_fail(op, TD_E_FORBIDDEN, 403, "bring_database_disabled",
                          "this platform keeps tenants' data on its own databases");
    td_move_report_t r;
    if (td_tenant_move_bring(op, t.row.id, url, &r))
        return op->err.st;
    td_move_report_clear(&r);
    /* The server queues the move on the admin's behalf (the queue is the
     * platform's; created_by names the admin). The move is recorded with
     * its sealed target: the job names only the tenant. Not queued: the
     * move is forgotten again, nothing is left half done. */
    if (td_jobs_enqueue_json(&sys, "tenant.move", t.row.id,
                             json_pack("{s:s}", "tenant_id", t.row.id), 0, job)) {
        op->err = sys.err;
        sys.err = (td_op_err_t){0};
        td_tenant_move_abort(&sys, t.row.id, &r);
        td_move_report_clear(&r);
        return op->err.st;
    }
    if (record(op, &t, "database", "in_progress",
               json_pack("{s:s, s:s}", "kind", "postgres", "job", job->id), NULL))
        return op->err.st;
    return document(op, &t, out);
}

/* A key's last four characters, for people to recognise it by (none of a
 * key under 16: four would be too much of it). */
static const char *hint(td_arena_t *a, const char *key) {
    size_t n = strlen(key);
    return td_arena_printf(a, "…%s", n >= 16 ? key + n - 4 : "");
}

/* A provider's name: 1 to 40 of a-z, 0-9, '-' and '_'. */
static int provider_ok(const char *s) {
    size_t n = s ? strlen(s) : 0;
    return n >= 1 && n <= 40 && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-_") == n;
}

static int printable(const char *s, size_t lo, size_t hi) {
    size_t n = s ? strlen(s) : 0;
    return s && n >= lo && n <= hi && td_text_printable_utf8(s);
}

td_status td_op_onboarding_payments(td_op_t *op, const td_onboarding_keys_t *k, json_t **out) {
    td_tenant_t t;
    *out = NULL;
    if (own_tenant(op, &t) || whole_admin(op, "set the tenant's payment keys"))
        return op->err.st;
    int ok = provider_ok(k->provider) && printable(k->secret_key, 8, 256) &&
             (!k->public_key || printable(k->public_key, 1, 256)) &&
             (!k->webhook_secret || printable(k->webhook_secret, 16, 256));
    if (!ok)
        return td_op_fail(op, TD_E_INVALID, 400, "invalid_request",
                          "'provider' is 1 to 40 of a-z, 0-9, '-', '_'; 'secret_key' 8 to 256"
                          " printable characters; 'public_key' up to 256; 'webhook_secret' 16"
                          " to 256");
    json_t *secret = json_pack("{s:s, s:s?}", "secret_key", k->secret_key, "webhook_secret",
                               k->webhook_secret);
    char *text = secret ? json_dumps(secret, JSON_COMPACT) : NULL;
    json_decref(secret);
    td_key_t tk;
    char *sealed = NULL;
    td_status st = !text                ? TD_E_NOMEM
                   : !t.row.wrapped_key ? TD_E_CRYPTO
                                        : td_platform_unwrap(op->platform, op->arena, t.row.id,
                                                             t.row.wrapped_key, &tk);
    if (!st)
        st = td_seal(op->arena, &tk, t.row.id, PURPOSE_PAYMENT_KEYS, text, strlen(text), &sealed);
    sodium_memzero(&tk, sizeof(tk));
    if (text) {
        sodium_memzero(text, strlen(text));
        free(text);
    }
    if (st)
        return td_op_fail(op, st, 500, "internal", "the keys could not be sealed");
    json_t *shown = json_pack("{s:s, s:s?, s:s, s:b}", "provider", k->provider, "public_key",
                              k->public_key, "secret_key_hint", hint(op->arena, k->secret_key),
                              "webhook_secret", k->webhook_secret != NULL);
    if (record(op, &t, "payments", "done", shown, sealed))
        return op->err.st;
    return document(op, &t, out);
}

/* A phone number as people write one: 5 to 32 characters of digits,
 * spaces, '+', '-', '(' and ')', with at least 5 digits. */
static int phone_ok(const char *s) {
    size_t n = s ? strlen(s) : 0, digits = 0;
    if (n < 5 || n > 32)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] >= '0' && s[i] <= '9')
            digits++;
        else if (!strchr(" +-()", s[i]))
            return 0;
    }
    return digits >= 5;
}

/* The avatar must be a stored image among the tenant's cms media. */
static td_status avatar_ok(td_op_t *op, const td_tenant_t *t, const char *id) {
    int cms = 0;
    for (size_t i = 0; i < t->nsvc; i++)
        cms |= !strcmp(t->services[i], "cms");
    if (!cms)
        return td_op_fail(op, TD_E_INVALID, 400, "invalid_avatar",
                          "the cms service is not enabled: the avatar is a cms media row");
    td_res_ctx_t c;
    td_res_err_t e = {0};
    json_t *row = NULL;
    if (td_op_res_open(op, t, "cms", TD_SCOPE_TENANT, &c))
        return op->err.st;
    td_status st = td_res_get(&c, td_service_resource("cms", "media"), id, &row, &e);
    json_decref(e.errors);
    const char *type = json_string_value(json_object_get(row, "content_type"));
    const char *status = json_string_value(json_object_get(row, "status"));
    int ok = !st && type && !strncmp(type, "image/", 6) && status && !strcmp(status, "stored");
    json_decref(row);
    if (st == TD_E_NOTFOUND || (!st && !ok))
        return td_op_fail(op, TD_E_INVALID, 400, "invalid_avatar",
                          "'avatar' is the id of a cms media row whose image was uploaded");
    return st ? td_op_fail(op, st, 503, "tenant_unavailable",
                           "the tenant's database does not answer")
              : TD_OK;
}

td_status td_op_onboarding_profile(td_op_t *op, const char *company, const char *phone,
                                   const char *avatar, json_t **out) {
    td_tenant_t t;
    *out = NULL;
    if (own_tenant(op, &t) || td_op_refuse_impersonated(op, "completing the profile"))
        return op->err.st;
    if (!printable(company, 1, 200) || !phone_ok(phone))
        return td_op_fail(op, TD_E_INVALID, 400, "invalid_request",
                          "'company' is 1 to 200 printable characters; 'phone' 5 to 32 digits,"
                          " spaces, '+', '-', '(', ')'");
    if (avatar && avatar_ok(op, &t, avatar))
        return op->err.st;
    if (record(op, &t, "profile", "done",
               json_pack("{s:s, s:s, s:s?}", "company", company, "phone", phone, "avatar",
                         avatar),
               NULL))
        return op->err.st;
    return document(op, &t, out);
}

td_status td_op_onboarding_skip(td_op_t *op, const char *step, json_t **out) {
    td_tenant_t t;
    td_db_t *db;
    td_onboarding_row_t rows[8];
    size_t n = 0;
    int known = -1;
    *out = NULL;
    for (int i = 0; step && i < NSTEPS; i++)
        if (!strcmp(steps[i].name, step))
            known = i;
    if (own_tenant(op, &t) || td_op_refuse_impersonated(op, "skipping a step"))
        return op->err.st;
    if (known < 0)
        return td_op_fail(op, TD_E_NOTFOUND, 404, "step_not_found",
                          "the steps are store, database, payments, credits, profile");
    if (!steps[known].skippable)
        return td_op_fail(op, TD_E_STATE, 409, "step_not_skippable",
                          "the %s step is required", step);
    if (td_op_catalog(op, &db))
        return op->err.st;
    if (td_cat_onboarding_list(db, op->arena, t.row.id, rows, 8, &n))
        return td_op_fail(op, TD_E_UNAVAILABLE, 503, "catalog_unavailable",
                          "the catalog does not answer");
    const td_onboarding_row_t *r = taken(rows, n, step);
    if (!(r && !strcmp(r->status, "done")) && record(op, &t, step, "skipped", NULL, NULL))
        return op->err.st;
    return document(op, &t, out);
}
