/* orders.c — commerce: placing an order.
 *
 * One transaction: each item's quantity is taken from its product's
 * inventory by a conditional UPDATE (… WHERE quantity >= n), which is
 * atomic on both backends — concurrent orders can never drive stock below
 * zero, and an order that cannot be served whole writes nothing (409
 * out_of_stock). Then the order and its items are written through the
 * engine at the products' current prices.
 *
 * Money is integer minor units, never floating point: each line's price
 * × quantity and the running total are computed in int64 with overflow
 * checks, and a total beyond what the order's total field holds (or
 * beyond int64 on the way) refuses the order whole: 422
 * validation_failed naming the item (out_of_range), nothing written. */
#include <stdio.h>
#include <string.h>

#include "common/id.h"
#include "common/timeutil.h"
#include "services/modules.h"
#include "services/query.h"
#include "services/services.h"

#define ITEMS_MAX 100

typedef struct {
    json_t *body, **out;
} order_t;

static void item_error(json_t *errors, size_t i, const char *field, const char *code,
                       const char *msg) {
    char name[64];
    snprintf(name, sizeof(name), "items[%zu].%s", i, field);
    json_array_append_new(errors, json_pack("{s:s, s:s, s:s}", "field", name, "code", code,
                                            "message", msg));
}

/* Checks the shape of the body; the engine checks the order's own fields. */
static td_status check_body(json_t *body, td_res_err_t *e) {
    json_t *items = json_object_get(body, "items");
    json_t *errors = json_array();
    const char *bk;
    json_t *bv;
    json_object_foreach(body, bk, bv) if (strcmp(bk, "items") && strcmp(bk, "customer_id") &&
                                          strcmp(bk, "currency"))
        json_array_append_new(errors, json_pack("{s:s, s:s, s:s}", "field", bk, "code",
                                                "unknown_field", "message",
                                                "an order takes items, customer_id, currency"));
    if (!json_is_array(items) || !json_array_size(items) || json_array_size(items) > ITEMS_MAX)
        json_array_append_new(errors, json_pack("{s:s, s:s, s:s}", "field", "items", "code",
                                                "invalid_type", "message",
                                                "items is a list of 1 to 100 items"));
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it) {
        const char *k;
        json_t *v;
        if (!json_is_object(it)) {
            item_error(errors, i, "", "invalid_type", "an item is an object");
            continue;
        }
        json_object_foreach(it, k, v) if (strcmp(k, "product_id") && strcmp(k, "quantity"))
            item_error(errors, i, k, "unknown_field", "items take product_id and quantity");
        if (!td_id_valid(json_string_value(json_object_get(it, "product_id"))))
            item_error(errors, i, "product_id", "invalid_reference", "a product id is required");
        json_t *q = json_object_get(it, "quantity");
        if (!json_is_integer(q) || json_integer_value(q) < 1 || json_integer_value(q) > 1000000)
            item_error(errors, i, "quantity", "out_of_range", "quantity is 1..1000000");
    }
    if (json_array_size(errors)) {
        e->errors = errors;
        return td_res_fail(e, TD_E_INVALID, "validation_failed", "the order is not valid");
    }
    json_decref(errors);
    return TD_OK;
}

/* Takes n units of product from stock; TD_E_CONFLICT when there are not
 * that many. */
static td_status take_stock(const td_res_ctx_t *c, const char *product, json_int_t n,
                            td_res_err_t *e) {
    char now[40];
    td_time_iso(td_now_ms(), now, sizeof(now));
    td_query_t q;
    td_query_init(&q, c->arena);
    td_query_sql(&q, "UPDATE \"commerce\".\"inventory\" SET \"quantity\" = \"quantity\" - ");
    td_query_int(&q, n);
    td_query_sql(&q, ", \"updated_at\" = ");
    td_query_text(&q, now);
    td_query_sql(&q, " WHERE \"product_id\" = ");
    td_query_text(&q, product);
    td_query_sql(&q, " AND \"quantity\" >= ");
    td_query_int(&q, n);
    int64_t changed = 0;
    td_status rc = td_query_exec(&q, c->db, &changed);
    td_query_free(&q);
    if (rc)
        return td_res_fail(e, rc, rc == TD_E_BUSY ? "busy" : "database_error",
                           "the inventory could not be updated");
    if (!changed)
        return td_res_fail(e, TD_E_CONFLICT, "out_of_stock",
                           "not enough stock of product %s", product);
    return td_outbox_append(c, "commerce", "update", "inventory", NULL, 0, 0);
}

