/* postgres_admin.c — the administrative connection provisioning keeps.
 *
 * Creating or dropping a tenant needs a connection to the server's
 * maintenance database with the admin URL. Opening one costs a backend
 * start and a SCRAM exchange on both ends: 45–120 ms on the 2-core test
 * machine, more than all the rest of a provisioning that finds a spare
 * ready. So the connection a provisioning gives back is kept for the next
 * one: at most one per server (keyed by a hash of the admin URL; the URL,
 * a secret, is not copied), idle at most PG_ADMIN_IDLE_MS. An older one is
 * closed when any connection is taken or given back, or by pg_admin_reap
 * (the spare filler calls it). A kept connection holds no lock and no
 * transaction; one the server ended while it waited is found closed when
 * taken (pg_usable's test) and replaced, and one that fails its first
 * statement is replaced once (pg_admin_lock). It is one of the connections
 * pool_server_reserve leaves to provisioning. */
#include <pthread.h>

#include "common/timeutil.h"
#include "store/postgres_int.h"

#define PG_ADMIN_KEPT 16           /* servers with a kept connection, at most */
#define PG_ADMIN_IDLE_MS 60000     /* a kept connection older than this is closed */

typedef struct {
    unsigned char key[16]; /* BLAKE2b of the admin URL */
    PGconn *conn;          /* NULL = a free slot */
    int64_t since_ms;      /* when it was given back */
} kept_t;

static pthread_mutex_t kept_mu = PTHREAD_MUTEX_INITIALIZER;
static kept_t kept[PG_ADMIN_KEPT];

static void url_key(const char *url, unsigned char key[16]) {
    crypto_generichash(key, 16, (const unsigned char *)url, strlen(url), NULL, 0);
}

/* Closes kept connections idle longer than PG_ADMIN_IDLE_MS (lock held);
 * they are collected in out (n slots) and closed after the lock is let go. */
static size_t expire_locked(int64_t now, PGconn **out) {
    size_t n = 0;
    for (size_t i = 0; i < PG_ADMIN_KEPT; i++)
        if (kept[i].conn && now - kept[i].since_ms > PG_ADMIN_IDLE_MS) {
            out[n++] = kept[i].conn;
            kept[i].conn = NULL;
        }
    return n;
}

static void finish_all(PGconn **v, size_t n) {
    for (size_t i = 0; i < n; i++)
        PQfinish(v[i]);
}

void pg_admin_reap(void) {
    PGconn *old[PG_ADMIN_KEPT];
    pthread_mutex_lock(&kept_mu);
    size_t n = expire_locked(td_now_ms(), old);
    pthread_mutex_unlock(&kept_mu);
    finish_all(old, n);
}

/* The kept connection of url, or NULL; it is no longer kept. */
static PGconn *take_kept(const unsigned char key[16]) {
    PGconn *old[PG_ADMIN_KEPT], *c = NULL;
    pthread_mutex_lock(&kept_mu);
    size_t n = expire_locked(td_now_ms(), old);
    for (size_t i = 0; i < PG_ADMIN_KEPT && !c; i++)
        if (kept[i].conn && sodium_memcmp(kept[i].key, key, 16) == 0) {
            c = kept[i].conn;
            kept[i].conn = NULL;
        }
    pthread_mutex_unlock(&kept_mu);
    finish_all(old, n);
    /* what arrived while it waited: a server that ended the session */
    if (c && (!PQconsumeInput(c) || PQstatus(c) != CONNECTION_OK ||
              PQtransactionStatus(c) != PQTRANS_IDLE || PQisBusy(c))) {
        PQfinish(c);
        c = NULL;
    }
    return c;
}

td_status pg_admin_take(const char *url, PGconn **out, int *reused, char *err, size_t errlen) {
    unsigned char key[16];
    url_key(url ? url : "", key);
    *out = take_kept(key);
    *reused = *out != NULL;
    if (*out)
        return TD_OK;
    return pg_connect(url, NULL, NULL, NULL, NULL, out, err, errlen);
}

void pg_admin_give(const char *url, PGconn *c, int keep) {
    if (!c)
        return;
    if (!keep || PQstatus(c) != CONNECTION_OK || PQtransactionStatus(c) != PQTRANS_IDLE) {
        PQfinish(c);
        return;
    }
    unsigned char key[16];
    PGconn *old[PG_ADMIN_KEPT + 1];
    url_key(url, key);
    pthread_mutex_lock(&kept_mu);
    int64_t now = td_now_ms();
    size_t n = expire_locked(now, old), slot = PG_ADMIN_KEPT;
    for (size_t i = 0; i < PG_ADMIN_KEPT; i++) {
        if (kept[i].conn && sodium_memcmp(kept[i].key, key, 16) == 0) {
            slot = PG_ADMIN_KEPT; /* one kept per server already */
            break;
        }
        if (!kept[i].conn && slot == PG_ADMIN_KEPT)
            slot = i;
    }
    if (slot < PG_ADMIN_KEPT) {
        memcpy(kept[slot].key, key, 16);
        kept[slot].conn = c;
        kept[slot].since_ms = now;
        c = NULL;
    }
    pthread_mutex_unlock(&kept_mu);
    finish_all(old, n);
    if (c)
        PQfinish(c);
}

/* Takes an admin connection to url and the advisory lock key on it (a
 * session lock: the caller unlocks before giving the connection back). A
 * kept connection that fails here (the server restarted, say) is replaced
 * by a new one once. */
td_status pg_admin_lock(const char *url, long long key, PGconn **out, char *err, size_t errlen) {
    char sql[80];
    int reused;
    snprintf(sql, sizeof(sql), "SELECT pg_advisory_lock(%lld)", key);
    td_status st = pg_admin_take(url, out, &reused, err, errlen);
    if (!st && (st = pg_do(*out, sql, "advisory lock", err, errlen)) && reused) {
        PQfinish(*out);
        *out = NULL;
        st = pg_connect(url, NULL, NULL, NULL, NULL, out, err, errlen);
        if (!st)
            st = pg_do(*out, sql, "advisory lock", err, errlen);
    }
    return st;
}
