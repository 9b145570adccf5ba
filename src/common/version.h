/* version.h — the binary's version, commit and linked library versions. */
#ifndef TD_VERSION_H
#define TD_VERSION_H

#include <stddef.h>

typedef struct {
    const char *name, *version;
} td_library_version_t;

/* The git commit built ("0123456789ab", "…-dirty", or "unknown"). */
const char *td_version_commit(void);
/* Fills out with up to max libraries and their run-time versions; returns
 * how many. The strings are static. */
size_t td_version_libraries(td_library_version_t *out, size_t max);

#endif
