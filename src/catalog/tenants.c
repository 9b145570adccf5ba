/* tenants.c — the tenant family of catalog tables: tenants,
 * tenant_services, tenant_databases, schema_versions, and db_servers. */
#include <stdio.h>
#include <string.h>

#include "catalog/catalog_int.h"
#include "catalog/plans.h"
#include "common/id.h"

#define TENANT_COLS                                                                      \
    "id, slug, name, status, backend, plan, error, pending_admin, wrapped_key, created_at," \
    " updated_at, deleted_at"

static void read_tenant(td_stmt_t *st, td_arena_t *a, td_tenant_row_t *t) {
    const char **f[] = {&t->id,          &t->slug,        &t->name,       &t->status,
                        &t->backend,     &t->plan,        &t->error,      &t->pending_admin,
                        &t->wrapped_key, &t->created_at,  &t->updated_at, &t->deleted_at};
    for (int i = 0; i < (int)(sizeof(f) / sizeof(f[0])); i++)
        *f[i] = td_db_column_dup(st, a, i);
}

td_status td_cat_tenant_insert(td_db_t *db, const td_tenant_row_t *t, const char *const *services,
                               size_t nsvc, const td_tenant_db_row_t *place) {
    char now[32];
    td_cat_now(now);
    td_stmt_t *st = NULL;
    td_status rc = td_db_prepare(db,
                       "INSERT INTO tenants (id, slug, name, status, backend, plan, pending_admin,"
                       " wrapped_key, created_at, updated_at)"
                       " VALUES (?, ?, ?, 'provisioning', ?, ?, ?, ?, ?, ?)",
                       &st);
    const char *vals[] = {t->id,          t->slug,        t->name, t->backend, t->plan,
                          t->pending_admin, t->wrapped_key, now,     now};
    for (int i = 0; !rc && i < 9; i++)
        rc = td_db_bind_text(st, i + 1, vals[i]);
    if (!rc)
        rc = td_db_drain(st);
    td_db_finalize(st);
    if (!rc) /* every tenant has a subscription (0015) */
        rc = td_cat_subscription_start(db, t->id, t->plan ? t->plan : TD_PLAN_DEFAULT);
    for (size_t i = 0; !rc && i < nsvc; i++)
        rc = td_db_execv(db, NULL,
                         "INSERT INTO tenant_services (tenant_id, service, enabled, updated_at)"
                         " VALUES (?, ?, 1, ?)",
                         t->id, services[i], now, NULL);
    if (!rc) {
        rc = td_db_prepare(db,
                           "INSERT INTO tenant_databases (tenant_id, backend, server_id,"
                           " secret_enc, created_at) VALUES (?, ?, ?, ?, ?)",
                           &st);
        const char *pv[] = {t->id, place->backend, place->server_id, place->secret_enc, now};
        for (int i = 0; !rc && i < 5; i++)
            rc = td_db_bind_text(st, i + 1, pv[i]);
        if (!rc)
            rc = td_db_drain(st);
        td_db_finalize(st);
    }
    return rc;
}

td_status td_cat_tenant_get(td_db_t *db, td_arena_t *a, const char *key, td_tenant_row_t *out) {
    td_stmt_t *st;
    td_status rc = td_db_query_row(db,
                                   td_id_valid(key)
                                       ? "SELECT " TENANT_COLS " FROM tenants WHERE id = ?"
                                       : "SELECT " TENANT_COLS " FROM tenants WHERE slug = ?"
                                         " AND status <> 'deleted'",
                                   key, &st);
    if (!rc) {
        read_tenant(st, a, out);
        td_db_finalize(st);
    }
    return rc;
}

