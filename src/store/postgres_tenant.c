/* postgres_tenant.c — tenant databases on PostgreSQL: templates, cloning,
 * roles and grants, added services, dropping, opening and checking. See
 * postgres.c for the scheme. */
#include "store/postgres_int.h"

/* ---- tenant databases --------------------------------------------------- */

/* td_<compact id>, for the database and the role. Only ids of the shape
 * td_id_new makes are accepted, so the name needs no quoting anywhere and
 * two ids never map to one name. */
static td_status pg_tenant_name(const char *tid, char out[PG_NAME_MAX], char *err,
                                size_t errlen) {
    char compact[33];
    if (!td_id_valid(tid)) {
        pg_seterr(err, errlen, "invalid tenant id");
        return TD_E_INVALID;
    }
    td_id_compact(tid, compact);
    snprintf(out, PG_NAME_MAX, "td_%s", compact);
    return TD_OK;
}

static int pg_schema_name_ok(const char *s) {
    size_t len = s ? strlen(s) : 0;
    if (len == 0 || len >= PG_NAME_MAX || (s[0] >= '0' && s[0] <= '9'))
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return 0;
    return 1;
}

td_status pg_do(PGconn *c, const char *sql, const char *what, char *err, size_t errlen) {
    char msg[PG_ERR_MAX];
    PGresult *res = PQexec(c, sql);
    td_status st = pg_check(c, res, msg, sizeof(msg));
    PQclear(res);
    if (st)
        pg_seterr(err, errlen, "%s: %s", what, msg);
    return st;
}

td_status pg_query_int(PGconn *c, const char *sql, const char *param, int *val, char *err,
                       size_t errlen) {
    char msg[PG_ERR_MAX];
    PGresult *res = PQexecParams(c, sql, param ? 1 : 0, NULL, param ? &param : NULL, NULL, NULL, 0);
    td_status st = pg_check(c, res, msg, sizeof(msg));
    *val = 0;
    if (st)
        pg_seterr(err, errlen, "%s: %s", param ? param : "query", msg);
    else if (PQntuples(res) > 0 && !PQgetisnull(res, 0, 0)) {
        const char *v = PQgetvalue(res, 0, 0);
        *val = v[0] == 't' ? 1 : atoi(v);
    }
    PQclear(res);
    return st;
}

static td_status pg_lock(PGconn *c, long long key, int lock, char *err, size_t errlen) {
    char sql[80];
    snprintf(sql, sizeof(sql), "SELECT pg_advisory_%s(%lld)", lock ? "lock" : "unlock", key);
    return pg_do(c, sql, "advisory lock", err, errlen);
}

/* Applies one migration of svc and records it, inside the caller's
 * transaction. */
static td_status pg_apply(PGconn *c, const char *svc, const td_migration_t *m, char *err,
                          size_t errlen) {
    char what[160], ver[16];
    snprintf(what, sizeof(what), "migration %s/%d (%s)", svc, m->version,
             m->name ? m->name : "?");
    td_status st = pg_do(c, m->sql ? m->sql : "", what, err, errlen);
    if (st)
        return st;
    snprintf(ver, sizeof(ver), "%d", m->version);
    const char *p[3] = {svc, ver, m->name ? m->name : ""};
    PGresult *res = PQexecParams(
        c,
        "INSERT INTO public.td_migrations (scope, version, name, applied_at) VALUES "
        "($1, $2::integer, $3, to_char(now() AT TIME ZONE 'UTC', "
        "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'))",
        3, NULL, p, NULL, NULL, 0);
    char msg[PG_ERR_MAX];
    st = pg_check(c, res, msg, sizeof(msg));
    PQclear(res);
    if (st)
        pg_seterr(err, errlen, "%s: recording: %s", what, msg);
    return st;
}

/* Grants role what a service needs in the schema of that service, now and
 * for tables the admin role creates there later. */
