/* masterkey.c — the master key in force across processes: its check
 * against the catalog at start, the key a sealed value names, the write
 * transaction every master-sealed write runs in, and rotation.
 *
 * The catalog records the id of the master key in force (system_config
 * "master_key_id", beside the sealed "master_key_check"), and every value
 * the master key seals names the key that sealed it (secrets.h, v2). Two
 * rules keep every process right while another one rotates the key:
 *
 * - Writes: a value sealed with the master key is written only inside
 *   td_platform_with_master, whose transaction first locks the catalog's key
 *   id row on the condition that it still names this process's key. A
 *   rotation locks the same row first and changes it, so a writer either
 *   commits before the rotation reads what to re-wrap, or waits for it and
 *   then finds the id changed: it reloads the key and seals again. Nothing
 *   is ever written under a key that is no longer in force.
 * - Reads: a value naming a key this process does not hold means another
 *   process rotated it: the key is read again from its file (master.key, or
 *   master.key.new while a rotation has committed but not yet renamed it).
 *   A process whose key came from TENANTD_MASTER_KEY cannot re-read its
 *   environment: it answers TD_E_KEY until restarted with the new key. */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "auth/signing.h"
#include "common/fault.h"
#include "common/log.h"
#include "common/timeutil.h"
#include "tenancy/tenancy_int.h"

#define KEY_ID "master_key_id"
#define KEY_CHECK "master_key_check"
#define KEY_CHECK_OWNER "catalog"
#define KEY_CHECK_TEXT "tenantd master key check"

static int from_env(const td_platform_t *p) { return p->cfg->master_key[0] != '\0'; }

/* Copies the key in force (the caller wipes it) and its id. */
static void master_copy(td_platform_t *p, td_key_t *key, char id[TD_KEY_ID_LEN + 1]) {
    pthread_mutex_lock(&p->key_mu);
    *key = p->master;
    pthread_mutex_unlock(&p->key_mu);
    td_key_id(key, id);
}

static void master_set(td_platform_t *p, const td_key_t *key) {
    pthread_mutex_lock(&p->key_mu);
    p->master = *key;
    pthread_mutex_unlock(&p->key_mu);
}

/* The master key whose id is id: the one in force, or the one the key
 * file holds now that another process rotated it (it becomes the one in
 * force: values are only ever re-sealed forward). TD_E_KEY when this
 * process cannot have it: its key came from TENANTD_MASTER_KEY, or the key
 * file (and master.key.new) hold another. */
static td_status master_by_id(td_platform_t *p, const char *id, td_key_t *out) {
    char mine[TD_KEY_ID_LEN + 1];
    master_copy(p, out, mine);
    if (strcmp(mine, id) == 0)
        return TD_OK;
    if (!from_env(p) && td_master_key_find(p->master_key_path, id, out) == TD_OK) {
        master_set(p, out);
        td_log(TD_LOG_INFO, "master key reloaded after a rotation", "master_id", id, NULL);
        return TD_OK;
    }
    sodium_memzero(out, sizeof(*out));
    td_log(TD_LOG_WARN, "the master key in force is not this process's", "master_id", id, "held",
           mine, "hint",
           from_env(p) ? "restart with the new TENANTD_MASTER_KEY"
                       : "put the key in force in the data folder's master.key",
           NULL);
    return TD_E_KEY;
}

/* The key files' keys (master.key, master.key.new) into keys; how many. */
static size_t file_keys(td_platform_t *p, td_key_t keys[2]) {
    char next[4200], err[8];
    size_t n = 0;
    snprintf(next, sizeof(next), "%s.new", p->master_key_path);
    if (td_master_key_load(NULL, p->master_key_path, 0, &keys[n], err, sizeof(err)) == TD_OK)
        n++;
    if (td_master_key_load(NULL, next, 0, &keys[n], err, sizeof(err)) == TD_OK)
        n++;
    return n;
}

/* A value naming its key opens with that key; one sealed before key ids
 * (v1) with the key in force, else with the key file's (another process
 * may have rotated it). */
