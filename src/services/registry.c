/* registry.c — the service modules: built-in ones from the embedded table,
 * operators' ones from TENANTD_SERVICES_DIR.
 *
 * Built-in services are built once, lazily and thread-safely
 * (pthread_once), from td_embedded_sql: every scope other than "catalog" is
 * a service; its "decl" entry is its service.json. Operators' services are
 * added by td_services_load, which the program calls once at start, before
 * any thread reads the registry; after that the registry is read-only.
 *
 * Every service's first migration gets the service's outbox table appended
 * (its DDL per dialect from store/: td_store_outbox_ddl), so that writes can record their outbox row in the same
 * file (SQLite) or schema (PostgreSQL) as the row itself. */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/embed.h"
#include "services/services.h"

#define MIGS_PER_SERVICE 64

typedef struct {
    const char *name;
    td_migration_t migs[2][MIGS_PER_SERVICE]; /* [0] sqlite, [1] postgres */
    size_t n[2];
    td_service_decl_t *decl;
    int external;
} service_t;

static service_t g_svcs[TD_SERVICES_MAX];
static const char *g_names[TD_SERVICES_MAX];
static size_t g_n;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static char g_build_err[256];

static service_t *find(const char *name) {
    for (size_t i = 0; i < g_n; i++)
        if (strcmp(g_svcs[i].name, name) == 0)
            return &g_svcs[i];
    return NULL;
}

static void sort_and_name(void) {
    for (size_t i = 1; i < g_n; i++) /* by name: a handful of entries */
        for (size_t j = i; j > 0 && strcmp(g_svcs[j - 1].name, g_svcs[j].name) > 0; j--) {
            service_t t = g_svcs[j];
            g_svcs[j] = g_svcs[j - 1];
            g_svcs[j - 1] = t;
        }
    for (size_t i = 0; i < g_n; i++)
        g_names[i] = g_svcs[i].name;
}

/* Appends the outbox table to the first migration of each dialect. */
static int add_outbox(service_t *s) {
    for (int d = 0; d < 2; d++) {
        if (!s->n[d] || s->migs[d][0].version != 1)
            continue;
        const char *base = s->migs[d][0].sql;
        size_t len = strlen(base) + td_store_outbox_ddl_max();
        char *sql = malloc(len);
        if (!sql)
            return -1;
        int k = snprintf(sql, len, "%s", base);
        if (td_store_outbox_ddl(d ? "postgres" : "sqlite", s->name, sql + k, len - (size_t)k)) {
            free(sql);
            return -1;
        }
        if (s->external)
            free((char *)base); /* read from a file by load_migrations */
        s->migs[d][0].sql = sql; /* lives as long as the process */
    }
    return 0;
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
        if (s && !strcmp(e->dialect, "decl")) {
            char err[200];
            if (td_decl_parse(e->sql, s->name, &s->decl, err, sizeof(err)) && !g_build_err[0])
                snprintf(g_build_err, sizeof(g_build_err), "built-in service %s: %s", s->name,
                         err);
            continue;
        }
        int d = strcmp(e->dialect, "postgres") == 0;
        if (s && s->n[d] < MIGS_PER_SERVICE)
            s->migs[d][s->n[d]++] = (td_migration_t){e->scope, e->version, e->name, e->sql};
    }
    for (size_t i = 0; i < g_n; i++)
        if (add_outbox(&g_svcs[i]) && !g_build_err[0])
            snprintf(g_build_err, sizeof(g_build_err), "out of memory");
    sort_and_name();
}

/* The whole file as a string, or NULL (unreadable, or larger than max). */
static char *slurp(const char *path, size_t max) {
    FILE *f = fopen(path, "rb");
    struct stat sb;
    if (!f)
        return NULL;
    char *buf = NULL;
    if (fstat(fileno(f), &sb) == 0 && sb.st_size >= 0 && (size_t)sb.st_size <= max &&
        (buf = malloc((size_t)sb.st_size + 1))) {
        size_t n = fread(buf, 1, (size_t)sb.st_size, f);
        buf[n] = '\0';
    }
    fclose(f);
    return buf;
}

static int name_cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads dir/<name>/migrations/<dialect>/NNNN_*.sql into s (versions 1, 2, 3…
 * without gaps). */
