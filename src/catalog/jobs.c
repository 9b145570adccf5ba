/* jobs.c — the job_queue table: enqueue, claim with a lease, progress,
 * finish with retries, cancel, retry, get and list.
 *
 * Every state change is one conditional UPDATE whose WHERE names the state
 * (and, for a worker, the lease owner) it expects, so concurrent workers,
 * operators and expired leases never overwrite each other: the loser sees
 * zero changed rows and gets TD_E_STATE. */
#include <stdio.h>
#include <string.h>

#include "catalog/catalog_int.h"

#define JOB_COLS                                                                            \
    "id, kind, tenant_id, payload, state, message, checkpoint, error, lease_owner,"        \
    " created_by, attempts, max_attempts, step, done, total, run_after, lease_until,"      \
    " created_at, started_at, updated_at, finished_at"

/* Due: queued and its time has come, or running under a lease that ended
 * (the worker died) with an attempt left. Binds: now, now. */
#define JOB_DUE                                                                             \
    "((state = 'queued' AND run_after <= ?) OR (state = 'running' AND lease_until < ?"      \
    " AND attempts < max_attempts))"

static void read_job(td_stmt_t *st, td_arena_t *a, td_job_row_t *j) {
    const char **s[] = {&j->id,      &j->kind,       &j->tenant_id, &j->payload,     &j->state,
                        &j->message, &j->checkpoint, &j->error,     &j->lease_owner, &j->created_by};
    for (int i = 0; i < 10; i++)
        *s[i] = td_db_column_dup(st, a, i);
    j->attempts = (int)td_db_column_int64(st, 10);
    j->max_attempts = (int)td_db_column_int64(st, 11);
    j->step = (int)td_db_column_int64(st, 12);
    int64_t *n[] = {&j->done,       &j->total,      &j->run_after,  &j->lease_until,
                    &j->created_at, &j->started_at, &j->updated_at, &j->finished_at};
    for (int i = 0; i < 8; i++)
        *n[i] = td_db_column_int64(st, 13 + i);
}

/* Binds the int64 values in order from position first; stops at an error. */
static td_status bind_ints(td_stmt_t *st, int first, const int64_t *v, int n) {
    td_status rc = TD_OK;
    for (int i = 0; !rc && i < n; i++)
        rc = td_db_bind_int64(st, first + i, v[i]);
    return rc;
}

/* Steps st to its end and maps "no row changed" to TD_E_STATE. */
static td_status drain_changed(td_stmt_t *st, td_status rc) {
    if (!rc)
        rc = td_db_drain(st);
    if (!rc && td_db_changes(st) == 0)
        rc = TD_E_STATE;
    td_db_finalize(st);
    return rc;
}

td_status td_cat_job_insert(td_db_t *db, const td_job_row_t *j, int64_t now) {
    td_stmt_t *st = NULL;
    td_status rc = td_db_prepare(db,
                                 "INSERT INTO job_queue (id, kind, tenant_id, payload, created_by,"
                                 " state, max_attempts, run_after, created_at, updated_at)"
                                 " VALUES (?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?)",
                                 &st);
    const char *v[] = {j->id, j->kind, j->tenant_id, j->payload ? j->payload : "{}",
                       j->created_by};
    for (int i = 0; !rc && i < 5; i++)
        rc = td_db_bind_text(st, i + 1, v[i]);
    const int64_t n[] = {j->max_attempts, j->run_after, now, now};
    if (!rc)
        rc = bind_ints(st, 6, n, 4);
    if (!rc)
        rc = td_db_drain(st);
    td_db_finalize(st);
    return rc;
}

/* The subquery picks the oldest due job and (on PostgreSQL) locks it; the
 * outer WHERE repeats the condition, so a claimer that waited for another
 * claimer's lock finds the job no longer due and changes nothing. */
