/* media.c — cms: the bytes of media rows.
 *
 * A media row (filename, content_type, …) is created through the engine;
 * its bytes follow with PUT …/content. SQLite tenants keep them as files
 * named by content, <tenant folder>/media/<id>.<sha256> (written to a
 * temporary name, fsynced, renamed, the folder fsynced: a file is whole or
 * absent). A new upload writes its file beside the old one, the row then
 * names the new hash in the same commit as its outbox row, and only after
 * that commit is the old file removed: a failure or crash at any point
 * leaves the row pointing at complete bytes (at worst an orphan file).
 * PostgreSQL tenants keep the bytes in cms.media_content, in the
 * transaction itself. The declared type must be one we serve
 * and, for images and PDF, the bytes must carry its signature: a file
 * called .png that is really HTML is refused. */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/id.h"
#include "services/modules.h"
#include "services/query.h"
#include "services/services.h"

static const struct {
    const char *type;
    const char *magic; /* NULL: no signature checked */
    size_t len, at;
} k_types[] = {
    {"image/png", "\x89PNG\r\n\x1a\n", 8, 0},
    {"image/jpeg", "\xff\xd8\xff", 3, 0},
    {"image/gif", "GIF8", 4, 0},
    {"image/webp", "WEBP", 4, 8},
    {"application/pdf", "%PDF-", 5, 0},
    {"text/plain", NULL, 0, 0},
    {"text/markdown", NULL, 0, 0},
    {"text/csv", NULL, 0, 0},
    {"application/json", NULL, 0, 0},
    {"audio/mpeg", NULL, 0, 0},
    {"video/mp4", NULL, 0, 0},
};

/* The bare media type of a Content-Type header ("text/plain; charset=…"). */
static int same_type(const char *header, const char *declared) {
    size_t n = strcspn(header, "; \t");
    return strlen(declared) == n && strncasecmp(header, declared, n) == 0;
}

static td_status check_bytes(const char *type, const unsigned char *p, size_t len,
                             td_res_err_t *e) {
    for (size_t i = 0; i < sizeof(k_types) / sizeof(k_types[0]); i++) {
        if (strcasecmp(k_types[i].type, type))
            continue;
        if (k_types[i].magic && (len < k_types[i].at + k_types[i].len ||
                                 memcmp(p + k_types[i].at, k_types[i].magic, k_types[i].len)))
            return td_res_fail(e, TD_E_INVALID, "unsupported_media_type",
                               "the bytes are not %s", type);
        return TD_OK;
    }
    return td_res_fail(e, TD_E_INVALID, "unsupported_media_type",
                       "%s is not a type the cms stores", type);
}

/* <dir>/media/<id>.<sha256><suffix> */
static void media_path(const char *dir, const char *id, const char *sha, char *out, size_t n,
                       const char *suffix) {
    snprintf(out, n, "%s/media/%s.%s%s", dir, id, sha, suffix);
}

static int sha_ok(const char *sha) {
    if (!sha || strlen(sha) != 64)
        return 0;
    for (const char *p = sha; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return 0;
    return 1;
}

static int fsync_dir(const char *path) {
    int fd = open(path, O_RDONLY | O_DIRECTORY);
    int rc = fd < 0 ? -1 : fsync(fd);
    if (fd >= 0)
        close(fd);
    return rc;
}

/* Writes the file whole or not at all. */
static td_status write_file(const char *dir, const char *id, const char *sha, const void *p,
                            size_t len) {
    char folder[4200], tmp[4300], path[4300];
    snprintf(folder, sizeof(folder), "%s/media", dir);
    if (mkdir(folder, 0700) && errno != EEXIST)
        return TD_E_IO;
    media_path(dir, id, sha, tmp, sizeof(tmp), ".tmp");
    media_path(dir, id, sha, path, sizeof(path), "");
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return TD_E_IO;
    const char *c = p;
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, c + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    int ok = off == len && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp, path) || fsync_dir(folder)) {
        unlink(tmp);
        return TD_E_IO;
    }
    return TD_OK;
}

typedef struct {
    const char *id, *type;
    const void *bytes;
    size_t len, max;
    json_t **row;
    char sha[65];     /* of the new bytes */
    char old_sha[65]; /* of the bytes the row named before ("" when none) */
    int wrote;        /* a new file was written */
} put_t;

/* Checks the bytes against the media row (its declared type, the size
 * cap, the type's signature) and notes the row's hash, and theirs (hashed
 * once: the check runs again inside the transaction). */
