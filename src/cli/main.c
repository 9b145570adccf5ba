/* main.c — the tenantd executable: global options, configuration layers,
 * and dispatch to a command. */
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/log.h"

static const td_cmd_t commands[] = {
    {"serve", "run the HTTP server",
     "usage: tenantd serve [--listen ADDR:PORT] [--data DIR] [--config FILE] [--demo]\n"
     "\n"
     "Runs the HTTP API until SIGINT or SIGTERM. --demo initialises the data\n"
     "folder when needed (printing the new superadmin password once) and creates\n"
     "a `demo` tenant with sample rows.\n",
     td_cmd_serve},
    {"init", "create the data folder, master key, catalog and first superadmin",
     "usage: tenantd init [--data DIR] [--admin-email EMAIL] [--admin-password-stdin]\n"
     "\n"
     "Creates the master key (data/master.key, mode 0600) unless TENANTD_MASTER_KEY\n"
     "is set, the catalog and its schema, and the first superadmin. Without\n"
     "--admin-password-stdin a password is generated and printed once.\n"
     "Running it again on an initialised folder changes nothing.\n",
     td_cmd_init},
    {"tenant", "create, list, show, suspend, resume, retry or delete tenants",
     "usage: tenantd tenant create SLUG [--name NAME] [--services a,b] [--admin-email E\n"
     "                      --admin-password-stdin] [--backend sqlite|postgres] [--plan P]\n"
     "       tenantd tenant list [--status STATUS] [--json]\n"
     "       tenantd tenant show SLUG|ID [--json]\n"
     "       tenantd tenant suspend|resume|retry|delete SLUG|ID [--json]\n"
     "\n"
     "Slugs match ^[a-z][a-z0-9-]{1,62}$ and are not reserved words. The auth\n"
     "service is always enabled. retry resumes a tenant left provisioning or\n"
     "failed; delete removes its databases, files, role and key and keeps a\n"
     "tombstone row in the catalog.\n",
     td_cmd_tenant},
    {"check", "check the catalog, every database server and every tenant database",
     "usage: tenantd check [--data DIR] [--json]\n"
     "\n"
     "Exits 0 when everything answers, 1 when anything does not.\n",
     td_cmd_check},
    {"key", "rotate the master key",
     "usage: tenantd key rotate [--data DIR]\n"
     "\n"
     "Re-wraps every tenant key under a new master key, safe while the server\n"
     "runs. With TENANTD_MASTER_KEY set, the new key is printed once: put it in\n"
     "the environment before the next start.\n",
     td_cmd_key},
    {"version", "print the version", "usage: tenantd version\n", td_cmd_version},
};

const td_cmd_t *td_cli_commands(size_t *n) {
    *n = sizeof(commands) / sizeof(commands[0]);
    return commands;
}

static void usage(FILE *f) {
    fprintf(f, "usage: tenantd [--data DIR] [--config FILE] [--json] COMMAND [ARGS]\n\n"
               "Commands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nRun 'tenantd COMMAND --help' for a command's options.\n"
               "Configuration: flags over TENANTD_* environment over --config file over "
               "defaults (docs/configuration.md).\n");
}

int td_cmd_version(td_cli_t *cli) {
    if (cli->json)
        td_cli_print_json(json_pack("{s:s}", "version", TD_VERSION));
    else
        printf("tenantd %s\n", TD_VERSION);
    return TD_EXIT_OK;
}

/* Global flags that set configuration keys, accepted anywhere. */
static const struct {
    const char *flag, *key;
} config_flags[] = {{"--data", "data"}, {"--listen", "listen"}, {"--log", "log"}};

int main(int argc, char **argv) {
    if (sodium_init() < 0) {
        fputs("tenantd: libsodium failed to initialise\n", stderr);
        return TD_EXIT_FAIL;
    }
    umask(077); /* catalog, keys and tenant files are private to the service user */
    td_cli_t cli = {.argv = calloc((size_t)argc + 1, sizeof(char *))};
    const char *config_file = getenv("TENANTD_CONFIG");
    const char *flag_vals[3] = {0};
    int help = 0;
    const char *cmd_name = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        int used = 0;
        td_cli_t tmp = {.argc = argc, .argv = argv};
        for (size_t f = 0; f < 3 && !used; f++)
            if ((used = td_cli_opt(&tmp, &i, config_flags[f].flag, &v))) {
                if (!v) {
                    free(cli.argv);
                    return td_cli_usage(cmd_name ? cmd_name : "", "%s needs a value",
                                        config_flags[f].flag);
                }
                flag_vals[f] = v;
            }
        if (!used && (used = td_cli_opt(&tmp, &i, "--config", &v))) {
            if (!v) {
                free(cli.argv);
                return td_cli_usage(cmd_name ? cmd_name : "", "--config needs a value");
            }
            config_file = v;
        }
        if (used)
            continue;
        if (strcmp(a, "--json") == 0)
            cli.json = 1;
        else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
            help = 1;
        else if (!cmd_name)
            cmd_name = a;
        else
            cli.argv[cli.argc++] = argv[i];
    }
    if (cmd_name && strcmp(cmd_name, "help") == 0) {
        help = 1;
        cmd_name = cli.argc ? cli.argv[0] : NULL;
    }
    const td_cmd_t *cmd = NULL;
    for (size_t i = 0; cmd_name && i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(commands[i].name, cmd_name) == 0)
            cmd = &commands[i];
    if (!cmd_name || (!cmd && help)) {
        usage(help ? stdout : stderr);
        free(cli.argv);
        return help ? TD_EXIT_OK : TD_EXIT_USAGE;
    }
    if (!cmd) {
        td_cli_error("unknown command '%.40s'", cmd_name);
        usage(stderr);
        free(cli.argv);
        return TD_EXIT_USAGE;
    }
    if (help) {
        fputs(cmd->help, stdout);
        free(cli.argv);
        return TD_EXIT_OK;
    }

    char err[512];
    td_config_defaults(&cli.cfg);
    td_status st = config_file ? td_config_load_file(&cli.cfg, config_file, err, sizeof(err)) : TD_OK;
    if (!st)
        st = td_config_load_env(&cli.cfg, err, sizeof(err));
    for (size_t f = 0; f < 3 && !st; f++)
        if (flag_vals[f])
            st = td_config_set(&cli.cfg, config_flags[f].key, flag_vals[f], err, sizeof(err));
    int rc;
    if (st) {
        td_cli_error("%s", err);
        rc = TD_EXIT_USAGE;
    } else {
        td_log_set_level((td_log_level)td_log_parse_level(cli.cfg.log));
        if (cmd->run != td_cmd_serve) /* keep stdout for the command's output */
            td_log_set_fd(2);
        rc = cmd->run(&cli);
    }
    td_config_free(&cli.cfg);
    free(cli.argv);
    return rc;
}
