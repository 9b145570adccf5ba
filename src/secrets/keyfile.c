/* keyfile.c — the master key file: loading, writing durably, and the
 * "<path>.new" file a rotation installs (see secrets.h for the protocol). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "secrets/secrets.h"

#define PATH_CAP 4200

/* fsyncs the folder holding path, so a rename in it survives a crash. */
static int sync_dir(const char *path) {
    char copy[PATH_CAP];
    snprintf(copy, sizeof(copy), "%s", path);
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

td_status td_master_key_write(const char *path, const td_key_t *key) {
    char tmp[PATH_CAP], b64[64];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        return TD_E_IO;
    td_key_b64(key, b64, sizeof(b64));
    size_t n = strlen(b64);
    b64[n++] = '\n';
    int ok = write(fd, b64, n) == (ssize_t)n && fsync(fd) == 0;
    sodium_memzero(b64, sizeof(b64));
    close(fd);
    if (!ok || rename(tmp, path) || sync_dir(path)) {
        unlink(tmp);
        return TD_E_IO;
    }
    return TD_OK;
}

/* Reads a key file: TD_E_KEY with the reason in err when it is missing,
 * readable by others, or not 32 bytes of base64. */
static td_status read_key_file(const char *path, td_key_t *out, char *err, size_t errlen) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        snprintf(err, errlen,
                 "no master key: set TENANTD_MASTER_KEY or provide %s (%s); run `tenantd init` "
                 "for a new installation",
                 path, strerror(errno));
        return TD_E_KEY;
    }
    struct stat sb;
    char buf[128];
    ssize_t r = fstat(fd, &sb) == 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
    close(fd);
    td_status st = TD_E_KEY;
    if (r > 0 && (sb.st_mode & 077)) {
        snprintf(err, errlen,
                 "master key file %s must not be readable by group or others (chmod 600)", path);
    } else {
        if (r > 0) {
            buf[r] = '\0';
            st = td_key_from_b64(buf, out);
        }
        if (st)
            snprintf(err, errlen, "master key file %s does not hold 32 bytes of base64", path);
    }
    sodium_memzero(buf, sizeof(buf));
    return st;
}

td_status td_master_key_load(const char *b64, const char *path, int create, td_key_t *out,
                             char *err, size_t errlen) {
    if (b64 && *b64) {
        if (td_key_from_b64(b64, out)) {
            snprintf(err, errlen, "TENANTD_MASTER_KEY is not 32 bytes of base64");
            return TD_E_KEY;
        }
        return TD_OK;
    }
    if (create && access(path, F_OK) != 0 && errno == ENOENT) {
        td_key_random(out);
        if (td_master_key_write(path, out)) {
            snprintf(err, errlen, "cannot write master key file %s: %s", path, strerror(errno));
            return TD_E_IO;
        }
        return TD_OK;
    }
    return read_key_file(path, out, err, errlen);
}

/* 1 when the file at path holds the key whose id is id (into out). */
static int file_holds(const char *path, const char *id, td_key_t *out) {
    char err[8], kid[TD_KEY_ID_LEN + 1];
    td_key_t k;
    int yes = read_key_file(path, &k, err, sizeof(err)) == TD_OK;
    if (yes) {
        td_key_id(&k, kid);
        yes = strcmp(kid, id) == 0;
    }
    if (yes)
        *out = k;
    sodium_memzero(&k, sizeof(k));
    return yes;
}

/* A rotation may rename <path>.new over path between our two reads: a
 * second pass then finds the key in path. */
td_status td_master_key_find(const char *path, const char *id, td_key_t *out) {
    char next[PATH_CAP];
    snprintf(next, sizeof(next), "%s.new", path);
    for (int pass = 0; pass < 2; pass++)
        if (file_holds(path, id, out) || file_holds(next, id, out))
            return TD_OK;
    return TD_E_NOTFOUND;
}

td_status td_master_key_install(const char *path, const char *id) {
    char next[PATH_CAP];
    td_key_t k;
    snprintf(next, sizeof(next), "%s.new", path);
    td_status st = TD_OK;
    if (file_holds(path, id, &k))
        st = TD_OK;
    else if (!file_holds(next, id, &k))
        st = TD_E_NOTFOUND;
    else if (rename(next, path) || sync_dir(path))
        st = TD_E_IO;
    sodium_memzero(&k, sizeof(k));
    return st;
}

td_status td_master_key_lock(const char *path, int *fd) {
    char lock[PATH_CAP];
    snprintf(lock, sizeof(lock), "%s.lock", path);
    *fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (*fd < 0)
        return TD_E_IO;
    while (flock(*fd, LOCK_EX) != 0)
        if (errno != EINTR) {
            close(*fd);
            *fd = -1;
            return TD_E_IO;
        }
    return TD_OK;
}

void td_master_key_unlock(int fd) {
    if (fd >= 0)
        close(fd); /* releases the lock */
}
