/* console.h — the admin console's files, compiled into the binary by
 * cmake/embed_files.cmake from src/console/ (the table is generated). */
#ifndef TD_API_CONSOLE_H
#define TD_API_CONSOLE_H

#include <stddef.h>

typedef struct {
    const char *name;          /* "app.js": the path under /console/ */
    const char *content_type;  /* from the name's extension */
    const unsigned char *data; /* static, NUL-terminated after len bytes */
    size_t len;
    const char *etag;          /* strong: "\"<128 bits of the file's SHA-256>\"" */
} td_console_asset_t;

extern const td_console_asset_t td_console_assets[];
extern const size_t td_console_asset_count;

/* The asset of that exact name, or NULL. */
const td_console_asset_t *td_console_asset(const char *name);

#endif
