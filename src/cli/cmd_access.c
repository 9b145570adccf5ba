/* cmd_access.c — tenantd user add|list|disable and tenantd apikey
 * create|list|revoke: the same operations as /v1/auth/users and the API
 * key routes, for operators at the console. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/apikey.h"
#include "auth/password.h"
#include "auth/policy.h"
#include "auth/users.h"
#include "cli/cli.h"
#include "ops/ops.h"
#include "common/text.h"
#include "common/timeutil.h"

typedef struct {
    const char *tenant, *role, *services, *name, *expires_at, *rate_limit, *positional;
    int password_stdin, read_only;
} opts_t;

/* Parses the options the two commands share; returns 0 or an exit code. */
static int parse(td_cli_t *cli, const char *cmd, opts_t *o) {
    memset(o, 0, sizeof(*o));
    for (int i = 1; i < cli->argc; i++) {
        const char *v = NULL, *a = cli->argv[i];
        const char **slot = NULL;
        if (td_cli_opt(cli, &i, "--tenant", &v))
            slot = &o->tenant;
        else if (td_cli_opt(cli, &i, "--role", &v))
            slot = &o->role;
        else if (td_cli_opt(cli, &i, "--services", &v))
            slot = &o->services;
        else if (td_cli_opt(cli, &i, "--name", &v))
            slot = &o->name;
        else if (td_cli_opt(cli, &i, "--expires-at", &v))
            slot = &o->expires_at;
        else if (td_cli_opt(cli, &i, "--rate-limit", &v))
            slot = &o->rate_limit;
        if (slot) {
            if (!v)
                return td_cli_usage(cmd, "%s needs a value", a);
            *slot = v;
        } else if (strcmp(a, "--password-stdin") == 0)
            o->password_stdin = 1;
        else if (strcmp(a, "--read-only") == 0)
            o->read_only = 1;
        else if (a[0] == '-')
            return td_cli_usage(cmd, "unknown option '%.40s'", a);
        else if (!o->positional)
            o->positional = a;
        else
            return td_cli_usage(cmd, "unexpected argument '%.40s'", a);
    }
    return 0;
}

/* Splits "a,b" and checks each name is one of the tenant's services. */
static int services_of(td_arena_t *a, const char *list, const td_tenant_t *t, const char ***out,
                       size_t *n) {
    *n = 0;
    *out = td_arena_alloc(a, sizeof(char *) * 33);
    if (!list)
        return 0;
    char *copy = td_arena_strdup(a, list);
    for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok && *n < 32;
         tok = strtok_r(NULL, ",", &save)) {
        if (!td_policy_granted(tok, t->services, t->nsvc)) {
            td_cli_error("service '%.40s' is not enabled for tenant %s", tok, t->row.slug);
            return TD_EXIT_USAGE;
        }
        (*out)[(*n)++] = tok;
    }
    return 0;
}

/* The tenant key names (live), or an exit code after saying why. */
static int find_tenant(td_platform_t *p, td_arena_t *a, const char *key, td_tenant_t *t) {
    if (td_tenant_find(p, a, key, t) || strcmp(t->row.status, "deleted") == 0) {
        td_cli_error("no tenant '%.80s'", key);
        return TD_EXIT_FAIL;
    }
    return 0;
}

static int user_add(td_cli_t *cli, td_op_t *op, const opts_t *o, const td_tenant_t *t) {
    td_user_spec_t s = {.email = o->positional, .role = o->role, .name = o->name};
    if (!td_email_valid(s.email) || !td_role_valid_tenant(s.role))
        return td_cli_usage("user", "user add needs EMAIL and --role admin|manager|client");
    int rc = services_of(op->arena, o->services, t, (const char ***)&s.services, &s.nsvc);
    if (rc)
        return rc;
    char gen[21], *pw = NULL;
    if (o->password_stdin) {
        pw = td_cli_read_secret_line();
        if (!pw || td_password_check(pw)) {
            td_cli_error("standard input: %s", pw ? td_password_problem(pw) : "no password");
            free(pw);
            return TD_EXIT_USAGE;
        }
        s.password = pw;
    } else {
        td_password_generate(gen, sizeof(gen));
        s.password = gen;
    }
    td_user_t u;
    td_status st = td_op_user_create(op, t, &s, &u);
    if (pw) {
        sodium_memzero(pw, strlen(pw));
        free(pw);
    }
    if (st) {
        td_cli_error(st == TD_E_EXISTS ? "a user with this email exists" : "cannot add the user: %s",
                     op->err.detail[0] ? op->err.detail : td_status_msg(st));
        sodium_memzero(gen, sizeof(gen));
        return TD_EXIT_FAIL;
    }
    json_t *j = td_user_json(&u);
    if (!o->password_stdin)
        json_object_set_new(j, "password", json_string(gen));
    if (cli->json)
        td_cli_print_json(j);
    else {
        printf("added %s (%s) to %s, id %s\n", u.email, u.role, t->row.slug, u.id);
        if (!o->password_stdin)
            printf("password: %s   (shown once)\n", gen);
        json_decref(j);
    }
    sodium_memzero(gen, sizeof(gen));
    return TD_EXIT_OK;
}

