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
    if (cmd_name && (!strcmp(cmd_name, "--version") || !strcmp(cmd_name, "-V")))
        cmd_name = "version"; /* what every tool answers */
    if (cmd_name && strcmp(cmd_name, "help") == 0) {
        help = 1;
        cmd_name = cli.argc ? cli.argv[0] : NULL;
    }
    size_t ncmds;
    const td_cmd_t *cmds = td_cli_commands(&ncmds);
    const td_cmd_t *cmd = NULL;
    for (size_t i = 0; cmd_name && i < ncmds; i++)
        if (strcmp(cmds[i].name, cmd_name) == 0)
            cmd = &cmds[i];
    if (!cmd_name || (!cmd && help)) {
        td_cli_print_usage(help ? stdout : stderr);
        free(cli.argv);
        return help ? TD_EXIT_OK : TD_EXIT_USAGE;
    }
    if (!cmd) {
        td_cli_error("unknown command '%.40s'", cmd_name);
        td_cli_print_usage(stderr);
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