static td_status pg_grant_schema(PGconn *c, const char *schema, const char *role, char *err,
                                 size_t errlen) {
    char sql[1024], what[128];
    const char *s = schema, *r = role;
    snprintf(sql, sizeof(sql),
             "GRANT USAGE ON SCHEMA %s TO %s;"
             "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %s TO %s;"
             "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %s TO %s;"
             "ALTER DEFAULT PRIVILEGES IN SCHEMA %s "
             "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO %s;"
             "ALTER DEFAULT PRIVILEGES IN SCHEMA %s GRANT USAGE, SELECT ON SEQUENCES TO %s;"
             "GRANT SELECT ON public.td_migrations TO %s;"
             "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
             s, r, s, r, s, r, s, r, s, r, r);
    snprintf(what, sizeof(what), "granting schema %s", schema);
    return pg_do(c, sql, what, err, errlen);
}

static int pg_cmp_schema(const void *a, const void *b) {
    return strcmp((*(const td_schema_t *const *)a)->name, (*(const td_schema_t *const *)b)->name);
}

/* Sorts the services into sorted (n entries, the caller's) and names their
 * template: td_tpl_<16 hex> of a BLAKE2b hash of the sorted names, their
 * migrations (versions, names, SQL) and the template layout. */
static td_status pg_template_name(const td_schema_t *svcs, size_t n, const td_schema_t **sorted,
                                  char out[PG_NAME_MAX], char *err, size_t errlen) {
    crypto_generichash_state h;
    unsigned char digest[16];
    char hex[33], num[16];
    for (size_t i = 0; i < n; i++) {
        if (!pg_schema_name_ok(svcs[i].name)) {
            pg_seterr(err, errlen, "invalid service name");
            return TD_E_INVALID;
        }
        sorted[i] = &svcs[i];
    }
    qsort(sorted, n, sizeof(*sorted), pg_cmp_schema);
    crypto_generichash_init(&h, NULL, 0, sizeof(digest));
    crypto_generichash_update(&h, (const unsigned char *)PG_TEMPLATE_LAYOUT,
                              sizeof(PG_TEMPLATE_LAYOUT));
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && strcmp(sorted[i - 1]->name, sorted[i]->name) == 0) {
            pg_seterr(err, errlen, "service %s given twice", sorted[i]->name);
            return TD_E_INVALID;
        }
        const td_schema_t *s = sorted[i];
        snprintf(num, sizeof(num), "%zu", s->n);
        crypto_generichash_update(&h, (const unsigned char *)s->name, strlen(s->name) + 1);
        crypto_generichash_update(&h, (const unsigned char *)num, strlen(num) + 1);
        for (size_t m = 0; m < s->n; m++) {
            const char *parts[2] = {s->migs[m].name ? s->migs[m].name : "",
                                    s->migs[m].sql ? s->migs[m].sql : ""};
            snprintf(num, sizeof(num), "%d", s->migs[m].version);
            crypto_generichash_update(&h, (const unsigned char *)num, strlen(num) + 1);
            for (int k = 0; k < 2; k++)
                crypto_generichash_update(&h, (const unsigned char *)parts[k],
                                          strlen(parts[k]) + 1);
        }
    }
    crypto_generichash_final(&h, digest, sizeof(digest));
    sodium_bin2hex(hex, sizeof(hex), digest, 8);
    snprintf(out, PG_NAME_MAX, "td_tpl_%s", hex);
    return TD_OK;
}

static const char pg_db_exists_sql[] =
    "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)";

/* Builds template tpl unless it exists; the caller holds PG_LOCK_PROVISION
 * on admin. Built under a _tmp name and renamed when complete, so a crash
 * leaves either nothing usable or the whole template; a leftover _tmp is
 * dropped first. Nobody may connect to a finished template (ALLOW_CONNECTIONS
 * false), as CREATE DATABASE fails while anyone is. */
