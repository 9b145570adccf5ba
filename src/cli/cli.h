/* cli.h — the command line: shared option handling, tables and JSON
 * output. Each command lives in its own file (cmd_*.c) and returns an exit
 * code: 0 ok, 1 failure, 2 usage. */
#ifndef TD_CLI_H
#define TD_CLI_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#include "common/config.h"
#include "tenancy/tenancy.h"

#define TD_EXIT_OK 0
#define TD_EXIT_FAIL 1
#define TD_EXIT_USAGE 2

typedef struct {
    td_config_t cfg;
    int json;        /* --json */
    int argc;        /* positional arguments and command flags left */
    char **argv;
} td_cli_t;

/* A command: name, one-line summary, help text, entry point. */
typedef struct {
    const char *name;
    const char *summary;
    const char *help;
    int (*run)(td_cli_t *cli);
} td_cmd_t;

/* Prints "tenantd: <msg>" on stderr. */
void td_cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Usage error: prints msg and a hint to run --help; returns TD_EXIT_USAGE. */
int td_cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Takes the value of option `name` at argv[*i] ("--name V" or "--name=V").
 * Returns 1 when argv[*i] is that option (value in *out, NULL when
 * missing), 0 otherwise. */
int td_cli_opt(td_cli_t *cli, int *i, const char *name, const char **out);
/* Opens the platform; prints the error and returns non-zero on failure. */
int td_cli_open(td_cli_t *cli, td_platform_t *p, int init);
/* `tenantd serve` holds a shared lock on DATA/serve.lock for its life
 * (td_cli_serve_mark, taken before it serves: the descriptor, -1 when the
 * file cannot be opened). A command that must be the only process writing
 * the data folder's tenants (a move run without a server) takes it alone
 * with td_cli_sole_writer: the descriptor to keep while it works, or -1
 * when a server runs (no server starts while it is held). */
int td_cli_serve_mark(const td_config_t *cfg);
int td_cli_sole_writer(const td_config_t *cfg);
/* Reads one line from stdin (without newline) into a malloc'd string. */
char *td_cli_read_stdin_line(void);
/* The same for a password or a key: at a terminal, asked for on stderr
 * and not echoed. */
char *td_cli_read_secret_line(void);
/* Prints a JSON value on stdout, indented, and frees it. */
void td_cli_print_json(json_t *v);
/* A table: column titles and rows of cells; widths are computed. */
void td_cli_table(const char *const *titles, size_t ncols, const char *const *cells, size_t nrows);

/* Splits "a,b,c" into an arena array (empty items dropped). */
const char **td_cli_split(td_arena_t *a, const char *s, size_t *n);
/* The operation context of a command: the CLI as actor, arena a. */
td_op_t td_cli_op(td_platform_t *p, td_arena_t *a);
/* Prints a failed operation's detail; exit 2 for invalid input (400),
 * else 1. */
int td_cli_op_fail(const td_op_t *op);

/* Opens the platform creating what is missing (init), and the first
 * superadmin unless one exists: *created = 1 then, and *generated holds a
 * generated password (malloc'd) when pw is NULL. */
int td_cli_init_platform(td_cli_t *cli, td_platform_t *p, const char *email, const char *pw,
                         int *created, char **generated);

int td_cmd_serve(td_cli_t *cli);
int td_cmd_init(td_cli_t *cli);
int td_cmd_tenant(td_cli_t *cli);
int td_cmd_account(td_cli_t *cli);
int td_cmd_check(td_cli_t *cli);
int td_cmd_key(td_cli_t *cli);
int td_cmd_admin(td_cli_t *cli);
int td_cmd_version(td_cli_t *cli);
int td_cmd_user(td_cli_t *cli);
int td_cmd_apikey(td_cli_t *cli);
int td_cmd_credits(td_cli_t *cli);
int td_cmd_jobs(td_cli_t *cli);
int td_cmd_usage(td_cli_t *cli);
int td_cmd_audit(td_cli_t *cli);
int td_cmd_migrate(td_cli_t *cli);
int td_cmd_backup(td_cli_t *cli);
int td_cmd_restore(td_cli_t *cli);
int td_cmd_import(td_cli_t *cli);
int td_cmd_plan(td_cli_t *cli);
/* tenantd tenant plan (cmd_plan.c), from td_cmd_tenant */
int td_cmd_tenant_plan(td_cli_t *cli);

/* The command table (main.c), for help and the documentation test. */
const td_cmd_t *td_cli_commands(size_t *n);
/* The top-level usage text. */
void td_cli_print_usage(FILE *f);

#endif
