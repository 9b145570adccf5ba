/* slug.c — the rules for tenant slugs and display names. */
#include <stdio.h>
#include <string.h>

#include "common/text.h"
#include "tenancy/tenancy.h"

/* Names that would collide with routes, hostnames or operator words. */
static const char *const reserved[] = {
    "admin", "administrator", "api",    "app",     "assets", "auth",    "billing",
    "cdn",   "console",       "dashboard", "default", "docs", "ftp",    "health",
    "help",  "imap",          "internal", "login",   "mail",   "metrics", "null",
    "pop",   "postgres",      "ready",   "root",    "smtp",   "static",  "status",
    "support", "system",      "tenant",  "tenantd", "tenants", "test",  "undefined",
    "v1",    "v2",            "www",     "www1",    "www2",
};

td_status td_slug_check(const char *slug, char *err, size_t errlen) {
    size_t n = slug ? strlen(slug) : 0;
    const char *why = NULL;
    if (n < 2 || n > 63)
        why = "must be 2 to 63 characters long";
    else if (!(slug[0] >= 'a' && slug[0] <= 'z'))
        why = "must start with a lowercase letter";
    else if (slug[n - 1] == '-')
        why = "must not end with a dash";
    else if (strstr(slug, "--"))
        why = "must not contain two dashes in a row";
    for (size_t i = 0; !why && i < n; i++) {
        char c = slug[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            why = "may contain only lowercase letters, digits and dashes";
    }
    for (size_t i = 0; !why && i < sizeof(reserved) / sizeof(reserved[0]); i++)
        if (strcmp(slug, reserved[i]) == 0)
            why = "is a reserved word";
    if (!why)
        return TD_OK;
    /* Never echo the raw input: it may hold control characters. */
    snprintf(err, errlen, "invalid slug: %s (pattern ^[a-z][a-z0-9-]{1,62}$)", why);
    return TD_E_INVALID;
}

td_status td_name_check(const char *name, char *err, size_t errlen) {
    size_t n = name ? strlen(name) : 0;
    if (n < 1 || n > 200) {
        snprintf(err, errlen, "invalid name: must be 1 to 200 bytes");
        return TD_E_INVALID;
    }
    if (!td_text_printable_utf8(name)) {
        snprintf(err, errlen, "invalid name: must be UTF-8 text without control characters");
        return TD_E_INVALID;
    }
    return TD_OK;
}
