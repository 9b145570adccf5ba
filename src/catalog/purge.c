/* purge.c — removing catalog rows that can no longer matter (expired
 * platform sessions and revocations), for the clean-up job. */
#include "catalog/catalog_int.h"

td_status td_cat_sessions_purge(td_db_t *db, const char *now_iso, int64_t now_s, int64_t *n) {
    int64_t a = 0, b = 0;
    td_status rc =
        td_db_execv(db, &a, "DELETE FROM platform_sessions WHERE expires_at < ?", now_iso, NULL);
    td_stmt_t *st = NULL;
    if (!rc)
        rc = td_db_prepare(db, "DELETE FROM revoked_tokens WHERE expires_at <= ?", &st);
    if (!rc)
        rc = td_db_bind_int64(st, 1, now_s);
    if (!rc)
        rc = td_db_drain(st);
    if (!rc)
        b = td_db_changes(st);
    td_db_finalize(st);
    *n = a + b;
    return rc;
}