td_status td_cat_tenant_sample(td_db_t *db, td_arena_t *a, int n, const char ***ids,
                               size_t *count, int64_t *total) {
    td_stmt_t *st = NULL;
    const char **v = td_arena_alloc(a, sizeof(char *) * (size_t)(n > 0 ? n : 1));
    size_t k = 0;
    int r = 0;
    *total = 0;
    td_status rc = v ? td_db_query_row(db,
                                       "SELECT COUNT(*) FROM tenants WHERE status IN"
                                       " ('active','suspended')",
                                       NULL, &st)
                     : TD_E_NOMEM;
    if (!rc) {
        *total = td_db_column_int64(st, 0);
        td_db_finalize(st);
        st = NULL;
        rc = td_db_prepare(db,
                           "SELECT id FROM tenants WHERE status IN ('active','suspended')"
                           " ORDER BY random() LIMIT ?",
                           &st);
    }
    if (!rc)
        rc = td_db_bind_int64(st, 1, n);
    while (!rc && k < (size_t)n && (r = td_db_step(st)) == TD_DB_ROW)
        if (!(v[k++] = td_db_column_dup(st, a, 0)))
            rc = TD_E_NOMEM;
    if (!rc && r < 0)
        rc = (td_status)r;
    td_db_finalize(st);
    *ids = v;
    *count = k;
    return rc;
}

/* "%q%" for LIKE … ESCAPE, with q's %, _ and backslash taken literally
 * (the SQL lower-cases it as it does the name: each database folds both
 * sides alike). NULL for no q; "" when it does not fit. */
static const char *like_pattern(td_arena_t *a, const char *q) {
    if (!q)
        return NULL;
    size_t n = strlen(q);
    char *p = td_arena_alloc(a, 2 * n + 3), *w = p;
    if (!p)
        return "";
    *w++ = '%';
    for (const char *c = q; *c; c++) {
        if (*c == '%' || *c == '_' || *c == '\\')
            *w++ = '\\';
        *w++ = *c;
    }
    *w++ = '%';
    *w = 0;
    return p;
}

td_status td_cat_tenant_list(td_db_t *db, td_arena_t *a, const char *status, const char *q,
                             const char *after, int limit, td_tenant_row_t **out, size_t *n) {
    td_stmt_t *st = NULL;
    const char *like = like_pattern(a, q);
    td_status rc = td_db_prepare(
        db,
        "SELECT " TENANT_COLS " FROM tenants WHERE id > ?"
        " AND ((CAST(? AS TEXT) IS NULL AND status <> 'deleted') OR status = CAST(? AS TEXT))"
        " AND (CAST(? AS TEXT) IS NULL OR slug LIKE lower(CAST(? AS TEXT)) ESCAPE '\\'"
        " OR lower(name) LIKE lower(CAST(? AS TEXT)) ESCAPE '\\')"
        " ORDER BY id LIMIT ?",
        &st);
    const char *texts[] = {after ? after : "", status, status, like, like, like};
    for (int i = 0; !rc && i < 6; i++)
        rc = td_db_bind_text(st, i + 1, texts[i]);
    if (!rc)
        rc = td_db_bind_int64(st, 7, limit);
    td_tenant_row_t *rows = td_arena_alloc(a, sizeof(*rows) * (size_t)(limit > 0 ? limit : 1));
    size_t k = 0;
    if (!rows)
        rc = TD_E_NOMEM;
    int r = 0;
    while (!rc && (r = td_db_step(st)) == TD_DB_ROW && k < (size_t)limit)
        read_tenant(st, a, &rows[k++]);
    if (!rc && r < 0)
        rc = (td_status)r;
    td_db_finalize(st);
    *out = rows;
    *n = k;
    return rc;
}

