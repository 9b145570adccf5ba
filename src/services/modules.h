/* modules.h — service behaviour beyond CRUD, one function per action.
 * Each runs in one transaction of the tenant's database (c->db) and
 * writes through the engine, so every row it writes has its outbox row. */
#ifndef TD_MODULES_H
#define TD_MODULES_H

#include <jansson.h>

#include "services/engine.h"

/* crm: converts a lead into a customer and a deal, all or nothing.
 * body: {"deal_title"?, "amount"?, "currency"?, "customer_name"?}.
 * *out = {"lead", "customer", "deal"}. 409 already_converted. */
td_status td_crm_convert_lead(const td_res_ctx_t *c, const char *lead_id, json_t *body,
                              json_t **out, td_res_err_t *e);

/* commerce: places an order {"customer_id"?, "currency"?, "items":
 * [{"product_id","quantity"}]} (1..100 items): takes each quantity from
 * the product's inventory (never below zero: 409 out_of_stock and nothing
 * written), records the order and its items at the products' prices.
 * Amounts are integer minor units summed in int64: a total past the
 * order's total field is TD_E_RANGE (nothing written).
 * *out = the order with "items". */
td_status td_commerce_place_order(const td_res_ctx_t *c, json_t *body, json_t **out,
                                  td_res_err_t *e);

/* analytics: appends up to TD_EVENTS_BATCH_MAX events {"events":[{name,
 * ts, value?, props?, session_id?}]}: every event is validated first
 * (errors name events[i].field), then all are written in one transaction
 * with one outbox row. *accepted = how many. */
#define TD_EVENTS_BATCH_MAX 10000
td_status td_analytics_ingest(const td_res_ctx_t *c, json_t *body, size_t *accepted,
                              td_res_err_t *e);
/* analytics: a metric over time: name is a declared metric (its event and
 * aggregation) or else an event name (count); bucket "hour" | "day"; from
 * and to are RFC 3339 times (to exclusive). *out = {"name", "event",
 * "aggregation", "bucket", "from", "to", "points": [{"t", "value"}]}. */
td_status td_analytics_series(const td_res_ctx_t *c, const char *name, const char *bucket,
                              const char *from, const char *to, json_t **out, td_res_err_t *e);

/* cms: stores the bytes of a media row: as a file under c->files_dir
 * (SQLite tenants) or in the tenant database (cms.media_content, when
 * files_dir is NULL). content_type must be the row's and must match the
 * bytes' signature for image and PDF types; len ≤ max. *row = the updated
 * media row (size, sha256, status "stored"). */
td_status td_cms_media_put(const td_res_ctx_t *c, const char *id, const char *content_type,
                           const void *bytes, size_t len, size_t max, json_t **row,
                           td_res_err_t *e);
/* The bytes of a stored media row (malloc'd into *bytes) and its type
 * (arena). */
td_status td_cms_media_get(const td_res_ctx_t *c, const char *id, void **bytes, size_t *len,
                           const char **content_type, td_res_err_t *e);
/* Removes the file of a media row deleted and committed (a hook of
 * cms.media). */
void td_cms_media_forget(const td_res_ctx_t *c, json_t *row);
/* A SQLite tenant's media bytes as files under its folder dir (a move
 * between backends carries them): the file of media id with hash sha, read
 * whole (malloc'd; TD_E_NOTFOUND when absent), or written whole unless it
 * is there already. */
td_status td_cms_media_file_read(const char *dir, const char *id, const char *sha, void **bytes,
                                 size_t *len);
td_status td_cms_media_file_write(const char *dir, const char *id, const char *sha,
                                  const void *bytes, size_t len);

#endif
