/* backups.c — a tenant's backups over HTTP (superadmins):
 * GET /v1/tenants/{tenant}/backups (list: size, checksum, age),
 * POST /v1/tenants/{tenant}/backups (202: the backup is recorded and a
 * tenant.backup job takes it), POST …/backups/{id}/restore (202: a
 * tenant.restore job; body {"as": slug} clones), GET …/backups/{id}/download
 * (the file). Thin: parse → operation (ops/backups.h) → render. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "ops/backups.h"

/* Files served whole from memory: larger ones need a streamed answer,
 * which the HTTP layer does not have yet (413 backup_too_large). */
#define DOWNLOAD_MAX ((size_t)48 << 20)

void td_api_backup_list(td_req_t *req, void *app) {
    td_op_t op = td_api_op(req, app);
    td_tenant_t t;
    td_backup_row_t *rows;
    size_t n;
    if (td_op_backup_list(&op, req->params[0], &t, &rows, &n)) {
        td_api_op_fail(req, &op);
        return;
    }
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, td_backup_json(&rows[i]));
    td_api_send_json(req, 200, json_pack("{s:o}", "items", items));
}

void td_api_backup_create(td_req_t *req, void *app) {
    td_op_t op = td_api_op(req, app);
    td_backup_row_t row;
    td_job_row_t job;
    if (td_op_backup_queue(&op, req->params[0], &row, &job)) {
        td_api_op_fail(req, &op);
        return;
    }
    td_api_send_json(req, 202, json_pack("{s:o, s:o}", "backup", td_backup_json(&row), "job",
                                         td_job_json(&job)));
}

void td_api_backup_restore(td_req_t *req, void *app) {
    static const char *const fields[] = {"as", NULL};
    td_op_t op = td_api_op(req, app);
    json_t *body = NULL;
    const char *as = NULL;
    if (req->body_len) {
        if (td_api_json_body(req, &body) || !td_api_only_fields(req, body, fields))
            return;
        json_t *v = json_object_get(body, "as");
        if (v && !json_is_string(v)) {
            td_resp_problem(req, 400, "invalid_request", "Invalid request", "as is a slug");
            return;
        }
        as = json_string_value(v); /* the body lives as long as the request */
    }
    td_job_row_t job;
    if (td_op_backup_restore_queue(&op, req->params[0], req->params[1], as, &job))
        td_api_op_fail(req, &op);
    else
        td_api_send_json(req, 202, json_pack("{s:o}", "job", td_job_json(&job)));
}

void td_api_backup_download(td_req_t *req, void *app) {
    td_op_t op = td_api_op(req, app);
    td_backup_row_t row;
    const char *path;
    if (td_op_backup_get(&op, req->params[0], req->params[1], &row, &path)) {
        td_api_op_fail(req, &op);
        return;
    }
    if (strcmp(row.status, "ready")) {
        td_resp_problem(req, 409, "invalid_state", "Invalid state", "the backup is not ready");
        return;
    }
    if ((size_t)row.size > DOWNLOAD_MAX) {
        td_resp_problem(req, 413, "backup_too_large", "Backup too large",
                        "this backup is too large to download over HTTP; copy it from the "
                        "data folder's backups/");
        return;
    }
    FILE *f = fopen(path, "rb");
    char *buf = f ? malloc((size_t)row.size + 1) : NULL;
    size_t n = buf ? fread(buf, 1, (size_t)row.size + 1, f) : 0;
    if (f)
        fclose(f);
    if (!buf || n != (size_t)row.size) {
        free(buf);
        td_resp_problem(req, 503, "backup_unavailable", "Backup unavailable",
                        "the backup file cannot be read");
        return;
    }
    char disp[120];
    snprintf(disp, sizeof(disp), "attachment; filename=\"%s.tdbackup\"", row.id);
    td_resp_header(req, "Content-Disposition", disp);
    td_resp_header(req, "X-Checksum-Blake2b", row.checksum ? row.checksum : "");
    td_resp_bytes(req, 200, "application/octet-stream", buf, n);
    free(buf);
}
