/* postgres.c — the PostgreSQL storage driver (libpq).
 *
 * Connections and statements: '?' placeholders are rewritten to $1, $2…
 * and each distinct SQL text is prepared once per connection on the server
 * (a per-connection cache keyed by the text), so a statement prepared again
 * costs no round trip. Results come back whole, in text format.
 *
 * Tenant databases: a tenant is a database and a LOGIN role, both named
 * td_<compact id>. Databases are cloned (CREATE DATABASE … TEMPLATE) from a
 * template database built once per set of services and migrations and
 * named after a hash of them, td_tpl_<16 hex>. The tenant role gets CONNECT
 * on its own database only (PUBLIC loses it) and DML on its services'
 * schemas; tables stay owned by the administrative role, so row-level
 * security, where used, applies to the tenant.
 *
 * Secrets: the admin URL and tenant passwords never reach an error message
 * (URLs are redacted, libpq messages scrubbed); role passwords are sent as
 * SCRAM verifiers computed client-side, so not even the server's statement
 * log sees them in clear. */
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
/* Part of the template hash: bump when the way templates are built changes. */
#define PG_TEMPLATE_LAYOUT "tenantd-pg-template-1"

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

/* ---- messages ---------------------------------------------------------- */

static void pg_seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void pg_seterr(char *err, size_t errlen, const char *fmt, ...) {
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static void pg_put(char *out, size_t n, size_t *o, const char *s, size_t len) {
    for (size_t i = 0; i < len && *o + 1 < n; i++)
        out[(*o)++] = s[i];
    out[*o < n ? *o : n - 1] = '\0';
}

/* Copies url into out with the password of its user info and any
 * password= query parameter replaced by "***". */
static void pg_redact(const char *url, char *out, size_t n) {
    size_t o = 0;
    if (n == 0)
        return;
    out[0] = '\0';
    const char *p = strstr(url, "://");
    const char *auth = p ? p + 3 : url;
    const char *end = auth + strcspn(auth, "/?#");
    const char *at = NULL;
    for (const char *q = auth; q < end; q++)
        if (*q == '@')
            at = q;
    const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
    if (colon) {
        pg_put(out, n, &o, url, (size_t)(colon + 1 - url));
        pg_put(out, n, &o, "***", 3);
        p = at;
    } else {
        p = url;
    }
    for (;;) {
        const char *k = strstr(p, "password=");
        if (!k) {
            pg_put(out, n, &o, p, strlen(p));
            return;
        }
        pg_put(out, n, &o, p, (size_t)(k - p) + 9);
        pg_put(out, n, &o, "***", 3);
        p = k + 9 + strcspn(k + 9, "&#");
    }
}

/* Replaces every occurrence of secret in msg (in place) with "***", and
 * line breaks with spaces, so libpq messages fit on one line. */
static void pg_scrub(char *msg, const char *secret) {
    size_t sl = secret ? strlen(secret) : 0;
    char *p;
    if (!msg)
        return;
    while (sl >= 3 && (p = strstr(msg, secret)) != NULL) {
        memcpy(p, "***", 3);
        memmove(p + 3, p + sl, strlen(p + sl) + 1);
    }
    for (p = msg; *p; p++)
        if (*p == '\n' || *p == '\r' || *p == '\t')
            *p = ' ';
    for (size_t l = strlen(msg); l > 0 && msg[l - 1] == ' '; l--)
        msg[l - 1] = '\0';
}

/* SQLSTATE prefixes → statuses, first match wins; anything else is
 * TD_E_DB. */
static const struct {
    const char *prefix;
    td_status st;
} pg_states[] = {
    {"23505", TD_E_EXISTS},      {"23", TD_E_CONFLICT},       {"40001", TD_E_BUSY},
    {"40P01", TD_E_BUSY},        {"55P03", TD_E_BUSY},        {"08", TD_E_UNAVAILABLE},
    {"57P", TD_E_UNAVAILABLE},   {"53300", TD_E_UNAVAILABLE},
};

/* Checks a result: TD_OK for success; otherwise the mapped status, with
 * the server's primary message, SQLSTATE and position in out (never the
 * statement text, which may hold secrets). Does not clear res. */
static td_status pg_check(PGconn *conn, const PGresult *res, char *out, size_t n) {
    ExecStatusType s = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK || s == PGRES_EMPTY_QUERY)
        return TD_OK;
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *pos = res ? PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION) : NULL;
    if (!msg)
        msg = PQerrorMessage(conn);
    pg_seterr(out, n, "%s%s%s%s%s%s", msg, state ? " (SQLSTATE " : "", state ? state : "",
              state ? ")" : "", pos ? " at character " : "", pos ? pos : "");
    pg_scrub(out, NULL);
    if (PQstatus(conn) == CONNECTION_BAD)
        return TD_E_UNAVAILABLE;
    if (s != PGRES_FATAL_ERROR && s != PGRES_NONFATAL_ERROR)
        return TD_E_DB; /* COPY and the like: not something we drive */
    for (size_t i = 0; state && i < sizeof(pg_states) / sizeof(pg_states[0]); i++)
        if (strncmp(state, pg_states[i].prefix, strlen(pg_states[i].prefix)) == 0)
            return pg_states[i].st;
    return TD_E_DB;
}