td_status td_platform_open_sealed(td_platform_t *p, td_arena_t *a, const char *owner,
                                  const char *purpose, const char *sealed, unsigned char **pt,
                                  size_t *n) {
    td_key_t keys[3];
    char id[TD_KEY_ID_LEN + 1];
    size_t nk = 1;
    td_status st = td_sealed_key_id(sealed, id);
    int legacy = st == TD_E_NOTFOUND; /* v1: names no key */
    if (legacy) {
        master_copy(p, &keys[0], id);
        st = TD_OK;
    } else if (!st) {
        st = master_by_id(p, id, &keys[0]);
    }
    if (!st)
        st = td_open(a, &keys[0], owner, purpose, sealed, pt, n);
    if (st == TD_E_CRYPTO && legacy && !from_env(p))
        nk += file_keys(p, keys + 1);
    for (size_t i = 1; i < nk && st == TD_E_CRYPTO; i++)
        st = td_open(a, &keys[i], owner, purpose, sealed, pt, n);
    sodium_memzero(keys, sizeof(keys));
    return st;
}

td_status td_platform_unwrap(td_platform_t *p, td_arena_t *a, const char *tenant_id,
                             const char *wrapped, td_key_t *out) {
    unsigned char *pt;
    size_t n;
    td_status st = td_platform_open_sealed(p, a, tenant_id, TD_PURPOSE_TENANT_KEY, wrapped, &pt, &n);
    return st ? st : td_key_take(pt, n, out);
}

/* Locks the catalog's key id row for the rest of the transaction if it
 * names id; TD_E_CONFLICT when it names another key. */
static td_status hold_id(td_db_t *db, const char *id) {
    int64_t changed = 0;
    td_status st = td_db_execv(db, &changed,
                               "UPDATE system_config SET value = value WHERE key = '" KEY_ID "'"
                               " AND value = ?",
                               id, NULL);
    return st ? st : changed ? TD_OK : TD_E_CONFLICT;
}

/* Holds the catalog's key id in the open transaction, with *mk the key it
 * names: this process's, or a newer one reloaded (PostgreSQL sees each
 * commit, so a rotation that commits meanwhile is met on the next try).
 * TD_E_KEY when this process cannot have the key in force. */
static td_status hold_key_in_force(td_platform_t *p, td_db_t *db, td_arena_t *a, td_key_t *mk) {
    char id[TD_KEY_ID_LEN + 1];
    master_copy(p, mk, id);
    td_status st = hold_id(db, id);
    for (int tries = 0; st == TD_E_CONFLICT && tries < 3; tries++) {
        char *now_id = NULL;
        st = td_cat_config_get(db, a, KEY_ID, &now_id);
        if (!st && strlen(now_id) == TD_KEY_ID_LEN)
            st = master_by_id(p, now_id, mk);
        else if (!st || st == TD_E_NOTFOUND)
            st = TD_E_KEY; /* no id recorded: not a catalog this process opened */
        if (!st)
            st = hold_id(db, now_id);
    }
    return st == TD_E_CONFLICT ? TD_E_KEY : st;
}

/* Runs fn in one catalog write transaction that holds the key id (see the
 * top of this file), with the key in force. */
td_status td_platform_with_master(td_platform_t *p, td_db_t *db, td_master_fn fn, void *ctx,
                                  char *err, size_t errlen) {
    td_arena_t *a = td_arena_new(0);
    td_key_t mk;
    td_status st = a ? td_db_begin(db, TD_DB_WRITE) : TD_E_NOMEM;
    int in_txn = !st;
    if (!st && (st = hold_key_in_force(p, db, a, &mk)) == TD_E_KEY && err && !err[0])
        snprintf(err, errlen,
                 "the master key was rotated by another process and this one cannot read the "
                 "new key: %s",
                 from_env(p) ? "restart it with the new TENANTD_MASTER_KEY"
                             : "the data folder's master.key does not hold it");
    if (!st)
        st = fn(db, &mk, ctx);
    if (!st)
        st = td_db_commit(db);
    if (st && in_txn)
        td_db_rollback(db);
    sodium_memzero(&mk, sizeof(mk));
    td_arena_destroy(a);
    return st;
}

/* ---- the check at start ---- */

static int key_opens_check(const td_key_t *key, const char *check) {
    td_arena_t *a = td_arena_new(0);
    unsigned char *pt;
    size_t n;
    int ok = a && td_open(a, key, KEY_CHECK_OWNER, TD_PURPOSE_KEY_CHECK, check, &pt, &n) == TD_OK;
    td_arena_destroy(a);
    return ok;
}

