/* backup_file.c — the backup file format (docs/backups.md).
 *
 *   "TDBACKUP" | u32 format (1) | u32 n | n bytes of header JSON
 *   | secretstream header (24 bytes)
 *   | chunks: u32 n | n bytes sealed (XChaCha20-Poly1305 secretstream)
 *
 * Integers are big-endian. The chunks' plaintext is the zstd-compressed
 * row stream; the first chunk authenticates the file's header as
 * associated data, the last carries the FINAL tag (a truncated file is
 * refused). The key is derived from the tenant's data key
 * (crypto_kdf, context "tdbackup", subkey 1), so a backup is readable
 * only while the tenant's key exists. */
#include "tenancy/backup.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#define CHUNK (1u << 20)            /* compressed bytes sealed per chunk */
#define HEADER_MAX (1u << 20)       /* a header JSON of at most 1 MiB */
#define SS_ABYTES_PAD crypto_secretstream_xchacha20poly1305_ABYTES
#define SS_HEADERBYTES_PAD crypto_secretstream_xchacha20poly1305_HEADERBYTES

struct td_bk_writer {
    FILE *f;
    char *path, *part;
    crypto_secretstream_xchacha20poly1305_state ss;
    crypto_generichash_state file_hash;
    unsigned char *ad; /* the file header, sealed with the first chunk */
    size_t adlen;
    ZSTD_CCtx *z;
    unsigned char *in, *out;
    size_t inlen, outlen, outcap;
    int64_t size;
    int failed;
};

static void derive(const td_key_t *tk, unsigned char k[32]) {
    crypto_kdf_derive_from_key(k, 32, 1, "tdbackup", tk->k);
}

static void put_u32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8), p[3] = (unsigned char)v;
}

