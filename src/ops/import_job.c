/* import_job.c — `tenantd import` as a job of the catalog's queue
 * (tenants.import; SPEC §8 "Jobs"): the payload is the run's options, each
 * tenant done a recorded step (done of total, a message, the counts so far
 * as the checkpoint). A worker killed in the middle leaves the job to the
 * next worker, which runs the import again: tenants already imported are
 * read, found equal and left alone, so only what was not done is written. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/import.h"

#define KIND "tenants.import"
#define ATTEMPTS 3 /* a killed worker's job is claimed again */

/* 1 when a PostgreSQL URL carries a password (user:password@ or a
 * password= parameter). */
static int url_has_password(const char *url) {
    const char *p = strstr(url, "://"), *at = p ? strchr(p + 3, '@') : NULL;
    const char *colon = p ? strchr(p + 3, ':') : NULL;
    return (at && colon && colon < at) || strstr(url, "password=") != NULL;
}

static json_t *opts_json(const td_import_opts_t *o) {
    return json_pack("{s:s, s:s, s:s, s:s?}", "from", o->from, "tenant_column", o->tenant_column,
                     "service", o->service, "map", o->map_file);
}

td_status td_op_import_async(td_op_t *op, const td_import_opts_t *o, td_job_row_t *job) {
    td_import_result_t probe;
    td_import_opts_t dry = *o;
    if (td_db_url_is_postgres(o->from) && url_has_password(o->from))
        return td_op_fail(op, TD_E_INVALID, 400, "import_secret_in_url",
                          "a job's options are kept in the catalog: give the source's password "
                          "through PGPASSFILE, not in --from");
    dry.dry_run = 1; /* bad input answers now, not in the job */
    if (td_op_import(op, &dry, NULL, NULL, &probe))
        return op->err.st;
    return td_jobs_enqueue_json(op, KIND, NULL, opts_json(o), ATTEMPTS, job);
}

typedef struct {
    td_op_t *op;
    td_job_t *job;
    int64_t rows, mismatches;
    const char *slug;
} job_ctx_t;

/* Per line: the counts; per tenant: a recorded step. */
static td_status job_tick(void *ctx, const td_import_line_t *l, int done, int total) {
    job_ctx_t *c = ctx;
    if (l) {
        c->rows += l->source_rows;
        c->mismatches += !l->match;
        c->slug = l->slug;
        return TD_OK;
    }
    char msg[200], cp[120];
    snprintf(msg, sizeof(msg), "%d of %d tenants (last %.64s), %lld rows", done, total,
             c->slug ? c->slug : "", (long long)c->rows);
    snprintf(cp, sizeof(cp), "{\"rows\":%lld,\"mismatches\":%lld}", (long long)c->rows,
             (long long)c->mismatches);
    return td_job_progress(c->op, c->job, done, done, total, msg, cp);
}

td_status td_op_import_job(td_op_t *op, td_job_t *job) {
    const td_job_row_t *row = td_job_row(job);
    json_t *p = json_loads(row->payload ? row->payload : "{}", 0, NULL);
    td_import_opts_t o = {0};
    const char *v[4] = {NULL};
    static const char *const keys[] = {"from", "tenant_column", "service", "map"};
    for (int i = 0; i < 4; i++) {
        const char *s = json_string_value(json_object_get(p, keys[i]));
        v[i] = s ? td_arena_strdup(op->arena, s) : NULL;
    }
    json_decref(p);
    o = (td_import_opts_t){.from = v[0], .tenant_column = v[1], .service = v[2], .map_file = v[3]};
    if (!o.from || !o.tenant_column || !o.service)
        return td_op_fail(op, TD_E_INVALID, 400, "invalid_payload",
                          KIND " needs {\"from\", \"tenant_column\", \"service\", \"map\"?}");
    job_ctx_t c = {op, job, 0, 0, NULL};
    td_import_result_t res;
    td_status st = td_op_import(op, &o, job_tick, &c, &res);
    if (!st && res.mismatches)
        st = td_op_fail(op, TD_E_CONFLICT, 409, "import_mismatch",
                        "%d tables do not match after the import", res.mismatches);
    return st;
}
