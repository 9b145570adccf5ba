/* cron.h — 5-field cron expressions ("minute hour day-of-month month
 * day-of-week", UTC) and the time of their next run.
 *
 * Each field is "*", a number, a range "a-b", any of those with a step
 * "/n", or a comma-separated list of them. Days of the week are 0-7 (0 and
 * 7 are Sunday). When both day fields are restricted, a day matching
 * either runs (as Vixie cron does). No names, no "L"/"W"/"#", no seconds. */
#ifndef TD_CRON_H
#define TD_CRON_H

#include <stdint.h>

#include "common/status.h"

typedef struct {
    uint64_t minute; /* bit m: minute m (0-59) */
    uint32_t hour;   /* 0-23 */
    uint32_t dom;    /* 1-31 */
    uint16_t month;  /* 1-12 */
    uint8_t dow;     /* 0-6, Sunday 0 */
    int dom_any, dow_any; /* the field was "*" (or a step over all of it) */
} td_cron_t;

/* TD_E_INVALID when expr is not a 5-field expression of the syntax above. */
td_status td_cron_parse(const char *expr, td_cron_t *out);
/* The first minute strictly after after_ms (unix ms) that c matches, in
 * ms; -1 when none within five years (e.g. "0 0 30 2 *"). */
int64_t td_cron_next(const td_cron_t *c, int64_t after_ms);

#endif