static uint32_t get_u32(const unsigned char *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static td_status write_raw(td_bk_writer_t *w, const void *p, size_t n) {
    if (fwrite(p, 1, n, w->f) != n)
        return TD_E_IO;
    crypto_generichash_update(&w->file_hash, p, n);
    w->size += (int64_t)n;
    return TD_OK;
}

/* Seals the first n compressed bytes of w->out as one chunk. */
static td_status seal_chunk(td_bk_writer_t *w, size_t n, int final) {
    unsigned char *ct = malloc(n + SS_ABYTES_PAD);
    unsigned long long clen = 0;
    if (!ct)
        return TD_E_NOMEM;
    crypto_secretstream_xchacha20poly1305_push(
        &w->ss, ct, &clen, w->out, n, w->ad, w->adlen,
        final ? crypto_secretstream_xchacha20poly1305_TAG_FINAL : 0);
    free(w->ad); /* only the first chunk carries it */
    w->ad = NULL, w->adlen = 0;
    unsigned char len[4];
    put_u32(len, (uint32_t)clen);
    td_status st = write_raw(w, len, 4);
    if (!st)
        st = write_raw(w, ct, (size_t)clen);
    free(ct);
    memmove(w->out, w->out + n, w->outlen - n);
    w->outlen -= n;
    return st;
}

/* Compresses what is in w->in (mode: continue or end) and seals every
 * full chunk of output. */
static td_status compress(td_bk_writer_t *w, ZSTD_EndDirective mode) {
    ZSTD_inBuffer in = {w->in, w->inlen, 0};
    td_status st = TD_OK;
    for (;;) {
        ZSTD_outBuffer out = {w->out, w->outcap, w->outlen};
        size_t left = ZSTD_compressStream2(w->z, &out, &in, mode);
        if (ZSTD_isError(left))
            return TD_E_INTERNAL;
        w->outlen = out.pos;
        while (!st && w->outlen >= CHUNK)
            st = seal_chunk(w, CHUNK, 0);
        if (st)
            return st;
        if (mode == ZSTD_e_end ? left == 0 : in.pos == in.size)
            break;
    }
    w->inlen = 0;
    return TD_OK;
}

td_status td_bk_writer_open(const char *path, const td_key_t *tk, const char *header,
                            td_bk_writer_t **out) {
    td_bk_writer_t *w = calloc(1, sizeof(*w));
    size_t hlen = strlen(header);
    td_status st = w && hlen <= HEADER_MAX ? TD_OK : w ? TD_E_TOOBIG : TD_E_NOMEM;
    if (!st) {
        w->path = strdup(path);
        w->part = malloc(strlen(path) + 6);
        w->in = malloc(CHUNK);
        w->outcap = 2 * CHUNK + ZSTD_CStreamOutSize();
        w->out = malloc(w->outcap);
        w->z = ZSTD_createCCtx();
        w->adlen = 16 + hlen;
        w->ad = malloc(w->adlen);
        if (!w->path || !w->part || !w->in || !w->out || !w->z || !w->ad)
            st = TD_E_NOMEM;
    }
    if (!st) {
        sprintf(w->part, "%s.part", path);
        ZSTD_CCtx_setParameter(w->z, ZSTD_c_compressionLevel, 1);
        memcpy(w->ad, TD_BACKUP_MAGIC, 8);
        put_u32(w->ad + 8, TD_BACKUP_FORMAT);
        put_u32(w->ad + 12, (uint32_t)hlen);
        memcpy(w->ad + 16, header, hlen);
        crypto_generichash_init(&w->file_hash, NULL, 0, 32);
        int fd = open(w->part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0 || !(w->f = fdopen(fd, "wb"))) {
            if (fd >= 0)
                close(fd);
            st = TD_E_IO;
        }
    }
    if (!st)
        st = write_raw(w, w->ad, w->adlen);
    if (!st) {
        unsigned char k[32], ssh[SS_HEADERBYTES_PAD];
        derive(tk, k);
        crypto_secretstream_xchacha20poly1305_init_push(&w->ss, ssh, k);
        sodium_memzero(k, sizeof(k));
        st = write_raw(w, ssh, crypto_secretstream_xchacha20poly1305_HEADERBYTES);
    }
    if (st && w) {
        int64_t sz;
        char cs[65];
        td_bk_writer_close(w, 0, &sz, cs);
        w = NULL;
    }
    *out = w;
    return st;
}

td_status td_bk_put(td_bk_writer_t *w, const void *p, size_t n) {
    const unsigned char *s = p;
    td_status st = w->failed ? TD_E_IO : TD_OK;
    while (!st && n) {
        size_t take = CHUNK - w->inlen < n ? CHUNK - w->inlen : n;
        memcpy(w->in + w->inlen, s, take);
        w->inlen += take, s += take, n -= take;
        if (w->inlen == CHUNK)
            st = compress(w, ZSTD_e_continue);
    }
    if (st)
        w->failed = 1;
    return st;
}

/* Flushes and syncs the file, then renames it into place (and syncs its
 * folder), so a crash leaves either no backup or a whole one. */
static td_status finish(td_bk_writer_t *w) {
    td_status st = compress(w, ZSTD_e_end);
    if (!st)
        st = seal_chunk(w, w->outlen, 1);
    if (!st && (fflush(w->f) || fsync(fileno(w->f))))
        st = TD_E_IO;
    if (!st && rename(w->part, w->path))
        st = TD_E_IO;
    if (!st) {
        char *dir = strdup(w->path), *slash = dir ? strrchr(dir, '/') : NULL;
        if (slash)
            *slash = '\0';
        int fd = dir ? open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
        if (fd >= 0) {
            fsync(fd);
            close(fd);
        }
        free(dir);
    }
    return st;
}

td_status td_bk_writer_close(td_bk_writer_t *w, int commit, int64_t *size, char checksum[65]) {
    if (!w)
        return TD_OK;
    td_status st = commit && !w->failed && w->f ? finish(w) : commit ? TD_E_IO : TD_OK;
    if (w->f)
        fclose(w->f);
    if (!commit || st)
        unlink(w->part);
    unsigned char h[32];
    crypto_generichash_final(&w->file_hash, h, sizeof(h));
    sodium_bin2hex(checksum, 65, h, sizeof(h));
    *size = w->size;
    ZSTD_freeCCtx(w->z);
    free(w->ad);
    free(w->in);
    free(w->out);
    free(w->path);
    free(w->part);
    sodium_memzero(&w->ss, sizeof(w->ss));
    free(w);
    return st;
}

/* ---- reading ---- */

#define AHEAD 4                /* blocks decoded ahead of the caller */
#define AHEAD_BLOCK (1u << 20) /* plaintext bytes a block */

typedef struct {
    unsigned char *p;
    size_t n;
    td_status st; /* the stream failed after these bytes */
    int eos;      /* the sealed end came after these bytes */
    td_status end_st; /* with eos: TD_OK when nothing follows it in the file */
    crypto_generichash_state h0; /* the digest of the stream before the block */
} ahead_t;

static void ahead_start(td_bk_reader_t *r);

struct td_bk_reader {
    FILE *f;
    crypto_secretstream_xchacha20poly1305_state ss;
    unsigned char *ad;
    size_t adlen;
    ZSTD_DCtx *z;
    unsigned char *ct, *cbuf, *plain;
    size_t clen, cpos;      /* decrypted compressed bytes, consumed */
    size_t plen, ppos;      /* decompressed bytes, consumed */
    int final;              /* the FINAL chunk was read */
    /* read-ahead: a thread reads, opens and decompresses the stream into
     * AHEAD blocks while the caller loads the rows it already has */
    pthread_t th;
    int threaded, stop;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    ahead_t blk[AHEAD];
    size_t head, count; /* the block read from (held while count > 0), filled */
    size_t pos;         /* read in blk[head] */
    int holding;        /* blk[head] is the caller's */
    crypto_generichash_state h; /* the digest of the bytes given (without the
                                   thread) or made into blocks (with it) */
};

/* Reads the file header: *hlen bytes of JSON into a malloc'd *json. */
static td_status read_file_header(FILE *f, unsigned char **ad, size_t *adlen, char *err,
                                  size_t errlen) {
    unsigned char fixed[16];
    if (fread(fixed, 1, 16, f) != 16 || memcmp(fixed, TD_BACKUP_MAGIC, 8)) {
        snprintf(err, errlen, "not a tenantd backup file");
        return TD_E_INVALID;
    }
    uint32_t ver = get_u32(fixed + 8), hlen = get_u32(fixed + 12);
    if (ver != TD_BACKUP_FORMAT || hlen > HEADER_MAX) {
        snprintf(err, errlen, "backup format %u is not one this version reads", ver);
        return TD_E_INVALID;
    }
    unsigned char *p = malloc(16 + (size_t)hlen + 1);
    if (!p)
        return TD_E_NOMEM;
    memcpy(p, fixed, 16);
    if (fread(p + 16, 1, hlen, f) != hlen) {
        free(p);
        snprintf(err, errlen, "the backup file is truncated");
        return TD_E_INVALID;
    }
    p[16 + hlen] = '\0';
    *ad = p;
    *adlen = 16 + hlen;
    return TD_OK;
}

td_status td_bk_read_header(const char *path, json_t **header, char *err, size_t errlen) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open the backup file: %s", strerror(errno));
        return errno == ENOENT ? TD_E_NOTFOUND : TD_E_IO;
    }
    unsigned char *ad = NULL;
    size_t adlen;
    td_status st = read_file_header(f, &ad, &adlen, err, errlen);
    fclose(f);
    json_t *j = st ? NULL : json_loads((const char *)ad + 16, JSON_REJECT_DUPLICATES, NULL);
    free(ad);
    if (!st && (!json_is_object(j) || !json_is_string(json_object_get(j, "tenant_id")))) {
        json_decref(j);
        j = NULL;
        snprintf(err, errlen, "the backup file's header is not valid");
        st = TD_E_INVALID;
    }
    *header = j;
    return st;
}

