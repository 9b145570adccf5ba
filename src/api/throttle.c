/* throttle.c — token buckets in striped hash tables (throttle.h).
 *
 * A bucket's level is counted in thousandths of a request, refilled by
 * elapsed ms × rpm / 60 with the remainder of the division carried, so a
 * slow limit (1 a minute) refills exactly however often it is asked. */
#include "api/throttle.h"
#include "common/text.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define STRIPES 64
#define KEY_MAX 96
#define MILLI 1000

typedef struct bucket {
    struct bucket *next;
    int64_t rpm, level, at_ms, rem; /* level in thousandths of a request */
    int prio;
    char key[KEY_MAX];
} bucket_t;

typedef struct {
    pthread_mutex_t mu;
    bucket_t **slot;
    size_t nslot, count, cap;
} stripe_t;

struct td_throttle {
    stripe_t s[STRIPES];
    atomic_uint_fast64_t untracked;
};

td_throttle_t *td_throttle_new(size_t max_keys) {
    td_throttle_t *t = calloc(1, sizeof(*t));
    size_t cap = (max_keys < STRIPES ? STRIPES : max_keys) / STRIPES, n = 16;
    while (n < cap)
        n *= 2;
    for (int i = 0; t && i < STRIPES; i++) {
        pthread_mutex_init(&t->s[i].mu, NULL);
        t->s[i].cap = cap;
        t->s[i].nslot = n;
        if (!(t->s[i].slot = calloc(n, sizeof(bucket_t *)))) {
            td_throttle_free(t);
            return NULL;
        }
    }
    return t;
}

void td_throttle_free(td_throttle_t *t) {
    if (!t)
        return;
    for (int i = 0; i < STRIPES; i++) {
        for (size_t j = 0; t->s[i].slot && j < t->s[i].nslot; j++)
            for (bucket_t *b = t->s[i].slot[j], *n; b; b = n) {
                n = b->next;
                free(b);
            }
        free(t->s[i].slot);
        pthread_mutex_destroy(&t->s[i].mu);
    }
    free(t);
}

/* Brings b's level up to now. */
static void refill(bucket_t *b, int64_t now) {
    int64_t full = b->rpm * MILLI;
    if (now <= b->at_ms || b->level >= full) {
        if (b->level >= full)
            b->level = full, b->rem = 0;
        b->at_ms = now > b->at_ms ? now : b->at_ms;
        return;
    }
    int64_t part = (now - b->at_ms) * b->rpm + b->rem;
    b->level += part / 60;
    b->rem = part % 60;
    b->at_ms = now;
    if (b->level >= full)
        b->level = full, b->rem = 0;
}

/* Drops the stripe's buckets that are full again (lock held). */
static void sweep(stripe_t *s, int64_t now) {
    for (size_t j = 0; j < s->nslot; j++)
        for (bucket_t **pp = &s->slot[j]; *pp;) {
            bucket_t *b = *pp;
            refill(b, now);
            if (b->level >= b->rpm * MILLI) {
                *pp = b->next;
                free(b);
                s->count--;
            } else
                pp = &b->next;
        }
}

/* Drops the fullest bucket of a priority below prio (lock held); 1 when
 * one was. */
static int drop_lower(stripe_t *s, int prio) {
    bucket_t **victim = NULL;
    for (size_t j = 0; j < s->nslot; j++)
        for (bucket_t **pp = &s->slot[j]; *pp; pp = &(*pp)->next)
            if ((*pp)->prio < prio &&
                (!victim || (*pp)->level * (*victim)->rpm > (*victim)->level * (*pp)->rpm))
                victim = pp;
    if (!victim)
        return 0;
    bucket_t *b = *victim;
    *victim = b->next;
    free(b);
    s->count--;
    return 1;
}

static int64_t ceil_div(int64_t a, int64_t b) { return a <= 0 ? 0 : (a + b - 1) / b; }

int td_throttle_take(td_throttle_t *t, const char *key, int64_t rpm, int64_t now_ms, int prio,
                     td_throttle_state_t *st) {
    uint64_t h = td_hash64(key);
    stripe_t *s = &t->s[h % STRIPES];
    *st = (td_throttle_state_t){.limit = rpm, .remaining = rpm - 1};
    if (rpm <= 0 || strlen(key) >= KEY_MAX)
        return 1;
    pthread_mutex_lock(&s->mu);
    bucket_t **head = &s->slot[(h / STRIPES) & (s->nslot - 1)], *b = *head;
    while (b && strcmp(b->key, key))
        b = b->next;
    if (!b) {
        if (s->count >= s->cap)
            sweep(s, now_ms);
        if (s->count >= s->cap)
            drop_lower(s, prio);
        if (s->count >= s->cap || !(b = calloc(1, sizeof(*b)))) {
            pthread_mutex_unlock(&s->mu);
            atomic_fetch_add(&t->untracked, 1);
            return 1;
        }
        strcpy(b->key, key);
        b->rpm = rpm, b->level = rpm * MILLI, b->at_ms = now_ms, b->prio = prio;
        b->next = *head;
        *head = b;
        s->count++;
    }
    if (b->rpm != rpm) { /* the limit changed (a new plan): keep what is left */
        b->rpm = rpm;
        if (b->level > rpm * MILLI)
            b->level = rpm * MILLI;
    }
    refill(b, now_ms);
    int ok = b->level >= MILLI;
    if (ok)
        b->level -= MILLI;
    /* ms to go × rpm / 60 = thousandths: ms = thousandths × 60 / rpm */
    st->remaining = b->level / MILLI;
    st->reset_s = ceil_div(ceil_div((rpm * MILLI - b->level) * 60, rpm), 1000);
    st->retry_after = ok ? 0 : ceil_div(ceil_div((MILLI - b->level) * 60, rpm), 1000);
    if (!ok && st->retry_after < 1)
        st->retry_after = 1;
    pthread_mutex_unlock(&s->mu);
    return ok;
}

void td_throttle_stats(td_throttle_t *t, td_throttle_stats_t *out) {
    out->keys = 0;
    for (int i = 0; i < STRIPES; i++) {
        pthread_mutex_lock(&t->s[i].mu);
        out->keys += t->s[i].count;
        pthread_mutex_unlock(&t->s[i].mu);
    }
    out->untracked = atomic_load(&t->untracked);
}
