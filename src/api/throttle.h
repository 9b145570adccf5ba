/* throttle.h — request rate limits: token buckets kept in memory.
 *
 * One bucket per key ("t:<tenant id>", "k:<api key id>", "a:<address>"),
 * holding up to rpm requests and refilled at rpm per minute, so a client
 * may burst to its limit and then goes at the limit's pace. The buckets
 * are this process's (per node). A bucket that has refilled to full
 * carries nothing and is dropped when its stripe needs the room; else a
 * bucket of a lower priority is (the fullest: it knows least); a stripe
 * full of busy buckets of the same or a higher priority lets a new key
 * through untracked rather than refuse it (counted, td_throttle_stats). */
#ifndef TD_THROTTLE_H
#define TD_THROTTLE_H

#include <stddef.h>
#include <stdint.h>

typedef struct td_throttle td_throttle_t;

/* At most max_keys buckets at once (≥ 64). NULL when out of memory. */
td_throttle_t *td_throttle_new(size_t max_keys);
void td_throttle_free(td_throttle_t *t);

/* The state of a bucket after a request, for the RateLimit-* headers. */
typedef struct {
    int64_t limit;       /* rpm */
    int64_t remaining;   /* whole requests left now */
    int64_t reset_s;     /* seconds until the bucket is full again */
    int64_t retry_after; /* refused: seconds until one request fits (≥ 1) */
} td_throttle_state_t;

/* Takes one request from key's bucket of rpm (> 0) at now_ms (a monotonic
 * clock): 1 when it fits, 0 when refused. *s describes the bucket. prio:
 * what the bucket is worth when room is short (a client address's 0, a
 * tenant's or an API key's 1: addresses an attacker can rotate through
 * never push a tenant's limit out). */
int td_throttle_take(td_throttle_t *t, const char *key, int64_t rpm, int64_t now_ms, int prio,
                     td_throttle_state_t *s);

typedef struct {
    size_t keys;      /* buckets held now */
    uint64_t untracked; /* requests let through because no bucket had room */
} td_throttle_stats_t;
void td_throttle_stats(td_throttle_t *t, td_throttle_stats_t *out);

#endif
