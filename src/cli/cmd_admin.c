/* cmd_admin.c — tenantd init, check, key rotate and admin reset-password. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/password.h"
#include "auth/tokens.h"
#include "cli/cli.h"
#include "ops/ops.h"
#include "common/id.h"
#include "common/text.h"

/* Shared by init and serve --demo. */
int td_cli_init_platform(td_cli_t *cli, td_platform_t *p, const char *email, const char *pw,
                         int *created, char **generated) {
    if (td_cli_open(cli, p, 1))
        return TD_EXIT_FAIL;
    td_arena_t *a = td_arena_new(0);
    td_op_t op = td_cli_op(p, a);
    td_status st = a ? td_op_superadmin_ensure(&op, email, pw, created, generated) : TD_E_NOMEM;
    td_arena_destroy(a);
    if (st) {
        td_cli_error("cannot create the superadmin: %s", td_status_msg(st));
        td_platform_close(p);
        return TD_EXIT_FAIL;
    }
    return TD_EXIT_OK;
}

int td_cmd_init(td_cli_t *cli) {
    const char *email = "root@example.com";
    int pw_stdin = 0;
    for (int i = 0; i < cli->argc; i++) {
        const char *v;
        if (td_cli_opt(cli, &i, "--admin-email", &v)) {
            if (!v)
                return td_cli_usage("init", "--admin-email needs a value");
            email = v;
        } else if (strcmp(cli->argv[i], "--admin-password-stdin") == 0)
            pw_stdin = 1;
        else
            return td_cli_usage("init", "unexpected argument '%.40s'", cli->argv[i]);
    }
    if (!td_email_valid(email))
        return td_cli_usage("init", "invalid --admin-email");
    char *pw = NULL;
    if (pw_stdin) {
        pw = td_cli_read_secret_line();
        if (!pw || td_password_check(pw)) {
            td_cli_error("standard input: %s", pw ? td_password_problem(pw) : "no password");
            free(pw);
            return TD_EXIT_USAGE;
        }
    }
    td_platform_t p;
    int created;
    char *generated = NULL;
    int rc = td_cli_init_platform(cli, &p, email, pw, &created, &generated);
    if (pw)
        sodium_memzero(pw, strlen(pw));
    free(pw);
    if (rc)
        return rc;
    if (cli->json) {
        json_t *o = json_pack("{s:s, s:b}", "data", cli->cfg.data, "superadmin_created", created);
        if (created)
            json_object_set_new(o, "email", json_string(email));
        if (generated)
            json_object_set_new(o, "password", json_string(generated));
        td_cli_print_json(o);
    } else if (created) {
        printf("initialised %s\nsuperadmin: %s\n", cli->cfg.data, email);
        if (generated)
            printf("password:   %s   (shown once: store it now)\n", generated);
    } else {
        printf("%s is already initialised; nothing changed\n", cli->cfg.data);
    }
    if (generated) {
        sodium_memzero(generated, strlen(generated));
        free(generated);
    }
    td_platform_close(&p);
    return TD_EXIT_OK;
}

typedef struct {
    json_t *items;
    int json;
    int bad;
    int total;
} check_ctx;

static void report(void *ctx, const td_check_t *k) {
    check_ctx *c = ctx;
    c->total++;
    c->bad += k->st != TD_OK;
    if (c->json)
        json_array_append_new(c->items,
                              json_pack("{s:s, s:s, s:s, s:s, s:f}", "kind", k->kind, "name",
                                        k->name, "status", k->st ? "fail" : "ok", "detail",
                                        k->detail, "latency_ms", k->ms));
    else
        printf("%-4s %-8s %-40s %s (%.1f ms)\n", k->st ? "FAIL" : "ok", k->kind, k->name,
               k->detail, k->ms);
}

int td_cmd_check(td_cli_t *cli) {
    if (cli->argc)
        return td_cli_usage("check", "unexpected argument '%.40s'", cli->argv[0]);
    td_platform_t p;
    if (td_cli_open(cli, &p, 0))
        return TD_EXIT_FAIL;
    check_ctx c = {json_array(), cli->json, 0, 0};
    td_arena_t *a = td_arena_new(0);
    td_op_t op = td_cli_op(&p, a);
    td_fleet_totals_t tot;
    if (td_op_fleet_check(&op, -1, report, &c, &tot)) {
        td_check_t k = {"catalog", NULL, "tenants", op.err.st, op.err.detail, 0};
        report(&c, &k);
    }
    if (cli->json)
        td_cli_print_json(json_pack("{s:o, s:i, s:i, s:i}", "checks", c.items, "total", c.total,
                                    "failed", c.bad, "tenants", tot.tenants_checked));
    else {
        json_decref(c.items);
        printf("%d checked, %d failed (%d tenants)\n", c.total, c.bad, tot.tenants_checked);
    }
    td_arena_destroy(a);
    td_platform_close(&p);
    return c.bad ? TD_EXIT_FAIL : TD_EXIT_OK;
}

/* The new master key from standard input (one line of base64), for
 * --new-key-stdin. */
