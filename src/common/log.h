/* log.h — JSON-lines logging with levels.
 *
 * One line per event on stdout: {"ts":…,"level":…,"msg":…, key: value…}.
 * Fields are given as NULL-terminated key/value string pairs. A field whose
 * key names a secret (password, secret, token, key, authorization, cookie,
 * url credentials) is written as "[redacted]", so a careless call cannot put
 * a secret into a log. Thread-safe: each line is written with one call. */
#ifndef TD_LOG_H
#define TD_LOG_H

typedef enum { TD_LOG_DEBUG, TD_LOG_INFO, TD_LOG_WARN, TD_LOG_ERROR, TD_LOG_OFF } td_log_level;

/* Parses "debug"|"info"|"warn"|"error"|"off"; returns -1 when unknown. */
int td_log_parse_level(const char *s);
void td_log_set_level(td_log_level lvl);
/* Where lines go: stdout for the server, stderr for other commands. */
void td_log_set_fd(int fd);
int td_log_enabled(td_log_level lvl);
/* td_log(TD_LOG_INFO, "tenant created", "slug", "acme", "id", id, NULL) */
void td_log(td_log_level lvl, const char *msg, ...) __attribute__((sentinel));
/* True when a field of this name must never be logged in clear. */
int td_log_key_is_secret(const char *key);

#endif
