/* cmd_audit.c — tenantd audit list|verify.
 *
 * Thin: parses the flags, calls the audit operations (audit/audit.h) with
 * a CLI operation context, and prints a table, JSON, or verify's verdict
 * (exit 1 when a chain or anchor does not hold). */
#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "cli/cli.h"
#include "common/timeutil.h"

static const char *const value_opts[] = {"--tenant", "--actor", "--action", "--resource",
                                         "--since",  "--until", "--limit",  "--cursor"};

/* Reads the flags into q; 0, or the usage exit code. */
static int parse(td_cli_t *cli, td_audit_query_t *q) {
    const char **dst[] = {&q->tenant, &q->actor, &q->action, &q->resource,
                          &q->from,   &q->to,    &q->limit,  &q->cursor};
    *q = (td_audit_query_t){0};
    for (int i = 1; i < cli->argc; i++) {
        size_t k = 0;
        const char *v = NULL;
        while (k < 8 && !td_cli_opt(cli, &i, value_opts[k], &v))
            k++;
        if (k == 8)
            return td_cli_usage("audit", "unexpected argument '%.40s'", cli->argv[i]);
        if (!v)
            return td_cli_usage("audit", "%s needs a value", value_opts[k]);
        *dst[k] = v;
    }
    return TD_EXIT_OK;
}

static int fail(const td_op_t *op) {
    td_cli_error("%s: %s", op->err.code, op->err.detail);
    return TD_EXIT_FAIL;
}

static int list(td_cli_t *cli, td_op_t *op, const td_audit_query_t *q) {
    td_audit_row_t *rows;
    size_t n;
    const char *next;
    if (td_audit_list(op, q, &rows, &n, &next))
        return fail(op);
    if (cli->json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(arr, td_audit_json(&rows[i]));
        td_cli_print_json(json_pack("{s:o, s:s?}", "items", arr, "next_cursor", next));
        return TD_EXIT_OK;
    }
    enum { NC = 7 };
    const char **cells = td_arena_alloc(op->arena, sizeof(char *) * NC * (n + 1));
    for (size_t i = 0; cells && i < n; i++) {
        const td_audit_row_t *r = &rows[i];
        char *at = td_arena_alloc(op->arena, 40);
        if (at)
            td_time_iso(r->at, at, 40);
        const char *row[NC] = {at ? at : "",
                               r->tenant_id[0] ? r->tenant_id : "(platform)",
                               td_arena_printf(op->arena, "%s:%s", r->actor_kind,
                                               r->actor_id ? r->actor_id : "-"),
                               r->action,
                               td_arena_printf(op->arena, "%s%s%s", r->service ? r->service : "",
                                               r->service ? "/" : "",
                                               r->resource ? r->resource : "-"),
                               r->row_id ? r->row_id : "",
                               r->outcome};
        memcpy(&cells[i * NC], row, sizeof(row));
    }
    static const char *const titles[NC] = {"AT",       "TENANT", "ACTOR", "ACTION",
                                           "RESOURCE", "ROW",    "OUTCOME"};
    td_cli_table(titles, NC, cells, cells ? n : 0);
    if (next)
        printf("more: --cursor %s\n", next);
    return TD_EXIT_OK;
}

static int verify(td_cli_t *cli, td_op_t *op, const char *tenant) {
    td_audit_report_t r;
    if (td_audit_verify(op, tenant, &r))
        return fail(op);
    if (cli->json)
        td_cli_print_json(td_audit_report_json(&r));
    else if (r.broken)
        printf("broken: chain %s, seq %lld: %s\n", r.tenant_id[0] ? r.tenant_id : "(platform)",
               (long long)r.seq, r.reason);
    else
        printf("ok: %lld chains, %lld records, %lld anchors\n", (long long)r.chains,
               (long long)r.records, (long long)r.anchors);
    return r.broken ? TD_EXIT_FAIL : TD_EXIT_OK;
}

int td_cmd_audit(td_cli_t *cli) {
    const char *sub = cli->argc ? cli->argv[0] : "";
    int is_list = !strcmp(sub, "list");
    if (!is_list && strcmp(sub, "verify"))
        return td_cli_usage("audit", "audit needs a subcommand: list or verify");
    td_audit_query_t q;
    int rc = parse(cli, &q);
    if (rc)
        return rc;
    if (!is_list && (q.actor || q.action || q.resource || q.from || q.to || q.limit || q.cursor))
        return td_cli_usage("audit", "audit verify takes only --tenant");
    td_platform_t p;
    if (td_cli_open(cli, &p, 0))
        return TD_EXIT_FAIL;
    td_arena_t *a = td_arena_new(0);
    td_op_t op = {.platform = &p, .actor = {.kind = TD_ACTOR_CLI}, .arena = a};
    rc = !a ? TD_EXIT_FAIL : is_list ? list(cli, &op, &q) : verify(cli, &op, q.tenant);
    td_arena_destroy(a);
    td_platform_close(&p);
    return rc;
}