static td_status load_migrations(const char *dir, service_t *s, int d, char *err, size_t errlen) {
    static const char *const dialects[] = {"sqlite", "postgres"};
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s/migrations/%s", dir, s->name, dialects[d]);
    DIR *dh = opendir(path);
    if (!dh)
        return TD_OK; /* this dialect is not offered */
    char *names[MIGS_PER_SERVICE];
    size_t n = 0;
    td_status st = TD_OK;
    struct dirent *de;
    while ((de = readdir(dh))) {
        size_t l = strlen(de->d_name);
        if (de->d_name[0] == '.' || l < 5 || strcmp(de->d_name + l - 4, ".sql"))
            continue;
        if (n == MIGS_PER_SERVICE) {
            snprintf(err, errlen, "%s: more than %d migrations", path, MIGS_PER_SERVICE);
            st = TD_E_INVALID;
            break;
        }
        names[n++] = strdup(de->d_name);
    }
    closedir(dh);
    qsort(names, n, sizeof(char *), name_cmp);
    for (size_t i = 0; i < n; i++) {
        char *end;
        long v = names[i] ? strtol(names[i], &end, 10) : 0;
        if (!st && (v != (long)i + 1 || *end != '_')) {
            snprintf(err, errlen, "%s/%s: migrations are numbered NNNN_name.sql from 0001 "
                                  "without gaps", path, names[i] ? names[i] : "?");
            st = TD_E_INVALID;
        }
        char file[4400];
        snprintf(file, sizeof(file), "%s/%s", path, names[i] ? names[i] : "");
        char *sql = st ? NULL : slurp(file, 4 << 20);
        if (!st && !sql) {
            snprintf(err, errlen, "%s: cannot read (or larger than 4 MiB)", file);
            st = TD_E_IO;
        }
        if (!st)
            s->migs[d][s->n[d]++] = (td_migration_t){s->name, (int)v, names[i], sql};
        else
            free(names[i]);
    }
    return st;
}

td_status td_services_load(const char *dir, char *err, size_t errlen) {
    pthread_once(&g_once, build);
    if (g_build_err[0]) {
        snprintf(err, errlen, "%s", g_build_err);
        return TD_E_INTERNAL;
    }
    static int loaded; /* a second call (tests open platforms repeatedly) adds nothing */
    if (!dir || !*dir || loaded)
        return TD_OK;
    loaded = 1;
    DIR *dh = opendir(dir);
    if (!dh) {
        snprintf(err, errlen, "services folder %s: %s", dir, strerror(errno));
        return TD_E_IO;
    }
    td_status st = TD_OK;
    struct dirent *de;
    while (!st && (de = readdir(dh))) {
        char path[4400];
        struct stat sb;
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s/service.json", dir, de->d_name);
        if (stat(path, &sb) != 0)
            continue; /* not a service folder */
        if (find(de->d_name)) {
            snprintf(err, errlen, "%s: a service called %s exists already", path, de->d_name);
            st = TD_E_INVALID;
            break;
        }
        if (g_n == TD_SERVICES_MAX) {
            snprintf(err, errlen, "%s: at most %d services", path, TD_SERVICES_MAX);
            st = TD_E_INVALID;
            break;
        }
        char *text = slurp(path, 1 << 20);
        if (!text) {
            snprintf(err, errlen, "%s: cannot read (or larger than 1 MiB)", path);
            st = TD_E_IO;
            break;
        }
        service_t s = {.external = 1};
        char why[300];
        st = td_decl_parse(text, de->d_name, &s.decl, why, sizeof(why));
        free(text);
        if (st) {
            snprintf(err, errlen, "%s: %s", path, why);
            break;
        }
        s.name = s.decl->name;
        for (int d = 0; !st && d < 2; d++)
            st = load_migrations(dir, &s, d, err, errlen);
        if (!st && !s.n[0] && !s.n[1]) {
            snprintf(err, errlen, "%s/%s: no migrations/sqlite or migrations/postgres files", dir,
                     s.name);
            st = TD_E_INVALID;
        }
        if (!st && add_outbox(&s))
            st = TD_E_NOMEM;
        if (st) {
            td_decl_free(s.decl);
            break;
        }
        g_svcs[g_n++] = s;
    }
    closedir(dh);
    sort_and_name();
    return st;
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

const td_service_decl_t *td_service_decl(const char *name) {
    pthread_once(&g_once, build);
    service_t *s = name ? find(name) : NULL;
    return s ? s->decl : NULL;
}

const td_resource_t *td_service_resource(const char *service, const char *resource) {
    return td_decl_resource(td_service_decl(service), resource);
}