static td_status check_put(put_t *a, json_t *row, td_res_err_t *e) {
    const char *declared = json_string_value(json_object_get(row, "content_type"));
    if (!a->type || !declared || !same_type(a->type, declared))
        return td_res_fail(e, TD_E_INVALID, "unsupported_media_type",
                           "send the bytes with the row's content_type (%s)",
                           declared ? declared : "?");
    if (a->len > a->max)
        return td_res_fail(e, TD_E_TOOBIG, "payload_too_large", "media are at most %zu bytes",
                           a->max);
    td_status rc = check_bytes(declared, a->bytes, a->len, e);
    if (rc)
        return rc;
    if (!a->sha[0]) {
        unsigned char h[crypto_hash_sha256_BYTES];
        crypto_hash_sha256(h, a->bytes, a->len);
        sodium_bin2hex(a->sha, sizeof(a->sha), h, sizeof(h));
    }
    const char *was = json_string_value(json_object_get(row, "sha256"));
    snprintf(a->old_sha, sizeof(a->old_sha), "%s", sha_ok(was) ? was : "");
    return TD_OK;
}

/* In the transaction: the row, checked again (its type may have changed
 * since the file was written), the bytes (PostgreSQL), the row's new hash. */
static td_status put(const td_res_ctx_t *c, void *arg, td_res_err_t *e) {
    put_t *a = arg;
    const td_resource_t *r = td_service_resource("cms", "media");
    json_t *old = NULL;
    td_status rc = r ? td_res_read_locked(c, r, a->id, &old, e) : TD_E_NOTFOUND;
    if (!rc)
        rc = check_put(a, old, e);
    if (!rc && c->files_dir && !a->wrote && strcmp(a->sha, a->old_sha))
        /* the file was not written (the row named these bytes then), and a
         * concurrent upload has replaced them since */
        rc = td_res_fail(e, TD_E_CONFLICT, "conflict", "the media changed meanwhile; retry");
    if (!rc && !c->files_dir) {
        td_query_t q;
        td_query_init(&q, c->arena);
        td_query_sql(&q, "DELETE FROM \"cms\".\"media_content\" WHERE \"media_id\" = ");
        td_query_text(&q, a->id);
        rc = td_query_exec(&q, c->db, NULL);
        td_query_free(&q);
        td_stmt_t *st;
        if (!rc && !(rc = td_db_prepare(c->db,
                                        "INSERT INTO cms.media_content (media_id, bytes)"
                                        " VALUES (?, ?)", &st))) {
            td_db_bind_text(st, 1, a->id);
            td_db_bind_blob(st, 2, a->bytes, a->len);
            int s = td_db_step(st);
            rc = s == TD_DB_DONE ? TD_OK : (td_status)s;
            td_db_finalize(st);
        }
        if (rc)
            td_res_fail(e, rc, "database_error", "the bytes could not be stored");
    }
    if (!rc) {
        json_t *pb = json_pack("{s:I, s:s, s:s}", "size", (json_int_t)a->len, "sha256", a->sha,
                               "status", "stored");
        rc = td_res_patch(c, r, a->id, pb, TD_W_TRUSTED, NULL, a->row, e);
        json_decref(pb);
    }
    json_decref(old);
    return rc;
}

td_status td_cms_media_put(const td_res_ctx_t *c, const char *id, const char *content_type,
                           const void *bytes, size_t len, size_t max, json_t **row,
                           td_res_err_t *e) {
    *row = NULL;
    put_t a = {.id = id, .type = content_type, .bytes = bytes, .len = len, .max = max,
               .row = row};
    td_status rc = TD_OK;
    if (c->files_dir) { /* the file first, outside the transaction (no lock held meanwhile) */
        const td_resource_t *r = td_service_resource("cms", "media");
        json_t *cur = NULL;
        rc = r ? td_res_get(c, r, id, &cur, e) : TD_E_NOTFOUND;
        if (!rc)
            rc = check_put(&a, cur, e);
        json_decref(cur);
        if (!rc && strcmp(a.sha, a.old_sha)) {
            if ((rc = write_file(c->files_dir, id, a.sha, bytes, len)))
                td_res_fail(e, rc, "io_error", "the file could not be stored");
            a.wrote = !rc;
        }
    }
    if (!rc)
        rc = td_res_txn(c, put, &a, e);
    if (rc && *row) {
        json_decref(*row);
        *row = NULL;
    }
    char path[4300];
    if (rc && a.wrote) { /* drop the new file, unless a concurrent upload of the same
                            bytes committed and its row names it */
        const td_resource_t *r = td_service_resource("cms", "media");
        json_t *now = NULL;
        const char *named = NULL;
        if (r && !td_res_get(c, r, id, &now, NULL))
            named = json_string_value(json_object_get(now, "sha256"));
        if (!named || strcmp(named, a.sha)) {
            media_path(c->files_dir, id, a.sha, path, sizeof(path), "");
            unlink(path);
        }
        json_decref(now);
    } else if (!rc && c->files_dir && a.old_sha[0] && strcmp(a.old_sha, a.sha)) {
        media_path(c->files_dir, id, a.old_sha, path, sizeof(path), ""); /* committed */
        unlink(path);
    }
    return rc;
}