static int pg_state_is(const PGresult *res, const char *state) {
    const char *s = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    return s && strcmp(s, state) == 0;
}

static void pg_quiet(void *arg, const char *message) {
    (void)arg;
    (void)message;
}

/* ---- connections -------------------------------------------------------- */

/* Connects with url (a postgres:// URL), optionally overriding its database,
 * user and password: libpq expands the first "dbname" as the URL and later
 * keywords override what it says. Messages name the redacted URL, the
 * target (what, when not NULL, instead of it) and never a password.
 * *out is the caller's to PQfinish. */
static td_status pg_connect(const char *url, const char *dbname, const char *user,
                            const char *password, const char *what, PGconn **out, char *err,
                            size_t errlen) {
    const char *kw[9] = {"options", "client_encoding", "connect_timeout",
                         "fallback_application_name", "dbname"};
    const char *val[9] = {"-c client_min_messages=warning", "UTF8", "10", "tenantd", url};
    char red[256], *perr = NULL, *url_pw = NULL;
    int i = 5;
    *out = NULL;
    pg_redact(url ? url : "", red, sizeof(red));
    if (!url || (strncmp(url, "postgres://", 11) != 0 && strncmp(url, "postgresql://", 13) != 0)) {
        pg_seterr(err, errlen, "not a PostgreSQL URL: %s", red);
        return TD_E_INVALID;
    }
    PQconninfoOption *opts = PQconninfoParse(url, &perr);
    if (!opts) {
        pg_seterr(err, errlen, "invalid PostgreSQL URL: %s", red);
        PQfreemem(perr); /* it may quote the password */
        return TD_E_INVALID;
    }
    for (PQconninfoOption *o = opts; o->keyword && !url_pw; o++)
        if (strcmp(o->keyword, "password") == 0 && o->val)
            url_pw = strdup(o->val);
    PQconninfoFree(opts);
    if (dbname)
        kw[i] = "dbname", val[i++] = dbname;
    if (user)
        kw[i] = "user", val[i++] = user;
    if (password)
        kw[i] = "password", val[i++] = password;
    kw[i] = NULL, val[i] = NULL;
    PGconn *c = PQconnectdbParams(kw, val, 1);
    td_status st = TD_OK;
    if (!c) {
        pg_seterr(err, errlen, "out of memory connecting to PostgreSQL");
        st = TD_E_NOMEM;
    } else if (PQstatus(c) != CONNECTION_OK) {
        pg_seterr(err, errlen, "cannot connect to %s%s%s: %s", what ? what : red,
                  dbname && !what ? " database " : "", dbname && !what ? dbname : "",
                  PQerrorMessage(c));
        if (err && errlen) {
            pg_scrub(err, url_pw);
            pg_scrub(err, password);
        }
        PQfinish(c);
        st = TD_E_UNAVAILABLE;
    } else {
        PQsetNoticeProcessor(c, pg_quiet, NULL);
        *out = c;
    }
    if (url_pw) {
        sodium_memzero(url_pw, strlen(url_pw));
        free(url_pw);
    }
    return st;
}

