/* batch.h — analytics: an event batch as the texts its rows are written
 * with, and the two ways of getting there.
 *
 * td_event_batch_scan reads {"events":[…]} from the body's text in one
 * pass (no jansson value per event) and takes the batch only when every
 * event is valid in the forms it reads; for any other body the caller
 * parses it (td_json_parse) and calls td_analytics_ingest (modules.h),
 * which validates each event through the engine and names what is wrong.
 * Both end in td_event_batch_write: one transaction, the rows appended
 * with td_db_insert_rows (COPY on PostgreSQL), one outbox row. */
#ifndef TD_ANALYTICS_BATCH_H
#define TD_ANALYTICS_BATCH_H

#include <stddef.h>

#include "services/engine.h"
#include "services/query.h"

typedef struct {
    const td_resource_t *r; /* analytics.events */
    size_t n, cap;          /* events; rows allocated */
    const char **vals;      /* n × r->nfields texts in r->fields order, NULL
                               for SQL NULL; system columns are filled by
                               td_event_batch_write. Arena memory. */
} td_event_batch_t;

/* A batch of n rows for r, every value NULL, from arena a; NULL when out
 * of memory. */
td_event_batch_t *td_event_batch_new(td_arena_t *a, const td_resource_t *r, size_t n);

/* The text td_db_insert_rows takes for a parameter: its text, an
 * integer in decimal (arena a), NULL for NULL. */
const char *td_event_param_text(td_arena_t *a, td_param_t p);

/* Reads body (len bytes): TD_OK with *out (memory of a) when the body is
 * {"events":[…]} with 1…TD_EVENTS_BATCH_MAX events, each valid; otherwise
 * TD_E_INVALID and *out NULL — the general path then answers exactly as
 * it always did (bad JSON, invalid_batch, batch_too_large, the event
 * errors). */
td_status td_event_batch_scan(td_arena_t *a, const char *body, size_t len,
                              td_event_batch_t **out);

/* Writes b in one transaction of c->db: ids, created_at and updated_at
 * (now) and the owner (c->actor, unless set) filled in, the rows
 * appended, one outbox row ("batch", rows = n). *accepted = n on TD_OK. */
td_status td_event_batch_write(const td_res_ctx_t *c, td_event_batch_t *b, size_t *accepted,
                               td_res_err_t *e);

#endif