static td_status config_add(td_db_t *db, const char *key, const char *value) {
    char now[32];
    td_time_iso(td_now_ms(), now, sizeof(now));
    return td_db_execv(db, NULL,
                       "INSERT INTO system_config (key, value, updated_at) VALUES (?, ?, ?)"
                       " ON CONFLICT (key) DO NOTHING",
                       key, value, now, NULL);
}

/* Records key as the catalog's first master key (check and id), unless
 * another process recorded one first. */
static td_status record_first_key(td_db_t *db, td_arena_t *a, const td_key_t *key) {
    char *check = NULL, id[TD_KEY_ID_LEN + 1];
    td_key_id(key, id);
    td_status st = td_seal_with_id(a, key, KEY_CHECK_OWNER, TD_PURPOSE_KEY_CHECK, KEY_CHECK_TEXT,
                                   strlen(KEY_CHECK_TEXT), &check);
    if (!st)
        st = td_db_begin(db, TD_DB_WRITE);
    if (!st) {
        st = config_add(db, KEY_CHECK, check);
        if (!st)
            st = config_add(db, KEY_ID, id);
        st = st ? st : td_db_commit(db);
        if (st)
            td_db_rollback(db);
    }
    return st;
}

/* The id of the key in force, for a catalog made before key ids (its
 * check opens with this process's key, or with the one a crashed rotation
 * left in master.key.new), recorded now. TD_E_KEY when neither opens it. */
static td_status legacy_key_id(td_platform_t *p, td_db_t *db, const char *check,
                               char id[TD_KEY_ID_LEN + 1]) {
    td_key_t k = p->master;
    char next[4200], err[8];
    snprintf(next, sizeof(next), "%s.new", p->master_key_path);
    int ok = key_opens_check(&k, check) ||
             (!from_env(p) && td_master_key_load(NULL, next, 0, &k, err, sizeof(err)) == TD_OK &&
              key_opens_check(&k, check));
    td_key_id(&k, id);
    sodium_memzero(&k, sizeof(k));
    return ok ? config_add(db, KEY_ID, id) : TD_E_KEY;
}

/* Makes this process's key the catalog's (id): a rotation that committed
 * but did not rename master.key.new (it crashed, or runs now) is finished
 * here, under the key file lock. */
static td_status adopt_key(td_platform_t *p, const char *id, const char *check) {
    char mine[TD_KEY_ID_LEN + 1], err[8];
    td_key_t k;
    master_copy(p, &k, mine);
    td_status st = strcmp(mine, id) == 0 ? TD_OK : TD_E_KEY;
    int fd = -1;
    if (st && !from_env(p) && td_master_key_lock(p->master_key_path, &fd) == TD_OK) {
        if (td_master_key_install(p->master_key_path, id) == TD_OK &&
            td_master_key_load(NULL, p->master_key_path, 0, &k, err, sizeof(err)) == TD_OK) {
            td_key_id(&k, mine);
            st = strcmp(mine, id) == 0 ? TD_OK : TD_E_KEY;
        }
        td_master_key_unlock(fd);
    }
    if (!st && !key_opens_check(&k, check))
        st = TD_E_KEY;
    if (!st)
        master_set(p, &k);
    sodium_memzero(&k, sizeof(k));
    return st;
}

td_status td_platform_verify_key(td_platform_t *p, td_db_t *db, int init, char *err,
                                 size_t errlen) {
    td_arena_t *a = td_arena_new(0);
    char *check = NULL, *id = NULL, legacy[TD_KEY_ID_LEN + 1];
    td_status st = a ? td_cat_config_get(db, a, KEY_CHECK, &check) : TD_E_NOMEM;
    if (st == TD_E_NOTFOUND && (init || from_env(p))) {
        st = record_first_key(db, a, &p->master);
        if (!st)
            st = td_cat_config_get(db, a, KEY_CHECK, &check);
    }
    if (!st && (st = td_cat_config_get(db, a, KEY_ID, &id)) == TD_E_NOTFOUND) {
        st = legacy_key_id(p, db, check, legacy);
        if (!st)
            st = td_cat_config_get(db, a, KEY_ID, &id);
    }
    if (!st)
        st = adopt_key(p, id, check);
    if (st == TD_E_NOTFOUND && !check)
        snprintf(err, errlen, "the catalog has no master key record: run `tenantd init` first");
    else if (st == TD_E_KEY)
        snprintf(err, errlen,
                 "the master key does not match this catalog (wrong TENANTD_MASTER_KEY or "
                 "master.key?): refusing to start");
    if (st == TD_E_NOTFOUND)
        st = TD_E_KEY;
    td_arena_destroy(a);
    return st;
}

