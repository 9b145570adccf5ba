/* credits_plan.c — the one query that reads the plans table (catalog
 * migration 0015, issue 13 part 2: plans.code = tenants.plan,
 * plans.included_credits) for the included monthly credits. Kept alone so
 * that the credits code never depends on the rest of the plans family. */
#include "catalog/credits.h"

td_status td_cat_plan_credits(td_db_t *db, td_arena_t *a, const char *after, int limit,
                              td_plan_credits_t **out, size_t *n) {
    td_stmt_t *st = NULL;
    *n = 0;
    limit = limit < 1 ? 1 : limit > 1000 ? 1000 : limit;
    td_plan_credits_t *rows = td_arena_alloc(a, sizeof(*rows) * (size_t)limit);
    td_status rc = rows ? td_db_prepare(db,
                                        "SELECT t.id, p.included_credits FROM tenants t"
                                        " JOIN plans p ON p.code = t.plan"
                                        " WHERE t.status = 'active' AND p.included_credits > 0"
                                        " AND t.id > ? ORDER BY t.id LIMIT ?",
                                        &st)
                        : TD_E_NOMEM;
    if (!rc)
        rc = td_db_bind_text(st, 1, after ? after : "");
    if (!rc)
        rc = td_db_bind_int64(st, 2, limit);
    int r = 0;
    while (!rc && *n < (size_t)limit && (r = td_db_step(st)) == TD_DB_ROW) {
        rows[*n].tenant_id = td_db_column_dup(st, a, 0);
        rows[(*n)++].included = td_db_column_int64(st, 1);
    }
    if (!rc && r < 0)
        rc = (td_status)r;
    td_db_finalize(st);
    *out = rows;
    return rc;
}