td_status td_bk_reader_open(const char *path, const td_key_t *tk, td_bk_reader_t **out,
                            char *err, size_t errlen) {
    td_bk_reader_t *r = calloc(1, sizeof(*r));
    td_status st = r ? TD_OK : TD_E_NOMEM;
    if (!st && !(r->f = fopen(path, "rb"))) {
        snprintf(err, errlen, "cannot open the backup file: %s", strerror(errno));
        st = errno == ENOENT ? TD_E_NOTFOUND : TD_E_IO;
    }
    if (!st)
        st = read_file_header(r->f, &r->ad, &r->adlen, err, errlen);
    if (!st) {
        r->z = ZSTD_createDCtx();
        r->ct = malloc(CHUNK + crypto_secretstream_xchacha20poly1305_ABYTES);
        r->cbuf = malloc(CHUNK);
        r->plain = malloc(ZSTD_DStreamOutSize());
        if (!r->z || !r->ct || !r->cbuf || !r->plain)
            st = TD_E_NOMEM;
    }
    unsigned char ssh[SS_HEADERBYTES_PAD], k[32];
    if (!st && fread(ssh, 1, crypto_secretstream_xchacha20poly1305_HEADERBYTES, r->f) !=
                   crypto_secretstream_xchacha20poly1305_HEADERBYTES) {
        snprintf(err, errlen, "the backup file is truncated");
        st = TD_E_INVALID;
    }
    if (!st) {
        derive(tk, k);
        if (crypto_secretstream_xchacha20poly1305_init_pull(&r->ss, ssh, k)) {
            snprintf(err, errlen, "the backup file's stream header is not valid");
            st = TD_E_INVALID;
        }
        sodium_memzero(k, sizeof(k));
    }
    if (!st) {
        crypto_generichash_init(&r->h, NULL, 0, 32);
        ahead_start(r);
    }
    if (st) {
        td_bk_reader_close(r);
        r = NULL;
    }
    *out = r;
    return st;
}

