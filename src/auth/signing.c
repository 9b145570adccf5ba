/* signing.c — token signing keys sealed in the catalog. */
#include "auth/signing.h"

#include <string.h>

#define OWNER "catalog"
#define CONFIG_KEY "jwt_keys"
#define B64 sodium_base64_VARIANT_URLSAFE_NO_PADDING

static json_t *key_json(const td_jwt_key_t *k) {
    char pk[64], sk[128];
    sodium_bin2base64(pk, sizeof(pk), k->pk, sizeof(k->pk), B64);
    sodium_bin2base64(sk, sizeof(sk), k->sk, sizeof(k->sk), B64);
    json_t *j = json_pack("{s:s, s:s, s:s, s:I}", "kid", k->kid, "pk", pk, "sk", sk, "not_after",
                          (json_int_t)k->not_after);
    sodium_memzero(sk, sizeof(sk));
    return j;
}

static int key_from_json(json_t *j, td_jwt_key_t *k) {
    const char *kid = json_string_value(json_object_get(j, "kid"));
    const char *pk = json_string_value(json_object_get(j, "pk"));
    const char *sk = json_string_value(json_object_get(j, "sk"));
    size_t n1 = 0, n2 = 0;
    memset(k, 0, sizeof(*k));
    if (!kid || !pk || !sk || strlen(kid) != TD_JWT_KID_LEN ||
        sodium_base642bin(k->pk, sizeof(k->pk), pk, strlen(pk), NULL, &n1, NULL, B64) ||
        sodium_base642bin(k->sk, sizeof(k->sk), sk, strlen(sk), NULL, &n2, NULL, B64) ||
        n1 != sizeof(k->pk) || n2 != sizeof(k->sk))
        return -1;
    memcpy(k->kid, kid, TD_JWT_KID_LEN + 1);
    k->not_after = json_integer_value(json_object_get(j, "not_after"));
    return 0;
}

static td_status store(td_db_t *db, td_arena_t *a, const td_key_t *master,
                       const td_jwt_keyset_t *ks) {
    json_t *arr = json_array();
    for (int i = 0; i < ks->n; i++)
        json_array_append_new(arr, key_json(&ks->keys[i]));
    char *txt = json_dumps(arr, JSON_COMPACT);
    json_decref(arr);
    char *sealed = NULL;
    td_status st = txt ? td_seal(a, master, OWNER, TD_PURPOSE_JWT_KEYS, txt, strlen(txt), &sealed)
                       : TD_E_NOMEM;
    if (txt) {
        sodium_memzero(txt, strlen(txt));
        free(txt);
    }
    return st ? st : td_cat_config_set(db, CONFIG_KEY, sealed);
}

static td_status read_keys(td_db_t *db, td_arena_t *a, const td_key_t *master,
                           td_jwt_keyset_t *out) {
    char *sealed;
    td_status st = td_cat_config_get(db, a, CONFIG_KEY, &sealed);
    if (st)
        return st;
    unsigned char *txt;
    size_t n;
    st = td_open(a, master, OWNER, TD_PURPOSE_JWT_KEYS, sealed, &txt, &n);
    if (st)
        return st;
    json_error_t e;
    json_t *arr = json_loadb((const char *)txt, n, 0, &e);
    sodium_memzero(txt, n);
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < json_array_size(arr) && out->n < TD_JWT_MAX_KEYS; i++)
        if (key_from_json(json_array_get(arr, i), &out->keys[out->n]) == 0)
            out->n++;
    json_decref(arr);
    return out->n ? TD_OK : TD_E_CRYPTO;
}

td_status td_signing_load(td_db_t *db, const td_key_t *master, td_jwt_keyset_t *out) {
    td_arena_t *a = td_arena_new(0);
    if (!a)
        return TD_E_NOMEM;
    td_status st = read_keys(db, a, master, out);
    if (st == TD_E_NOTFOUND) {
        memset(out, 0, sizeof(*out));
        td_jwt_key_generate(&out->keys[0]);
        out->n = 1;
        st = store(db, a, master, out);
    }
    td_arena_destroy(a);
    return st;
}

td_status td_signing_reseal(td_db_t *db, td_arena_t *a, const td_key_t *old_master,
                            const td_key_t *new_master) {
    td_jwt_keyset_t ks;
    td_status st = read_keys(db, a, old_master, &ks);
    if (st == TD_E_NOTFOUND)
        return TD_OK;
    if (!st)
        st = store(db, a, new_master, &ks);
    sodium_memzero(&ks, sizeof(ks));
    return st;
}

td_status td_signing_rotate(td_db_t *db, const td_key_t *master, int64_t now, int64_t grace_s,
                            td_jwt_keyset_t *out) {
    td_arena_t *a = td_arena_new(0);
    if (!a)
        return TD_E_NOMEM;
    td_jwt_keyset_t ks;
    td_status st = read_keys(db, a, master, &ks);
    if (!st) {
        td_jwt_keyset_t next = {.n = 1};
        td_jwt_key_generate(&next.keys[0]);
        for (int i = 0; i < ks.n && next.n < TD_JWT_MAX_KEYS; i++) {
            td_jwt_key_t k = ks.keys[i];
            if (k.not_after && k.not_after < now)
                continue; /* expired: drop */
            if (!k.not_after)
                k.not_after = now + grace_s;
            next.keys[next.n++] = k;
        }
        st = store(db, a, master, &next);
        if (!st)
            *out = next;
        sodium_memzero(&next, sizeof(next));
    }
    sodium_memzero(&ks, sizeof(ks));
    td_arena_destroy(a);
    return st;
}
