/* cmd_tenant.c — tenantd tenant create|list|show|suspend|resume|retry|delete|move.
 *
 * move queues a tenant.move job (the process that serves the tenant must
 * be the one that moves it: it holds its own writes for the switch) and
 * follows it; when no worker takes it within a few seconds — no server
 * runs — this process runs the queue's due jobs itself until it is done. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/timeutil.h"
#include "ops/ops.h"

#define LIST_PAGE 500

/* Zeroes a secret string, then frees it (an arena cleanup). */
static void free_secret(void *p) {
    sodium_memzero(p, strlen(p));
    free(p);
}

static int print_tenant(td_cli_t *cli, const td_tenant_t *t) {
    if (cli->json) {
        td_cli_print_json(td_tenant_json(t));
        return TD_EXIT_OK;
    }
    char svcs[512] = "";
    for (size_t i = 0; i < t->nsvc; i++)
        snprintf(svcs + strlen(svcs), sizeof(svcs) - strlen(svcs), "%s%s", i ? "," : "",
                 t->services[i]);
    printf("id:         %s\nslug:       %s\nname:       %s\nstatus:     %s\nbackend:    %s\n"
           "services:   %s\ncreated_at: %s\n",
           t->row.id, t->row.slug, t->row.name, t->row.status, t->row.backend, svcs,
           t->row.created_at);
    if (t->row.error)
        printf("error:      %s\n", t->row.error);
    return TD_EXIT_OK;
}

static int create(td_cli_t *cli, td_platform_t *p, td_arena_t *a) {
    td_tenant_spec_t spec = {0};
    int pw_stdin = 0, async = 0;
    for (int i = 1; i < cli->argc; i++) {
        const char *v = NULL, *arg = cli->argv[i];
        if (td_cli_opt(cli, &i, "--name", &v) && v)
            spec.name = v;
        else if (td_cli_opt(cli, &i, "--services", &v) && v)
            spec.services = td_cli_split(a, v, &spec.nsvc);
        else if (td_cli_opt(cli, &i, "--admin-email", &v) && v)
            spec.admin_email = v;
        else if (td_cli_opt(cli, &i, "--backend", &v) && v)
            spec.backend = v;
        else if (td_cli_opt(cli, &i, "--plan", &v) && v)
            spec.plan = v;
        else if (strcmp(arg, "--admin-password-stdin") == 0)
            pw_stdin = 1;
        else if (strcmp(arg, "--async") == 0)
            async = 1;
        else if (arg[0] == '-')
            return td_cli_usage("tenant", "unknown or incomplete option '%.40s'", arg);
        else if (!spec.slug)
            spec.slug = arg;
        else
            return td_cli_usage("tenant", "unexpected argument '%.40s'", arg);
    }
    if (!spec.slug)
        return td_cli_usage("tenant", "tenant create needs a SLUG");
    if (!!spec.admin_email != pw_stdin)
        return td_cli_usage("tenant", "--admin-email and --admin-password-stdin go together");
    char *pw = NULL;
    if (pw_stdin && !(pw = td_cli_read_secret_line())) {
        td_cli_error("no password on standard input");
        return TD_EXIT_FAIL;
    }
    spec.admin_password = pw;
    if (pw)
        td_arena_defer(a, free_secret, pw);
    td_tenant_t t;
    td_job_row_t job;
    td_op_t op = td_cli_op(p, a);
    if (async ? td_op_tenant_create_async(&op, &spec, &t, &job) : td_tenant_create(&op, &spec, &t))
        return td_cli_op_fail(&op);
    if (!async)
        return print_tenant(cli, &t);
    if (cli->json)
        td_cli_print_json(json_pack("{s:o, s:{s:s, s:s, s:s}}", "job", td_job_json(&job), "tenant",
                                    "id", t.row.id, "slug", t.row.slug, "status", t.row.status));
    else
        printf("tenant %s (%s) is provisioning; job %s\n", t.row.slug, t.row.id, job.id);
    return TD_EXIT_OK;
}

