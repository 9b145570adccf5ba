/* id.c — UUIDv7 ids from libsodium's CSPRNG. */
#include "common/id.h"

#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/timeutil.h"

void td_id_new(char out[TD_ID_LEN + 1]) {
    unsigned char b[16];
    uint64_t ms = (uint64_t)td_now_ms();
    randombytes_buf(b, sizeof(b));
    for (int i = 0; i < 6; i++)
        b[i] = (unsigned char)(ms >> (40 - 8 * i));
    b[6] = (unsigned char)(0x70 | (b[6] & 0x0f));
    b[8] = (unsigned char)(0x80 | (b[8] & 0x3f));
    snprintf(out, TD_ID_LEN + 1,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10],
             b[11], b[12], b[13], b[14], b[15]);
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
