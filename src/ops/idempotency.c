/* idempotency.c — idempotency keys for mutations, reusable by any route:
 * the first answer to a request made with an Idempotency-Key is stored
 * (idempotency_keys, catalog 0016) and replayed, status and body alike, to
 * every repeat with the same key and the same request; the same key with
 * another request is refused (422 idempotency_key_reused) and one whose
 * first request still runs is 409 idempotency_key_in_use. A first request
 * that failed with a 5xx gives its key up, so a retry runs again. Answers
 * are kept TD_IDEM_TTL_MS (24 hours); an older key may be used again.
 *
 * The claim is its own small catalog transaction before the mutation, and
 * the answer another after it: a crash between the mutation and the
 * answer leaves a claim that a retry finds "in use" for a minute
 * (TD_IDEM_STALE_MS), then runs again — which is why credits also store
 * the key in their ledger row (unique per tenant): such a retry answers
 * the change made before the crash and never applies it twice. */
#include <string.h>

#include "catalog/credits.h"
#include "common/timeutil.h"
#include "ops/credits.h"

static int key_ok(const char *k) {
    size_t n = k ? strlen(k) : 0;
    if (n < 1 || n > 255)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (k[i] < 0x21 || k[i] > 0x7e)
            return 0;
    return 1;
}

/* A leased catalog connection (op's arena) in a write transaction. */
static td_status in_txn(td_op_t *op, td_db_t **db) {
    td_status st = td_catalog_lease(op->platform->catalog, op->arena, db);
    if (!st)
        st = td_db_begin(*db, TD_DB_WRITE);
    return st;
}

td_status td_op_idem_begin(td_op_t *op, const char *scope, const char *key,
                           const char *request_hash, td_idem_t *out) {
    memset(out, 0, sizeof(*out));
    if (!key_ok(key))
        return td_op_fail(op, TD_E_INVALID, 400, "invalid_idempotency_key",
                          "the Idempotency-Key header is 1 to 255 visible ASCII characters");
    int64_t now = td_now_ms();
    td_idem_row_t row = {0};
    td_db_t *db = NULL;
    td_status st = in_txn(op, &db);
    if (!st) {
        st = td_cat_idem_claim(db, op->arena, scope, key, request_hash, now, now - TD_IDEM_TTL_MS,
                               &row);
        if (st == TD_OK || st == TD_E_EXISTS) { /* both keep the expired rows' removal */
            td_status cst = td_db_commit(db);
            st = cst ? cst : st;
        }
        if (st && st != TD_E_EXISTS)
            td_db_rollback(db);
    }
    out->scope = scope;
    out->key = key;
    if (st == TD_OK)
        return TD_OK;
    if (st != TD_E_EXISTS)
        return td_op_fail(op, st, 503, "catalog_unavailable", "the catalog does not answer");
    if (strcmp(row.request_hash, request_hash))
        return td_op_fail(op, TD_E_CONFLICT, 422, "idempotency_key_reused",
                          "this Idempotency-Key was used for another request");
    if (row.status == 0)
        return td_op_fail(op, TD_E_CONFLICT, 409, "idempotency_key_in_use",
                          "the first request with this Idempotency-Key is still running");
    out->replay = 1;
    out->status = row.status;
    out->body = row.body ? row.body : "";
    return TD_OK;
}

void td_op_idem_end(td_op_t *op, const td_idem_t *idem, int status, const char *body,
                    size_t len) {
    td_db_t *db = NULL;
    char *copy = td_arena_alloc(op->arena, len + 1);
    if (!copy)
        return;
    memcpy(copy, body ? body : "", len);
    copy[len] = '\0';
    td_status st = in_txn(op, &db);
    if (!st) {
        st = status >= 500 ? td_cat_idem_release(db, idem->scope, idem->key)
                           : td_cat_idem_store(db, idem->scope, idem->key, status, copy);
        st = st ? st : td_db_commit(db);
        if (st)
            td_db_rollback(db);
    }
}
