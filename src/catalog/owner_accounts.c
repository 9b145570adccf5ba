/* owner_accounts.c — accounts that own tenants (migration 0019): the
 * accounts table, its owner users (who log in once and switch into the
 * account's tenants) and tenants.account_id. Not to be confused with
 * auth/accounts.c, the request path's checks of superadmins and keys. */
#include <stdio.h>
#include <string.h>

#include "catalog/catalog_int.h"
#include "common/text.h"
#include "common/timeutil.h"

#define ACCOUNT_COLS                                                                          \
    "a.id, a.name, a.status, a.created_at, a.updated_at,"                                     \
    " (SELECT MIN(o.email) FROM account_owners o WHERE o.account_id = a.id),"                 \
    " (SELECT COUNT(*) FROM tenants t WHERE t.account_id = a.id AND t.status <> 'deleted')"
#define OWNER_COLS                                                                         \
    "o.id, o.account_id, o.email, o.name, o.password_hash, o.last_login_at, a.status, o.gen," \
    " o.disabled"
#define LIST_MAX 1000

static void read_account(td_stmt_t *st, td_arena_t *a, td_account_row_t *r) {
    r->id = td_db_column_dup(st, a, 0);
    r->name = td_db_column_dup(st, a, 1);
    r->status = td_db_column_dup(st, a, 2);
    r->created_at = td_db_column_dup(st, a, 3);
    r->updated_at = td_db_column_dup(st, a, 4);
    r->owner_email = td_db_column_dup(st, a, 5);
    r->tenants = td_db_column_int64(st, 6);
}

td_status td_cat_account_insert(td_db_t *db, const char *id, const char *name,
                                const td_owner_row_t *o) {
    char now[32];
    td_cat_now(now);
    td_stmt_t *st = NULL;
    if (td_db_query_row(db, "SELECT id FROM account_owners WHERE email = ?", o->email, &st) ==
        TD_OK) {
        td_db_finalize(st);
        return TD_E_EXISTS;
    }
    const char *va[] = {id, name, now, now};
    td_status rc = td_cat_exec_texts(db,
                                     "INSERT INTO accounts (id, name, status, created_at,"
                                     " updated_at) VALUES (?, ?, 'active', ?, ?)",
                                     va, 4, NULL);
    if (!rc)
        rc = td_cat_owner_insert(db, id, o);
    if (rc) { /* the email was taken meanwhile: leave nothing behind */
        td_cat_account_remove(db, id);
        rc = TD_E_EXISTS;
    }
    return rc;
}

td_status td_cat_account_remove(td_db_t *db, const char *id) {
    td_status rc = td_db_execv(db, NULL,
                               "DELETE FROM account_sessions WHERE owner_id IN"
                               " (SELECT id FROM account_owners WHERE account_id = ?)",
                               id, NULL);
    if (!rc)
        rc = td_db_execv(db, NULL, "DELETE FROM account_owners WHERE account_id = ?", id, NULL);
    if (!rc)
        rc = td_db_execv(db, NULL, "DELETE FROM accounts WHERE id = ?", id, NULL);
    return rc;
}

static void read_owner(td_stmt_t *st, td_arena_t *a, td_owner_row_t *out) {
    out->id = td_db_column_dup(st, a, 0);
    out->account_id = td_db_column_dup(st, a, 1);
    out->email = td_db_column_dup(st, a, 2);
    out->name = td_db_column_dup(st, a, 3);
    out->password_hash = td_db_column_dup(st, a, 4);
    out->last_login_at = td_db_column_dup(st, a, 5);
    out->account_status = td_db_column_dup(st, a, 6);
    out->gen = td_db_column_int64(st, 7);
    out->disabled = (int)td_db_column_int64(st, 8);
}

td_status td_cat_owner_find(td_db_t *db, td_arena_t *a, const char *key, int by_email,
                            td_owner_row_t *out) {
    td_stmt_t *st;
    const char *sql = by_email ? "SELECT " OWNER_COLS " FROM account_owners o JOIN accounts a"
                                 " ON a.id = o.account_id WHERE o.email = ?"
                               : "SELECT " OWNER_COLS " FROM account_owners o JOIN accounts a"
                                 " ON a.id = o.account_id WHERE o.id = ?";
    td_status rc = td_db_query_row(db, sql, key, &st);
    if (rc)
        return rc;
    read_owner(st, a, out);
    td_db_finalize(st);
    return out->id && out->account_id ? TD_OK : TD_E_NOMEM;
}

