/* move_int.h — what move.c and move_sync.c share. */
#ifndef TD_MOVE_INT_H
#define TD_MOVE_INT_H

#include <stdint.h>

#include "store/rowstream.h"
#include "tenancy/tenancy.h"

/* A table's sum: its rows and the sum of their hashes (four 64-bit lanes),
 * the same whatever order the rows come in. */
typedef struct {
    int64_t rows;
    uint64_t lane[4];
} td_move_sum_t;

typedef struct {
    const char *service, *table;
    int64_t inserted, updated, deleted;
    td_move_sum_t src, dst; /* dst only when verified */
} td_move_table_t;

/* What a move keeps of the target between passes (each table's rows as
 * keys and hashes): a pass then reads only the source. */
typedef struct td_move_sync td_move_sync_t;
td_move_sync_t *td_move_sync_new(void);
void td_move_sync_free(td_move_sync_t *ms);
/* fn(ctx) is called every 20 000 source rows a pass reads (a job renews
 * its lease); a non-zero status stops the pass. */
typedef td_status (*td_move_beat_fn)(void *ctx);
void td_move_sync_beat(td_move_sync_t *ms, td_move_beat_fn fn, void *ctx);
/* Drops what is kept: the next pass reads the target again. */
void td_move_sync_forget(td_move_sync_t *ms);

/* Brings service's tables in dst up to date with src (src read in the
 * caller's snapshot; dst changed in one transaction of its own). With
 * verify, dst's tables are read again afterwards into their sums. A
 * careful pass reads the source twice: first to delete what it no longer
 * has, then to insert and update (what a pass that met a unique value
 * still taken by a deleted row does again). *out (arena-owned) has a line
 * per table. */
td_status td_move_sync_service(td_move_sync_t *ms, td_db_t *src, td_db_t *dst, td_arena_t *a,
                               const char *service, const char *skip, int verify, int careful,
                               td_move_table_t **out, size_t *n);
/* Between backends, cms media bytes live apart from the rows (SQLite:
 * files under the tenant's folder dir; PostgreSQL: cms.media_content):
 * carries the bytes of every media row whose hash the target does not
 * have yet (to_pg: files → table; else table → files). *carried counts
 * them. */
td_status td_move_sync_media(td_move_sync_t *ms, td_db_t *src, td_db_t *dst, int to_pg,
                             const char *dir, int64_t *carried);
int td_move_sum_equal(const td_move_sum_t *x, const td_move_sum_t *y);
void td_move_sum_hex(const td_move_sum_t *s, char out[65]);

#endif
