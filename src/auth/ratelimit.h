/* ratelimit.h — brute-force protection for logins.
 *
 * Failed attempts are counted per key (an account: "acct:<tenant>:<email>",
 * or a client address: "ip:<addr>") within a one-hour window. Past a free
 * allowance each further failure locks the key for a doubling delay
 * (1 s, 2 s, 4 s … up to 15 minutes); an account never gets more than 100
 * failed attempts an hour. A locked key is refused before any password is
 * checked. Process-wide, bounded in size, thread-safe. */
#ifndef TD_RATELIMIT_H
#define TD_RATELIMIT_H

#include <stdint.h>

typedef struct td_limiter td_limiter_t;

/* free_failures: failures before delays start; max_per_hour: hard cap. */
td_limiter_t *td_limiter_new(int free_failures, int max_per_hour);
void td_limiter_free(td_limiter_t *l);
/* Seconds key must still wait (0 = may try now). */
int64_t td_limiter_wait(td_limiter_t *l, const char *key, int64_t now);
void td_limiter_fail(td_limiter_t *l, const char *key, int64_t now);
void td_limiter_reset(td_limiter_t *l, const char *key);

#endif