static int user_list(td_cli_t *cli, td_op_t *op, const td_tenant_t *t) {
    td_user_t *us;
    size_t n = 0;
    if (td_op_user_list(op, t, 100000, &us, &n)) {
        td_cli_error("cannot list users");
        return TD_EXIT_FAIL;
    }
    td_arena_t *a = op->arena;
    json_t *arr = json_array();
    const char **cells = td_arena_alloc(a, sizeof(char *) * 5 * (n + 1));
    for (size_t i = 0; i < n; i++) {
        const td_user_t *u = &us[i];
        json_array_append_new(arr, td_user_json(u));
        char *svc = td_arena_strdup(a, "");
        for (size_t k = 0; k < u->nsvc; k++)
            svc = td_arena_printf(a, "%s%s%s", svc, k ? "," : "", u->services[k]);
        const char *row[] = {u->email, u->role, svc, u->disabled ? "disabled" : "active", u->id};
        memcpy(&cells[i * 5], row, sizeof(row));
    }
    static const char *const titles[] = {"EMAIL", "ROLE", "SERVICES", "STATE", "ID"};
    if (cli->json)
        td_cli_print_json(arr);
    else {
        json_decref(arr);
        td_cli_table(titles, 5, cells, n);
    }
    return TD_EXIT_OK;
}

/* user disable: the operation ends its sessions, tokens and keys. */
static int user_disable(td_cli_t *cli, td_op_t *op, const opts_t *o, const td_tenant_t *t) {
    td_user_patch_t patch = {.set_disabled = 1, .disabled = 1};
    td_user_t u;
    td_status st =
        td_op_user_update(op, t, o->positional, !td_id_valid(o->positional), &patch, &u);
    if (st == TD_E_NOTFOUND)
        td_cli_error("no user '%.80s' in %s", o->positional, t->row.slug);
    else if (st)
        td_cli_error("cannot disable %.80s: %s", o->positional,
                     st == TD_E_LAST_ADMIN ? "it is the tenant's last active admin"
                                           : op->err.detail[0] ? op->err.detail
                                                               : td_status_msg(st));
    else if (cli->json)
        td_cli_print_json(td_user_json(&u));
    else
        printf("disabled %s in %s: it can no longer log in, and its tokens stop working\n",
               u.email, t->row.slug);
    return st ? TD_EXIT_FAIL : TD_EXIT_OK;
}

int td_cmd_user(td_cli_t *cli) {
    const char *sub = cli->argc ? cli->argv[0] : "";
    if (strcmp(sub, "add") && strcmp(sub, "list") && strcmp(sub, "disable"))
        return td_cli_usage("user", "user needs a subcommand: add, list or disable");
    opts_t o;
    int rc = parse(cli, "user", &o);
    if (rc)
        return rc;
    if (!o.tenant)
        return td_cli_usage("user", "--tenant SLUG is required");
    if (strcmp(sub, "list") && !o.positional)
        return td_cli_usage("user", "user %s needs an EMAIL", sub);
    td_platform_t p;
    if (td_cli_open(cli, &p, 0))
        return TD_EXIT_FAIL;
    td_arena_t *a = td_arena_new(0);
    td_op_t op = td_cli_op(&p, a);
    td_tenant_t t;
    rc = find_tenant(&p, a, o.tenant, &t);
    if (!rc && !strcmp(sub, "add"))
        rc = user_add(cli, &op, &o, &t);
    else if (!rc && !strcmp(sub, "list"))
        rc = user_list(cli, &op, &t);
    else if (!rc)
        rc = user_disable(cli, &op, &o, &t);
    td_arena_destroy(a);
    td_platform_close(&p);
    return rc;
}

