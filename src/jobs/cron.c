/* cron.c — parsing 5-field cron expressions and finding their next run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jobs/cron.h"

#define MAX_EXPR 128

/* Reads a number in [lo, hi] at *p; advances *p. -1 when there is none. */
static int number(const char **p, int lo, int hi) {
    if (**p < '0' || **p > '9')
        return -1;
    int v = 0;
    while (**p >= '0' && **p <= '9' && v <= hi)
        v = v * 10 + (*(*p)++ - '0');
    return v >= lo && v <= hi ? v : -1;
}

/* Parses one comma-separated item of a field into bits; 0 or -1. */
static int item(const char *s, int lo, int hi, uint64_t *bits, int *any) {
    const char *p = s;
    int a = lo, b = hi, step = 1;
    if (*p == '*') {
        p++;
        *any = 1;
    } else if ((a = number(&p, lo, hi)) < 0) {
        return -1;
    } else if (*p == '-') {
        p++;
        if ((b = number(&p, lo, hi)) < a)
            return -1;
    } else {
        b = a;
    }
    if (*p == '/') {
        p++;
        if ((step = number(&p, 1, hi - lo + 1)) < 1)
            return -1;
        if (b == a && !*any) /* "5/10": from 5 to the end */
            b = hi;
    }
    if (*p)
        return -1;
    for (int v = a; v <= b; v += step)
        *bits |= 1ULL << v;
    return 0;
}

/* Parses a whole field (a list of items); *any when it is exactly "*". */
static int field(char *f, int lo, int hi, uint64_t *bits, int *any) {
    *bits = 0;
    *any = strcmp(f, "*") == 0;
    size_t len = strlen(f);
    if (!len || f[0] == ',' || f[len - 1] == ',' || strstr(f, ",,"))
        return -1;
    for (char *save = NULL, *it = strtok_r(f, ",", &save); it; it = strtok_r(NULL, ",", &save)) {
        int star = 0;
        if (item(it, lo, hi, bits, &star))
            return -1;
    }
    return 0;
}

td_status td_cron_parse(const char *expr, td_cron_t *out) {
    char buf[MAX_EXPR + 1], *f[6];
    if (!expr || strlen(expr) > MAX_EXPR)
        return TD_E_INVALID;
    snprintf(buf, sizeof(buf), "%s", expr);
    int n = 0;
    for (char *save = NULL, *t = strtok_r(buf, " \t", &save); t; t = strtok_r(NULL, " \t", &save))
        if (n < 6)
            f[n++] = t;
        else
            return TD_E_INVALID;
    if (n != 5)
        return TD_E_INVALID;
    static const int lo[] = {0, 0, 1, 1, 0}, hi[] = {59, 23, 31, 12, 7};
    uint64_t bits[5];
    int any[5];
    for (int i = 0; i < 5; i++)
        if (field(f[i], lo[i], hi[i], &bits[i], &any[i]))
            return TD_E_INVALID;
    if (bits[4] & (1ULL << 7)) /* 7 is Sunday too */
        bits[4] = (bits[4] | 1) & 0x7f;
    *out = (td_cron_t){.minute = bits[0],
                       .hour = (uint32_t)bits[1],
                       .dom = (uint32_t)bits[2],
                       .month = (uint16_t)bits[3],
                       .dow = (uint8_t)bits[4],
                       .dom_any = any[2],
                       .dow_any = any[4]};
    return TD_OK;
}

static int day_matches(const td_cron_t *c, const struct tm *tm) {
    int dom = (c->dom >> tm->tm_mday) & 1, dow = (c->dow >> tm->tm_wday) & 1;
    if (c->dom_any || c->dow_any)
        return dom && dow;
    return dom || dow;
}

/* Walks forward from the minute after after_ms: a day that does not match
 * skips to the next midnight, an hour to the next hour, a minute to the
 * next minute; at most five years of days. */
int64_t td_cron_next(const td_cron_t *c, int64_t after_ms) {
    time_t t = (time_t)(after_ms / 60000 + 1) * 60;
    time_t end = t + (time_t)5 * 366 * 86400;
    struct tm tm;
    while (t < end) {
        gmtime_r(&t, &tm);
        if (!((c->month >> (tm.tm_mon + 1)) & 1) || !day_matches(c, &tm)) {
            t += 86400 - (tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec);
            continue;
        }
        if (!((c->hour >> tm.tm_hour) & 1)) {
            t += 3600 - (tm.tm_min * 60 + tm.tm_sec);
            continue;
        }
        if (!((c->minute >> tm.tm_min) & 1)) {
            t += 60;
            continue;
        }
        return (int64_t)t * 1000;
    }
    return -1;
}