td_status td_cat_owner_logged_in(td_db_t *db, const char *id) {
    char now[32];
    td_cat_now(now);
    return td_db_execv(db, NULL, "UPDATE account_owners SET last_login_at = ? WHERE id = ?", now,
                       id, NULL);
}

td_status td_cat_account_get(td_db_t *db, td_arena_t *a, const char *id, td_account_row_t *out) {
    td_stmt_t *st;
    td_status rc =
        td_db_query_row(db, "SELECT " ACCOUNT_COLS " FROM accounts a WHERE a.id = ?", id, &st);
    if (!rc) {
        read_account(st, a, out);
        td_db_finalize(st);
    }
    return rc;
}

/* The list's SQL: every filter is bound (an empty text matches all), so
 * the statement is one text whatever the caller asks. */
td_status td_cat_account_list(td_db_t *db, td_arena_t *a, const char *q, const char *before,
                              int limit, td_account_row_t **out, size_t *n) {
    char like[300], lq[256] = "";
    if (q && td_ascii_lower(q, lq, sizeof(lq)))
        return TD_E_INVALID;
    snprintf(like, sizeof(like), "%%%s%%", lq);
    td_stmt_t *st = NULL;
    td_status rc = td_db_prepare(
        db,
        "SELECT " ACCOUNT_COLS " FROM accounts a WHERE (LOWER(a.name) LIKE ? OR EXISTS"
        " (SELECT 1 FROM account_owners o WHERE o.account_id = a.id AND o.email LIKE ?))"
        " AND (? = '' OR a.id < ?) ORDER BY a.id DESC LIMIT ?",
        &st);
    const char *v[] = {like, like, before ? before : "", before ? before : ""};
    for (int i = 0; !rc && i < 4; i++)
        rc = td_db_bind_text(st, i + 1, v[i]);
    if (!rc)
        rc = td_db_bind_int64(st, 5, limit > 0 && limit <= LIST_MAX ? limit : LIST_MAX);
    td_account_row_t *rows = td_arena_alloc(a, sizeof(*rows) * (size_t)(limit > 0 ? limit : 1));
    size_t k = 0;
    int r = 0;
    if (!rows)
        rc = TD_E_NOMEM;
    while (!rc && k < (size_t)limit && (r = td_db_step(st)) == TD_DB_ROW)
        read_account(st, a, &rows[k++]);
    if (!rc && r < 0)
        rc = (td_status)r;
    td_db_finalize(st);
    *out = rows;
    *n = k;
    return rc;
}

td_status td_cat_account_set_status(td_db_t *db, const char *id, const char *status) {
    char now[32];
    td_cat_now(now);
    const char *v[] = {status, now, id};
    int64_t n = 0;
    td_status rc = td_cat_exec_texts(db, "UPDATE accounts SET status = ?, updated_at = ? WHERE id = ?",
                                     v, 3, &n);
    return rc ? rc : n ? TD_OK : TD_E_NOTFOUND;
}

td_status td_cat_tenant_set_account(td_db_t *db, const char *tenant_id, const char *account_id) {
    return td_db_execv(db, NULL, "UPDATE tenants SET account_id = ? WHERE id = ?", account_id,
                       tenant_id, NULL);
}

td_status td_cat_account_tenants(td_db_t *db, td_arena_t *a, const char *account_id,
                                 td_account_tenant_t **out, size_t *n) {
    td_stmt_t *st = NULL;
    td_status rc = td_db_prepare(db,
                                 "SELECT id, slug, name, status, plan FROM tenants WHERE"
                                 " account_id = ? AND status <> 'deleted' ORDER BY created_at, id",
                                 &st);
    if (!rc)
        rc = td_db_bind_text(st, 1, account_id);
    td_account_tenant_t *rows = td_arena_alloc(a, sizeof(*rows) * LIST_MAX);
    size_t k = 0;
    int r = 0;
    if (!rows)
        rc = TD_E_NOMEM;
    while (!rc && k < LIST_MAX && (r = td_db_step(st)) == TD_DB_ROW) {
        td_account_tenant_t *t = &rows[k++];
        t->id = td_db_column_dup(st, a, 0);
        t->slug = td_db_column_dup(st, a, 1);
        t->name = td_db_column_dup(st, a, 2);
        t->status = td_db_column_dup(st, a, 3);
        t->plan = td_db_column_dup(st, a, 4);
    }
    if (!rc && r < 0)
        rc = (td_status)r;
    td_db_finalize(st);
    *out = rows;
    *n = k;
    return rc;
}

