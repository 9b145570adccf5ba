/* backup.h — one tenant's data in one file: the backup format
 * (backup_file.c, docs/backups.md), taking a backup and restoring one
 * (backup.c), and the operations HTTP, the CLI and jobs share
 * (backup_ops.c).
 *
 * A backup file is a plaintext header (magic, format version, a JSON
 * object: tenant id, services and schema versions, created at, row
 * counts) followed by the rows of every service table as a
 * backend-neutral stream (store/rowstream.h), compressed with zstd and
 * sealed in XChaCha20-Poly1305 secretstream chunks under a key derived
 * from the tenant's data key. Without that key — a deleted tenant's is
 * destroyed — the rows cannot be read. */
#ifndef TD_BACKUP_H
#define TD_BACKUP_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "catalog/catalog.h"
#include "ops/op.h"
#include "secrets/secrets.h"

#define TD_BACKUP_MAGIC "TDBACKUP"
#define TD_BACKUP_FORMAT 1

/* ---- the file (backup_file.c) ---- */
typedef struct td_bk_writer td_bk_writer_t;
typedef struct td_bk_reader td_bk_reader_t;

/* Starts path + ".part" with the header (a JSON object's text) and the
 * stream sealed under a key derived from tk. */
td_status td_bk_writer_open(const char *path, const td_key_t *tk, const char *header,
                            td_bk_writer_t **out);
/* Appends bytes of the row stream. */
td_status td_bk_put(td_bk_writer_t *w, const void *p, size_t n);
/* commit = 1: seals the end, syncs and renames the file into place;
 * *size and checksum (BLAKE2b-256 of the file, hex) describe it. commit =
 * 0 (or any failure): removes the partial file. Frees w. */
td_status td_bk_writer_close(td_bk_writer_t *w, int commit, int64_t *size, char checksum[65]);

/* The header of the file at path, without any key: TD_E_INVALID when it
 * is not a backup file (err says why), TD_E_NOTFOUND when it is missing.
 * *header is a new reference. */
td_status td_bk_read_header(const char *path, json_t **header, char *err, size_t errlen);
/* Opens the stream with the tenant key tk. */
td_status td_bk_reader_open(const char *path, const td_key_t *tk, td_bk_reader_t **out,
                            char *err, size_t errlen);
/* Exactly n bytes of the row stream: TD_E_CRYPTO when a chunk fails to
 * authenticate (altered, or another key), TD_E_INVALID when the stream
 * ends early or does not decompress. */
td_status td_bk_get(td_bk_reader_t *r, void *dst, size_t n);
/* The BLAKE2b-256 of every byte td_bk_get gave so far. */
void td_bk_reader_digest(td_bk_reader_t *r, unsigned char out[32]);
/* TD_OK when the stream was read to its sealed end and nothing follows. */
td_status td_bk_reader_end(td_bk_reader_t *r);
void td_bk_reader_close(td_bk_reader_t *r);
/* BLAKE2b-256 of a file, hex. */
td_status td_bk_file_checksum(const char *path, char out[65], int64_t *size);

/* ---- taking and restoring (backup.c) ---- */
/* Progress: rows done of total (a callback may stop the work by
 * returning non-zero: the job lost its lease). */
typedef td_status (*td_bk_progress_fn)(void *ctx, int64_t done, int64_t total, const char *what);

typedef struct {
    int64_t rows, size;
    char checksum[65];
    const char *created_at; /* arena-owned */
} td_bk_result_t;

/* Writes a consistent backup of tenant t to path (all its services read
 * in one snapshot, while writes go on). Fills op->err on failure. */
td_status td_backup_take(td_op_t *op, const td_tenant_t *t, const char *path,
                         td_bk_progress_fn fn, void *ctx, td_bk_result_t *out);
/* Restores the backup at path into tenant t (its own, or a clone made
 * for it): the rows go to new databases beside the tenant's, which are
 * swapped in only when every row is in, so a failed restore leaves t as
 * it was. tag names the staging place (a job id): a restore resumed with
 * the same tag finds its swap done or not. */
td_status td_backup_restore_into(td_op_t *op, const char *path, const td_tenant_t *t,
                                 const char *tag, td_bk_progress_fn fn, void *ctx,
                                 int64_t *rows);
/* The tenant key that opens the backup of tenant_id: 409 backup_unreadable
 * when the tenant was deleted (its key destroyed). */
td_status td_backup_tenant_key(td_op_t *op, const char *tenant_id, td_key_t *out);

#endif