static td_status pg_wrap(PGconn *c, td_db_t **out) {
    pg_db *db = calloc(1, sizeof(*db));
    if (!db) {
        PQfinish(c);
        return TD_E_NOMEM;
    }
    db->base.drv = &td_postgres_driver;
    db->conn = c;
    *out = &db->base;
    return TD_OK;
}

static td_status pg_open(const char *url, int flags, td_db_t **out, char *err, size_t errlen) {
    PGconn *c;
    (void)flags; /* TD_DB_CATALOG: durability is the server's business */
    *out = NULL;
    td_status st = pg_connect(url, NULL, NULL, NULL, NULL, &c, err, errlen);
    return st ? st : pg_wrap(c, out);
}

static void pg_close(td_db_t *db_) {
    pg_db *db = (pg_db *)db_;
    if (!db)
        return;
    for (size_t b = 0; b < PG_CACHE_BUCKETS; b++)
        for (pg_cached *e = db->cache[b], *next; e; e = next) {
            next = e->next;
            free(e->sql);
            free(e->pgsql);
            free(e);
        }
    PQfinish(db->conn);
    free(db);
}

static td_status pg_exec(td_db_t *db_, const char *sql) {
    pg_db *db = (pg_db *)db_;
    PGresult *res = PQexec(db->conn, sql);
    td_status st = pg_check(db->conn, res, db->err, sizeof(db->err));
    PQclear(res);
    return st;
}

static const char *pg_errmsg(td_db_t *db) {
    return ((pg_db *)db)->err;
}

static td_status pg_begin(td_db_t *db, td_db_txn_kind kind) {
    (void)kind;
    return pg_exec(db, "BEGIN");
}

/* COMMIT of a failed transaction "succeeds" by rolling back: report it. */
static td_status pg_commit(td_db_t *db_) {
    pg_db *db = (pg_db *)db_;
    PGresult *res = PQexec(db->conn, "COMMIT");
    td_status st = pg_check(db->conn, res, db->err, sizeof(db->err));
    if (st == TD_OK && strcmp(PQcmdStatus(res), "ROLLBACK") == 0) {
        pg_seterr(db->err, sizeof(db->err), "transaction rolled back: an earlier statement failed");
        st = TD_E_DB;
    }
    PQclear(res);
    return st;
}

static td_status pg_rollback(td_db_t *db) {
    return pg_exec(db, "ROLLBACK");
}

/* ---- placeholders and the statement cache ----------------------------- */

static int pg_ident_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || (unsigned char)c >= 0x80;
}

/* Where the quoted/commented section starting at s ends (one past it), or
 * s itself when s starts none. Knows '…' (E'…' with backslashes), "…",
 * -- comments, nested block comments and $tag$…$tag$. */
static const char *pg_skip(const char *sql, const char *s) {
    int word = s > sql && pg_ident_char(s[-1]);
    if (*s == '\'' || *s == '"') {
        int bs = *s == '\'' && s > sql && (s[-1] == 'E' || s[-1] == 'e') &&
                 !(s - 1 > sql && pg_ident_char(s[-2]));
        char q = *s++;
        for (; *s; s++) {
            if (bs && *s == '\\' && s[1])
                s++;
            else if (*s == q && s[1] == q)
                s++; /* '' or "" inside */
            else if (*s == q)
                return s + 1;
        }
        return s;
    }
    if (s[0] == '-' && s[1] == '-')
        return s + strcspn(s, "\n");
    if (s[0] == '/' && s[1] == '*') {
        int depth = 0;
        for (; *s; s++) {
            if (s[0] == '/' && s[1] == '*')
                depth++, s++;
            else if (s[0] == '*' && s[1] == '/' && --depth == 0)
                return s + 2;
            else if (s[0] == '*' && s[1] == '/')
                s++;
        }
        return s;
    }
    if (*s == '$' && !word) {
        const char *t = s + 1;
        if (!(*t >= '0' && *t <= '9'))
            while (pg_ident_char(*t) && *t != '$')
                t++;
        if (*t == '$') {
            size_t tl = (size_t)(t + 1 - s);
            const char *close = t + 1;
            while ((close = strchr(close, '$')) && strncmp(close, s, tl) != 0)
                close++;
            return close ? close + tl : s + strlen(s);
        }
    }
    return s;
}

