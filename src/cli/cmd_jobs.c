/* cmd_jobs.c — tenantd jobs list|show|add|cancel|retry|run.
 *
 * Thin: parses the arguments, calls the job operations (jobs/jobs.h) with
 * a CLI operation context, and renders a table, a record or JSON. `run`
 * is a worker process without HTTP: --once runs the due jobs and exits. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "jobs/jobs.h"

typedef struct {
    const char *positional;
    const char *kind, *state, *tenant, *cursor, *payload;
    long limit, max_attempts;
    int once;
} jobs_opts_t;

static const char *const value_opts[] = {"--kind", "--state",  "--tenant",      "--cursor",
                                         "--payload", "--limit", "--max-attempts"};

/* Takes one option with a value into o; 1 when argv[*i] was one, -1 when
 * its value is missing or bad. */
static int take(td_cli_t *cli, int *i, jobs_opts_t *o) {
    const char **dst[] = {&o->kind, &o->state, &o->tenant, &o->cursor, &o->payload};
    for (size_t k = 0; k < sizeof(value_opts) / sizeof(value_opts[0]); k++) {
        const char *v;
        if (!td_cli_opt(cli, i, value_opts[k], &v))
            continue;
        if (!v)
            return -1;
        if (k < 5) {
            *dst[k] = v;
            return 1;
        }
        char *end;
        long n = strtol(v, &end, 10);
        if (*end || end == v || n < 1 || n > 1000)
            return -1;
        *(k == 5 ? &o->limit : &o->max_attempts) = n;
        return 1;
    }
    return 0;
}

static int parse(td_cli_t *cli, jobs_opts_t *o) {
    *o = (jobs_opts_t){.limit = 50};
    for (int i = 1; i < cli->argc; i++) {
        int r = take(cli, &i, o);
        if (r < 0)
            return td_cli_usage("jobs", "%.40s needs a value (numbers: 1 to 1000)", cli->argv[i]);
        if (r)
            continue;
        if (strcmp(cli->argv[i], "--once") == 0)
            o->once = 1;
        else if (cli->argv[i][0] != '-' && !o->positional)
            o->positional = cli->argv[i];
        else
            return td_cli_usage("jobs", "unexpected argument '%.40s'", cli->argv[i]);
    }
    return TD_EXIT_OK;
}

static int fail(const td_op_t *op) {
    td_cli_error("%s: %s", op->err.code, op->err.detail);
    return TD_EXIT_FAIL;
}

static void print_job(td_cli_t *cli, const td_job_row_t *j) {
    json_t *o = td_job_json(j);
    if (cli->json) {
        td_cli_print_json(o);
        return;
    }
    json_t *prog = json_object_get(o, "progress");
    printf("id:          %s\nkind:        %s\nstate:       %s\ntenant:      %s\n"
           "attempts:    %d of %d\nstep:        %d (%lld of %lld)\nmessage:     %s\n"
           "error:       %s\ncreated:     %s\nupdated:     %s\n",
           j->id, j->kind, j->state, j->tenant_id ? j->tenant_id : "-", j->attempts,
           j->max_attempts, j->step, (long long)j->done, (long long)j->total,
           j->message ? j->message : "-", j->error ? j->error : "-",
           json_string_value(json_object_get(o, "created_at")),
           json_string_value(json_object_get(prog, "updated_at")));
    json_decref(o);
}

static int list(td_cli_t *cli, td_op_t *op, const jobs_opts_t *o) {
    td_job_filter_t f = {.kind = o->kind, .state = o->state, .tenant_id = o->tenant,
                         .before = o->cursor, .limit = (int)o->limit};
    td_job_row_t *rows;
    size_t n;
    const char *next;
    if (td_jobs_list(op, &f, &rows, &n, &next))
        return fail(op);
    if (cli->json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(arr, td_job_json(&rows[i]));
        td_cli_print_json(json_pack("{s:o, s:s?}", "items", arr, "next_cursor", next));
        return TD_EXIT_OK;
    }
    const char **cells = td_arena_alloc(op->arena, sizeof(char *) * 5 * (n + 1));
    for (size_t i = 0; i < n; i++) {
        const char *row[] = {rows[i].id, rows[i].kind, rows[i].state,
                             td_arena_printf(op->arena, "%d/%d", rows[i].attempts,
                                             rows[i].max_attempts),
                             rows[i].message ? rows[i].message : ""};
        memcpy(&cells[i * 5], row, sizeof(row));
    }
    static const char *const titles[] = {"ID", "KIND", "STATE", "ATTEMPTS", "MESSAGE"};
    td_cli_table(titles, 5, cells, n);
    if (next)
        printf("more: --cursor %s\n", next);
    return TD_EXIT_OK;
}

