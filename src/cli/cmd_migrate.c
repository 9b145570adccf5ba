/* cmd_migrate.c — tenantd migrate [--tenant SLUG | --all] [--service S]
 * [--jobs N] [--canary K] [--dry-run] [--retry-failed] [--json].
 *
 * Thin: parses the flags and runs the same fleet migration the
 * tenants.migrate job runs (tenancy/migrate.h) in this process, with a
 * CLI operation context. On a terminal it draws a progress bar on stderr;
 * with --json it prints one JSON line per tenant × service done, then the
 * report's line. Exit 0 when every tenant migrated, 1 when one failed or
 * was quarantined (or the run stopped), 2 for bad input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "tenancy/migrate.h"

typedef struct {
    int json, bar;
} out_t;

static void bar(const td_migrate_report_t *r) {
    int64_t done = r->migrated + r->failed, all = r->behind - r->quarantined;
    int w = all > 0 ? (int)(40 * done / all) : 40;
    fprintf(stderr, "\r[%.*s%*s] %lld/%lld migrated %lld failed %lld", w,
            "########################################", 40 - w, "", (long long)done,
            (long long)all, (long long)r->migrated, (long long)r->failed);
    fflush(stderr);
}

static json_t *item_json(const td_migrate_item_t *it) {
    return json_pack("{s:s?, s:s, s:s, s:s, s:i, s:i, s:I, s:s?}", "slug", it->slug, "tenant_id",
                     it->tenant_id, "service", it->service, "state", it->state, "from", it->from,
                     "to", it->to, "ms", (json_int_t)it->ms, "error", it->error);
}

static void each(void *ctx, const td_migrate_item_t *it, const td_migrate_report_t *r) {
    out_t *o = ctx;
    if (o->json) {
        json_t *j = item_json(it);
        char *s = json_dumps(j, JSON_COMPACT);
        printf("%s\n", s ? s : "{}");
        fflush(stdout);
        free(s);
        json_decref(j);
    } else if (o->bar) {
        bar(r);
    } else if (strcmp(it->state, "migrated")) {
        printf("%-9s %-30s %-12s %s\n", it->state, it->slug ? it->slug : it->tenant_id,
               it->service, it->error ? it->error : "");
    }
}

static void print_report(const out_t *o, const td_migrate_report_t *r, int dry) {
    if (o->bar)
        fputc('\n', stderr);
    if (o->json) {
        json_t *j = td_migrate_report_json(r);
        if (!dry) /* the items went out one per line already */
            json_object_del(j, "items");
        char *s = json_dumps(j, JSON_COMPACT);
        printf("%s\n", s ? s : "{}");
        free(s);
        json_decref(j);
        return;
    }
    for (size_t i = 0; i < r->nitems; i++) {
        const td_migrate_item_t *it = &r->items[i];
        if (dry || !strcmp(it->state, "quarantined") || (o->bar && !strcmp(it->state, "failed")))
            printf("%-11s %-30s %-12s %d -> %d %s\n", it->state,
                   it->slug ? it->slug : it->tenant_id, it->service, it->from, it->to,
                   it->error ? it->error : "");
    }
    printf("%lld tenant services: %lld current, %lld %s, %lld failed, %lld quarantined"
           " (%lld ms)\n",
           (long long)r->total, (long long)r->current, (long long)(dry ? r->behind : r->migrated),
           dry ? "to migrate" : "migrated", (long long)r->failed, (long long)r->quarantined,
           (long long)r->ms);
}

/* An integer flag's value, or INT_MIN when it is not one. */
static int int_arg(const char *v) {
    char *end = NULL;
    long n = v ? strtol(v, &end, 10) : 0;
    return v && *v && !*end && n > -1000000 && n < 1000000 ? (int)n : -1000000;
}

static int parse(td_cli_t *cli, td_migrate_opts_t *o) {
    int all = 0;
    *o = (td_migrate_opts_t){.jobs = 4, .canary = 1};
    for (int i = 0; i < cli->argc; i++) {
        const char *v = NULL, *a = cli->argv[i];
        if (td_cli_opt(cli, &i, "--tenant", &v) || td_cli_opt(cli, &i, "--service", &v)) {
            if (!v)
                return td_cli_usage("migrate", "%s needs a value", a);
            *(strncmp(a, "--tenant", 8) ? &o->service : &o->tenant) = v;
        } else if (td_cli_opt(cli, &i, "--jobs", &v) || td_cli_opt(cli, &i, "--canary", &v)) {
            int n = int_arg(v);
            if (n == -1000000)
                return td_cli_usage("migrate", "%s needs a number", a);
            *(strncmp(a, "--jobs", 6) ? &o->canary : &o->jobs) = n;
        } else if (!strcmp(a, "--all"))
            all = 1;
        else if (!strcmp(a, "--dry-run"))
            o->dry_run = 1;
        else if (!strcmp(a, "--retry-failed"))
            o->retry_failed = 1;
        else
            return td_cli_usage("migrate", "unexpected argument '%.40s'", a);
    }
    if (!!o->tenant == all)
        return td_cli_usage("migrate", "give either --tenant SLUG or --all");
    return TD_EXIT_OK;
}

int td_cmd_migrate(td_cli_t *cli) {
    td_migrate_opts_t o;
    int rc = parse(cli, &o);
    if (rc)
        return rc;
    td_platform_t p;
    if (td_cli_open(cli, &p, 0))
        return TD_EXIT_FAIL;
    td_arena_t *a = td_arena_new(0);
    td_op_t op = td_cli_op(&p, a);
    out_t out = {cli->json, !cli->json && isatty(STDERR_FILENO)};
    td_migrate_report_t r;
    td_status st = td_migrate_run(&op, &o, each, NULL, &out, &r);
    if (st) {
        if (out.bar)
            fputc('\n', stderr);
        if (r.nitems) /* a failed canary: what it did */
            print_report(&out, &r, 0);
        td_cli_error("%s: %s", op.err.code, op.err.detail);
        rc = op.err.status == 400 ? TD_EXIT_USAGE : TD_EXIT_FAIL;
    } else {
        print_report(&out, &r, o.dry_run);
        rc = r.failed || r.quarantined ? TD_EXIT_FAIL : TD_EXIT_OK;
    }
    td_arena_destroy(a);
    td_platform_close(&p);
    return rc;
}