/* Reads and opens the next chunk into r->cbuf. */
static td_status next_chunk(td_bk_reader_t *r) {
    unsigned char len[4];
    if (r->final || fread(len, 1, 4, r->f) != 4)
        return TD_E_INVALID;
    uint32_t n = get_u32(len);
    if (n < crypto_secretstream_xchacha20poly1305_ABYTES ||
        n > CHUNK + crypto_secretstream_xchacha20poly1305_ABYTES || fread(r->ct, 1, n, r->f) != n)
        return TD_E_INVALID;
    unsigned long long plen;
    unsigned char tag;
    if (crypto_secretstream_xchacha20poly1305_pull(&r->ss, r->cbuf, &plen, &tag, r->ct, n, r->ad,
                                                   r->adlen))
        return TD_E_CRYPTO;
    free(r->ad);
    r->ad = NULL, r->adlen = 0;
    r->final = tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL;
    r->clen = (size_t)plen, r->cpos = 0;
    return TD_OK;
}

/* Decompresses more of the stream into r->plain. */
static td_status refill(td_bk_reader_t *r) {
    td_status st = TD_OK;
    r->plen = r->ppos = 0;
    while (!st && r->plen == 0) {
        if (r->cpos == r->clen)
            st = next_chunk(r);
        if (st)
            break;
        ZSTD_inBuffer in = {r->cbuf, r->clen, r->cpos};
        ZSTD_outBuffer out = {r->plain, ZSTD_DStreamOutSize(), 0};
        size_t rc = ZSTD_decompressStream(r->z, &out, &in);
        if (ZSTD_isError(rc))
            st = TD_E_INVALID;
        r->cpos = in.pos;
        r->plen = out.pos;
    }
    return st;
}

/* Fills one block from the stream (the read-ahead thread's side). */
static void fill_block(td_bk_reader_t *r, ahead_t *b) {
    b->n = 0, b->st = TD_OK, b->eos = 0;
    while (b->n < AHEAD_BLOCK) {
        if (r->ppos == r->plen) {
            if (r->final && r->cpos == r->clen) { /* the sealed end */
                unsigned char extra;
                b->eos = 1;
                b->end_st = fread(&extra, 1, 1, r->f) == 0 ? TD_OK : TD_E_INVALID;
                return;
            }
            if ((b->st = refill(r)))
                return;
        }
        size_t take = r->plen - r->ppos;
        if (take > AHEAD_BLOCK - b->n)
            take = AHEAD_BLOCK - b->n;
        memcpy(b->p + b->n, r->plain + r->ppos, take);
        r->ppos += take, b->n += take;
    }
}

static void *ahead_run(void *arg) {
    td_bk_reader_t *r = arg;
    size_t tail = 0;
    for (int done = 0; !done;) {
        pthread_mutex_lock(&r->mu);
        while (r->count == AHEAD && !r->stop)
            pthread_cond_wait(&r->cv, &r->mu);
        done = r->stop;
        pthread_mutex_unlock(&r->mu);
        if (done)
            break;
        ahead_t *b = &r->blk[tail];
        b->h0 = r->h;
        fill_block(r, b);
        crypto_generichash_update(&r->h, b->p, b->n);
        done = b->st || b->eos;
        tail = (tail + 1) % AHEAD;
        pthread_mutex_lock(&r->mu);
        r->count++;
        pthread_cond_broadcast(&r->cv);
        pthread_mutex_unlock(&r->mu);
    }
    return NULL;
}