static int list(td_cli_t *cli, td_platform_t *p, td_arena_t *a) {
    const char *status = NULL, *q = NULL;
    for (int i = 1; i < cli->argc; i++) {
        if (td_cli_opt(cli, &i, "--status", &status) && status)
            continue;
        if (td_cli_opt(cli, &i, "--search", &q) && q && *q)
            continue;
        return td_cli_usage("tenant", "unexpected argument '%.40s'", cli->argv[i]);
    }
    json_t *arr = json_array();
    const char *titles[] = {"SLUG", "STATUS", "BACKEND", "SERVICES", "ID", "CREATED"};
    size_t cap = 0, nrows = 0;
    const char **cells = NULL;
    const char *after = NULL;
    for (;;) {
        td_tenant_t *ts;
        size_t n;
        td_status st = td_tenant_list(p, a, status, q, after, LIST_PAGE, &ts, &n);
        if (st) {
            td_cli_error("cannot list tenants: %s", td_status_msg(st));
            json_decref(arr);
            return TD_EXIT_FAIL;
        }
        for (size_t i = 0; i < n; i++) {
            if (cli->json) {
                json_array_append_new(arr, td_tenant_json(&ts[i]));
                continue;
            }
            if (nrows == cap) {
                cap = cap ? cap * 2 : 64;
                const char **grown = td_arena_alloc(a, sizeof(char *) * 6 * cap);
                if (cells)
                    memcpy(grown, cells, sizeof(char *) * 6 * nrows);
                cells = grown;
            }
            char *svcs = td_arena_strdup(a, "");
            for (size_t s = 0; s < ts[i].nsvc; s++)
                svcs = td_arena_printf(a, "%s%s%s", svcs, s ? "," : "", ts[i].services[s]);
            const char *row[] = {ts[i].row.slug, ts[i].row.status, ts[i].row.backend, svcs,
                                 ts[i].row.id, ts[i].row.created_at};
            memcpy(&cells[nrows++ * 6], row, sizeof(row));
        }
        if (n < LIST_PAGE)
            break;
        after = ts[n - 1].row.id;
    }
    if (cli->json)
        td_cli_print_json(arr);
    else {
        json_decref(arr);
        td_cli_table(titles, 6, cells, nrows);
    }
    return TD_EXIT_OK;
}

/* Asks on the terminal for the tenant's slug; 0 when it was typed. */
static int confirm_delete(td_platform_t *p, td_arena_t *a, const char *key) {
    td_tenant_t t;
    if (td_tenant_find(p, a, key, &t))
        return 0; /* nothing to confirm: the delete says there is no such tenant */
    fprintf(stderr, "This deletes tenant %s (%s) with all its data and its key.\n"
                    "Type its slug to confirm: ", t.row.slug, t.row.id);
    fflush(stderr);
    char *line = td_cli_read_stdin_line();
    int ok = line && strcmp(line, t.row.slug) == 0;
    free(line);
    return ok ? 0 : -1;
}

#define MOVE_CLAIM_MS 3000 /* a server's worker takes a queued job within its poll */

/* Prints the move's report (the job's last checkpoint). */
static int print_move(td_cli_t *cli, const td_job_row_t *j) {
    json_t *r = json_loads(j->checkpoint ? j->checkpoint : "{}", 0, NULL);
    if (cli->json) {
        json_object_set_new(r, "job_id", json_string(j->id));
        td_cli_print_json(r);
        return TD_EXIT_OK;
    }
    printf("moved %s from %s to %s: %lld rows, writes held %lld ms\n",
           json_string_value(json_object_get(r, "slug")),
           json_string_value(json_object_get(r, "from")),
           json_string_value(json_object_get(r, "to")),
           (long long)json_integer_value(json_object_get(r, "rows")),
           (long long)json_integer_value(json_object_get(r, "held_ms")));
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(r, "tables"), i, t)
        printf("  %-10s %-24s %10lld %10lld  %s\n", json_string_value(json_object_get(t, "service")),
               json_string_value(json_object_get(t, "table")),
               (long long)json_integer_value(json_object_get(t, "source_rows")),
               (long long)json_integer_value(json_object_get(t, "target_rows")),
               json_is_true(json_object_get(t, "match")) ? "match" : "DIFFERS");
    json_decref(r);
    return TD_EXIT_OK;
}

