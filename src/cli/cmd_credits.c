/* cmd_credits.c — tenantd credits grant|show: the same operations as
 * POST /v1/admin/credits/{tenant}/grant and GET /v1/credits, for
 * operators at the console (the CLI acts as a platform actor; each grant
 * is audited as credits.grant or credits.included with actor cli). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "ops/credits.h"

typedef struct {
    const char *tenant, *amount, *reference, *period, *key, *limit;
} opts_t;

/* Parses "credits SUB TENANT [AMOUNT] [options]"; 0 or an exit code. */
static int parse(td_cli_t *cli, opts_t *o) {
    memset(o, 0, sizeof(*o));
    for (int i = 1; i < cli->argc; i++) {
        const char *v = NULL, *a = cli->argv[i];
        const char **slot = NULL;
        if (td_cli_opt(cli, &i, "--reference", &v))
            slot = &o->reference;
        else if (td_cli_opt(cli, &i, "--period", &v))
            slot = &o->period;
        else if (td_cli_opt(cli, &i, "--idempotency-key", &v))
            slot = &o->key;
        else if (td_cli_opt(cli, &i, "--limit", &v))
            slot = &o->limit;
        if (slot) {
            if (!v)
                return td_cli_usage("credits", "%s needs a value", a);
            *slot = v;
        } else if (a[0] == '-') {
            return td_cli_usage("credits", "unknown option '%.40s'", a);
        } else if (!o->tenant) {
            o->tenant = a;
        } else if (!o->amount) {
            o->amount = a;
        } else {
            return td_cli_usage("credits", "unexpected argument '%.40s'", a);
        }
    }
    return 0;
}

/* A whole number 1..TD_CREDITS_MAX, or -1. */
static int64_t number(const char *s) {
    char *end = NULL;
    long long v = s ? strtoll(s, &end, 10) : -1;
    return s && *s && !*end && v >= 1 && v <= TD_CREDITS_MAX ? (int64_t)v : -1;
}

static void print_tx(td_cli_t *cli, const td_credit_tx_t *t, int granted) {
    if (cli->json) {
        json_t *o = td_credit_tx_json(t);
        json_object_set_new(o, "granted", json_boolean(granted));
        td_cli_print_json(o);
    } else if (!granted) {
        printf("already granted for %s: balance %" PRId64 "\n", t->reference, t->balance_after);
    } else {
        printf("granted %" PRId64 " credits: balance %" PRId64 "\n", t->delta, t->balance_after);
    }
}

static int grant(td_cli_t *cli, td_op_t *op, const opts_t *o) {
    int64_t n = number(o->amount);
    if (n < 0)
        return td_cli_usage("credits", "credits grant takes TENANT and a whole number of credits");
    td_credit_tx_t t;
    int granted = 1;
    td_status st = o->period ? td_op_credits_grant_period(op, o->tenant, n, o->period, &granted, &t)
                             : td_op_credits_grant(op, o->tenant, n, o->reference, o->key, &t);
    if (st)
        return td_cli_op_fail(op);
    print_tx(cli, &t, granted);
    return TD_EXIT_OK;
}

static int show(td_cli_t *cli, td_op_t *op, const opts_t *o) {
    int64_t balance = 0;
    td_credit_tx_t *rows;
    size_t n = 0;
    const char *next;
    int limit = o->limit ? (int)number(o->limit) : 20;
    if (o->amount)
        return td_cli_usage("credits", "credits show takes one TENANT");
    if (td_op_credits_show(op, o->tenant, NULL, limit, &balance, &rows, &n, &next))
        return td_cli_op_fail(op);
    if (cli->json) {
        json_t *items = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(items, td_credit_tx_json(&rows[i]));
        td_cli_print_json(json_pack("{s:I, s:o}", "balance", (json_int_t)balance, "items", items));
        return TD_EXIT_OK;
    }
    printf("balance: %" PRId64 " credits\n", balance);
    static const char *const titles[] = {"AT", "DELTA", "REASON", "REFERENCE", "ACTOR", "BALANCE"};
    const char **cells = td_arena_alloc(op->arena, sizeof(char *) * 6 * (n ? n : 1));
    for (size_t i = 0; cells && i < n; i++) {
        char *d = td_arena_alloc(op->arena, 48), *b = d ? d + 24 : NULL;
        if (!d)
            break;
        snprintf(d, 24, "%+" PRId64, rows[i].delta);
        snprintf(b, 24, "%" PRId64, rows[i].balance_after);
        const char *row[6] = {rows[i].at, d, rows[i].reason,
                              rows[i].reference ? rows[i].reference : "-", rows[i].actor_kind, b};
        memcpy(&cells[i * 6], row, sizeof(row));
    }
    if (cells)
        td_cli_table(titles, 6, cells, n);
    return TD_EXIT_OK;
}

int td_cmd_credits(td_cli_t *cli) {
    const char *sub = cli->argc ? cli->argv[0] : "";
    if (strcmp(sub, "grant") && strcmp(sub, "show"))
        return td_cli_usage("credits", "credits needs a subcommand: grant or show");
    opts_t o;
    int rc = parse(cli, &o);
    if (rc)
        return rc;
    if (!o.tenant)
        return td_cli_usage("credits", "credits %s needs a TENANT (slug or id)", sub);
    td_platform_t p;
    if (td_cli_open(cli, &p, 0))
        return TD_EXIT_FAIL;
    td_arena_t *a = td_arena_new(0);
    td_op_t op = td_cli_op(&p, a);
    rc = !strcmp(sub, "grant") ? grant(cli, &op, &o) : show(cli, &op, &o);
    td_arena_destroy(a);
    td_platform_close(&p);
    return rc;
}