static td_status pg_template_ensure(const td_place_t *pl, PGconn *admin, const char *tpl,
                                    const td_schema_t *const *svcs, size_t n, char *err,
                                    size_t errlen) {
    char tmp[PG_NAME_MAX + 8], sql[256];
    int exists;
    PGconn *t = NULL;
    td_status st = pg_query_int(admin, pg_db_exists_sql, tpl, &exists, err, errlen);
    if (st || exists)
        return st;
    snprintf(tmp, sizeof(tmp), "%s_tmp", tpl);
    snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", tmp);
    if ((st = pg_do(admin, sql, "dropping an unfinished template", err, errlen)))
        return st;
    if ((st = pg_do(admin,
                    "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '"
                    PG_TENANTS_ROLE "') THEN CREATE ROLE " PG_TENANTS_ROLE " NOLOGIN; END IF;"
                    " END $$",
                    "creating the tenants group role", err, errlen)))
        return st;
    snprintf(sql, sizeof(sql), "CREATE DATABASE %s TEMPLATE template0", tmp);
    if ((st = pg_do(admin, sql, "creating a template", err, errlen)))
        return st;
    if ((st = pg_connect(pl->root, tmp, NULL, NULL, NULL, &t, err, errlen)))
        return st;
    st = pg_do(t,
               "CREATE TABLE public.td_migrations (scope TEXT NOT NULL, version INTEGER NOT "
               "NULL, name TEXT NOT NULL, applied_at TEXT NOT NULL, PRIMARY KEY (scope, "
               "version));"
               "REVOKE CREATE ON SCHEMA public FROM PUBLIC; BEGIN",
               "creating td_migrations", err, errlen);
    for (size_t i = 0; !st && i < n; i++)
        for (size_t m = 0; !st && m < svcs[i]->n; m++)
            st = pg_apply(t, svcs[i]->name, &svcs[i]->migs[m], err, errlen);
    for (size_t i = 0; !st && i < n; i++)
        st = pg_grant_schema(t, svcs[i]->name, PG_TENANTS_ROLE, err, errlen);
    if (!st && n == 0)
        st = pg_do(t, "GRANT SELECT ON public.td_migrations TO " PG_TENANTS_ROLE, "granting",
                   err, errlen);
    if (!st)
        st = pg_do(t, "COMMIT", "committing the template", err, errlen);
    PQfinish(t);
    if (st) { /* best effort: the next run would drop it anyway */
        snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", tmp);
        PQclear(PQexec(admin, sql));
        return st;
    }
    snprintf(sql, sizeof(sql), "ALTER DATABASE %s WITH ALLOW_CONNECTIONS false", tmp);
    if ((st = pg_do(admin, sql, "closing the template", err, errlen)))
        return st;
    snprintf(sql, sizeof(sql), "ALTER DATABASE %s RENAME TO %s", tmp, tpl);
    return pg_do(admin, sql, "renaming the template", err, errlen);
}

/* What one look at the server, under the provisioning lock, tells a
 * provisioning. */
typedef struct {
    int tpl, db, role;       /* the template, the tenant's database, its role exist */
    char spare[PG_NAME_MAX]; /* a ready spare of the template, or "" */
} pg_survey_t;

/* The SCRAM verifier of the tenant role's password as a quoted literal
 * (PQfreemem it): the server never sees the password itself. */
static td_status pg_verifier(PGconn *admin, const char *role, const char *password, char **lit,
                             char *err, size_t errlen) {
    char *verifier = PQencryptPasswordConn(admin, password, role, "scram-sha-256");
    *lit = verifier ? PQescapeLiteral(admin, verifier, strlen(verifier)) : NULL;
    if (verifier) {
        sodium_memzero(verifier, strlen(verifier));
        PQfreemem(verifier);
    }
    if (*lit)
        return TD_OK;
    pg_seterr(err, errlen, "cannot encrypt the password of role %s", role);
    return TD_E_NOMEM;
}

/* Sends sql and, while the server runs it, computes the role's verifier
 * (a few ms of CPU either way: they overlap); the last statement's result. */
