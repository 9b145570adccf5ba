/* demo.c — believable sample rows for the demo tenant (serve --demo).
 *
 * The rows are data (k_rows below, JSON), written through the engine like
 * any client's: validated against the declarations, with outbox rows. A
 * row may name itself ("as") and later rows refer to it as "@name". Orders
 * go through order placement (stock is taken), events through a batch. */
#include <stdio.h>
#include <string.h>

#include "common/timeutil.h"
#include "services/modules.h"
#include "services/services.h"

static const char k_rows[] =
    "["
    "{\"r\":\"crm.pipelines\",\"as\":\"sales\",\"v\":{\"name\":\"Sales\",\"is_default\":true,"
    "  \"stages\":[\"new\",\"qualified\",\"proposal\",\"negotiation\",\"won\",\"lost\"]}},"
    "{\"r\":\"crm.customers\",\"as\":\"globex\",\"v\":{\"name\":\"Globex Corporation\","
    "  \"email\":\"info@globex.test\",\"phone\":\"+1 555 0100\",\"website\":\"https://globex.test\"}},"
    "{\"r\":\"crm.customers\",\"as\":\"initech\",\"v\":{\"name\":\"Initech\","
    "  \"email\":\"hello@initech.test\",\"phone\":\"+1 555 0101\",\"website\":\"https://initech.test\"}},"
    "{\"r\":\"crm.customers\",\"as\":\"umbrella\",\"v\":{\"name\":\"Umbrella Health\","
    "  \"email\":\"contact@umbrella.test\",\"phone\":\"+44 20 7946 0102\"}},"
    "{\"r\":\"crm.customers\",\"as\":\"stark\",\"v\":{\"name\":\"Stark Industrial\","
    "  \"email\":\"sales@stark.test\",\"website\":\"https://stark.test\"}},"
    "{\"r\":\"crm.contacts\",\"v\":{\"customer_id\":\"@globex\",\"first_name\":\"Hank\","
    "  \"last_name\":\"Scorpio\",\"email\":\"hank@globex.test\"}},"
    "{\"r\":\"crm.contacts\",\"v\":{\"customer_id\":\"@initech\",\"first_name\":\"Peter\","
    "  \"last_name\":\"Gibbons\",\"email\":\"peter@initech.test\"}},"
    "{\"r\":\"crm.contacts\",\"v\":{\"customer_id\":\"@umbrella\",\"first_name\":\"Alice\","
    "  \"last_name\":\"Abernathy\",\"email\":\"alice@umbrella.test\"}},"
    "{\"r\":\"crm.deals\",\"as\":\"d1\",\"v\":{\"customer_id\":\"@globex\",\"pipeline_id\":\"@sales\","
    "  \"title\":\"Globex annual licence\",\"amount\":4800000,\"stage\":\"proposal\"}},"
    "{\"r\":\"crm.deals\",\"v\":{\"customer_id\":\"@initech\",\"pipeline_id\":\"@sales\","
    "  \"title\":\"Initech TPS upgrade\",\"amount\":1250000,\"stage\":\"negotiation\"}},"
    "{\"r\":\"crm.deals\",\"v\":{\"customer_id\":\"@stark\",\"pipeline_id\":\"@sales\","
    "  \"title\":\"Stark fleet rollout\",\"amount\":9900000,\"stage\":\"won\"}},"
    "{\"r\":\"crm.leads\",\"v\":{\"name\":\"Dana Scully\",\"email\":\"dana@fbi.test\","
    "  \"company\":\"FBI\",\"source\":\"referral\"}},"
    "{\"r\":\"crm.leads\",\"v\":{\"name\":\"Marge Gunderson\",\"email\":\"marge@brainerd.test\","
    "  \"source\":\"event\",\"status\":\"qualified\"}},"
    "{\"r\":\"crm.tasks\",\"v\":{\"title\":\"Send Globex the revised proposal\",\"deal_id\":\"@d1\","
    "  \"priority\":\"high\",\"due_at\":\"2026-12-01T09:00:00Z\"}},"
    "{\"r\":\"crm.notes\",\"v\":{\"body\":\"Hank prefers calls after 3pm.\","
    "  \"customer_id\":\"@globex\"}},"
    "{\"r\":\"crm.interactions\",\"v\":{\"kind\":\"meeting\",\"summary\":\"Kick-off with Globex\","
    "  \"customer_id\":\"@globex\",\"occurred_at\":\"2026-11-02T14:00:00Z\"}},"
    "{\"r\":\"cms.content_types\",\"as\":\"article\",\"v\":{\"name\":\"article\","
    "  \"fields\":[{\"name\":\"headline\",\"type\":\"text\",\"required\":true},"
    "             {\"name\":\"body\",\"type\":\"text\"}]}},"
    "{\"r\":\"cms.content_items\",\"v\":{\"content_type_id\":\"@article\",\"title\":\"We are live\","
    "  \"slug\":\"we-are-live\",\"status\":\"published\","
    "  \"data\":{\"headline\":\"Our new portal is live\",\"body\":\"Log in with your e-mail.\"}}},"
    "{\"r\":\"cms.pages\",\"v\":{\"title\":\"About us\",\"slug\":\"about\",\"status\":\"published\","
    "  \"body\":\"Demo Company sells widgets to the world.\"}},"
    "{\"r\":\"billing.subscriptions\",\"as\":\"sub\",\"v\":{\"plan\":\"growth\",\"quantity\":12,"
    "  \"current_period_start\":\"2026-11-01T00:00:00Z\",\"current_period_end\":\"2026-12-01T00:00:00Z\"}},"
    "{\"r\":\"billing.invoices\",\"as\":\"inv\",\"v\":{\"number\":\"INV-2026-0042\","
    "  \"subscription_id\":\"@sub\",\"status\":\"paid\",\"total\":58800,"
    "  \"issued_at\":\"2026-11-01T00:00:00Z\"}},"
    "{\"r\":\"billing.invoice_lines\",\"v\":{\"invoice_id\":\"@inv\",\"description\":\"Growth plan, 12 seats\","
    "  \"quantity\":12,\"unit_amount\":4900,\"amount\":58800}},"
    "{\"r\":\"billing.payments\",\"v\":{\"invoice_id\":\"@inv\",\"amount\":58800,\"status\":\"succeeded\","
    "  \"paid_at\":\"2026-11-03T10:12:00Z\"}},"
    "{\"r\":\"billing.usage_records\",\"v\":{\"subscription_id\":\"@sub\",\"metric\":\"api_calls\","
    "  \"quantity\":184223,\"recorded_at\":\"2026-11-20T00:00:00Z\"}},"
    "{\"r\":\"analytics.metrics\",\"v\":{\"name\":\"page views\",\"event\":\"page_view\"}},"
    "{\"r\":\"analytics.dashboards\",\"v\":{\"name\":\"Traffic\",\"layout\":{\"charts\":[\"page views\"]}}},"
    "{\"r\":\"projects.teams\",\"as\":\"team\",\"v\":{\"name\":\"Platform\"}},"
    "{\"r\":\"projects.projects\",\"as\":\"proj\",\"v\":{\"team_id\":\"@team\",\"name\":\"Customer portal\","
    "  \"due_at\":\"2027-01-15T00:00:00Z\"}},"
    "{\"r\":\"projects.tasks\",\"v\":{\"project_id\":\"@proj\",\"title\":\"Single sign-on\","
    "  \"status\":\"doing\",\"priority\":\"high\"}},"
    "{\"r\":\"projects.tasks\",\"v\":{\"project_id\":\"@proj\",\"title\":\"Invoice downloads\"}},"
    "{\"r\":\"projects.messages\",\"v\":{\"project_id\":\"@proj\",\"body\":\"SSO is in review.\"}},"
    "{\"r\":\"commerce.products\",\"as\":\"widget\",\"v\":{\"name\":\"Widget\",\"sku\":\"W-1\",\"price\":1000}},"
    "{\"r\":\"commerce.products\",\"as\":\"gadget\",\"v\":{\"name\":\"Gadget\",\"sku\":\"G-7\",\"price\":2450}},"
    "{\"r\":\"commerce.inventory\",\"v\":{\"product_id\":\"@widget\",\"quantity\":500}},"
    "{\"r\":\"commerce.inventory\",\"v\":{\"product_id\":\"@gadget\",\"quantity\":40}},"
    "{\"r\":\"commerce.customers\",\"as\":\"buyer\",\"v\":{\"name\":\"Wayne Logistics\","
    "  \"email\":\"ops@wayne.test\"}}"
    "]";

