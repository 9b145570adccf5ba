/* arena.h — per-request (or per-job) memory with cleanup callbacks.
 *
 * Everything a request allocates comes from its arena and is freed at once
 * when the arena is destroyed. Resources that are not memory (a leased
 * database handle, a prepared statement) register a cleanup that runs, last
 * registered first, when the arena dies. The arena is not thread-safe: one
 * request, one thread at a time. */
#ifndef TD_ARENA_H
#define TD_ARENA_H

#include <stdarg.h>
#include <stddef.h>

typedef struct td_arena td_arena_t;
typedef void (*td_cleanup_fn)(void *arg);

/* Returns a new arena (caller destroys it) or NULL when out of memory.
 * max_bytes caps the total the arena will hand out (0 = 64 MiB). */
td_arena_t *td_arena_new(size_t max_bytes);
/* Runs the cleanups in reverse order, then frees every block. NULL is ok. */
void td_arena_destroy(td_arena_t *a);
/* Zeroed memory aligned for any type, owned by the arena; NULL past the cap. */
void *td_arena_alloc(td_arena_t *a, size_t n);
char *td_arena_strdup(td_arena_t *a, const char *s);
char *td_arena_strndup(td_arena_t *a, const char *s, size_t n);
char *td_arena_printf(td_arena_t *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
char *td_arena_vprintf(td_arena_t *a, const char *fmt, va_list ap);
/* Registers fn(arg) to run when the arena is destroyed. Returns 0, or -1
 * when out of memory (in which case fn(arg) has been run already, so that
 * the resource never leaks). */
int td_arena_defer(td_arena_t *a, td_cleanup_fn fn, void *arg);
/* As td_arena_defer, for giving back a connection (a leased tenant
 * database, a catalog connection): such cleanups also run, most recent
 * first, at td_arena_release — when the work that used them is done
 * (an HTTP handler returned), before the arena itself ends (its response
 * is sent). */
int td_arena_defer_release(td_arena_t *a, td_cleanup_fn fn, void *arg);
/* Runs and forgets the cleanups registered with td_arena_defer_release. */
void td_arena_release(td_arena_t *a);
/* Bytes handed out so far. */
size_t td_arena_used(const td_arena_t *a);

#endif