td_status td_cat_owner_set_password(td_db_t *db, const char *id, const char *hash) {
    char now[32];
    int64_t n = 0;
    td_cat_now(now);
    td_status rc = td_db_execv(db, &n,
                               "UPDATE account_owners SET password_hash = ?, updated_at = ?"
                               " WHERE id = ?",
                               hash, now, id, NULL);
    return rc ? rc : n ? TD_OK : TD_E_NOTFOUND;
}

td_status td_cat_owner_new_gen(td_db_t *db, const char *id, int64_t *gen) {
    char now[32], g[24];
    td_cat_now(now);
    *gen = td_now_ms();
    snprintf(g, sizeof(g), "%lld", (long long)*gen);
    return td_db_execv(db, NULL,
                       "UPDATE account_owners SET gen = CAST(? AS BIGINT), updated_at = ?"
                       " WHERE id = ?",
                       g, now, id, NULL);
}

td_status td_cat_owner_insert(td_db_t *db, const char *account_id, const td_owner_row_t *o) {
    char now[32], gen[24];
    td_cat_now(now);
    snprintf(gen, sizeof(gen), "%lld", (long long)o->gen);
    td_stmt_t *st = NULL;
    if (td_db_query_row(db, "SELECT id FROM account_owners WHERE email = ?", o->email, &st) ==
        TD_OK) {
        td_db_finalize(st);
        return TD_E_EXISTS;
    }
    const char *v[] = {o->id, account_id, o->email, o->name, o->password_hash, gen, now, now};
    td_status rc = td_cat_exec_texts(db,
                                     "INSERT INTO account_owners (id, account_id, email, name,"
                                     " password_hash, gen, disabled, created_at, updated_at)"
                                     " VALUES (?, ?, ?, ?, ?, CAST(? AS BIGINT), 0, ?, ?)",
                                     v, 8, NULL);
    return rc ? TD_E_EXISTS : TD_OK; /* the email taken meanwhile (UNIQUE) */
}

td_status td_cat_account_owners(td_db_t *db, td_arena_t *a, const char *account_id,
                                td_owner_row_t **out, size_t *n) {
    td_stmt_t *st = NULL;
    td_owner_row_t *rows = td_arena_alloc(a, sizeof(*rows) * LIST_MAX);
    size_t k = 0;
    int r = 0;
    td_status rc = rows ? td_db_prepare(db,
                                        "SELECT " OWNER_COLS " FROM account_owners o JOIN accounts"
                                        " a ON a.id = o.account_id WHERE o.account_id = ?"
                                        " ORDER BY o.created_at, o.id",
                                        &st)
                        : TD_E_NOMEM;
    if (!rc)
        rc = td_db_bind_text(st, 1, account_id);
    while (!rc && k < LIST_MAX && (r = td_db_step(st)) == TD_DB_ROW)
        read_owner(st, a, &rows[k++]);
    if (!rc && r < 0)
        rc = (td_status)r;
    td_db_finalize(st);
    *out = rows;
    *n = k;
    return rc;
}

td_status td_cat_owner_remove(td_db_t *db, const char *account_id, const char *id) {
    int64_t n = 0;
    char sql[128];
    td_stmt_t *st = NULL;
    td_status rc = td_db_begin(db, TD_DB_WRITE);
    /* removals of one account's owners in turn (SQLite: one writer) */
    snprintf(sql, sizeof(sql), "SELECT id FROM accounts WHERE id = ?%s", td_db_for_update(db));
    if (!rc && !(rc = td_db_query_row(db, sql, account_id, &st)))
        td_db_finalize(st);
    if (!rc)
        rc = td_db_execv(db, NULL, "DELETE FROM account_sessions WHERE owner_id = ?", id, NULL);
    if (!rc)
        rc = td_db_execv(db, &n,
                         "DELETE FROM account_owners WHERE id = ? AND account_id = ? AND"
                         " (SELECT COUNT(*) FROM account_owners WHERE account_id = ?) > 1",
                         id, account_id, account_id, NULL);
    if (!rc && !n)
        rc = TD_E_STATE; /* the last owner (or gone meanwhile) */
    if (!rc)
        rc = td_db_commit(db);
    if (rc)
        td_db_rollback(db);
    return rc;
}