td_status td_cat_tenant_transition(td_db_t *db, const char *id, const char *from, const char *to,
                                   const char *error) {
    char now[32], fromlist[128];
    td_cat_now(now);
    /* from is a comma-separated list of statuses; compare as ",status," */
    snprintf(fromlist, sizeof(fromlist), ",%s,", from);
    td_stmt_t *st = NULL;
    td_status rc = td_db_prepare(db,
                                 "UPDATE tenants SET status = ?, error = ?, updated_at = ?,"
                                 " deleted_at = CASE WHEN CAST(? AS TEXT) = 'deleted' THEN ? ELSE deleted_at END"
                                 " WHERE id = ? AND CAST(? AS TEXT) LIKE '%,' || status || ',%'",
                                 &st);
    const char *vals[] = {to, error, now, to, now, id, fromlist};
    for (int i = 0; !rc && i < 7; i++)
        rc = td_db_bind_text(st, i + 1, vals[i]);
    if (!rc)
        rc = td_db_drain(st);
    if (!rc && td_db_changes(st) == 0)
        rc = TD_E_STATE;
    td_db_finalize(st);
    return rc;
}

td_status td_cat_tenant_clear_pending_admin(td_db_t *db, const char *id) {
    return td_db_execv(db, NULL, "UPDATE tenants SET pending_admin = NULL WHERE id = ?", id, NULL);
}

td_status td_cat_tenant_changes(td_db_t *db, int64_t *gen) {
    td_stmt_t *st = NULL;
    td_status rc = td_db_prepare(db, "SELECT gen FROM tenant_changes WHERE id = 1", &st);
    if (!rc) {
        int r = td_db_step(st);
        if (r == TD_DB_ROW)
            *gen = td_db_column_int64(st, 0);
        else
            rc = r < 0 ? (td_status)r : TD_E_NOTFOUND;
    }
    td_db_finalize(st);
    return rc;
}

td_status td_cat_tenant_rename(td_db_t *db, const char *id, const char *name) {
    char now[32];
    td_cat_now(now);
    return td_db_execv(db, NULL, "UPDATE tenants SET name = ?, updated_at = ? WHERE id = ?", name,
                       now, id, NULL);
}

td_status td_cat_tenant_service_set(td_db_t *db, const char *id, const char *service, int enabled) {
    char now[32];
    td_cat_now(now);
    return td_db_execv(db, NULL,
                       "INSERT INTO tenant_services (tenant_id, service, enabled, updated_at)"
                       " VALUES (?, ?, ?, ?) ON CONFLICT (tenant_id, service) DO UPDATE"
                       " SET enabled = excluded.enabled, updated_at = excluded.updated_at",
                       id, service, enabled ? "1" : "0", now, NULL);
}

td_status td_cat_tenant_services(td_db_t *db, td_arena_t *a, const char *id, const char ***out,
                                 size_t *n) {
    td_stmt_t *st = NULL;
    td_status rc = td_db_prepare(db,
                                 "SELECT service FROM tenant_services WHERE tenant_id = ?"
                                 " AND enabled = 1 ORDER BY service",
                                 &st);
    if (!rc)
        rc = td_db_bind_text(st, 1, id);
    const char **names = td_arena_alloc(a, sizeof(char *) * 32);
    size_t k = 0;
    int r = 0;
    while (!rc && names && (r = td_db_step(st)) == TD_DB_ROW && k < 32)
        names[k++] = td_db_column_dup(st, a, 0);
    if (!rc && r < 0)
        rc = (td_status)r;
    td_db_finalize(st);
    *out = names;
    *n = k;
    return names ? rc : TD_E_NOMEM;
}

td_status td_cat_tenant_db(td_db_t *db, td_arena_t *a, const char *id, td_tenant_db_row_t *out) {
    td_stmt_t *st;
    td_status rc = td_db_query_row(
        db, "SELECT backend, server_id, secret_enc FROM tenant_databases WHERE tenant_id = ?", id,
        &st);
    if (!rc) {
        out->backend = td_db_column_dup(st, a, 0);
        out->server_id = td_db_column_dup(st, a, 1);
        out->secret_enc = td_db_column_dup(st, a, 2);
        td_db_finalize(st);
    }
    return rc;
}

