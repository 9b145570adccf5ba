/* tenancy_int.h — what the files of tenancy/ share. */
#ifndef TD_TENANCY_INT_H
#define TD_TENANCY_INT_H

#include "tenancy/tenancy.h"

/* ---- the master key in force (masterkey.c) ---- */

/* Checks the master key against the catalog at start (recording the first
 * one with init, or when it comes from TENANTD_MASTER_KEY), finishing a
 * rotation that committed but did not install its key file. TD_E_KEY with
 * the reason in err when the key is not the catalog's. */
td_status td_platform_verify_key(td_platform_t *p, td_db_t *db, int init, char *err,
                                 size_t errlen);
/* Work that seals with the master key: called inside the catalog write
 * transaction of td_platform_with_master, with the key in force. */
typedef td_status (*td_master_fn)(td_db_t *db, const td_key_t *master, void *ctx);
/* Runs fn in one write transaction on db (a leased catalog connection, in
 * no transaction) that holds the catalog's master key id, so no rotation
 * commits meanwhile and fn never seals with a key no longer in force;
 * commits when fn succeeds. A key rotated by another process is reloaded
 * first; TD_E_KEY (reason in err) when this process cannot have it. */
td_status td_platform_with_master(td_platform_t *p, td_db_t *db, td_master_fn fn, void *ctx,
                                  char *err, size_t errlen);
/* Opens a value sealed with the master key, with the key it names
 * (reloaded when another process rotated it). TD_E_KEY when this process
 * cannot have that key, TD_E_CRYPTO when the value does not open. */
td_status td_platform_open_sealed(td_platform_t *p, td_arena_t *a, const char *owner,
                                  const char *purpose, const char *sealed, unsigned char **pt,
                                  size_t *n);
/* Unwraps a tenant's data key (td_platform_open_sealed). */
td_status td_platform_unwrap(td_platform_t *p, td_arena_t *a, const char *tenant_id,
                             const char *wrapped, td_key_t *out);

/* td_tenant_open_db while a pool exists (platform.c): the connection is
 * counted against the tenant's server budget (td_pool_lease_counted) and
 * its td_db_close gives the slot back. TD_E_BUSY after the wait in line. */
td_status td_platform_open_counted(td_platform_t *p, const char *tenant_id, td_db_t **out,
                                   char *err, size_t errlen);

/* A tenant (by id or slug), its database's place and credentials
 * (arena-owned), read on a catalog connection given back at once. */
td_status td_tenant_locate(td_platform_t *p, td_arena_t *a, const char *key, td_tenant_t *t,
                           td_place_t *pl, td_tenant_cred_t *cred);

/* Registers the PostgreSQL server at url (audited when new; its name is
 * the URL without its password). Idempotent. */
td_status td_platform_register_server(td_platform_t *p, const char *url, char *err,
                                      size_t errlen);
/* The place and credentials of a tenant's database as the placement row d
 * records them (lifecycle.c's reading of tenant_databases). */
td_status td_tenant_place_of(td_platform_t *p, td_arena_t *a, td_db_t *db,
                             const td_tenant_row_t *t, const td_tenant_db_row_t *d, td_place_t *pl,
                             td_tenant_cred_t *cred);

#endif
