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
#include "common/buf.h"
#include "store/postgres_int.h"

/* ---- messages ---------------------------------------------------------- */

void pg_seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void pg_seterr(char *err, size_t errlen, const char *fmt, ...) {
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
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
td_status pg_check(PGconn *conn, const PGresult *res, char *out, size_t n) {
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

int pg_state_is(const PGresult *res, const char *state) {
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
td_status pg_connect(const char *url, const char *dbname, const char *user,
                            const char *password, const char *what, PGconn **out, char *err,
                            size_t errlen) {
    const char *kw[9] = {"options", "client_encoding", "connect_timeout",
                         "fallback_application_name", "dbname"};
    const char *val[9] = {"-c client_min_messages=warning", "UTF8", "10", "tenantd", url};
    char red[256], *perr = NULL, *url_pw = NULL;
    int i = 5;
    *out = NULL;
    td_db_url_redact(url ? url : "", red, sizeof(red));
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

/* A URL a tenant brings names one server by host name or address, a
 * user with a password, a database and at most an sslmode: nothing that
 * reaches a local socket, stored credentials (a service, a password
 * file), several hosts, or libpq's other settings. */
int td_db_url_plain(const char *url) {
    static const char *const allowed[] = {"host", "port", "dbname", "user", "password",
                                          "sslmode", NULL};
    char *perr = NULL;
    PQconninfoOption *opts = url && td_db_url_is_postgres(url) ? PQconninfoParse(url, &perr) : NULL;
    int ok = opts != NULL, host = 0, pw = 0, user = 0;
    PQfreemem(perr); /* it may quote the password */
    for (PQconninfoOption *o = opts; ok && o && o->keyword; o++) {
        if (!o->val)
            continue;
        int known = 0;
        for (size_t i = 0; allowed[i]; i++)
            known |= !strcmp(o->keyword, allowed[i]);
        ok = known && !strchr(o->val, ',');
        if (!strcmp(o->keyword, "host"))
            host = o->val[0] && o->val[0] != '/' && o->val[0] != '@';
        pw |= !strcmp(o->keyword, "password") && o->val[0];
        user |= !strcmp(o->keyword, "user") && o->val[0];
    }
    if (opts)
        PQconninfoFree(opts);
    return ok && host && pw && user;
}

td_status pg_wrap(PGconn *c, td_db_t **out) {
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
    pg_finish_wait(db->conn); /* the server's slot is free when this returns */
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

/* ---- bulk append: COPY ------------------------------------------------ */

/* Appends v to the COPY text-format line in out: \N for NULL, and the
 * characters the format gives meaning to escaped. */
static void copy_field(td_buf_t *out, const char *v, td_status *rc) {
    if (!v) {
        *rc = *rc ? *rc : td_buf_append(out, "\\N", 2);
        return;
    }
    const char *run = v;
    for (const char *c = v;; c++) {
        const char *esc = *c == '\\' ? "\\\\" : *c == '\n' ? "\\n" : *c == '\r' ? "\\r"
                        : *c == '\t' ? "\\t" : NULL;
        if (!esc && *c)
            continue;
        if (!*rc && c > run)
            *rc = td_buf_append(out, run, (size_t)(c - run));
        if (!esc)
            return;
        if (!*rc)
            *rc = td_buf_append(out, esc, 2);
        run = c + 1;
    }
}

/* COPY table (cols) FROM STDIN, in text format, sent in pieces of about
 * 256 KiB: the server parses one piece while the next is built. */
static td_status pg_insert_rows(td_db_t *db_, const char *table, const char *cols, int ncols,
                                const char *const *vals, size_t nrows) {
    pg_db *db = (pg_db *)db_;
    td_buf_t sql, data;
    td_buf_init(&sql, 256 + strlen(table) + strlen(cols));
    td_buf_init(&data, (size_t)1 << 30);
    td_status rc = td_buf_printf(&sql, "COPY %s (%s) FROM STDIN", table, cols);
    PGresult *res = rc ? NULL : PQexec(db->conn, td_buf_str(&sql));
    td_buf_free(&sql);
    if (!rc && PQresultStatus(res) != PGRES_COPY_IN)
        rc = pg_check(db->conn, res, db->err, sizeof(db->err));
    PQclear(res);
    if (rc)
        return rc;
    int sending = 1;
    for (size_t i = 0; !rc && i < nrows; i++) {
        for (int c = 0; !rc && c < ncols; c++) {
            if (c)
                rc = td_buf_append(&data, "\t", 1);
            copy_field(&data, vals[i * (size_t)ncols + (size_t)c], &rc);
        }
        if (!rc)
            rc = td_buf_append(&data, "\n", 1);
        if (!rc && (data.len >= 256 * 1024 || i + 1 == nrows)) {
            if (PQputCopyData(db->conn, data.data, (int)data.len) != 1) {
                pg_seterr(db->err, sizeof(db->err), "COPY: %s", PQerrorMessage(db->conn));
                rc = TD_E_UNAVAILABLE, sending = 0;
            }
            td_buf_reset(&data);
        }
    }
    td_buf_free(&data);
    if (sending && PQputCopyEnd(db->conn, rc ? "the rows could not be encoded" : NULL) != 1) {
        pg_seterr(db->err, sizeof(db->err), "COPY: %s", PQerrorMessage(db->conn));
        rc = rc ? rc : TD_E_UNAVAILABLE;
    }
    /* the COPY's outcome, then the end of its results */
    while ((res = PQgetResult(db->conn))) {
        td_status s = pg_check(db->conn, res, db->err, sizeof(db->err));
        rc = rc ? rc : s;
        PQclear(res);
    }
    return rc;
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

/* PostgreSQL (12 and later) prints a double in its shortest exact form. */
static double pg_column_double(td_stmt_t *st, int col) {
    const char *v = pg_column_text(st, col);
    return v ? strtod(v, NULL) : 0;
}

/* Every service is a schema of the one tenant database. */
static td_status pg_tenant_attach(td_db_t *db, const char *service, char *err, size_t errlen) {
    return TD_OK;
}

/* Reads what the server may have sent while the connection sat idle,
 * without waiting: a server shut down or a database dropped (its sessions
 * terminated) shows as a closed connection, which is then not reused. */
static int pg_usable(td_db_t *db_) {
    PGconn *c = ((pg_db *)db_)->conn;
    return PQconsumeInput(c) && PQstatus(c) == CONNECTION_OK &&
           PQtransactionStatus(c) == PQTRANS_IDLE && !PQisBusy(c);
}

static int64_t pg_changes(td_stmt_t *st) {
    const PGresult *res = ((pg_stmt *)st)->res;
    return res ? (int64_t)strtoll(PQcmdTuples((PGresult *)res), NULL, 10) : 0;
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
    .tenant_ping = pg_tenant_ping,
    .column_double = pg_column_double,
    .tenant_attach = pg_tenant_attach,
    .insert_rows = pg_insert_rows,
    .usable = pg_usable,
    .spares_fill = pg_spares_fill,
    .tenant_open_admin = pg_tenant_open_admin,
};