/* Rewrites '?' to $1…$n into out (when not NULL; it must hold
 * strlen(sql) + 5 * n + 1 bytes) and returns n. */
static int pg_rewrite(const char *sql, char *out) {
    int n = 0;
    const char *s = sql;
    while (*s) {
        const char *e = pg_skip(sql, s);
        if (e != s) {
            if (out)
                out += sprintf(out, "%.*s", (int)(e - s), s);
            s = e;
        } else if (*s == '?') {
            n++;
            if (out)
                out += sprintf(out, "$%d", n);
            s++;
        } else {
            if (out)
                *out++ = *s;
            s++;
        }
    }
    if (out)
        *out = '\0';
    return n;
}

static char *pg_rewrite_dup(const char *sql, int *nparams) {
    *nparams = pg_rewrite(sql, NULL);
    char *out = malloc(strlen(sql) + 5 * (size_t)*nparams + 1);
    if (out)
        pg_rewrite(sql, out);
    return out;
}

static size_t pg_hash(const char *s) {
    size_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h % PG_CACHE_BUCKETS;
}

/* Prepares e on the server under a fresh name. */
static td_status pg_server_prepare(pg_db *db, pg_cached *e) {
    snprintf(e->name, sizeof(e->name), "td_%lu", ++db->next_name);
    PGresult *res = PQprepare(db->conn, e->name, e->pgsql, 0, NULL);
    td_status st = pg_check(db->conn, res, db->err, sizeof(db->err));
    PQclear(res);
    e->ready = st == TD_OK;
    return st;
}

/* Finds or creates the cache entry for sql, prepared on the server. *out is
 * NULL (and TD_OK returned) when the cache is full. */
static td_status pg_cache_get(pg_db *db, const char *sql, pg_cached **out) {
    size_t b = pg_hash(sql);
    pg_cached *e = db->cache[b];
    *out = NULL;
    while (e && strcmp(e->sql, sql) != 0)
        e = e->next;
    if (e) {
        td_status st = e->ready ? TD_OK : pg_server_prepare(db, e);
        *out = st ? NULL : e;
        return st;
    }
    if (db->ncached >= PG_CACHE_MAX)
        return TD_OK;
    if (!(e = calloc(1, sizeof(*e))) || !(e->sql = strdup(sql)) ||
        !(e->pgsql = pg_rewrite_dup(sql, &e->nparams))) {
        if (e)
            free(e->sql);
        free(e);
        return TD_E_NOMEM;
    }
    td_status st = pg_server_prepare(db, e);
    if (st) {
        free(e->sql);
        free(e->pgsql);
        free(e);
        return st;
    }
    e->next = db->cache[b];
    db->cache[b] = e;
    db->ncached++;
    *out = e;
    return TD_OK;
}

/* ---- statements --------------------------------------------------------- */

static void pg_clear_result(pg_stmt *st) {
    if (st->blobs && st->res)
        for (int c = 0; c < PQnfields(st->res); c++) {
            PQfreemem(st->blobs[c].p);
            st->blobs[c].p = NULL;
        }
    free(st->blobs);
    st->blobs = NULL;
    PQclear(st->res);
    st->res = NULL;
    st->row = 0;
}

static void pg_finalize(td_stmt_t *st_) {
    pg_stmt *st = (pg_stmt *)st_;
    if (!st)
        return;
    pg_clear_result(st);
    for (int i = 0; i < st->nparams; i++)
        free(st->values[i]);
    free(st->values);
    free(st->lengths);
    free(st->formats);
    free(st->own_sql);
    free(st);
}

