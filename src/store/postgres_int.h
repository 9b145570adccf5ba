/* postgres_int.h — what the two files of the PostgreSQL driver share:
 * postgres.c (connections, statements) and postgres_tenant.c (tenant
 * databases, roles, templates). */
#ifndef TD_POSTGRES_INT_H
#define TD_POSTGRES_INT_H

#include <libpq-fe.h>
#include <limits.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/id.h"
#include "common/status.h"
#include "store/store.h"

#define PG_CACHE_MAX 1000    /* prepared statements kept per connection */
#define PG_CACHE_BUCKETS 256 /* hash buckets of that cache */
#define PG_ERR_MAX 1024      /* longest error message kept */
#define PG_NAME_MAX 64       /* a PostgreSQL identifier, NUL included */
#define PG_BYTEA_OID 17
/* Advisory lock keys, held on the admin connection to the maintenance
 * database (advisory locks are per database): one for building templates
 * and creating or dropping tenants, one per tenant database for migrations. */
#define PG_LOCK_PROVISION 0x74656e616e7401LL
#define PG_LOCK_MIGRATE 0x74656e616e7402LL
/* Held (tried, never waited for) by whoever fills a server's spare
 * databases (postgres_spares.c). */
#define PG_LOCK_SPARES 0x74656e616e7403LL
/* Part of the template hash: bump when the way templates are built changes. */
#define PG_TEMPLATE_LAYOUT "tenantd-pg-template-2"
/* The NOLOGIN group role every tenant role belongs to. Table privileges in
 * templates are granted to it once, so a new tenant needs no connection to
 * its database; isolation stays with CONNECT, which only the tenant's own
 * role has on its own database (never this group). */
#define PG_TENANTS_ROLE "td_tenants"

/* One statement the server holds prepared for one connection. */
typedef struct pg_cached {
    struct pg_cached *next; /* bucket chain */
    char *sql;              /* the text given to prepare: the key */
    char *pgsql;            /* the same with $n placeholders */
    int nparams;
    int ready;     /* 1 while the server holds it under name */
    char name[24]; /* "td_<n>", unique on the connection */
} pg_cached;

typedef struct {
    td_db_t base; /* first: base.drv = &td_postgres_driver */
    PGconn *conn;
    pg_cached *cache[PG_CACHE_BUCKETS];
    size_t ncached;
    unsigned long next_name; /* numbers statement names */
    char err[PG_ERR_MAX];    /* last error message, "" before any */
} pg_db;

typedef struct {
    unsigned char *p; /* PQunescapeBytea result, owned */
    size_t n;
} pg_blob;

typedef struct {
    td_stmt_t base;
    pg_db *db;
    pg_cached *ps;  /* owned by db->cache; NULL when the cache was full */
    char *own_sql;  /* rewritten text when ps is NULL (PQexecParams) */
    int nparams;
    char **values;  /* owned copies; NULL = SQL NULL */
    int *lengths;
    int *formats;   /* 1 for bytea sent binary */
    PGresult *res;  /* after execution; NULL before */
    int row;        /* current row of res */
    pg_blob *blobs; /* per column of the current row; NULL until asked */
} pg_stmt;


void pg_seterr(char *err, size_t errlen, const char *fmt, ...);
td_status pg_check(PGconn *conn, const PGresult *res, char *out, size_t n);
td_status pg_connect(const char *url, const char *dbname, const char *user,
                            const char *password, const char *what, PGconn **out, char *err,
                            size_t errlen);
td_status pg_wrap(PGconn *c, td_db_t **out);
/* The tenant database as the place's admin role (tenant_open_admin). */
td_status pg_tenant_open_admin(const td_place_t *pl, const char *tenant_id, const char *service,
                               td_db_t **out, char *err, size_t errlen);
/* PQfinish, returning once the server has ended the session
 * (postgres_limits.c). */
void pg_finish_wait(PGconn *c);
/* 1 when res failed with SQLSTATE state. */
int pg_state_is(const PGresult *res, const char *state);

/* tenant databases (postgres_tenant.c) */
/* Runs sql (no secrets in it); on failure err says "what: message". */
td_status pg_do(PGconn *c, const char *sql, const char *what, char *err, size_t errlen);
/* Runs a query with one parameter (none when param is NULL); *val = its
 * first value as an integer (a boolean as 1/0), 0 when no rows. */
td_status pg_query_int(PGconn *c, const char *sql, const char *param, int *val, char *err,
                       size_t errlen);
td_status pg_tenant_create(const td_place_t *pl, const char *tenant_id,
                           const td_tenant_cred_t *cred, const td_schema_t *svcs, size_t n,
                           char *err, size_t errlen);
td_status pg_tenant_add_service(const td_place_t *pl, const char *tenant_id,
                                const td_tenant_cred_t *cred, const td_schema_t *svc, char *err,
                                size_t errlen);
td_status pg_tenant_drop(const td_place_t *pl, const char *tenant_id, char *err, size_t errlen);
td_status pg_tenant_open(const td_place_t *pl, const char *tenant_id, const td_tenant_cred_t *cred,
                         const char *const *services, size_t n, td_db_t **out, char *err,
                         size_t errlen);
int pg_tenant_exists(const td_place_t *pl, const char *tenant_id);
td_status pg_place_check(const td_place_t *pl, char *err, size_t errlen);
td_status pg_tenant_ping(td_db_t *db, const char *const *services, size_t n, char *err,
                         size_t errlen);

/* the kept admin connection (postgres_admin.c) */
/* An admin connection to url's server: the one kept, if any and still
 * open (*reused = 1), else a new one. Give it back with pg_admin_give. */
td_status pg_admin_take(const char *url, PGconn **out, int *reused, char *err, size_t errlen);
/* pg_admin_take, then SELECT pg_advisory_lock(key) on it; a kept
 * connection that fails that is replaced by a new one once. On failure
 * *out may still hold a connection to give back (keep = 0). */
td_status pg_admin_lock(const char *url, long long key, PGconn **out, char *err, size_t errlen);
/* Gives c back: kept when keep is set, c is idle and open, and no other is
 * kept for url; closed otherwise. NULL is fine. */
void pg_admin_give(const char *url, PGconn *c, int keep);
/* Closes kept connections idle longer than their limit. */
void pg_admin_reap(void);

/* spare databases (postgres_spares.c) */
/* The regular expression that matches the complete spares of template tpl
 * (and nothing else: no _tmp, no tenant database). */
void pg_spare_pattern(const char *tpl, char *out, size_t n);
/* Counts a provisioning that took a spare (taken = 1) or cloned. */
void pg_spares_count(int taken);
/* Keeps want complete spares of every template at pl (td_db_spares_fill). */
td_status pg_spares_fill(const td_place_t *pl, long want, td_spares_report_t *out, char *err,
                         size_t errlen);

#endif