/* Runs due jobs until none is left (--once), or runs job_workers threads
 * until SIGINT or SIGTERM. */
static int run(td_cli_t *cli, td_platform_t *p, const jobs_opts_t *o) {
    td_jobs_opts_t jo = td_jobs_opts(&cli->cfg);
    if (o->once) {
        char host[64] = "", owner[128];
        gethostname(host, sizeof(host) - 1);
        snprintf(owner, sizeof(owner), "%s:%d:cli", host, (int)getpid());
        int ran = 1;
        td_status st = TD_OK;
        while (!st && ran)
            st = td_jobs_run_one(p, owner, &jo, &ran);
        if (st)
            td_cli_error("the job queue: %s", td_status_msg(st));
        return st ? TD_EXIT_FAIL : TD_EXIT_OK;
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    td_jobs_workers_t *w;
    long n = cli->cfg.job_workers > 0 ? cli->cfg.job_workers : 1;
    if (td_jobs_start(p, (int)n, &jo, &w)) {
        td_cli_error("cannot start the job workers");
        return TD_EXIT_FAIL;
    }
    int sig = 0;
    sigwait(&set, &sig);
    td_jobs_stop(w);
    return TD_EXIT_OK;
}

/* One subcommand on an open platform, with a CLI operation context. */
static int dispatch(td_cli_t *cli, td_platform_t *p, const char *sub, const jobs_opts_t *o) {
    td_arena_t *a = td_arena_new(0);
    if (!a)
        return TD_EXIT_FAIL;
    td_op_t op = {.platform = p, .actor = {.kind = TD_ACTOR_CLI}, .arena = a};
    td_job_row_t j;
    int rc = TD_EXIT_OK;
    if (!strcmp(sub, "list"))
        rc = list(cli, &op, o);
    else if (!strcmp(sub, "run"))
        rc = run(cli, p, o);
    else {
        td_status st = !strcmp(sub, "show")     ? td_jobs_get(&op, o->positional, &j)
                       : !strcmp(sub, "cancel") ? td_jobs_cancel(&op, o->positional, &j)
                       : !strcmp(sub, "retry")  ? td_jobs_retry(&op, o->positional, &j)
                                                : td_jobs_enqueue(&op, o->positional, o->tenant,
                                                                  o->payload, (int)o->max_attempts,
                                                                  &j);
        if (st)
            rc = fail(&op);
        else
            print_job(cli, &j);
    }
    td_arena_destroy(a);
    return rc;
}

int td_cmd_jobs(td_cli_t *cli) {
    static const char *const subs[] = {"list", "show", "add", "cancel", "retry", "run"};
    const char *sub = cli->argc ? cli->argv[0] : "";
    size_t k = 0;
    while (k < 6 && strcmp(sub, subs[k]))
        k++;
    if (k == 6)
        return td_cli_usage("jobs", "jobs needs a subcommand: list, show, add, cancel, retry or run");
    jobs_opts_t o;
    int rc = parse(cli, &o);
    if (rc)
        return rc;
    int wants_arg = k >= 1 && k <= 4;
    if (wants_arg != !!o.positional)
        return td_cli_usage("jobs", "jobs %s takes %s", sub, wants_arg ? "one argument" : "no argument");
    td_platform_t p;
    if (td_cli_open(cli, &p, 0))
        return TD_EXIT_FAIL;
    rc = dispatch(cli, &p, sub, &o);
    td_platform_close(&p);
    return rc;
}