static int read_new_key(td_key_t *out) {
    char *line = td_cli_read_secret_line();
    int rc = line && td_key_from_b64(line, out) == TD_OK ? 0 : -1;
    if (line) {
        sodium_memzero(line, strlen(line));
        free(line);
    }
    if (rc)
        td_cli_error("the new key on standard input must be 32 bytes of base64 "
                     "(head -c 32 /dev/urandom | base64)");
    return rc;
}

static int rotate_signing(td_cli_t *cli, td_platform_t *p) {
    td_arena_t *a = td_arena_new(0);
    td_op_t op = td_cli_op(p, a);
    td_status rs = td_op_signing_rotate(&op, TD_ACCESS_TTL + 60);
    td_arena_destroy(a);
    if (rs)
        td_cli_error("%s", op.err.detail);
    else if (cli->json)
        td_cli_print_json(json_pack("{s:s}", "kid", td_platform_keys(p)->keys[0].kid));
    else
        printf("new signing key %s; the previous keys verify for %d more seconds\n",
               td_platform_keys(p)->keys[0].kid, TD_ACCESS_TTL + 60);
    return rs ? TD_EXIT_FAIL : TD_EXIT_OK;
}

/* key rotate: with the key from TENANTD_MASTER_KEY the operator gives the
 * new key (stored first where the servers read it): a key printed once
 * could be lost with every tenant, and running servers cannot re-read
 * their environment anyway. */
static int rotate_master(td_cli_t *cli, td_platform_t *p, const td_key_t *given) {
    td_arena_t *a = td_arena_new(0);
    char id[TD_KEY_ID_LEN + 1] = "";
    size_t n = 0;
    td_op_t op = td_cli_op(p, a);
    td_status st = td_op_master_rotate(&op, given, id, &n);
    int env_key = cli->cfg.master_key[0] != '\0';
    if (st)
        td_cli_error("%s", op.err.detail);
    else if (cli->json)
        td_cli_print_json(json_pack("{s:i, s:s}", "rewrapped", (int)n, "key_id", id));
    else {
        printf("rotated the master key (id %s): %zu tenant keys re-wrapped\n", id, n);
        if (env_key)
            printf("restart every process that reads TENANTD_MASTER_KEY with the new key\n");
    }
    td_arena_destroy(a);
    return st == TD_E_INVALID ? TD_EXIT_USAGE : st ? TD_EXIT_FAIL : TD_EXIT_OK;
}

int td_cmd_key(td_cli_t *cli) {
    const char *usage = "usage: tenantd key rotate [--new-key-stdin] | tenantd key rotate-signing";
    int n = cli->argc;
    int rotate = n >= 1 && !strcmp(cli->argv[0], "rotate");
    int signing = n == 1 && !strcmp(cli->argv[0], "rotate-signing");
    int given = rotate && n == 2 && !strcmp(cli->argv[1], "--new-key-stdin");
    if (!signing && !(rotate && n == 1) && !given)
        return td_cli_usage("key", "%s", usage);
    if (!signing && !given && cli->cfg.master_key[0])
        return td_cli_usage("key",
                            "the master key comes from TENANTD_MASTER_KEY, which running servers "
                            "cannot re-read: store a new key where they read it, then give it "
                            "with --new-key-stdin and restart them with it");
    td_key_t nk;
    if (given && read_new_key(&nk))
        return TD_EXIT_USAGE;
    td_platform_t p;
    int rc = TD_EXIT_FAIL;
    if (td_cli_open(cli, &p, 0) == 0) {
        rc = signing ? rotate_signing(cli, &p) : rotate_master(cli, &p, given ? &nk : NULL);
        td_platform_close(&p);
    }
    sodium_memzero(&nk, sizeof(nk));
    return rc;
}

/* tenantd admin reset-password EMAIL: the new password on standard input
 * (one line), for the operator who lost a superadmin's. */
int td_cmd_admin(td_cli_t *cli) {
    if (cli->argc != 2 || strcmp(cli->argv[0], "reset-password"))
        return td_cli_usage("admin", "expected: reset-password EMAIL");
    const char *email = cli->argv[1];
    if (!td_email_valid(email))
        return td_cli_usage("admin", "'%.80s' is not an email address", email);
    char *pw = td_cli_read_secret_line();
    if (!pw || td_password_check(pw)) {
        td_cli_error("standard input: %s", pw ? td_password_problem(pw) : "no password");
        if (pw)
            sodium_memzero(pw, strlen(pw));
        free(pw);
        return TD_EXIT_USAGE;
    }
    td_platform_t p;
    int rc = TD_EXIT_FAIL;
    if (td_cli_open(cli, &p, 0) == 0) {
        td_arena_t *a = td_arena_new(0);
        td_op_t op = td_cli_op(&p, a);
        if (a && !td_op_superadmin_reset_password(&op, email, pw)) {
            rc = TD_EXIT_OK;
            if (cli->json)
                td_cli_print_json(json_pack("{s:s, s:b}", "email", email, "reset", 1));
            else
                printf("The password of %s is reset; its sessions have ended.\n", email);
        } else {
            rc = a ? td_cli_op_fail(&op) : TD_EXIT_FAIL;
        }
        td_arena_destroy(a);
        td_platform_close(&p);
    }
    sodium_memzero(pw, strlen(pw));
    free(pw);
    return rc;
}