static PGresult *pg_send_verify(PGconn *admin, const char *sql, const char *role,
                                const char *password, char **lit, td_status *vst, char *err,
                                size_t errlen) {
    int sent = PQsendQuery(admin, sql);
    if (!*lit)
        *vst = pg_verifier(admin, role, password, lit, err, errlen);
    if (!sent)
        return NULL;
    PGresult *last = NULL, *r;
    while ((r = PQgetResult(admin)) != NULL) {
        if (last && PQresultStatus(last) != PGRES_TUPLES_OK && PQresultStatus(r) == PGRES_TUPLES_OK)
            PQclear(r); /* keep the first error */
        else {
            PQclear(last);
            last = r;
        }
    }
    return last;
}

/* Takes the provisioning lock and looks at the server in one round trip
 * (every name in it is one we made: hex and underscores, nothing to quote;
 * the spare is found by its name's range in pg_database's index, then its
 * pattern; only one this role owns, as a clone it made would be), computing the role's verifier (*lit, the caller's to
 * PQfreemem) meanwhile. A kept admin connection that fails this is
 * replaced once. On success the lock is held on *admin. */
static td_status pg_lock_survey(const char *url, PGconn **admin, int reused, const char *name,
                                const char *tpl, const char *password, char **lit,
                                pg_survey_t *sv, char *err, size_t errlen) {
    char sql[1024], pattern[PG_NAME_MAX + 32], msg[PG_ERR_MAX];
    td_status vst = TD_OK;
    pg_spare_pattern(tpl, pattern, sizeof(pattern));
    snprintf(sql, sizeof(sql),
             "SELECT pg_advisory_lock(%lld);"
             "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = '%s'),"
             " EXISTS (SELECT 1 FROM pg_database WHERE datname = '%s'),"
             " EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '%s'),"
             " (SELECT datname FROM pg_database WHERE datname > '%s_spare_'"
             " AND datname < '%s_spare`' AND datname ~ '%s'"
             " AND pg_get_userbyid(datdba) = current_user ORDER BY datname LIMIT 1)",
             PG_LOCK_PROVISION, tpl, name, name, tpl, tpl, pattern);
    PGresult *res = pg_send_verify(*admin, sql, name, password, lit, &vst, err, errlen);
    td_status st = vst ? vst : pg_check(*admin, res, msg, sizeof(msg));
    if (st && !vst && reused) { /* the server ended the kept session: once more, anew */
        PQclear(res);
        PQfinish(*admin);
        *admin = NULL;
        if ((st = pg_connect(url, NULL, NULL, NULL, NULL, admin, err, errlen)))
            return st;
        res = PQexec(*admin, sql);
        st = pg_check(*admin, res, msg, sizeof(msg));
    }
    if (!st && PQntuples(res) != 1)
        snprintf(msg, sizeof(msg), "no answer"), st = TD_E_DB;
    if (st && !vst)
        pg_seterr(err, errlen, "looking at the server: %s", msg);
    else if (!st) {
        sv->tpl = PQgetvalue(res, 0, 0)[0] == 't';
        sv->db = PQgetvalue(res, 0, 1)[0] == 't';
        sv->role = PQgetvalue(res, 0, 2)[0] == 't';
        snprintf(sv->spare, sizeof(sv->spare), "%s", PQgetvalue(res, 0, 3));
    }
    PQclear(res);
    return st;
}

/* The tenant's database from the template, made now (no transaction may
 * hold CREATE DATABASE). */
static td_status pg_clone(PGconn *admin, const char *name, const char *tpl, char *err,
                          size_t errlen) {
    char sql[3 * PG_NAME_MAX];
    snprintf(sql, sizeof(sql), "CREATE DATABASE %s TEMPLATE %s", name, tpl);
    return pg_do(admin, sql, "creating the tenant database", err, errlen);
}

/* The rest, in one transaction and one round trip: the spare renamed to
 * the tenant's database (when spare is given), the login role created (or
 * its password set, on a retry) with the SCRAM verifier lit (a quoted
 * literal) and made a member of the tenants group, PUBLIC's rights on the
 * database revoked and the role's granted; then the lock let go. Nothing
 * of it stays when a statement fails (the lock is then still held). *gone
 * = 1 when the spare was taken from under us (dropped, or in use). */