/* ---- rotation ---- */

typedef struct {
    td_arena_t *a;
    const td_key_t *next; /* the new master key */
    size_t rewrapped;     /* tenant keys */
    char *err;
    size_t errlen;
} rotation_t;

static td_status rewrap_tenants(td_db_t *db, const td_key_t *old, rotation_t *r) {
    const char **ids = NULL, **wrapped = NULL;
    size_t n = 0;
    td_status st = td_cat_tenant_keys(db, r->a, &ids, &wrapped, &n);
    for (size_t i = 0; !st && i < n; i++) {
        td_key_t tk;
        char *w = NULL;
        st = td_key_unwrap(r->a, old, ids[i], wrapped[i], &tk);
        if (!st)
            st = td_key_wrap(r->a, r->next, ids[i], &tk, &w);
        sodium_memzero(&tk, sizeof(tk));
        if (!st)
            st = td_cat_tenant_set_key(db, ids[i], w);
        if (st == TD_E_NOTFOUND) /* deleted meanwhile: its key is gone */
            st = TD_OK;
        else if (!st)
            r->rewrapped++;
        if (st)
            snprintf(r->err, r->errlen, "cannot re-wrap the key of tenant %s: %s%s", ids[i],
                     td_status_msg(st),
                     st == TD_E_CRYPTO ? " (it does not open with the key in force: if it was "
                                         "sealed under a lost key, delete that tenant first)"
                                       : "");
    }
    return st;
}

/* Server URLs are sealed with the master key too. */
static td_status reseal_servers(td_db_t *db, const td_key_t *old, rotation_t *r) {
    td_server_row_t *srv = NULL;
    size_t ns = 0;
    td_status st = td_cat_server_list(db, r->a, &srv, &ns);
    for (size_t i = 0; !st && i < ns; i++) {
        unsigned char *url;
        size_t len;
        char *enc;
        st = td_open(r->a, old, srv[i].name, TD_PURPOSE_SERVER_URL, srv[i].url_enc, &url, &len);
        if (!st)
            st = td_seal_with_id(r->a, r->next, srv[i].name, TD_PURPOSE_SERVER_URL, url, len, &enc);
        if (!st)
            st = td_db_execv(db, NULL, "UPDATE db_servers SET url_enc = ? WHERE id = ?", enc,
                             srv[i].id, NULL);
        if (st)
            snprintf(r->err, r->errlen, "cannot re-seal the URL of server %s: %s", srv[i].name,
                     td_status_msg(st));
    }
    return st;
}

/* Inside td_platform_with_master: everything sealed with the old key
 * moves to the new one, and the catalog records the new key. */
static td_status rotate_catalog(td_db_t *db, const td_key_t *old, void *ctx) {
    rotation_t *r = ctx;
    char *check = NULL, id[TD_KEY_ID_LEN + 1];
    td_status st = rewrap_tenants(db, old, r);
    if (!st)
        st = reseal_servers(db, old, r);
    if (!st)
        st = td_signing_reseal(db, r->a, old, r->next);
    if (!st)
        st = td_seal_with_id(r->a, r->next, KEY_CHECK_OWNER, TD_PURPOSE_KEY_CHECK, KEY_CHECK_TEXT,
                             strlen(KEY_CHECK_TEXT), &check);
    if (!st)
        st = td_cat_config_set(db, KEY_CHECK, check);
    td_key_id(r->next, id);
    if (!st)
        st = td_cat_config_set(db, KEY_ID, id);
    TD_FAULT("rotate.rewrapped");
    return st;
}

/* The key file holds the catalog's key before a rotation replaces
 * master.key.new: a rotation that crashed after its commit left the only
 * copy of the key in force there. */
static td_status settle_key_file(td_platform_t *p, td_db_t *db, td_arena_t *a) {
    char *id = NULL;
    td_status st = td_cat_config_get(db, a, KEY_ID, &id);
    if (!st)
        st = td_master_key_install(p->master_key_path, id);
    return st == TD_E_NOTFOUND ? TD_E_KEY : st;
}

