/* onboarding.c — the onboarding_steps table (migration 0020): the steps a
 * tenant's admin took after sign-up (database, payments, credits skipped,
 * profile), and whether the tenant ever paid for credits (the credits
 * step). */
#include <string.h>

#include "catalog/catalog_int.h"

td_status td_cat_onboarding_list(td_db_t *db, td_arena_t *a, const char *tenant_id,
                                 td_onboarding_row_t *out, size_t max, size_t *n) {
    td_stmt_t *st = NULL;
    td_status rc = td_db_prepare(db,
                                 "SELECT step, status, detail, updated_by, updated_at"
                                 " FROM onboarding_steps WHERE tenant_id = ? ORDER BY step",
                                 &st);
    if (!rc)
        rc = td_db_bind_text(st, 1, tenant_id);
    size_t k = 0;
    int r = 0;
    while (!rc && k < max && (r = td_db_step(st)) == TD_DB_ROW) {
        td_onboarding_row_t *o = &out[k++];
        *o = (td_onboarding_row_t){.tenant_id = tenant_id,
                                   .step = td_db_column_dup(st, a, 0),
                                   .status = td_db_column_dup(st, a, 1),
                                   .detail = td_db_column_dup(st, a, 2),
                                   .updated_by = td_db_column_dup(st, a, 3),
                                   .updated_at = td_db_column_dup(st, a, 4)};
        if (!o->step || !o->status)
            rc = TD_E_NOMEM;
    }
    if (!rc && r < 0)
        rc = (td_status)r;
    td_db_finalize(st);
    *n = k;
    return rc;
}

td_status td_cat_onboarding_put(td_db_t *db, const td_onboarding_row_t *o) {
    char now[32];
    td_cat_now(now);
    const char *v[] = {o->tenant_id, o->step,       o->status, o->detail,
                       o->secret_enc, o->updated_by, now};
    return td_cat_exec_texts(db,
                             "INSERT INTO onboarding_steps (tenant_id, step, status, detail,"
                             " secret_enc, updated_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
                             " ON CONFLICT (tenant_id, step) DO UPDATE SET status = excluded.status,"
                             " detail = excluded.detail, secret_enc = excluded.secret_enc,"
                             " updated_by = excluded.updated_by, updated_at = excluded.updated_at",
                             v, 7, NULL);
}

td_status td_cat_onboarding_paid(td_db_t *db, const char *tenant_id, int *paid) {
    td_stmt_t *st;
    td_status rc = td_db_query_row(db,
                                   "SELECT COUNT(*) FROM credit_checkouts WHERE tenant_id = ?"
                                   " AND status = 'paid'",
                                   tenant_id, &st);
    *paid = 0;
    if (!rc) {
        *paid = td_db_column_int64(st, 0) > 0;
        td_db_finalize(st);
    }
    return rc == TD_E_NOTFOUND ? TD_OK : rc;
}
