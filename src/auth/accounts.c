/* accounts.c — the catalog side of authentication (accounts.h): API keys
 * and superadmins, as the request path checks them. */
#include <pthread.h>
#include <sodium.h>
#include <string.h>

#include "audit/audit.h"
#include "auth/accounts.h"
#include "auth/password.h"
#include "auth/users.h"
#include "common/timeutil.h"

static char g_dummy_hash[TD_PASSWORD_HASH_MAX];
static pthread_once_t g_dummy_once = PTHREAD_ONCE_INIT;

static void make_dummy(void) {
    char pw[33];
    td_password_generate(pw, sizeof(pw));
    td_password_hash(pw, g_dummy_hash);
}

int td_password_matches(const char *hash, const char *pw) {
    pthread_once(&g_dummy_once, make_dummy);
    int ok = td_password_verify(hash ? hash : g_dummy_hash, pw) == TD_OK;
    return ok && hash;
}

td_status td_apikey_authenticate(td_db_t *cat, td_arena_t *a, const char *key,
                                 td_apikey_row_t *out) {
    char id[TD_ID_LEN + 1], hash[TD_HASH_HEX], now[32];
    td_time_iso(td_now_ms(), now, sizeof(now));
    if (!td_apikey_parse(key, id))
        return TD_E_AUTH;
    td_status st = td_cat_apikey_get(cat, a, id, out);
    if (st)
        return st == TD_E_NOTFOUND ? TD_E_AUTH : st;
    td_apikey_hash(key, hash);
    if (sodium_memcmp(hash, out->key_hash, TD_HASH_HEX - 1) != 0 || out->revoked_at ||
        (out->expires_at && strcmp(out->expires_at, now) <= 0))
        return TD_E_AUTH;
    td_cat_apikey_touch(cat, out->id);
    return TD_OK;
}

/* The claims of a key's request (td_apikey_claims): sub and jti the key's
 * id (rows it writes are owned by the key); exp bounds the claims' life
 * in the request only, key_exp is the key's own end (null: never); svc
 * the key's services, or svc_all for a key of every service. */
static json_t *key_claims(const td_apikey_row_t *k) {
    json_error_t e;
    json_t *svc = k->services ? json_loads(k->services, 0, &e) : NULL;
    int64_t until = 0;
    if (k->expires_at && td_time_parse(k->expires_at, &until))
        until = 0;
    json_t *c = json_pack("{s:s, s:s, s:s, s:I, s:I, s:b, s:b, s:o}", "sub", k->id, "role",
                          k->role, "jti", k->id, "iat", (json_int_t)0, "exp",
                          (json_int_t)(td_now_ms() / 1000 + 60), "api_key", 1, "read_only",
                          k->read_only, "key_exp",
                          k->expires_at ? json_integer((json_int_t)(until / 1000)) : json_null());
    json_object_set_new(c, "svc", json_is_array(svc) ? svc : json_array());
    if (!json_is_array(svc)) {
        json_decref(svc);
        json_object_set_new(c, "svc_all", json_true());
    }
    if (k->tenant_id)
        json_object_set_new(c, "tid", json_string(k->tenant_id));
    if (k->rate_limit_rpm > 0) /* the key's own limit (api/access.c) */
        json_object_set_new(c, "rpm", json_integer(k->rate_limit_rpm));
    return c;
}

td_status td_apikey_claims(td_platform_t *p, td_arena_t *a, const char *key, json_t **claims) {
    td_apikey_row_t k;
    td_db_t *cat;
    *claims = NULL;
    td_status st = td_catalog_lease(p->catalog, NULL, &cat); /* given back at once */
    if (st)
        return st;
    st = td_apikey_authenticate(cat, a, key, &k);
    td_catalog_release(p->catalog, cat);
    if (!st && !(*claims = key_claims(&k)))
        st = TD_E_NOMEM;
    return st;
}

td_status td_admin_login(td_db_t *cat, td_arena_t *a, const char *email, const char *pw,
                         td_admin_row_t *out) {
    memset(out, 0, sizeof(*out));
    td_status st = td_cat_admin_find(cat, a, email, 0, out);
    if (st && st != TD_E_NOTFOUND)
        return st;
    if (!td_password_matches(st ? NULL : out->password_hash, pw) || out->disabled)
        return TD_E_AUTH;
    char hash[TD_PASSWORD_HASH_MAX];
    if (td_password_needs_rehash(out->password_hash) && td_password_hash(pw, hash) == TD_OK)
        td_cat_admin_set_password(cat, out->id, hash, 0); /* parameters rose since */
    return TD_OK;
}

td_status td_admin_active(td_db_t *cat, td_arena_t *a, const char *id, td_admin_row_t *out) {
    td_status st = td_cat_admin_find(cat, a, id, 1, out);
    return st || out->disabled ? TD_E_AUTH : TD_OK;
}

int td_admin_current(td_platform_t *p, td_arena_t *a, const char *id, int64_t gen) {
    td_admin_row_t adm;
    td_db_t *cat;
    if (td_catalog_lease(p->catalog, NULL, &cat)) /* given back at once */
        return -1;
    td_status st = td_cat_admin_find(cat, a, id, 1, &adm);
    td_catalog_release(p->catalog, cat);
    if (st && st != TD_E_NOTFOUND)
        return -1;
    return !st && !adm.disabled && gen >= adm.gen;
}

td_status td_admin_end_all(td_db_t *cat, td_arena_t *a, const char *id, int64_t *gen) {
    td_admin_row_t adm;
    td_status st = td_cat_admin_find(cat, a, id, 1, &adm);
    return st ? st : td_admin_end_sessions(cat, &adm, gen);
}

td_status td_admin_set_password(td_op_t *op, td_db_t *cat, const char *current, const char *next,
                                int64_t *gen) {
    td_admin_row_t adm;
    const char *id = op->actor.id;
    td_status st = id ? td_cat_admin_find(cat, op->arena, id, 1, &adm) : TD_E_AUTH;
    if (!st && !td_password_matches(adm.password_hash, current))
        st = TD_E_AUTH;
    if (!st)
        st = td_admin_change_password(cat, &adm, next, gen);
    return st ? st
              : td_audit_record(op, NULL, NULL, "admin.password", "platform_admins", id, "ok",
                                NULL);
}