td_status td_cat_job_claim(td_db_t *db, td_arena_t *a, const char *owner, int64_t now,
                           int64_t lease_ms, td_job_row_t *out) {
    char sql[1024];
    snprintf(sql, sizeof(sql),
             "UPDATE job_queue SET state = 'running', attempts = attempts + 1, lease_owner = ?,"
             " lease_until = ?, started_at = COALESCE(started_at, ?), updated_at = ?"
             " WHERE id = (SELECT id FROM job_queue WHERE " JOB_DUE
             " ORDER BY run_after, id LIMIT 1%s) AND " JOB_DUE " RETURNING " JOB_COLS,
             td_db_for_update(db));
    td_stmt_t *st = NULL;
    td_status rc = td_db_prepare(db, sql, &st);
    if (!rc)
        rc = td_db_bind_text(st, 1, owner);
    const int64_t n[] = {now + lease_ms, now, now, now, now, now, now};
    if (!rc)
        rc = bind_ints(st, 2, n, 7);
    int r = rc ? 0 : td_db_step(st);
    if (!rc && r == TD_DB_ROW)
        read_job(st, a, out);
    else if (!rc)
        rc = r < 0 ? (td_status)r : TD_E_NOTFOUND;
    if (!rc)
        rc = td_db_drain(st);
    td_db_finalize(st);
    return rc;
}

td_status td_cat_job_progress(td_db_t *db, const td_job_row_t *p, const char *owner, int64_t now,
                              int64_t lease_ms) {
    td_stmt_t *st = NULL;
    td_status rc = td_db_prepare(db,
                                 "UPDATE job_queue SET step = ?, done = ?, total = ?, message = ?,"
                                 " checkpoint = ?, lease_until = ?, updated_at = ?"
                                 " WHERE id = ? AND lease_owner = ? AND state = 'running'",
                                 &st);
    const int64_t n[] = {p->step, p->done, p->total};
    if (!rc)
        rc = bind_ints(st, 1, n, 3);
    if (!rc)
        rc = td_db_bind_text(st, 4, p->message);
    if (!rc)
        rc = td_db_bind_text(st, 5, p->checkpoint);
    const int64_t t[] = {now + lease_ms, now};
    if (!rc)
        rc = bind_ints(st, 6, t, 2);
    if (!rc)
        rc = td_db_bind_text(st, 8, p->id);
    if (!rc)
        rc = td_db_bind_text(st, 9, owner);
    return drain_changed(st, rc);
}

td_status td_cat_job_release(td_db_t *db, const char *id, const char *owner, int64_t now) {
    td_stmt_t *st = NULL;
    td_status rc = td_db_prepare(db,
                                 "UPDATE job_queue SET state = 'queued', attempts = attempts - 1,"
                                 " run_after = ?, updated_at = ?, lease_owner = NULL,"
                                 " lease_until = NULL"
                                 " WHERE id = ? AND lease_owner = ? AND state = 'running'",
                                 &st);
    const int64_t n[] = {now, now};
    if (!rc)
        rc = bind_ints(st, 1, n, 2);
    if (!rc)
        rc = td_db_bind_text(st, 3, id);
    if (!rc)
        rc = td_db_bind_text(st, 4, owner);
    return drain_changed(st, rc);
}

td_status td_cat_job_finish(td_db_t *db, const char *id, const char *owner, int64_t now,
                            const char *error, int64_t retry_at) {
    td_stmt_t *st = NULL;
    td_status rc = td_db_prepare(
        db,
        error ? "UPDATE job_queue SET state = CASE WHEN attempts < max_attempts THEN 'queued'"
                " ELSE 'failed' END, finished_at = CASE WHEN attempts < max_attempts THEN NULL"
                " ELSE CAST(? AS BIGINT) END, run_after = ?, error = ?, updated_at = ?, lease_owner = NULL,"
                " lease_until = NULL WHERE id = ? AND lease_owner = ? AND state = 'running'"
              : "UPDATE job_queue SET state = 'succeeded', finished_at = ?, run_after = ?,"
                " error = ?, updated_at = ?, lease_owner = NULL, lease_until = NULL"
                " WHERE id = ? AND lease_owner = ? AND state = 'running'",
        &st);
    const int64_t n[] = {now, retry_at};
    if (!rc)
        rc = bind_ints(st, 1, n, 2);
    if (!rc)
        rc = td_db_bind_text(st, 3, error);
    if (!rc)
        rc = td_db_bind_int64(st, 4, now);
    if (!rc)
        rc = td_db_bind_text(st, 5, id);
    if (!rc)
        rc = td_db_bind_text(st, 6, owner);
    return drain_changed(st, rc);
}

