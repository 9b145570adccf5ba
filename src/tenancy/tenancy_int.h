/* tenancy_int.h — what the files of tenancy/ share. */
#ifndef TD_TENANCY_INT_H
#define TD_TENANCY_INT_H

#include "tenancy/tenancy.h"

/* Unwraps a tenant's data key, reloading the master key once if a
 * rotation replaced it. */
td_status td_platform_unwrap(td_platform_t *p, td_arena_t *a, const char *tenant_id,
                             const char *wrapped, td_key_t *out);
int td_platform_reload_key(td_platform_t *p);
/* Where a tenant database lives: the local folder when server_id is NULL,
 * else that registered server (its URL, arena-owned, chooses the driver). */
td_status td_platform_place(td_platform_t *p, td_arena_t *a, td_db_t *db, const char *server_id,
                            td_place_t *out);

#endif