/* One look at the job: an exit code when it ended, -1 to look again. */
static int follow_one(td_cli_t *cli, td_platform_t *p, const td_job_row_t *j, const char *owner,
                      const td_jobs_opts_t *jo, char *last, size_t nlast, int64_t *queued_since,
                      int *attempts, int *sole) {
    if (*attempts < 0) /* an attempt that failed before this command came is not its news */
        *attempts = j->attempts;
    if (!strcmp(j->state, "succeeded"))
        return print_move(cli, j);
    if ((j->error && j->attempts > *attempts) || !strcmp(j->state, "failed") ||
        !strcmp(j->state, "cancelled")) {
        td_cli_error("the move failed: %s (job %s%s)", j->error ? j->error : j->state, j->id,
                     strcmp(j->state, "queued") ? "" : ", which will try again");
        return TD_EXIT_FAIL;
    }
    if (j->message && strcmp(j->message, last) && !cli->json) {
        snprintf(last, nlast, "%s", j->message);
        fprintf(stderr, "%s\n", last);
    }
    int ran = 0;
    /* nobody takes it and no server runs on this data folder: run it here,
     * holding serve.lock alone so that none starts meanwhile (a server must
     * run it itself: the writes held are its own) */
    if (!strcmp(j->state, "queued") && td_now_ms() - *queued_since > MOVE_CLAIM_MS &&
        (*sole >= 0 || (*sole = td_cli_sole_writer(&cli->cfg)) >= 0)) {
        p->sole_writer = 1;
        if (td_jobs_run_one(p, owner, jo, &ran))
            ran = 0;
    }
    if (strcmp(j->state, "queued"))
        *queued_since = td_now_ms();
    if (!ran)
        usleep(200 * 1000);
    return -1;
}

/* Follows job id to its end, running due jobs here when no worker takes
 * it. */
static int follow_move(td_cli_t *cli, td_platform_t *p, const char *id) {
    td_jobs_opts_t jo = td_jobs_opts(&cli->cfg);
    char host[64] = "", owner[128], last[256] = "";
    gethostname(host, sizeof(host) - 1);
    snprintf(owner, sizeof(owner), "%s:%d:cli", host, (int)getpid());
    int64_t queued_since = td_now_ms();
    int attempts = -1, sole = -1; /* serve.lock, once held alone */
    for (;;) {
        td_job_row_t j;
        td_arena_t *a = td_arena_new(0); /* a poll's catalog lease goes back with it */
        td_op_t pop = td_cli_op(p, a);
        if (!a || td_jobs_get(&pop, id, &j)) {
            int rc = a ? td_cli_op_fail(&pop) : TD_EXIT_FAIL;
            td_arena_destroy(a);
            return rc;
        }
        int rc = follow_one(cli, p, &j, owner, &jo, last, sizeof(last), &queued_since, &attempts,
                            &sole);
        td_arena_destroy(a);
        if (rc >= 0) {
            if (sole >= 0)
                close(sole);
            p->sole_writer = 0;
            return rc;
        }
    }
}


static int move(td_cli_t *cli, td_platform_t *p, td_arena_t *a) {
    const char *key = NULL, *to = NULL;
    int async = 0, abort_it = 0;
    for (int i = 1; i < cli->argc; i++) {
        const char *v = NULL, *arg = cli->argv[i];
        if (td_cli_opt(cli, &i, "--to", &v) && v)
            to = v;
        else if (strcmp(arg, "--async") == 0)
            async = 1;
        else if (strcmp(arg, "--abort") == 0)
            abort_it = 1;
        else if (arg[0] == '-')
            return td_cli_usage("tenant", "unknown or incomplete option '%.40s'", arg);
        else if (!key)
            key = arg;
        else
            return td_cli_usage("tenant", "unexpected argument '%.40s'", arg);
    }
    if (!key)
        return td_cli_usage("tenant", "tenant move needs a SLUG or ID");
    if (abort_it && (to || async))
        return td_cli_usage("tenant", "--abort goes alone");
    td_op_t op = td_cli_op(p, a);
    if (abort_it) {
        td_move_report_t r;
        if (td_op_tenant_move_abort(&op, key, &r))
            return td_cli_op_fail(&op);
        if (cli->json)
            td_cli_print_json(json_pack("{s:s, s:s, s:s?}", "slug", r.slug, "status", "aborted",
                                        "to", r.to));
        else
            printf("the move of %s to %s is aborted; it stays where it was\n", r.slug, r.to);
        return TD_EXIT_OK;
    }
    td_job_row_t job;
    if (td_op_tenant_move_async(&op, key, to, &job))
        return td_cli_op_fail(&op);
    if (!async)
        return follow_move(cli, p, job.id);
    if (cli->json)
        td_cli_print_json(json_pack("{s:o}", "job", td_job_json(&job)));
    else
        printf("moving; job %s\n", job.id);
    return TD_EXIT_OK;
}

