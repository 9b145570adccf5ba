/* ratelimit.c — failure counters with doubling lockouts. */
#include "auth/ratelimit.h"
#include "common/text.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NBUCKETS 4096
#define MAX_ENTRIES 200000
#define WINDOW_S 3600
#define MAX_DELAY_S 900
#define KEY_MAX 300

typedef struct entry {
    struct entry *next;
    int64_t window_start; /* first failure of the current hour */
    int64_t locked_until;
    int failures;
    char key[KEY_MAX + 1];
} entry_t;

struct td_limiter {
    pthread_mutex_t mu;
    entry_t *buckets[NBUCKETS];
    size_t n;
    int free_failures, max_per_hour;
};

static unsigned slot(const char *s) {
    return td_hash32(s) % NBUCKETS;
}

td_limiter_t *td_limiter_new(int free_failures, int max_per_hour) {
    td_limiter_t *l = calloc(1, sizeof(*l));
    if (!l)
        return NULL;
    pthread_mutex_init(&l->mu, NULL);
    l->free_failures = free_failures;
    l->max_per_hour = max_per_hour;
    return l;
}

void td_limiter_free(td_limiter_t *l) {
    if (!l)
        return;
    for (size_t i = 0; i < NBUCKETS; i++)
        for (entry_t *e = l->buckets[i], *n; e; e = n) {
            n = e->next;
            free(e);
        }
    pthread_mutex_destroy(&l->mu);
    free(l);
}

/* Finds key's entry, dropping stale ones on the way (lock held). */
static entry_t *find(td_limiter_t *l, const char *key, int64_t now, entry_t ***where) {
    entry_t **pp = &l->buckets[slot(key)];
    while (*pp) {
        entry_t *e = *pp;
        if (e->window_start + WINDOW_S <= now && e->locked_until <= now) {
            *pp = e->next;
            free(e);
            l->n--;
            continue;
        }
        if (strcmp(e->key, key) == 0) {
            if (where)
                *where = pp;
            return e;
        }
        pp = &e->next;
    }
    return NULL;
}

int64_t td_limiter_wait(td_limiter_t *l, const char *key, int64_t now) {
    pthread_mutex_lock(&l->mu);
    entry_t *e = find(l, key, now, NULL);
    int64_t wait = 0;
    if (e && e->locked_until > now)
        wait = e->locked_until - now;
    if (e && e->failures >= l->max_per_hour && e->window_start + WINDOW_S > now) {
        int64_t w = e->window_start + WINDOW_S - now;
        wait = w > wait ? w : wait;
    }
    pthread_mutex_unlock(&l->mu);
    return wait;
}

void td_limiter_fail(td_limiter_t *l, const char *key, int64_t now) {
    if (strlen(key) > KEY_MAX)
        return;
    pthread_mutex_lock(&l->mu);
    entry_t *e = find(l, key, now, NULL);
    if (!e && l->n < MAX_ENTRIES && (e = calloc(1, sizeof(*e)))) {
        snprintf(e->key, sizeof(e->key), "%s", key);
        e->window_start = now;
        entry_t **b = &l->buckets[slot(key)];
        e->next = *b;
        *b = e;
        l->n++;
    }
    if (e) {
        if (e->window_start + WINDOW_S <= now) { /* a new hour */
            e->window_start = now;
            e->failures = 0;
        }
        e->failures++;
        int over = e->failures - l->free_failures;
        if (over > 0) {
            int64_t delay = over >= 11 ? MAX_DELAY_S : (int64_t)1 << (over - 1);
            e->locked_until = now + (delay > MAX_DELAY_S ? MAX_DELAY_S : delay);
        }
    }
    pthread_mutex_unlock(&l->mu);
}

void td_limiter_reset(td_limiter_t *l, const char *key) {
    pthread_mutex_lock(&l->mu);
    entry_t **pp = NULL;
    entry_t *e = find(l, key, 0, &pp);
    if (e) {
        *pp = e->next;
        free(e);
        l->n--;
    }
    pthread_mutex_unlock(&l->mu);
}
