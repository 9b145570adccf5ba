/* test_jwt.c — EdDSA tokens: a good token verifies; every forgery and
 * malformation SPEC §6 and the identity issue name is refused with a
 * reason. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "auth/jwt.h"

#define MAXLIFE 1000 /* the verifier's longest accepted lifetime */
#define ISS "tenantd-test"
#define NOW 1800000000

static td_jwt_keyset_t ks;

static json_t *claims(int64_t iat, int64_t exp) {
    return json_pack("{s:s, s:s, s:s, s:s, s:[s], s:I, s:I, s:s}", "iss", ISS, "sub", "u1", "tid",
                     "t1", "role", "admin", "svc", "crm", "iat", (json_int_t)iat, "exp",
                     (json_int_t)exp, "jti", "j1");
}

static char *sign(json_t *c) {
    char *tok = NULL;
    td_status st = td_jwt_sign(&ks, c, &tok);
    json_decref(c);
    if (st != TD_OK)
        fail_msg("cannot sign: %d", st);
    char *copy = strdup(tok); /* (GCC 12 -O3 misreads the out-parameter as dangling) */
    free(tok);
    return copy;
}

static void expect_refused(const char *tok, const char *reason) {
    json_t *c = (json_t *)1;
    const char *why = NULL;
    assert_int_equal(td_jwt_verify(&ks, tok, ISS, NOW, MAXLIFE, &c, &why), TD_E_AUTH);
    assert_null(c);
    assert_non_null(why);
    if (reason && strcmp(why, reason))
        fail_msg("refused for '%s', expected '%s'", why, reason);
}