/* Replaces "@name" strings in v by the id of the row called name. */
static void resolve(json_t *v, json_t *names) {
    const char *k;
    json_t *x;
    json_object_foreach(v, k, x) {
        const char *s = json_string_value(x);
        if (s && s[0] == '@' && json_object_get(names, s + 1))
            json_object_set(v, k, json_object_get(names, s + 1));
    }
}

td_status td_services_demo_fill(const td_res_ctx_t *c) {
    json_t *rows = json_loads(k_rows, 0, NULL), *names = json_object();
    td_res_err_t e = {0};
    td_status st = rows ? TD_OK : TD_E_INTERNAL;
    size_t i;
    json_t *row;
    json_array_foreach(st ? NULL : rows, i, row) {
        char svc[32];
        const char *r = json_string_value(json_object_get(row, "r"));
        const char *dot = strchr(r, '.');
        snprintf(svc, sizeof(svc), "%.*s", (int)(dot - r), r);
        const td_resource_t *res = td_service_resource(svc, dot + 1);
        json_t *v = json_object_get(row, "v"), *out = NULL;
        resolve(v, names);
        st = res ? td_res_create(c, res, v, &out, &e) : TD_E_INTERNAL;
        if (st)
            break;
        const char *as = json_string_value(json_object_get(row, "as"));
        if (as)
            json_object_set(names, as, json_object_get(out, "id"));
        json_decref(out);
    }
    if (!st) { /* an order: stock is taken from the widget's inventory */
        json_t *order = json_pack("{s:O, s:[{s:O, s:i}]}", "customer_id",
                                  json_object_get(names, "buyer"), "items", "product_id",
                                  json_object_get(names, "widget"), "quantity", 3), *out = NULL;
        st = td_commerce_place_order(c, order, &out, &e);
        json_decref(order);
        json_decref(out);
    }
    if (!st) { /* a week of page views, a few per hour */
        json_t *events = json_array();
        int64_t now = td_now_ms();
        for (int h = 0; h < 24 * 7; h++) {
            char ts[40];
            td_time_iso(now - (int64_t)h * 3600000, ts, sizeof(ts));
            for (int k = 0; k < 1 + (h * 7) % 5; k++)
                json_array_append_new(events, json_pack("{s:s, s:s, s:{s:s}}", "name",
                                                        "page_view", "ts", ts, "props", "path",
                                                        k % 2 ? "/pricing" : "/"));
        }
        json_t *batch = json_pack("{s:o}", "events", events);
        size_t n;
        st = td_analytics_ingest(c, batch, &n, &e);
        json_decref(batch);
    }
    td_res_err_free(&e);
    json_decref(rows);
    json_decref(names);
    return st;
}
