/* moves.c — the tenant_moves table (migration 0014): a tenant's move in
 * progress, and the switch of its placement. */
#include <string.h>

#include "catalog/catalog_int.h"

td_status td_cat_exec_texts(td_db_t *db, const char *sql, const char *const *v, int n,
                            int64_t *changes) {
    td_stmt_t *st = NULL;
    td_status rc = td_db_prepare(db, sql, &st);
    for (int i = 0; !rc && i < n; i++)
        rc = td_db_bind_text(st, i + 1, v[i]);
    if (!rc)
        rc = td_db_drain(st);
    if (!rc && changes)
        *changes = td_db_changes(st);
    td_db_finalize(st);
    return rc;
}

td_status td_cat_move_insert(td_db_t *db, const td_move_row_t *m) {
    char now[32];
    td_cat_now(now);
    const char *v[] = {m->tenant_id,   m->backend,        m->server_id, m->secret_enc,
                       m->from.backend, m->from.server_id, m->from.secret_enc, now, now};
    td_status rc = td_cat_exec_texts(db,
                              "INSERT INTO tenant_moves (tenant_id, state, backend, server_id,"
                              " secret_enc, from_backend, from_server_id, from_secret_enc,"
                              " started_at, updated_at) VALUES (?, 'copying', ?, ?, ?, ?, ?, ?, ?, ?)",
                              v, 9, NULL);
    return rc == TD_E_CONFLICT ? TD_E_EXISTS : rc;
}

td_status td_cat_move_get(td_db_t *db, td_arena_t *a, const char *tenant_id, td_move_row_t *out) {
    td_stmt_t *st;
    td_status rc = td_db_query_row(db,
                                   "SELECT tenant_id, state, backend, server_id, secret_enc,"
                                   " from_backend, from_server_id, from_secret_enc, started_at"
                                   " FROM tenant_moves WHERE tenant_id = ?",
                                   tenant_id, &st);
    if (rc)
        return rc;
    const char **f[] = {&out->tenant_id,    &out->state,          &out->backend,
                        &out->server_id,    &out->secret_enc,     &out->from.backend,
                        &out->from.server_id, &out->from.secret_enc, &out->started_at};
    for (int i = 0; i < 9; i++)
        *f[i] = td_db_column_dup(st, a, i);
    td_db_finalize(st);
    return TD_OK;
}

td_status td_cat_move_switch(td_db_t *db, const char *tenant_id) {
    char now[32];
    td_cat_now(now);
    const char *v[] = {now, tenant_id};
    int64_t n = 0;
    td_status rc = td_db_begin(db, TD_DB_WRITE);
    if (!rc)
        rc = td_cat_exec_texts(db,
                        "UPDATE tenant_moves SET state = 'switched', updated_at = ?"
                        " WHERE tenant_id = ? AND state = 'copying'",
                        v, 2, &n);
    if (!rc && n != 1)
        rc = TD_E_STATE;
    if (!rc)
        rc = td_cat_exec_texts(db,
                        "UPDATE tenant_databases SET (backend, server_id, secret_enc) ="
                        " (SELECT backend, server_id, secret_enc FROM tenant_moves"
                        " WHERE tenant_moves.tenant_id = tenant_databases.tenant_id)"
                        " WHERE tenant_id = ?",
                        v + 1, 1, NULL);
    if (!rc)
        rc = td_cat_exec_texts(db,
                        "UPDATE tenants SET backend = (SELECT backend FROM tenant_moves"
                        " WHERE tenant_moves.tenant_id = tenants.id), updated_at = ?"
                        " WHERE id = ?",
                        v, 2, NULL);
    if (!rc)
        rc = td_db_commit(db);
    if (rc)
        td_db_rollback(db);
    return rc;
}

td_status td_cat_move_delete(td_db_t *db, const char *tenant_id) {
    const char *v[] = {tenant_id};
    return td_cat_exec_texts(db, "DELETE FROM tenant_moves WHERE tenant_id = ?", v, 1, NULL);
}
