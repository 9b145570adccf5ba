/* timeutil.h — wall-clock and monotonic time, ISO-8601 formatting. */
#ifndef TD_TIMEUTIL_H
#define TD_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Milliseconds since the Unix epoch (wall clock). */
int64_t td_now_ms(void);
/* Monotonic nanoseconds, for measuring durations. */
int64_t td_mono_ns(void);
/* The time ms milliseconds from now on clock (for pthread_cond_timedwait:
 * CLOCK_REALTIME, or CLOCK_MONOTONIC with a condition set to it). */
struct timespec td_deadline(clockid_t clock, int64_t ms);
/* Writes "2026-11-22T10:00:00.123Z" into out (at least 25 bytes). */
void td_time_iso(int64_t ms, char *out, size_t n);
/* Parses an RFC 3339 time ("2026-11-01T10:00:00Z", fractions to any
 * precision, "+02:00" offsets) or a date ("2026-11-01", midnight UTC) into
 * milliseconds since the epoch. Returns 0, or -1 when s is not one (or out
 * of the years 1970..9999). */
int td_time_parse(const char *s, int64_t *ms);
/* s rewritten in the stored form ("2026-11-01T10:00:00.000Z", out at least
 * 25 bytes) as td_time_parse reads it; 0, or -1 when s is not a time. */
int td_time_canonical(const char *s, char *out, size_t n);

#endif
