/* cmd_plan.c — tenantd plan create|list|show|update|delete and tenantd
 * tenant plan: the same operations as /v1/plans and
 * /v1/tenants/{t}/subscription (ops/plans.h). A plan's options become the
 * JSON object the API takes, so the operation checks both the same way. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "ops/plans.h"

/* Option → plan field; numbers take "unlimited" (null) where a limit may. */
static const struct {
    const char *opt, *field;
    int number, nullable;
} fields[] = {
    {"--name", "name", 0, 0},
    {"--price", "price_amount", 1, 0},
    {"--currency", "currency", 0, 0},
    {"--period", "period", 0, 0},
    {"--max-users", "max_users", 1, 1},
    {"--max-api-keys", "max_api_keys", 1, 1},
    {"--requests-per-minute", "requests_per_minute", 1, 1},
    {"--storage-bytes", "storage_bytes", 1, 1},
    {"--services", "services", 0, 1},
    {"--max-rows-per-resource", "max_rows_per_resource", 1, 1},
    {"--included-credits", "included_credits", 1, 0},
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

/* The value of option k as JSON, or NULL (a usage error said why). */
static json_t *field_value(size_t k, const char *v) {
    if (fields[k].nullable && !strcmp(v, "unlimited"))
        return json_null();
    if (!strcmp(fields[k].field, "services")) {
        json_t *arr = json_array();
        char *copy = strdup(v), *save = NULL;
        for (char *tok = copy ? strtok_r(copy, ",", &save) : NULL; tok;
             tok = strtok_r(NULL, ",", &save))
            json_array_append_new(arr, json_string(tok));
        free(copy);
        return arr;
    }
    if (!fields[k].number)
        return json_string(v);
    char *end = NULL;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (!*v || *end || errno) {
        td_cli_usage("plan", "%s takes a whole number%s", fields[k].opt,
                     fields[k].nullable ? " or 'unlimited'" : "");
        return NULL;
    }
    return json_integer(n);
}

/* Reads the options into *obj (new) and the one positional into *code. */
static int parse(td_cli_t *cli, json_t **obj, const char **code) {
    *obj = json_object();
    *code = NULL;
    for (int i = 1; i < cli->argc; i++) {
        const char *v = NULL, *a = cli->argv[i];
        size_t k = 0;
        while (k < NFIELDS && !td_cli_opt(cli, &i, fields[k].opt, &v))
            k++;
        json_t *val = NULL;
        if (k < NFIELDS && !v)
            return td_cli_usage("plan", "%s needs a value", a);
        if (k < NFIELDS && !(val = field_value(k, v)))
            return TD_EXIT_USAGE;
        if (val)
            json_object_set_new(*obj, fields[k].field, val);
        else if (a[0] == '-')
            return td_cli_usage("plan", "unknown option '%.40s'", a);
        else if (!*code)
            *code = a;
        else
            return td_cli_usage("plan", "unexpected argument '%.40s'", a);
    }
    return 0;
}

static const char *limit_text(td_arena_t *a, int64_t v) {
    return v < 0 ? "unlimited" : td_arena_printf(a, "%lld", (long long)v);
}

static int print_plans(td_cli_t *cli, td_arena_t *a, const td_plan_row_t *rows, size_t n) {
    json_t *arr = json_array();
    const char **cells = td_arena_alloc(a, sizeof(char *) * 8 * (n + 1));
    for (size_t i = 0; i < n; i++) {
        const td_plan_row_t *p = &rows[i];
        json_array_append_new(arr, td_plan_json(p));
        const char *row[] = {p->code,
                             p->name,
                             td_arena_printf(a, "%lld %s/%s", (long long)p->price_amount,
                                             p->currency, p->period),
                             limit_text(a, p->limits.max_users),
                             limit_text(a, p->limits.max_api_keys),
                             limit_text(a, p->limits.requests_per_minute),
                             limit_text(a, p->limits.storage_bytes),
                             p->limits.services ? "some" : "all"};
        memcpy(&cells[i * 8], row, sizeof(row));
    }
    static const char *const titles[] = {"CODE",    "NAME",    "PRICE", "USERS",
                                         "API KEYS", "REQ/MIN", "STORAGE", "SERVICES"};
    if (cli->json)
        td_cli_print_json(arr);
    else {
        json_decref(arr);
        td_cli_table(titles, 8, cells, n);
    }
    return TD_EXIT_OK;
}

static int run(td_cli_t *cli, const char *sub, const char *code, json_t *obj, td_op_t *op) {
    td_plan_row_t p, *rows;
    size_t n = 0;
    td_status st;
    if (!strcmp(sub, "list"))
        return td_op_plan_list(op, &rows, &n) ? td_cli_op_fail(op)
                                              : print_plans(cli, op->arena, rows, n);
    if (!strcmp(sub, "show"))
        st = td_op_plan_get(op, code, &p);
    else if (!strcmp(sub, "create")) {
        json_object_set_new(obj, "code", json_string(code));
        st = td_op_plan_create(op, obj, &p);
    } else if (!strcmp(sub, "update"))
        st = td_op_plan_update(op, code, obj, &p);
    else {
        if (td_op_plan_delete(op, code))
            return td_cli_op_fail(op);
        if (cli->json)
            td_cli_print_json(json_pack("{s:s, s:b}", "code", code, "deleted", 1));
        else
            printf("deleted plan %s\n", code);
        return TD_EXIT_OK;
    }
    if (st)
        return td_cli_op_fail(op);
    if (cli->json || !strcmp(sub, "show"))
        return print_plans(cli, op->arena, &p, 1);
    printf("%s plan %s\n", strcmp(sub, "create") ? "updated" : "created", p.code);
    return TD_EXIT_OK;
}

int td_cmd_plan(td_cli_t *cli) {
    static const char *const subs[] = {"create", "list", "show", "update", "delete"};
    const char *sub = cli->argc ? cli->argv[0] : "";
    int known = 0;
    for (size_t i = 0; i < 5; i++)
        known |= !strcmp(sub, subs[i]);
    if (!known)
        return td_cli_usage("plan", "plan needs a subcommand: create, list, show, update or delete");
    json_t *obj;
    const char *code;
    int rc = parse(cli, &obj, &code);
    if (!rc && strcmp(sub, "list") && !code)
        rc = td_cli_usage("plan", "plan %s needs a CODE", sub);
    if (!rc && (!strcmp(sub, "list") ? code != NULL
                                     : strcmp(sub, "create") && strcmp(sub, "update") &&
                                           json_object_size(obj)))
        rc = td_cli_usage("plan", "plan %s takes no plan options", sub);
    td_platform_t p;
    if (!rc && td_cli_open(cli, &p, 0))
        rc = TD_EXIT_FAIL;
    if (rc) {
        json_decref(obj);
        return rc;
    }
    td_arena_t *a = td_arena_new(0);
    td_op_t op = td_cli_op(&p, a);
    rc = run(cli, sub, code, obj, &op);
    json_decref(obj);
    td_arena_destroy(a);
    td_platform_close(&p);
    return rc;
}

/* The subscription and, when asked, its history (show) or the change. */
static int print_subscription(td_cli_t *cli, const td_subscription_row_t *s,
                              const td_subscription_change_t *c, size_t nc, int changed) {
    json_t *o = td_subscription_json(s);
    json_t *h = json_array();
    for (size_t i = 0; i < nc; i++)
        json_array_append_new(h, td_subscription_change_json(&c[i]));
    if (cli->json) {
        json_object_set_new(o, changed ? "change" : "history",
                            changed ? (nc ? json_incref(json_array_get(h, 0)) : json_null()) : h);
        if (changed)
            json_decref(h);
        td_cli_print_json(o);
        return TD_EXIT_OK;
    }
    json_decref(o);
    json_decref(h);
    printf("plan %s, %s, period %s to %s\n", s->plan, s->status, s->current_period_start,
           s->current_period_end);
    for (size_t i = 0; i < nc; i++)
        printf("%s%s  %s/%s -> %s/%s  proration %lld %s  by %s%s%s\n", changed ? "changed: " : "",
               c[i].at, c[i].from_plan ? c[i].from_plan : "-", c[i].from_status ? c[i].from_status : "-",
               c[i].to_plan, c[i].to_status, (long long)c[i].proration_amount, c[i].currency,
               c[i].actor_kind, c[i].actor_id ? " " : "", c[i].actor_id ? c[i].actor_id : "");
    return TD_EXIT_OK;
}

/* tenantd tenant plan SLUG [CODE] [--status S]: without CODE or --status,
 * shows the subscription and its history. */
int td_cmd_tenant_plan(td_cli_t *cli) {
    const char *pos[2] = {NULL, NULL}, *status = NULL;
    int npos = 0;
    for (int i = 1; i < cli->argc; i++) {
        const char *v = NULL, *a = cli->argv[i];
        if (td_cli_opt(cli, &i, "--status", &v)) {
            if (!v)
                return td_cli_usage("tenant", "--status needs a value");
            status = v;
        } else if (a[0] == '-')
            return td_cli_usage("tenant", "unknown option '%.40s'", a);
        else if (npos < 2)
            pos[npos++] = a;
        else
            return td_cli_usage("tenant", "unexpected argument '%.40s'", a);
    }
    if (!pos[0])
        return td_cli_usage("tenant", "tenant plan needs a SLUG (and a plan CODE to change it)");
    td_platform_t p;
    if (td_cli_open(cli, &p, 0))
        return TD_EXIT_FAIL;
    td_arena_t *a = td_arena_new(0);
    td_op_t op = td_cli_op(&p, a);
    td_subscription_row_t s;
    td_subscription_change_t c, *hist = NULL;
    size_t n = 0;
    int change = pos[1] || status, rc;
    if (change)
        rc = td_op_subscription_change(&op, pos[0], pos[1], status, &s, &c)
                 ? td_cli_op_fail(&op)
                 : print_subscription(cli, &s, &c, c.id ? 1 : 0, 1);
    else
        rc = td_op_subscription_get(&op, pos[0], &s) ||
                     td_op_subscription_history(&op, pos[0], 100, &hist, &n)
                 ? td_cli_op_fail(&op)
                 : print_subscription(cli, &s, hist, n, 0);
    td_arena_destroy(a);
    td_platform_close(&p);
    return rc;
}
