/* cmd_import.c — tenantd import --from sqlite:FILE|postgres://…
 * --tenant-column COL [--service NAME] [--map FILE] [--dry-run] [--json],
 * and tenantd import --from … --tenant-column COL --generate-service NAME
 * --out DIR.
 *
 * Thin: parses the flags and calls the import operations (ops/import.h)
 * with a CLI operation context; shows a progress bar per tenant on a
 * terminal, then the verification report (a table, or a JSON line per
 * tenant per table and a summary line with --json). Exit 1 when a
 * checksum or count does not match after the import. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "ops/import.h"

typedef struct {
    int json, tty;
    td_import_line_t *lines; /* kept for the table (not with --json) */
    size_t n, cap;
} out_t;

static td_status each(void *ctx, const td_import_line_t *l, int done, int total) {
    out_t *o = ctx;
    if (!l) { /* a tenant done */
        if (o->tty) {
            int w = total > 0 ? 30 * done / total : 30;
            fprintf(stderr, "\rimport [%.*s%*s] %d/%d tenants", w,
                    "##############################", 30 - w, "", done, total);
            fflush(stderr);
        }
        return TD_OK;
    }
    if (o->json) {
        json_t *j = json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:b, s:s}", "tenant", l->slug,
                              "value", l->value, "table", l->table, "source_rows",
                              (json_int_t)l->source_rows, "imported_rows",
                              (json_int_t)l->imported_rows, "source_checksum", l->source_sum,
                              "imported_checksum", l->imported_sum, "match", l->match, "action",
                              l->action);
        char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
        printf("%s\n", s ? s : "{}");
        fflush(stdout);
        free(s);
        json_decref(j);
        return TD_OK;
    }
    if (o->n == o->cap) {
        size_t cap = o->cap ? 2 * o->cap : 64;
        td_import_line_t *nl = realloc(o->lines, cap * sizeof(*nl));
        if (!nl)
            return TD_E_NOMEM;
        o->lines = nl, o->cap = cap;
    }
    o->lines[o->n++] = *l;
    return TD_OK;
}

static void print_table(const out_t *o) {
    static const char *const titles[] = {"TENANT", "TABLE", "SOURCE", "IMPORTED", "CHECKSUM",
                                         "MATCH", "ACTION"};
    char (*num)[2][24] = calloc(o->n ? o->n : 1, sizeof(*num));
    const char **cells = calloc((o->n ? o->n : 1) * 7, sizeof(*cells));
    for (size_t i = 0; num && cells && i < o->n; i++) {
        const td_import_line_t *l = &o->lines[i];
        snprintf(num[i][0], sizeof(num[i][0]), "%lld", (long long)l->source_rows);
        snprintf(num[i][1], sizeof(num[i][1]), "%lld", (long long)l->imported_rows);
        const char *row[7] = {l->slug, l->table, num[i][0], num[i][1], l->source_sum,
                              l->match ? "yes" : "NO", l->action};
        memcpy(&cells[i * 7], row, sizeof(row));
    }
    if (num && cells)
        td_cli_table(titles, 7, cells, o->n);
    free(num);
    free(cells);
}

static void print_summary(const out_t *o, const td_import_result_t *r, int dry) {
    if (o->json) {
        printf("{\"tenants\":%d,\"created\":%d,\"changed\":%d,\"mismatches\":%d,"
               "\"rows\":%lld,\"dry_run\":%s}\n",
               r->tenants, r->created, r->changed, r->mismatches, (long long)r->rows,
               dry ? "true" : "false");
        return;
    }
    print_table(o);
    printf("%d tenants (%d %s, %d %s), %lld source rows, %d mismatches\n", r->tenants,
           r->created, dry ? "to create" : "created", r->changed, dry ? "to write" : "written",
           (long long)r->rows, r->mismatches);
}

typedef struct {
    td_import_opts_t o;
    const char *generate, *out;
    int async;
} args_t;

