/* revoke.c — revoked token ids: a catalog table and an in-memory set.
 *
 * The set is a chained hash table under one mutex, one entry per key;
 * entries past their expiry are dropped when a chain is walked. Sizes stay
 * small: only tokens revoked before their natural end (15 minutes by
 * default) are held. */
#include "auth/revoke.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/tokens.h"
#include "common/timeutil.h"
#include "common/text.h"

#define NBUCKETS 1024
#define KEY_MAX 64

typedef struct entry {
    struct entry *next;
    int64_t exp;    /* unix seconds: drop after this */
    int64_t since;  /* ms: the generation (sub:) or time (tid:) it ends tokens below */
    char key[KEY_MAX + 1];
} entry_t;

struct td_revocations {
    pthread_mutex_t mu;
    entry_t *buckets[NBUCKETS];
    _Atomic int64_t next_sync; /* unix seconds: when to look at the catalog again */
    int64_t synced;            /* unix seconds up to which the catalog was read */
};

static unsigned slot(const char *s) {
    return td_hash32(s) % NBUCKETS;
}

td_revocations_t *td_revocations_new(void) {
    td_revocations_t *r = calloc(1, sizeof(*r));
    if (r)
        pthread_mutex_init(&r->mu, NULL);
    return r;
}

void td_revocations_free(td_revocations_t *r) {
    if (!r)
        return;
    for (size_t i = 0; i < NBUCKETS; i++)
        for (entry_t *e = r->buckets[i], *n; e; e = n) {
            n = e->next;
            free(e);
        }
    pthread_mutex_destroy(&r->mu);
    free(r);
}

/* Adds key, or widens the entry already there (a sync reads the same rows
 * again: one entry per key keeps the set as small as the catalog's). */
static void remember(td_revocations_t *r, const char *key, int64_t exp, int64_t since) {
    if (strlen(key) > KEY_MAX)
        return;
    pthread_mutex_lock(&r->mu);
    entry_t **b = &r->buckets[slot(key)], *e = *b;
    while (e && strcmp(e->key, key))
        e = e->next;
    if (e) {
        e->exp = exp > e->exp ? exp : e->exp;
        e->since = since > e->since ? since : e->since;
    } else if ((e = malloc(sizeof(*e)))) {
        e->exp = exp;
        e->since = since;
        snprintf(e->key, sizeof(e->key), "%s", key);
        e->next = *b;
        *b = e;
    }
    pthread_mutex_unlock(&r->mu);
}

td_status td_revocations_load(td_revocations_t *r, td_catalog_t *cat, int64_t now) {
    td_db_t *db;
    td_stmt_t *st = NULL;
    td_status rc = td_catalog_lease(cat, NULL, &db);
    if (rc)
        return rc;
    rc = td_db_prepare(
        db, "SELECT jti, expires_at, revoked_at FROM revoked_tokens WHERE expires_at > ?", &st);
    if (!rc)
        rc = td_db_bind_int64(st, 1, now);
    int step = 0;
    while (!rc && (step = td_db_step(st)) == TD_DB_ROW)
        remember(r, td_db_column_text(st, 0), td_db_column_int64(st, 1),
                 td_db_column_int64(st, 2));
    r->synced = now;
    if (!rc && step < 0)
        rc = (td_status)step;
    td_db_finalize(st);
    char cutoff[24];
    snprintf(cutoff, sizeof(cutoff), "%lld", (long long)now);
    if (!rc) /* forget what can no longer matter */
        td_db_execv(db, NULL, "DELETE FROM revoked_tokens WHERE expires_at <= CAST(? AS BIGINT)",
                    cutoff, NULL);
    td_catalog_release(cat, db);
    return rc;
}

td_status td_revocations_add(td_revocations_t *r, td_db_t *db, const char *key, int64_t since,
                             int64_t exp) {
    td_stmt_t *st = NULL;
    td_status rc = td_db_prepare(db,
                                 "INSERT INTO revoked_tokens (jti, expires_at, revoked_at)"
                                 " VALUES (?, ?, ?) ON CONFLICT (jti) DO UPDATE SET"
                                 " expires_at = excluded.expires_at, revoked_at = excluded.revoked_at"
                                 " WHERE revoked_tokens.revoked_at < excluded.revoked_at",
                                 &st);
    if (!rc)
        rc = td_db_bind_text(st, 1, key);
    if (!rc)
        rc = td_db_bind_int64(st, 2, exp);
    if (!rc)
        rc = td_db_bind_int64(st, 3, since);
    if (!rc) {
        int s = td_db_step(st);
        rc = s < 0 ? (td_status)s : TD_OK;
    }
    td_db_finalize(st);
    if (!rc && r)
        remember(r, key, exp, since);
    return rc;
}

