/* postgres_restore.c — what a restore in place needs of PostgreSQL: an
 * administrative connection to a tenant's database (the service schemas
 * belong to the administrative role, which made them; a restore renames
 * and makes them anew), and the grants of a schema made anew to the
 * tenant's own role. */
#include <stdio.h>
#include <string.h>

#include "common/id.h"
#include "store/postgres_int.h"
#include "store/rowstream.h"

td_status td_rows_admin_open(const td_place_t *pl, const char *tenant_id, td_db_t **out,
                             char *err, size_t errlen) {
    char name[PG_NAME_MAX], compact[33];
    PGconn *c = NULL;
    *out = NULL;
    if (pl->drv != &td_postgres_driver || !td_id_valid(tenant_id)) {
        snprintf(err, errlen, "not a PostgreSQL tenant");
        return TD_E_INVALID;
    }
    td_id_compact(tenant_id, compact);
    snprintf(name, sizeof(name), "td_%s", compact);
    td_status st = pg_connect(pl->root, pl->dedicated ? NULL : name, NULL, NULL, "tenant admin",
                              &c, err, errlen);
    return st ? TD_E_UNAVAILABLE : pg_wrap(c, out);
}

td_status td_rows_schema_grant(td_db_t *db, const char *service) {
    char sql[2048];
    if (strcmp(td_db_dialect(db), "postgres") || strchr(service, '\''))
        return TD_E_INVALID;
    /* the tenant's role is named as its database; a brought database has
     * none (its own role made and owns everything) */
    snprintf(sql, sizeof(sql),
             "DO $td$ DECLARE s text := '%s'; r text := current_database(); BEGIN"
             " IF r <> current_user AND EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN"
             " EXECUTE format('GRANT USAGE ON SCHEMA %%I TO %%I', s, r);"
             " EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %%I"
             " TO %%I', s, r);"
             " EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %%I TO %%I', s, r);"
             " EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %%I GRANT SELECT, INSERT,"
             " UPDATE, DELETE ON TABLES TO %%I', s, r);"
             " EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %%I GRANT USAGE, SELECT ON"
             " SEQUENCES TO %%I', s, r);"
             " END IF; END $td$",
             service);
    return td_db_exec(db, sql);
}
