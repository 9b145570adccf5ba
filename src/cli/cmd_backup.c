/* cmd_backup.c — tenantd backup SLUG [--out FILE] [--json] and
 * tenantd restore FILE [--as SLUG [--backend sqlite|postgres]] [--json].
 *
 * Thin: parses the flags, calls the backup operations (ops/backups.h)
 * with a CLI operation context — the same operations as
 * /v1/tenants/{t}/backups and the tenant.backup / tenant.restore jobs —
 * and shows progress: a bar on a terminal, a JSON line per step with
 * --json. Failures print "code: detail" (exit 1; 2 for bad input). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "ops/backups.h"

typedef struct {
    const char *what; /* "backup" | "restore" */
    int json, tty;
} prog_t;

static td_status progress(void *ctx, int64_t done, int64_t total, const char *msg) {
    prog_t *p = ctx;
    if (p->json) {
        printf("{\"event\":\"progress\",\"done\":%lld,\"total\":%lld,\"message\":\"%s\"}\n",
               (long long)done, (long long)total, msg);
        fflush(stdout);
    } else if (p->tty) {
        int pct = total > 0 ? (int)(done * 100 / total) : 100, bar = pct / 5;
        fprintf(stderr, "\r%s [%.*s%*s] %3d%% %lld/%lld rows", p->what, bar,
                "####################", 20 - bar, "", pct, (long long)done, (long long)total);
    }
    return TD_OK;
}

static void progress_end(prog_t *p) {
    if (p->tty && !p->json)
        fputc('\n', stderr);
}

static int fail(td_cli_t *cli, const td_op_t *op) {
    if (cli->json)
        td_cli_print_json(json_pack("{s:{s:s, s:s}}", "error", "code", op->err.code, "detail",
                                    op->err.detail));
    td_cli_error("%s: %s", op->err.code, op->err.detail);
    return op->err.status == 400 ? TD_EXIT_USAGE : TD_EXIT_FAIL;
}

/* Parses "ARG [--FLAG V]…" (flags: NULL-terminated, values into vals);
 * 0 when fine (usage printed otherwise). */
static int parse(td_cli_t *cli, const char *cmd, const char *const *flags, const char **arg,
                 const char **vals) {
    for (int i = 0; i < cli->argc; i++) {
        const char *v = NULL;
        int k = 0;
        while (flags[k] && !td_cli_opt(cli, &i, flags[k], &v))
            k++;
        if (flags[k]) {
            if (!v)
                return td_cli_usage(cmd, "%s needs a value", flags[k]);
            vals[k] = v;
        } else if (cli->argv[i][0] == '-' || *arg)
            return td_cli_usage(cmd, "unexpected argument '%.40s'", cli->argv[i]);
        else
            *arg = cli->argv[i];
    }
    return *arg ? 0 : td_cli_usage(cmd, "missing %s", !strcmp(cmd, "backup") ? "SLUG" : "FILE");
}

int td_cmd_backup(td_cli_t *cli) {
    static const char *const flags[] = {"--out", NULL};
    const char *slug = NULL, *vals[1] = {NULL}, *out;
    int rc = parse(cli, "backup", flags, &slug, vals);
    out = vals[0];
    td_platform_t p;
    if (rc || td_cli_open(cli, &p, 0))
        return rc ? rc : TD_EXIT_FAIL;
    td_arena_t *a = td_arena_new(0);
    td_op_t op = td_cli_op(&p, a);
    prog_t pr = {"backup", cli->json, isatty(2)};
    td_backup_row_t row;
    if (!a) {
        td_cli_error("out of memory");
        rc = TD_EXIT_FAIL;
    } else if (td_op_backup_create(&op, slug, out, progress, &pr, &row)) {
        progress_end(&pr);
        rc = fail(cli, &op);
    } else {
        progress_end(&pr);
        const char *file = out ? out : td_arena_printf(a, "%s/backups/%s", p.cfg->data, row.file);
        if (cli->json) {
            json_t *j = td_backup_json(&row);
            json_object_set_new(j, "file", json_string(file));
            json_object_set_new(j, "event", json_string("done"));
            char *s = json_dumps(j, JSON_COMPACT);
            printf("%s\n", s ? s : "{}");
            free(s);
            json_decref(j);
        } else
            printf("backup of %s: %s (%lld rows, %lld bytes, checksum %s)\n", slug, file,
                   (long long)row.rows, (long long)row.size, row.checksum ? row.checksum : "");
    }
    td_arena_destroy(a);
    td_platform_close(&p);
    return rc;
}

int td_cmd_restore(td_cli_t *cli) {
    static const char *const flags[] = {"--as", "--backend", NULL};
    const char *file = NULL, *vals[2] = {NULL, NULL}, *as, *backend;
    int rc = parse(cli, "restore", flags, &file, vals);
    as = vals[0], backend = vals[1];
    if (!rc && backend && !as)
        return td_cli_usage("restore", "--backend goes with --as (a tenant restores where it is)");
    td_platform_t p;
    if (rc || td_cli_open(cli, &p, 0))
        return rc ? rc : TD_EXIT_FAIL;
    td_arena_t *a = td_arena_new(0);
    td_op_t op = td_cli_op(&p, a);
    prog_t pr = {"restore", cli->json, isatty(2)};
    td_tenant_t t;
    int64_t rows = 0;
    if (!a) {
        td_cli_error("out of memory");
        rc = TD_EXIT_FAIL;
    } else if (td_op_restore_file(&op, file, NULL, as, backend, progress, &pr, &t, &rows)) {
        progress_end(&pr);
        rc = fail(cli, &op);
    } else {
        progress_end(&pr);
        if (cli->json)
            printf("{\"event\":\"done\",\"tenant_id\":\"%s\",\"slug\":\"%s\",\"rows\":%lld}\n",
                   t.row.id, t.row.slug, (long long)rows);
        else
            printf("restored %lld rows into %s%s\n", (long long)rows, t.row.slug,
                   as ? " (a new tenant)" : "");
    }
    td_arena_destroy(a);
    td_platform_close(&p);
    return rc;
}
