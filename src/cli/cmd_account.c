/* cmd_account.c — tenantd account list [--search Q] | show ID |
 * suspend ID | resume ID [--json].
 *
 * Thin: the same operations as GET /v1/admin/accounts[/{id}] and POST
 * /v1/admin/accounts/{id}/suspend|resume (ops/accounts.c), with the CLI
 * as actor; a table, or the API's JSON. A suspension reaches running
 * servers through the catalog's revocations within seconds. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "ops/ops.h"

#define CLI_LIST_MAX 200

static int list(td_op_t *op, td_cli_t *cli, const char *q) {
    td_account_row_t *rows;
    size_t n;
    if (td_op_account_list(op, q, NULL, CLI_LIST_MAX, &rows, &n))
        return td_cli_op_fail(op);
    if (cli->json) {
        json_t *items = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(items, td_account_json(&rows[i], NULL, 0));
        td_cli_print_json(json_pack("{s:o}", "items", items));
        return TD_EXIT_OK;
    }
    static const char *const titles[] = {"ID", "NAME", "STATUS", "OWNER", "TENANTS"};
    const char **cells = td_arena_alloc(op->arena, sizeof(char *) * 5 * (n + 1));
    for (size_t i = 0; cells && i < n; i++) {
        const char *c[] = {rows[i].id, rows[i].name, rows[i].status,
                           rows[i].owner_email ? rows[i].owner_email : "-",
                           td_arena_printf(op->arena, "%lld", (long long)rows[i].tenants)};
        memcpy(&cells[i * 5], c, sizeof(c));
    }
    td_cli_table(titles, 5, cells, cells ? n : 0);
    return TD_EXIT_OK;
}

/* show, suspend (1) or resume (0): the account as it is after. */
static int one(td_op_t *op, td_cli_t *cli, const char *id, int change) {
    td_account_row_t a;
    td_account_tenant_t *ts;
    size_t n;
    if ((change >= 0 && td_op_account_set_status(op, id, change, &a)) ||
        td_op_account_get(op, id, &a, &ts, &n))
        return td_cli_op_fail(op);
    if (cli->json) {
        td_cli_print_json(td_account_json(&a, ts, n));
        return TD_EXIT_OK;
    }
    printf("id: %s\nname: %s\nstatus: %s\nowner: %s\ntenants:", a.id, a.name, a.status,
           a.owner_email ? a.owner_email : "-");
    for (size_t i = 0; i < n; i++)
        printf(" %s", ts[i].slug);
    printf("\n");
    return TD_EXIT_OK;
}

int td_cmd_account(td_cli_t *cli) {
    const char *sub = cli->argc > 0 ? cli->argv[0] : NULL;
    const char *q = NULL, *id = NULL;
    for (int i = 1; i < cli->argc; i++) {
        if (sub && !strcmp(sub, "list") && td_cli_opt(cli, &i, "--search", &q)) {
            if (!q)
                return td_cli_usage("account", "--search needs a value");
        } else if (!id && cli->argv[i][0] != '-') {
            id = cli->argv[i];
        } else {
            return td_cli_usage("account", "unexpected argument '%.40s'", cli->argv[i]);
        }
    }
    static const char *const subs[] = {"list", "show", "suspend", "resume"};
    int k = 0;
    while (sub && k < 4 && strcmp(sub, subs[k]))
        k++;
    if (!sub || k == 4)
        return td_cli_usage("account", "expected list, show, suspend or resume");
    if (k == 0 && id)
        return td_cli_usage("account", "list takes no id");
    if (k > 0 && !id)
        return td_cli_usage("account", "%s needs an account id", sub);
    td_platform_t p;
    if (td_cli_open(cli, &p, 0))
        return TD_EXIT_FAIL;
    td_arena_t *a = td_arena_new(0);
    int rc = TD_EXIT_FAIL;
    if (!a) {
        td_cli_error("out of memory");
    } else {
        td_op_t op = td_cli_op(&p, a);
        rc = k == 0 ? list(&op, cli, q) : one(&op, cli, id, k == 1 ? -1 : k == 2);
    }
    td_arena_destroy(a);
    td_platform_close(&p);
    return rc;
}
