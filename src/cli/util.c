/* util.c — helpers shared by the commands. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <sys/file.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/log.h"

void td_cli_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("tenantd: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int td_cli_usage(const char *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("tenantd: ", stderr);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nRun 'tenantd %s --help' for usage.\n", cmd);
    va_end(ap);
    return TD_EXIT_USAGE;
}

int td_cli_opt(td_cli_t *cli, int *i, const char *name, const char **out) {
    const char *a = cli->argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0)
        return 0;
    if (a[n] == '=') {
        *out = a + n + 1;
        return 1;
    }
    if (a[n] != '\0')
        return 0;
    *out = (*i + 1 < cli->argc) ? cli->argv[++*i] : NULL;
    return 1;
}

int td_cli_open(td_cli_t *cli, td_platform_t *p, int init) {
    char err[512] = "";
    td_status st = td_platform_open(p, &cli->cfg, init, err, sizeof(err));
    if (st) {
        td_cli_error("%s", err[0] ? err : td_status_msg(st));
        td_platform_close(p);
        return TD_EXIT_FAIL;
    }
    return TD_EXIT_OK;
}

char *td_cli_read_stdin_line(void) {
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline(&line, &cap, stdin);
    if (n < 0) {
        free(line);
        return NULL;
    }
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    return line;
}

char *td_cli_read_secret_line(void) {
    /* typed at a terminal: asked for on stderr and not echoed; what was
     * typed ahead stays (TCSANOW, not TCSAFLUSH) */
    struct termios was, quiet;
    int tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &was) == 0;
    if (tty) {
        fputs("(typed text is not shown) ", stderr);
        quiet = was;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    }
    char *line = td_cli_read_stdin_line();
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSANOW, &was);
        fputc('\n', stderr);
    }
    return line;
}

void td_cli_print_json(json_t *v) {
    char *s = json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (s)
        puts(s);
    free(s);
    json_decref(v);
}

void td_cli_table(const char *const *titles, size_t ncols, const char *const *cells, size_t nrows) {
    size_t w[16] = {0};
    for (size_t c = 0; c < ncols && c < 16; c++) {
        w[c] = strlen(titles[c]);
        for (size_t r = 0; r < nrows; r++) {
            const char *v = cells[r * ncols + c];
            size_t l = v ? strlen(v) : 1;
            if (l > w[c])
                w[c] = l;
        }
    }
    for (size_t c = 0; c < ncols; c++)
        printf("%-*s%s", (int)w[c], titles[c], c + 1 < ncols ? "  " : "\n");
    for (size_t r = 0; r < nrows; r++)
        for (size_t c = 0; c < ncols; c++) {
            const char *v = cells[r * ncols + c];
            printf("%-*s%s", (int)w[c], v ? v : "-", c + 1 < ncols ? "  " : "\n");
        }
}


const char **td_cli_split(td_arena_t *a, const char *s, size_t *n) {
    char *copy = td_arena_strdup(a, s);
    const char **out = td_arena_alloc(a, sizeof(char *) * (strlen(s) / 2 + 2));
    size_t k = 0;
    for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
        if (*tok)
            out[k++] = tok;
    *n = k;
    return out;
}

td_op_t td_cli_op(td_platform_t *p, td_arena_t *a) {
    return (td_op_t){.platform = p, .actor = {.kind = TD_ACTOR_CLI}, .arena = a};
}

int td_cli_op_fail(const td_op_t *op) {
    td_cli_error("%s", op->err.detail[0] ? op->err.detail : td_status_msg(op->err.st));
    return op->err.status == 400 ? TD_EXIT_USAGE : TD_EXIT_FAIL;
}

static int serve_lock_fd(const td_config_t *cfg) {
    char path[4200];
    snprintf(path, sizeof(path), "%s/serve.lock", cfg->data);
    return open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
}

int td_cli_serve_mark(const td_config_t *cfg) {
    int fd = serve_lock_fd(cfg);
    /* waits while a command moves a tenant without a server (it holds the
     * lock alone): a server must not serve a tenant being moved elsewhere */
    if (fd >= 0 && flock(fd, LOCK_SH | LOCK_NB) == 0)
        return fd;
    if (fd >= 0)
        td_log(TD_LOG_WARN, "waiting for a command that holds the data folder alone"
                            " (tenantd tenant move) to end", "lock", "serve.lock", NULL);
    while (fd >= 0 && flock(fd, LOCK_SH))
        if (errno != EINTR) {
            close(fd);
            fd = -1;
        }
    return fd;
}

int td_cli_sole_writer(const td_config_t *cfg) {
    int fd = serve_lock_fd(cfg);
    if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB)) {
        close(fd);
        fd = -1;
    }
    return fd;
}