static td_status pg_finish_tenant(PGconn *admin, const char *name, const char *spare, int role,
                                  const char *lit, int *gone, char *err, size_t errlen) {
    char rename[3 * PG_NAME_MAX] = "", sql[2048], msg[PG_ERR_MAX];
    if (spare)
        snprintf(rename, sizeof(rename), "ALTER DATABASE %s RENAME TO %s;", spare, name);
    snprintf(sql, sizeof(sql),
             "%s%s ROLE %s LOGIN PASSWORD %s;GRANT " PG_TENANTS_ROLE " TO %s;"
             "REVOKE ALL ON DATABASE %s FROM PUBLIC;"
             "GRANT CONNECT, TEMPORARY ON DATABASE %s TO %s;SELECT pg_advisory_unlock(%lld)",
             rename, role ? "ALTER" : "CREATE", name, lit, name, name, name, name,
             PG_LOCK_PROVISION);
    PGresult *res = PQexec(admin, sql);
    sodium_memzero(sql, sizeof(sql));
    td_status st = pg_check(admin, res, msg, sizeof(msg));
    *gone = st && spare && (pg_state_is(res, "3D000") || pg_state_is(res, "55006"));
    if (st && !*gone)
        pg_seterr(err, errlen, "creating the tenant role and grants: %s", msg);
    PQclear(res);
    return st;
}

/* Steps 1–4 of tenant_create, on the admin connection under the lock (let
 * go on success): the template built if missing; the database a spare
 * renamed (postgres_spares.c) when one of the template is ready, else a
 * clone made now; either way then the same role and grants. */
static td_status pg_provision(const td_place_t *pl, PGconn *admin, const char *name,
                              const char *tpl, const td_schema_t *const *sorted, size_t n,
                              const pg_survey_t *sv, const char *lit, char *err, size_t errlen) {
    int gone = 0;
    const char *spare = !sv->db && sv->spare[0] ? sv->spare : NULL;
    td_status st = sv->tpl ? TD_OK : pg_template_ensure(pl, admin, tpl, sorted, n, err, errlen);
    if (!st && !sv->db && !spare)
        st = pg_clone(admin, name, tpl, err, errlen);
    if (!st)
        st = pg_finish_tenant(admin, name, spare, sv->role, lit, &gone, err, errlen);
    if (st && gone) { /* a filler dropped it meanwhile: clone after all */
        spare = NULL;
        st = pg_clone(admin, name, tpl, err, errlen);
        if (!st)
            st = pg_finish_tenant(admin, name, NULL, sv->role, lit, &gone, err, errlen);
    }
    if (!sv->db)
        pg_spares_count(!st && spare);
    return st;
}

/* Idempotent and crash-safe: every step checks or tolerates what a previous
 * run left (a database renamed or cloned, then in one transaction the role
 * and grants). The tenant's schemas come from the template; re-running with
 * other services does not change an existing database (tenant_add_service
 * does). The admin connection is the kept one when there is one
 * (postgres_admin.c), and is kept after. */
