/* accounts.h — the request path's account checks against the catalog,
 * so that HTTP handlers never read catalog tables themselves: an API
 * key's authentication, a superadmin's login, refresh, token check,
 * password change and "end everything". Those taking a catalog connection
 * (cat) run on the one their caller holds; the two the request's
 * authentication calls before any operation exists (td_apikey_claims,
 * td_admin_current) take the platform and lease it themselves. */
#ifndef TD_ACCOUNTS_H
#define TD_ACCOUNTS_H

#include <jansson.h>
#include <stdint.h>

#include "auth/apikey.h"
#include "catalog/catalog.h"
#include "ops/op.h"

/* The live key of `key` (as sent: "tdk_…"): its hash matches, it is not
 * revoked and not expired; its last use is recorded. TD_E_AUTH for any
 * other key; a catalog failure as its status. *out in a. */
td_status td_apikey_authenticate(td_db_t *cat, td_arena_t *a, const char *key,
                                 td_apikey_row_t *out);

/* An API key's request: td_apikey_authenticate on the catalog (leased
 * for a's lifetime), and the claims the request carries (new reference in
 * *claims): sub and jti the key's id, role, tid, svc or svc_all,
 * read_only, api_key, key_exp (its end, or null). TD_E_AUTH for a key
 * that does not authenticate; a catalog failure as its status. */
td_status td_apikey_claims(td_platform_t *p, td_arena_t *a, const char *key, json_t **claims);

/* Verifies pw against hash, or — hash NULL, no such account — against a
 * dummy hash of the same cost, so an unknown account takes as long as a
 * wrong password. 1 only for a real hash that matches. */
int td_password_matches(const char *hash, const char *pw);

/* A superadmin's login: the enabled admin of that email whose password
 * matches (a hash with parameters below today's is replaced). TD_E_AUTH
 * otherwise, costing the same whatever the reason. */
td_status td_admin_login(td_db_t *cat, td_arena_t *a, const char *email, const char *pw,
                         td_admin_row_t *out);
/* The enabled superadmin of that id (refresh); TD_E_AUTH when gone or
 * disabled. */
td_status td_admin_active(td_db_t *cat, td_arena_t *a, const char *id, td_admin_row_t *out);
/* 1 when the superadmin id still exists, is enabled, and gen is of its
 * current generation; 0 when not; -1 when the catalog does not answer.
 * Leases the catalog for a's lifetime (the request path's own check). */
int td_admin_current(td_platform_t *p, td_arena_t *a, const char *id, int64_t gen);
/* Ends every session of superadmin id and raises its generation (*gen). */
td_status td_admin_end_all(td_db_t *cat, td_arena_t *a, const char *id, int64_t *gen);
/* Changes the acting superadmin's (op->actor.id) password after checking
 * the current one (TD_E_AUTH when it does not match); *gen as
 * td_admin_end_all. Audited (admin.password). */
td_status td_admin_set_password(td_op_t *op, td_db_t *cat, const char *current, const char *next,
                                int64_t *gen);

#endif
