/* registry.c — service modules from the embedded migration table.
 *
 * Built once, lazily and thread-safely (pthread_once), from
 * td_embedded_sql: every scope other than "catalog" is a service. The
 * embedded table is sorted by path, so each service's migrations arrive in
 * version order per dialect. */
#include <pthread.h>
#include <string.h>

#include "common/embed.h"
#include "services/services.h"

#define MIGS_PER_SERVICE 64

typedef struct {
    const char *name;
    td_migration_t migs[2][MIGS_PER_SERVICE]; /* [0] sqlite, [1] postgres */
    size_t n[2];
} service_t;

static service_t g_svcs[TD_SERVICES_MAX];
static const char *g_names[TD_SERVICES_MAX];
static size_t g_n;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static service_t *find(const char *name) {
    for (size_t i = 0; i < g_n; i++)
        if (strcmp(g_svcs[i].name, name) == 0)
            return &g_svcs[i];
    return NULL;
}

static void build(void) {
    for (size_t i = 0; i < td_embedded_sql_count; i++) {
        const td_embedded_sql_t *e = &td_embedded_sql[i];
        if (strcmp(e->scope, "catalog") == 0)
            continue;
        service_t *s = find(e->scope);
        if (!s && g_n < TD_SERVICES_MAX) {
            s = &g_svcs[g_n++];
            s->name = e->scope;
        }
        int d = strcmp(e->dialect, "postgres") == 0;
        if (s && s->n[d] < MIGS_PER_SERVICE)
            s->migs[d][s->n[d]++] = (td_migration_t){e->scope, e->version, e->name, e->sql};
    }
    for (size_t i = 1; i < g_n; i++) /* sort by name: a handful of entries */
        for (size_t j = i; j > 0 && strcmp(g_svcs[j - 1].name, g_svcs[j].name) > 0; j--) {
            service_t t = g_svcs[j];
            g_svcs[j] = g_svcs[j - 1];
            g_svcs[j - 1] = t;
        }
    for (size_t i = 0; i < g_n; i++)
        g_names[i] = g_svcs[i].name;
}

const char *const *td_services_names(size_t *n) {
    pthread_once(&g_once, build);
    *n = g_n;
    return g_names;
}

int td_service_known(const char *name) {
    pthread_once(&g_once, build);
    return name && find(name) != NULL;
}

td_status td_service_schema(const char *name, const char *dialect, td_schema_t *out) {
    pthread_once(&g_once, build);
    service_t *s = name ? find(name) : NULL;
    int d = strcmp(dialect, "postgres") == 0;
    if (!s || !s->n[d])
        return TD_E_NOTFOUND;
    out->name = s->name;
    out->migs = s->migs[d];
    out->n = s->n[d];
    return TD_OK;
}

int td_service_latest_version(const char *name, const char *dialect) {
    td_schema_t s;
    return td_service_schema(name, dialect, &s) ? 0 : s.migs[s.n - 1].version;
}