static td_status pg_prepare(td_db_t *db_, const char *sql, td_stmt_t **out) {
    pg_db *db = (pg_db *)db_;
    pg_cached *e;
    *out = NULL;
    td_status s = pg_cache_get(db, sql, &e);
    if (s)
        return s;
    pg_stmt *st = calloc(1, sizeof(*st));
    if (!st)
        return TD_E_NOMEM;
    st->base.drv = &td_postgres_driver;
    st->db = db;
    st->ps = e;
    if (e)
        st->nparams = e->nparams;
    else if (!(st->own_sql = pg_rewrite_dup(sql, &st->nparams)))
        goto nomem;
    if (st->nparams > 0) {
        st->values = calloc((size_t)st->nparams, sizeof(*st->values));
        st->lengths = calloc((size_t)st->nparams, sizeof(*st->lengths));
        st->formats = calloc((size_t)st->nparams, sizeof(*st->formats));
        if (!st->values || !st->lengths || !st->formats)
            goto nomem;
    }
    *out = &st->base;
    return TD_OK;
nomem:
    pg_finalize(&st->base);
    return TD_E_NOMEM;
}

/* Stores v (owned; NULL for SQL NULL) as parameter idx. Binding after
 * execution starts the statement over, as a reset would. */
static td_status pg_bind(td_stmt_t *st_, int idx, char *v, size_t len, int format) {
    pg_stmt *st = (pg_stmt *)st_;
    if (idx < 1 || idx > st->nparams || len > INT_MAX) {
        free(v);
        return idx < 1 || idx > st->nparams ? TD_E_INVALID : TD_E_TOOBIG;
    }
    pg_clear_result(st);
    free(st->values[idx - 1]);
    st->values[idx - 1] = v;
    st->lengths[idx - 1] = (int)len;
    st->formats[idx - 1] = format;
    return TD_OK;
}

static td_status pg_bind_null(td_stmt_t *st, int idx) {
    return pg_bind(st, idx, NULL, 0, 0);
}

static td_status pg_bind_text(td_stmt_t *st, int idx, const char *v) {
    char *copy = v ? strdup(v) : NULL;
    if (v && !copy)
        return TD_E_NOMEM;
    return pg_bind(st, idx, copy, v ? strlen(v) : 0, 0);
}

static td_status pg_bind_int64(td_stmt_t *st, int idx, int64_t v) {
    char buf[24];
    snprintf(buf, sizeof(buf), "%lld", (long long)v);
    return pg_bind_text(st, idx, buf);
}

static td_status pg_bind_blob(td_stmt_t *st, int idx, const void *p, size_t n) {
    char *copy = malloc(n ? n : 1);
    if (!copy)
        return TD_E_NOMEM;
    if (n)
        memcpy(copy, p, n);
    return pg_bind(st, idx, copy, n, 1);
}

/* Executes st. A cached statement the server no longer accepts (dropped, or
 * "cached plan must not change result type" after a schema change) is
 * prepared afresh and run once more, when outside a transaction. */
static td_status pg_execute(pg_stmt *st) {
    pg_db *db = st->db;
    for (int attempt = 0;; attempt++) {
        PGresult *res =
            st->ps ? PQexecPrepared(db->conn, st->ps->name, st->nparams,
                                    (const char *const *)st->values, st->lengths, st->formats, 0)
                   : PQexecParams(db->conn, st->own_sql, st->nparams, NULL,
                                  (const char *const *)st->values, st->lengths, st->formats, 0);
        td_status s = pg_check(db->conn, res, db->err, sizeof(db->err));
        if (s == TD_OK) {
            st->res = res;
            return TD_OK;
        }
        int stale = st->ps && (pg_state_is(res, "0A000") || pg_state_is(res, "26000"));
        PQclear(res);
        if (!stale || attempt > 0)
            return s;
        st->ps->ready = 0;
        if (PQtransactionStatus(db->conn) != PQTRANS_IDLE)
            return s; /* re-prepared on the next pg_prepare of this text */
        char sql[48];
        snprintf(sql, sizeof(sql), "DEALLOCATE %s", st->ps->name);
        PQclear(PQexec(db->conn, sql));
        if ((s = pg_server_prepare(db, st->ps)) != TD_OK)
            return s;
    }
}

