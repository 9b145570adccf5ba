/* cmd_usage.c — tenantd usage [--tenant SLUG] [--service S] [--from T]
 * [--to T] [--bucket hour|day] [--json].
 *
 * Thin: parses the flags, calls the usage report (usage/usage.h) with a
 * CLI operation context — the same operation as GET /v1/admin/usage —
 * and prints a table or the API's JSON. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "common/timeutil.h"
#include "usage/usage.h"

/* The table: one line per bucket, then the totals. */
static void print_table(const td_usage_report_t *r, td_arena_t *a) {
    static const char *const titles[] = {"START", "REQUESTS", "WRITES", "ROWS", "BYTES_IN",
                                         "BYTES_OUT", "STORAGE"};
    const char **cells = td_arena_alloc(a, sizeof(char *) * 7 * (r->n + 1));
    if (!cells)
        return;
    for (size_t i = 0; i <= r->n; i++) {
        const td_usage_point_t *p = i < r->n ? &r->items[i] : &r->totals;
        char iso[32] = "total";
        if (i < r->n)
            td_time_iso(p->start, iso, sizeof(iso));
        const int64_t v[] = {p->requests, p->writes, p->rows_written, p->bytes_in, p->bytes_out,
                             p->storage_bytes};
        cells[i * 7] = td_arena_strdup(a, iso);
        for (int k = 0; k < 6; k++)
            cells[i * 7 + 1 + k] = td_arena_printf(a, "%lld", (long long)v[k]);
    }
    td_cli_table(titles, 7, cells, r->n + 1);
}

int td_cmd_usage(td_cli_t *cli) {
    static const char *const names[] = {"--tenant", "--service", "--from", "--to", "--bucket"};
    td_usage_query_t q = {0};
    const char **dst[] = {&q.tenant, &q.service, &q.from, &q.to, &q.bucket};
    for (int i = 0; i < cli->argc; i++) {
        size_t k = 0;
        const char *v = NULL;
        while (k < 5 && !td_cli_opt(cli, &i, names[k], &v))
            k++;
        if (k == 5)
            return td_cli_usage("usage", "unexpected argument '%.40s'", cli->argv[i]);
        if (!v)
            return td_cli_usage("usage", "%s needs a value", names[k]);
        *dst[k] = v;
    }
    td_platform_t p;
    if (td_cli_open(cli, &p, 0))
        return TD_EXIT_FAIL;
    td_arena_t *a = td_arena_new(0);
    int rc = TD_EXIT_FAIL;
    td_op_t op = {.platform = &p, .actor = {.kind = TD_ACTOR_CLI}, .arena = a};
    td_usage_report_t r;
    if (!a) {
        td_cli_error("out of memory");
    } else if (td_usage_report(&op, &q, &r)) {
        td_cli_error("%s: %s", op.err.code, op.err.detail);
    } else {
        if (cli->json)
            td_cli_print_json(td_usage_report_json(&r));
        else
            print_table(&r, a);
        rc = TD_EXIT_OK;
    }
    td_arena_destroy(a);
    td_platform_close(&p);
    return rc;
}