td_status pg_tenant_create(const td_place_t *pl, const char *tenant_id,
                                  const td_tenant_cred_t *cred, const td_schema_t *svcs,
                                  size_t n, char *err, size_t errlen) {
    char name[PG_NAME_MAX], tpl[PG_NAME_MAX], *lit = NULL;
    PGconn *admin = NULL;
    pg_survey_t sv;
    int reused = 0;
    if (pl->dedicated) { /* each service's migrations, in the brought database */
        td_status rc = TD_OK;
        for (size_t i = 0; !rc && i < n; i++)
            rc = pg_tenant_add_service(pl, tenant_id, cred, &svcs[i], err, errlen);
        return rc;
    }
    const td_schema_t **sorted = calloc(n ? n : 1, sizeof(*sorted));
    td_status st = sorted ? TD_OK : TD_E_NOMEM;
    if (!st && (!cred || !cred->password || !cred->password[0])) {
        pg_seterr(err, errlen, "tenant role needs a password");
        st = TD_E_INVALID;
    }
    if (!st)
        st = pg_tenant_name(tenant_id, name, err, errlen);
    if (!st)
        st = pg_template_name(svcs, n, sorted, tpl, err, errlen);
    if (!st)
        st = pg_admin_take(pl->root, &admin, &reused, err, errlen);
    if (!st && !(st = pg_lock_survey(pl->root, &admin, reused, name, tpl, cred->password, &lit,
                                     &sv, err, errlen))) {
        st = pg_provision(pl, admin, name, tpl, sorted, n, &sv, lit, err, errlen);
        if (st) /* the lock is let go with the last statement, unless it failed */
            pg_lock(admin, PG_LOCK_PROVISION, 0, NULL, 0);
    }
    /* table privileges came with the template (granted to the group role) */
    pg_admin_give(pl->root, admin, st == TD_OK); /* kept for the next one */
    if (lit)
        sodium_memzero(lit, strlen(lit));
    PQfreemem(lit);
    free(sorted);
    return st;
}

/* Applies svc's migrations not yet recorded in the tenant database, one
 * transaction each (serialized per database by an advisory lock), then
 * grants the tenant role the schema. cred is not needed on PostgreSQL. */
td_status pg_tenant_add_service(const td_place_t *pl, const char *tenant_id,
                                       const td_tenant_cred_t *cred, const td_schema_t *svc,
                                       char *err, size_t errlen) {
    char name[PG_NAME_MAX], lock[80], ver[16];
    PGconn *c = NULL;
    (void)cred;
    td_status st = pg_tenant_name(tenant_id, name, err, errlen);
    if (!st && (!svc || !pg_schema_name_ok(svc->name))) {
        pg_seterr(err, errlen, "invalid service name");
        st = TD_E_INVALID;
    }
    if (!st)
        st = pg_connect(pl->root, pl->dedicated ? NULL : name, NULL, NULL, NULL, &c, err, errlen);
    if (!st && pl->dedicated) /* a brought database starts without the ledger */
        st = pg_do(c,
                   "CREATE TABLE IF NOT EXISTS public.td_migrations (scope TEXT NOT NULL,"
                   " version INTEGER NOT NULL, name TEXT NOT NULL, applied_at TEXT NOT NULL,"
                   " PRIMARY KEY (scope, version))",
                   "creating td_migrations", err, errlen);
    snprintf(lock, sizeof(lock), "BEGIN; SELECT pg_advisory_xact_lock(%lld)", PG_LOCK_MIGRATE);
    for (size_t m = 0; !st && m < svc->n; m++) {
        const td_migration_t *mig = &svc->migs[m];
        const char *p[2] = {svc->name, ver};
        int done = 0;
        snprintf(ver, sizeof(ver), "%d", mig->version);
        if ((st = pg_do(c, lock, "locking migrations", err, errlen)))
            break;
        PGresult *res = PQexecParams(c,
                                     "SELECT 1 FROM public.td_migrations WHERE scope = $1 AND "
                                     "version = $2::integer",
                                     2, NULL, p, NULL, NULL, 0);
        char msg[PG_ERR_MAX];
        if ((st = pg_check(c, res, msg, sizeof(msg))))
            pg_seterr(err, errlen, "reading td_migrations: %s", msg);
        else
            done = PQntuples(res) > 0;
        PQclear(res);
        if (!st && !done)
            st = pg_apply(c, svc->name, mig, err, errlen);
        if (!st)
            st = pg_do(c, "COMMIT", "committing a migration", err, errlen);
    }
    if (!st && !pl->dedicated) /* a brought database's own role owns what it made */
        st = pg_grant_schema(c, svc->name, name, err, errlen);
    if (c)
        PQfinish(c);
    return st;
}

/* Idempotent: ends the tenant's sessions, drops its database and role. */
/* A brought database is not ours to drop: only the schemas tenantd made in
 * it (those its ledger names) and the ledger go. */
