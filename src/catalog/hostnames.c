/* hostnames.c — custom hostnames that name a tenant (Host resolution). */
#include "catalog/catalog_int.h"

td_status td_cat_hostname_add(td_db_t *db, const char *tenant_id, const char *hostname) {
    char now[32];
    td_cat_now(now);
    return td_db_execv(db, NULL,
                       "INSERT INTO hostnames (hostname, tenant_id, created_at) VALUES (?, ?, ?)",
                       hostname, tenant_id, now, NULL);
}

td_status td_cat_hostname_remove(td_db_t *db, const char *tenant_id, const char *hostname) {
    int64_t n = 0;
    td_status rc = td_db_execv(db, &n, "DELETE FROM hostnames WHERE hostname = ? AND tenant_id = ?",
                               hostname, tenant_id, NULL);
    return rc ? rc : n ? TD_OK : TD_E_NOTFOUND;
}

td_status td_cat_hostname_list(td_db_t *db, td_arena_t *a, const char *tenant_id,
                               const char ***out, size_t *n) {
    td_stmt_t *st = NULL;
    td_status rc = td_db_prepare(
        db, "SELECT hostname FROM hostnames WHERE tenant_id = ? ORDER BY hostname LIMIT 100", &st);
    if (!rc)
        rc = td_db_bind_text(st, 1, tenant_id);
    const char **v = td_arena_alloc(a, sizeof(char *) * 101);
    size_t k = 0;
    int r = 0;
    while (!rc && v && k < 100 && (r = td_db_step(st)) == TD_DB_ROW)
        v[k++] = td_db_column_dup(st, a, 0);
    if (!rc && r < 0)
        rc = (td_status)r;
    td_db_finalize(st);
    *out = v;
    *n = k;
    return v ? rc : TD_E_NOMEM;
}

td_status td_cat_hostname_tenant(td_db_t *db, td_arena_t *a, const char *hostname,
                                 const char **tenant_id) {
    td_stmt_t *st;
    td_status rc =
        td_db_query_row(db, "SELECT tenant_id FROM hostnames WHERE hostname = ?", hostname, &st);
    if (!rc) {
        *tenant_id = td_db_column_dup(st, a, 0);
        td_db_finalize(st);
    }
    return rc;
}