td_status td_cat_tenant_db_set(td_db_t *db, const char *id, const td_tenant_db_row_t *d) {
    td_status rc = td_db_begin(db, TD_DB_WRITE);
    if (!rc)
        rc = td_db_execv(db, NULL, "UPDATE tenants SET backend = ? WHERE id = ?", d->backend, id,
                         NULL);
    td_stmt_t *st = NULL;
    if (!rc)
        rc = td_db_prepare(db,
                           "UPDATE tenant_databases SET backend = ?, server_id = ?, secret_enc = ?"
                           " WHERE tenant_id = ?",
                           &st);
    const char *v[] = {d->backend, d->server_id, d->secret_enc, id};
    for (int i = 0; !rc && i < 4; i++)
        rc = td_db_bind_text(st, i + 1, v[i]);
    if (!rc)
        rc = td_db_drain(st);
    td_db_finalize(st);
    if (!rc)
        rc = td_db_commit(db);
    if (rc)
        td_db_rollback(db);
    return rc;
}

td_status td_cat_schema_version_set(td_db_t *db, const char *tenant_id, const char *service,
                                    int version) {
    char now[32], v[16];
    td_cat_now(now);
    snprintf(v, sizeof(v), "%d", version);
    return td_db_execv(db, NULL,
                       "INSERT INTO schema_versions (tenant_id, service, version, updated_at)"
                       " VALUES (?, ?, ?, ?) ON CONFLICT (tenant_id, service) DO UPDATE"
                       " SET version = excluded.version, updated_at = excluded.updated_at",
                       tenant_id, service, v, now, NULL);
}

td_status td_cat_tenant_tombstone(td_db_t *db, const char *id) {
    static const char *const sql[] = {
        "DELETE FROM tenant_services WHERE tenant_id = ?",
        "DELETE FROM tenant_databases WHERE tenant_id = ?",
        "DELETE FROM hostnames WHERE tenant_id = ?",
        "DELETE FROM schema_versions WHERE tenant_id = ?",
        "DELETE FROM api_keys WHERE tenant_id = ?",
        "DELETE FROM backups WHERE tenant_id = ?",
        "DELETE FROM onboarding_steps WHERE tenant_id = ?",
        "DELETE FROM payment_provider_secrets WHERE tenant_id = ?",
        "UPDATE tenants SET wrapped_key = NULL, pending_admin = NULL WHERE id = ?",
    };
    td_status rc = td_db_begin(db, TD_DB_WRITE);
    for (size_t i = 0; !rc && i < sizeof(sql) / sizeof(sql[0]); i++)
        rc = td_db_execv(db, NULL, sql[i], id, NULL);
    if (!rc)
        rc = td_cat_tenant_transition(db, id, "deleting", "deleted", NULL);
    if (!rc)
        rc = td_db_commit(db);
    if (rc)
        td_db_rollback(db);
    return rc;
}

td_status td_cat_tenant_keys(td_db_t *db, td_arena_t *a, const char ***ids, const char ***wrapped,
                             size_t *n) {
    td_stmt_t *st = NULL;
    int64_t count = 0;
    td_status rc = td_db_prepare(
        db, "SELECT COUNT(*) FROM tenants WHERE wrapped_key IS NOT NULL", &st);
    if (!rc && td_db_step(st) == TD_DB_ROW)
        count = td_db_column_int64(st, 0);
    td_db_finalize(st);
    st = NULL;
    const char **i_out = td_arena_alloc(a, sizeof(char *) * (size_t)(count + 1));
    const char **w_out = td_arena_alloc(a, sizeof(char *) * (size_t)(count + 1));
    if (!rc && (!i_out || !w_out))
        rc = TD_E_NOMEM;
    if (!rc)
        rc = td_db_prepare(db, "SELECT id, wrapped_key FROM tenants WHERE wrapped_key IS NOT NULL"
                               " ORDER BY id",
                           &st);
    size_t k = 0;
    int r = 0;
    while (!rc && (r = td_db_step(st)) == TD_DB_ROW && k < (size_t)count) {
        i_out[k] = td_db_column_dup(st, a, 0);
        w_out[k++] = td_db_column_dup(st, a, 1);
    }
    if (!rc && r < 0)
        rc = (td_status)r;
    td_db_finalize(st);
    *ids = i_out;
    *wrapped = w_out;
    *n = k;
    return rc;
}

