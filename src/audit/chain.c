/* chain.c — the canonical encoding of a record, its hash, appending to a
 * tenant's chain, one record appended now (td_audit_record), and anchors.
 *
 * Canonical encoding (src/audit/README.md): the tag "tdaudit1", then each
 * field in a fixed order as a 4-byte big-endian length and its bytes, or
 * the length 0xFFFFFFFF alone for NULL; integers as decimal text. The
 * hash is BLAKE2b-256 (crypto_generichash) of the previous record's hash
 * (32 bytes) followed by that encoding, written as 64 lowercase hex. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "common/fault.h"
#include "common/id.h"
#include "common/log.h"
#include "common/timeutil.h"

/* One field: its length (big-endian) and bytes, or 0xFFFFFFFF for NULL. */
static void put(crypto_generichash_state *h, const char *s) {
    uint32_t n = s ? (uint32_t)strlen(s) : 0xFFFFFFFFu;
    unsigned char len[4] = {(unsigned char)(n >> 24), (unsigned char)(n >> 16),
                            (unsigned char)(n >> 8), (unsigned char)n};
    crypto_generichash_update(h, len, 4);
    if (s)
        crypto_generichash_update(h, (const unsigned char *)s, n);
}

static void put_int(crypto_generichash_state *h, int64_t v) {
    char num[24];
    snprintf(num, sizeof(num), "%lld", (long long)v);
    put(h, num);
}

/* Starts a hash with the tag and the previous hash's 32 bytes (an
 * unreadable prev_hex counts as the genesis). */
static void start(crypto_generichash_state *h, const char *tag, const char *prev_hex) {
    unsigned char prev[32] = {0};
    size_t n = 0;
    if (prev_hex &&
        (sodium_hex2bin(prev, sizeof(prev), prev_hex, strlen(prev_hex), NULL, &n, NULL) ||
         n != 32))
        memset(prev, 0, sizeof(prev));
    crypto_generichash_init(h, NULL, 0, 32);
    crypto_generichash_update(h, (const unsigned char *)tag, strlen(tag));
    crypto_generichash_update(h, prev, sizeof(prev));
}

static void finish(crypto_generichash_state *h, char out[65]) {
    unsigned char d[32];
    crypto_generichash_final(h, d, sizeof(d));
    sodium_bin2hex(out, 65, d, sizeof(d));
}

void td_audit_hash(const char *prev_hex, const td_audit_row_t *r, char out[65]) {
    crypto_generichash_state h;
    start(&h, "tdaudit1", prev_hex);
    put(&h, r->tenant_id);
    put_int(&h, r->seq);
    put(&h, r->id);
    put_int(&h, r->at);
    const char *f[] = {r->actor_kind, r->actor_id,   r->service,     r->action,
                       r->resource,   r->row_id,     r->request_id,  r->client_addr,
                       r->outcome,    r->detail,     r->source};
    for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
        put(&h, f[i]);
    finish(&h, out);
}

static int by_tenant(const void *x, const void *y) {
    return strcmp(((const td_audit_head_t *)x)->tenant_id, ((const td_audit_head_t *)y)->tenant_id);
}

/* Sorts hd by tenant id (bytewise: no collation decides) and hashes it. */
void td_audit_heads_hash(td_audit_head_t *hd, size_t n, char out[65]) {
    if (n)
        qsort(hd, n, sizeof(*hd), by_tenant);
    crypto_generichash_state h;
    start(&h, "tdheads1", NULL);
    for (size_t i = 0; i < n; i++) {
        put(&h, hd[i].tenant_id);
        put_int(&h, hd[i].seq);
        put(&h, hd[i].hash);
    }
    finish(&h, out);
}

void td_audit_anchor_hash(const char *prev_hex, const td_audit_anchor_t *an, char out[65]) {
    crypto_generichash_state h;
    start(&h, "tdanchor1", prev_hex);
    put_int(&h, an->seq);
    put_int(&h, an->at);
    put_int(&h, an->ntenants);
    put(&h, an->heads_hash);
    finish(&h, out);
}