td_status td_cat_job_expire(td_db_t *db, int64_t now, int64_t *n) {
    td_stmt_t *st = NULL;
    td_status rc = td_db_prepare(db,
                                 "UPDATE job_queue SET state = 'failed', finished_at = ?,"
                                 " updated_at = ?, error = 'lease_expired', lease_owner = NULL,"
                                 " lease_until = NULL WHERE state = 'running' AND lease_until < ?"
                                 " AND attempts >= max_attempts",
                                 &st);
    const int64_t v[] = {now, now, now};
    if (!rc)
        rc = bind_ints(st, 1, v, 3);
    if (!rc)
        rc = td_db_drain(st);
    if (n)
        *n = rc ? 0 : td_db_changes(st);
    td_db_finalize(st);
    return rc;
}

/* Runs a state change on one job: TD_E_NOTFOUND when the id is unknown,
 * TD_E_STATE when the job is in a state the UPDATE does not accept. */
static td_status change(td_db_t *db, const char *id, int64_t now, const char *sql) {
    td_stmt_t *st = NULL;
    td_status rc = td_db_prepare(db, sql, &st);
    const int64_t v[] = {now, now};
    if (!rc)
        rc = bind_ints(st, 1, v, 2);
    if (!rc)
        rc = td_db_bind_text(st, 3, id);
    rc = drain_changed(st, rc);
    if (rc == TD_E_STATE) {
        td_stmt_t *row = NULL;
        if (td_db_query_row(db, "SELECT id FROM job_queue WHERE id = ?", id, &row) ==
            TD_E_NOTFOUND)
            rc = TD_E_NOTFOUND;
        td_db_finalize(row);
    }
    return rc;
}

td_status td_cat_job_cancel(td_db_t *db, const char *id, int64_t now) {
    return change(db, id, now,
                  "UPDATE job_queue SET state = 'cancelled', finished_at = ?, updated_at = ?,"
                  " lease_owner = NULL, lease_until = NULL"
                  " WHERE id = ? AND state IN ('queued', 'running')");
}

td_status td_cat_job_retry(td_db_t *db, const char *id, int64_t now) {
    return change(db, id, now,
                  "UPDATE job_queue SET state = 'queued', attempts = 0, run_after = ?,"
                  " updated_at = ?, finished_at = NULL, error = NULL"
                  " WHERE id = ? AND state IN ('failed', 'cancelled')");
}

td_status td_cat_job_get(td_db_t *db, td_arena_t *a, const char *id, td_job_row_t *out) {
    td_stmt_t *st = NULL;
    td_status rc = td_db_query_row(db, "SELECT " JOB_COLS " FROM job_queue WHERE id = ?", id, &st);
    if (!rc)
        read_job(st, a, out);
    td_db_finalize(st);
    return rc;
}

/* Each filter is "(? IS NULL OR column = ?)" so one statement serves every
 * combination; the cursor is the last id of the previous page. */
td_status td_cat_job_list(td_db_t *db, td_arena_t *a, const td_job_filter_t *f,
                          td_job_row_t **out, size_t *n) {
    int limit = f->limit > 0 && f->limit <= 1000 ? f->limit : 1000;
    td_stmt_t *st = NULL;
    td_status rc = td_db_prepare(
        db,
        "SELECT " JOB_COLS " FROM job_queue WHERE (CAST(? AS TEXT) IS NULL OR kind = ?)"
        " AND (CAST(? AS TEXT) IS NULL OR state = ?) AND (CAST(? AS TEXT) IS NULL OR tenant_id = ?)"
        " AND (CAST(? AS TEXT) IS NULL OR id < ?) ORDER BY id DESC LIMIT ?",
        &st);
    const char *v[] = {f->kind, f->state, f->tenant_id, f->before};
    for (int i = 0; !rc && i < 4; i++) {
        rc = td_db_bind_text(st, 2 * i + 1, v[i]);
        if (!rc)
            rc = td_db_bind_text(st, 2 * i + 2, v[i]);
    }
    if (!rc)
        rc = td_db_bind_int64(st, 9, limit);
    td_job_row_t *rows = td_arena_alloc(a, sizeof(*rows) * (size_t)limit);
    size_t k = 0;
    int r = 0;
    if (!rows)
        rc = TD_E_NOMEM;
    while (!rc && k < (size_t)limit && (r = td_db_step(st)) == TD_DB_ROW)
        read_job(st, a, &rows[k++]);
    if (!rc && r < 0)
        rc = (td_status)r;
    td_db_finalize(st);
    *out = rows;
    *n = k;
    return rc;
}