static int pg_step(td_stmt_t *st_) {
    pg_stmt *st = (pg_stmt *)st_;
    if (!st->res) {
        td_status s = pg_execute(st);
        if (s)
            return s;
    } else {
        if (st->blobs)
            for (int c = 0; c < PQnfields(st->res); c++) {
                PQfreemem(st->blobs[c].p);
                st->blobs[c].p = NULL;
            }
        if (st->row < PQntuples(st->res))
            st->row++;
    }
    return st->row < PQntuples(st->res) ? TD_DB_ROW : TD_DB_DONE;
}

static int pg_column_count(td_stmt_t *st) {
    const PGresult *res = ((pg_stmt *)st)->res;
    return res ? PQnfields(res) : 0;
}

static const char *pg_column_name(td_stmt_t *st, int col) {
    const PGresult *res = ((pg_stmt *)st)->res;
    return res && col >= 0 && col < PQnfields(res) ? PQfname(res, col) : NULL;
}

/* The current row's value of col, or NULL (SQL NULL, no row, bad col). */
static const char *pg_column_text(td_stmt_t *st_, int col) {
    pg_stmt *st = (pg_stmt *)st_;
    if (!st->res || st->row >= PQntuples(st->res) || col < 0 || col >= PQnfields(st->res) ||
        PQgetisnull(st->res, st->row, col))
        return NULL;
    return PQgetvalue(st->res, st->row, col);
}

static int pg_column_is_null(td_stmt_t *st, int col) {
    return pg_column_text(st, col) == NULL;
}

static int64_t pg_column_int64(td_stmt_t *st, int col) {
    const char *v = pg_column_text(st, col);
    if (!v)
        return 0;
    if (v[0] == 't' || v[0] == 'f')
        return v[0] == 't';
    return (int64_t)strtoll(v, NULL, 10);
}

/* bytea columns come back unescaped (kept until the next step/finalize);
 * other columns as their text. */
static const void *pg_column_blob(td_stmt_t *st_, int col, size_t *len) {
    pg_stmt *st = (pg_stmt *)st_;
    const char *v = pg_column_text(st_, col);
    size_t dummy;
    if (!len)
        len = &dummy;
    *len = 0;
    if (!v)
        return NULL;
    if (PQftype(st->res, col) != PG_BYTEA_OID) {
        *len = strlen(v);
        return v;
    }
    if (!st->blobs && !(st->blobs = calloc((size_t)PQnfields(st->res), sizeof(*st->blobs))))
        return NULL;
    pg_blob *b = &st->blobs[col];
    if (!b->p && !(b->p = PQunescapeBytea((const unsigned char *)v, &b->n)))
        return NULL;
    *len = b->n;
    return b->p;
}

static int64_t pg_changes(td_stmt_t *st) {
    const PGresult *res = ((pg_stmt *)st)->res;
    return res ? (int64_t)strtoll(PQcmdTuples((PGresult *)res), NULL, 10) : 0;
}

/* ---- tenant databases --------------------------------------------------- */

/* td_<compact id>, for the database and the role. Only [0-9a-z-] ids are
 * accepted, so the name needs no quoting anywhere. */