static int parse(td_cli_t *cli, args_t *g) {
    static const char *const flags[] = {"--from", "--tenant-column", "--map", "--service",
                                        "--generate-service", "--out", NULL};
    const char *vals[6] = {NULL};
    *g = (args_t){0};
    for (int i = 0; i < cli->argc; i++) {
        const char *v = NULL;
        int k = 0;
        while (flags[k] && !td_cli_opt(cli, &i, flags[k], &v))
            k++;
        if (flags[k] && !v)
            return td_cli_usage("import", "%s needs a value", flags[k]);
        if (flags[k])
            vals[k] = v;
        else if (!strcmp(cli->argv[i], "--dry-run"))
            g->o.dry_run = 1;
        else if (!strcmp(cli->argv[i], "--async"))
            g->async = 1;
        else
            return td_cli_usage("import", "unexpected argument '%.40s'", cli->argv[i]);
    }
    g->o = (td_import_opts_t){vals[0], vals[1], vals[2], vals[3] ? vals[3] : "imported",
                              g->o.dry_run};
    if (g->async && (g->o.dry_run || vals[4]))
        return td_cli_usage("import", "--async goes with neither --dry-run nor --generate-service");
    g->generate = vals[4], g->out = vals[5];
    if (!g->o.from || !g->o.tenant_column)
        return td_cli_usage("import", "--from and --tenant-column are needed");
    if (!g->generate != !g->out)
        return td_cli_usage("import", "--generate-service NAME goes with --out DIR");
    return TD_EXIT_OK;
}

/* --generate-service: writes the service and says what to do next. */
static int generate(td_cli_t *cli, td_op_t *op, const args_t *g) {
    int unchanged = 0;
    if (td_op_import_generate(op, g->o.from, g->o.tenant_column, g->generate, g->out,
                              &unchanged))
        return -1;
    if (cli->json)
        td_cli_print_json(json_pack("{s:s, s:s, s:s, s:b}", "service", g->generate, "out",
                                    g->out, "tenant_column", g->o.tenant_column, "unchanged",
                                    unchanged));
    else
        printf("service %s %s in %s/%s\nnext: TENANTD_SERVICES_DIR=%s tenantd import --from … "
               "--tenant-column %s --service %s\n",
               g->generate, unchanged ? "unchanged" : "written", g->out, g->generate, g->out,
               g->o.tenant_column, g->generate);
    return 0;
}

int td_cmd_import(td_cli_t *cli) {
    args_t g;
    int rc = parse(cli, &g);
    td_platform_t p;
    if (rc || td_cli_open(cli, &p, 0))
        return rc ? rc : TD_EXIT_FAIL;
    td_arena_t *a = td_arena_new(0);
    td_op_t op = td_cli_op(&p, a);
    out_t o = {cli->json, !cli->json && isatty(STDERR_FILENO), NULL, 0, 0};
    td_import_result_t r;
    td_job_row_t job;
    if (g.generate)
        rc = generate(cli, &op, &g) ? -1 : TD_EXIT_OK;
    else if (g.async && td_op_import_async(&op, &g.o, &job))
        rc = -1;
    else if (g.async) {
        if (cli->json)
            td_cli_print_json(json_pack("{s:o}", "job", td_job_json(&job)));
        else
            printf("import queued: job %s (tenantd jobs show %s)\n", job.id, job.id);
    }
    else if (td_op_import(&op, &g.o, each, &o, &r))
        rc = -1;
    else {
        if (o.tty)
            fputc('\n', stderr);
        print_summary(&o, &r, g.o.dry_run);
        rc = r.mismatches ? TD_EXIT_FAIL : TD_EXIT_OK;
    }
    if (rc < 0) {
        if (o.tty && !g.generate)
            fputc('\n', stderr);
        if (cli->json)
            td_cli_print_json(json_pack("{s:{s:s, s:s}}", "error", "code", op.err.code,
                                        "detail", op.err.detail));
        td_cli_error("%s: %s", op.err.code, op.err.detail);
        rc = op.err.status == 400 ? TD_EXIT_USAGE : TD_EXIT_FAIL;
    }
    free(o.lines);
    td_arena_destroy(a);
    td_platform_close(&p);
    return rc;
}
