/* users.c — auth.users, auth.user_services and the session tables.
 *
 * A user's updated_at is its generation: every write raises it (to now,
 * or one millisecond past its previous value when the clock has not moved
 * on), tokens carry it as `gen`, and a change that must end the user's
 * tokens revokes those below the new value — so a token issued after the
 * change lives, however close in time. */
#include "auth/users.h"

#include <stdio.h>
#include <string.h>

#include "auth/password.h"
#include "common/text.h"
#include "common/timeutil.h"
#include "services/engine.h"

static td_status grants(td_db_t *db, td_arena_t *a, td_user_t *u) {
    td_stmt_t *st = NULL;
    td_status rc = td_db_prepare(
        db, "SELECT service FROM auth.user_services WHERE user_id = ? ORDER BY service", &st);
    if (!rc)
        rc = td_db_bind_text(st, 1, u->id);
    u->services = td_arena_alloc(a, sizeof(char *) * 32);
    u->nsvc = 0;
    int r = 0;
    while (!rc && u->services && u->nsvc < 32 && (r = td_db_step(st)) == TD_DB_ROW)
        u->services[u->nsvc++] = td_db_column_dup(st, a, 0);
    if (!rc && r < 0)
        rc = (td_status)r;
    td_db_finalize(st);
    return u->services ? rc : TD_E_NOMEM;
}

static int64_t gen_of(const char *updated_at) {
    int64_t ms = 0;
    return updated_at && td_time_parse(updated_at, &ms) == 0 ? ms : 0;
}

td_status td_user_find(td_db_t *db, td_arena_t *a, const char *key, int by_email, td_user_t *out) {
    td_stmt_t *st;
    char low[256]; /* emails are stored lower-cased (ASCII: the addresses we accept) */
    if (by_email && td_ascii_lower(key, low, sizeof(low)))
        return TD_E_NOTFOUND;
    if (by_email)
        key = low;
    td_status rc = td_db_query_row(db,
                                   by_email ? "SELECT id, email, role, name, password_hash, disabled,"
                                              " last_login_at, created_at, updated_at FROM"
                                              " auth.users WHERE email = ?"
                                            : "SELECT id, email, role, name, password_hash, disabled,"
                                              " last_login_at, created_at, updated_at FROM"
                                              " auth.users WHERE id = ?",
                                   key, &st);
    if (rc)
        return rc;
    memset(out, 0, sizeof(*out));
    const char **f[] = {&out->id, &out->email, &out->role, &out->name, &out->password_hash};
    for (int i = 0; i < 5; i++)
        *f[i] = td_db_column_dup(st, a, i);
    out->disabled = (int)td_db_column_int64(st, 5);
    out->last_login_at = td_db_column_dup(st, a, 6);
    out->created_at = td_db_column_dup(st, a, 7);
    out->updated_at = td_db_column_dup(st, a, 8);
    out->gen = gen_of(out->updated_at);
    td_db_finalize(st);
    return grants(db, a, out);
}

td_status td_user_ids(td_db_t *db, td_arena_t *a, size_t max, const char ***ids, size_t *n) {
    td_stmt_t *st = NULL;
    td_status rc = td_db_prepare(db, "SELECT id FROM auth.users ORDER BY id LIMIT ?", &st);
    if (!rc)
        rc = td_db_bind_int64(st, 1, (int64_t)max);
    const char **v = td_arena_alloc(a, sizeof(char *) * (max + 1));
    size_t k = 0;
    int r = 0;
    while (!rc && v && k < max && (r = td_db_step(st)) == TD_DB_ROW)
        v[k++] = td_db_column_dup(st, a, 0);
    if (!rc && r < 0)
        rc = (td_status)r;
    td_db_finalize(st);
    *ids = v;
    *n = k;
    return v ? rc : TD_E_NOMEM;
}

static td_status set_grants(td_db_t *db, const char *id, const char *const *svc, size_t n) {
    td_status rc = td_db_execv(db, NULL, "DELETE FROM auth.user_services WHERE user_id = ?", id,
                               NULL);
    for (size_t i = 0; !rc && i < n; i++)
        rc = td_db_execv(db, NULL,
                         "INSERT INTO auth.user_services (user_id, service) VALUES (?, ?)"
                         " ON CONFLICT (user_id, service) DO NOTHING",
                         id, svc[i], NULL);
    return rc;
}

