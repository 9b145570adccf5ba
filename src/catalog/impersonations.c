/* impersonations.c — the impersonations table (migration 0018): a
 * superadmin acting as a tenant's user, bounded in time, with a reason. */
#include <stdio.h>
#include <string.h>

#include "catalog/catalog_int.h"

#define IMP_COLS \
    "id, tenant_id, user_id, admin_id, reason, created_at, expires_at, revoked_at, revoked_by"
#define IMP_LIST_MAX 500

static void read_imp(td_stmt_t *st, td_arena_t *a, td_imp_row_t *r) {
    r->id = td_db_column_dup(st, a, 0);
    r->tenant_id = td_db_column_dup(st, a, 1);
    r->user_id = td_db_column_dup(st, a, 2);
    r->admin_id = td_db_column_dup(st, a, 3);
    r->reason = td_db_column_dup(st, a, 4);
    r->created_at = td_db_column_dup(st, a, 5);
    r->expires_at = td_db_column_int64(st, 6);
    r->revoked_at = td_db_column_dup(st, a, 7);
    r->revoked_by = td_db_column_dup(st, a, 8);
}

td_status td_cat_imp_insert(td_db_t *db, const td_imp_row_t *r) {
    char now[32];
    td_cat_now(now);
    const char *v[] = {r->id, r->tenant_id, r->user_id, r->admin_id, r->reason,
                       r->created_at ? r->created_at : now};
    td_stmt_t *st = NULL;
    td_status rc = td_db_prepare(db,
                                 "INSERT INTO impersonations (id, tenant_id, user_id, admin_id,"
                                 " reason, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                                 &st);
    for (int i = 0; !rc && i < 6; i++)
        rc = td_db_bind_text(st, i + 1, v[i]);
    if (!rc)
        rc = td_db_bind_int64(st, 7, r->expires_at);
    if (!rc)
        rc = td_db_drain(st);
    td_db_finalize(st);
    return rc;
}

td_status td_cat_imp_get(td_db_t *db, td_arena_t *a, const char *id, td_imp_row_t *out) {
    td_stmt_t *st;
    td_status rc = td_db_query_row(db, "SELECT " IMP_COLS " FROM impersonations WHERE id = ?", id,
                                   &st);
    if (!rc) {
        read_imp(st, a, out);
        td_db_finalize(st);
    }
    return rc;
}

td_status td_cat_imp_list(td_db_t *db, td_arena_t *a, const char *tenant_id, td_imp_row_t **out,
                          size_t *n) {
    td_stmt_t *st = NULL;
    td_status rc = td_db_prepare(db,
                                 "SELECT " IMP_COLS " FROM impersonations WHERE tenant_id = ?"
                                 " ORDER BY created_at DESC, id DESC LIMIT 500",
                                 &st);
    if (!rc)
        rc = td_db_bind_text(st, 1, tenant_id);
    td_imp_row_t *rows = td_arena_alloc(a, sizeof(*rows) * IMP_LIST_MAX);
    size_t k = 0;
    int r = 0;
    if (!rows)
        rc = TD_E_NOMEM;
    while (!rc && k < IMP_LIST_MAX && (r = td_db_step(st)) == TD_DB_ROW)
        read_imp(st, a, &rows[k++]);
    if (!rc && r < 0)
        rc = (td_status)r;
    td_db_finalize(st);
    *out = rows;
    *n = k;
    return rc;
}

td_status td_cat_imp_revoke(td_db_t *db, const char *id, const char *tenant_id, const char *by) {
    char now[32];
    td_cat_now(now);
    const char *v[] = {now, by, id, tenant_id};
    int64_t n = 0;
    td_status rc = td_cat_exec_texts(db,
                                     "UPDATE impersonations SET revoked_at = ?, revoked_by = ?"
                                     " WHERE id = ? AND tenant_id = ? AND revoked_at IS NULL",
                                     v, 4, &n);
    return rc ? rc : n ? TD_OK : TD_E_NOTFOUND;
}