/* Builds the key's spec from the options; the operation checks it. */
static int apikey_create(td_cli_t *cli, td_op_t *op, const opts_t *o, const td_tenant_t *t) {
    td_apikey_spec_t s = {.tenant = t, .name = o->name, .role = o->role,
                          .read_only = o->read_only, .expires_at = o->expires_at,
                          .scoped = o->services != NULL};
    if (o->services)
        s.services = td_cli_split(op->arena, o->services, &s.nsvc);
    char *end = NULL;
    if (o->rate_limit && ((s.rate_limit = strtoll(o->rate_limit, &end, 10)) < 1 || *end))
        return td_cli_usage("apikey create", "--rate-limit needs a number of requests a minute");
    td_apikey_row_t k;
    char key[TD_APIKEY_LEN + 1];
    if (td_op_apikey_create(op, &s, &k, key))
        return td_cli_op_fail(op);
    if (cli->json) {
        json_t *j = td_apikey_json(&k, 1);
        json_object_set_new(j, "key", json_string(key));
        td_cli_print_json(j);
    } else
        printf("created key %s (%s, %s)\nkey: %s   (shown once)\n", k.id, k.name, k.role, key);
    sodium_memzero(key, sizeof(key));
    return TD_EXIT_OK;
}

static int apikey_list(td_cli_t *cli, td_op_t *op, const td_tenant_t *t) {
    td_apikey_row_t *rows;
    size_t n = 0;
    if (td_op_apikey_list(op, t ? t->row.id : NULL, &rows, &n))
        return td_cli_op_fail(op);
    json_t *arr = json_array();
    const char **cells = td_arena_alloc(op->arena, sizeof(char *) * 5 * (n + 1));
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(arr, td_apikey_json(&rows[i], 1));
        const char *row[] = {rows[i].name, rows[i].role, rows[i].revoked_at ? "revoked" : "live",
                             rows[i].last_used_at ? rows[i].last_used_at : "never", rows[i].id};
        memcpy(&cells[i * 5], row, sizeof(row));
    }
    static const char *const titles[] = {"NAME", "ROLE", "STATE", "LAST USED", "ID"};
    if (cli->json)
        td_cli_print_json(arr);
    else {
        json_decref(arr);
        td_cli_table(titles, 5, cells, n);
    }
    return TD_EXIT_OK;
}

int td_cmd_apikey(td_cli_t *cli) {
    const char *sub = cli->argc ? cli->argv[0] : "";
    if (strcmp(sub, "create") && strcmp(sub, "list") && strcmp(sub, "revoke"))
        return td_cli_usage("apikey", "apikey needs a subcommand: create, list or revoke");
    opts_t o;
    int rc = parse(cli, "apikey", &o);
    if (rc)
        return rc;
    if (!strcmp(sub, "revoke") != !!o.positional)
        return td_cli_usage("apikey", "apikey revoke takes one ID; create and list none");
    td_platform_t p;
    if (td_cli_open(cli, &p, 0))
        return TD_EXIT_FAIL;
    td_arena_t *a = td_arena_new(0);
    td_tenant_t t;
    td_op_t op = td_cli_op(&p, a);
    if (o.tenant && (td_tenant_find(&p, a, o.tenant, &t) || !strcmp(t.row.status, "deleted"))) {
        td_cli_error("no tenant '%.80s'", o.tenant);
        rc = TD_EXIT_FAIL;
    } else if (!strcmp(sub, "create"))
        rc = apikey_create(cli, &op, &o, o.tenant ? &t : NULL);
    else if (!strcmp(sub, "list"))
        rc = apikey_list(cli, &op, o.tenant ? &t : NULL);
    else if (td_op_apikey_revoke(&op, o.tenant ? t.row.id : NULL, o.positional)) {
        td_cli_error("no live key '%.80s'%s", o.positional,
                     o.tenant ? " in this tenant" : " among platform keys (use --tenant?)");
        rc = TD_EXIT_FAIL;
    } else
        printf("revoked %s\n", o.positional);
    td_arena_destroy(a);
    td_platform_close(&p);
    return rc;
}