td_status td_audit_append(td_db_t *db, td_arena_t *a, const char *tenant_id, td_audit_row_t *rows,
                          size_t n, int64_t now) {
    int64_t seq = 0;
    char prev[65];
    td_status rc = td_cat_audit_head_lock(db, tenant_id, &seq, prev);
    for (size_t i = 0; !rc && i < n; i++) {
        td_audit_row_t *r = &rows[i];
        char id[TD_ID_LEN + 1], hash[65];
        r->tenant_id = tenant_id;
        r->seq = ++seq;
        if (!r->id) {
            td_id_new(id);
            r->id = td_arena_strdup(a, id);
        }
        r->prev_hash = td_arena_strdup(a, prev);
        td_audit_hash(prev, r, hash);
        r->hash = td_arena_strdup(a, hash);
        if (!r->id || !r->prev_hash || !r->hash)
            rc = TD_E_NOMEM;
        memcpy(prev, hash, sizeof(prev));
    }
    if (!rc && n)
        rc = td_cat_audit_insert(db, rows, n);
    if (!rc && n)
        rc = td_cat_audit_head_set(db, tenant_id, seq, prev, now);
    return rc;
}

td_status td_audit_record(td_op_t *op, const char *tenant_id, const char *service,
                          const char *action, const char *resource, const char *row_id,
                          const char *outcome, const char *detail) {
    int64_t now = td_now_ms();
    if (op->actor.impersonator) /* both identities: the user acts, the superadmin as it */
        detail = td_arena_printf(op->arena, "%s%simpersonated by superadmin %s (impersonation %s)",
                                 detail ? detail : "", detail ? "; " : "",
                                 op->actor.impersonator,
                                 op->actor.impersonation ? op->actor.impersonation : "?");
    td_audit_row_t r = {.at = now,
                        .actor_kind = td_actor_kind_name(op->actor.kind),
                        .actor_id = op->actor.id,
                        .service = service,
                        .action = action,
                        .resource = resource,
                        .row_id = row_id,
                        .request_id = op->request_id,
                        .client_addr = op->client_addr,
                        .outcome = outcome ? outcome : "ok",
                        .detail = detail};
    td_db_t *db = NULL; /* leased for this record only: a request may write several */
    td_status st = td_catalog_lease(op->platform->catalog, NULL, &db);
    if (!st && !(st = td_db_begin(db, TD_DB_WRITE))) {
        st = td_audit_append(db, op->arena, tenant_id ? tenant_id : "", &r, 1, now);
        st = st ? st : td_db_commit(db);
        if (st)
            td_db_rollback(db);
    }
    if (db)
        td_catalog_release(op->platform->catalog, db);
    if (st) {
        td_log(TD_LOG_ERROR, "audit record not written", "action", action, "error",
               td_status_code(st), NULL);
        return td_op_fail(op, st, 503, "catalog_unavailable", "the audit record was not written");
    }
    return TD_OK;
}

/* The anchor: locks the anchors' chain (its audit_heads row), reads every
 * head that moved since its last anchor, and records the anchor, its
 * heads, and their new anchored_seq in one transaction. */
td_status td_audit_anchor(td_platform_t *p, int64_t now) {
    td_arena_t *a = td_arena_new(0);
    td_db_t *db = NULL;
    td_status st = a ? td_catalog_lease(p->catalog, a, &db) : TD_E_NOMEM;
    if (!st)
        st = td_db_begin(db, TD_DB_WRITE);
    if (st)
        goto done;
    int64_t seq = 0;
    char prev[65], heads_hash[65], hash[65];
    td_audit_head_t *heads = NULL;
    size_t n = 0;
    st = td_cat_audit_head_lock(db, TD_AUDIT_ANCHOR_CHAIN, &seq, prev);
    if (!st)
        st = td_cat_audit_heads(db, a, 1, &heads, &n);
    if (!st && n) {
        td_audit_heads_hash(heads, n, heads_hash);
        td_audit_anchor_t an = {seq + 1, now, (int64_t)n, heads_hash, prev, NULL};
        td_audit_anchor_hash(prev, &an, hash);
        an.hash = hash;
        st = td_cat_audit_anchor_insert(db, &an);
        for (size_t i = 0; !st && i < n; i++)
            st = td_cat_audit_anchor_head(db, an.seq, &heads[i]);
        if (!st)
            st = td_cat_audit_head_set(db, TD_AUDIT_ANCHOR_CHAIN, an.seq, hash, now);
        TD_FAULT("anchor");
    }
    st = st ? st : td_db_commit(db);
    if (st)
        td_db_rollback(db);
done:
    td_arena_destroy(a);
    return st;
}