static td_status drop_dedicated(const td_place_t *pl, char *err, size_t errlen) {
    PGconn *c = NULL;
    td_status st = pg_connect(pl->root, NULL, NULL, NULL, NULL, &c, err, errlen);
    PGresult *res = NULL;
    char msg[PG_ERR_MAX];
    if (!st) {
        res = PQexec(c, "SELECT DISTINCT scope FROM public.td_migrations");
        if (PQresultStatus(res) != PGRES_TUPLES_OK && pg_state_is(res, "42P01")) {
            PQclear(res); /* no ledger: nothing of ours is there */
            PQfinish(c);
            return TD_OK;
        }
        if ((st = pg_check(c, res, msg, sizeof(msg))))
            pg_seterr(err, errlen, "reading td_migrations: %s", msg);
    }
    for (int i = 0; !st && i < PQntuples(res); i++) {
        const char *scope = PQgetvalue(res, i, 0);
        char sql[160];
        if (!pg_schema_name_ok(scope))
            continue;
        snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS %s CASCADE", scope);
        st = pg_do(c, sql, "dropping a service schema", err, errlen);
    }
    PQclear(res);
    if (!st)
        st = pg_do(c, "DROP TABLE IF EXISTS public.td_migrations", "dropping td_migrations", err,
                   errlen);
    if (c)
        PQfinish(c);
    return st;
}

td_status pg_tenant_drop(const td_place_t *pl, const char *tenant_id, char *err,
                                size_t errlen) {
    if (pl->dedicated)
        return drop_dedicated(pl, err, errlen);
    char name[PG_NAME_MAX], sql[256];
    PGconn *admin = NULL;
    int ignored;
    td_status st = pg_tenant_name(tenant_id, name, err, errlen);
    if (!st && !(st = pg_admin_lock(pl->root, PG_LOCK_PROVISION, &admin, err, errlen))) {
        st = pg_query_int(admin,
                          "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                          "WHERE datname = $1 OR usename = $1",
                          name, &ignored, err, errlen);
        snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", name);
        if (!st)
            st = pg_do(admin, sql, "dropping the tenant database", err, errlen);
        snprintf(sql, sizeof(sql), "DROP ROLE IF EXISTS %s", name);
        if (!st)
            st = pg_do(admin, sql, "dropping the tenant role", err, errlen);
        td_status ul = pg_lock(admin, PG_LOCK_PROVISION, 0, st ? NULL : err, errlen);
        st = st ? st : ul;
    }
    pg_admin_give(pl->root, admin, st == TD_OK);
    return st;
}

td_status pg_tenant_open(const td_place_t *pl, const char *tenant_id,
                                const td_tenant_cred_t *cred, const char *const *services,
                                size_t n, td_db_t **out, char *err, size_t errlen) {
    char name[PG_NAME_MAX], what[96];
    PGconn *c;
    (void)services; /* every schema is in the one database */
    (void)n;
    *out = NULL;
    td_status st = pg_tenant_name(tenant_id, name, err, errlen);
    if (st)
        return st;
    snprintf(what, sizeof(what), "tenant %s", tenant_id);
    if (pl->dedicated) { /* the brought URL carries its own credentials */
        st = pg_connect(pl->root, NULL, NULL, NULL, what, &c, err, errlen);
        return st ? TD_E_UNAVAILABLE : pg_wrap(c, out);
    }
    if (!cred || !cred->password) {
        pg_seterr(err, errlen, "tenant %s: no password", tenant_id);
        return TD_E_INVALID;
    }
    st = pg_connect(pl->root, name, name, cred->password, what, &c, err, errlen);
    if (st == TD_E_INVALID)
        return st;
    return st ? TD_E_UNAVAILABLE : pg_wrap(c, out);
}

/* The tenant database as the admin role, which owns every schema and
 * table the migrations made (a brought database: its own URL's role). */
