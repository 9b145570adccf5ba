/* apikeys.c — the api_keys table. */
#include <stdio.h>
#include <string.h>

#include "catalog/catalog_int.h"
#include "catalog/plans.h"
#include "common/timeutil.h"

#define KEY_COLS                                                                          \
    "id, tenant_id, name, key_hash, role, services, read_only, expires_at, last_used_at," \
    " revoked_at, created_by, created_at, rate_limit_rpm"

static void read_key(td_stmt_t *st, td_arena_t *a, td_apikey_row_t *k) {
    k->id = td_db_column_dup(st, a, 0);
    k->tenant_id = td_db_column_dup(st, a, 1);
    k->name = td_db_column_dup(st, a, 2);
    k->key_hash = td_db_column_dup(st, a, 3);
    k->role = td_db_column_dup(st, a, 4);
    k->services = td_db_column_dup(st, a, 5);
    k->read_only = (int)td_db_column_int64(st, 6);
    k->expires_at = td_db_column_dup(st, a, 7);
    k->last_used_at = td_db_column_dup(st, a, 8);
    k->revoked_at = td_db_column_dup(st, a, 9);
    k->created_by = td_db_column_dup(st, a, 10);
    k->created_at = td_db_column_dup(st, a, 11);
    k->rate_limit_rpm = td_db_column_int64(st, 12);
}