static td_status pg_tenant_name(const char *tid, char out[PG_NAME_MAX], char *err,
                                size_t errlen) {
    char compact[33];
    size_t len = tid ? strlen(tid) : 0;
    int ok = len > 0 && len <= TD_ID_LEN;
    for (size_t i = 0; ok && i < len; i++)
        ok = (tid[i] >= '0' && tid[i] <= '9') || (tid[i] >= 'a' && tid[i] <= 'z') || tid[i] == '-';
    if (ok) {
        td_id_compact(tid, compact);
        ok = compact[0] != '\0';
    }
    if (!ok) {
        pg_seterr(err, errlen, "invalid tenant id");
        return TD_E_INVALID;
    }
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

/* Runs sql (no secrets in it); on failure err says "what: message". */
static td_status pg_do(PGconn *c, const char *sql, const char *what, char *err, size_t errlen) {
    char msg[PG_ERR_MAX];
    PGresult *res = PQexec(c, sql);
    td_status st = pg_check(c, res, msg, sizeof(msg));
    PQclear(res);
    if (st)
        pg_seterr(err, errlen, "%s: %s", what, msg);
    return st;
}

/* Runs a one-parameter query; *val = its first value as an integer (a
 * boolean as 1/0), 0 when no rows. */
static td_status pg_query_int(PGconn *c, const char *sql, const char *param, int *val,
                              char *err, size_t errlen) {
    char msg[PG_ERR_MAX];
    PGresult *res = PQexecParams(c, sql, 1, NULL, &param, NULL, NULL, 0);
    td_status st = pg_check(c, res, msg, sizeof(msg));
    *val = 0;
    if (st)
        pg_seterr(err, errlen, "%s: %s", param, msg);
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

/* Creates role name with the password, or sets the password of an existing
 * one. The server receives a SCRAM verifier, never the password itself. */
static td_status pg_role_ensure(PGconn *admin, const char *role, const char *password,
                                char *err, size_t errlen) {
    int exists;
    td_status st = pg_query_int(admin, "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)",
                                role, &exists, err, errlen);
    if (st)
        return st;
    char *verifier = PQencryptPasswordConn(admin, password, role, "scram-sha-256");
    char *lit = verifier ? PQescapeLiteral(admin, verifier, strlen(verifier)) : NULL;
    char sql[512];
    if (!lit) {
        pg_seterr(err, errlen, "cannot encrypt the password of role %s", role);
        st = TD_E_NOMEM;
    } else {
        snprintf(sql, sizeof(sql), "%s ROLE %s LOGIN PASSWORD %s", exists ? "ALTER" : "CREATE",
                 role, lit);
        st = pg_do(admin, sql, exists ? "updating the tenant role" : "creating the tenant role",
                   err, errlen);
        sodium_memzero(sql, sizeof(sql));
    }
    PQfreemem(lit);
    PQfreemem(verifier);
    return st;
}

/* Steps 1–4 of tenant_create, on the admin connection under the lock. */
static td_status pg_provision(const td_place_t *pl, PGconn *admin, const char *name,
                              const char *tpl, const td_schema_t *const *sorted, size_t n,
                              const char *password, char *err, size_t errlen) {
    char sql[512];
    int exists;
    td_status st = pg_template_ensure(pl, admin, tpl, sorted, n, err, errlen);
    if (!st)
        st = pg_query_int(admin, pg_db_exists_sql, name, &exists, err, errlen);
    if (!st && !exists) {
        snprintf(sql, sizeof(sql), "CREATE DATABASE %s TEMPLATE %s", name, tpl);
        st = pg_do(admin, sql, "creating the tenant database", err, errlen);
    }
    if (!st)
        st = pg_role_ensure(admin, name, password, err, errlen);
    if (!st) {
        snprintf(sql, sizeof(sql),
                 "REVOKE ALL ON DATABASE %s FROM PUBLIC;"
                 "GRANT CONNECT, TEMPORARY ON DATABASE %s TO %s",
                 name, name, name);
        st = pg_do(admin, sql, "granting the tenant database", err, errlen);
    }
    return st;
}

/* Idempotent and crash-safe: every step checks or tolerates what a previous
 * run left. The tenant's schemas come from the template; re-running with
 * other services does not change an existing database (tenant_add_service
 * does). */
static td_status pg_tenant_create(const td_place_t *pl, const char *tenant_id,
                                  const td_tenant_cred_t *cred, const td_schema_t *svcs,
                                  size_t n, char *err, size_t errlen) {
    char name[PG_NAME_MAX], tpl[PG_NAME_MAX];
    PGconn *admin = NULL, *c = NULL;
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
        st = pg_connect(pl->root, NULL, NULL, NULL, NULL, &admin, err, errlen);
    if (!st && !(st = pg_lock(admin, PG_LOCK_PROVISION, 1, err, errlen))) {
        st = pg_provision(pl, admin, name, tpl, sorted, n, cred->password, err, errlen);
        td_status ul = pg_lock(admin, PG_LOCK_PROVISION, 0, st ? NULL : err, errlen);
        st = st ? st : ul;
    }
    if (!st)
        st = pg_connect(pl->root, name, NULL, NULL, NULL, &c, err, errlen);
    for (size_t i = 0; !st && i < n; i++)
        st = pg_grant_schema(c, sorted[i]->name, name, err, errlen);
    if (!st && n == 0)
        st = pg_do(c, "REVOKE CREATE ON SCHEMA public FROM PUBLIC", "revoking", err, errlen);
    if (c)
        PQfinish(c);
    if (admin)
        PQfinish(admin);
    free(sorted);
    return st;
}

/* Applies svc's migrations not yet recorded in the tenant database, one
 * transaction each (serialized per database by an advisory lock), then
 * grants the tenant role the schema. cred is not needed on PostgreSQL. */
static td_status pg_tenant_add_service(const td_place_t *pl, const char *tenant_id,
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
        st = pg_connect(pl->root, name, NULL, NULL, NULL, &c, err, errlen);
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
    if (!st)
        st = pg_grant_schema(c, svc->name, name, err, errlen);
    if (c)
        PQfinish(c);
    return st;
}

/* Idempotent: ends the tenant's sessions, drops its database and role. */
static td_status pg_tenant_drop(const td_place_t *pl, const char *tenant_id, char *err,
                                size_t errlen) {
    char name[PG_NAME_MAX], sql[256];
    PGconn *admin = NULL;
    int ignored;
    td_status st = pg_tenant_name(tenant_id, name, err, errlen);
    if (!st)
        st = pg_connect(pl->root, NULL, NULL, NULL, NULL, &admin, err, errlen);
    if (!st && !(st = pg_lock(admin, PG_LOCK_PROVISION, 1, err, errlen))) {
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
    if (admin)
        PQfinish(admin);
    return st;
}

static td_status pg_tenant_open(const td_place_t *pl, const char *tenant_id,
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
    if (!cred || !cred->password) {
        pg_seterr(err, errlen, "tenant %s: no password", tenant_id);
        return TD_E_INVALID;
    }
    snprintf(what, sizeof(what), "tenant %s", tenant_id);
    st = pg_connect(pl->root, name, name, cred->password, what, &c, err, errlen);
    if (st == TD_E_INVALID)
        return st;
    return st ? TD_E_UNAVAILABLE : pg_wrap(c, out);
}

/* 0 only when certainly absent: a server we cannot ask counts as 1. */
static int pg_tenant_exists(const td_place_t *pl, const char *tenant_id) {
    char name[PG_NAME_MAX];
    PGconn *admin;
    int exists = 1;
    if (pg_tenant_name(tenant_id, name, NULL, 0) != TD_OK)
        return 0; /* we never create anything for such an id */
    if (pg_connect(pl->root, NULL, NULL, NULL, NULL, &admin, NULL, 0) != TD_OK)
        return 1;
    if (pg_query_int(admin,
                     "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) OR "
                     "EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)",
                     name, &exists, NULL, 0) != TD_OK)
        exists = 1;
    PQfinish(admin);
    return exists;
}

static td_status pg_place_check(const td_place_t *pl, char *err, size_t errlen) {
    PGconn *admin;
    td_status st = pg_connect(pl->root, NULL, NULL, NULL, NULL, &admin, err, errlen);
    if (st)
        return st;
    st = pg_do(admin, "SELECT 1", "checking the server", err, errlen);
    PQfinish(admin);
    return st;
}

const td_db_driver_t td_postgres_driver = {
    .version = TD_DB_DRIVER_VERSION,
    .name = "postgres",
    .open = pg_open,
    .close = pg_close,
    .exec = pg_exec,
    .prepare = pg_prepare,
    .bind_text = pg_bind_text,
    .bind_int64 = pg_bind_int64,
    .bind_null = pg_bind_null,
    .bind_blob = pg_bind_blob,
    .step = pg_step,
    .column_count = pg_column_count,
    .column_name = pg_column_name,
    .column_is_null = pg_column_is_null,
    .column_text = pg_column_text,
    .column_int64 = pg_column_int64,
    .column_blob = pg_column_blob,
    .changes = pg_changes,
    .finalize = pg_finalize,
    .errmsg = pg_errmsg,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .tenant_create = pg_tenant_create,
    .tenant_add_service = pg_tenant_add_service,
    .tenant_drop = pg_tenant_drop,
    .tenant_open = pg_tenant_open,
    .tenant_exists = pg_tenant_exists,
    .place_check = pg_place_check,
};
