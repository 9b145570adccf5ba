/* id.c — UUIDv7 ids from libsodium's CSPRNG. */
#include "common/id.h"

#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/timeutil.h"

/* Random bytes for ids, drawn from libsodium in blocks: one getrandom(2)
 * per 51 ids instead of one per id (event batches make thousands). The
 * pool is per thread and holds nothing but random bytes. */
static void id_random(unsigned char *b, size_t n) {
    static _Thread_local unsigned char pool[512];
    static _Thread_local size_t left;
    if (left < n) {
        randombytes_buf(pool, sizeof(pool));
        left = sizeof(pool);
    }
    memcpy(b, pool + sizeof(pool) - left, n);
    sodium_memzero(pool + sizeof(pool) - left, n);
    left -= n;
}

void td_id_new(char out[TD_ID_LEN + 1]) {
    static const char hex[] = "0123456789abcdef";
    unsigned char b[16];
    uint64_t ms = (uint64_t)td_now_ms();
    id_random(b + 6, 10);
    for (int i = 0; i < 6; i++)
        b[i] = (unsigned char)(ms >> (40 - 8 * i));
    b[6] = (unsigned char)(0x70 | (b[6] & 0x0f));
    b[8] = (unsigned char)(0x80 | (b[8] & 0x3f));
    char *o = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *o++ = '-';
        *o++ = hex[b[i] >> 4];
        *o++ = hex[b[i] & 15];
    }
    *o = '\0';
}

int td_id_valid(const char *s) {
    if (!s || strlen(s) != TD_ID_LEN)
        return 0;
    for (int i = 0; i < TD_ID_LEN; i++) {
        int dash = (i == 8 || i == 13 || i == 18 || i == 23);
        char c = s[i];
        if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return 0;
    }
    return 1;
}

void td_id_compact(const char *id, char out[33]) {
    size_t j = 0;
    for (size_t i = 0; id[i] && j < 32; i++)
        if (id[i] != '-')
            out[j++] = id[i];
    out[j] = '\0';
}

void td_random_hex(char *out, size_t nbytes) {
    unsigned char b[64];
    if (nbytes > sizeof(b))
        nbytes = sizeof(b);
    randombytes_buf(b, nbytes);
    sodium_bin2hex(out, nbytes * 2 + 1, b, nbytes);
    sodium_memzero(b, sizeof(b));
}