td_status td_cat_apikey_insert(td_db_t *db, const td_apikey_row_t *k) {
    char now[32];
    td_cat_now(now);
    td_stmt_t *st = NULL;
    td_status rc = td_db_prepare(db,
                                 "INSERT INTO api_keys (id, tenant_id, name, key_hash, role, services,"
                                 " read_only, expires_at, created_by, created_at, rate_limit_rpm)"
                                 " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                 &st);
    const char *v[] = {k->id, k->tenant_id, k->name, k->key_hash, k->role, k->services};
    for (int i = 0; !rc && i < 6; i++)
        rc = td_db_bind_text(st, i + 1, v[i]);
    if (!rc)
        rc = td_db_bind_int64(st, 7, k->read_only);
    if (!rc)
        rc = td_db_bind_text(st, 8, k->expires_at);
    if (!rc)
        rc = td_db_bind_text(st, 9, k->created_by);
    if (!rc)
        rc = td_db_bind_text(st, 10, now);
    if (!rc)
        rc = k->rate_limit_rpm > 0 ? td_db_bind_int64(st, 11, k->rate_limit_rpm)
                                   : td_db_bind_null(st, 11);
    if (!rc)
        rc = td_db_drain(st);
    td_db_finalize(st);
    return rc;
}

td_status td_cat_apikey_insert_capped(td_db_t *db, const td_apikey_row_t *k, int64_t max) {
    int64_t n = 0;
    td_status rc = td_db_begin(db, TD_DB_WRITE);
    if (!rc && !strcmp(td_db_dialect(db), "postgres")) /* one tenant's creations in turn */
        rc = td_db_execv(db, NULL, "SELECT pg_advisory_xact_lock(hashtext(CAST(? AS TEXT)))",
                         k->tenant_id, NULL);
    if (!rc)
        rc = td_cat_apikey_count_live(db, k->tenant_id, &n);
    if (!rc && n >= max)
        rc = TD_E_FORBIDDEN;
    if (!rc)
        rc = td_cat_apikey_insert(db, k);
    if (!rc)
        rc = td_db_commit(db);
    if (rc)
        td_db_rollback(db);
    return rc;
}

td_status td_cat_apikey_get(td_db_t *db, td_arena_t *a, const char *id, td_apikey_row_t *out) {
    td_stmt_t *st;
    td_status rc = td_db_query_row(db, "SELECT " KEY_COLS " FROM api_keys WHERE id = ?", id, &st);
    if (!rc) {
        read_key(st, a, out);
        td_db_finalize(st);
    }
    return rc;
}

td_status td_cat_apikey_list(td_db_t *db, td_arena_t *a, const char *tenant_id,
                             td_apikey_row_t **out, size_t *n) {
    td_stmt_t *st = NULL;
    td_status rc = td_db_prepare(
        db,
        tenant_id ? "SELECT " KEY_COLS " FROM api_keys WHERE tenant_id = ? ORDER BY id DESC LIMIT 1000"
                  : "SELECT " KEY_COLS " FROM api_keys WHERE tenant_id IS NULL ORDER BY id DESC"
                    " LIMIT 1000",
        &st);
    if (!rc && tenant_id)
        rc = td_db_bind_text(st, 1, tenant_id);
    td_apikey_row_t *rows = td_arena_alloc(a, sizeof(*rows) * 1000);
    size_t k = 0;
    int r = 0;
    if (!rows)
        rc = TD_E_NOMEM;
    while (!rc && k < 1000 && (r = td_db_step(st)) == TD_DB_ROW)
        read_key(st, a, &rows[k++]);
    if (!rc && r < 0)
        rc = (td_status)r;
    td_db_finalize(st);
    *out = rows;
    *n = k;
    return rc;
}

td_status td_cat_apikey_revoke(td_db_t *db, const char *id, const char *tenant_id) {
    char now[32];
    td_cat_now(now);
    int64_t n = 0;
    td_status rc =
        tenant_id
            ? td_db_execv(db, &n,
                          "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND tenant_id = ?"
                          " AND revoked_at IS NULL",
                          now, id, tenant_id, NULL)
            : td_db_execv(db, &n,
                          "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND tenant_id IS NULL"
                          " AND revoked_at IS NULL",
                          now, id, NULL);
    return rc ? rc : n ? TD_OK : TD_E_NOTFOUND;
}

/* Walks the tree of keys below creator breadth-first: each round revokes
 * the live keys made by the ids of the last round. Bounded by the number
 * of keys (a key cannot create itself or an ancestor: ids are new). */
td_status td_cat_apikey_revoke_created_by(td_db_t *db, const char *tenant_id, const char *creator) {
    td_arena_t *a = td_arena_new(0);
    char now[32];
    td_cat_now(now);
    const char **todo = a ? td_arena_alloc(a, sizeof(char *) * 1024) : NULL;
    size_t head = 0, tail = 0;
    td_status rc = todo ? TD_OK : TD_E_NOMEM;
    if (todo)
        todo[tail++] = creator;
    while (!rc && head < tail) {
        const char *by = todo[head++];
        td_stmt_t *st = NULL;
        rc = td_db_prepare(db,
                           "SELECT id FROM api_keys WHERE tenant_id = ? AND created_by = ?"
                           " AND revoked_at IS NULL",
                           &st);
        if (!rc)
            rc = td_db_bind_text(st, 1, tenant_id);
        if (!rc)
            rc = td_db_bind_text(st, 2, by);
        int r = 0;
        while (!rc && tail < 1024 && (r = td_db_step(st)) == TD_DB_ROW)
            todo[tail++] = td_db_column_dup(st, a, 0);
        if (!rc && r < 0)
            rc = (td_status)r;
        td_db_finalize(st);
        if (!rc)
            rc = td_db_execv(db, NULL,
                             "UPDATE api_keys SET revoked_at = ? WHERE tenant_id = ?"
                             " AND created_by = ? AND revoked_at IS NULL",
                             now, tenant_id, by, NULL);
    }
    td_arena_destroy(a);
    return rc;
}

td_status td_cat_apikey_touch(td_db_t *db, const char *id) {
    char now[32], before[32];
    td_cat_now(now);
    td_time_iso(td_now_ms() - 60000, before, sizeof(before));
    return td_db_execv(db, NULL,
                       "UPDATE api_keys SET last_used_at = ? WHERE id = ?"
                       " AND (last_used_at IS NULL OR last_used_at < ?)",
                       now, id, before, NULL);
}