/* The outbox row of a write to auth.users. */
static td_status audit(td_db_t *db, const td_who_t *who, const char *action, const char *id,
                       int64_t rows) {
    td_outbox_who_t w = {0};
    if (who)
        w = (td_outbox_who_t){who->actor_kind,  who->actor,        who->request_id,
                              who->client_addr, who->impersonator, who->impersonation};
    return td_outbox_add(db, "auth", &w, action, "users", id, rows, 0);
}

td_who_t td_who_of(const td_op_t *op) {
    return (td_who_t){op->actor.id,     op->request_id,         td_actor_kind_name(op->actor.kind),
                      op->client_addr, op->actor.impersonator, op->actor.impersonation};
}

/* TD_E_FORBIDDEN when the tenant has max users, counted in the caller's
 * write transaction (PostgreSQL: user creations wait for each other on an
 * advisory lock), so concurrent creations never pass the plan's figure. */
/* Room for one more user under the plan's cap, counted in the caller's
 * transaction (on PostgreSQL under a lock, so concurrent additions take
 * turns). A full tenant answers for an email it has already as the insert
 * would (TD_E_EXISTS, or nothing to do when if_absent): a duplicate is a
 * conflict whatever the count. */
static td_status seat_free(td_db_t *db, int64_t max, const char *email, int if_absent) {
    td_stmt_t *st = NULL;
    td_status rc = TD_OK;
    if (!strcmp(td_db_dialect(db), "postgres"))
        rc = td_db_exec(db, "SELECT pg_advisory_xact_lock(hashtext('seats:auth.users'))");
    if (!rc)
        rc = td_db_prepare(db, "SELECT COUNT(*), COUNT(*) FILTER (WHERE email = ?) FROM auth.users",
                           &st);
    if (!rc)
        rc = td_db_bind_text(st, 1, email);
    int row = !rc && td_db_step(st) == TD_DB_ROW;
    int64_t n = row ? td_db_column_int64(st, 0) : -1, same = row ? td_db_column_int64(st, 1) : 0;
    td_db_finalize(st);
    if (rc || n < 0)
        return rc ? rc : TD_E_DB;
    if (same)
        return if_absent ? TD_OK : TD_E_EXISTS;
    return n >= max ? TD_E_FORBIDDEN : TD_OK;
}

