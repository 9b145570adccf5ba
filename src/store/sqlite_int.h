/* sqlite_int.h — what sqlite.c shares with sqlite_writers.c. */
#ifndef TD_SQLITE_INT_H
#define TD_SQLITE_INT_H

#include "common/status.h"

/* The write queue of one tenant folder (sqlite_writers.c). */
typedef struct lite_writers lite_writers_t;

/* The folder's queue, shared by its open handles (a reference each);
 * NULL when out of memory (the handle then writes as SQLite alone lets). */
lite_writers_t *lite_writers_get(const char *folder);
void lite_writers_put(lite_writers_t *w);
/* Waits for the folder's write turn, first come first served; TD_E_BUSY
 * after 5 s in line. */
td_status lite_writers_enter(lite_writers_t *w);
/* Gives the turn to the next in line. */
void lite_writers_leave(lite_writers_t *w);

/* At most this many service files per tenant handle (SQLite's default
 * limit of attached databases). */
#define LITE_FILES_MAX 10

/* After a COMMIT that wrote the named service files (their -wal, with
 * synchronous=NORMAL, not synced by SQLite): returns once an fdatasync
 * begun after that commit covered each of them — shared by every writer
 * of the folder that committed meanwhile. TD_E_UNAVAILABLE when a sync
 * failed (the commit is then not known to be durable). */
td_status lite_writers_sync(lite_writers_t *w, char (*names)[33], int n);

#endif