int td_cmd_tenant(td_cli_t *cli) {
    if (cli->argc < 1)
        return td_cli_usage("tenant", "tenant needs a subcommand (create, list, show, suspend, "
                                      "resume, retry, delete, move)");
    const char *sub = cli->argv[0];
    if (strcmp(sub, "plan") == 0) /* its subscription (cmd_plan.c) */
        return td_cmd_tenant_plan(cli);
    static const char *const subs[] = {"create", "list",   "show", "suspend",
                                       "resume", "retry", "delete", "move"};
    int known = 0;
    for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
        known |= strcmp(sub, subs[i]) == 0;
    if (!known)
        return td_cli_usage("tenant", "unknown subcommand '%.40s'", sub);
    int takes_key = strcmp(sub, "create") && strcmp(sub, "list") && strcmp(sub, "move");
    int yes = 0;
    if (strcmp(sub, "delete") == 0) /* tenant delete KEY [--yes] */
        for (int i = 1; i < cli->argc; i++)
            if (strcmp(cli->argv[i], "--yes") == 0) {
                yes = 1;
                memmove(&cli->argv[i], &cli->argv[i + 1], sizeof(char *) * (size_t)(cli->argc - i - 1));
                cli->argc--;
                break;
            }
    if (takes_key && cli->argc != 2)
        return td_cli_usage("tenant", "tenant %s needs exactly one SLUG or ID", sub);
    if (takes_key && cli->argv[1][0] == '-')
        return td_cli_usage("tenant", "unknown option '%.40s'", cli->argv[1]);
    if (!strcmp(sub, "delete") && !yes && !(isatty(STDIN_FILENO) && isatty(STDERR_FILENO)))
        return td_cli_usage("tenant", "tenant delete destroys the tenant's data: confirm with"
                                      " --yes (no terminal to ask on)");

    td_platform_t p;
    if (td_cli_open(cli, &p, 0))
        return TD_EXIT_FAIL;
    td_arena_t *a = td_arena_new(0);
    int rc;
    if (strcmp(sub, "create") == 0)
        rc = create(cli, &p, a);
    else if (strcmp(sub, "list") == 0)
        rc = list(cli, &p, a);
    else if (strcmp(sub, "move") == 0)
        rc = move(cli, &p, a);
    else {
        const char *key = cli->argv[1];
        td_tenant_t t;
        td_op_t op = td_cli_op(&p, a);
        td_status st;
        if (strcmp(sub, "show") == 0) {
            st = td_tenant_find(&p, a, key, &t);
            if (st == TD_E_NOTFOUND)
                td_op_fail(&op, st, 404, "tenant_not_found", "no tenant '%.80s'", key);
        } else if (strcmp(sub, "suspend") == 0)
            st = td_tenant_suspend(&op, key, &t);
        else if (strcmp(sub, "resume") == 0)
            st = td_tenant_resume(&op, key, &t);
        else if (strcmp(sub, "retry") == 0)
            st = td_tenant_retry(&op, key, &t);
        else if (!yes && confirm_delete(&p, a, key)) {
            st = td_op_fail(&op, TD_E_STATE, 409, "not_confirmed",
                            "not confirmed: nothing was deleted");
        } else {
            st = td_tenant_delete(&op, key);
            t.row.id = NULL; /* printed as "deleted KEY" */
        }
        if (st) {
            td_cli_error("%s", op.err.detail[0] ? op.err.detail : td_status_msg(st));
            rc = TD_EXIT_FAIL;
        } else if (!t.row.id) {
            if (cli->json)
                td_cli_print_json(json_pack("{s:s, s:s}", "slug", key, "status", "deleted"));
            else
                printf("deleted %s\n", key);
            rc = TD_EXIT_OK;
        } else
            rc = print_tenant(cli, &t);
    }
    td_arena_destroy(a);
    td_platform_close(&p);
    return rc;
}