td_status td_user_create(td_db_t *db, const td_user_spec_t *s, char id[TD_ID_LEN + 1],
                         const td_who_t *who) {
    char hash[TD_PASSWORD_HASH_MAX], now[32], email[256];
    if (td_ascii_lower(s->email, email, sizeof(email)))
        return TD_E_INVALID;
    td_status rc = TD_OK;
    if (s->password_hash && strlen(s->password_hash) < sizeof(hash))
        memcpy(hash, s->password_hash, strlen(s->password_hash) + 1);
    else
        rc = s->password ? td_password_hash(s->password, hash) : TD_E_INVALID;
    if (rc)
        return rc;
    td_id_new(id);
    td_time_iso(td_now_ms(), now, sizeof(now));
    rc = td_db_begin(db, TD_DB_WRITE);
    td_stmt_t *st = NULL;
    if (!rc && s->limit_users)
        rc = seat_free(db, s->max_users, email, s->if_absent);
    if (!rc)
        rc = td_db_prepare(db,
                           s->if_absent
                               ? "INSERT INTO auth.users (id, email, password_hash, role, name,"
                                 " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
                                 " ON CONFLICT (email) DO NOTHING"
                               : "INSERT INTO auth.users (id, email, password_hash, role, name,"
                                 " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           &st);
    const char *vals[] = {id, email, hash, s->role, s->name, now, now};
    for (int i = 0; !rc && i < 7; i++)
        rc = td_db_bind_text(st, i + 1, vals[i]);
    if (!rc)
        rc = td_db_drain(st);
    int added = !rc && td_db_changes(st) > 0; /* if_absent: a retry finds it there */
    td_db_finalize(st);
    if (!rc && added)
        rc = set_grants(db, id, s->services, s->nsvc);
    if (!rc && added)
        rc = audit(db, who, "create", id, 1);
    if (!rc)
        rc = td_db_commit(db);
    if (rc)
        td_db_rollback(db);
    sodium_memzero(hash, sizeof(hash));
    return rc;
}

/* Raises the user's generation (updated_at) inside the caller's
 * transaction: to now, or past the previous value. TD_E_NOTFOUND when
 * there is no such user. */
static td_status next_gen(td_db_t *db, const char *id, int64_t *gen) {
    td_stmt_t *st;
    td_status rc = td_db_query_row(db, "SELECT updated_at FROM auth.users WHERE id = ?", id, &st);
    if (rc)
        return rc;
    int64_t prev = gen_of(td_db_column_text(st, 0)), now = td_now_ms();
    td_db_finalize(st);
    *gen = now > prev ? now : prev + 1;
    char at[32];
    td_time_iso(*gen, at, sizeof(at));
    return td_db_execv(db, NULL, "UPDATE auth.users SET updated_at = ? WHERE id = ?", at, id, NULL);
}

/* TD_E_LAST_ADMIN when the user is an active admin and no other active
 * admin exists. Locks the admin rows, so two transactions cannot each
 * take away one of the last two. */
static td_status keeps_an_admin(td_db_t *db, const char *id) {
    char sql[160];
    snprintf(sql, sizeof(sql),
             "SELECT id FROM auth.users WHERE role = 'admin' AND disabled = 0 ORDER BY id%s",
             td_db_for_update(db));
    td_stmt_t *st = NULL;
    td_status rc = td_db_prepare(db, sql, &st);
    int r = 0, self = 0, others = 0;
    while (!rc && (r = td_db_step(st)) == TD_DB_ROW) {
        if (strcmp(td_db_column_text(st, 0), id) == 0)
            self = 1;
        else
            others++;
    }
    if (!rc && r < 0)
        rc = (td_status)r;
    td_db_finalize(st);
    return rc ? rc : self && !others ? TD_E_LAST_ADMIN : TD_OK;
}

static int ends_sessions(const td_user_patch_t *p) {
    return p->role || p->set_services || (p->set_disabled && p->disabled) ||
           ((p->password || p->password_hash) && !p->rehash);
}

td_status td_user_update(td_db_t *db, const char *id, const td_user_patch_t *p,
                         const td_who_t *who, int64_t *gen) {
    char hash[TD_PASSWORD_HASH_MAX];
    int64_t g = 0;
    td_status rc = p->password ? td_password_hash(p->password, hash) : TD_OK;
    if (!rc)
        rc = td_db_begin(db, TD_DB_WRITE);
    if (!rc && ((p->role && strcmp(p->role, "admin")) || (p->set_disabled && p->disabled)))
        rc = keeps_an_admin(db, id);
    if (!rc)
        rc = next_gen(db, id, &g);
    if (!rc && p->role)
        rc = td_db_execv(db, NULL, "UPDATE auth.users SET role = ? WHERE id = ?", p->role, id, NULL);
    if (!rc && p->name)
        rc = td_db_execv(db, NULL, "UPDATE auth.users SET name = ? WHERE id = ?", p->name, id, NULL);
    if (!rc && p->set_disabled)
        rc = td_db_execv(db, NULL, "UPDATE auth.users SET disabled = ? WHERE id = ?",
                         p->disabled ? "1" : "0", id, NULL);
    if (!rc && (p->password || p->password_hash))
        rc = td_db_execv(db, NULL, "UPDATE auth.users SET password_hash = ? WHERE id = ?",
                         p->password ? hash : p->password_hash, id, NULL);
    if (!rc && p->set_services)
        rc = set_grants(db, id, p->services, p->nsvc);
    td_sessions_t ss = {db, 0, NULL};
    if (!rc && ends_sessions(p))
        rc = td_session_end_all(&ss, id);
    if (!rc)
        rc = audit(db, who, "update", id, 0);
    if (!rc)
        rc = td_db_commit(db);
    if (rc)
        td_db_rollback(db);
    sodium_memzero(hash, sizeof(hash));
    if (gen)
        *gen = !rc && ends_sessions(p) ? g : 0;
    return rc;
}

td_status td_user_delete(td_db_t *db, const char *id, const td_who_t *who, int64_t *gen) {
    int64_t n = 0, g = 0;
    td_status rc = td_db_begin(db, TD_DB_WRITE);
    if (!rc)
        rc = keeps_an_admin(db, id);
    if (!rc)
        rc = next_gen(db, id, &g); /* tokens below it end: every one issued */
    if (!rc)
        rc = td_db_execv(db, &n, "DELETE FROM auth.users WHERE id = ?", id, NULL);
    if (!rc && !n)
        rc = TD_E_NOTFOUND;
    if (!rc)
        rc = audit(db, who, "delete", id, -1);
    if (!rc)
        rc = td_db_commit(db);
    if (rc)
        td_db_rollback(db);
    if (gen)
        *gen = rc ? 0 : g;
    return rc;
}

td_status td_user_end_sessions(td_db_t *db, const char *id, int64_t *gen) {
    td_sessions_t ss = {db, 0, NULL};
    td_status rc = td_db_begin(db, TD_DB_WRITE);
    if (!rc)
        rc = next_gen(db, id, gen);
    if (!rc)
        rc = td_session_end_all(&ss, id);
    if (!rc)
        rc = td_db_commit(db);
    if (rc)
        td_db_rollback(db);
    return rc;
}

json_t *td_user_json(const td_user_t *u) {
    json_t *svc = json_array();
    for (size_t i = 0; i < u->nsvc; i++)
        json_array_append_new(svc, json_string(u->services[i]));
    json_t *o = json_pack("{s:s, s:s, s:s, s:o}", "id", u->id, "email", u->email, "role", u->role,
                          "services", svc);
    const char *opt[][2] = {{"name", u->name},
                            {"last_login_at", u->last_login_at},
                            {"created_at", u->created_at},
                            {"updated_at", u->updated_at}};
    for (size_t i = 0; i < 4; i++)
        json_object_set_new(o, opt[i][0], opt[i][1] ? json_string(opt[i][1]) : json_null());
    json_object_set_new(o, "disabled", json_boolean(u->disabled));
    return o;
}

int td_user_unscoped(const td_user_t *u) {
    return strcmp(u->role, "admin") == 0 && u->nsvc == 0;
}

void td_user_effective_services(const td_user_t *u, const char *const *tenant_svcs, size_t nt,
                                td_arena_t *a, const char ***out, size_t *n) {
    const char **v = td_arena_alloc(a, sizeof(char *) * (nt + 1));
    size_t k = 0;
    int all = td_user_unscoped(u);
    for (size_t i = 0; v && i < nt; i++) {
        int granted = all;
        for (size_t j = 0; !granted && j < u->nsvc; j++)
            granted = strcmp(u->services[j], tenant_svcs[i]) == 0;
        if (granted)
            v[k++] = tenant_svcs[i];
    }
    *out = v;
    *n = k;
}

td_status td_user_event(td_db_t *db, const char *user_id, const char *kind,
                        const char *client_addr, const char *detail) {
    char id[TD_ID_LEN + 1], now[32];
    td_id_new(id);
    td_time_iso(td_now_ms(), now, sizeof(now));
    return td_db_execv(db, NULL,
                       "INSERT INTO auth.events (id, user_id, kind, client_addr, detail, created_at,"
                       " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       id, user_id ? user_id : "", kind, client_addr ? client_addr : "",
                       detail ? detail : "", now, now, NULL);
}

td_status td_user_logged_in(td_db_t *db, const char *user_id, const char *client_addr) {
    char now[32];
    td_time_iso(td_now_ms(), now, sizeof(now));
    td_status st = td_db_execv(db, NULL, "UPDATE auth.users SET last_login_at = ? WHERE id = ?",
                               now, user_id, NULL);
    return st ? st : td_user_event(db, user_id, "login", client_addr, NULL);
}

/* ---- sessions ---- */

static const char *s_table(const td_sessions_t *s) {
    return s->platform == TD_SESSIONS_ACCOUNT ? "account_sessions"
           : s->platform                      ? "platform_sessions"
                                              : "auth.sessions";
}
static const char *s_owner(const td_sessions_t *s) {
    return s->platform == TD_SESSIONS_ACCOUNT ? "owner_id" : s->platform ? "admin_id" : "user_id";
}

td_status td_session_start(const td_sessions_t *s, const char *owner, const char *family,
                           const char *client_addr, char refresh[TD_REFRESH_LEN + 1],
                           char sid[TD_ID_LEN + 1]) {
    char hash[TD_HASH_HEX], id[TD_ID_LEN + 1], exp[32], now[32];
    td_refresh_new(s->scope, refresh, hash);
    td_id_new(id);
    snprintf(sid, TD_ID_LEN + 1, "%s", family ? family : id);
    td_time_iso(td_now_ms(), now, sizeof(now));
    td_time_iso(td_now_ms() + (int64_t)TD_REFRESH_TTL * 1000, exp, sizeof(exp));
    char sql[160];
    snprintf(sql, sizeof(sql),
             "INSERT INTO %s (id, %s, family_id, refresh_hash, expires_at, created_at)"
             " VALUES (?, ?, ?, ?, ?, ?)",
             s_table(s), s_owner(s));
    if (s->platform)
        return td_db_execv(s->db, NULL, sql, id, owner, sid, hash, exp, now, NULL);
    return td_db_execv(s->db, NULL,
                       "INSERT INTO auth.sessions (id, user_id, family_id, refresh_hash, expires_at,"
                       " client_addr, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       id, owner, sid, hash, exp, client_addr, now, now, NULL);
}

/* Ends sessions: they expire now (a later refresh finds nothing it may
 * use: 401 invalid_grant), and are marked revoked. A spent (rotated)
 * token keeps its expiry, which is how a reuse is told from a logout. */
static td_status end_where(const td_sessions_t *s, const char *col, const char *val,
                           const char *owner) {
    char now[32], sql[256];
    td_time_iso(td_now_ms(), now, sizeof(now));
    snprintf(sql, sizeof(sql),
             "UPDATE %s SET expires_at = ?, revoked_at = COALESCE(revoked_at, ?)"
             " WHERE %s = ? AND %s = ? AND expires_at > ?",
             s_table(s), col, s_owner(s));
    return td_db_execv(s->db, NULL, sql, now, now, val, owner, now, NULL);
}

td_status td_session_end(const td_sessions_t *s, const char *owner, const char *family) {
    return end_where(s, "family_id", family, owner);
}

td_status td_session_end_all(const td_sessions_t *s, const char *owner) {
    return end_where(s, s_owner(s), owner, owner);
}

td_status td_session_rotate(const td_sessions_t *s, td_arena_t *a, const char *token,
                            const char *client_addr, const char **owner, const char **family,
                            char refresh[TD_REFRESH_LEN + 1]) {
    char hash[TD_HASH_HEX], now[32], sql[256], sid[TD_ID_LEN + 1];
    td_refresh_hash(token, hash);
    td_time_iso(td_now_ms(), now, sizeof(now));
    snprintf(sql, sizeof(sql),
             "SELECT id, %s, family_id, expires_at, revoked_at FROM %s WHERE refresh_hash = ?",
             s_owner(s), s_table(s));
    td_stmt_t *st = NULL;
    const char *id = NULL, *fam = NULL, *exp = NULL;
    int used = 0;
    if (td_db_prepare(s->db, sql, &st) == TD_OK && td_db_bind_text(st, 1, hash) == TD_OK &&
        td_db_step(st) == TD_DB_ROW) {
        id = td_db_column_dup(st, a, 0);
        *owner = td_db_column_dup(st, a, 1);
        fam = td_db_column_dup(st, a, 2);
        exp = td_db_column_dup(st, a, 3);
        used = !td_db_column_is_null(st, 4);
    }
    td_db_finalize(st);
    if (!id || !exp || !fam || strcmp(exp, now) <= 0) /* unknown, expired or ended */
        return TD_E_NOTFOUND;
    int64_t changed = 0;
    snprintf(sql, sizeof(sql), "UPDATE %s SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
             s_table(s));
    if (!used && td_db_execv(s->db, &changed, sql, now, id, NULL) == TD_OK && changed == 1) {
        *family = fam;
        return td_session_start(s, *owner, fam, client_addr, refresh, sid);
    }
    /* spent before: someone holds a copy of this family's token */
    td_session_end(s, *owner, fam);
    return TD_E_CONFLICT;
}