td_status pg_tenant_open_admin(const td_place_t *pl, const char *tenant_id, const char *service,
                               td_db_t **out, char *err, size_t errlen) {
    char name[PG_NAME_MAX], what[96];
    PGconn *c;
    *out = NULL;
    td_status st = pg_tenant_name(tenant_id, name, err, errlen);
    if (!st && !pg_schema_name_ok(service)) {
        pg_seterr(err, errlen, "invalid service name");
        st = TD_E_INVALID;
    }
    if (st)
        return st;
    snprintf(what, sizeof(what), "tenant %s", tenant_id);
    st = pg_connect(pl->root, pl->dedicated ? NULL : name, NULL, NULL, what, &c, err, errlen);
    return st ? st : pg_wrap(c, out);
}

/* 0 only when certainly absent: a server we cannot ask counts as 1. */
int pg_tenant_exists(const td_place_t *pl, const char *tenant_id) {
    char name[PG_NAME_MAX];
    PGconn *admin;
    int exists = 1;
    if (pg_tenant_name(tenant_id, name, NULL, 0) != TD_OK)
        return 0; /* we never create anything for such an id */
    if (pg_connect(pl->root, NULL, NULL, NULL, NULL, &admin, NULL, 0) != TD_OK)
        return 1;
    if (pl->dedicated) {
        /* a tenant's ledger, or the schema every tenant has (auth): a
         * database that holds either cannot take a tenant's schemas */
        PGresult *res = PQexec(admin, "SELECT to_regclass('public.td_migrations') IS NOT NULL"
                                      " OR EXISTS (SELECT 1 FROM pg_namespace"
                                      " WHERE nspname = 'auth')");
        exists = PQresultStatus(res) != PGRES_TUPLES_OK || PQgetvalue(res, 0, 0)[0] == 't';
        PQclear(res);
        PQfinish(admin);
        return exists;
    }
    if (pg_query_int(admin,
                     "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) OR "
                     "EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)",
                     name, &exists, NULL, 0) != TD_OK)
        exists = 1;
    PQfinish(admin);
    return exists;
}

td_status pg_place_check(const td_place_t *pl, char *err, size_t errlen) {
    PGconn *admin;
    td_status st = pg_connect(pl->root, NULL, NULL, NULL, NULL, &admin, err, errlen);
    if (st)
        return st;
    st = pg_do(admin, "SELECT 1", "checking the server", err, errlen);
    int may = 1; /* a brought database: its user makes the services' schemas */
    if (!st && pl->dedicated)
        st = pg_query_int(admin, "SELECT CASE WHEN has_database_privilege("
                                 "current_database(), 'CREATE') THEN 1 ELSE 0 END",
                          NULL, &may, err, errlen);
    if (!st && !may) {
        pg_seterr(err, errlen, "the user may not create schemas in that database");
        st = TD_E_FORBIDDEN;
    }
    PQfinish(admin);
    return st;
}


/* Checks, as the tenant's own role, that every service schema exists,
 * is usable and holds tables. */
td_status pg_tenant_ping(td_db_t *db_, const char *const *services, size_t n, char *err,
                         size_t errlen) {
    pg_db *db = (pg_db *)db_;
    for (size_t i = 0; i < n; i++) {
        if (!pg_schema_name_ok(services[i])) {
            pg_seterr(err, errlen, "invalid service name");
            return TD_E_INVALID;
        }
        const char *param = services[i];
        char msg[PG_ERR_MAX];
        PGresult *res = PQexecParams(db->conn,
                                     "SELECT has_schema_privilege(current_user, $1, 'USAGE')"
                                     " AND EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = $1)",
                                     1, NULL, &param, NULL, NULL, 0);
        td_status st = pg_check(db->conn, res, msg, sizeof(msg));
        int ok = !st && PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't';
        PQclear(res);
        if (!ok) {
            pg_seterr(err, errlen, "service %s: %s", services[i],
                      st ? msg : "schema missing or not readable");
            return st == TD_E_UNAVAILABLE ? st : TD_E_UNAVAILABLE;
        }
    }
    return TD_OK;
}
