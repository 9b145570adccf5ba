/* secrets.c — master key loading and XChaCha20-Poly1305 envelopes. */
#include "secrets/secrets.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define VERSION_PREFIX "v1."
#define NONCE_BYTES crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG_BYTES crypto_aead_xchacha20poly1305_ietf_ABYTES

void td_key_random(td_key_t *out) { randombytes_buf(out->k, sizeof(out->k)); }

void td_key_b64(const td_key_t *key, char *out, size_t n) {
    sodium_bin2base64(out, n, key->k, sizeof(key->k), sodium_base64_VARIANT_ORIGINAL);
}

static td_status key_from_b64(const char *b64, td_key_t *out) {
    size_t len = 0;
    const char *end;
    td_key_t k;
    if (sodium_base642bin(k.k, sizeof(k.k), b64, strlen(b64), " \t\r\n", &len, &end,
                          sodium_base64_VARIANT_ORIGINAL) ||
        len != TD_KEY_BYTES || *end) {
        sodium_memzero(&k, sizeof(k));
        return TD_E_KEY;
    }
    *out = k;
    sodium_memzero(&k, sizeof(k));
    return TD_OK;
}

td_status td_master_key_write(const char *path, const td_key_t *key) {
    char tmp[4200], b64[64];
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
    if (!ok || rename(tmp, path)) {
        unlink(tmp);
        return TD_E_IO;
    }
    return TD_OK;
}

td_status td_master_key_load(const char *b64, const char *path, int create, td_key_t *out,
                             char *err, size_t errlen) {
    if (b64 && *b64) {
        if (key_from_b64(b64, out)) {
            snprintf(err, errlen, "TENANTD_MASTER_KEY is not 32 bytes of base64");
            return TD_E_KEY;
        }
        return TD_OK;
    }
    int fd = open(path, O_RDONLY);
    if (fd < 0 && errno == ENOENT && create) {
        td_key_random(out);
        if (td_master_key_write(path, out)) {
            snprintf(err, errlen, "cannot write master key file %s: %s", path, strerror(errno));
            return TD_E_IO;
        }
        return TD_OK;
    }
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
    if (r > 0 && (sb.st_mode & 077)) {
        snprintf(err, errlen, "master key file %s must not be readable by group or others (chmod 600)",
                 path);
        sodium_memzero(buf, sizeof(buf));
        return TD_E_KEY;
    }
    td_status st = TD_E_KEY;
    if (r > 0) {
        buf[r] = '\0';
        st = key_from_b64(buf, out);
    }
    sodium_memzero(buf, sizeof(buf));
    if (st)
        snprintf(err, errlen, "master key file %s does not hold 32 bytes of base64", path);
    return st;
}

static char *aad(td_arena_t *a, const char *owner, const char *purpose) {
    return td_arena_printf(a, "tenantd/v1/%s/%s", purpose, owner);
}

td_status td_seal(td_arena_t *a, const td_key_t *key, const char *owner, const char *purpose,
                  const void *pt, size_t n, char **out) {
    size_t blen = NONCE_BYTES + n + TAG_BYTES;
    unsigned char *buf = td_arena_alloc(a, blen);
    char *ad = aad(a, owner, purpose);
    if (!buf || !ad)
        return TD_E_NOMEM;
    randombytes_buf(buf, NONCE_BYTES);
    unsigned long long clen;
    crypto_aead_xchacha20poly1305_ietf_encrypt(buf + NONCE_BYTES, &clen, pt, n,
                                               (const unsigned char *)ad, strlen(ad), NULL, buf,
                                               key->k);
    size_t tlen = sodium_base64_encoded_len(blen, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *txt = td_arena_alloc(a, strlen(VERSION_PREFIX) + tlen);
    if (!txt)
        return TD_E_NOMEM;
    strcpy(txt, VERSION_PREFIX);
    sodium_bin2base64(txt + strlen(VERSION_PREFIX), tlen, buf, blen,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    *out = txt;
    return TD_OK;
}

td_status td_open(td_arena_t *a, const td_key_t *key, const char *owner, const char *purpose,
                  const char *sealed, unsigned char **pt, size_t *n) {
    if (!sealed || strncmp(sealed, VERSION_PREFIX, strlen(VERSION_PREFIX)) != 0)
        return TD_E_CRYPTO;
    const char *b64 = sealed + strlen(VERSION_PREFIX);
    size_t cap = strlen(b64), blen = 0;
    unsigned char *buf = td_arena_alloc(a, cap + 1);
    char *ad = aad(a, owner, purpose);
    if (!buf || !ad)
        return TD_E_NOMEM;
    if (sodium_base642bin(buf, cap, b64, cap, NULL, &blen, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) ||
        blen < NONCE_BYTES + TAG_BYTES)
        return TD_E_CRYPTO;
    unsigned char *out = td_arena_alloc(a, blen - NONCE_BYTES - TAG_BYTES + 1);
    if (!out)
        return TD_E_NOMEM;
    unsigned long long plen;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(out, &plen, NULL, buf + NONCE_BYTES,
                                                   blen - NONCE_BYTES, (const unsigned char *)ad,
                                                   strlen(ad), buf, key->k))
        return TD_E_CRYPTO;
    out[plen] = '\0';
    *pt = out;
    *n = (size_t)plen;
    return TD_OK;
}

td_status td_key_wrap(td_arena_t *a, const td_key_t *kek, const char *owner, const td_key_t *key,
                      char **out) {
    return td_seal(a, kek, owner, TD_PURPOSE_TENANT_KEY, key->k, sizeof(key->k), out);
}

td_status td_key_unwrap(td_arena_t *a, const td_key_t *kek, const char *owner,
                        const char *wrapped, td_key_t *out) {
    unsigned char *pt;
    size_t n;
    td_status st = td_open(a, kek, owner, TD_PURPOSE_TENANT_KEY, wrapped, &pt, &n);
    if (st)
        return st;
    if (n != TD_KEY_BYTES)
        return TD_E_CRYPTO;
    memcpy(out->k, pt, n);
    sodium_memzero(pt, n);
    return TD_OK;
}
