/* apikey.c — API key text: make, parse, hash. */
#include "auth/apikey.h"

#include <stdio.h>
#include <string.h>

#include "common/timeutil.h"

void td_apikey_hash(const char *key, char hash[TD_HASH_HEX]) { td_refresh_hash(key, hash); }

void td_apikey_new(const char *id, char key[TD_APIKEY_LEN + 1], char hash[TD_HASH_HEX]) {
    char compact[33], prefix[40];
    td_id_compact(id, compact);
    snprintf(prefix, sizeof(prefix), "tdk_%s_", compact);
    td_secret_new(prefix, key, TD_APIKEY_LEN + 1, hash);
}

int td_apikey_parse(const char *s, char id[TD_ID_LEN + 1]) {
    if (!s || strlen(s) != TD_APIKEY_LEN || strncmp(s, "tdk_", 4) || s[36] != '_')
        return 0;
    for (int i = 4; i < 36; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    for (int i = 37; i < TD_APIKEY_LEN; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '-' || c == '_'))
            return 0;
    }
    snprintf(id, TD_ID_LEN + 1, "%.8s-%.4s-%.4s-%.4s-%.12s", s + 4, s + 12, s + 16, s + 20,
             s + 24);
    return td_id_valid(id);
}

const char *td_apikey_expiry(td_arena_t *a, const char *s) {
    char canon[32];
    int64_t ms;
    if (!s || strlen(s) > 40 || td_time_parse(s, &ms) || ms <= td_now_ms() ||
        td_time_canonical(s, canon, sizeof(canon)))
        return NULL;
    return td_arena_strdup(a, canon);
}
