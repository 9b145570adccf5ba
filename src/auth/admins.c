/* admins.c — superadmins (the catalog's platform_admins) as auth sees
 * them: a password change ends every session of the admin. */
#include <string.h>

#include "auth/password.h"
#include "auth/users.h"
#include "common/timeutil.h"

/* Sets the admin's password (hash, or NULL to keep it) and a new
 * generation, and ends every session, in one transaction. */
static td_status reset(td_db_t *cat, const td_admin_row_t *adm, const char *hash, int64_t *gen) {
    int64_t now = td_now_ms();
    *gen = now > adm->gen ? now : adm->gen + 1;
    td_sessions_t ss = {cat, 1, "p"};
    td_status rc = td_db_begin(cat, TD_DB_WRITE);
    if (!rc) {
        rc = td_cat_admin_set_password(cat, adm->id, hash, *gen);
        if (!rc)
            rc = td_session_end_all(&ss, adm->id);
        if (!rc)
            rc = td_db_commit(cat);
        if (rc)
            td_db_rollback(cat);
    }
    if (rc)
        *gen = 0;
    return rc;
}

td_status td_admin_end_sessions(td_db_t *cat, const td_admin_row_t *adm, int64_t *gen) {
    return reset(cat, adm, NULL, gen);
}

td_status td_admin_change_password(td_db_t *cat, const td_admin_row_t *adm, const char *pw,
                                   int64_t *gen) {
    char hash[TD_PASSWORD_HASH_MAX];
    td_status rc = td_password_hash(pw, hash);
    if (!rc)
        rc = reset(cat, adm, hash, gen);
    sodium_memzero(hash, sizeof(hash));
    return rc;
}
