/* log.c — JSON-lines logger. */
#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/timeutil.h"

static volatile int g_level = TD_LOG_INFO; /* process-wide, not tenant context */
static int g_fd = STDOUT_FILENO;
static const char *const level_names[] = {"debug", "info", "warn", "error", "off"};

int td_log_parse_level(const char *s) {
    for (int i = 0; i <= TD_LOG_OFF; i++)
        if (strcasecmp(s, level_names[i]) == 0)
            return i;
    return -1;
}

void td_log_set_level(td_log_level lvl) { g_level = lvl; }
void td_log_set_fd(int fd) { g_fd = fd; }
int td_log_enabled(td_log_level lvl) { return (int)lvl >= g_level && lvl != TD_LOG_OFF; }

int td_log_key_is_secret(const char *key) {
    static const char *const words[] = {"password", "secret", "token", "key",
                                        "authorization", "cookie", "url", "credential"};
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (strcasestr(key, words[i]))
            return 1;
    return 0;
}

void td_log(td_log_level lvl, const char *msg, ...) {
    if (!td_log_enabled(lvl))
        return;
    char ts[40];
    td_time_iso(td_now_ms(), ts, sizeof(ts));
    td_buf_t b;
    td_buf_init(&b, 16384);
    td_buf_printf(&b, "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":\"", ts, level_names[lvl]);
    td_buf_json_escape(&b, msg);
    td_buf_puts(&b, "\"");
    va_list ap;
    va_start(ap, msg);
    for (const char *k; (k = va_arg(ap, const char *));) {
        const char *v = va_arg(ap, const char *);
        td_buf_puts(&b, ",\"");
        td_buf_json_escape(&b, k);
        td_buf_puts(&b, "\":\"");
        td_buf_json_escape(&b, td_log_key_is_secret(k) ? "[redacted]" : (v ? v : ""));
        td_buf_puts(&b, "\"");
    }
    va_end(ap);
    td_buf_puts(&b, "}\n");
    ssize_t w = write(g_fd, td_buf_str(&b), b.len);
    (void)w;
    td_buf_free(&b);
}
