/* arena.c — bump allocator in growing blocks, plus a cleanup stack. */
#include "common/arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TD_ARENA_BLOCK 4096
#define TD_ARENA_ALIGN 16

typedef struct block {
    struct block *next;
    size_t cap;  /* usable bytes after the header */
    size_t used; /* bytes handed out from this block */
    _Alignas(TD_ARENA_ALIGN) unsigned char data[];
} block_t;

typedef struct cleanup {
    struct cleanup *next;
    td_cleanup_fn fn;
    void *arg;
    int early; /* a connection's return: td_arena_release runs it */
} cleanup_t;

struct td_arena {
    block_t *head;       /* current block first */
    cleanup_t *cleanups; /* most recent first */
    size_t total;        /* bytes handed out */
    size_t max;          /* cap on total */
};

td_arena_t *td_arena_new(size_t max_bytes) {
    td_arena_t *a = calloc(1, sizeof(*a));
    if (!a)
        return NULL;
    a->max = max_bytes ? max_bytes : (size_t)64 << 20;
    return a;
}

void td_arena_destroy(td_arena_t *a) {
    if (!a)
        return;
    /* Cleanups may use arena memory, so they run before blocks are freed. */
    for (cleanup_t *c = a->cleanups, *n; c; c = n) {
        n = c->next;
        c->fn(c->arg);
        free(c);
    }
    for (block_t *b = a->head, *n; b; b = n) {
        n = b->next;
        free(b);
    }
    free(a);
}

void *td_arena_alloc(td_arena_t *a, size_t n) {
    size_t need = (n + TD_ARENA_ALIGN - 1) & ~(size_t)(TD_ARENA_ALIGN - 1);
    if (need < n || a->total + need > a->max)
        return NULL;
    block_t *b = a->head;
    if (!b || b->cap - b->used < need) {
        size_t cap = need > TD_ARENA_BLOCK ? need : TD_ARENA_BLOCK;
        b = malloc(sizeof(*b) + cap);
        if (!b)
            return NULL;
        b->cap = cap;
        b->used = 0;
        b->next = a->head;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += need;
    a->total += need;
    memset(p, 0, n);
    return p;
}

char *td_arena_strndup(td_arena_t *a, const char *s, size_t n) {
    char *p = td_arena_alloc(a, n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

char *td_arena_strdup(td_arena_t *a, const char *s) {
    return s ? td_arena_strndup(a, s, strlen(s)) : NULL;
}

char *td_arena_vprintf(td_arena_t *a, const char *fmt, va_list ap) {
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return NULL;
    char *p = td_arena_alloc(a, (size_t)n + 1);
    if (p)
        vsnprintf(p, (size_t)n + 1, fmt, ap);
    return p;
}

char *td_arena_printf(td_arena_t *a, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *p = td_arena_vprintf(a, fmt, ap);
    va_end(ap);
    return p;
}

static int defer(td_arena_t *a, td_cleanup_fn fn, void *arg, int early) {
    cleanup_t *c = malloc(sizeof(*c));
    if (!c) {
        fn(arg);
        return -1;
    }
    c->fn = fn;
    c->arg = arg;
    c->early = early;
    c->next = a->cleanups;
    a->cleanups = c;
    return 0;
}

int td_arena_defer(td_arena_t *a, td_cleanup_fn fn, void *arg) { return defer(a, fn, arg, 0); }

int td_arena_defer_release(td_arena_t *a, td_cleanup_fn fn, void *arg) {
    return defer(a, fn, arg, 1);
}

void td_arena_release(td_arena_t *a) {
    for (cleanup_t **pp = &a->cleanups; *pp;) {
        cleanup_t *c = *pp;
        if (!c->early) {
            pp = &c->next;
            continue;
        }
        *pp = c->next;
        c->fn(c->arg);
        free(c);
    }
}

size_t td_arena_used(const td_arena_t *a) { return a->total; }