/* Rotation order, chosen so that a crash anywhere leaves a usable key:
 * under the key file lock, 1) the new key is written to master.key.new;
 * 2) one catalog transaction (td_platform_with_master) re-wraps every
 * tenant key, server URL and the signing keys and records the new key;
 * 3) master.key.new is renamed over master.key. A crash before 2 commits
 * leaves the old key in force (the stray .new is replaced by the next
 * rotation); after it, processes read the key from master.key.new and the
 * next start or rotation finishes the rename. */
/* The new key: the one given, else a random one (refused without one for
 * a key from TENANTD_MASTER_KEY: printed once, it could be lost with every
 * tenant), never the key in force. */
static td_status choose_new_key(td_platform_t *p, const td_key_t *given, td_key_t *nk,
                                char id[TD_KEY_ID_LEN + 1], char *err, size_t errlen) {
    char mine[TD_KEY_ID_LEN + 1];
    td_key_t cur;
    master_copy(p, &cur, mine);
    sodium_memzero(&cur, sizeof(cur));
    if (given)
        *nk = *given;
    else
        td_key_random(nk);
    td_key_id(nk, id);
    if (from_env(p) && !given) {
        snprintf(err, errlen, "the master key comes from TENANTD_MASTER_KEY, which running "
                              "servers cannot re-read: store a new key first, then give it "
                              "(--new-key-stdin)");
        return TD_E_INVALID;
    }
    if (!strcmp(mine, id)) {
        snprintf(err, errlen, "the new key is the key in force");
        return TD_E_INVALID;
    }
    return TD_OK;
}

/* Takes the key file lock (*fd), makes master.key hold the key in force,
 * and writes nk to master.key.new (*wrote). */
static td_status stage_key_file(td_platform_t *p, td_db_t *db, td_arena_t *a, const td_key_t *nk,
                                int *fd, int *wrote, char *err, size_t errlen) {
    char next[4200];
    snprintf(next, sizeof(next), "%s.new", p->master_key_path);
    td_status st = td_master_key_lock(p->master_key_path, fd);
    if (st)
        snprintf(err, errlen, "cannot lock %s.lock: %s", p->master_key_path, strerror(errno));
    if (!st && (st = settle_key_file(p, db, a)) == TD_E_KEY)
        snprintf(err, errlen, "the key in force is in neither %s nor its .new file",
                 p->master_key_path);
    if (!st && !(*wrote = td_master_key_write(next, nk) == TD_OK)) {
        snprintf(err, errlen, "cannot write %s: %s", next, strerror(errno));
        st = TD_E_IO;
    }
    return st;
}

td_status td_platform_rotate_key(td_platform_t *p, td_arena_t *a, const td_key_t *new_key,
                                 char new_id[TD_KEY_ID_LEN + 1], size_t *rewrapped, char *err,
                                 size_t errlen) {
    int env = from_env(p), fd = -1, wrote = 0;
    td_key_t nk;
    rotation_t r = {.a = a, .next = &nk, .err = err, .errlen = errlen};
    td_db_t *db = NULL;
    td_status st = choose_new_key(p, new_key, &nk, new_id, err, errlen);
    if (!st)
        st = td_catalog_lease(p->catalog, a, &db);
    if (!st && !env)
        st = stage_key_file(p, db, a, &nk, &fd, &wrote, err, errlen);
    TD_FAULT("rotate.key-written");
    if (!st)
        st = td_platform_with_master(p, db, rotate_catalog, &r, err, errlen);
    int committed = !st;
    TD_FAULT("rotate.committed");
    if (committed && !env && td_master_key_install(p->master_key_path, new_id)) {
        snprintf(err, errlen,
                 "re-wrapped under the new key, but cannot rename master.key.new over "
                 "master.key (%s): processes read it from there until the next start or "
                 "rotation renames it",
                 strerror(errno));
        st = TD_E_IO;
    } else if (!committed && wrote) {
        char next[4200];
        snprintf(next, sizeof(next), "%s.new", p->master_key_path);
        unlink(next); /* never in force: nobody needs it */
    }
    td_master_key_unlock(fd);
    if (committed) {
        master_set(p, &nk);
        *rewrapped = r.rewrapped;
    }
    if (st && !err[0])
        snprintf(err, errlen, "key rotation failed: %s", td_status_msg(st));
    sodium_memzero(&nk, sizeof(nk));
    return st;
}