td_status td_cat_tenant_set_key(td_db_t *db, const char *id, const char *wrapped) {
    int64_t ch = 0;
    td_status rc = td_db_execv(db, &ch, "UPDATE tenants SET wrapped_key = ? WHERE id = ?"
                                        " AND wrapped_key IS NOT NULL",
                               wrapped, id, NULL);
    return rc ? rc : ch ? TD_OK : TD_E_NOTFOUND;
}

/* ---- database servers ---- */

#define SERVER_SELECT                                                                     \
    "SELECT s.id, s.name, s.url_enc, s.url_hint, s.status, s.created_at,"                 \
    " (SELECT COUNT(*) FROM tenant_databases d WHERE d.server_id = s.id) FROM db_servers s"

static void read_server(td_stmt_t *st, td_arena_t *a, td_server_row_t *s) {
    s->id = td_db_column_dup(st, a, 0);
    s->name = td_db_column_dup(st, a, 1);
    s->url_enc = td_db_column_dup(st, a, 2);
    s->url_hint = td_db_column_dup(st, a, 3);
    s->status = td_db_column_dup(st, a, 4);
    s->created_at = td_db_column_dup(st, a, 5);
    s->tenants = td_db_column_int64(st, 6);
}

td_status td_cat_server_ensure(td_db_t *db, const td_server_row_t *s, int *added) {
    char now[32];
    int64_t n = 0;
    td_cat_now(now);
    td_status st = td_db_execv(db, &n,
                       "INSERT INTO db_servers (id, name, url_enc, url_hint, status, created_at)"
                       " VALUES (?, ?, ?, ?, 'active', ?) ON CONFLICT (name) DO NOTHING",
                       s->id, s->name, s->url_enc, s->url_hint, now, NULL);
    if (added)
        *added = !st && n > 0;
    return st;
}

static td_status server_query(td_db_t *db, td_arena_t *a, const char *sql, const char *arg,
                              td_server_row_t **out, size_t *n, size_t max) {
    td_stmt_t *st = NULL;
    td_status rc = td_db_prepare(db, sql, &st);
    if (!rc && arg)
        rc = td_db_bind_text(st, 1, arg);
    td_server_row_t *rows = td_arena_alloc(a, sizeof(*rows) * max);
    size_t k = 0;
    int r = 0;
    if (!rows)
        rc = TD_E_NOMEM;
    while (!rc && (r = td_db_step(st)) == TD_DB_ROW && k < max)
        read_server(st, a, &rows[k++]);
    if (!rc && r < 0)
        rc = (td_status)r;
    td_db_finalize(st);
    *out = rows;
    *n = k;
    return rc;
}

td_status td_cat_server_list(td_db_t *db, td_arena_t *a, td_server_row_t **out, size_t *n) {
    return server_query(db, a, SERVER_SELECT " ORDER BY s.name", NULL, out, n, 1024);
}

td_status td_cat_server_get(td_db_t *db, td_arena_t *a, const char *id, td_server_row_t *out) {
    td_server_row_t *rows;
    size_t n;
    td_status rc = server_query(db, a, SERVER_SELECT " WHERE s.id = ?", id, &rows, &n, 1);
    if (!rc && !n)
        rc = TD_E_NOTFOUND;
    if (!rc)
        *out = rows[0];
    return rc;
}

td_status td_cat_server_least_loaded(td_db_t *db, td_arena_t *a, td_server_row_t *out) {
    td_server_row_t *rows;
    size_t n;
    td_status rc = server_query(db, a,
                                SERVER_SELECT " WHERE s.status = 'active' ORDER BY 7, s.name LIMIT 1",
                                NULL, &rows, &n, 1);
    if (!rc && !n)
        rc = TD_E_NOTFOUND;
    if (!rc)
        *out = rows[0];
    return rc;
}