static char *b64(const char *s) {
    size_t len = sodium_base64_encoded_len(strlen(s), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *out = malloc(len);
    sodium_bin2base64(out, len, (const unsigned char *)s, strlen(s),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return out;
}

/* header.payload.signature with the given header JSON and the payload and
 * signature of tok. */
static char *with_header(const char *tok, const char *hdr_json) {
    char *h = b64(hdr_json);
    const char *rest = strchr(tok, '.');
    char *out = malloc(strlen(h) + strlen(rest) + 1);
    strcpy(out, h);
    strcat(out, rest);
    free(h);
    return out;
}

static void good_token_verifies(void **s) {
    (void)s;
    char *tok = sign(claims(NOW - 10, NOW + 900));
    json_t *c;
    const char *why;
    assert_int_equal(td_jwt_verify(&ks, tok, ISS, NOW, MAXLIFE, &c, &why), TD_OK);
    assert_string_equal(json_string_value(json_object_get(c, "sub")), "u1");
    assert_string_equal(json_string_value(json_object_get(c, "tid")), "t1");
    json_decref(c);
    free(tok);
}

static void forged_algorithms_refused(void **s) {
    (void)s;
    char *tok = sign(claims(NOW - 10, NOW + 900));
    char hdr[128];
    snprintf(hdr, sizeof(hdr), "{\"alg\":\"none\",\"kid\":\"%s\"}", ks.keys[0].kid);
    char *none = with_header(tok, hdr);
    expect_refused(none, "algorithm not accepted");
    /* alg none with an empty signature */
    char *empty = strdup(none);
    strrchr(empty, '.')[1] = '\0';
    expect_refused(empty, NULL);
    /* HS256 keyed with the public key (the classic confusion attack) */
    snprintf(hdr, sizeof(hdr), "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"%s\"}", ks.keys[0].kid);
    char *hs_hdr = b64(hdr);
    json_t *c = claims(NOW - 10, NOW + 900);
    char *cj = json_dumps(c, JSON_COMPACT);
    char *cb = b64(cj);
    char signing[2048];
    snprintf(signing, sizeof(signing), "%s.%s", hs_hdr, cb);
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, ks.keys[0].pk, sizeof(ks.keys[0].pk));
    crypto_auth_hmacsha256_update(&st, (unsigned char *)signing, strlen(signing));
    crypto_auth_hmacsha256_final(&st, mac);
    char macb[128], hs[4096];
    sodium_bin2base64(macb, sizeof(macb), mac, sizeof(mac), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    snprintf(hs, sizeof(hs), "%s.%s", signing, macb);
    expect_refused(hs, "algorithm not accepted");
    /* lowercase / variant spellings */
    snprintf(hdr, sizeof(hdr), "{\"alg\":\"eddsa\",\"kid\":\"%s\"}", ks.keys[0].kid);
    char *lower = with_header(tok, hdr);
    expect_refused(lower, "algorithm not accepted");
    free(none), free(empty), free(hs_hdr), free(cj), free(cb), free(lower), free(tok);
    json_decref(c);
}

static void unknown_kid_refused(void **s) {
    (void)s;
    char *tok = sign(claims(NOW - 10, NOW + 900));
    char *other = with_header(tok, "{\"alg\":\"EdDSA\",\"kid\":\"0000000000000000\"}");
    expect_refused(other, "unknown key");
    char *nokid = with_header(tok, "{\"alg\":\"EdDSA\"}");
    expect_refused(nokid, "unknown key");
    free(other), free(nokid), free(tok);
}

static void time_claims_enforced(void **s) {
    (void)s;
    /* nbf: in the future refused, in the past accepted */
    json_t *nb = claims(NOW - 10, NOW + 900);
    json_object_set_new(nb, "nbf", json_integer(NOW + 600));
    char *early = sign(nb);
    expect_refused(early, "not valid yet");
    nb = claims(NOW - 10, NOW + 900);
    json_object_set_new(nb, "nbf", json_integer(NOW - 5));
    char *ripe = sign(nb);
    json_t *ok;
    const char *why;
    assert_int_equal(td_jwt_verify(&ks, ripe, ISS, NOW, MAXLIFE, &ok, &why), TD_OK);
    json_decref(ok);
    /* a lifetime over the verifier's maximum, though signed and unexpired */
    char *longlived = sign(claims(NOW - 10, NOW + MAXLIFE + 10));
    expect_refused(longlived, "lifetime too long");
    free(early), free(ripe), free(longlived);
    char *expired = sign(claims(NOW - 1000, NOW - 1));
    expect_refused(expired, "token expired");
    json_t *c = claims(NOW - 10, NOW + 900);
    json_object_del(c, "exp");
    char *noexp = sign(c);
    expect_refused(noexp, "no expiry");
    c = claims(NOW - 10, NOW + 900);
    json_object_set_new(c, "exp", json_string("9999999999"));
    char *strexp = sign(c);
    expect_refused(strexp, "no expiry");
    char *future = sign(claims(NOW + 3600, NOW + 7200));
    expect_refused(future, "issued in the future");
    c = claims(NOW - 10, NOW + 900);
    json_object_del(c, "iat");
    char *noiat = sign(c);
    expect_refused(noiat, "no issue time");
    free(expired), free(noexp), free(strexp), free(future), free(noiat);
}

static void claims_required(void **s) {
    (void)s;
    const char *req[] = {"sub", "role", "jti"};
    for (size_t i = 0; i < 3; i++) {
        json_t *c = claims(NOW - 10, NOW + 900);
        json_object_del(c, req[i]);
        char *tok = sign(c);
        expect_refused(tok, "missing claims");
        free(tok);
    }
    json_t *c = claims(NOW - 10, NOW + 900);
    json_object_set_new(c, "iss", json_string("someone-else"));
    char *tok = sign(c);
    expect_refused(tok, "wrong issuer");
    free(tok);
}

static void tampering_refused(void **s) {
    (void)s;
    char *tok = sign(claims(NOW - 10, NOW + 900));
    /* swap in another payload (role: superadmin) with the old signature */
    json_t *c = claims(NOW - 10, NOW + 900);
    json_object_set_new(c, "role", json_string("superadmin"));
    char *cj = json_dumps(c, JSON_COMPACT);
    char *cb = b64(cj);
    size_t i1 = strcspn(tok, "."), i2 = (size_t)(strrchr(tok, '.') - tok);
    char forged[4096];
    snprintf(forged, sizeof(forged), "%.*s.%s%s", (int)i1, tok, cb, tok + i2);
    expect_refused(forged, "bad signature");
    /* flip one character of the signature */
    char *flip = strdup(tok);
    char *last = flip + strlen(flip) - 2;
    *last = *last == 'A' ? 'B' : 'A';
    expect_refused(flip, NULL);
    free(cj), free(cb), free(flip), free(tok);
    json_decref(c);
}

static void malformed_refused(void **s) {
    (void)s;
    char *tok = sign(claims(NOW - 10, NOW + 900));
    expect_refused("", "malformed token");
    expect_refused(NULL, "malformed token");
    expect_refused("abc", "malformed token");
    expect_refused("a.b", "malformed token");
    expect_refused("a.b.c.d", "malformed token");
    expect_refused("!!!.???.***", NULL);
    /* padding and standard-alphabet characters are not base64url */
    char *pad = malloc(strlen(tok) + 3);
    size_t i1 = strcspn(tok, ".");
    sprintf(pad, "%.*s==%s", (int)i1, tok, tok + i1);
    expect_refused(pad, NULL);
    char *big = malloc(10 * 1024 + 1);
    memset(big, 'a', 10 * 1024);
    big[10 * 1024] = '\0';
    big[100] = '.';
    big[200] = '.';
    expect_refused(big, "token too long");
    free(pad), free(big), free(tok);
}

static void rotation_and_jwks(void **s) {
    (void)s;
    td_jwt_keyset_t old = ks;
    char *tok = sign(claims(NOW - 10, NOW + 900));
    /* rotate: new key first, old one still verifies until not_after */
    memmove(&ks.keys[1], &ks.keys[0], sizeof(ks.keys[0]));
    td_jwt_key_generate(&ks.keys[0]);
    ks.n = 2;
    ks.keys[1].not_after = NOW + 100;
    json_t *c;
    const char *why;
    assert_int_equal(td_jwt_verify(&ks, tok, ISS, NOW, MAXLIFE, &c, &why), TD_OK);
    json_decref(c);
    char *fresh = sign(claims(NOW - 10, NOW + 900));
    assert_int_equal(td_jwt_verify(&ks, fresh, ISS, NOW, MAXLIFE, &c, &why), TD_OK);
    json_decref(c);
    assert_int_equal(td_jwt_verify(&old, fresh, ISS, NOW, MAXLIFE, &c, &why), TD_E_AUTH);
    json_t *jwks = td_jwt_jwks(&ks, NOW);
    assert_int_equal(json_array_size(json_object_get(jwks, "keys")), 2);
    json_t *k0 = json_array_get(json_object_get(jwks, "keys"), 0);
    assert_string_equal(json_string_value(json_object_get(k0, "kty")), "OKP");
    assert_string_equal(json_string_value(json_object_get(k0, "crv")), "Ed25519");
    assert_string_equal(json_string_value(json_object_get(k0, "alg")), "EdDSA");
    assert_null(json_object_get(k0, "d")); /* never the private half */
    json_decref(jwks);
    /* past not_after the old key neither verifies nor is published: tok is
     * still unexpired then, so only the key's deadline can refuse it */
    int64_t later = NOW + 101;
    json_t *c2 = claims(later - 10, later + 900);
    assert_int_equal(td_jwt_verify(&ks, tok, ISS, later, MAXLIFE, &c, &why), TD_E_AUTH);
    assert_string_equal(why, "unknown key");
    jwks = td_jwt_jwks(&ks, later);
    assert_int_equal(json_array_size(json_object_get(jwks, "keys")), 1);
    json_decref(jwks);
    json_decref(c2);
    free(tok), free(fresh);
}

int main(void) {
    if (sodium_init() < 0)
        return 1;
    td_jwt_key_generate(&ks.keys[0]);
    ks.n = 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(good_token_verifies), cmocka_unit_test(forged_algorithms_refused),
        cmocka_unit_test(unknown_kid_refused), cmocka_unit_test(time_claims_enforced),
        cmocka_unit_test(claims_required),     cmocka_unit_test(tampering_refused),
        cmocka_unit_test(malformed_refused),   cmocka_unit_test(rotation_and_jwks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