/* Adds price × n to *total, checked: TD_E_RANGE (with the item named in
 * e) when the line or the sum goes beyond max. */
static td_status add_line(int64_t *total, json_int_t price, json_int_t n, int64_t max, size_t i,
                          td_res_err_t *e) {
    int64_t line;
    if (!__builtin_mul_overflow(price, n, &line) && !__builtin_add_overflow(*total, line, total) &&
        *total <= max)
        return TD_OK;
    json_t *errors = json_array();
    item_error(errors, i, "quantity", "out_of_range",
               "price × quantity takes the order's total beyond what an amount holds");
    e->errors = errors;
    return td_res_fail(e, TD_E_RANGE, "validation_failed",
                       "items[%zu]: the order's total would be beyond %lld", i, (long long)max);
}

static td_status place(const td_res_ctx_t *c, void *arg, td_res_err_t *e) {
    order_t *a = arg;
    const td_resource_t *products = td_service_resource("commerce", "products");
    const td_resource_t *orders = td_service_resource("commerce", "orders");
    const td_resource_t *lines = td_service_resource("commerce", "order_items");
    if (!products || !orders || !lines)
        return td_res_fail(e, TD_E_NOTFOUND, "not_found", "commerce is not complete");
    json_t *items = json_object_get(a->body, "items");
    td_status rc = check_body(a->body, e);
    td_res_ctx_t shop = *c;
    shop.scope = TD_SCOPE_TENANT; /* the catalogue of products is the tenant's */
    const td_field_t *tf = td_resource_field(orders, "total");
    int64_t total = 0, max = tf && tf->type == TD_F_INTEGER ? tf->imax : TD_INT_SAFE;
    json_t *prices = json_array();
    size_t i;
    json_t *it;
    json_array_foreach(rc ? NULL : items, i, it) {
        const char *pid = json_string_value(json_object_get(it, "product_id"));
        json_int_t n = json_integer_value(json_object_get(it, "quantity"));
        json_t *p = NULL;
        td_res_err_t pe = {0};
        if ((rc = td_res_get(&shop, products, pid, &p, &pe))) {
            rc = rc == TD_E_NOTFOUND ? td_res_fail(e, TD_E_INVALID, "invalid_reference",
                                                   "items[%zu]: no such product", i)
                                     : td_res_fail(e, rc, pe.code, "%s", pe.detail);
            break;
        }
        json_t *active = json_object_get(p, "active");
        json_int_t price = json_integer_value(json_object_get(p, "price"));
        json_array_append(prices, json_object_get(p, "price"));
        json_decref(p);
        if (active && !json_is_true(active)) {
            rc = td_res_fail(e, TD_E_CONFLICT, "product_inactive",
                             "items[%zu]: the product is not for sale", i);
            break;
        }
        if ((rc = add_line(&total, price, n, max, i, e)) || (rc = take_stock(c, pid, n, e)))
            break;
    }
    json_t *order = NULL;
    if (!rc) {
        json_t *ob = json_deep_copy(a->body);
        json_object_del(ob, "items");
        json_object_set_new(ob, "total", json_integer(total));
        /* trusted: total is read-only to callers; the body's other keys
         * were limited to customer_id and currency by check_body */
        rc = td_res_insert(c, orders, ob, TD_W_TRUSTED, &order, e);
        json_decref(ob);
    }
    json_t *written = json_array();
    json_array_foreach(rc ? NULL : items, i, it) {
        json_t *lb = json_pack("{s:O, s:O, s:O, s:O}", "order_id", json_object_get(order, "id"),
                               "product_id", json_object_get(it, "product_id"), "quantity",
                               json_object_get(it, "quantity"), "unit_price",
                               json_array_get(prices, i));
        json_t *line = NULL;
        rc = td_res_insert(c, lines, lb, TD_W_TRUSTED, &line, e);
        json_decref(lb);
        if (rc)
            break;
        json_array_append_new(written, line);
    }
    if (!rc) {
        json_object_set(order, "items", written);
        *a->out = json_incref(order);
    }
    json_decref(written);
    json_decref(order);
    json_decref(prices);
    return rc;
}

td_status td_commerce_place_order(const td_res_ctx_t *c, json_t *body, json_t **out,
                                  td_res_err_t *e) {
    *out = NULL;
    order_t a = {body, out};
    td_status rc = td_res_txn(c, place, &a, e);
    if (rc) {
        json_decref(*out);
        *out = NULL;
    }
    return rc;
}