td_status td_revoke_user(td_revocations_t *r, td_catalog_t *cat, const char *tenant_id,
                         const char *user_id, int64_t gen, int keys) {
    td_status st = gen ? td_revoke_principal(r, cat, user_id, gen) : TD_OK;
    td_db_t *db;
    if (!st && keys && !(st = td_catalog_lease(cat, NULL, &db))) {
        st = td_cat_apikey_revoke_created_by(db, tenant_id, user_id);
        td_catalog_release(cat, db);
    }
    return st;
}

td_status td_revoke_principal(td_revocations_t *r, td_catalog_t *cat, const char *sub,
                              int64_t gen) {
    char key[KEY_MAX + 1];
    if (snprintf(key, sizeof(key), "sub:%s", sub) >= (int)sizeof(key))
        return TD_E_INVALID;
    td_db_t *db;
    td_status st = td_catalog_lease(cat, NULL, &db);
    if (st)
        return st;
    st = td_revocations_add(r, db, key, gen, td_now_ms() / 1000 + TD_ACCESS_TTL + TD_JWT_SKEW_S);
    td_catalog_release(cat, db);
    return st;
}

/* Reads what other processes (the command line, other nodes) revoked since
 * the last look, at most once every interval seconds; one caller does the
 * work, the others go on. */
void td_revocations_sync(td_revocations_t *r, td_catalog_t *cat, int64_t now, int64_t interval) {
    int64_t due = atomic_load(&r->next_sync);
    if (now < due || !atomic_compare_exchange_strong(&r->next_sync, &due, now + interval))
        return;
    td_db_t *db;
    if (td_catalog_lease(cat, NULL, &db))
        return;
    td_stmt_t *st = NULL;
    /* revoked_at is when the entry starts to count (ms), stamped before its
     * row commits: read ten seconds back, so a slow commit is not missed
     * (rows read twice widen nothing) */
    int64_t from = (r->synced ? r->synced - 10 : 0) * 1000;
    if (td_db_prepare(db,
                      "SELECT jti, expires_at, revoked_at FROM revoked_tokens"
                      " WHERE revoked_at >= ? AND expires_at > ?",
                      &st) == TD_OK &&
        td_db_bind_int64(st, 1, from) == TD_OK && td_db_bind_int64(st, 2, now) == TD_OK)
        while (td_db_step(st) == TD_DB_ROW)
            remember(r, td_db_column_text(st, 0), td_db_column_int64(st, 1),
                     td_db_column_int64(st, 2));
    td_db_finalize(st);
    td_catalog_release(cat, db);
    r->synced = now;
}

/* The revocation time of key, or -1 (lock held). */
static int64_t lookup(td_revocations_t *r, const char *key, int64_t now) {
    int64_t since = -1;
    for (entry_t **pp = &r->buckets[slot(key)]; *pp;) {
        entry_t *e = *pp;
        if (e->exp <= now) { /* expired: every token it covered is dead anyway */
            *pp = e->next;
            free(e);
            continue;
        }
        if (strcmp(e->key, key) == 0 && e->since > since)
            since = e->since;
        pp = &e->next;
    }
    return since;
}

int td_revocations_covers(td_revocations_t *r, const char *jti, const char *sub, const char *tid,
                          int64_t gen, int64_t iat) {
    int64_t now = td_now_ms() / 1000;
    char k[KEY_MAX + 8];
    int hit = 0;
    pthread_mutex_lock(&r->mu);
    snprintf(k, sizeof(k), "jti:%s", jti ? jti : "");
    hit |= lookup(r, k, now) >= 0;
    snprintf(k, sizeof(k), "sub:%s", sub ? sub : "");
    hit |= sub && lookup(r, k, now) > gen;
    snprintf(k, sizeof(k), "tid:%s", tid ? tid : "");
    hit |= tid && lookup(r, k, now) >= iat * 1000;
    pthread_mutex_unlock(&r->mu);
    return hit;
}
