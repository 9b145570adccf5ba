/* tokencache.c — direct-mapped cache of verified tokens. */
#include "auth/tokencache.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define STRIPES 64

typedef struct {
    unsigned char key[16];
    int64_t exp;
    json_t *claims; /* NULL = empty */
} slot_t;

struct td_token_cache {
    pthread_mutex_t mu[STRIPES];
    unsigned n;
    slot_t *slots;
};

td_token_cache_t *td_token_cache_new(unsigned slots) {
    td_token_cache_t *c = calloc(1, sizeof(*c));
    if (!c || !(c->slots = calloc(slots ? slots : 1, sizeof(slot_t)))) {
        free(c);
        return NULL;
    }
    c->n = slots ? slots : 1;
    for (int i = 0; i < STRIPES; i++)
        pthread_mutex_init(&c->mu[i], NULL);
    return c;
}

void td_token_cache_free(td_token_cache_t *c) {
    if (!c)
        return;
    for (unsigned i = 0; i < c->n; i++)
        json_decref(c->slots[i].claims);
    for (int i = 0; i < STRIPES; i++)
        pthread_mutex_destroy(&c->mu[i]);
    free(c->slots);
    free(c);
}

static unsigned locate(td_token_cache_t *c, const char *token, unsigned char key[16]) {
    crypto_generichash(key, 16, (const unsigned char *)token, strlen(token), NULL, 0);
    unsigned h;
    memcpy(&h, key, sizeof(h));
    return h % c->n;
}

json_t *td_token_cache_get(td_token_cache_t *c, const char *token, int64_t now) {
    unsigned char key[16];
    unsigned i = locate(c, token, key);
    json_t *out = NULL;
    pthread_mutex_lock(&c->mu[i % STRIPES]);
    slot_t *s = &c->slots[i];
    if (s->claims && s->exp > now && sodium_memcmp(s->key, key, 16) == 0)
        out = json_incref(s->claims);
    pthread_mutex_unlock(&c->mu[i % STRIPES]);
    return out;
}

void td_token_cache_put(td_token_cache_t *c, const char *token, json_t *claims) {
    unsigned char key[16];
    unsigned i = locate(c, token, key);
    json_t *old;
    pthread_mutex_lock(&c->mu[i % STRIPES]);
    slot_t *s = &c->slots[i];
    old = s->claims;
    memcpy(s->key, key, 16);
    s->exp = json_integer_value(json_object_get(claims, "exp"));
    s->claims = json_incref(claims);
    pthread_mutex_unlock(&c->mu[i % STRIPES]);
    json_decref(old);
}