static td_status read_file(const char *dir, const char *id, const char *sha, void **bytes,
                           size_t *len) {
    char path[4300];
    if (!sha_ok(sha))
        return TD_E_NOTFOUND;
    media_path(dir, id, sha, path, sizeof(path), "");
    FILE *f = fopen(path, "rb");
    if (!f)
        return TD_E_NOTFOUND;
    struct stat sb;
    td_status rc = fstat(fileno(f), &sb) ? TD_E_IO : TD_OK;
    char *buf = rc ? NULL : malloc((size_t)sb.st_size + 1);
    if (!rc && (!buf || fread(buf, 1, (size_t)sb.st_size, f) != (size_t)sb.st_size))
        rc = TD_E_IO;
    fclose(f);
    if (rc) {
        free(buf);
        return rc;
    }
    *bytes = buf;
    *len = (size_t)sb.st_size;
    return TD_OK;
}

td_status td_cms_media_get(const td_res_ctx_t *c, const char *id, void **bytes, size_t *len,
                           const char **content_type, td_res_err_t *e) {
    const td_resource_t *r = td_service_resource("cms", "media");
    json_t *row = NULL;
    td_status rc = r ? td_res_get(c, r, id, &row, e) : TD_E_NOTFOUND;
    const char *status = json_string_value(json_object_get(row, "status"));
    if (!rc && (!status || strcmp(status, "stored")))
        rc = td_res_fail(e, TD_E_NOTFOUND, "not_found", "this media has no bytes yet");
    const char *sha = NULL;
    if (!rc) {
        *content_type = td_arena_strdup(c->arena,
                                        json_string_value(json_object_get(row, "content_type")));
        sha = td_arena_strdup(c->arena, json_string_value(json_object_get(row, "sha256")));
    }
    json_decref(row);
    if (rc)
        return rc;
    if (c->files_dir) {
        rc = read_file(c->files_dir, id, sha, bytes, len);
    } else {
        td_stmt_t *st;
        rc = td_db_query_row(c->db, "SELECT bytes FROM cms.media_content WHERE media_id = ?", id,
                             &st);
        if (!rc) {
            size_t n = 0;
            const void *p = td_db_column_blob(st, 0, &n);
            *bytes = malloc(n ? n : 1);
            if (*bytes && n)
                memcpy(*bytes, p, n);
            *len = n;
            rc = *bytes ? TD_OK : TD_E_NOMEM;
            td_db_finalize(st);
        }
    }
    return rc ? td_res_fail(e, rc, rc == TD_E_NOTFOUND ? "not_found" : "io_error",
                            "the bytes could not be read")
              : TD_OK;
}

void td_cms_media_forget(const td_res_ctx_t *c, json_t *row) {
    const char *id = json_string_value(json_object_get(row, "id"));
    const char *sha = json_string_value(json_object_get(row, "sha256"));
    char path[4300];
    if (!c->files_dir || !td_id_valid(id) || !sha_ok(sha))
        return;
    media_path(c->files_dir, id, sha, path, sizeof(path), "");
    unlink(path);
}

td_status td_cms_media_file_read(const char *dir, const char *id, const char *sha, void **bytes,
                                 size_t *len) {
    return read_file(dir, id, sha, bytes, len);
}

td_status td_cms_media_file_write(const char *dir, const char *id, const char *sha,
                                  const void *bytes, size_t len) {
    if (!sha_ok(sha) || !td_id_valid(id))
        return TD_E_INVALID;
    char path[4300];
    media_path(dir, id, sha, path, sizeof(path), "");
    return access(path, F_OK) == 0 ? TD_OK : write_file(dir, id, sha, bytes, len);
}