/* Starts the read-ahead; without a thread the caller decodes itself. */
static void ahead_start(td_bk_reader_t *r) {
    for (int i = 0; i < AHEAD; i++)
        if (!(r->blk[i].p = malloc(AHEAD_BLOCK)))
            return;
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    r->threaded = !pthread_create(&r->th, NULL, ahead_run, r);
}

/* The caller's current block, with unread bytes or its end (st/eos);
 * the one it finished goes back to the thread. */
static ahead_t *ahead_block(td_bk_reader_t *r) {
    ahead_t *b = r->holding ? &r->blk[r->head] : NULL;
    if (b && (r->pos < b->n || b->st || b->eos))
        return b;
    pthread_mutex_lock(&r->mu);
    if (b) {
        r->head = (r->head + 1) % AHEAD, r->count--, r->pos = 0;
        pthread_cond_broadcast(&r->cv);
    }
    while (r->count == 0)
        pthread_cond_wait(&r->cv, &r->mu);
    pthread_mutex_unlock(&r->mu);
    r->holding = 1;
    return &r->blk[r->head];
}

td_status td_bk_get(td_bk_reader_t *r, void *dst, size_t n) {
    unsigned char *d = dst;
    while (n && r->threaded) {
        ahead_t *b = ahead_block(r);
        if (r->pos == b->n)
            return b->st ? b->st : TD_E_INVALID; /* failed, or read past the end */
        size_t take = b->n - r->pos < n ? b->n - r->pos : n;
        memcpy(d, b->p + r->pos, take);
        r->pos += take, d += take, n -= take;
    }
    while (n) {
        if (r->ppos == r->plen) {
            td_status st = refill(r);
            if (st)
                return st;
        }
        size_t take = r->plen - r->ppos < n ? r->plen - r->ppos : n;
        memcpy(d, r->plain + r->ppos, take);
        crypto_generichash_update(&r->h, d, take);
        r->ppos += take, d += take, n -= take;
    }
    return TD_OK;
}

void td_bk_reader_digest(td_bk_reader_t *r, unsigned char out[32]) {
    crypto_generichash_state h = r->h;
    if (r->threaded) {
        if (r->holding) {
            h = r->blk[r->head].h0;
            crypto_generichash_update(&h, r->blk[r->head].p, r->pos);
        } else
            crypto_generichash_init(&h, NULL, 0, 32);
    }
    crypto_generichash_final(&h, out, 32);
}

td_status td_bk_reader_end(td_bk_reader_t *r) {
    unsigned char extra;
    if (r->threaded) {
        ahead_t *b = ahead_block(r);
        return r->pos == b->n && b->eos ? b->end_st : TD_E_INVALID;
    }
    if (r->ppos != r->plen || r->cpos != r->clen || !r->final)
        return TD_E_INVALID;
    return fread(&extra, 1, 1, r->f) == 0 ? TD_OK : TD_E_INVALID;
}

void td_bk_reader_close(td_bk_reader_t *r) {
    if (!r)
        return;
    if (r->threaded) {
        pthread_mutex_lock(&r->mu);
        r->stop = 1;
        pthread_cond_broadcast(&r->cv);
        pthread_mutex_unlock(&r->mu);
        pthread_join(r->th, NULL);
        pthread_mutex_destroy(&r->mu);
        pthread_cond_destroy(&r->cv);
    }
    for (int i = 0; i < AHEAD; i++)
        free(r->blk[i].p);
    if (r->f)
        fclose(r->f);
    ZSTD_freeDCtx(r->z);
    free(r->ad);
    free(r->ct);
    free(r->cbuf);
    free(r->plain);
    sodium_memzero(&r->ss, sizeof(r->ss));
    free(r);
}

td_status td_bk_file_checksum(const char *path, char out[65], int64_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno == ENOENT ? TD_E_NOTFOUND : TD_E_IO;
    crypto_generichash_state h;
    crypto_generichash_init(&h, NULL, 0, 32);
    unsigned char buf[65536], d[32];
    size_t n;
    *size = 0;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
        crypto_generichash_update(&h, buf, n);
        *size += (int64_t)n;
    }
    td_status st = ferror(f) ? TD_E_IO : TD_OK;
    fclose(f);
    crypto_generichash_final(&h, d, sizeof(d));
    sodium_bin2hex(out, 65, d, sizeof(d));
    return st;
}
