/* postgres_spares.c — spare tenant databases on PostgreSQL.
 *
 * Cloning a template (CREATE DATABASE … TEMPLATE) is most of what
 * provisioning a tenant on PostgreSQL costs. A spare is such a clone made
 * ahead, named after its template: td_tpl_<16 hex>_spare_<n>. Provisioning
 * (postgres_tenant.c) finds one with pg_spare_pattern under its lock,
 * renames it to the tenant's database and grants it exactly as it grants a
 * fresh clone, in one transaction; when none is ready (or it is dropped
 * meanwhile) it clones as before, so nothing depends on spares.
 *
 * The pg.spares job (jobs/spares.c) keeps `want` spares of every template on
 * a server (pg_spares_fill), one filler per server at a time (an advisory
 * lock tried, never waited for). A spare is made under a _tmp name, closed
 * to PUBLIC, and only then renamed to its spare name: a filler killed at any
 * point leaves at most a _tmp database, which provisioning never takes and
 * the next fill drops. Spares of a template that is gone, and spares above
 * `want` (0 drops them all), are dropped.
 *
 * Names start with td_tpl_, so whatever lists tenant databases (td_<32
 * hex>) does not see them, and no spare name is ever a tenant's. A spare
 * holds no connection: it costs its template's size on disk. */
#include <stdatomic.h>

#include "common/fault.h"
#include "store/postgres_int.h"

#define SPARE_INFIX "_spare_"
#define TPL_PREFIX "td_tpl_"
#define HASH_LEN 16
#define TPL_LEN (sizeof(TPL_PREFIX) - 1 + HASH_LEN) /* td_tpl_<16 hex> */

/* Provisionings of this process that took a spare, and those that found
 * none ready (td_db_spares_counts): what the job's tick watches. */
static atomic_ullong spares_taken, spares_missed;

void td_db_spares_counts(uint64_t *taken, uint64_t *missed) {
    *taken = atomic_load(&spares_taken);
    *missed = atomic_load(&spares_missed);
}

void pg_spare_pattern(const char *tpl, char *out, size_t n) {
    snprintf(out, n, "^%s" SPARE_INFIX "[0-9]+$", tpl);
}

void pg_spares_count(int taken) { atomic_fetch_add(taken ? &spares_taken : &spares_missed, 1); }

/* ---- filling ------------------------------------------------------------ */

/* A template on the server and its spares. */
typedef struct {
    char hash[HASH_LEN + 1];
    long have;     /* complete spares kept */
    long long top; /* highest spare number seen (the next is top + 1) */
} tpl_t;

typedef struct {
    PGconn *admin;
    tpl_t *tpls;
    size_t ntpl;
    long want;
    td_spares_report_t *out;
    char *err;
    size_t errlen;
} fill_t;

static tpl_t *tpl_find(fill_t *f, const char *hash) {
    for (size_t i = 0; i < f->ntpl; i++)
        if (strncmp(f->tpls[i].hash, hash, HASH_LEN) == 0)
            return &f->tpls[i];
    return NULL;
}

static td_status drop(fill_t *f, const char *db) {
    char sql[2 * PG_NAME_MAX];
    snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", db);
    td_status st = pg_do(f->admin, sql, "dropping a spare database", f->err, f->errlen);
    if (!st)
        f->out->dropped++;
    return st;
}

/* Decides about one spare database (a name the listing's pattern matched):
 * a _tmp leftover, a spare of a template that is gone, and one above want
 * are dropped; any other is counted to its template. */
static td_status sort_spare(fill_t *f, const char *db) {
    const char *num = db + TPL_LEN + sizeof(SPARE_INFIX) - 1;
    tpl_t *t = tpl_find(f, db + sizeof(TPL_PREFIX) - 1);
    long long n = atoll(num);
    if (t && n > t->top)
        t->top = n;
    if (!t || strstr(num, "_tmp") || t->have >= f->want)
        return drop(f, db);
    t->have++;
    return TD_OK;
}

/* Reads the templates and the spares on the server — only spares this
 * role owns: another admin role's are not ours to take or drop — templates
 * first (the listing's order: a template's name is a prefix of its
 * spares'). */
static td_status survey(fill_t *f) {
    char msg[PG_ERR_MAX];
    PGresult *res = PQexec(f->admin,
                           "SELECT datname FROM pg_database WHERE datname ~ '^td_tpl_[0-9a-f]{16}$'"
                           " OR (datname ~ '^td_tpl_[0-9a-f]{16}_spare_[0-9]+(_tmp)?$'"
                           " AND pg_get_userbyid(datdba) = current_user) ORDER BY datname");
    td_status st = pg_check(f->admin, res, msg, sizeof(msg));
    int n = st ? 0 : PQntuples(res);
    if (st)
        pg_seterr(f->err, f->errlen, "listing templates and spares: %s", msg);
    else if (!(f->tpls = calloc((size_t)n + 1, sizeof(*f->tpls))))
        st = TD_E_NOMEM;
    for (int i = 0; !st && i < n; i++) {
        const char *db = PQgetvalue(res, i, 0);
        if (strlen(db) == TPL_LEN) {
            snprintf(f->tpls[f->ntpl++].hash, HASH_LEN + 1, "%s", db + sizeof(TPL_PREFIX) - 1);
            f->out->templates++;
        }
    }
    for (int i = 0; !st && i < n; i++) {
        const char *db = PQgetvalue(res, i, 0);
        if (strlen(db) > TPL_LEN)
            st = sort_spare(f, db);
    }
    PQclear(res);
    return st;
}

/* Makes one spare of t: cloned under a _tmp name, closed to PUBLIC (as a
 * tenant's database is; nobody but the owner may connect, so nothing holds
 * it open when it is renamed), then renamed to its spare name. */
static td_status make_one(fill_t *f, tpl_t *t) {
    char tmp[PG_NAME_MAX + 8], fin[PG_NAME_MAX], sql[4 * PG_NAME_MAX];
    long long n = ++t->top;
    snprintf(fin, sizeof(fin), TPL_PREFIX "%s" SPARE_INFIX "%lld", t->hash, n);
    snprintf(tmp, sizeof(tmp), "%s_tmp", fin);
    snprintf(sql, sizeof(sql), "CREATE DATABASE %s TEMPLATE " TPL_PREFIX "%s", tmp, t->hash);
    td_status st = pg_do(f->admin, sql, "cloning a spare database", f->err, f->errlen);
    TD_FAULT("spares.cloned");
    snprintf(sql, sizeof(sql), "REVOKE ALL ON DATABASE %s FROM PUBLIC", tmp);
    if (!st)
        st = pg_do(f->admin, sql, "closing a spare database", f->err, f->errlen);
    TD_FAULT("spares.closed");
    snprintf(sql, sizeof(sql), "ALTER DATABASE %s RENAME TO %s", tmp, fin);
    if (!st)
        st = pg_do(f->admin, sql, "naming a spare database", f->err, f->errlen);
    if (!st) {
        t->have++;
        f->out->made++;
    }
    return st;
}

/* Fills the templates' spares round by round (each template one more per
 * round), so that every template has one before any has two. */
static td_status fill_all(fill_t *f) {
    td_status st = TD_OK;
    for (long round = 0; !st && round < f->want; round++)
        for (size_t i = 0; !st && i < f->ntpl; i++)
            if (f->tpls[i].have <= round && f->tpls[i].have < f->want)
                st = make_one(f, &f->tpls[i]);
    for (size_t i = 0; i < f->ntpl; i++)
        f->out->ready += f->tpls[i].have;
    return st;
}

td_status pg_spares_fill(const td_place_t *pl, long want, td_spares_report_t *out, char *err,
                         size_t errlen) {
    fill_t f = {.want = want > 0 ? want : 0, .out = out, .err = err, .errlen = errlen};
    int locked = 0;
    memset(out, 0, sizeof(*out));
    if (pl->dedicated) /* a brought database: no templates, no spares */
        return TD_OK;
    td_status st = pg_connect(pl->root, NULL, NULL, NULL, NULL, &f.admin, err, errlen);
    if (!st) {
        char sql[80];
        snprintf(sql, sizeof(sql), "SELECT pg_try_advisory_lock(%lld)", PG_LOCK_SPARES);
        st = pg_query_int(f.admin, sql, NULL, &locked, err, errlen);
    }
    if (!st && !locked)
        out->busy = 1; /* another filler is at work on this server */
    if (!st && locked)
        st = survey(&f);
    if (!st && locked)
        st = fill_all(&f);
    free(f.tpls);
    if (f.admin) /* ends the session, and its advisory lock: spares hold none */
        PQfinish(f.admin);
    pg_admin_reap(); /* runs at least every 10 minutes (jobs/spares.c) */
    return st;
}
